//! Upgates API v2 simulator (`reference/apis.md` §2), stateful.
//!
//! Routes under `/api/v2`: `GET /status`, `GET /orders`, `GET /orders/{n}`, `PUT /orders`,
//! `GET|POST /orders/{n}/history`, `GET /order-statuses`. Around every request:
//! HTTP Basic auth (401; 403 after 5 failures from one IP within an hour), the
//! "shop moved" 301 with `{"api_url": …}` (no `Location`), more than 3 concurrent
//! requests → 429, the hourly/daily request quota with `X-Rate-Limit-*` headers and a 429
//! whose `Retry-After` is an HTTP date, and the injected [`Faults`] (latency, 503,
//! applied-but-unanswered requests).
//!
//! Simplifications: quota windows follow UTC hours/days (Upgates uses the shop's local
//! time); the total remaining is hour + day remaining of the current hour; PUT accepts the
//! order-level fields packdesk writes (status, tracking, note, paid, resolved …), not
//! products or customer changes; `internal_note` in PUT replaces the note (apis.md: whether
//! it appends is unconfirmed).

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine;
use chrono::{DateTime, Duration as ChronoDuration, Timelike, Utc};
use serde_json::{Value, json};

use crate::domain::Order;
use crate::shop::upgates::parse_wire_date;
use crate::sim::{FaultDice, Faults, Running, serve};

/// Orders per page of `GET /orders`.
pub const PAGE_SIZE: usize = 100;
/// Items per PUT before 413.
pub const MAX_ITEMS: usize = 100;
/// Concurrent requests before 429.
pub const MAX_CONCURRENT: usize = 3;
/// Failed logins per IP and hour before 403.
pub const MAX_FAILED_LOGINS: usize = 5;

#[derive(Debug, Clone)]
struct SimOrder {
    json: Value,
    created: DateTime<Utc>,
    updated: DateTime<Utc>,
    seq: u64,
}

#[derive(Debug)]
struct SimState {
    orders: BTreeMap<String, SimOrder>,
    history: HashMap<String, Vec<Value>>,
    statuses: Vec<Value>,
    moved_to: Option<String>,
    failed_logins: HashMap<Option<IpAddr>, Vec<Instant>>,
    hour_limit: u64,
    day_limit: u64,
    quota_enforced: bool,
    hour_window: i64,
    day_window: i64,
    hour_used: u64,
    day_used: u64,
    throttled_until: Option<DateTime<Utc>>,
    puts: Vec<usize>,
    emails_sent: u64,
    next_seq: u64,
}

struct Inner {
    login: String,
    key: String,
    faults: Faults,
    dice: FaultDice,
    requests: AtomicU64,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    state: Mutex<SimState>,
}

/// The simulator's state handle: seed orders, run the server, read back what clients did.
#[derive(Clone)]
pub struct UpgatesSim {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for UpgatesSim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpgatesSim")
            .field("login", &self.inner.login)
            .field("requests", &self.request_count())
            .finish_non_exhaustive()
    }
}

fn default_statuses() -> Vec<Value> {
    let now = "2024-01-01T00:00:00+01:00";
    [
        (1, "Received", "#2196f3", "Přijatá"),
        (2, "Canceled", "#9e9e9e", "Stornovaná"),
        (3, "Custom", "#ff9800", "Vyřizuje se"),
        (4, "Sent", "#4caf50", "Odeslaná"),
        (5, "Custom", "#8bc34a", "Zabalená"),
        (6, "PaymentSuccessful", "#009688", "Zaplacená"),
    ]
    .into_iter()
    .map(|(id, ty, color, name)| {
        json!({"id": id, "type": ty, "color": color,
               "descriptions": [{"language_id": "cs", "name": name}],
               "mark_resolved_yn": ty == "Sent", "mark_paid_yn": ty == "PaymentSuccessful",
               "last_update_time": now, "creation_time": now})
    })
    .collect()
}

fn wire_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

fn lock(inner: &Inner) -> MutexGuard<'_, SimState> {
    match inner.state.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

fn error_body(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({"messages": [{"object": null, "property": null, "message": message, "level": "error"}]})),
    )
        .into_response()
}

