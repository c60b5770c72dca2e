//! `packdesk order find|show|status|note`: order lookups and changes a packer or
//! supervisor needs, straight through the configured shop (`[shop]` in `station.toml`).

use std::io::Write;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Local, NaiveDate, NaiveTime, TimeZone, Utc};

use crate::config::{Config, Paths, build_shop, map_shipping};
use crate::doctor::{find_status, list_statuses};
use crate::domain::Order;
use crate::domain::text::sanitize;
use crate::shop::{NoteMode, OrderQuery, OrderUpdate, Shop, ShopStatus};
use crate::store::Store;

/// `packdesk order …`.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum OrderCmd {
    /// Find orders in the shop by number, customer e-mail, or phone within a period.
    #[command(group(clap::ArgGroup::new("by").required(true).args(["number", "email", "phone"])))]
    Find {
        /// The order number.
        #[arg(long)]
        number: Option<String>,
        /// The customer's e-mail.
        #[arg(long)]
        email: Option<String>,
        /// The customer's phone (with the country code); needs --from and --to.
        #[arg(long, requires_all = ["from", "to"])]
        phone: Option<String>,
        /// Created on or after this day (YYYY-MM-DD, local time) or time (RFC 3339).
        #[arg(long, value_name = "DATE", requires = "phone")]
        from: Option<String>,
        /// Created on or before this day (the whole day) or time.
        #[arg(long, value_name = "DATE", requires = "phone")]
        to: Option<String>,
    },
    /// Show an order as the shop has it: status, payment, total, tracking, items.
    Show {
        /// The order number.
        number: String,
    },
    /// Change an order's status in the shop.
    Status {
        /// The order number.
        number: String,
        /// The new status: its id or name in the shop's status list.
        status: String,
        /// E-mail the customer (needs send_emails = true in [shop]).
        #[arg(long)]
        notify: bool,
    },
    /// Add to (or replace) the order's internal note.
    Note {
        /// The order number.
        number: String,
        /// The text.
        text: String,
        /// Replace the note instead of adding a line to it.
        #[arg(long)]
        overwrite: bool,
    },
    /// List the order's documents (invoice, packing slip, labels, hand-over protocol);
    /// with --out, write them there (`CZ250020-invoice.pdf`, `CZ250020-label-1.pdf` …).
    Docs {
        /// The order number.
        number: String,
        /// Write the documents into this directory (created if needed).
        #[arg(long, value_name = "DIR")]
        out: Option<std::path::PathBuf>,
    },
}

/// Parses `--from` / `--to`: a day (local midnight; with `end_of_day`, its last second)
/// or an RFC 3339 time.
pub fn parse_when(s: &str, end_of_day: bool) -> Result<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let day = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .with_context(|| format!("{s:?} is not a date (YYYY-MM-DD) or an RFC 3339 time"))?;
    let time = if end_of_day {
        NaiveTime::from_hms_opt(23, 59, 59)
    } else {
        NaiveTime::from_hms_opt(0, 0, 0)
    }
    .context("time of day")?;
    let local = Local
        .from_local_datetime(&day.and_time(time))
        .earliest()
        .with_context(|| format!("{s} has no such local time"))?;
    Ok(local.with_timezone(&Utc))
}

/// How far back a phone search looks when no period is given (the TUI's find prompt).
pub const PHONE_DEFAULT_DAYS: i64 = 30;

