//! cutover: a console for proving that a site-to-site VPN backs up an Azure
//! ExpressRoute private peering, and for failing over to it safely.
//!
//! Layers (see DESIGN.md): `model` and `parse` depend on nothing of ours;
//! `runbook` is the procedure as data; `cli` wires the layers.

pub mod cli;
pub mod engine;
pub mod inventory;
pub mod journal;
pub mod lab;
pub mod model;
pub mod parse;
pub mod probe;
pub mod replay;
pub mod report;
pub mod runbook;
pub mod ui;
