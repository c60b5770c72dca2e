//! Opening an order's documents from the order detail, through the real runner: the list
//! (invoice from the Upgates simulator, slip, stored label), printing through the print
//! queue on the document printer (the shop's PDF fetched once, then kept), and the
//! `[docs] open_with` viewer run in the background on the saved file.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use packdesk::app::detail::{DetailEffect, DetailMsg, DocOutcome};
use packdesk::app::{Effect, Msg};
use packdesk::config::DocsSection;
use packdesk::docs::DocRef;
use packdesk::domain::{Order, Shipment, ShipmentState};
use packdesk::effects::{Pipeline, Runner};
use packdesk::outbox::Outbox;
use packdesk::print::{PrintQueue, PrinterKind, PrinterSection, PrintersSection};
use packdesk::shop::upgates::UpgatesClient;
use packdesk::sim::upgates::{UpgatesSim, demo_order_json};
use packdesk::store::Store;

mod common;
use common::{UpgatesShop, next_detail, printing_pipeline, upgates_shop};

const LABEL: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

struct Bench {
    sim: UpgatesSim,
    _run: packdesk::sim::Running,
    dir: tempfile::TempDir,
    store: Store,
    order: Order,
    pipeline: Pipeline,
    shop: Arc<UpgatesClient>,
}

async fn bench() -> Bench {
    let orders = packdesk::demo::generate(4, 10, chrono::Utc::now());
    let UpgatesShop { sim, _run, shop } =
        upgates_shop(orders.iter().map(demo_order_json).collect()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("data")).expect("store");
    let mut o = orders[2].clone();
    o.source = "upgates".into();
    store
        .import_orders(std::slice::from_ref(&o))
        .expect("import");
    let outbox = Outbox::open(&store).expect("outbox");
    // Parcel 1 has a ready shipment whose label is in the label store.
    outbox
        .label_store()
        .put_for(&o.key(), 1, LABEL)
        .expect("label");
    let mut sh = Shipment::pending(&o.key(), 1, 1, "balikobot");
    sh.state = ShipmentState::Ready;
    sh.tracking_number = Some("DR0001".into());
    store.save_shipment(&sh).expect("shipment");
    let queue = PrintQueue::open(&store, Default::default()).expect("print queue");
    let printers = PrintersSection {
        label: PrinterSection {
            kind: PrinterKind::Dir,
            dir: Some(dir.path().join("label-printer")),
            ..Default::default()
        },
        document: PrinterSection {
            kind: PrinterKind::Dir,
            dir: Some(dir.path().join("office")),
            ..Default::default()
        },
        ..Default::default()
    };
    let pipeline = printing_pipeline(outbox, &store, &dir.path().join("out"), &queue, printers);
    tokio::spawn(async move {
        let _ = queue.run(|_| {}).await;
    });
    Bench {
        sim,
        _run,
        dir,
        store,
        order: o,
        pipeline,
        shop,
    }
}

