//! Conditions on the facts of an order, and their evaluation.

use crate::domain::Qty;

use super::Facts;

/// An inclusive range; an open end is `None`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range<T> {
    /// Lowest accepted value.
    pub min: Option<T>,
    /// Highest accepted value.
    pub max: Option<T>,
}

impl<T: PartialOrd + Copy> Range<T> {
    fn contains(&self, v: T) -> bool {
        self.min.is_none_or(|m| v >= m) && self.max.is_none_or(|m| v <= m)
    }
}

/// A condition on [`Facts`]. Text comparisons ignore case and surrounding spaces; a list
/// of texts matches when any of them does. The lists here hold lower-case texts.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// Always true (a rule without `when`).
    Always,
    /// Every one holds (`all = [...]`, or several keys in one table).
    All(Vec<Condition>),
    /// At least one holds (`any = [...]`).
    Any(Vec<Condition>),
    /// Does not hold (`not = {...}`).
    Not(Box<Condition>),
    /// `shop_status`
    ShopStatus(Vec<String>),
    /// `shipping_method`
    ShippingMethod(Vec<String>),
    /// `carrier`
    Carrier(Vec<String>),
    /// `service`
    Service(Vec<String>),
    /// `cod`
    Cod(bool),
    /// `paid`
    Paid(bool),
    /// `country`
    Country(Vec<String>),
    /// `total = { min, max, currency }`: amounts in minor units; an order in another
    /// currency never matches.
    Total {
        /// The accepted range in minor units.
        range: Range<i64>,
        /// ISO 4217 code, upper case.
        currency: String,
    },
    /// `weight = { min, max }` in kg, compared to the gram.
    Weight(Range<f64>),
    /// `items = { min, max }`: the number of items.
    Items(Range<Qty>),
    /// `source`
    Source(Vec<String>),
    /// `flags`: the order has every one of these flags.
    Flags(Vec<String>),
    /// `station`
    Station(Vec<String>),
    /// `packer` (never matches when nobody is signed in)
    Packer(Vec<String>),
}

/// The facts with texts normalised once per evaluation.
pub(crate) struct Normal<'a> {
    facts: &'a Facts,
    shop_status: String,
    shipping_method: String,
    carrier: String,
    service: String,
    country: String,
    source: String,
    station: String,
    packer: Option<String>,
    flags: Vec<String>,
}

pub(crate) fn norm(s: &str) -> String {
    s.trim().to_lowercase()
}

impl<'a> Normal<'a> {
    pub(crate) fn of(facts: &'a Facts) -> Normal<'a> {
        Normal {
            facts,
            shop_status: norm(&facts.shop_status),
            shipping_method: norm(&facts.shipping_method),
            carrier: norm(&facts.carrier),
            service: norm(&facts.service),
            country: norm(&facts.country),
            source: norm(&facts.source),
            station: norm(&facts.station),
            packer: facts.packer.as_deref().map(norm),
            flags: facts.flags.iter().map(|f| norm(f)).collect(),
        }
    }
}

fn one_of(list: &[String], v: &str) -> bool {
    list.iter().any(|x| x == v)
}

impl Condition {
    /// Whether the condition holds for `facts`.
    pub fn matches(&self, facts: &Facts) -> bool {
        self.holds(&Normal::of(facts))
    }

    pub(crate) fn holds(&self, n: &Normal<'_>) -> bool {
        match self {
            Condition::Always => true,
            Condition::All(cs) => cs.iter().all(|c| c.holds(n)),
            Condition::Any(cs) => cs.iter().any(|c| c.holds(n)),
            Condition::Not(c) => !c.holds(n),
            Condition::ShopStatus(l) => one_of(l, &n.shop_status),
            Condition::ShippingMethod(l) => one_of(l, &n.shipping_method),
            Condition::Carrier(l) => one_of(l, &n.carrier),
            Condition::Service(l) => one_of(l, &n.service),
            Condition::Cod(b) => n.facts.cod == *b,
            Condition::Paid(b) => n.facts.paid == *b,
            Condition::Country(l) => one_of(l, &n.country),
            Condition::Total { range, currency } => {
                n.facts.total.currency.trim().eq_ignore_ascii_case(currency)
                    && range.contains(n.facts.total.minor)
            }
            // To the gram: 3 × 0.4 kg is 1.2 kg, not 1.2000000000000002.
            Condition::Weight(r) => r.contains((n.facts.weight_kg * 1000.0).round() / 1000.0),
            Condition::Items(r) => r.contains(n.facts.item_count),
            Condition::Source(l) => one_of(l, &n.source),
            Condition::Flags(l) => l.iter().all(|f| n.flags.contains(f)),
            Condition::Station(l) => one_of(l, &n.station),
            Condition::Packer(l) => n.packer.as_deref().is_some_and(|p| one_of(l, p)),
        }
    }

    /// The leaf conditions that do not hold for `facts`, as written in the file
    /// (`carrier`, `total`…), for `packdesk rules test`; combinators are looked into.
    pub fn failing(&self, facts: &Facts) -> Vec<&'static str> {
        let n = Normal::of(facts);
        let mut out = Vec::new();
        self.collect_failing(&n, &mut out);
        out
    }

    fn collect_failing(&self, n: &Normal<'_>, out: &mut Vec<&'static str>) {
        if self.holds(n) {
            return;
        }
        match self {
            Condition::All(cs) => cs.iter().for_each(|c| c.collect_failing(n, out)),
            Condition::Any(_) => out.push("any"),
            Condition::Not(_) => out.push("not"),
            leaf => out.push(leaf.key()),
        }
    }

    /// The key of this condition in the rules file.
    pub fn key(&self) -> &'static str {
        match self {
            Condition::Always => "(none)",
            Condition::All(_) => "all",
            Condition::Any(_) => "any",
            Condition::Not(_) => "not",
            Condition::ShopStatus(_) => "shop_status",
            Condition::ShippingMethod(_) => "shipping_method",
            Condition::Carrier(_) => "carrier",
            Condition::Service(_) => "service",
            Condition::Cod(_) => "cod",
            Condition::Paid(_) => "paid",
            Condition::Country(_) => "country",
            Condition::Total { .. } => "total",
            Condition::Weight(_) => "weight",
            Condition::Items(_) => "items",
            Condition::Source(_) => "source",
            Condition::Flags(_) => "flags",
            Condition::Station(_) => "station",
            Condition::Packer(_) => "packer",
        }
    }
}
