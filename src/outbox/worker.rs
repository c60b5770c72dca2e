//! The worker that drains the outbox: one loop that claims due entries, runs them as
//! tokio tasks (several at once, one at a time per lane), batches shop status updates and
//! records every outcome before it reports it.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::batching::{Batching, Pending, Plan};
use super::{
    Entry, EntryState, LabelRef, OpResult, Operation, Outbox, OutboxError, ShipmentResult,
};
use crate::carrier::{Carrier, CarrierError, CreatedShipment, ShipmentRequest};
use crate::domain::text::sanitize;
use crate::shop::{OrderUpdate, Shop, ShopError};

/// The lane of the batched shop status updates.
pub(crate) const BATCH_LANE: &str = "shop:status-batch";
/// Pending status updates that are sent at once without waiting for the window.
const FULL_BATCH: usize = 100;

/// Tuning of a [`Worker`].
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// How long a status update may wait for others to share its request (default 2 s).
    pub batch_window: Duration,
    /// Operations run at once (the status batch not counted; default 4).
    pub concurrency: usize,
    /// First pause after a transient failure; doubles per attempt, with jitter (1 s).
    pub backoff_base: Duration,
    /// Longest pause between attempts (5 min).
    pub backoff_max: Duration,
    /// A try that takes longer is abandoned and treated as ambiguous (120 s).
    pub op_timeout: Duration,
    /// On shutdown, how long running tries may finish; the rest are abandoned and
    /// reconciled at the next start (5 s).
    pub shutdown_grace: Duration,
    /// Stretch the status batch window when the shop's quota runs low (default: below 10
    /// requests left, wait up to 60 s). `None`: always `batch_window`.
    pub frugal: Option<Frugal>,
}

/// A longer batch window for shops with tiny request quotas (Upgates: tens an hour).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frugal {
    /// Applies while the shop reports fewer requests left than this.
    pub below_remaining: u32,
    /// The batch window then.
    pub window: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            batch_window: Duration::from_secs(2),
            concurrency: 4,
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(300),
            op_timeout: Duration::from_secs(120),
            shutdown_grace: Duration::from_secs(5),
            frugal: Some(Frugal {
                below_remaining: 10,
                window: Duration::from_secs(60),
            }),
        }
    }
}

/// What happened to an outbox entry, for the app (the bench turns these into `Msg`s).
/// Every event is sent after the outcome is on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboxEvent {
    /// A parcel's shipment exists; `label` is `None` only when the label could not be
    /// fetched (a `Failed` for the same id follows).
    ShipmentCreated {
        id: u64,
        order_key: String,
        parcel_no: u32,
        created: CreatedShipment,
        label: Option<LabelRef>,
    },
    /// The carrier refused the shipment for good (the message names the field).
    ShipmentFailed {
        id: u64,
        order_key: String,
        parcel_no: u32,
        error: String,
    },
    /// A transient failure; the entry is tried again at `next_attempt_at`.
    Retrying {
        id: u64,
        attempts: u32,
        error: String,
        next_attempt_at: DateTime<Utc>,
    },
    Done {
        id: u64,
    },
    Failed {
        id: u64,
        error: String,
    },
}

type OnEvent = Arc<dyn Fn(OutboxEvent) + Send + Sync>;

/// Drains an [`Outbox`] against a shop and a carrier. Run one per outbox.
pub struct Worker {
    outbox: Outbox,
    shop: Arc<dyn Shop>,
    carrier: Arc<dyn Carrier>,
    on_event: OnEvent,
    opts: WorkerOptions,
    batching: Option<Batching>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("shop", &self.shop.kind())
            .field("carrier", &self.carrier.kind())
            .field("opts", &self.opts)
            .finish_non_exhaustive()
    }
}

/// How one try ended.
enum Failure {
    /// Try again later; `ambiguous`: it may have been applied; `wait`: at least this long
    /// (a rate limit).
    Transient {
        error: String,
        ambiguous: bool,
        wait: Option<Duration>,
    },
    Permanent(String),
}

