//! Balikobot API v2 client (`reference/apis.md` §1), implementing [`Carrier`].
//!
//! - `create` = ADD with the request's `eid`; a 208 replay is success with the original
//!   package. `reconcile` looks the `eid` up in OVERVIEW (packages not yet ordered).
//! - `label` = LABELS, then the merged PDF is downloaded from `labels_url` (without the
//!   credentials: the URL is public and may be on another host).
//! - `drop_shipment` = DROP, `handover` = ORDER, `track` = TRACKSTATUS.
//! - Both error shapes (field → code map and `return_full_errors`) become
//!   [`CarrierError::Rejected`] with packer-readable English messages such as
//!   "recipient ZIP invalid".
//! - The client is lenient where the reference says UNCONFIRMED: `status` may be missing,
//!   numbers may arrive as strings and ids as numbers, HTTP and body status are both checked.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::Method;
use serde_json::{Map, Value, json};

use super::{Carrier, CarrierError, CreatedShipment, Handover, ShipmentRequest, TrackStatus};
use crate::domain::text::sanitize;

const PROVIDER: &str = "balikobot";

/// A service of a carrier (SERVICES).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceType {
    /// `service_type` code (`DR`, `NP`, `1` …), always as a string.
    pub code: String,
    /// Human-readable name as Balikobot gives it (sanitized).
    pub name: String,
}

/// A package waiting in the queue (OVERVIEW): created, not yet ordered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedPackage {
    /// The `eid` it was created with.
    pub eid: String,
    /// Package id, tracking number and label URL.
    pub shipment: CreatedShipment,
}

/// A hand-over as ORDERVIEW shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderView {
    /// Balikobot's id of the hand-over.
    pub order_id: String,
    /// The handover protocol PDF.
    pub handover_url: Option<String>,
    /// All labels of the hand-over as one PDF.
    pub labels_url: Option<String>,
    /// The packages handed over.
    pub package_ids: Vec<String>,
}

/// Balikobot API v2 client. `Debug` never shows the API key.
#[derive(Clone)]
pub struct BalikobotClient {
    http: reqwest::Client,
    base: String,
    user: String,
    key: String,
    full_errors: bool,
}

impl fmt::Debug for BalikobotClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BalikobotClient")
            .field("base", &self.base)
            .field("user", &self.user)
            .field("key", &"<redacted>")
            .field("full_errors", &self.full_errors)
            .finish()
    }
}

