//! The print-queue screen (an overlay like the outbox screen), the printing parts of the
//! status bar (next free A4 quarter, rows marked for bulk work), the mark in a queue row,
//! and the words of the printing banners.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::keymap::KeyContext;
use super::view::Ui;
use crate::app::AppState;
use crate::app::print::{BenchNotice, PrintView};
use crate::domain::text::sanitize;
use crate::i18n::Catalog;

/// The mark shown before a marked queue row's number.
pub const MARK: &str = "✓";

/// `✓` for a row marked for bulk work, else nothing.
pub fn mark(state: &AppState, key: &str) -> &'static str {
    if state.bench.marks.contains(key) {
        MARK
    } else {
        ""
    }
}

/// Status bar: where the next 4-up label goes, and how many rows are marked.
pub fn status_spans(state: &AppState, ui: &Ui) -> Vec<Span<'static>> {
    let c = &ui.catalog;
    let mut out = Vec::new();
    if !state.bench.marks.is_empty() {
        out.push(Span::styled(
            format!(
                " {} ",
                c.tf("status.marked", &[("count", &state.bench.marks.len())])
            ),
            ui.theme.banner_info,
        ));
    }
    if let Some(q) = state.bench.quarter {
        out.push(Span::styled(
            format!(" {} ", c.tf("status.quarter", &[("quarter", &q)])),
            ui.theme.status_bar,
        ));
    }
    out
}

/// The banner text of a printing notice (outside text sanitised).
pub fn notice_text(n: &BenchNotice, c: &Catalog) -> String {
    match n {
        BenchNotice::SlipQueued { number } => {
            c.tf("banner.slip_queued", &[("number", &sanitize(number))])
        }
        BenchNotice::SlipFailed { error } => {
            c.tf("banner.slip_failed", &[("error", &sanitize(error))])
        }
        BenchNotice::NewSheet => c.t("banner.new_sheet").into(),
        BenchNotice::NothingMarked => c.t("banner.nothing_marked").into(),
        BenchNotice::Marked { count } => c.tf("banner.marked", &[("count", count)]),
        BenchNotice::BulkShipped { queued, skipped } => c.tf(
            "banner.bulk_shipped",
            &[("queued", queued), ("skipped", skipped)],
        ),
        BenchNotice::BulkLabels { labels, skipped } => c.tf(
            "banner.bulk_labels",
            &[("labels", labels), ("skipped", skipped)],
        ),
        BenchNotice::BulkFailed { error } => {
            c.tf("banner.bulk_failed", &[("error", &sanitize(error))])
        }
        BenchNotice::NoPrinters => c.t("banner.no_printers").into(),
        BenchNotice::QueueError { error } => {
            c.tf("banner.print_queue_error", &[("error", &sanitize(error))])
        }
    }
}

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// The print-queue screen: waiting and failed jobs first, then recent ones; two lines a
/// job (name, state, tries, printer; then the last error).
pub fn print_queue(v: &PrintView, ui: &Ui, f: &mut Frame, area: Rect) {
    use crate::app::Action as A;
    let c = &ui.catalog;
    let r = centered(area, 78, area.height.saturating_sub(2));
    f.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(ui.theme.border_focused)
        .title(Span::styled(
            format!(" {} ", c.t("queue.print_title")),
            ui.theme.title,
        ));
    let inner = block.inner(r);
    f.render_widget(block, r);
    let [list, keys] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
    if v.lines.is_empty() {
        f.render_widget(
            Paragraph::new(c.t("queue.print_empty"))
                .style(ui.theme.muted)
                .wrap(Wrap { trim: true }),
            list,
        );
    } else {
        let per_page = (list.height as usize / 2).max(1);
        let first = v.selected.saturating_sub(per_page - 1);
        let mut lines = Vec::new();
        for (i, l) in v.lines.iter().enumerate().skip(first).take(per_page) {
            let style = if i == v.selected {
                ui.theme.selected
            } else {
                ui.theme.text
            };
            let state_style = if l.state == "failed" {
                ui.theme.error_text
            } else {
                ui.theme.muted
            };
            lines.push(Line::from(vec![
                Span::styled(format!("#{} {}", l.id, sanitize(&l.name)), style),
                Span::styled(
                    format!(
                        "  {} · {} · {}",
                        l.state,
                        c.tf("queue.print_attempts", &[("count", &l.attempts)]),
                        sanitize(&l.printer)
                    ),
                    state_style,
                ),
            ]));
            lines.push(Line::from(Span::styled(
                format!("   {}", sanitize(l.error.as_deref().unwrap_or(""))),
                ui.theme.muted,
            )));
        }
        f.render_widget(Paragraph::new(lines), list);
    }
    let mut spans = Vec::new();
    for a in [A::OutboxRetry, A::OutboxCancel, A::PrintQueue] {
        if let Some(k) = ui.keymap.key_for(KeyContext::Global, a) {
            spans.push(Span::styled(format!("{k}"), ui.theme.key_hint));
            spans.push(Span::styled(format!(" {}  ", c.action(a)), ui.theme.muted));
        }
    }
    f.render_widget(Paragraph::new(Line::from(spans)), keys);
}