impl Failure {
    fn from_carrier(e: &CarrierError) -> Failure {
        let error = sanitize(&e.to_string());
        if e.is_transient() {
            Failure::Transient {
                error,
                ambiguous: matches!(e, CarrierError::Ambiguous { .. }),
                wait: None,
            }
        } else {
            Failure::Permanent(error)
        }
    }

    fn from_shop(e: &ShopError) -> Failure {
        let error = sanitize(&e.to_string());
        if e.is_transient() {
            let wait = match e {
                ShopError::RateLimited { retry_after_s, .. } => {
                    Some(Duration::from_secs(*retry_after_s))
                }
                _ => None,
            };
            Failure::Transient {
                error,
                // Shop writes have no reconcile step: status and note writes are idempotent
                // (an append is deduplicated by the client); a history line may repeat.
                ambiguous: false,
                wait,
            }
        } else {
            Failure::Permanent(error)
        }
    }

    fn timeout(what: &str, after: Duration) -> Failure {
        Failure::Transient {
            error: format!("{what}: no answer within {} s", after.as_secs_f64()),
            ambiguous: true,
            wait: None,
        }
    }
}

/// Shared by the loop and its tasks.
struct Ctx {
    outbox: Outbox,
    shop: Arc<dyn Shop>,
    carrier: Arc<dyn Carrier>,
    on_event: OnEvent,
    opts: WorkerOptions,
    batching: Option<Batching>,
    rng: Mutex<ChaCha8Rng>,
    /// When the status batch may be sent again after a failure.
    batch_not_before: Mutex<DateTime<Utc>>,
    /// When the last status batch went (quota pacing, quiet spells).
    batch_last_sent: Mutex<Option<DateTime<Utc>>>,
    /// The orders of the last batch sent after a quiet spell, and when it went: their
    /// later updates (the tracking) follow at once.
    batch_follow_ups: Mutex<(DateTime<Utc>, Vec<String>)>,
}

impl Ctx {
    fn emit(&self, ev: OutboxEvent) {
        (self.on_event)(ev);
    }

    /// Exponential backoff with "equal jitter": half the delay fixed, half random.
    fn backoff(&self, attempts: u32) -> Duration {
        let exp = attempts.saturating_sub(1).min(20);
        let d = self
            .opts
            .backoff_base
            .saturating_mul(1u32 << exp)
            .min(self.opts.backoff_max);
        let half = d / 2;
        let jitter = {
            let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
            rng.random_range(0.0..=1.0)
        };
        half + half.mul_f64(jitter)
    }

    /// Records what the remote side did (no longer ambiguous) and flushes it, before
    /// anything else may happen; `false` (logged) when the store refuses.
    async fn record(&self, e: &mut Entry, result: OpResult, what: &str) -> bool {
        e.result = Some(result);
        e.ambiguous = false;
        e.updated_at = Utc::now();
        let stored = match self.outbox.put(e.clone()) {
            Ok(()) => self.outbox.flush().await,
            Err(err) => Err(err),
        };
        if let Err(err) = &stored {
            tracing::error!(id = e.id, error = %err, "outbox: cannot record {what}");
        }
        stored.is_ok()
    }

    /// The status batch window now: longer while the shop's quota is low.
    fn batch_window(&self) -> Duration {
        match self.opts.frugal {
            Some(f)
                if self
                    .shop
                    .quota()
                    .remaining
                    .is_some_and(|r| r < f.below_remaining) =>
            {
                f.window.max(self.opts.batch_window)
            }
            _ => self.opts.batch_window,
        }
    }

    fn next_attempt(&self, attempts: u32, wait: Option<Duration>) -> DateTime<Utc> {
        let d = self.backoff(attempts).max(wait.unwrap_or_default());
        Utc::now() + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
    }

