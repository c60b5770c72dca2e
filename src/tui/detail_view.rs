//! Drawing of the order detail overlay (`app.detail`). Every outside string passes
//! `sanitize`; fits 80×24.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::overlay;
use super::view::Ui;
use crate::app::Action;
use crate::app::detail::{DetailNote, DetailPrompt, DetailView, DocNote, DocOutcome};
use crate::docs::DocRef;
use crate::domain::text::sanitize;
use crate::i18n::Catalog;

/// The catalog key of a detail prompt's title.
pub fn prompt_key(p: DetailPrompt) -> &'static str {
    match p {
        DetailPrompt::Status => "prompt.detail_status",
        DetailPrompt::Find => "prompt.detail_find",
        DetailPrompt::Verify => "prompt.detail_verify",
    }
}

/// A shop kind as the packer knows it.
fn shop_name(kind: &str) -> String {
    match kind {
        "upgates" => "Upgates".into(),
        "baselinker" => "BaseLinker".into(),
        other => sanitize(other),
    }
}

/// What a document is: "Invoice CZ250020", "Label CZ250020 parcel 1" …
pub fn doc_title(d: &DocRef, number: &str, c: &Catalog) -> String {
    let number = sanitize(number);
    match d {
        DocRef::ShopPdf { .. } | DocRef::NoShopDoc { .. } => {
            c.tf("detail.doc_invoice", &[("number", &number)])
        }
        DocRef::Slip => c.tf("detail.doc_slip", &[("number", &number)]),
        DocRef::Label { parcel_no, .. } => c.tf(
            "detail.doc_label",
            &[("number", &number), ("parcel", parcel_no)],
        ),
        DocRef::Handover => c.tf("detail.doc_handover", &[("number", &number)]),
    }
}

/// One line of the documents list: the title and where it comes from.
fn doc_line(d: &DocRef, number: &str, c: &Catalog) -> String {
    let title = doc_title(d, number, c);
    let more = match d {
        DocRef::ShopPdf { cached: false } => c.t("detail.doc_from_shop").to_string(),
        DocRef::ShopPdf { cached: true } => c.t("detail.doc_kept").to_string(),
        DocRef::NoShopDoc { shop } => c.tf("detail.doc_not_offered", &[("shop", &shop_name(shop))]),
        DocRef::Slip => c.t("detail.doc_slip_made").to_string(),
        DocRef::Label { tracking, zpl, .. } => {
            let fmt = if *zpl { "ZPL" } else { "PDF" };
            match tracking {
                Some(tn) => format!("{} {fmt}", sanitize(tn)),
                None => fmt.to_string(),
            }
        }
        DocRef::Handover => "PDF".to_string(),
    };
    format!("{title} · {more}")
}

/// The banner after opening a document.
pub fn doc_note_text(n: &DocNote, c: &Catalog) -> String {
    let doc = doc_title(&n.doc, &n.number, c);
    let text = match &n.outcome {
        DocOutcome::Printed { printer } => {
            c.tf("banner.doc_printed", &[("doc", &doc), ("printer", printer)])
        }
        DocOutcome::Opened { program } => {
            c.tf("banner.doc_opened", &[("doc", &doc), ("program", program)])
        }
        DocOutcome::NotOffered { shop } => {
            c.tf("banner.doc_not_offered", &[("shop", &shop_name(shop))])
        }
        DocOutcome::Failed { error } => {
            c.tf("banner.doc_failed", &[("doc", &doc), ("error", error)])
        }
    };
    sanitize(&text)
}

/// The status picker's lines: the shop's statuses, the highlighted one marked.
fn picker_lines(v: &DetailView, at: usize, ui: &Ui) -> Vec<Line<'static>> {
    let (c, t) = (&ui.catalog, &ui.theme);
    let current = v.order.as_ref().map(|o| o.shop_status.as_str());
    let mut out = vec![Line::from(Span::styled(
        c.t("detail.picker").to_string(),
        t.header,
    ))];
    for (i, s) in v.statuses.iter().enumerate() {
        let mark = if i == at { "▸ " } else { "  " };
        let now = if Some(s.id.as_str()) == current {
            format!("  ({})", c.t("detail.picker_now"))
        } else {
            String::new()
        };
        out.push(Line::from(Span::styled(
            sanitize(&format!("{mark}{} ({}){now}", s.name, s.id)),
            if i == at { t.selected } else { t.text },
        )));
    }
    out
}

