//! Carrier labels on paper, end to end: own labels (one turned with `/Rotate 90`, one with
//! its MediaBox and Resources inherited from the page tree, one cropped out of a bigger
//! page) imposed 4-up on A4 and laid on a roll; every sheet rendered with `pdftoppm`, each
//! quarter cropped and decoded with `zbarimg` so each tracking barcode must be found in
//! its own quarter; `pdftotext` finds the names with their diacritics; `qpdf --check`
//! (when installed) accepts the output. Needs the apt packages `poppler-utils` and
//! `zbar-tools` (and `qpdf` for the structural check).

use std::path::{Path, PathBuf};
use std::process::Command;

use lopdf::{Document, Object, dictionary};
use packdesk::docs::{DocError, LabelData, concat_roll, impose_a4x4, own_label_pdf, own_label_zpl};
use packdesk::domain::{Address, Money};

/// Render resolution; a quarter of A4 is 413 × 584 px at 100 dpi.
const DPI: u32 = 100;

fn run(tool: &str, package: &str, args: &[&str]) -> std::process::Output {
    match Command::new(tool).args(args).output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            panic!("`{tool}` not found: install it with `apt-get install -y {package}`")
        }
        Err(e) => panic!("cannot run `{tool}`: {e}"),
    }
}

fn label(i: usize) -> LabelData {
    let names = [
        "Řehoř Žďárský",
        "Łucja Wądołowska",
        "Věra Čížková",
        "Zbigniew Ślęzak",
        "Ondřej Kůň",
        "Grażyna Żółć",
    ];
    LabelData {
        order_number: format!("2026-{i:04}"),
        parcel_no: 1,
        parcel_count: 1,
        tracking_number: format!("TRK{i:03}X{}", 7000 + i),
        carrier: "PPL".to_string(),
        service: "Parcel CZ Private".to_string(),
        sender: "Sklad Brno".to_string(),
        recipient: Address {
            name: names[i % names.len()].to_string(),
            company: String::new(),
            street: "Dlouhá 12".to_string(),
            city: "Brno".to_string(),
            zip: "602 00".to_string(),
            country: "CZ".to_string(),
            phone: String::new(),
            email: String::new(),
        },
        pickup_point: None,
        cod: i.is_multiple_of(2).then(|| Money::new(129_000, "CZK")),
        weight_kg: Some(1.0),
    }
}

/// Sets `/Rotate` on the first page.
fn rotated(pdf: &[u8], degrees: i64) -> Vec<u8> {
    let mut doc = Document::load_mem(pdf).unwrap();
    let page = doc.page_iter().next().unwrap();
    doc.get_dictionary_mut(page).unwrap().set("Rotate", degrees);
    save(&mut doc)
}

/// Redraws the portrait label on a landscape page turned a quarter counter-clockwise and
/// sets `/Rotate 90`, so a viewer shows it upright portrait again: how many carriers
/// write 4×6 labels. Ignoring `/Rotate` shows it sideways.
fn landscape_with_rotate(pdf: &[u8]) -> Vec<u8> {
    let mut doc = Document::load_mem(pdf).unwrap();
    let page = doc.page_iter().next().unwrap();
    let content = doc.get_page_content(page);
    let dict = doc.get_dictionary(page).unwrap();
    let media: Vec<f32> = dict
        .get(b"MediaBox")
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_float().unwrap())
        .collect();
    let (w, h) = (media[2], media[3]);
    let mut wrapped = format!("q 0 1 -1 0 {h} 0 cm\n").into_bytes();
    wrapped.extend_from_slice(&content);
    wrapped.extend_from_slice(b"\nQ\n");
    let stream = doc.add_object(lopdf::Stream::new(lopdf::Dictionary::new(), wrapped));
    let dict = doc.get_dictionary_mut(page).unwrap();
    dict.set("Contents", stream);
    dict.set(
        "MediaBox",
        vec![0.into(), 0.into(), Object::Real(h), Object::Real(w)],
    );
    dict.set("Rotate", 90);
    // printpdf also writes portrait CropBox and TrimBox; the page is landscape now.
    dict.remove(b"CropBox");
    dict.remove(b"TrimBox");
    save(&mut doc)
}

