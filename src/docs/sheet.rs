//! A4 barcode sheets: command barcodes (`packdesk sheet commands`) and the scanner test
//! sheet an installer scans to check the scanner's keyboard layout and suffix.

use barcoders::sym::ean13::EAN13;

use super::DocError;
use super::canvas::{A4_H, A4_W, Canvas, Doc, Weight, barcode_width};
use super::code128::{code128_modules, gs1_data};
use crate::domain::gtin;

const MARGIN: f32 = 10.0;
/// Top of the first cell (below title and intro).
const GRID_TOP: f32 = 30.0;
/// Bottom limit of the grid (above the footer).
const GRID_BOTTOM: f32 = 283.0;

/// One code on a barcode sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetEntry {
    /// The data encoded (Code 128, printable ASCII), e.g. `PD:PACK`.
    pub code: String,
    /// What it does, printed above it, e.g. `Pack / Zabalit`.
    pub caption: String,
}

/// A barcode cell ready to draw: caption above, bars, text below.
struct Cell {
    caption: String,
    data: String,
    below: String,
    modules: Vec<bool>,
}

/// Layout of a grid of cells.
struct Grid {
    columns: usize,
    bar_height: f32,
}

impl Grid {
    fn cell_height(&self) -> f32 {
        self.bar_height + 17.0
    }

    fn rows_per_page(&self) -> usize {
        (((GRID_BOTTOM - GRID_TOP) / self.cell_height()).floor() as usize).max(1)
    }
}

/// An A4 sheet of Code 128 barcodes, each with its caption above and its data below, in
/// two columns, on as many pages as needed. `title` heads every page.
pub fn barcode_sheet_pdf(title: &str, entries: &[SheetEntry]) -> Result<Vec<u8>, DocError> {
    let cells = entries
        .iter()
        .map(|e| {
            Ok(Cell {
                caption: e.caption.clone(),
                data: e.code.clone(),
                below: e.code.clone(),
                modules: code128_modules(&e.code)?,
            })
        })
        .collect::<Result<Vec<_>, DocError>>()?;
    let grid = Grid {
        columns: 2,
        bar_height: 15.0,
    };
    grid_pdf(title, None, &cells, &grid)
}

/// The GTIN on the scanner test sheet's EAN-13 (without check digit).
const TEST_EAN_BODY: &str = "859400123456";
/// GS1-128 elements on the scanner test sheet: GTIN, lot, serial.
const TEST_GS1_GTIN: &str = "08594001234561";
const TEST_GS1_LOT: &str = "LOT-42";
const TEST_GS1_SERIAL: &str = "SN12345";

