//! `[printers.label]` and `[printers.document]` of `station.toml`, and routing a document
//! to one of them.
//!
//! The block below is written to be pasted into `station.example.toml` as it is (every
//! value shown is the default):
//!
//! ```toml
//! # Printers of this station: one for shipping labels, one for documents (packing slips,
//! # hand-over summaries, barcode sheets). A document goes to the printer of its kind when
//! # that printer takes its format, else to the other one when that one does; a label in
//! # ZPL with no printer taking ZPL is an error shown at the bench.
//! #
//! # kind = "dir"      writes each document as a file into `dir` (default: out_dir).
//! # kind = "ipp"      a CUPS queue or an IPP Everywhere printer, at
//! #                   uri = "ipp://localhost:631/printers/<queue>" (also ipps://, http(s)://).
//! # kind = "raw9100"  a label printer taking raw ZPL on a TCP socket,
//! #                   address = "192.168.1.50:9100".
//! # Jobs wait in a queue in the data directory while a printer is off or refuses them,
//! # and are retried; nothing is lost.
//! # When the packing slip is printed on the document printer: "packed" (as soon as the
//! # order is packed, to go into the box), "label" (when its label is ready) or "never"
//! # (only by key C-y / `PD:SLIP`).
//! slip = "packed"
//!
//! [printers.label]
//! kind = "dir"
//! # The label stock: "100x150" or "a6" (one label a page, a roll) or "a4-quarter"
//! # (4-up A4 sheets: each label goes on the station's next free quarter).
//! size = "100x150"
//! # dir = "./packdesk-out"
//! # uri = "ipp://localhost:631/printers/labels"
//! # address = "192.168.1.50:9100"
//! # Formats this printer takes: "pdf", "zpl". Left out: ipp ["pdf"], raw9100 ["zpl"],
//! # dir ["pdf", "zpl"]. A CUPS raw queue in front of a Zebra takes ["zpl"].
//! # formats = ["pdf", "zpl"]
//! # IPP requesting-user-name (shown in the CUPS job list).
//! user = "packdesk"
//! # Seconds to wait for a printer to connect, take the bytes and (IPP) finish the job
//! # (1 to 3600). A job still unfinished then is checked again later, not sent twice.
//! timeout_secs = 60
//!
//! [printers.document]
//! kind = "dir"
//! user = "packdesk"
//! timeout_secs = 60
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{DocKind, Format, Printer};

/// The longest printer timeout accepted.
const MAX_TIMEOUT_SECS: u64 = 3600;

/// `[printers]`: the station's label printer and document printer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields, expecting = "a [printers] table")]
pub struct PrintersSection {
    /// When the packing slip prints by itself (default: when packed).
    pub slip: SlipWhen,
    /// `[printers.label]`: shipping labels.
    pub label: PrinterSection,
    /// `[printers.document]`: packing slips, hand-over summaries, sheets.
    pub document: PrinterSection,
}

/// `[printers] slip`: when the packing slip is printed without being asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SlipWhen {
    /// As soon as the order is packed (it goes into the box before it is closed).
    #[default]
    Packed,
    /// When the order's label is ready.
    Label,
    /// Only when asked (key or `PD:SLIP`).
    Never,
}

/// `[printers.label] size`: the label stock in the label printer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
pub enum LabelSize {
    /// 100×150 mm roll (one label a page).
    #[default]
    #[serde(rename = "100x150")]
    Roll100x150,
    /// A6 (one label a page).
    #[serde(rename = "a6")]
    A6,
    /// A4 sheets of four: each label on the station's next free quarter.
    #[serde(rename = "a4-quarter")]
    A4Quarter,
}

/// The kind of a configured printer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PrinterKind {
    /// IPP (CUPS queue, IPP Everywhere printer).
    Ipp,
    /// Raw TCP socket, usually port 9100.
    Raw9100,
    /// A directory of files.
    #[default]
    Dir,
}

/// `[printers.label]` or `[printers.document]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields, expecting = "a [printers.*] table")]
pub struct PrinterSection {
    /// `ipp`, `raw9100` or `dir`.
    pub kind: PrinterKind,
    /// For `ipp`: the printer URI.
    pub uri: Option<String>,
    /// For `raw9100`: `host:port`.
    pub address: Option<String>,
    /// For `dir`: the directory; `None` is the station's out dir.
    pub dir: Option<PathBuf>,
    /// Formats the printer takes; `None` is the kind's default.
    pub formats: Option<Vec<Format>>,
    /// IPP `requesting-user-name`.
    pub user: String,
    /// The label stock (meaningful for the label printer).
    pub size: LabelSize,
    /// Connect / send / job completion timeout in seconds.
    pub timeout_secs: u64,
}

