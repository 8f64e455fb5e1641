//! The report as data: what `cutover report --format json` prints, and
//! what the Markdown and HTML renderings are drawn from.
//!
//! # Stability
//!
//! `format` names the layout (`cutover-report/1`). Within one layout,
//! fields are only ever added, never renamed, removed or retyped; a
//! consumer should ignore fields it does not know. Times are RFC 3339 UTC
//! with milliseconds, as the journal writes them; durations are whole
//! milliseconds (`*_ms`, `millis`); `seq` is the journal record a fact comes
//! from, so every line of the report can be checked against the journal.
//! Enumerations are lower-case strings; their values are listed on each
//! field.

use serde::{Deserialize, Serialize};

use cutover_core::model::diff::{TableDiff, TraceDiff};
use cutover_core::model::path::PathKind;

mod prediction;

pub use prediction::{Prediction, PredictionChecked};

/// The layout of this report.
pub const FORMAT: &str = "cutover-report/1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// [`FORMAT`].
    pub format: String,
    /// `cutover <version>` that made the report (not the one that ran the
    /// session: that is `session.version`).
    pub generated_by: String,
    /// The journal file as given.
    pub journal: String,
    pub integrity: Integrity,
    /// What a reader must know before trusting the rest, loudest first
    /// (a broken hash chain, a session that was not closed, path rules
    /// guessed from another runbook than the one that ran).
    pub warnings: Vec<String>,
    pub session: Session,
    pub outcome: Outcome,
    /// Every step the runbook announced, in runbook order, then any step
    /// the journal mentions that it did not announce.
    pub steps: Vec<Step>,
    /// Every gate, in order.
    pub gates: Vec<Gate>,
    /// What each gate was told withdrawing ExpressRoute would do, and
    /// what was seen after the change.
    #[serde(default)]
    pub predictions: Vec<Prediction>,
    /// Every guarded (disruptive, undoable) change, in order.
    pub actions: Vec<Action>,
    /// Every ARM write (the changes' and the rollbacks' PUTs), in order,
    /// with what an Azure support case quotes. Absent in reports from
    /// before it was recorded.
    #[serde(default)]
    pub writes: Vec<ArmWrite>,
    /// Failover and failback times, and any other measurement.
    pub timings: Vec<Timing>,
    /// Route tables and route lists, one per device and exact command.
    pub route_changes: Vec<RouteSource>,
    /// Traceroutes, one per device and exact command.
    pub trace_changes: Vec<TraceSource>,
    /// Warnings, errors and information the session wrote down.
    pub notes: Vec<Note>,
    /// The moments drawn on the HTML timeline, in journal order.
    pub timeline: Vec<Marker>,
    /// A drill's score (its `drill_score` record): `score` 0 to 100,
    /// `objectives[]` with `id`, `met`, `why` and `evidence` (step,
    /// command, output line), the trainee's `decisions` with the time
    /// each took. Absent outside drills and in drills from before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drill: Option<cutover_core::drill::DrillScore>,
}

/// What `cutover verify` says about the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Integrity {
    /// `intact`, `not_closed` (no `session_end`: the console stopped),
    /// `incomplete_final_record` (a crash cut the last write) or `broken`
    /// (edited, reordered, truncated: tampering or damage).
    pub status: String,
    /// True only for `broken`.
    pub tampered: bool,
    /// One sentence, as `cutover verify` would put it.
    pub summary: String,
    /// Records whose place in the chain checked out.
    pub verified_records: u64,
    /// Records the report was built from.
    pub records: u64,
    /// Hash of the last intact record: the value to anchor in the ticket.
    pub head_hash: Option<String>,
    /// The first `seq` that cannot be trusted, when broken or torn.
    pub first_bad_seq: Option<u64>,
    /// Records of kinds this version does not know (listed nowhere else).
    pub unknown_kinds: u64,
    /// Where the ExpressRoute/VPN path rules for the diffs came from.
    pub path_rules: String,
    /// The signatures, checked against the key inside them: `unsigned:
    /// integrity only ...`, `signed with SHA256:...: good ...`, or
    /// `SIGNATURE BAD ...`. Who holds the key is for `cutover verify
    /// --allowed-signers`.
    #[serde(default)]
    pub signature: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub session_id: Option<String>,
    pub operator: Option<String>,
    pub ticket: Option<String>,
    /// The fingerprint of the key the journal is signed with.
    #[serde(default)]
    pub key_fingerprint: Option<String>,
    /// `run`, `drill` or `validate`.
    pub mode: Option<String>,
    /// The lab scenario of a drill.
    pub scenario: Option<String>,
    pub runbook: Option<RunbookRef>,
    /// The cutover version that ran the session.
    pub version: Option<String>,
    /// The first record's time.
    pub started_at: Option<String>,
    /// `session_end`'s time; the last record's when the session was not
    /// closed.
    pub ended_at: Option<String>,
    pub duration_ms: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunbookRef {
    pub id: String,
    pub title: String,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// The session's exit status (CONTRACT.md); `None` when not closed.
    pub exit_code: Option<u8>,
    /// The engine's outcome text.
    pub outcome: Option<String>,
    /// What the exit status means, in words.
    pub meaning: String,
    pub closed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub id: String,
    pub title: String,
    pub phase: String,
    /// `check`, `gate`, `action`, `record` (empty when not announced).
    pub kind: String,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    /// The engine's measure of the step (`step_end`).
    pub duration_ms: Option<u64>,
    /// `passed`, `failed`, `overridden`, `skipped`, `unfinished` (started,
    /// never ended) or `not_run`.
    pub verdict: String,
    pub expectations: Vec<Expectation>,
    pub commands: Vec<CommandRun>,
}

