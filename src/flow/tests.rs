use super::*;
use crate::domain::{Address, Alias, Money, Note, Shipping};

fn line(sku: &str, ean: Option<&str>, qty: u64) -> Line {
    Line {
        sku: sku.into(),
        ean: ean.map(str::to_string),
        name: format!("Product {sku}"),
        quantity: Qty::units(qty),
        unit_weight_kg: Some(0.25),
        needs_serial: false,
        aliases: Vec::new(),
        unit_price: None,
    }
}

fn order(lines: Vec<Line>) -> Order {
    Order {
        source: "test".into(),
        number: "CZ1".into(),
        shop_id: None,
        created_at: DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default(),
        priority: 0,
        customer: Address::default(),
        shipping: Shipping::default(),
        total: Money::new(10000, "CZK"),
        cod: None,
        paid: true,
        note: None,
        lines,
        shop_status: String::new(),
        cancelled: false,
        flags: Vec::new(),
        revision: 0,
    }
}

fn ctx() -> FlowCtx {
    FlowCtx {
        now: DateTime::from_timestamp(1_700_000_100, 0).unwrap_or_default(),
        station: "bench-1".into(),
        packer: Some("42".into()),
    }
}

fn scan(code: &str, known: bool) -> FlowEvent {
    FlowEvent::Scan {
        code: code.into(),
        gtin: gtin::to_gtin14(code),
        serial: None,
        known,
    }
}

const EAN_A: &str = "4006381333931";
const EAN_B: &str = "8594001234567";

fn two_lines() -> Order {
    // 8594001234567 is not a valid EAN (wrong check digit) → matched as a plain code.
    order(vec![line("A", Some(EAN_A), 2), line("B", Some(EAN_B), 1)])
}

#[test]
fn new_session_claims_and_writes_ledger() {
    let o = two_lines();
    let (s, e) = PackSession::new(&o, &ctx());
    assert_eq!(s.station, "bench-1");
    assert_eq!(e.kind, LedgerKind::Claimed);
    assert_eq!(e.seq, 0);
    assert_eq!(s.next_seq, 1);
}

#[test]
fn scans_count_and_complete_to_picked() {
    let o = two_lines();
    let (mut s, _) = PackSession::new(&o, &ctx());
    let st = handle(&mut s, &o, &ctx(), scan(EAN_A, true));
    assert!(matches!(
        st.outcome,
        Outcome::Counted {
            line: 0,
            picked: false,
            ..
        }
    ));
    assert_eq!(st.ledger.len(), 1);
    // UPC/GTIN-14 forms of the same code match the same line.
    let st = handle(&mut s, &o, &ctx(), scan("04006381333931", true));
    assert!(matches!(st.outcome, Outcome::Counted { line: 0, .. }));
    let st = handle(&mut s, &o, &ctx(), scan("b", true)); // SKU, case-insensitive
    assert_eq!(
        st.outcome,
        Outcome::Counted {
            line: 1,
            qty: Qty::units(1),
            scanned: Qty::units(1),
            quantity: Qty::units(1),
            picked: true
        }
    );
    assert_eq!(s.state, SessionState::Picked);
}

#[test]
fn four_rejection_reasons() {
    let mut o = two_lines();
    let (mut s, _) = PackSession::new(&o, &ctx());
    let st = handle(&mut s, &o, &ctx(), scan("5901234123457", true));
    assert_eq!(
        st.outcome,
        Outcome::Rejected(Reject::NotInOrder {
            code: "5901234123457".into()
        })
    );
    assert_eq!(st.ledger.len(), 1, "rejections are in the ledger too");
    let st = handle(&mut s, &o, &ctx(), scan("XYZ", false));
    assert_eq!(
        st.outcome,
        Outcome::Rejected(Reject::UnknownCode { code: "XYZ".into() })
    );
    handle(&mut s, &o, &ctx(), scan("B", true));
    let st = handle(&mut s, &o, &ctx(), scan("B", true));
    assert_eq!(
        st.outcome,
        Outcome::Rejected(Reject::LineComplete { line: 1 })
    );
    assert_eq!(s.lines[1].scanned, Qty::units(1), "over-scan not counted");
    o.cancelled = true;
    let st = handle(&mut s, &o, &ctx(), scan(EAN_A, true));
    assert_eq!(
        st.outcome,
        Outcome::Rejected(Reject::NotPackable(NotPackable::Cancelled))
    );
}

