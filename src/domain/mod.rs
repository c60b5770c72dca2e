//! Pure domain types shared by every part of packdesk. No I/O lives here.

pub mod gtin;
pub mod shipment;
pub mod summary;
pub mod text;

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use shipment::{CarrierStatus, Shipment, ShipmentState};
pub use summary::{Flag, Flags, OrderSummary};

/// The state of an order at the bench, as the queue tabs and `orders list --state` name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    ToPack,
    InProgress,
    Packed,
    Ready,
    Dispatched,
    Exception,
    Cancelled,
    /// In a shop status outside `[status].queue` (on hold, sent elsewhere …): kept in the
    /// store, in no queue tab, not packed here until the shop puts it back.
    Held,
}

impl OrderState {
    pub const ALL: [OrderState; 8] = [
        OrderState::ToPack,
        OrderState::InProgress,
        OrderState::Packed,
        OrderState::Ready,
        OrderState::Dispatched,
        OrderState::Exception,
        OrderState::Cancelled,
        OrderState::Held,
    ];

    /// The wire / command-line name (`to_pack`, `in_progress`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            OrderState::ToPack => "to_pack",
            OrderState::InProgress => "in_progress",
            OrderState::Packed => "packed",
            OrderState::Ready => "ready",
            OrderState::Dispatched => "dispatched",
            OrderState::Exception => "exception",
            OrderState::Cancelled => "cancelled",
            OrderState::Held => "held",
        }
    }

    pub fn parse(s: &str) -> Option<OrderState> {
        OrderState::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

impl fmt::Display for OrderState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An amount of money in minor units (haléře, grosze) with its ISO 4217 currency code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub minor: i64,
    pub currency: String,
}

impl Money {
    pub fn new(minor: i64, currency: &str) -> Money {
        Money {
            minor,
            currency: currency.to_string(),
        }
    }

    /// The amount as a decimal number (for JSON and labels).
    pub fn as_decimal(&self) -> f64 {
        self.minor as f64 / 100.0
    }
}

impl fmt::Display for Money {
    /// `1 234,50 CZK`: Czech and Polish conventions (space thousands, decimal comma).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let neg = self.minor < 0;
        let abs = self.minor.unsigned_abs();
        let whole = abs / 100;
        let frac = abs % 100;
        let digits = whole.to_string();
        let mut grouped = String::new();
        for (i, ch) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push('\u{a0}');
            }
            grouped.push(ch);
        }
        if neg {
            f.write_str("-")?;
        }
        write!(f, "{grouped},{frac:02} {}", self.currency)
    }
}

/// A quantity in thousandths of a unit, so that fractional quantities from shops
/// (1.5 m of cable) are exact. Serialised as a plain JSON number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Qty(pub u64);

impl Qty {
    pub const ZERO: Qty = Qty(0);

    pub fn units(n: u64) -> Qty {
        Qty(n.saturating_mul(1000))
    }

    pub fn from_f64(v: f64) -> Qty {
        if v.is_finite() && v > 0.0 {
            Qty((v * 1000.0).round() as u64)
        } else {
            Qty(0)
        }
    }

    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    pub fn is_whole(self) -> bool {
        self.0.is_multiple_of(1000)
    }

    pub fn saturating_sub(self, other: Qty) -> Qty {
        Qty(self.0.saturating_sub(other.0))
    }
}

impl std::ops::Add for Qty {
    type Output = Qty;
    fn add(self, rhs: Qty) -> Qty {
        Qty(self.0.saturating_add(rhs.0))
    }
}

impl fmt::Display for Qty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_whole() {
            write!(f, "{}", self.0 / 1000)
        } else {
            let s = format!("{:.3}", self.as_f64());
            f.write_str(s.trim_end_matches('0'))
        }
    }
}

impl Serialize for Qty {
    /// A plain number in JSON (`2`, `1.5`); thousandths as an integer in binary formats.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if !s.is_human_readable() {
            s.serialize_u64(self.0)
        } else if self.is_whole() {
            s.serialize_u64(self.0 / 1000)
        } else {
            s.serialize_f64(self.as_f64())
        }
    }
}

