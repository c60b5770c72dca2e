//! Orders held or cancelled in the shop while in progress, through the real Upgates
//! client and simulator: the sync moves their rows out of "In progress" (Held with the
//! shop status, or Cancelled), and tells the bench the shop's status names once.

use std::time::Duration;

use packdesk::app::Msg;
use packdesk::config::StatusSection;
use packdesk::domain::{OrderState, OrderSummary};
use packdesk::sim::upgates::demo_order_json;
use packdesk::store::Store;
use packdesk::sync::SyncWorker;
use packdesk::sync::mapping::ImportMapping;

mod common;
use common::{UpgatesShop, set_status, upgates_shop};

fn row(store: &Store, number: &str) -> OrderSummary {
    let key = store.find_order_key(number).ok().flatten().expect("key");
    store.summary(&key).ok().flatten().expect("row")
}

#[tokio::test]
async fn orders_held_or_cancelled_in_progress_leave_in_progress() {
    let orders = packdesk::demo::generate(9, 6, chrono::Utc::now());
    let UpgatesShop { _run, shop, .. } =
        upgates_shop(orders.iter().map(demo_order_json).collect()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let status = StatusSection {
        queue: vec!["1".into()],
        ..StatusSection::default()
    };
    let w = SyncWorker::new(shop.clone(), store.clone(), tx, Duration::from_secs(30))
        .with_mapping(ImportMapping::new(status, Vec::new()));
    assert!(w.sync_once().await.ok);
    // The status names first (once), then the rows.
    let names = match rx.try_recv() {
        Ok(Msg::ShopStatuses(n)) => n,
        other => panic!("expected the status names, got {other:?}"),
    };
    assert!(
        names.iter().any(|n| n.id == "2" && !n.name.is_empty()),
        "{names:?}"
    );
    assert!(matches!(rx.try_recv(), Ok(Msg::RowsChanged(_))));
    let (a, b) = (orders[0].number.clone(), orders[1].number.clone());
    assert_eq!(row(&store, &a).state, OrderState::ToPack);
    // Both are being packed here …
    for n in [&a, &b] {
        let mut r = row(&store, n);
        r.state = OrderState::InProgress;
        store.save_summary(&r).expect("save");
    }
    // … when the shop puts one on hold (status 3) and cancels the other (2).
    set_status(&shop, &a, "3").await;
    set_status(&shop, &b, "2").await;
    assert!(w.sync_once().await.ok);
    let held = row(&store, &a);
    assert_eq!(
        (held.state, held.shop_status.as_str()),
        (OrderState::Held, "3")
    );
    assert_eq!(row(&store, &b).state, OrderState::Cancelled);
    // The bench hears the rows; the names are not sent again.
    match rx.try_recv() {
        Ok(Msg::RowsChanged(rows)) => {
            assert!(
                rows.iter()
                    .any(|r| r.number == a && r.state == OrderState::Held)
            );
        }
        other => panic!("expected rows, got {other:?}"),
    }
    // Released by the shop: back to "To pack".
    set_status(&shop, &a, "1").await;
    assert!(w.sync_once().await.ok);
    assert_eq!(row(&store, &a).state, OrderState::ToPack);
    while let Ok(m) = rx.try_recv() {
        assert!(!matches!(m, Msg::ShopStatuses(_)), "names sent once");
    }
}
