//! The order detail overlay (`app.detail`, Ctrl+G): what a packer or supervisor needs to
//! know about the selected (queue) or open (pack screen) order — status, payment, total,
//! tracking, items, customer, documents — and the lookups and changes of issue 3: change
//! the shop status (with or without notifying the customer, through the outbox), find an
//! order by number / e-mail / phone within a period (in the background, through
//! `shop::lookup`), verify that an e-mail belongs to the order; the order's documents
//! (invoice from the shop, packing slip, labels, hand-over protocol) as a list to open
//! (`detail.open`: printed or shown in the background, `effects::documents`); the shop
//! status from a picker of the shop's statuses (typed when the list is unknown).
//! Scanning another order's barcode closes the overlay.
//!
//! Pure: the order comes from the store and the status list from the shop through
//! [`DetailEffect`]s, answered with [`DetailMsg`]s.

use super::{Action, AppState, Effect, Notice, Prompt, PromptKind, Screen};
use crate::docs::DocRef;
use crate::domain::{Order, Shipment};
use crate::shop::{OrderQuery, ShopStatus};

/// What a detail prompt asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetailPrompt {
    /// The new shop status (id or name from the shop's list).
    Status,
    /// An order number, an e-mail, or a phone with an optional period.
    Find,
    /// An e-mail to check against the order.
    Verify,
}

/// The last thing the overlay has to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DetailNote {
    Searching,
    /// The search found no order.
    NothingFound,
    /// The e-mail does (not) belong to the order.
    Verified {
        email: String,
        belongs: bool,
    },
    /// The status change is in the outbox (it reaches the shop in the background).
    StatusQueued {
        status: String,
        notify: bool,
    },
    UnknownStatus {
        input: String,
    },
    BadQuery {
        reason: String,
    },
    Failed {
        error: String,
    },
    /// How opening a document ended (also the banner, seen once the overlay is closed).
    Doc(DocNote),
}

/// The overlay's state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DetailView {
    pub key: String,
    /// None until the store answered (or when the order is gone).
    pub order: Option<Order>,
    pub shipments: Vec<Shipment>,
    /// The shop's statuses (empty until known, or without a shop).
    pub statuses: Vec<ShopStatus>,
    /// Whether a status change e-mails the customer (`detail.notify` toggles it).
    pub notify: bool,
    /// Lines of the last search (`detail.find`).
    pub found: Vec<String>,
    pub note: Option<DetailNote>,
    /// The order's documents (invoice, slip, labels, hand-over protocol), selected with
    /// ↑/↓ and opened with `detail.open`.
    pub docs: Vec<DocRef>,
    pub doc_selected: usize,
    /// The status picker, while open: the highlighted entry of `statuses`.
    pub picker: Option<usize>,
}

/// How opening a document ended (the banner).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocNote {
    pub number: String,
    pub doc: DocRef,
    pub outcome: DocOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocOutcome {
    /// Queued for the printer (its description).
    Printed {
        printer: String,
    },
    /// The configured viewer runs on the saved file.
    Opened {
        program: String,
    },
    /// The shop offers no document of its own (BaseLinker).
    NotOffered {
        shop: String,
    },
    Failed {
        error: String,
    },
}

impl DocNote {
    pub fn tone(&self) -> super::Tone {
        match self.outcome {
            DocOutcome::Printed { .. } | DocOutcome::Opened { .. } => super::Tone::Ok,
            DocOutcome::NotOffered { .. } => super::Tone::Warn,
            DocOutcome::Failed { .. } => super::Tone::Error,
        }
    }
}

/// Work the overlay asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum DetailEffect {
    /// The order and its shipments from the store (at once), and the shop's status list
    /// (in the background, read once per run).
    Load { key: String },
    /// Queue a shop status change in the outbox.
    SetStatus {
        order: Box<Order>,
        status: String,
        notify: bool,
    },
    /// Search the shop in the background.
    Find(OrderQuery),
    /// The order's documents, from what this station keeps (store, label store, cached
    /// shop PDF); never asks the shop.
    Docs { key: String },
    /// Print or show one document of the order, in the background.
    OpenDoc { order: Box<Order>, doc: DocRef },
}

