//! The rules file: TOML → validated [`RuleSet`], with errors naming file, line and key.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::ops::Range as Span;
use std::path::{Path, PathBuf};

use chrono::NaiveTime;
use serde::{Deserialize, Deserializer};
use toml::Spanned;

use crate::config::ConfigError;
use crate::domain::Qty;

use super::condition::{Condition, Range, norm};
use super::event::{EventKind, custom_name};
use super::{Action, Button, Rule, RuleSet};

/// A rules file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    /// The file cannot be read.
    #[error("cannot read rules file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file has problems; each names the file, line, column and key.
    #[error("{}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid {
        /// Every problem found (TOML syntax and type errors stop at the first).
        problems: Vec<ConfigError>,
    },
}

/// The default local time of the daily `order_in_status_for_days` check.
const DEFAULT_DAILY_CHECK: (u32, u32) = (6, 0);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    daily_check_at: Option<Spanned<String>>,
    #[serde(default)]
    rule: Vec<RawRule>,
    #[serde(default)]
    button: Vec<RawButton>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: Spanned<String>,
    event: Spanned<String>,
    #[serde(default)]
    days: Option<Spanned<u32>>,
    #[serde(default)]
    when: Option<Spanned<RawCond>>,
    actions: Spanned<Vec<Spanned<Action>>>,
    #[serde(default = "super::yes")]
    stop_after_failure: bool,
    #[serde(default)]
    on_failure: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawButton {
    label: Spanned<String>,
    event: Spanned<String>,
    statuses: Spanned<Texts>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawCond {
    #[serde(default)]
    shop_status: Option<Texts>,
    #[serde(default)]
    shipping_method: Option<Texts>,
    #[serde(default)]
    carrier: Option<Texts>,
    #[serde(default)]
    service: Option<Texts>,
    #[serde(default)]
    cod: Option<bool>,
    #[serde(default)]
    paid: Option<bool>,
    #[serde(default)]
    country: Option<Texts>,
    #[serde(default)]
    total: Option<Spanned<RawTotal>>,
    #[serde(default)]
    weight: Option<Spanned<RawRange>>,
    #[serde(default)]
    items: Option<Spanned<RawRange>>,
    #[serde(default)]
    source: Option<Texts>,
    #[serde(default, alias = "tags")]
    flags: Option<Texts>,
    #[serde(default)]
    station: Option<Texts>,
    #[serde(default)]
    packer: Option<Texts>,
    #[serde(default)]
    all: Option<Spanned<Vec<Spanned<RawCond>>>>,
    #[serde(default)]
    any: Option<Spanned<Vec<Spanned<RawCond>>>>,
    #[serde(default)]
    not: Option<Box<Spanned<RawCond>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTotal {
    #[serde(default)]
    min: Option<Number>,
    #[serde(default)]
    max: Option<Number>,
    currency: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRange {
    #[serde(default)]
    min: Option<Number>,
    #[serde(default)]
    max: Option<Number>,
}

/// A non-negative number written as a TOML integer or float.
#[derive(Clone, Copy)]
struct Number(f64);

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Number, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Number;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a non-negative number")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Number, E> {
                self.visit_f64(v as f64)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Number, E> {
                self.visit_f64(v as f64)
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Number, E> {
                if v.is_finite() && v >= 0.0 {
                    Ok(Number(v))
                } else {
                    Err(E::custom(format!("{v} is not a non-negative number")))
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// One text or a non-empty list of texts, normalised (trimmed, lower case).
struct Texts(Vec<String>);

impl<'de> Deserialize<'de> for Texts {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Texts, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Texts;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a text or a non-empty list of texts")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Texts, E> {
                Ok(Texts(vec![norm(v)]))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Texts, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    out.push(norm(&s));
                }
                if out.is_empty() {
                    return Err(serde::de::Error::custom("the list is empty"));
                }
                Ok(Texts(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// `deserialize_with` for webhook URLs: `http` or `https` with a host.
pub(super) fn http_url<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    match reqwest::Url::parse(s.trim()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
            Ok(s.trim().to_string())
        }
        Ok(u) => Err(serde::de::Error::custom(format!(
            "webhook URL must be http or https with a host, not `{}:`",
            u.scheme()
        ))),
        Err(e) => Err(serde::de::Error::custom(format!("bad webhook URL: {e}"))),
    }
}

/// `deserialize_with` for `fire` events: `custom:<name>`, returns the name.
pub(super) fn custom_event<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    parse_custom(&s).map_err(serde::de::Error::custom)
}

/// `serialize_with` for `fire` events: the name as `custom:<name>`, as it is read back.
pub(super) fn custom_event_out<S: serde::Serializer>(name: &str, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("custom:{name}"))
}

fn parse_custom(s: &str) -> Result<String, String> {
    let Some(name) = s.trim().strip_prefix("custom:") else {
        return Err(format!(
            "`{s}` is not a custom event; only `custom:<name>` events can be fired"
        ));
    };
    custom_name(name).ok_or_else(|| {
        format!("bad custom event name `{name}` (use 1–40 letters, digits, `_` or `-`)")
    })
}

/// Collects problems with their places.
struct Problems<'a> {
    path: &'a Path,
    text: &'a str,
    list: Vec<ConfigError>,
}

impl Problems<'_> {
    fn at(&mut self, span: Span<usize>, key: String, message: String) {
        self.list.push(ConfigError::at(
            self.path,
            self.text,
            Some(span),
            Some(key),
            message,
        ));
    }
}

/// An edge of the event graph: handling `from` can fire `to`.
struct Edge {
    from: String,
    to: String,
    span: Span<usize>,
    key: String,
}

impl RuleSet {
    /// Reads and validates the rules file at `path`.
    pub fn load(path: &Path) -> Result<RuleSet, RulesError> {
        let text = std::fs::read_to_string(path).map_err(|source| RulesError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        RuleSet::parse(path, &text)
    }

    /// Parses and validates `text` (read from `path`, which errors name). Reports unknown
    /// events, actions and condition keys, bad placeholders, duplicate names, custom events
    /// nobody listens to and event loops through `fire` / `on_failure`.
    pub fn parse(path: &Path, text: &str) -> Result<RuleSet, RulesError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| RulesError::Invalid {
            problems: vec![ConfigError::from_toml(path, text, &e)],
        })?;
        let mut p = Problems {
            path,
            text,
            list: Vec::new(),
        };
        let mut rules = Vec::new();
        let mut names: BTreeMap<String, usize> = BTreeMap::new();
        let mut edges = Vec::new();
        let mut fired: Vec<(String, Span<usize>, String)> = Vec::new();
        for (i, r) in raw.rule.into_iter().enumerate() {
            let at = |k: &str| format!("rule[{i}].{k}");
            let name = r.name.get_ref().trim().to_string();
            if name.is_empty() {
                p.at(r.name.span(), at("name"), "the rule name is empty".into());
            } else if let Some(first) = names.get(&name) {
                p.at(
                    r.name.span(),
                    at("name"),
                    format!("rule name `{name}` is already used by rule[{first}]"),
                );
            } else {
                names.insert(name.clone(), i);
            }
            let days = r.days.as_ref().map(|d| *d.get_ref());
            let event = match EventKind::parse(r.event.get_ref(), days.unwrap_or(0)) {
                Some(ev) => ev,
                None => {
                    p.at(
                        r.event.span(),
                        at("event"),
                        unknown_event(r.event.get_ref()),
                    );
                    continue;
                }
            };
            match (&event, &r.days) {
                (EventKind::OrderInStatusForDays { .. }, None) => p.at(
                    r.event.span(),
                    at("event"),
                    "`order_in_status_for_days` needs `days = N` (N ≥ 1)".into(),
                ),
                (EventKind::OrderInStatusForDays { .. }, Some(d)) if *d.get_ref() == 0 => {
                    p.at(d.span(), at("days"), "`days` must be at least 1".into())
                }
                (EventKind::OrderInStatusForDays { .. }, Some(_)) | (_, None) => {}
                (_, Some(d)) => p.at(
                    d.span(),
                    at("days"),
                    "`days` belongs to `event = \"order_in_status_for_days\"` only".into(),
                ),
            }
            let when = match r.when {
                Some(w) => {
                    let span = w.span();
                    compile(w.into_inner(), span, &at("when"), &mut p)
                }
                None => Some(Condition::Always),
            };
            let on_failure = match &r.on_failure {
                Some(s) => match parse_custom(s.get_ref()) {
                    Ok(name) => {
                        edges.push(Edge {
                            from: event.name(),
                            to: format!("custom:{name}"),
                            span: s.span(),
                            key: at("on_failure"),
                        });
                        fired.push((name.clone(), s.span(), at("on_failure")));
                        Some(name)
                    }
                    Err(m) => {
                        p.at(s.span(), at("on_failure"), m);
                        None
                    }
                },
                None => None,
            };
            if r.actions.get_ref().is_empty() {
                p.at(
                    r.actions.span(),
                    at("actions"),
                    "a rule needs at least one action".into(),
                );
            }
            let mut actions = Vec::new();
            for (j, a) in r.actions.into_inner().into_iter().enumerate() {
                let span = a.span();
                let key = format!("rule[{i}].actions[{j}]");
                let a = a.into_inner();
                match &a {
                    Action::Fire { event: target } => {
                        edges.push(Edge {
                            from: event.name(),
                            to: format!("custom:{target}"),
                            span: span.clone(),
                            key: format!("{key}.fire.event"),
                        });
                        fired.push((target.clone(), span, format!("{key}.fire.event")));
                    }
                    Action::SetPickPackState {
                        pick: None,
                        pack: None,
                    } => p.at(
                        span,
                        format!("{key}.set_pick_pack_state"),
                        "give `pick`, `pack` or both".into(),
                    ),
                    Action::Webhook { timeout_s, .. } if !(1..=300).contains(timeout_s) => p.at(
                        span,
                        format!("{key}.webhook.timeout_s"),
                        format!("timeout {timeout_s} s is outside 1–300 s"),
                    ),
                    Action::AddNote {
                        internal: false, ..
                    } => p.at(
                        span,
                        format!("{key}.add_note.internal"),
                        "`internal = false` is not supported: neither shop API packdesk uses \
                         can write a note the customer sees (Upgates has only `internal_note`, \
                         BaseLinker only `admin_comments`); remove the key for an internal note"
                            .into(),
                    ),
                    Action::SetStatus { status, .. } if status.trim().is_empty() => p.at(
                        span,
                        format!("{key}.set_status.status"),
                        "the status is empty".into(),
                    ),
                    Action::SetStatus { status, .. }
                        if event == EventKind::StatusSet
                            && when
                                .as_ref()
                                .is_some_and(|w| status_may_hold(w, status) != Some(false)) =>
                    {
                        p.at(
                            span,
                            format!("{key}.set_status.status"),
                            format!(
                                "this rule runs on `status_set` and sets \"{status}\", which its \
                                 condition does not rule out: it would run again on its own \
                                 change; add `not = {{ shop_status = \"{status}\" }}` to `when`"
                            ),
                        )
                    }
                    _ => {}
                }
                actions.push(a);
            }
            if let Some(when) = when {
                rules.push(Rule {
                    name,
                    event,
                    when,
                    actions,
                    stop_after_failure: r.stop_after_failure,
                    on_failure,
                });
            }
        }
        let mut buttons = Vec::new();
        for (i, b) in raw.button.into_iter().enumerate() {
            let at = |k: &str| format!("button[{i}].{k}");
            let label = b.label.get_ref().trim().to_string();
            if label.is_empty() {
                p.at(b.label.span(), at("label"), "the label is empty".into());
            }
            match parse_custom(b.event.get_ref()) {
                Ok(event) => {
                    fired.push((event.clone(), b.event.span(), at("event")));
                    buttons.push(Button {
                        label,
                        event,
                        statuses: b.statuses.into_inner().0,
                    });
                }
                Err(m) => p.at(b.event.span(), at("event"), m),
            }
        }
        let listened: HashSet<String> = rules.iter().map(|r| r.event.name()).collect();
        for (name, span, key) in fired {
            if !listened.contains(&format!("custom:{name}")) {
                p.at(
                    span,
                    key,
                    format!("no rule listens to `custom:{name}` (add a rule with that event)"),
                );
            }
        }
        report_loops(&edges, &mut p);
        let uses_days = rules
            .iter()
            .any(|r| matches!(r.event, EventKind::OrderInStatusForDays { .. }));
        let daily = match &raw.daily_check_at {
            Some(s) => match NaiveTime::parse_from_str(s.get_ref().trim(), "%H:%M") {
                Ok(t) => Some(t),
                Err(_) => {
                    p.at(
                        s.span(),
                        "daily_check_at".into(),
                        format!("`{}` is not a time of day like \"06:30\"", s.get_ref()),
                    );
                    None
                }
            },
            None => NaiveTime::from_hms_opt(DEFAULT_DAILY_CHECK.0, DEFAULT_DAILY_CHECK.1, 0),
        };
        if !p.list.is_empty() {
            p.list.sort_by_key(|e| match e {
                ConfigError::Invalid { line, column, .. } => (*line, *column),
                _ => (None, None),
            });
            return Err(RulesError::Invalid { problems: p.list });
        }
        Ok(RuleSet::new(rules, buttons, daily.filter(|_| uses_days)))
    }
}

fn unknown_event(name: &str) -> String {
    if name.trim().starts_with("custom:") {
        format!("bad custom event `{name}` (use `custom:` and 1–40 letters, digits, `_` or `-`)")
    } else {
        format!(
            "unknown event `{name}` (known: {}, custom:<name>)",
            EventKind::BUILTIN.join(", ")
        )
    }
}

/// Reports every cycle of the event graph once, at the edge that closes it.
fn report_loops(edges: &[Edge], p: &mut Problems<'_>) {
    let nodes: BTreeSet<&str> = edges.iter().map(|e| e.from.as_str()).collect();
    let mut done: HashSet<&str> = HashSet::new();
    for start in nodes {
        let mut stack: Vec<&str> = Vec::new();
        visit(start, edges, &mut stack, &mut done, p);
    }
}

fn visit<'e>(
    node: &'e str,
    edges: &'e [Edge],
    stack: &mut Vec<&'e str>,
    done: &mut HashSet<&'e str>,
    p: &mut Problems<'_>,
) {
    if done.contains(node) {
        return;
    }
    stack.push(node);
    for e in edges.iter().filter(|e| e.from == node) {
        if let Some(pos) = stack.iter().position(|n| *n == e.to) {
            let mut chain: Vec<&str> = stack.get(pos..).unwrap_or_default().to_vec();
            chain.push(&e.to);
            p.at(
                e.span.clone(),
                e.key.clone(),
                format!(
                    "event loop: {} (through `fire` / `on_failure`)",
                    chain.join(" → ")
                ),
            );
        } else {
            visit(&e.to, edges, stack, done, p);
        }
    }
    stack.pop();
    done.insert(node);
}

