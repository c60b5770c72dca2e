//! The application core: state, messages, actions, the reducer and its effects.
//!
//! `update(&mut AppState, Msg) -> Vec<Effect>` is synchronous and does no I/O. Time comes
//! in through `AppState::now` / `now_ms`, set by the event loop before each message.

pub mod action;
pub mod detail;
pub mod held;
pub mod marks;
pub mod print;
pub mod queue;
pub mod report;
pub mod rules;
pub mod shipping;
pub mod update;

#[cfg(test)]
mod testkit;

use std::collections::VecDeque;

use chrono::{DateTime, Utc};

pub use action::Action;
pub use queue::{Queue, TABS};
pub use update::update;

use crate::domain::{Order, OrderSummary, Shipment};
use crate::flow::{LedgerEntry, PackSession, Refusal, Reject};
use crate::scan::{Assembler, KeyIn};
use crate::store::AuditEvent;

/// Which screen is up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Queue,
    Pack,
}

/// What a text prompt asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    Quantity,
    Weight,
    ShortReason,
    Packer,
    Filter,
    /// A prompt of the order detail overlay.
    Detail(detail::DetailPrompt),
}

/// An open text prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub input: String,
}

/// The colour of a banner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Ok,
    Error,
    Warn,
    Info,
}

/// What the banner says; turned into words by the view through the message catalog.
#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    Accepted {
        name: String,
        scanned: String,
        quantity: String,
    },
    Picked,
    NeedSerial {
        name: String,
    },
    Rejected {
        reject: Reject,
        /// The line's product name where the reason names a line.
        name: Option<String>,
    },
    Refused(Refusal),
    Undone {
        name: String,
    },
    SerialCancelled,
    NoteAcknowledged,
    NoteMustBeAcknowledged,
    QuantitySet(u32),
    NextParcel(u32),
    Packed,
    ShortPacked,
    LabelQueued {
        number: String,
    },
    LabelReady {
        number: String,
        path: String,
    },
    LabelFailed {
        number: String,
        error: String,
    },
    AlreadyShipped {
        number: String,
    },
    DoubleFire {
        code: String,
    },
    ScanTooShort {
        raw: String,
    },
    ScanInvalid {
        raw: String,
        detail: String,
    },
    OrderNotFound {
        code: String,
    },
    NoOrderOpen,
    NotSaved {
        error: String,
    },
    PackerSet(String),
    BadNumber {
        input: String,
    },
    Aborted {
        number: String,
    },
    UnknownCommand {
        word: String,
    },
    ChangedUpstreamReset,
    PhotoTaken(usize),
    PhotoFailed {
        error: String,
    },
    PhotoRequired,
    Print(PrintNote),
    OutboxError {
        error: String,
    },
    /// Drop, second shipment, hand-over and tracking (`app::shipping`).
    Ship(shipping::ShipNote),
    /// Printing at the bench and bulk work (`app::print`).
    Bench(print::BenchNotice),
    /// A rule action failed (rule name, action, reason).
    RuleFailed {
        rule: String,
        action: String,
        error: String,
    },
    /// A custom event no rule listens to (or a button not shown).
    RuleUnknownEvent {
        name: String,
    },
    /// A custom event was handed to the rules (the button's label or the event name).
    RuleFired {
        label: String,
    },
    /// An order document was printed or shown from the order detail, or why not.
    Doc(detail::DocNote),
    /// A held or cancelled order at the bench (`app::held`).
    Held(held::HeldNote),
}

