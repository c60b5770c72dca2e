//! The outbox: a durable queue of remote operations and the worker that drains it
//! (DESIGN.md §2 "Remote work goes through the outbox").
//!
//! Every change to another system (a shipment, a shop status, a history line, a note, a
//! drop, a hand-over) is written here first — flushed to disk, under an idempotency key —
//! and only then tried by a [`Worker`]. Trees (one sled database per data directory):
//!
//! | tree | key | value |
//! |---|---|---|
//! | `outbox` | id (big-endian `u64`, monotonic) | [`Entry`]: operation, state, attempts, last error |
//! | `outbox_keys` | idempotency key | id (big-endian); `\0next_id` holds the next id |
//! | `labels` | SHA-256 of the PDF (hex) | legacy: label PDFs of older versions, moved at open |
//!
//! Fetched labels live in the data directory's [`crate::docs::LabelStore`] (content-addressed
//! files, linked to order + parcel), the one label store of the station: a reprint reads
//! them there and never calls the carrier. Labels a previous version kept in the `labels`
//! tree are moved there (and linked to their shipments) when the outbox is opened.
//!
//! Values are one version byte followed by JSON, like the rest of the store.
//!
//! One worker per outbox: the in-flight claim is not shared between processes (sled lets
//! one process open a data directory anyway).

pub mod batching;
mod worker;

#[cfg(test)]
mod tests;

pub use worker::{Frugal, OutboxEvent, Worker, WorkerOptions};

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sled::Transactional;
use tokio::sync::Notify;

use crate::carrier::{CreatedShipment, Handover, ShipmentRequest};
use crate::domain::text::sanitize;
use crate::shop::{NoteMode, OrderUpdate};
use crate::store::{Store, StoreError};

/// The queue tree.
pub const TREE: &str = "outbox";
/// Idempotency key → id.
pub const KEYS_TREE: &str = "outbox_keys";
/// Label PDFs by SHA-256 (legacy: read through and migrated to the label store).
pub const LABELS_TREE: &str = "labels";
/// Reserved key of `outbox_keys` holding the next id (idempotency keys never start with NUL).
const NEXT_ID: &[u8] = b"\0next_id";
const VALUE_VERSION: u8 = 1;

/// A remote operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Operation {
    /// Create one parcel's shipment, then fetch and keep its label.
    CreateShipment {
        order_key: String,
        parcel_no: u32,
        parcel_count: u32,
        /// Boxed: it is far larger than the other operations.
        req: Box<ShipmentRequest>,
    },
    /// Status and/or tracking number of one order (batched with the others).
    PushStatus(OrderUpdate),
    /// A line in the order's history.
    AddHistory { order: OrderUpdate, text: String },
    /// The order's internal note.
    SetNote {
        order: OrderUpdate,
        text: String,
        mode: NoteMode,
    },
    /// Cancel a shipment that was not handed over.
    DropShipment { carrier: String, package_id: String },
    /// Hand packages over to the carrier (Balikobot ORDER).
    Handover {
        carrier: String,
        package_ids: Vec<String>,
    },
    /// BaseLinker's pick / pack flags of one order (`None` leaves a flag as it is).
    SetPickPack {
        order: OrderUpdate,
        pick: Option<bool>,
        pack: Option<bool>,
    },
}

fn flag(f: Option<bool>) -> &'static str {
    match f {
        Some(true) => "1",
        Some(false) => "0",
        None => "-",
    }
}

