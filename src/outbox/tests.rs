//! Outbox and worker against in-memory fakes whose failures are scripted. The fake carrier
//! is deliberately NOT idempotent (every `create` makes a new package, unlike Balikobot's
//! `eid`), so exactly-once depends on the worker reconciling.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::watch;

use super::*;
use crate::carrier::{
    Carrier, CarrierError, CreatedShipment, Handover, ShipmentRequest, TrackStatus,
};
use crate::domain::{Address, Order};
use crate::shop::{
    FetchResult, NoteMode, OrderQuery, OrderUpdate, Quota, Shop, ShopError, ShopStatus, SyncCursor,
    UpdateOutcome,
};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Plan {
    Ok,
    /// Applied, then the answer is lost.
    Ambiguous,
    /// Refused before anything happened (HTTP 503).
    Unavailable,
    Reject,
}

#[derive(Default)]
struct FakeCarrier {
    create_plan: Mutex<VecDeque<Plan>>,
    label_plan: Mutex<VecDeque<Plan>>,
    packages: Mutex<Vec<(String, CreatedShipment)>>,
    creates: Mutex<u32>,
    reconciles: Mutex<u32>,
    labels: Mutex<u32>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl FakeCarrier {
    fn plan(q: &Mutex<VecDeque<Plan>>) -> Plan {
        lock(q).pop_front().unwrap_or(Plan::Ok)
    }

    fn make(&self, eid: &str) -> CreatedShipment {
        let mut p = lock(&self.packages);
        let n = p.len() + 1;
        let c = CreatedShipment {
            package_id: format!("P{n}"),
            tracking_number: format!("DR{n:08}CZ"),
            label_url: None,
        };
        p.push((eid.to_string(), c.clone()));
        c
    }

    fn count_for(&self, eid: &str) -> usize {
        lock(&self.packages)
            .iter()
            .filter(|(e, _)| e == eid)
            .count()
    }
}

fn unavailable() -> CarrierError {
    CarrierError::Api {
        provider: "fake",
        status: 503,
        message: "carrier unavailable".into(),
    }
}

#[async_trait]
impl Carrier for FakeCarrier {
    fn kind(&self) -> &'static str {
        "fake"
    }
    async fn create(&self, req: &ShipmentRequest) -> Result<CreatedShipment, CarrierError> {
        *lock(&self.creates) += 1;
        match Self::plan(&self.create_plan) {
            Plan::Ok => Ok(self.make(&req.eid)),
            Plan::Ambiguous => {
                self.make(&req.eid);
                Err(CarrierError::Ambiguous {
                    provider: "fake",
                    reason: "timed out".into(),
                })
            }
            Plan::Unavailable => Err(unavailable()),
            Plan::Reject => Err(CarrierError::Rejected {
                provider: "fake",
                fields: vec!["recipient ZIP invalid".into()],
            }),
        }
    }
    async fn reconcile(
        &self,
        req: &ShipmentRequest,
    ) -> Result<Option<CreatedShipment>, CarrierError> {
        *lock(&self.reconciles) += 1;
        Ok(lock(&self.packages)
            .iter()
            .find(|(e, _)| *e == req.eid)
            .map(|(_, c)| c.clone()))
    }
    async fn label(&self, _carrier: &str, ids: &[String]) -> Result<Vec<u8>, CarrierError> {
        *lock(&self.labels) += 1;
        match Self::plan(&self.label_plan) {
            Plan::Reject => Err(CarrierError::Decode {
                provider: "fake",
                detail: "the label is not a PDF".into(),
            }),
            Plan::Unavailable | Plan::Ambiguous => Err(unavailable()),
            Plan::Ok => Ok(format!("%PDF-fake {}", ids.join(",")).into_bytes()),
        }
    }
    async fn drop_shipment(&self, _carrier: &str, package_id: &str) -> Result<(), CarrierError> {
        lock(&self.packages).retain(|(_, c)| c.package_id != package_id);
        Ok(())
    }
    async fn handover(&self, _carrier: &str, ids: &[String]) -> Result<Handover, CarrierError> {
        Ok(Handover {
            order_id: format!("H{}", ids.len()),
            protocol_url: None,
            protocol: None,
        })
    }
    async fn track(&self, _c: &str, _ids: &[String]) -> Result<Vec<TrackStatus>, CarrierError> {
        Ok(vec![])
    }
}

