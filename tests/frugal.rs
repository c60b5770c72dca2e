//! Requests to the shop per packed order for status + tracking, and how soon the shop
//! learns the tracking number, at steady packing rates, against the simulators' request
//! counters, with the bench's per-shop batching ([`Batching::for_shop`]): Upgates
//! 20 orders / 120 s, paced by its quota; BaseLinker as soon as an order settles (2 s).
//!
//! Time is compressed: one real second stands for `SCALE` seconds at the bench (the
//! worker runs on the wall clock), so "one order every 30 s" is one every 0.5 s here and
//! the 120 s delay is 2 s. Every order sends its *packed* status, then its *ready* status
//! and tracking number ~1 s (bench time) later, as the label comes back. The quota pacing
//! counts a day of 86 400 real seconds, so the quota case multiplies `quota_share` by
//! `SCALE` to see it in compressed time; the other cases leave the quota out.
//!
//! `cargo test --test frugal -- --nocapture` prints the table.

use std::sync::Arc;
use std::time::Duration;

use packdesk::carrier::own::OwnLabel;
use packdesk::outbox::batching::Batching;
use packdesk::outbox::{EntryState, Operation, Outbox, Worker, WorkerOptions};
use packdesk::shop::baselinker::BaseLinkerShop;
use packdesk::shop::upgates::UpgatesClient;
use packdesk::shop::{OrderUpdate, Shop};
use packdesk::sim::Faults;
use packdesk::sim::baselinker::BaseLinkerSim;
use packdesk::sim::upgates::{UpgatesSim, demo_order_json};
use packdesk::store::Store;
use serde_json::Value;

mod common;

const SCALE: f64 = 60.0;

/// A stall of the test process (a sled flush of several stores at once, a debug build on
/// two busy cores) counts `SCALE` times at the bench: 0.5 s real is 30 s bench. Delay
/// bounds allow this much on top of what the batching itself may take.
const SLACK_S: f64 = 30.0;

/// Cases run this many at a time, so that the runs do not stall each other.
const AT_ONCE: usize = 3;

fn bench(secs: f64) -> Duration {
    Duration::from_secs_f64(secs / SCALE)
}

struct Figures {
    orders: usize,
    requests: u64,
    /// Orders per PUT, the first and the last (tail) PUT left out: the steady state.
    steady_per_put: f64,
    /// Ready (tracking) enqueued → in the shop, in bench seconds.
    mean_delay_s: f64,
    max_delay_s: f64,
}

fn update(number: &str, status: &str, tracking: Option<String>) -> Operation {
    Operation::PushStatus(OrderUpdate {
        number: number.into(),
        shop_id: Some(number.into()),
        status: Some(status.into()),
        tracking_number: tracking,
        notify: false,
    })
}

/// The shop side of a run.
#[derive(Clone, Copy)]
enum ShopKind {
    /// Upgates, with `Some((per_hour, per_day))` an enforced quota and the pacing on.
    Upgates(Option<(u64, u64)>),
    BaseLinker,
    /// Upgates with the plain 2 s window the bench had before batching.
    Before,
}

enum Sim {
    Upgates(UpgatesSim),
    BaseLinker(BaseLinkerSim),
}

impl Sim {
    fn requests(&self) -> u64 {
        match self {
            Sim::Upgates(s) => s.request_count(),
            Sim::BaseLinker(s) => s.request_count(),
        }
    }

    /// The order's shop status and tracking number.
    fn state(&self, number: &str) -> (Value, Value) {
        let o = match self {
            Sim::Upgates(s) => s.order(number),
            Sim::BaseLinker(s) => s.order(number),
        }
        .unwrap_or_default();
        match self {
            Sim::Upgates(_) => (o["status_id"].clone(), o["tracking_code"].clone()),
            Sim::BaseLinker(_) => (
                o["order_status_id"].clone(),
                o["delivery_package_nr"].clone(),
            ),
        }
    }
}

