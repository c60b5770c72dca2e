//! Upgates API v2 client (`reference/apis.md` §2).
//!
//! - Incremental sync with `last_update_time_from` (inclusive) and the page loop
//!   (`current_page < number_of_pages`), newest change first so that an order changing
//!   during the sync can repeat but never be skipped; results are returned oldest first.
//! - A `301` with `{"api_url": …}` (the shop moved servers) switches the client to the new
//!   URL; [`UpgatesClient::current_base_url`] and `SyncCursor.extra` carry it so that the
//!   caller can persist it.
//! - Quota headers `X-Rate-Limit-*` are kept ([`UpgatesClient::rate_limits`], `Shop::quota`);
//!   a `429` waits until the `Retry-After` HTTP date (capped by
//!   [`UpgatesOptions::max_retry_wait`]) and retries.
//! - Never more than 3 requests in flight (Upgates answers 429 above that).
//! - Wire orders map leniently to [`Order`]: numbers sent as strings, lowercase country
//!   codes, null EANs, fractional quantities, PHP-serialised date objects, control
//!   characters in names. A record that cannot be mapped is reported in
//!   `FetchResult.rejected` and the rest still import.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use reqwest::{Method, StatusCode, Url};
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use crate::domain::text::sanitize;
use crate::domain::{Address, Line, Money, Note, Order, PickupPoint, Qty, Shipping};
use crate::shop::{
    FetchResult, NoteMode, OrderQuery, OrderUpdate, Quota, Shop, ShopError, ShopStatus, SyncCursor,
    UpdateOutcome,
};

const SHOP: &str = "upgates";
/// Upgates accepts at most this many items in one PUT/POST (413 above).
pub const MAX_BATCH: usize = 100;
/// Upgates answers 429 when more than this many requests of one access group are in flight.
pub const MAX_IN_FLIGHT: usize = 3;
/// History entry limits (`POST /orders/{n}/history`).
const HISTORY_NAME: &str = "packdesk";
const HISTORY_VALUE_MAX: usize = 500;
/// Safety stop for the page loop.
const MAX_PAGES: u64 = 100_000;
/// How many `301` hops one request may follow.
const MAX_MOVES: u32 = 3;

/// Tuning of retries and timeouts.
#[derive(Debug, Clone)]
pub struct UpgatesOptions {
    /// Timeout of one HTTP request.
    pub request_timeout: Duration,
    /// Longest wait for a `Retry-After` date; a later date gives `ShopError::RateLimited`.
    pub max_retry_wait: Duration,
    /// Attempts for a request that fails transiently (5xx, network, timeout when safe).
    pub max_attempts: u32,
    /// First pause between attempts (doubles each time).
    pub backoff: Duration,
}

impl Default for UpgatesOptions {
    fn default() -> Self {
        UpgatesOptions {
            request_timeout: Duration::from_secs(30),
            max_retry_wait: Duration::from_secs(120),
            max_attempts: 4,
            backoff: Duration::from_millis(500),
        }
    }
}

/// The `X-Rate-Limit-*` headers of the last answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RateLimits {
    /// `X-Rate-Limit-Hour`.
    pub hour: Option<u32>,
    /// `X-Rate-Limit-Day`.
    pub day: Option<u32>,
    /// `X-Rate-Limit-Hour-Remaining`.
    pub hour_remaining: Option<u32>,
    /// `X-Rate-Limit-Day-Remaining`.
    pub day_remaining: Option<u32>,
    /// `X-Rate-Limit-Total-Remaining`.
    pub total_remaining: Option<u32>,
}

impl RateLimits {
    fn from_headers(h: &reqwest::header::HeaderMap) -> Option<RateLimits> {
        let get = |name: &str| {
            h.get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|s| s.trim().parse::<u32>().ok())
        };
        let r = RateLimits {
            hour: get("x-rate-limit-hour"),
            day: get("x-rate-limit-day"),
            hour_remaining: get("x-rate-limit-hour-remaining"),
            day_remaining: get("x-rate-limit-day-remaining"),
            total_remaining: get("x-rate-limit-total-remaining"),
        };
        (r != RateLimits::default()).then_some(r)
    }

    /// Summary for the status bar: what is left now (total, or hour + day) out of what
    /// this hour can use (hour + day limits).
    pub fn quota(&self) -> Quota {
        let sum = |a: Option<u32>, b: Option<u32>| match (a, b) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0).saturating_add(b.unwrap_or(0))),
        };
        Quota {
            remaining: self
                .total_remaining
                .or_else(|| sum(self.hour_remaining, self.day_remaining)),
            limit: sum(self.hour, self.day),
        }
    }
}

/// Upgates API v2 client. Cheap to share behind an `Arc`.
pub struct UpgatesClient {
    http: reqwest::Client,
    configured_base: String,
    base: Mutex<String>,
    login: String,
    key: String,
    send_emails: bool,
    limits: Mutex<RateLimits>,
    permits: Arc<Semaphore>,
    opts: UpgatesOptions,
}

impl fmt::Debug for UpgatesClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpgatesClient")
            .field("base_url", &self.current_base_url())
            .field("login", &self.login)
            .field("key", &"<redacted>")
            .field("send_emails", &self.send_emails)
            .finish()
    }
}

