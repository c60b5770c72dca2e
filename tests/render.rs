//! Render snapshots with ratatui's TestBackend at 80×24 and 120×40: the queue, the pack
//! screen with a rejection, a prompt and the help overlay.

use chrono::{DateTime, TimeZone, Utc};
use packdesk::app::{Action, AppState, Edit, Looked, Msg, Settings, update};
use packdesk::demo::{self, Special};
use packdesk::domain::{Order, OrderState, OrderSummary};
use packdesk::i18n::Lang;
use packdesk::scan::{Assembler, KeyIn, ScanConfig};
use packdesk::tui::{Ui, view};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

mod common;
use common::render::ui;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0)
        .single()
        .unwrap_or_default()
}

fn orders() -> Vec<Order> {
    demo::generate(2026, 40, now())
}

fn state(orders: &[Order]) -> AppState {
    let rows = orders
        .iter()
        .map(|o| {
            OrderSummary::of(
                o,
                if o.cancelled {
                    OrderState::Cancelled
                } else {
                    OrderState::ToPack
                },
            )
        })
        .collect();
    let settings = Settings {
        station: "bench-1".into(),
        ..Settings::default()
    };
    let mut st = AppState::new(settings, Assembler::new(ScanConfig::default()), rows);
    st.now = now();
    st.packer = Some("42".into());
    st
}

fn open(st: &mut AppState, o: &Order) {
    update(
        st,
        Msg::OrderLoaded {
            order: Box::new(o.clone()),
            session: None,
            shipments: vec![],
            via: Some(o.number.clone()),
            photos: 0,
        },
    );
}

fn scan(st: &mut AppState, code: &str, known: bool) {
    for c in code.chars() {
        st.now_ms += 5;
        update(st, Msg::ScanKey(KeyIn::Char(c)));
    }
    st.now_ms += 500;
    let fx = update(st, Msg::ScanKey(KeyIn::Enter));
    if let Some(packdesk::app::Effect::Lookup(packdesk::app::Lookup::Code(s))) =
        fx.into_iter().next()
    {
        update(
            st,
            Msg::Looked(Looked::Code {
                scan: s,
                order_key: None,
                known,
            }),
        );
    }
}

fn draw(st: &AppState, ui: &Ui, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    t.draw(|f| view(st, ui, f)).expect("draw");
    t
}

fn row_text(buf: &Buffer, y: u16) -> String {
    (0..buf.area.width)
        .map(|x| buf[(x, y)].symbol().to_string())
        .collect()
}

fn find_row(buf: &Buffer, needle: &str) -> Option<u16> {
    (0..buf.area.height).find(|y| row_text(buf, *y).contains(needle))
}

#[test]
fn queue_80x24_and_120x40() {
    let o = orders();
    let st = state(&o);
    let ui = ui(Lang::En);
    insta::assert_snapshot!("queue_80x24", draw(&st, &ui, 80, 24).backend());
    insta::assert_snapshot!("queue_120x40", draw(&st, &ui, 120, 40).backend());
}

#[test]
fn pack_screen_with_rejection_keeps_number_banner_and_progress_at_80x24() {
    let o = orders();
    let big = &o[Special::ManyLines.index()];
    let mut st = state(&o);
    open(&mut st, big);
    let first = big.lines[0].ean.clone().expect("ean");
    scan(&mut st, &first, true);
    scan(&mut st, "5901234123457", false);
    let ui = ui(Lang::En);
    for (w, h, name) in [
        (80, 24, "pack_rejected_80x24"),
        (120, 40, "pack_rejected_120x40"),
    ] {
        let t = draw(&st, &ui, w, h);
        let buf = t.backend().buffer();
        assert!(
            find_row(buf, &big.number).is_some(),
            "order number visible at {w}x{h}"
        );
        assert!(
            find_row(buf, &format!("1/{}", big.item_count())).is_some(),
            "progress visible at {w}x{h}"
        );
        let y = find_row(buf, "Unknown code: 5901234123457").expect("banner visible");
        // The banner is full width and red: every cell of its row has the error style.
        let err = ui.theme.banner_error;
        for x in 0..w {
            assert_eq!(
                buf[(x, y)].bg,
                err.bg.unwrap_or_default(),
                "banner cell {x} at {w}x{h}"
            );
        }
        insta::assert_snapshot!(name, t.backend());
    }
}

