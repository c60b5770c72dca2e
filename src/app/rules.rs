//! Rules at the bench (pure): the pack-screen buttons, custom events from a key or a
//! `PD:EVENT:<NAME>` barcode, `picked` / `packed` events, the banner of a failed rule and
//! the rule-log overlay. The executor (`effects::rules`) does the work; the reducer only
//! asks for it with [`Effect::Rule`].

use super::{Action, AppState, Effect, Msg, Notice, Persist, Tone};
use crate::rules::{Button, Event, EventKind, RuleSet};
use crate::store::AuditEvent;

/// The pack-screen button actions, in order (`pack.button1` …).
pub const BUTTON_ACTIONS: [Action; 6] = [
    Action::Button1,
    Action::Button2,
    Action::Button3,
    Action::Button4,
    Action::Button5,
    Action::Button6,
];

/// What the reducer knows of the loaded rules.
#[derive(Debug, Clone, Default)]
pub struct RulesState {
    /// Every pack-screen button of the rules file, in file order.
    pub buttons: Vec<Button>,
    /// The custom events some rule listens to (names without `custom:`).
    pub custom_events: Vec<String>,
    /// The rule-log overlay, when open.
    pub view: Option<RulesView>,
}

impl RulesState {
    /// The buttons and custom events of `set`.
    pub fn from_rules(set: &RuleSet) -> RulesState {
        let mut custom_events: Vec<String> = set
            .rules()
            .iter()
            .filter_map(|r| match &r.event {
                EventKind::Custom(n) => Some(n.clone()),
                _ => None,
            })
            .collect();
        custom_events.sort();
        custom_events.dedup();
        RulesState {
            buttons: set.buttons().to_vec(),
            custom_events,
            view: None,
        }
    }

    /// The buttons shown for an order in `shop_status` (at most six: one per key).
    pub fn buttons_for(&self, shop_status: &str) -> Vec<&Button> {
        let status = shop_status.trim().to_lowercase();
        self.buttons
            .iter()
            .filter(|b| b.statuses.contains(&status))
            .take(BUTTON_ACTIONS.len())
            .collect()
    }
}

/// One execution in the rule-log overlay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleLine {
    pub id: u64,
    pub rule: String,
    pub event: String,
    pub order_key: String,
    /// `ok`, `failed` or `running` (started, not finished: it resumes after a restart).
    pub state: String,
    /// `HH:MM:SS` local start time.
    pub at: String,
    /// The first failure (`action: reason`), or the actions done.
    pub detail: String,
}

/// The rule-log overlay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RulesView {
    pub lines: Vec<RuleLine>,
    pub selected: usize,
}

/// What the executor reports to the bench.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleNote {
    /// An action of a rule failed.
    Failed {
        rule: String,
        action: String,
        order_key: String,
        error: String,
    },
    /// A rule execution finished (successfully or not).
    Finished { rule: String, order_key: String },
}

fn show(state: &mut AppState, n: Notice, fx: &mut Vec<Effect>) {
    if n.tone() == Tone::Error && state.settings.bell {
        fx.push(Effect::Bell);
    }
    state.banner = Some(n);
}

fn audit(state: &AppState, order_key: &str, detail: String) -> Effect {
    Effect::Persist(Persist::Event(Box::new(AuditEvent {
        at: state.now,
        station: state.settings.station.clone(),
        packer: state.packer.clone(),
        order_key: Some(order_key.to_string()),
        what: "rule_event".into(),
        detail,
    })))
}

/// Fires the custom event `name` (as scanned: `PD:EVENT:<NAME>`) for the open order.
pub(crate) fn custom_event(state: &mut AppState, name: &str, fx: &mut Vec<Effect>) {
    let Some(kind) = EventKind::from_barcode(&format!("PD:EVENT:{name}")) else {
        let name = crate::domain::text::sanitize(name);
        show(state, Notice::RuleUnknownEvent { name }, fx);
        return;
    };
    let EventKind::Custom(lower) = &kind else {
        return;
    };
    if !state.rules.custom_events.contains(lower) {
        let name = lower.clone();
        show(state, Notice::RuleUnknownEvent { name }, fx);
        return;
    }
    let label = state
        .rules
        .buttons
        .iter()
        .find(|b| &b.event == lower)
        .map_or_else(|| lower.clone(), |b| b.label.clone());
    fire(state, kind, label, fx);
}

/// The pack-screen button `a` (`pack.button1` …) for the open order.
pub(crate) fn button(state: &mut AppState, a: Action, fx: &mut Vec<Effect>) {
    let Some(index) = BUTTON_ACTIONS.iter().position(|b| *b == a) else {
        return;
    };
    let Some(pv) = state.pack.as_ref() else {
        show(state, Notice::NoOrderOpen, fx);
        return;
    };
    let chosen = state
        .rules
        .buttons_for(&pv.order.shop_status)
        .get(index)
        .map(|b| (b.event.clone(), b.label.clone()));
    match chosen {
        Some((event, label)) => fire(state, EventKind::Custom(event), label, fx),
        None => show(
            state,
            Notice::RuleUnknownEvent {
                name: format!("#{}", index + 1),
            },
            fx,
        ),
    }
}

