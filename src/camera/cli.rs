//! `packdesk photos …`: list, export and prune the photos of a data directory.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result};
use chrono::Utc;
use clap::Subcommand;

use super::PhotoStore;
use crate::domain::text::sanitize;
use crate::store::Store;

/// The `photos` subcommands.
#[derive(Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum PhotosCmd {
    /// List the photos of one order.
    List {
        /// Order number (or store key `source:number`).
        #[arg(long)]
        order: String,
    },
    /// Copy the photos of one order and a manifest.json (SHA-256, size, time, station,
    /// packer) into a directory, as evidence for a dispute.
    Export {
        /// Order number (or store key `source:number`).
        #[arg(long)]
        order: String,
        /// The directory to write (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Remove photos older than the retention (files and records).
    Prune {
        /// Keep photos of the last this many days (the station's camera.retention_days).
        #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..))]
        retention_days: u32,
    },
}

/// The store key of an order given by number, shop id or key.
fn order_key(store: &Store, order: &str) -> Result<String> {
    Ok(store
        .find_order_key(order)?
        .unwrap_or_else(|| order.trim().to_string()))
}

/// Runs one `photos` subcommand on `store` and returns what to print.
pub fn run(store: &Store, cmd: PhotosCmd) -> Result<String> {
    let photos = PhotoStore::open(store)?;
    let mut out = String::new();
    match cmd {
        PhotosCmd::List { order } => {
            let key = order_key(store, &order)?;
            let list = photos.list(&key)?;
            if list.is_empty() {
                anyhow::bail!("order {order} has no photos in {}", store.dir().display());
            }
            for r in list {
                let _ = writeln!(
                    out,
                    "{:>3}  {}  {:>9} B  {}  {}  {}  {}",
                    r.seq,
                    r.taken_at.format("%Y-%m-%d %H:%M:%S UTC"),
                    r.size,
                    &r.sha256,
                    sanitize(&r.station),
                    sanitize(r.packer.as_deref().unwrap_or("-")),
                    photos.file_path(&r).display()
                );
            }
        }
        PhotosCmd::Export { order, out: dir } => {
            let key = order_key(store, &order)?;
            let manifest = photos
                .export(&key, &dir)
                .with_context(|| format!("exporting the photos of order {order}"))?;
            let _ = writeln!(
                out,
                "exported {} photo(s) of order {order} to {} (manifest.json)",
                manifest.photos.len(),
                dir.display()
            );
        }
        PhotosCmd::Prune { retention_days } => {
            let removed = photos.prune(retention_days, Utc::now())?;
            let _ = writeln!(
                out,
                "removed {} photo(s) older than {retention_days} days",
                removed.len()
            );
        }
    }
    Ok(out)
}