#[derive(Default)]
struct FakeShop {
    push_plan: Mutex<VecDeque<Plan>>,
    /// Every `push_updates` call.
    pushes: Mutex<Vec<Vec<OrderUpdate>>>,
    /// Orders the shop does not know (per-order error).
    unknown: Vec<String>,
    notes: Mutex<Vec<(String, String)>>,
    history: Mutex<Vec<(String, String)>>,
}

#[async_trait]
impl Shop for FakeShop {
    fn kind(&self) -> &'static str {
        "fakeshop"
    }
    async fn fetch_orders(&self, _c: &SyncCursor) -> Result<FetchResult, ShopError> {
        Err(ShopError::Decode {
            shop: "fakeshop",
            detail: "not used".into(),
        })
    }
    async fn statuses(&self) -> Result<Vec<ShopStatus>, ShopError> {
        Ok(vec![])
    }
    async fn push_updates(&self, updates: &[OrderUpdate]) -> Result<Vec<UpdateOutcome>, ShopError> {
        lock(&self.pushes).push(updates.to_vec());
        match FakeCarrier::plan(&self.push_plan) {
            Plan::Unavailable | Plan::Ambiguous => Err(ShopError::Api {
                shop: "fakeshop",
                status: 503,
                code: "503".into(),
                message: "down".into(),
            }),
            Plan::Reject => Err(ShopError::Auth {
                shop: "fakeshop",
                status: 401,
            }),
            Plan::Ok => Ok(updates
                .iter()
                .map(|u| UpdateOutcome {
                    number: u.number.clone(),
                    result: if self.unknown.contains(&u.number) {
                        Err(format!("Order {} does not exist", u.number))
                    } else {
                        Ok(())
                    },
                })
                .collect()),
        }
    }
    async fn set_note(&self, o: &OrderUpdate, text: &str, _m: NoteMode) -> Result<(), ShopError> {
        lock(&self.notes).push((o.number.clone(), text.to_string()));
        Ok(())
    }
    async fn add_history(&self, o: &OrderUpdate, text: &str) -> Result<(), ShopError> {
        lock(&self.history).push((o.number.clone(), text.to_string()));
        Ok(())
    }
    async fn find(&self, _q: &OrderQuery) -> Result<Vec<Order>, ShopError> {
        Ok(vec![])
    }
    fn quota(&self) -> Quota {
        Quota::default()
    }
}

fn req(eid: &str) -> ShipmentRequest {
    ShipmentRequest {
        eid: eid.into(),
        order_number: eid.split('-').next().unwrap_or(eid).into(),
        shop_id: None,
        carrier: "cp".into(),
        service: "DR".into(),
        recipient: Address {
            name: "Jana".into(),
            company: String::new(),
            street: "Dlouha 5".into(),
            city: "Brno".into(),
            zip: "60200".into(),
            country: "CZ".into(),
            phone: String::new(),
            email: String::new(),
        },
        pickup_point: None,
        cod: None,
        variable_symbol: None,
        value: None,
        weight_kg: 1.0,
        parcel_no: 1,
        parcel_count: 1,
        note: None,
    }
}

fn ship(eid: &str) -> Operation {
    Operation::CreateShipment {
        order_key: format!("o:{eid}"),
        parcel_no: 1,
        parcel_count: 1,
        req: Box::new(req(eid)),
    }
}

fn update(number: &str, status: Option<&str>, tracking: Option<&str>) -> OrderUpdate {
    OrderUpdate {
        number: number.into(),
        shop_id: None,
        status: status.map(str::to_string),
        tracking_number: tracking.map(str::to_string),
        notify: false,
    }
}

fn fast() -> WorkerOptions {
    WorkerOptions {
        batch_window: Duration::from_millis(30),
        concurrency: 4,
        backoff_base: Duration::from_millis(5),
        backoff_max: Duration::from_millis(40),
        op_timeout: Duration::from_secs(5),
        shutdown_grace: Duration::from_secs(1),
        frugal: None,
    }
}

struct Harness {
    _dir: tempfile::TempDir,
    outbox: Outbox,
    events: Arc<Mutex<Vec<OutboxEvent>>>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<Result<(), OutboxError>>,
}

fn open_outbox() -> (tempfile::TempDir, Outbox) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    let outbox = Outbox::open(&store).expect("outbox");
    (dir, outbox)
}

