//! The bench's own 100 × 150 mm shipping label (for carriers without their own label, or
//! own delivery): sender, recipient, pickup point, COD, order, parcel n/m, weight, and the
//! tracking number as Code 128.

use super::DocError;
use super::canvas::{Canvas, Doc, Weight};
use super::code128::code128_modules;
use crate::domain::{Address, Money, PickupPoint};

/// Label width in mm.
pub const LABEL_WIDTH_MM: f32 = 100.0;
/// Label height in mm.
pub const LABEL_HEIGHT_MM: f32 = 150.0;
const MARGIN: f32 = 4.0;

/// Everything printed on the own shipping label.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelData {
    /// The shop's order number.
    pub order_number: String,
    /// This parcel's number, 1-based.
    pub parcel_no: u32,
    /// Parcels in the shipment.
    pub parcel_count: u32,
    /// Tracking number, printed as Code 128 and as text.
    pub tracking_number: String,
    /// Carrier name as shown to people (`Zásilkovna`, `PPL` …).
    pub carrier: String,
    /// Carrier service (may be empty).
    pub service: String,
    /// Warehouse / station name.
    pub sender: String,
    /// Recipient address.
    pub recipient: Address,
    /// Pickup point, when delivered to one.
    pub pickup_point: Option<PickupPoint>,
    /// Cash on delivery; printed big and boxed.
    pub cod: Option<Money>,
    /// Parcel weight in kg.
    pub weight_kg: Option<f64>,
}

/// Makes the 100 × 150 mm label as a one-page PDF.
///
/// Fails when the tracking number cannot be encoded as Code 128 (non-ASCII, empty) or is
/// too long to fit the label width.
pub fn own_label_pdf(data: &LabelData) -> Result<Vec<u8>, DocError> {
    let modules = code128_modules(&data.tracking_number)?;
    let mut doc = Doc::new(&format!("Label {}", data.tracking_number))?;
    let mut c = doc.page(LABEL_WIDTH_MM, LABEL_HEIGHT_MM);
    draw_label(&mut c, data, &modules)?;
    doc.push(c);
    Ok(doc.save())
}

/// The top of the order / weight row; the address block must end above it.
const ORDER_ROW_Y: f32 = 99.0;

/// Draws the label; returns where the address block (with pickup point and COD) ends.
fn draw_label(c: &mut Canvas, data: &LabelData, modules: &[bool]) -> Result<f32, DocError> {
    let inner = c.width() - 2.0 * MARGIN;
    let right = c.width() - MARGIN;

    // Header: carrier and service left, parcel n/m right.
    let parcel = format!("{}/{}", data.parcel_no, data.parcel_count);
    let parcel_w = c.text_width(&parcel, 20.0, Weight::Bold);
    c.text(right - parcel_w, 15.0, 20.0, Weight::Bold, &parcel);
    let caption = "Parcel / Balík";
    let caption_w = c.text_width(caption, 7.0, Weight::Regular);
    c.text(right - caption_w, 7.0, 7.0, Weight::Regular, caption);
    let header_w = inner - parcel_w.max(caption_w) - 3.0;
    c.text_fit(
        MARGIN,
        10.5,
        header_w,
        (16.0, 9.0),
        Weight::Bold,
        &data.carrier,
    );
    c.text_fit(
        MARGIN,
        15.5,
        header_w,
        (10.0, 7.0),
        Weight::Regular,
        &data.service,
    );
    c.hline(MARGIN, right, 18.0, 0.5);

    // Sender.
    c.text(MARGIN, 21.5, 7.0, Weight::Regular, "From / Odesílatel");
    c.text_fit(
        MARGIN,
        26.0,
        inner,
        (10.0, 7.0),
        Weight::Regular,
        &data.sender,
    );
    c.hline(MARGIN, right, 28.5, 0.3);

    // Recipient, big.
    let r = &data.recipient;
    c.text(MARGIN, 32.0, 7.0, Weight::Regular, "To / Příjemce");
    let mut y = 39.0;
    c.text_fit(MARGIN, y, inner, (18.0, 10.0), Weight::Bold, &r.name);
    if !r.company.trim().is_empty() {
        y += 5.5;
        c.text_fit(MARGIN, y, inner, (11.0, 8.0), Weight::Regular, &r.company);
    }
    y += 6.0;
    c.text_fit(MARGIN, y, inner, (13.0, 8.0), Weight::Regular, &r.street);
    y += 7.0;
    let city = format!("{} {}", r.zip, r.city);
    c.text_fit(MARGIN, y, inner, (16.0, 9.0), Weight::Bold, city.trim());
    y += 5.5;
    c.text(MARGIN, y, 12.0, Weight::Regular, &r.country);
    if !r.phone.trim().is_empty() {
        let phone_w = inner - 12.0;
        let phone = format!("Tel. {}", r.phone);
        c.text_fit(
            MARGIN + 12.0,
            y,
            phone_w,
            (10.0, 7.0),
            Weight::Regular,
            &phone,
        );
    }
    y += 2.5;

    if let Some(pp) = &data.pickup_point {
        y = pickup_box(c, y, inner, pp);
    }
    if let Some(cod) = &data.cod {
        y = cod_box(c, y, inner, cod);
    }

    // Order, weight.
    c.hline(MARGIN, right, ORDER_ROW_Y, 0.3);
    let half = MARGIN + inner / 2.0;
    c.text(MARGIN, 102.5, 7.0, Weight::Regular, "Order / Objednávka");
    c.text_fit(
        MARGIN,
        107.5,
        inner / 2.0 - 2.0,
        (12.0, 7.0),
        Weight::Bold,
        &data.order_number,
    );
    c.text(half, 102.5, 7.0, Weight::Regular, "Weight / Hmotnost");
    let weight = data
        .weight_kg
        .map(format_kg)
        .unwrap_or_else(|| "–".to_string());
    c.text(half, 107.5, 12.0, Weight::Bold, &weight);
    c.hline(MARGIN, right, 110.0, 0.3);

    // Tracking number.
    let cx = c.width() / 2.0;
    let max_w = c.width() - 2.0;
    c.barcode_centered(cx, 113.0, max_w, 25.0, &data.tracking_number, modules)?;
    c.text_centered(cx, 144.0, 12.0, Weight::Bold, &data.tracking_number);
    Ok(y)
}

