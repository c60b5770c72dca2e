//! The rule log: exactly-once claims and the execution history, in two sled trees.
//!
//! `rules_claims` maps `rule name NUL occurrence id` to the execution id; it is written
//! (and flushed) in the same transaction as the execution record before the first action
//! runs, so a rule never runs twice for one occurrence, also across restarts.
//! `rules_log` maps the big-endian execution id to the record (version byte + JSON); the
//! ids of executions not finished yet are also kept in `rules_claims` (prefix 0xFE), so
//! finding them after a restart does not read the whole log.
//!
//! Follow-up events an execution raises (`fire`, `on_failure`, the `photo_taken` of a
//! `take_photo`) go into the `rule_events` tree (the tree [`RuleEngine::fire`] writes
//! fired events to) in the same transaction as the record step that raises them: the
//! action's outcome for a photo, the end of the run for `fire` and `on_failure`. So an
//! execution that recorded its follow-up never raises it again, and one that stopped
//! before raising it raises it when it is resumed.
//!
//! An action that queued shop changes in the outbox is recorded as
//! [`Outcome::Queued`] with the outbox entry ids; `rules_claims` indexes them (prefix
//! 0xFD: outbox id + execution id) until the outbox reports their final outcome
//! ([`RuleLog::settle`]).
//!
//! [`RuleEngine::fire`]: crate::effects::rules::RuleEngine::fire

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};

use crate::store::{Store, StoreError};

use std::sync::Arc;

use super::{Action, Condition, Event, Outcome, Planned, Rule, Run, occurrence_key};

const CLAIMS: &str = "rules_claims";
const LOG: &str = "rules_log";
/// The tree of events to handle (fired, or raised by an execution), replayed at start:
/// key a monotonic id (big-endian), value a [`StoredEvent`] as JSON.
pub const EVENTS_TREE: &str = "rule_events";
const VALUE_VERSION: u8 = 1;
/// The key (in the claims tree) of the last execution id. 0xFF and 0xFE never occur in
/// UTF-8, so these keys cannot collide with claims.
const LAST_ID: &[u8] = b"\xffLAST_ID";
/// The prefix (in the claims tree) of the ids of executions not finished yet.
const RUNNING: &[u8] = b"\xfeRUN";

/// The prefix (in the claims tree) of the outbox entries queued actions wait for:
/// `prefix + outbox id + execution id` (both big-endian).
const QUEUED: &[u8] = b"\xfdOBX";

fn running_key(id: u64) -> Vec<u8> {
    let mut k = RUNNING.to_vec();
    k.extend_from_slice(&id.to_be_bytes());
    k
}

fn queued_prefix(outbox_id: u64) -> Vec<u8> {
    let mut k = QUEUED.to_vec();
    k.extend_from_slice(&outbox_id.to_be_bytes());
    k
}

fn queued_key(outbox_id: u64, execution: u64) -> Vec<u8> {
    let mut k = queued_prefix(outbox_id);
    k.extend_from_slice(&execution.to_be_bytes());
    k
}

/// An event waiting in [`EVENTS_TREE`] and how deep in a chain of follow-ups it is
/// (0: fired from outside; events stored before this field decode with 0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredEvent {
    #[serde(flatten)]
    pub event: Event,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub depth: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// What went wrong with the rule log.
#[derive(Debug, thiserror::Error)]
pub enum RuleLogError {
    /// Opening a tree failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Reading or writing a tree failed.
    #[error("rule log: storage error in tree `{tree}`: {source}")]
    Io {
        /// The tree.
        tree: &'static str,
        /// The sled error.
        #[source]
        source: sled::Error,
    },
    /// A record that does not decode.
    #[error("rule log: damaged record in tree `{tree}` at key `{key}`: {detail}")]
    Corrupt {
        /// The tree.
        tree: &'static str,
        /// The key, printable.
        key: String,
        /// What is wrong.
        detail: String,
    },
    /// `action_result` for an action the record does not have.
    #[error("rule log: execution {id} of rule `{rule}` has no action {index}")]
    NoSuchAction {
        /// The execution.
        id: u64,
        /// The rule.
        rule: String,
        /// The index given.
        index: usize,
    },
}

