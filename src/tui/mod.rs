//! The terminal user interface.

pub mod keymap;
pub mod theme;
