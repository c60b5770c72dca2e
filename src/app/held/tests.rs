//! Reducer tests of held and cancelled orders: the Held tab, the refusal naming the shop
//! status, an order held or cancelled upstream while open, and the abort that moves its
//! row out of "In progress".

use super::*;
use crate::app::testkit::{self, EAN, loaded, refused_not_queued, scan_item, steps};
use crate::app::{Action, Msg, update};
use crate::domain::{NOT_QUEUED, OrderSummary, Qty};

fn order(number: &str) -> Order {
    let mut o = testkit::order(number);
    o.source = "upgates".into();
    o.lines[0].quantity = Qty::units(2);
    o.shop_status = "1".into();
    o
}

/// `o` put on hold upstream: status 7, flagged by the status mapping, a new revision.
fn held(o: &Order) -> Order {
    let mut h = o.clone();
    h.shop_status = "7".into();
    h.flags.push(NOT_QUEUED.into());
    h.revision += 1;
    h
}

fn state_with(rows: Vec<OrderSummary>) -> AppState {
    let mut st = testkit::state(rows);
    update(
        &mut st,
        Msg::ShopStatuses(vec![
            StatusName {
                id: "1".into(),
                name: "Přijatá".into(),
            },
            StatusName {
                id: "7".into(),
                name: "Čeká na platbu".into(),
            },
        ]),
    );
    st
}

fn saved_rows(fx: &[Effect]) -> Vec<OrderState> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Persist(Persist::Summary(r)) => Some(r.state),
            _ => None,
        })
        .collect()
}

/// A bench listing `o` to pack, where `o` was opened by a scan of its number and its
/// first item scanned.
fn packing_one_item(o: &Order) -> AppState {
    let mut st = state_with(vec![OrderSummary::of(o, OrderState::ToPack)]);
    loaded(&mut st, o, None, Some(&o.number));
    scan_item(&mut st, EAN);
    st
}

#[test]
fn held_rows_have_their_own_tab_showing_the_status_name() {
    let a = order("CZ1");
    let h = held(&order("CZ2"));
    let st = state_with(vec![
        OrderSummary::of(&a, OrderState::ToPack),
        OrderSummary::of(&h, OrderState::Held),
    ]);
    let held_tab = crate::app::TABS
        .iter()
        .position(|s| *s == OrderState::Held)
        .expect("a Held tab");
    assert_eq!(st.queue.count(held_tab), 1);
    assert_eq!(st.queue.count(0), 1, "not in To pack");
    let mut q = st.queue;
    q.set_tab(held_tab);
    let row = q.selected_row().expect("the held row");
    assert_eq!(row.number(), "CZ2");
    assert_eq!(row.shop_status(), "7");
    assert_eq!(st.held.label(row.shop_status()), "Čeká na platbu");
    // Unknown to the list: the status as the order carries it; none: a dash.
    assert_eq!(st.held.label(" 99 "), "99");
    assert_eq!(st.held.label(""), "-");
}

#[test]
fn scanning_a_held_order_refuses_it_naming_its_shop_status() {
    let h = held(&order("CZ2"));
    let mut st = state_with(vec![OrderSummary::of(&h, OrderState::Held)]);
    let fx = loaded(&mut st, &h, None, Some("CZ2"));
    assert_eq!(steps(&fx), 0, "not claimed: nothing written for it");
    assert!(st.pack.as_ref().is_some_and(|p| !p.claimed));
    assert!(
        refused_not_queued(&st, "Čeká na platbu"),
        "the banner names the status: {:?}",
        st.banner
    );
    assert!(fx.iter().any(|e| matches!(e, Effect::Bell)), "loud");
    // A scan on it is refused the same way, and counts nothing.
    st.banner = None;
    assert_eq!(steps(&scan_item(&mut st, EAN)), 0);
    assert!(refused_not_queued(&st, "Čeká na platbu"), "{:?}", st.banner);
    // Leaving it writes no row: it was never started here.
    let fx = update(&mut st, Msg::Action(Action::Abort));
    assert!(saved_rows(&fx).is_empty(), "{fx:?}");
    assert_eq!(
        st.queue.row("upgates:CZ2").map(|r| r.state),
        Some(OrderState::Held)
    );
}

