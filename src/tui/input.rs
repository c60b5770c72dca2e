//! Keys → messages. The keymap names actions; everything printable on a scanning screen
//! goes to the scan assembler, so a barcode can never trigger a command.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::keymap::{KeyContext, Keymap};
use crate::app::{AppState, Edit, Msg, PromptKind, Screen};
use crate::scan::KeyIn;

/// The keymap context the state is in.
pub fn context(state: &AppState) -> KeyContext {
    if state.help {
        KeyContext::Help
    } else if let Some(p) = &state.prompt {
        if p.kind == PromptKind::Filter {
            KeyContext::Filter
        } else {
            KeyContext::Prompt
        }
    } else if state.screen == Screen::Pack && state.pack.is_some() {
        KeyContext::Pack
    } else {
        KeyContext::Queue
    }
}

/// The scanner's view of a key, if it is one a scanner types.
fn scan_key(k: &KeyEvent) -> Option<KeyIn> {
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    let alt = k.modifiers.contains(KeyModifiers::ALT);
    match k.code {
        KeyCode::Enter => Some(KeyIn::Enter),
        KeyCode::Tab => Some(KeyIn::Tab),
        KeyCode::Backspace => Some(KeyIn::Backspace),
        KeyCode::Char('j') if ctrl => Some(KeyIn::CtrlJ),
        // GS (0x1D) arrives as Ctrl+5 or Ctrl+] depending on the terminal.
        KeyCode::Char('5') | KeyCode::Char(']') if ctrl => Some(KeyIn::Gs),
        KeyCode::Char(c) if !ctrl && !alt => Some(KeyIn::Char(c)),
        _ => None,
    }
}

/// Turns one terminal event into a message for the reducer.
pub fn translate(state: &AppState, keymap: &Keymap, ev: &Event) -> Option<Msg> {
    match ev {
        Event::Key(k) if k.kind == KeyEventKind::Press => key(state, keymap, k),
        Event::Paste(text) => Some(Msg::Paste(text.clone())),
        Event::Resize(..) => Some(Msg::Tick),
        _ => None,
    }
}

fn key(state: &AppState, keymap: &Keymap, k: &KeyEvent) -> Option<Msg> {
    let ctx = context(state);
    match ctx {
        KeyContext::Prompt | KeyContext::Filter => {
            // Enter/Ctrl+J submit, Esc cancels; the keymap may add navigation.
            match k.code {
                KeyCode::Enter => return Some(Msg::Edit(Edit::Submit)),
                KeyCode::Char('j') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                    return Some(Msg::Edit(Edit::Submit));
                }
                KeyCode::Esc => return Some(Msg::Edit(Edit::Cancel)),
                KeyCode::Backspace => return Some(Msg::Edit(Edit::Backspace)),
                _ => {}
            }
            if let Some(a) = keymap.lookup(ctx, k) {
                return Some(Msg::Action(a));
            }
            match k.code {
                KeyCode::Char(c)
                    if !k
                        .modifiers
                        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
                {
                    Some(Msg::Edit(Edit::Char(c)))
                }
                _ => None,
            }
        }
        KeyContext::Help => keymap.lookup(ctx, k).map(Msg::Action),
        KeyContext::Queue | KeyContext::Pack => {
            let sk = scan_key(k);
            // A terminator ends a scan in progress before any binding of Enter/Tab.
            if let Some(s) = &sk
                && !state.assembler.is_empty()
                && (state.assembler.is_terminator(s) || matches!(s, KeyIn::Backspace))
            {
                return Some(Msg::ScanKey(*s));
            }
            // While a scan is being typed, printable keys belong to it.
            if let Some(KeyIn::Char(_)) = &sk
                && !state.assembler.is_empty()
            {
                return sk.map(Msg::ScanKey);
            }
            if let Some(a) = keymap.lookup(ctx, k) {
                return Some(Msg::Action(a));
            }
            match sk {
                Some(KeyIn::Char(_)) | Some(KeyIn::Gs) => sk.map(Msg::ScanKey),
                Some(s) if state.assembler.is_terminator(&s) => Some(Msg::ScanKey(s)),
                _ => None,
            }
        }
        KeyContext::Global => None,
    }
}
