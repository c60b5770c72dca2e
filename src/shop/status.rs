//! The shop's status decides what the bench does with an imported order (`[status]`):
//! in a `queue` status it is packable; in a `cancelled` status it is cancelled; in any
//! other status it stays in the store but out of "To pack" (flag
//! [`crate::domain::NOT_QUEUED`], queue state `held`), and an open pack session on it is
//! "not packable now".
//!
//! Statuses are compared by id or by name (trimmed, without case) after resolving the
//! configured values against the shop's own status list, so `queue = ["Přijatá"]` matches
//! orders that carry only the status id.

use crate::config::StatusSection;
use crate::domain::summary::fold;
use crate::domain::{NOT_QUEUED, Order};
use crate::shop::ShopStatus;

/// What an order's shop status means here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusClass {
    /// Packed here.
    Queue,
    Cancelled,
    /// Neither: kept, not packed (on hold, already sent, …).
    Other,
}

/// Words that name a cancel status in shops without status types (BaseLinker), folded
/// (lower case, no diacritics): English, Czech/Slovak, Polish, German.
const CANCEL_WORDS: [&str; 7] = [
    "cancel",
    "storn",
    "zrus",
    "anul",
    "odwol",
    "rezygn",
    "storniert",
];

/// The shop's cancel statuses: Upgates type `Canceled`; for statuses without a type, a
/// name with a cancel word in it.
pub fn default_cancelled(statuses: &[ShopStatus]) -> Vec<ShopStatus> {
    statuses
        .iter()
        .filter(|s| {
            let kind = s.kind.trim();
            if kind.is_empty() {
                let name = fold(&s.name);
                CANCEL_WORDS.iter().any(|w| name.contains(w))
            } else {
                kind.eq_ignore_ascii_case("canceled") || kind.eq_ignore_ascii_case("cancelled")
            }
        })
        .cloned()
        .collect()
}

fn norm(s: &str) -> String {
    s.trim().to_lowercase()
}

/// The `[status]` mapping resolved against the shop's status list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusMap {
    queue: Vec<String>,
    cancelled: Vec<String>,
    /// The statuses packdesk sets itself (packed, ready, dispatched): with an empty
    /// `queue`, an order that arrives in one of them was packed already.
    done: Vec<String>,
    /// The shop's statuses, id and name (the bench shows held orders' status by name).
    names: Vec<(String, String)>,
}

/// The id and the name of `wanted` in `statuses` (or `wanted` itself when unknown).
fn keys_of(statuses: &[ShopStatus], wanted: &str) -> Vec<String> {
    match crate::doctor::find_status(statuses, wanted) {
        Some(s) => vec![norm(&s.id), norm(&s.name)],
        None => vec![norm(wanted)],
    }
}

impl StatusMap {
    /// `cfg` resolved against `statuses` (the shop's list; may be empty when unknown).
    pub fn new(cfg: &StatusSection, statuses: &[ShopStatus]) -> StatusMap {
        let keys = |list: &mut dyn Iterator<Item = &String>| -> Vec<String> {
            list.flat_map(|w| keys_of(statuses, w))
                .filter(|k| !k.is_empty())
                .collect()
        };
        let cancelled = match &cfg.cancelled {
            Some(list) => keys(&mut list.iter()),
            None => default_cancelled(statuses)
                .iter()
                .flat_map(|s| [norm(&s.id), norm(&s.name)])
                .filter(|k| !k.is_empty())
                .collect(),
        };
        let done = [&cfg.packed, &cfg.ready, &cfg.dispatched]
            .into_iter()
            .flatten()
            .flat_map(|w| keys_of(statuses, w))
            .collect();
        StatusMap {
            queue: keys(&mut cfg.queue.iter()),
            cancelled,
            done,
            names: statuses
                .iter()
                .map(|s| (s.id.clone(), s.name.clone()))
                .collect(),
        }
    }

    /// The shop's statuses as (id, name), in the shop's order.
    pub fn names(&self) -> &[(String, String)] {
        &self.names
    }

    /// What `shop_status` (an order's status id or name) means here. An order without a
    /// status is packable only when `[status].queue` is empty.
    pub fn classify(&self, shop_status: &str) -> StatusClass {
        let k = norm(shop_status);
        if !k.is_empty() && self.cancelled.contains(&k) {
            StatusClass::Cancelled
        } else if self.queue.is_empty() {
            if !k.is_empty() && self.done.contains(&k) {
                StatusClass::Other
            } else {
                StatusClass::Queue
            }
        } else if self.queue.contains(&k) {
            StatusClass::Queue
        } else {
            StatusClass::Other
        }
    }

