//! Demo data: deterministic, fast, valid codes, and every special case in place.

use std::collections::HashSet;
use std::time::Instant;

use chrono::{DateTime, TimeZone, Utc};
use packdesk::demo::{self, CASE_UNITS, SKU_CASE, SKU_NO_BARCODE, SKU_SERIAL, Special};
use packdesk::domain::gtin;
use packdesk::domain::text::sanitize;
use packdesk::domain::{Order, Qty};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 9, 30, 0)
        .single()
        .unwrap()
}

fn order(orders: &[Order], kind: Special) -> &Order {
    let o = &orders[kind.index()];
    assert_eq!(o.number, demo::special(kind), "{kind:?}");
    o
}

/// Every piece of text in an order, for the control-character check.
fn texts(o: &Order) -> Vec<&str> {
    let a = &o.customer;
    let mut t = vec![
        o.source.as_str(),
        &o.number,
        &a.name,
        &a.company,
        &a.street,
        &a.city,
        &a.zip,
        &a.country,
        &a.phone,
        &a.email,
        &o.shipping.method,
        &o.shipping.carrier,
        &o.shipping.service,
        &o.shop_status,
        &o.total.currency,
    ];
    if let Some(p) = &o.shipping.pickup_point {
        t.extend([p.id.as_str(), &p.name]);
    }
    if let Some(n) = &o.note {
        t.push(&n.text);
    }
    t.extend(o.flags.iter().map(String::as_str));
    for l in &o.lines {
        t.extend([l.sku.as_str(), &l.name]);
        t.extend(l.ean.as_deref());
        t.extend(l.aliases.iter().map(|a| a.code.as_str()));
    }
    t
}

#[test]
fn deterministic_and_prefix_stable() {
    let a = demo::generate(42, 500, now());
    let b = demo::generate(42, 500, now());
    assert_eq!(a, b);
    let short = demo::generate(42, 200, now());
    assert_eq!(short[..], a[..200]);
    let other = demo::generate(43, 500, now());
    assert_ne!(a[demo::SPECIAL_COUNT..], other[demo::SPECIAL_COUNT..]);
    // The special orders do not depend on the seed.
    assert_eq!(a[..demo::SPECIAL_COUNT], other[..demo::SPECIAL_COUNT]);
    // Fewer orders than special cases: a prefix of them.
    let three = demo::generate(42, 3, now());
    assert_eq!(three[..], a[..3]);
    assert!(demo::generate(42, 0, now()).is_empty());
}

