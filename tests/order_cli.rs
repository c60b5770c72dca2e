//! `packdesk order find|show|status|note` against the Upgates simulator.

use std::path::PathBuf;
use std::process::Command;

use packdesk::domain::Order;
use packdesk::shop::upgates::UpgatesClient;
use packdesk::shop::{Shop, SyncCursor};
use packdesk::sim::cli::{SimArgs, Sims, UPGATES_KEY, UPGATES_LOGIN};

struct Env {
    _rt: tokio::runtime::Runtime,
    sims: Sims,
    dir: tempfile::TempDir,
    url: String,
    orders: Vec<Order>,
}

fn env() -> Env {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let args = SimArgs {
        port_base: 0,
        upgates_orders: None,
        baselinker_orders: None,
        error_rate: 0.0,
        timeout_rate: 0.0,
        latency_ms: 0,
        quota: None,
        seed: 11,
    };
    let sims = rt
        .block_on(packdesk::sim::cli::start(&args))
        .expect("sims start");
    let url = sims
        .running
        .iter()
        .find(|r| r.name == "upgates")
        .map(|r| r.base_url.clone())
        .expect("upgates runs");
    let client = UpgatesClient::new(&url, UPGATES_LOGIN, UPGATES_KEY, false).expect("client");
    let orders = rt
        .block_on(client.fetch_orders(&SyncCursor::default()))
        .expect("orders")
        .orders;
    assert!(orders.len() > 5);
    Env {
        _rt: rt,
        sims,
        dir: tempfile::tempdir().expect("tempdir"),
        url,
        orders,
    }
}

impl Env {
    fn config(&self, send_emails: bool) -> PathBuf {
        let path = self.dir.path().join(format!("station-{send_emails}.toml"));
        let text = format!(
            "[shop]\nkind = \"upgates\"\nurl = \"{}\"\nlogin = \"{UPGATES_LOGIN}\"\n\
             key_env = \"T_ORDER_SHOP_KEY\"\nsend_emails = {send_emails}\n\
             [[carrier.map]]\nshipping = \"{}\"\ncarrier = \"cp\"\nservice = \"DR\"\n",
            self.url, self.orders[0].shipping.method
        );
        std::fs::write(&path, text).expect("write config");
        path
    }

    /// Runs `packdesk order ARGS`; success, stdout, stderr.
    fn order(&self, send_emails: bool, args: &[&str]) -> (bool, String, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_packdesk"))
            .arg("--config")
            .arg(self.config(send_emails))
            .arg("--data-dir")
            .arg(self.dir.path().join("data"))
            .arg("order")
            .args(args)
            .env("T_ORDER_SHOP_KEY", UPGATES_KEY)
            .output()
            .expect("packdesk order runs");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    }

    fn wire(&self, number: &str) -> serde_json::Value {
        self.sims.upgates.order(number).expect("order in the sim")
    }
}

#[test]
fn find_by_number_email_and_phone_in_a_period() {
    let env = env();
    let o = &env.orders[3];
    let (ok, out, err) = env.order(false, &["find", "--number", &o.number]);
    assert!(ok, "{err}");
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.starts_with(&o.number), "{out}");

    let email = &o.customer.email;
    let want = env
        .orders
        .iter()
        .filter(|x| &x.customer.email == email)
        .count();
    let (ok, out, err) = env.order(false, &["find", "--email", email]);
    assert!(ok, "{err}");
    assert_eq!(out.lines().count(), want, "{out}");
    assert!(out.lines().all(|l| l.contains(email.as_str())), "{out}");

    let day = o.created_at.date_naive();
    let from = (day - chrono::Days::new(1)).to_string();
    let to = (day + chrono::Days::new(1)).to_string();
    let (ok, out, err) = env.order(
        false,
        &[
            "find",
            "--phone",
            &o.customer.phone,
            "--from",
            &from,
            "--to",
            &to,
        ],
    );
    assert!(ok, "{err}");
    assert!(out.lines().any(|l| l.starts_with(&o.number)), "{out}");
    let (ok, out, _) = env.order(
        false,
        &[
            "find",
            "--phone",
            &o.customer.phone,
            "--from",
            "2001-01-01",
            "--to",
            "2001-01-31",
        ],
    );
    assert!(ok);
    assert_eq!(out.trim(), "no orders found");

    let (ok, _, err) = env.order(false, &["find", "--phone", "+420777000000"]);
    assert!(!ok, "--phone without a period is refused");
    assert!(err.contains("--from"), "{err}");
    let (ok, _, _) = env.order(false, &["find", "--email", email, "--from", "2001-01-01"]);
    assert!(!ok, "a period without --phone is refused");
}

