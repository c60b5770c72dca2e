//! Rendering: a pure function of the state. Every outside string passes `sanitize`.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Table, Wrap};

use super::input::context;
use super::keymap::{KeyContext, Keymap};
use super::overlay;
use super::theme::Theme;
use crate::app::{AppState, Notice, PackView, PromptKind, Screen, TABS, Tone};
use crate::domain::text::sanitize;
use crate::domain::{OrderState, Qty, ShipmentState};
use crate::flow::{NotPackable, Refusal, Reject, SessionState};
use crate::i18n::Catalog;

/// What the view needs besides the state.
pub struct Ui {
    pub theme: Theme,
    pub keymap: Keymap,
    pub catalog: Catalog,
}

/// Draws the whole screen.
pub fn view(state: &AppState, ui: &Ui, f: &mut Frame) {
    let area = f.area();
    f.render_widget(Block::default().style(ui.theme.text), area);
    match (state.screen, state.pack.as_ref()) {
        (Screen::Pack, Some(pv)) => pack_screen(state, pv, ui, f, area),
        _ => queue_screen(state, ui, f, area),
    }
    if let Some(d) = &state.detail {
        super::detail_view::draw(d, ui, f, area);
    }
    if let Some(p) = &state.prompt
        && p.kind != PromptKind::Filter
    {
        prompt(state, ui, f, area);
    }
    if let Some(v) = &state.outbox_view {
        outbox(v, ui, f, area);
    }
    if let Some(v) = &state.handover_view {
        super::handover_view::handover(state, v, ui, f, area);
    }
    if let Some(v) = &state.bench.view {
        super::print_view::print_queue(v, ui, f, area);
    }
    if let Some(v) = &state.rules.view {
        super::rules_view::overlay(v, ui, f, area);
    }
    if state.help {
        help(state, ui, f, area);
    }
}

fn tab_key(s: OrderState) -> &'static str {
    match s {
        OrderState::ToPack => "tab.to_pack",
        OrderState::InProgress => "tab.in_progress",
        OrderState::Packed => "tab.packed",
        OrderState::Ready => "tab.ready",
        OrderState::Dispatched => "tab.dispatched",
        OrderState::Held => "tab.held",
        _ => "tab.exceptions",
    }
}

/// `12m`, `3h`, `2d`: how long the order has waited.
pub fn age(now: DateTime<Utc>, created: DateTime<Utc>) -> String {
    let mins = (now - created).num_minutes().max(0);
    if mins < 60 {
        format!("{mins}m")
    } else if mins < 48 * 60 {
        format!("{}h", mins / 60)
    } else {
        format!("{}d", mins / (24 * 60))
    }
}

fn hints(state: &AppState, ui: &Ui, actions: &[crate::app::Action]) -> Line<'static> {
    let ctx = context(state);
    let mut spans = Vec::new();
    for a in actions {
        let key = ui
            .keymap
            .key_for(ctx, *a)
            .or_else(|| ui.keymap.key_for(KeyContext::Global, *a));
        if let Some(k) = key {
            spans.push(Span::styled(format!("{k}"), ui.theme.key_hint));
            spans.push(Span::styled(
                format!(" {}  ", ui.catalog.action(*a)),
                ui.theme.muted,
            ));
        }
    }
    Line::from(spans)
}

fn scan_buffer(state: &AppState, ui: &Ui) -> Line<'static> {
    Line::from(vec![
        Span::styled("▶ ", ui.theme.muted),
        Span::styled(sanitize(state.assembler.buffer()), ui.theme.scan_buffer),
        Span::styled("▏", ui.theme.scan_buffer.add_modifier(Modifier::SLOW_BLINK)),
    ])
}

