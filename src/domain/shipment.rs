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
}
