//! Texts with placeholders: `Zabaleno, zásilka {tracking}`.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::Facts;

/// A value a text can refer to as `{name}`. `{{` and `}}` are literal braces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholder {
    /// `{order.number}`
    OrderNumber,
    /// `{order.key}` (`source:number`)
    OrderKey,
    /// `{order.source}`
    OrderSource,
    /// `{order.status}` (shop status)
    OrderStatus,
    /// `{order.total}` (`1 234,50 CZK`)
    OrderTotal,
    /// `{order.carrier}`
    OrderCarrier,
    /// `{order.service}`
    OrderService,
    /// `{order.country}`
    OrderCountry,
    /// `{tracking}` (empty before a shipment exists)
    Tracking,
    /// `{package_id}` (empty before a shipment exists)
    PackageId,
    /// `{station}`
    Station,
    /// `{packer}` (empty when nobody is signed in)
    Packer,
}

impl Placeholder {
    /// Every placeholder with its name.
    pub const ALL: [(&'static str, Placeholder); 12] = [
        ("order.number", Placeholder::OrderNumber),
        ("order.key", Placeholder::OrderKey),
        ("order.source", Placeholder::OrderSource),
        ("order.status", Placeholder::OrderStatus),
        ("order.total", Placeholder::OrderTotal),
        ("order.carrier", Placeholder::OrderCarrier),
        ("order.service", Placeholder::OrderService),
        ("order.country", Placeholder::OrderCountry),
        ("tracking", Placeholder::Tracking),
        ("package_id", Placeholder::PackageId),
        ("station", Placeholder::Station),
        ("packer", Placeholder::Packer),
    ];

    fn value(self, f: &Facts) -> String {
        match self {
            Placeholder::OrderNumber => f.order_number.clone(),
            Placeholder::OrderKey => f.order_key.clone(),
            Placeholder::OrderSource => f.source.clone(),
            Placeholder::OrderStatus => f.shop_status.clone(),
            Placeholder::OrderTotal => f.total.to_string(),
            Placeholder::OrderCarrier => f.carrier.clone(),
            Placeholder::OrderService => f.service.clone(),
            Placeholder::OrderCountry => f.country.clone(),
            Placeholder::Tracking => f.tracking.clone().unwrap_or_default(),
            Placeholder::PackageId => f.package_id.clone().unwrap_or_default(),
            Placeholder::Station => f.station.clone(),
            Placeholder::Packer => f.packer.clone().unwrap_or_default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(String),
    Var(Placeholder),
}

/// A parsed text with placeholders. Serialised as its source text.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    source: String,
    parts: Vec<Part>,
}

/// Why a text does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// `{name}` with a name that is not a placeholder.
    #[error("unknown placeholder `{{{0}}}` (known: {known})", known = known())]
    Unknown(String),
    /// A `{` without its `}`.
    #[error("unclosed `{{` at character {0} (write `{{{{` for a literal brace)")]
    Unclosed(usize),
    /// A `}` without its `{`.
    #[error("lone `}}` at character {0} (write `}}}}` for a literal brace)")]
    Lone(usize),
}

fn known() -> String {
    Placeholder::ALL
        .iter()
        .map(|(n, _)| format!("{{{n}}}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Template {
    /// Parses `source`.
    pub fn parse(source: &str) -> Result<Template, TemplateError> {
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut chars = source.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '{' if chars.peek().map(|p| p.1) == Some('{') => {
                    chars.next();
                    text.push('{');
                }
                '}' if chars.peek().map(|p| p.1) == Some('}') => {
                    chars.next();
                    text.push('}');
                }
                '{' => {
                    let mut name = String::new();
                    let mut closed = false;
                    for (_, c) in chars.by_ref() {
                        if c == '}' {
                            closed = true;
                            break;
                        }
                        name.push(c);
                    }
                    if !closed {
                        return Err(TemplateError::Unclosed(source[..i].chars().count() + 1));
                    }
                    let name = name.trim();
                    let Some((_, p)) = Placeholder::ALL.iter().find(|(n, _)| *n == name) else {
                        return Err(TemplateError::Unknown(name.to_string()));
                    };
                    if !text.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut text)));
                    }
                    parts.push(Part::Var(*p));
                }
                '}' => return Err(TemplateError::Lone(source[..i].chars().count() + 1)),
                c => text.push(c),
            }
        }
        if !text.is_empty() {
            parts.push(Part::Text(text));
        }
        Ok(Template {
            source: source.to_string(),
            parts,
        })
    }

    /// The text as written in the file.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The text with placeholders filled from `facts` (unknown values are empty). Render
    /// at execution time: `{tracking}` exists only after `create_shipment` ran.
    pub fn render(&self, facts: &Facts) -> String {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Text(t) => out.push_str(t),
                Part::Var(v) => out.push_str(&v.value(facts)),
            }
        }
        out
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl Serialize for Template {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.source)
    }
}

impl<'de> Deserialize<'de> for Template {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Template, D::Error> {
        let s = String::deserialize(d)?;
        Template::parse(&s).map_err(serde::de::Error::custom)
    }
}
