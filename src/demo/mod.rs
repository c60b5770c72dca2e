//! Deterministic demo data: realistic Czech, Polish and Slovak e-shop orders.
//!
//! [`generate`] makes the same orders for the same seed, count and time. The first
//! [`SPECIAL_COUNT`] orders never depend on the seed: each shows one case the bench must
//! handle, and [`Special`] names them so tests and the demo can refer to them by meaning:
//!
//! | index | number   | case |
//! |-------|----------|------|
//! | 0 | `CZ250001` | [`Special::PlainTwoLines`]: two lines, one unit each, PPL home delivery |
//! | 1 | `CZ250002` | [`Special::ManyLines`]: 27 lines, GLS |
//! | 2 | `CZ250003` | [`Special::Cancelled`]: cancelled by the shop |
//! | 3 | `CZ250004` | [`Special::AckNote`]: a note the packer must acknowledge, Balíkovna |
//! | 4 | `CZ250005` | [`Special::SerialNumber`]: the phone that needs a serial number, DPD |
//! | 5 | `CZ250006` | [`Special::NoBarcode`]: a product without a barcode, Zásilkovna |
//! | 6 | `CZ250007` | [`Special::CasePack`]: 12 bottles = the 6-pack case scanned twice |
//! | 7 | `CZ250008` | [`Special::CodPickup`]: cash on delivery to a Zásilkovna pickup point |
//! | 8 | `PL250009` | [`Special::InpostLocker`]: InPost locker `KRA01M`, paid in PLN |
//! | 9 | `PL250010` | [`Special::MultiQuantity`]: lines of 3, 2 and 5 units, DPD |
//!
//! Order numbers are the country prefix and `250001 + index`, so they are unique.

mod catalogue;
mod market;
pub mod pipeline;

use chrono::{DateTime, Duration, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::domain::{Address, Line, Money, Note, Order, PickupPoint, Shipping};

pub use catalogue::{CASE_UNITS, Product, SKU_CASE, SKU_NO_BARCODE, SKU_SERIAL, catalogue};
use market::{
    CZ_SHIPPING, Market, PL_SHIPPING, Person, ShipOption, address, pick, random_customer,
    random_pickup, weighted,
};

/// The `source` of every demo order.
pub const SOURCE: &str = "demo";

/// How many fixed special orders start every generated list.
pub const SPECIAL_COUNT: usize = 10;

/// The numeric part of the first order number.
const FIRST_NUMBER: usize = 250_001;

/// The special cases among the first orders; see the table in the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Special {
    /// `CZ250001`: a plain order of two lines, one unit each.
    PlainTwoLines,
    /// `CZ250002`: 27 lines.
    ManyLines,
    /// `CZ250003`: cancelled by the shop (`cancelled: true`).
    Cancelled,
    /// `CZ250004`: a note with `ack_required: true`.
    AckNote,
    /// `CZ250005`: contains the phone ([`SKU_SERIAL`]) that needs a serial number.
    SerialNumber,
    /// `CZ250006`: contains the product without a barcode ([`SKU_NO_BARCODE`]).
    NoBarcode,
    /// `CZ250007`: 12 units of [`SKU_CASE`], packed as two cases of six.
    CasePack,
    /// `CZ250008`: cash on delivery (`cod` = total) to a Zásilkovna pickup point.
    CodPickup,
    /// `PL250009`: an InPost locker (`KRA01M`) order in PLN.
    InpostLocker,
    /// `PL250010`: lines with quantities 3, 2 and 5.
    MultiQuantity,
}

impl Special {
    /// Every special case, in order-index order.
    pub const ALL: [Special; SPECIAL_COUNT] = [
        Special::PlainTwoLines,
        Special::ManyLines,
        Special::Cancelled,
        Special::AckNote,
        Special::SerialNumber,
        Special::NoBarcode,
        Special::CasePack,
        Special::CodPickup,
        Special::InpostLocker,
        Special::MultiQuantity,
    ];

    /// The index of this order in [`generate`]'s output.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The order number, e.g. `CZ250001`.
    pub fn number(self) -> String {
        order_number(self.market(), self.index())
    }

    fn market(self) -> Market {
        match self {
            Special::InpostLocker | Special::MultiQuantity => Market::Pl,
            _ => Market::Cz,
        }
    }
}