/// Parses what a packer types into the order detail's find prompt: an e-mail (has `@`),
/// a phone (starts with `+`, or 9 or more digits with spaces) with an optional period
/// `FROM..TO` (days `YYYY-MM-DD` or RFC 3339 times; default the last
/// [`PHONE_DEFAULT_DAYS`] days up to `now`), or else an order number.
pub fn parse_query(input: &str, now: DateTime<Utc>) -> Result<OrderQuery, String> {
    let input = sanitize(input);
    let input = input.trim();
    if input.is_empty() {
        return Err("type an order number, an e-mail or a phone".into());
    }
    if input.contains('@') {
        if input.contains(char::is_whitespace) {
            return Err(format!("{input:?} is not an e-mail"));
        }
        return Ok(OrderQuery::Email(input.to_string()));
    }
    let (who, period) = match input.split_once(|c: char| c.is_whitespace()) {
        Some((a, b)) if b.contains("..") => (a.trim(), Some(b.trim())),
        _ => (input, None),
    };
    let digits = who.chars().filter(char::is_ascii_digit).count();
    let phone_chars = who
        .chars()
        .all(|c| c.is_ascii_digit() || c == '+' || c == ' ' || c == '-');
    let is_phone = phone_chars && (who.starts_with('+') || digits >= 9) && digits >= 6;
    let is_phone = is_phone || period.is_some();
    if !is_phone {
        return Ok(OrderQuery::Number(input.to_string()));
    }
    // Phones may hold spaces: everything before the period is the phone.
    let (phone, period) = match input.rsplit_once(|c: char| c.is_whitespace()) {
        Some((p, per)) if per.contains("..") => (p.trim(), Some(per)),
        _ => (input, None),
    };
    let (from, to) = match period {
        Some(p) => {
            let (a, b) = p.split_once("..").unwrap_or((p, ""));
            let from = parse_when(a, false).map_err(|e| e.to_string())?;
            let to = if b.trim().is_empty() {
                now
            } else {
                parse_when(b, true).map_err(|e| e.to_string())?
            };
            (from, to)
        }
        None => (now - chrono::Duration::days(PHONE_DEFAULT_DAYS), now),
    };
    if from > to {
        return Err("the period starts after it ends".into());
    }
    Ok(OrderQuery::Phone {
        phone: phone.to_string(),
        from,
        to,
    })
}

/// Runs a search against the shop: one sanitised line per order found (see
/// [`summary_line`]); the status names come from `statuses` where known.
pub async fn find_lines(
    shop: &dyn Shop,
    query: &OrderQuery,
    statuses: &[ShopStatus],
) -> Result<Vec<String>, String> {
    let orders = shop.find(query).await.map_err(|e| e.to_string())?;
    Ok(orders.iter().map(|o| summary_line(o, statuses)).collect())
}

fn status_name(statuses: &[ShopStatus], id: &str) -> String {
    match statuses.iter().find(|s| s.id == id) {
        Some(s) => format!("{} ({})", s.name, s.id),
        None if id.is_empty() => "(none)".into(),
        None => id.to_string(),
    }
}

/// One line of a search result.
pub fn summary_line(order: &Order, statuses: &[ShopStatus]) -> String {
    sanitize(&format!(
        "{:<12} {}  {:<18} {:>14}  {}  {}",
        order.number,
        order
            .created_at
            .with_timezone(&Local)
            .format("%Y-%m-%d %H:%M"),
        status_name(statuses, &order.shop_status),
        order.total.to_string(),
        order.customer.name,
        order.customer.email
    ))
}

/// What `order show` prints. `tracking` holds what this station knows (the shop's order
/// data as packdesk reads it carries no tracking number).
/// `mapped` is the carrier and service `[[carrier.map]]` gives its shipping method.
pub fn show_text(
    order: &Order,
    statuses: &[ShopStatus],
    tracking: &[String],
    mapped: Option<(&str, &str)>,
) -> String {
    let mut out = String::new();
    let mut row = |k: &str, v: String| out.push_str(&format!("{k:<10}{}\n", sanitize(&v)));
    row("order", format!("{} ({})", order.number, order.source));
    row(
        "created",
        order
            .created_at
            .with_timezone(&Local)
            .format("%Y-%m-%d %H:%M")
            .to_string(),
    );
    row("status", status_name(statuses, &order.shop_status));
    row(
        "payment",
        match &order.cod {
            Some(cod) => format!("cash on delivery, {cod}"),
            None => "paid in advance (not cash on delivery)".into(),
        },
    );
    row("paid", if order.paid { "yes" } else { "no" }.into());
    row("total", order.total.to_string());
    row(
        "tracking",
        if tracking.is_empty() {
            "none known".into()
        } else {
            tracking.join(", ")
        },
    );
    let pickup = order
        .shipping
        .pickup_point
        .as_ref()
        .map(|p| format!(", pickup point {} {}", p.id, p.name))
        .unwrap_or_default();
    let carrier = match mapped {
        Some((c, s)) => format!(" → {c} {s}"),
        None => " (not in [[carrier.map]])".into(),
    };
    row(
        "shipping",
        format!("{}{carrier}{pickup}", order.shipping.method),
    );
    let c = &order.customer;
    row(
        "customer",
        [
            c.name.as_str(),
            c.company.as_str(),
            c.email.as_str(),
            c.phone.as_str(),
        ]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", "),
    );
    row(
        "address",
        format!("{}, {} {}, {}", c.street, c.zip, c.city, c.country),
    );
    if let Some(note) = &order.note {
        row("note", note.text.clone());
    }
    row("items", format!("{} pcs", order.item_count()));
    for l in &order.lines {
        let ean = l.ean.as_deref().unwrap_or("no EAN");
        let price = l
            .unit_price
            .as_ref()
            .map(|p| format!("  {p}"))
            .unwrap_or_default();
        out.push_str(&sanitize(&format!(
            "  {:>7} × {:<14} {:<14} {}{price}",
            l.quantity.to_string(),
            l.sku,
            ean,
            l.name
        )));
        out.push('\n');
    }
    out
}

