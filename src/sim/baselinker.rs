//! A stateful simulator of the BaseLinker API (`reference/apis.md` §3.11): one
//! `POST /connector.php` route, the `X-BLToken` header, a form body with `method` and
//! `parameters` (JSON), answers with `status: SUCCESS|ERROR` and HTTP 200, a 100/minute
//! limit that blocks the token (`ERROR_BLOCKED_TOKEN … blocked until …`), orders, statuses,
//! packages and PDF labels. Faults from [`Faults`] give 503s, latency and lost answers.
//!
//! Error codes other than `ERROR_BLOCKED_TOKEN` are not documented; the simulator uses the
//! suggested `ERROR_BAD_TOKEN`, `ERROR_UNKNOWN_METHOD`, `ERROR_ORDER_NOT_FOUND` and a few
//! more of the same style.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine as _;
use chrono::{DateTime, TimeZone, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Map, Value, json};

use super::{FaultDice, Faults, Running, serve};
use crate::domain::Order;
use crate::shop::baselinker::{PAGE_SIZE, lenient_bool, lenient_f64, lenient_i64, lenient_string};

/// Couriers the simulator offers (`getCouriersList`): code, name, tracking prefix and the
/// number of random digits after it.
const COURIERS: &[(&str, &str, &str, usize)] = &[
    ("inpost", "InPost", "6", 23),
    ("orlen", "ORLEN Paczka", "9", 17),
    ("pocztapolska", "Poczta Polska", "00", 18),
    ("dpd", "DPD", "1", 13),
    ("dhl", "DHL", "", 11),
    ("gls", "GLS", "", 11),
    ("ups", "UPS", "1Z", 16),
];

/// The `createPackage` fields every simulated courier offers (`getCourierFields`): id,
/// name, type. Real couriers differ; the client sends only these.
const COURIER_FIELDS: &[(&str, &str, &str)] = &[
    ("service", "Service", "select"),
    ("cod", "Cash on delivery", "text"),
    ("insurance", "Insurance", "text"),
    ("package_description", "Package description", "text"),
    ("delivery_point_id", "Pickup point", "text"),
];

/// Fields `setOrderFields` may change (§3.5).
const SETTABLE_FIELDS: &[&str] = &[
    "admin_comments",
    "user_comments",
    "payment_method",
    "payment_method_cod",
    "email",
    "phone",
    "user_login",
    "delivery_method",
    "delivery_price",
    "delivery_fullname",
    "delivery_company",
    "delivery_address",
    "delivery_postcode",
    "delivery_city",
    "delivery_state",
    "delivery_country_code",
    "delivery_point_id",
    "delivery_point_name",
    "delivery_point_address",
    "delivery_point_postcode",
    "delivery_point_city",
    "invoice_fullname",
    "invoice_company",
    "invoice_nip",
    "invoice_address",
    "invoice_postcode",
    "invoice_city",
    "invoice_state",
    "invoice_country_code",
    "want_invoice",
    "extra_field_1",
    "extra_field_2",
    "custom_extra_fields",
    "pick_state",
    "pack_state",
    "star",
];

#[derive(Debug)]
struct RateLimit {
    max: usize,
    window: Duration,
    block: Duration,
    recent: VecDeque<Instant>,
}

#[derive(Debug)]
struct SimState {
    orders: BTreeMap<i64, Value>,
    packages: BTreeMap<i64, Vec<Value>>,
    statuses: Vec<Value>,
    next_package_id: i64,
    next_pickup: u64,
    rate: RateLimit,
    blocked_until: Option<DateTime<Utc>>,
    rng: ChaCha8Rng,
}

#[derive(Debug)]
struct Inner {
    token: String,
    faults: Faults,
    dice: FaultDice,
    requests: AtomicU64,
    state: Mutex<SimState>,
}

