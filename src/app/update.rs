//! The reducer: `update(&mut AppState, Msg) -> Vec<Effect>`. Pure: no I/O, no clock.

use std::collections::VecDeque;

use super::{
    Action, AppState, Edit, Effect, Looked, Lookup, Msg, Notice, OutboxView, PackView, Persist,
    Prompt, PromptKind, ScanLog, Screen, Tone,
};
use crate::domain::{Order, OrderState, OrderSummary, Shipment, ShipmentState};
use crate::flow::{self, FlowCtx, FlowEvent, Outcome, PackSession, Reject, SessionState};
use crate::scan::{Assembled, Command, RejectReason, Scan, ScanKind};
use crate::store::AuditEvent;

/// How many recent scans the pack screen lists.
const LAST_SCANS: usize = 5;
const PAGE: isize = 10;

/// Applies one message to the state and returns the effects to run.
pub fn update(state: &mut AppState, msg: Msg) -> Vec<Effect> {
    let mut fx = Vec::new();
    match msg {
        Msg::Action(a) => action(state, a, &mut fx),
        Msg::ScanKey(k) => {
            if let Some(out) = state.assembler.key(k, state.now_ms) {
                assembled(state, out, &mut fx);
            }
        }
        Msg::Paste(text) => {
            if let Some(p) = state.prompt.as_mut() {
                p.input.extend(text.chars().filter(|c| !c.is_control()));
                if p.kind == PromptKind::Filter {
                    let f = p.input.clone();
                    state.queue.set_filter(&f);
                }
            } else {
                for out in state.assembler.paste(&text, state.now_ms) {
                    assembled(state, out, &mut fx);
                }
            }
        }
        Msg::Edit(e) => edit(state, e, &mut fx),
        Msg::Looked(l) => looked(state, l, &mut fx),
        Msg::OrderLoaded {
            order,
            session,
            shipments,
            via,
            photos,
        } => {
            super::detail::order_loaded(state, &order.key(), via.is_some());
            opened(state, *order, session.map(|s| *s), shipments, via, &mut fx);
            if let Some(pv) = state.pack.as_mut() {
                pv.photos = photos;
            }
        }
        Msg::LoadFailed { key, error } => {
            tracing::warn!(order = %key, %error, "order could not be loaded");
            notice(state, Notice::OrderNotFound { code: key }, &mut fx);
        }
        Msg::PersistFailed { error, previous } => {
            if let (Some(pv), Some(prev)) = (state.pack.as_mut(), previous) {
                pv.session = *prev;
            }
            notice(state, Notice::NotSaved { error }, &mut fx);
        }
        Msg::Shipment(s) => shipment(state, *s, &mut fx),
        Msg::JobDone => state.jobs = state.jobs.saturating_sub(1),
        Msg::RowsChanged(rows) => {
            // The open order changed in the shop: reload it, so the session is checked
            // against the new content (an outdated one starts over).
            let changed_open = state.pack.as_ref().and_then(|p| {
                rows.iter()
                    .find(|r| {
                        p.order.key() == r.key
                            && p.session.order_revision != r.revision
                            && !p.session.is_finished()
                    })
                    .map(|r| r.key.clone())
            });
            if let Some(key) = changed_open {
                fx.push(Effect::LoadOrder { key, via: None });
            }
            if let Some(pending) = state.queue_loading.as_mut() {
                pending.extend(rows.iter().cloned());
            }
            state.queue.upsert_all(rows);
            super::print::prune_marks(state, &mut fx);
        }
        Msg::Sync(status) => state.sync = Some(*status),
        Msg::Outbox(counts) => state.outbox = counts,
        Msg::Photo(Ok((key, count))) => {
            if let Some(pv) = state.pack.as_mut().filter(|p| p.order.key() == key) {
                pv.photos = count;
            }
            fx.push(audit(state, Some(key), "photo_taken", count.to_string()));
            notice(state, Notice::PhotoTaken(count), &mut fx);
        }
        Msg::Print(note) => notice(state, Notice::Print(note), &mut fx),
        Msg::OutboxEntries(Ok(lines)) => {
            let view = state.outbox_view.get_or_insert_with(Default::default);
            view.selected = view.selected.min(lines.len().saturating_sub(1));
            view.lines = lines;
        }
        Msg::OutboxEntries(Err(error)) => notice(state, Notice::OutboxError { error }, &mut fx),
        Msg::Photo(Err(error)) => notice(state, Notice::PhotoFailed { error }, &mut fx),
        Msg::QueueLoaded(queue) => {
            let (tab, filter) = (state.queue.tab(), state.queue.filter().to_string());
            state.queue = *queue;
            state.queue.set_tab(tab);
            state.queue.set_filter(&filter);
            let pending = state.queue_loading.take().unwrap_or_default();
            state.queue.upsert_all(pending);
            super::print::prune_marks(state, &mut fx);
        }
        Msg::ShipNote(n) => super::shipping::background(state, n, &mut fx),
        Msg::HandoverGroups(res) => super::shipping::groups(state, res, &mut fx),
        Msg::CarrierStatus(s) => super::shipping::carrier_status(state, *s, &mut fx),
        m @ (Msg::Rule(_) | Msg::RuleLog(_)) => super::rules::message(state, m, &mut fx),
        Msg::Tick => {}
        Msg::Detail(m) => super::detail::on_msg(state, m),
        Msg::Bench(m) => super::print::msg(state, m, &mut fx),
        Msg::ShopStatuses(names) => state.held.names = names,
    }
    fx
}