/// One action of an execution and how it ended (`None` while not run yet).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionRecord {
    /// The action as planned (texts unrendered).
    pub action: Action,
    /// Its outcome, once known.
    pub outcome: Option<Outcome>,
    /// The outbox entries it queued (shop changes), whose final outcome decides a
    /// [`Outcome::Queued`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outbox: Vec<u64>,
}

/// One execution of one rule for one event occurrence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionRecord {
    /// Monotonic id (1, 2, …).
    pub id: u64,
    /// The rule's name.
    pub rule: String,
    /// The event occurrence (kind, order, occurrence id).
    pub event: Event,
    /// The rule's *stop after failure* at the time it started.
    pub stop_after_failure: bool,
    /// The rule's *on failure* event at the time it started.
    pub on_failure: Option<String>,
    /// When the rule was claimed.
    pub started_at: DateTime<Utc>,
    /// When the run ended; `None` while running or when interrupted by a crash.
    pub finished_at: Option<DateTime<Utc>>,
    /// The actions with their outcomes, in order.
    pub actions: Vec<ActionRecord>,
    /// How deep in a chain of follow-up events the triggering event is (0: fired from
    /// outside); follow-ups are followed up to a fixed depth.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub depth: u32,
}

impl ExecutionRecord {
    /// Whether any action failed.
    pub fn failed(&self) -> bool {
        self.actions
            .iter()
            .any(|a| matches!(a.outcome, Some(Outcome::Failed(_))))
    }

    /// Whether some action waits for the outbox's final outcome ([`Outcome::Queued`]).
    pub fn queued(&self) -> bool {
        self.actions
            .iter()
            .any(|a| a.outcome == Some(Outcome::Queued))
    }

    /// The outcomes recorded so far, in order, up to the first action without one.
    pub fn outcomes(&self) -> Vec<Outcome> {
        self.actions
            .iter()
            .map_while(|a| a.outcome.clone())
            .collect()
    }

    /// A [`Run`] that continues this (interrupted) execution after its last recorded
    /// action, with the actions and failure handling it started with.
    pub fn resume(&self) -> Run {
        let rule = Rule {
            name: self.rule.clone(),
            event: self.event.kind.clone(),
            when: Condition::Always,
            actions: self.actions.iter().map(|a| a.action.clone()).collect(),
            stop_after_failure: self.stop_after_failure,
            on_failure: self.on_failure.clone(),
        };
        let planned = Planned {
            occurrence_key: occurrence_key(&rule.name, &self.event.occurrence),
            rule: Arc::new(rule),
        };
        Run::resume(planned, self.outcomes())
    }
}

/// The rule log of one store. Cheap to clone.
#[derive(Clone)]
pub struct RuleLog {
    claims: sled::Tree,
    log: sled::Tree,
    /// [`EVENTS_TREE`]: follow-ups are written with the step that raises them.
    events: sled::Tree,
    /// For the ids of stored events (monotonic across restarts, as `fire` uses).
    store: Store,
}

/// A row of [`EVENTS_TREE`]: key (big-endian id) and value.
type EventRow = ([u8; 8], Vec<u8>);

fn tx_error(e: TransactionError<RuleLogError>) -> RuleLogError {
    match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(source) => RuleLogError::Io { tree: LOG, source },
    }
}

fn decode_id(bytes: &[u8]) -> Option<u64> {
    <[u8; 8]>::try_from(bytes).ok().map(u64::from_be_bytes)
}

impl std::fmt::Debug for RuleLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleLog")
            .field("executions", &self.log.len())
            .finish()
    }
}

fn encode<T: Serialize>(v: &T) -> Result<Vec<u8>, RuleLogError> {
    let mut out = vec![VALUE_VERSION];
    serde_json::to_writer(&mut out, v).map_err(|e| RuleLogError::Corrupt {
        tree: LOG,
        key: String::new(),
        detail: format!("cannot encode: {e}"),
    })?;
    Ok(out)
}

