//! The help overlay's key list: the screen's bindings, then the global ones, in as many
//! columns as it takes to show every binding at once (two where they fit; at 80×24 the
//! pack screen's bindings need three, each as wide as its own keys and texts). Where a
//! language's texts are too long for that (Czech, Polish at 80 columns), the widest
//! columns cut their longest texts; every key is still shown.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use super::keymap::KeyContext;
use super::view::Ui;

/// One line of the list: a context heading, or a key and what it does.
enum Entry {
    Heading(String),
    Key(String, String),
}

fn entries(ui: &Ui, contexts: &[KeyContext]) -> Vec<Entry> {
    let mut out = Vec::new();
    for ctx in contexts {
        out.push(Entry::Heading(format!("[{}]", ctx.name())));
        for b in ui.keymap.bindings(*ctx) {
            out.push(Entry::Key(
                b.chord.to_string(),
                b.describe(&ui.catalog).to_string(),
            ));
        }
    }
    out
}

/// The lines of one column, keys right-aligned to `key_w`.
fn lines(ui: &Ui, entries: &[Entry], key_w: usize) -> Vec<Line<'static>> {
    entries
        .iter()
        .map(|e| match e {
            Entry::Heading(h) => Line::from(Span::styled(h.clone(), ui.theme.header)),
            Entry::Key(k, d) => Line::from(vec![
                Span::styled(format!("{k:>key_w$}  "), ui.theme.key_hint),
                Span::styled(d.clone(), ui.theme.text),
            ]),
        })
        .collect()
}

fn key_width(entries: &[Entry]) -> usize {
    entries
        .iter()
        .filter_map(|e| match e {
            Entry::Key(k, _) => Some(k.width()),
            Entry::Heading(_) => None,
        })
        .max()
        .unwrap_or(0)
}

/// The columns one column of entries needs with its own key width.
fn natural_width(entries: &[Entry]) -> usize {
    let kw = key_width(entries);
    entries
        .iter()
        .map(|e| match e {
            Entry::Heading(h) => h.width(),
            Entry::Key(_, d) => kw + 2 + d.width(),
        })
        .max()
        .unwrap_or(0)
}

/// Draws the bindings of `contexts` into `area`.
pub fn draw(ui: &Ui, f: &mut Frame, area: Rect, contexts: &[KeyContext]) {
    let mut all = entries(ui, contexts);
    let per_col = (area.height as usize).max(1);
    if all.len() <= 2 * per_col {
        // Two halves, keys eight wide: every binding fits.
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                .areas(area);
        let second = all.split_off(all.len().min(per_col));
        f.render_widget(Paragraph::new(lines(ui, &all, 8)), left);
        f.render_widget(Paragraph::new(lines(ui, &second, 8)), right);
        return;
    }
    let mut cols: Vec<Vec<Entry>> = Vec::new();
    while !all.is_empty() {
        let rest = all.split_off(all.len().min(per_col));
        cols.push(std::mem::replace(&mut all, rest));
    }
    // Each column as wide as its keys and texts; where the texts of a language are too
    // long for that, the widest columns give way first (their longest texts are cut, every
    // key stays).
    let mut widths: Vec<usize> = cols.iter().map(|c| natural_width(c)).collect();
    let room = (area.width as usize).saturating_sub(cols.len().saturating_sub(1));
    while widths.iter().sum::<usize>() > room {
        match widths.iter_mut().max() {
            Some(w) if *w > 0 => *w -= 1,
            _ => break,
        }
    }
    let constraints: Vec<Constraint> = widths
        .iter()
        .map(|&w| Constraint::Length(w as u16))
        .collect();
    let areas = Layout::horizontal(constraints).spacing(1).split(area);
    for (col, r) in cols.iter().zip(areas.iter()) {
        f.render_widget(Paragraph::new(lines(ui, col, key_width(col))), *r);
    }
}
