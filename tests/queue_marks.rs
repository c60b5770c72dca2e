//! Queue marks through the real runner and a real sled directory: marked rows are on
//! disk before the next frame, come back after a restart (the directory opened again),
//! and the marks of orders cancelled meanwhile are dropped when the queue arrives.

use std::time::Instant;

use packdesk::app::print::PrintFx;
use packdesk::app::{Action, AppState, Effect, Msg};
use packdesk::domain::{OrderState, OrderSummary};
use packdesk::effects::{Pipeline, Runner, dispatch};
use packdesk::outbox::Outbox;
use packdesk::store::Store;

mod common;
use common::bench_state;

fn bench(store: &Store, dir: &std::path::Path) -> (AppState, Runner) {
    let outbox = Outbox::open(store).expect("outbox");
    let pipeline = Pipeline::new(
        outbox,
        store.clone(),
        &dir.join("out"),
        Vec::new(),
        None,
        "own",
    );
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let runner = Runner::new(store.clone(), pipeline, tx);
    let mut st = bench_state(vec![]);
    // As `bench()` starts: the marks first, then the queue loaded in the background.
    st.queue_loading = Some(Vec::new());
    let start = Instant::now();
    for m in runner.run(Effect::Print(PrintFx::LoadMarks)) {
        dispatch(&mut st, &runner, m, start);
    }
    let queue = packdesk::app::queue::load(store).expect("queue");
    dispatch(&mut st, &runner, Msg::QueueLoaded(Box::new(queue)), start);
    (st, runner)
}

#[tokio::test]
async fn marks_are_kept_across_a_restart_and_dropped_for_orders_gone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let orders = packdesk::demo::generate(5, 8, chrono::Utc::now());
    let start = Instant::now();
    let marked = {
        let store = Store::open(&data).expect("store");
        store.import_orders(&orders).expect("import");
        let (mut st, runner) = bench(&store, dir.path());
        assert!(st.bench.marks.is_empty());
        dispatch(&mut st, &runner, Msg::Action(Action::MarkAll), start);
        let marked = st.bench.marks.keys();
        assert!(marked.len() >= 3, "{:?}", st.banner);
        // Durable now, before any frame: the store has them.
        assert_eq!(store.marks().expect("marks"), marked);
        // Unmark the first: gone from disk too.
        dispatch(&mut st, &runner, Msg::Action(Action::Top), start);
        dispatch(&mut st, &runner, Msg::Action(Action::Mark), start);
        assert_eq!(store.marks().expect("marks"), st.bench.marks.keys());
        assert_eq!(st.bench.marks.len(), marked.len() - 1);
        st.bench.marks.keys()
    };
    // Restart: the marks come back, in their order.
    {
        let store = Store::open(&data).expect("reopen");
        let (st, _runner) = bench(&store, dir.path());
        assert_eq!(st.bench.marks.keys(), marked);
        // Meanwhile (a sync while the bench was off) one marked order was cancelled.
        let mut row: OrderSummary = store.summary(&marked[0]).expect("read").expect("row");
        row.state = OrderState::Cancelled;
        store.save_summary(&row).expect("save");
    }
    let store = Store::open(&data).expect("reopen");
    let (st, _runner) = bench(&store, dir.path());
    assert_eq!(st.bench.marks.keys(), marked[1..].to_vec());
    assert_eq!(
        store.marks().expect("marks"),
        marked[1..].to_vec(),
        "dropped on disk too"
    );
}
