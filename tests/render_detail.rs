//! Render checks of the order detail overlay (Ctrl+D) with ratatui's TestBackend at 80×24:
//! everything a packer or supervisor looks up fits, outside text is sanitised, and the
//! answers of the background lookups are shown.

use chrono::{DateTime, TimeZone, Utc};
use packdesk::app::detail::DetailMsg;
use packdesk::app::{Action, AppState, Edit, Msg, update};
use packdesk::demo;
use packdesk::docs::DocRef;
use packdesk::domain::{Order, OrderState, OrderSummary, Shipment, ShipmentState};
use packdesk::i18n::Lang;
use packdesk::shop::ShopStatus;
use packdesk::tui::{Ui, view};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

mod common;
use common::{bench_state, render::ui};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0)
        .single()
        .unwrap_or_default()
}

fn state(orders: &[Order]) -> AppState {
    let rows = orders
        .iter()
        .map(|o| OrderSummary::of(o, OrderState::ToPack))
        .collect();
    let mut st = bench_state(rows);
    st.now = now();
    st
}

fn text(st: &AppState, ui: &Ui) -> String {
    let mut t = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
    t.draw(|f| view(st, ui, f)).expect("draw");
    let buf = t.backend().buffer();
    for cell in buf.content() {
        assert!(
            !cell.symbol().chars().any(char::is_control),
            "control char drawn: {:?}",
            cell.symbol()
        );
    }
    format!("{}", t.backend())
}

fn statuses() -> Vec<ShopStatus> {
    [("1", "Přijatá"), ("4", "Odeslaná"), ("5", "Zabalená")]
        .map(|(id, name)| ShopStatus {
            id: id.into(),
            name: name.into(),
            kind: String::new(),
        })
        .to_vec()
}

#[test]
fn detail_of_the_open_order_at_80x24() {
    let mut orders = demo::generate(2026, 40, now());
    let o = orders
        .iter_mut()
        .find(|o| o.cod.is_some() && o.lines.len() >= 2)
        .expect("a COD order with two lines");
    o.customer.name = "Evil\u{1b}[2JName".into();
    o.shop_status = "1".into();
    let o = o.clone();
    let mut st = state(&orders);
    update(
        &mut st,
        Msg::OrderLoaded {
            order: Box::new(o.clone()),
            session: None,
            shipments: vec![],
            via: None,
            photos: 0,
        },
    );
    update(&mut st, Msg::Action(Action::Detail));
    let shipment = Shipment {
        order_key: o.key(),
        parcel_no: 1,
        parcel_count: 1,
        provider: "balikobot".into(),
        state: ShipmentState::Ready,
        package_id: Some("42".into()),
        tracking_number: Some("DR1234567890M".into()),
        label_path: Some("/var/packdesk/out/L1.pdf".into()),
        weight_kg: 1.0,
        error: None,
        updated_at: now(),
        carrier: None,
        generation: 0,
        carrier_status: None,
    };
    update(
        &mut st,
        Msg::Detail(DetailMsg::Loaded {
            key: o.key(),
            order: Some(Box::new(o.clone())),
            shipments: vec![shipment],
        }),
    );
    update(&mut st, Msg::Detail(DetailMsg::Statuses(Ok(statuses()))));
    update(
        &mut st,
        Msg::Detail(DetailMsg::Docs {
            key: o.key(),
            docs: vec![
                DocRef::Slip,
                DocRef::Label {
                    parcel_no: 1,
                    tracking: Some("DR1234567890M".into()),
                    zpl: false,
                },
            ],
        }),
    );
    let ui = ui(Lang::En);
    let screen = text(&st, &ui);
    for needle in [
        o.number.as_str(),
        "Přijatá (1)",
        "cash on delivery",
        "not paid",
        "DR1234567890M (1/1)",
        "Label ",
        "EvilName",
        o.lines[0].sku.as_str(),
        "A-s",
        "Set shop status",
        "C-g Order detail",
    ] {
        assert!(screen.contains(needle), "{needle:?} missing:\n{screen}");
    }
    assert!(
        screen.contains(&o.total.to_string().replace('\u{a0}', " "))
            || screen.contains(&o.total.to_string()),
        "total:\n{screen}"
    );
    // Verify an e-mail: the answer is on the overlay.
    update(&mut st, Msg::Action(Action::DetailVerify));
    for c in o.customer.email.to_uppercase().chars() {
        update(&mut st, Msg::Edit(Edit::Char(c)));
    }
    let prompt = text(&st, &ui);
    assert!(prompt.contains("E-mail to verify"), "{prompt}");
    update(&mut st, Msg::Edit(Edit::Submit));
    let screen = text(&st, &ui);
    assert!(screen.contains("belongs to this order"), "{screen}");
    insta::assert_snapshot!("detail_pack_80x24", screen);
}