fn decode(key: &[u8], bytes: &[u8]) -> Result<ExecutionRecord, RuleLogError> {
    let corrupt = |detail: String| RuleLogError::Corrupt {
        tree: LOG,
        key: key.try_into().map(u64::from_be_bytes).map_or_else(
            |_| String::from_utf8_lossy(key).into_owned(),
            |n| n.to_string(),
        ),
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

impl RuleLog {
    /// Opens the rule log trees of `store`.
    pub fn open(store: &Store) -> Result<RuleLog, RuleLogError> {
        Ok(RuleLog {
            claims: store.open_tree(CLAIMS)?,
            log: store.open_tree(LOG)?,
            events: store.open_tree(EVENTS_TREE)?,
            store: store.clone(),
        })
    }

    /// The rows `raised` takes in [`EVENTS_TREE`] (fresh ids, values encoded).
    fn event_rows(&self, raised: &[StoredEvent]) -> Result<Vec<EventRow>, RuleLogError> {
        raised
            .iter()
            .map(|ev| {
                let id = self.store.generate_id()?;
                let value = serde_json::to_vec(ev).map_err(|e| RuleLogError::Corrupt {
                    tree: EVENTS_TREE,
                    key: id.to_string(),
                    detail: format!("cannot encode: {e}"),
                })?;
                Ok((id.to_be_bytes(), value))
            })
            .collect()
    }

    /// Writes `record` and the follow-ups it raises (and, when `finished`, clears its
    /// running mark; `index` / `unindex` add and drop queued-entry keys) in one
    /// transaction, then flushes.
    fn commit(
        &self,
        record: &ExecutionRecord,
        raised: &[StoredEvent],
        index: &[u64],
        unindex: &[u64],
    ) -> Result<(), RuleLogError> {
        let value = encode(record)?;
        let rows = self.event_rows(raised)?;
        let id = record.id;
        let finished = record.finished_at.is_some();
        (&self.claims, &self.log, &self.events)
            .transaction(|(claims, log, events)| {
                log.insert(&id.to_be_bytes(), value.as_slice())?;
                if finished {
                    claims.remove(running_key(id))?;
                }
                for o in index {
                    claims.insert(queued_key(*o, id), &[])?;
                }
                for o in unindex {
                    claims.remove(queued_key(*o, id))?;
                }
                for (k, v) in &rows {
                    events.insert(k, v.as_slice())?;
                }
                Ok::<(), ConflictableTransactionError<RuleLogError>>(())
            })
            .map_err(tx_error)?;
        self.flush()
    }

    /// Whether the execution `occurrence_key` ([`Planned::occurrence_key`]) was claimed.
    pub fn claimed(&self, occurrence_key: &str) -> Result<bool, RuleLogError> {
        self.claims
            .contains_key(occurrence_key.as_bytes())
            .map_err(|source| RuleLogError::Io {
                tree: CLAIMS,
                source,
            })
    }

    /// Claims `planned` for `ev` and records the start of its execution, durably, before
    /// any action runs. `None` when this rule already ran (or started) for this
    /// occurrence: the caller must then do nothing.
    pub fn begin(
        &self,
        planned: &Planned,
        ev: &Event,
        now: DateTime<Utc>,
    ) -> Result<Option<ExecutionRecord>, RuleLogError> {
        self.begin_at(planned, ev, 0, now)
    }

    /// [`RuleLog::begin`] for an event `depth` follow-ups deep.
    pub fn begin_at(
        &self,
        planned: &Planned,
        ev: &Event,
        depth: u32,
        now: DateTime<Utc>,
    ) -> Result<Option<ExecutionRecord>, RuleLogError> {
        let mut record = ExecutionRecord {
            id: 0,
            rule: planned.rule.name.clone(),
            event: ev.clone(),
            stop_after_failure: planned.rule.stop_after_failure,
            on_failure: planned.rule.on_failure.clone(),
            started_at: now,
            finished_at: None,
            actions: planned
                .actions()
                .iter()
                .map(|a| ActionRecord {
                    action: a.clone(),
                    outcome: None,
                    outbox: Vec::new(),
                })
                .collect(),
            depth,
        };
        let claim = planned.occurrence_key.as_bytes();
        let res: Result<Option<u64>, TransactionError<RuleLogError>> = (&self.claims, &self.log)
            .transaction(|(claims, log)| {
                if claims.get(claim)?.is_some() {
                    return Ok(None);
                }
                let last = claims
                    .get(LAST_ID)?
                    .and_then(|b| <[u8; 8]>::try_from(b.as_ref()).ok())
                    .map_or(0, u64::from_be_bytes);
                let id = last + 1;
                let mut first = record.clone();
                first.id = id;
                let value = encode(&first).map_err(ConflictableTransactionError::Abort)?;
                claims.insert(LAST_ID, &id.to_be_bytes())?;
                claims.insert(claim, &id.to_be_bytes())?;
                claims.insert(running_key(id), &[])?;
                log.insert(&id.to_be_bytes(), value)?;
                Ok(Some(id))
            });
        let id = match res {
            Ok(id) => id,
            Err(TransactionError::Abort(e)) => return Err(e),
            Err(TransactionError::Storage(source)) => {
                return Err(RuleLogError::Io {
                    tree: CLAIMS,
                    source,
                });
            }
        };
        let Some(id) = id else {
            tracing::debug!(
                rule = %planned.rule.name,
                occurrence = %ev.occurrence,
                "rule already ran for this occurrence"
            );
            return Ok(None);
        };
        record.id = id;
        self.flush()?;
        tracing::info!(id, rule = %record.rule, event = %ev.kind, order = %ev.order_key, "rule started");
        Ok(Some(record))
    }

    /// Records the outcome of action `index` of `record`, durably.
    pub fn action_result(
        &self,
        record: &mut ExecutionRecord,
        index: usize,
        outcome: Outcome,
    ) -> Result<(), RuleLogError> {
        self.action_result_with(record, index, outcome, Vec::new(), &[])
    }

    /// Records the outcome of action `index` of `record` with the outbox entries it
    /// queued (indexed while the outcome is [`Outcome::Queued`]) and the follow-up
    /// events it raised (a photo's `photo_taken`), in one transaction.
    pub fn action_result_with(
        &self,
        record: &mut ExecutionRecord,
        index: usize,
        outcome: Outcome,
        outbox: Vec<u64>,
        raised: &[StoredEvent],
    ) -> Result<(), RuleLogError> {
        let Some(slot) = record.actions.get_mut(index) else {
            return Err(RuleLogError::NoSuchAction {
                id: record.id,
                rule: record.rule.clone(),
                index,
            });
        };
        if let Outcome::Failed(e) = &outcome {
            tracing::warn!(id = record.id, rule = %record.rule, action = slot.action.name(), error = %e, "rule action failed");
        }
        let index_keys = if outcome == Outcome::Queued {
            outbox.clone()
        } else {
            Vec::new()
        };
        slot.outcome = Some(outcome);
        slot.outbox = outbox;
        self.commit(record, raised, &index_keys, &[])
    }

    /// Marks `record` finished; actions without an outcome are recorded as skipped.
    pub fn finish(
        &self,
        record: &mut ExecutionRecord,
        now: DateTime<Utc>,
    ) -> Result<(), RuleLogError> {
        self.finish_with(record, now, &[])
    }

    /// Marks `record` finished and stores the follow-up events its end raises (`fire`,
    /// `on_failure`) in the same transaction.
    pub fn finish_with(
        &self,
        record: &mut ExecutionRecord,
        now: DateTime<Utc>,
        raised: &[StoredEvent],
    ) -> Result<(), RuleLogError> {
        for a in &mut record.actions {
            if a.outcome.is_none() {
                a.outcome = Some(Outcome::Skipped);
            }
        }
        record.finished_at = Some(now);
        tracing::info!(id = record.id, rule = %record.rule, failed = record.failed(), queued = record.queued(), "rule finished");
        self.commit(record, raised, &[], &[])
    }

    /// Records the final outcome of queued actions of `record` (already set in it): the
    /// outbox entries `settled` no longer wait, and the follow-ups it raises (a late
    /// `on_failure`) are stored, in one transaction.
    pub fn settle(
        &self,
        record: &ExecutionRecord,
        settled: &[u64],
        raised: &[StoredEvent],
    ) -> Result<(), RuleLogError> {
        tracing::info!(id = record.id, rule = %record.rule, failed = record.failed(), queued = record.queued(), "rule action settled by the outbox");
        self.commit(record, raised, &[], settled)
    }

    /// One execution by id.
    pub fn get(&self, id: u64) -> Result<Option<ExecutionRecord>, RuleLogError> {
        let key = id.to_be_bytes();
        match self
            .log
            .get(key)
            .map_err(|source| RuleLogError::Io { tree: LOG, source })?
        {
            Some(v) => decode(&key, &v).map(Some),
            None => Ok(None),
        }
    }

    /// The executions waiting for the outbox entry `outbox_id`.
    pub fn waiting_for(&self, outbox_id: u64) -> Result<Vec<u64>, RuleLogError> {
        let prefix = queued_prefix(outbox_id);
        let mut out = Vec::new();
        for kv in self.claims.scan_prefix(&prefix) {
            let (k, _) = kv.map_err(|source| RuleLogError::Io {
                tree: CLAIMS,
                source,
            })?;
            if let Some(id) = k.get(prefix.len()..).and_then(decode_id) {
                out.push(id);
            }
        }
        Ok(out)
    }

    /// Every `(outbox id, execution id)` a queued action waits for, oldest entry first.
    pub fn waiting(&self) -> Result<Vec<(u64, u64)>, RuleLogError> {
        let mut out = Vec::new();
        for kv in self.claims.scan_prefix(QUEUED) {
            let (k, _) = kv.map_err(|source| RuleLogError::Io {
                tree: CLAIMS,
                source,
            })?;
            let rest = k.get(QUEUED.len()..).unwrap_or_default();
            if let (Some(o), Some(e)) = (
                rest.get(..8).and_then(decode_id),
                rest.get(8..).and_then(decode_id),
            ) {
                out.push((o, e));
            }
        }
        Ok(out)
    }

    fn flush(&self) -> Result<(), RuleLogError> {
        self.log
            .flush()
            .map_err(|source| RuleLogError::Io { tree: LOG, source })?;
        self.claims.flush().map_err(|source| RuleLogError::Io {
            tree: CLAIMS,
            source,
        })?;
        Ok(())
    }

    /// The newest `limit` executions, newest first.
    pub fn list(&self, limit: usize) -> Result<Vec<ExecutionRecord>, RuleLogError> {
        self.log
            .iter()
            .rev()
            .take(limit)
            .map(|kv| {
                let (k, v) = kv.map_err(|source| RuleLogError::Io { tree: LOG, source })?;
                decode(&k, &v)
            })
            .collect()
    }

    /// Executions that started but never finished (the process stopped in between),
    /// oldest first: the effect runner resumes them after a restart.
    pub fn unfinished(&self) -> Result<Vec<ExecutionRecord>, RuleLogError> {
        let mut out = Vec::new();
        for kv in self.claims.scan_prefix(RUNNING) {
            let (k, _) = kv.map_err(|source| RuleLogError::Io {
                tree: CLAIMS,
                source,
            })?;
            let id = k.get(RUNNING.len()..).unwrap_or_default();
            match self
                .log
                .get(id)
                .map_err(|source| RuleLogError::Io { tree: LOG, source })?
            {
                Some(v) => out.push(decode(id, &v)?),
                None => {
                    return Err(RuleLogError::Corrupt {
                        tree: CLAIMS,
                        key: <[u8; 8]>::try_from(id).map_or_else(
                            |_| "?".to_string(),
                            |b| u64::from_be_bytes(b).to_string(),
                        ),
                        detail: "a running execution without its record".into(),
                    });
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{EventKind, RuleSet, evaluate};

    const RULES: &str = r#"
[[rule]]
name = "ship"
event = "packed"
actions = [{ set_status = { status = "4" } }, { fire = { event = "custom:next" } }]
on_failure = "custom:problem"

[[rule]]
name = "next"
event = "custom:next"
actions = [{ add_history = { text = "x" } }]

[[rule]]
name = "problem"
event = "custom:problem"
actions = [{ add_history = { text = "y" } }]
"#;

    fn planned(ev: &Event) -> Planned {
        let set = RuleSet::parse(std::path::Path::new("rules.toml"), RULES).expect("rules");
        let facts = crate::rules::Facts {
            order_key: ev.order_key.clone(),
            order_number: "1".into(),
            source: "demo".into(),
            shop_status: String::new(),
            shipping_method: String::new(),
            carrier: String::new(),
            service: String::new(),
            cod: false,
            paid: true,
            country: "CZ".into(),
            total: crate::domain::Money::new(0, "CZK"),
            weight_kg: 1.0,
            item_count: crate::domain::Qty::units(1),
            flags: vec![],
            station: "s".into(),
            packer: None,
            tracking: None,
            package_id: None,
        };
        evaluate(&set, ev, &facts).remove(0)
    }

    fn events(store: &Store) -> Vec<StoredEvent> {
        store
            .open_tree(EVENTS_TREE)
            .expect("tree")
            .iter()
            .map(|kv| {
                let (_, v) = kv.expect("row");
                serde_json::from_slice(&v).expect("stored event")
            })
            .collect()
    }

    #[test]
    fn events_and_records_stored_by_older_versions_still_decode() {
        let ev = Event::new(EventKind::Packed, "demo:1", "7");
        let bare = serde_json::to_vec(&ev).expect("json");
        let stored: StoredEvent = serde_json::from_slice(&bare).expect("old event");
        assert_eq!(
            stored,
            StoredEvent {
                event: ev,
                depth: 0
            }
        );
        let old = br#"{"id":3,"rule":"r","event":{"kind":"packed","order_key":"demo:1","occurrence":"packed:demo:1:7"},
            "stop_after_failure":true,"on_failure":null,"started_at":"2026-11-20T08:00:00Z","finished_at":null,
            "actions":[{"action":"create_shipment","outcome":{"outcome":"done"}}]}"#;
        let r: ExecutionRecord = serde_json::from_slice(old).expect("old record");
        assert_eq!(r.depth, 0);
        assert!(r.actions[0].outbox.is_empty());
        assert!(!r.queued());
    }

    #[test]
    fn follow_ups_go_to_disk_with_the_step_that_raises_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("store");
        let log = RuleLog::open(&store).expect("log");
        let ev = Event::new(EventKind::Packed, "demo:1", "7");
        let p = planned(&ev);
        let mut r = log
            .begin_at(&p, &ev, 2, Utc::now())
            .expect("begin")
            .expect("new");
        assert_eq!(r.depth, 2);
        let photo = StoredEvent {
            event: Event::new(EventKind::PhotoTaken, "demo:1", "1"),
            depth: 3,
        };
        log.action_result_with(
            &mut r,
            0,
            Outcome::Done,
            vec![],
            std::slice::from_ref(&photo),
        )
        .expect("result");
        assert_eq!(events(&store), vec![photo.clone()]);
        let next = StoredEvent {
            event: ev.follow_up("ship", "fire1", "next"),
            depth: 3,
        };
        log.finish_with(&mut r, Utc::now(), std::slice::from_ref(&next))
            .expect("finish");
        assert_eq!(events(&store), vec![photo, next]);
        assert!(log.unfinished().expect("unfinished").is_empty());
        // Reopened (a restart): the record and the events are there.
        drop(log);
        let log = RuleLog::open(&store).expect("log");
        assert_eq!(log.get(r.id).expect("get").map(|r| r.depth), Some(2));
        assert_eq!(events(&store).len(), 2);
    }

    #[test]
    fn a_queued_action_is_indexed_until_it_is_settled() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("store");
        let log = RuleLog::open(&store).expect("log");
        let ev = Event::new(EventKind::Packed, "demo:1", "7");
        let mut r = log
            .begin(&planned(&ev), &ev, Utc::now())
            .expect("begin")
            .expect("new");
        log.action_result_with(&mut r, 0, Outcome::Queued, vec![41], &[])
            .expect("queued");
        log.action_result(&mut r, 1, Outcome::Done).expect("fire");
        log.finish(&mut r, Utc::now()).expect("finish");
        assert!(r.queued());
        assert_eq!(log.waiting().expect("waiting"), vec![(41, r.id)]);
        assert_eq!(log.waiting_for(41).expect("for"), vec![r.id]);
        assert!(log.waiting_for(42).expect("for").is_empty());
        // The action keeps the ids of the entries it queued.
        assert_eq!(r.actions[0].outbox, vec![41]);

        r.actions[0].outcome = Some(Outcome::Failed("refused".into()));
        let problem = StoredEvent {
            event: ev.follow_up("ship", "on_failure", "problem"),
            depth: 1,
        };
        log.settle(&r, &[41], std::slice::from_ref(&problem))
            .expect("settle");
        assert!(log.waiting().expect("waiting").is_empty());
        assert_eq!(events(&store), vec![problem]);
        let stored = log.get(r.id).expect("get").expect("record");
        assert!(stored.failed());
        assert!(!stored.queued());
    }
}
