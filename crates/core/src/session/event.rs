//! What happens in a session, as data. The engine emits these; the journal
//! writes (and fsyncs) each one before anything else sees it; the console
//! and the replay fold them into what they show; the report reads them.
//!
//! The serialized form is the journal's line body (CONTRACT.md): `kind` is
//! the tag; `seq`, `ts`, `prev` and `hash` are added by the journal.

use serde::{Deserialize, Serialize};

use crate::azure_call::{ArmAttempt, ManualCommands, RequestIds};

/// How the session runs.
/// The step name monitor probes are journaled under.
pub const MONITOR_STEP: &str = "monitor";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Real devices and the real subscription.
    Run,
    /// Read-only checks only.
    Validate,
    /// The built-in lab.
    Drill,
}

/// The verdict of a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Passed,
    Failed,
    /// Failed, but the operator overrode it with a recorded reason.
    Overridden,
    Skipped,
}

/// What the operator answered at a gate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum GateDecision {
    /// Pre-checks passed and the confirmation text was typed.
    Confirmed,
    /// Some pre-checks failed; the operator typed a reason to go on anyway,
    /// and the confirmation text.
    Override {
        reason: String,
        failed_checks: Vec<String>,
    },
    Declined,
}

/// Why a guarded change is being undone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RollbackReason {
    /// The operator did not confirm a healthy state before the deadline.
    DeadlinePassed,
    /// A verification of the change failed.
    VerificationFailed,
    /// The operator asked for it.
    Operator,
    /// The console went away (killed, hung up); the detached guard acted.
    ConsoleLost,
}

/// One journal event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    SessionStart {
        session_id: String,
        mode: Mode,
        runbook_id: String,
        runbook_title: String,
        /// The runbook file's SHA-256, so a report names exactly what ran.
        runbook_sha256: String,
        operator: String,
        ticket: Option<String>,
        /// Lab scenario, in a drill.
        scenario: Option<String>,
        /// Step ids in order, so a replay can draw the step list at once.
        steps: Vec<StepInfo>,
        version: String,
    },
    StepStart {
        step: String,
    },
    /// One probe: the exact command (or API call), what came back, and the
    /// parsed summary the expectations were evaluated on.
    Probe {
        step: String,
        device: String,
        query: String,
        command: String,
        /// Raw output or response body; `None` when the probe failed.
        raw: Option<String>,
        error: Option<String>,
        parsed: Option<serde_json::Value>,
        elapsed_ms: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ids: Option<RequestIds>,
    },
    Expectation {
        step: String,
        /// The clause, as the operator reads it.
        clause: String,
        passed: bool,
        /// Why: the values that decided it.
        evidence: String,
    },
    GatePrompt {
        step: String,
        prompt: String,
        confirm_text: String,
        /// Pre-checks that failed (the gate needs an override reason).
        failed_checks: Vec<String>,
    },
    GateDecision {
        step: String,
        #[serde(flatten)]
        decision: GateDecision,
    },
    /// Written and fsynced before the change goes out.
    ActionStarted {
        step: String,
        op: String,
        target: String,
        manual: ManualCommands,
    },
    /// One HTTP exchange of an action or rollback (throttling and retries).
    ActionAttempt {
        step: String,
        attempt: ArmAttempt,
    },
    ActionDone {
        step: String,
        op: String,
        ok: bool,
        detail: String,
    },
    DeadlineArmed {
        step: String,
        seconds: u64,
        /// RFC 3339 UTC.
        expires_at: String,
    },
    /// A verification of a guarded change (e.g. trace path is VPN within 60 s).
    VerifyResult {
        step: String,
        clause: String,
        passed: bool,
        evidence: String,
        elapsed_ms: u64,
    },
    /// Every verification of a guarded change passed: from now on the
    /// engine takes `ConfirmHealthy`, and an automatic operator (headless
    /// `--auto-confirm`) gives it.
    Verified {
        step: String,
    },
    ConfirmHealthy {
        step: String,
    },
    RollbackStarted {
        step: String,
        reason: RollbackReason,
        op: String,
    },
    RollbackDone {
        step: String,
        detail: String,
    },
    RollbackFailed {
        step: String,
        error: String,
        manual: ManualCommands,
    },
    StepEnd {
        step: String,
        verdict: Verdict,
        elapsed_ms: u64,
    },
    /// Something the operator should read (a warning from analysis, a
    /// reconnect, a timing measurement).
    Note {
        step: Option<String>,
        level: NoteLevel,
        text: String,
    },
    /// A measured timing (failover, failback) in milliseconds.
    Measurement {
        step: String,
        name: String,
        millis: u64,
    },
    SessionEnd {
        exit_code: u8,
        outcome: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteLevel {
    Info,
    Warn,
    Error,
}

/// A step as announced at session start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepInfo {
    pub id: String,
    pub title: String,
    pub phase: String,
    /// `check`, `gate`, `action`, `record`.
    pub kind: String,
}

impl Event {
    /// The journal's `kind` string.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::SessionStart { .. } => "session_start",
            Event::StepStart { .. } => "step_start",
            Event::Probe { .. } => "probe",
            Event::Expectation { .. } => "expectation",
            Event::GatePrompt { .. } => "gate_prompt",
            Event::GateDecision { .. } => "gate_decision",
            Event::ActionStarted { .. } => "action_started",
            Event::ActionAttempt { .. } => "action_attempt",
            Event::ActionDone { .. } => "action_done",
            Event::DeadlineArmed { .. } => "deadline_armed",
            Event::VerifyResult { .. } => "verify_result",
            Event::Verified { .. } => "verified",
            Event::ConfirmHealthy { .. } => "confirm_healthy",
            Event::RollbackStarted { .. } => "rollback_started",
            Event::RollbackDone { .. } => "rollback_done",
            Event::RollbackFailed { .. } => "rollback_failed",
            Event::StepEnd { .. } => "step_end",
            Event::Note { .. } => "note",
            Event::Measurement { .. } => "measurement",
            Event::SessionEnd { .. } => "session_end",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialized_kind_matches_kind() {
        let events = [
            Event::StepStart { step: "a".into() },
            Event::Verified { step: "a".into() },
            Event::GateDecision {
                step: "g".into(),
                decision: GateDecision::Override {
                    reason: "known".into(),
                    failed_checks: vec!["x".into()],
                },
            },
            Event::SessionEnd {
                exit_code: 0,
                outcome: "completed".into(),
            },
        ];
        for e in events {
            let v = serde_json::to_value(&e).expect("serializes");
            assert_eq!(v["kind"], e.kind());
            let back: Event = serde_json::from_value(v).expect("reads back");
            assert_eq!(back, e);
        }
    }

    #[test]
    fn gate_decision_is_flat_in_the_line() {
        let e = Event::GateDecision {
            step: "gate".into(),
            decision: GateDecision::Declined,
        };
        let v = serde_json::to_value(&e).expect("serializes");
        assert_eq!(
            v,
            serde_json::json!({"kind": "gate_decision", "step": "gate", "decision": "declined"})
        );
    }
}
