//! Reducer tests of drop, second shipment and the hand-over screen.

use chrono::Duration;

use crate::app::shipping::{Confirming, HandoverGroup, ShipNote};
use crate::app::{Action, AppState, Effect, Msg, Notice, Screen, Tone};
use crate::domain::{Order, OrderState, OrderSummary, Shipment, ShipmentState};

use crate::app::testkit::{self, EAN, scan_item, type_scan};

fn order(number: &str) -> Order {
    let mut o = testkit::order(number);
    o.shipping.carrier = "cp".into();
    o
}

fn shipment(o: &Order, state: ShipmentState, generation: u32) -> Shipment {
    let mut s = Shipment::pending(&o.key(), 1, 1, "balikobot");
    s.state = state;
    s.generation = generation;
    s.carrier = Some("cp".into());
    s.package_id = Some(format!("P{generation}"));
    s.tracking_number = Some(format!("DR{generation}M"));
    s.label_path = Some("out/x.pdf".into());
    s
}

fn bench(o: &Order) -> AppState {
    let mut st = testkit::state(vec![OrderSummary::of(o, OrderState::Ready)]);
    st.now = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
    st
}

/// Opens `o` with these shipments and, when `packed`, a packed session.
fn opened(o: &Order, shipments: Vec<Shipment>, packed: bool) -> AppState {
    let mut st = bench(o);
    let _ = crate::app::update(
        &mut st,
        Msg::OrderLoaded {
            order: Box::new(o.clone()),
            session: None,
            shipments,
            via: None,
            photos: 0,
        },
    );
    assert_eq!(st.screen, Screen::Pack);
    if packed {
        let _ = scan_item(&mut st, EAN);
        let _ = type_scan(&mut st, "PD:PACK");
        assert_eq!(
            st.pack.as_ref().map(|p| p.session.state),
            Some(crate::flow::SessionState::Packed)
        );
    }
    st
}

fn has_drop(fx: &[Effect]) -> bool {
    fx.iter()
        .any(|e| matches!(e, Effect::DropShipments { order_key } if order_key == "demo:CZ1"))
}

#[test]
fn drop_asks_first_then_drops_the_ready_shipment() {
    let o = order("CZ1");
    let mut st = opened(&o, vec![shipment(&o, ShipmentState::Ready, 0)], false);
    let fx = type_scan(&mut st, "PD:DROP");
    assert!(
        !has_drop(&fx),
        "nothing is dropped on the first scan: {fx:?}"
    );
    assert!(matches!(
        &st.banner,
        Some(Notice::Ship(ShipNote::ConfirmDrop { number, count: 1 })) if number == "CZ1"
    ));
    let fx = type_scan(&mut st, "PD:DROP");
    assert!(has_drop(&fx), "{fx:?}");
    assert!(st.confirm.is_none());
    assert!(matches!(
        &st.banner,
        Some(Notice::Ship(ShipNote::DropQueued { .. }))
    ));
    // The worker's answer: dropped. The queue row leaves Ready; no label to reprint.
    let fx = crate::app::update(
        &mut st,
        Msg::Shipment(Box::new(shipment(&o, ShipmentState::Dropped, 0))),
    );
    assert_eq!(
        st.queue.row("demo:CZ1").map(|r| r.state),
        Some(OrderState::Packed)
    );
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::Persist(crate::app::Persist::Event(ev)) if ev.what == "shipment_dropped"
    )));
    let fx = type_scan(&mut st, "PD:REPRINT");
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::Reprint { .. })),
        "a dropped label is not reprinted: {fx:?}"
    );
    // Nothing left to drop.
    let fx = type_scan(&mut st, "PD:DROP");
    assert!(!has_drop(&fx));
    assert!(matches!(
        &st.banner,
        Some(Notice::Ship(ShipNote::NothingToDrop { .. }))
    ));
}

#[test]
fn a_dispatched_shipment_cannot_be_dropped() {
    let o = order("CZ1");
    let mut st = opened(&o, vec![shipment(&o, ShipmentState::Dispatched, 0)], false);
    for _ in 0..2 {
        let fx = type_scan(&mut st, "PD:DROP");
        assert!(!has_drop(&fx), "{fx:?}");
        assert!(fx.iter().any(|e| matches!(e, Effect::Bell)), "loud: {fx:?}");
        assert!(matches!(
            &st.banner,
            Some(Notice::Ship(ShipNote::DropDispatched { .. }))
        ));
        assert_eq!(st.banner.as_ref().map(Notice::tone), Some(Tone::Error));
        assert!(st.confirm.is_none());
    }
}