/// An expectation clause, as last evaluated in its step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expectation {
    pub clause: String,
    pub passed: bool,
    /// The values that decided it.
    pub evidence: String,
    /// How many times it was evaluated (verification polling repeats).
    pub evaluations: u32,
    pub seq: u64,
}

/// One exact command or API call of a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandRun {
    pub device: String,
    pub query: String,
    /// Exactly as sent.
    pub command: String,
    pub runs: u32,
    /// The last run's.
    pub elapsed_ms: u64,
    /// The last run's failure, if it failed.
    pub error: Option<String>,
    /// Azure's `x-ms-request-id` of the last run.
    pub request_id: Option<String>,
    pub seq: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gate {
    pub step: String,
    pub prompted_at: Option<String>,
    pub prompt: String,
    pub confirm_text: String,
    /// Pre-checks that had failed when the gate was prompted.
    pub failed_checks: Vec<String>,
    /// The prediction's hazards that held the gate, one line each
    /// (`Azure → on-prem 10.1.11.0/26 vpn-more-specific`).
    #[serde(default)]
    pub hazards: Vec<String>,
    /// `confirmed`, `override`, `declined` or `unanswered`.
    pub decision: String,
    /// The reason the operator typed for an override.
    pub reason: Option<String>,
    pub decided_at: Option<String>,
    pub seq: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    pub step: String,
    pub op: String,
    pub target: String,
    pub started_at: String,
    pub seq: u64,
    pub done_at: Option<String>,
    /// Whether the change itself succeeded; `None` when no answer came.
    pub ok: Option<bool>,
    pub detail: Option<String>,
    /// The HTTP exchanges of the change (throttling, conflicts, retries).
    pub attempts: Vec<Attempt>,
    /// The same change by hand.
    pub manual: Manual,
    pub deadline: Option<Deadline>,
    pub verifications: Vec<Verification>,
    pub confirmed_at: Option<String>,
    pub rollback: Option<Rollback>,
    /// Stopped before ARM accepted any write (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled: Option<Cancelled>,
    /// `confirmed`, `rolled_back`, `rollback_failed`, `rolling_back`
    /// (the journal ends mid-rollback), `not_applied` (the change failed
    /// and the peering was left as it was; `failed` in reports before
    /// it), `cancelled` (stopped before any write was accepted),
    /// `unconfirmed` (the journal ends before an answer).
    pub result: String,
}

/// A change stopped before ARM accepted any write: nothing was sent
/// after the abort, nothing needed undoing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cancelled {
    pub at: String,
    pub seq: u64,
    /// `operator` or `console_lost`.
    pub reason: String,
    pub detail: String,
}

