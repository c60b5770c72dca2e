//! Configuration errors, and finding the line, column and key a TOML error points at.

use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};

/// Everything that can go wrong finding, reading or understanding `station.toml`.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A config file given explicitly (`--config`) does not exist.
    #[error("config file {} does not exist (given with --config)", path.display())]
    Missing {
        /// The path that was given.
        path: PathBuf,
    },
    /// The file exists but could not be read.
    #[error("cannot read config file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML, has an unknown key, a value of the wrong type, or a
    /// value out of range.
    #[error("{}", describe_invalid(path, *line, *column, key.as_deref(), message))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line, when known.
        line: Option<usize>,
        /// 1-based column (in characters), when known.
        column: Option<usize>,
        /// The dotted key the error is about (`scanner.min_length`), when known.
        key: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// A `[shop]` / `[carrier]` setting cannot be used: a secret that is not there, a
    /// client that cannot be built. Never holds the secret itself.
    #[error("key `{key}`: {message}")]
    Remote {
        /// The dotted key (`shop.key_env`).
        key: String,
        /// What is wrong.
        message: String,
    },
    /// No home directory, so the default XDG paths cannot be found.
    #[error(
        "cannot find the home directory for the default config and data paths; \
         pass --config and --data-dir"
    )]
    NoHome,
}

fn describe_invalid(
    path: &Path,
    line: Option<usize>,
    column: Option<usize>,
    key: Option<&str>,
    message: &str,
) -> String {
    let mut out = path.display().to_string();
    if let Some(line) = line {
        out.push_str(&format!(":{line}"));
        if let Some(column) = column {
            out.push_str(&format!(":{column}"));
        }
    }
    out.push_str(": ");
    if let Some(key) = key {
        out.push_str(&format!("key `{key}`: "));
    }
    out.push_str(message);
    out
}

impl ConfigError {
    /// Turns a `toml` deserialisation error on `text` (read from `path`) into an error
    /// naming the file, line, column and key.
    pub(crate) fn from_toml(path: &Path, text: &str, err: &toml::de::Error) -> ConfigError {
        let span = err.span();
        let key = span.as_ref().and_then(|s| key_at(text, s.start));
        ConfigError::at(path, text, span, key, err.message().trim().to_string())
    }

    /// An `Invalid` error at byte `span` of `text`.
    pub(crate) fn at(
        path: &Path,
        text: &str,
        span: Option<Range<usize>>,
        key: Option<String>,
        message: String,
    ) -> ConfigError {
        let (line, column) = match span {
            Some(s) => {
                let (l, c) = line_column(text, s.start);
                (Some(l), Some(c))
            }
            None => (None, None),
        };
        ConfigError::Invalid {
            path: path.to_path_buf(),
            line,
            column,
            key,
            message,
        }
    }
}

/// 1-based line and column (in characters) of byte offset `pos` in `text`.
fn line_column(text: &str, pos: usize) -> (usize, usize) {
    let mut pos = pos.min(text.len());
    while !text.is_char_boundary(pos) {
        pos -= 1;
    }
    let before = &text[..pos];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// The dotted path of the key (or the value of the key) found at byte offset `pos`.
pub(crate) fn key_at(text: &str, pos: usize) -> Option<String> {
    let (doc, _) = DeTable::parse_recoverable(text);
    let mut path = Vec::new();
    if find_in_table(doc.get_ref(), pos, &mut path) {
        Some(path.join("."))
    } else {
        None
    }
}

/// The byte span of the value at the dotted `path` in `text` (for errors found after
/// deserialisation, such as a value out of range). A numeric part indexes an array
/// (`["carrier", "map", "1", "service"]`).
pub(crate) fn value_span(text: &str, path: &[&str]) -> Option<Range<usize>> {
    let (doc, _) = DeTable::parse_recoverable(text);
    let (first, rest) = path.split_first()?;
    let mut value = doc.get_ref().get(*first)?;
    for part in rest {
        match value.get_ref() {
            DeValue::Table(t) => value = t.get(*part)?,
            DeValue::Array(items) => value = items.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        }
    }
    Some(value.span())
}

fn find_in_table(table: &DeTable<'_>, pos: usize, path: &mut Vec<String>) -> bool {
    for (key, value) in table {
        path.push(key.get_ref().to_string());
        if key.span().contains(&pos) || find_in_value(value.get_ref(), pos, path) {
            return true;
        }
        if value.span().contains(&pos) {
            return true;
        }
        path.pop();
    }
    false
}

fn find_in_value(value: &DeValue<'_>, pos: usize, path: &mut Vec<String>) -> bool {
    match value {
        DeValue::Table(t) => find_in_table(t, pos, path),
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if let Some(last) = path.last_mut() {
                    last.push_str(&format!("[{i}]"));
                }
                if find_in_value(item.get_ref(), pos, path) || item.span().contains(&pos) {
                    return true;
                }
                if let Some(last) = path.last_mut()
                    && let Some(cut) = last.rfind('[')
                {
                    last.truncate(cut);
                }
            }
            false
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let text = "a = 1\nžluťoučký = 2\n";
        assert_eq!(line_column(text, 0), (1, 1));
        let pos = text.find("= 2").unwrap_or(0);
        assert_eq!(line_column(text, pos), (2, 11));
    }

    #[test]
    fn finds_nested_keys() {
        let text = "station = \"x\"\n[scanner]\nmin_length = 3\n[[a.b]]\nc = 1\n[[a.b]]\nc = 2\n";
        let at = |needle: &str| key_at(text, text.find(needle).unwrap_or(0));
        assert_eq!(at("\"x\"").as_deref(), Some("station"));
        assert_eq!(at("min_length").as_deref(), Some("scanner.min_length"));
        assert_eq!(at("3\n").as_deref(), Some("scanner.min_length"));
        assert_eq!(at("c = 2").as_deref(), Some("a.b[1].c"));
        assert_eq!(
            value_span(text, &["scanner", "min_length"]).map(|s| &text[s]),
            Some("3")
        );
        assert_eq!(
            value_span(text, &["a", "b", "1", "c"]).map(|s| &text[s]),
            Some("2")
        );
    }
}
