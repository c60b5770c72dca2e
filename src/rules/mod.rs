//! Automatic actions: events, conditions and ordered actions, evaluated by a pure engine.
//!
//! A rules file (`rules.example.toml` documents the format) is parsed and validated by
//! [`RuleSet::parse`]. When something happens at the bench the app builds an [`Event`]
//! (with a stable occurrence id) and the [`Facts`] of the order, and [`evaluate`] returns
//! the rules that match, in file order, as [`Planned`] work. The engine never executes
//! anything: the effect runner walks each plan with a [`Run`], records every step in the
//! [`RuleLog`] (which also makes sure a rule never runs twice for one occurrence, across
//! restarts) and feeds follow-up events (`fire`, `on_failure`) back in.

mod cli;
mod condition;
mod event;
mod file;
mod log;
mod template;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveTime;
use serde::{Deserialize, Serialize};

use crate::domain::{Money, Order, Qty, Shipment};

pub use cli::{RULES_FILE_NAME, RulesCmd, run_cli};
pub use condition::{Condition, Range};
pub use event::{Event, EventKind};
pub use file::RulesError;
pub use log::{ActionRecord, EVENTS_TREE, ExecutionRecord, RuleLog, RuleLogError, StoredEvent};
pub use template::{Placeholder, Template, TemplateError};

/// A document a `print` action prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Document {
    /// The carrier label(s) of the order's shipment.
    Label,
    /// The packing slip.
    Slip,
    /// The handover protocol of the last handover.
    Handover,
}

/// One step of a rule. Data only: the effect runner executes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// Set the shop status of the order; `notify` asks the shop to e-mail the customer.
    SetStatus {
        /// The shop status (name or id as the shop knows it).
        status: String,
        /// Notify the customer (default false).
        #[serde(default)]
        notify: bool,
    },
    /// Create the shipment (all parcels) with the order's carrier.
    CreateShipment,
    /// Drop (cancel) a ready shipment, e.g. for editing.
    DropShipment,
    /// Hand the order's ready parcels over to the carrier (ORDER).
    Handover,
    /// Print a document, on the named printer or the station's default for that document.
    Print {
        /// What to print.
        document: Document,
        /// A printer name from the station config; `None` uses the default.
        #[serde(default)]
        printer: Option<String>,
    },
    /// Take a photo of the parcel with the station camera.
    TakePhoto,
    /// Add a note to the order in the shop.
    AddNote {
        /// The text; may use placeholders.
        text: Template,
        /// Internal (staff-only) note; default true. `false` is refused when the rules
        /// are checked: neither shop API has a note the customer sees.
        #[serde(default = "yes")]
        internal: bool,
    },
    /// Add an entry to the order's history in the shop.
    AddHistory {
        /// The text; may use placeholders.
        text: Template,
    },
    /// Set BaseLinker's pick / pack flags (`pick_state`, `pack_state`).
    SetPickPackState {
        /// New `pick_state`, unchanged when absent.
        #[serde(default)]
        pick: Option<bool>,
        /// New `pack_state`, unchanged when absent.
        #[serde(default)]
        pack: Option<bool>,
    },
    /// POST a JSON description of the event and order to a URL.
    Webhook {
        /// An `http` or `https` URL.
        #[serde(deserialize_with = "file::http_url")]
        url: String,
        /// Extra request headers (e.g. a token); values never appear in logs.
        #[serde(default)]
        headers: Headers,
        /// Request timeout in seconds (default 10).
        #[serde(default = "ten")]
        timeout_s: u32,
    },
    /// Fire a custom event for the same order (`custom:<name>`).
    Fire {
        /// The custom event's name, without `custom:`.
        #[serde(
            deserialize_with = "file::custom_event",
            serialize_with = "file::custom_event_out"
        )]
        event: String,
    },
}

fn yes() -> bool {
    true
}

fn ten() -> u32 {
    10
}

