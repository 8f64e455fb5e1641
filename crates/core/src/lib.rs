//! cutover's core: what the procedure is about, with no I/O runtime and no
//! terminal. Every other crate builds on it; it depends on none of them.
//!
//! - [`model`]: prefixes, routes, tables, traces, tunnels, Azure records,
//!   and the analysis that predicts a failover;
//! - [`parse`]: device and API outputs, scanned as bytes, into the model;
//! - [`inventory`]: where the devices and the Azure resources are;
//! - [`runbook`]: the procedure as data (language, validation, rendering);
//! - [`session`]: the protocol between the engine, its consumers and the
//!   journal: events, commands, the outcome, and the state fold that the
//!   console and the report read;
//! - [`azure_call`]: what an ARM call is, as recorded and as typed by hand;
//! - [`drill`]: what a drill asks of the trainee, and its score.

pub mod azure_call;
pub mod drill;
pub mod inventory;
pub mod model;
pub mod parse;
pub mod runbook;
pub mod session;