#[test]
fn a_confirmation_is_cancelled_by_esc_another_command_or_time() {
    let o = order("CZ1");
    let mut st = opened(&o, vec![shipment(&o, ShipmentState::Ready, 0)], false);
    // Esc cancels the question, and only the question: the order stays open.
    type_scan(&mut st, "PD:DROP");
    let fx = crate::app::update(&mut st, Msg::Action(Action::Back));
    assert!(!has_drop(&fx));
    assert!(st.confirm.is_none());
    assert_eq!(st.screen, Screen::Pack);
    assert_eq!(st.banner, Some(Notice::Ship(ShipNote::NotConfirmed)));
    // Another command in between: the next PD:DROP asks again.
    type_scan(&mut st, "PD:DROP");
    type_scan(&mut st, "PD:UNDO");
    let fx = type_scan(&mut st, "PD:DROP");
    assert!(!has_drop(&fx));
    assert!(matches!(
        &st.banner,
        Some(Notice::Ship(ShipNote::ConfirmDrop { .. }))
    ));
    // Too late: the question expired.
    st.now += Duration::seconds(super::CONFIRM_WINDOW_S + 1);
    let fx = type_scan(&mut st, "PD:DROP");
    assert!(!has_drop(&fx));
    let fx = type_scan(&mut st, "PD:DROP");
    assert!(has_drop(&fx), "confirmed in time: {fx:?}");
}

#[test]
fn a_second_shipment_asks_first_and_gets_a_new_generation() {
    let o = order("CZ1");
    let mut st = opened(&o, vec![shipment(&o, ShipmentState::Ready, 0)], true);
    let fx = type_scan(&mut st, "PD:SHIP");
    assert!(
        !fx.iter()
            .any(|e| matches!(e, Effect::Ship { .. } | Effect::ShipAgain { .. })),
        "{fx:?}"
    );
    assert!(matches!(
        &st.banner,
        Some(Notice::Ship(ShipNote::ConfirmShipAgain { .. }))
    ));
    assert!(matches!(
        &st.confirm,
        Some(c) if c.what == Confirming::ShipAgain { order_key: "demo:CZ1".into() }
    ));
    let fx = type_scan(&mut st, "PD:SHIP");
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::ShipAgain { generation: 1, .. })),
        "{fx:?}"
    );
    // The new generation's pending shipment sits beside the first one.
    let mut second = shipment(&o, ShipmentState::Pending, 1);
    second.package_id = None;
    let _ = crate::app::update(&mut st, Msg::Shipment(Box::new(second)));
    assert_eq!(st.pack.as_ref().map(|p| p.shipments.len()), Some(2));
    // While it is being made, Ship is refused outright.
    let fx = type_scan(&mut st, "PD:SHIP");
    assert!(!fx.iter().any(|e| matches!(e, Effect::ShipAgain { .. })));
    assert!(matches!(&st.banner, Some(Notice::AlreadyShipped { .. })));
}

#[test]
fn after_a_drop_ship_needs_no_question_but_a_new_generation() {
    let o = order("CZ1");
    let mut st = opened(&o, vec![shipment(&o, ShipmentState::Dropped, 0)], true);
    let fx = type_scan(&mut st, "PD:SHIP");
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::ShipAgain { generation: 1, .. })),
        "the dropped package's eid is used up: {fx:?}"
    );
    // An order without any shipment ships as generation 0, without asking.
    let mut st = opened(&o, vec![], true);
    let fx = type_scan(&mut st, "PD:SHIP");
    assert!(
        fx.iter().any(|e| matches!(e, Effect::Ship { .. })),
        "{fx:?}"
    );
}

fn groups() -> Vec<HandoverGroup> {
    vec![
        HandoverGroup {
            carrier: "cp".into(),
            parcels: 2,
            orders: vec!["CZ1".into(), "CZ2".into()],
        },
        HandoverGroup {
            carrier: "ppl".into(),
            parcels: 1,
            orders: vec!["CZ3".into()],
        },
    ]
}

