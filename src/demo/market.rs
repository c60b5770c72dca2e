//! Countries the demo shop sells to: currencies, people, places and shipping methods.

use rand::Rng;

use crate::domain::{Address, PickupPoint};

/// A country the demo shop sells to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Market {
    Cz,
    Pl,
    Sk,
}

impl Market {
    /// ISO 3166-1 alpha-2 code, also the order-number prefix.
    pub(crate) fn country(self) -> &'static str {
        match self {
            Market::Cz => "CZ",
            Market::Pl => "PL",
            Market::Sk => "SK",
        }
    }

    pub(crate) fn currency(self) -> &'static str {
        match self {
            Market::Cz => "CZK",
            Market::Pl => "PLN",
            Market::Sk => "EUR",
        }
    }

    /// A shop price in minor units from a price in whole crowns: whole crowns in CZK,
    /// `x,99` in PLN and `x,90` in EUR, as e-shops round them.
    pub(crate) fn price_minor(self, czk: i64) -> i64 {
        match self {
            Market::Cz => czk * 100,
            // ~5.8 CZK per PLN, ~25 CZK per EUR, rounded half up to whole units.
            Market::Pl => ((czk * 10 + 29) / 58).max(1) * 100 - 1,
            Market::Sk => ((czk * 10 + 125) / 250).max(1) * 100 - 10,
        }
    }

    /// Cash-on-delivery surcharge in minor units.
    pub(crate) fn cod_fee_minor(self) -> i64 {
        match self {
            Market::Cz => 3900,
            Market::Pl => 500,
            Market::Sk => 150,
        }
    }

    /// Share of orders paid cash on delivery.
    pub(crate) fn cod_share(self) -> f64 {
        match self {
            Market::Cz => 0.25,
            Market::Pl => 0.08,
            Market::Sk => 0.35,
        }
    }

    /// The shop's status of a new order ready to pack.
    pub(crate) fn open_statuses(self) -> &'static [&'static str] {
        match self {
            Market::Cz => &["Přijata", "Vyřizuje se", "Zaplaceno"],
            Market::Pl => &["Nowe", "Opłacone", "W realizacji"],
            Market::Sk => &["Prijatá", "Vybavuje sa"],
        }
    }

    /// The shop's status of a cancelled order.
    pub(crate) fn cancelled_status(self) -> &'static str {
        match self {
            Market::Cz => "Stornována",
            Market::Pl => "Anulowane",
            Market::Sk => "Stornovaná",
        }
    }

    /// Notes customers leave; none of these blocks packing.
    pub(crate) fn notes(self) -> &'static [&'static str] {
        match self {
            Market::Cz => &[
                "Prosím zazvoňte dvakrát, zvonek u vchodu nefunguje.",
                "Doručte prosím po 16. hodině, přes den nejsme doma.",
                "Pokud to půjde, zabalte prosím bez plastu.",
            ],
            Market::Pl => &[
                "Proszę o fakturę VAT na firmę.",
                "Paczka na prezent – proszę ładnie zapakować.",
                "Proszę dzwonić przed doręczeniem.",
            ],
            Market::Sk => &["Prosím nezvoňte, spí bábätko.", "Balík nechajte u susedov."],
        }
    }

    /// Notes from the shop's staff the packer must acknowledge before scanning.
    pub(crate) fn ack_notes(self) -> &'static [&'static str] {
        match self {
            Market::Cz | Market::Sk => &[
                "Zákazník reklamoval rozbité zboží – balit do bublinkové fólie!",
                "Přiložit dárkové přání z přihrádky B2.",
                "Nevkládat fakturu – zásilka je dárek.",
            ],
            Market::Pl => &[
                "Dołączyć gratis: próbkę kremu z półki B3.",
                "Klient reklamował uszkodzenie – zapakować w folię bąbelkową!",
            ],
        }
    }

    fn people(self) -> &'static People {
        match self {
            Market::Cz => &CZ,
            Market::Pl => &PL,
            Market::Sk => &SK,
        }
    }

    /// The shipping methods offered in this market.
    pub(crate) fn shipping(self) -> &'static [ShipOption] {
        match self {
            Market::Cz => CZ_SHIPPING,
            Market::Pl => PL_SHIPPING,
            Market::Sk => SK_SHIPPING,
        }
    }
}