/// Moves the first page's MediaBox and Resources up to its parent Pages node (as some
/// label generators write them).
fn inherited(pdf: &[u8]) -> Vec<u8> {
    let mut doc = Document::load_mem(pdf).unwrap();
    let page = doc.page_iter().next().unwrap();
    let dict = doc.get_dictionary_mut(page).unwrap();
    let media = dict.remove(b"MediaBox").unwrap();
    let res = dict.remove(b"Resources").unwrap();
    // printpdf writes a CropBox equal to the MediaBox: drop it so the inherited
    // MediaBox is what bounds the label.
    dict.remove(b"CropBox").unwrap();
    let parent = dict.get(b"Parent").unwrap().as_reference().unwrap();
    let pages = doc.get_dictionary_mut(parent).unwrap();
    pages.set("MediaBox", media);
    pages.set("Resources", res);
    save(&mut doc)
}

/// Puts the label on a bigger page (A4-like MediaBox, label in its lower-left corner) with
/// a CropBox around the label, as carriers that print "A4 with one label" do.
fn cropped(pdf: &[u8]) -> Vec<u8> {
    let mut doc = Document::load_mem(pdf).unwrap();
    let page = doc.page_iter().next().unwrap();
    let dict = doc.get_dictionary_mut(page).unwrap();
    let media = dict.get(b"MediaBox").unwrap().as_array().unwrap().clone();
    dict.set(
        "MediaBox",
        vec![0.into(), Object::Real(-200.0), 595.into(), 842.into()],
    );
    dict.set("CropBox", media);
    save(&mut doc)
}