#[test]
fn handover_screen_selects_asks_and_hands_over() {
    let o = order("CZ1");
    let mut st = bench(&o);
    let fx = type_scan(&mut st, "PD:HANDOVER");
    assert!(
        fx.iter().any(|e| matches!(e, Effect::HandoverList)),
        "{fx:?}"
    );
    assert!(st.handover_view.as_ref().is_some_and(|v| v.loading));
    let _ = crate::app::update(&mut st, Msg::HandoverGroups(Ok(groups())));
    assert_eq!(st.handover_view.as_ref().map(|v| v.groups.len()), Some(2));
    // The list keys move the selection and never leave the screen.
    crate::app::update(&mut st, Msg::Action(Action::Down));
    crate::app::update(&mut st, Msg::Action(Action::Down));
    assert_eq!(st.handover_view.as_ref().map(|v| v.selected), Some(1));
    crate::app::update(&mut st, Msg::Action(Action::Up));
    assert_eq!(st.handover_view.as_ref().map(|v| v.selected), Some(0));
    // First press asks; moving away cancels the question.
    let fx = crate::app::update(&mut st, Msg::Action(Action::Handover));
    assert!(!fx.iter().any(|e| matches!(e, Effect::Handover { .. })));
    assert!(matches!(
        &st.banner,
        Some(Notice::Ship(ShipNote::ConfirmHandover { carrier, parcels: 2, code }))
            if carrier == "cp" && code == "PD:HANDOVER"
    ));
    crate::app::update(&mut st, Msg::Action(Action::Down));
    assert!(st.confirm.is_none());
    // ppl: asked, confirmed with the same command barcode.
    type_scan(&mut st, "PD:HANDOVER");
    let fx = type_scan(&mut st, "PD:HANDOVER");
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Handover { carrier } if carrier == "ppl")),
        "{fx:?}"
    );
    assert!(st.handover_view.is_none(), "closed after handing over");
    assert!(matches!(
        &st.banner,
        Some(Notice::Ship(ShipNote::HandoverQueued { .. }))
    ));
    // Esc closes it without handing anything over.
    type_scan(&mut st, "PD:HANDOVER");
    crate::app::update(&mut st, Msg::HandoverGroups(Ok(groups())));
    crate::app::update(&mut st, Msg::Action(Action::Handover));
    let fx = crate::app::update(&mut st, Msg::Action(Action::Back));
    assert!(st.handover_view.is_none());
    assert!(!fx.iter().any(|e| matches!(e, Effect::Handover { .. })));
    // An empty list has nothing to hand over.
    type_scan(&mut st, "PD:HANDOVER");
    crate::app::update(&mut st, Msg::HandoverGroups(Ok(vec![])));
    let fx = crate::app::update(&mut st, Msg::Action(Action::Handover));
    assert!(!fx.iter().any(|e| matches!(e, Effect::Handover { .. })));
    assert_eq!(st.banner, Some(Notice::Ship(ShipNote::NothingToHandOver)));
}

#[test]
fn dispatched_rows_move_and_carrier_status_shows_only_for_the_open_order() {
    let o = order("CZ1");
    let mut st = opened(&o, vec![shipment(&o, ShipmentState::Ready, 0)], false);
    let _ = crate::app::update(
        &mut st,
        Msg::Shipment(Box::new(shipment(&o, ShipmentState::Dispatched, 0))),
    );
    assert_eq!(
        st.queue.row("demo:CZ1").map(|r| r.state),
        Some(OrderState::Dispatched)
    );
    let note = |number: &str| ShipNote::CarrierStatus {
        number: number.into(),
        parcel: 1,
        status: "Zásilka je v přepravě.".into(),
    };
    st.banner = None;
    crate::app::update(&mut st, Msg::ShipNote(note("OTHER")));
    assert_eq!(st.banner, None, "another order's status is no banner");
    crate::app::update(&mut st, Msg::ShipNote(note("CZ1")));
    assert_eq!(st.banner, Some(Notice::Ship(note("CZ1"))));
}

#[test]
fn a_carrier_status_updates_the_open_parcel_list_and_the_audit_log() {
    let o = order("CZ1");
    let mut st = opened(&o, vec![shipment(&o, ShipmentState::Dispatched, 0)], false);
    let mut sh = shipment(&o, ShipmentState::Dispatched, 0);
    sh.carrier_status = Some(crate::domain::CarrierStatus {
        id: "2.2".into(),
        text: "Zásilka je v přepravě.".into(),
    });
    let row_before = st.queue.row("demo:CZ1").map(|r| r.state);
    let fx = crate::app::update(&mut st, Msg::CarrierStatus(Box::new(sh.clone())));
    assert_eq!(
        st.pack.as_ref().map(|p| p.shipments.clone()),
        Some(vec![sh.clone()])
    );
    assert!(matches!(
        &st.banner,
        Some(Notice::Ship(ShipNote::CarrierStatus { number, parcel: 1, status }))
            if number == "CZ1" && status == "Zásilka je v přepravě."
    ));
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::Persist(crate::app::Persist::Event(ev))
            if ev.what == "carrier_status_changed" && ev.detail.contains("2.2")
    )));
    // The row stays where it is; another order's status only reaches the log.
    assert_eq!(st.queue.row("demo:CZ1").map(|r| r.state), row_before);
    st.banner = None;
    let other = order("CZ9");
    let mut sh9 = shipment(&other, ShipmentState::Dispatched, 0);
    sh9.carrier_status = sh.carrier_status.clone();
    let fx = crate::app::update(&mut st, Msg::CarrierStatus(Box::new(sh9)));
    assert_eq!(st.banner, None);
    assert!(fx.iter().any(|e| matches!(e, Effect::Persist(_))));
}

