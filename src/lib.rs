//! packdesk: a terminal packing bench for e-commerce warehouses.
//!
//! The map of this crate is `DESIGN.md` (kept beside the project as `../shared/DESIGN.md`):
//! pure `domain`, `scan`, `flow` and `app::update`; I/O only in `effects`, `store`,
//! `docs`, `shop`, `carrier` and `sim`.

pub mod app;
pub mod camera;
pub mod carrier;
pub mod config;
pub mod demo;
pub mod docs;
pub mod doctor;
pub mod domain;
pub mod effects;
pub mod flow;
pub mod i18n;
pub mod outbox;
pub mod print;
pub mod rules;
pub mod scan;
pub mod shop;
pub mod sim;
pub mod store;
pub mod sync;
pub mod tui;