/// Updates a queue row; while the queue is still loading, also remembers it so the
/// loaded queue gets it too.
fn upsert_row(state: &mut AppState, row: OrderSummary) {
    if let Some(pending) = state.queue_loading.as_mut() {
        pending.push(row.clone());
    }
    state.queue.upsert(row);
}

/// Shows a notice; errors ring the bell where configured.
fn notice(state: &mut AppState, n: Notice, fx: &mut Vec<Effect>) {
    let n = super::held::plain(state, n);
    if n.tone() == Tone::Error && state.settings.bell {
        fx.push(Effect::Bell);
    }
    state.banner = Some(n);
}

fn ctx(state: &AppState) -> FlowCtx {
    FlowCtx {
        now: state.now,
        station: state.settings.station.clone(),
        packer: state.packer.clone(),
    }
}

fn audit(state: &AppState, order_key: Option<String>, what: &str, detail: String) -> Effect {
    Effect::Persist(Persist::Event(Box::new(AuditEvent {
        at: state.now,
        station: state.settings.station.clone(),
        packer: state.packer.clone(),
        order_key,
        what: what.to_string(),
        detail,
    })))
}

/// The queue state a session puts its order in.
fn row_state(session: &PackSession) -> OrderState {
    match session.state {
        SessionState::Scanning | SessionState::Picked => OrderState::InProgress,
        SessionState::Packed => OrderState::Packed,
        SessionState::Short => OrderState::Exception,
    }
}

fn summary_for(state: &AppState, order: &Order, st: OrderState) -> OrderSummary {
    let mut row = state
        .queue
        .row(&order.key())
        .unwrap_or_else(|| OrderSummary::of(order, st));
    row.state = st;
    row
}

fn assembled(state: &mut AppState, out: Assembled, fx: &mut Vec<Effect>) {
    match out {
        Assembled::Scan(scan) => scanned(state, scan, fx),
        Assembled::DoubleFire { code } => {
            tracing::info!(%code, "double fire dropped");
            let key = state.pack.as_ref().map(|p| p.order.key());
            fx.push(audit(state, key, "double_fire", code.clone()));
            notice(state, Notice::DoubleFire { code }, fx);
        }
        Assembled::Rejected { raw, reason } => match reason {
            RejectReason::TooShort => notice(state, Notice::ScanTooShort { raw }, fx),
            RejectReason::MissingPrefix => notice(
                state,
                Notice::ScanInvalid {
                    raw,
                    detail: "prefix".into(),
                },
                fx,
            ),
            RejectReason::BadGs1(detail) | RejectReason::BadCommand(detail) => {
                notice(state, Notice::ScanInvalid { raw, detail }, fx)
            }
        },
    }
}

fn scanned(state: &mut AppState, scan: Scan, fx: &mut Vec<Effect>) {
    match &scan.kind {
        ScanKind::Command(Command::Handover(code)) => {
            super::shipping::handover_carrier(state, code, fx)
        }
        ScanKind::Command(Command::Action(word)) => match Action::from_barcode(word) {
            Some(a) => action(state, a, fx),
            None => notice(state, Notice::UnknownCommand { word: word.clone() }, fx),
        },
        ScanKind::Command(Command::Packer(id)) => set_packer(state, id, fx),
        ScanKind::Command(Command::Event(name)) => super::rules::custom_event(state, name, fx),
        _ => {
            let awaiting = state
                .pack
                .as_ref()
                .is_some_and(|p| p.session.awaiting_serial.is_some());
            if awaiting {
                fx.push(Effect::Lookup(Lookup::Serial(scan.code)));
            } else {
                fx.push(Effect::Lookup(Lookup::Code(scan)));
            }
        }
    }
}