fn start(
    dir: tempfile::TempDir,
    outbox: Outbox,
    shop: Arc<FakeShop>,
    carrier: Arc<FakeCarrier>,
) -> Harness {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let worker = Worker::new(outbox.clone(), shop, carrier, move |e| lock(&sink).push(e))
        .with_options(fast());
    let (stop, rx) = watch::channel(false);
    let task = tokio::spawn(worker.run(rx));
    Harness {
        _dir: dir,
        outbox,
        events,
        stop,
        task,
    }
}

impl Harness {
    /// Waits until no entry is pending or in flight (at most 5 s).
    async fn settle(&self) {
        for _ in 0..500 {
            let c = self.outbox.counts().expect("counts");
            if c.pending == 0 && c.in_flight == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("outbox did not settle: {:?}", self.outbox.counts());
    }

    async fn stop(self) -> Vec<OutboxEvent> {
        let _ = self.stop.send(true);
        self.task.await.expect("join").expect("worker ran");
        lock(&self.events).clone()
    }
}

/// Reopens a data directory just closed in this process: sled's background flusher may
/// hold the lock for up to one flush interval after the last handle is dropped.
fn reopen(dir: &std::path::Path) -> Store {
    let t0 = std::time::Instant::now();
    loop {
        match Store::open(dir) {
            Ok(s) => return s,
            Err(StoreError::Locked { .. }) if t0.elapsed() < Duration::from_secs(5) => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("reopen {}: {e}", dir.display()),
        }
    }
}

#[test]
fn keys_are_stable_and_distinct() {
    assert_eq!(ship("100-1").idempotency_key(), "ship:100-1");
    let s = Operation::PushStatus(update("100", Some("4"), Some("DR1")));
    assert_eq!(s.idempotency_key(), "status:100:4:DR1");
    let t = Operation::PushStatus(update("100", None, Some("DR1")));
    assert_eq!(t.idempotency_key(), "status:100:-:DR1");
    let h1 = Operation::Handover {
        carrier: "cp".into(),
        package_ids: vec!["1".into(), "2".into()],
    };
    let h2 = Operation::Handover {
        carrier: "cp".into(),
        package_ids: vec!["2".into(), "1".into()],
    };
    assert_eq!(h1.idempotency_key(), h2.idempotency_key());
    let n1 = Operation::SetNote {
        order: update("100", None, None),
        text: "a".into(),
        mode: NoteMode::Append,
    };
    let n2 = Operation::SetNote {
        order: update("100", None, None),
        text: "b".into(),
        mode: NoteMode::Append,
    };
    assert_ne!(n1.idempotency_key(), n2.idempotency_key());
}

#[test]
fn an_origin_keys_rule_operations_by_their_execution() {
    let (_dir, outbox) = open_outbox();
    let op = || Operation::PushStatus(update("100", Some("4"), None));
    let first = outbox
        .enqueue_from(op(), "packed: ship:packed:k:1#2")
        .expect("first");
    // The same execution again (resumed after a restart): the same entry.
    let again = outbox
        .enqueue_from(op(), "packed: ship:packed:k:1#2")
        .expect("again");
    assert_eq!(first, again);
    // A new occurrence of the event: a new entry.
    let next = outbox
        .enqueue_from(op(), "packed: ship:packed:k:2#2")
        .expect("next");
    assert_ne!(first, next);
    // Without an origin the key is the old one, and apart from the rule's.
    let plain = outbox.enqueue(op()).expect("plain");
    assert_ne!(plain, first);
    assert_ne!(plain, next);
    let entries = outbox.list(Filter::All).expect("list");
    assert_eq!(entries.len(), 3);
    let plain = entries.iter().find(|e| e.id == plain).expect("plain entry");
    assert_eq!(plain.key, "status:100:4:-");
    assert_eq!(plain.origin, None);
    let ruled = entries.iter().find(|e| e.id == first).expect("rule entry");
    assert!(ruled.key.starts_with("status:100:4:-@"), "{}", ruled.key);
    assert_eq!(ruled.origin.as_deref(), Some("packed: ship:packed:k:1#2"));
    // An entry written before `origin` existed (no such field) still decodes.
    let mut json = serde_json::to_value(plain).expect("json");
    assert!(json.get("origin").is_none(), "not written when absent");
    json.as_object_mut().map(|o| o.remove("origin"));
    let old: Entry = serde_json::from_value(json).expect("old entry decodes");
    assert_eq!(old.origin, None);
}

#[test]
fn ids_stay_monotonic_after_purge_and_reopen() {
    let (dir, outbox) = open_outbox();
    let a = outbox.enqueue(ship("1-1")).expect("a");
    let b = outbox.enqueue(ship("2-1")).expect("b");
    assert!(b > a);
    // Finish b and purge it: its id must not come back.
    let mut e = outbox.get(b).expect("get").expect("b exists");
    e.state = EntryState::Done;
    outbox.put(e).expect("put");
    assert_eq!(
        outbox
            .purge(Utc::now() + chrono::Duration::seconds(1))
            .expect("purge"),
        1
    );
    assert!(outbox.find_key("ship:2-1").expect("find").is_none());
    drop(outbox);
    let store = reopen(dir.path());
    let outbox = Outbox::open(&store).expect("outbox");
    let c = outbox.enqueue(ship("3-1")).expect("c");
    assert!(c > b, "{c} after {b}");
    assert_eq!(outbox.counts().expect("counts").pending, 2);
}

#[test]
fn a_damaged_entry_is_reported_not_fatal_and_its_id_not_reused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    let tree = store.open_tree(TREE).expect("tree");
    tree.insert(50u64.to_be_bytes(), b"\x01{not json".as_slice())
        .expect("insert");
    let outbox = Outbox::open(&store).expect("opens despite the damage");
    assert_eq!(outbox.damaged().len(), 1);
    assert!(outbox.damaged()[0].contains("50"), "{:?}", outbox.damaged());
    assert!(outbox.list(Filter::All).expect("list").is_empty());
    assert_eq!(outbox.enqueue(ship("1-1")).expect("enqueue"), 51);
}