#[test]
fn show_prints_status_payment_total_and_items() {
    let env = env();
    let o = env
        .orders
        .iter()
        .find(|o| o.cod.is_some())
        .expect("a COD order");
    let (ok, out, err) = env.order(false, &["show", &o.number]);
    assert!(ok, "{err}");
    assert!(
        out.contains(&format!("order     {} (upgates)", o.number)),
        "{out}"
    );
    assert!(out.contains("payment   cash on delivery"), "{out}");
    assert!(out.contains(&format!("paid      {}", if o.paid { "yes" } else { "no" })));
    assert!(out.contains(&format!("total     {}", o.total)), "{out}");
    assert!(out.contains("tracking  none known"), "{out}");
    let mapped = o.shipping.method == env.orders[0].shipping.method;
    assert_eq!(out.contains(" → cp DR"), mapped, "{out}");
    assert_eq!(out.contains("(not in [[carrier.map]])"), !mapped, "{out}");
    for l in &o.lines {
        assert!(out.contains(&l.sku), "{} missing in {out}", l.sku);
    }
    let status = env.wire(&o.number)["status"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        out.contains(&format!("status    {status}")),
        "{status} in {out}"
    );

    let (ok, _, err) = env.order(false, &["show", "999999999"]);
    assert!(!ok);
    assert!(err.contains("no order 999999999"), "{err}");
}

#[test]
fn status_by_name_with_and_without_notifying() {
    let env = env();
    let n = env.orders[0].number.clone();
    let (ok, out, err) = env.order(false, &["status", &n, "zabalená"]);
    assert!(ok, "{err}");
    assert!(out.contains("→ Zabalená (5)"), "{out}");
    assert_eq!(env.wire(&n)["status_id"], serde_json::json!(5));
    assert_eq!(env.sims.upgates.emails_sent(), 0);

    let (ok, _, err) = env.order(false, &["status", &n, "4", "--notify"]);
    assert!(!ok, "--notify needs send_emails");
    assert!(err.contains("send_emails = false"), "{err}");
    assert_eq!(env.wire(&n)["status_id"], serde_json::json!(5));

    let (ok, out, err) = env.order(true, &["status", &n, "4", "--notify"]);
    assert!(ok, "{err}");
    assert!(out.contains("customer notified"), "{out}");
    assert_eq!(env.wire(&n)["status_id"], serde_json::json!(4));
    assert_eq!(env.sims.upgates.emails_sent(), 1);

    let (ok, _, err) = env.order(false, &["status", &n, "Balí se"]);
    assert!(!ok);
    assert!(err.contains("\"Balí se\" is not a status"), "{err}");
    assert!(err.contains("Odeslaná (4)"), "{err}");
}

