//! The documents of an order, for the order detail overlay (`A-o` opens the selected one)
//! and for `packdesk order docs`: the shop's order PDF (invoice; fetched on demand and
//! kept, see [`OrderDocs`]), the packing slip (made again from the stored order), every
//! stored label and the hand-over protocol once the parcels were handed over.
//!
//! Opening never blocks the bench: it runs as a task and answers with
//! [`DetailMsg::DocDone`]. A document is printed through the print queue on the station's
//! document printer (labels on the label printer), or, with `[docs] open_with`, saved and
//! shown by that program.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use super::{Pipeline, Runner};
use crate::app::Msg;
use crate::app::detail::{DetailMsg, DocNote, DocOutcome};
use crate::docs::{DocRef, LabelFormat, OrderDocs, PackingSlip, label_format, packing_slip_pdf};
use crate::domain::text::sanitize;
use crate::domain::{Order, ShipmentState};
use crate::print::{DocKind, Format, JobContent, NewJob};
use crate::shop::{OrderQuery, Shop};

/// How long a viewer may take to fail before it counts as opened (a viewer window keeps
/// running; `xdg-open` without a display fails at once).
const VIEWER_GRACE: Duration = Duration::from_secs(3);

/// The documents of order `key`, from what this station keeps; never asks the shop.
/// `pipeline` is `None` when the store is not open (then no labels, no protocol);
/// `with_slip` when the order itself is known.
pub fn list(
    pipeline: Option<&Pipeline>,
    docs: &OrderDocs,
    shop: Option<&dyn Shop>,
    key: &str,
    with_slip: bool,
) -> Vec<DocRef> {
    let cached = docs.cached_shop_pdf(key).is_some();
    let mut out = Vec::new();
    match shop {
        Some(s) if s.offers_order_pdf() || cached => out.push(DocRef::ShopPdf { cached }),
        Some(s) => out.push(DocRef::NoShopDoc {
            shop: s.kind().to_string(),
        }),
        None if cached => out.push(DocRef::ShopPdf { cached }),
        None => {}
    }
    if with_slip {
        out.push(DocRef::Slip);
    }
    let Some(p) = pipeline else {
        return out;
    };
    let mut shipments = p.store().shipments(key).unwrap_or_else(|e| {
        tracing::error!(error = %e, "documents: shipments not read");
        Vec::new()
    });
    shipments.retain(|s| matches!(s.state, ShipmentState::Ready | ShipmentState::Dispatched));
    shipments.sort_by_key(|s| s.parcel_no);
    shipments.dedup_by_key(|s| s.parcel_no);
    let mut dispatched = false;
    for s in &shipments {
        dispatched |= s.state == ShipmentState::Dispatched;
        if let Some(path) = p.label_source(key, s.parcel_no, s.label_path.as_deref()) {
            out.push(DocRef::Label {
                parcel_no: s.parcel_no,
                tracking: s.tracking_number.clone(),
                zpl: path.extension().is_some_and(|e| e == "zpl"),
            });
        }
    }
    if dispatched && matches!(p.handover_protocol(key), Ok(Some(_))) {
        out.push(DocRef::Handover);
    }
    out
}

/// The bytes of one document of `order`. The shop's PDF costs one request the first time
/// only; the slip is made again from the order (headed with `station`).
pub async fn fetch(
    pipeline: Option<&Pipeline>,
    docs: &OrderDocs,
    shop: Option<&dyn Shop>,
    order: &Order,
    doc: &DocRef,
    station: &str,
) -> Result<Vec<u8>, String> {
    let key = order.key();
    let no_store = || "this station's store is not open (is the bench running?)".to_string();
    match doc {
        DocRef::ShopPdf { .. } => {
            let got = match shop {
                Some(s) => docs
                    .shop_pdf(s, &key, &order.number)
                    .await
                    .map_err(|e| e.to_string())?
                    .map(|p| p.bytes),
                None => docs.cached_shop_pdf(&key),
            };
            got.ok_or_else(|| match shop {
                Some(s) => format!("{} offers no shop document", s.kind()),
                None => "no [shop] is configured in station.toml".into(),
            })
        }
        DocRef::NoShopDoc { shop } => Err(format!("{shop} offers no shop document")),
        DocRef::Slip => {
            let slip = PackingSlip::from_order(order, station);
            tokio::task::spawn_blocking(move || packing_slip_pdf(&slip))
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())
        }
        DocRef::Label { parcel_no, .. } => {
            let p = pipeline.ok_or_else(no_store)?;
            let label_path = p
                .store()
                .shipments(&key)
                .map_err(|e| e.to_string())?
                .into_iter()
                .filter(|s| s.parcel_no == *parcel_no)
                .find_map(|s| s.label_path);
            let path = p
                .label_source(&key, *parcel_no, label_path.as_deref())
                .ok_or_else(|| {
                    format!(
                        "the label of {} parcel {parcel_no} is not stored",
                        order.number
                    )
                })?;
            std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))
        }
        DocRef::Handover => pipeline
            .ok_or_else(no_store)?
            .handover_protocol(&key)?
            .ok_or_else(|| {
                format!(
                    "no hand-over protocol is stored for {} (hand its parcels over first)",
                    order.number
                )
            }),
    }
}

