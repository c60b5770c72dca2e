//! Requests to the shop per packed order for status + tracking, at steady packing rates,
//! against the Upgates simulator's request counter, with the bench's batching
//! (`[status] batch_orders` = 20, `batch_delay_s` = 120, settle 2 s).
//!
//! Time is compressed: one real second stands for `SCALE` seconds at the bench (the
//! worker runs on the wall clock), so "one order every 30 s" is one every 0.5 s here and
//! the 120 s delay is 2 s. Every order sends its *packed* status, then its *ready* status
//! and tracking number ~1 s (bench time) later, as the label comes back. The quota part of
//! the batching is off here (it only lengthens the delay, in absolute time).
//!
//! `cargo test --test frugal -- --nocapture` prints the table.

use std::sync::Arc;
use std::time::Duration;

use packdesk::carrier::own::OwnLabel;
use packdesk::outbox::batching::Batching;
use packdesk::outbox::{EntryState, Operation, Outbox, Worker, WorkerOptions};
use packdesk::shop::OrderUpdate;
use packdesk::shop::upgates::UpgatesClient;
use packdesk::sim::Faults;
use packdesk::sim::upgates::{UpgatesSim, demo_order_json};
use packdesk::store::Store;

const SCALE: f64 = 60.0;

fn bench(secs: f64) -> Duration {
    Duration::from_secs_f64(secs / SCALE)
}

struct Figures {
    orders: usize,
    requests: u64,
    /// Orders per PUT, the last (tail) PUT left out: the steady state.
    steady_per_put: f64,
    /// Ready (tracking) enqueued → in the shop, in bench seconds.
    mean_delay_s: f64,
    max_delay_s: f64,
}

fn update(number: &str, status: &str, tracking: Option<String>) -> Operation {
    Operation::PushStatus(OrderUpdate {
        number: number.into(),
        shop_id: None,
        status: Some(status.into()),
        tracking_number: tracking,
        notify: false,
    })
}

