//! ZPL: the own label as native ZPL for thermal printers (203 dpi, 100 × 150 mm), and
//! telling carrier ZPL apart from PDF so it is passed to the printer untouched.

use std::fmt::Write as _;

use super::DocError;
use super::code128::code128_modules;
use super::label::LabelData;
use crate::domain::text::sanitize;

/// Dots per millimetre at 203 dpi.
const DOTS_PER_MM: f32 = 8.0;
/// Label width in dots (100 mm).
const WIDTH: u32 = 800;
/// Label length in dots (150 mm).
const LENGTH: u32 = 1200;
/// Left and right margin in dots (4 mm).
const MARGIN: u32 = 32;
/// Inner width in dots.
const INNER: u32 = WIDTH - 2 * MARGIN;
/// Average advance of font 0 (CG Triumvirate Bold Condensed) relative to its height; a
/// little generous so fitted text never runs off the label.
const CHAR_ASPECT: f32 = 0.55;
/// Code 128 quiet zone on each side, in modules.
const QUIET_MODULES: u32 = 10;

/// What a carrier label file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelFormat {
    /// A PDF (goes to CUPS/IPP, or onto 4-up sheets).
    Pdf,
    /// Zebra ZPL (goes raw to a thermal printer, byte for byte).
    Zpl,
}

impl LabelFormat {
    /// The file extension for this format (`pdf`, `zpl`).
    pub fn extension(self) -> &'static str {
        match self {
            LabelFormat::Pdf => "pdf",
            LabelFormat::Zpl => "zpl",
        }
    }
}

/// Tells a PDF from ZPL by its first bytes: `%PDF-` within the first 1024 bytes (as PDF
/// readers accept it), or ZPL (see [`is_zpl`]). `None` for anything else (an HTML error
/// page, an empty download …).
pub fn label_format(bytes: &[u8]) -> Option<LabelFormat> {
    let head = &bytes[..bytes.len().min(1024)];
    if head.windows(5).any(|w| w == b"%PDF-") {
        Some(LabelFormat::Pdf)
    } else if is_zpl(bytes) {
        Some(LabelFormat::Zpl)
    } else {
        None
    }
}

/// Whether `bytes` are ZPL: after optional whitespace (and a UTF-8 BOM) they start with a
/// ZPL command (`^` or `~`) and contain a label start `^XA`.
pub fn is_zpl(bytes: &[u8]) -> bool {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = body.iter().position(|b| !b.is_ascii_whitespace());
    let Some(first) = start.and_then(|i| body.get(i)) else {
        return false;
    };
    (*first == b'^' || *first == b'~') && body.windows(3).any(|w| w.eq_ignore_ascii_case(b"^XA"))
}

