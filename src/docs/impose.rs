//! Carrier label PDFs on paper: four labels on an A4 sheet, or one label per page at its
//! own size for a roll printer.
//!
//! Every label page becomes a Form XObject (lopdf): its content, its resources (inherited
//! from the page tree when the page has none of its own) and its visible box (CropBox,
//! else MediaBox, also inherited) are copied into the output, and the sheet page draws it
//! with one `cm` matrix that honours the page's `/Rotate`, scales it to fit and centres
//! it. Fonts, images and barcodes of the carrier label are copied as they are, never
//! re-encoded. Every content stream written starts and ends with a newline, so a PDF
//! filter that concatenates streams (qpdf in CUPS) never glues `Q` and `q` into `Qq`.

use std::collections::{HashMap, VecDeque};

use lopdf::{Dictionary, Document, Object, ObjectId, Stream, dictionary};
use sha2::{Digest, Sha256};

use super::DocError;
use super::canvas::{A4_H, A4_W};

/// Points per millimetre.
const PT_PER_MM: f32 = 72.0 / 25.4;
/// Largest decompressed content of one label page; a bigger one is refused (a label is
/// a few kB, this guards against decompression bombs in downloaded files).
const MAX_PAGE_CONTENT: usize = 64 * 1024 * 1024;
/// How deep `/Parent` chains are followed for inherited page attributes.
const MAX_TREE_DEPTH: usize = 64;

/// One label page, copied into the output document as a Form XObject.
#[derive(Debug, Clone, Copy)]
struct Placed {
    /// The Form XObject in the output document.
    form: ObjectId,
    /// Displayed width in pt (after `/Rotate`).
    width: f32,
    /// Displayed height in pt (after `/Rotate`).
    height: f32,
    /// Maps form space to the displayed label with its bottom-left corner at the origin,
    /// at scale 1 (`[a b c d e f]` as for `cm`).
    unit: [f32; 6],
}

impl Placed {
    /// The `cm` matrix drawing this label scaled by `s` with its displayed bottom-left
    /// corner at (`tx`, `ty`).
    fn matrix(&self, s: f32, tx: f32, ty: f32) -> [f32; 6] {
        let [a, b, c, d, e, f] = self.unit;
        [s * a, s * b, s * c, s * d, tx + s * e, ty + s * f]
    }

    /// The label as shown, turned a further quarter turn counter-clockwise (its top to
    /// the left), so a landscape label fills a portrait quarter.
    fn turned_ccw(&self) -> Placed {
        let [a, b, c, d, e, f] = self.unit;
        Placed {
            form: self.form,
            width: self.height,
            height: self.width,
            unit: [-b, a, -d, c, self.height - f, e],
        }
    }
}

/// The output document being built: copied label forms, then pages that draw them.
struct Output {
    doc: Document,
    pages_id: ObjectId,
    kids: Vec<Object>,
    /// Streams already copied, by SHA-256 of their dictionary and bytes: a font or
    /// logo that several labels embed identically is stored once.
    shared: HashMap<[u8; 32], ObjectId>,
}

impl Output {
    fn new() -> Output {
        let mut doc = Document::with_version("1.5");
        let pages_id = doc.new_object_id();
        Output {
            doc,
            pages_id,
            kids: Vec::new(),
            shared: HashMap::new(),
        }
    }

