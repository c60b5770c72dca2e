//! Render checks (ratatui `TestBackend`) of held orders: the Held tab at 80×24 and
//! 120×40 with each order's shop status by name, the tab strip keeping the selected tab
//! on screen at 80 columns, and the banners of a held order at the bench (en/cs/pl).

use packdesk::app::held::StatusName;
use packdesk::app::{Action, AppState, Msg, update};
use packdesk::domain::{NOT_QUEUED, Order, OrderState, OrderSummary};
use packdesk::i18n::Lang;

mod common;
use common::bench_state;
use common::render::{screen_rows, ui};

fn row_with<'a>(rows: &'a [String], needle: &str) -> Option<&'a String> {
    rows.iter().find(|r| r.contains(needle))
}

/// Ten orders to pack, two held (waiting for payment; an unknown status id).
fn orders() -> Vec<(Order, OrderState)> {
    let now = chrono::DateTime::from_timestamp(1_764_000_000, 0).unwrap_or_default();
    packdesk::demo::generate(7, 12, now)
        .into_iter()
        .enumerate()
        .map(|(i, mut o)| {
            o.cancelled = false;
            o.flags.clear();
            o.shop_status = "1".into();
            let mut st = OrderState::ToPack;
            if i == 3 || i == 8 {
                o.shop_status = if i == 3 { "7".into() } else { "42".into() };
                o.flags.push(NOT_QUEUED.into());
                st = OrderState::Held;
            }
            (o, st)
        })
        .collect()
}

fn state(orders: &[(Order, OrderState)]) -> AppState {
    let rows = orders
        .iter()
        .map(|(o, s)| OrderSummary::of(o, *s))
        .collect();
    let mut st = bench_state(rows);
    st.now = chrono::DateTime::from_timestamp(1_764_003_600, 0).unwrap_or_default();
    update(
        &mut st,
        Msg::ShopStatuses(vec![
            StatusName {
                id: "1".into(),
                name: "Přijatá".into(),
            },
            StatusName {
                id: "7".into(),
                name: "Čeká na platbu".into(),
            },
        ]),
    );
    st
}

#[test]
fn the_held_tab_lists_held_orders_with_their_shop_status() {
    let list = orders();
    let mut st = state(&list);
    // Tab from To pack backwards: the last tab is Held.
    update(&mut st, Msg::Action(Action::PrevTab));
    assert_eq!(st.queue.tab_state(), OrderState::Held);
    let waiting = &list[3].0.number;
    let unknown = &list[8].0.number;
    for (w, h) in [(80, 24), (120, 40)] {
        let rows = screen_rows(&st, &ui(Lang::En), w, h);
        let tabs = &rows[1];
        assert!(
            tabs.contains("Held (2)"),
            "{w}x{h}: the selected tab shows: {tabs}"
        );
        assert!(
            row_with(&rows, "Shop status").is_some(),
            "{w}x{h}: {rows:#?}"
        );
        let r = row_with(&rows, waiting).expect("the held order");
        assert!(r.contains("Čeká na platbu"), "{w}x{h}: {r}");
        let r = row_with(&rows, unknown).expect("the other held order");
        assert!(
            r.contains("42"),
            "an unknown status shows as the shop gives it: {r}"
        );
        assert!(
            row_with(&rows, &list[0].0.number).is_none(),
            "orders to pack are not on the Held tab"
        );
    }
    // At 80 columns the strip is cut on the left, marked, with the Held tab whole.
    let rows = screen_rows(&st, &ui(Lang::En), 80, 24);
    assert!(rows[1].starts_with('‹'), "{}", rows[1]);
    // Czech and Polish name the tab and the column.
    let rows = screen_rows(&st, &ui(Lang::Cs), 80, 24);
    assert!(rows[1].contains("Pozastavené (2)"), "{}", rows[1]);
    assert!(row_with(&rows, "Stav v e-shopu").is_some(), "{rows:#?}");
    let rows = screen_rows(&st, &ui(Lang::Pl), 80, 24);
    assert!(rows[1].contains("Wstrzymane (2)"), "{}", rows[1]);
    assert!(row_with(&rows, "Status w sklepie").is_some(), "{rows:#?}");
    // Other tabs keep the carrier column.
    update(&mut st, Msg::Action(Action::NextTab));
    let rows = screen_rows(&st, &ui(Lang::En), 80, 24);
    assert!(row_with(&rows, "Carrier").is_some());
    assert!(row_with(&rows, "Shop status").is_none());
}

