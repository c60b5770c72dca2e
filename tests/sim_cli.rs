//! `packdesk sim`: the real binary on free ports, used through the real clients with the
//! URLs and credentials it prints.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use packdesk::carrier::Carrier;
use packdesk::carrier::ShipmentRequest;
use packdesk::carrier::balikobot::BalikobotClient;
use packdesk::domain::{Address, Money};
use packdesk::shop::baselinker::BaseLinkerShop;
use packdesk::shop::upgates::UpgatesClient;
use packdesk::shop::{Shop, SyncCursor};

/// A base port with the two ports after it free too.
fn free_port_base() -> u16 {
    for _ in 0..50 {
        let Ok(first) = TcpListener::bind("127.0.0.1:0") else {
            continue;
        };
        let Ok(addr) = first.local_addr() else {
            continue;
        };
        let base = addr.port();
        if base > 65_000 {
            continue;
        }
        let rest: Vec<_> = (1..3)
            .filter_map(|i| TcpListener::bind(("127.0.0.1", base + i)).ok())
            .collect();
        if rest.len() == 2 {
            return base;
        }
    }
    panic!("no three free consecutive ports");
}

struct Sim {
    child: Child,
    /// name → (base URL, credentials key=value)
    lines: HashMap<String, (String, HashMap<String, String>)>,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(args: &[&str]) -> Sim {
    let mut child = Command::new(env!("CARGO_BIN_EXE_packdesk"))
        .arg("sim")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("packdesk sim starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut reader = BufReader::new(stdout);
    let mut lines = HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while lines.len() < 3 && Instant::now() < deadline {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        let mut parts = line.split_whitespace();
        let (Some(name), Some(url)) = (parts.next(), parts.next()) else {
            continue;
        };
        let creds = parts
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        lines.insert(name.to_string(), (url.to_string(), creds));
    }
    let sim = Sim { child, lines };
    assert_eq!(sim.lines.len(), 3, "three simulator lines: {:?}", sim.lines);
    sim
}

fn request() -> ShipmentRequest {
    ShipmentRequest {
        eid: "sim-cli-1".into(),
        order_number: "20260001".into(),
        shop_id: None,
        carrier: "cp".into(),
        service: "DR".into(),
        recipient: Address {
            name: "Jana Nováková".into(),
            company: String::new(),
            street: "Dlouhá 5".into(),
            city: "Brno".into(),
            zip: "602 00".into(),
            country: "CZ".into(),
            phone: "+420 777 123 456".into(),
            email: "jana@example.cz".into(),
        },
        pickup_point: None,
        cod: Some(Money::new(49_900, "CZK")),
        variable_symbol: Some("20260001".into()),
        value: Some(Money::new(49_900, "CZK")),
        weight_kg: 1.2,
        parcel_no: 1,
        parcel_count: 1,
        note: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prints_urls_and_credentials_that_the_clients_can_use() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let base = free_port_base();
    let sim = spawn(&["--port-base", &base.to_string(), "--seed", "7"]);

    let (url, creds) = &sim.lines["upgates"];
    assert_eq!(url, &format!("http://127.0.0.1:{base}/api/v2"));
    let upgates = UpgatesClient::new(url, &creds["login"], &creds["key"], false).expect("client");
    upgates.check().await.expect("upgates credentials accepted");
    let fetched = upgates
        .fetch_orders(&SyncCursor::default())
        .await
        .expect("orders");
    assert_eq!(fetched.orders.len(), packdesk::sim::cli::DEMO_ORDERS);
    assert!(fetched.rejected.is_empty(), "{:?}", fetched.rejected);
    let wrong = UpgatesClient::new(url, &creds["login"], "not-the-key", false).expect("client");
    assert!(wrong.check().await.is_err(), "a wrong key is refused");

    let (url, creds) = &sim.lines["baselinker"];
    assert_eq!(url, &format!("http://127.0.0.1:{}/connector.php", base + 1));
    let bl = BaseLinkerShop::new(url, &creds["token"]).expect("client");
    let fetched = bl
        .fetch_orders(&SyncCursor::default())
        .await
        .expect("baselinker orders");
    assert_eq!(fetched.orders.len(), packdesk::sim::cli::DEMO_ORDERS);

    let (url, creds) = &sim.lines["balikobot"];
    assert_eq!(url, &format!("http://127.0.0.1:{}", base + 2));
    let bb = BalikobotClient::new(url, &creds["user"], &creds["key"], Duration::from_secs(5))
        .expect("client");
    let created = bb.create(&request()).await.expect("package created");
    assert!(!created.tracking_number.is_empty());
    let again = bb.create(&request()).await.expect("replayed");
    assert_eq!(again.package_id, created.package_id);
    let pdf = bb
        .label("cp", std::slice::from_ref(&created.package_id))
        .await
        .expect("label");
    assert!(pdf.starts_with(b"%PDF"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeds_from_saved_api_answers() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().expect("tempdir");
    let orders = packdesk::demo::generate(3, 3, chrono::Utc::now());
    let up_file = dir.path().join("upgates.json");
    let page = serde_json::json!({
        "current_page": 1, "number_of_pages": 1, "number_of_items": 3,
        "orders": orders.iter().map(packdesk::sim::upgates::demo_order_json).collect::<Vec<_>>(),
    });
    std::fs::write(&up_file, page.to_string()).expect("write");
    let bl_file = dir.path().join("baselinker.json");
    let answer = serde_json::json!({
        "status": "SUCCESS",
        "orders": orders[..2].iter().map(packdesk::sim::baselinker::demo_order_json).collect::<Vec<_>>(),
    });
    std::fs::write(&bl_file, answer.to_string()).expect("write");

    let base = free_port_base();
    let sim = spawn(&[
        "--port-base",
        &base.to_string(),
        "--upgates-orders",
        up_file.to_str().expect("utf-8 path"),
        "--baselinker-orders",
        bl_file.to_str().expect("utf-8 path"),
    ]);
    let (url, creds) = &sim.lines["upgates"];
    let upgates = UpgatesClient::new(url, &creds["login"], &creds["key"], false).expect("client");
    let mut got: Vec<String> = upgates
        .fetch_orders(&SyncCursor::default())
        .await
        .expect("orders")
        .orders
        .into_iter()
        .map(|o| o.number)
        .collect();
    got.sort();
    let mut want: Vec<String> = orders.iter().map(|o| o.number.clone()).collect();
    want.sort();
    assert_eq!(got, want);
    let (url, creds) = &sim.lines["baselinker"];
    let bl = BaseLinkerShop::new(url, &creds["token"]).expect("client");
    let n = bl
        .fetch_orders(&SyncCursor::default())
        .await
        .expect("orders")
        .orders
        .len();
    assert_eq!(n, 2);
}

#[test]
fn a_bad_seed_file_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("broken.json");
    std::fs::write(&file, "{\"orders\": 5}").expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_packdesk"))
        .args(["sim", "--port-base", "0", "--upgates-orders"])
        .arg(&file)
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("broken.json"), "{err}");
    assert!(err.contains("orders"), "{err}");
}