    /// Sets `order.cancelled` and the not-queued flag from its shop status.
    pub fn apply(&self, order: &mut Order) {
        let class = self.classify(&order.shop_status);
        order.cancelled = class == StatusClass::Cancelled;
        order.flags.retain(|f| f != NOT_QUEUED);
        if class == StatusClass::Other {
            order.flags.push(NOT_QUEUED.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(id: &str, name: &str, kind: &str) -> ShopStatus {
        ShopStatus {
            id: id.into(),
            name: name.into(),
            kind: kind.into(),
        }
    }

    fn upgates() -> Vec<ShopStatus> {
        vec![
            st("1", "Přijatá", "Received"),
            st("2", "Stornovaná", "Canceled"),
            st("3", "Vyřizuje se", "Custom"),
            st("4", "Odeslaná", "Sent"),
            st("5", "Zabalená", "Custom"),
        ]
    }

    #[test]
    fn upgates_cancel_status_comes_from_the_type_baselinker_from_the_name() {
        let ids: Vec<String> = default_cancelled(&upgates())
            .into_iter()
            .map(|s| s.id)
            .collect();
        assert_eq!(ids, ["2"]);
        // A custom Upgates status named like a cancel is not one (the type decides).
        assert!(default_cancelled(&[st("9", "Storno zákazníkem", "Custom")]).is_empty());
        let bl = [
            st("1051", "New", ""),
            st("1055", "Cancelled", ""),
            st("1056", "Anulowane", ""),
            st("1057", "Zrušeno", ""),
            st("1058", "Wysłane", ""),
        ];
        let ids: Vec<String> = default_cancelled(&bl).into_iter().map(|s| s.id).collect();
        assert_eq!(ids, ["1055", "1056", "1057"]);
    }

    #[test]
    fn queue_statuses_by_name_match_orders_carrying_ids() {
        let cfg = StatusSection {
            queue: vec!["přijatá".into(), "3".into()],
            ..StatusSection::default()
        };
        let m = StatusMap::new(&cfg, &upgates());
        assert_eq!(m.classify("1"), StatusClass::Queue);
        assert_eq!(m.classify(" Vyřizuje se "), StatusClass::Queue);
        assert_eq!(m.classify("2"), StatusClass::Cancelled);
        assert_eq!(m.classify("4"), StatusClass::Other);
        assert_eq!(m.classify(""), StatusClass::Other);
    }

    #[test]
    fn empty_queue_packs_all_but_cancelled_and_what_packdesk_set() {
        let cfg = StatusSection {
            packed: Some("5".into()),
            ready: Some("Odeslaná".into()),
            ..StatusSection::default()
        };
        let m = StatusMap::new(&cfg, &upgates());
        assert_eq!(m.classify("1"), StatusClass::Queue);
        assert_eq!(m.classify(""), StatusClass::Queue);
        assert_eq!(m.classify("2"), StatusClass::Cancelled);
        assert_eq!(m.classify("5"), StatusClass::Other);
        assert_eq!(m.classify("4"), StatusClass::Other);
    }

    #[test]
    fn configured_cancelled_replaces_the_default_and_empty_means_none() {
        let cfg = StatusSection {
            cancelled: Some(vec!["Vyřizuje se".into()]),
            ..StatusSection::default()
        };
        let m = StatusMap::new(&cfg, &upgates());
        assert_eq!(m.classify("3"), StatusClass::Cancelled);
        assert_eq!(m.classify("2"), StatusClass::Queue);
        let none = StatusSection {
            cancelled: Some(Vec::new()),
            ..StatusSection::default()
        };
        assert_eq!(
            StatusMap::new(&none, &upgates()).classify("2"),
            StatusClass::Queue
        );
    }

    #[test]
    fn apply_sets_cancelled_and_the_flag_and_takes_them_back() {
        let cfg = StatusSection {
            queue: vec!["1".into()],
            ..StatusSection::default()
        };
        let m = StatusMap::new(&cfg, &upgates());
        let mut o = crate::demo::generate(1, 1, chrono::Utc::now())
            .pop()
            .expect("one order");
        o.shop_status = "4".into();
        m.apply(&mut o);
        assert!(o.not_queued() && !o.cancelled);
        o.shop_status = "2".into();
        m.apply(&mut o);
        assert!(o.cancelled && !o.not_queued());
        o.shop_status = "1".into();
        m.apply(&mut o);
        assert!(!o.cancelled && !o.not_queued());
        assert_eq!(o.flags.iter().filter(|f| *f == NOT_QUEUED).count(), 0);
    }
}
