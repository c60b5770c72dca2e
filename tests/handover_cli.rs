//! `packdesk handover` from a script: lists the ready parcels per carrier, hands one
//! carrier's over (one ORDER at the Balikobot simulator), stores and prints the protocol,
//! marks the parcels dispatched and pushes the *dispatched* status to the Upgates simulator.

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use packdesk::carrier::balikobot::BalikobotClient;
use packdesk::carrier::{Carrier, ShipmentRequest};
use packdesk::domain::{Order, Shipment, ShipmentState};
use packdesk::shop::upgates::UpgatesClient;
use packdesk::sim::Faults;
use packdesk::sim::balikobot::BalikobotSim;
use packdesk::sim::upgates::{UpgatesSim, demo_order_json};
use packdesk::store::Store;
use packdesk::sync::SyncWorker;

fn request(o: &Order, carrier: &str, service: &str) -> ShipmentRequest {
    let digits: String = o.number.chars().filter(char::is_ascii_digit).collect();
    ShipmentRequest {
        eid: packdesk::effects::eid_for(&o.number, 1, 0),
        order_number: o.number.clone(),
        shop_id: o.shop_id.clone(),
        carrier: carrier.into(),
        service: service.into(),
        recipient: o.customer.clone(),
        pickup_point: o.shipping.pickup_point.clone(),
        cod: o.cod.clone(),
        variable_symbol: Some(digits),
        value: Some(o.total.clone()),
        weight_kg: 1.0,
        parcel_no: 1,
        parcel_count: 1,
        note: None,
    }
}

#[test]
fn packdesk_handover_hands_over_prints_and_dispatches() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let all = packdesk::demo::generate(11, 60, chrono::Utc::now());
    let shop_sim = UpgatesSim::new("login", "skey", Faults::default(), 1);
    shop_sim.add_orders(all.iter().map(demo_order_json).collect());
    let shop_run = rt.block_on(shop_sim.start(0)).expect("upgates sim");
    let carrier_sim = BalikobotSim::new("user", "bkey", Faults::default(), 2);
    let carrier_run = rt.block_on(carrier_sim.start(0)).expect("balikobot sim");
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let printer = dir.path().join("printer");

    // Two ready cp parcels in the store, made at the simulator.
    let numbers = {
        let store = Store::open(&data).expect("store");
        let shop =
            Arc::new(UpgatesClient::new(&shop_run.base_url, "login", "skey", false).expect("shop"));
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let st = rt.block_on(
            SyncWorker::new(shop, store.clone(), tx, Duration::from_secs(60)).sync_once(),
        );
        assert!(st.ok, "{st:?}");
        let client = BalikobotClient::new(
            &carrier_run.base_url,
            "user",
            "bkey",
            Duration::from_secs(5),
        )
        .expect("carrier");
        let map = packdesk::demo::pipeline::carrier_map();
        let mut numbers = Vec::new();
        for o in &all {
            let Ok(Some(key)) = store.find_order_key(&o.number) else {
                continue;
            };
            let Some(order) = store.order(&key).ok().flatten() else {
                continue;
            };
            if order.cancelled
                || packdesk::config::map_shipping(&map, &order.shipping)
                    .is_none_or(|(c, s, _)| c != "cp" || s != "DR")
            {
                continue;
            }
            let Ok(created) = rt.block_on(client.create(&request(&order, "cp", "DR"))) else {
                continue;
            };
            let mut sh = Shipment::pending(&key, 1, 1, "balikobot");
            sh.state = ShipmentState::Ready;
            sh.carrier = Some("cp".into());
            sh.package_id = Some(created.package_id);
            sh.tracking_number = Some(created.tracking_number);
            store.save_shipment(&sh).expect("save");
            numbers.push(order.number.clone());
            if numbers.len() == 2 {
                break;
            }
        }
        store.flush().expect("flush");
        numbers
    };
    assert_eq!(numbers.len(), 2, "two cp orders in the demo data");

    let config = dir.path().join("station.toml");
    std::fs::write(
        &config,
        format!(
            "station = \"bench-1\"\nout_dir = \"{out}\"\n\
             [shop]\nkind = \"upgates\"\nurl = \"{shop}\"\nlogin = \"login\"\nkey_env = \"T_HO_SHOP_KEY\"\n\
             [carrier]\nkind = \"balikobot\"\nurl = \"{carrier}\"\nuser = \"user\"\nkey_env = \"T_HO_CARRIER_KEY\"\n\
             [status]\nready = \"3\"\ndispatched = \"4\"\n\
             [printers.document]\nkind = \"dir\"\ndir = \"{printer}\"\n",
            out = dir.path().join("out").display(),
            shop = shop_run.base_url,
            carrier = carrier_run.base_url,
            printer = printer.display(),
        ),
    )
    .expect("config");
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_packdesk"))
            .arg("--config")
            .arg(&config)
            .arg("--data-dir")
            .arg(&data)
            .args(args)
            .env("T_HO_SHOP_KEY", "skey")
            .env("T_HO_CARRIER_KEY", "bkey")
            .env("LANG", "C")
            .output()
            .expect("run packdesk");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // The list: one line per carrier.
    let (ok, out, err) = run(&["handover"]);
    assert!(ok, "{out}{err}");
    assert!(out.lines().any(|l| l.starts_with("cp\t2\t")), "{out}");
    assert!(
        carrier_sim.handovers().is_empty(),
        "listing hands nothing over"
    );
    // The hand-over.
    let (ok, out, err) = run(&["handover", "--carrier", "cp", "--wait-s", "30"]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("Handed over 2 cp parcels"), "{out}");
    assert!(out.contains("shop statuses sent"), "{out}");
    assert!(out.contains("printed handover-cp-"), "{out}");
    assert_eq!(carrier_sim.handovers().len(), 1);
    for n in &numbers {
        let wire = shop_sim.order(n).expect("in the shop");
        assert_eq!(wire["status_id"].as_u64(), Some(4), "{n}");
    }
    let printed: Vec<_> = std::fs::read_dir(&printer)
        .expect("printer dir")
        .filter_map(Result::ok)
        .collect();
    assert_eq!(printed.len(), 1, "{printed:?}");
    assert!(
        std::fs::read_dir(data.join("handover"))
            .expect("protocol dir")
            .count()
            == 1
    );
    // Again: nothing left.
    let (ok, out, _) = run(&["handover", "--carrier", "cp"]);
    assert!(!ok, "{out}");
    assert_eq!(carrier_sim.handovers().len(), 1, "never twice");
    let store = Store::open(&data).expect("store");
    for n in &numbers {
        let key = store.find_order_key(n).ok().flatten().expect("key");
        let sh = store.shipments(&key).expect("shipments");
        assert!(
            sh.iter().all(|s| s.state == ShipmentState::Dispatched),
            "{sh:?}"
        );
    }
}
