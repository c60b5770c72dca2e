//! Order documents: the Upgates order PDF fetched from the simulator (a real PDF whose
//! Czech text survives), kept so a second open costs no request, a clear message for an
//! unknown order; BaseLinker offers none.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use packdesk::docs::OrderDocs;
use packdesk::domain::{Address, Line, Money, Order, Qty, Shipping};
use packdesk::shop::Shop;
use packdesk::shop::upgates::{UpgatesClient, UpgatesOptions};
use packdesk::sim::Faults;
use packdesk::sim::upgates::{UpgatesSim, demo_order_json};

const LOGIN: &str = "packdesk-api";
const KEY: &str = "k3y-Secret-0123456789";

fn client(base: &str) -> UpgatesClient {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let opts = UpgatesOptions {
        request_timeout: Duration::from_secs(5),
        max_retry_wait: Duration::from_secs(5),
        max_attempts: 3,
        backoff: Duration::from_millis(5),
    };
    UpgatesClient::with_options(base, LOGIN, KEY, false, opts).expect("client")
}

fn order() -> Order {
    Order {
        source: "upgates".into(),
        number: "CZ250020".into(),
        shop_id: None,
        created_at: Utc
            .with_ymd_and_hms(2025, 3, 1, 8, 0, 0)
            .single()
            .expect("date"),
        priority: 0,
        customer: Address {
            name: "Jiří Čermák".into(),
            company: String::new(),
            street: "Údolní 12".into(),
            city: "Brno".into(),
            zip: "602 00".into(),
            country: "CZ".into(),
            phone: "+420777000111".into(),
            email: "jiri@example.cz".into(),
        },
        shipping: Shipping {
            method: "ppl".into(),
            carrier: "ppl".into(),
            ..Shipping::default()
        },
        total: Money::new(39_800, "CZK"),
        cod: None,
        paid: true,
        note: None,
        lines: vec![Line {
            sku: "HRN-01".into(),
            ean: Some("8594000000019".into()),
            name: "Hrnek žlutý".into(),
            quantity: Qty::units(2),
            unit_weight_kg: Some(0.35),
            needs_serial: false,
            aliases: vec![],
            unit_price: Some(Money::new(19_900, "CZK")),
        }],
        shop_status: "1".into(),
        cancelled: false,
        flags: vec![],
        revision: 0,
    }
}

/// The text of a PDF by `pdftotext`, or `None` where poppler is not installed.
pub fn pdf_text(bytes: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().ok()?;
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, bytes).ok()?;
    let out = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .ok()?;
    assert!(out.status.success(), "pdftotext failed on the document");
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[tokio::test]
async fn order_pdf_is_fetched_once_and_kept() {
    let sim = UpgatesSim::new(LOGIN, KEY, Faults::default(), 3);
    sim.add_orders(vec![demo_order_json(&order())]);
    let run = sim.start(0).await.expect("start");
    let c = client(&run.base_url);
    assert!(c.offers_order_pdf());
    let tmp = tempfile::tempdir().expect("tmp");
    let docs = OrderDocs::new(tmp.path());

    let before = sim.request_count();
    let first = docs
        .shop_pdf(&c, "upgates:CZ250020", "CZ250020")
        .await
        .expect("fetched")
        .expect("Upgates has an order PDF");
    assert!(first.bytes.starts_with(b"%PDF-"));
    assert!(!first.cached);
    assert_eq!(sim.request_count() - before, 1, "one request");
    if let Some(text) = pdf_text(&first.bytes) {
        for want in [
            "CZ250020",
            "Jiří Čermák",
            "Hrnek žlutý",
            "HRN-01",
            "Údolní 12",
        ] {
            assert!(text.contains(want), "{want:?} not in the PDF:\n{text}");
        }
        assert!(text.contains("398,00"), "total in the PDF:\n{text}");
    }

    let again = docs
        .shop_pdf(&c, "upgates:CZ250020", "CZ250020")
        .await
        .expect("cached")
        .expect("pdf");
    assert!(again.cached);
    assert_eq!(again.bytes, first.bytes);
    assert_eq!(
        sim.request_count() - before,
        1,
        "the second open costs nothing"
    );
}

#[tokio::test]
async fn unknown_order_names_the_order() {
    let sim = UpgatesSim::new(LOGIN, KEY, Faults::default(), 3);
    let run = sim.start(0).await.expect("start");
    let c = client(&run.base_url);
    let err = c.order_pdf("CZ999999").await.expect_err("404");
    let msg = err.to_string();
    assert!(msg.contains("CZ999999"), "{msg}");
    assert!(msg.contains("not found"), "{msg}");
    let tmp = tempfile::tempdir().expect("tmp");
    let docs = OrderDocs::new(tmp.path());
    assert!(
        docs.shop_pdf(&c, "upgates:CZ999999", "CZ999999")
            .await
            .is_err()
    );
    assert_eq!(
        docs.cached_shop_pdf("upgates:CZ999999"),
        None,
        "nothing kept"
    );
}

#[tokio::test]
async fn baselinker_offers_no_shop_document() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let shop =
        packdesk::shop::baselinker::BaseLinkerShop::new("http://127.0.0.1:9/connector.php", "t")
            .expect("client");
    assert!(!shop.offers_order_pdf());
    assert_eq!(shop.order_pdf("1").await.expect("no request"), None);
    let tmp = tempfile::tempdir().expect("tmp");
    let got = OrderDocs::new(tmp.path())
        .shop_pdf(&shop, "baselinker:1", "1")
        .await
        .expect("no error");
    assert_eq!(got, None);
}
