//! The bench's side of shipments after the label (pure, like the rest of the reducer):
//! dropping ready shipments (`PD:DROP`), a second shipment for an order (asked first),
//! and the hand-over screen per carrier (`PD:HANDOVER`).
//!
//! Confirmation is the same command again: a packer with only a scanner scans `PD:DROP`
//! (or `PD:SHIP`, `PD:HANDOVER`) twice. Anything else in between, `PD:BACK`/Esc, or
//! [`CONFIRM_WINDOW_S`] passing, cancels it.

use chrono::{DateTime, Utc};

use super::{Action, AppState, Effect, Notice, Tone};
use crate::domain::text::sanitize;
use crate::domain::{Shipment, ShipmentState};

/// How long a first press waits for its confirmation.
pub const CONFIRM_WINDOW_S: i64 = 60;

/// What waits for its confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirming {
    /// Drop the ready shipments of this order.
    Drop { order_key: String },
    /// Create a further shipment for this order (it already has one).
    ShipAgain { order_key: String },
    /// Hand over the ready parcels of this carrier.
    Handover { carrier: String },
}

/// A pending confirmation and when it was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    pub what: Confirming,
    pub at: DateTime<Utc>,
    /// The command that asks for it again (`PD:HANDOVER`, or `PD:HANDOVER:CP` when the
    /// per-carrier barcode asked): what the question tells the packer to scan.
    pub code: String,
}

impl Confirm {
    fn action(&self) -> Action {
        match self.what {
            Confirming::Drop { .. } => Action::Drop,
            Confirming::ShipAgain { .. } => Action::Ship,
            Confirming::Handover { .. } => Action::Handover,
        }
    }
}

/// One carrier's ready parcels on the hand-over screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandoverGroup {
    /// Carrier code (`cp`, `ppl` …).
    pub carrier: String,
    pub parcels: usize,
    /// Order numbers, sorted.
    pub orders: Vec<String>,
}

/// The hand-over screen (an overlay).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HandoverView {
    pub groups: Vec<HandoverGroup>,
    pub selected: usize,
    /// The list has not arrived yet.
    pub loading: bool,
    /// The carrier `PD:HANDOVER:<CARRIER>` asked for, selected when the list arrives.
    pub wanted: Option<String>,
}

/// What the drop / hand-over / tracking machinery tells the packer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShipNote {
    ConfirmDrop {
        number: String,
        count: usize,
    },
    ConfirmShipAgain {
        number: String,
    },
    ConfirmHandover {
        carrier: String,
        parcels: usize,
        /// The code to scan again: the one that asked (`PD:HANDOVER` or
        /// `PD:HANDOVER:<CARRIER>`).
        code: String,
    },
    /// A confirmation was cancelled (Esc / `PD:BACK`).
    NotConfirmed,
    NothingToDrop {
        number: String,
    },
    /// Dispatched parcels are with the carrier: they cannot be dropped.
    DropDispatched {
        number: String,
    },
    DropQueued {
        number: String,
        count: usize,
    },
    Dropped {
        number: String,
        parcel: u32,
    },
    DropRefused {
        number: String,
        error: String,
    },
    NothingToHandOver,
    /// `PD:HANDOVER:<CARRIER>` for a carrier with no ready parcels.
    NothingToHandOverFor {
        carrier: String,
    },
    HandoverQueued {
        carrier: String,
    },
    HandedOver {
        carrier: String,
        parcels: usize,
        handover_id: String,
        /// Where the protocol PDF was stored.
        protocol: Option<String>,
        /// Handed over, but something after it failed (the protocol download).
        warning: Option<String>,
    },
    HandoverFailed {
        carrier: String,
        error: String,
    },
    /// The carrier reports a new status for a parcel of the open order.
    CarrierStatus {
        number: String,
        parcel: u32,
        status: String,
    },
    /// Reading or queueing failed.
    Error {
        error: String,
    },
}

