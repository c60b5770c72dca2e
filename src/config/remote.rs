//! The remote systems of a station: `[shop]`, `[carrier]` (with `[[carrier.map]]`) and
//! `[status]`, their secrets, and building the clients from them.
//!
//! Secrets come from the environment variable named by `key_env`, or from `key` in the
//! file only when the file is not readable by group or others (checked by
//! [`super::Config::load`]). They are held in [`Secret`], whose `Debug` and `Display`
//! print `***`, so a secret never reaches a log line or an error message.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use super::ConfigError;
use crate::carrier::Carrier;
use crate::carrier::balikobot::BalikobotClient;
use crate::carrier::baselinker::BaseLinkerCourier;
use crate::carrier::own::OwnLabel;
use crate::domain::Shipping;
use crate::shop::Shop;
use crate::shop::baselinker::{BaseLinkerApi, BaseLinkerShop};
use crate::shop::upgates::UpgatesClient;
use crate::store::Store;

/// BaseLinker's one API address (used when `url` is left out).
pub const BASELINKER_URL: &str = "https://api.baselinker.com/connector.php";
/// Balikobot API v2 (used when `url` is left out).
pub const BALIKOBOT_URL: &str = "https://apiv2.balikobot.cz";

/// A secret (API key, token). `Debug` and `Display` print `***`; [`Secret::expose`] is the
/// only way to the value.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for the one place that sends it (an HTTP header).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Which shop the orders come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShopKind {
    /// Upgates API v2 (Basic auth: `login` + key).
    Upgates,
    /// BaseLinker `connector.php` (`X-BLToken`).
    Baselinker,
}

impl ShopKind {
    /// The name used in `station.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            ShopKind::Upgates => "upgates",
            ShopKind::Baselinker => "baselinker",
        }
    }
}

/// Who makes the shipments and labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum CarrierKind {
    /// Balikobot API v2 (Czech and Slovak carriers).
    Balikobot,
    /// BaseLinker couriers (InPost, Poczta Polska, Orlen Paczka …).
    Baselinker,
    /// packdesk's own labels, no carrier API.
    #[default]
    OwnLabel,
}

impl CarrierKind {
    /// The name used in `station.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            CarrierKind::Balikobot => "balikobot",
            CarrierKind::Baselinker => "baselinker",
            CarrierKind::OwnLabel => "own-label",
        }
    }
}

/// `[shop]`: the order source.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [shop] table")]
pub struct ShopSection {
    /// `upgates` or `baselinker`.
    pub kind: ShopKind,
    /// API address; required for Upgates, BaseLinker's own address when left out.
    #[serde(default)]
    pub url: Option<String>,
    /// Upgates API login.
    #[serde(default)]
    pub login: Option<String>,
    /// The API key / token in the file (only in a file not readable by others).
    #[serde(default)]
    pub key: Option<Secret>,
    /// The environment variable holding the API key / token.
    #[serde(default)]
    pub key_env: Option<String>,
    /// Let status changes that ask for it e-mail the customer (Upgates `send_emails_yn`).
    #[serde(default)]
    pub send_emails: bool,
}

/// `[carrier]`: the shipment provider and the shipping-method mapping.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields, expecting = "a [carrier] table")]
pub struct CarrierSection {
    /// `balikobot`, `baselinker` or `own-label`.
    pub kind: CarrierKind,
    /// API address; the provider's public address when left out.
    pub url: Option<String>,
    /// Balikobot API user.
    pub user: Option<String>,
    /// The API key / token in the file (only in a file not readable by others).
    pub key: Option<Secret>,
    /// The environment variable holding the API key / token.
    pub key_env: Option<String>,
    /// Timeout of one request to the provider, in seconds.
    pub timeout_s: u64,
    /// `[[carrier.map]]`: shop shipping method → carrier + service + defaults.
    pub map: Vec<CarrierMap>,
    /// Minutes between TRACKSTATUS polls of ready and dispatched parcels (0: off).
    pub track_every_min: u64,
}

impl Default for CarrierSection {
    fn default() -> CarrierSection {
        CarrierSection {
            kind: CarrierKind::OwnLabel,
            url: None,
            user: None,
            key: None,
            key_env: None,
            timeout_s: 30,
            map: Vec::new(),
            track_every_min: 30,
        }
    }
}

