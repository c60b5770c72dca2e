//! Set-up shared by the integration tests that drive the bench through the reducer and the
//! effect runner. Each test crate uses part of it.
#![allow(dead_code)]

pub mod render;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use packdesk::app::detail::DetailMsg;
use packdesk::app::{AppState, Msg, Settings};
use packdesk::domain::Order;
use packdesk::domain::OrderSummary;
use packdesk::effects::{Pipeline, Printing, Runner, dispatch};
use packdesk::outbox::Outbox;
use packdesk::print::{PrintQueue, PrintersSection};
use packdesk::scan::{Assembler, KeyIn, ScanConfig};
use packdesk::shop::upgates::UpgatesClient;
use packdesk::shop::{OrderUpdate, Shop};
use packdesk::sim::upgates::UpgatesSim;
use packdesk::sim::{Faults, Running};
use packdesk::store::Store;

/// Demo orders a packer can finish with the scanner alone, on Balikobot's carriers.
pub fn packable(orders: &[Order]) -> Vec<Order> {
    orders
        .iter()
        .filter(|o| {
            !o.cancelled
                && o.note.as_ref().is_none_or(|n| !n.ack_required)
                && o.lines
                    .iter()
                    .all(|l| l.ean.is_some() && !l.needs_serial && l.aliases.is_empty())
                && o.shipping.carrier != "inpost"
        })
        .cloned()
        .collect()
}

/// A bench with the default settings and scanner, listing `rows`.
pub fn bench_state(rows: Vec<OrderSummary>) -> AppState {
    AppState::new(
        Settings::default(),
        Assembler::new(ScanConfig::default()),
        rows,
    )
}

/// Types `code` as a scanner does, then Enter. The wait puts a repeat of the same code
/// after the 80 ms double-fire window, as a packer's next scan is.
pub fn scan(state: &mut AppState, runner: &Runner, code: &str, start: Instant) {
    for c in code.chars() {
        dispatch(state, runner, Msg::ScanKey(KeyIn::Char(c)), start);
    }
    std::thread::sleep(Duration::from_millis(90));
    dispatch(state, runner, Msg::ScanKey(KeyIn::Enter), start);
}

/// A BaseLinker `getOrders` order in the wire format (Czech customer, one line).
pub fn bl_wire_order(id: i64, confirmed: i64) -> serde_json::Value {
    serde_json::json!({
        "order_id": id, "shop_order_id": id - 1000, "order_status_id": 1051,
        "date_add": confirmed - 60, "date_confirmed": confirmed, "confirmed": true,
        "currency": "CZK", "payment_method_cod": "0", "payment_done": "0",
        "email": format!("zakaznik{id}@example.cz"), "phone": "+420 601 234 567",
        "delivery_method": "PPL", "delivery_price": "89",
        "delivery_fullname": "Petr Svoboda", "delivery_address": "Dlouhá 5",
        "delivery_city": "Praha", "delivery_postcode": "110 00", "delivery_country_code": "CZ",
        "admin_comments": "",
        "products": [{"name": "Hrnek", "sku": "HR-1", "ean": "8594000000019",
                      "price_brutto": "199.00", "quantity": "1", "weight": "0.4"}]
    })
}

/// An Upgates simulator and the real Upgates client talking to it.
pub struct UpgatesShop {
    pub sim: UpgatesSim,
    /// The simulator's server: bind it for as long as the test talks to the shop (it
    /// stops when dropped).
    pub _run: Running,
    pub shop: Arc<UpgatesClient>,
}

/// Starts an Upgates simulator (login `login`, key `key`, no faults, seed 1) on a free
/// port with the `wire` orders in it, and its client.
pub async fn upgates_shop(wire: Vec<serde_json::Value>) -> UpgatesShop {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sim = UpgatesSim::new("login", "key", Faults::default(), 1);
    sim.add_orders(wire);
    let run = sim.start(0).await.expect("sim");
    let shop = Arc::new(UpgatesClient::new(&run.base_url, "login", "key", false).expect("client"));
    UpgatesShop {
        sim,
        _run: run,
        shop,
    }
}

/// Sets the shop status of order `number` through the client, without notifying the
/// customer, and asserts the shop took it.
pub async fn set_status(shop: &UpgatesClient, number: &str, status: &str) {
    let res = shop
        .push_updates(&[OrderUpdate {
            number: number.into(),
            shop_id: None,
            status: Some(status.into()),
            tracking_number: None,
            notify: false,
        }])
        .await
        .expect("push");
    assert!(res.iter().all(|o| o.result.is_ok()), "{res:?}");
}

