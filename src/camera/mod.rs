//! Photo evidence: a camera per station, immutable photos per order, and the policy that
//! can make *packed* wait for a photo.
//!
//! - [`Camera`] is the source of one JPEG: [`HttpCamera`] (an IP camera's snapshot URL,
//!   Basic or Digest auth) or [`CommandCamera`] (`ffmpeg`/`fswebcam` for a USB camera),
//!   both with a time limit. [`CameraSection::build`] makes one from `[camera]`.
//! - [`PhotoStore`] keeps the photos under `<data dir>/photos/<order>/` (read-only, never
//!   overwritten: a retake is a new version) and their SHA-256, size, order, parcel,
//!   station, packer and time in the sled tree `photos`; it exports the evidence of an
//!   order with a manifest and prunes photos past their retention.
//! - [`photo_gate`] is the pure policy check the bench runs before *packed*.

pub mod cli;
mod command;
pub mod config;
mod http;
mod store;

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;

pub use command::CommandCamera;
pub use config::{CameraSection, PhotoPolicy};
pub use http::HttpCamera;
pub use store::{Manifest, ManifestPhoto, PhotoError, PhotoRecord, PhotoStore};

/// Largest snapshot accepted (bytes); a camera sending more is misconfigured.
pub const MAX_SNAPSHOT_BYTES: usize = 32 * 1024 * 1024;

/// A source of still images.
#[async_trait]
pub trait Camera: Send + Sync + fmt::Debug {
    /// Takes one picture and returns its JPEG bytes (checked to start with the JPEG SOI
    /// marker).
    async fn snapshot(&self) -> Result<Vec<u8>, CameraError>;

    /// Where the picture comes from, for messages (URL without credentials, or program).
    fn describe(&self) -> String;
}

/// A password that never shows in `Debug` output, logs or error messages.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a password.
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    /// The password itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// How an [`HttpCamera`] authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// No credentials.
    None,
    /// RFC 7617 Basic, sent with the first request.
    Basic {
        /// User name.
        user: String,
        /// Password.
        pass: Secret,
    },
    /// RFC 7616 Digest (MD5 / SHA-256, `qop=auth`), answering the camera's 401 challenge.
    Digest {
        /// User name.
        user: String,
        /// Password.
        pass: Secret,
    },
}

impl Auth {
    fn scheme(&self) -> &'static str {
        match self {
            Auth::None => "none",
            Auth::Basic { .. } => "Basic",
            Auth::Digest { .. } => "Digest",
        }
    }

    fn user(&self) -> Option<&str> {
        match self {
            Auth::None => None,
            Auth::Basic { user, .. } | Auth::Digest { user, .. } => Some(user),
        }
    }
}

