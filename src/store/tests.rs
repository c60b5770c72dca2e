use super::*;
use crate::domain::{Address, Line, Money, Qty, ShipmentState, Shipping};
use crate::flow::{FlowCtx, FlowEvent, handle};

fn order(n: &str) -> Order {
    Order {
        source: "demo".into(),
        number: n.into(),
        shop_id: None,
        created_at: DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default(),
        priority: 0,
        customer: Address {
            name: "Jiří Dvořák".into(),
            country: "CZ".into(),
            ..Address::default()
        },
        shipping: Shipping::default(),
        total: Money::new(100, "CZK"),
        cod: None,
        paid: true,
        note: None,
        lines: vec![Line {
            sku: "MUG-1".into(),
            ean: Some("4006381333931".into()),
            name: "Hrnek".into(),
            quantity: Qty::units(2),
            unit_weight_kg: None,
            needs_serial: true,
            aliases: vec![],
            unit_price: None,
        }],
        shop_status: String::new(),
        cancelled: false,
        flags: vec![],
        revision: 0,
    }
}

fn ctx() -> FlowCtx {
    FlowCtx {
        now: DateTime::from_timestamp(1_700_000_100, 0).unwrap_or_default(),
        station: "bench-1".into(),
        packer: None,
    }
}

#[test]
fn import_index_and_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let st = Store::open(dir.path()).expect("open");
        assert!(st.is_empty());
        st.import_orders(&[order("CZ1"), order("CZ2")])
            .expect("import");
        assert_eq!(
            st.find_order_key("cz1").expect("find").as_deref(),
            Some("demo:CZ1")
        );
        // EAN-13 and its GTIN-14 / UPC forms are one code.
        assert!(st.code_known("04006381333931").expect("known"));
        assert!(st.code_known("mug-1").expect("known"));
        assert!(!st.code_known("NOPE").expect("known"));
    }
    let st = Store::open(dir.path()).expect("reopen");
    let (rows, bad) = st.summaries().expect("summaries");
    assert_eq!(rows.len(), 2);
    assert!(bad.is_empty());
    assert_eq!(rows[0].state, OrderState::ToPack);
}

#[test]
fn second_open_is_locked_with_the_dir_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let _a = Store::open(dir.path()).expect("open");
    let err = Store::open(dir.path()).expect_err("second open must fail");
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    assert!(err.to_string().contains(&dir.path().display().to_string()));
}

#[test]
fn steps_ledger_and_serial_index_survive_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = order("CZ1");
    {
        let st = Store::open(dir.path()).expect("open");
        st.import_orders(std::slice::from_ref(&o)).expect("import");
        let (mut s, claim) = PackSession::new(&o, &ctx());
        let row = OrderSummary::of(&o, OrderState::InProgress);
        st.save_step(&s, &[claim], &row).expect("save");
        let ev = FlowEvent::Scan {
            code: "4006381333931".into(),
            gtin: gtin::to_gtin14("4006381333931"),
            serial: Some("SN-1".into()),
            known: true,
        };
        let step = handle(&mut s, &o, &ctx(), ev);
        st.save_step(&s, &step.ledger, &row).expect("save");
        assert_eq!(
            st.serial_owner("SN-1").expect("serial").as_deref(),
            Some("demo:CZ1")
        );
        let step = handle(&mut s, &o, &ctx(), FlowEvent::Undo);
        st.save_step(&s, &step.ledger, &row).expect("save");
        assert_eq!(
            st.serial_owner("SN-1").expect("serial"),
            None,
            "undo frees the serial"
        );
        st.set_open_order(Some("demo:CZ1")).expect("open order");
    }
    let st = Store::open(dir.path()).expect("reopen");
    let s = st.session("demo:CZ1").expect("session").expect("present");
    assert_eq!(s.lines[0].scanned, Qty::ZERO);
    let ledger = st.ledger("demo:CZ1").expect("ledger");
    assert_eq!(ledger.len(), 3);
    assert_eq!(
        ledger.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![0, 1, 2]
    );
    assert_eq!(st.open_order().expect("open").as_deref(), Some("demo:CZ1"));
    assert_eq!(
        st.summary("demo:CZ1").expect("row").map(|r| r.state),
        Some(OrderState::InProgress)
    );
}

#[test]
fn changed_upstream_bumps_revision_and_keeps_state() {
    let dir = tempfile::tempdir().expect("tempdir");
    let st = Store::open(dir.path()).expect("open");
    let mut o = order("CZ1");
    st.import_orders(std::slice::from_ref(&o)).expect("import");
    st.import_orders(std::slice::from_ref(&o))
        .expect("same again");
    assert_eq!(
        st.order("demo:CZ1").expect("get").map(|o| o.revision),
        Some(0)
    );
    o.lines[0].quantity = Qty::units(3);
    st.import_orders(std::slice::from_ref(&o)).expect("changed");
    assert_eq!(
        st.order("demo:CZ1").expect("get").map(|o| o.revision),
        Some(1)
    );
}