fn looked(state: &mut AppState, l: Looked, fx: &mut Vec<Effect>) {
    match l {
        Looked::Code {
            scan,
            order_key,
            known,
        } => {
            let open_key = state.pack.as_ref().map(|p| p.order.key());
            match (order_key, open_key) {
                (Some(k), open) if open.as_deref() != Some(k.as_str()) => {
                    fx.push(Effect::LoadOrder {
                        key: k,
                        via: Some(scan.code),
                    });
                }
                (Some(_), _) => {
                    // The open order's own slip scanned again: nothing to do.
                }
                (None, Some(_)) => {
                    let (gtin, serial) = match &scan.kind {
                        ScanKind::Gtin(g) => (Some(g.clone()), None),
                        ScanKind::Gs1(g) => (g.gtin.clone(), g.serial.clone()),
                        _ => (None, None),
                    };
                    let code = scan.code.clone();
                    let ev = FlowEvent::Scan {
                        code: code.clone(),
                        gtin,
                        serial,
                        known,
                    };
                    apply_flow(state, ev, Some(code), fx);
                }
                (None, None) => notice(state, Notice::OrderNotFound { code: scan.code }, fx),
            }
        }
        Looked::Serial { serial, owner } => {
            let here = state.pack.as_ref().map(|p| p.order.key());
            let used_elsewhere = owner.is_some() && owner != here;
            let ev = FlowEvent::Serial {
                serial: serial.clone(),
                used_elsewhere,
            };
            apply_flow(state, ev, Some(serial), fx);
        }
    }
}

fn opened(
    state: &mut AppState,
    order: Order,
    session: Option<PackSession>,
    shipments: Vec<Shipment>,
    via: Option<String>,
    fx: &mut Vec<Effect>,
) {
    let key = order.key();
    let c = ctx(state);
    let mut banner = None;
    let mut claimed = true;
    let session = match session {
        Some(s)
            if s.order_revision != order.revision
                && !s.is_finished()
                && !order.not_queued()
                && !order.cancelled =>
        {
            // Changed upstream: the old progress no longer fits; start over (the ledger
            // keeps what was scanned).
            banner = Some(Notice::ChangedUpstreamReset);
            claim(state, &order, &c, fx)
        }
        Some(s) => s,
        None if order.cancelled || order.not_queued() => {
            // Not claimed: nothing is written for an order that cannot be packed.
            claimed = false;
            let why = if order.cancelled {
                flow::NotPackable::Cancelled
            } else {
                flow::NotPackable::NotQueued {
                    status: order.shop_status.clone(),
                }
            };
            banner = Some(Notice::Rejected {
                reject: Reject::NotPackable(why),
                name: None,
            });
            PackSession::new(&order, &c).0
        }
        None => claim(state, &order, &c, fx),
    };
    if banner.is_none() {
        if let Some(why) = session.not_packable(&order, &state.settings.station) {
            banner = Some(Notice::Rejected {
                reject: Reject::NotPackable(why),
                name: None,
            });
        } else if !session.note_acked {
            banner = Some(Notice::NoteMustBeAcknowledged);
        }
    }
    if let Some(b) = super::held::reloaded(state, &order, &session, via.as_deref()) {
        banner = Some(b);
    }
    fx.push(Effect::Persist(Persist::OpenOrder(Some(key.clone()))));
    fx.push(audit(state, Some(key), "opened", via.unwrap_or_default()));
    state.pack = Some(PackView {
        selected_line: 0,
        order,
        session,
        shipments,
        last_scans: VecDeque::new(),
        photos: 0,
        claimed,
    });
    state.screen = Screen::Pack;
    state.prompt = None;
    state.banner = None;
    if let Some(b) = banner {
        notice(state, b, fx);
    }
}

