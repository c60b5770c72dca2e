//! The rules engine: the example file, errors with line and key, evaluation order,
//! failure handling as data, exactly-once across a store reopen, and the CLI.

use std::path::{Path, PathBuf};

use chrono::{NaiveTime, TimeZone, Utc};
use packdesk::config::{ConfigError, Paths};
use packdesk::domain::{Address, Line, Money, Order, Qty, Shipping};
use packdesk::rules::{
    Action, Document, Event, EventKind, Facts, Outcome, RuleLog, RuleSet, RulesCmd, RulesError,
    Run, evaluate, run_cli, simulate,
};
use packdesk::store::{Store, StoreError};
use std::time::Duration;

fn order(source: &str, number: &str, carrier: &str, total_czk: i64, cod: bool) -> Order {
    Order {
        source: source.into(),
        number: number.into(),
        shop_id: None,
        created_at: Utc
            .with_ymd_and_hms(2026, 11, 20, 8, 0, 0)
            .single()
            .unwrap_or_default(),
        priority: 0,
        customer: Address {
            name: "Jana Nováková".into(),
            street: "Údolní 53".into(),
            city: "Brno".into(),
            zip: "60200".into(),
            country: "CZ".into(),
            ..Address::default()
        },
        shipping: Shipping {
            method: "Doručení na adresu".into(),
            carrier: carrier.into(),
            service: String::new(),
            ..Shipping::default()
        },
        total: Money::new(total_czk * 100, "CZK"),
        cod: cod.then(|| Money::new(total_czk * 100, "CZK")),
        paid: !cod,
        note: None,
        lines: vec![Line {
            sku: "HRN-1".into(),
            ean: Some("8590000000012".into()),
            name: "Hrnek".into(),
            quantity: Qty::units(2),
            unit_weight_kg: Some(0.35),
            needs_serial: false,
            aliases: vec![],
            unit_price: None,
        }],
        shop_status: "Vyřizuje se".into(),
        cancelled: false,
        flags: vec![],
        revision: 0,
    }
}

fn facts(o: &Order) -> Facts {
    Facts::from_order(o, None, "bench-1", Some("jana"))
}

fn parse(text: &str) -> RuleSet {
    match RuleSet::parse(Path::new("test.toml"), text) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    }
}

fn names(planned: &[packdesk::rules::Planned]) -> Vec<&str> {
    planned.iter().map(|p| p.rule.name.as_str()).collect()
}

fn example() -> RuleSet {
    match RuleSet::load(Path::new("rules.example.toml")) {
        Ok(s) => s,
        Err(e) => panic!("rules.example.toml does not validate:\n{e}"),
    }
}

#[test]
fn example_file_validates_and_does_what_it_says() {
    let set = example();
    assert_eq!(set.rules().len(), 8);
    assert_eq!(set.daily_check_at(), NaiveTime::from_hms_opt(6, 30, 0));

    // Cash on delivery over 5000 CZK with Zásilkovna: ship, and a photo.
    let o = order("upgates", "2026-1", "zasilkovna", 6000, true);
    let ev = Event::packed(&o.key(), 4);
    let planned = evaluate(&set, &ev, &facts(&o));
    assert_eq!(
        names(&planned),
        ["Zabaleno: odeslat", "Dobírka nad 5000 Kč: fotka"]
    );
    let ship = planned
        .first()
        .map(|p| p.actions().to_vec())
        .unwrap_or_default();
    assert_eq!(ship.first(), Some(&Action::CreateShipment));
    assert_eq!(
        ship.get(1),
        Some(&Action::Print {
            document: Document::Label,
            printer: Some("label".into())
        })
    );
    assert!(ship.iter().any(|a| matches!(a,
        Action::SetStatus { status, notify: true } if status == "Odesláno")));

    // Under 5000 CZK: no photo. InPost from BaseLinker: pick/pack state.
    let o = order("baselinker", "2026-2", "inpost", 4999, true);
    let planned = evaluate(&set, &Event::packed(&o.key(), 1), &facts(&o));
    assert_eq!(
        names(&planned),
        ["Zabaleno: odeslat", "InPost: stav v BaseLinkeru"]
    );

    // The pack-screen button and its rule.
    let buttons = set.buttons_for("vyřizuje se");
    assert_eq!(buttons.len(), 1);
    let button = buttons.first().map(|b| b.event.clone()).unwrap_or_default();
    let ev = Event::new(EventKind::Custom(button), &o.key(), "press-1");
    assert_eq!(names(&evaluate(&set, &ev, &facts(&o))), ["Dárkové balení"]);
    assert!(set.buttons_for("Odesláno").is_empty());
}

