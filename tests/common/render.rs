//! Drawing the bench into a ratatui `TestBackend` for the render checks.

use packdesk::app::AppState;
use packdesk::i18n::{Catalog, Lang};
use packdesk::tui::keymap::Keymap;
use packdesk::tui::theme::Theme;
use packdesk::tui::{Ui, view};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

/// The bench's UI with the built-in default theme and keymap, texts in `lang`.
pub fn ui(lang: Lang) -> Ui {
    Ui {
        theme: Theme::builtin("default").expect("default theme"),
        keymap: Keymap::builtin("default").expect("default keymap"),
        catalog: Catalog::new(lang),
    }
}

/// The screen `view` draws for `st` on a `w`×`h` terminal, one string a row.
pub fn screen_rows(st: &AppState, ui: &Ui, w: u16, h: u16) -> Vec<String> {
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    t.draw(|f| view(st, ui, f)).expect("draw");
    let buf: &Buffer = t.backend().buffer();
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect()
        })
        .collect()
}
