//! The `[camera]` section of `station.toml`.
//!
//! The block below is written to be pasted into `station.example.toml` as it stands:
//!
//! ```toml
//! [camera]
//! # Where the evidence photo of a packed parcel comes from:
//! #   "none"    no camera (the default),
//! #   "http"    an IP camera's snapshot URL that answers with a JPEG,
//! #   "command" a program that writes a JPEG (ffmpeg or fswebcam for a USB camera).
//! kind = "none"
//!
//! # kind = "http": the snapshot URL, e.g. "http://192.168.1.64/ISAPI/Streaming/channels/101/picture"
//! # (Hikvision) or "http://192.168.1.65/cgi-bin/snapshot.cgi" (Dahua). Never put the
//! # password in the URL.
//! # url = "http://192.168.1.64/snapshot.jpg"
//!
//! # kind = "http": the camera user. Left out: no authentication.
//! # user = "packdesk"
//!
//! # kind = "http": "digest" (most IP cameras) or "basic" (only over a trusted network:
//! # Basic sends the password readable).
//! auth = "digest"
//!
//! # kind = "http": the name of the environment variable holding the camera password
//! # (the password itself is never written in this file, logs or error messages).
//! # password_env = "PACKDESK_CAMERA_PASSWORD"
//!
//! # kind = "command": the program and its arguments. "{out}" in an argument is replaced
//! # by the file the program must write the JPEG to; without "{out}" the JPEG is read
//! # from the program's standard output.
//! # program = "ffmpeg"
//! # args = ["-loglevel", "error", "-f", "v4l2", "-i", "/dev/video0", "-frames:v", "1", "-y", "{out}"]
//! # program = "fswebcam"
//! # args = ["--no-banner", "-q", "-r", "1280x720", "{out}"]
//!
//! # How long one snapshot may take, in milliseconds (100 to 60000). A slower camera
//! # fails with a clear error; a command still running then is killed.
//! timeout_ms = 5000
//!
//! # "optional": a photo can be taken, a failing camera never blocks the bench.
//! # "required": an order cannot be marked packed before a photo of it was taken.
//! policy = "optional"
//!
//! # Photos older than this many days are removed by `packdesk photos prune` (at least 1).
//! retention_days = 90
//! ```

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use super::{Auth, Camera, CameraError, CommandCamera, HttpCamera, Secret};

/// Shortest accepted `timeout_ms`.
pub const MIN_TIMEOUT_MS: u64 = 100;
/// Longest accepted `timeout_ms`.
pub const MAX_TIMEOUT_MS: u64 = 60_000;

/// Which camera a station has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CameraKind {
    /// No camera.
    #[default]
    None,
    /// An HTTP snapshot URL.
    Http,
    /// An external program.
    Command,
}

/// The HTTP authentication scheme used when `user` is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthScheme {
    /// RFC 7616 Digest (MD5 or SHA-256, as the camera asks).
    #[default]
    Digest,
    /// RFC 7617 Basic.
    Basic,
}

/// Whether *packed* needs a photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PhotoPolicy {
    /// Photos may be taken; the bench is never blocked for one.
    #[default]
    Optional,
    /// An order cannot be marked packed without a photo.
    Required,
}

/// `[camera]` of `station.toml`; see the module documentation for every key.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CameraSection {
    /// `none`, `http` or `command`.
    pub kind: CameraKind,
    /// Snapshot URL (`kind = "http"`).
    pub url: Option<String>,
    /// Camera user (`kind = "http"`); none: no authentication.
    pub user: Option<String>,
    /// `digest` or `basic`.
    pub auth: AuthScheme,
    /// Name of the environment variable holding the password.
    pub password_env: Option<String>,
    /// Program to run (`kind = "command"`).
    pub program: Option<String>,
    /// Its arguments; `{out}` is the JPEG file to write.
    pub args: Vec<String>,
    /// Time limit of one snapshot in milliseconds.
    pub timeout_ms: u64,
    /// `optional` or `required`.
    pub policy: PhotoPolicy,
    /// Days a photo is kept.
    pub retention_days: u32,
}

impl Default for CameraSection {
    fn default() -> CameraSection {
        CameraSection {
            kind: CameraKind::None,
            url: None,
            user: None,
            auth: AuthScheme::Digest,
            password_env: None,
            program: None,
            args: Vec::new(),
            timeout_ms: 5000,
            policy: PhotoPolicy::Optional,
            retention_days: 90,
        }
    }
}

fn invalid(key: &'static str, detail: impl Into<String>) -> CameraError {
    CameraError::Config {
        key,
        detail: detail.into(),
    }
}

impl CameraSection {
    /// Checks the values that serde cannot: ranges and the keys each kind needs.
    pub fn validate(&self) -> Result<(), CameraError> {
        if !(MIN_TIMEOUT_MS..=MAX_TIMEOUT_MS).contains(&self.timeout_ms) {
            return Err(invalid(
                "timeout_ms",
                format!(
                    "{} is out of range ({MIN_TIMEOUT_MS} to {MAX_TIMEOUT_MS})",
                    self.timeout_ms
                ),
            ));
        }
        if self.retention_days == 0 {
            return Err(invalid("retention_days", "must be at least 1"));
        }
        match self.kind {
            CameraKind::None => Ok(()),
            CameraKind::Http => {
                if self.url.as_deref().is_none_or(|u| u.trim().is_empty()) {
                    return Err(invalid("url", "kind = \"http\" needs the snapshot url"));
                }
                if self.user.is_some() && self.password_env.is_none() {
                    return Err(invalid(
                        "password_env",
                        "`user` is set: name the environment variable that holds the password",
                    ));
                }
                Ok(())
            }
            CameraKind::Command => {
                if self.program.as_deref().is_none_or(|p| p.trim().is_empty()) {
                    return Err(invalid(
                        "program",
                        "kind = \"command\" needs the program to run",
                    ));
                }
                Ok(())
            }
        }
    }

