//! The parts every overlay screen (outbox, print queue, rule log, hand-over, detail, help)
//! draws alike: the centred box, its frame and title, the key hints, and a paged list of
//! two-line entries.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::keymap::KeyContext;
use super::view::Ui;
use crate::app::Action;
use crate::domain::text::sanitize;

/// A `w`×`h` rectangle centred in `area` (shrunk to fit it).
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// Clears a 78-column box two lines short of `area`'s height, draws its focused border
/// with ` title `, and returns the area inside the border.
pub fn frame(ui: &Ui, f: &mut Frame, area: Rect, title: &str) -> Rect {
    let r = centered(area, 78, area.height.saturating_sub(2));
    f.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(ui.theme.border_focused)
        .title(Span::styled(format!(" {title} "), ui.theme.title));
    let inner = block.inner(r);
    f.render_widget(block, r);
    inner
}

/// [`frame`], split into the list area and a one-line key-hint area below it.
pub fn list_frame(ui: &Ui, f: &mut Frame, area: Rect, title: &str) -> (Rect, Rect) {
    let inner = frame(ui, f, area, title);
    let [list, keys] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
    (list, keys)
}

/// The key and name of each action that has a global key.
pub fn key_spans(ui: &Ui, actions: &[Action]) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    for &a in actions {
        if let Some(k) = ui.keymap.key_for(KeyContext::Global, a) {
            spans.push(Span::styled(format!("{k}"), ui.theme.key_hint));
            spans.push(Span::styled(
                format!(" {}  ", ui.catalog.action(a)),
                ui.theme.muted,
            ));
        }
    }
    spans
}

/// Draws `items` two text lines each (`entry` makes them, given the item and the style of
/// its first line: selected or not), paged so that the `selected` one stays visible; or
/// `empty` when there are none.
pub fn two_line_list<'a, T>(
    ui: &Ui,
    f: &mut Frame,
    area: Rect,
    items: &[T],
    selected: usize,
    empty: &str,
    mut entry: impl FnMut(&T, Style) -> (Line<'a>, Line<'a>),
) {
    if items.is_empty() {
        f.render_widget(
            Paragraph::new(empty.to_string())
                .style(ui.theme.muted)
                .wrap(Wrap { trim: true }),
            area,
        );
        return;
    }
    let per_page = (area.height as usize / 2).max(1);
    let first = selected.saturating_sub(per_page - 1);
    let mut lines = Vec::new();
    for (i, item) in items.iter().enumerate().skip(first).take(per_page) {
        let style = if i == selected {
            ui.theme.selected
        } else {
            ui.theme.text
        };
        let (a, b) = entry(item, style);
        lines.push(a);
        lines.push(b);
    }
    f.render_widget(Paragraph::new(lines), area);
}

/// The style of an entry's state: the error colour when it `failed`, else muted.
pub fn state_style(ui: &Ui, state: &str) -> Style {
    if state == "failed" {
        ui.theme.error_text
    } else {
        ui.theme.muted
    }
}

/// An entry's second line: `text` (sanitised), indented and muted.
pub fn second_line(ui: &Ui, text: &str) -> Line<'static> {
    Line::from(Span::styled(
        format!("   {}", sanitize(text)),
        ui.theme.muted,
    ))
}
