//! `packdesk doctor`: checks the station config against the real shop and carrier —
//! secrets found, reachable, credentials accepted, every `[status]` known to the shop,
//! every `[[carrier.map]]` service known to Balikobot — one line per check.

use std::collections::HashMap;
use std::fmt;
use std::io::Write;

use anyhow::{Context, Result, bail};

use crate::carrier::balikobot::{BalikobotClient, ServiceType};
use crate::config::{
    CarrierClient, CarrierKind, Config, Paths, ShopClient, carrier_client, resolve_secret,
    shop_client,
};
use crate::domain::text::sanitize;
use crate::shop::baselinker::BaseLinkerShop;
use crate::shop::{Shop, ShopStatus};

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Fine.
    Ok,
    /// Wrong; `packdesk doctor` exits non-zero.
    Fail,
    /// Not checked (not configured, or an earlier check failed).
    Skip,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Outcome::Ok => "OK",
            Outcome::Fail => "FAIL",
            Outcome::Skip => "SKIP",
        })
    }
}

/// One check: what was checked, how it came out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// What was checked (`shop`, `status.packed`, `carrier.map[1]` …).
    pub name: String,
    /// The result.
    pub outcome: Outcome,
    /// Why, in words (never a secret).
    pub reason: String,
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:<5}{:<20} {}",
            self.outcome.to_string(),
            self.name,
            sanitize(&self.reason)
        )
    }
}

fn check(name: impl Into<String>, outcome: Outcome, reason: impl Into<String>) -> Check {
    Check {
        name: name.into(),
        outcome,
        reason: reason.into(),
    }
}

/// Where a secret comes from, in words.
fn secret_source(section: &str, key_env: Option<&str>) -> String {
    match key_env {
        Some(var) => format!("{section} key from ${var}"),
        None => format!("{section} key from the config file (readable by its owner only)"),
    }
}

/// Whether `wanted` (an id or a name) is one of `statuses`; the matching status.
pub fn find_status<'a>(statuses: &'a [ShopStatus], wanted: &str) -> Option<&'a ShopStatus> {
    let w = wanted.trim();
    statuses
        .iter()
        .find(|s| s.id == w)
        .or_else(|| {
            statuses
                .iter()
                .find(|s| s.name.trim().eq_ignore_ascii_case(w))
        })
        .or_else(|| {
            // Case-insensitive beyond ASCII (Czech, Polish names).
            let lw = w.to_lowercase();
            statuses.iter().find(|s| s.name.trim().to_lowercase() == lw)
        })
}