impl Notice {
    /// The banner colour for this notice.
    pub fn tone(&self) -> Tone {
        match self {
            Notice::Accepted { .. }
            | Notice::Picked
            | Notice::Packed
            | Notice::LabelReady { .. }
            | Notice::NoteAcknowledged
            | Notice::PhotoTaken(_)
            | Notice::Print(PrintNote::Printed { .. })
            | Notice::PackerSet(_) => Tone::Ok,
            Notice::NeedSerial { .. }
            | Notice::QuantitySet(_)
            | Notice::NextParcel(_)
            | Notice::LabelQueued { .. }
            | Notice::Undone { .. }
            | Notice::SerialCancelled
            | Notice::RuleFired { .. }
            | Notice::Aborted { .. } => Tone::Info,
            Notice::DoubleFire { .. }
            | Notice::ShortPacked
            | Notice::AlreadyShipped { .. }
            | Notice::ChangedUpstreamReset
            | Notice::Print(PrintNote::Waiting { .. }) => Tone::Warn,
            Notice::Ship(n) => n.tone(),
            Notice::Bench(n) => n.tone(),
            Notice::Doc(n) => n.tone(),
            Notice::Held(n) => n.tone(),
            _ => Tone::Error,
        }
    }
}

/// One line of the "last scans" list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanLog {
    pub code: String,
    pub ok: bool,
}

/// The open order at the bench.
#[derive(Debug, Clone)]
pub struct PackView {
    pub order: Order,
    pub session: PackSession,
    pub shipments: Vec<Shipment>,
    pub last_scans: VecDeque<ScanLog>,
    pub selected_line: usize,
    /// Photos taken of this order so far.
    pub photos: usize,
    /// False for an order opened only to be looked at (cancelled, never claimed):
    /// nothing is written for it.
    pub claimed: bool,
}

impl PackView {
    /// Puts a shipment of this order into its parcel list: replaces the same parcel and
    /// generation, or adds it.
    pub fn put_shipment(&mut self, s: &Shipment) {
        match self
            .shipments
            .iter_mut()
            .find(|x| x.parcel_no == s.parcel_no && x.generation == s.generation)
        {
            Some(x) => *x = s.clone(),
            None => self.shipments.push(s.clone()),
        }
    }
}

/// Station settings the reducer needs (from the config).
#[derive(Debug, Clone)]
pub struct Settings {
    pub station: String,
    pub bell: bool,
    pub ship_on_pack: bool,
    pub require_weight: bool,
    pub allow_manual_confirm: bool,
    pub default_weight_kg: f64,
    /// An order cannot be packed before a photo of it was taken (`camera.policy`).
    pub photo_required: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            station: "bench-1".into(),
            bell: true,
            ship_on_pack: false,
            require_weight: false,
            allow_manual_confirm: true,
            default_weight_kg: 0.5,
            photo_required: false,
        }
    }
}

/// The whole state of the bench.
#[derive(Debug)]
pub struct AppState {
    pub settings: Settings,
    pub packer: Option<String>,
    pub screen: Screen,
    pub queue: Queue,
    pub pack: Option<PackView>,
    pub banner: Option<Notice>,
    pub prompt: Option<Prompt>,
    pub help: bool,
    /// The outbox screen, when open.
    pub outbox_view: Option<OutboxView>,
    /// The hand-over screen, when open.
    pub handover_view: Option<shipping::HandoverView>,
    /// A drop / second shipment / hand-over waiting for its confirmation.
    pub confirm: Option<shipping::Confirm>,
    /// The order detail overlay, when open.
    pub detail: Option<detail::DetailView>,
    /// The loaded rules' buttons and custom events, and the rule-log overlay.
    pub rules: rules::RulesState,
    pub assembler: Assembler,
    /// Background jobs in flight (shown in the status bar).
    pub jobs: usize,
    /// Remote operations waiting or failed (status bar).
    pub outbox: crate::outbox::Counts,
    /// Print-queue screen, next free A4 quarter, rows marked for bulk work.
    pub bench: print::BenchPrint,
    /// The last shop sync (None when no shop is configured).
    pub sync: Option<crate::sync::SyncStatus>,
    /// The queue is still being loaded; rows changed meanwhile wait here.
    pub queue_loading: Option<Vec<OrderSummary>>,
    /// The shop's status names, for held orders (`app::held`).
    pub held: held::HeldState,
    pub should_quit: bool,
    /// Wall clock, set by the event loop before each message.
    pub now: DateTime<Utc>,
    /// Monotonic milliseconds, set by the event loop (scanner timing).
    pub now_ms: u64,
}

