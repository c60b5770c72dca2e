//! Shared by the reducer tests: one small demo order that each test varies, a bench
//! state listing orders, and the scanner and runner answers that open an order and scan
//! its items.

use crate::app::{AppState, Effect, Looked, Lookup, Msg, Notice, Persist, Settings, update};
use crate::domain::{Address, Line, Money, Order, OrderSummary, Qty, Shipping};
use crate::flow::PackSession;
use crate::flow::{NotPackable, Reject};
use crate::scan::{Assembler, KeyIn, Scan, ScanConfig};

/// The EAN of the order's one line.
pub(crate) const EAN: &str = "4006381333931";

/// Demo order `number`: one mug (`EAN`, 0.3 kg), 1 000 CZK prepaid, customer Jiří in CZ,
/// carrier `own`, no shop status. Tests change the fields they are about.
pub(crate) fn order(number: &str) -> Order {
    Order {
        source: "demo".into(),
        number: number.into(),
        shop_id: None,
        created_at: chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default(),
        priority: 0,
        customer: Address {
            name: "Jiří".into(),
            country: "CZ".into(),
            ..Address::default()
        },
        shipping: Shipping {
            carrier: "own".into(),
            ..Shipping::default()
        },
        total: Money::new(1000, "CZK"),
        cod: None,
        paid: true,
        note: None,
        lines: vec![Line {
            sku: "MUG".into(),
            ean: Some(EAN.into()),
            name: "Hrnek".into(),
            quantity: Qty::units(1),
            unit_weight_kg: Some(0.3),
            needs_serial: false,
            aliases: vec![],
            unit_price: None,
        }],
        shop_status: String::new(),
        cancelled: false,
        flags: vec![],
        revision: 0,
    }
}

/// A bench with the default settings and scanner, listing `rows`.
pub(crate) fn state(rows: Vec<OrderSummary>) -> AppState {
    AppState::new(
        Settings::default(),
        Assembler::new(ScanConfig::default()),
        rows,
    )
}

/// Types `code` as a scanner does (5 ms between keys, 200 ms before Enter) and returns the
/// effects of the Enter; the keys before it have none.
pub(crate) fn type_scan(st: &mut AppState, code: &str) -> Vec<Effect> {
    for c in code.chars() {
        st.now_ms += 5;
        assert!(update(st, Msg::ScanKey(KeyIn::Char(c))).is_empty());
    }
    st.now_ms += 200;
    update(st, Msg::ScanKey(KeyIn::Enter))
}

/// The scan of the one code lookup in `fx`; panics on anything else.
pub(crate) fn lookup_scan(fx: &[Effect]) -> Scan {
    match fx {
        [Effect::Lookup(Lookup::Code(s))] => s.clone(),
        other => panic!("expected one code lookup, got {other:?}"),
    }
}

/// Scans `code` with an order open, the runner answering that it is no order's number and
/// whether it is a `known` product code.
pub(crate) fn scan_code(st: &mut AppState, code: &str, known: bool) -> Vec<Effect> {
    let fx = type_scan(st, code);
    let scan = lookup_scan(&fx);
    update(
        st,
        Msg::Looked(Looked::Code {
            scan,
            order_key: None,
            known,
        }),
    )
}

/// Scans `code` as an item of the open order: a known product code.
pub(crate) fn scan_item(st: &mut AppState, code: &str) -> Vec<Effect> {
    scan_code(st, code, true)
}

/// `o` loaded from the store with `session` (a resumed one, or none), as the runner answers
/// `LoadOrder`; `via` is the code that opened it.
pub(crate) fn loaded(
    st: &mut AppState,
    o: &Order,
    session: Option<PackSession>,
    via: Option<&str>,
) -> Vec<Effect> {
    update(
        st,
        Msg::OrderLoaded {
            order: Box::new(o.clone()),
            session: session.map(Box::new),
            shipments: vec![],
            via: via.map(str::to_string),
            photos: 0,
        },
    )
}

/// Opens `o` through a scan of its number; see [`open_by`].
pub(crate) fn open(st: &mut AppState, o: &Order) -> Vec<Effect> {
    open_by(st, o, &o.number)
}

/// Opens `o` through a scan of `code`, as the runner answers: the lookup finds the order,
/// the reducer asks to load it (naming the code it came by), and it loads with no
/// session. Returns the effects of the load.
pub(crate) fn open_by(st: &mut AppState, o: &Order, code: &str) -> Vec<Effect> {
    let fx = type_scan(st, code);
    let scan = lookup_scan(&fx);
    let fx = update(
        st,
        Msg::Looked(Looked::Code {
            scan,
            order_key: Some(o.key()),
            known: false,
        }),
    );
    let via = match fx.as_slice() {
        [Effect::LoadOrder { via, .. }] => via.clone(),
        other => panic!(
            "expected a load, got {other:?} {:?} {:?}",
            st.banner, st.prompt
        ),
    };
    assert!(via.is_some(), "the load names the code");
    loaded(st, o, None, via.as_deref())
}

/// How many pack steps `fx` writes to the store.
pub(crate) fn steps(fx: &[Effect]) -> usize {
    fx.iter()
        .filter(|e| matches!(e, Effect::Persist(Persist::Step { .. })))
        .count()
}

/// Whether the banner refuses an order outside the queue statuses, naming its shop
/// status as `want`.
pub(crate) fn refused_not_queued(st: &AppState, want: &str) -> bool {
    matches!(
        &st.banner,
        Some(Notice::Rejected {
            reject: Reject::NotPackable(NotPackable::NotQueued { status }),
            ..
        }) if status == want
    )
}