/// `name (id), …` of a status list, for messages.
pub fn list_statuses(statuses: &[ShopStatus]) -> String {
    statuses
        .iter()
        .map(|s| format!("{} ({})", s.name, s.id))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs every check of `config` (loaded from `origin`).
pub async fn run_checks(config: &Config) -> Vec<Check> {
    let mut out = Vec::new();
    shop_checks(config, &mut out).await;
    carrier_checks(config, &mut out).await;
    out
}

async fn shop_checks(config: &Config, out: &mut Vec<Check>) {
    let Some(section) = &config.shop else {
        out.push(check(
            "shop",
            Outcome::Skip,
            "no [shop] configured: local orders only",
        ));
        if let Some(st) = &config.status
            && !st.named().is_empty()
        {
            out.push(check(
                "status",
                Outcome::Fail,
                "[status] names shop statuses but there is no [shop] to check them against",
            ));
        }
        return;
    };
    match resolve_secret("shop", section.key.as_ref(), section.key_env.as_deref()) {
        Ok(_) => out.push(check(
            "shop.key",
            Outcome::Ok,
            secret_source("shop", section.key_env.as_deref()),
        )),
        Err(e) => {
            out.push(check("shop.key", Outcome::Fail, e.to_string()));
            return;
        }
    }
    let client = match shop_client(config) {
        Ok(Some(c)) => c,
        Ok(None) => return,
        Err(e) => {
            out.push(check("shop", Outcome::Fail, e.to_string()));
            return;
        }
    };
    let (statuses, reached) = match &client {
        ShopClient::Upgates(c) => match c.check().await {
            Ok(()) => (
                c.statuses().await,
                format!("upgates at {}: credentials accepted", c.current_base_url()),
            ),
            Err(e) => {
                out.push(check("shop", Outcome::Fail, e.to_string()));
                return;
            }
        },
        ShopClient::Baselinker(c) => (
            c.statuses().await,
            format!("baselinker at {}: token accepted", c.api().url()),
        ),
    };
    let statuses = match statuses {
        Ok(s) => {
            out.push(check(
                "shop",
                Outcome::Ok,
                format!("{reached}, {} order statuses", s.len()),
            ));
            s
        }
        Err(e) => {
            out.push(check("shop", Outcome::Fail, e.to_string()));
            return;
        }
    };
    if config.status.as_ref().is_none_or(|s| s.cancelled.is_none()) {
        // No `[status] cancelled`: the sync takes the shop's own cancel statuses.
        let found = crate::shop::status::default_cancelled(&statuses);
        out.push(if found.is_empty() {
            check(
                "status.cancelled",
                Outcome::Skip,
                "the shop has no cancel status; set [status] cancelled to name one",
            )
        } else {
            check(
                "status.cancelled",
                Outcome::Ok,
                format!(
                    "not set: orders in {} count as cancelled",
                    list_statuses(&found)
                ),
            )
        });
    }
    let Some(st) = &config.status else {
        out.push(check(
            "status",
            Outcome::Skip,
            "no [status] configured: packdesk sets no shop status",
        ));
        return;
    };
    for (key, wanted) in st.named() {
        match find_status(&statuses, wanted) {
            Some(s) => out.push(check(
                key,
                Outcome::Ok,
                format!("\"{wanted}\" is {} (id {})", s.name, s.id),
            )),
            None => out.push(check(
                key,
                Outcome::Fail,
                format!(
                    "\"{wanted}\" is not a status of the shop; it has: {}",
                    list_statuses(&statuses)
                ),
            )),
        }
    }
    if st.notify_customer && !section.send_emails {
        out.push(check(
            "status.notify_customer",
            Outcome::Fail,
            "customers are never e-mailed while [shop] send_emails = false",
        ));
    }
}

async fn carrier_checks(config: &Config, out: &mut Vec<Check>) {
    let Some(section) = &config.carrier else {
        out.push(check(
            "carrier",
            Outcome::Ok,
            "no [carrier] configured: packdesk prints its own labels",
        ));
        return;
    };
    if section.kind == CarrierKind::OwnLabel {
        out.push(check(
            "carrier",
            Outcome::Ok,
            format!("own labels, {} mapped shipping methods", section.map.len()),
        ));
        return;
    }
    match resolve_secret("carrier", section.key.as_ref(), section.key_env.as_deref()) {
        Ok(_) => out.push(check(
            "carrier.key",
            Outcome::Ok,
            secret_source("carrier", section.key_env.as_deref()),
        )),
        Err(e) => {
            out.push(check("carrier.key", Outcome::Fail, e.to_string()));
            return;
        }
    }
    let client = match carrier_client(config) {
        Ok(Some(c)) => c,
        Ok(None) => return,
        Err(e) => {
            out.push(check("carrier", Outcome::Fail, e.to_string()));
            return;
        }
    };
    match client {
        CarrierClient::Balikobot(c) => balikobot_checks(&c, config, out).await,
        CarrierClient::Baselinker { api, .. } => {
            // The courier API has no cheap call of its own; the token is checked with
            // getOrderStatusList, which every token may call.
            let url = api.url().to_string();
            match BaseLinkerShop::with_api(api).statuses().await {
                Ok(_) => out.push(check(
                    "carrier",
                    Outcome::Ok,
                    format!("baselinker couriers at {url}: token accepted"),
                )),
                Err(e) => {
                    out.push(check("carrier", Outcome::Fail, e.to_string()));
                    return;
                }
            }
            if !section.map.is_empty() {
                out.push(check(
                    "carrier.map",
                    Outcome::Skip,
                    "services of BaseLinker couriers are not checked",
                ));
            }
        }
    }
}

async fn balikobot_checks(c: &BalikobotClient, config: &Config, out: &mut Vec<Check>) {
    let Some(section) = &config.carrier else {
        return;
    };
    let url = section
        .url
        .as_deref()
        .unwrap_or(crate::config::BALIKOBOT_URL);
    // SERVICES of the first mapped carrier (or `cp`) proves reachability and credentials.
    let first = section
        .map
        .first()
        .map_or("cp".to_string(), |m| m.carrier.trim().to_string());
    let mut cache: HashMap<String, Result<Vec<ServiceType>, String>> = HashMap::new();
    let probe = c.services(&first).await;
    match &probe {
        Ok(_) => out.push(check(
            "carrier",
            Outcome::Ok,
            format!("balikobot at {url}: credentials accepted"),
        )),
        Err(e @ crate::carrier::CarrierError::Auth { .. })
        | Err(e @ crate::carrier::CarrierError::Unreachable { .. }) => {
            out.push(check("carrier", Outcome::Fail, e.to_string()));
            return;
        }
        // Another error (an unknown carrier code) still shows the API answered.
        Err(_) => out.push(check(
            "carrier",
            Outcome::Ok,
            format!("balikobot at {url}: reachable"),
        )),
    }
    cache.insert(first, probe.map_err(|e| e.to_string()));
    for (i, m) in section.map.iter().enumerate() {
        let name = format!("carrier.map[{i}]");
        let carrier = m.carrier.trim().to_string();
        if !cache.contains_key(&carrier) {
            let got = c.services(&carrier).await.map_err(|e| e.to_string());
            cache.insert(carrier.clone(), got);
        }
        let Some(services) = cache.get(&carrier) else {
            continue;
        };
        match services {
            Err(e) => out.push(check(
                name,
                Outcome::Fail,
                format!("carrier \"{carrier}\": {e}"),
            )),
            Ok(list) => match list.iter().find(|s| s.code == m.service.trim()) {
                Some(s) => out.push(check(
                    name,
                    Outcome::Ok,
                    format!("\"{}\" → {carrier} {} ({})", m.shipping, s.code, s.name),
                )),
                None => out.push(check(
                    name,
                    Outcome::Fail,
                    format!(
                        "\"{}\": service \"{}\" is not a {carrier} service; {carrier} has: {}",
                        m.shipping,
                        m.service,
                        list.iter()
                            .map(|s| s.code.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )),
            },
        }
    }
}

/// `packdesk doctor`: loads the config, runs the checks, writes one line per check to
/// `out`; an error when any check failed.
pub fn cli(paths: &Paths, out: &mut dyn Write) -> Result<()> {
    let config = match paths.load_config() {
        Ok(c) => c,
        Err(e) => {
            writeln!(out, "{}", check("config", Outcome::Fail, e.to_string()))?;
            bail!("doctor: the config cannot be used");
        }
    };
    let described = if paths.config_file.exists() {
        paths.config_file.display().to_string()
    } else {
        format!("{} (not there: defaults)", paths.config_file.display())
    };
    writeln!(out, "{}", check("config", Outcome::Ok, described))?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let checks = rt.block_on(run_checks(&config));
    for c in &checks {
        writeln!(out, "{c}")?;
    }
    out.flush()?;
    let failed = checks.iter().filter(|c| c.outcome == Outcome::Fail).count();
    if failed > 0 {
        bail!("doctor: {failed} check(s) failed");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(id: &str, name: &str) -> ShopStatus {
        ShopStatus {
            id: id.into(),
            name: name.into(),
            kind: String::new(),
        }
    }

    #[test]
    fn statuses_match_by_id_or_name_without_case() {
        let list = [st("1", "Přijatá"), st("5", "ZABALENÁ"), st("7", "7")];
        assert_eq!(find_status(&list, "1").map(|s| s.id.as_str()), Some("1"));
        assert_eq!(
            find_status(&list, " přijatá ").map(|s| s.id.as_str()),
            Some("1")
        );
        assert_eq!(
            find_status(&list, "zabalená").map(|s| s.id.as_str()),
            Some("5")
        );
        assert!(find_status(&list, "Odeslaná").is_none());
        assert_eq!(list_statuses(&list[..2]), "Přijatá (1), ZABALENÁ (5)");
    }

    #[test]
    fn lines_are_sanitized() {
        let c = check("shop", Outcome::Fail, "bad\x1b[31m name");
        let line = c.to_string();
        assert!(line.starts_with("FAIL shop"), "{line}");
        assert!(!line.contains('\x1b'), "{line}");
    }
}
