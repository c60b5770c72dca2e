//! Upgates API v2 client against the Upgates simulator.

use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use packdesk::domain::{Address, Line, Money, Order, Qty, Shipping};
use packdesk::shop::upgates::{UpgatesClient, UpgatesOptions};
use packdesk::shop::{NoteMode, OrderQuery, OrderUpdate, Shop, ShopError, SyncCursor};
use packdesk::sim::Faults;
use packdesk::sim::upgates::{UpgatesSim, demo_order_json};
use serde_json::{Value, json};

const LOGIN: &str = "packdesk-api";
const KEY: &str = "k3y-Secret-0123456789";

fn init() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn fast() -> UpgatesOptions {
    UpgatesOptions {
        request_timeout: Duration::from_secs(5),
        max_retry_wait: Duration::from_secs(5),
        max_attempts: 6,
        backoff: Duration::from_millis(5),
    }
}

fn client(base: &str) -> UpgatesClient {
    UpgatesClient::with_options(base, LOGIN, KEY, false, fast()).expect("client")
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 8, 0, 0)
        .single()
        .expect("date")
}

/// A domain order `n`, created `n` minutes after `t0`.
fn domain_order(n: usize) -> Order {
    Order {
        source: "demo".into(),
        number: format!("{}", 9_000_000 + n),
        shop_id: Some(format!("{}", 50_000 + n)),
        created_at: t0() + chrono::Duration::minutes(n as i64),
        priority: 0,
        customer: Address {
            name: format!("Zákazník {n}"),
            company: String::new(),
            street: "Dlouhá 1".into(),
            city: "Praha".into(),
            zip: "110 00".into(),
            country: "CZ".into(),
            phone: format!("+420 777{:06}", n),
            email: format!("customer{n}@example.cz"),
        },
        shipping: Shipping {
            method: "ppl".into(),
            carrier: "ppl".into(),
            ..Shipping::default()
        },
        total: Money::new(19_900, "CZK"),
        cod: None,
        paid: true,
        note: None,
        lines: vec![Line {
            sku: format!("SKU-{}", n % 17),
            ean: Some("8594000000019".into()),
            name: "Hrnek".into(),
            quantity: Qty::units(2),
            unit_weight_kg: Some(0.35),
            needs_serial: false,
            aliases: vec![],
            unit_price: Some(Money::new(9_950, "CZK")),
        }],
        shop_status: "1".into(),
        cancelled: false,
        flags: vec![],
        revision: 0,
    }
}

fn seeded(n: usize, faults: Faults) -> UpgatesSim {
    let sim = UpgatesSim::new(LOGIN, KEY, faults, 7);
    sim.add_orders((0..n).map(|i| demo_order_json(&domain_order(i))).collect());
    sim
}

fn fixture() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/upgates/orders_page_quirks.json"
    ))
    .expect("fixture");
    serde_json::from_str(&text).expect("fixture JSON")
}

#[tokio::test]
async fn full_sync_over_several_pages() {
    init();
    let sim = seeded(250, Faults::default());
    let run = sim.start(0).await.expect("start");
    let c = client(&run.base_url);
    let res = c.fetch_orders(&SyncCursor::default()).await.expect("sync");
    assert_eq!(res.orders.len(), 250);
    assert!(res.rejected.is_empty(), "{:?}", res.rejected);
    assert_eq!(sim.request_count(), 3, "3 pages of 100");
    let mut numbers: Vec<&str> = res.orders.iter().map(|o| o.number.as_str()).collect();
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers.len(), 250);
    let o = &res.orders[0];
    assert_eq!(o.source, "upgates");
    assert_eq!(o.number, "9000000");
    assert_eq!(o.shop_id.as_deref(), Some("50000"));
    assert_eq!(o.customer.country, "CZ");
    assert_eq!(o.lines[0].quantity, Qty::units(2));
    assert_eq!(o.total, Money::new(19_900, "CZK"));
    assert!(o.paid);
    assert_eq!(
        res.cursor.since,
        Some(t0() + chrono::Duration::minutes(249)),
        "cursor = newest last_update_time"
    );
    assert_eq!(res.cursor.extra, None);
}

