//! Shipment providers: the `Carrier` trait, the own-label provider, Balikobot and
//! BaseLinker couriers.

pub mod balikobot;
pub mod baselinker;
pub mod own;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::domain::{Address, Money, PickupPoint};

/// Everything a provider needs to create one parcel's shipment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShipmentRequest {
    /// Idempotency key: order number + parcel number (Balikobot `eid`).
    pub eid: String,
    pub order_number: String,
    /// Shop-side id when it differs (BaseLinker `order_id`).
    pub shop_id: Option<String>,
    /// Carrier code (`cp`, `ppl`, `zasilkovna`, `inpost` …) and service (`DR`, `NP` …).
    pub carrier: String,
    pub service: String,
    pub recipient: Address,
    pub pickup_point: Option<PickupPoint>,
    pub cod: Option<Money>,
    /// Variable symbol for COD (usually the order number's digits).
    pub variable_symbol: Option<String>,
    pub value: Option<Money>,
    pub weight_kg: f64,
    pub parcel_no: u32,
    pub parcel_count: u32,
    pub note: Option<String>,
}

/// A created shipment: what the shop admin shows as *ready*.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedShipment {
    pub package_id: String,
    pub tracking_number: String,
    /// Where the provider offers the label (URL), when it does not return bytes.
    pub label_url: Option<String>,
}

/// A hand-over (Balikobot ORDER) result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handover {
    pub order_id: String,
    pub protocol_url: Option<String>,
    /// SHA-256 of the handover protocol PDF once it is fetched and kept in the outbox's
    /// document store (`Outbox::label`); `None` before, or when the carrier has none.
    #[serde(default)]
    pub protocol: Option<String>,
}

/// A carrier's tracking status for one package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackStatus {
    pub package_id: String,
    pub status_id: String,
    pub text: String,
}

/// What went wrong talking to a carrier. Never carries a secret.
#[derive(Debug, thiserror::Error)]
pub enum CarrierError {
    #[error("{provider}: cannot reach {url}: {reason}")]
    Unreachable {
        provider: &'static str,
        url: String,
        reason: String,
    },
    /// The request may or may not have been applied (timeout after sending):
    /// reconcile before retrying.
    #[error("{provider}: no answer in time; the shipment may exist: {reason}")]
    Ambiguous {
        provider: &'static str,
        reason: String,
    },
    #[error("{provider}: credentials refused (HTTP {status})")]
    Auth { provider: &'static str, status: u16 },
    /// The carrier refused the data; `fields` are packer-readable messages such as
    /// "recipient ZIP invalid".
    #[error("{provider}: shipment refused: {}", .fields.join("; "))]
    Rejected {
        provider: &'static str,
        fields: Vec<String>,
    },
    #[error("{provider}: {message}")]
    Api {
        provider: &'static str,
        status: u16,
        message: String,
    },
    #[error("{provider}: unexpected answer: {detail}")]
    Decode {
        provider: &'static str,
        detail: String,
    },
}

impl CarrierError {
    pub fn is_transient(&self) -> bool {
        match self {
            CarrierError::Unreachable { .. } | CarrierError::Ambiguous { .. } => true,
            CarrierError::Api { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }
}

/// A shipment provider.
#[async_trait]
pub trait Carrier: Send + Sync {
    /// `own-label`, `balikobot`, `baselinker`.
    fn kind(&self) -> &'static str;
    /// Creates the shipment. A repeat with the same `eid` must not create a second one.
    async fn create(&self, req: &ShipmentRequest) -> Result<CreatedShipment, CarrierError>;
    /// Looks up a shipment created earlier under `eid` (after an ambiguous failure).
    async fn reconcile(
        &self,
        req: &ShipmentRequest,
    ) -> Result<Option<CreatedShipment>, CarrierError>;
    /// The label(s) of these packages as one PDF.
    async fn label(&self, carrier: &str, package_ids: &[String]) -> Result<Vec<u8>, CarrierError>;
    /// Cancels a shipment that has not been handed over.
    async fn drop_shipment(&self, carrier: &str, package_id: &str) -> Result<(), CarrierError>;
    /// Hands the packages over (Balikobot ORDER).
    async fn handover(
        &self,
        carrier: &str,
        package_ids: &[String],
    ) -> Result<Handover, CarrierError>;
    async fn track(
        &self,
        carrier: &str,
        package_ids: &[String],
    ) -> Result<Vec<TrackStatus>, CarrierError>;
    /// After a hand-over that may or may not have happened (a timeout): the hand-over
    /// that took these packages, if one did. `None`: none did, ORDER may be sent again.
    /// Providers without a way to look it up answer `None`.
    async fn reconcile_handover(
        &self,
        _carrier: &str,
        _package_ids: &[String],
    ) -> Result<Option<Handover>, CarrierError> {
        Ok(None)
    }
    /// Downloads a document the provider named by URL (the handover protocol PDF).
    async fn document(&self, url: &str) -> Result<Vec<u8>, CarrierError> {
        Err(CarrierError::Api {
            provider: "carrier",
            status: 404,
            message: format!(
                "{}: this provider serves no documents",
                crate::domain::text::sanitize(url)
            ),
        })
    }
    /// How many tracking numbers one TRACKSTATUS request may carry.
    fn track_batch(&self) -> usize {
        50
    }
}
