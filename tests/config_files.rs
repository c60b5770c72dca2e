//! Shipped configuration data: keymaps, themes and the message catalogs. Every shipped
//! file must load, keep the scanner-safety and completeness rules, and every bad file in
//! `tests/fixtures/` must fail with an error naming the file, the line and the key/scope.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use packdesk::app::Action;
use packdesk::i18n::{Catalog, Lang, placeholders};
use packdesk::tui::keymap::{KeyChord, KeyContext, Keymap};
use packdesk::tui::theme::{SCOPES, Theme};
use ratatui::style::{Color, Modifier};

fn fixtures(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir)
}

fn keymap(name: &str) -> Keymap {
    Keymap::builtin(name).unwrap_or_else(|e| panic!("shipped keymap {name}: {e}"))
}

fn theme(name: &str) -> Theme {
    Theme::builtin(name).unwrap_or_else(|e| panic!("shipped theme {name}: {e}"))
}

/// `(path, line, key)` for every `bad_*.toml` in a fixture directory, from its first line
/// `# expect: line=N key=K` (or `scope=S`).
fn bad_fixtures(dir: &str) -> Vec<(PathBuf, usize, String)> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(fixtures(dir)).unwrap_or_else(|e| panic!("{dir}: {e}"));
    for entry in entries {
        let path = entry.unwrap_or_else(|e| panic!("{dir}: {e}")).path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !(name.starts_with("bad_") && name.ends_with(".toml")) {
            continue;
        }
        let src = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let expect = src
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: line="))
            .unwrap_or_else(|| panic!("{name}: first line must be `# expect: line=N key=K`"));
        let (line, key) = expect
            .split_once(' ')
            .unwrap_or_else(|| panic!("{name}: bad expectation"));
        let line: usize = line.parse().unwrap_or_else(|e| panic!("{name}: {e}"));
        let key = key
            .strip_prefix("key=")
            .or_else(|| key.strip_prefix("scope="))
            .unwrap_or_else(|| panic!("{name}: bad expectation"));
        out.push((path.clone(), line, key.to_string()));
    }
    out.sort();
    out
}

fn assert_names_place(msg: &str, path: &Path, line: usize, key: &str) {
    let file = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    assert!(
        msg.contains(file),
        "error does not name the file {file}: {msg}"
    );
    assert!(
        msg.contains(&format!("{file}:{line}:")),
        "error does not name line {line} of {file}: {msg}"
    );
    assert!(msg.contains(key), "error does not name `{key}`: {msg}");
}

// ---- keymaps ---------------------------------------------------------------------------

#[test]
fn every_shipped_keymap_parses_and_binds_every_action() {
    let names: Vec<_> = Keymap::builtin_names().collect();
    assert_eq!(names, ["default", "no-fkeys"]);
    for name in names {
        let map = keymap(name);
        for action in Action::ALL {
            let bound = KeyContext::ALL
                .iter()
                .any(|ctx| map.key_for(*ctx, *action).is_some());
            assert!(bound, "{name}: action {action} has no key anywhere");
        }
    }
    assert!(Keymap::builtin("vim").is_err());
}

#[test]
fn no_printable_key_is_bound_where_scans_or_text_are_typed() {
    for name in Keymap::builtin_names() {
        let map = keymap(name);
        for ctx in [
            KeyContext::Global,
            KeyContext::Pack,
            KeyContext::Filter,
            KeyContext::Prompt,
        ] {
            for b in map.bindings(ctx) {
                assert!(
                    !b.chord.is_printable(),
                    "{name}: printable key `{}` bound to {} in [{ctx}]",
                    b.chord,
                    b.action
                );
            }
        }
        // A scanner ends codes with Enter or Tab: those must not fire commands in [pack].
        for key in ["ret", "tab"] {
            let ev = event(key);
            assert_eq!(
                map.lookup(KeyContext::Pack, &ev),
                None,
                "{name}: {key} in pack"
            );
        }
        // A scanned code typed into the pack screen triggers nothing.
        for c in "PD:PACK 8594001234567 q/?-+ ".chars() {
            let ev = KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
            assert_eq!(map.lookup(KeyContext::Pack, &ev), None, "{name}: `{c}`");
            let shifted = KeyEvent::new(KeyCode::Char(c), KeyModifiers::SHIFT);
            assert_eq!(
                map.lookup(KeyContext::Pack, &shifted),
                None,
                "{name}: `{c}`"
            );
        }
    }
}

fn event(key: &str) -> KeyEvent {
    let chord: KeyChord = key.parse().unwrap_or_else(|e| panic!("{key}: {e}"));
    KeyEvent::new(chord.code, chord.mods)
}

