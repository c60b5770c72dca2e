//! Keymaps: TOML files that bind helix-style key strings (`C-q`, `A-x`, `S-tab`, `F2`,
//! `ret`, `/`) to named [`Action`]s, per [`KeyContext`].
//!
//! The shipped keymaps live in `keymaps/` and are embedded in the binary. A user file has
//! the same shape and overrides the chosen built-in keymap *per key*: a key it does not
//! mention keeps its built-in binding. The action `"noop"` unbinds a key in that context
//! (and stops the lookup from falling through to `[global]` for that key).
//!
//! ```toml
//! [pack]
//! "F2"  = "pack.pack"
//! "C-z" = { action = "pack.undo", desc = "Take back the last scan" }
//! "F12" = "noop"
//! ```
//!
//! Descriptions: a binding may carry its own `desc`; otherwise the help screen uses the
//! message catalog (`action.<name>`, see [`Binding::describe`]). The shipped keymaps give
//! no `desc`, so their help screen is translated.

use std::fmt;
use std::ops::Range;
use std::path::Path;
use std::str::FromStr;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::app::Action;
use crate::domain::text::sanitize;
use crate::i18n::Catalog;

/// The action name that unbinds a key.
const NOOP: &str = "noop";

/// The modifiers a key string can name; every other modifier bit of an event is ignored.
const CHORD_MODS: KeyModifiers = KeyModifiers::CONTROL
    .union(KeyModifiers::ALT)
    .union(KeyModifiers::SHIFT);

/// One key with its modifiers, as written in a keymap file (`C-q`, `F2`, `S-up`, `/`).
///
/// Parsing normalises: `S-tab` is `backtab`; `S-a` is `A` (characters carry their shift in
/// the character itself); with Control, ASCII letters are lower case (`C-Q` is `C-q`, since
/// terminals cannot tell them apart). [`fmt::Display`] writes the canonical string, which
/// parses back to the same chord.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyChord {
    /// The key.
    pub code: KeyCode,
    /// Control, Alt and (for non-character keys) Shift.
    pub mods: KeyModifiers,
}

/// Why a key string is not a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyParseError {
    /// Nothing to parse.
    #[error("empty key string")]
    Empty,
    /// The same modifier twice (`C-C-x`).
    #[error("modifier `{0}-` given twice")]
    DuplicateModifier(char),
    /// Not a single character, F-key or known key name.
    #[error(
        "unknown key name `{0}` (expected one character, F1..F12, or one of: ret esc tab backtab space minus backspace del ins home end pageup pagedown up down left right)"
    )]
    UnknownName(String),
    /// A control character written literally.
    #[error("control character U+{0:04X} cannot be bound; use C-<letter>")]
    ControlChar(u32),
    /// `S-` on a character that is not a letter (`S-1`): write the shifted character.
    #[error("`S-{0}`: write the shifted character itself instead of S-")]
    ShiftedChar(char),
}

impl KeyChord {
    /// A chord from a key and modifiers, normalised as a parsed key string would be.
    pub fn new(code: KeyCode, mods: KeyModifiers) -> KeyChord {
        let mut mods = mods & CHORD_MODS;
        let code = match code {
            KeyCode::Char(c) => {
                mods.remove(KeyModifiers::SHIFT);
                if mods.contains(KeyModifiers::CONTROL) {
                    KeyCode::Char(c.to_ascii_lowercase())
                } else {
                    KeyCode::Char(c)
                }
            }
            KeyCode::BackTab => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            KeyCode::Tab if mods.contains(KeyModifiers::SHIFT) => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            other => other,
        };
        KeyChord { code, mods }
    }

    /// The chord a terminal key event stands for (Shift on characters and other modifier
    /// bits such as Super are dropped, as in [`KeyChord::new`]).
    pub fn from_event(ev: &KeyEvent) -> KeyChord {
        KeyChord::new(ev.code, ev.modifiers)
    }

    /// True for a key that types text: a character without Control or Alt. Such keys must
    /// not be bound where scans or text are typed.
    pub fn is_printable(&self) -> bool {
        matches!(self.code, KeyCode::Char(_))
            && !self
                .mods
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
    }
}

