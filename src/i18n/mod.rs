//! The message catalog: every text the bench shows, in English, Czech and Polish.
//!
//! Catalogs are flat TOML files (`key = "text"`) in `src/i18n/`, embedded in the binary.
//! Texts may hold `{name}` placeholders, filled by [`Catalog::tf`]; `{{` and `}}` stand for
//! literal braces. A key missing from a language falls back to English, then to the key
//! itself, so a missing text is visible but never fatal.

use std::collections::HashMap;
use std::fmt;
use std::sync::LazyLock;

use crate::app::Action;
use crate::domain::text::sanitize;

/// A language packdesk speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// English (the default and the fallback).
    En,
    /// Czech.
    Cs,
    /// Polish.
    Pl,
}

impl Lang {
    /// Every language.
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Cs, Lang::Pl];

    /// The ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Cs => "cs",
            Lang::Pl => "pl",
        }
    }

    /// A language from a code or a locale name: `en`, `cs`, `cz`, `pl`, `cs_CZ.UTF-8`,
    /// `pl-PL`, `en_GB@euro` (case-insensitive). `None` for anything else (`C`, `de_DE`).
    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim();
        let end = s.find(['_', '-', '.', '@']).unwrap_or(s.len());
        match s[..end].to_ascii_lowercase().as_str() {
            "en" => Some(Lang::En),
            "cs" | "cz" => Some(Lang::Cs),
            "pl" => Some(Lang::Pl),
            _ => None,
        }
    }

    /// The language to use: the configured one if it names a language (not `auto`), else
    /// the first language of the locale environment value (`LANGUAGE` style lists such as
    /// `pl:en` are understood), else English.
    pub fn detect(config: Option<&str>, lang_env: Option<&str>) -> Lang {
        if let Some(c) = config
            .map(str::trim)
            .filter(|c| !c.is_empty() && *c != "auto")
        {
            match Lang::parse(c) {
                Some(lang) => return lang,
                None => tracing::warn!(language = c, "unknown configured language ignored"),
            }
        }
        lang_env
            .into_iter()
            .flat_map(|v| v.split(':'))
            .find_map(Lang::parse)
            .unwrap_or(Lang::En)
    }

    fn source(self) -> &'static str {
        match self {
            Lang::En => include_str!("en.toml"),
            Lang::Cs => include_str!("cs.toml"),
            Lang::Pl => include_str!("pl.toml"),
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

type Texts = HashMap<String, String>;

fn parse_catalog(lang: Lang) -> Texts {
    match toml::from_str::<Texts>(lang.source()) {
        Ok(t) => t,
        Err(e) => {
            // The embedded catalogs are checked by tests; this is only a safety net.
            tracing::error!(lang = %lang, error = %e, "embedded message catalog does not parse");
            Texts::new()
        }
    }
}

static EN: LazyLock<Texts> = LazyLock::new(|| parse_catalog(Lang::En));
static CS: LazyLock<Texts> = LazyLock::new(|| parse_catalog(Lang::Cs));
static PL: LazyLock<Texts> = LazyLock::new(|| parse_catalog(Lang::Pl));

fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::En => &EN,
        Lang::Cs => &CS,
        Lang::Pl => &PL,
    }
}

/// The texts of one language, with English as the fallback.
#[derive(Debug, Clone, Copy)]
pub struct Catalog {
    lang: Lang,
    own: &'static Texts,
}

impl Catalog {
    /// The catalog for `lang`.
    pub fn new(lang: Lang) -> Catalog {
        Catalog {
            lang,
            own: texts(lang),
        }
    }

    /// Its language.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    fn get(&self, key: &str) -> Option<&'static str> {
        self.own
            .get(key)
            .or_else(|| EN.get(key))
            .map(String::as_str)
    }

    /// The text for `key`; English when this language lacks it; the key itself when
    /// English lacks it too.
    pub fn t<'a>(&'a self, key: &'a str) -> &'a str {
        self.get(key).unwrap_or(key)
    }

    /// The name of an action (`action.<name>`), for help screens and key hints; the
    /// action's own name when no catalog has it.
    pub fn action(&self, action: Action) -> &'static str {
        self.get(&format!("action.{}", action.name()))
            .unwrap_or(action.name())
    }

    /// The text for `key` with its `{name}` placeholders filled from `args`. Argument
    /// values are sanitised (they often come from outside: codes, names). A placeholder
    /// without an argument is left as written.
    pub fn tf(&self, key: &str, args: &[(&str, &dyn fmt::Display)]) -> String {
        let mut out = String::new();
        for piece in Pieces::new(self.t(key)) {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Var(name) => match args.iter().find(|(n, _)| *n == name) {
                    Some((_, value)) => out.push_str(&sanitize(&value.to_string())),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                },
            }
        }
        out
    }

    /// The keys this language's own file defines (sorted), without the English fallback.
    pub fn keys(&self) -> Vec<&'static str> {
        let mut keys: Vec<&'static str> = self.own.keys().map(String::as_str).collect();
        keys.sort_unstable();
        keys
    }
}