#[test]
fn every_command_barcode_action_has_a_key_in_pack() {
    for name in Keymap::builtin_names() {
        let map = keymap(name);
        for action in Action::ALL.iter().filter(|a| a.barcode().is_some()) {
            let chord = map
                .key_for(KeyContext::Pack, *action)
                .unwrap_or_else(|| panic!("{name}: no key for {action} in pack"));
            let ev = KeyEvent::new(chord.code, chord.mods);
            assert_eq!(
                map.lookup(KeyContext::Pack, &ev),
                Some(*action),
                "{name}: {chord} in pack"
            );
        }
    }
}

#[test]
fn default_keymap_has_the_documented_keys() {
    let map = keymap("default");
    let cases = [
        (KeyContext::Pack, "F1", Action::Help),
        (KeyContext::Pack, "F2", Action::Pack),
        (KeyContext::Pack, "C-q", Action::Quit),
        (KeyContext::Pack, "esc", Action::Back),
        (KeyContext::Pack, "C-z", Action::Undo),
        (KeyContext::Queue, "/", Action::Filter),
        (KeyContext::Queue, "ret", Action::Open),
        (KeyContext::Queue, "backtab", Action::PrevTab),
        (KeyContext::Queue, "pagedown", Action::PageDown),
        (KeyContext::Help, "end", Action::Bottom),
    ];
    for (ctx, key, action) in cases {
        assert_eq!(map.lookup(ctx, &event(key)), Some(action), "[{ctx}] {key}");
    }
    // crossterm reports Shift+Tab as BackTab with SHIFT.
    let backtab = KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT);
    assert_eq!(
        map.lookup(KeyContext::Queue, &backtab),
        Some(Action::PrevTab)
    );
    assert_eq!(map.lookup(KeyContext::Pack, &event("/")), None);
    let hint = map
        .key_for(KeyContext::Pack, Action::Pack)
        .map(|k| k.to_string());
    assert_eq!(hint.as_deref(), Some("F2"));
    let no_f = keymap("no-fkeys");
    for ctx in KeyContext::ALL {
        for b in no_f.bindings(ctx) {
            assert!(
                !matches!(b.chord.code, KeyCode::F(_)),
                "no-fkeys binds {}",
                b.chord
            );
        }
    }
}

#[test]
fn key_strings_round_trip() {
    let canonical = [
        "C-q",
        "A-x",
        "C-A-del",
        "S-up",
        "F1",
        "F12",
        "ret",
        "esc",
        "tab",
        "backtab",
        "space",
        "minus",
        "backspace",
        "del",
        "ins",
        "home",
        "end",
        "pageup",
        "pagedown",
        "up",
        "down",
        "left",
        "right",
        "/",
        "a",
        "A",
        "ř",
        "C-space",
        "A-S-left",
    ];
    for s in canonical {
        let chord: KeyChord = s.parse().unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(chord.to_string(), s);
    }
    let aliases = [
        ("S-tab", "backtab"),
        ("S-a", "A"),
        ("C-Q", "C-q"),
        ("-", "minus"),
    ];
    for (alias, canon) in aliases {
        let chord: KeyChord = alias.parse().unwrap_or_else(|e| panic!("{alias}: {e}"));
        assert_eq!(chord.to_string(), canon);
    }
    for name in Keymap::builtin_names() {
        let map = keymap(name);
        for ctx in KeyContext::ALL {
            for b in map.bindings(ctx) {
                assert_eq!(b.chord.to_string().parse::<KeyChord>(), Ok(b.chord));
            }
        }
    }
}

#[test]
fn bad_keymap_files_name_file_line_and_key() {
    let bad = bad_fixtures("keymaps");
    assert!(bad.len() >= 8, "fixtures missing: {bad:?}");
    for (path, line, key) in bad {
        let msg = match Keymap::load("default", Some(&path)) {
            Ok(_) => panic!("{} loaded", path.display()),
            Err(e) => e.to_string(),
        };
        assert_names_place(&msg, &path, line, &key);
    }
}

#[test]
fn user_keymap_overrides_per_key() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("keymap.toml");
    let user = "[pack]\n\"F2\" = \"noop\"\n\"C-k\" = { action = \"pack.pack\", desc = \"Hotovo\" }\n[global]\n\"C-q\" = \"noop\"\n";
    std::fs::write(&path, user).unwrap_or_else(|e| panic!("{e}"));
    let map = Keymap::load("default", Some(&path)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(map.lookup(KeyContext::Pack, &event("F2")), None);
    assert_eq!(
        map.lookup(KeyContext::Pack, &event("C-k")),
        Some(Action::Pack)
    );
    assert_eq!(
        map.lookup(KeyContext::Pack, &event("F3")),
        Some(Action::NextParcel)
    );
    assert_eq!(map.lookup(KeyContext::Queue, &event("C-q")), None);
    assert_eq!(
        map.lookup(KeyContext::Queue, &event("F1")),
        Some(Action::Help)
    );
    let hint = map
        .key_for(KeyContext::Pack, Action::Pack)
        .map(|k| k.to_string());
    assert_eq!(hint.as_deref(), Some("C-k"));
    let cs = Catalog::new(Lang::Cs);
    let pack = map.bindings(KeyContext::Pack);
    let descs: Vec<_> = pack.iter().map(|b| b.describe(&cs)).collect();
    assert!(
        descs.contains(&"Hotovo") && descs.contains(&"Další balík"),
        "{descs:?}"
    );

    let missing = dir.path().join("nope.toml");
    let same = Keymap::load("default", Some(&missing)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        same.bindings(KeyContext::Pack),
        keymap("default").bindings(KeyContext::Pack)
    );
}