/// Answers to [`DetailEffect`]s.
#[derive(Debug, Clone, PartialEq)]
pub enum DetailMsg {
    Loaded {
        key: String,
        order: Option<Box<Order>>,
        shipments: Vec<Shipment>,
    },
    Statuses(Result<Vec<ShopStatus>, String>),
    StatusQueued {
        key: String,
        status: String,
        notify: bool,
        result: Result<(), String>,
    },
    /// One line per order found (already sanitised), or why the search failed.
    Found(Result<Vec<String>, String>),
    /// The documents of order `key`.
    Docs {
        key: String,
        docs: Vec<DocRef>,
    },
    /// A document was printed / shown, or why not.
    DocDone(DocNote),
}

/// Handles `a` when it belongs to the overlay; returns whether it did. Opens the overlay
/// on `app.detail`; while it is open it takes every action but quit and help.
pub fn action(state: &mut AppState, a: Action, fx: &mut Vec<Effect>) -> bool {
    if state.detail.is_none() {
        if a == Action::Detail {
            open(state, fx);
            return true;
        }
        return matches!(
            a,
            Action::DetailStatus
                | Action::DetailNotify
                | Action::DetailFind
                | Action::DetailVerify
                | Action::DetailOpen
        );
    }
    if matches!(a, Action::Quit | Action::Help) || state.help || state.prompt.is_some() {
        return false;
    }
    let Some(view) = state.detail.as_mut() else {
        return false;
    };
    if view.picker.is_some() {
        picker_action(state, a, fx);
        return true;
    }
    match a {
        Action::Detail | Action::Back => state.detail = None,
        Action::DetailNotify => view.notify = !view.notify,
        // The shop's statuses to pick from; typed when the list is not known.
        Action::DetailStatus if view.order.is_some() && !view.statuses.is_empty() => {
            let current = view.order.as_ref().map(|o| o.shop_status.as_str());
            view.picker = Some(
                view.statuses
                    .iter()
                    .position(|s| Some(s.id.as_str()) == current)
                    .unwrap_or(0),
            );
        }
        Action::DetailStatus if view.order.is_some() => {
            prompt(state, DetailPrompt::Status);
        }
        Action::Up => view.doc_selected = view.doc_selected.saturating_sub(1),
        Action::Down => {
            view.doc_selected = (view.doc_selected + 1).min(view.docs.len().saturating_sub(1))
        }
        Action::DetailOpen => open_doc(state, fx),
        Action::DetailVerify if view.order.is_some() => {
            prompt(state, DetailPrompt::Verify);
        }
        Action::DetailFind => prompt(state, DetailPrompt::Find),
        // Reprint from the detail: the stored labels (F10, `PD:REPRINT`) or the packing
        // slip (`PD:SLIP`) of the order shown, without opening it at the bench.
        Action::Reprint | Action::BulkLabels if view.order.is_some() => {
            let ready: Vec<Shipment> = view
                .shipments
                .iter()
                .filter(|s| s.state == crate::domain::ShipmentState::Ready)
                .cloned()
                .collect();
            match (&view.order, ready.is_empty()) {
                (Some(o), false) => fx.push(Effect::Reprint {
                    order: Box::new(o.clone()),
                    shipments: ready,
                }),
                (Some(o), true) => {
                    state.banner = Some(Notice::LabelFailed {
                        number: o.number.clone(),
                        error: "no ready shipment: nothing to reprint".into(),
                    })
                }
                (None, _) => {}
            }
        }
        Action::Slip if view.order.is_some() => {
            if let Some(o) = &view.order {
                fx.push(Effect::Print(crate::app::print::PrintFx::Slip {
                    order: Box::new(o.clone()),
                    station: state.settings.station.clone(),
                    auto: false,
                }));
            }
        }
        _ => {}
    }
    true
}

