//! Effect runners: the only place where the bench's decisions touch the world.
//!
//! Store effects run at once, before the next frame is drawn: a scan is durable before it
//! is shown as accepted (sled writes plus a flush take well under a millisecond here; see
//! the `scan_to_frame` benchmark). Everything slow — shipments, labels, later printing and
//! the network — runs as a tokio task and reports back as a [`Msg`].

mod bench;
pub mod detail;
pub mod documents;
pub mod handover_cli;
pub mod pipeline;
pub mod rules;
mod shipments;

use tokio::sync::mpsc::UnboundedSender;

use crate::app::{Effect, Looked, Lookup, Msg, Persist};
use crate::carrier::ShipmentRequest;
use crate::domain::{Order, Shipment};
use crate::flow::PackSession;
use crate::store::Store;
pub use pipeline::{
    Pipeline, Printing, ShipmentEvent, ShipmentHook, StatusPoint, eid_for, print_note,
};

/// Runs effects against the store and the remote pipeline.
#[derive(Clone)]
pub struct Runner {
    store: Store,
    pipeline: Pipeline,
    tx: UnboundedSender<Msg>,
    photos: Option<crate::camera::PhotoStore>,
    camera: Option<(std::sync::Arc<dyn crate::camera::Camera>, String)>,
    /// The shop for the order detail overlay (status list, searches).
    shop: Option<std::sync::Arc<detail::ShopAccess>>,
    rules: rules::RuleEngine,
    /// `[docs] open_with`: the viewer order documents are opened with (else printed).
    open_with: Option<String>,
}

impl Runner {
    pub fn new(store: Store, pipeline: Pipeline, tx: UnboundedSender<Msg>) -> Runner {
        let photos = crate::camera::PhotoStore::open(&store)
            .map_err(|e| tracing::error!(error = %e, "photo store unavailable"))
            .ok();
        Runner {
            store,
            pipeline,
            tx,
            photos,
            camera: None,
            shop: None,
            rules: rules::RuleEngine::none(),
            open_with: None,
        }
    }

    /// `[docs]`: how the order detail opens documents (a viewer, or else the printers).
    pub fn with_docs(mut self, docs: &crate::config::DocsSection) -> Runner {
        self.open_with = docs.open_with.clone();
        self
    }

    /// The shop the order detail overlay reads statuses from and searches.
    pub fn with_shop(mut self, shop: std::sync::Arc<dyn crate::shop::Shop>) -> Runner {
        self.shop = Some(detail::ShopAccess::new(shop));
        self
    }

    /// Where rule events (`Effect::Rule`, photos taken) go.
    pub fn with_rules(mut self, engine: rules::RuleEngine) -> Runner {
        self.rules = engine;
        self
    }

    /// The station's camera, for `PD:PHOTO`; photos are recorded with `station`.
    pub fn with_camera(
        mut self,
        camera: std::sync::Arc<dyn crate::camera::Camera>,
        station: &str,
    ) -> Runner {
        self.camera = Some((camera, station.to_string()));
        self
    }

    /// The outbox entries a supervisor looks at: pending, in flight, failed.
    fn outbox_lines(&self) -> Msg {
        let outbox = self.pipeline.outbox();
        let due = outbox.batch_due().map(|t| {
            t.with_timezone(&chrono::Local)
                .format("%H:%M:%S")
                .to_string()
        });
        let lines = outbox
            .list(crate::outbox::Filter::Attention)
            .map(|entries| {
                entries
                    .into_iter()
                    .map(|e| crate::app::OutboxLine {
                        id: e.id,
                        what: e.op.describe(),
                        state: e.state.as_str().to_string(),
                        attempts: e.attempts,
                        batched_until: (e.state == crate::outbox::EntryState::Pending
                            && e.last_error.is_none()
                            && matches!(e.op, crate::outbox::Operation::PushStatus(_)))
                        .then(|| due.clone())
                        .flatten(),
                        error: e.last_error,
                    })
                    .collect()
            })
            .map_err(|e| e.to_string());
        Msg::OutboxEntries(lines)
    }