fn named_key(name: &str) -> Option<KeyCode> {
    let code = match name.to_ascii_lowercase().as_str() {
        "ret" => KeyCode::Enter,
        "esc" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "backtab" => KeyCode::BackTab,
        "space" => KeyCode::Char(' '),
        "minus" => KeyCode::Char('-'),
        "backspace" => KeyCode::Backspace,
        "del" => KeyCode::Delete,
        "ins" => KeyCode::Insert,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "pageup" => KeyCode::PageUp,
        "pagedown" => KeyCode::PageDown,
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        lower => {
            let n: u8 = lower.strip_prefix('f')?.parse().ok()?;
            if (1..=12).contains(&n) && !lower.starts_with("f0") {
                KeyCode::F(n)
            } else {
                return None;
            }
        }
    };
    Some(code)
}

impl FromStr for KeyChord {
    type Err = KeyParseError;

    fn from_str(s: &str) -> Result<KeyChord, KeyParseError> {
        if s.is_empty() {
            return Err(KeyParseError::Empty);
        }
        let mut mods = KeyModifiers::NONE;
        let mut rest = s;
        loop {
            let flag = match rest.as_bytes() {
                [b'C', b'-', _, ..] => KeyModifiers::CONTROL,
                [b'A', b'-', _, ..] => KeyModifiers::ALT,
                [b'S', b'-', _, ..] => KeyModifiers::SHIFT,
                _ => break,
            };
            if mods.contains(flag) {
                let letter = rest.chars().next().unwrap_or('?');
                return Err(KeyParseError::DuplicateModifier(letter));
            }
            mods |= flag;
            rest = &rest[2..];
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => {
                if c.is_control() {
                    return Err(KeyParseError::ControlChar(u32::from(c)));
                }
                if mods.contains(KeyModifiers::SHIFT) {
                    if !c.is_alphabetic() {
                        return Err(KeyParseError::ShiftedChar(c));
                    }
                    let mut upper = c.to_uppercase();
                    match (upper.next(), upper.next()) {
                        (Some(u), None) => KeyCode::Char(u),
                        _ => return Err(KeyParseError::ShiftedChar(c)),
                    }
                } else {
                    KeyCode::Char(c)
                }
            }
            _ => named_key(rest).ok_or_else(|| KeyParseError::UnknownName(sanitize(rest)))?,
        };
        Ok(KeyChord::new(code, mods))
    }
}

impl fmt::Display for KeyChord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("C-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("A-")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("S-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char('-') => f.write_str("minus"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "F{n}"),
            KeyCode::Enter => f.write_str("ret"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("backtab"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Delete => f.write_str("del"),
            KeyCode::Insert => f.write_str("ins"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::PageUp => f.write_str("pageup"),
            KeyCode::PageDown => f.write_str("pagedown"),
            KeyCode::Up => f.write_str("up"),
            KeyCode::Down => f.write_str("down"),
            KeyCode::Left => f.write_str("left"),
            KeyCode::Right => f.write_str("right"),
            // Chords are only built from key strings or normalised events; a key without a
            // name (media keys, …) is shown as crossterm names it.
            other => write!(f, "{other}"),
        }
    }
}

/// Where keys are looked up: the screen or mode with focus. Every context falls back to
/// [`KeyContext::Global`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyContext {
    /// Everywhere, after the focused context.
    Global,
    /// The order queue.
    Queue,
    /// The pack screen, where scans are typed: no printable keys.
    Pack,
    /// The queue's filter line, where text is typed.
    Filter,
    /// The help screen.
    Help,
    /// A one-line prompt (quantity, weight, serial, reason, packer), where text is typed.
    Prompt,
}

impl KeyContext {
    /// Every context, in file order.
    pub const ALL: [KeyContext; 6] = [
        KeyContext::Global,
        KeyContext::Queue,
        KeyContext::Pack,
        KeyContext::Filter,
        KeyContext::Help,
        KeyContext::Prompt,
    ];

    /// The TOML table name of the context.
    pub fn name(self) -> &'static str {
        match self {
            KeyContext::Global => "global",
            KeyContext::Queue => "queue",
            KeyContext::Pack => "pack",
            KeyContext::Filter => "filter",
            KeyContext::Help => "help",
            KeyContext::Prompt => "prompt",
        }
    }

    /// The context a TOML table name names.
    pub fn from_name(name: &str) -> Option<KeyContext> {
        KeyContext::ALL.into_iter().find(|c| c.name() == name)
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for KeyContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One key bound to an action in one context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The key.
    pub chord: KeyChord,
    /// What it does.
    pub action: Action,
    /// The file's own description, if it gave one.
    pub desc: Option<String>,
}

