//! BaseLinker (Base.com) as an order source, and the low-level BaseLinker API client that
//! the shop and the courier client (`carrier::baselinker`) share.
//!
//! Wire format: `reference/apis.md` §3. One endpoint (`connector.php`), token in the
//! `X-BLToken` header, form fields `method` + `parameters` (JSON), answers with
//! `status: SUCCESS|ERROR` at the top level and HTTP 200 even on errors. The API is lax
//! about types (numbers as strings, bools as `"0"`/`"1"`), so every field is read leniently.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde_json::{Map, Value, json};

use super::{
    FetchResult, NoteMode, OrderQuery, OrderUpdate, Quota, Shop, ShopError, ShopStatus, SyncCursor,
    UpdateOutcome,
};
use crate::domain::text::sanitize;
use crate::domain::{Address, Line, Money, Note, Order, PickupPoint, Qty, Shipping};

const SHOP: &str = "baselinker";
/// `getOrders` returns at most this many orders per call (§3.3).
pub const PAGE_SIZE: usize = 100;
/// The documented limit: 100 requests per minute per token (§3.2).
pub const REQUESTS_PER_MINUTE: u32 = 100;
/// `admin_comments` is a varchar(200) (§3.5).
pub const ADMIN_COMMENTS_MAX: usize = 200;

// ---------------------------------------------------------------------------------------
// Lenient field readers (also used by the simulator).

/// An integer that may come as a number, a numeric string or a float with no fraction.
pub(crate) fn lenient_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Value::String(s) => {
            let s = s.trim();
            s.parse::<i64>().ok().or_else(|| {
                s.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite() && f.fract() == 0.0)
                    .map(|f| f as i64)
            })
        }
        Value::Bool(b) => Some(i64::from(*b)),
        _ => None,
    }
}

/// A decimal number that may come as a number or a string (decimal comma accepted).
pub(crate) fn lenient_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s
            .trim()
            .replace(',', ".")
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite()),
        _ => None,
    }
}

/// A flag sent as `true`, `1`, `"1"`, `"true"` (anything else is false).
pub(crate) fn lenient_bool(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => matches!(s.trim(), "1" | "true" | "TRUE" | "True" | "yes"),
        _ => false,
    }
}

/// Text of a field; numbers are turned into their decimal text, null into "".
pub(crate) fn lenient_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

fn field<'a>(obj: &'a Value, key: &str) -> &'a Value {
    obj.get(key).unwrap_or(&Value::Null)
}

// ---------------------------------------------------------------------------------------
// Low-level client.

/// A failure of one `connector.php` call, before it is turned into a shop or carrier error.
#[derive(Debug)]
pub(crate) enum ApiError {
    /// Nothing was sent or the connection failed before an answer (safe to retry).
    Unreachable(String),
    /// The request went out but no answer came in time (it may have been applied).
    Timeout(String),
    /// HTTP status other than 200 (edge 429/5xx; UNCONFIRMED that these occur).
    Http(u16, String),
    /// `status: ERROR` in the body.
    Api { code: String, message: String },
    /// `ERROR_BLOCKED_TOKEN` for longer than the configured wait cap.
    Blocked { retry_after_s: u64 },
    /// The answer was not the documented JSON.
    Decode(String),
}

impl ApiError {
    /// The bad-token family: the token was refused (codes UNCONFIRMED, matched by name).
    pub(crate) fn is_auth(&self) -> bool {
        match self {
            ApiError::Api { code, .. } => {
                code == "ERROR_USER_ACCOUNT_BLOCKED"
                    || (code.contains("TOKEN") && code != "ERROR_BLOCKED_TOKEN")
            }
            ApiError::Http(status, _) => *status == 401 || *status == 403,
            _ => false,
        }
    }
}

/// A token bucket: `burst` requests at once, refilled at `per_minute` per minute.
#[derive(Debug)]
struct TokenBucket {
    per_minute: u32,
    burst: f64,
    state: Mutex<(f64, Instant)>,
}

impl TokenBucket {
    fn new(per_minute: u32, burst: u32) -> TokenBucket {
        let burst = f64::from(burst.max(1));
        TokenBucket {
            per_minute: per_minute.max(1),
            burst,
            state: Mutex::new((burst, Instant::now())),
        }
    }

    /// Takes one token, sleeping until one is available.
    async fn acquire(&self) {
        let rate_per_s = f64::from(self.per_minute) / 60.0;
        let wait = {
            let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            let elapsed = now.saturating_duration_since(st.1).as_secs_f64();
            let tokens = (st.0 + elapsed * rate_per_s).min(self.burst);
            // Reserve the token now (may go negative) so concurrent callers queue up.
            st.0 = tokens - 1.0;
            st.1 = now;
            if st.0 >= 0.0 {
                Duration::ZERO
            } else {
                Duration::from_secs_f64(-st.0 / rate_per_s)
            }
        };
        if !wait.is_zero() {
            tracing::debug!(
                wait_ms = wait.as_millis() as u64,
                "baselinker: rate limit wait"
            );
            tokio::time::sleep(wait).await;
        }
    }
}