#[test]
fn czech_pack_screen_with_note_and_cod() {
    let o = orders();
    let note = &o[Special::AckNote.index()];
    let mut st = state(&o);
    open(&mut st, note);
    let t = draw(&st, &ui(Lang::Cs), 80, 24);
    let text = format!("{}", t.backend());
    assert!(
        text.contains("Přečtěte") || text.contains("poznámk"),
        "{text}"
    );
    insta::assert_snapshot!("pack_note_cs_80x24", t.backend());
    let cod = &o[Special::CodPickup.index()];
    open(&mut st, cod);
    let t = draw(&st, &ui(Lang::Pl), 120, 40);
    insta::assert_snapshot!("pack_cod_pl_120x40", t.backend());
}

#[test]
fn weight_prompt_and_help_overlay() {
    let o = orders();
    let plain = &o[Special::PlainTwoLines.index()];
    let mut st = state(&o);
    st.settings.require_weight = true;
    open(&mut st, plain);
    for l in &plain.lines {
        scan(&mut st, l.ean.as_deref().unwrap_or(&l.sku), true);
    }
    update(&mut st, Msg::Action(Action::Pack));
    update(&mut st, Msg::Edit(Edit::Char('5')));
    let ui = ui(Lang::En);
    insta::assert_snapshot!("weight_prompt_80x24", draw(&st, &ui, 80, 24).backend());
    update(&mut st, Msg::Edit(Edit::Cancel));
    update(&mut st, Msg::Action(Action::Help));
    let t = draw(&st, &ui, 80, 24);
    let text = format!("{}", t.backend());
    assert!(
        text.contains("F2") && text.contains("Pack"),
        "help lists the pack keys:\n{text}"
    );
    insta::assert_snapshot!("help_pack_80x24", t.backend());
}

#[test]
fn control_characters_from_orders_never_reach_the_screen() {
    let mut o = orders();
    o[0].customer.name = "Evil\u{1b}[2J\u{1b}]0;owned\u{7}Name".into();
    o[0].lines[0].name = "Mug\u{9b}31m red".into();
    let mut st = state(&o);
    let first = o[0].clone();
    open(&mut st, &first);
    let t = draw(&st, &ui(Lang::En), 100, 30);
    let buf = t.backend().buffer();
    for cell in buf.content() {
        assert!(
            !cell.symbol().chars().any(char::is_control),
            "control char drawn: {:?}",
            cell.symbol()
        );
    }
    let text = format!("{}", t.backend());
    assert!(text.contains("EvilName"), "{text}");
}

/// The rules' pack-screen buttons fit at 80×24 with the order number, the banner, the
/// progress and the scan line; a failed rule's banner names the rule and the reason; the
/// rule-log overlay lists executions.
#[test]
fn pack_screen_with_rule_buttons_and_a_failed_rule_at_80x24() {
    let o = orders();
    let big = &o[Special::ManyLines.index()];
    let mut st = state(&o);
    let rules = format!(
        r#"
[[rule]]
name = "gift"
event = "custom:gift"
actions = [{{ add_note = {{ text = "gift" }} }}]

[[button]]
label = "Gift wrap"
event = "custom:gift"
statuses = ["{}"]
"#,
        big.shop_status
    );
    let set =
        packdesk::rules::RuleSet::parse(std::path::Path::new("rules.toml"), &rules).expect("rules");
    st.rules = packdesk::app::rules::RulesState::from_rules(&set);
    open(&mut st, big);
    update(
        &mut st,
        Msg::Rule(packdesk::app::rules::RuleNote::Failed {
            rule: "ship\u{1b}[2J".into(),
            action: "create_shipment".into(),
            order_key: big.key(),
            error: "carrier refused".into(),
        }),
    );
    let ui = ui(Lang::En);
    let t = draw(&st, &ui, 80, 24);
    let buf = t.backend().buffer();
    let buttons = find_row(buf, "Gift wrap").expect("button visible");
    assert!(
        row_text(buf, buttons).contains("A-1"),
        "{}",
        row_text(buf, buttons)
    );
    assert!(find_row(buf, &big.number).is_some(), "order number visible");
    assert!(
        find_row(buf, &format!("0/{}", big.item_count())).is_some(),
        "progress visible"
    );
    let banner = find_row(buf, "carrier refused").expect("failure banner");
    assert!(row_text(buf, banner).contains("create_shipment"));
    assert!(!row_text(buf, banner).contains('\u{1b}'));
    // The button row sits above the scan line and the key hints.
    assert!(buttons < 22, "button row {buttons}");

    // No buttons for other statuses: the row is not there.
    let mut other = big.clone();
    other.shop_status = "something else".into();
    let mut st2 = state(&o);
    st2.rules = packdesk::app::rules::RulesState::from_rules(&set);
    open(&mut st2, &other);
    assert!(find_row(draw(&st2, &ui, 80, 24).backend().buffer(), "Gift wrap").is_none());

    // The rule log overlay.
    update(&mut st, Msg::Action(Action::RulesLog));
    update(
        &mut st,
        Msg::RuleLog(Ok(vec![packdesk::app::rules::RuleLine {
            id: 7,
            rule: "gift".into(),
            event: "custom:gift".into(),
            order_key: big.key(),
            state: "failed".into(),
            at: "10:11:12".into(),
            detail: "add_note: shop refused".into(),
        }])),
    );
    let t = draw(&st, &ui, 80, 24);
    let buf = t.backend().buffer();
    assert!(find_row(buf, "Automatic actions").is_some());
    assert!(find_row(buf, "#7 10:11:12 gift").is_some());
    assert!(find_row(buf, "add_note: shop refused").is_some());
}

