//! The sled store: trees, key layout, codecs and the schema version (DESIGN.md §5).
//!
//! Values are one version byte followed by JSON, so old data keeps loading after an
//! upgrade. Writes that belong together (a session, its ledger entries and its queue row)
//! go in one transaction, and a pack step is flushed to disk before the bench shows it.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};

use crate::domain::{Order, OrderState, OrderSummary, Shipment, gtin};
use crate::flow::{LedgerEntry, LedgerKind, PackSession};

/// The schema this build writes and reads.
/// 2: the `idx_shipments_open` index of ready and still-travelling shipments
/// (built once from the `shipments` tree when a schema-1 directory is opened).
/// 3: queue rows carry the shop status; held rows get theirs from the order, and rows
/// left "In progress" on an order held or cancelled upstream move out (`rows`).
pub const SCHEMA_VERSION: u32 = 3;
/// Version byte of JSON values.
const VALUE_VERSION: u8 = 1;
/// Version byte of postcard values (queue rows). 3: rows carry the shop status (2 still
/// loads, see `rows`).
const COMPACT_VERSION: u8 = 3;

/// What went wrong with the store. Messages name the data directory and the tree.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "another packdesk holds the data directory {dir}: stop it first, or use another --data-dir"
    )]
    Locked { dir: PathBuf },
    #[error("cannot open the data directory {dir}: {source}")]
    Open {
        dir: PathBuf,
        #[source]
        source: sled::Error,
    },
    #[error("storage error in {dir}: {source}")]
    Io {
        dir: PathBuf,
        #[source]
        source: sled::Error,
    },
    #[error("damaged record in tree `{tree}` at key `{key}`: {detail}")]
    Corrupt {
        tree: &'static str,
        key: String,
        detail: String,
    },
    #[error(
        "the data directory {dir} has schema {found}, newer than this packdesk ({supported}): upgrade packdesk"
    )]
    SchemaTooNew {
        dir: PathBuf,
        found: u32,
        supported: u32,
    },
}

/// An entry of the audit log: who did what, where and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub at: DateTime<Utc>,
    pub station: String,
    pub packer: Option<String>,
    pub order_key: Option<String>,
    /// `opened`, `packed`, `short_packed`, `aborted`, `shipment_ready`, `shipment_failed`,
    /// `packer_set`, `double_fire` …
    pub what: String,
    #[serde(default)]
    pub detail: String,
}

/// The packdesk database of one data directory. Cheap to clone; thread-safe.
#[derive(Clone)]
pub struct Store {
    dir: PathBuf,
    db: sled::Db,
    meta: sled::Tree,
    orders: sled::Tree,
    summaries: sled::Tree,
    sessions: sled::Tree,
    scans: sled::Tree,
    shipments: sled::Tree,
    events: sled::Tree,
    idx_code: sled::Tree,
    idx_open: sled::Tree,
    idx_serial: sled::Tree,
    idx_shipments_open: sled::Tree,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("dir", &self.dir).finish()
    }
}

fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    let mut out = vec![VALUE_VERSION];
    // Serialising our own plain data types to JSON cannot fail (no maps with non-string
    // keys, no failing Serialize impls); an empty record would be caught on read.
    if let Err(e) = serde_json::to_writer(&mut out, v) {
        tracing::error!(error = %e, "encoding a record failed");
    }
    out
}

/// Queue rows in a compact binary form (postcard): 100 000 of them are read at every
/// start, and sled keeps what it read in memory, so their size is the bench's memory.
fn encode_compact<T: Serialize>(v: &T) -> Vec<u8> {
    let out = vec![COMPACT_VERSION];
    match postcard::to_extend(v, out) {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::error!(error = %e, "encoding a record failed");
            vec![COMPACT_VERSION]
        }
    }
}

fn decode<T: DeserializeOwned>(
    tree: &'static str,
    key: &[u8],
    bytes: &[u8],
) -> Result<T, StoreError> {
    let corrupt = |detail: String| StoreError::Corrupt {
        tree,
        key: String::from_utf8_lossy(key).into_owned(),
        detail,
    };
    match bytes.split_first() {
        Some((&VALUE_VERSION, body)) => {
            serde_json::from_slice(body).map_err(|e| corrupt(e.to_string()))
        }
        Some((&COMPACT_VERSION, body)) => {
            postcard::from_bytes(body).map_err(|e| corrupt(e.to_string()))
        }
        Some((v, _)) => Err(corrupt(format!("unknown value version {v}"))),
        None => Err(corrupt("empty value".into())),
    }
}

