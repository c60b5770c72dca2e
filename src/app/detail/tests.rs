//! Reducer tests of the order detail overlay and of orders the shop status keeps out of
//! the queue (`[status]`): messages in, state and effects out.

use super::*;
use crate::app::{Edit, Msg, update};
use crate::domain::{Money, NOT_QUEUED, OrderState, OrderSummary, Qty};

use crate::app::testkit::{self, EAN, loaded, open_by, refused_not_queued, scan_item, steps};

fn order(number: &str) -> Order {
    let mut o = testkit::order(number);
    o.source = "upgates".into();
    o.shop_id = Some("77".into());
    o.customer.name = "Jiří Nový".into();
    o.customer.email = "Jiri.Novy@Example.cz".into();
    o.customer.phone = "+420 601 234 567".into();
    o.shipping.method = "PPL".into();
    o.shipping.carrier = "ppl".into();
    o.total = Money::new(123_400, "CZK");
    o.cod = Some(Money::new(123_400, "CZK"));
    o.paid = false;
    o.lines[0].quantity = Qty::units(2);
    o.shop_status = "1".into();
    o
}

fn state_with(o: &Order) -> AppState {
    let mut st = testkit::state(vec![OrderSummary::of(o, OrderState::ToPack)]);
    st.now = chrono::DateTime::from_timestamp(1_743_422_400, 0).unwrap_or_default();
    st
}

#[test]
fn an_order_outside_the_queue_statuses_opens_without_claim() {
    let mut o = order("CZ9");
    o.shop_status = "4".into();
    o.flags.push(NOT_QUEUED.into());
    let mut st = state_with(&o);
    let fx = loaded(&mut st, &o, None, None);
    assert_eq!(steps(&fx), 0, "not claimed");
    assert!(refused_not_queued(&st, "4"), "{:?}", st.banner);
    assert_eq!(steps(&scan_item(&mut st, EAN)), 0, "scans are refused");
}

#[test]
fn an_open_session_whose_order_leaves_the_queue_status_is_not_packable_now() {
    let o = order("CZ9");
    let mut st = state_with(&o);
    assert!(steps(&loaded(&mut st, &o, None, None)) > 0, "claimed");
    assert_eq!(steps(&scan_item(&mut st, EAN)), 1, "one scan accepted");
    let session = st.pack.as_ref().map(|p| p.session.clone());
    let session_seq = session.as_ref().map(|s| s.next_seq);
    // The shop moves it to status 4 ("Sent") meanwhile: the sync imports a new revision.
    let mut moved = o.clone();
    moved.shop_status = "4".into();
    moved.flags.push(NOT_QUEUED.into());
    moved.revision = 1;
    let fx = update(
        &mut st,
        Msg::RowsChanged(vec![OrderSummary::of(&moved, OrderState::InProgress)]),
    );
    assert!(
        fx.iter().any(|e| matches!(e, Effect::LoadOrder { .. })),
        "{fx:?}"
    );
    let fx = loaded(&mut st, &moved, session, None);
    assert_eq!(steps(&fx), 0, "the session is kept, not started over");
    // The packer with it open is told it left the queue statuses (`app::held`).
    assert!(
        matches!(
            &st.banner,
            Some(Notice::Held(crate::app::held::HeldNote::HeldWhileOpen { status, .. }))
                if status == "4"
        ),
        "{:?}",
        st.banner
    );
    assert_eq!(
        st.pack.as_ref().map(|p| p.session.next_seq),
        session_seq,
        "what was scanned stays"
    );
    let scanned = |st: &AppState| st.pack.as_ref().map(|p| p.session.lines[0].scanned);
    let before = scanned(&st);
    scan_item(&mut st, EAN);
    assert!(
        refused_not_queued(&st, "4"),
        "the scan is refused: {:?}",
        st.banner
    );
    assert_eq!(scanned(&st), before, "and not counted");
}

fn open_detail(st: &mut AppState) -> Vec<Effect> {
    let fx = update(st, Msg::Action(Action::Detail));
    assert!(st.detail.is_some());
    fx
}

