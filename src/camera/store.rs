//! Photos on disk and their records in sled.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Camera, CameraError, check_jpeg};
use crate::store::{Store, StoreError};

/// The sled tree of photo records.
pub const TREE: &str = "photos";
/// The directory under the data directory holding the files.
pub const DIR: &str = "photos";
/// Hex digits of the SHA-256 in a file name.
const NAME_HASH_LEN: usize = 16;
const VALUE_VERSION: u8 = 1;

/// One stored photo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoRecord {
    /// The order (its store key, `source:number`).
    pub order_key: String,
    /// Version of this order's photos, from 1; a retake gets the next number.
    pub seq: u64,
    /// The parcel photographed, when known.
    pub parcel: Option<u32>,
    /// The station that took it.
    pub station: String,
    /// The packer signed in then.
    pub packer: Option<String>,
    /// When it was taken.
    pub taken_at: DateTime<Utc>,
    /// SHA-256 of the file, lower-case hex.
    pub sha256: String,
    /// File size in bytes.
    pub size: u64,
    /// The file, relative to `<data dir>/photos`.
    pub path: PathBuf,
}

/// One photo in an export's `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestPhoto {
    /// File name in the export directory.
    pub file: String,
    /// Version number.
    pub seq: u64,
    /// SHA-256, lower-case hex.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// When it was taken.
    pub taken_at: DateTime<Utc>,
    /// Station.
    pub station: String,
    /// Packer.
    pub packer: Option<String>,
    /// Parcel.
    pub parcel: Option<u32>,
}

/// `manifest.json` of an export: the evidence of one order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The order key.
    pub order: String,
    /// When the export was made.
    pub exported_at: DateTime<Utc>,
    /// The photos, oldest first.
    pub photos: Vec<ManifestPhoto>,
}

/// What went wrong storing, reading, exporting or pruning photos. Messages name the
/// order and the file.
#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    /// The camera failed.
    #[error(transparent)]
    Camera(#[from] CameraError),
    /// The sled store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A file operation failed.
    #[error("photo file {}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A record of the `photos` tree cannot be read.
    #[error("damaged photo record of order {order}: {detail}")]
    Corrupt {
        /// The order key as far as it could be read.
        order: String,
        /// What is wrong.
        detail: String,
    },
    /// A file no longer has the SHA-256 recorded when it was taken.
    #[error(
        "photo {} of order {order} was changed: SHA-256 {found}, recorded {expected}",
        path.display()
    )]
    Tampered {
        /// The order key.
        order: String,
        /// The file.
        path: PathBuf,
        /// Recorded hash.
        expected: String,
        /// Hash now.
        found: String,
    },
    /// Nothing to export.
    #[error("order {order} has no photos")]
    NoPhotos {
        /// The order key.
        order: String,
    },
}

/// The photos of one data directory.
#[derive(Debug, Clone)]
pub struct PhotoStore {
    store: Store,
    tree: sled::Tree,
    root: PathBuf,
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A directory name for an order key: ASCII letters, digits, `-`, `_` and `.` stay,
/// every other byte becomes `%XX`, so different keys never share a directory.
fn order_dir_name(order_key: &str) -> String {
    let mut out = String::with_capacity(order_key.len());
    for (i, b) in order_key.bytes().enumerate() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || (b == b'.' && i > 0) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if out.is_empty() {
        out.push('%');
    }
    out
}

fn record_key(order_key: &str, seq: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(order_key.len() + 9);
    k.extend_from_slice(order_key.as_bytes());
    k.push(0);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

fn order_prefix(order_key: &str) -> Vec<u8> {
    let mut k = order_key.as_bytes().to_vec();
    k.push(0);
    k
}

fn encode(r: &PhotoRecord) -> Result<Vec<u8>, PhotoError> {
    let mut out = vec![VALUE_VERSION];
    serde_json::to_writer(&mut out, r).map_err(|e| PhotoError::Corrupt {
        order: r.order_key.clone(),
        detail: format!("cannot encode: {e}"),
    })?;
    Ok(out)
}

fn decode(key: &[u8], bytes: &[u8]) -> Result<PhotoRecord, PhotoError> {
    let order =
        String::from_utf8_lossy(key.split(|b| *b == 0).next().unwrap_or_default()).into_owned();
    match bytes.split_first() {
        Some((&VALUE_VERSION, body)) => {
            serde_json::from_slice(body).map_err(|e| PhotoError::Corrupt {
                order,
                detail: e.to_string(),
            })
        }
        Some((v, _)) => Err(PhotoError::Corrupt {
            order,
            detail: format!("unknown value version {v}"),
        }),
        None => Err(PhotoError::Corrupt {
            order,
            detail: "empty value".into(),
        }),
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PhotoError + '_ {
    move |source| PhotoError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Makes a file read-only for everyone (0444 on Unix).
fn make_read_only(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o444))
    }
    #[cfg(not(unix))]
    {
        let mut p = std::fs::metadata(path)?.permissions();
        p.set_readonly(true);
        std::fs::set_permissions(path, p)
    }
}

/// Removes a read-only file (Unix needs only the directory's write permission).
fn remove_read_only(path: &Path) -> std::io::Result<()> {
    #[cfg(not(unix))]
    {
        let mut p = std::fs::metadata(path)?.permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        p.set_readonly(false);
        std::fs::set_permissions(path, p)?;
    }
    std::fs::remove_file(path)
}

impl PhotoStore {
    /// The photo store of `store`'s data directory (tree `photos`, files under
    /// `<data dir>/photos`).
    pub fn open(store: &Store) -> Result<PhotoStore, PhotoError> {
        Ok(PhotoStore {
            tree: store.open_tree(TREE)?,
            root: store.dir().join(DIR),
            store: store.clone(),
        })
    }

