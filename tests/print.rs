//! Printing end to end: a raw 9100 listener in the test receives the exact ZPL bytes, the
//! directory sink writes files atomically, a refused printer leaves the job queued until it
//! comes up, the queue survives a reopen, and a real CUPS prints a label PDF over IPP.
//!
//! The CUPS tests need a running CUPS with the queues `cupspdf` and `cupspdf-rejecting`:
//! `sudo bash .ci/cups-setup` (CI runs it). They fail, saying so, when CUPS is not there.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use packdesk::docs::{LabelData, own_label_pdf};
use packdesk::domain::{Address, Money};
use packdesk::print::{
    DocKind, Format, JobContent, JobState, NewJob, PrintEvent, PrintJob, PrintQueue, Printer,
    PrintersSection, QueueError, QueueOptions,
};
use packdesk::store::Store;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

const ZPL: &[u8] = b"^XA^CI28^FO50,50^A0N,40,40^FD\xc5\x98eho\xc5\x99 \xc5\xbd\xc4\x8f\xc3\xa1rsk\xc3\xbd^FS^FO50,120^BCN,100,Y,N,N^FDZ123456789^FS^XZ\r\n";

/// Options with a backoff long enough that nothing is retried by itself during a test.
fn slow_retry() -> QueueOptions {
    QueueOptions {
        backoff_min: Duration::from_secs(600),
        backoff_max: Duration::from_secs(600),
    }
}

fn temp_queue() -> (tempfile::TempDir, Store, PrintQueue) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let queue = PrintQueue::open(&store, slow_retry()).unwrap();
    (dir, store, queue)
}

fn zpl_job(printer: Printer) -> NewJob {
    NewJob {
        name: "label-1001-Z123456789.zpl".into(),
        kind: DocKind::Label,
        format: Format::Zpl,
        content: JobContent::Bytes(ZPL.to_vec()),
        printer,
        key: Some("shop:1001".into()),
    }
}

fn raw(addr: SocketAddr) -> Printer {
    Printer::Raw9100 {
        address: addr.to_string(),
        timeout_secs: 5,
    }
}

/// Accepts one connection and returns everything sent on it until the client closes.
async fn receive_one(listener: TcpListener) -> Vec<u8> {
    let (mut sock, _) = listener.accept().await.unwrap();
    let mut got = Vec::new();
    sock.read_to_end(&mut got).await.unwrap();
    got
}

async fn drain(queue: &PrintQueue) -> Vec<PrintEvent> {
    let mut events = Vec::new();
    queue
        .process_due(&mut |e| events.push(e))
        .await
        .expect("queue works");
    events
}

fn job(queue: &PrintQueue, id: u64) -> PrintJob {
    queue.get(id).unwrap().expect("job exists")
}

#[tokio::test]
async fn raw_9100_printer_receives_exactly_the_zpl_bytes() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let received = tokio::spawn(receive_one(listener));
    let (_d, _s, queue) = temp_queue();

    let queued = queue.enqueue(zpl_job(raw(addr))).await.unwrap();
    assert_eq!(queued.state, JobState::Queued);
    let events = drain(&queue).await;

    assert_eq!(received.await.unwrap(), ZPL);
    assert!(matches!(events.first(), Some(PrintEvent::Started(j)) if j.id == queued.id));
    let done = job(&queue, queued.id);
    assert_eq!(done.state, JobState::Done, "{done:?}");
    assert_eq!(done.attempts, 1);
    assert_eq!(
        done.detail.as_deref(),
        Some(format!("{} bytes sent to {addr}", ZPL.len()).as_str())
    );
    assert!(matches!(events.last(), Some(PrintEvent::Printed(j)) if j.id == queued.id));
}

