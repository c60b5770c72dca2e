//! The one place that draws: a page canvas with top-left millimetre coordinates, text in
//! the embedded DejaVu fonts (measured, fitted, wrapped) and barcodes as filled rectangles.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use printpdf::{
    Color, FontId, Greyscale, Line, LinePoint, Mm, Op, PaintMode, ParsedFont, PdfDocument,
    PdfFontHandle, PdfPage, PdfSaveOptions, Point, Pt, Rect, TextItem,
};

use super::DocError;
use crate::domain::text::sanitize;

const REGULAR_TTF: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const BOLD_TTF: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// A4 width in mm.
pub(crate) const A4_W: f32 = 210.0;
/// A4 height in mm.
pub(crate) const A4_H: f32 = 297.0;
/// Millimetres per point.
const MM_PER_PT: f32 = 25.4 / 72.0;
/// One printer dot at 203 dpi, the usual thermal label printer; module widths are whole
/// dots so bars do not smear when the printer rasterises the PDF.
pub(crate) const DOT_MM: f32 = 25.4 / 203.0;
/// Quiet zone on each side of a barcode, in modules (Code 128 needs ≥ 10, EAN-13 11 on
/// the left and 7 on the right).
pub(crate) const QUIET_MODULES: usize = 11;

static FONTS: LazyLock<Result<(ParsedFont, ParsedFont), &'static str>> = LazyLock::new(|| {
    let regular =
        ParsedFont::from_bytes(REGULAR_TTF, 0, &mut Vec::new()).ok_or("DejaVuSans.ttf")?;
    let bold = ParsedFont::from_bytes(BOLD_TTF, 0, &mut Vec::new()).ok_or("DejaVuSans-Bold.ttf")?;
    Ok((regular, bold))
});

/// Regular or bold face of the embedded font.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Weight {
    Regular = 0,
    Bold = 1,
}

/// A PDF being built: its title and finished pages. The fonts are added at [`Doc::save`],
/// subset to the characters the pages use.
pub(crate) struct Doc {
    title: String,
    fonts: &'static (ParsedFont, ParsedFont),
    pages: Vec<Canvas>,
    used: [BTreeSet<char>; 2],
}

impl Doc {
    /// Starts a document titled `title`.
    pub(crate) fn new(title: &str) -> Result<Doc, DocError> {
        let fonts = FONTS.as_ref().map_err(|name| DocError::Font { name })?;
        Ok(Doc {
            title: sanitize(title),
            fonts,
            pages: Vec::new(),
            used: [BTreeSet::new(), BTreeSet::new()],
        })
    }

    /// A blank page of `width` × `height` mm (not yet part of the document).
    pub(crate) fn page(&self, width: f32, height: f32) -> Canvas {
        Canvas {
            ops: Vec::new(),
            width,
            height,
            fonts: self.fonts,
            used: [BTreeSet::new(), BTreeSet::new()],
        }
    }

    /// Appends a finished page.
    pub(crate) fn push(&mut self, mut canvas: Canvas) {
        for (doc_set, page_set) in self.used.iter_mut().zip(&mut canvas.used) {
            doc_set.append(page_set);
        }
        self.pages.push(canvas);
    }

    /// Serialises the document: each face subset to the characters used and embedded,
    /// streams compressed, no image re-encoding.
    pub(crate) fn save(self) -> Vec<u8> {
        let mut pdf = PdfDocument::new(&self.title);
        let faces = [
            (Weight::Regular, &self.fonts.0, REGULAR_TTF),
            (Weight::Bold, &self.fonts.1, BOLD_TTF),
        ];
        let mut real_ids: Vec<(FontId, FontId)> = Vec::new();
        for ((weight, full, bytes), used) in faces.into_iter().zip(&self.used) {
            if used.is_empty() {
                continue;
            }
            let font = match subset(bytes, full, used) {
                Ok(font) => font,
                Err(e) => {
                    tracing::warn!(error = %e, ?weight, "font subsetting failed, embedding the whole font");
                    full.clone()
                }
            };
            real_ids.push((placeholder(weight), pdf.add_font(&font)));
        }
        let pages = self
            .pages
            .into_iter()
            .map(|canvas| {
                let ops = canvas
                    .ops
                    .into_iter()
                    .map(|op| match op {
                        Op::SetFont {
                            font: PdfFontHandle::External(id),
                            size,
                        } => {
                            let id = real_ids
                                .iter()
                                .find(|(p, _)| *p == id)
                                .map(|(_, real)| real.clone())
                                .unwrap_or(id);
                            Op::SetFont {
                                font: PdfFontHandle::External(id),
                                size,
                            }
                        }
                        other => other,
                    })
                    .collect();
                PdfPage::new(Mm(canvas.width), Mm(canvas.height), ops)
            })
            .collect();
        let opts = PdfSaveOptions {
            image_optimization: None,
            ..PdfSaveOptions::default()
        };
        let mut warnings = Vec::new();
        let bytes = pdf.with_pages(pages).save(&opts, &mut warnings);
        for w in warnings {
            tracing::debug!(warning = ?w, "printpdf");
        }
        bytes
    }
}