    /// The directory holding the files.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The absolute path of a record's file.
    pub fn file_path(&self, record: &PhotoRecord) -> PathBuf {
        self.root.join(&record.path)
    }

    /// Takes a snapshot with `camera` and stores it as the next version of the order's
    /// photos.
    pub async fn take(
        &self,
        camera: &dyn Camera,
        order_key: &str,
        parcel: Option<u32>,
        station: &str,
        packer: Option<&str>,
    ) -> Result<PhotoRecord, PhotoError> {
        let jpeg = camera.snapshot().await?;
        let at = Utc::now();
        let (store, order_key, station) =
            (self.clone(), order_key.to_string(), station.to_string());
        let packer = packer.map(str::to_string);
        let camera_name = camera.describe();
        // File writes and fsync are blocking.
        tokio::task::spawn_blocking(move || {
            store.add(
                &camera_name,
                &jpeg,
                &order_key,
                parcel,
                &station,
                packer.as_deref(),
                at,
            )
        })
        .await
        .map_err(|e| PhotoError::Io {
            path: self.root.clone(),
            source: std::io::Error::other(format!("photo writer task failed: {e}")),
        })?
    }

    /// Stores JPEG bytes already taken (by `camera`, named in errors) as the next
    /// version of the order's photos: the file is written once, synced, made read-only,
    /// then recorded.
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &self,
        camera: &str,
        jpeg: &[u8],
        order_key: &str,
        parcel: Option<u32>,
        station: &str,
        packer: Option<&str>,
        taken_at: DateTime<Utc>,
    ) -> Result<PhotoRecord, PhotoError> {
        check_jpeg(camera, jpeg)?;
        let sha256 = sha256_hex(jpeg);
        let seq = self.store.next_sequence(&format!("photo:{order_key}"))?;
        let dir_name = order_dir_name(order_key);
        let dir = self.root.join(&dir_name);
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let name = format!(
            "{seq}-{}.jpg",
            sha256.get(..NAME_HASH_LEN).unwrap_or(&sha256)
        );
        let rel = PathBuf::from(&dir_name).join(&name);
        let path = dir.join(&name);
        // create_new: an existing file is never overwritten.
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(io(&path))?;
        let written = file
            .write_all(jpeg)
            .and_then(|()| file.sync_all())
            .and_then(|()| make_read_only(&path));
        drop(file);
        if let Err(e) = written {
            let _ = remove_read_only(&path);
            return Err(PhotoError::Io { path, source: e });
        }
        let record = PhotoRecord {
            order_key: order_key.to_string(),
            seq,
            parcel,
            station: station.to_string(),
            packer: packer.map(str::to_string),
            taken_at,
            sha256,
            size: jpeg.len() as u64,
            path: rel,
        };
        let inserted = encode(&record).and_then(|v| {
            self.tree
                .insert(record_key(order_key, seq), v)
                .map_err(|e| self.store_io(e))
        });
        if let Err(e) = inserted {
            // A file without its record would be evidence nobody can find or prune.
            let _ = remove_read_only(&path);
            return Err(e);
        }
        self.store.flush()?;
        tracing::info!(order = %order_key, seq, bytes = record.size, sha256 = %record.sha256, "photo stored");
        Ok(record)
    }

    fn store_io(&self, e: sled::Error) -> PhotoError {
        PhotoError::Store(StoreError::Io {
            dir: self.store.dir().to_path_buf(),
            source: e,
        })
    }

    /// The photos of one order, oldest version first.
    pub fn list(&self, order_key: &str) -> Result<Vec<PhotoRecord>, PhotoError> {
        self.tree
            .scan_prefix(order_prefix(order_key))
            .map(|kv| {
                let (k, v) = kv.map_err(|e| self.store_io(e))?;
                decode(&k, &v)
            })
            .collect()
    }

