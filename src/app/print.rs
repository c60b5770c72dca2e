//! Printing at the bench, the reducer's side: the print-queue screen (an overlay like the
//! outbox screen), the station's next free A4 quarter, the packing slip on demand, and
//! bulk work on the rows marked in the queue. Pure: the runner does the I/O
//! (`effects::bench`) and answers with [`PrintMsg`].

use super::marks::Marks;
use super::{Action, AppState, Effect, Notice, Screen, Tone};
use crate::domain::Order;

/// One print job as the print-queue screen shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintJobLine {
    pub id: u64,
    /// Job title (file name).
    pub name: String,
    /// Where it goes (`ipp …`, `dir …`).
    pub printer: String,
    /// `queued`, `printing`, `done`, `failed`, `cancelled`.
    pub state: String,
    pub attempts: u32,
    /// The printer's last error (sanitised by the runner).
    pub error: Option<String>,
}

/// The print-queue screen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrintView {
    pub lines: Vec<PrintJobLine>,
    pub selected: usize,
}

/// The bench's printing state.
#[derive(Debug, Clone, Default)]
pub struct BenchPrint {
    /// The print-queue screen, when open.
    pub view: Option<PrintView>,
    /// The station's next free quarter (1–4) when the label printer takes A4 sheets of
    /// four; `None` on a roll or before the runner said.
    pub quarter: Option<u8>,
    /// Rows marked in the queue for bulk work.
    pub marks: Marks,
}

/// Printing work for the runner.
#[derive(Debug, Clone)]
pub enum PrintFx {
    /// Build the packing slip and queue it on the document printer. `auto`: asked by the
    /// pack flow, printed only when `[printers] slip = "packed"`.
    Slip {
        order: Box<Order>,
        station: String,
        auto: bool,
    },
    /// A new sheet is in the label printer: the next label goes on quarter 1.
    NewSheet {
        station: String,
    },
    /// Tell the bench where the next label goes (answered with `PrintMsg::Quarter`).
    Status {
        station: String,
    },
    /// Read the print queue (answered with `PrintMsg::Jobs`).
    List,
    Retry(u64),
    Cancel(u64),
    /// Create the shipments of the marked orders that are packed (through `Effect::Ship`).
    BulkShip {
        keys: Vec<String>,
    },
    /// Print the stored labels of the marked orders at once, 4-up from the station's next
    /// free quarter or on the roll, per the label printer's size.
    BulkLabels {
        keys: Vec<String>,
        station: String,
    },
    /// Write a change of the queue marks to the store (flushed before the next frame;
    /// answered with `PrintMsg::MarksNotSaved` only when it failed).
    Marks(MarksChange),
    /// Read the stored marks (at start; answered with `PrintMsg::Marks`).
    LoadMarks,
}

/// A change of the queue marks, as the store keeps them (`Store::save_marks`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MarksChange {
    Add(Vec<String>),
    Remove(Vec<String>),
    /// Every mark removed; `previous` puts them back if the write fails.
    Clear {
        previous: Vec<String>,
    },
}

/// The runner's answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrintMsg {
    Jobs(Result<Vec<PrintJobLine>, String>),
    /// The next free quarter (`None`: the label printer is not on A4 sheets of four).
    Quarter(Option<u8>),
    Notice(BenchNotice),
    /// The marks kept in the store (at start), or why they could not be read.
    Marks(Result<Vec<String>, String>),
    /// A change of the marks could not be written: it is taken back on screen.
    MarksNotSaved {
        change: MarksChange,
        error: String,
    },
}

/// What the banner says about printing and bulk work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BenchNotice {
    SlipQueued { number: String },
    SlipFailed { error: String },
    NewSheet,
    NothingMarked,
    Marked { count: usize },
    BulkShipped { queued: usize, skipped: usize },
    BulkLabels { labels: usize, skipped: usize },
    BulkFailed { error: String },
    NoPrinters,
    QueueError { error: String },
    MarksNotSaved { error: String },
    MarksNotRead { error: String },
}