#[test]
fn a_held_order_at_the_bench_says_why_it_must_not_be_packed() {
    let list = orders();
    let mut st = state(&list);
    let held = list[3].0.clone();
    update(
        &mut st,
        Msg::OrderLoaded {
            order: Box::new(held.clone()),
            session: None,
            shipments: vec![],
            via: Some(held.number.clone()),
            photos: 0,
        },
    );
    for (lang, words) in [
        (
            Lang::En,
            "Order not packable now: in shop status “Čeká na platbu”, not packed here",
        ),
        (
            Lang::Cs,
            "nelze balit: je v e-shopu ve stavu „Čeká na platbu“, který se tu nebalí",
        ),
        (
            Lang::Pl,
            "ma w sklepie status „Čeká na platbu”, którego się tu nie pakuje",
        ),
    ] {
        let rows = screen_rows(&st, &ui(lang), 120, 40);
        let flat = rows
            .join(" ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(flat.contains(words), "{lang:?}: {flat}");
    }
    let rows = screen_rows(&st, &ui(Lang::En), 80, 24);
    let flat = rows
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        flat.contains("in shop status “Čeká na platbu”, not packed here"),
        "fits at 80x24: {flat}"
    );
}

/// The sync reports the open order held or cancelled: the banner says so and what to
/// do, whole on one line at 80×24, in every language.
#[test]
fn an_order_held_or_cancelled_while_open_is_announced_at_80x24() {
    let list = orders();
    let mut o = list[0].0.clone();
    o.shop_status = "1".into();
    for (cancel, lang, words) in [
        (
            false,
            Lang::En,
            "is now in shop status “Čeká na platbu”: stop, set the goods aside (Esc)",
        ),
        (
            false,
            Lang::Cs,
            "je nově ve stavu „Čeká na platbu“: nebalte dál, zboží odložte (Esc)",
        ),
        (
            false,
            Lang::Pl,
            "ma teraz status „Čeká na platbu”: przerwij, odłóż towar (Esc)",
        ),
        (true, Lang::En, "The shop cancelled"),
        (true, Lang::Cs, "nebalte dál, vraťte zboží (Esc)"),
        (true, Lang::Pl, "przerwij pakowanie, odłóż towar (Esc)"),
    ] {
        let mut st = state(&list);
        let load = |st: &mut AppState, o: &Order, s: Option<packdesk::flow::PackSession>, via| {
            update(
                st,
                Msg::OrderLoaded {
                    order: Box::new(o.clone()),
                    session: s.map(Box::new),
                    shipments: vec![],
                    via,
                    photos: 0,
                },
            )
        };
        load(&mut st, &o, None, Some(o.number.clone()));
        let session = st.pack.as_ref().map(|p| p.session.clone());
        let mut moved = o.clone();
        moved.revision += 1;
        if cancel {
            moved.cancelled = true;
            moved.shop_status = "2".into();
        } else {
            moved.shop_status = "7".into();
            moved.flags.push(NOT_QUEUED.into());
        }
        load(&mut st, &moved, session, None);
        let rows = screen_rows(&st, &ui(lang), 80, 24);
        assert!(
            rows.iter().any(|r| r.contains(words)),
            "one line, whole: {lang:?} cancel={cancel}: {rows:#?}"
        );
    }
}
