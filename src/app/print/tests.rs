//! Pure tests of the printing and bulk actions: messages in, state and effects out.

use super::*;
use crate::app::{Msg, update};
use crate::domain::{OrderState, OrderSummary};

use crate::app::testkit::{self, EAN, open, scan_item, type_scan};

fn order(number: &str) -> Order {
    let mut o = testkit::order(number);
    o.customer.name = "Řehoř".into();
    o
}

fn state(orders: &[(&Order, OrderState)]) -> AppState {
    testkit::state(
        orders
            .iter()
            .map(|(o, s)| OrderSummary::of(o, *s))
            .collect(),
    )
}

fn act(st: &mut AppState, a: Action) -> Vec<Effect> {
    update(st, Msg::Action(a))
}

fn slips(fx: &[Effect]) -> Vec<(String, bool)> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Print(PrintFx::Slip { order, auto, .. }) => Some((order.number.clone(), *auto)),
            _ => None,
        })
        .collect()
}

#[test]
fn packing_asks_for_the_slip_and_the_slip_key_prints_it_on_demand() {
    let o = order("CZ1");
    let mut st = state(&[(&o, OrderState::ToPack)]);
    // Without an open order the slip key says so and asks for nothing.
    assert!(act(&mut st, Action::Slip).is_empty());
    assert_eq!(st.banner, Some(Notice::NoOrderOpen));
    open(&mut st, &o);
    scan_item(&mut st, EAN);
    let fx = type_scan(&mut st, "PD:PACK");
    assert_eq!(slips(&fx), [("CZ1".to_string(), true)], "{fx:?}");
    // PD:SLIP prints the open order's slip, whatever the config says.
    let fx = type_scan(&mut st, "PD:SLIP");
    assert_eq!(slips(&fx), [("CZ1".to_string(), false)], "{fx:?}");
    update(
        &mut st,
        Msg::Bench(PrintMsg::Notice(BenchNotice::SlipQueued {
            number: "CZ1".into(),
        })),
    );
    assert!(matches!(
        &st.banner,
        Some(Notice::Bench(BenchNotice::SlipQueued { .. }))
    ));
}

#[test]
fn new_sheet_and_the_quarter_in_the_status() {
    let o = order("CZ1");
    let mut st = state(&[(&o, OrderState::ToPack)]);
    assert_eq!(st.bench.quarter, None);
    let fx = type_scan(&mut st, "PD:NEW-SHEET");
    assert!(
        matches!(fx.as_slice(), [Effect::Print(PrintFx::NewSheet { station })] if station == "bench-1"),
        "{fx:?}"
    );
    update(&mut st, Msg::Bench(PrintMsg::Quarter(Some(3))));
    assert_eq!(st.bench.quarter, Some(3));
    update(&mut st, Msg::Bench(PrintMsg::Quarter(Some(1))));
    assert_eq!(st.bench.quarter, Some(1));
}

