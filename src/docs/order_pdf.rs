//! The A4 order document a shop serves for an order (Upgates `GET /orders/{n}/pdf`): the
//! order number, date, customer, the items with prices, and the total. The Upgates
//! simulator serves it, so the bench's "open the invoice" has a real PDF to fetch.

use super::DocError;
use super::canvas::{A4_H, A4_W, Canvas, Doc, Weight};
use crate::domain::{Money, Order};

const MARGIN: f32 = 15.0;
const ROW_H: f32 = 6.5;
const ROWS_FIRST: usize = 28;
const ROWS_NEXT: usize = 36;

/// Makes the order document of `order`, headed with `shop` (the shop's name).
pub fn order_document_pdf(order: &Order, shop: &str) -> Result<Vec<u8>, DocError> {
    let mut doc = Doc::new(&format!("Order {}", order.number))?;
    let mut pages: Vec<&[crate::domain::Line]> = Vec::new();
    let (first, mut rest) = order.lines.split_at(order.lines.len().min(ROWS_FIRST));
    pages.push(first);
    while !rest.is_empty() {
        let (chunk, tail) = rest.split_at(rest.len().min(ROWS_NEXT));
        pages.push(chunk);
        rest = tail;
    }
    let count = pages.len();
    for (i, lines) in pages.iter().enumerate() {
        let mut c = doc.page(A4_W, A4_H);
        let title = format!("Order / Objednávka {}", order.number);
        c.text_fit(MARGIN, 20.0, 180.0, (18.0, 10.0), Weight::Bold, &title);
        c.text_fit(MARGIN, 27.0, 180.0, (11.0, 8.0), Weight::Regular, shop);
        let created = order.created_at.format("%Y-%m-%d").to_string();
        c.text(
            MARGIN,
            33.0,
            9.0,
            Weight::Regular,
            &format!("Date / Datum {created}"),
        );
        let mut y = 42.0;
        if i == 0 {
            y = customer(&mut c, y, order);
        }
        y = table(&mut c, y, lines);
        if i + 1 == count {
            y += 9.0;
            let total = format!("Total / Celkem {}", order.total);
            let w = c.text_width(&total, 12.0, Weight::Bold);
            c.text(A4_W - MARGIN - w, y, 12.0, Weight::Bold, &total);
            let payment = match &order.cod {
                Some(cod) => format!("Cash on delivery / Dobírka {cod}"),
                None => "Paid in advance / Placeno předem".to_string(),
            };
            c.text(MARGIN, y, 9.0, Weight::Regular, &payment);
        }
        c.footer(&format!("{} – {}/{}", order.number, i + 1, count));
        doc.push(c);
    }
    Ok(doc.save())
}

fn customer(c: &mut Canvas, y: f32, o: &Order) -> f32 {
    let a = &o.customer;
    let w = A4_W - 2.0 * MARGIN;
    c.text(MARGIN, y, 8.0, Weight::Regular, "Customer / Zákazník");
    let mut y = y + 5.5;
    let city = format!("{} {}, {}", a.zip, a.city, a.country);
    let rows = [
        (a.name.as_str(), Weight::Bold),
        (a.company.as_str(), Weight::Regular),
        (a.street.as_str(), Weight::Regular),
        (city.as_str(), Weight::Regular),
        (a.email.as_str(), Weight::Regular),
        (a.phone.as_str(), Weight::Regular),
    ];
    for (text, weight) in rows {
        if !text.trim().is_empty() {
            c.text_fit(MARGIN, y, w, (11.0, 8.0), weight, text);
            y += 5.0;
        }
    }
    y + 6.0
}

fn line_total(l: &crate::domain::Line) -> Option<Money> {
    l.unit_price.as_ref().map(|p| {
        Money::new(
            (p.minor as f64 * l.quantity.as_f64()).round() as i64,
            &p.currency,
        )
    })
}

fn table(c: &mut Canvas, y: f32, lines: &[crate::domain::Line]) -> f32 {
    let right = A4_W - MARGIN;
    let (sku_w, qty_w, price_w) = (35.0, 18.0, 32.0);
    let name_x = MARGIN + sku_w;
    let qty_r = right - 2.0 * price_w;
    let name_w = qty_r - qty_w - name_x - 2.0;
    c.text(MARGIN, y, 9.0, Weight::Bold, "SKU");
    c.text(name_x, y, 9.0, Weight::Bold, "Item / Položka");
    let heads = [
        ("Qty / Ks", qty_r),
        ("Unit / Cena", right - price_w),
        ("Sum / Celkem", right),
    ];
    for (h, r) in heads {
        let w = c.text_width(h, 9.0, Weight::Bold);
        c.text(r - w, y, 9.0, Weight::Bold, h);
    }
    c.hline(MARGIN, right, y + 1.8, 0.4);
    let mut y = y + 1.8;
    for l in lines {
        y += ROW_H;
        let base = y - 1.8;
        c.text_fit(
            MARGIN,
            base,
            sku_w - 2.0,
            (10.0, 7.0),
            Weight::Regular,
            &l.sku,
        );
        c.text_fit(name_x, base, name_w, (10.0, 7.0), Weight::Regular, &l.name);
        let cells = [
            (l.quantity.to_string(), qty_r),
            (
                l.unit_price
                    .as_ref()
                    .map(Money::to_string)
                    .unwrap_or_default(),
                right - price_w,
            ),
            (
                line_total(l).map(|m| m.to_string()).unwrap_or_default(),
                right,
            ),
        ];
        for (text, r) in cells {
            let w = c.text_width(&text, 9.5, Weight::Regular);
            c.text(r - w, base, 9.5, Weight::Regular, &text);
        }
        c.hline(MARGIN, right, y, 0.1);
    }
    y
}