fn fire(state: &mut AppState, kind: EventKind, label: String, fx: &mut Vec<Effect>) {
    let Some(pv) = state.pack.as_ref().filter(|p| p.claimed) else {
        show(state, Notice::NoOrderOpen, fx);
        return;
    };
    let key = pv.order.key();
    // Each press is its own occurrence (the time tells them apart); the rule log makes
    // sure one press never runs a rule twice.
    let ev = Event::new(kind, &key, &state.now.timestamp_millis().to_string());
    fx.push(audit(state, &key, ev.kind.name()));
    fx.push(Effect::Rule(ev));
    show(state, Notice::RuleFired { label }, fx);
}

/// The `picked` event of the open order's session at its step `seq`.
pub(crate) fn picked(order_key: &str, seq: u64) -> Effect {
    Effect::Rule(Event::new(EventKind::Picked, order_key, &seq.to_string()))
}

/// The `packed` event of the open order's session at its step `seq`.
pub(crate) fn packed(order_key: &str, seq: u64) -> Effect {
    Effect::Rule(Event::packed(order_key, seq))
}

/// Opens (or closes) the rule-log overlay.
pub(crate) fn toggle_log(state: &mut AppState, fx: &mut Vec<Effect>) {
    if state.rules.view.take().is_none() {
        state.rules.view = Some(RulesView::default());
        fx.push(Effect::RulesLog);
    }
}

/// The overlay takes the list keys and closes on back; quit and help still work. Returns
/// whether the action was taken.
pub(crate) fn overlay_action(state: &mut AppState, a: Action) -> bool {
    let Some(view) = state.rules.view.as_mut() else {
        return false;
    };
    match a {
        Action::Quit | Action::Help => return false,
        Action::RulesLog | Action::Back => state.rules.view = None,
        Action::Up => view.selected = view.selected.saturating_sub(1),
        Action::Down => view.selected = (view.selected + 1).min(view.lines.len().saturating_sub(1)),
        Action::Top => view.selected = 0,
        Action::Bottom => view.selected = view.lines.len().saturating_sub(1),
        _ => {}
    }
    true
}