impl<'de> Deserialize<'de> for Qty {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Qty, D::Error> {
        if !d.is_human_readable() {
            return Ok(Qty(u64::deserialize(d)?));
        }
        let v = f64::deserialize(d)?;
        Ok(Qty::from_f64(v))
    }
}

/// A postal address; also the recipient of a shipment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Address {
    pub name: String,
    #[serde(default)]
    pub company: String,
    pub street: String,
    pub city: String,
    pub zip: String,
    /// ISO 3166-1 alpha-2, upper case.
    pub country: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
}

/// A pickup point (Zásilkovna/Packeta, Balíkovna, InPost locker …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickupPoint {
    pub id: String,
    pub name: String,
}

/// How the order is to be shipped: the shop's shipping method and the carrier it maps to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Shipping {
    /// Shop shipping method (code, id or name as the shop gives it).
    pub method: String,
    /// Carrier code (`own`, `cp`, `zasilkovna`, `inpost` …).
    pub carrier: String,
    /// Carrier service code (`DR`, `NP` …); may be empty.
    #[serde(default)]
    pub service: String,
    #[serde(default)]
    pub pickup_point: Option<PickupPoint>,
    /// Carrier pickup cut-off, minutes after local midnight (earlier first in the queue).
    #[serde(default)]
    pub cutoff_min: Option<u16>,
}

/// A code on the product other than its EAN: a case barcode counting `units`, an old EAN,
/// a supplier code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alias {
    pub code: String,
    pub units: u32,
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub sku: String,
    /// EAN/UPC/GTIN as the shop gives it; `None` for a product without a barcode.
    pub ean: Option<String>,
    pub name: String,
    pub quantity: Qty,
    #[serde(default)]
    pub unit_weight_kg: Option<f64>,
    #[serde(default)]
    pub needs_serial: bool,
    #[serde(default)]
    pub aliases: Vec<Alias>,
    #[serde(default)]
    pub unit_price: Option<Money>,
}

/// A note on the order; `ack_required` blocks scanning until the packer acknowledges it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub text: String,
    pub ack_required: bool,
}

/// An order as imported from a shop (or the demo). The bench's own progress lives in the
/// pack session, not here: this is the upstream snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    /// Where it came from: `demo`, `upgates`, `baselinker`.
    pub source: String,
    /// The shop's order number, as printed on the packing slip and scanned at the bench.
    pub number: String,
    /// The shop's internal id when it differs from the number (BaseLinker `order_id`).
    #[serde(default)]
    pub shop_id: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Higher is more urgent (express, VIP).
    #[serde(default)]
    pub priority: u8,
    pub customer: Address,
    pub shipping: Shipping,
    pub total: Money,
    #[serde(default)]
    pub cod: Option<Money>,
    #[serde(default)]
    pub paid: bool,
    #[serde(default)]
    pub note: Option<Note>,
    pub lines: Vec<Line>,
    /// The shop's own status (id or name).
    #[serde(default)]
    pub shop_status: String,
    #[serde(default)]
    pub cancelled: bool,
    #[serde(default)]
    pub flags: Vec<String>,
    /// Bumped whenever the upstream order changes after import; an open pack session made
    /// against an older revision is outdated.
    #[serde(default)]
    pub revision: u64,
}

/// The [`Order::flags`] entry of an order whose shop status is outside `[status].queue`
/// (set by the sync's status mapping, see `shop::status`).
pub const NOT_QUEUED: &str = "not_queued";

impl Order {
    /// Whether the shop status keeps this order out of the queue (not cancelled, but not
    /// in a status packed here either).
    pub fn not_queued(&self) -> bool {
        self.flags.iter().any(|f| f == NOT_QUEUED)
    }

    /// The key of this order in the store: `source:number`.
    pub fn key(&self) -> String {
        format!("{}:{}", self.source, self.number)
    }

    pub fn item_count(&self) -> Qty {
        self.lines.iter().fold(Qty::ZERO, |a, l| a + l.quantity)
    }

    /// Sum of the known unit weights (kg); lines without a weight count zero.
    pub fn expected_weight_kg(&self) -> f64 {
        self.lines
            .iter()
            .map(|l| l.unit_weight_kg.unwrap_or(0.0) * l.quantity.as_f64())
            .sum()
    }
}