impl Action {
    /// The action's name as written in the rules file.
    pub fn name(&self) -> &'static str {
        match self {
            Action::SetStatus { .. } => "set_status",
            Action::CreateShipment => "create_shipment",
            Action::DropShipment => "drop_shipment",
            Action::Handover => "handover",
            Action::Print { .. } => "print",
            Action::TakePhoto => "take_photo",
            Action::AddNote { .. } => "add_note",
            Action::AddHistory { .. } => "add_history",
            Action::SetPickPackState { .. } => "set_pick_pack_state",
            Action::Webhook { .. } => "webhook",
            Action::Fire { .. } => "fire",
        }
    }

    /// A one-line description for logs and `packdesk rules test`, with texts rendered
    /// from `facts`. Header values of webhooks are never shown.
    pub fn describe(&self, facts: &Facts) -> String {
        let name = self.name();
        match self {
            Action::SetStatus { status, notify } => {
                format!(
                    "{name} \"{status}\"{}",
                    if *notify { " (notify)" } else { "" }
                )
            }
            Action::Print { document, printer } => {
                let doc = match document {
                    Document::Label => "label",
                    Document::Slip => "slip",
                    Document::Handover => "handover",
                };
                match printer {
                    Some(p) => format!("{name} {doc} on {p}"),
                    None => format!("{name} {doc}"),
                }
            }
            Action::AddNote { text, internal } => format!(
                "{name}{} \"{}\"",
                if *internal { " (internal)" } else { "" },
                text.render(facts)
            ),
            Action::AddHistory { text } => format!("{name} \"{}\"", text.render(facts)),
            Action::SetPickPackState { pick, pack } => {
                let mut s = name.to_string();
                if let Some(p) = pick {
                    s.push_str(&format!(" pick={}", u8::from(*p)));
                }
                if let Some(p) = pack {
                    s.push_str(&format!(" pack={}", u8::from(*p)));
                }
                s
            }
            Action::Webhook { url, headers, .. } => {
                if headers.0.is_empty() {
                    format!("{name} POST {url}")
                } else {
                    let names: Vec<&str> = headers.0.keys().map(String::as_str).collect();
                    format!("{name} POST {url} (headers: {})", names.join(", "))
                }
            }
            Action::Fire { event } => format!("{name} custom:{event}"),
            Action::CreateShipment
            | Action::DropShipment
            | Action::Handover
            | Action::TakePhoto => name.to_string(),
        }
    }
}

/// Extra HTTP headers of a webhook. `Debug` shows the names only: values are often tokens.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Headers(pub std::collections::BTreeMap<String, String>);

impl std::fmt::Debug for Headers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
}

/// One rule: when `event` happens and `when` holds, run `actions` in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Unique name (the log and the exactly-once key use it).
    pub name: String,
    /// The event it listens to.
    pub event: EventKind,
    /// The condition; [`Condition::Always`] when the file gave none.
    pub when: Condition,
    /// What to do, in order.
    pub actions: Vec<Action>,
    /// Skip the remaining actions after one fails (default true).
    pub stop_after_failure: bool,
    /// A custom event (name without `custom:`) fired when any action failed.
    pub on_failure: Option<String>,
}

/// A labelled action on the pack screen that fires a custom event, shown for orders whose
/// shop status is one of `statuses`.
#[derive(Debug, Clone, PartialEq)]
pub struct Button {
    /// The text on the screen.
    pub label: String,
    /// The custom event's name (without `custom:`).
    pub event: String,
    /// Shop statuses (compared case-insensitively) for which the button is shown.
    pub statuses: Vec<String>,
}

/// A validated rules file.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<Arc<Rule>>,
    buttons: Vec<Button>,
    daily_check_at: Option<NaiveTime>,
    /// Rule indexes by event name (`packed`, `custom:gift`), in file order.
    by_event: HashMap<String, Vec<usize>>,
}

impl RuleSet {
    /// Builds a set from validated parts; [`RuleSet::parse`] is the way in from a file.
    fn new(rules: Vec<Rule>, buttons: Vec<Button>, daily_check_at: Option<NaiveTime>) -> Self {
        let mut by_event: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, r) in rules.iter().enumerate() {
            by_event.entry(r.event.name()).or_default().push(i);
        }
        RuleSet {
            rules: rules.into_iter().map(Arc::new).collect(),
            buttons,
            daily_check_at,
            by_event,
        }
    }

    /// All rules in file order.
    pub fn rules(&self) -> &[Arc<Rule>] {
        &self.rules
    }

    /// All pack-screen buttons in file order.
    pub fn buttons(&self) -> &[Button] {
        &self.buttons
    }

    /// The buttons to show for an order in `shop_status`.
    pub fn buttons_for(&self, shop_status: &str) -> Vec<&Button> {
        let status = shop_status.trim().to_lowercase();
        self.buttons
            .iter()
            .filter(|b| b.statuses.contains(&status))
            .collect()
    }

    /// The local time of day at which `order_in_status_for_days` is checked; `None` when
    /// no rule uses that event.
    pub fn daily_check_at(&self) -> Option<NaiveTime> {
        self.daily_check_at
    }

    /// The rules listening to the event `ev` (in file order), before conditions.
    fn listeners(&self, kind: &EventKind) -> impl Iterator<Item = &Arc<Rule>> {
        self.by_event
            .get(&kind.name())
            .into_iter()
            .flatten()
            .filter_map(|&i| self.rules.get(i))
    }
}

