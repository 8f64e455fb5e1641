//! What the operator (through the console, or `--auto-confirm`) tells the
//! engine. The console never changes the world itself: it sends these over
//! a channel and renders the events that come back.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    /// Pass the gate: every pre-check passed and `typed` is the
    /// confirmation text. The engine re-checks both.
    GateConfirm { step: String, typed: String },
    /// Pass the gate although pre-checks failed: needs a non-empty reason
    /// and the confirmation text.
    GateOverride {
        step: String,
        reason: String,
        typed: String,
    },
    /// Do not make the change.
    GateDecline { step: String },
    /// The operator checked the new state and calls it healthy (stops the
    /// deadline).
    ConfirmHealthy { step: String },
    /// Undo the guarded change now.
    Rollback { step: String },
    /// Leave the session: before any change this ends it (declined); during
    /// a guarded window it rolls back first.
    Quit,
}
