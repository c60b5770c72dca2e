//! The pack flow: a pure state machine over one order's pack session.
//!
//! `handle(&mut PackSession, &Order, &FlowCtx, FlowEvent) -> Step` owns the rules of
//! scanning: which code matches which line, over-scan, wrong item, typed quantity, manual
//! confirm, serial capture, short-pack, next parcel, undo, packed. It does no I/O: the
//! caller persists the returned ledger entry (before showing the outcome) and draws the
//! outcome.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{Line, Order, Qty, gtin};

/// Where a pack session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionState {
    /// Items are being scanned.
    Scanning,
    /// Every line is complete; waiting for *packed*.
    Picked,
    /// Confirmed packed; parcels have weights.
    Packed,
    /// Packed short with a reason: goes to Exceptions.
    Short,
}

/// Progress of one order line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineProgress {
    pub scanned: Qty,
    /// Part of `scanned` confirmed by hand (no barcode).
    #[serde(default)]
    pub manual: Qty,
    #[serde(default)]
    pub serials: Vec<String>,
}

/// A parcel being filled or packed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParcelDraft {
    pub no: u32,
    #[serde(default)]
    pub weight_kg: Option<f64>,
    /// (line index, quantity) put in this parcel.
    #[serde(default)]
    pub items: Vec<(usize, Qty)>,
}

/// How a unit was counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Scan,
    /// A typed quantity applied to the next scan.
    Typed,
    /// Confirmed by hand (line without barcode).
    Manual,
}

/// One entry of the append-only pack ledger (the `scans` tree). Undo is an entry too.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LedgerKind {
    Claimed,
    Counted {
        line: usize,
        qty: Qty,
        code: String,
        method: Method,
        parcel: u32,
        #[serde(default)]
        serial: Option<String>,
    },
    Undone {
        of_seq: u64,
        /// The serial number released by the undo, if the unit had one.
        #[serde(default)]
        serial: Option<String>,
    },
    NoteAcknowledged,
    NextParcel {
        no: u32,
        closed_weight_kg: Option<f64>,
    },
    Packed {
        weights_kg: Vec<f64>,
    },
    ShortPacked {
        reason: String,
    },
    Rejected {
        code: String,
        reason: String,
    },
}

/// A ledger entry with its sequence number, time, station and packer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub station: String,
    pub packer: Option<String>,
    #[serde(flatten)]
    pub kind: LedgerKind,
}

/// The bench's progress on one order; persisted whole in the `sessions` tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackSession {
    pub order_key: String,
    pub order_revision: u64,
    pub station: String,
    pub packer: Option<String>,
    pub state: SessionState,
    pub lines: Vec<LineProgress>,
    pub parcels: Vec<ParcelDraft>,
    pub note_acked: bool,
    #[serde(default)]
    pub short_reason: Option<String>,
    /// A typed quantity waiting for the next matching scan.
    #[serde(default)]
    pub pending_qty: Option<u32>,
    /// A line whose unit was scanned and now waits for its serial number.
    #[serde(default)]
    pub awaiting_serial: Option<usize>,
    /// Sequence numbers of the counting entries still in effect (undo pops from here).
    #[serde(default)]
    pub undo_stack: Vec<(u64, usize, Qty, Option<String>)>,
    /// Next ledger sequence number.
    pub next_seq: u64,
    pub started_at: DateTime<Utc>,
}

/// Why a scan was rejected: each reason has its own banner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reject {
    /// The code is a known product, but not in this order.
    NotInOrder { code: String },
    /// The code matches a line that is already complete (or would be over-filled).
    LineComplete { line: usize },
    /// The order cannot be packed now.
    NotPackable(NotPackable),
    /// The code is not known at all.
    UnknownCode { code: String },
}

/// Why an order is not packable now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotPackable {
    Cancelled,
    ClaimedElsewhere {
        station: String,
    },
    ChangedUpstream,
    AlreadyPacked,
    /// The shop moved it to a status outside `[status].queue` (`status`: the shop's).
    NotQueued {
        status: String,
    },
}