// ---- themes ----------------------------------------------------------------------------

#[test]
fn every_shipped_theme_parses() {
    let names: Vec<_> = Theme::builtin_names().collect();
    assert_eq!(names, ["default", "light", "high-contrast", "mono"]);
    let default = theme("default");
    for name in names {
        let t = theme(name);
        assert_eq!(t.name, name);
        if name != "default" {
            assert_ne!(t.styles(), default.styles(), "{name} is a copy of default");
        }
    }
    // Errors and banners must stand out in every colour theme.
    for name in ["default", "light", "high-contrast"] {
        let t = theme(name);
        assert_eq!(t.banner_error.bg, Some(Color::Red), "{name}");
        assert_ne!(t.banner_ok.bg, t.banner_error.bg, "{name}");
        assert_ne!(t.line_done, t.line_todo, "{name}");
    }
}

fn file_scopes(path: &str) -> BTreeSet<String> {
    let src = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    let table: toml::Table = toml::from_str(&src).unwrap_or_else(|e| panic!("{path}: {e}"));
    table
        .keys()
        .filter(|k| *k != "palette" && *k != "inherits")
        .cloned()
        .collect()
}

#[test]
fn default_and_mono_set_and_document_every_scope() {
    let all: BTreeSet<String> = SCOPES.iter().map(|s| s.to_string()).collect();
    assert_eq!(file_scopes("themes/default.toml"), all);
    assert_eq!(file_scopes("themes/mono.toml"), all);
}

#[test]
fn mono_uses_no_colours_and_no_color_forces_it() {
    let mono = theme("mono");
    for (scope, style) in mono.styles() {
        assert_eq!((style.fg, style.bg), (None, None), "mono colours {scope}");
        assert_eq!(style.underline_color, None, "mono colours {scope}");
    }
    assert!(mono.banner_error.add_modifier.contains(Modifier::REVERSED));
    assert_ne!(mono.selected, mono.text);

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.path().join("mono.toml"), "\"ui.text\" = \"red\"\n")
        .unwrap_or_else(|e| panic!("{e}"));
    for name in ["default", "high-contrast", "light", "mono", "missing"] {
        let t = Theme::load(name, Some(dir.path()), true).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t, mono, "{name} with NO_COLOR");
    }
}

#[test]
fn user_theme_overrides_per_scope_and_can_inherit() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let write = |n: &str, s: &str| {
        std::fs::write(dir.path().join(n), s).unwrap_or_else(|e| panic!("{e}"));
    };
    write(
        "default.toml",
        "\"ui.title\" = \"magenta\"\n[palette]\nbad = \"light_red\"\n",
    );
    write(
        "mine.toml",
        "inherits = \"light\"\n\"ui.text\" = { fg = \"black\", bg = \"white\" }\n",
    );
    let base = theme("default");
    let t = Theme::load("default", Some(dir.path()), false).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.title.fg, Some(Color::Magenta));
    assert_eq!(
        t.banner_error.bg,
        Some(Color::LightRed),
        "palette override recolours"
    );
    assert_eq!(t.banner_ok, base.banner_ok);
    assert_eq!(t.border, base.border);

    let mine = Theme::load("mine", Some(dir.path()), false).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(mine.text.bg, Some(Color::White));
    assert_eq!(mine.header, theme("light").header);
    // light inherits default, which the user overrode: that applies here too.
    assert_eq!(mine.title.fg, Some(Color::Magenta));
    assert!(Theme::load("absent", Some(dir.path()), false).is_err());

    // A file overriding a shipped theme already extends it: `inherits` there is an error.
    write(
        "light.toml",
        "\"ui.text\" = \"black\"\ninherits = \"default\"\n",
    );
    let msg = match Theme::load("light", Some(dir.path()), false) {
        Ok(_) => panic!("override with inherits loaded"),
        Err(e) => e.to_string(),
    };
    assert!(
        msg.contains("light.toml:2:12") && msg.contains("remove `inherits`"),
        "{msg}"
    );
}

