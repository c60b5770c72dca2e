//! The rules executor end to end through the real simulators (Upgates shop, Balikobot
//! carrier, IP camera) and a small webhook receiver: *packed* → rule → shipment, label
//! printed, status set, history note, webhook — each exactly once, also with a restart in
//! the middle; a custom event from a command barcode; photos (hash checked) and
//! `photo_taken` rules; failures reaching the bench; the daily status-age check; sync
//! events.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use packdesk::app::rules::{RuleNote, RulesState};
use packdesk::app::{AppState, Msg};
use packdesk::domain::Order;
use packdesk::effects::rules::{Executor, Inbox, RuleEngine};
use packdesk::effects::{Pipeline, Printing, Runner, dispatch};
use packdesk::outbox::{Outbox, Worker, WorkerOptions};
use packdesk::print::{DocKind, PrintJob};
use packdesk::rules::{Event, EventKind, Outcome, RuleLog, RuleSet};
use packdesk::shop::upgates::UpgatesClient;
use packdesk::sim::Faults;
use packdesk::sim::balikobot::BalikobotSim;
use packdesk::sim::camera::{CameraSim, SimAuth, render_snapshot};
use packdesk::sim::upgates::UpgatesSim;
use packdesk::store::Store;
use packdesk::sync::SyncWorker;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc::UnboundedReceiver;

mod common;
use common::{Sims, bench_state, first_sync, packable, scan, sims};

/// What the webhook receiver got: bodies and the `X-Token` header of each.
type Received = Arc<Mutex<Vec<(Value, Option<String>)>>>;

async fn hook(State(got): State<Received>, headers: HeaderMap, body: String) -> &'static str {
    let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let token = headers
        .get("x-token")
        .and_then(|h| h.to_str().ok())
        .map(str::to_string);
    got.lock()
        .unwrap_or_else(|p| p.into_inner())
        .push((v, token));
    "ok"
}

/// A webhook receiver on a free port: `(url, received)`.
async fn receiver() -> (String, Received) {
    let got: Received = Arc::default();
    let app = Router::new()
        .route("/hook", post(hook))
        .route(
            "/fail",
            post(|| async { (axum::http::StatusCode::BAD_GATEWAY, "no") }),
        )
        .with_state(got.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), got)
}

fn sha_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The simulators, the store, the outbox worker and the print queue of one bench.
struct Bench {
    _dir: tempfile::TempDir,
    store: Store,
    pipeline: Pipeline,
    shop_sim: UpgatesSim,
    carrier_sim: BalikobotSim,
    camera_sim: CameraSim,
    camera: Arc<dyn packdesk::camera::Camera>,
    print_dir: PathBuf,
    orders: Vec<Order>,
    hook_url: String,
    received: Received,
    tx: tokio::sync::mpsc::UnboundedSender<Msg>,
    rx: UnboundedReceiver<Msg>,
    _running: Vec<packdesk::sim::Running>,
    stop: tokio::sync::watch::Sender<bool>,
}

impl Bench {
    /// A bench whose pipeline fires rule events at `engine` (connect it with
    /// [`RuleEngine::channel`] on `store` first: the store is made here, so the engine is
    /// made by `engine_for`).
    async fn start(
        rules_text: impl Fn(&str) -> String,
        printers: bool,
    ) -> (Bench, RuleSet, RuleEngine, Inbox) {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let all = packdesk::demo::generate(21, 40, chrono::Utc::now());
        let orders: Vec<Order> = packable(&all).into_iter().take(4).collect();
        assert!(orders.len() >= 3, "enough plain demo orders");
        let Sims {
            shop_sim,
            carrier_sim,
            shop,
            carrier,
            runs: mut running,
        } = sims(&all, Faults::default()).await;
        let camera_sim = CameraSim::new(SimAuth::None, Faults::default(), 3);
        let camera_run = camera_sim.start(0).await.expect("camera sim");
        let camera: Arc<dyn packdesk::camera::Camera> = Arc::new(
            packdesk::camera::HttpCamera::new(
                &format!("{}/snapshot.jpg", camera_run.base_url),
                packdesk::camera::Auth::None,
                Duration::from_secs(5),
            )
            .expect("camera"),
        );
        let (hook_url, received) = receiver().await;

        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("out");
        let store = Store::open(&dir.path().join("data")).expect("store");
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let set = RuleSet::parse(std::path::Path::new("rules.toml"), &rules_text(&hook_url))
            .expect("rules parse");
        let (engine, inbox) = RuleEngine::channel(&set, &store).expect("engine");
        first_sync(shop.clone(), &store, &tx).await;
        // The orders as the bench knows them (imported from the shop).
        let orders: Vec<Order> = orders
            .iter()
            .map(|o| {
                store
                    .order(&format!("upgates:{}", o.number))
                    .expect("store")
                    .expect("imported")
            })
            .collect();

        let outbox = Outbox::open(&store).expect("outbox");
        let pipeline = Pipeline::new(
            outbox.clone(),
            store.clone(),
            &out,
            packdesk::demo::pipeline::carrier_map(),
            None,
            "balikobot",
        );
        let print_dir = dir.path().join("printer");
        let pipeline = if printers {
            let queue =
                packdesk::print::PrintQueue::open(&store, Default::default()).expect("print queue");
            let printers = packdesk::print::PrintersSection {
                label: packdesk::print::PrinterSection {
                    kind: packdesk::print::PrinterKind::Dir,
                    dir: Some(print_dir.clone()),
                    ..Default::default()
                },
                ..Default::default()
            };
            let q = queue.clone();
            tokio::spawn(async move {
                let _ = q.run(|_| {}).await;
            });
            pipeline.with_printing(packdesk::effects::Printing {
                queue,
                printers,
                out_dir: out.clone(),
            })
        } else {
            pipeline
        };
        let pipeline = pipeline.with_rules(engine.clone());
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let on_event = common::bench_events(&pipeline, &tx);
        let worker = Worker::new(outbox, shop, carrier, on_event).with_options(WorkerOptions {
            batch_window: Duration::from_millis(200),
            ..WorkerOptions::default()
        });
        tokio::spawn(worker.run(stopped));
        (
            Bench {
                _dir: dir,
                store,
                pipeline,
                shop_sim,
                carrier_sim,
                camera_sim,
                camera,
                print_dir,
                orders,
                hook_url,
                received,
                tx,
                rx,
                _running: {
                    running.push(camera_run);
                    running
                },
                stop,
            },
            set,
            engine,
            inbox,
        )
    }

    fn executor(&self, set: &RuleSet) -> Executor {
        Executor::new(set.clone(), self.pipeline.clone(), "bench-1")
            .expect("executor")
            .with_camera(self.camera.clone())
            .with_bench(self.tx.clone())
            .with_ship_timeout(Duration::from_secs(20))
    }

    fn runner(&self, engine: &RuleEngine) -> Runner {
        Runner::new(self.store.clone(), self.pipeline.clone(), self.tx.clone())
            .with_camera(self.camera.clone(), "bench-1")
            .with_rules(engine.clone())
    }

