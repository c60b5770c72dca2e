//! Themes: TOML files of helix-style scopes (`"ui.text" = { fg = "white", bg = "black",
//! modifiers = ["bold"] }`, or just `"ui.text" = "white"`), with `inherits = "<theme>"`
//! and a `[palette]` of named colours, resolved at load time into a typed [`Theme`] of
//! [`Style`]s. Render code reads fields; it never looks scopes up by string.
//!
//! Only the 16 named ANSI colours and `reset` are allowed: packdesk must look right on any
//! terminal, over any SSH link. RGB (`#ff8800`) and indexed (`208`) colours are rejected.
//!
//! A scope that a theme does not set falls back along its dots (`ui.text.muted` →
//! `ui.text`), then to the terminal's default style. The closed list of scopes, with what
//! each one colours, is documented in `themes/default.toml`.
//!
//! Shipped themes (embedded): `default`, `light`, `high-contrast`, `mono`. A user file
//! `<user_dir>/<name>.toml` overrides the shipped theme of that name per scope, or defines
//! a new theme (which may `inherits` a shipped or user theme). With `NO_COLOR`, `mono` is
//! used whatever the configuration says.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use ratatui::style::{Color, Modifier, Style};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::keymap::Location;
use crate::domain::text::sanitize;

const BUILTINS: &[(&str, &str)] = &[
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("mono", include_str!("../../themes/mono.toml")),
];

/// How deep `inherits` may chain before it is taken for a loop.
const MAX_INHERITS: usize = 8;

macro_rules! scopes {
    ($( $field:ident => $scope:literal, $doc:literal; )*) => {
        /// A resolved theme: one [`Style`] per scope.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct Theme {
            /// The theme's name (`default`, `mono`, …).
            pub name: String,
            $( #[doc = $doc] pub $field: Style, )*
        }

        /// Every scope a theme file may set, in documentation order.
        pub const SCOPES: &[&str] = &[ $( $scope, )* ];

        impl Theme {
            fn from_resolved(name: &str, styles: &HashMap<&'static str, Style>) -> Theme {
                Theme {
                    name: name.to_string(),
                    $( $field: fallback(styles, $scope), )*
                }
            }

            /// Every scope with its resolved style, in [`SCOPES`] order (for previews and
            /// checks).
            pub fn styles(&self) -> Vec<(&'static str, Style)> {
                vec![ $( ($scope, self.$field), )* ]
            }
        }
    };
}

scopes! {
    text => "ui.text", "Ordinary text and the screen background.";
    muted => "ui.text.muted", "Secondary text: hints, timestamps, empty-list notes.";
    error_text => "ui.text.error", "Error text inside panels (not the banner).";
    title => "ui.title", "Panel and screen titles.";
    border => "ui.border", "Panel borders.";
    border_focused => "ui.border.focused", "The border of the focused panel.";
    selected => "ui.selection", "The selected row of a list or table.";
    tab => "ui.tab", "Queue tabs.";
    tab_active => "ui.tab.active", "The active queue tab.";
    header => "ui.header", "Table column headers.";
    status_bar => "ui.statusbar", "The status bar (station, packer, counts).";
    key_hint => "ui.key_hint", "Keys in the key-hint bar (`F2`).";
    banner_ok => "banner.ok", "Banner: scan accepted, order packed, label ready.";
    banner_error => "banner.error", "Banner: rejected scan or failure; must be impossible to miss.";
    banner_warn => "banner.warn", "Banner: needs attention (note to acknowledge, serial needed).";
    banner_info => "banner.info", "Banner: neutral information.";
    progress => "progress", "Progress bar, the part still to do.";
    progress_done => "progress.done", "Progress bar, the part done.";
    flag => "order.flag", "Order flags (express, fragile, priority).";
    cod => "order.cod", "Cash on delivery amounts.";
    scan_buffer => "scan.buffer", "The scan / input buffer being typed.";
    line_done => "line.done", "Order line fully scanned.";
    line_partial => "line.partial", "Order line partly scanned.";
    line_todo => "line.todo", "Order line not scanned yet.";
    line_over => "line.over", "Order line scanned more than ordered.";
}

