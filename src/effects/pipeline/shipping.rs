//! Ready shipments after the label: drop (cancel at the carrier), hand-over per carrier
//! (Balikobot ORDER + the handover protocol) and TRACKSTATUS polling.
//!
//! Drops and hand-overs go through the outbox like every remote change. Which stored
//! shipments an operation concerns is written to the `shipment_ops` tree under the
//! operation's idempotency key *before* the operation is queued, so its outcome finds
//! them again after a restart.
//!
//! Rules hook: [`Pipeline::with_shipment_hook`] hears every [`ShipmentEvent`] —
//! `shipment_dropped`, `dispatched` and `carrier_status_changed` in the rules' words.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Pipeline, StatusPoint};
use crate::app::Msg;
use crate::app::shipping::{HandoverGroup, ShipNote};
use crate::carrier::{Carrier, Handover};
use crate::domain::text::sanitize;
use crate::domain::{CarrierStatus, Shipment, ShipmentState};
use crate::outbox::{Filter, OpResult, Operation};

/// What happened to shipments after their label, for the rules engine.
#[derive(Debug, Clone, PartialEq)]
pub enum ShipmentEvent {
    /// `shipment_dropped`: the carrier cancelled this (ready) shipment.
    Dropped { shipment: Shipment },
    /// `dispatched`: these parcels were handed over to `carrier` (its hand-over id).
    Dispatched {
        carrier: String,
        handover_id: String,
        shipments: Vec<Shipment>,
    },
    /// `carrier_status_changed`: the carrier reports a new status for the parcel.
    CarrierStatusChanged {
        shipment: Shipment,
        previous: Option<CarrierStatus>,
    },
}

/// Receives [`ShipmentEvent`]s (called from background tasks; must not block long).
pub type ShipmentHook = Arc<dyn Fn(&ShipmentEvent) + Send + Sync>;

/// Tree: idempotency key of a drop / hand-over → the shipments it concerns.
const OPS_TREE: &str = "shipment_ops";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ShipRef {
    order_key: String,
    parcel_no: u32,
    generation: u32,
}

/// The carrier `eid` of a parcel: `<order>-<parcel>` for the first shipment,
/// `<order>-<parcel>-g<n>` for the n-th further one.
pub fn eid_for(number: &str, parcel_no: u32, generation: u32) -> String {
    if generation == 0 {
        format!("{number}-{parcel_no}")
    } else {
        format!("{number}-{parcel_no}-g{generation}")
    }
}

/// The generation a `CreateShipment` was queued for (from its `eid`).
pub(super) fn generation_of(op: &Operation) -> u32 {
    match op {
        Operation::CreateShipment { req, .. } => req
            .eid
            .rsplit_once("-g")
            .and_then(|(_, n)| n.parse().ok())
            .unwrap_or(0),
        _ => 0,
    }
}

/// The rule events of a shipment event, each with an occurrence id that is stable for
/// that one drop, hand-over or carrier status (so a rule runs once for it).
fn rule_events(ev: &ShipmentEvent) -> Vec<crate::rules::Event> {
    use crate::rules::{Event, EventKind};
    let package = |s: &Shipment| s.package_id.clone().unwrap_or_default();
    match ev {
        ShipmentEvent::Dropped { shipment } => vec![Event::new(
            EventKind::ShipmentDropped,
            &shipment.order_key,
            &format!("{}:{}", shipment.parcel_no, package(shipment)),
        )],
        ShipmentEvent::Dispatched {
            handover_id,
            shipments,
            ..
        } => {
            let mut orders: Vec<&str> = shipments.iter().map(|s| s.order_key.as_str()).collect();
            orders.sort_unstable();
            orders.dedup();
            orders
                .into_iter()
                .map(|k| Event::new(EventKind::Dispatched, k, handover_id))
                .collect()
        }
        ShipmentEvent::CarrierStatusChanged { shipment, .. } => {
            let status = shipment
                .carrier_status
                .as_ref()
                .map_or("", |c| c.id.as_str());
            vec![Event::new(
                EventKind::CarrierStatusChanged,
                &shipment.order_key,
                &format!("{}:{status}", package(shipment)),
            )]
        }
    }
}