/// The status picker's keys: ↑/↓ move, the status key (or open / enter) sets the
/// highlighted status through the outbox, back closes the picker only.
fn picker_action(state: &mut AppState, a: Action, fx: &mut Vec<Effect>) {
    let Some(view) = state.detail.as_mut() else {
        return;
    };
    let Some(at) = view.picker else {
        return;
    };
    let last = view.statuses.len().saturating_sub(1);
    match a {
        Action::Up => view.picker = Some(at.saturating_sub(1)),
        Action::Down => view.picker = Some((at + 1).min(last)),
        Action::Top => view.picker = Some(0),
        Action::Bottom => view.picker = Some(last),
        Action::Back | Action::Detail => view.picker = None,
        Action::DetailNotify => view.notify = !view.notify,
        Action::DetailStatus | Action::DetailOpen | Action::Open => {
            view.picker = None;
            if let (Some(order), Some(status)) = (view.order.as_ref(), view.statuses.get(at)) {
                fx.push(Effect::Detail(DetailEffect::SetStatus {
                    order: Box::new(order.clone()),
                    status: status.id.clone(),
                    notify: view.notify,
                }));
            }
        }
        _ => {}
    }
}

/// Opens the selected document in the background (printed, or shown by the configured
/// viewer); a shop without documents says so at once.
fn open_doc(state: &mut AppState, fx: &mut Vec<Effect>) {
    let Some(view) = state.detail.as_ref() else {
        return;
    };
    let (Some(order), Some(doc)) = (view.order.as_ref(), view.docs.get(view.doc_selected)) else {
        return;
    };
    match doc {
        DocRef::NoShopDoc { shop } => {
            let note = DocNote {
                number: order.number.clone(),
                doc: doc.clone(),
                outcome: DocOutcome::NotOffered { shop: shop.clone() },
            };
            state.banner = Some(Notice::Doc(note.clone()));
            if let Some(view) = state.detail.as_mut() {
                view.note = Some(DetailNote::Doc(note));
            }
        }
        _ => fx.push(Effect::Detail(DetailEffect::OpenDoc {
            order: Box::new(order.clone()),
            doc: doc.clone(),
        })),
    }
}

/// An order was loaded for the bench. Scanning another order's barcode while the overlay
/// shows a different order closes the overlay, so the packer sees the order just opened.
pub fn order_loaded(state: &mut AppState, key: &str, scanned: bool) {
    if scanned && state.detail.as_ref().is_some_and(|d| d.key != key) {
        state.detail = None;
    }
}

fn prompt(state: &mut AppState, kind: DetailPrompt) {
    state.prompt = Some(Prompt {
        kind: PromptKind::Detail(kind),
        input: String::new(),
    });
}

fn open(state: &mut AppState, fx: &mut Vec<Effect>) {
    let from_pack = state.pack.as_ref().filter(|_| state.screen == Screen::Pack);
    let (key, order, shipments) = match from_pack {
        Some(pv) => (pv.order.key(), Some(pv.order.clone()), pv.shipments.clone()),
        None => match state.queue.selected_row() {
            Some(row) => (row.key.to_string(), None, Vec::new()),
            None => {
                state.banner = Some(Notice::NoOrderOpen);
                return;
            }
        },
    };
    state.detail = Some(DetailView {
        key: key.clone(),
        order,
        shipments,
        ..DetailView::default()
    });
    fx.push(Effect::Detail(DetailEffect::Load { key: key.clone() }));
    fx.push(Effect::Detail(DetailEffect::Docs { key }));
}

