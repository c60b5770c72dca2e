//! Printable documents made with printpdf: the bench's own shipping label, command-barcode
//! sheets, the scanner test sheet and the packing slip.
//!
//! All text is drawn with the embedded DejaVu Sans (regular and bold, `assets/fonts/`),
//! because the 14 built-in PDF fonts cannot draw Czech or Polish letters. Every document
//! is built from the same two drawing helpers in `canvas`: text with the embedded font and
//! Code 128 / EAN-13 barcodes as filled rectangles.

mod canvas;
mod code128;
mod label;
mod sheet;
mod slip;

pub use code128::{FNC1, code128_modules, gs1_data};
pub use label::{LabelData, own_label_pdf};
pub use sheet::{SheetEntry, barcode_sheet_pdf, scanner_test_sheet_pdf};
pub use slip::{PackingSlip, SlipLine, packing_slip_pdf};

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
}
