//! Batching of shop status updates (`[status] batch_orders`, `batch_delay_s`), chosen
//! per shop by what one request can carry.
//!
//! **Upgates** counts every request against quotas of tens an hour (Bronze: 10), and one
//! `PUT /orders` carries status and tracking of up to 100 orders, so updates are sent many
//! orders to a request:
//!
//! * **coalesce**: an order's updates (packed, then ready + tracking a second later) are
//!   merged into one; an order is only sent once its newest update has settled for the
//!   worker's `batch_window` (so its *ready* can join its *packed*);
//! * **by count**: as soon as `orders` settled orders wait, they go in one request; at a
//!   steady packing rate of R orders a minute that is every `orders / R` minutes;
//! * **by age**: otherwise the oldest update waits at most `max_delay` (longer in frugal
//!   mode, when the shop reports almost nothing left);
//! * **after a quiet spell** (no status request for `max_delay`), the first settled order
//!   goes at once, and so do that order's own later updates for `max_delay` (its tracking,
//!   when the label came after the *packed* update had settled): a bench that packs now
//!   and then gets its tracking into the shop within seconds, while steady packing never
//!   sees a quiet spell and stays batched;
//! * **paced by the quota**: whatever the trigger, two status requests are at least
//!   [`Batching::gap`] apart, which keeps status updates within `quota_share` of the
//!   shop's remaining quota spread over a day (without this, fast packing on a small
//!   tariff would send a full batch more often than the quota allows).
//!
//! **BaseLinker** registers each tracking number with requests of its own
//! (`getOrderPackages`, `createPackageManual`) and allows 100 requests a minute: waiting
//! saves next to nothing there, so by default an order goes as soon as it has settled:
//! within seconds ([`Batching::for_shop`]).
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
    /// Settled orders that are sent at once without waiting for the delay (default 20 for
    /// a shop that batches: 0.05 requests per order).
    pub orders: usize,
    /// The longest an update waits for others (120 s), and how long without a status
    /// request counts as a quiet spell.
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

/// The quota pacing never holds a request back longer than this.
const GAP_CAP: Duration = Duration::from_secs(30 * 60);

impl Batching {
    /// Sent as soon as each order settles: for a shop whose requests carry one order.
    pub fn immediate() -> Batching {
        Batching {
            orders: 1,
            max_delay: Duration::ZERO,
            ..Batching::default()
        }
    }

