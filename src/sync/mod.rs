//! Order sync: pulls changed orders from the shop into the store in the background and
//! tells the bench which queue rows changed. Frugal: one request when nothing changed,
//! and the polling interval stretches when the shop's quota runs low.

pub mod mapping;

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc::UnboundedSender;

use crate::app::Msg;
use crate::shop::{Quota, Shop, SyncCursor};
use crate::store::{Store, StoreError};

const CURSOR_KEY: &str = "shop_cursor";

/// How the last sync went, for the status bar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatus {
    pub shop: String,
    pub ok: bool,
    /// Orders imported or updated by the last sync.
    pub changed: usize,
    pub quota: Quota,
    /// The last error, packer-readable (never a secret).
    pub error: Option<String>,
}

/// Polls the shop and imports what changed.
pub struct SyncWorker {
    shop: Arc<dyn Shop>,
    store: Store,
    tx: UnboundedSender<Msg>,
    interval: Duration,
    mapping: Option<mapping::ImportMapping>,
    rules: crate::effects::rules::RuleEngine,
    /// The shop's status names went to the bench (once per run).
    names_sent: std::sync::atomic::AtomicBool,
}

impl SyncWorker {
    pub fn new(
        shop: Arc<dyn Shop>,
        store: Store,
        tx: UnboundedSender<Msg>,
        interval: Duration,
    ) -> SyncWorker {
        SyncWorker {
            shop,
            store,
            tx,
            interval,
            mapping: None,
            rules: crate::effects::rules::RuleEngine::none(),
            names_sent: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Applies `[status]` and `[[carrier.map]]` to every imported order (see
    /// [`mapping::ImportMapping`]).
    pub fn with_mapping(mut self, mapping: mapping::ImportMapping) -> SyncWorker {
        self.mapping = Some(mapping);
        self
    }

    /// Fires the rule events of what each sync brings (new, paid, status, changed).
    pub fn with_rules(mut self, engine: crate::effects::rules::RuleEngine) -> SyncWorker {
        self.rules = engine;
        self
    }

    fn cursor(&self) -> Result<SyncCursor, StoreError> {
        Ok(self
            .store
            .meta_get(CURSOR_KEY)?
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default())
    }

    /// One sync: fetch, import, remember the cursor, report. Returns what happened.
    pub async fn sync_once(&self) -> SyncStatus {
        let mut status = SyncStatus {
            shop: self.shop.kind().to_string(),
            ok: false,
            changed: 0,
            quota: Quota::default(),
            error: None,
        };
        let cursor = match self.cursor() {
            Ok(c) => c,
            Err(e) => {
                status.error = Some(e.to_string());
                return status;
            }
        };
        let map = match &self.mapping {
            Some(m) => match m.prepare(self.shop.as_ref()).await {
                Ok(map) => {
                    self.send_names(&map);
                    Some(map)
                }
                Err(e) => {
                    tracing::warn!(shop = self.shop.kind(), error = %e, "status list not read");
                    status.error = Some(e.to_string());
                    status.quota = self.shop.quota();
                    return status;
                }
            },
            None => None,
        };
        match self.shop.fetch_orders(&cursor).await {
            Ok(mut res) => {
                if let (Some(m), Some(map)) = (&self.mapping, &map) {
                    m.apply(map, &mut res.orders);
                }
                for r in &res.rejected {
                    tracing::warn!(shop = self.shop.kind(), record = %r, "order not imported");
                }
                let keys: Vec<String> = res.orders.iter().map(|o| o.key()).collect();
                let rule_events = self.rules.before_import(&self.store, &res.orders);
                let stored = self.store.import_orders(&res.orders).and_then(|()| {
                    let bytes = serde_json::to_vec(&res.cursor).unwrap_or_default();
                    self.store.meta_set(CURSOR_KEY, &bytes)
                });
                match stored {
                    Ok(()) => {
                        self.rules.fire_all(rule_events);
                        status.ok = true;
                        status.changed = keys.len();
                        let rows: Vec<_> = keys
                            .iter()
                            .filter_map(|k| self.store.summary(k).ok().flatten())
                            .collect();
                        if !rows.is_empty() {
                            let _ = self.tx.send(Msg::RowsChanged(rows));
                        }
                    }
                    Err(e) => status.error = Some(e.to_string()),
                }
            }
            Err(e) => {
                tracing::warn!(shop = self.shop.kind(), error = %e, "sync failed");
                status.error = Some(e.to_string());
            }
        }
        status.quota = self.shop.quota();
        status
    }

    /// Tells the bench the shop's status names, the first time they are known: the Held
    /// tab and the held-order banners name the status as the shop admin does.
    fn send_names(&self, map: &crate::shop::status::StatusMap) {
        use std::sync::atomic::Ordering;
        if map.names().is_empty() || self.names_sent.swap(true, Ordering::Relaxed) {
            return;
        }
        let names = map
            .names()
            .iter()
            .map(|(id, name)| crate::app::held::StatusName {
                id: id.clone(),
                name: crate::domain::text::sanitize(name),
            })
            .collect();
        let _ = self.tx.send(Msg::ShopStatuses(names));
    }

    /// The wait before the next sync: the configured interval, longer when the quota is
    /// nearly used up (Upgates allows only tens of requests an hour on small tariffs).
    pub fn next_wait(&self, quota: &Quota) -> Duration {
        match (quota.remaining, quota.limit) {
            (Some(rem), Some(limit)) if limit > 0 && rem * 10 < limit => self.interval * 6,
            (Some(rem), Some(limit)) if limit > 0 && rem * 4 < limit => self.interval * 2,
            (Some(0), None) => self.interval * 6,
            _ => self.interval,
        }
    }

    /// Syncs until the channel closes.
    pub async fn run(self) {
        loop {
            let status = self.sync_once().await;
            let wait = self.next_wait(&status.quota);
            if self.tx.send(Msg::Sync(Box::new(status))).is_err() {
                return;
            }
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shop::upgates::UpgatesClient;
    use crate::sim::Faults;
    use crate::sim::upgates::{UpgatesSim, demo_order_json};

    #[tokio::test]
    async fn imports_from_the_upgates_simulator_and_reports_rows() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let sim = UpgatesSim::new("login", "key", Faults::default(), 1);
        let orders = crate::demo::generate(3, 25, chrono::Utc::now());
        sim.add_orders(orders.iter().map(demo_order_json).collect());
        let running = sim.start(0).await.expect("sim");
        let shop = UpgatesClient::new(&running.base_url, "login", "key", false).expect("client");
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("store");
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let w = SyncWorker::new(Arc::new(shop), store.clone(), tx, Duration::from_secs(30));
        let st = w.sync_once().await;
        assert!(st.ok, "{st:?}");
        assert_eq!(st.changed, 25);
        assert_eq!(store.order_count(), 25);
        match rx.try_recv() {
            Ok(Msg::RowsChanged(rows)) => assert_eq!(rows.len(), 25),
            other => panic!("expected rows, got {other:?}"),
        }
        // Nothing changed: one request, nothing imported.
        let before = sim.request_count();
        let st = w.sync_once().await;
        assert!(st.ok);
        assert_eq!(sim.request_count() - before, 1);
        assert!(st.changed <= 25);
        assert!(
            store
                .find_order_key(&orders[0].number)
                .expect("find")
                .is_some()
        );
    }

    #[test]
    fn low_quota_stretches_the_interval() {
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("store");
        let shop = Arc::new(
            UpgatesClient::new("http://127.0.0.1:9/api/v2", "l", "k", false).expect("client"),
        );
        let w = SyncWorker::new(shop, store, tx, Duration::from_secs(10));
        let q = |rem, limit| Quota {
            remaining: Some(rem),
            limit: Some(limit),
        };
        assert_eq!(w.next_wait(&q(90, 100)), Duration::from_secs(10));
        assert_eq!(w.next_wait(&q(20, 100)), Duration::from_secs(20));
        assert_eq!(w.next_wait(&q(5, 100)), Duration::from_secs(60));
    }
}
