//! Order sources: the `Shop` trait and its implementations (Upgates, BaseLinker).

pub mod baselinker;
pub mod lookup;
pub mod status;
pub mod upgates;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::Order;

/// How far an incremental sync got; stored in the `meta` tree between runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SyncCursor {
    /// Last change time seen (Upgates `last_update_time`, BaseLinker `date_confirmed`).
    pub since: Option<DateTime<Utc>>,
    /// Source-specific extra state (e.g. a moved Upgates `api_url`, a BaseLinker id).
    pub extra: Option<String>,
}

/// One fetch: the orders changed since the cursor, and the cursor to use next time.
#[derive(Debug, Clone)]
pub struct FetchResult {
    pub orders: Vec<Order>,
    pub cursor: SyncCursor,
    /// Records the shop sent that could not be turned into orders, with the reason
    /// (order number or index, field, what was wrong). Nothing else is lost.
    pub rejected: Vec<String>,
}

/// A shop status as the shop lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopStatus {
    pub id: String,
    pub name: String,
    /// The shop's own type of the status where it has one (Upgates `type`: `Received`,
    /// `Canceled`, `Sent` …); empty otherwise (BaseLinker).
    #[serde(default)]
    pub kind: String,
}

/// A change to write back to the shop for one order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderUpdate {
    pub number: String,
    /// Shop-side id when it differs from the number (BaseLinker `order_id`).
    pub shop_id: Option<String>,
    pub status: Option<String>,
    pub tracking_number: Option<String>,
    /// Tell the customer (Upgates `send_emails_yn`).
    pub notify: bool,
}

/// Outcome for one order of a batched update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateOutcome {
    pub number: String,
    pub result: Result<(), String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NoteMode {
    Append,
    Overwrite,
}

/// Lookups a packer or supervisor needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderQuery {
    Number(String),
    Email(String),
    Phone {
        phone: String,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    },
}

/// Remaining request quota as the shop reports it (shown in the status bar).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Quota {
    pub remaining: Option<u32>,
    pub limit: Option<u32>,
}