    /// Copies every page of label number `label` (1-based, for errors) as Form XObjects.
    fn import(&mut self, label: usize, bytes: &[u8]) -> Result<Vec<Placed>, DocError> {
        let err = |reason: String| DocError::Label { label, reason };
        if super::zpl::is_zpl(bytes) {
            return Err(err(
                "is ZPL, which only a thermal printer can print; it cannot go on a PDF sheet"
                    .into(),
            ));
        }
        let src = Document::load_mem(bytes).map_err(|e| err(format!("not a readable PDF: {e}")))?;
        if src.is_encrypted() {
            return Err(err("the PDF is encrypted with a password".into()));
        }
        let mut copier = Copier::new(&src);
        let mut placed = Vec::new();
        for (n, page_id) in src.page_iter().enumerate() {
            let page_err = |reason: String| err(format!("page {}: {reason}", n + 1));
            let page = src
                .get_dictionary(page_id)
                .map_err(|e| page_err(format!("damaged page object: {e}")))?;
            let media = inherited(&src, page, b"MediaBox")
                .and_then(|o| rect(&src, o))
                .ok_or_else(|| page_err("no valid MediaBox".into()))?;
            let bbox = inherited(&src, page, b"CropBox")
                .and_then(|o| rect(&src, o))
                .and_then(|crop| intersect(crop, media))
                .unwrap_or(media);
            let rotate = inherited(&src, page, b"Rotate")
                .and_then(|o| deref(&src, o).as_i64().ok())
                .unwrap_or(0);
            let quarter_turns = quarter_turns(rotate, label, n + 1);
            let resources = match inherited(&src, page, b"Resources") {
                Some(r) => copier.copy(r, &mut self.doc, &mut self.shared),
                None => Object::Dictionary(Dictionary::new()),
            };
            let (filters, content) = page_content(&src, page_id)
                .map_err(|e| page_err(format!("unreadable content: {e}")))?;
            let mut dict = dictionary! {
                "Type" => "XObject",
                "Subtype" => "Form",
                "BBox" => bbox.iter().map(|v| Object::Real(*v)).collect::<Vec<_>>(),
                "Resources" => resources,
            };
            for (key, value) in filters {
                dict.set(key, copier.copy(&value, &mut self.doc, &mut self.shared));
            }
            // A transparency group of the page stays the form's group.
            if let Ok(group) = page.get(b"Group") {
                dict.set("Group", copier.copy(group, &mut self.doc, &mut self.shared));
            }
            let form = self
                .doc
                .add_object(Object::Stream(Stream::new(dict, content)));
            placed.push(place(form, bbox, quarter_turns));
        }
        if placed.is_empty() {
            return Err(err("the PDF has no pages".into()));
        }
        Ok(placed)
    }

    /// Adds a page of `width` × `height` pt drawing `forms` with their matrices.
    fn page(&mut self, width: f32, height: f32, forms: &[(String, ObjectId, [f32; 6])]) {
        let mut content = String::from("\n");
        let mut xobjects = Dictionary::new();
        for (name, id, m) in forms {
            content.push_str(&format!(
                "q {} {} {} {} {} {} cm /{name} Do Q\n",
                num(m[0]),
                num(m[1]),
                num(m[2]),
                num(m[3]),
                num(m[4]),
                num(m[5])
            ));
            xobjects.set(name.as_bytes(), Object::Reference(*id));
        }
        let content_id = self
            .doc
            .add_object(Stream::new(Dictionary::new(), content.into_bytes()));
        let page_id = self.doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => self.pages_id,
            "MediaBox" => vec![0.into(), 0.into(), Object::Real(width), Object::Real(height)],
            "Resources" => dictionary! { "XObject" => xobjects },
            "Contents" => content_id,
        });
        self.kids.push(page_id.into());
    }

    /// Writes the finished PDF (new streams compressed, label streams as they came).
    fn finish(mut self) -> Result<Vec<u8>, DocError> {
        let count = self.kids.len() as i64;
        self.doc.objects.insert(
            self.pages_id,
            Object::Dictionary(dictionary! {
                "Type" => "Pages",
                "Kids" => self.kids,
                "Count" => count,
            }),
        );
        let catalog = self.doc.add_object(dictionary! {
            "Type" => "Catalog",
            "Pages" => self.pages_id,
        });
        self.doc.trailer.set("Root", catalog);
        self.doc.compress();
        let mut out = Vec::new();
        self.doc.save_to(&mut out).map_err(|e| DocError::Write {
            reason: e.to_string(),
        })?;
        Ok(out)
    }
}

/// A4 page size in pt.
fn a4_pt() -> (f32, f32) {
    (A4_W * PT_PER_MM, A4_H * PT_PER_MM)
}

/// The bottom-left corner of quarter `q` (1 top left, 2 top right, 3 bottom left,
/// 4 bottom right) on an A4 page, in pt.
fn quarter_origin(q: u8) -> (f32, f32) {
    let (w, h) = a4_pt();
    let x = if q.is_multiple_of(2) { w / 2.0 } else { 0.0 };
    let y = if q <= 2 { h / 2.0 } else { 0.0 };
    (x, y)
}