#[test]
fn not_packable_when_claimed_elsewhere_or_changed_upstream() {
    let mut o = two_lines();
    let (mut s, _) = PackSession::new(&o, &ctx());
    let mut other = ctx();
    other.station = "bench-2".into();
    let st = handle(&mut s, &o, &other, scan(EAN_A, true));
    assert_eq!(
        st.outcome,
        Outcome::Rejected(Reject::NotPackable(NotPackable::ClaimedElsewhere {
            station: "bench-1".into()
        }))
    );
    o.revision = 1;
    let st = handle(&mut s, &o, &ctx(), scan(EAN_A, true));
    assert_eq!(
        st.outcome,
        Outcome::Rejected(Reject::NotPackable(NotPackable::ChangedUpstream))
    );
    assert_eq!(s.lines[0].scanned, Qty::ZERO);
}

#[test]
fn alias_counts_case_units_and_refuses_overfill() {
    let mut l = line("WATER", Some(EAN_A), 12);
    l.aliases.push(Alias {
        code: "CASE6".into(),
        units: 6,
    });
    let o = order(vec![l]);
    let (mut s, _) = PackSession::new(&o, &ctx());
    handle(&mut s, &o, &ctx(), scan(EAN_A, true));
    let st = handle(&mut s, &o, &ctx(), scan("CASE6", true));
    assert!(matches!(st.outcome, Outcome::Counted { qty, .. } if qty == Qty::units(6)));
    // 7 scanned, 5 left: a case of 6 would over-fill.
    let st = handle(&mut s, &o, &ctx(), scan("case6", true));
    assert_eq!(
        st.outcome,
        Outcome::Rejected(Reject::LineComplete { line: 0 })
    );
    assert_eq!(s.lines[0].scanned, Qty::units(7));
}

#[test]
fn typed_quantity_applies_to_next_scan() {
    let o = order(vec![line("A", Some(EAN_A), 50)]);
    let (mut s, _) = PackSession::new(&o, &ctx());
    assert_eq!(
        handle(&mut s, &o, &ctx(), FlowEvent::Quantity(0)).outcome,
        Outcome::Refused(Refusal::BadQuantity)
    );
    handle(&mut s, &o, &ctx(), FlowEvent::Quantity(49));
    let st = handle(&mut s, &o, &ctx(), scan(EAN_A, true));
    assert!(matches!(st.outcome, Outcome::Counted { qty, .. } if qty == Qty::units(49)));
    assert!(matches!(
        &st.ledger[0].kind,
        LedgerKind::Counted {
            method: Method::Typed,
            ..
        }
    ));
    assert_eq!(s.pending_qty, None);
    handle(&mut s, &o, &ctx(), FlowEvent::Quantity(2));
    let st = handle(&mut s, &o, &ctx(), scan(EAN_A, true));
    assert_eq!(
        st.outcome,
        Outcome::Rejected(Reject::LineComplete { line: 0 })
    );
}

#[test]
fn manual_confirm_only_for_lines_without_barcode() {
    let o = order(vec![line("A", Some(EAN_A), 1), line("GIFT", None, 2)]);
    let (mut s, _) = PackSession::new(&o, &ctx());
    assert_eq!(
        handle(&mut s, &o, &ctx(), FlowEvent::Manual { line: 0 }).outcome,
        Outcome::Refused(Refusal::ManualNotAllowed { line: 0 })
    );
    let st = handle(&mut s, &o, &ctx(), FlowEvent::Manual { line: 1 });
    assert!(matches!(st.outcome, Outcome::Counted { line: 1, qty, .. } if qty == Qty::units(2)));
    assert!(matches!(
        &st.ledger[0].kind,
        LedgerKind::Counted {
            method: Method::Manual,
            ..
        }
    ));
    assert_eq!(s.lines[1].manual, Qty::units(2));
    assert_eq!(
        handle(&mut s, &o, &ctx(), FlowEvent::Manual { line: 1 }).outcome,
        Outcome::Rejected(Reject::LineComplete { line: 1 })
    );
}

