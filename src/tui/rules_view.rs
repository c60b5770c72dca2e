//! The rules on screen: the pack-screen buttons line, the rule banners and the rule-log
//! overlay (Ctrl+L). Pure rendering; every outside text passes `sanitize`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::keymap::KeyContext;
use super::overlay;
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

/// The rule-log overlay: the latest executions, newest first, two lines each.
pub fn overlay(v: &RulesView, ui: &Ui, f: &mut Frame, area: Rect) {
    let c = &ui.catalog;
    let (list, keys) = overlay::list_frame(ui, f, area, c.t("queue.rules_title"));
    let empty = c.t("queue.rules_empty");
    overlay::two_line_list(ui, f, list, &v.lines, v.selected, empty, |l, style| {
        let state_style = overlay::state_style(ui, &l.state);
        let state = match l.state.as_str() {
            "ok" => c.t("queue.rule_ok"),
            "failed" => c.t("queue.rule_failed"),
            "queued" => c.t("queue.rule_queued"),
            _ => c.t("queue.rule_running"),
        };
        (
            Line::from(vec![
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
            ]),
            overlay::second_line(ui, &l.detail),
        )
    });
    let spans = overlay::key_spans(ui, &[Action::RulesLog]);
    f.render_widget(Paragraph::new(Line::from(spans)), keys);
}