#[test]
fn hundred_thousand_orders_are_well_formed() {
    let started = Instant::now();
    let orders = demo::generate(7, 100_000, now());
    let took = started.elapsed();
    eprintln!("generated 100 000 orders in {took:?}");
    assert_eq!(orders.len(), 100_000);

    let mut numbers = HashSet::new();
    let mut countries = HashSet::new();
    let (mut cod, mut express, mut pickup, mut weighed, mut multi) = (0, 0, 0, 0, 0);
    let mut cancelled = 0;
    let oldest = now() - chrono::Duration::days(3);
    for o in &orders {
        assert!(numbers.insert(o.number.as_str()), "duplicate {}", o.number);
        assert!(o.number.starts_with(&o.customer.country), "{}", o.number);
        assert_eq!(o.source, "demo");
        assert!(!o.lines.is_empty(), "{} has no lines", o.number);
        assert!(
            o.created_at <= now() && o.created_at >= oldest,
            "{}",
            o.number
        );
        let currency = match o.customer.country.as_str() {
            "CZ" => "CZK",
            "PL" => "PLN",
            "SK" => "EUR",
            other => panic!("unexpected country {other}"),
        };
        countries.insert(o.customer.country.clone());
        assert_eq!(o.total.currency, currency, "{}", o.number);
        assert!(o.total.minor > 0);
        let goods: i64 = o
            .lines
            .iter()
            .map(|l| {
                let p = l.unit_price.as_ref().unwrap();
                assert_eq!(p.currency, currency);
                p.minor * (l.quantity.0 / 1000) as i64
            })
            .sum();
        assert!(
            o.total.minor > goods,
            "{}: total without shipping",
            o.number
        );
        if let Some(c) = &o.cod {
            assert_eq!(c, &o.total);
            assert!(!o.paid);
            cod += 1;
        } else {
            assert!(o.paid);
        }
        assert!(o.shipping.cutoff_min.is_some_and(|m| m < 24 * 60));
        match o.shipping.carrier.as_str() {
            "zasilkovna" | "inpost" => assert!(o.shipping.pickup_point.is_some(), "{}", o.number),
            "cp" if o.shipping.service == "NB" => assert!(o.shipping.pickup_point.is_some()),
            "cp" | "ppl" | "gls" | "dpd" => assert!(o.shipping.pickup_point.is_none()),
            other => panic!("unexpected carrier {other}"),
        }
        if let Some(p) = &o.shipping.pickup_point {
            pickup += 1;
            if o.shipping.carrier == "inpost" {
                assert_eq!(o.customer.country, "PL");
                let id = p.id.as_bytes();
                assert!(
                    id.len() == 6 && id[..3].iter().all(u8::is_ascii_uppercase),
                    "{}",
                    p.id
                );
                assert!(
                    id[3..5].iter().all(u8::is_ascii_digit) && id[5] == b'M',
                    "{}",
                    p.id
                );
            }
        }
        if o.priority > 0 {
            express += 1;
        }
        if o.cancelled {
            cancelled += 1;
        }
        let cancelled_status =
            ["Stornována", "Anulowane", "Stornovaná"].contains(&o.shop_status.as_str());
        assert_eq!(
            o.cancelled, cancelled_status,
            "{}: {}",
            o.number, o.shop_status
        );
        let mut skus = HashSet::new();
        for l in &o.lines {
            assert!(skus.insert(l.sku.as_str()), "{}: {} twice", o.number, l.sku);
            assert!(l.quantity >= Qty::units(1) && l.quantity.is_whole());
            if l.quantity > Qty::units(1) {
                multi += 1;
            }
            if l.unit_weight_kg.is_some() {
                weighed += 1;
            }
            if let Some(ean) = &l.ean {
                assert!(
                    ean.len() == 13 && gtin::is_valid(ean),
                    "{}: EAN {ean}",
                    o.number
                );
            }
            for a in &l.aliases {
                assert!(gtin::is_valid(&a.code), "{}: alias {}", o.number, a.code);
            }
        }
        for t in texts(o) {
            assert!(!t.chars().any(char::is_control), "{}: {t:?}", o.number);
            assert_eq!(sanitize(t), t, "{}", o.number);
        }
    }
    assert_eq!(countries.len(), 3);
    // Shares are loose but the mix must be there.
    assert!((10_000..40_000).contains(&cod), "cod {cod}");
    assert!((2_000..15_000).contains(&express), "express {express}");
    assert!((100..2_000).contains(&cancelled), "cancelled {cancelled}");
    assert!((30_000..80_000).contains(&pickup), "pickup {pickup}");
    assert!(
        weighed > 100_000 && multi > 10_000,
        "weighed {weighed}, multi {multi}"
    );
    // Debug builds are slow; the release figure is in the report.
    if !cfg!(debug_assertions) {
        assert!(took.as_secs_f64() < 1.0, "took {took:?}");
    }
}

#[test]
fn catalogue_codes_are_valid_and_special_products_exist() {
    let products = demo::catalogue();
    assert!((55..=70).contains(&products.len()), "{}", products.len());
    let mut codes = HashSet::new();
    let mut skus = HashSet::new();
    for p in &products {
        assert!(skus.insert(p.sku.clone()), "duplicate SKU {}", p.sku);
        if let Some(ean) = &p.ean {
            assert!(ean.len() == 13 && gtin::is_valid(ean), "{}: {ean}", p.sku);
            assert!(codes.insert(ean.clone()), "duplicate EAN {ean}");
        }
        for a in &p.aliases {
            assert!(gtin::is_valid(&a.code), "{}: {}", p.sku, a.code);
            assert!(codes.insert(a.code.clone()), "duplicate code {}", a.code);
        }
        assert!(p.price_czk > 0);
    }
    let find = |sku: &str| products.iter().find(|p| p.sku == sku).unwrap();
    let serial: Vec<_> = products.iter().filter(|p| p.needs_serial).collect();
    assert_eq!(serial.len(), 1);
    assert_eq!(serial[0].sku, SKU_SERIAL);
    let no_barcode: Vec<_> = products.iter().filter(|p| p.ean.is_none()).collect();
    assert_eq!(no_barcode.len(), 1);
    assert_eq!(no_barcode[0].sku, SKU_NO_BARCODE);
    let case = find(SKU_CASE);
    assert_eq!(case.aliases.len(), 1);
    assert_eq!(case.aliases[0].units, CASE_UNITS);
    assert_eq!(CASE_UNITS, 6);
    assert_eq!(case.aliases[0].code.len(), 14);
    // The case code is the same GTIN with packaging indicator 1.
    let ean = case.ean.as_deref().unwrap();
    assert_eq!(&case.aliases[0].code[1..13], &ean[..12]);
    assert_ne!(gtin::to_gtin14(ean), gtin::to_gtin14(&case.aliases[0].code));
}