impl BalikobotClient {
    /// A client for `base_url` (e.g. `https://apiv2.balikobot.cz`) with Basic auth
    /// `user`:`key`; `timeout` bounds every request.
    pub fn new(
        base_url: &str,
        user: &str,
        key: &str,
        timeout: Duration,
    ) -> Result<BalikobotClient, CarrierError> {
        // reqwest is built with `rustls-no-provider`: make sure a provider is installed
        // (an error only means one is already there).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let base = base_url.trim().trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(CarrierError::Unreachable {
                provider: PROVIDER,
                url: sanitize(&base),
                reason: "the base URL must start with http:// or https://".into(),
            });
        }
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .build()
            .map_err(|e| CarrierError::Unreachable {
                provider: PROVIDER,
                url: base.clone(),
                reason: format!("cannot build the HTTP client: {}", chain(&e)),
            })?;
        Ok(BalikobotClient {
            http,
            base,
            user: user.to_string(),
            key: key.to_string(),
            full_errors: false,
        })
    }

    /// Asks ADD/CHECK for the `return_full_errors` shape (default: the field → code map).
    /// Either way the errors end up as the same English messages.
    pub fn with_full_errors(mut self, on: bool) -> BalikobotClient {
        self.full_errors = on;
        self
    }

    /// SERVICES: the carrier's service types.
    pub async fn services(&self, carrier: &str) -> Result<Vec<ServiceType>, CarrierError> {
        let path = format!("{}/services", carrier_segment(carrier)?);
        let v = self.call(Method::GET, &path, None).await?;
        ok_status(&v)?;
        match v.get("service_types") {
            Some(Value::Array(list)) => {
                list.iter()
                    .map(|s| {
                        let code = s.get("service_type").and_then(id_string).ok_or_else(|| {
                            decode(format!("{path}: a service has no service_type"))
                        })?;
                        let name = s.get("name").and_then(Value::as_str).unwrap_or_default();
                        Ok(ServiceType {
                            code: sanitize(&code),
                            name: sanitize(name),
                        })
                    })
                    .collect()
            }
            // v1 layout: a map code → name.
            Some(Value::Object(map)) => Ok(map
                .iter()
                .map(|(code, name)| ServiceType {
                    code: sanitize(code),
                    name: sanitize(name.as_str().unwrap_or_default()),
                })
                .collect()),
            _ => Err(decode(format!("{path}: no service_types in the answer"))),
        }
    }

    /// CHECK: validates the shipment data without creating anything.
    pub async fn check(&self, req: &ShipmentRequest) -> Result<(), CarrierError> {
        let path = format!("{}/check", carrier_segment(&req.carrier)?);
        let body = json!({ "packages": [self.package_json(req)] });
        let v = self.call(Method::POST, &path, Some(&body)).await?;
        ok_status(&v)
    }

    /// OVERVIEW: packages created but not yet ordered.
    pub async fn overview(&self, carrier: &str) -> Result<Vec<QueuedPackage>, CarrierError> {
        let path = format!("{}/overview", carrier_segment(carrier)?);
        let v = self.call(Method::GET, &path, None).await?;
        ok_status(&v)?;
        let Some(list) = v.get("packages") else {
            return Ok(Vec::new());
        };
        let list = package_list(list).ok_or_else(|| decode(format!("{path}: bad packages")))?;
        list.iter()
            .map(|p| {
                Ok(QueuedPackage {
                    eid: p.get("eid").and_then(id_string).unwrap_or_default(),
                    shipment: parse_shipment(p, &path)?,
                })
            })
            .collect()
    }

    /// ORDERVIEW: a hand-over made earlier (to reconcile an ORDER that timed out).
    pub async fn order_view(
        &self,
        carrier: &str,
        order_id: &str,
    ) -> Result<OrderView, CarrierError> {
        let id: String = order_id
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        let path = format!("{}/orderview/{id}", carrier_segment(carrier)?);
        let v = self.call(Method::GET, &path, None).await?;
        ok_status(&v)?;
        Ok(OrderView {
            order_id: v
                .get("order_id")
                .and_then(id_string)
                .ok_or_else(|| decode(format!("{path}: no order_id")))?,
            handover_url: url_field(&v, "handover_url"),
            labels_url: url_field(&v, "labels_url"),
            package_ids: v
                .get("package_ids")
                .and_then(Value::as_array)
                .map(|l| l.iter().filter_map(id_string).collect())
                .unwrap_or_default(),
        })
    }

    /// The ADD/CHECK package object for one request, with the field names of apis.md §1.6.
    fn package_json(&self, req: &ShipmentRequest) -> Value {
        let r = &req.recipient;
        let mut p = Map::new();
        let mut put = |k: &str, v: Value| {
            p.insert(k.to_string(), v);
        };
        put("eid", json!(req.eid));
        put("service_type", json!(req.service));
        put("real_order_id", json!(req.order_number));
        put("rec_name", json!(r.name.trim()));
        if !r.company.trim().is_empty() {
            put("rec_firm", json!(r.company.trim()));
        }
        put("rec_street", json!(r.street.trim()));
        put("rec_city", json!(r.city.trim()));
        let zip: String = r.zip.chars().filter(|c| !c.is_whitespace()).collect();
        put("rec_zip", json!(zip));
        put("rec_country", json!(r.country.trim().to_ascii_uppercase()));
        let phone: String = r.phone.chars().filter(|c| !c.is_whitespace()).collect();
        if !phone.is_empty() {
            put("rec_phone", json!(phone));
        }
        if !r.email.trim().is_empty() {
            put("rec_email", json!(r.email.trim()));
        }
        if let Some(point) = &req.pickup_point {
            put("branch_id", json!(point.id));
        }
        if let Some(cod) = &req.cod {
            put("cod_price", json!(cod.as_decimal()));
            put("cod_currency", json!(cod.currency));
            let vs = req.variable_symbol.clone().unwrap_or_else(|| {
                let digits: String = req
                    .order_number
                    .chars()
                    .filter(char::is_ascii_digit)
                    .collect();
                digits[digits.len().saturating_sub(10)..].to_string()
            });
            if !vs.is_empty() {
                put("vs", json!(vs));
            }
        }
        if let Some(value) = &req.value {
            put("price", json!(value.as_decimal()));
            put("ins_currency", json!(value.currency));
        }
        put("weight", json!(req.weight_kg));
        if let Some(note) = req.note.as_deref().filter(|n| !n.trim().is_empty()) {
            put("note", json!(note));
        }
        if self.full_errors {
            put("return_full_errors", json!(true));
        }
        Value::Object(p)
    }

    /// Sends one API request and returns the JSON body (HTTP errors already mapped).
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, CarrierError> {
        let url = format!("{}/{path}", self.base);
        let mut rb = self
            .http
            .request(method, &url)
            .basic_auth(&self.user, Some(&self.key));
        if let Some(b) = body {
            rb = rb.json(b);
        }
        let resp = rb.send().await.map_err(|e| transport(&url, &e))?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.map_err(|e| transport(&url, &e))?;
        let parsed: Option<Value> = serde_json::from_slice(&bytes).ok();
        tracing::debug!(path, status, "balikobot answered");
        if status >= 400 {
            let code = parsed.as_ref().and_then(body_status).unwrap_or(status);
            return Err(error_from_body(
                status.max(code),
                parsed.as_ref().unwrap_or(&Value::Null),
            ));
        }
        parsed.ok_or_else(|| decode(format!("{path}: the answer is not JSON (HTTP {status})")))
    }
}