impl ShipNote {
    pub fn tone(&self) -> Tone {
        match self {
            ShipNote::ConfirmDrop { .. }
            | ShipNote::ConfirmShipAgain { .. }
            | ShipNote::ConfirmHandover { .. }
            | ShipNote::NothingToDrop { .. }
            | ShipNote::NothingToHandOver
            | ShipNote::NothingToHandOverFor { .. } => Tone::Warn,
            ShipNote::HandedOver {
                warning: Some(_), ..
            } => Tone::Warn,
            ShipNote::NotConfirmed
            | ShipNote::DropQueued { .. }
            | ShipNote::HandoverQueued { .. }
            | ShipNote::CarrierStatus { .. } => Tone::Info,
            ShipNote::Dropped { .. } | ShipNote::HandedOver { .. } => Tone::Ok,
            ShipNote::DropDispatched { .. }
            | ShipNote::DropRefused { .. }
            | ShipNote::HandoverFailed { .. }
            | ShipNote::Error { .. } => Tone::Error,
        }
    }
}

fn note(state: &mut AppState, n: ShipNote, fx: &mut Vec<Effect>) {
    if n.tone() == Tone::Error && state.settings.bell {
        fx.push(Effect::Bell);
    }
    state.banner = Some(Notice::Ship(n));
}

/// Called first for every action: a pending confirmation survives only its own action
/// (within the window). Returns true when the action was used up (Esc cancelling it).
pub(super) fn keep_confirm(state: &mut AppState, a: Action, fx: &mut Vec<Effect>) -> bool {
    let Some(c) = state.confirm.take() else {
        return false;
    };
    let fresh = (state.now - c.at).num_seconds() <= CONFIRM_WINDOW_S;
    if a == c.action() && fresh {
        state.confirm = Some(c);
        return false;
    }
    // Esc on the hand-over screen closes it (and the question with it).
    if matches!(a, Action::Back | Action::Abort) && state.handover_view.is_none() {
        note(state, ShipNote::NotConfirmed, fx);
        return true;
    }
    false
}

fn confirmed(state: &AppState, what: &Confirming) -> bool {
    state.confirm.as_ref().is_some_and(|c| &c.what == what)
}

fn ask(state: &mut AppState, what: Confirming, n: ShipNote, fx: &mut Vec<Effect>) {
    let code = match &n {
        ShipNote::ConfirmHandover { code, .. } => code.clone(),
        ShipNote::ConfirmDrop { .. } => "PD:DROP".into(),
        _ => "PD:SHIP".into(),
    };
    state.confirm = Some(Confirm {
        what,
        at: state.now,
        code,
    });
    note(state, n, fx);
}

/// `PD:DROP` on the open order: its ready shipments, after confirmation.
pub(super) fn drop(state: &mut AppState, fx: &mut Vec<Effect>) {
    let Some(pv) = state.pack.as_ref() else {
        state.banner = Some(Notice::NoOrderOpen);
        return;
    };
    let number = pv.order.number.clone();
    let key = pv.order.key();
    let ready: Vec<Shipment> = pv
        .shipments
        .iter()
        .filter(|s| s.state == ShipmentState::Ready)
        .cloned()
        .collect();
    if ready.is_empty() {
        state.confirm = None;
        let dispatched = pv
            .shipments
            .iter()
            .any(|s| s.state == ShipmentState::Dispatched);
        let n = if dispatched {
            ShipNote::DropDispatched { number }
        } else {
            ShipNote::NothingToDrop { number }
        };
        note(state, n, fx);
        return;
    }
    let what = Confirming::Drop {
        order_key: key.clone(),
    };
    if !confirmed(state, &what) {
        let count = ready.len();
        ask(state, what, ShipNote::ConfirmDrop { number, count }, fx);
        return;
    }
    state.confirm = None;
    let count = ready.len();
    fx.push(Effect::DropShipments { order_key: key });
    note(state, ShipNote::DropQueued { number, count }, fx);
}

/// The next generation for an order's shipment: 0 for the first, else one more than any
/// shipment it had (a dropped or failed one included: its `eid` is used up).
pub fn next_generation(shipments: &[Shipment]) -> u32 {
    shipments
        .iter()
        .map(|s| s.generation + 1)
        .max()
        .unwrap_or(0)
}

