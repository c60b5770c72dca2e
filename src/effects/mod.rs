//! Effect runners: the only place where the bench's decisions touch the world.
//!
//! Store effects run at once, before the next frame is drawn: a scan is durable before it
//! is shown as accepted (sled writes plus a flush take well under a millisecond here; see
//! the `scan_to_frame` benchmark). Everything slow — shipments, labels, later printing and
//! the network — runs as a tokio task and reports back as a [`Msg`].

use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;

use crate::app::{Effect, Looked, Lookup, Msg, Persist};
use crate::carrier::{Carrier, ShipmentRequest};
use crate::domain::{Order, Shipment, ShipmentState};
use crate::flow::PackSession;
use crate::store::Store;

/// Runs effects against the store and the carrier.
#[derive(Clone)]
pub struct Runner {
    store: Store,
    carrier: Arc<dyn Carrier>,
    tx: UnboundedSender<Msg>,
}

impl Runner {
    pub fn new(store: Store, carrier: Arc<dyn Carrier>, tx: UnboundedSender<Msg>) -> Runner {
        Runner { store, carrier, tx }
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
                let this = self.clone();
                tokio::spawn(async move {
                    this.ship(&order, &session).await;
                    let _ = this.tx.send(Msg::JobDone);
                });
                Vec::new()
            }
            Effect::Reprint { order, shipments } => {
                let this = self.clone();
                tokio::spawn(async move {
                    this.reprint(&order, shipments).await;
                    let _ = this.tx.send(Msg::JobDone);
                });
                Vec::new()
            }
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

    /// One shipment per parcel, each saved and reported as it completes.
    async fn ship(&self, order: &Order, session: &PackSession) {
        let count = session.parcels.len() as u32;
        for parcel in &session.parcels {
            let req = request(order, session, parcel.no, count);
            let mut sh = Shipment {
                order_key: order.key(),
                parcel_no: parcel.no,
                parcel_count: count,
                provider: self.carrier.kind().to_string(),
                state: ShipmentState::Pending,
                package_id: None,
                tracking_number: None,
                label_path: None,
                weight_kg: req.weight_kg,
                error: None,
                updated_at: chrono::Utc::now(),
            };
            match self.carrier.create(&req).await {
                Ok(created) => {
                    sh.state = ShipmentState::Ready;
                    sh.package_id = Some(created.package_id);
                    sh.tracking_number = Some(created.tracking_number);
                    sh.label_path = created.label_url;
                }
                Err(e) => {
                    tracing::warn!(order = %order.number, parcel = parcel.no, error = %e, "shipment failed");
                    sh.state = ShipmentState::Failed;
                    sh.error = Some(e.to_string());
                }
            }
            sh.updated_at = chrono::Utc::now();
            if let Err(e) = self.store.save_shipment(&sh) {
                tracing::error!(error = %e, "saving shipment failed");
                sh.state = ShipmentState::Failed;
                sh.error = Some(e.to_string());
            }
            let _ = self.tx.send(Msg::Shipment(Box::new(sh)));
        }
    }

    async fn reprint(&self, order: &Order, shipments: Vec<Shipment>) {
        for sh in shipments {
            let ids = sh.package_id.clone().into_iter().collect::<Vec<_>>();
            let carrier = order.shipping.carrier.clone();
            let mut out = sh.clone();
            match self.carrier.label(&carrier, &ids).await {
                Ok(bytes) => {
                    let path = sh
                        .label_path
                        .clone()
                        .unwrap_or_else(|| format!("{}-{}.pdf", order.number, sh.parcel_no));
                    if let Err(e) = std::fs::write(&path, bytes) {
                        out.error = Some(format!("cannot write {path}: {e}"));
                        out.state = ShipmentState::Failed;
                    }
                }
                Err(e) => {
                    out.error = Some(e.to_string());
                    out.state = ShipmentState::Failed;
                }
            }
            let _ = self.tx.send(Msg::Shipment(Box::new(out)));
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
        eid: format!("{}-{}", order.number, parcel_no),
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