#[async_trait]
impl Carrier for BalikobotClient {
    fn kind(&self) -> &'static str {
        PROVIDER
    }

    async fn create(&self, req: &ShipmentRequest) -> Result<CreatedShipment, CarrierError> {
        let path = format!("{}/add", carrier_segment(&req.carrier)?);
        let body = json!({ "packages": [self.package_json(req)] });
        let v = self.call(Method::POST, &path, Some(&body)).await?;
        ok_status(&v)?;
        let list = v
            .get("packages")
            .and_then(package_list)
            .ok_or_else(|| decode(format!("{path}: no packages in the answer")))?;
        let [entry] = list.as_slice() else {
            return Err(decode(format!(
                "{path}: sent 1 package, the answer has {}",
                list.len()
            )));
        };
        match entry.get("status").and_then(code_of).unwrap_or(200) {
            200 | 208 => {}
            code => return Err(error_from_body(code, &json!({ "packages": [entry] }))),
        }
        if let Some(eid) = entry.get("eid").and_then(id_string)
            && eid != req.eid
        {
            return Err(decode(format!(
                "{path}: answer is for eid {} instead of {}",
                sanitize(&eid),
                sanitize(&req.eid)
            )));
        }
        parse_shipment(entry, &path)
    }

    async fn reconcile(
        &self,
        req: &ShipmentRequest,
    ) -> Result<Option<CreatedShipment>, CarrierError> {
        Ok(self
            .overview(&req.carrier)
            .await?
            .into_iter()
            .find(|q| q.eid == req.eid)
            .map(|q| q.shipment))
    }

    async fn label(&self, carrier: &str, package_ids: &[String]) -> Result<Vec<u8>, CarrierError> {
        let path = format!("{}/labels", carrier_segment(carrier)?);
        let v = self
            .call(
                Method::POST,
                &path,
                Some(&json!({ "package_ids": package_ids })),
            )
            .await?;
        ok_status(&v)?;
        let url = url_field(&v, "labels_url")
            .ok_or_else(|| decode(format!("{path}: no labels_url in the answer")))?;
        // The PDF URL is public: never send the credentials there.
        let resp = self
            .http
            .get(&url)
            .send()
            .await
            .map_err(|e| transport(&url, &e))?;
        let status = resp.status().as_u16();
        if status != 200 {
            return Err(CarrierError::Api {
                provider: PROVIDER,
                status,
                message: format!(
                    "label download from {} failed (HTTP {status})",
                    sanitize(&url)
                ),
            });
        }
        let bytes = resp.bytes().await.map_err(|e| transport(&url, &e))?;
        if !bytes.starts_with(b"%PDF") {
            return Err(decode(format!(
                "the label at {} is not a PDF (the account may be set to ZPL)",
                sanitize(&url)
            )));
        }
        Ok(bytes.to_vec())
    }

    async fn drop_shipment(&self, carrier: &str, package_id: &str) -> Result<(), CarrierError> {
        let path = format!("{}/drop", carrier_segment(carrier)?);
        let v = self
            .call(
                Method::POST,
                &path,
                Some(&json!({ "package_ids": [package_id] })),
            )
            .await?;
        ok_status(&v).map_err(|e| match e {
            CarrierError::Api {
                provider,
                status: status @ (404 | 405),
                ..
            } => CarrierError::Api {
                provider,
                status,
                message: if status == 405 {
                    format!(
                        "package {} was already handed over to the carrier (ORDER done); \
                         it cannot be cancelled",
                        sanitize(package_id)
                    )
                } else {
                    format!(
                        "package {} does not exist or was already cancelled",
                        sanitize(package_id)
                    )
                },
            },
            other => other,
        })
    }

    async fn handover(
        &self,
        carrier: &str,
        package_ids: &[String],
    ) -> Result<Handover, CarrierError> {
        let path = format!("{}/order", carrier_segment(carrier)?);
        let v = self
            .call(
                Method::POST,
                &path,
                Some(&json!({ "package_ids": package_ids })),
            )
            .await?;
        ok_status(&v)?;
        Ok(Handover {
            order_id: v
                .get("order_id")
                .and_then(id_string)
                .ok_or_else(|| decode(format!("{path}: no order_id in the answer")))?,
            protocol_url: url_field(&v, "handover_url"),
            protocol: None,
        })
    }

    /// OVERVIEW first: a package still queued was not handed over (send ORDER again).
    /// When none is queued any more, the hand-over happened: its id comes from the
    /// PACKAGE record (`order_id`, where Balikobot gives it; UNCONFIRMED) and its protocol
    /// from ORDERVIEW. Without an id the hand-over is still reported, without a protocol.
    async fn reconcile_handover(
        &self,
        carrier: &str,
        package_ids: &[String],
    ) -> Result<Option<Handover>, CarrierError> {
        let queued = self.overview(carrier).await?;
        if package_ids
            .iter()
            .any(|id| queued.iter().any(|q| &q.shipment.package_id == id))
        {
            return Ok(None);
        }
        let mut order_id = None;
        for id in package_ids {
            let clean: String = id.chars().filter(char::is_ascii_alphanumeric).collect();
            let path = format!("{}/package/{clean}", carrier_segment(carrier)?);
            match self.call(Method::GET, &path, None).await {
                Ok(v) => {
                    if let Some(o) = v.get("order_id").and_then(id_string) {
                        order_id = Some(o);
                        break;
                    }
                }
                Err(e) => tracing::debug!(error = %e, "balikobot: package lookup failed"),
            }
        }
        let Some(order_id) = order_id else {
            return Ok(Some(Handover {
                order_id: String::new(),
                protocol_url: None,
                protocol: None,
            }));
        };
        let view = self.order_view(carrier, &order_id).await?;
        Ok(Some(Handover {
            order_id: view.order_id,
            protocol_url: view.handover_url,
            protocol: None,
        }))
    }

    async fn document(&self, url: &str) -> Result<Vec<u8>, CarrierError> {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(decode(format!("not a document URL: {}", sanitize(url))));
        }
        // Document URLs are public: never send the credentials there.
        let resp = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| transport(url, &e))?;
        let status = resp.status().as_u16();
        if status != 200 {
            return Err(CarrierError::Api {
                provider: PROVIDER,
                status,
                message: format!("download of {} failed (HTTP {status})", sanitize(url)),
            });
        }
        let bytes = resp.bytes().await.map_err(|e| transport(url, &e))?;
        if !bytes.starts_with(b"%PDF") {
            return Err(decode(format!("{} is not a PDF", sanitize(url))));
        }
        Ok(bytes.to_vec())
    }

    /// TRACKSTATUS. Balikobot tracks by the carrier's tracking number (`carrier_id`), so
    /// the ids given here must be tracking numbers (`CreatedShipment::tracking_number`);
    /// each result's `package_id` is that tracking number.
    async fn track(
        &self,
        carrier: &str,
        package_ids: &[String],
    ) -> Result<Vec<TrackStatus>, CarrierError> {
        let path = format!("{}/trackstatus", carrier_segment(carrier)?);
        let v = self
            .call(
                Method::POST,
                &path,
                Some(&json!({ "carrier_ids": package_ids })),
            )
            .await?;
        ok_status(&v)?;
        let list = v
            .get("packages")
            .and_then(package_list)
            .ok_or_else(|| decode(format!("{path}: no packages in the answer")))?;
        if list.len() != package_ids.len() {
            return Err(decode(format!(
                "{path}: asked for {} packages, the answer has {}",
                package_ids.len(),
                list.len()
            )));
        }
        Ok(list
            .iter()
            .zip(package_ids)
            .map(|(p, asked)| {
                let code = p.get("status").and_then(code_of).unwrap_or(200);
                if code != 200 {
                    return TrackStatus {
                        package_id: sanitize(asked),
                        status_id: String::new(),
                        text: format!("no tracking data: {}", status_meaning(code)),
                    };
                }
                TrackStatus {
                    package_id: sanitize(asked),
                    status_id: p.get("status_id").map(status_id_string).unwrap_or_default(),
                    text: sanitize(
                        p.get("status_text")
                            .and_then(Value::as_str)
                            .unwrap_or_default(),
                    ),
                }
            })
            .collect())
    }
}