/// A refusal that is not a scan rejection (a command that does not apply now).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The note must be acknowledged before scanning.
    NoteNotAcknowledged,
    /// Not every line is complete yet.
    NotAllScanned { missing: Qty },
    /// Nothing to undo.
    NothingToUndo,
    /// The serial number is empty.
    SerialEmpty,
    /// The serial number was already used (in this order or elsewhere).
    SerialUsed { serial: String },
    /// The line has a barcode; scan it instead of confirming by hand.
    ManualNotAllowed { line: usize },
    /// The current parcel is empty: nothing to close.
    EmptyParcel,
    /// A typed quantity must be at least 1.
    BadQuantity,
    /// A short-pack needs a reason.
    EmptyReason,
    /// A serial number came while no line waits for one.
    NoSerialExpected,
}

/// What happened, for the banner.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Counted {
        line: usize,
        qty: Qty,
        scanned: Qty,
        quantity: Qty,
        /// This scan completed the whole order.
        picked: bool,
    },
    /// The unit was matched; its serial number is needed next.
    NeedSerial {
        line: usize,
    },
    Rejected(Reject),
    Refused(Refusal),
    Undone {
        line: usize,
        qty: Qty,
    },
    NoteAcknowledged,
    QuantitySet(u32),
    NextParcel {
        no: u32,
    },
    Packed,
    ShortPacked,
    /// Undo while a serial number was awaited: the unit is not counted.
    SerialCancelled,
}

/// One step's result: the outcome to show and the ledger entries to persist first.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub outcome: Outcome,
    pub ledger: Vec<LedgerEntry>,
}

/// Who and when, for ledger entries.
#[derive(Debug, Clone)]
pub struct FlowCtx {
    pub now: DateTime<Utc>,
    pub station: String,
    pub packer: Option<String>,
}

/// What the bench feeds the flow.
#[derive(Debug, Clone, PartialEq)]
pub enum FlowEvent {
    /// A scanned code: `code` as assembled, `gtin` its GTIN-14 where it is one, `serial`
    /// from a GS1 AI 21; `known` says whether any product anywhere has this code.
    Scan {
        code: String,
        gtin: Option<String>,
        serial: Option<String>,
        known: bool,
    },
    /// A serial number for the line awaiting one; `used_elsewhere` from the store.
    Serial {
        serial: String,
        used_elsewhere: bool,
    },
    /// The next matching scan counts this many units.
    Quantity(u32),
    /// Confirm a line without barcode by hand (its remaining quantity).
    Manual {
        line: usize,
    },
    AcknowledgeNote,
    Undo,
    NextParcel {
        weight_kg: Option<f64>,
    },
    /// Confirm packed; the weight applies to the current (last) parcel.
    Pack {
        weight_kg: Option<f64>,
    },
    Short {
        reason: String,
    },
}

impl PackSession {
    /// A fresh session for `order`, claimed by the context's station.
    pub fn new(order: &Order, ctx: &FlowCtx) -> (PackSession, LedgerEntry) {
        let mut s = PackSession {
            order_key: order.key(),
            order_revision: order.revision,
            station: ctx.station.clone(),
            packer: ctx.packer.clone(),
            state: SessionState::Scanning,
            lines: vec![LineProgress::default(); order.lines.len()],
            parcels: vec![ParcelDraft {
                no: 1,
                weight_kg: None,
                items: Vec::new(),
            }],
            note_acked: order.note.as_ref().is_none_or(|n| !n.ack_required),
            short_reason: None,
            pending_qty: None,
            awaiting_serial: None,
            undo_stack: Vec::new(),
            next_seq: 0,
            started_at: ctx.now,
        };
        let entry = s.entry(ctx, LedgerKind::Claimed);
        (s, entry)
    }

    fn entry(&mut self, ctx: &FlowCtx, kind: LedgerKind) -> LedgerEntry {
        let seq = self.next_seq;
        self.next_seq += 1;
        LedgerEntry {
            seq,
            at: ctx.now,
            station: ctx.station.clone(),
            packer: ctx.packer.clone(),
            kind,
        }
    }

    /// Units still missing over all lines.
    pub fn missing(&self, order: &Order) -> Qty {
        order
            .lines
            .iter()
            .zip(&self.lines)
            .fold(Qty::ZERO, |acc, (l, p)| {
                acc + l.quantity.saturating_sub(p.scanned)
            })
    }

    /// Scanned units over all lines.
    pub fn scanned_total(&self) -> Qty {
        self.lines.iter().fold(Qty::ZERO, |acc, p| acc + p.scanned)
    }

    /// Number of the parcel being filled.
    pub fn current_parcel(&self) -> u32 {
        self.parcels.last().map_or(1, |p| p.no)
    }

