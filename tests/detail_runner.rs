//! The order detail overlay's effects against the Upgates simulator through the real
//! client: the status list in the background, a status change through the outbox (sent by
//! the worker), a search by e-mail in the background.

use std::sync::Arc;
use std::time::{Duration, Instant};

use packdesk::app::detail::{DetailEffect, DetailMsg};
use packdesk::app::{Effect, Msg};
use packdesk::carrier::own::OwnLabel;
use packdesk::effects::{Pipeline, Runner};
use packdesk::outbox::{Outbox, Worker, WorkerOptions};
use packdesk::shop::OrderQuery;
use packdesk::sim::upgates::demo_order_json;
use packdesk::store::Store;

mod common;
use common::{UpgatesShop, next_detail, upgates_shop};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detail_effects_reach_the_shop() {
    let orders = packdesk::demo::generate(8, 10, chrono::Utc::now());
    let UpgatesShop { sim, _run, shop } =
        upgates_shop(orders.iter().map(demo_order_json).collect()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    let mut o = orders[4].clone();
    o.source = "upgates".into();
    store
        .import_orders(std::slice::from_ref(&o))
        .expect("import");
    let outbox = Outbox::open(&store).expect("outbox");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let pipeline = Pipeline::new(
        outbox.clone(),
        store.clone(),
        &dir.path().join("out"),
        Vec::new(),
        None,
        "own",
    );
    let runner = Runner::new(store.clone(), pipeline, tx.clone()).with_shop(shop.clone());

    // Load: the order at once, the status list in the background.
    let now = runner.run(Effect::Detail(DetailEffect::Load { key: o.key() }));
    assert!(
        matches!(now.as_slice(), [Msg::Detail(DetailMsg::Loaded { order: Some(x), .. })] if x.number == o.number),
        "{now:?}"
    );
    match next_detail(&mut rx).await {
        DetailMsg::Statuses(Ok(list)) => {
            assert!(
                list.iter().any(|s| s.id == "5" && s.name == "Zabalená"),
                "{list:?}"
            )
        }
        other => panic!("{other:?}"),
    }
    // The second open answers from the cache, without a request.
    let before = sim.request_count();
    let again = runner.run(Effect::Detail(DetailEffect::Load { key: o.key() }));
    assert!(
        again
            .iter()
            .any(|m| matches!(m, Msg::Detail(DetailMsg::Statuses(Ok(_)))))
    );
    assert_eq!(sim.request_count(), before);

    // Status change: durable in the outbox, then sent by the worker.
    let queued = runner.run(Effect::Detail(DetailEffect::SetStatus {
        order: Box::new(o.clone()),
        status: "5".into(),
        notify: false,
    }));
    assert!(
        matches!(
            queued.as_slice(),
            [Msg::Detail(DetailMsg::StatusQueued { result: Ok(()), .. })]
        ),
        "{queued:?}"
    );
    assert_eq!(outbox.counts().expect("counts").pending, 1);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let carrier = Arc::new(OwnLabel::new(
        store.clone(),
        &dir.path().join("out"),
        "Shop",
    ));
    let worker =
        Worker::new(outbox.clone(), shop.clone(), carrier, |_| {}).with_options(WorkerOptions {
            batch_window: Duration::from_millis(50),
            ..WorkerOptions::default()
        });
    let task = tokio::spawn(worker.run(stopped));
    let deadline = Instant::now() + Duration::from_secs(10);
    while sim
        .order(&o.number)
        .is_none_or(|w| w["status_id"] != serde_json::json!(5))
    {
        assert!(Instant::now() < deadline, "status not set in the shop");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(sim.emails_sent(), 0, "not notified");
    let _ = stop.send(true);
    task.await.expect("join").expect("worker");

    // Search by e-mail, in the background.
    let none = runner.run(Effect::Detail(DetailEffect::Find(OrderQuery::Email(
        o.customer.email.clone(),
    ))));
    assert!(none.is_empty(), "answered later: {none:?}");
    match next_detail(&mut rx).await {
        DetailMsg::Found(Ok(lines)) => {
            assert!(lines.iter().any(|l| l.starts_with(&o.number)), "{lines:?}")
        }
        other => panic!("{other:?}"),
    }
    // A number the shop does not know but this station does: found in the store.
    let mut local = orders[6].clone();
    local.source = "upgates".into();
    local.number = "LOCAL-7".into();
    store
        .import_orders(std::slice::from_ref(&local))
        .expect("import");
    runner.run(Effect::Detail(DetailEffect::Find(OrderQuery::Number(
        "LOCAL-7".into(),
    ))));
    match next_detail(&mut rx).await {
        DetailMsg::Found(Ok(lines)) => {
            assert!(lines.iter().any(|l| l.starts_with("LOCAL-7")), "{lines:?}")
        }
        other => panic!("{other:?}"),
    }
    // Nowhere: an empty answer, not an error.
    runner.run(Effect::Detail(DetailEffect::Find(OrderQuery::Number(
        "NOPE-1".into(),
    ))));
    assert_eq!(next_detail(&mut rx).await, DetailMsg::Found(Ok(Vec::new())));
}