/// Each fixture with the problems it must report: (line, key, part of the message).
#[test]
fn errors_name_file_line_and_key() {
    type Want = &'static [(usize, Option<&'static str>, &'static str)];
    let table: &[(&str, Want)] = &[
        (
            "unknown_event.toml",
            &[(4, Some("rule[0].event"), "unknown event `pakced`")],
        ),
        (
            "unknown_action.toml",
            &[(6, Some("rule[0].actions[1].prnt"), "unknown variant `prnt`")],
        ),
        (
            "unknown_action_field.toml",
            &[(6, Some("rule[0].actions[1].print.printr"), "printr")],
        ),
        (
            "unknown_condition.toml",
            &[(
                4,
                Some("rule[0].when.all[1].carier"),
                "unknown field `carier`",
            )],
        ),
        (
            "bad_placeholder.toml",
            &[(
                6,
                Some("rule[0].actions[1].add_history.text"),
                "unknown placeholder `{order.numbr}`",
            )],
        ),
        (
            "wrong_type.toml",
            &[(4, Some("rule[0].when.cod"), "expected a boolean")],
        ),
        ("syntax.toml", &[(3, None, "invalid basic string")]),
        (
            "semantic.toml",
            &[
                (
                    11,
                    Some("rule[1].on_failure"),
                    "event loop: custom:a → custom:b → custom:a",
                ),
                (
                    14,
                    Some("rule[2].name"),
                    "rule name `A` is already used by rule[0]",
                ),
                (15, Some("rule[2].event"), "needs `days = N`"),
                (
                    16,
                    Some("rule[2].actions[0].set_pick_pack_state"),
                    "give `pick`, `pack`",
                ),
                (21, Some("rule[3].days"), "belongs to"),
                (
                    22,
                    Some("rule[3].when.total"),
                    "`min` is greater than `max`",
                ),
                (
                    23,
                    Some("rule[3].actions[0].fire.event"),
                    "no rule listens to `custom:nobody`",
                ),
                (
                    27,
                    Some("button[0].event"),
                    "`packed` is not a custom event",
                ),
            ],
        ),
    ];
    for (file, want) in table {
        let path = PathBuf::from("tests/fixtures/rules").join(file);
        let problems = match RuleSet::load(&path) {
            Ok(_) => panic!("{file} validated"),
            Err(RulesError::Invalid { problems }) => problems,
            Err(e) => panic!("{file}: {e}"),
        };
        let got: Vec<(usize, Option<String>, String)> = problems
            .iter()
            .map(|p| match p {
                ConfigError::Invalid {
                    path: at,
                    line,
                    key,
                    message,
                    ..
                } => {
                    assert_eq!(at, &path);
                    let text = p.to_string();
                    assert!(text.starts_with(&format!("{}:", path.display())), "{text}");
                    (line.unwrap_or(0), key.clone(), message.clone())
                }
                other => panic!("{file}: {other}"),
            })
            .collect();
        assert_eq!(got.len(), want.len(), "{file}: {got:#?}");
        for ((line, key, msg), (wline, wkey, wmsg)) in got.iter().zip(want.iter()) {
            assert_eq!(line, wline, "{file}: {msg}");
            assert_eq!(key.as_deref(), *wkey, "{file}: {msg}");
            assert!(msg.contains(wmsg), "{file}: `{msg}` lacks `{wmsg}`");
        }
    }
}