fn queue_screen(state: &AppState, ui: &Ui, f: &mut Frame, area: Rect) {
    use crate::app::Action as A;
    let c = &ui.catalog;
    let filter_shown = !state.queue.filter().is_empty()
        || state
            .prompt
            .as_ref()
            .is_some_and(|p| p.kind == PromptKind::Filter);
    let [
        top,
        tabs_area,
        filter_area,
        table_area,
        banner_area,
        buf_area,
        hint_area,
    ] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(u16::from(filter_shown)),
        Constraint::Min(3),
        Constraint::Length(u16::from(state.banner.is_some())),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    f.render_widget(
        Paragraph::new(super::status_bar::line(state, ui, top.width)).style(ui.theme.status_bar),
        top,
    );

    let titles: Vec<String> = TABS
        .iter()
        .enumerate()
        .map(|(i, s)| format!("{} ({})", c.t(tab_key(*s)), state.queue.count(i)))
        .collect();
    let tabs = super::held_view::tabs_line(&titles, state.queue.tab(), tabs_area.width, ui);
    f.render_widget(Paragraph::new(tabs).style(ui.theme.tab), tabs_area);
    if filter_shown {
        let editing = state
            .prompt
            .as_ref()
            .filter(|p| p.kind == PromptKind::Filter);
        let text = editing.map_or(state.queue.filter(), |p| p.input.as_str());
        f.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled(format!("/ {}: ", c.t("prompt.filter")), ui.theme.key_hint),
                Span::styled(sanitize(text), ui.theme.scan_buffer),
                Span::styled(format!("  ({})", state.queue.visible_len()), ui.theme.muted),
            ])),
            filter_area,
        );
    }

    let header = Row::new(
        [
            "col.number",
            "col.age",
            super::held_view::third_header(state),
            "col.items",
            "col.cod",
            "col.country",
            "col.flags",
        ]
        .map(|k| Cell::from(c.t(k).to_string())),
    )
    .style(ui.theme.header);
    let body_rows = table_area.height.saturating_sub(1) as usize;
    let sel = state.queue.selected();
    let first = sel.saturating_sub(body_rows.saturating_sub(1));
    let rows: Vec<Row> = (first..(first + body_rows).min(state.queue.visible_len()))
        .filter_map(|i| state.queue.visible_row(i).map(|r| (i, r)))
        .map(|(i, r)| {
            let carrier = if r.service.is_empty() {
                r.carrier.to_string()
            } else {
                format!("{}/{}", r.carrier, r.service)
            };
            let flags: String = r.flags.iter().map(|f| f.mark()).collect();
            let row = Row::new(vec![
                Cell::from(format!(
                    "{}{}",
                    super::print_view::mark(state, &r.key),
                    sanitize(r.number())
                )),
                Cell::from(age(state.now, r.created_at)),
                Cell::from(super::held_view::third_cell(state, r, &carrier)),
                Cell::from(r.items.to_string()),
                Cell::from(r.cod().map(|m| m.to_string()).unwrap_or_default()).style(ui.theme.cod),
                Cell::from(sanitize(&r.country)),
                Cell::from(flags).style(ui.theme.flag),
            ]);
            if i == sel {
                row.style(ui.theme.selected)
            } else {
                row
            }
        })
        .collect();
    let widths = [
        Constraint::Length(12),
        Constraint::Length(4),
        Constraint::Min(10),
        Constraint::Length(5),
        Constraint::Length(15),
        Constraint::Length(3),
        Constraint::Length(6),
    ];
    if state.queue.visible_len() == 0 {
        f.render_widget(
            Paragraph::new(c.t("queue.empty"))
                .style(ui.theme.muted)
                .alignment(Alignment::Center),
            table_area,
        );
    } else {
        f.render_widget(
            Table::new(rows, widths).header(header).column_spacing(1),
            table_area,
        );
    }
    if let Some(n) = &state.banner {
        banner(n, ui, f, banner_area);
    }
    f.render_widget(Paragraph::new(scan_buffer(state, ui)), buf_area);
    f.render_widget(
        Paragraph::new(hints(
            state,
            ui,
            &[
                A::Help,
                A::Open,
                A::Filter,
                A::NextTab,
                A::Outbox,
                A::SetPacker,
                A::Quit,
            ],
        )),
        hint_area,
    );
}

fn tone_style(t: Tone, theme: &Theme) -> Style {
    match t {
        Tone::Ok => theme.banner_ok,
        Tone::Error => theme.banner_error,
        Tone::Warn => theme.banner_warn,
        Tone::Info => theme.banner_info,
    }
}

fn banner(n: &Notice, ui: &Ui, f: &mut Frame, area: Rect) {
    if area.height == 0 {
        return;
    }
    let style = tone_style(n.tone(), &ui.theme);
    let text = notice_text(n, &ui.catalog);
    // Full width, text vertically centred in the banner area.
    let pad = area.height.saturating_sub(1) / 2;
    let mut lines: Vec<Line> = (0..pad).map(|_| Line::from("")).collect();
    lines.push(Line::from(Span::styled(
        format!(" {text} "),
        style.add_modifier(Modifier::BOLD),
    )));
    f.render_widget(
        Paragraph::new(lines)
            .style(style)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        area,
    );
}

