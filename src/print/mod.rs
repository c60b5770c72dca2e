//! Printers and the print queue.
//!
//! Three kinds of [`Printer`]: an IPP queue (CUPS or an IPP Everywhere printer, Print-Job
//! then Get-Job-Attributes until the job ends), a raw TCP 9100 socket (ZPL label printers)
//! and a directory sink (each document written as a file, atomically). Which printer gets a
//! document is decided by [`PrintersSection::route`]: a label printer and a document
//! printer per station, by document kind and format.
//!
//! Every job goes through the persistent [`PrintQueue`]: written to sled before it is
//! tried, retried with backoff while the printer is off or refuses, never lost; the worker
//! ([`PrintQueue::run`]) reports what happened as [`PrintEvent`]s.

mod config;
mod ipp;
mod queue;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;

pub use config::{
    ConfigProblem, LabelSize, PrinterKind, PrinterSection, PrintersSection, Role, RouteError,
    SlipWhen,
};
pub use queue::{
    ContentRef, JobContent, JobState, NewJob, PrintEvent, PrintJob, PrintQueue, QueueError,
    QueueOptions,
};

/// What a document is; decides which printer it goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DocKind {
    /// A shipping label (carrier or own).
    Label,
    /// A packing slip.
    Slip,
    /// A hand-over summary for a carrier's driver.
    Handover,
    /// A command-barcode or scanner test sheet.
    Sheet,
}

impl DocKind {
    /// The name used in config and file names.
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Label => "label",
            DocKind::Slip => "slip",
            DocKind::Handover => "handover",
            DocKind::Sheet => "sheet",
        }
    }
}

/// The bytes' format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// PDF.
    Pdf,
    /// Zebra ZPL II.
    Zpl,
}

impl Format {
    /// The name used in config (`pdf`, `zpl`), also the file extension.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Zpl => "zpl",
        }
    }

    /// The IPP `document-format` (MIME type). ZPL goes as opaque bytes, which a CUPS raw
    /// queue passes to the printer unchanged.
    pub fn mime_type(self) -> &'static str {
        match self {
            Format::Pdf => "application/pdf",
            Format::Zpl => "application/octet-stream",
        }
    }
}

/// Where bytes are printed: the resolved form of a `[printers.*]` section, stored with
/// each queued job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Printer {
    /// An IPP printer or CUPS queue.
    Ipp {
        /// `ipp://host:631/printers/queue`, `ipps://…` or `http(s)://…`.
        uri: String,
        /// Sent as `requesting-user-name`.
        user: String,
        /// How long to wait for the job to complete, in seconds.
        timeout_secs: u64,
    },
    /// A raw socket printer (`host:9100`): the bytes are written as they are.
    Raw9100 {
        /// `host:port`.
        address: String,
        /// Connect and write timeout, in seconds.
        timeout_secs: u64,
    },
    /// A directory: each document is written as `<dir>/<name>`.
    Dir {
        /// The directory (created when missing).
        dir: PathBuf,
    },
}

impl std::fmt::Display for Printer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Printer::Ipp { uri, .. } => write!(f, "IPP printer {}", redact_uri(uri)),
            Printer::Raw9100 { address, .. } => write!(f, "raw printer {address}"),
            Printer::Dir { dir } => write!(f, "directory {}", dir.display()),
        }
    }
}

/// A URI without the user:password part, for messages and logs.
fn redact_uri(uri: &str) -> String {
    match (uri.find("://"), uri.find('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://…@{}", &uri[..s], &uri[at + 1..]),
        _ => uri.to_string(),
    }
}

/// What a printer reported for a finished job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Printed {
    /// A line for people: `IPP job 12 completed`, `written to …`, `1234 bytes sent to …`.
    pub detail: String,
    /// The IPP job id, for IPP printers.
    pub remote_job: Option<i32>,
}