#[test]
fn outbox_says_until_when_a_batched_update_waits() {
    let o = orders();
    let mut st = state(&o);
    update(&mut st, Msg::Action(packdesk::app::Action::Outbox));
    let line =
        |id, what: &str, error: Option<&str>, batched: Option<&str>| packdesk::app::OutboxLine {
            id,
            what: what.into(),
            state: "pending".into(),
            attempts: 0,
            error: error.map(str::to_string),
            batched_until: batched.map(str::to_string),
        };
    update(
        &mut st,
        Msg::OutboxEntries(Ok(vec![
            line(
                8,
                "shop update CZ250040, status 4, tracking 40000042702",
                None,
                Some("10:52:13"),
            ),
            line(
                9,
                "shipment CZ250041-1",
                Some("cp: recipient ZIP invalid"),
                None,
            ),
        ])),
    );
    for (lang, text) in [
        (Lang::En, "goes by 10:52:13"),
        (Lang::Cs, "nejpozději v 10:52:13"),
        (Lang::Pl, "najpóźniej o 10:52:13"),
    ] {
        let t = draw(&st, &ui(lang), 80, 24);
        let buf = t.backend().buffer();
        assert!(find_row(buf, text).is_some(), "{lang:?}: {text}");
        assert!(find_row(buf, "recipient ZIP invalid").is_some());
    }
}

/// The rule log shows a rule whose shop changes wait in the outbox as queued, then done
/// or failed with the shop's reason (80×24, English and Czech).
#[test]
fn rule_log_states_queued_done_failed_at_80x24() {
    let o = orders();
    let line = |id: u64, state: &str, detail: &str| packdesk::app::rules::RuleLine {
        id,
        rule: format!("rule {id}"),
        event: "packed".into(),
        order_key: o[0].key(),
        state: state.into(),
        at: "10:11:12".into(),
        detail: detail.into(),
    };
    let mut st = state(&o);
    update(&mut st, Msg::Action(Action::RulesLog));
    update(
        &mut st,
        Msg::RuleLog(Ok(vec![
            line(3, "queued", "set_status, add_history"),
            line(2, "ok", "set_status"),
            line(1, "failed", "set_status: upgates: Unknown status 999"),
        ])),
    );
    for (lang, queued, done, failed) in [
        (Lang::En, "queued (waits for the shop)", "done", "FAILED"),
        (Lang::Cs, "ve frontě (čeká na obchod)", "hotovo", "SELHALO"),
    ] {
        let t = draw(&st, &ui(lang), 80, 24);
        let buf = t.backend().buffer();
        let row = |id: u64| {
            let y = find_row(buf, &format!("#{id} 10:11:12 rule {id}")).expect("listed");
            row_text(buf, y)
        };
        assert!(row(3).contains(queued), "{}", row(3));
        assert!(row(2).contains(done), "{}", row(2));
        assert!(row(1).contains(failed), "{}", row(1));
        assert!(find_row(buf, "set_status: upgates: Unknown status 999").is_some());
    }
}
