//! Queued rule actions reach their real end: a shop change a rule queued in the outbox
//! (status, note, history, pick/pack state, drop, hand-over) is recorded as *queued*
//! with its outbox entry ids; when the outbox reports the entry's final outcome the
//! action becomes *done*, or *failed* with the shop's reason — then the bench gets the
//! rule-failure banner and the rule's `on_failure` event is raised (once: it is stored
//! with the settled record, and its occurrence id is the same as at the end of a run).
//!
//! Reports come from the outbox worker through [`RuleEngine::outbox_event`]; a sweep
//! ([`Executor::settle_queued`]) at start and every [`SWEEP_EVERY`] settles what no
//! report reached (a stop between the outcome on disk and its report, an entry
//! cancelled on the Outbox screen). Settling is idempotent and runs under the order's
//! lock, so it never races the execution that queued the entry.
//!
//! A queued action that fails later does not stop the actions after it: they ran
//! already. The first final outcome counts: an entry a supervisor retries after it
//! failed leaves the rule log at *failed*.
//!
//! [`RuleEngine::outbox_event`]: super::RuleEngine::outbox_event
//! [`SWEEP_EVERY`]: super::SWEEP_EVERY

use super::{Executor, Msg, RuleNote};
use crate::outbox::EntryState;
use crate::rules::{ExecutionRecord, Outcome, StoredEvent};

impl Executor {
    /// Settles every queued action whose outbox entry has its final outcome (the sweep).
    /// Returns how many actions were settled.
    pub async fn settle_queued(&self) -> usize {
        let waiting = match self.log.waiting() {
            Ok(w) => w,
            Err(e) => {
                tracing::error!(error = %e, "rule log unreadable: queued actions not settled");
                return 0;
            }
        };
        let mut executions: Vec<u64> = waiting.into_iter().map(|(_, e)| e).collect();
        executions.sort_unstable();
        executions.dedup();
        let mut n = 0;
        for id in executions {
            n += self.settle_execution(id).await;
        }
        n
    }

    /// The outbox entry `outbox_id` reached its final outcome: settles the actions that
    /// queued it. Returns how many actions were settled.
    pub async fn outbox_settled(&self, outbox_id: u64) -> usize {
        let executions = match self.log.waiting_for(outbox_id) {
            Ok(ids) => ids,
            Err(e) => {
                tracing::error!(error = %e, outbox_id, "rule log unreadable: queued action not settled");
                return 0;
            }
        };
        let mut n = 0;
        for id in executions {
            n += self.settle_execution(id).await;
        }
        n
    }

    /// Settles execution `id` under its order's lock, then handles the follow-ups that
    /// raised (a late `on_failure`).
    async fn settle_execution(&self, id: u64) -> usize {
        let order_key = match self.log.get(id) {
            Ok(Some(r)) => r.event.order_key,
            Ok(None) => {
                tracing::warn!(id, "a queued rule action without its execution record");
                return 0;
            }
            Err(e) => {
                tracing::error!(error = %e, id, "rule log unreadable: queued action not settled");
                return 0;
            }
        };
        let lock = self.lock_for(&order_key);
        let guard = lock.lock().await;
        // Read again under the lock: the execution may have moved on meanwhile.
        let mut record = match self.log.get(id) {
            Ok(Some(r)) => r,
            _ => return 0,
        };
        let (n, raised) = self.settle_record(&mut record);
        drop(guard);
        for s in raised {
            Box::pin(self.handle_at(s.event, s.depth)).await;
        }
        n
    }

    /// Settles the queued actions of a finished `record` whose entries have their final
    /// outcome, durably, and tells the bench. The caller holds the order's lock. Returns
    /// how many actions were settled and the follow-ups raised (stored; the caller
    /// handles them). An unfinished record is left alone: it settles when it finishes.
    pub(super) fn settle_record(&self, record: &mut ExecutionRecord) -> (usize, Vec<StoredEvent>) {
        if record.finished_at.is_none() || !record.queued() {
            return (0, Vec::new());
        }
        let was_failed = record.failed();
        let mut settled_ids = Vec::new();
        let mut failures = Vec::new();
        let mut n = 0;
        for a in &mut record.actions {
            if a.outcome != Some(Outcome::Queued) {
                continue;
            }
            let Some(outcome) = self.final_outcome(&a.outbox) else {
                continue;
            };
            if let Outcome::Failed(e) = &outcome {
                failures.push((a.action.name().to_string(), e.clone()));
            }
            a.outcome = Some(outcome);
            settled_ids.extend(a.outbox.iter().copied());
            n += 1;
        }
        if n == 0 {
            return (0, Vec::new());
        }
        // `on_failure` was raised at the end of the run when something had failed then.
        let raised = match &record.on_failure {
            Some(name) if !was_failed && record.failed() => self.raise(
                vec![record.event.follow_up(&record.rule, "on_failure", name)],
                record.depth + 1,
            ),
            _ => Vec::new(),
        };
        if let Err(e) = self.log.settle(record, &settled_ids, &raised) {
            tracing::error!(error = %e, id = record.id, "rule log not written: the queued action is settled at the next sweep");
            return (0, Vec::new());
        }
        for (action, error) in failures {
            self.tell(Msg::Rule(RuleNote::Failed {
                rule: record.rule.clone(),
                action,
                order_key: record.event.order_key.clone(),
                error,
            }));
        }
        // Refreshes an open rule-log overlay.
        self.tell(Msg::Rule(RuleNote::Finished {
            rule: record.rule.clone(),
            order_key: record.event.order_key.clone(),
        }));
        (n, raised)
    }

    /// The final outcome of an action that queued the entries `ids`: failed as soon as
    /// one failed for good (the shop's reason) or was cancelled, done when all are done,
    /// `None` while one is still open.
    fn final_outcome(&self, ids: &[u64]) -> Option<Outcome> {
        let outbox = self.pipeline.outbox();
        let mut open = false;
        for &id in ids {
            match outbox.get(id) {
                Ok(Some(e)) => match e.state {
                    EntryState::Done => {}
                    EntryState::Failed => {
                        return Some(Outcome::Failed(
                            e.last_error
                                .unwrap_or_else(|| format!("{}: refused", e.op.describe())),
                        ));
                    }
                    EntryState::Cancelled => {
                        return Some(Outcome::Failed(format!(
                            "{}: cancelled on the outbox screen",
                            e.op.describe()
                        )));
                    }
                    EntryState::Pending | EntryState::InFlight => open = true,
                },
                // Only done and cancelled entries are purged, after days: count it done.
                Ok(None) => {
                    tracing::warn!(
                        outbox_id = id,
                        "a rule's outbox entry is gone (purged): counted as done"
                    );
                }
                Err(e) => {
                    tracing::warn!(error = %e, outbox_id = id, "outbox entry unreadable: the rule action stays queued");
                    open = true;
                }
            }
        }
        (!open).then_some(Outcome::Done)
    }
}
