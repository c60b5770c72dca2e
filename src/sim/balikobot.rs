//! Stateful simulator of the Balikobot API v2 (`reference/apis.md` §1).
//!
//! Paths are `/{carrier}/{method}[/{id}]` with Basic auth (API user + key). Implemented:
//! ADD (idempotent by `eid`: a repeat answers 208 with the original package), CHECK, DROP
//! (404 unknown, 405 after ORDER), OVERVIEW, LABELS, ORDER, ORDERVIEW, PACKAGE,
//! TRACKSTATUS, SERVICES and `info/whoami`. Label and handover URLs point to the
//! simulator's own host (`/pdf/{carrier}/{token}`, no auth) and serve real PDFs that carry
//! the tracking numbers as text. Validation errors come in both documented shapes: the
//! field → code map, and `errors[]` when a package sends `return_full_errors: true`.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use base64::Engine;
use serde_json::{Map, Value, json};

use super::{FaultDice, Faults, Running};

/// One package as the simulator holds it (for exactly-once assertions in tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimPackage {
    /// The client's idempotency key (unique per carrier among stored packages).
    pub eid: String,
    /// Carrier code (`cp`, `ppl`, `dpd`, `gls`, `zasilkovna`).
    pub carrier: String,
    /// The `service_type` it was created with.
    pub service_type: String,
    /// Balikobot's own id.
    pub package_id: String,
    /// The carrier's tracking number.
    pub carrier_id: String,
    /// Handed over by ORDER.
    pub ordered: bool,
    /// The ORDER that handed it over.
    pub order_id: Option<String>,
}

/// One service of the simulated catalogue.
struct Service {
    code: &'static str,
    name: &'static str,
    /// Delivered to a pickup point: needs `branch_id` and `rec_phone`.
    branch: bool,
}

const fn svc(code: &'static str, name: &'static str, branch: bool) -> Service {
    Service { code, name, branch }
}

const CP: &[Service] = &[
    svc("DR", "DR - Balík Do ruky", false),
    svc("NP", "NP - Balík Na poštu", true),
    svc("NB", "NB - Balíkovna", true),
];
const PPL: &[Service] = &[
    svc("1", "PPL Parcel CZ Business", false),
    svc("2", "PPL Parcel Connect", false),
    svc("4", "PPL Parcel CZ Private", false),
    svc("52", "PPL Parcel Smart do boxu", true),
];
const DPD: &[Service] = &[
    svc("1", "DPD Classic", false),
    svc("2", "DPD Private", false),
    svc("3", "DPD Pickup", true),
];
const GLS: &[Service] = &[svc("1", "GLS Business", false), svc("2", "GLS Shop", true)];
const ZASILKOVNA: &[Service] = &[
    svc("VMCZ", "Zásilkovna výdejní místa CZ", true),
    svc("VMSK", "Zásilkovna výdejní místa SK", true),
    svc("VMPL", "Zásilkovna výdejní místa PL", true),
    svc("13", "Česká pošta - doručení domů", false),
    svc("106", "Kurýr CZ - doručení domů", false),
];

fn catalogue(carrier: &str) -> Option<&'static [Service]> {
    match carrier {
        "cp" => Some(CP),
        "ppl" => Some(PPL),
        "dpd" => Some(DPD),
        "gls" => Some(GLS),
        "zasilkovna" => Some(ZASILKOVNA),
        _ => None,
    }
}

/// Tracking steps a package walks through (`status_id`, Czech text).
const TRACK_HOME: &[(f64, &str)] = &[
    (-1.0, "Zásilka byla objednána."),
    (2.1, "Zásilka byla převzata od odesílatele."),
    (2.2, "Zásilka je v přepravě."),
    (1.2, "Zásilka byla doručena příjemci."),
];
const TRACK_BRANCH: &[(f64, &str)] = &[
    (-1.0, "Zásilka byla objednána."),
    (2.1, "Zásilka byla převzata od odesílatele."),
    (2.2, "Zásilka je v přepravě."),
    (2.3, "Zásilka je připravena k vyzvednutí."),
    (1.1, "Zásilka byla vyzvednuta na výdejním místě."),
];

struct Stored {
    pkg: SimPackage,
    label_token: String,
    attrs: Map<String, Value>,
    branch: bool,
    track_step: usize,
}