/// What kind of pickup point a shipping method delivers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PickupKind {
    Packeta,
    Balikovna,
    Inpost,
}

/// A shipping method of the shop and the carrier it maps to.
#[derive(Debug)]
pub(crate) struct ShipOption {
    pub(crate) method: &'static str,
    pub(crate) carrier: &'static str,
    pub(crate) service: &'static str,
    pub(crate) pickup: Option<PickupKind>,
    /// Carrier pickup cut-off, minutes after local midnight.
    pub(crate) cutoff_min: u16,
    /// Shipping fee in minor units of the market currency.
    pub(crate) fee_minor: i64,
    /// Relative share of orders using this method.
    pub(crate) share: u32,
}

const fn ship(
    method: &'static str,
    carrier: &'static str,
    service: &'static str,
    pickup: Option<PickupKind>,
    cutoff_min: u16,
    fee_minor: i64,
    share: u32,
) -> ShipOption {
    ShipOption {
        method,
        carrier,
        service,
        pickup,
        cutoff_min,
        fee_minor,
        share,
    }
}

#[rustfmt::skip]
pub(crate) const CZ_SHIPPING: &[ShipOption; 6] = &[
    ship("Zásilkovna – výdejní místo", "zasilkovna", "", Some(PickupKind::Packeta), 15 * 60, 7900, 35),
    ship("Balíkovna", "cp", "NB", Some(PickupKind::Balikovna), 16 * 60, 6900, 15),
    ship("Česká pošta – Balík Do ruky", "cp", "DR", None, 16 * 60, 11900, 15),
    ship("PPL – doručení na adresu", "ppl", "4", None, 14 * 60, 12900, 15),
    ship("GLS – kurýr", "gls", "1", None, 15 * 60 + 30, 11900, 10),
    ship("DPD – kurýr", "dpd", "2", None, 14 * 60 + 30, 12900, 10),
];

#[rustfmt::skip]
pub(crate) const PL_SHIPPING: &[ShipOption; 3] = &[
    ship("InPost Paczkomat 24/7", "inpost", "", Some(PickupKind::Inpost), 16 * 60, 1399, 60),
    ship("Kurier DPD", "dpd", "2", None, 15 * 60 + 30, 1699, 25),
    ship("Kurier GLS", "gls", "1", None, 15 * 60, 1499, 15),
];

#[rustfmt::skip]
pub(crate) const SK_SHIPPING: &[ShipOption] = &[
    ship("Packeta – výdajné miesto", "zasilkovna", "", Some(PickupKind::Packeta), 15 * 60, 290, 50),
    ship("GLS kuriér", "gls", "1", None, 15 * 60 + 30, 390, 25),
    ship("DPD kuriér", "dpd", "2", None, 14 * 60 + 30, 450, 25),
];

/// A city: name, the first part of its postcode, and its InPost locker code.
pub(crate) struct City {
    pub(crate) name: &'static str,
    zip: &'static str,
    locker: &'static str,
}

struct People {
    male: &'static [&'static str],
    female: &'static [&'static str],
    /// (male, female) forms of each surname.
    surnames: &'static [(&'static str, &'static str)],
    cities: &'static [City],
    streets: &'static [&'static str],
    phone: &'static str,
    mobile_starts: &'static [&'static str],
    mail_domains: &'static [&'static str],
    company_suffixes: &'static [&'static str],
}

const fn city(name: &'static str, zip: &'static str, locker: &'static str) -> City {
    City { name, zip, locker }
}

