//! IPP printing with the `ipp` crate: Print-Job, then Get-Job-Attributes until the job
//! is completed, aborted or canceled, or the time is up.

use std::time::{Duration, Instant};

use ipp::prelude::*;

use super::{Document, PrintError, Printed, redact_uri};

/// How often a submitted job's state is asked for.
const POLL_INTERVAL: Duration = Duration::from_millis(250);
/// The longest job name sent (IPP `name` values are at most 255 octets).
const MAX_NAME_CHARS: usize = 120;

/// An IPP printer ready to be talked to.
pub(super) struct IppTarget {
    uri: Uri,
    shown: String,
    user: String,
    limit: Duration,
    client: AsyncIppClient,
}

impl IppTarget {
    pub(super) fn new(uri: &str, user: &str, limit: Duration) -> Result<IppTarget, PrintError> {
        let shown = redact_uri(uri);
        let parsed = uri.parse::<Uri>().map_err(|e| PrintError::BadAddress {
            address: shown.clone(),
            reason: e.to_string(),
        })?;
        match parsed.scheme_str() {
            Some("ipp" | "ipps" | "http" | "https") => {}
            _ => {
                return Err(PrintError::BadAddress {
                    address: shown,
                    reason: "the scheme must be ipp, ipps, http or https".into(),
                });
            }
        }
        // reqwest is built without a default crypto provider; without one it panics when
        // the client is built. Installing fails only when one is already there.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = AsyncIppClient::builder(parsed.clone())
            .request_timeout(limit)
            .build();
        Ok(IppTarget {
            uri: parsed,
            shown: format!("IPP printer {shown}"),
            user: user.to_string(),
            limit,
            client,
        })
    }

    /// Sends the document (unless `resume_job` names a job already with the printer) and
    /// waits for its end.
    pub(super) async fn print(
        &self,
        doc: Document<'_>,
        resume_job: Option<i32>,
        accepted: &mut (dyn FnMut(i32) + Send),
    ) -> Result<Printed, PrintError> {
        let job_id = match resume_job {
            Some(id) => id,
            None => {
                let id = self.submit(doc).await?;
                accepted(id);
                id
            }
        };
        self.wait(job_id).await
    }

    /// Cancels a job the printer holds (Cancel-Job).
    pub(super) async fn cancel(&self, job_id: i32) -> Result<(), PrintError> {
        let op = IppOperationBuilder::cancel_job(self.uri.clone(), job_id)
            .user_name(&self.user)
            .build()
            .map_err(|e| self.protocol(format!("cannot build Cancel-Job: {e}")))?;
        self.send(op, "Cancel-Job").await?;
        tracing::info!(printer = %self.shown, job_id, "IPP job cancelled");
        Ok(())
    }

    async fn submit(&self, doc: Document<'_>) -> Result<i32, PrintError> {
        let name: String = doc.name.chars().take(MAX_NAME_CHARS).collect();
        let payload = IppPayload::new_async(futures::io::Cursor::new(doc.bytes.to_vec()));
        let op = IppOperationBuilder::print_job(self.uri.clone(), payload)
            .user_name(&self.user)
            .job_title(&name)
            .document_format(doc.format.mime_type())
            .build()
            .map_err(|e| self.protocol(format!("cannot build Print-Job: {e}")))?;
        let resp = self.send(op, "Print-Job").await?;
        let job_id = first_attr(&resp, DelimiterTag::JobAttributes, "job-id")
            .and_then(|v| v.as_integer().copied())
            .ok_or_else(|| self.protocol("Print-Job answer has no job-id".into()))?;
        tracing::info!(printer = %self.shown, job_id, bytes = doc.bytes.len(), "IPP job sent");
        Ok(job_id)
    }

    async fn wait(&self, job_id: i32) -> Result<Printed, PrintError> {
        let started = Instant::now();
        loop {
            let op = IppOperationBuilder::get_job_attributes(self.uri.clone(), job_id)
                .user_name(&self.user)
                .build()
                .map_err(|e| self.protocol(format!("cannot build Get-Job-Attributes: {e}")))?;
            let resp = self.send(op, "Get-Job-Attributes").await?;
            let state = first_attr(&resp, DelimiterTag::JobAttributes, "job-state")
                .and_then(|v| v.as_enum().copied())
                .and_then(JobState::from_i32)
                .ok_or_else(|| self.protocol(format!("IPP job {job_id} has no job-state")))?;
            let reasons = first_attr(&resp, DelimiterTag::JobAttributes, "job-state-reasons")
                .map(|v| v.to_string())
                .unwrap_or_else(|| "none".into());
            match state {
                JobState::Completed => {
                    tracing::info!(printer = %self.shown, job_id, "IPP job completed");
                    return Ok(Printed {
                        detail: format!("IPP job {job_id} completed"),
                        remote_job: Some(job_id),
                    });
                }
                JobState::Aborted | JobState::Canceled => {
                    return Err(PrintError::JobEnded {
                        printer: self.shown.clone(),
                        job_id,
                        state: state_name(state).into(),
                        reasons,
                    });
                }
                _ if started.elapsed() >= self.limit => {
                    // Why it waits is usually on the printer (media-empty, paused).
                    let reasons = match self.printer_reasons().await {
                        Some(printer) => format!("job: {reasons}; printer: {printer}"),
                        None => reasons,
                    };
                    return Err(PrintError::JobPending {
                        printer: self.shown.clone(),
                        job_id,
                        state: state_name(state).into(),
                        reasons,
                        secs: self.limit.as_secs(),
                    });
                }
                _ => tokio::time::sleep(POLL_INTERVAL).await,
            }
        }
    }