#[test]
fn serial_capture_rejects_empty_and_used() {
    let mut l = line("PHONE", Some(EAN_A), 2);
    l.needs_serial = true;
    let o = order(vec![l]);
    let (mut s, _) = PackSession::new(&o, &ctx());
    let st = handle(&mut s, &o, &ctx(), scan(EAN_A, true));
    assert_eq!(st.outcome, Outcome::NeedSerial { line: 0 });
    assert!(st.ledger.is_empty(), "not counted before the serial");
    let serial = |sn: &str, used| FlowEvent::Serial {
        serial: sn.into(),
        used_elsewhere: used,
    };
    assert_eq!(
        handle(&mut s, &o, &ctx(), serial("  ", false)).outcome,
        Outcome::Refused(Refusal::SerialEmpty)
    );
    assert_eq!(
        handle(&mut s, &o, &ctx(), serial("SN9", true)).outcome,
        Outcome::Refused(Refusal::SerialUsed {
            serial: "SN9".into()
        })
    );
    let st = handle(&mut s, &o, &ctx(), serial("SN1", false));
    assert!(matches!(st.outcome, Outcome::Counted { .. }));
    handle(&mut s, &o, &ctx(), scan(EAN_A, true));
    assert_eq!(
        handle(&mut s, &o, &ctx(), serial("SN1", false)).outcome,
        Outcome::Refused(Refusal::SerialUsed {
            serial: "SN1".into()
        })
    );
    // A GS1 scan carrying AI 21 gives the serial with the item.
    let mut o2 = o.clone();
    o2.lines[0].quantity = Qty::units(1);
    let (mut s2, _) = PackSession::new(&o2, &ctx());
    let st = handle(
        &mut s2,
        &o2,
        &ctx(),
        FlowEvent::Scan {
            code: EAN_A.into(),
            gtin: gtin::to_gtin14(EAN_A),
            serial: Some("X77".into()),
            known: true,
        },
    );
    assert!(matches!(st.outcome, Outcome::Counted { picked: true, .. }));
    assert_eq!(s2.lines[0].serials, vec!["X77".to_string()]);
    // Picked is not finished: a stray serial is refused as unexpected.
    assert_eq!(
        handle(&mut s2, &o2, &ctx(), serial("X", false)).outcome,
        Outcome::Refused(Refusal::NoSerialExpected)
    );
}

#[test]
fn undo_takes_back_last_count_and_reopens_picked() {
    let o = two_lines();
    let (mut s, _) = PackSession::new(&o, &ctx());
    assert_eq!(
        handle(&mut s, &o, &ctx(), FlowEvent::Undo).outcome,
        Outcome::Refused(Refusal::NothingToUndo)
    );
    handle(&mut s, &o, &ctx(), scan(EAN_A, true));
    handle(&mut s, &o, &ctx(), scan(EAN_A, true));
    handle(&mut s, &o, &ctx(), scan("B", true));
    assert_eq!(s.state, SessionState::Picked);
    let st = handle(&mut s, &o, &ctx(), FlowEvent::Undo);
    assert_eq!(
        st.outcome,
        Outcome::Undone {
            line: 1,
            qty: Qty::units(1)
        }
    );
    assert!(matches!(
        st.ledger[0].kind,
        LedgerKind::Undone { of_seq: 3, .. }
    ));
    assert_eq!(s.state, SessionState::Scanning);
    assert_eq!(s.lines[1].scanned, Qty::ZERO);
    assert_eq!(s.parcels[0].items, vec![(0, Qty::units(2))]);
}