    /// The default for a shop whose status request carries up to `per_request` orders
    /// (batched when more than one, else [`Batching::immediate`]), with `[status]`
    /// `batch_orders` / `batch_delay_s` where set.
    pub fn for_shop(per_request: usize, s: Option<&crate::config::StatusSection>) -> Batching {
        let d = if per_request > 1 {
            Batching::default()
        } else {
            Batching::immediate()
        };
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

    /// The longest the oldest update waits now: `max_delay`, or the frugal window while the
    /// shop reports almost nothing left.
    pub fn delay(&self, quota: Quota, frugal: Option<Frugal>) -> Duration {
        match frugal {
            Some(f) if quota.remaining.is_some_and(|r| r < f.below_remaining) => {
                self.max_delay.max(f.window)
            }
            _ => self.max_delay,
        }
    }

    /// The least time between two status requests so that they use at most `quota_share`
    /// of the remaining quota spread over a day; zero when the shop reports no quota.
    pub fn gap(&self, quota: Quota) -> Duration {
        match quota.remaining {
            Some(rem) if self.quota_share > 0.0 => {
                let per_request = 86_400.0 / (self.quota_share * f64::from(rem.max(1)));
                Duration::from_secs_f64(per_request.min(GAP_CAP.as_secs_f64()))
            }
            _ => Duration::ZERO,
        }
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

/// The time the plan is made at, and what the worker remembers of the last requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock<'a> {
    pub now: DateTime<Utc>,
    /// How long an order's newest update must be left alone before it is sent (the
    /// worker's `batch_window`).
    pub settle: Duration,
    /// From [`Batching::delay`].
    pub delay: Duration,
    /// From [`Batching::gap`].
    pub gap: Duration,
    /// When the last status request went (`None`: none since the start).
    pub last_sent: Option<DateTime<Utc>>,
    /// Not before this, after a failed batch.
    pub not_before: DateTime<Utc>,
    /// Orders sent after a quiet spell less than `max_delay` ago: their later updates go
    /// as soon as they settle.
    pub follow_ups: &'a [String],
}

/// Whether the oldest pending update came after a quiet spell: no status request for
/// `max_delay` before it (or none since the start).
pub fn after_quiet_spell(
    b: &Batching,
    pending: &[Pending],
    last_sent: Option<DateTime<Utc>>,
) -> bool {
    let Some(oldest) = pending.iter().map(|p| p.at).min() else {
        return false;
    };
    last_sent.is_none_or(|t| t + chrono_d(b.max_delay) <= oldest)
}

/// Decides about `pending` at `c.now`.
pub fn plan(b: &Batching, pending: &[Pending], c: Clock) -> Option<Plan> {
    let now = c.now;
    let oldest = pending.iter().map(|p| p.at).min()?;
    let paced = c
        .last_sent
        .map_or(c.not_before, |t| c.not_before.max(t + chrono_d(c.gap)));
    if paced > now {
        return Some(Plan::Wait(paced));
    }
    let mut newest: HashMap<&str, DateTime<Utc>> = HashMap::new();
    for p in pending {
        let e = newest.entry(p.number.as_str()).or_insert(p.at);
        *e = (*e).max(p.at);
    }
    let settle = chrono_d(c.settle);
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
    let due_by_age = oldest + chrono_d(c.delay) <= now;
    let quiet = after_quiet_spell(b, pending, c.last_sent);
    let follows = |n: &str| c.follow_ups.iter().any(|f| f == n);
    let follow_up = pending.iter().any(|p| follows(&p.number));
    let follow_up_settled = pending
        .iter()
        .any(|p| follows(&p.number) && settled(&p.number));
    if (ready_orders >= b.orders.max(1)
        || pending.len() >= FULL_BATCH
        || due_by_age
        || quiet
        || follow_up_settled)
        && !send.is_empty()
    {
        return Some(Plan::Send(send));
    }
    let by_age = oldest + chrono_d(c.delay);
    Some(Plan::Wait(match next_settled {
        Some(t) if t < by_age || due_by_age || quiet || follow_up => t,
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

    /// At `now`, the last request at `last` (long ago when `None` is not wanted).
    fn at(now: i64, last: Option<i64>) -> Clock<'static> {
        Clock {
            now: t(now),
            settle: SETTLE,
            delay: DELAY,
            gap: Duration::ZERO,
            last_sent: last.map(t),
            not_before: t(0),
            follow_ups: &[],
        }
    }

    #[test]
    fn waits_for_the_delay_when_few_orders_wait() {
        let b = Batching::default();
        let pending = [p(1, "A", 0), p(2, "B", 30)];
        // The last request went 10 s before A: no quiet spell, so A waits for company.
        assert_eq!(
            plan(&b, &pending, at(60, Some(-10))),
            Some(Plan::Wait(t(120)))
        );
        assert_eq!(
            plan(&b, &pending, at(120, Some(-10))),
            Some(Plan::Send(vec![1, 2]))
        );
        assert_eq!(plan(&b, &[], at(120, Some(-10))), None);
    }

    #[test]
    fn after_a_quiet_spell_the_first_order_goes_once_settled() {
        let b = Batching::default();
        let pending = [p(1, "A", 500)];
        // Nothing sent since the start, or for longer than the delay: A goes when settled.
        assert_eq!(plan(&b, &pending, at(501, None)), Some(Plan::Wait(t(502))));
        assert_eq!(plan(&b, &pending, at(502, None)), Some(Plan::Send(vec![1])));
        assert_eq!(
            plan(&b, &pending, at(502, Some(380))),
            Some(Plan::Send(vec![1]))
        );
        // A request 119 s before A: steady packing, so A waits.
        assert_eq!(
            plan(&b, &pending, at(502, Some(381))),
            Some(Plan::Wait(t(620)))
        );
    }

    #[test]
    fn the_tracking_of_an_order_sent_after_a_quiet_spell_follows_at_once() {
        let b = Batching::default();
        // A's packed went alone at 503 after a quiet spell; its tracking comes at 505, B's
        // update at 504 (B waits for company).
        let pending = [p(1, "B", 504), p(2, "A", 505)];
        let quiet_a = ["A".to_string()];
        let c = Clock {
            follow_ups: &quiet_a,
            ..at(506, Some(503))
        };
        assert!(!after_quiet_spell(&b, &pending, Some(t(503))));
        assert_eq!(plan(&b, &pending, c), Some(Plan::Wait(t(507))));
        let c = Clock { now: t(507), ..c };
        assert_eq!(plan(&b, &pending, c), Some(Plan::Send(vec![1, 2])));
        // Without the follow-up, both wait for the delay.
        assert_eq!(
            plan(&b, &pending, at(507, Some(503))),
            Some(Plan::Wait(t(624)))
        );
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
            plan(&b, &pending, at(4, Some(-1))),
            Some(Plan::Send(vec![1, 2, 3]))
        );
    }

    #[test]
    fn an_order_with_a_fresh_update_waits_for_it_to_settle() {
        let b = Batching::default();
        // A was packed at 0 and got its tracking at 119: at 120 only B goes.
        let pending = [p(1, "A", 0), p(2, "B", 5), p(3, "A", 119)];
        assert_eq!(
            plan(&b, &pending, at(120, Some(-1))),
            Some(Plan::Send(vec![2]))
        );
        // With only A pending and unsettled, look again when it settles.
        let only_a = [p(1, "A", 0), p(3, "A", 119)];
        assert_eq!(
            plan(&b, &only_a, at(120, Some(-1))),
            Some(Plan::Wait(t(121)))
        );
        assert_eq!(
            plan(&b, &only_a, at(121, Some(-1))),
            Some(Plan::Send(vec![1, 3]))
        );
    }

    #[test]
    fn a_failed_batch_holds_the_next_one() {
        let b = Batching::default();
        let pending = [p(1, "A", 0)];
        let c = Clock {
            not_before: t(600),
            ..at(500, None)
        };
        assert_eq!(plan(&b, &pending, c), Some(Plan::Wait(t(600))));
    }

    #[test]
    fn the_quota_paces_every_trigger_even_a_full_batch() {
        let b = Batching::default();
        let pending: Vec<Pending> = (0..100).map(|i| p(i, &format!("N{i}"), 0)).collect();
        let c = Clock {
            gap: Duration::from_secs(576),
            ..at(300, Some(0))
        };
        assert_eq!(plan(&b, &pending, c), Some(Plan::Wait(t(576))));
        let c = Clock { now: t(576), ..c };
        assert_eq!(plan(&b, &pending, c), Some(Plan::Send((0..100).collect())));
    }

    #[test]
    fn the_gap_follows_the_remaining_quota_and_frugal_mode_stretches_the_delay() {
        let b = Batching::default();
        let q = |r| Quota {
            remaining: Some(r),
            limit: None,
        };
        assert_eq!(b.gap(Quota::default()), Duration::ZERO);
        // 3900 left today (Platinum), half of them for statuses: one request per 44.3 s.
        assert_eq!(b.gap(q(3900)).as_secs(), 44);
        // 300 left: one per 576 s; none left: the cap.
        assert_eq!(b.gap(q(300)), Duration::from_secs(576));
        assert_eq!(b.gap(q(0)), GAP_CAP);
        let off = Batching {
            quota_share: 0.0,
            ..b
        };
        assert_eq!(off.gap(q(5)), Duration::ZERO);
        let f = Frugal {
            below_remaining: 10,
            window: Duration::from_secs(600),
        };
        assert_eq!(b.delay(q(3900), Some(f)), DELAY);
        assert_eq!(b.delay(q(5), Some(f)), Duration::from_secs(600));
        assert_eq!(b.delay(q(5), None), DELAY);
    }

    #[test]
    fn per_shop_defaults_and_config_keys() {
        // Upgates: one PUT carries 100 orders.
        assert_eq!(Batching::for_shop(100, None), Batching::default());
        // BaseLinker: every tracking number costs its own requests; send when settled.
        let bl = Batching::for_shop(1, None);
        assert_eq!((bl.orders, bl.max_delay), (1, Duration::ZERO));
        let s = crate::config::StatusSection {
            batch_orders: Some(500),
            batch_delay_s: Some(30),
            ..Default::default()
        };
        let b = Batching::for_shop(100, Some(&s));
        assert_eq!(b.orders, FULL_BATCH);
        assert_eq!(b.max_delay, Duration::from_secs(30));
        // A shop of one order a request can still be told to wait for others.
        let b = Batching::for_shop(1, Some(&s));
        assert_eq!(
            (b.orders, b.max_delay),
            (FULL_BATCH, Duration::from_secs(30))
        );
    }
}
