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
//!
//! This file folds the session and its steps; `guard` holds the guarded
//! change, `live` and `route_table` the live panes, `step` what a step, a
//! gate or a note looks like to a reader.

use std::sync::Arc;

use time::OffsetDateTime;

use crate::model::path::PathClassifier;
use crate::session::event::MONITOR_STEP;
use crate::session::event::{Event, GateDecision, StepInfo};

mod answers;
mod guard;
mod live;
mod prediction;
mod route_table;
mod step;
mod stranded;
#[cfg(test)]
mod tests;

pub use answers::{DrillAnswers, HintRecord, MarkRecord};
pub use guard::{
    ActionOutcome, Cancellation, Deadline, Escalation, GuardPhase, GuardState, RollbackOutcome,
    RollbackState, VerifyRecord, VerifyStatus,
};
pub use guard::{Traffic, VerifyWindow};
pub use live::{Age, Latest, Live, TableView, TraceChange, TraceView};
pub use prediction::{CheckRecord, PredictionRecord};
pub use step::{
    ExpectationRecord, GateState, Measurement, NoteRecord, PLANNED_NEXT_TEST, ProbeRecord,
    SessionEnd, SessionInfo, StepState, StepStatus, measured_text,
};
pub use stranded::{GuardWatch, Preflight};

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
    /// Every prediction made before a gate, with its check after the change.
    pub predictions: Vec<PredictionRecord>,
    pub measurements: Vec<Measurement>,
    pub notes: Vec<NoteRecord>,
    /// The peering as read before the procedure started (`run`, `drill`).
    pub preflight: Option<Preflight>,
    /// A drill whose lab compresses its long waits (`lab_time_scale`): the
    /// factor, shown beside the scenario.
    pub lab_time_scale: Option<f64>,
    pub end: Option<SessionEnd>,
    pub live: Live,
    /// The live monitor's latest poll of each command (step `monitor`).
    pub monitor: Vec<ProbeRecord>,
    /// A drill's blind marks and hints.
    pub answers: DrillAnswers,
    /// Events applied so far.
    pub applied: u64,
    /// When the event being applied happened, as the reader knows it (the
    /// console's clock as it arrived, a replay's journal timestamp);
    /// `None` when nobody said. Live panes keep it to show their age.
    pub clock: Option<OffsetDateTime>,
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
            predictions: Vec::new(),
            measurements: Vec::new(),
            notes: Vec::new(),
            preflight: None,
            lab_time_scale: None,
            end: None,
            live: Live::default(),
            monitor: Vec::new(),
            answers: DrillAnswers::default(),
            applied: 0,
            clock: None,
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

    /// The pre-flight read that stopped the session before it started.
    pub fn refusal(&self) -> Option<&Preflight> {
        self.preflight.as_ref().filter(|p| !p.ok)
    }

    pub fn is_ended(&self) -> bool {
        self.end.is_some()
    }

    /// Folds in one event that happened at `at` (what the live panes'
    /// ages count from).
    pub fn apply_at(&mut self, event: &Event, at: OffsetDateTime) {
        self.clock = Some(at);
        self.apply(event);
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
                key_fingerprint,
                scenario,
                steps,
                version,
            } => {
                self.session = Some(SessionInfo {
                    key_fingerprint: key_fingerprint.clone(),
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
                let warnings = event
                    .probe_warnings()
                    .into_iter()
                    .map(str::to_string)
                    .collect();
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
                    warnings,
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
            Event::ProbeRepeated {
                step,
                device,
                query,
                command,
                elapsed_ms,
            } => {
                self.live_repeated(device, query, command);
                let list = if step == MONITOR_STEP && self.step_index(step).is_none() {
                    &mut self.monitor
                } else {
                    let i = self.step_mut_index(step);
                    match self.steps.get_mut(i) {
                        Some(s) => &mut s.probes,
                        None => return,
                    }
                };
                if let Some(p) = list
                    .iter_mut()
                    .find(|p| p.device == *device && p.command == *command)
                {
                    p.runs = p.runs.saturating_add(1);
                    p.elapsed_ms = *elapsed_ms;
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
                hazards,
            } => {
                self.step_mut_index(step);
                self.gates.push(GateState {
                    step: step.clone(),
                    prompt: prompt.clone(),
                    confirm_text: confirm_text.clone(),
                    failed_checks: failed_checks.clone(),
                    hazards: hazards.clone(),
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
                        hazards: match decision {
                            GateDecision::Override { hazards, .. } => hazards.clone(),
                            _ => Vec::new(),
                        },
                        decision: Some(decision.clone()),
                    }),
                }
            }
            Event::Prediction { step, prediction } => self.apply_prediction(step, prediction),
            Event::PredictionCheck {
                step,
                gate,
                sources,
                checks,
            } => self.apply_prediction_check(step, gate, sources, checks),
            Event::ActionStarted {
                step,
                op,
                target,
                manual,
            } => {
                self.step_mut_index(step);
                self.guards
                    .push(GuardState::new(step, op, target, manual.clone()));
            }
            Event::ActionAttempt { step, attempt } => self.guard_for(step).record_attempt(attempt),
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
            Event::ActionCancelled {
                step,
                op: _,
                reason,
                detail,
            } => {
                self.guard_for(step).cancelled = Some(Cancellation {
                    reason: *reason,
                    detail: detail.clone(),
                });
            }
            Event::DeadlineArmed {
                step,
                seconds,
                expires_at,
            } => {
                self.guard_for(step).deadline = Some(Deadline::armed(*seconds, expires_at));
            }
            Event::VerifyResult {
                step,
                clause,
                passed,
                evidence,
                elapsed_ms,
            } => {
                self.guard_for(step).record_verification(VerifyRecord {
                    clause: clause.clone(),
                    passed: *passed,
                    evidence: evidence.clone(),
                    elapsed_ms: *elapsed_ms,
                });
            }
            Event::VerifyStarted { step, .. }
            | Event::TrafficSeen { step, .. }
            | Event::TrafficLost { step, .. } => self.guard_for(step).record_traffic(event),
            Event::Verified { step } => self.guard_for(step).verified = true,
            Event::ConfirmHealthy { step } => {
                self.guard_for(step).confirmed = true;
            }
            Event::RollbackStarted { step, reason, op } => {
                self.guard_for(step).rollback = Some(RollbackState::started(*reason, op));
            }
            Event::RollbackSettling {
                step,
                seconds,
                until,
            } => self.rollback_for(step).settle(*seconds, until),
            Event::RollbackDone {
                step,
                detail,
                outcome,
                reasserts,
            } => {
                let rb = self.rollback_for(step);
                rb.outcome = RollbackOutcome::Done {
                    detail: detail.clone(),
                };
                rb.result = *outcome;
                rb.reasserts = *reasserts;
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
            Event::RollbackEscalated {
                step,
                attempts,
                error,
                next_attempt_at,
                gives_up_at,
                manual,
            } => self.rollback_for(step).escalate(
                *attempts,
                error,
                next_attempt_at.as_deref(),
                gives_up_at,
                manual,
            ),
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
            Event::Measurement {
                step,
                name,
                millis,
                uncertainty_ms,
                from,
                to,
            } => self.measurements.push(Measurement {
                step: step.clone(),
                name: name.clone(),
                millis: *millis,
                uncertainty_ms: *uncertainty_ms,
                from: from.clone(),
                to: to.clone(),
            }),
            Event::PeeringPreflight {
                target,
                state,
                provisioning_state,
                ok,
                detail,
                remedy,
                ids: _,
            } => {
                self.preflight = Some(Preflight {
                    target: target.clone(),
                    state: state.clone(),
                    provisioning_state: provisioning_state.clone(),
                    ok: *ok,
                    detail: detail.clone(),
                    remedy: remedy.clone(),
                });
            }
            Event::GuardLost { step, detail } => self.guard_for(step).watch.lost(detail),
            Event::GuardRearmed { step, ok, detail } => {
                self.guard_for(step).watch.rearmed(*ok, detail);
            }
            Event::FailoverTestStatus { step, test } => {
                self.guard_for(step).failover_test = Some(test.clone());
            }
            Event::DrillMark { .. } | Event::DrillHint { .. } => self.answers.apply(event),
            Event::DrillScore(s) => self.answers.score = Some(s.clone()),
            // Evidence for `cutover verify`, not part of what happened.
            Event::ChainSigned { .. } => {}
            Event::LabTimeScale { factor, .. } => self.lab_time_scale = Some(*factor),
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
}