#[tokio::test]
async fn ambiguous_create_is_reconciled_not_repeated() {
    let (dir, outbox) = open_outbox();
    let carrier = Arc::new(FakeCarrier::default());
    lock(&carrier.create_plan).extend([Plan::Ambiguous]);
    let id = outbox.enqueue(ship("10-1")).expect("enqueue");
    let h = start(dir, outbox, Arc::new(FakeShop::default()), carrier.clone());
    h.settle().await;
    let e = h.outbox.get(id).expect("get").expect("entry");
    assert_eq!(e.state, EntryState::Done);
    assert_eq!(carrier.count_for("10-1"), 1, "exactly one package");
    assert_eq!(*lock(&carrier.creates), 1, "no second create");
    assert_eq!(*lock(&carrier.reconciles), 1);
    let s = e.shipment().expect("result");
    assert_eq!(s.created.package_id, "P1");
    let label = s.label.as_ref().expect("label ref");
    let bytes = h
        .outbox
        .label(&label.sha256)
        .expect("read")
        .expect("label stored");
    assert_eq!(bytes, b"%PDF-fake P1");
    assert_eq!(label.size, bytes.len());
    let events = h.stop().await;
    assert!(
        events
            .iter()
            .any(|ev| matches!(ev, OutboxEvent::Retrying { id: i, .. } if *i == id))
    );
    assert!(events.iter().any(|ev| matches!(ev,
        OutboxEvent::ShipmentCreated { id: i, created, label: Some(_), .. }
            if *i == id && created.package_id == "P1")));
}

#[tokio::test]
async fn a_clean_failure_after_a_reconcile_is_not_ambiguous() {
    let (dir, outbox) = open_outbox();
    let carrier = Arc::new(FakeCarrier::default());
    // Unavailable (nothing created), then created fine: no reconcile is needed at all.
    lock(&carrier.create_plan).extend([Plan::Unavailable, Plan::Ok]);
    let id = outbox.enqueue(ship("11-1")).expect("enqueue");
    let h = start(dir, outbox, Arc::new(FakeShop::default()), carrier.clone());
    h.settle().await;
    let e = h.outbox.get(id).expect("get").expect("entry");
    assert_eq!(e.state, EntryState::Done);
    assert_eq!(e.attempts, 2);
    assert_eq!(*lock(&carrier.reconciles), 0);
    assert_eq!(carrier.count_for("11-1"), 1);
    h.stop().await;
}

