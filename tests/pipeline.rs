//! The bench's whole remote pipeline through the real clients and the simulators: orders
//! synced from the Upgates simulator, packed through the reducer and the effect runner,
//! shipments created by the outbox worker at the Balikobot simulator (with 100 ms of
//! carrier latency), labels written, status and tracking pushed back to the shop.

use std::sync::Arc;
use std::time::{Duration, Instant};

use packdesk::app::{AppState, Msg, Settings};
use packdesk::config::StatusSection;
use packdesk::domain::{Order, ShipmentState};
use packdesk::effects::{Pipeline, Runner, dispatch};
use packdesk::outbox::{Outbox, Worker, WorkerOptions};
use packdesk::scan::{Assembler, ScanConfig};
use packdesk::sim::Faults;
use packdesk::sim::balikobot::BalikobotSim;
use packdesk::store::Store;

mod common;
use common::{Sims, balikobot, bench_state, first_sync, packable, scan, sims};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packed_orders_become_shipments_labels_and_shop_updates() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let all = packdesk::demo::generate(11, 60, chrono::Utc::now());
    let orders: Vec<Order> = packable(&all).into_iter().take(12).collect();
    assert!(orders.len() >= 8, "enough plain demo orders");

    // The carrier answers after 100 ms.
    let Sims {
        shop_sim,
        carrier_sim,
        shop,
        carrier,
        runs: _runs,
    } = sims(
        &all,
        Faults {
            latency: Duration::from_millis(100),
            ..Faults::default()
        },
    )
    .await;

    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let store = Store::open(&dir.path().join("data")).expect("store");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    first_sync(shop.clone(), &store, &tx).await;

    let outbox = Outbox::open(&store).expect("outbox");
    let pipeline = Pipeline::new(
        outbox.clone(),
        store.clone(),
        &out,
        packdesk::demo::pipeline::carrier_map(),
        Some(StatusSection {
            packed: Some("5".into()),
            ready: Some("4".into()),
            ..StatusSection::default()
        }),
        "balikobot",
    );
    // Labels print through the durable print queue, here to a directory printer.
    let print_dir = dir.path().join("printer");
    let queue = packdesk::print::PrintQueue::open(&store, Default::default()).expect("print queue");
    let printers = packdesk::print::PrintersSection {
        label: packdesk::print::PrinterSection {
            kind: packdesk::print::PrinterKind::Dir,
            dir: Some(print_dir.clone()),
            ..Default::default()
        },
        ..Default::default()
    };
    let pipeline = pipeline.with_printing(packdesk::effects::Printing {
        queue: queue.clone(),
        printers,
        out_dir: out.clone(),
    });
    let print_tx = tx.clone();
    let printer = tokio::spawn(async move {
        let _ = queue
            .run(move |ev| {
                if let Some(n) = packdesk::effects::print_note(&ev) {
                    let _ = print_tx.send(Msg::Print(n));
                }
            })
            .await;
    });
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
    let mut packed_at = Vec::new();
    // Packing happens on this thread, as on the bench; the network runs on the runtime.
    let (state, packed_at) = tokio::task::block_in_place(|| {
        for o in &orders {
            scan(&mut state, &runner, &o.number, start);
            assert_eq!(
                state.pack.as_ref().map(|p| p.order.number.clone()),
                Some(o.number.clone())
            );
            for code in common::item_codes(o) {
                scan(&mut state, &runner, code, start);
            }
            let t = Instant::now();
            scan(&mut state, &runner, "PD:PACK", start);
            assert_eq!(
                state.pack.as_ref().map(|p| p.session.state),
                Some(packdesk::flow::SessionState::Packed),
                "{} packed: {:?}",
                o.number,
                state.banner
            );
            // The packer is never held up: packing returns at once.
            assert!(
                t.elapsed() < Duration::from_millis(200),
                "packing took {:?}",
                t.elapsed()
            );
            packed_at.push((o.clone(), std::time::SystemTime::now()));
        }
        (state, packed_at)
    });
    let mut state = state;

    // Wait for every label, feeding the worker's messages to the bench.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut latencies = Vec::new();
    let mut pending: Vec<(Order, std::time::SystemTime)> = packed_at;
    while !pending.is_empty() && Instant::now() < deadline {
        while let Ok(m) = rx.try_recv() {
            dispatch(&mut state, &runner, m, start);
        }
        pending.retain(|(o, t)| {
            let path = out.join(format!("{}-1.pdf", o.number));
            // The label's own write time, so the measurement does not depend on when
            // this loop looks.
            if let Ok(written) = std::fs::metadata(&path).and_then(|m| m.modified()) {
                latencies.push(written.duration_since(*t).unwrap_or_default());
                false
            } else {
                true
            }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let missing: Vec<String> = pending
        .iter()
        .map(|(o, _)| {
            let sh = store
                .shipments(&format!("upgates:{}", o.number))
                .unwrap_or_default();
            format!(
                "{} ({}): {:?}",
                o.number,
                o.shipping.method,
                sh.first().map(|s| (s.state, s.error.clone()))
            )
        })
        .collect();
    assert!(missing.is_empty(), "labels missing: {missing:#?}");
    let worst = latencies.iter().max().copied().unwrap_or_default();
    println!(
        "packed → label file on disk (100 ms carrier latency): worst {worst:?} over {} orders",
        latencies.len()
    );
    assert!(
        worst <= Duration::from_secs(1),
        "packed → label took {worst:?}"
    );

    // Let the batched status updates go out, then check both simulators.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let packages = carrier_sim.packages();
    assert_eq!(
        packages.len(),
        orders.len(),
        "exactly one package per parcel"
    );
    for o in &orders {
        let key = o.key();
        let shipments = store
            .shipments(&format!("upgates:{}", o.number))
            .expect("shipments");
        let sh = shipments
            .first()
            .unwrap_or_else(|| panic!("no shipment for {key}"));
        assert_eq!(sh.state, ShipmentState::Ready);
        let tracking = sh.tracking_number.clone().expect("tracking");
        let wire = shop_sim.order(&o.number).expect("order in the shop");
        assert_eq!(
            wire["tracking_code"].as_str(),
            Some(tracking.as_str()),
            "{}",
            o.number
        );
        assert_eq!(wire["status_id"].as_u64(), Some(4), "{}", o.number);
    }
    // Every label was printed once.
    let printed: Vec<_> = std::fs::read_dir(&print_dir)
        .expect("printer dir")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.ends_with(".pdf"))
        .collect();
    assert_eq!(printed.len(), orders.len(), "{printed:?}");
    printer.abort();
    let _ = stop.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(6), worker).await;
}