    /// `printer-state-reasons` and `printer-state-message`, if the printer answers.
    async fn printer_reasons(&self) -> Option<String> {
        let op = IppOperationBuilder::get_printer_attributes(self.uri.clone())
            .attributes(["printer-state-reasons", "printer-state-message"])
            .build()
            .ok()?;
        let resp = self.send(op, "Get-Printer-Attributes").await.ok()?;
        let attr = |name| {
            first_attr(&resp, DelimiterTag::PrinterAttributes, name)
                .map(|v| v.to_string())
                .filter(|s| !s.is_empty())
        };
        match (attr("printer-state-reasons"), attr("printer-state-message")) {
            (Some(r), Some(m)) => Some(format!("{r} \"{m}\"")),
            (r, m) => r.or(m),
        }
    }

    async fn send<R>(&self, op: R, what: &str) -> Result<IppRequestResponse, PrintError>
    where
        R: Into<IppRequestResponse>,
    {
        let resp = self
            .client
            .send(op)
            .await
            .map_err(|e| self.classify(e, what))?;
        let status = resp.header().status_code();
        if status.is_success() {
            return Ok(resp);
        }
        let status = format!("{what}: {} ({status})", status_keyword(status));
        if matches!(
            resp.header().status_code(),
            StatusCode::ServerErrorInternalError
                | StatusCode::ServerErrorServiceUnavailable
                | StatusCode::ServerErrorDeviceError
                | StatusCode::ServerErrorTemporaryError
                | StatusCode::ServerErrorNotAcceptingJobs
                | StatusCode::ServerErrorBusy
        ) {
            Err(PrintError::NotAccepting {
                printer: self.shown.clone(),
                status,
            })
        } else {
            Err(PrintError::Refused {
                printer: self.shown.clone(),
                status,
            })
        }
    }

    fn protocol(&self, detail: String) -> PrintError {
        PrintError::Protocol {
            printer: self.shown.clone(),
            detail,
        }
    }

    fn classify(&self, e: IppError, what: &str) -> PrintError {
        match e {
            IppError::AsyncClientError(e) if e.is_timeout() => PrintError::Timeout {
                printer: self.shown.clone(),
                what: what.to_string(),
                secs: self.limit.as_secs(),
            },
            IppError::AsyncClientError(e) if e.is_connect() || e.is_request() => {
                PrintError::Unreachable {
                    printer: self.shown.clone(),
                    detail: error_chain(&e.without_url()),
                }
            }
            IppError::RequestError(code) if code >= 500 => PrintError::NotAccepting {
                printer: self.shown.clone(),
                status: format!("{what}: HTTP {code}"),
            },
            IppError::RequestError(code) => PrintError::Refused {
                printer: self.shown.clone(),
                status: format!("{what}: HTTP {code}"),
            },
            IppError::AsyncClientError(e) => PrintError::Unreachable {
                printer: self.shown.clone(),
                detail: error_chain(&e.without_url()),
            },
            IppError::IoError(e) => PrintError::Unreachable {
                printer: self.shown.clone(),
                detail: e.to_string(),
            },
            other => self.protocol(format!("{what}: {other}")),
        }
    }
}

/// The error and its sources, `: `-joined (reqwest's own message is only "error sending
/// request"; the cause says "Connection refused").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

fn first_attr<'a>(
    resp: &'a IppRequestResponse,
    tag: DelimiterTag,
    name: &str,
) -> Option<&'a IppValue> {
    resp.attributes()
        .groups_of(tag)
        .find_map(|g| g.get(name))
        .map(|a| a.value())
}

fn state_name(state: JobState) -> &'static str {
    match state {
        JobState::Pending => "pending",
        JobState::PendingHeld => "pending-held",
        JobState::Processing => "processing",
        JobState::ProcessingStopped => "processing-stopped",
        JobState::Canceled => "canceled",
        JobState::Aborted => "aborted",
        JobState::Completed => "completed",
    }
}

/// The RFC 8011 keyword of the statuses a print job meets (`server-error-busy`); the
/// number for the rest.
fn status_keyword(status: StatusCode) -> String {
    let known = match status {
        StatusCode::ClientErrorBadRequest => "client-error-bad-request",
        StatusCode::ClientErrorForbidden => "client-error-forbidden",
        StatusCode::ClientErrorNotAuthenticated => "client-error-not-authenticated",
        StatusCode::ClientErrorNotAuthorized => "client-error-not-authorized",
        StatusCode::ClientErrorNotFound => "client-error-not-found",
        StatusCode::ClientErrorDocumentFormatNotSupported => {
            "client-error-document-format-not-supported"
        }
        StatusCode::ServerErrorInternalError => "server-error-internal-error",
        StatusCode::ServerErrorServiceUnavailable => "server-error-service-unavailable",
        StatusCode::ServerErrorDeviceError => "server-error-device-error",
        StatusCode::ServerErrorTemporaryError => "server-error-temporary-error",
        StatusCode::ServerErrorNotAcceptingJobs => "server-error-not-accepting-jobs",
        StatusCode::ServerErrorBusy => "server-error-busy",
        StatusCode::ServerErrorJobCanceled => "server-error-job-canceled",
        _ => return format!("status 0x{:04x}", status as u32),
    };
    known.to_string()
}