/// One `[[carrier.map]]` entry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [[carrier.map]] table")]
pub struct CarrierMap {
    /// The shop's shipping method: code, id or name (compared without case).
    pub shipping: String,
    /// Carrier code (`cp`, `ppl`, `zasilkovna`, `inpost` …).
    pub carrier: String,
    /// Carrier service (`DR`, `NP` …); empty where the carrier has none.
    #[serde(default)]
    pub service: String,
    /// Parcel size class (`S`, `M`, `L`, a locker size …).
    #[serde(default)]
    pub size_class: Option<String>,
    /// Weight (kg) used when the packed parcel has none.
    #[serde(default)]
    pub default_weight_kg: Option<f64>,
    /// Declare the order's value for insurance.
    #[serde(default)]
    pub insurance: bool,
}

/// The defaults of a mapped shipping method.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ShipDefaults {
    /// Parcel size class.
    pub size_class: Option<String>,
    /// Weight (kg) when the parcel has none.
    pub weight_kg: Option<f64>,
    /// Declare the order's value for insurance.
    pub insurance: bool,
}

/// `[status]`: which shop statuses fill the queue, and what to set on our events.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(default, deny_unknown_fields, expecting = "a [status] table")]
pub struct StatusSection {
    /// Shop statuses (id or name) whose orders are packed here; empty: every order.
    pub queue: Vec<String>,
    /// Status set when an order is packed.
    pub packed: Option<String>,
    /// Status set when its label is made.
    pub ready: Option<String>,
    /// Status set when it is handed over to the carrier.
    pub dispatched: Option<String>,
    /// E-mail the customer on these status changes (needs `shop.send_emails`).
    pub notify_customer: bool,
    /// Shop statuses (id or name) that mean the order was cancelled. Not set: the shop's
    /// own cancel statuses (Upgates type `Canceled`; BaseLinker names like "Cancelled",
    /// "Anulowane", "Stornováno"). `[]`: none.
    pub cancelled: Option<Vec<String>>,
    /// Status updates of this many packed orders go to the shop in one request at once
    /// (default: Upgates 20, BaseLinker 1; at most 100).
    pub batch_orders: Option<usize>,
    /// Otherwise the oldest waits at most this long, in seconds (default: Upgates 120,
    /// BaseLinker 0). The shop's remaining quota can space requests further apart.
    pub batch_delay_s: Option<u64>,
}

impl StatusSection {
    /// The configured statuses with their keys (`status.queue[0]`, `status.packed` …).
    pub fn named(&self) -> Vec<(String, &str)> {
        let mut out: Vec<(String, &str)> = self
            .queue
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("status.queue[{i}]"), s.as_str()))
            .collect();
        for (i, s) in self.cancelled.iter().flatten().enumerate() {
            out.push((format!("status.cancelled[{i}]"), s.as_str()));
        }
        for (key, v) in [
            ("packed", &self.packed),
            ("ready", &self.ready),
            ("dispatched", &self.dispatched),
        ] {
            if let Some(v) = v {
                out.push((format!("status.{key}"), v.as_str()));
            }
        }
        out
    }
}

/// The first `[[carrier.map]]` entry for this shipping method (method compared trimmed
/// and without case): its carrier, service and defaults.
pub fn map_shipping(
    map: &[CarrierMap],
    shipping: &Shipping,
) -> Option<(String, String, ShipDefaults)> {
    let method = shipping.method.trim();
    map.iter()
        .find(|m| m.shipping.trim().eq_ignore_ascii_case(method) && !method.is_empty())
        .map(|m| {
            (
                m.carrier.clone(),
                m.service.clone(),
                ShipDefaults {
                    size_class: m.size_class.clone(),
                    weight_kg: m.default_weight_kg,
                    insurance: m.insurance,
                },
            )
        })
}

/// The secret of `section` (`shop`, `carrier`): from the environment variable named by
/// `key_env`, else `key` from the file. Errors name the key and the variable, never the
/// value.
pub fn resolve_secret(
    section: &str,
    key: Option<&Secret>,
    key_env: Option<&str>,
) -> Result<Secret, ConfigError> {
    resolve_secret_with(section, key, key_env, |var| std::env::var(var).ok())
}