/// The order number of a special case (same as [`Special::number`]).
pub fn special(kind: Special) -> String {
    kind.number()
}

fn order_number(market: Market, index: usize) -> String {
    format!("{}{}", market.country(), FIRST_NUMBER + index)
}

/// `count` demo orders: the [`Special`] cases first, then random orders from `seed`,
/// created over the three days before `now`. Deterministic: the same arguments give the
/// same orders, and a shorter list is a prefix of a longer one.
pub fn generate(seed: u64, count: usize, now: DateTime<Utc>) -> Vec<Order> {
    let products = catalogue();
    let mut orders = Vec::with_capacity(count);
    for kind in Special::ALL.into_iter().take(count) {
        orders.push(special_order(kind, &products, now));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for index in orders.len()..count {
        orders.push(random_order(&mut rng, index, &products, now));
    }
    orders
}

/// Market shares: Czech, Polish, Slovak.
const MARKET_SHARES: [(Market, u32); 3] = [(Market::Cz, 60), (Market::Pl, 35), (Market::Sk, 5)];

fn random_order(
    rng: &mut ChaCha8Rng,
    index: usize,
    products: &[Product],
    now: DateTime<Utc>,
) -> Order {
    let market = MARKET_SHARES[weighted(rng, MARKET_SHARES.iter().map(|m| m.1))].0;
    let (customer, city) = random_customer(rng, market);
    let options = market.shipping();
    let option = &options[weighted(rng, options.iter().map(|o| o.share))];
    let pickup_point = option
        .pickup
        .map(|kind| random_pickup(rng, market, kind, city));

    let line_count = if rng.random_ratio(1, 300) {
        rng.random_range(10..=30)
    } else {
        1 + weighted(rng, [45, 28, 13, 7, 4, 3].into_iter())
    };
    let lines = rand::seq::index::sample(rng, products.len(), line_count.min(products.len()))
        .into_iter()
        .map(|i| {
            let product = &products[i];
            let quantity = if product.sku == SKU_CASE && rng.random_bool(0.5) {
                u64::from(CASE_UNITS) * rng.random_range(1..=2)
            } else {
                match rng.random_range(0..100) {
                    0..78 => 1,
                    78..92 => 2,
                    92..97 => 3,
                    _ => rng.random_range(4..=10),
                }
            };
            product.line(quantity, market)
        })
        .collect();

    let cod = rng.random_bool(market.cod_share());
    let (priority, flags) = match rng.random_range(0..100) {
        0 => (2, vec!["vip".to_string()]),
        1..7 => (1, vec!["express".to_string()]),
        _ => (0, Vec::new()),
    };
    let note = match rng.random_range(0..100) {
        0 => Some(Note {
            text: pick(rng, market.ack_notes()).to_string(),
            ack_required: true,
        }),
        1..5 => Some(Note {
            text: pick(rng, market.notes()).to_string(),
            ack_required: false,
        }),
        _ => None,
    };
    let created_at = now - Duration::seconds(rng.random_range(0..3 * 24 * 3600));
    // One order in two hundred was cancelled in the shop after it was imported.
    let cancelled = rng.random_ratio(1, 200);
    let shop_status = if cancelled {
        market.cancelled_status()
    } else {
        pick(rng, market.open_statuses())
    };
    let shipping = shipping(option, pickup_point);
    finish(
        Draft {
            market,
            index,
            created_at,
            priority,
            customer,
            shipping,
            fee_minor: option.fee_minor,
            cod,
            note,
            lines,
            cancelled,
            flags,
        },
        shop_status.to_string(),
    )
}

fn shipping(option: &ShipOption, pickup_point: Option<PickupPoint>) -> Shipping {
    Shipping {
        method: option.method.to_string(),
        carrier: option.carrier.to_string(),
        service: option.service.to_string(),
        pickup_point,
        cutoff_min: Some(option.cutoff_min),
    }
}

/// An order before its totals are computed.
struct Draft {
    market: Market,
    index: usize,
    created_at: DateTime<Utc>,
    priority: u8,
    customer: Address,
    shipping: Shipping,
    fee_minor: i64,
    cod: bool,
    note: Option<Note>,
    lines: Vec<Line>,
    cancelled: bool,
    flags: Vec<String>,
}

/// Totals the lines, shipping and COD fee, and builds the order.
fn finish(d: Draft, shop_status: String) -> Order {
    let currency = d.market.currency();
    let goods: i64 = d
        .lines
        .iter()
        .map(|l| {
            let price = l.unit_price.as_ref().map_or(0, |p| p.minor);
            price * (l.quantity.0 / 1000) as i64
        })
        .sum();
    let cod_fee = if d.cod { d.market.cod_fee_minor() } else { 0 };
    let total = Money::new(goods + d.fee_minor + cod_fee, currency);
    Order {
        source: SOURCE.to_string(),
        number: order_number(d.market, d.index),
        shop_id: None,
        created_at: d.created_at,
        priority: d.priority,
        customer: d.customer,
        shipping: d.shipping,
        cod: d.cod.then(|| total.clone()),
        total,
        paid: !d.cod,
        note: d.note,
        lines: d.lines,
        shop_status,
        cancelled: d.cancelled,
        flags: d.flags,
        revision: 0,
    }
}

/// The fixed contents of a special order.
struct Fixed {
    first: &'static str,
    last: &'static str,
    street: &'static str,
    city: &'static str,
    zip: &'static str,
    /// The shop's shipping method.
    ship: &'static ShipOption,
    /// Pickup point id and name.
    pickup: Option<(&'static str, &'static str)>,
    /// (SKU, quantity); `None` for [`Special::ManyLines`], made from the catalogue.
    lines: Option<&'static [(&'static str, u64)]>,
}