fn short_hash(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    hex(&h.finalize()[..8])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Operation {
    /// The idempotency key: enqueueing an operation whose key is already in the outbox is
    /// a no-op. `ship:<eid>`, `status:<number>:<status>:<tracking>`,
    /// `history:<number>:<hash>`, `note:<number>:<mode>:<hash>`,
    /// `drop:<carrier>:<package>`, `handover:<carrier>:<hash of the sorted ids>`.
    pub fn idempotency_key(&self) -> String {
        match self {
            Operation::CreateShipment { req, .. } => format!("ship:{}", req.eid),
            Operation::PushStatus(u) => format!(
                "status:{}:{}:{}",
                u.number,
                u.status.as_deref().unwrap_or("-"),
                u.tracking_number.as_deref().unwrap_or("-")
            ),
            Operation::AddHistory { order, text } => {
                format!("history:{}:{}", order.number, short_hash(&[text]))
            }
            Operation::SetNote { order, text, mode } => {
                let mode = match mode {
                    NoteMode::Append => "append",
                    NoteMode::Overwrite => "overwrite",
                };
                format!("note:{}:{mode}:{}", order.number, short_hash(&[text]))
            }
            Operation::DropShipment {
                carrier,
                package_id,
            } => format!("drop:{carrier}:{package_id}"),
            Operation::Handover {
                carrier,
                package_ids,
            } => {
                let mut ids: Vec<&str> = package_ids.iter().map(String::as_str).collect();
                ids.sort_unstable();
                format!("handover:{carrier}:{}", short_hash(&ids))
            }
            Operation::SetPickPack { order, pick, pack } => {
                format!("pickpack:{}:{}:{}", order.number, flag(*pick), flag(*pack))
            }
        }
    }

    /// Operations in one lane run one at a time, oldest first (notes of one order, a
    /// shipment and its drop, the hand-overs of one carrier).
    pub(crate) fn lane(&self) -> String {
        match self {
            Operation::CreateShipment { req, .. } => format!("ship:{}", req.eid),
            Operation::PushStatus(_) => worker::BATCH_LANE.to_string(),
            Operation::AddHistory { order, .. }
            | Operation::SetNote { order, .. }
            | Operation::SetPickPack { order, .. } => format!("order:{}", order.number),
            Operation::DropShipment { package_id, .. } => format!("package:{package_id}"),
            Operation::Handover { carrier, .. } => format!("handover:{carrier}"),
        }
    }

    /// A one-line description for the TUI ("shipment 2024001 parcel 1/2").
    pub fn describe(&self) -> String {
        let text = match self {
            Operation::CreateShipment {
                order_key,
                parcel_no,
                parcel_count,
                req,
            } => format!(
                "shipment {order_key} parcel {parcel_no}/{parcel_count} ({} {})",
                req.carrier, req.service
            ),
            Operation::PushStatus(u) => {
                let mut parts = vec![format!("shop update {}", u.number)];
                if let Some(s) = &u.status {
                    parts.push(format!("status {s}"));
                }
                if let Some(t) = &u.tracking_number {
                    parts.push(format!("tracking {t}"));
                }
                parts.join(", ")
            }
            Operation::AddHistory { order, .. } => format!("history line on {}", order.number),
            Operation::SetNote { order, mode, .. } => match mode {
                NoteMode::Append => format!("note added to {}", order.number),
                NoteMode::Overwrite => format!("note replaced on {}", order.number),
            },
            Operation::DropShipment {
                carrier,
                package_id,
            } => format!("drop {carrier} package {package_id}"),
            Operation::Handover {
                carrier,
                package_ids,
            } => format!("hand-over of {} {carrier} parcels", package_ids.len()),
            Operation::SetPickPack { order, pick, pack } => format!(
                "pick/pack state of {} (pick {}, pack {})",
                order.number,
                flag(*pick),
                flag(*pack)
            ),
        };
        sanitize(&text)
    }
}

/// Where an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryState {
    /// Waiting (for its first try or its next one at `next_attempt_at`).
    Pending,
    /// Being tried now. Found like this at start-up, it is treated as ambiguous.
    InFlight,
    Done,
    /// Failed for good (the reason is in `last_error`); a supervisor may retry or cancel.
    Failed,
    /// Cancelled by a supervisor.
    Cancelled,
}

impl EntryState {
    /// `pending`, `in_flight`, `done`, `failed`, `cancelled`.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryState::Pending => "pending",
            EntryState::InFlight => "in_flight",
            EntryState::Done => "done",
            EntryState::Failed => "failed",
            EntryState::Cancelled => "cancelled",
        }
    }

    fn is_open(self) -> bool {
        matches!(self, EntryState::Pending | EntryState::InFlight)
    }
}