impl Binding {
    /// The text for the help screen: the binding's own `desc`, or the catalog's
    /// `action.<name>` text.
    pub fn describe<'a>(&'a self, catalog: &'a Catalog) -> &'a str {
        match &self.desc {
            Some(d) => d,
            None => catalog.action(self.action),
        }
    }
}

/// A place in a keymap or theme file, shown as `file:line:column`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file (a path, or `keymaps/<name>.toml` for a built-in).
    pub file: String,
    /// 1-based line; 0 when the parser gave no position.
    pub line: usize,
    /// 1-based column in characters; 0 when unknown.
    pub column: usize,
}

impl Location {
    /// The location of byte `span.start` of `src`, in `file`.
    pub(crate) fn new(file: &str, src: &str, span: Option<Range<usize>>) -> Location {
        let (line, column) = match span {
            Some(span) => {
                let start = floor_char_boundary(src, span.start);
                let before = &src[..start];
                let line = before.matches('\n').count() + 1;
                let line_start = before.rfind('\n').map_or(0, |i| i + 1);
                (line, src[line_start..start].chars().count() + 1)
            }
            None => (0, 0),
        };
        Location {
            file: file.to_string(),
            line,
            column,
        }
    }

    /// The text of this location's line in `src`, trimmed (empty when unknown).
    pub(crate) fn line_text(&self, src: &str) -> String {
        match self.line.checked_sub(1) {
            Some(i) => sanitize(src.lines().nth(i).unwrap_or("").trim()),
            None => String::new(),
        }
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.file)
        } else {
            write!(f, "{}:{}:{}", self.file, self.line, self.column)
        }
    }
}

/// A keymap that could not be loaded. Every variant about file content names the file,
/// line, column and the key.
#[derive(Debug, thiserror::Error)]
pub enum KeymapError {
    /// No shipped keymap has this name.
    #[error("unknown built-in keymap `{0}` (shipped: default, no-fkeys)")]
    UnknownBuiltin(String),
    /// The user file exists but cannot be read.
    #[error("cannot read keymap file {file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// The reason.
        source: std::io::Error,
    },
    /// Not valid TOML.
    #[error("{at}: TOML syntax error: {message} (in `{text}`)")]
    Syntax {
        /// Where.
        at: Location,
        /// The parser's message.
        message: String,
        /// The offending line.
        text: String,
    },
    /// A table that is not one of the contexts.
    #[error(
        "{at}: unknown context `[{context}]` (expected one of: global, queue, pack, filter, help, prompt)"
    )]
    UnknownContext {
        /// Where.
        at: Location,
        /// The table name.
        context: String,
    },
    /// A key string that does not parse.
    #[error("{at}: [{context}] key `{key}`: bad key string: {reason}")]
    BadKey {
        /// Where.
        at: Location,
        /// The context table.
        context: KeyContext,
        /// The key string.
        key: String,
        /// Why.
        reason: KeyParseError,
    },
    /// An action name packdesk does not know.
    #[error("{at}: [{context}] key `{key}`: unknown action `{action}`")]
    UnknownAction {
        /// Where.
        at: Location,
        /// The context table.
        context: KeyContext,
        /// The key string.
        key: String,
        /// The unknown name.
        action: String,
    },
    /// A value of the wrong shape (not an action name or `{ action, desc }`), or a context
    /// that is not a table.
    #[error("{at}: [{context}] key `{key}`: {message}")]
    BadValue {
        /// Where.
        at: Location,
        /// The context table (or the top-level key).
        context: String,
        /// The key string.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// Two key strings in one table name the same key (`S-tab` and `backtab`).
    #[error("{at}: [{context}] key `{key}` binds the same key as `{first}` on line {first_line}")]
    DuplicateKey {
        /// Where (the second one).
        at: Location,
        /// The context table.
        context: KeyContext,
        /// The second key string.
        key: String,
        /// The first key string.
        first: String,
        /// The first one's line.
        first_line: usize,
    },
}

#[derive(Debug, Clone)]
struct Entry {
    chord: KeyChord,
    /// `None`: unbound (`"noop"`).
    action: Option<Action>,
    desc: Option<String>,
}