impl Inner {
    fn state(&self) -> MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The BaseLinker simulator. Cheap to clone; clones share the state.
#[derive(Debug, Clone)]
pub struct BaseLinkerSim {
    inner: Arc<Inner>,
}

type MethodResult = Result<Map<String, Value>, (&'static str, String)>;

fn default_statuses() -> Vec<Value> {
    [
        (1051, "New", "#1C8752"),
        (1052, "Packing", "#E0A800"),
        (1053, "Packed", "#2A6FDB"),
        (1054, "Shipped", "#6F42C1"),
        (1055, "Cancelled", "#B00020"),
    ]
    .iter()
    .enumerate()
    .map(|(i, (id, name, color))| {
        json!({"id": id, "name": name, "name_for_customer": name, "color": color,
               "group_id": 1, "is_primary": i32::from(i == 0)})
    })
    .collect()
}

impl BaseLinkerSim {
    /// A simulator accepting `token`, with these faults; `seed` makes faults and tracking
    /// numbers reproducible. Rate limit: 100 requests per minute, then a 60 s block.
    pub fn new(token: &str, faults: Faults, seed: u64) -> BaseLinkerSim {
        BaseLinkerSim {
            inner: Arc::new(Inner {
                token: token.to_string(),
                faults,
                dice: FaultDice::new(seed),
                requests: AtomicU64::new(0),
                state: Mutex::new(SimState {
                    orders: BTreeMap::new(),
                    packages: BTreeMap::new(),
                    statuses: default_statuses(),
                    next_package_id: 77_014_696,
                    next_pickup: 1,
                    rate: RateLimit {
                        max: 100,
                        window: Duration::from_secs(60),
                        block: Duration::from_secs(60),
                        recent: VecDeque::new(),
                    },
                    blocked_until: None,
                    rng: ChaCha8Rng::seed_from_u64(seed),
                }),
            }),
        }
    }

    /// Changes the rate limit: more than `max` requests within `window` block the token
    /// for `block` (for tests; the real API allows 100 per minute).
    pub fn set_rate_limit(&self, max: usize, window: Duration, block: Duration) {
        let mut st = self.inner.state();
        st.rate = RateLimit {
            max,
            window,
            block,
            recent: VecDeque::new(),
        };
    }

    /// Loads a saved `getOrders` answer (`{"status":"SUCCESS","orders":[…]}` or a bare
    /// list). Returns how many orders were loaded; fails naming the first bad record.
    pub fn seed_orders_json(&self, page: &Value) -> Result<usize, String> {
        let list = match page {
            Value::Array(a) => a,
            Value::Object(o) => match o.get("orders") {
                Some(Value::Array(a)) => a,
                _ => return Err("getOrders answer: field orders missing or not a list".into()),
            },
            _ => return Err("getOrders answer: not an object or a list".into()),
        };
        let mut parsed = Vec::with_capacity(list.len());
        for (i, o) in list.iter().enumerate() {
            let Some(id) = lenient_i64(o.get("order_id").unwrap_or(&Value::Null)) else {
                return Err(format!(
                    "orders[{i}]: field order_id missing or not a number"
                ));
            };
            if !o.is_object() {
                return Err(format!("orders[{i}]: not an object"));
            }
            parsed.push((id, o.clone()));
        }
        let n = parsed.len();
        let mut st = self.inner.state();
        for (id, o) in parsed {
            st.orders.insert(id, o);
        }
        Ok(n)
    }

    /// Adds orders in the `getOrders` wire format; records without a numeric `order_id`
    /// are skipped with a warning.
    pub fn add_orders(&self, orders: Vec<Value>) {
        let mut st = self.inner.state();
        for o in orders {
            match lenient_i64(o.get("order_id").unwrap_or(&Value::Null)) {
                Some(id) if o.is_object() => {
                    st.orders.insert(id, o);
                }
                _ => tracing::warn!("baselinker sim: order without a numeric order_id skipped"),
            }
        }
    }

    /// The axum router with the single `/connector.php` route.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/connector.php", post(connector))
            .with_state(self.inner.clone())
    }

    /// Serves on 127.0.0.1:`port` (0 = any); `base_url` ends in `/connector.php`.
    pub async fn start(&self, port: u16) -> std::io::Result<Running> {
        serve("baselinker", self.router(), port, "/connector.php").await
    }

    /// One order as `getOrders` would return it now.
    pub fn order(&self, order_id: &str) -> Option<Value> {
        let id = order_id.trim().parse::<i64>().ok()?;
        self.inner.state().orders.get(&id).cloned()
    }

    /// The order's packages as `getOrderPackages` returns them, plus the simulator's
    /// record of what was sent (`fields`, `packages` of `createPackage`).
    pub fn packages(&self, order_id: &str) -> Vec<Value> {
        let Ok(id) = order_id.trim().parse::<i64>() else {
            return Vec::new();
        };
        self.inner
            .state()
            .packages
            .get(&id)
            .cloned()
            .unwrap_or_default()
    }

    /// Requests received so far (all of them, refused ones included).
    pub fn request_count(&self) -> u64 {
        self.inner.requests.load(Ordering::Relaxed)
    }

    /// Test hook: blocks the token for `secs` seconds as if the limit had been exceeded.
    pub fn block_token_for(&self, secs: u64) {
        let until = ceil_second(Utc::now() + chrono::Duration::seconds(secs as i64));
        self.inner.state().blocked_until = Some(until);
    }
}

fn ceil_second(t: DateTime<Utc>) -> DateTime<Utc> {
    let whole = Utc.timestamp_opt(t.timestamp(), 0).single().unwrap_or(t);
    if whole < t {
        whole + chrono::Duration::seconds(1)
    } else {
        whole
    }
}

fn error(code: &str, message: &str) -> Response {
    axum::Json(json!({"status": "ERROR", "error_code": code, "error_message": message}))
        .into_response()
}

async fn connector(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let n = inner.requests.fetch_add(1, Ordering::Relaxed) + 1;
    if !inner.faults.latency.is_zero() {
        tokio::time::sleep(inner.faults.latency).await;
    }
    if inner.faults.error_rate > 0.0 && inner.dice.roll() < inner.faults.error_rate {
        return (StatusCode::SERVICE_UNAVAILABLE, "503 Service Unavailable").into_response();
    }
    let token_ok = headers
        .get("X-BLToken")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t == inner.token);
    if !token_ok {
        return error("ERROR_BAD_TOKEN", "Invalid user token");
    }
    if let Some(until) = check_rate(&inner, n) {
        return error(
            "ERROR_BLOCKED_TOKEN",
            &format!(
                "Query limit exceeded, token blocked until {}",
                until.format("%Y-%m-%d %H:%M:%S")
            ),
        );
    }
    let Ok(Form(form)) = form else {
        return error(
            "ERROR_BAD_PARAMETERS",
            "Expected a form body with fields method and parameters",
        );
    };
    let method = form.get("method").map(String::as_str).unwrap_or("");
    let params = match form.get("parameters").map(|s| s.trim()) {
        None | Some("") => Value::Object(Map::new()),
        Some(s) => match serde_json::from_str::<Value>(s) {
            Ok(v @ Value::Object(_)) => v,
            _ => return error("ERROR_BAD_PARAMETERS", "parameters is not a JSON object"),
        },
    };
    let result = {
        let mut st = inner.state();
        dispatch(&mut st, method, &params)
    };
    if inner.faults.timeout_rate > 0.0 && inner.dice.roll() < inner.faults.timeout_rate {
        // Applied, but the answer never comes: the client times out.
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
    match result {
        Ok(mut body) => {
            let mut out = Map::new();
            out.insert("status".into(), json!("SUCCESS"));
            out.append(&mut body);
            axum::Json(Value::Object(out)).into_response()
        }
        Err((code, message)) => error(code, &message),
    }
}

/// Counts the request against the limit; returns the block end when refused.
fn check_rate(inner: &Inner, n: u64) -> Option<DateTime<Utc>> {
    let mut st = inner.state();
    let now = Utc::now();
    if let Some(until) = st.blocked_until {
        if until > now {
            return Some(until);
        }
        st.blocked_until = None;
    }
    let instant = Instant::now();
    let window = st.rate.window;
    while st
        .rate
        .recent
        .front()
        .is_some_and(|t| instant.saturating_duration_since(*t) > window)
    {
        st.rate.recent.pop_front();
    }
    st.rate.recent.push_back(instant);
    let over_quota = inner.faults.quota.is_some_and(|q| n > q);
    if st.rate.recent.len() > st.rate.max || over_quota {
        let block = chrono::Duration::from_std(st.rate.block).unwrap_or(chrono::Duration::MAX);
        let until = ceil_second(now + block);
        st.blocked_until = Some(until);
        st.rate.recent.clear();
        return Some(until);
    }
    None
}

fn param<'a>(p: &'a Value, key: &str) -> &'a Value {
    p.get(key).unwrap_or(&Value::Null)
}