/// The shared BaseLinker `connector.php` client: token bucket, `ERROR_BLOCKED_TOKEN`
/// handling, lenient answer decoding. Clone it to share the bucket between the shop and
/// the courier client (the limit is per token). The token never appears in `Debug`.
#[derive(Clone)]
pub struct BaseLinkerApi {
    http: reqwest::Client,
    url: String,
    token: String,
    bucket: Arc<TokenBucket>,
    blocked_until: Arc<Mutex<Option<Instant>>>,
    max_block_wait: Duration,
}

impl fmt::Debug for BaseLinkerApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BaseLinkerApi")
            .field("url", &self.url)
            .field("token", &"<redacted>")
            .field("per_minute", &self.bucket.per_minute)
            .field("max_block_wait", &self.max_block_wait)
            .finish()
    }
}

impl BaseLinkerApi {
    /// A client for `url` (the full `…/connector.php` address) with a request timeout.
    /// Defaults: 95 requests/minute with a burst of 5, wait at most 10 minutes on
    /// `ERROR_BLOCKED_TOKEN`.
    pub fn new(url: &str, token: &str, timeout: Duration) -> Result<BaseLinkerApi, String> {
        if token.trim().is_empty() {
            return Err("the API token is empty".to_string());
        }
        let parsed =
            reqwest::Url::parse(url).map_err(|e| format!("invalid BaseLinker URL {url}: {e}"))?;
        // reqwest is built without a bundled crypto provider; install ring once.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(BaseLinkerApi {
            http,
            url: parsed.to_string(),
            token: token.to_string(),
            bucket: Arc::new(TokenBucket::new(95, 5)),
            blocked_until: Arc::new(Mutex::new(None)),
            max_block_wait: Duration::from_secs(600),
        })
    }

    /// Sets the client-side request rate (requests per minute, burst size).
    pub fn with_rate_limit(mut self, per_minute: u32, burst: u32) -> BaseLinkerApi {
        self.bucket = Arc::new(TokenBucket::new(per_minute, burst));
        self
    }

    /// The longest wait for a blocked token; longer blocks fail with a rate-limit error.
    pub fn with_max_block_wait(mut self, max: Duration) -> BaseLinkerApi {
        self.max_block_wait = max;
        self
    }

    /// The endpoint URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The configured requests per minute.
    pub fn per_minute(&self) -> u32 {
        self.bucket.per_minute
    }

    /// Calls one method. Waits for the token bucket and for a blocked token (up to the
    /// cap), then returns the answer object (with `status: SUCCESS`).
    pub(crate) async fn call(&self, method: &str, params: Value) -> Result<Value, ApiError> {
        let parameters = params.to_string();
        // A blocked token: at most a few rounds of waiting, each capped.
        for _ in 0..3 {
            self.wait_if_blocked().await?;
            self.bucket.acquire().await;
            let resp = self
                .http
                .post(&self.url)
                .header("X-BLToken", &self.token)
                .form(&[("method", method), ("parameters", parameters.as_str())])
                .send()
                .await
                .map_err(|e| classify(&e))?;
            let status = resp.status().as_u16();
            let body = resp.text().await.map_err(|e| classify(&e))?;
            if status != 200 {
                return Err(ApiError::Http(status, snippet(&body)));
            }
            let v: Value = serde_json::from_str(&body).map_err(|e| {
                ApiError::Decode(format!("{method}: not JSON ({e}): {}", snippet(&body)))
            })?;
            let st = lenient_string(field(&v, "status"));
            if st.eq_ignore_ascii_case("SUCCESS") {
                return Ok(v);
            }
            let code = lenient_string(field(&v, "error_code"));
            let message = sanitize(&lenient_string(field(&v, "error_message")));
            if code == "ERROR_BLOCKED_TOKEN" {
                let wait = blocked_wait(&message, Utc::now());
                tracing::warn!(
                    method,
                    wait_s = wait.as_secs(),
                    "baselinker: token blocked: {message}"
                );
                if wait > self.max_block_wait {
                    return Err(ApiError::Blocked {
                        retry_after_s: wait.as_secs().max(1),
                    });
                }
                let mut b = self.blocked_until.lock().unwrap_or_else(|e| e.into_inner());
                let until = Instant::now() + wait;
                if b.is_none_or(|old| old < until) {
                    *b = Some(until);
                }
                continue;
            }
            if code.is_empty() && st.is_empty() {
                return Err(ApiError::Decode(format!(
                    "{method}: answer has no status: {}",
                    snippet(&body)
                )));
            }
            return Err(ApiError::Api { code, message });
        }
        Err(ApiError::Blocked {
            retry_after_s: self.max_block_wait.as_secs().max(1),
        })
    }

    async fn wait_if_blocked(&self) -> Result<(), ApiError> {
        let until = *self.blocked_until.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(until) = until {
            let wait = until.saturating_duration_since(Instant::now());
            if wait > self.max_block_wait {
                return Err(ApiError::Blocked {
                    retry_after_s: wait.as_secs().max(1),
                });
            }
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
        }
        Ok(())
    }
}