#[test]
fn special_orders_are_in_place() {
    let orders = demo::generate(1, 50, now());
    let numbers: Vec<String> = Special::ALL.iter().map(|k| demo::special(*k)).collect();
    assert_eq!(
        numbers,
        [
            "CZ250001", "CZ250002", "CZ250003", "CZ250004", "CZ250005", "CZ250006", "CZ250007",
            "CZ250008", "PL250009", "PL250010"
        ]
    );
    for (i, kind) in Special::ALL.into_iter().enumerate() {
        assert_eq!(kind.index(), i);
        let o = order(&orders, kind);
        assert_eq!(o.cancelled, kind == Special::Cancelled, "{kind:?}");
        assert_eq!(
            o.note.as_ref().is_some_and(|n| n.ack_required),
            kind == Special::AckNote,
            "{kind:?}"
        );
    }

    let plain = order(&orders, Special::PlainTwoLines);
    assert_eq!(plain.lines.len(), 2);
    assert!(
        plain
            .lines
            .iter()
            .all(|l| l.quantity == Qty::units(1) && l.ean.is_some())
    );
    assert!(plain.cod.is_none() && plain.note.is_none());

    let many = order(&orders, Special::ManyLines);
    assert!(many.lines.len() >= 25, "{}", many.lines.len());

    assert!(order(&orders, Special::Cancelled).cancelled);

    let ack = order(&orders, Special::AckNote).note.as_ref().unwrap();
    assert!(ack.ack_required && !ack.text.is_empty());

    let serial = order(&orders, Special::SerialNumber);
    assert!(
        serial
            .lines
            .iter()
            .any(|l| l.needs_serial && l.sku == SKU_SERIAL)
    );

    let nobar = order(&orders, Special::NoBarcode);
    assert!(
        nobar
            .lines
            .iter()
            .any(|l| l.ean.is_none() && l.sku == SKU_NO_BARCODE)
    );

    let case = order(&orders, Special::CasePack);
    let line = case.lines.iter().find(|l| l.sku == SKU_CASE).unwrap();
    assert_eq!(line.quantity, Qty::units(12));
    assert_eq!(line.aliases[0].units, 6);

    let cod = order(&orders, Special::CodPickup);
    assert_eq!(cod.shipping.carrier, "zasilkovna");
    assert!(cod.shipping.pickup_point.is_some());
    assert_eq!(cod.cod.as_ref(), Some(&cod.total));
    assert_eq!(cod.total.currency, "CZK");
    assert!(!cod.paid);

    let inpost = order(&orders, Special::InpostLocker);
    assert_eq!(inpost.shipping.carrier, "inpost");
    assert_eq!(inpost.shipping.pickup_point.as_ref().unwrap().id, "KRA01M");
    assert_eq!(inpost.total.currency, "PLN");
    assert_eq!(inpost.customer.country, "PL");

    let multi = order(&orders, Special::MultiQuantity);
    assert!(multi.lines.len() >= 2);
    assert!(multi.lines.iter().all(|l| l.quantity > Qty::units(1)));

    // The other special orders are simple: no COD, nothing cancelled.
    for o in &orders[..demo::SPECIAL_COUNT] {
        assert_eq!(
            o.cod.is_some(),
            o.number == demo::special(Special::CodPickup)
        );
        assert!(o.shipping.cutoff_min.is_some());
        if o.number != demo::special(Special::ManyLines) {
            assert!(
                o.lines.iter().all(|l| l.unit_weight_kg.is_some()),
                "{}",
                o.number
            );
        }
    }
    // The long order also shows products whose weight the shop does not know.
    assert!(many.lines.iter().any(|l| l.unit_weight_kg.is_none()));
}

#[test]
fn names_carry_diacritics() {
    let orders = demo::generate(3, 2_000, now());
    let all: String = orders
        .iter()
        .flat_map(|o| [o.customer.name.as_str(), &o.customer.city])
        .collect();
    for ch in ['ř', 'ž', 'ů', 'Ł', 'ó', 'ź', 'ą', 'ę'] {
        assert!(all.contains(ch), "no {ch} in 2000 customers");
    }
    let specials: String = orders[..demo::SPECIAL_COUNT]
        .iter()
        .map(|o| format!("{} {}|", o.customer.name, o.customer.city))
        .collect();
    for name in [
        "Jiří Dvořák",
        "Łukasz Wiśniewski",
        "Kraków",
        "Ústí nad Labem",
        "Łódź",
    ] {
        assert!(specials.contains(name), "{name} missing: {specials}");
    }
}