/// A new session for `order`, claimed by this station: written with its queue row.
fn claim(state: &mut AppState, order: &Order, c: &FlowCtx, fx: &mut Vec<Effect>) -> PackSession {
    let (s, claim) = PackSession::new(order, c);
    let row = summary_for(state, order, OrderState::InProgress);
    upsert_row(state, row.clone());
    fx.push(Effect::Persist(Persist::Step {
        session: Box::new(s.clone()),
        ledger: vec![claim],
        summary: Box::new(row),
        previous: None,
    }));
    s
}

/// Runs one flow event on the open order, persisting its ledger before anything shows.
fn apply_flow(state: &mut AppState, ev: FlowEvent, code: Option<String>, fx: &mut Vec<Effect>) {
    let c = ctx(state);
    let Some(pv) = state.pack.as_mut() else {
        notice(state, Notice::NoOrderOpen, fx);
        return;
    };
    let previous = pv.session.clone();
    let step = flow::handle(&mut pv.session, &pv.order, &c, ev);
    if let Some(code) = code {
        let ok = !matches!(step.outcome, Outcome::Rejected(_) | Outcome::Refused(_));
        pv.last_scans.push_front(ScanLog { code, ok });
        pv.last_scans.truncate(LAST_SCANS);
    }
    let order = pv.order.clone();
    let session = pv.session.clone();
    let line_name = |i: usize| {
        order
            .lines
            .get(i)
            .map(|l| l.name.clone())
            .unwrap_or_default()
    };
    let claimed = state.pack.as_ref().is_some_and(|p| p.claimed);
    if !step.ledger.is_empty() && claimed {
        let st = super::held::row_state(&order, &session).unwrap_or(row_state(&session));
        let row = summary_for(state, &order, st);
        upsert_row(state, row.clone());
        fx.push(Effect::Persist(Persist::Step {
            session: Box::new(session.clone()),
            ledger: step.ledger,
            summary: Box::new(row),
            previous: Some(Box::new(previous)),
        }));
    }
    let n = match step.outcome {
        Outcome::Counted {
            line,
            scanned,
            quantity,
            picked,
            ..
        } => {
            if let Some(pv) = state.pack.as_mut() {
                pv.selected_line = line;
            }
            if picked {
                fx.push(super::rules::picked(&order.key(), session.next_seq));
                Notice::Picked
            } else {
                Notice::Accepted {
                    name: line_name(line),
                    scanned: scanned.to_string(),
                    quantity: quantity.to_string(),
                }
            }
        }
        Outcome::NeedSerial { line } => Notice::NeedSerial {
            name: line_name(line),
        },
        Outcome::Rejected(reject) => {
            let name = match &reject {
                Reject::LineComplete { line } => Some(line_name(*line)),
                _ => None,
            };
            Notice::Rejected { reject, name }
        }
        Outcome::Refused(flow::Refusal::NoteNotAcknowledged) => Notice::NoteMustBeAcknowledged,
        Outcome::Refused(r) => Notice::Refused(r),
        Outcome::Undone { line, .. } => Notice::Undone {
            name: line_name(line),
        },
        Outcome::SerialCancelled => Notice::SerialCancelled,
        Outcome::NoteAcknowledged => Notice::NoteAcknowledged,
        Outcome::QuantitySet(q) => Notice::QuantitySet(q),
        Outcome::NextParcel { no } => Notice::NextParcel(no),
        Outcome::Packed => {
            fx.push(audit(state, Some(order.key()), "packed", String::new()));
            fx.push(super::rules::packed(&order.key(), session.next_seq));
            fx.push(Effect::ShopStatus {
                order: Box::new(order.clone()),
                point: crate::effects::StatusPoint::Packed,
            });
            super::print::packed(state, &order, fx);
            if state.settings.ship_on_pack {
                ship(state, fx);
            }
            Notice::Packed
        }
        Outcome::ShortPacked => {
            let reason = session.short_reason.clone().unwrap_or_default();
            fx.push(audit(state, Some(order.key()), "short_packed", reason));
            Notice::ShortPacked
        }
    };
    notice(state, n, fx);
}

fn ship(state: &mut AppState, fx: &mut Vec<Effect>) {
    let Some(pv) = state.pack.as_ref() else {
        notice(state, Notice::NoOrderOpen, fx);
        return;
    };
    if pv.session.state != SessionState::Packed {
        notice(
            state,
            Notice::Refused(flow::Refusal::NotAllScanned {
                missing: pv.session.missing(&pv.order),
            }),
            fx,
        );
        return;
    }
    super::shipping::ship_packed(state, fx);
}