/// A stored label: look its bytes up with [`Outbox::label`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelRef {
    /// SHA-256 of the PDF, lowercase hex (the key in the `labels` tree).
    pub sha256: String,
    pub size: usize,
}

/// What a created shipment left behind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentResult {
    pub created: CreatedShipment,
    /// `None` until the label was fetched.
    pub label: Option<LabelRef>,
}

/// The result of a finished operation, where it has one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OpResult {
    Shipment(ShipmentResult),
    Handover(Handover),
}

/// One queued operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub id: u64,
    pub key: String,
    pub op: Operation,
    pub state: EntryState,
    /// Tries so far (reset by a supervisor's retry).
    pub attempts: u32,
    /// The last failure, as a packer can read it; the reason when `Failed`.
    pub last_error: Option<String>,
    pub next_attempt_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The last try may have been applied without us hearing the answer: reconcile first.
    #[serde(default)]
    pub ambiguous: bool,
    #[serde(default)]
    pub result: Option<OpResult>,
    /// What enqueued it when that is part of its key (a rule execution's occurrence and
    /// action, see [`Outbox::enqueue_from`]); `None` for the bench's own operations and
    /// entries older than this field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

impl Entry {
    /// The shipment result of a `CreateShipment`, once created.
    pub fn shipment(&self) -> Option<&ShipmentResult> {
        match &self.result {
            Some(OpResult::Shipment(s)) => Some(s),
            _ => None,
        }
    }
}

/// Which entries [`Outbox::list`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    All,
    /// What a supervisor looks at: pending, in flight and failed.
    Attention,
    Only(EntryState),
}

impl Filter {
    fn matches(self, s: EntryState) -> bool {
        match self {
            Filter::All => true,
            Filter::Attention => matches!(
                s,
                EntryState::Pending | EntryState::InFlight | EntryState::Failed
            ),
            Filter::Only(x) => x == s,
        }
    }
}

/// Entries per state (for the status bar).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub pending: usize,
    pub in_flight: usize,
    pub done: usize,
    pub failed: usize,
    pub cancelled: usize,
}

/// What went wrong with the outbox.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("outbox storage error in {dir}: {source}")]
    Io {
        dir: PathBuf,
        #[source]
        source: sled::Error,
    },
    #[error("damaged record in tree `{tree}` at key {key}: {detail}")]
    Corrupt {
        tree: &'static str,
        key: String,
        detail: String,
    },
    #[error("outbox entry {id} does not exist")]
    NotFound { id: u64 },
    #[error(transparent)]
    Label(#[from] crate::docs::LabelStoreError),
    #[error("outbox entry {id} is {state}: cannot {action} it")]
    NotAllowed {
        id: u64,
        state: &'static str,
        action: &'static str,
    },
}

fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    let mut out = vec![VALUE_VERSION];
    // Our own plain data types always serialise; an empty record is caught on read.
    if let Err(e) = serde_json::to_writer(&mut out, v) {
        tracing::error!(error = %e, "outbox: encoding a record failed");
    }
    out
}

fn decode_entry(key: &[u8], bytes: &[u8]) -> Result<Entry, OutboxError> {
    let corrupt = |detail: String| OutboxError::Corrupt {
        tree: TREE,
        key: <[u8; 8]>::try_from(key)
            .map(|k| u64::from_be_bytes(k).to_string())
            .unwrap_or_else(|_| format!("{key:?}")),
        detail,
    };
    match bytes.split_first() {
        Some((&VALUE_VERSION, body)) => {
            serde_json::from_slice(body).map_err(|e| corrupt(e.to_string()))
        }
        Some((v, _)) => Err(corrupt(format!("unknown value version {v}"))),
        None => Err(corrupt("empty value".into())),
    }
}

fn id_from(bytes: &[u8], key: &str) -> Result<u64, OutboxError> {
    <[u8; 8]>::try_from(bytes)
        .map(u64::from_be_bytes)
        .map_err(|_| OutboxError::Corrupt {
            tree: KEYS_TREE,
            key: sanitize(key),
            detail: format!("{} bytes instead of 8", bytes.len()),
        })
}

