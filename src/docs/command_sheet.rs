//! The `PD:HANDOVER:<CARRIER>` codes of the command-barcode sheet (`packdesk sheet
//! commands`): one per carrier of the station's `[[carrier.map]]`, or, with no map, per
//! carrier the data directory's shipments name. A packer with only a scanner picks the
//! carrier to hand over with them.

use std::collections::BTreeSet;
use std::path::Path;

use super::SheetEntry;
use crate::app::Action;
use crate::config::Paths;
use crate::i18n::{Catalog, Lang};
use crate::store::Store;

/// Where the sheet's carriers come from, said on the terminal by the CLI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CarrierSource {
    /// The station's `[[carrier.map]]`.
    Map,
    /// No map: the carriers of the stored shipments.
    Shipments,
    /// Neither a map nor a store with shipments.
    None,
}

/// A carrier code that fits a command barcode (Code 128, the scanner's `PD:` word).
fn printable(code: &str) -> bool {
    !code.is_empty()
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The carrier codes, upper-cased, each once, sorted; codes a barcode cannot carry are
/// returned apart.
fn normalise<'a>(codes: impl IntoIterator<Item = &'a str>) -> (Vec<String>, Vec<String>) {
    let mut ok = BTreeSet::new();
    let mut bad = BTreeSet::new();
    for c in codes {
        let c = c.trim();
        if printable(c) {
            ok.insert(c.to_ascii_uppercase());
        } else if !c.is_empty() {
            bad.insert(crate::domain::text::sanitize(c));
        }
    }
    (ok.into_iter().collect(), bad.into_iter().collect())
}

/// One sheet entry per carrier: `PD:HANDOVER:<CODE>` with the hand-over caption in the
/// three languages.
pub fn handover_entries(carriers: &[String]) -> Vec<SheetEntry> {
    let (codes, _) = normalise(carriers.iter().map(String::as_str));
    codes
        .into_iter()
        .map(|code| SheetEntry {
            caption: format!(
                "{} {code} / {} {code} / {} {code}",
                Catalog::new(Lang::En).action(Action::Handover),
                Catalog::new(Lang::Cs).action(Action::Handover),
                Catalog::new(Lang::Pl).action(Action::Handover),
            ),
            code: format!("PD:HANDOVER:{code}"),
        })
        .collect()
}

/// The carriers of the station: its `[[carrier.map]]`, else the stored shipments' (the
/// store is read only when the data directory holds one: the sheet never creates it).
/// Returns the codes, where they came from, and what could not be used (for the CLI to
/// say; never fatal: the rest of the sheet is printed anyway).
pub fn station_carriers(
    config: Option<&Path>,
    data_dir: Option<&Path>,
) -> (Vec<String>, CarrierSource, Vec<String>) {
    let mut notes = Vec::new();
    let paths = match Paths::resolve(config, data_dir) {
        Ok(p) => p,
        Err(e) => return (Vec::new(), CarrierSource::None, vec![e.to_string()]),
    };
    match paths.load_config() {
        Ok(cfg) => {
            let map = cfg.carrier.map(|c| c.map).unwrap_or_default();
            if !map.is_empty() {
                let (codes, bad) = normalise(map.iter().map(|m| m.carrier.as_str()));
                notes.extend(
                    bad.into_iter()
                        .map(|c| format!("carrier `{c}` has no barcode")),
                );
                return (codes, CarrierSource::Map, notes);
            }
        }
        Err(e) => notes.push(e.to_string()),
    }
    if !paths.data_dir.join("db").exists() {
        return (Vec::new(), CarrierSource::None, notes);
    }
    let store = match Store::open(&paths.data_dir) {
        Ok(s) => s,
        Err(e) => {
            notes.push(e.to_string());
            return (Vec::new(), CarrierSource::None, notes);
        }
    };
    match store.all_shipments() {
        Ok(all) => {
            let (codes, bad) = normalise(all.iter().filter_map(|s| s.carrier.as_deref()));
            notes.extend(
                bad.into_iter()
                    .map(|c| format!("carrier `{c}` has no barcode")),
            );
            let source = if codes.is_empty() {
                CarrierSource::None
            } else {
                CarrierSource::Shipments
            };
            (codes, source, notes)
        }
        Err(e) => {
            notes.push(e.to_string());
            (Vec::new(), CarrierSource::None, notes)
        }
    }
}

/// The sheet's hand-over entries for the CLI, with anything worth saying written to
/// standard error (a user-facing note of a command, not a log).
pub fn station_handover_entries(config: Option<&Path>, data_dir: Option<&Path>) -> Vec<SheetEntry> {
    let (codes, _source, notes) = station_carriers(config, data_dir);
    for n in notes {
        eprintln!("packdesk: hand-over barcodes: {n}");
    }
    handover_entries(&codes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_entry_per_carrier_upper_cased_once_and_only_printable_ones() {
        let e = handover_entries(&[
            "cp".into(),
            "PPL".into(),
            "Cp".into(),
            "zásilkovna".into(),
            " ".into(),
        ]);
        let codes: Vec<&str> = e.iter().map(|e| e.code.as_str()).collect();
        assert_eq!(codes, vec!["PD:HANDOVER:CP", "PD:HANDOVER:PPL"]);
        assert!(e[0].caption.contains("CP"), "{}", e[0].caption);
    }
}
