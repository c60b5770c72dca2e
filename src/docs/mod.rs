//! Printable documents made with printpdf: the bench's own shipping label, command-barcode
//! sheets, the scanner test sheet and the packing slip.
//!
//! All text is drawn with the embedded DejaVu Sans (regular and bold, `assets/fonts/`),
//! because the 14 built-in PDF fonts cannot draw Czech or Polish letters. Every document
//! is built from the same two drawing helpers in `canvas`: text with the embedded font and
//! Code 128 / EAN-13 barcodes as filled rectangles.

mod canvas;
mod cli;
mod code128;
pub mod command_sheet;
mod impose;
mod label;
pub mod order_docs;
mod order_pdf;
mod sheet;
mod slip;
mod store;
mod zpl;

pub use cli::{DocCmd, Layout, run_doc};
pub use code128::{FNC1, code128_modules, gs1_data};
pub use impose::{concat_roll, impose_a4x4};
pub use label::{LabelData, own_label_pdf};
pub use order_docs::{DocRef, OrderDocError, OrderDocs, ShopPdf};
pub use order_pdf::order_document_pdf;
pub use sheet::{SheetEntry, barcode_sheet_pdf, scanner_test_sheet_pdf};
pub use slip::{PackingSlip, SlipLine, packing_slip_pdf};
pub use store::{LabelStore, LabelStoreError, next_free_quarter, set_next_free_quarter};
pub use zpl::{LabelFormat, is_zpl, label_format, own_label_zpl};

/// Why a document could not be made.
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    /// The data cannot be put into the barcode (empty, non-ASCII for Code 128, bad EAN).
    #[error("barcode data {data:?} cannot be encoded: {reason}")]
    Barcode {
        /// The data as given.
        data: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The barcode does not fit the space it has, even with the narrowest module width.
    #[error(
        "barcode {data:?} is {needed_mm:.1} mm wide at the narrowest printable module, \
         only {available_mm:.1} mm available"
    )]
    BarcodeTooWide {
        /// The data as given.
        data: String,
        /// Width needed (quiet zones included).
        needed_mm: f32,
        /// Width available.
        available_mm: f32,
    },
    /// An embedded font could not be parsed.
    #[error("embedded font {name} cannot be parsed")]
    Font {
        /// File name of the font under `assets/fonts/`.
        name: &'static str,
    },
    /// A label to place on a sheet or roll is not usable (not a PDF, ZPL, encrypted,
    /// damaged, no pages).
    #[error("label {label}: {reason}")]
    Label {
        /// The label's position in the list given, 1-based.
        label: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// A 4-up start position outside 1–4.
    #[error(
        "start quarter {given} is not 1–4 (1 top left, 2 top right, 3 bottom left, 4 bottom right)"
    )]
    Quarter {
        /// The position given.
        given: u8,
    },
    /// There is no label page to place.
    #[error("no label pages to place")]
    NoLabels,
    /// The PDF could not be serialised.
    #[error("cannot write the PDF: {reason}")]
    Write {
        /// The writer's error.
        reason: String,
    },
}