fn save(doc: &mut Document) -> Vec<u8> {
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

struct Pdf {
    dir: tempfile::TempDir,
    path: PathBuf,
}

fn write(bytes: &[u8]) -> Pdf {
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.pdf");
    std::fs::write(&path, bytes).unwrap();
    if let Ok(keep) = std::env::var("PACKDESK_KEEP_PDF") {
        let _ = std::fs::copy(&path, Path::new(&keep));
    }
    Pdf { dir, path }
}

fn page_count(pdf: &Pdf) -> usize {
    let out = run("pdfinfo", "poppler-utils", &[pdf.path.to_str().unwrap()]);
    let info = String::from_utf8_lossy(&out.stdout).into_owned();
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no page count in {info}"))
}

/// Page sizes in mm, from `pdfinfo -l`.
fn page_sizes_mm(pdf: &Pdf) -> Vec<(f64, f64)> {
    let out = run(
        "pdfinfo",
        "poppler-utils",
        &["-f", "1", "-l", "999", pdf.path.to_str().unwrap()],
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with("Page") && l.contains("size:"))
        .map(|l| {
            let nums: Vec<f64> = l
                .split_whitespace()
                .filter_map(|w| w.parse().ok())
                .collect();
            // "Page    1 size: 283.465 x 425.197 pts"
            (nums[1] * 25.4 / 72.0, nums[2] * 25.4 / 72.0)
        })
        .collect()
}

/// The barcodes zbarimg decodes in a PNG.
fn zbar(png: &Path) -> Vec<String> {
    let out = run(
        "zbarimg",
        "zbar-tools",
        &["--raw", "-q", png.to_str().unwrap()],
    );
    assert!(
        matches!(out.status.code(), Some(0 | 4)),
        "zbarimg failed on {}: {}",
        png.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut codes: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .filter(|l| !l.is_empty())
        .collect();
    codes.sort();
    codes
}

/// The barcodes in quarter `q` (1 top left … 4 bottom right) of A4 page `page`, cropped
/// by pdftoppm.
fn quarter_codes(pdf: &Pdf, page: usize, q: u8) -> Vec<String> {
    let w = (210.0 / 25.4 * f64::from(DPI)).round() as u32;
    let h = (297.0 / 25.4 * f64::from(DPI)).round() as u32;
    let (qw, qh) = (w / 2, h / 2);
    let x = if q.is_multiple_of(2) { w - qw } else { 0 };
    let y = if q <= 2 { 0 } else { h - qh };
    let prefix = pdf.dir.path().join(format!("p{page}q{q}"));
    let page_s = page.to_string();
    let dpi = DPI.to_string();
    let args = [
        "-r",
        &dpi,
        "-png",
        "-singlefile",
        "-f",
        &page_s,
        "-l",
        &page_s,
        "-x",
        &x.to_string(),
        "-y",
        &y.to_string(),
        "-W",
        &qw.to_string(),
        "-H",
        &qh.to_string(),
        pdf.path.to_str().unwrap(),
        prefix.to_str().unwrap(),
    ]
    .map(|s| s.to_string());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run("pdftoppm", "poppler-utils", &args);
    assert!(
        out.status.success(),
        "pdftoppm failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    zbar(&prefix.with_extension("png"))
}

/// zbar's orientation of the symbol(s) in quarter `q` of page `page` (`UP`, `RIGHT` …).
fn quarter_orientations(pdf: &Pdf, page: usize, q: u8) -> Vec<String> {
    quarter_codes(pdf, page, q);
    let png = pdf.dir.path().join(format!("p{page}q{q}.png"));
    let out = run(
        "zbarimg",
        "zbar-tools",
        &["--xml", "-q", png.to_str().unwrap()],
    );
    String::from_utf8_lossy(&out.stdout)
        .split("orientation='")
        .skip(1)
        .filter_map(|s| s.split('\'').next())
        .map(str::to_string)
        .collect()
}

fn text_of(pdf: &Pdf) -> String {
    let out = run(
        "pdftotext",
        "poppler-utils",
        &["-layout", pdf.path.to_str().unwrap(), "-"],
    );
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

/// `qpdf --check` when qpdf is installed; a printed note otherwise.
fn qpdf_check(pdf: &Pdf) {
    match Command::new("qpdf")
        .args(["--check", pdf.path.to_str().unwrap()])
        .output()
    {
        Ok(out) => assert!(
            out.status.success(),
            "qpdf --check failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(_) => {
            println!("note: qpdf not installed (apt-get install -y qpdf), structure not checked")
        }
    }
}

/// Five labels: plain; landscape content shown upright with `/Rotate 90`; inherited
/// MediaBox/Resources; cropped out of a bigger page; upside down with `/Rotate 180`.
fn five_labels() -> (Vec<LabelData>, Vec<Vec<u8>>) {
    let data: Vec<LabelData> = (0..5).map(label).collect();
    let pdfs: Vec<Vec<u8>> = data
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let pdf = own_label_pdf(d).unwrap();
            match i {
                1 => landscape_with_rotate(&pdf),
                2 => inherited(&pdf),
                3 => cropped(&pdf),
                4 => rotated(&pdf, 180),
                _ => pdf,
            }
        })
        .collect();
    (data, pdfs)
}

#[test]
fn four_up_from_quarter_1_puts_each_label_in_its_quarter() {
    let (data, pdfs) = five_labels();
    let (bytes, next) = impose_a4x4(&pdfs, 1).unwrap();
    assert_eq!(
        next, 2,
        "five labels from quarter 1 end before quarter 2 of sheet 2"
    );
    let pdf = write(&bytes);
    assert_eq!(page_count(&pdf), 2);
    for (mm_w, mm_h) in page_sizes_mm(&pdf) {
        assert!(
            (mm_w - 210.0).abs() < 0.5 && (mm_h - 297.0).abs() < 0.5,
            "{mm_w}×{mm_h}"
        );
    }
    let expected = [(1, 1, 0), (1, 2, 1), (1, 3, 2), (1, 4, 3), (2, 1, 4)];
    for (page, q, i) in expected {
        assert_eq!(
            quarter_codes(&pdf, page, q),
            vec![data[i].tracking_number.clone()],
            "page {page} quarter {q} should hold label {}",
            i + 1
        );
    }
    for q in 2..=4 {
        assert!(
            quarter_codes(&pdf, 2, q).is_empty(),
            "page 2 quarter {q} is empty"
        );
    }
    // The landscape page with /Rotate 90 is upright like the plain ones; the /Rotate 180
    // one is upside down, as a viewer shows it.
    for q in 1..=4 {
        assert_eq!(
            quarter_orientations(&pdf, 1, q),
            vec!["UP".to_string()],
            "quarter {q}"
        );
    }
    assert_eq!(quarter_orientations(&pdf, 2, 1), vec!["DOWN".to_string()]);
    let text = text_of(&pdf);
    for d in &data {
        assert!(
            text.contains(&d.recipient.name),
            "{} missing in:\n{text}",
            d.recipient.name
        );
    }
    assert!(text.contains("DOBÍRKA"));
    qpdf_check(&pdf);
}

#[test]
fn four_up_from_quarter_3_fills_the_half_used_sheet_first() {
    let (data, pdfs) = five_labels();
    let (bytes, next) = impose_a4x4(&pdfs[..3], 3).unwrap();
    assert_eq!(next, 2);
    let pdf = write(&bytes);
    assert_eq!(page_count(&pdf), 2);
    assert!(
        quarter_codes(&pdf, 1, 1).is_empty(),
        "quarter 1 was used before"
    );
    assert!(
        quarter_codes(&pdf, 1, 2).is_empty(),
        "quarter 2 was used before"
    );
    assert_eq!(
        quarter_codes(&pdf, 1, 3),
        vec![data[0].tracking_number.clone()]
    );
    assert_eq!(
        quarter_codes(&pdf, 1, 4),
        vec![data[1].tracking_number.clone()]
    );
    assert_eq!(
        quarter_codes(&pdf, 2, 1),
        vec![data[2].tracking_number.clone()]
    );
    qpdf_check(&pdf);

    // A full sheet from quarter 3 ends exactly on a sheet boundary: next is 1.
    let (_, next) = impose_a4x4(&pdfs[..2], 3).unwrap();
    assert_eq!(next, 1);
}

#[test]
fn a_label_shown_landscape_is_turned_to_fill_its_quarter() {
    // Portrait content with /Rotate 90 is shown landscape (150 × 100 mm); on the sheet it
    // is turned back a quarter so it is as big as the others, and decodes at 100 dpi.
    let d = label(11);
    let pdfs = vec![rotated(&own_label_pdf(&d).unwrap(), 90)];
    let pdf = write(&impose_a4x4(&pdfs, 4).unwrap().0);
    assert_eq!(quarter_codes(&pdf, 1, 4), vec![d.tracking_number.clone()]);
    assert_eq!(quarter_orientations(&pdf, 1, 4), vec!["UP".to_string()]);
}

#[test]
fn roll_keeps_each_label_at_its_own_size_as_shown() {
    let (mut data, mut pdfs) = five_labels();
    data.push(label(5));
    pdfs.push(rotated(&own_label_pdf(&data[5]).unwrap(), 90));
    let pdf = write(&concat_roll(&pdfs).unwrap());
    let sizes = page_sizes_mm(&pdf);
    assert_eq!(sizes.len(), 6);
    for (i, (w, h)) in sizes.iter().enumerate() {
        // The portrait label with /Rotate 90 is shown (and so laid out) landscape; the
        // landscape one with /Rotate 90 is portrait; the cropped one has the size of its
        // CropBox, not of its A4 MediaBox.
        let (ew, eh) = if i == 5 {
            (150.0, 100.0)
        } else {
            (100.0, 150.0)
        };
        assert!(
            (w - ew).abs() < 0.5 && (h - eh).abs() < 0.5,
            "label {} is {w:.1}×{h:.1} mm",
            i + 1
        );
    }
    let prefix = pdf.dir.path().join("roll");
    let dpi = (DPI * 2).to_string();
    let out = run(
        "pdftoppm",
        "poppler-utils",
        &[
            "-r",
            &dpi,
            "-png",
            pdf.path.to_str().unwrap(),
            prefix.to_str().unwrap(),
        ],
    );
    assert!(out.status.success());
    for (i, d) in data.iter().enumerate() {
        let png = pdf.dir.path().join(format!("roll-{}.png", i + 1));
        assert_eq!(
            zbar(&png),
            vec![d.tracking_number.clone()],
            "roll page {}",
            i + 1
        );
    }
    let text = text_of(&pdf);
    assert!(text.contains("Łucja Wądołowska") && text.contains("Zbigniew Ślęzak"));
    qpdf_check(&pdf);
}

#[test]
fn multi_page_labels_take_one_quarter_per_page() {
    // A two-page carrier PDF (two parcels) made by merging two labels with lopdf.
    let a = own_label_pdf(&label(7)).unwrap();
    let b = own_label_pdf(&label(8)).unwrap();
    let mut doc = Document::load_mem(&a).unwrap();
    let mut other = Document::load_mem(&b).unwrap();
    other.renumber_objects_with(doc.max_id + 1);
    let other_page = other.page_iter().next().unwrap();
    let pages_id = doc
        .catalog()
        .unwrap()
        .get(b"Pages")
        .unwrap()
        .as_reference()
        .unwrap();
    doc.max_id = other.max_id;
    doc.objects.extend(std::mem::take(&mut other.objects));
    doc.get_dictionary_mut(other_page)
        .unwrap()
        .set("Parent", pages_id);
    let pages = doc.get_dictionary_mut(pages_id).unwrap();
    let mut kids = pages.get(b"Kids").unwrap().as_array().unwrap().clone();
    kids.push(other_page.into());
    pages.set("Kids", kids);
    pages.set("Count", 2);
    let two = save(&mut doc);

    let (bytes, next) = impose_a4x4(&[two, own_label_pdf(&label(9)).unwrap()], 2).unwrap();
    assert_eq!(next, 1);
    let pdf = write(&bytes);
    assert_eq!(page_count(&pdf), 1);
    assert!(quarter_codes(&pdf, 1, 1).is_empty());
    assert_eq!(quarter_codes(&pdf, 1, 2), vec![label(7).tracking_number]);
    assert_eq!(quarter_codes(&pdf, 1, 3), vec![label(8).tracking_number]);
    assert_eq!(quarter_codes(&pdf, 1, 4), vec![label(9).tracking_number]);
}

#[test]
fn unusable_labels_are_named_by_position() {
    let good = own_label_pdf(&label(1)).unwrap();
    let e = impose_a4x4(&[good.clone(), b"<html>error</html>".to_vec()], 1).unwrap_err();
    assert!(matches!(e, DocError::Label { label: 2, .. }), "{e}");
    let e = concat_roll(&[good, b"^XA^FDx^FS^XZ".to_vec()]).unwrap_err();
    assert!(matches!(e, DocError::Label { label: 2, .. }), "{e}");
    assert!(e.to_string().contains("ZPL"));
    // A PDF without pages.
    let mut empty = lopdf::Document::with_version("1.5");
    let pages = empty.add_object(dictionary! { "Type" => "Pages", "Kids" => vec![], "Count" => 0 });
    let cat = empty.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages });
    empty.trailer.set("Root", cat);
    let e = impose_a4x4(&[save(&mut empty)], 1).unwrap_err();
    assert!(e.to_string().contains("no pages"), "{e}");
}

