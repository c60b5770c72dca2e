//! The built-in *own-label* provider, for shops with their own courier: its own tracking
//! number sequence (durable in the store) and a label PDF made with printpdf.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use async_trait::async_trait;

use super::{Carrier, CarrierError, CreatedShipment, Handover, ShipmentRequest, TrackStatus};
use crate::docs::{LabelData, own_label_pdf};
use crate::domain::gtin;
use crate::store::Store;

const PROVIDER: &str = "own-label";

/// Own-label shipments: tracking numbers `PD` + 10 digits + a GS1 mod-10 check digit.
pub struct OwnLabel {
    store: Store,
    out_dir: PathBuf,
    sender: String,
    /// eid → created shipment, so a repeat of the same eid does not make a second one.
    created: Mutex<HashMap<String, CreatedShipment>>,
}

impl OwnLabel {
    pub fn new(store: Store, out_dir: &Path, sender: &str) -> OwnLabel {
        OwnLabel {
            store,
            out_dir: out_dir.to_path_buf(),
            sender: sender.to_string(),
            created: Mutex::new(HashMap::new()),
        }
    }

    /// The label file of one parcel: `<out>/<order>-<parcel>.pdf`.
    pub fn label_path(&self, order_number: &str, parcel_no: u32) -> PathBuf {
        label_file(&self.out_dir, order_number, parcel_no)
    }

    /// Renders and writes the label of `req` with `tracking`; returns the file path.
    pub fn write_label(
        &self,
        req: &ShipmentRequest,
        tracking: &str,
    ) -> Result<PathBuf, CarrierError> {
        let data = LabelData {
            order_number: req.order_number.clone(),
            parcel_no: req.parcel_no,
            parcel_count: req.parcel_count,
            tracking_number: tracking.to_string(),
            carrier: req.carrier.clone(),
            service: req.service.clone(),
            sender: self.sender.clone(),
            recipient: req.recipient.clone(),
            pickup_point: req.pickup_point.clone(),
            cod: req.cod.clone(),
            weight_kg: Some(req.weight_kg),
        };
        let pdf = own_label_pdf(&data).map_err(|e| CarrierError::Api {
            provider: PROVIDER,
            status: 0,
            message: format!("label for {}: {e}", req.order_number),
        })?;
        let path = self.label_path(&req.order_number, req.parcel_no);
        write_atomically(&path, &pdf).map_err(|e| CarrierError::Api {
            provider: PROVIDER,
            status: 0,
            message: format!("cannot write label {}: {e}", path.display()),
        })?;
        Ok(path)
    }
}

/// Where a parcel's label is written: `<out>/<order>-<parcel>.pdf`, the order number
/// reduced to characters that are safe in a file name.
pub fn label_file(out_dir: &Path, order_number: &str, parcel_no: u32) -> PathBuf {
    let safe = crate::docs::order_docs::safe_name(order_number);
    out_dir.join(format!("{safe}-{parcel_no}.pdf"))
}

/// Writes `bytes` to `path` through a temporary name, so that a printer watching the
/// directory never sees half a file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("part");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

/// `PD` + the sequence as 10 digits + check digit.
pub fn tracking_number(seq: u64) -> String {
    let body = format!("{:010}", seq % 10_000_000_000);
    let check = gtin::check_digit(&body).unwrap_or(0);
    format!("PD{body}{check}")
}

#[async_trait]
impl Carrier for OwnLabel {
    fn kind(&self) -> &'static str {
        PROVIDER
    }

    async fn create(&self, req: &ShipmentRequest) -> Result<CreatedShipment, CarrierError> {
        if let Some(done) = self.reconcile(req).await? {
            return Ok(done);
        }
        let seq = self
            .store
            .next_sequence("own-label")
            .map_err(|e| CarrierError::Api {
                provider: PROVIDER,
                status: 0,
                message: e.to_string(),
            })?;
        let tracking = tracking_number(seq);
        let path = self.write_label(req, &tracking)?;
        let created = CreatedShipment {
            package_id: tracking.clone(),
            tracking_number: tracking,
            label_url: Some(path.display().to_string()),
        };
        if let Ok(mut m) = self.created.lock() {
            m.insert(req.eid.clone(), created.clone());
        }
        Ok(created)
    }

    async fn reconcile(
        &self,
        req: &ShipmentRequest,
    ) -> Result<Option<CreatedShipment>, CarrierError> {
        Ok(self
            .created
            .lock()
            .ok()
            .and_then(|m| m.get(&req.eid).cloned()))
    }

    async fn label(&self, _carrier: &str, package_ids: &[String]) -> Result<Vec<u8>, CarrierError> {
        let m = self.created.lock().map_err(|_| CarrierError::Api {
            provider: PROVIDER,
            status: 0,
            message: "label registry poisoned".into(),
        })?;
        let first = package_ids
            .iter()
            .find_map(|id| m.values().find(|c| &c.package_id == id))
            .and_then(|c| c.label_url.clone())
            .ok_or_else(|| CarrierError::Api {
                provider: PROVIDER,
                status: 404,
                message: format!("no label for {}", package_ids.join(", ")),
            })?;
        std::fs::read(&first).map_err(|e| CarrierError::Api {
            provider: PROVIDER,
            status: 0,
            message: format!("cannot read label {first}: {e}"),
        })
    }

    async fn drop_shipment(&self, _carrier: &str, package_id: &str) -> Result<(), CarrierError> {
        if let Ok(mut m) = self.created.lock() {
            m.retain(|_, c| c.package_id != package_id);
        }
        Ok(())
    }

    async fn handover(
        &self,
        _carrier: &str,
        package_ids: &[String],
    ) -> Result<Handover, CarrierError> {
        Ok(Handover {
            order_id: format!("own-{}", package_ids.len()),
            protocol_url: None,
            protocol: None,
        })
    }

    async fn track(
        &self,
        _carrier: &str,
        _package_ids: &[String],
    ) -> Result<Vec<TrackStatus>, CarrierError> {
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::tracking_number;
    use crate::domain::gtin;

    #[test]
    fn tracking_numbers_carry_a_check_digit() {
        let t = tracking_number(17);
        assert_eq!(t.len(), 13);
        assert!(t.starts_with("PD0000000017"));
        assert!(gtin::check_digit(&t[2..12]).is_some_and(|d| t.ends_with(&d.to_string())));
        assert_ne!(tracking_number(1), tracking_number(2));
    }
}