fn classify(e: &reqwest::Error) -> ApiError {
    if e.is_timeout() && !e.is_connect() {
        ApiError::Timeout(e.to_string())
    } else {
        ApiError::Unreachable(e.to_string())
    }
}

fn snippet(body: &str) -> String {
    let s: String = body.chars().take(200).collect();
    sanitize(&s)
}

/// How long to wait for `…token blocked until YYYY-MM-DD HH:MM:SS`. The time zone of that
/// time is not documented: it is read as UTC, and a wait of more than an hour (the
/// documented blocks last up to ~10 minutes) is taken to be a zone offset and reduced
/// modulo one hour. Without a readable time, one minute.
pub(crate) fn blocked_wait(message: &str, now: DateTime<Utc>) -> Duration {
    let parsed = message
        .find("until")
        .map(|i| message[i + 5..].trim())
        .and_then(|t| t.get(..19))
        .and_then(|t| NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S").ok());
    let Some(naive) = parsed else {
        return Duration::from_secs(60);
    };
    let until = Utc.from_utc_datetime(&naive);
    let mut secs = (until - now).num_milliseconds();
    if secs <= 0 {
        return Duration::from_millis(100);
    }
    if secs > 3_600_000 {
        secs %= 3_600_000;
    }
    // A little margin: the block time has one-second resolution.
    Duration::from_millis(secs as u64 + 100)
}

// ---------------------------------------------------------------------------------------
// Mapping getOrders records to domain orders.

fn money(amount: f64, currency: &str) -> Money {
    Money::new((amount * 100.0).round() as i64, currency)
}

fn text(obj: &Value, key: &str) -> String {
    sanitize(lenient_string(field(obj, key)).trim())
}

/// The number the packer knows the order by (printed on the slip, scanned at the bench):
/// the shop's own number where BaseLinker carries one, else the BaseLinker `order_id`.
/// Which field holds it depends on the source and is not documented for sure, so this is
/// lenient: `external_order_id` when it is a plausible order number (not empty, not `0`, at
/// most 40 characters, no spaces), else `shop_order_id` when above 0, else `order_id`.
/// The `order_id` stays in `Order::shop_id` (it opens the order too, and every call uses it).
fn order_number(o: &Value, order_id: i64) -> String {
    let external = text(o, "external_order_id");
    if !external.is_empty()
        && external != "0"
        && external.chars().count() <= 40
        && !external.chars().any(char::is_whitespace)
    {
        return external;
    }
    match lenient_i64(field(o, "shop_order_id")) {
        Some(n) if n > 0 => n.to_string(),
        _ => order_id.to_string(),
    }
}

/// Turns one `getOrders` record into an order; `Err` names the order and the field.
pub(crate) fn map_order(o: &Value, index: usize) -> Result<Order, String> {
    let Some(order_id) = lenient_i64(field(o, "order_id")) else {
        return Err(format!(
            "orders[{index}]: field order_id missing or not a number"
        ));
    };
    let at = |f: &str| format!("order {order_id}: field {f}");
    let created = lenient_i64(field(o, "date_add"))
        .filter(|t| *t > 0)
        .or_else(|| lenient_i64(field(o, "date_confirmed")).filter(|t| *t > 0))
        .ok_or_else(|| format!("{} missing or not a unix time", at("date_add")))?;
    let created_at = Utc
        .timestamp_opt(created, 0)
        .single()
        .ok_or_else(|| format!("{} out of range: {created}", at("date_add")))?;
    let currency = text(o, "currency").to_uppercase();
    if currency.len() != 3 {
        return Err(format!(
            "{} not an ISO 4217 code: {currency:?}",
            at("currency")
        ));
    }
    let mut country = text(o, "delivery_country_code").to_uppercase();
    if country.is_empty() {
        country = text(o, "invoice_country_code").to_uppercase();
    }
    if country.len() != 2 || !country.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(format!(
            "{} not an ISO country code: {country:?}",
            at("delivery_country_code")
        ));
    }
    let products = match field(o, "products") {
        Value::Array(a) => a.as_slice(),
        Value::Null => &[],
        _ => return Err(format!("{} is not a list", at("products"))),
    };
    let mut lines = Vec::with_capacity(products.len());
    let mut goods = 0.0;
    for (i, p) in products.iter().enumerate() {
        let qf = lenient_f64(field(p, "quantity")).ok_or_else(|| {
            format!(
                "{} missing or not a number",
                at(&format!("products[{i}].quantity"))
            )
        })?;
        let quantity = Qty::from_f64(qf);
        if quantity == Qty::ZERO {
            return Err(format!(
                "{} is not positive: {qf}",
                at(&format!("products[{i}].quantity"))
            ));
        }
        let price = lenient_f64(field(p, "price_brutto")).unwrap_or(0.0);
        goods += price * quantity.as_f64();
        let ean = text(p, "ean");
        let ean = (!ean.is_empty() && ean.chars().any(|c| c != '0')).then_some(ean);
        lines.push(Line {
            sku: text(p, "sku"),
            ean,
            name: text(p, "name"),
            quantity,
            unit_weight_kg: lenient_f64(field(p, "weight")).filter(|w| *w > 0.0),
            needs_serial: false,
            aliases: Vec::new(),
            unit_price: Some(money(price, &currency)),
        });
    }
    let delivery_price = lenient_f64(field(o, "delivery_price")).unwrap_or(0.0);
    let total = money(goods + delivery_price, &currency);
    let paid_amount = money(
        lenient_f64(field(o, "payment_done")).unwrap_or(0.0),
        &currency,
    );
    let is_cod = lenient_bool(field(o, "payment_method_cod"));
    let cod = is_cod.then(|| Money::new((total.minor - paid_amount.minor).max(0), &currency));
    let paid = total.minor > 0 && paid_amount.minor >= total.minor;
    let point_id = text(o, "delivery_point_id");
    let pickup_point = (!point_id.is_empty()).then(|| PickupPoint {
        id: point_id,
        name: text(o, "delivery_point_name"),
    });
    let user_comments = text(o, "user_comments");
    let admin_comments = text(o, "admin_comments");
    let note_text = match (user_comments.is_empty(), admin_comments.is_empty()) {
        (true, true) => None,
        (false, true) => Some(user_comments),
        (true, false) => Some(admin_comments),
        (false, false) => Some(format!("{user_comments} / {admin_comments}")),
    };
    let mut flags = Vec::new();
    if lenient_bool(field(o, "want_invoice")) {
        flags.push("invoice".to_string());
    }
    // The docs' sample says pick_status/pack_status, the table pick_state/pack_state.
    let state = |a: &str, b: &str| lenient_bool(field(o, a)) || lenient_bool(field(o, b));
    if state("pick_state", "pick_status") {
        flags.push("picked".to_string());
    }
    if state("pack_state", "pack_status") {
        flags.push("packed".to_string());
    }
    Ok(Order {
        source: SHOP.to_string(),
        number: order_number(o, order_id),
        shop_id: Some(order_id.to_string()),
        created_at,
        priority: 0,
        customer: Address {
            name: text(o, "delivery_fullname"),
            company: text(o, "delivery_company"),
            street: text(o, "delivery_address"),
            city: text(o, "delivery_city"),
            zip: text(o, "delivery_postcode"),
            country,
            phone: text(o, "phone"),
            email: text(o, "email"),
        },
        shipping: Shipping {
            method: text(o, "delivery_method"),
            carrier: String::new(),
            service: String::new(),
            pickup_point,
            cutoff_min: None,
        },
        total,
        cod,
        paid,
        note: note_text.map(|text| Note {
            text,
            ack_required: false,
        }),
        lines,
        shop_status: lenient_string(field(o, "order_status_id")),
        cancelled: false,
        flags,
        revision: 0,
    })
}

