//! Render checks at 80×24 of the printing parts of the bench: the print-queue screen (with
//! a failed job's printer error), the marks in the queue and their count, and the next
//! free A4 quarter in the status bar.

use chrono::{DateTime, TimeZone, Utc};
use packdesk::app::print::{BenchNotice, PrintJobLine, PrintMsg};
use packdesk::app::{Action, AppState, Msg, update};
use packdesk::demo;
use packdesk::domain::{Order, OrderState, OrderSummary};
use packdesk::i18n::Lang;

mod common;
use common::bench_state;
use common::render::{screen_rows, ui};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0)
        .single()
        .unwrap_or_default()
}

fn state(orders: &[Order]) -> AppState {
    let rows = orders
        .iter()
        .filter(|o| !o.cancelled)
        .map(|o| OrderSummary::of(o, OrderState::ToPack))
        .collect();
    let mut st = bench_state(rows);
    st.now = now();
    st
}

#[test]
fn marks_count_and_quarter_show_at_80x24() {
    let orders = demo::generate(2026, 10, now());
    let mut st = state(&orders);
    let ui = ui(Lang::En);
    let before = screen_rows(&st, &ui, 80, 24);
    assert!(!before[0].contains("✓"), "{}", before[0]);
    assert!(!before[0].contains("¼"), "{}", before[0]);
    let first = st
        .queue
        .selected_row()
        .map(|r| r.number().to_string())
        .expect("a row");
    update(&mut st, Msg::Action(Action::Mark));
    update(&mut st, Msg::Bench(PrintMsg::Quarter(Some(3))));
    let screen = screen_rows(&st, &ui, 80, 24);
    assert!(screen[0].contains(" ✓1 "), "{}", screen[0]);
    assert!(screen[0].contains("A4 ¼3"), "{}", screen[0]);
    let row = screen
        .iter()
        .find(|l| l.contains(&first))
        .expect("the marked row is on screen");
    assert!(row.contains(&format!("✓{first}")), "{row}");
    // Only the marked row has the mark.
    assert_eq!(screen.iter().skip(1).filter(|l| l.contains('✓')).count(), 1);
    update(&mut st, Msg::Action(Action::MarkAll));
    let all = screen_rows(&st, &ui, 80, 24);
    let visible = st.queue.visible_len();
    assert!(all[0].contains(&format!("✓{visible}")), "{}", all[0]);
    assert!(
        all.iter()
            .any(|l| l.contains(&format!("{visible} orders marked"))),
        "banner: {all:#?}"
    );
}

#[test]
fn the_print_queue_screen_at_80x24_in_czech() {
    let orders = demo::generate(2026, 10, now());
    let mut st = state(&orders);
    let ui = ui(Lang::Cs);
    update(&mut st, Msg::Action(Action::PrintQueue));
    let empty = screen_rows(&st, &ui, 80, 24);
    assert!(
        empty.iter().any(|l| l.contains("Žádné tiskové úlohy")),
        "{empty:#?}"
    );
    let jobs = vec![
        PrintJobLine {
            id: 12,
            name: "2026-000777-1.pdf".into(),
            printer: "IPP printer ipp://localhost:631/printers/labels".into(),
            state: "failed".into(),
            attempts: 5,
            error: Some("printer \u{1b}[31mout of paper".into()),
        },
        PrintJobLine {
            id: 13,
            name: "slip-2026-000777.pdf".into(),
            printer: "directory /tmp/out".into(),
            state: "done".into(),
            attempts: 1,
            error: None,
        },
    ];
    update(&mut st, Msg::Bench(PrintMsg::Jobs(Ok(jobs))));
    let screen = screen_rows(&st, &ui, 80, 24);
    let all = screen.join("\n");
    assert!(all.contains("Tisková fronta"), "{all}");
    assert!(all.contains("#12 2026-000777-1.pdf"), "{all}");
    assert!(all.contains("failed · pokusů 5"), "{all}");
    assert!(all.contains("out of paper"), "{all}");
    assert!(!all.contains('\u{1b}'), "control characters are stripped");
    assert!(all.contains("#13 slip-2026-000777.pdf"), "{all}");
    // The keys of the screen: retry, cancel, close.
    assert!(
        all.contains("C-r") && all.contains("C-x") && all.contains("C-w"),
        "{all}"
    );
    update(
        &mut st,
        Msg::Bench(PrintMsg::Notice(BenchNotice::BulkLabels {
            labels: 7,
            skipped: 1,
        })),
    );
    update(&mut st, Msg::Action(Action::Back));
    let after = screen_rows(&st, &ui, 80, 24).join("\n");
    assert!(!after.contains("#12"), "closed: {after}");
    assert!(after.contains("štítků: 7"), "{after}");
}

#[test]
fn the_queue_help_at_80x24_lists_the_mark_and_bulk_keys() {
    let orders = demo::generate(2026, 5, now());
    let mut st = state(&orders);
    update(&mut st, Msg::Action(Action::Help));
    let all = screen_rows(&st, &ui(Lang::En), 80, 24).join("\n");
    for want in [
        "ins  Mark row",
        "A-a  Mark all in tab",
        "A-c  Clear marks",
        "F9  Ship marked",
        "F10  Print labels of marked",
        "C-w  Print queue",
        "C-n  New 4-up sheet",
    ] {
        assert!(all.contains(want), "{want:?} missing in\n{all}");
    }
}