    fn photo_count(&self, key: &str) -> usize {
        self.photos
            .as_ref()
            .and_then(|p| p.list(key).ok())
            .map_or(0, |v| v.len())
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Runs one effect. Store effects complete now and return their answers (to feed to
    /// the reducer before drawing); background effects are spawned and answer later
    /// through the channel. `Bell` and `Quit` belong to the terminal and are ignored here.
    pub fn run(&self, effect: Effect) -> Vec<Msg> {
        match effect {
            Effect::Lookup(Lookup::Code(scan)) => {
                let order_key = self.store.find_order_key(&scan.code).unwrap_or_else(|e| {
                    tracing::error!(error = %e, "order lookup failed");
                    None
                });
                let known = self.store.code_known(&scan.code).unwrap_or_else(|e| {
                    tracing::error!(error = %e, "code lookup failed");
                    false
                });
                vec![Msg::Looked(Looked::Code {
                    scan,
                    order_key,
                    known,
                })]
            }
            Effect::Lookup(Lookup::Serial(serial)) => {
                let owner = self.store.serial_owner(&serial).unwrap_or_else(|e| {
                    tracing::error!(error = %e, "serial lookup failed");
                    None
                });
                vec![Msg::Looked(Looked::Serial { serial, owner })]
            }
            Effect::LoadOrder { key, via } => match self.load(&key) {
                Ok(Some((order, session, shipments))) => vec![Msg::OrderLoaded {
                    photos: self.photo_count(&key),
                    order: Box::new(order),
                    session: session.map(Box::new),
                    shipments,
                    via,
                }],
                Ok(None) => vec![Msg::LoadFailed {
                    key,
                    error: "not in the store".into(),
                }],
                Err(e) => vec![Msg::LoadFailed {
                    key,
                    error: e.to_string(),
                }],
            },
            Effect::Persist(p) => self.persist(p),
            Effect::Ship { order, session } => {
                // Durable in the outbox before anything is tried; the worker does the rest
                // in the background and reports through `Pipeline::on_event`.
                let mut msgs: Vec<Msg> = match self.pipeline.ship(&order, &session) {
                    Ok(pending) => pending
                        .into_iter()
                        .map(|s| Msg::Shipment(Box::new(s)))
                        .collect(),
                    Err(e) => vec![Msg::PersistFailed {
                        error: e.to_string(),
                        previous: None,
                    }],
                };
                msgs.push(Msg::JobDone);
                msgs
            }
            Effect::ShopStatus { order, point } => {
                if let Err(e) = self.pipeline.push_status(&order, point, None) {
                    tracing::error!(error = %e, "queueing the shop status failed");
                }
                Vec::new()
            }
            Effect::OutboxList => vec![self.outbox_lines()],
            Effect::OutboxRetry(id) => match self.pipeline.outbox().retry(id) {
                Ok(()) => vec![self.outbox_lines()],
                Err(e) => vec![Msg::OutboxEntries(Err(e.to_string())), self.outbox_lines()],
            },
            Effect::OutboxCancel(id) => match self.pipeline.outbox().cancel(id) {
                Ok(()) => vec![self.outbox_lines()],
                Err(e) => vec![Msg::OutboxEntries(Err(e.to_string())), self.outbox_lines()],
            },
            Effect::TakePhoto { order_key, parcel } => {
                let (Some(store), Some((camera, station))) =
                    (self.photos.clone(), self.camera.clone())
                else {
                    return vec![Msg::Photo(Err(
                        "no camera is configured ([camera] in station.toml)".into(),
                    ))];
                };
                let tx = self.tx.clone();
                let packer = self.store.packer().ok().flatten();
                let engine = self.rules.clone();
                tokio::spawn(async move {
                    let res = store
                        .take(
                            camera.as_ref(),
                            &order_key,
                            Some(parcel),
                            &station,
                            packer.as_deref(),
                        )
                        .await
                        .map_err(|e| e.to_string())
                        .and_then(|rec| {
                            engine.fire(crate::rules::Event::new(
                                crate::rules::EventKind::PhotoTaken,
                                &order_key,
                                &rec.seq.to_string(),
                            ));
                            store
                                .list(&order_key)
                                .map(|v| (order_key.clone(), v.len()))
                                .map_err(|e| e.to_string())
                        });
                    let _ = tx.send(Msg::Photo(res));
                });
                Vec::new()
            }
            Effect::Reprint { order, shipments } => self.reprint(&order, shipments),
            Effect::Print(p) => self.print(p),
            e @ (Effect::ShipAgain { .. }
            | Effect::DropShipments { .. }
            | Effect::HandoverList
            | Effect::Handover { .. }) => self.shipment_effect(e),
            Effect::Detail(crate::app::detail::DetailEffect::Docs { key }) => self.order_docs(&key),
            Effect::Detail(crate::app::detail::DetailEffect::OpenDoc { order, doc }) => {
                self.open_doc(*order, doc)
            }
            Effect::Detail(e) => detail::run(
                &self.store,
                self.pipeline.outbox(),
                self.shop.as_ref(),
                &self.tx,
                e,
            ),
            Effect::Rule(ev) => {
                self.rules.fire(ev);
                Vec::new()
            }
            Effect::RulesLog => vec![Msg::RuleLog(self.rules.lines(50))],
            Effect::Bell | Effect::Quit => Vec::new(),
        }
    }

    #[allow(clippy::type_complexity)]
    fn load(
        &self,
        key: &str,
    ) -> Result<Option<(Order, Option<PackSession>, Vec<Shipment>)>, crate::store::StoreError> {
        let Some(order) = self.store.order(key)? else {
            return Ok(None);
        };
        let session = self.store.session(key)?;
        let shipments = self.store.shipments(key)?;
        Ok(Some((order, session, shipments)))
    }

    fn persist(&self, p: Persist) -> Vec<Msg> {
        let (res, previous) = match p {
            Persist::Step {
                session,
                ledger,
                summary,
                previous,
            } => (self.store.save_step(&session, &ledger, &summary), previous),
            Persist::OpenOrder(k) => (self.store.set_open_order(k.as_deref()), None),
            Persist::Packer(p) => (self.store.set_packer(p.as_deref()), None),
            Persist::Event(ev) => (self.store.append_event(&ev), None),
            Persist::Summary(row) => (self.store.save_summary(&row), None),
        };
        match res {
            Ok(()) => Vec::new(),
            Err(e) => {
                tracing::error!(error = %e, "durable write failed");
                vec![Msg::PersistFailed {
                    error: e.to_string(),
                    previous,
                }]
            }
        }
    }
}

/// The carrier request for one parcel of a packed order.
pub fn request(
    order: &Order,
    session: &PackSession,
    parcel_no: u32,
    parcel_count: u32,
) -> ShipmentRequest {
    let weight_kg = session
        .parcels
        .iter()
        .find(|p| p.no == parcel_no)
        .and_then(|p| p.weight_kg)
        .unwrap_or(0.0);
    let digits: String = order.number.chars().filter(char::is_ascii_digit).collect();
    ShipmentRequest {
        eid: eid_for(&order.number, parcel_no, 0),
        order_number: order.number.clone(),
        shop_id: order.shop_id.clone(),
        carrier: order.shipping.carrier.clone(),
        service: order.shipping.service.clone(),
        recipient: order.customer.clone(),
        pickup_point: order.shipping.pickup_point.clone(),
        // COD is collected once: on the first parcel.
        cod: if parcel_no == 1 {
            order.cod.clone()
        } else {
            None
        },
        variable_symbol: (!digits.is_empty()).then_some(digits),
        value: Some(order.total.clone()),
        weight_kg,
        parcel_no,
        parcel_count,
        note: None,
    }
}

/// Feeds one message to the reducer and runs its effects; store answers are fed back at
/// once, so when this returns every decision is durable and the state is ready to draw.
/// Returns whether the bell should ring.
pub fn dispatch(
    state: &mut crate::app::AppState,
    runner: &Runner,
    msg: Msg,
    start: std::time::Instant,
) -> bool {
    let mut bell = false;
    let mut pending = std::collections::VecDeque::from([msg]);
    while let Some(m) = pending.pop_front() {
        state.now = chrono::Utc::now();
        state.now_ms = start.elapsed().as_millis() as u64;
        for e in crate::app::update(state, m) {
            match e {
                Effect::Bell => bell = true,
                Effect::Quit => {}
                e => pending.extend(runner.run(e)),
            }
        }
    }
    bell
}
