//! Pure tests of the reducer: messages in, state and effects out. Store answers are fed
//! by hand, as the effect runner would.

use super::*;
use crate::app::{Looked, Settings};
use crate::domain::{Note, Qty};
use crate::scan::{Assembler, KeyIn, ScanConfig};

use crate::app::testkit::{self, EAN, lookup_scan, open, scan_code, steps, type_scan};

fn order(number: &str) -> Order {
    let mut o = testkit::order(number);
    o.lines[0].quantity = Qty::units(2);
    o
}

fn state_with(o: &Order) -> AppState {
    let settings = Settings {
        ship_on_pack: true,
        ..Settings::default()
    };
    AppState::new(
        settings,
        Assembler::new(ScanConfig::default()),
        vec![OrderSummary::of(o, OrderState::ToPack)],
    )
}

#[test]
fn scanning_an_order_number_opens_and_claims_it() {
    let o = order("CZ1");
    let mut st = state_with(&o);
    let fx = open(&mut st, &o);
    assert_eq!(st.screen, Screen::Pack);
    assert_eq!(steps(&fx), 1, "the claim is written");
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Persist(Persist::OpenOrder(Some(k))) if k == "demo:CZ1"))
    );
    assert_eq!(
        st.queue.row("demo:CZ1").map(|r| r.state),
        Some(OrderState::InProgress)
    );
}

#[test]
fn accepted_scan_is_persisted_and_quiet() {
    let o = order("CZ1");
    let mut st = state_with(&o);
    open(&mut st, &o);
    let fx = scan_code(&mut st, EAN, true);
    assert_eq!(steps(&fx), 1);
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::Bell)),
        "success is quiet"
    );
    assert!(
        matches!(&st.banner, Some(Notice::Accepted { scanned, quantity, .. }) if scanned == "1" && quantity == "2")
    );
    assert_eq!(st.pack.as_ref().map(|p| p.last_scans.len()), Some(1));
}

#[test]
fn wrong_item_rings_and_shows_reason() {
    let o = order("CZ1");
    let mut st = state_with(&o);
    open(&mut st, &o);
    let fx = scan_code(&mut st, "5901234123457", true);
    assert!(fx.iter().any(|e| matches!(e, Effect::Bell)));
    assert!(matches!(
        &st.banner,
        Some(Notice::Rejected {
            reject: Reject::NotInOrder { .. },
            ..
        })
    ));
    assert_eq!(st.banner.as_ref().map(Notice::tone), Some(Tone::Error));
    let fx = scan_code(&mut st, "NOPE-1", false);
    assert!(fx.iter().any(|e| matches!(e, Effect::Bell)));
    assert!(matches!(
        &st.banner,
        Some(Notice::Rejected {
            reject: Reject::UnknownCode { .. },
            ..
        })
    ));
}

#[test]
fn bell_can_be_turned_off() {
    let o = order("CZ1");
    let mut st = state_with(&o);
    st.settings.bell = false;
    open(&mut st, &o);
    let fx = scan_code(&mut st, "XYZ-1", false);
    assert!(!fx.iter().any(|e| matches!(e, Effect::Bell)));
}

#[test]
fn pack_command_barcode_packs_and_ships_in_background() {
    let o = order("CZ1");
    let mut st = state_with(&o);
    open(&mut st, &o);
    scan_code(&mut st, EAN, true);
    scan_code(&mut st, EAN, true);
    assert_eq!(st.banner, Some(Notice::Picked));
    let fx = type_scan(&mut st, "PD:PACK");
    assert_eq!(steps(&fx), 1);
    assert!(
        fx.iter().any(|e| matches!(e, Effect::Ship { .. })),
        "{fx:?}"
    );
    assert_eq!(
        st.jobs, 0,
        "shipping is carried by the outbox, not a job of the bench"
    );
    assert_eq!(
        st.queue.row("demo:CZ1").map(|r| r.state),
        Some(OrderState::Packed)
    );
    // Prefilled weight from the product: 2 × 0.3 kg.
    let w = st
        .pack
        .as_ref()
        .and_then(|p| p.session.parcels[0].weight_kg);
    assert!(w.is_some_and(|w| (w - 0.6).abs() < 1e-9), "{w:?}");
    // The label arrives later; the queue row moves to Ready.
    let sh = Shipment {
        order_key: "demo:CZ1".into(),
        parcel_no: 1,
        parcel_count: 1,
        provider: "own-label".into(),
        state: ShipmentState::Ready,
        package_id: Some("PD1".into()),
        tracking_number: Some("PD1".into()),
        label_path: Some("out/CZ1-1.pdf".into()),
        weight_kg: 0.6,
        error: None,
        updated_at: st.now,
        carrier: None,
        generation: 0,
        carrier_status: None,
    };
    let fx = update(&mut st, Msg::Shipment(Box::new(sh)));
    assert!(fx.iter().any(
        |e| matches!(e, Effect::Persist(Persist::Summary(r)) if r.state == OrderState::Ready)
    ));
    assert!(matches!(&st.banner, Some(Notice::LabelReady { .. })));
    // A second ship asks first (app::shipping has the whole story).
    let fx = type_scan(&mut st, "PD:SHIP");
    assert!(!fx.iter().any(|e| matches!(e, Effect::Ship { .. })));
    assert!(matches!(
        &st.banner,
        Some(Notice::Ship(
            crate::app::shipping::ShipNote::ConfirmShipAgain { .. }
        ))
    ));
}

