//! The documents of one order, as the order detail overlay and `packdesk order docs` list
//! them: the shop's order PDF (invoice), the packing slip, the stored labels and the
//! hand-over protocol; and the on-disk cache of the shop's PDF, so that opening it a
//! second time costs no request against the shop's quota.
//!
//! Layout under the data directory: `docs/<order key percent-encoded>/<file name>`, every
//! file written to a temporary name and renamed.

use std::path::{Path, PathBuf};

use super::store::{LabelStoreError, percent_encode, write_atomic};
use crate::shop::{Shop, ShopError};

/// One document of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocRef {
    /// The shop's own document of the order (Upgates: the order PDF / invoice), fetched
    /// from the shop when opened; `cached` once a copy is kept.
    ShopPdf { cached: bool },
    /// The shop offers no order document (BaseLinker documents none): shown, never fetched.
    NoShopDoc { shop: String },
    /// The packing slip, made again from the stored order.
    Slip,
    /// A stored carrier (or own) label of one parcel.
    Label {
        parcel_no: u32,
        tracking: Option<String>,
        /// ZPL rather than PDF.
        zpl: bool,
    },
    /// The carrier's hand-over protocol of the parcels' hand-over.
    Handover,
}

impl DocRef {
    /// Whether it can be opened (printed or shown).
    pub fn openable(&self) -> bool {
        !matches!(self, DocRef::NoShopDoc { .. })
    }

    /// The file name that says what it is: `CZ250020-invoice.pdf`, `CZ250020-slip.pdf`,
    /// `CZ250020-label-1.pdf`, `CZ250020-handover.pdf` (the number made safe for a path).
    pub fn file_name(&self, number: &str) -> String {
        let n = safe_name(number);
        match self {
            DocRef::ShopPdf { .. } | DocRef::NoShopDoc { .. } => format!("{n}-invoice.pdf"),
            DocRef::Slip => format!("{n}-slip.pdf"),
            DocRef::Label { parcel_no, zpl, .. } => {
                format!("{n}-label-{parcel_no}.{}", if *zpl { "zpl" } else { "pdf" })
            }
            DocRef::Handover => format!("{n}-handover.pdf"),
        }
    }
}

/// `number` with everything but ASCII letters, digits, `-` and `_` replaced by `_`.
pub fn safe_name(number: &str) -> String {
    let s: String = number
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() { "order".into() } else { s }
}

/// Why an order document could not be had.
#[derive(Debug, thiserror::Error)]
pub enum OrderDocError {
    /// The cache could not be read or written.
    #[error(transparent)]
    Store(#[from] LabelStoreError),
    /// The shop refused or could not be reached.
    #[error(transparent)]
    Shop(#[from] ShopError),
}

/// The shop's PDF of an order, and whether it came from the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopPdf {
    pub bytes: Vec<u8>,
    pub cached: bool,
}

/// The order documents kept in `<data dir>/docs`.
#[derive(Debug, Clone)]
pub struct OrderDocs {
    dir: PathBuf,
}

impl OrderDocs {
    /// The documents directory of the data directory `data_dir` (created when written).
    pub fn new(data_dir: &Path) -> OrderDocs {
        OrderDocs {
            dir: data_dir.join("docs"),
        }
    }

    /// The directory of one order's documents.
    pub fn order_dir(&self, order_key: &str) -> PathBuf {
        self.dir.join(percent_encode(order_key))
    }

    fn shop_pdf_path(&self, order_key: &str) -> PathBuf {
        self.order_dir(order_key).join("shop-order.pdf")
    }

    /// The kept copy of the shop's PDF, if there is a whole one.
    pub fn cached_shop_pdf(&self, order_key: &str) -> Option<Vec<u8>> {
        std::fs::read(self.shop_pdf_path(order_key))
            .ok()
            .filter(|b| b.starts_with(b"%PDF-"))
    }

    /// The shop's PDF of the order: the kept copy, else fetched from the shop (one
    /// request) and kept. `Ok(None)` when the shop offers no order document.
    pub async fn shop_pdf(
        &self,
        shop: &dyn Shop,
        order_key: &str,
        number: &str,
    ) -> Result<Option<ShopPdf>, OrderDocError> {
        if let Some(bytes) = self.cached_shop_pdf(order_key) {
            return Ok(Some(ShopPdf {
                bytes,
                cached: true,
            }));
        }
        if !shop.offers_order_pdf() {
            return Ok(None);
        }
        let Some(bytes) = shop.order_pdf(number).await? else {
            return Ok(None);
        };
        self.write(order_key, "shop-order.pdf", &bytes)?;
        Ok(Some(ShopPdf {
            bytes,
            cached: false,
        }))
    }

    /// Writes a document of the order under `name` (atomically); its path.
    pub fn write(
        &self,
        order_key: &str,
        name: &str,
        bytes: &[u8],
    ) -> Result<PathBuf, LabelStoreError> {
        let dir = self.order_dir(order_key);
        std::fs::create_dir_all(&dir).map_err(|source| LabelStoreError::Io {
            action: "create",
            path: dir.clone(),
            source,
        })?;
        let path = dir.join(crate::print::safe_file_name(name));
        write_atomic(&path, bytes)?;
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_say_what_they_are() {
        assert_eq!(DocRef::Slip.file_name("CZ250020"), "CZ250020-slip.pdf");
        assert_eq!(
            DocRef::ShopPdf { cached: false }.file_name("CZ250020"),
            "CZ250020-invoice.pdf"
        );
        let label = DocRef::Label {
            parcel_no: 2,
            tracking: None,
            zpl: true,
        };
        assert_eq!(label.file_name("2026/01"), "2026_01-label-2.zpl");
        assert_eq!(DocRef::Handover.file_name("../x"), "___x-handover.pdf");
        assert!(!DocRef::NoShopDoc { shop: "b".into() }.openable());
    }

    #[test]
    fn documents_stay_in_their_order_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let docs = OrderDocs::new(tmp.path());
        let p = docs
            .write("upgates:../A", "../evil.pdf", b"%PDF-1.4")
            .unwrap();
        assert!(p.starts_with(tmp.path().join("docs")));
        assert_eq!(p.file_name().unwrap(), "_evil.pdf");
        assert_eq!(docs.cached_shop_pdf("upgates:../A"), None);
    }
}
