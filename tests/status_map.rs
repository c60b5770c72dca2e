//! The shop status decides what the bench does with an order (`[status]`): the sync from
//! the real simulators through the real clients marks cancelled orders cancelled, keeps
//! orders in other statuses out of "To pack", and puts them back when the shop does.

use std::sync::Arc;
use std::time::Duration;

use packdesk::config::StatusSection;
use packdesk::demo::Special;
use packdesk::domain::OrderState;
use packdesk::shop::upgates::UpgatesClient;
use packdesk::sim::upgates::demo_order_json;
use packdesk::store::Store;
use packdesk::sync::SyncWorker;
use packdesk::sync::mapping::ImportMapping;

mod common;
use common::{UpgatesShop, set_status, upgates_shop};

fn state(store: &Store, number: &str) -> Option<OrderState> {
    let key = store.find_order_key(number).ok().flatten()?;
    store.summary(&key).ok().flatten().map(|s| s.state)
}

#[tokio::test]
async fn upgates_statuses_fill_the_queue_cancel_and_hold_orders() {
    let orders = packdesk::demo::generate(5, 30, chrono::Utc::now());
    let mut wire: Vec<_> = orders.iter().map(demo_order_json).collect();
    // One order was sent from the shop already (status 4, "Odeslaná").
    wire[5]["status_id"] = serde_json::json!(4);
    let sent = orders[5].number.clone();
    let UpgatesShop { sim, _run, shop } = upgates_shop(wire).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    // What the demo configures: packed = 5, ready = 4; no queue list (every status but
    // the cancel ones and packdesk's own).
    let status = StatusSection {
        packed: Some("5".into()),
        ready: Some("4".into()),
        ..StatusSection::default()
    };
    let w = SyncWorker::new(shop.clone(), store.clone(), tx, Duration::from_secs(30)).with_mapping(
        ImportMapping::new(status, packdesk::demo::pipeline::carrier_map()),
    );
    let before = sim.request_count();
    let st = w.sync_once().await;
    assert!(st.ok, "{st:?}");
    // The status list once, then the orders.
    assert_eq!(sim.request_count() - before, 2);

    let cancelled = packdesk::demo::special(Special::Cancelled);
    assert_eq!(state(&store, &cancelled), Some(OrderState::Cancelled));
    let key = store
        .find_order_key(&cancelled)
        .ok()
        .flatten()
        .expect("key");
    assert!(
        store
            .order(&key)
            .ok()
            .flatten()
            .is_some_and(|o| o.cancelled)
    );
    assert_eq!(state(&store, &sent), Some(OrderState::Held));
    assert_eq!(state(&store, &orders[0].number), Some(OrderState::ToPack));
    // The carrier column comes from [[carrier.map]].
    let first = store
        .summary(&orders[0].key().replace("demo:", "upgates:"))
        .ok()
        .flatten()
        .expect("row");
    assert_eq!(first.carrier, orders[0].shipping.carrier);
    assert!(!first.carrier.is_empty());

    // The shop puts the sent order back and cancels another: the next sync follows, and
    // reads the status list no more.
    set_status(&shop, &sent, "1").await;
    set_status(&shop, &orders[0].number, "2").await;
    let before = sim.request_count();
    let st = w.sync_once().await;
    assert!(st.ok, "{st:?}");
    assert_eq!(sim.request_count() - before, 1, "one request per sync");
    assert_eq!(state(&store, &sent), Some(OrderState::ToPack));
    assert_eq!(
        state(&store, &orders[0].number),
        Some(OrderState::Cancelled)
    );
}

#[tokio::test]
async fn a_queue_list_by_name_keeps_other_statuses_out() {
    let orders = packdesk::demo::generate(6, 12, chrono::Utc::now());
    let mut wire: Vec<_> = orders.iter().map(demo_order_json).collect();
    wire[6]["status_id"] = serde_json::json!(3); // "Vyřizuje se"
    wire[7]["status_id"] = serde_json::json!(6); // "Zaplacená"
    let UpgatesShop { _run, shop, .. } = upgates_shop(wire).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let status = StatusSection {
        queue: vec!["přijatá".into(), "Zaplacená".into()],
        ..StatusSection::default()
    };
    let w = SyncWorker::new(shop, store.clone(), tx, Duration::from_secs(30))
        .with_mapping(ImportMapping::new(status, Vec::new()));
    assert!(w.sync_once().await.ok);
    assert_eq!(state(&store, &orders[6].number), Some(OrderState::Held));
    assert_eq!(state(&store, &orders[7].number), Some(OrderState::ToPack));
    assert_eq!(state(&store, &orders[8].number), Some(OrderState::ToPack));
}

#[tokio::test]
async fn without_the_status_list_nothing_is_imported() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let shop =
        Arc::new(UpgatesClient::new("http://127.0.0.1:9/api/v2", "l", "k", false).expect("c"));
    let w = SyncWorker::new(shop, store.clone(), tx, Duration::from_secs(30))
        .with_mapping(ImportMapping::new(StatusSection::default(), Vec::new()));
    let st = w.sync_once().await;
    assert!(!st.ok && st.error.is_some(), "{st:?}");
    assert_eq!(store.order_count(), 0);
}