/// Opens the detail of the queue's selected row and returns that order (the store has not
/// answered yet).
fn detail_of_selected(st: &mut AppState, orders: &[Order]) -> Order {
    update(st, Msg::Action(Action::Detail));
    let key = st.detail.as_ref().map(|d| d.key.clone()).expect("detail");
    orders
        .iter()
        .find(|o| o.key() == key)
        .cloned()
        .expect("selected order")
}

/// The store's answer to the open detail: `o`, no shipments.
fn detail_loaded(st: &mut AppState, o: &Order) {
    update(
        st,
        Msg::Detail(DetailMsg::Loaded {
            key: o.key(),
            order: Some(Box::new(o.clone())),
            shipments: vec![],
        }),
    );
}

#[test]
fn detail_from_the_queue_with_search_results_at_80x24_in_czech() {
    let orders = demo::generate(2026, 40, now());
    let mut st = state(&orders);
    let o = detail_of_selected(&mut st, &orders);
    let ui = ui(Lang::Cs);
    assert!(text(&st, &ui).contains("načítám objednávku"));
    detail_loaded(&mut st, &o);
    let found: Vec<String> = (0..12)
        .map(|i| format!("CZ25{i:04}      2026-11-2{} 10:00  Přijatá (1)", i % 10))
        .collect();
    update(&mut st, Msg::Detail(DetailMsg::Found(Ok(found))));
    let screen = text(&st, &ui);
    assert!(screen.contains("Nalezeno 12"), "{screen}");
    // More than fits: the overlay says how many lines are left out.
    assert!(screen.contains("dalších"), "{screen}");
    assert!(screen.contains(&o.number), "{screen}");
    update(
        &mut st,
        Msg::Detail(DetailMsg::Found(Err("upgates: rate limited".into()))),
    );
    assert!(text(&st, &ui).contains("Nepovedlo se: upgates: rate limited"));
}

#[test]
fn documents_list_picker_and_banner_at_80x24() {
    let orders = demo::generate(2026, 40, now());
    let mut st = state(&orders);
    let mut o = detail_of_selected(&mut st, &orders);
    let key = o.key();
    o.shop_status = "4".into();
    detail_loaded(&mut st, &o);
    update(&mut st, Msg::Detail(DetailMsg::Statuses(Ok(statuses()))));
    update(
        &mut st,
        Msg::Detail(DetailMsg::Docs {
            key: key.clone(),
            docs: vec![
                DocRef::NoShopDoc {
                    shop: "baselinker".into(),
                },
                DocRef::Slip,
                DocRef::Label {
                    parcel_no: 1,
                    tracking: Some("DR\u{1b}[31m77".into()),
                    zpl: true,
                },
                DocRef::Handover,
            ],
        }),
    );
    update(&mut st, Msg::Action(Action::Down));
    update(&mut st, Msg::Action(Action::Down));
    let ui = ui(Lang::En);
    let screen = text(&st, &ui);
    for needle in [
        "Documents",
        "BaseLinker offers no shop document",
        "  Packing slip",
        &format!("▸ Label {} parcel 1 · DR77 ZPL", o.number),
        &format!("Hand-over protocol {}", o.number),
        "A-o",
    ] {
        assert!(screen.contains(needle), "{needle:?} missing:\n{screen}");
    }
    // The invoice of a shop that offers none: a warning banner, no error.
    update(&mut st, Msg::Action(Action::Top));
    update(&mut st, Msg::Action(Action::Up));
    update(&mut st, Msg::Action(Action::Up));
    update(&mut st, Msg::Action(Action::DetailOpen));
    let screen = text(&st, &ui);
    assert!(
        screen.contains("BaseLinker offers no shop document (invoice)"),
        "{screen}"
    );
    insta::assert_snapshot!("detail_documents_80x24", screen);
    // A document printed: the banner names it and the printer.
    update(
        &mut st,
        Msg::Detail(DetailMsg::DocDone(packdesk::app::detail::DocNote {
            number: o.number.clone(),
            doc: DocRef::ShopPdf { cached: false },
            outcome: packdesk::app::detail::DocOutcome::Printed {
                printer: "IPP printer ipp://cups/printers/Office".into(),
            },
        })),
    );
    let screen = text(&st, &ui);
    assert!(
        screen.contains(&format!(
            "Invoice {} sent to printer: IPP printer ipp://cups/printers/Office",
            o.number
        )),
        "{screen}"
    );
    // The status picker: the shop's statuses, the current one marked.
    update(&mut st, Msg::Action(Action::DetailStatus));
    let screen = text(&st, &ui);
    for needle in [
        "New shop status",
        "  Přijatá (1)",
        "▸ Odeslaná (4)  (now)",
        "  Zabalená (5)",
    ] {
        assert!(screen.contains(needle), "{needle:?} missing:\n{screen}");
    }
    insta::assert_snapshot!("detail_status_picker_80x24", screen);
}
