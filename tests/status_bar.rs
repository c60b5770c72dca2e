//! The status bar at 80 columns and narrower: lesser items shorten, then go; an
//! unreachable shop, failed remote work, the marks and the next free quarter stay in view
//! at 80×24 even with sync and outbox items showing.

use chrono::{DateTime, TimeZone, Utc};
use packdesk::app::{AppState, Msg, Settings, update};
use packdesk::demo::{self, Special};
use packdesk::domain::{Order, OrderState, OrderSummary};
use packdesk::i18n::{Catalog, Lang};
use packdesk::scan::{Assembler, ScanConfig};
use packdesk::shop::Quota;
use packdesk::sync::SyncStatus;
use packdesk::tui::keymap::Keymap;
use packdesk::tui::theme::Theme;
use packdesk::tui::{Ui, view};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0)
        .single()
        .unwrap_or_default()
}

fn ui(lang: Lang) -> Ui {
    Ui {
        theme: Theme::builtin("default").expect("default theme"),
        keymap: Keymap::builtin("default").expect("default keymap"),
        catalog: Catalog::new(lang),
    }
}

fn orders() -> Vec<Order> {
    demo::generate(2026, 40, now())
}

/// A busy bench: shop synced with a quota, remote work waiting, three rows marked, the
/// next label on quarter 2, one background job.
fn busy(orders: &[Order], shop_ok: bool, failed: usize) -> AppState {
    let rows = orders
        .iter()
        .map(|o| OrderSummary::of(o, OrderState::ToPack))
        .collect();
    let settings = Settings {
        station: "bench-1".into(),
        ..Settings::default()
    };
    let mut st = AppState::new(settings, Assembler::new(ScanConfig::default()), rows);
    st.now = now();
    st.packer = Some("42".into());
    st.sync = Some(SyncStatus {
        shop: "upgates".into(),
        ok: shop_ok,
        changed: 0,
        quota: Quota {
            remaining: Some(25),
            limit: Some(60),
        },
        error: (!shop_ok).then(|| "cannot reach the shop".into()),
    });
    st.outbox.pending = 2;
    st.outbox.failed = failed;
    for o in &orders[..3] {
        st.bench.marks.toggle(&o.key());
    }
    st.bench.quarter = Some(2);
    st.jobs = 1;
    st
}

fn top_line(st: &AppState, ui: &Ui, w: u16, h: u16) -> (String, Terminal<TestBackend>) {
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    t.draw(|f| view(st, ui, f)).expect("draw");
    let buf = t.backend().buffer();
    let line = (0..w).map(|x| buf[(x, 0)].symbol().to_string()).collect();
    (line, t)
}

#[test]
fn at_80_columns_marks_and_quarter_stay_beside_sync_and_outbox() {
    let o = orders();
    let st = busy(&o, true, 0);
    let ui = ui(Lang::En);
    let (line, t) = top_line(&st, &ui, 80, 24);
    for must in ["✓3", "¼2", "upgates ✓", "sending 2", "bench-1", "42"] {
        assert!(line.contains(must), "{must:?} missing from {line:?}");
    }
    // Shortened, not cut: the bar ends in spaces, and the lesser items are compact.
    assert!(line.ends_with(' '), "{line:?}");
    assert!(!line.contains("requests left"), "{line:?}");
    insta::assert_snapshot!("status_busy_80x24", t.backend());

    // At 140 columns everything has its full form.
    let (wide, _) = top_line(&st, &ui, 140, 40);
    for must in [
        "packdesk",
        "Station bench-1",
        "Orders: 40",
        "25 requests left",
        "A4 ¼2",
    ] {
        assert!(wide.contains(must), "{must:?} missing from {wide:?}");
    }
}

#[test]
fn narrow_terminal_keeps_the_alarms_and_drops_the_rest_in_order() {
    let o = orders();
    let st = busy(&o, false, 3);
    let ui = ui(Lang::En);
    let (line, t) = top_line(&st, &ui, 80, 24);
    for must in ["upgates unreachable", "failed 3", "✓3", "¼2"] {
        assert!(line.contains(must), "{must:?} missing at 80: {line:?}");
    }
    insta::assert_snapshot!("status_alarms_80x24", t.backend());

    let (line, t) = top_line(&st, &ui, 50, 24);
    for must in ["upgates unreachable", "failed 3"] {
        assert!(line.contains(must), "{must:?} missing at 50: {line:?}");
    }
    assert!(
        !line.contains("¼2"),
        "the quarter goes before the alarms: {line:?}"
    );
    insta::assert_snapshot!("status_alarms_50x24", t.backend());

    // Narrower still: the alarms take their compact forms, and are still there.
    let (line, _) = top_line(&st, &ui, 20, 10);
    assert!(line.contains("upgates ✗"), "{line:?}");
    assert!(line.contains("✗3"), "{line:?}");
}

#[test]
fn pack_screen_bar_degrades_the_same_way_and_keeps_the_order_and_progress() {
    let o = orders();
    let big = &o[Special::ManyLines.index()];
    let mut st = busy(&o, false, 1);
    update(
        &mut st,
        Msg::OrderLoaded {
            order: Box::new(big.clone()),
            session: None,
            shipments: vec![],
            via: Some(big.number.clone()),
            photos: 0,
        },
    );
    let ui = ui(Lang::Cs);
    let (line, t) = top_line(&st, &ui, 60, 24);
    assert!(line.contains("upgates nedostupný"), "{line:?}");
    assert!(
        line.contains("✗1") || line.contains("selhalo 1"),
        "{line:?}"
    );
    let text = format!("{}", t.backend());
    assert!(text.contains(&big.number), "order number visible:\n{text}");
    assert!(
        text.contains(&format!("0/{}", big.item_count())),
        "progress visible:\n{text}"
    );
    insta::assert_snapshot!("status_pack_cs_60x24", t.backend());
}