/// The own 100 × 150 mm label as ZPL for a 203 dpi printer: `^CI28` so the field data is
/// UTF-8 and Czech and Polish letters print, the tracking number as Code 128 (`^BC`,
/// automatic subsets), cash on delivery big in a thick box. Field data is hex-escaped
/// (`^FH`), so `^`, `~` and `_` in names cannot break the label.
///
/// Fails like [`super::own_label_pdf`]: a tracking number that is not printable ASCII, or
/// too long for the label width even at one dot per module.
pub fn own_label_zpl(data: &LabelData) -> Result<String, DocError> {
    let modules = u32::try_from(code128_modules(&data.tracking_number)?.len()).unwrap_or(u32::MAX);
    let with_quiet = modules.saturating_add(2 * QUIET_MODULES);
    let module = (1..=4)
        .rev()
        .find(|m| with_quiet.saturating_mul(*m) <= WIDTH - 16)
        .ok_or_else(|| DocError::BarcodeTooWide {
            data: data.tracking_number.clone(),
            needed_mm: with_quiet as f32 / DOTS_PER_MM,
            available_mm: (WIDTH - 16) as f32 / DOTS_PER_MM,
        })?;
    let mut z = Zpl::default();
    z.raw(&format!("^XA^CI28^PW{WIDTH}^LL{LENGTH}^LH0,0"));

    // Header: carrier and service left, parcel n/m right.
    let parcel = format!("{}/{}", data.parcel_no, data.parcel_count);
    let parcel_w = 200;
    z.text_block(
        WIDTH - MARGIN - parcel_w,
        24,
        parcel_w,
        24,
        'R',
        "Parcel / Balík",
    );
    z.text_block(WIDTH - MARGIN - parcel_w, 64, parcel_w, 64, 'R', &parcel);
    z.text_fit(MARGIN, 24, INNER - parcel_w - 16, (56, 32), &data.carrier);
    z.text_fit(MARGIN, 92, INNER - parcel_w - 16, (36, 24), &data.service);
    z.hline(144, 4);

    z.text(MARGIN, 152, 24, "From / Odesílatel");
    z.text_fit(MARGIN, 180, INNER, (32, 24), &data.sender);
    z.hline(224, 2);

    let r = &data.recipient;
    z.text(MARGIN, 232, 24, "To / Příjemce");
    let mut y = 262;
    z.text_fit(MARGIN, y, INNER, (64, 36), &r.name);
    y += 68;
    if !r.company.trim().is_empty() {
        z.text_fit(MARGIN, y, INNER, (36, 28), &r.company);
        y += 40;
    }
    z.text_fit(MARGIN, y, INNER, (44, 28), &r.street);
    y += 50;
    z.text_fit(
        MARGIN,
        y,
        INNER,
        (56, 32),
        format!("{} {}", r.zip, r.city).trim(),
    );
    y += 60;
    let phone = if r.phone.trim().is_empty() {
        String::new()
    } else {
        format!("   Tel. {}", r.phone)
    };
    z.text_fit(MARGIN, y, INNER, (36, 24), &format!("{}{phone}", r.country));
    y += 44;

    if let Some(pp) = &data.pickup_point {
        let top = y;
        z.text(MARGIN + 12, top + 8, 24, "Pickup point / Výdejní místo");
        z.text_fit(MARGIN + 12, top + 36, INNER - 24, (36, 24), &pp.name);
        z.text_fit(
            MARGIN + 12,
            top + 76,
            INNER - 24,
            (28, 20),
            &format!("ID {}", pp.id),
        );
        z.frame(MARGIN, top, INNER, 112, 3);
        y = top + 120;
    }
    if let Some(cod) = &data.cod {
        z.frame(MARGIN, y, INNER, 88, 8);
        z.text_fit(
            MARGIN + 20,
            y + 18,
            INNER - 40,
            (56, 32),
            &format!("COD / DOBÍRKA {cod}"),
        );
    }

    // Order and weight.
    let row = 792;
    z.hline(row, 2);
    let half = INNER / 2;
    z.text(MARGIN, row + 8, 24, "Order / Objednávka");
    z.text_fit(MARGIN, row + 36, half - 16, (40, 24), &data.order_number);
    z.text(MARGIN + half, row + 8, 24, "Weight / Hmotnost");
    let weight = data
        .weight_kg
        .filter(|kg| kg.is_finite() && *kg >= 0.0)
        .map(|kg| format!("{kg:.2} kg").replace('.', ","))
        .unwrap_or_else(|| "–".to_string());
    z.text(MARGIN + half, row + 36, 40, &weight);
    z.hline(row + 88, 2);

    // Tracking number: Code 128 centred, text below.
    let bar_h = 200;
    let bar_x = (WIDTH - modules * module) / 2;
    let _ = write!(
        z.out,
        "^FO{bar_x},{}^BY{module},3,{bar_h}^BCN,{bar_h},N,N,N,A^FH_^FD{}^FS",
        row + 112,
        escape(&data.tracking_number)
    );
    z.text_block(
        0,
        row + 112 + bar_h + 24,
        WIDTH,
        44,
        'C',
        &data.tracking_number,
    );
    z.raw("^PQ1^XZ\n");
    Ok(z.out)
}

/// A ZPL label being written (font 0, field data hex-escaped).
#[derive(Default)]
struct Zpl {
    out: String,
}

impl Zpl {
    fn raw(&mut self, s: &str) {
        self.out.push_str(s);
    }

    /// Text of `height` dots at (`x`, `y`) (top-left of the field).
    fn text(&mut self, x: u32, y: u32, height: u32, text: &str) {
        let _ = write!(
            self.out,
            "^FO{x},{y}^A0N,{height},{height}^FH_^FD{}^FS",
            escape(&sanitize(text))
        );
    }

    /// Text in a one-line block `width` dots wide, justified `L`, `C` or `R`.
    fn text_block(&mut self, x: u32, y: u32, width: u32, height: u32, just: char, text: &str) {
        let _ = write!(
            self.out,
            "^FO{x},{y}^A0N,{height},{height}^FB{width},1,0,{just}^FH_^FD{}^FS",
            escape(&sanitize(text))
        );
    }

    /// Text at the largest height in `sizes` (max, min) whose estimated width fits
    /// `width`; at the smallest size it is shortened with `..` to fit.
    fn text_fit(&mut self, x: u32, y: u32, width: u32, sizes: (u32, u32), text: &str) {
        let text = sanitize(text);
        let chars = text.chars().count().max(1) as f32;
        let (max, min) = sizes;
        let fitting = (width as f32 / (chars * CHAR_ASPECT)).floor() as u32;
        let height = fitting.clamp(min, max);
        let capacity = (width as f32 / (height as f32 * CHAR_ASPECT)).floor() as usize;
        let shown = if text.chars().count() > capacity {
            let mut s: String = text.chars().take(capacity.saturating_sub(2)).collect();
            s.push_str("..");
            s
        } else {
            text
        };
        self.text(x, y, height, &shown);
    }