/// A detail prompt was submitted with `text` (trimmed).
pub fn submit(state: &mut AppState, kind: DetailPrompt, text: &str, fx: &mut Vec<Effect>) {
    let now = state.now;
    let Some(view) = state.detail.as_mut() else {
        return;
    };
    match kind {
        DetailPrompt::Status => {
            let Some(order) = view.order.as_ref() else {
                return;
            };
            let status = if view.statuses.is_empty() {
                // The list is not known (shop unreachable so far): the shop checks it.
                (!text.is_empty()).then(|| text.to_string())
            } else {
                crate::doctor::find_status(&view.statuses, text).map(|s| s.id.clone())
            };
            match status {
                Some(status) => fx.push(Effect::Detail(DetailEffect::SetStatus {
                    order: Box::new(order.clone()),
                    status,
                    notify: view.notify,
                })),
                None => {
                    view.note = Some(DetailNote::UnknownStatus {
                        input: crate::domain::text::sanitize(text),
                    })
                }
            }
        }
        DetailPrompt::Find => match crate::shop::lookup::parse_query(text, now) {
            Ok(q) => {
                view.found.clear();
                view.note = Some(DetailNote::Searching);
                fx.push(Effect::Detail(DetailEffect::Find(q)));
            }
            Err(reason) => view.note = Some(DetailNote::BadQuery { reason }),
        },
        DetailPrompt::Verify => {
            let Some(order) = view.order.as_ref() else {
                return;
            };
            view.note = Some(DetailNote::Verified {
                email: crate::domain::text::sanitize(text),
                belongs: email_belongs(order, text),
            });
        }
    }
}

/// Whether `email` is the order's customer e-mail (trimmed, without case).
pub fn email_belongs(order: &Order, email: &str) -> bool {
    let (a, b) = (email.trim(), order.customer.email.trim());
    !a.is_empty() && a.to_lowercase() == b.to_lowercase()
}

/// An answer from the runner.
pub fn on_msg(state: &mut AppState, m: DetailMsg) {
    // The banner shows even when the overlay was closed meanwhile.
    if let DetailMsg::DocDone(note) = &m
        && state.detail.is_none()
    {
        state.banner = Some(Notice::Doc(note.clone()));
        return;
    }
    let Some(view) = state.detail.as_mut() else {
        return;
    };
    match m {
        DetailMsg::Loaded {
            key,
            order,
            shipments,
        } if key == view.key => {
            match order {
                Some(o) => view.order = Some(*o),
                None if view.order.is_none() => {
                    view.note = Some(DetailNote::Failed {
                        error: format!("{key}: not in the store"),
                    })
                }
                None => {}
            }
            if !shipments.is_empty() || view.shipments.is_empty() {
                view.shipments = shipments;
            }
        }
        DetailMsg::Loaded { .. } => {}
        DetailMsg::Statuses(Ok(list)) => view.statuses = list,
        DetailMsg::Statuses(Err(error)) => view.note = Some(DetailNote::Failed { error }),
        DetailMsg::StatusQueued {
            key,
            status,
            notify,
            result,
        } if key == view.key => {
            view.note = Some(match result {
                Ok(()) => DetailNote::StatusQueued { status, notify },
                Err(error) => DetailNote::Failed { error },
            })
        }
        DetailMsg::StatusQueued { .. } => {}
        DetailMsg::Found(Ok(lines)) => {
            view.note = lines.is_empty().then_some(DetailNote::NothingFound);
            view.found = lines;
        }
        DetailMsg::Found(Err(error)) => view.note = Some(DetailNote::Failed { error }),
        DetailMsg::Docs { key, docs } if key == view.key => {
            view.doc_selected = view.doc_selected.min(docs.len().saturating_sub(1));
            view.docs = docs;
        }
        DetailMsg::Docs { .. } => {}
        DetailMsg::DocDone(note) => {
            // The shop's PDF is kept now: the list says so.
            if note.tone() == super::Tone::Ok
                && matches!(note.doc, DocRef::ShopPdf { .. })
                && let Some(d) = view
                    .docs
                    .iter_mut()
                    .find(|d| matches!(d, DocRef::ShopPdf { .. }))
            {
                *d = DocRef::ShopPdf { cached: true };
            }
            view.note = Some(DetailNote::Doc(note.clone()));
            state.banner = Some(Notice::Doc(note));
        }
    }
}

#[cfg(test)]
mod tests;
