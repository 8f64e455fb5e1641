//! A guarded change as the session saw it: the change going out, the
//! deadline that undoes it unless the operator confirms, the verifications
//! run meanwhile, and the rollback with its outcome. The phase is derived
//! from what was recorded rather than stored, so a journal cut anywhere
//! still reads as a consistent state.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::SessionState;
use crate::azure_call::{ArmAttempt, ManualCommands};
use crate::session::event::{Event, RollbackReason, RollbackResult};

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
    /// The settle window under way or last opened (`until` as its end).
    pub settling: Option<Deadline>,
    /// What the rollback found, once done (absent in older journals).
    pub result: Option<RollbackResult>,
    /// Writes after the first because the peering flipped back.
    pub reasserts: u32,
    /// The rollback keeps failing and a person was told
    /// (`rollback_escalated`): its latest word, until the rollback ends.
    pub escalation: Option<Escalation>,
}

/// An escalated rollback as the operator reads it: retries go on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escalation {
    pub attempts: u32,
    pub error: String,
    pub next_attempt_at: Option<OffsetDateTime>,
    pub gives_up_at: Option<OffsetDateTime>,
    /// As journaled, for a display that cannot parse it.
    pub gives_up_at_text: String,
    pub manual: ManualCommands,
}

/// The result of the change itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionOutcome {
    pub ok: bool,
    pub detail: String,
}

/// A change stopped before ARM accepted any write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancellation {
    pub reason: RollbackReason,
    pub detail: String,
}

/// The verification window of a guarded change, as announced when it
/// began.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyWindow {
    /// When the change was applied: the clock of `within` and of the
    /// outage. `None` when the engine's timestamp does not read.
    pub since: Option<OffsetDateTime>,
    pub within_ms: u64,
    pub max_outage_ms: Option<u64>,
}

impl VerifyWindow {
    /// Time since the change at `now`.
    pub fn elapsed(&self, now: OffsetDateTime) -> Option<std::time::Duration> {
        since(self.since?, now)
    }
}

/// What the verification trace last said about the test traffic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Traffic {
    /// The target answered over `path`; `moved == false`: still on the
    /// old path (not moved yet, which is not a loss).
    Seen {
        path: String,
        moved: bool,
        elapsed_ms: u64,
    },
    /// The target has not answered since the trace sent at `since`.
    Lost {
        since: Option<OffsetDateTime>,
        since_text: String,
        /// When the engine rolls back unless the target answers first.
        rollback_at: Option<OffsetDateTime>,
        evidence: String,
    },
}

impl Traffic {
    /// How long the traffic has been lost at `now` (counted from the first
    /// trace that did not reach the target); `None` unless lost.
    pub fn lost_for(&self, now: OffsetDateTime) -> Option<std::time::Duration> {
        match self {
            Traffic::Lost { since: Some(t), .. } => since(*t, now),
            _ => None,
        }
    }

    /// Time left before the loss rollback is due; zero once due; `None`
    /// unless lost with a `max_outage`.
    pub fn rollback_in(&self, now: OffsetDateTime) -> Option<std::time::Duration> {
        match self {
            Traffic::Lost {
                rollback_at: Some(t),
                ..
            } => Some((*t - now).try_into().unwrap_or(std::time::Duration::ZERO)),
            _ => None,
        }
    }
}

fn since(t: OffsetDateTime, now: OffsetDateTime) -> Option<std::time::Duration> {
    Some((now - t).try_into().unwrap_or(std::time::Duration::ZERO))
}

fn read_ts(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// Where a guarded change stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardPhase {
    /// Announced; the change is going out.
    Applying,
    /// The change itself failed.
    ApplyFailed,
    /// Stopped before any write was accepted: nothing changed.
    Cancelled,
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
    /// The verification window, once it began.
    pub window: Option<VerifyWindow>,
    /// What the verification trace last said about the traffic.
    pub traffic: Option<Traffic>,
    /// Every verification passed (`verified`).
    pub verified: bool,
    pub cancelled: Option<Cancellation>,
    /// Whether its detached guard still watches (it may die and be
    /// replaced while the change is out).
    pub watch: super::GuardWatch,
    /// Azure's failover test, when the action is one: what its details
    /// said last.
    pub failover_test: Option<crate::session::failover_test::FailoverTestView>,
}

impl GuardState {
    pub fn phase(&self) -> GuardPhase {
        if self.cancelled.is_some() && self.rollback.is_none() {
            return GuardPhase::Cancelled;
        }
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

    /// Whether the engine takes "healthy" now: once every verification
    /// passed (`verified`). A journal from before `verify_started` tells
    /// that only through its records: not once one failed.
    pub fn may_confirm(&self) -> bool {
        if self.window.is_some() {
            self.verified
        } else {
            self.verified || self.verify_status() != VerifyStatus::Failed
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
            window: None,
            traffic: None,
            verified: false,
            cancelled: None,
            watch: super::GuardWatch::default(),
            failover_test: None,
        }
    }

    /// An HTTP exchange belongs to the rollback once one has started.
    pub(super) fn record_attempt(&mut self, attempt: &ArmAttempt) {
        match &mut self.rollback {
            Some(rb) => rb.attempts.push(attempt.clone()),
            None => self.attempts.push(attempt.clone()),
        }
    }

    /// The verification window and what its trace said of the traffic.
    pub(super) fn record_traffic(&mut self, event: &Event) {
        match event {
            Event::VerifyStarted {
                since,
                within_ms,
                max_outage_ms,
                ..
            } => {
                self.window = Some(VerifyWindow {
                    since: read_ts(since),
                    within_ms: *within_ms,
                    max_outage_ms: *max_outage_ms,
                });
            }
            Event::TrafficSeen {
                path,
                moved,
                elapsed_ms,
                ..
            } => {
                self.traffic = Some(Traffic::Seen {
                    path: path.clone(),
                    moved: *moved,
                    elapsed_ms: *elapsed_ms,
                });
            }
            Event::TrafficLost {
                since,
                rollback_at,
                evidence,
                ..
            } => {
                self.traffic = Some(Traffic::Lost {
                    since: read_ts(since),
                    since_text: since.clone(),
                    rollback_at: rollback_at.as_deref().and_then(read_ts),
                    evidence: evidence.clone(),
                });
            }
            _ => {}
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
    pub(super) fn settle(&mut self, seconds: u64, until: &str) {
        self.settling = Some(Deadline {
            seconds,
            expires_at: OffsetDateTime::parse(until, &Rfc3339).ok(),
            expires_at_text: until.to_string(),
        });
    }

    pub(super) fn started(reason: RollbackReason, op: &str) -> Self {
        Self {
            reason,
            op: op.to_string(),
            attempts: Vec::new(),
            outcome: RollbackOutcome::Running,
            settling: None,
            result: None,
            reasserts: 0,
            escalation: None,
        }
    }

    pub(super) fn escalate(
        &mut self,
        attempts: u32,
        error: &str,
        next_attempt_at: Option<&str>,
        gives_up_at: &str,
        manual: &ManualCommands,
    ) {
        self.escalation = Some(Escalation {
            attempts,
            error: error.to_string(),
            next_attempt_at: next_attempt_at.and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok()),
            gives_up_at: OffsetDateTime::parse(gives_up_at, &Rfc3339).ok(),
            gives_up_at_text: gives_up_at.to_string(),
            manual: manual.clone(),
        });
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
