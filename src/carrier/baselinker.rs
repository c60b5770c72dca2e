//! BaseLinker's courier API as a shipment provider (`reference/apis.md` §3.7–3.10):
//! `createPackage`, `getOrderPackages` (reconcile), `getLabel`/`getCourierDocument`,
//! `deleteCourierPackage`, `runRequestParcelPickup` (hand-over), `getProtocol` and
//! `getCourierPackagesStatusHistory` (tracking).
//!
//! Shipments belong to a BaseLinker order (`ShipmentRequest::shop_id`, else the order
//! number when it is numeric). `createPackage` is not idempotent, so `create` looks at the
//! order's packages first: parcel *n* of an order is the *n*-th package of that courier.

use std::time::Duration;

use async_trait::async_trait;
use base64::Engine as _;
use serde_json::{Value, json};

use super::{Carrier, CarrierError, CreatedShipment, Handover, ShipmentRequest, TrackStatus};
use crate::shop::baselinker::{ApiError, BaseLinkerApi, lenient_bool, lenient_i64, lenient_string};

const PROVIDER: &str = "baselinker";

/// `tracking_status` texts (§3.9), index = value.
const TRACKING_STATUSES: &[&str] = &[
    "unknown",
    "label created",
    "shipped",
    "not delivered",
    "out for delivery",
    "delivered",
    "return",
    "aviso",
    "waiting at point",
    "lost",
    "canceled",
    "on the way",
];

/// BaseLinker couriers as a [`Carrier`]. The token never appears in errors or `Debug`.
#[derive(Debug, Clone)]
pub struct BaseLinkerCourier {
    api: BaseLinkerApi,
    account_id: Option<i64>,
}

fn carrier_err(e: ApiError, url: &str) -> CarrierError {
    if e.is_auth() {
        let status = match e {
            ApiError::Http(s, _) => s,
            _ => 200,
        };
        return CarrierError::Auth {
            provider: PROVIDER,
            status,
        };
    }
    match e {
        ApiError::Unreachable(reason) => CarrierError::Unreachable {
            provider: PROVIDER,
            url: url.to_string(),
            reason,
        },
        ApiError::Timeout(reason) => CarrierError::Ambiguous {
            provider: PROVIDER,
            reason,
        },
        ApiError::Http(status, body) => CarrierError::Api {
            provider: PROVIDER,
            status,
            message: format!("HTTP {status}: {body}"),
        },
        ApiError::Api { code, message } => {
            if code == "ERROR_BAD_PARAMETERS" || code.contains("VALIDATION") {
                CarrierError::Rejected {
                    provider: PROVIDER,
                    fields: vec![message],
                }
            } else {
                CarrierError::Api {
                    provider: PROVIDER,
                    status: 0,
                    message: format!("{code}: {message}"),
                }
            }
        }
        ApiError::Blocked { retry_after_s } => CarrierError::Api {
            provider: PROVIDER,
            status: 429,
            message: format!("token blocked by the request limit; retry in {retry_after_s} s"),
        },
        ApiError::Decode(detail) => CarrierError::Decode {
            provider: PROVIDER,
            detail,
        },
    }
}

fn decode_b64(what: &str, v: &Value, key: &str) -> Result<Vec<u8>, CarrierError> {
    let ext = lenient_string(v.get("extension").unwrap_or(&Value::Null));
    if !ext.is_empty() && !ext.eq_ignore_ascii_case("pdf") {
        return Err(CarrierError::Decode {
            provider: PROVIDER,
            detail: format!("{what}: extension {ext:?}, expected pdf"),
        });
    }
    let s = lenient_string(v.get(key).unwrap_or(&Value::Null));
    let cleaned: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(cleaned.as_bytes())
        .map_err(|e| CarrierError::Decode {
            provider: PROVIDER,
            detail: format!("{what}: field {key} is not base64: {e}"),
        })?;
    if bytes.is_empty() {
        return Err(CarrierError::Decode {
            provider: PROVIDER,
            detail: format!("{what}: field {key} is empty"),
        });
    }
    Ok(bytes)
}

fn package_ids(carrier: &str, ids: &[String]) -> Result<Vec<i64>, CarrierError> {
    ids.iter()
        .map(|s| {
            s.trim().parse::<i64>().map_err(|_| CarrierError::Rejected {
                provider: PROVIDER,
                fields: vec![format!("{carrier} package id {s:?} is not a number")],
            })
        })
        .collect()
}

impl BaseLinkerCourier {
    /// A courier client for `url` (`…/connector.php`); `timeout` per request. A timeout
    /// after sending becomes [`CarrierError::Ambiguous`].
    pub fn new(
        url: &str,
        token: &str,
        timeout: Duration,
    ) -> Result<BaseLinkerCourier, CarrierError> {
        let api = BaseLinkerApi::new(url, token, timeout).map_err(|message| CarrierError::Api {
            provider: PROVIDER,
            status: 0,
            message,
        })?;
        Ok(BaseLinkerCourier::with_api(api))
    }

