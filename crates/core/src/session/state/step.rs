//! What the session and its steps look like to a reader: each step with its
//! probes and verdicts, the gates and what was answered, notes and
//! measurements, and how the session began and ended.

use std::sync::Arc;

use crate::azure_call::RequestIds;
use crate::session::event::{GateDecision, Mode, NoteLevel, StepInfo, Verdict};
use crate::session::prediction::Hazard;

/// Where a step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepStatus {
    Pending,
    Running,
    Passed,
    Failed,
    Overridden,
    Skipped,
}

impl StepStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Pending => "pending",
            StepStatus::Running => "running",
            StepStatus::Passed => "passed",
            StepStatus::Failed => "failed",
            StepStatus::Overridden => "overridden",
            StepStatus::Skipped => "skipped",
        }
    }

    pub fn is_done(self) -> bool {
        !matches!(self, StepStatus::Pending | StepStatus::Running)
    }
}

impl From<Verdict> for StepStatus {
    fn from(v: Verdict) -> Self {
        match v {
            Verdict::Passed => StepStatus::Passed,
            Verdict::Failed => StepStatus::Failed,
            Verdict::Overridden => StepStatus::Overridden,
            Verdict::Skipped => StepStatus::Skipped,
        }
    }
}

/// One command or API call a step made. A command that a step runs again
/// (verification polling, the monitor) replaces its earlier record, so a
/// long session holds one raw output per distinct command per step.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeRecord {
    pub device: String,
    pub query: String,
    /// The exact command or API call.
    pub command: String,
    pub raw: Option<Arc<str>>,
    pub error: Option<String>,
    pub elapsed_ms: u64,
    pub ids: Option<RequestIds>,
    /// How many times this command ran in this step.
    pub runs: u32,
    /// Why the raw output could not be read for the live panes, if it
    /// could not.
    pub parse_error: Option<String>,
    /// What makes the parsed answer doubtful though it parsed (a capture
    /// cut short, a filtered one): [`Event::probe_warnings`](crate::session::Event::probe_warnings).
    pub warnings: Vec<String>,
}

/// One expectation clause and its latest verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectationRecord {
    pub clause: String,
    pub passed: bool,
    pub evidence: String,
    /// How many times it was evaluated in this step.
    pub evaluations: u32,
}

/// One step of the runbook as the session saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct StepState {
    pub info: StepInfo,
    pub status: StepStatus,
    pub probes: Vec<ProbeRecord>,
    pub expectations: Vec<ExpectationRecord>,
    pub elapsed_ms: Option<u64>,
}

impl StepState {
    pub(super) fn new(info: StepInfo) -> Self {
        Self {
            info,
            status: StepStatus::Pending,
            probes: Vec::new(),
            expectations: Vec::new(),
            elapsed_ms: None,
        }
    }

    pub fn failed_expectations(&self) -> usize {
        self.expectations.iter().filter(|e| !e.passed).count()
    }
}

/// A gate as prompted, and what the operator answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateState {
    pub step: String,
    pub prompt: String,
    pub confirm_text: String,
    /// Pre-checks that failed: passing needs an override.
    pub failed_checks: Vec<String>,
    /// What the prediction says will break: holds the gate like a failed
    /// pre-check.
    pub hazards: Vec<Hazard>,
    pub decision: Option<GateDecision>,
}

impl GateState {
    pub fn is_open(&self) -> bool {
        self.decision.is_none()
    }

    /// Passing needs an override: a reason, `OVERRIDE`, the text.
    pub fn needs_reason(&self) -> bool {
        !self.failed_checks.is_empty() || !self.hazards.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Measurement {
    pub step: String,
    pub name: String,
    pub millis: u64,
    /// The true value lies between `millis - uncertainty_ms` and `millis`.
    pub uncertainty_ms: Option<u64>,
    pub from: Option<String>,
    pub to: Option<String>,
}

impl Measurement {
    /// The value as a range of seconds, `1.2–2.2 s` (or `1.5 s` when it
    /// is exact), in human units (`model::duration::human`) past a minute.
    pub fn text(&self) -> String {
        if self.is_planned() {
            return format!("{} (planned)", crate::model::duration::human(self.millis));
        }
        measured_text(self.millis, self.uncertainty_ms)
    }

    /// A planned interval (when the next test is due), journaled with the
    /// measurements but not measured: shown and reported apart from them.
    pub fn is_planned(&self) -> bool {
        self.name == PLANNED_NEXT_TEST
    }
}

/// The `measurement` name under which the engine journals when the next
/// test is due: a plan, not a measured time.
pub const PLANNED_NEXT_TEST: &str = "next_test_in";

/// A measured time with its uncertainty, as the console and the report
/// show it: `1.2–2.2 s` when the true value lies in a range, else `1.5 s`.
pub fn measured_text(millis: u64, uncertainty_ms: Option<u64>) -> String {
    // Tenths of a second; the range is widened, never narrowed, by the
    // rounding: the lower end rounds down, the upper end up.
    let tenths = |t: u64| format!("{}.{}", t / 10, t % 10);
    match uncertainty_ms {
        Some(u) if u > 0 && millis < 60_000 => format!(
            "{}–{} s",
            tenths(millis.saturating_sub(u) / 100),
            tenths(millis.div_ceil(100))
        ),
        // Past a minute the range is wider than a tenth is worth.
        Some(u) if u > 0 => format!(
            "{}–{}",
            crate::model::duration::human(millis.saturating_sub(u)),
            crate::model::duration::human(millis)
        ),
        _ => crate::model::duration::human(millis),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteRecord {
    pub step: Option<String>,
    pub level: NoteLevel,
    pub text: String,
}

/// What `session_start` announced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    pub session_id: String,
    pub mode: Mode,
    pub runbook_id: String,
    pub runbook_title: String,
    pub runbook_sha256: String,
    pub operator: String,
    pub ticket: Option<String>,
    /// The signing key's fingerprint, when the journal is signed.
    pub key_fingerprint: Option<String>,
    pub scenario: Option<String>,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionEnd {
    pub exit_code: u8,
    pub outcome: String,
}
