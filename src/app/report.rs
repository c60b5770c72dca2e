//! Orders as the command line shows them (`packdesk orders show`).

use std::fmt::Write;

use serde_json::{Value, json};

use crate::domain::text::sanitize;
use crate::domain::{Order, OrderState, Qty, Shipment};
use crate::flow::PackSession;

/// One order as JSON: `number`, `state`, `lines[]` (`sku`, `ean`, `name`, `quantity`,
/// `scanned`), `parcels[]` (`weight_kg`, `tracking_number`, `label_path`) and more.
pub fn order_json(
    order: &Order,
    state: OrderState,
    session: Option<&PackSession>,
    shipments: &[Shipment],
) -> Value {
    let lines: Vec<Value> = order
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let p = session.and_then(|s| s.lines.get(i));
            json!({
                "sku": l.sku,
                "ean": l.ean,
                "name": l.name,
                "quantity": l.quantity,
                "scanned": p.map_or(Qty::ZERO, |p| p.scanned),
                "manual": p.map_or(Qty::ZERO, |p| p.manual),
                "serials": p.map(|p| p.serials.clone()).unwrap_or_default(),
                "needs_serial": l.needs_serial,
            })
        })
        .collect();
    let parcels: Vec<Value> = session
        .map(|s| {
            s.parcels
                .iter()
                .map(|p| {
                    let sh = shipments.iter().find(|x| x.parcel_no == p.no);
                    json!({
                        "no": p.no,
                        "weight_kg": p.weight_kg,
                        "tracking_number": sh.and_then(|x| x.tracking_number.clone()),
                        "label_path": sh.and_then(|x| x.label_path.clone()),
                        "shipment_state": sh.map(|x| x.state),
                        "error": sh.and_then(|x| x.error.clone()),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    json!({
        "number": order.number,
        "source": order.source,
        "state": state,
        "created_at": order.created_at,
        "customer": order.customer,
        "shipping": order.shipping,
        "total": order.total.as_decimal(),
        "currency": order.total.currency,
        "cod": order.cod.as_ref().map(|m| m.as_decimal()),
        "paid": order.paid,
        "note": order.note.as_ref().map(|n| n.text.clone()),
        "cancelled": order.cancelled,
        "station": session.map(|s| s.station.clone()),
        "packer": session.and_then(|s| s.packer.clone()),
        "short_reason": session.and_then(|s| s.short_reason.clone()),
        "lines": lines,
        "parcels": parcels,
    })
}

/// The same as readable text.
pub fn order_text(
    order: &Order,
    state: OrderState,
    session: Option<&PackSession>,
    shipments: &[Shipment],
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}  {}  {}",
        sanitize(&order.number),
        state,
        sanitize(&order.customer.name)
    );
    let _ = writeln!(
        out,
        "  {} {} · {}/{} · total {}{}",
        sanitize(&order.customer.city),
        sanitize(&order.customer.country),
        sanitize(&order.shipping.carrier),
        sanitize(&order.shipping.service),
        order.total,
        order
            .cod
            .as_ref()
            .map(|c| format!(" · COD {c}"))
            .unwrap_or_default()
    );
    if let Some(n) = &order.note {
        let _ = writeln!(out, "  note: {}", sanitize(&n.text));
    }
    for (i, l) in order.lines.iter().enumerate() {
        let scanned = session
            .and_then(|s| s.lines.get(i))
            .map_or(Qty::ZERO, |p| p.scanned);
        let _ = writeln!(
            out,
            "  {:>5}/{:<5} {:<14} {:<14} {}",
            scanned.to_string(),
            l.quantity.to_string(),
            sanitize(&l.sku),
            sanitize(l.ean.as_deref().unwrap_or("-")),
            sanitize(&l.name)
        );
    }
    for sh in shipments {
        let _ = writeln!(
            out,
            "  parcel {}/{}: {:?} {} {}",
            sh.parcel_no,
            sh.parcel_count,
            sh.state,
            sh.tracking_number.as_deref().unwrap_or(""),
            sh.label_path
                .as_deref()
                .unwrap_or(sh.error.as_deref().unwrap_or(""))
        );
    }
    out
}