/// The A4 scanner test sheet: digits, upper and lower case letters, `-_/.`, an EAN-13 and
/// a GS1-128 code (GTIN + lot + serial with FNC1 separators), each with the text the
/// scanner must type printed under it, so a wrong keyboard layout shows at once.
pub fn scanner_test_sheet_pdf() -> Result<Vec<u8>, DocError> {
    let plain = [
        ("Digits / Číslice", "0123456789"),
        ("Upper case / Velká písmena", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
        ("Lower case / Malá písmena", "abcdefghijklmnopqrstuvwxyz"),
        ("Symbols / Znaky", "-_/."),
    ];
    let mut cells = plain
        .iter()
        .map(|(caption, data)| {
            Ok(Cell {
                caption: (*caption).to_string(),
                data: (*data).to_string(),
                below: (*data).to_string(),
                modules: code128_modules(data)?,
            })
        })
        .collect::<Result<Vec<_>, DocError>>()?;

    let ean = gtin::with_check_digit(TEST_EAN_BODY).ok_or_else(|| DocError::Barcode {
        data: TEST_EAN_BODY.to_string(),
        reason: "not all digits".to_string(),
    })?;
    cells.push(Cell {
        caption: "EAN-13".to_string(),
        modules: ean13_modules(&ean)?,
        below: ean.clone(),
        data: ean,
    });

    let gs1 = gs1_data(&[
        ("01", TEST_GS1_GTIN),
        ("10", TEST_GS1_LOT),
        ("21", TEST_GS1_SERIAL),
    ]);
    cells.push(Cell {
        caption: format!("GS1-128 (01){TEST_GS1_GTIN} (10){TEST_GS1_LOT} (21){TEST_GS1_SERIAL}"),
        modules: code128_modules(&gs1)?,
        below: format!("01{TEST_GS1_GTIN}10{TEST_GS1_LOT}<GS>21{TEST_GS1_SERIAL}"),
        data: gs1,
    });

    let grid = Grid {
        columns: 1,
        bar_height: 18.0,
    };
    let intro = "Scan each code into a text field: the result must equal the text under it \
                 (<GS> = group separator, Ctrl+]). / Naskenujte každý kód do textového pole: \
                 výsledek musí přesně odpovídat textu pod ním.";
    grid_pdf("Scanner test / Test čtečky", Some(intro), &cells, &grid)
}

/// Modules of an EAN-13 (13 digits with a valid check digit).
fn ean13_modules(ean: &str) -> Result<Vec<bool>, DocError> {
    if !gtin::is_valid(ean) || ean.len() != 13 {
        return Err(DocError::Barcode {
            data: ean.to_string(),
            reason: "not a valid EAN-13".to_string(),
        });
    }
    let symbol = EAN13::new(ean).map_err(|e| DocError::Barcode {
        data: ean.to_string(),
        reason: e.to_string(),
    })?;
    Ok(symbol.encode().into_iter().map(|m| m == 1).collect())
}

/// Lays `cells` out in a grid on as many A4 pages as needed.
fn grid_pdf(
    title: &str,
    intro: Option<&str>,
    cells: &[Cell],
    grid: &Grid,
) -> Result<Vec<u8>, DocError> {
    let mut doc = Doc::new(title)?;
    let per_page = grid.rows_per_page() * grid.columns;
    let chunks: Vec<&[Cell]> = if cells.is_empty() {
        vec![&[]]
    } else {
        cells.chunks(per_page).collect()
    };
    let page_count = chunks.len();
    let col_w = (A4_W - 2.0 * MARGIN) / grid.columns as f32;
    for (page_no, chunk) in chunks.iter().enumerate() {
        let mut c = doc.page(A4_W, A4_H);
        c.text_fit(
            MARGIN,
            17.0,
            A4_W - 2.0 * MARGIN,
            (16.0, 9.0),
            Weight::Bold,
            title,
        );
        if let Some(intro) = intro {
            c.text_wrapped(
                MARGIN,
                22.0,
                A4_W - 2.0 * MARGIN,
                8.0,
                Weight::Regular,
                3.5,
                2,
                intro,
            );
        } else {
            c.hline(MARGIN, A4_W - MARGIN, 20.0, 0.3);
        }
        for (i, cell) in chunk.iter().enumerate() {
            let x = MARGIN + (i % grid.columns) as f32 * col_w;
            let y = GRID_TOP + (i / grid.columns) as f32 * grid.cell_height();
            draw_cell(&mut c, x, y, col_w, grid.bar_height, cell)?;
        }
        let footer = format!("{}/{}", page_no + 1, page_count);
        c.footer(&footer);
        doc.push(c);
    }
    Ok(doc.save())
}

/// Caption, barcode and text under it, within a `w` mm wide cell whose top is `y`.
fn draw_cell(
    c: &mut Canvas,
    x: f32,
    y: f32,
    w: f32,
    bar_h: f32,
    cell: &Cell,
) -> Result<(), DocError> {
    let pad = 3.0;
    c.text_fit(
        x + pad,
        y + 5.0,
        w - 2.0 * pad,
        (11.0, 7.0),
        Weight::Bold,
        &cell.caption,
    );
    let module_w = c.barcode_centered(x + w / 2.0, y + 7.0, w, bar_h, &cell.data, &cell.modules)?;
    tracing::trace!(data = %cell.data, module_w, width = barcode_width(cell.modules.len(), module_w), "sheet cell");
    c.text_centered(
        x + w / 2.0,
        y + 7.0 + bar_h + 4.5,
        10.0,
        Weight::Regular,
        &cell.below,
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_fits_several_rows_per_page() {
        let g = Grid {
            columns: 2,
            bar_height: 15.0,
        };
        assert_eq!(g.rows_per_page(), 7);
    }

    #[test]
    fn ean13_needs_a_valid_check_digit() {
        assert_eq!(
            ean13_modules("8594001234561").map(|m| m.len()).ok(),
            Some(95)
        );
        assert!(ean13_modules("8594001234560").is_err());
        assert!(ean13_modules("85940012345").is_err());
    }

    #[test]
    fn test_sheet_gtins_are_valid() {
        assert!(gtin::is_valid(TEST_GS1_GTIN));
        assert_eq!(
            gtin::to_gtin14(&gtin::with_check_digit(TEST_EAN_BODY).unwrap()).as_deref(),
            Some(TEST_GS1_GTIN)
        );
    }

    #[test]
    fn sheet_rejects_unencodable_entry_naming_it() {
        let err = barcode_sheet_pdf(
            "t",
            &[SheetEntry {
                code: "PD:ZÁSILKA".to_string(),
                caption: "x".to_string(),
            }],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("PD:ZÁSILKA"), "{err}");
    }
}
