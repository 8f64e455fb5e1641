//! What the operator (through the console, or `--auto-confirm`) tells the
//! engine. The console never changes the world itself: it sends these over
//! a channel and renders the events that come back.

use serde::{Deserialize, Serialize};

/// The word an operator types to override a held gate: a deliberate act,
/// not one more Enter.
pub const OVERRIDE_WORD: &str = "OVERRIDE";

/// The shortest override reason, in characters (after trimming): long
/// enough to say why, too long to type by accident.
pub const MIN_OVERRIDE_REASON: usize = 20;

/// Why an override reason is refused, if it is: the console, the headless
/// prompt and the engine all ask this one function.
pub fn override_reason_problem(reason: &str) -> Option<String> {
    let n = reason.trim().chars().count();
    (n < MIN_OVERRIDE_REASON).then(|| {
        format!(
            "an override needs a reason of at least {MIN_OVERRIDE_REASON} characters ({n} typed): say why going on is safe"
        )
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    /// Pass the gate: every pre-check passed and `typed` is the
    /// confirmation text. The engine re-checks both.
    GateConfirm { step: String, typed: String },
    /// Pass the gate although pre-checks failed or the prediction found
    /// hazards: needs a reason of at least [`MIN_OVERRIDE_REASON`]
    /// characters, [`OVERRIDE_WORD`] typed as `acknowledged`, and the
    /// confirmation text. The engine re-checks all three.
    GateOverride {
        step: String,
        reason: String,
        #[serde(default)]
        acknowledged: String,
        typed: String,
    },
    /// Do not make the change.
    GateDecline { step: String },
    /// The operator checked the new state and calls it healthy (stops the
    /// deadline).
    ConfirmHealthy { step: String },
    /// Undo the guarded change now.
    Rollback { step: String },
    /// Stop retrying an escalated rollback: the operator restores the
    /// peering by hand (the session ends `OperatorMustAct`, exit 4).
    TakeOver { step: String },
    /// Blind drill: the trainee calls pre-check `check` pass or fail from
    /// its raw output. The engine journals it (`drill_mark`) with the
    /// check's real verdict; a blind drill's gate opens once every
    /// pre-check before it is marked.
    Mark {
        check: String,
        mark: crate::session::drill::Mark,
    },
    /// Drill: show the hint of `step`; the engine journals it
    /// (`drill_hint`). Refused outside drills.
    Hint { step: String },
    /// Leave the session: before any change this ends it (declined); during
    /// a guarded window it rolls back first.
    Quit,
}