#[tokio::test]
async fn incremental_sync_makes_one_request_when_nothing_changed() {
    init();
    let sim = seeded(250, Faults::default());
    let run = sim.start(0).await.expect("start");
    let c = client(&run.base_url);
    let first = c.fetch_orders(&SyncCursor::default()).await.expect("sync");
    let before = sim.request_count();
    let second = c.fetch_orders(&first.cursor).await.expect("sync");
    assert_eq!(
        sim.request_count() - before,
        1,
        "one request when nothing changed"
    );
    // The filter is inclusive: at most the orders of the cursor's own second come back.
    assert!(second.orders.len() <= 1, "{}", second.orders.len());
    assert_eq!(second.cursor.since, first.cursor.since);

    assert!(sim.touch_order("9000010", &json!({"internal_note": "changed in admin"})));
    assert!(sim.touch_order("9000020", &json!({"status_id": 3})));
    let before = sim.request_count();
    let third = c.fetch_orders(&second.cursor).await.expect("sync");
    assert_eq!(sim.request_count() - before, 1);
    let changed: Vec<&str> = third.orders.iter().map(|o| o.number.as_str()).collect();
    assert!(
        changed.contains(&"9000010") && changed.contains(&"9000020"),
        "{changed:?}"
    );
    assert!(third.cursor.since > second.cursor.since);
    let o = third
        .orders
        .iter()
        .find(|o| o.number == "9000020")
        .expect("changed order");
    assert_eq!(o.shop_status, "3");
}

#[tokio::test]
async fn orders_changed_during_a_sync_are_not_skipped() {
    init();
    let sim = seeded(
        300,
        Faults {
            latency: Duration::from_millis(100),
            ..Faults::default()
        },
    );
    let run = sim.start(0).await.expect("start");
    let c = client(&run.base_url);
    let admin = sim.clone();
    // While the second page is on its way, an admin changes one order from each end.
    let toucher = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(150)).await;
        admin.touch_order("9000050", &json!({"status_id": 3}))
            && admin.touch_order("9000250", &json!({"status_id": 3}))
    });
    let res = c.fetch_orders(&SyncCursor::default()).await.expect("sync");
    assert!(toucher.await.expect("toucher"));
    let next = c.fetch_orders(&res.cursor).await.expect("next sync");
    // An order changed during the sync may come only with the next one; none may be lost
    // (ascending pages would skip the order that slid into the page already read).
    let mut numbers: Vec<&str> = res
        .orders
        .iter()
        .chain(&next.orders)
        .map(|o| o.number.as_str())
        .collect();
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers.len(), 300, "every order in this sync or the next");
    let changed: Vec<&str> = next.orders.iter().map(|o| o.number.as_str()).collect();
    assert!(
        changed.contains(&"9000050") && changed.contains(&"9000250"),
        "{changed:?}"
    );
    let mut first: Vec<&str> = res.orders.iter().map(|o| o.number.as_str()).collect();
    first.sort_unstable();
    first.dedup();
    assert_eq!(first.len(), res.orders.len(), "no order twice in one sync");
}

#[tokio::test]
async fn shop_moved_301_switches_and_remembers_the_new_url() {
    init();
    let sim = seeded(5, Faults::default());
    let old = sim.start(0).await.expect("start");
    let new = sim.start(0).await.expect("start second");
    sim.set_moved(Some(new.base_url.clone()));
    let c = client(&old.base_url);
    let res = c
        .fetch_orders(&SyncCursor::default())
        .await
        .expect("sync after move");
    assert_eq!(res.orders.len(), 5);
    assert_eq!(c.current_base_url(), new.base_url);
    assert_eq!(res.cursor.extra.as_deref(), Some(new.base_url.as_str()));
    assert_eq!(sim.request_count(), 2, "one 301, one answer");

    // The client keeps using the new URL.
    c.fetch_orders(&res.cursor).await.expect("second sync");
    assert_eq!(sim.request_count(), 3);

    // A new client (next run) configured with the old URL picks it up from the cursor.
    let c2 = client(&old.base_url);
    c2.fetch_orders(&res.cursor)
        .await
        .expect("sync from cursor");
    assert_eq!(
        sim.request_count(),
        4,
        "no 301 when the cursor carries the new URL"
    );
    assert_eq!(c2.current_base_url(), new.base_url);

    // The old host keeps answering 301 to a client that does not know.
    let c3 = client(&old.base_url);
    c3.statuses().await.expect("statuses after move");
    assert_eq!(sim.request_count(), 6);
}