struct Inner {
    dir: PathBuf,
    tree: sled::Tree,
    keys: sled::Tree,
    labels: sled::Tree,
    /// The station's one label store (files in the data directory).
    label_store: crate::docs::LabelStore,
    /// Pending and in-flight entries (the worker's view), guarded together with writes.
    open: Mutex<BTreeMap<u64, Entry>>,
    /// Entries that could not be read at open (what and why), for the supervisor.
    damaged: Vec<String>,
    wake: Notify,
    /// When the worker plans to send the waiting status updates (batching), if they wait.
    batch_due: Mutex<Option<DateTime<Utc>>>,
}

/// The durable queue. Cheap to clone; all clones share one queue.
#[derive(Clone)]
pub struct Outbox {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox")
            .field("dir", &self.inner.dir)
            .finish_non_exhaustive()
    }
}

impl Outbox {
    /// Opens the outbox trees of `store`. A damaged entry does not stop the bench: it is
    /// logged, left untouched on disk and listed by [`Outbox::damaged`].
    pub fn open(store: &Store) -> Result<Outbox, OutboxError> {
        let tree = store.open_tree(TREE)?;
        let keys = store.open_tree(KEYS_TREE)?;
        let labels = store.open_tree(LABELS_TREE)?;
        let mut open = BTreeMap::new();
        let mut damaged = Vec::new();
        for kv in tree.iter() {
            let (k, v) = kv.map_err(|e| OutboxError::Io {
                dir: store.dir().to_path_buf(),
                source: e,
            })?;
            match decode_entry(&k, &v) {
                Ok(e) if e.state.is_open() => {
                    open.insert(e.id, e);
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(error = %e, "outbox: damaged entry left untouched");
                    damaged.push(e.to_string());
                }
            }
        }
        let label_store = crate::docs::LabelStore::open(store.dir())?;
        let outbox = Outbox {
            inner: Arc::new(Inner {
                dir: store.dir().to_path_buf(),
                tree,
                keys,
                labels,
                label_store,
                open: Mutex::new(open),
                damaged,
                wake: Notify::new(),
                batch_due: Mutex::new(None),
            }),
        };
        outbox.migrate_labels();
        Ok(outbox)
    }

    /// Moves labels an older version kept in the `labels` tree into the label store and
    /// links every finished shipment that has none linked yet. A label that cannot be
    /// moved stays in the tree (still read through by [`Outbox::label`]) and is logged.
    fn migrate_labels(&self) {
        let inner = &self.inner;
        let mut moved = 0usize;
        for kv in inner.labels.iter() {
            let Ok((k, v)) = kv else { continue };
            let key = String::from_utf8_lossy(&k).into_owned();
            match inner.label_store.put(&v) {
                Ok(hash) if hash == key => {
                    if let Err(e) = inner.labels.remove(&k) {
                        tracing::warn!(error = %e, "label migration: cannot clear the old copy");
                    }
                    moved += 1;
                }
                Ok(hash) => {
                    tracing::warn!(%key, %hash, "label migration: stored label does not match its key; kept")
                }
                Err(e) => {
                    tracing::warn!(error = %e, "label migration: label kept in the outbox tree")
                }
            }
        }
        if moved > 0 {
            tracing::info!(
                moved,
                "labels moved from the outbox tree to the label store"
            );
        }
        // Links: every created shipment with a label, where the parcel has no link yet.
        for kv in inner.tree.iter() {
            let Ok((k, v)) = kv else { continue };
            let Ok(e) = decode_entry(&k, &v) else {
                continue;
            };
            let (
                Operation::CreateShipment {
                    order_key,
                    parcel_no,
                    ..
                },
                Some(ShipmentResult { label: Some(l), .. }),
            ) = (&e.op, e.shipment())
            else {
                continue;
            };
            if matches!(inner.label_store.linked(order_key, *parcel_no), Ok(None))
                && matches!(inner.label_store.path(&l.sha256), Ok(Some(_)))
                && let Err(err) = inner.label_store.link(order_key, *parcel_no, &l.sha256)
            {
                tracing::warn!(error = %err, "label migration: cannot link a label");
            }
        }
    }