impl Theme {
    /// The border style for a panel.
    pub fn border(&self, focused: bool) -> Style {
        if focused {
            self.border_focused
        } else {
            self.border
        }
    }

    /// The style of a queue tab.
    pub fn tab(&self, active: bool) -> Style {
        if active { self.tab_active } else { self.tab }
    }

    /// Whether the value of the `NO_COLOR` environment variable asks for no colour: set
    /// and non-empty (<https://no-color.org>). Pass `std::env::var_os("NO_COLOR")`.
    pub fn no_color(value: Option<&std::ffi::OsStr>) -> bool {
        value.is_some_and(|v| !v.is_empty())
    }

    /// Names of the shipped themes.
    pub fn builtin_names() -> impl Iterator<Item = &'static str> {
        BUILTINS.iter().map(|(n, _)| *n)
    }

    /// A shipped theme, without user files.
    pub fn builtin(name: &str) -> Result<Theme, ThemeError> {
        Theme::resolve(name, None)
    }

    /// The theme `name`: the shipped one overridden per scope by `<user_dir>/<name>.toml`
    /// when that file exists, or a user theme of that name. With `no_color` (the caller
    /// passes true when `NO_COLOR` is set and non-empty) the shipped `mono` theme is used
    /// whatever `name` says, and no user file is read.
    pub fn load(name: &str, user_dir: Option<&Path>, no_color: bool) -> Result<Theme, ThemeError> {
        if no_color {
            tracing::debug!(configured = name, "NO_COLOR set: using the mono theme");
            return Theme::builtin("mono");
        }
        Theme::resolve(name, user_dir)
    }

    fn resolve(name: &str, user_dir: Option<&Path>) -> Result<Theme, ThemeError> {
        let mut layers = Vec::new();
        collect_layers(name, user_dir, &mut Vec::new(), &mut layers)?;
        let mut palette: HashMap<String, Color> = HashMap::new();
        let mut scopes: HashMap<&'static str, RawStyle> = HashMap::new();
        for layer in layers {
            palette.extend(layer.palette);
            scopes.extend(layer.scopes);
        }
        let mut styles = HashMap::with_capacity(scopes.len());
        for (scope, raw) in scopes {
            styles.insert(scope, raw.resolve(scope, &palette)?);
        }
        Ok(Theme::from_resolved(name, &styles))
    }
}

/// The style of `scope`, else of its nearest parent scope that is set, else the default.
fn fallback(styles: &HashMap<&'static str, Style>, scope: &str) -> Style {
    let mut s = scope;
    loop {
        if let Some(style) = styles.get(s) {
            return *style;
        }
        match s.rfind('.') {
            Some(dot) => s = &s[..dot],
            None => return Style::default(),
        }
    }
}

/// A theme that could not be loaded. Errors about file content name the file, line,
/// column and scope.
#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    /// Neither shipped nor in the user directory.
    #[error(
        "unknown theme `{0}` (shipped: default, light, high-contrast, mono; or put {0}.toml in the themes directory)"
    )]
    UnknownTheme(String),
    /// A theme name that cannot be a file name.
    #[error("bad theme name `{0}`: use letters, digits, `-` and `_`")]
    BadName(String),
    /// The user file exists but cannot be read.
    #[error("cannot read theme file {file}: {source}")]
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
    /// A scope that is not in the closed list.
    #[error("{at}: unknown scope `{scope}`{hint}")]
    UnknownScope {
        /// Where.
        at: Location,
        /// The scope.
        scope: String,
        /// A hint (may be empty).
        hint: String,
    },
    /// A colour that is RGB, indexed, or not a name.
    #[error("{at}: scope `{scope}`: colour `{value}`: {reason}")]
    BadColour {
        /// Where.
        at: Location,
        /// The scope (or `palette.<name>`).
        scope: String,
        /// The colour as written.
        value: String,
        /// Why it is refused.
        reason: String,
    },
    /// A modifier that does not exist.
    #[error(
        "{at}: scope `{scope}`: unknown modifier `{modifier}` (expected: bold, dim, italic, underlined, slow_blink, rapid_blink, reversed, hidden, crossed_out)"
    )]
    BadModifier {
        /// Where.
        at: Location,
        /// The scope.
        scope: String,
        /// The modifier as written.
        modifier: String,
    },
    /// A value of the wrong shape.
    #[error("{at}: scope `{scope}`: {message}")]
    BadValue {
        /// Where.
        at: Location,
        /// The scope (or `inherits`, `palette`).
        scope: String,
        /// What is wrong.
        message: String,
    },
    /// `inherits` names a missing theme, loops, or is used where it cannot be.
    #[error("{at}: inherits: {message}")]
    Inherits {
        /// Where.
        at: Location,
        /// What is wrong.
        message: String,
    },
}