/// Key bindings per context, resolved from a shipped keymap and an optional user file.
#[derive(Debug, Clone)]
pub struct Keymap {
    tables: [Vec<Entry>; 6],
}

const BUILTINS: &[(&str, &str)] = &[
    ("default", include_str!("../../keymaps/default.toml")),
    ("no-fkeys", include_str!("../../keymaps/no-fkeys.toml")),
];

impl Keymap {
    /// Names of the shipped keymaps.
    pub fn builtin_names() -> impl Iterator<Item = &'static str> {
        BUILTINS.iter().map(|(n, _)| *n)
    }

    /// A shipped keymap: `"default"` or `"no-fkeys"`.
    pub fn builtin(name: &str) -> Result<Keymap, KeymapError> {
        let (name, src) = BUILTINS
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| KeymapError::UnknownBuiltin(sanitize(name)))?;
        let mut map = Keymap {
            tables: Default::default(),
        };
        map.apply(&format!("keymaps/{name}.toml"), src)?;
        Ok(map)
    }

    /// The shipped keymap `name`, overridden per key by the user file `user` when given and
    /// present (a missing user file is not an error).
    pub fn load(name: &str, user: Option<&Path>) -> Result<Keymap, KeymapError> {
        let mut map = Keymap::builtin(name)?;
        let Some(path) = user else {
            return Ok(map);
        };
        let file = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(src) => {
                map.apply(&file, &src)?;
                tracing::debug!(file = %file, "user keymap applied");
                Ok(map)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::debug!(file = %file, "no user keymap");
                Ok(map)
            }
            Err(source) => Err(KeymapError::Io { file, source }),
        }
    }

    /// The action for a key event in `ctx`: the context's own binding first, then
    /// `[global]`. A key unbound with `"noop"` in `ctx` does nothing there. Key releases
    /// never match.
    pub fn lookup(&self, ctx: KeyContext, key: &KeyEvent) -> Option<Action> {
        if key.kind == KeyEventKind::Release {
            return None;
        }
        self.lookup_chord(ctx, KeyChord::from_event(key))
    }

    fn lookup_chord(&self, ctx: KeyContext, chord: KeyChord) -> Option<Action> {
        match self.entry(ctx, chord) {
            Some(e) => e.action,
            None if ctx != KeyContext::Global => {
                self.entry(KeyContext::Global, chord).and_then(|e| e.action)
            }
            None => None,
        }
    }

    fn entry(&self, ctx: KeyContext, chord: KeyChord) -> Option<&Entry> {
        self.tables[ctx.index()].iter().find(|e| e.chord == chord)
    }

    /// The bindings of `ctx` itself (not `[global]`), in file order (user additions after
    /// the built-in ones). Unbound keys are left out.
    pub fn bindings(&self, ctx: KeyContext) -> Vec<Binding> {
        self.tables[ctx.index()]
            .iter()
            .filter_map(|e| {
                e.action.map(|action| Binding {
                    chord: e.chord,
                    action,
                    desc: e.desc.clone(),
                })
            })
            .collect()
    }

    /// The first key that triggers `action` in `ctx` (its own table first, then a
    /// `[global]` key that `ctx` does not shadow), for key hints like "F2 Pack".
    pub fn key_for(&self, ctx: KeyContext, action: Action) -> Option<KeyChord> {
        let own = self.tables[ctx.index()]
            .iter()
            .find(|e| e.action == Some(action))
            .map(|e| e.chord);
        own.or_else(|| {
            self.tables[KeyContext::Global.index()]
                .iter()
                .filter(|e| e.action == Some(action))
                .map(|e| e.chord)
                .find(|chord| self.lookup_chord(ctx, *chord) == Some(action))
        })
    }

    /// Parses one keymap file and lays its bindings over `self`, per key.
    fn apply(&mut self, file: &str, src: &str) -> Result<(), KeymapError> {
        let doc = DeTable::parse(src).map_err(|e| {
            let at = Location::new(file, src, e.span());
            KeymapError::Syntax {
                text: at.line_text(src),
                message: e.message().trim().to_string(),
                at,
            }
        })?;
        let mut contexts: Vec<_> = doc.get_ref().iter().collect();
        contexts.sort_by_key(|(k, _)| k.span().start);
        for (ctx_key, ctx_val) in contexts {
            let at = Location::new(file, src, Some(ctx_key.span()));
            let Some(ctx) = KeyContext::from_name(ctx_key.get_ref()) else {
                return Err(KeymapError::UnknownContext {
                    at,
                    context: sanitize(ctx_key.get_ref()),
                });
            };
            let DeValue::Table(table) = ctx_val.get_ref() else {
                return Err(KeymapError::BadValue {
                    at,
                    context: ctx.name().to_string(),
                    key: ctx.name().to_string(),
                    message: format!(
                        "a context must be a table of key = action, found {}",
                        ctx_val.get_ref().type_str()
                    ),
                });
            };
            let entries = parse_context(file, src, ctx, table)?;
            let dest = &mut self.tables[ctx.index()];
            for entry in entries {
                match dest.iter_mut().find(|e| e.chord == entry.chord) {
                    Some(old) => *old = entry,
                    None => dest.push(entry),
                }
            }
        }
        Ok(())
    }
}

