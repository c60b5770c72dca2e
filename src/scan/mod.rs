//! The scan assembler: keystrokes from a keyboard-wedge scanner → [`Scan`]s.
//!
//! Pure: no I/O and no clock. The caller passes every key with a monotonic time in
//! milliseconds and gets back, when a terminator arrives, one [`Assembled`] result.
//!
//! What happens to a completed scan, in order:
//! 1. the keyboard-layout reverse map ([`Layout`], see [`layout`]) turns what the
//!    station's layout typed back into what the US-programmed scanner meant;
//! 2. the configured prefix is checked and stripped ([`RejectReason::MissingPrefix`]);
//! 3. an AIM symbology identifier (`]C1`, `]d2`, `]Q3`, `]E0`, …) is stripped;
//! 4. the code is classified: command barcode (`PD:…`), GS1 element string, GTIN, other;
//! 5. the same code again within `double_fire_ms` is reported as [`Assembled::DoubleFire`].
//!
//! ```
//! use packdesk::scan::{Assembled, Assembler, KeyIn, ScanConfig, ScanKind};
//! let mut asm = Assembler::new(ScanConfig::default());
//! let mut t = 0;
//! for c in "4006381333931".chars() {
//!     assert_eq!(asm.key(KeyIn::Char(c), t), None);
//!     t += 2;
//! }
//! match asm.key(KeyIn::Enter, t) {
//!     Some(Assembled::Scan(s)) => {
//!         assert_eq!(s.kind, ScanKind::Gtin("04006381333931".into()));
//!         assert!(!s.typed);
//!     }
//!     other => panic!("{other:?}"),
//! }
//! ```

pub mod gs1;
pub mod layout;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use gs1::{GS, Gs1, parse_gs1};
pub use layout::{Layout, UnknownLayout};

use crate::domain::gtin;

/// A key that ends a scan (the scanner's programmed suffix).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Terminator {
    /// CR, which crossterm reports as `KeyCode::Enter`.
    Enter,
    /// LF, which crossterm in raw mode reports as `Ctrl+J`.
    CtrlJ,
    /// Tab. Only when configured: otherwise Tab belongs to the screen.
    Tab,
}

/// The `[scanner]` section of `station.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, expecting = "a [scanner] table")]
pub struct ScanConfig {
    /// Keys that end a scan. Default: Enter and Ctrl+J.
    pub terminators: Vec<Terminator>,
    /// The prefix the scanner is programmed to send (as the scanner means it, i.e. in US
    /// layout). When set, keyed input without it is rejected as not a scan.
    pub prefix: Option<String>,
    /// Shorter codes (after prefix and symbology id) are rejected. Default 3.
    pub min_length: usize,
    /// The station's keyboard layout, for a scanner programmed for US. Default `us`.
    pub layout: Layout,
    /// A printable character the scanner sends instead of GS (ASCII 29), e.g. `~` or `|`.
    pub gs_substitute: Option<char>,
    /// The same code again within this many milliseconds is a double fire. Default 80.
    pub double_fire_ms: u64,
}

impl Default for ScanConfig {
    fn default() -> ScanConfig {
        ScanConfig {
            terminators: vec![Terminator::Enter, Terminator::CtrlJ],
            prefix: None,
            min_length: 3,
            layout: Layout::Us,
            gs_substitute: None,
            double_fire_ms: 80,
        }
    }
}

/// A `[scanner]` setting that cannot work; the message names the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScanConfigError {
    /// `terminators` is empty: no scan could ever end.
    #[error("scanner.terminators is empty: at least one of enter, ctrl-j, tab is needed")]
    NoTerminator,
    /// `min_length` is 0.
    #[error("scanner.min_length must be at least 1")]
    ZeroMinLen,
    /// `gs_substitute` is a letter, digit, space or control character.
    #[error("scanner.gs_substitute {0:?} must be a printable symbol such as `~` or `|`")]
    BadGsSubstitute(char),
    /// `prefix` contains a control character or whitespace.
    #[error("scanner.prefix {0:?} must be printable characters without spaces")]
    BadPrefix(String),
    /// `double_fire_ms` so long that real repeated scans would be dropped.
    #[error(
        "scanner.double_fire_ms {0} is above {MAX_DOUBLE_FIRE_MS} ms: real repeated scans would be lost"
    )]
    DoubleFireTooLong(u64),
}

/// The longest double-fire window that still lets a packer scan the same item twice.
pub const MAX_DOUBLE_FIRE_MS: u64 = 2000;