/// The id text ops use for a face until [`Doc::save`] adds the real (subset) font.
fn placeholder(weight: Weight) -> FontId {
    FontId(
        match weight {
            Weight::Regular => "packdesk-regular",
            Weight::Bold => "packdesk-bold",
        }
        .to_string(),
    )
}

/// `full` (parsed from `bytes`) cut down to the glyphs of `chars` (plus .notdef), with a
/// Unicode cmap so printpdf maps the text to the new glyph ids.
fn subset(bytes: &[u8], full: &ParsedFont, chars: &BTreeSet<char>) -> Result<ParsedFont, String> {
    use allsorts::binary::read::ReadScope;
    use allsorts::font_data::FontData;
    use allsorts::subset::{CmapTarget, SubsetProfile};

    let glyphs: BTreeSet<u16> = std::iter::once(0)
        .chain(
            chars
                .iter()
                .filter_map(|&c| full.lookup_glyph_index(u32::from(c))),
        )
        .collect();
    let ids: Vec<u16> = glyphs.into_iter().collect();
    let file = ReadScope::new(bytes)
        .read::<FontData<'_>>()
        .map_err(|e| e.to_string())?;
    let provider = file.table_provider(0).map_err(|e| e.to_string())?;
    let sub = allsorts::subset::subset(&provider, &ids, &SubsetProfile::Pdf, CmapTarget::Unicode)
        .map_err(|e| e.to_string())?;
    ParsedFont::from_bytes(&sub, 0, &mut Vec::new())
        .ok_or_else(|| "subset font cannot be parsed".to_string())
}

/// One page being drawn. Coordinates are millimetres from the TOP-left corner; text `y`
/// is the baseline.
pub(crate) struct Canvas {
    ops: Vec<Op>,
    width: f32,
    height: f32,
    fonts: &'static (ParsedFont, ParsedFont),
    /// Characters drawn per face (regular, bold), for subsetting.
    used: [BTreeSet<char>; 2],
}

impl Canvas {
    /// Page width in mm.
    pub(crate) fn width(&self) -> f32 {
        self.width
    }

    fn point(&self, x: f32, y: f32) -> Point {
        Point::new(Mm(x), Mm(self.height - y))
    }

    fn face(&self, weight: Weight) -> &ParsedFont {
        match weight {
            Weight::Regular => &self.fonts.0,
            Weight::Bold => &self.fonts.1,
        }
    }

    /// Width of `text` in mm at `size` pt (advance widths, no kerning, as printpdf draws it).
    pub(crate) fn text_width(&self, text: &str, size: f32, weight: Weight) -> f32 {
        let font = self.face(weight);
        let units: u32 = text
            .chars()
            .map(|c| {
                let gid = font.lookup_glyph_index(u32::from(c)).unwrap_or(0);
                u32::from(font.get_glyph_width(gid).unwrap_or(0))
            })
            .sum();
        let em = f32::from(font.units_per_em.max(1));
        units as f32 / em * size * MM_PER_PT
    }

    /// Draws `text` (sanitised) with its baseline at (`x`, `y`).
    pub(crate) fn text(&mut self, x: f32, y: f32, size: f32, weight: Weight, text: &str) {
        let clean = sanitize(text);
        if clean.is_empty() {
            return;
        }
        let pos = self.point(x, y);
        self.used[weight as usize].extend(clean.chars());
        let font = PdfFontHandle::External(placeholder(weight));
        self.ops.extend([
            Op::StartTextSection,
            Op::SetFillColor { col: black() },
            Op::SetFont {
                font,
                size: Pt(size),
            },
            Op::SetTextCursor { pos },
            Op::ShowText {
                items: vec![TextItem::Text(clean)],
            },
            Op::EndTextSection,
        ]);
    }

    /// Draws `text` on one line within `max_w` mm: shrinks it down to `min_size` pt, then
    /// cuts it with "…". Returns the size used.
    pub(crate) fn text_fit(
        &mut self,
        x: f32,
        y: f32,
        max_w: f32,
        (size, min_size): (f32, f32),
        weight: Weight,
        text: &str,
    ) -> f32 {
        let clean = sanitize(text);
        let mut s = size;
        while s > min_size && self.text_width(&clean, s, weight) > max_w {
            s = (s - 0.5).max(min_size);
        }
        let fitted = self.truncate(&clean, s, weight, max_w);
        self.text(x, y, s, weight, &fitted);
        s
    }