/// What the conditions look at: a plain snapshot of the order, its shipment, the station
/// and the packer. Build it with [`Facts::from_order`] and adjust fields as needed (the
/// weighed parcel weight, for instance).
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    /// `source:number`.
    pub order_key: String,
    /// The shop's order number.
    pub order_number: String,
    /// Where the order came from (`upgates`, `baselinker`, `demo`).
    pub source: String,
    /// The shop status.
    pub shop_status: String,
    /// The shop's shipping method.
    pub shipping_method: String,
    /// Carrier code.
    pub carrier: String,
    /// Carrier service code.
    pub service: String,
    /// Cash on delivery with a positive amount.
    pub cod: bool,
    /// Paid.
    pub paid: bool,
    /// Recipient country (ISO alpha-2).
    pub country: String,
    /// Order total.
    pub total: Money,
    /// Parcel weight in kg: the shipment's weight when known, else the expected weight.
    pub weight_kg: f64,
    /// Number of items (sum of line quantities).
    pub item_count: Qty,
    /// Order flags / tags.
    pub flags: Vec<String>,
    /// This station's name.
    pub station: String,
    /// The packer signed in, if any.
    pub packer: Option<String>,
    /// Tracking number of the first parcel, once a shipment exists.
    pub tracking: Option<String>,
    /// Provider package id of the first parcel, once a shipment exists.
    pub package_id: Option<String>,
}

impl Facts {
    /// The facts of `order` at `station`, with its (first parcel's) shipment if any.
    pub fn from_order(
        order: &Order,
        shipment: Option<&Shipment>,
        station: &str,
        packer: Option<&str>,
    ) -> Facts {
        let weight_kg = shipment
            .map(|s| s.weight_kg)
            .filter(|w| *w > 0.0)
            .unwrap_or_else(|| order.expected_weight_kg());
        Facts {
            order_key: order.key(),
            order_number: order.number.clone(),
            source: order.source.clone(),
            shop_status: order.shop_status.clone(),
            shipping_method: order.shipping.method.clone(),
            carrier: order.shipping.carrier.clone(),
            service: order.shipping.service.clone(),
            cod: order.cod.as_ref().is_some_and(|m| m.minor > 0),
            paid: order.paid,
            country: order.customer.country.clone(),
            total: order.total.clone(),
            weight_kg,
            item_count: order.item_count(),
            flags: order.flags.clone(),
            station: station.to_string(),
            packer: packer.map(str::to_string),
            tracking: shipment.and_then(|s| s.tracking_number.clone()),
            package_id: shipment.and_then(|s| s.package_id.clone()),
        }
    }
}

/// A rule that matched an event occurrence: what the runner should do.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    /// The rule (its name, actions, failure handling).
    pub rule: Arc<Rule>,
    /// `rule name` NUL `occurrence id`: the exactly-once key of this execution.
    pub occurrence_key: String,
}

impl Planned {
    /// The actions to run, in order.
    pub fn actions(&self) -> &[Action] {
        &self.rule.actions
    }
}

/// The exactly-once key of `rule` for the event occurrence `occurrence`.
pub fn occurrence_key(rule: &str, occurrence: &str) -> String {
    format!("{rule}\u{0}{occurrence}")
}

/// The rules that match `ev` given `ctx`, in file order. Pure: no I/O, no clock.
pub fn evaluate(rules: &RuleSet, ev: &Event, ctx: &Facts) -> Vec<Planned> {
    let norm = condition::Normal::of(ctx);
    rules
        .listeners(&ev.kind)
        .filter(|r| r.event.accepts(&ev.kind) && r.when.holds(&norm))
        .map(|r| Planned {
            rule: Arc::clone(r),
            occurrence_key: occurrence_key(&r.name, &ev.occurrence),
        })
        .collect()
}

/// The JSON a `webhook` action POSTs for rule `rule` handling `ev`, with `facts` as they
/// are when the action runs. `rule` + `occurrence` identify one execution: receivers can
/// use the pair to drop duplicates.
pub fn webhook_body(rule: &str, ev: &Event, facts: &Facts) -> serde_json::Value {
    serde_json::json!({
        "rule": rule,
        "event": ev.kind.name(),
        "occurrence": ev.occurrence,
        "order": {
            "key": facts.order_key,
            "number": facts.order_number,
            "source": facts.source,
            "status": facts.shop_status,
            "shipping_method": facts.shipping_method,
            "carrier": facts.carrier,
            "service": facts.service,
            "country": facts.country,
            "total": facts.total.as_decimal(),
            "currency": facts.total.currency,
            "cod": facts.cod,
            "paid": facts.paid,
            "weight_kg": facts.weight_kg,
            "items": facts.item_count.as_f64(),
            "flags": facts.flags,
        },
        "tracking": facts.tracking,
        "package_id": facts.package_id,
        "station": facts.station,
        "packer": facts.packer,
    })
}

