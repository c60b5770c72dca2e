//! What the sync does to each fetched order before it is stored: the shop status decides
//! whether it is packable, cancelled or held (`[status]`, see [`crate::shop::status`]), and
//! the shipping method gives the queue's carrier and service (`[[carrier.map]]`).

use tokio::sync::Mutex;

use crate::config::{CarrierMap, StatusSection, map_shipping};
use crate::domain::Order;
use crate::shop::status::StatusMap;
use crate::shop::{Shop, ShopError};

/// The mapping applied on import. The shop's status list is read once (one request) at
/// the first sync and kept for the worker's life.
#[derive(Debug)]
pub struct ImportMapping {
    status: StatusSection,
    carriers: Vec<CarrierMap>,
    resolved: Mutex<Option<StatusMap>>,
}

impl ImportMapping {
    pub fn new(status: StatusSection, carriers: Vec<CarrierMap>) -> ImportMapping {
        ImportMapping {
            status,
            carriers,
            resolved: Mutex::new(None),
        }
    }

    /// `[status]` (defaults when absent) and `[[carrier.map]]` of a station's config.
    pub fn from_config(config: &crate::config::Config) -> ImportMapping {
        ImportMapping::new(
            config.status.clone().unwrap_or_default(),
            config
                .carrier
                .as_ref()
                .map(|c| c.map.clone())
                .unwrap_or_default(),
        )
    }

    /// The status mapping, reading the shop's status list the first time. Without the
    /// list nothing is imported (a cancelled order must not reach "To pack").
    pub async fn prepare(&self, shop: &dyn Shop) -> Result<StatusMap, ShopError> {
        let mut guard = self.resolved.lock().await;
        if let Some(m) = guard.as_ref() {
            return Ok(m.clone());
        }
        let statuses = shop.statuses().await?;
        let m = StatusMap::new(&self.status, &statuses);
        *guard = Some(m.clone());
        Ok(m)
    }

    /// Applies `map` and the carrier mapping to freshly fetched orders.
    pub fn apply(&self, map: &StatusMap, orders: &mut [Order]) {
        for o in orders {
            map.apply(o);
            if let Some((carrier, service, _)) = map_shipping(&self.carriers, &o.shipping) {
                o.shipping.carrier = carrier;
                o.shipping.service = service;
            }
        }
    }
}
