//! The rules on screen: the pack-screen buttons line, the rule banners and the rule-log
//! overlay (Ctrl+L). Pure rendering; every outside text passes `sanitize`.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::keymap::KeyContext;
use super::view::Ui;
use crate::app::rules::{BUTTON_ACTIONS, RulesView};
use crate::app::{Action, AppState, Notice, PackView};
use crate::domain::text::sanitize;
use crate::i18n::Catalog;

/// The buttons of the open order (key and label), or `None` when it has none.
pub fn buttons_line<'a>(state: &AppState, pv: &PackView, ui: &'a Ui) -> Option<Line<'a>> {
    let buttons = state.rules.buttons_for(&pv.order.shop_status);
    if buttons.is_empty() {
        return None;
    }
    let mut spans = vec![Span::styled(
        format!(" {}: ", ui.catalog.t("pack.buttons")),
        ui.theme.muted,
    )];
    for (b, a) in buttons.iter().zip(BUTTON_ACTIONS) {
        if let Some(k) = ui.keymap.key_for(KeyContext::Pack, a) {
            spans.push(Span::styled(format!("{k}"), ui.theme.key_hint));
            spans.push(Span::raw(" "));
        }
        spans.push(Span::styled(sanitize(&b.label), ui.theme.text));
        spans.push(Span::raw("  "));
    }
    Some(Line::from(spans))
}

/// The banner text of the rule notices; `None` for other notices.
pub fn notice_text(n: &Notice, c: &Catalog) -> Option<String> {
    Some(match n {
        Notice::RuleFailed {
            rule,
            action,
            error,
        } => c.tf(
            "banner.rule_failed",
            &[
                ("rule", &sanitize(rule)),
                ("action", action),
                ("error", &sanitize(error)),
            ],
        ),
        Notice::RuleUnknownEvent { name } => {
            c.tf("banner.rule_unknown_event", &[("name", &sanitize(name))])
        }
        Notice::RuleFired { label } => c.tf("banner.rule_fired", &[("label", &sanitize(label))]),
        _ => return None,
    })
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

/// The rule-log overlay: the latest executions, newest first, two lines each.
pub fn overlay(v: &RulesView, ui: &Ui, f: &mut Frame, area: Rect) {
    let c = &ui.catalog;
    let r = centered(area, 78, area.height.saturating_sub(2));
    f.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(ui.theme.border_focused)
        .title(Span::styled(
            format!(" {} ", c.t("queue.rules_title")),
            ui.theme.title,
        ));
    let inner = block.inner(r);
    f.render_widget(block, r);
    let [list, keys] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
    if v.lines.is_empty() {
        f.render_widget(
            Paragraph::new(c.t("queue.rules_empty"))
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
            let state = match l.state.as_str() {
                "ok" => c.t("queue.rule_ok"),
                "failed" => c.t("queue.rule_failed"),
                _ => c.t("queue.rule_running"),
            };
            lines.push(Line::from(vec![
                Span::styled(
                    format!(
                        "#{} {} {} · {} · {}",
                        l.id,
                        l.at,
                        sanitize(&l.rule),
                        sanitize(&l.event),
                        sanitize(&l.order_key)
                    ),
                    style,
                ),
                Span::styled(format!("  {state}"), state_style),
            ]));
            lines.push(Line::from(Span::styled(
                format!("   {}", sanitize(&l.detail)),
                ui.theme.muted,
            )));
        }
        f.render_widget(Paragraph::new(lines), list);
    }
    let mut spans = Vec::new();
    if let Some(k) = ui.keymap.key_for(KeyContext::Global, Action::RulesLog) {
        spans.push(Span::styled(format!("{k}"), ui.theme.key_hint));
        spans.push(Span::styled(
            format!(" {}  ", c.action(Action::RulesLog)),
            ui.theme.muted,
        ));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), keys);
}