/// `PD:HANDOVER:<CARRIER>`: a packer with only a scanner picks the carrier.
#[test]
fn handover_barcode_with_a_carrier_opens_on_it_then_asks_then_confirms() {
    let o = order("CZ1");
    let mut st = bench(&o);
    // Closed: opens the screen and asks for the list; the carrier is selected on arrival.
    let fx = type_scan(&mut st, "PD:HANDOVER:PPL");
    assert!(
        fx.iter().any(|e| matches!(e, Effect::HandoverList)),
        "{fx:?}"
    );
    assert!(!fx.iter().any(|e| matches!(e, Effect::Handover { .. })));
    let _ = crate::app::update(&mut st, Msg::HandoverGroups(Ok(groups())));
    assert_eq!(st.handover_view.as_ref().map(|v| v.selected), Some(1));
    assert!(st.confirm.is_none());
    // Again: asks about ppl (not the first listed carrier) …
    let fx = type_scan(&mut st, "PD:HANDOVER:PPL");
    assert!(!fx.iter().any(|e| matches!(e, Effect::Handover { .. })));
    assert!(matches!(
        &st.banner,
        Some(Notice::Ship(ShipNote::ConfirmHandover { carrier, parcels: 1, code }))
            if carrier == "ppl" && code == "PD:HANDOVER:PPL"
    ));
    // … and once more: hands ppl over and closes the screen.
    let fx = type_scan(&mut st, "pd:handover:ppl");
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Handover { carrier } if carrier == "ppl")),
        "{fx:?}"
    );
    assert!(st.handover_view.is_none());
}

#[test]
fn handover_barcode_with_a_carrier_switches_and_never_hands_over_another() {
    let o = order("CZ1");
    let mut st = bench(&o);
    type_scan(&mut st, "PD:HANDOVER");
    let _ = crate::app::update(&mut st, Msg::HandoverGroups(Ok(groups())));
    // Asked about cp (selected), then PD:HANDOVER:PPL: selects ppl, the question lapses.
    type_scan(&mut st, "PD:HANDOVER");
    assert!(st.confirm.is_some());
    let fx = type_scan(&mut st, "PD:HANDOVER:PPL");
    assert!(!fx.iter().any(|e| matches!(e, Effect::Handover { .. })));
    assert_eq!(st.handover_view.as_ref().map(|v| v.selected), Some(1));
    assert!(st.confirm.is_none());
    // Asked with the carrier barcode, confirmed with the plain one (same carrier).
    type_scan(&mut st, "PD:HANDOVER:PPL");
    let fx = type_scan(&mut st, "PD:HANDOVER");
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Handover { carrier } if carrier == "ppl")),
        "{fx:?}"
    );
    // A carrier with nothing ready: said so, the selection stays, nothing handed over,
    // however often it is scanned.
    type_scan(&mut st, "PD:HANDOVER");
    let _ = crate::app::update(&mut st, Msg::HandoverGroups(Ok(groups())));
    for _ in 0..3 {
        let fx = type_scan(&mut st, "PD:HANDOVER:DPD");
        assert!(!fx.iter().any(|e| matches!(e, Effect::Handover { .. })));
        assert!(matches!(
            &st.banner,
            Some(Notice::Ship(ShipNote::NothingToHandOverFor { carrier })) if carrier == "DPD"
        ));
        assert_eq!(st.handover_view.as_ref().map(|v| v.selected), Some(0));
    }
    // Opened on a carrier that the arriving list lacks: said so, first one selected,
    // and a stale question does not survive the confirmation window.
    st.handover_view = None;
    type_scan(&mut st, "PD:HANDOVER:DPD");
    let _ = crate::app::update(&mut st, Msg::HandoverGroups(Ok(groups())));
    assert!(matches!(
        &st.banner,
        Some(Notice::Ship(ShipNote::NothingToHandOverFor { carrier })) if carrier == "DPD"
    ));
    type_scan(&mut st, "PD:HANDOVER:CP");
    st.now += Duration::seconds(120);
    let fx = type_scan(&mut st, "PD:HANDOVER:CP");
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::Handover { .. })),
        "{fx:?}"
    );
    assert!(matches!(
        &st.banner,
        Some(Notice::Ship(ShipNote::ConfirmHandover { carrier, code, .. }))
            if carrier == "cp" && code == "PD:HANDOVER:CP"
    ));
}

#[test]
fn handover_barcode_scanned_while_the_list_loads_picks_the_carrier() {
    let o = order("CZ1");
    let mut st = bench(&o);
    type_scan(&mut st, "PD:HANDOVER");
    let fx = type_scan(&mut st, "PD:HANDOVER:ppl");
    assert!(!fx.iter().any(|e| matches!(e, Effect::Handover { .. })));
    let _ = crate::app::update(&mut st, Msg::HandoverGroups(Ok(groups())));
    assert_eq!(st.handover_view.as_ref().map(|v| v.selected), Some(1));
    assert!(st.confirm.is_none());
}