/// The placeholder names in a catalog text, in order (`"{name} {scanned}/{quantity}"` →
/// `["name", "scanned", "quantity"]`).
pub fn placeholders(text: &str) -> Vec<&str> {
    Pieces::new(text)
        .filter_map(|p| match p {
            Piece::Var(v) => Some(v),
            Piece::Text(_) => None,
        })
        .collect()
}

enum Piece<'a> {
    Text(&'a str),
    Var(&'a str),
}

/// Splits a text into literal runs and `{name}` placeholders; `{{`/`}}` are literal
/// braces and an unclosed `{` is literal text.
struct Pieces<'a> {
    rest: &'a str,
}

impl<'a> Pieces<'a> {
    fn new(text: &'a str) -> Pieces<'a> {
        Pieces { rest: text }
    }
}

impl<'a> Iterator for Pieces<'a> {
    type Item = Piece<'a>;

    fn next(&mut self) -> Option<Piece<'a>> {
        let rest = self.rest;
        if rest.is_empty() {
            return None;
        }
        if let Some(after) = rest.strip_prefix("{{") {
            self.rest = after;
            return Some(Piece::Text("{"));
        }
        if let Some(after) = rest.strip_prefix("}}") {
            self.rest = after;
            return Some(Piece::Text("}"));
        }
        if let Some(after) = rest.strip_prefix('{')
            && let Some(close) = after.find('}')
        {
            let name = &after[..close];
            if !name.is_empty() && !name.contains('{') {
                self.rest = &after[close + 1..];
                return Some(Piece::Var(name));
            }
        }
        // A literal run up to the next brace (at least one character).
        let first = rest.chars().next().map_or(1, char::len_utf8);
        let end = rest[first..]
            .find(['{', '}'])
            .map_or(rest.len(), |i| i + first);
        self.rest = &rest[end..];
        Some(Piece::Text(&rest[..end]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_language_tags() {
        assert_eq!(Lang::parse("cs_CZ.UTF-8"), Some(Lang::Cs));
        assert_eq!(Lang::parse("CZ"), Some(Lang::Cs));
        assert_eq!(Lang::parse("pl-PL"), Some(Lang::Pl));
        assert_eq!(Lang::parse("en_GB@euro"), Some(Lang::En));
        assert_eq!(Lang::parse("C"), None);
        assert_eq!(Lang::parse("de_DE.UTF-8"), None);
        assert_eq!(Lang::parse(""), None);
    }

    #[test]
    fn detects_config_then_environment_then_english() {
        assert_eq!(Lang::detect(Some("pl"), Some("cs_CZ.UTF-8")), Lang::Pl);
        assert_eq!(Lang::detect(Some("auto"), Some("cs_CZ.UTF-8")), Lang::Cs);
        assert_eq!(Lang::detect(Some("klingon"), Some("de:pl:en")), Lang::Pl);
        assert_eq!(Lang::detect(None, Some("C.UTF-8")), Lang::En);
        assert_eq!(Lang::detect(None, None), Lang::En);
    }

    #[test]
    fn formats_placeholders_and_braces() {
        let cat = Catalog::new(Lang::En);
        let s = cat.tf(
            "banner.accepted",
            &[("name", &"Mug"), ("scanned", &2), ("quantity", &3)],
        );
        assert_eq!(s, "Mug 2/3");
        let code = "85\u{1b}[2J94";
        assert_eq!(
            cat.tf("reject.unknown_code", &[("code", &code)]),
            "Unknown code: 8594"
        );
        assert_eq!(cat.tf("reject.unknown_code", &[]), "Unknown code: {code}");
        assert_eq!(placeholders("{a} {{b}} {c"), vec!["a"]);
        let texts: Vec<String> = Pieces::new("x{{y}}{z}ž{")
            .map(|p| match p {
                Piece::Text(t) => t.to_string(),
                Piece::Var(v) => format!("<{v}>"),
            })
            .collect();
        assert_eq!(texts.concat(), "x{y}<z>ž{");
    }

    #[test]
    fn falls_back_to_english_then_key() {
        let cs = Catalog::new(Lang::Cs);
        assert_eq!(cs.lang(), Lang::Cs);
        assert_eq!(cs.t("no.such.key"), "no.such.key");
        assert_ne!(cs.t("help.title"), Catalog::new(Lang::En).t("help.title"));
        assert_eq!(Catalog::new(Lang::En).action(Action::Quit), "Quit");
    }
}
