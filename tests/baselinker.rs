//! BaseLinker shop and courier clients against the BaseLinker simulator.

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use packdesk::carrier::baselinker::BaseLinkerCourier;
use packdesk::carrier::{Carrier, CarrierError, ShipmentRequest};
use packdesk::domain::{Address, Money, PickupPoint, Qty};
use packdesk::shop::baselinker::BaseLinkerShop;
use packdesk::shop::{NoteMode, OrderQuery, OrderUpdate, Shop, ShopError, SyncCursor};
use packdesk::sim::Faults;
use packdesk::sim::baselinker::BaseLinkerSim;
use serde_json::{Value, json};

mod common;
use common::bl_wire_order as wire_order;

const TOKEN: &str = "3001234-3005678-SECRETTOKENXYZ";
const T0: i64 = 1_700_000_000;

fn since(t: i64) -> SyncCursor {
    SyncCursor {
        since: Utc.timestamp_opt(t, 0).single(),
        extra: None,
    }
}

async fn setup(faults: Faults) -> (BaseLinkerSim, packdesk::sim::Running, BaseLinkerShop) {
    let sim = BaseLinkerSim::new(TOKEN, faults, 7);
    let running = match sim.start(0).await {
        Ok(r) => r,
        Err(e) => panic!("simulator did not start: {e}"),
    };
    let shop = match BaseLinkerShop::new(&running.base_url, TOKEN) {
        Ok(s) => s.with_rate_limit(60_000, 1000),
        Err(e) => panic!("shop client: {e}"),
    };
    (sim, running, shop)
}

fn update(id: &str, status: Option<&str>, tracking: Option<&str>) -> OrderUpdate {
    OrderUpdate {
        number: id.to_string(),
        shop_id: Some(id.to_string()),
        status: status.map(str::to_string),
        tracking_number: tracking.map(str::to_string),
        notify: false,
    }
}

fn shipment(order_id: i64, carrier: &str, parcel_no: u32) -> ShipmentRequest {
    ShipmentRequest {
        eid: format!("{order_id}-{parcel_no}"),
        order_number: order_id.to_string(),
        shop_id: Some(order_id.to_string()),
        carrier: carrier.to_string(),
        service: "inpost_locker_standard".to_string(),
        recipient: Address {
            name: "Anna Nowak".into(),
            street: "Jasna 1".into(),
            city: "Kraków".into(),
            zip: "30-001".into(),
            country: "PL".into(),
            phone: "600100200".into(),
            email: "anna@example.pl".into(),
            ..Address::default()
        },
        pickup_point: Some(PickupPoint {
            id: "KRA010".into(),
            name: "Paczkomat KRA010".into(),
        }),
        cod: Some(Money::new(12_990, "PLN")),
        variable_symbol: None,
        value: Some(Money::new(12_990, "PLN")),
        weight_kg: 1.2,
        parcel_no,
        parcel_count: 1,
        note: Some("Etui".into()),
    }
}

#[tokio::test]
async fn paging_fetches_every_order_once_even_across_a_shared_second() {
    let (sim, _run, shop) = setup(Faults::default()).await;
    // Three orders per second: pages of 100 end in the middle of a second.
    sim.add_orders((0..250).map(|i| wire_order(5000 + i, T0 + i / 3)).collect());
    let res = match shop.fetch_orders(&since(T0 - 10)).await {
        Ok(r) => r,
        Err(e) => panic!("fetch: {e}"),
    };
    assert_eq!(res.orders.len(), 250);
    let mut ids: Vec<&str> = res.orders.iter().map(|o| o.number.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 250, "no order twice");
    assert!(res.rejected.is_empty(), "{:?}", res.rejected);
    assert_eq!(
        res.cursor.since,
        Utc.timestamp_opt(T0 + 249 / 3, 0).single()
    );
    assert_eq!(sim.request_count(), 3, "three pages");
    // The next sync starts at the cursor and sees only the last second again.
    let again = match shop.fetch_orders(&res.cursor).await {
        Ok(r) => r,
        Err(e) => panic!("fetch: {e}"),
    };
    assert_eq!(again.orders.len(), 1);
}