/// Tracking numbers this station made for the order, from the local store (empty when the
/// store cannot be opened, e.g. while the bench runs on it).
fn local_tracking(paths: &Paths, order: &Order) -> Vec<String> {
    if !paths.data_dir.exists() {
        return Vec::new();
    }
    let store = match Store::open(&paths.data_dir) {
        Ok(s) => s,
        Err(e) => {
            tracing::info!(error = %e, "order show: local store not opened");
            return Vec::new();
        }
    };
    store
        .shipments(&order.key())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|s| {
            s.tracking_number
                .map(|t| format!("{t} (parcel {}, {:?})", s.parcel_no, s.state))
        })
        .collect()
}

async fn one_order(shop: &dyn Shop, number: &str) -> Result<Order> {
    let found = shop
        .find(&OrderQuery::Number(number.to_string()))
        .await
        .with_context(|| format!("cannot look up order {number}"))?;
    found
        .into_iter()
        .find(|o| o.number == number.trim() || o.shop_id.as_deref() == Some(number.trim()))
        .with_context(|| format!("the shop has no order {number}"))
}

fn update_for(order: &Order) -> OrderUpdate {
    OrderUpdate {
        number: order.number.clone(),
        shop_id: order.shop_id.clone(),
        status: None,
        tracking_number: None,
        notify: false,
    }
}

/// Runs one `packdesk order` command against the configured shop, writing to `out`.
pub fn cli(paths: &Paths, cmd: OrderCmd, out: &mut dyn Write) -> Result<()> {
    let config = paths.load_config()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    if let OrderCmd::Docs { number, out: dir } = &cmd {
        // Needs no shop when the order is in this station's store.
        return rt.block_on(crate::effects::documents::cli(
            paths,
            &config,
            number,
            dir.as_deref(),
            out,
        ));
    }
    rt.block_on(run(paths, &config, cmd, out))
}

