//! `packdesk doc …`: documents from the store on the command line, without printing (for
//! scripts, and to check a station).

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use super::impose::{concat_roll, impose_a4x4};
use super::slip::{PackingSlip, packing_slip_pdf};
use super::store::{LabelStore, next_free_quarter, set_next_free_quarter};
use super::zpl::{LabelFormat, label_format};
use crate::store::Store;

/// How labels are laid out on paper.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Four labels per A4 sheet, quarters 1 top left … 4 bottom right.
    A4x4,
    /// One label per page at its own size (roll printers).
    Roll,
}

/// `packdesk doc` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum DocCmd {
    /// The packing slip of a stored order.
    Slip {
        /// The order number (or shop id, or a tracking number of it).
        #[arg(long)]
        order: String,
        /// Shop name at the top of the slip (default: the station name).
        #[arg(long)]
        shop: Option<String>,
        #[arg(long, value_name = "FILE.pdf")]
        out: PathBuf,
    },
    /// The stored carrier labels of orders' shipments, on 4-up A4 sheets or as a roll.
    Labels {
        /// Order numbers, comma separated; labels come in this order, parcels in order.
        #[arg(long, value_delimiter = ',', required = true, num_args = 1..)]
        orders: Vec<String>,
        #[arg(long, value_enum, default_value = "a4x4")]
        layout: Layout,
        /// First quarter on the sheet (a4x4): 1 top left, 2 top right, 3 bottom left,
        /// 4 bottom right. Default: the station's next free quarter.
        #[arg(long, value_parser = clap::value_parser!(u8).range(1..=4))]
        start: Option<u8>,
        /// Remember the quarter after the last label as the station's next free one.
        #[arg(long)]
        remember: bool,
        #[arg(long, value_name = "FILE.pdf")]
        out: PathBuf,
    },
}

/// Runs a `packdesk doc` command against `store` for station `station`; returns what was
/// done, for the caller to show.
pub fn run_doc(cmd: DocCmd, store: &Store, station: &str) -> Result<String> {
    match cmd {
        DocCmd::Slip { order, shop, out } => {
            let key = order_key(store, &order)?;
            let Some(o) = store.order(&key)? else {
                bail!(
                    "order {order} is indexed but missing in {}",
                    store.dir().display()
                );
            };
            let slip = PackingSlip::from_order(&o, shop.as_deref().unwrap_or(station));
            let pdf = packing_slip_pdf(&slip)
                .with_context(|| format!("packing slip of order {}", o.number))?;
            write(&out, &pdf)?;
            Ok(format!(
                "wrote the packing slip of order {} to {}",
                o.number,
                out.display()
            ))
        }
        DocCmd::Labels {
            orders,
            layout,
            start,
            remember,
            out,
        } => {
            let (labels, skipped) = collect_labels(store, &orders)?;
            let mut report = Vec::new();
            for s in &skipped {
                report.push(format!("skipped: {s}"));
            }
            let count = labels.len();
            let pdf = match layout {
                Layout::Roll => concat_roll(&labels)?,
                Layout::A4x4 => {
                    let start = match start {
                        Some(q) => q,
                        None => next_free_quarter(store, station)?,
                    };
                    let (pdf, next) = impose_a4x4(&labels, start)?;
                    if remember {
                        set_next_free_quarter(store, station, next)?;
                        report.push(format!("station {station}: next free quarter {next}"));
                    }
                    report.push(format!(
                        "started at quarter {start}, next free quarter {next}"
                    ));
                    pdf
                }
            };
            write(&out, &pdf)?;
            report.push(format!("wrote {count} label file(s) to {}", out.display()));
            Ok(report.join("\n"))
        }
    }
}

fn order_key(store: &Store, number: &str) -> Result<String> {
    store
        .find_order_key(number)?
        .with_context(|| format!("no order {number} in {}", store.dir().display()))
}

/// The PDF labels of the orders' shipments, in the order given: each parcel's label from
/// the label store if it was stored there, else from the shipment's `label_path`. Parcels
/// without a label are listed as skipped; an order with no label at all, a missing file
/// or a ZPL label (which cannot go on a PDF) is an error naming the order and parcel.
fn collect_labels(store: &Store, orders: &[String]) -> Result<(Vec<Vec<u8>>, Vec<String>)> {
    let labels_store = LabelStore::open(store.dir())?;
    let mut labels = Vec::new();
    let mut skipped = Vec::new();
    for number in orders {
        let number = number.trim();
        if number.is_empty() {
            continue;
        }
        let key = order_key(store, number)?;
        let mut shipments = store.shipments(&key)?;
        shipments.sort_by_key(|s| s.parcel_no);
        let before = labels.len();
        for s in &shipments {
            let what = format!("order {number} parcel {}", s.parcel_no);
            let bytes = match labels_store.get_for(&key, s.parcel_no)? {
                Some(b) => b,
                None => match &s.label_path {
                    Some(p) => std::fs::read(p)
                        .with_context(|| format!("{what}: cannot read its label {p}"))?,
                    None => {
                        skipped.push(format!("{what} has no label"));
                        continue;
                    }
                },
            };
            match label_format(&bytes) {
                Some(LabelFormat::Pdf) => labels.push(bytes),
                Some(LabelFormat::Zpl) => {
                    bail!("{what}: the label is ZPL, which cannot go on a PDF; print it raw")
                }
                None => bail!("{what}: the stored label is neither PDF nor ZPL"),
            }
        }
        if labels.len() == before {
            bail!("order {number} has no stored label");
        }
    }
    Ok((labels, skipped))
}

fn write(out: &PathBuf, bytes: &[u8]) -> Result<()> {
    std::fs::write(out, bytes).with_context(|| format!("cannot write {}", out.display()))
}
