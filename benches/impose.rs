//! 500 carrier labels on 4-up A4 sheets and on a roll (`cargo bench --bench impose`).
//!
//! The labels are 500 different 100 × 150 mm PDFs (own labels: embedded DejaVu subsets,
//! Code 128), made once before timing. The output size is printed before the timings.

use std::sync::LazyLock;

use packdesk::docs::{LabelData, concat_roll, impose_a4x4, own_label_pdf};
use packdesk::domain::{Address, Money};

static LABELS: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    (0..500)
        .filter_map(|i| own_label_pdf(&label(i)).ok())
        .collect()
});

fn label(i: u32) -> LabelData {
    LabelData {
        order_number: format!("2026-{i:06}"),
        parcel_no: 1,
        parcel_count: 1,
        tracking_number: format!("Z{:010}CZ", 4_000_000 + i),
        carrier: "Zásilkovna".to_string(),
        service: "Doručení na adresu".to_string(),
        sender: "Sklad Ostrava".to_string(),
        recipient: Address {
            name: format!("Łukasz Źdźbło {i}"),
            company: String::new(),
            street: format!("Żeromskiego {i}"),
            city: "Kraków".to_string(),
            zip: "30-001".to_string(),
            country: "PL".to_string(),
            phone: "+48 600 100 200".to_string(),
            email: String::new(),
        },
        pickup_point: None,
        cod: i
            .is_multiple_of(3)
            .then(|| Money::new(49_900 + i64::from(i), "PLN")),
        weight_kg: Some(0.5 + f64::from(i % 7)),
    }
}

fn main() {
    let input: usize = LABELS.iter().map(Vec::len).sum();
    let sheets = impose_a4x4(&LABELS, 1).map(|(pdf, _)| pdf.len());
    let roll = concat_roll(&LABELS).map(|pdf| pdf.len());
    println!(
        "{} labels, {input} bytes in; 4-up output {sheets:?} bytes; roll output {roll:?} bytes",
        LABELS.len()
    );
    divan::main();
}

/// 500 labels → 125 A4 sheets.
#[divan::bench(sample_count = 10)]
fn a4x4_500_labels() -> usize {
    impose_a4x4(divan::black_box(&LABELS), 1).map_or(0, |(pdf, _)| pdf.len())
}

/// 500 labels → 500 roll pages.
#[divan::bench(sample_count = 10)]
fn roll_500_labels() -> usize {
    concat_roll(divan::black_box(&LABELS)).map_or(0, |pdf| pdf.len())
}