fn wait_for_file(dir: &Path, name: &str) -> Vec<u8> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(b) = std::fs::read(dir.join(name))
            && !b.is_empty()
        {
            return b;
        }
        assert!(
            Instant::now() < deadline,
            "{name} not in {}: {:?}",
            dir.display(),
            std::fs::read_dir(dir).map(|d| d.flatten().map(|e| e.file_name()).collect::<Vec<_>>())
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_are_listed_and_printed_on_the_document_printer() {
    let b = bench().await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let runner = Runner::new(b.store.clone(), b.pipeline.clone(), tx).with_shop(b.shop.clone());
    let key = b.order.key();
    let before = b.sim.request_count();
    let listed = runner.run(Effect::Detail(DetailEffect::Docs { key: key.clone() }));
    let want = vec![
        DocRef::ShopPdf { cached: false },
        DocRef::Slip,
        DocRef::Label {
            parcel_no: 1,
            tracking: Some("DR0001".into()),
            zpl: false,
        },
    ];
    assert!(
        matches!(listed.as_slice(), [Msg::Detail(DetailMsg::Docs { key: k, docs })] if *k == key && *docs == want),
        "{listed:?}"
    );
    assert_eq!(
        b.sim.request_count(),
        before,
        "listing asks the shop nothing"
    );

    // The invoice: fetched from the shop (one request), printed on the document printer.
    let open = |doc: DocRef| {
        Effect::Detail(DetailEffect::OpenDoc {
            order: Box::new(b.order.clone()),
            doc,
        })
    };
    assert!(
        runner
            .run(open(DocRef::ShopPdf { cached: false }))
            .is_empty()
    );
    match next_detail(&mut rx).await {
        DetailMsg::DocDone(n) => match n.outcome {
            DocOutcome::Printed { printer } => assert!(printer.contains("office"), "{printer}"),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
    assert_eq!(b.sim.request_count() - before, 1);
    let office = b.dir.path().join("office");
    let name = format!("{}-invoice.pdf", b.order.number);
    let printed = wait_for_file(&office, &name);
    assert!(printed.starts_with(b"%PDF-"));
    // Opened again: from the kept copy, no request.
    runner.run(open(DocRef::ShopPdf { cached: true }));
    assert!(matches!(
        next_detail(&mut rx).await,
        DetailMsg::DocDone(n) if matches!(n.outcome, DocOutcome::Printed { .. })
    ));
    assert_eq!(
        b.sim.request_count() - before,
        1,
        "the second open costs nothing"
    );
    let listed = runner.run(Effect::Detail(DetailEffect::Docs { key: key.clone() }));
    assert!(
        matches!(listed.as_slice(), [Msg::Detail(DetailMsg::Docs { docs, .. })] if docs[0] == DocRef::ShopPdf { cached: true }),
        "{listed:?}"
    );

    // The slip (made again) to the document printer; the label to the label printer.
    runner.run(open(DocRef::Slip));
    assert!(matches!(
        next_detail(&mut rx).await,
        DetailMsg::DocDone(n) if matches!(n.outcome, DocOutcome::Printed { .. })
    ));
    let slip = wait_for_file(&office, &format!("{}-slip.pdf", b.order.number));
    assert!(slip.starts_with(b"%PDF-"));
    runner.run(open(want[2].clone()));
    assert!(matches!(
        next_detail(&mut rx).await,
        DetailMsg::DocDone(n) if matches!(n.outcome, DocOutcome::Printed { .. })
    ));
    let label = wait_for_file(
        &b.dir.path().join("label-printer"),
        &format!("{}-label-1.pdf", b.order.number),
    );
    assert_eq!(label, LABEL);

    // No hand-over yet: asking for the protocol says why.
    runner.run(open(DocRef::Handover));
    match next_detail(&mut rx).await {
        DetailMsg::DocDone(n) => match n.outcome {
            DocOutcome::Failed { error } => assert!(error.contains("hand-over"), "{error}"),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_viewer_runs_on_the_saved_file() {
    let b = bench().await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let seen = b.dir.path().join("viewer");
    std::fs::create_dir_all(&seen).expect("dir");
    let docs = DocsSection {
        open_with: Some(format!("cp {{file}} {}", seen.display())),
    };
    let runner = Runner::new(b.store.clone(), b.pipeline.clone(), tx.clone())
        .with_shop(b.shop.clone())
        .with_docs(&docs);
    runner.run(Effect::Detail(DetailEffect::OpenDoc {
        order: Box::new(b.order.clone()),
        doc: DocRef::Slip,
    }));
    match next_detail(&mut rx).await {
        DetailMsg::DocDone(n) => {
            assert_eq!(
                n.outcome,
                DocOutcome::Opened {
                    program: "cp".into()
                }
            )
        }
        other => panic!("{other:?}"),
    }
    let copy = wait_for_file(&seen, &format!("{}-slip.pdf", b.order.number));
    assert!(copy.starts_with(b"%PDF-"));
    assert!(
        !b.dir.path().join("office").exists(),
        "with a viewer nothing is printed"
    );

    // A viewer that fails (no display over SSH) is reported with its exit status.
    let failing = Runner::new(b.store.clone(), b.pipeline.clone(), tx).with_docs(&DocsSection {
        open_with: Some("false".into()),
    });
    failing.run(Effect::Detail(DetailEffect::OpenDoc {
        order: Box::new(b.order.clone()),
        doc: DocRef::Slip,
    }));
    match next_detail(&mut rx).await {
        DetailMsg::DocDone(n) => match n.outcome {
            DocOutcome::Failed { error } => assert!(error.contains("false ended"), "{error}"),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}
