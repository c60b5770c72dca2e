//! Named actions: the one vocabulary shared by keymap files, command barcodes (`PD:<NAME>`),
//! the help screen, rules and tests. Screens never match on key codes, only on actions.

use std::fmt;
use std::str::FromStr;

macro_rules! actions {
    ($( $variant:ident => $name:literal, $barcode:expr ; )*) => {
        /// Every action the bench knows.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action { $( $variant, )* }

        impl Action {
            /// Every action, in help-screen order.
            pub const ALL: &'static [Action] = &[ $( Action::$variant, )* ];

            /// The stable name used in keymap files (`area.verb`).
            pub fn name(self) -> &'static str {
                match self { $( Action::$variant => $name, )* }
            }

            /// The command-barcode word (`PD:<WORD>`), where the action has one.
            pub fn barcode(self) -> Option<&'static str> {
                match self { $( Action::$variant => $barcode, )* }
            }
        }
    };
}

actions! {
    Quit => "app.quit", None;
    Help => "app.help", None;
    Back => "app.back", Some("BACK");
    SetPacker => "app.packer", None;
    Outbox => "app.outbox", None;
    OutboxRetry => "outbox.retry", None;
    OutboxCancel => "outbox.cancel", None;
    Up => "list.up", None;
    Down => "list.down", None;
    PageUp => "list.page_up", None;
    PageDown => "list.page_down", None;
    Top => "list.top", None;
    Bottom => "list.bottom", None;
    NextTab => "queue.next_tab", None;
    PrevTab => "queue.prev_tab", None;
    Filter => "queue.filter", None;
    Open => "queue.open", None;
    Pack => "pack.pack", Some("PACK");
    Ship => "pack.ship", Some("SHIP");
    NextParcel => "pack.next_parcel", Some("NEXT-PARCEL");
    Undo => "pack.undo", Some("UNDO");
    Abort => "pack.abort", Some("ABORT");
    Short => "pack.short", Some("SHORT");
    Reprint => "pack.reprint", Some("REPRINT");
    Quantity => "pack.quantity", Some("QTY");
    Manual => "pack.manual", Some("MANUAL");
    AckNote => "pack.ack_note", Some("ACK");
    Weight => "pack.weight", Some("WEIGHT");
    Photo => "pack.photo", Some("PHOTO");
    Drop => "pack.drop", Some("DROP");
    Handover => "app.handover", Some("HANDOVER");
    ClearScan => "scan.clear", None;
    Detail => "app.detail", Some("DETAIL");
    DetailStatus => "detail.status", None;
    DetailNotify => "detail.notify", None;
    DetailFind => "detail.find", Some("FIND");
    DetailVerify => "detail.verify", None;
    DetailOpen => "detail.open", Some("OPEN-DOC");
    PrintQueue => "app.print_queue", None;
    NewSheet => "print.new_sheet", Some("NEW-SHEET");
    Slip => "pack.slip", Some("SLIP");
    Mark => "queue.mark", None;
    MarkAll => "queue.mark_all", None;
    MarkNone => "queue.mark_none", None;
    BulkShip => "queue.bulk_ship", None;
    BulkLabels => "queue.bulk_labels", None;
    RulesLog => "app.rules", None;
    Button1 => "pack.button1", None;
    Button2 => "pack.button2", None;
    Button3 => "pack.button3", None;
    Button4 => "pack.button4", None;
    Button5 => "pack.button5", None;
    Button6 => "pack.button6", None;
}

impl Action {
    /// The action a command-barcode word names (`PACK`, `NEXT-PARCEL`, …), case-insensitive.
    pub fn from_barcode(word: &str) -> Option<Action> {
        Action::ALL
            .iter()
            .copied()
            .find(|a| a.barcode().is_some_and(|b| b.eq_ignore_ascii_case(word)))
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The name is not an action packdesk knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown action `{0}`")]
pub struct UnknownAction(pub String);

impl FromStr for Action {
    type Err = UnknownAction;
    fn from_str(s: &str) -> Result<Action, UnknownAction> {
        Action::ALL
            .iter()
            .copied()
            .find(|a| a.name() == s)
            .ok_or_else(|| UnknownAction(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for a in Action::ALL {
            assert!(seen.insert(a.name()), "duplicate name {}", a.name());
            assert_eq!(a.name().parse::<Action>(), Ok(*a));
        }
        assert_eq!(
            Action::from_barcode("next-parcel"),
            Some(Action::NextParcel)
        );
        assert_eq!(Action::from_barcode("NOPE"), None);
    }
}
