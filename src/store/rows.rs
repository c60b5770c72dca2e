//! Queue rows on disk: postcard after a version byte. Version 3 carries the shop status
//! (the Held tab shows it); version-2 rows, written before it existed, still load (their
//! status reads as empty until the schema-3 migration or the next import fills it in).

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{COMPACT_VERSION, Store, StoreError, decode, encode_compact};
use crate::domain::{Flags, Money, OrderState, OrderSummary, Qty};

/// Version byte of queue rows written before they carried the shop status.
pub(super) const ROW_VERSION_2: u8 = 2;

/// A queue row as schema 2 wrote it (postcard is positional: the fields, in order).
#[derive(Deserialize)]
struct RowV2 {
    key: String,
    number: String,
    state: OrderState,
    #[serde(with = "chrono::serde::ts_milliseconds")]
    created_at: DateTime<Utc>,
    priority: u8,
    cutoff_min: Option<u16>,
    carrier: String,
    service: String,
    items: Qty,
    cod: Option<Money>,
    country: String,
    flags: Flags,
    customer: String,
    revision: u64,
    haystack: String,
}

/// Decodes a queue row of any version.
pub(super) fn decode_row(key: &[u8], bytes: &[u8]) -> Result<OrderSummary, StoreError> {
    match bytes.split_first() {
        Some((&ROW_VERSION_2, body)) if ROW_VERSION_2 != COMPACT_VERSION => {
            let r: RowV2 = postcard::from_bytes(body).map_err(|e| StoreError::Corrupt {
                tree: "summaries",
                key: String::from_utf8_lossy(key).into_owned(),
                detail: e.to_string(),
            })?;
            Ok(OrderSummary {
                key: r.key,
                number: r.number,
                state: r.state,
                created_at: r.created_at,
                priority: r.priority,
                cutoff_min: r.cutoff_min,
                carrier: r.carrier,
                service: r.service,
                items: r.items,
                cod: r.cod,
                country: r.country,
                flags: r.flags,
                customer: r.customer,
                revision: r.revision,
                haystack: r.haystack,
                shop_status: String::new(),
            })
        }
        _ => decode("summaries", key, bytes),
    }
}

impl Store {
    /// Schema 3: held rows get the shop status from their order, and a row left "In
    /// progress" on an order held or cancelled upstream moves to Held / Cancelled, as
    /// an import does now. Only those rows' orders are read. Returns the rows changed.
    pub(super) fn migrate_rows_to_3(&self) -> Result<usize, StoreError> {
        let mut batch = sled::Batch::default();
        let mut n = 0;
        for kv in self.summaries.iter() {
            let (k, v) = kv.map_err(|e| self.io(e))?;
            let Ok(mut row) = decode_row(&k, &v) else {
                continue;
            };
            let needs_order = match row.state {
                OrderState::Held => row.shop_status.is_empty(),
                OrderState::InProgress => true,
                _ => false,
            };
            if !needs_order {
                continue;
            }
            let Ok(Some(order)) = self.order(&row.key) else {
                continue;
            };
            let state = match row.state {
                OrderState::InProgress if order.cancelled => OrderState::Cancelled,
                OrderState::InProgress if order.not_queued() => OrderState::Held,
                s => s,
            };
            if state != row.state || row.shop_status != order.shop_status {
                row.state = state;
                row.shop_status = order.shop_status.clone();
                batch.insert(k, encode_compact(&row));
                n += 1;
            }
        }
        self.summaries.apply_batch(batch).map_err(|e| self.io(e))?;
        self.db.flush().map_err(|e| self.io(e))?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row written by schema 2 (no shop status) still loads, with an empty status.
    #[test]
    fn version_2_rows_still_load() {
        let mut row = OrderSummary {
            key: "demo:CZ1".into(),
            number: "CZ1".into(),
            state: OrderState::Held,
            created_at: DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default(),
            priority: 1,
            cutoff_min: Some(600),
            carrier: "cp".into(),
            service: "DR".into(),
            items: Qty::units(2),
            cod: Some(Money::new(100, "CZK")),
            country: "CZ".into(),
            flags: Flags::default(),
            customer: "Jiří".into(),
            revision: 3,
            haystack: "cz1 jiri".into(),
            shop_status: String::new(),
        };
        // Schema 2's bytes: the same fields without the last one.
        #[derive(serde::Serialize)]
        struct Old<'a>(
            &'a str,
            &'a str,
            OrderState,
            i64,
            u8,
            Option<u16>,
            &'a str,
            &'a str,
            Qty,
            &'a Option<Money>,
            &'a str,
            Flags,
            &'a str,
            u64,
            &'a str,
        );
        let old = Old(
            &row.key,
            &row.number,
            row.state,
            row.created_at.timestamp_millis(),
            row.priority,
            row.cutoff_min,
            &row.carrier,
            &row.service,
            row.items,
            &row.cod,
            &row.country,
            row.flags,
            &row.customer,
            row.revision,
            &row.haystack,
        );
        let bytes = postcard::to_extend(&old, vec![ROW_VERSION_2]).expect("encode");
        assert_eq!(decode_row(b"demo:CZ1", &bytes).expect("decode"), row);
        // The current version keeps the status.
        row.shop_status = "Čeká na platbu".into();
        let now = super::super::encode_compact(&row);
        assert_eq!(now.first(), Some(&COMPACT_VERSION));
        assert_eq!(decode_row(b"demo:CZ1", &now).expect("decode"), row);
    }

