//! An IP camera's HTTP snapshot URL.

use std::time::Duration;

use async_trait::async_trait;
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, WWW_AUTHENTICATE};

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
            Auth::Digest { user, pass } => {
                let first = request.send().await.map_err(|e| self.transport(e))?;
                if first.status() != StatusCode::UNAUTHORIZED {
                    first
                } else {
                    let answer = self.digest_answer(first.headers(), user, pass.expose())?;
                    self.client
                        .get(self.url.clone())
                        .header(AUTHORIZATION, answer)
                        .send()
                        .await
                        .map_err(|e| self.transport(e))?
                }
            }
        };
        match response.status() {
            s @ (StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) => {
                return Err(CameraError::Unauthorized {
                    status: s.as_u16(),
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

    /// The `Authorization` value answering the camera's Digest challenge. A camera may
    /// send several `WWW-Authenticate` headers (Basic and Digest, or Digest with MD5 and
    /// with SHA-256): the strongest Digest one is answered.
    fn digest_answer(
        &self,
        headers: &reqwest::header::HeaderMap,
        user: &str,
        pass: &str,
    ) -> Result<String, CameraError> {
        let challenge = |detail: String| CameraError::Challenge {
            camera: self.shown.clone(),
            detail: sanitize(&detail),
        };
        let offered: Vec<&str> = headers
            .get_all(WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let mut best: Option<digest_auth::WwwAuthenticateHeader> = None;
        let mut last_error = None;
        for h in &offered {
            let is_digest = h
                .trim_start()
                .get(..6)
                .is_some_and(|s| s.eq_ignore_ascii_case("digest"));
            if !is_digest {
                continue;
            }
            match digest_auth::parse(h) {
                Ok(p) => {
                    if best
                        .as_ref()
                        .is_none_or(|b| strength(p.algorithm.algo) > strength(b.algorithm.algo))
                    {
                        best = Some(p);
                    }
                }
                Err(e) => last_error = Some(e.to_string()),
            }
        }
        let Some(mut prompt) = best else {
            return Err(challenge(match last_error {
                Some(e) => format!("its Digest challenge is invalid: {e}"),
                None if offered.is_empty() => "it sent no WWW-Authenticate challenge".into(),
                None => format!("it offers only: {}", offered.join(" | ")),
            }));
        };
        let uri = match self.url.query() {
            Some(q) => format!("{}?{q}", self.url.path()),
            None => self.url.path().to_string(),
        };
        let context = digest_auth::AuthContext::new(user, pass, uri);
        prompt
            .respond(&context)
            .map(|a| a.to_header_string())
            .map_err(|e| challenge(e.to_string()))
    }

    fn too_large(&self) -> CameraError {
        CameraError::NotJpeg {
            camera: self.shown.clone(),
            detail: format!("answer larger than {MAX_SNAPSHOT_BYTES} bytes"),
        }
    }
}

/// Preference among Digest algorithms (RFC 7616 §3.7: the client uses the first it
/// supports; we take the strongest).
fn strength(a: digest_auth::AlgorithmType) -> u8 {
    match a {
        digest_auth::AlgorithmType::MD5 => 0,
        digest_auth::AlgorithmType::SHA2_256 => 1,
        digest_auth::AlgorithmType::SHA2_512_256 => 2,
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