fn need_i64(p: &Value, key: &str) -> Result<i64, (&'static str, String)> {
    lenient_i64(param(p, key)).ok_or_else(|| {
        (
            "ERROR_BAD_PARAMETERS",
            format!("Parameter {key} is required and must be a number"),
        )
    })
}

fn dispatch(st: &mut SimState, method: &str, p: &Value) -> MethodResult {
    match method {
        "getOrders" => get_orders(st, p),
        "getOrderStatusList" => Ok(one("statuses", Value::Array(st.statuses.clone()))),
        "setOrderStatus" => {
            let id = need_i64(p, "order_id")?;
            set_status(st, &[id], p)
        }
        "setOrderStatuses" => {
            let ids: Option<Vec<i64>> = param(p, "order_ids")
                .as_array()
                .map(|a| a.iter().filter_map(lenient_i64).collect());
            let ids = ids.filter(|v| !v.is_empty()).ok_or((
                "ERROR_BAD_PARAMETERS",
                "Parameter order_ids must be a non-empty list of numbers".to_string(),
            ))?;
            set_status(st, &ids, p)
        }
        "setOrderFields" => set_order_fields(st, p),
        "getOrderPackages" => {
            let id = need_i64(p, "order_id")?;
            order_exists(st, id)?;
            let list = st.packages.get(&id).cloned().unwrap_or_default();
            Ok(one(
                "packages",
                Value::Array(list.iter().map(public_package).collect()),
            ))
        }
        "getCouriersList" => Ok(one(
            "couriers",
            COURIERS
                .iter()
                .map(|(code, name, _, _)| json!({"code": code, "name": name}))
                .collect(),
        )),
        "getCourierAccounts" => {
            courier(p)?;
            Ok(one("accounts", json!([{"id": 1, "name": "Main account"}])))
        }
        "getCourierFields" => {
            courier(p)?;
            let fields: Vec<Value> = COURIER_FIELDS
                .iter()
                .map(|(id, name, kind)| json!({"id": id, "name": name, "type": kind, "desc": ""}))
                .collect();
            let mut m = one("multi_packages", json!(0));
            m.insert("fields".into(), Value::Array(fields));
            m.insert(
                "package_fields".into(),
                json!([{"id": "weight", "name": "Weight [kg]", "type": "text", "default": ""},
                       {"id": "length", "name": "Length [cm]", "type": "text", "default": ""},
                       {"id": "width", "name": "Width [cm]", "type": "text", "default": ""},
                       {"id": "height", "name": "Height [cm]", "type": "text", "default": ""}]),
            );
            Ok(m)
        }
        "createPackage" => create_package(st, p),
        "createPackageManual" => create_package_manual(st, p),
        "deleteCourierPackage" => delete_package(st, p),
        "getLabel" => get_label(st, p),
        "getProtocol" => {
            let pkgs = packages_for_document(st, p)?;
            let pdf = document_pdf("Handover protocol", &pkgs);
            let mut m = one("extension", json!("pdf"));
            m.insert("protocol".into(), json!(b64(&pdf)));
            Ok(m)
        }
        "getCourierDocument" => {
            let kind = lenient_string(param(p, "document_type"));
            if !matches!(kind.as_str(), "manifest" | "protocol" | "label") {
                return Err((
                    "ERROR_BAD_PARAMETERS",
                    "document_type must be manifest, protocol or label".into(),
                ));
            }
            let pkgs = packages_for_document(st, p)?;
            let pdf = document_pdf(&kind, &pkgs);
            let mut m = one("extension", json!("pdf"));
            m.insert("document".into(), json!(b64(&pdf)));
            Ok(m)
        }
        "getCourierPackagesStatusHistory" => status_history(st, p),
        "runRequestParcelPickup" => {
            let pkgs = packages_for_document(st, p)?;
            let now = Utc::now().timestamp();
            let ids: Vec<i64> = pkgs
                .iter()
                .filter_map(|p| lenient_i64(param(p, "package_id")))
                .collect();
            for list in st.packages.values_mut() {
                for pkg in list.iter_mut() {
                    if lenient_i64(param(pkg, "package_id")).is_some_and(|id| ids.contains(&id)) {
                        set_tracking(pkg, 2, now);
                    }
                }
            }
            let nr = st.next_pickup;
            st.next_pickup += 1;
            Ok(one("pickup_number", json!(format!("PU{nr:08}"))))
        }
        "" => Err((
            "ERROR_BAD_PARAMETERS",
            "Parameter method is required".into(),
        )),
        other => Err(("ERROR_UNKNOWN_METHOD", format!("Unknown method: {other}"))),
    }
}