#[tokio::test]
async fn dir_sink_writes_the_file_atomically_and_routing_defaults_to_the_out_dir() {
    let (_d, _s, queue) = temp_queue();
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().join("packdesk-out");
    let (_, printer) = PrintersSection::default()
        .route(DocKind::Slip, Format::Pdf, &out_dir)
        .unwrap();
    let pdf = b"%PDF-1.7\n% a packing slip\n%%EOF\n".to_vec();
    let queued = queue
        .enqueue(NewJob {
            name: "slip-1001.pdf".into(),
            kind: DocKind::Slip,
            format: Format::Pdf,
            content: JobContent::Bytes(pdf.clone()),
            printer,
            key: None,
        })
        .await
        .unwrap();
    drain(&queue).await;

    let path = out_dir.join("slip-1001.pdf");
    assert_eq!(std::fs::read(&path).unwrap(), pdf);
    let names: Vec<_> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["slip-1001.pdf"], "no temporary file is left");
    let done = job(&queue, queued.id);
    assert_eq!(done.state, JobState::Done);
    assert_eq!(
        done.detail,
        Some(format!("written to {}", path.display())),
        "{done:?}"
    );
}

#[tokio::test]
async fn refused_printer_leaves_the_job_queued_until_it_comes_up() {
    // A port nobody listens on: bind, note it, close.
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let (_d, _s, queue) = temp_queue();
    let queued = queue.enqueue(zpl_job(raw(addr))).await.unwrap();

    let events = drain(&queue).await;
    let waiting = job(&queue, queued.id);
    assert_eq!(waiting.state, JobState::Queued, "{waiting:?}");
    assert_eq!(waiting.attempts, 1);
    let error = waiting.last_error.clone().unwrap_or_default();
    assert!(
        error.contains(&format!("raw printer {addr} cannot be reached"))
            && error.contains("refused"),
        "{error}"
    );
    assert!(matches!(
        events.last(),
        Some(PrintEvent::Retrying { retry_in, .. }) if *retry_in == Duration::from_secs(600)
    ));
    // Visible in the list, and not tried again before its backoff.
    assert_eq!(queue.list().unwrap(), vec![waiting.clone()]);
    assert!(drain(&queue).await.is_empty());

    // The printer is switched on; the packer presses retry.
    let listener = TcpListener::bind(addr).await.unwrap();
    let received = tokio::spawn(receive_one(listener));
    queue.retry(queued.id).await.unwrap();
    drain(&queue).await;
    assert_eq!(received.await.unwrap(), ZPL);
    let done = job(&queue, queued.id);
    assert_eq!(done.state, JobState::Done);
    assert_eq!(done.attempts, 2);
    assert_eq!(done.last_error, None);
}

#[tokio::test]
async fn a_job_for_a_dead_printer_can_move_to_another() {
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let (_d, _s, queue) = temp_queue();
    let queued = queue.enqueue(zpl_job(raw(addr))).await.unwrap();
    drain(&queue).await;
    assert_eq!(job(&queue, queued.id).state, JobState::Queued);

    let out = tempfile::tempdir().unwrap();
    let moved = queue
        .retarget(
            queued.id,
            Printer::Dir {
                dir: out.path().to_path_buf(),
            },
        )
        .await
        .unwrap();
    assert!(matches!(moved.printer, Printer::Dir { .. }));
    drain(&queue).await;
    assert_eq!(job(&queue, queued.id).state, JobState::Done);
    assert_eq!(
        std::fs::read(out.path().join("label-1001-Z123456789.zpl")).unwrap(),
        ZPL
    );
    assert!(matches!(
        queue.retarget(queued.id, raw(addr)).await,
        Err(QueueError::WrongState { state: "done", .. })
    ));
}

#[tokio::test]
async fn worker_prints_new_jobs_and_retries_by_itself_with_backoff() {
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let queue = PrintQueue::open(
        &store,
        QueueOptions {
            backoff_min: Duration::from_millis(100),
            backoff_max: Duration::from_millis(200),
        },
    )
    .unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let worker = {
        let queue = queue.clone();
        tokio::spawn(async move { queue.run(move |e| drop(tx.send(e))).await })
    };

    let queued = queue.enqueue(zpl_job(raw(addr))).await.unwrap();
    assert!(matches!(next(&mut rx).await, PrintEvent::Started(_)));
    assert!(matches!(next(&mut rx).await, PrintEvent::Retrying { .. }));
    // The printer comes up; no retry pressed: the backoff brings the job back.
    let listener = TcpListener::bind(addr).await.unwrap();
    let received = tokio::spawn(receive_one(listener));
    let printed = loop {
        if let PrintEvent::Printed(j) = next(&mut rx).await {
            break j;
        }
    };
    assert_eq!(printed.id, queued.id);
    assert!(printed.attempts >= 2, "{printed:?}");
    assert_eq!(received.await.unwrap(), ZPL);
    worker.abort();
}

