//! Frugal batching of shop status updates (`[status] batch_orders`, `batch_delay_s`).
//!
//! Upgates counts every request against quotas of tens an hour, so status and tracking of
//! packed orders are sent many orders to a request:
//!
//! * **coalesce**: an order's updates (packed, then ready + tracking a second later) are
//!   merged into one; an order is only sent once its newest update has settled for the
//!   worker's `batch_window` (so its *ready* can join its *packed*);
//! * **by count**: as soon as `orders` settled orders wait, they go in one request — at a
//!   steady packing rate of R orders a minute that is every `orders / R` minutes;
//! * **by age**: otherwise the oldest update waits at most the delay — `max_delay`, longer
//!   when the shop's remaining quota cannot afford it (`quota_share` of the remaining
//!   requests spread over a day), longer still in frugal mode.
//!
//! Pure: [`plan`] decides from the pending updates and the time.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::worker::Frugal;
use crate::shop::Quota;

/// Sent at once whatever the settling: the most one request carries (Upgates PUT limit).
pub const FULL_BATCH: usize = 100;

/// How status updates are grouped into shop requests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Batching {
    /// Settled orders that are sent at once without waiting for the delay (default 20:
    /// 0.05 requests per order).
    pub orders: usize,
    /// The longest an update waits for others when the quota is not the limit (120 s).
    pub max_delay: Duration,
    /// The share of the shop's remaining quota (spread over 24 h) that status updates may
    /// use (0.5); 0 ignores the quota.
    pub quota_share: f64,
}

impl Default for Batching {
    fn default() -> Batching {
        Batching {
            orders: 20,
            max_delay: Duration::from_secs(120),
            quota_share: 0.5,
        }
    }
}

/// The delay never stretches beyond this, whatever the quota says.
const DELAY_CAP: Duration = Duration::from_secs(30 * 60);

impl Batching {
    /// From `[status]` (`batch_orders`, `batch_delay_s`); defaults where not set.
    pub fn from_status(s: Option<&crate::config::StatusSection>) -> Batching {
        let d = Batching::default();
        Batching {
            orders: s
                .and_then(|s| s.batch_orders)
                .map_or(d.orders, |n| n.clamp(1, FULL_BATCH)),
            max_delay: s
                .and_then(|s| s.batch_delay_s)
                .map_or(d.max_delay, Duration::from_secs),
            quota_share: d.quota_share,
        }
    }

    /// The longest the oldest update waits now.
    pub fn delay(&self, quota: Quota, frugal: Option<Frugal>) -> Duration {
        let mut d = self.max_delay;
        if let Some(rem) = quota.remaining
            && self.quota_share > 0.0
        {
            let per_request = 86_400.0 / (self.quota_share * f64::from(rem.max(1)));
            d = d.max(Duration::from_secs_f64(
                per_request.min(DELAY_CAP.as_secs_f64()),
            ));
        }
        if let Some(f) = frugal
            && quota.remaining.is_some_and(|r| r < f.below_remaining)
        {
            d = d.max(f.window);
        }
        d.min(DELAY_CAP.max(self.max_delay))
    }
}

/// One pending status update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub id: u64,
    pub number: String,
    /// When it may be sent (its creation, or the retry time).
    pub at: DateTime<Utc>,
}

/// What the worker does with the pending updates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Send these entries now, in one batch.
    Send(Vec<u64>),
    /// Look again then (or when something new arrives).
    Wait(DateTime<Utc>),
}