impl Stored {
    fn track(&self) -> &'static [(f64, &'static str)] {
        if self.branch {
            TRACK_BRANCH
        } else {
            TRACK_HOME
        }
    }
}

struct SimOrder {
    order_id: String,
    carrier: String,
    package_ids: Vec<String>,
    handover_token: String,
    labels_token: String,
}

/// A PDF to serve: one page per entry, lines of ASCII text (first line large).
struct PdfDoc {
    title: String,
    a4: bool,
    pages: Vec<Vec<String>>,
}

#[derive(Default)]
struct SimState {
    packages: Vec<Stored>,
    orders: Vec<SimOrder>,
    pdfs: HashMap<String, PdfDoc>,
    next_package: u64,
    next_order: u64,
    next_token: u64,
}

impl SimState {
    fn find(&self, carrier: &str, package_id: &str) -> Option<&Stored> {
        self.packages
            .iter()
            .find(|s| s.pkg.carrier == carrier && s.pkg.package_id == package_id)
    }

    fn add_pdf(&mut self, carrier: &str, doc: PdfDoc) -> String {
        self.next_token += 1;
        let token = format!(
            "{carrier}/eNo{:010x}",
            self.next_token.wrapping_mul(0x9E37_79B9)
        );
        self.pdfs.insert(token.clone(), doc);
        token
    }

    fn label_doc(&self, carrier: &str, ids: &[String]) -> PdfDoc {
        let pages = ids
            .iter()
            .filter_map(|id| self.find(carrier, id))
            .map(|s| {
                vec![
                    s.pkg.carrier_id.clone(),
                    format!(
                        "Carrier: {} / service {}",
                        s.pkg.carrier, s.pkg.service_type
                    ),
                    format!("Package ID: {}", s.pkg.package_id),
                    format!("EID: {}", s.pkg.eid),
                    format!("To: {}", text_of(&s.attrs, "rec_name").unwrap_or_default()),
                    format!(
                        "{} {}",
                        text_of(&s.attrs, "rec_zip").unwrap_or_default(),
                        text_of(&s.attrs, "rec_city").unwrap_or_default()
                    ),
                ]
            })
            .collect();
        PdfDoc {
            title: format!("Balikobot labels {carrier}"),
            a4: false,
            pages,
        }
    }
}

struct Inner {
    expected_auth: String,
    user: String,
    dice: FaultDice,
    faults: Mutex<Faults>,
    requests: AtomicU64,
    state: Mutex<SimState>,
}

impl Inner {
    fn state(&self) -> MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
    fn faults(&self) -> Faults {
        self.faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// The Balikobot API v2 simulator. Cheap to clone; all clones share one state.
#[derive(Clone)]
pub struct BalikobotSim {
    inner: Arc<Inner>,
}

impl fmt::Debug for BalikobotSim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BalikobotSim")
            .field("user", &self.inner.user)
            .field("key", &"<redacted>")
            .field("requests", &self.request_count())
            .finish()
    }
}

impl BalikobotSim {
    /// A simulator that accepts `Authorization: Basic base64(user:key)`; `seed` makes the
    /// fault dice reproducible.
    pub fn new(user: &str, key: &str, faults: Faults, seed: u64) -> BalikobotSim {
        let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{key}"));
        let state = SimState {
            next_package: 42_700,
            next_order: 1_200,
            ..SimState::default()
        };
        BalikobotSim {
            inner: Arc::new(Inner {
                expected_auth: format!("Basic {encoded}"),
                user: user.to_string(),
                dice: FaultDice::new(seed),
                faults: Mutex::new(faults),
                requests: AtomicU64::new(0),
                state: Mutex::new(state),
            }),
        }
    }

    /// The axum router (API paths plus `/pdf/{carrier}/{token}`).
    pub fn router(&self) -> Router {
        Router::new()
            .route("/pdf/{carrier}/{token}", get(pdf_handler))
            .route("/{carrier}/{method}", any(api2))
            .route("/{carrier}/{method}/{id}", any(api3))
            .with_state(self.inner.clone())
    }

    /// Serves the simulator on 127.0.0.1:`port` (0 = any free port).
    pub async fn start(&self, port: u16) -> std::io::Result<Running> {
        super::serve("balikobot", self.router(), port, "").await
    }