/// Messages of the executor and the log reader.
pub(crate) fn message(state: &mut AppState, msg: Msg, fx: &mut Vec<Effect>) {
    match msg {
        Msg::Rule(RuleNote::Failed {
            rule,
            action,
            error,
            ..
        }) => {
            show(
                state,
                Notice::RuleFailed {
                    rule,
                    action,
                    error,
                },
                fx,
            );
            if state.rules.view.is_some() {
                fx.push(Effect::RulesLog);
            }
        }
        Msg::Rule(RuleNote::Finished { .. }) if state.rules.view.is_some() => {
            fx.push(Effect::RulesLog);
        }
        Msg::RuleLog(Ok(lines)) => {
            let view = state.rules.view.get_or_insert_with(Default::default);
            view.selected = view.selected.min(lines.len().saturating_sub(1));
            view.lines = lines;
        }
        Msg::RuleLog(Err(error)) => show(state, Notice::OutboxError { error }, fx),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testkit::{self, EAN, type_scan};
    use crate::app::{Looked, Lookup, Screen, update};
    use crate::domain::{Order, OrderState, OrderSummary};

    const RULES: &str = r#"
[[rule]]
name = "gift"
event = "custom:gift"
actions = [{ add_note = { text = "gift" } }]

[[rule]]
name = "ship"
event = "packed"
actions = ["create_shipment"]

[[button]]
label = "Gift wrap"
event = "custom:gift"
statuses = ["Vyřizuje se"]
"#;

    fn order() -> Order {
        let mut o = testkit::order("CZ1");
        o.shop_status = "Vyřizuje se".into();
        o
    }

    fn state(o: &Order) -> AppState {
        let mut st = testkit::state(vec![OrderSummary::of(o, OrderState::ToPack)]);
        let set = RuleSet::parse(std::path::Path::new("rules.toml"), RULES).expect("rules");
        st.rules = RulesState::from_rules(&set);
        st.now = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        st
    }

    fn lookup(st: &mut AppState, fx: Vec<Effect>, order_key: Option<String>) -> Vec<Effect> {
        let Some(Effect::Lookup(Lookup::Code(scan))) = fx.into_iter().next() else {
            panic!("expected a lookup");
        };
        update(
            st,
            Msg::Looked(Looked::Code {
                scan,
                order_key,
                known: true,
            }),
        )
    }

    fn open(st: &mut AppState, o: &Order) {
        let fx = type_scan(st, &o.number);
        lookup(st, fx, Some(o.key()));
        testkit::loaded(st, o, None, None);
        assert_eq!(st.screen, Screen::Pack);
    }

    fn rule_events(fx: &[Effect]) -> Vec<Event> {
        fx.iter()
            .filter_map(|e| match e {
                Effect::Rule(ev) => Some(ev.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn picked_and_packed_reach_the_rules_with_stable_occurrences() {
        let o = order();
        let mut st = state(&o);
        open(&mut st, &o);
        let fx = type_scan(&mut st, EAN);
        let fx = lookup(&mut st, fx, None);
        let evs = rule_events(&fx);
        assert_eq!(evs.len(), 1, "{fx:?}");
        assert_eq!(evs[0].kind, EventKind::Picked);
        assert_eq!(evs[0].order_key, "demo:CZ1");
        let fx = type_scan(&mut st, "PD:PACK");
        let evs = rule_events(&fx);
        let seq = st.pack.as_ref().map(|p| p.session.next_seq).unwrap_or(0);
        assert_eq!(evs, vec![Event::packed("demo:CZ1", seq)], "{fx:?}");
    }

    #[test]
    fn an_event_barcode_fires_the_custom_event_for_the_open_order() {
        let o = order();
        let mut st = state(&o);
        open(&mut st, &o);
        let fx = type_scan(&mut st, "PD:EVENT:GIFT");
        let evs = rule_events(&fx);
        assert_eq!(evs.len(), 1, "{fx:?}");
        assert_eq!(evs[0].kind, EventKind::Custom("gift".into()));
        assert_eq!(evs[0].order_key, "demo:CZ1");
        assert_eq!(
            st.banner,
            Some(Notice::RuleFired {
                label: "Gift wrap".into()
            })
        );
        assert!(
            fx.iter()
                .any(|e| matches!(e, Effect::Persist(Persist::Event(a)) if a.what == "rule_event")),
            "the event is in the audit log"
        );
    }

    #[test]
    fn an_unknown_event_name_gets_a_banner_and_fires_nothing() {
        let o = order();
        let mut st = state(&o);
        open(&mut st, &o);
        let fx = type_scan(&mut st, "PD:EVENT:NOPE");
        assert!(rule_events(&fx).is_empty());
        assert_eq!(
            st.banner,
            Some(Notice::RuleUnknownEvent {
                name: "nope".into()
            })
        );
        assert!(fx.iter().any(|e| matches!(e, Effect::Bell)));
    }

    #[test]
    fn an_event_without_an_open_order_is_refused() {
        let o = order();
        let mut st = state(&o);
        let fx = type_scan(&mut st, "PD:EVENT:GIFT");
        assert!(rule_events(&fx).is_empty());
        assert_eq!(st.banner, Some(Notice::NoOrderOpen));
    }

    #[test]
    fn buttons_fire_by_key_only_for_their_statuses() {
        let o = order();
        let mut st = state(&o);
        open(&mut st, &o);
        let fx = update(&mut st, Msg::Action(Action::Button1));
        let evs = rule_events(&fx);
        assert_eq!(evs.len(), 1);
        assert_eq!(evs[0].kind, EventKind::Custom("gift".into()));
        // No second button: nothing fires.
        let fx = update(&mut st, Msg::Action(Action::Button2));
        assert!(rule_events(&fx).is_empty());
        // Another status: the button is not there.
        let mut other = order();
        other.shop_status = "Odesláno".into();
        let mut st = state(&other);
        open(&mut st, &other);
        assert!(st.rules.buttons_for(&other.shop_status).is_empty());
        let fx = update(&mut st, Msg::Action(Action::Button1));
        assert!(rule_events(&fx).is_empty());
    }

    #[test]
    fn a_failed_rule_shows_a_banner_and_the_log_overlay_lists_executions() {
        let o = order();
        let mut st = state(&o);
        let fx = update(
            &mut st,
            Msg::Rule(RuleNote::Failed {
                rule: "ship".into(),
                action: "create_shipment".into(),
                order_key: "demo:CZ1".into(),
                error: "the carrier refused it".into(),
            }),
        );
        assert!(fx.iter().any(|e| matches!(e, Effect::Bell)));
        assert!(matches!(&st.banner, Some(Notice::RuleFailed { rule, .. }) if rule == "ship"));
        let fx = update(&mut st, Msg::Action(Action::RulesLog));
        assert!(matches!(fx.as_slice(), [Effect::RulesLog]), "{fx:?}");
        let line = RuleLine {
            id: 1,
            rule: "ship".into(),
            event: "packed".into(),
            order_key: "demo:CZ1".into(),
            state: "failed".into(),
            at: "10:00:00".into(),
            detail: "create_shipment: refused".into(),
        };
        update(&mut st, Msg::RuleLog(Ok(vec![line.clone(), line])));
        update(&mut st, Msg::Action(Action::Down));
        assert_eq!(st.rules.view.as_ref().map(|v| v.selected), Some(1));
        // A finished execution refreshes the open overlay.
        let fx = update(
            &mut st,
            Msg::Rule(RuleNote::Finished {
                rule: "ship".into(),
                order_key: "demo:CZ1".into(),
            }),
        );
        assert!(matches!(fx.as_slice(), [Effect::RulesLog]));
        update(&mut st, Msg::Action(Action::Back));
        assert!(st.rules.view.is_none());
    }
}