/// How many catalogue products the [`Special::ManyLines`] order lists.
const MANY_LINES: usize = 27;

fn fixed(kind: Special) -> Fixed {
    let f = |first, last, street, city, zip, ship, pickup, lines| Fixed {
        first,
        last,
        street,
        city,
        zip,
        ship,
        pickup,
        lines,
    };
    let [zasilkovna, balikovna, cp_dr, ppl, gls, dpd] = CZ_SHIPPING;
    let [inpost, pl_dpd, _] = PL_SHIPPING;
    #[rustfmt::skip]
    let fixed = match kind {
        Special::PlainTwoLines => f("Jiří", "Dvořák", "Masarykova 427/12", "Brno", "602 00", ppl, None,
            Some(&[("KUCH-HRNEK-350", 1), ("POTR-KAVA-1KG", 1)][..])),
        Special::ManyLines => f("Žofie", "Říhová", "Krajinská 1563/27", "České Budějovice", "370 01", gls, None,
            None),
        Special::Cancelled => f("Řehoř", "Kučera", "Mírové náměstí 35", "Ústí nad Labem", "400 01", cp_dr, None,
            Some(&[("HRAC-HRA-OSADNICI", 1)][..])),
        Special::AckNote => f("Anežka", "Šťastná", "Gočárova třída 1120/8", "Hradec Králové", "500 02", balikovna,
            Some(("50002", "Balíkovna Hradec Králové 2, Gočárova třída 1120")),
            Some(&[("DOM-SVICKA-SKOR", 1), ("KOSM-PARFEM-50", 1)][..])),
        Special::SerialNumber => f("Ondřej", "Křížek", "Vinohradská 2405/190", "Praha 3", "130 00", dpd, None,
            Some(&[(SKU_SERIAL, 1), ("ELEK-USBC-2M", 1)][..])),
        Special::NoBarcode => f("Věra", "Procházková", "Horní náměstí 583/17", "Olomouc", "779 00", zasilkovna,
            Some(("10741", "Papírnictví Tužka, Ostružnická 6, Olomouc")),
            Some(&[(SKU_NO_BARCODE, 1), ("DOM-SVICKA-SKOR", 1)][..])),
        Special::CasePack => f("Pavel", "Němec", "Americká třída 2113/41", "Plzeň", "301 00", ppl, None,
            Some(&[(SKU_CASE, 12)][..])),
        Special::CodPickup => f("Lucie", "Marková", "Nádražní 1254/51", "Ostrava", "702 00", zasilkovna,
            Some(("12812", "Z-BOX Ostrava – Nádražní 51")),
            Some(&[("POTR-MED-500", 1), ("KOSM-KREM-RUCE", 1)][..])),
        Special::InpostLocker => f("Łukasz", "Wiśniewski", "ul. Floriańska 15/3", "Kraków", "31-019", inpost,
            Some(("KRA01M", "Paczkomat KRA01M, ul. Długa 12, Kraków")),
            Some(&[("ELEK-SLUCHATKA", 1), ("ELEK-POWERBANK-10", 1)][..])),
        Special::MultiQuantity => f("Zofia", "Żółkiewska", "ul. Piotrkowska 104/7", "Łódź", "90-926", pl_dpd, None,
            Some(&[("ELEK-BATERIE-AA4", 3), ("OBL-PONOZKY-3", 2), ("POTR-COKO-70", 5)][..])),
    };
    fixed
}

