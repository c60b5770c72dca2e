//! `idx_shipments_open`: the shipments the hand-over screen and the tracking poller look
//! at, so they read those records instead of every shipment ever made.
//!
//! Key: one state byte (`r` ready, `d` dispatched without a final carrier status), the
//! carrier code (empty for records from before the carrier was kept), NUL, then the
//! `shipments` key (order key + NUL + big-endian sequence). Value: a copy of the
//! shipment record (a covering index: reading it needs no lookup per entry, which cost
//! more than the full scan when every parcel is ready). Entries are written in the same
//! transaction as the shipment (`Store::save_shipment`) and rebuilt from the `shipments`
//! tree when a schema-1 directory is opened.

use super::{Store, StoreError, decode, seq_key};
use crate::domain::{CarrierStatus, Shipment, ShipmentState};

/// One raw index entry: key and value bytes.
pub type IndexEntry = (Vec<u8>, Vec<u8>);

const READY: u8 = b'r';
const TRAVELLING: u8 = b'd';

/// The `idx_shipments_open` key of a shipment, `None` when it is neither ready nor a
/// dispatched parcel still travelling.
pub fn open_index_key(s: &Shipment) -> Option<Vec<u8>> {
    let tag = match s.state {
        ShipmentState::Ready => READY,
        ShipmentState::Dispatched
            if !s
                .carrier_status
                .as_ref()
                .is_some_and(CarrierStatus::is_closed) =>
        {
            TRAVELLING
        }
        _ => return None,
    };
    let carrier = s.carrier.as_deref().unwrap_or("");
    let mut k = Vec::with_capacity(2 + carrier.len() + s.order_key.len() + 9);
    k.push(tag);
    k.extend_from_slice(carrier.as_bytes());
    k.push(0);
    k.extend_from_slice(&seq_key(&s.order_key, s.seq()));
    Some(k)
}

fn carrier_prefix(tag: u8, carrier: &str) -> Vec<u8> {
    let mut k = vec![tag];
    k.extend_from_slice(carrier.as_bytes());
    k.push(0);
    k
}

impl Store {
    /// Rebuilds `idx_shipments_open` from the `shipments` tree; returns the entries made.
    pub(super) fn rebuild_open_shipments_index(&self) -> Result<usize, StoreError> {
        self.idx_shipments_open.clear().map_err(|e| self.io(e))?;
        let mut batch = sled::Batch::default();
        let mut n = 0;
        for kv in self.shipments.iter() {
            let (k, v) = kv.map_err(|e| self.io(e))?;
            match decode::<Shipment>("shipments", &k, &v) {
                Ok(s) => {
                    if let Some(ik) = open_index_key(&s) {
                        batch.insert(ik, v.as_ref());
                        n += 1;
                    }
                }
                Err(e) => tracing::error!(error = %e, "index rebuild: skipping a damaged shipment"),
            }
        }
        self.idx_shipments_open
            .apply_batch(batch)
            .map_err(|e| self.io(e))?;
        self.db.flush().map_err(|e| self.io(e))?;
        Ok(n)
    }

    /// The records of an index range that pass `keep` (the state and status the entry's
    /// key stands for; anything else is logged and skipped, never trusted).
    fn indexed(
        &self,
        prefix: &[u8],
        keep: impl Fn(&Shipment) -> bool,
    ) -> Result<Vec<Shipment>, StoreError> {
        let mut out = Vec::new();
        for kv in self.idx_shipments_open.scan_prefix(prefix) {
            let (k, v) = kv.map_err(|e| self.io(e))?;
            match decode::<Shipment>("idx_shipments_open", &k, &v) {
                Ok(s) if keep(&s) => out.push(s),
                Ok(_) => tracing::warn!("open shipments index: an entry out of step"),
                Err(e) => tracing::error!(error = %e, "skipping a damaged index entry"),
            }
        }
        Ok(out)
    }

    /// Ready shipments, by carrier code then order key. `carrier`: only that carrier's
    /// (`Some("")`: records that keep no carrier); `None`: every carrier's.
    pub fn ready_shipments(&self, carrier: Option<&str>) -> Result<Vec<Shipment>, StoreError> {
        let prefix = match carrier {
            Some(c) => carrier_prefix(READY, c),
            None => vec![READY],
        };
        let want = carrier.map(str::to_string);
        self.indexed(&prefix, |s| {
            s.state == ShipmentState::Ready
                && want
                    .as_deref()
                    .is_none_or(|c| s.carrier.as_deref().unwrap_or("") == c)
        })
    }

    /// Ready shipments and dispatched ones without a final carrier status: what a
    /// tracking round asks about (ready ones with a final status are left out).
    pub fn travelling_shipments(&self) -> Result<Vec<Shipment>, StoreError> {
        let open = |s: &Shipment| {
            matches!(s.state, ShipmentState::Ready | ShipmentState::Dispatched)
                && !s
                    .carrier_status
                    .as_ref()
                    .is_some_and(CarrierStatus::is_closed)
        };
        let mut out = self.indexed(&[READY], open)?;
        out.extend(self.indexed(&[TRAVELLING], open)?);
        Ok(out)
    }

    /// Every `idx_shipments_open` entry as (key, value), for checks.
    pub fn open_index_entries(&self) -> Result<Vec<IndexEntry>, StoreError> {
        self.idx_shipments_open
            .iter()
            .map(|kv| {
                kv.map(|(k, v)| (k.to_vec(), v.to_vec()))
                    .map_err(|e| self.io(e))
            })
            .collect()
    }
}
