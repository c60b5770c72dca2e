//! Stateful HTTP simulators of the Upgates, BaseLinker and Balikobot APIs (axum), faithful
//! to `reference/apis.md`. Used by the tests, by `packdesk sim` and by `packdesk demo`.

pub mod balikobot;
pub mod baselinker;
pub mod camera;
pub mod cli;
pub mod upgates;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Faults injected into a simulator's answers, chosen per request by a seeded counter so
/// that runs are reproducible.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Fraction (0.0–1.0) of requests answered with HTTP 503.
    pub error_rate: f64,
    /// Fraction of requests that are applied but whose answer is never sent (the client
    /// times out): the ambiguous failure.
    pub timeout_rate: f64,
    /// Added to every answer.
    pub latency: Duration,
    /// Answer 429 (with the API's own quota headers/body) once this many requests were served.
    pub quota: Option<u64>,
}

/// Decides per request whether a fault fires; deterministic for a given seed.
#[derive(Debug)]
pub struct FaultDice {
    counter: AtomicU64,
    seed: u64,
}

impl FaultDice {
    pub fn new(seed: u64) -> FaultDice {
        FaultDice {
            counter: AtomicU64::new(0),
            seed,
        }
    }

    /// A number in [0, 1) for the next request (splitmix64 of seed + counter).
    pub fn roll(&self) -> f64 {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut z = self
            .seed
            .wrapping_add(n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A simulator running on loopback.
#[derive(Debug)]
pub struct Running {
    pub name: &'static str,
    pub addr: SocketAddr,
    pub base_url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves `router` on 127.0.0.1 (port 0 = any free port).
pub async fn serve(
    name: &'static str,
    router: axum::Router,
    port: u16,
    base_path: &str,
) -> std::io::Result<Running> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::error!(simulator = name, error = %e, "simulator stopped");
        }
    });
    Ok(Running {
        name,
        addr,
        base_url: format!("http://{addr}{base_path}"),
        task,
    })
}