/// The fixed order for a special case (independent of the seed).
fn special_order(kind: Special, products: &[Product], now: DateTime<Utc>) -> Order {
    let market = kind.market();
    let Fixed {
        first,
        last,
        street,
        city,
        zip,
        ship: option,
        pickup,
        lines,
    } = fixed(kind);
    let lines: Vec<Line> = match lines {
        Some(items) => items
            .iter()
            .filter_map(|&(sku, qty)| {
                let product = products.iter().find(|p| p.sku == sku);
                product.map(|p| p.line(qty, market))
            })
            .collect(),
        None => products
            .iter()
            .filter(|p| p.ean.is_some() && !p.needs_serial && p.aliases.is_empty())
            .take(MANY_LINES)
            .map(|p| p.line(1, market))
            .collect(),
    };
    let pickup = pickup.map(|(id, name)| PickupPoint {
        id: id.to_string(),
        name: name.to_string(),
    });
    let person = Person {
        first,
        last,
        street: street.to_string(),
        city,
        zip: zip.to_string(),
    };
    let index = kind.index();
    let customer = address(
        market,
        &person,
        String::new(),
        4_827_311 + index as u32 * 7919,
    );
    let note = match kind {
        Special::AckNote => Some(Note {
            text: "Dárek – nevkládejte fakturu, přiložte přání z přihrádky B2.".to_string(),
            ack_required: true,
        }),
        Special::MultiQuantity => Some(Note {
            text: "Zażółć gęślą jaźń – proszę dzwonić przed doręczeniem.".to_string(),
            ack_required: false,
        }),
        _ => None,
    };
    let shop_status = if kind == Special::Cancelled {
        market.cancelled_status()
    } else {
        market.open_statuses()[0]
    };
    finish(
        Draft {
            market,
            index,
            // Oldest first, an hour or two before `now`.
            created_at: now - Duration::minutes(120 - 7 * index as i64),
            priority: 0,
            customer,
            shipping: shipping(option, pickup),
            fee_minor: option.fee_minor,
            cod: kind == Special::CodPickup,
            note,
            lines,
            cancelled: kind == Special::Cancelled,
            flags: Vec::new(),
        },
        shop_status.to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::market::PickupKind;
    use super::*;

    #[test]
    fn prices_follow_local_conventions() {
        assert_eq!(Market::Cz.price_minor(149), 14_900);
        assert_eq!(Market::Pl.price_minor(149), 2_599);
        assert_eq!(Market::Sk.price_minor(149), 590);
        assert_eq!(Market::Pl.price_minor(1), 99);
        assert_eq!(Market::Sk.price_minor(1), 90);
    }

    #[test]
    fn ascii_fold_for_emails() {
        assert_eq!(market::ascii_fold("Řehoř Dvořák"), "rehordvorak");
        assert_eq!(market::ascii_fold("Łódź Żółkiewska"), "lodzzolkiewska");
    }

    #[test]
    fn special_orders_name_existing_products() {
        let products = catalogue();
        for kind in Special::ALL {
            let order = special_order(kind, &products, Utc::now());
            let expected = fixed(kind).lines.map_or(MANY_LINES, <[_]>::len);
            assert_eq!(order.lines.len(), expected, "{kind:?}");
            assert_eq!(order.customer.country, kind.market().country());
        }
    }

    #[test]
    fn pickup_kinds_match_carriers() {
        for option in CZ_SHIPPING
            .iter()
            .chain(PL_SHIPPING)
            .chain(market::SK_SHIPPING)
        {
            match option.pickup {
                Some(PickupKind::Packeta) => assert_eq!(option.carrier, "zasilkovna"),
                Some(PickupKind::Balikovna) => assert_eq!(option.service, "NB"),
                Some(PickupKind::Inpost) => assert_eq!(option.carrier, "inpost"),
                None => assert_ne!(option.carrier, "inpost"),
            }
        }
    }
}
