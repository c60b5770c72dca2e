use super::*;
use crate::domain::{Address, Line, Money, Qty, Shipping};
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
