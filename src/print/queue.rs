//! The persistent print queue (sled tree `print_queue`).
//!
//! A job is written (and flushed) before it is tried. A printer that is off, busy or out of
//! paper leaves the job `queued` with its error, retried with a growing delay; a job the
//! printer refuses for good becomes `failed` and stays listed until retried or cancelled.
//! Finished jobs keep their bytes, so [`PrintQueue::reprint`] never needs the source again.
//!
//! Keys: `job/<id BE u64>` → one version byte + JSON [`PrintJob`]; `data/<id BE u64>` → the
//! document bytes; `next_id` → the last id given out (BE u64).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use super::{DocKind, Document, Format, PrintError, Printer};
use crate::store::{Store, StoreError};

const TREE: &str = "print_queue";
const VALUE_VERSION: u8 = 1;
const NEXT_ID: &[u8] = b"next_id";
const JOB_PREFIX: &[u8] = b"job/";
const DATA_PREFIX: &[u8] = b"data/";

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    /// Waiting for its turn or for the printer to come back.
    Queued,
    /// Being sent, or the printer is working on it.
    Printing,
    /// Printed.
    Done,
    /// Refused for good; waits for [`PrintQueue::retry`] or [`PrintQueue::cancel`].
    Failed,
    /// Cancelled by the packer; kept for the record.
    Cancelled,
}

impl JobState {
    /// `queued`, `printing`, `done`, `failed`, `cancelled`.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Printing => "printing",
            JobState::Done => "done",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
        }
    }
}

/// The content of a new job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobContent {
    /// The bytes themselves, stored in the queue.
    Bytes(Vec<u8>),
    /// A file that stays where it is (a stored carrier label); read when printed.
    File(PathBuf),
}

/// Where a stored job's bytes are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "at", rename_all = "lowercase")]
pub enum ContentRef {
    /// In the queue tree, `len` bytes.
    Queue {
        /// Length in bytes.
        len: usize,
    },
    /// In a file.
    File {
        /// The file.
        path: PathBuf,
    },
}

/// What to print, for [`PrintQueue::enqueue`].
#[derive(Debug, Clone)]
pub struct NewJob {
    /// Job title and file name (`label-1001-Z123.pdf`).
    pub name: String,
    /// What the document is.
    pub kind: DocKind,
    /// Its format.
    pub format: Format,
    /// Its bytes.
    pub content: JobContent,
    /// Where it goes (from [`super::PrintersSection::route`]).
    pub printer: Printer,
    /// What the document belongs to (an order key, a tracking number), for finding its
    /// jobs again to reprint.
    pub key: Option<String>,
}

/// A job in the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrintJob {
    /// Unique in this data directory, increasing.
    pub id: u64,
    /// Job title and file name.
    pub name: String,
    /// What the document is.
    pub kind: DocKind,
    /// Its format.
    pub format: Format,
    /// Where the bytes are.
    pub content: ContentRef,
    /// Where it goes.
    pub printer: Printer,
    /// What the document belongs to.
    pub key: Option<String>,
    /// Where the job is.
    pub state: JobState,
    /// How many times it was tried.
    pub attempts: u32,
    /// The last error (printer messages: sanitise before drawing).
    pub last_error: Option<String>,
    /// What the printer said when it was done (`IPP job 12 completed`).
    pub detail: Option<String>,
    /// The IPP job id at the printer, once known; a pending one is polled, not resent.
    pub remote_job: Option<i32>,
    /// The job this one reprints.
    pub reprint_of: Option<u64>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// Last state change.
    pub updated_at: DateTime<Utc>,
    /// Not tried before this time (backoff).
    pub next_attempt_at: DateTime<Utc>,
}

/// What the worker reports.
#[derive(Debug, Clone, PartialEq)]
pub enum PrintEvent {
    /// The job is being sent.
    Started(PrintJob),
    /// Printed; `job.detail` says how.
    Printed(PrintJob),
    /// Not printed now, tried again after `retry_in`; `job.last_error` says why.
    Retrying {
        /// The job, still queued.
        job: PrintJob,
        /// Delay until the next attempt.
        retry_in: Duration,
    },
    /// Refused for good; `job.last_error` says why.
    Failed(PrintJob),
}

