//! Printing at the bench through the real runner, outbox worker and Balikobot simulator,
//! with the print queue writing to directory printers: the packing slip at *packed*,
//! every label on the station's next free A4 quarter (remembered and advanced), labels
//! kept in the one label store, reprint without the carrier, bulk shipments for the
//! marked packed orders (the others skipped and counted), bulk labels 4-up, a new sheet,
//! and the print-queue screen.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use packdesk::app::print::BenchNotice;
use packdesk::app::{Action, AppState, Msg, Notice};
use packdesk::domain::{Order, OrderState, ShipmentState};
use packdesk::effects::{Pipeline, Printing, Runner, dispatch};
use packdesk::outbox::{Outbox, Worker};
use packdesk::print::{LabelSize, PrintQueue, PrinterKind, PrinterSection, PrintersSection};
use packdesk::sim::Faults;
use packdesk::sim::balikobot::BalikobotSim;
use packdesk::store::Store;
use tokio::sync::mpsc::UnboundedReceiver;

mod common;
use common::{bench_state, packable, printing_pipeline, scan};

fn act(state: &mut AppState, runner: &Runner, a: Action, start: Instant) {
    dispatch(state, runner, Msg::Action(a), start);
}

/// Feeds background messages to the bench until `done` holds (or 20 s pass).
fn pump(
    state: &mut AppState,
    runner: &Runner,
    rx: &mut UnboundedReceiver<Msg>,
    start: Instant,
    what: &str,
    done: impl Fn(&AppState) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done(state) {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {:?}",
            state.banner
        );
        // Checked after every message: a later banner may replace the awaited one.
        match rx.try_recv() {
            Ok(m) => {
                dispatch(state, runner, m, start);
            }
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        };
    }
}

fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
                .filter(|n| n.ends_with(".pdf"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn wait_for_file(dir: &Path, pred: impl Fn(&str) -> bool, what: &str) -> PathBuf {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(f) = files(dir).into_iter().find(|f| pred(f)) {
            return dir.join(f);
        }
        assert!(
            Instant::now() < deadline,
            "no {what} in {}: {:?}",
            dir.display(),
            files(dir)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Pages of a PDF and the size of the first (points).
fn pages(path: &Path) -> (usize, (f32, f32)) {
    let doc = lopdf::Document::load(path).expect("a PDF");
    let pages = doc.get_pages();
    let first = *pages.values().next().expect("a page");
    let mb = doc
        .get_object(first)
        .and_then(|o| o.as_dict())
        .and_then(|d| d.get(b"MediaBox"))
        .and_then(|m| m.as_array())
        .map(|a| {
            let n = |i: usize| a.get(i).and_then(|o| o.as_float().ok()).unwrap_or(0.0);
            (n(2) - n(0), n(3) - n(1))
        })
        .unwrap_or_default();
    (pages.len(), mb)
}

fn is_a4((w, h): (f32, f32)) -> bool {
    (w - 595.0).abs() < 2.0 && (h - 842.0).abs() < 2.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slips_quarters_reprint_and_bulk_work_at_the_bench() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let all = packdesk::demo::generate(17, 40, chrono::Utc::now());
    let orders: Vec<Order> = packable(&all).into_iter().take(3).collect();
    assert_eq!(orders.len(), 3);
    let (a, b, c) = (&orders[0], &orders[1], &orders[2]);

    let carrier_sim = BalikobotSim::new("user", "bkey", Faults::default(), 4);
    let carrier_run = carrier_sim.start(0).await.expect("balikobot sim");
    let carrier = common::balikobot(&carrier_run.base_url);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let labels_dir = dir.path().join("label-printer");
    let docs_dir = dir.path().join("document-printer");
    let store = Store::open(&dir.path().join("data")).expect("store");
    store.import_orders(&orders).expect("import");

    let outbox = Outbox::open(&store).expect("outbox");
    let queue = PrintQueue::open(&store, Default::default()).expect("print queue");
    let printers = PrintersSection {
        label: PrinterSection {
            kind: PrinterKind::Dir,
            dir: Some(labels_dir.clone()),
            size: LabelSize::A4Quarter,
            ..Default::default()
        },
        document: PrinterSection {
            kind: PrinterKind::Dir,
            dir: Some(docs_dir.clone()),
            ..Default::default()
        },
        ..Default::default()
    };
    let pipeline = Pipeline::new(
        outbox.clone(),
        store.clone(),
        &out,
        packdesk::demo::pipeline::carrier_map(),
        None,
        "balikobot",
    )
    .with_station("bench-1")
    .with_printing(Printing {
        queue: queue.clone(),
        printers,
        out_dir: out.clone(),
    });
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let printer = {
        let (queue, tx) = (queue.clone(), tx.clone());
        tokio::spawn(async move {
            let _ = queue
                .run(move |ev| {
                    if let Some(n) = packdesk::effects::print_note(&ev) {
                        let _ = tx.send(Msg::Print(n));
                    }
                })
                .await;
        })
    };
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let on_event = common::bench_events(&pipeline, &tx);
    let worker = Worker::new(
        outbox.clone(),
        Arc::new(packdesk::shop::NoShop),
        carrier,
        on_event,
    );
    let worker = tokio::spawn(worker.run(stopped));
    let runner = Runner::new(store.clone(), pipeline.clone(), tx.clone());
    let rows = store.summaries().expect("summaries").0;
    let mut state = bench_state(rows);
    let start = Instant::now();

    tokio::task::block_in_place(|| {
        // Where the next label goes, for the status bar: a fresh station starts at 1.
        for m in runner.run(packdesk::app::Effect::Print(
            packdesk::app::print::PrintFx::Status {
                station: "bench-1".into(),
            },
        )) {
            dispatch(&mut state, &runner, m, start);
        }
        assert_eq!(state.bench.quarter, Some(1));

        // Pack A and B (no ship on pack): each slip goes to the document printer at once.
        for o in [a, b] {
            scan(&mut state, &runner, &o.number, start);
            for code in common::item_codes(o) {
                scan(&mut state, &runner, code, start);
            }
            scan(&mut state, &runner, "PD:PACK", start);
            assert_eq!(
                state.pack.as_ref().map(|p| p.session.state),
                Some(packdesk::flow::SessionState::Packed),
                "{}: {:?}",
                o.number,
                state.banner
            );
            let slip = wait_for_file(&docs_dir, |f| f.contains(&o.number), "packing slip");
            let (n, size) = pages(&slip);
            assert!(n >= 1 && is_a4(size), "{n} pages of {size:?}");
            scan(&mut state, &runner, "PD:BACK", start);
        }
        assert_eq!(carrier_sim.packages().len(), 0, "nothing shipped yet");

        // Mark the packed tab and C (still to pack); bulk ship ships A and B, skips C.
        state.queue.set_tab(2);
        assert_eq!(state.queue.visible_len(), 2);
        act(&mut state, &runner, Action::MarkAll, start);
        state.queue.set_tab(0);
        state.queue.set_filter(&c.number);
        act(&mut state, &runner, Action::Mark, start);
        state.queue.set_filter("");
        assert_eq!(state.bench.marks.len(), 3);
        act(&mut state, &runner, Action::BulkShip, start);
        pump(&mut state, &runner, &mut rx, start, "bulk ship", |s| {
            matches!(
                s.banner,
                Some(Notice::Bench(BenchNotice::BulkShipped { .. }))
            )
        });
        assert_eq!(
            state.banner,
            Some(Notice::Bench(BenchNotice::BulkShipped {
                queued: 2,
                skipped: 1
            }))
        );
        assert!(state.bench.marks.is_empty());
        // Both labels come out, each on its own quarter of an A4 sheet: 1, then 2.
        pump(&mut state, &runner, &mut rx, start, "two labels", |_| {
            files(&labels_dir).len() == 2
        });
        let printed = files(&labels_dir);
        assert!(
            printed[0].starts_with("q1-") && printed[1].starts_with("q2-"),
            "{printed:?}"
        );
        for f in &printed {
            let (n, size) = pages(&labels_dir.join(f));
            assert!(n == 1 && is_a4(size), "{f}: {n} pages of {size:?}");
        }
        pump(&mut state, &runner, &mut rx, start, "quarter 3", |s| {
            s.bench.quarter == Some(3)
        });
        assert_eq!(
            packdesk::docs::next_free_quarter(&store, "bench-1").ok(),
            Some(3)
        );
        assert!(carrier_sim.packages().len() == 2);
        // One label store: each parcel's label is a content-addressed file linked to it.
        for o in [a, b] {
            let hash = outbox
                .label_store()
                .linked(&o.key(), 1)
                .expect("index")
                .expect("linked");
            let (path, _) = outbox
                .label_store()
                .path(&hash)
                .expect("path")
                .expect("file");
            assert!(
                path.starts_with(dir.path().join("data")),
                "{}",
                path.display()
            );
        }

        // Reprint A: from the label store (its out-dir copy is gone), the carrier not asked.
        let copy = store.shipments(&a.key()).expect("shipments")[0]
            .label_path
            .clone()
            .expect("label path");
        std::fs::remove_file(&copy).expect("remove the out-dir copy");
        let requests = carrier_sim.request_count();
        scan(&mut state, &runner, &a.number, start);
        scan(&mut state, &runner, "PD:REPRINT", start);
        let reprinted = wait_for_file(&labels_dir, |f| f.starts_with("q3-"), "reprinted label");
        assert!(reprinted.to_string_lossy().contains(&a.number));
        pump(&mut state, &runner, &mut rx, start, "reprint done", |s| {
            s.jobs == 0
        });
        assert_eq!(
            carrier_sim.request_count(),
            requests,
            "reprint never calls the carrier"
        );
        let sh = &store.shipments(&a.key()).expect("shipments")[0];
        assert_eq!(sh.state, ShipmentState::Ready);
        scan(&mut state, &runner, "PD:BACK", start);

        // Bulk labels of A and B from the Ready tab: one 4-up job from quarter 4, two pages.
        state.queue.set_tab(3);
        assert_eq!(state.queue.tab_state(), OrderState::Ready);
        act(&mut state, &runner, Action::MarkAll, start);
        act(&mut state, &runner, Action::BulkLabels, start);
        let bulk = wait_for_file(
            &labels_dir,
            |f| f.starts_with("labels-2-a4x4-q4"),
            "bulk labels",
        );
        let (n, size) = pages(&bulk);
        assert!(n == 2 && is_a4(size), "{n} pages of {size:?}");
        pump(&mut state, &runner, &mut rx, start, "bulk labels", |s| {
            matches!(
                s.banner,
                Some(Notice::Bench(BenchNotice::BulkLabels { .. }))
            )
        });
        assert_eq!(
            state.banner,
            Some(Notice::Bench(BenchNotice::BulkLabels {
                labels: 2,
                skipped: 0
            }))
        );
        assert_eq!(state.bench.quarter, Some(2));

        // A new sheet: back to quarter 1.
        scan(&mut state, &runner, "PD:NEW-SHEET", start);
        assert_eq!(state.bench.quarter, Some(1));
        assert_eq!(
            packdesk::docs::next_free_quarter(&store, "bench-1").ok(),
            Some(1)
        );

        // The print-queue screen lists the jobs: 2 slips, 2 labels, 1 reprint, 1 bulk.
        act(&mut state, &runner, Action::PrintQueue, start);
        pump(&mut state, &runner, &mut rx, start, "print jobs", |s| {
            s.bench.view.as_ref().is_some_and(|v| v.lines.len() == 6)
        });
        let v = state.bench.view.as_ref().expect("screen");
        assert!(v.lines.iter().all(|l| l.state == "done"), "{:?}", v.lines);
        // A done job cannot be retried: the queue's refusal is shown.
        act(&mut state, &runner, Action::OutboxRetry, start);
        pump(&mut state, &runner, &mut rx, start, "refusal", |s| {
            matches!(
                s.banner,
                Some(Notice::Bench(BenchNotice::QueueError { .. }))
            )
        });
    });
    printer.abort();
    let _ = stop.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(6), worker).await;
}

/// A pipeline with directory printers (label on a roll) and `slip`, nothing running.
fn roll_pipeline(
    dir: &Path,
    store: &Store,
    slip: packdesk::print::SlipWhen,
) -> (Pipeline, PrintQueue, Outbox) {
    let outbox = Outbox::open(store).expect("outbox");
    let queue = PrintQueue::open(store, Default::default()).expect("print queue");
    let printers = PrintersSection {
        slip,
        label: PrinterSection {
            kind: PrinterKind::Dir,
            dir: Some(dir.join("label-printer")),
            ..Default::default()
        },
        document: PrinterSection {
            kind: PrinterKind::Dir,
            dir: Some(dir.join("document-printer")),
            ..Default::default()
        },
    };
    let pipeline = printing_pipeline(outbox.clone(), store, &dir.join("out"), &queue, printers);
    (pipeline, queue, outbox)
}

fn created(order: &Order, label: &[u8], outbox: &Outbox) -> packdesk::outbox::OutboxEvent {
    let sha256 = outbox
        .label_store()
        .put_for(&order.key(), 1, label)
        .expect("stored");
    packdesk::outbox::OutboxEvent::ShipmentCreated {
        id: 1,
        order_key: order.key(),
        parcel_no: 1,
        created: packdesk::carrier::CreatedShipment {
            package_id: "P1".into(),
            tracking_number: "DR0001".into(),
            label_url: None,
        },
        label: Some(packdesk::outbox::LabelRef {
            sha256,
            size: label.len(),
        }),
    }
}

fn own_label(order: &Order) -> Vec<u8> {
    packdesk::docs::own_label_pdf(&packdesk::docs::LabelData {
        order_number: order.number.clone(),
        parcel_no: 1,
        parcel_count: 1,
        tracking_number: "DR0001".into(),
        carrier: "Zásilkovna".into(),
        service: String::new(),
        sender: "Sklad".into(),
        recipient: order.customer.clone(),
        pickup_point: None,
        cod: None,
        weight_kg: Some(1.0),
    })
    .expect("label")
}

async fn jobs_of(queue: &PrintQueue, kind: packdesk::print::DocKind) -> usize {
    queue
        .list()
        .expect("list")
        .iter()
        .filter(|j| j.kind == kind)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slip_policy_label_prints_the_slip_with_the_label_and_never_waits_for_the_key() {
    use packdesk::print::{DocKind, SlipWhen};
    let o = packdesk::demo::generate(3, 1, chrono::Utc::now()).remove(0);
    for (when, slips_at_label, slips_at_pack) in [
        (SlipWhen::Label, 1, 0),
        (SlipWhen::Packed, 0, 1),
        (SlipWhen::Never, 0, 0),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("data")).expect("store");
        store
            .import_orders(std::slice::from_ref(&o))
            .expect("import");
        let (pipeline, queue, outbox) = roll_pipeline(dir.path(), &store, when);
        let msgs = pipeline.on_event(&created(&o, &own_label(&o), &outbox));
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            jobs_of(&queue, DocKind::Slip).await,
            slips_at_label,
            "{when:?}"
        );
        assert_eq!(jobs_of(&queue, DocKind::Label).await, 1, "{when:?}");
        // A roll printer: the label file is printed as it is, no quarter is kept.
        assert!(
            !msgs
                .iter()
                .any(|m| matches!(m, Msg::Bench(packdesk::app::print::PrintMsg::Quarter(_)))),
            "{msgs:?}"
        );
        let label_job = queue
            .list()
            .expect("list")
            .into_iter()
            .find(|j| j.kind == DocKind::Label)
            .expect("label job");
        assert_eq!(label_job.name, format!("{}-1.pdf", o.number));
        // The pack flow's request prints only with `slip = "packed"`; the key always.
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let runner = Runner::new(store.clone(), pipeline.clone(), tx);
        let fx = |auto| {
            packdesk::app::Effect::Print(packdesk::app::print::PrintFx::Slip {
                order: Box::new(o.clone()),
                station: "bench-1".into(),
                auto,
            })
        };
        runner.run(fx(true));
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            jobs_of(&queue, DocKind::Slip).await,
            slips_at_label + slips_at_pack,
            "{when:?}"
        );
        runner.run(fx(false));
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            jobs_of(&queue, DocKind::Slip).await,
            slips_at_label + slips_at_pack + 1,
            "{when:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_label_only_in_the_out_dir_of_an_older_version_still_reprints() {
    let o = packdesk::demo::generate(4, 1, chrono::Utc::now()).remove(0);
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("data")).expect("store");
    store
        .import_orders(std::slice::from_ref(&o))
        .expect("import");
    let (pipeline, queue, _outbox) =
        roll_pipeline(dir.path(), &store, packdesk::print::SlipWhen::Never);
    // What an older version left: the shipment's label_path in the out dir, no link.
    let path = dir.path().join("out").join(format!("{}-1.pdf", o.number));
    std::fs::create_dir_all(dir.path().join("out")).expect("out");
    std::fs::write(&path, own_label(&o)).expect("label file");
    let sh = packdesk::domain::Shipment {
        order_key: o.key(),
        parcel_no: 1,
        parcel_count: 1,
        provider: "balikobot".into(),
        state: ShipmentState::Ready,
        package_id: Some("P1".into()),
        tracking_number: Some("DR0001".into()),
        label_path: Some(path.display().to_string()),
        weight_kg: 1.0,
        error: None,
        updated_at: chrono::Utc::now(),
        carrier: None,
        generation: 0,
        carrier_status: None,
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let runner = Runner::new(store.clone(), pipeline, tx);
    runner.run(packdesk::app::Effect::Reprint {
        order: Box::new(o.clone()),
        shipments: vec![sh.clone()],
    });
    let mut back = Vec::new();
    while let Ok(Some(m)) = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
        let done = matches!(m, Msg::JobDone);
        back.push(m);
        if done {
            break;
        }
    }
    assert!(
        back.iter()
            .any(|m| matches!(m, Msg::Shipment(s) if s.state == ShipmentState::Ready)),
        "{back:?}"
    );
    // The print job is queued by a task of its own: give it a moment.
    let mut jobs = queue.list().expect("list");
    for _ in 0..50 {
        if !jobs.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        jobs = queue.list().expect("list");
    }
    assert_eq!(jobs.len(), 1, "{jobs:?} {back:?}");
    assert_eq!(jobs[0].name, format!("{}-1.pdf", o.number));
    // Gone from the out dir too (and never stored): the parcel comes back failed.
    std::fs::remove_file(&path).expect("remove");
    runner.run(packdesk::app::Effect::Reprint {
        order: Box::new(o.clone()),
        shipments: vec![sh],
    });
    let failed = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .ok()
        .flatten();
    assert!(
        matches!(&failed, Some(Msg::Shipment(s)) if s.state == ShipmentState::Failed
            && s.error.as_deref().is_some_and(|e| e.contains("missing"))),
        "{failed:?}"
    );
}
