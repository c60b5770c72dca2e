//! Reducer tests of the durable queue marks: every change goes to the store as an effect
//! (written before the next frame), a failed write is taken back, the marks come back at
//! start, and marks of orders that left the queue are dropped.

use crate::app::print::{BenchNotice, MarksChange, PrintFx, PrintMsg};
use crate::app::testkit;
use crate::app::{Action, AppState, Effect, Msg, Notice, Queue, update};
use crate::domain::{Order, OrderState, OrderSummary, Shipment, ShipmentState};

fn rows(list: &[(&str, OrderState)]) -> Vec<OrderSummary> {
    list.iter()
        .map(|(n, s)| OrderSummary::of(&testkit::order(n), *s))
        .collect()
}

fn state(list: &[(&str, OrderState)]) -> AppState {
    testkit::state(rows(list))
}

fn changes(fx: &[Effect]) -> Vec<MarksChange> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Print(PrintFx::Marks(c)) => Some(c.clone()),
            _ => None,
        })
        .collect()
}

fn keys(v: &[&str]) -> Vec<String> {
    v.iter().map(|n| format!("demo:{n}")).collect()
}

#[test]
fn every_mark_change_is_written_and_a_failed_write_is_taken_back() {
    let mut st = state(&[("CZ1", OrderState::Packed), ("CZ2", OrderState::Packed)]);
    st.queue.set_tab(2);
    let fx = update(&mut st, Msg::Action(Action::Mark));
    assert_eq!(changes(&fx), vec![MarksChange::Add(keys(&["CZ1"]))]);
    update(&mut st, Msg::Action(Action::Up));
    let fx = update(&mut st, Msg::Action(Action::Mark));
    assert_eq!(changes(&fx), vec![MarksChange::Remove(keys(&["CZ1"]))]);
    let fx = update(&mut st, Msg::Action(Action::MarkAll));
    assert_eq!(changes(&fx), vec![MarksChange::Add(keys(&["CZ1", "CZ2"]))]);
    // Marking all again adds nothing, writes nothing.
    assert!(changes(&update(&mut st, Msg::Action(Action::MarkAll))).is_empty());
    let fx = update(&mut st, Msg::Action(Action::MarkNone));
    assert_eq!(
        changes(&fx),
        vec![MarksChange::Clear {
            previous: keys(&["CZ1", "CZ2"])
        }]
    );
    // The store refused the clear: the marks are back, and the packer is told.
    let change = changes(&fx).remove(0);
    update(
        &mut st,
        Msg::Bench(PrintMsg::MarksNotSaved {
            change,
            error: "disk full".into(),
        }),
    );
    assert_eq!(st.bench.marks.keys(), keys(&["CZ1", "CZ2"]));
    assert!(matches!(
        &st.banner,
        Some(Notice::Bench(BenchNotice::MarksNotSaved { .. }))
    ));
    // A refused add is taken back too.
    update(
        &mut st,
        Msg::Bench(PrintMsg::MarksNotSaved {
            change: MarksChange::Add(keys(&["CZ2"])),
            error: "disk full".into(),
        }),
    );
    assert_eq!(st.bench.marks.keys(), keys(&["CZ1"]));
}

#[test]
fn bulk_work_done_clears_the_marks_durably() {
    let mut st = state(&[("CZ1", OrderState::Packed), ("CZ2", OrderState::Packed)]);
    st.queue.set_tab(2);
    update(&mut st, Msg::Action(Action::MarkAll));
    update(&mut st, Msg::Action(Action::BulkShip));
    let fx = update(
        &mut st,
        Msg::Bench(PrintMsg::Notice(BenchNotice::BulkShipped {
            queued: 2,
            skipped: 0,
        })),
    );
    assert!(st.bench.marks.is_empty());
    assert_eq!(
        changes(&fx),
        vec![MarksChange::Clear {
            previous: keys(&["CZ1", "CZ2"])
        }]
    );
}

/// At start the stored marks come back before the queue: those of orders the loaded
/// queue lacks, or that were cancelled or handed over meanwhile, are dropped (durably).
#[test]
fn marks_restored_at_start_drop_orders_that_left_the_queue() {
    let mut st = state(&[]);
    st.queue_loading = Some(Vec::new());
    let fx = update(
        &mut st,
        Msg::Bench(PrintMsg::Marks(Ok(keys(&["CZ1", "CZ2", "CZ3", "CZ4"])))),
    );
    assert!(changes(&fx).is_empty(), "the queue is not here yet: {fx:?}");
    assert_eq!(st.bench.marks.len(), 4);
    let queue = Queue::new(rows(&[
        ("CZ1", OrderState::Ready),
        ("CZ2", OrderState::Cancelled),
        ("CZ3", OrderState::Dispatched),
    ]));
    let fx = update(&mut st, Msg::QueueLoaded(Box::new(queue)));
    assert_eq!(st.bench.marks.keys(), keys(&["CZ1"]));
    assert_eq!(
        changes(&fx),
        vec![MarksChange::Remove(keys(&["CZ2", "CZ3", "CZ4"]))]
    );
    // Unreadable: said so, nothing marked.
    let mut st = state(&[]);
    update(&mut st, Msg::Bench(PrintMsg::Marks(Err("damaged".into()))));
    assert!(st.bench.marks.is_empty());
    assert!(matches!(
        &st.banner,
        Some(Notice::Bench(BenchNotice::MarksNotRead { .. }))
    ));
}

/// A marked order that is handed over (its last parcel dispatched) or cancelled by the
/// sync leaves the queue's bulk work: its mark goes, durably. A scan never writes marks.
#[test]
fn a_marked_order_dispatched_or_cancelled_loses_its_mark() {
    let mut st = state(&[("CZ1", OrderState::Ready), ("CZ2", OrderState::Ready)]);
    st.queue.set_tab(3);
    update(&mut st, Msg::Action(Action::MarkAll));
    let o: Order = testkit::order("CZ1");
    let mut s = Shipment::pending(&o.key(), 1, 1, "own");
    s.state = ShipmentState::Dispatched;
    let fx = update(&mut st, Msg::Shipment(Box::new(s)));
    assert_eq!(changes(&fx), vec![MarksChange::Remove(keys(&["CZ1"]))]);
    let mut c = OrderSummary::of(&testkit::order("CZ2"), OrderState::Cancelled);
    c.revision = 1;
    let fx = update(&mut st, Msg::RowsChanged(vec![c]));
    assert_eq!(changes(&fx), vec![MarksChange::Remove(keys(&["CZ2"]))]);
    assert!(st.bench.marks.is_empty());
    // A row that changes but stays in the queue keeps its mark, and writes nothing.
    let mut st = state(&[("CZ3", OrderState::Packed)]);
    st.queue.set_tab(2);
    update(&mut st, Msg::Action(Action::Mark));
    let r = OrderSummary::of(&testkit::order("CZ3"), OrderState::Ready);
    assert!(changes(&update(&mut st, Msg::RowsChanged(vec![r]))).is_empty());
    assert_eq!(st.bench.marks.len(), 1);
}