#[test]
fn a_customer_visible_note_is_refused_with_its_line_and_key() {
    let text = "[[rule]]\nname = \"r\"\nevent = \"packed\"\nactions = [\n  \"take_photo\",\n  { add_note = { text = \"hi\", internal = false } },\n]\n";
    let problems = match RuleSet::parse(Path::new("x.toml"), text) {
        Ok(_) => panic!("accepted"),
        Err(RulesError::Invalid { problems }) => problems,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(problems.len(), 1, "{problems:#?}");
    match &problems[0] {
        ConfigError::Invalid {
            line, key, message, ..
        } => {
            assert_eq!(*line, Some(6));
            assert_eq!(key.as_deref(), Some("rule[0].actions[1].add_note.internal"));
            assert!(message.contains("customer sees"), "{message}");
        }
        other => panic!("{other}"),
    }
    // Internal notes (the default, or said so) are fine.
    for ok in [
        "{ add_note = { text = \"hi\" } }",
        "{ add_note = { text = \"hi\", internal = true } }",
    ] {
        let text = format!("[[rule]]\nname = \"r\"\nevent = \"packed\"\nactions = [{ok}]\n");
        RuleSet::parse(Path::new("x.toml"), &text).expect("internal note accepted");
    }
}

#[test]
fn more_validation() {
    let bad = |text: &str, needle: &str| match RuleSet::parse(Path::new("x.toml"), text) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => assert!(e.to_string().contains(needle), "{e}\nlacks {needle}"),
    };
    let rule = |body: &str| format!("[[rule]]\nname = \"r\"\nevent = \"packed\"\n{body}\n");
    bad(&rule("actions = []"), "at least one action");
    bad(
        &rule("actions = [\"teleport\"]"),
        "unknown variant `teleport`",
    );
    bad(
        &rule("actions = [ { webhook = { url = \"ftp://h/x\" } } ]"),
        "http or https",
    );
    bad(
        &rule("actions = [ { webhook = { url = \"not a url\" } } ]"),
        "bad webhook URL",
    );
    bad(
        &rule("actions = [ { webhook = { url = \"https://h/x\", timeout_s = 0 } } ]"),
        "outside 1–300 s",
    );
    bad(
        &rule("actions = [ { set_status = { status = \" \" } } ]"),
        "the status is empty",
    );
    bad(
        &rule("actions = [ { fire = { event = \"packed\" } } ]"),
        "not a custom event",
    );
    bad(
        &rule("when = {}\nactions = [\"take_photo\"]"),
        "empty condition",
    );
    bad(
        &rule("when = { any = [] }\nactions = [\"take_photo\"]"),
        "`any` is empty",
    );
    bad(
        &rule("when = { carrier = [] }\nactions = [\"take_photo\"]"),
        "the list is empty",
    );
    bad(
        &rule("when = { total = { min = 1, currency = \"Kč\" } }\nactions = [\"take_photo\"]"),
        "ISO 4217",
    );
    bad(
        &rule("when = { weight = { min = -1 } }\nactions = [\"take_photo\"]"),
        "non-negative",
    );
    bad(
        &rule("when = { items = {} }\nactions = [\"take_photo\"]"),
        "give `min`, `max` or both",
    );
    bad(
        &rule("actions = [\"take_photo\"]\non_failure = \"custom:x y\""),
        "bad custom event name",
    );
    bad(
        &format!(
            "daily_check_at = \"25:00\"\n{}",
            rule("actions = [\"take_photo\"]")
        ),
        "time of day",
    );
    bad(
        &rule("actions = [\"take_photo\"]\ncolour = 1"),
        "unknown field `colour`",
    );
    // A rule on status_set that sets a status its condition allows would retrigger itself.
    let on_status = |when: &str| {
        format!(
            "[[rule]]\nname = \"r\"\nevent = \"status_set\"\n{when}\nactions = [ {{ set_status = {{ status = \"Vyřizuje se\" }} }} ]\n"
        )
    };
    bad(&on_status(""), "would run again on its own change");
    bad(&on_status("when = { paid = true }"), "would run again");
    bad(
        &on_status("when = { any = [ { paid = true }, { shop_status = \"Nová\" } ] }"),
        "would run again",
    );
    parse(&on_status("when = { shop_status = \"Zaplaceno\" }"));
    parse(&on_status(
        "when = { paid = true, not = { shop_status = \"vyřizuje se\" } }",
    ));
    // A self-loop is a loop too.
    bad(
        "[[rule]]\nname = \"r\"\nevent = \"custom:x\"\nactions = [ { fire = { event = \"custom:x\" } } ]\n",
        "event loop: custom:x → custom:x",
    );
    // No rule on order_in_status_for_days: no daily check.
    assert_eq!(
        parse(&rule("actions = [\"take_photo\"]")).daily_check_at(),
        None
    );
}

