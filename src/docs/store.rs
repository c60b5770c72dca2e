//! Carrier labels kept on disk, content-addressed, so a reprint never calls the carrier;
//! and each station's next free quarter on its 4-up sheet.
//!
//! Layout under the data directory:
//! `labels/<sha256>.pdf|zpl` — the label bytes exactly as the carrier sent them;
//! `labels/index/<order key>~<parcel>` — the hash of that parcel's label (the order key
//! percent-encoded). Every file is written to a temporary name and renamed, so a crash
//! never leaves half a label under its final name.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::zpl::{LabelFormat, label_format};
use crate::store::{Store, StoreError};

/// Why a label could not be stored or read back.
#[derive(Debug, thiserror::Error)]
pub enum LabelStoreError {
    /// A file or directory could not be read or written.
    #[error("label store: {action} {path}: {source}")]
    Io {
        /// What was being done (`create`, `write`, `read` …).
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The bytes are neither a PDF nor ZPL (an error page, an empty download …).
    #[error(
        "label store: the carrier's label is neither PDF nor ZPL ({len} bytes, starting {head:?})"
    )]
    NotALabel {
        /// Size of the data.
        len: usize,
        /// Its first bytes, lossily decoded, for the log.
        head: String,
    },
    /// A hash that is not 64 lower-case hex digits (never used as a path).
    #[error("label store: {hash:?} is not a SHA-256 label hash")]
    BadHash {
        /// The hash given.
        hash: String,
    },
    /// A stored file whose content no longer matches its name.
    #[error("label store: {path} is damaged (its content hashes to {found})")]
    Corrupt {
        /// The damaged file.
        path: PathBuf,
        /// The hash of what is in it now.
        found: String,
    },
}

/// Content-addressed carrier labels in `<data dir>/labels`.
#[derive(Debug, Clone)]
pub struct LabelStore {
    dir: PathBuf,
}

impl LabelStore {
    /// Opens (creating if needed) the label store of the data directory `data_dir`.
    pub fn open(data_dir: &Path) -> Result<LabelStore, LabelStoreError> {
        let dir = data_dir.join("labels");
        let index = dir.join("index");
        std::fs::create_dir_all(&index).map_err(|source| LabelStoreError::Io {
            action: "create",
            path: index,
            source,
        })?;
        Ok(LabelStore { dir })
    }

    /// The directory holding the labels.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Stores a label (PDF or ZPL, kept byte for byte) and returns its SHA-256 in hex.
    /// Storing the same bytes again writes nothing.
    pub fn put(&self, bytes: &[u8]) -> Result<String, LabelStoreError> {
        let format = label_format(bytes).ok_or_else(|| LabelStoreError::NotALabel {
            len: bytes.len(),
            head: String::from_utf8_lossy(&bytes[..bytes.len().min(24)]).into_owned(),
        })?;
        let hash = sha256_hex(bytes);
        let path = self.dir.join(format!("{hash}.{}", format.extension()));
        if !path.exists() {
            write_atomic(&path, bytes)?;
            tracing::debug!(%hash, len = bytes.len(), "label stored");
        }
        Ok(hash)
    }

    /// The stored file of `hash` and its format, if there is one.
    pub fn path(&self, hash: &str) -> Result<Option<(PathBuf, LabelFormat)>, LabelStoreError> {
        check_hash(hash)?;
        for format in [LabelFormat::Pdf, LabelFormat::Zpl] {
            let path = self.dir.join(format!("{hash}.{}", format.extension()));
            if path.is_file() {
                return Ok(Some((path, format)));
            }
        }
        Ok(None)
    }

    /// The label bytes of `hash`, checked against the hash; `None` when not stored.
    pub fn get(&self, hash: &str) -> Result<Option<Vec<u8>>, LabelStoreError> {
        let Some((path, _)) = self.path(hash)? else {
            return Ok(None);
        };
        let bytes = std::fs::read(&path).map_err(|source| LabelStoreError::Io {
            action: "read",
            path: path.clone(),
            source,
        })?;
        let found = sha256_hex(&bytes);
        if found != hash {
            return Err(LabelStoreError::Corrupt { path, found });
        }
        Ok(Some(bytes))
    }