#[test]
fn sequences_shipments_and_events() {
    let dir = tempfile::tempdir().expect("tempdir");
    let st = Store::open(dir.path()).expect("open");
    assert_eq!(st.next_sequence("own").expect("seq"), 1);
    assert_eq!(st.next_sequence("own").expect("seq"), 2);
    assert_eq!(st.next_sequence("other").expect("seq"), 1);
    let sh = Shipment {
        order_key: "demo:CZ1".into(),
        parcel_no: 1,
        parcel_count: 1,
        provider: "own-label".into(),
        state: crate::domain::ShipmentState::Ready,
        package_id: Some("1".into()),
        tracking_number: Some("PD000000017".into()),
        label_path: Some("/tmp/x.pdf".into()),
        weight_kg: 1.0,
        error: None,
        updated_at: DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default(),
        carrier: None,
        generation: 0,
        carrier_status: None,
    };
    st.save_shipment(&sh).expect("ship");
    assert_eq!(st.shipments("demo:CZ1").expect("list"), vec![sh]);
    assert_eq!(
        st.find_order_key("PD000000017").expect("find").as_deref(),
        Some("demo:CZ1")
    );
    let ev = AuditEvent {
        at: DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default(),
        station: "bench-1".into(),
        packer: Some("7".into()),
        order_key: None,
        what: "packer_set".into(),
        detail: String::new(),
    };
    st.append_event(&ev).expect("event");
    assert_eq!(st.events().expect("events"), vec![ev]);
}

#[test]
fn damaged_value_is_reported_with_tree_and_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let st = Store::open(dir.path()).expect("open");
    st.summaries
        .insert("demo:BAD", &[9u8, 1, 2][..])
        .expect("raw insert");
    let (rows, bad) = st.summaries().expect("summaries");
    assert!(rows.is_empty());
    let msg = bad[0].to_string();
    assert!(
        msg.contains("summaries") && msg.contains("demo:BAD"),
        "{msg}"
    );
}

fn parcel(order: &str, no: u32, carrier: Option<&str>) -> Shipment {
    let mut s = Shipment::pending(order, no, 1, "balikobot");
    s.carrier = carrier.map(str::to_string);
    s.package_id = Some(format!("P-{order}-{no}"));
    s.tracking_number = Some(format!("T-{order}-{no}"));
    s
}

fn status(id: &str) -> Option<crate::domain::CarrierStatus> {
    Some(crate::domain::CarrierStatus {
        id: id.into(),
        text: String::new(),
    })
}

/// The index holds exactly the entries the records say, no more.
fn assert_index_matches_records(st: &Store) {
    let mut want: Vec<(Vec<u8>, Vec<u8>)> = st
        .all_shipments()
        .expect("all")
        .iter()
        .filter_map(|s| open_index_key(s).map(|k| (k, encode(s))))
        .collect();
    want.sort();
    assert_eq!(st.open_index_entries().expect("entries"), want);
}

fn keys(v: &[Shipment]) -> Vec<(String, u32)> {
    v.iter()
        .map(|s| (s.order_key.clone(), s.parcel_no))
        .collect()
}