fn one(key: &str, v: Value) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(key.to_string(), v);
    m
}

/// The courier named by `courier_code`: code, name, tracking prefix, digits.
fn courier(
    p: &Value,
) -> Result<&'static (&'static str, &'static str, &'static str, usize), (&'static str, String)> {
    let code = lenient_string(param(p, "courier_code"));
    COURIERS.iter().find(|c| c.0 == code).ok_or_else(|| {
        (
            "ERROR_COURIER_NOT_FOUND",
            format!("Courier {code:?} is not connected to this account"),
        )
    })
}

fn order_exists(st: &SimState, id: i64) -> Result<(), (&'static str, String)> {
    if st.orders.contains_key(&id) {
        Ok(())
    } else {
        Err(("ERROR_ORDER_NOT_FOUND", format!("Order {id} not found")))
    }
}

fn get_orders(st: &SimState, p: &Value) -> MethodResult {
    let order_id = lenient_i64(param(p, "order_id"));
    let confirmed_from = lenient_i64(param(p, "date_confirmed_from"));
    let date_from = lenient_i64(param(p, "date_from"));
    let id_from = lenient_i64(param(p, "id_from"));
    let status_id = lenient_i64(param(p, "status_id"));
    let email = lenient_string(param(p, "filter_email"));
    let unconfirmed = lenient_bool(param(p, "get_unconfirmed_orders"));
    let num = |o: &Value, k: &str| lenient_i64(param(o, k)).unwrap_or(0);
    let mut hits: Vec<&Value> = st
        .orders
        .iter()
        .filter(|(id, o)| {
            order_id.is_none_or(|x| x == **id)
                && confirmed_from.is_none_or(|x| num(o, "date_confirmed") >= x)
                && date_from.is_none_or(|x| num(o, "date_add") >= x)
                && id_from.is_none_or(|x| **id > x)
                && status_id.is_none_or(|x| num(o, "order_status_id") == x)
                && (email.is_empty()
                    || lenient_string(param(o, "email")).eq_ignore_ascii_case(&email))
                && (unconfirmed || o.get("confirmed").is_none_or(lenient_bool))
        })
        .map(|(_, o)| o)
        .collect();
    hits.sort_by_key(|o| (num(o, "date_confirmed"), num(o, "order_id")));
    hits.truncate(PAGE_SIZE);
    Ok(one(
        "orders",
        Value::Array(hits.into_iter().cloned().collect()),
    ))
}

fn set_status(st: &mut SimState, ids: &[i64], p: &Value) -> MethodResult {
    let sid = need_i64(p, "status_id")?;
    if !st
        .statuses
        .iter()
        .any(|s| lenient_i64(param(s, "id")) == Some(sid))
    {
        return Err(("ERROR_STATUS_NOT_FOUND", format!("Status {sid} not found")));
    }
    for id in ids {
        order_exists(st, *id)?;
    }
    let now = Utc::now().timestamp();
    for id in ids {
        if let Some(Value::Object(o)) = st.orders.get_mut(id) {
            o.insert("order_status_id".into(), json!(sid));
            o.insert("date_in_status".into(), json!(now));
        }
    }
    Ok(Map::new())
}

fn set_order_fields(st: &mut SimState, p: &Value) -> MethodResult {
    let id = need_i64(p, "order_id")?;
    order_exists(st, id)?;
    let Some(fields) = p.as_object() else {
        return Ok(Map::new());
    };
    for (k, v) in fields {
        if k == "order_id" {
            continue;
        }
        if !SETTABLE_FIELDS.contains(&k.as_str()) {
            return Err((
                "ERROR_BAD_PARAMETERS",
                format!("Field {k} cannot be changed with setOrderFields"),
            ));
        }
        if k == "admin_comments" && lenient_string(v).chars().count() > 200 {
            return Err((
                "ERROR_BAD_PARAMETERS",
                "Field admin_comments is longer than 200 characters".into(),
            ));
        }
        if (k == "pick_state" || k == "pack_state") && !matches!(lenient_i64(v), Some(0) | Some(1))
        {
            return Err(("ERROR_BAD_PARAMETERS", format!("Field {k} must be 0 or 1")));
        }
    }
    if let Some(Value::Object(o)) = st.orders.get_mut(&id) {
        for (k, v) in fields {
            if k != "order_id" {
                o.insert(k.clone(), v.clone());
            }
        }
    }
    Ok(Map::new())
}

