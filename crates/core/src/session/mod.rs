//! The session protocol: what the engine announces ([`Event`]), what the
//! operator asks ([`Command`]), how a session ended ([`Outcome`]), and the
//! fold of events into what a reader shows ([`state::SessionState`]).
//!
//! The engine produces events; the journal records them; the console, the
//! replay and the report fold them with [`state::SessionState::apply`], so
//! all three read one model.

pub mod command;
pub mod drill;
pub mod event;
pub mod failover_test;
pub mod outcome;
pub mod prediction;
pub mod state;
pub mod time_scale;

pub use command::Command;
pub use event::Event;
pub use outcome::Outcome;
