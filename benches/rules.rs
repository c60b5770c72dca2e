//! Rule evaluation (`cargo bench --bench rules`): 200 rules against one event.

use std::path::Path;

use chrono::{TimeZone, Utc};
use divan::{Bencher, black_box};
use packdesk::domain::{Address, Line, Money, Order, Qty, Shipping};
use packdesk::rules::{Event, Facts, RuleSet, evaluate};

fn main() {
    divan::main();
}

const CARRIERS: [&str; 6] = ["zasilkovna", "ppl", "dpd", "cp", "inpost", "gls"];
const STATUSES: [&str; 4] = ["Nová", "Vyřizuje se", "Čeká na platbu", "Odesláno"];

/// `n` rules shaped like a big warehouse's: all on `packed` (the worst case: no rule is
/// skipped by the event index), each with a few conditions and a handful of actions.
fn rules_file(n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        let carrier = CARRIERS[i % CARRIERS.len()];
        let status = STATUSES[i % STATUSES.len()];
        let min = (i % 10) * 500;
        s.push_str(&format!(
            r#"
[[rule]]
name = "rule {i}"
event = "packed"
when = {{ all = [
  {{ carrier = ["{carrier}", "ppl"], country = ["CZ", "SK"] }},
  {{ any = [ {{ shop_status = "{status}" }}, {{ flags = ["vip", "b2b"] }}, {{ cod = true }} ] }},
  {{ total = {{ min = {min}, currency = "CZK" }} }},
  {{ not = {{ weight = {{ min = 30 }} }} }},
  {{ items = {{ max = 50 }} }},
] }}
actions = [
  "create_shipment",
  {{ print = {{ document = "label", printer = "zebra-{i}" }} }},
  {{ print = {{ document = "slip" }} }},
  {{ set_status = {{ status = "Odesláno", notify = true }} }},
  {{ add_history = {{ text = "Zabaleno na {{station}}, zásilka {{tracking}}" }} }},
]
"#
        ));
    }
    s
}

fn order() -> Order {
    Order {
        source: "upgates".into(),
        number: "2026-000123".into(),
        shop_id: None,
        created_at: Utc
            .with_ymd_and_hms(2026, 11, 20, 8, 0, 0)
            .single()
            .unwrap_or_default(),
        priority: 0,
        customer: Address {
            name: "Řehoř Žďárský".into(),
            country: "CZ".into(),
            ..Address::default()
        },
        shipping: Shipping {
            method: "PPL - na adresu".into(),
            carrier: "ppl".into(),
            service: "PRIVATE".into(),
            ..Shipping::default()
        },
        total: Money::new(312_000, "CZK"),
        cod: Some(Money::new(312_000, "CZK")),
        paid: false,
        note: None,
        lines: (0..5)
            .map(|i| Line {
                sku: format!("SKU-{i}"),
                ean: None,
                name: format!("Zboží {i}"),
                quantity: Qty::units(2),
                unit_weight_kg: Some(0.25),
                needs_serial: false,
                aliases: vec![],
                unit_price: None,
            })
            .collect(),
        shop_status: "Vyřizuje se".into(),
        cancelled: false,
        flags: vec!["vip".into()],
        revision: 3,
    }
}

#[divan::bench]
fn evaluate_200_rules_one_event(b: Bencher) {
    let set = match RuleSet::parse(Path::new("bench.toml"), &rules_file(200)) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    let o = order();
    let facts = Facts::from_order(&o, None, "bench-1", Some("jana"));
    let ev = Event::packed(&o.key(), 42);
    let matched = evaluate(&set, &ev, &facts).len();
    assert!(matched > 0 && matched < 200, "{matched} of 200 match");
    b.bench(|| evaluate(black_box(&set), black_box(&ev), black_box(&facts)));
}

#[divan::bench]
fn parse_and_validate_200_rules(b: Bencher) {
    let text = rules_file(200);
    b.bench(|| RuleSet::parse(Path::new("bench.toml"), black_box(&text)).is_ok());
}