#[test]
fn evaluation_follows_file_order_event_and_days() {
    let set = parse(
        r#"
[[rule]]
name = "third-listed-first"
event = "packed"
actions = ["take_photo"]

[[rule]]
name = "paid only"
event = "order_paid"
actions = ["create_shipment"]

[[rule]]
name = "cod"
event = "packed"
when = { cod = true }
actions = ["create_shipment"]

[[rule]]
name = "always packed"
event = "packed"
actions = ["handover"]

[[rule]]
name = "stale 3"
event = "order_in_status_for_days"
days = 3
actions = [ { add_note = { text = "3" } } ]

[[rule]]
name = "stale 10"
event = "order_in_status_for_days"
days = 10
actions = [ { add_note = { text = "10" } } ]

[[rule]]
name = "gift"
event = "custom:gift"
actions = ["take_photo"]
"#,
    );
    let cod = order("upgates", "1", "ppl", 100, true);
    let paid = order("upgates", "2", "ppl", 100, false);
    let packed = |o: &Order| {
        names(&evaluate(&set, &Event::packed(&o.key(), 1), &facts(o)))
            .into_iter()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(packed(&cod), ["third-listed-first", "cod", "always packed"]);
    assert_eq!(packed(&paid), ["third-listed-first", "always packed"]);
    let ev = Event::new(EventKind::OrderPaid, &paid.key(), "a1");
    assert_eq!(names(&evaluate(&set, &ev, &facts(&paid))), ["paid only"]);
    let stale = |days| {
        let ev = Event::new(
            EventKind::OrderInStatusForDays { days },
            &paid.key(),
            "Vyřizuje se@2026-11-01",
        );
        names(&evaluate(&set, &ev, &facts(&paid)))
            .into_iter()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert!(stale(2).is_empty());
    assert_eq!(stale(3), ["stale 3"]);
    assert_eq!(stale(11), ["stale 3", "stale 10"]);
    let Some(gift) = EventKind::from_barcode("PD:EVENT:GIFT") else {
        panic!("PD:EVENT:GIFT")
    };
    let ev = Event::new(gift, &paid.key(), "scan-9");
    assert_eq!(names(&evaluate(&set, &ev, &facts(&paid))), ["gift"]);
    // The exactly-once key names the rule and the occurrence.
    let planned = evaluate(&set, &Event::packed(&cod.key(), 7), &facts(&cod));
    assert_eq!(
        planned.first().map(|p| p.occurrence_key.as_str()),
        Some("third-listed-first\u{0}packed:upgates:1:7")
    );
}

const FAILING: &str = r#"
[[rule]]
name = "stop"
event = "packed"
actions = ["create_shipment", { print = { document = "label" } }, { fire = { event = "custom:after" } }]
on_failure = "custom:problem"

[[rule]]
name = "go on"
event = "packed"
stop_after_failure = false
actions = ["create_shipment", { print = { document = "label" } }, { fire = { event = "custom:after" } }]
on_failure = "custom:problem"

[[rule]]
name = "after"
event = "custom:after"
actions = ["handover"]

[[rule]]
name = "problem"
event = "custom:problem"
actions = [ { add_note = { text = "{order.number}: chyba" } } ]
"#;

#[test]
fn stop_after_failure_and_on_failure_as_data() {
    let set = parse(FAILING);
    let o = order("upgates", "9", "ppl", 100, false);
    let ev = Event::packed(&o.key(), 2);
    let planned = evaluate(&set, &ev, &facts(&o));
    let (Some(stop), Some(go_on)) = (planned.first(), planned.get(1)) else {
        panic!("{:?}", names(&planned));
    };
    let fail_at = |n: usize| {
        move |i: usize, _: &Action| {
            if i == n {
                Err(format!("action {i} failed"))
            } else {
                Ok(())
            }
        }
    };
    let all_ok = |_: usize, _: &Action| Ok(());

    // Everything done: the fire follows, no on_failure.
    let f = simulate(stop, &ev, all_ok);
    assert_eq!(f.outcomes, [Outcome::Done, Outcome::Done, Outcome::Done]);
    assert!(!f.failed);
    let follow: Vec<String> = f.follow_ups.iter().map(|e| e.kind.name()).collect();
    assert_eq!(follow, ["custom:after"]);
    assert_eq!(
        f.follow_ups.first().map(|e| e.occurrence.as_str()),
        Some("packed:upgates:9:2/stop/fire2")
    );

    // Stop after failure: the rest is skipped, the fire does not happen, on_failure does.
    let f = simulate(stop, &ev, fail_at(0));
    assert_eq!(
        f.outcomes,
        [
            Outcome::Failed("action 0 failed".into()),
            Outcome::Skipped,
            Outcome::Skipped
        ]
    );
    let follow: Vec<String> = f.follow_ups.iter().map(|e| e.kind.name()).collect();
    assert_eq!(follow, ["custom:problem"]);
    let after = f.follow_ups.first().cloned();
    let Some(after) = after else { panic!() };
    assert_eq!(after.occurrence, "packed:upgates:9:2/stop/on_failure");
    assert_eq!(names(&evaluate(&set, &after, &facts(&o))), ["problem"]);

    // Carry on after failure: later actions run, the fire happens, then on_failure.
    let f = simulate(go_on, &ev, fail_at(1));
    assert_eq!(
        f.outcomes,
        [
            Outcome::Done,
            Outcome::Failed("action 1 failed".into()),
            Outcome::Done
        ]
    );
    let follow: Vec<String> = f.follow_ups.iter().map(|e| e.kind.name()).collect();
    assert_eq!(follow, ["custom:after", "custom:problem"]);

    // Stepping by hand: record ignores results after the run stopped.
    let mut run = Run::new(stop.clone());
    assert_eq!(run.next_action().map(|(i, _)| i), Some(0));
    run.record(Err("no".into()));
    assert!(run.next_action().is_none());
    run.record(Ok(()));
    assert_eq!(run.finish(&ev).outcomes.get(1), Some(&Outcome::Skipped));
}

#[test]
fn a_rule_runs_once_per_occurrence_across_reopen() {
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    };
    let set = parse(FAILING);
    let o = order("upgates", "9", "ppl", 100, false);
    let ev = Event::packed(&o.key(), 2);
    let planned = evaluate(&set, &ev, &facts(&o));
    let Some(stop) = planned.first().cloned() else {
        panic!()
    };
    let now = Utc::now();
    {
        let store = open_store(dir.path());
        let log = RuleLog::open(&store).unwrap_or_else(|e| panic!("{e}"));
        let mut rec = match log.begin(&stop, &ev, now) {
            Ok(Some(r)) => r,
            other => panic!("{other:?}"),
        };
        assert_eq!(rec.id, 1);
        assert!(matches!(log.begin(&stop, &ev, now), Ok(None)));
        assert!(log.claimed(&stop.occurrence_key).unwrap_or(false));
        log.action_result(&mut rec, 0, Outcome::Done)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(log.action_result(&mut rec, 9, Outcome::Done).is_err());
        // The process stops here: no finish.
    }
    let store = open_store(dir.path());
    let log = RuleLog::open(&store).unwrap_or_else(|e| panic!("{e}"));
    // The same occurrence again: refused, also after the reopen.
    assert!(matches!(log.begin(&stop, &ev, now), Ok(None)));
    // The interrupted execution is there to resume after its first action.
    let unfinished = log.unfinished().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(unfinished.len(), 1);
    let Some(mut rec) = unfinished.into_iter().next() else {
        panic!()
    };
    let mut run = rec.resume();
    assert_eq!(run.next_action().map(|(i, _)| i), Some(1));
    run.record(Err("printer offline".into()));
    log.action_result(&mut rec, 1, Outcome::Failed("printer offline".into()))
        .unwrap_or_else(|e| panic!("{e}"));
    let done = run.finish(&rec.event);
    assert_eq!(
        done.follow_ups.first().map(|e| e.occurrence.as_str()),
        Some("packed:upgates:9:2/stop/on_failure")
    );
    log.finish(&mut rec, now).unwrap_or_else(|e| panic!("{e}"));
    assert!(log.unfinished().unwrap_or_default().is_empty());

    // Another occurrence of the same event runs; the log lists newest first.
    let ev2 = Event::packed(&o.key(), 3);
    let again = evaluate(&set, &ev2, &facts(&o));
    let Some(stop2) = again.first() else { panic!() };
    let rec2 = log
        .begin(stop2, &ev2, now)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rec2.map(|r| r.id), Some(2));
    let list = log.list(10).unwrap_or_default();
    assert_eq!(list.iter().map(|r| r.id).collect::<Vec<_>>(), [2, 1]);
    let first = list.get(1).cloned();
    let Some(first) = first else { panic!() };
    assert!(first.failed());
    assert_eq!(
        first
            .actions
            .iter()
            .map(|a| a.outcome.clone())
            .collect::<Vec<_>>(),
        [
            Some(Outcome::Done),
            Some(Outcome::Failed("printer offline".into())),
            Some(Outcome::Skipped)
        ]
    );
    assert_eq!(log.list(1).unwrap_or_default().len(), 1);
}