/// [`resolve_secret`] with the environment given as a lookup function.
pub fn resolve_secret_with(
    section: &str,
    key: Option<&Secret>,
    key_env: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Secret, ConfigError> {
    match (key_env, key) {
        (Some(var), _) => match env(var) {
            Some(v) if !v.trim().is_empty() => Ok(Secret(v.trim().to_string())),
            Some(_) => Err(ConfigError::Remote {
                key: format!("{section}.key_env"),
                message: format!("the environment variable {var} is empty"),
            }),
            None => Err(ConfigError::Remote {
                key: format!("{section}.key_env"),
                message: format!("the environment variable {var} is not set"),
            }),
        },
        (None, Some(k)) => Ok(k.clone()),
        (None, None) => Err(ConfigError::Remote {
            key: format!("{section}.key"),
            message: "no API key: set key_env = \"VARIABLE\" (or key in a file only \
                      you can read)"
                .into(),
        }),
    }
}

/// A configured shop client, with its concrete type (for the checks of `packdesk doctor`).
#[derive(Debug, Clone)]
pub enum ShopClient {
    /// Upgates.
    Upgates(Arc<UpgatesClient>),
    /// BaseLinker.
    Baselinker(Arc<BaseLinkerShop>),
}

impl ShopClient {
    /// The same client as a `Shop`.
    pub fn as_shop(&self) -> Arc<dyn Shop> {
        match self {
            ShopClient::Upgates(c) => c.clone(),
            ShopClient::Baselinker(c) => c.clone(),
        }
    }
}

fn remote(key: &str, message: impl fmt::Display) -> ConfigError {
    ConfigError::Remote {
        key: key.to_string(),
        message: message.to_string(),
    }
}

/// Builds the `[shop]` client (secret resolved); `None` when no shop is configured.
pub fn shop_client(config: &super::Config) -> Result<Option<ShopClient>, ConfigError> {
    let Some(s) = &config.shop else {
        return Ok(None);
    };
    let secret = resolve_secret("shop", s.key.as_ref(), s.key_env.as_deref())?;
    let client = match s.kind {
        ShopKind::Upgates => {
            let url = s
                .url
                .as_deref()
                .ok_or_else(|| remote("shop.url", "Upgates needs the shop's API URL"))?;
            let login = s
                .login
                .as_deref()
                .ok_or_else(|| remote("shop.login", "Upgates needs the API login"))?;
            let c = UpgatesClient::new(url, login, secret.expose(), s.send_emails)
                .map_err(|e| remote("shop.url", e))?;
            ShopClient::Upgates(Arc::new(c))
        }
        ShopKind::Baselinker => {
            let url = s.url.as_deref().unwrap_or(BASELINKER_URL);
            let c = BaseLinkerShop::new(url, secret.expose()).map_err(|e| remote("shop.url", e))?;
            ShopClient::Baselinker(Arc::new(c))
        }
    };
    Ok(Some(client))
}

/// Builds the `[shop]` client as a `Shop`; `None` when no shop is configured.
pub fn build_shop(config: &super::Config) -> Result<Option<Arc<dyn Shop>>, ConfigError> {
    Ok(shop_client(config)?.map(|c| c.as_shop()))
}

/// A configured carrier client, with its concrete type.
#[derive(Debug, Clone)]
pub enum CarrierClient {
    /// Balikobot.
    Balikobot(Arc<BalikobotClient>),
    /// BaseLinker couriers, with the API client they use (its token bucket is shared with
    /// a BaseLinker `[shop]` on the same token).
    Baselinker {
        /// The courier client.
        courier: Arc<BaseLinkerCourier>,
        /// Its `connector.php` client.
        api: BaseLinkerApi,
    },
}

impl CarrierClient {
    /// The same client as a `Carrier`.
    pub fn as_carrier(&self) -> Arc<dyn Carrier> {
        match self {
            CarrierClient::Balikobot(c) => c.clone(),
            CarrierClient::Baselinker { courier, .. } => courier.clone(),
        }
    }
}

/// Builds the `[carrier]` API client; `None` for own labels (or no `[carrier]`).
pub fn carrier_client(config: &super::Config) -> Result<Option<CarrierClient>, ConfigError> {
    carrier_with(config, None)
}

/// Builds the `[shop]` and `[carrier]` clients together. When both are BaseLinker on the
/// same URL and token, the courier shares the shop's API client, so that both stay under
/// the one per-token request limit.
pub fn remote_clients(
    config: &super::Config,
) -> Result<(Option<ShopClient>, Option<CarrierClient>), ConfigError> {
    let shop = shop_client(config)?;
    let carrier = carrier_with(config, shop.as_ref())?;
    Ok((shop, carrier))
}

/// The carrier client; a BaseLinker courier shares `shop`'s API client when it is
/// BaseLinker on the same URL and token.
fn carrier_with(
    config: &super::Config,
    shop: Option<&ShopClient>,
) -> Result<Option<CarrierClient>, ConfigError> {
    let Some(c) = &config.carrier else {
        return Ok(None);
    };
    let timeout = Duration::from_secs(c.timeout_s);
    let carrier = match c.kind {
        CarrierKind::OwnLabel => None,
        CarrierKind::Balikobot => {
            let secret = resolve_secret("carrier", c.key.as_ref(), c.key_env.as_deref())?;
            let user = c
                .user
                .as_deref()
                .ok_or_else(|| remote("carrier.user", "Balikobot needs the API user"))?;
            let url = c.url.as_deref().unwrap_or(BALIKOBOT_URL);
            let client = BalikobotClient::new(url, user, secret.expose(), timeout)
                .map_err(|e| remote("carrier.url", e))?;
            Some(CarrierClient::Balikobot(Arc::new(client)))
        }
        CarrierKind::Baselinker => {
            let secret = resolve_secret("carrier", c.key.as_ref(), c.key_env.as_deref())?;
            let url = c.url.as_deref().unwrap_or(BASELINKER_URL);
            let same_account = config.shop.as_ref().and_then(|s| {
                let shop_url = s.url.as_deref().unwrap_or(BASELINKER_URL);
                let shop_secret =
                    resolve_secret("shop", s.key.as_ref(), s.key_env.as_deref()).ok()?;
                (s.kind == ShopKind::Baselinker && same_url(shop_url, url) && shop_secret == secret)
                    .then_some(())
            });
            let api = match (shop, same_account) {
                (Some(ShopClient::Baselinker(s)), Some(())) => s.api().clone(),
                _ => BaseLinkerApi::new(url, secret.expose(), timeout)
                    .map_err(|e| remote("carrier.url", e))?,
            };
            Some(CarrierClient::Baselinker {
                courier: Arc::new(BaseLinkerCourier::with_api(api.clone())),
                api,
            })
        }
    };
    Ok(carrier)
}

fn same_url(a: &str, b: &str) -> bool {
    a.trim().trim_end_matches('/') == b.trim().trim_end_matches('/')
}

/// The shop and the carrier a station works with.
#[derive(Clone)]
pub struct Remote {
    /// The order source; `None` without `[shop]`.
    pub shop: Option<Arc<dyn Shop>>,
    /// The shipment provider; packdesk's own labels without a carrier API.
    pub carrier: Arc<dyn Carrier>,
}

impl fmt::Debug for Remote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Remote")
            .field("shop", &self.shop.as_ref().map(|s| s.kind()))
            .field("carrier", &self.carrier.kind())
            .finish()
    }
}