fn not_packable_reason(why: &NotPackable, c: &Catalog) -> String {
    match why {
        NotPackable::Cancelled => c.t("reason.cancelled").to_string(),
        NotPackable::ClaimedElsewhere { station } => {
            format!(
                "{} ({})",
                c.t("reason.claimed_elsewhere"),
                sanitize(station)
            )
        }
        NotPackable::ChangedUpstream => c.t("reason.changed_upstream").to_string(),
        NotPackable::AlreadyPacked => c.t("reason.already_packed").to_string(),
        NotPackable::NotQueued { status } => c.tf("reason.not_queued", &[("status", status)]),
    }
}

/// The words of a banner, in the station's language.
pub fn notice_text(n: &Notice, c: &Catalog) -> String {
    match n {
        Notice::Accepted {
            name,
            scanned,
            quantity,
        } => c.tf(
            "banner.accepted",
            &[("name", name), ("scanned", scanned), ("quantity", quantity)],
        ),
        Notice::Picked => c.t("banner.picked").into(),
        Notice::NeedSerial { name } => c.tf("banner.serial_needed", &[("name", name)]),
        Notice::Rejected { reject, name } => match reject {
            Reject::NotInOrder { code } => c.tf("reject.not_in_order", &[("code", code)]),
            Reject::LineComplete { .. } => c.tf(
                "reject.line_complete",
                &[("name", &name.clone().unwrap_or_default())],
            ),
            Reject::NotPackable(why) => c.tf(
                "reject.not_packable",
                &[("reason", &not_packable_reason(why, c))],
            ),
            Reject::UnknownCode { code } => c.tf("reject.unknown_code", &[("code", code)]),
        },
        Notice::Refused(r) => match r {
            Refusal::NoteNotAcknowledged => c.t("banner.note_ack").into(),
            Refusal::NotAllScanned { missing } => {
                c.tf("refuse.not_all_scanned", &[("missing", missing)])
            }
            Refusal::NothingToUndo => c.t("refuse.nothing_to_undo").into(),
            Refusal::SerialEmpty => c.t("reject.serial_empty").into(),
            Refusal::SerialUsed { serial } => c.tf("reject.serial_used", &[("serial", serial)]),
            Refusal::ManualNotAllowed { .. } => c.t("refuse.manual_not_allowed").into(),
            Refusal::EmptyParcel => c.t("refuse.empty_parcel").into(),
            Refusal::BadQuantity => c.t("refuse.bad_quantity").into(),
            Refusal::EmptyReason => c.t("refuse.empty_reason").into(),
            Refusal::NoSerialExpected => c.t("refuse.no_serial_expected").into(),
        },
        Notice::Undone { name } => c.tf("banner.undone", &[("name", name)]),
        Notice::SerialCancelled => c.t("banner.serial_cancelled").into(),
        Notice::NoteAcknowledged => c.t("banner.note_acknowledged").into(),
        Notice::NoteMustBeAcknowledged => c.t("banner.note_ack").into(),
        Notice::QuantitySet(q) => c.tf("banner.quantity_set", &[("qty", q)]),
        Notice::NextParcel(no) => c.tf("banner.next_parcel", &[("parcel", no)]),
        Notice::Packed => c.t("banner.packed").into(),
        Notice::ShortPacked => c.t("banner.short_packed").into(),
        Notice::LabelQueued { number } => c.tf("banner.label_queued", &[("number", number)]),
        Notice::LabelReady { number, path } => {
            c.tf("banner.label_ready", &[("number", number), ("path", path)])
        }
        Notice::LabelFailed { number, error } => c.tf(
            "banner.label_failed",
            &[("number", number), ("error", error)],
        ),
        Notice::AlreadyShipped { number } => c.tf("banner.already_shipped", &[("number", number)]),
        Notice::DoubleFire { .. } => c.t("banner.double_fire").into(),
        Notice::ScanTooShort { raw } => c.tf("banner.scan_too_short", &[("raw", raw)]),
        Notice::ScanInvalid { raw, detail } => {
            c.tf("banner.scan_invalid", &[("raw", raw), ("detail", detail)])
        }
        Notice::OrderNotFound { code } => c.tf("banner.order_not_found", &[("code", code)]),
        Notice::NoOrderOpen => c.t("banner.no_order").into(),
        Notice::NotSaved { error } => c.tf("banner.not_saved", &[("error", error)]),
        Notice::PackerSet(p) => c.tf("banner.packer_set", &[("packer", p)]),
        Notice::BadNumber { input } => c.tf("banner.bad_number", &[("input", input)]),
        Notice::Aborted { number } => c.tf("banner.aborted", &[("number", number)]),
        Notice::UnknownCommand { word } => c.tf("banner.unknown_command", &[("word", word)]),
        Notice::ChangedUpstreamReset => c.t("banner.changed_upstream_reset").into(),
        Notice::PhotoTaken(n) => c.tf("banner.photo_taken", &[("count", n)]),
        Notice::PhotoFailed { error } => c.tf("banner.photo_failed", &[("error", error)]),
        Notice::PhotoRequired => c.t("refuse.photo_required").into(),
        Notice::OutboxError { error } => error.clone(),
        Notice::Ship(n) => super::handover_view::note_text(n, c),
        Notice::Bench(n) => super::print_view::notice_text(n, c),
        Notice::Doc(n) => super::detail_view::doc_note_text(n, c),
        Notice::Held(n) => super::held_view::note_text(n, c),
        Notice::RuleFailed { .. } | Notice::RuleUnknownEvent { .. } | Notice::RuleFired { .. } => {
            super::rules_view::notice_text(n, c).unwrap_or_default()
        }
        Notice::Print(crate::app::PrintNote::Printed { name, printer }) => {
            c.tf("banner.printed", &[("name", name), ("printer", printer)])
        }
        Notice::Print(crate::app::PrintNote::Waiting { name, error }) => {
            c.tf("banner.print_waiting", &[("name", name), ("error", error)])
        }
        Notice::Print(crate::app::PrintNote::Failed { name, error }) => {
            c.tf("banner.print_failed", &[("name", name), ("error", error)])
        }
    }
}

