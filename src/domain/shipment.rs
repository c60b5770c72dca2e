//! Shipments as the shop admin shows them: none → ready → dispatched.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a parcel's shipment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShipmentState {
    /// Asked for, not confirmed yet (in the background).
    Pending,
    /// Package id, tracking number and label exist.
    Ready,
    /// Handed over to the carrier.
    Dispatched,
    /// The provider refused or failed; the reason is kept.
    Failed,
    /// Cancelled at the carrier while it was ready (back to *none*: the order may be
    /// shipped again, under a new generation).
    Dropped,
}

/// The carrier's last known status of a parcel (Balikobot TRACKSTATUS).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarrierStatus {
    /// The unified status id as the carrier sent it (`2.2`, `1.2` …); empty when unknown.
    pub id: String,
    /// The carrier's text, sanitized.
    pub text: String,
}

impl CarrierStatus {
    /// Delivered, returned or COD paid out (Balikobot 1.1, 1.2, 4.0, 5.0): the parcel's
    /// journey is over and it is not polled any more.
    pub fn is_closed(&self) -> bool {
        matches!(self.id.trim(), "1.1" | "1.2" | "4" | "4.0" | "5" | "5.0")
    }
}

/// One parcel's shipment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shipment {
    pub order_key: String,
    pub parcel_no: u32,
    pub parcel_count: u32,
    pub provider: String,
    pub state: ShipmentState,
    pub package_id: Option<String>,
    pub tracking_number: Option<String>,
    pub label_path: Option<String>,
    pub weight_kg: f64,
    pub error: Option<String>,
    pub updated_at: DateTime<Utc>,
    /// The carrier code the shipment was created with (`cp`, `ppl` …), for hand-over and
    /// drop. `None` in records written before it was kept.
    #[serde(default)]
    pub carrier: Option<String>,
    /// 0 for the order's first shipment; each confirmed further shipment (or one after a
    /// drop) counts up, so the carrier gets a new `eid` and makes a new package.
    #[serde(default)]
    pub generation: u32,
    /// The carrier's last tracking status (from TRACKSTATUS polling).
    #[serde(default)]
    pub carrier_status: Option<CarrierStatus>,
}

impl Shipment {
    /// A pending shipment with nothing known yet.
    pub fn pending(order_key: &str, parcel_no: u32, parcel_count: u32, provider: &str) -> Shipment {
        Shipment {
            order_key: order_key.to_string(),
            parcel_no,
            parcel_count,
            provider: provider.to_string(),
            state: ShipmentState::Pending,
            package_id: None,
            tracking_number: None,
            label_path: None,
            weight_kg: 0.0,
            error: None,
            updated_at: DateTime::<Utc>::UNIX_EPOCH,
            carrier: None,
            generation: 0,
            carrier_status: None,
        }
    }

    /// The store key's sequence part: parcel number, generation in the high half (the
    /// first generation keeps the key records had before generations existed).
    pub fn seq(&self) -> u64 {
        (u64::from(self.generation) << 32) | u64::from(self.parcel_no)
    }
}