impl Pipeline {
    /// Calls `hook` for every drop, hand-over and carrier status change (after it is
    /// stored). This is where the rules engine's `fire(Event)` plugs in.
    pub fn with_shipment_hook(mut self, hook: ShipmentHook) -> Pipeline {
        self.hook = Some(hook);
        self
    }

    fn emit(&self, ev: ShipmentEvent) {
        for rule_event in rule_events(&ev) {
            self.fire_rule(rule_event);
        }
        if let Some(h) = &self.hook {
            h(&ev);
        }
    }

    /// Carrier and generation of the `CreateShipment` entry `id`.
    pub(super) fn created_with(&self, id: u64) -> (Option<String>, u32) {
        match self.outbox.get(id) {
            Ok(Some(e)) => match &e.op {
                Operation::CreateShipment { req, .. } => {
                    (Some(req.carrier.clone()), generation_of(&e.op))
                }
                _ => (None, 0),
            },
            _ => (None, 0),
        }
    }

    fn remember(&self, key: &str, refs: &[ShipRef]) -> Result<(), String> {
        let tree = self.store.open_tree(OPS_TREE).map_err(|e| e.to_string())?;
        let value = serde_json::to_vec(refs).map_err(|e| e.to_string())?;
        tree.insert(key.as_bytes(), value)
            .map_err(|e| e.to_string())?;
        tree.flush().map_err(|e| e.to_string())?;
        Ok(())
    }

    fn recall(&self, key: &str) -> Vec<ShipRef> {
        self.store
            .open_tree(OPS_TREE)
            .ok()
            .and_then(|t| t.get(key.as_bytes()).ok().flatten())
            .and_then(|v| serde_json::from_slice(&v).ok())
            .unwrap_or_default()
    }

    fn number_of(&self, order_key: &str) -> String {
        self.store
            .order(order_key)
            .ok()
            .flatten()
            .map_or_else(|| order_key.to_string(), |o| o.number)
    }

    /// Queues the drop of every *ready* shipment of the order (read from the store).
    /// Returns how many were queued; refuses when a parcel is already dispatched.
    pub fn drop_shipments(&self, order_key: &str) -> Result<usize, String> {
        let all = self.store.shipments(order_key).map_err(|e| e.to_string())?;
        let mut n = 0;
        for s in all.iter().filter(|s| s.state == ShipmentState::Ready) {
            let Some(package_id) = s.package_id.clone() else {
                continue;
            };
            let carrier = s.carrier.clone().unwrap_or_default();
            let op = Operation::DropShipment {
                carrier,
                package_id,
            };
            self.remember(
                &op.idempotency_key(),
                &[ShipRef {
                    order_key: s.order_key.clone(),
                    parcel_no: s.parcel_no,
                    generation: s.generation,
                }],
            )?;
            self.outbox.enqueue(op).map_err(|e| e.to_string())?;
            n += 1;
        }
        Ok(n)
    }

    /// Package ids already in a hand-over that has not finished.
    fn in_handover(&self) -> HashSet<String> {
        self.outbox
            .list(Filter::Attention)
            .unwrap_or_default()
            .into_iter()
            .filter(|e| e.state != crate::outbox::EntryState::Failed)
            .filter_map(|e| match e.op {
                Operation::Handover { package_ids, .. } => Some(package_ids),
                _ => None,
            })
            .flatten()
            .collect()
    }

    /// Ready parcels that may be handed over, per carrier code (from the open shipments
    /// index; `carrier`: only that carrier's).
    fn ready_by_carrier(
        &self,
        carrier: Option<&str>,
    ) -> Result<BTreeMap<String, Vec<Shipment>>, String> {
        let err = |e: crate::store::StoreError| e.to_string();
        let ready = match carrier {
            None => self.store.ready_shipments(None).map_err(err)?,
            Some(c) => {
                let mut v = self.store.ready_shipments(Some(c)).map_err(err)?;
                // Records from before the carrier was kept count as the provider's.
                if c == self.provider && !c.is_empty() {
                    v.extend(self.store.ready_shipments(Some("")).map_err(err)?);
                }
                v
            }
        };
        let busy = if ready.is_empty() {
            HashSet::new()
        } else {
            self.in_handover()
        };
        let mut by: BTreeMap<String, Vec<Shipment>> = BTreeMap::new();
        for s in ready {
            let Some(pid) = &s.package_id else { continue };
            if busy.contains(pid) {
                continue;
            }
            let carrier = s.carrier.clone().unwrap_or_else(|| self.provider.clone());
            by.entry(carrier).or_default().push(s);
        }
        Ok(by)
    }