#[tokio::test]
async fn status_list_and_status_changes() {
    let (sim, _run, shop) = setup(Faults::default()).await;
    sim.add_orders(vec![
        wire_order(1, T0),
        wire_order(2, T0),
        wire_order(3, T0),
    ]);
    let statuses = match shop.statuses().await {
        Ok(s) => s,
        Err(e) => panic!("statuses: {e}"),
    };
    assert!(
        statuses
            .iter()
            .any(|s| s.id == "1053" && s.name == "Packed")
    );
    let out = match shop
        .push_updates(&[
            update("1", Some("1053"), None),
            update("2", Some("1053"), None),
            update("3", Some("1054"), None),
            update("4", Some("1054"), None),
        ])
        .await
    {
        Ok(o) => o,
        Err(e) => panic!("push: {e}"),
    };
    let status = |id: &str| {
        sim.order(id)
            .and_then(|o| o.get("order_status_id").cloned())
    };
    assert_eq!(status("1"), Some(json!(1053)));
    assert_eq!(status("2"), Some(json!(1053)));
    assert_eq!(status("3"), Some(json!(1054)));
    assert!(out[0].result.is_ok() && out[1].result.is_ok() && out[2].result.is_ok());
    let err = out[3].result.clone().err().unwrap_or_default();
    assert!(err.contains("ERROR_ORDER_NOT_FOUND"), "{err}");
}

#[tokio::test]
async fn manual_package_is_registered_once_even_when_the_push_is_retried() {
    let (sim, run, shop) = setup(Faults::default()).await;
    sim.add_orders(vec![wire_order(10, T0)]);
    let up = [update("10", Some("1054"), Some("DR1234567890M"))];
    for _ in 0..3 {
        match shop.push_updates(&up).await {
            Ok(o) => assert!(o[0].result.is_ok(), "{:?}", o[0].result),
            Err(e) => panic!("push: {e}"),
        }
    }
    let pkgs = sim.packages("10");
    assert_eq!(pkgs.len(), 1);
    assert_eq!(pkgs[0]["courier_package_nr"], json!("DR1234567890M"));
    let order = sim.order("10").unwrap_or_default();
    assert_eq!(order["delivery_package_nr"], json!("DR1234567890M"));
    // The simulator itself is faithful: createPackageManual twice makes two packages.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    for _ in 0..2 {
        let params = json!({"order_id": 10, "courier_code": "other",
                            "package_number": "DR1234567890M"})
        .to_string();
        let resp = http
            .post(&run.base_url)
            .header("X-BLToken", TOKEN)
            .form(&[
                ("method", "createPackageManual"),
                ("parameters", params.as_str()),
            ])
            .send()
            .await;
        let body: Value = match resp {
            Ok(r) => r.json().await.unwrap_or_default(),
            Err(e) => panic!("raw call: {e}"),
        };
        assert_eq!(body["status"], json!("SUCCESS"));
    }
    assert_eq!(sim.packages("10").len(), 3);
}