/// Opens a store, waiting for sled to let go of the lock of a store just dropped in this
/// process (its flusher thread ends asynchronously).
fn open_store(dir: &Path) -> Store {
    for _ in 0..50 {
        match Store::open(dir) {
            Ok(s) => return s,
            Err(StoreError::Locked { .. }) => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => panic!("{e}"),
        }
    }
    panic!("{} stays locked", dir.display())
}

/// Runs a `packdesk rules` command; retried while sled still holds the lock of a store
/// this test process just dropped (a fresh `packdesk` process never sees that).
fn cli(cmd: RulesCmd, paths: &Paths) -> Result<String, String> {
    for _ in 0..50 {
        let mut out = Vec::new();
        match run_cli(cmd.clone(), paths, &mut out) {
            Ok(()) => return Ok(String::from_utf8_lossy(&out).into_owned()),
            Err(e) if e.to_string().contains("another packdesk holds") => {
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(e) => return Err(format!("{e:#}")),
        }
    }
    Err("the store stays locked".into())
}

#[test]
fn cli_check_test_and_log() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let config = dir.path().join("station.toml");
    std::fs::write(&config, "station = \"bench-7\"\n").unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().join("data");
    let paths = Paths::resolve(Some(&config), Some(&data)).unwrap_or_else(|e| panic!("{e}"));
    let example_file = Some(PathBuf::from("rules.example.toml"));

    let out = cli(
        RulesCmd::Check {
            file: example_file.clone(),
        },
        &paths,
    );
    assert_eq!(
        out,
        Ok("rules.example.toml: OK, 8 rules, 1 buttons\n".into())
    );
    let err = cli(
        RulesCmd::Check {
            file: Some("tests/fixtures/rules/unknown_event.toml".into()),
        },
        &paths,
    );
    assert!(
        err.as_ref()
            .is_err_and(|e| e.contains("unknown_event.toml:4:9: key `rule[0].event`")),
        "{err:?}"
    );
    // The default file is rules.toml beside station.toml.
    let missing = cli(RulesCmd::Check { file: None }, &paths);
    assert!(missing.is_err_and(|e| e.contains("rules.toml")));

    {
        let store = open_store(&data);
        let o = order("upgates", "2026-77", "zasilkovna", 6000, true);
        store.import_orders(&[o]).unwrap_or_else(|e| panic!("{e}"));
    }
    let out = cli(
        RulesCmd::Test {
            order: "2026-77".into(),
            event: "packed".into(),
            days: 1,
            file: example_file.clone(),
        },
        &paths,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.contains("station bench-7"), "{out}");
    assert!(
        out.contains("event packed: 4 rule(s) listen, 2 match"),
        "{out}"
    );
    assert!(out.contains("RUN  Zabaleno: odeslat"), "{out}");
    assert!(out.contains("1. create_shipment"), "{out}");
    assert!(out.contains("4. set_status \"Odesláno\" (notify)"), "{out}");
    assert!(
        out.contains("5. add_history \"Zabaleno na bench-7 (), zásilka \""),
        "{out}"
    );
    assert!(
        out.contains("skip InPost: stav v BaseLinkeru (fails: source, carrier)"),
        "{out}"
    );
    assert!(out.contains("RUN  Dobírka nad 5000 Kč: fotka"), "{out}");
    assert!(out.contains("nothing was done"), "{out}");

    // A custom event follows its chain.
    let out = cli(
        RulesCmd::Test {
            order: "2026-77".into(),
            event: "custom:darkove_baleni".into(),
            days: 1,
            file: example_file.clone(),
        },
        &paths,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.contains("RUN  Dárkové balení"), "{out}");
    let bad = cli(
        RulesCmd::Test {
            order: "2026-78".into(),
            event: "packed".into(),
            days: 1,
            file: example_file.clone(),
        },
        &paths,
    );
    assert!(bad.is_err_and(|e| e.contains("no order 2026-78")));
    let bad = cli(
        RulesCmd::Test {
            order: "2026-77".into(),
            event: "pakced".into(),
            days: 1,
            file: example_file,
        },
        &paths,
    );
    assert!(bad.is_err_and(|e| e.contains("unknown event `pakced`")));

    // Nothing ran, so the log is empty; then one execution shows with its outcomes.
    assert_eq!(cli(RulesCmd::Log { limit: 5 }, &paths), Ok(String::new()));
    {
        let store = open_store(&data);
        let log = RuleLog::open(&store).unwrap_or_else(|e| panic!("{e}"));
        let set = example();
        let o = store
            .order("upgates:2026-77")
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("order"));
        let ev = Event::packed(&o.key(), 1);
        let planned = evaluate(&set, &ev, &facts(&o));
        let Some(p) = planned.first() else { panic!() };
        let Ok(Some(mut rec)) = log.begin(p, &ev, Utc::now()) else {
            panic!()
        };
        log.action_result(
            &mut rec,
            0,
            Outcome::Failed("Balikobot: 406 \u{1b}[31m".into()),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        log.finish(&mut rec, Utc::now())
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let out = cli(RulesCmd::Log { limit: 5 }, &paths).unwrap_or_else(|e| panic!("{e}"));
    assert!(out.contains("#1 "), "{out}");
    assert!(
        out.contains("failed rule \"Zabaleno: odeslat\" on packed for upgates:2026-77"),
        "{out}"
    );
    assert!(
        out.contains("1. create_shipment — FAILED: Balikobot: 406"),
        "{out}"
    );
    assert!(out.contains("2. print — skipped"), "{out}");
    assert!(
        !out.contains('\u{1b}'),
        "control characters reach the terminal: {out:?}"
    );
}

/// `packdesk rules log` shows an execution whose shop change waits in the outbox as
/// queued, with the outbox entry.
#[test]
fn cli_log_shows_a_queued_shop_change() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let config = dir.path().join("station.toml");
    std::fs::write(&config, "station = \"bench-7\"\n").unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().join("data");
    let paths = Paths::resolve(Some(&config), Some(&data)).unwrap_or_else(|e| panic!("{e}"));
    {
        let store = open_store(&data);
        let o = order("upgates", "2026-79", "zasilkovna", 6000, true);
        store
            .import_orders(std::slice::from_ref(&o))
            .unwrap_or_else(|e| panic!("{e}"));
        let log = RuleLog::open(&store).unwrap_or_else(|e| panic!("{e}"));
        let ev = Event::packed(&o.key(), 1);
        let planned = evaluate(&example(), &ev, &facts(&o));
        let Some(p) = planned.first() else { panic!() };
        let Ok(Some(mut rec)) = log.begin(p, &ev, Utc::now()) else {
            panic!()
        };
        log.action_result(&mut rec, 0, Outcome::Done)
            .unwrap_or_else(|e| panic!("{e}"));
        log.action_result_with(&mut rec, 1, Outcome::Queued, vec![12], &[])
            .unwrap_or_else(|e| panic!("{e}"));
        log.finish(&mut rec, Utc::now())
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let out = cli(RulesCmd::Log { limit: 5 }, &paths).unwrap_or_else(|e| panic!("{e}"));
    assert!(out.contains(" queued rule \"Zabaleno: odeslat\""), "{out}");
    assert!(out.contains("2. print — queued (outbox #12)"), "{out}");
}