// ---------------------------------------------------------------------------------------
// The shop.

/// BaseLinker as an order source. `Order::shop_id` is the BaseLinker `order_id` (unique
/// across all connected shops and marketplaces); `Order::number` is the shop's own order
/// number where BaseLinker carries one (see `order_number`), else the `order_id` too.
#[derive(Debug, Clone)]
pub struct BaseLinkerShop {
    api: BaseLinkerApi,
    manual_courier: String,
    initial_lookback: chrono::Duration,
    /// `getOrderStatusList`, fetched the first time a status is given by name.
    status_list: Arc<tokio::sync::Mutex<Option<Vec<ShopStatus>>>>,
}

fn shop_err(e: ApiError, url: &str) -> ShopError {
    if e.is_auth() {
        let status = match e {
            ApiError::Http(s, _) => s,
            _ => 200,
        };
        return ShopError::Auth { shop: SHOP, status };
    }
    match e {
        ApiError::Unreachable(reason) | ApiError::Timeout(reason) => ShopError::Unreachable {
            shop: SHOP,
            url: url.to_string(),
            reason,
        },
        ApiError::Http(429, _) => ShopError::RateLimited {
            shop: SHOP,
            retry_after_s: 60,
        },
        ApiError::Http(status, body) => ShopError::Api {
            shop: SHOP,
            status,
            code: format!("HTTP {status}"),
            message: format!("HTTP {status}: {body}"),
        },
        ApiError::Api { code, message } => ShopError::Api {
            shop: SHOP,
            status: 0,
            message: format!("{code}: {message}"),
            code,
        },
        ApiError::Blocked { retry_after_s } => ShopError::RateLimited {
            shop: SHOP,
            retry_after_s,
        },
        ApiError::Decode(detail) => ShopError::Decode { shop: SHOP, detail },
    }
}