    /// Links parcel `parcel_no` of order `order_key` to the stored label `hash`
    /// (replacing an earlier link, e.g. after the shipment was cancelled and redone).
    pub fn link(&self, order_key: &str, parcel_no: u32, hash: &str) -> Result<(), LabelStoreError> {
        check_hash(hash)?;
        write_atomic(&self.index_path(order_key, parcel_no), hash.as_bytes())
    }

    /// The label hash linked to a parcel, if any.
    pub fn linked(
        &self,
        order_key: &str,
        parcel_no: u32,
    ) -> Result<Option<String>, LabelStoreError> {
        let path = self.index_path(order_key, parcel_no);
        match std::fs::read_to_string(&path) {
            Ok(s) => {
                let hash = s.trim().to_string();
                check_hash(&hash)?;
                Ok(Some(hash))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(LabelStoreError::Io {
                action: "read",
                path,
                source,
            }),
        }
    }

    /// Stores a parcel's label and links it: [`LabelStore::put`] then [`LabelStore::link`].
    pub fn put_for(
        &self,
        order_key: &str,
        parcel_no: u32,
        bytes: &[u8],
    ) -> Result<String, LabelStoreError> {
        let hash = self.put(bytes)?;
        self.link(order_key, parcel_no, &hash)?;
        Ok(hash)
    }

    /// The stored label of a parcel, for a reprint; `None` when none was stored.
    pub fn get_for(
        &self,
        order_key: &str,
        parcel_no: u32,
    ) -> Result<Option<Vec<u8>>, LabelStoreError> {
        match self.linked(order_key, parcel_no)? {
            Some(hash) => self.get(&hash),
            None => Ok(None),
        }
    }

    fn index_path(&self, order_key: &str, parcel_no: u32) -> PathBuf {
        self.dir
            .join("index")
            .join(format!("{}~{parcel_no}", percent_encode(order_key)))
    }
}

/// SHA-256 in lower-case hex.
fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn check_hash(hash: &str) -> Result<(), LabelStoreError> {
    if hash.len() == 64 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        Ok(())
    } else {
        Err(LabelStoreError::BadHash {
            hash: hash.chars().take(80).collect(),
        })
    }
}

/// An order key as a file name: ASCII letters, digits, `-`, `_` and `.` kept, every
/// other byte as `%XX` (so `/`, `:` and `~` never reach the file system).
pub(crate) fn percent_encode(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_') || (b == b'.' && !out.is_empty()) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Writes `bytes` to `path` through a temporary file in the same directory, synced, then
/// renamed into place.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), LabelStoreError> {
    let io = |action, source| LabelStoreError::Io {
        action,
        path: path.to_path_buf(),
        source,
    };
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let mut f = std::fs::File::create(&tmp).map_err(|e| io("create", e))?;
    f.write_all(bytes).map_err(|e| io("write", e))?;
    f.sync_all().map_err(|e| io("sync", e))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(|e| io("rename", e))
}

fn quarter_key(station: &str) -> String {
    format!("a4x4_next:{station}")
}

/// The quarter (1–4) where this station's next 4-up label goes; 1 when none is
/// remembered (or the remembered value is damaged, which is logged).
pub fn next_free_quarter(store: &Store, station: &str) -> Result<u8, StoreError> {
    match store.meta_get(&quarter_key(station))?.as_deref() {
        None => Ok(1),
        Some([q @ 1..=4]) => Ok(*q),
        Some(other) => {
            tracing::warn!(station, value = ?other, "remembered 4-up quarter is damaged, starting at 1");
            Ok(1)
        }
    }
}

/// Remembers where this station's next 4-up label goes (values outside 1–4 become 1).
pub fn set_next_free_quarter(store: &Store, station: &str, quarter: u8) -> Result<(), StoreError> {
    let q = if (1..=4).contains(&quarter) {
        quarter
    } else {
        1
    };
    store.meta_set(&quarter_key(station), &[q])
}