/// The sync reports the open order held: the bench warns the packer at once, keeps what
/// was scanned, refuses further scans, and on Esc the row is Held (not In progress).
#[test]
fn an_order_held_upstream_while_open_warns_and_leaves_in_progress() {
    let o = order("CZ1");
    let mut st = state_with(vec![OrderSummary::of(&o, OrderState::ToPack)]);
    assert!(
        steps(&loaded(&mut st, &o, None, Some("CZ1"))) > 0,
        "claimed"
    );
    assert_eq!(steps(&scan_item(&mut st, EAN)), 1);
    assert_eq!(
        st.queue.row("upgates:CZ1").map(|r| r.state),
        Some(OrderState::InProgress)
    );
    let session = st.pack.as_ref().map(|p| p.session.clone());
    let h = held(&o);
    // As an older store sent it: the row still says In progress.
    let fx = update(
        &mut st,
        Msg::RowsChanged(vec![OrderSummary::of(&h, OrderState::InProgress)]),
    );
    assert!(
        fx.iter().any(|e| matches!(e, Effect::LoadOrder { .. })),
        "{fx:?}"
    );
    let fx = loaded(&mut st, &h, session, None);
    assert_eq!(steps(&fx), 0, "the session is kept, not started over");
    assert!(
        matches!(
            &st.banner,
            Some(Notice::Held(HeldNote::HeldWhileOpen { number, status }))
                if number == "CZ1" && status == "Čeká na platbu"
        ),
        "{:?}",
        st.banner
    );
    assert!(fx.iter().any(|e| matches!(e, Effect::Bell)), "loud");
    let fx = update(&mut st, Msg::Action(Action::Abort));
    assert_eq!(saved_rows(&fx), vec![OrderState::Held], "{fx:?}");
    let row = st.queue.row("upgates:CZ1").expect("row");
    assert_eq!(row.state, OrderState::Held);
    assert_eq!(row.shop_status, "7", "the Held tab shows its status");
    assert_eq!(st.queue.count(1), 0, "nothing left In progress");
}

#[test]
fn an_order_cancelled_upstream_while_open_is_not_started_over_and_leaves() {
    let o = order("CZ1");
    let mut st = packing_one_item(&o);
    let session = st.pack.as_ref().map(|p| p.session.clone());
    let mut c = o.clone();
    c.cancelled = true;
    c.shop_status = "3".into();
    c.revision = 1;
    update(
        &mut st,
        Msg::RowsChanged(vec![OrderSummary::of(&c, OrderState::Cancelled)]),
    );
    let fx = loaded(&mut st, &c, session, None);
    // Before: a changed revision started a new session and put the row back In progress.
    assert_eq!(steps(&fx), 0, "not claimed again: {fx:?}");
    assert_ne!(
        st.queue.row("upgates:CZ1").map(|r| r.state),
        Some(OrderState::InProgress)
    );
    assert!(
        matches!(
            &st.banner,
            Some(Notice::Held(HeldNote::CancelledWhileOpen { number })) if number == "CZ1"
        ),
        "{:?}",
        st.banner
    );
    assert_eq!(
        st.pack.as_ref().map(|p| p.session.lines[0].scanned),
        Some(Qty::units(1))
    );
    update(&mut st, Msg::Action(Action::Abort));
    assert_eq!(
        st.queue.row("upgates:CZ1").map(|r| r.state),
        Some(OrderState::Cancelled)
    );
}

#[test]
fn aborting_a_packable_order_keeps_it_in_progress() {
    let o = order("CZ1");
    let mut st = packing_one_item(&o);
    let fx = update(&mut st, Msg::Action(Action::Abort));
    assert!(saved_rows(&fx).is_empty(), "{fx:?}");
    assert_eq!(
        st.queue.row("upgates:CZ1").map(|r| r.state),
        Some(OrderState::InProgress)
    );
    assert!(matches!(st.banner, Some(Notice::Aborted { .. })));
}

/// Reopened after a restart (not a reload of the open order): the plain refusal, no
/// "while open" banner.
#[test]
fn a_held_session_resumed_after_a_restart_is_refused_plainly() {
    let o = order("CZ1");
    let st = packing_one_item(&o);
    let session = st.pack.as_ref().map(|p| p.session.clone());
    let h = held(&o);
    let mut st = state_with(vec![OrderSummary::of(&h, OrderState::Held)]);
    loaded(&mut st, &h, session, None);
    assert!(refused_not_queued(&st, "Čeká na platbu"), "{:?}", st.banner);
}

/// A scan on an order held since it was opened is refused and not counted; the ledger
/// notes the refusal, and the row it writes with it is Held, not "In progress".
#[test]
fn a_refused_scan_on_a_held_session_keeps_its_row_out_of_in_progress() {
    let o = order("CZ1");
    let mut st = packing_one_item(&o);
    let session = st.pack.as_ref().map(|p| p.session.clone());
    let h = held(&o);
    update(
        &mut st,
        Msg::RowsChanged(vec![OrderSummary::of(&h, OrderState::InProgress)]),
    );
    loaded(&mut st, &h, session, None);
    // A scan is refused and not counted; the ledger notes it, the row stays out of
    // "In progress".
    let scanned = |st: &AppState| st.pack.as_ref().map(|p| p.session.lines[0].scanned);
    let before = scanned(&st);
    let fx = scan_item(&mut st, EAN);
    assert_eq!(scanned(&st), before);
    for e in &fx {
        if let Effect::Persist(Persist::Step { summary, .. }) = e {
            assert_eq!(summary.state, OrderState::Held);
        }
    }
    assert_eq!(
        st.queue.count(1),
        0,
        "nothing In progress after the refused scan"
    );
}
