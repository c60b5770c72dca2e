//! The rules executor: an async task that owns the [`RuleSet`] and the [`RuleLog`] and
//! carries out what the pure engine plans.
//!
//! Events reach it through a [`RuleEngine`] handle (`fire`, never waits for the executor;
//! the event is written to the `rule_events` tree first, removed once every rule it plans
//! is claimed, and replayed at the next start if a stop came before). For each event
//! the executor builds the order's [`Facts`] from the store, evaluates the rules, and runs
//! every matching rule that was not claimed for this occurrence yet: claimed and started
//! durably (`RuleLog::begin`), each action's outcome recorded durably before the next one
//! runs (`RuleLog::action_result`), then finished; follow-up events (`fire`,
//! `on_failure`, a photo taken by `take_photo`) are written to `rule_events` in the same
//! transaction as the step that raises them and handled next (replayed at start like a
//! fired event, so a crash right after an execution loses none and raises none twice).
//! At start the executions a stop interrupted are resumed after their last recorded
//! action, so a restart in the middle neither repeats what was done nor forgets the rest.
//!
//! Remote actions go through the durable outbox (idempotent by key), so an action whose
//! outcome was not recorded before a crash is not applied twice when it is run again.
//! A shop change is recorded as *queued* with its outbox entry; when the outbox reports
//! the entry's final outcome ([`RuleEngine::outbox_event`], and a sweep at start and
//! every [`SWEEP_EVERY`]) the action becomes done or failed with the shop's reason, a
//! failure reaches the bench and fires the rule's `on_failure` (see `settle.rs`).
//! Print jobs are checked against the print queue the same way. A webhook that was sent
//! just before a crash may be sent again: receivers drop duplicates by `rule` +
//! `occurrence`, which the body carries.
//!
//! Events of one order are handled one at a time (in order); different orders run side
//! by side, so a carrier that is slow for one order does not hold up the others.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Local, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

mod settle;

use super::Pipeline;
use crate::app::Msg;
use crate::app::rules::{RuleLine, RuleNote};
use crate::domain::text::sanitize;
use crate::domain::{Order, Shipment, ShipmentState};
use crate::outbox::{EntryState, OpResult, Operation, OutboxEvent};
use crate::rules::{
    Action, Document, EVENTS_TREE, Event, EventKind, ExecutionRecord, Facts, Outcome, RuleLog,
    RuleSet, Run, StoredEvent, evaluate, webhook_body,
};
use crate::shop::{NoteMode, OrderUpdate};
use crate::store::Store;

/// The rules the demo runs (`packdesk demo`): packed → shipment, label, status, history.
pub const DEMO_RULES: &str = include_str!("demo_rules.toml");

/// The tree with the time each order entered its current shop status.
const STATUS_TREE: &str = "rules_status_since";
// EVENTS_TREE (`rule_events`): the fired events and raised follow-ups not handled yet
// (key: monotonic id, value: the event as JSON): written before `fire` returns (or with
// the rule-log step that raises a follow-up), removed once every planned rule of the
// event is claimed in the rule log, replayed at start.
/// The meta key of the last day the daily job ran (`YYYY-MM-DD`, local).
const DAILY_KEY: &str = "rules_daily_last";
/// How deep follow-up events (fire → fire → …) are followed.
const MAX_DEPTH: u32 = 8;
/// How often the executor looks for queued rule actions whose outbox entry ended
/// without a report reaching it (cancelled on the outbox screen, a missed report).
pub const SWEEP_EVERY: Duration = Duration::from_secs(30);
/// How often a waiting action looks at the outbox.
const POLL: Duration = Duration::from_millis(100);
/// How long a `create_shipment` waits for the carrier by default.
const SHIP_TIMEOUT: Duration = Duration::from_secs(300);
/// How often a long wait says so in the log.
const WAIT_LOG_EVERY: Duration = Duration::from_secs(30);

/// A cheap, cloneable handle to the rules executor. Events go in with [`RuleEngine::fire`];
/// it never blocks. A handle made with [`RuleEngine::none`] drops every event.
#[derive(Clone)]
pub struct RuleEngine {
    tx: Option<UnboundedSender<Event>>,
    /// Outbox entries that reached their final outcome, for the executor to settle.
    settled: Option<UnboundedSender<u64>>,
    log: Option<RuleLog>,
    status: Option<sled::Tree>,
    /// The durable copy of fired events ([`EVENTS_TREE`]) and the store whose ids
    /// (monotonic, also across restarts) key it.
    events: Option<(sled::Tree, Store)>,
    prints_labels: bool,
}

impl std::fmt::Debug for RuleEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleEngine")
            .field("connected", &self.tx.is_some())
            .finish_non_exhaustive()
    }
}

/// The executor's end of a [`RuleEngine`]: pass it to [`Executor::spawn`].
pub struct Inbox {
    events: UnboundedReceiver<Event>,
    settled: UnboundedReceiver<u64>,
}

impl Inbox {
    /// The next event fired (for driving an executor by hand, as tests do).
    pub async fn recv(&mut self) -> Option<Event> {
        self.events.recv().await
    }

    /// The next event already fired, if any.
    pub fn try_recv(&mut self) -> Option<Event> {
        self.events.try_recv().ok()
    }
}

/// Why the rules could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum RulesSetupError {
    #[error(transparent)]
    Log(#[from] crate::rules::RuleLogError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Rules(#[from] crate::rules::RulesError),
}

/// When an order entered its shop status (the `rules_status_since` tree).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusSince {
    pub status: String,
    pub since: DateTime<Utc>,
}

impl RuleEngine {
    /// A handle that drops every event (no rules, or rules not wired).
    pub fn none() -> RuleEngine {
        RuleEngine {
            tx: None,
            settled: None,
            log: None,
            status: None,
            events: None,
            prints_labels: false,
        }
    }

    /// A connected handle and the executor's inbox, for the rules `set` of `store`.
    pub fn channel(set: &RuleSet, store: &Store) -> Result<(RuleEngine, Inbox), RulesSetupError> {
        let (tx, rx) = unbounded_channel();
        let (settled_tx, settled_rx) = unbounded_channel();
        let prints_labels = set.rules().iter().any(|r| {
            r.actions.iter().any(|a| {
                matches!(
                    a,
                    Action::Print {
                        document: Document::Label,
                        ..
                    }
                )
            })
        });
        let events = store.open_tree(EVENTS_TREE)?;
        Ok((
            RuleEngine {
                tx: Some(tx),
                settled: Some(settled_tx),
                log: Some(RuleLog::open(store)?),
                status: Some(store.open_tree(STATUS_TREE)?),
                events: Some((events, store.clone())),
                prints_labels,
            },
            Inbox {
                events: rx,
                settled: settled_rx,
            },
        ))
    }