/// Builds the `[shop]` and `[carrier]` of a station at once (sharing one BaseLinker API
/// client where both use the same token); own labels are written to `out_dir`.
pub fn build_remote(
    config: &super::Config,
    store: Store,
    out_dir: &Path,
) -> Result<Remote, ConfigError> {
    let (shop, carrier) = remote_clients(config)?;
    Ok(Remote {
        shop: shop.map(|s| s.as_shop()),
        carrier: match carrier {
            Some(c) => c.as_carrier(),
            None => Arc::new(OwnLabel::new(store, out_dir, &config.station)),
        },
    })
}

/// Builds the `[carrier]` provider; packdesk's own labels (written to `out_dir`) when no
/// carrier API is configured.
pub fn build_carrier(
    config: &super::Config,
    store: Store,
    out_dir: &Path,
) -> Result<Arc<dyn Carrier>, ConfigError> {
    Ok(match carrier_client(config)? {
        Some(c) => c.as_carrier(),
        None => Arc::new(OwnLabel::new(store, out_dir, &config.station)),
    })
}

/// Checks of the remote sections that serde cannot make: `(dotted path, message)` of the
/// first problem.
pub(crate) fn validate(config: &super::Config) -> Option<(Vec<String>, String)> {
    let at = |p: &[&str], m: &str| Some((p.iter().map(|s| s.to_string()).collect(), m.into()));
    if let Some(s) = &config.shop {
        if let Some(e) = check_url(s.url.as_deref()) {
            return at(&["shop", "url"], &e);
        }
        if s.key.is_some() && s.key_env.is_some() {
            return at(&["shop", "key"], "give key or key_env, not both");
        }
        if let Some(e) = check_env_name(s.key_env.as_deref()) {
            return at(&["shop", "key_env"], &e);
        }
        if s.kind == ShopKind::Upgates {
            if s.url.is_none() {
                return at(
                    &["shop", "kind"],
                    "Upgates needs `url` (the shop's API URL)",
                );
            }
            if s.login.as_deref().is_none_or(|l| l.trim().is_empty()) {
                return at(&["shop", "kind"], "Upgates needs `login` (the API login)");
            }
        }
    }
    if let Some(c) = &config.carrier {
        if let Some(e) = check_url(c.url.as_deref()) {
            return at(&["carrier", "url"], &e);
        }
        if c.key.is_some() && c.key_env.is_some() {
            return at(&["carrier", "key"], "give key or key_env, not both");
        }
        if let Some(e) = check_env_name(c.key_env.as_deref()) {
            return at(&["carrier", "key_env"], &e);
        }
        if c.timeout_s == 0 || c.timeout_s > 600 {
            return at(
                &["carrier", "timeout_s"],
                "must be between 1 and 600 seconds",
            );
        }
        if c.kind == CarrierKind::Balikobot && c.user.as_deref().is_none_or(|u| u.trim().is_empty())
        {
            return at(
                &["carrier", "kind"],
                "Balikobot needs `user` (the API user)",
            );
        }
        for (i, m) in c.map.iter().enumerate() {
            let idx = i.to_string();
            let p = |k: &'static str| vec!["carrier", "map", idx.as_str(), k];
            if m.shipping.trim().is_empty() {
                return at(&p("shipping"), "the shipping method must not be empty");
            }
            if m.carrier.trim().is_empty() {
                return at(&p("carrier"), "the carrier code must not be empty");
            }
            if let Some(w) = m.default_weight_kg
                && !(w.is_finite() && w > 0.0 && w <= 1000.0)
            {
                return at(
                    &p("default_weight_kg"),
                    "must be a weight in kg above 0 and at most 1000",
                );
            }
            if let Some(j) = c.map[..i]
                .iter()
                .position(|o| o.shipping.trim().eq_ignore_ascii_case(m.shipping.trim()))
            {
                return at(
                    &p("shipping"),
                    &format!("this shipping method is already mapped by carrier.map[{j}]"),
                );
            }
        }
    }
    if let Some(s) = &config.status {
        for (key, v) in s.named() {
            if v.trim().is_empty() {
                let parts: Vec<String> = key
                    .replace(['[', ']'], ".")
                    .split('.')
                    .filter(|p| !p.is_empty())
                    .map(str::to_string)
                    .collect();
                return Some((parts, "a status must not be empty".into()));
            }
        }
    }
    None
}