async fn next(rx: &mut tokio::sync::mpsc::UnboundedReceiver<PrintEvent>) -> PrintEvent {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("an event within 10 s")
        .expect("worker alive")
}

#[tokio::test]
async fn queue_survives_reopen_with_its_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let id = {
        let store = Store::open(dir.path()).unwrap();
        let queue = PrintQueue::open(&store, slow_retry()).unwrap();
        let queued = queue.enqueue(zpl_job(raw(addr))).await.unwrap();
        drain(&queue).await; // refused: stays queued with its error
        queued.id
    };
    let store = Store::open(dir.path()).unwrap();
    let queue = PrintQueue::open(&store, slow_retry()).unwrap();
    let jobs = queue.list().unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].id, id);
    assert_eq!(jobs[0].state, JobState::Queued);
    assert!(jobs[0].last_error.is_some());
    assert_eq!(queue.content(&jobs[0]).await.unwrap(), ZPL);
    // Ids keep counting after a reopen.
    let second = queue.enqueue(zpl_job(raw(addr))).await.unwrap();
    assert_eq!(second.id, id + 1);
}

#[tokio::test]
async fn reprint_cancel_and_retry_follow_the_job_state() {
    let (_d, _s, queue) = temp_queue();
    let out = tempfile::tempdir().unwrap();
    let to_dir = Printer::Dir {
        dir: out.path().to_path_buf(),
    };
    let first = queue.enqueue(zpl_job(to_dir.clone())).await.unwrap();
    drain(&queue).await;
    std::fs::remove_file(out.path().join("label-1001-Z123456789.zpl")).unwrap();

    let again = queue.reprint(first.id).await.unwrap();
    assert_eq!(again.reprint_of, Some(first.id));
    assert_ne!(again.id, first.id);
    drain(&queue).await;
    assert_eq!(job(&queue, again.id).state, JobState::Done);
    assert_eq!(
        std::fs::read(out.path().join("label-1001-Z123456789.zpl")).unwrap(),
        ZPL
    );
    assert_eq!(
        queue
            .jobs_for_key("shop:1001")
            .unwrap()
            .iter()
            .map(|j| j.id)
            .collect::<Vec<_>>(),
        [first.id, again.id]
    );

    // A done job is neither cancelled nor retried; a queued one is cancelled and skipped.
    assert!(matches!(
        queue.cancel(first.id).await,
        Err(QueueError::WrongState { .. })
    ));
    assert!(matches!(
        queue.retry(first.id).await,
        Err(QueueError::WrongState { .. })
    ));
    let third = queue.enqueue(zpl_job(to_dir)).await.unwrap();
    assert_eq!(
        queue.cancel(third.id).await.unwrap().state,
        JobState::Cancelled
    );
    assert!(drain(&queue).await.is_empty());
    assert!(matches!(
        queue.reprint(third.id).await,
        Err(QueueError::WrongState { .. })
    ));
    assert!(matches!(
        queue.cancel(999).await,
        Err(QueueError::NotFound { id: 999 })
    ));

    // Pruning removes finished jobs only.
    let removed = queue
        .prune_finished(chrono::Utc::now() + chrono::Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(removed, 3);
    assert!(queue.list().unwrap().is_empty());
}

#[tokio::test]
async fn a_missing_content_file_fails_the_job_for_good() {
    let (_d, _s, queue) = temp_queue();
    let out = tempfile::tempdir().unwrap();
    let queued = queue
        .enqueue(NewJob {
            name: "label.pdf".into(),
            kind: DocKind::Label,
            format: Format::Pdf,
            content: JobContent::File(out.path().join("gone.pdf")),
            printer: Printer::Dir {
                dir: out.path().to_path_buf(),
            },
            key: None,
        })
        .await
        .unwrap();
    let events = drain(&queue).await;
    assert!(matches!(events.last(), Some(PrintEvent::Failed(_))));
    let failed = job(&queue, queued.id);
    assert_eq!(failed.state, JobState::Failed);
    assert!(
        failed
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("gone.pdf")),
        "{failed:?}"
    );
}