    /// All packages currently stored (dropped ones are gone), in creation order.
    pub fn packages(&self) -> Vec<SimPackage> {
        self.inner
            .state()
            .packages
            .iter()
            .map(|s| s.pkg.clone())
            .collect()
    }

    /// Hand-overs (ORDER calls that succeeded) so far: carrier, order id, package ids.
    pub fn handovers(&self) -> Vec<(String, String, Vec<String>)> {
        self.inner
            .state()
            .orders
            .iter()
            .map(|o| (o.carrier.clone(), o.order_id.clone(), o.package_ids.clone()))
            .collect()
    }

    /// API requests received so far (PDF downloads not counted).
    pub fn request_count(&self) -> u64 {
        self.inner.requests.load(Ordering::Relaxed)
    }

    /// Replaces the injected faults.
    pub fn set_faults(&self, faults: Faults) {
        *self.inner.faults.lock().unwrap_or_else(|e| e.into_inner()) = faults;
    }

    /// Moves every package's tracking status one step forward (test hook).
    pub fn advance_tracking(&self) {
        for s in self.inner.state().packages.iter_mut() {
            s.track_step = (s.track_step + 1).min(s.track().len() - 1);
        }
    }
}

async fn api2(
    State(inner): State<Arc<Inner>>,
    Path((carrier, method)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    dispatch(inner, headers, carrier, method, None, body).await
}

async fn api3(
    State(inner): State<Arc<Inner>>,
    Path((carrier, method, id)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    dispatch(inner, headers, carrier, method, Some(id), body).await
}

async fn pdf_handler(
    State(inner): State<Arc<Inner>>,
    Path((carrier, token)): Path<(String, String)>,
) -> Response {
    let latency = inner.faults().latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let bytes = {
        let state = inner.state();
        state
            .pdfs
            .get(&format!("{carrier}/{token}"))
            .map(render_pdf)
    };
    match bytes {
        Some(bytes) => (
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/pdf"),
            )],
            bytes,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such document").into_response(),
    }
}

/// How long a "timed out" answer is held back (far beyond any client timeout).
const HANG: std::time::Duration = std::time::Duration::from_secs(300);

fn reply(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

async fn dispatch(
    inner: Arc<Inner>,
    headers: HeaderMap,
    carrier: String,
    method: String,
    id: Option<String>,
    body: Bytes,
) -> Response {
    let n = inner.requests.fetch_add(1, Ordering::Relaxed) + 1;
    let faults = inner.faults();
    if !faults.latency.is_zero() {
        tokio::time::sleep(faults.latency).await;
    }
    let authorized = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == inner.expected_auth);
    if !authorized {
        return reply(StatusCode::UNAUTHORIZED, json!({"status": 401}));
    }
    if faults.quota.is_some_and(|q| n > q) {
        let mut resp = reply(
            StatusCode::TOO_MANY_REQUESTS,
            json!({"status": 429, "message": "Příliš mnoho požadavků, zkuste to později."}),
        );
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return resp;
    }
    let roll = inner.dice.roll();
    if roll < faults.error_rate {
        let message = "Technologie dopravce je momentálně nedostupná. Zopakujte dotaz později.";
        if roll < faults.error_rate / 2.0 {
            return reply(
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"status": 503, "message": message}),
            );
        }
        // The other half: HTTP 200 with 503 in the body, per package for ADD (apis.md §1.16).
        let count = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v.get("packages").and_then(Value::as_array).map(Vec::len))
            .unwrap_or(0);
        let mut answer = json!({"status": 503, "message": message});
        if method == "add" && count > 0 {
            answer["packages"] = Value::Array(vec![json!({"status": 503}); count]);
        }
        return reply(StatusCode::OK, answer);
    }
    let hang = roll < faults.error_rate + faults.timeout_rate;
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1");
    let base = format!("http://{host}/pdf");
    let answer = {
        let mut state = inner.state();
        handle(&mut state, &carrier, &method, id.as_deref(), &body, &base)
    };
    if hang {
        // Applied, but the answer never comes: the client times out (the ambiguous case).
        // Bounded so that a long-running simulator does not collect stuck connections.
        tracing::debug!(carrier, method, "balikobot sim: swallowing the answer");
        tokio::time::sleep(HANG).await;
        return StatusCode::GATEWAY_TIMEOUT.into_response();
    }
    reply(StatusCode::OK, answer)
}

fn status_only(code: u16) -> Value {
    json!({ "status": code })
}

