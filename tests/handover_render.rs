//! Render checks of the hand-over screen (Ctrl+T / PD:HANDOVER) at 80×24, and of a
//! dropped shipment and a carrier status on the pack screen.

use packdesk::app::shipping::{HandoverGroup, ShipNote};
use packdesk::app::{Action, AppState, Msg, update};
use packdesk::domain::{CarrierStatus, OrderState, OrderSummary, Shipment, ShipmentState};
use packdesk::i18n::Lang;

mod common;
use common::bench_state;
use common::render::{screen_rows, ui};

fn has(rows: &[String], needle: &str) -> bool {
    rows.iter().any(|r| r.contains(needle))
}

fn bench() -> AppState {
    let orders = packdesk::demo::generate(2026, 10, chrono::Utc::now());
    let rows = orders
        .iter()
        .map(|o| OrderSummary::of(o, OrderState::Ready))
        .collect();
    bench_state(rows)
}

/// Ready parcels of two carriers: cp (2 parcels, CZ1 and CZ2) and ppl (1 parcel, CZ3).
fn cp_and_ppl() -> Vec<HandoverGroup> {
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
fn handover_screen_at_80x24_lists_carriers_and_asks() {
    let ui = ui(Lang::En);
    let mut st = bench();
    update(&mut st, Msg::Action(Action::Handover));
    let rows = screen_rows(&st, &ui, 80, 24);
    assert!(has(&rows, "Hand-over to the carrier"), "{rows:#?}");
    assert!(has(&rows, "Looking for ready parcels"), "{rows:#?}");
    let many: Vec<String> = (0..40).map(|i| format!("2026{i:04}")).collect();
    update(
        &mut st,
        Msg::HandoverGroups(Ok(vec![
            HandoverGroup {
                carrier: "cp".into(),
                parcels: 41,
                orders: many,
            },
            HandoverGroup {
                carrier: "ppl\u{1b}[2J".into(),
                parcels: 1,
                orders: vec!["CZ3".into()],
            },
        ])),
    );
    let rows = screen_rows(&st, &ui, 80, 24);
    assert!(has(&rows, "cp"), "{rows:#?}");
    assert!(has(&rows, "41 parcels from 40 orders"), "{rows:#?}");
    assert!(has(&rows, "1 parcels from 1 orders"), "{rows:#?}");
    // A long order list is cut to the width, not wrapped over the next carrier.
    assert!(has(&rows, "…"), "{rows:#?}");
    assert!(
        rows.iter().all(|r| !r.contains('\u{1b}')),
        "no escape reaches the screen"
    );
    assert!(has(&rows, "C-t"), "its key is shown: {rows:#?}");
    // The question is on the screen itself.
    update(&mut st, Msg::Action(Action::Handover));
    let rows = screen_rows(&st, &ui, 80, 24);
    assert!(has(&rows, "Hand over 41 cp parcels?"), "{rows:#?}");
    // Empty: says so.
    update(&mut st, Msg::Action(Action::Back));
    update(&mut st, Msg::Action(Action::Handover));
    update(&mut st, Msg::HandoverGroups(Ok(vec![])));
    let rows = screen_rows(&st, &ui, 80, 24);
    assert!(has(&rows, "nothing to hand over"), "{rows:#?}");
    // Czech fits too.
    let cs = self::ui(Lang::Cs);
    let rows = screen_rows(&st, &cs, 80, 24);
    assert!(has(&rows, "Předání dopravci"), "{rows:#?}");
}

#[test]
fn pack_screen_shows_a_dropped_parcel_and_the_carrier_status() {
    let ui = ui(Lang::En);
    let orders = packdesk::demo::generate(2026, 10, chrono::Utc::now());
    let o = orders.iter().find(|o| !o.cancelled).expect("an order");
    let mut st = bench();
    let mut ready = Shipment::pending(&o.key(), 1, 2, "balikobot");
    ready.state = ShipmentState::Dispatched;
    ready.tracking_number = Some("DR1M".into());
    ready.carrier_status = Some(CarrierStatus {
        id: "2.2".into(),
        text: "In transit\u{7}".into(),
    });
    let mut dropped = Shipment::pending(&o.key(), 2, 2, "balikobot");
    dropped.state = ShipmentState::Dropped;
    update(
        &mut st,
        Msg::OrderLoaded {
            order: Box::new(o.clone()),
            session: None,
            shipments: vec![ready, dropped],
            via: None,
            photos: 0,
        },
    );
    update(
        &mut st,
        Msg::ShipNote(ShipNote::CarrierStatus {
            number: o.number.clone(),
            parcel: 1,
            status: "In transit".into(),
        }),
    );
    let rows = screen_rows(&st, &ui, 80, 24);
    assert!(has(&rows, "parcel 1: In transit"), "{rows:#?}");
    // The parcel list sits in the side panel, drawn from 100 columns.
    let rows = screen_rows(&st, &ui, 120, 40);
    assert!(has(&rows, "1 · In transit"), "{rows:#?}");
    assert!(has(&rows, "⊘ 2") || has(&rows, "⊘  2"), "{rows:#?}");
    assert!(rows.iter().all(|r| !r.contains('\u{7}')));
}

/// A command barcode typed by the scanner.
fn scan(st: &mut AppState, code: &str) {
    for c in code.chars() {
        st.now_ms += 5;
        update(st, Msg::ScanKey(packdesk::scan::KeyIn::Char(c)));
    }
    st.now_ms += 200;
    update(st, Msg::ScanKey(packdesk::scan::KeyIn::Enter));
}

#[test]
fn handover_barcode_with_a_carrier_at_80x24() {
    let ui = ui(Lang::En);
    let mut st = bench();
    let groups = cp_and_ppl();
    scan(&mut st, "PD:HANDOVER:PPL");
    update(&mut st, Msg::HandoverGroups(Ok(groups.clone())));
    scan(&mut st, "PD:HANDOVER:PPL");
    let rows = screen_rows(&st, &ui, 80, 24);
    assert!(has(&rows, "Hand over 1 ppl parcels?"), "{rows:#?}");
    // A carrier with nothing ready says so, with its code (sanitized).
    scan(&mut st, "PD:HANDOVER:DPD");
    let rows = screen_rows(&st, &ui, 80, 24);
    assert!(has(&rows, "No ready DPD parcels to hand over"), "{rows:#?}");
    let cs = self::ui(Lang::Cs);
    let rows = screen_rows(&st, &cs, 80, 24);
    assert!(
        has(&rows, "Žádné připravené balíky dopravce DPD"),
        "{rows:#?}"
    );
}

/// The question names the code that asked, in every language: the per-carrier barcode
/// (`PD:HANDOVER:PPL`) or the plain one (`PD:HANDOVER`), never a code not scanned.
#[test]
fn handover_question_names_the_code_that_was_scanned() {
    let groups = cp_and_ppl();
    let mut st = bench();
    scan(&mut st, "PD:HANDOVER:PPL");
    update(&mut st, Msg::HandoverGroups(Ok(groups.clone())));
    scan(&mut st, "PD:HANDOVER:PPL");
    for (lang, words) in [
        (Lang::En, "Scan PD:HANDOVER:PPL again to confirm"),
        (Lang::Cs, "opětovným načtením PD:HANDOVER:PPL"),
        (Lang::Pl, "skanując ponownie PD:HANDOVER:PPL"),
    ] {
        let rows = screen_rows(&st, &ui(lang), 120, 40)
            .join(" ")
            .replace('│', " ");
        let flat = rows.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains(words), "{lang:?}: {flat}");
    }
    // The plain barcode asks with itself.
    let mut st = bench();
    scan(&mut st, "PD:HANDOVER");
    update(&mut st, Msg::HandoverGroups(Ok(groups)));
    scan(&mut st, "PD:HANDOVER");
    let rows = screen_rows(&st, &ui(Lang::En), 120, 40)
        .join(" ")
        .replace('│', " ");
    let flat = rows.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("Scan PD:HANDOVER again to confirm"), "{flat}");
    assert!(!flat.contains("PD:HANDOVER:"), "{flat}");
}