impl AppState {
    pub fn new(settings: Settings, assembler: Assembler, rows: Vec<OrderSummary>) -> AppState {
        AppState {
            settings,
            packer: None,
            screen: Screen::Queue,
            queue: Queue::new(rows),
            pack: None,
            banner: None,
            prompt: None,
            help: false,
            outbox_view: None,
            handover_view: None,
            confirm: None,
            detail: None,
            rules: rules::RulesState::default(),
            assembler,
            jobs: 0,
            queue_loading: None,
            held: held::HeldState::default(),
            sync: None,
            outbox: crate::outbox::Counts::default(),
            bench: print::BenchPrint::default(),
            should_quit: false,
            now: DateTime::<Utc>::UNIX_EPOCH,
            now_ms: 0,
        }
    }
}

/// Text editing inside a prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    Char(char),
    Backspace,
    Submit,
    Cancel,
}

/// What a store lookup answered.
#[derive(Debug, Clone, PartialEq)]
pub enum Looked {
    /// A scanned code: the order it opens (if any) and whether any product has it.
    Code {
        scan: crate::scan::Scan,
        order_key: Option<String>,
        known: bool,
    },
    /// A serial number and the order that already holds it.
    Serial {
        serial: String,
        owner: Option<String>,
    },
}

/// Everything that reaches the reducer.
#[derive(Debug)]
pub enum Msg {
    /// A named action (key or command barcode).
    Action(Action),
    /// A key for the scan buffer.
    ScanKey(KeyIn),
    /// A key for the open prompt.
    Edit(Edit),
    /// Bracketed paste.
    Paste(String),
    /// Answer to [`Effect::Lookup`].
    Looked(Looked),
    /// Answer to [`Effect::LoadOrder`].
    OrderLoaded {
        order: Box<Order>,
        session: Option<Box<PackSession>>,
        shipments: Vec<Shipment>,
        /// The code that opened it (a scan) or None (from the queue / a restart).
        via: Option<String>,
        /// Photos already taken of it.
        photos: usize,
    },
    /// Answer to [`Effect::LoadOrder`] when the order is gone.
    LoadFailed { key: String, error: String },
    /// A pack step could not be written: undo it on screen.
    PersistFailed {
        error: String,
        previous: Option<Box<PackSession>>,
    },
    /// A background shipment changed.
    Shipment(Box<Shipment>),
    /// A background job finished (successfully or not: the shipment says which).
    JobDone,
    /// Queue rows changed outside the bench (the shop sync imported orders).
    RowsChanged(Vec<OrderSummary>),
    /// A photo was taken (order key, photos of the order now) or failed (the reason).
    Photo(Result<(String, usize), String>),
    /// The outbox entries that need attention (or why they could not be read or changed).
    OutboxEntries(Result<Vec<OutboxLine>, String>),
    /// What the print queue did with a job.
    Print(PrintNote),
    /// Outbox counts after a change (pending and failed remote operations).
    Outbox(crate::outbox::Counts),
    /// How the last shop sync went.
    Sync(Box<crate::sync::SyncStatus>),
    /// The queue, loaded and sorted in the background after the first frame.
    QueueLoaded(Box<Queue>),
    /// A note about drops, hand-overs and carrier statuses from the background.
    ShipNote(shipping::ShipNote),
    /// The carrier reported a new status for this (stored) shipment.
    CarrierStatus(Box<Shipment>),
    /// The hand-over screen's list (ready parcels per carrier), or why it failed.
    HandoverGroups(Result<Vec<shipping::HandoverGroup>, String>),
    /// What the rules executor did (a failed action, a finished execution).
    Rule(rules::RuleNote),
    /// The latest rule executions (or why they could not be read).
    RuleLog(Result<Vec<rules::RuleLine>, String>),
    /// Timer tick.
    Tick,
    /// An answer for the order detail overlay.
    Detail(detail::DetailMsg),
    /// An answer about printing or bulk work (`app::print`).
    Bench(print::PrintMsg),
    /// The shop's statuses (id and name), read by the sync: held rows show their name.
    ShopStatuses(Vec<held::StatusName>),
}

