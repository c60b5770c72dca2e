//! `packdesk doctor` against the simulators: a good config, wrong statuses and services,
//! wrong and missing keys, a key in a file others can read.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use packdesk::sim::cli::{
    BALIKOBOT_KEY, BALIKOBOT_USER, BASELINKER_TOKEN, SimArgs, Sims, UPGATES_KEY, UPGATES_LOGIN,
};

struct Env {
    _rt: tokio::runtime::Runtime,
    sims: Sims,
    dir: tempfile::TempDir,
}

fn sims() -> Env {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let args = SimArgs {
        port_base: 0,
        upgates_orders: None,
        baselinker_orders: None,
        error_rate: 0.0,
        timeout_rate: 0.0,
        latency_ms: 0,
        quota: None,
        seed: 5,
    };
    let sims = rt
        .block_on(packdesk::sim::cli::start(&args))
        .expect("sims start");
    Env {
        _rt: rt,
        sims,
        dir: tempfile::tempdir().expect("tempdir"),
    }
}

impl Env {
    fn url(&self, name: &str) -> String {
        self.sims
            .running
            .iter()
            .find(|r| r.name == name)
            .map(|r| r.base_url.clone())
            .expect("simulator running")
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write config");
        path
    }

    fn upgates_balikobot(&self, status: &str, map: &str) -> String {
        format!(
            "station = \"t\"\n\
             [shop]\nkind = \"upgates\"\nurl = \"{}\"\nlogin = \"{UPGATES_LOGIN}\"\nkey_env = \"T_SHOP_KEY\"\n\
             [carrier]\nkind = \"balikobot\"\nurl = \"{}\"\nuser = \"{BALIKOBOT_USER}\"\nkey_env = \"T_CARRIER_KEY\"\ntimeout_s = 5\n\
             {map}\n[status]\n{status}\n",
            self.url("upgates"),
            self.url("balikobot"),
        )
    }
}

const GOOD_MAP: &str = "[[carrier.map]]\nshipping = \"balik-do-ruky\"\ncarrier = \"cp\"\nservice = \"DR\"\n\
                        [[carrier.map]]\nshipping = \"zasilkovna\"\ncarrier = \"zasilkovna\"\nservice = \"VMCZ\"\n";
const GOOD_STATUS: &str = "queue = [\"Přijatá\", \"6\"]\npacked = \"zabalená\"\nready = \"Vyřizuje se\"\ndispatched = \"4\"";

/// Runs `packdesk doctor --config FILE` with `env`; exit success and stdout lines.
fn doctor(config: &Path, env: &[(&str, &str)]) -> (bool, Vec<String>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_packdesk"))
        .arg("doctor")
        .arg("--config")
        .arg(config)
        .env_remove("T_SHOP_KEY")
        .env_remove("T_CARRIER_KEY")
        .envs(env.iter().copied())
        .output()
        .expect("packdesk doctor runs");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    (
        out.status.success(),
        stdout.lines().map(str::to_string).collect(),
        stderr,
    )
}

fn line<'a>(lines: &'a [String], name: &str) -> &'a str {
    lines
        .iter()
        .find(|l| l.split_whitespace().nth(1) == Some(name))
        .map(String::as_str)
        .unwrap_or_else(|| panic!("no line for {name} in {lines:#?}"))
}

const KEYS: [(&str, &str); 2] = [
    ("T_SHOP_KEY", UPGATES_KEY),
    ("T_CARRIER_KEY", BALIKOBOT_KEY),
];

#[test]
fn a_good_config_passes_every_check() {
    let env = sims();
    let cfg = env.write("good.toml", &env.upgates_balikobot(GOOD_STATUS, GOOD_MAP));
    let (ok, lines, stderr) = doctor(&cfg, &KEYS);
    assert!(ok, "{lines:#?}\n{stderr}");
    assert!(lines.iter().all(|l| l.starts_with("OK ")), "{lines:#?}");
    assert!(line(&lines, "shop").contains("credentials accepted"));
    assert!(line(&lines, "status.packed").contains("id 5"), "{lines:#?}");
    assert!(line(&lines, "status.queue[1]").contains("Zaplacená"));
    assert!(line(&lines, "carrier").contains("credentials accepted"));
    assert!(line(&lines, "carrier.map[1]").contains("VMCZ"));
    // Not configured: the shop's own cancel status (Upgates type "Canceled").
    assert!(
        line(&lines, "status.cancelled").contains("Stornovaná (2)"),
        "{lines:#?}"
    );
    assert_eq!(lines.len(), 13, "{lines:#?}");
}