    /// What the outbox worker reports (the bench wires it through
    /// [`Pipeline::on_event`]): an entry done or failed for good settles the rule
    /// actions that queued it. Never waits; the sweep at start catches up a report the
    /// executor never got.
    pub fn outbox_event(&self, ev: &OutboxEvent) {
        let id = match ev {
            OutboxEvent::Done { id } | OutboxEvent::Failed { id, .. } => *id,
            _ => return,
        };
        if let Some(tx) = &self.settled {
            let _ = tx.send(id);
        }
    }

    /// Hands `ev` to the executor. It is written to disk (the `rule_events` tree, one
    /// insert and a flush) before this returns, so an event a crash keeps the executor
    /// from handling is replayed at the next start. Never waits for the executor; an
    /// event the executor is gone for stays on disk for the next start.
    pub fn fire(&self, ev: Event) {
        if let Some(tx) = &self.tx {
            tracing::debug!(event = %ev.kind, order = %ev.order_key, occurrence = %ev.occurrence, "rule event");
            if let Some((tree, store)) = &self.events {
                let stored = serde_json::to_vec(&ev)
                    .map_err(|e| e.to_string())
                    .and_then(|bytes| {
                        let id = store.generate_id().map_err(|e| e.to_string())?;
                        tree.insert(id.to_be_bytes(), bytes)
                            .and_then(|_| tree.flush())
                            .map_err(|e| e.to_string())
                    });
                if let Err(e) = stored {
                    tracing::error!(event = %ev.kind, order = %ev.order_key, error = %e, "rule event not stored: a crash before it is handled loses it");
                }
            }
            if tx.send(ev).is_err() {
                tracing::warn!(
                    "rules executor not running: the event waits on disk for the next start"
                );
            }
        }
    }

    /// How many fired events wait on disk to be handled (or replayed at start).
    pub fn pending_events(&self) -> usize {
        self.events.as_ref().map_or(0, |(t, _)| t.len())
    }

    /// Whether some rule prints labels (`print` with `document = "label"`): then the
    /// pipeline does not print new labels by itself.
    pub fn prints_labels(&self) -> bool {
        self.prints_labels
    }

    /// The newest `limit` executions for the rule-log overlay.
    pub fn lines(&self, limit: usize) -> Result<Vec<RuleLine>, String> {
        let Some(log) = &self.log else {
            return Ok(Vec::new());
        };
        let records = log.list(limit).map_err(|e| e.to_string())?;
        Ok(records.iter().map(line_of).collect())
    }

    /// The shop sync's hook, called with the orders it fetched *before* it imports them:
    /// compares them with the stored orders, remembers when a shop status was entered
    /// and returns the events to fire once the import is stored (`order_fetched`,
    /// `order_paid`, `status_set`, `order_changed_upstream`).
    pub fn before_import(&self, store: &Store, fetched: &[Order]) -> Vec<Event> {
        if self.tx.is_none() {
            return Vec::new();
        }
        let now = Utc::now();
        let mut out = Vec::new();
        for new in fetched {
            let key = new.key();
            let old = match store.order(&key) {
                Ok(o) => o,
                Err(e) => {
                    tracing::warn!(order = %key, error = %e, "rules: stored order unreadable");
                    continue;
                }
            };
            out.extend(sync_events(old.as_ref(), new));
            let status_changed = old
                .as_ref()
                .is_none_or(|o| o.shop_status != new.shop_status);
            if status_changed && let Some(tree) = &self.status {
                let since = StatusSince {
                    status: new.shop_status.clone(),
                    since: now,
                };
                if let Ok(bytes) = serde_json::to_vec(&since)
                    && let Err(e) = tree.insert(key.as_bytes(), bytes)
                {
                    tracing::warn!(order = %key, error = %e, "rules: status time not recorded");
                }
            }
        }
        out
    }

    /// Fires `events` (the result of [`RuleEngine::before_import`]).
    pub fn fire_all(&self, events: Vec<Event>) {
        for ev in events {
            self.fire(ev);
        }
    }
}

/// The sync events of one fetched order against its stored version (`None`: new).
pub fn sync_events(old: Option<&Order>, new: &Order) -> Vec<Event> {
    let key = new.key();
    let Some(old) = old else {
        return vec![Event::new(EventKind::OrderFetched, &key, "1")];
    };
    let mut aligned = old.clone();
    aligned.revision = new.revision;
    if &aligned == new {
        return Vec::new();
    }
    // The revision the import gives the changed order.
    let rev = (old.revision + 1).to_string();
    let mut out = Vec::new();
    if new.paid && !old.paid {
        out.push(Event::new(EventKind::OrderPaid, &key, &rev));
    }
    if new.shop_status != old.shop_status {
        out.push(Event::new(
            EventKind::StatusSet,
            &key,
            &format!("{}@{rev}", new.shop_status),
        ));
    }
    out.push(Event::new(EventKind::OrderChangedUpstream, &key, &rev));
    out
}

fn line_of(r: &ExecutionRecord) -> RuleLine {
    let state = match (r.finished_at, r.failed()) {
        (None, _) => "running",
        (Some(_), true) => "failed",
        (Some(_), false) if r.queued() => "queued",
        (Some(_), false) => "ok",
    };
    let failure = r.actions.iter().find_map(|a| match &a.outcome {
        Some(Outcome::Failed(e)) => Some(format!("{}: {e}", a.action.name())),
        _ => None,
    });
    let detail = failure.unwrap_or_else(|| {
        r.actions
            .iter()
            .filter(|a| matches!(a.outcome, Some(Outcome::Done | Outcome::Queued)))
            .map(|a| a.action.name())
            .collect::<Vec<_>>()
            .join(", ")
    });
    RuleLine {
        id: r.id,
        rule: r.rule.clone(),
        event: r.event.kind.name(),
        order_key: r.event.order_key.clone(),
        state: state.to_string(),
        at: r
            .started_at
            .with_timezone(&Local)
            .format("%H:%M:%S")
            .to_string(),
        detail,
    }
}

/// What one daily job did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DailyReport {
    /// Orders checked for `order_in_status_for_days`.
    pub checked: usize,
    /// Events handed to the rules.
    pub events: usize,
    /// Photos removed by the retention.
    pub photos_pruned: usize,
}