/// The store's answer to the open detail: `o` with `shipments`.
fn detail_loaded(st: &mut AppState, o: &Order, shipments: Vec<Shipment>) {
    update(
        st,
        Msg::Detail(DetailMsg::Loaded {
            key: o.key(),
            order: Some(Box::new(o.clone())),
            shipments,
        }),
    );
}

fn submit(st: &mut AppState, text: &str) -> Vec<Effect> {
    for c in text.chars() {
        update(st, Msg::Edit(Edit::Char(c)));
    }
    update(st, Msg::Edit(Edit::Submit))
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
fn detail_of_the_selected_queue_row_loads_it_and_closes_again() {
    let o = order("CZ1");
    let mut st = state_with(&o);
    let fx = open_detail(&mut st);
    assert!(
        matches!(fx.as_slice(), [
            Effect::Detail(DetailEffect::Load { key }),
            Effect::Detail(DetailEffect::Docs { key: docs_key }),
        ] if key == "upgates:CZ1" && docs_key == "upgates:CZ1"),
        "{fx:?}"
    );
    assert_eq!(st.detail.as_ref().and_then(|d| d.order.as_ref()), None);
    detail_loaded(&mut st, &o, vec![]);
    update(&mut st, Msg::Detail(DetailMsg::Statuses(Ok(statuses()))));
    let d = st.detail.as_ref().expect("detail");
    assert_eq!(d.order.as_ref().map(|o| o.number.as_str()), Some("CZ1"));
    assert_eq!(d.statuses.len(), 3);
    // While it is open, queue keys do not act below it.
    let fx = update(&mut st, Msg::Action(Action::Open));
    assert!(fx.is_empty(), "{fx:?}");
    update(&mut st, Msg::Action(Action::Back));
    assert!(st.detail.is_none());
}

#[test]
fn detail_on_the_pack_screen_shows_the_open_order_at_once() {
    let o = order("CZ2");
    let mut st = state_with(&o);
    loaded(&mut st, &o, None, None);
    open_detail(&mut st);
    let d = st.detail.as_ref().expect("detail");
    assert_eq!(d.key, "upgates:CZ2");
    assert!(d.order.is_some(), "the open order needs no load");
    update(&mut st, Msg::Action(Action::Detail));
    assert!(st.detail.is_none(), "the same key closes it");
}

#[test]
fn status_change_goes_through_the_outbox_with_or_without_notifying() {
    let o = order("CZ1");
    let mut st = state_with(&o);
    loaded(&mut st, &o, None, None);
    open_detail(&mut st);
    update(&mut st, Msg::Detail(DetailMsg::Statuses(Ok(statuses()))));
    // The shop's list is known: the status key offers a picker at the current status.
    let fx = update(&mut st, Msg::Action(Action::DetailStatus));
    assert!(fx.is_empty() && st.prompt.is_none(), "{fx:?}");
    let picker = |st: &AppState| st.detail.as_ref().and_then(|d| d.picker);
    assert_eq!(picker(&st), Some(0), "order CZ1 is in status 1, the first");
    update(&mut st, Msg::Action(Action::Up));
    assert_eq!(picker(&st), Some(0), "stays at the top");
    for _ in 0..5 {
        update(&mut st, Msg::Action(Action::Down));
    }
    assert_eq!(picker(&st), Some(2), "stops at the last status");
    // The status key again sets the highlighted one ("Zabalená", id 5).
    let fx = update(&mut st, Msg::Action(Action::DetailStatus));
    match fx.as_slice() {
        [
            Effect::Detail(DetailEffect::SetStatus {
                order,
                status,
                notify,
            }),
        ] => {
            assert_eq!(
                (order.number.as_str(), status.as_str(), *notify),
                ("CZ1", "5", false)
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(picker(&st), None, "the picker closes");
    assert!(st.detail.is_some(), "the overlay stays");
    // Back in the picker closes the picker, not the overlay.
    update(&mut st, Msg::Action(Action::DetailStatus));
    update(&mut st, Msg::Action(Action::Back));
    assert_eq!(picker(&st), None);
    assert!(st.detail.is_some());
    // Notify on, then pick "Odeslaná" (4) with the open key.
    update(&mut st, Msg::Action(Action::DetailNotify));
    update(&mut st, Msg::Action(Action::DetailStatus));
    update(&mut st, Msg::Action(Action::Down));
    let fx = update(&mut st, Msg::Action(Action::DetailOpen));
    assert!(
        matches!(fx.as_slice(), [Effect::Detail(DetailEffect::SetStatus { status, notify: true, .. })] if status == "4"),
        "{fx:?}"
    );
    update(
        &mut st,
        Msg::Detail(DetailMsg::StatusQueued {
            key: o.key(),
            status: "4".into(),
            notify: true,
            result: Ok(()),
        }),
    );
    assert_eq!(
        st.detail.as_ref().and_then(|d| d.note.clone()),
        Some(DetailNote::StatusQueued {
            status: "4".into(),
            notify: true
        })
    );
}

#[test]
fn without_the_shop_status_list_the_status_is_typed() {
    let o = order("CZ1");
    let mut st = state_with(&o);
    loaded(&mut st, &o, None, None);
    open_detail(&mut st);
    update(
        &mut st,
        Msg::Detail(DetailMsg::Statuses(Err("upgates: cannot reach".into()))),
    );
    update(&mut st, Msg::Action(Action::DetailStatus));
    assert_eq!(st.detail.as_ref().and_then(|d| d.picker), None);
    assert!(
        matches!(
            st.prompt.as_ref().map(|p| p.kind),
            Some(PromptKind::Detail(DetailPrompt::Status))
        ),
        "typing is the fallback"
    );
    let fx = submit(&mut st, "7");
    assert!(
        matches!(fx.as_slice(), [Effect::Detail(DetailEffect::SetStatus { status, .. })] if status == "7"),
        "{fx:?}"
    );
}

#[test]
fn find_runs_in_the_background_and_shows_the_result() {
    let o = order("CZ1");
    let mut st = state_with(&o);
    open_detail(&mut st);
    update(&mut st, Msg::Action(Action::DetailFind));
    let fx = submit(&mut st, "+420 601 234 567 2025-03-01..2025-03-31");
    match fx.as_slice() {
        [Effect::Detail(DetailEffect::Find(OrderQuery::Phone { phone, .. }))] => {
            assert_eq!(phone, "+420 601 234 567")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        st.detail.as_ref().and_then(|d| d.note.clone()),
        Some(DetailNote::Searching)
    );
    update(
        &mut st,
        Msg::Detail(DetailMsg::Found(Ok(vec!["CZ1  …".into(), "CZ7  …".into()]))),
    );
    let d = st.detail.as_ref().expect("detail");
    assert_eq!((d.found.len(), d.note.clone()), (2, None));
    update(&mut st, Msg::Detail(DetailMsg::Found(Ok(Vec::new()))));
    assert_eq!(
        st.detail.as_ref().and_then(|d| d.note.clone()),
        Some(DetailNote::NothingFound)
    );
    update(&mut st, Msg::Action(Action::DetailFind));
    let fx = submit(&mut st, "+420601234567 2025-03-09..2025-03-01");
    assert!(fx.is_empty());
    assert!(matches!(
        st.detail.as_ref().and_then(|d| d.note.clone()),
        Some(DetailNote::BadQuery { .. })
    ));
}

#[test]
fn verify_compares_the_email_without_case() {
    let o = order("CZ1");
    let mut st = state_with(&o);
    loaded(&mut st, &o, None, None);
    open_detail(&mut st);
    update(&mut st, Msg::Action(Action::DetailVerify));
    assert!(submit(&mut st, " jiri.novy@example.CZ ").is_empty());
    assert!(matches!(
        st.detail.as_ref().and_then(|d| d.note.clone()),
        Some(DetailNote::Verified { belongs: true, .. })
    ));
    update(&mut st, Msg::Action(Action::DetailVerify));
    submit(&mut st, "someone@else.cz");
    assert!(matches!(
        st.detail.as_ref().and_then(|d| d.note.clone()),
        Some(DetailNote::Verified { belongs: false, .. })
    ));
}

#[test]
fn detail_keys_do_nothing_without_the_overlay() {
    let o = order("CZ1");
    let mut st = state_with(&o);
    for a in [
        Action::DetailStatus,
        Action::DetailNotify,
        Action::DetailFind,
        Action::DetailVerify,
        Action::DetailOpen,
    ] {
        assert!(update(&mut st, Msg::Action(a)).is_empty());
        assert!(st.prompt.is_none() && st.detail.is_none() && st.banner.is_none());
    }
}

#[test]
fn reprint_and_slip_from_the_detail_of_a_queue_row() {
    let o = order("CZ3");
    let mut st = state_with(&o);
    open_detail(&mut st);
    let mut ready = Shipment::pending(&o.key(), 1, 1, "balikobot");
    ready.state = crate::domain::ShipmentState::Ready;
    ready.label_path = Some("/tmp/CZ3-1.pdf".into());
    let mut dropped = Shipment::pending(&o.key(), 2, 2, "balikobot");
    dropped.state = crate::domain::ShipmentState::Dropped;
    detail_loaded(&mut st, &o, vec![ready.clone(), dropped]);
    // F10 in the queue (bulk labels) and PD:REPRINT both reprint this order's ready labels.
    for a in [Action::BulkLabels, Action::Reprint] {
        let fx = update(&mut st, Msg::Action(a));
        assert!(
            matches!(fx.as_slice(), [Effect::Reprint { order, shipments }]
                if order.number == "CZ3" && shipments == std::slice::from_ref(&ready)),
            "{a:?}: {fx:?}"
        );
    }
    let fx = update(&mut st, Msg::Action(Action::Slip));
    assert!(
        matches!(fx.as_slice(), [Effect::Print(crate::app::print::PrintFx::Slip { order, auto: false, .. })]
            if order.number == "CZ3"),
        "{fx:?}"
    );
    assert!(st.detail.is_some(), "the overlay stays open");
}

#[test]
fn reprint_from_the_detail_without_a_label_says_so() {
    let o = order("CZ4");
    let mut st = state_with(&o);
    open_detail(&mut st);
    detail_loaded(&mut st, &o, vec![]);
    let fx = update(&mut st, Msg::Action(Action::Reprint));
    assert!(
        fx.iter().all(|e| !matches!(e, Effect::Reprint { .. })),
        "{fx:?}"
    );
    assert!(
        matches!(&st.banner, Some(Notice::LabelFailed { number, .. }) if number == "CZ4"),
        "{:?}",
        st.banner
    );
}

fn docs_of(st: &mut AppState, o: &Order, docs: Vec<DocRef>) {
    detail_loaded(st, o, vec![]);
    update(st, Msg::Detail(DetailMsg::Docs { key: o.key(), docs }));
}

fn label(parcel_no: u32) -> DocRef {
    DocRef::Label {
        parcel_no,
        tracking: Some(format!("DR{parcel_no}")),
        zpl: false,
    }
}

#[test]
fn documents_are_selected_with_the_list_keys_and_opened_in_the_background() {
    let o = order("CZ5");
    let mut st = state_with(&o);
    open_detail(&mut st);
    let all = vec![
        DocRef::ShopPdf { cached: false },
        DocRef::Slip,
        label(1),
        DocRef::Handover,
    ];
    docs_of(&mut st, &o, all.clone());
    // Another order's list is not this one's.
    update(
        &mut st,
        Msg::Detail(DetailMsg::Docs {
            key: "upgates:OTHER".into(),
            docs: vec![],
        }),
    );
    let selected = |st: &AppState| st.detail.as_ref().map(|d| d.doc_selected);
    assert_eq!(st.detail.as_ref().map(|d| d.docs.clone()), Some(all));
    for _ in 0..6 {
        update(&mut st, Msg::Action(Action::Down));
    }
    assert_eq!(selected(&st), Some(3), "stops at the last document");
    update(&mut st, Msg::Action(Action::Up));
    assert_eq!(selected(&st), Some(2));
    let fx = update(&mut st, Msg::Action(Action::DetailOpen));
    assert!(
        matches!(fx.as_slice(), [Effect::Detail(DetailEffect::OpenDoc { order, doc })]
            if order.number == "CZ5" && *doc == label(1)),
        "{fx:?}"
    );
    // The shop's PDF: once opened it is kept, and the list says so.
    update(&mut st, Msg::Action(Action::Up));
    update(&mut st, Msg::Action(Action::Up));
    let fx = update(&mut st, Msg::Action(Action::DetailOpen));
    assert!(
        matches!(
            fx.as_slice(),
            [Effect::Detail(DetailEffect::OpenDoc {
                doc: DocRef::ShopPdf { .. },
                ..
            })]
        ),
        "{fx:?}"
    );
    let printed = DocNote {
        number: "CZ5".into(),
        doc: DocRef::ShopPdf { cached: false },
        outcome: DocOutcome::Printed {
            printer: "IPP printer ipp://office/printers/Office".into(),
        },
    };
    update(&mut st, Msg::Detail(DetailMsg::DocDone(printed.clone())));
    assert_eq!(st.banner, Some(Notice::Doc(printed.clone())));
    assert_eq!(
        st.banner.as_ref().map(Notice::tone),
        Some(crate::app::Tone::Ok)
    );
    assert_eq!(
        st.detail.as_ref().and_then(|d| d.docs.first().cloned()),
        Some(DocRef::ShopPdf { cached: true })
    );
    // A failure that arrives after the overlay was closed still shows.
    update(&mut st, Msg::Action(Action::Back));
    assert!(st.detail.is_none());
    let failed = DocNote {
        outcome: DocOutcome::Failed {
            error: "upgates: order CZ5 not found".into(),
        },
        ..printed
    };
    update(&mut st, Msg::Detail(DetailMsg::DocDone(failed.clone())));
    assert_eq!(st.banner, Some(Notice::Doc(failed)));
    assert_eq!(
        st.banner.as_ref().map(Notice::tone),
        Some(crate::app::Tone::Error)
    );
}

#[test]
fn a_shop_without_documents_says_so_instead_of_fetching() {
    let o = order("CZ6");
    let mut st = state_with(&o);
    open_detail(&mut st);
    docs_of(
        &mut st,
        &o,
        vec![
            DocRef::NoShopDoc {
                shop: "baselinker".into(),
            },
            DocRef::Slip,
        ],
    );
    let fx = update(&mut st, Msg::Action(Action::DetailOpen));
    assert!(fx.is_empty(), "{fx:?}");
    assert!(
        matches!(&st.banner, Some(Notice::Doc(DocNote { outcome: DocOutcome::NotOffered { shop }, .. })) if shop == "baselinker"),
        "{:?}",
        st.banner
    );
    assert_eq!(
        st.banner.as_ref().map(Notice::tone),
        Some(crate::app::Tone::Warn),
        "not an error"
    );
    update(&mut st, Msg::Action(Action::Down));
    let fx = update(&mut st, Msg::Action(Action::DetailOpen));
    assert!(
        matches!(
            fx.as_slice(),
            [Effect::Detail(DetailEffect::OpenDoc {
                doc: DocRef::Slip,
                ..
            })]
        ),
        "{fx:?}"
    );
}

#[test]
fn scanning_another_order_closes_the_overlay() {
    let a = order("CZ250007");
    let b = order("CZ250008");
    let mut st = state_with(&a);
    open_detail(&mut st);
    assert_eq!(
        st.detail.as_ref().map(|d| d.key.as_str()),
        Some("upgates:CZ250007")
    );
    // Scanning the order it shows keeps it open (it is about that order).
    open_by(&mut st, &a, "CZ250007");
    assert_eq!(
        st.pack.as_ref().map(|p| p.order.number.as_str()),
        Some("CZ250007")
    );
    assert!(st.detail.is_some(), "shows CZ250007, which was just opened");
    // Scanning another order's barcode closes it: the packer sees that order.
    open_by(&mut st, &b, "CZ250008");
    assert!(st.detail.is_none(), "closed over the new order");
    assert_eq!(
        st.pack.as_ref().map(|p| p.order.number.as_str()),
        Some("CZ250008")
    );
    // A reload without a scan (the order changed in the shop) leaves it open.
    open_detail(&mut st);
    update(
        &mut st,
        Msg::OrderLoaded {
            order: Box::new(a.clone()),
            session: None,
            shipments: vec![],
            via: None,
            photos: 0,
        },
    );
    assert!(st.detail.is_some());
}