/// What went wrong talking to a shop. Never carries a secret.
#[derive(Debug, thiserror::Error)]
pub enum ShopError {
    #[error("{shop}: cannot reach {url}: {reason}")]
    Unreachable {
        shop: &'static str,
        url: String,
        reason: String,
    },
    #[error("{shop}: credentials refused (HTTP {status})")]
    Auth { shop: &'static str, status: u16 },
    #[error("{shop}: rate limited; retry after {retry_after_s} s")]
    RateLimited {
        shop: &'static str,
        retry_after_s: u64,
    },
    #[error("{shop}: {message}")]
    Api {
        shop: &'static str,
        /// HTTP status or 0 where the API reports errors in the body.
        status: u16,
        code: String,
        message: String,
    },
    #[error("{shop}: unexpected answer: {detail}")]
    Decode { shop: &'static str, detail: String },
}

impl ShopError {
    /// Whether trying again later may succeed (network, 429, 5xx).
    pub fn is_transient(&self) -> bool {
        match self {
            ShopError::Unreachable { .. } | ShopError::RateLimited { .. } => true,
            ShopError::Api { status, .. } => *status >= 500,
            _ => false,
        }
    }
}

/// An order source.
#[async_trait]
pub trait Shop: Send + Sync {
    /// `upgates`, `baselinker`.
    fn kind(&self) -> &'static str;
    /// Orders changed since the cursor (all pages), in shop order.
    async fn fetch_orders(&self, cursor: &SyncCursor) -> Result<FetchResult, ShopError>;
    /// The shop's own status list (for mapping checks by `packdesk doctor`).
    async fn statuses(&self) -> Result<Vec<ShopStatus>, ShopError>;
    /// Status and tracking of many orders, batched where the API allows.
    async fn push_updates(&self, updates: &[OrderUpdate]) -> Result<Vec<UpdateOutcome>, ShopError>;
    /// Internal (admin) note: append to or overwrite it.
    async fn set_note(
        &self,
        order: &OrderUpdate,
        text: &str,
        mode: NoteMode,
    ) -> Result<(), ShopError>;
    /// An entry in the order's history (pack events).
    async fn add_history(&self, order: &OrderUpdate, text: &str) -> Result<(), ShopError>;
    async fn find(&self, query: &OrderQuery) -> Result<Vec<Order>, ShopError>;
    /// Last quota the shop reported, if it reports one.
    fn quota(&self) -> Quota;
    /// How many orders' status and tracking one request of [`Shop::push_updates`] carries
    /// (Upgates `PUT /orders`: 100). One means each order costs its own requests, so the
    /// outbox sends it without waiting for others ([`crate::outbox::batching::Batching::for_shop`]).
    fn orders_per_update_request(&self) -> usize {
        1
    }
    /// Whether [`Shop::set_pick_pack_state`] is supported (BaseLinker only).
    fn supports_pick_pack(&self) -> bool {
        false
    }
    /// Sets the order's pick / pack flags (BaseLinker `setOrderFields` `pick_state` /
    /// `pack_state`); `None` leaves a flag as it is. Shops without such flags refuse
    /// (permanently) with a clear reason.
    async fn set_pick_pack_state(
        &self,
        _order: &OrderUpdate,
        _pick: Option<bool>,
        _pack: Option<bool>,
    ) -> Result<(), ShopError> {
        Err(ShopError::Api {
            shop: self.kind(),
            status: 0,
            code: "unsupported".into(),
            message: format!(
                "{} has no pick/pack state (set_pick_pack_state works with BaseLinker only)",
                self.kind()
            ),
        })
    }
    /// Whether the shop serves a document (invoice / order PDF) for each order, fetched
    /// with [`Shop::order_pdf`]. Listing an order's documents asks this, never the shop.
    fn offers_order_pdf(&self) -> bool {
        false
    }
    /// The shop's PDF of order `number` (Upgates `GET /orders/{number}/pdf`); `Ok(None)`
    /// when this shop offers no order document (BaseLinker documents none). Every call is
    /// a request against the shop's quota: fetch on demand and keep the file
    /// ([`crate::docs::OrderDocs`] does both).
    async fn order_pdf(&self, _number: &str) -> Result<Option<Vec<u8>>, ShopError> {
        Ok(None)
    }
}

/// The order source of a station without a shop: every call is refused (permanently), so
/// remote work that needs a shop fails visibly instead of waiting forever.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoShop;

impl NoShop {
    fn refuse() -> ShopError {
        ShopError::Api {
            shop: "none",
            status: 0,
            code: "no_shop".into(),
            message: "no [shop] is configured in station.toml".into(),
        }
    }
}

#[async_trait]
impl Shop for NoShop {
    fn kind(&self) -> &'static str {
        "none"
    }
    async fn fetch_orders(&self, _cursor: &SyncCursor) -> Result<FetchResult, ShopError> {
        Err(NoShop::refuse())
    }
    async fn statuses(&self) -> Result<Vec<ShopStatus>, ShopError> {
        Err(NoShop::refuse())
    }
    async fn push_updates(
        &self,
        _updates: &[OrderUpdate],
    ) -> Result<Vec<UpdateOutcome>, ShopError> {
        Err(NoShop::refuse())
    }
    async fn set_note(
        &self,
        _order: &OrderUpdate,
        _text: &str,
        _mode: NoteMode,
    ) -> Result<(), ShopError> {
        Err(NoShop::refuse())
    }
    async fn add_history(&self, _order: &OrderUpdate, _text: &str) -> Result<(), ShopError> {
        Err(NoShop::refuse())
    }
    async fn find(&self, _query: &OrderQuery) -> Result<Vec<Order>, ShopError> {
        Err(NoShop::refuse())
    }
    fn quota(&self) -> Quota {
        Quota::default()
    }
}
