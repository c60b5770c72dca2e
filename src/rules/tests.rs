use std::path::Path;

use chrono::{TimeZone, Utc};

use super::*;
use crate::domain::{Address, Line, Money, Order, Qty, Shipment, ShipmentState, Shipping};

fn order() -> Order {
    Order {
        source: "upgates".into(),
        number: "2026-0042".into(),
        shop_id: None,
        created_at: Utc
            .with_ymd_and_hms(2026, 11, 20, 8, 0, 0)
            .single()
            .unwrap_or_default(),
        priority: 0,
        customer: Address {
            name: "Jana Nováková".into(),
            country: "CZ".into(),
            ..Address::default()
        },
        shipping: Shipping {
            method: "Zásilkovna - výdejní místo".into(),
            carrier: "zasilkovna".into(),
            service: "NP".into(),
            ..Shipping::default()
        },
        total: Money::new(612_000, "CZK"),
        cod: Some(Money::new(612_000, "CZK")),
        paid: false,
        note: None,
        lines: vec![Line {
            sku: "A1".into(),
            ean: None,
            name: "Hrnek".into(),
            quantity: Qty::units(3),
            unit_weight_kg: Some(0.4),
            needs_serial: false,
            aliases: vec![],
            unit_price: None,
        }],
        shop_status: "Vyřizuje se".into(),
        cancelled: false,
        flags: vec!["VIP".into()],
        revision: 0,
    }
}

fn facts() -> Facts {
    Facts::from_order(&order(), None, "bench-1", Some("jana"))
}

/// The condition of a one-rule file with `when = <cond>`.
fn cond(toml: &str) -> Condition {
    let text = format!(
        "[[rule]]\nname = \"r\"\nevent = \"packed\"\nwhen = {toml}\nactions = [\"take_photo\"]\n"
    );
    match RuleSet::parse(Path::new("t.toml"), &text) {
        Ok(set) => set
            .rules()
            .first()
            .map(|r| r.when.clone())
            .unwrap_or(Condition::Always),
        Err(e) => panic!("{toml}: {e}"),
    }
}

#[test]
fn facts_from_order_and_shipment() {
    let f = facts();
    assert!(f.cod);
    assert!(!f.paid);
    assert_eq!(f.item_count, Qty::units(3));
    assert!((f.weight_kg - 1.2).abs() < 1e-9);
    assert_eq!(f.tracking, None);
    let s = Shipment {
        order_key: "upgates:2026-0042".into(),
        parcel_no: 1,
        parcel_count: 1,
        provider: "zasilkovna".into(),
        state: ShipmentState::Ready,
        package_id: Some("P1".into()),
        tracking_number: Some("Z123".into()),
        label_path: None,
        weight_kg: 1.5,
        error: None,
        updated_at: Utc::now(),
        carrier: None,
        generation: 0,
        carrier_status: None,
    };
    let f = Facts::from_order(&order(), Some(&s), "bench-1", None);
    assert_eq!(f.tracking.as_deref(), Some("Z123"));
    assert_eq!(f.package_id.as_deref(), Some("P1"));
    assert!((f.weight_kg - 1.5).abs() < 1e-9);
}

