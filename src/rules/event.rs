//! Events and their occurrences.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What happened. Names (`packed`, `custom:gift_wrap`) are those of the rules file.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A new order came from the shop.
    OrderFetched,
    /// The order became paid.
    OrderPaid,
    /// The shop status was set (by anyone).
    StatusSet,
    /// The order has been in its shop status for `days` days (checked daily). A rule with
    /// `days = N` accepts every check with `days >= N`; the occurrence id names the status
    /// stint, so the rule still runs once per stint.
    OrderInStatusForDays {
        /// Whole days in the status.
        days: u32,
    },
    /// The order changed upstream after import.
    OrderChangedUpstream,
    /// A shipment was created.
    ShipmentCreated,
    /// A shipment was dropped.
    ShipmentDropped,
    /// The carrier reported a new parcel status.
    CarrierStatusChanged,
    /// Every line is complete.
    Picked,
    /// The parcel(s) were confirmed.
    Packed,
    /// A photo of the parcel was stored.
    PhotoTaken,
    /// The parcels were handed over.
    Dispatched,
    /// A custom event (name without `custom:`, lower case).
    Custom(String),
}

impl EventKind {
    /// The names of the built-in events, as in the rules file.
    pub const BUILTIN: [&'static str; 12] = [
        "order_fetched",
        "order_paid",
        "status_set",
        "order_in_status_for_days",
        "order_changed_upstream",
        "shipment_created",
        "shipment_dropped",
        "carrier_status_changed",
        "picked",
        "packed",
        "photo_taken",
        "dispatched",
    ];

    /// The name in the rules file (`packed`, `custom:gift_wrap`); `days` is not part of it.
    pub fn name(&self) -> String {
        let s = match self {
            EventKind::OrderFetched => "order_fetched",
            EventKind::OrderPaid => "order_paid",
            EventKind::StatusSet => "status_set",
            EventKind::OrderInStatusForDays { .. } => "order_in_status_for_days",
            EventKind::OrderChangedUpstream => "order_changed_upstream",
            EventKind::ShipmentCreated => "shipment_created",
            EventKind::ShipmentDropped => "shipment_dropped",
            EventKind::CarrierStatusChanged => "carrier_status_changed",
            EventKind::Picked => "picked",
            EventKind::Packed => "packed",
            EventKind::PhotoTaken => "photo_taken",
            EventKind::Dispatched => "dispatched",
            EventKind::Custom(name) => return format!("custom:{name}"),
        };
        s.to_string()
    }

    /// Parses an event name; `days` is used for `order_in_status_for_days` only.
    pub fn parse(name: &str, days: u32) -> Option<EventKind> {
        let name = name.trim();
        if let Some(custom) = name.strip_prefix("custom:") {
            return custom_name(custom).map(EventKind::Custom);
        }
        Some(match name {
            "order_fetched" => EventKind::OrderFetched,
            "order_paid" => EventKind::OrderPaid,
            "status_set" => EventKind::StatusSet,
            "order_in_status_for_days" => EventKind::OrderInStatusForDays { days },
            "order_changed_upstream" => EventKind::OrderChangedUpstream,
            "shipment_created" => EventKind::ShipmentCreated,
            "shipment_dropped" => EventKind::ShipmentDropped,
            "carrier_status_changed" => EventKind::CarrierStatusChanged,
            "picked" => EventKind::Picked,
            "packed" => EventKind::Packed,
            "photo_taken" => EventKind::PhotoTaken,
            "dispatched" => EventKind::Dispatched,
            _ => return None,
        })
    }

    /// The custom event a command barcode fires: `PD:EVENT:<name>` (any case).
    pub fn from_barcode(code: &str) -> Option<EventKind> {
        let rest = code.trim();
        let (pd, rest) = rest.split_once(':')?;
        let (word, name) = rest.split_once(':')?;
        if !pd.eq_ignore_ascii_case("PD") || !word.eq_ignore_ascii_case("EVENT") {
            return None;
        }
        custom_name(name).map(EventKind::Custom)
    }

    /// Whether a rule listening to `self` runs for the event `ev`.
    pub(crate) fn accepts(&self, ev: &EventKind) -> bool {
        match (self, ev) {
            (
                EventKind::OrderInStatusForDays { days: need },
                EventKind::OrderInStatusForDays { days },
            ) => days >= need,
            (a, b) => a == b,
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// A valid custom event name (ASCII letters, digits, `_`, `-`; 1–40), in lower case.
pub(crate) fn custom_name(name: &str) -> Option<String> {
    let ok = !name.is_empty()
        && name.len() <= 40
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    ok.then(|| name.to_ascii_lowercase())
}

/// One occurrence of an event for one order. `occurrence` is a stable id: the same
/// happening gets the same id after a restart (`packed:<order key>:<session seq>`), so the
/// rule log can tell a replay from a new occurrence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// The order it happened to.
    pub order_key: String,
    /// The stable occurrence id.
    pub occurrence: String,
}

impl Event {
    /// An occurrence of `kind` for `order_key`; `discriminator` tells this occurrence from
    /// other occurrences of the same event for the same order (a session sequence number,
    /// an audit-log id, the date a status was entered). The id is
    /// `<event name>:<order key>:<discriminator>`.
    pub fn new(kind: EventKind, order_key: &str, discriminator: &str) -> Event {
        let occurrence = format!("{}:{order_key}:{discriminator}", kind.name());
        Event {
            kind,
            order_key: order_key.to_string(),
            occurrence,
        }
    }

    /// `packed` for the pack session step `session_seq` of `order_key`.
    pub fn packed(order_key: &str, session_seq: u64) -> Event {
        Event::new(EventKind::Packed, order_key, &session_seq.to_string())
    }

    /// The custom event `name` fired by rule `rule` while handling `self` (`tag` tells
    /// several firings of one rule apart). Its id derives from `self`'s, so it is stable.
    pub fn follow_up(&self, rule: &str, tag: &str, name: &str) -> Event {
        Event {
            kind: EventKind::Custom(name.to_string()),
            order_key: self.order_key.clone(),
            occurrence: format!("{}/{rule}/{tag}", self.occurrence),
        }
    }
}