fn shipment(state: &mut AppState, s: Shipment, fx: &mut Vec<Effect>) {
    let mut number = s.order_key.clone();
    if let Some(pv) = state.pack.as_mut().filter(|p| p.order.key() == s.order_key) {
        number = pv.order.number.clone();
        pv.put_shipment(&s);
        let n = match s.state {
            ShipmentState::Ready => Some(Notice::LabelReady {
                number: number.clone(),
                path: s.label_path.clone().unwrap_or_default(),
            }),
            ShipmentState::Failed => Some(Notice::LabelFailed {
                number: number.clone(),
                error: s.error.clone().unwrap_or_default(),
            }),
            _ => None,
        };
        // Only while the packer still looks at this order; otherwise the queue shows it.
        if let Some(n) = n {
            notice(state, n, fx);
        }
    }
    let new_state = match s.state {
        ShipmentState::Failed => Some(OrderState::Exception),
        ShipmentState::Ready if s.parcel_no == s.parcel_count => Some(OrderState::Ready),
        ShipmentState::Dispatched => Some(OrderState::Dispatched),
        ShipmentState::Dropped => Some(OrderState::Packed),
        _ => None,
    };
    if let Some(st) = new_state
        && let Some(mut row) = state.queue.row(&s.order_key)
    {
        row.state = st;
        upsert_row(state, row.clone());
        fx.push(Effect::Persist(Persist::Summary(Box::new(row))));
        super::print::prune_marks(state, fx);
    }
    let what = match s.state {
        ShipmentState::Failed => "shipment_failed",
        ShipmentState::Dropped => "shipment_dropped",
        ShipmentState::Dispatched => "dispatched",
        _ => "shipment_ready",
    };
    let detail = format!(
        "{number} parcel {}/{} {}",
        s.parcel_no,
        s.parcel_count,
        s.tracking_number
            .clone()
            .or(s.error.clone())
            .unwrap_or_default()
    );
    fx.push(audit(state, Some(s.order_key.clone()), what, detail));
}

fn set_packer(state: &mut AppState, id: &str, fx: &mut Vec<Effect>) {
    let id = crate::domain::text::sanitize(id).trim().to_string();
    if id.is_empty() {
        return;
    }
    state.packer = Some(id.clone());
    fx.push(Effect::Persist(Persist::Packer(Some(id.clone()))));
    fx.push(audit(state, None, "packer_set", id.clone()));
    notice(state, Notice::PackerSet(id), fx);
}

fn open_prompt(state: &mut AppState, kind: PromptKind, input: String) {
    state.prompt = Some(Prompt { kind, input });
}

fn prefilled_weight(pv: &PackView, default_kg: f64) -> Option<f64> {
    pv.session
        .prefilled_weights(&pv.order, default_kg)
        .last()
        .copied()
}