fn set_tracking(pkg: &mut Value, status: i64, at: i64) {
    if let Value::Object(m) = pkg {
        m.insert("tracking_status".into(), json!(status));
        m.insert("tracking_status_date".into(), json!(at));
        let history = m
            .entry("history")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(h) = history {
            h.push(json!({"tracking_status_date": at,
                          "courier_status_code": format!("S{status}"),
                          "tracking_status": status}));
        }
    }
}

/// What `getOrderPackages` shows of a stored package (no simulator-only fields).
fn public_package(p: &Value) -> Value {
    let mut m = p.as_object().cloned().unwrap_or_default();
    for k in ["fields", "packages", "history", "order_id"] {
        m.remove(k);
    }
    Value::Object(m)
}

#[allow(clippy::too_many_arguments)]
fn add_package(
    st: &mut SimState,
    order_id: i64,
    courier: &str,
    number: &str,
    inner_number: &str,
    account_id: i64,
    package_type: i64,
    extra: Map<String, Value>,
) -> i64 {
    let package_id = st.next_package_id;
    st.next_package_id += 1;
    let now = Utc::now().timestamp();
    let mut pkg = json!({
        "package_id": package_id,
        "order_id": order_id,
        "courier_package_nr": number,
        "courier_inner_number": inner_number,
        "courier_code": courier,
        "courier_other_name": "",
        "account_id": account_id,
        "tracking_status_date": now,
        "tracking_delivery_days": 0,
        "tracking_status": 0,
        "package_type": package_type,
        "tracking_url": format!("https://tracking.example/{courier}/{number}"),
        "is_return": package_type == 1 || package_type == 3,
    });
    if let Value::Object(m) = &mut pkg {
        m.extend(extra);
    }
    set_tracking(&mut pkg, 1, now);
    st.packages.entry(order_id).or_default().push(pkg);
    if let Some(Value::Object(o)) = st.orders.get_mut(&order_id) {
        o.insert("delivery_package_module".into(), json!(courier));
        o.insert("delivery_package_nr".into(), json!(number));
    }
    package_id
}

fn create_package(st: &mut SimState, p: &Value) -> MethodResult {
    let order_id = need_i64(p, "order_id")?;
    order_exists(st, order_id)?;
    let &(code, _, prefix, digits) = courier(p)?;
    let packages = param(p, "packages").as_array().cloned().unwrap_or_default();
    if !packages
        .iter()
        .any(|pk| lenient_f64(param(pk, "weight")).is_some_and(|w| w > 0.0))
    {
        return Err((
            "ERROR_BAD_PARAMETERS",
            "At least one package needs a weight".into(),
        ));
    }
    let fields = param(p, "fields").as_array().cloned().unwrap_or_default();
    for f in &fields {
        let id = lenient_string(param(f, "id"));
        if id.is_empty() {
            return Err((
                "ERROR_BAD_PARAMETERS",
                "Every entry of fields needs an id and a value".into(),
            ));
        }
        if !COURIER_FIELDS.iter().any(|(known, _, _)| *known == id) {
            return Err((
                "ERROR_BAD_PARAMETERS",
                format!("Unknown field {id} for courier {code} (see getCourierFields)"),
            ));
        }
    }
    let field_value = |id: &str| {
        fields
            .iter()
            .find(|f| lenient_string(param(f, "id")) == id)
            .map(|f| lenient_string(param(f, "value")))
    };
    if let Some(cod) = field_value("cod")
        && lenient_f64(&json!(cod)).is_none_or(|c| c < 0.0)
    {
        return Err((
            "ERROR_BAD_PARAMETERS",
            format!("Field cod is not an amount: {cod}"),
        ));
    }
    // Locker couriers need a point: from the fields or the order's delivery_point_id.
    let order_point = st
        .orders
        .get(&order_id)
        .map(|o| lenient_string(param(o, "delivery_point_id")))
        .unwrap_or_default();
    let locker_service = field_value("service").is_some_and(|s| {
        let s = s.to_ascii_lowercase();
        s.contains("locker") || s.contains("paczkomat") || s.contains("point")
    });
    let point = field_value("delivery_point_id").unwrap_or(order_point);
    if (code == "inpost" || code == "orlen") && locker_service && point.trim().is_empty() {
        return Err((
            "ERROR_BAD_PARAMETERS",
            format!("Courier {code}: a pickup point (delivery_point_id) is required"),
        ));
    }
    let mut number = prefix.to_string();
    for _ in 0..digits {
        number.push(char::from(b'0' + st.rng.random_range(0..10u8)));
    }
    let inner_number = format!("{}", st.rng.random_range(10_000_000u64..99_999_999));
    let account_id = lenient_i64(param(p, "account_id")).unwrap_or(1);
    let mut extra = Map::new();
    extra.insert("fields".into(), Value::Array(fields));
    extra.insert("packages".into(), Value::Array(packages));
    let package_id = add_package(
        st,
        order_id,
        code,
        &number,
        &inner_number,
        account_id,
        0,
        extra,
    );
    let mut m = one("package_id", json!(package_id));
    m.insert("package_number".into(), json!(number));
    m.insert("courier_inner_number".into(), json!(inner_number));
    Ok(m)
}

