//! Set-up shared by the integration tests that drive the bench through the reducer and the
//! effect runner. Each test crate uses part of it.
#![allow(dead_code)]

pub mod render;

use std::time::{Duration, Instant};

use packdesk::app::{AppState, Msg};
use packdesk::domain::Order;
use packdesk::effects::{Runner, dispatch};
use packdesk::scan::KeyIn;

/// Demo orders a packer can finish with the scanner alone, on Balikobot's carriers.
pub fn packable(orders: &[Order]) -> Vec<Order> {
    orders
        .iter()
        .filter(|o| {
            !o.cancelled
                && o.note.as_ref().is_none_or(|n| !n.ack_required)
                && o.lines
                    .iter()
                    .all(|l| l.ean.is_some() && !l.needs_serial && l.aliases.is_empty())
                && o.shipping.carrier != "inpost"
        })
        .cloned()
        .collect()
}

/// Types `code` as a scanner does, then Enter. The wait puts a repeat of the same code
/// after the 80 ms double-fire window, as a packer's next scan is.
pub fn scan(state: &mut AppState, runner: &Runner, code: &str, start: Instant) {
    for c in code.chars() {
        dispatch(state, runner, Msg::ScanKey(KeyIn::Char(c)), start);
    }
    std::thread::sleep(Duration::from_millis(90));
    dispatch(state, runner, Msg::ScanKey(KeyIn::Enter), start);
}

/// A BaseLinker `getOrders` order in the wire format (Czech customer, one line).
pub fn bl_wire_order(id: i64, confirmed: i64) -> serde_json::Value {
    serde_json::json!({
        "order_id": id, "shop_order_id": id - 1000, "order_status_id": 1051,
        "date_add": confirmed - 60, "date_confirmed": confirmed, "confirmed": true,
        "currency": "CZK", "payment_method_cod": "0", "payment_done": "0",
        "email": format!("zakaznik{id}@example.cz"), "phone": "+420 601 234 567",
        "delivery_method": "PPL", "delivery_price": "89",
        "delivery_fullname": "Petr Svoboda", "delivery_address": "Dlouhá 5",
        "delivery_city": "Praha", "delivery_postcode": "110 00", "delivery_country_code": "CZ",
        "admin_comments": "",
        "products": [{"name": "Hrnek", "sku": "HR-1", "ean": "8594000000019",
                      "price_brutto": "199.00", "quantity": "1", "weight": "0.4"}]
    })
}
