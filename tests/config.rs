//! `station.toml`: defaults, a full file, and errors that name the file, line and key.

use packdesk::scan::{Layout, Terminator};
use std::path::{Path, PathBuf};

use packdesk::config::{Config, ConfigError, Paths, documented_defaults};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config")
        .join(name)
}

fn invalid(result: Result<Config, ConfigError>) -> (PathBuf, usize, usize, String, String) {
    match result {
        Err(ConfigError::Invalid {
            path,
            line: Some(line),
            column: Some(column),
            key: Some(key),
            message,
        }) => (path, line, column, key, message),
        other => panic!("expected an Invalid error with line, column and key, got {other:?}"),
    }
}

#[test]
fn defaults() {
    let c = Config::default();
    assert_eq!(c.station, "bench-1");
    assert_eq!(c.language, None);
    assert_eq!(c.keymap, "default");
    assert_eq!(c.theme, "default");
    assert!(c.bell);
    assert!(!c.ship_on_pack);
    assert_eq!(c.out_dir, PathBuf::from("./packdesk-out"));
    assert_eq!(c.scanner.prefix, None);
    assert_eq!(
        c.scanner.terminators,
        [Terminator::Enter, Terminator::CtrlJ]
    );
    assert_eq!(c.scanner.min_length, 3);
    assert_eq!(c.scanner.layout, Layout::Us);
    assert_eq!(c.scanner.gs_substitute, None);
    assert_eq!(c.scanner.double_fire_ms, 80);
    assert!(!c.packing.require_weight);
    assert!(c.packing.allow_manual_confirm);
    assert_eq!(c.packing.default_weight_kg, 0.5);

    let empty = Config::from_toml_str("", Path::new("empty.toml"));
    assert_eq!(empty.ok(), Some(Config::default()));
}

#[test]
fn minimal_file_keeps_other_defaults() {
    let c = Config::load(&fixture("minimal.toml")).unwrap();
    assert_eq!(
        c,
        Config {
            station: "bench-7".into(),
            ..Config::default()
        }
    );
}

#[test]
fn documented_defaults_parse_to_default_and_match_the_example_file() {
    let parsed = Config::from_toml_str(documented_defaults(), Path::new("station.example.toml"));
    assert_eq!(parsed.unwrap(), Config::default());
    let on_disk =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("station.example.toml"))
            .unwrap();
    assert_eq!(on_disk, documented_defaults());
    // Every key of the config appears in the documentation, commented or not.
    for key in [
        "station",
        "language",
        "keymap",
        "theme",
        "bell",
        "ship_on_pack",
        "out_dir",
        "prefix",
        "terminators",
        "min_length",
        "layout",
        "gs_substitute",
        "double_fire_ms",
        "require_weight",
        "allow_manual_confirm",
        "default_weight_kg",
    ] {
        assert!(
            documented_defaults().contains(&format!("{key} = ")),
            "{key} is not documented"
        );
    }
}

#[test]
fn full_file() {
    let c = Config::load(&fixture("full.toml")).unwrap();
    assert_eq!(c.station, "Balírna 2 – Łódź");
    assert_eq!(c.language.as_deref(), Some("pl"));
    assert_eq!(c.keymap, "vim");
    assert_eq!(c.theme, "high-contrast");
    assert!(!c.bell);
    assert!(c.ship_on_pack);
    assert_eq!(c.out_dir, PathBuf::from("/srv/packdesk/out"));
    assert_eq!(c.scanner.prefix.as_deref(), Some("§"));
    assert_eq!(c.scanner.terminators, [Terminator::Tab]);
    assert_eq!(c.scanner.min_length, 6);
    assert_eq!(c.scanner.layout, Layout::Cs);
    assert_eq!(c.scanner.gs_substitute, Some('~'));
    assert_eq!(c.scanner.double_fire_ms, 150);
    assert!(c.packing.require_weight);
    assert!(!c.packing.allow_manual_confirm);
    assert_eq!(c.packing.default_weight_kg, 1.25);
}

#[test]
fn unknown_key_names_file_line_and_key() {
    let path = fixture("unknown_key.toml");
    let err = Config::load(&path);
    let text = err
        .as_ref()
        .err()
        .map(ToString::to_string)
        .unwrap_or_default();
    let (file, line, column, key, message) = invalid(err);
    assert_eq!(file, path);
    assert_eq!((line, column), (5, 1));
    assert_eq!(key, "scanner.sufix");
    assert!(message.contains("unknown field `sufix`"), "{message}");
    assert!(
        text.starts_with(&format!("{}:5:1: key `scanner.sufix`: ", path.display())),
        "{text}"
    );
}

#[test]
fn unknown_section_is_an_error() {
    let (_, line, _, key, _) = invalid(Config::from_toml_str(
        "station = \"b\"\n\n[shop]\nkind = \"upgates\"\n",
        Path::new("s.toml"),
    ));
    assert_eq!(line, 3);
    assert_eq!(key, "shop");
}