/// `stations` benches, each packing one order every `every_s` bench seconds, for
/// `minutes` bench minutes.
async fn run(stations: usize, every_s: f64, minutes: f64, batching: bool) -> Figures {
    let per_station = (minutes * 60.0 / every_s).round() as usize;
    let n = stations * per_station;
    let orders = packdesk::demo::generate(9, n, chrono::Utc::now());
    let sim = UpgatesSim::new("login", "key", Faults::default(), 1);
    sim.add_orders(orders.iter().map(demo_order_json).collect());
    let run = sim.start(0).await.expect("sim");
    let shop = Arc::new(UpgatesClient::new(&run.base_url, "login", "key", false).expect("client"));
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    let outbox = Outbox::open(&store).expect("outbox");
    let carrier = Arc::new(OwnLabel::new(store.clone(), dir.path(), "Shop"));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = Worker::new(outbox.clone(), shop, carrier, |_| {}).with_options(WorkerOptions {
        batch_window: bench(2.0),
        frugal: None,
        ..WorkerOptions::default()
    });
    // Without batching: the plain 2 s window the bench had before.
    let worker = if batching {
        worker.with_batching(Batching {
            orders: 20,
            max_delay: bench(120.0),
            quota_share: 0.0,
        })
    } else {
        worker
    };
    let task = tokio::spawn(worker.run(stopped));
    let before = sim.request_count();

    // One task per station, staggered over the interval.
    let mut benches = Vec::new();
    for s in 0..stations {
        let outbox = outbox.clone();
        let numbers: Vec<String> = orders
            .iter()
            .skip(s)
            .step_by(stations)
            .map(|o| o.number.clone())
            .collect();
        benches.push(tokio::spawn(async move {
            tokio::time::sleep(bench(every_s * s as f64 / stations as f64)).await;
            let mut tick = tokio::time::interval(bench(every_s));
            let mut ready = Vec::new();
            for (i, number) in numbers.iter().enumerate() {
                tick.tick().await;
                outbox.enqueue(update(number, "5", None)).expect("packed");
                tokio::time::sleep(bench(1.0)).await;
                let tn = format!("DR{s:02}{i:06}CZ");
                ready.push(
                    outbox
                        .enqueue(update(number, "4", Some(tn)))
                        .expect("ready"),
                );
            }
            ready
        }));
    }
    let mut ready_ids = Vec::new();
    for b in benches {
        ready_ids.extend(b.await.expect("bench"));
    }
    // The tail goes out by age.
    let deadline = std::time::Instant::now() + bench(120.0) * 3 + Duration::from_secs(5);
    while outbox.counts().expect("counts").pending > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "updates still pending"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut delays = Vec::new();
    for id in &ready_ids {
        let e = outbox.get(*id).expect("get").expect("entry");
        assert_eq!(e.state, EntryState::Done, "{e:?}");
        delays.push((e.updated_at - e.created_at).to_std().unwrap_or_default());
    }
    for o in &orders {
        let w = sim.order(&o.number).expect("order");
        assert_eq!(w["status_id"], serde_json::json!(4), "{}", o.number);
        assert!(
            w["tracking_code"]
                .as_str()
                .is_some_and(|t| t.starts_with("DR"))
        );
    }
    let requests = sim.request_count() - before;
    let puts = sim.put_sizes();
    let steady = &puts[..puts.len().saturating_sub(1).max(1).min(puts.len())];
    let _ = stop.send(true);
    task.await.expect("join").expect("worker");
    let to_bench = |d: Duration| d.as_secs_f64() * SCALE;
    Figures {
        orders: n,
        requests,
        steady_per_put: steady.iter().sum::<usize>() as f64 / steady.len().max(1) as f64,
        mean_delay_s: to_bench(delays.iter().sum::<Duration>() / delays.len().max(1) as u32),
        max_delay_s: to_bench(delays.iter().max().copied().unwrap_or_default()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_per_packed_order_at_steady_rates() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cases = [
        (
            "6 stations, one order / 30 s each (12/min)",
            6,
            30.0,
            20.0,
            true,
        ),
        (
            "6 stations, one order / 60 s each (6/min)",
            6,
            60.0,
            20.0,
            true,
        ),
        ("1 station, one order / 30 s (2/min)", 1, 30.0, 10.0, true),
        ("1 station, one order / 60 s (1/min)", 1, 60.0, 10.0, true),
        (
            "before: 2 s window only, 1 station, 1/min",
            1,
            60.0,
            10.0,
            false,
        ),
    ];
    let runs = futures::future::join_all(
        cases
            .iter()
            .map(|(_, stations, every, minutes, b)| run(*stations, *every, *minutes, *b)),
    )
    .await;
    println!("requests per packed order (status + tracking), batch 20 orders / 120 s:");
    for ((name, ..), f) in cases.iter().zip(&runs) {
        println!(
            "  {name:<44} {:>4} orders {:>3} requests = {:.3}/order (steady {:.3}); \
             delay to the shop mean {:.0} s, max {:.0} s",
            f.orders,
            f.requests,
            f.requests as f64 / f.orders as f64,
            1.0 / f.steady_per_put.max(1e-9),
            f.mean_delay_s,
            f.max_delay_s
        );
    }
    // 12 orders a minute fill a batch of 20 in 100 s, within the delay: 0.05 in the
    // steady state (the tail request makes the whole run a little more).
    let busy = &runs[0];
    assert!(
        busy.steady_per_put >= 19.0,
        "{:.1} orders per PUT",
        busy.steady_per_put
    );
    assert!(busy.requests as f64 / busy.orders as f64 <= 0.06);
    assert!(
        busy.max_delay_s <= 130.0,
        "max delay {:.0} s",
        busy.max_delay_s
    );
    // Slower rates are bounded by the delay: a request at least every ~2 minutes.
    for f in &runs[1..4] {
        assert!(f.max_delay_s <= 135.0, "max delay {:.0} s", f.max_delay_s);
        assert!(
            f.steady_per_put >= 1.5,
            "{:.1} orders per PUT",
            f.steady_per_put
        );
    }
    // Packed and ready of one order go in one update: never more requests than orders/2.
    for f in &runs[..4] {
        assert!(f.requests as f64 <= f.orders as f64 / 1.5 + 1.0);
    }
    // The batching saves requests at the same rate.
    assert!(
        runs[3].requests * 3 / 2 <= runs[4].requests,
        "{} vs {}",
        runs[3].requests,
        runs[4].requests
    );
}