#[test]
fn every_condition_matches_and_fails() {
    let f = facts();
    // (condition, holds for `facts()`)
    let table: &[(&str, bool)] = &[
        (r#"{ shop_status = "vyřizuje SE" }"#, true),
        (r#"{ shop_status = ["Nová", "Odesláno"] }"#, false),
        (
            r#"{ shipping_method = " Zásilkovna - výdejní místo " }"#,
            true,
        ),
        (r#"{ shipping_method = "Osobní odběr" }"#, false),
        (r#"{ carrier = ["ppl", "Zasilkovna"] }"#, true),
        (r#"{ carrier = "inpost" }"#, false),
        (r#"{ service = "np" }"#, true),
        (r#"{ service = "DR" }"#, false),
        ("{ cod = true }", true),
        ("{ cod = false }", false),
        ("{ paid = false }", true),
        ("{ paid = true }", false),
        (r#"{ country = ["SK", "cz"] }"#, true),
        (r#"{ country = "PL" }"#, false),
        (r#"{ total = { min = 5000, currency = "CZK" } }"#, true),
        (
            r#"{ total = { min = 6120, max = 6120.00, currency = "czk" } }"#,
            true,
        ),
        (r#"{ total = { min = 6120.01, currency = "CZK" } }"#, false),
        (r#"{ total = { max = 6119.99, currency = "CZK" } }"#, false),
        (r#"{ total = { min = 1, currency = "PLN" } }"#, false),
        ("{ weight = { min = 1, max = 1.2 } }", true),
        ("{ weight = { max = 1 } }", false),
        ("{ items = { min = 3, max = 3 } }", true),
        ("{ items = { min = 4 } }", false),
        (r#"{ source = "UPGATES" }"#, true),
        (r#"{ source = "baselinker" }"#, false),
        (r#"{ flags = ["vip"] }"#, true),
        (r#"{ tags = "vip" }"#, true),
        (r#"{ flags = ["vip", "fragile"] }"#, false),
        (r#"{ station = "Bench-1" }"#, true),
        (r#"{ station = "bench-2" }"#, false),
        (r#"{ packer = ["petr", "jana"] }"#, true),
        (r#"{ packer = "petr" }"#, false),
        // Several keys in one table: all must hold.
        (r#"{ cod = true, country = "CZ" }"#, true),
        (r#"{ cod = true, country = "SK" }"#, false),
        // Combinators.
        (r#"{ all = [ { cod = true }, { paid = false } ] }"#, true),
        (r#"{ all = [ { cod = true }, { paid = true } ] }"#, false),
        (r#"{ any = [ { paid = true }, { country = "CZ" } ] }"#, true),
        (
            r#"{ any = [ { paid = true }, { country = "SK" } ] }"#,
            false,
        ),
        (r#"{ not = { carrier = "inpost" } }"#, true),
        (r#"{ not = { carrier = "zasilkovna" } }"#, false),
        (
            r#"{ any = [ { not = { cod = true } }, { all = [ { flags = "vip" }, { items = { min = 2 } } ] } ] }"#,
            true,
        ),
        (
            r#"{ not = { any = [ { paid = true }, { weight = { min = 1 } } ] } }"#,
            false,
        ),
    ];
    for (toml, want) in table {
        assert_eq!(cond(toml).matches(&f), *want, "{toml}");
    }
}

#[test]
fn packer_condition_needs_a_packer() {
    let mut f = facts();
    f.packer = None;
    assert!(!cond(r#"{ packer = "jana" }"#).matches(&f));
    assert!(cond(r#"{ not = { packer = "jana" } }"#).matches(&f));
}

#[test]
fn failing_names_the_leaves() {
    let c = cond(r#"{ cod = true, country = "SK", total = { max = 100, currency = "CZK" } }"#);
    assert_eq!(c.failing(&facts()), vec!["country", "total"]);
}

#[test]
fn templates_render_and_reject() {
    let t = Template::parse("Obj. {order.number}: {tracking} {{ok}} {station}/{packer}");
    let t = match t {
        Ok(t) => t,
        Err(e) => panic!("{e}"),
    };
    let mut f = facts();
    assert_eq!(t.render(&f), "Obj. 2026-0042:  {ok} bench-1/jana");
    f.tracking = Some("Z123".into());
    assert_eq!(t.render(&f), "Obj. 2026-0042: Z123 {ok} bench-1/jana");
    assert_eq!(
        Template::parse("{order.numbr}"),
        Err(TemplateError::Unknown("order.numbr".into()))
    );
    assert_eq!(
        Template::parse("ab {tracking"),
        Err(TemplateError::Unclosed(4))
    );
    assert_eq!(Template::parse("a}b"), Err(TemplateError::Lone(2)));
    assert_eq!(
        Template::parse("{order.total}").map(|t| t.render(&f)),
        Ok("6\u{a0}120,00 CZK".to_string())
    );
}

#[test]
fn event_names_round_trip() {
    for name in EventKind::BUILTIN {
        let kind = EventKind::parse(name, 3);
        assert_eq!(kind.map(|k| k.name()).as_deref(), Some(name));
    }
    assert_eq!(
        EventKind::parse("custom:Gift_Wrap", 0),
        Some(EventKind::Custom("gift_wrap".into()))
    );
    assert_eq!(EventKind::parse("custom:", 0), None);
    assert_eq!(EventKind::parse("custom:a b", 0), None);
    assert_eq!(EventKind::parse("packd", 0), None);
    assert_eq!(
        EventKind::from_barcode("PD:EVENT:GIFT_WRAP"),
        Some(EventKind::Custom("gift_wrap".into()))
    );
    assert_eq!(
        EventKind::from_barcode("pd:event:x-1"),
        Some(EventKind::Custom("x-1".into()))
    );
    assert_eq!(EventKind::from_barcode("PD:PACK"), None);
    assert_eq!(EventKind::from_barcode("PD:EVENT:"), None);
    assert_eq!(EventKind::from_barcode("XX:EVENT:a"), None);
}

#[test]
fn in_status_for_days_accepts_later_checks() {
    let rule = EventKind::OrderInStatusForDays { days: 7 };
    assert!(!rule.accepts(&EventKind::OrderInStatusForDays { days: 6 }));
    assert!(rule.accepts(&EventKind::OrderInStatusForDays { days: 7 }));
    assert!(rule.accepts(&EventKind::OrderInStatusForDays { days: 9 }));
    assert!(!rule.accepts(&EventKind::Packed));
}

#[test]
fn occurrence_ids_are_stable() {
    let a = Event::packed("upgates:1", 17);
    assert_eq!(a.occurrence, "packed:upgates:1:17");
    assert_eq!(a, Event::packed("upgates:1", 17));
    let f = a.follow_up("R", "on_failure", "problem");
    assert_eq!(f.occurrence, "packed:upgates:1:17/R/on_failure");
    assert_eq!(f.kind, EventKind::Custom("problem".into()));
    assert_eq!(
        occurrence_key("R", &a.occurrence),
        "R\u{0}packed:upgates:1:17"
    );
}

#[test]
fn webhook_headers_never_show_in_debug_or_describe() {
    let text = r#"
[[rule]]
name = "hook"
event = "packed"
actions = [ { webhook = { url = "https://h.example/x", headers = { "X-Token" = "s3cr3t" } } } ]
"#;
    let set = match RuleSet::parse(Path::new("t.toml"), text) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    let rule = set.rules().first().cloned();
    let dbg = format!("{rule:?}");
    assert!(!dbg.contains("s3cr3t"), "{dbg}");
    assert!(dbg.contains("X-Token"));
    let desc = rule
        .and_then(|r| r.actions.first().map(|a| a.describe(&facts())))
        .unwrap_or_default();
    assert_eq!(desc, "webhook POST https://h.example/x (headers: X-Token)");
}

#[test]
fn webhook_body_describes_event_and_order() {
    let mut f = facts();
    f.tracking = Some("Z123".into());
    let ev = Event::packed(&f.order_key, 5);
    let body = webhook_body("R", &ev, &f);
    assert_eq!(body["event"], "packed");
    assert_eq!(body["occurrence"], "packed:upgates:2026-0042:5");
    assert_eq!(body["rule"], "R");
    assert_eq!(body["order"]["number"], "2026-0042");
    assert_eq!(body["order"]["total"], 6120.0);
    assert_eq!(body["order"]["currency"], "CZK");
    assert_eq!(body["order"]["cod"], true);
    assert_eq!(body["order"]["items"], 3.0);
    assert_eq!(body["tracking"], "Z123");
    assert_eq!(body["packer"], "jana");
}
