//! Documents end to end: each PDF is rendered at 203 dpi with poppler's `pdftoppm`, its
//! barcodes decoded with `zbarimg`, its text extracted with `pdftotext` and its page size
//! read with `pdfinfo`. Needs the apt packages `poppler-utils` and `zbar-tools`; a missing
//! tool fails the test with the package to install.

use std::path::{Path, PathBuf};
use std::process::Command;

use packdesk::docs::{
    self, DocError, LabelData, PackingSlip, SheetEntry, SlipLine, barcode_sheet_pdf, own_label_pdf,
    packing_slip_pdf, scanner_test_sheet_pdf,
};
use packdesk::domain::{Address, Money, PickupPoint, Qty};

/// Runs `tool args`, failing the test with the apt package to install if it is missing.
fn run(tool: &str, package: &str, args: &[&str]) -> std::process::Output {
    match Command::new(tool).args(args).output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            panic!("`{tool}` not found: install it with `apt-get install -y {package}`")
        }
        Err(e) => panic!("cannot run `{tool}`: {e}"),
    }
}

struct Rendered {
    _dir: tempfile::TempDir,
    pdf: PathBuf,
}

fn write_pdf(bytes: &[u8]) -> Rendered {
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("doc.pdf");
    std::fs::write(&pdf, bytes).unwrap();
    if let Ok(keep) = std::env::var("PACKDESK_KEEP_PDF") {
        let _ = std::fs::copy(&pdf, Path::new(&keep));
    }
    Rendered { _dir: dir, pdf }
}

