//! The scan assembler from the outside: keys in, scans out.

use packdesk::app::action::Action;
use packdesk::scan::{
    Assembled, Assembler, Command, KeyIn, Layout, RejectReason, Scan, ScanConfig, ScanKind,
    Terminator,
};

/// Every printable ASCII character, in order: what a US-programmed scanner means.
fn us_ascii() -> String {
    (' '..='~').collect()
}

/// What each layout types for `us_ascii()`, character by character. Generated from the XKB
/// symbol files (xkeyboard-config: `us`, `cz`, `sk`, `de` "basic", levels 1–2) by a script
/// independent of the tables in `src/scan/layout.rs`; dead keys as their spacing form.
const CS_TYPED: &str = " 1!3457§908ˇ,=.-é+ěščřžýáí\"ů?´:_2ABCDEFGHIJKLMNOPQRSTUVWXZYú¨)6%;abcdefghijklmnopqrstuvwxzy/'(°";
const SK_TYPED: &str = " 1!3457§908ˇ,=.-é+ľščťžýáí\"ô?´:_2ABCDEFGHIJKLMNOPQRSTUVWXZYúňä6%;abcdefghijklmnopqrstuvwxzy/)(°";
const DE_TYPED: &str = " !Ä§$%/ä)=(`,ß.-0123456789Öö;´:_\"ABCDEFGHIJKLMNOPQRSTUVWXZYü#+&?^abcdefghijklmnopqrstuvwxzyÜ'*°";

fn typed_by(layout: Layout) -> String {
    match layout {
        Layout::Us => us_ascii(),
        Layout::Cs => CS_TYPED.to_string(),
        Layout::Sk => SK_TYPED.to_string(),
        Layout::De => DE_TYPED.to_string(),
    }
}

/// Types `s` key by key (`gap` ms apart) and ends it with `end`.
fn type_keys(asm: &mut Assembler, s: &str, t0: u64, gap: u64, end: KeyIn) -> Option<Assembled> {
    let mut t = t0;
    for c in s.chars() {
        let k = if c == '\u{1d}' {
            KeyIn::Gs
        } else {
            KeyIn::Char(c)
        };
        assert_eq!(asm.key(k, t), None, "key {c:?} completed something");
        t += gap;
    }
    asm.key(end, t)
}

/// What `layout` types when a US-programmed scanner sends `us` (from the XKB strings).
fn typed_on(layout: Layout, us: &str) -> String {
    let typed: Vec<char> = typed_by(layout).chars().collect();
    us.chars()
        .map(|c| {
            let i = (c as usize).checked_sub(0x20);
            i.and_then(|i| typed.get(i)).copied().unwrap_or(c)
        })
        .collect()
}

fn scan_of(a: Option<Assembled>) -> Scan {
    match a {
        Some(Assembled::Scan(s)) => s,
        other => panic!("expected a scan, got {other:?}"),
    }
}

fn cfg(f: impl FnOnce(&mut ScanConfig)) -> ScanConfig {
    let mut c = ScanConfig::default();
    f(&mut c);
    c
}

#[test]
fn every_printable_ascii_maps_back_on_every_layout() {
    let us: Vec<char> = us_ascii().chars().collect();
    for layout in Layout::ALL {
        let typed: Vec<char> = typed_by(layout).chars().collect();
        assert_eq!(typed.len(), 95, "{layout}");
        for (u, t) in us.iter().zip(&typed) {
            assert_eq!(layout.unmap_char(*t), *u, "{layout}: `{t}` should be `{u}`");
        }
        assert_eq!(layout.unmap(&typed_by(layout)), us_ascii(), "{layout}");
    }
}

#[test]
fn every_printable_ascii_through_the_assembler() {
    // Space and `]` at the start would be trimmed / read as a symbology id, so lead with X.
    for layout in Layout::ALL {
        let mut asm = Assembler::new(cfg(|c| c.layout = layout));
        let typed = format!("X{}", typed_by(layout));
        let s = scan_of(type_keys(&mut asm, &typed, 0, 2, KeyIn::Enter));
        assert_eq!(s.code, format!("X{}", us_ascii()), "{layout}");
        assert_eq!(s.raw, typed, "{layout}: raw is what was typed");
        assert_eq!(s.kind, ScanKind::Other);
    }
}