#[test]
fn open_shipments_index_follows_state_changes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let st = Store::open(dir.path()).expect("open");
    let mut a = parcel("demo:A", 1, Some("cp"));
    let mut b = parcel("demo:B", 1, Some("ppl"));
    let mut c = parcel("demo:C", 1, None);
    for s in [&a, &b, &c] {
        st.save_shipment(s).expect("save");
    }
    // Pending: not in the index.
    assert!(st.open_index_entries().expect("entries").is_empty());
    assert!(st.ready_shipments(None).expect("ready").is_empty());

    for s in [&mut a, &mut b, &mut c] {
        s.state = ShipmentState::Ready;
        st.save_shipment(s).expect("save");
    }
    assert_index_matches_records(&st);
    assert_eq!(
        keys(&st.ready_shipments(None).expect("ready")),
        vec![
            ("demo:C".into(), 1),
            ("demo:A".into(), 1),
            ("demo:B".into(), 1)
        ],
        "by carrier code (none first), then order"
    );
    assert_eq!(
        keys(&st.ready_shipments(Some("cp")).expect("cp")),
        vec![("demo:A".into(), 1)]
    );
    assert_eq!(
        keys(&st.ready_shipments(Some("")).expect("none")),
        vec![("demo:C".into(), 1)]
    );
    assert!(
        st.ready_shipments(Some("c"))
            .expect("prefix only")
            .is_empty()
    );

    // ready → dispatched → final
    a.state = ShipmentState::Dispatched;
    st.save_shipment(&a).expect("save");
    assert_index_matches_records(&st);
    assert!(st.ready_shipments(Some("cp")).expect("cp").is_empty());
    assert!(keys(&st.travelling_shipments().expect("travelling")).contains(&("demo:A".into(), 1)));
    a.carrier_status = status("2.2");
    st.save_shipment(&a).expect("save");
    assert_index_matches_records(&st);
    assert!(keys(&st.travelling_shipments().expect("travelling")).contains(&("demo:A".into(), 1)));
    a.carrier_status = status("1.2");
    st.save_shipment(&a).expect("save");
    assert_index_matches_records(&st);
    assert!(!keys(&st.travelling_shipments().expect("travelling")).contains(&("demo:A".into(), 1)));

    // ready → dropped
    b.state = ShipmentState::Dropped;
    st.save_shipment(&b).expect("save");
    assert_index_matches_records(&st);
    assert_eq!(
        keys(&st.ready_shipments(None).expect("ready")),
        vec![("demo:C".into(), 1)]
    );
    assert_eq!(
        keys(&st.travelling_shipments().expect("travelling")),
        vec![("demo:C".into(), 1)]
    );

    // A ready parcel with a final status (returned before hand-over) is not polled.
    c.carrier_status = status("1.1");
    st.save_shipment(&c).expect("save");
    assert_index_matches_records(&st);
    assert_eq!(
        keys(&st.ready_shipments(None).expect("ready")),
        vec![("demo:C".into(), 1)]
    );
    assert!(st.travelling_shipments().expect("travelling").is_empty());

    // A second generation of B is a record of its own.
    let mut b2 = parcel("demo:B", 1, Some("ppl"));
    b2.generation = 1;
    b2.state = ShipmentState::Ready;
    st.save_shipment(&b2).expect("save");
    assert_index_matches_records(&st);
    let ppl = st.ready_shipments(Some("ppl")).expect("ppl");
    assert_eq!(ppl.len(), 1);
    assert_eq!(ppl[0].generation, 1);
}

#[test]
fn schema_1_directory_gets_the_index_built_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let st = Store::open(dir.path()).expect("open");
        let mut r = parcel("demo:R", 1, Some("cp"));
        r.state = ShipmentState::Ready;
        let mut d = parcel("demo:D", 2, Some("ppl"));
        d.state = ShipmentState::Dispatched;
        let mut f = parcel("demo:F", 1, Some("cp"));
        f.state = ShipmentState::Dispatched;
        f.carrier_status = status("1.2");
        let mut x = parcel("demo:X", 1, None);
        x.state = ShipmentState::Dropped;
        for s in [&r, &d, &f, &x] {
            st.save_shipment(s).expect("save");
        }
        // What a schema-1 packdesk left: records, no index, version 1, and a stray
        // entry the rebuild must not keep.
        st.idx_shipments_open.clear().expect("clear");
        st.idx_shipments_open
            .insert(b"rzz\0demo:GONE\0", encode(&parcel("demo:GONE", 1, None)))
            .expect("stray");
        st.meta
            .insert("schema_version", &1u32.to_be_bytes())
            .expect("version");
        st.flush().expect("flush");
    }
    let st = Store::open(dir.path()).expect("reopen");
    assert_eq!(
        st.meta_get("schema_version").expect("meta"),
        Some(SCHEMA_VERSION.to_be_bytes().to_vec())
    );
    assert_index_matches_records(&st);
    assert_eq!(st.open_index_entries().expect("entries").len(), 2);
    assert_eq!(
        keys(&st.ready_shipments(None).expect("ready")),
        vec![("demo:R".into(), 1)]
    );
    assert_eq!(
        keys(&st.travelling_shipments().expect("travelling")),
        vec![("demo:R".into(), 1), ("demo:D".into(), 2)]
    );
    // Opened at schema 2, nothing is rebuilt: an entry removed now stays removed.
    st.idx_shipments_open.clear().expect("clear");
    drop(st);
    let st = Store::open(dir.path()).expect("reopen");
    assert!(st.open_index_entries().expect("entries").is_empty());
}

#[test]
fn newer_schema_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let st = Store::open(dir.path()).expect("open");
        st.meta
            .insert("schema_version", &(SCHEMA_VERSION + 1).to_be_bytes())
            .expect("version");
        st.flush().expect("flush");
    }
    let err = Store::open(dir.path()).expect_err("too new");
    assert!(matches!(err, StoreError::SchemaTooNew { .. }), "{err}");
}
