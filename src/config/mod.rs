//! Station configuration: `station.toml` and the directories packdesk uses.
//!
//! Every key is optional and documented in [`documented_defaults`] (the same text is
//! `station.example.toml` at the repository root). Unknown keys, wrong types and values
//! out of range are errors that name the file, line, column and key.
//!
//! Each `[section]` is its own struct with `#[serde(default, deny_unknown_fields)]`; a new
//! section is a new struct, a field on [`Config`] and its block in the example file.

mod error;
mod paths;
mod remote;

use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use error::ConfigError;
pub use paths::{CONFIG_FILE_NAME, Paths};
pub use remote::{
    BALIKOBOT_URL, BASELINKER_URL, CarrierClient, CarrierKind, CarrierMap, CarrierSection, Remote,
    Secret, ShipDefaults, ShopClient, ShopKind, ShopSection, StatusSection, build_carrier,
    build_remote, build_shop, carrier_client, map_shipping, mode_is_private, remote_clients,
    resolve_secret, resolve_secret_with, shop_client,
};

/// The default station configuration with a comment on every key.
pub fn documented_defaults() -> &'static str {
    include_str!("../../station.example.toml")
}

/// The whole `station.toml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Name of this bench; recorded with every scan and event.
    pub station: String,
    /// UI language (`cs`, `pl`, `en`); `None` follows the environment.
    pub language: Option<String>,
    /// Keymap name (`keymaps/<name>.toml`, built in or in the config dir).
    pub keymap: String,
    /// Theme name (`themes/<name>.toml`, built in or in the config dir).
    pub theme: String,
    /// Ring the terminal bell (BEL) when a scan is rejected.
    pub bell: bool,
    /// Create the shipment and its label as soon as an order is packed (the demo sets this).
    pub ship_on_pack: bool,
    /// Where labels, packing slips and exports are written.
    pub out_dir: PathBuf,
    /// The rules file (automatic actions). `None`: `rules.toml` in the config directory;
    /// a relative path is relative to the config directory. A missing file is no rules.
    pub rules_file: Option<PathBuf>,
    /// `[scanner]`: how keystrokes are told apart from scans.
    pub scanner: crate::scan::ScanConfig,
    /// `[packing]`: what a finished package needs.
    pub packing: PackingSection,
    /// `[printers]`: where labels and documents are printed. Left out: nothing is printed,
    /// labels are only written to `out_dir`.
    pub printers: Option<crate::print::PrintersSection>,
    /// `[camera]`: the parcel photo (none by default).
    pub camera: crate::camera::config::CameraSection,
    /// `[shop]`: where orders come from; `None`: no shop (demo or local orders only).
    pub shop: Option<ShopSection>,
    /// `[carrier]`: who makes shipments; `None`: packdesk's own labels.
    pub carrier: Option<CarrierSection>,
    /// `[status]`: shop statuses of the queue and of our events; `None`: none set.
    pub status: Option<StatusSection>,
    /// `[docs]`: how the order detail opens an order's documents.
    pub docs: DocsSection,
}

/// `[docs]`: how an order's documents (invoice, slip, labels, hand-over protocol) are
/// opened from the order detail. Without `open_with` they are printed on the station's
/// document (or label) printer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default, deny_unknown_fields, expecting = "a [docs] table")]
pub struct DocsSection {
    /// A viewer run on the saved file, in the background (`"xdg-open"`, `"evince"`,
    /// `"lp -d Office {file}"`): words split at spaces, `{file}` is the file (appended
    /// when not given). `None`: documents are printed instead.
    pub open_with: Option<String>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            station: "bench-1".to_string(),
            language: None,
            keymap: "default".to_string(),
            theme: "default".to_string(),
            bell: true,
            ship_on_pack: false,
            out_dir: PathBuf::from("./packdesk-out"),
            rules_file: None,
            scanner: crate::scan::ScanConfig::default(),
            packing: PackingSection::default(),
            printers: None,
            camera: crate::camera::config::CameraSection::default(),
            shop: None,
            carrier: None,
            status: None,
            docs: DocsSection::default(),
        }
    }
}