fn action(state: &mut AppState, a: Action, fx: &mut Vec<Effect>) {
    if super::shipping::keep_confirm(state, a, fx) || super::shipping::handover_keys(state, a, fx) {
        return;
    }
    let pack_open = state.pack.is_some() && state.screen == Screen::Pack;
    if super::rules::overlay_action(state, a) {
        return;
    }
    // The outbox screen takes the list keys, retry and cancel; quit and help still work.
    if let Some(view) = state.outbox_view.as_mut()
        && !matches!(a, Action::Quit | Action::Help)
    {
        let selected = view.lines.get(view.selected).map(|l| l.id);
        match a {
            Action::Outbox | Action::Back => state.outbox_view = None,
            Action::Up => view.selected = view.selected.saturating_sub(1),
            Action::Down => {
                view.selected = (view.selected + 1).min(view.lines.len().saturating_sub(1))
            }
            Action::OutboxRetry => fx.extend(selected.map(Effect::OutboxRetry)),
            Action::OutboxCancel => fx.extend(selected.map(Effect::OutboxCancel)),
            _ => {}
        }
        return;
    }
    if super::detail::action(state, a, fx) {
        return;
    }
    if super::print::action(state, a, fx) {
        return;
    }
    match a {
        Action::Quit => {
            state.should_quit = true;
            fx.push(Effect::Quit);
        }
        Action::Help => state.help = !state.help,
        Action::Back | Action::Abort => {
            if state.help {
                state.help = false;
            } else if state.prompt.is_some() {
                state.prompt = None;
            } else if let Some(pv) = state.pack.take().filter(|_| state.screen == Screen::Pack) {
                state.screen = Screen::Queue;
                fx.push(Effect::Persist(Persist::OpenOrder(None)));
                super::held::left(state, &pv, fx);
                if !pv.session.is_finished() && pv.session.next_seq > 0 {
                    fx.push(audit(state, Some(pv.order.key()), "aborted", String::new()));
                    notice(
                        state,
                        Notice::Aborted {
                            number: pv.order.number,
                        },
                        fx,
                    );
                } else {
                    state.banner = None;
                }
            } else if !state.queue.filter().is_empty() {
                state.queue.set_filter("");
            }
        }
        Action::SetPacker => open_prompt(state, PromptKind::Packer, String::new()),
        Action::Outbox => {
            state.outbox_view = Some(OutboxView::default());
            fx.push(Effect::OutboxList);
        }
        Action::OutboxRetry | Action::OutboxCancel => {}
        Action::Handover => super::shipping::open_handover(state, fx),
        Action::Detail
        | Action::DetailStatus
        | Action::DetailNotify
        | Action::DetailFind
        | Action::DetailVerify
        | Action::DetailOpen => {}
        Action::RulesLog => super::rules::toggle_log(state, fx),
        Action::Up
        | Action::Down
        | Action::PageUp
        | Action::PageDown
        | Action::Top
        | Action::Bottom => {
            let delta = match a {
                Action::Up => -1,
                Action::Down => 1,
                Action::PageUp => -PAGE,
                Action::PageDown => PAGE,
                Action::Top => isize::MIN / 2,
                _ => isize::MAX / 2,
            };
            match state.pack.as_mut().filter(|_| pack_open) {
                Some(pv) => {
                    let max = pv.order.lines.len().saturating_sub(1) as isize;
                    pv.selected_line = (pv.selected_line as isize)
                        .saturating_add(delta)
                        .clamp(0, max) as usize;
                }
                None => state.queue.move_by(delta),
            }
        }
        Action::NextTab if !pack_open => state.queue.next_tab(),
        Action::PrevTab if !pack_open => state.queue.prev_tab(),
        Action::Filter if !pack_open => {
            let f = state.queue.filter().to_string();
            open_prompt(state, PromptKind::Filter, f);
        }
        Action::Open if !pack_open => {
            if let Some(row) = state.queue.selected_row() {
                fx.push(Effect::LoadOrder {
                    key: row.key.to_string(),
                    via: None,
                });
            }
        }
        Action::NextTab | Action::PrevTab | Action::Filter | Action::Open => {}
        _ if !pack_open => notice(state, Notice::NoOrderOpen, fx),
        Action::Pack
            if state.settings.photo_required
                && state
                    .pack
                    .as_ref()
                    .is_some_and(|p| p.photos == 0 && p.session.state == SessionState::Picked) =>
        {
            notice(state, Notice::PhotoRequired, fx);
        }
        Action::Photo => {
            if let Some(pv) = state.pack.as_ref() {
                fx.push(Effect::TakePhoto {
                    order_key: pv.order.key(),
                    parcel: pv.session.current_parcel(),
                });
            }
        }
        Action::Pack => {
            let picked = state
                .pack
                .as_ref()
                .is_some_and(|p| p.session.state == SessionState::Picked);
            if picked && state.settings.require_weight {
                let w = state
                    .pack
                    .as_ref()
                    .and_then(|p| prefilled_weight(p, state.settings.default_weight_kg))
                    .map(|w| format!("{w:.2}"))
                    .unwrap_or_default();
                open_prompt(state, PromptKind::Weight, w);
            } else {
                let w = state
                    .pack
                    .as_ref()
                    .and_then(|p| prefilled_weight(p, state.settings.default_weight_kg));
                apply_flow(state, FlowEvent::Pack { weight_kg: w }, None, fx);
            }
        }
        Action::Weight => {
            let w = state
                .pack
                .as_ref()
                .and_then(|p| prefilled_weight(p, state.settings.default_weight_kg))
                .map(|w| format!("{w:.2}"))
                .unwrap_or_default();
            open_prompt(state, PromptKind::Weight, w);
        }
        Action::Ship => ship(state, fx),
        Action::Drop => super::shipping::drop(state, fx),
        Action::NextParcel => {
            let w = state
                .pack
                .as_ref()
                .and_then(|p| prefilled_weight(p, state.settings.default_weight_kg));
            apply_flow(state, FlowEvent::NextParcel { weight_kg: w }, None, fx);
        }
        Action::Undo => apply_flow(state, FlowEvent::Undo, None, fx),
        Action::Short => open_prompt(state, PromptKind::ShortReason, String::new()),
        Action::Quantity => open_prompt(state, PromptKind::Quantity, String::new()),
        Action::Manual => {
            if state.settings.allow_manual_confirm {
                let line = state.pack.as_ref().map_or(0, |p| p.selected_line);
                apply_flow(state, FlowEvent::Manual { line }, None, fx);
            } else {
                let line = state.pack.as_ref().map_or(0, |p| p.selected_line);
                notice(
                    state,
                    Notice::Refused(flow::Refusal::ManualNotAllowed { line }),
                    fx,
                );
            }
        }
        Action::AckNote => apply_flow(state, FlowEvent::AcknowledgeNote, None, fx),
        Action::Reprint => {
            if let Some(pv) = state.pack.as_ref() {
                let ready: Vec<Shipment> = pv
                    .shipments
                    .iter()
                    .filter(|s| s.state == ShipmentState::Ready)
                    .cloned()
                    .collect();
                if ready.is_empty() {
                    let number = pv.order.number.clone();
                    notice(
                        state,
                        Notice::LabelFailed {
                            number,
                            error: "no label yet".into(),
                        },
                        fx,
                    );
                } else {
                    fx.push(Effect::Reprint {
                        order: Box::new(pv.order.clone()),
                        shipments: ready,
                    });
                    state.jobs += 1;
                }
            }
        }
        Action::ClearScan => state.assembler.clear(),
        // Handled by `super::print::action` above.
        Action::PrintQueue
        | Action::NewSheet
        | Action::Slip
        | Action::Mark
        | Action::MarkAll
        | Action::MarkNone
        | Action::BulkShip
        | Action::BulkLabels => {}
        Action::Button1
        | Action::Button2
        | Action::Button3
        | Action::Button4
        | Action::Button5
        | Action::Button6 => super::rules::button(state, a, fx),
    }
}