    /// A horizontal rule across the inner width at `y`.
    fn hline(&mut self, y: u32, thickness: u32) {
        let _ = write!(
            self.out,
            "^FO{MARGIN},{y}^GB{INNER},{thickness},{thickness}^FS"
        );
    }

    /// A rectangle outline.
    fn frame(&mut self, x: u32, y: u32, w: u32, h: u32, thickness: u32) {
        let _ = write!(self.out, "^FO{x},{y}^GB{w},{h},{thickness}^FS");
    }
}

/// Field data for `^FH_`: `^`, `~`, `_` (and any control character) as `_XX` hex bytes,
/// everything else as UTF-8 (`^CI28`).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        if matches!(ch, '^' | '~' | '_') || ch.is_control() {
            let mut buf = [0u8; 4];
            for b in ch.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "_{b:02X}");
            }
        } else {
            out.push(ch);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Address, Money};

    fn data(tracking: &str) -> LabelData {
        LabelData {
            order_number: "2026-0001".into(),
            parcel_no: 1,
            parcel_count: 1,
            tracking_number: tracking.into(),
            carrier: "Vlastní^rozvoz".into(),
            service: String::new(),
            sender: "Sklad_1".into(),
            recipient: Address {
                name: "Zażółć Gęślą".into(),
                company: String::new(),
                street: "Dlouhá 1".into(),
                city: "Brno".into(),
                zip: "602 00".into(),
                country: "CZ".into(),
                phone: String::new(),
                email: String::new(),
            },
            pickup_point: None,
            cod: Some(Money::new(12_300, "CZK")),
            weight_kg: Some(1.5),
        }
    }

    #[test]
    fn label_is_utf8_zpl_with_escaped_field_data() {
        let z = own_label_zpl(&data("DR00112233CZ")).unwrap();
        assert!(z.starts_with("^XA^CI28^PW800^LL1200"), "{z}");
        assert!(z.trim_end().ends_with("^XZ"));
        assert!(z.contains("^FDZażółć Gęślą^FS"));
        assert!(z.contains("Vlastní_5Erozvoz"), "caret escaped");
        assert!(z.contains("Sklad_5F1"), "underscore escaped");
        assert!(z.contains("^BCN,200,N,N,N,A^FH_^FDDR00112233CZ^FS"));
        assert!(z.contains("DOBÍRKA"));
        assert_eq!(z.matches("^XA").count(), 1);
        assert!(is_zpl(z.as_bytes()));
        assert_eq!(label_format(z.as_bytes()), Some(LabelFormat::Zpl));
    }

    #[test]
    fn barcode_module_shrinks_for_long_numbers_and_fails_when_impossible() {
        let short = own_label_zpl(&data("1234")).unwrap();
        assert!(short.contains("^BY4,"), "{short}");
        let long = own_label_zpl(&data(&"AB".repeat(20))).unwrap();
        assert!(long.contains("^BY1,"), "{long}");
        assert!(matches!(
            own_label_zpl(&data(&"AB".repeat(40))),
            Err(DocError::BarcodeTooWide { .. })
        ));
        assert!(own_label_zpl(&data("Ž123")).is_err());
    }

    #[test]
    fn formats_are_told_apart() {
        assert_eq!(label_format(b"%PDF-1.7\n..."), Some(LabelFormat::Pdf));
        assert_eq!(
            label_format(b"\xEF\xBB\xBF  ^XA^FO10,10^FDx^FS^XZ"),
            Some(LabelFormat::Zpl)
        );
        assert_eq!(
            label_format(b"~JA\r\n^xa^fdx^fs^xz"),
            Some(LabelFormat::Zpl)
        );
        assert_eq!(label_format(b"<html>502 Bad Gateway</html>"), None);
        assert_eq!(label_format(b""), None);
        assert_eq!(label_format(b"^FDno label start^FS"), None);
    }

    #[test]
    fn long_text_is_shortened_to_fit() {
        let mut z = Zpl::default();
        z.text_fit(0, 0, 200, (40, 20), &"x".repeat(100));
        // 200 / (20 × 0.55) = 18 characters: 16 kept and "..".
        assert!(
            z.out.contains(&format!("^FD{}..^FS", "x".repeat(16))),
            "{}",
            z.out
        );
        assert!(z.out.contains("^A0N,20,20"));
    }
}