fn pack_screen(state: &AppState, pv: &PackView, ui: &Ui, f: &mut Frame, area: Rect) {
    use crate::app::Action as A;
    let c = &ui.catalog;
    let o = &pv.order;
    let s = &pv.session;
    let note_rows = u16::from(o.note.is_some());
    let banner_rows = if area.height >= 30 { 3 } else { 1 };
    let wide = area.width >= 100;
    let buttons = super::rules_view::buttons_line(state, pv, ui);
    let button_rows = u16::from(buttons.is_some());
    let [
        top,
        head,
        note_area,
        banner_area,
        body,
        buttons_area,
        buf_area,
        hint_area,
    ] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(2),
        Constraint::Length(note_rows),
        Constraint::Length(banner_rows),
        Constraint::Min(4),
        Constraint::Length(button_rows),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    if let Some(line) = buttons {
        f.render_widget(Paragraph::new(line), buttons_area);
    }
    f.render_widget(
        Paragraph::new(super::status_bar::line(state, ui, top.width)).style(ui.theme.status_bar),
        top,
    );

    // Header: the order number and the progress figure are always visible.
    let total = o.item_count();
    let done = s.scanned_total();
    let progress = format!(" {done}/{total} ");
    let state_word = match s.state {
        SessionState::Scanning => c.t("pack.state.scanning"),
        SessionState::Picked => c.t("pack.state.picked"),
        SessionState::Packed => c.t("pack.state.packed"),
        SessionState::Short => c.t("pack.state.short"),
    };
    let [head_l, head_r] = Layout::horizontal([
        Constraint::Min(20),
        Constraint::Length(progress.len() as u16 + 2),
    ])
    .areas(head);
    let mut carrier = sanitize(&o.shipping.carrier);
    if !o.shipping.service.is_empty() {
        carrier.push('/');
        carrier.push_str(&sanitize(&o.shipping.service));
    }
    if let Some(pp) = &o.shipping.pickup_point {
        carrier.push_str(&format!(" · {} {}", sanitize(&pp.id), sanitize(&pp.name)));
    }
    let mut line1 = vec![
        Span::styled(
            format!(" {} ", sanitize(&o.number)),
            ui.theme
                .title
                .add_modifier(Modifier::BOLD | Modifier::REVERSED),
        ),
        Span::raw(" "),
        Span::styled(
            sanitize(&o.customer.name),
            ui.theme.text.add_modifier(Modifier::BOLD),
        ),
        Span::styled(
            format!(
                " · {} {}",
                sanitize(&o.customer.city),
                sanitize(&o.customer.country)
            ),
            ui.theme.muted,
        ),
    ];
    if let Some(cod) = &o.cod {
        line1.push(Span::raw("  "));
        line1.push(Span::styled(
            format!("{} {cod}", c.t("col.cod")),
            ui.theme.cod.add_modifier(Modifier::BOLD),
        ));
    }
    let line2 = Line::from(vec![
        Span::styled(format!(" {}: ", c.t("pack.carrier")), ui.theme.muted),
        Span::styled(carrier, ui.theme.text),
        Span::styled(
            format!("  {} {}  ", c.t("pack.parcel"), s.current_parcel()),
            ui.theme.muted,
        ),
        Span::styled(state_word.to_string(), ui.theme.tab_active),
    ]);
    f.render_widget(Paragraph::new(vec![Line::from(line1), line2]), head_l);
    let prog_style = if s.state == SessionState::Scanning {
        ui.theme.progress
    } else {
        ui.theme.progress_done
    };
    f.render_widget(
        Paragraph::new(vec![
            Line::from(Span::styled(
                progress,
                prog_style.add_modifier(Modifier::BOLD),
            )),
            Line::from(Span::styled(
                c.t("pack.progress").to_string(),
                ui.theme.muted,
            )),
        ])
        .alignment(Alignment::Right),
        head_r,
    );
    if let Some(n) = &o.note {
        let style = if n.ack_required && !s.note_acked {
            ui.theme.banner_warn
        } else {
            ui.theme.muted
        };
        f.render_widget(
            Paragraph::new(format!(" {}: {}", c.t("pack.note"), sanitize(&n.text))).style(style),
            note_area,
        );
    }
    match &state.banner {
        Some(n) => banner(n, ui, f, banner_area),
        None => {
            let hint = if s.awaiting_serial.is_some() {
                c.t("banner.serial_prompt")
            } else {
                c.t("banner.scan_next")
            };
            f.render_widget(
                Paragraph::new(hint)
                    .style(ui.theme.banner_info)
                    .alignment(Alignment::Center),
                banner_area,
            );
        }
    }

    let (lines_area, side) = if wide {
        let [a, b] = Layout::horizontal([Constraint::Min(50), Constraint::Length(30)]).areas(body);
        (a, Some(b))
    } else {
        (body, None)
    };
    let header = Row::new(
        [c.t("pack.code"), c.t("pack.name"), c.t("pack.qty")].map(|t| Cell::from(t.to_string())),
    )
    .style(ui.theme.header);
    let body_rows = lines_area.height.saturating_sub(1) as usize;
    let first = pv.selected_line.saturating_sub(body_rows.saturating_sub(1));
    let rows: Vec<Row> = o
        .lines
        .iter()
        .zip(&s.lines)
        .enumerate()
        .skip(first)
        .take(body_rows)
        .map(|(i, (l, p))| {
            let style = if p.scanned > l.quantity {
                ui.theme.line_over
            } else if p.scanned == l.quantity {
                ui.theme.line_done
            } else if p.scanned > Qty::ZERO {
                ui.theme.line_partial
            } else {
                ui.theme.line_todo
            };
            let code = l.ean.clone().unwrap_or_else(|| format!("{} ✋", l.sku));
            let mut name = sanitize(&l.name);
            if l.needs_serial {
                name.push_str(&format!(" [SN {}]", p.serials.len()));
            }
            let row = Row::new(vec![
                Cell::from(sanitize(&code)),
                Cell::from(name),
                Cell::from(format!("{}/{}", p.scanned, l.quantity)),
            ])
            .style(style);
            if i == pv.selected_line {
                row.style(style.patch(ui.theme.selected))
            } else {
                row
            }
        })
        .collect();
    f.render_widget(
        Table::new(
            rows,
            [
                Constraint::Length(15),
                Constraint::Min(10),
                Constraint::Length(9),
            ],
        )
        .header(header)
        .column_spacing(1),
        lines_area,
    );
    if let Some(side) = side {
        let mut items: Vec<Line> = pv
            .last_scans
            .iter()
            .map(|l| {
                let (mark, st) = if l.ok {
                    ("✓", ui.theme.line_done)
                } else {
                    ("✗", ui.theme.error_text)
                };
                Line::from(Span::styled(format!("{mark} {}", sanitize(&l.code)), st))
            })
            .collect();
        for sh in &pv.shipments {
            let text = match sh.state {
                ShipmentState::Ready => format!(
                    "📦 {} {}",
                    sh.parcel_no,
                    sh.tracking_number.as_deref().unwrap_or("")
                ),
                ShipmentState::Failed => {
                    format!("✗ {} {}", sh.parcel_no, sh.error.as_deref().unwrap_or(""))
                }
                ShipmentState::Pending => format!("… {}", sh.parcel_no),
                ShipmentState::Dispatched => format!("🚚 {}", sh.parcel_no),
                ShipmentState::Dropped => format!("⊘ {}", sh.parcel_no),
            };
            let text = super::handover_view::with_status(text, sh);
            items.push(Line::from(Span::styled(sanitize(&text), ui.theme.muted)));
        }
        f.render_widget(
            Paragraph::new(items).block(
                Block::default()
                    .borders(Borders::LEFT)
                    .border_style(ui.theme.border)
                    .title(Span::styled(
                        c.t("pack.last_scans").to_string(),
                        ui.theme.title,
                    )),
            ),
            side,
        );
    }
    f.render_widget(Paragraph::new(scan_buffer(state, ui)), buf_area);
    f.render_widget(
        Paragraph::new(hints(
            state,
            ui,
            &[
                A::Help,
                A::Pack,
                A::NextParcel,
                A::Quantity,
                A::Manual,
                A::AckNote,
                A::Short,
                A::Ship,
                A::Undo,
                A::Back,
            ],
        )),
        hint_area,
    );
}