/// Places the labels on A4 sheets, four per sheet, the first in quarter `start`
/// (1 top left, 2 top right, 3 bottom left, 4 bottom right) and on in reading order,
/// continuing on new sheets. Every page of every label is one quarter; each is scaled to
/// fit the 105 × 148.5 mm quarter (aspect kept, centred) as the page is shown, i.e. with
/// its `/Rotate` applied; a page that is shown landscape is turned a quarter turn
/// counter-clockwise (top to the left) so it fills the portrait quarter instead of
/// shrinking to 70 %.
///
/// Returns the PDF and the quarter where the next label would go (1 when the last sheet
/// is full), to be remembered so a half-used sheet is used up by the next run.
///
/// Fails naming the label (1-based) that is not a readable, unencrypted PDF with pages
/// (ZPL labels included), when `start` is not 1–4, or when there is no label at all.
pub fn impose_a4x4(labels: &[Vec<u8>], start: u8) -> Result<(Vec<u8>, u8), DocError> {
    if !(1..=4).contains(&start) {
        return Err(DocError::Quarter { given: start });
    }
    let mut out = Output::new();
    let mut placed = Vec::new();
    for (i, bytes) in labels.iter().enumerate() {
        placed.extend(out.import(i + 1, bytes)?);
    }
    if placed.is_empty() {
        return Err(DocError::NoLabels);
    }
    let (page_w, page_h) = a4_pt();
    let (qw, qh) = (page_w / 2.0, page_h / 2.0);
    let mut quarter = start;
    let mut sheet: Vec<(String, ObjectId, [f32; 6])> = Vec::new();
    for p in &placed {
        let p = if p.width > p.height {
            p.turned_ccw()
        } else {
            *p
        };
        let s = (qw / p.width).min(qh / p.height);
        let (x0, y0) = quarter_origin(quarter);
        let tx = x0 + (qw - s * p.width) / 2.0;
        let ty = y0 + (qh - s * p.height) / 2.0;
        sheet.push((format!("L{quarter}"), p.form, p.matrix(s, tx, ty)));
        if quarter == 4 {
            out.page(page_w, page_h, &sheet);
            sheet.clear();
            quarter = 1;
        } else {
            quarter += 1;
        }
    }
    if !sheet.is_empty() {
        out.page(page_w, page_h, &sheet);
    }
    Ok((out.finish()?, quarter))
}

/// One page per label page at the label's own size, as it is shown (`/Rotate` applied
/// to the page so the printer gets it upright without rotating), for roll printers.
///
/// Fails like [`impose_a4x4`].
pub fn concat_roll(labels: &[Vec<u8>]) -> Result<Vec<u8>, DocError> {
    let mut out = Output::new();
    let mut placed = Vec::new();
    for (i, bytes) in labels.iter().enumerate() {
        placed.extend(out.import(i + 1, bytes)?);
    }
    if placed.is_empty() {
        return Err(DocError::NoLabels);
    }
    for p in &placed {
        out.page(
            p.width,
            p.height,
            &[("L".to_string(), p.form, p.matrix(1.0, 0.0, 0.0))],
        );
    }
    out.finish()
}

/// `/Rotate` as clockwise quarter turns 0–3; a value that is not a multiple of 90 (not
/// allowed by the PDF spec) is rounded to the nearest and logged.
fn quarter_turns(rotate: i64, label: usize, page: usize) -> u8 {
    let deg = rotate.rem_euclid(360);
    if deg % 90 != 0 {
        tracing::warn!(label, page, rotate, "/Rotate not a multiple of 90, rounded");
    }
    (((deg + 45) / 90) % 4) as u8
}