/// A colour as written, with where it was written.
#[derive(Debug, Clone)]
struct ColourRef {
    text: String,
    at: Location,
}

#[derive(Debug, Clone)]
struct RawStyle {
    fg: Option<ColourRef>,
    bg: Option<ColourRef>,
    modifiers: Modifier,
}

impl RawStyle {
    fn resolve(&self, scope: &str, palette: &HashMap<String, Color>) -> Result<Style, ThemeError> {
        let colour = |c: &ColourRef| -> Result<Color, ThemeError> {
            if let Some(p) = palette.get(&c.text) {
                return Ok(*p);
            }
            named_colour(&c.text).map_err(|reason| ThemeError::BadColour {
                at: c.at.clone(),
                scope: scope.to_string(),
                value: sanitize(&c.text),
                reason: reason.reason(true),
            })
        };
        let mut style = Style::default().add_modifier(self.modifiers);
        if let Some(fg) = &self.fg {
            style = style.fg(colour(fg)?);
        }
        if let Some(bg) = &self.bg {
            style = style.bg(colour(bg)?);
        }
        Ok(style)
    }
}

const COLOUR_NAMES: &str = "black, red, green, yellow, blue, magenta, cyan, gray, dark_gray, light_red, light_green, light_yellow, light_blue, light_magenta, light_cyan, white, reset";

/// Why a colour string is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ColourProblem {
    Rgb,
    Indexed,
    Unknown,
}

impl ColourProblem {
    /// The reason, for a scope (where palette names are allowed too) or a palette entry.
    fn reason(self, palette_allowed: bool) -> String {
        match self {
            ColourProblem::Rgb => format!(
                "RGB colours are not allowed; 16 colours must be enough, use one of: {COLOUR_NAMES}"
            ),
            ColourProblem::Indexed => {
                format!("indexed (256-colour) colours are not allowed; use one of: {COLOUR_NAMES}")
            }
            ColourProblem::Unknown if palette_allowed => {
                format!("neither a palette name nor a colour; colours are: {COLOUR_NAMES}")
            }
            ColourProblem::Unknown => format!("not a colour; use one of: {COLOUR_NAMES}"),
        }
    }
}

/// One of the 16 named ANSI colours or `reset` (case, `-` and `_` ignored: `light-red`,
/// `LightRed`, `light_red`).
fn named_colour(text: &str) -> Result<Color, ColourProblem> {
    let norm: String = text
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | ' '))
        .collect::<String>()
        .to_ascii_lowercase();
    let colour = match norm.as_str() {
        "black" => Color::Black,
        "red" => Color::Red,
        "green" => Color::Green,
        "yellow" => Color::Yellow,
        "blue" => Color::Blue,
        "magenta" => Color::Magenta,
        "cyan" => Color::Cyan,
        "gray" | "grey" => Color::Gray,
        "darkgray" | "darkgrey" => Color::DarkGray,
        "lightred" => Color::LightRed,
        "lightgreen" => Color::LightGreen,
        "lightyellow" => Color::LightYellow,
        "lightblue" => Color::LightBlue,
        "lightmagenta" => Color::LightMagenta,
        "lightcyan" => Color::LightCyan,
        "white" => Color::White,
        "reset" => Color::Reset,
        _ if text.starts_with('#') || norm.starts_with("rgb") => return Err(ColourProblem::Rgb),
        _ if !norm.is_empty() && norm.chars().all(|c| c.is_ascii_digit()) => {
            return Err(ColourProblem::Indexed);
        }
        _ => return Err(ColourProblem::Unknown),
    };
    Ok(colour)
}

