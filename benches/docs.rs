//! Build time of the documents (`cargo bench --bench docs`).

use packdesk::docs::{
    LabelData, SheetEntry, barcode_sheet_pdf, code128_modules, own_label_pdf,
    scanner_test_sheet_pdf,
};
use packdesk::domain::{Address, Money, PickupPoint};

fn main() {
    divan::main();
}

fn label() -> LabelData {
    LabelData {
        order_number: "2026-000123".to_string(),
        parcel_no: 1,
        parcel_count: 2,
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
            name: "Z-BOX Brno, Údolní 53".to_string(),
        }),
        cod: Some(Money::new(123_400, "CZK")),
        weight_kg: Some(1.25),
    }
}

/// One 100 × 150 mm label, fonts subset and embedded, PDF bytes out.
#[divan::bench]
fn own_label(bencher: divan::Bencher) {
    let data = label();
    bencher.bench(|| own_label_pdf(divan::black_box(&data)));
}

/// A two-page command sheet (20 codes).
#[divan::bench]
fn command_sheet_20(bencher: divan::Bencher) {
    let entries: Vec<SheetEntry> = (0..20)
        .map(|i| SheetEntry {
            code: format!("PD:CMD{i:02}"),
            caption: format!("Příkaz {i}"),
        })
        .collect();
    bencher.bench(|| barcode_sheet_pdf("Příkazy", divan::black_box(&entries)));
}

/// The scanner test sheet.
#[divan::bench]
fn scanner_test_sheet() -> Result<Vec<u8>, packdesk::docs::DocError> {
    scanner_test_sheet_pdf()
}

/// Code 128 encoding alone.
#[divan::bench]
fn code128_tracking_number() -> Result<Vec<bool>, packdesk::docs::DocError> {
    code128_modules(divan::black_box("1Z999AA10123456784"))
}

/// A one-page packing slip (12 lines, a note, the order's Code 128), as the bench prints it.
#[divan::bench]
fn packing_slip(bencher: divan::Bencher) {
    let slip = packdesk::docs::PackingSlip {
        order_number: "2026-000123".to_string(),
        shop: "bench-1".to_string(),
        customer: label().recipient,
        lines: (0..12)
            .map(|i| packdesk::docs::SlipLine {
                sku: format!("SKU-{i:04}"),
                name: format!("Hrnek žluťoučký kůň č. {i}"),
                quantity: packdesk::domain::Qty::units(1 + i % 3),
            })
            .collect(),
        note: Some("Prosím zabalit do papíru, děkuji – Łukasz".to_string()),
    };
    bencher.bench(|| packdesk::docs::packing_slip_pdf(divan::black_box(&slip)));
}

/// The 4-up page of one label at the bench (label printer on A4 quarters).
#[divan::bench]
fn one_label_on_a_quarter(bencher: divan::Bencher) {
    let pdf = own_label_pdf(&label()).unwrap_or_default();
    let labels = vec![pdf];
    bencher.bench(|| packdesk::docs::impose_a4x4(divan::black_box(&labels), 3));
}