    /// Over an existing API client (share it with `BaseLinkerShop` so that both stay
    /// under the one per-token limit).
    pub fn with_api(api: BaseLinkerApi) -> BaseLinkerCourier {
        BaseLinkerCourier {
            api,
            account_id: None,
        }
    }

    /// The courier account (`getCourierAccounts`); without it BaseLinker uses the first.
    pub fn with_account(mut self, account_id: i64) -> BaseLinkerCourier {
        self.account_id = Some(account_id);
        self
    }

    /// Sets the client-side request rate (see [`BaseLinkerApi::with_rate_limit`]).
    pub fn with_rate_limit(mut self, per_minute: u32, burst: u32) -> BaseLinkerCourier {
        self.api = self.api.with_rate_limit(per_minute, burst);
        self
    }

    async fn call(&self, method: &str, params: Value) -> Result<Value, CarrierError> {
        self.api
            .call(method, params)
            .await
            .map_err(|e| carrier_err(e, self.api.url()))
    }

    fn order_id(req: &ShipmentRequest) -> Result<i64, CarrierError> {
        let s = req.shop_id.as_deref().unwrap_or(&req.order_number);
        s.trim().parse::<i64>().map_err(|_| CarrierError::Rejected {
            provider: PROVIDER,
            fields: vec![format!(
                "order {}: no BaseLinker order_id (a number)",
                req.order_number
            )],
        })
    }

    /// The handover protocol of these packages as PDF (`getProtocol`).
    pub async fn protocol(
        &self,
        carrier: &str,
        package_ids_: &[String],
    ) -> Result<Vec<u8>, CarrierError> {
        let ids = package_ids(carrier, package_ids_)?;
        let mut params = json!({"courier_code": carrier, "package_ids": ids});
        if let (Some(acc), Value::Object(m)) = (self.account_id, &mut params) {
            m.insert("account_id".into(), json!(acc));
        }
        let v = self.call("getProtocol", params).await?;
        decode_b64("getProtocol", &v, "protocol")
    }
}