impl ScanConfigError {
    /// The `[scanner]` key the error is about.
    pub fn key(&self) -> &'static str {
        match self {
            ScanConfigError::NoTerminator => "terminators",
            ScanConfigError::ZeroMinLen => "min_length",
            ScanConfigError::BadGsSubstitute(_) => "gs_substitute",
            ScanConfigError::BadPrefix(_) => "prefix",
            ScanConfigError::DoubleFireTooLong(_) => "double_fire_ms",
        }
    }
}

impl ScanConfig {
    /// Checks settings that would make scanning impossible or ambiguous.
    pub fn validate(&self) -> Result<(), ScanConfigError> {
        if self.terminators.is_empty() {
            return Err(ScanConfigError::NoTerminator);
        }
        if self.min_length == 0 {
            return Err(ScanConfigError::ZeroMinLen);
        }
        if let Some(c) = self.gs_substitute
            && (c.is_alphanumeric() || c.is_whitespace() || c.is_control())
        {
            return Err(ScanConfigError::BadGsSubstitute(c));
        }
        if let Some(p) = &self.prefix
            && (p.is_empty() || p.chars().any(|c| c.is_control() || c.is_whitespace()))
        {
            return Err(ScanConfigError::BadPrefix(p.clone()));
        }
        if self.double_fire_ms > MAX_DOUBLE_FIRE_MS {
            return Err(ScanConfigError::DoubleFireTooLong(self.double_fire_ms));
        }
        Ok(())
    }

    fn prefix(&self) -> Option<&str> {
        self.prefix.as_deref().filter(|p| !p.is_empty())
    }
}

/// One key as the caller saw it. The caller maps crossterm events: `KeyCode::Enter` →
/// `Enter`, `Ctrl+J` → `CtrlJ`, `Tab` → `Tab`, `Ctrl+5` / `Ctrl+]` (GS, 0x1D) → `Gs`,
/// `Backspace` → `Backspace`, `KeyCode::Char(c)` (ignoring Shift) → `Char(c)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyIn {
    /// A printable character. `'\r'`, `'\n'`, `'\t'` and `'\u{1d}'` are treated like
    /// `Enter`, `CtrlJ`, `Tab` and `Gs`; other control characters are ignored.
    Char(char),
    /// CR / Enter.
    Enter,
    /// LF (Ctrl+J in crossterm raw mode).
    CtrlJ,
    /// Tab.
    Tab,
    /// The group separator GS (ASCII 29), the FNC1 stand-in in GS1 codes.
    Gs,
    /// Removes the last character typed.
    Backspace,
}

impl KeyIn {
    fn normalised(self) -> KeyIn {
        match self {
            KeyIn::Char('\r') => KeyIn::Enter,
            KeyIn::Char('\n') => KeyIn::CtrlJ,
            KeyIn::Char('\t') => KeyIn::Tab,
            KeyIn::Char(GS) => KeyIn::Gs,
            k => k,
        }
    }
}

/// What a terminator (or a pasted line) completed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Assembled {
    /// A scan to act on.
    Scan(Scan),
    /// The same code again within `double_fire_ms` of the previous scan: dropped (log it).
    DoubleFire {
        /// The repeated code.
        code: String,
    },
    /// Not a usable scan; `raw` is exactly what was typed.
    Rejected {
        /// What was typed, before any mapping.
        raw: String,
        /// Why it was rejected.
        reason: RejectReason,
    },
}

/// Why input was not accepted as a scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum RejectReason {
    /// Shorter than `min_length`.
    #[error("too short to be a barcode")]
    TooShort,
    /// A prefix is configured and the input does not start with it.
    #[error("does not start with the scanner prefix")]
    MissingPrefix,
    /// It claimed to be GS1 (symbology id, GS or substitute) and did not parse.
    #[error("bad GS1 barcode: {0}")]
    BadGs1(String),
    /// A `PD:` command barcode with nothing usable after it.
    #[error("bad command barcode: {0}")]
    BadCommand(String),
}

/// A completed scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scan {
    /// Exactly what was typed, before any mapping.
    pub raw: String,
    /// After the layout reverse map, prefix strip and AIM symbology-id strip.
    pub code: String,
    /// What the code is.
    pub kind: ScanKind,
    /// Hint only: the mean gap between keys was over 50 ms, which looks like a person
    /// typing. Meaningless over SSH; never used to reject. Always false for pastes.
    pub typed: bool,
}