/// One outbox entry as the supervisor's screen shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxLine {
    pub id: u64,
    pub what: String,
    pub state: String,
    pub attempts: u32,
    pub error: Option<String>,
    /// A shop status update waiting for others to share its request: when it goes at the
    /// latest (local time, `HH:MM:SS`).
    pub batched_until: Option<String>,
}

/// The supervisor's outbox screen (an overlay).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboxView {
    pub lines: Vec<OutboxLine>,
    pub selected: usize,
}

/// A print job's outcome, for the banner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrintNote {
    Printed {
        name: String,
        printer: String,
    },
    /// The printer is off or refused for now: the job stays queued and is retried.
    Waiting {
        name: String,
        error: String,
    },
    Failed {
        name: String,
        error: String,
    },
}

/// A store lookup to run before the reducer can decide.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    Code(crate::scan::Scan),
    Serial(String),
}

/// A durable write.
#[derive(Debug, Clone)]
pub enum Persist {
    /// A pack step: session, ledger entries and queue row together, flushed.
    Step {
        session: Box<PackSession>,
        ledger: Vec<LedgerEntry>,
        summary: Box<OrderSummary>,
        /// The session before the step (None for a new session), restored on failure.
        previous: Option<Box<PackSession>>,
    },
    OpenOrder(Option<String>),
    Packer(Option<String>),
    Event(Box<AuditEvent>),
    Summary(Box<OrderSummary>),
}

/// What the reducer asks the outside world to do.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Store reads that a decision waits for (answered at once with [`Msg::Looked`]).
    Lookup(Lookup),
    /// Load an order and its session (answered with [`Msg::OrderLoaded`]).
    LoadOrder {
        key: String,
        via: Option<String>,
    },
    /// A durable write; completes before the next frame is drawn.
    Persist(Persist),
    /// Create shipments and labels for a packed order, in the background.
    Ship {
        order: Box<Order>,
        session: Box<PackSession>,
    },
    /// Queue the shop status for a point of the order's life (packed …).
    ShopStatus {
        order: Box<Order>,
        point: crate::effects::StatusPoint,
    },
    /// Read the outbox entries that need attention (answered with `Msg::OutboxEntries`).
    OutboxList,
    /// A supervisor's retry or cancel of one outbox entry (answered like `OutboxList`).
    OutboxRetry(u64),
    OutboxCancel(u64),
    /// Take a photo of the open order's parcel, in the background.
    TakePhoto {
        order_key: String,
        parcel: u32,
    },
    /// Write the labels of an order's ready shipments again.
    Reprint {
        order: Box<Order>,
        shipments: Vec<Shipment>,
    },
    /// Create a further shipment (generation ≥ 1, confirmed by the packer).
    ShipAgain {
        order: Box<Order>,
        session: Box<PackSession>,
        generation: u32,
    },
    /// Drop the order's ready shipments at the carrier (through the outbox).
    DropShipments {
        order_key: String,
    },
    /// Read the ready parcels per carrier (answered with `Msg::HandoverGroups`).
    HandoverList,
    /// Hand over the ready parcels of a carrier (through the outbox).
    Handover {
        carrier: String,
    },
    /// Printing at the bench and bulk work (`app::print`, run by `effects::bench`).
    Print(print::PrintFx),
    /// Hand an event to the rules executor (in the background).
    Rule(crate::rules::Event),
    /// Read the latest rule executions (answered with `Msg::RuleLog`).
    RulesLog,
    /// Ring the terminal bell.
    Bell,
    Quit,
    /// Work for the order detail overlay.
    Detail(detail::DetailEffect),
}