impl BenchNotice {
    pub fn tone(&self) -> Tone {
        match self {
            BenchNotice::SlipQueued { .. } | BenchNotice::BulkLabels { skipped: 0, .. } => Tone::Ok,
            BenchNotice::BulkShipped { skipped: 0, .. } => Tone::Ok,
            BenchNotice::NewSheet | BenchNotice::Marked { .. } => Tone::Info,
            BenchNotice::BulkShipped { .. }
            | BenchNotice::BulkLabels { .. }
            | BenchNotice::NothingMarked => Tone::Warn,
            _ => Tone::Error,
        }
    }
}

fn say(state: &mut AppState, n: BenchNotice, fx: &mut Vec<Effect>) {
    if n.tone() == Tone::Error && state.settings.bell {
        fx.push(Effect::Bell);
    }
    state.banner = Some(Notice::Bench(n));
}

/// Handles the printing and bulk actions; returns false for every other action (the
/// reducer goes on with it). While the print-queue screen is open it takes the list keys,
/// retry and cancel (the outbox screen's keys), like the outbox screen does.
pub fn action(state: &mut AppState, a: Action, fx: &mut Vec<Effect>) -> bool {
    if let Some(view) = state.bench.view.as_mut()
        && !matches!(a, Action::Quit | Action::Help)
    {
        let selected = view.lines.get(view.selected).map(|l| l.id);
        match a {
            Action::PrintQueue | Action::Back => state.bench.view = None,
            Action::Up => view.selected = view.selected.saturating_sub(1),
            Action::Down => {
                view.selected = (view.selected + 1).min(view.lines.len().saturating_sub(1))
            }
            Action::OutboxRetry => fx.extend(selected.map(|id| Effect::Print(PrintFx::Retry(id)))),
            Action::OutboxCancel => {
                fx.extend(selected.map(|id| Effect::Print(PrintFx::Cancel(id))))
            }
            _ => {}
        }
        return true;
    }
    let station = state.settings.station.clone();
    let on_queue = state.screen == Screen::Queue || state.pack.is_none();
    match a {
        Action::PrintQueue => {
            state.bench.view = Some(PrintView::default());
            fx.push(Effect::Print(PrintFx::List));
        }
        Action::NewSheet => fx.push(Effect::Print(PrintFx::NewSheet { station })),
        Action::Slip => match state.pack.as_ref().filter(|_| !on_queue) {
            Some(pv) => fx.push(Effect::Print(PrintFx::Slip {
                order: Box::new(pv.order.clone()),
                station,
                auto: false,
            })),
            None => state.banner = Some(Notice::NoOrderOpen),
        },
        Action::Mark
        | Action::MarkAll
        | Action::MarkNone
        | Action::BulkShip
        | Action::BulkLabels
            if !on_queue => {}
        Action::Mark => {
            let key = state.queue.selected_row().map(|r| r.key.to_string());
            if let (Some(key), Some(now)) = (key, state.bench.marks.toggle_selected(&state.queue)) {
                let change = if now {
                    MarksChange::Add(vec![key])
                } else {
                    MarksChange::Remove(vec![key])
                };
                fx.push(Effect::Print(PrintFx::Marks(change)));
            }
            state.queue.move_by(1);
        }
        Action::MarkAll => {
            let added = state.bench.marks.mark_visible(&state.queue);
            if !added.is_empty() {
                fx.push(Effect::Print(PrintFx::Marks(MarksChange::Add(added))));
            }
            let count = state.bench.marks.len();
            say(state, BenchNotice::Marked { count }, fx);
        }
        Action::MarkNone => {
            clear_marks(state, fx);
            let count = 0;
            say(state, BenchNotice::Marked { count }, fx);
        }
        Action::BulkShip | Action::BulkLabels => {
            let keys = bulk_keys(state);
            if keys.is_empty() {
                say(state, BenchNotice::NothingMarked, fx);
            } else if a == Action::BulkShip {
                state.jobs += 1;
                fx.push(Effect::Print(PrintFx::BulkShip { keys }));
            } else {
                state.jobs += 1;
                fx.push(Effect::Print(PrintFx::BulkLabels { keys, station }));
            }
        }
        _ => return false,
    }
    true
}