/// What went wrong with the queue itself (not with a printer).
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The store could not be opened or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// sled failed on the print queue tree.
    #[error("print queue storage error: {0}")]
    Sled(#[from] sled::Error),
    /// A job record could not be read.
    #[error("damaged print job record {key}: {detail}")]
    Corrupt {
        /// The key, printable.
        key: String,
        /// What is wrong.
        detail: String,
    },
    /// No job with this id.
    #[error("no print job {id}")]
    NotFound {
        /// The id asked for.
        id: u64,
    },
    /// The operation does not fit the job's state.
    #[error("print job {id} is {state}: {hint}")]
    WrongState {
        /// The job.
        id: u64,
        /// Its state.
        state: &'static str,
        /// What to do instead.
        hint: &'static str,
    },
    /// A reprint's source file is gone.
    #[error("cannot read the document of print job {id} ({}): {source}", path.display())]
    Content {
        /// The job.
        id: u64,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// Retry timing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueOptions {
    /// Delay after the first failed attempt; doubled after each further one.
    pub backoff_min: Duration,
    /// The longest delay between attempts.
    pub backoff_max: Duration,
}

impl Default for QueueOptions {
    fn default() -> QueueOptions {
        QueueOptions {
            backoff_min: Duration::from_secs(2),
            backoff_max: Duration::from_secs(60),
        }
    }
}

impl QueueOptions {
    /// The delay after `attempts` failed attempts (≥ 1).
    pub fn delay(&self, attempts: u32) -> Duration {
        let factor = 1u32 << attempts.saturating_sub(1).min(20);
        self.backoff_min
            .saturating_mul(factor)
            .min(self.backoff_max)
    }
}

/// The print queue of one data directory. Cheap to clone; all clones share one wake-up
/// signal, so [`PrintQueue::enqueue`] on any clone wakes [`PrintQueue::run`].
#[derive(Clone)]
pub struct PrintQueue {
    tree: sled::Tree,
    options: QueueOptions,
    wake: Arc<Notify>,
}

impl std::fmt::Debug for PrintQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrintQueue")
            .field("jobs", &self.tree.scan_prefix(JOB_PREFIX).count())
            .finish()
    }
}

fn job_key(id: u64) -> Vec<u8> {
    [JOB_PREFIX, &id.to_be_bytes()].concat()
}

fn data_key(id: u64) -> Vec<u8> {
    [DATA_PREFIX, &id.to_be_bytes()].concat()
}

fn encode(job: &PrintJob) -> Vec<u8> {
    let mut out = vec![VALUE_VERSION];
    // Plain data with string keys only: serialising cannot fail.
    if let Err(e) = serde_json::to_writer(&mut out, job) {
        tracing::error!(error = %e, "encoding a print job failed");
    }
    out
}

fn decode(key: &[u8], bytes: &[u8]) -> Result<PrintJob, QueueError> {
    let corrupt = |detail: String| QueueError::Corrupt {
        key: String::from_utf8_lossy(key).into_owned(),
        detail,
    };
    match bytes.split_first() {
        Some((&VALUE_VERSION, body)) => {
            serde_json::from_slice(body).map_err(|e| corrupt(e.to_string()))
        }
        Some((v, _)) => Err(corrupt(format!("unknown value version {v}"))),
        None => Err(corrupt("empty value".into())),
    }
}