#[test]
fn wrong_status_and_service_fail_with_the_reason() {
    let env = sims();
    let status = "queue = [\"Přijatá\"]\npacked = \"Balí se\"\ndispatched = \"99\"\n\
                  cancelled = [\"Stornovaná\", \"Zrušená\"]";
    let map = "[[carrier.map]]\nshipping = \"dr\"\ncarrier = \"cp\"\nservice = \"XX\"\n\
               [[carrier.map]]\nshipping = \"np\"\ncarrier = \"cp\"\nservice = \"NP\"\n\
               [[carrier.map]]\nshipping = \"dhl\"\ncarrier = \"dhlx\"\nservice = \"1\"\n";
    let cfg = env.write("wrong.toml", &env.upgates_balikobot(status, map));
    let (ok, lines, stderr) = doctor(&cfg, &KEYS);
    assert!(!ok, "{lines:#?}");
    assert!(stderr.contains("check(s) failed"), "{stderr}");
    let packed = line(&lines, "status.packed");
    assert!(packed.starts_with("FAIL"), "{packed}");
    assert!(packed.contains("\"Balí se\" is not a status"), "{packed}");
    assert!(packed.contains("Zabalená (5)"), "{packed}");
    assert!(line(&lines, "status.dispatched").starts_with("FAIL"));
    assert!(line(&lines, "status.queue[0]").starts_with("OK"));
    assert!(line(&lines, "status.cancelled[0]").starts_with("OK"));
    assert!(line(&lines, "status.cancelled[1]").starts_with("FAIL"));
    let dr = line(&lines, "carrier.map[0]");
    assert!(
        dr.starts_with("FAIL") && dr.contains("\"XX\" is not a cp service"),
        "{dr}"
    );
    assert!(dr.contains("DR, NP, NB"), "{dr}");
    assert!(line(&lines, "carrier.map[1]").starts_with("OK"));
    assert!(line(&lines, "carrier.map[2]").starts_with("FAIL"));
}

#[test]
fn wrong_keys_fail_without_showing_them() {
    let env = sims();
    let cfg = env.write("keys.toml", &env.upgates_balikobot(GOOD_STATUS, GOOD_MAP));
    let (ok, lines, stderr) = doctor(
        &cfg,
        &[
            ("T_SHOP_KEY", "wrong-shop-key-123"),
            ("T_CARRIER_KEY", "wrong-carrier-key-456"),
        ],
    );
    assert!(!ok);
    let all = format!("{lines:?}{stderr}");
    assert!(!all.contains("wrong-shop-key-123") && !all.contains("wrong-carrier-key-456"));
    let shop = line(&lines, "shop");
    assert!(
        shop.starts_with("FAIL") && shop.contains("credentials refused"),
        "{shop}"
    );
    let carrier = line(&lines, "carrier");
    assert!(
        carrier.starts_with("FAIL") && carrier.contains("credentials refused"),
        "{carrier}"
    );

    // A variable that is not set is named.
    let (ok, lines, _) = doctor(&cfg, &[("T_CARRIER_KEY", BALIKOBOT_KEY)]);
    assert!(!ok);
    let secret = line(&lines, "shop.key");
    assert!(
        secret.starts_with("FAIL") && secret.contains("T_SHOP_KEY is not set"),
        "{secret}"
    );
    assert!(line(&lines, "carrier").starts_with("OK"));
}