fn create_package_manual(st: &mut SimState, p: &Value) -> MethodResult {
    let order_id = need_i64(p, "order_id")?;
    order_exists(st, order_id)?;
    let code = lenient_string(param(p, "courier_code"));
    let number = lenient_string(param(p, "package_number"));
    if code.trim().is_empty() || number.trim().is_empty() {
        return Err((
            "ERROR_BAD_PARAMETERS",
            "Parameters courier_code and package_number are required".into(),
        ));
    }
    let ret = lenient_bool(param(p, "return_shipment"));
    let mut extra = Map::new();
    extra.insert(
        "pickup_date".into(),
        json!(lenient_i64(param(p, "pickup_date")).unwrap_or(0)),
    );
    let package_id = add_package(
        st,
        order_id,
        &code,
        &number,
        "",
        0,
        if ret { 1 } else { 0 },
        extra,
    );
    let mut m = one("package_id", json!(package_id));
    m.insert("package_number".into(), json!(number));
    Ok(m)
}

/// Finds a package by `package_id` or `package_number` for this courier.
fn find_package<'a>(st: &'a SimState, p: &Value) -> Result<&'a Value, (&'static str, String)> {
    let code = lenient_string(param(p, "courier_code"));
    let id = lenient_i64(param(p, "package_id"));
    let nr = lenient_string(param(p, "package_number"));
    if id.is_none() && nr.is_empty() {
        return Err((
            "ERROR_BAD_PARAMETERS",
            "Parameter package_id or package_number is required".into(),
        ));
    }
    st.packages
        .values()
        .flatten()
        .find(|pkg| {
            lenient_string(param(pkg, "courier_code")) == code
                && match id {
                    Some(id) => lenient_i64(param(pkg, "package_id")) == Some(id),
                    None => lenient_string(param(pkg, "courier_package_nr")) == nr,
                }
        })
        .ok_or_else(|| {
            (
                "ERROR_PACKAGE_NOT_FOUND",
                format!("Package not found for courier {code}"),
            )
        })
}

fn delete_package(st: &mut SimState, p: &Value) -> MethodResult {
    let pkg_id = find_package(st, p).map(|pkg| lenient_i64(param(pkg, "package_id")))?;
    let now = Utc::now().timestamp();
    let force = lenient_bool(param(p, "force_delete"));
    for (order_id, list) in st.packages.iter_mut() {
        if let Some(pos) = list
            .iter()
            .position(|pkg| lenient_i64(param(pkg, "package_id")) == pkg_id)
        {
            let status = list
                .get(pos)
                .and_then(|pkg| lenient_i64(param(pkg, "tracking_status")))
                .unwrap_or(0);
            if status >= 2 && !force {
                return Err((
                    "ERROR_PACKAGE_SENT",
                    "The package was already handed over; use force_delete".into(),
                ));
            }
            list.remove(pos);
            let last = list.last().cloned();
            if let Some(Value::Object(o)) = st.orders.get_mut(order_id) {
                let (module, nr) = last
                    .map(|l| {
                        (
                            lenient_string(param(&l, "courier_code")),
                            lenient_string(param(&l, "courier_package_nr")),
                        )
                    })
                    .unwrap_or_default();
                o.insert("delivery_package_module".into(), json!(module));
                o.insert("delivery_package_nr".into(), json!(nr));
            }
            tracing::debug!(at = now, "baselinker sim: package deleted");
            return Ok(Map::new());
        }
    }
    Err(("ERROR_PACKAGE_NOT_FOUND", "Package not found".into()))
}

fn get_label(st: &SimState, p: &Value) -> MethodResult {
    let pkg = find_package(st, p)?;
    let pdf = label_pdf(pkg);
    let mut m = one("extension", json!("pdf"));
    m.insert("label".into(), json!(b64(&pdf)));
    Ok(m)
}

fn packages_for_document(st: &SimState, p: &Value) -> Result<Vec<Value>, (&'static str, String)> {
    let code = lenient_string(param(p, "courier_code"));
    let ids: Vec<i64> = param(p, "package_ids")
        .as_array()
        .map(|a| a.iter().filter_map(lenient_i64).collect())
        .unwrap_or_default();
    let nrs: Vec<String> = param(p, "package_numbers")
        .as_array()
        .map(|a| a.iter().map(lenient_string).collect())
        .unwrap_or_default();
    if ids.is_empty() && nrs.is_empty() {
        return Err((
            "ERROR_BAD_PARAMETERS",
            "Parameter package_ids or package_numbers is required".into(),
        ));
    }
    let found: Vec<Value> = st
        .packages
        .values()
        .flatten()
        .filter(|pkg| {
            lenient_string(param(pkg, "courier_code")) == code
                && (lenient_i64(param(pkg, "package_id")).is_some_and(|i| ids.contains(&i))
                    || nrs.contains(&lenient_string(param(pkg, "courier_package_nr"))))
        })
        .cloned()
        .collect();
    if found.len() != ids.len() + nrs.len() {
        return Err((
            "ERROR_PACKAGE_NOT_FOUND",
            format!("Some packages were not found for courier {code}"),
        ));
    }
    Ok(found)
}

