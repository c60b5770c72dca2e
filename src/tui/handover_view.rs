//! The hand-over screen (an overlay, `PD:HANDOVER`) and the words of the shipment notes.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::overlay;
use super::view::Ui;
use crate::app::AppState;
use crate::app::shipping::{Confirming, HandoverView, ShipNote};
use crate::domain::Shipment;
use crate::domain::text::sanitize;
use crate::i18n::Catalog;

/// The banner text of a shipment note.
pub fn note_text(n: &ShipNote, c: &Catalog) -> String {
    match n {
        ShipNote::ConfirmDrop { number, count } => c.tf(
            "banner.confirm_drop",
            &[("number", number), ("count", count)],
        ),
        ShipNote::ConfirmShipAgain { number } => {
            c.tf("banner.confirm_ship_again", &[("number", number)])
        }
        ShipNote::ConfirmHandover {
            carrier,
            parcels,
            code,
        } => c.tf(
            "banner.confirm_handover",
            &[("carrier", carrier), ("count", parcels), ("code", code)],
        ),
        ShipNote::NotConfirmed => c.t("banner.not_confirmed").into(),
        ShipNote::NothingToDrop { number } => c.tf("banner.nothing_to_drop", &[("number", number)]),
        ShipNote::DropDispatched { number } => {
            c.tf("banner.drop_dispatched", &[("number", number)])
        }
        ShipNote::DropQueued { number, count } => c.tf(
            "banner.drop_queued",
            &[("number", number), ("count", count)],
        ),
        ShipNote::Dropped { number, parcel } => {
            c.tf("banner.dropped", &[("number", number), ("parcel", parcel)])
        }
        ShipNote::DropRefused { number, error } => c.tf(
            "banner.drop_refused",
            &[("number", number), ("error", error)],
        ),
        ShipNote::NothingToHandOver => c.t("banner.nothing_to_hand_over").into(),
        ShipNote::NothingToHandOverFor { carrier } => {
            c.tf("banner.nothing_to_hand_over_for", &[("carrier", carrier)])
        }
        ShipNote::HandoverQueued { carrier } => {
            c.tf("banner.handover_queued", &[("carrier", carrier)])
        }
        ShipNote::HandedOver {
            carrier,
            parcels,
            handover_id,
            protocol,
            warning,
        } => {
            let mut t = c.tf(
                "banner.handed_over",
                &[
                    ("carrier", carrier),
                    ("count", parcels),
                    ("id", handover_id),
                    ("protocol", &protocol.as_deref().unwrap_or("-")),
                ],
            );
            if let Some(w) = warning {
                t.push_str(" — ");
                t.push_str(w);
            }
            t
        }
        ShipNote::HandoverFailed { carrier, error } => c.tf(
            "banner.handover_failed",
            &[("carrier", carrier), ("error", error)],
        ),
        ShipNote::CarrierStatus {
            number,
            parcel,
            status,
        } => c.tf(
            "banner.carrier_status",
            &[("number", number), ("parcel", parcel), ("status", status)],
        ),
        ShipNote::Error { error } => error.clone(),
    }
}

/// The carrier's last status after a shipment's line on the pack screen.
pub fn with_status(text: String, sh: &Shipment) -> String {
    match &sh.carrier_status {
        Some(st) if !st.text.is_empty() => format!("{text} · {}", sanitize(&st.text)),
        _ => text,
    }
}

/// Draws the hand-over overlay.
pub fn handover(state: &AppState, v: &HandoverView, ui: &Ui, f: &mut Frame, area: Rect) {
    use crate::app::Action as A;
    let c = &ui.catalog;
    let inner = overlay::frame(ui, f, area, c.t("queue.handover_title"));
    let [list, ask, keys] = Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(2),
        Constraint::Length(1),
    ])
    .areas(inner);
    let (groups, empty) = if v.loading {
        (&[][..], c.t("queue.handover_loading"))
    } else {
        (&v.groups[..], c.t("queue.handover_empty"))
    };
    // Two text lines per carrier: code and count, then its orders.
    let width = list.width.saturating_sub(4) as usize;
    overlay::two_line_list(ui, f, list, groups, v.selected, empty, |g, style| {
        let mut orders = g
            .orders
            .iter()
            .map(|o| sanitize(o))
            .collect::<Vec<_>>()
            .join(", ");
        if orders.chars().count() > width {
            orders = orders.chars().take(width.saturating_sub(1)).collect();
            orders.push('…');
        }
        (
            Line::from(vec![
                Span::styled(format!("{:<12}", sanitize(&g.carrier)), style),
                Span::styled(
                    c.tf(
                        "queue.handover_parcels",
                        &[("count", &g.parcels), ("orders", &g.orders.len())],
                    ),
                    style,
                ),
            ]),
            Line::from(Span::styled(format!("   {orders}"), ui.theme.muted)),
        )
    });
    if let Some(crate::app::shipping::Confirm {
        what: Confirming::Handover { carrier },
        code,
        ..
    }) = &state.confirm
    {
        let parcels = v
            .groups
            .iter()
            .find(|g| &g.carrier == carrier)
            .map_or(0, |g| g.parcels);
        let text = c.tf(
            "banner.confirm_handover",
            &[("carrier", carrier), ("count", &parcels), ("code", code)],
        );
        f.render_widget(
            Paragraph::new(text)
                .style(ui.theme.banner_warn)
                .wrap(Wrap { trim: true }),
            ask,
        );
    } else if let Some(crate::app::Notice::Ship(
        n @ (ShipNote::NothingToHandOver
        | ShipNote::NothingToHandOverFor { .. }
        | ShipNote::Error { .. }),
    )) = &state.banner
    {
        // The overlay covers the banner line: what a scan here changed is said here.
        let style = if n.tone() == crate::app::Tone::Error {
            ui.theme.banner_error
        } else {
            ui.theme.banner_warn
        };
        f.render_widget(
            Paragraph::new(note_text(n, c))
                .style(style)
                .wrap(Wrap { trim: true }),
            ask,
        );
    }
    let mut spans = overlay::key_spans(ui, &[A::Handover, A::Back]);
    spans.push(Span::styled("PD:HANDOVER ×2", ui.theme.muted));
    f.render_widget(Paragraph::new(Line::from(spans)), keys);
}
