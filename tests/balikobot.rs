//! Balikobot client against the Balikobot simulator (both on loopback).

use std::time::Duration;

use futures::StreamExt;
use packdesk::carrier::balikobot::BalikobotClient;
use packdesk::carrier::{Carrier, CarrierError, ShipmentRequest};
use packdesk::domain::{Address, Money, PickupPoint};
use packdesk::sim::balikobot::BalikobotSim;
use packdesk::sim::{Faults, Running};

const USER: &str = "packdesk";
const KEY: &str = "s3cret-key-XYZ";

async fn setup(faults: Faults, timeout: Duration) -> (BalikobotSim, Running, BalikobotClient) {
    let sim = BalikobotSim::new(USER, KEY, faults, 7);
    let running = sim.start(0).await.expect("simulator starts");
    let client =
        BalikobotClient::new(&running.base_url, USER, KEY, timeout).expect("client builds");
    (sim, running, client)
}

fn request(eid: &str) -> ShipmentRequest {
    ShipmentRequest {
        eid: eid.to_string(),
        order_number: format!("2024{eid}"),
        shop_id: None,
        carrier: "cp".into(),
        service: "DR".into(),
        recipient: Address {
            name: "Jana Novakova".into(),
            company: String::new(),
            street: "Dlouha 5".into(),
            city: "Brno".into(),
            zip: "602 00".into(),
            country: "CZ".into(),
            phone: "+420 777 123 456".into(),
            email: "jana@example.cz".into(),
        },
        pickup_point: None,
        cod: Some(Money::new(49_900, "CZK")),
        variable_symbol: Some("20241001".into()),
        value: Some(Money::new(49_900, "CZK")),
        weight_kg: 1.2,
        parcel_no: 1,
        parcel_count: 1,
        note: Some("fragile".into()),
    }
}

fn fields(e: CarrierError) -> Vec<String> {
    match e {
        CarrierError::Rejected { fields, .. } => fields,
        other => panic!("expected Rejected, got {other:?}"),
    }
}

#[tokio::test]
async fn add_creates_and_a_repeated_eid_replays_the_same_package() {
    let (sim, _run, client) = setup(Faults::default(), Duration::from_secs(5)).await;
    let first = client.create(&request("1001-1")).await.expect("created");
    assert!(!first.package_id.is_empty());
    assert!(first.tracking_number.starts_with("DR"), "{first:?}");
    assert!(first.label_url.is_some());
    let again = client.create(&request("1001-1")).await.expect("replayed");
    assert_eq!(first, again);
    let stored = sim.packages();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].eid, "1001-1");
    assert_eq!(stored[0].package_id, first.package_id);
    assert_eq!(stored[0].carrier_id, first.tracking_number);
    let other = client.create(&request("1001-2")).await.expect("created");
    assert_ne!(other.package_id, first.package_id);
    assert_eq!(sim.packages().len(), 2);
}

#[tokio::test]
async fn check_validates_without_creating() {
    let (sim, _run, client) = setup(Faults::default(), Duration::from_secs(5)).await;
    client.check(&request("2001-1")).await.expect("valid");
    let mut bad = request("2001-1");
    bad.recipient.zip = "6020".into();
    assert_eq!(
        fields(client.check(&bad).await.expect_err("bad zip")),
        vec!["recipient ZIP invalid"]
    );
    assert!(sim.packages().is_empty());
}

#[tokio::test]
async fn drop_works_before_order_and_fails_clearly_after() {
    let (sim, _run, client) = setup(Faults::default(), Duration::from_secs(5)).await;
    let a = client.create(&request("3001-1")).await.expect("a");
    let b = client.create(&request("3002-1")).await.expect("b");
    client
        .drop_shipment("cp", &a.package_id)
        .await
        .expect("drop a");
    let left: Vec<String> = sim.packages().into_iter().map(|p| p.eid).collect();
    assert_eq!(left, vec!["3002-1"]);

    client
        .handover("cp", std::slice::from_ref(&b.package_id))
        .await
        .expect("order");
    let err = client
        .drop_shipment("cp", &b.package_id)
        .await
        .expect_err("drop after order");
    match &err {
        CarrierError::Api { status, .. } => assert_eq!(*status, 405),
        other => panic!("expected Api 405, got {other:?}"),
    }
    assert!(err.to_string().contains("already handed over"), "{err}");
    assert!(!err.is_transient());
    assert_eq!(sim.packages().len(), 1);

    let gone = client
        .drop_shipment("cp", &a.package_id)
        .await
        .expect_err("drop twice");
    assert!(
        matches!(gone, CarrierError::Api { status: 404, .. }),
        "{gone:?}"
    );
}