    /// Records a finished try and reports it. Storage errors are logged: the entry stays
    /// in flight and is reconciled at the next start.
    async fn finish(&self, mut e: Entry, outcome: Result<Option<OpResult>, Failure>) {
        let now = Utc::now();
        e.updated_at = now;
        let mut events = Vec::new();
        match outcome {
            Ok(result) => {
                e.state = EntryState::Done;
                e.last_error = None;
                e.ambiguous = false;
                if result.is_some() {
                    e.result = result;
                }
                if let (
                    Operation::CreateShipment {
                        order_key,
                        parcel_no,
                        ..
                    },
                    Some(OpResult::Shipment(s)),
                ) = (&e.op, &e.result)
                {
                    events.push(OutboxEvent::ShipmentCreated {
                        id: e.id,
                        order_key: order_key.clone(),
                        parcel_no: *parcel_no,
                        created: s.created.clone(),
                        label: s.label.clone(),
                    });
                }
                events.push(OutboxEvent::Done { id: e.id });
            }
            Err(Failure::Transient {
                error,
                ambiguous,
                wait,
            }) => {
                e.state = EntryState::Pending;
                e.ambiguous = ambiguous;
                e.next_attempt_at = self.next_attempt(e.attempts, wait);
                tracing::warn!(id = e.id, attempts = e.attempts, %error, ambiguous, "outbox: will retry");
                events.push(OutboxEvent::Retrying {
                    id: e.id,
                    attempts: e.attempts,
                    error: error.clone(),
                    next_attempt_at: e.next_attempt_at,
                });
                e.last_error = Some(error);
            }
            Err(Failure::Permanent(error)) => {
                e.state = EntryState::Failed;
                e.ambiguous = false;
                tracing::warn!(id = e.id, %error, "outbox: failed for good");
                if let Operation::CreateShipment {
                    order_key,
                    parcel_no,
                    ..
                } = &e.op
                {
                    match e.shipment() {
                        // Created, but the label failed: the shipment exists all the same.
                        Some(s) => events.push(OutboxEvent::ShipmentCreated {
                            id: e.id,
                            order_key: order_key.clone(),
                            parcel_no: *parcel_no,
                            created: s.created.clone(),
                            label: None,
                        }),
                        None => events.push(OutboxEvent::ShipmentFailed {
                            id: e.id,
                            order_key: order_key.clone(),
                            parcel_no: *parcel_no,
                            error: error.clone(),
                        }),
                    }
                }
                events.push(OutboxEvent::Failed {
                    id: e.id,
                    error: error.clone(),
                });
                e.last_error = Some(error);
            }
        }
        let id = e.id;
        if let Err(err) = self.outbox.put(e) {
            tracing::error!(id, error = %err, "outbox: cannot record an outcome");
            return;
        }
        if let Err(err) = self.outbox.flush().await {
            tracing::error!(id, error = %err, "outbox: cannot flush an outcome");
            return;
        }
        for ev in events {
            self.emit(ev);
        }
    }

