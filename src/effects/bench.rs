//! Runs the bench's printing and bulk effects ([`crate::app::print::PrintFx`]) and the
//! label reprint: everything that reads files, builds PDFs or talks to the print queue
//! runs on tokio's blocking pool or as a task, and answers through the channel.

use crate::app::print::{BenchNotice, PrintFx, PrintJobLine, PrintMsg};
use crate::app::{Effect, Msg};
use crate::domain::text::sanitize;
use crate::domain::{Order, Shipment, ShipmentState};
use crate::flow::SessionState;

use super::Runner;

/// Recent finished jobs the print-queue screen lists after the waiting and failed ones.
const RECENT: usize = 20;

impl Runner {
    /// Writes the labels of ready shipments to the printer again from the label store
    /// (the carrier is never asked); a parcel whose label is gone comes back failed.
    pub(super) fn reprint(&self, order: &Order, shipments: Vec<Shipment>) -> Vec<Msg> {
        let (pipeline, tx, number) = (self.pipeline.clone(), self.tx.clone(), order.number.clone());
        tokio::task::spawn_blocking(move || {
            for mut sh in shipments {
                match pipeline.label_source(&sh.order_key, sh.parcel_no, sh.label_path.as_deref()) {
                    Some(path) if sh.state == ShipmentState::Ready => {
                        let name = sh
                            .label_path
                            .as_deref()
                            .and_then(|p| std::path::Path::new(p).file_name())
                            .map(|n| n.to_string_lossy().into_owned())
                            .unwrap_or_else(|| format!("{number}-{}.pdf", sh.parcel_no));
                        for m in pipeline.print_label(&path, &name, &sh.order_key) {
                            let _ = tx.send(m);
                        }
                    }
                    Some(_) => {}
                    None => {
                        sh.error = Some(format!(
                            "label of {number} parcel {} is missing; ship again to make a new one",
                            sh.parcel_no
                        ));
                        sh.state = ShipmentState::Failed;
                    }
                }
                let _ = tx.send(Msg::Shipment(Box::new(sh)));
            }
            let _ = tx.send(Msg::JobDone);
        });
        Vec::new()
    }

    /// One printing or bulk effect.
    pub(super) fn print(&self, p: PrintFx) -> Vec<Msg> {
        let pipeline = self.pipeline.clone();
        let tx = self.tx.clone();
        match p {
            PrintFx::Status { station } => {
                vec![Msg::Bench(PrintMsg::Quarter(pipeline.quarter(&station)))]
            }
            PrintFx::NewSheet { station } => match pipeline.new_sheet(&station) {
                Ok(q) => vec![
                    Msg::Bench(PrintMsg::Quarter(q)),
                    Msg::Bench(PrintMsg::Notice(BenchNotice::NewSheet)),
                ],
                Err(error) => vec![Msg::Bench(PrintMsg::Notice(BenchNotice::QueueError {
                    error,
                }))],
            },
            PrintFx::Slip {
                order,
                station,
                auto,
            } => {
                if auto && pipeline.slip_when() != Some(crate::print::SlipWhen::Packed) {
                    return Vec::new();
                }
                tokio::task::spawn_blocking(move || {
                    let _ = tx.send(pipeline.print_slip(&order, &station));
                });
                Vec::new()
            }
            PrintFx::List => vec![self.print_jobs()],
            // Marks are small and written now, before the frame that shows them.
            PrintFx::Marks(change) => {
                use crate::app::print::MarksChange;
                let res = match &change {
                    MarksChange::Add(keys) => self.store.save_marks(keys, &[], false),
                    MarksChange::Remove(keys) => self.store.save_marks(&[], keys, false),
                    MarksChange::Clear { .. } => self.store.save_marks(&[], &[], true),
                };
                match res {
                    Ok(()) => Vec::new(),
                    Err(e) => {
                        tracing::error!(error = %e, "queue marks not saved");
                        vec![Msg::Bench(PrintMsg::MarksNotSaved {
                            change,
                            error: sanitize(&e.to_string()),
                        })]
                    }
                }
            }
            PrintFx::LoadMarks => vec![Msg::Bench(PrintMsg::Marks(
                self.store.marks().map_err(|e| sanitize(&e.to_string())),
            ))],
            PrintFx::Retry(id) | PrintFx::Cancel(id) => {
                let Some(queue) = pipeline.printing().map(|p| p.queue.clone()) else {
                    return vec![Msg::Bench(PrintMsg::Notice(BenchNotice::NoPrinters))];
                };
                let retry = matches!(p, PrintFx::Retry(_));
                let runner = self.clone();
                tokio::spawn(async move {
                    let res = if retry {
                        queue.retry(id).await
                    } else {
                        queue.cancel(id).await
                    };
                    if let Err(e) = res {
                        let _ = tx.send(Msg::Bench(PrintMsg::Jobs(Err(sanitize(&e.to_string())))));
                    }
                    let _ = tx.send(runner.print_jobs());
                });
                Vec::new()
            }
            PrintFx::BulkShip { keys } => {
                let runner = self.clone();
                tokio::task::spawn_blocking(move || {
                    let (queued, skipped) = runner.bulk_ship(&keys);
                    let _ = tx.send(Msg::Bench(PrintMsg::Notice(BenchNotice::BulkShipped {
                        queued,
                        skipped,
                    })));
                });
                Vec::new()
            }
            PrintFx::BulkLabels { keys, station } => {
                tokio::task::spawn_blocking(move || {
                    let notice = match pipeline.bulk_labels(&keys, &station) {
                        Ok(bulk) => {
                            let queue = pipeline.printing().map(|p| p.queue.clone());
                            if let (Some(queue), false) = (queue, bulk.jobs.is_empty()) {
                                let jobs = bulk.jobs;
                                tokio::runtime::Handle::current().spawn(async move {
                                    for job in jobs {
                                        if let Err(e) = queue.enqueue(job).await {
                                            tracing::error!(error = %e, "queueing bulk labels failed");
                                        }
                                    }
                                });
                            }
                            if bulk.quarter.is_some() {
                                let _ = tx.send(Msg::Bench(PrintMsg::Quarter(bulk.quarter)));
                            }
                            for s in &bulk.skipped {
                                tracing::info!(skipped = %s, "bulk labels");
                            }
                            BenchNotice::BulkLabels {
                                labels: bulk.labels,
                                skipped: bulk.skipped.len(),
                            }
                        }
                        Err(error) => BenchNotice::BulkFailed {
                            error: sanitize(&error),
                        },
                    };
                    let _ = tx.send(Msg::Bench(PrintMsg::Notice(notice)));
                });
                Vec::new()
            }
        }
    }