fn prompt(state: &AppState, ui: &Ui, f: &mut Frame, area: Rect) {
    let Some(p) = &state.prompt else { return };
    let key = match p.kind {
        PromptKind::Quantity => "prompt.quantity",
        PromptKind::Weight => "prompt.weight",
        PromptKind::ShortReason => "prompt.short_reason",
        PromptKind::Packer => "prompt.packer",
        PromptKind::Filter => "prompt.filter",
        PromptKind::Detail(d) => super::detail_view::prompt_key(d),
    };
    let r = overlay::centered(area, 50, 3);
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(sanitize(&p.input), ui.theme.scan_buffer),
            Span::styled("▏", ui.theme.scan_buffer),
        ]))
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(ui.theme.border_focused)
                .title(Span::styled(
                    format!(" {} ", ui.catalog.t(key)),
                    ui.theme.title,
                )),
        )
        .style(ui.theme.text),
        r,
    );
}

fn outbox(v: &crate::app::OutboxView, ui: &Ui, f: &mut Frame, area: Rect) {
    use crate::app::Action as A;
    let c = &ui.catalog;
    let (list, keys) = overlay::list_frame(ui, f, area, c.t("queue.outbox_title"));
    let empty = c.t("queue.outbox_empty");
    // Two text lines per entry: what and its state, then the reason.
    overlay::two_line_list(ui, f, list, &v.lines, v.selected, empty, |l, style| {
        let state_style = overlay::state_style(ui, &l.state);
        (
            Line::from(vec![
                Span::styled(format!("#{} {}", l.id, sanitize(&l.what)), style),
                Span::styled(format!("  {} ×{}", l.state, l.attempts), state_style),
            ]),
            match (&l.error, &l.batched_until) {
                (None, Some(t)) => {
                    overlay::second_line(ui, &c.tf("queue.outbox_batched", &[("time", t)]))
                }
                (e, _) => overlay::second_line(ui, e.as_deref().unwrap_or("")),
            },
        )
    });
    let spans = overlay::key_spans(ui, &[A::OutboxRetry, A::OutboxCancel, A::Outbox]);
    f.render_widget(Paragraph::new(Line::from(spans)), keys);
}

fn help(state: &AppState, ui: &Ui, f: &mut Frame, area: Rect) {
    let screen_ctx = if state.screen == Screen::Pack {
        KeyContext::Pack
    } else {
        KeyContext::Queue
    };
    // Every binding at once: two columns, or three where two do not hold them.
    let inner = overlay::frame(ui, f, area, ui.catalog.t("help.title"));
    let [cols, foot] = Layout::vertical([Constraint::Min(1), Constraint::Length(2)]).areas(inner);
    super::help_view::draw(ui, f, cols, &[screen_ctx, KeyContext::Global]);
    f.render_widget(
        Paragraph::new(ui.catalog.t("help.barcodes").to_string())
            .style(ui.theme.muted)
            .wrap(Wrap { trim: true }),
        foot,
    );
}