#[test]
fn marking_rows_and_bulk_work_on_them() {
    let a = order("CZ1");
    let b = order("CZ2");
    let c = order("CZ3");
    let mut st = state(&[
        (&a, OrderState::Packed),
        (&b, OrderState::Packed),
        (&c, OrderState::ToPack),
    ]);
    st.queue.set_tab(2); // Packed
    assert_eq!(st.queue.visible_len(), 2);
    // Nothing marked: bulk work takes the selected row.
    let fx = act(&mut st, Action::BulkShip);
    assert!(
        matches!(fx.as_slice(), [Effect::Print(PrintFx::BulkShip { keys })] if keys.len() == 1),
        "{fx:?}"
    );
    update(
        &mut st,
        Msg::Bench(PrintMsg::Notice(BenchNotice::BulkShipped {
            queued: 1,
            skipped: 0,
        })),
    );
    assert_eq!(st.jobs, 0);
    // Mark toggles the selected row and moves down.
    let first = st.queue.selected_row().map(|r| r.key.to_string()).unwrap();
    act(&mut st, Action::Mark);
    assert!(st.bench.marks.contains(&first));
    assert_eq!(st.queue.selected(), 1);
    act(&mut st, Action::Up);
    act(&mut st, Action::Mark);
    assert!(st.bench.marks.is_empty(), "a second mark unmarks");
    // Mark all takes the current tab with its filter only.
    act(&mut st, Action::MarkAll);
    assert_eq!(st.bench.marks.len(), 2);
    assert!(!st.bench.marks.contains(&c.key()));
    assert!(matches!(
        &st.banner,
        Some(Notice::Bench(BenchNotice::Marked { count: 2 }))
    ));
    // Marks survive a tab change and a filter; the filter does not see them.
    st.queue.set_tab(0);
    st.queue.set_filter("CZ3");
    act(&mut st, Action::Mark);
    assert_eq!(st.bench.marks.len(), 3);
    let fx = act(&mut st, Action::BulkLabels);
    let Some(Effect::Print(PrintFx::BulkLabels { keys, station })) = fx.first() else {
        panic!("{fx:?}")
    };
    assert_eq!(station, "bench-1");
    assert_eq!(keys, &[a.key(), b.key(), c.key()], "in the order marked");
    assert_eq!(st.jobs, 1);
    update(
        &mut st,
        Msg::Bench(PrintMsg::Notice(BenchNotice::BulkLabels {
            labels: 2,
            skipped: 1,
        })),
    );
    assert_eq!(st.jobs, 0);
    assert!(st.bench.marks.is_empty(), "done: the marks are cleared");
    // Clear, and bulk work with nothing to work on.
    act(&mut st, Action::MarkAll);
    act(&mut st, Action::MarkNone);
    assert!(st.bench.marks.is_empty());
    st.queue.set_filter("nothing-matches");
    assert!(act(&mut st, Action::BulkShip).is_empty());
    assert!(matches!(
        &st.banner,
        Some(Notice::Bench(BenchNotice::NothingMarked))
    ));
}

#[test]
fn queue_marks_are_ignored_on_the_pack_screen() {
    let o = order("CZ1");
    let mut st = state(&[(&o, OrderState::ToPack)]);
    open(&mut st, &o);
    assert!(act(&mut st, Action::MarkAll).is_empty());
    assert!(act(&mut st, Action::BulkShip).is_empty());
    assert!(st.bench.marks.is_empty());
}

#[test]
fn the_print_queue_screen_lists_retries_and_cancels_the_selected_job() {
    let o = order("CZ1");
    let mut st = state(&[(&o, OrderState::ToPack)]);
    let fx = act(&mut st, Action::PrintQueue);
    assert!(matches!(fx.as_slice(), [Effect::Print(PrintFx::List)]));
    let line = |id, state: &str| PrintJobLine {
        id,
        name: format!("label-{id}.pdf"),
        printer: "IPP printer ipp://localhost:631/printers/labels".into(),
        state: state.into(),
        attempts: 2,
        error: Some("printer is off".into()),
    };
    update(
        &mut st,
        Msg::Bench(PrintMsg::Jobs(Ok(vec![
            line(4, "failed"),
            line(6, "queued"),
        ]))),
    );
    act(&mut st, Action::Down);
    let fx = act(&mut st, Action::OutboxRetry);
    assert!(
        matches!(fx.as_slice(), [Effect::Print(PrintFx::Retry(6))]),
        "{fx:?}"
    );
    act(&mut st, Action::Up);
    let fx = act(&mut st, Action::OutboxCancel);
    assert!(
        matches!(fx.as_slice(), [Effect::Print(PrintFx::Cancel(4))]),
        "{fx:?}"
    );
    // While it is open, other keys do not reach the queue.
    assert!(act(&mut st, Action::Open).is_empty());
    update(
        &mut st,
        Msg::Bench(PrintMsg::Jobs(Err("job 4 is done".into()))),
    );
    assert!(matches!(
        &st.banner,
        Some(Notice::Bench(BenchNotice::QueueError { .. }))
    ));
    assert_eq!(st.bench.view.as_ref().map(|v| v.lines.len()), Some(2));
    act(&mut st, Action::Back);
    assert!(st.bench.view.is_none());
    // Retry/cancel without either screen do nothing.
    assert!(act(&mut st, Action::OutboxRetry).is_empty());
}