#[cfg(unix)]
#[test]
fn a_key_in_a_readable_file_fails_and_says_chmod() {
    use std::os::unix::fs::PermissionsExt;
    let env = sims();
    let text = format!(
        "[shop]\nkind = \"baselinker\"\nurl = \"{}\"\nkey = \"{BASELINKER_TOKEN}\"\n\
         [status]\npacked = \"packed\"\ndispatched = \"Wysłane\"\n",
        env.url("baselinker")
    );
    let cfg = env.write("bl.toml", &text);
    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let (ok, lines, _) = doctor(&cfg, &[]);
    assert!(!ok);
    let config = line(&lines, "config");
    assert!(
        config.starts_with("FAIL") && config.contains("chmod 600"),
        "{config}"
    );
    assert!(!config.contains(BASELINKER_TOKEN));

    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let (_, lines, _) = doctor(&cfg, &[]);
    assert!(line(&lines, "config").starts_with("OK"));
    assert!(line(&lines, "shop").starts_with("OK"), "{lines:#?}");
    assert!(line(&lines, "shop").contains("token accepted"));
    assert!(
        line(&lines, "status.packed").contains("Packed (id 1053)"),
        "{lines:#?}"
    );
    let sent = line(&lines, "status.dispatched");
    assert!(
        sent.starts_with("FAIL") && sent.contains("Shipped (1054)"),
        "{sent}"
    );
}

#[test]
fn no_remote_sections_is_fine() {
    let env = sims();
    let cfg = env.write("plain.toml", "station = \"x\"\n");
    let (ok, lines, stderr) = doctor(&cfg, &[]);
    assert!(ok, "{lines:#?} {stderr}");
    assert!(line(&lines, "shop").starts_with("SKIP"));
    assert!(line(&lines, "carrier").contains("own labels"));
}

#[test]
fn baselinker_shop_and_couriers_check_and_share_one_token_bucket() {
    use packdesk::config::{CarrierClient, Config, ShopClient, remote_clients};
    use packdesk::shop::Shop;
    use packdesk::shop::baselinker::BaseLinkerShop;
    let env = sims();
    let text = format!(
        "[shop]\nkind = \"baselinker\"\nurl = \"{url}\"\nkey_env = \"T_SHOP_KEY\"\n\
         [carrier]\nkind = \"baselinker\"\nurl = \"{url}\"\nkey_env = \"T_CARRIER_KEY\"\n\
         [[carrier.map]]\nshipping = \"inpost\"\ncarrier = \"inpost\"\nservice = \"paczkomaty\"\n\
         [status]\nqueue = [\"New\"]\npacked = \"1053\"\n",
        url = env.url("baselinker")
    );
    let cfg = env.write("bl-both.toml", &text);
    let keys = [
        ("T_SHOP_KEY", BASELINKER_TOKEN),
        ("T_CARRIER_KEY", BASELINKER_TOKEN),
    ];
    let (ok, lines, stderr) = doctor(&cfg, &keys);
    assert!(ok, "{lines:#?}\n{stderr}");
    assert!(line(&lines, "carrier").contains("token accepted"));
    assert!(line(&lines, "carrier.map").starts_with("SKIP"));
    let (ok, lines, _) = doctor(
        &cfg,
        &[
            ("T_SHOP_KEY", BASELINKER_TOKEN),
            ("T_CARRIER_KEY", "bad-token-9"),
        ],
    );
    assert!(!ok);
    assert!(line(&lines, "carrier").starts_with("FAIL"), "{lines:#?}");

    // In-process: the courier uses the shop's bucket (burst 5, then ~0.63 s per request).
    let config = Config::from_toml_str(
        &text
            .replace(
                "key_env = \"T_SHOP_KEY\"",
                &format!("key = \"{BASELINKER_TOKEN}\""),
            )
            .replace(
                "key_env = \"T_CARRIER_KEY\"",
                &format!("key = \"{BASELINKER_TOKEN}\""),
            ),
        Path::new("inline.toml"),
    )
    .expect("parses");
    let (Some(ShopClient::Baselinker(shop)), Some(CarrierClient::Baselinker { api, .. })) =
        remote_clients(&config).expect("clients")
    else {
        panic!("BaseLinker clients expected");
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        for _ in 0..5 {
            shop.statuses().await.expect("statuses");
        }
        let courier_side = BaseLinkerShop::with_api(api);
        let started = std::time::Instant::now();
        courier_side.statuses().await.expect("statuses");
        assert!(
            started.elapsed() >= Duration::from_millis(400),
            "the courier's request waited for the shared bucket: {:?}",
            started.elapsed()
        );
    });
}