/// `[packing]`: what the bench demands before a package is done.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields, expecting = "a [packing] table")]
pub struct PackingSection {
    /// A package cannot be finished without a weight.
    pub require_weight: bool,
    /// The packer may confirm a line by hand (a key) instead of scanning it.
    pub allow_manual_confirm: bool,
    /// The weight (kg) used for a package whose products have no weights.
    pub default_weight_kg: f64,
}

impl Default for PackingSection {
    fn default() -> PackingSection {
        PackingSection {
            require_weight: false,
            allow_manual_confirm: true,
            default_weight_kg: 0.5,
        }
    }
}

impl Config {
    /// Reads and parses `path`. A missing file is an error here; see
    /// [`Paths::load_config`] for the default location, where it is not. A file holding a
    /// secret (`shop.key`, `carrier.key`) must not be readable by group or others.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ConfigError::Missing {
                    path: path.to_path_buf(),
                });
            }
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        let config = Config::from_toml_str(&text, path)?;
        config.check_secret_file(&text, path)?;
        Ok(config)
    }

    /// A secret in the file is accepted only when the file is private (unix mode).
    fn check_secret_file(&self, text: &str, path: &Path) -> Result<(), ConfigError> {
        let Some(first) = remote::secrets_in_file(self).into_iter().next() else {
            return Ok(());
        };
        let mode = remote::file_mode(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        match mode {
            Some(m) if !remote::mode_is_private(m) => Err(ConfigError::at(
                path,
                text,
                error::value_span(text, &first),
                Some(first.join(".")),
                format!(
                    "this file holds a secret but is readable by others (mode {m:03o}): \
                     run `chmod 600 {}`, or use key_env instead of key",
                    path.display()
                ),
            )),
            _ => Ok(()),
        }
    }

    /// Parses and validates `text`; `origin` is the file name used in errors.
    pub fn from_toml_str(text: &str, origin: &Path) -> Result<Config, ConfigError> {
        let config: Config =
            toml::from_str(text).map_err(|e| ConfigError::from_toml(origin, text, &e))?;
        config.validate(text, origin)?;
        Ok(config)
    }

    /// Checks the values serde cannot: ranges and non-empty lists.
    fn validate(&self, text: &str, origin: &Path) -> Result<(), ConfigError> {
        let fail = |path: &[&str], message: &str| {
            Err(ConfigError::at(
                origin,
                text,
                error::value_span(text, path),
                Some(path.join(".")),
                message.to_string(),
            ))
        };
        if self.station.trim().is_empty() {
            return fail(&["station"], "the station name must not be empty");
        }
        if self.station.chars().any(char::is_control) {
            return fail(
                &["station"],
                "the station name must not contain control characters",
            );
        }
        if let Err(e) = self.scanner.validate() {
            return fail(&["scanner", e.key()], &e.to_string());
        }
        let w = self.packing.default_weight_kg;
        if !(w.is_finite() && w > 0.0 && w <= 1000.0) {
            return fail(
                &["packing", "default_weight_kg"],
                "must be a weight in kg above 0 and at most 1000",
            );
        }
        if let Some((path, message)) = remote::validate(self) {
            let parts: Vec<&str> = path.iter().map(String::as_str).collect();
            let mut key = String::new();
            for p in &parts {
                if p.parse::<usize>().is_ok() {
                    key.push_str(&format!("[{p}]"));
                } else {
                    if !key.is_empty() {
                        key.push('.');
                    }
                    key.push_str(p);
                }
            }
            return Err(ConfigError::at(
                origin,
                text,
                error::value_span(text, &parts),
                Some(key),
                message,
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_defaults_equal_default() {
        let parsed = Config::from_toml_str(documented_defaults(), Path::new("example.toml"));
        assert_eq!(parsed.ok(), Some(Config::default()));
    }

    #[test]
    fn range_errors_point_at_the_value() {
        let text = "[packing]\ndefault_weight_kg = -1.0\n";
        let err = Config::from_toml_str(text, Path::new("s.toml"));
        match err {
            Err(ConfigError::Invalid {
                line, column, key, ..
            }) => {
                assert_eq!(line, Some(2));
                assert_eq!(column, Some(21));
                assert_eq!(key.as_deref(), Some("packing.default_weight_kg"));
            }
            other => panic!("expected Invalid, got {other:?}"),
        }
    }
}