fn status_history(st: &SimState, p: &Value) -> MethodResult {
    let ids: Vec<i64> = param(p, "package_ids")
        .as_array()
        .map(|a| a.iter().filter_map(lenient_i64).collect())
        .unwrap_or_default();
    if ids.is_empty() || ids.len() > 100 {
        return Err((
            "ERROR_BAD_PARAMETERS",
            "Parameter package_ids must list 1 to 100 packages".into(),
        ));
    }
    let mut out = Map::new();
    for pkg in st.packages.values().flatten() {
        let Some(id) = lenient_i64(param(pkg, "package_id")) else {
            continue;
        };
        if ids.contains(&id) {
            out.insert(
                id.to_string(),
                pkg.get("history").cloned().unwrap_or(json!([])),
            );
        }
    }
    Ok(one("packages_history", Value::Object(out)))
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// An A6 label with the courier, the tracking number and the order id as text.
fn label_pdf(pkg: &Value) -> Vec<u8> {
    let nr = lenient_string(param(pkg, "courier_package_nr"));
    let lines = vec![
        (
            18.0,
            lenient_string(param(pkg, "courier_code")).to_uppercase(),
        ),
        (14.0, nr),
        (
            10.0,
            format!("Order {}", lenient_string(param(pkg, "order_id"))),
        ),
        (8.0, "BaseLinker simulator label".to_string()),
    ];
    pdf(
        &format!("Label {}", lenient_string(param(pkg, "package_id"))),
        &lines,
    )
}

/// A document listing package numbers (protocol, manifest, merged labels).
fn document_pdf(title: &str, pkgs: &[Value]) -> Vec<u8> {
    let mut lines = vec![(16.0, title.to_string())];
    for pkg in pkgs {
        lines.push((
            11.0,
            format!(
                "{} {}",
                lenient_string(param(pkg, "courier_code")),
                lenient_string(param(pkg, "courier_package_nr"))
            ),
        ));
    }
    pdf(title, &lines)
}

fn pdf(title: &str, lines: &[(f32, String)]) -> Vec<u8> {
    use printpdf::{
        BuiltinFont, Mm, Op, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, Point, Pt,
        TextItem,
    };
    let mut ops = Vec::new();
    let mut y = 135.0;
    for (size, text) in lines {
        ops.extend([
            Op::StartTextSection,
            Op::SetFont {
                font: PdfFontHandle::Builtin(BuiltinFont::Helvetica),
                size: Pt(*size),
            },
            Op::SetTextCursor {
                pos: Point::new(Mm(8.0), Mm(y)),
            },
            Op::ShowText {
                items: vec![TextItem::Text(text.clone())],
            },
            Op::EndTextSection,
        ]);
        y -= size * 0.6 + 4.0;
    }
    let mut doc = PdfDocument::new(title);
    doc.with_pages(vec![PdfPage::new(Mm(105.0), Mm(148.0), ops)]);
    let opts = PdfSaveOptions {
        // Uncompressed, so the tracking number can be found in the bytes.
        optimize: false,
        ..PdfSaveOptions::default()
    };
    let mut warnings = Vec::new();
    doc.save(&opts, &mut warnings)
}

/// A domain order in the `getOrders` wire format (numbers sent as strings where the docs'
/// samples show strings). `order_id` is the `shop_id` or the number when numeric, else a
/// stable number derived from the order number.
pub fn demo_order_json(order: &Order) -> Value {
    let order_id = order
        .shop_id
        .as_deref()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .or_else(|| order.number.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            // FNV-1a, kept positive and below 10^9.
            let mut h: u64 = 0xcbf2_9ce4_8422_2325;
            for b in order.number.bytes() {
                h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
            }
            (h % 900_000_000) as i64 + 100_000_000
        });
    let ts = order.created_at.timestamp();
    let currency = &order.total.currency;
    let goods: i64 = order
        .lines
        .iter()
        .map(|l| {
            l.unit_price
                .as_ref()
                .map_or(0, |p| (p.minor as f64 * l.quantity.as_f64()).round() as i64)
        })
        .sum();
    let delivery_minor = (order.total.minor - goods).max(0);
    let paid_minor = if order.paid {
        order.total.minor
    } else {
        order
            .cod
            .as_ref()
            .map_or(0, |c| (order.total.minor - c.minor).max(0))
    };
    let products: Vec<Value> = order
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let qty = if l.quantity.is_whole() {
                json!(l.quantity.0 / 1000)
            } else {
                json!(l.quantity.as_f64())
            };
            json!({
                "storage": "db",
                "storage_id": 0,
                "order_product_id": order_id * 100 + i as i64 + 1,
                "product_id": l.sku,
                "variant_id": 0,
                "name": l.name,
                "attributes": "",
                "sku": l.sku,
                "ean": l.ean,
                "location": "",
                "warehouse_id": 0,
                "auction_id": "0",
                "price_brutto": l.unit_price.as_ref().map_or(0.0, |p| p.as_decimal()),
                "tax_rate": 21,
                "quantity": qty,
                "weight": l.unit_weight_kg.unwrap_or(0.0),
                "bundle_id": 0,
            })
        })
        .collect();
    // A cancelled demo order is in the simulated "Cancelled" status (1055).
    let status_id = if order.cancelled {
        1055
    } else {
        order.shop_status.trim().parse::<i64>().unwrap_or(1051)
    };
    let point = order.shipping.pickup_point.as_ref();
    let mut head = json!({
        "order_id": order_id,
        "shop_order_id": 0,
        "external_order_id": order.number,
        "order_source": "shop",
        "order_source_id": 1,
        "order_source_info": "packdesk demo",
        "order_status_id": status_id,
        "date_add": ts,
        "date_confirmed": ts,
        "date_in_status": ts,
        "confirmed": true,
        "user_login": "",
        "currency": currency,
        "payment_method": if order.cod.is_some() { "Cash on delivery" } else { "Bank transfer" },
        "payment_method_cod": if order.cod.is_some() { "1" } else { "0" },
        "payment_done": format!("{:.2}", paid_minor as f64 / 100.0),
        "user_comments": order.note.as_ref().map_or("", |n| n.text.as_str()),
        "admin_comments": "",
        "email": order.customer.email,
        "phone": order.customer.phone,
    });
    let rest = json!({
        "delivery_method_id": 0,
        "delivery_method": order.shipping.method,
        "delivery_price": delivery_minor as f64 / 100.0,
        "delivery_package_module": "",
        "delivery_package_nr": "",
        "delivery_fullname": order.customer.name,
        "delivery_company": order.customer.company,
        "delivery_address": order.customer.street,
        "delivery_postcode": order.customer.zip,
        "delivery_city": order.customer.city,
        "delivery_state": "",
        "delivery_country": "",
        "delivery_country_code": order.customer.country,
        "delivery_point_id": point.map_or("", |p| p.id.as_str()),
        "delivery_point_name": point.map_or("", |p| p.name.as_str()),
        "delivery_point_address": "",
        "delivery_point_postcode": "",
        "delivery_point_city": "",
        "invoice_fullname": order.customer.name,
        "invoice_company": order.customer.company,
        "invoice_nip": "",
        "invoice_address": order.customer.street,
        "invoice_postcode": order.customer.zip,
        "invoice_city": order.customer.city,
        "invoice_state": "",
        "invoice_country": "",
        "invoice_country_code": order.customer.country,
        "want_invoice": if order.flags.iter().any(|f| f == "invoice") { "1" } else { "0" },
        "extra_field_1": "",
        "extra_field_2": "",
        "order_page": format!("https://orders.example/{order_id}"),
        "pick_state": 0,
        "pack_state": 0,
        "products": products,
    });
    if let (Value::Object(h), Value::Object(r)) = (&mut head, rest) {
        h.extend(r);
    }
    head
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_is_a_pdf_with_the_tracking_number() {
        let pkg = json!({"package_id": 1, "order_id": 5, "courier_code": "inpost",
                         "courier_package_nr": "600000000000000000000042"});
        let bytes = label_pdf(&pkg);
        assert!(bytes.starts_with(b"%PDF"));
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("600000000000000000000042"));
    }

    #[test]
    fn create_package_checks_courier_and_fields() {
        let sim = BaseLinkerSim::new("t", Faults::default(), 1);
        sim.add_orders(vec![json!({"order_id": 5, "date_confirmed": 1})]);
        let mut st = sim.inner.state();
        let fields = dispatch(
            &mut st,
            "getCourierFields",
            &json!({"courier_code": "inpost"}),
        );
        let ids: Vec<String> = fields
            .ok()
            .and_then(|m| m.get("fields").cloned())
            .and_then(|f| f.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .map(|f| lenient_string(param(f, "id")))
            .collect();
        assert!(ids.contains(&"cod".to_string()));
        let bad = dispatch(
            &mut st,
            "createPackage",
            &json!({"order_id": 5, "courier_code": "inpost",
                    "fields": [{"id": "colour", "value": "red"}],
                    "packages": [{"weight": 1}]}),
        );
        assert!(matches!(bad, Err((_, m)) if m.contains("colour")));
        let no_weight = dispatch(
            &mut st,
            "createPackage",
            &json!({"order_id": 5, "courier_code": "inpost", "packages": [{}]}),
        );
        assert!(no_weight.is_err());
        let unknown = dispatch(&mut st, "getCourierFields", &json!({"courier_code": "x"}));
        assert!(matches!(unknown, Err(("ERROR_COURIER_NOT_FOUND", _))));
        let ok = dispatch(
            &mut st,
            "createPackage",
            &json!({"order_id": "5", "courier_code": "dpd", "packages": [{"weight": "2"}]}),
        );
        assert!(ok.is_ok());
        assert_eq!(st.packages.get(&5).map(Vec::len), Some(1));
    }

    #[test]
    fn orders_are_paged_by_date_confirmed() {
        let sim = BaseLinkerSim::new("t", Faults::default(), 1);
        sim.add_orders(
            (0..150)
                .map(|i| json!({"order_id": 1000 + i, "date_confirmed": 2000 - i}))
                .collect(),
        );
        let st = sim.inner.state();
        let page = get_orders(&st, &json!({"date_confirmed_from": 0})).unwrap_or_default();
        let orders = page
            .get("orders")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        assert_eq!(orders.len(), PAGE_SIZE);
        assert_eq!(
            orders.first().and_then(|o| o.get("order_id")),
            Some(&json!(1149))
        );
    }
}