static CZ: People = People {
    male: &[
        "Jiří", "Jan", "Petr", "Josef", "Pavel", "Tomáš", "Martin", "Lukáš", "Řehoř", "Ondřej",
        "Vojtěch", "Matěj", "Zdeněk", "Miroslav", "Radek", "Jaroslav",
    ],
    female: &[
        "Žofie",
        "Jana",
        "Marie",
        "Eva",
        "Hana",
        "Lenka",
        "Kateřina",
        "Lucie",
        "Věra",
        "Tereza",
        "Anežka",
        "Božena",
        "Zuzana",
        "Markéta",
        "Dagmar",
        "Jiřina",
    ],
    surnames: &[
        ("Dvořák", "Dvořáková"),
        ("Novák", "Nováková"),
        ("Svoboda", "Svobodová"),
        ("Novotný", "Novotná"),
        ("Černý", "Černá"),
        ("Procházka", "Procházková"),
        ("Kučera", "Kučerová"),
        ("Veselý", "Veselá"),
        ("Horák", "Horáková"),
        ("Němec", "Němcová"),
        ("Pokorný", "Pokorná"),
        ("Marek", "Marková"),
        ("Růžička", "Růžičková"),
        ("Šťastný", "Šťastná"),
        ("Křížek", "Křížková"),
        ("Hájek", "Hájková"),
        ("Král", "Králová"),
        ("Beneš", "Benešová"),
        ("Fiala", "Fialová"),
        ("Jelínek", "Jelínková"),
        ("Říha", "Říhová"),
        ("Ševčík", "Ševčíková"),
    ],
    cities: &[
        city("Praha", "110", ""),
        city("Praha", "130", ""),
        city("Praha", "160", ""),
        city("Brno", "602", ""),
        city("Ostrava", "702", ""),
        city("Plzeň", "301", ""),
        city("Liberec", "460", ""),
        city("Olomouc", "779", ""),
        city("České Budějovice", "370", ""),
        city("Hradec Králové", "500", ""),
        city("Ústí nad Labem", "400", ""),
        city("Pardubice", "530", ""),
        city("Zlín", "760", ""),
        city("Jihlava", "586", ""),
        city("Třebíč", "674", ""),
        city("Kroměříž", "767", ""),
        city("Karlovy Vary", "360", ""),
        city("Český Krumlov", "381", ""),
        city("Žďár nad Sázavou", "591", ""),
        city("Frýdek-Místek", "738", ""),
    ],
    streets: &[
        "Masarykova",
        "Husova",
        "Nádražní",
        "Komenského",
        "Palackého",
        "Žižkova",
        "Smetanova",
        "Jiráskova",
        "Škroupova",
        "třída Svobody",
        "Křižíkova",
        "Dlouhá",
        "Školní",
        "Zahradní",
        "Růžová",
        "Vinohradská",
        "Údolní",
        "Štefánikova",
        "Na Příkopě",
        "Čechova",
    ],
    phone: "+420",
    mobile_starts: &[
        "601", "602", "603", "604", "605", "721", "732", "736", "777", "792",
    ],
    mail_domains: &[
        "seznam.cz",
        "email.cz",
        "gmail.com",
        "centrum.cz",
        "post.cz",
    ],
    company_suffixes: &["s.r.o.", "a.s.", "a syn s.r.o."],
};

static PL: People = People {
    male: &[
        "Łukasz",
        "Piotr",
        "Krzysztof",
        "Andrzej",
        "Tomasz",
        "Paweł",
        "Michał",
        "Marcin",
        "Jakub",
        "Grzegorz",
        "Wojciech",
        "Mateusz",
        "Bartłomiej",
        "Zbigniew",
    ],
    female: &[
        "Anna",
        "Małgorzata",
        "Agnieszka",
        "Katarzyna",
        "Barbara",
        "Zofia",
        "Joanna",
        "Magdalena",
        "Ewa",
        "Elżbieta",
        "Żaneta",
        "Jadwiga",
        "Urszula",
        "Wiesława",
    ],
    surnames: &[
        ("Wiśniewski", "Wiśniewska"),
        ("Kowalski", "Kowalska"),
        ("Nowak", "Nowak"),
        ("Wójcik", "Wójcik"),
        ("Kowalczyk", "Kowalczyk"),
        ("Kamiński", "Kamińska"),
        ("Lewandowski", "Lewandowska"),
        ("Zieliński", "Zielińska"),
        ("Szymański", "Szymańska"),
        ("Woźniak", "Woźniak"),
        ("Dąbrowski", "Dąbrowska"),
        ("Kozłowski", "Kozłowska"),
        ("Jankowski", "Jankowska"),
        ("Mazur", "Mazur"),
        ("Krawczyk", "Krawczyk"),
        ("Piątek", "Piątek"),
        ("Grabowski", "Grabowska"),
        ("Pawłowski", "Pawłowska"),
        ("Michalski", "Michalska"),
        ("Król", "Król"),
        ("Wróbel", "Wróbel"),
        ("Żółkiewski", "Żółkiewska"),
    ],
    cities: &[
        city("Warszawa", "00", "WAW"),
        city("Kraków", "31", "KRA"),
        city("Łódź", "90", "LOD"),
        city("Wrocław", "50", "WRO"),
        city("Poznań", "61", "POZ"),
        city("Gdańsk", "80", "GDA"),
        city("Szczecin", "70", "SZC"),
        city("Bydgoszcz", "85", "BYD"),
        city("Lublin", "20", "LUB"),
        city("Białystok", "15", "BIA"),
        city("Katowice", "40", "KAT"),
        city("Częstochowa", "42", "CZE"),
        city("Rzeszów", "35", "RZE"),
        city("Toruń", "87", "TOR"),
        city("Zielona Góra", "65", "ZGO"),
        city("Bielsko-Biała", "43", "BBI"),
    ],
    streets: &[
        "ul. Długa",
        "ul. Marszałkowska",
        "ul. Piotrkowska",
        "ul. Floriańska",
        "ul. Świętokrzyska",
        "ul. Mickiewicza",
        "ul. Słowackiego",
        "ul. Kościuszki",
        "ul. Żeromskiego",
        "ul. Ogrodowa",
        "ul. Źródlana",
        "ul. Łąkowa",
        "al. Jana Pawła II",
        "ul. Grunwaldzka",
        "ul. Wrocławska",
        "ul. Chełmońskiego",
    ],
    phone: "+48",
    mobile_starts: &[
        "501", "502", "505", "511", "533", "600", "601", "660", "692", "725",
    ],
    mail_domains: &["wp.pl", "onet.pl", "gmail.com", "o2.pl", "interia.pl"],
    company_suffixes: &["Sp. z o.o.", "S.A.", "s.c."],
};