/// A shipment the carrier refuses for good lands on the outbox screen as failed, with the
/// carrier's reason; the supervisor's cancel takes it off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_shipment_is_on_the_outbox_screen_and_can_be_cancelled() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    let carrier_sim = BalikobotSim::new("user", "bkey", Faults::default(), 3);
    let carrier_run = carrier_sim.start(0).await.expect("sim");
    let carrier = balikobot(&carrier_run.base_url);
    let outbox = Outbox::open(&store).expect("outbox");
    let pipeline = Pipeline::new(
        outbox.clone(),
        store.clone(),
        &dir.path().join("out"),
        Vec::new(),
        None,
        "balikobot",
    );
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let on_event = common::bench_events(&pipeline, &tx);
    let worker = Worker::new(
        outbox.clone(),
        Arc::new(packdesk::shop::NoShop),
        carrier,
        on_event,
    );
    let worker = tokio::spawn(worker.run(stopped));
    // An order whose ZIP the carrier refuses.
    let mut o = packdesk::demo::generate(5, 1, chrono::Utc::now()).remove(0);
    o.shipping.carrier = "cp".into();
    o.shipping.service = "DR".into();
    o.shipping.pickup_point = None;
    o.customer.zip = "ABC".into();
    store
        .import_orders(std::slice::from_ref(&o))
        .expect("import");
    let runner = Runner::new(store.clone(), pipeline, tx);
    let mut state = bench_state(Vec::new());
    let start = Instant::now();
    for m in runner.run(packdesk::app::Effect::LoadOrder {
        key: o.key(),
        via: None,
    }) {
        dispatch(&mut state, &runner, m, start);
    }
    let session = state
        .pack
        .as_ref()
        .map(|p| p.session.clone())
        .expect("open");
    for m in runner.run(packdesk::app::Effect::Ship {
        order: Box::new(o.clone()),
        session: Box::new(session),
    }) {
        dispatch(&mut state, &runner, m, start);
    }
    // Wait for the refusal.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut failed = false;
    while !failed && Instant::now() < deadline {
        while let Ok(m) = rx.try_recv() {
            failed |= matches!(&m, Msg::Shipment(s) if s.state == ShipmentState::Failed);
            dispatch(&mut state, &runner, m, start);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(failed, "the carrier refused the shipment");
    tokio::task::block_in_place(|| {
        dispatch(
            &mut state,
            &runner,
            Msg::Action(packdesk::app::Action::Outbox),
            start,
        );
    });
    let view = state.outbox_view.clone().expect("outbox screen");
    let line = view
        .lines
        .iter()
        .find(|l| l.state == "failed")
        .expect("a failed entry");
    assert!(
        line.error
            .as_deref()
            .is_some_and(|e| e.to_lowercase().contains("zip")),
        "{line:?}"
    );
    tokio::task::block_in_place(|| {
        dispatch(
            &mut state,
            &runner,
            Msg::Action(packdesk::app::Action::OutboxCancel),
            start,
        );
    });
    let view = state.outbox_view.clone().expect("outbox screen");
    assert!(
        view.lines.iter().all(|l| l.id != line.id),
        "cancelled entries leave the screen"
    );
    let _ = stop.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(6), worker).await;
}