    /// The hand-over screen's list: ready parcels grouped by carrier.
    pub fn handover_groups(&self) -> Result<Vec<HandoverGroup>, String> {
        Ok(self
            .ready_by_carrier(None)?
            .into_iter()
            .map(|(carrier, list)| {
                let keys: BTreeSet<&str> = list.iter().map(|s| s.order_key.as_str()).collect();
                let orders: BTreeSet<String> =
                    keys.into_iter().map(|k| self.number_of(k)).collect();
                HandoverGroup {
                    carrier: sanitize(&carrier),
                    parcels: list.len(),
                    orders: orders.into_iter().map(|o| sanitize(&o)).collect(),
                }
            })
            .collect())
    }

    /// Queues the hand-over (ORDER) of every ready parcel of `carrier`. Returns the
    /// number of parcels and the outbox entry id.
    pub fn handover(&self, carrier: &str) -> Result<(usize, u64), String> {
        let mut by = self.ready_by_carrier(Some(carrier))?;
        let list = by.remove(carrier).unwrap_or_default();
        if list.is_empty() {
            return Err(format!(
                "no ready {} parcels to hand over",
                sanitize(carrier)
            ));
        }
        let mut package_ids: Vec<String> =
            list.iter().filter_map(|s| s.package_id.clone()).collect();
        package_ids.sort();
        let refs: Vec<ShipRef> = list
            .iter()
            .map(|s| ShipRef {
                order_key: s.order_key.clone(),
                parcel_no: s.parcel_no,
                generation: s.generation,
            })
            .collect();
        let op = Operation::Handover {
            carrier: carrier.to_string(),
            package_ids,
        };
        self.remember(&op.idempotency_key(), &refs)?;
        let id = self.outbox.enqueue(op).map_err(|e| e.to_string())?;
        Ok((list.len(), id))
    }

    /// At start: drops and hand-overs the outbox finished while the bench was not
    /// listening (their shipments still say *ready*) are brought into the store.
    pub(super) fn catch_up_shipment_ops(&self) -> Vec<Msg> {
        let mut msgs = Vec::new();
        for e in self.outbox.list(Filter::All).unwrap_or_default() {
            let finished = match (&e.op, e.state, &e.result) {
                (Operation::DropShipment { .. }, crate::outbox::EntryState::Done, _) => true,
                (Operation::Handover { .. }, crate::outbox::EntryState::Done, _) => true,
                // Handed over, but the protocol download failed for good.
                (
                    Operation::Handover { .. },
                    crate::outbox::EntryState::Failed,
                    Some(OpResult::Handover(_)),
                ) => true,
                _ => false,
            };
            if !finished {
                continue;
            }
            let stale = self.recall(&e.key).iter().any(|r| {
                self.shipment(&r.order_key, r.parcel_no, r.generation).state == ShipmentState::Ready
            });
            if stale {
                let error = (e.state == crate::outbox::EntryState::Failed)
                    .then(|| e.last_error.clone().unwrap_or_default());
                msgs.extend(self.on_finished(e.id, error.as_deref()));
            }
        }
        msgs
    }

    /// A drop or hand-over finished (`error`: failed for good).
    pub(super) fn on_finished(&self, id: u64, error: Option<&str>) -> Vec<Msg> {
        let Ok(Some(entry)) = self.outbox.get(id) else {
            return Vec::new();
        };
        match &entry.op {
            Operation::DropShipment { .. } => {
                let refs = self.recall(&entry.key);
                let mut msgs = Vec::new();
                for r in refs {
                    let number = self.number_of(&r.order_key);
                    if let Some(e) = error {
                        msgs.push(Msg::ShipNote(ShipNote::DropRefused {
                            number,
                            error: sanitize(e),
                        }));
                        continue;
                    }
                    let mut sh = self.shipment(&r.order_key, r.parcel_no, r.generation);
                    sh.state = ShipmentState::Dropped;
                    sh.error = None;
                    sh.updated_at = chrono::Utc::now();
                    if let Err(e) = self.store.save_shipment(&sh) {
                        tracing::error!(error = %e, "saving a dropped shipment failed");
                    }
                    msgs.push(Msg::Shipment(Box::new(sh.clone())));
                    msgs.push(Msg::ShipNote(ShipNote::Dropped {
                        number,
                        parcel: sh.parcel_no,
                    }));
                    self.emit(ShipmentEvent::Dropped { shipment: sh });
                }
                msgs
            }
            Operation::Handover { carrier, .. } => {
                let handover = match &entry.result {
                    Some(OpResult::Handover(h)) => Some(h.clone()),
                    _ => None,
                };
                match handover {
                    Some(h) => self.handed_over(&entry.key, carrier, &h, error),
                    None => vec![Msg::ShipNote(ShipNote::HandoverFailed {
                        carrier: sanitize(carrier),
                        error: sanitize(error.unwrap_or("no answer")),
                    })],
                }
            }
            _ => Vec::new(),
        }
    }