/// `stations` benches, each packing one order every `every_s` bench seconds, for
/// `minutes` bench minutes; each label (ready + tracking) comes `label_s` after *packed*.
async fn run(kind: ShopKind, stations: usize, every_s: f64, minutes: f64, label_s: f64) -> Figures {
    let per_station = (minutes * 60.0 / every_s).round() as usize;
    let n = stations * per_station;
    type Setup = (
        Sim,
        packdesk::sim::Running,
        Arc<dyn Shop>,
        Vec<String>,
        [&'static str; 2],
    );
    let (sim, _running, shop, numbers, statuses): Setup = match kind {
        ShopKind::BaseLinker => {
            let sim = BaseLinkerSim::new("bl-token", Faults::default(), 1);
            // Bench time is compressed 60×: lift the 100/minute limit by as much.
            sim.set_rate_limit(6000, Duration::from_secs(60), Duration::from_secs(1));
            sim.add_orders(
                (1..=n as i64)
                    .map(|i| common::bl_wire_order(i, 1_700_000_000))
                    .collect(),
            );
            let run = sim.start(0).await.expect("sim");
            let shop = BaseLinkerShop::new(&run.base_url, "bl-token")
                .expect("client")
                .with_rate_limit(6000, 100);
            let numbers = (1..=n).map(|i| i.to_string()).collect();
            let shop = Arc::new(shop);
            (Sim::BaseLinker(sim), run, shop, numbers, ["1053", "1054"])
        }
        ShopKind::Upgates(_) | ShopKind::Before => {
            let orders = packdesk::demo::generate(9, n, chrono::Utc::now());
            let sim = UpgatesSim::new("login", "key", Faults::default(), 1);
            if let ShopKind::Upgates(Some((hour, day))) = kind {
                sim.set_quota(hour, day);
            }
            sim.add_orders(orders.iter().map(demo_order_json).collect());
            let run = sim.start(0).await.expect("sim");
            let shop = UpgatesClient::new(&run.base_url, "login", "key", false).expect("client");
            let numbers = orders.iter().map(|o| o.number.clone()).collect();
            (Sim::Upgates(sim), run, Arc::new(shop), numbers, ["5", "4"])
        }
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    let outbox = Outbox::open(&store).expect("outbox");
    let carrier = Arc::new(OwnLabel::new(store.clone(), dir.path(), "Shop"));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let defaults = Batching::for_shop(shop.orders_per_update_request(), None);
    let worker = Worker::new(outbox.clone(), shop, carrier, |_| {}).with_options(WorkerOptions {
        batch_window: bench(2.0),
        frugal: None,
        ..WorkerOptions::default()
    });
    let worker = match kind {
        ShopKind::Before => worker,
        ShopKind::BaseLinker => worker.with_batching(defaults),
        ShopKind::Upgates(quota) => worker.with_batching(Batching {
            max_delay: bench(defaults.max_delay.as_secs_f64()),
            quota_share: if quota.is_some() {
                defaults.quota_share * SCALE
            } else {
                0.0
            },
            ..defaults
        }),
    };
    let task = tokio::spawn(worker.run(stopped));
    let before = sim.requests();

    // One task per station, staggered over the interval.
    let mut benches = Vec::new();
    for s in 0..stations {
        let outbox = outbox.clone();
        let numbers: Vec<String> = numbers.iter().skip(s).step_by(stations).cloned().collect();
        benches.push(tokio::spawn(async move {
            tokio::time::sleep(bench(every_s * s as f64 / stations as f64)).await;
            let mut tick = tokio::time::interval(bench(every_s));
            let mut ready = Vec::new();
            for (i, number) in numbers.iter().enumerate() {
                tick.tick().await;
                outbox
                    .enqueue(update(number, statuses[0], None))
                    .expect("packed");
                tokio::time::sleep(bench(label_s)).await;
                let tn = format!("DR{s:02}{i:06}CZ");
                ready.push(
                    outbox
                        .enqueue(update(number, statuses[1], Some(tn)))
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
    for number in &numbers {
        let (status, tracking) = sim.state(number);
        assert_eq!(
            status.to_string().trim_matches('"'),
            statuses[1],
            "order {number}"
        );
        assert!(
            tracking.as_str().is_some_and(|t| t.starts_with("DR")),
            "order {number}: {tracking}"
        );
    }
    let requests = sim.requests() - before;
    let puts = match &sim {
        Sim::Upgates(s) => s.put_sizes(),
        Sim::BaseLinker(_) => Vec::new(),
    };
    // The steady state: without the first PUT (the one order at the start, after the
    // quiet spell) and the tail.
    let steady = if puts.len() > 2 {
        &puts[1..puts.len() - 1]
    } else {
        &puts[..]
    };
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
    use ShopKind::*;
    let gold = Some((50, 600));
    // (name, shop, stations, one order every … s, minutes, label … s after *packed*)
    let cases = [
        (
            "Upgates, 6 stations × 1 / 30 s (12/min)",
            Upgates(None),
            6,
            30.0,
            20.0,
            1.0,
        ),
        (
            "Upgates, 6 stations × 1 / 60 s (6/min)",
            Upgates(None),
            6,
            60.0,
            20.0,
            1.0,
        ),
        (
            "Upgates, 1 station × 1 / 30 s (2/min)",
            Upgates(None),
            1,
            30.0,
            10.0,
            1.0,
        ),
        (
            "Upgates, 1 station × 1 / 60 s (1/min)",
            Upgates(None),
            1,
            60.0,
            10.0,
            1.0,
        ),
        (
            "Upgates, 1 station × 1 / 4 min (quiet)",
            Upgates(None),
            1,
            240.0,
            20.0,
            1.0,
        ),
        (
            "Upgates Gold quota, 6 × 1 / 10 s (36/min)",
            Upgates(gold),
            6,
            10.0,
            10.0,
            1.0,
        ),
        (
            "BaseLinker, 1 station × 1 / 30 s (2/min)",
            BaseLinker,
            1,
            30.0,
            10.0,
            1.0,
        ),
        (
            "before: Upgates, 2 s window, 1 × 1 / 60 s",
            Before,
            1,
            60.0,
            10.0,
            1.0,
        ),
        (
            "Upgates, quiet, label 5 s after packed",
            Upgates(None),
            1,
            240.0,
            20.0,
            5.0,
        ),
    ];
    let mut runs = Vec::new();
    for group in cases.chunks(AT_ONCE) {
        runs.extend(
            futures::future::join_all(group.iter().map(
                |(_, kind, stations, every, minutes, label)| {
                    run(*kind, *stations, *every, *minutes, *label)
                },
            ))
            .await,
        );
    }
    println!("requests per packed order (status + tracking), bench seconds:");
    for ((name, ..), f) in cases.iter().zip(&runs) {
        println!(
            "  {name:<44} {:>4} orders {:>3} requests = {:.3}/order; \
             delay to the shop mean {:.0} s, max {:.0} s",
            f.orders,
            f.requests,
            f.requests as f64 / f.orders as f64,
            f.mean_delay_s,
            f.max_delay_s
        );
    }
    // 12 orders a minute fill a batch of 20 in 100 s, within the delay: 0.05 in the
    // steady state (the first order after the start and the tail make the run a little
    // more).
    let busy = &runs[0];
    assert!(
        busy.steady_per_put >= 19.0,
        "{:.1} orders per PUT",
        busy.steady_per_put
    );
    assert!(busy.requests as f64 / busy.orders as f64 <= 0.06);
    assert!(
        busy.max_delay_s <= 120.0 + SLACK_S,
        "max delay {:.0} s",
        busy.max_delay_s
    );
    // Slower rates are bounded by the delay: a request at least every ~2 minutes.
    for f in &runs[1..4] {
        assert!(
            f.max_delay_s <= 120.0 + SLACK_S,
            "max delay {:.0} s",
            f.max_delay_s
        );
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
    // After a quiet spell an order goes as soon as it has settled: within seconds; when
    // the label comes after the packed update had settled, the tracking follows at once.
    for quiet in [&runs[4], &runs[8]] {
        assert!(
            quiet.mean_delay_s <= 10.0 && quiet.max_delay_s <= 5.0 + SLACK_S,
            "delay mean {:.0} s, max {:.0} s",
            quiet.mean_delay_s,
            quiet.max_delay_s
        );
        assert!(quiet.requests as usize <= 2 * quiet.orders + 1);
    }
    // A small quota paces even full batches: at 36 orders a minute a batch of 20 would go
    // every 33 s (108 an hour, twice Gold's hourly 50); paced, a request every ~266 s.
    let gold_run = &runs[5];
    assert!(
        gold_run.requests <= 10,
        "{} requests for {} orders",
        gold_run.requests,
        gold_run.orders
    );
    assert!(
        gold_run.steady_per_put >= 60.0,
        "{:.1}",
        gold_run.steady_per_put
    );
    // BaseLinker: within seconds of the label.
    let bl = &runs[6];
    assert!(
        bl.mean_delay_s <= 10.0 && bl.max_delay_s <= 5.0 + SLACK_S,
        "delay mean {:.0} s, max {:.0} s",
        bl.mean_delay_s,
        bl.max_delay_s
    );
    // The batching saves requests at the same rate.
    assert!(
        runs[3].requests * 3 / 2 <= runs[7].requests,
        "{} vs {}",
        runs[3].requests,
        runs[7].requests
    );
}
