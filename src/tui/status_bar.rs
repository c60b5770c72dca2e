//! The status bar: one line, degraded deliberately when the terminal is narrow.
//!
//! Every item has a rank (what the packer can most easily do without), a full text and
//! usually a compact one. While the line is wider than the terminal, the lowest-ranked
//! item still in its full form takes its compact form; when none is left to shorten, the
//! lowest-ranked item that may go is dropped. What the packer must not miss never goes:
//! an unreachable shop and failed remote work (the carrier's or the shop's refusals
//! wait there), and the queue still loading. The pack screen's order number and progress
//! are in its header, which the status bar never takes room from.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use super::view::Ui;
use crate::app::AppState;
use crate::domain::text::sanitize;

/// How soon an item gives way: lower ranks shorten first, then go first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    Title,
    Quarter,
    Orders,
    Station,
    Jobs,
    SyncOk,
    Marked,
    Packer,
    Outbox,
    /// Never dropped: the queue is still loading.
    Loading,
    /// Never dropped: an unreachable shop, failed remote work.
    Alarm,
}

/// One item of the bar.
struct Item {
    rank: Rank,
    full: String,
    compact: Option<String>,
    style: Style,
    /// Station, packer and order count share one segment, joined by ` · `.
    grouped: bool,
    short: bool,
    shown: bool,
}

impl Item {
    fn new(rank: Rank, full: String, compact: Option<String>, style: Style) -> Item {
        Item {
            rank,
            full,
            compact,
            style,
            grouped: false,
            short: false,
            shown: true,
        }
    }

    fn grouped(mut self) -> Item {
        self.grouped = true;
        self
    }

    fn text(&self) -> &str {
        match (&self.compact, self.short) {
            (Some(c), true) => c,
            _ => &self.full,
        }
    }

    fn may_drop(&self) -> bool {
        self.rank < Rank::Loading
    }
}

/// The items the state calls for, in the order they are drawn.
fn items(state: &AppState, ui: &Ui) -> Vec<Item> {
    let c = &ui.catalog;
    let bar = ui.theme.status_bar;
    let mut out = vec![Item::new(
        Rank::Title,
        "packdesk".into(),
        None,
        ui.theme.title,
    )];
    let station = sanitize(&state.settings.station);
    out.push(
        Item::new(
            Rank::Station,
            c.tf("status.station", &[("station", &station)]),
            Some(station.clone()),
            bar,
        )
        .grouped(),
    );
    let packer = match &state.packer {
        Some(p) => {
            let p = sanitize(p);
            Item::new(
                Rank::Packer,
                c.tf("status.packer", &[("packer", &p)]),
                Some(p),
                bar,
            )
        }
        None => Item::new(
            Rank::Packer,
            c.t("status.no_packer").to_string(),
            Some(c.t("status.no_packer_short").to_string()),
            bar,
        ),
    };
    out.push(packer.grouped());
    let count = state.queue.len();
    out.push(
        Item::new(
            Rank::Orders,
            c.tf("status.orders", &[("count", &count)]),
            Some(c.tf("status.orders_short", &[("count", &count)])),
            bar,
        )
        .grouped(),
    );
    if let Some(sync) = &state.sync {
        let shop = sanitize(&sync.shop);
        if sync.ok {
            let base = c.tf("status.sync_ok", &[("shop", &shop)]);
            let full = match sync.quota.remaining {
                Some(r) => format!("{base} ({})", c.tf("status.quota", &[("remaining", &r)])),
                None => base.clone(),
            };
            out.push(Item::new(Rank::SyncOk, full, Some(base), bar));
        } else {
            out.push(Item::new(
                Rank::Alarm,
                c.tf("status.sync_failed", &[("shop", &shop)]),
                Some(c.tf("status.sync_failed_short", &[("shop", &shop)])),
                ui.theme.banner_warn,
            ));
        }
    }
    let o = &state.outbox;
    let pending = o.pending + o.in_flight;
    if pending > 0 || o.failed > 0 {
        let full = c.tf(
            "status.outbox",
            &[("pending", &pending), ("failed", &o.failed)],
        );
        let (rank, compact, style) = if o.failed > 0 {
            (
                Rank::Alarm,
                c.tf(
                    "status.outbox_failed_short",
                    &[("pending", &pending), ("failed", &o.failed)],
                ),
                ui.theme.banner_warn,
            )
        } else {
            (
                Rank::Outbox,
                c.tf("status.outbox_short", &[("pending", &pending)]),
                bar,
            )
        };
        out.push(Item::new(rank, full, Some(compact), style));
    }
    if !state.bench.marks.is_empty() {
        out.push(Item::new(
            Rank::Marked,
            c.tf("status.marked", &[("count", &state.bench.marks.len())]),
            None,
            ui.theme.banner_info,
        ));
    }
    if let Some(q) = state.bench.quarter {
        out.push(Item::new(
            Rank::Quarter,
            c.tf("status.quarter", &[("quarter", &q)]),
            Some(c.tf("status.quarter_short", &[("quarter", &q)])),
            bar,
        ));
    }
    if state.queue_loading.is_some() {
        out.push(Item::new(
            Rank::Loading,
            c.t("status.loading").to_string(),
            Some(c.t("status.loading_short").to_string()),
            ui.theme.banner_info,
        ));
    }
    if state.jobs > 0 {
        out.push(Item::new(
            Rank::Jobs,
            c.tf("status.jobs", &[("count", &state.jobs)]),
            Some(c.tf("status.jobs_short", &[("count", &state.jobs)])),
            ui.theme.banner_info,
        ));
    }
    out
}