/// What a scanned code is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScanKind {
    /// A command barcode, `PD:<WORD>`.
    Command(Command),
    /// A GS1 element string, parsed.
    Gs1(Gs1),
    /// A valid EAN-8/UPC-A/EAN-13/GTIN-14, normalised to GTIN-14.
    Gtin(String),
    /// Anything else (SKU, order number, tracking number): match on `code`.
    Other,
}

/// A command barcode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    /// `PD:PACK` → `Action("PACK")`, upper-cased; see `app::action::Action::from_barcode`.
    Action(String),
    /// `PD:PACKER:42` → `Packer("42")`: the packer's badge.
    Packer(String),
    /// `PD:EVENT:gift-wrap` → `Event("gift-wrap")`: a custom event for the rules.
    Event(String),
    /// `PD:HANDOVER:CP` → `Handover("CP")`: the hand-over screen on that carrier.
    Handover(String),
}

/// AIM symbology identifiers whose data is a GS1 element string.
const GS1_AIM: [&str; 5] = ["]C1", "]d2", "]Q3", "]e0", "]J1"];

/// The AIM symbology identifier at the start of `code` (`]` + letter + modifier).
fn aim_id(code: &str) -> Option<&str> {
    let id = code.get(..3)?;
    let b = id.as_bytes();
    (b[0] == b']' && b[1].is_ascii_alphabetic() && b[2].is_ascii_alphanumeric()).then_some(id)
}

/// Strips `prefix` from `s`, ignoring ASCII case.
fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| s.get(prefix.len()..))
        .flatten()
}

fn parse_command(rest: &str) -> Result<Command, String> {
    let rest = rest.trim();
    let value = |v: &str, what: &str| {
        let v = v.trim();
        if v.is_empty() {
            Err(format!("PD:{what}: has no value"))
        } else {
            Ok(v.to_string())
        }
    };
    if let Some(v) = strip_prefix_ci(rest, "PACKER:") {
        return value(v, "PACKER").map(Command::Packer);
    }
    if let Some(v) = strip_prefix_ci(rest, "EVENT:") {
        return value(v, "EVENT").map(Command::Event);
    }
    if let Some(v) = strip_prefix_ci(rest, "HANDOVER:") {
        return value(v, "HANDOVER").map(Command::Handover);
    }
    if rest.is_empty() {
        return Err("PD: has no command word".to_string());
    }
    if let Some(bad) = rest
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(format!("command word `{rest}` contains {bad:?}"));
    }
    Ok(Command::Action(rest.to_ascii_uppercase()))
}

/// Turns keys into scans. See the module documentation.
#[derive(Debug, Clone)]
pub struct Assembler {
    cfg: ScanConfig,
    buf: String,
    /// Time of the first key of the scan in progress.
    first_key_ms: Option<u64>,
    /// Key events (characters and backspaces) in the scan in progress.
    keys: u64,
    /// The last accepted (or double-fired) code and when it completed.
    last: Option<(String, u64)>,
}

/// Where the text being assembled came from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    Keys { typed: bool },
    Paste,
}