// ---------------------------------------------------------------------------------------
// Real CUPS over IPP.

const CUPS: &str = "127.0.0.1:631";

/// Fails the test unless a CUPS scheduler answers on localhost:631.
fn require_cups() {
    if std::net::TcpStream::connect_timeout(&CUPS.parse().unwrap(), Duration::from_secs(2)).is_err()
    {
        panic!(
            "CUPS is not running on localhost:631. Install and start it with the test \
             queues: `sudo bash .ci/cups-setup` (CI runs it)."
        );
    }
}

fn ipp(queue: &str) -> Printer {
    Printer::Ipp {
        uri: format!("ipp://localhost:631/printers/{queue}"),
        // Not a system user, so cups-pdf writes into its ANONYMOUS directory.
        user: "packdesk-test-anon".into(),
        timeout_secs: 60,
    }
}

/// Where cups-pdf puts anonymous jobs (`AnonDirName` in /etc/cups/cups-pdf.conf).
fn cups_pdf_dir() -> PathBuf {
    std::env::var_os("PACKDESK_CUPS_PDF_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/spool/cups-pdf/ANONYMOUS"))
}

fn pdftotext(path: &Path) -> String {
    let out = match Command::new("pdftotext")
        .args(["-q"])
        .arg(path)
        .arg("-")
        .output()
    {
        Ok(out) => out,
        Err(e) => panic!("cannot run pdftotext (apt-get install poppler-utils): {e}"),
    };
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The barcodes on the first page of a PDF, rendered at 300 dpi, as `zbarimg` prints them.
fn decode_barcodes(pdf: &Path) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("page");
    // Output, not status: poppler's warnings on Type 3 glyphs would flood the test log.
    let ok = Command::new("pdftoppm")
        .args(["-r", "300", "-png", "-f", "1", "-l", "1", "-singlefile"])
        .arg(pdf)
        .arg(&prefix)
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "pdftoppm failed on {} (apt-get install poppler-utils)",
        pdf.display()
    );
    let out = match Command::new("zbarimg")
        .args(["-q", "--raw"])
        .arg(prefix.with_extension("png"))
        .output()
    {
        Ok(out) => out,
        Err(e) => panic!("cannot run zbarimg (apt-get install zbar-tools): {e}"),
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| format!("CODE-128:{l}"))
        .collect()
}

/// The PDF cups-pdf wrote that contains `needle`, waiting up to 15 s for it.
fn find_printed(needle: &str) -> Option<(PathBuf, String)> {
    let dir = cups_pdf_dir();
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "pdf") {
                let text = pdftotext(&path);
                if text.contains(needle) {
                    return Some((path, text));
                }
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    None
}

/// A tracking number no earlier run used.
fn fresh_tracking(prefix: &str) -> String {
    format!(
        "{prefix}{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_micros()
    )
}

fn label_pdf(tracking: &str) -> Vec<u8> {
    own_label_pdf(&LabelData {
        order_number: "2026-000777".into(),
        parcel_no: 1,
        parcel_count: 1,
        tracking_number: tracking.to_string(),
        carrier: "Zásilkovna".into(),
        service: String::new(),
        sender: "Łukasz Wąsik, Łódź".into(),
        recipient: Address {
            name: "Řehoř Žďárský".into(),
            company: String::new(),
            street: "Údolní 53".into(),
            city: "Brno".into(),
            zip: "602 00".into(),
            country: "CZ".into(),
            phone: String::new(),
            email: String::new(),
        },
        pickup_point: None,
        cod: Some(Money::new(49_900, "CZK")),
        weight_kg: Some(0.8),
    })
    .unwrap()
}