    fn order(n: &str, status: &str) -> crate::domain::Order {
        let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        let mut o = crate::demo::generate(1, 1, now).pop().expect("one order");
        o.source = "demo".into();
        o.number = n.into();
        o.shop_id = None;
        o.cancelled = false;
        o.flags.clear();
        o.shop_status = status.into();
        o
    }

    fn held(mut o: crate::domain::Order) -> crate::domain::Order {
        o.shop_status = "7".into();
        o.flags.push(crate::domain::NOT_QUEUED.into());
        o
    }

    fn state(st: &Store, key: &str) -> Option<(OrderState, String)> {
        st.summary(key)
            .expect("read")
            .map(|r| (r.state, r.shop_status))
    }

    /// An import moves a row left "In progress" to Held or Cancelled when the shop holds
    /// or cancels the order, and a held one back to "To pack" when the shop releases it;
    /// the row carries the status, also after a restart.
    #[test]
    fn import_moves_in_progress_rows_of_held_and_cancelled_orders() {
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let st = Store::open(dir.path()).expect("open");
            st.import_orders(&[order("CZ1", "1"), order("CZ2", "1")])
                .expect("import");
            for k in ["demo:CZ1", "demo:CZ2"] {
                let mut row = st.summary(k).expect("read").expect("row");
                row.state = OrderState::InProgress;
                st.save_summary(&row).expect("save");
            }
            let mut cancelled = order("CZ2", "3");
            cancelled.cancelled = true;
            st.import_orders(&[held(order("CZ1", "1")), cancelled])
                .expect("import");
            assert_eq!(state(&st, "demo:CZ1"), Some((OrderState::Held, "7".into())));
            assert_eq!(
                state(&st, "demo:CZ2"),
                Some((OrderState::Cancelled, "3".into()))
            );
        }
        let st = Store::open(dir.path()).expect("reopen");
        assert_eq!(state(&st, "demo:CZ1"), Some((OrderState::Held, "7".into())));
        st.import_orders(&[order("CZ1", "1")]).expect("import");
        assert_eq!(
            state(&st, "demo:CZ1"),
            Some((OrderState::ToPack, "1".into()))
        );
        // A packed order stays packed whatever the shop says now.
        let mut row = st.summary("demo:CZ1").expect("read").expect("row");
        row.state = OrderState::Packed;
        st.save_summary(&row).expect("save");
        st.import_orders(&[held(order("CZ1", "1"))])
            .expect("import");
        assert_eq!(
            state(&st, "demo:CZ1").map(|s| s.0),
            Some(OrderState::Packed)
        );
    }

    /// A schema-2 directory: held rows without their status, a row of a held order left
    /// "In progress". Opening it migrates both, once.
    #[test]
    fn schema_2_rows_get_their_status_and_leave_in_progress() {
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let st = Store::open(dir.path()).expect("open");
            st.import_orders(&[
                held(order("CZ1", "1")),
                held(order("CZ2", "1")),
                order("CZ3", "1"),
            ])
            .expect("import");
            let strip = |k: &str, to: OrderState| {
                let mut row = st.summary(k).expect("read").expect("row");
                row.state = to;
                row.shop_status.clear();
                st.save_summary(&row).expect("save");
            };
            strip("demo:CZ1", OrderState::Held);
            strip("demo:CZ2", OrderState::InProgress);
            st.meta
                .insert("schema_version", &2u32.to_be_bytes())
                .expect("meta");
            st.flush().expect("flush");
        }
        let st = Store::open(dir.path()).expect("reopen");
        assert_eq!(state(&st, "demo:CZ1"), Some((OrderState::Held, "7".into())));
        assert_eq!(state(&st, "demo:CZ2"), Some((OrderState::Held, "7".into())));
        assert_eq!(
            state(&st, "demo:CZ3"),
            Some((OrderState::ToPack, "1".into()))
        );
        let v = st.meta.get("schema_version").expect("meta").expect("set");
        assert_eq!(v.as_ref(), super::super::SCHEMA_VERSION.to_be_bytes());
    }

    /// A figure, not a check: what the one-off schema-3 migration costs at the first
    /// start on a schema-2 directory of 20 000 rows, 1 000 of them held.
    /// `cargo test --lib store::rows::tests::migration_figure -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn migration_figure() {
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let st = Store::open(dir.path()).expect("open");
            let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
            let mut orders = crate::demo::generate(3, 20_000, now);
            for o in orders.iter_mut().step_by(20) {
                o.shop_status = "7".into();
                o.flags.push(crate::domain::NOT_QUEUED.into());
            }
            st.import_orders(&orders).expect("import");
            // As schema 2 left them: held rows without their status.
            for o in orders.iter().step_by(20) {
                let mut row = st.summary(&o.key()).expect("read").expect("row");
                row.shop_status.clear();
                st.save_summary(&row).expect("save");
            }
            st.meta
                .insert("schema_version", &2u32.to_be_bytes())
                .expect("meta");
            st.flush().expect("flush");
        }
        let t = std::time::Instant::now();
        let st = Store::open(dir.path()).expect("reopen");
        let migrated = t.elapsed();
        drop(st);
        let t = std::time::Instant::now();
        let _st = Store::open(dir.path()).expect("reopen");
        eprintln!(
            "open with the schema-3 migration: {migrated:?}; open after it: {:?}",
            t.elapsed()
        );
    }
}