fn parse_context(
    file: &str,
    src: &str,
    ctx: KeyContext,
    table: &DeTable<'_>,
) -> Result<Vec<Entry>, KeymapError> {
    let mut keys: Vec<_> = table.iter().collect();
    keys.sort_by_key(|(k, _)| k.span().start);
    let mut out: Vec<(Entry, String, usize)> = Vec::with_capacity(keys.len());
    for (key, value) in keys {
        let key_str = key.get_ref().as_ref();
        // Shown in error messages, which reach the terminal.
        let shown = sanitize(key_str);
        let at = Location::new(file, src, Some(key.span()));
        let chord = key_str
            .parse::<KeyChord>()
            .map_err(|reason| KeymapError::BadKey {
                at: at.clone(),
                context: ctx,
                key: shown.clone(),
                reason,
            })?;
        let (action, desc) = parse_value(file, src, ctx, &shown, value)?;
        if let Some((_, first, first_line)) = out.iter().find(|(e, _, _)| e.chord == chord) {
            return Err(KeymapError::DuplicateKey {
                at,
                context: ctx,
                key: shown,
                first: first.clone(),
                first_line: *first_line,
            });
        }
        let line = at.line;
        out.push((
            Entry {
                chord,
                action,
                desc,
            },
            shown,
            line,
        ));
    }
    Ok(out.into_iter().map(|(e, _, _)| e).collect())
}

