//! `station.toml`: defaults, a full file, and errors that name the file, line and key.

use packdesk::scan::{Layout, Terminator};
use std::path::{Path, PathBuf};

use packdesk::config::{
    CarrierKind, Config, ConfigError, Paths, ShopKind, build_shop, documented_defaults,
};

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
        "kind",
        "url",
        "login",
        "key",
        "key_env",
        "send_emails",
        "user",
        "timeout_s",
        "shipping",
        "carrier",
        "service",
        "size_class",
        "insurance",
        "queue",
        "packed",
        "ready",
        "dispatched",
        "notify_customer",
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

    let shop = c.shop.expect("[shop]");
    assert_eq!(shop.kind, ShopKind::Upgates);
    assert_eq!(
        shop.url.as_deref(),
        Some("https://obchod.admin.s17.upgates.com/api/v2")
    );
    assert_eq!(shop.login.as_deref(), Some("packdesk"));
    assert_eq!(shop.key, None);
    assert_eq!(shop.key_env.as_deref(), Some("PACKDESK_FULL_SHOP_KEY"));
    assert!(shop.send_emails);
    let carrier = c.carrier.expect("[carrier]");
    assert_eq!(carrier.kind, CarrierKind::Balikobot);
    assert_eq!(carrier.user.as_deref(), Some("bench"));
    assert_eq!(carrier.timeout_s, 12);
    assert_eq!(carrier.map.len(), 2);
    assert_eq!(
        (
            carrier.map[0].shipping.as_str(),
            carrier.map[0].carrier.as_str()
        ),
        ("balik-do-ruky", "cp")
    );
    assert_eq!(carrier.map[0].service, "DR");
    assert_eq!(carrier.map[0].size_class, None);
    assert!(!carrier.map[0].insurance);
    assert_eq!(carrier.map[1].size_class.as_deref(), Some("S"));
    assert_eq!(carrier.map[1].default_weight_kg, Some(0.8));
    assert!(carrier.map[1].insurance);
    let status = c.status.expect("[status]");
    assert_eq!(status.queue, ["Přijatá", "6"]);
    assert_eq!(status.packed.as_deref(), Some("Zabalená"));
    assert_eq!(status.ready.as_deref(), Some("Vyřizuje se"));
    assert_eq!(status.dispatched.as_deref(), Some("Odeslaná"));
    assert!(status.notify_customer);
}

#[test]
fn remote_sections_default_to_absent_and_carrier_to_own_label() {
    let c = Config::default();
    assert!(c.shop.is_none() && c.carrier.is_none() && c.status.is_none());
    let c = Config::from_toml_str(
        "[[carrier.map]]\nshipping = \"osobni\"\ncarrier = \"own\"\n",
        Path::new("s.toml"),
    )
    .unwrap();
    let carrier = c.carrier.unwrap();
    assert_eq!(carrier.kind, CarrierKind::OwnLabel);
    assert_eq!(carrier.timeout_s, 30);
    assert_eq!(carrier.map[0].service, "");
    let c = Config::from_toml_str("[status]\n", Path::new("s.toml")).unwrap();
    let status = c.status.unwrap();
    assert!(status.queue.is_empty() && status.packed.is_none() && !status.notify_customer);
    let c = Config::from_toml_str(
        "[shop]\nkind = \"baselinker\"\nkey_env = \"X\"\n",
        Path::new("s.toml"),
    )
    .unwrap();
    assert!(!c.shop.unwrap().send_emails);
}

