//! Runs a runbook: step state machine, expectations, gates, guarded actions
//! with deadline and rollback, the live monitor.
//!
//! - [`runner::Engine`]: the session, generic over the device sessions, the
//!   Azure client and the local tracer, so production, drills and tests run
//!   the same code against real clients, the lab or doubles.
//! - [`probes`] asks, [`expect`] judges, [`gate`] waits for the operator,
//!   [`guard`] makes and undoes the change, [`monitor`] keeps the live
//!   panes fresh, [`sink`] records every event before anyone sees it,
//!   [`detached`] hands a change over to a guard process.

pub mod detached;
pub mod expect;
pub mod gate;
pub mod guard;
pub mod monitor;
pub mod port;
mod predict;
pub mod preflight;
pub mod probes;
pub mod runner;
pub mod sink;

pub use cutover_core::session::{Command, Event};
pub use probes::{NoLocalTracer, World};
pub use runner::{Engine, SessionConfig, SessionOutcome, StepReport};
pub use sink::{EventLog, EventSink, MemoryLog};