/// Queues the document on the station's printer for its kind; the printer's description.
async fn print(
    pipeline: &Pipeline,
    doc: &DocRef,
    name: String,
    bytes: Vec<u8>,
    key: String,
) -> DocOutcome {
    let Some(p) = pipeline.printing() else {
        return DocOutcome::Failed {
            error: "no printers are configured ([printers] in station.toml) and no viewer \
                    ([docs] open_with)"
                .into(),
        };
    };
    let format = match label_format(&bytes) {
        Some(LabelFormat::Zpl) => Format::Zpl,
        _ => Format::Pdf,
    };
    let kind = match doc {
        DocRef::Label { .. } => DocKind::Label,
        DocRef::Handover => DocKind::Handover,
        _ => DocKind::Slip,
    };
    let printer = match p.printers.route(kind, format, &p.out_dir) {
        Ok((_, printer)) => printer,
        Err(e) => {
            return DocOutcome::Failed {
                error: e.to_string(),
            };
        }
    };
    let shown = printer.to_string();
    let job = NewJob {
        name,
        kind,
        format,
        content: JobContent::Bytes(bytes),
        printer,
        key: Some(key),
    };
    match p.queue.enqueue(job).await {
        Ok(_) => DocOutcome::Printed {
            printer: sanitize(&shown),
        },
        Err(e) => DocOutcome::Failed {
            error: e.to_string(),
        },
    }
}

/// The viewer's program and arguments for `file`: `open_with` split at spaces, `{file}`
/// replaced (or the file added at the end).
pub fn viewer_command(open_with: &str, file: &Path) -> Option<(String, Vec<String>)> {
    let mut words = open_with.split_whitespace().map(str::to_string);
    let program = words.next()?;
    let file = file.display().to_string();
    let mut args: Vec<String> = words.collect();
    if args.iter().any(|a| a.contains("{file}")) {
        for a in &mut args {
            *a = a.replace("{file}", &file);
        }
    } else {
        args.push(file);
    }
    Some((program, args))
}

/// Runs the viewer on `file` in the background. A viewer that fails within
/// [`VIEWER_GRACE`] is a failure with its exit status; one still running is opened.
async fn view(open_with: &str, file: &Path) -> DocOutcome {
    let Some((program, args)) = viewer_command(open_with, file) else {
        return DocOutcome::Failed {
            error: "[docs] open_with is empty".into(),
        };
    };
    let child = tokio::process::Command::new(&program)
        .args(&args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            return DocOutcome::Failed {
                error: format!("cannot run {program}: {e}"),
            };
        }
    };
    match tokio::time::timeout(VIEWER_GRACE, child.wait()).await {
        Ok(Ok(st)) if st.success() => DocOutcome::Opened { program },
        Ok(Ok(st)) => DocOutcome::Failed {
            error: format!("{program} ended with {st}"),
        },
        Ok(Err(e)) => DocOutcome::Failed {
            error: format!("{program}: {e}"),
        },
        Err(_) => {
            // Still showing it: reap it when it ends.
            tokio::spawn(async move {
                let _ = child.wait().await;
            });
            DocOutcome::Opened { program }
        }
    }
}

/// Gets a document and prints it or hands it to the viewer.
async fn open(
    pipeline: &Pipeline,
    shop: Option<&dyn Shop>,
    order: &Order,
    doc: &DocRef,
    open_with: Option<&str>,
) -> DocOutcome {
    let docs = OrderDocs::new(pipeline.store().dir());
    let bytes = match fetch(Some(pipeline), &docs, shop, order, doc, pipeline.station()).await {
        Ok(b) => b,
        Err(error) => {
            return DocOutcome::Failed {
                error: sanitize(&error),
            };
        }
    };
    let name = doc.file_name(&order.number);
    match open_with.filter(|c| !c.trim().is_empty()) {
        Some(cmd) => match docs.write(&order.key(), &name, &bytes) {
            Ok(path) => view(cmd, &path).await,
            Err(e) => DocOutcome::Failed {
                error: e.to_string(),
            },
        },
        None => print(pipeline, doc, name, bytes, order.key()).await,
    }
}

impl Runner {
    /// The documents list of the order detail (local reads only, answered at once).
    pub(super) fn order_docs(&self, key: &str) -> Vec<Msg> {
        let docs = OrderDocs::new(self.store.dir());
        let with_slip = matches!(self.store.order(key), Ok(Some(_)));
        let shop = self.shop.as_ref().map(|a| a.shop().clone());
        let list = list(Some(&self.pipeline), &docs, shop.as_deref(), key, with_slip);
        vec![Msg::Detail(DetailMsg::Docs {
            key: key.to_string(),
            docs: list,
        })]
    }