    /// Bounds one remote call by the operation timeout.
    async fn bounded<T, E>(
        &self,
        what: &str,
        fut: impl Future<Output = Result<T, E>>,
        map: fn(&E) -> Failure,
    ) -> Result<T, Failure> {
        match tokio::time::timeout(self.opts.op_timeout, fut).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(map(&e)),
            Err(_) => Err(Failure::timeout(what, self.opts.op_timeout)),
        }
    }

    /// Runs one claimed (in-flight) entry to its next state.
    async fn run_one(self: Arc<Self>, e: Entry) {
        if let Err(err) = self.outbox.flush().await {
            // Not durable as in flight: do not try it (it stays in flight until restart).
            tracing::error!(id = e.id, error = %err, "outbox: cannot flush before a try");
            return;
        }
        let outcome = match &e.op {
            Operation::CreateShipment { req, .. } => {
                let req = req.clone();
                return self.create_shipment(e, &req).await;
            }
            Operation::AddHistory { order, text } => self
                .bounded(
                    "history",
                    self.shop.add_history(order, text),
                    Failure::from_shop,
                )
                .await
                .map(|()| None),
            Operation::SetNote { order, text, mode } => self
                .bounded(
                    "note",
                    self.shop.set_note(order, text, *mode),
                    Failure::from_shop,
                )
                .await
                .map(|()| None),
            Operation::DropShipment {
                carrier,
                package_id,
            } => self
                .bounded(
                    "drop",
                    self.carrier.drop_shipment(carrier, package_id),
                    Failure::from_carrier,
                )
                .await
                .map(|()| None),
            Operation::Handover {
                carrier,
                package_ids,
            } => {
                let (carrier, ids) = (carrier.clone(), package_ids.clone());
                return self.handover(e, &carrier, &ids).await;
            }
            Operation::SetPickPack { order, pick, pack } => self
                .bounded(
                    "pick/pack state",
                    self.shop.set_pick_pack_state(order, *pick, *pack),
                    Failure::from_shop,
                )
                .await
                .map(|()| None),
            Operation::PushStatus(_) => {
                // Status updates go through `run_batch`; never claimed alone.
                Err(Failure::Permanent(
                    "internal: status update run outside its batch".into(),
                ))
            }
        };
        self.finish(e, outcome).await;
    }

    /// Hand-over (Balikobot ORDER, not idempotent): after an ambiguous try, reconcile
    /// first (OVERVIEW/ORDERVIEW) so the parcels are never ordered twice; the result is on
    /// disk before the protocol PDF is fetched and kept with the labels.
    async fn handover(self: Arc<Self>, mut e: Entry, carrier: &str, ids: &[String]) {
        let known = match &e.result {
            Some(OpResult::Handover(h)) => Some(h.clone()),
            _ => None,
        };
        let mut h = match known {
            Some(h) => h,
            None => {
                let mut found = None;
                let mut checked = false;
                if e.ambiguous {
                    match self
                        .bounded(
                            "hand-over reconcile",
                            self.carrier.reconcile_handover(carrier, ids),
                            Failure::from_carrier,
                        )
                        .await
                    {
                        Ok(f) => {
                            checked = true;
                            if f.is_some() {
                                tracing::info!(
                                    id = e.id,
                                    carrier,
                                    "outbox: hand-over found by reconcile"
                                );
                            }
                            found = f;
                        }
                        Err(f) => return self.finish(e, Err(keep_ambiguous(f))).await,
                    }
                }
                let h = match found {
                    Some(h) => h,
                    None => match self
                        .bounded(
                            "hand-over",
                            self.carrier.handover(carrier, ids),
                            Failure::from_carrier,
                        )
                        .await
                    {
                        Ok(h) => h,
                        Err(f) => {
                            let f = match f {
                                Failure::Permanent(m) if e.ambiguous && !checked => {
                                    Failure::Permanent(format!(
                                        "{m} (an earlier try may have handed the parcels over: check the carrier's hand-overs)"
                                    ))
                                }
                                f if e.ambiguous && !checked => keep_ambiguous(f),
                                f => f,
                            };
                            return self.finish(e, Err(f)).await;
                        }
                    },
                };
                // The hand-over must never be repeated: on disk before anything else.
                if !self
                    .record(&mut e, OpResult::Handover(h.clone()), "a hand-over")
                    .await
                {
                    return;
                }
                h
            }
        };
        if h.protocol.is_none()
            && let Some(url) = h.protocol_url.clone()
        {
            let fetched = self
                .bounded(
                    "handover protocol",
                    self.carrier.document(&url),
                    Failure::from_carrier,
                )
                .await;
            match fetched {
                Ok(bytes) => match self.outbox.store_document(&bytes) {
                    Ok(r) => h.protocol = Some(r.sha256),
                    Err(err) => {
                        let f = Failure::Transient {
                            error: format!("cannot keep the handover protocol: {err}"),
                            ambiguous: false,
                            wait: None,
                        };
                        return self.finish(e, Err(f)).await;
                    }
                },
                Err(Failure::Permanent(m)) => {
                    let f = Failure::Permanent(format!(
                        "handed over (order {}), but the protocol could not be fetched: {m}",
                        sanitize(&h.order_id)
                    ));
                    return self.finish(e, Err(f)).await;
                }
                Err(f) => return self.finish(e, Err(f)).await,
            }
        }
        self.finish(e, Ok(Some(OpResult::Handover(h)))).await;
    }

    /// Create (reconciling first after an ambiguous try), record the shipment at once,
    /// then fetch and keep the label.
    async fn create_shipment(self: Arc<Self>, mut e: Entry, req: &ShipmentRequest) {
        let created = match e.shipment() {
            Some(s) => s.created.clone(),
            None => {
                let mut reconciled = None;
                let mut checked = false;
                if e.ambiguous {
                    match self
                        .bounded(
                            "reconcile",
                            self.carrier.reconcile(req),
                            Failure::from_carrier,
                        )
                        .await
                    {
                        Ok(found) => {
                            checked = true;
                            if found.is_some() {
                                tracing::info!(id = e.id, eid = %req.eid, "outbox: shipment found by reconcile");
                            }
                            reconciled = found;
                        }
                        Err(f) => {
                            let f = keep_ambiguous(f);
                            return self.finish(e, Err(f)).await;
                        }
                    }
                }
                let created = match reconciled {
                    Some(c) => c,
                    None => match self
                        .bounded("create", self.carrier.create(req), Failure::from_carrier)
                        .await
                    {
                        Ok(c) => c,
                        Err(f) => {
                            // Still unresolved when an earlier ambiguity was not checked.
                            let f = if e.ambiguous && !checked {
                                keep_ambiguous(f)
                            } else {
                                f
                            };
                            return self.finish(e, Err(f)).await;
                        }
                    },
                };
                // The package id must never be lost: on disk before anything else.
                let result = OpResult::Shipment(ShipmentResult {
                    created: created.clone(),
                    label: None,
                });
                if !self.record(&mut e, result, "a created shipment").await {
                    return;
                }
                created
            }
        };
        let label = self
            .bounded(
                "label",
                self.carrier
                    .label(&req.carrier, std::slice::from_ref(&created.package_id)),
                Failure::from_carrier,
            )
            .await
            .map_err(|f| match f {
                Failure::Permanent(m) => Failure::Permanent(format!(
                    "shipment {} (tracking {}) created, but its label could not be fetched: {m}",
                    created.package_id, created.tracking_number
                )),
                f => f,
            });
        let (order_key, parcel_no) = match &e.op {
            Operation::CreateShipment {
                order_key,
                parcel_no,
                ..
            } => (order_key.clone(), *parcel_no),
            _ => (String::new(), req.parcel_no),
        };
        let outcome = match label {
            Ok(bytes) => match self.outbox.store_label(&order_key, parcel_no, &bytes) {
                Ok(r) => Ok(Some(OpResult::Shipment(ShipmentResult {
                    created,
                    label: Some(r),
                }))),
                // An error page instead of a label will not get better by keeping it.
                Err(OutboxError::Label(err @ crate::docs::LabelStoreError::NotALabel { .. })) => {
                    Err(Failure::Permanent(format!(
                        "shipment {} (tracking {}) created, but {err}",
                        created.package_id, created.tracking_number
                    )))
                }
                Err(err) => Err(Failure::Transient {
                    error: format!("cannot keep the label: {err}"),
                    ambiguous: false,
                    wait: None,
                }),
            },
            Err(f) => Err(f),
        };
        self.finish(e, outcome).await;
    }

    /// Sends every claimed status update in one `push_updates` call (the client splits it
    /// into requests of at most 100), merged per order oldest first.
    async fn run_batch(self: Arc<Self>, entries: Vec<Entry>) {
        if let Err(err) = self.outbox.flush().await {
            tracing::error!(error = %err, "outbox: cannot flush before a status batch");
            return;
        }
        let mut merged: Vec<OrderUpdate> = Vec::new();
        for e in &entries {
            let Operation::PushStatus(u) = &e.op else {
                continue;
            };
            match merged.iter_mut().find(|m| m.number == u.number) {
                Some(m) => {
                    if u.status.is_some() {
                        m.status.clone_from(&u.status);
                    }
                    if u.tracking_number.is_some() {
                        m.tracking_number.clone_from(&u.tracking_number);
                    }
                    if u.shop_id.is_some() {
                        m.shop_id.clone_from(&u.shop_id);
                    }
                    m.notify |= u.notify;
                }
                None => merged.push(u.clone()),
            }
        }
        tracing::debug!(
            entries = entries.len(),
            orders = merged.len(),
            "outbox: sending a status batch"
        );
        let answer = self
            .bounded(
                "status update",
                self.shop.push_updates(&merged),
                Failure::from_shop,
            )
            .await;
        match answer {
            Ok(outcomes) => {
                let by_number: HashMap<&str, &Result<(), String>> = outcomes
                    .iter()
                    .map(|o| (o.number.as_str(), &o.result))
                    .collect();
                for e in entries {
                    let number = match &e.op {
                        Operation::PushStatus(u) => u.number.clone(),
                        _ => String::new(),
                    };
                    let outcome = match by_number.get(number.as_str()) {
                        Some(Ok(())) => Ok(None),
                        Some(Err(m)) => Err(Failure::Permanent(sanitize(&format!(
                            "{}: order {number}: {m}",
                            self.shop.kind()
                        )))),
                        None => Err(Failure::Transient {
                            error: format!(
                                "{}: no answer for order {number} in the batch",
                                self.shop.kind()
                            ),
                            ambiguous: true,
                            wait: None,
                        }),
                    };
                    self.finish(e, outcome).await;
                }
            }
            Err(f) => {
                if let Failure::Transient { wait, .. } = &f {
                    let attempts = entries.iter().map(|e| e.attempts).max().unwrap_or(1);
                    let next = self.next_attempt(attempts, *wait);
                    *self
                        .batch_not_before
                        .lock()
                        .unwrap_or_else(|p| p.into_inner()) = next;
                }
                for e in entries {
                    let f = match &f {
                        Failure::Transient {
                            error,
                            ambiguous,
                            wait,
                        } => Failure::Transient {
                            error: error.clone(),
                            ambiguous: *ambiguous,
                            wait: *wait,
                        },
                        Failure::Permanent(m) => Failure::Permanent(m.clone()),
                    };
                    self.finish(e, Err(f)).await;
                }
            }
        }
    }
}