#[test]
fn czech_station_number_row() {
    let mut asm = Assembler::new(cfg(|c| c.layout = Layout::Cs));
    let s = scan_of(type_keys(&mut asm, "+ěščřžýáíé", 0, 2, KeyIn::Enter));
    assert_eq!((s.code.as_str(), &s.kind), ("1234567890", &ScanKind::Other));
    let s = scan_of(type_keys(&mut asm, "éé+ěščřžýáíř", 50, 2, KeyIn::Enter));
    assert_eq!(s.code, "001234567895");
    assert_eq!(s.kind, ScanKind::Gtin("00001234567895".into()));
    let s = scan_of(type_keys(&mut asm, "SKU=ZY/+", 200, 2, KeyIn::Enter));
    assert_eq!(s.code, "SKU-YZ{1");
}

#[test]
fn slovak_and_german_differences() {
    let mut sk = Assembler::new(cfg(|c| c.layout = Layout::Sk));
    // Slovak: `2` is ľ and `5` is ť (Czech ě, ř); `]` is ä.
    let s = scan_of(type_keys(&mut sk, "Aľťä", 0, 2, KeyIn::Enter));
    assert_eq!(s.code, "A25]");
    let mut de = Assembler::new(cfg(|c| c.layout = Layout::De));
    let s = scan_of(type_keys(&mut de, "Zeile-7ß#", 0, 2, KeyIn::Enter));
    assert_eq!(s.code, "Yeile/7-\\");
}

#[test]
fn gs1_128_with_gs_key() {
    let mut asm = Assembler::new(ScanConfig::default());
    let s = scan_of(type_keys(
        &mut asm,
        "]C1010400638133393110LOT-7\u{1d}17270131",
        0,
        1,
        KeyIn::Enter,
    ));
    let ScanKind::Gs1(g) = &s.kind else {
        panic!("{s:?}")
    };
    assert_eq!(g.gtin.as_deref(), Some("04006381333931"));
    assert_eq!(g.lot.as_deref(), Some("LOT-7"));
    assert_eq!(g.expiry.as_deref(), Some("270131"));
    assert_eq!(s.code, "010400638133393110LOT-7\u{1d}17270131");
}

#[test]
fn gs1_datamatrix_with_substitute() {
    let mut asm = Assembler::new(cfg(|c| c.gs_substitute = Some('~')));
    let s = scan_of(type_keys(
        &mut asm,
        "]d20100012345678905217788~10B1",
        0,
        1,
        KeyIn::Enter,
    ));
    let ScanKind::Gs1(g) = &s.kind else {
        panic!("{s:?}")
    };
    assert_eq!(g.gtin.as_deref(), Some("00012345678905"));
    assert_eq!(g.serial.as_deref(), Some("7788"));
    assert_eq!(g.lot.as_deref(), Some("B1"));
}

#[test]
fn gs1_substitute_on_czech_station() {
    // The scanner sends `~` (Shift + key left of 1); Czech turns it into the ring `°`.
    let mut asm = Assembler::new(cfg(|c| {
        c.layout = Layout::Cs;
        c.gs_substitute = Some('~');
    }));
    let typed = typed_on(Layout::Cs, "]d20100012345678905211-02~10B1");
    assert_eq!(typed, ")děé+ééé+ěščřžýáíéřě++=éě°+éB+");
    let s = scan_of(type_keys(&mut asm, &typed, 0, 1, KeyIn::Enter));
    let ScanKind::Gs1(g) = &s.kind else {
        panic!("{s:?}")
    };
    assert_eq!(g.gtin.as_deref(), Some("00012345678905"));
    assert_eq!(g.serial.as_deref(), Some("1-02"));
    assert_eq!(g.lot.as_deref(), Some("B1"));
}

