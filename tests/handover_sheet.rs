//! `packdesk sheet commands` prints a `PD:HANDOVER:<CARRIER>` code per carrier of the
//! station's `[[carrier.map]]` (or per carrier of the stored shipments when there is no
//! map); the codes are decoded with poppler's `pdftoppm` and `zbarimg` (apt packages
//! `poppler-utils`, `zbar-tools`) and parsed back by the scanner.

use std::path::Path;
use std::process::Command;

use packdesk::domain::{Shipment, ShipmentState};
use packdesk::scan::{Assembled, Assembler, KeyIn, ScanConfig, ScanKind};
use packdesk::store::Store;

fn tool(name: &str, package: &str) {
    if Command::new(name).arg("--version").output().is_err() {
        panic!("`{name}` not found: install it with `apt-get install -y {package}`");
    }
}

/// Runs `packdesk sheet commands` and returns every code decoded from its pages.
fn sheet_codes(dir: &Path, extra: &[&str]) -> (Vec<String>, String) {
    tool("zbarimg", "zbar-tools");
    tool("pdftoppm", "poppler-utils");
    let pdf = dir.join("commands.pdf");
    let out = Command::new(env!("CARGO_BIN_EXE_packdesk"))
        .args(extra)
        .args(["sheet", "commands", "--out"])
        .arg(&pdf)
        .output()
        .expect("run packdesk");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    let pages = dir.join("pages");
    std::fs::create_dir_all(&pages).expect("pages dir");
    let r = Command::new("pdftoppm")
        .args(["-r", "203", "-png"])
        .arg(&pdf)
        .arg(pages.join("p"))
        .status()
        .expect("pdftoppm");
    assert!(r.success());
    let mut codes = Vec::new();
    for entry in std::fs::read_dir(&pages).expect("dir") {
        let p = entry.expect("entry").path();
        let z = Command::new("zbarimg")
            .args(["--raw", "-q"])
            .arg(&p)
            .output()
            .expect("zbarimg");
        codes.extend(
            String::from_utf8_lossy(&z.stdout)
                .lines()
                .map(str::to_string),
        );
    }
    codes.sort();
    (codes, stderr)
}

fn handover_codes(codes: &[String]) -> Vec<&str> {
    codes
        .iter()
        .map(String::as_str)
        .filter(|c| c.starts_with("PD:HANDOVER:"))
        .collect()
}

/// What the bench makes of a decoded code.
fn scanned(code: &str) -> ScanKind {
    let mut asm = Assembler::new(ScanConfig::default());
    let mut t = 0;
    for c in code.chars() {
        t += 1;
        let _ = asm.key(KeyIn::Char(c), t);
    }
    match asm.key(KeyIn::Enter, t + 1) {
        Some(Assembled::Scan(s)) => s.kind,
        other => panic!("{code}: {other:?}"),
    }
}

#[test]
fn one_handover_code_per_mapped_carrier_decodes_and_scans() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("station.toml");
    std::fs::write(
        &config,
        "[[carrier.map]]\nshipping = \"balik-do-ruky\"\ncarrier = \"cp\"\nservice = \"DR\"\n\
         [[carrier.map]]\nshipping = \"balik-na-postu\"\ncarrier = \"cp\"\nservice = \"NP\"\n\
         [[carrier.map]]\nshipping = \"ppl\"\ncarrier = \"ppl\"\nservice = \"1\"\n",
    )
    .expect("config");
    let data = dir.path().join("data");
    let (codes, stderr) = sheet_codes(
        dir.path(),
        &[
            "--config",
            config.to_str().unwrap_or_default(),
            "--data-dir",
            data.to_str().unwrap_or_default(),
        ],
    );
    assert_eq!(
        handover_codes(&codes),
        vec!["PD:HANDOVER:CP", "PD:HANDOVER:PPL"],
        "{codes:?} {stderr}"
    );
    assert!(
        codes.iter().any(|c| c == "PD:HANDOVER"),
        "the plain one stays"
    );
    assert!(!data.join("db").exists(), "the sheet never creates a store");
    assert_eq!(
        scanned("PD:HANDOVER:PPL"),
        ScanKind::Command(packdesk::scan::Command::Handover("PPL".into()))
    );
}

#[test]
fn without_a_map_the_stored_shipments_carriers_are_printed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    {
        let store = Store::open(&data).expect("store");
        let parcel = |n: &str, carrier: &str| {
            let mut s = Shipment::pending(&format!("demo:{n}"), 1, 1, "balikobot");
            s.state = ShipmentState::Dispatched;
            s.carrier = Some(carrier.into());
            s
        };
        store
            .save_shipments(&[parcel("A", "dpd"), parcel("B", "gls"), parcel("C", "dpd")])
            .expect("save");
    }
    let config = dir.path().join("station.toml");
    std::fs::write(&config, "station = \"bench-1\"\n").expect("config");
    let (codes, stderr) = sheet_codes(
        dir.path(),
        &[
            "--config",
            config.to_str().unwrap_or_default(),
            "--data-dir",
            data.to_str().unwrap_or_default(),
        ],
    );
    assert_eq!(
        handover_codes(&codes),
        vec!["PD:HANDOVER:DPD", "PD:HANDOVER:GLS"],
        "{codes:?} {stderr}"
    );
}