#[test]
fn note_appends_then_overwrites() {
    let env = env();
    let n = env.orders[1].number.clone();
    let note = |env: &Env| {
        env.wire(&n)["internal_note"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let (ok, _, err) = env.order(false, &["note", &n, "box damaged"]);
    assert!(ok, "{err}");
    assert_eq!(note(&env), "box damaged");
    let (ok, _, err) = env.order(false, &["note", &n, "repacked by Jana"]);
    assert!(ok, "{err}");
    assert_eq!(note(&env), "box damaged\nrepacked by Jana");
    let (ok, out, err) = env.order(false, &["note", &n, "all fine", "--overwrite"]);
    assert!(ok, "{err}");
    assert!(out.contains("replaced"), "{out}");
    assert_eq!(note(&env), "all fine");
}

#[test]
fn without_a_shop_the_commands_say_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("s.toml");
    std::fs::write(&cfg, "station = \"x\"\n").expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_packdesk"))
        .arg("--config")
        .arg(&cfg)
        .args(["order", "show", "1"])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no [shop]"), "{err}");
}

#[test]
fn show_lists_the_tracking_numbers_this_station_made() {
    let env = env();
    let o = &env.orders[2];
    {
        let store = packdesk::store::Store::open(&env.dir.path().join("data")).expect("store");
        store
            .save_shipment(&packdesk::domain::shipment::Shipment {
                order_key: format!("upgates:{}", o.number),
                parcel_no: 1,
                parcel_count: 1,
                provider: "balikobot".into(),
                state: packdesk::domain::shipment::ShipmentState::Ready,
                package_id: Some("42701".into()),
                tracking_number: Some("DR1504100001M".into()),
                label_path: None,
                weight_kg: 1.0,
                error: None,
                updated_at: chrono::Utc::now(),
                carrier: None,
                generation: 0,
                carrier_status: None,
            })
            .expect("save");
        store.flush().expect("flush");
    }
    let (ok, out, err) = env.order(false, &["show", &o.number]);
    assert!(ok, "{err}");
    assert!(
        out.contains("tracking  DR1504100001M (parcel 1, Ready)"),
        "{out}"
    );
}

/// `pdftotext` of a file, `None` where poppler is not installed.
fn pdf_text(path: &std::path::Path) -> Option<String> {
    let out = Command::new("pdftotext").arg(path).arg("-").output().ok()?;
    assert!(
        out.status.success(),
        "pdftotext failed on {}",
        path.display()
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `pdfinfo`'s page count, `None` where poppler is not installed.
fn pdf_pages(path: &std::path::Path) -> Option<u32> {
    let out = Command::new("pdfinfo").arg(path).output().ok()?;
    assert!(out.status.success(), "pdfinfo failed on {}", path.display());
    String::from_utf8_lossy(&out.stdout).lines().find_map(|l| {
        l.strip_prefix("Pages:")
            .map(|n| n.trim().parse().unwrap_or(0))
    })
}

#[test]
fn docs_lists_and_writes_the_invoice_slip_and_labels() {
    let env = env();
    let o = env.orders[2].clone();
    // Only in the shop: the invoice and the slip (made from the shop's order).
    let before = env.sims.upgates.request_count();
    let (ok, out, err) = env.order(false, &["docs", &o.number]);
    assert!(ok, "{err}");
    assert!(out.contains(&format!("{}-invoice.pdf", o.number)), "{out}");
    assert!(out.contains(&format!("{}-slip.pdf", o.number)), "{out}");
    assert_eq!(
        env.sims.upgates.request_count() - before,
        1,
        "listing looks the order up, fetches nothing"
    );
    let dir = env.dir.path().join("docs-out");
    let (ok, out, err) = env.order(
        false,
        &["docs", &o.number, "--out", dir.to_str().unwrap_or_default()],
    );
    assert!(ok, "{err}\n{out}");
    for (name, want) in [
        (format!("{}-invoice.pdf", o.number), o.customer.name.clone()),
        (format!("{}-slip.pdf", o.number), o.lines[0].sku.clone()),
    ] {
        let path = dir.join(&name);
        let bytes = std::fs::read(&path).unwrap_or_default();
        assert!(bytes.starts_with(b"%PDF-"), "{name}: {out}");
        if let Some(text) = pdf_text(&path) {
            assert!(text.contains(&o.number), "{name}: {text}");
            assert!(text.contains(&want), "{want:?} not in {name}: {text}");
        }
        if let Some(pages) = pdf_pages(&path) {
            assert!(pages >= 1, "{name}");
        }
    }
    // Written again: the invoice is the kept copy (only the order lookup is a request).
    let before = env.sims.upgates.request_count();
    let (ok, _, err) = env.order(
        false,
        &["docs", &o.number, "--out", dir.to_str().unwrap_or_default()],
    );
    assert!(ok, "{err}");
    assert_eq!(env.sims.upgates.request_count() - before, 1);

    // In this station's store with a label: no lookup at all, the label is written too.
    let data = env.dir.path().join("data");
    {
        let store = packdesk::store::Store::open(&data).expect("store");
        let mut local = o.clone();
        local.source = "upgates".into();
        store
            .import_orders(std::slice::from_ref(&local))
            .expect("import");
        let outbox = packdesk::outbox::Outbox::open(&store).expect("outbox");
        outbox
            .label_store()
            .put_for(&local.key(), 1, b"^XA^FDparcel^FS^XZ")
            .expect("label");
        let mut sh = packdesk::domain::Shipment::pending(&local.key(), 1, 1, "balikobot");
        sh.state = packdesk::domain::ShipmentState::Ready;
        sh.tracking_number = Some("DR42".into());
        store.save_shipment(&sh).expect("shipment");
    }
    let before = env.sims.upgates.request_count();
    let (ok, out, err) = env.order(
        false,
        &["docs", &o.number, "--out", dir.to_str().unwrap_or_default()],
    );
    assert!(ok, "{err}\n{out}");
    assert!(out.contains("label parcel 1 (DR42)"), "{out}");
    assert_eq!(
        std::fs::read(dir.join(format!("{}-label-1.zpl", o.number))).unwrap_or_default(),
        b"^XA^FDparcel^FS^XZ"
    );
    assert_eq!(env.sims.upgates.request_count() - before, 0, "all local");
    // While the bench holds the store, the shop's documents still come, and it says why
    // the labels do not.
    let held = packdesk::store::Store::open(&data).expect("store held");
    let (ok, out, err) = env.order(false, &["docs", &o.number]);
    assert!(ok, "{err}");
    assert!(out.contains("store is in use"), "{out}");
    assert!(out.contains(&format!("{}-invoice.pdf", o.number)), "{out}");
    assert!(!out.contains("label parcel"), "{out}");
    drop(held);

    let (ok, _, err) = env.order(false, &["docs", "CZ999999"]);
    assert!(!ok);
    assert!(err.contains("CZ999999"), "{err}");
}
