//! Held and cancelled orders at the bench (pure, like the rest of the reducer).
//!
//! An order whose shop status is neither a `[status].queue` status nor a cancel one is
//! *held* (waiting for payment, on hold by customer service …): it has its own queue tab
//! with the shop status shown, and the bench refuses to pack it, saying why and in which
//! status it is. An order in progress that is held or cancelled upstream leaves "In
//! progress" (the sync's import moves its row; an abort at the bench does too), and the
//! packer who has it open is told at once.

use super::{AppState, Effect, Notice, PackView, Persist, Tone};
use crate::domain::{Order, OrderState};
use crate::flow::{NotPackable, PackSession, Reject};

/// One of the shop's statuses: its id and the name the shop admin shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusName {
    pub id: String,
    pub name: String,
}

/// What the bench knows of the shop's statuses (sent by the sync once it read the list).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeldState {
    pub names: Vec<StatusName>,
}

impl HeldState {
    /// The name of a shop status as the order carries it (an id or a name); the status
    /// itself when the list does not know it, `-` when empty. Not sanitised: the view
    /// sanitises what it draws.
    pub fn label(&self, status: &str) -> String {
        let s = status.trim();
        if s.is_empty() {
            return "-".into();
        }
        self.names
            .iter()
            .find(|n| n.id.trim() == s)
            .map_or_else(|| s.to_string(), |n| n.name.clone())
    }
}

/// What the bench says about a held or cancelled order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeldNote {
    /// The shop put the open order on hold while it was being packed.
    HeldWhileOpen { number: String, status: String },
    /// The shop cancelled the open order while it was being packed.
    CancelledWhileOpen { number: String },
}

impl HeldNote {
    pub fn tone(&self) -> Tone {
        // Loud: goods of an order that must not leave are on the bench.
        Tone::Error
    }
}

/// A notice with the shop status of a held order named as the shop admin names it
/// ("status 7" becomes "status *Waiting for payment*"), whichever path refused it (the
/// order scanned or opened, or a scan on it). Every other notice is kept.
pub(super) fn plain(state: &AppState, n: Notice) -> Notice {
    match n {
        Notice::Rejected {
            reject: Reject::NotPackable(NotPackable::NotQueued { status }),
            name,
        } => Notice::Rejected {
            reject: Reject::NotPackable(NotPackable::NotQueued {
                status: state.held.label(&status),
            }),
            name,
        },
        n => n,
    }
}

/// The banner when the open order was loaded again because the shop changed it and it
/// is now held or cancelled while its session was still going (None otherwise).
pub(super) fn reloaded(
    state: &AppState,
    order: &Order,
    session: &PackSession,
    via: Option<&str>,
) -> Option<Notice> {
    let was_open = via.is_none()
        && state
            .pack
            .as_ref()
            .is_some_and(|p| p.order.key() == order.key() && p.claimed);
    if !was_open || session.is_finished() {
        return None;
    }
    let number = order.number.clone();
    if order.cancelled {
        Some(Notice::Held(HeldNote::CancelledWhileOpen { number }))
    } else if order.not_queued() {
        let status = state.held.label(&order.shop_status);
        Some(Notice::Held(HeldNote::HeldWhileOpen { number, status }))
    } else {
        None
    }
}

/// Where an unfinished order belongs that the bench cannot go on with: Held or
/// Cancelled by its shop status; None while it is packable.
pub fn parked_state(order: &Order) -> Option<OrderState> {
    if order.cancelled {
        Some(OrderState::Cancelled)
    } else if order.not_queued() {
        Some(OrderState::Held)
    } else {
        None
    }
}

/// The row state of an unfinished session whose order cannot be packed now (Held /
/// Cancelled): a refused scan on it is written to the ledger, and its row must not go
/// back to "In progress". None otherwise (the session decides).
pub(super) fn row_state(order: &Order, session: &PackSession) -> Option<OrderState> {
    if session.is_finished() {
        None
    } else {
        parked_state(order)
    }
}

/// The packer left the open order (Esc / `PD:BACK`). A session this station started on
/// an order held or cancelled since leaves "In progress": its row moves to Held or
/// Cancelled, durably (the session and its ledger stay).
pub(super) fn left(state: &mut AppState, pv: &PackView, fx: &mut Vec<Effect>) {
    if !pv.claimed || pv.session.is_finished() {
        return;
    }
    let Some(to) = parked_state(&pv.order) else {
        return;
    };
    let key = pv.order.key();
    let mut row = state
        .queue
        .row(&key)
        .unwrap_or_else(|| crate::domain::OrderSummary::of(&pv.order, to));
    if row.state == to && row.shop_status == pv.order.shop_status {
        return;
    }
    row.state = to;
    row.shop_status = pv.order.shop_status.clone();
    if let Some(pending) = state.queue_loading.as_mut() {
        pending.push(row.clone());
    }
    state.queue.upsert(row.clone());
    fx.push(Effect::Persist(Persist::Summary(Box::new(row))));
    super::print::prune_marks(state, fx);
}

#[cfg(test)]
mod tests;