/// One ARM write as sent and answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArmWrite {
    pub at: String,
    pub seq: u64,
    pub step: String,
    /// `change` (the action's own write) or `rollback`.
    pub during: String,
    pub method: String,
    /// Path and query, without host; signature parameters redacted.
    pub path: String,
    /// The fields the body changed: `properties.state: Enabled -> Disabled`.
    pub changes: Vec<String>,
    /// The `If-Match` etag sent.
    pub if_match: Option<String>,
    /// 0: no answer came (the connection failed or the answer was lost).
    pub status: u16,
    pub error_code: Option<String>,
    /// The etag the answer carried.
    pub etag: Option<String>,
    /// The answer's `provisioningState`.
    pub provisioning_state: Option<String>,
    /// `x-ms-client-request-id` (sent).
    pub client_request_id: Option<String>,
    /// `x-ms-request-id` (answered).
    pub request_id: Option<String>,
    /// `x-ms-correlation-request-id` (answered).
    pub correlation_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    pub at: String,
    pub seq: u64,
    pub method: String,
    /// Path and query, without host.
    pub path: String,
    pub status: u16,
    pub error_code: Option<String>,
    pub retry_after_ms: Option<u64>,
    /// `x-ms-request-id`.
    pub request_id: Option<String>,
    /// `x-ms-client-request-id`.
    pub client_request_id: Option<String>,
    /// `x-ms-correlation-request-id`.
    pub correlation_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manual {
    pub az_cli: String,
    pub powershell: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    pub seconds: u64,
    pub armed_at: String,
    pub expires_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    pub at: String,
    pub seq: u64,
    pub clause: String,
    pub passed: bool,
    pub evidence: String,
    /// Since the change was applied.
    pub elapsed_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rollback {
    /// `deadline_passed`, `verification_failed`, `operator`,
    /// `console_lost`, `traffic_lost`.
    pub reason: String,
    pub op: String,
    pub started_at: String,
    pub ended_at: Option<String>,
    /// `done`, `failed`, or `running` (the journal ends mid-rollback).
    pub result: String,
    pub detail: Option<String>,
    pub error: Option<String>,
    pub attempts: Vec<Attempt>,
    /// What the operator must run by hand, when the rollback failed.
    pub manual: Option<Manual>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timing {
    /// `failover.trace`, `failover.table`, `failback.*`, or the engine's
    /// name for it (`failover` in journals before per-probe timings).
    pub name: String,
    pub step: String,
    pub millis: u64,
    /// The true value lies between `millis - uncertainty_ms` and `millis`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncertainty_ms: Option<u64>,
    /// What it is measured from and to, as the engine recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// `measured` (a `measurement` record), `derived` (from the
    /// journal's times: the change applied to its first passing
    /// verification), or `planned` (when the next test is due: an
    /// interval the runbook set, not a measurement; see `due`).
    pub source: String,
    /// For a `planned` entry: the date it falls on (RFC 3339 UTC), counted
    /// from the record that planned it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<String>,
    /// The records it rests on.
    pub seqs: Vec<u64>,
}

/// Where a capture came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureRef {
    pub seq: u64,
    pub at: String,
    /// The step that ran it (`monitor` for the live monitor).
    pub step: String,
}

/// A route table (or an Azure route list) over the session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteSource {
    pub device: String,
    pub query: String,
    pub command: String,
    /// The table's name (`Cust11.inet.0`) or what an Azure list is.
    pub table: String,
    /// Captures with an output (identical repeats included).
    pub captures: u32,
    pub first: CaptureRef,
    pub last: CaptureRef,
    /// First capture to last.
    pub net: TableDiff,
    /// Each change between two consecutive differing captures, in order:
    /// where the path moved to the VPN and where it came back.
    pub changes: Vec<RouteChange>,
    /// Captures that could not be read.
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteChange {
    pub from: CaptureRef,
    pub to: CaptureRef,
    pub diff: TableDiff,
}

/// A traceroute over the session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceSource {
    pub device: String,
    pub command: String,
    pub target: Option<String>,
    pub captures: u32,
    /// The first capture, then every capture whose path kind differs from
    /// the one before: the path's history.
    pub path: Vec<TracePoint>,
    /// First capture to last.
    pub net: TraceDiff,
    /// Each change of path or of answering hops between consecutive
    /// captures, in order.
    pub changes: Vec<TraceChange>,
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TracePoint {
    pub capture: CaptureRef,
    pub kind: PathKind,
    pub reached: bool,
    /// Every address that answered, in TTL order.
    pub hops: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceChange {
    pub from: CaptureRef,
    pub to: CaptureRef,
    pub diff: TraceDiff,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub at: String,
    pub seq: u64,
    pub step: Option<String>,
    /// `info`, `warn`, `error`.
    pub level: String,
    pub text: String,
}

/// A moment on the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marker {
    pub seq: u64,
    pub at: String,
    /// Since the session started.
    pub offset_ms: u64,
    /// `gate`, `action`, `action_done`, `deadline`, `verify`, `traffic`,
    /// `traffic_lost`, `confirm`, `rollback`, `rollback_done`,
    /// `rollback_failed`, `session_end`.
    pub kind: String,
    pub step: Option<String>,
    /// One short line.
    pub label: String,
    /// Whether it went well; `None` when that is not its point.
    pub ok: Option<bool>,
}