fn decode(detail: String) -> CarrierError {
    CarrierError::Decode {
        provider: PROVIDER,
        detail,
    }
}

/// The error and its sources as one line (reqwest hides the interesting part in sources).
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        out.push_str(": ");
        out.push_str(&s.to_string());
        src = s.source();
    }
    out
}

/// Transport failures: nothing sent (connect) is `Unreachable`; anything after the request
/// went out (timeout, reset, broken body) is `Ambiguous`.
fn transport(url: &str, e: &reqwest::Error) -> CarrierError {
    if e.is_connect() || e.is_builder() {
        CarrierError::Unreachable {
            provider: PROVIDER,
            url: url.to_string(),
            reason: chain(e),
        }
    } else {
        CarrierError::Ambiguous {
            provider: PROVIDER,
            reason: chain(e),
        }
    }
}

/// The carrier code as a path segment (lowercase letters and digits only).
fn carrier_segment(carrier: &str) -> Result<String, CarrierError> {
    let c = carrier.trim().to_ascii_lowercase();
    if c.is_empty() || !c.chars().all(|ch| ch.is_ascii_alphanumeric()) {
        return Err(CarrierError::Rejected {
            provider: PROVIDER,
            fields: vec![format!("carrier code '{}' invalid", sanitize(carrier))],
        });
    }
    Ok(c)
}

