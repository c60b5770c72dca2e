//! Effect runners for drops, further shipments and hand-overs (`app::shipping`).

use super::Runner;
use crate::app::shipping::ShipNote;
use crate::app::{Effect, Msg};

impl Runner {
    /// Runs `ShipAgain`, `DropShipments`, `HandoverList` and `Handover`.
    pub(super) fn shipment_effect(&self, effect: Effect) -> Vec<Msg> {
        let counts = |msgs: &mut Vec<Msg>| {
            if let Ok(c) = self.pipeline.outbox().counts() {
                msgs.push(Msg::Outbox(c));
            }
        };
        match effect {
            Effect::ShipAgain {
                order,
                session,
                generation,
            } => {
                let mut msgs: Vec<Msg> =
                    match self.pipeline.ship_generation(&order, &session, generation) {
                        Ok(pending) => pending
                            .into_iter()
                            .map(|s| Msg::Shipment(Box::new(s)))
                            .collect(),
                        Err(e) => vec![Msg::PersistFailed {
                            error: e.to_string(),
                            previous: None,
                        }],
                    };
                counts(&mut msgs);
                msgs
            }
            Effect::DropShipments { order_key } => {
                let mut msgs = match self.pipeline.drop_shipments(&order_key) {
                    Ok(_) => Vec::new(),
                    Err(error) => vec![Msg::ShipNote(ShipNote::Error { error })],
                };
                counts(&mut msgs);
                msgs
            }
            Effect::Handover { carrier } => {
                // Reads every shipment too: off the bench's thread when it can.
                let pipeline = self.pipeline.clone();
                let run = move || {
                    let mut msgs = match pipeline.handover(&carrier) {
                        Ok(_) => Vec::new(),
                        Err(error) => vec![Msg::ShipNote(ShipNote::Error { error })],
                    };
                    if let Ok(c) = pipeline.outbox().counts() {
                        msgs.push(Msg::Outbox(c));
                    }
                    msgs
                };
                match tokio::runtime::Handle::try_current() {
                    Ok(rt) => {
                        let tx = self.tx.clone();
                        rt.spawn_blocking(move || {
                            for m in run() {
                                let _ = tx.send(m);
                            }
                        });
                        Vec::new()
                    }
                    Err(_) => run(),
                }
            }
            Effect::HandoverList => {
                // Reads every shipment: off the bench's thread when a runtime is there.
                let pipeline = self.pipeline.clone();
                match tokio::runtime::Handle::try_current() {
                    Ok(rt) => {
                        let tx = self.tx.clone();
                        rt.spawn_blocking(move || {
                            let _ = tx.send(Msg::HandoverGroups(pipeline.handover_groups()));
                        });
                        Vec::new()
                    }
                    Err(_) => vec![Msg::HandoverGroups(pipeline.handover_groups())],
                }
            }
            _ => Vec::new(),
        }
    }
}