#[test]
fn bad_theme_files_name_file_line_and_scope() {
    let bad = bad_fixtures("themes");
    assert!(bad.len() >= 9, "fixtures missing: {bad:?}");
    let dir = fixtures("themes");
    for (path, line, scope) in bad {
        let name = path.file_stem().and_then(|n| n.to_str()).unwrap_or("");
        let msg = match Theme::load(name, Some(&dir), false) {
            Ok(_) => panic!("{} loaded", path.display()),
            Err(e) => e.to_string(),
        };
        assert_names_place(&msg, &path, line, &scope);
    }
    let rgb = Theme::load("bad_rgb", Some(&dir), false).map(|_| ());
    let msg = rgb.map_err(|e| e.to_string()).err().unwrap_or_default();
    assert!(msg.contains("RGB colours are not allowed"), "{msg}");
}

// ---- message catalogs --------------------------------------------------------------------

#[test]
fn czech_and_polish_have_exactly_the_english_keys() {
    let en = Catalog::new(Lang::En).keys();
    assert!(
        en.len() > 80,
        "English catalog is incomplete or does not parse"
    );
    for lang in [Lang::Cs, Lang::Pl] {
        let keys = Catalog::new(lang).keys();
        let missing: Vec<_> = en.iter().filter(|k| !keys.contains(k)).collect();
        let extra: Vec<_> = keys.iter().filter(|k| !en.contains(k)).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{lang}: missing {missing:?}, extra {extra:?}"
        );
    }
}

#[test]
fn translations_keep_every_placeholder() {
    let en = Catalog::new(Lang::En);
    for lang in [Lang::Cs, Lang::Pl] {
        let cat = Catalog::new(lang);
        for key in en.keys() {
            let want: BTreeSet<_> = placeholders(en.t(key)).into_iter().collect();
            let got: BTreeSet<_> = placeholders(cat.t(key)).into_iter().collect();
            assert_eq!(got, want, "{lang} `{key}`: {:?}", cat.t(key));
        }
    }
}

#[test]
fn every_key_the_code_uses_exists_and_every_key_is_used() {
    // Catalog keys appear in the UI layer's source as string literals like "banner.packed".
    let mut used = std::collections::BTreeSet::new();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut stack = vec![root.join("src/tui"), root.join("src/app")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs")
                && !path.ends_with("tui/theme.rs")
                && !path.ends_with("app/action.rs")
                && !path.ends_with("tui/keymap.rs")
            {
                // These name theme scopes ("banner.error") and actions ("pack.pack"), not catalog keys.
                let text = std::fs::read_to_string(&path).expect("read source");
                for piece in text.split('"').skip(1).step_by(2) {
                    let prefixes = [
                        "banner.", "reject.", "refuse.", "reason.", "status.", "prompt.", "pack.",
                        "tab.", "col.", "queue.", "help.", "detail.",
                    ];
                    if prefixes.iter().any(|p| piece.starts_with(p))
                        && piece
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_')
                    {
                        used.insert(piece.to_string());
                    }
                }
            }
        }
    }
    let en = Catalog::new(Lang::En);
    let keys = en.keys();
    for key in &used {
        assert!(
            keys.contains(&key.as_str()),
            "the code uses {key}, en.toml lacks it"
        );
    }
    for key in &keys {
        assert!(
            key.starts_with("action.") || used.contains(*key),
            "{key} is in en.toml but no code uses it"
        );
    }
    for lang in Lang::ALL {
        let cat = Catalog::new(lang);
        for action in Action::ALL {
            let key = format!("action.{}", action.name());
            assert!(cat.keys().contains(&key.as_str()), "{lang} lacks {key}");
            if lang != Lang::En {
                assert_ne!(
                    cat.action(*action),
                    en.action(*action),
                    "{lang} {key} untranslated"
                );
            }
        }
    }
    assert_eq!(
        Catalog::new(Lang::En).tf("reject.not_in_order", &[("code", &"8594001234567")]),
        "Not in this order: 8594001234567"
    );
    assert_eq!(
        Catalog::new(Lang::Cs).tf("status.station", &[("station", &"bench-1")]),
        "Stanice bench-1"
    );
}

#[test]
fn translations_use_their_own_alphabet() {
    let text = |lang| -> String {
        let cat = Catalog::new(lang);
        cat.keys().iter().map(|k| cat.t(k)).collect()
    };
    let cs = text(Lang::Cs);
    let pl = text(Lang::Pl);
    for c in "ěščřžýáíéůú".chars() {
        assert!(cs.contains(c), "Czech texts never use `{c}`");
    }
    for c in "ąćęłńóśż".chars() {
        assert!(pl.contains(c), "Polish texts never use `{c}`");
    }
}