#[test]
fn remote_errors_name_line_and_key() {
    for (text, key, line) in [
        ("[shop]\nkind = \"shoptet\"\n", "shop.kind", 2),
        ("[shop]\nurl = \"https://x.cz\"\n", "shop", 1),
        (
            "[shop]\nkind = \"upgates\"\nlogin = \"a\"\nkey_env = \"K\"\n",
            "shop.kind",
            2,
        ),
        (
            "[shop]\nkind = \"baselinker\"\nurl = \"ftp://x\"\nkey_env = \"K\"\n",
            "shop.url",
            3,
        ),
        (
            "[shop]\nkind = \"baselinker\"\nkey_env = \"K\"\nkey = \"s\"\n",
            "shop.key",
            4,
        ),
        (
            "[shop]\nkind = \"baselinker\"\nkey_env = \"not a name\"\n",
            "shop.key_env",
            3,
        ),
        ("[carrier]\nkind = \"dhl\"\n", "carrier.kind", 2),
        (
            "[carrier]\nkind = \"balikobot\"\nkey_env = \"K\"\n",
            "carrier.kind",
            2,
        ),
        ("[carrier]\ntimeout_s = 0\n", "carrier.timeout_s", 2),
        (
            "[[carrier.map]]\nshipping = \"a\"\ncarrier = \"cp\"\n\n[[carrier.map]]\nshipping = \"b\"\ncarrier = \"cp\"\ndefault_weight_kg = -2.0\n",
            "carrier.map[1].default_weight_kg",
            8,
        ),
        (
            "[[carrier.map]]\nshipping = \"a\"\ncarrier = \"cp\"\n[[carrier.map]]\nshipping = \"A\"\ncarrier = \"ppl\"\n",
            "carrier.map[1].shipping",
            5,
        ),
        (
            "[[carrier.map]]\nshipping = \"a\"\ncarrier = \"cp\"\nservise = \"DR\"\n",
            "carrier.map[0].servise",
            4,
        ),
        ("[status]\nqueue = [\"1\", \" \"]\n", "status.queue[1]", 2),
        ("[status]\npacked = 5\n", "status.packed", 2),
    ] {
        let (_, l, _, k, _) = invalid(Config::from_toml_str(text, Path::new("s.toml")));
        assert_eq!((l, k.as_str()), (line, key), "{text}");
    }
}

#[cfg(unix)]
#[test]
fn a_key_in_the_file_needs_a_private_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("station.toml");
    let text = "station = \"b\"\n[shop]\nkind = \"baselinker\"\nkey = \"tok-SECRET-42\"\n";
    std::fs::write(&file, text).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = Config::load(&file);
    let message = err
        .as_ref()
        .err()
        .map(ToString::to_string)
        .unwrap_or_default();
    let (path, line, _, key, _) = invalid(err);
    assert_eq!((path, line, key.as_str()), (file.clone(), 4, "shop.key"));
    assert!(message.contains("chmod 600"), "{message}");
    assert!(message.contains(&file.display().to_string()), "{message}");
    assert!(!message.contains("tok-SECRET-42"), "{message}");

    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let c = Config::load(&file).unwrap();
    let shop = c.shop.as_ref().unwrap();
    assert_eq!(shop.key.as_ref().map(|k| k.expose()), Some("tok-SECRET-42"));
    assert!(!format!("{c:?}").contains("tok-SECRET-42"));
    assert!(build_shop(&c).unwrap().is_some());

    // key_env instead: the file's mode does not matter.
    std::fs::write(
        &file,
        "[shop]\nkind = \"baselinker\"\nkey_env = \"PACKDESK_TEST_CONFIG_UNSET_VAR\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let c = Config::load(&file).unwrap();
    let err = build_shop(&c)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("shop.key_env"), "{err}");
    assert!(
        err.contains("PACKDESK_TEST_CONFIG_UNSET_VAR is not set"),
        "{err}"
    );
}

#[test]
fn no_shop_builds_nothing_and_no_carrier_is_own_label() {
    let dir = tempfile::tempdir().unwrap();
    let c = Config::default();
    assert!(build_shop(&c).unwrap().is_none());
    let store = packdesk::store::Store::open(&dir.path().join("data")).unwrap();
    let carrier = packdesk::config::build_carrier(&c, store, dir.path()).unwrap();
    assert_eq!(carrier.kind(), "own-label");
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
        "station = \"b\"\n\n[shops]\nkind = \"upgates\"\n",
        Path::new("s.toml"),
    ));
    assert_eq!(line, 3);
    assert_eq!(key, "shops");
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

#[test]
fn the_commented_remote_examples_parse_when_uncommented() {
    let doc = documented_defaults();
    let start = doc.find("# Remote systems").expect("remote block");
    let end = doc.find("# Parcel photos").unwrap_or(doc.len());
    let mut text = String::new();
    for line in doc[start..end].lines() {
        let Some(rest) = line.strip_prefix("# ") else {
            continue;
        };
        let is_key = rest.split_once(" = ").is_some_and(|(k, _)| {
            !k.is_empty() && k.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        });
        if (rest.starts_with('[') || is_key) && !rest.starts_with("key = ") {
            text.push_str(rest);
            text.push('\n');
        }
    }
    let c = Config::from_toml_str(&text, Path::new("uncommented.toml"))
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(c.shop.map(|s| s.kind), Some(ShopKind::Upgates));
    let carrier = c.carrier.unwrap();
    assert_eq!(carrier.map.len(), 1);
    assert_eq!(carrier.map[0].default_weight_kg, Some(1.0));
    assert_eq!(c.status.unwrap().dispatched.as_deref(), Some("Odeslaná"));
}