/// The keys bulk work applies to: the marked rows, or the selected row when none is marked.
fn bulk_keys(state: &AppState) -> Vec<String> {
    if state.bench.marks.is_empty() {
        state
            .queue
            .selected_row()
            .map(|r| vec![r.key.to_string()])
            .unwrap_or_default()
    } else {
        state.bench.marks.keys()
    }
}

/// The order was packed: the slip goes to the printer when the station prints it then.
pub fn packed(state: &AppState, order: &Order, fx: &mut Vec<Effect>) {
    fx.push(Effect::Print(PrintFx::Slip {
        order: Box::new(order.clone()),
        station: state.settings.station.clone(),
        auto: true,
    }));
}

/// Applies one answer of the runner.
pub fn msg(state: &mut AppState, m: PrintMsg, fx: &mut Vec<Effect>) {
    match m {
        PrintMsg::Jobs(Ok(lines)) => {
            if let Some(view) = state.bench.view.as_mut() {
                view.selected = view.selected.min(lines.len().saturating_sub(1));
                view.lines = lines;
            }
        }
        PrintMsg::Jobs(Err(error)) => say(state, BenchNotice::QueueError { error }, fx),
        PrintMsg::Quarter(q) => state.bench.quarter = q,
        PrintMsg::Notice(n) => {
            if matches!(
                n,
                BenchNotice::BulkShipped { .. }
                    | BenchNotice::BulkLabels { .. }
                    | BenchNotice::BulkFailed { .. }
            ) {
                state.jobs = state.jobs.saturating_sub(1);
                if !matches!(n, BenchNotice::BulkFailed { .. }) {
                    clear_marks(state, fx);
                }
            }
            say(state, n, fx)
        }
        PrintMsg::Marks(Ok(keys)) => {
            state.bench.marks.set_keys(&keys);
            prune_marks(state, fx);
        }
        PrintMsg::Marks(Err(error)) => say(state, BenchNotice::MarksNotRead { error }, fx),
        PrintMsg::MarksNotSaved { change, error } => {
            // Shown only what is durable: the change is taken back.
            match change {
                MarksChange::Add(keys) => state.bench.marks.remove(&keys),
                MarksChange::Remove(keys) => keys.iter().for_each(|k| state.bench.marks.add(k)),
                MarksChange::Clear { previous } => {
                    previous.iter().for_each(|k| state.bench.marks.add(k))
                }
            }
            say(state, BenchNotice::MarksNotSaved { error }, fx)
        }
    }
}

/// Removes every mark, durably.
fn clear_marks(state: &mut AppState, fx: &mut Vec<Effect>) {
    if state.bench.marks.is_empty() {
        return;
    }
    let previous = state.bench.marks.keys();
    state.bench.marks.clear();
    fx.push(Effect::Print(PrintFx::Marks(MarksChange::Clear {
        previous,
    })));
}

/// Whether a marked order in `state` has left the queue's bulk work for good (its mark
/// is dropped): cancelled, or handed over to the carrier.
fn left_queue(state: crate::domain::OrderState) -> bool {
    matches!(
        state,
        crate::domain::OrderState::Cancelled | crate::domain::OrderState::Dispatched
    )
}

/// Drops, durably, the marks of orders that left the queue (cancelled, dispatched), and
/// once the queue is loaded those of orders it no longer has. Cheap without marks, and
/// never called on a scan: only when rows change outside the pack flow (a sync, a
/// shipment, the queue loaded, the marks restored).
pub fn prune_marks(state: &mut AppState, fx: &mut Vec<Effect>) {
    if state.bench.marks.is_empty() {
        return;
    }
    let loaded = state.queue_loading.is_none();
    let gone: Vec<String> = state
        .bench
        .marks
        .keys()
        .into_iter()
        .filter(|k| match state.queue.state_of(k) {
            Some(st) => left_queue(st),
            None => loaded,
        })
        .collect();
    if !gone.is_empty() {
        state.bench.marks.remove(&gone);
        fx.push(Effect::Print(PrintFx::Marks(MarksChange::Remove(gone))));
    }
}

#[cfg(test)]
mod tests;