fn edit(state: &mut AppState, e: Edit, fx: &mut Vec<Effect>) {
    let Some(prompt) = state.prompt.as_mut() else {
        return;
    };
    match e {
        Edit::Char(c) => {
            if !c.is_control() {
                prompt.input.push(c);
            }
        }
        Edit::Backspace => {
            prompt.input.pop();
        }
        Edit::Cancel => {
            if prompt.kind == PromptKind::Filter {
                state.queue.set_filter("");
            }
            state.prompt = None;
            return;
        }
        Edit::Submit => {
            let Some(Prompt { kind, input }) = state.prompt.take() else {
                return;
            };
            submit(state, kind, input, fx);
            return;
        }
    }
    if prompt.kind == PromptKind::Filter {
        let f = prompt.input.clone();
        state.queue.set_filter(&f);
    }
}

fn submit(state: &mut AppState, kind: PromptKind, input: String, fx: &mut Vec<Effect>) {
    let text = input.trim();
    // A command barcode scanned into a prompt runs as a command (scanner-only benches).
    if text.len() > 3 && text[..3].eq_ignore_ascii_case("PD:") && kind != PromptKind::Filter {
        for out in state.assembler.paste(text, state.now_ms) {
            assembled(state, out, fx);
        }
        return;
    }
    match kind {
        PromptKind::Filter => state.queue.set_filter(text),
        PromptKind::Quantity => match text.parse::<u32>() {
            Ok(n) => apply_flow(state, FlowEvent::Quantity(n), None, fx),
            Err(_) => notice(
                state,
                Notice::BadNumber {
                    input: text.to_string(),
                },
                fx,
            ),
        },
        PromptKind::Weight => match text.replace(',', ".").parse::<f64>() {
            Ok(w) if w.is_finite() && w > 0.0 && w < 1000.0 => {
                apply_flow(state, FlowEvent::Pack { weight_kg: Some(w) }, None, fx)
            }
            _ => notice(
                state,
                Notice::BadNumber {
                    input: text.to_string(),
                },
                fx,
            ),
        },
        PromptKind::ShortReason => {
            let reason = crate::domain::text::sanitize(text);
            apply_flow(state, FlowEvent::Short { reason }, None, fx)
        }
        PromptKind::Packer => set_packer(state, text, fx),
        PromptKind::Detail(p) => super::detail::submit(state, p, text, fx),
    }
}

#[cfg(test)]
mod tests;
