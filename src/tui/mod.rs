//! The terminal user interface: setup and restore, the event loop, input translation,
//! the view, keymaps and themes.

pub mod detail_view;
pub mod handover_view;
pub mod held_view;
pub mod help_view;
pub mod input;
pub mod keymap;
pub mod overlay;
pub mod print_view;
pub mod rules_view;
pub mod status_bar;
pub mod theme;
pub mod view;

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste, EventStream};
use crossterm::execute;
use futures::{FutureExt, StreamExt};
use ratatui::DefaultTerminal;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::app::{AppState, Msg};
use crate::effects::{Runner, dispatch};
pub use view::{Ui, view};

/// Puts the terminal into raw mode and the alternate screen. The returned guard restores
/// it when dropped, and a panic hook restores it before the panic message is printed, so
/// the packer's terminal is usable after every exit.
pub struct TerminalGuard {
    pub terminal: DefaultTerminal,
}

impl TerminalGuard {
    pub fn enter() -> io::Result<TerminalGuard> {
        let default_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            tracing::error!(panic = %info, "panic");
            default_hook(info);
            // A panic on a worker thread must not leave the UI drawing on a cooked
            // terminal: end the process.
            std::process::exit(101);
        }));
        ENTERED.store(true, Ordering::SeqCst);
        let terminal = ratatui::try_init()?;
        execute!(io::stdout(), EnableBracketedPaste)?;
        Ok(TerminalGuard { terminal })
    }
}

/// Whether the terminal is in raw mode / the alternate screen because of us.
static ENTERED: AtomicBool = AtomicBool::new(false);

/// Leaves raw mode and the alternate screen, if we entered them (idempotent).
pub fn restore() {
    if ENTERED.swap(false, Ordering::SeqCst) {
        let _ = execute!(io::stdout(), DisableBracketedPaste);
        let _ = ratatui::try_restore();
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Runs the bench until the packer quits (or the input ends, as when SSH drops).
pub async fn run(
    terminal: &mut DefaultTerminal,
    state: &mut AppState,
    ui: &Ui,
    runner: &Runner,
    rx: &mut UnboundedReceiver<Msg>,
    start: Instant,
) -> io::Result<()> {
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    terminal.draw(|f| view(state, ui, f))?;
    while !state.should_quit {
        let mut bell = false;
        tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(ev)) => {
                    if let Some(m) = input::translate(state, &ui.keymap, &ev) {
                        bell |= dispatch(state, runner, m, start);
                    }
                }
                Some(Err(e)) => return Err(e),
                None => return Ok(()),
            },
            Some(m) = rx.recv() => bell |= dispatch(state, runner, m, start),
            _ = tick.tick() => bell |= dispatch(state, runner, Msg::Tick, start),
        }
        // A scanner burst arrives as many key events at once: take all that are ready
        // before drawing once.
        while let Some(next) = events.next().now_or_never() {
            match next {
                Some(Ok(ev)) => {
                    if let Some(m) = input::translate(state, &ui.keymap, &ev) {
                        bell |= dispatch(state, runner, m, start);
                    }
                }
                Some(Err(e)) => return Err(e),
                None => return Ok(()),
            }
        }
        while let Ok(m) = rx.try_recv() {
            bell |= dispatch(state, runner, m, start);
        }
        if state.should_quit {
            break;
        }
        terminal.draw(|f| view(state, ui, f))?;
        if bell {
            let out = terminal.backend_mut();
            out.write_all(b"\x07")?;
            out.flush()?;
        }
    }
    Ok(())
}
