//! The print-queue screen (an overlay like the outbox screen), the mark in a queue row,
//! and the words of the printing banners (the status bar's printing items, the next free
//! A4 quarter and the marked rows, are in `status_bar.rs`).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::overlay;
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
        BenchNotice::MarksNotSaved { error } => {
            c.tf("banner.marks_not_saved", &[("error", &sanitize(error))])
        }
        BenchNotice::MarksNotRead { error } => {
            c.tf("banner.marks_not_read", &[("error", &sanitize(error))])
        }
    }
}

/// The print-queue screen: waiting and failed jobs first, then recent ones; two lines a
/// job (name, state, tries, printer; then the last error).
pub fn print_queue(v: &PrintView, ui: &Ui, f: &mut Frame, area: Rect) {
    use crate::app::Action as A;
    let c = &ui.catalog;
    let (list, keys) = overlay::list_frame(ui, f, area, c.t("queue.print_title"));
    let empty = c.t("queue.print_empty");
    overlay::two_line_list(ui, f, list, &v.lines, v.selected, empty, |l, style| {
        let state_style = overlay::state_style(ui, &l.state);
        (
            Line::from(vec![
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
            ]),
            overlay::second_line(ui, l.error.as_deref().unwrap_or("")),
        )
    });
    let spans = overlay::key_spans(ui, &[A::OutboxRetry, A::OutboxCancel, A::PrintQueue]);
    f.render_widget(Paragraph::new(Line::from(spans)), keys);
}