#[test]
fn wrong_type_names_file_line_and_key() {
    let path = fixture("wrong_type.toml");
    let err = Config::load(&path);
    let text = err
        .as_ref()
        .err()
        .map(ToString::to_string)
        .unwrap_or_default();
    let (file, line, column, key, message) = invalid(err);
    assert_eq!(file, path);
    assert_eq!((line, column), (5, 18));
    assert_eq!(key, "packing.require_weight");
    assert!(message.contains("expected a boolean"), "{message}");
    assert!(
        text.contains("wrong_type.toml:5:18: key `packing.require_weight`"),
        "{text}"
    );

    let (_, line, _, key, _) = invalid(Config::from_toml_str(
        "[scanner]\nterminators = \"enter\"\n",
        Path::new("s.toml"),
    ));
    assert_eq!((line, key.as_str()), (2, "scanner.terminators"));
    let (_, line, _, key, message) =
        invalid(Config::from_toml_str("scanner = 5\n", Path::new("s.toml")));
    assert_eq!((line, key.as_str()), (1, "scanner"));
    assert!(message.contains("expected a [scanner] table"), "{message}");
    let (_, _, _, key, _) = invalid(Config::from_toml_str(
        "[scanner]\ngs_substitute = \"ab\"\n",
        Path::new("s.toml"),
    ));
    assert_eq!(key, "scanner.gs_substitute");
}

#[test]
fn syntax_error_names_file_and_line() {
    let path = fixture("syntax_error.toml");
    match Config::load(&path) {
        Err(ConfigError::Invalid { path: p, line, .. }) => {
            assert_eq!(p, path);
            assert_eq!(line, Some(2));
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn out_of_range_values_name_the_key() {
    for (text, key, line) in [
        ("[scanner]\nmin_length = 0\n", "scanner.min_length", 2),
        ("[scanner]\nterminators = []\n", "scanner.terminators", 2),
        (
            "[scanner]\n\ndouble_fire_ms = 5000\n",
            "scanner.double_fire_ms",
            3,
        ),
        ("[scanner]\nprefix = \"\"\n", "scanner.prefix", 2),
        ("\n\nstation = \"  \"\n", "station", 3),
        (
            "[packing]\ndefault_weight_kg = nan\n",
            "packing.default_weight_kg",
            2,
        ),
    ] {
        let (_, l, _, k, _) = invalid(Config::from_toml_str(text, Path::new("s.toml")));
        assert_eq!((l, k.as_str()), (line, key), "{text}");
    }
}

#[test]
fn missing_explicit_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nope.toml");
    let paths = Paths::resolve(Some(&file), Some(dir.path())).unwrap();
    assert!(paths.config_explicit);
    match paths.load_config() {
        Err(ConfigError::Missing { path }) => assert_eq!(path, file),
        other => panic!("expected Missing, got {other:?}"),
    }
    assert!(matches!(
        Config::load(&file),
        Err(ConfigError::Missing { .. })
    ));
    let message = Config::load(&file).unwrap_err().to_string();
    assert!(message.contains("nope.toml"), "{message}");
}

#[test]
fn missing_default_file_means_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths {
        config_file: dir.path().join("station.toml"),
        config_dir: dir.path().to_path_buf(),
        data_dir: dir.path().join("data"),
        state_dir: dir.path().join("state"),
        config_explicit: false,
    };
    assert_eq!(paths.load_config().unwrap(), Config::default());
    std::fs::write(&paths.config_file, "bell = false\n").unwrap();
    assert!(!paths.load_config().unwrap().bell);
}

#[test]
fn overrides_replace_xdg_paths() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("etc/bench.toml");
    let data = dir.path().join("data");
    let paths = Paths::resolve(Some(&cfg), Some(&data)).unwrap();
    assert_eq!(paths.config_file, cfg);
    assert_eq!(paths.config_dir, dir.path().join("etc"));
    assert_eq!(paths.data_dir, data);
    assert_eq!(paths.state_dir, data.join("logs"));

    let bare = Paths::resolve(Some(Path::new("station.toml")), Some(&data)).unwrap();
    assert_eq!(bare.config_dir, PathBuf::from("."));
}

#[test]
fn default_paths_are_xdg() {
    // Needs a home directory; every CI runner and bench has one.
    let paths = Paths::resolve(None, None).unwrap();
    assert!(!paths.config_explicit);
    assert!(
        paths.config_file.ends_with("packdesk/station.toml"),
        "{paths:?}"
    );
    assert!(paths.data_dir.ends_with("packdesk"), "{paths:?}");
    assert!(
        paths.state_dir.to_string_lossy().contains("packdesk"),
        "{paths:?}"
    );
    assert_ne!(paths.data_dir, paths.config_dir);
}
