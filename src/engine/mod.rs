//! Runs a runbook: step state machine, expectations, gates, guarded actions
//! with deadline and rollback, the live monitor.

pub mod command;
pub mod event;

pub use command::Command;
pub use event::Event;