    /// The parcels of a finished hand-over become dispatched; the protocol is stored in
    /// the data dir and printed; the shop gets the *dispatched* status.
    fn handed_over(&self, key: &str, carrier: &str, h: &Handover, error: Option<&str>) -> Vec<Msg> {
        let mut msgs = Vec::new();
        let mut done = Vec::new();
        let mut orders = BTreeSet::new();
        for r in self.recall(key) {
            let mut sh = self.shipment(&r.order_key, r.parcel_no, r.generation);
            if sh.state == ShipmentState::Dispatched {
                continue;
            }
            sh.state = ShipmentState::Dispatched;
            sh.updated_at = chrono::Utc::now();
            if let Err(e) = self.store.save_shipment(&sh) {
                tracing::error!(error = %e, "saving a dispatched shipment failed");
            }
            orders.insert(r.order_key.clone());
            msgs.push(Msg::Shipment(Box::new(sh.clone())));
            done.push(sh);
        }
        for key in &orders {
            if let Ok(Some(o)) = self.store.order(key)
                && let Err(e) = self.push_status(&o, StatusPoint::Dispatched, None)
            {
                tracing::error!(error = %e, "queueing the dispatched status failed");
            }
        }
        let protocol = self.keep_protocol(carrier, h);
        if let (Some(path), Some(p)) = (protocol.clone(), self.printing.clone()) {
            let key = format!("handover:{carrier}:{}", h.order_id);
            tokio::spawn(async move {
                if let Err(e) = p
                    .document(&path, crate::print::DocKind::Handover, &key)
                    .await
                {
                    tracing::error!(error = %e, "queueing the handover protocol print failed");
                }
            });
        }
        if !done.is_empty() {
            msgs.push(Msg::ShipNote(ShipNote::HandedOver {
                carrier: sanitize(carrier),
                parcels: done.len(),
                handover_id: sanitize(&h.order_id),
                protocol: protocol.map(|p| p.display().to_string()),
                warning: error.map(sanitize),
            }));
            self.emit(ShipmentEvent::Dispatched {
                carrier: carrier.to_string(),
                handover_id: h.order_id.clone(),
                shipments: done,
            });
        }
        msgs
    }

    /// The carrier's hand-over protocol (PDF, as kept in the label store when the
    /// hand-over finished) of the newest finished hand-over with one of this order's
    /// parcels; `None` when its parcels were not handed over (or the carrier gave no
    /// protocol).
    pub fn handover_protocol(&self, order_key: &str) -> Result<Option<Vec<u8>>, String> {
        let ids: HashSet<String> = self
            .store
            .shipments(order_key)
            .map_err(|e| e.to_string())?
            .into_iter()
            .filter_map(|s| s.package_id)
            .collect();
        if ids.is_empty() {
            return Ok(None);
        }
        let entries = self
            .outbox
            .list(Filter::Only(crate::outbox::EntryState::Done))
            .map_err(|e| e.to_string())?;
        let sha = entries.iter().rev().find_map(|e| match (&e.op, &e.result) {
            (Operation::Handover { package_ids, .. }, Some(OpResult::Handover(h)))
                if package_ids.iter().any(|p| ids.contains(p)) =>
            {
                h.protocol.clone()
            }
            _ => None,
        });
        match sha {
            Some(sha) => self.outbox.label(&sha).map_err(|e| e.to_string()),
            None => Ok(None),
        }
    }