/// Why a document was not printed.
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    /// The printer cannot be reached (off, unplugged, connection refused, DNS).
    #[error("{printer} cannot be reached: {detail}")]
    Unreachable {
        /// The printer, as displayed.
        printer: String,
        /// The network error.
        detail: String,
    },
    /// The printer took too long.
    #[error("{printer}: {what} took longer than {secs} s")]
    Timeout {
        /// The printer, as displayed.
        printer: String,
        /// What was being done.
        what: String,
        /// The limit.
        secs: u64,
    },
    /// The printer is there but does not take jobs now (stopped, busy, server error).
    #[error("{printer} does not accept jobs now: {status}")]
    NotAccepting {
        /// The printer, as displayed.
        printer: String,
        /// The IPP or HTTP status.
        status: String,
    },
    /// The printer refused this job for good (bad format, not found, forbidden).
    #[error("{printer} refused the job: {status}")]
    Refused {
        /// The printer, as displayed.
        printer: String,
        /// The IPP or HTTP status.
        status: String,
    },
    /// The IPP job was accepted but ended without printing.
    #[error("{printer}: IPP job {job_id} ended {state} ({reasons})")]
    JobEnded {
        /// The printer, as displayed.
        printer: String,
        /// The IPP job id.
        job_id: i32,
        /// `aborted` or `canceled`.
        state: String,
        /// `job-state-reasons`.
        reasons: String,
    },
    /// The IPP job was accepted and is still pending or processing at the timeout (out of
    /// paper, printer stopped). It stays with the printer; the queue polls it again.
    #[error("{printer}: IPP job {job_id} is still {state} after {secs} s ({reasons})")]
    JobPending {
        /// The printer, as displayed.
        printer: String,
        /// The IPP job id.
        job_id: i32,
        /// The last `job-state`.
        state: String,
        /// `job-state-reasons`.
        reasons: String,
        /// The limit.
        secs: u64,
    },
    /// The printer answered something that is not valid IPP or not what was asked.
    #[error("{printer} answered badly: {detail}")]
    Protocol {
        /// The printer, as displayed.
        printer: String,
        /// What was wrong.
        detail: String,
    },
    /// The printer's address cannot be used.
    #[error("printer address {address:?} is not valid: {reason}")]
    BadAddress {
        /// The address as configured (credentials removed).
        address: String,
        /// What is wrong.
        reason: String,
    },
    /// Writing into the directory sink failed.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A job's content file is gone or unreadable.
    #[error("cannot read the document {}: {source}", path.display())]
    Content {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl PrintError {
    /// True when trying again later may succeed (printer off, busy, out of paper, disk
    /// not mounted); false when the job itself or the configuration must change.
    pub fn is_transient(&self) -> bool {
        match self {
            PrintError::Unreachable { .. }
            | PrintError::Timeout { .. }
            | PrintError::NotAccepting { .. }
            | PrintError::JobPending { .. }
            | PrintError::Write { .. } => true,
            PrintError::Refused { .. }
            | PrintError::JobEnded { .. }
            | PrintError::Protocol { .. }
            | PrintError::BadAddress { .. }
            | PrintError::Content { .. } => false,
        }
    }

    /// The IPP job id a [`PrintError::JobPending`] is about.
    pub fn pending_job(&self) -> Option<i32> {
        match self {
            PrintError::JobPending { job_id, .. } => Some(*job_id),
            _ => None,
        }
    }
}

/// One document to print, as handed to a [`Printer`].
#[derive(Debug, Clone, Copy)]
pub struct Document<'a> {
    /// The job / file name (`label-1001-Z123.pdf`); sanitised for file systems.
    pub name: &'a str,
    /// The format of `bytes`.
    pub format: Format,
    /// The content.
    pub bytes: &'a [u8],
}

impl Printer {
    /// Prints `doc` and waits until the printer is done with it.
    ///
    /// `resume_job` is an IPP job id from an earlier attempt that was still pending: the
    /// job is polled instead of sent again, so it is not printed twice. `accepted` is
    /// called with the IPP job id as soon as the printer has taken a new job (before
    /// waiting for it), so the caller can record it.
    pub async fn print(
        &self,
        doc: Document<'_>,
        resume_job: Option<i32>,
        accepted: &mut (dyn FnMut(i32) + Send),
    ) -> Result<Printed, PrintError> {
        match self {
            Printer::Ipp {
                uri,
                user,
                timeout_secs,
            } => {
                let target = ipp::IppTarget::new(uri, user, Duration::from_secs(*timeout_secs))?;
                target.print(doc, resume_job, accepted).await
            }
            Printer::Raw9100 {
                address,
                timeout_secs,
            } => send_raw(address, doc.bytes, Duration::from_secs(*timeout_secs)).await,
            Printer::Dir { dir } => write_to_dir(dir, doc).await,
        }
    }
}