    /// Opens a document in the background; the answer is [`DetailMsg::DocDone`].
    pub(super) fn open_doc(&self, order: Order, doc: DocRef) -> Vec<Msg> {
        let pipeline = self.pipeline.clone();
        let tx = self.tx.clone();
        let shop: Option<Arc<dyn Shop>> = self.shop.as_ref().map(|a| a.shop().clone());
        let open_with = self.open_with.clone();
        tokio::spawn(async move {
            let outcome = open(
                &pipeline,
                shop.as_deref(),
                &order,
                &doc,
                open_with.as_deref(),
            )
            .await;
            let _ = tx.send(Msg::Detail(DetailMsg::DocDone(DocNote {
                number: order.number.clone(),
                doc,
                outcome,
            })));
        });
        Vec::new()
    }
}

/// What a document is, for the CLI listing.
fn what(d: &DocRef) -> String {
    match d {
        DocRef::ShopPdf { cached: false } => "invoice (from the shop)".into(),
        DocRef::ShopPdf { cached: true } => "invoice (from the shop, kept)".into(),
        DocRef::NoShopDoc { shop } => format!("invoice: {shop} offers no shop document"),
        DocRef::Slip => "packing slip".into(),
        DocRef::Label {
            parcel_no,
            tracking,
            ..
        } => match tracking {
            Some(t) => format!("label parcel {parcel_no} ({})", sanitize(t)),
            None => format!("label parcel {parcel_no}"),
        },
        DocRef::Handover => "hand-over protocol".into(),
    }
}

/// `packdesk order docs NUMBER [--out DIR]`: lists the order's documents; with `dir`,
/// writes each there under a name that says what it is. The order comes from this
/// station's store, else from the shop; labels and the protocol need the store (not
/// open while the bench runs on it).
pub async fn cli(
    paths: &crate::config::Paths,
    config: &crate::config::Config,
    number: &str,
    dir: Option<&Path>,
    out: &mut dyn Write,
) -> Result<()> {
    let number = number.trim();
    let shop = crate::config::build_shop(config)?;
    let store = if paths.data_dir.exists() {
        match crate::store::Store::open(&paths.data_dir) {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::info!(error = %e, "order docs: store not opened");
                writeln!(
                    out,
                    "note: this station's store is in use (is the bench running?): \
                     labels and the hand-over protocol are left out"
                )?;
                None
            }
        }
    } else {
        None
    };
    let pipeline = match &store {
        Some(s) => Some(Pipeline::new(
            crate::outbox::Outbox::open(s)?,
            s.clone(),
            &config.out_dir,
            Vec::new(),
            None,
            "own",
        )),
        None => None,
    };
    let local = store.as_ref().and_then(|s| {
        let key = s.find_order_key(number).ok().flatten()?;
        s.order(&key).ok().flatten()
    });
    let order = match (local, &shop) {
        (Some(o), _) => o,
        (None, Some(s)) => s
            .find(&OrderQuery::Number(number.to_string()))
            .await
            .with_context(|| format!("cannot look up order {number}"))?
            .into_iter()
            .find(|o| o.number == number || o.shop_id.as_deref() == Some(number))
            .with_context(|| format!("the shop has no order {number}"))?,
        (None, None) => bail!(
            "order {number} is not in this station's store and no [shop] is configured in {}",
            paths.config_file.display()
        ),
    };
    let docs = OrderDocs::new(&paths.data_dir);
    let list = list(
        pipeline.as_ref(),
        &docs,
        shop.as_deref(),
        &order.key(),
        true,
    );
    let Some(dir) = dir else {
        for d in &list {
            writeln!(out, "{:<24}  {}", d.file_name(&order.number), what(d))?;
        }
        return Ok(());
    };
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut failed = 0;
    for d in list.iter() {
        if !d.openable() {
            writeln!(out, "{}", what(d))?;
            continue;
        }
        let got = fetch(
            pipeline.as_ref(),
            &docs,
            shop.as_deref(),
            &order,
            d,
            &config.station,
        )
        .await;
        let path: PathBuf = dir.join(d.file_name(&order.number));
        match got.and_then(|bytes| {
            crate::carrier::own::write_atomically(&path, &bytes)
                .map(|()| bytes.len())
                .map_err(|e| e.to_string())
        }) {
            Ok(len) => writeln!(out, "wrote {} ({len} bytes): {}", path.display(), what(d))?,
            Err(e) => {
                failed += 1;
                writeln!(out, "{}: not written: {}", what(d), sanitize(&e))?;
            }
        }
    }
    out.flush()?;
    if failed > 0 {
        bail!("{failed} of the documents of order {number} could not be written");
    }
    Ok(())
}