impl Default for PrinterSection {
    fn default() -> PrinterSection {
        PrinterSection {
            kind: PrinterKind::Dir,
            uri: None,
            address: None,
            dir: None,
            formats: None,
            user: "packdesk".to_string(),
            size: LabelSize::default(),
            timeout_secs: 60,
        }
    }
}

/// Which of the station's two printers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// `[printers.label]`.
    Label,
    /// `[printers.document]`.
    Document,
}

impl Role {
    /// The config table name (`label`, `document`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Label => "label",
            Role::Document => "document",
        }
    }

    fn other(self) -> Role {
        match self {
            Role::Label => Role::Document,
            Role::Document => Role::Label,
        }
    }
}

/// A value in `[printers.*]` that serde accepts but that cannot work. `key` is the path
/// of the offending key (`["printers", "label", "uri"]`), for the config module to point
/// at its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// The dotted key path, as segments.
    pub key: Vec<&'static str>,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// Why a document has nowhere to go.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    /// Neither printer takes the document's format.
    #[error(
        "no printer of this station takes {format} ({kind}): add \"{format}\" to `formats` \
         of [printers.label] or [printers.document]"
    )]
    NoPrinter {
        /// `label`, `slip` …
        kind: &'static str,
        /// `pdf`, `zpl`.
        format: &'static str,
    },
    /// The chosen printer's section is incomplete or wrong.
    #[error("[printers.{role}] {message}")]
    Invalid {
        /// `label` or `document`.
        role: &'static str,
        /// What is wrong.
        message: String,
    },
}

impl PrintersSection {
    /// The section of one role.
    pub fn section(&self, role: Role) -> &PrinterSection {
        match role {
            Role::Label => &self.label,
            Role::Document => &self.document,
        }
    }

    /// Everything wrong in both sections (empty when the config is usable).
    pub fn problems(&self) -> Vec<ConfigProblem> {
        let mut out = self.label.problems("label");
        out.extend(self.document.problems("document"));
        out
    }

    /// The printer a document of `kind` in `format` goes to: the label printer for labels,
    /// the document printer for the rest, or the other one when the first does not take
    /// the format. `out_dir` is where a `dir` printer without `dir` writes.
    pub fn route(
        &self,
        kind: DocKind,
        format: Format,
        out_dir: &Path,
    ) -> Result<(Role, Printer), RouteError> {
        let first = match kind {
            DocKind::Label => Role::Label,
            DocKind::Slip | DocKind::Handover | DocKind::Sheet => Role::Document,
        };
        let role = [first, first.other()]
            .into_iter()
            .find(|r| self.section(*r).takes(format))
            .ok_or(RouteError::NoPrinter {
                kind: kind.as_str(),
                format: format.as_str(),
            })?;
        let printer =
            self.section(role)
                .printer(role, out_dir)
                .map_err(|p| RouteError::Invalid {
                    role: role.as_str(),
                    message: p.message,
                })?;
        Ok((role, printer))
    }
}

impl PrinterSection {
    /// The formats this printer takes (configured, or the kind's default).
    pub fn formats(&self) -> Vec<Format> {
        match (&self.formats, self.kind) {
            (Some(f), _) => f.clone(),
            (None, PrinterKind::Ipp) => vec![Format::Pdf],
            (None, PrinterKind::Raw9100) => vec![Format::Zpl],
            (None, PrinterKind::Dir) => vec![Format::Pdf, Format::Zpl],
        }
    }

    /// Whether this printer takes `format`.
    pub fn takes(&self, format: Format) -> bool {
        self.formats().contains(&format)
    }

