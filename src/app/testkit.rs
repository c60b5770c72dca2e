//! Shared by the reducer tests: one small demo order that each test varies.

use crate::domain::{Address, Line, Money, Order, Qty, Shipping};

/// The EAN of the order's one line.
pub(crate) const EAN: &str = "4006381333931";

/// Demo order `number`: one mug (`EAN`, 0.3 kg), 1 000 CZK prepaid, customer Jiří in CZ,
/// carrier `own`, no shop status. Tests change the fields they are about.
pub(crate) fn order(number: &str) -> Order {
    Order {
        source: "demo".into(),
        number: number.into(),
        shop_id: None,
        created_at: chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default(),
        priority: 0,
        customer: Address {
            name: "Jiří".into(),
            country: "CZ".into(),
            ..Address::default()
        },
        shipping: Shipping {
            carrier: "own".into(),
            ..Shipping::default()
        },
        total: Money::new(1000, "CZK"),
        cod: None,
        paid: true,
        note: None,
        lines: vec![Line {
            sku: "MUG".into(),
            ean: Some(EAN.into()),
            name: "Hrnek".into(),
            quantity: Qty::units(1),
            unit_weight_kg: Some(0.3),
            needs_serial: false,
            aliases: vec![],
            unit_price: None,
        }],
        shop_status: String::new(),
        cancelled: false,
        flags: vec![],
        revision: 0,
    }
}