/// The label's placement data for a form with box `bbox` turned clockwise by `turns`.
fn place(form: ObjectId, bbox: [f32; 4], turns: u8) -> Placed {
    let [x0, y0, x1, y1] = bbox;
    let (w, h) = (x1 - x0, y1 - y0);
    // Rotation part (a b c d e f) on coordinates already moved to the box origin: the
    // page as a viewer shows it after turning it clockwise.
    let (r, width, height) = match turns {
        1 => ([0.0, -1.0, 1.0, 0.0, 0.0, w], h, w),
        2 => ([-1.0, 0.0, 0.0, -1.0, w, h], w, h),
        3 => ([0.0, 1.0, -1.0, 0.0, h, 0.0], h, w),
        _ => ([1.0, 0.0, 0.0, 1.0, 0.0, 0.0], w, h),
    };
    let [a, b, c, d, e, f] = r;
    // Then fold the move of (x0, y0) to the origin into the translation.
    let unit = [a, b, c, d, e - a * x0 - c * y0, f - b * x0 - d * y0];
    Placed {
        form,
        width,
        height,
        unit,
    }
}

/// A number as PDF content writes it (no exponent, trailing zeros trimmed).
fn num(v: f32) -> String {
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" || s.is_empty() {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// Follows a reference (a few levels) to the object it names; `Null` when dangling.
fn deref<'a>(doc: &'a Document, obj: &'a Object) -> &'a Object {
    doc.dereference(obj)
        .map(|(_, o)| o)
        .unwrap_or(&Object::Null)
}

/// A page attribute, from the page or the nearest ancestor in the page tree that has it.
fn inherited<'a>(doc: &'a Document, page: &'a Dictionary, key: &[u8]) -> Option<&'a Object> {
    let mut node = page;
    for _ in 0..MAX_TREE_DEPTH {
        if let Ok(v) = node.get(key) {
            return Some(v);
        }
        let parent = node.get(b"Parent").ok()?;
        node = deref(doc, parent).as_dict().ok()?;
    }
    None
}

/// A rectangle `[x0 y0 x1 y1]` with the corners ordered; `None` when it is not four
/// numbers or has no area.
fn rect(doc: &Document, obj: &Object) -> Option<[f32; 4]> {
    let arr = deref(doc, obj).as_array().ok()?;
    let mut v = [0.0f32; 4];
    if arr.len() != 4 {
        return None;
    }
    for (slot, o) in v.iter_mut().zip(arr) {
        *slot = deref(doc, o).as_float().ok()?;
    }
    let r = [
        v[0].min(v[2]),
        v[1].min(v[3]),
        v[0].max(v[2]),
        v[1].max(v[3]),
    ];
    (r.iter().all(|x| x.is_finite()) && r[2] - r[0] > 0.0 && r[3] - r[1] > 0.0).then_some(r)
}

/// The part of `a` inside `b`, if it has an area.
fn intersect(a: [f32; 4], b: [f32; 4]) -> Option<[f32; 4]> {
    let r = [
        a[0].max(b[0]),
        a[1].max(b[1]),
        a[2].min(b[2]),
        a[3].min(b[3]),
    ];
    (r[2] > r[0] && r[3] > r[1]).then_some(r)
}

/// A form's stream filter entries (`/Filter`, `/DecodeParms`) and its stream bytes.
type FormContent = (Vec<(&'static str, Object)>, Vec<u8>);

/// The page's content for a Form XObject: a single stream is taken as it is stored
/// (with its `/Filter` and `/DecodeParms`, not re-encoded); several streams are decoded
/// and joined with newlines.
fn page_content(src: &Document, page_id: ObjectId) -> Result<FormContent, lopdf::Error> {
    let ids = src.get_page_contents(page_id);
    if let [id] = ids.as_slice() {
        let stream = src.get_object(*id)?.as_stream()?;
        let mut filters = Vec::new();
        for key in ["Filter", "DecodeParms"] {
            if let Ok(v) = stream.dict.get(key.as_bytes()) {
                filters.push((key, v.clone()));
            }
        }
        if !filters.is_empty() {
            // Check it decodes (and is not a bomb) before trusting it to the printer.
            stream.decompressed_content_with_limit(MAX_PAGE_CONTENT)?;
        }
        return Ok((filters, stream.content.clone()));
    }
    let mut content = src.get_page_content_with_limit(page_id, MAX_PAGE_CONTENT)?;
    content.insert(0, b'\n');
    Ok((Vec::new(), content))
}

/// Copies objects of one source document into the output, renumbered. Ids already
/// copied are reused, so resources shared by several pages of one label are copied once;
/// a stream without references identical to one already in the output (a font, a logo)
/// is not copied again. Page and page-tree objects are never followed (a reference to
/// them becomes `null`), so a stray `/P` or `/Parent` does not pull in the whole source
/// document.
struct Copier<'s> {
    src: &'s Document,
    map: HashMap<ObjectId, ObjectId>,
    queue: VecDeque<(ObjectId, ObjectId)>,
}

impl<'s> Copier<'s> {
    fn new(src: &'s Document) -> Copier<'s> {
        Copier {
            src,
            map: HashMap::new(),
            queue: VecDeque::new(),
        }
    }

    /// Copies `root` with every object it references (transitively) into `out`.
    fn copy(
        &mut self,
        root: &Object,
        out: &mut Document,
        shared: &mut HashMap<[u8; 32], ObjectId>,
    ) -> Object {
        let copied = self.rewrite(root, out, shared);
        while let Some((old, new)) = self.queue.pop_front() {
            let obj = match self.src.get_object(old) {
                Ok(o) => self.rewrite(o, out, shared),
                Err(_) => Object::Null,
            };
            out.objects.insert(new, obj);
        }
        copied
    }

    /// `obj` with its references renumbered into `out`; newly seen references are queued.
    fn rewrite(
        &mut self,
        obj: &Object,
        out: &mut Document,
        shared: &mut HashMap<[u8; 32], ObjectId>,
    ) -> Object {
        match obj {
            Object::Reference(id) => {
                if let Some(new) = self.map.get(id) {
                    return Object::Reference(*new);
                }
                let target = self.src.get_object(*id).ok();
                if target.is_some_and(is_page_node) {
                    return Object::Null;
                }
                let digest = match target {
                    Some(Object::Stream(st)) if !st.dict.iter().any(|(_, v)| has_refs(v)) => {
                        let d = stream_digest(st);
                        if let Some(existing) = shared.get(&d) {
                            self.map.insert(*id, *existing);
                            return Object::Reference(*existing);
                        }
                        Some(d)
                    }
                    _ => None,
                };
                let new = out.new_object_id();
                if let Some(d) = digest {
                    shared.insert(d, new);
                }
                self.map.insert(*id, new);
                self.queue.push_back((*id, new));
                Object::Reference(new)
            }
            Object::Array(items) => {
                Object::Array(items.iter().map(|o| self.rewrite(o, out, shared)).collect())
            }
            Object::Dictionary(d) => Object::Dictionary(self.rewrite_dict(d, out, shared)),
            Object::Stream(st) => {
                let mut copy = st.clone();
                copy.dict = self.rewrite_dict(&st.dict, out, shared);
                Object::Stream(copy)
            }
            other => other.clone(),
        }
    }

    fn rewrite_dict(
        &mut self,
        d: &Dictionary,
        out: &mut Document,
        shared: &mut HashMap<[u8; 32], ObjectId>,
    ) -> Dictionary {
        let mut copy = Dictionary::new();
        for (k, v) in d.iter() {
            copy.set(k.clone(), self.rewrite(v, out, shared));
        }
        copy
    }
}

/// Whether a (direct) object contains any reference.
fn has_refs(obj: &Object) -> bool {
    match obj {
        Object::Reference(_) => true,
        Object::Array(items) => items.iter().any(has_refs),
        Object::Dictionary(d) => d.iter().any(|(_, v)| has_refs(v)),
        Object::Stream(st) => st.dict.iter().any(|(_, v)| has_refs(v)),
        _ => false,
    }
}

/// SHA-256 of a stream's dictionary (as lopdf prints it) and its stored bytes.
fn stream_digest(st: &Stream) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(format!("{:?}", st.dict).as_bytes());
    h.update([0]);
    h.update(&st.content);
    h.finalize().into()
}

/// Whether `obj` is a page or a page-tree node.
fn is_page_node(obj: &Object) -> bool {
    obj.as_dict()
        .and_then(|d| d.get(b"Type"))
        .and_then(Object::as_name)
        .is_ok_and(|t| t == b"Page" || t == b"Pages")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(m: [f32; 6], x: f32, y: f32) -> (f32, f32) {
        (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])
    }

    #[test]
    fn rotation_maps_the_box_onto_the_displayed_label() {
        // A 100 × 200 box starting at (10, 20); its top-left corner after each turn.
        let bbox = [10.0, 20.0, 110.0, 220.0];
        let top_left = (10.0, 220.0);
        let expect = [
            ((100.0, 200.0), (0.0, 200.0)),
            ((200.0, 100.0), (200.0, 100.0)),
            ((100.0, 200.0), (100.0, 0.0)),
            ((200.0, 100.0), (0.0, 0.0)),
        ];
        for (turns, ((w, h), corner)) in expect.into_iter().enumerate() {
            let p = place((1, 0), bbox, turns as u8);
            assert_eq!((p.width, p.height), (w, h), "turns {turns}");
            assert_eq!(
                apply(p.unit, top_left.0, top_left.1),
                corner,
                "turns {turns}"
            );
            // The whole box lands inside [0, w] × [0, h].
            for (x, y) in [(10.0, 20.0), (110.0, 20.0), (10.0, 220.0), (110.0, 220.0)] {
                let (u, v) = apply(p.unit, x, y);
                assert!(
                    (0.0..=w).contains(&u) && (0.0..=h).contains(&v),
                    "{turns}: {u},{v}"
                );
            }
        }
    }

    #[test]
    fn a_landscape_label_turned_counter_clockwise_stays_in_its_box() {
        // A 150 × 100 label: its top-left corner goes to the bottom-left.
        let p = place((1, 0), [0.0, 0.0, 150.0, 100.0], 0).turned_ccw();
        assert_eq!((p.width, p.height), (100.0, 150.0));
        assert_eq!(apply(p.unit, 0.0, 100.0), (0.0, 0.0));
        assert_eq!(apply(p.unit, 150.0, 100.0), (0.0, 150.0));
        assert_eq!(apply(p.unit, 150.0, 0.0), (100.0, 150.0));
        // Composed with /Rotate 90 it is upright again.
        let q = place((1, 0), [0.0, 0.0, 100.0, 150.0], 1).turned_ccw();
        assert_eq!(q.unit, [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);
    }

    #[test]
    fn rotate_values_are_normalised() {
        assert_eq!(quarter_turns(0, 1, 1), 0);
        assert_eq!(quarter_turns(90, 1, 1), 1);
        assert_eq!(quarter_turns(-90, 1, 1), 3);
        assert_eq!(quarter_turns(450, 1, 1), 1);
        assert_eq!(quarter_turns(180, 1, 1), 2);
        assert_eq!(quarter_turns(100, 1, 1), 1);
    }

    #[test]
    fn quarters_are_in_reading_order() {
        let (w, h) = a4_pt();
        assert_eq!(quarter_origin(1), (0.0, h / 2.0));
        assert_eq!(quarter_origin(2), (w / 2.0, h / 2.0));
        assert_eq!(quarter_origin(3), (0.0, 0.0));
        assert_eq!(quarter_origin(4), (w / 2.0, 0.0));
    }

    #[test]
    fn bad_input_is_refused_with_its_position() {
        assert!(matches!(
            impose_a4x4(&[], 5),
            Err(DocError::Quarter { given: 5 })
        ));
        assert!(matches!(impose_a4x4(&[], 1), Err(DocError::NoLabels)));
        let e = impose_a4x4(&[b"%PDF-1.4 garbage".to_vec()], 1).unwrap_err();
        assert!(matches!(e, DocError::Label { label: 1, .. }), "{e}");
        let e = concat_roll(&[b"^XA^FDx^FS^XZ".to_vec()]).unwrap_err();
        assert!(e.to_string().contains("ZPL"), "{e}");
    }

    #[test]
    fn numbers_have_no_exponent() {
        assert_eq!(num(1.0), "1");
        assert_eq!(num(-0.00001), "0");
        assert_eq!(num(0.97412), "0.9741");
        assert_eq!(num(420.945), "420.945");
    }
}