    /// The printer this section (of `role`) describes; `out_dir` is the default directory.
    /// The first problem of the section, if any, is the error.
    pub fn printer(&self, role: Role, out_dir: &Path) -> Result<Printer, ConfigProblem> {
        if let Some(p) = self.problems(role.as_str()).into_iter().next() {
            return Err(p);
        }
        let missing = |key: &'static str| ConfigProblem {
            key: vec!["printers", role.as_str(), key],
            message: format!("needs `{key}`"),
        };
        Ok(match self.kind {
            PrinterKind::Ipp => Printer::Ipp {
                uri: self.uri.clone().ok_or_else(|| missing("uri"))?,
                user: self.user.clone(),
                timeout_secs: self.timeout_secs,
            },
            PrinterKind::Raw9100 => Printer::Raw9100 {
                address: self.address.clone().ok_or_else(|| missing("address"))?,
                timeout_secs: self.timeout_secs,
            },
            PrinterKind::Dir => Printer::Dir {
                dir: self.dir.clone().unwrap_or_else(|| out_dir.to_path_buf()),
            },
        })
    }

    fn problems(&self, role: &'static str) -> Vec<ConfigProblem> {
        let mut out = Vec::new();
        let mut fail = |key: &'static str, message: String| {
            out.push(ConfigProblem {
                key: vec!["printers", role, key],
                message,
            })
        };
        let kind_name = match self.kind {
            PrinterKind::Ipp => "ipp",
            PrinterKind::Raw9100 => "raw9100",
            PrinterKind::Dir => "dir",
        };
        let only = |key: &str, kind: &str| {
            format!("`{key}` is for kind = \"{kind}\", this printer is kind = \"{kind_name}\"")
        };
        match self.kind {
            PrinterKind::Ipp => match &self.uri {
                None => fail(
                    "kind",
                    "kind = \"ipp\" needs uri = \"ipp://host:631/printers/<queue>\"".into(),
                ),
                Some(uri) => {
                    if let Err(reason) = check_ipp_uri(uri) {
                        fail("uri", reason);
                    }
                }
            },
            PrinterKind::Raw9100 => match &self.address {
                None => fail(
                    "kind",
                    "kind = \"raw9100\" needs address = \"host:9100\"".into(),
                ),
                Some(a) => {
                    if let Err(reason) = check_address(a) {
                        fail("address", reason);
                    }
                }
            },
            PrinterKind::Dir => {
                if self.dir.as_ref().is_some_and(|d| d.as_os_str().is_empty()) {
                    fail("dir", "must not be empty; leave it out for out_dir".into());
                }
            }
        }
        if self.uri.is_some() && self.kind != PrinterKind::Ipp {
            fail("uri", only("uri", "ipp"));
        }
        if self.address.is_some() && self.kind != PrinterKind::Raw9100 {
            fail("address", only("address", "raw9100"));
        }
        if self.dir.is_some() && self.kind != PrinterKind::Dir {
            fail("dir", only("dir", "dir"));
        }
        if self.formats.as_ref().is_some_and(Vec::is_empty) {
            fail(
                "formats",
                "must name at least one format; leave it out for the default".into(),
            );
        }
        if self.user.trim().is_empty() || self.user.chars().any(char::is_control) {
            fail(
                "user",
                "must be a non-empty name without control characters".into(),
            );
        }
        if !(1..=MAX_TIMEOUT_SECS).contains(&self.timeout_secs) {
            fail(
                "timeout_secs",
                format!("must be between 1 and {MAX_TIMEOUT_SECS} seconds"),
            );
        }
        out
    }
}

fn check_ipp_uri(uri: &str) -> Result<(), String> {
    let parsed = uri
        .parse::<ipp::prelude::Uri>()
        .map_err(|e| format!("is not a URI: {e}"))?;
    match parsed.scheme_str() {
        Some("ipp" | "ipps" | "http" | "https") => {}
        _ => return Err("must start with ipp://, ipps://, http:// or https://".into()),
    }
    if parsed.host().is_none_or(str::is_empty) {
        return Err("has no host".into());
    }
    Ok(())
}