    fn printed(&self) -> Vec<String> {
        std::fs::read_dir(&self.print_dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
                    .filter(|n| n.ends_with(".pdf"))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn hooks(&self) -> Vec<(Value, Option<String>)> {
        self.received
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Waits until nothing in the outbox is pending or in flight.
    async fn drained(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let c = self.pipeline.outbox().counts().expect("counts");
            if c.pending + c.in_flight == 0 {
                return;
            }
            assert!(Instant::now() < deadline, "outbox not drained: {c:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A bench state with `set`'s rules and its runner, where `o` is opened, each item
    /// scanned and the order packed by the `PD:PACK` command barcode.
    fn pack_at_bench(
        &self,
        set: &RuleSet,
        engine: &RuleEngine,
        o: &Order,
    ) -> (AppState, Runner, Instant) {
        let runner = self.runner(engine);
        let start = Instant::now();
        let mut state = new_state(set);
        tokio::task::block_in_place(|| {
            pick(&mut state, &runner, o, start);
            scan(&mut state, &runner, "PD:PACK", start);
        });
        (state, runner, start)
    }

    /// Handles `event` with an executor that stops after one action, as a process that
    /// dies in the middle of the rule.
    async fn handle_one_action(&self, set: &RuleSet, event: Event) {
        self.executor(set).with_action_budget(1).handle(event).await;
    }

    /// Feeds the messages the background sent to the bench.
    fn pump(&mut self, state: &mut AppState, runner: &Runner, start: Instant) -> Vec<String> {
        let mut failures = Vec::new();
        while let Ok(m) = self.rx.try_recv() {
            if let Msg::Rule(RuleNote::Failed { rule, error, .. }) = &m {
                failures.push(format!("{rule}: {error}"));
            }
            dispatch(state, runner, m, start);
        }
        failures
    }
}

/// Opens `o` and scans every item (not packed yet).
fn pick(state: &mut AppState, runner: &Runner, o: &Order, start: Instant) {
    scan(state, runner, &o.number, start);
    assert_eq!(
        state.pack.as_ref().map(|p| p.order.number.clone()),
        Some(o.number.clone()),
        "{:?}",
        state.banner
    );
    for code in common::item_codes(o) {
        scan(state, runner, code, start);
    }
}

/// Asserts that every action of the newest execution in the rule log ended done.
fn assert_last_run_done(store: &Store) {
    let log = RuleLog::open(store).expect("log");
    let r = log.list(1).expect("list");
    assert!(
        r[0].actions
            .iter()
            .all(|a| a.outcome == Some(Outcome::Done)),
        "{:#?}",
        r[0].actions
    );
}

/// The print queue's jobs of `kind` for the order `key`.
fn queued_jobs(printing: &Printing, key: &str, kind: DocKind) -> Vec<PrintJob> {
    printing
        .queue
        .jobs_for_key(key)
        .expect("jobs")
        .into_iter()
        .filter(|j| j.kind == kind)
        .collect()
}

fn new_state(set: &RuleSet) -> AppState {
    let mut state = bench_state(Vec::new());
    state.rules = RulesState::from_rules(set);
    state
}

async fn next_event(inbox: &mut Inbox, kind: EventKind) -> Event {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match tokio::time::timeout(Duration::from_secs(5), inbox.recv()).await {
            Ok(Some(ev)) if ev.kind == kind => return ev,
            Ok(Some(_)) => {}
            other => panic!("no {kind} event: {other:?}"),
        }
        assert!(Instant::now() < deadline, "no {kind} event");
    }
}

const SHIP_RULES: &str = r#"
[[rule]]
name = "packed: ship"
event = "packed"
actions = [
  "create_shipment",
  { print = { document = "label" } },
  { set_status = { status = "4" } },
  { add_history = { text = "Packed at {station}, parcel {tracking}" } },
  { webhook = { url = "HOOK/hook", headers = { "X-Token" = "t0ken-s3cret" }, timeout_s = 5 } },
]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packed_runs_every_action_exactly_once_across_a_restart() {
    let (mut bench, set, engine, mut inbox) =
        Bench::start(|hook| SHIP_RULES.replace("HOOK", hook), true).await;
    assert!(
        !bench.pipeline.auto_prints_labels(),
        "the rules print labels: the pipeline does not print them too"
    );
    let o = bench.orders[0].clone();
    let (mut state, runner, start) = bench.pack_at_bench(&set, &engine, &o);
    assert_eq!(
        state.pack.as_ref().map(|p| p.session.state),
        Some(packdesk::flow::SessionState::Packed)
    );
    // The reducer's `packed` went through the runner to the engine.
    let packed = next_event(&mut inbox, EventKind::Packed).await;
    assert_eq!(packed.order_key, o.key());

    // The first executor stops (as a crash would) after two actions: shipment and label.
    let first = bench.executor(&set).with_action_budget(2);
    first.handle(packed.clone()).await;
    drop(first);
    let log = RuleLog::open(&bench.store).expect("log");
    let unfinished = log.unfinished().expect("unfinished");
    assert_eq!(unfinished.len(), 1);
    assert_eq!(
        unfinished[0].outcomes(),
        vec![Outcome::Done, Outcome::Done],
        "shipment and label done before the stop"
    );
    assert_eq!(bench.carrier_sim.packages().len(), 1);

    // A new executor on the same store finishes the rest and never repeats what was done,
    // also when the same occurrence comes again.
    let second = bench.executor(&set);
    second.resume_unfinished().await;
    second.handle(packed.clone()).await;
    second.resume_unfinished().await;
    bench.drained().await;
    // The shop changes were queued; the outbox has their outcome now (the executor is
    // not running here, so its sweep settles them).
    second.settle_queued().await;
    let failures = bench.pump(&mut state, &runner, start);
    assert!(failures.is_empty(), "{failures:?}");

    let records = log.list(10).expect("list");
    assert_eq!(records.len(), 1, "one execution: {records:#?}");
    assert!(records[0].finished_at.is_some());
    assert!(
        records[0]
            .actions
            .iter()
            .all(|a| a.outcome == Some(Outcome::Done)),
        "{:#?}",
        records[0].actions
    );
    assert!(log.unfinished().expect("unfinished").is_empty());

    // Shipment: one package at the carrier.
    assert_eq!(
        bench.carrier_sim.packages().len(),
        1,
        "exactly one shipment"
    );
    let shipments = bench.store.shipments(&o.key()).expect("shipments");
    let tracking = shipments
        .first()
        .and_then(|s| s.tracking_number.clone())
        .expect("tracking");
    // The pipeline fired `shipment_created` for the parcel's package.
    let package_id = shipments
        .first()
        .and_then(|s| s.package_id.clone())
        .expect("package id");
    let mut created = Vec::new();
    while let Some(ev) = inbox.try_recv() {
        if ev.kind == EventKind::ShipmentCreated {
            created.push(ev);
        }
    }
    assert_eq!(created.len(), 1, "{created:?}");
    assert_eq!(
        created[0].occurrence,
        format!("shipment_created:{}:{package_id}", o.key())
    );
    // Label: printed once, to the directory printer.
    let deadline = Instant::now() + Duration::from_secs(10);
    while bench.printed().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(bench.printed().len(), 1, "{:?}", bench.printed());
    // The directory printer overwrites a file of the same name: count the queue's jobs.
    let jobs = bench
        .pipeline
        .printing()
        .expect("printing")
        .queue
        .jobs_for_key(&o.key())
        .expect("jobs");
    // ([printers] slip = "label", the default, also queues the packing slip.)
    let labels: Vec<_> = jobs
        .iter()
        .filter(|j| j.kind == packdesk::print::DocKind::Label)
        .collect();
    assert_eq!(labels.len(), 1, "one label print job: {jobs:#?}");
    // Status set in the shop.
    let wire = bench.shop_sim.order(&o.number).expect("order in the shop");
    assert_eq!(wire["status_id"].as_u64(), Some(4), "{wire}");
    // History note, with the tracking number, once.
    let history = bench.shop_sim.history(&o.number);
    let ours: Vec<&Value> = history
        .iter()
        .filter(|h| h.to_string().contains("Packed at bench-1"))
        .collect();
    assert_eq!(ours.len(), 1, "{history:#?}");
    assert!(ours[0].to_string().contains(&tracking), "{history:#?}");
    // Webhook: received once, with its header and the event's identity.
    let hooks = bench.hooks();
    assert_eq!(hooks.len(), 1, "{hooks:#?}");
    let (body, token) = &hooks[0];
    assert_eq!(token.as_deref(), Some("t0ken-s3cret"));
    assert_eq!(body["rule"], "packed: ship");
    assert_eq!(body["event"], "packed");
    assert_eq!(body["occurrence"], packed.occurrence.as_str());
    assert_eq!(body["tracking"], tracking.as_str());
    // The header value never reaches the rule log.
    let text = format!("{:?}", log.list(10).expect("list"));
    assert!(!text.contains("t0ken-s3cret"));
    let _ = bench.stop.send(true);
}

const GIFT_RULES: &str = r#"
[[rule]]
name = "gift wrap"
event = "custom:gift"
actions = [{ add_history = { text = "Gift-wrapped at {station}" } }]

[[button]]
label = "Gift wrap"
event = "custom:gift"
statuses = ["1", "3", "6", "Přijata", "Vyřizuje se", "Zaplaceno", "Nowe", "Opłacone", "W realizacji", "Prijatá", "Vybavuje sa"]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_barcode_fires_a_custom_rule_through_the_running_executor() {
    let (mut bench, set, engine, inbox) = Bench::start(|_| GIFT_RULES.to_string(), false).await;
    let handle = bench.executor(&set).spawn(inbox);
    let o = bench.orders[1].clone();
    let runner = bench.runner(&engine);
    let start = Instant::now();
    let mut state = new_state(&set);
    tokio::task::block_in_place(|| {
        scan(&mut state, &runner, &o.number, start);
        scan(&mut state, &runner, "PD:EVENT:GIFT", start);
    });
    assert!(
        matches!(&state.banner, Some(packdesk::app::Notice::RuleFired { label }) if label == "Gift wrap"),
        "{:?}",
        state.banner
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let history = bench.shop_sim.history(&o.number);
        if history
            .iter()
            .any(|h| h.to_string().contains("Gift-wrapped at bench-1"))
        {
            break;
        }
        assert!(Instant::now() < deadline, "no gift note: {history:#?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // An event no rule listens to: a banner, nothing runs.
    tokio::task::block_in_place(|| scan(&mut state, &runner, "PD:EVENT:NOBODY", start));
    assert!(matches!(
        &state.banner,
        Some(packdesk::app::Notice::RuleUnknownEvent { name }) if name == "nobody"
    ));
    bench.pump(&mut state, &runner, start);
    let log = RuleLog::open(&bench.store).expect("log");
    assert_eq!(log.list(10).expect("list").len(), 1);
    handle.abort();
    let _ = bench.stop.send(true);
}

const PHOTO_RULES: &str = r#"
[[rule]]
name = "packed: photo"
event = "packed"
actions = ["take_photo"]

[[rule]]
name = "photo: tell"
event = "photo_taken"
actions = [{ webhook = { url = "HOOK/hook" } }]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photos_from_a_key_and_from_a_rule_fire_photo_taken_rules() {
    let (mut bench, set, engine, inbox) =
        Bench::start(|hook| PHOTO_RULES.replace("HOOK", hook), false).await;
    let handle = bench.executor(&set).spawn(inbox);
    let o = bench.orders[2].clone();
    let runner = bench.runner(&engine);
    let start = Instant::now();
    let mut state = new_state(&set);
    tokio::task::block_in_place(|| {
        pick(&mut state, &runner, &o, start);
        // PD:PHOTO: the runner takes the photo; `photo_taken` goes to the rules.
        scan(&mut state, &runner, "PD:PHOTO", start);
    });
    let wait_hooks = |n: usize| {
        let received = bench.received.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(10);
            while received.lock().unwrap_or_else(|p| p.into_inner()).len() < n {
                assert!(Instant::now() < deadline, "webhooks missing");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    wait_hooks(1).await;
    tokio::task::block_in_place(|| scan(&mut state, &runner, "PD:PACK", start));
    // The packed rule takes the second photo, which fires the webhook rule again.
    wait_hooks(2).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    bench.pump(&mut state, &runner, start);
    let hooks = bench.hooks();
    assert_eq!(hooks.len(), 2, "{hooks:#?}");
    let occurrences: Vec<String> = hooks
        .iter()
        .map(|(b, _)| {
            assert_eq!(b["event"], "photo_taken");
            b["occurrence"].as_str().unwrap_or_default().to_string()
        })
        .collect();
    assert_eq!(
        occurrences,
        vec![
            format!("photo_taken:{}:1", o.key()),
            format!("photo_taken:{}:2", o.key())
        ]
    );
    // Both photos are stored with the hash of what the camera served.
    let photos = packdesk::camera::PhotoStore::open(&bench.store).expect("photos");
    let records = photos.list(&o.key()).expect("list");
    assert_eq!(records.len(), 2);
    assert_eq!(bench.camera_sim.served(), 2);
    for (i, r) in records.iter().enumerate() {
        let served = render_snapshot(i as u64 + 1).expect("snapshot");
        assert_eq!(r.sha256, sha_hex(&served), "photo {}", i + 1);
        let file = std::fs::read(photos.file_path(r)).expect("file");
        assert_eq!(sha_hex(&file), r.sha256);
        assert_eq!(r.station, "bench-1");
    }
    assert_eq!(state.pack.as_ref().map(|p| p.photos), Some(2));
    handle.abort();
    let _ = bench.stop.send(true);
}

const FAILING_RULES: &str = r#"
[[rule]]
name = "packed: baselinker flags"
event = "packed"
actions = [
  { set_pick_pack_state = { pick = true, pack = true } },
  { print = { document = "label" } },
]
on_failure = "custom:problem"

[[rule]]
name = "problem: tell"
event = "custom:problem"
actions = [{ webhook = { url = "HOOK/fail" } }]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_action_reaches_the_bench_and_fires_on_failure() {
    let (mut bench, set, engine, _inbox) =
        Bench::start(|hook| FAILING_RULES.replace("HOOK", hook), false).await;
    let o = bench.orders[0].clone();
    let runner = bench.runner(&engine);
    let start = Instant::now();
    let mut state = new_state(&set);
    tokio::task::block_in_place(|| pick(&mut state, &runner, &o, start));
    let exec = bench.executor(&set);
    let seq = state.pack.as_ref().map(|p| p.session.next_seq).unwrap_or(0);
    exec.handle(Event::packed(&o.key(), seq)).await;
    let failures = bench.pump(&mut state, &runner, start);
    assert_eq!(failures.len(), 2, "{failures:?}");
    assert!(
        failures[0].contains("packed: baselinker flags") && failures[0].contains("BaseLinker"),
        "{failures:?}"
    );
    assert!(failures[1].contains("HTTP 502"), "{failures:?}");
    // The banner names the rule and the reason.
    match &state.banner {
        Some(packdesk::app::Notice::RuleFailed {
            rule,
            action,
            error,
        }) => {
            assert_eq!(rule, "problem: tell");
            assert_eq!(action, "webhook");
            assert!(error.contains("/fail"), "{error}");
        }
        other => panic!("expected a rule failure banner, got {other:?}"),
    }
    let log = RuleLog::open(&bench.store).expect("log");
    let records = log.list(10).expect("list");
    assert_eq!(records.len(), 2);
    let flags = records
        .iter()
        .find(|r| r.rule == "packed: baselinker flags")
        .expect("first rule");
    assert!(matches!(flags.actions[0].outcome, Some(Outcome::Failed(_))));
    assert_eq!(flags.actions[1].outcome, Some(Outcome::Skipped));
    let _ = bench.stop.send(true);
}

const AGE_RULES: &str = r#"
daily_check_at = "05:00"

[[rule]]
name = "stuck two days"
event = "order_in_status_for_days"
days = 2
actions = [{ webhook = { url = "HOOK/hook" } }]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daily_check_runs_status_age_rules_once_per_stint_and_prunes_photos() {
    let (bench, set, _engine, _inbox) =
        Bench::start(|hook| AGE_RULES.replace("HOOK", hook), false).await;
    let o = bench.orders[0].clone();
    let photos = packdesk::camera::PhotoStore::open(&bench.store).expect("photos");
    photos
        .take(bench.camera.as_ref(), &o.key(), Some(1), "bench-1", None)
        .await
        .expect("photo");
    let exec = bench.executor(&set).with_photo_retention(7);
    let now = chrono::Utc::now();
    // The first check records since when each order is in its status: nothing is old.
    let first = exec.daily_check(now).await;
    assert!(first.checked >= bench.orders.len(), "{first:?}");
    assert_eq!(first.events, 0);
    assert_eq!(first.photos_pruned, 0);
    // One day later: a day in the status, not yet the two the rule waits for.
    let r = exec.daily_check(now + chrono::Duration::days(1)).await;
    assert_eq!(r.events, first.checked);
    assert!(bench.hooks().is_empty());
    // Three days later: every order has been in its status two days or more.
    let r = exec.daily_check(now + chrono::Duration::days(3)).await;
    assert_eq!(r.events, first.checked);
    let after_first = bench.hooks().len();
    assert_eq!(after_first, first.checked);
    // Again the next day: same stint, the rule does not run again.
    let r = exec.daily_check(now + chrono::Duration::days(4)).await;
    assert_eq!(r.events, first.checked);
    assert_eq!(bench.hooks().len(), after_first);
    // Ten days later the photo is past its seven days of retention.
    let r = exec.daily_check(now + chrono::Duration::days(10)).await;
    assert_eq!(r.photos_pruned, 1);
    assert!(photos.list(&o.key()).expect("list").is_empty());
    let _ = bench.stop.send(true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shop_sync_fires_fetched_paid_status_and_changed_events() {
    let rules = |_: &str| {
        r#"
[[rule]]
name = "status"
event = "status_set"
actions = [{ add_history = { text = "seen" } }]
"#
        .to_string()
    };
    let (bench, _set, engine, mut inbox) = Bench::start(rules, false).await;
    // The first sync happened before the engine was connected to the sync worker: make
    // a new store-backed sync with the engine and change one order in the shop.
    let o = bench.orders[0].clone();
    let shop = Arc::new(
        UpgatesClient::new(&bench._running[0].base_url, "login", "key", false).expect("shop"),
    );
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let sync = SyncWorker::new(shop, bench.store.clone(), tx, Duration::from_secs(60))
        .with_rules(engine.clone());
    assert!(bench.shop_sim.touch_order(
        &o.number,
        &serde_json::json!({ "status_id": 3, "status": "Odeslaná", "paid_date": "2026-01-01T10:00:00+01:00" })
    ));
    let st = sync.sync_once().await;
    assert!(st.ok, "{st:?}");
    let mut kinds = Vec::new();
    while let Some(ev) = inbox.try_recv() {
        assert_eq!(ev.order_key, o.key());
        kinds.push(ev.kind);
    }
    assert!(kinds.contains(&EventKind::StatusSet), "{kinds:?}");
    assert!(
        kinds.contains(&EventKind::OrderChangedUpstream),
        "{kinds:?}"
    );
    // Nothing changed: nothing fired.
    let st = sync.sync_once().await;
    assert!(st.ok);
    assert!(inbox.try_recv().is_none());
    let _ = bench.hook_url;
    let _ = bench.stop.send(true);
}

/// A rules file with a mistake stops the bench before its first frame, naming the file,
/// the line and the key.
#[test]
fn a_broken_rules_file_stops_the_bench_with_its_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("station.toml");
    std::fs::write(&config, "station = \"bench-9\"\n").expect("station.toml");
    std::fs::write(
        dir.path().join("rules.toml"),
        "[[rule]]\nname = \"x\"\nevent = \"packed\"\nactions = [\"make_coffee\"]\n",
    )
    .expect("rules.toml");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_packdesk"))
        .arg("run")
        .arg("--config")
        .arg(&config)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .output()
        .expect("run packdesk");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("rules.toml"), "{err}");
    assert!(err.contains(":4"), "names line 4: {err}");
    assert!(err.contains("make_coffee"), "{err}");
}

/// `set_pick_pack_state` goes through the outbox to BaseLinker's `setOrderFields`; a shop
/// without pick/pack flags refuses with a clear reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pick_pack_state_reaches_baselinker_through_the_outbox() {
    use packdesk::shop::Shop;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sim = packdesk::sim::baselinker::BaseLinkerSim::new("tok", Faults::default(), 4);
    let mut order = packdesk::demo::generate(9, 1, chrono::Utc::now())
        .into_iter()
        .next()
        .expect("order");
    order.shop_id = Some("77".into());
    sim.add_orders(vec![packdesk::sim::baselinker::demo_order_json(&order)]);
    let run = sim.start(0).await.expect("sim");
    let shop = Arc::new(
        packdesk::shop::baselinker::BaseLinkerShop::new(&run.base_url, "tok").expect("shop"),
    );
    assert!(shop.supports_pick_pack());
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    let outbox = Outbox::open(&store).expect("outbox");
    let carrier = Arc::new(packdesk::carrier::own::OwnLabel::new(
        store.clone(),
        dir.path(),
        "sender",
    ));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = Worker::new(outbox.clone(), shop, carrier, |_| {});
    tokio::spawn(worker.run(stopped));
    let update = packdesk::shop::OrderUpdate {
        number: order.number.clone(),
        shop_id: Some("77".into()),
        status: None,
        tracking_number: None,
        notify: false,
    };
    outbox
        .enqueue(packdesk::outbox::Operation::SetPickPack {
            order: update.clone(),
            pick: Some(true),
            pack: Some(true),
        })
        .expect("enqueue");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let o = sim.order("77").unwrap_or_default();
        if o["pick_state"] == 1 && o["pack_state"] == 1 {
            break;
        }
        assert!(Instant::now() < deadline, "pick/pack not set: {o}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = stop.send(true);

    // Upgates has no such flags: the default of the trait refuses, naming BaseLinker.
    let upgates = UpgatesClient::new("http://127.0.0.1:9/api/v2", "l", "k", false).expect("client");
    assert!(!upgates.supports_pick_pack());
    let err = upgates
        .set_pick_pack_state(&update, Some(true), None)
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("BaseLinker only"), "{err}");
    assert!(!err.is_transient());
}

/// A stop after the label job was queued but before its outcome was recorded: the resumed
/// rule finds the job in the print queue and does not print the label again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_label_queued_just_before_a_stop_is_not_printed_again() {
    let (bench, set, engine, mut inbox) =
        Bench::start(|hook| SHIP_RULES.replace("HOOK", hook), true).await;
    let o = bench.orders[1].clone();
    bench.pack_at_bench(&set, &engine, &o);
    let packed = next_event(&mut inbox, EventKind::Packed).await;
    // Stop after the shipment: the label print is next.
    bench.handle_one_action(&set, packed.clone()).await;
    // The label job reached the queue, then the process "died" before recording it.
    let printing = bench.pipeline.printing().expect("printing").clone();
    let sh = bench
        .store
        .shipments(&o.key())
        .expect("shipments")
        .into_iter()
        .next()
        .expect("shipment");
    let path = bench
        .pipeline
        .label_source(&o.key(), sh.parcel_no, sh.label_path.as_deref())
        .expect("label in the store");
    // Named as the executor names it: after the out_dir copy, `<order>-<parcel>.pdf`.
    let name = sh
        .label_path
        .as_deref()
        .and_then(|p| std::path::Path::new(p).file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .expect("file name");
    let (job, _) = bench
        .pipeline
        .label_job(&path, &name, &o.key(), bench.pipeline.station())
        .expect("label job");
    printing.queue.enqueue(job).await.expect("queued");
    let resumed = bench.executor(&set);
    resumed.resume_unfinished().await;
    bench.drained().await;
    resumed.settle_queued().await;
    let jobs = queued_jobs(&printing, &o.key(), DocKind::Label);
    assert_eq!(jobs.len(), 1, "{jobs:#?}");
    assert_last_run_done(&bench.store);
    let _ = bench.stop.send(true);
}

const HISTORY_RULES: &str = r#"
[[rule]]
name = "packed: history"
event = "packed"
actions = [{ add_history = { text = "Packed at {station}" } }]
"#;

/// Waits until the rule log holds `n` finished executions.
async fn finished(store: &Store, n: usize) -> Vec<packdesk::rules::ExecutionRecord> {
    let log = RuleLog::open(store).expect("log");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let records = log.list(10).expect("list");
        if records.iter().filter(|r| r.finished_at.is_some()).count() >= n {
            return records;
        }
        assert!(Instant::now() < deadline, "not finished: {records:#?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// An event fired but not handled before the process died is on disk: the next start
/// replays it, the rule runs once, and a further restart does not run it again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_fired_just_before_a_crash_runs_its_rule_once_after_the_restart() {
    let (bench, set, engine, inbox) = Bench::start(|_| HISTORY_RULES.to_string(), false).await;
    let o = bench.orders[2].clone();
    engine.fire(Event::new(EventKind::Packed, &o.key(), "1"));
    assert_eq!(engine.pending_events(), 1, "stored before fire returns");
    // "Crash": the executor never saw the event.
    drop(inbox);

    let (engine2, inbox2) = RuleEngine::channel(&set, &bench.store).expect("engine");
    assert_eq!(
        engine2.pending_events(),
        1,
        "still on disk after the restart"
    );
    let running = bench.executor(&set).spawn(inbox2);
    let records = finished(&bench.store, 1).await;
    assert_eq!(records.len(), 1, "{records:#?}");
    assert_eq!(records[0].event.order_key, o.key());
    bench.drained().await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while engine2.pending_events() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(engine2.pending_events(), 0, "handled: removed");
    running.abort();

    // Another restart: nothing is replayed, the rule does not run again.
    let (_engine3, inbox3) = RuleEngine::channel(&set, &bench.store).expect("engine");
    let third = bench.executor(&set);
    third.resume_unfinished().await;
    assert_eq!(third.replay_events().await, 0);
    drop(inbox3);
    let log = RuleLog::open(&bench.store).expect("log");
    assert_eq!(log.list(10).expect("list").len(), 1);
    let ours: Vec<Value> = bench
        .shop_sim
        .history(&o.number)
        .into_iter()
        .filter(|h| h.to_string().contains("Packed at bench-1"))
        .collect();
    assert_eq!(ours.len(), 1, "{ours:#?}");
    let _ = bench.stop.send(true);
}

const STATUS_RULES: &str = r#"
[[rule]]
name = "packed: status"
event = "packed"
actions = [
  { set_status = { status = "4" } },
  { add_history = { text = "Packed at {station}" } },
]
"#;

/// A second *packed* of the same order (after a drop and a new pack) sets the status and
/// writes the history line again: the rule's outbox keys carry the occurrence.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_occurrence_enqueues_the_same_status_and_history_again() {
    let (bench, set, _engine, _inbox) = Bench::start(|_| STATUS_RULES.to_string(), false).await;
    let o = bench.orders[0].clone();
    let exec = bench.executor(&set);
    exec.handle(Event::new(EventKind::Packed, &o.key(), "1"))
        .await;
    bench.drained().await;
    exec.handle(Event::new(EventKind::Packed, &o.key(), "2"))
        .await;
    bench.drained().await;
    let entries = bench
        .pipeline
        .outbox()
        .list(packdesk::outbox::Filter::All)
        .expect("list");
    let statuses = entries
        .iter()
        .filter(|e| e.key.starts_with(&format!("status:{}:4:", o.number)))
        .count();
    assert_eq!(statuses, 2, "{entries:#?}");
    let ours = bench
        .shop_sim
        .history(&o.number)
        .into_iter()
        .filter(|h| h.to_string().contains("Packed at bench-1"))
        .count();
    assert_eq!(ours, 2, "one history line per occurrence");
    let _ = bench.stop.send(true);
}

const LABEL_RULES: &str = r#"
[[rule]]
name = "packed: label"
event = "packed"
actions = ["create_shipment", { print = { document = "label" } }]
"#;

/// A label a rule prints is the pipeline's label job: from the label store, placed on the
/// station's next free A4 quarter, which then moves on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_printed_label_goes_on_the_next_free_quarter() {
    let (bench, set, engine, mut inbox) = Bench::start(|_| LABEL_RULES.to_string(), true).await;
    let o = bench.orders[3].clone();
    bench.pack_at_bench(&set, &engine, &o);
    let packed = next_event(&mut inbox, EventKind::Packed).await;
    let mut printing = bench.pipeline.printing().expect("printing").clone();
    printing.printers.label.size = packdesk::print::LabelSize::A4Quarter;
    let pipeline = bench.pipeline.clone().with_printing(printing.clone());
    let station = pipeline.station().to_string();
    assert_eq!(pipeline.quarter(&station), Some(1));
    let exec = Executor::new(set.clone(), pipeline.clone(), "bench-1")
        .expect("executor")
        .with_bench(bench.tx.clone())
        .with_ship_timeout(Duration::from_secs(20));
    exec.handle(packed).await;
    assert_last_run_done(&bench.store);
    let labels = queued_jobs(&printing, &o.key(), DocKind::Label);
    assert_eq!(labels.len(), 1, "{labels:#?}");
    assert!(labels[0].name.starts_with("q1-"), "{labels:#?}");
    assert_eq!(pipeline.quarter(&station), Some(2), "the quarter moved on");
    let _ = bench.stop.send(true);
}

const HANDOVER_RULES: &str = r#"
[[rule]]
name = "packed: ship and hand over"
event = "packed"
actions = ["create_shipment", "handover"]

[[rule]]
name = "protocol"
event = "custom:protocol"
actions = [{ print = { document = "handover" } }]
"#;

/// `print` of the hand-over protocol prints the protocol the pipeline kept when the
/// hand-over finished: no new download (the carrier is not even reachable then).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_handover_protocol_printed_by_a_rule_is_the_kept_one() {
    let (mut bench, set, engine, mut inbox) =
        Bench::start(|_| HANDOVER_RULES.to_string(), true).await;
    let o = bench.orders[2].clone();
    bench.pack_at_bench(&set, &engine, &o);
    let packed = next_event(&mut inbox, EventKind::Packed).await;
    let exec = bench.executor(&set);
    exec.handle(packed).await;
    bench.drained().await;
    // The pipeline keeps the protocol once the hand-over is done.
    let deadline = Instant::now() + Duration::from_secs(10);
    let kept = loop {
        if let Some(pdf) = bench
            .pipeline
            .handover_protocol(&o.key())
            .expect("protocol readable")
        {
            break pdf;
        }
        assert!(Instant::now() < deadline, "no protocol kept");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(kept.starts_with(b"%PDF"));
    // The carrier goes away (the simulators' servers stop).
    bench._running.remove(1);
    exec.handle(Event::new(
        EventKind::Custom("protocol".into()),
        &o.key(),
        "1",
    ))
    .await;
    let log = RuleLog::open(&bench.store).expect("log");
    let r = log
        .list(10)
        .expect("list")
        .into_iter()
        .find(|r| r.rule == "protocol")
        .expect("protocol rule ran");
    assert!(
        r.actions.iter().all(|a| a.outcome == Some(Outcome::Done)),
        "{:#?}",
        r.actions
    );
    let printing = bench.pipeline.printing().expect("printing");
    let jobs = queued_jobs(printing, &o.key(), DocKind::Handover);
    assert_eq!(jobs.len(), 1, "{jobs:#?}");
    let _ = bench.stop.send(true);
}

const NEXT_RULES: &str = r#"
[[rule]]
name = "packed: next"
event = "packed"
actions = [{ fire = { event = "custom:next" } }, { add_history = { text = "Packed first" } }]

[[rule]]
name = "next: history"
event = "custom:next"
actions = [{ add_history = { text = "Next step at {station}" } }]
"#;

/// The shop history lines of `number` containing `text`, once the outbox is drained.
async fn history_lines(bench: &Bench, number: &str, text: &str) -> usize {
    bench.drained().await;
    bench
        .shop_sim
        .history(number)
        .iter()
        .filter(|h| h.to_string().contains(text))
        .count()
}

/// The rule log's executions of `rule`.
fn runs_of(store: &Store, rule: &str) -> Vec<packdesk::rules::ExecutionRecord> {
    RuleLog::open(store)
        .expect("log")
        .list(50)
        .expect("list")
        .into_iter()
        .filter(|r| r.rule == rule)
        .collect()
}

/// A stop right after an execution finished: its `fire` follow-up was recorded with the
/// end of the run, so the next start raises it (once), and a further start does not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fire_follow_up_recorded_before_a_crash_is_raised_once_after_the_restart() {
    let (bench, set, engine, _inbox) = Bench::start(|_| NEXT_RULES.to_string(), false).await;
    let o = bench.orders[0].clone();
    let packed = Event::new(EventKind::Packed, &o.key(), "1");
    let first = bench.executor(&set).with_crash_after_finish();
    first.handle(packed.clone()).await;
    drop(first);
    let parent = runs_of(&bench.store, "packed: next");
    assert_eq!(parent.len(), 1);
    assert!(parent[0].finished_at.is_some(), "{parent:#?}");
    assert!(runs_of(&bench.store, "next: history").is_empty());
    assert_eq!(engine.pending_events(), 1, "the follow-up waits on disk");

    // The restart raises it: the follow-up rule runs once, for the follow-up occurrence.
    let second = bench.executor(&set);
    second.resume_unfinished().await;
    assert_eq!(second.replay_events().await, 1);
    let next = runs_of(&bench.store, "next: history");
    assert_eq!(next.len(), 1, "{next:#?}");
    assert_eq!(
        next[0].event.occurrence,
        format!("{}/packed: next/fire0", packed.occurrence)
    );
    assert_eq!(engine.pending_events(), 0, "handled: removed");
    // Another start, and the same occurrence again: nothing runs twice.
    let third = bench.executor(&set);
    third.resume_unfinished().await;
    assert_eq!(third.replay_events().await, 0);
    third.handle(packed).await;
    assert_eq!(runs_of(&bench.store, "next: history").len(), 1);
    assert_eq!(runs_of(&bench.store, "packed: next").len(), 1);
    assert_eq!(
        history_lines(&bench, &o.number, "Next step at bench-1").await,
        1
    );
    let _ = bench.stop.send(true);
}

/// A stop after the `fire` action but before the run ended: nothing was raised yet; the
/// resumed execution raises the follow-up once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fire_follow_up_not_recorded_before_a_crash_is_raised_once_when_resumed() {
    let (bench, set, engine, _inbox) = Bench::start(|_| NEXT_RULES.to_string(), false).await;
    let o = bench.orders[1].clone();
    let packed = Event::new(EventKind::Packed, &o.key(), "1");
    bench.handle_one_action(&set, packed.clone()).await;
    let log = RuleLog::open(&bench.store).expect("log");
    assert_eq!(log.unfinished().expect("unfinished").len(), 1);
    assert_eq!(
        engine.pending_events(),
        0,
        "not raised before the run ended"
    );
    assert!(runs_of(&bench.store, "next: history").is_empty());

    let second = bench.executor(&set);
    second.resume_unfinished().await;
    assert_eq!(second.replay_events().await, 0);
    assert_eq!(runs_of(&bench.store, "next: history").len(), 1);
    assert_eq!(engine.pending_events(), 0);
    let third = bench.executor(&set);
    third.resume_unfinished().await;
    assert_eq!(third.replay_events().await, 0);
    assert_eq!(runs_of(&bench.store, "next: history").len(), 1);
    assert_eq!(
        history_lines(&bench, &o.number, "Next step at bench-1").await,
        1
    );
    assert_eq!(history_lines(&bench, &o.number, "Packed first").await, 1);
    let _ = bench.stop.send(true);
}

const PHOTO_CHAIN_RULES: &str = r#"
[[rule]]
name = "packed: photo"
event = "packed"
actions = ["take_photo", { add_history = { text = "Photographed" } }]

[[rule]]
name = "photo: history"
event = "photo_taken"
actions = [{ add_history = { text = "Photo seen at {station}" } }]
"#;

/// A stop right after `take_photo`: its `photo_taken` was stored with the photo's
/// outcome, so the next start runs the photo rule once and takes no second photo.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_taken_by_a_rule_just_before_a_crash_still_fires_photo_taken_once() {
    let (bench, set, engine, _inbox) = Bench::start(|_| PHOTO_CHAIN_RULES.to_string(), false).await;
    let o = bench.orders[2].clone();
    let packed = Event::new(EventKind::Packed, &o.key(), "1");
    bench.handle_one_action(&set, packed.clone()).await;
    assert_eq!(bench.camera_sim.served(), 1);
    assert_eq!(engine.pending_events(), 1, "photo_taken waits on disk");
    assert!(runs_of(&bench.store, "photo: history").is_empty());

    let second = bench.executor(&set);
    second.resume_unfinished().await;
    assert_eq!(second.replay_events().await, 1);
    let photo = runs_of(&bench.store, "photo: history");
    assert_eq!(photo.len(), 1, "{photo:#?}");
    assert_eq!(
        photo[0].event.occurrence,
        format!("photo_taken:{}:1", o.key())
    );
    let third = bench.executor(&set);
    third.resume_unfinished().await;
    assert_eq!(third.replay_events().await, 0);
    assert_eq!(runs_of(&bench.store, "photo: history").len(), 1);
    assert_eq!(bench.camera_sim.served(), 1, "no second photo");
    assert_eq!(
        history_lines(&bench, &o.number, "Photo seen at bench-1").await,
        1
    );
    let _ = bench.stop.send(true);
}

/// A rule whose status the shop refuses for good (Upgates answers "Unknown status").
const REFUSED_RULES: &str = r#"
[[rule]]
name = "packed: status"
event = "packed"
actions = [
  { set_status = { status = "999" } },
  { add_history = { text = "Packed at {station}" } },
]
on_failure = "custom:problem"

[[rule]]
name = "problem: note"
event = "custom:problem"
actions = [{ add_history = { text = "Problem noted" } }]
"#;

/// Waits until the rule-log line of `rule` is in `state`.
async fn line_in(engine: &RuleEngine, rule: &str, state: &str) -> packdesk::app::rules::RuleLine {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let lines = engine.lines(20).expect("lines");
        if let Some(l) = lines.iter().find(|l| l.rule == rule && l.state == state) {
            return l.clone();
        }
        assert!(
            Instant::now() < deadline,
            "{rule} never {state}: {lines:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A shop change a rule queued shows "queued" until the shop answers; a permanent
/// refusal turns it "failed" with the shop's reason, reaches the bench as the rule
/// failure banner and runs the rule's `on_failure` once. The running executor hears the
/// outcome from the outbox worker (through the pipeline).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_the_shop_refuses_ends_the_rule_failed_with_the_shops_reason() {
    let (mut bench, set, engine, inbox) = Bench::start(|_| REFUSED_RULES.to_string(), false).await;
    let o = bench.orders[0].clone();
    let runner = bench.runner(&engine);
    let start = Instant::now();
    let mut state = new_state(&set);
    // The shop answers 429 for a while: the queued changes wait in the outbox.
    bench.shop_sim.throttle(Duration::from_secs(2));
    let running = bench.executor(&set).spawn(inbox);
    engine.fire(Event::new(EventKind::Packed, &o.key(), "1"));
    let queued = line_in(&engine, "packed: status", "queued").await;
    assert!(queued.detail.contains("set_status"), "{queued:?}");

    let failed = line_in(&engine, "packed: status", "failed").await;
    assert!(
        failed.detail.starts_with("set_status: ") && failed.detail.contains("Unknown status 999"),
        "{failed:?}"
    );
    let record = runs_of(&bench.store, "packed: status").remove(0);
    assert!(
        matches!(&record.actions[0].outcome, Some(Outcome::Failed(e)) if e.contains("Unknown status 999")),
        "{:#?}",
        record.actions
    );
    // The history line after it was queued before the refusal and went through.
    let done = |r: &packdesk::rules::ExecutionRecord, i: usize| {
        r.actions.get(i).and_then(|a| a.outcome.clone()) == Some(Outcome::Done)
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done(&runs_of(&bench.store, "packed: status")[0], 1) {
        assert!(Instant::now() < deadline, "history never done");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // on_failure ran once: its own shop change ends done.
    line_in(&engine, "problem: note", "ok").await;
    assert_eq!(history_lines(&bench, &o.number, "Problem noted").await, 1);
    // The bench got the failure, naming the rule and the shop's reason.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let failures = bench.pump(&mut state, &runner, start);
    assert!(
        failures
            .iter()
            .any(|f| f.starts_with("packed: status: ") && f.contains("Unknown status 999")),
        "{failures:?}"
    );
    assert!(
        matches!(
            &state.banner,
            Some(packdesk::app::Notice::RuleFailed { rule, action, error })
                if rule == "packed: status" && action == "set_status" && error.contains("Unknown status 999")
        ),
        "{:?}",
        state.banner
    );
    running.abort();
    // A restart settles nothing again and raises no second on_failure.
    let again = bench.executor(&set);
    again.resume_unfinished().await;
    assert_eq!(again.replay_events().await, 0);
    assert_eq!(again.settle_queued().await, 0);
    assert_eq!(runs_of(&bench.store, "problem: note").len(), 1);
    let _ = bench.stop.send(true);
}

/// The outcome reached the outbox while no executor listened (a stop between the
/// outcome on disk and its report): the sweep at the next start settles the queued
/// actions, once, and raises `on_failure` once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_the_executor_missed_is_settled_by_the_sweep_at_start() {
    let (mut bench, set, engine, inbox) = Bench::start(|_| REFUSED_RULES.to_string(), false).await;
    let o = bench.orders[1].clone();
    bench.shop_sim.throttle(Duration::from_secs(2));
    let first = bench.executor(&set);
    first
        .handle(Event::new(EventKind::Packed, &o.key(), "1"))
        .await;
    let l = line_in(&engine, "packed: status", "queued").await;
    assert_eq!(l.order_key, o.key());
    bench.drained().await;
    // The worker's reports went nowhere ("crash" of the executor): still queued.
    drop(first);
    drop(inbox);
    line_in(&engine, "packed: status", "queued").await;
    assert!(runs_of(&bench.store, "problem: note").is_empty());

    let second = bench.executor(&set);
    second.resume_unfinished().await;
    assert_eq!(
        second.settle_queued().await,
        2,
        "status failed, history done"
    );
    let failed = line_in(&engine, "packed: status", "failed").await;
    assert!(failed.detail.contains("Unknown status 999"), "{failed:?}");
    assert_eq!(runs_of(&bench.store, "problem: note").len(), 1);
    let mut failures = Vec::new();
    while let Ok(m) = bench.rx.try_recv() {
        if let Msg::Rule(RuleNote::Failed { rule, error, .. }) = m {
            failures.push(format!("{rule}: {error}"));
        }
    }
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(failures[0].contains("Unknown status 999"), "{failures:?}");
    // The on_failure rule's own history line goes through the outbox too, and is settled
    // by a report or a sweep, whichever comes first; once it is through, nothing is left
    // to settle, and nothing of the refused rule is settled again.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !engine
        .lines(20)
        .expect("lines")
        .iter()
        .any(|l| l.rule == "problem: note" && l.state == "ok")
    {
        assert!(Instant::now() < deadline, "the problem note never settled");
        bench.drained().await;
        second.settle_queued().await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(second.settle_queued().await, 0, "settled once");
    assert_eq!(second.replay_events().await, 0);
    assert_eq!(runs_of(&bench.store, "problem: note").len(), 1);
    while let Ok(m) = bench.rx.try_recv() {
        assert!(
            !matches!(m, Msg::Rule(RuleNote::Failed { .. })),
            "no second failure banner after the sweeps: {m:?}"
        );
    }
    let _ = bench.stop.send(true);
}

/// A queued shop change a supervisor cancels on the Outbox screen (no worker report
/// follows a cancel) ends the rule failed at the next sweep, naming the cancel.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_change_cancelled_on_the_outbox_screen_ends_the_rule_failed() {
    let (bench, set, engine, _inbox) = Bench::start(|_| STATUS_RULES.to_string(), false).await;
    let o = bench.orders[3].clone();
    bench.shop_sim.throttle(Duration::from_secs(30));
    let exec = bench.executor(&set);
    exec.handle(Event::new(EventKind::Packed, &o.key(), "1"))
        .await;
    line_in(&engine, "packed: status", "queued").await;
    let record = runs_of(&bench.store, "packed: status").remove(0);
    let status_entry = record.actions[0].outbox.clone();
    assert_eq!(status_entry.len(), 1, "{record:#?}");
    // The worker may hold it in flight for a moment (429, then backoff): cancel once
    // it is pending again.
    let deadline = Instant::now() + Duration::from_secs(10);
    while bench.pipeline.outbox().cancel(status_entry[0]).is_err() {
        assert!(Instant::now() < deadline, "never cancellable");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(exec.settle_queued().await >= 1);
    let failed = line_in(&engine, "packed: status", "failed").await;
    assert!(
        failed.detail.starts_with("set_status: ") && failed.detail.contains("cancelled"),
        "{failed:?}"
    );
    let _ = bench.stop.send(true);
}

/// BaseLinker refuses the pick/pack flags of an order it no longer has: that rule ends
/// failed with BaseLinker's reason and the bench hears it; the same rule for an order
/// BaseLinker has ends done once the flags are set.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baselinker_refusing_a_rule_change_ends_that_rule_failed_with_its_reason() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sim = packdesk::sim::baselinker::BaseLinkerSim::new("tok", Faults::default(), 6);
    let mut orders = packdesk::demo::generate(9, 2, chrono::Utc::now());
    orders[0].shop_id = Some("77".into());
    orders[1].shop_id = Some("78".into());
    // Only the first is (still) in the shop.
    sim.add_orders(vec![packdesk::sim::baselinker::demo_order_json(&orders[0])]);
    let run = sim.start(0).await.expect("sim");
    let shop = Arc::new(
        packdesk::shop::baselinker::BaseLinkerShop::new(&run.base_url, "tok").expect("shop"),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    store.import_orders(&orders).expect("import");
    let set = RuleSet::parse(
        std::path::Path::new("rules.toml"),
        r#"
[[rule]]
name = "packed: flags"
event = "packed"
actions = [{ set_pick_pack_state = { pick = true, pack = true } }]
"#,
    )
    .expect("rules");
    let (engine, inbox) = RuleEngine::channel(&set, &store).expect("engine");
    let outbox = Outbox::open(&store).expect("outbox");
    let pipeline = Pipeline::new(
        outbox.clone(),
        store.clone(),
        &dir.path().join("out"),
        packdesk::demo::pipeline::carrier_map(),
        None,
        "own",
    )
    .with_rules(engine.clone());
    let carrier = Arc::new(packdesk::carrier::own::OwnLabel::new(
        store.clone(),
        dir.path(),
        "sender",
    ));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let on_event = common::bench_events(&pipeline, &tx);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(Worker::new(outbox, shop, carrier, on_event).run(stopped));
    let running = Executor::new(set, pipeline, "bench-1")
        .expect("executor")
        .with_pick_pack(true)
        .with_bench(tx)
        .spawn(inbox);
    for o in &orders {
        engine.fire(Event::new(EventKind::Packed, &o.key(), "1"));
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    let (gone, kept) = loop {
        let lines = engine.lines(10).expect("lines");
        let state = |o: &Order| {
            lines
                .iter()
                .find(|l| l.order_key == o.key())
                .map(|l| (l.state.clone(), l.detail.clone()))
        };
        if let (Some(gone), Some(kept)) = (state(&orders[1]), state(&orders[0]))
            && [&gone.0, &kept.0]
                .iter()
                .all(|s| *s == "ok" || *s == "failed")
        {
            break (gone, kept);
        }
        assert!(Instant::now() < deadline, "{lines:#?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(gone.0, "failed", "{gone:?}");
    assert!(
        gone.1.starts_with("set_pick_pack_state: ") && gone.1.contains("Order 78 not found"),
        "{gone:?}"
    );
    assert_eq!(kept.0, "ok", "{kept:?}");
    let o = sim.order("77").unwrap_or_default();
    assert_eq!(
        (o["pick_state"].clone(), o["pack_state"].clone()),
        (1.into(), 1.into())
    );
    let mut failures = Vec::new();
    while let Ok(m) = rx.try_recv() {
        if let Msg::Rule(RuleNote::Failed {
            rule,
            order_key,
            error,
            ..
        }) = m
        {
            failures.push((rule, order_key, error));
        }
    }
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0].0, "packed: flags");
    assert_eq!(failures[0].1, orders[1].key());
    assert!(failures[0].2.contains("Order 78 not found"), "{failures:?}");
    running.abort();
    let _ = stop.send(true);
}
