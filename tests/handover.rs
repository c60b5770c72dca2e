//! Drop, hand-over and tracking through the real clients and simulators: orders synced
//! from the Upgates simulator, packed at the bench (reducer + effect runner), shipped at
//! the Balikobot simulator by the outbox worker, then dropped, handed over (ORDER, the
//! protocol stored and printed to a directory printer, the shop told *dispatched*) and
//! tracked (TRACKSTATUS).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use packdesk::app::shipping::ShipNote;
use packdesk::app::{Action, AppState, Msg, Notice, Settings};
use packdesk::carrier::Carrier;
use packdesk::carrier::balikobot::BalikobotClient;
use packdesk::config::StatusSection;
use packdesk::domain::{Order, OrderState, ShipmentState};
use packdesk::effects::{Pipeline, Runner, ShipmentEvent, dispatch};
use packdesk::outbox::{Outbox, Worker, WorkerOptions};
use packdesk::scan::{Assembler, KeyIn, ScanConfig};
use packdesk::sim::Faults;
use packdesk::sim::balikobot::BalikobotSim;
use packdesk::sim::upgates::UpgatesSim;
use packdesk::store::Store;
use tokio::sync::mpsc::UnboundedReceiver;

mod common;
use common::{Sims, first_sync, packable, sims};

struct Bench {
    _dir: tempfile::TempDir,
    data: std::path::PathBuf,
    print_dir: std::path::PathBuf,
    store: Store,
    pipeline: Pipeline,
    runner: Runner,
    state: AppState,
    rx: UnboundedReceiver<Msg>,
    start: Instant,
    carrier_sim: BalikobotSim,
    carrier: Arc<BalikobotClient>,
    shop_sim: UpgatesSim,
    events: Arc<Mutex<Vec<ShipmentEvent>>>,
    stop: tokio::sync::watch::Sender<bool>,
    /// While set, the worker's events are not heard (a bench that was not running).
    deaf: Arc<std::sync::atomic::AtomicBool>,
    _runs: Vec<packdesk::sim::Running>,
}

impl Bench {
    async fn new(opts: WorkerOptions) -> (Bench, Vec<Order>) {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let all = packdesk::demo::generate(11, 60, chrono::Utc::now());
        let orders: Vec<Order> = packable(&all).into_iter().collect();
        let Sims {
            shop_sim,
            carrier_sim,
            shop,
            carrier,
            runs,
        } = sims(&all, Faults::default()).await;
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("out");
        let data = dir.path().join("data");
        let store = Store::open(&data).expect("store");
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        first_sync(shop.clone(), &store, &tx).await;
        let outbox = Outbox::open(&store).expect("outbox");
        let print_dir = dir.path().join("printer");
        let queue =
            packdesk::print::PrintQueue::open(&store, Default::default()).expect("print queue");
        // Labels and documents both go to one directory printer.
        let dir_printer = packdesk::print::PrinterSection {
            kind: packdesk::print::PrinterKind::Dir,
            dir: Some(print_dir.clone()),
            ..Default::default()
        };
        let printers = packdesk::print::PrintersSection {
            slip: packdesk::print::SlipWhen::Never,
            label: dir_printer.clone(),
            document: dir_printer,
        };
        let events = Arc::new(Mutex::new(Vec::new()));
        let seen = events.clone();
        let pipeline = Pipeline::new(
            outbox.clone(),
            store.clone(),
            &out,
            packdesk::demo::pipeline::carrier_map(),
            Some(StatusSection {
                packed: Some("5".into()),
                ready: Some("3".into()),
                dispatched: Some("4".into()),
                ..StatusSection::default()
            }),
            "balikobot",
        )
        .with_printing(packdesk::effects::Printing {
            queue: queue.clone(),
            printers,
            out_dir: out.clone(),
        })
        .with_shipment_hook(Arc::new(move |ev: &ShipmentEvent| {
            seen.lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(ev.clone());
        }));
        let print_tx = tx.clone();
        tokio::spawn(async move {
            let _ = queue
                .run(move |ev| {
                    if let Some(n) = packdesk::effects::print_note(&ev) {
                        let _ = print_tx.send(Msg::Print(n));
                    }
                })
                .await;
        });
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let deaf = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let on_event = {
            let (p, tx, deaf) = (pipeline.clone(), tx.clone(), deaf.clone());
            move |ev| {
                if deaf.load(std::sync::atomic::Ordering::SeqCst) {
                    return;
                }
                for m in p.on_event(&ev) {
                    let _ = tx.send(m);
                }
            }
        };
        let carrier_dyn: Arc<dyn Carrier> = carrier.clone();
        let worker = Worker::new(outbox, shop, carrier_dyn, on_event).with_options(opts);
        tokio::spawn(worker.run(stopped));
        let runner = Runner::new(store.clone(), pipeline.clone(), tx);
        let settings = Settings {
            ship_on_pack: true,
            ..Settings::default()
        };
        let state = AppState::new(settings, Assembler::new(ScanConfig::default()), Vec::new());
        let bench = Bench {
            _dir: dir,
            data,
            print_dir,
            store,
            pipeline,
            runner,
            state,
            rx,
            start: Instant::now(),
            carrier_sim,
            carrier,
            shop_sim,
            events,
            stop,
            deaf,
            _runs: runs,
        };
        (bench, orders)
    }