#[test]
fn multi_parcel_and_pack_with_weights() {
    let o = two_lines();
    let (mut s, _) = PackSession::new(&o, &ctx());
    assert_eq!(
        handle(
            &mut s,
            &o,
            &ctx(),
            FlowEvent::NextParcel { weight_kg: None }
        )
        .outcome,
        Outcome::Refused(Refusal::EmptyParcel)
    );
    handle(&mut s, &o, &ctx(), scan(EAN_A, true));
    handle(&mut s, &o, &ctx(), scan(EAN_A, true));
    assert_eq!(
        handle(&mut s, &o, &ctx(), FlowEvent::Pack { weight_kg: None }).outcome,
        Outcome::Refused(Refusal::NotAllScanned {
            missing: Qty::units(1)
        })
    );
    let st = handle(
        &mut s,
        &o,
        &ctx(),
        FlowEvent::NextParcel {
            weight_kg: Some(1.2),
        },
    );
    assert_eq!(st.outcome, Outcome::NextParcel { no: 2 });
    handle(&mut s, &o, &ctx(), scan("B", true));
    assert_eq!(s.prefilled_weights(&o, 0.5), vec![0.5, 0.25]);
    let st = handle(
        &mut s,
        &o,
        &ctx(),
        FlowEvent::Pack {
            weight_kg: Some(0.4),
        },
    );
    assert_eq!(st.outcome, Outcome::Packed);
    assert!(
        matches!(&st.ledger[0].kind, LedgerKind::Packed { weights_kg } if weights_kg == &vec![1.2, 0.4])
    );
    assert_eq!(s.parcels.len(), 2);
    assert_eq!(s.parcels[1].items, vec![(1, Qty::units(1))]);
    assert_eq!(
        handle(&mut s, &o, &ctx(), scan(EAN_A, true)).outcome,
        Outcome::Rejected(Reject::NotPackable(NotPackable::AlreadyPacked))
    );
}

#[test]
fn short_pack_needs_reason() {
    let o = two_lines();
    let (mut s, _) = PackSession::new(&o, &ctx());
    assert_eq!(
        handle(&mut s, &o, &ctx(), FlowEvent::Short { reason: " ".into() }).outcome,
        Outcome::Refused(Refusal::EmptyReason)
    );
    let st = handle(
        &mut s,
        &o,
        &ctx(),
        FlowEvent::Short {
            reason: "B out of stock".into(),
        },
    );
    assert_eq!(st.outcome, Outcome::ShortPacked);
    assert_eq!(s.state, SessionState::Short);
    assert_eq!(s.short_reason.as_deref(), Some("B out of stock"));
}

#[test]
fn note_blocks_scanning_until_acknowledged() {
    let mut o = two_lines();
    o.note = Some(Note {
        text: "Fragile".into(),
        ack_required: true,
    });
    let (mut s, _) = PackSession::new(&o, &ctx());
    assert_eq!(
        handle(&mut s, &o, &ctx(), scan(EAN_A, true)).outcome,
        Outcome::Refused(Refusal::NoteNotAcknowledged)
    );
    let st = handle(&mut s, &o, &ctx(), FlowEvent::AcknowledgeNote);
    assert_eq!(st.outcome, Outcome::NoteAcknowledged);
    assert_eq!(st.ledger.len(), 1);
    assert!(matches!(
        handle(&mut s, &o, &ctx(), scan(EAN_A, true)).outcome,
        Outcome::Counted { .. }
    ));
}

#[test]
fn same_product_on_two_lines_fills_first_then_second() {
    let o = order(vec![line("A", Some(EAN_A), 1), line("A2", Some(EAN_A), 1)]);
    let (mut s, _) = PackSession::new(&o, &ctx());
    assert!(matches!(
        handle(&mut s, &o, &ctx(), scan(EAN_A, true)).outcome,
        Outcome::Counted { line: 0, .. }
    ));
    assert!(matches!(
        handle(&mut s, &o, &ctx(), scan(EAN_A, true)).outcome,
        Outcome::Counted {
            line: 1,
            picked: true,
            ..
        }
    ));
}