/// Ship on a packed order: at once when it has no shipment; asked first when it already
/// has a ready or dispatched one; refused while one is still being made.
pub(super) fn ship_packed(state: &mut AppState, fx: &mut Vec<Effect>) {
    let Some(pv) = state.pack.as_ref() else {
        state.banner = Some(Notice::NoOrderOpen);
        return;
    };
    let number = pv.order.number.clone();
    if pv
        .shipments
        .iter()
        .any(|s| s.state == ShipmentState::Pending)
    {
        state.banner = Some(Notice::AlreadyShipped { number });
        return;
    }
    let has_one = pv
        .shipments
        .iter()
        .any(|s| matches!(s.state, ShipmentState::Ready | ShipmentState::Dispatched));
    let what = Confirming::ShipAgain {
        order_key: pv.order.key(),
    };
    if has_one && !confirmed(state, &what) {
        ask(state, what, ShipNote::ConfirmShipAgain { number }, fx);
        return;
    }
    state.confirm = None;
    let generation = next_generation(&pv.shipments);
    let (order, session) = (Box::new(pv.order.clone()), Box::new(pv.session.clone()));
    if generation == 0 {
        fx.push(Effect::Ship { order, session });
    } else {
        fx.push(Effect::ShipAgain {
            order,
            session,
            generation,
        });
    }
    state.banner = Some(Notice::LabelQueued { number });
}

/// `PD:HANDOVER` with the screen closed: open it and ask for the list.
pub(super) fn open_handover(state: &mut AppState, fx: &mut Vec<Effect>) {
    state.handover_view = Some(HandoverView {
        loading: true,
        ..HandoverView::default()
    });
    fx.push(Effect::HandoverList);
}

/// `PD:HANDOVER:<CARRIER>`: the hand-over screen on that carrier, for a packer with only
/// a scanner. With the screen closed it opens it and selects the carrier when the list
/// arrives; open on another carrier, it selects it; open on it, it asks and then
/// confirms, as `PD:HANDOVER` does. A carrier without ready parcels is never swapped for
/// the selected one.
pub(super) fn handover_carrier(state: &mut AppState, code: &str, fx: &mut Vec<Effect>) {
    // Like any other action: a question about something else lapses, a stale one too.
    keep_confirm(state, Action::Handover, fx);
    let code = code.trim().to_string();
    let Some(view) = state.handover_view.as_mut() else {
        if state.outbox_view.is_some() {
            // As `PD:HANDOVER`: the outbox screen is left first.
            return;
        }
        open_handover(state, fx);
        if let Some(v) = state.handover_view.as_mut() {
            v.wanted = Some(code);
        }
        return;
    };
    if view.loading {
        view.wanted = Some(code);
        return;
    }
    let Some(i) = view
        .groups
        .iter()
        .position(|g| g.carrier.eq_ignore_ascii_case(&code))
    else {
        state.confirm = None;
        let carrier = sanitize(&code);
        note(state, ShipNote::NothingToHandOverFor { carrier }, fx);
        return;
    };
    if view.selected != i {
        view.selected = i;
        state.confirm = None;
        return;
    }
    handover_press(state, &format!("PD:HANDOVER:{}", sanitize(&code)), fx);
}

/// The code a plain hand-over press (key or `PD:HANDOVER`) is confirmed with.
const HANDOVER_CODE: &str = "PD:HANDOVER";

/// The hand-over screen takes the list keys, `PD:HANDOVER` (ask, then confirm) and
/// Back; quit and help still work. Returns true when it took the action.
pub(super) fn handover_keys(state: &mut AppState, a: Action, fx: &mut Vec<Effect>) -> bool {
    let Some(view) = state.handover_view.as_mut() else {
        return false;
    };
    if matches!(a, Action::Quit | Action::Help) {
        return false;
    }
    match a {
        Action::Back | Action::Abort => {
            state.handover_view = None;
            state.confirm = None;
        }
        Action::Up | Action::Top | Action::PageUp => {
            view.selected = view.selected.saturating_sub(1);
            state.confirm = None;
        }
        Action::Down | Action::Bottom | Action::PageDown => {
            view.selected = (view.selected + 1).min(view.groups.len().saturating_sub(1));
            state.confirm = None;
        }
        Action::Handover => handover_press(state, HANDOVER_CODE, fx),
        _ => {}
    }
    true
}