#[test]
fn own_label_zpl_is_utf8_with_the_tracking_barcode() {
    let d = label(1);
    let zpl = own_label_zpl(&d).unwrap();
    assert!(zpl.starts_with("^XA"));
    assert!(zpl.contains("^CI28"));
    assert!(zpl.contains(&format!("^FD{}^FS", d.tracking_number)));
    assert!(zpl.contains("^BC"));
    assert!(zpl.contains(&d.recipient.name), "Polish name as UTF-8");
    assert!(zpl.trim_end().ends_with("^XZ"));
}

/// `packdesk doc labels|slip` against a store: labels from `label_path` files and from
/// the label store, 4-up from a given quarter and then from the remembered one.
#[test]
fn doc_cli_imposes_stored_labels_and_remembers_the_next_quarter() {
    use packdesk::docs::{LabelStore, next_free_quarter};
    use packdesk::domain::{Shipment, ShipmentState};
    use packdesk::store::Store;

    let tmp = tempfile::tempdir().unwrap();
    let data_dir = tmp.path().join("data");
    let orders = packdesk::demo::generate(7, 3, chrono::Utc::now());
    let store = Store::open(&data_dir).unwrap();
    store.import_orders(&orders).unwrap();
    let labels = LabelStore::open(&data_dir).unwrap();
    let ship = |order: usize, parcel: u32, path: Option<String>| Shipment {
        order_key: orders[order].key(),
        parcel_no: parcel,
        parcel_count: 2,
        provider: "ppl".into(),
        state: ShipmentState::Ready,
        package_id: None,
        tracking_number: Some(label(order * 2 + parcel as usize).tracking_number),
        label_path: path,
        weight_kg: 1.0,
        error: None,
        updated_at: chrono::Utc::now(),
        carrier: None,
        generation: 0,
        carrier_status: None,
    };
    // Order 0: parcel 1 as a file, parcel 2 only in the label store.
    let file = tmp.path().join("p1.pdf");
    std::fs::write(&file, own_label_pdf(&label(1)).unwrap()).unwrap();
    store
        .save_shipment(&ship(0, 1, Some(file.display().to_string())))
        .unwrap();
    store.save_shipment(&ship(0, 2, None)).unwrap();
    labels
        .put_for(&orders[0].key(), 2, &own_label_pdf(&label(2)).unwrap())
        .unwrap();
    // Order 1: one label file. Order 2: a ZPL label.
    let file = tmp.path().join("p3.pdf");
    std::fs::write(&file, own_label_pdf(&label(3)).unwrap()).unwrap();
    store
        .save_shipment(&ship(1, 1, Some(file.display().to_string())))
        .unwrap();
    store.save_shipment(&ship(2, 1, None)).unwrap();
    labels
        .put_for(
            &orders[2].key(),
            1,
            own_label_zpl(&label(5)).unwrap().as_bytes(),
        )
        .unwrap();
    drop(store);

    let packdesk = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_packdesk"))
            .args(args)
            .args(["--data-dir", data_dir.to_str().unwrap()])
            .env("HOME", tmp.path())
            .env("XDG_CONFIG_HOME", tmp.path().join("config"))
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let sheet = tmp.path().join("sheet.pdf");
    let list = format!("{},{}", orders[0].number, orders[1].number);
    let (ok, err) = packdesk(&[
        "doc",
        "labels",
        "--orders",
        &list,
        "--layout",
        "a4x4",
        "--start",
        "2",
        "--remember",
        "--out",
        sheet.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let pdf = write(&std::fs::read(&sheet).unwrap());
    assert!(quarter_codes(&pdf, 1, 1).is_empty());
    assert_eq!(quarter_codes(&pdf, 1, 2), vec![label(1).tracking_number]);
    assert_eq!(quarter_codes(&pdf, 1, 3), vec![label(2).tracking_number]);
    assert_eq!(quarter_codes(&pdf, 1, 4), vec![label(3).tracking_number]);
    let store = Store::open(&data_dir).unwrap();
    assert_eq!(next_free_quarter(&store, "bench-1").unwrap(), 1);
    packdesk::docs::set_next_free_quarter(&store, "bench-1", 4).unwrap();
    drop(store);

    // Without --start the station's remembered quarter is used.
    let (ok, err) = packdesk(&[
        "doc",
        "labels",
        "--orders",
        &orders[1].number,
        "--out",
        sheet.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    assert!(err.contains("started at quarter 4"), "{err}");
    let pdf = write(&std::fs::read(&sheet).unwrap());
    assert_eq!(quarter_codes(&pdf, 1, 4), vec![label(3).tracking_number]);

    // A ZPL label cannot go on a sheet: named error, no file.
    let zpl_out = tmp.path().join("zpl.pdf");
    let (ok, err) = packdesk(&[
        "doc",
        "labels",
        "--orders",
        &orders[2].number,
        "--layout",
        "roll",
        "--out",
        zpl_out.to_str().unwrap(),
    ]);
    assert!(
        !ok && err.contains("ZPL") && err.contains(&orders[2].number),
        "{err}"
    );
    assert!(!zpl_out.exists());

    // The packing slip of a stored order.
    let slip = tmp.path().join("slip.pdf");
    let (ok, err) = packdesk(&[
        "doc",
        "slip",
        "--order",
        &orders[0].number,
        "--out",
        slip.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let text = text_of(&write(&std::fs::read(&slip).unwrap()));
    assert!(text.contains(&orders[0].number), "{text}");
    assert!(text.contains(&orders[0].lines[0].sku), "{text}");
    let (ok, err) = packdesk(&["doc", "slip", "--order", "NO-SUCH", "--out", "/dev/null"]);
    assert!(!ok && err.contains("no order NO-SUCH"), "{err}");
}

#[test]
fn identical_fonts_and_images_of_several_labels_are_stored_once() {
    let one = own_label_pdf(&label(1)).unwrap();
    let (single, _) = impose_a4x4(std::slice::from_ref(&one), 1).unwrap();
    let (double, _) = impose_a4x4(&[one.clone(), one], 1).unwrap();
    assert!(
        double.len() < single.len() * 12 / 10,
        "two identical labels take {} bytes, one {}",
        double.len(),
        single.len()
    );
    let pdf = write(&double);
    assert_eq!(quarter_codes(&pdf, 1, 1), vec![label(1).tracking_number]);
    assert_eq!(quarter_codes(&pdf, 1, 2), vec![label(1).tracking_number]);
    let text = text_of(&pdf);
    assert_eq!(text.matches(&label(1).recipient.name).count(), 2, "{text}");
    qpdf_check(&pdf);
}