fn modifier(name: &str) -> Option<Modifier> {
    Some(match name {
        "bold" => Modifier::BOLD,
        "dim" => Modifier::DIM,
        "italic" => Modifier::ITALIC,
        "underlined" => Modifier::UNDERLINED,
        "slow_blink" => Modifier::SLOW_BLINK,
        "rapid_blink" => Modifier::RAPID_BLINK,
        "reversed" => Modifier::REVERSED,
        "hidden" => Modifier::HIDDEN,
        "crossed_out" => Modifier::CROSSED_OUT,
        _ => return None,
    })
}

/// One parsed theme file.
struct Layer {
    inherits: Option<(String, Location)>,
    palette: Vec<(String, Color)>,
    scopes: Vec<(&'static str, RawStyle)>,
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Appends the layers of theme `name` to `out`, parents first.
fn collect_layers(
    name: &str,
    user_dir: Option<&Path>,
    chain: &mut Vec<String>,
    out: &mut Vec<Layer>,
) -> Result<(), ThemeError> {
    if !valid_name(name) {
        return Err(ThemeError::BadName(sanitize(name)));
    }
    chain.push(name.to_string());
    let builtin = BUILTINS.iter().find(|(n, _)| *n == name);
    let user = match user_dir {
        Some(dir) => {
            let path = dir.join(format!("{name}.toml"));
            let file = path.display().to_string();
            match std::fs::read_to_string(&path) {
                Ok(src) => Some((file, src)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(source) => return Err(ThemeError::Io { file, source }),
            }
        }
        None => None,
    };
    let (base_file, base_src) = match (builtin, &user) {
        (Some((n, src)), _) => (format!("themes/{n}.toml"), *src),
        (None, Some((file, src))) => (file.clone(), src.as_str()),
        (None, None) => return Err(ThemeError::UnknownTheme(name.to_string())),
    };
    let base = parse_layer(&base_file, base_src)?;
    if let Some((parent, at)) = &base.inherits {
        if chain.iter().any(|n| n == parent) || chain.len() >= MAX_INHERITS {
            return Err(ThemeError::Inherits {
                at: at.clone(),
                message: format!("`{parent}` leads back to itself ({})", chain.join(" → ")),
            });
        }
        collect_layers(parent, user_dir, chain, out).map_err(|e| match e {
            ThemeError::UnknownTheme(missing) => ThemeError::Inherits {
                at: at.clone(),
                message: format!("unknown theme `{missing}`"),
            },
            other => other,
        })?;
    }
    out.push(base);
    if let (Some(_), Some((file, src))) = (builtin, &user) {
        let over = parse_layer(file, src)?;
        if let Some((_, at)) = over.inherits {
            return Err(ThemeError::Inherits {
                at,
                message: format!(
                    "this file overrides the shipped theme `{name}` scope by scope and already extends it; remove `inherits`"
                ),
            });
        }
        tracing::debug!(file = %file, "user theme overrides applied");
        out.push(over);
    }
    chain.pop();
    Ok(())
}

fn parse_layer(file: &str, src: &str) -> Result<Layer, ThemeError> {
    let doc = DeTable::parse(src).map_err(|e| {
        let at = Location::new(file, src, e.span());
        ThemeError::Syntax {
            text: at.line_text(src),
            message: e.message().trim().to_string(),
            at,
        }
    })?;
    let loc = |span: Range<usize>| Location::new(file, src, Some(span));
    let mut entries: Vec<_> = doc.get_ref().iter().collect();
    entries.sort_by_key(|(k, _)| k.span().start);
    let mut layer = Layer {
        inherits: None,
        palette: Vec::new(),
        scopes: Vec::new(),
    };
    for (key, value) in entries {
        let key_str: &str = key.get_ref();
        match key_str {
            "inherits" => match value.get_ref() {
                DeValue::String(s) => layer.inherits = Some((s.to_string(), loc(value.span()))),
                other => {
                    return Err(ThemeError::BadValue {
                        at: loc(value.span()),
                        scope: "inherits".to_string(),
                        message: format!("expected a theme name, found {}", other.type_str()),
                    });
                }
            },
            "palette" => layer.palette = parse_palette(file, src, value)?,
            scope => {
                let Some(known) = SCOPES.iter().copied().find(|s| *s == scope) else {
                    let hint = if SCOPES.iter().any(|s| s.starts_with(&format!("{scope}."))) {
                        " (write dotted scope names in quotes: \"ui.text\" = ...)".to_string()
                    } else {
                        " (the scopes are listed in themes/default.toml)".to_string()
                    };
                    return Err(ThemeError::UnknownScope {
                        at: loc(key.span()),
                        scope: sanitize(scope),
                        hint,
                    });
                };
                layer
                    .scopes
                    .push((known, parse_style(file, src, known, value)?));
            }
        }
    }
    Ok(layer)
}

fn parse_palette(
    file: &str,
    src: &str,
    value: &Spanned<DeValue<'_>>,
) -> Result<Vec<(String, Color)>, ThemeError> {
    let loc = |span: Range<usize>| Location::new(file, src, Some(span));
    let DeValue::Table(table) = value.get_ref() else {
        return Err(ThemeError::BadValue {
            at: loc(value.span()),
            scope: "palette".to_string(),
            message: "expected a table of name = \"colour\"".to_string(),
        });
    };
    let mut out = Vec::with_capacity(table.len());
    for (name, v) in table.iter() {
        let scope = format!("palette.{}", sanitize(name.get_ref()));
        let DeValue::String(text) = v.get_ref() else {
            return Err(ThemeError::BadValue {
                at: loc(v.span()),
                scope,
                message: format!("expected a colour name, found {}", v.get_ref().type_str()),
            });
        };
        let colour = named_colour(text).map_err(|reason| ThemeError::BadColour {
            at: loc(v.span()),
            scope,
            value: sanitize(text),
            reason: reason.reason(false),
        })?;
        out.push((name.get_ref().to_string(), colour));
    }
    Ok(out)
}

fn parse_style(
    file: &str,
    src: &str,
    scope: &str,
    value: &Spanned<DeValue<'_>>,
) -> Result<RawStyle, ThemeError> {
    let loc = |span: Range<usize>| Location::new(file, src, Some(span));
    let bad = |span: Range<usize>, message: String| ThemeError::BadValue {
        at: loc(span),
        scope: scope.to_string(),
        message,
    };
    let colour_ref = |v: &Spanned<DeValue<'_>>, field: &str| match v.get_ref() {
        DeValue::String(s) => Ok(ColourRef {
            text: s.to_string(),
            at: loc(v.span()),
        }),
        other => Err(bad(
            v.span(),
            format!(
                "`{field}` must be a colour name, found {}",
                other.type_str()
            ),
        )),
    };
    match value.get_ref() {
        DeValue::String(_) => Ok(RawStyle {
            fg: Some(colour_ref(value, "fg")?),
            bg: None,
            modifiers: Modifier::empty(),
        }),
        DeValue::Table(t) => {
            let mut style = RawStyle {
                fg: None,
                bg: None,
                modifiers: Modifier::empty(),
            };
            for (field, v) in t.iter() {
                match field.get_ref().as_ref() {
                    "fg" => style.fg = Some(colour_ref(v, "fg")?),
                    "bg" => style.bg = Some(colour_ref(v, "bg")?),
                    "modifiers" => {
                        let DeValue::Array(items) = v.get_ref() else {
                            return Err(bad(
                                v.span(),
                                "`modifiers` must be a list such as [\"bold\"]".to_string(),
                            ));
                        };
                        for item in items {
                            let m = match item.get_ref() {
                                DeValue::String(s) => {
                                    modifier(s).ok_or_else(|| ThemeError::BadModifier {
                                        at: loc(item.span()),
                                        scope: scope.to_string(),
                                        modifier: sanitize(s),
                                    })?
                                }
                                other => {
                                    return Err(bad(
                                        item.span(),
                                        format!(
                                            "a modifier must be a string, found {}",
                                            other.type_str()
                                        ),
                                    ));
                                }
                            };
                            style.modifiers |= m;
                        }
                    }
                    other => {
                        return Err(bad(
                            field.span(),
                            format!(
                                "unknown field `{}` (expected fg, bg, modifiers)",
                                sanitize(other)
                            ),
                        ));
                    }
                }
            }
            Ok(style)
        }
        other => Err(bad(
            value.span(),
            format!(
                "expected a colour name or {{ fg, bg, modifiers }}, found {}",
                other.type_str()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_fall_back_along_dots() {
        let mut styles = HashMap::new();
        styles.insert("ui.text", Style::default().fg(Color::Red));
        assert_eq!(fallback(&styles, "ui.text.muted").fg, Some(Color::Red));
        assert_eq!(fallback(&styles, "line.done"), Style::default());
    }

    #[test]
    fn no_color_means_set_and_non_empty() {
        use std::ffi::OsStr;
        assert!(Theme::no_color(Some(OsStr::new("1"))));
        assert!(!Theme::no_color(Some(OsStr::new(""))));
        assert!(!Theme::no_color(None));
    }

    #[test]
    fn colour_names_are_the_sixteen_and_reset() {
        assert_eq!(named_colour("light-red"), Ok(Color::LightRed));
        assert_eq!(named_colour("DarkGray"), Ok(Color::DarkGray));
        assert_eq!(named_colour("reset"), Ok(Color::Reset));
        assert_eq!(named_colour("#ff8800"), Err(ColourProblem::Rgb));
        assert_eq!(named_colour("rgb(1,2,3)"), Err(ColourProblem::Rgb));
        assert_eq!(named_colour("208"), Err(ColourProblem::Indexed));
        assert_eq!(named_colour("orange"), Err(ColourProblem::Unknown));
    }

    #[test]
    fn palette_of_a_child_recolours_inherited_scopes() {
        let parent = parse_layer(
            "p.toml",
            "\"ui.text\" = \"accent\"\n[palette]\naccent = \"cyan\"\n",
        );
        let child = parse_layer("c.toml", "inherits = \"p\"\n[palette]\naccent = \"blue\"\n");
        let (Ok(parent), Ok(child)) = (parent, child) else {
            panic!("layers do not parse");
        };
        let mut palette = HashMap::new();
        let mut scopes = HashMap::new();
        for layer in [parent, child] {
            palette.extend(layer.palette);
            scopes.extend(layer.scopes);
        }
        let text = scopes
            .get("ui.text")
            .map(|r| r.resolve("ui.text", &palette));
        assert_eq!(
            text.and_then(Result::ok).and_then(|s| s.fg),
            Some(Color::Blue)
        );
    }

    #[test]
    fn inheritance_loops_are_reported() {
        let dir = tempfile::tempdir().map_err(|e| e.to_string());
        let Ok(dir) = dir else { panic!("tempdir") };
        let write = |n: &str, s: &str| std::fs::write(dir.path().join(n), s);
        assert!(write("a.toml", "inherits = \"b\"\n").is_ok());
        assert!(write("b.toml", "inherits = \"a\"\n").is_ok());
        let err = Theme::load("a", Some(dir.path()), false).map(|_| ());
        let msg = err.map_err(|e| e.to_string()).err().unwrap_or_default();
        assert!(
            msg.contains("b.toml:1:12") && msg.contains("leads back"),
            "{msg}"
        );
        assert!(matches!(
            Theme::load("../x", Some(dir.path()), false),
            Err(ThemeError::BadName(_))
        ));
    }
}
