//! The demo's real pipeline: the Upgates (or BaseLinker) and Balikobot simulators run
//! in-process on loopback, seeded with the demo orders, and the bench talks to them through
//! the real clients, the sync worker and the outbox, as it would to the real services.

use crate::config::{
    CarrierKind, CarrierMap, CarrierSection, Secret, ShopKind, ShopSection, StatusSection,
};
use crate::domain::Order;
use crate::sim::balikobot::BalikobotSim;
use crate::sim::baselinker::BaseLinkerSim;
use crate::sim::upgates::UpgatesSim;
use crate::sim::{Faults, Running};

use super::market::Market;

/// Which shop the demo simulates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DemoShop {
    /// Upgates shop + Balikobot carriers (Czech and Slovak shops).
    Upgates,
    /// BaseLinker orders + BaseLinker couriers (InPost, DPD … for Polish shops).
    Baselinker,
    /// No simulators: orders in the store, packdesk's own labels.
    None,
}

/// The running simulators and the station configuration that points at them.
pub struct DemoSims {
    /// Kept alive while the bench runs (dropping one stops it).
    pub running: Vec<Running>,
    pub shop: Option<ShopSection>,
    pub carrier: Option<CarrierSection>,
    pub status: Option<StatusSection>,
}

const LOGIN: &str = "packdesk";
const UPGATES_KEY: &str = "demo-upgates-key";
const BALIKOBOT_KEY: &str = "demo-balikobot-key";
const BASELINKER_TOKEN: &str = "demo-baselinker-token";

/// Every demo shipping method with the carrier and service it maps to (`[[carrier.map]]`).
/// Balikobot names Zásilkovna's pickup-point services per country.
pub fn carrier_map() -> Vec<CarrierMap> {
    let mut map = Vec::new();
    for market in [Market::Cz, Market::Pl, Market::Sk] {
        for opt in market.shipping() {
            let service = match (opt.carrier, market) {
                ("zasilkovna", Market::Sk) => "VMSK",
                ("zasilkovna", _) => "VMCZ",
                (_, _) => opt.service,
            };
            map.push(CarrierMap {
                shipping: opt.method.to_string(),
                carrier: opt.carrier.to_string(),
                service: service.to_string(),
                size_class: None,
                default_weight_kg: None,
                insurance: false,
            });
        }
    }
    map
}

/// Starts the simulators for `kind`, seeded with `orders`.
pub async fn start(kind: DemoShop, orders: &[Order], seed: u64) -> std::io::Result<DemoSims> {
    match kind {
        DemoShop::None => Ok(DemoSims {
            running: Vec::new(),
            shop: None,
            carrier: None,
            status: None,
        }),
        DemoShop::Upgates => {
            let shop = UpgatesSim::new(LOGIN, UPGATES_KEY, Faults::default(), seed);
            shop.add_orders(
                orders
                    .iter()
                    .map(crate::sim::upgates::demo_order_json)
                    .collect(),
            );
            let shop_run = shop.start(0).await?;
            let carrier = BalikobotSim::new(LOGIN, BALIKOBOT_KEY, Faults::default(), seed);
            let carrier_run = carrier.start(0).await?;
            Ok(DemoSims {
                shop: Some(ShopSection {
                    kind: ShopKind::Upgates,
                    url: Some(shop_run.base_url.clone()),
                    login: Some(LOGIN.into()),
                    key: Some(Secret::new(UPGATES_KEY)),
                    key_env: None,
                    send_emails: false,
                }),
                carrier: Some(CarrierSection {
                    kind: CarrierKind::Balikobot,
                    url: Some(carrier_run.base_url.clone()),
                    user: Some(LOGIN.into()),
                    key: Some(Secret::new(BALIKOBOT_KEY)),
                    key_env: None,
                    timeout_s: 10,
                    map: carrier_map(),
                    track_every_min: 30,
                }),
                // The simulated shop's statuses: 5 "Zabalená" (packed), 4 "Odeslaná" (sent).
                status: Some(StatusSection {
                    queue: Vec::new(),
                    packed: Some("5".into()),
                    ready: Some("4".into()),
                    dispatched: None,
                    notify_customer: false,
                    ..StatusSection::default()
                }),
                running: vec![shop_run, carrier_run],
            })
        }
        DemoShop::Baselinker => {
            let sim = BaseLinkerSim::new(BASELINKER_TOKEN, Faults::default(), seed);
            sim.add_orders(
                orders
                    .iter()
                    .map(crate::sim::baselinker::demo_order_json)
                    .collect(),
            );
            let run = sim.start(0).await?;
            Ok(DemoSims {
                shop: Some(ShopSection {
                    kind: ShopKind::Baselinker,
                    url: Some(run.base_url.clone()),
                    login: None,
                    key: Some(Secret::new(BASELINKER_TOKEN)),
                    key_env: None,
                    send_emails: false,
                }),
                carrier: Some(CarrierSection {
                    kind: CarrierKind::Baselinker,
                    url: Some(run.base_url.clone()),
                    user: None,
                    key: Some(Secret::new(BASELINKER_TOKEN)),
                    key_env: None,
                    timeout_s: 10,
                    map: carrier_map(),
                    track_every_min: 30,
                }),
                // The simulated statuses: 1053 "Packed", 1054 "Shipped".
                status: Some(StatusSection {
                    packed: Some("1053".into()),
                    ready: Some("1054".into()),
                    ..StatusSection::default()
                }),
                running: vec![run],
            })
        }
    }
}