/// Keeps the last `max` characters (the newest text of an appended note).
fn keep_tail(s: &str, max: usize) -> String {
    let n = s.chars().count();
    s.chars().skip(n.saturating_sub(max)).collect()
}

impl BaseLinkerShop {
    /// A shop client for `url` (`https://api.baselinker.com/connector.php`) and a token.
    pub fn new(url: &str, token: &str) -> Result<BaseLinkerShop, ShopError> {
        let api = BaseLinkerApi::new(url, token, Duration::from_secs(30)).map_err(|message| {
            ShopError::Api {
                shop: SHOP,
                status: 0,
                code: "CONFIG".into(),
                message,
            }
        })?;
        Ok(BaseLinkerShop::with_api(api))
    }

    /// The id of `status`: itself when numeric, else the id of the status of that name in
    /// `getOrderStatusList` (fetched once; names as in `packdesk doctor`).
    async fn status_id(&self, status: &str) -> Result<Option<i64>, ShopError> {
        if let Ok(id) = status.trim().parse::<i64>() {
            return Ok(Some(id));
        }
        let mut cached = self.status_list.lock().await;
        if cached.is_none() {
            *cached = Some(self.statuses().await?);
        }
        Ok(cached
            .as_deref()
            .and_then(|list| crate::doctor::find_status(list, status))
            .and_then(|s| s.id.trim().parse::<i64>().ok()))
    }

    /// A shop client over an existing API client (to share its rate limit).
    pub fn with_api(api: BaseLinkerApi) -> BaseLinkerShop {
        BaseLinkerShop {
            api,
            manual_courier: "other".to_string(),
            initial_lookback: chrono::Duration::days(14),
            status_list: Arc::new(tokio::sync::Mutex::new(None)),
        }
    }

    /// Sets the client-side request rate (see [`BaseLinkerApi::with_rate_limit`]).
    pub fn with_rate_limit(mut self, per_minute: u32, burst: u32) -> BaseLinkerShop {
        self.api = self.api.with_rate_limit(per_minute, burst);
        self
    }

    /// The longest wait for a blocked token (see [`BaseLinkerApi::with_max_block_wait`]).
    pub fn with_max_block_wait(mut self, max: Duration) -> BaseLinkerShop {
        self.api = self.api.with_max_block_wait(max);
        self
    }

    /// The `courier_code` (a code or a custom name) under which tracking numbers from
    /// outside are registered with `createPackageManual`; default `other`.
    pub fn with_manual_courier(mut self, courier: &str) -> BaseLinkerShop {
        self.manual_courier = courier.to_string();
        self
    }

    /// How far back the first sync (empty cursor) looks; default 14 days.
    pub fn with_initial_lookback(mut self, lookback: chrono::Duration) -> BaseLinkerShop {
        self.initial_lookback = lookback;
        self
    }

    /// The underlying API client (clone it for `BaseLinkerCourier::with_api`).
    pub fn api(&self) -> &BaseLinkerApi {
        &self.api
    }

    async fn call(&self, method: &str, params: Value) -> Result<Value, ShopError> {
        self.api
            .call(method, params)
            .await
            .map_err(|e| shop_err(e, self.api.url()))
    }

    /// Marks an order picked and/or packed (`setOrderFields` `pick_state`/`pack_state`).
    pub async fn set_pick_pack_state(
        &self,
        order_id: &str,
        pick: Option<bool>,
        pack: Option<bool>,
    ) -> Result<(), ShopError> {
        let id = parse_order_id(order_id)?;
        let mut params = Map::new();
        params.insert("order_id".into(), json!(id));
        if let Some(p) = pick {
            params.insert("pick_state".into(), json!(i32::from(p)));
        }
        if let Some(p) = pack {
            params.insert("pack_state".into(), json!(i32::from(p)));
        }
        if params.len() == 1 {
            return Ok(());
        }
        self.call("setOrderFields", Value::Object(params)).await?;
        Ok(())
    }