    /// Writes the kept protocol PDF to `<data dir>/handover/`; its path, if there is one.
    fn keep_protocol(&self, carrier: &str, h: &Handover) -> Option<PathBuf> {
        let sha = h.protocol.as_deref()?;
        let bytes = match self.outbox.label(sha) {
            Ok(Some(b)) => b,
            Ok(None) => return None,
            Err(e) => {
                tracing::error!(error = %e, "reading the handover protocol failed");
                return None;
            }
        };
        let safe = |s: &str| -> String {
            s.chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect()
        };
        let id = if h.order_id.is_empty() {
            sha.chars().take(12).collect()
        } else {
            safe(&h.order_id)
        };
        let path = self
            .store
            .dir()
            .join("handover")
            .join(format!("handover-{}-{id}.pdf", safe(carrier)));
        match crate::carrier::own::write_atomically(&path, &bytes) {
            Ok(()) => Some(path),
            Err(e) => {
                tracing::error!(error = %e, path = %path.display(), "writing the handover protocol failed");
                None
            }
        }
    }

    /// One TRACKSTATUS round: every ready or dispatched parcel with a tracking number and
    /// no final status, batched per carrier. Changes are stored and returned as messages.
    pub async fn poll_tracking(&self, carrier: &dyn Carrier) -> Vec<Msg> {
        let all = match self.store.travelling_shipments() {
            Ok(v) => v,
            Err(e) => {
                tracing::error!(error = %e, "tracking: reading shipments failed");
                return Vec::new();
            }
        };
        let mut by: BTreeMap<String, Vec<Shipment>> = BTreeMap::new();
        for s in all {
            let open = matches!(s.state, ShipmentState::Ready | ShipmentState::Dispatched)
                && s.tracking_number.is_some()
                && !s
                    .carrier_status
                    .as_ref()
                    .is_some_and(CarrierStatus::is_closed);
            if let (true, Some(c)) = (open, s.carrier.clone()) {
                by.entry(c).or_default().push(s);
            }
        }
        let batch = carrier.track_batch().max(1);
        let mut msgs = Vec::new();
        for (code, list) in by {
            for chunk in list.chunks(batch) {
                let ids: Vec<String> = chunk
                    .iter()
                    .filter_map(|s| s.tracking_number.clone())
                    .collect();
                let answer = match carrier.track(&code, &ids).await {
                    Ok(a) => a,
                    Err(e) => {
                        tracing::warn!(carrier = %code, error = %e, "tracking: TRACKSTATUS failed");
                        continue;
                    }
                };
                for (sh, st) in chunk.iter().zip(answer) {
                    if st.status_id.is_empty() {
                        // No tracking data yet (or the carrier's side is down).
                        continue;
                    }
                    let new = CarrierStatus {
                        id: sanitize(&st.status_id),
                        text: sanitize(&st.text),
                    };
                    if sh.carrier_status.as_ref() == Some(&new) {
                        continue;
                    }
                    // Re-read: a hand-over or drop may have changed it meanwhile.
                    let mut fresh = self.shipment(&sh.order_key, sh.parcel_no, sh.generation);
                    let previous = fresh.carrier_status.replace(new.clone());
                    fresh.updated_at = chrono::Utc::now();
                    if let Err(e) = self.store.save_shipment(&fresh) {
                        tracing::error!(error = %e, "tracking: saving a status failed");
                        continue;
                    }
                    msgs.push(Msg::CarrierStatus(Box::new(fresh.clone())));
                    self.emit(ShipmentEvent::CarrierStatusChanged {
                        shipment: fresh,
                        previous,
                    });
                }
            }
        }
        msgs
    }

    /// Polls the carrier every `every` (nothing when zero) and sends the changes to `tx`.
    pub fn spawn_tracking(
        &self,
        carrier: Arc<dyn Carrier>,
        every: Duration,
        tx: tokio::sync::mpsc::UnboundedSender<Msg>,
    ) -> Option<tokio::task::JoinHandle<()>> {
        if every.is_zero() {
            return None;
        }
        let me = self.clone();
        Some(tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            // The first tick is immediate: start one period later.
            tick.tick().await;
            loop {
                tick.tick().await;
                for m in me.poll_tracking(carrier.as_ref()).await {
                    if tx.send(m).is_err() {
                        return;
                    }
                }
            }
        }))
    }
}