fn check_url(url: Option<&str>) -> Option<String> {
    let u = url?;
    match reqwest::Url::parse(u.trim()) {
        Ok(p) if matches!(p.scheme(), "http" | "https") && p.host().is_some() => None,
        _ => Some("must be an http:// or https:// URL".into()),
    }
}

fn check_env_name(name: Option<&str>) -> Option<String> {
    let n = name?;
    let ok = !n.is_empty()
        && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !n.starts_with(|c: char| c.is_ascii_digit());
    (!ok).then(|| "must be the name of an environment variable, e.g. UPGATES_KEY".into())
}

/// The dotted keys holding a secret in the file (`shop.key`, `carrier.key`).
pub(crate) fn secrets_in_file(config: &super::Config) -> Vec<[&'static str; 2]> {
    let mut out = Vec::new();
    if config.shop.as_ref().is_some_and(|s| s.key.is_some()) {
        out.push(["shop", "key"]);
    }
    if config.carrier.as_ref().is_some_and(|c| c.key.is_some()) {
        out.push(["carrier", "key"]);
    }
    out
}

/// Whether a file with this mode may hold a secret (not readable by group or others).
pub fn mode_is_private(mode: u32) -> bool {
    mode & 0o044 == 0
}

/// The permission bits of `path` (unix); `None` elsewhere.
#[cfg(unix)]
pub(crate) fn file_mode(path: &Path) -> std::io::Result<Option<u32>> {
    use std::os::unix::fs::PermissionsExt;
    Ok(Some(std::fs::metadata(path)?.permissions().mode() & 0o777))
}