#[tokio::test]
async fn in_flight_at_start_is_reconciled_first() {
    let (dir, outbox) = open_outbox();
    let carrier = Arc::new(FakeCarrier::default());
    let id = outbox.enqueue(ship("12-1")).expect("enqueue");
    // A previous run claimed it, created the package, and died before recording it.
    outbox.claim(id).expect("claim").expect("claimed");
    carrier.make("12-1");
    drop(outbox);
    let store = reopen(dir.path());
    let outbox = Outbox::open(&store).expect("outbox");
    assert_eq!(
        outbox.get(id).expect("get").expect("entry").state,
        EntryState::InFlight
    );
    let h = start(dir, outbox, Arc::new(FakeShop::default()), carrier.clone());
    h.settle().await;
    assert_eq!(
        *lock(&carrier.creates),
        0,
        "found by reconcile, not created"
    );
    assert_eq!(*lock(&carrier.reconciles), 1);
    assert_eq!(carrier.count_for("12-1"), 1);
    let e = h.outbox.get(id).expect("get").expect("entry");
    assert_eq!(e.state, EntryState::Done);
    assert!(!e.ambiguous);
    h.stop().await;
}

#[tokio::test]
async fn rejected_shipment_fails_with_the_reason_then_retry_and_cancel() {
    let (dir, outbox) = open_outbox();
    let carrier = Arc::new(FakeCarrier::default());
    lock(&carrier.create_plan).extend([Plan::Reject, Plan::Reject]);
    let id = outbox.enqueue(ship("13-1")).expect("enqueue");
    let h = start(dir, outbox, Arc::new(FakeShop::default()), carrier.clone());
    h.settle().await;
    let e = h.outbox.get(id).expect("get").expect("entry");
    assert_eq!(e.state, EntryState::Failed);
    assert_eq!(e.attempts, 1, "permanent: not retried by itself");
    let reason = e.last_error.clone().unwrap_or_default();
    assert!(reason.contains("recipient ZIP invalid"), "{reason}");
    let failed = h.outbox.list(Filter::Attention).expect("list");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].id, id);
    // Retry: refused again, then cancel.
    h.outbox.retry(id).expect("retry");
    h.settle().await;
    assert_eq!(*lock(&carrier.creates), 2);
    h.outbox.cancel(id).expect("cancel");
    let e = h.outbox.get(id).expect("get").expect("entry");
    assert_eq!(e.state, EntryState::Cancelled);
    assert!(matches!(
        h.outbox.cancel(id),
        Err(OutboxError::NotAllowed {
            action: "cancel",
            ..
        })
    ));
    assert!(matches!(
        h.outbox.retry(id),
        Err(OutboxError::NotAllowed {
            action: "retry",
            ..
        })
    ));
    assert!(matches!(
        h.outbox.cancel(9999),
        Err(OutboxError::NotFound { id: 9999 })
    ));
    assert!(h.outbox.list(Filter::Attention).expect("list").is_empty());
    let events = h.stop().await;
    let failures = events
        .iter()
        .filter(
            |ev| matches!(ev, OutboxEvent::ShipmentFailed { error, .. } if error.contains("ZIP")),
        )
        .count();
    assert_eq!(failures, 2);
    assert_eq!(carrier.count_for("13-1"), 0);
}

#[tokio::test]
async fn a_label_failure_keeps_the_shipment_and_a_retry_does_not_create_again() {
    let (dir, outbox) = open_outbox();
    let carrier = Arc::new(FakeCarrier::default());
    lock(&carrier.label_plan).extend([Plan::Reject]);
    let id = outbox.enqueue(ship("14-1")).expect("enqueue");
    let h = start(dir, outbox, Arc::new(FakeShop::default()), carrier.clone());
    h.settle().await;
    let e = h.outbox.get(id).expect("get").expect("entry");
    assert_eq!(e.state, EntryState::Failed);
    let reason = e.last_error.clone().unwrap_or_default();
    assert!(reason.contains("created, but its label"), "{reason}");
    assert_eq!(
        e.shipment().map(|s| s.created.package_id.as_str()),
        Some("P1")
    );
    h.outbox.retry(id).expect("retry");
    h.settle().await;
    let e = h.outbox.get(id).expect("get").expect("entry");
    assert_eq!(e.state, EntryState::Done);
    assert!(e.shipment().and_then(|s| s.label.as_ref()).is_some());
    assert_eq!(*lock(&carrier.creates), 1);
    assert_eq!(*lock(&carrier.labels), 2);
    let events = h.stop().await;
    assert!(events.contains(&OutboxEvent::Failed {
        id,
        error: reason.clone()
    }));
    assert!(
        events
            .iter()
            .any(|ev| matches!(ev, OutboxEvent::ShipmentCreated { label: None, .. }))
    );
}