    /// All pages of `getOrders` from `date_confirmed_from = from` with extra filters.
    /// Paging (§3.3): the next page starts at the last order's `date_confirmed`. The docs
    /// say `+ 1`; that loses orders confirmed in the same second when a page ends in the
    /// middle of them, so the same second is asked again and already seen ids skipped; only
    /// a full page of one second with nothing new moves on by one second.
    async fn get_orders_paged(
        &self,
        from: i64,
        extra: &Map<String, Value>,
        stop_after: Option<i64>,
    ) -> Result<(Vec<Value>, i64), ShopError> {
        let mut from = from;
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        let mut last_confirmed = from;
        loop {
            let mut params = extra.clone();
            params.insert("date_confirmed_from".into(), json!(from));
            let v = self.call("getOrders", Value::Object(params)).await?;
            let page = match field(&v, "orders") {
                Value::Array(a) => a.clone(),
                Value::Null => Vec::new(),
                _ => {
                    return Err(ShopError::Decode {
                        shop: SHOP,
                        detail: "getOrders: field orders is not a list".to_string(),
                    });
                }
            };
            let full = page.len() >= PAGE_SIZE;
            let mut new = 0;
            let mut page_last = from;
            for o in page {
                let confirmed = lenient_i64(field(&o, "date_confirmed")).unwrap_or(from);
                page_last = page_last.max(confirmed);
                let key = lenient_string(field(&o, "order_id"));
                if seen.insert(key) {
                    new += 1;
                    out.push(o);
                }
            }
            last_confirmed = last_confirmed.max(page_last);
            if !full || stop_after.is_some_and(|t| page_last > t) {
                break;
            }
            from = if new == 0 || page_last < from {
                tracing::warn!(
                    second = page_last,
                    "baselinker: a full page of orders confirmed in one second; skipping on"
                );
                page_last.max(from) + 1
            } else {
                page_last
            };
        }
        Ok((out, last_confirmed))
    }

    async fn order_raw(&self, order_id: i64) -> Result<Option<Value>, ShopError> {
        let v = self
            .call(
                "getOrders",
                json!({"order_id": order_id, "get_unconfirmed_orders": true}),
            )
            .await?;
        Ok(field(&v, "orders")
            .as_array()
            .and_then(|a| a.first())
            .cloned())
    }

    async fn push_tracking(&self, order_id: i64, tracking: &str) -> Result<(), ShopError> {
        // createPackageManual is not idempotent: look first, so a retry never registers
        // the same number twice.
        let v = self
            .call("getOrderPackages", json!({"order_id": order_id}))
            .await?;
        let exists = field(&v, "packages").as_array().is_some_and(|ps| {
            ps.iter()
                .any(|p| lenient_string(field(p, "courier_package_nr")).trim() == tracking)
        });
        if exists {
            tracing::debug!(order_id, "baselinker: tracking number already registered");
            return Ok(());
        }
        self.call(
            "createPackageManual",
            json!({
                "order_id": order_id,
                "courier_code": self.manual_courier,
                "package_number": tracking,
                "pickup_date": Utc::now().timestamp(),
                "return_shipment": false,
            }),
        )
        .await?;
        Ok(())
    }

    async fn write_admin_comments(&self, order_id: i64, text: &str) -> Result<(), ShopError> {
        self.call(
            "setOrderFields",
            json!({"order_id": order_id, "admin_comments": text}),
        )
        .await?;
        Ok(())
    }

    async fn append_admin_comments(&self, order_id: i64, text: &str) -> Result<(), ShopError> {
        let Some(order) = self.order_raw(order_id).await? else {
            return Err(ShopError::Api {
                shop: SHOP,
                status: 0,
                code: "ERROR_ORDER_NOT_FOUND".into(),
                message: format!("order {order_id} not found"),
            });
        };
        let old = lenient_string(field(&order, "admin_comments"));
        let joined = if old.trim().is_empty() {
            text.to_string()
        } else {
            format!("{}\n{text}", old.trim_end())
        };
        self.write_admin_comments(order_id, &keep_tail(&joined, ADMIN_COMMENTS_MAX))
            .await
    }
}

fn parse_order_id(s: &str) -> Result<i64, ShopError> {
    s.trim().parse::<i64>().map_err(|_| ShopError::Api {
        shop: SHOP,
        status: 0,
        code: "BAD_ORDER_ID".into(),
        message: format!("order {s}: not a BaseLinker order_id (a number)"),
    })
}

fn update_order_id(u: &OrderUpdate) -> Result<i64, ShopError> {
    parse_order_id(u.shop_id.as_deref().unwrap_or(&u.number))
}

fn map_page(raw: &[Value]) -> (Vec<Order>, Vec<String>) {
    let mut orders = Vec::new();
    let mut rejected = Vec::new();
    for (i, o) in raw.iter().enumerate() {
        match map_order(o, i) {
            Ok(order) => orders.push(order),
            Err(reason) => {
                tracing::warn!("baselinker: order rejected: {reason}");
                rejected.push(reason);
            }
        }
    }
    (orders, rejected)
}

fn digits(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_digit()).collect()
}

