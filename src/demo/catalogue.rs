//! The demo product catalogue: about sixty products of a Czech/Polish e-shop.

use crate::domain::gtin::with_check_digit;
use crate::domain::{Alias, Line, Money, Qty};

use super::market::Market;

/// SKU of the phone that needs a serial number scanned when packed.
pub const SKU_SERIAL: &str = "TEL-NOVA-X5-128";
/// SKU of the hand-made product without a barcode.
pub const SKU_NO_BARCODE: &str = "RUC-TASKA-LEN";
/// SKU of the mineral water sold singly and in cases of six (the case has its own code).
pub const SKU_CASE: &str = "VODA-PERL-15";
/// Units in one case of [`SKU_CASE`].
pub const CASE_UNITS: u32 = 6;

/// A product of the demo shop.
#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    /// Stock keeping unit.
    pub sku: String,
    /// EAN-13; `None` for a product without a barcode.
    pub ean: Option<String>,
    /// Czech name (also used for Slovak orders).
    pub name_cs: String,
    /// Polish name.
    pub name_pl: String,
    /// Weight of one unit in kg, when the shop knows it.
    pub unit_weight_kg: Option<f64>,
    /// Price in whole Czech crowns; other currencies are derived from it.
    pub price_czk: i64,
    /// A serial number must be scanned for each unit.
    pub needs_serial: bool,
    /// Other codes on the product, e.g. the case barcode counting six units.
    pub aliases: Vec<Alias>,
}

impl Product {
    /// The product name in the language of `market`.
    pub(crate) fn name(&self, market: Market) -> &str {
        match market {
            Market::Pl => &self.name_pl,
            Market::Cz | Market::Sk => &self.name_cs,
        }
    }

    /// An order line of `quantity` units priced for `market`.
    pub(crate) fn line(&self, quantity: u64, market: Market) -> Line {
        Line {
            sku: self.sku.clone(),
            ean: self.ean.clone(),
            name: self.name(market).to_string(),
            quantity: Qty::units(quantity),
            unit_weight_kg: self.unit_weight_kg,
            needs_serial: self.needs_serial,
            aliases: self.aliases.clone(),
            unit_price: Some(Money::new(
                market.price_minor(self.price_czk),
                market.currency(),
            )),
        }
    }
}

/// What is special about a catalogue entry.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Plain,
    Serial,
    NoBarcode,
    Case,
}

