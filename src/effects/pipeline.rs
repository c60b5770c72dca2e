//! The bench's remote pipeline: shipments and shop updates go through the durable outbox
//! (written before they are tried, exactly once however often the network fails), and
//! the outbox worker's results come back to the bench as messages.

mod labels;
mod shipping;

use std::path::{Path, PathBuf};

pub use labels::BulkLabels;

use crate::app::Msg;
use crate::carrier::own::{label_file, write_atomically};
use crate::config::{CarrierMap, StatusSection, map_shipping};
use crate::domain::{Order, Shipment, ShipmentState};
use crate::flow::PackSession;
use crate::outbox::{Operation, Outbox, OutboxError, OutboxEvent};
use crate::shop::OrderUpdate;
use crate::store::Store;

pub use shipping::{ShipmentEvent, ShipmentHook, eid_for};

/// When in its life an order gets a shop status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusPoint {
    Packed,
    Ready,
    Dispatched,
}

/// The station's printers and its print queue.
#[derive(Clone)]
pub struct Printing {
    pub queue: crate::print::PrintQueue,
    pub printers: crate::print::PrintersSection,
    pub out_dir: PathBuf,
}

impl Printing {
    /// Queues a stored PDF document (the handover protocol) for the document printer.
    pub async fn document(
        &self,
        path: &Path,
        kind: crate::print::DocKind,
        key: &str,
    ) -> Result<(), String> {
        use crate::print::{Format, JobContent, NewJob};
        let (_, printer) = self
            .printers
            .route(kind, Format::Pdf, &self.out_dir)
            .map_err(|e| e.to_string())?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| kind.as_str().into());
        self.queue
            .enqueue(NewJob {
                name,
                kind,
                format: Format::Pdf,
                content: JobContent::File(path.to_path_buf()),
                printer,
                key: Some(key.to_string()),
            })
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// Turns a print-queue event into the bench's message.
pub fn print_note(ev: &crate::print::PrintEvent) -> Option<crate::app::PrintNote> {
    use crate::app::PrintNote;
    use crate::print::PrintEvent;
    let error = |j: &crate::print::PrintJob| j.last_error.clone().unwrap_or_default();
    match ev {
        PrintEvent::Started(_) => None,
        PrintEvent::Printed(j) => Some(PrintNote::Printed {
            name: j.name.clone(),
            printer: j.detail.clone().unwrap_or_default(),
        }),
        PrintEvent::Retrying { job, .. } => Some(PrintNote::Waiting {
            name: job.name.clone(),
            error: error(job),
        }),
        PrintEvent::Failed(j) => Some(PrintNote::Failed {
            name: j.name.clone(),
            error: error(j),
        }),
    }
}

/// Shipments and shop updates of one station.
#[derive(Clone)]
pub struct Pipeline {
    outbox: Outbox,
    store: Store,
    out_dir: PathBuf,
    map: Vec<CarrierMap>,
    status: Option<StatusSection>,
    provider: String,
    printing: Option<Printing>,
    /// Hears drops, hand-overs and carrier status changes (for the rules engine).
    hook: Option<ShipmentHook>,
    /// The station's name (its next free A4 quarter), see `with_station`.
    station: String,
    /// Print every new label at once (off when the rules print labels themselves).
    auto_print_labels: bool,
    /// Where `shipment_created` events go (the rules engine), if anywhere.
    rules: Option<super::rules::RuleEngine>,
}

impl Pipeline {
    /// `status` is `None` when no shop is configured: then nothing is pushed to a shop.
    pub fn new(
        outbox: Outbox,
        store: Store,
        out_dir: &Path,
        map: Vec<CarrierMap>,
        status: Option<StatusSection>,
        provider: &str,
    ) -> Pipeline {
        Pipeline {
            outbox,
            store,
            out_dir: out_dir.to_path_buf(),
            map,
            status,
            provider: provider.to_string(),
            printing: None,
            hook: None,
            station: crate::app::Settings::default().station,
            auto_print_labels: true,
            rules: None,
        }
    }

    /// Fires rule events (`shipment_created`) at `engine`. When its rules print labels
    /// themselves (a `print` action with `document = "label"`), new labels are no longer
    /// printed automatically, so a label never comes out twice.
    pub fn with_rules(mut self, engine: super::rules::RuleEngine) -> Pipeline {
        if engine.prints_labels() {
            self.auto_print_labels = false;
        }
        self.rules = Some(engine);
        self
    }

    /// Hands a rule event to the rules engine (a no-op without rules), e.g.
    /// `dispatched` after a hand-over or `carrier_status_changed` after TRACKSTATUS.
    /// Never blocks.
    pub fn fire_rule(&self, ev: crate::rules::Event) {
        if let Some(r) = &self.rules {
            r.fire(ev);
        }
    }

    /// Whether new labels are printed as soon as they exist.
    pub fn auto_prints_labels(&self) -> bool {
        self.auto_print_labels && self.printing.is_some()
    }

