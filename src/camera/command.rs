//! A camera that is an external program (`ffmpeg`, `fswebcam` …).

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;

use super::{Camera, CameraError, MAX_SNAPSHOT_BYTES, check_jpeg};
use crate::domain::text::sanitize;

/// The placeholder in the arguments replaced by the output file.
pub const OUT_PLACEHOLDER: &str = "{out}";

/// How much of the program's standard error goes into an error message.
const STDERR_TAIL: usize = 400;

static NEXT_FILE: AtomicU64 = AtomicU64::new(0);

/// Runs `program args…` for every snapshot. An argument containing `{out}` gets the path
/// of a fresh temporary file the program must write the JPEG to; without `{out}` the
/// JPEG is read from standard output. The program is killed when it outlives the timeout.
#[derive(Clone)]
pub struct CommandCamera {
    program: String,
    args: Vec<String>,
    timeout: Duration,
}

/// An argument with the credentials of a URL in it (`rtsp://user:pass@host/…`) masked.
fn redact_arg(arg: &str) -> String {
    match (arg.find("://"), arg.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end + 3 => {
            format!("{}***{}", &arg[..scheme_end + 3], &arg[at..])
        }
        _ => arg.to_string(),
    }
}

impl std::fmt::Debug for CommandCamera {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let args: Vec<String> = self.args.iter().map(|a| redact_arg(a)).collect();
        f.debug_struct("CommandCamera")
            .field("program", &self.program)
            .field("args", &args)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Removes the temporary output file however the snapshot ends.
struct TempOut(PathBuf);

impl Drop for TempOut {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_file(&self.0)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(path = %self.0.display(), error = %e, "cannot remove a camera temp file");
        }
    }
}

impl CommandCamera {
    /// A camera running `program` with `args` (see the type's documentation).
    pub fn new(program: &str, args: Vec<String>, timeout: Duration) -> CommandCamera {
        CommandCamera {
            program: program.to_string(),
            args,
            timeout,
        }
    }

    fn temp_path() -> PathBuf {
        let n = NEXT_FILE.fetch_add(1, Ordering::Relaxed);
        std::env::temp_dir().join(format!("packdesk-snapshot-{}-{n}.jpg", std::process::id()))
    }
}

#[async_trait]
impl Camera for CommandCamera {
    async fn snapshot(&self) -> Result<Vec<u8>, CameraError> {
        let to_file = self.args.iter().any(|a| a.contains(OUT_PLACEHOLDER));
        let out = TempOut(Self::temp_path());
        let out_str = out.0.to_string_lossy().into_owned();
        let args: Vec<String> = self
            .args
            .iter()
            .map(|a| a.replace(OUT_PLACEHOLDER, &out_str))
            .collect();
        let child = tokio::process::Command::new(&self.program)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(if to_file {
                Stdio::null()
            } else {
                Stdio::piped()
            })
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| CameraError::Spawn {
                program: self.program.clone(),
                source,
            })?;
        // On timeout the future, and with it the child, is dropped: kill_on_drop kills it.
        let output = match tokio::time::timeout(self.timeout, child.wait_with_output()).await {
            Ok(Ok(o)) => o,
            Ok(Err(source)) => {
                return Err(CameraError::Spawn {
                    program: self.program.clone(),
                    source,
                });
            }
            Err(_) => {
                tracing::warn!(program = %self.program, "camera program killed after its timeout");
                return Err(CameraError::Timeout {
                    camera: self.program.clone(),
                    after: self.timeout,
                });
            }
        };
        if !output.status.success() {
            let text = String::from_utf8_lossy(&output.stderr);
            let text = sanitize(text.trim());
            let tail: String = {
                let chars: Vec<char> = text.chars().collect();
                chars[chars.len().saturating_sub(STDERR_TAIL)..]
                    .iter()
                    .collect()
            };
            return Err(CameraError::CommandFailed {
                program: self.program.clone(),
                status: output.status.to_string(),
                stderr: tail,
            });
        }
        let bytes = if to_file {
            let meta = tokio::fs::metadata(&out.0)
                .await
                .map_err(|source| CameraError::Output {
                    program: self.program.clone(),
                    path: out_str.clone(),
                    source,
                })?;
            if meta.len() > MAX_SNAPSHOT_BYTES as u64 {
                return Err(CameraError::NotJpeg {
                    camera: self.program.clone(),
                    detail: format!("{} bytes, more than {MAX_SNAPSHOT_BYTES}", meta.len()),
                });
            }
            tokio::fs::read(&out.0)
                .await
                .map_err(|source| CameraError::Output {
                    program: self.program.clone(),
                    path: out_str.clone(),
                    source,
                })?
        } else {
            output.stdout
        };
        check_jpeg(&self.program, &bytes)?;
        tracing::debug!(program = %self.program, bytes = bytes.len(), "snapshot taken");
        Ok(bytes)
    }

    fn describe(&self) -> String {
        self.program.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_masks_url_credentials_in_arguments() {
        let cam = CommandCamera::new(
            "ffmpeg",
            vec![
                "-i".into(),
                "rtsp://admin:Pa55@10.0.0.9:554/stream1".into(),
                "{out}".into(),
            ],
            Duration::from_secs(5),
        );
        let shown = format!("{cam:?}");
        assert!(!shown.contains("Pa55"), "{shown}");
        assert!(shown.contains("rtsp://***@10.0.0.9:554/stream1"), "{shown}");
        assert_eq!(redact_arg("http://host/a@b"), "http://***@b");
        assert_eq!(redact_arg("-frames:v"), "-frames:v");
    }
}