    /// [`photo_gate`](super::photo_gate) for this order's stored photos: may it be marked
    /// packed under `policy`?
    pub fn gate(
        &self,
        policy: super::PhotoPolicy,
        order_key: &str,
    ) -> Result<super::Gate, PhotoError> {
        Ok(super::photo_gate(policy, &self.list(order_key)?))
    }

    /// Reads a photo's file and checks it still has its recorded SHA-256.
    pub fn read_verified(&self, record: &PhotoRecord) -> Result<Vec<u8>, PhotoError> {
        let path = self.file_path(record);
        let bytes = std::fs::read(&path).map_err(io(&path))?;
        let found = sha256_hex(&bytes);
        if found != record.sha256 {
            return Err(PhotoError::Tampered {
                order: record.order_key.clone(),
                path,
                expected: record.sha256.clone(),
                found,
            });
        }
        Ok(bytes)
    }

    /// Copies the order's photos into `dir` (created if missing) after checking each
    /// against its SHA-256, and writes `manifest.json` there. A file already in `dir`
    /// with other content is an error, never overwritten.
    pub fn export(&self, order_key: &str, dir: &Path) -> Result<Manifest, PhotoError> {
        let records = self.list(order_key)?;
        if records.is_empty() {
            return Err(PhotoError::NoPhotos {
                order: order_key.to_string(),
            });
        }
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let mut photos = Vec::with_capacity(records.len());
        for r in &records {
            let bytes = self.read_verified(r)?;
            let file = r
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| format!("{}-{}.jpg", r.seq, r.sha256));
            let target = dir.join(&file);
            match std::fs::read(&target) {
                Ok(existing) if sha256_hex(&existing) == r.sha256 => {}
                Ok(_) => {
                    return Err(PhotoError::Io {
                        path: target,
                        source: std::io::Error::new(
                            std::io::ErrorKind::AlreadyExists,
                            "a different file of this name is already there",
                        ),
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    std::fs::write(&target, &bytes).map_err(io(&target))?;
                }
                Err(e) => {
                    return Err(PhotoError::Io {
                        path: target,
                        source: e,
                    });
                }
            }
            photos.push(ManifestPhoto {
                file,
                seq: r.seq,
                sha256: r.sha256.clone(),
                size: r.size,
                taken_at: r.taken_at,
                station: r.station.clone(),
                packer: r.packer.clone(),
                parcel: r.parcel,
            });
        }
        let manifest = Manifest {
            order: order_key.to_string(),
            exported_at: Utc::now(),
            photos,
        };
        let path = dir.join("manifest.json");
        let json = serde_json::to_vec_pretty(&manifest).map_err(|e| PhotoError::Io {
            path: path.clone(),
            source: std::io::Error::other(e),
        })?;
        std::fs::write(&path, json).map_err(io(&path))?;
        tracing::info!(order = %order_key, photos = manifest.photos.len(), dir = %dir.display(), "photos exported");
        Ok(manifest)
    }

    /// Removes every photo taken more than `retention_days` days before `now` (file and
    /// record) and returns the removed records. A file already gone is not an error.
    pub fn prune(
        &self,
        retention_days: u32,
        now: DateTime<Utc>,
    ) -> Result<Vec<PhotoRecord>, PhotoError> {
        let cutoff = now - ChronoDuration::days(i64::from(retention_days));
        let mut removed = Vec::new();
        for kv in self.tree.iter() {
            let (k, v) = kv.map_err(|e| self.store_io(e))?;
            let record = match decode(&k, &v) {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!(error = %e, "photo record skipped by prune");
                    continue;
                }
            };
            if record.taken_at >= cutoff {
                continue;
            }
            let path = self.file_path(&record);
            match remove_read_only(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    tracing::warn!(path = %path.display(), "pruned photo file was already gone");
                }
                Err(e) => return Err(PhotoError::Io { path, source: e }),
            }
            self.tree.remove(&k).map_err(|e| self.store_io(e))?;
            if let Some(parent) = path.parent() {
                // Only succeeds when the order has no photos left.
                let _ = std::fs::remove_dir(parent);
            }
            removed.push(record);
        }
        self.store.flush()?;
        if !removed.is_empty() {
            tracing::info!(count = removed.len(), retention_days, "photos pruned");
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_dir_names_are_safe_and_distinct() {
        assert_eq!(order_dir_name("upgates:1001"), "upgates%3A1001");
        assert_eq!(order_dir_name("a/../b"), "a%2F..%2Fb");
        assert_eq!(order_dir_name(".."), "%2E.");
        assert_ne!(order_dir_name("a:b"), order_dir_name("a_b"));
        assert_eq!(order_dir_name(""), "%");
    }
}