static SK: People = People {
    male: &[
        "Ľubomír",
        "Štefan",
        "Ján",
        "Peter",
        "Marián",
        "Ľuboš",
        "Dušan",
    ],
    female: &[
        "Mária",
        "Zuzana",
        "Ľudmila",
        "Katarína",
        "Jana",
        "Soňa",
        "Alžbeta",
    ],
    surnames: &[
        ("Horváth", "Horváthová"),
        ("Kováč", "Kováčová"),
        ("Varga", "Vargová"),
        ("Tóth", "Tóthová"),
        ("Nagy", "Nagyová"),
        ("Baláž", "Balážová"),
        ("Šimko", "Šimková"),
        ("Lukáč", "Lukáčová"),
    ],
    cities: &[
        city("Bratislava", "811", ""),
        city("Košice", "040", ""),
        city("Žilina", "010", ""),
        city("Banská Bystrica", "974", ""),
        city("Prešov", "080", ""),
        city("Nitra", "949", ""),
        city("Trnava", "917", ""),
    ],
    streets: &[
        "Hlavná",
        "Obchodná",
        "Štúrova",
        "Hviezdoslavova",
        "Námestie SNP",
        "Kúpeľná",
    ],
    phone: "+421",
    mobile_starts: &["901", "903", "905", "908", "911", "915", "940", "948"],
    mail_domains: &["azet.sk", "gmail.com", "centrum.sk", "post.sk"],
    company_suffixes: &["s.r.o.", "a.s."],
};

/// One element of a non-empty constant list.
pub(crate) fn pick<'a, T, R: Rng>(rng: &mut R, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// An index into `weights`, chosen in proportion to them.
pub(crate) fn weighted<R: Rng>(rng: &mut R, weights: impl Iterator<Item = u32> + Clone) -> usize {
    let total: u32 = weights.clone().sum();
    let mut roll = rng.random_range(0..total.max(1));
    for (i, w) in weights.enumerate() {
        if roll < w {
            return i;
        }
        roll -= w;
    }
    0
}

/// `Dvořák` → `dvorak`, `Łódź` → `lodz`: e-mail addresses are ASCII.
pub(crate) fn ascii_fold(s: &str) -> String {
    s.chars()
        .filter_map(|c| {
            let c = c.to_lowercase().next().unwrap_or(c);
            let folded = match c {
                'á' | 'ä' | 'ą' => 'a',
                'č' | 'ć' => 'c',
                'ď' => 'd',
                'é' | 'ě' | 'ę' => 'e',
                'í' => 'i',
                'ľ' | 'ĺ' | 'ł' => 'l',
                'ň' | 'ń' => 'n',
                'ó' | 'ô' => 'o',
                'ř' | 'ŕ' => 'r',
                'š' | 'ś' => 's',
                'ť' => 't',
                'ú' | 'ů' => 'u',
                'ý' => 'y',
                'ž' | 'ź' | 'ż' => 'z',
                c if c.is_ascii_alphanumeric() => c,
                _ => return None,
            };
            Some(folded)
        })
        .collect()
}