/// Turns a parsed condition table into a [`Condition`]; `None` after a reported problem.
fn compile(c: RawCond, span: Span<usize>, key: &str, p: &mut Problems<'_>) -> Option<Condition> {
    let mut parts = Vec::new();
    let mut ok = true;
    let texts = |t: Option<Texts>, f: fn(Vec<String>) -> Condition, parts: &mut Vec<Condition>| {
        if let Some(t) = t {
            parts.push(f(t.0));
        }
    };
    texts(c.shop_status, Condition::ShopStatus, &mut parts);
    texts(c.shipping_method, Condition::ShippingMethod, &mut parts);
    texts(c.carrier, Condition::Carrier, &mut parts);
    texts(c.service, Condition::Service, &mut parts);
    parts.extend(c.cod.map(Condition::Cod));
    parts.extend(c.paid.map(Condition::Paid));
    texts(c.country, Condition::Country, &mut parts);
    if let Some(t) = c.total {
        let s = t.span();
        let t = t.into_inner();
        let currency = t.currency.trim().to_ascii_uppercase();
        let minor = |n: Option<Number>| n.map(|n| (n.0 * 100.0).round() as i64);
        let range = Range {
            min: minor(t.min),
            max: minor(t.max),
        };
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_alphabetic()) {
            p.at(
                s.clone(),
                format!("{key}.total.currency"),
                format!("`{}` is not an ISO 4217 currency code", t.currency),
            );
            ok = false;
        }
        ok &= check_range(&range, s, &format!("{key}.total"), p);
        parts.push(Condition::Total { range, currency });
    }
    if let Some(w) = c.weight {
        let s = w.span();
        let w = w.into_inner();
        let range = Range {
            min: w.min.map(|n| n.0),
            max: w.max.map(|n| n.0),
        };
        ok &= check_range(&range, s, &format!("{key}.weight"), p);
        parts.push(Condition::Weight(range));
    }
    if let Some(n) = c.items {
        let s = n.span();
        let n = n.into_inner();
        let range = Range {
            min: n.min.map(|n| Qty::from_f64(n.0)),
            max: n.max.map(|n| Qty::from_f64(n.0)),
        };
        ok &= check_range(&range, s, &format!("{key}.items"), p);
        parts.push(Condition::Items(range));
    }
    texts(c.source, Condition::Source, &mut parts);
    texts(c.flags, Condition::Flags, &mut parts);
    texts(c.station, Condition::Station, &mut parts);
    texts(c.packer, Condition::Packer, &mut parts);
    for (list, name, make) in [
        (
            c.all,
            "all",
            Condition::All as fn(Vec<Condition>) -> Condition,
        ),
        (c.any, "any", Condition::Any),
    ] {
        let Some(list) = list else { continue };
        let lspan = list.span();
        let list = list.into_inner();
        if list.is_empty() {
            p.at(lspan, format!("{key}.{name}"), format!("`{name}` is empty"));
            ok = false;
            continue;
        }
        let mut subs = Vec::new();
        for (i, sub) in list.into_iter().enumerate() {
            let s = sub.span();
            match compile(sub.into_inner(), s, &format!("{key}.{name}[{i}]"), p) {
                Some(c) => subs.push(c),
                None => ok = false,
            }
        }
        parts.push(make(subs));
    }
    if let Some(n) = c.not {
        let s = n.span();
        match compile(n.into_inner(), s, &format!("{key}.not"), p) {
            Some(c) => parts.push(Condition::Not(Box::new(c))),
            None => ok = false,
        }
    }
    if !ok {
        return None;
    }
    match parts.len() {
        0 => {
            p.at(
                span,
                key.to_string(),
                "empty condition (give at least one key, or leave `when` out)".into(),
            );
            None
        }
        1 => parts.pop(),
        _ => Some(Condition::All(parts)),
    }
}