/// A status code given as a number or a numeric string.
fn code_of(v: &Value) -> Option<u16> {
    match v {
        Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn body_status(v: &Value) -> Option<u16> {
    v.get("status").and_then(code_of)
}

/// An opaque id given as a string or a number.
fn id_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn url_field(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
        .map(str::to_string)
}

/// `packages` as a list; the v1 layout (index keys in an object) is accepted too.
fn package_list(v: &Value) -> Option<Vec<Value>> {
    match v {
        Value::Array(l) => Some(l.clone()),
        Value::Object(m) => {
            let mut entries: Vec<(usize, Value)> = m
                .iter()
                .filter_map(|(k, v)| Some((k.parse().ok()?, v.clone())))
                .collect();
            entries.sort_by_key(|(i, _)| *i);
            Some(entries.into_iter().map(|(_, v)| v).collect())
        }
        _ => None,
    }
}

/// `status_id` (a float such as `1.2` or `-1`) as text.
fn status_id_string(v: &Value) -> String {
    match v {
        Value::Number(n) => match n.as_f64() {
            Some(x) if x.fract() == 0.0 => format!("{}", x as i64),
            Some(x) => format!("{x}"),
            None => n.to_string(),
        },
        Value::String(s) => sanitize(s.trim()),
        _ => String::new(),
    }
}

fn parse_shipment(p: &Value, path: &str) -> Result<CreatedShipment, CarrierError> {
    Ok(CreatedShipment {
        package_id: p
            .get("package_id")
            .and_then(id_string)
            .map(|s| sanitize(&s))
            .ok_or_else(|| decode(format!("{path}: a package has no package_id")))?,
        // May be empty for some carriers until ORDER.
        tracking_number: p
            .get("carrier_id")
            .and_then(id_string)
            .map(|s| sanitize(&s))
            .unwrap_or_default(),
        label_url: url_field(p, "label_url"),
    })
}

/// Top-level body `status`: missing, 200 and 208 are fine; anything else is an error.
fn ok_status(v: &Value) -> Result<(), CarrierError> {
    match body_status(v) {
        None | Some(200) | Some(208) => Ok(()),
        Some(code) => Err(error_from_body(code, v)),
    }
}

/// English meaning of a status code (apis.md §1.2).
fn status_meaning(code: u16) -> String {
    let text = match code {
        400 => "the operation failed",
        401 => "credentials refused",
        403 => "the carrier is not activated for these API keys",
        404 => "the package does not exist or was already processed",
        405 => "the package was already handed over (ORDER done)",
        406 => "no data arrived or they cannot be accepted",
        409 => "carrier configuration incomplete or conflicting data",
        413 => "bad data format",
        416 => "date not allowed",
        423 => "works only with live API keys",
        429 => "too many requests, retry later",
        426 | 503 => "the carrier is unavailable, retry later",
        500 => "unrecognised error at Balikobot",
        501 => "the carrier is not supported yet",
        _ => "unexpected status",
    };
    format!("{text} ({code})")
}

/// Packer-readable name of an ADD field.
fn field_label(field: &str) -> String {
    let known = match field {
        "eid" => "shipment id (eid)",
        "service_type" => "carrier service",
        "branch_id" => "pickup point",
        "rec_name" => "recipient name",
        "rec_firm" => "recipient company",
        "rec_street" => "recipient street",
        "rec_city" => "recipient city",
        "rec_zip" => "recipient ZIP",
        "rec_country" => "recipient country",
        "rec_phone" => "recipient phone",
        "rec_email" => "recipient email",
        "price" => "declared value",
        "cod_price" => "COD amount",
        "cod_currency" => "COD currency",
        "vs" => "variable symbol",
        "weight" => "weight",
        "order_number" => "parcel number",
        "delivery_date" => "delivery date",
        "service_range" => "carrier number range",
        "config_data" => "carrier configuration",
        "credit_card" => "credit card",
        _ => "",
    };
    if known.is_empty() {
        sanitize(field).replace('_', " ")
    } else {
        known.to_string()
    }
}

fn field_message(field: &str, code: u16) -> String {
    let what = match code {
        406 => "missing".to_string(),
        409 => "not allowed in this combination".to_string(),
        413 => "invalid".to_string(),
        416 => "date not allowed".to_string(),
        other => format!("refused (code {other})"),
    };
    format!("{} {what}", field_label(field))
}

/// Field errors of one package entry, in either documented shape.
fn entry_fields(entry: &Value) -> Vec<String> {
    let Some(map) = entry.as_object() else {
        return Vec::new();
    };
    if let Some(errors) = map.get("errors").and_then(Value::as_array) {
        return errors
            .iter()
            .map(|e| {
                let field = e.get("attribute").and_then(Value::as_str).unwrap_or("");
                let code = e.get("type").and_then(code_of).unwrap_or(413);
                if field.is_empty() {
                    let msg = e.get("message").and_then(Value::as_str).unwrap_or_default();
                    format!("{}: {}", status_meaning(code), sanitize(msg))
                } else {
                    field_message(field, code)
                }
            })
            .collect();
    }
    map.iter()
        .filter(|(k, _)| k.as_str() != "status")
        .filter_map(|(k, v)| {
            let code = match v {
                Value::String(s) if code_of(v).is_none() => {
                    // Seen: "eid":"Missing".
                    if s.to_ascii_lowercase().contains("missing") {
                        406
                    } else {
                        413
                    }
                }
                _ => code_of(v)?,
            };
            (code >= 400).then(|| field_message(k, code))
        })
        .collect()
}

/// Maps an error body (status `code`) to a `CarrierError`: field errors become
/// `Rejected` with readable messages, everything else `Auth`/`Api`.
fn error_from_body(code: u16, v: &Value) -> CarrierError {
    if code == 401 {
        return CarrierError::Auth {
            provider: PROVIDER,
            status: 401,
        };
    }
    let entries = v.get("packages").and_then(package_list).unwrap_or_default();
    let many = entries.len() > 1;
    let mut fields = Vec::new();
    let mut any_field = false;
    let mut entry_code = None;
    for (i, entry) in entries.iter().enumerate() {
        let prefix = if many {
            format!("package {}: ", i + 1)
        } else {
            String::new()
        };
        let found = entry_fields(entry);
        if found.is_empty() {
            // A bare code or a status-only entry.
            let c = match entry {
                Value::Object(m) => m.get("status").and_then(code_of),
                other => code_of(other),
            };
            if let Some(c) = c.filter(|c| *c >= 400) {
                entry_code.get_or_insert(c);
                fields.push(format!("{prefix}{}", status_meaning(c)));
            }
        } else {
            any_field = true;
            fields.extend(found.into_iter().map(|f| format!("{prefix}{f}")));
        }
    }
    if any_field {
        return CarrierError::Rejected {
            provider: PROVIDER,
            fields,
        };
    }
    let status = entry_code.unwrap_or(code);
    let mut message = status_meaning(status);
    if let Some(m) = v.get("message").and_then(Value::as_str) {
        message = format!("{message}: {}", sanitize(m));
    }
    CarrierError::Api {
        provider: PROVIDER,
        status,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Address, Money, PickupPoint};

    fn fixture(name: &str) -> Value {
        let path = format!(
            "{}/tests/fixtures/balikobot/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    fn rejected(e: CarrierError) -> Vec<String> {
        match e {
            CarrierError::Rejected { fields, .. } => fields,
            other => vec![format!("not rejected: {other}")],
        }
    }

    #[test]
    fn code_map_shape_from_the_reference() {
        let v = fixture("error_code_map.json");
        assert_eq!(
            rejected(error_from_body(400, &v)),
            vec![
                "package 1: shipment id (eid) missing",
                "package 1: recipient name missing",
                "package 2: recipient ZIP invalid",
                "package 3: no data arrived or they cannot be accepted (406)",
            ]
        );
    }

    #[test]
    fn full_errors_shape_from_the_reference() {
        let v = fixture("error_full.json");
        assert_eq!(
            rejected(error_from_body(400, &v)),
            vec!["recipient ZIP invalid", "shipment id (eid) missing"]
        );
    }

    #[test]
    fn add_answer_with_numeric_ids_parses() {
        let v = fixture("add_numeric_ids.json");
        let list = v.get("packages").and_then(package_list).unwrap_or_default();
        let first = list.first().cloned().unwrap_or(Value::Null);
        let s = parse_shipment(&first, "cp/add").map_err(|e| e.to_string());
        assert_eq!(
            s,
            Ok(CreatedShipment {
                package_id: "42719".into(),
                tracking_number: "1504102246".into(),
                label_url: Some("https://pdf.balikobot.cz/cp/eNorMTIwt9A1NbYwMwdcMBAZAoA.".into()),
            })
        );
        assert_eq!(
            list.get(1).and_then(|p| p.get("status")).and_then(code_of),
            Some(208)
        );
    }

    #[test]
    fn status_ids_print_like_the_reference() {
        assert_eq!(status_id_string(&json!(-1.0)), "-1");
        assert_eq!(status_id_string(&json!(1.2)), "1.2");
        assert_eq!(status_id_string(&json!("2.2")), "2.2");
    }

    #[test]
    fn drop_after_order_entry_is_an_api_error_not_a_rejection() {
        let e = error_from_body(400, &json!({"status": 400, "packages": [{"status": 405}]}));
        assert!(matches!(e, CarrierError::Api { status: 405, .. }), "{e}");
    }

    #[test]
    fn package_json_uses_the_reference_field_names() {
        let client = BalikobotClient::new(
            "http://127.0.0.1:9",
            "user",
            "secret-key",
            Duration::from_secs(1),
        )
        .map(|c| c.with_full_errors(true));
        let Ok(client) = client else {
            panic!("client not built");
        };
        assert!(!format!("{client:?}").contains("secret-key"));
        let req = ShipmentRequest {
            eid: "1001-1".into(),
            order_number: "OBJ-2024-1001".into(),
            shop_id: None,
            carrier: "zasilkovna".into(),
            service: "VMCZ".into(),
            recipient: Address {
                name: "Jana Nováková".into(),
                company: String::new(),
                street: "Dlouhá 5".into(),
                city: "Brno".into(),
                zip: "602 00".into(),
                country: "cz".into(),
                phone: "+420 777 123 456".into(),
                email: "jana@example.cz".into(),
            },
            pickup_point: Some(PickupPoint {
                id: "4321".into(),
                name: "Z-BOX".into(),
            }),
            cod: Some(Money::new(125_050, "CZK")),
            variable_symbol: None,
            value: None,
            weight_kg: 1.25,
            parcel_no: 1,
            parcel_count: 1,
            note: None,
        };
        let p = client.package_json(&req);
        assert_eq!(p["eid"], "1001-1");
        assert_eq!(p["service_type"], "VMCZ");
        assert_eq!(p["rec_zip"], "60200");
        assert_eq!(p["rec_country"], "CZ");
        assert_eq!(p["rec_phone"], "+420777123456");
        assert_eq!(p["branch_id"], "4321");
        assert_eq!(p["cod_price"], 1250.5);
        assert_eq!(p["cod_currency"], "CZK");
        assert_eq!(p["vs"], "20241001");
        assert_eq!(p["weight"], 1.25);
        assert_eq!(p["return_full_errors"], true);
    }
}
