//! The view's side of held orders (`app::held`): the banners, the Held tab's shop-status
//! column, and a tab strip that keeps the selected tab on screen at 80 columns (seven
//! tabs with their counts do not fit there).

use ratatui::text::{Line, Span};

use super::view::Ui;
use crate::app::AppState;
use crate::app::held::HeldNote;
use crate::app::queue::QueueRow;
use crate::domain::OrderState;
use crate::domain::text::sanitize;
use crate::i18n::Catalog;

/// The banner text of a held-order note.
pub fn note_text(n: &HeldNote, c: &Catalog) -> String {
    match n {
        HeldNote::HeldWhileOpen { number, status } => c.tf(
            "banner.held_while_open",
            &[("number", number), ("status", status)],
        ),
        HeldNote::CancelledWhileOpen { number } => {
            c.tf("banner.cancelled_while_open", &[("number", number)])
        }
    }
}

/// Whether the queue shows the Held tab.
pub fn on_held_tab(state: &AppState) -> bool {
    state.queue.tab_state() == OrderState::Held
}

/// The catalog key of the third column's header: the shop status on the Held tab, the
/// carrier elsewhere.
pub fn third_header(state: &AppState) -> &'static str {
    if on_held_tab(state) {
        "col.shop_status"
    } else {
        "col.carrier"
    }
}

/// The third column of a row: on the Held tab the order's shop status (its name where
/// the shop's list is known), elsewhere `carrier`. Sanitised.
pub fn third_cell(state: &AppState, row: &QueueRow, carrier: &str) -> String {
    if on_held_tab(state) {
        sanitize(&state.held.label(row.shop_status()))
    } else {
        sanitize(carrier)
    }
}

/// The tab strip: ` title │ title │ … ` like ratatui's `Tabs`, all of it when it fits in
/// `width`, else a window of whole tabs around the selected one with `‹` / `›` where
/// tabs are cut off.
pub fn tabs_line(titles: &[String], selected: usize, width: u16, ui: &Ui) -> Line<'static> {
    let width = width as usize;
    let cell = |t: &String| t.chars().count() + 2;
    let span_of =
        |a: usize, b: usize| -> usize { titles[a..=b].iter().map(cell).sum::<usize>() + (b - a) };
    let n = titles.len();
    if n == 0 {
        return Line::default();
    }
    let selected = selected.min(n - 1);
    let (mut a, mut b) = (selected, selected);
    if span_of(0, n - 1) <= width {
        (a, b) = (0, n - 1);
    } else {
        // Room for the markers on both sides.
        let fits = |a: usize, b: usize| {
            span_of(a, b) + usize::from(a > 0) + usize::from(b + 1 < n) <= width
        };
        while b + 1 < n && fits(a, b + 1) {
            b += 1;
        }
        while a > 0 && fits(a - 1, b) {
            a -= 1;
        }
    }
    let mut spans = Vec::new();
    if a > 0 {
        spans.push(Span::styled("‹", ui.theme.muted));
    }
    for (i, t) in titles.iter().enumerate().take(b + 1).skip(a) {
        if i > a {
            spans.push(Span::styled("│", ui.theme.tab));
        }
        let style = if i == selected {
            ui.theme.tab_active
        } else {
            ui.theme.tab
        };
        spans.push(Span::styled(" ", ui.theme.tab));
        spans.push(Span::styled(t.clone(), style));
        spans.push(Span::styled(" ", ui.theme.tab));
    }
    if b + 1 < n {
        spans.push(Span::styled("›", ui.theme.muted));
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ui() -> Ui {
        Ui {
            theme: crate::tui::theme::Theme::builtin("default").expect("theme"),
            keymap: crate::tui::keymap::Keymap::builtin("default").expect("keymap"),
            catalog: Catalog::new(crate::i18n::Lang::En),
        }
    }

    fn text(l: &Line) -> String {
        l.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn the_tab_strip_keeps_the_selected_tab_whole_and_marks_what_is_cut() {
        let titles: Vec<String> = ["To pack (3)", "In progress (0)", "Packed (1)", "Held (2)"]
            .map(String::from)
            .to_vec();
        // Room for all: as ratatui's Tabs draws them.
        let all = text(&tabs_line(&titles, 0, 80, &ui()));
        assert_eq!(
            all,
            " To pack (3) │ In progress (0) │ Packed (1) │ Held (2) "
        );
        // 30 columns: the first tab selected keeps the start, the rest is marked.
        let start = text(&tabs_line(&titles, 0, 30, &ui()));
        assert!(start.starts_with(" To pack (3) "), "{start}");
        assert!(start.ends_with('›'), "{start}");
        assert!(start.chars().count() <= 30, "{start}");
        // The last selected: the window ends with it, whole, cut on the left.
        let end = text(&tabs_line(&titles, 3, 30, &ui()));
        assert!(end.starts_with('‹'), "{end}");
        assert!(end.ends_with(" Held (2) "), "{end}");
        assert!(end.chars().count() <= 30, "{end}");
        assert!(text(&tabs_line(&[], 0, 30, &ui())).is_empty());
    }
}
