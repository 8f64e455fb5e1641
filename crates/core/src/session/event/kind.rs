//! Each event's journal `kind` string: the serde tag, said once more as a
//! `&'static str` so a reader can name an event without serializing it.

use super::Event;

impl Event {
    /// The journal's `kind` string.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::SessionStart { .. } => "session_start",
            Event::LabTimeScale { .. } => "lab_time_scale",
            Event::StepStart { .. } => "step_start",
            Event::Probe { .. } => "probe",
            Event::ProbeRepeated { .. } => "probe_repeated",
            Event::Expectation { .. } => "expectation",
            Event::GatePrompt { .. } => "gate_prompt",
            Event::GateDecision { .. } => "gate_decision",
            Event::Prediction { .. } => "prediction",
            Event::PredictionCheck { .. } => "prediction_check",
            Event::ActionStarted { .. } => "action_started",
            Event::ActionAttempt { .. } => "action_attempt",
            Event::ActionDone { .. } => "action_done",
            Event::ActionCancelled { .. } => "action_cancelled",
            Event::DeadlineArmed { .. } => "deadline_armed",
            Event::VerifyResult { .. } => "verify_result",
            Event::VerifyStarted { .. } => "verify_started",
            Event::TrafficSeen { .. } => "traffic_seen",
            Event::TrafficLost { .. } => "traffic_lost",
            Event::Verified { .. } => "verified",
            Event::ConfirmHealthy { .. } => "confirm_healthy",
            Event::RollbackStarted { .. } => "rollback_started",
            Event::RollbackSettling { .. } => "rollback_settling",
            Event::RollbackDone { .. } => "rollback_done",
            Event::RollbackFailed { .. } => "rollback_failed",
            Event::RollbackEscalated { .. } => "rollback_escalated",
            Event::StepEnd { .. } => "step_end",
            Event::Note { .. } => "note",
            Event::Measurement { .. } => "measurement",
            Event::PeeringPreflight { .. } => "peering_preflight",
            Event::GuardLost { .. } => "guard_lost",
            Event::GuardRearmed { .. } => "guard_rearmed",
            Event::FailoverTestStatus { .. } => "failover_test_status",
            Event::ChainSigned { .. } => "chain_signed",
            Event::DrillMark { .. } => "drill_mark",
            Event::DrillHint { .. } => "drill_hint",
            Event::DrillScore(_) => "drill_score",
            Event::SessionEnd { .. } => "session_end",
        }
    }
}