/// Why a snapshot failed. Messages name the camera (URL without credentials, or the
/// program) and never contain a password.
#[derive(Debug, thiserror::Error)]
pub enum CameraError {
    /// `[camera]` is wrong.
    #[error("station config camera.{key}: {detail}")]
    Config {
        /// The key under `[camera]`.
        key: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// The camera did not answer in time (a command is killed).
    #[error("camera {camera} did not deliver a picture within {} ms", after.as_millis())]
    Timeout {
        /// The camera.
        camera: String,
        /// The configured limit.
        after: Duration,
    },
    /// The camera could not be reached.
    #[error("cannot reach camera {camera}: {detail}")]
    Unreachable {
        /// The camera.
        camera: String,
        /// The transport error (without the URL's credentials).
        detail: String,
    },
    /// The camera refused the credentials.
    #[error(
        "camera {camera} refused the login of user `{user}` ({scheme} auth, HTTP {status}): check camera.user and the password in camera.password_env"
    )]
    Unauthorized {
        /// 401, or 403 from cameras that answer so (or lock the user out).
        status: u16,
        /// The camera.
        camera: String,
        /// The user that was tried (no user: `-`).
        user: String,
        /// `none`, `Basic` or `Digest`.
        scheme: &'static str,
    },
    /// The camera's 401 challenge could not be answered with the configured scheme.
    #[error(
        "camera {camera} cannot be logged into with Digest auth ({detail}); if it asks for Basic, set camera.auth = \"basic\""
    )]
    Challenge {
        /// The camera.
        camera: String,
        /// What was wrong with the challenge (sanitised).
        detail: String,
    },
    /// The camera answered with an HTTP error.
    #[error("camera {camera} answered HTTP {status}")]
    Status {
        /// The camera.
        camera: String,
        /// The HTTP status.
        status: u16,
    },
    /// What came back is not a JPEG.
    #[error("camera {camera} sent no JPEG: {detail}")]
    NotJpeg {
        /// The camera.
        camera: String,
        /// What came instead.
        detail: String,
    },
    /// The program could not be started.
    #[error("cannot run camera program {program}: {source}")]
    Spawn {
        /// The program.
        program: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The program ended with an error.
    #[error("camera program {program} failed ({status}): {stderr}")]
    CommandFailed {
        /// The program.
        program: String,
        /// Its exit status.
        status: String,
        /// The end of its standard error, sanitised.
        stderr: String,
    },
    /// Reading the program's output file failed.
    #[error("camera program {program} wrote no readable picture to {path}: {source}")]
    Output {
        /// The program.
        program: String,
        /// The `{out}` file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// Checks that `bytes` look like a JPEG: the SOI marker `FF D8` followed by a marker.
pub fn check_jpeg(camera: &str, bytes: &[u8]) -> Result<(), CameraError> {
    match bytes {
        [0xFF, 0xD8, 0xFF, ..] => Ok(()),
        [] => Err(CameraError::NotJpeg {
            camera: camera.to_string(),
            detail: "empty answer".into(),
        }),
        _ => {
            let head: Vec<String> = bytes.iter().take(4).map(|b| format!("{b:02X}")).collect();
            Err(CameraError::NotJpeg {
                camera: camera.to_string(),
                detail: format!(
                    "{} bytes starting with {} instead of the JPEG marker FF D8 FF",
                    bytes.len(),
                    head.join(" ")
                ),
            })
        }
    }
}

/// Why [`photo_gate`] blocks *packed*.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockReason {
    /// The station requires a photo and the order has none.
    PhotoRequired,
}

impl fmt::Display for BlockReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BlockReason::PhotoRequired => f.write_str(
                "this station requires a photo before packed: take one (PD:PHOTO) and retry",
            ),
        }
    }
}

/// The answer of [`photo_gate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// *Packed* may go ahead.
    Allowed,
    /// *Packed* must wait.
    Blocked(BlockReason),
}

/// May the order be marked packed, given the station's policy and the order's photos?
/// Under [`PhotoPolicy::Optional`] the answer is always [`Gate::Allowed`], whatever the
/// camera did.
pub fn photo_gate(policy: PhotoPolicy, photos_for_order: &[PhotoRecord]) -> Gate {
    match policy {
        PhotoPolicy::Optional => Gate::Allowed,
        PhotoPolicy::Required if photos_for_order.is_empty() => {
            Gate::Blocked(BlockReason::PhotoRequired)
        }
        PhotoPolicy::Required => Gate::Allowed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jpeg_check_needs_the_soi_marker() {
        assert!(check_jpeg("c", &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]).is_ok());
        let e = check_jpeg("cam", b"<html>").expect_err("html");
        assert!(e.to_string().contains("3C 68 74 6D"), "{e}");
        assert!(check_jpeg("cam", &[]).is_err());
        assert!(check_jpeg("cam", &[0xFF, 0xD8]).is_err());
    }

    #[test]
    fn secret_is_never_shown() {
        let a = Auth::Digest {
            user: "u".into(),
            pass: Secret::new("topsecret"),
        };
        assert!(!format!("{a:?}").contains("topsecret"));
        assert_eq!(a.user(), Some("u"));
    }
}