#[async_trait]
impl Shop for BaseLinkerShop {
    fn kind(&self) -> &'static str {
        SHOP
    }

    fn supports_pick_pack(&self) -> bool {
        true
    }

    async fn set_pick_pack_state(
        &self,
        order: &OrderUpdate,
        pick: Option<bool>,
        pack: Option<bool>,
    ) -> Result<(), ShopError> {
        let id = order.shop_id.as_deref().unwrap_or(&order.number);
        BaseLinkerShop::set_pick_pack_state(self, id, pick, pack).await
    }

    async fn fetch_orders(&self, cursor: &SyncCursor) -> Result<FetchResult, ShopError> {
        let from = cursor
            .since
            .unwrap_or_else(|| Utc::now() - self.initial_lookback)
            .timestamp()
            .max(0);
        let (raw, last) = self.get_orders_paged(from, &Map::new(), None).await?;
        let (orders, rejected) = map_page(&raw);
        let since = Utc.timestamp_opt(last, 0).single().or(cursor.since);
        Ok(FetchResult {
            orders,
            cursor: SyncCursor {
                since,
                extra: cursor.extra.clone(),
            },
            rejected,
        })
    }

    async fn statuses(&self) -> Result<Vec<ShopStatus>, ShopError> {
        let v = self.call("getOrderStatusList", json!({})).await?;
        let list = field(&v, "statuses")
            .as_array()
            .ok_or_else(|| ShopError::Decode {
                shop: SHOP,
                detail: "getOrderStatusList: field statuses missing or not a list".into(),
            })?;
        Ok(list
            .iter()
            .filter_map(|s| {
                let id = lenient_string(field(s, "id"));
                (!id.is_empty()).then(|| ShopStatus {
                    id,
                    name: text(s, "name"),
                    kind: String::new(),
                })
            })
            .collect())
    }

    async fn push_updates(&self, updates: &[OrderUpdate]) -> Result<Vec<UpdateOutcome>, ShopError> {
        let mut results: Vec<Result<(), String>> = vec![Ok(()); updates.len()];
        let mut ids: Vec<Option<i64>> = Vec::with_capacity(updates.len());
        for (i, u) in updates.iter().enumerate() {
            match update_order_id(u) {
                Ok(id) => ids.push(Some(id)),
                Err(e) => {
                    ids.push(None);
                    results[i] = Err(e.to_string());
                }
            }
        }
        // Tracking first, so a status that mails the customer can include it.
        for (i, u) in updates.iter().enumerate() {
            let (Some(id), Some(tn)) = (ids[i], u.tracking_number.as_deref()) else {
                continue;
            };
            if tn.trim().is_empty() {
                continue;
            }
            match self.push_tracking(id, tn.trim()).await {
                Ok(()) => {}
                Err(e) if e.is_transient() || matches!(e, ShopError::Auth { .. }) => {
                    return Err(e);
                }
                Err(e) => results[i] = Err(e.to_string()),
            }
        }
        // Statuses, batched per status with setOrderStatuses.
        let mut groups: Vec<(i64, Vec<usize>)> = Vec::new();
        for (i, u) in updates.iter().enumerate() {
            let (Some(_), Some(status), Ok(())) = (ids[i], u.status.as_deref(), &results[i]) else {
                continue;
            };
            let sid = match self.status_id(status).await {
                Ok(Some(sid)) => sid,
                Ok(None) => {
                    results[i] = Err(format!(
                        "order {}: status {:?} is neither a BaseLinker status id nor the name \
                         of one (getOrderStatusList)",
                        u.number,
                        sanitize(status)
                    ));
                    continue;
                }
                Err(e) => return Err(e),
            };
            match groups.iter_mut().find(|(s, _)| *s == sid) {
                Some((_, members)) => members.push(i),
                None => groups.push((sid, vec![i])),
            }
        }
        for (sid, members) in groups {
            let order_ids: Vec<i64> = members.iter().filter_map(|&i| ids[i]).collect();
            let batch = if order_ids.len() == 1 {
                self.call(
                    "setOrderStatus",
                    json!({"order_id": order_ids[0], "status_id": sid}),
                )
                .await
            } else {
                self.call(
                    "setOrderStatuses",
                    json!({"order_ids": order_ids, "status_id": sid}),
                )
                .await
            };
            match batch {
                Ok(_) => {}
                Err(e) if e.is_transient() || matches!(e, ShopError::Auth { .. }) => {
                    return Err(e);
                }
                Err(e) if members.len() == 1 => results[members[0]] = Err(e.to_string()),
                Err(_) => {
                    // Find out which orders the batch refused.
                    for &i in &members {
                        let Some(id) = ids[i] else { continue };
                        match self
                            .call("setOrderStatus", json!({"order_id": id, "status_id": sid}))
                            .await
                        {
                            Ok(_) => {}
                            Err(e) if e.is_transient() => return Err(e),
                            Err(e) => results[i] = Err(e.to_string()),
                        }
                    }
                }
            }
        }
        if updates.iter().any(|u| u.notify) {
            tracing::debug!(
                "baselinker: notify has no API flag; the panel's automatic actions decide"
            );
        }
        Ok(updates
            .iter()
            .zip(results)
            .map(|(u, result)| UpdateOutcome {
                number: u.number.clone(),
                result,
            })
            .collect())
    }

    async fn set_note(
        &self,
        order: &OrderUpdate,
        text: &str,
        mode: NoteMode,
    ) -> Result<(), ShopError> {
        let id = update_order_id(order)?;
        match mode {
            NoteMode::Overwrite => {
                let t: String = text.chars().take(ADMIN_COMMENTS_MAX).collect();
                self.write_admin_comments(id, &t).await
            }
            NoteMode::Append => self.append_admin_comments(id, text).await,
        }
    }

    /// BaseLinker has no API to write an order history entry (`getJournalList` only
    /// reads), so the entry is appended to `admin_comments` with a UTC time stamp.
    async fn add_history(&self, order: &OrderUpdate, text: &str) -> Result<(), ShopError> {
        let id = update_order_id(order)?;
        let line = format!("[{}] {text}", Utc::now().format("%Y-%m-%d %H:%M"));
        self.append_admin_comments(id, &line).await
    }

    async fn find(&self, query: &OrderQuery) -> Result<Vec<Order>, ShopError> {
        let raw = match query {
            OrderQuery::Number(n) => {
                let Ok(id) = n.trim().parse::<i64>() else {
                    return Ok(Vec::new());
                };
                self.order_raw(id).await?.into_iter().collect()
            }
            OrderQuery::Email(email) => {
                let mut extra = Map::new();
                extra.insert("filter_email".into(), json!(email.trim()));
                extra.insert("get_unconfirmed_orders".into(), json!(true));
                self.get_orders_paged(0, &extra, None).await?.0
            }
            OrderQuery::Phone { phone, from, to } => {
                let want = digits(phone);
                if want.len() < 6 {
                    return Ok(Vec::new());
                }
                let tail = &want[want.len().saturating_sub(9)..];
                let (all, _) = self
                    .get_orders_paged(from.timestamp(), &Map::new(), Some(to.timestamp()))
                    .await?;
                all.into_iter()
                    .filter(|o| {
                        let t = lenient_i64(field(o, "date_add")).unwrap_or(0);
                        t >= from.timestamp()
                            && t <= to.timestamp()
                            && digits(&lenient_string(field(o, "phone"))).ends_with(tail)
                    })
                    .collect()
            }
        };
        Ok(map_page(&raw).0)
    }

    fn quota(&self) -> Quota {
        Quota {
            remaining: None,
            limit: Some(REQUESTS_PER_MINUTE),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_order_number_is_the_shops_own_where_baselinker_has_one() {
        let n = |v: Value| order_number(&v, 6_910_995);
        assert_eq!(
            n(json!({"external_order_id": "CZ250001", "shop_order_id": 0})),
            "CZ250001"
        );
        assert_eq!(
            n(json!({"external_order_id": " 2824 ", "shop_order_id": "0"})),
            "2824"
        );
        assert_eq!(
            n(json!({"external_order_id": "", "shop_order_id": "2824"})),
            "2824"
        );
        assert_eq!(
            n(json!({"external_order_id": "0", "shop_order_id": 77})),
            "77"
        );
        // Not a plausible number to scan: the shop id, else BaseLinker's own.
        assert_eq!(
            n(json!({"external_order_id": "Allegro order 1", "shop_order_id": 5})),
            "5"
        );
        let long = "x".repeat(41);
        assert_eq!(n(json!({"external_order_id": long})), "6910995");
        assert_eq!(n(json!({"shop_order_id": -3})), "6910995");
        assert_eq!(n(json!({})), "6910995");
    }

    #[test]
    fn lenient_numbers_and_bools() {
        assert_eq!(lenient_i64(&json!("1630473")), Some(1630473));
        assert_eq!(lenient_i64(&json!(12.0)), Some(12));
        assert_eq!(lenient_i64(&json!("x")), None);
        assert_eq!(lenient_f64(&json!("2,5")), Some(2.5));
        assert!(lenient_bool(&json!("1")));
        assert!(!lenient_bool(&json!("0")));
        assert!(lenient_bool(&json!(true)));
        assert!(!lenient_bool(&Value::Null));
    }

    #[test]
    fn blocked_wait_reads_the_time() {
        let now = Utc.with_ymd_and_hms(2022, 5, 3, 17, 10, 34).single();
        let Some(now) = now else {
            panic!("bad test time");
        };
        let msg = "Query limit exceeded, token blocked until 2022-05-03 17:15:34";
        assert_eq!(blocked_wait(msg, now).as_secs(), 300);
        // Two hours ahead: taken as a zone offset (Europe/Warsaw in summer).
        let msg = "Query limit exceeded, token blocked until 2022-05-03 19:15:34";
        assert_eq!(blocked_wait(msg, now).as_secs(), 300);
        assert_eq!(blocked_wait("blocked", now).as_secs(), 60);
    }

    #[test]
    fn keeps_newest_text() {
        assert_eq!(keep_tail("abcdef", 3), "def");
        assert_eq!(keep_tail("ab", 3), "ab");
    }

    #[test]
    fn debug_hides_token() {
        let api = BaseLinkerApi::new(
            "http://127.0.0.1:1/connector.php",
            "sekret-123",
            Duration::from_secs(1),
        );
        let Ok(api) = api else {
            panic!("client not built");
        };
        assert!(!format!("{api:?}").contains("sekret-123"));
    }
}