/// Every barcode zbarimg finds on every page rendered at 203 dpi, page by page.
fn decode(r: &Rendered) -> Vec<Vec<String>> {
    let prefix = r.pdf.with_file_name("page");
    let out = run(
        "pdftoppm",
        "poppler-utils",
        &[
            "-r",
            "203",
            "-png",
            r.pdf.to_str().unwrap(),
            prefix.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "pdftoppm failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut pngs: Vec<PathBuf> = std::fs::read_dir(r.pdf.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    pngs.sort();
    assert!(!pngs.is_empty(), "pdftoppm made no pages");
    pngs.iter()
        .map(|png| {
            let out = run(
                "zbarimg",
                "zbar-tools",
                &["--raw", "-q", png.to_str().unwrap()],
            );
            // Exit status 4 means "no symbol found", which the comparison below reports.
            assert!(
                matches!(out.status.code(), Some(0 | 4)),
                "zbarimg failed on {}: {}",
                png.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            let mut codes: Vec<String> = text.lines().map(str::to_string).collect();
            codes.sort();
            codes
        })
        .collect()
}

fn text_of(r: &Rendered) -> String {
    let out = run(
        "pdftotext",
        "poppler-utils",
        &[r.pdf.to_str().unwrap(), "-"],
    );
    assert!(
        out.status.success(),
        "pdftotext failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Money groups thousands with a no-break space; compare with plain spaces.
    String::from_utf8(out.stdout)
        .unwrap()
        .replace('\u{a0}', " ")
}

fn info(r: &Rendered) -> String {
    let out = run("pdfinfo", "poppler-utils", &[r.pdf.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "pdfinfo failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn info_field(info: &str, key: &str) -> String {
    info.lines()
        .find_map(|l| {
            l.strip_prefix(key)
                .map(|v| v.trim_start_matches(':').trim().to_string())
        })
        .unwrap_or_else(|| panic!("no {key} in pdfinfo output:\n{info}"))
}

/// Asserts pdfinfo's "Page size: W x H pts" within 0.05 pt.
fn assert_page_size(info: &str, w: f64, h: f64) {
    let size = info_field(info, "Page size");
    let nums: Vec<f64> = size
        .split_whitespace()
        .filter_map(|t| t.parse().ok())
        .collect();
    assert!(
        nums.len() == 2 && (nums[0] - w).abs() < 0.05 && (nums[1] - h).abs() < 0.05,
        "page size {size:?}, expected {w} x {h} pts"
    );
}

fn label() -> LabelData {
    LabelData {
        order_number: "2026-000123".to_string(),
        parcel_no: 2,
        parcel_count: 3,
        tracking_number: "DR1234567890CZ".to_string(),
        carrier: "Česká pošta".to_string(),
        service: "Balík Do ruky".to_string(),
        sender: "Sklad Brno – stůl 3".to_string(),
        recipient: Address {
            name: "Řehoř Žďárský".to_string(),
            company: "Zażółć gęślą jaźń s.c.".to_string(),
            street: "ul. Piotrkowska 104".to_string(),
            city: "Łódź".to_string(),
            zip: "90-926".to_string(),
            country: "PL".to_string(),
            phone: "+48 600 100 200".to_string(),
            email: String::new(),
        },
        pickup_point: Some(PickupPoint {
            id: "Z-BOX 12345".to_string(),
            name: "Z-BOX Brno, Údolní 53 (u vchodu do obchodního centra)".to_string(),
        }),
        cod: Some(Money::new(123_400, "CZK")),
        weight_kg: Some(1.25),
    }
}

#[test]
fn label_is_100x150_mm_with_czech_polish_text_and_a_decodable_tracking_barcode() {
    let bytes = own_label_pdf(&label()).unwrap();
    let r = write_pdf(&bytes);

    let info = info(&r);
    assert_eq!(info_field(&info, "Pages"), "1");
    assert_page_size(&info, 283.46, 425.2);

    assert_eq!(decode(&r), vec![vec!["DR1234567890CZ".to_string()]]);

    let text = text_of(&r);
    for expected in [
        "Řehoř Žďárský",
        "Zażółć gęślą jaźń s.c.",
        "ul. Piotrkowska 104",
        "90-926 Łódź",
        "Česká pošta",
        "Balík Do ruky",
        "Sklad Brno – stůl 3",
        "Z-BOX Brno",
        "ID Z-BOX 12345",
        "COD / DOBÍRKA 1 234,00 CZK",
        "2026-000123",
        "2/3",
        "1,25 kg",
        "DR1234567890CZ",
        "+48 600 100 200",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from label text:\n{text}"
        );
    }
}

#[test]
fn label_without_cod_and_pickup_point_prints_neither() {
    let mut data = label();
    data.cod = None;
    data.pickup_point = None;
    data.weight_kg = None;
    data.recipient.company.clear();
    let r = write_pdf(&own_label_pdf(&data).unwrap());
    let text = text_of(&r);
    assert!(!text.contains("DOBÍRKA"), "{text}");
    assert!(!text.contains("Výdejní"), "{text}");
    assert!(text.contains("Řehoř Žďárský"), "{text}");
    assert_eq!(decode(&r), vec![vec!["DR1234567890CZ".to_string()]]);
}

#[test]
fn label_strips_control_characters_from_outside_text() {
    let mut data = label();
    data.recipient.name = "Jan\u{1b}[31m Novák\u{7}".to_string();
    let text = text_of(&write_pdf(&own_label_pdf(&data).unwrap()));
    assert!(text.contains("Jan Novák"), "{text}");
    assert!(!text.contains('\u{1b}'), "{text}");
}

#[test]
fn label_refuses_a_tracking_number_that_code128_cannot_carry() {
    let mut data = label();
    data.tracking_number = "ŽLUŤ-1".to_string();
    match own_label_pdf(&data) {
        Err(DocError::Barcode { data, .. }) => assert_eq!(data, "ŽLUŤ-1"),
        other => panic!("expected a barcode error, got {other:?}"),
    }
    data.tracking_number = "X".repeat(80);
    assert!(matches!(
        own_label_pdf(&data),
        Err(DocError::BarcodeTooWide { .. })
    ));
}

#[test]
fn long_mixed_tracking_numbers_still_decode_on_the_label() {
    for tracking in [
        "1Z999AA10123456784",
        "Z 123 4567 890",
        "00340434161234567890",
        "pkg-abc/def.42",
    ] {
        let mut data = label();
        data.tracking_number = tracking.to_string();
        let r = write_pdf(&own_label_pdf(&data).unwrap());
        assert_eq!(
            decode(&r),
            vec![vec![tracking.to_string()]],
            "tracking {tracking}"
        );
    }
}

fn command_entries(n: usize) -> Vec<SheetEntry> {
    (0..n)
        .map(|i| SheetEntry {
            code: format!("PD:CMD{i:02}"),
            caption: format!("Příkaz {i} / Polecenie źdźbło {i}"),
        })
        .collect()
}

#[test]
fn command_sheet_runs_over_pages_and_every_code_decodes() {
    let mut entries = vec![
        SheetEntry {
            code: "PD:PACK".to_string(),
            caption: "Pack / Zabalit".to_string(),
        },
        SheetEntry {
            code: "PD:UNDO".to_string(),
            caption: "Undo / Vrátit sken".to_string(),
        },
    ];
    entries.extend(command_entries(18));
    let r = write_pdf(&barcode_sheet_pdf("Příkazy stolu / Polecenia", &entries).unwrap());
    let info = info(&r);
    assert_eq!(info_field(&info, "Pages"), "2");
    assert_page_size(&info, 595.28, 841.89);

    let pages = decode(&r);
    let mut found: Vec<String> = pages.concat();
    found.sort();
    let mut expected: Vec<String> = entries.iter().map(|e| e.code.clone()).collect();
    expected.sort();
    assert_eq!(found, expected);
    assert_eq!(pages[0].len(), 14, "first page holds 7 rows of 2");

    let text = text_of(&r);
    for e in &entries {
        assert!(
            text.contains(&e.caption),
            "caption {:?} missing:\n{text}",
            e.caption
        );
    }
    assert!(text.contains("Příkazy stolu / Polecenia"), "{text}");
}

#[test]
fn empty_command_sheet_is_one_titled_page() {
    let r = write_pdf(&barcode_sheet_pdf("Prázdný", &[]).unwrap());
    assert_eq!(info_field(&info(&r), "Pages"), "1");
    assert!(text_of(&r).contains("Prázdný"));
}

#[test]
fn scanner_test_sheet_decodes_to_the_printed_texts_and_gs1_ais() {
    let r = write_pdf(&scanner_test_sheet_pdf().unwrap());
    let pages = decode(&r);
    assert_eq!(pages.len(), 1);
    let codes = &pages[0];
    for plain in [
        "0123456789",
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "abcdefghijklmnopqrstuvwxyz",
        "-_/.",
        "8594001234561",
    ] {
        assert!(
            codes.iter().any(|c| c == plain),
            "{plain:?} not decoded; got {codes:?}"
        );
    }
    // GS1-128: zbar drops the leading FNC1 and sends the separator FNC1 as GS (0x1D).
    let gs1 = "0108594001234561".to_string() + "10LOT-42\u{1d}21SN12345";
    assert!(
        codes.contains(&gs1),
        "GS1 {gs1:?} not decoded; got {codes:?}"
    );
    assert_eq!(codes.len(), 6, "{codes:?}");

    let text = text_of(&r);
    for printed in [
        "0123456789",
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "abcdefghijklmnopqrstuvwxyz",
        "-_/.",
        "8594001234561",
        "010859400123456110LOT-42<GS>21SN12345",
        "(01)08594001234561 (10)LOT-42 (21)SN12345",
        "Test čtečky",
    ] {
        assert!(text.contains(printed), "{printed:?} missing:\n{text}");
    }
}

#[test]
fn packing_slip_lists_lines_and_decodes_the_order_number() {
    let lines: Vec<SlipLine> = (1..=45)
        .map(|i| SlipLine {
            sku: format!("SKU-{i:03}"),
            name: format!("Žluťoučký kůň {i} – ręcznik łazienkowy"),
            quantity: Qty::units(i),
        })
        .collect();
    let slip = PackingSlip {
        order_number: "2026-000777".to_string(),
        shop: "Obchod u Řehoře".to_string(),
        customer: label().recipient,
        lines,
        note: Some("Prosím zabalit jako dárek, děkuji! Zażółć gęślą jaźń.".to_string()),
    };
    let r = write_pdf(&packing_slip_pdf(&slip).unwrap());
    assert_eq!(info_field(&info(&r), "Pages"), "2");
    let pages = decode(&r);
    assert_eq!(pages, vec![vec!["2026-000777".to_string()]; 2]);
    let text = text_of(&r);
    for expected in [
        "Řehoř Žďárský",
        "90-926 Łódź, PL",
        "Žluťoučký kůň 1 – ręcznik łazienkowy",
        "Žluťoučký kůň 45 – ręcznik łazienkowy",
        "SKU-045",
        "Zażółć gęślą jaźń.",
        "Obchod u Řehoře",
    ] {
        assert!(text.contains(expected), "{expected:?} missing:\n{text}");
    }
}

#[test]
fn fonts_are_subset_so_pdfs_stay_small() {
    let label = own_label_pdf(&label()).unwrap();
    let sheet = scanner_test_sheet_pdf().unwrap();
    // Whole DejaVu Sans + Bold would add ~0.7 MB; subset to the glyphs used, a label is
    // about 33 KB.
    for (name, bytes) in [("label", &label), ("scanner sheet", &sheet)] {
        assert!(bytes.len() < 80_000, "{name} is {} bytes", bytes.len());
    }
}

#[test]
fn code128_modules_is_public_and_names_bad_data() {
    assert!(docs::code128_modules("PD:PACK").is_ok());
    let err = docs::code128_modules("čtečka").unwrap_err().to_string();
    assert!(err.contains("čtečka"), "{err}");
}

#[test]
fn overlong_fields_are_cut_and_the_barcode_still_decodes() {
    let long = "Velmi dlouhý název, který se na štítek nevejde – Bardzo długa nazwa ".repeat(3);
    let mut data = label();
    data.recipient.name = long.clone();
    data.recipient.street = long.clone();
    data.pickup_point = Some(PickupPoint {
        id: "PL-WAW-0001".to_string(),
        name: long.clone(),
    });
    data.cod = Some(Money::new(9_999_999_999, "PLN"));
    let r = write_pdf(&own_label_pdf(&data).unwrap());
    assert_eq!(decode(&r), vec![vec!["DR1234567890CZ".to_string()]]);
    let text = text_of(&r);
    assert!(text.contains('…'), "long text not cut:\n{text}");
    assert!(text.contains("COD / DOBÍRKA 99 999 999,99 PLN"), "{text}");
}