    /// Draws `text` centred on `cx`.
    pub(crate) fn text_centered(&mut self, cx: f32, y: f32, size: f32, weight: Weight, text: &str) {
        let clean = sanitize(text);
        let w = self.text_width(&clean, size, weight);
        self.text(cx - w / 2.0, y, size, weight, &clean);
    }

    /// Draws `text` word-wrapped to `max_w` mm, at most `max_lines` lines (the last cut
    /// with "…"), `leading` mm apart. Returns the baseline after the last line drawn.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn text_wrapped(
        &mut self,
        x: f32,
        y: f32,
        max_w: f32,
        size: f32,
        weight: Weight,
        leading: f32,
        max_lines: usize,
        text: &str,
    ) -> f32 {
        let clean = sanitize(text);
        let mut lines: Vec<String> = Vec::new();
        let mut current = String::new();
        for word in clean.split_whitespace() {
            let candidate = if current.is_empty() {
                word.to_string()
            } else {
                format!("{current} {word}")
            };
            if current.is_empty() || self.text_width(&candidate, size, weight) <= max_w {
                current = candidate;
            } else {
                lines.push(std::mem::replace(&mut current, word.to_string()));
            }
        }
        if !current.is_empty() {
            lines.push(current);
        }
        if lines.len() > max_lines {
            lines.truncate(max_lines);
            if let Some(last) = lines.last_mut() {
                last.push_str(" …");
            }
        }
        let mut baseline = y;
        for line in &lines {
            let fitted = self.truncate(line, size, weight, max_w);
            self.text(x, baseline, size, weight, &fitted);
            baseline += leading;
        }
        baseline
    }

    /// A small centred footer line (page numbers) 7 mm above the bottom edge.
    pub(crate) fn footer(&mut self, text: &str) {
        let (cx, y) = (self.width / 2.0, self.height - 7.0);
        self.text_centered(cx, y, 8.0, Weight::Regular, text);
    }

    /// `text` cut (with "…") to fit `max_w` mm.
    fn truncate(&self, text: &str, size: f32, weight: Weight, max_w: f32) -> String {
        if self.text_width(text, size, weight) <= max_w {
            return text.to_string();
        }
        let mut chars: Vec<char> = text.chars().collect();
        while !chars.is_empty() {
            chars.pop();
            let candidate: String = chars.iter().collect::<String>() + "…";
            if self.text_width(&candidate, size, weight) <= max_w {
                return candidate;
            }
        }
        String::new()
    }

    /// A rectangle with its top-left corner at (`x`, `y`): filled black, or outlined with
    /// a `stroke` mm line.
    pub(crate) fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, stroke: Option<f32>) {
        let bottom_left = self.point(x, y + h);
        let mut r = Rect::from_xywh(bottom_left.x, bottom_left.y, Mm(w).into(), Mm(h).into());
        match stroke {
            None => {
                r.mode = Some(PaintMode::Fill);
                self.ops.push(Op::SetFillColor { col: black() });
            }
            Some(t) => {
                r.mode = Some(PaintMode::Stroke);
                self.ops.extend([
                    Op::SetOutlineColor { col: black() },
                    Op::SetOutlineThickness { pt: Mm(t).into() },
                ]);
            }
        }
        self.ops.push(Op::DrawRectangle { rectangle: r });
    }

    /// A horizontal rule from `x1` to `x2` at `y`, `thickness` mm.
    pub(crate) fn hline(&mut self, x1: f32, x2: f32, y: f32, thickness: f32) {
        let points = vec![
            LinePoint {
                p: self.point(x1, y),
                bezier: false,
            },
            LinePoint {
                p: self.point(x2, y),
                bezier: false,
            },
        ];
        self.ops.extend([
            Op::SetOutlineColor { col: black() },
            Op::SetOutlineThickness {
                pt: Mm(thickness).into(),
            },
            Op::DrawLine {
                line: Line {
                    points,
                    is_closed: false,
                },
            },
        ]);
    }

    /// Draws a barcode's `modules` (`true` = bar) as filled rectangles. `x` is the left edge
    /// of the left quiet zone, `y` the top of the bars. Returns the width in mm including
    /// both quiet zones.
    pub(crate) fn barcode(
        &mut self,
        x: f32,
        y: f32,
        module_w: f32,
        height: f32,
        modules: &[bool],
    ) -> f32 {
        let start = x + QUIET_MODULES as f32 * module_w;
        let mut i = 0;
        while i < modules.len() {
            if modules[i] {
                let run = modules[i..].iter().take_while(|&&m| m).count();
                self.rect(
                    start + i as f32 * module_w,
                    y,
                    run as f32 * module_w,
                    height,
                    None,
                );
                i += run;
            } else {
                i += 1;
            }
        }
        barcode_width(modules.len(), module_w)
    }

    /// Draws a barcode centred on `cx`, with the widest module (of 4, 3, 2 printer dots)
    /// whose symbol still fits `max_w` mm. Returns the module width used.
    pub(crate) fn barcode_centered(
        &mut self,
        cx: f32,
        y: f32,
        max_w: f32,
        height: f32,
        data: &str,
        modules: &[bool],
    ) -> Result<f32, DocError> {
        let module_w =
            pick_module(modules.len(), max_w).ok_or_else(|| DocError::BarcodeTooWide {
                data: data.to_string(),
                needed_mm: barcode_width(modules.len(), 2.0 * DOT_MM),
                available_mm: max_w,
            })?;
        let w = barcode_width(modules.len(), module_w);
        // Snap the left edge to the dot grid so each module covers whole dots.
        let x = ((cx - w / 2.0) / DOT_MM).round() * DOT_MM;
        self.barcode(x, y, module_w, height, modules);
        Ok(module_w)
    }
}