#[tokio::test]
async fn create_package_label_track_handover_and_drop() {
    let (sim, run, _shop) = setup(Faults::default()).await;
    sim.add_orders(vec![wire_order(20, T0)]);
    let courier = match BaseLinkerCourier::new(&run.base_url, TOKEN, Duration::from_secs(5)) {
        Ok(c) => c.with_rate_limit(60_000, 1000),
        Err(e) => panic!("courier: {e}"),
    };
    let req = shipment(20, "inpost", 1);
    let created = match courier.create(&req).await {
        Ok(c) => c,
        Err(e) => panic!("create: {e}"),
    };
    assert_eq!(created.tracking_number.len(), 24);
    // Same eid again: no second package.
    let again = match courier.create(&req).await {
        Ok(c) => c,
        Err(e) => panic!("create again: {e}"),
    };
    assert_eq!(again, created);
    let pkgs = sim.packages("20");
    assert_eq!(pkgs.len(), 1);
    let fields = pkgs[0]["fields"].as_array().cloned().unwrap_or_default();
    assert!(
        fields.contains(&json!({"id": "cod", "value": "129.90"})),
        "{fields:?}"
    );
    assert!(fields.contains(&json!({"id": "service", "value": "inpost_locker_standard"})));
    assert_eq!(
        sim.order("20").unwrap_or_default()["delivery_point_id"],
        json!("KRA010")
    );
    // A second parcel is a second package; reconcile finds each by parcel number.
    let second = match courier.create(&shipment(20, "inpost", 2)).await {
        Ok(c) => c,
        Err(e) => panic!("create parcel 2: {e}"),
    };
    assert_ne!(second.package_id, created.package_id);
    match courier.reconcile(&shipment(20, "inpost", 1)).await {
        Ok(Some(found)) => assert_eq!(found, created),
        other => panic!("reconcile: {other:?}"),
    }

    let pdf = match courier
        .label("inpost", std::slice::from_ref(&created.package_id))
        .await
    {
        Ok(b) => b,
        Err(e) => panic!("label: {e}"),
    };
    assert!(pdf.starts_with(b"%PDF"));
    assert!(String::from_utf8_lossy(&pdf).contains(&created.tracking_number));
    let both = [created.package_id.clone(), second.package_id.clone()];
    let merged = match courier.label("inpost", &both).await {
        Ok(b) => b,
        Err(e) => panic!("labels: {e}"),
    };
    let text = String::from_utf8_lossy(&merged).to_string();
    assert!(text.contains(&created.tracking_number) && text.contains(&second.tracking_number));

    let tracked = match courier.track("inpost", &both).await {
        Ok(t) => t,
        Err(e) => panic!("track: {e}"),
    };
    assert_eq!(tracked.len(), 2);
    assert_eq!(tracked[0].status_id, "1");
    let handed = match courier.handover("inpost", &both[..1]).await {
        Ok(h) => h,
        Err(e) => panic!("handover: {e}"),
    };
    assert!(handed.order_id.starts_with("PU"));
    match courier.track("inpost", &both[..1]).await {
        Ok(t) => assert_eq!(t[0].text, "shipped"),
        Err(e) => panic!("track: {e}"),
    }
    match courier.protocol("inpost", &both[..1]).await {
        Ok(p) => assert!(p.starts_with(b"%PDF")),
        Err(e) => panic!("protocol: {e}"),
    }
    // The handed-over package cannot be dropped; the other one can.
    assert!(courier.drop_shipment("inpost", &both[0]).await.is_err());
    if let Err(e) = courier.drop_shipment("inpost", &both[1]).await {
        panic!("drop: {e}");
    }
    assert_eq!(sim.packages("20").len(), 1);
    // Unknown courier: a readable refusal.
    match courier.create(&shipment(20, "nosuch", 1)).await {
        Err(CarrierError::Api { message, .. }) => assert!(message.contains("nosuch")),
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn locker_service_without_a_point_is_refused() {
    let (sim, run, _shop) = setup(Faults::default()).await;
    sim.add_orders(vec![wire_order(21, T0)]);
    let Ok(courier) = BaseLinkerCourier::new(&run.base_url, TOKEN, Duration::from_secs(5)) else {
        panic!("courier");
    };
    let mut req = shipment(21, "orlen", 1);
    req.pickup_point = None;
    req.service = "locker".into();
    match courier.create(&req).await {
        Err(CarrierError::Rejected { fields, .. }) => {
            assert!(fields[0].contains("delivery_point_id"), "{fields:?}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn blocked_token_is_waited_out() {
    let (sim, _run, shop) = setup(Faults::default()).await;
    sim.block_token_for(2);
    let start = Instant::now();
    match shop.statuses().await {
        Ok(s) => assert!(!s.is_empty()),
        Err(e) => panic!("statuses after the block: {e}"),
    }
    assert!(
        start.elapsed() >= Duration::from_millis(1000),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(sim.request_count(), 2, "one refused, one after the wait");

    // A block longer than the cap: a rate-limit error, not a 10-minute hang.
    sim.block_token_for(120);
    let capped = shop.clone().with_max_block_wait(Duration::from_secs(5));
    match capped.statuses().await {
        Err(e @ ShopError::RateLimited { retry_after_s, .. }) => {
            assert!(retry_after_s > 100, "{retry_after_s}");
            assert!(e.is_transient());
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
}

#[tokio::test]
async fn token_bucket_keeps_under_the_limit() {
    let (sim, run, _shop) = setup(Faults::default()).await;
    sim.set_rate_limit(5, Duration::from_secs(1), Duration::from_secs(30));
    // 180/min = 3 per second, burst 1: never more than 5 in any second.
    let Ok(slow) = BaseLinkerShop::new(&run.base_url, TOKEN) else {
        panic!("client");
    };
    let slow = slow
        .with_rate_limit(180, 1)
        .with_max_block_wait(Duration::from_secs(1));
    let start = Instant::now();
    for i in 0..8 {
        if let Err(e) = slow.statuses().await {
            panic!("request {i} refused: {e}");
        }
    }
    assert!(
        start.elapsed() >= Duration::from_millis(2200),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(sim.request_count(), 8);

    // Without the bucket the same simulator blocks the token.
    let Ok(fast) = BaseLinkerShop::new(&run.base_url, TOKEN) else {
        panic!("client");
    };
    let fast = fast
        .with_rate_limit(60_000, 1000)
        .with_max_block_wait(Duration::from_secs(1));
    let mut blocked = false;
    for _ in 0..10 {
        if let Err(ShopError::RateLimited { .. }) = fast.statuses().await {
            blocked = true;
            break;
        }
    }
    assert!(blocked, "the simulator should have blocked the token");
}

#[tokio::test]
async fn http_503_is_transient_and_names_no_token() {
    let faults = Faults {
        error_rate: 1.0,
        ..Faults::default()
    };
    let (_sim, _run, shop) = setup(faults).await;
    match shop.fetch_orders(&since(T0)).await {
        Err(e) => {
            assert!(e.is_transient(), "{e}");
            assert!(e.to_string().contains("503"), "{e}");
            assert!(!e.to_string().contains(TOKEN));
        }
        Ok(_) => panic!("expected a 503"),
    }
}

#[tokio::test]
async fn lost_answer_is_ambiguous_for_the_courier() {
    let faults = Faults {
        timeout_rate: 1.0,
        ..Faults::default()
    };
    let (sim, run, _shop) = setup(faults).await;
    sim.add_orders(vec![wire_order(30, T0)]);
    let Ok(courier) = BaseLinkerCourier::new(&run.base_url, TOKEN, Duration::from_millis(300))
    else {
        panic!("courier");
    };
    match courier.reconcile(&shipment(30, "dpd", 1)).await {
        Err(e @ CarrierError::Ambiguous { .. }) => assert!(e.is_transient()),
        other => panic!("expected Ambiguous, got {other:?}"),
    }
}

#[tokio::test]
async fn unusual_data_imports_cleanly() {
    let (sim, _run, shop) = setup(Faults::default()).await;
    let text = match std::fs::read_to_string("tests/fixtures/baselinker/get_orders_unusual.json") {
        Ok(t) => t,
        Err(e) => panic!("fixture: {e}"),
    };
    let page: Value = serde_json::from_str(&text).unwrap_or_default();
    assert_eq!(sim.seed_orders_json(&page), Ok(3));
    let res = match shop.fetch_orders(&since(1_407_800_000)).await {
        Ok(r) => r,
        Err(e) => panic!("fetch: {e}"),
    };
    assert_eq!(res.orders.len(), 2);
    assert_eq!(res.rejected.len(), 1);
    assert!(
        res.rejected[0].contains("1630475") && res.rejected[0].contains("products[0].quantity"),
        "{:?}",
        res.rejected
    );

    let a = &res.orders[0];
    // The shop's own number (`shop_order_id`); the BaseLinker id stays in `shop_id`.
    assert_eq!(a.number, "2824");
    assert_eq!(a.shop_id.as_deref(), Some("1630473"));
    assert_eq!(a.customer.name, "Jan Kowalski");
    assert_eq!(a.customer.country, "PL");
    assert_eq!(a.total, Money::new(5950, "PLN")); // 2.5 × 4.20 + 2 × 19.50 + 10
    assert_eq!(a.lines[0].quantity, Qty::from_f64(2.5));
    assert_eq!(a.lines[0].ean, None);
    assert_eq!(a.lines[0].name, "Kabel miedziany 1,5 mm");
    assert_eq!(a.lines[1].ean.as_deref(), Some("5901234123457"));
    assert_eq!(a.lines[1].unit_weight_kg, None);
    assert!(a.paid && a.cod.is_none());
    assert!(a.flags.contains(&"picked".to_string()));
    assert_eq!(a.shop_status, "6624");
    let note = a.note.as_ref().map(|n| n.text.as_str()).unwrap_or_default();
    assert!(!note.chars().any(char::is_control), "{note:?}");

    let b = &res.orders[1];
    assert_eq!(b.customer.country, "PL"); // from invoice_country_code "Pl"
    assert_eq!(b.cod, Some(Money::new(4289, "PLN"))); // 29,90 + 12.99
    assert_eq!(
        b.shipping.pickup_point.as_ref().map(|p| p.id.as_str()),
        Some("KRA010")
    );
    assert!(b.flags.contains(&"invoice".to_string()));
    assert_eq!(b.lines[0].ean, None);
}

#[tokio::test]
async fn notes_history_and_pick_pack_state() {
    let (sim, _run, shop) = setup(Faults::default()).await;
    sim.add_orders(vec![wire_order(40, T0)]);
    let u = update("40", None, None);
    let comments = || sim.order("40").unwrap_or_default()["admin_comments"].clone();
    if let Err(e) = shop.set_note(&u, "first", NoteMode::Overwrite).await {
        panic!("note: {e}");
    }
    if let Err(e) = shop.set_note(&u, "second", NoteMode::Append).await {
        panic!("note: {e}");
    }
    assert_eq!(comments(), json!("first\nsecond"));
    if let Err(e) = shop.add_history(&u, "packed by Eva, 2 parcels").await {
        panic!("history: {e}");
    }
    let c = comments().as_str().unwrap_or_default().to_string();
    assert!(
        c.starts_with("first\nsecond\n[") && c.ends_with("] packed by Eva, 2 parcels"),
        "{c}"
    );
    // Appending keeps within varchar(200), dropping the oldest text.
    let long = "x".repeat(190);
    if let Err(e) = shop.set_note(&u, &long, NoteMode::Append).await {
        panic!("long note: {e}");
    }
    let c = comments().as_str().unwrap_or_default().to_string();
    assert_eq!(c.chars().count(), 200);
    assert!(c.ends_with(&long));

    if let Err(e) = shop.set_pick_pack_state("40", Some(true), Some(true)).await {
        panic!("pick/pack: {e}");
    }
    let o = sim.order("40").unwrap_or_default();
    assert_eq!(
        (o["pick_state"].clone(), o["pack_state"].clone()),
        (json!(1), json!(1))
    );

    match shop.find(&OrderQuery::Number("40".into())).await {
        Ok(found) => assert_eq!(found.len(), 1),
        Err(e) => panic!("find: {e}"),
    }
    match shop
        .find(&OrderQuery::Email("zakaznik40@example.cz".into()))
        .await
    {
        Ok(found) => assert_eq!(found.first().map(|o| o.number.as_str()), Some("40")),
        Err(e) => panic!("find: {e}"),
    }
    let phone = OrderQuery::Phone {
        phone: "601 234 567".into(),
        from: Utc.timestamp_opt(T0 - 3600, 0).single().unwrap_or_default(),
        to: Utc.timestamp_opt(T0 + 3600, 0).single().unwrap_or_default(),
    };
    match shop.find(&phone).await {
        Ok(found) => assert_eq!(found.len(), 1),
        Err(e) => panic!("find: {e}"),
    }
}

#[tokio::test]
async fn wrong_token_is_an_auth_error_without_the_token() {
    let (sim, run, _shop) = setup(Faults::default()).await;
    sim.add_orders(vec![wire_order(50, T0)]);
    let wrong = "WRONG-TOKEN-998877";
    let Ok(shop) = BaseLinkerShop::new(&run.base_url, wrong) else {
        panic!("client");
    };
    match shop.statuses().await {
        Err(e @ ShopError::Auth { .. }) => {
            assert!(!e.to_string().contains(wrong));
            assert!(!format!("{e:?}").contains(wrong));
        }
        other => panic!("expected Auth, got {other:?}"),
    }
    assert!(!format!("{shop:?}").contains(wrong));
    let Ok(courier) = BaseLinkerCourier::new(&run.base_url, wrong, Duration::from_secs(5)) else {
        panic!("courier");
    };
    assert!(!format!("{courier:?}").contains(wrong));
    match courier.create(&shipment(50, "dpd", 1)).await {
        Err(e @ CarrierError::Auth { .. }) => assert!(!e.to_string().contains(wrong)),
        other => panic!("expected Auth, got {other:?}"),
    }
    assert!(sim.packages("50").is_empty());
}

#[tokio::test]
async fn quota_fault_blocks_the_token() {
    let faults = Faults {
        quota: Some(2),
        ..Faults::default()
    };
    let (_sim, _run, shop) = setup(faults).await;
    let shop = shop.with_max_block_wait(Duration::from_secs(2));
    assert!(shop.statuses().await.is_ok());
    assert!(shop.statuses().await.is_ok());
    match shop.statuses().await {
        Err(ShopError::RateLimited { retry_after_s, .. }) => assert!(retry_after_s >= 50),
        other => panic!("expected RateLimited, got {other:?}"),
    }
}

#[tokio::test]
async fn demo_orders_round_trip_through_the_wire_format() {
    use packdesk::domain::{Line, Note, Order, Shipping};
    use packdesk::sim::baselinker::demo_order_json;
    let order = Order {
        source: "demo".into(),
        number: "240117".into(),
        shop_id: None,
        created_at: Utc.timestamp_opt(T0, 0).single().unwrap_or_default(),
        priority: 0,
        customer: Address {
            name: "Jana Dvořáková".into(),
            street: "Masarykova 12".into(),
            city: "Brno".into(),
            zip: "602 00".into(),
            country: "CZ".into(),
            phone: "+420 777 111 222".into(),
            email: "jana@example.cz".into(),
            ..Address::default()
        },
        shipping: Shipping {
            method: "Zásilkovna".into(),
            pickup_point: Some(PickupPoint {
                id: "12345".into(),
                name: "Brno, Masarykova".into(),
            }),
            ..Shipping::default()
        },
        total: Money::new(54_800, "CZK"),
        cod: Some(Money::new(54_800, "CZK")),
        paid: false,
        note: Some(Note {
            text: "Křehké".into(),
            ack_required: false,
        }),
        lines: vec![Line {
            sku: "LAN-5".into(),
            ean: Some("8594000000026".into()),
            name: "Lano".into(),
            quantity: Qty::from_f64(1.5),
            unit_weight_kg: Some(0.5),
            needs_serial: false,
            aliases: vec![],
            unit_price: Some(Money::new(30_000, "CZK")),
        }],
        shop_status: String::new(),
        cancelled: false,
        flags: vec![],
        revision: 0,
    };
    let (sim, _run, shop) = setup(Faults::default()).await;
    let wire = demo_order_json(&order);
    assert_eq!(wire["order_id"], json!(240117));
    assert_eq!(wire["payment_method_cod"], json!("1"));
    sim.add_orders(vec![wire]);
    let res = match shop.fetch_orders(&since(T0 - 1)).await {
        Ok(r) => r,
        Err(e) => panic!("fetch: {e}"),
    };
    let [back] = res.orders.as_slice() else {
        panic!("expected one order, got {:?}", res.orders);
    };
    assert_eq!(back.number, "240117");
    assert_eq!(back.customer, order.customer);
    assert_eq!(back.lines, order.lines);
    assert_eq!(back.total, order.total);
    assert_eq!(back.cod, order.cod);
    assert_eq!(back.shipping.pickup_point, order.shipping.pickup_point);
    assert_eq!(back.note, order.note);
}

#[test]
fn bad_configuration_is_refused_without_the_token() {
    match BaseLinkerShop::new("not a url", TOKEN) {
        Err(e) => {
            assert!(!e.is_transient());
            assert!(e.to_string().contains("not a url") && !e.to_string().contains(TOKEN));
        }
        Ok(_) => panic!("a bad URL was accepted"),
    }
    assert!(BaseLinkerShop::new("http://127.0.0.1:9/connector.php", "  ").is_err());
    assert!(BaseLinkerCourier::new("nope", TOKEN, Duration::from_secs(1)).is_err());
}

#[tokio::test]
async fn statuses_may_be_given_by_name_resolved_once_through_the_status_list() {
    let (sim, _run, shop) = setup(Faults::default()).await;
    sim.add_orders(vec![wire_order(21, T0), wire_order(22, T0)]);
    let before = sim.request_count();
    let out = match shop
        .push_updates(&[
            update("21", Some("shipped"), None),
            update("22", Some("Nie ma takiego"), None),
        ])
        .await
    {
        Ok(o) => o,
        Err(e) => panic!("push: {e}"),
    };
    assert!(out[0].result.is_ok(), "{:?}", out[0].result);
    let status = sim
        .order("21")
        .and_then(|o| o.get("order_status_id").cloned());
    assert_eq!(status, Some(json!(1054)));
    let err = out[1].result.clone().err().unwrap_or_default();
    assert!(
        err.contains("\"Nie ma takiego\"") && err.contains("order 22"),
        "{err}"
    );
    // The list once (getOrderStatusList), then one setOrderStatus.
    assert_eq!(sim.request_count() - before, 2);
    match shop
        .push_updates(&[update("22", Some("Packed"), None)])
        .await
    {
        Ok(o) => assert!(o[0].result.is_ok(), "{:?}", o[0].result),
        Err(e) => panic!("push: {e}"),
    }
    assert_eq!(sim.request_count() - before, 3, "the list is cached");
}