/// Whether a request may be sent again after an ambiguous failure (a timeout: the shop may
/// have applied it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Replay {
    Safe,
    Unsafe,
}

impl UpgatesClient {
    /// A client for `base_url` (e.g. `https://shop.admin.s17.upgates.com/api/v2`) with the
    /// API user's login and key. `send_emails` allows customer e-mails on status changes
    /// (only for updates that ask for it).
    pub fn new(
        base_url: &str,
        login: &str,
        key: &str,
        send_emails: bool,
    ) -> Result<UpgatesClient, ShopError> {
        Self::with_options(base_url, login, key, send_emails, UpgatesOptions::default())
    }

    /// Like [`UpgatesClient::new`] with explicit timeouts and retry limits.
    pub fn with_options(
        base_url: &str,
        login: &str,
        key: &str,
        send_emails: bool,
        opts: UpgatesOptions,
    ) -> Result<UpgatesClient, ShopError> {
        let base = normalise_base(base_url)?;
        // The project builds reqwest without a default crypto provider; make sure one is
        // installed (a no-op when the binary already did it).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(opts.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("packdesk/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ShopError::Unreachable {
                shop: SHOP,
                url: base.clone(),
                reason: format!("cannot build HTTP client: {e}"),
            })?;
        Ok(UpgatesClient {
            http,
            configured_base: base.clone(),
            base: Mutex::new(base),
            login: login.to_string(),
            key: key.to_string(),
            send_emails,
            limits: Mutex::new(RateLimits::default()),
            permits: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
            opts,
        })
    }

    /// The API URL in use: the configured one, or where a `301` moved the shop.
    pub fn current_base_url(&self) -> String {
        match self.base.lock() {
            Ok(b) => b.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// The `X-Rate-Limit-*` headers of the last answer.
    pub fn rate_limits(&self) -> RateLimits {
        match self.limits.lock() {
            Ok(l) => *l,
            Err(p) => *p.into_inner(),
        }
    }

    /// Checks the credentials with `GET /status` (always allowed; costs one request).
    pub async fn check(&self) -> Result<(), ShopError> {
        self.request(Method::GET, &["status"], &[], None, Replay::Safe)
            .await
            .map(|_| ())
    }

    fn set_base(&self, url: String) {
        match self.base.lock() {
            Ok(mut b) => *b = url,
            Err(p) => *p.into_inner() = url,
        }
    }

    fn url(&self, segments: &[&str], query: &[(&str, String)]) -> Result<Url, ShopError> {
        let base = self.current_base_url();
        let mut url = Url::parse(&base).map_err(|e| ShopError::Decode {
            shop: SHOP,
            detail: format!("API URL {base:?} is not a URL: {e}"),
        })?;
        {
            let mut path = url.path_segments_mut().map_err(|_| ShopError::Decode {
                shop: SHOP,
                detail: format!("API URL {base:?} cannot take a path"),
            })?;
            path.pop_if_empty();
            for s in segments {
                path.push(s);
            }
        }
        if !query.is_empty() {
            let mut q = url.query_pairs_mut();
            for (k, v) in query {
                q.append_pair(k, v);
            }
        }
        Ok(url)
    }

    /// One API call with the concurrency limit, 301 handling, 429 waits and retries.
    async fn request(
        &self,
        method: Method,
        segments: &[&str],
        query: &[(&str, String)],
        body: Option<&Value>,
        replay: Replay,
    ) -> Result<Value, ShopError> {
        let bytes = self
            .request_bytes(method.clone(), segments, query, body, replay)
            .await?;
        if bytes.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&bytes).map_err(|_| ShopError::Decode {
            shop: SHOP,
            detail: format!(
                "{method} {}: answer is not JSON",
                self.url(segments, query)
                    .map(|u| u.path().to_string())
                    .unwrap_or_default()
            ),
        })
    }

    /// [`UpgatesClient::request`] answering the body of a success as it came (a PDF).
    async fn request_bytes(
        &self,
        method: Method,
        segments: &[&str],
        query: &[(&str, String)],
        body: Option<&Value>,
        replay: Replay,
    ) -> Result<Vec<u8>, ShopError> {
        let mut attempt: u32 = 0;
        let mut moves: u32 = 0;
        loop {
            attempt += 1;
            let url = self.url(segments, query)?;
            let shown = url.to_string();
            let permit = self
                .permits
                .acquire()
                .await
                .map_err(|e| ShopError::Unreachable {
                    shop: SHOP,
                    url: shown.clone(),
                    reason: format!("request limiter closed: {e}"),
                })?;
            let mut rb = self
                .http
                .request(method.clone(), url)
                .basic_auth(&self.login, Some(&self.key));
            if let Some(b) = body {
                rb = rb.json(b);
            }
            let sent = rb.send().await;
            let resp = match sent {
                Ok(r) => r,
                Err(e) => {
                    drop(permit);
                    // Without a connection nothing reached the shop; a timeout may have
                    // been applied.
                    let retry = e.is_connect() || (e.is_timeout() && replay == Replay::Safe);
                    let reason = if e.is_timeout() {
                        "timed out".to_string()
                    } else {
                        without_url(&e)
                    };
                    if retry && attempt < self.opts.max_attempts {
                        tracing::warn!(url = %shown, attempt, %reason, "upgates: retrying");
                        tokio::time::sleep(self.backoff(attempt)).await;
                        continue;
                    }
                    return Err(ShopError::Unreachable {
                        shop: SHOP,
                        url: shown,
                        reason,
                    });
                }
            };
            let status = resp.status();
            if let Some(l) = RateLimits::from_headers(resp.headers()) {
                match self.limits.lock() {
                    Ok(mut g) => *g = l,
                    Err(p) => *p.into_inner() = l,
                }
            }
            let retry_after = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let bytes = resp.bytes().await;
            drop(permit);
            let bytes = match bytes {
                Ok(b) => b,
                Err(e) => {
                    if replay == Replay::Safe && attempt < self.opts.max_attempts {
                        tokio::time::sleep(self.backoff(attempt)).await;
                        continue;
                    }
                    return Err(ShopError::Unreachable {
                        shop: SHOP,
                        url: shown,
                        reason: format!("answer cut off: {}", without_url(&e)),
                    });
                }
            };
            if status.is_success() {
                return Ok(bytes.to_vec());
            }
            let parsed: Option<Value> = if bytes.is_empty() {
                Some(Value::Null)
            } else {
                serde_json::from_slice(&bytes).ok()
            };
            match status {
                StatusCode::MOVED_PERMANENTLY => {
                    let new = parsed
                        .as_ref()
                        .and_then(|v| v.get("api_url"))
                        .and_then(Value::as_str)
                        .map(str::to_string)
                        .ok_or_else(|| ShopError::Decode {
                            shop: SHOP,
                            detail: format!("{shown}: 301 without \"api_url\" in the body"),
                        })?;
                    let new = normalise_base(&new)?;
                    moves += 1;
                    if moves > MAX_MOVES {
                        return Err(ShopError::Api {
                            shop: SHOP,
                            status: 301,
                            code: "moved".into(),
                            message: format!("shop moved more than {MAX_MOVES} times in a row"),
                        });
                    }
                    tracing::warn!(from = %self.current_base_url(), to = %new, "upgates: shop moved, switching API URL");
                    self.set_base(new);
                    attempt -= 1;
                    continue;
                }
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                    return Err(ShopError::Auth {
                        shop: SHOP,
                        status: status.as_u16(),
                    });
                }
                StatusCode::TOO_MANY_REQUESTS => {
                    let wait = retry_after
                        .as_deref()
                        .and_then(|s| retry_after_wait(s, Utc::now()))
                        .unwrap_or(Duration::from_secs(1));
                    if wait > self.opts.max_retry_wait || attempt >= self.opts.max_attempts {
                        return Err(ShopError::RateLimited {
                            shop: SHOP,
                            retry_after_s: wait.as_secs_f64().ceil() as u64,
                        });
                    }
                    tracing::info!(
                        wait_ms = wait.as_millis() as u64,
                        "upgates: 429, waiting for Retry-After"
                    );
                    tokio::time::sleep(wait).await;
                    continue;
                }
                s if s.is_server_error() => {
                    if attempt < self.opts.max_attempts {
                        tracing::warn!(url = %shown, status = s.as_u16(), attempt, "upgates: server error, retrying");
                        tokio::time::sleep(self.backoff(attempt)).await;
                        continue;
                    }
                    return Err(api_error(status, parsed.as_ref(), &shown));
                }
                _ => return Err(api_error(status, parsed.as_ref(), &shown)),
            }
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        self.opts
            .backoff
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(6))
    }

    /// All pages of `GET /orders` with `query`, mapped; returns the orders, the rejected
    /// records and the newest `last_update_time` seen.
    async fn list_orders(&self, query: &[(&str, String)]) -> Result<Listing, ShopError> {
        let mut out = Listing::default();
        let mut page: u64 = 1;
        loop {
            let mut q: Vec<(&str, String)> = query.to_vec();
            q.push(("page", page.to_string()));
            let v = self
                .request(Method::GET, &["orders"], &q, None, Replay::Safe)
                .await?;
            let current = num(v.get("current_page")).map(|f| f as u64).unwrap_or(page);
            let pages = num(v.get("number_of_pages")).map(|f| f as u64).unwrap_or(0);
            out.absorb(&v);
            if current >= pages || page >= MAX_PAGES {
                break;
            }
            page = current.max(page) + 1;
        }
        Ok(out)
    }

    async fn put_orders(
        &self,
        orders: Vec<Value>,
        send_emails: bool,
    ) -> Result<Vec<UpdateOutcome>, ShopError> {
        let numbers: Vec<String> = orders
            .iter()
            .filter_map(|o| o.get("order_number").and_then(Value::as_str))
            .map(str::to_string)
            .collect();
        let body = json!({
            "send_emails_yn": send_emails,
            "send_sms_yn": false,
            "orders": orders,
        });
        let v = self
            .request(Method::PUT, &["orders"], &[], Some(&body), Replay::Safe)
            .await?;
        let answered = v.get("orders").and_then(Value::as_array);
        Ok(numbers
            .into_iter()
            .map(|n| {
                let item = answered.and_then(|a| {
                    a.iter()
                        .find(|o| text(o.get("order_number")).as_deref() == Some(n.as_str()))
                });
                let result = match item {
                    None => Err("the shop did not answer for this order".to_string()),
                    Some(o) if boolish(o.get("updated_yn")) == Some(true) => Ok(()),
                    Some(o) => Err(messages(o.get("messages"))
                        .unwrap_or_else(|| "not updated (no reason given)".into())),
                };
                UpdateOutcome { number: n, result }
            })
            .collect())
    }

    /// One order in wire format, or `None` when the shop does not know it (404 or an
    /// empty `orders`; which one Upgates sends is unconfirmed).
    async fn get_order_raw(&self, number: &str) -> Result<Option<Value>, ShopError> {
        match self
            .request(Method::GET, &["orders", number], &[], None, Replay::Safe)
            .await
        {
            Ok(v) => Ok(v
                .get("orders")
                .and_then(Value::as_array)
                .and_then(|a| {
                    a.iter()
                        .find(|o| text(o.get("order_number")).as_deref() == Some(number))
                        .or(a.first())
                })
                .cloned()),
            Err(ShopError::Api { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[derive(Default)]
struct Listing {
    orders: Vec<Order>,
    rejected: Vec<String>,
    newest: Option<DateTime<Utc>>,
}

impl Listing {
    fn absorb(&mut self, page: &Value) {
        let Some(list) = page.get("orders").and_then(Value::as_array) else {
            return;
        };
        for (i, raw) in list.iter().enumerate() {
            if let Some(t) = raw.get("last_update_time").and_then(parse_wire_date) {
                self.newest = Some(self.newest.map_or(t, |n| n.max(t)));
            }
            match order_from_wire(raw) {
                Ok(o) => self.orders.push(o),
                Err(e) => {
                    let who = text(raw.get("order_number")).unwrap_or_else(|| format!("#{i}"));
                    tracing::warn!(order = %who, error = %e, "upgates: order not imported");
                    self.rejected.push(format!("order {who}: {e}"));
                }
            }
        }
    }
}

#[async_trait]
impl Shop for UpgatesClient {
    fn kind(&self) -> &'static str {
        SHOP
    }

    async fn fetch_orders(&self, cursor: &SyncCursor) -> Result<FetchResult, ShopError> {
        if let Some(moved) = cursor.extra.as_deref().filter(|s| !s.is_empty()) {
            match normalise_base(moved) {
                Ok(m) if m != self.current_base_url() => self.set_base(m),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "upgates: cursor holds no usable API URL, ignored")
                }
            }
        }
        // Newest first: an order that changes while the pages are read moves to the front,
        // so the pages after it repeat an order instead of skipping one (ascending order
        // would skip). Changes made during the sync are newer than the cursor and come
        // with the next sync.
        let mut query = vec![
            ("order_by", "last_update_time".to_string()),
            ("order_dir", "desc".to_string()),
        ];
        if let Some(since) = cursor.since {
            query.push((
                "last_update_time_from",
                since.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
            ));
        }
        let listing = self.list_orders(&query).await?;
        let base = self.current_base_url();
        // Oldest change first; an order seen twice (it moved between pages) once, in its
        // newest version (the first seen).
        let mut seen = std::collections::HashSet::new();
        let mut orders: Vec<Order> = listing
            .orders
            .into_iter()
            .filter(|o| seen.insert(o.number.clone()))
            .collect();
        orders.reverse();
        Ok(FetchResult {
            orders,
            cursor: SyncCursor {
                since: match (cursor.since, listing.newest) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => a.or(b),
                },
                extra: (base != self.configured_base).then_some(base),
            },
            rejected: listing.rejected,
        })
    }

    async fn statuses(&self) -> Result<Vec<ShopStatus>, ShopError> {
        let v = self
            .request(Method::GET, &["order-statuses"], &[], None, Replay::Safe)
            .await?;
        let list = v
            .get("order_statuses")
            .and_then(Value::as_array)
            .ok_or_else(|| ShopError::Decode {
                shop: SHOP,
                detail: "GET /order-statuses: no \"order_statuses\" array".into(),
            })?;
        Ok(list
            .iter()
            .filter_map(|s| {
                let id = text(s.get("id"))?;
                let descriptions = s.get("descriptions").and_then(Value::as_array);
                let name = descriptions
                    .and_then(|d| {
                        d.iter()
                            .find(|x| x.get("language_id").and_then(Value::as_str) == Some("cs"))
                            .or(d.first())
                    })
                    .and_then(|x| text(x.get("name")))
                    .or_else(|| text(s.get("type")))
                    .unwrap_or_default();
                Some(ShopStatus {
                    id,
                    name: sanitize(&name),
                    kind: text(s.get("type"))
                        .map(|t| sanitize(&t))
                        .unwrap_or_default(),
                })
            })
            .collect())
    }

    async fn push_updates(&self, updates: &[OrderUpdate]) -> Result<Vec<UpdateOutcome>, ShopError> {
        let mut outcomes = Vec::with_capacity(updates.len());
        // `send_emails_yn` is per request: group the updates that may notify.
        for notify in [false, true] {
            let group: Vec<&OrderUpdate> = updates
                .iter()
                .filter(|u| (u.notify && self.send_emails) == notify)
                .collect();
            let mut items = Vec::new();
            for u in group {
                let mut o = serde_json::Map::new();
                o.insert("order_number".into(), json!(u.number));
                if let Some(s) = u.status.as_deref() {
                    match s.trim().parse::<u64>() {
                        Ok(id) => o.insert("status_id".into(), json!(id)),
                        Err(_) => o.insert("status".into(), json!(s)),
                    };
                }
                if let Some(t) = u.tracking_number.as_deref() {
                    o.insert("tracking_code".into(), json!(t));
                }
                if o.len() == 1 {
                    // Nothing to change: do not spend quota on it.
                    outcomes.push(UpdateOutcome {
                        number: u.number.clone(),
                        result: Ok(()),
                    });
                    continue;
                }
                items.push(Value::Object(o));
            }
            for chunk in items.chunks(MAX_BATCH) {
                match self.put_orders(chunk.to_vec(), notify).await {
                    Ok(mut o) => outcomes.append(&mut o),
                    Err(e) if matches!(e, ShopError::Api { status, .. } if status < 500) => {
                        let msg = e.to_string();
                        outcomes.extend(chunk.iter().map(|o| UpdateOutcome {
                            number: text(o.get("order_number")).unwrap_or_default(),
                            result: Err(msg.clone()),
                        }));
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(outcomes)
    }

    async fn set_note(
        &self,
        order: &OrderUpdate,
        text_in: &str,
        mode: NoteMode,
    ) -> Result<(), ShopError> {
        let note = match mode {
            NoteMode::Overwrite => text_in.to_string(),
            NoteMode::Append => {
                // Whether PUT `internal_note` appends is unconfirmed: read, add, write.
                let raw = self
                    .get_order_raw(&order.number)
                    .await?
                    .ok_or_else(|| not_found(&order.number))?;
                let current = text(raw.get("internal_note")).unwrap_or_default();
                if current.lines().last().map(str::trim) == Some(text_in.trim()) {
                    // Already there (a retried append): keep it once.
                    return Ok(());
                }
                if current.trim().is_empty() {
                    text_in.to_string()
                } else {
                    format!("{}\n{text_in}", current.trim_end())
                }
            }
        };
        let out = self
            .put_orders(
                vec![json!({"order_number": order.number, "internal_note": note})],
                false,
            )
            .await?;
        match out.into_iter().next().map(|o| o.result) {
            Some(Ok(())) => Ok(()),
            Some(Err(m)) => Err(ShopError::Api {
                shop: SHOP,
                status: 200,
                code: "not_updated".into(),
                message: format!("order {}: internal_note not written: {m}", order.number),
            }),
            None => Err(ShopError::Decode {
                shop: SHOP,
                detail: format!("PUT /orders: no answer for order {}", order.number),
            }),
        }
    }

    async fn add_history(&self, order: &OrderUpdate, text_in: &str) -> Result<(), ShopError> {
        let value: String = text_in.chars().take(HISTORY_VALUE_MAX).collect();
        let body = json!({"data": [{"name": HISTORY_NAME, "value": value}]});
        // Not safe to replay after a timeout: it would log the event twice.
        let v = self
            .request(
                Method::POST,
                &["orders", &order.number, "history"],
                &[],
                Some(&body),
                Replay::Unsafe,
            )
            .await
            .map_err(|e| match e {
                ShopError::Api { status: 404, .. } => not_found(&order.number),
                e => e,
            })?;
        if boolish(v.get("updated")) == Some(true) {
            Ok(())
        } else {
            Err(ShopError::Api {
                shop: SHOP,
                status: 200,
                code: "not_updated".into(),
                message: format!(
                    "order {}: history not written: {}",
                    order.number,
                    messages(v.get("messages")).unwrap_or_else(|| "no reason given".into())
                ),
            })
        }
    }

    async fn find(&self, query: &OrderQuery) -> Result<Vec<Order>, ShopError> {
        let listing = match query {
            OrderQuery::Number(n) => {
                let mut l = Listing::default();
                if let Some(raw) = self.get_order_raw(n.trim()).await? {
                    l.absorb(&json!({"orders": [raw]}));
                }
                l
            }
            OrderQuery::Email(e) => self.list_orders(&[("email", e.trim().to_string())]).await?,
            OrderQuery::Phone { phone, from, to } => {
                // `phone` is documented as an MSISDN: digits with the country code.
                let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
                self.list_orders(&[
                    ("phone", digits),
                    (
                        "creation_time_from",
                        from.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
                    ),
                    (
                        "creation_time_to",
                        to.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
                    ),
                ])
                .await?
            }
        };
        Ok(listing.orders)
    }

    fn quota(&self) -> Quota {
        self.rate_limits().quota()
    }

    fn orders_per_update_request(&self) -> usize {
        MAX_BATCH
    }

    fn offers_order_pdf(&self) -> bool {
        true
    }

    async fn order_pdf(&self, number: &str) -> Result<Option<Vec<u8>>, ShopError> {
        let number = number.trim();
        let bytes = match self
            .request_bytes(
                Method::GET,
                &["orders", number, "pdf"],
                &[],
                None,
                Replay::Safe,
            )
            .await
        {
            Ok(b) => b,
            Err(ShopError::Api { status: 404, .. }) => {
                return Err(ShopError::Api {
                    shop: SHOP,
                    status: 404,
                    code: "not_found".into(),
                    message: format!(
                        "order {} not found: the shop has no document for it",
                        sanitize(number)
                    ),
                });
            }
            Err(e) => return Err(e),
        };
        if !bytes.starts_with(b"%PDF-") {
            return Err(ShopError::Decode {
                shop: SHOP,
                detail: format!(
                    "the document of order {} is not a PDF ({} bytes)",
                    sanitize(number),
                    bytes.len()
                ),
            });
        }
        Ok(Some(bytes))
    }
}

fn not_found(number: &str) -> ShopError {
    ShopError::Api {
        shop: SHOP,
        status: 404,
        code: "not_found".into(),
        message: format!("order {number} not found"),
    }
}

/// A base URL without a trailing slash; must be http(s).
fn normalise_base(s: &str) -> Result<String, ShopError> {
    let t = s.trim().trim_end_matches('/');
    match Url::parse(t) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(t.to_string()),
        _ => Err(ShopError::Decode {
            shop: SHOP,
            detail: format!("API URL {t:?} is not an http(s) URL"),
        }),
    }
}

/// A reqwest error without its URL (the URL is reported separately; it never holds the
/// key, which goes in a header).
fn without_url(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    if let Some(u) = e.url() {
        s = s.replace(&format!(" for url ({u})"), "");
    }
    let mut src = std::error::Error::source(e);
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

fn api_error(status: StatusCode, body: Option<&Value>, url: &str) -> ShopError {
    let detail = body
        .and_then(|b| {
            b.get("message")
                .and_then(|m| text(Some(m)))
                .or_else(|| messages(b.get("messages")))
        })
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_string());
    let path = Url::parse(url)
        .map(|u| u.path().to_string())
        .unwrap_or_else(|_| url.to_string());
    ShopError::Api {
        shop: SHOP,
        status: status.as_u16(),
        code: status.as_u16().to_string(),
        message: format!("HTTP {} on {path}: {}", status.as_u16(), sanitize(&detail)),
    }
}

/// The texts of an ErrorMessage array, joined.
fn messages(v: Option<&Value>) -> Option<String> {
    let list = v?.as_array()?;
    let parts: Vec<String> = list
        .iter()
        .filter_map(|m| {
            let msg = text(m.get("message"))?;
            Some(match text(m.get("property")) {
                Some(p) if !p.is_empty() => format!("{p}: {msg}"),
                _ => msg,
            })
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// How long until a `Retry-After` value (an HTTP date, or seconds to be lenient).
pub fn retry_after_wait(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = DateTime::parse_from_rfc2822(v).ok()?.with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

// ---------------------------------------------------------------------------------------
// Lenient reading of wire values
// ---------------------------------------------------------------------------------------

/// A string or number as text (`"123"`, `123`, `12.5`); `None` for null, empty or other.
fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A number sent as a number or a string (`"12.50"`, `"12,50"`).
fn num(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => {
            let t = s.trim().replace([' ', '\u{a0}'], "").replace(',', ".");
            t.parse::<f64>().ok().filter(|f| f.is_finite())
        }
        _ => None,
    }
}

/// `true`/`false`, `1`/`0`, `"1"`/`"0"`, `"true"`/`"false"`.
fn boolish(v: Option<&Value>) -> Option<bool> {
    match v? {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_f64().map(|f| f != 0.0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "y" => Some(true),
            "0" | "false" | "no" | "n" | "" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// A date as Upgates sends it: ISO 8601 with offset, `YYYY-MM-DD HH:MM:SS` (taken as
/// Prague time), `YYYY-MM-DD`, or a PHP-serialised `DateTime`
/// (`{"date":"2025-03-01 14:24:49.000000","timezone_type":3,"timezone":"Europe/Prague"}`).
pub fn parse_wire_date(v: &Value) -> Option<DateTime<Utc>> {
    match v {
        Value::String(s) => parse_date_str(s.trim(), None),
        Value::Object(o) => {
            let date = o.get("date")?.as_str()?.trim();
            let tz = o.get("timezone").and_then(Value::as_str).unwrap_or("");
            parse_date_str(date, Some(tz))
        }
        _ => None,
    }
}

fn parse_date_str(s: &str, zone: Option<&str>) -> Option<DateTime<Utc>> {
    if s.is_empty() {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%z") {
        return Some(d.with_timezone(&Utc));
    }
    let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f"))
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })?;
    let offset = zone_offset(zone.unwrap_or("Europe/Prague"), naive)?;
    offset
        .from_local_datetime(&naive)
        .earliest()
        .map(|d| d.with_timezone(&Utc))
}

/// UTC offset of a PHP timezone (type 1 `+01:00`, type 2 `CET`, type 3 zone name) at a
/// local time. Central European zones follow the EU summer-time rule.
fn zone_offset(zone: &str, local: NaiveDateTime) -> Option<FixedOffset> {
    let z = zone.trim();
    if let Some(off) = parse_offset(z) {
        return Some(off);
    }
    let hours = match z.to_ascii_uppercase().as_str() {
        "" | "UTC" | "GMT" | "Z" | "EUROPE/LONDON" => 0,
        "CET" => 1,
        "CEST" => 2,
        "EUROPE/PRAGUE" | "EUROPE/BRATISLAVA" | "EUROPE/WARSAW" | "EUROPE/BERLIN"
        | "EUROPE/VIENNA" | "EUROPE/BUDAPEST" | "EUROPE/PARIS" | "EUROPE/ROME"
        | "EUROPE/AMSTERDAM" | "EUROPE/BRUSSELS" | "EUROPE/MADRID" | "EUROPE/LJUBLJANA"
        | "EUROPE/ZAGREB" => {
            if eu_summer_time(local) {
                2
            } else {
                1
            }
        }
        other => {
            tracing::debug!(zone = other, "upgates: unknown timezone, taken as UTC");
            0
        }
    };
    FixedOffset::east_opt(hours * 3600)
}

fn parse_offset(z: &str) -> Option<FixedOffset> {
    let (sign, rest) = match z.as_bytes().first()? {
        b'+' => (1, &z[1..]),
        b'-' => (-1, &z[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    if digits.len() != 4 {
        return None;
    }
    let h: i32 = digits.get(0..2)?.parse().ok()?;
    let m: i32 = digits.get(2..4)?.parse().ok()?;
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

/// EU summer time: from the last Sunday of March 01:00 UTC to the last Sunday of October
/// 01:00 UTC (evaluated on local time, which is close enough at the edges).
fn eu_summer_time(local: NaiveDateTime) -> bool {
    use chrono::Datelike;
    let y = local.year();
    let last_sunday = |month: u32| -> Option<NaiveDateTime> {
        let first_next = if month == 12 {
            NaiveDate::from_ymd_opt(y + 1, 1, 1)?
        } else {
            NaiveDate::from_ymd_opt(y, month + 1, 1)?
        };
        let last = first_next.pred_opt()?;
        let back = last.weekday().num_days_from_sunday();
        (last - chrono::Days::new(u64::from(back))).and_hms_opt(2, 0, 0)
    };
    match (last_sunday(3), last_sunday(10)) {
        (Some(start), Some(end)) => local >= start && local < end,
        _ => false,
    }
}

fn money(amount: f64, currency: &str) -> Money {
    Money::new((amount * 100.0).round() as i64, currency)
}

fn clean(v: Option<&Value>) -> String {
    text(v)
        .map(|s| sanitize(&s).trim().to_string())
        .unwrap_or_default()
}

/// Upgates wire order → domain order. The error names the field that could not be read.
pub fn order_from_wire(raw: &Value) -> Result<Order, String> {
    if !raw.is_object() {
        return Err("not a JSON object".into());
    }
    let number = text(raw.get("order_number"))
        .map(|n| sanitize(&n))
        .filter(|n| !n.is_empty())
        .ok_or("field order_number: missing")?;
    let created_at = match raw.get("creation_time") {
        None | Some(Value::Null) => return Err("field creation_time: missing".into()),
        Some(v) => parse_wire_date(v)
            .ok_or_else(|| format!("field creation_time: cannot read date {v}"))?,
    };
    let currency = text(raw.get("currency_id"))
        .map(|c| c.to_ascii_uppercase())
        .unwrap_or_else(|| "CZK".into());
    let empty = Value::Null;
    let c = raw.get("customer").unwrap_or(&empty);
    let postal =
        boolish(c.get("postal_yn")).unwrap_or(false) && text(c.get("street_postal")).is_some();
    let pick = |field: &str| {
        let postal_v = clean(c.get(format!("{field}_postal").as_str()));
        if postal && !postal_v.is_empty() {
            postal_v
        } else {
            clean(c.get(format!("{field}_invoice").as_str()))
        }
    };
    let name = [pick("firstname"), pick("surname")]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let company = {
        let p = if postal {
            clean(c.get("company_postal"))
        } else {
            String::new()
        };
        if p.is_empty() {
            clean(c.get("company"))
        } else {
            p
        }
    };
    let country = pick("country_id").to_ascii_uppercase();
    if !country.is_empty()
        && (country.len() != 2 || !country.chars().all(|ch| ch.is_ascii_alphabetic()))
    {
        return Err(format!(
            "field customer.country_id: {country:?} is not an ISO country code"
        ));
    }
    let customer = Address {
        name,
        company,
        street: pick("street"),
        city: pick("city"),
        zip: pick("zip"),
        country,
        phone: clean(c.get("phone")),
        email: clean(c.get("email")),
    };

    let s = raw.get("shipment").unwrap_or(&empty);
    let shipping = Shipping {
        method: text(s.get("code"))
            .or_else(|| text(s.get("id")))
            .or_else(|| text(s.get("name")))
            .map(|m| sanitize(&m))
            .unwrap_or_default(),
        carrier: clean(s.get("type")),
        service: String::new(),
        pickup_point: text(s.get("affiliate_id")).map(|id| PickupPoint {
            id: sanitize(&id),
            name: clean(s.get("affiliate_name")),
        }),
        cutoff_min: None,
    };

    let total = match raw.get("order_total") {
        None | Some(Value::Null) => money(0.0, &currency),
        Some(v) => money(
            num(Some(v)).ok_or_else(|| format!("field order_total: cannot read number {v}"))?,
            &currency,
        ),
    };
    let p = raw.get("payment").unwrap_or(&empty);
    let cod = (text(p.get("type")).as_deref() == Some("cashOnDelivery")).then(|| total.clone());
    let paid = match raw.get("paid_date") {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.trim().is_empty(),
        Some(_) => true,
    };

    let mut lines = Vec::new();
    if let Some(products) = raw.get("products") {
        let list = products.as_array().ok_or("field products: not a list")?;
        for (i, p) in list.iter().enumerate() {
            let kind = text(p.get("type")).unwrap_or_else(|| "product".into());
            if !matches!(kind.as_str(), "product" | "set_part") {
                continue;
            }
            let quantity = match p.get("quantity") {
                None | Some(Value::Null) => {
                    return Err(format!("field products[{i}].quantity: missing"));
                }
                Some(v) => num(Some(v))
                    .filter(|q| *q > 0.0)
                    .ok_or_else(|| format!("field products[{i}].quantity: cannot read {v}"))?,
            };
            let ean = text(p.get("ean"))
                .map(|e| sanitize(&e).replace(' ', ""))
                .filter(|e| !e.is_empty());
            let weight_g = num(p.get("weight")).filter(|w| *w > 0.0);
            let unit_price = num(p.get("price_per_unit_with_vat"))
                .or_else(|| num(p.get("price_per_unit")))
                .or_else(|| num(p.get("price_with_vat")).map(|t| t / quantity))
                .map(|v| money(v, &currency));
            lines.push(Line {
                sku: clean(p.get("code")),
                ean,
                name: clean(p.get("title")),
                quantity: Qty::from_f64(quantity),
                unit_weight_kg: weight_g.map(|g| g / 1000.0),
                needs_serial: false,
                aliases: Vec::new(),
                unit_price,
            });
        }
    }

    let note = Some(clean(c.get("customer_note")))
        .filter(|n| !n.is_empty())
        .map(|text| Note {
            text,
            ack_required: false,
        });
    let shop_status = text(raw.get("status_id"))
        .or_else(|| text(raw.get("status")))
        .map(|s| sanitize(&s))
        .unwrap_or_default();

    Ok(Order {
        source: SHOP.to_string(),
        number,
        shop_id: text(raw.get("order_id")),
        created_at,
        priority: 0,
        customer,
        shipping,
        total,
        cod,
        paid,
        note,
        lines,
        shop_status,
        cancelled: false,
        flags: Vec::new(),
        revision: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn php_date_object_in_prague_time() {
        let v = json!({"date": "2025-03-01 14:24:49.000000", "timezone_type": 3, "timezone": "Europe/Prague"});
        let d = parse_wire_date(&v).map(|d| d.to_rfc3339());
        assert_eq!(d.as_deref(), Some("2025-03-01T13:24:49+00:00"));
        let summer = json!({"date": "2025-07-01 14:00:00.000000", "timezone_type": 3, "timezone": "Europe/Prague"});
        let d = parse_wire_date(&summer).map(|d| d.to_rfc3339());
        assert_eq!(d.as_deref(), Some("2025-07-01T12:00:00+00:00"));
        let typ1 =
            json!({"date": "2025-07-01 14:00:00.000000", "timezone_type": 1, "timezone": "+05:30"});
        let d = parse_wire_date(&typ1).map(|d| d.to_rfc3339());
        assert_eq!(d.as_deref(), Some("2025-07-01T08:30:00+00:00"));
    }

    #[test]
    fn iso_and_plain_dates() {
        let d = parse_wire_date(&json!("2024-02-29T14:24:49+01:00")).map(|d| d.to_rfc3339());
        assert_eq!(d.as_deref(), Some("2024-02-29T13:24:49+00:00"));
        assert!(parse_wire_date(&json!("2024-02-29")).is_some());
        assert!(parse_wire_date(&json!("yesterday")).is_none());
        assert!(parse_wire_date(&json!(12)).is_none());
    }

    #[test]
    fn retry_after_http_date_and_seconds() {
        let now = DateTime::parse_from_rfc3339("2025-01-06T10:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default();
        assert_eq!(
            retry_after_wait("Mon, 06 Jan 2025 10:00:07 GMT", now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            retry_after_wait("Mon, 06 Jan 2025 09:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after_wait("3", now), Some(Duration::from_secs(3)));
        assert_eq!(retry_after_wait("soon", now), None);
    }

    #[test]
    fn lenient_scalars() {
        assert_eq!(num(Some(&json!("12,50"))), Some(12.5));
        assert_eq!(num(Some(&json!(3))), Some(3.0));
        assert_eq!(boolish(Some(&json!("0"))), Some(false));
        assert_eq!(boolish(Some(&json!(1))), Some(true));
        assert_eq!(text(Some(&json!(9000011))).as_deref(), Some("9000011"));
        assert_eq!(text(Some(&json!(null))), None);
    }

    #[test]
    fn debug_hides_the_key() {
        let c = UpgatesClient::new("http://127.0.0.1:9/api/v2", "user", "sekret-key-123", false);
        let dbg = format!("{c:?}");
        assert!(dbg.contains("user"));
        assert!(!dbg.contains("sekret-key-123"), "{dbg}");
    }

    #[test]
    fn rejects_order_without_creation_time() {
        let e = order_from_wire(&json!({"order_number": "1"}));
        assert_eq!(e.err().as_deref(), Some("field creation_time: missing"));
    }
}