    fn send(&mut self, msg: Msg) {
        tokio::task::block_in_place(|| dispatch(&mut self.state, &self.runner, msg, self.start));
    }

    fn scan(&mut self, code: &str) {
        for c in code.chars() {
            self.send(Msg::ScanKey(KeyIn::Char(c)));
        }
        std::thread::sleep(Duration::from_millis(90));
        self.send(Msg::ScanKey(KeyIn::Enter));
    }

    /// Opens, scans and packs `o` (shipped on pack).
    fn pack(&mut self, o: &Order) {
        self.scan(&o.number);
        assert_eq!(
            self.state.pack.as_ref().map(|p| p.order.number.clone()),
            Some(o.number.clone())
        );
        for code in common::item_codes(o) {
            self.scan(code);
        }
        self.scan("PD:PACK");
    }

    /// Feeds the background's messages to the bench until `done` holds (or 30 s).
    async fn until(&mut self, what: &str, mut done: impl FnMut(&Bench, &Msg) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(Some(m)) = tokio::time::timeout(left, self.rx.recv()).await else {
                panic!(
                    "timed out waiting for {what}; banner {:?}",
                    self.state.banner
                );
            };
            let hit = done(self, &m);
            self.send(m);
            if hit {
                return;
            }
        }
    }

    fn ready_count(&self, orders: &[Order]) -> usize {
        orders
            .iter()
            .filter(|o| {
                self.store.shipments(&self.key(o)).is_ok_and(|v| {
                    !v.is_empty() && v.iter().all(|s| s.state == ShipmentState::Ready)
                })
            })
            .count()
    }

    async fn ship_all(&mut self, orders: &[Order]) {
        for o in orders {
            self.pack(o);
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.ready_count(orders) < orders.len() {
            assert!(
                Instant::now() < deadline,
                "labels did not arrive: {:?} {:?}",
                self.state.banner,
                orders
                    .iter()
                    .map(|o| self.store.shipments(&self.key(o)))
                    .collect::<Vec<_>>()
            );
            while let Ok(m) = self.rx.try_recv() {
                self.send(m);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.scan("PD:BACK");
    }

    /// The order's key in the store (as synced from the shop).
    fn key(&self, o: &Order) -> String {
        self.store
            .find_order_key(&o.number)
            .ok()
            .flatten()
            .unwrap_or_else(|| o.key())
    }

    fn events(&self) -> Vec<ShipmentEvent> {
        self.events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

fn opts() -> WorkerOptions {
    WorkerOptions {
        batch_window: Duration::from_millis(200),
        backoff_base: Duration::from_millis(100),
        ..WorkerOptions::default()
    }
}

/// Orders of the carrier most of them use, at least `n`.
fn of_one_carrier(orders: &[Order], n: usize) -> (String, Vec<Order>) {
    let map = packdesk::demo::pipeline::carrier_map();
    let mut by: std::collections::BTreeMap<String, Vec<Order>> = Default::default();
    for o in orders {
        if let Some((c, _, _)) = packdesk::config::map_shipping(&map, &o.shipping) {
            by.entry(c).or_default().push(o.clone());
        }
    }
    let (c, list) = by
        .into_iter()
        .max_by_key(|(_, v)| v.len())
        .expect("some carrier");
    assert!(list.len() >= n, "{c}: only {} orders", list.len());
    (c, list.into_iter().take(n).collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handover_is_one_order_with_the_protocol_printed_and_orders_dispatched() {
    let (mut b, orders) = Bench::new(opts()).await;
    let (carrier, mine) = of_one_carrier(&orders, 3);
    b.ship_all(&mine).await;
    for o in &mine {
        b.shop_status(&o.number, 3).await;
    }
    // The hand-over screen lists the carrier's ready parcels.
    b.send(Msg::Action(Action::Handover));
    b.until("the hand-over list", |_, m| {
        matches!(m, Msg::HandoverGroups(_))
    })
    .await;
    let view = b.state.handover_view.clone().expect("screen open");
    let pos = view
        .groups
        .iter()
        .position(|g| g.carrier == carrier)
        .expect("carrier listed");
    assert_eq!(view.groups[pos].parcels, mine.len());
    for _ in 0..pos {
        b.send(Msg::Action(Action::Down));
    }
    // Scanner only: PD:HANDOVER asks, PD:HANDOVER again confirms.
    b.scan("PD:HANDOVER");
    assert!(b.sim_handovers() == 0, "nothing before the confirmation");
    b.scan("PD:HANDOVER");
    b.until("the hand-over", |_, m| {
        matches!(m, Msg::ShipNote(ShipNote::HandedOver { .. }))
    })
    .await;
    // One ORDER at the carrier, with exactly these parcels.
    let handovers = b.carrier_sim.handovers();
    assert_eq!(handovers.len(), 1, "{handovers:?}");
    let (c, order_id, ids) = &handovers[0];
    assert_eq!(c, &carrier);
    assert_eq!(ids.len(), mine.len());
    let Some(Notice::Ship(ShipNote::HandedOver {
        parcels,
        handover_id,
        protocol: Some(protocol),
        ..
    })) = b.state.banner.clone()
    else {
        panic!("banner {:?}", b.state.banner);
    };
    assert_eq!(parcels, mine.len());
    assert_eq!(&handover_id, order_id);
    // The protocol is kept in the data dir, and printed on the document printer.
    let path = std::path::PathBuf::from(&protocol);
    assert!(path.starts_with(&b.data), "{protocol}");
    let bytes = std::fs::read(&path).expect("protocol file");
    assert!(bytes.starts_with(b"%PDF"));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let printed: Vec<_> = std::fs::read_dir(&b.print_dir)
            .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        if printed
            .iter()
            .any(|p| std::fs::read(p).is_ok_and(|x| x == bytes))
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "protocol not printed: {printed:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Shipments dispatched, queue rows on the Dispatched tab, the shop told.
    for o in &mine {
        let sh = b.store.shipments(&b.key(o)).expect("shipments");
        assert!(
            sh.iter().all(|s| s.state == ShipmentState::Dispatched),
            "{sh:?}"
        );
        assert_eq!(
            b.state.queue.row(&b.key(o)).map(|r| r.state),
            Some(OrderState::Dispatched)
        );
    }
    for o in &mine {
        b.shop_status(&o.number, 4).await;
    }
    // The rules hook heard one `dispatched` with every parcel.
    let dispatched: Vec<_> = b
        .events()
        .into_iter()
        .filter_map(|e| match e {
            ShipmentEvent::Dispatched { shipments, .. } => Some(shipments.len()),
            _ => None,
        })
        .collect();
    assert_eq!(dispatched, vec![mine.len()]);
    // Nothing is left to hand over for that carrier.
    assert!(
        b.pipeline
            .handover_groups()
            .expect("groups")
            .iter()
            .all(|g| g.carrier != carrier)
    );
    let _ = b.stop.send(true);
}

impl Bench {
    /// Waits (10 s at most) for the shop simulator to show `status` on the order.
    async fn shop_status(&self, number: &str, status: u64) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let wire = self.shop_sim.order(number).expect("in the shop");
            if wire["status_id"].as_u64() == Some(status) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{number}: shop status {} instead of {status}",
                wire["status_id"]
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn sim_handovers(&self) -> usize {
        self.carrier_sim.handovers().len()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_reaches_the_carrier_and_a_dispatched_parcel_is_never_dropped() {
    let (mut b, orders) = Bench::new(opts()).await;
    let (carrier, mine) = of_one_carrier(&orders, 2);
    b.ship_all(&mine).await;
    let (a, z) = (&mine[0], &mine[1]);
    let pkg = |b: &Bench, o: &Order| {
        b.store.shipments(&b.key(o)).expect("shipments")[0]
            .package_id
            .clone()
            .expect("package id")
    };
    let a_pkg = pkg(&b, a);
    assert!(
        b.carrier_sim
            .packages()
            .iter()
            .any(|p| p.package_id == a_pkg)
    );
    // PD:DROP twice on the open order.
    b.scan(&a.number);
    b.scan("PD:DROP");
    assert!(matches!(
        b.state.banner,
        Some(Notice::Ship(ShipNote::ConfirmDrop { .. }))
    ));
    b.scan("PD:DROP");
    b.until("the drop", |_, m| {
        matches!(m, Msg::ShipNote(ShipNote::Dropped { .. }))
    })
    .await;
    assert!(
        !b.carrier_sim
            .packages()
            .iter()
            .any(|p| p.package_id == a_pkg),
        "DROP reached the carrier"
    );
    let sh = b.store.shipments(&b.key(a)).expect("shipments");
    assert_eq!(sh[0].state, ShipmentState::Dropped);
    assert_eq!(
        b.state.queue.row(&b.key(a)).map(|r| r.state),
        Some(OrderState::Packed)
    );
    assert!(b.events().iter().any(
        |e| matches!(e, ShipmentEvent::Dropped { shipment } if shipment.order_key == b.key(a))
    ));
    // Shipped again after the drop: a new package under a new eid.
    b.scan("PD:SHIP");
    b.until("the new label", |_, m| {
        matches!(m, Msg::Shipment(s) if s.generation == 1 && s.state == ShipmentState::Ready)
    })
    .await;
    let eids: Vec<String> = b
        .carrier_sim
        .packages()
        .iter()
        .filter(|p| p.eid.starts_with(&a.number))
        .map(|p| p.eid.clone())
        .collect();
    assert_eq!(eids, vec![format!("{}-1-g1", a.number)]);
    b.scan("PD:BACK");

    // Hand the other one over; then it cannot be dropped, at the bench or at the carrier.
    let (n, _) = b.pipeline.handover(&carrier).expect("hand-over queued");
    assert_eq!(n, 2, "the reshipped parcel and the other order's");
    b.until("the hand-over", |_, m| {
        matches!(m, Msg::ShipNote(ShipNote::HandedOver { .. }))
    })
    .await;
    b.scan(&z.number);
    b.scan("PD:DROP");
    assert!(matches!(
        b.state.banner,
        Some(Notice::Ship(ShipNote::DropDispatched { .. }))
    ));
    assert_eq!(b.pipeline.drop_shipments(&b.key(z)), Ok(0));
    // A stale view (the record still says ready): the carrier refuses with 405.
    let mut stale = b.store.shipments(&b.key(z)).expect("shipments")[0].clone();
    stale.state = ShipmentState::Ready;
    b.store.save_shipment(&stale).expect("save");
    assert_eq!(b.pipeline.drop_shipments(&b.key(z)), Ok(1));
    b.until("the refusal", |_, m| {
        matches!(m, Msg::ShipNote(ShipNote::DropRefused { .. }))
    })
    .await;
    let Some(Notice::Ship(ShipNote::DropRefused { error, .. })) = b.state.banner.clone() else {
        panic!("banner {:?}", b.state.banner);
    };
    assert!(error.contains("handed over"), "{error}");
    let z_pkg = pkg(&b, z);
    assert!(
        b.carrier_sim
            .packages()
            .iter()
            .any(|p| p.package_id == z_pkg && p.ordered),
        "the handed-over package is still there"
    );
    let _ = b.stop.send(true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trackstatus_changes_are_stored_reported_and_final_ones_stop_polling() {
    let (mut b, orders) = Bench::new(opts()).await;
    let (_, mine) = of_one_carrier(&orders, 2);
    b.ship_all(&mine).await;
    let carrier: Arc<dyn Carrier> = b.carrier.clone();
    let changes = |msgs: &[Msg]| -> Vec<(String, String)> {
        msgs.iter()
            .filter_map(|m| match m {
                Msg::CarrierStatus(s) => Some((
                    s.order_key.clone(),
                    s.carrier_status.clone().map(|c| c.text).unwrap_or_default(),
                )),
                _ => None,
            })
            .collect()
    };
    let first = b.pipeline.poll_tracking(carrier.as_ref()).await;
    assert_eq!(changes(&first).len(), 2, "{first:?}");
    let stored = b.store.shipments(&b.key(&mine[0])).expect("shipments")[0]
        .carrier_status
        .clone()
        .expect("status stored");
    assert_eq!(stored.id, "-1");
    // The open order's pack screen shows its new status.
    b.scan(&mine[0].number);
    for m in first {
        b.send(m);
    }
    assert!(
        matches!(&b.state.banner, Some(Notice::Ship(ShipNote::CarrierStatus { number, .. })) if *number == mine[0].number),
        "{:?}",
        b.state.banner
    );
    let second = b.pipeline.poll_tracking(carrier.as_ref()).await;
    assert_eq!(changes(&second).len(), 2);
    let ev = b.events();
    assert!(ev.iter().any(|e| matches!(
        e,
        ShipmentEvent::CarrierStatusChanged { previous: Some(p), shipment }
            if p.id == "-1" && shipment.carrier_status.as_ref().is_some_and(|s| s.id == "2.1")
    )));
    // Until delivered; then the parcel is not asked about any more.
    for _ in 0..6 {
        let _ = b.pipeline.poll_tracking(carrier.as_ref()).await;
    }
    let closed = b.store.shipments(&b.key(&mine[0])).expect("shipments")[0]
        .carrier_status
        .clone()
        .expect("status");
    assert!(closed.is_closed(), "{closed:?}");
    let before = b.carrier_sim.request_count();
    let last = b.pipeline.poll_tracking(carrier.as_ref()).await;
    assert!(changes(&last).is_empty());
    assert_eq!(
        b.carrier_sim.request_count(),
        before,
        "closed parcels are not polled"
    );
    // The background poller sends changes by itself (a new parcel, a short period).
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let (_, more) = of_one_carrier(&orders, 3);
    b.ship_all(&more[2..]).await;
    let task = b
        .pipeline
        .spawn_tracking(carrier.clone(), Duration::from_millis(200), tx)
        .expect("poller");
    let got = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match rx.recv().await {
                Some(Msg::CarrierStatus(s)) => return s.order_key,
                Some(_) => {}
                None => return String::new(),
            }
        }
    })
    .await
    .expect("a change within 10 s");
    assert_eq!(got, b.key(&more[2]));
    task.abort();
    assert!(
        b.pipeline
            .spawn_tracking(
                carrier,
                Duration::ZERO,
                tokio::sync::mpsc::unbounded_channel().0
            )
            .is_none(),
        "0 turns polling off"
    );
    let _ = b.stop.send(true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_that_timed_out_is_reconciled_not_ordered_twice() {
    let (mut b, orders) = Bench::new(WorkerOptions {
        op_timeout: Duration::from_millis(800),
        ..opts()
    })
    .await;
    let (carrier, mine) = of_one_carrier(&orders, 2);
    b.ship_all(&mine).await;
    // ORDER is applied but its answer never comes.
    b.carrier_sim.set_faults(Faults {
        timeout_rate: 1.0,
        ..Faults::default()
    });
    let (_, id) = b.pipeline.handover(&carrier).expect("queued");
    let deadline = Instant::now() + Duration::from_secs(10);
    while b.sim_handovers() == 0 {
        assert!(Instant::now() < deadline, "ORDER never arrived");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Wait for the worker to give up on that try (ambiguous), then heal the carrier.
    loop {
        let e = b.pipeline.outbox().get(id).expect("get").expect("entry");
        if e.ambiguous && e.attempts >= 1 {
            break;
        }
        assert!(Instant::now() < deadline, "no timeout: {e:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    b.carrier_sim.set_faults(Faults::default());
    b.until("the reconciled hand-over", |_, m| {
        matches!(
            m,
            Msg::ShipNote(ShipNote::HandedOver { .. } | ShipNote::HandoverFailed { .. })
        )
    })
    .await;
    let Some(Notice::Ship(ShipNote::HandedOver {
        handover_id,
        protocol,
        ..
    })) = b.state.banner.clone()
    else {
        panic!("not handed over: {:?}", b.state.banner);
    };
    let handovers = b.carrier_sim.handovers();
    assert_eq!(handovers.len(), 1, "ordered once: {handovers:?}");
    assert_eq!(handover_id, handovers[0].1, "found by ORDERVIEW");
    assert!(protocol.is_some(), "the protocol came from ORDERVIEW");
    let e = b.pipeline.outbox().get(id).expect("get").expect("entry");
    assert_eq!(e.state, packdesk::outbox::EntryState::Done);
    for o in &mine {
        let sh = b.store.shipments(&b.key(o)).expect("shipments");
        assert!(sh.iter().all(|s| s.state == ShipmentState::Dispatched));
    }
    let _ = b.stop.send(true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handover_finished_while_the_bench_was_away_is_caught_up_once() {
    let (mut b, orders) = Bench::new(opts()).await;
    let (carrier, mine) = of_one_carrier(&orders, 2);
    b.ship_all(&mine).await;
    b.deaf.store(true, std::sync::atomic::Ordering::SeqCst);
    let (_, id) = b.pipeline.handover(&carrier).expect("queued");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let e = b.pipeline.outbox().get(id).expect("get").expect("entry");
        if e.state == packdesk::outbox::EntryState::Done {
            break;
        }
        assert!(Instant::now() < deadline, "{e:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let ready = |b: &Bench| {
        mine.iter()
            .filter(|o| {
                b.store
                    .shipments(&b.key(o))
                    .is_ok_and(|v| v.iter().all(|s| s.state == ShipmentState::Ready))
            })
            .count()
    };
    assert_eq!(ready(&b), 2, "nobody heard the outcome");
    let handed = |msgs: &[Msg]| {
        msgs.iter()
            .filter(|m| matches!(m, Msg::ShipNote(ShipNote::HandedOver { .. })))
            .count()
    };
    let first = b.pipeline.catch_up();
    assert_eq!(handed(&first), 1, "{first:?}");
    assert_eq!(ready(&b), 0);
    for o in &mine {
        b.shop_status(&o.number, 4).await;
    }
    assert_eq!(handed(&b.pipeline.catch_up()), 0, "only once");
    assert_eq!(b.carrier_sim.handovers().len(), 1);
    let _ = b.stop.send(true);
}

/// Records from before the carrier was kept count as the provider's, through the open
/// shipments index too: listed under it and handed over with it; dispatched and dropped
/// parcels are not listed.
#[test]
fn carrierless_ready_parcels_are_listed_and_handed_over_as_the_providers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    let parcel = |n: &str, state: ShipmentState, carrier: Option<&str>| {
        let mut s = packdesk::domain::Shipment::pending(&format!("demo:{n}"), 1, 1, "cp");
        s.state = state;
        s.carrier = carrier.map(str::to_string);
        s.package_id = Some(format!("P{n}"));
        s.tracking_number = Some(format!("T{n}"));
        s
    };
    store
        .save_shipments(&[
            parcel("OLD", ShipmentState::Ready, None),
            parcel("NEW", ShipmentState::Ready, Some("cp")),
            parcel("PPL", ShipmentState::Ready, Some("ppl")),
            parcel("GONE", ShipmentState::Dispatched, Some("cp")),
            parcel("DROP", ShipmentState::Dropped, Some("cp")),
        ])
        .expect("save");
    let outbox = Outbox::open(&store).expect("outbox");
    let p = Pipeline::new(outbox.clone(), store, dir.path(), vec![], None, "cp");
    let groups = p.handover_groups().expect("groups");
    let listed: Vec<(String, usize, Vec<String>)> = groups
        .iter()
        .map(|g| (g.carrier.clone(), g.parcels, g.orders.clone()))
        .collect();
    assert_eq!(
        listed,
        vec![
            ("cp".into(), 2, vec!["demo:NEW".into(), "demo:OLD".into()]),
            ("ppl".into(), 1, vec!["demo:PPL".into()]),
        ]
    );
    let (n, id) = p.handover("cp").expect("handover");
    assert_eq!(n, 2);
    match outbox.get(id).expect("get").map(|e| e.op) {
        Some(packdesk::outbox::Operation::Handover {
            carrier,
            package_ids,
        }) => {
            assert_eq!(carrier, "cp");
            assert_eq!(package_ids, vec!["PNEW".to_string(), "POLD".to_string()]);
        }
        other => panic!("not a hand-over: {other:?}"),
    }
    // In a hand-over now: not listed again.
    let after: Vec<String> = p
        .handover_groups()
        .expect("groups")
        .into_iter()
        .map(|g| g.carrier)
        .collect();
    assert_eq!(after, vec!["ppl".to_string()]);
}

/// `n` shipments as a bench has them after a while: 1 % ready (3 carriers), 2 %
/// dispatched and travelling, the rest delivered.
fn measure_mix(n: u32) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    let list: Vec<packdesk::domain::Shipment> = (0..n)
        .map(|i| {
            let mut s =
                packdesk::domain::Shipment::pending(&format!("demo:N{i}"), 1, 1, "balikobot");
            s.carrier = Some(["cp", "ppl", "dpd"][i as usize % 3].into());
            s.package_id = Some(format!("P{i}"));
            s.tracking_number = Some(format!("T{i}"));
            s.state = match i % 100 {
                0 => ShipmentState::Ready,
                1 | 2 => ShipmentState::Dispatched,
                _ => {
                    s.carrier_status = Some(packdesk::domain::CarrierStatus {
                        id: "1.2".into(),
                        text: "delivered".into(),
                    });
                    ShipmentState::Dispatched
                }
            };
            s
        })
        .collect();
    store.save_shipments(&list).expect("save");
    // Before: what `handover_groups` did without the index (every record read and
    // decoded, the ready ones grouped per carrier with their order numbers).
    let t = Instant::now();
    let mut before: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for s in store.all_shipments().expect("all") {
        if s.state == ShipmentState::Ready && s.package_id.is_some() {
            let number = store
                .order(&s.order_key)
                .ok()
                .flatten()
                .map_or_else(|| s.order_key.clone(), |o| o.number);
            before
                .entry(s.carrier.clone().unwrap_or_default())
                .or_default()
                .push(number);
        }
    }
    let ready: usize = before.values().map(Vec::len).sum();
    println!(
        "{n} shipments, hand-over list of {ready} ready by full scan (before): {:?}",
        t.elapsed()
    );
    let t = Instant::now();
    let travelling = store.travelling_shipments().expect("travelling").len();
    println!(
        "{n} shipments, {travelling} to track from the index: {:?}",
        t.elapsed()
    );
    let outbox = Outbox::open(&store).expect("outbox");
    let p = Pipeline::new(outbox, store, dir.path(), vec![], None, "balikobot");
    let t = Instant::now();
    let groups = p.handover_groups().expect("groups");
    let took = t.elapsed();
    assert_eq!(groups.iter().map(|g| g.parcels).sum::<usize>(), ready);
    assert_eq!(travelling, 3 * ready);
    println!("{n} shipments, hand-over list of {ready} ready from the index (after): {took:?}");
}

/// Figures, not checks: `cargo test --test handover -- --ignored --nocapture measure`.
#[test]
#[ignore]
fn measure_handover_list_at_10000_and_100000_shipments() {
    measure_mix(10_000);
    measure_mix(100_000);
}

/// A figure, not a check: `cargo test --test handover -- --ignored --nocapture measure`.
/// Every parcel ready: the index saves nothing here, it must not cost either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn measure_handover_list_with_10000_ready_parcels() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    let list: Vec<packdesk::domain::Shipment> = (0..10_000u32)
        .map(|i| {
            let mut s =
                packdesk::domain::Shipment::pending(&format!("demo:N{i}"), 1, 1, "balikobot");
            s.state = ShipmentState::Ready;
            s.carrier = Some(["cp", "ppl", "dpd"][i as usize % 3].into());
            s.package_id = Some(format!("P{i}"));
            s.tracking_number = Some(format!("T{i}"));
            s
        })
        .collect();
    store.save_shipments(&list).expect("save");
    let t = Instant::now();
    let n = store.all_shipments().expect("all").len();
    println!("reading {n} shipments (full scan): {:?}", t.elapsed());
    let outbox = Outbox::open(&store).expect("outbox");
    let p = Pipeline::new(outbox, store, dir.path(), vec![], None, "balikobot");
    let t = Instant::now();
    let groups = p.handover_groups().expect("groups");
    let took = t.elapsed();
    assert_eq!(groups.iter().map(|g| g.parcels).sum::<usize>(), 10_000);
    println!("hand-over list of 10 000 ready parcels (3 carriers, index): {took:?}");
}