/// Runs a CUPS admin command (needs root or the lpadmin group, as in CI).
fn cups_admin(cmd: &str, queue: &str) {
    let ok = Command::new(cmd)
        .arg(queue)
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "`{cmd} {queue}` failed: run the tests as root (as CI does) after `sudo bash .ci/cups-setup`"
    );
}

#[tokio::test]
async fn cups_prints_a_label_over_ipp() {
    require_cups();
    let tracking = fresh_tracking("PD");
    let pdf = label_pdf(&tracking);
    let (_d, _s, queue) = temp_queue();
    let queued = queue
        .enqueue(NewJob {
            name: format!("label-{tracking}.pdf"),
            kind: DocKind::Label,
            format: Format::Pdf,
            content: JobContent::Bytes(pdf),
            printer: ipp("cupspdf"),
            key: Some(tracking.clone()),
        })
        .await
        .unwrap();

    let started = Instant::now();
    let events = drain(&queue).await;
    let took = started.elapsed();
    let done = job(&queue, queued.id);
    assert_eq!(
        done.state,
        JobState::Done,
        "is the queue there? `sudo bash .ci/cups-setup` makes it. {done:?} {events:?}"
    );
    let remote = done.remote_job.expect("an IPP job id");
    assert_eq!(
        done.detail.as_deref(),
        Some(format!("IPP job {remote} completed").as_str())
    );
    let Some((path, text)) = find_printed(&tracking) else {
        panic!(
            "no PDF with {tracking} in {} (cups-pdf output; set PACKDESK_CUPS_PDF_DIR if it \
             writes elsewhere); IPP job {remote} completed in {took:?}",
            cups_pdf_dir().display()
        );
    };
    // Czech and Polish letters keep their Unicode through CUPS' PostScript step
    // (pdftocairo, then the font-name filter of .ci/cups-setup, then cups-pdf's gs).
    assert!(text.contains("Údolní 53"), "{text}");
    assert!(text.contains("Řehoř Žďárský"), "{text}");
    assert!(text.contains("Łukasz Wąsik"), "{text}");
    assert_eq!(decode_barcodes(&path), [format!("CODE-128:{tracking}")]);
    note(&format!(
        "CUPS printed IPP job {remote} in {took:?} -> {}",
        path.display()
    ));
    let _ = std::fs::remove_file(path);
}