fn chrono_d(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// Decides about `pending` at `now`. `settle`: how long an order's newest update must be
/// left alone before the order is sent (the worker's `batch_window`); `delay`: from
/// [`Batching::delay`]; `not_before`: after a failed batch.
pub fn plan(
    b: &Batching,
    pending: &[Pending],
    now: DateTime<Utc>,
    settle: Duration,
    delay: Duration,
    not_before: DateTime<Utc>,
) -> Option<Plan> {
    let oldest = pending.iter().map(|p| p.at).min()?;
    if not_before > now {
        return Some(Plan::Wait(not_before));
    }
    let mut newest: HashMap<&str, DateTime<Utc>> = HashMap::new();
    for p in pending {
        let e = newest.entry(p.number.as_str()).or_insert(p.at);
        *e = (*e).max(p.at);
    }
    let settle = chrono_d(settle);
    let settled = |n: &str| newest.get(n).is_some_and(|t| *t + settle <= now);
    let ready_orders = newest.values().filter(|t| **t + settle <= now).count();
    let next_settled = newest
        .values()
        .map(|t| *t + settle)
        .filter(|t| *t > now)
        .min();
    let send: Vec<u64> = pending
        .iter()
        .filter(|p| settled(&p.number))
        .map(|p| p.id)
        .collect();
    let due_by_age = oldest + chrono_d(delay) <= now;
    if (ready_orders >= b.orders.max(1) || pending.len() >= FULL_BATCH || due_by_age)
        && !send.is_empty()
    {
        return Some(Plan::Send(send));
    }
    let by_age = oldest + chrono_d(delay);
    Some(Plan::Wait(match next_settled {
        Some(t) if t < by_age || due_by_age => t,
        _ => by_age,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::seconds(s)
    }

    fn p(id: u64, number: &str, at: i64) -> Pending {
        Pending {
            id,
            number: number.into(),
            at: t(at),
        }
    }

    const SETTLE: Duration = Duration::from_secs(2);
    const DELAY: Duration = Duration::from_secs(120);

    #[test]
    fn waits_for_the_delay_when_few_orders_wait() {
        let b = Batching::default();
        let pending = [p(1, "A", 0), p(2, "B", 30)];
        assert_eq!(
            plan(&b, &pending, t(60), SETTLE, DELAY, t(0)),
            Some(Plan::Wait(t(120)))
        );
        assert_eq!(
            plan(&b, &pending, t(120), SETTLE, DELAY, t(0)),
            Some(Plan::Send(vec![1, 2]))
        );
        assert_eq!(plan(&b, &[], t(120), SETTLE, DELAY, t(0)), None);
    }

    #[test]
    fn sends_at_once_when_enough_orders_settled() {
        let b = Batching {
            orders: 3,
            ..Batching::default()
        };
        let pending = [p(1, "A", 0), p(2, "B", 1), p(3, "C", 2), p(4, "D", 10)];
        // At 4 s: A, B, C have settled (2 s quiet), D is still fresh.
        assert_eq!(
            plan(&b, &pending, t(4), SETTLE, DELAY, t(0)),
            Some(Plan::Send(vec![1, 2, 3]))
        );
    }

    #[test]
    fn an_order_with_a_fresh_update_waits_for_it_to_settle() {
        let b = Batching::default();
        // A was packed at 0 and got its tracking at 119: at 120 only B goes.
        let pending = [p(1, "A", 0), p(2, "B", 5), p(3, "A", 119)];
        assert_eq!(
            plan(&b, &pending, t(120), SETTLE, DELAY, t(0)),
            Some(Plan::Send(vec![2]))
        );
        // With only A pending and unsettled, look again when it settles.
        let only_a = [p(1, "A", 0), p(3, "A", 119)];
        assert_eq!(
            plan(&b, &only_a, t(120), SETTLE, DELAY, t(0)),
            Some(Plan::Wait(t(121)))
        );
        assert_eq!(
            plan(&b, &only_a, t(121), SETTLE, DELAY, t(0)),
            Some(Plan::Send(vec![1, 3]))
        );
    }

    #[test]
    fn a_failed_batch_holds_the_next_one() {
        let b = Batching::default();
        let pending = [p(1, "A", 0)];
        assert_eq!(
            plan(&b, &pending, t(500), SETTLE, DELAY, t(600)),
            Some(Plan::Wait(t(600)))
        );
    }

    #[test]
    fn the_delay_stretches_with_a_small_quota_and_in_frugal_mode() {
        let b = Batching::default();
        let q = |r| Quota {
            remaining: Some(r),
            limit: None,
        };
        assert_eq!(b.delay(Quota::default(), None), DELAY);
        // Plenty left: the configured delay.
        assert_eq!(b.delay(q(3900), None), DELAY);
        // 300 left today, half of them for statuses: one request per 576 s.
        assert_eq!(b.delay(q(300), None), Duration::from_secs(576));
        assert_eq!(b.delay(q(0), None), DELAY_CAP);
        let f = Frugal {
            below_remaining: 10,
            window: Duration::from_secs(60),
        };
        assert_eq!(b.delay(q(5), Some(f)), DELAY_CAP);
        let short = Batching {
            max_delay: Duration::from_secs(1),
            quota_share: 0.0,
            ..b
        };
        assert_eq!(short.delay(q(5), Some(f)), Duration::from_secs(60));
    }

    #[test]
    fn config_keys_set_the_count_and_the_delay() {
        let s = crate::config::StatusSection {
            batch_orders: Some(500),
            batch_delay_s: Some(30),
            ..Default::default()
        };
        let b = Batching::from_status(Some(&s));
        assert_eq!(b.orders, FULL_BATCH);
        assert_eq!(b.max_delay, Duration::from_secs(30));
        assert_eq!(Batching::from_status(None), Batching::default());
    }
}