async fn run(paths: &Paths, config: &Config, cmd: OrderCmd, out: &mut dyn Write) -> Result<()> {
    let Some(shop) = build_shop(config)? else {
        bail!(
            "no [shop] in {}: order commands talk to the shop",
            paths.config_file.display()
        );
    };
    match cmd {
        OrderCmd::Find {
            number,
            email,
            phone,
            from,
            to,
        } => {
            let query = match (number, email, phone) {
                (Some(n), _, _) => OrderQuery::Number(n.trim().to_string()),
                (_, Some(e), _) => OrderQuery::Email(e.trim().to_string()),
                (_, _, Some(p)) => {
                    let (Some(from), Some(to)) = (from, to) else {
                        bail!("--phone needs --from and --to");
                    };
                    let (from, to) = (parse_when(&from, false)?, parse_when(&to, true)?);
                    if from > to {
                        bail!("--from is after --to");
                    }
                    OrderQuery::Phone { phone: p, from, to }
                }
                _ => bail!("give --number, --email or --phone"),
            };
            let orders = shop.find(&query).await.context("search failed")?;
            if orders.is_empty() {
                writeln!(out, "no orders found")?;
                return Ok(());
            }
            let statuses = shop.statuses().await.unwrap_or_default();
            for o in &orders {
                writeln!(out, "{}", summary_line(o, &statuses))?;
            }
        }
        OrderCmd::Show { number } => {
            let order = one_order(shop.as_ref(), &number).await?;
            let statuses = shop.statuses().await.unwrap_or_default();
            let tracking = local_tracking(paths, &order);
            let map = config.carrier.as_ref().map_or(&[][..], |c| &c.map[..]);
            let mapped = map_shipping(map, &order.shipping);
            let mapped = mapped.as_ref().map(|(c, s, _)| (c.as_str(), s.as_str()));
            write!(out, "{}", show_text(&order, &statuses, &tracking, mapped))?;
        }
        OrderCmd::Status {
            number,
            status,
            notify,
        } => {
            let send_emails = config.shop.as_ref().is_some_and(|s| s.send_emails);
            if notify && !send_emails {
                bail!(
                    "--notify: the shop is configured not to e-mail customers \
                     (send_emails = false in [shop] of {})",
                    paths.config_file.display()
                );
            }
            let statuses = shop
                .statuses()
                .await
                .context("cannot read the shop's status list")?;
            let Some(target) = find_status(&statuses, &status) else {
                bail!(
                    "\"{status}\" is not a status of the shop; it has: {}",
                    list_statuses(&statuses)
                );
            };
            let order = one_order(shop.as_ref(), &number).await?;
            let mut update = update_for(&order);
            update.status = Some(target.id.clone());
            update.notify = notify;
            let outcome = shop
                .push_updates(std::slice::from_ref(&update))
                .await
                .with_context(|| format!("cannot set the status of order {number}"))?;
            match outcome.into_iter().find(|o| o.number == order.number) {
                Some(o) => {
                    if let Err(e) = o.result {
                        bail!("order {number}: status not set: {e}");
                    }
                }
                None => bail!("order {number}: the shop did not confirm the change"),
            }
            writeln!(
                out,
                "order {}: status {} → {}{}",
                order.number,
                status_name(&statuses, &order.shop_status),
                status_name(&statuses, &target.id),
                if notify { ", customer notified" } else { "" }
            )?;
        }
        OrderCmd::Docs { number, out: dir } => {
            crate::effects::documents::cli(paths, config, &number, dir.as_deref(), out).await?;
        }
        OrderCmd::Note {
            number,
            text,
            overwrite,
        } => {
            let text = sanitize(&text);
            if text.trim().is_empty() {
                bail!("the note is empty");
            }
            let order = one_order(shop.as_ref(), &number).await?;
            let mode = if overwrite {
                NoteMode::Overwrite
            } else {
                NoteMode::Append
            };
            shop.set_note(&update_for(&order), &text, mode)
                .await
                .with_context(|| format!("cannot write the note of order {number}"))?;
            writeln!(
                out,
                "order {}: internal note {}",
                order.number,
                if overwrite { "replaced" } else { "added to" }
            )?;
        }
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_days_or_times() {
        let t = parse_when("2025-03-01T10:00:00+01:00", false).unwrap();
        assert_eq!(t.to_rfc3339(), "2025-03-01T09:00:00+00:00");
        let from = parse_when("2025-03-01", false).unwrap();
        let to = parse_when("2025-03-01", true).unwrap();
        assert_eq!((to - from).num_seconds(), 86_399);
        assert!(parse_when("1.3.2025", false).is_err());
    }

    #[test]
    fn find_prompt_reads_numbers_emails_and_phones_with_periods() {
        let now = parse_when("2025-03-31T12:00:00Z", false).unwrap();
        assert_eq!(
            parse_query(" CZ250001 ", now),
            Ok(OrderQuery::Number("CZ250001".into()))
        );
        assert_eq!(
            parse_query("9000011", now),
            Ok(OrderQuery::Number("9000011".into()))
        );
        assert_eq!(
            parse_query("Jan@Example.cz", now),
            Ok(OrderQuery::Email("Jan@Example.cz".into()))
        );
        match parse_query("+420 601 234 567", now) {
            Ok(OrderQuery::Phone { phone, from, to }) => {
                assert_eq!(phone, "+420 601 234 567");
                assert_eq!(to, now);
                assert_eq!((to - from).num_days(), PHONE_DEFAULT_DAYS);
            }
            other => panic!("{other:?}"),
        }
        match parse_query("+420 601 234 567 2025-03-01..2025-03-02", now) {
            Ok(OrderQuery::Phone { phone, from, to }) => {
                assert_eq!(phone, "+420 601 234 567");
                assert_eq!(from, parse_when("2025-03-01", false).unwrap());
                assert_eq!(to, parse_when("2025-03-02", true).unwrap());
            }
            other => panic!("{other:?}"),
        }
        assert!(parse_query("+420601234567 2025-03-05..2025-03-01", now).is_err());
        assert!(parse_query("   ", now).is_err());
        assert!(parse_query("a b@c", now).is_err());
    }
}
