//! What the console shows, folded from the engine's events.
//!
//! The console and the replay build their picture of a session only from
//! [`Event`]s, in order, so that replaying a journal rebuilds exactly the
//! screen the operator saw. Live panes (routes, tunnels, traceroutes) are
//! derived by re-parsing each probe's raw output with the parser its query
//! names, never from the engine's `parsed` summary: the raw text is the
//! evidence, and the journal keeps it.
//!
//! Cost: a probe event is parsed once when it is applied; a route table is
//! kept behind an `Arc` so that the baseline, the latest capture and the
//! renderer share it; a capture whose raw text equals the previous one is
//! not parsed again (the monitor repeats the same command every few
//! seconds, and a million-route table rarely changes between two polls).

use std::net::IpAddr;
use std::sync::Arc;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::session::event::{
    Event, GateDecision, Mode, NoteLevel, RollbackReason, StepInfo, Verdict,
};
use crate::session::event::MONITOR_STEP;
use crate::model::Prefix;
use crate::model::azure::{
    BgpPeerStatusListResult, ExpressRouteCircuitPeeringListResult, GatewayRouteListResult,
    Origin as AzureOrigin, VirtualNetworkGatewayConnection,
};
use crate::model::bgp::BgpSummary;
use crate::model::diff::{TableDiff, TraceDiff, diff_tables, diff_traces};
use crate::model::path::{PathClassifier, TraceClass};
use crate::model::table::{NextHop, PeerType, RouteSource, RouteTable, TableBuilder};
use crate::model::trace::Trace;
use crate::model::tunnel::{BfdSessions, IkeSas, IpsecSas};
use crate::parse;
use crate::azure_call::{ArmAttempt, ManualCommands, RequestIds};

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
    fn new(info: StepInfo) -> Self {
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
    /// Pre-checks that failed: passing needs an override reason.
    pub failed_checks: Vec<String>,
    pub decision: Option<GateDecision>,
}

impl GateState {
    pub fn is_open(&self) -> bool {
        self.decision.is_none()
    }