/// The permission bits of `path` (unix); `None` elsewhere.
#[cfg(not(unix))]
pub(crate) fn file_mode(_path: &Path) -> std::io::Result<Option<u32>> {
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(shipping: &str, carrier: &str, service: &str) -> CarrierMap {
        CarrierMap {
            shipping: shipping.into(),
            carrier: carrier.into(),
            service: service.into(),
            size_class: None,
            default_weight_kg: Some(1.5),
            insurance: true,
        }
    }

    #[test]
    fn secret_never_prints() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?} {s}"), "*** ***");
        assert_eq!(s.expose(), "hunter2");
        let section = ShopSection {
            kind: ShopKind::Upgates,
            url: None,
            login: None,
            key: Some(s),
            key_env: None,
            send_emails: false,
        };
        assert!(!format!("{section:?}").contains("hunter2"));
    }

    #[test]
    fn maps_by_method_without_case() {
        let map = [
            entry("ppl", "ppl", "4"),
            entry("Balik Na Postu", "cp", "NP"),
        ];
        let ship = |m: &str| Shipping {
            method: m.into(),
            ..Shipping::default()
        };
        let (carrier, service, d) = map_shipping(&map, &ship(" balik na postu ")).unwrap();
        assert_eq!((carrier.as_str(), service.as_str()), ("cp", "NP"));
        assert_eq!(d.weight_kg, Some(1.5));
        assert!(d.insurance);
        assert_eq!(
            map_shipping(&map, &ship("PPL")).map(|m| m.1),
            Some("4".into())
        );
        assert!(map_shipping(&map, &ship("dpd")).is_none());
        assert!(map_shipping(&map, &ship("")).is_none());
    }

    #[test]
    fn env_secret_wins_and_missing_variable_is_named() {
        let env = |v: &str| match v {
            "SHOP_KEY" => Some(" s3cret \n".to_string()),
            "BLANK" => Some("  ".to_string()),
            _ => None,
        };
        let file_key = Secret::new("from-file");
        let got = resolve_secret_with("shop", Some(&file_key), Some("SHOP_KEY"), env).unwrap();
        assert_eq!(got.expose(), "s3cret");
        let blank = resolve_secret_with("shop", None, Some("BLANK"), env).unwrap_err();
        assert!(blank.to_string().contains("BLANK is empty"), "{blank}");
        let err = resolve_secret_with("carrier", None, Some("PACKDESK_TEST_REMOTE_UNSET_B"), env)
            .unwrap_err()
            .to_string();
        assert!(err.contains("carrier.key_env"), "{err}");
        assert!(err.contains("PACKDESK_TEST_REMOTE_UNSET_B"), "{err}");
        let none = resolve_secret("shop", None, None).unwrap_err().to_string();
        assert!(none.contains("shop.key"), "{none}");
        let file = resolve_secret("shop", Some(&Secret::new("f")), None).unwrap();
        assert_eq!(file.expose(), "f");
    }

    #[test]
    fn private_modes() {
        assert!(mode_is_private(0o600));
        assert!(mode_is_private(0o400));
        assert!(mode_is_private(0o620));
        assert!(!mode_is_private(0o640));
        assert!(!mode_is_private(0o604));
        assert!(!mode_is_private(0o644));
    }
}