#[test]
fn gs1_fixed_length_ais_without_separators() {
    let mut asm = Assembler::new(ScanConfig::default());
    let s = scan_of(type_keys(
        &mut asm,
        "]C1010001234567890517260101310300150011250601",
        0,
        1,
        KeyIn::Enter,
    ));
    let ScanKind::Gs1(g) = &s.kind else {
        panic!("{s:?}")
    };
    assert_eq!(g.gtin.as_deref(), Some("00012345678905"));
    assert_eq!(g.expiry.as_deref(), Some("260101"));
    assert_eq!(
        g.other,
        vec![
            ("3103".to_string(), "001500".to_string()),
            ("11".to_string(), "250601".to_string())
        ]
    );
}

#[test]
fn gs1_bad_gtin_check_digit_names_ai_01() {
    let mut asm = Assembler::new(ScanConfig::default());
    let a = type_keys(&mut asm, "]C10100012345678906", 0, 1, KeyIn::Enter);
    match a {
        Some(Assembled::Rejected {
            raw,
            reason: RejectReason::BadGs1(msg),
        }) => {
            assert_eq!(raw, "]C10100012345678906");
            assert!(msg.contains("AI (01)"), "{msg}");
            assert!(msg.contains("expected 5"), "{msg}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn ean_upc_normalised_to_gtin14() {
    let mut asm = Assembler::new(ScanConfig::default());
    let cases = [
        ("012345678905", "00012345678905"),   // UPC-A
        ("0012345678905", "00012345678905"),  // EAN-13 of the same item
        ("4006381333931", "04006381333931"),  // EAN-13
        ("96385074", "00000096385074"),       // EAN-8
        ("10012345678902", "10012345678902"), // GTIN-14
    ];
    for (i, (code, gtin)) in cases.iter().enumerate() {
        let s = scan_of(type_keys(&mut asm, code, i as u64 * 1000, 1, KeyIn::Enter));
        assert_eq!(s.kind, ScanKind::Gtin(gtin.to_string()), "{code}");
    }
    // Wrong check digit: just a number (an order number, perhaps).
    let s = scan_of(type_keys(&mut asm, "4006381333932", 9000, 1, KeyIn::Enter));
    assert_eq!(s.kind, ScanKind::Other);
}

#[test]
fn double_fire_inside_window_dropped_outside_counted() {
    let mut asm = Assembler::new(ScanConfig::default());
    // Each scan: 13 keys 1 ms apart, so the terminator comes 13 ms after the first key.
    let s = scan_of(type_keys(&mut asm, "4006381333931", 0, 1, KeyIn::Enter));
    assert_eq!(s.code, "4006381333931");
    // Completed at 13; again completed at 13 + 30 + 13 = 56: 43 ms later → double fire.
    let a = type_keys(&mut asm, "4006381333931", 43, 1, KeyIn::Enter);
    assert_eq!(
        a,
        Some(Assembled::DoubleFire {
            code: "4006381333931".into()
        })
    );
    // A different code inside the window is a scan.
    let s = scan_of(type_keys(&mut asm, "96385074", 60, 1, KeyIn::Enter));
    assert_eq!(s.code, "96385074");
    // The same code again 400 ms later: a second unit, legitimately.
    let s = scan_of(type_keys(&mut asm, "96385074", 460, 1, KeyIn::Enter));
    assert_eq!(s.code, "96385074");
}

#[test]
fn double_fire_window_is_configurable() {
    let mut asm = Assembler::new(cfg(|c| c.double_fire_ms = 0));
    assert!(matches!(
        type_keys(&mut asm, "ABC", 0, 0, KeyIn::Enter),
        Some(Assembled::Scan(_))
    ));
    assert!(matches!(
        type_keys(&mut asm, "ABC", 0, 0, KeyIn::Enter),
        Some(Assembled::Scan(_))
    ));
}

#[test]
fn prefix_required_and_stripped() {
    let mut asm = Assembler::new(cfg(|c| c.prefix = Some("$$".into())));
    let s = scan_of(type_keys(
        &mut asm,
        "$$]E04006381333931",
        0,
        1,
        KeyIn::Enter,
    ));
    assert_eq!(s.code, "4006381333931");
    assert_eq!(s.raw, "$$]E04006381333931");
    assert_eq!(
        type_keys(&mut asm, "4006381333931", 1000, 1, KeyIn::Enter),
        Some(Assembled::Rejected {
            raw: "4006381333931".into(),
            reason: RejectReason::MissingPrefix
        })
    );
}

#[test]
fn prefix_compared_after_layout_map() {
    // Prefix `$$` programmed in the scanner; a Czech station types `44`.
    let mut asm = Assembler::new(cfg(|c| {
        c.prefix = Some("$$".into());
        c.layout = Layout::Cs;
    }));
    let s = scan_of(type_keys(&mut asm, "44ORD=čě", 0, 1, KeyIn::Enter));
    assert_eq!(s.code, "ORD-42");
}

#[test]
fn too_short_rejected() {
    let mut asm = Assembler::new(ScanConfig::default());
    assert_eq!(
        type_keys(&mut asm, "12", 0, 1, KeyIn::Enter),
        Some(Assembled::Rejected {
            raw: "12".into(),
            reason: RejectReason::TooShort
        })
    );
    // The symbology id does not count towards the length.
    assert!(matches!(
        type_keys(&mut asm, "]C0AB", 100, 1, KeyIn::Enter),
        Some(Assembled::Rejected {
            reason: RejectReason::TooShort,
            ..
        })
    ));
    let mut asm = Assembler::new(cfg(|c| c.min_length = 1));
    assert_eq!(
        scan_of(type_keys(&mut asm, "7", 0, 1, KeyIn::Enter)).code,
        "7"
    );
}

#[test]
fn ctrl_j_terminates_and_crlf_gives_one_scan() {
    let mut asm = Assembler::new(ScanConfig::default());
    let s = scan_of(type_keys(&mut asm, "ORD-1", 0, 1, KeyIn::CtrlJ));
    assert_eq!(s.code, "ORD-1");
    // CR+LF suffix: the LF finds an empty buffer.
    let s = scan_of(type_keys(&mut asm, "ORD-2", 100, 1, KeyIn::Enter));
    assert_eq!(s.code, "ORD-2");
    assert_eq!(asm.key(KeyIn::CtrlJ, 106), None);
    // Raw control characters delivered as chars behave the same.
    let s = scan_of(type_keys(&mut asm, "ORD-3", 200, 1, KeyIn::Char('\n')));
    assert_eq!(s.code, "ORD-3");
}

#[test]
fn tab_only_when_configured() {
    let mut asm = Assembler::new(ScanConfig::default());
    assert!(!asm.is_terminator(&KeyIn::Tab));
    assert!(asm.is_terminator(&KeyIn::Enter));
    assert!(asm.is_terminator(&KeyIn::CtrlJ));
    assert_eq!(type_keys(&mut asm, "ORD-1", 0, 1, KeyIn::Tab), None);
    assert_eq!(asm.buffer(), "ORD-1", "Tab is not part of the scan");

    let mut asm = Assembler::new(cfg(|c| c.terminators = vec![Terminator::Tab]));
    assert!(asm.is_terminator(&KeyIn::Tab));
    assert!(!asm.is_terminator(&KeyIn::Enter));
    assert_eq!(type_keys(&mut asm, "ORD-1", 0, 1, KeyIn::Enter), None);
    let s = scan_of(asm.key(KeyIn::Tab, 10));
    assert_eq!(s.code, "ORD-1");
}

#[test]
fn paste_with_several_lines() {
    let mut asm = Assembler::new(cfg(|c| {
        c.layout = Layout::Cs;
        c.prefix = Some("$$".into());
    }));
    asm.key(KeyIn::Char('Q'), 0);
    let out = asm.paste("ORD-1001\r\n\r\n4006381333931\n$$PD:PACK\nX\r\nORD-1001", 5);
    let kinds: Vec<_> = out
        .iter()
        .map(|a| match a {
            Assembled::Scan(s) => format!("{}={:?}", s.code, s.kind),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            "ORD-1001=Other".to_string(),
            "4006381333931=Gtin(\"04006381333931\")".to_string(),
            "PD:PACK=Command(Action(\"PACK\"))".to_string(),
            "Rejected { raw: \"X\", reason: TooShort }".to_string(),
            "ORD-1001=Other".to_string(),
        ],
        "no layout map on pastes, prefix optional, no double fire"
    );
    assert!(
        out.iter()
            .all(|a| !matches!(a, Assembled::Scan(s) if s.typed))
    );
    assert_eq!(asm.buffer(), "Q", "the key buffer is untouched");
}

#[test]
fn command_barcodes() {
    let mut asm = Assembler::new(ScanConfig::default());
    let cases = [
        ("PD:PACK", Command::Action("PACK".into())),
        ("pd:next-parcel", Command::Action("NEXT-PARCEL".into())),
        ("PD:PACKER:42", Command::Packer("42".into())),
        ("PD:EVENT:gift-wrap", Command::Event("gift-wrap".into())),
    ];
    for (i, (code, want)) in cases.into_iter().enumerate() {
        let s = scan_of(type_keys(&mut asm, code, i as u64 * 1000, 1, KeyIn::Enter));
        assert_eq!(s.kind, ScanKind::Command(want.clone()), "{code}");
        if let Command::Action(word) = &want {
            assert!(
                Action::from_barcode(word).is_some(),
                "{word} is in the vocabulary"
            );
        }
        assert!(want.to_string().eq_ignore_ascii_case(code));
    }
}

#[test]
fn command_barcode_on_czech_station() {
    // `PD:PACK`: the colon is Shift + `;`, which Czech types as `"`.
    let mut asm = Assembler::new(cfg(|c| c.layout = Layout::Cs));
    let s = scan_of(type_keys(&mut asm, "PD\"PACK", 0, 1, KeyIn::Enter));
    assert_eq!(s.kind, ScanKind::Command(Command::Action("PACK".into())));
}

#[test]
fn typed_is_only_a_hint() {
    let mut asm = Assembler::new(ScanConfig::default());
    let s = scan_of(type_keys(&mut asm, "ORD-77", 0, 300, KeyIn::Enter));
    assert!(s.typed);
    let s = scan_of(type_keys(&mut asm, "ORD-78", 10_000, 4, KeyIn::Enter));
    assert!(!s.typed);
}

#[test]
fn scanner_section_from_toml() {
    #[derive(Debug, serde::Deserialize)]
    struct Station {
        scanner: ScanConfig,
    }
    let st: Result<Station, _> = toml::from_str(
        "[scanner]\nterminators = [\"enter\", \"ctrl-j\", \"tab\"]\nlayout = \"cs\"\ngs_substitute = \"~\"\n",
    );
    let st = st.map_err(|e| e.to_string());
    let Ok(st) = st else { panic!("{st:?}") };
    assert_eq!(
        st.scanner,
        ScanConfig {
            terminators: vec![Terminator::Enter, Terminator::CtrlJ, Terminator::Tab],
            layout: Layout::Cs,
            gs_substitute: Some('~'),
            ..ScanConfig::default()
        }
    );
    let bad: Result<Station, _> = toml::from_str("[scanner]\nsufix = \"enter\"\n");
    assert!(bad.is_err_and(|e| e.to_string().contains("sufix")));
    let bad: Result<Station, _> = toml::from_str("[scanner]\nlayout = \"fr\"\n");
    assert!(bad.is_err());
}

#[test]
fn handover_barcode_names_a_carrier() {
    let mut asm = Assembler::new(ScanConfig::default());
    let s = scan_of(type_keys(&mut asm, "PD:HANDOVER:CP", 0, 1, KeyIn::Enter));
    assert_eq!(s.kind, ScanKind::Command(Command::Handover("CP".into())));
    assert_eq!(Command::Handover("CP".into()).to_string(), "PD:HANDOVER:CP");
    let s = scan_of(type_keys(
        &mut asm,
        "pd:handover:ppl",
        1000,
        1,
        KeyIn::Enter,
    ));
    assert_eq!(s.kind, ScanKind::Command(Command::Handover("ppl".into())));
    // Without a carrier it is still the plain action.
    let s = scan_of(type_keys(&mut asm, "PD:HANDOVER", 2000, 1, KeyIn::Enter));
    assert_eq!(
        s.kind,
        ScanKind::Command(Command::Action("HANDOVER".into()))
    );
    let a = type_keys(&mut asm, "PD:HANDOVER:", 3000, 1, KeyIn::Enter);
    assert!(
        matches!(
            a,
            Some(Assembled::Rejected {
                reason: RejectReason::BadCommand(_),
                ..
            })
        ),
        "{a:?}"
    );
}