#[tokio::test]
async fn waits_for_retry_after_date_then_succeeds() {
    init();
    let sim = seeded(3, Faults::default());
    let run = sim.start(0).await.expect("start");
    let c = client(&run.base_url);
    sim.throttle(Duration::from_millis(1200));
    let started = Instant::now();
    let res = c.fetch_orders(&SyncCursor::default()).await.expect("sync");
    let waited = started.elapsed();
    assert_eq!(res.orders.len(), 3);
    assert_eq!(sim.request_count(), 2, "one 429, then the answer");
    assert!(
        waited >= Duration::from_millis(1000),
        "waited only {waited:?}"
    );
    assert!(waited < Duration::from_secs(4), "waited {waited:?}");

    // A Retry-After beyond the configured maximum is reported instead of waited for.
    let impatient = UpgatesClient::with_options(
        &run.base_url,
        LOGIN,
        KEY,
        false,
        UpgatesOptions {
            max_retry_wait: Duration::from_millis(200),
            ..fast()
        },
    )
    .expect("client");
    sim.throttle(Duration::from_secs(30));
    let started = Instant::now();
    match impatient.fetch_orders(&SyncCursor::default()).await {
        Err(ShopError::RateLimited { retry_after_s, .. }) => {
            assert!((29..=31).contains(&retry_after_s), "{retry_after_s}");
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn quota_headers_and_exhaustion() {
    init();
    let sim = seeded(
        350,
        Faults {
            quota: Some(3),
            ..Faults::default()
        },
    );
    let run = sim.start(0).await.expect("start");
    let c = client(&run.base_url);
    c.check().await.expect("status");
    let q = c.quota();
    assert_eq!(q.remaining, Some(2));
    assert_eq!(q.limit, Some(3));
    assert_eq!(c.rate_limits().hour_remaining, Some(2));
    // 4 pages needed, 2 requests left: the hour quota runs out; its Retry-After is the
    // next full hour, longer than the client may wait.
    match c.fetch_orders(&SyncCursor::default()).await {
        Err(e @ ShopError::RateLimited { .. }) => {
            assert!(e.is_transient());
            if let ShopError::RateLimited { retry_after_s, .. } = e {
                assert!((1..=3600).contains(&retry_after_s), "{retry_after_s}");
            }
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
    assert_eq!(c.quota().remaining, Some(0));
    assert_eq!(sim.request_count(), 4, "1 + 2 pages + the refused one");
}

#[tokio::test]
async fn put_over_100_is_413_and_client_splits_into_batches() {
    init();
    let sim = seeded(250, Faults::default());
    let run = sim.start(0).await.expect("start");

    // The simulator refuses 101 items and applies nothing.
    let body = json!({
        "send_emails_yn": false,
        "orders": (0..101).map(|i| json!({"order_number": format!("{}", 9_000_000 + i), "tracking_code": "X"})).collect::<Vec<_>>()
    });
    let raw = reqwest::Client::new()
        .put(format!("{}/orders", run.base_url))
        .basic_auth(LOGIN, Some(KEY))
        .json(&body)
        .send()
        .await
        .expect("raw PUT");
    assert_eq!(raw.status().as_u16(), 413);
    assert_eq!(
        sim.order("9000000").expect("order")["tracking_code"],
        Value::Null
    );

    let c = client(&run.base_url);
    let updates: Vec<OrderUpdate> = (0..250)
        .map(|i| OrderUpdate {
            number: format!("{}", 9_000_000 + i),
            shop_id: None,
            status: Some("4".into()),
            tracking_number: Some(format!("DR{i:08}CZ")),
            notify: true,
        })
        .collect();
    let out = c.push_updates(&updates).await.expect("push");
    assert_eq!(
        sim.put_sizes(),
        vec![101, 100, 100, 50],
        "250 updates in 3 PUTs"
    );
    assert_eq!(out.len(), 250);
    assert!(out.iter().all(|o| o.result.is_ok()), "{out:?}");
    let numbers: Vec<&str> = out.iter().map(|o| o.number.as_str()).collect();
    let wanted: Vec<String> = (0..250).map(|i| format!("{}", 9_000_000 + i)).collect();
    assert_eq!(
        numbers,
        wanted.iter().map(String::as_str).collect::<Vec<_>>()
    );

    // An unknown order fails on its own; the others in the batch are applied.
    let mixed = [
        OrderUpdate {
            number: "404404".into(),
            shop_id: None,
            status: Some("4".into()),
            tracking_number: None,
            notify: false,
        },
        OrderUpdate {
            number: "9000000".into(),
            shop_id: None,
            status: Some("Zabalená".into()),
            tracking_number: None,
            notify: false,
        },
    ];
    let out = c.push_updates(&mixed).await.expect("push");
    assert!(
        out[0]
            .result
            .as_ref()
            .is_err_and(|e| e.contains("does not exist")),
        "{out:?}"
    );
    assert_eq!(out[1].result, Ok(()));
    assert_eq!(
        sim.order("9000000").expect("order")["status_id"],
        5,
        "status by name"
    );
    let o = sim.order("9000249").expect("order");
    assert_eq!(o["tracking_code"], "DR00000249CZ");
    assert_eq!(o["status_id"], 4);
    assert_eq!(
        sim.emails_sent(),
        0,
        "client built with send_emails = false"
    );
}

#[tokio::test]
async fn emails_only_when_allowed_and_asked() {
    init();
    let sim = seeded(2, Faults::default());
    let run = sim.start(0).await.expect("start");
    let c = UpgatesClient::with_options(&run.base_url, LOGIN, KEY, true, fast()).expect("client");
    let up = |n: &str, notify| OrderUpdate {
        number: n.into(),
        shop_id: None,
        status: Some("4".into()),
        tracking_number: None,
        notify,
    };
    let out = c
        .push_updates(&[up("9000000", true), up("9000001", false)])
        .await
        .expect("push");
    assert!(out.iter().all(|o| o.result.is_ok()));
    assert_eq!(sim.emails_sent(), 1);
}

#[tokio::test]
async fn retries_503_and_timeouts() {
    init();
    let sim = seeded(
        250,
        Faults {
            error_rate: 0.3,
            ..Faults::default()
        },
    );
    let run = sim.start(0).await.expect("start");
    let c = client(&run.base_url);
    let res = c
        .fetch_orders(&SyncCursor::default())
        .await
        .expect("sync despite 503s");
    assert_eq!(res.orders.len(), 250);
    assert!(sim.request_count() > 3, "some 503s were retried");

    let sim = seeded(
        250,
        Faults {
            timeout_rate: 0.3,
            ..Faults::default()
        },
    );
    let run = sim.start(0).await.expect("start");
    let c = UpgatesClient::with_options(
        &run.base_url,
        LOGIN,
        KEY,
        false,
        UpgatesOptions {
            request_timeout: Duration::from_millis(300),
            ..fast()
        },
    )
    .expect("client");
    let res = c
        .fetch_orders(&SyncCursor::default())
        .await
        .expect("sync despite timeouts");
    assert_eq!(res.orders.len(), 250);
    assert!(sim.request_count() > 3, "some timeouts were retried");

    // Always 503: gives up with a transient error.
    let sim = seeded(
        1,
        Faults {
            error_rate: 1.0,
            ..Faults::default()
        },
    );
    let run = sim.start(0).await.expect("start");
    let c = client(&run.base_url);
    let e = c.statuses().await.expect_err("always 503");
    assert!(e.is_transient(), "{e}");
    assert!(matches!(e, ShopError::Api { status: 503, .. }), "{e:?}");
    assert_eq!(sim.request_count(), 6, "max_attempts");
}

#[tokio::test]
async fn history_and_internal_note_append_and_overwrite() {
    init();
    let sim = seeded(2, Faults::default());
    let run = sim.start(0).await.expect("start");
    let c = client(&run.base_url);
    let order = OrderUpdate {
        number: "9000001".into(),
        shop_id: None,
        status: None,
        tracking_number: None,
        notify: false,
    };
    c.add_history(&order, "Packed by Eva, 2 parcels, 1.20 kg")
        .await
        .expect("history");
    let h = sim.history("9000001");
    assert_eq!(h.len(), 1);
    assert_eq!(h[0]["data"][0]["name"], "packdesk");
    assert_eq!(
        h[0]["data"][0]["value"],
        "Packed by Eva, 2 parcels, 1.20 kg"
    );

    c.set_note(&order, "Label printed by Eva", NoteMode::Append)
        .await
        .expect("append 1");
    c.set_note(&order, "Parcel DR1234567890M", NoteMode::Append)
        .await
        .expect("append 2");
    c.set_note(&order, "Parcel DR1234567890M", NoteMode::Append)
        .await
        .expect("append again");
    assert_eq!(
        sim.order("9000001").expect("order")["internal_note"],
        "Label printed by Eva\nParcel DR1234567890M"
    );
    c.set_note(&order, "Reset", NoteMode::Overwrite)
        .await
        .expect("overwrite");
    assert_eq!(
        sim.order("9000001").expect("order")["internal_note"],
        "Reset"
    );
    assert_eq!(sim.emails_sent(), 0);

    let missing = OrderUpdate {
        number: "1".into(),
        ..order.clone()
    };
    match c.add_history(&missing, "x").await {
        Err(ShopError::Api {
            status: 404,
            message,
            ..
        }) => assert!(message.contains('1')),
        other => panic!("expected 404, got {other:?}"),
    }
    assert!(c.set_note(&missing, "x", NoteMode::Append).await.is_err());
}

#[tokio::test]
async fn unusual_real_world_data_imports_cleanly() {
    init();
    let sim = UpgatesSim::new(LOGIN, KEY, Faults::default(), 1);
    assert_eq!(sim.seed_orders_json(&fixture()), Ok(4));
    let run = sim.start(0).await.expect("start");
    let c = client(&run.base_url);
    let res = c.fetch_orders(&SyncCursor::default()).await.expect("sync");
    assert_eq!(res.orders.len(), 3, "rejected: {:?}", res.rejected);
    assert_eq!(res.rejected.len(), 1);
    assert!(
        res.rejected[0].contains("2024000103"),
        "{}",
        res.rejected[0]
    );
    assert!(
        res.rejected[0].contains("products[0].quantity"),
        "{}",
        res.rejected[0]
    );

    let by = |n: &str| res.orders.iter().find(|o| o.number == n).expect(n);
    let a = by("2024000101");
    assert_eq!(a.customer.country, "CZ");
    assert_eq!(a.total, Money::new(123_450, "CZK"));
    assert_eq!(a.lines.len(), 2);
    assert_eq!(a.lines[0].ean, None);
    assert_eq!(a.lines[0].quantity, Qty(1500));
    assert_eq!(a.lines[0].unit_weight_kg, Some(0.2));
    assert_eq!(a.lines[1].quantity, Qty::units(2));
    assert_eq!(a.lines[1].ean.as_deref(), Some("8594000000019"));
    assert!(!a.paid);
    assert_eq!(
        a.created_at,
        Utc.with_ymd_and_hms(2024, 2, 29, 13, 24, 49)
            .single()
            .expect("d")
    );

    let b = by("2024000102");
    assert_eq!(
        b.created_at,
        Utc.with_ymd_and_hms(2024, 3, 1, 8, 0, 0)
            .single()
            .expect("d"),
        "PHP date object in Prague winter time"
    );
    assert_eq!(
        b.customer.name, "Peter Horváth",
        "postal address, control chars gone"
    );
    assert_eq!(b.customer.city, "Prešov");
    assert_eq!(b.customer.country, "SK");
    assert!(b.customer.name.chars().all(|ch| !ch.is_control()));
    assert_eq!(b.lines.len(), 1, "gift and discount lines are not picked");
    assert_eq!(b.lines[0].ean.as_deref(), Some("8590000000021"));
    assert_eq!(b.lines[0].unit_price, Some(Money::new(3990, "EUR")));
    assert_eq!(b.cod, Some(Money::new(4990, "EUR")));
    assert!(!b.paid, "empty paid_date");
    let pp = b.shipping.pickup_point.as_ref().expect("pickup point");
    assert_eq!(pp.id, "12345");
    assert_eq!(b.shipping.carrier, "zasilkovna");
    assert_eq!(b.shop_status, "3");
    assert_eq!(
        b.note.as_ref().map(|n| n.text.as_str()),
        Some("Prosím zvoniť dvakrát")
    );

    let d = by("2024000104");
    assert_eq!(d.customer.country, "PL");
    assert_eq!(d.customer.company, "Sklep Sp. z o.o.");
    assert!(d.paid);
    assert_eq!(d.lines.len(), 1, "set header skipped, set part kept");
    assert_eq!(d.lines[0].sku, "SET-1-A");
    assert_eq!(d.lines[0].ean, None, "blank EAN");
    assert_eq!(d.lines[0].unit_weight_kg, Some(0.15));
    assert_eq!(d.shop_status, "4");
    // The cursor comes from last_update_time, PHP objects included.
    assert_eq!(
        res.cursor.since,
        Some(
            Utc.with_ymd_and_hms(2024, 3, 3, 10, 5, 0)
                .single()
                .expect("d")
        )
    );
}

#[tokio::test]
async fn demo_order_round_trips_through_the_wire_format() {
    init();
    let mut d = domain_order(3);
    d.customer.name = "Anna Marie Nováková".into();
    d.customer.company = "Pekárna s.r.o.".into();
    d.cod = Some(d.total.clone());
    d.paid = false;
    d.shipping = Shipping {
        method: "zasilkovna".into(),
        carrier: "zasilkovna".into(),
        pickup_point: Some(packdesk::domain::PickupPoint {
            id: "4321".into(),
            name: "Z-BOX Praha 3".into(),
        }),
        ..Shipping::default()
    };
    d.lines[0].quantity = Qty(2500);
    d.note = Some(packdesk::domain::Note {
        text: "Křehké".into(),
        ack_required: false,
    });
    let sim = UpgatesSim::new(LOGIN, KEY, Faults::default(), 1);
    sim.add_orders(vec![demo_order_json(&d)]);
    let run = sim.start(0).await.expect("start");
    let got = client(&run.base_url)
        .find(&OrderQuery::Number(d.number.clone()))
        .await
        .expect("find");
    let o = got.first().expect("one order");
    assert_eq!(o.number, d.number);
    assert_eq!(o.shop_id, d.shop_id);
    assert_eq!(o.created_at, d.created_at);
    assert_eq!(o.customer, d.customer);
    assert_eq!(o.shipping, d.shipping);
    assert_eq!(o.total, d.total);
    assert_eq!(o.cod, d.cod);
    assert_eq!(o.paid, d.paid);
    assert_eq!(o.note, d.note);
    assert_eq!(o.lines, d.lines);
    assert_eq!(o.shop_status, "1");
}

#[tokio::test]
async fn wrong_credentials_give_auth_error_without_the_key() {
    init();
    let sim = seeded(1, Faults::default());
    let run = sim.start(0).await.expect("start");
    let wrong_key = "WRONG-key-9f8e7d6c";
    let c = UpgatesClient::with_options(&run.base_url, LOGIN, wrong_key, false, fast())
        .expect("client");
    let e = c
        .fetch_orders(&SyncCursor::default())
        .await
        .expect_err("refused");
    assert!(matches!(e, ShopError::Auth { status: 401, .. }), "{e:?}");
    for shown in [e.to_string(), format!("{e:?}"), format!("{c:?}")] {
        assert!(!shown.contains(wrong_key), "{shown}");
    }
    assert_eq!(sim.request_count(), 1, "no retry on 401");
    // After 5 failures within the hour the login is locked: 403, even with the right key.
    for _ in 0..4 {
        let _ = c.statuses().await;
    }
    let good = client(&run.base_url);
    let e = good.statuses().await.expect_err("locked out");
    assert!(matches!(e, ShopError::Auth { status: 403, .. }), "{e:?}");
}

#[tokio::test]
async fn never_more_than_three_requests_in_flight() {
    init();
    let sim = seeded(
        20,
        Faults {
            latency: Duration::from_millis(40),
            ..Faults::default()
        },
    );
    let run = sim.start(0).await.expect("start");
    let c = client(&run.base_url);
    let finds = (0..12).map(|i| {
        let c = &c;
        async move {
            c.find(&OrderQuery::Number(format!("{}", 9_000_000 + i)))
                .await
        }
    });
    let results = futures::future::join_all(finds).await;
    for (i, r) in results.iter().enumerate() {
        let found = r.as_ref().expect("find");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].number, format!("{}", 9_000_000 + i));
    }
    assert_eq!(sim.max_in_flight(), 3);
    assert_eq!(sim.request_count(), 12, "no 429 retries");

    // Without the limit the simulator answers 429 to the 4th concurrent request.
    let raw = reqwest::Client::new();
    let url = format!("{}/orders", run.base_url);
    let burst = (0..6).map(|_| raw.get(&url).basic_auth(LOGIN, Some(KEY)).send());
    let codes: Vec<u16> = futures::future::join_all(burst)
        .await
        .into_iter()
        .map(|r| r.map(|r| r.status().as_u16()).unwrap_or(0))
        .collect();
    assert!(codes.contains(&429), "{codes:?}");
}

#[tokio::test]
async fn find_by_number_email_and_phone() {
    init();
    let sim = seeded(30, Faults::default());
    let run = sim.start(0).await.expect("start");
    let c = client(&run.base_url);
    assert!(
        c.find(&OrderQuery::Number("123".into()))
            .await
            .expect("find")
            .is_empty(),
        "unknown number"
    );
    let by_mail = c
        .find(&OrderQuery::Email("Customer7@example.cz".into()))
        .await
        .expect("find");
    assert_eq!(by_mail.len(), 1);
    assert_eq!(by_mail[0].number, "9000007");
    let phone = OrderQuery::Phone {
        phone: "+420 777 000 012".into(),
        from: t0(),
        to: t0() + chrono::Duration::hours(1),
    };
    let by_phone = c.find(&phone).await.expect("find");
    assert_eq!(by_phone.len(), 1);
    assert_eq!(by_phone[0].number, "9000012");
    let outside = OrderQuery::Phone {
        phone: "420777000012".into(),
        from: t0() + chrono::Duration::minutes(13),
        to: t0() + chrono::Duration::hours(1),
    };
    assert!(c.find(&outside).await.expect("find").is_empty());
}

#[tokio::test]
async fn lists_order_statuses() {
    init();
    let sim = seeded(0, Faults::default());
    let run = sim.start(0).await.expect("start");
    let c = client(&run.base_url);
    let st = c.statuses().await.expect("statuses");
    assert_eq!(st.len(), 6);
    assert_eq!(st[0].id, "1");
    assert_eq!(st[0].name, "Přijatá");
    assert!(st.iter().any(|s| s.id == "4" && s.name == "Odeslaná"));
    // An empty shop syncs with one request.
    let res = c.fetch_orders(&SyncCursor::default()).await.expect("sync");
    assert!(res.orders.is_empty());
    assert_eq!(res.cursor.since, None);
    assert_eq!(sim.request_count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_10000() {
    init();
    let sim = seeded(10_000, Faults::default());
    let run = sim.start(0).await.expect("start");
    let c = client(&run.base_url);
    let started = Instant::now();
    let res = c.fetch_orders(&SyncCursor::default()).await.expect("sync");
    let took = started.elapsed();
    assert_eq!(res.orders.len(), 10_000);
    assert!(res.rejected.is_empty());
    assert_eq!(sim.request_count(), 100);
    println!(
        "import_10000: {} orders in {:?} with {} requests",
        res.orders.len(),
        took,
        sim.request_count()
    );
}

/// The whole import as the bench runs it: the sync worker with the `[status]` and
/// `[[carrier.map]]` mapping, into a fresh store (the queue rows included).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_10000_into_the_store() {
    init();
    let sim = seeded(10_000, Faults::default());
    let run = sim.start(0).await.expect("start");
    let shop = std::sync::Arc::new(client(&run.base_url));
    let dir = tempfile::tempdir().expect("tempdir");
    let store = packdesk::store::Store::open(dir.path()).expect("store");
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let w = packdesk::sync::SyncWorker::new(shop, store.clone(), tx, Duration::from_secs(60))
        .with_mapping(packdesk::sync::mapping::ImportMapping::new(
            packdesk::config::StatusSection::default(),
            packdesk::demo::pipeline::carrier_map(),
        ));
    let started = Instant::now();
    let st = w.sync_once().await;
    let took = started.elapsed();
    assert!(st.ok, "{st:?}");
    assert_eq!(store.order_count(), 10_000);
    // 100 pages and the status list.
    assert_eq!(sim.request_count(), 101);
    let again = Instant::now();
    assert!(w.sync_once().await.ok);
    let idle = again.elapsed();
    assert_eq!(sim.request_count(), 102, "nothing changed: one request");
    println!(
        "import_10000_into_the_store: {} orders stored in {took:?} with 101 requests \
         (100 pages + the status list); the next sync {idle:?} with 1 request",
        store.order_count()
    );
}
