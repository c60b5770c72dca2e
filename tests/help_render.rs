//! The help overlay at 80×24 shows every binding of the screen and every global one at
//! once (no scrolling, nothing cut), in English and Czech, on the pack and queue screens.

use chrono::{TimeZone, Utc};
use packdesk::app::{Action, AppState, Msg, Settings, update};
use packdesk::demo::{self, Special};
use packdesk::domain::{OrderState, OrderSummary};
use packdesk::i18n::{Catalog, Lang};
use packdesk::scan::{Assembler, ScanConfig};
use packdesk::tui::keymap::{KeyContext, Keymap};
use packdesk::tui::theme::Theme;
use packdesk::tui::{Ui, view};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn ui(lang: Lang) -> Ui {
    Ui {
        theme: Theme::builtin("default").expect("default theme"),
        keymap: Keymap::builtin("default").expect("default keymap"),
        catalog: Catalog::new(lang),
    }
}

fn screen_text(st: &AppState, ui: &Ui) -> (Vec<String>, Terminal<TestBackend>) {
    let mut t = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
    t.draw(|f| view(st, ui, f)).expect("draw");
    let buf = t.backend().buffer();
    let rows = (0..24)
        .map(|y| (0..80).map(|x| buf[(x, y)].symbol().to_string()).collect())
        .collect();
    (rows, t)
}

/// Every binding of `ctx` appears on one row as its key, two spaces and its text (in
/// English whole; in Czech the text's first word at least: the longest texts are cut).
fn assert_all_shown(rows: &[String], ui: &Ui, ctx: KeyContext, lang: Lang) {
    for b in ui.keymap.bindings(ctx) {
        let text = b.describe(&ui.catalog);
        let text = match lang {
            Lang::En => text,
            _ => text.split(' ').next().unwrap_or(text),
        };
        let want = format!("{}  {}", b.chord, text);
        assert!(
            rows.iter().any(|r| r.contains(&want)),
            "{lang:?} {ctx:?}: {want:?} not on screen:\n{}",
            rows.join("\n")
        );
    }
}

#[test]
fn help_shows_every_pack_and_global_binding_at_80x24() {
    let now = Utc
        .with_ymd_and_hms(2026, 11, 22, 9, 0, 0)
        .single()
        .unwrap_or_default();
    let orders = demo::generate(2026, 40, now);
    let rows: Vec<OrderSummary> = orders
        .iter()
        .map(|o| OrderSummary::of(o, OrderState::ToPack))
        .collect();
    for lang in [Lang::En, Lang::Cs] {
        let ui = ui(lang);
        let mut st = AppState::new(
            Settings::default(),
            Assembler::new(ScanConfig::default()),
            rows.clone(),
        );
        st.now = now;
        update(&mut st, Msg::Action(Action::Help));
        let (text, _) = screen_text(&st, &ui);
        assert_all_shown(&text, &ui, KeyContext::Queue, lang);
        assert_all_shown(&text, &ui, KeyContext::Global, lang);
        update(&mut st, Msg::Action(Action::Help));
        let big = &orders[Special::ManyLines.index()];
        update(
            &mut st,
            Msg::OrderLoaded {
                order: Box::new(big.clone()),
                session: None,
                shipments: vec![],
                via: None,
                photos: 0,
            },
        );
        update(&mut st, Msg::Action(Action::Help));
        let (text, t) = screen_text(&st, &ui);
        assert_all_shown(&text, &ui, KeyContext::Pack, lang);
        assert_all_shown(&text, &ui, KeyContext::Global, lang);
        if lang == Lang::En {
            insta::assert_snapshot!("help_pack_all_keys_80x24", t.backend());
        }
    }
}
