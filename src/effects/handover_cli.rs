//! `packdesk handover`: the end-of-day hand-over from a script. Lists the ready parcels
//! per carrier, or hands over one carrier's parcels through the outbox (exactly like the
//! hand-over screen), waits for the carrier's answer, stores (and prints, with
//! `[printers]`) the protocol, and pushes the *dispatched* status to the shop.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use super::Pipeline;
use crate::app::Msg;
use crate::config::{Paths, build_remote};
use crate::i18n::{Catalog, Lang};
use crate::outbox::{EntryState, Filter, Operation, Outbox, OutboxEvent, Worker};
use crate::shop::NoShop;
use crate::store::Store;

/// Arguments of `packdesk handover`.
#[derive(clap::Args, Debug, Clone)]
pub struct HandoverArgs {
    /// The carrier code whose ready parcels are handed over (`cp`, `ppl`, `dpd` …).
    /// Without it, the ready parcels per carrier are listed and nothing is handed over.
    #[arg(long)]
    pub carrier: Option<String>,
    /// How long to wait for the carrier and the shop, in seconds.
    #[arg(long, default_value_t = 120)]
    pub wait_s: u64,
}

/// Runs `packdesk handover`, writing one line per thing done to `out`.
pub fn cli(paths: &Paths, args: &HandoverArgs, out: &mut dyn Write) -> Result<()> {
    let config = paths.load_config()?;
    let store = Store::open(&paths.data_dir)?;
    let remote = build_remote(&config, store.clone(), &config.out_dir)?;
    let outbox = Outbox::open(&store)?;
    let lang = Lang::detect(
        config.language.as_deref(),
        std::env::var("LANG").ok().as_deref(),
    );
    let catalog = Catalog::new(lang);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let _enter = rt.enter();
    let mut pipeline = Pipeline::for_station(outbox.clone(), store.clone(), &config, &remote);
    let (ptx, mut prx) = tokio::sync::mpsc::unbounded_channel();
    if let Some(printers) = &config.printers {
        let queue = crate::print::PrintQueue::open(&store, Default::default())?;
        let q = queue.clone();
        rt.spawn(async move {
            let _ = q
                .run(move |ev| {
                    if let Some(n) = super::print_note(&ev) {
                        let _ = ptx.send(n);
                    }
                })
                .await;
        });
        pipeline = pipeline.with_printing(super::Printing {
            queue,
            printers: printers.clone(),
            out_dir: config.out_dir.clone(),
        });
    }
    let Some(carrier) = args.carrier.as_deref() else {
        let groups = pipeline.handover_groups().map_err(anyhow::Error::msg)?;
        if groups.is_empty() {
            writeln!(out, "{}", catalog.t("queue.handover_empty"))?;
        }
        for g in groups {
            writeln!(out, "{}\t{}\t{}", g.carrier, g.parcels, g.orders.join(","))?;
        }
        return Ok(());
    };
    let (parcels, id) = pipeline
        .handover(carrier)
        .map_err(anyhow::Error::msg)
        .context("packdesk handover")?;
    writeln!(
        out,
        "queued: hand-over of {parcels} {carrier} parcels (outbox #{id})"
    )?;
    let (etx, mut erx) = tokio::sync::mpsc::unbounded_channel();
    let shop = remote.shop.clone().unwrap_or_else(|| Arc::new(NoShop));
    let worker = Worker::new(outbox.clone(), shop, remote.carrier.clone(), move |ev| {
        let _ = etx.send(ev);
    });
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let handle = rt.spawn(worker.run(stopped));
    let deadline = Instant::now() + Duration::from_secs(args.wait_s);
    let mut finished = false;
    let mut failed = false;
    let mut protocol = false;
    while !finished {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(Some(ev)) = rt.block_on(tokio::time::timeout(left, erx.recv())) else {
            break;
        };
        let ours = matches!(ev, OutboxEvent::Done { id: i } | OutboxEvent::Failed { id: i, .. } if i == id);
        if let OutboxEvent::Retrying {
            id: i, ref error, ..
        } = ev
            && i == id
        {
            writeln!(out, "retrying: {error}")?;
        }
        failed |= ours && matches!(ev, OutboxEvent::Failed { .. });
        for m in pipeline.on_event(&ev) {
            if let Msg::ShipNote(n) = m {
                if let crate::app::shipping::ShipNote::HandedOver { protocol: p, .. } = &n {
                    protocol = p.is_some();
                }
                writeln!(
                    out,
                    "{}",
                    crate::tui::handover_view::note_text(&n, &catalog)
                )?;
            }
        }
        finished = ours;
    }
    if !finished {
        writeln!(
            out,
            "no answer from the carrier yet: the hand-over stays in the outbox and is finished by the bench"
        )?;
    }
    // The dispatched statuses go out in the outbox's next batch: wait for them.
    while finished && Instant::now() < deadline {
        let waiting = outbox
            .list(Filter::Attention)
            .map(|v| {
                v.iter().any(|e| {
                    e.state != EntryState::Failed && matches!(e.op, Operation::PushStatus(_))
                })
            })
            .unwrap_or(false);
        if !waiting {
            writeln!(out, "shop statuses sent")?;
            break;
        }
        rt.block_on(tokio::time::sleep(Duration::from_millis(200)));
        while let Ok(ev) = erx.try_recv() {
            let _ = pipeline.on_event(&ev);
        }
    }
    if protocol && config.printers.is_some() {
        let left = deadline.saturating_duration_since(Instant::now());
        if let Ok(Some(n)) = rt.block_on(tokio::time::timeout(left, prx.recv())) {
            let line = match n {
                crate::app::PrintNote::Printed { name, printer } => {
                    format!("printed {name} on {printer}")
                }
                crate::app::PrintNote::Waiting { name, error } => {
                    format!("{name} queued for printing ({error})")
                }
                crate::app::PrintNote::Failed { name, error } => {
                    format!("printing {name} failed: {error}")
                }
            };
            writeln!(out, "{line}")?;
        }
    }
    let _ = stop.send(true);
    let _ = rt.block_on(async { tokio::time::timeout(Duration::from_secs(6), handle).await });
    store.flush()?;
    if failed || !finished {
        bail!("the hand-over of the {carrier} parcels did not complete");
    }
    Ok(())
}