/// `true`/`false`, `1`/`0`, `"1"`/`"0"` as Upgates accepts them.
fn yn(v: Option<&Value>) -> Option<bool> {
    match v? {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => Some(n.as_f64() != Some(0.0)),
        Value::String(s) => match s.trim() {
            "1" | "true" => Some(true),
            "0" | "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn as_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// A query date: ISO 8601 or plain `YYYY-MM-DD`.
fn query_date(s: &str) -> Option<DateTime<Utc>> {
    parse_wire_date(&Value::String(s.to_string()))
}

fn strip_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

impl UpgatesSim {
    /// A simulator accepting Basic auth `login:key`. `faults.quota = Some(n)` sets an hourly
    /// quota of `n` requests with no daily extra (otherwise the quota is large and only
    /// reported).
    pub fn new(login: &str, key: &str, faults: Faults, seed: u64) -> UpgatesSim {
        let now = Utc::now();
        let (hour_limit, day_limit, enforced) = match faults.quota {
            Some(q) => (q, 0, true),
            None => (100, 1500, false),
        };
        UpgatesSim {
            inner: Arc::new(Inner {
                login: login.to_string(),
                key: key.to_string(),
                faults,
                dice: FaultDice::new(seed),
                requests: AtomicU64::new(0),
                in_flight: AtomicUsize::new(0),
                max_in_flight: AtomicUsize::new(0),
                state: Mutex::new(SimState {
                    orders: BTreeMap::new(),
                    history: HashMap::new(),
                    statuses: default_statuses(),
                    moved_to: None,
                    failed_logins: HashMap::new(),
                    hour_limit,
                    day_limit,
                    quota_enforced: enforced,
                    hour_window: now.timestamp() / 3600,
                    day_window: now.timestamp() / 86_400,
                    hour_used: 0,
                    day_used: 0,
                    throttled_until: None,
                    puts: Vec::new(),
                    emails_sent: 0,
                    next_seq: 0,
                }),
            }),
        }
    }

    /// Loads a saved `GET /orders` page (`{"orders": [...], ...}`) as it came from a real
    /// shop, quirks included. Returns how many orders were added.
    pub fn seed_orders_json(&self, page: &Value) -> Result<usize, String> {
        let list = page
            .get("orders")
            .and_then(Value::as_array)
            .ok_or("seed page has no \"orders\" array")?;
        for (i, o) in list.iter().enumerate() {
            if as_text(o.get("order_number")).is_none() {
                return Err(format!("seed page: orders[{i}] has no order_number"));
            }
        }
        self.add_orders(list.clone());
        Ok(list.len())
    }

    /// Adds (or replaces) orders given in the wire format; objects without an
    /// `order_number` are skipped.
    pub fn add_orders(&self, orders: Vec<Value>) {
        let now = Utc::now();
        let mut st = lock(&self.inner);
        for o in orders {
            let Some(number) = as_text(o.get("order_number")) else {
                tracing::warn!("upgates sim: order without order_number skipped");
                continue;
            };
            let created = o
                .get("creation_time")
                .and_then(parse_wire_date)
                .unwrap_or(now);
            let updated = o
                .get("last_update_time")
                .and_then(parse_wire_date)
                .unwrap_or(created);
            st.next_seq += 1;
            let seq = st.next_seq;
            st.orders.insert(
                number,
                SimOrder {
                    json: o,
                    created,
                    updated,
                    seq,
                },
            );
        }
    }

    /// Changes an order the way a shop admin would (merging `changes` into it) and bumps
    /// its `last_update_time` to now.
    pub fn touch_order(&self, number: &str, changes: &Value) -> bool {
        let mut st = lock(&self.inner);
        let Some(o) = st.orders.get_mut(number) else {
            return false;
        };
        if let (Some(obj), Some(ch)) = (o.json.as_object_mut(), changes.as_object()) {
            for (k, v) in ch {
                obj.insert(k.clone(), v.clone());
            }
        }
        let now = Utc::now();
        o.updated = now;
        o.json["last_update_time"] = json!(wire_time(now));
        true
    }

    /// The routes, under `/api/v2`.
    pub fn router(&self) -> Router {
        let api = Router::new()
            .route("/status", get(status))
            .route("/orders", get(list_orders).put(put_orders))
            .route("/orders/{number}", get(one_order))
            .route("/orders/{number}/pdf", get(order_pdf))
            .route(
                "/orders/{number}/history",
                get(get_history).post(post_history),
            )
            .route("/order-statuses", get(order_statuses))
            .fallback(|| async { error_body(StatusCode::NOT_FOUND, "Wrong URL") });
        Router::new()
            .nest("/api/v2", api)
            .fallback(|| async { error_body(StatusCode::NOT_FOUND, "Wrong URL") })
            .layer(axum::middleware::from_fn_with_state(
                self.inner.clone(),
                gate,
            ))
            .with_state(self.inner.clone())
    }

    /// Serves on 127.0.0.1:`port` (0 = any); `base_url` ends in `/api/v2`. May be called
    /// more than once: every listener shares the same shop (use a second one as the
    /// target of a "shop moved" 301).
    pub async fn start(&self, port: u16) -> std::io::Result<Running> {
        serve("upgates", self.router(), port, "/api/v2").await
    }

    /// Requests received (all of them, refused ones included).
    pub fn request_count(&self) -> u64 {
        self.inner.requests.load(Ordering::Relaxed)
    }

    /// The most requests that were ever in flight at once.
    pub fn max_in_flight(&self) -> usize {
        self.inner.max_in_flight.load(Ordering::Relaxed)
    }

    /// Item counts of every PUT /orders received (413s included).
    pub fn put_sizes(&self) -> Vec<usize> {
        lock(&self.inner).puts.clone()
    }

    /// Customer e-mails the shop would have sent (status changes with `send_emails_yn`).
    pub fn emails_sent(&self) -> u64 {
        lock(&self.inner).emails_sent
    }

    /// One order as `GET /orders/{n}` would show it now.
    pub fn order(&self, number: &str) -> Option<Value> {
        lock(&self.inner).orders.get(number).map(|o| o.json.clone())
    }

    /// The history entries of an order, as `GET /orders/{n}/history` lists them.
    pub fn history(&self, number: &str) -> Vec<Value> {
        lock(&self.inner)
            .history
            .get(number)
            .cloned()
            .unwrap_or_default()
    }

    /// Number of orders held.
    pub fn order_count(&self) -> usize {
        lock(&self.inner).orders.len()
    }

    /// `Some(url)`: the shop moved; every request that arrives on another host:port than
    /// `url`'s answers 301 `{"api_url": url}`. `None`: no move.
    pub fn set_moved(&self, new_base: Option<String>) {
        lock(&self.inner).moved_to = new_base;
    }

    /// Sets the hourly and daily quota (and enforces it).
    pub fn set_quota(&self, per_hour: u64, per_day: u64) {
        let mut st = lock(&self.inner);
        st.hour_limit = per_hour;
        st.day_limit = per_day;
        st.quota_enforced = true;
    }

    /// Answers 429 (with `Retry-After` = the end of the pause as an HTTP date) until
    /// `for_how_long` from now has passed.
    pub fn throttle(&self, for_how_long: Duration) {
        let until = Utc::now() + ChronoDuration::from_std(for_how_long).unwrap_or_default();
        lock(&self.inner).throttled_until = Some(until);
    }
}

/// Decrements the in-flight counter when a request ends (or is abandoned).
struct InFlight(Arc<Inner>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

fn authority_of(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    Some(rest.split('/').next().unwrap_or(rest).to_ascii_lowercase())
}

fn basic_ok(headers: &HeaderMap, login: &str, key: &str) -> bool {
    let Some(v) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some(b64) = v
        .strip_prefix("Basic ")
        .or_else(|| v.strip_prefix("basic "))
    else {
        return false;
    };
    let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(b64.trim()) else {
        return false;
    };
    let Ok(pair) = String::from_utf8(raw) else {
        return false;
    };
    pair.split_once(':') == Some((login, key))
}

/// Everything that happens before a route: counting, concurrency, auth, move, quota,
/// faults; then the quota headers on the answer.
async fn gate(State(inner): State<Arc<Inner>>, req: Request, next: Next) -> Response {
    inner.requests.fetch_add(1, Ordering::Relaxed);
    let now_in = inner.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    let guard = InFlight(inner.clone());
    inner.max_in_flight.fetch_max(now_in, Ordering::SeqCst);
    if !inner.faults.latency.is_zero() {
        tokio::time::sleep(inner.faults.latency).await;
    }
    if now_in > MAX_CONCURRENT {
        let mut r = error_body(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many concurrent requests (at most 3)",
        );
        if let Ok(v) = HeaderValue::from_str(&http_date(Utc::now() + ChronoDuration::seconds(1))) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return r;
    }
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase);
    let now = Utc::now();
    {
        let mut st = lock(&inner);
        let hour_ago = Instant::now().checked_sub(Duration::from_secs(3600));
        let fails = st.failed_logins.entry(ip).or_default();
        fails.retain(|t| hour_ago.is_none_or(|h| *t > h));
        if fails.len() >= MAX_FAILED_LOGINS {
            return error_body(
                StatusCode::FORBIDDEN,
                "Login locked: too many failed logins",
            );
        }
        if !basic_ok(req.headers(), &inner.login, &inner.key) {
            fails.push(Instant::now());
            return error_body(StatusCode::UNAUTHORIZED, "Authentication failed");
        }
        if let Some(to) = st.moved_to.clone()
            && authority_of(&to) != host
        {
            return (StatusCode::MOVED_PERMANENTLY, Json(json!({"api_url": to}))).into_response();
        }
        if let Some(until) = st.throttled_until {
            if until > now {
                return too_many(&st, until);
            }
            st.throttled_until = None;
        }
        // Fixed windows: the hour resets at :00, the day at midnight.
        if st.hour_window != now.timestamp() / 3600 {
            st.hour_window = now.timestamp() / 3600;
            st.hour_used = 0;
        }
        if st.day_window != now.timestamp() / 86_400 {
            st.day_window = now.timestamp() / 86_400;
            st.day_used = 0;
        }
        if st.hour_used < st.hour_limit {
            st.hour_used += 1;
        } else if st.day_used < st.day_limit || !st.quota_enforced {
            st.day_used += 1;
        } else {
            let next_hour = (now + ChronoDuration::hours(1))
                .with_minute(0)
                .and_then(|t| t.with_second(0))
                .and_then(|t| t.with_nanosecond(0))
                .unwrap_or(now + ChronoDuration::hours(1));
            return too_many(&st, next_hour);
        }
    }
    let roll = inner.dice.roll();
    if roll < inner.faults.error_rate {
        let mut r = error_body(StatusCode::SERVICE_UNAVAILABLE, "Service unavailable");
        add_quota_headers(&lock(&inner), r.headers_mut());
        return r;
    }
    let hang = roll < inner.faults.error_rate + inner.faults.timeout_rate;
    let mut resp = next.run(req).await;
    add_quota_headers(&lock(&inner), resp.headers_mut());
    if hang {
        // Applied, but the answer never comes: the client times out.
        drop(guard);
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
    resp
}

fn too_many(st: &SimState, until: DateTime<Utc>) -> Response {
    // HTTP dates have whole seconds: round up so that the date is never early.
    let secs = until.timestamp() + i64::from(until.timestamp_subsec_nanos() > 0);
    let at = DateTime::from_timestamp(secs, 0).unwrap_or(until);
    let mut r = error_body(StatusCode::TOO_MANY_REQUESTS, "Request quota exceeded");
    add_quota_headers(st, r.headers_mut());
    if let Ok(v) = HeaderValue::from_str(&http_date(at)) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

fn add_quota_headers(st: &SimState, h: &mut HeaderMap) {
    let hour_rem = st.hour_limit.saturating_sub(st.hour_used);
    let day_rem = st.day_limit.saturating_sub(st.day_used);
    for (name, v) in [
        ("x-rate-limit-hour", st.hour_limit),
        ("x-rate-limit-day", st.day_limit),
        ("x-rate-limit-hour-remaining", hour_rem),
        ("x-rate-limit-day-remaining", day_rem),
        ("x-rate-limit-total-remaining", hour_rem + day_rem),
    ] {
        h.insert(name, HeaderValue::from(v));
    }
}

async fn status() -> Response {
    Json(json!({
        "services": [
            {"service": "orders", "url": "/api/v2/orders", "privilege": "all"},
            {"service": "order-statuses", "url": "/api/v2/order-statuses", "privilege": "readonly"}
        ],
        "documentation_link": "https://upgatesapiv2.docs.apiary.io/"
    }))
    .into_response()
}

async fn list_orders(
    State(inner): State<Arc<Inner>>,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let page: usize = match get("page").map(str::parse::<usize>) {
        None => 1,
        Some(Ok(p)) if p >= 1 => p,
        Some(_) => return error_body(StatusCode::BAD_REQUEST, "page: must be a number from 1"),
    };
    let mut date_filters = Vec::new();
    for key in [
        "creation_time_from",
        "creation_time_to",
        "last_update_time_from",
    ] {
        if let Some(v) = get(key) {
            match query_date(v) {
                Some(d) => date_filters.push((key, d)),
                None => {
                    return error_body(StatusCode::BAD_REQUEST, &format!("{key}: not a date"));
                }
            }
        }
    }
    let numbers: Option<Vec<&str>> = get("order_numbers").map(|s| s.split(';').collect());
    let status_ids: Option<Vec<&str>> = get("status_ids")
        .map(|s| s.split(';').collect())
        .or_else(|| get("status_id").map(|s| vec![s]));
    let st = lock(&inner);
    let mut hits: Vec<&SimOrder> = st
        .orders
        .values()
        .filter(|o| {
            let j = &o.json;
            date_filters.iter().all(|(k, d)| match *k {
                "creation_time_from" => o.created >= *d,
                "creation_time_to" => o.created <= *d,
                _ => o.updated >= *d,
            }) && numbers.as_ref().is_none_or(|ns| {
                as_text(j.get("order_number")).is_some_and(|n| ns.contains(&n.as_str()))
            }) && status_ids.as_ref().is_none_or(|ids| {
                as_text(j.get("status_id")).is_some_and(|s| ids.contains(&s.as_str()))
            }) && get("status").is_none_or(|s| as_text(j.get("status")).unwrap_or_default() == s)
                && get("email").is_none_or(|e| {
                    as_text(j.pointer("/customer/email"))
                        .is_some_and(|m| m.eq_ignore_ascii_case(e.trim()))
                })
                && get("phone").is_none_or(|p| {
                    let want = digits(p);
                    let have = as_text(j.pointer("/customer/phone"))
                        .map(|s| digits(&s))
                        .unwrap_or_default();
                    !want.is_empty() && (have == want || (want.len() >= 9 && have.ends_with(&want)))
                })
                && get("paid_yn").is_none_or(|p| {
                    let paid = !matches!(j.get("paid_date"), None | Some(Value::Null));
                    (p == "1") == paid
                })
                && get("language")
                    .is_none_or(|l| as_text(j.get("language_id")).unwrap_or_default() == l)
                && get("external_order_number").is_none_or(|x| {
                    as_text(j.get("external_order_number")).unwrap_or_default() == x
                })
        })
        .collect();
    let by_update = get("order_by") == Some("last_update_time");
    hits.sort_by_key(|o| (if by_update { o.updated } else { o.created }, o.seq));
    if get("order_dir") == Some("desc") {
        hits.reverse();
    }
    let total = hits.len();
    let pages = total.div_ceil(PAGE_SIZE);
    let items: Vec<Value> = hits
        .into_iter()
        .skip((page - 1).saturating_mul(PAGE_SIZE))
        .take(PAGE_SIZE)
        .map(|o| o.json.clone())
        .collect();
    Json(json!({
        "current_page": page,
        "current_page_items": items.len(),
        "number_of_pages": pages,
        "number_of_items": total,
        "orders": items,
    }))
    .into_response()
}

async fn one_order(State(inner): State<Arc<Inner>>, Path(number): Path<String>) -> Response {
    let st = lock(&inner);
    match st.orders.get(&number) {
        Some(o) => Json(json!({
            "current_page": 1, "current_page_items": 1, "number_of_pages": 1,
            "number_of_items": 1, "orders": [o.json.clone()]
        }))
        .into_response(),
        None => error_body(
            StatusCode::NOT_FOUND,
            &format!("Order {number} does not exist"),
        ),
    }
}

/// `GET /orders/{number}/pdf`: the order as an A4 PDF (number, customer, items, total),
/// made from the stored order like the real shop makes it from its own.
async fn order_pdf(State(inner): State<Arc<Inner>>, Path(number): Path<String>) -> Response {
    let json = lock(&inner).orders.get(&number).map(|o| o.json.clone());
    let Some(json) = json else {
        return error_body(
            StatusCode::NOT_FOUND,
            &format!("Order {number} does not exist"),
        );
    };
    let pdf = crate::shop::upgates::order_from_wire(&json)
        .map_err(|e| e.to_string())
        .and_then(|o| {
            crate::docs::order_document_pdf(&o, "Upgates simulator").map_err(|e| e.to_string())
        });
    match pdf {
        Ok(bytes) => (
            [(axum::http::header::CONTENT_TYPE, "application/pdf")],
            bytes,
        )
            .into_response(),
        Err(e) => error_body(StatusCode::INTERNAL_SERVER_ERROR, &e),
    }
}

/// The body as a JSON object, or the 400 message.
fn json_object(body: &Bytes) -> Result<serde_json::Map<String, Value>, String> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err("The body must be a JSON object".into()),
        Err(e) => Err(format!("Invalid JSON: {e}")),
    }
}

fn item_error(property: &str, message: &str) -> Value {
    json!({"object": "order", "property": property, "message": message, "level": "error"})
}

async fn put_orders(State(inner): State<Arc<Inner>>, body: Bytes) -> Response {
    let obj = match json_object(&body) {
        Ok(o) => o,
        Err(m) => return error_body(StatusCode::BAD_REQUEST, &m),
    };
    let Some(list) = obj.get("orders").and_then(Value::as_array) else {
        return error_body(StatusCode::BAD_REQUEST, "orders: missing or not a list");
    };
    let mut st = lock(&inner);
    st.puts.push(list.len());
    if list.len() > MAX_ITEMS {
        return error_body(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("At most {MAX_ITEMS} items per request, got {}", list.len()),
        );
    }
    // Defaults to true: a status change e-mails the customer unless told otherwise.
    let send_emails = yn(obj.get("send_emails_yn")).unwrap_or(true);
    let now = Utc::now();
    let mut answers = Vec::with_capacity(list.len());
    for item in list {
        let Some(number) = as_text(item.get("order_number")) else {
            answers.push(
                json!({"order_number": null, "order_url": null, "updated_yn": false,
                "messages": [item_error("order_number", "order_number is required")]}),
            );
            continue;
        };
        let order_url = format!("https://sim.admin.upgates.local/manager/orders/{number}");
        let mut messages = Vec::new();
        // Validate first: nothing is applied to an order with an invalid field.
        let new_status = if let Some(id) = item.get("status_id").filter(|v| !v.is_null()) {
            let id = as_text(Some(id)).unwrap_or_default();
            match st
                .statuses
                .iter()
                .find(|s| as_text(s.get("id")).as_deref() == Some(id.as_str()))
            {
                Some(s) => Some(s.clone()),
                None => {
                    messages.push(item_error("status_id", &format!("Unknown status {id}")));
                    None
                }
            }
        } else if let Some(name) = as_text(item.get("status")) {
            match st.statuses.iter().find(|s| {
                s.pointer("/descriptions/0/name").and_then(Value::as_str) == Some(name.as_str())
            }) {
                Some(s) => Some(s.clone()),
                None => {
                    messages.push(item_error("status", &format!("Unknown status {name}")));
                    None
                }
            }
        } else {
            None
        };
        if !st.orders.contains_key(&number) {
            messages.push(item_error(
                "order_number",
                &format!("Order {number} does not exist"),
            ));
        }
        if !messages.is_empty() {
            answers.push(json!({"order_number": number, "order_url": order_url,
                "updated_yn": false, "messages": messages}));
            continue;
        }
        let mut changes = Vec::new();
        let mut email = false;
        if let Some(o) = st.orders.get_mut(&number) {
            let j = &mut o.json;
            if let Some(s) = new_status {
                let before = as_text(j.get("status_id"));
                let id = s.get("id").cloned().unwrap_or(Value::Null);
                let name = s
                    .pointer("/descriptions/0/name")
                    .cloned()
                    .unwrap_or(Value::Null);
                if before != as_text(Some(&id)) {
                    changes
                        .push(json!({"name": "status", "before": j.get("status"), "after": name}));
                    email = send_emails;
                }
                j["status_id"] = id;
                j["status"] = name;
            }
            for field in [
                "tracking_code",
                "internal_note",
                "paid_date",
                "external_order_number",
                "variable_symbol",
            ] {
                if let Some(v) = item.get(field) {
                    if j.get(field) != Some(v) {
                        changes.push(json!({"name": field, "before": j.get(field), "after": v}));
                    }
                    j[field] = v.clone();
                }
            }
            for field in ["resolved_yn", "statistics_yn"] {
                if let Some(b) = yn(item.get(field)) {
                    j[field] = json!(b);
                }
            }
            if let Some(d) = item.get("dimensions").filter(|d| d.is_object()) {
                j["dimensions"] = d.clone();
            }
            o.updated = now;
            j["last_update_time"] = json!(wire_time(now));
        }
        if email {
            st.emails_sent += 1;
        }
        if !changes.is_empty() {
            let entry = json!({"event": "update", "user_name": inner.login, "changes": changes,
                "origin": "api", "data": [], "creation_time": wire_time(now)});
            st.history.entry(number.clone()).or_default().push(entry);
        }
        answers.push(json!({"order_number": number, "order_url": order_url,
            "updated_yn": true, "messages": []}));
    }
    Json(json!({"orders": answers})).into_response()
}

async fn get_history(State(inner): State<Arc<Inner>>, Path(number): Path<String>) -> Response {
    let st = lock(&inner);
    if !st.orders.contains_key(&number) {
        return error_body(
            StatusCode::NOT_FOUND,
            &format!("Order {number} does not exist"),
        );
    }
    let h = st.history.get(&number).cloned().unwrap_or_default();
    Json(json!({"number_of_items": h.len(), "history": h})).into_response()
}

async fn post_history(
    State(inner): State<Arc<Inner>>,
    Path(number): Path<String>,
    body: Bytes,
) -> Response {
    let obj = match json_object(&body) {
        Ok(o) => o,
        Err(m) => return error_body(StatusCode::BAD_REQUEST, &m),
    };
    let Some(data) = obj.get("data").and_then(Value::as_array) else {
        return error_body(StatusCode::BAD_REQUEST, "data: missing or not a list");
    };
    if data.len() > MAX_ITEMS {
        return error_body(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("At most {MAX_ITEMS} items per request"),
        );
    }
    let mut st = lock(&inner);
    if !st.orders.contains_key(&number) {
        return error_body(
            StatusCode::NOT_FOUND,
            &format!("Order {number} does not exist"),
        );
    }
    let mut items = Vec::new();
    let mut messages = Vec::new();
    for d in data {
        let name = strip_html(&as_text(d.get("name")).unwrap_or_default());
        let value = strip_html(&as_text(d.get("value")).unwrap_or_default());
        if name.is_empty() || name.chars().count() > 50 {
            messages.push(json!({"object": "history", "property": "name",
                "message": "name must have 1 to 50 characters", "level": "error"}));
        } else if value.chars().count() > 500 {
            messages.push(json!({"object": "history", "property": "value",
                "message": "value must have at most 500 characters", "level": "error"}));
        } else {
            items.push(json!({"name": name, "value": value}));
        }
    }
    if !messages.is_empty() {
        return Json(json!({"updated": false, "messages": messages})).into_response();
    }
    let entry = json!({"event": "api", "user_name": inner.login, "changes": [],
        "origin": "api", "data": items, "creation_time": wire_time(Utc::now())});
    st.history.entry(number).or_default().push(entry);
    Json(json!({"updated": true, "messages": []})).into_response()
}

async fn order_statuses(
    State(inner): State<Arc<Inner>>,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let st = lock(&inner);
    let ty = q.iter().find(|(k, _)| k == "type").map(|(_, v)| v.as_str());
    let list: Vec<Value> = st
        .statuses
        .iter()
        .filter(|s| ty.is_none_or(|t| s.get("type").and_then(Value::as_str) == Some(t)))
        .cloned()
        .collect();
    Json(json!({"order_statuses": list})).into_response()
}

/// A domain order in the Upgates wire format (what `GET /orders` returns), used to seed the
/// simulator for `packdesk demo`.
pub fn demo_order_json(order: &Order) -> Value {
    let (first, last) = match order.customer.name.rsplit_once(' ') {
        Some((f, l)) => (f.to_string(), l.to_string()),
        None => (String::new(), order.customer.name.clone()),
    };
    let created = wire_time(order.created_at);
    // A cancelled demo order is in the simulated shop's "Canceled" status (id 2).
    let status_id: u64 = if order.cancelled {
        2
    } else {
        order.shop_status.parse().unwrap_or(1)
    };
    let status_name = default_statuses()
        .into_iter()
        .find(|s| s.get("id").and_then(Value::as_u64) == Some(status_id))
        .and_then(|s| s.pointer("/descriptions/0/name").cloned())
        .unwrap_or(Value::Null);
    let decimal = |minor: i64| minor as f64 / 100.0;
    let products: Vec<Value> = order
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let unit = l
                .unit_price
                .as_ref()
                .map(|m| decimal(m.minor))
                .unwrap_or(0.0);
            json!({
                "product_id": i + 1, "type": "product",
                "uuid": format!("{}-{}", order.number, i + 1), "parent_uuid": null,
                "code": l.sku, "code_supplier": null, "supplier": null, "ean": l.ean,
                "title": l.name, "adult_yn": false, "unit": "ks",
                "quantity": l.quantity.as_f64(),
                "price_per_unit": unit, "price_per_unit_with_vat": unit,
                "price_per_unit_without_vat": (unit / 1.21 * 100.0).round() / 100.0,
                "price": unit * l.quantity.as_f64(),
                "price_with_vat": unit * l.quantity.as_f64(),
                "price_without_vat": (unit * l.quantity.as_f64() / 1.21 * 100.0).round() / 100.0,
                "vat": 21,
                "weight": l.unit_weight_kg.map(|kg| (kg * 1000.0).round() as i64).unwrap_or(0),
                "availability": "Skladem", "stock_position": null, "invoice_info": null,
                "parameters": [], "configurations": [], "categories": [], "image_url": null
            })
        })
        .collect();
    let total = decimal(order.total.minor);
    let weight: i64 = order
        .lines
        .iter()
        .map(|l| (l.unit_weight_kg.unwrap_or(0.0) * 1000.0 * l.quantity.as_f64()).round() as i64)
        .sum();
    let a = &order.customer;
    let ship = &order.shipping;
    let customer = json!({
        "email": a.email, "phone": a.phone, "code": null, "customer_id": null,
        "customer_pricelist_id": null, "pricelist_name": null, "pricelist_percent": null,
        "firstname_invoice": first, "surname_invoice": last,
        "street_invoice": a.street, "city_invoice": a.city, "state_invoice": "",
        "zip_invoice": a.zip, "country_id_invoice": a.country.to_ascii_lowercase(),
        "postal_yn": false, "firstname_postal": null, "surname_postal": null,
        "street_postal": null, "city_postal": null, "state_postal": null,
        "zip_postal": null, "country_id_postal": null, "company_postal": null,
        "company_yn": !a.company.is_empty(),
        "company": if a.company.is_empty() { Value::Null } else { json!(a.company) },
        "ico": null, "dic": null, "vat_payer_yn": false,
        "customer_note": order.note.as_ref().map(|n| n.text.clone()),
        "agreements": []
    });
    let shipment = json!({
        "id": null, "code": ship.method, "name": ship.method,
        "price": 0, "price_with_vat": 0, "price_without_vat": 0, "vat": 21,
        "affiliate_id": ship.pickup_point.as_ref().map(|p| p.id.clone()),
        "affiliate_name": ship.pickup_point.as_ref().map(|p| p.name.clone()),
        "type": ship.carrier,
        "packeta_carrier_id": null
    });
    let payment = json!({
        "id": null, "code": if order.cod.is_some() { "dobirka" } else { "prevod" },
        "name": if order.cod.is_some() { "Dobírka" } else { "Bankovní převod" },
        "price": 0, "price_with_vat": 0, "price_without_vat": 0, "vat": 21, "eet_yn": false,
        "type": if order.cod.is_some() { "cashOnDelivery" } else { "command" }
    });
    json!({
        "order_number": order.number,
        "order_id": order.shop_id.as_deref().and_then(|s| s.parse::<u64>().ok()),
        "case_number": null, "external_order_number": null,
        "uuid": format!("demo-{}", order.number),
        "language_id": "cs", "currency_id": order.total.currency,
        "default_currency_rate": 1.0, "prices_with_vat_yn": true,
        "status_id": status_id, "status": status_name,
        "paid_date": if order.paid { Value::String(created.clone()) } else { Value::Null },
        "tracking_code": null, "tracking_url": null,
        "statistics_yn": true, "resolved_yn": false, "oss_yn": false,
        "internal_note": null,
        "last_update_time": created, "creation_time": created,
        "variable_symbol": order.number, "dimensions": null,
        "total_weight": weight,
        "order_total": total, "order_total_before_round": total, "order_total_rest": 0,
        "invoice_number": null, "origin": "frontend",
        "admin_url": format!("https://demo.admin.upgates.local/manager/orders/{}", order.number),
        "customer": customer,
        "products": products,
        "discount_voucher": null, "quantity_discount": null, "loyalty_points": null,
        "shipment": shipment,
        "payment": payment,
        "attachments": [],
        "metas": []
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_date_format() {
        let t = DateTime::from_timestamp(1_736_157_607, 0).unwrap_or_default();
        assert_eq!(http_date(t), "Mon, 06 Jan 2025 10:00:07 GMT");
    }

    #[test]
    fn strips_html_in_history() {
        assert_eq!(strip_html("<b>Package</b> 42"), "Package 42");
    }

    #[test]
    fn authority() {
        assert_eq!(
            authority_of("http://127.0.0.1:8080/api/v2").as_deref(),
            Some("127.0.0.1:8080")
        );
    }
}