/// A failure after an unresolved ambiguous try stays ambiguous (reconcile next time).
fn keep_ambiguous(f: Failure) -> Failure {
    match f {
        Failure::Transient { error, wait, .. } => Failure::Transient {
            error,
            ambiguous: true,
            wait,
        },
        f => f,
    }
}

impl Worker {
    /// A worker for `outbox`; `on_event` hears every outcome (after it is on disk).
    pub fn new(
        outbox: Outbox,
        shop: Arc<dyn Shop>,
        carrier: Arc<dyn Carrier>,
        on_event: impl Fn(OutboxEvent) + Send + Sync + 'static,
    ) -> Worker {
        Worker {
            outbox,
            shop,
            carrier,
            on_event: Arc::new(on_event),
            opts: WorkerOptions::default(),
            batching: None,
        }
    }

    /// Status updates batched by count and age (see [`Batching`]) instead of the plain
    /// `batch_window`, which then only lets an order's updates settle.
    pub fn with_batching(mut self, batching: Batching) -> Worker {
        self.batching = Some(batching);
        self
    }

    /// The same worker with other tuning.
    pub fn with_options(mut self, opts: WorkerOptions) -> Worker {
        self.opts = opts;
        self
    }

    /// Drains the outbox until `shutdown` turns `true` (or its sender is dropped). Entries
    /// found in flight are treated as ambiguous. On shutdown, running tries get
    /// `shutdown_grace` to finish; the rest stay in flight on disk and are reconciled at
    /// the next start.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) -> Result<(), OutboxError> {
        let recovered = self.outbox.recover_in_flight(None)?;
        if recovered > 0 {
            tracing::warn!(
                recovered,
                "outbox: entries left in flight; reconciling before retrying"
            );
        }
        let seed = Utc::now().timestamp_nanos_opt().unwrap_or_default() as u64;
        let ctx = Arc::new(Ctx {
            outbox: self.outbox.clone(),
            shop: self.shop,
            carrier: self.carrier,
            on_event: self.on_event,
            opts: self.opts,
            batching: self.batching,
            rng: Mutex::new(ChaCha8Rng::seed_from_u64(seed)),
            batch_not_before: Mutex::new(Utc::now()),
            batch_last_sent: Mutex::new(None),
            batch_follow_ups: Mutex::new((DateTime::<Utc>::MIN_UTC, Vec::new())),
        });
        let mut tasks: JoinSet<()> = JoinSet::new();
        // Task id → its lane and the entries it holds.
        let mut running: HashMap<tokio::task::Id, (String, Vec<u64>)> = HashMap::new();
        let concurrency = ctx.opts.concurrency.max(1);
        loop {
            if *shutdown.borrow() {
                break;
            }
            let now = Utc::now();
            let busy: HashSet<String> = running.values().map(|(l, _)| l.clone()).collect();
            let mut singles = running.values().filter(|(l, _)| l != BATCH_LANE).count();
            let mut wake_at: Option<DateTime<Utc>> = None;
            let mut seen_lanes = HashSet::new();
            let mut to_start: Vec<Entry> = Vec::new();
            let mut statuses: Vec<u64> = Vec::new();
            let mut pending_statuses: Vec<Pending> = Vec::new();
            let mut oldest_status: Option<DateTime<Utc>> = None;
            for e in ctx.outbox.open_entries() {
                if let Operation::PushStatus(u) = &e.op {
                    if e.state == EntryState::Pending {
                        statuses.push(e.id);
                        if ctx.batching.is_some() {
                            pending_statuses.push(Pending {
                                id: e.id,
                                number: u.number.clone(),
                                at: e.next_attempt_at,
                            });
                        }
                        oldest_status = Some(
                            oldest_status.map_or(e.next_attempt_at, |o| o.min(e.next_attempt_at)),
                        );
                    }
                    continue;
                }
                let lane = e.op.lane();
                // Oldest first within a lane: only the lane's first open entry may run.
                if !seen_lanes.insert(lane.clone()) || busy.contains(&lane) {
                    continue;
                }
                if e.state != EntryState::Pending {
                    continue;
                }
                if e.next_attempt_at > now {
                    wake_at = Some(wake_at.map_or(e.next_attempt_at, |w| w.min(e.next_attempt_at)));
                    continue;
                }
                if singles < concurrency {
                    singles += 1;
                    to_start.push(e);
                }
            }
            for e in to_start {
                if let Some(claimed) = ctx.outbox.claim(e.id)? {
                    let lane = claimed.op.lane();
                    let ids = vec![claimed.id];
                    let h = tasks.spawn(ctx.clone().run_one(claimed));
                    running.insert(h.id(), (lane, ids));
                }
            }
            if oldest_status.is_none() {
                ctx.outbox.set_batch_due(None);
            }
            if !busy.contains(BATCH_LANE)
                && let Some(oldest) = oldest_status
            {
                let not_before = *ctx
                    .batch_not_before
                    .lock()
                    .unwrap_or_else(|p| p.into_inner());
                let window =
                    chrono::Duration::from_std(ctx.batch_window()).unwrap_or(chrono::Duration::MAX);
                let due = if statuses.len() >= FULL_BATCH {
                    not_before
                } else {
                    not_before.max(oldest + window)
                };
                let mut quiet = false;
                let plan = match &ctx.batching {
                    Some(b) => {
                        let quota = ctx.shop.quota();
                        let last_sent = *ctx
                            .batch_last_sent
                            .lock()
                            .unwrap_or_else(|p| p.into_inner());
                        let follow_ups = {
                            let f = ctx
                                .batch_follow_ups
                                .lock()
                                .unwrap_or_else(|p| p.into_inner());
                            let live = chrono::Duration::from_std(b.max_delay)
                                .is_ok_and(|d| f.0 + d > now);
                            if live { f.1.clone() } else { Vec::new() }
                        };
                        quiet = super::batching::after_quiet_spell(b, &pending_statuses, last_sent);
                        super::batching::plan(
                            b,
                            &pending_statuses,
                            super::batching::Clock {
                                now,
                                settle: ctx.opts.batch_window,
                                delay: b.delay(quota, ctx.opts.frugal),
                                gap: b.gap(quota),
                                last_sent,
                                not_before,
                                follow_ups: &follow_ups,
                            },
                        )
                    }
                    None if due <= now => Some(Plan::Send(std::mem::take(&mut statuses))),
                    None => Some(Plan::Wait(due)),
                };
                ctx.outbox.set_batch_due(match &plan {
                    Some(Plan::Wait(due)) => Some(*due),
                    _ => None,
                });
                if let Some(Plan::Send(statuses)) = plan {
                    let mut claimed = Vec::with_capacity(statuses.len());
                    for id in statuses {
                        if let Some(e) = ctx.outbox.claim(id)? {
                            claimed.push(e);
                        }
                    }
                    if !claimed.is_empty() {
                        *ctx.batch_last_sent
                            .lock()
                            .unwrap_or_else(|p| p.into_inner()) = Some(now);
                        if quiet {
                            let numbers = claimed
                                .iter()
                                .filter_map(|e| match &e.op {
                                    Operation::PushStatus(u) => Some(u.number.clone()),
                                    _ => None,
                                })
                                .collect();
                            *ctx.batch_follow_ups
                                .lock()
                                .unwrap_or_else(|p| p.into_inner()) = (now, numbers);
                        }
                        let ids = claimed.iter().map(|e| e.id).collect();
                        let h = tasks.spawn(ctx.clone().run_batch(claimed));
                        running.insert(h.id(), (BATCH_LANE.to_string(), ids));
                    }
                } else if let Some(Plan::Wait(due)) = plan {
                    wake_at = Some(wake_at.map_or(due, |w| w.min(due)));
                }
            }
            let sleep = wake_at
                .map(|w| (w - Utc::now()).to_std().unwrap_or(Duration::ZERO))
                .unwrap_or(Duration::from_secs(3600));
            tokio::select! {
                Some(joined) = tasks.join_next_with_id(), if !tasks.is_empty() => {
                    let id = match &joined {
                        Ok((id, ())) => *id,
                        Err(err) => err.id(),
                    };
                    if let Some((lane, ids)) = running.remove(&id)
                        && let Err(err) = joined
                    {
                        tracing::error!(lane, error = %err, "outbox: a task ended abnormally");
                        ctx.outbox.recover_in_flight(Some(&ids))?;
                    }
                }
                () = ctx.outbox.woken() => {}
                () = tokio::time::sleep(sleep) => {}
                changed = shutdown.changed() => {
                    if changed.is_err() {
                        break;
                    }
                }
            }
        }
        let grace = ctx.opts.shutdown_grace;
        let drained =
            tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
        if drained.is_err() {
            tracing::warn!(
                abandoned = tasks.len(),
                "outbox: stopping with tries in flight; they are reconciled at the next start"
            );
            tasks.shutdown().await;
        }
        ctx.outbox.flush().await?;
        Ok(())
    }
}