/// Executes rules. Build it with [`Executor::new`], then [`Executor::spawn`] it (or, in
/// tests, call [`Executor::handle`] and [`Executor::resume_unfinished`] directly).
pub struct Executor {
    rules: Arc<RuleSet>,
    log: RuleLog,
    status: sled::Tree,
    /// Fired events not handled yet ([`EVENTS_TREE`]).
    events: sled::Tree,
    pipeline: Pipeline,
    store: Store,
    photos: Option<crate::camera::PhotoStore>,
    camera: Option<Arc<dyn crate::camera::Camera>>,
    http: Result<reqwest::Client, String>,
    station: String,
    bench: Option<UnboundedSender<Msg>>,
    pick_pack: bool,
    retention_days: Option<u32>,
    ship_timeout: Duration,
    /// Test hook: after this many actions the executor stops as if the process died.
    budget: Option<Arc<AtomicUsize>>,
    /// Test hook: stop as if the process died right after an execution finished (its
    /// follow-ups recorded, not handled).
    crash_after_finish: bool,
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// A failed action: its reason.
type ActionResult = Result<(), String>;

impl Executor {
    /// An executor of `rules` for `station`, acting through `pipeline` (its outbox, its
    /// print queue) on `pipeline`'s store.
    pub fn new(
        rules: RuleSet,
        pipeline: Pipeline,
        station: &str,
    ) -> Result<Executor, RulesSetupError> {
        let store = pipeline.store().clone();
        let photos = crate::camera::PhotoStore::open(&store)
            .map_err(|e| tracing::error!(error = %e, "rules: photo store unavailable"))
            .ok();
        // reqwest is built without a default crypto provider: make sure one is installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .user_agent(concat!("packdesk/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                tracing::error!(error = %e, "rules: no HTTP client: webhooks will fail");
                format!("no HTTP client: {e}")
            });
        Ok(Executor {
            rules: Arc::new(rules),
            log: RuleLog::open(&store)?,
            status: store.open_tree(STATUS_TREE)?,
            events: store.open_tree(EVENTS_TREE)?,
            pipeline,
            store,
            photos,
            camera: None,
            http,
            station: station.to_string(),
            bench: None,
            pick_pack: false,
            retention_days: None,
            ship_timeout: SHIP_TIMEOUT,
            budget: None,
            crash_after_finish: false,
            locks: Mutex::new(HashMap::new()),
        })
    }

    /// The station camera, for `take_photo`.
    pub fn with_camera(mut self, camera: Arc<dyn crate::camera::Camera>) -> Executor {
        self.camera = Some(camera);
        self
    }

    /// Reports failures and finished executions (and photos) to the bench.
    pub fn with_bench(mut self, tx: UnboundedSender<Msg>) -> Executor {
        self.bench = Some(tx);
        self
    }

    /// Whether the shop has pick/pack flags (`Shop::supports_pick_pack`); without them
    /// `set_pick_pack_state` fails at once with the reason.
    pub fn with_pick_pack(mut self, supported: bool) -> Executor {
        self.pick_pack = supported;
        self
    }

    /// Photo retention in days, pruned by the daily job (`camera.retention_days`).
    pub fn with_photo_retention(mut self, days: u32) -> Executor {
        self.retention_days = Some(days);
        self
    }

    /// How long `create_shipment` waits for the carrier (default 5 minutes).
    pub fn with_ship_timeout(mut self, timeout: Duration) -> Executor {
        self.ship_timeout = timeout;
        self
    }

    /// Test hook: stop (as a crash would) before the action after the first `n`.
    #[doc(hidden)]
    pub fn with_action_budget(mut self, n: usize) -> Executor {
        self.budget = Some(Arc::new(AtomicUsize::new(n)));
        self
    }

    /// Test hook: stop (as a crash would) right after the first execution finished:
    /// its follow-up events are recorded but not handled.
    #[doc(hidden)]
    pub fn with_crash_after_finish(mut self) -> Executor {
        self.crash_after_finish = true;
        self
    }

    /// Runs the executor: resumes interrupted executions, replays the events fired
    /// before a stop that were not handled (see [`Executor::replay_events`]), settles
    /// queued actions whose outbox entry ended meanwhile ([`Executor::settle_queued`]),
    /// then handles events and outbox reports as they come (and sweeps every
    /// [`SWEEP_EVERY`]), and runs the daily job (status-age rules, photo retention) at
    /// the rules file's `daily_check_at` local time (06:00 when no rule uses it).
    pub fn spawn(self, inbox: Inbox) -> tokio::task::JoinHandle<()> {
        let me = Arc::new(self);
        let daily = Arc::clone(&me);
        tokio::spawn(async move { daily.daily_loop().await });
        tokio::spawn(async move {
            me.resume_unfinished().await;
            me.replay_events().await;
            me.settle_queued().await;
            let Inbox {
                events: mut rx,
                mut settled,
            } = inbox;
            let mut sweep = tokio::time::interval(SWEEP_EVERY);
            sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            sweep.tick().await;
            loop {
                tokio::select! {
                    ev = rx.recv() => {
                        let Some(ev) = ev else { break };
                        let me = Arc::clone(&me);
                        tokio::spawn(async move { me.handle(ev).await });
                    }
                    Some(id) = settled.recv() => {
                        let me = Arc::clone(&me);
                        tokio::spawn(async move { me.outbox_settled(id).await });
                    }
                    _ = sweep.tick() => {
                        let me = Arc::clone(&me);
                        tokio::spawn(async move { me.settle_queued().await });
                    }
                }
            }
        })
    }

    fn lock_for(&self, order_key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = self.locks.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 1024 {
            // Forget the locks nobody holds or waits for.
            map.retain(|_, l| Arc::strong_count(l) > 1);
        }
        Arc::clone(map.entry(order_key.to_string()).or_default())
    }

    fn spend(&self) -> bool {
        match &self.budget {
            None => true,
            Some(b) => b
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok(),
        }
    }

    fn tell(&self, msg: Msg) {
        if let Some(tx) = &self.bench {
            let _ = tx.send(msg);
        }
    }

    /// Handles the fired events still on disk (fired before a stop and not handled),
    /// oldest first; each is removed once its rules are claimed. Returns how many there
    /// were.
    pub async fn replay_events(&self) -> usize {
        let mut stored = Vec::new();
        for row in self.events.iter() {
            match row {
                Ok((k, v)) => match serde_json::from_slice::<StoredEvent>(&v) {
                    Ok(ev) => stored.push(ev),
                    Err(e) => {
                        tracing::error!(error = %e, "a stored rule event is unreadable: dropped");
                        let _ = self.events.remove(k);
                    }
                },
                Err(e) => {
                    tracing::error!(error = %e, "stored rule events unreadable: not replayed");
                    break;
                }
            }
        }
        let n = stored.len();
        if n > 0 {
            tracing::info!(events = n, "replaying rule events fired before the stop");
        }
        for s in stored {
            self.handle_at(s.event, s.depth).await;
        }
        n
    }

    /// Removes the stored copies of `ev` (its rules are all claimed, or none matched).
    fn forget(&self, ev: &Event) {
        for row in self.events.iter() {
            let Ok((k, v)) = row else { break };
            if serde_json::from_slice::<StoredEvent>(&v).is_ok_and(|s| &s.event == ev)
                && let Err(e) = self.events.remove(k)
            {
                tracing::warn!(error = %e, "a handled rule event stays stored (replayed at start)");
            }
        }
    }

    /// Handles one event and everything it leads to (follow-ups, photos).
    pub async fn handle(&self, ev: Event) {
        self.handle_at(ev, 0).await;
    }

    /// Handles an event `depth` follow-ups deep (0: fired from outside) and what it
    /// leads to. Its stored copy (fired, or raised by an execution) is removed once its
    /// rules are claimed.
    async fn handle_at(&self, ev: Event, depth: u32) {
        let mut queue = VecDeque::from([(ev, depth)]);
        while let Some((ev, depth)) = queue.pop_front() {
            let lock = self.lock_for(&ev.order_key);
            let _guard = lock.lock().await;
            let facts = match self.facts(&ev.order_key) {
                Ok(f) => f,
                Err(e) => {
                    tracing::warn!(event = %ev.kind, order = %ev.order_key, error = %e, "rule event without its order");
                    self.forget(&ev);
                    continue;
                }
            };
            let plan = evaluate(&self.rules, &ev, &facts);
            // The fired event stays on disk until every rule it plans is claimed: a stop
            // before that replays it at start (claimed rules are skipped then).
            let mut unclaimed = plan.len();
            let mut settle = |claimed: bool| {
                if claimed {
                    unclaimed -= 1;
                    if unclaimed == 0 {
                        self.forget(&ev);
                    }
                }
            };
            if plan.is_empty() {
                self.forget(&ev);
            }
            for planned in plan {
                match self.log.claimed(&planned.occurrence_key) {
                    Ok(true) => {
                        settle(true);
                        continue;
                    }
                    Ok(false) => {}
                    Err(e) => {
                        tracing::error!(error = %e, "rule log unreadable: rule not run");
                        settle(false);
                        continue;
                    }
                }
                let record = match self.log.begin_at(&planned, &ev, depth, Utc::now()) {
                    Ok(Some(r)) => {
                        settle(true);
                        r
                    }
                    Ok(None) => {
                        settle(true);
                        continue;
                    }
                    Err(e) => {
                        tracing::error!(error = %e, rule = %planned.rule.name, "rule not started");
                        settle(false);
                        continue;
                    }
                };
                let Some(next) = self.execute(record, Run::new(planned), &ev).await else {
                    return;
                };
                if self.crash_after_finish {
                    tracing::info!("rules executor stopped after an execution (test hook)");
                    return;
                }
                queue.extend(next);
            }
        }
    }

    /// Resumes the executions a stop interrupted, oldest first, after their last
    /// recorded action.
    pub async fn resume_unfinished(&self) {
        let list = match self.log.unfinished() {
            Ok(l) => l,
            Err(e) => {
                tracing::error!(error = %e, "rule log unreadable: interrupted rules not resumed");
                return;
            }
        };
        for record in list {
            tracing::info!(id = record.id, rule = %record.rule, "resuming an interrupted rule");
            let ev = record.event.clone();
            let run = record.resume();
            let lock = self.lock_for(&ev.order_key);
            let guard = lock.lock().await;
            let next = self.execute(record, run, &ev).await;
            drop(guard);
            let Some(next) = next else {
                return;
            };
            if self.crash_after_finish {
                return;
            }
            for (e, depth) in next {
                Box::pin(self.handle_at(e, depth)).await;
            }
        }
    }

    /// The follow-up events `events` raised `depth` deep, as stored; none when that is
    /// deeper than follow-ups are followed.
    fn raise(&self, events: Vec<Event>, depth: u32) -> Vec<StoredEvent> {
        if events.is_empty() {
            return Vec::new();
        }
        if depth >= MAX_DEPTH {
            tracing::warn!(
                events = events.len(),
                "rule follow-ups too deep: not followed"
            );
            return Vec::new();
        }
        events
            .into_iter()
            .map(|event| StoredEvent { event, depth })
            .collect()
    }

    /// Runs the remaining actions of `record` and returns the follow-up events it
    /// raised (stored: handle them) with their depth; `None` when the executor stopped
    /// in the middle (the test budget, or the log could not be written).
    async fn execute(
        &self,
        mut record: ExecutionRecord,
        mut run: Run,
        ev: &Event,
    ) -> Option<Vec<(Event, u32)>> {
        let depth = record.depth + 1;
        let mut raised_all: Vec<StoredEvent> = Vec::new();
        while let Some((i, action)) = run.next_action() {
            if !self.spend() {
                tracing::info!(id = record.id, "rules executor stopped (action budget)");
                return None;
            }
            let action = action.clone();
            // The outbox key of what this action enqueues: a resumed run of this execution
            // is deduplicated, a new occurrence of the event is not.
            let origin = format!(
                "{}#{i}",
                crate::rules::occurrence_key(&record.rule, &ev.occurrence)
            );
            let mut extra = Vec::new();
            let mut queued = Vec::new();
            let result = self
                .act(&action, ev, &record, &origin, &mut extra, &mut queued)
                .await;
            let outcome = match &result {
                Ok(()) if !queued.is_empty() => Outcome::Queued,
                Ok(()) => Outcome::Done,
                Err(e) => Outcome::Failed(e.clone()),
            };
            // A photo's `photo_taken` is stored with the photo action's outcome.
            let raised = self.raise(extra, depth);
            if let Err(e) = self
                .log
                .action_result_with(&mut record, i, outcome, queued, &raised)
            {
                tracing::error!(error = %e, id = record.id, "rule log not written: execution left to resume");
                return None;
            }
            raised_all.extend(raised);
            if let Err(error) = &result {
                self.tell(Msg::Rule(RuleNote::Failed {
                    rule: record.rule.clone(),
                    action: action.name().to_string(),
                    order_key: ev.order_key.clone(),
                    error: error.clone(),
                }));
            }
            run.record(result);
        }
        let finished = run.finish(ev);
        // `fire` and `on_failure` are stored with the end of the run.
        let raised = self.raise(finished.follow_ups, depth);
        if let Err(e) = self.log.finish_with(&mut record, Utc::now(), &raised) {
            tracing::error!(error = %e, id = record.id, "rule log not written: execution left to resume");
            return None;
        }
        raised_all.extend(raised);
        self.tell(Msg::Rule(RuleNote::Finished {
            rule: record.rule.clone(),
            order_key: ev.order_key.clone(),
        }));
        // Entries that already ended (a fast shop, or a resumed action finding its entry
        // done) are settled at once.
        let (_, late) = self.settle_record(&mut record);
        raised_all.extend(late);
        Some(raised_all.into_iter().map(|s| (s.event, s.depth)).collect())
    }

    fn facts(&self, order_key: &str) -> Result<Facts, String> {
        let order = self.order(order_key)?;
        let shipments = self.store.shipments(order_key).map_err(|e| e.to_string())?;
        let first = shipments
            .iter()
            .find(|s| s.parcel_no == 1)
            .or(shipments.first());
        let session_packer = self
            .store
            .session(order_key)
            .ok()
            .flatten()
            .and_then(|s| s.packer);
        let packer = session_packer.or_else(|| self.store.packer().ok().flatten());
        Ok(Facts::from_order(
            &order,
            first,
            &self.station,
            packer.as_deref(),
        ))
    }

    fn order(&self, key: &str) -> Result<Order, String> {
        self.store
            .order(key)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("order {key} is not in the store"))
    }

    /// Enqueues `op`; its entry id goes to `queued`.
    fn enqueue(&self, op: Operation, queued: &mut Vec<u64>) -> ActionResult {
        let id = self
            .pipeline
            .outbox()
            .enqueue(op)
            .map_err(|e| e.to_string())?;
        queued.push(id);
        Ok(())
    }

    /// Enqueues `op` keyed also by `origin` (see [`crate::outbox::Outbox::enqueue_from`]);
    /// its entry id goes to `queued`.
    fn enqueue_from(&self, op: Operation, origin: &str, queued: &mut Vec<u64>) -> ActionResult {
        let id = self
            .pipeline
            .outbox()
            .enqueue_from(op, origin)
            .map_err(|e| e.to_string())?;
        queued.push(id);
        Ok(())
    }

    async fn act(
        &self,
        action: &Action,
        ev: &Event,
        record: &ExecutionRecord,
        origin: &str,
        extra: &mut Vec<Event>,
        queued: &mut Vec<u64>,
    ) -> ActionResult {
        let order = self.order(&ev.order_key)?;
        let update = OrderUpdate {
            number: order.number.clone(),
            shop_id: order.shop_id.clone(),
            status: None,
            tracking_number: None,
            notify: false,
        };
        match action {
            Action::SetStatus { status, notify } => self.enqueue_from(
                Operation::PushStatus(OrderUpdate {
                    status: Some(status.clone()),
                    notify: *notify,
                    ..update
                }),
                origin,
                queued,
            ),
            Action::CreateShipment => self.create_shipment(&order).await,
            Action::DropShipment => self.drop_shipments(&order, queued),
            Action::Handover => self.handover(&order, queued),
            Action::Print { document, printer } => {
                self.print(&order, *document, printer.as_deref(), record)
                    .await
            }
            Action::TakePhoto => self.take_photo(&order, extra).await,
            Action::AddNote { text, .. } => {
                let facts = self.facts(&ev.order_key)?;
                self.enqueue_from(
                    Operation::SetNote {
                        order: update,
                        text: text.render(&facts),
                        mode: NoteMode::Append,
                    },
                    origin,
                    queued,
                )
            }
            Action::AddHistory { text } => {
                let facts = self.facts(&ev.order_key)?;
                self.enqueue_from(
                    Operation::AddHistory {
                        order: update,
                        text: text.render(&facts),
                    },
                    origin,
                    queued,
                )
            }
            Action::SetPickPackState { pick, pack } => {
                if !self.pick_pack {
                    return Err(format!(
                        "the shop of order {} has no pick/pack state \
                         (set_pick_pack_state works with BaseLinker only)",
                        order.number
                    ));
                }
                self.enqueue_from(
                    Operation::SetPickPack {
                        order: update,
                        pick: *pick,
                        pack: *pack,
                    },
                    origin,
                    queued,
                )
            }
            Action::Webhook {
                url,
                headers,
                timeout_s,
            } => {
                let facts = self.facts(&ev.order_key)?;
                let body = webhook_body(&record.rule, ev, &facts);
                self.webhook(url, &headers.0, *timeout_s, &body).await
            }
            // Followed up by `Run::finish`.
            Action::Fire { .. } => Ok(()),
        }
    }

    /// Queues the order's shipment (idempotent by parcel) and waits until the carrier
    /// answered for every parcel and the shipments (with their labels) are stored.
    async fn create_shipment(&self, order: &Order) -> ActionResult {
        let key = order.key();
        let session = self
            .store
            .session(&key)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("order {} has no pack session: pack it first", order.number))?;
        if session.parcels.is_empty() {
            return Err(format!("order {} has no parcels yet", order.number));
        }
        let before = self.store.shipments(&key).map_err(|e| e.to_string())?;
        let pending = self
            .pipeline
            .ship(order, &session)
            .map_err(|e| e.to_string())?;
        for sh in pending {
            let known = before.iter().any(|b| {
                b.parcel_no == sh.parcel_no
                    && matches!(b.state, ShipmentState::Ready | ShipmentState::Dispatched)
            });
            if !known {
                self.tell(Msg::Shipment(Box::new(sh)));
            }
        }
        let count = session.parcels.len() as u32;
        for p in &session.parcels {
            let eid = super::request(order, &session, p.no, count).eid;
            self.wait_shipment(&format!("ship:{eid}"), &order.number, p.no)
                .await?;
        }
        // The worker reports the outcome right after it is on disk, and the pipeline then
        // stores the shipment with its label: wait for that too (briefly).
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let stored = self.store.shipments(&key).map_err(|e| e.to_string())?;
            let all = session.parcels.iter().all(|p| {
                stored.iter().any(|s| {
                    s.parcel_no == p.no
                        && matches!(s.state, ShipmentState::Ready | ShipmentState::Dispatched)
                })
            });
            if all {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "the shipment of order {} was created but is not stored yet",
                    order.number
                ));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits for the outbox entry `key` (a parcel's shipment) to be done or failed.
    async fn wait_shipment(&self, key: &str, number: &str, parcel: u32) -> ActionResult {
        let start = Instant::now();
        let mut next_log = WAIT_LOG_EVERY;
        loop {
            let entry = self
                .pipeline
                .outbox()
                .find_key(key)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| {
                    format!("the shipment of {number} parcel {parcel} was not queued")
                })?;
            match entry.state {
                EntryState::Done => return Ok(()),
                EntryState::Failed => {
                    let reason = entry.last_error.unwrap_or_else(|| "no reason given".into());
                    return Err(match entry.result {
                        Some(OpResult::Shipment(_)) => format!(
                            "the shipment of {number} parcel {parcel} exists but its label failed: {reason}"
                        ),
                        _ => format!("the carrier refused {number} parcel {parcel}: {reason}"),
                    });
                }
                EntryState::Cancelled => {
                    return Err(format!(
                        "the shipment of {number} parcel {parcel} was cancelled on the outbox screen"
                    ));
                }
                EntryState::Pending | EntryState::InFlight => {}
            }
            let waited = start.elapsed();
            if waited >= self.ship_timeout {
                return Err(format!(
                    "no answer from the carrier for {number} parcel {parcel} after {} s{}",
                    waited.as_secs(),
                    entry
                        .last_error
                        .map(|e| format!(" (last error: {e})"))
                        .unwrap_or_default()
                ));
            }
            if waited >= next_log {
                tracing::info!(%number, parcel, waited_s = waited.as_secs(), "rule still waiting for the carrier");
                next_log += WAIT_LOG_EVERY;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The carrier code a parcel's shipment was made with (from its outbox entry).
    fn carrier_of(&self, order: &Order, sh: &Shipment) -> String {
        let eid = format!("{}-{}", order.number, sh.parcel_no);
        match self.pipeline.outbox().find_key(&format!("ship:{eid}")) {
            Ok(Some(e)) => match e.op {
                Operation::CreateShipment { req, .. } => req.carrier,
                _ => order.shipping.carrier.clone(),
            },
            _ => order.shipping.carrier.clone(),
        }
    }

    fn ready(&self, order: &Order) -> Result<Vec<(Shipment, String)>, String> {
        let shipments = self
            .store
            .shipments(&order.key())
            .map_err(|e| e.to_string())?;
        let ready: Vec<(Shipment, String)> = shipments
            .into_iter()
            .filter(|s| s.state == ShipmentState::Ready)
            .filter_map(|s| s.package_id.clone().map(|id| (s, id)))
            .collect();
        if ready.is_empty() {
            return Err(format!("order {} has no ready shipment", order.number));
        }
        Ok(ready)
    }

    fn drop_shipments(&self, order: &Order, queued: &mut Vec<u64>) -> ActionResult {
        for (sh, package_id) in self.ready(order)? {
            self.enqueue(
                Operation::DropShipment {
                    carrier: self.carrier_of(order, &sh),
                    package_id,
                },
                queued,
            )?;
        }
        Ok(())
    }

    fn handover(&self, order: &Order, queued: &mut Vec<u64>) -> ActionResult {
        let mut by_carrier: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (sh, package_id) in self.ready(order)? {
            by_carrier
                .entry(self.carrier_of(order, &sh))
                .or_default()
                .push(package_id);
        }
        for (carrier, package_ids) in by_carrier {
            self.enqueue(
                Operation::Handover {
                    carrier,
                    package_ids,
                },
                queued,
            )?;
        }
        Ok(())
    }

    async fn print(
        &self,
        order: &Order,
        document: Document,
        printer: Option<&str>,
        record: &ExecutionRecord,
    ) -> ActionResult {
        use crate::print::{DocKind, Format, JobContent, NewJob, Role};
        let Some(p) = self.pipeline.printing() else {
            return Err("no printers are configured ([printers] in station.toml)".into());
        };
        let role = match printer.map(str::trim) {
            None => None,
            Some(r) if r.eq_ignore_ascii_case("label") => Some(Role::Label),
            Some(r) if r.eq_ignore_ascii_case("document") => Some(Role::Document),
            Some(other) => {
                return Err(format!(
                    "unknown printer `{other}` (use \"label\" or \"document\")"
                ));
            }
        };
        let key = order.key();
        // A job this execution queued before a restart is not queued again.
        let earlier = p.queue.jobs_for_key(&key).map_err(|e| e.to_string())?;
        let queued = |name: &str| {
            earlier
                .iter()
                .any(|j| j.created_at >= record.started_at && same_job(&j.name, name))
        };
        let mut jobs: Vec<NewJob> = Vec::new();
        match document {
            Document::Label => {
                // The pipeline's label jobs: from the label store, on the station's next
                // free A4 quarter when the label printer takes sheets of four.
                let shipments = self.store.shipments(&key).map_err(|e| e.to_string())?;
                let mut found = false;
                for sh in shipments.iter().filter(|s| s.state == ShipmentState::Ready) {
                    let Some(path) =
                        self.pipeline
                            .label_source(&key, sh.parcel_no, sh.label_path.as_deref())
                    else {
                        continue;
                    };
                    found = true;
                    // Named as the bench names it (`<order>-<parcel>.pdf`, the out_dir
                    // copy), not by the label store's content hash.
                    let name = sh
                        .label_path
                        .as_deref()
                        .and_then(|p| std::path::Path::new(p).file_name())
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_else(|| format!("{}-{}.pdf", order.number, sh.parcel_no));
                    if queued(&name) {
                        continue;
                    }
                    let (job, next) =
                        self.pipeline
                            .label_job(&path, &name, &key, self.pipeline.station())?;
                    if let Some(q) = next {
                        self.tell(Msg::Bench(crate::app::print::PrintMsg::Quarter(Some(q))));
                    }
                    jobs.push(job);
                }
                if !found {
                    return Err(format!(
                        "order {} has no label yet (create the shipment first)",
                        order.number
                    ));
                }
            }
            Document::Slip => {
                let job = self.pipeline.slip_job(order, &self.station)?;
                if !queued(&job.name) {
                    jobs.push(job);
                }
            }
            Document::Handover => {
                let Some(pdf) = self.pipeline.handover_protocol(&key)? else {
                    return Err(format!(
                        "order {} has no hand-over protocol yet (hand the parcels over first)",
                        order.number
                    ));
                };
                let name = format!("handover-{}.pdf", order.number);
                if !queued(&name) {
                    let (_, printer) = p
                        .printers
                        .route(DocKind::Handover, Format::Pdf, &p.out_dir)
                        .map_err(|e| e.to_string())?;
                    jobs.push(NewJob {
                        name,
                        kind: DocKind::Handover,
                        format: Format::Pdf,
                        content: JobContent::Bytes(pdf),
                        printer,
                        key: Some(key.clone()),
                    });
                }
            }
        }
        for mut job in jobs {
            if let Some(r) = role {
                job.printer = p
                    .printers
                    .section(r)
                    .printer(r, &p.out_dir)
                    .map_err(|e| format!("[{}] {}", e.key.join("."), e.message))?;
            }
            p.queue.enqueue(job).await.map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    async fn take_photo(&self, order: &Order, extra: &mut Vec<Event>) -> ActionResult {
        let (Some(photos), Some(camera)) = (&self.photos, &self.camera) else {
            return Err("no camera is configured ([camera] in station.toml)".into());
        };
        let key = order.key();
        let session = self.store.session(&key).ok().flatten();
        let parcel = session.as_ref().map(|s| s.current_parcel());
        let packer = session
            .and_then(|s| s.packer)
            .or_else(|| self.store.packer().ok().flatten());
        let rec = photos
            .take(
                camera.as_ref(),
                &key,
                parcel,
                &self.station,
                packer.as_deref(),
            )
            .await
            .map_err(|e| e.to_string())?;
        extra.push(Event::new(
            EventKind::PhotoTaken,
            &key,
            &rec.seq.to_string(),
        ));
        let count = photos.list(&key).map_or(0, |v| v.len());
        self.tell(Msg::Photo(Ok((key, count))));
        Ok(())
    }

    async fn webhook(
        &self,
        url: &str,
        headers: &BTreeMap<String, String>,
        timeout_s: u32,
        body: &serde_json::Value,
    ) -> ActionResult {
        let shown = shown_url(url);
        let mut req = self
            .http
            .as_ref()
            .map_err(|e| format!("webhook {shown}: {e}"))?
            .post(url)
            .timeout(Duration::from_secs(u64::from(timeout_s.max(1))))
            .json(body);
        for (name, value) in headers {
            let (Ok(n), Ok(v)) = (
                reqwest::header::HeaderName::from_bytes(name.as_bytes()),
                reqwest::header::HeaderValue::from_str(value),
            ) else {
                // The value is never shown: it is often a token.
                return Err(format!(
                    "webhook {shown}: header `{}` is not valid",
                    sanitize(name)
                ));
            };
            req = req.header(n, v);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| format!("webhook {shown}: {}", e.without_url()))?;
        let status = resp.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("webhook {shown} answered HTTP {}", status.as_u16()))
        }
    }

    /// The daily job: `order_in_status_for_days` for every order by the time it has
    /// been in its shop status (an order with no recorded change counts from now, its
    /// first check), and photo retention. `now` is the time of the check.
    pub async fn daily_check(&self, now: DateTime<Utc>) -> DailyReport {
        let mut report = DailyReport::default();
        if let (Some(days), Some(photos)) = (self.retention_days, &self.photos) {
            match photos.prune(days, now) {
                Ok(removed) => report.photos_pruned = removed.len(),
                Err(e) => tracing::error!(error = %e, "photo retention failed"),
            }
        }
        let wanted = self
            .rules
            .rules()
            .iter()
            .any(|r| matches!(r.event, EventKind::OrderInStatusForDays { .. }));
        if !wanted {
            return report;
        }
        let mut events = Vec::new();
        for row in self.store.summaries_iter() {
            let row = match row {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(error = %e, "daily check: a queue row is unreadable");
                    continue;
                }
            };
            report.checked += 1;
            let stored = self
                .status
                .get(row.key.as_bytes())
                .ok()
                .flatten()
                .and_then(|b| serde_json::from_slice::<StatusSince>(&b).ok());
            let Ok(Some(order)) = self.store.order(&row.key) else {
                continue;
            };
            let since = match stored {
                Some(s) if s.status == order.shop_status => s,
                _ => {
                    let s = StatusSince {
                        status: order.shop_status.clone(),
                        since: now,
                    };
                    if let Ok(bytes) = serde_json::to_vec(&s) {
                        let _ = self.status.insert(row.key.as_bytes(), bytes);
                    }
                    s
                }
            };
            let days = (now - since.since).num_days();
            if days < 1 {
                continue;
            }
            // One occurrence per status stint: the rule runs once per stint.
            events.push(Event::new(
                EventKind::OrderInStatusForDays {
                    days: u32::try_from(days).unwrap_or(u32::MAX),
                },
                &row.key,
                &format!("{}@{}", since.status, since.since.timestamp()),
            ));
        }
        report.events = events.len();
        for ev in events {
            self.handle(ev).await;
        }
        report
    }

    async fn daily_loop(&self) {
        let at = self
            .rules
            .daily_check_at()
            .unwrap_or_else(|| NaiveTime::from_hms_opt(6, 0, 0).unwrap_or_default());
        // Also kept in memory: a day that could not be recorded is not run again.
        let mut ran: Option<chrono::NaiveDate> = None;
        loop {
            let now = Local::now();
            let today = now.date_naive();
            let last = self
                .store
                .meta_get(DAILY_KEY)
                .ok()
                .flatten()
                .map(|b| String::from_utf8_lossy(&b).into_owned());
            let due_today = today.and_time(at);
            let ran_today =
                ran == Some(today) || last.as_deref() == Some(today.to_string().as_str());
            if now.naive_local() >= due_today && !ran_today {
                // Also catches up a check the bench was off for.
                let report = self.daily_check(Utc::now()).await;
                tracing::info!(?report, "daily rules check done");
                ran = Some(today);
                if let Err(e) = self.store.meta_set(DAILY_KEY, today.to_string().as_bytes()) {
                    tracing::error!(error = %e, "daily check: cannot record the day");
                }
                continue;
            }
            let next = if now.naive_local() < due_today {
                due_today
            } else {
                today.succ_opt().unwrap_or(today).and_time(at)
            };
            let wait = Local
                .from_local_datetime(&next)
                .earliest()
                .map(|n| (n - now).to_std().unwrap_or(Duration::from_secs(60)))
                .unwrap_or(Duration::from_secs(3600));
            // Woken at least hourly: clock changes and DST are caught up with.
            tokio::time::sleep(wait.min(Duration::from_secs(3600))).await;
        }
    }
}

/// The bench's rules, loaded and connected, before the executor runs.
pub struct BenchRules {
    /// The handle for everything that fires events (pipeline, sync, runner).
    pub engine: RuleEngine,
    /// What the reducer needs (buttons, custom events).
    pub state: crate::app::rules::RulesState,
    set: RuleSet,
    inbox: Inbox,
}

impl BenchRules {
    /// Loads the rules file (see [`rules_path`], [`bench_rules`]) and connects a handle.
    pub fn prepare(
        config_dir: &std::path::Path,
        rules_file: Option<&std::path::Path>,
        demo: Option<&str>,
        store: &Store,
    ) -> Result<BenchRules, RulesSetupError> {
        let set = bench_rules(&rules_path(config_dir, rules_file), demo)?;
        let (engine, inbox) = RuleEngine::channel(&set, store)?;
        Ok(BenchRules {
            engine,
            state: crate::app::rules::RulesState::from_rules(&set),
            set,
            inbox,
        })
    }

    /// Starts the executor (on the current tokio runtime).
    pub fn start(
        self,
        pipeline: Pipeline,
        station: &str,
        bench: UnboundedSender<Msg>,
        camera: Option<Arc<dyn crate::camera::Camera>>,
        pick_pack: bool,
        photo_retention_days: u32,
    ) -> Result<tokio::task::JoinHandle<()>, RulesSetupError> {
        let mut exec = Executor::new(self.set, pipeline, station)?
            .with_bench(bench)
            .with_pick_pack(pick_pack)
            .with_photo_retention(photo_retention_days);
        if let Some(c) = camera {
            exec = exec.with_camera(c);
        }
        Ok(exec.spawn(self.inbox))
    }
}

/// The rules file the bench uses: `rules_file` from station.toml (relative to the config
/// directory), else `rules.toml` in the config directory.
pub fn rules_path(
    config_dir: &std::path::Path,
    rules_file: Option<&std::path::Path>,
) -> std::path::PathBuf {
    match rules_file {
        Some(p) if p.is_absolute() => p.to_path_buf(),
        Some(p) => config_dir.join(p),
        None => config_dir.join(crate::rules::RULES_FILE_NAME),
    }
}

/// The rules of the bench: the file at `path`; when there is none, the built-in demo
/// rules for the demo (`demo`: the demo shop's own *sent* status, which its rule sets) and
/// no rules otherwise. A file with problems is an error naming the file, line and key:
/// the bench does not start with it.
pub fn bench_rules(
    path: &std::path::Path,
    demo: Option<&str>,
) -> Result<RuleSet, crate::rules::RulesError> {
    if path.exists() {
        let set = RuleSet::load(path)?;
        tracing::info!(file = %path.display(), rules = set.rules().len(), "rules loaded");
        return Ok(set);
    }
    if let Some(sent) = demo {
        return demo_rules(sent);
    }
    Ok(RuleSet::default())
}

/// The built-in demo rules, setting `sent` (a status of the demo's shop: Upgates and
/// BaseLinker number their statuses differently).
fn demo_rules(sent: &str) -> Result<RuleSet, crate::rules::RulesError> {
    RuleSet::parse(
        std::path::Path::new("demo rules (built in)"),
        &DEMO_RULES.replace("{demo_sent_status}", sent),
    )
}

/// Whether a queued job's name is the job `name` (a label placed on an A4 quarter is
/// queued as `q<n>-<name>`).
fn same_job(queued: &str, name: &str) -> bool {
    queued == name
        || queued
            .strip_suffix(name)
            .and_then(|p| p.strip_suffix('-'))
            .and_then(|p| p.strip_prefix('q'))
            .is_some_and(|q| !q.is_empty() && q.bytes().all(|b| b.is_ascii_digit()))
}

/// A URL as logs and banners show it: scheme, host and path (no query, no user info).
fn shown_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => sanitize(&format!(
            "{}://{}{}",
            u.scheme(),
            u.host_str().unwrap_or(""),
            u.path()
        )),
        Err(_) => "(bad URL)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> Order {
        crate::demo::generate(5, 1, Utc::now())
            .into_iter()
            .next()
            .expect("one demo order")
    }

    #[test]
    fn sync_events_tell_new_paid_status_and_change() {
        let o = order();
        let evs = sync_events(None, &o);
        assert_eq!(evs.len(), 1);
        assert_eq!(evs[0].kind, EventKind::OrderFetched);
        assert!(sync_events(Some(&o), &o).is_empty(), "unchanged: nothing");
        let mut old = o.clone();
        old.paid = false;
        old.shop_status = "new".into();
        let mut new = o.clone();
        new.paid = true;
        new.shop_status = "paid".into();
        let kinds: Vec<EventKind> = sync_events(Some(&old), &new)
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            kinds,
            vec![
                EventKind::OrderPaid,
                EventKind::StatusSet,
                EventKind::OrderChangedUpstream
            ]
        );
    }

    /// A figure: how long `fire` takes with the durable write (insert + flush).
    /// `cargo test --lib effects::rules::tests::fire_time -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn fire_time() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("store");
        let (engine, mut inbox) = RuleEngine::channel(&RuleSet::default(), &store).expect("engine");
        let mut took = Vec::new();
        for i in 0..500 {
            let ev = Event::new(EventKind::Packed, "upgates:1", &i.to_string());
            let t = Instant::now();
            engine.fire(ev);
            took.push(t.elapsed());
        }
        took.sort();
        assert_eq!(engine.pending_events(), 500);
        assert!(inbox.try_recv().is_some());
        eprintln!(
            "fire: median {:?}, p99 {:?}, max {:?}",
            took[took.len() / 2],
            took[took.len() * 99 / 100],
            took[took.len() - 1]
        );
    }

    #[test]
    fn a_quartered_label_job_is_the_same_job() {
        assert!(same_job("label-1.pdf", "label-1.pdf"));
        assert!(same_job("q3-label-1.pdf", "label-1.pdf"));
        assert!(!same_job("q3-label-2.pdf", "label-1.pdf"));
        assert!(!same_job("xq3-label-1.pdf", "label-1.pdf"));
    }

    #[test]
    fn shown_urls_drop_queries_and_credentials() {
        assert_eq!(
            shown_url("https://user:pw@hooks.example.com/a/b?token=s3cret"),
            "https://hooks.example.com/a/b"
        );
    }

    #[test]
    fn the_demo_rules_are_valid_and_set_the_demo_shops_own_status() {
        for sent in ["4", "1054"] {
            let set = demo_rules(sent).expect("demo rules parse");
            let sets = set.rules().iter().flat_map(|r| &r.actions).any(
                |a| matches!(a, crate::rules::Action::SetStatus { status, .. } if status == sent),
            );
            assert!(sets, "the demo rules set status {sent}");
        }
    }
}