    /// Every serial number captured in this session.
    pub fn serials(&self) -> impl Iterator<Item = &str> {
        self.lines
            .iter()
            .flat_map(|l| l.serials.iter().map(String::as_str))
    }

    /// Weight per parcel prefilled from product weights (kg), `default_kg` where unknown.
    pub fn prefilled_weights(&self, order: &Order, default_kg: f64) -> Vec<f64> {
        self.parcels
            .iter()
            .map(|p| {
                let w: f64 = p
                    .items
                    .iter()
                    .filter_map(|(li, q)| {
                        order
                            .lines
                            .get(*li)
                            .and_then(|l| l.unit_weight_kg)
                            .map(|w| w * q.as_f64())
                    })
                    .sum();
                if w > 0.0 { w } else { default_kg }
            })
            .collect()
    }

    /// Whether the session blocks scanning for a reason that is not the packer's doing.
    pub fn not_packable(&self, order: &Order, station: &str) -> Option<NotPackable> {
        if order.cancelled {
            Some(NotPackable::Cancelled)
        } else if order.not_queued() && !self.is_finished() {
            Some(NotPackable::NotQueued {
                status: order.shop_status.clone(),
            })
        } else if self.station != station && !self.is_finished() {
            Some(NotPackable::ClaimedElsewhere {
                station: self.station.clone(),
            })
        } else if self.order_revision != order.revision {
            Some(NotPackable::ChangedUpstream)
        } else if self.is_finished() {
            Some(NotPackable::AlreadyPacked)
        } else {
            None
        }
    }

    pub fn is_finished(&self) -> bool {
        matches!(self.state, SessionState::Packed | SessionState::Short)
    }
}

/// Whether `line` is matched by a scanned code; returns the units one scan counts.
fn line_match(line: &Line, code: &str, gtin14: Option<&str>) -> Option<u32> {
    if let (Some(g), Some(ean)) = (gtin14, line.ean.as_deref())
        && gtin::to_gtin14(ean).as_deref() == Some(g)
    {
        return Some(1);
    }
    if line
        .ean
        .as_deref()
        .is_some_and(|e| e.eq_ignore_ascii_case(code))
        || line.sku.eq_ignore_ascii_case(code)
    {
        return Some(1);
    }
    line.aliases.iter().find_map(|a| {
        let same = a.code.eq_ignore_ascii_case(code)
            || (gtin14.is_some() && gtin::to_gtin14(&a.code).as_deref() == gtin14);
        same.then_some(a.units.max(1))
    })
}

/// Applies one event to the session.
pub fn handle(s: &mut PackSession, order: &Order, ctx: &FlowCtx, ev: FlowEvent) -> Step {
    let mut ledger = Vec::new();
    let outcome = step(s, order, ctx, ev, &mut ledger);
    Step { outcome, ledger }
}