fn handle(
    state: &mut SimState,
    carrier: &str,
    method: &str,
    id: Option<&str>,
    body: &[u8],
    base: &str,
) -> Value {
    if carrier == "info" && method == "whoami" {
        let carriers: Vec<Value> = ["cp", "ppl", "dpd", "gls", "zasilkovna"]
            .iter()
            .map(|c| json!({"slug": c, "name": c}))
            .collect();
        return json!({
            "status": 200,
            "account": {"name": "packdesk simulator", "contact_person": "", "email": "",
                        "phone": "", "url": "", "street": "", "city": "", "zip": "", "country": "CZ"},
            "live_account": false,
            "carriers": carriers
        });
    }
    let Some(services) = catalogue(carrier) else {
        return status_only(403);
    };
    let parsed: Option<Value> = if body.is_empty() {
        None
    } else {
        match serde_json::from_slice(body) {
            Ok(v) => Some(v),
            Err(_) => return status_only(406),
        }
    };
    match (method, id) {
        ("add", None) => add(state, carrier, services, parsed, base, true),
        ("check", None) => add(state, carrier, services, parsed, base, false),
        ("drop", None) => drop_packages(state, carrier, parsed),
        ("overview", None) => overview(state, carrier, base),
        ("labels", None) => labels(state, carrier, parsed, base),
        ("order", None) => order(state, carrier, parsed, base),
        ("orderview", Some(id)) => orderview(state, carrier, id, base),
        ("package", Some(id)) => match state.find(carrier, id) {
            Some(s) => {
                let mut attrs = s.attrs.clone();
                attrs.insert("package_id".into(), json!(s.pkg.package_id));
                attrs.insert("carrier_id".into(), json!(s.pkg.carrier_id));
                attrs.insert("status".into(), json!(200));
                // Which hand-over took it (UNCONFIRMED in the real API; the client reads
                // it where present to reconcile an ORDER that timed out).
                if let Some(o) = &s.pkg.order_id {
                    attrs.insert("order_id".into(), json!(o));
                }
                Value::Object(attrs)
            }
            None => status_only(404),
        },
        ("trackstatus", None) => trackstatus(state, carrier, parsed),
        ("services", None) => {
            let list: Vec<Value> = services
                .iter()
                .map(|s| {
                    // PPL answers numeric codes as numbers (apis.md §1.12).
                    let code = match (carrier, s.code.parse::<i64>()) {
                        ("ppl", Ok(n)) => json!(n),
                        _ => json!(s.code),
                    };
                    json!({"service_type": code, "name": s.name})
                })
                .collect();
            json!({"status": 200, "service_types": list})
        }
        _ => status_only(404),
    }
}

/// A field as text: non-empty string (trimmed) or a number.
fn text_of(p: &Map<String, Value>, key: &str) -> Option<String> {
    match p.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn number_of(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().replace(',', ".").parse().ok(),
        _ => None,
    }
}