    /// The shipping provider (`balikobot`, `own` …).
    pub fn provider(&self) -> &str {
        &self.provider
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The pipeline of the station `config` describes: its carrier map, its `[status]`
    /// mapping (only where a shop is configured: without one nothing is pushed), its
    /// provider and its station name.
    pub fn for_station(
        outbox: Outbox,
        store: Store,
        config: &crate::config::Config,
        remote: &crate::config::Remote,
    ) -> Pipeline {
        Pipeline::new(
            outbox,
            store,
            &config.out_dir,
            config
                .carrier
                .as_ref()
                .map(|c| c.map.clone())
                .unwrap_or_default(),
            remote
                .shop
                .as_ref()
                .map(|_| config.status.clone().unwrap_or_default()),
            remote.carrier.kind(),
        )
        .with_station(&config.station)
    }

    /// Prints every new label through the print queue.
    pub fn with_printing(mut self, printing: Printing) -> Pipeline {
        self.printing = Some(printing);
        self
    }

    pub fn printing(&self) -> Option<&Printing> {
        self.printing.as_ref()
    }

    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// Queues one shipment per parcel (carrier and service from `[[carrier.map]]` where
    /// the shop's shipping method is mapped) and returns them as pending.
    pub fn ship(&self, order: &Order, session: &PackSession) -> Result<Vec<Shipment>, OutboxError> {
        self.ship_generation(order, session, 0)
    }

    /// Like [`Pipeline::ship`], for the order's `generation`-th shipment: generation 0 is
    /// the first; a further one (confirmed by the packer, or after a drop) gets its own
    /// `eid`, so the carrier creates new packages instead of answering with the old ones.
    pub fn ship_generation(
        &self,
        order: &Order,
        session: &PackSession,
        generation: u32,
    ) -> Result<Vec<Shipment>, OutboxError> {
        let count = session.parcels.len() as u32;
        let mut out = Vec::new();
        for p in &session.parcels {
            let mut req = super::request(order, session, p.no, count);
            req.eid = eid_for(&order.number, p.no, generation);
            if let Some((carrier, service, defaults)) = map_shipping(&self.map, &order.shipping) {
                req.carrier = carrier;
                req.service = service;
                if req.weight_kg <= 0.0
                    && let Some(w) = defaults.weight_kg
                {
                    req.weight_kg = w;
                }
            }
            let weight_kg = req.weight_kg;
            let carrier = req.carrier.clone();
            self.outbox.enqueue(Operation::CreateShipment {
                order_key: order.key(),
                parcel_no: p.no,
                parcel_count: count,
                req: Box::new(req),
            })?;
            out.push(Shipment {
                order_key: order.key(),
                parcel_no: p.no,
                parcel_count: count,
                provider: self.provider.clone(),
                state: ShipmentState::Pending,
                package_id: None,
                tracking_number: None,
                label_path: None,
                weight_kg,
                error: None,
                updated_at: chrono::Utc::now(),
                carrier: Some(carrier),
                generation,
                carrier_status: None,
            });
        }
        Ok(out)
    }

    /// Queues the shop status for this point of the order's life, where one is mapped.
    pub fn push_status(
        &self,
        order: &Order,
        point: StatusPoint,
        tracking: Option<String>,
    ) -> Result<(), OutboxError> {
        let Some(cfg) = &self.status else {
            return Ok(());
        };
        let status = match point {
            StatusPoint::Packed => cfg.packed.clone(),
            StatusPoint::Ready => cfg.ready.clone(),
            StatusPoint::Dispatched => cfg.dispatched.clone(),
        };
        if status.is_none() && tracking.is_none() {
            return Ok(());
        }
        self.outbox.enqueue(Operation::PushStatus(OrderUpdate {
            number: order.number.clone(),
            shop_id: order.shop_id.clone(),
            status,
            tracking_number: tracking,
            notify: cfg.notify_customer,
        }))?;
        Ok(())
    }

    /// Turns a worker event into the bench's messages: a created shipment gets its label
    /// file in the out dir, is saved, and its tracking number is queued for the shop.
    pub fn on_event(&self, ev: &OutboxEvent) -> Vec<Msg> {
        let mut msgs = Vec::new();
        // Rule actions that queued this entry learn its final outcome.
        if let Some(r) = &self.rules {
            r.outbox_event(ev);
        }
        match ev {
            OutboxEvent::ShipmentCreated {
                id,
                order_key,
                parcel_no,
                created,
                label,
            } => {
                let order = self.store.order(order_key).ok().flatten();
                let (carrier, generation) = self.created_with(*id);
                let mut sh = self.shipment(order_key, *parcel_no, generation);
                sh.carrier = carrier.or(sh.carrier.take());
                sh.state = ShipmentState::Ready;
                sh.package_id = Some(created.package_id.clone());
                sh.tracking_number = Some(created.tracking_number.clone());
                let number = order
                    .as_ref()
                    .map_or(order_key.as_str(), |o| o.number.as_str());
                let path = if generation == 0 {
                    label_file(&self.out_dir, number, *parcel_no)
                } else {
                    label_file(
                        &self.out_dir,
                        &format!("{number}-g{generation}"),
                        *parcel_no,
                    )
                };
                // The label store holds the label (the worker put it there); out_dir gets
                // a copy by order number, the printer gets the stored file.
                match label.as_ref().map(|l| self.outbox.label(&l.sha256)) {
                    Some(Ok(Some(bytes))) => match write_atomically(&path, &bytes) {
                        Ok(()) => {
                            sh.label_path = Some(path.display().to_string());
                            let src = self
                                .label_source(order_key, *parcel_no, None)
                                .unwrap_or_else(|| path.clone());
                            let name = path
                                .file_name()
                                .map(|n| n.to_string_lossy().into_owned())
                                .unwrap_or_else(|| "label.pdf".into());
                            if self.auto_print_labels {
                                msgs.extend(self.print_label(&src, &name, order_key));
                            }
                            if *parcel_no == 1
                                && self.slip_when() == Some(crate::print::SlipWhen::Label)
                                && let Some(o) = &order
                            {
                                msgs.push(self.print_slip(o, &self.station));
                            }
                        }
                        Err(e) => sh.error = Some(format!("cannot write {}: {e}", path.display())),
                    },
                    Some(Ok(None)) | None => sh.error = Some("no label yet".into()),
                    Some(Err(e)) => sh.error = Some(e.to_string()),
                }
                sh.updated_at = chrono::Utc::now();
                if let Err(e) = self.store.save_shipment(&sh) {
                    tracing::error!(error = %e, "saving a shipment failed");
                }
                if let Some(o) = &order
                    && let Err(e) =
                        self.push_status(o, StatusPoint::Ready, sh.tracking_number.clone())
                {
                    tracing::error!(error = %e, "queueing the shop update failed");
                }
                if let Some(r) = &self.rules {
                    r.fire(crate::rules::Event::new(
                        crate::rules::EventKind::ShipmentCreated,
                        order_key,
                        &created.package_id,
                    ));
                }
                msgs.push(Msg::Shipment(Box::new(sh)));
            }
            OutboxEvent::ShipmentFailed {
                id,
                order_key,
                parcel_no,
                error,
            } => {
                let (carrier, generation) = self.created_with(*id);
                let mut sh = self.shipment(order_key, *parcel_no, generation);
                sh.carrier = carrier.or(sh.carrier.take());
                sh.state = ShipmentState::Failed;
                sh.error = Some(error.clone());
                sh.updated_at = chrono::Utc::now();
                if let Err(e) = self.store.save_shipment(&sh) {
                    tracing::error!(error = %e, "saving a shipment failed");
                }
                msgs.push(Msg::Shipment(Box::new(sh)));
            }
            OutboxEvent::Failed { id, error } => {
                tracing::warn!(id, %error, "remote operation failed");
                msgs.extend(self.on_finished(*id, Some(error)));
            }
            OutboxEvent::Retrying { id, error, .. } => {
                tracing::info!(id, %error, "remote operation will be retried");
            }
            OutboxEvent::Done { id } => msgs.extend(self.on_finished(*id, None)),
        }
        if let Ok(c) = self.outbox.counts() {
            msgs.push(Msg::Outbox(c));
        }
        msgs
    }

    /// The stored shipment of a parcel, or a fresh pending one.
    fn shipment(&self, order_key: &str, parcel_no: u32, generation: u32) -> Shipment {
        let stored = self.store.shipments(order_key).ok().and_then(|v| {
            v.into_iter()
                .find(|s| s.parcel_no == parcel_no && s.generation == generation)
        });
        stored.unwrap_or_else(|| Shipment {
            order_key: order_key.to_string(),
            parcel_no,
            parcel_count: parcel_no,
            provider: self.provider.clone(),
            state: ShipmentState::Pending,
            package_id: None,
            tracking_number: None,
            label_path: None,
            weight_kg: 0.0,
            error: None,
            updated_at: chrono::Utc::now(),
            carrier: None,
            generation,
            carrier_status: None,
        })
    }

    /// At start: shipments the outbox finished while the bench was not listening (a
    /// stop between the outcome on disk and its message) are brought into the store.
    pub fn catch_up(&self) -> Vec<Msg> {
        let Ok(done) = self
            .outbox
            .list(crate::outbox::Filter::Only(crate::outbox::EntryState::Done))
        else {
            return Vec::new();
        };
        let mut msgs = Vec::new();
        for e in done {
            let (
                Operation::CreateShipment {
                    order_key,
                    parcel_no,
                    ..
                },
                Some(res),
            ) = (&e.op, e.shipment())
            else {
                continue;
            };
            let generation = shipping::generation_of(&e.op);
            let known = self.store.shipments(order_key).ok().is_some_and(|v| {
                v.iter().any(|s| {
                    s.parcel_no == *parcel_no
                        && s.generation == generation
                        && s.state != ShipmentState::Pending
                })
            });
            if !known {
                msgs.extend(self.on_event(&OutboxEvent::ShipmentCreated {
                    id: e.id,
                    order_key: order_key.clone(),
                    parcel_no: *parcel_no,
                    created: res.created.clone(),
                    label: res.label.clone(),
                }));
            }
        }
        msgs.extend(self.catch_up_shipment_ops());
        msgs
    }
}