fn chrono_delay(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

impl PrintQueue {
    /// The queue in `store`'s data directory.
    pub fn open(store: &Store, options: QueueOptions) -> Result<PrintQueue, QueueError> {
        PrintQueue::from_tree(store.open_tree(TREE)?, options)
    }

    /// The queue in a sled tree. Jobs left `printing` by a process that stopped are queued
    /// again (an IPP job whose id is known is polled, not resent).
    pub fn from_tree(tree: sled::Tree, options: QueueOptions) -> Result<PrintQueue, QueueError> {
        let queue = PrintQueue {
            tree,
            options,
            wake: Arc::new(Notify::new()),
        };
        for job in queue.list()? {
            if job.state == JobState::Printing {
                queue.update(job.id, |j| {
                    j.state = JobState::Queued;
                    j.last_error = Some(match j.remote_job {
                        Some(remote) => format!(
                            "packdesk stopped while the printer had this job (IPP job \
                             {remote}); its state is asked again"
                        ),
                        None => "packdesk stopped while this job was being sent; it is sent \
                                 again and may come out twice"
                            .into(),
                    });
                    Ok(())
                })?;
                tracing::warn!(id = job.id, "print job interrupted; queued again");
            }
        }
        Ok(queue)
    }

    /// Stores a new job (durably) and wakes the worker. Returns the stored job.
    pub async fn enqueue(&self, new: NewJob) -> Result<PrintJob, QueueError> {
        let id = self.next_id()?;
        let now = Utc::now();
        let (content, data) = match new.content {
            JobContent::Bytes(b) => (ContentRef::Queue { len: b.len() }, Some(b)),
            JobContent::File(path) => (ContentRef::File { path }, None),
        };
        let job = PrintJob {
            id,
            name: new.name,
            kind: new.kind,
            format: new.format,
            content,
            printer: new.printer,
            key: new.key,
            state: JobState::Queued,
            attempts: 0,
            last_error: None,
            detail: None,
            remote_job: None,
            reprint_of: None,
            created_at: now,
            updated_at: now,
            next_attempt_at: now,
        };
        self.insert(&job, data).await?;
        tracing::info!(id, name = %job.name, printer = %job.printer, "print job queued");
        Ok(job)
    }

    async fn insert(&self, job: &PrintJob, data: Option<Vec<u8>>) -> Result<(), QueueError> {
        let mut batch = sled::Batch::default();
        if let Some(data) = data {
            batch.insert(data_key(job.id), data);
        }
        batch.insert(job_key(job.id), encode(job));
        self.tree.apply_batch(batch)?;
        crate::store::flush_tree(&self.tree).await?;
        self.wake.notify_one();
        Ok(())
    }

    fn next_id(&self) -> Result<u64, QueueError> {
        let v = self.tree.update_and_fetch(NEXT_ID, |old| {
            let last = old
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map_or(0, u64::from_be_bytes);
            Some((last + 1).to_be_bytes().to_vec())
        })?;
        v.as_deref()
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map(u64::from_be_bytes)
            .ok_or_else(|| QueueError::Corrupt {
                key: "next_id".into(),
                detail: "not 8 bytes".into(),
            })
    }

    /// One job.
    pub fn get(&self, id: u64) -> Result<Option<PrintJob>, QueueError> {
        let key = job_key(id);
        self.tree.get(&key)?.map(|v| decode(&key, &v)).transpose()
    }

    /// Every job, oldest first. Damaged records are logged and left out.
    pub fn list(&self) -> Result<Vec<PrintJob>, QueueError> {
        let mut out = Vec::new();
        for kv in self.tree.scan_prefix(JOB_PREFIX) {
            let (k, v) = kv?;
            match decode(&k, &v) {
                Ok(job) => out.push(job),
                Err(e) => tracing::warn!(error = %e, "print job record skipped"),
            }
        }
        Ok(out)
    }

    /// The jobs of one document owner (order key, tracking number), oldest first.
    pub fn jobs_for_key(&self, key: &str) -> Result<Vec<PrintJob>, QueueError> {
        Ok(self
            .list()?
            .into_iter()
            .filter(|j| j.key.as_deref() == Some(key))
            .collect())
    }

    /// The document bytes of a job.
    pub async fn content(&self, job: &PrintJob) -> Result<Vec<u8>, QueueError> {
        match &job.content {
            ContentRef::Queue { .. } => Ok(self
                .tree
                .get(data_key(job.id))?
                .map(|v| v.to_vec())
                .ok_or_else(|| QueueError::Corrupt {
                    key: format!("data/{}", job.id),
                    detail: "the document bytes are missing".into(),
                })?),
            ContentRef::File { path } => {
                tokio::fs::read(path)
                    .await
                    .map_err(|source| QueueError::Content {
                        id: job.id,
                        path: path.clone(),
                        source,
                    })
            }
        }
    }

    /// Read-modify-write of one job, safe against the worker changing it meanwhile.
    fn update(
        &self,
        id: u64,
        mut change: impl FnMut(&mut PrintJob) -> Result<(), QueueError>,
    ) -> Result<PrintJob, QueueError> {
        let key = job_key(id);
        loop {
            let old = self.tree.get(&key)?.ok_or(QueueError::NotFound { id })?;
            let mut job = decode(&key, &old)?;
            change(&mut job)?;
            job.updated_at = Utc::now();
            if self
                .tree
                .compare_and_swap(&key, Some(&old), Some(encode(&job)))?
                .is_ok()
            {
                return Ok(job);
            }
        }
    }

    async fn update_durably(
        &self,
        id: u64,
        change: impl FnMut(&mut PrintJob) -> Result<(), QueueError>,
    ) -> Result<PrintJob, QueueError> {
        let job = self.update(id, change)?;
        crate::store::flush_tree(&self.tree).await?;
        Ok(job)
    }

    /// Tries a queued or failed (or cancelled) job again now.
    pub async fn retry(&self, id: u64) -> Result<PrintJob, QueueError> {
        let job = self
            .update_durably(id, |j| match j.state {
                JobState::Queued | JobState::Failed | JobState::Cancelled => {
                    if j.state != JobState::Queued {
                        // A job that ended at the printer is sent anew; one still
                        // pending there is only polled again.
                        j.remote_job = None;
                    }
                    j.state = JobState::Queued;
                    j.next_attempt_at = Utc::now();
                    Ok(())
                }
                JobState::Printing => Err(QueueError::WrongState {
                    id,
                    state: j.state.as_str(),
                    hint: "it is being printed now",
                }),
                JobState::Done => Err(QueueError::WrongState {
                    id,
                    state: j.state.as_str(),
                    hint: "use reprint for another copy",
                }),
            })
            .await?;
        self.wake.notify_one();
        Ok(job)
    }

    /// Cancels a queued or failed job; it stays listed as cancelled. A job an IPP printer
    /// still holds (out of paper, stopped) is cancelled there too; when that fails the job
    /// is cancelled here anyway and `last_error` says the printer may still print it.
    pub async fn cancel(&self, id: u64) -> Result<PrintJob, QueueError> {
        let job = self.set_cancelled(id).await?;
        let Some(remote) = job.remote_job else {
            return Ok(job);
        };
        let note = match job.printer.cancel_remote(remote).await {
            Ok(()) => None,
            Err(e) => Some(format!(
                "cancelled here, but the printer may still print it: {e}"
            )),
        };
        self.update_durably(id, |j| {
            j.remote_job = None;
            if note.is_some() {
                j.last_error.clone_from(&note);
            }
            Ok(())
        })
        .await
    }

    async fn set_cancelled(&self, id: u64) -> Result<PrintJob, QueueError> {
        self.update_durably(id, |j| match j.state {
            JobState::Queued | JobState::Failed => {
                j.state = JobState::Cancelled;
                Ok(())
            }
            JobState::Printing => Err(QueueError::WrongState {
                id,
                state: j.state.as_str(),
                hint: "it is already with the printer; cancel it there",
            }),
            JobState::Done | JobState::Cancelled => Err(QueueError::WrongState {
                id,
                state: j.state.as_str(),
                hint: "nothing to cancel",
            }),
        })
        .await
    }

    /// Sends a queued or failed job to another printer (its own is gone for good), and
    /// tries it now. A job an IPP printer still holds must be cancelled first.
    pub async fn retarget(&self, id: u64, printer: Printer) -> Result<PrintJob, QueueError> {
        let job = self
            .update_durably(id, |j| match (j.state, j.remote_job) {
                (JobState::Queued | JobState::Failed, None) => {
                    j.printer = printer.clone();
                    j.state = JobState::Queued;
                    j.next_attempt_at = Utc::now();
                    Ok(())
                }
                (JobState::Queued | JobState::Failed, Some(_)) => Err(QueueError::WrongState {
                    id,
                    state: j.state.as_str(),
                    hint: "its printer still holds it; cancel it and reprint elsewhere",
                }),
                (state, _) => Err(QueueError::WrongState {
                    id,
                    state: state.as_str(),
                    hint: "only queued or failed jobs can move to another printer",
                }),
            })
            .await?;
        tracing::info!(id, printer = %job.printer, "print job moved");
        self.wake.notify_one();
        Ok(job)
    }

    /// A new job with the same document and printer as the done job `id`.
    pub async fn reprint(&self, id: u64) -> Result<PrintJob, QueueError> {
        let old = self.get(id)?.ok_or(QueueError::NotFound { id })?;
        if old.state != JobState::Done {
            return Err(QueueError::WrongState {
                id,
                state: old.state.as_str(),
                hint: "only a printed job can be reprinted; use retry",
            });
        }
        let content = match &old.content {
            ContentRef::Queue { .. } => JobContent::Bytes(self.content(&old).await?),
            ContentRef::File { path } => JobContent::File(path.clone()),
        };
        let new_id = self.next_id()?;
        let now = Utc::now();
        let (content, data) = match content {
            JobContent::Bytes(b) => (ContentRef::Queue { len: b.len() }, Some(b)),
            JobContent::File(path) => (ContentRef::File { path }, None),
        };
        let job = PrintJob {
            id: new_id,
            content,
            state: JobState::Queued,
            attempts: 0,
            last_error: None,
            detail: None,
            remote_job: None,
            reprint_of: Some(id),
            created_at: now,
            updated_at: now,
            next_attempt_at: now,
            ..old
        };
        self.insert(&job, data).await?;
        tracing::info!(id = new_id, of = id, "reprint queued");
        Ok(job)
    }

    /// Removes done and cancelled jobs (and their bytes) last changed before `before`.
    /// Returns how many were removed.
    pub async fn prune_finished(&self, before: DateTime<Utc>) -> Result<usize, QueueError> {
        let mut removed = 0;
        for job in self.list()? {
            if matches!(job.state, JobState::Done | JobState::Cancelled) && job.updated_at < before
            {
                let mut batch = sled::Batch::default();
                batch.remove(job_key(job.id));
                batch.remove(data_key(job.id));
                self.tree.apply_batch(batch)?;
                removed += 1;
            }
        }
        crate::store::flush_tree(&self.tree).await?;
        Ok(removed)
    }

    /// Takes the oldest queued job that is due, marking it printing (so no other worker
    /// takes it).
    fn claim_due(&self) -> Result<Option<PrintJob>, QueueError> {
        let now = Utc::now();
        for kv in self.tree.scan_prefix(JOB_PREFIX) {
            let (k, v) = kv?;
            let Ok(mut job) = decode(&k, &v) else {
                continue;
            };
            if job.state != JobState::Queued || job.next_attempt_at > now {
                continue;
            }
            job.state = JobState::Printing;
            job.attempts += 1;
            job.updated_at = now;
            if self
                .tree
                .compare_and_swap(&k, Some(&v), Some(encode(&job)))?
                .is_ok()
            {
                return Ok(Some(job));
            }
        }
        Ok(None)
    }

    /// When the next queued job is due, if any is queued.
    fn next_due(&self) -> Result<Option<DateTime<Utc>>, QueueError> {
        Ok(self
            .list()?
            .into_iter()
            .filter(|j| j.state == JobState::Queued)
            .map(|j| j.next_attempt_at)
            .min())
    }

    /// Prints every job that is due now, one after the other, and returns how many were
    /// tried. Jobs that fail again wait for their backoff.
    pub async fn process_due(
        &self,
        on_event: &mut (impl FnMut(PrintEvent) + Send),
    ) -> Result<usize, QueueError> {
        let mut tried = 0;
        while let Some(job) = self.claim_due()? {
            crate::store::flush_tree(&self.tree).await?;
            tried += 1;
            on_event(PrintEvent::Started(job.clone()));
            let outcome = match self.content(&job).await {
                Ok(bytes) => {
                    let doc = Document {
                        name: &job.name,
                        format: job.format,
                        bytes: &bytes,
                    };
                    // Recorded at once: should packdesk stop while the printer works on
                    // the job, the next start polls it instead of sending it again.
                    let mut accepted = |remote: i32| {
                        let recorded = self.update(job.id, |j| {
                            j.remote_job = Some(remote);
                            Ok(())
                        });
                        if let Err(e) = recorded {
                            tracing::error!(id = job.id, remote, error = %e, "cannot record the IPP job id");
                        }
                    };
                    job.printer.print(doc, job.remote_job, &mut accepted).await
                }
                Err(QueueError::Content { path, source, .. }) => {
                    Err(PrintError::Content { path, source })
                }
                Err(e) => return Err(e),
            };
            let event = match outcome {
                Ok(printed) => {
                    let job = self
                        .update_durably(job.id, |j| {
                            j.state = JobState::Done;
                            j.detail = Some(printed.detail.clone());
                            j.remote_job = printed.remote_job;
                            j.last_error = None;
                            Ok(())
                        })
                        .await?;
                    tracing::info!(id = job.id, detail = ?job.detail, "print job done");
                    PrintEvent::Printed(job)
                }
                Err(err) if err.is_transient() => {
                    let delay = self.options.delay(job.attempts);
                    let job = self
                        .update_durably(job.id, |j| {
                            j.state = JobState::Queued;
                            j.last_error = Some(err.to_string());
                            if let Some(remote) = err.pending_job() {
                                j.remote_job = Some(remote);
                            }
                            j.next_attempt_at = Utc::now() + chrono_delay(delay);
                            Ok(())
                        })
                        .await?;
                    tracing::warn!(id = job.id, error = %err, ?delay, "print job waits for the printer");
                    PrintEvent::Retrying {
                        job,
                        retry_in: delay,
                    }
                }
                Err(err) => {
                    let job = self
                        .update_durably(job.id, |j| {
                            j.state = JobState::Failed;
                            j.last_error = Some(err.to_string());
                            j.remote_job = None;
                            Ok(())
                        })
                        .await?;
                    tracing::error!(id = job.id, error = %err, "print job failed");
                    PrintEvent::Failed(job)
                }
            };
            on_event(event);
        }
        Ok(tried)
    }

    /// The worker: prints due jobs, sleeps until the next is due or a job is added or
    /// retried, forever. Returns only when the queue's storage fails; stop it by dropping
    /// or aborting its task.
    pub async fn run(&self, mut on_event: impl FnMut(PrintEvent) + Send) -> Result<(), QueueError> {
        loop {
            // Registered before looking, so a job added meanwhile is not missed.
            let woken = self.wake.notified();
            self.process_due(&mut on_event).await?;
            let sleep = match self.next_due()? {
                Some(at) => (at - Utc::now()).to_std().unwrap_or(Duration::ZERO),
                // Nothing queued: wait for enqueue/retry (woken below).
                None => Duration::from_secs(3600),
            };
            tokio::select! {
                () = woken => {}
                () = tokio::time::sleep(sleep) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_tree() -> sled::Tree {
        match sled::Config::new().temporary(true).open() {
            Ok(db) => match db.open_tree(TREE) {
                Ok(t) => t,
                Err(e) => panic!("{e}"),
            },
            Err(e) => panic!("{e}"),
        }
    }

    #[tokio::test]
    async fn jobs_interrupted_while_printing_are_queued_again_on_open() {
        let tree = temp_tree();
        let queue = PrintQueue::from_tree(tree.clone(), QueueOptions::default()).unwrap();
        let printer = Printer::Dir {
            dir: PathBuf::from("/nonexistent"),
        };
        let new = |name: &str| NewJob {
            name: name.into(),
            kind: DocKind::Label,
            format: Format::Pdf,
            content: JobContent::Bytes(b"%PDF".to_vec()),
            printer: printer.clone(),
            key: None,
        };
        let sent = queue.enqueue(new("a.pdf")).await.unwrap();
        let at_printer = queue.enqueue(new("b.pdf")).await.unwrap();
        // What a crash leaves behind: both claimed, one already taken by an IPP printer.
        assert_eq!(queue.claim_due().unwrap().map(|j| j.id), Some(sent.id));
        assert_eq!(
            queue.claim_due().unwrap().map(|j| j.id),
            Some(at_printer.id)
        );
        queue
            .update(at_printer.id, |j| {
                j.remote_job = Some(42);
                Ok(())
            })
            .unwrap();
        drop(queue);

        let queue = PrintQueue::from_tree(tree, QueueOptions::default()).unwrap();
        let a = queue.get(sent.id).unwrap().unwrap();
        let b = queue.get(at_printer.id).unwrap().unwrap();
        assert_eq!((a.state, b.state), (JobState::Queued, JobState::Queued));
        assert!(a.last_error.unwrap().contains("may come out twice"));
        assert_eq!(b.remote_job, Some(42));
        assert!(b.last_error.unwrap().contains("IPP job 42"));
    }

    #[test]
    fn backoff_doubles_up_to_the_limit() {
        let o = QueueOptions::default();
        assert_eq!(o.delay(1), Duration::from_secs(2));
        assert_eq!(o.delay(2), Duration::from_secs(4));
        assert_eq!(o.delay(5), Duration::from_secs(32));
        assert_eq!(o.delay(6), Duration::from_secs(60));
        assert_eq!(o.delay(u32::MAX), Duration::from_secs(60));
    }
}