#[tokio::test]
async fn a_job_held_by_a_stopped_printer_is_polled_again_not_sent_twice() {
    require_cups();
    cups_admin("cupsdisable", "cupspdf-stopped");
    let tracking = fresh_tracking("PS");
    let (_d, _s, queue) = temp_queue();
    let queued = queue
        .enqueue(NewJob {
            name: format!("label-{tracking}.pdf"),
            kind: DocKind::Label,
            format: Format::Pdf,
            content: JobContent::Bytes(label_pdf(&tracking)),
            printer: Printer::Ipp {
                uri: "ipp://localhost:631/printers/cupspdf-stopped".into(),
                user: "packdesk-test-anon".into(),
                timeout_secs: 1,
            },
            key: None,
        })
        .await
        .unwrap();
    drain(&queue).await;
    let held = job(&queue, queued.id);
    assert_eq!(held.state, JobState::Queued, "{held:?}");
    let remote = held.remote_job.expect("the IPP job id is kept");
    let error = held.last_error.clone().unwrap_or_default();
    assert!(
        error.contains(&format!("IPP job {remote} is still pending"))
            && error.contains("printer: paused"),
        "{error}"
    );

    // A second held job is cancelled: at CUPS too, so it never comes out later.
    let second = queue
        .enqueue(NewJob {
            name: "held-then-cancelled.pdf".into(),
            kind: DocKind::Label,
            format: Format::Pdf,
            content: JobContent::Bytes(label_pdf(&fresh_tracking("PC"))),
            printer: held.printer.clone(),
            key: None,
        })
        .await
        .unwrap();
    // Only the new job is due (the first waits for its backoff).
    assert_eq!(drain(&queue).await.len(), 2);
    let second_remote = job(&queue, second.id).remote_job.expect("held at CUPS");
    let cancelled = queue.cancel(second.id).await.unwrap();
    assert_eq!(cancelled.state, JobState::Cancelled);
    assert_eq!(cancelled.remote_job, None, "{cancelled:?}");
    let lpstat = |which: &str| {
        let out = Command::new("lpstat")
            .args(["-W", which, "-o", "cupspdf-stopped"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let id_col = format!("cupspdf-stopped-{second_remote} ");
    assert!(lpstat("all").contains(&id_col), "CUPS knows the job");
    let pending = lpstat("not-completed");
    assert!(!pending.contains(&id_col), "cancelled at CUPS: {pending}");

    // Paper is in again: the same CUPS job completes; nothing is sent a second time.
    cups_admin("cupsenable", "cupspdf-stopped");
    queue.retry(queued.id).await.unwrap();
    drain(&queue).await;
    cups_admin("cupsdisable", "cupspdf-stopped");
    let done = job(&queue, queued.id);
    assert_eq!(done.state, JobState::Done, "{done:?}");
    assert_eq!(done.remote_job, Some(remote));
    assert_eq!(done.attempts, 2);
    let printed = find_printed(&tracking);
    assert!(printed.is_some(), "the held job came out");
    if let Some((path, _)) = printed {
        let _ = std::fs::remove_file(path);
    }
}

#[tokio::test]
async fn zpl_through_a_cups_raw_queue_arrives_unchanged() {
    require_cups();
    // The queue `zpl-raw` forwards to 127.0.0.1:19100 (see .ci/cups-setup).
    let listener = match TcpListener::bind("127.0.0.1:19100").await {
        Ok(l) => l,
        Err(e) => panic!("port 19100 (the zpl-raw queue's printer) is busy: {e}"),
    };
    let received = tokio::spawn(receive_one(listener));
    let (_d, _s, queue) = temp_queue();
    let queued = queue.enqueue(zpl_job(ipp("zpl-raw"))).await.unwrap();
    drain(&queue).await;
    let done = job(&queue, queued.id);
    assert_eq!(done.state, JobState::Done, "{done:?}");
    let got = tokio::time::timeout(Duration::from_secs(10), received)
        .await
        .expect("CUPS forwards the job within 10 s")
        .unwrap();
    assert_eq!(got, ZPL);
}

#[tokio::test]
async fn cups_queue_not_accepting_jobs_leaves_the_job_queued() {
    require_cups();
    let (_d, _s, queue) = temp_queue();
    let queued = queue
        .enqueue(NewJob {
            name: "slip.pdf".into(),
            kind: DocKind::Slip,
            format: Format::Pdf,
            content: JobContent::Bytes(b"%PDF-1.4\n%%EOF\n".to_vec()),
            printer: ipp("cupspdf-rejecting"),
            key: None,
        })
        .await
        .unwrap();
    drain(&queue).await;
    let waiting = job(&queue, queued.id);
    assert_eq!(waiting.state, JobState::Queued, "{waiting:?}");
    let error = waiting.last_error.unwrap_or_default();
    assert!(
        error.contains("does not accept jobs now")
            && error.contains("server-error-not-accepting-jobs"),
        "{error}"
    );
}

#[tokio::test]
async fn ipp_printer_that_is_off_leaves_the_job_queued() {
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let (_d, _s, queue) = temp_queue();
    let queued = queue
        .enqueue(NewJob {
            name: "slip.pdf".into(),
            kind: DocKind::Slip,
            format: Format::Pdf,
            content: JobContent::Bytes(b"%PDF-1.4\n%%EOF\n".to_vec()),
            printer: Printer::Ipp {
                uri: format!("ipp://{addr}/printers/off"),
                user: "packdesk".into(),
                timeout_secs: 5,
            },
            key: None,
        })
        .await
        .unwrap();
    drain(&queue).await;
    let waiting = job(&queue, queued.id);
    assert_eq!(waiting.state, JobState::Queued, "{waiting:?}");
    let error = waiting.last_error.unwrap_or_default();
    assert!(error.contains("cannot be reached"), "{error}");
}

/// Test output for the report (timings); shown with `--nocapture`.
fn note(note: &str) {
    println!("{note}");
}