    pub fn needs_reason(&self) -> bool {
        !self.failed_checks.is_empty()
    }
}

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Measurement {
    pub step: String,
    pub name: String,
    pub millis: u64,
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
    pub scenario: Option<String>,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionEnd {
    pub exit_code: u8,
    pub outcome: String,
}

/// The latest answer of one source (a device, or Azure) to one query.
#[derive(Debug, Clone, PartialEq)]
pub struct Latest<T> {
    pub device: String,
    pub command: String,
    /// The latest value that could be read; kept when a later probe fails
    /// so the pane shows the last known state, marked stale.
    pub value: Option<Arc<T>>,
    /// Why the latest probe gave no value (probe error or parse error).
    pub error: Option<String>,
    pub updates: u32,
}

impl<T> Latest<T> {
    pub fn is_stale(&self) -> bool {
        self.error.is_some()
    }
}

/// A route table as first seen in the session and as last seen, with what
/// changed in between. One per device and exact command (a table filtered
/// to a prefix and the same table unfiltered are different views).
#[derive(Debug, Clone)]
pub struct TableView {
    pub device: String,
    pub query: String,
    pub command: String,
    /// The table's name (`Cust11.inet.0`), or what an Azure list is.
    pub name: String,
    /// The first capture: the session-start baseline.
    pub baseline: Arc<RouteTable>,
    pub latest: Arc<RouteTable>,
    /// Baseline to latest.
    pub diff: Arc<TableDiff>,
    /// Every prefix the diff touches, sorted, for per-row lookups.
    pub changed: Arc<[Prefix]>,
    pub updates: u32,
    /// `applied` when it was last updated, to tell the freshest source.
    pub updated_at: u64,
    /// Why the latest probe gave no table; the latest table is the last
    /// good one.
    pub error: Option<String>,
    last_raw: Option<Arc<str>>,
}

impl TableView {
    pub fn label(&self) -> String {
        format!("{} · {}", self.device, self.command)
    }

    /// Whether the paths of `prefix` changed since the session started.
    pub fn is_changed(&self, prefix: &Prefix) -> bool {
        self.changed.binary_search(prefix).is_ok()
    }
}

/// A traceroute's history: the first, the latest, and the pair around the
/// most recent change of path kind.
#[derive(Debug, Clone)]
pub struct TraceView {
    pub device: String,
    pub command: String,
    pub first: Arc<Trace>,
    pub first_class: TraceClass,
    pub latest: Arc<Trace>,
    pub latest_class: TraceClass,
    /// The last trace before the path kind last changed, and the first
    /// after it.
    pub change: Option<TraceChange>,
    /// How many times the path kind changed.
    pub kind_changes: u32,
    /// What [`TraceView::before`] to [`TraceView::latest`] changed.
    pub compare: TraceDiff,
    pub updates: u32,
    /// `applied` when it was last updated, to tell the freshest source.
    pub updated_at: u64,
    pub error: Option<String>,
}

#[derive(Debug, Clone)]
pub struct TraceChange {
    pub before: Arc<Trace>,
    pub before_class: TraceClass,
    pub after: Arc<Trace>,
    pub after_class: TraceClass,
}

impl TraceView {
    /// What the latest trace is compared with: the last trace before the
    /// most recent change of path, else the first of the session.
    pub fn before(&self) -> (&Arc<Trace>, &TraceClass) {
        match &self.change {
            Some(c) => (&c.before, &c.before_class),
            None => (&self.first, &self.first_class),
        }
    }

    pub fn target(&self) -> Option<&str> {
        self.latest.target.as_deref()
    }
}

/// Everything the live panes draw.
#[derive(Debug, Clone, Default)]
pub struct Live {
    pub tables: Vec<TableView>,
    pub traces: Vec<TraceView>,
    pub bgp: Vec<Latest<BgpSummary>>,
    pub bfd: Vec<Latest<BfdSessions>>,
    pub ike: Vec<Latest<IkeSas>>,
    pub ipsec: Vec<Latest<IpsecSas>>,
    pub azure_bgp: Vec<Latest<BgpPeerStatusListResult>>,
    pub azure_connection: Vec<Latest<VirtualNetworkGatewayConnection>>,
    pub azure_peering: Vec<Latest<ExpressRouteCircuitPeeringListResult>>,
}

/// The whole session as the console shows it.
#[derive(Debug, Clone)]
pub struct SessionState {
    classifier: Arc<PathClassifier>,
    pub session: Option<SessionInfo>,
    pub steps: Vec<StepState>,
    /// The step that started last and has not ended.
    pub current: Option<usize>,
    /// Every gate prompted, in order.
    pub gates: Vec<GateState>,
    /// Every guarded change, in order.
    pub guards: Vec<GuardState>,
    pub measurements: Vec<Measurement>,
    pub notes: Vec<NoteRecord>,
    pub end: Option<SessionEnd>,
    pub live: Live,
    /// The live monitor's latest poll of each command (step `monitor`).
    pub monitor: Vec<ProbeRecord>,
    /// Events applied so far.
    pub applied: u64,
}

impl SessionState {
    pub fn new(classifier: PathClassifier) -> Self {
        Self::with_classifier(Arc::new(classifier))
    }

    pub fn with_classifier(classifier: Arc<PathClassifier>) -> Self {
        Self {
            classifier,
            session: None,
            steps: Vec::new(),
            current: None,
            gates: Vec::new(),
            guards: Vec::new(),
            measurements: Vec::new(),
            notes: Vec::new(),
            end: None,
            live: Live::default(),
            monitor: Vec::new(),
            applied: 0,
        }
    }

    pub fn classifier(&self) -> &PathClassifier {
        &self.classifier
    }

    pub fn step_index(&self, id: &str) -> Option<usize> {
        self.steps.iter().position(|s| s.info.id == id)
    }

    pub fn step(&self, id: &str) -> Option<&StepState> {
        self.steps.iter().find(|s| s.info.id == id)
    }

    /// The gate waiting for an answer, if any.
    pub fn open_gate(&self) -> Option<&GateState> {
        self.gates.last().filter(|g| g.is_open())
    }

    /// The most recent guarded change.
    pub fn guard(&self) -> Option<&GuardState> {
        self.guards.last()
    }

    /// The guarded change whose deadline runs now: applied, not confirmed,
    /// not being undone, session still open.
    pub fn armed_guard(&self) -> Option<&GuardState> {
        if self.end.is_some() {
            return None;
        }
        self.guard().filter(|g| g.phase() == GuardPhase::Armed)
    }

    pub fn is_ended(&self) -> bool {
        self.end.is_some()
    }

    /// Folds one event in.
    pub fn apply(&mut self, event: &Event) {
        self.applied += 1;
        match event {
            Event::SessionStart {
                session_id,
                mode,
                runbook_id,
                runbook_title,
                runbook_sha256,
                operator,
                ticket,
                scenario,
                steps,
                version,
            } => {
                self.session = Some(SessionInfo {
                    session_id: session_id.clone(),
                    mode: *mode,
                    runbook_id: runbook_id.clone(),
                    runbook_title: runbook_title.clone(),
                    runbook_sha256: runbook_sha256.clone(),
                    operator: operator.clone(),
                    ticket: ticket.clone(),
                    scenario: scenario.clone(),
                    version: version.clone(),
                });
                self.steps = steps.iter().cloned().map(StepState::new).collect();
                self.current = None;
            }
            Event::StepStart { step } => {
                let i = self.step_mut_index(step);
                if let Some(s) = self.steps.get_mut(i) {
                    s.status = StepStatus::Running;
                }
                self.current = Some(i);
            }
            Event::Probe {
                step,
                device,
                query,
                command,
                raw,
                error,
                parsed: _,
                elapsed_ms,
                ids,
            } => {
                let raw: Option<Arc<str>> = raw.as_deref().map(Arc::from);
                let parse_error = self.live_probe(device, query, command, raw.as_ref(), error);
                let rec = ProbeRecord {
                    device: device.clone(),
                    query: query.clone(),
                    command: command.clone(),
                    raw,
                    error: error.clone(),
                    elapsed_ms: *elapsed_ms,
                    ids: ids.clone(),
                    runs: 1,
                    parse_error,
                };
                // The monitor's polls feed the live panes; they are not a
                // step of the runbook.
                let list = if step == MONITOR_STEP && self.step_index(step).is_none() {
                    &mut self.monitor
                } else {
                    let i = self.step_mut_index(step);
                    match self.steps.get_mut(i) {
                        Some(s) => &mut s.probes,
                        None => return,
                    }
                };
                match list
                    .iter_mut()
                    .find(|p| p.device == *device && p.command == *command)
                {
                    Some(p) => {
                        let runs = p.runs.saturating_add(1);
                        *p = ProbeRecord { runs, ..rec };
                    }
                    None => list.push(rec),
                }
            }
            Event::Expectation {
                step,
                clause,
                passed,
                evidence,
            } => {
                let i = self.step_mut_index(step);
                if let Some(s) = self.steps.get_mut(i) {
                    match s.expectations.iter_mut().find(|e| e.clause == *clause) {
                        Some(e) => {
                            e.passed = *passed;
                            e.evidence.clone_from(evidence);
                            e.evaluations = e.evaluations.saturating_add(1);
                        }
                        None => s.expectations.push(ExpectationRecord {
                            clause: clause.clone(),
                            passed: *passed,
                            evidence: evidence.clone(),
                            evaluations: 1,
                        }),
                    }
                }
            }
            Event::GatePrompt {
                step,
                prompt,
                confirm_text,
                failed_checks,
            } => {
                self.step_mut_index(step);
                self.gates.push(GateState {
                    step: step.clone(),
                    prompt: prompt.clone(),
                    confirm_text: confirm_text.clone(),
                    failed_checks: failed_checks.clone(),
                    decision: None,
                });
            }
            Event::GateDecision { step, decision } => {
                match self
                    .gates
                    .iter_mut()
                    .rev()
                    .find(|g| g.step == *step && g.decision.is_none())
                {
                    Some(g) => g.decision = Some(decision.clone()),
                    // A decision without its prompt (a truncated journal):
                    // keep it rather than lose what was decided.
                    None => self.gates.push(GateState {
                        step: step.clone(),
                        prompt: String::new(),
                        confirm_text: String::new(),
                        failed_checks: match decision {
                            GateDecision::Override { failed_checks, .. } => failed_checks.clone(),
                            _ => Vec::new(),
                        },
                        decision: Some(decision.clone()),
                    }),
                }
            }
            Event::ActionStarted {
                step,
                op,
                target,
                manual,
            } => {
                self.step_mut_index(step);
                self.guards.push(GuardState {
                    step: step.clone(),
                    op: op.clone(),
                    target: target.clone(),
                    manual: manual.clone(),
                    attempts: Vec::new(),
                    applied: None,
                    deadline: None,
                    verifications: Vec::new(),
                    confirmed: false,
                    rollback: None,
                });
            }
            Event::ActionAttempt { step, attempt } => {
                let g = self.guard_for(step);
                match &mut g.rollback {
                    Some(rb) => rb.attempts.push(attempt.clone()),
                    None => g.attempts.push(attempt.clone()),
                }
            }
            Event::ActionDone {
                step,
                op: _,
                ok,
                detail,
            } => {
                self.guard_for(step).applied = Some(ActionOutcome {
                    ok: *ok,
                    detail: detail.clone(),
                });
            }
            Event::DeadlineArmed {
                step,
                seconds,
                expires_at,
            } => {
                self.guard_for(step).deadline = Some(Deadline {
                    seconds: *seconds,
                    expires_at: OffsetDateTime::parse(expires_at, &Rfc3339).ok(),
                    expires_at_text: expires_at.clone(),
                });
            }
            Event::VerifyResult {
                step,
                clause,
                passed,
                evidence,
                elapsed_ms,
            } => {
                let g = self.guard_for(step);
                let rec = VerifyRecord {
                    clause: clause.clone(),
                    passed: *passed,
                    evidence: evidence.clone(),
                    elapsed_ms: *elapsed_ms,
                };
                match g.verifications.iter_mut().find(|v| v.clause == *clause) {
                    Some(v) => *v = rec,
                    None => g.verifications.push(rec),
                }
            }
            Event::ConfirmHealthy { step } => {
                self.guard_for(step).confirmed = true;
            }
            Event::RollbackStarted { step, reason, op } => {
                self.guard_for(step).rollback = Some(RollbackState {
                    reason: *reason,
                    op: op.clone(),
                    attempts: Vec::new(),
                    outcome: RollbackOutcome::Running,
                });
            }
            Event::RollbackDone { step, detail } => {
                let outcome = RollbackOutcome::Done {
                    detail: detail.clone(),
                };
                self.rollback_for(step).outcome = outcome;
            }
            Event::RollbackFailed {
                step,
                error,
                manual,
            } => {
                let outcome = RollbackOutcome::Failed {
                    error: error.clone(),
                    manual: manual.clone(),
                };
                self.rollback_for(step).outcome = outcome;
            }
            Event::StepEnd {
                step,
                verdict,
                elapsed_ms,
            } => {
                let i = self.step_mut_index(step);
                if let Some(s) = self.steps.get_mut(i) {
                    s.status = (*verdict).into();
                    s.elapsed_ms = Some(*elapsed_ms);
                }
                if self.current == Some(i) {
                    self.current = None;
                }
            }
            Event::Note { step, level, text } => self.notes.push(NoteRecord {
                step: step.clone(),
                level: *level,
                text: text.clone(),
            }),
            Event::Measurement { step, name, millis } => self.measurements.push(Measurement {
                step: step.clone(),
                name: name.clone(),
                millis: *millis,
            }),
            Event::SessionEnd { exit_code, outcome } => {
                self.end = Some(SessionEnd {
                    exit_code: *exit_code,
                    outcome: outcome.clone(),
                });
                if let Some(i) = self.current.take()
                    && let Some(s) = self.steps.get_mut(i)
                    && s.status == StepStatus::Running
                {
                    // The session ended under a running step (killed, or
                    // the journal was cut): it did not pass.
                    s.status = StepStatus::Failed;
                }
            }
        }
    }

    /// The index of step `id`, adding it when `session_start` did not
    /// announce it, so that nothing an event says is dropped.
    fn step_mut_index(&mut self, id: &str) -> usize {
        if let Some(i) = self.step_index(id) {
            return i;
        }
        self.steps.push(StepState::new(StepInfo {
            id: id.to_string(),
            title: id.to_string(),
            phase: String::new(),
            kind: String::new(),
        }));
        self.steps.len() - 1
    }

    /// The guarded change of `step`, created when an event about it comes
    /// without its `action_started` (a cut journal).
    fn guard_for(&mut self, step: &str) -> &mut GuardState {
        let i = match self.guards.iter().rposition(|g| g.step == step) {
            Some(i) => i,
            None => {
                self.guards.push(GuardState {
                    step: step.to_string(),
                    op: String::new(),
                    target: String::new(),
                    manual: ManualCommands {
                        az_cli: String::new(),
                        powershell: String::new(),
                    },
                    attempts: Vec::new(),
                    applied: None,
                    deadline: None,
                    verifications: Vec::new(),
                    confirmed: false,
                    rollback: None,
                });
                self.guards.len() - 1
            }
        };
        &mut self.guards[i]
    }

    fn rollback_for(&mut self, step: &str) -> &mut RollbackState {
        let g = self.guard_for(step);
        g.rollback.get_or_insert_with(|| RollbackState {
            reason: RollbackReason::Operator,
            op: String::new(),
            attempts: Vec::new(),
            outcome: RollbackOutcome::Running,
        })
    }

    /// Updates the live panes from one probe; returns why its raw output
    /// could not be read, if it could not.
    fn live_probe(
        &mut self,
        device: &str,
        query: &str,
        command: &str,
        raw: Option<&Arc<str>>,
        error: &Option<String>,
    ) -> Option<String> {
        let at = self.applied;
        let failure = || {
            error
                .clone()
                .unwrap_or_else(|| "no output recorded".to_string())
        };
        match query {
            "route.table"
            | "bgp.advertised"
            | "bgp.received"
            | "azure.learned_routes"
            | "azure.advertised_routes" => {
                let classifier = Arc::clone(&self.classifier);
                let tables = &mut self.live.tables;
                let slot = tables
                    .iter()
                    .position(|t| t.device == device && t.command == command);
                let Some(raw) = raw else {
                    if let Some(t) = slot.and_then(|i| tables.get_mut(i)) {
                        t.error = Some(failure());
                        t.updates = t.updates.saturating_add(1);
                        t.updated_at = at;
                    }
                    return None;
                };
                if let Some(t) = slot.and_then(|i| tables.get_mut(i))
                    && t.last_raw.as_deref() == Some(&**raw)
                {
                    t.updates = t.updates.saturating_add(1);
                    t.updated_at = at;
                    t.error = None;
                    return None;
                }
                let parsed = if query.starts_with("azure.") {
                    azure_table(query, raw)
                } else {
                    junos_table(raw)
                };
                match (parsed, slot.and_then(|i| tables.get_mut(i))) {
                    (Ok((name, table)), Some(t)) => {
                        let latest = Arc::new(table);
                        let diff = diff_tables(&t.baseline, &latest, &classifier);
                        t.changed = changed_prefixes(&diff);
                        t.diff = Arc::new(diff);
                        t.latest = latest;
                        t.name = name;
                        t.last_raw = Some(Arc::clone(raw));
                        t.error = None;
                        t.updates = t.updates.saturating_add(1);
                        t.updated_at = at;
                        None
                    }
                    (Ok((name, table)), None) => {
                        let table = Arc::new(table);
                        tables.push(TableView {
                            device: device.to_string(),
                            query: query.to_string(),
                            command: command.to_string(),
                            name,
                            baseline: Arc::clone(&table),
                            latest: table,
                            diff: Arc::new(TableDiff::default()),
                            changed: Arc::from(Vec::new()),
                            updates: 1,
                            updated_at: at,
                            error: None,
                            last_raw: Some(Arc::clone(raw)),
                        });
                        None
                    }
                    (Err(e), Some(t)) => {
                        t.error = Some(e.clone());
                        t.updates = t.updates.saturating_add(1);
                        t.updated_at = at;
                        Some(e)
                    }
                    (Err(e), None) => Some(e),
                }
            }
            "trace" => self.live_trace(device, command, raw, failure),
            "bgp.summary" => {
                update_latest(&mut self.live.bgp, device, command, raw, failure, |s| {
                    parse::junos_bgp_summary::parse(s).map_err(|e| e.to_string())
                })
            }
            "bfd.sessions" => {
                update_latest(&mut self.live.bfd, device, command, raw, failure, |s| {
                    parse::junos_bfd::parse(s).map_err(|e| e.to_string())
                })
            }
            "ike.sas" => update_latest(&mut self.live.ike, device, command, raw, failure, |s| {
                parse::junos_ike_sa::parse(s).map_err(|e| e.to_string())
            }),
            "ipsec.sas" => {
                update_latest(&mut self.live.ipsec, device, command, raw, failure, |s| {
                    parse::junos_ipsec_sa::parse(s).map_err(|e| e.to_string())
                })
            }
            "azure.bgp_peers" => update_latest(
                &mut self.live.azure_bgp,
                device,
                command,
                raw,
                failure,
                |s| parse::arm::read_bgp_peer_list(s).map_err(|e| e.to_string()),
            ),
            "azure.connection" => update_latest(
                &mut self.live.azure_connection,
                device,
                command,
                raw,
                failure,
                |s| parse::arm::read_connection(s).map_err(|e| e.to_string()),
            ),
            "azure.peering" => update_latest(
                &mut self.live.azure_peering,
                device,
                command,
                raw,
                failure,
                |s| parse::arm::read_peerings(s).map_err(|e| e.to_string()),
            ),
            // A query this console has no pane for: the detail pane still
            // shows its command and raw output.
            _ => None,
        }
    }

    fn live_trace(
        &mut self,
        device: &str,
        command: &str,
        raw: Option<&Arc<str>>,
        failure: impl Fn() -> String,
    ) -> Option<String> {
        let at = self.applied;
        let slot = self
            .live
            .traces
            .iter()
            .position(|t| t.device == device && t.command == command);
        let parsed = match raw {
            Some(raw) => parse::traceroute::parse(raw).map_err(|e| e.to_string()),
            None => Err(failure()),
        };
        let probe_failed = raw.is_none();
        let classifier = Arc::clone(&self.classifier);
        match (parsed, slot.and_then(|i| self.live.traces.get_mut(i))) {
            (Ok(trace), Some(t)) => {
                let class = classifier.explain_trace(&trace);
                let trace = Arc::new(trace);
                if class.kind != t.latest_class.kind {
                    t.change = Some(TraceChange {
                        before: Arc::clone(&t.latest),
                        before_class: t.latest_class.clone(),
                        after: Arc::clone(&trace),
                        after_class: class.clone(),
                    });
                    t.kind_changes = t.kind_changes.saturating_add(1);
                }
                t.latest = trace;
                t.latest_class = class;
                let (before, _) = t.before();
                t.compare = diff_traces(before, &t.latest, &classifier);
                t.updates = t.updates.saturating_add(1);
                t.updated_at = at;
                t.error = None;
                None
            }
            (Ok(trace), None) => {
                let class = classifier.explain_trace(&trace);
                let trace = Arc::new(trace);
                let compare = diff_traces(&trace, &trace, &classifier);
                self.live.traces.push(TraceView {
                    device: device.to_string(),
                    command: command.to_string(),
                    first: Arc::clone(&trace),
                    first_class: class.clone(),
                    latest: trace,
                    latest_class: class,
                    change: None,
                    kind_changes: 0,
                    compare,
                    updates: 1,
                    updated_at: at,
                    error: None,
                });
                None
            }
            (Err(e), Some(t)) => {
                t.error = Some(e.clone());
                t.updates = t.updates.saturating_add(1);
                t.updated_at = at;
                (!probe_failed).then_some(e)
            }
            (Err(e), None) => (!probe_failed).then_some(e),
        }
    }
}

/// Replaces the latest value of `device` in `list` with what `raw` parses
/// to; returns the parse error, if any.
fn update_latest<T>(
    list: &mut Vec<Latest<T>>,
    device: &str,
    command: &str,
    raw: Option<&Arc<str>>,
    failure: impl Fn() -> String,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Option<String> {
    let (result, parse_error) = match raw {
        Some(raw) => match parse(raw) {
            Ok(v) => (Ok(v), None),
            Err(e) => (Err(e.clone()), Some(e)),
        },
        None => (Err(failure()), None),
    };
    let slot = match list.iter().position(|l| l.device == device) {
        Some(i) => i,
        None => {
            list.push(Latest {
                device: device.to_string(),
                command: command.to_string(),
                value: None,
                error: None,
                updates: 0,
            });
            list.len() - 1
        }
    };
    if let Some(l) = list.get_mut(slot) {
        l.command = command.to_string();
        l.updates = l.updates.saturating_add(1);
        match result {
            Ok(v) => {
                l.value = Some(Arc::new(v));
                l.error = None;
            }
            Err(e) => l.error = Some(e),
        }
    }
    parse_error
}

fn junos_table(raw: &str) -> Result<(String, RouteTable), String> {
    let list = parse::junos_route::parse(raw).map_err(|e| e.to_string())?;
    let out = RouteTable::from_parsed(&list, None).map_err(|e| e.to_string())?;
    let name = out.table.name().to_string();
    Ok((name, out.table))
}

/// An Azure gateway's route list as a table: the source peer as the peer
/// the path was learned from, the origin as protocol and peer type. Azure
/// marks no path active.
fn azure_table(query: &str, raw: &str) -> Result<(String, RouteTable), String> {
    let list: GatewayRouteListResult =
        parse::arm::read_route_list(raw).map_err(|e| e.to_string())?;
    let name = if query == "azure.learned_routes" {
        "gateway learned routes"
    } else {
        "gateway advertised routes"
    };
    let mut b = TableBuilder::new(name);
    b.reserve(list.value.len());
    for r in &list.value {
        let Some(prefix) = r.prefix() else {
            continue;
        };
        let as_path = r.as_path_asns();
        let hop: Option<IpAddr> = r.next_hop.as_deref().and_then(|h| h.trim().parse().ok());
        let hops: Vec<NextHop> = hop.map(NextHop::addr).into_iter().collect();
        let (protocol, peer_type) = match &r.origin {
            Some(AzureOrigin::IBgp) => (Some("bgp"), Some(PeerType::Internal)),
            Some(AzureOrigin::EBgp) => (Some("bgp"), Some(PeerType::External)),
            Some(AzureOrigin::Network) => (Some("network"), None),
            Some(other) => (Some(other.as_str()), None),
            None => (None, None),
        };
        let src = RouteSource {
            prefix,
            protocol,
            active: false,
            preference: None,
            local_pref: None,
            med: None,
            as_path: as_path.as_deref(),
            origin: None,
            peer_type,
            next_hops: Some(&hops),
            // The gateway's own prefixes name the gateway itself as source
            // peer; that says nothing about ExpressRoute or VPN.
            learned_from: if matches!(r.origin, Some(AzureOrigin::Network)) {
                None
            } else {
                r.source_peer.as_deref().and_then(|s| s.trim().parse().ok())
            },
        };
        b.push(&src).map_err(|e| e.to_string())?;
    }
    Ok((name.to_string(), b.build()))
}

fn changed_prefixes(diff: &TableDiff) -> Arc<[Prefix]> {
    let mut v: Vec<Prefix> = diff
        .added
        .iter()
        .chain(&diff.removed)
        .map(|c| c.prefix)
        .chain(diff.active_changed.iter().map(|c| c.prefix))
        .collect();
    v.sort_unstable();
    v.dedup();
    Arc::from(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::event::Mode;
    use crate::model::path::PathKind;

    const CE1_ADV: &str = include_str!("../../../../tests/fixtures/article/route/mx03-01-advertising-protocol-bgp-192.168.11.18.txt"
    );
    const FW_TABLE_ER: &str = include_str!("../../../../tests/fixtures/article/route/srx42-01-route-table-cust11-10.17.11.0-24.txt"
    );
    /// The same table once the private peering is down: only the VPN
    /// paths are left, and they are active.
    const FW_TABLE_VPN: &str = "\
user@SEA-SRX42-01> show route table Cust11.inet.0 10.17.11.0/24

Cust11.inet.0: 12 destinations, 15 routes (12 active, 0 holddown, 0 hidden)
+ = Active Route, - = Last Active, * = Both

10.17.11.0/25      *[BGP/170] 00:00:07, localpref 100, from 10.17.11.76
                      AS path: 65515 I, validation-state: unverified
                    > via st0.118
                    [BGP/170] 00:00:07, localpref 100, from 10.17.11.77
                      AS path: 65515 I, validation-state: unverified
                    > via st0.119
10.17.11.76/32     *[Static/5] 2d 21:12:26
                    > via st0.118
10.17.11.77/32     *[Static/5] 2d 00:42:06
                    > via st0.119
10.17.11.128/26    *[BGP/170] 00:00:07, localpref 100, from 10.17.11.76
                      AS path: 65515 I, validation-state: unverified
                    > via st0.118
                    [BGP/170] 00:00:07, localpref 100, from 10.17.11.77
                      AS path: 65515 I, validation-state: unverified
                    > via st0.119
";
    const BGP: &str = include_str!("../../../../tests/fixtures/article/sessions/bgp-summary-srx.txt");
    const IKE: &str = include_str!("../../../../tests/fixtures/article/sessions/ike-sa-srx.txt");
    const IPSEC: &str = include_str!("../../../../tests/fixtures/article/sessions/ipsec-sa-srx.txt");
    const BFD: &str = include_str!("../../../../tests/fixtures/article/sessions/bfd-session-ce1.txt");
    const TRACE_ER: &str = include_str!("../../../../tests/fixtures/article/traceroute/linux-er.txt");
    const TRACE_VPN: &str = include_str!("../../../../tests/fixtures/article/traceroute/linux-vpn.txt");
    const WIN_BEFORE: &str =
        include_str!("../../../../tests/fixtures/traceroute/windows/article-before-failover.txt");
    const WIN_AFTER: &str =
        include_str!("../../../../tests/fixtures/traceroute/windows/article-after-failover.txt");
    const LEARNED: &str =
        include_str!("../../../../tests/fixtures/arm/synthetic/gateway-learned-routes.json");
    const PEERS: &str =
        include_str!("../../../../tests/fixtures/arm/synthetic/gateway-bgp-peer-status.json");
    const CONNECTION: &str =
        include_str!("../../../../tests/fixtures/arm/synthetic/connection-get-connected.json");
    const PEERING_OFF: &str =
        include_str!("../../../../tests/fixtures/arm/synthetic/peering-get-private-disabled.json");

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("address")
    }

    fn p(s: &str) -> Prefix {
        s.parse().expect("prefix")
    }

    /// The runbook's `[paths]`, as the engine would hand them over.
    fn classifier() -> PathClassifier {
        PathClassifier {
            er_next_hops: [
                "192.168.11.0",
                "192.168.11.2",
                "192.168.11.18",
                "192.168.11.22",
                "10.17.11.69",
            ]
            .map(ip)
            .to_vec(),
            vpn_next_hops: ["10.17.11.76", "10.17.11.77", "192.168.11.88"]
                .map(ip)
                .to_vec(),
            er_interfaces: vec![],
            vpn_interfaces: vec!["st0.118".into(), "st0.119".into()],
            er_as_markers: vec![12076],
            vpn_neighbor_as: vec![65515],
            er_trace_hops: [
                "192.168.11.0",
                "192.168.11.2",
                "192.168.11.18",
                "192.168.11.22",
            ]
            .map(ip)
            .to_vec(),
            vpn_trace_hops: vec![],
        }
    }

    fn info(id: &str, phase: &str, kind: &str) -> StepInfo {
        StepInfo {
            id: id.into(),
            title: format!("title of {id}"),
            phase: phase.into(),
            kind: kind.into(),
        }
    }

    fn probe(step: &str, device: &str, query: &str, command: &str, raw: &str) -> Event {
        Event::Probe {
            step: step.into(),
            device: device.into(),
            query: query.into(),
            command: command.into(),
            raw: Some(raw.into()),
            error: None,
            parsed: None,
            elapsed_ms: 84,
            ids: None,
        }
    }

    const TABLE_CMD: &str = "show route table Cust11.inet.0 10.17.11.0/24";
    const TRACE_CMD: &str = "traceroute -n 10.17.11.132";

    fn manual(state: &str) -> ManualCommands {
        ManualCommands {
            az_cli: format!("az network express-route peering update --state {state}"),
            powershell: format!("Set-AzExpressRouteCircuit # state {state}"),
        }
    }

    fn start() -> Event {
        Event::SessionStart {
            session_id: "s-1".into(),
            mode: Mode::Drill,
            runbook_id: "er-vpn-failover".into(),
            runbook_title: "Validate and fail over".into(),
            runbook_sha256: "00".into(),
            operator: "netops".into(),
            ticket: Some("CHG-1".into()),
            scenario: Some("baseline".into()),
            steps: vec![
                info("ce1-advertises-onprem", "1", "check"),
                info("fw-prefers-er", "1", "check"),
                info("fw-tunnels", "2", "check"),
                info("azure-side", "2", "check"),
                info("trace-before", "3", "check"),
                info("confirm-failover", "3", "gate"),
                info("disable-peering", "3", "action"),
            ],
            version: "0.1.0".into(),
        }
    }

    /// Session start through the checks, up to the gate's prompt.
    fn checks() -> Vec<Event> {
        vec![
            start(),
            Event::StepStart {
                step: "ce1-advertises-onprem".into(),
            },
            probe(
                "ce1-advertises-onprem",
                "ce1",
                "bgp.advertised",
                "show route advertising-protocol bgp 192.168.11.18",
                CE1_ADV,
            ),
            Event::Expectation {
                step: "ce1-advertises-onprem".into(),
                clause: "prefix 10.1.11.0/25".into(),
                passed: true,
                evidence: "10.1.11.0/25 advertised, next hop Self".into(),
            },
            Event::StepEnd {
                step: "ce1-advertises-onprem".into(),
                verdict: Verdict::Passed,
                elapsed_ms: 90,
            },
            Event::StepStart {
                step: "fw-prefers-er".into(),
            },
            probe("fw-prefers-er", "fw", "route.table", TABLE_CMD, FW_TABLE_ER),
            Event::Expectation {
                step: "fw-prefers-er".into(),
                clause: "prefix 10.17.11.0/25 active_path expressroute".into(),
                passed: true,
                evidence: "active path via 192.168.11.0".into(),
            },
            Event::StepEnd {
                step: "fw-prefers-er".into(),
                verdict: Verdict::Passed,
                elapsed_ms: 100,
            },
            Event::StepStart {
                step: "fw-tunnels".into(),
            },
            probe("fw-tunnels", "fw", "bgp.summary", "show bgp summary", BGP),
            probe(
                "fw-tunnels",
                "fw",
                "ike.sas",
                "show security ike security-associations",
                IKE,
            ),
            probe(
                "fw-tunnels",
                "fw",
                "ipsec.sas",
                "show security ipsec security-associations",
                IPSEC,
            ),
            probe("fw-tunnels", "ce1", "bfd.sessions", "show bfd session", BFD),
            Event::Expectation {
                step: "fw-tunnels".into(),
                clause: "peer 10.17.11.77 state Established".into(),
                passed: false,
                evidence: "10.17.11.77 is Active".into(),
            },
            Event::StepEnd {
                step: "fw-tunnels".into(),
                verdict: Verdict::Failed,
                elapsed_ms: 300,
            },
            Event::StepStart {
                step: "azure-side".into(),
            },
            probe(
                "azure-side",
                "azure",
                "azure.learned_routes",
                "POST .../getLearnedRoutes",
                LEARNED,
            ),
            probe(
                "azure-side",
                "azure",
                "azure.bgp_peers",
                "POST .../getBgpPeerStatus",
                PEERS,
            ),
            probe(
                "azure-side",
                "azure",
                "azure.connection",
                "GET .../connections/cn-onprem-11",
                CONNECTION,
            ),
            Event::StepEnd {
                step: "azure-side".into(),
                verdict: Verdict::Passed,
                elapsed_ms: 400,
            },
            Event::StepStart {
                step: "trace-before".into(),
            },
            probe("trace-before", "server", "trace", TRACE_CMD, TRACE_ER),
            Event::StepEnd {
                step: "trace-before".into(),
                verdict: Verdict::Passed,
                elapsed_ms: 2000,
            },
            Event::StepStart {
                step: "confirm-failover".into(),
            },
            Event::GatePrompt {
                step: "confirm-failover".into(),
                prompt: "Disable AzurePrivatePeering?".into(),
                confirm_text: "er-circuit-11".into(),
                failed_checks: vec!["fw-tunnels".into()],
            },
        ]
    }

    /// The gate overridden, the change out, verified, and confirmed.
    fn failover() -> Vec<Event> {
        vec![
            Event::GateDecision {
                step: "confirm-failover".into(),
                decision: GateDecision::Override {
                    reason: "tunnel 2 known down, tunnel 1 carries".into(),
                    failed_checks: vec!["fw-tunnels".into()],
                },
            },
            Event::StepEnd {
                step: "confirm-failover".into(),
                verdict: Verdict::Overridden,
                elapsed_ms: 20_000,
            },
            Event::StepStart {
                step: "disable-peering".into(),
            },
            Event::ActionStarted {
                step: "disable-peering".into(),
                op: "azure.peering.disable".into(),
                target: "er-circuit-11/AzurePrivatePeering".into(),
                manual: manual("Disabled"),
            },
            Event::ActionAttempt {
                step: "disable-peering".into(),
                attempt: ArmAttempt {
                    method: "PUT".into(),
                    path: "/subscriptions/x/peerings/AzurePrivatePeering".into(),
                    status: 409,
                    error_code: Some("AnotherOperationInProgress".into()),
                    retry_after_ms: Some(2000),
                    ids: RequestIds::default(),
                },
            },
            Event::ActionDone {
                step: "disable-peering".into(),
                op: "azure.peering.disable".into(),
                ok: true,
                detail: "state Disabled".into(),
            },
            probe(
                "disable-peering",
                "azure",
                "azure.peering",
                "GET .../peerings/AzurePrivatePeering",
                PEERING_OFF,
            ),
            Event::DeadlineArmed {
                step: "disable-peering".into(),
                seconds: 600,
                expires_at: "2026-11-20T02:10:00.000Z".into(),
            },
            probe("disable-peering", "server", "trace", TRACE_CMD, TRACE_VPN),
            probe(
                "disable-peering",
                "fw",
                "route.table",
                TABLE_CMD,
                FW_TABLE_VPN,
            ),
            Event::VerifyResult {
                step: "disable-peering".into(),
                clause: "trace path vpn".into(),
                passed: true,
                evidence: "reached 10.17.11.132 with no ER hop".into(),
                elapsed_ms: 6100,
            },
            Event::Measurement {
                step: "disable-peering".into(),
                name: "failover".into(),
                millis: 6100,
            },
        ]
    }

    fn fold(events: &[Event]) -> SessionState {
        let mut s = SessionState::new(classifier());
        for e in events {
            s.apply(e);
        }
        s
    }

    #[test]
    fn checks_fill_steps_and_live_panes() {
        let s = fold(&checks());
        let statuses: Vec<StepStatus> = s.steps.iter().map(|x| x.status).collect();
        assert_eq!(
            statuses,
            [
                StepStatus::Passed,
                StepStatus::Passed,
                StepStatus::Failed,
                StepStatus::Passed,
                StepStatus::Passed,
                StepStatus::Running,
                StepStatus::Pending
            ]
        );
        assert_eq!(s.current, s.step_index("confirm-failover"));
        let ce1 = s.step("ce1-advertises-onprem").expect("step");
        let pr = ce1.probes.first().expect("probe");
        assert_eq!(
            pr.command,
            "show route advertising-protocol bgp 192.168.11.18"
        );
        assert_eq!(pr.raw.as_deref(), Some(CE1_ADV));
        assert_eq!(pr.parse_error, None);
        assert_eq!(ce1.expectations.len(), 1);
        assert_eq!(
            s.step("fw-tunnels").map(StepState::failed_expectations),
            Some(1)
        );

        // Tables: the CE's advertisement, the firewall's table, Azure's list.
        let names: Vec<(&str, &str)> = s
            .live
            .tables
            .iter()
            .map(|t| (t.device.as_str(), t.name.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("ce1", "Cust11.inet.0"),
                ("fw", "Cust11.inet.0"),
                ("azure", "gateway learned routes")
            ]
        );
        let fw = s.live.tables.get(1).expect("fw table");
        assert!(Arc::ptr_eq(&fw.baseline, &fw.latest));
        assert!(fw.diff.is_empty() && fw.changed.is_empty());
        let hub = fw.latest.active(&p("10.17.11.0/25")).expect("active");
        assert_eq!(
            s.classifier().classify_route(fw.latest.view(hub)),
            PathKind::ExpressRoute
        );
        let azure = s.live.tables.get(2).expect("azure table");
        let onprem = azure.latest.paths_for(&p("10.1.11.0/25"));
        let kinds: Vec<PathKind> = onprem
            .iter()
            .map(|r| s.classifier().classify_route(azure.latest.view(r)))
            .collect();
        assert!(kinds.contains(&PathKind::ExpressRoute) && kinds.contains(&PathKind::Vpn));

        // Sessions.
        let bgp = s
            .live
            .bgp
            .first()
            .and_then(|l| l.value.clone())
            .expect("bgp");
        assert_eq!(bgp.peers.len(), 4);
        assert_eq!(
            s.live
                .ike
                .first()
                .and_then(|l| l.value.as_ref())
                .map(|v| v.sas.len()),
            Some(2)
        );
        assert_eq!(
            s.live
                .ipsec
                .first()
                .and_then(|l| l.value.as_ref())
                .map(|v| v.sas.len()),
            Some(4)
        );
        assert_eq!(s.live.bfd.first().map(|l| l.device.as_str()), Some("ce1"));
        assert_eq!(
            s.live
                .azure_bgp
                .first()
                .and_then(|l| l.value.as_ref())
                .map(|v| v.value.len()),
            Some(2)
        );
        assert!(
            s.live
                .azure_connection
                .first()
                .is_some_and(|l| l.value.is_some())
        );

        // Trace and gate.
        let tr = s.live.traces.first().expect("trace");
        assert_eq!(tr.first_class.kind, PathKind::ExpressRoute);
        assert!(tr.change.is_none());
        let gate = s.open_gate().expect("gate open");
        assert!(gate.needs_reason());
        assert_eq!(gate.confirm_text, "er-circuit-11");
        assert!(s.guard().is_none());
    }

    #[test]
    fn guarded_window_phases_in_order() {
        let mut s = fold(&checks());
        let mut phases = Vec::new();
        for e in failover() {
            s.apply(&e);
            if let Some(g) = s.guard() {
                phases.push(g.phase());
            }
        }
        phases.dedup();
        assert_eq!(phases, [GuardPhase::Applying, GuardPhase::Armed]);
        assert!(s.open_gate().is_none());
        assert!(matches!(
            s.gates.first().and_then(|g| g.decision.clone()),
            Some(GateDecision::Override { .. })
        ));
        let g = s.armed_guard().expect("armed");
        assert_eq!(g.attempts.len(), 1);
        assert_eq!(g.verify_status(), VerifyStatus::Passed);
        let d = g.deadline.as_ref().expect("deadline");
        let now = OffsetDateTime::parse("2026-11-20T02:00:29Z", &Rfc3339).expect("time");
        assert_eq!(d.remaining(now), Some(std::time::Duration::from_secs(571)));
        let later = OffsetDateTime::parse("2026-11-20T03:00:00Z", &Rfc3339).expect("time");
        assert_eq!(d.remaining(later), Some(std::time::Duration::ZERO));

        // The firewall table moved to the VPN: both prefixes changed.
        let fw = s.live.tables.iter().find(|t| t.device == "fw").expect("fw");
        assert!(!Arc::ptr_eq(&fw.baseline, &fw.latest));
        assert!(fw.is_changed(&p("10.17.11.0/25")));
        assert!(fw.is_changed(&p("10.17.11.128/26")));
        assert!(!fw.is_changed(&p("10.17.11.76/32")));
        let ch = fw
            .diff
            .active_change(&p("10.17.11.0/25"))
            .expect("active change");
        assert_eq!(
            (ch.kind_before(), ch.kind_after()),
            (Some(PathKind::ExpressRoute), Some(PathKind::Vpn))
        );
        // The trace moved too, and the pair around the change is kept.
        let tr = s.live.traces.first().expect("trace");
        assert_eq!(tr.latest_class.kind, PathKind::Vpn);
        let change = tr.change.as_ref().expect("change");
        assert_eq!(change.before_class.kind, PathKind::ExpressRoute);
        assert!(tr.compare.lost_address("192.168.11.18"));
        assert_eq!(s.measurements.len(), 1);
        let peering = s
            .live
            .azure_peering
            .first()
            .and_then(|l| l.value.as_ref())
            .expect("peering");
        assert_eq!(
            peering
                .value
                .first()
                .and_then(|p| p.state())
                .map(|s| s.as_str()),
            Some("Disabled")
        );
    }

    #[test]
    fn confirm_then_end() {
        let mut events = checks();
        events.extend(failover());
        events.push(Event::ConfirmHealthy {
            step: "disable-peering".into(),
        });
        events.push(Event::StepEnd {
            step: "disable-peering".into(),
            verdict: Verdict::Passed,
            elapsed_ms: 30_000,
        });
        events.push(Event::SessionEnd {
            exit_code: 0,
            outcome: "completed".into(),
        });
        let s = fold(&events);
        assert_eq!(
            s.guard().map(GuardState::phase),
            Some(GuardPhase::Confirmed)
        );
        assert!(s.armed_guard().is_none());
        assert_eq!(s.end.as_ref().map(|e| e.exit_code), Some(0));
        assert!(s.current.is_none());
        assert_eq!(s.applied, events.len() as u64);
    }

    #[test]
    fn failed_verification_rolls_back() {
        let mut events = checks();
        events.extend(failover());
        events.push(Event::VerifyResult {
            step: "disable-peering".into(),
            clause: "route table active_path vpn".into(),
            passed: false,
            evidence: "10.17.11.0/25 still via 192.168.11.0".into(),
            elapsed_ms: 60_000,
        });
        let mut s = fold(&events);
        assert_eq!(
            s.guard().map(GuardState::verify_status),
            Some(VerifyStatus::Failed)
        );
        s.apply(&Event::RollbackStarted {
            step: "disable-peering".into(),
            reason: RollbackReason::VerificationFailed,
            op: "azure.peering.enable".into(),
        });
        assert_eq!(
            s.guard().map(GuardState::phase),
            Some(GuardPhase::RollingBack)
        );
        assert!(s.armed_guard().is_none());
        s.apply(&Event::ActionAttempt {
            step: "disable-peering".into(),
            attempt: ArmAttempt {
                method: "PUT".into(),
                path: "/p".into(),
                status: 429,
                error_code: None,
                retry_after_ms: Some(1000),
                ids: RequestIds::default(),
            },
        });
        let g = s.guard().expect("guard");
        assert_eq!(g.attempts.len(), 1, "the change's own attempts stay apart");
        assert_eq!(g.rollback.as_ref().map(|r| r.attempts.len()), Some(1));
        s.apply(&Event::RollbackDone {
            step: "disable-peering".into(),
            detail: "state Enabled".into(),
        });
        assert_eq!(
            s.guard().map(GuardState::phase),
            Some(GuardPhase::RolledBack)
        );
    }

    #[test]
    fn rollback_failure_keeps_the_manual_commands() {
        let mut events = checks();
        events.extend(failover());
        events.push(Event::RollbackStarted {
            step: "disable-peering".into(),
            reason: RollbackReason::DeadlinePassed,
            op: "azure.peering.enable".into(),
        });
        events.push(Event::RollbackFailed {
            step: "disable-peering".into(),
            error: "throttled: gave up after 12 attempts".into(),
            manual: manual("Enabled"),
        });
        events.push(Event::SessionEnd {
            exit_code: 4,
            outcome: "rollback failed".into(),
        });
        let s = fold(&events);
        let g = s.guard().expect("guard");
        assert_eq!(g.phase(), GuardPhase::RollbackFailed);
        let Some(RollbackState {
            outcome: RollbackOutcome::Failed { manual: m, .. },
            reason,
            ..
        }) = &g.rollback
        else {
            panic!("{:?}", g.rollback);
        };
        assert_eq!(*reason, RollbackReason::DeadlinePassed);
        assert_eq!(m.az_cli, manual("Enabled").az_cli);
        // The step under way when the session ended did not pass.
        assert_eq!(
            s.step("disable-peering").map(|x| x.status),
            Some(StepStatus::Failed)
        );
    }

    /// What the panes would show, as text, to compare two folds.
    fn fingerprint(s: &SessionState) -> String {
        let mut out = String::new();
        for st in &s.steps {
            out.push_str(&format!(
                "{} {:?} {}\n",
                st.info.id,
                st.status,
                st.probes.len()
            ));
        }
        for t in &s.live.tables {
            out.push_str(&format!(
                "{} {} {} {} {:?}\n",
                t.device,
                t.baseline.len(),
                t.latest.len(),
                t.updates,
                t.changed
            ));
        }
        for t in &s.live.traces {
            out.push_str(&format!(
                "{:?} {:?} {:?}\n",
                t.first_class, t.latest_class, t.compare
            ));
        }
        out.push_str(&format!("{:?}\n{:?}\n", s.gates, s.guards));
        out
    }

    #[test]
    fn replay_from_json_rebuilds_the_same_panes() {
        let mut events = checks();
        events.extend(failover());
        let live = fold(&events);
        let replayed: Vec<Event> = events
            .iter()
            .map(|e| {
                let line = serde_json::to_string(e).expect("serializes");
                serde_json::from_str(&line).expect("reads back")
            })
            .collect();
        let replay = fold(&replayed);
        assert_eq!(fingerprint(&live), fingerprint(&replay));
    }

    #[test]
    fn an_unchanged_capture_is_not_parsed_again() {
        let mut s = fold(&checks());
        let before = s
            .live
            .tables
            .iter()
            .find(|t| t.device == "fw")
            .map(|t| Arc::clone(&t.latest));
        s.apply(&probe(
            "monitor",
            "fw",
            "route.table",
            TABLE_CMD,
            FW_TABLE_ER,
        ));
        let fw = s.live.tables.iter().find(|t| t.device == "fw").expect("fw");
        assert!(before.is_some_and(|b| Arc::ptr_eq(&b, &fw.latest)));
        assert_eq!(fw.updates, 2);
    }

    #[test]
    fn repeated_command_in_a_step_replaces_its_record() {
        let mut s = fold(&checks());
        s.apply(&probe(
            "trace-before",
            "server",
            "trace",
            TRACE_CMD,
            WIN_BEFORE,
        ));
        let st = s.step("trace-before").expect("step");
        assert_eq!(st.probes.len(), 1);
        assert_eq!(st.probes.first().map(|p| p.runs), Some(2));
        assert_eq!(
            st.probes.first().and_then(|p| p.raw.as_deref()),
            Some(WIN_BEFORE)
        );
        // Windows tracert reads the same way: still ExpressRoute, no change.
        s.apply(&probe(
            "trace-before",
            "server",
            "trace",
            TRACE_CMD,
            WIN_AFTER,
        ));
        let tr = s.live.traces.first().expect("trace");
        assert_eq!(tr.latest_class.kind, PathKind::Vpn);
        assert_eq!(tr.kind_changes, 1);
        assert_eq!(tr.updates, 3);
    }

    #[test]
    fn failures_are_kept_and_the_last_good_value_stays() {
        let mut s = fold(&checks());
        s.apply(&Event::Probe {
            step: "monitor".into(),
            device: "fw".into(),
            query: "route.table".into(),
            command: TABLE_CMD.into(),
            raw: None,
            error: Some("fw: connection lost: reset".into()),
            parsed: None,
            elapsed_ms: 5000,
            ids: None,
        });
        let fw = s.live.tables.iter().find(|t| t.device == "fw").expect("fw");
        assert_eq!(fw.error.as_deref(), Some("fw: connection lost: reset"));
        assert_eq!(fw.latest.len(), fw.baseline.len());
        // The monitor's polls are kept apart from the runbook's steps.
        assert!(s.step("monitor").is_none());
        let mon = s.monitor.first().expect("monitor poll");
        assert_eq!(mon.error.as_deref(), Some("fw: connection lost: reset"));

        s.apply(&probe(
            "monitor",
            "fw",
            "bgp.summary",
            "show bgp summary",
            "error: syntax error, expecting <command>",
        ));
        let bgp = s.live.bgp.first().expect("bgp");
        assert!(bgp.value.is_some() && bgp.is_stale());
        let rec = s.monitor.last().expect("probe");
        assert!(rec.parse_error.is_some());

        s.apply(&probe(
            "monitor",
            "azure",
            "azure.learned_routes",
            "POST .../getLearnedRoutes",
            "{\"error\": {\"code\": \"AuthorizationFailed\", \"message\": \"no\"}}",
        ));
        let az = s
            .live
            .tables
            .iter()
            .find(|t| t.device == "azure")
            .expect("azure");
        assert!(
            az.error
                .as_deref()
                .is_some_and(|e| e.contains("AuthorizationFailed")),
            "{:?}",
            az.error
        );
    }

    #[test]
    fn a_decision_without_prompt_is_kept() {
        let mut s = SessionState::new(classifier());
        s.apply(&Event::GateDecision {
            step: "g".into(),
            decision: GateDecision::Declined,
        });
        assert_eq!(s.gates.len(), 1);
        assert!(s.open_gate().is_none());
        s.apply(&Event::DeadlineArmed {
            step: "a".into(),
            seconds: 10,
            expires_at: "not a time".into(),
        });
        let d = s
            .guard()
            .and_then(|g| g.deadline.clone())
            .expect("deadline");
        assert_eq!(d.expires_at, None);
        assert_eq!(d.remaining(OffsetDateTime::UNIX_EPOCH), None);
    }
}
