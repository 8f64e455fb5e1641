//! Drills that teach: what a scenario asks of the trainee ([`Objective`],
//! read from the scenario file's `[[objective]]` tables) and how a session
//! is judged against it ([`score`], a pure function over the journal's
//! events). The engine scores once, at the end of a drill, and journals the
//! result (`drill_score`); the console's debrief, the headless text and the
//! report all read that one event, so they cannot disagree.
//!
//! # Objective kinds
//!
//! Each kind is a predicate over events, so a new scenario is a new file:
//!
//! | kind | met when |
//! |---|---|
//! | `no_override` | no gate was passed with an override |
//! | `never_confirm_healthy` | no `confirm_healthy` |
//! | `confirm_after_verified` | a `confirm_healthy`, and each one after its step's `verified` |
//! | `confirm_after_path_moved` | no `confirm_healthy` before its step saw the traffic on the new path (`traffic_seen` with `moved`) |
//! | `rolled_back` | a guarded change was rolled back (by the trainee or the guard) |
//! | `no_abort_during_retry` | no operator abort (`action_cancelled`, or a rollback the operator asked for) while the change's ARM call was being retried (an attempt answered 409, 429 or 5xx, and `action_done` not yet seen) |
//! | `no_operator_abort` | no operator abort or operator rollback at all |
//! | `completes` | the session ended with exit status 0 |
//!
//! # The score
//!
//! Every objective counts one; so does every blind mark (`drill_mark`,
//! judged against the check's real verdict, the trainee's last mark of a
//! check counting). The score is the share met, 0 to 100, rounded down,
//! less [`HINT_COST`] for each hint used (`drill_hint`), never below 0. A
//! drill with nothing to judge scores 100 less its hints.
//!
//! # Evidence
//!
//! An objective names the journal lines that show its fault: a step, and a
//! piece of an output line (and, when a step sends several commands, a
//! piece of the command). Scoring finds the first probe of that step whose
//! command and raw output match and quotes the step, the exact command and
//! the whole output line: what the trainee should have looked at. A piece
//! ending in `$` must end the line.

use serde::{Deserialize, Serialize};

pub mod debrief;
mod pick;
mod score;
#[cfg(test)]
mod tests;

pub use pick::{pick, seed_from_clock};
pub use score::{Timed, reads, score};

/// Points a hint costs.
pub const HINT_COST: u8 = 5;

/// What the trainee must catch or decide, as a scenario file writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Objective {
    /// Lower-case, digits and `-`; unique in its scenario.
    pub id: String,
    /// What the trainee must do, in words (shown at the debrief).
    pub text: String,
    pub kind: ObjectiveKind,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<EvidenceSpec>,
}

/// The predicate an objective is judged by (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectiveKind {
    NoOverride,
    NeverConfirmHealthy,
    ConfirmAfterVerified,
    ConfirmAfterPathMoved,
    RolledBack,
    NoAbortDuringRetry,
    NoOperatorAbort,
    Completes,
}

impl ObjectiveKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectiveKind::NoOverride => "no_override",
            ObjectiveKind::NeverConfirmHealthy => "never_confirm_healthy",
            ObjectiveKind::ConfirmAfterVerified => "confirm_after_verified",
            ObjectiveKind::ConfirmAfterPathMoved => "confirm_after_path_moved",
            ObjectiveKind::RolledBack => "rolled_back",
            ObjectiveKind::NoAbortDuringRetry => "no_abort_during_retry",
            ObjectiveKind::NoOperatorAbort => "no_operator_abort",
            ObjectiveKind::Completes => "completes",
        }
    }
}

/// Where the fault shows in the journal: a step, a piece of an output line
/// and, optionally, a piece of the command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceSpec {
    pub step: String,
    /// A piece of the output line to quote.
    pub line: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
}

/// What a drill is judged against: the scenario that ran (named here even
/// when it was drawn at random and hidden until the end) and its
/// objectives.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DrillPlan {
    pub scenario: String,
    /// What the fault was, for the debrief (the scenario's description).
    pub fault: String,
    /// The seed of `--scenario random`.
    pub seed: Option<u64>,
    pub objectives: Vec<Objective>,
}

/// How a drill went: the `drill_score` event's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrillScore {
    /// The scenario that ran.
    pub scenario: String,
    /// The seed it was drawn with (`--scenario random`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// What the fault was.
    #[serde(default)]
    pub fault: String,
    /// 0 to 100.
    pub score: u8,
    pub objectives: Vec<ObjectiveResult>,
    /// What the trainee decided, in order, with the time each took.
    #[serde(default)]
    pub decisions: Vec<Decision>,
    /// Blind marks judged (the last of each check): right, of all.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub marks: u32,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub marks_right: u32,
    /// Hints used.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub hints: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl DrillScore {
    /// The objectives not met.
    pub fn missed(&self) -> impl Iterator<Item = &ObjectiveResult> {
        self.objectives.iter().filter(|o| !o.met)
    }
}

/// One objective, judged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectiveResult {
    pub id: String,
    pub text: String,
    pub kind: ObjectiveKind,
    pub met: bool,
    /// What the journal showed that decided it.
    pub why: String,
    /// The lines that show the fault.
    #[serde(default)]
    pub evidence: Vec<EvidenceLine>,
}

/// One line of evidence as the journal holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceLine {
    pub step: String,
    /// The exact command that printed it; empty when no probe matched.
    pub command: String,
    /// The whole output line, or the piece looked for when no probe of
    /// the session printed it (`found` false).
    pub line: String,
    pub found: bool,
}

/// One decision of the trainee (or of the guard, for a rollback it made).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub step: String,
    /// `confirmed`, `declined`, `override`, `healthy`, `rollback`,
    /// `abort`, `guard_rollback`.
    pub what: String,
    /// The override's reason, the rollback's cause.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// From its prompt (the gate's prompt, `verified`, the change's
    /// `action_done` or `action_started`) to the decision; `None` when
    /// either has no time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub took_ms: Option<u64>,
}