    /// The configured time limit.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }

    /// Builds the station's camera (`None` for `kind = "none"`). `env` looks up an
    /// environment variable (`|k| std::env::var(k).ok()` in the binary), so the password
    /// is read here and nowhere else.
    pub fn build(
        &self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Arc<dyn Camera>>, CameraError> {
        self.validate()?;
        match self.kind {
            CameraKind::None => Ok(None),
            CameraKind::Http => {
                let url = self.url.clone().unwrap_or_default();
                let auth = match (&self.user, &self.password_env) {
                    (Some(user), Some(var)) => {
                        let pass = env(var).ok_or_else(|| {
                            invalid(
                                "password_env",
                                format!("the environment variable {var} is not set"),
                            )
                        })?;
                        let (user, pass) = (user.clone(), Secret::new(pass));
                        match self.auth {
                            AuthScheme::Basic => Auth::Basic { user, pass },
                            AuthScheme::Digest => Auth::Digest { user, pass },
                        }
                    }
                    _ => Auth::None,
                };
                Ok(Some(Arc::new(HttpCamera::new(&url, auth, self.timeout())?)))
            }
            CameraKind::Command => {
                let program = self.program.clone().unwrap_or_default();
                Ok(Some(Arc::new(CommandCamera::new(
                    &program,
                    self.args.clone(),
                    self.timeout(),
                ))))
            }
        }
    }
}

/// The keys `[camera]` accepts (used by tests that keep the documentation honest).
pub fn documented_keys() -> HashSet<&'static str> {
    [
        "kind",
        "url",
        "user",
        "auth",
        "password_env",
        "program",
        "args",
        "timeout_ms",
        "policy",
        "retention_days",
    ]
    .into_iter()
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The TOML block of the module documentation, without the `//! ` prefixes.
    fn doc_block() -> String {
        let src = include_str!("config.rs");
        let mut out = String::new();
        let mut inside = false;
        for line in src.lines() {
            let Some(rest) = line.strip_prefix("//!") else {
                continue;
            };
            let rest = rest.strip_prefix(' ').unwrap_or(rest);
            if rest.starts_with("```") {
                if inside {
                    break;
                }
                inside = true;
                continue;
            }
            if inside {
                out.push_str(rest);
                out.push('\n');
            }
        }
        out
    }

    #[derive(Deserialize)]
    struct Wrapper {
        camera: CameraSection,
    }

    #[test]
    fn documented_block_parses_to_the_defaults_and_names_every_key() {
        let block = doc_block();
        let parsed: Wrapper = toml::from_str(&block).expect("doc block parses");
        assert_eq!(parsed.camera, CameraSection::default());
        for key in documented_keys() {
            assert!(
                block.contains(&format!("{key} =")),
                "key {key} is not documented"
            );
        }
    }

    #[test]
    fn unknown_keys_and_bad_values_are_rejected() {
        assert!(toml::from_str::<Wrapper>("[camera]\npasword_env = \"X\"").is_err());
        assert!(toml::from_str::<Wrapper>("[camera]\nkind = \"usb\"").is_err());
        let c: Wrapper = toml::from_str("[camera]\ntimeout_ms = 10").expect("parses");
        let e = c.camera.validate().expect_err("too short").to_string();
        assert!(e.contains("camera.timeout_ms"), "{e}");
        let c: Wrapper = toml::from_str("[camera]\nkind = \"http\"").expect("parses");
        let e = c.camera.validate().expect_err("no url").to_string();
        assert!(e.contains("camera.url"), "{e}");
        let c: Wrapper =
            toml::from_str("[camera]\nkind = \"http\"\nurl = \"http://x/\"\nuser = \"u\"")
                .expect("parses");
        let e = c
            .camera
            .validate()
            .expect_err("no password_env")
            .to_string();
        assert!(e.contains("camera.password_env"), "{e}");
        let c: Wrapper = toml::from_str("[camera]\nkind = \"command\"").expect("parses");
        assert!(c.camera.validate().is_err());
    }

    #[test]
    fn build_reads_the_password_from_the_environment_only() {
        let c: Wrapper = toml::from_str(
            "[camera]\nkind = \"http\"\nurl = \"http://127.0.0.1:9/s.jpg\"\nuser = \"u\"\npassword_env = \"CAM_PW\"",
        )
        .expect("parses");
        let missing = c.camera.build(|_| None).err().map(|e| e.to_string());
        assert!(
            missing
                .as_deref()
                .is_some_and(|m| m.contains("CAM_PW is not set")),
            "{missing:?}"
        );
        let cam = c
            .camera
            .build(|k| (k == "CAM_PW").then(|| "hunter2-secret".to_string()))
            .expect("builds")
            .expect("a camera");
        let shown = format!("{cam:?}");
        assert!(!shown.contains("hunter2-secret"), "{shown}");
        assert!(shown.contains("127.0.0.1:9"), "{shown}");
        assert_eq!(
            CameraSection::default()
                .build(|_| None)
                .ok()
                .flatten()
                .map(|_| ()),
            None
        );
    }
}