/// The columns the shown items take: each segment is padded by a space on either side;
/// grouped items share one segment and are joined by ` · `.
fn width(items: &[Item]) -> usize {
    let mut w = 0;
    let mut in_group = false;
    for it in items.iter().filter(|i| i.shown) {
        let text = it.text().width();
        if it.grouped && in_group {
            w += 3 + text;
        } else {
            w += 2 + text;
        }
        in_group = it.grouped;
    }
    w
}

/// Shortens, then drops, items until the line fits `max` columns: the title goes first,
/// then every item that may go takes its compact form (lowest rank first) before any is
/// dropped (lowest rank first); the items that must stay shorten only when nothing else is
/// left.
fn fit(items: &mut [Item], max: usize) {
    while width(items) > max {
        let lowest = |keep: &dyn Fn(&Item) -> bool| {
            items
                .iter()
                .enumerate()
                .filter(|(_, i)| i.shown && keep(i))
                .min_by_key(|(_, i)| i.rank)
                .map(|(n, _)| n)
        };
        let can_shorten = |i: &Item| !i.short && i.compact.is_some();
        let step = lowest(&|i| i.rank == Rank::Title)
            .map(|n| (n, false))
            .or_else(|| lowest(&|i| i.may_drop() && can_shorten(i)).map(|n| (n, true)))
            .or_else(|| lowest(&|i| i.may_drop()).map(|n| (n, false)))
            .or_else(|| lowest(&can_shorten).map(|n| (n, true)));
        match step {
            Some((n, true)) => items[n].short = true,
            Some((n, false)) => items[n].shown = false,
            // Only items that must stay are left, all short: the terminal cuts the rest.
            None => return,
        }
    }
}

/// The status bar for a terminal `max` columns wide.
pub fn line(state: &AppState, ui: &Ui, max: u16) -> Line<'static> {
    let mut items = items(state, ui);
    fit(&mut items, usize::from(max));
    let mut spans = Vec::new();
    let mut group: Option<(String, Style)> = None;
    for it in items.iter().filter(|i| i.shown) {
        if it.grouped {
            match group.as_mut() {
                Some((text, _)) => {
                    text.push_str(" · ");
                    text.push_str(it.text());
                }
                None => group = Some((it.text().to_string(), it.style)),
            }
            continue;
        }
        if let Some((text, style)) = group.take() {
            spans.push(Span::styled(format!(" {text} "), style));
        }
        spans.push(Span::styled(format!(" {} ", it.text()), it.style));
    }
    if let Some((text, style)) = group.take() {
        spans.push(Span::styled(format!(" {text} "), style));
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(rank: Rank, full: &str, compact: Option<&str>) -> Item {
        Item::new(rank, full.into(), compact.map(Into::into), Style::default())
    }

    fn shown(items: &[Item]) -> Vec<&str> {
        items.iter().filter(|i| i.shown).map(Item::text).collect()
    }

    #[test]
    fn lesser_items_shorten_before_any_is_dropped_and_alarms_stay() {
        let mut items = vec![
            item(Rank::Title, "packdesk", None),
            item(Rank::Quarter, "A4 ¼3", Some("¼3")),
            item(Rank::Marked, "✓12", None),
            item(Rank::Alarm, "shop unreachable", Some("shop ✗")),
        ];
        let all = width(&items);
        fit(&mut items, all);
        assert_eq!(
            shown(&items),
            ["packdesk", "A4 ¼3", "✓12", "shop unreachable"]
        );
        fit(&mut items, all - 1);
        assert_eq!(
            shown(&items),
            ["A4 ¼3", "✓12", "shop unreachable"],
            "title first"
        );
        fit(&mut items, all - 11);
        assert_eq!(shown(&items), ["¼3", "✓12", "shop unreachable"]);
        fit(&mut items, all - 14);
        assert_eq!(shown(&items), ["✓12", "shop unreachable"]);
        fit(&mut items, 10);
        assert_eq!(shown(&items), ["shop ✗"], "only the alarm is left, short");
        fit(&mut items, 1);
        assert_eq!(shown(&items), ["shop ✗"], "an alarm is never dropped");
    }

    #[test]
    fn grouped_items_share_one_segment() {
        let mut items = vec![
            item(Rank::Station, "Station b", Some("b")),
            item(Rank::Packer, "Packer 4", Some("4")),
        ];
        for it in &mut items {
            it.grouped = true;
        }
        // " Station b · Packer 4 "
        assert_eq!(width(&items), 22);
    }
}
