//! Set-up shared by the integration tests that drive the bench through the reducer and the
//! effect runner. Each test crate uses part of it.
#![allow(dead_code)]

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