/// (SKU, Czech name, Polish name, grams (0 = unknown), price in CZK, kind)
#[rustfmt::skip]
const PRODUCTS: &[(&str, &str, &str, u32, i64, Kind)] = &[
    ("KUCH-HRNEK-350", "Hrnek keramický 350 ml", "Kubek ceramiczny 350 ml", 350, 149, Kind::Plain),
    ("KUCH-NOZE-5", "Sada kuchyňských nožů, 5 ks", "Zestaw noży kuchennych, 5 szt.", 1200, 899, Kind::Plain),
    ("KUCH-PANEV-28", "Pánev nepřilnavá 28 cm", "Patelnia nieprzywierająca 28 cm", 1100, 649, Kind::Plain),
    ("KUCH-KAVOVAR", "Pákový kávovar na espresso", "Ekspres do kawy kolbowy", 4200, 3490, Kind::Plain),
    ("POTR-CAJ-ZEL", "Čaj zelený sypaný 100 g", "Herbata zielona liściasta 100 g", 120, 129, Kind::Plain),
    ("POTR-KAVA-1KG", "Káva zrnková 1 kg", "Kawa ziarnista 1 kg", 1050, 429, Kind::Plain),
    ("POTR-MED-500", "Med květový 500 g", "Miód wielokwiatowy 500 g", 650, 189, Kind::Plain),
    ("KOSM-SAMPON-400", "Šampon na vlasy 400 ml", "Szampon do włosów 400 ml", 450, 119, Kind::Plain),
    ("KOSM-KREM-RUCE", "Krém na ruce 75 ml", "Krem do rąk 75 ml", 90, 89, Kind::Plain),
    ("KOSM-PASTA", "Zubní pasta bělicí 75 ml", "Pasta do zębów wybielająca 75 ml", 120, 69, Kind::Plain),
    ("KOSM-GEL-LEV", "Sprchový gel s levandulí 250 ml", "Żel pod prysznic lawendowy 250 ml", 290, 79, Kind::Plain),
    ("HRAC-KOSTKY-120", "Stavebnice pro děti, 120 dílků", "Klocki dla dzieci, 120 elementów", 800, 549, Kind::Plain),
    ("HRAC-MEDVED-40", "Plyšový medvěd 40 cm", "Pluszowy miś 40 cm", 400, 399, Kind::Plain),
    ("HRAC-PUZZLE-1000", "Puzzle 1000 dílků – Karlův most", "Puzzle 1000 elementów – Most Karola", 700, 299, Kind::Plain),
    ("HRAC-HRA-OSADNICI", "Společenská hra Osadníci", "Gra planszowa Osadnicy", 1300, 849, Kind::Plain),
    ("ELEK-MYS-BT", "Bezdrátová myš", "Mysz bezprzewodowa", 120, 349, Kind::Plain),
    ("ELEK-USBC-2M", "Kabel USB-C 2 m", "Kabel USB-C 2 m", 60, 199, Kind::Plain),
    ("ELEK-POWERBANK-10", "Powerbanka 10 000 mAh", "Powerbank 10 000 mAh", 250, 599, Kind::Plain),
    ("ELEK-SLUCHATKA", "Sluchátka do uší", "Słuchawki douszne", 100, 790, Kind::Plain),
    ("ELEK-ZAROVKA-E27", "LED žárovka E27 9 W", "Żarówka LED E27 9 W", 60, 79, Kind::Plain),
    ("ELEK-PRODLUZKA-3", "Prodlužovací kabel, 3 zásuvky", "Przedłużacz, 3 gniazda", 500, 229, Kind::Plain),
    ("ELEK-BATERIE-AA4", "Baterie AA, 4 ks", "Baterie AA, 4 szt.", 100, 119, Kind::Plain),
    ("ZAHR-HADICE-20", "Zahradní hadice 20 m", "Wąż ogrodowy 20 m", 2400, 599, Kind::Plain),
    ("ZAHR-SEMINKA-RAJ", "Semínka rajčat", "Nasiona pomidorów", 0, 39, Kind::Plain),
    ("ZAHR-SUBSTRAT-10", "Substrát pro pokojové rostliny 10 l", "Ziemia do roślin doniczkowych 10 l", 4500, 129, Kind::Plain),
    ("ZAHR-RUKAVICE", "Zahradní rukavice", "Rękawice ogrodowe", 100, 99, Kind::Plain),
    ("ZVIR-GRANULE-3KG", "Granule pro psy 3 kg", "Karma sucha dla psa 3 kg", 3100, 499, Kind::Plain),
    ("ZVIR-STELIVO-10", "Kočičí stelivo 10 l", "Żwirek dla kota 10 l", 6500, 259, Kind::Plain),
    ("ZVIR-LANO", "Hračka pro psa – přetahovací lano", "Zabawka dla psa – sznur", 200, 149, Kind::Plain),
    ("OBL-PONOZKY-3", "Ponožky bavlněné, 3 páry", "Skarpetki bawełniane, 3 pary", 150, 249, Kind::Plain),
    ("OBL-TRIKO-M", "Tričko bavlněné, vel. M", "Koszulka bawełniana, rozm. M", 180, 399, Kind::Plain),
    ("OBL-CEPICE", "Pletená čepice", "Czapka z dzianiny", 100, 349, Kind::Plain),
    ("OBL-DESTNIK", "Deštník skládací", "Parasol składany", 350, 449, Kind::Plain),
    ("KNIH-KUCHARKA", "Kuchařka – česká jídla", "Książka kucharska – kuchnia czeska", 900, 499, Kind::Plain),
    ("PAP-DIAR-A5", "Diář 2026 A5", "Kalendarz książkowy 2026 A5", 400, 259, Kind::Plain),
    ("PAP-PROPISKY-10", "Propisky, 10 ks", "Długopisy, 10 szt.", 120, 89, Kind::Plain),
    ("DOM-SVICKA-SKOR", "Vonná svíčka se skořicí", "Świeca zapachowa cynamonowa", 300, 199, Kind::Plain),
    ("DOM-POLSTAR-45", "Dekorační polštář 45×45 cm", "Poduszka dekoracyjna 45×45 cm", 500, 349, Kind::Plain),
    ("DOM-RUCNIK-50", "Ručník froté 50×100 cm", "Ręcznik frotte 50×100 cm", 400, 229, Kind::Plain),
    ("DOM-POVLECENI", "Povlečení bavlněné 140×200 cm", "Pościel bawełniana 140×200 cm", 1300, 899, Kind::Plain),
    ("SPORT-LAHEV-075", "Láhev na pití 0,75 l", "Butelka na wodę 0,75 l", 200, 299, Kind::Plain),
    ("SPORT-JOGA", "Podložka na jógu", "Mata do jogi", 1000, 599, Kind::Plain),
    ("SPORT-CINKA-5", "Činka 5 kg", "Hantla 5 kg", 5000, 399, Kind::Plain),
    ("SPORT-SVITILNA", "Cyklistická svítilna", "Lampka rowerowa", 100, 349, Kind::Plain),
    ("ZDR-VITC-60", "Vitamín C 1000 mg, 60 tablet", "Witamina C 1000 mg, 60 tabletek", 100, 199, Kind::Plain),
    ("KOSM-SPF50", "Opalovací krém SPF 50", "Krem z filtrem SPF 50", 220, 329, Kind::Plain),
    ("KOSM-PARFEM-50", "Parfémovaná voda 50 ml", "Woda perfumowana 50 ml", 300, 1290, Kind::Plain),
    ("POTR-COKO-70", "Hořká čokoláda 70 %", "Czekolada gorzka 70%", 100, 59, Kind::Plain),
    ("POTR-KESU-500", "Kešu ořechy 500 g", "Orzechy nerkowca 500 g", 520, 289, Kind::Plain),
    ("POTR-OLEJ-075", "Olivový olej extra panenský 0,75 l", "Oliwa z oliwek extra virgin 0,75 l", 1100, 299, Kind::Plain),
    ("POTR-SIRUP-BEZ", "Bezový sirup 0,5 l", "Syrop z czarnego bzu 0,5 l", 800, 149, Kind::Plain),
    ("DAR-KRABICKA", "Dárková krabička", "Pudełko prezentowe", 0, 49, Kind::Plain),
    ("DOM-NALEPKY", "Samolepky na zeď – les", "Naklejki ścienne – las", 0, 149, Kind::Plain),
    ("VYTV-STETCE-12", "Sada štětců, 12 ks", "Zestaw pędzli, 12 szt.", 150, 179, Kind::Plain),
    ("VYTV-AKVAREL-24", "Akvarelové barvy, 24 odstínů", "Farby akwarelowe, 24 kolory", 300, 349, Kind::Plain),
    ("KUCH-MIXER", "Ruční tyčový mixér", "Blender ręczny", 1200, 1190, Kind::Plain),
    ("KUCH-KONVICE-17", "Rychlovarná konvice 1,7 l", "Czajnik elektryczny 1,7 l", 1100, 799, Kind::Plain),
    ("ELEK-NARAMEK", "Fitness náramek", "Opaska fitness", 80, 890, Kind::Plain),
    (SKU_SERIAL, "Chytrý telefon Nova X5 128 GB", "Smartfon Nova X5 128 GB", 420, 5990, Kind::Serial),
    (SKU_NO_BARCODE, "Ručně šitá lněná taška", "Ręcznie szyta torba lniana", 250, 390, Kind::NoBarcode),
    (SKU_CASE, "Minerální voda perlivá 1,5 l", "Woda mineralna gazowana 1,5 l", 1580, 19, Kind::Case),
];