/// The ids of a DROP/LABELS/ORDER body (`{"package_ids":[..]}`, strings or ints).
fn package_ids(body: &Option<Value>) -> Option<Vec<String>> {
    let list = body.as_ref()?.get("package_ids")?.as_array()?;
    let ids: Vec<String> = list
        .iter()
        .filter_map(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .collect();
    (!ids.is_empty() && ids.len() == list.len()).then_some(ids)
}

fn zip_ok(country: &str, zip: &str) -> bool {
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    match country {
        "CZ" | "SK" => zip.len() == 5 && digits(zip),
        "PL" => {
            (zip.len() == 5 && digits(zip))
                || (zip.len() == 6 && zip.as_bytes().get(2) == Some(&b'-') && {
                    let (a, b) = zip.split_at(2);
                    digits(a) && digits(&b[1..])
                })
        }
        _ => zip.len() <= 10,
    }
}

fn phone_ok(phone: &str) -> bool {
    let digits = phone.chars().filter(|c| c.is_ascii_digit()).count();
    phone
        .chars()
        .all(|c| c.is_ascii_digit() || c == '+' || c == ' ')
        && (9..=15).contains(&digits)
}

/// Validates one ADD/CHECK package: the failing fields with their codes (1.2).
fn validate(services: &[Service], p: &Map<String, Value>) -> Vec<(&'static str, u16)> {
    let mut errs = Vec::new();
    match text_of(p, "eid") {
        None => errs.push(("eid", 406)),
        Some(eid) if eid.chars().count() > 40 => errs.push(("eid", 413)),
        Some(_) => {}
    }
    let service = match text_of(p, "service_type") {
        None => {
            errs.push(("service_type", 406));
            None
        }
        Some(code) => {
            let found = services.iter().find(|s| s.code == code);
            if found.is_none() {
                errs.push(("service_type", 413));
            }
            found
        }
    };
    let branch = service.is_some_and(|s| s.branch);
    if branch && text_of(p, "branch_id").is_none() {
        errs.push(("branch_id", 406));
    }
    let mut required = vec!["rec_name", "rec_city", "rec_zip", "rec_country"];
    if !branch {
        required.insert(1, "rec_street");
    }
    for field in required {
        if text_of(p, field).is_none() {
            errs.push((field, 406));
        }
    }
    let country = text_of(p, "rec_country");
    if let Some(c) = &country
        && !(c.len() == 2 && c.chars().all(|ch| ch.is_ascii_uppercase()))
    {
        errs.push(("rec_country", 413));
    }
    if let (Some(zip), Some(c)) = (text_of(p, "rec_zip"), &country)
        && !zip_ok(c, &zip)
    {
        errs.push(("rec_zip", 413));
    }
    let phone = text_of(p, "rec_phone");
    let email = text_of(p, "rec_email");
    match &phone {
        Some(ph) if !phone_ok(ph) => errs.push(("rec_phone", 413)),
        None if branch || email.is_none() => errs.push(("rec_phone", 406)),
        _ => {}
    }
    if let Some(e) = &email
        && !e
            .split_once('@')
            .is_some_and(|(a, d)| !a.is_empty() && d.contains('.'))
    {
        errs.push(("rec_email", 413));
    }
    match p.get("weight") {
        None | Some(Value::Null) => errs.push(("weight", 406)),
        Some(w) => match number_of(w) {
            Some(kg) if kg > 0.0 && kg <= 50.0 => {}
            _ => errs.push(("weight", 413)),
        },
    }
    if let Some(v) = p.get("price")
        && !v.is_null()
        && number_of(v).is_none_or(|x| x < 0.0)
    {
        errs.push(("price", 413));
    }
    if let Some(v) = p.get("cod_price").filter(|v| !v.is_null()) {
        match number_of(v) {
            None => errs.push(("cod_price", 413)),
            Some(x) if x < 0.0 => errs.push(("cod_price", 413)),
            Some(x) if x > 0.0 => {
                match text_of(p, "cod_currency") {
                    None => errs.push(("cod_currency", 406)),
                    Some(c) if !(c.len() == 3 && c.chars().all(|ch| ch.is_ascii_uppercase())) => {
                        errs.push(("cod_currency", 413))
                    }
                    Some(_) => {}
                }
                match text_of(p, "vs") {
                    None => errs.push(("vs", 406)),
                    Some(vs) if vs.len() > 10 || !vs.chars().all(|c| c.is_ascii_digit()) => {
                        errs.push(("vs", 413))
                    }
                    Some(_) => {}
                }
            }
            Some(_) => {}
        }
    }
    errs
}

/// Czech message for the `return_full_errors` shape.
fn czech_message(field: &str, code: u16) -> String {
    match (field, code) {
        ("eid", 406) => "Nedorazilo eshop ID.".into(),
        ("rec_zip", 413) => "Nepovolené PSČ příjemce.".into(),
        ("rec_phone", 406) => "Nedorazilo telefonní číslo příjemce.".into(),
        ("rec_phone", 413) => "Nepovolené telefonní číslo příjemce.".into(),
        ("branch_id", 406) => "Nedorazilo ID pobočky.".into(),
        ("service_type", 413) => "Neznámý typ služby.".into(),
        (f, 406) => format!("Nedorazil povinný údaj {f}."),
        (f, 409) => format!("Nepovolená kombinace údaje {f}."),
        (f, _) => format!("Nepovolená hodnota údaje {f}."),
    }
}

fn error_entry(errs: &[(&'static str, u16)], full: bool) -> Value {
    if full {
        json!({"errors": errs.iter().map(|(f, c)| json!({
            "type": c.to_string(), "attribute": f, "message": czech_message(f, *c)
        })).collect::<Vec<_>>()})
    } else {
        let mut m = Map::new();
        m.insert("status".into(), json!(400));
        for (f, c) in errs {
            m.insert((*f).into(), json!(c));
        }
        Value::Object(m)
    }
}

fn carrier_id_for(carrier: &str, service: &str, n: u64) -> String {
    match carrier {
        "cp" => format!("{service}{:010}M", 1_504_100_000 + n),
        "ppl" => format!("{}", 40_000_000_000u64 + n),
        "dpd" => format!("{}", 13_800_000_000_000u64 + n),
        "zasilkovna" => format!("Z{:010}", 2_100_000_000 + n),
        _ => format!("{}", 60_000_000_000u64 + n),
    }
}

fn package_entry(s: &Stored, base: &str, status: &str) -> Value {
    json!({
        "eid": s.pkg.eid,
        "order_number": 1,
        "carrier_id": s.pkg.carrier_id,
        "package_id": s.pkg.package_id,
        "label_url": format!("{base}/{}", s.label_token),
        "status": status,
    })
}

/// ADD (`create`) or CHECK. All-or-nothing: nothing is created when a package fails.
fn add(
    state: &mut SimState,
    carrier: &str,
    services: &[Service],
    body: Option<Value>,
    base: &str,
    create: bool,
) -> Value {
    let Some(list) = body
        .as_ref()
        .and_then(|b| b.get("packages"))
        .and_then(Value::as_array)
        .filter(|l| !l.is_empty())
    else {
        return status_only(406);
    };
    let existing = |state: &SimState, p: &Map<String, Value>| {
        let eid = text_of(p, "eid")?;
        state
            .packages
            .iter()
            .position(|s| s.pkg.carrier == carrier && s.pkg.eid == eid)
    };
    let mut failed = false;
    let mut entries = Vec::with_capacity(list.len());
    for p in list {
        let Some(p) = p.as_object() else {
            failed = true;
            entries.push(json!(406));
            continue;
        };
        if create && existing(state, p).is_some() {
            entries.push(Value::Null); // filled in below
            continue;
        }
        let errs = validate(services, p);
        if errs.is_empty() {
            entries.push(json!({"status": 200}));
        } else {
            failed = true;
            let full = p.get("return_full_errors") == Some(&Value::Bool(true));
            entries.push(error_entry(&errs, full));
        }
    }
    if failed {
        return json!({"status": 400, "packages": entries});
    }
    if !create {
        return status_only(200);
    }
    let mut ids = Vec::new();
    let mut out = Vec::new();
    for p in list.iter().filter_map(Value::as_object) {
        if let Some(i) = existing(state, p) {
            let s = &state.packages[i];
            ids.push(s.pkg.package_id.clone());
            out.push(package_entry(s, base, "208"));
            continue;
        }
        let service_type = text_of(p, "service_type").unwrap_or_default();
        let branch = services.iter().any(|s| s.code == service_type && s.branch);
        state.next_package += 1;
        let n = state.next_package;
        let pkg = SimPackage {
            eid: text_of(p, "eid").unwrap_or_default(),
            carrier: carrier.to_string(),
            carrier_id: carrier_id_for(carrier, &service_type, n),
            service_type,
            package_id: n.to_string(),
            ordered: false,
            order_id: None,
        };
        let mut stored = Stored {
            pkg,
            label_token: String::new(),
            attrs: p.clone(),
            branch,
            track_step: 0,
        };
        stored.attrs.remove("return_full_errors");
        state.packages.push(stored);
        let id = n.to_string();
        let doc = state.label_doc(carrier, std::slice::from_ref(&id));
        let token = state.add_pdf(carrier, doc);
        if let Some(s) = state.packages.last_mut() {
            s.label_token = token;
            out.push(package_entry(s, base, "200"));
        }
        ids.push(id);
    }
    let doc = state.label_doc(carrier, &ids);
    let merged = state.add_pdf(carrier, doc);
    json!({"status": 200, "labels_url": format!("{base}/{merged}"), "packages": out})
}

fn drop_packages(state: &mut SimState, carrier: &str, body: Option<Value>) -> Value {
    let Some(ids) = package_ids(&body) else {
        return status_only(406);
    };
    let codes: Vec<u16> = ids
        .iter()
        .map(|id| match state.find(carrier, id) {
            None => 404,
            Some(s) if s.pkg.ordered => 405,
            Some(_) => 200,
        })
        .collect();
    if codes.iter().any(|c| *c != 200) {
        let top = if codes.contains(&405) { 405 } else { 400 };
        return json!({"status": top, "packages": codes.iter().map(|c| json!({"status": c})).collect::<Vec<_>>()});
    }
    state
        .packages
        .retain(|s| !(s.pkg.carrier == carrier && ids.contains(&s.pkg.package_id)));
    status_only(200)
}

fn overview(state: &SimState, carrier: &str, base: &str) -> Value {
    let packages: Vec<Value> = state
        .packages
        .iter()
        .filter(|s| s.pkg.carrier == carrier && !s.pkg.ordered)
        .map(|s| {
            json!({
                "eid": s.pkg.eid,
                "package_id": s.pkg.package_id,
                "carrier_id": s.pkg.carrier_id,
                "label_url": format!("{base}/{}", s.label_token),
                "order_number": 1,
                "service_type": s.pkg.service_type,
            })
        })
        .collect();
    json!({"status": 200, "packages": packages})
}

fn labels(state: &mut SimState, carrier: &str, body: Option<Value>, base: &str) -> Value {
    let Some(ids) = package_ids(&body) else {
        return status_only(406);
    };
    if ids.iter().any(|id| state.find(carrier, id).is_none()) {
        let entries: Vec<Value> = ids
            .iter()
            .map(|id| json!({"status": if state.find(carrier, id).is_some() { 200 } else { 404 }}))
            .collect();
        return json!({"status": 400, "packages": entries});
    }
    let doc = state.label_doc(carrier, &ids);
    let token = state.add_pdf(carrier, doc);
    json!({"status": 200, "labels_url": format!("{base}/{token}")})
}

fn order_json(o: &SimOrder, base: &str, status: bool) -> Value {
    let mut v = json!({
        "order_id": o.order_id,
        "handover_url": format!("{base}/{}", o.handover_token),
        "labels_url": format!("{base}/{}", o.labels_token),
        "package_ids": o.package_ids,
    });
    if status && let Some(m) = v.as_object_mut() {
        m.insert("status".into(), json!(200));
    }
    v
}

fn order(state: &mut SimState, carrier: &str, body: Option<Value>, base: &str) -> Value {
    let Some(ids) = package_ids(&body) else {
        return status_only(406);
    };
    let mut found = Vec::new();
    for id in &ids {
        match state.find(carrier, id) {
            None => return status_only(406),
            Some(s) if s.pkg.ordered => return status_only(405),
            Some(s) => found.push(format!(
                "{}  {}  {}",
                s.pkg.package_id, s.pkg.carrier_id, s.pkg.eid
            )),
        }
    }
    state.next_order += 1;
    let order_id = state.next_order.to_string();
    let mut lines = vec![
        format!("Predavaci protokol / handover protocol {order_id}"),
        format!("Carrier: {carrier}"),
        format!("Packages: {}", ids.len()),
        String::new(),
    ];
    lines.extend(found);
    let pages: Vec<Vec<String>> = lines.chunks(40).map(<[String]>::to_vec).collect();
    let handover = PdfDoc {
        title: format!("Balikobot handover {order_id}"),
        a4: true,
        pages,
    };
    let handover_token = state.add_pdf(carrier, handover);
    let doc = state.label_doc(carrier, &ids);
    let labels_token = state.add_pdf(carrier, doc);
    for s in state.packages.iter_mut() {
        if s.pkg.carrier == carrier && ids.contains(&s.pkg.package_id) {
            s.pkg.ordered = true;
            s.pkg.order_id = Some(order_id.clone());
        }
    }
    let o = SimOrder {
        order_id,
        carrier: carrier.to_string(),
        package_ids: ids,
        handover_token,
        labels_token,
    };
    let v = order_json(&o, base, true);
    state.orders.push(o);
    v
}

fn orderview(state: &SimState, carrier: &str, id: &str, base: &str) -> Value {
    match state
        .orders
        .iter()
        .find(|o| o.carrier == carrier && o.order_id == id)
    {
        // `status` may be missing here (apis.md §1.12); the simulator leaves it out.
        Some(o) => order_json(o, base, false),
        None => status_only(404),
    }
}

fn trackstatus(state: &mut SimState, carrier: &str, body: Option<Value>) -> Value {
    let Some(list) = body
        .as_ref()
        .and_then(|b| b.get("carrier_ids"))
        .and_then(Value::as_array)
        .filter(|l| !l.is_empty())
    else {
        return status_only(406);
    };
    let mut out = Vec::new();
    for v in list {
        let cid = match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let found = state
            .packages
            .iter_mut()
            .find(|s| s.pkg.carrier == carrier && s.pkg.carrier_id == cid);
        match found {
            Some(s) => {
                let steps = s.track();
                let (status_id, text) = steps[s.track_step.min(steps.len() - 1)];
                out.push(
                    json!({"carrier_id": cid, "status": 200, "status_id": status_id,
                                "status_text": text}),
                );
                // Each poll moves the parcel one step on.
                s.track_step = (s.track_step + 1).min(steps.len() - 1);
            }
            None => out.push(json!({"carrier_id": cid, "status": 404,
                                    "status_message": "Zásilka neexistuje."})),
        }
    }
    // TRACKSTATUS may leave out the top-level `status` (apis.md §1.13).
    json!({ "packages": out })
}

/// Latin-1 printable subset for the built-in PDF fonts.
fn ascii(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect()
}

fn render_pdf(doc: &PdfDoc) -> Vec<u8> {
    use printpdf::{
        BuiltinFont, Mm, Op, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, Point, Pt,
        TextItem,
    };
    let (w, h) = if doc.a4 {
        (210.0, 297.0)
    } else {
        (105.0, 148.0)
    };
    let mut pdf = PdfDocument::new(&doc.title);
    let mut pages: Vec<PdfPage> = doc
        .pages
        .iter()
        .map(|lines| {
            let mut ops = Vec::new();
            let mut y = h - 15.0;
            for (i, line) in lines.iter().enumerate() {
                let (font, size, step) = if i == 0 {
                    (BuiltinFont::HelveticaBold, 18.0, 12.0)
                } else {
                    (BuiltinFont::Helvetica, 10.0, 6.0)
                };
                ops.extend([
                    Op::StartTextSection,
                    Op::SetFont {
                        font: PdfFontHandle::Builtin(font),
                        size: Pt(size),
                    },
                    Op::SetTextCursor {
                        pos: Point::new(Mm(8.0), Mm(y)),
                    },
                    Op::ShowText {
                        items: vec![TextItem::Text(ascii(line))],
                    },
                    Op::EndTextSection,
                ]);
                y -= step;
            }
            PdfPage::new(Mm(w), Mm(h), ops)
        })
        .collect();
    if pages.is_empty() {
        pages.push(PdfPage::new(Mm(w), Mm(h), Vec::new()));
    }
    pdf.with_pages(pages);
    let mut warnings = Vec::new();
    let opts = PdfSaveOptions {
        optimize: false,
        ..PdfSaveOptions::default()
    };
    pdf.save(&opts, &mut warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkg(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn validation_codes_follow_the_reference() {
        let ok = pkg(json!({"eid": "A1", "service_type": "DR", "rec_name": "Jan",
            "rec_street": "Dlouhá 1", "rec_city": "Praha", "rec_zip": "11000",
            "rec_country": "CZ", "rec_phone": "+420777123456", "weight": 1.5}));
        assert!(validate(CP, &ok).is_empty());
        let mut bad = ok.clone();
        bad.insert("rec_zip".into(), json!("110 00"));
        assert_eq!(validate(CP, &bad), vec![("rec_zip", 413)]);
        let mut branch = ok.clone();
        branch.insert("service_type".into(), json!("NP"));
        branch.remove("rec_phone");
        branch.insert("rec_email".into(), json!("a@b.cz"));
        assert_eq!(
            validate(CP, &branch),
            vec![("branch_id", 406), ("rec_phone", 406)]
        );
        let mut cod = ok.clone();
        cod.insert("cod_price".into(), json!(250.0));
        assert_eq!(validate(CP, &cod), vec![("cod_currency", 406), ("vs", 406)]);
    }

    #[test]
    fn pdf_is_a_pdf_and_carries_the_text() {
        let doc = PdfDoc {
            title: "t".into(),
            a4: false,
            pages: vec![vec!["DR1504100001M".into(), "line".into()]],
        };
        let bytes = render_pdf(&doc);
        assert!(bytes.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("DR1504100001M"));
    }
}