fn check_address(address: &str) -> Result<(), String> {
    let (host, port) = address
        .rsplit_once(':')
        .ok_or("must be host:port, e.g. \"192.168.1.50:9100\"")?;
    if host.is_empty() {
        return Err("has no host before the `:`".into());
    }
    match port.parse::<u16>() {
        Ok(p) if p > 0 => Ok(()),
        _ => Err(format!("port {port:?} is not a number from 1 to 65535")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> PrintersSection {
        match toml::from_str::<PrintersSection>(text) {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn slip_and_label_size_parse_with_defaults() {
        let p = parse("");
        assert_eq!(p.slip, SlipWhen::Packed);
        assert_eq!(p.label.size, LabelSize::Roll100x150);
        let p = parse("slip = \"never\"\n[label]\nsize = \"a4-quarter\"\n");
        assert_eq!(p.slip, SlipWhen::Never);
        assert_eq!(p.label.size, LabelSize::A4Quarter);
        assert_eq!(parse("slip = \"label\"").slip, SlipWhen::Label);
        assert_eq!(parse("[label]\nsize = \"a6\"").label.size, LabelSize::A6);
        assert!(toml::from_str::<PrintersSection>("slip = \"always\"").is_err());
        assert!(toml::from_str::<PrintersSection>("[label]\nsize = \"a5\"").is_err());
    }

    #[test]
    fn default_writes_everything_into_the_out_dir() {
        let p = PrintersSection::default();
        assert!(p.problems().is_empty());
        let out = Path::new("/tmp/out");
        for (kind, format) in [
            (DocKind::Label, Format::Zpl),
            (DocKind::Label, Format::Pdf),
            (DocKind::Slip, Format::Pdf),
        ] {
            let (_, printer) = p.route(kind, format, out).expect("routed");
            assert_eq!(printer, Printer::Dir { dir: out.into() });
        }
    }

    #[test]
    fn labels_and_documents_go_to_their_printers_by_format() {
        let p = parse(
            r#"
            [label]
            kind = "raw9100"
            address = "10.0.0.5:9100"
            [document]
            kind = "ipp"
            uri = "ipp://localhost:631/printers/office"
            timeout_secs = 30
            "#,
        );
        assert!(p.problems().is_empty(), "{:?}", p.problems());
        let out = Path::new("out");
        let (role, zpl) = p.route(DocKind::Label, Format::Zpl, out).expect("zpl");
        assert_eq!(role, Role::Label);
        assert!(matches!(zpl, Printer::Raw9100 { ref address, .. } if address == "10.0.0.5:9100"));
        // A PDF label (a carrier that only gives PDF) falls over to the document printer.
        let (role, _) = p.route(DocKind::Label, Format::Pdf, out).expect("pdf");
        assert_eq!(role, Role::Document);
        let (role, slip) = p.route(DocKind::Slip, Format::Pdf, out).expect("slip");
        assert_eq!(role, Role::Document);
        assert_eq!(
            slip,
            Printer::Ipp {
                uri: "ipp://localhost:631/printers/office".into(),
                user: "packdesk".into(),
                timeout_secs: 30
            }
        );
        // Nobody takes a ZPL packing slip? The label printer does.
        let (role, _) = p.route(DocKind::Slip, Format::Zpl, out).expect("zpl slip");
        assert_eq!(role, Role::Label);
    }

    #[test]
    fn a_format_no_printer_takes_is_an_error() {
        let p = parse(
            r#"
            [label]
            kind = "ipp"
            uri = "ipp://cups/printers/a"
            [document]
            kind = "ipp"
            uri = "ipp://cups/printers/b"
            "#,
        );
        let err = p.route(DocKind::Label, Format::Zpl, Path::new("o"));
        assert_eq!(
            err,
            Err(RouteError::NoPrinter {
                kind: "label",
                format: "zpl"
            })
        );
    }

    #[test]
    fn problems_name_the_key() {
        let p = parse(
            r#"
            [label]
            kind = "raw9100"
            address = "printer"
            uri = "ipp://x/printers/y"
            timeout_secs = 0
            [document]
            kind = "ipp"
            "#,
        );
        let keys: Vec<String> = p.problems().iter().map(|p| p.key.join(".")).collect();
        assert_eq!(
            keys,
            [
                "printers.label.address",
                "printers.label.uri",
                "printers.label.timeout_secs",
                "printers.document.kind"
            ]
        );
        assert!(matches!(
            p.route(DocKind::Slip, Format::Pdf, Path::new("o")),
            Err(RouteError::Invalid {
                role: "document",
                ..
            })
        ));
    }

    #[test]
    fn unknown_keys_and_kinds_are_rejected() {
        assert!(toml::from_str::<PrintersSection>("[label]\nkind = \"usb\"\n").is_err());
        assert!(toml::from_str::<PrintersSection>("[label]\nurl = \"x\"\n").is_err());
        assert!(toml::from_str::<PrintersSection>("[label]\nformats = [\"png\"]\n").is_err());
    }

    #[test]
    fn the_documented_block_is_the_default() {
        let doc = include_str!("config.rs");
        let block: String = doc
            .lines()
            .skip_while(|l| !l.starts_with("//! ```toml"))
            .skip(1)
            .take_while(|l| !l.starts_with("//! ```"))
            .map(|l| {
                l.strip_prefix("//! ")
                    .unwrap_or(l.trim_start_matches("//!"))
            })
            .collect::<Vec<_>>()
            .join("\n");
        #[derive(Deserialize)]
        struct Root {
            printers: PrintersSection,
        }
        let parsed: Root = match toml::from_str(&block) {
            Ok(r) => r,
            Err(e) => panic!("{e}\n{block}"),
        };
        assert_eq!(parsed.printers, PrintersSection::default());
    }
}