impl Printer {
    /// Cancels the job `remote_job` the printer holds. Only IPP printers keep jobs; for the
    /// others this does nothing.
    pub async fn cancel_remote(&self, remote_job: i32) -> Result<(), PrintError> {
        match self {
            Printer::Ipp {
                uri,
                user,
                timeout_secs,
            } => {
                ipp::IppTarget::new(uri, user, Duration::from_secs(*timeout_secs))?
                    .cancel(remote_job)
                    .await
            }
            Printer::Raw9100 { .. } | Printer::Dir { .. } => Ok(()),
        }
    }
}

/// Writes the bytes to a raw socket printer and closes the connection.
async fn send_raw(address: &str, bytes: &[u8], limit: Duration) -> Result<Printed, PrintError> {
    let printer = format!("raw printer {address}");
    let timeout = |what: &str| PrintError::Timeout {
        printer: printer.clone(),
        what: what.to_string(),
        secs: limit.as_secs(),
    };
    let unreachable = |e: std::io::Error| PrintError::Unreachable {
        printer: printer.clone(),
        detail: e.to_string(),
    };
    let mut stream = tokio::time::timeout(limit, tokio::net::TcpStream::connect(address))
        .await
        .map_err(|_| timeout("connecting"))?
        .map_err(unreachable)?;
    tokio::time::timeout(limit, async {
        stream.write_all(bytes).await?;
        stream.shutdown().await
    })
    .await
    .map_err(|_| timeout("sending"))?
    .map_err(unreachable)?;
    tracing::info!(address, bytes = bytes.len(), "sent to raw printer");
    Ok(Printed {
        detail: format!("{} bytes sent to {address}", bytes.len()),
        remote_job: None,
    })
}

/// A name safe as a single file name: path separators, control characters and leading
/// dots replaced, never empty.
pub fn safe_file_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c == ':' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_string();
    if cleaned.is_empty() {
        "document".to_string()
    } else {
        cleaned.chars().take(200).collect()
    }
}

/// Writes `<dir>/<name>` atomically: a temporary file in the same directory, synced, then
/// renamed over the final name, so a reader never sees half a document.
async fn write_to_dir(dir: &Path, doc: Document<'_>) -> Result<Printed, PrintError> {
    let name = safe_file_name(doc.name);
    let path = dir.join(&name);
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let write_err = |p: &Path| {
        let p = p.to_path_buf();
        move |source| PrintError::Write { path: p, source }
    };
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(write_err(dir))?;
    let result = async {
        let mut file = tokio::fs::File::create(&tmp).await?;
        file.write_all(doc.bytes).await?;
        file.sync_all().await?;
        drop(file);
        tokio::fs::rename(&tmp, &path).await
    }
    .await;
    if let Err(source) = result {
        // Best effort: a leftover temporary file is harmless but untidy.
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(PrintError::Write { path, source });
    }
    tracing::info!(path = %path.display(), bytes = doc.bytes.len(), "document written");
    Ok(Printed {
        detail: format!("written to {}", path.display()),
        remote_job: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_cannot_escape_the_directory() {
        assert_eq!(safe_file_name("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(safe_file_name("..."), "document");
        assert_eq!(safe_file_name("a\nb/c.pdf"), "a_b_c.pdf");
        assert_eq!(safe_file_name("štítek-1001.pdf"), "štítek-1001.pdf");
    }

    #[test]
    fn credentials_are_not_displayed() {
        let p = Printer::Ipp {
            uri: "ipps://bob:secret@print.example:631/printers/q".into(),
            user: "packdesk".into(),
            timeout_secs: 5,
        };
        let shown = p.to_string();
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("print.example:631/printers/q"), "{shown}");
    }
}