    /// Creates the shipments of the packed orders among `keys` through the same path as
    /// the ship key ([`Effect::Ship`]); the rest (not packed, already shipped, gone) are
    /// skipped. Returns (queued, skipped).
    pub(crate) fn bulk_ship(&self, keys: &[String]) -> (usize, usize) {
        let (mut queued, mut skipped) = (0, 0);
        for key in keys {
            let loaded = self.store.order(key).ok().flatten().zip(
                self.store
                    .session(key)
                    .ok()
                    .flatten()
                    .filter(|s| s.state == SessionState::Packed),
            );
            let active = self.store.shipments(key).ok().is_some_and(|v| {
                v.iter().any(|s| {
                    matches!(
                        s.state,
                        ShipmentState::Ready | ShipmentState::Dispatched | ShipmentState::Pending
                    )
                })
            });
            let Some((order, session)) = loaded.filter(|_| !active) else {
                skipped += 1;
                continue;
            };
            let msgs = self.run(Effect::Ship {
                order: Box::new(order),
                session: Box::new(session),
            });
            let mut ok = true;
            for m in msgs {
                match m {
                    Msg::JobDone => {}
                    Msg::PersistFailed { .. } => {
                        ok = false;
                        let _ = self.tx.send(m);
                    }
                    m => {
                        let _ = self.tx.send(m);
                    }
                }
            }
            if ok {
                queued += 1;
            } else {
                skipped += 1;
            }
        }
        (queued, skipped)
    }

    /// The print queue as the screen lists it: waiting and failed jobs first (oldest
    /// first), then the most recent finished ones.
    fn print_jobs(&self) -> Msg {
        let Some(p) = self.pipeline.printing() else {
            return Msg::Bench(PrintMsg::Jobs(Ok(Vec::new())));
        };
        let jobs = p.queue.list().map_err(|e| sanitize(&e.to_string()));
        Msg::Bench(PrintMsg::Jobs(jobs.map(|jobs| {
            use crate::print::JobState;
            let line = |j: &crate::print::PrintJob| PrintJobLine {
                id: j.id,
                name: sanitize(&j.name),
                printer: sanitize(&j.printer.to_string()),
                state: j.state.as_str().to_string(),
                attempts: j.attempts,
                error: j.last_error.as_deref().map(sanitize),
            };
            let open =
                |s: JobState| matches!(s, JobState::Queued | JobState::Printing | JobState::Failed);
            let mut out: Vec<PrintJobLine> =
                jobs.iter().filter(|j| open(j.state)).map(line).collect();
            out.extend(
                jobs.iter()
                    .rev()
                    .filter(|j| !open(j.state))
                    .take(RECENT)
                    .map(line),
            );
            out
        })))
    }
}