/// `"action.name"`, `"noop"` or `{ action = "…", desc = "…" }`.
fn parse_value(
    file: &str,
    src: &str,
    ctx: KeyContext,
    key: &str,
    value: &Spanned<DeValue<'_>>,
) -> Result<(Option<Action>, Option<String>), KeymapError> {
    let bad = |span: Range<usize>, message: String| KeymapError::BadValue {
        at: Location::new(file, src, Some(span)),
        context: ctx.name().to_string(),
        key: key.to_string(),
        message,
    };
    let (name, desc) = match value.get_ref() {
        DeValue::String(s) => (Spanned::new(value.span(), s.as_ref()), None),
        DeValue::Table(t) => {
            let mut name = None;
            let mut desc = None;
            for (field, v) in t.iter() {
                let DeValue::String(s) = v.get_ref() else {
                    return Err(bad(
                        v.span(),
                        format!("`{}` must be a string", sanitize(field.get_ref())),
                    ));
                };
                match field.get_ref().as_ref() {
                    "action" => name = Some(Spanned::new(v.span(), s.as_ref())),
                    "desc" => desc = Some(sanitize(s)),
                    other => {
                        return Err(bad(
                            field.span(),
                            format!(
                                "unknown field `{}` (expected `action` and `desc`)",
                                sanitize(other)
                            ),
                        ));
                    }
                }
            }
            let name =
                name.ok_or_else(|| bad(value.span(), "missing `action` field".to_string()))?;
            (name, desc)
        }
        other => {
            return Err(bad(
                value.span(),
                format!(
                    "expected an action name or {{ action = \"…\", desc = \"…\" }}, found {}",
                    other.type_str()
                ),
            ));
        }
    };
    if *name.get_ref() == NOOP {
        return Ok((None, desc));
    }
    let action = name
        .get_ref()
        .parse::<Action>()
        .map_err(|_| KeymapError::UnknownAction {
            at: Location::new(file, src, Some(name.span())),
            context: ctx,
            key: key.to_string(),
            action: sanitize(name.get_ref()),
        })?;
    Ok((Some(action), desc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chord(s: &str) -> KeyChord {
        match s.parse() {
            Ok(c) => c,
            Err(e) => panic!("{s}: {e}"),
        }
    }

    fn press(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn parses_and_normalises_key_strings() {
        assert_eq!(
            chord("C-q"),
            KeyChord::new(KeyCode::Char('q'), KeyModifiers::CONTROL)
        );
        assert_eq!(chord("C-Q"), chord("C-q"));
        assert_eq!(chord("S-tab"), chord("backtab"));
        assert_eq!(chord("S-a").code, KeyCode::Char('A'));
        assert_eq!(chord("S-a").mods, KeyModifiers::NONE);
        assert_eq!(chord("F12").code, KeyCode::F(12));
        assert_eq!(chord("S-up").mods, KeyModifiers::SHIFT);
        assert_eq!(
            chord("C-A-del").mods,
            KeyModifiers::CONTROL | KeyModifiers::ALT
        );
        assert_eq!(chord("-").code, KeyCode::Char('-'));
        assert_eq!(chord("C--").to_string(), "C-minus");
        assert_eq!(chord("ě").code, KeyCode::Char('ě'));
    }

    #[test]
    fn rejects_bad_key_strings() {
        for bad in [
            "", "F13", "F0", "F01", "ctrl-q", "C-", "C-C-x", "S-1", "retx", "\u{7}",
        ] {
            assert!(bad.parse::<KeyChord>().is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn event_matching_ignores_shift_on_characters() {
        let map = Keymap {
            tables: Default::default(),
        };
        let mut map = map;
        let src = "[queue]\n\"Q\" = \"app.quit\"\n\"/\" = \"queue.filter\"\n\"S-tab\" = \"queue.prev_tab\"\n";
        assert!(map.apply("t.toml", src).is_ok());
        let q = press(KeyCode::Char('Q'), KeyModifiers::SHIFT);
        assert_eq!(map.lookup(KeyContext::Queue, &q), Some(Action::Quit));
        let q_lower = press(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(map.lookup(KeyContext::Queue, &q_lower), None);
        let back = press(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(map.lookup(KeyContext::Queue, &back), Some(Action::PrevTab));
        let mut release = press(KeyCode::Char('/'), KeyModifiers::NONE);
        assert_eq!(
            map.lookup(KeyContext::Queue, &release),
            Some(Action::Filter)
        );
        release.kind = KeyEventKind::Release;
        assert_eq!(map.lookup(KeyContext::Queue, &release), None);
    }

    #[test]
    fn noop_shadows_global_and_user_overrides_per_key() {
        let mut map = Keymap {
            tables: Default::default(),
        };
        let base = "[global]\n\"C-q\" = \"app.quit\"\n\"F1\" = \"app.help\"\n";
        let user = "[pack]\n\"C-q\" = \"noop\"\n[global]\n\"F1\" = { action = \"app.back\", desc = \"Zp\\u001b[2Jět\" }\n";
        assert!(map.apply("base.toml", base).is_ok());
        assert!(map.apply("user.toml", user).is_ok());
        let cq = press(KeyCode::Char('q'), KeyModifiers::CONTROL);
        assert_eq!(map.lookup(KeyContext::Queue, &cq), Some(Action::Quit));
        assert_eq!(map.lookup(KeyContext::Pack, &cq), None);
        assert_eq!(map.key_for(KeyContext::Pack, Action::Quit), None);
        assert_eq!(
            map.key_for(KeyContext::Queue, Action::Quit),
            Some(chord("C-q"))
        );
        let g = map.bindings(KeyContext::Global);
        assert_eq!(g.len(), 2);
        assert_eq!(g[1].action, Action::Back);
        assert_eq!(g[1].desc.as_deref(), Some("Zpět"));
        assert!(map.bindings(KeyContext::Pack).is_empty());
    }

    #[test]
    fn location_counts_lines_and_characters() {
        let src = "a\nčč = 1\n";
        let at = Location::new("f.toml", src, Some(7..8));
        assert_eq!((at.line, at.column), (2, 4));
        assert_eq!(at.to_string(), "f.toml:2:4");
        assert_eq!(at.line_text(src), "čč = 1");
    }
}