#[cfg(test)]
mod tests {
    use super::*;

    const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

    #[test]
    fn labels_round_trip_by_hash_and_by_parcel() {
        let tmp = tempfile::tempdir().unwrap();
        let ls = LabelStore::open(tmp.path()).unwrap();
        let h = ls.put(PDF).unwrap();
        assert_eq!(h, sha256_hex(PDF));
        assert_eq!(h.len(), 64);
        assert!(tmp.path().join(format!("labels/{h}.pdf")).is_file());
        assert_eq!(ls.put(PDF).unwrap(), h, "same bytes, same hash");
        let z = ls.put_for("upgates:2026/01", 2, b"^XA^FDx^FS^XZ").unwrap();
        assert!(
            ls.path(&z)
                .unwrap()
                .is_some_and(|(_, f)| f == LabelFormat::Zpl)
        );
        assert_eq!(
            ls.get_for("upgates:2026/01", 2).unwrap().unwrap(),
            b"^XA^FDx^FS^XZ"
        );
        assert_eq!(ls.get_for("upgates:2026/01", 1).unwrap(), None);
        ls.link("upgates:2026/01", 2, &h).unwrap();
        assert_eq!(ls.get_for("upgates:2026/01", 2).unwrap().unwrap(), PDF);
        // Reopening finds everything again.
        let again = LabelStore::open(tmp.path()).unwrap();
        assert_eq!(again.linked("upgates:2026/01", 2).unwrap(), Some(h));
    }

    #[test]
    fn junk_bad_hashes_and_damaged_files_are_errors() {
        let tmp = tempfile::tempdir().unwrap();
        let ls = LabelStore::open(tmp.path()).unwrap();
        assert!(matches!(
            ls.put(b"<html>"),
            Err(LabelStoreError::NotALabel { len: 6, .. })
        ));
        assert!(matches!(
            ls.get("../../etc/passwd"),
            Err(LabelStoreError::BadHash { .. })
        ));
        assert!(matches!(
            ls.link("k", 1, "ABC"),
            Err(LabelStoreError::BadHash { .. })
        ));
        let h = ls.put(PDF).unwrap();
        std::fs::write(ls.dir().join(format!("{h}.pdf")), b"%PDF-1.4 changed").unwrap();
        assert!(matches!(ls.get(&h), Err(LabelStoreError::Corrupt { .. })));
        assert_eq!(ls.get(&"0".repeat(64)).unwrap(), None);
    }

    #[test]
    fn order_keys_cannot_escape_the_index() {
        assert_eq!(percent_encode("demo:A-1_b.c"), "demo%3AA-1_b.c");
        assert_eq!(percent_encode("../x/y~z"), "%2E.%2Fx%2Fy%7Ez");
    }

    #[test]
    fn next_free_quarter_is_remembered_per_station() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path()).unwrap();
        assert_eq!(next_free_quarter(&store, "bench-1").unwrap(), 1);
        set_next_free_quarter(&store, "bench-1", 3).unwrap();
        assert_eq!(next_free_quarter(&store, "bench-1").unwrap(), 3);
        assert_eq!(next_free_quarter(&store, "bench-2").unwrap(), 1);
        set_next_free_quarter(&store, "bench-1", 9).unwrap();
        assert_eq!(next_free_quarter(&store, "bench-1").unwrap(), 1);
        store.meta_set("a4x4_next:bench-2", b"xx").unwrap();
        assert_eq!(next_free_quarter(&store, "bench-2").unwrap(), 1);
        drop(store);
        let store = Store::open(tmp.path()).unwrap();
        set_next_free_quarter(&store, "bench-1", 4).unwrap();
        drop(store);
        let store = Store::open(tmp.path()).unwrap();
        assert_eq!(next_free_quarter(&store, "bench-1").unwrap(), 4);
    }
}