/// The 12-digit GTIN body (without check digit) of product `index`: Czech (859) and
/// Polish (590) GS1 prefixes, a company number and an item number.
fn ean_body(index: usize) -> String {
    let (prefix, company) = if index % 4 == 3 {
        ("590", 7311)
    } else {
        ("859", 4126)
    };
    format!("{prefix}{company:04}{:05}", 1000 + index * 7)
}

/// The demo shop's catalogue. Every EAN is a valid EAN-13 (made with
/// [`with_check_digit`]); the case alias of [`SKU_CASE`] is its GTIN-14 with indicator 1.
pub fn catalogue() -> Vec<Product> {
    PRODUCTS
        .iter()
        .enumerate()
        .map(|(i, &(sku, cs, pl, grams, czk, kind))| {
            let body = ean_body(i);
            let ean = (kind != Kind::NoBarcode)
                .then(|| with_check_digit(&body))
                .flatten();
            let aliases = if kind == Kind::Case {
                with_check_digit(&format!("1{body}"))
                    .map(|code| Alias {
                        code,
                        units: CASE_UNITS,
                    })
                    .into_iter()
                    .collect()
            } else {
                Vec::new()
            };
            Product {
                sku: sku.to_string(),
                ean,
                name_cs: cs.to_string(),
                name_pl: pl.to_string(),
                unit_weight_kg: (grams > 0).then(|| f64::from(grams) / 1000.0),
                price_czk: czk,
                needs_serial: kind == Kind::Serial,
                aliases,
            }
        })
        .collect()
}