#[async_trait]
impl Carrier for BaseLinkerCourier {
    fn kind(&self) -> &'static str {
        PROVIDER
    }

    async fn create(&self, req: &ShipmentRequest) -> Result<CreatedShipment, CarrierError> {
        if let Some(existing) = self.reconcile(req).await? {
            tracing::info!(eid = %req.eid, "baselinker: shipment exists already; not created again");
            return Ok(existing);
        }
        let order_id = Self::order_id(req)?;
        if let Some(point) = &req.pickup_point {
            // The locker/pickup point travels on the order (`delivery_point_id`), which
            // BaseLinker's InPost/Orlen integrations read (UNCONFIRMED: no courier field
            // for it is documented). Setting it again is harmless.
            self.call(
                "setOrderFields",
                json!({"order_id": order_id, "delivery_point_id": point.id,
                       "delivery_point_name": point.name}),
            )
            .await?;
        }
        let mut fields = Vec::new();
        if !req.service.trim().is_empty() {
            fields.push(json!({"id": "service", "value": req.service}));
        }
        if let Some(cod) = &req.cod {
            fields.push(json!({"id": "cod", "value": format!("{:.2}", cod.as_decimal())}));
        }
        if let Some(value) = &req.value {
            fields.push(json!({"id": "insurance", "value": format!("{:.2}", value.as_decimal())}));
        }
        if let Some(note) = req.note.as_deref().filter(|n| !n.trim().is_empty()) {
            fields.push(json!({"id": "package_description", "value": note}));
        }
        let mut params = json!({
            "order_id": order_id,
            "courier_code": req.carrier,
            "fields": fields,
            "packages": [{"weight": req.weight_kg}],
        });
        if let (Some(acc), Value::Object(m)) = (self.account_id, &mut params) {
            m.insert("account_id".into(), json!(acc));
        }
        let v = self.call("createPackage", params).await?;
        let package_id = lenient_string(v.get("package_id").unwrap_or(&Value::Null));
        let tracking = lenient_string(v.get("package_number").unwrap_or(&Value::Null));
        if package_id.is_empty() {
            return Err(CarrierError::Decode {
                provider: PROVIDER,
                detail: format!("createPackage for order {order_id}: no package_id"),
            });
        }
        Ok(CreatedShipment {
            package_id,
            tracking_number: tracking,
            label_url: None,
        })
    }

    async fn reconcile(
        &self,
        req: &ShipmentRequest,
    ) -> Result<Option<CreatedShipment>, CarrierError> {
        let order_id = Self::order_id(req)?;
        let v = self
            .call("getOrderPackages", json!({"order_id": order_id}))
            .await?;
        let mut mine: Vec<&Value> = v
            .get("packages")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter(|p| {
                        lenient_string(p.get("courier_code").unwrap_or(&Value::Null))
                            .eq_ignore_ascii_case(&req.carrier)
                            && !lenient_bool(p.get("is_return").unwrap_or(&Value::Null))
                    })
                    .collect()
            })
            .unwrap_or_default();
        mine.sort_by_key(|p| lenient_i64(p.get("package_id").unwrap_or(&Value::Null)).unwrap_or(0));
        let idx = req.parcel_no.max(1) as usize - 1;
        Ok(mine.get(idx).map(|p| CreatedShipment {
            package_id: lenient_string(p.get("package_id").unwrap_or(&Value::Null)),
            tracking_number: lenient_string(p.get("courier_package_nr").unwrap_or(&Value::Null)),
            label_url: None,
        }))
    }

    /// One package: `getLabel`; several: `getCourierDocument` with `document_type: label`.
    async fn label(&self, carrier: &str, package_ids_: &[String]) -> Result<Vec<u8>, CarrierError> {
        let ids = package_ids(carrier, package_ids_)?;
        match ids.as_slice() {
            [] => Err(CarrierError::Rejected {
                provider: PROVIDER,
                fields: vec!["no package ids for the label".into()],
            }),
            [one] => {
                let v = self
                    .call(
                        "getLabel",
                        json!({"courier_code": carrier, "package_id": one}),
                    )
                    .await?;
                decode_b64("getLabel", &v, "label")
            }
            many => {
                let mut params = json!({"courier_code": carrier, "document_type": "label",
                                        "package_ids": many});
                if let (Some(acc), Value::Object(m)) = (self.account_id, &mut params) {
                    m.insert("account_id".into(), json!(acc));
                }
                let v = self.call("getCourierDocument", params).await?;
                decode_b64("getCourierDocument", &v, "document")
            }
        }
    }

    async fn drop_shipment(&self, carrier: &str, package_id: &str) -> Result<(), CarrierError> {
        let ids = package_ids(carrier, &[package_id.to_string()])?;
        self.call(
            "deleteCourierPackage",
            json!({"courier_code": carrier, "package_id": ids.first()}),
        )
        .await?;
        Ok(())
    }

    /// Orders the courier pickup (`runRequestParcelPickup`); the pickup number is the
    /// hand-over id. The protocol PDF is available from [`BaseLinkerCourier::protocol`].
    async fn handover(
        &self,
        carrier: &str,
        package_ids_: &[String],
    ) -> Result<Handover, CarrierError> {
        let ids = package_ids(carrier, package_ids_)?;
        let mut params = json!({"courier_code": carrier, "package_ids": ids, "fields": []});
        if let (Some(acc), Value::Object(m)) = (self.account_id, &mut params) {
            m.insert("account_id".into(), json!(acc));
        }
        let v = self.call("runRequestParcelPickup", params).await?;
        let nr = lenient_string(v.get("pickup_number").unwrap_or(&Value::Null));
        if nr.is_empty() {
            return Err(CarrierError::Decode {
                provider: PROVIDER,
                detail: "runRequestParcelPickup: no pickup_number".into(),
            });
        }
        Ok(Handover {
            order_id: nr,
            protocol_url: None,
            protocol: None,
        })
    }

    /// The latest entry of `getCourierPackagesStatusHistory` per package (at most 100
    /// packages per call, so longer lists are split).
    async fn track(
        &self,
        carrier: &str,
        package_ids_: &[String],
    ) -> Result<Vec<TrackStatus>, CarrierError> {
        let ids = package_ids(carrier, package_ids_)?;
        let mut out = Vec::new();
        for chunk in ids.chunks(100) {
            let v = self
                .call(
                    "getCourierPackagesStatusHistory",
                    json!({"package_ids": chunk}),
                )
                .await?;
            let history = v.get("packages_history").and_then(Value::as_object);
            for id in chunk {
                let last = history
                    .and_then(|h| h.get(&id.to_string()))
                    .and_then(Value::as_array)
                    .and_then(|a| {
                        a.iter().max_by_key(|e| {
                            lenient_i64(e.get("tracking_status_date").unwrap_or(&Value::Null))
                                .unwrap_or(0)
                        })
                    });
                let Some(last) = last else { continue };
                let status =
                    lenient_i64(last.get("tracking_status").unwrap_or(&Value::Null)).unwrap_or(0);
                let text = usize::try_from(status)
                    .ok()
                    .and_then(|i| TRACKING_STATUSES.get(i))
                    .map_or_else(|| format!("status {status}"), |s| (*s).to_string());
                out.push(TrackStatus {
                    package_id: id.to_string(),
                    status_id: status.to_string(),
                    text,
                });
            }
        }
        Ok(out)
    }
}