/// The parts a customer is made of, so that the fixed demo orders can name them.
pub(crate) struct Person<'a> {
    pub(crate) first: &'a str,
    pub(crate) last: &'a str,
    pub(crate) street: String,
    pub(crate) city: &'a str,
    pub(crate) zip: String,
}

/// A customer address with phone and e-mail derived from the name; `salt` varies them.
pub(crate) fn address(market: Market, p: &Person<'_>, company: String, salt: u32) -> Address {
    let people = market.people();
    let start = people.mobile_starts[salt as usize % people.mobile_starts.len()];
    let domain = people.mail_domains[(salt / 7) as usize % people.mail_domains.len()];
    let n = salt % 1_000_000;
    Address {
        name: format!("{} {}", p.first, p.last),
        company,
        street: p.street.clone(),
        city: p.city.to_string(),
        zip: p.zip.clone(),
        country: market.country().to_string(),
        phone: format!("{} {start} {:03} {:03}", people.phone, n / 1000, n % 1000),
        email: format!(
            "{}.{}{}@{domain}",
            ascii_fold(p.first),
            ascii_fold(p.last),
            salt % 100
        ),
    }
}

/// A random customer of `market` and the city they live in.
pub(crate) fn random_customer<R: Rng>(rng: &mut R, market: Market) -> (Address, &'static City) {
    let people = market.people();
    let female = rng.random_bool(0.5);
    let first = if female {
        pick(rng, people.female)
    } else {
        pick(rng, people.male)
    };
    let (male_last, female_last) = *pick(rng, people.surnames);
    let last = if female { female_last } else { male_last };
    let c = pick(rng, people.cities);
    let street = random_street(rng, market);
    let zip = random_zip(rng, market, c);
    let company = if rng.random_ratio(1, 20) {
        format!("{male_last} {}", pick(rng, people.company_suffixes))
    } else {
        String::new()
    };
    let person = Person {
        first,
        last,
        street,
        city: c.name,
        zip,
    };
    let salt = rng.random_range(0..u32::MAX);
    (address(market, &person, company, salt), c)
}

fn random_street<R: Rng>(rng: &mut R, market: Market) -> String {
    let name = pick(rng, market.people().streets);
    let number = rng.random_range(1..200u32);
    match market {
        Market::Cz | Market::Sk if rng.random_bool(0.6) => {
            format!("{name} {}/{number}", rng.random_range(100..3000u32))
        }
        Market::Pl if rng.random_bool(0.4) => {
            format!("{name} {number}/{}", rng.random_range(1..60u32))
        }
        _ => format!("{name} {number}"),
    }
}

fn random_zip<R: Rng>(rng: &mut R, market: Market, c: &City) -> String {
    match market {
        Market::Pl => format!("{}-{:03}", c.zip, rng.random_range(1..1000u32)),
        Market::Cz | Market::Sk => format!("{} {:02}", c.zip, rng.random_range(0..4u32)),
    }
}

/// A random pickup point of `kind` in `c`.
pub(crate) fn random_pickup<R: Rng>(
    rng: &mut R,
    market: Market,
    kind: PickupKind,
    c: &City,
) -> PickupPoint {
    let street = random_street(rng, market);
    match kind {
        PickupKind::Packeta => {
            let id = rng.random_range(1000..40000u32).to_string();
            let name = if rng.random_bool(0.4) {
                format!("Z-BOX {} – {street}", c.name)
            } else {
                let venue = pick(
                    rng,
                    &[
                        "Trafika",
                        "Papírnictví",
                        "Květinářství",
                        "Večerka",
                        "Drogerie",
                    ],
                );
                format!("{venue}, {street}, {}", c.name)
            };
            PickupPoint { id, name }
        }
        PickupKind::Balikovna => PickupPoint {
            id: format!("{}{:02}", c.zip, rng.random_range(0..40u32)),
            name: format!("Balíkovna {}, {street}", c.name),
        },
        PickupKind::Inpost => {
            let id = format!("{}{:02}M", c.locker, rng.random_range(1..100u32));
            PickupPoint {
                name: format!("Paczkomat {id}, {street}, {}", c.name),
                id,
            }
        }
    }
}
