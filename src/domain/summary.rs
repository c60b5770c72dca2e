//! What the queue needs to know about an order, kept small so 100 000 of them fit in memory.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Money, Order, OrderState, Qty};

/// One row of the queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderSummary {
    pub key: String,
    pub number: String,
    pub state: OrderState,
    /// Milliseconds since the epoch on disk: 100 000 rows load without date parsing.
    #[serde(with = "chrono::serde::ts_milliseconds")]
    pub created_at: DateTime<Utc>,
    pub priority: u8,
    pub cutoff_min: Option<u16>,
    pub carrier: String,
    pub service: String,
    pub items: Qty,
    pub cod: Option<Money>,
    pub country: String,
    pub flags: Flags,
    pub customer: String,
    /// The order's upstream revision (see `Order::revision`).
    #[serde(default)]
    pub revision: u64,
    /// Number, customer, SKUs and EANs in one string, folded to lower-case ASCII
    /// (`Dvořák` → `dvorak`): what `/` filters on.
    pub haystack: String,
    /// The order's shop status (id or name, as [`Order::shop_status`]): the Held tab
    /// shows it. Rows stored before it existed read it as empty (see the store's codec).
    #[serde(default)]
    pub shop_status: String,
}

/// Marks shown in the queue's flags column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    Express,
    Note,
    PickupPoint,
    Serial,
    NoBarcode,
    Cancelled,
}

/// A set of [`Flag`]s in one byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Flags(u8);

impl Flags {
    const ALL: [Flag; 6] = [
        Flag::Express,
        Flag::Note,
        Flag::PickupPoint,
        Flag::Serial,
        Flag::NoBarcode,
        Flag::Cancelled,
    ];

    fn bit(f: Flag) -> u8 {
        1 << (Flags::ALL.iter().position(|x| *x == f).unwrap_or(7) as u8)
    }

    pub fn insert(&mut self, f: Flag) {
        self.0 |= Flags::bit(f);
    }

    pub fn contains(self, f: Flag) -> bool {
        self.0 & Flags::bit(f) != 0
    }

    /// The flags set, in a fixed order.
    pub fn iter(self) -> impl Iterator<Item = Flag> {
        Flags::ALL.into_iter().filter(move |f| self.contains(*f))
    }
}

impl Flag {
    /// A one-letter mark for narrow terminals.
    pub fn mark(self) -> char {
        match self {
            Flag::Express => '!',
            Flag::Note => 'N',
            Flag::PickupPoint => 'P',
            Flag::Serial => 'S',
            Flag::NoBarcode => 'M',
            Flag::Cancelled => 'X',
        }
    }
}

impl OrderSummary {
    /// The summary of a freshly imported order in `state`.
    pub fn of(order: &Order, state: OrderState) -> OrderSummary {
        let mut flags = Flags::default();
        if order.priority > 0 {
            flags.insert(Flag::Express);
        }
        if order.note.is_some() {
            flags.insert(Flag::Note);
        }
        if order.shipping.pickup_point.is_some() {
            flags.insert(Flag::PickupPoint);
        }
        if order.lines.iter().any(|l| l.needs_serial) {
            flags.insert(Flag::Serial);
        }
        if order.lines.iter().any(|l| l.ean.is_none()) {
            flags.insert(Flag::NoBarcode);
        }
        if order.cancelled {
            flags.insert(Flag::Cancelled);
        }
        let mut haystack = format!("{} {}", order.number, order.customer.name);
        for l in &order.lines {
            haystack.push(' ');
            haystack.push_str(&l.sku);
            if let Some(e) = &l.ean {
                haystack.push(' ');
                haystack.push_str(e);
            }
        }
        OrderSummary {
            key: order.key(),
            number: order.number.clone(),
            state,
            created_at: order.created_at,
            priority: order.priority,
            cutoff_min: order.shipping.cutoff_min,
            carrier: order.shipping.carrier.clone(),
            service: order.shipping.service.clone(),
            items: order.item_count(),
            cod: order.cod.clone(),
            country: order.customer.country.clone(),
            flags,
            customer: order.customer.name.clone(),
            revision: order.revision,
            haystack: fold(&haystack),
            shop_status: order.shop_status.clone(),
        }
    }
}

/// Folds text for matching: diacritics removed (`ř` → `r`, `ł` → `l`), lower case, and
/// anything still outside ASCII dropped, so filtering compares plain bytes.
pub fn fold(text: &str) -> String {
    text.chars()
        .map(|c| nucleo_matcher::chars::normalize(nucleo_matcher::chars::to_lower_case(c)))
        .map(|c| match c {
            'ł' => 'l',
            'ß' => 's',
            c if c.is_ascii() && !c.is_ascii_control() => c,
            _ => ' ',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn folds_czech_and_polish() {
        assert_eq!(fold("Jiří Dvořák ŁÓDŹ Zażółć"), "jiri dvorak lodz zazolc");
        assert_eq!(fold("a\u{1b}b"), "a b");
    }
}
