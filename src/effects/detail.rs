//! Runs the order detail overlay's effects: the order from the store at once; the shop's
//! status list and searches in the background (through `shop::lookup`); status changes
//! through the outbox (durable first, sent by the worker in its status batch).

use std::sync::{Arc, Mutex};

use tokio::sync::mpsc::UnboundedSender;

use crate::app::Msg;
use crate::app::detail::{DetailEffect, DetailMsg};
use crate::outbox::{Operation, Outbox};
use crate::shop::{OrderQuery, OrderUpdate, Shop, ShopStatus};
use crate::store::Store;

/// The shop as the overlay uses it, with its status list read once.
pub struct ShopAccess {
    shop: Arc<dyn Shop>,
    statuses: Mutex<Option<Vec<ShopStatus>>>,
}

impl ShopAccess {
    pub fn new(shop: Arc<dyn Shop>) -> Arc<ShopAccess> {
        Arc::new(ShopAccess {
            shop,
            statuses: Mutex::new(None),
        })
    }

    /// The shop itself.
    pub fn shop(&self) -> &Arc<dyn Shop> {
        &self.shop
    }

    fn cached(&self) -> Option<Vec<ShopStatus>> {
        self.statuses
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    async fn statuses(&self) -> Result<Vec<ShopStatus>, String> {
        if let Some(list) = self.cached() {
            return Ok(list);
        }
        let list = self.shop.statuses().await.map_err(|e| e.to_string())?;
        *self.statuses.lock().unwrap_or_else(|p| p.into_inner()) = Some(list.clone());
        Ok(list)
    }
}

fn no_shop() -> String {
    "no [shop] is configured in station.toml".into()
}

/// Runs one detail effect; store answers come back at once, the rest through `tx`.
pub fn run(
    store: &Store,
    outbox: &Outbox,
    shop: Option<&Arc<ShopAccess>>,
    tx: &UnboundedSender<Msg>,
    e: DetailEffect,
) -> Vec<Msg> {
    match e {
        DetailEffect::Load { key } => {
            let order = store.order(&key).unwrap_or_else(|e| {
                tracing::error!(error = %e, "detail: order not read");
                None
            });
            let shipments = store.shipments(&key).unwrap_or_default();
            let mut out = vec![Msg::Detail(DetailMsg::Loaded {
                key,
                order: order.map(Box::new),
                shipments,
            })];
            match shop {
                Some(access) => match access.cached() {
                    Some(list) => out.push(Msg::Detail(DetailMsg::Statuses(Ok(list)))),
                    None => {
                        let (access, tx) = (access.clone(), tx.clone());
                        tokio::spawn(async move {
                            let res = access.statuses().await;
                            let _ = tx.send(Msg::Detail(DetailMsg::Statuses(res)));
                        });
                    }
                },
                None => out.push(Msg::Detail(DetailMsg::Statuses(Ok(Vec::new())))),
            }
            out
        }
        DetailEffect::SetStatus {
            order,
            status,
            notify,
        } => {
            let result = outbox
                .enqueue(Operation::PushStatus(OrderUpdate {
                    number: order.number.clone(),
                    shop_id: order.shop_id.clone(),
                    status: Some(status.clone()),
                    tracking_number: None,
                    notify,
                }))
                .map(|_| ())
                .map_err(|e| e.to_string());
            vec![Msg::Detail(DetailMsg::StatusQueued {
                key: order.key(),
                status,
                notify,
                result,
            })]
        }
        DetailEffect::Find(query) => {
            let Some(access) = shop.cloned() else {
                return vec![Msg::Detail(DetailMsg::Found(Err(no_shop())))];
            };
            let (tx, store) = (tx.clone(), store.clone());
            tokio::spawn(async move {
                let statuses = access.cached().unwrap_or_default();
                let mut res =
                    crate::shop::lookup::find_lines(access.shop.as_ref(), &query, &statuses).await;
                // A number the shop cannot search by (BaseLinker finds only its own ids)
                // may still be in this station's store.
                if let (Ok(lines), OrderQuery::Number(n)) = (&mut res, &query)
                    && lines.is_empty()
                    && let Ok(Some(key)) = store.find_order_key(n)
                    && let Ok(Some(order)) = store.order(&key)
                {
                    lines.push(crate::shop::lookup::summary_line(&order, &statuses));
                }
                let _ = tx.send(Msg::Detail(DetailMsg::Found(res)));
            });
            Vec::new()
        }
        // The documents are the runner's (`effects::documents`), which needs the pipeline.
        DetailEffect::Docs { .. } | DetailEffect::OpenDoc { .. } => Vec::new(),
    }
}