#[tokio::test]
async fn labels_are_a_pdf_with_the_tracking_numbers() {
    let (_sim, _run, client) = setup(Faults::default(), Duration::from_secs(5)).await;
    let a = client.create(&request("4001-1")).await.expect("a");
    let b = client.create(&request("4001-2")).await.expect("b");
    let pdf = client
        .label("cp", &[a.package_id.clone(), b.package_id.clone()])
        .await
        .expect("labels");
    assert!(pdf.starts_with(b"%PDF"));
    let text = String::from_utf8_lossy(&pdf);
    assert!(text.contains(&a.tracking_number), "tracking a in the PDF");
    assert!(text.contains(&b.tracking_number), "tracking b in the PDF");

    let err = client
        .label("cp", &["999999".to_string()])
        .await
        .expect_err("unknown package");
    assert!(
        matches!(err, CarrierError::Api { status: 404, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn order_hands_over_with_a_protocol() {
    let (sim, _run, client) = setup(Faults::default(), Duration::from_secs(5)).await;
    let a = client.create(&request("5001-1")).await.expect("a");
    let b = client.create(&request("5002-1")).await.expect("b");
    let ids = vec![a.package_id.clone(), b.package_id.clone()];
    let handover = client.handover("cp", &ids).await.expect("order");
    assert!(!handover.order_id.is_empty());
    let url = handover.protocol_url.clone().expect("protocol url");
    let protocol = reqwest::get(&url)
        .await
        .expect("download")
        .bytes()
        .await
        .expect("body");
    assert!(protocol.starts_with(b"%PDF"));
    assert!(String::from_utf8_lossy(&protocol).contains(&b.tracking_number));

    assert!(sim.packages().iter().all(|p| p.ordered));
    assert!(client.overview("cp").await.expect("overview").is_empty());
    let view = client
        .order_view("cp", &handover.order_id)
        .await
        .expect("orderview");
    assert_eq!(view.package_ids, ids);
    assert_eq!(view.handover_url, handover.protocol_url);

    let again = client.handover("cp", &ids).await.expect_err("order twice");
    assert!(!again.is_transient(), "{again:?}");
}

#[tokio::test]
async fn trackstatus_moves_forward() {
    let (sim, _run, client) = setup(Faults::default(), Duration::from_secs(5)).await;
    let a = client.create(&request("6001-1")).await.expect("a");
    client
        .handover("cp", std::slice::from_ref(&a.package_id))
        .await
        .expect("order");
    let ids = vec![a.tracking_number.clone()];
    let first = client.track("cp", &ids).await.expect("track 1");
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].package_id, a.tracking_number);
    assert_eq!(first[0].status_id, "-1");
    let second = client.track("cp", &ids).await.expect("track 2");
    assert_eq!(second[0].status_id, "2.1");
    sim.advance_tracking();
    let third = client.track("cp", &ids).await.expect("track 3");
    assert_eq!(third[0].status_id, "1.2");
    assert!(third[0].text.contains("doručena"), "{:?}", third[0]);

    let unknown = client
        .track("cp", &["NOPE123".to_string()])
        .await
        .expect("track unknown");
    assert_eq!(unknown[0].status_id, "");
    assert!(unknown[0].text.contains("404"), "{:?}", unknown[0]);
}

fn pickup_without_phone() -> ShipmentRequest {
    let mut req = request("7001-1");
    req.carrier = "zasilkovna".into();
    req.service = "VMCZ".into();
    req.pickup_point = Some(PickupPoint {
        id: "1234".into(),
        name: "Z-BOX Brno".into(),
    });
    req.recipient.phone = String::new();
    req
}

async fn assert_readable_errors(client: &BalikobotClient, sim: &BalikobotSim) {
    let mut zip = request("7000-1");
    zip.recipient.zip = "ABCDE".into();
    assert_eq!(
        fields(client.create(&zip).await.expect_err("zip")),
        vec!["recipient ZIP invalid"]
    );
    assert_eq!(
        fields(
            client
                .create(&pickup_without_phone())
                .await
                .expect_err("phone")
        ),
        vec!["recipient phone missing"]
    );
    let mut many = pickup_without_phone();
    many.pickup_point = None;
    many.recipient.name = String::new();
    many.weight_kg = 0.0;
    let got = fields(client.create(&many).await.expect_err("many"));
    for want in [
        "pickup point missing",
        "recipient name missing",
        "recipient phone missing",
        "weight invalid",
    ] {
        assert!(got.iter().any(|f| f == want), "{want} not in {got:?}");
    }
    let mut service = request("7002-1");
    service.service = "XX".into();
    assert_eq!(
        fields(client.create(&service).await.expect_err("service")),
        vec!["carrier service invalid"]
    );
    assert!(sim.packages().is_empty());
}

/// The simulator's raw ADD answer for a package with a bad ZIP.
async fn raw_bad_zip_answer(run: &Running, full: bool) -> serde_json::Value {
    let body = serde_json::json!({"packages": [{
        "eid": "raw-1", "service_type": "DR", "rec_name": "A", "rec_street": "B 1",
        "rec_city": "C", "rec_zip": "1234", "rec_country": "CZ", "rec_phone": "777123456",
        "weight": 1.0, "return_full_errors": full
    }]});
    let resp = reqwest::Client::new()
        .post(format!("{}/cp/add", run.base_url))
        .basic_auth(USER, Some(KEY))
        .json(&body)
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status().as_u16(), 200);
    resp.json().await.expect("json")
}

#[tokio::test]
async fn field_errors_as_code_map_become_readable_messages() {
    let (sim, run, client) = setup(Faults::default(), Duration::from_secs(5)).await;
    let raw = raw_bad_zip_answer(&run, false).await;
    assert_eq!(raw["status"], 400);
    assert_eq!(raw["packages"][0]["rec_zip"], 413, "{raw}");
    assert_readable_errors(&client, &sim).await;
}

#[tokio::test]
async fn field_errors_as_full_errors_become_readable_messages() {
    let (sim, run, client) = setup(Faults::default(), Duration::from_secs(5)).await;
    let raw = raw_bad_zip_answer(&run, true).await;
    assert_eq!(raw["status"], 400);
    let error = &raw["packages"][0]["errors"][0];
    assert_eq!(error["attribute"], "rec_zip", "{raw}");
    assert_eq!(error["type"], "413");
    assert_eq!(error["message"], "Nepovolené PSČ příjemce.");
    let client = client.with_full_errors(true);
    assert_readable_errors(&client, &sim).await;
}

#[tokio::test]
async fn services_lists_codes_as_strings() {
    let (_sim, _run, client) = setup(Faults::default(), Duration::from_secs(5)).await;
    let cp = client.services("cp").await.expect("cp services");
    assert!(
        cp.iter()
            .any(|s| s.code == "NP" && s.name.contains("Na poštu"))
    );
    let ppl = client.services("ppl").await.expect("ppl services");
    assert!(ppl.iter().any(|s| s.code == "1"), "{ppl:?}");
    let unknown = client
        .services("nosuch")
        .await
        .expect_err("unknown carrier");
    assert!(
        matches!(unknown, CarrierError::Api { status: 403, .. }),
        "{unknown:?}"
    );
}

#[tokio::test]
async fn service_unavailable_is_transient_and_a_retry_succeeds() {
    let faults = Faults {
        error_rate: 1.0,
        ..Faults::default()
    };
    let (sim, _run, client) = setup(faults, Duration::from_secs(5)).await;
    let err = client.create(&request("8001-1")).await.expect_err("503");
    assert!(
        matches!(err, CarrierError::Api { status: 503, .. }),
        "{err:?}"
    );
    assert!(err.is_transient());
    assert!(sim.packages().is_empty());
    sim.set_faults(Faults::default());
    client.create(&request("8001-1")).await.expect("retry");
    assert_eq!(sim.packages().len(), 1);
}

#[tokio::test]
async fn a_503_in_the_body_of_an_http_200_is_transient_too() {
    // With error_rate 1.0 the simulator answers half of the requests (by the seeded dice)
    // with HTTP 503 and the other half with HTTP 200 and 503 in the body.
    let faults = Faults {
        error_rate: 1.0,
        ..Faults::default()
    };
    let (sim, _run, client) = setup(faults, Duration::from_secs(5)).await;
    for i in 0..8 {
        let err = client
            .create(&request(&format!("8100-{i}")))
            .await
            .expect_err("503");
        assert!(
            matches!(err, CarrierError::Api { status: 503, .. }),
            "{err:?}"
        );
        assert!(err.is_transient());
    }
    assert!(sim.packages().is_empty());
}

#[tokio::test]
async fn latency_is_added_to_every_answer() {
    let faults = Faults {
        latency: Duration::from_millis(300),
        ..Faults::default()
    };
    let (_sim, run, client) = setup(faults, Duration::from_secs(5)).await;
    let started = std::time::Instant::now();
    client.services("cp").await.expect("slow but fine");
    assert!(started.elapsed() >= Duration::from_millis(300));
    let impatient = client_with_timeout(&run, Duration::from_millis(100));
    let err = impatient.services("cp").await.expect_err("too slow");
    assert!(matches!(err, CarrierError::Ambiguous { .. }), "{err:?}");
}

fn client_with_timeout(run: &Running, timeout: Duration) -> BalikobotClient {
    BalikobotClient::new(&run.base_url, USER, KEY, timeout).expect("client builds")
}

#[tokio::test]
async fn rate_limit_is_transient() {
    let faults = Faults {
        quota: Some(1),
        ..Faults::default()
    };
    let (sim, _run, client) = setup(faults, Duration::from_secs(5)).await;
    client.services("cp").await.expect("within quota");
    let err = client.services("cp").await.expect_err("over quota");
    assert!(
        matches!(err, CarrierError::Api { status: 429, .. }),
        "{err:?}"
    );
    assert!(err.is_transient());
    assert_eq!(sim.request_count(), 2);
}

#[tokio::test]
async fn timeout_is_ambiguous_and_reconcile_finds_the_package() {
    let faults = Faults {
        timeout_rate: 1.0,
        ..Faults::default()
    };
    let (sim, _run, client) = setup(faults, Duration::from_millis(300)).await;
    let req = request("9001-1");
    let err = client.create(&req).await.expect_err("timeout");
    assert!(matches!(err, CarrierError::Ambiguous { .. }), "{err:?}");
    sim.set_faults(Faults::default());
    let found = client
        .reconcile(&req)
        .await
        .expect("overview")
        .expect("package exists");
    let stored = sim.packages();
    assert_eq!(stored.len(), 1);
    assert_eq!(found.package_id, stored[0].package_id);
    assert_eq!(found.tracking_number, stored[0].carrier_id);
    assert_eq!(
        client
            .reconcile(&request("9002-1"))
            .await
            .expect("overview"),
        None
    );
}

#[tokio::test]
async fn wrong_key_and_closed_port_are_reported_without_the_key() {
    let (_sim, run, _client) = setup(Faults::default(), Duration::from_secs(5)).await;
    let wrong = BalikobotClient::new(&run.base_url, USER, "wrong-key-123", Duration::from_secs(5))
        .expect("client");
    let err = wrong.services("cp").await.expect_err("401");
    assert!(
        matches!(err, CarrierError::Auth { status: 401, .. }),
        "{err:?}"
    );
    assert!(!format!("{wrong:?}").contains("wrong-key-123"));

    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let closed = BalikobotClient::new(
        &format!("http://127.0.0.1:{port}"),
        USER,
        KEY,
        Duration::from_secs(2),
    )
    .expect("client");
    let err = closed.create(&request("1-1")).await.expect_err("refused");
    assert!(matches!(err, CarrierError::Unreachable { .. }), "{err:?}");
    assert!(!err.to_string().contains(KEY));
    assert!(!format!("{err:?}").contains(KEY));
}

/// Creates one parcel the way an outbox worker would: retry transient failures, and after
/// an ambiguous one look the eid up before retrying.
/// Returns the package id and how many ambiguous failures were met.
async fn create_exactly_once(client: &BalikobotClient, req: &ShipmentRequest) -> (String, u32) {
    let mut ambiguous = 0;
    for _ in 0..50 {
        match client.create(req).await {
            Ok(created) => return (created.package_id, ambiguous),
            Err(CarrierError::Ambiguous { .. }) => loop {
                ambiguous += 1;
                match client.reconcile(req).await {
                    Ok(Some(found)) => return (found.package_id, ambiguous),
                    Ok(None) => break,
                    Err(e) if e.is_transient() => continue,
                    Err(e) => panic!("reconcile {}: {e}", req.eid),
                }
            },
            Err(e) if e.is_transient() => {}
            Err(e) => panic!("create {}: {e}", req.eid),
        }
    }
    panic!("{}: no success after 50 attempts", req.eid);
}

#[tokio::test]
async fn two_hundred_parcels_with_faults_are_created_exactly_once() {
    let faults = Faults {
        error_rate: 0.1,
        timeout_rate: 0.1,
        ..Faults::default()
    };
    let (sim, _run, client) = setup(faults, Duration::from_millis(250)).await;
    let reqs: Vec<ShipmentRequest> = (0..200).map(|i| request(&format!("X{i:04}-1"))).collect();
    let ids: Vec<(String, (String, u32))> = futures::stream::iter(reqs.iter())
        .map(|r| {
            let client = client.clone();
            async move { (r.eid.clone(), create_exactly_once(&client, r).await) }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let stored = sim.packages();
    assert_eq!(stored.len(), 200, "one package per eid");
    let ambiguous: u32 = ids.iter().map(|(_, (_, n))| n).sum();
    assert!(ambiguous >= 5, "timeouts were injected: {ambiguous}");
    for (eid, (package_id, _)) in &ids {
        let matching: Vec<_> = stored.iter().filter(|p| &p.eid == eid).collect();
        assert_eq!(matching.len(), 1, "{eid}");
        assert_eq!(&matching[0].package_id, package_id, "{eid}");
    }
    // Faults really fired: more requests than parcels.
    assert!(sim.request_count() > 230, "{}", sim.request_count());
}