/// The text lines of the overlay (without the key hints), for drawing and for tests.
pub fn lines(v: &DetailView, ui: &Ui) -> Vec<Line<'static>> {
    let c = &ui.catalog;
    let t = &ui.theme;
    if let Some(at) = v.picker {
        return picker_lines(v, at, ui);
    }
    let mut out: Vec<Line<'static>> = Vec::new();
    let row = |k: &str, v: String| {
        Line::from(vec![
            Span::styled(format!("{:<10}", c.t(k)), t.header),
            Span::styled(sanitize(&v), t.text),
        ])
    };
    match &v.order {
        None => out.push(Line::from(Span::styled(
            c.t("detail.loading").to_string(),
            t.muted,
        ))),
        Some(o) => {
            let status = match v.statuses.iter().find(|s| s.id == o.shop_status) {
                Some(s) => format!("{} ({})", s.name, s.id),
                None if o.shop_status.is_empty() => "-".into(),
                None => o.shop_status.clone(),
            };
            let state = if o.cancelled {
                format!("  [{}]", c.t("reason.cancelled"))
            } else if o.not_queued() {
                format!("  [{}]", c.t("detail.not_queued"))
            } else {
                String::new()
            };
            out.push(row("detail.status", format!("{status}{state}")));
            let payment = match &o.cod {
                Some(cod) => c.tf("detail.cod", &[("amount", cod)]),
                None => c.t("detail.prepaid").to_string(),
            };
            let paid = c.t(if o.paid {
                "detail.paid_yes"
            } else {
                "detail.paid_no"
            });
            out.push(row("detail.payment", format!("{payment}, {paid}")));
            out.push(row("detail.total", o.total.to_string()));
            let tracking: Vec<String> = v
                .shipments
                .iter()
                .filter_map(|s| {
                    s.tracking_number
                        .as_ref()
                        .map(|tn| format!("{tn} ({}/{})", s.parcel_no, s.parcel_count))
                })
                .collect();
            out.push(row(
                "detail.tracking",
                if tracking.is_empty() {
                    c.t("detail.none").to_string()
                } else {
                    tracking.join(", ")
                },
            ));
            let cu = &o.customer;
            let who: Vec<&str> = [
                cu.name.as_str(),
                cu.company.as_str(),
                cu.email.as_str(),
                cu.phone.as_str(),
            ]
            .into_iter()
            .filter(|s| !s.trim().is_empty())
            .collect();
            out.push(row("detail.customer", who.join(", ")));
            out.push(row(
                "detail.address",
                format!("{}, {} {}, {}", cu.street, cu.zip, cu.city, cu.country),
            ));
            let pickup = o
                .shipping
                .pickup_point
                .as_ref()
                .map(|p| format!(", {} {}", p.id, p.name))
                .unwrap_or_default();
            out.push(row(
                "detail.shipping",
                format!(
                    "{} → {}{pickup}",
                    o.shipping.method,
                    format!("{} {}", o.shipping.carrier, o.shipping.service).trim()
                ),
            ));
            if v.docs.is_empty() {
                out.push(row("detail.documents", c.t("detail.none").to_string()));
            } else {
                out.push(Line::from(Span::styled(
                    format!("{:<10}", c.t("detail.documents")),
                    t.header,
                )));
                for (i, d) in v.docs.iter().enumerate() {
                    let chosen = i == v.doc_selected && v.picker.is_none();
                    let style = if chosen {
                        t.selected
                    } else if d.openable() {
                        t.text
                    } else {
                        t.muted
                    };
                    let mark = if chosen { "▸ " } else { "  " };
                    out.push(Line::from(Span::styled(
                        sanitize(&format!("{mark}{}", doc_line(d, &o.number, c))),
                        style,
                    )));
                }
            }
            out.push(row(
                "detail.items",
                c.tf("detail.item_count", &[("count", &o.item_count())]),
            ));
            for l in &o.lines {
                out.push(Line::from(Span::styled(
                    sanitize(&format!(
                        "  {:>5} × {:<14} {}",
                        l.quantity.to_string(),
                        l.sku,
                        l.name
                    )),
                    t.text,
                )));
            }
        }
    }
    if !v.found.is_empty() {
        out.push(Line::from(Span::styled(
            c.tf("detail.found", &[("count", &v.found.len())]),
            t.header,
        )));
        for f in &v.found {
            out.push(Line::from(Span::styled(sanitize(f), t.text)));
        }
    }
    out
}