fn step(
    s: &mut PackSession,
    order: &Order,
    ctx: &FlowCtx,
    ev: FlowEvent,
    ledger: &mut Vec<LedgerEntry>,
) -> Outcome {
    if let Some(why) = s.not_packable(order, &ctx.station) {
        if let FlowEvent::Scan { code, .. } = &ev {
            let e = s.entry(
                ctx,
                LedgerKind::Rejected {
                    code: code.clone(),
                    reason: "not_packable".into(),
                },
            );
            ledger.push(e);
        }
        return Outcome::Rejected(Reject::NotPackable(why));
    }
    match ev {
        FlowEvent::AcknowledgeNote => {
            if !s.note_acked {
                s.note_acked = true;
                let e = s.entry(ctx, LedgerKind::NoteAcknowledged);
                ledger.push(e);
            }
            Outcome::NoteAcknowledged
        }
        _ if !s.note_acked => Outcome::Refused(Refusal::NoteNotAcknowledged),
        FlowEvent::Scan {
            code,
            gtin,
            serial,
            known,
        } => scan(s, order, ctx, code, gtin, serial, known, ledger),
        FlowEvent::Serial {
            serial,
            used_elsewhere,
        } => match s.awaiting_serial {
            Some(line) => give_serial(s, order, ctx, line, serial, used_elsewhere, ledger),
            None => Outcome::Refused(Refusal::NoSerialExpected),
        },
        FlowEvent::Quantity(n) => {
            if n == 0 {
                Outcome::Refused(Refusal::BadQuantity)
            } else {
                s.pending_qty = Some(n);
                Outcome::QuantitySet(n)
            }
        }
        FlowEvent::Manual { line } => {
            let Some(l) = order.lines.get(line) else {
                return Outcome::Refused(Refusal::ManualNotAllowed { line });
            };
            if l.ean.is_some() {
                return Outcome::Refused(Refusal::ManualNotAllowed { line });
            }
            let remaining = l.quantity.saturating_sub(s.lines[line].scanned);
            if remaining == Qty::ZERO {
                return Outcome::Rejected(Reject::LineComplete { line });
            }
            let qty = s
                .pending_qty
                .take()
                .map_or(remaining, |n| Qty::units(n.into()));
            if qty > remaining {
                return Outcome::Rejected(Reject::LineComplete { line });
            }
            count(
                s,
                order,
                ctx,
                line,
                qty,
                l.sku.clone(),
                Method::Manual,
                None,
                ledger,
            )
        }
        FlowEvent::Undo => undo(s, ctx, ledger),
        FlowEvent::NextParcel { weight_kg } => {
            let cur = s.parcels.last_mut();
            match cur {
                Some(p) if !p.items.is_empty() => {
                    p.weight_kg = weight_kg.or(p.weight_kg);
                    let closed = p.weight_kg;
                    let no = p.no + 1;
                    s.parcels.push(ParcelDraft {
                        no,
                        weight_kg: None,
                        items: Vec::new(),
                    });
                    let e = s.entry(
                        ctx,
                        LedgerKind::NextParcel {
                            no,
                            closed_weight_kg: closed,
                        },
                    );
                    ledger.push(e);
                    Outcome::NextParcel { no }
                }
                _ => Outcome::Refused(Refusal::EmptyParcel),
            }
        }
        FlowEvent::Pack { weight_kg } => {
            if s.state != SessionState::Picked {
                return Outcome::Refused(Refusal::NotAllScanned {
                    missing: s.missing(order),
                });
            }
            // A trailing empty parcel (next parcel pressed once too often) is dropped.
            if s.parcels.len() > 1 && s.parcels.last().is_some_and(|p| p.items.is_empty()) {
                s.parcels.pop();
            }
            if let Some(p) = s.parcels.last_mut() {
                p.weight_kg = weight_kg.or(p.weight_kg);
            }
            let weights = s
                .parcels
                .iter()
                .map(|p| p.weight_kg.unwrap_or(0.0))
                .collect();
            s.state = SessionState::Packed;
            let e = s.entry(
                ctx,
                LedgerKind::Packed {
                    weights_kg: weights,
                },
            );
            ledger.push(e);
            Outcome::Packed
        }
        FlowEvent::Short { reason } => {
            let reason = reason.trim().to_string();
            if reason.is_empty() {
                return Outcome::Refused(Refusal::EmptyReason);
            }
            s.state = SessionState::Short;
            s.short_reason = Some(reason.clone());
            let e = s.entry(ctx, LedgerKind::ShortPacked { reason });
            ledger.push(e);
            Outcome::ShortPacked
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn scan(
    s: &mut PackSession,
    order: &Order,
    ctx: &FlowCtx,
    code: String,
    gtin14: Option<String>,
    serial: Option<String>,
    known: bool,
    ledger: &mut Vec<LedgerEntry>,
) -> Outcome {
    let matches: Vec<(usize, u32)> = order
        .lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| line_match(l, &code, gtin14.as_deref()).map(|u| (i, u)))
        .collect();
    let reject = |s: &mut PackSession, ledger: &mut Vec<LedgerEntry>, r: Reject, why: &str| {
        let e = s.entry(
            ctx,
            LedgerKind::Rejected {
                code: code.clone(),
                reason: why.into(),
            },
        );
        ledger.push(e);
        Outcome::Rejected(r)
    };
    if matches.is_empty() {
        return if known {
            reject(
                s,
                ledger,
                Reject::NotInOrder { code: code.clone() },
                "not_in_order",
            )
        } else {
            reject(
                s,
                ledger,
                Reject::UnknownCode { code: code.clone() },
                "unknown_code",
            )
        };
    }
    let multiplier = s.pending_qty.unwrap_or(1);
    // The first matching line with room for this scan's units.
    let target = matches.iter().find(|(i, units)| {
        let want = Qty::units(u64::from(*units) * u64::from(multiplier));
        order.lines[*i].quantity.saturating_sub(s.lines[*i].scanned) >= want
    });
    let Some(&(line, units)) = target else {
        let line = matches[0].0;
        return reject(s, ledger, Reject::LineComplete { line }, "line_complete");
    };
    let method = if s.pending_qty.take().is_some() {
        Method::Typed
    } else {
        Method::Scan
    };
    let qty = Qty::units(u64::from(units) * u64::from(multiplier));
    if order.lines[line].needs_serial {
        match serial {
            Some(sn) => {
                s.awaiting_serial = Some(line);
                give_serial(s, order, ctx, line, sn, false, ledger)
            }
            None => {
                s.awaiting_serial = Some(line);
                Outcome::NeedSerial { line }
            }
        }
    } else {
        count(s, order, ctx, line, qty, code, method, None, ledger)
    }
}

fn give_serial(
    s: &mut PackSession,
    order: &Order,
    ctx: &FlowCtx,
    line: usize,
    serial: String,
    used_elsewhere: bool,
    ledger: &mut Vec<LedgerEntry>,
) -> Outcome {
    let serial = serial.trim().to_string();
    if serial.is_empty() {
        return Outcome::Refused(Refusal::SerialEmpty);
    }
    if used_elsewhere || s.serials().any(|x| x == serial) {
        return Outcome::Refused(Refusal::SerialUsed { serial });
    }
    s.awaiting_serial = None;
    let code = order.lines[line].sku.clone();
    count(
        s,
        order,
        ctx,
        line,
        Qty::units(1),
        code,
        Method::Scan,
        Some(serial),
        ledger,
    )
}

#[allow(clippy::too_many_arguments)]
fn count(
    s: &mut PackSession,
    order: &Order,
    ctx: &FlowCtx,
    line: usize,
    qty: Qty,
    code: String,
    method: Method,
    serial: Option<String>,
    ledger: &mut Vec<LedgerEntry>,
) -> Outcome {
    let prog = &mut s.lines[line];
    prog.scanned = prog.scanned + qty;
    if method == Method::Manual {
        prog.manual = prog.manual + qty;
    }
    if let Some(sn) = &serial {
        prog.serials.push(sn.clone());
    }
    let scanned = prog.scanned;
    let parcel = s.current_parcel();
    if let Some(p) = s.parcels.last_mut() {
        match p.items.iter_mut().find(|(li, _)| *li == line) {
            Some((_, q)) => *q = *q + qty,
            None => p.items.push((line, qty)),
        }
    }
    let e = s.entry(
        ctx,
        LedgerKind::Counted {
            line,
            qty,
            code,
            method,
            parcel,
            serial: serial.clone(),
        },
    );
    s.undo_stack.push((e.seq, line, qty, serial));
    ledger.push(e);
    let picked = s.missing(order) == Qty::ZERO;
    if picked {
        s.state = SessionState::Picked;
    }
    Outcome::Counted {
        line,
        qty,
        scanned,
        quantity: order.lines[line].quantity,
        picked,
    }
}

fn undo(s: &mut PackSession, ctx: &FlowCtx, ledger: &mut Vec<LedgerEntry>) -> Outcome {
    if s.awaiting_serial.take().is_some() {
        // The unit waiting for its serial was never counted.
        return Outcome::SerialCancelled;
    }
    let Some((seq, line, qty, serial)) = s.undo_stack.pop() else {
        return Outcome::Refused(Refusal::NothingToUndo);
    };
    let prog = &mut s.lines[line];
    prog.scanned = prog.scanned.saturating_sub(qty);
    prog.manual = prog.manual.min(prog.scanned);
    if let Some(sn) = &serial {
        prog.serials.retain(|x| x != sn);
    }
    // Take the units out of the last parcel that holds them.
    if let Some(p) = s
        .parcels
        .iter_mut()
        .rev()
        .find(|p| p.items.iter().any(|(li, _)| *li == line))
    {
        for (li, q) in p.items.iter_mut() {
            if *li == line {
                *q = q.saturating_sub(qty);
            }
        }
        p.items.retain(|(_, q)| *q > Qty::ZERO);
    }
    s.state = SessionState::Scanning;
    let e = s.entry(
        ctx,
        LedgerKind::Undone {
            of_seq: seq,
            serial: serial.clone(),
        },
    );
    ledger.push(e);
    Outcome::Undone { line, qty }
}

#[cfg(test)]
mod tests;
