//! The command line: `orders list/show`, `sheet commands/scanner-test`, `--help`, bad input.

use std::path::Path;
use std::process::{Command, Output};

use packdesk::demo::{self, Special};
use packdesk::store::Store;

fn packdesk(args: &[&str], data: Option<&Path>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_packdesk"));
    c.args(args);
    if let Some(d) = data {
        c.arg("--data-dir").arg(d);
    }
    c.output().expect("run packdesk")
}

fn demo_store(dir: &Path) {
    let store = Store::open(dir).expect("open");
    store
        .import_orders(&demo::generate(7, 40, chrono::Utc::now()))
        .expect("import");
}

fn tool(name: &str, package: &str) {
    let ok = Command::new(name).arg("-v").output().is_ok();
    assert!(ok, "{name} is missing: apt-get install -y {package}");
}

#[test]
fn orders_list_and_show_as_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    demo_store(dir.path());
    let out = packdesk(
        &["orders", "list", "--state", "to_pack", "--json"],
        Some(dir.path()),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let n = list.as_array().map_or(0, Vec::len);
    assert_eq!(n, 39, "40 demo orders, one cancelled");
    let cancelled = packdesk(
        &["orders", "list", "--state", "cancelled", "--json"],
        Some(dir.path()),
    );
    let list: serde_json::Value = serde_json::from_slice(&cancelled.stdout).expect("json");
    assert_eq!(list[0]["number"], Special::Cancelled.number());

    let number = Special::CasePack.number();
    let out = packdesk(&["orders", "show", &number, "--json"], Some(dir.path()));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["number"], number);
    assert_eq!(v["state"], "to_pack");
    assert_eq!(v["lines"][0]["quantity"], 12);
    assert_eq!(v["lines"][0]["scanned"], 0);
    assert!(v["lines"][0]["ean"].is_string());
    assert!(v["parcels"].as_array().is_some());
    let text = packdesk(&["orders", "show", &number], Some(dir.path()));
    assert!(String::from_utf8_lossy(&text.stdout).contains(&number));
}

#[test]
fn bad_input_names_what_is_wrong() {
    let dir = tempfile::tempdir().expect("tempdir");
    demo_store(dir.path());
    let out = packdesk(&["orders", "show", "XX404"], Some(dir.path()));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("XX404"), "{err}");
    let out = packdesk(&["orders", "list", "--state", "shipped"], Some(dir.path()));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("shipped") && err.contains("to_pack"), "{err}");
    // No escape sequences on a plain error: the terminal was never taken over.
    assert!(!err.contains('\u{1b}'), "{err:?}");
    let bad = dir.path().join("station.toml");
    std::fs::write(&bad, "station = \"b\"\n[scanner]\nlayout = \"fr\"\n").expect("write");
    let out = packdesk(
        &["--config", bad.to_str().unwrap_or_default(), "run"],
        Some(dir.path()),
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("station.toml") && err.contains(":3") && err.contains("scanner.layout"),
        "{err}"
    );
}

#[test]
fn help_on_every_command() {
    for args in [
        vec!["--help"],
        vec!["demo", "--help"],
        vec!["run", "--help"],
        vec!["orders", "list", "--help"],
        vec!["orders", "show", "--help"],
        vec!["sheet", "commands", "--help"],
        vec!["sheet", "scanner-test", "--help"],
    ] {
        let out = packdesk(&args, None);
        assert!(out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage"),
            "{args:?}"
        );
    }
}

#[test]
fn command_sheet_barcodes_decode_to_the_commands() {
    tool("zbarimg", "zbar-tools");
    tool("pdftoppm", "poppler-utils");
    let dir = tempfile::tempdir().expect("tempdir");
    let pdf = dir.path().join("commands.pdf");
    let out = packdesk(
        &[
            "sheet",
            "commands",
            "--out",
            pdf.to_str().unwrap_or_default(),
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = dir.path().join("page");
    let r = Command::new("pdftoppm")
        .args(["-r", "200", "-png"])
        .arg(&pdf)
        .arg(&png)
        .status()
        .expect("pdftoppm");
    assert!(r.success());
    let mut decoded = String::new();
    for entry in std::fs::read_dir(dir.path()).expect("dir") {
        let p = entry.expect("entry").path();
        if p.extension().is_some_and(|e| e == "png") {
            let z = Command::new("zbarimg")
                .args(["--raw", "-q"])
                .arg(&p)
                .output()
                .expect("zbarimg");
            decoded.push_str(&String::from_utf8_lossy(&z.stdout));
        }
    }
    for code in [
        "PD:PACK",
        "PD:SHIP",
        "PD:NEXT-PARCEL",
        "PD:UNDO",
        "PD:ABORT",
        "PD:SHORT",
        "PD:REPRINT",
        "PD:PACKER:1",
    ] {
        assert!(
            decoded.lines().any(|l| l == code),
            "{code} not decoded from the sheet: {decoded}"
        );
    }
    let test_sheet = dir.path().join("test.pdf");
    let out = packdesk(
        &[
            "sheet",
            "scanner-test",
            "--out",
            test_sheet.to_str().unwrap_or_default(),
        ],
        None,
    );
    assert!(out.status.success());
    assert!(std::fs::read(&test_sheet).is_ok_and(|b| b.starts_with(b"%PDF")));
}
