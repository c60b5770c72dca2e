//! The A4 packing slip that goes into the parcel: order number (also as Code 128),
//! customer, the lines (SKU, name, quantity) and the order note.

use super::DocError;
use super::canvas::{A4_H, A4_W, Canvas, Doc, Weight};
use super::code128::code128_modules;
use crate::domain::{Address, Qty};

const MARGIN: f32 = 15.0;
const ROW_H: f32 = 6.5;
const SKU_W: f32 = 40.0;
const QTY_W: f32 = 20.0;

/// One line of the packing slip.
#[derive(Debug, Clone, PartialEq)]
pub struct SlipLine {
    /// Product SKU.
    pub sku: String,
    /// Product name.
    pub name: String,
    /// Quantity packed.
    pub quantity: Qty,
}

/// What the packing slip shows.
#[derive(Debug, Clone, PartialEq)]
pub struct PackingSlip {
    /// The shop's order number (printed and encoded as Code 128).
    pub order_number: String,
    /// Shop or warehouse name at the top.
    pub shop: String,
    /// The customer (delivery address).
    pub customer: Address,
    /// The lines packed.
    pub lines: Vec<SlipLine>,
    /// The order note, if any.
    pub note: Option<String>,
}

impl PackingSlip {
    /// The slip of a stored order, headed with `shop` (the station's name at the bench).
    pub fn from_order(o: &crate::domain::Order, shop: &str) -> PackingSlip {
        PackingSlip {
            order_number: o.number.clone(),
            shop: shop.to_string(),
            customer: o.customer.clone(),
            lines: o
                .lines
                .iter()
                .map(|l| SlipLine {
                    sku: l.sku.clone(),
                    name: l.name.clone(),
                    quantity: l.quantity,
                })
                .collect(),
            note: o.note.as_ref().map(|n| n.text.clone()),
        }
    }
}

/// Makes the A4 packing slip; long orders continue on further pages (with the header
/// repeated so every page identifies the order).
pub fn packing_slip_pdf(slip: &PackingSlip) -> Result<Vec<u8>, DocError> {
    let modules = code128_modules(&slip.order_number)?;
    let mut doc = Doc::new(&format!("Packing slip {}", slip.order_number))?;
    let first_rows = 30;
    let next_rows = 36;
    let mut pages: Vec<&[SlipLine]> = Vec::new();
    let (first, mut rest) = slip.lines.split_at(slip.lines.len().min(first_rows));
    pages.push(first);
    while !rest.is_empty() {
        let (chunk, tail) = rest.split_at(rest.len().min(next_rows));
        pages.push(chunk);
        rest = tail;
    }
    let page_count = pages.len();
    for (i, lines) in pages.iter().enumerate() {
        let mut c = doc.page(A4_W, A4_H);
        c.text_fit(
            MARGIN,
            20.0,
            110.0,
            (18.0, 10.0),
            Weight::Bold,
            "Packing slip / Dodací list",
        );
        c.text_fit(
            MARGIN,
            27.0,
            110.0,
            (11.0, 8.0),
            Weight::Regular,
            &slip.shop,
        );
        c.text_fit(
            MARGIN,
            35.0,
            110.0,
            (14.0, 8.0),
            Weight::Bold,
            &slip.order_number,
        );
        c.barcode_centered(165.0, 12.0, 60.0, 14.0, &slip.order_number, &modules)?;
        let mut y = 45.0;
        if i == 0 {
            y = customer_block(&mut c, y, &slip.customer);
        }
        y = table(&mut c, y, lines);
        if i + 1 == page_count
            && let Some(note) = slip.note.as_deref().filter(|n| !n.trim().is_empty())
        {
            c.text(MARGIN, y + 8.0, 8.0, Weight::Regular, "Note / Poznámka");
            c.text_wrapped(
                MARGIN,
                y + 13.0,
                A4_W - 2.0 * MARGIN,
                10.0,
                Weight::Regular,
                4.5,
                8,
                note,
            );
        }
        let footer = format!("{} – {}/{}", slip.order_number, i + 1, page_count);
        c.footer(&footer);
        doc.push(c);
    }
    Ok(doc.save())
}

/// Customer address from `y`; returns the y below it.
fn customer_block(c: &mut Canvas, y: f32, a: &Address) -> f32 {
    let w = A4_W - 2.0 * MARGIN;
    c.text(MARGIN, y, 8.0, Weight::Regular, "Customer / Zákazník");
    let mut y = y + 5.5;
    let lines = [
        (a.name.as_str(), Weight::Bold),
        (a.company.as_str(), Weight::Regular),
        (a.street.as_str(), Weight::Regular),
    ];
    for (text, weight) in lines {
        if !text.trim().is_empty() {
            c.text_fit(MARGIN, y, w, (11.0, 8.0), weight, text);
            y += 5.0;
        }
    }
    let city = format!("{} {}, {}", a.zip, a.city, a.country);
    c.text_fit(MARGIN, y, w, (11.0, 8.0), Weight::Regular, &city);
    y + 8.0
}

/// The lines table from `y`; returns the y below it.
fn table(c: &mut Canvas, y: f32, lines: &[SlipLine]) -> f32 {
    let right = A4_W - MARGIN;
    let name_x = MARGIN + SKU_W;
    let name_w = right - QTY_W - name_x - 2.0;
    c.text(MARGIN, y, 9.0, Weight::Bold, "SKU");
    c.text(name_x, y, 9.0, Weight::Bold, "Item / Položka");
    let qty_head = "Qty / Ks";
    let qty_w = c.text_width(qty_head, 9.0, Weight::Bold);
    c.text(right - qty_w, y, 9.0, Weight::Bold, qty_head);
    c.hline(MARGIN, right, y + 1.8, 0.4);
    let mut y = y + 1.8;
    for line in lines {
        y += ROW_H;
        c.text_fit(
            MARGIN,
            y - 1.8,
            SKU_W - 2.0,
            (10.0, 7.0),
            Weight::Regular,
            &line.sku,
        );
        c.text_fit(
            name_x,
            y - 1.8,
            name_w,
            (10.0, 7.0),
            Weight::Regular,
            &line.name,
        );
        let qty = line.quantity.to_string();
        let qw = c.text_width(&qty, 10.0, Weight::Bold);
        c.text(right - qw, y - 1.8, 10.0, Weight::Bold, &qty);
        c.hline(MARGIN, right, y, 0.1);
    }
    y
}