#[tokio::test]
async fn status_updates_are_merged_per_order_and_batched() {
    let (dir, outbox) = open_outbox();
    let shop = Arc::new(FakeShop {
        unknown: vec!["404".into()],
        ..FakeShop::default()
    });
    lock(&shop.push_plan).extend([Plan::Unavailable]);
    let a = outbox
        .enqueue(Operation::PushStatus(update("1", Some("5"), None)))
        .expect("a");
    outbox
        .enqueue(Operation::PushStatus(update("2", Some("4"), Some("T2"))))
        .expect("b");
    outbox
        .enqueue(Operation::PushStatus(update("1", Some("4"), Some("T1"))))
        .expect("c");
    let bad = outbox
        .enqueue(Operation::PushStatus(update("404", Some("4"), None)))
        .expect("d");
    // Idempotent: the same update again is the same entry.
    assert_eq!(
        outbox
            .enqueue(Operation::PushStatus(update("1", Some("5"), None)))
            .expect("again"),
        a
    );
    let h = start(dir, outbox, shop.clone(), Arc::new(FakeCarrier::default()));
    h.settle().await;
    let pushes = lock(&shop.pushes).clone();
    assert_eq!(pushes.len(), 2, "one failed batch, one retry: {pushes:?}");
    for p in &pushes {
        assert_eq!(p.len(), 3, "three orders in one call");
        let one = p.iter().find(|u| u.number == "1").expect("order 1");
        assert_eq!(one.status.as_deref(), Some("4"), "the newer status wins");
        assert_eq!(one.tracking_number.as_deref(), Some("T1"));
    }
    let c = h.outbox.counts().expect("counts");
    assert_eq!((c.done, c.failed), (3, 1));
    let e = h.outbox.get(bad).expect("get").expect("entry");
    assert!(
        e.last_error.as_deref().unwrap_or_default().contains("404"),
        "{e:?}"
    );
    h.stop().await;
}

#[tokio::test]
async fn a_batched_update_says_when_it_goes_and_goes_then() {
    let (dir, outbox) = open_outbox();
    let shop = Arc::new(FakeShop::default());
    let worker = Worker::new(
        outbox.clone(),
        shop.clone(),
        Arc::new(FakeCarrier::default()),
        |_| {},
    )
    .with_options(fast())
    .with_batching(super::batching::Batching {
        max_delay: Duration::from_millis(600),
        quota_share: 0.0,
        ..super::batching::Batching::default()
    });
    let (stop, rx) = watch::channel(false);
    let task = tokio::spawn(worker.run(rx));
    // The first after the start goes once settled (a quiet spell) …
    outbox
        .enqueue(Operation::PushStatus(update("1", Some("4"), Some("T1"))))
        .expect("first");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(lock(&shop.pushes).len(), 1);
    assert_eq!(outbox.batch_due(), None, "nothing waits");
    // … the next waits for company, and the outbox says until when.
    let t0 = Utc::now();
    outbox
        .enqueue(Operation::PushStatus(update("2", Some("4"), Some("T2"))))
        .expect("second");
    tokio::time::sleep(Duration::from_millis(150)).await;
    let due = outbox.batch_due().expect("a due time while it waits");
    assert!(
        due > t0 + chrono::Duration::milliseconds(400)
            && due < t0 + chrono::Duration::milliseconds(800),
        "{due} vs {t0}"
    );
    assert_eq!(lock(&shop.pushes).len(), 1);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(lock(&shop.pushes).len(), 2);
    assert_eq!(outbox.batch_due(), None);
    let _ = stop.send(true);
    task.await.expect("join").expect("worker");
    drop(dir);
}

