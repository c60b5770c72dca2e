//! `packdesk sim`: the Upgates, BaseLinker and Balikobot simulators on loopback, for trying
//! packdesk (or anything else) against them without real accounts.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use super::balikobot::BalikobotSim;
use super::baselinker::BaseLinkerSim;
use super::upgates::UpgatesSim;
use super::{Faults, Running};

/// The Upgates API login the simulator accepts.
pub const UPGATES_LOGIN: &str = "packdesk";
/// The Upgates API key the simulator accepts.
pub const UPGATES_KEY: &str = "sim-upgates-key";
/// The BaseLinker token the simulator accepts.
pub const BASELINKER_TOKEN: &str = "sim-baselinker-token";
/// The Balikobot API user the simulator accepts.
pub const BALIKOBOT_USER: &str = "packdesk";
/// The Balikobot API key the simulator accepts.
pub const BALIKOBOT_KEY: &str = "sim-balikobot-key";
/// How many demo orders each shop simulator gets without a seed file.
pub const DEMO_ORDERS: usize = 40;

/// Options of `packdesk sim`.
#[derive(Debug, Clone, clap::Args)]
pub struct SimArgs {
    /// Upgates listens on this port, BaseLinker on the next, Balikobot on the one after
    /// (0: any free ports).
    #[arg(long, default_value_t = 8081)]
    pub port_base: u16,
    /// Seed Upgates from a saved `GET /orders` answer (JSON) instead of demo orders.
    #[arg(long, value_name = "FILE")]
    pub upgates_orders: Option<PathBuf>,
    /// Seed BaseLinker from a saved `getOrders` answer (JSON) instead of demo orders.
    #[arg(long, value_name = "FILE")]
    pub baselinker_orders: Option<PathBuf>,
    /// Fraction (0–1) of requests answered with HTTP 503.
    #[arg(long, default_value_t = 0.0, value_parser = fraction)]
    pub error_rate: f64,
    /// Fraction (0–1) of requests applied but never answered (the client times out).
    #[arg(long, default_value_t = 0.0, value_parser = fraction)]
    pub timeout_rate: f64,
    /// Added to every answer, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Answer 429 (quota exhausted) after this many requests to each simulator.
    #[arg(long)]
    pub quota: Option<u64>,
    /// Seed of the fault dice and the demo orders (same seed: same run).
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
}

fn fraction(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(f) if (0.0..=1.0).contains(&f) => Ok(f),
        _ => Err(format!("{s:?} is not a fraction between 0 and 1")),
    }
}

/// The three simulators, running.
pub struct Sims {
    /// The Upgates simulator (state, for inspection).
    pub upgates: UpgatesSim,
    /// The BaseLinker simulator.
    pub baselinker: BaseLinkerSim,
    /// The Balikobot simulator.
    pub balikobot: BalikobotSim,
    /// Where each one listens (stop by dropping).
    pub running: Vec<Running>,
}

impl std::fmt::Debug for Sims {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sims")
            .field("running", &self.running)
            .finish()
    }
}

impl Sims {
    /// One line per simulator: name, base URL and the credentials it accepts.
    pub fn banner(&self) -> Vec<String> {
        self.running
            .iter()
            .map(|r| {
                let creds = match r.name {
                    "upgates" => format!("login={UPGATES_LOGIN} key={UPGATES_KEY}"),
                    "baselinker" => format!("token={BASELINKER_TOKEN}"),
                    _ => format!("user={BALIKOBOT_USER} key={BALIKOBOT_KEY}"),
                };
                format!("{:<11}{}  {creds}", r.name, r.base_url)
            })
            .collect()
    }
}

fn read_json(path: &Path) -> Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not valid JSON", path.display()))
}

/// Seeds and starts the three simulators (must run inside a tokio runtime).
pub async fn start(args: &SimArgs) -> Result<Sims> {
    let faults = Faults {
        error_rate: args.error_rate,
        timeout_rate: args.timeout_rate,
        latency: Duration::from_millis(args.latency_ms),
        quota: args.quota,
    };
    let upgates = UpgatesSim::new(UPGATES_LOGIN, UPGATES_KEY, faults.clone(), args.seed);
    let baselinker = BaseLinkerSim::new(BASELINKER_TOKEN, faults.clone(), args.seed);
    let balikobot = BalikobotSim::new(BALIKOBOT_USER, BALIKOBOT_KEY, faults, args.seed);

    let demo = || crate::demo::generate(args.seed, DEMO_ORDERS, chrono::Utc::now());
    match &args.upgates_orders {
        Some(file) => {
            let n = upgates
                .seed_orders_json(&read_json(file)?)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            tracing::info!(orders = n, file = %file.display(), "upgates sim seeded");
        }
        None => upgates.add_orders(demo().iter().map(super::upgates::demo_order_json).collect()),
    }
    match &args.baselinker_orders {
        Some(file) => {
            let n = baselinker
                .seed_orders_json(&read_json(file)?)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            tracing::info!(orders = n, file = %file.display(), "baselinker sim seeded");
        }
        None => baselinker.add_orders(
            demo()
                .iter()
                .map(super::baselinker::demo_order_json)
                .collect(),
        ),
    }

    let port = |offset: u16| -> Result<u16> {
        if args.port_base == 0 {
            return Ok(0);
        }
        match args.port_base.checked_add(offset) {
            Some(p) => Ok(p),
            None => bail!("--port-base {} leaves no room for 3 ports", args.port_base),
        }
    };
    let bind = |name: &str, p: u16, e: std::io::Error| {
        anyhow::anyhow!("{name} simulator cannot listen on 127.0.0.1:{p}: {e}")
    };
    let (p0, p1, p2) = (port(0)?, port(1)?, port(2)?);
    let running = vec![
        upgates
            .start(p0)
            .await
            .map_err(|e| bind("upgates", p0, e))?,
        baselinker
            .start(p1)
            .await
            .map_err(|e| bind("baselinker", p1, e))?,
        balikobot
            .start(p2)
            .await
            .map_err(|e| bind("balikobot", p2, e))?,
    ];
    Ok(Sims {
        upgates,
        baselinker,
        balikobot,
        running,
    })
}

/// `packdesk sim`: starts the simulators, writes one line per simulator to `out`, and
/// serves until Ctrl+C.
pub fn run(args: &SimArgs, out: &mut dyn Write) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async {
        let sims = start(args).await?;
        for line in sims.banner() {
            writeln!(out, "{line}")?;
        }
        out.flush()?;
        tokio::signal::ctrl_c()
            .await
            .context("cannot wait for Ctrl+C")?;
        drop(sims);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions_are_checked() {
        assert_eq!(fraction("0.2"), Ok(0.2));
        assert_eq!(fraction("1"), Ok(1.0));
        assert!(fraction("1.5").is_err());
        assert!(fraction("-0.1").is_err());
        assert!(fraction("x").is_err());
    }
}