/// Boxed pickup point below `y`; returns the y below the box.
fn pickup_box(c: &mut Canvas, y: f32, inner: f32, pp: &PickupPoint) -> f32 {
    let top = y;
    c.text(
        MARGIN + 1.5,
        top + 3.5,
        7.0,
        Weight::Regular,
        "Pickup point / Výdejní místo",
    );
    let after = c.text_wrapped(
        MARGIN + 1.5,
        top + 8.0,
        inner - 3.0,
        11.0,
        Weight::Bold,
        4.5,
        2,
        &pp.name,
    );
    c.text(
        MARGIN + 1.5,
        after,
        9.0,
        Weight::Regular,
        &format!("ID {}", pp.id),
    );
    let bottom = after + 2.0;
    c.rect(MARGIN, top, inner, bottom - top, Some(0.4));
    bottom + 1.5
}

/// "COD / DOBÍRKA <amount>" big in a thick box below `y`; returns the y below the box.
fn cod_box(c: &mut Canvas, y: f32, inner: f32, cod: &Money) -> f32 {
    let h = 11.0;
    c.rect(MARGIN, y, inner, h, Some(1.0));
    let text = format!("COD / DOBÍRKA {cod}");
    c.text_fit(
        MARGIN + 2.5,
        y + 7.8,
        inner - 5.0,
        (17.0, 9.0),
        Weight::Bold,
        &text,
    );
    y + h + 1.5
}

/// `1,25 kg` (decimal comma, as on Czech and Polish labels).
fn format_kg(kg: f64) -> String {
    if kg.is_finite() && kg >= 0.0 {
        format!("{kg:.2} kg").replace('.', ",")
    } else {
        "–".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fullest_address_block_ends_above_the_order_row() {
        let long =
            "Nejdelší možné jméno příjemce, které se nikdy nevejde na jeden řádek ".repeat(3);
        let data = LabelData {
            order_number: "9".repeat(40),
            parcel_no: 10,
            parcel_count: 12,
            tracking_number: "DR1234567890CZ".to_string(),
            carrier: long.clone(),
            service: long.clone(),
            sender: long.clone(),
            recipient: Address {
                name: long.clone(),
                company: long.clone(),
                street: long.clone(),
                city: long.clone(),
                zip: "123 45".to_string(),
                country: "CZ".to_string(),
                phone: long.clone(),
                email: String::new(),
            },
            pickup_point: Some(PickupPoint {
                id: long.clone(),
                name: long.clone(),
            }),
            cod: Some(Money::new(9_999_999_999, "CZK")),
            weight_kg: Some(1234.5),
        };
        let doc = Doc::new("t").unwrap();
        let mut c = doc.page(LABEL_WIDTH_MM, LABEL_HEIGHT_MM);
        let modules = code128_modules(&data.tracking_number).unwrap();
        let bottom = draw_label(&mut c, &data, &modules).unwrap();
        assert!(bottom <= ORDER_ROW_Y, "address block ends at {bottom} mm");
    }

    #[test]
    fn weight_uses_decimal_comma_and_hides_nonsense() {
        assert_eq!(format_kg(1.25), "1,25 kg");
        assert_eq!(format_kg(0.0), "0,00 kg");
        assert_eq!(format_kg(f64::NAN), "–");
        assert_eq!(format_kg(-1.0), "–");
    }
}