#[tokio::test]
async fn notes_of_one_order_run_in_order_and_other_ops_complete() {
    let (dir, outbox) = open_outbox();
    let shop = Arc::new(FakeShop::default());
    for i in 0..5 {
        outbox
            .enqueue(Operation::SetNote {
                order: update("7", None, None),
                text: format!("note {i}"),
                mode: NoteMode::Append,
            })
            .expect("note");
    }
    outbox
        .enqueue(Operation::AddHistory {
            order: update("7", None, None),
            text: "packed by Eva".into(),
        })
        .expect("history");
    let ho = outbox
        .enqueue(Operation::Handover {
            carrier: "cp".into(),
            package_ids: vec!["P1".into(), "P2".into()],
        })
        .expect("handover");
    let carrier = Arc::new(FakeCarrier::default());
    carrier.make("x");
    let dr = outbox
        .enqueue(Operation::DropShipment {
            carrier: "cp".into(),
            package_id: "P1".into(),
        })
        .expect("drop");
    let h = start(dir, outbox, shop.clone(), carrier.clone());
    h.settle().await;
    let notes: Vec<String> = lock(&shop.notes).iter().map(|(_, t)| t.clone()).collect();
    assert_eq!(
        notes,
        (0..5).map(|i| format!("note {i}")).collect::<Vec<_>>()
    );
    assert_eq!(lock(&shop.history).len(), 1);
    let e = h.outbox.get(ho).expect("get").expect("entry");
    assert_eq!(
        e.result,
        Some(OpResult::Handover(Handover {
            order_id: "H2".into(),
            protocol_url: None,
            protocol: None
        }))
    );
    assert_eq!(
        h.outbox.get(dr).expect("get").expect("entry").state,
        EntryState::Done
    );
    assert!(lock(&carrier.packages).is_empty());
    h.stop().await;
}

#[tokio::test]
async fn fetched_labels_go_to_the_label_store_linked_to_their_parcel() {
    let (dir, outbox) = open_outbox();
    let carrier = Arc::new(FakeCarrier::default());
    let id = outbox.enqueue(ship("20-1")).expect("enqueue");
    let h = start(dir, outbox, Arc::new(FakeShop::default()), carrier);
    h.settle().await;
    let e = h.outbox.get(id).expect("get").expect("entry");
    let label = e
        .shipment()
        .and_then(|s| s.label.clone())
        .expect("label ref");
    let ls = h.outbox.label_store();
    assert_eq!(
        ls.linked("o:20-1", 1).expect("linked"),
        Some(label.sha256.clone())
    );
    assert_eq!(
        ls.get_for("o:20-1", 1).expect("get").as_deref(),
        Some(&b"%PDF-fake P1"[..])
    );
    // Not in the old sled tree: one store.
    let legacy = h.outbox.inner.labels.len();
    assert_eq!(legacy, 0);
    let _ = h.stop().await;
}

#[test]
fn labels_an_older_version_kept_in_the_outbox_tree_are_moved_and_linked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pdf = b"%PDF-1.4 old label".to_vec();
    let sha = hex(&Sha256::digest(&pdf));
    {
        let store = Store::open(dir.path()).expect("store");
        let outbox = Outbox::open(&store).expect("outbox");
        let id = outbox.enqueue(ship("30-1")).expect("enqueue");
        let mut e = outbox.get(id).expect("get").expect("entry");
        e.state = EntryState::Done;
        e.result = Some(OpResult::Shipment(ShipmentResult {
            created: CreatedShipment {
                package_id: "P9".into(),
                tracking_number: "DR9".into(),
                label_url: None,
            },
            label: Some(LabelRef {
                sha256: sha.clone(),
                size: pdf.len(),
            }),
        }));
        outbox.put(e).expect("put");
        // What an older version did: the label in the `labels` tree only.
        outbox
            .inner
            .labels
            .insert(sha.as_bytes(), pdf.as_slice())
            .expect("insert");
        std::fs::remove_dir_all(dir.path().join("labels")).expect("no label files yet");
        store.flush().expect("flush");
    }
    let store = Store::open(dir.path()).expect("store again");
    let outbox = Outbox::open(&store).expect("outbox again");
    let ls = outbox.label_store();
    assert_eq!(ls.linked("o:30-1", 1).expect("linked"), Some(sha.clone()));
    assert_eq!(ls.get(&sha).expect("get"), Some(pdf.clone()));
    assert_eq!(outbox.label(&sha).expect("label"), Some(pdf));
    assert!(outbox.inner.labels.is_empty(), "moved, not copied");
}