    /// The station's label store (the same one `packdesk doc labels` and reprint read).
    pub fn label_store(&self) -> &crate::docs::LabelStore {
        &self.inner.label_store
    }

    fn io(&self, e: sled::Error) -> OutboxError {
        OutboxError::Io {
            dir: self.inner.dir.clone(),
            source: e,
        }
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<u64, Entry>> {
        self.inner.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds an operation, flushed to disk before it returns, and wakes the worker. An
    /// operation whose idempotency key is already present (in any state) is not added
    /// again: the existing id is returned.
    pub fn enqueue(&self, op: Operation) -> Result<u64, OutboxError> {
        self.enqueue_keyed(op, None)
    }

    /// Like [`Outbox::enqueue`], but the idempotency key also carries `origin` (a rule
    /// execution's occurrence key and action index): the same origin enqueueing the same
    /// operation again (a resumed execution) is deduplicated, another origin (a new
    /// occurrence of the event) adds it again. Key: `<idempotency key>@<hash of origin>`.
    pub fn enqueue_from(&self, op: Operation, origin: &str) -> Result<u64, OutboxError> {
        self.enqueue_keyed(op, Some(origin))
    }

    fn enqueue_keyed(&self, op: Operation, origin: Option<&str>) -> Result<u64, OutboxError> {
        let key = match origin {
            None => op.idempotency_key(),
            Some(o) => format!("{}@{}", op.idempotency_key(), short_hash(&[o])),
        };
        let mut open = self.lock();
        if let Some(v) = self
            .inner
            .keys
            .get(key.as_bytes())
            .map_err(|e| self.io(e))?
        {
            return id_from(&v, &key);
        }
        let last = self
            .inner
            .tree
            .last()
            .map_err(|e| self.io(e))?
            .and_then(|(k, _)| <[u8; 8]>::try_from(k.as_ref()).ok())
            .map_or(0, u64::from_be_bytes);
        let stored = match self.inner.keys.get(NEXT_ID).map_err(|e| self.io(e))? {
            Some(v) => id_from(&v, "next_id")?,
            None => 1,
        };
        let id = stored.max(last + 1);
        let now = Utc::now();
        let entry = Entry {
            id,
            key: key.clone(),
            op,
            state: EntryState::Pending,
            attempts: 0,
            last_error: None,
            next_attempt_at: now,
            created_at: now,
            updated_at: now,
            ambiguous: false,
            result: None,
            origin: origin.map(str::to_string),
        };
        let value = encode(&entry);
        (&self.inner.tree, &self.inner.keys)
            .transaction(|(t, k)| {
                t.insert(&id.to_be_bytes(), value.as_slice())?;
                k.insert(key.as_bytes(), &id.to_be_bytes())?;
                k.insert(NEXT_ID, &(id + 1).to_be_bytes())?;
                Ok::<(), sled::transaction::ConflictableTransactionError<()>>(())
            })
            .map_err(|e| match e {
                sled::transaction::TransactionError::Storage(s) => self.io(s),
                sled::transaction::TransactionError::Abort(()) => OutboxError::Corrupt {
                    tree: TREE,
                    key: id.to_string(),
                    detail: "enqueue transaction aborted".into(),
                },
            })?;
        open.insert(id, entry);
        drop(open);
        self.inner.tree.flush().map_err(|e| self.io(e))?;
        tracing::debug!(id, key = %key, "outbox: enqueued");
        self.inner.wake.notify_one();
        Ok(id)
    }

    /// Entries found damaged at open, one message each (id and what is wrong). They are
    /// never tried; a supervisor must look at them.
    pub fn damaged(&self) -> &[String] {
        &self.inner.damaged
    }

    /// One entry by id.
    pub fn get(&self, id: u64) -> Result<Option<Entry>, OutboxError> {
        match self
            .inner
            .tree
            .get(id.to_be_bytes())
            .map_err(|e| self.io(e))?
        {
            Some(v) => decode_entry(&id.to_be_bytes(), &v).map(Some),
            None => Ok(None),
        }
    }

    /// The entry holding an idempotency key.
    pub fn find_key(&self, key: &str) -> Result<Option<Entry>, OutboxError> {
        match self
            .inner
            .keys
            .get(key.as_bytes())
            .map_err(|e| self.io(e))?
        {
            Some(v) => self.get(id_from(&v, key)?),
            None => Ok(None),
        }
    }

    /// Entries matching `filter`, oldest first. Damaged entries are skipped and logged.
    pub fn list(&self, filter: Filter) -> Result<Vec<Entry>, OutboxError> {
        let mut out = Vec::new();
        for kv in self.inner.tree.iter() {
            let (k, v) = kv.map_err(|e| self.io(e))?;
            match decode_entry(&k, &v) {
                Ok(e) if filter.matches(e.state) => out.push(e),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "outbox: skipping a damaged entry"),
            }
        }
        Ok(out)
    }

    /// How many entries are in each state.
    pub fn counts(&self) -> Result<Counts, OutboxError> {
        let mut c = Counts::default();
        for e in self.list(Filter::All)? {
            match e.state {
                EntryState::Pending => c.pending += 1,
                EntryState::InFlight => c.in_flight += 1,
                EntryState::Done => c.done += 1,
                EntryState::Failed => c.failed += 1,
                EntryState::Cancelled => c.cancelled += 1,
            }
        }
        Ok(c)
    }

    /// Supervisor action: try a failed entry again (or a pending one now), with the
    /// backoff started afresh.
    pub fn retry(&self, id: u64) -> Result<(), OutboxError> {
        let mut open = self.lock();
        let mut e = self.get(id)?.ok_or(OutboxError::NotFound { id })?;
        match e.state {
            EntryState::Pending | EntryState::Failed => {}
            s => {
                return Err(OutboxError::NotAllowed {
                    id,
                    state: s.as_str(),
                    action: "retry",
                });
            }
        }
        let now = Utc::now();
        e.state = EntryState::Pending;
        e.attempts = 0;
        e.next_attempt_at = now;
        e.updated_at = now;
        self.write(&mut open, e)?;
        drop(open);
        self.inner.tree.flush().map_err(|e| self.io(e))?;
        tracing::info!(id, "outbox: retry requested");
        self.inner.wake.notify_one();
        Ok(())
    }

    /// Supervisor action: give up on a pending or failed entry.
    pub fn cancel(&self, id: u64) -> Result<(), OutboxError> {
        let mut open = self.lock();
        let mut e = self.get(id)?.ok_or(OutboxError::NotFound { id })?;
        match e.state {
            EntryState::Pending | EntryState::Failed => {}
            s => {
                return Err(OutboxError::NotAllowed {
                    id,
                    state: s.as_str(),
                    action: "cancel",
                });
            }
        }
        e.state = EntryState::Cancelled;
        e.updated_at = Utc::now();
        self.write(&mut open, e)?;
        drop(open);
        self.inner.tree.flush().map_err(|e| self.io(e))?;
        tracing::info!(id, "outbox: cancelled");
        Ok(())
    }

    /// Removes done and cancelled entries last changed before `before`, with their
    /// idempotency keys (so the same operation could be queued again). Returns how many.
    pub fn purge(&self, before: DateTime<Utc>) -> Result<usize, OutboxError> {
        let _open = self.lock();
        let mut n = 0;
        for e in self.list(Filter::All)? {
            if matches!(e.state, EntryState::Done | EntryState::Cancelled) && e.updated_at < before
            {
                self.inner
                    .tree
                    .remove(e.id.to_be_bytes())
                    .map_err(|e| self.io(e))?;
                self.inner
                    .keys
                    .remove(e.key.as_bytes())
                    .map_err(|e| self.io(e))?;
                n += 1;
            }
        }
        self.inner.tree.flush().map_err(|e| self.io(e))?;
        Ok(n)
    }

    /// The label stored under `sha256` (from a [`LabelRef`]): from the label store, or
    /// from the legacy `labels` tree where an older version left it.
    pub fn label(&self, sha256: &str) -> Result<Option<Vec<u8>>, OutboxError> {
        if let Some(b) = self.inner.label_store.get(sha256)? {
            return Ok(Some(b));
        }
        Ok(self
            .inner
            .labels
            .get(sha256.as_bytes())
            .map_err(|e| self.io(e))?
            .map(|v| v.to_vec()))
    }

    /// Keeps a fetched label (PDF or ZPL) in the label store, content-addressed, linked
    /// to parcel `parcel_no` of `order_key`.
    pub(crate) fn store_label(
        &self,
        order_key: &str,
        parcel_no: u32,
        bytes: &[u8],
    ) -> Result<LabelRef, OutboxError> {
        let sha256 = self
            .inner
            .label_store
            .put_for(order_key, parcel_no, bytes)?;
        Ok(LabelRef {
            sha256,
            size: bytes.len(),
        })
    }

    /// Keeps a fetched document that belongs to no parcel (a handover protocol) in the
    /// label store, content-addressed.
    pub(crate) fn store_document(&self, bytes: &[u8]) -> Result<LabelRef, OutboxError> {
        let sha256 = self.inner.label_store.put(bytes)?;
        Ok(LabelRef {
            sha256,
            size: bytes.len(),
        })
    }

    /// Writes an entry and keeps the open-entry view in step (caller holds the lock).
    fn write(&self, open: &mut BTreeMap<u64, Entry>, e: Entry) -> Result<(), OutboxError> {
        self.inner
            .tree
            .insert(e.id.to_be_bytes(), encode(&e))
            .map_err(|e| self.io(e))?;
        if e.state.is_open() {
            open.insert(e.id, e);
        } else {
            open.remove(&e.id);
        }
        Ok(())
    }

    /// Stores a changed entry (not flushed: call [`Outbox::flush`]).
    pub(crate) fn put(&self, e: Entry) -> Result<(), OutboxError> {
        let mut open = self.lock();
        self.write(&mut open, e)
    }

    /// Flushes the database to disk without blocking the runtime.
    pub(crate) async fn flush(&self) -> Result<(), OutboxError> {
        crate::store::flush_tree(&self.inner.tree)
            .await
            .map_err(|e| self.io(e))
    }

    /// Pending and in-flight entries, oldest first.
    pub(crate) fn open_entries(&self) -> Vec<Entry> {
        self.lock().values().cloned().collect()
    }

    /// Marks a pending entry in flight (not flushed). `None` when it is no longer pending
    /// (cancelled meanwhile).
    pub(crate) fn claim(&self, id: u64) -> Result<Option<Entry>, OutboxError> {
        let mut open = self.lock();
        let Some(e) = open.get(&id).filter(|e| e.state == EntryState::Pending) else {
            return Ok(None);
        };
        let mut e = e.clone();
        e.state = EntryState::InFlight;
        e.attempts += 1;
        e.updated_at = Utc::now();
        self.write(&mut open, e.clone())?;
        Ok(Some(e))
    }

    /// Entries left in flight (by a crash, a stop, a panicked task) become pending and
    /// ambiguous: the remote side may have applied them. Returns how many.
    pub(crate) fn recover_in_flight(&self, ids: Option<&[u64]>) -> Result<usize, OutboxError> {
        let mut open = self.lock();
        let stuck: Vec<Entry> = open
            .values()
            .filter(|e| e.state == EntryState::InFlight)
            .filter(|e| ids.is_none_or(|ids| ids.contains(&e.id)))
            .cloned()
            .collect();
        let now = Utc::now();
        for mut e in stuck.iter().cloned() {
            e.state = EntryState::Pending;
            e.ambiguous = true;
            e.next_attempt_at = now;
            e.updated_at = now;
            self.write(&mut open, e)?;
        }
        drop(open);
        self.inner.tree.flush().map_err(|e| self.io(e))?;
        Ok(stuck.len())
    }

    /// When the waiting shop status updates go at the latest (they wait for others to
    /// share a request); `None` when none wait.
    pub fn batch_due(&self) -> Option<DateTime<Utc>> {
        *self
            .inner
            .batch_due
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn set_batch_due(&self, due: Option<DateTime<Utc>>) {
        *self
            .inner
            .batch_due
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = due;
    }

    /// Resolves when something was enqueued or retried since the last call.
    pub(crate) async fn woken(&self) {
        self.inner.wake.notified().await;
    }
}
