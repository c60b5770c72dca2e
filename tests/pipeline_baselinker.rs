//! The BaseLinker path end to end, as `packdesk demo --shop baselinker` runs it: orders
//! synced from the BaseLinker simulator (numbered by the shop's own order number, carrier
//! from `[[carrier.map]]`), opened by that number and packed through the reducer and the
//! effect runner, `createPackage` at the simulator's couriers, the label file written, and
//! status + tracking back on the order in the simulator.

use std::time::{Duration, Instant};

use packdesk::app::{AppState, Settings};
use packdesk::carrier::Carrier;
use packdesk::carrier::baselinker::BaseLinkerCourier;
use packdesk::config::StatusSection;
use packdesk::domain::{Order, ShipmentState};
use packdesk::effects::{Pipeline, Runner, dispatch};
use packdesk::outbox::{Outbox, Worker, WorkerOptions};
use packdesk::scan::{Assembler, ScanConfig};
use packdesk::shop::baselinker::{BaseLinkerApi, BaseLinkerShop};
use packdesk::sim::Faults;
use packdesk::sim::baselinker::{BaseLinkerSim, demo_order_json};
use packdesk::store::Store;
use packdesk::sync::SyncWorker;
use packdesk::sync::mapping::ImportMapping;

mod common;
use common::scan;

const TOKEN: &str = "demo-baselinker-token";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baselinker_orders_are_packed_shipped_and_updated_by_their_shop_number() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let all = packdesk::demo::generate(21, 120, chrono::Utc::now());
    // Plain Polish demo orders on the simulator's couriers.
    let orders: Vec<Order> = all
        .iter()
        .filter(|o| {
            !o.cancelled
                && matches!(o.shipping.carrier.as_str(), "inpost" | "dpd" | "gls")
                && o.note.as_ref().is_none_or(|n| !n.ack_required)
                && o.lines
                    .iter()
                    .all(|l| l.ean.is_some() && !l.needs_serial && l.aliases.is_empty())
        })
        .take(6)
        .cloned()
        .collect();
    assert!(
        orders.len() >= 4,
        "enough plain demo orders: {}",
        orders.len()
    );

    let sim = BaseLinkerSim::new(TOKEN, Faults::default(), 3);
    sim.add_orders(all.iter().map(demo_order_json).collect());
    let run = sim.start(0).await.expect("baselinker sim");
    let api = BaseLinkerApi::new(&run.base_url, TOKEN, Duration::from_secs(5)).expect("api");
    let shop = std::sync::Arc::new(
        BaseLinkerShop::with_api(api.clone())
            .with_rate_limit(60_000, 1000)
            .with_initial_lookback(chrono::Duration::days(3650)),
    );
    let carrier = std::sync::Arc::new(BaseLinkerCourier::with_api(
        shop.api().clone().with_rate_limit(60_000, 1000),
    ));

    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let store = Store::open(&dir.path().join("data")).expect("store");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    // The simulated statuses: 1053 "Packed", 1054 "Shipped".
    let status = StatusSection {
        packed: Some("1053".into()),
        ready: Some("1054".into()),
        ..StatusSection::default()
    };
    let map = packdesk::demo::pipeline::carrier_map();
    let st = SyncWorker::new(
        shop.clone(),
        store.clone(),
        tx.clone(),
        Duration::from_secs(60),
    )
    .with_mapping(ImportMapping::new(status.clone(), map.clone()))
    .sync_once()
    .await;
    assert!(st.ok, "{st:?}");
    for o in &orders {
        let key = format!("baselinker:{}", o.number);
        let row = store
            .summary(&key)
            .expect("summary")
            .expect("row by shop number");
        assert_eq!(
            row.carrier, o.shipping.carrier,
            "{}: carrier column",
            o.number
        );
        let stored = store.order(&key).expect("order").expect("order");
        assert!(stored.shop_id.as_deref().is_some_and(|id| id != o.number));
    }

    let outbox = Outbox::open(&store).expect("outbox");
    let pipeline = Pipeline::new(
        outbox.clone(),
        store.clone(),
        &out,
        map,
        Some(status),
        carrier.kind(),
    );
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let on_event = common::bench_events(&pipeline, &tx);
    let worker =
        Worker::new(outbox.clone(), shop.clone(), carrier, on_event).with_options(WorkerOptions {
            batch_window: Duration::from_millis(300),
            ..WorkerOptions::default()
        });
    let worker = tokio::spawn(worker.run(stopped));
    let runner = Runner::new(store.clone(), pipeline, tx.clone());
    let settings = Settings {
        ship_on_pack: true,
        ..Settings::default()
    };
    let mut state = AppState::new(settings, Assembler::new(ScanConfig::default()), Vec::new());
    let start = Instant::now();
    let mut state = tokio::task::block_in_place(|| {
        for o in &orders {
            // The packer scans the number printed on the slip: the shop's own.
            scan(&mut state, &runner, &o.number, start);
            assert_eq!(
                state.pack.as_ref().map(|p| p.order.number.clone()),
                Some(o.number.clone()),
                "{} opens: {:?}",
                o.number,
                state.banner
            );
            for code in common::item_codes(o) {
                scan(&mut state, &runner, code, start);
            }
            scan(&mut state, &runner, "PD:PACK", start);
            assert_eq!(
                state.pack.as_ref().map(|p| p.session.state),
                Some(packdesk::flow::SessionState::Packed),
                "{} packed: {:?}",
                o.number,
                state.banner
            );
        }
        state
    });

    // Labels on disk, then status and tracking in the shop.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        while let Ok(m) = rx.try_recv() {
            dispatch(&mut state, &runner, m, start);
        }
        let labels = orders
            .iter()
            .filter(|o| out.join(format!("{}-1.pdf", o.number)).exists())
            .count();
        let updated = orders
            .iter()
            .filter(|o| {
                let id = store
                    .order(&format!("baselinker:{}", o.number))
                    .ok()
                    .flatten()
                    .and_then(|s| s.shop_id)
                    .unwrap_or_default();
                sim.order(&id).is_some_and(|w| {
                    let s = &w["order_status_id"];
                    s.as_i64()
                        .or_else(|| s.as_str().and_then(|t| t.parse().ok()))
                        == Some(1054)
                })
            })
            .count();
        if labels == orders.len() && updated == orders.len() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "labels {labels}/{n}, statuses {updated}/{n}",
            n = orders.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for o in &orders {
        let key = format!("baselinker:{}", o.number);
        let id = store
            .order(&key)
            .expect("order")
            .and_then(|s| s.shop_id)
            .expect("order_id");
        let shipments = store.shipments(&key).expect("shipments");
        let sh = shipments.first().expect("shipment");
        assert_eq!(sh.state, ShipmentState::Ready);
        let tracking = sh.tracking_number.clone().expect("tracking");
        let label = std::fs::read(out.join(format!("{}-1.pdf", o.number))).expect("label");
        assert!(label.starts_with(b"%PDF"), "{}: a PDF label", o.number);
        let packages = sim.packages(&id);
        assert_eq!(packages.len(), 1, "{}: exactly one package", o.number);
        assert_eq!(
            packages[0]["courier_code"].as_str(),
            Some(o.shipping.carrier.as_str()),
            "{}: the mapped courier",
            o.number
        );
        let wire = sim.order(&id).expect("order in the sim");
        assert_eq!(
            wire["delivery_package_nr"].as_str(),
            Some(tracking.as_str()),
            "{}: tracking on the order",
            o.number
        );
    }
    let _ = stop.send(true);
    worker.await.expect("join").expect("worker");
}