/// The next order-detail answer the background sent to the bench (other messages are
/// skipped); fails after 10 s.
pub async fn next_detail(rx: &mut tokio::sync::mpsc::UnboundedReceiver<Msg>) -> DetailMsg {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match tokio::time::timeout(Duration::from_millis(100), rx.recv()).await {
            Ok(Some(Msg::Detail(m))) => return m,
            Ok(Some(_)) | Err(_) => {}
            Ok(None) => panic!("channel closed"),
        }
        assert!(Instant::now() < deadline, "no detail answer");
    }
}

/// A pipeline on `outbox` and `store` shipping with Balikobot, keeping its files in `out`
/// and printing through `queue` on `printers`; nothing runs.
pub fn printing_pipeline(
    outbox: Outbox,
    store: &Store,
    out: &Path,
    queue: &PrintQueue,
    printers: PrintersSection,
) -> Pipeline {
    Pipeline::new(outbox, store.clone(), out, Vec::new(), None, "balikobot").with_printing(
        Printing {
            queue: queue.clone(),
            printers,
            out_dir: out.to_path_buf(),
        },
    )
}

/// The Upgates and Balikobot simulators on loopback and real clients of both: what the
/// bench talks to in the pipeline, rules and hand-over tests.
pub struct Sims {
    pub shop_sim: UpgatesSim,
    pub carrier_sim: packdesk::sim::balikobot::BalikobotSim,
    pub shop: Arc<UpgatesClient>,
    pub carrier: Arc<packdesk::carrier::balikobot::BalikobotClient>,
    /// The servers; they stop when this is dropped.
    pub runs: Vec<Running>,
}

/// Starts the simulators: the shop (`login:key`) holds `all`, the carrier (`user:bkey`)
/// answers with `carrier_faults`.
pub async fn sims(all: &[Order], carrier_faults: Faults) -> Sims {
    use packdesk::sim::upgates::demo_order_json;
    let shop_sim = UpgatesSim::new("login", "key", Faults::default(), 1);
    shop_sim.add_orders(all.iter().map(demo_order_json).collect());
    let shop_run = shop_sim.start(0).await.expect("upgates sim");
    let carrier_sim =
        packdesk::sim::balikobot::BalikobotSim::new("user", "bkey", carrier_faults, 2);
    let carrier_run = carrier_sim.start(0).await.expect("balikobot sim");
    let shop =
        Arc::new(UpgatesClient::new(&shop_run.base_url, "login", "key", false).expect("shop"));
    Sims {
        shop_sim,
        carrier_sim,
        shop,
        carrier: balikobot(&carrier_run.base_url),
        runs: vec![shop_run, carrier_run],
    }
}

/// A Balikobot client of the simulator at `url` (`user:bkey`, 5 s timeout).
pub fn balikobot(url: &str) -> Arc<packdesk::carrier::balikobot::BalikobotClient> {
    Arc::new(
        packdesk::carrier::balikobot::BalikobotClient::new(
            url,
            "user",
            "bkey",
            Duration::from_secs(5),
        )
        .expect("carrier"),
    )
}

/// The bench's first sync of `shop` into `store`; it must succeed.
pub async fn first_sync(
    shop: Arc<dyn Shop>,
    store: &Store,
    tx: &tokio::sync::mpsc::UnboundedSender<Msg>,
) {
    let status =
        packdesk::sync::SyncWorker::new(shop, store.clone(), tx.clone(), Duration::from_secs(60))
            .sync_once()
            .await;
    assert!(status.ok, "{status:?}");
}

/// What a packer scans for `o`'s items: each line's EAN (its SKU without one), once per
/// unit.
pub fn item_codes(o: &Order) -> Vec<&str> {
    o.lines
        .iter()
        .flat_map(|l| {
            std::iter::repeat_n(
                l.ean.as_deref().unwrap_or(&l.sku),
                l.quantity.as_f64() as usize,
            )
        })
        .collect()
}

/// The outbox worker's event handler of the bench: each event goes through the pipeline,
/// and what the pipeline answers goes to the bench's channel.
pub fn bench_events(
    pipeline: &Pipeline,
    tx: &tokio::sync::mpsc::UnboundedSender<Msg>,
) -> impl Fn(packdesk::outbox::OutboxEvent) + Send + Sync + 'static {
    let (p, tx) = (pipeline.clone(), tx.clone());
    move |ev| {
        for m in p.on_event(&ev) {
            let _ = tx.send(m);
        }
    }
}