/// `order key` + NUL + big-endian sequence: ledger entries of one order sort together.
fn seq_key(order_key: &str, seq: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(order_key.len() + 9);
    k.extend_from_slice(order_key.as_bytes());
    k.push(0);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

fn prefix(order_key: &str) -> Vec<u8> {
    let mut k = order_key.as_bytes().to_vec();
    k.push(0);
    k
}

/// Normal form of a code for the lookup index: GTIN-14 for valid GTINs, upper case else.
/// Flushes `tree` to disk from tokio's blocking pool without blocking the runtime.
///
/// Not `sled::Tree::flush_async`: in sled 0.34 that runs the flush on sled's own small
/// thread pool, which also writes the log buffers the flush waits for, so a few flushes at
/// once with a transaction waiting on sled's global lock starve the pool and hang every
/// thread that touches any tree (seen here: tests/outbox.rs hung with all eight sled-io
/// threads parked; sled issue #1308). The blocking `flush` leaves sled's pool free.
pub async fn flush_tree(tree: &sled::Tree) -> sled::Result<()> {
    let tree = tree.clone();
    match tokio::task::spawn_blocking(move || tree.flush()).await {
        Ok(res) => res.map(|_| ()),
        Err(e) => Err(sled::Error::Io(std::io::Error::other(format!(
            "the flush task stopped: {e}"
        )))),
    }
}

pub fn code_index_form(code: &str) -> String {
    gtin::to_gtin14(code).unwrap_or_else(|| code.trim().to_uppercase())
}

impl Store {
    /// Opens (or creates) the store in `dir`. Fails at once with [`StoreError::Locked`]
    /// when another process holds it.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
            dir: dir.to_path_buf(),
            source: sled::Error::Io(e),
        })?;
        // sled releases its file lock from a background thread after the last handle
        // is dropped, so a reopen in the same process can race it: try for a moment
        // before saying another process holds the directory.
        let mut tries = 0;
        let db = loop {
            let attempt = sled::Config::new()
                .path(dir.join("db"))
                .flush_every_ms(Some(200))
                // sled's default page cache is 1 GiB; the bench needs little of it.
                .cache_capacity(8 * 1024 * 1024)
                .open();
            match attempt {
                Ok(db) => break db,
                Err(e) => {
                    let text = e.to_string();
                    let locked =
                        text.contains("could not acquire lock") || text.contains("WouldBlock");
                    if locked && tries < 10 {
                        tries += 1;
                        std::thread::sleep(std::time::Duration::from_millis(30));
                        continue;
                    }
                    return Err(if locked {
                        StoreError::Locked {
                            dir: dir.to_path_buf(),
                        }
                    } else {
                        StoreError::Open {
                            dir: dir.to_path_buf(),
                            source: e,
                        }
                    });
                }
            }
        };
        let io = |e| StoreError::Io {
            dir: dir.to_path_buf(),
            source: e,
        };
        let store = Store {
            dir: dir.to_path_buf(),
            meta: db.open_tree("meta").map_err(io)?,
            orders: db.open_tree("orders").map_err(io)?,
            summaries: db.open_tree("summaries").map_err(io)?,
            sessions: db.open_tree("sessions").map_err(io)?,
            scans: db.open_tree("scans").map_err(io)?,
            shipments: db.open_tree("shipments").map_err(io)?,
            events: db.open_tree("events").map_err(io)?,
            idx_code: db.open_tree("idx_code").map_err(io)?,
            idx_open: db.open_tree("idx_open").map_err(io)?,
            idx_serial: db.open_tree("idx_serial").map_err(io)?,
            idx_shipments_open: db.open_tree("idx_shipments_open").map_err(io)?,
            db,
        };
        store.check_schema()?;
        Ok(store)
    }

    fn io(&self, e: sled::Error) -> StoreError {
        StoreError::Io {
            dir: self.dir.clone(),
            source: e,
        }
    }

    fn check_schema(&self) -> Result<(), StoreError> {
        let found = match self.meta.get("schema_version").map_err(|e| self.io(e))? {
            // A new directory (or one from before the version was written).
            None => 0,
            Some(v) => <[u8; 4]>::try_from(v.as_ref())
                .map(u32::from_be_bytes)
                .map_err(|_| StoreError::Corrupt {
                    tree: "meta",
                    key: "schema_version".into(),
                    detail: format!("{} bytes instead of 4", v.len()),
                })?,
        };
        if found > SCHEMA_VERSION {
            return Err(StoreError::SchemaTooNew {
                dir: self.dir.clone(),
                found,
                supported: SCHEMA_VERSION,
            });
        }
        if found < 2 {
            // Built before the version is raised: a crash in between builds it again.
            let n = self.rebuild_open_shipments_index()?;
            tracing::info!(
                dir = %self.dir.display(),
                from = found,
                indexed = n,
                "store migrated: open shipments index built"
            );
        }
        if found < 3 {
            let n = self.migrate_rows_to_3()?;
            tracing::info!(dir = %self.dir.display(), from = found, rows = n, "store migrated: held rows carry their shop status");
        }
        if found < SCHEMA_VERSION {
            self.meta
                .insert("schema_version", &SCHEMA_VERSION.to_be_bytes())
                .map_err(|e| self.io(e))?;
            self.db.flush().map_err(|e| self.io(e))?;
        }
        Ok(())
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A tree of this database for a module that keeps its own records (`print_queue`,
    /// `photos`, `outbox` …), opened or created.
    pub fn open_tree(&self, name: &str) -> Result<sled::Tree, StoreError> {
        self.db.open_tree(name).map_err(|e| self.io(e))
    }

    /// A new id, unique and increasing also across restarts (sled's `generate_id`).
    pub fn generate_id(&self) -> Result<u64, StoreError> {
        self.db.generate_id().map_err(|e| self.io(e))
    }

    /// True when no order was ever imported.
    pub fn is_empty(&self) -> bool {
        self.orders.is_empty()
    }

    pub fn order_count(&self) -> usize {
        self.orders.len()
    }

    /// Imports (or replaces) orders with their queue rows and code indexes. An order
    /// whose upstream content changed gets its revision bumped, so an open session on it
    /// becomes outdated.
    pub fn import_orders(&self, orders: &[Order]) -> Result<(), StoreError> {
        let mut o_batch = sled::Batch::default();
        let mut s_batch = sled::Batch::default();
        let mut c_batch = sled::Batch::default();
        let mut i_batch = sled::Batch::default();
        for order in orders {
            let key = order.key();
            let mut order = order.clone();
            let existing: Option<Order> = self.order(&key)?;
            let state = match &existing {
                Some(old) => {
                    let mut old_cmp = old.clone();
                    old_cmp.revision = order.revision;
                    if old_cmp != order {
                        order.revision = old.revision + 1;
                    } else {
                        order.revision = old.revision;
                    }
                    self.summary(&key)?.map_or(OrderState::ToPack, |s| s.state)
                }
                None => OrderState::ToPack,
            };
            // Not started here: the shop's status decides (and may put it back). Started
            // but not finished: held or cancelled upstream, it leaves "In progress" (the
            // session stays; the bench refuses to go on with it).
            let state = match state {
                OrderState::InProgress if order.cancelled => OrderState::Cancelled,
                OrderState::InProgress if order.not_queued() => OrderState::Held,
                OrderState::ToPack | OrderState::Cancelled | OrderState::Held => {
                    if order.cancelled {
                        OrderState::Cancelled
                    } else if order.not_queued() {
                        OrderState::Held
                    } else {
                        OrderState::ToPack
                    }
                }
                s => s,
            };
            o_batch.insert(key.as_bytes(), encode(&order));
            s_batch.insert(
                key.as_bytes(),
                encode_compact(&OrderSummary::of(&order, state)),
            );
            i_batch.insert(code_index_form(&order.number).as_bytes(), key.as_bytes());
            if let Some(id) = &order.shop_id {
                i_batch.insert(code_index_form(id).as_bytes(), key.as_bytes());
            }
            for l in &order.lines {
                let mut codes = vec![code_index_form(&l.sku)];
                codes.extend(l.ean.as_deref().map(code_index_form));
                codes.extend(l.aliases.iter().map(|a| code_index_form(&a.code)));
                for c in codes {
                    c_batch.insert(c.as_bytes(), &[]);
                }
            }
        }
        self.orders.apply_batch(o_batch).map_err(|e| self.io(e))?;
        self.summaries
            .apply_batch(s_batch)
            .map_err(|e| self.io(e))?;
        self.idx_code.apply_batch(c_batch).map_err(|e| self.io(e))?;
        self.idx_open.apply_batch(i_batch).map_err(|e| self.io(e))?;
        self.db.flush().map_err(|e| self.io(e))?;
        Ok(())
    }

    pub fn order(&self, key: &str) -> Result<Option<Order>, StoreError> {
        self.get(&self.orders, "orders", key.as_bytes())
    }

    pub fn summary(&self, key: &str) -> Result<Option<OrderSummary>, StoreError> {
        match self.summaries.get(key.as_bytes()).map_err(|e| self.io(e))? {
            Some(v) => rows::decode_row(key.as_bytes(), &v).map(Some),
            None => Ok(None),
        }
    }

    fn get<T: DeserializeOwned>(
        &self,
        tree: &sled::Tree,
        name: &'static str,
        key: &[u8],
    ) -> Result<Option<T>, StoreError> {
        match tree.get(key).map_err(|e| self.io(e))? {
            Some(v) => decode(name, key, &v).map(Some),
            None => Ok(None),
        }
    }

    /// Every queue row. Damaged rows are skipped and reported, never fatal.
    /// Every queue row, one at a time (the queue is built without holding them all).
    pub fn summaries_iter(&self) -> impl Iterator<Item = Result<OrderSummary, StoreError>> + '_ {
        self.summaries.iter().map(|kv| {
            let (k, v) = kv.map_err(|e| self.io(e))?;
            rows::decode_row(&k, &v)
        })
    }

    pub fn summaries(&self) -> Result<(Vec<OrderSummary>, Vec<StoreError>), StoreError> {
        let mut out = Vec::with_capacity(self.summaries.len());
        let mut bad = Vec::new();
        for kv in self.summaries.iter() {
            let (k, v) = kv.map_err(|e| self.io(e))?;
            match rows::decode_row(&k, &v) {
                Ok(s) => out.push(s),
                Err(e) => bad.push(e),
            }
        }
        Ok((out, bad))
    }

    /// The order key a scanned code opens: order number, shop id or tracking number.
    pub fn find_order_key(&self, code: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .idx_open
            .get(code_index_form(code).as_bytes())
            .map_err(|e| self.io(e))?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// Whether any product known to the store has this code (SKU, EAN or alias).
    pub fn code_known(&self, code: &str) -> Result<bool, StoreError> {
        self.idx_code
            .contains_key(code_index_form(code).as_bytes())
            .map_err(|e| self.io(e))
    }

    /// The order that holds this serial number, if any.
    pub fn serial_owner(&self, serial: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .idx_serial
            .get(serial.as_bytes())
            .map_err(|e| self.io(e))?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    pub fn session(&self, key: &str) -> Result<Option<PackSession>, StoreError> {
        self.get(&self.sessions, "sessions", key.as_bytes())
    }

    /// Persists one pack step durably: the session snapshot, its new ledger entries, its
    /// queue row and the serial index, in one transaction, then flushed to disk.
    pub fn save_step(
        &self,
        session: &PackSession,
        ledger: &[LedgerEntry],
        summary: &OrderSummary,
    ) -> Result<(), StoreError> {
        let key = session.order_key.as_bytes();
        let s_val = encode(session);
        let q_val = encode_compact(summary);
        let entries: Vec<(Vec<u8>, Vec<u8>)> = ledger
            .iter()
            .map(|e| (seq_key(&session.order_key, e.seq), encode(e)))
            .collect();
        let res: Result<(), TransactionError<()>> = (
            &self.sessions,
            &self.scans,
            &self.summaries,
            &self.idx_serial,
        )
            .transaction(|(sessions, scans, summaries, serials)| {
                sessions.insert(key, s_val.as_slice())?;
                summaries.insert(key, q_val.as_slice())?;
                for (k, v) in &entries {
                    scans.insert(k.as_slice(), v.as_slice())?;
                }
                for e in ledger {
                    match &e.kind {
                        LedgerKind::Counted {
                            serial: Some(sn), ..
                        } => {
                            serials.insert(sn.as_bytes(), key)?;
                        }
                        LedgerKind::Undone {
                            serial: Some(sn), ..
                        } => {
                            serials.remove(sn.as_bytes())?;
                        }
                        _ => {}
                    }
                }
                Ok::<(), ConflictableTransactionError<()>>(())
            });
        match res {
            Ok(()) => {}
            Err(TransactionError::Storage(e)) => return Err(self.io(e)),
            Err(TransactionError::Abort(())) => {
                return Err(StoreError::Corrupt {
                    tree: "sessions",
                    key: session.order_key.clone(),
                    detail: "transaction aborted".into(),
                });
            }
        }
        self.db.flush().map_err(|e| self.io(e))?;
        Ok(())
    }

    /// Replaces an order's queue row (state changes outside a pack step).
    pub fn save_summary(&self, summary: &OrderSummary) -> Result<(), StoreError> {
        self.summaries
            .insert(summary.key.as_bytes(), encode_compact(summary))
            .map_err(|e| self.io(e))?;
        self.db.flush().map_err(|e| self.io(e))?;
        Ok(())
    }

    /// The pack ledger of one order, in order.
    pub fn ledger(&self, key: &str) -> Result<Vec<LedgerEntry>, StoreError> {
        self.scans
            .scan_prefix(prefix(key))
            .map(|kv| {
                let (k, v) = kv.map_err(|e| self.io(e))?;
                decode("scans", &k, &v)
            })
            .collect()
    }

    /// Remembers which order is open on the bench (restored after a restart).
    pub fn set_open_order(&self, key: Option<&str>) -> Result<(), StoreError> {
        match key {
            Some(k) => self.meta.insert("open_order", k.as_bytes()),
            None => self.meta.remove("open_order"),
        }
        .map_err(|e| self.io(e))?;
        self.db.flush().map_err(|e| self.io(e))?;
        Ok(())
    }

    pub fn open_order(&self) -> Result<Option<String>, StoreError> {
        Ok(self
            .meta
            .get("open_order")
            .map_err(|e| self.io(e))?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// A small value in the `meta` tree (cursors, positions), flushed.
    pub fn meta_set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.meta
            .insert(key.as_bytes(), value)
            .map_err(|e| self.io(e))?;
        self.db.flush().map_err(|e| self.io(e))?;
        Ok(())
    }

    pub fn meta_get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .meta
            .get(key.as_bytes())
            .map_err(|e| self.io(e))?
            .map(|v| v.to_vec()))
    }

    /// The current packer of this station (restored after a restart).
    pub fn set_packer(&self, packer: Option<&str>) -> Result<(), StoreError> {
        match packer {
            Some(p) => self.meta.insert("packer", p.as_bytes()),
            None => self.meta.remove("packer"),
        }
        .map_err(|e| self.io(e))?;
        Ok(())
    }

    pub fn packer(&self) -> Result<Option<String>, StoreError> {
        Ok(self
            .meta
            .get("packer")
            .map_err(|e| self.io(e))?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// The next number of a named sequence (own-label tracking numbers …), durable.
    pub fn next_sequence(&self, name: &str) -> Result<u64, StoreError> {
        let key = format!("seq:{name}");
        let new = self
            .meta
            .update_and_fetch(key.as_bytes(), |old| {
                let n = old
                    .and_then(|b| <[u8; 8]>::try_from(b).ok())
                    .map_or(0, u64::from_be_bytes);
                Some((n + 1).to_be_bytes().to_vec())
            })
            .map_err(|e| self.io(e))?;
        self.db.flush().map_err(|e| self.io(e))?;
        Ok(new
            .and_then(|b| <[u8; 8]>::try_from(b.as_ref()).ok())
            .map_or(1, u64::from_be_bytes))
    }

    /// Stores a parcel's shipment, indexes its tracking number for scan-to-open and
    /// keeps `idx_shipments_open` in step, in one transaction, then flushed.
    pub fn save_shipment(&self, s: &Shipment) -> Result<(), StoreError> {
        self.save_shipments(std::slice::from_ref(s))
    }

    /// [`Store::save_shipment`] for many records (imports, measurements): one
    /// transaction per thousand, one flush at the end.
    pub fn save_shipments(&self, list: &[Shipment]) -> Result<(), StoreError> {
        for chunk in list.chunks(1000) {
            self.save_shipment_chunk(chunk)?;
        }
        self.db.flush().map_err(|e| self.io(e))?;
        Ok(())
    }

    fn save_shipment_chunk(&self, list: &[Shipment]) -> Result<(), StoreError> {
        struct Row<'a> {
            key: Vec<u8>,
            value: Vec<u8>,
            open_key: Option<Vec<u8>>,
            tracking: Option<Vec<u8>>,
            order_key: &'a [u8],
        }
        let rows: Vec<Row> = list
            .iter()
            .map(|s| Row {
                key: seq_key(&s.order_key, s.seq()),
                value: encode(s),
                open_key: open_index_key(s),
                tracking: s
                    .tracking_number
                    .as_deref()
                    .map(|t| code_index_form(t).into_bytes()),
                order_key: s.order_key.as_bytes(),
            })
            .collect();
        let res: Result<(), TransactionError<()>> =
            (&self.shipments, &self.idx_open, &self.idx_shipments_open).transaction(
                |(ships, by_code, open)| {
                    for r in &rows {
                        if let Some(old) = ships.get(r.key.as_slice())? {
                            // A damaged old record leaves no entry we could name; reads
                            // check every entry against its record anyway.
                            if let Some(k) = decode::<Shipment>("shipments", &r.key, &old)
                                .ok()
                                .and_then(|o| open_index_key(&o))
                            {
                                open.remove(k)?;
                            }
                        }
                        ships.insert(r.key.as_slice(), r.value.as_slice())?;
                        if let Some(k) = &r.open_key {
                            open.insert(k.as_slice(), r.value.as_slice())?;
                        }
                        if let Some(t) = &r.tracking {
                            by_code.insert(t.as_slice(), r.order_key)?;
                        }
                    }
                    Ok::<(), ConflictableTransactionError<()>>(())
                },
            );
        match res {
            Ok(()) => Ok(()),
            Err(TransactionError::Storage(e)) => Err(self.io(e)),
            Err(TransactionError::Abort(())) => Err(StoreError::Corrupt {
                tree: "shipments",
                key: list
                    .first()
                    .map(|s| s.order_key.clone())
                    .unwrap_or_default(),
                detail: "transaction aborted".into(),
            }),
        }
    }

    pub fn shipments(&self, order_key: &str) -> Result<Vec<Shipment>, StoreError> {
        self.shipments
            .scan_prefix(prefix(order_key))
            .map(|kv| {
                let (k, v) = kv.map_err(|e| self.io(e))?;
                decode("shipments", &k, &v)
            })
            .collect()
    }

    /// Every stored shipment, in key order: a full scan (the hand-over screen and the
    /// tracking poller use `ready_shipments` / `travelling_shipments` instead). Damaged
    /// records are logged and skipped.
    pub fn all_shipments(&self) -> Result<Vec<Shipment>, StoreError> {
        let mut out = Vec::new();
        for kv in self.shipments.iter() {
            let (k, v) = kv.map_err(|e| self.io(e))?;
            match decode::<Shipment>("shipments", &k, &v) {
                Ok(s) => out.push(s),
                Err(e) => tracing::error!(error = %e, "skipping a damaged shipment record"),
            }
        }
        Ok(out)
    }

    /// Appends to the audit log.
    pub fn append_event(&self, ev: &AuditEvent) -> Result<(), StoreError> {
        let id = self.db.generate_id().map_err(|e| self.io(e))?;
        self.events
            .insert(id.to_be_bytes(), encode(ev))
            .map_err(|e| self.io(e))?;
        Ok(())
    }

    /// The audit log, oldest first.
    pub fn events(&self) -> Result<Vec<AuditEvent>, StoreError> {
        self.events
            .iter()
            .map(|kv| {
                let (k, v) = kv.map_err(|e| self.io(e))?;
                decode("events", &k, &v)
            })
            .collect()
    }

    /// Flushes everything written so far to disk.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.db.flush().map(|_| ()).map_err(|e| self.io(e))
    }
}

mod marks;
mod open_shipments;
mod rows;
pub use open_shipments::open_index_key;

#[cfg(test)]
mod tests;