impl Assembler {
    /// A new assembler with an empty buffer.
    pub fn new(cfg: ScanConfig) -> Assembler {
        Assembler {
            cfg,
            buf: String::new(),
            first_key_ms: None,
            keys: 0,
            last: None,
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &ScanConfig {
        &self.cfg
    }

    /// True if `k` is a configured terminator (so the caller knows Tab belongs to the
    /// scanner).
    pub fn is_terminator(&self, k: &KeyIn) -> bool {
        let t = match k.normalised() {
            KeyIn::Enter => Terminator::Enter,
            KeyIn::CtrlJ => Terminator::CtrlJ,
            KeyIn::Tab => Terminator::Tab,
            _ => return false,
        };
        self.cfg.terminators.contains(&t)
    }

    /// What is typed so far, as typed (draw it through `domain::text::sanitize`: it may
    /// hold GS).
    pub fn buffer(&self) -> &str {
        &self.buf
    }

    /// True when nothing is typed.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Forgets what is typed so far.
    pub fn clear(&mut self) {
        self.buf.clear();
        self.first_key_ms = None;
        self.keys = 0;
    }

    /// Feeds one key. Returns `Some` when a terminator completed something; an empty
    /// buffer plus a terminator (the LF of a CR+LF suffix) gives `None`. Enter, Ctrl+J
    /// and Tab that are not configured terminators are ignored.
    pub fn key(&mut self, k: KeyIn, now_ms: u64) -> Option<Assembled> {
        let k = k.normalised();
        if self.is_terminator(&k) {
            return self.complete(now_ms);
        }
        match k {
            KeyIn::Char(c) if !c.is_control() => self.buf.push(c),
            KeyIn::Gs => self.buf.push(GS),
            KeyIn::Backspace => {
                self.buf.pop();
            }
            _ => return None,
        }
        self.first_key_ms.get_or_insert(now_ms);
        self.keys += 1;
        None
    }

    /// Bracketed paste: each non-empty line (split on CR/LF) becomes one result. Pasted
    /// text did not come through the keyboard layout, so no reverse map is applied; a
    /// configured prefix is stripped when present but not required; no double-fire check
    /// (two equal lines are two scans). The key buffer is left as it is.
    pub fn paste(&mut self, text: &str, _now_ms: u64) -> Vec<Assembled> {
        text.split(['\r', '\n'])
            .filter(|line| !line.trim().is_empty())
            .map(|line| self.assemble(line.to_string(), Source::Paste))
            .collect()
    }

    fn complete(&mut self, now_ms: u64) -> Option<Assembled> {
        let raw = std::mem::take(&mut self.buf);
        let first = self.first_key_ms.take();
        let keys = std::mem::take(&mut self.keys);
        if raw.is_empty() {
            return None;
        }
        let span = first.map_or(0, |f| now_ms.saturating_sub(f));
        let typed = keys > 0 && span > 50 * keys;
        let out = self.assemble(raw, Source::Keys { typed });
        if let Assembled::Scan(scan) = &out {
            let repeat = self.last.as_ref().is_some_and(|(code, at)| {
                *code == scan.code && now_ms.saturating_sub(*at) < self.cfg.double_fire_ms
            });
            let code = scan.code.clone();
            self.last = Some((code.clone(), now_ms));
            if repeat {
                tracing::debug!(code = %code, "scanner double fire dropped");
                return Some(Assembled::DoubleFire { code });
            }
        }
        Some(out)
    }

    fn assemble(&self, raw: String, source: Source) -> Assembled {
        let reject = |raw: String, reason| Assembled::Rejected { raw, reason };
        let mapped = match source {
            Source::Keys { .. } => self.cfg.layout.unmap(&raw),
            Source::Paste => raw.clone(),
        };
        let mut code = mapped.as_str();
        if let Some(prefix) = self.cfg.prefix() {
            match code.strip_prefix(prefix) {
                Some(rest) => code = rest,
                None if source == Source::Paste => {}
                None => return reject(raw, RejectReason::MissingPrefix),
            }
        }
        code = code.trim_matches(' ');
        let aim = aim_id(code);
        if let Some(id) = aim {
            code = code.get(id.len()..).unwrap_or_default();
        }
        if code.chars().count() < self.cfg.min_length {
            return reject(raw, RejectReason::TooShort);
        }
        let kind = match self.classify(code, aim) {
            Ok(kind) => kind,
            Err(reason) => return reject(raw, reason),
        };
        Assembled::Scan(Scan {
            code: code.to_string(),
            raw,
            kind,
            typed: matches!(source, Source::Keys { typed: true }),
        })
    }

    fn classify(&self, code: &str, aim: Option<&str>) -> Result<ScanKind, RejectReason> {
        if let Some(rest) = strip_prefix_ci(code, "PD:") {
            return parse_command(rest)
                .map(ScanKind::Command)
                .map_err(RejectReason::BadCommand);
        }
        let sub = self.cfg.gs_substitute;
        let claims_gs1 = aim.is_some_and(|id| GS1_AIM.contains(&id))
            || code.contains(GS)
            || sub.is_some_and(|s| code.contains(s));
        if claims_gs1 {
            return parse_gs1(code, sub)
                .map(ScanKind::Gs1)
                .map_err(RejectReason::BadGs1);
        }
        if let Some(g) = gtin::to_gtin14(code) {
            return Ok(ScanKind::Gtin(g));
        }
        // A GS1-128 read with the symbology id switched off: `01` + GTIN + more AIs, all
        // digits (fixed-length AIs need no separator). Only when it parses completely.
        if code.len() > 16
            && code.starts_with("01")
            && code.bytes().all(|b| b.is_ascii_digit())
            && let Ok(g) = parse_gs1(code, None)
        {
            return Ok(ScanKind::Gs1(g));
        }
        Ok(ScanKind::Other)
    }
}

impl fmt::Display for Command {
    /// The barcode text: `PD:PACK`, `PD:PACKER:42`, `PD:EVENT:gift-wrap`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::Action(w) => write!(f, "PD:{w}"),
            Command::Packer(p) => write!(f, "PD:PACKER:{p}"),
            Command::Event(e) => write!(f, "PD:EVENT:{e}"),
            Command::Handover(c) => write!(f, "PD:HANDOVER:{c}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(asm: &mut Assembler, s: &str, start: u64, gap: u64) -> (Option<Assembled>, u64) {
        let mut t = start;
        for c in s.chars() {
            assert_eq!(asm.key(KeyIn::Char(c), t), None);
            t += gap;
        }
        (asm.key(KeyIn::Enter, t), t)
    }

    fn scan(a: Option<Assembled>) -> Scan {
        match a {
            Some(Assembled::Scan(s)) => s,
            other => panic!("expected a scan, got {other:?}"),
        }
    }

    #[test]
    fn backspace_edits_and_empty_terminator_is_none() {
        let mut asm = Assembler::new(ScanConfig::default());
        assert_eq!(asm.key(KeyIn::Enter, 0), None);
        for c in "SKX".chars() {
            asm.key(KeyIn::Char(c), 1);
        }
        asm.key(KeyIn::Backspace, 2);
        assert_eq!(asm.buffer(), "SK");
        asm.key(KeyIn::Char('U'), 3);
        asm.key(KeyIn::Char('1'), 4);
        let s = scan(asm.key(KeyIn::Enter, 5));
        assert_eq!((s.code.as_str(), s.kind), ("SKU1", ScanKind::Other));
        assert!(asm.is_empty());
        assert_eq!(asm.key(KeyIn::CtrlJ, 6), None, "LF of CR+LF");
    }

    #[test]
    fn typed_hint_from_timing_only() {
        let mut asm = Assembler::new(ScanConfig::default());
        let (a, t) = feed(&mut asm, "ORD-1001", 0, 3);
        assert!(!scan(a).typed);
        let (a, _) = feed(&mut asm, "ORD-1002", t + 1000, 180);
        assert!(scan(a).typed);
    }

    #[test]
    fn aim_ids_are_stripped() {
        let mut asm = Assembler::new(ScanConfig::default());
        let s = scan(feed(&mut asm, "]E04006381333931", 0, 1).0);
        assert_eq!(s.code, "4006381333931");
        assert_eq!(s.kind, ScanKind::Gtin("04006381333931".into()));
        let s = scan(feed(&mut asm, "]C0ABC-1", 100, 1).0);
        assert_eq!((s.code.as_str(), s.kind), ("ABC-1", ScanKind::Other));
        assert_eq!(s.raw, "]C0ABC-1");
    }

    #[test]
    fn gs1_without_aim_when_it_parses() {
        let mut asm = Assembler::new(ScanConfig::default());
        let s = scan(feed(&mut asm, "010400638133393117261231", 0, 1).0);
        assert!(matches!(s.kind, ScanKind::Gs1(ref g) if g.expiry.as_deref() == Some("261231")));
        // A long number that merely starts with 01 stays Other.
        let s = scan(feed(&mut asm, "0112345678901234567", 100, 1).0);
        assert_eq!(s.kind, ScanKind::Other);
    }

    #[test]
    fn bad_commands_rejected() {
        let mut asm = Assembler::new(ScanConfig::default());
        for (bad, t) in [("PD:", 0), ("PD:PACKER:", 100), ("PD:PA CK", 200)] {
            let a = feed(&mut asm, bad, t, 1).0;
            assert!(
                matches!(
                    a,
                    Some(Assembled::Rejected {
                        reason: RejectReason::BadCommand(_),
                        ..
                    })
                ),
                "{bad}: {a:?}"
            );
        }
    }

    #[test]
    fn config_validation() {
        assert_eq!(ScanConfig::default().validate(), Ok(()));
        let bad = ScanConfig {
            gs_substitute: Some('a'),
            ..ScanConfig::default()
        };
        assert_eq!(bad.validate(), Err(ScanConfigError::BadGsSubstitute('a')));
        let bad = ScanConfig {
            terminators: vec![],
            ..ScanConfig::default()
        };
        assert_eq!(bad.validate(), Err(ScanConfigError::NoTerminator));
        let bad = ScanConfig {
            prefix: Some("A B".into()),
            ..ScanConfig::default()
        };
        assert!(
            bad.validate()
                .is_err_and(|e| e.to_string().contains("scanner.prefix"))
        );
        let bad = ScanConfig {
            min_length: 0,
            ..ScanConfig::default()
        };
        assert_eq!(bad.validate(), Err(ScanConfigError::ZeroMinLen));
    }
}