/// How one action ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome", content = "error")]
pub enum Outcome {
    /// It was done.
    Done,
    /// It failed, with the reason.
    Failed(String),
    /// It was not attempted (an earlier action failed and the rule stops after failure).
    Skipped,
    /// It was queued in the outbox (a shop change) and the shop has not answered for good
    /// yet: the executor turns it into `Done` or `Failed` when the outbox reports the
    /// operation's final outcome (the entries are in [`ActionRecord::outbox`]). For the
    /// actions after it, a queued action counts as done.
    Queued,
}

/// Walks one [`Planned`] rule action by action, applying *stop after failure*, and says
/// what follows. The effect runner drives it with real results; [`simulate`] with made-up
/// ones.
#[derive(Debug, Clone)]
pub struct Run {
    planned: Planned,
    outcomes: Vec<Outcome>,
    stopped: bool,
}

/// The end of a [`Run`].
#[derive(Debug, Clone, PartialEq)]
pub struct Finished {
    /// One outcome per action, in order.
    pub outcomes: Vec<Outcome>,
    /// Whether any action failed.
    pub failed: bool,
    /// Events to evaluate next: each `fire` that was done, then `on_failure` if any action
    /// failed. Their occurrence ids derive from the parent's, so they are stable too.
    pub follow_ups: Vec<Event>,
}

impl Run {
    /// A run of `planned`, before its first action.
    pub fn new(planned: Planned) -> Run {
        Run {
            planned,
            outcomes: Vec::new(),
            stopped: false,
        }
    }

    /// A run resumed after `done` outcomes were already recorded (after a restart).
    pub fn resume(planned: Planned, done: Vec<Outcome>) -> Run {
        let stopped =
            planned.rule.stop_after_failure && done.iter().any(|o| matches!(o, Outcome::Failed(_)));
        Run {
            planned,
            outcomes: done,
            stopped,
        }
    }

    /// The next action to execute with its index, or `None` when the run is over.
    pub fn next_action(&self) -> Option<(usize, &Action)> {
        if self.stopped {
            return None;
        }
        let i = self.outcomes.len();
        self.planned.actions().get(i).map(|a| (i, a))
    }

    /// Records the result of the action [`Run::next_action`] returned.
    pub fn record(&mut self, result: Result<(), String>) {
        if self.next_action().is_none() {
            return;
        }
        match result {
            Ok(()) => self.outcomes.push(Outcome::Done),
            Err(e) => {
                self.outcomes.push(Outcome::Failed(e));
                if self.planned.rule.stop_after_failure {
                    self.stopped = true;
                }
            }
        }
    }

    /// Ends the run: the remaining actions are skipped, follow-ups computed for `ev`
    /// (the event that triggered the rule).
    pub fn finish(mut self, ev: &Event) -> Finished {
        let rule = &self.planned.rule;
        while self.outcomes.len() < rule.actions.len() {
            self.outcomes.push(Outcome::Skipped);
        }
        let failed = self
            .outcomes
            .iter()
            .any(|o| matches!(o, Outcome::Failed(_)));
        let mut follow_ups = Vec::new();
        for (i, (a, o)) in rule.actions.iter().zip(&self.outcomes).enumerate() {
            if let (Action::Fire { event }, Outcome::Done) = (a, o) {
                follow_ups.push(ev.follow_up(&rule.name, &format!("fire{i}"), event));
            }
        }
        if failed && let Some(e) = &rule.on_failure {
            follow_ups.push(ev.follow_up(&rule.name, "on_failure", e));
        }
        Finished {
            outcomes: self.outcomes,
            failed,
            follow_ups,
        }
    }
}

/// Runs `planned` against made-up results (`result(index, action)`), as the effect runner
/// would: for tests and `packdesk rules test`.
pub fn simulate(
    planned: &Planned,
    ev: &Event,
    mut result: impl FnMut(usize, &Action) -> Result<(), String>,
) -> Finished {
    let mut run = Run::new(planned.clone());
    while let Some((i, a)) = run.next_action() {
        let r = result(i, a);
        run.record(r);
    }
    run.finish(ev)
}

#[cfg(test)]
mod tests;