fn note_line(v: &DetailView, ui: &Ui) -> Line<'static> {
    let c = &ui.catalog;
    let t = &ui.theme;
    let (text, style) = match &v.note {
        None => {
            let key = if v.notify {
                "detail.notify_on"
            } else {
                "detail.notify_off"
            };
            (c.t(key).to_string(), t.muted)
        }
        Some(DetailNote::Searching) => (c.t("detail.searching").to_string(), t.muted),
        Some(DetailNote::NothingFound) => (c.t("detail.found_none").to_string(), t.line_partial),
        Some(DetailNote::Verified { email, belongs }) => {
            let key = if *belongs {
                "detail.verified_yes"
            } else {
                "detail.verified_no"
            };
            let style = if *belongs { t.line_done } else { t.error_text };
            (c.tf(key, &[("email", email)]), style)
        }
        Some(DetailNote::StatusQueued { status, notify }) => {
            let name = v
                .statuses
                .iter()
                .find(|s| &s.id == status)
                .map_or(status.clone(), |s| format!("{} ({})", s.name, s.id));
            let key = if *notify {
                "detail.status_queued_notify"
            } else {
                "detail.status_queued"
            };
            (c.tf(key, &[("status", &name)]), t.line_done)
        }
        Some(DetailNote::UnknownStatus { input }) => {
            let list: Vec<String> = v
                .statuses
                .iter()
                .map(|s| format!("{} ({})", s.name, s.id))
                .collect();
            (
                c.tf(
                    "detail.unknown_status",
                    &[("input", input), ("list", &list.join(", "))],
                ),
                t.error_text,
            )
        }
        Some(DetailNote::BadQuery { reason }) => {
            (c.tf("detail.failed", &[("error", reason)]), t.error_text)
        }
        Some(DetailNote::Failed { error }) => {
            (c.tf("detail.failed", &[("error", error)]), t.error_text)
        }
        Some(DetailNote::Doc(n)) => {
            let style = match n.tone() {
                crate::app::Tone::Ok => t.line_done,
                crate::app::Tone::Error => t.error_text,
                _ => t.line_partial,
            };
            (doc_note_text(n, c), style)
        }
    };
    Line::from(Span::styled(sanitize(&text), style))
}

/// Draws the overlay over `area`.
pub fn draw(v: &DetailView, ui: &Ui, f: &mut Frame, area: Rect) {
    let c = &ui.catalog;
    let number = v.order.as_ref().map_or(v.key.clone(), |o| o.number.clone());
    let title = c.tf("detail.title", &[("number", &number)]);
    let inner = overlay::frame(ui, f, area, &title);
    let [body, note, keys] = Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(2),
    ])
    .areas(inner);
    let mut text = lines(v, ui);
    let room = body.height as usize;
    if text.len() > room && room > 0 {
        let more = text.len() - (room - 1);
        text.truncate(room - 1);
        text.push(Line::from(Span::styled(
            c.tf("detail.more", &[("count", &more)]),
            ui.theme.muted,
        )));
    }
    f.render_widget(Paragraph::new(text), body);
    f.render_widget(Paragraph::new(note_line(v, ui)), note);
    let spans = overlay::key_spans(
        ui,
        &[
            Action::DetailStatus,
            Action::DetailNotify,
            Action::DetailFind,
            Action::DetailVerify,
            Action::DetailOpen,
            Action::Detail,
        ],
    );
    // Two lines: every key fits at 80 columns.
    f.render_widget(
        Paragraph::new(Line::from(spans)).wrap(ratatui::widgets::Wrap { trim: true }),
        keys,
    );
}
