//! The application core: state, messages, actions, the reducer and its effects.

pub mod action;

pub use action::Action;
