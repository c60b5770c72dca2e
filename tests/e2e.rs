//! End to end: the real binary in a pseudo-terminal, driven by keystrokes as a scanner
//! types them, read back as a screen (vt100). The demo runs the whole pipeline: orders
//! synced from the Upgates simulator, shipments through the outbox to the Balikobot
//! simulator, labels written to the out dir.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use packdesk::demo::{self, Special};
use portable_pty::{CommandBuilder, PtySize, native_pty_system};

struct Bench {
    child: Box<dyn portable_pty::Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    screen: Arc<Mutex<vt100::Parser>>,
}

impl Bench {
    fn start(data: &Path, out: &Path) -> Bench {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: 30,
                cols: 100,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pty");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_packdesk"));
        cmd.args(["demo", "--data-dir"]);
        cmd.arg(data);
        cmd.arg("--out");
        cmd.arg(out);
        cmd.env("TERM", "xterm-256color");
        cmd.env("LANG", "en_US.UTF-8");
        cmd.env_remove("NO_COLOR");
        let child = pty.slave.spawn_command(cmd).expect("spawn packdesk");
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().expect("reader");
        let writer = pty.master.take_writer().expect("writer");
        let screen = Arc::new(Mutex::new(vt100::Parser::new(30, 100, 0)));
        let sink = Arc::clone(&screen);
        std::thread::spawn(move || {
            let _keep_master = pty.master;
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Ok(mut p) = sink.lock() {
                    p.process(&buf[..n]);
                }
            }
        });
        Bench {
            child,
            writer,
            screen,
        }
    }

    fn text(&self) -> String {
        self.screen
            .lock()
            .map(|p| p.screen().contents())
            .unwrap_or_default()
    }

    /// Waits until the screen contains `needle`.
    fn wait_for(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.text().contains(needle) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("screen never showed {needle:?}; it shows:\n{}", self.text());
    }

    /// Waits until the screen contains one of `needles`.
    fn wait_for_any(&self, needles: &[&str]) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            let text = self.text();
            if needles.iter().any(|n| text.contains(n)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "screen never showed any of {needles:?}; it shows:\n{}",
            self.text()
        );
    }

    /// Types like a scanner: the code and a CR in one burst.
    fn scan(&mut self, code: &str) {
        self.writer
            .write_all(format!("{code}\r").as_bytes())
            .expect("type");
        self.writer.flush().expect("flush");
        // More than the 80 ms double-fire window before the next scan.
        std::thread::sleep(Duration::from_millis(150));
    }

    fn keys(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).expect("type");
        self.writer.flush().expect("flush");
    }
}

fn wait_file(path: &Path) -> Vec<u8> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(b) = std::fs::read(path)
            && b.starts_with(b"%PDF")
        {
            return b;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("no label at {}", path.display());
}

#[test]
fn open_by_scan_scan_all_items_pack_and_label_written_then_survive_kill_9() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let out = dir.path().join("out");
    let orders = demo::generate(2026, 40, chrono::Utc::now());
    let plain = &orders[Special::PlainTwoLines.index()];
    let big = &orders[Special::ManyLines.index()];

    let mut bench = Bench::start(&data, &out);
    bench.wait_for("To pack");
    // Open by scanning the order number from the queue.
    bench.scan(&plain.number);
    bench.wait_for(&format!("0/{}", plain.item_count()));
    for line in &plain.lines {
        let code = line.ean.clone().unwrap_or_else(|| line.sku.clone());
        for _ in 0..line.quantity.as_f64() as u32 {
            bench.scan(&code);
        }
    }
    bench.wait_for("All items scanned");
    bench.scan("PD:PACK");
    let label = wait_file(&out.join(format!("{}-1.pdf", plain.number)));
    assert!(label.len() > 500);
    // The demo rules print the label (to <out>/printer); the banner says "Label ready"
    // and then, soon after, that the label was printed.
    let printed = wait_file(&out.join("printer").join(format!("{}-1.pdf", plain.number)));
    assert_eq!(printed, label);
    bench.wait_for_any(&["Label ready", "Printed"]);

    // The next order opens at once; a wrong item is refused loudly.
    bench.scan(&big.number);
    bench.wait_for(&big.number);
    let stranger = orders
        .iter()
        .flat_map(|o| o.lines.iter())
        .filter_map(|l| l.ean.clone())
        .find(|e| !big.lines.iter().any(|l| l.ean.as_deref() == Some(e)))
        .expect("a product that is not in the big order");
    bench.scan(&stranger);
    bench.wait_for("Not in this order");
    bench.scan("5901234123457");
    bench.wait_for("Unknown code");
    let first = big.lines[0].ean.clone().expect("first line has an EAN");
    bench.scan(&first);
    bench.wait_for("1/1");
    let second = big.lines[1].ean.clone().expect("second line has an EAN");
    bench.scan(&second);
    bench.wait_for(&format!("2/{}", big.item_count()));

    // kill -9 in the middle of the order: nothing is lost, the order comes back on screen.
    bench.child.kill().expect("kill -9");
    let _ = bench.child.wait();
    let bench = Bench::start(&data, &out);
    bench.wait_for(&big.number);
    bench.wait_for(&format!("2/{}", big.item_count()));

    // The command line sees the same store once the bench has quit.
    let mut bench = bench;
    bench.keys(b"\x11"); // Ctrl+Q
    let deadline = Instant::now() + Duration::from_secs(10);
    while bench.child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let show = std::process::Command::new(env!("CARGO_BIN_EXE_packdesk"))
        .args(["orders", "show", &plain.number, "--json", "--data-dir"])
        .arg(&data)
        .output()
        .expect("run orders show");
    assert!(
        show.status.success(),
        "{}",
        String::from_utf8_lossy(&show.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&show.stdout).expect("json");
    assert_eq!(v["state"], "ready");
    assert_eq!(v["lines"][0]["scanned"], v["lines"][0]["quantity"]);
    // The demo ships through the Balikobot simulator: its tracking number, its label.
    let tracking = v["parcels"][0]["tracking_number"]
        .as_str()
        .expect("tracking");
    assert!(tracking.len() >= 8, "{tracking}");
    assert!(
        v["parcels"][0]["label_path"]
            .as_str()
            .is_some_and(|p| p.ends_with("-1.pdf"))
    );
    assert!(
        v["parcels"][0]["weight_kg"]
            .as_f64()
            .is_some_and(|w| w > 0.0)
    );
}

#[test]
fn a_second_process_on_the_same_data_dir_fails_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let bench = Bench::start(&data, &dir.path().join("out"));
    bench.wait_for("To pack");
    let started = Instant::now();
    let second = std::process::Command::new(env!("CARGO_BIN_EXE_packdesk"))
        .args(["orders", "list", "--data-dir"])
        .arg(&data)
        .output()
        .expect("run");
    assert!(!second.status.success());
    assert!(started.elapsed() < Duration::from_secs(5));
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(
        err.contains("another packdesk holds the data directory"),
        "{err}"
    );
    assert!(err.contains(&data.display().to_string()), "{err}");
    let mut bench = bench;
    let _ = bench.child.kill();
}