#[test]
fn pack_before_all_scanned_is_refused() {
    let o = order("CZ1");
    let mut st = state_with(&o);
    open(&mut st, &o);
    scan_code(&mut st, EAN, true);
    let fx = update(&mut st, Msg::Action(Action::Pack));
    assert!(fx.iter().any(|e| matches!(e, Effect::Bell)));
    assert!(
        matches!(&st.banner, Some(Notice::Refused(crate::flow::Refusal::NotAllScanned { missing })) if *missing == Qty::units(1))
    );
}

#[test]
fn required_weight_prompts_and_accepts_a_comma() {
    let o = order("CZ1");
    let mut st = state_with(&o);
    st.settings.require_weight = true;
    open(&mut st, &o);
    scan_code(&mut st, EAN, true);
    scan_code(&mut st, EAN, true);
    update(&mut st, Msg::Action(Action::Pack));
    assert_eq!(
        st.prompt.as_ref().map(|p| (p.kind, p.input.as_str())),
        Some((PromptKind::Weight, "0.60"))
    );
    for _ in 0..4 {
        update(&mut st, Msg::Edit(Edit::Backspace));
    }
    for c in "1,25".chars() {
        update(&mut st, Msg::Edit(Edit::Char(c)));
    }
    let fx = update(&mut st, Msg::Edit(Edit::Submit));
    assert_eq!(steps(&fx), 1);
    assert_eq!(
        st.pack
            .as_ref()
            .and_then(|p| p.session.parcels[0].weight_kg),
        Some(1.25)
    );
}

#[test]
fn note_blocks_until_acknowledged() {
    let mut o = order("CZ1");
    o.note = Some(Note {
        text: "Křehké!".into(),
        ack_required: true,
    });
    let mut st = state_with(&o);
    let fx = open(&mut st, &o);
    assert!(fx.iter().any(|e| matches!(e, Effect::Bell)));
    assert_eq!(st.banner, Some(Notice::NoteMustBeAcknowledged));
    scan_code(&mut st, EAN, true);
    assert_eq!(st.banner, Some(Notice::NoteMustBeAcknowledged));
    let fx = type_scan(&mut st, "PD:ACK");
    assert_eq!(steps(&fx), 1);
    scan_code(&mut st, EAN, true);
    assert!(matches!(st.banner, Some(Notice::Accepted { .. })));
}

#[test]
fn cancelled_order_opens_without_claim() {
    let mut o = order("CZ3");
    o.cancelled = true;
    let mut st = state_with(&o);
    let fx = open(&mut st, &o);
    assert_eq!(steps(&fx), 0, "a cancelled order is not claimed");
    assert!(matches!(
        &st.banner,
        Some(Notice::Rejected {
            reject: Reject::NotPackable(crate::flow::NotPackable::Cancelled),
            ..
        })
    ));
    let fx = scan_code(&mut st, EAN, true);
    assert_eq!(steps(&fx), 0);
}

#[test]
fn persist_failure_restores_the_previous_session() {
    let o = order("CZ1");
    let mut st = state_with(&o);
    open(&mut st, &o);
    let fx = scan_code(&mut st, EAN, true);
    let prev = fx.iter().find_map(|e| match e {
        Effect::Persist(Persist::Step { previous, .. }) => previous.clone(),
        _ => None,
    });
    let fx = update(
        &mut st,
        Msg::PersistFailed {
            error: "disk full".into(),
            previous: prev,
        },
    );
    assert!(fx.iter().any(|e| matches!(e, Effect::Bell)));
    assert_eq!(
        st.pack.as_ref().map(|p| p.session.lines[0].scanned),
        Some(Qty::ZERO)
    );
    assert!(matches!(&st.banner, Some(Notice::NotSaved { .. })));
}