/// A hand-over press on the open screen (`code` is what was scanned or stands for the
/// key): asks about the selected carrier, or hands it over when already asked.
fn handover_press(state: &mut AppState, code: &str, fx: &mut Vec<Effect>) {
    let Some(view) = state.handover_view.as_ref() else {
        return;
    };
    let Some(g) = view.groups.get(view.selected).cloned() else {
        note(state, ShipNote::NothingToHandOver, fx);
        return;
    };
    let what = Confirming::Handover {
        carrier: g.carrier.clone(),
    };
    if confirmed(state, &what) {
        state.confirm = None;
        state.handover_view = None;
        fx.push(Effect::Handover {
            carrier: g.carrier.clone(),
        });
        note(state, ShipNote::HandoverQueued { carrier: g.carrier }, fx);
    } else {
        let n = ShipNote::ConfirmHandover {
            carrier: g.carrier,
            parcels: g.parcels,
            code: code.to_string(),
        };
        ask(state, what, n, fx);
    }
}

/// The list for the hand-over screen arrived.
pub(super) fn groups(
    state: &mut AppState,
    res: Result<Vec<HandoverGroup>, String>,
    fx: &mut Vec<Effect>,
) {
    match res {
        Ok(groups) => {
            let mut missing = None;
            if let Some(v) = state.handover_view.as_mut() {
                v.selected = v.selected.min(groups.len().saturating_sub(1));
                v.groups = groups;
                v.loading = false;
                if let Some(code) = v.wanted.take() {
                    match v
                        .groups
                        .iter()
                        .position(|g| g.carrier.eq_ignore_ascii_case(&code))
                    {
                        Some(i) => v.selected = i,
                        None => missing = Some(code),
                    }
                }
            }
            if let Some(code) = missing {
                let carrier = sanitize(&code);
                note(state, ShipNote::NothingToHandOverFor { carrier }, fx);
            }
        }
        Err(error) => note(state, ShipNote::Error { error }, fx),
    }
}

/// A new carrier status of a shipment: kept on the open order's parcel list, shown
/// there, and written to the audit log (`carrier_status_changed`).
pub(super) fn carrier_status(state: &mut AppState, s: Shipment, fx: &mut Vec<Effect>) {
    let status = s
        .carrier_status
        .as_ref()
        .map(|c| c.text.clone())
        .unwrap_or_default();
    let mut number = s.order_key.clone();
    if let Some(pv) = state.pack.as_mut().filter(|p| p.order.key() == s.order_key) {
        number = pv.order.number.clone();
        pv.put_shipment(&s);
        let n = ShipNote::CarrierStatus {
            number: number.clone(),
            parcel: s.parcel_no,
            status: status.clone(),
        };
        note(state, n, fx);
    }
    let id = s
        .carrier_status
        .as_ref()
        .map(|c| c.id.clone())
        .unwrap_or_default();
    fx.push(Effect::Persist(super::Persist::Event(Box::new(
        crate::store::AuditEvent {
            at: state.now,
            station: state.settings.station.clone(),
            packer: state.packer.clone(),
            order_key: Some(s.order_key.clone()),
            what: "carrier_status_changed".into(),
            detail: format!("{number} parcel {} {id} {status}", s.parcel_no),
        },
    ))));
}

/// A note from the background. A carrier status shows only while its order is open.
pub(super) fn background(state: &mut AppState, n: ShipNote, fx: &mut Vec<Effect>) {
    if let ShipNote::CarrierStatus { number, .. } = &n
        && state
            .pack
            .as_ref()
            .is_none_or(|p| &p.order.number != number)
    {
        return;
    }
    note(state, n, fx);
}

#[cfg(test)]
mod tests;