/// Whether `c` can hold for an order in shop status `status`, looking at `shop_status`
/// only: `Some(false)` when it certainly cannot, `None` when other facts decide.
fn status_may_hold(c: &Condition, status: &str) -> Option<bool> {
    match c {
        Condition::Always => Some(true),
        Condition::ShopStatus(list) => Some(list.contains(&norm(status))),
        Condition::Not(c) => status_may_hold(c, status).map(|b| !b),
        Condition::All(cs) => {
            let v: Vec<Option<bool>> = cs.iter().map(|c| status_may_hold(c, status)).collect();
            if v.contains(&Some(false)) {
                Some(false)
            } else if v.iter().all(|b| *b == Some(true)) {
                Some(true)
            } else {
                None
            }
        }
        Condition::Any(cs) => {
            let v: Vec<Option<bool>> = cs.iter().map(|c| status_may_hold(c, status)).collect();
            if v.contains(&Some(true)) {
                Some(true)
            } else if v.iter().all(|b| *b == Some(false)) {
                Some(false)
            } else {
                None
            }
        }
        _ => None,
    }
}

fn check_range<T: PartialOrd + Copy>(
    r: &Range<T>,
    span: Span<usize>,
    key: &str,
    p: &mut Problems<'_>,
) -> bool {
    match (r.min, r.max) {
        (None, None) => {
            p.at(span, key.to_string(), "give `min`, `max` or both".into());
            false
        }
        (Some(a), Some(b)) if a > b => {
            p.at(span, key.to_string(), "`min` is greater than `max`".into());
            false
        }
        _ => true,
    }
}