#[test]
fn packer_badge_and_abort() {
    let o = order("CZ1");
    let mut st = state_with(&o);
    let fx = type_scan(&mut st, "PD:PACKER:42");
    assert_eq!(st.packer.as_deref(), Some("42"));
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Persist(Persist::Packer(Some(p))) if p == "42"))
    );
    open(&mut st, &o);
    assert_eq!(
        st.pack
            .as_ref()
            .and_then(|p| p.session.packer.clone())
            .as_deref(),
        Some("42")
    );
    scan_code(&mut st, EAN, true);
    let fx = type_scan(&mut st, "PD:ABORT");
    assert_eq!(st.screen, Screen::Queue);
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Persist(Persist::OpenOrder(None))))
    );
    assert!(matches!(&st.banner, Some(Notice::Aborted { .. })));
    assert_eq!(
        st.queue.row("demo:CZ1").map(|r| r.state),
        Some(OrderState::InProgress)
    );
}

#[test]
fn double_fire_is_dropped_and_logged() {
    let o = order("CZ1");
    let mut st = state_with(&o);
    open(&mut st, &o);
    scan_code(&mut st, EAN, true);
    // The same code again within 80 ms of the first terminator.
    for c in EAN.chars() {
        update(&mut st, Msg::ScanKey(KeyIn::Char(c)));
    }
    st.now_ms += 10;
    let fx = update(&mut st, Msg::ScanKey(KeyIn::Enter));
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Persist(Persist::Event(ev)) if ev.what == "double_fire"))
    );
    assert!(matches!(&st.banner, Some(Notice::DoubleFire { .. })));
    assert_eq!(
        st.pack.as_ref().map(|p| p.session.lines[0].scanned),
        Some(Qty::units(1))
    );
}

#[test]
fn queue_navigation_filter_and_open() {
    let a = order("CZ1");
    let b = order("PL2");
    let mut st = AppState::new(
        Settings::default(),
        Assembler::new(ScanConfig::default()),
        vec![
            OrderSummary::of(&a, OrderState::ToPack),
            OrderSummary::of(&b, OrderState::ToPack),
        ],
    );
    update(&mut st, Msg::Action(Action::Down));
    assert_eq!(st.queue.selected(), 1);
    update(&mut st, Msg::Action(Action::Filter));
    for c in "pl".chars() {
        update(&mut st, Msg::Edit(Edit::Char(c)));
    }
    assert_eq!(st.queue.visible_len(), 1);
    update(&mut st, Msg::Edit(Edit::Submit));
    let fx = update(&mut st, Msg::Action(Action::Open));
    assert!(matches!(fx.as_slice(), [Effect::LoadOrder { key, .. }] if key == "demo:PL2"));
    update(&mut st, Msg::Action(Action::Back));
    assert_eq!(st.queue.filter(), "");
}

#[test]
fn unknown_order_number_in_queue_rings() {
    let o = order("CZ1");
    let mut st = state_with(&o);
    let fx = type_scan(&mut st, "CZ999");
    let scan = lookup_scan(&fx);
    let fx = update(
        &mut st,
        Msg::Looked(Looked::Code {
            scan,
            order_key: None,
            known: false,
        }),
    );
    assert!(fx.iter().any(|e| matches!(e, Effect::Bell)));
    assert!(matches!(&st.banner, Some(Notice::OrderNotFound { code }) if code == "CZ999"));
}

#[test]
fn rows_changed_while_the_queue_loads_survive_the_load() {
    let o = order("CZ1");
    let other = order("CZ2");
    let mut st = AppState::new(
        Settings::default(),
        Assembler::new(ScanConfig::default()),
        vec![],
    );
    st.queue_loading = Some(Vec::new());
    // The packer opens CZ1 by scan before the queue has arrived.
    open(&mut st, &o);
    let loaded = crate::app::Queue::new(vec![
        OrderSummary::of(&o, OrderState::ToPack),
        OrderSummary::of(&other, OrderState::ToPack),
    ]);
    update(&mut st, Msg::QueueLoaded(Box::new(loaded)));
    assert!(st.queue_loading.is_none());
    assert_eq!(st.queue.len(), 2);
    assert_eq!(
        st.queue.row("demo:CZ1").map(|r| r.state),
        Some(OrderState::InProgress)
    );
    assert_eq!((st.queue.count(0), st.queue.count(1)), (1, 1));
}

