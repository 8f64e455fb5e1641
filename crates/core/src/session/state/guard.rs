//! A guarded change as the session saw it: the change going out, the
//! deadline that undoes it unless the operator confirms, the verifications
//! run meanwhile, and the rollback with its outcome. The phase is derived
//! from what was recorded rather than stored, so a journal cut anywhere
//! still reads as a consistent state.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::SessionState;
use crate::azure_call::{ArmAttempt, ManualCommands};
use crate::session::event::RollbackReason;

/// The deadline of a guarded change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadline {
    pub seconds: u64,
    /// `None` when the engine's timestamp does not read as RFC 3339 (the
    /// text is still shown).
    pub expires_at: Option<OffsetDateTime>,
    pub expires_at_text: String,
}

impl Deadline {
    /// Time left at `now`; zero once passed; `None` when the deadline's
    /// time is unreadable.
    pub fn remaining(&self, now: OffsetDateTime) -> Option<std::time::Duration> {
        let left = self.expires_at? - now;
        Some(left.try_into().unwrap_or(std::time::Duration::ZERO))
    }
}

/// A verification of a guarded change, latest result per clause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyRecord {
    pub clause: String,
    pub passed: bool,
    pub evidence: String,
    pub elapsed_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RollbackOutcome {
    Running,
    Done {
        detail: String,
    },
    Failed {
        error: String,
        manual: ManualCommands,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollbackState {
    pub reason: RollbackReason,
    pub op: String,
    /// HTTP exchanges of the rollback (throttling, conflicts, retries).
    pub attempts: Vec<ArmAttempt>,
    pub outcome: RollbackOutcome,
}

/// The result of the change itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionOutcome {
    pub ok: bool,
    pub detail: String,
}

/// Where a guarded change stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardPhase {
    /// Announced; the change is going out.
    Applying,
    /// The change itself failed.
    ApplyFailed,
    /// Applied, the deadline runs: the operator confirms or it is undone.
    Armed,
    Confirmed,
    RollingBack,
    RolledBack,
    RollbackFailed,
}

/// How the verifications of a guarded change stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyStatus {
    /// None reported yet.
    Pending,
    Passed,
    Failed,
}

/// A guarded (disruptive, undoable) change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardState {
    pub step: String,
    pub op: String,
    pub target: String,
    /// The same change by hand.
    pub manual: ManualCommands,
    pub attempts: Vec<ArmAttempt>,
    pub applied: Option<ActionOutcome>,
    pub deadline: Option<Deadline>,
    pub verifications: Vec<VerifyRecord>,
    pub confirmed: bool,
    pub rollback: Option<RollbackState>,
}

impl GuardState {
    pub fn phase(&self) -> GuardPhase {
        if let Some(rb) = &self.rollback {
            return match rb.outcome {
                RollbackOutcome::Running => GuardPhase::RollingBack,
                RollbackOutcome::Done { .. } => GuardPhase::RolledBack,
                RollbackOutcome::Failed { .. } => GuardPhase::RollbackFailed,
            };
        }
        if self.confirmed {
            return GuardPhase::Confirmed;
        }
        if self.deadline.is_some() {
            return GuardPhase::Armed;
        }
        match &self.applied {
            Some(a) if !a.ok => GuardPhase::ApplyFailed,
            _ => GuardPhase::Applying,
        }
    }

    pub fn verify_status(&self) -> VerifyStatus {
        if self.verifications.iter().any(|v| !v.passed) {
            VerifyStatus::Failed
        } else if self.verifications.is_empty() {
            VerifyStatus::Pending
        } else {
            VerifyStatus::Passed
        }
    }
}

impl GuardState {
    pub(super) fn new(step: &str, op: &str, target: &str, manual: ManualCommands) -> Self {
        Self {
            step: step.to_string(),
            op: op.to_string(),
            target: target.to_string(),
            manual,
            attempts: Vec::new(),
            applied: None,
            deadline: None,
            verifications: Vec::new(),
            confirmed: false,
            rollback: None,
        }
    }

    /// An HTTP exchange belongs to the rollback once one has started.
    pub(super) fn record_attempt(&mut self, attempt: &ArmAttempt) {
        match &mut self.rollback {
            Some(rb) => rb.attempts.push(attempt.clone()),
            None => self.attempts.push(attempt.clone()),
        }
    }

    /// Keeps the latest result of each clause.
    pub(super) fn record_verification(&mut self, rec: VerifyRecord) {
        match self
            .verifications
            .iter_mut()
            .find(|v| v.clause == rec.clause)
        {
            Some(v) => *v = rec,
            None => self.verifications.push(rec),
        }
    }
}

impl Deadline {
    pub(super) fn armed(seconds: u64, expires_at: &str) -> Self {
        Self {
            seconds,
            expires_at: OffsetDateTime::parse(expires_at, &Rfc3339).ok(),
            expires_at_text: expires_at.to_string(),
        }
    }
}

impl RollbackState {
    pub(super) fn started(reason: RollbackReason, op: &str) -> Self {
        Self {
            reason,
            op: op.to_string(),
            attempts: Vec::new(),
            outcome: RollbackOutcome::Running,
        }
    }
}

impl SessionState {
    /// The guarded change of `step`, created when an event about it comes
    /// without its `action_started` (a cut journal).
    pub(super) fn guard_for(&mut self, step: &str) -> &mut GuardState {
        let i = match self.guards.iter().rposition(|g| g.step == step) {
            Some(i) => i,
            None => {
                let manual = ManualCommands {
                    az_cli: String::new(),
                    powershell: String::new(),
                };
                self.guards.push(GuardState::new(step, "", "", manual));
                self.guards.len() - 1
            }
        };
        &mut self.guards[i]
    }

    pub(super) fn rollback_for(&mut self, step: &str) -> &mut RollbackState {
        let g = self.guard_for(step);
        g.rollback
            .get_or_insert_with(|| RollbackState::started(RollbackReason::Operator, ""))
    }
}