/// Width in mm of a symbol of `modules` modules plus both quiet zones.
pub(crate) fn barcode_width(modules: usize, module_w: f32) -> f32 {
    (modules + 2 * QUIET_MODULES) as f32 * module_w
}

/// The widest module of 4, 3 or 2 dots at which `modules` fit `max_w` mm.
fn pick_module(modules: usize, max_w: f32) -> Option<f32> {
    [4.0, 3.0, 2.0]
        .into_iter()
        .map(|dots| dots * DOT_MM)
        .find(|&m| barcode_width(modules, m) <= max_w)
}

fn black() -> Color {
    Color::Greyscale(Greyscale::new(0.0, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_width_shrinks_to_fit_and_gives_up_when_too_wide() {
        assert_eq!(pick_module(100, 100.0), Some(4.0 * DOT_MM));
        // 250 modules + 22 quiet: 4 dots = 136 mm, 3 dots = 102 mm, 2 dots = 68 mm.
        assert_eq!(pick_module(250, 90.0), Some(2.0 * DOT_MM));
        assert_eq!(pick_module(1000, 90.0), None);
    }

    #[test]
    fn text_width_grows_with_size_and_bold_is_wider() {
        let doc = Doc::new("t").unwrap();
        let page = doc.page(100.0, 100.0);
        let w10 = page.text_width("Řehoř Žďárský", 10.0, Weight::Regular);
        let w20 = page.text_width("Řehoř Žďárský", 20.0, Weight::Regular);
        assert!((w20 - 2.0 * w10).abs() < 0.01);
        assert!(page.text_width("Řehoř Žďárský", 10.0, Weight::Bold) > w10);
        // DejaVu Sans "M" is 0.863 em: 10 pt → 3.04 mm.
        let m = page.text_width("M", 10.0, Weight::Regular);
        assert!((m - 3.04).abs() < 0.05, "{m}");
    }

    #[test]
    fn subset_keeps_used_glyphs_mapped_and_is_small() {
        let (full, _) = FONTS.as_ref().unwrap();
        let chars: BTreeSet<char> = "Řehoř Žďárský Łódź".chars().collect();
        let sub = subset(REGULAR_TTF, full, &chars).unwrap();
        for c in &chars {
            assert!(
                sub.lookup_glyph_index(u32::from(*c)).is_some(),
                "{c:?} lost"
            );
        }
        assert_eq!(sub.lookup_glyph_index(u32::from('Q')), None);
        assert!(
            sub.original_bytes.len() < REGULAR_TTF.len() / 10,
            "{}",
            sub.original_bytes.len()
        );
        // Same advance widths as the full font, so measuring with the full font is right.
        let gid_full = full.lookup_glyph_index(u32::from('Ř')).unwrap();
        let gid_sub = sub.lookup_glyph_index(u32::from('Ř')).unwrap();
        assert_eq!(full.get_glyph_width(gid_full), sub.get_glyph_width(gid_sub));
    }

    #[test]
    fn truncate_cuts_with_ellipsis_to_fit() {
        let doc = Doc::new("t").unwrap();
        let page = doc.page(100.0, 100.0);
        let long = "Zażółć gęślą jaźń ".repeat(10);
        let cut = page.truncate(&long, 10.0, Weight::Regular, 50.0);
        assert!(cut.ends_with('…'));
        assert!(page.text_width(&cut, 10.0, Weight::Regular) <= 50.0);
        assert_eq!(
            page.truncate("krátký", 10.0, Weight::Regular, 50.0),
            "krátký"
        );
    }
}