#[test]
fn a_changed_open_order_is_reloaded_and_other_rows_just_move() {
    let o = order("CZ1");
    let other = order("CZ2");
    let mut st = state_with(&o);
    open(&mut st, &o);
    let mut row = OrderSummary::of(&other, OrderState::ToPack);
    let fx = update(&mut st, Msg::RowsChanged(vec![row.clone()]));
    assert!(fx.is_empty());
    assert!(st.queue.row("demo:CZ2").is_some());
    row = OrderSummary::of(&o, OrderState::InProgress);
    row.revision = 1;
    let fx = update(&mut st, Msg::RowsChanged(vec![row]));
    assert!(
        matches!(fx.as_slice(), [Effect::LoadOrder { key, .. }] if key == "demo:CZ1"),
        "{fx:?}"
    );
    let mut changed = o.clone();
    changed.revision = 1;
    changed.lines[0].quantity = Qty::units(3);
    let session = st.pack.as_ref().map(|p| p.session.clone());
    update(
        &mut st,
        Msg::OrderLoaded {
            order: Box::new(changed),
            session: session.map(Box::new),
            shipments: vec![],
            via: None,
            photos: 0,
        },
    );
    assert_eq!(st.banner, Some(Notice::ChangedUpstreamReset));
    assert_eq!(st.pack.as_ref().map(|p| p.session.order_revision), Some(1));
}

#[test]
fn a_required_photo_blocks_packing_until_taken() {
    let o = order("CZ1");
    let mut st = state_with(&o);
    st.settings.photo_required = true;
    open(&mut st, &o);
    scan_code(&mut st, EAN, true);
    scan_code(&mut st, EAN, true);
    let fx = type_scan(&mut st, "PD:PACK");
    assert_eq!(st.banner, Some(Notice::PhotoRequired));
    assert!(fx.iter().any(|e| matches!(e, Effect::Bell)));
    assert_eq!(
        st.pack.as_ref().map(|p| p.session.state),
        Some(SessionState::Picked)
    );
    let fx = type_scan(&mut st, "PD:PHOTO");
    assert!(
        matches!(fx.as_slice(), [Effect::TakePhoto { order_key, parcel: 1 }] if order_key == "demo:CZ1"),
        "{fx:?}"
    );
    update(&mut st, Msg::Photo(Err("camera unreachable".into())));
    assert!(matches!(&st.banner, Some(Notice::PhotoFailed { .. })));
    update(&mut st, Msg::Photo(Ok(("demo:CZ1".into(), 1))));
    assert_eq!(st.banner, Some(Notice::PhotoTaken(1)));
    let fx = type_scan(&mut st, "PD:PACK");
    assert!(
        fx.iter().any(|e| matches!(e, Effect::Ship { .. })),
        "{fx:?}"
    );
    assert_eq!(
        st.pack.as_ref().map(|p| p.session.state),
        Some(SessionState::Packed)
    );
}

#[test]
fn an_optional_photo_never_blocks() {
    let o = order("CZ1");
    let mut st = state_with(&o);
    open(&mut st, &o);
    scan_code(&mut st, EAN, true);
    scan_code(&mut st, EAN, true);
    update(&mut st, Msg::Photo(Err("camera unreachable".into())));
    type_scan(&mut st, "PD:PACK");
    assert_eq!(
        st.pack.as_ref().map(|p| p.session.state),
        Some(SessionState::Packed)
    );
}

#[test]
fn the_outbox_screen_lists_retries_and_cancels_the_selected_entry() {
    let o = order("CZ1");
    let mut st = state_with(&o);
    let fx = update(&mut st, Msg::Action(Action::Outbox));
    assert!(matches!(fx.as_slice(), [Effect::OutboxList]));
    let line = |id, state: &str| crate::app::OutboxLine {
        id,
        what: format!("shipment #{id}"),
        state: state.into(),
        attempts: 3,
        error: Some("recipient ZIP invalid".into()),
        batched_until: None,
    };
    update(
        &mut st,
        Msg::OutboxEntries(Ok(vec![line(7, "failed"), line(9, "pending")])),
    );
    update(&mut st, Msg::Action(Action::Down));
    let fx = update(&mut st, Msg::Action(Action::OutboxRetry));
    assert!(matches!(fx.as_slice(), [Effect::OutboxRetry(9)]), "{fx:?}");
    update(&mut st, Msg::Action(Action::Up));
    let fx = update(&mut st, Msg::Action(Action::OutboxCancel));
    assert!(matches!(fx.as_slice(), [Effect::OutboxCancel(7)]), "{fx:?}");
    // A refused cancel is shown; the list stays.
    update(
        &mut st,
        Msg::OutboxEntries(Err(
            "entry 7 is done: only pending or failed can be cancelled".into(),
        )),
    );
    assert!(matches!(&st.banner, Some(Notice::OutboxError { .. })));
    assert_eq!(st.outbox_view.as_ref().map(|v| v.lines.len()), Some(2));
    update(&mut st, Msg::Action(Action::Back));
    assert!(st.outbox_view.is_none());
    // Retry and cancel do nothing without the screen.
    assert!(update(&mut st, Msg::Action(Action::OutboxRetry)).is_empty());
}
