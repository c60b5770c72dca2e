//! `packdesk rules check | test | log`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Subcommand;

use crate::config::Paths;
use crate::domain::text::sanitize;
use crate::store::Store;

use super::{Event, EventKind, Facts, Outcome, RuleLog, RuleSet, evaluate, simulate};

/// The default rules file name in the config directory.
pub const RULES_FILE_NAME: &str = "rules.toml";

/// How deep `rules test` follows `fire` / `on_failure` chains.
const MAX_FOLLOW_DEPTH: usize = 8;

/// `packdesk rules …`
#[derive(Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum RulesCmd {
    /// Parse and validate a rules file; errors name the file, line and key.
    Check {
        /// The rules file (default: rules.toml in the config dir).
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
    },
    /// Show which rules an event would run for an order, and their actions, without
    /// doing anything.
    Test {
        /// The order number (or shop id, tracking number).
        #[arg(long, value_name = "N")]
        order: String,
        /// The event (`packed`, `order_paid`, `custom:gift_wrap` …).
        #[arg(long)]
        event: String,
        /// Days in status, for `order_in_status_for_days`.
        #[arg(long, default_value_t = 1)]
        days: u32,
        /// The rules file (default: rules.toml in the config dir).
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
    },
    /// The latest rule executions, newest first, with each action's outcome.
    Log {
        /// How many executions to show.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
}

fn rules_file(paths: &Paths, file: Option<PathBuf>) -> PathBuf {
    file.unwrap_or_else(|| paths.config_dir.join(RULES_FILE_NAME))
}

/// Runs a `packdesk rules` subcommand, writing its report to `out`.
pub fn run_cli(cmd: RulesCmd, paths: &Paths, out: &mut dyn Write) -> Result<()> {
    match cmd {
        RulesCmd::Check { file } => {
            let file = rules_file(paths, file);
            let set = RuleSet::load(&file)?;
            writeln!(
                out,
                "{}: OK, {} rules, {} buttons",
                sanitize(&file.display().to_string()),
                set.rules().len(),
                set.buttons().len()
            )?;
            Ok(())
        }
        RulesCmd::Test {
            order,
            event,
            days,
            file,
        } => {
            let file = rules_file(paths, file);
            let set = RuleSet::load(&file)?;
            let Some(kind) = EventKind::parse(&event, days) else {
                bail!(
                    "unknown event `{event}` (known: {}, custom:<name>)",
                    EventKind::BUILTIN.join(", ")
                );
            };
            let station = paths.load_config()?.station;
            let store = Store::open(&paths.data_dir)?;
            let facts = order_facts(&store, &order, &station)?;
            test_report(&set, &file, kind, &facts, out)
        }
        RulesCmd::Log { limit } => {
            let store = Store::open(&paths.data_dir)?;
            let log = RuleLog::open(&store)?;
            for r in log.list(limit)? {
                let state = match (r.finished_at, r.failed()) {
                    (None, _) => "unfinished",
                    (Some(_), true) => "failed",
                    (Some(_), false) if r.queued() => "queued",
                    (Some(_), false) => "ok",
                };
                writeln!(
                    out,
                    "#{} {} {} rule \"{}\" on {} for {} [{}]",
                    r.id,
                    r.started_at.format("%Y-%m-%d %H:%M:%S"),
                    state,
                    sanitize(&r.rule),
                    r.event.kind,
                    sanitize(&r.event.order_key),
                    sanitize(&r.event.occurrence)
                )?;
                for (i, a) in r.actions.iter().enumerate() {
                    let outcome = match &a.outcome {
                        None => "not run".to_string(),
                        Some(Outcome::Done) => "done".to_string(),
                        Some(Outcome::Skipped) => "skipped".to_string(),
                        Some(Outcome::Queued) => {
                            let ids: Vec<String> =
                                a.outbox.iter().map(|id| format!("#{id}")).collect();
                            format!("queued (outbox {})", ids.join(", "))
                        }
                        Some(Outcome::Failed(e)) => format!("FAILED: {}", sanitize(e)),
                    };
                    writeln!(out, "    {}. {} — {outcome}", i + 1, a.action.name())?;
                }
            }
            Ok(())
        }
    }
}

/// The facts of the order `number` in `store`, as the bench at `station` would see them.
fn order_facts(store: &Store, number: &str, station: &str) -> Result<Facts> {
    let Some(key) = store.find_order_key(number)? else {
        bail!("no order {number} in {}", store.dir().display());
    };
    let order = store
        .order(&key)?
        .with_context(|| format!("order {number} is indexed but missing"))?;
    let shipment = store.shipments(&key)?.into_iter().next();
    let packer = store.packer()?;
    Ok(Facts::from_order(
        &order,
        shipment.as_ref(),
        station,
        packer.as_deref(),
    ))
}

/// Writes what `kind` would run for `facts`, following `fire` chains as if every action
/// succeeded.
pub(crate) fn test_report(
    set: &RuleSet,
    file: &Path,
    kind: EventKind,
    facts: &Facts,
    out: &mut dyn Write,
) -> Result<()> {
    let f = facts;
    writeln!(out, "rules file {}", sanitize(&file.display().to_string()))?;
    writeln!(
        out,
        "order {} ({}): status \"{}\", method \"{}\", carrier {}/{}, COD {}, paid {}, \
         country {}, total {}, weight {:.3} kg, items {}, flags [{}], station {}, packer {}",
        sanitize(&f.order_number),
        sanitize(&f.source),
        sanitize(&f.shop_status),
        sanitize(&f.shipping_method),
        sanitize(&f.carrier),
        sanitize(&f.service),
        yes_no(f.cod),
        yes_no(f.paid),
        sanitize(&f.country),
        f.total,
        f.weight_kg,
        f.item_count,
        sanitize(&f.flags.join(", ")),
        sanitize(&f.station),
        sanitize(f.packer.as_deref().unwrap_or("-")),
    )?;
    let mut queue = vec![(Event::new(kind, &f.order_key, "test"), 0usize)];
    while let Some((ev, depth)) = queue.pop() {
        let indent = "  ".repeat(depth);
        let planned = evaluate(set, &ev, f);
        let listeners: Vec<_> = set
            .rules()
            .iter()
            .filter(|r| r.event.name() == ev.kind.name())
            .collect();
        writeln!(
            out,
            "{indent}event {}: {} rule(s) listen, {} match",
            ev.kind,
            listeners.len(),
            planned.len()
        )?;
        for r in listeners {
            match planned.iter().find(|p| p.rule.name == r.name) {
                Some(p) => {
                    writeln!(out, "{indent}  RUN  {}", sanitize(&r.name))?;
                    for (i, a) in p.actions().iter().enumerate() {
                        writeln!(
                            out,
                            "{indent}       {}. {}",
                            i + 1,
                            sanitize(&a.describe(f))
                        )?;
                    }
                    let done = simulate(p, &ev, |_, _| Ok(()));
                    if depth < MAX_FOLLOW_DEPTH {
                        queue.extend(done.follow_ups.into_iter().rev().map(|e| (e, depth + 2)));
                    }
                }
                None if !r.event.accepts(&ev.kind) => {
                    writeln!(out, "{indent}  skip {} (days)", sanitize(&r.name))?;
                }
                None => writeln!(
                    out,
                    "{indent}  skip {} (fails: {})",
                    sanitize(&r.name),
                    r.when.failing(f).join(", ")
                )?,
            }
        }
    }
    writeln!(out, "nothing was done (test only)")?;
    Ok(())
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}
