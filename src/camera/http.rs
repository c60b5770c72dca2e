//! An IP camera's HTTP snapshot URL.

use std::time::Duration;

use async_trait::async_trait;
use diqwest::WithDigestAuth;
use reqwest::StatusCode;

use crate::domain::text::sanitize;

use super::{Auth, Camera, CameraError, MAX_SNAPSHOT_BYTES, check_jpeg};

/// A camera that answers `GET <url>` with a JPEG, with Basic or Digest auth and a time
/// limit for the whole exchange (challenge, answer and body).
#[derive(Debug, Clone)]
pub struct HttpCamera {
    url: reqwest::Url,
    shown: String,
    auth: Auth,
    timeout: Duration,
    client: reqwest::Client,
}

impl HttpCamera {
    /// A camera at `url`. Fails when the URL is not `http`/`https` or carries a password
    /// (that belongs in `camera.password_env`).
    pub fn new(url: &str, auth: Auth, timeout: Duration) -> Result<HttpCamera, CameraError> {
        let bad = |detail: String| CameraError::Config { key: "url", detail };
        let parsed =
            reqwest::Url::parse(url.trim()).map_err(|e| bad(format!("not a URL ({e})")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(bad(format!(
                "scheme `{}` is not http or https",
                parsed.scheme()
            )));
        }
        if parsed.password().is_some() || !parsed.username().is_empty() {
            return Err(bad(
                "credentials in the URL: set camera.user and camera.password_env instead".into(),
            ));
        }
        // reqwest needs a process-wide rustls provider (an error only means one is set).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| bad(format!("cannot build the HTTP client: {}", e.without_url())))?;
        Ok(HttpCamera {
            shown: parsed.to_string(),
            url: parsed,
            auth,
            timeout,
            client,
        })
    }

    fn transport(&self, e: reqwest::Error) -> CameraError {
        if e.is_timeout() {
            CameraError::Timeout {
                camera: self.shown.clone(),
                after: self.timeout,
            }
        } else {
            CameraError::Unreachable {
                camera: self.shown.clone(),
                detail: error_chain(&e.without_url()),
            }
        }
    }

    async fn fetch(&self) -> Result<Vec<u8>, CameraError> {
        let request = self.client.get(self.url.clone());
        let response = match &self.auth {
            Auth::None => request.send().await.map_err(|e| self.transport(e))?,
            Auth::Basic { user, pass } => request
                .basic_auth(user, Some(pass.expose()))
                .send()
                .await
                .map_err(|e| self.transport(e))?,
            Auth::Digest { user, pass } => request
                .send_digest_auth((user.as_str(), pass.expose()))
                .await
                .map_err(|e| match e {
                    diqwest::error::Error::Reqwest(e) => self.transport(e),
                    other => CameraError::Challenge {
                        camera: self.shown.clone(),
                        detail: sanitize(&other.to_string()),
                    },
                })?,
        };
        match response.status() {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                return Err(CameraError::Unauthorized {
                    camera: self.shown.clone(),
                    user: self.auth.user().unwrap_or("-").to_string(),
                    scheme: self.auth.scheme(),
                });
            }
            s if !s.is_success() => {
                return Err(CameraError::Status {
                    camera: self.shown.clone(),
                    status: s.as_u16(),
                });
            }
            _ => {}
        }
        if response
            .content_length()
            .is_some_and(|n| n > MAX_SNAPSHOT_BYTES as u64)
        {
            return Err(self.too_large());
        }
        let mut response = response;
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.transport(e))? {
            if body.len() + chunk.len() > MAX_SNAPSHOT_BYTES {
                return Err(self.too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn too_large(&self) -> CameraError {
        CameraError::NotJpeg {
            camera: self.shown.clone(),
            detail: format!("answer larger than {MAX_SNAPSHOT_BYTES} bytes"),
        }
    }
}

/// The error and its causes on one line (reqwest's own message is terse).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
}

#[async_trait]
impl Camera for HttpCamera {
    async fn snapshot(&self) -> Result<Vec<u8>, CameraError> {
        // The client's timeout covers each request; this one covers the Digest round trip
        // and the body as a whole.
        let bytes = tokio::time::timeout(self.timeout, self.fetch())
            .await
            .map_err(|_| CameraError::Timeout {
                camera: self.shown.clone(),
                after: self.timeout,
            })??;
        check_jpeg(&self.shown, &bytes)?;
        tracing::debug!(camera = %self.shown, bytes = bytes.len(), "snapshot taken");
        Ok(bytes)
    }

    fn describe(&self) -> String {
        self.shown.clone()
    }
}
