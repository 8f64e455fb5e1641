//! Folding one record after another into the report being assembled:
//! each fact lands on its step, gate or guarded change, with its time and
//! `seq`, and the moments worth drawing become timeline markers.

use std::collections::HashMap;

use time::OffsetDateTime;

mod stranded;
mod traffic;

use super::convert::{attempt, level_str, manual, mode_str, reason_str, verdict_str, write};
use super::millis_between;
use crate::model::*;
use cutover_core::model::duration::human;
use cutover_core::session::Event;
use cutover_core::session::event::RollbackResult;
use cutover_journal::Record;
use cutover_journal::line::format_ts;

/// An action as it is being assembled, with what the derived timing needs.
pub(super) struct ActionAcc {
    pub(super) action: Action,
    pub(super) done_ts: Option<(OffsetDateTime, u64)>,
    pub(super) first_pass: Option<(OffsetDateTime, u64)>,
}

#[derive(Default)]
pub(super) struct Acc {
    pub(super) session: Option<Session>,
    pub(super) end: Option<(OffsetDateTime, u8, String)>,
    pub(super) steps: Vec<Step>,
    pub(super) step_index: HashMap<String, usize>,
    pub(super) gates: Vec<Gate>,
    pub(super) predictions: Vec<Prediction>,
    pub(super) actions: Vec<ActionAcc>,
    pub(super) writes: Vec<ArmWrite>,
    pub(super) measured: Vec<Timing>,
    pub(super) notes: Vec<Note>,
    pub(super) timeline: Vec<Marker>,
    pub(super) drill: Option<cutover_core::drill::DrillScore>,
    start: Option<OffsetDateTime>,
}

impl Acc {
    /// Markers are placed relative to `start`, the first record's time.
    pub(super) fn starting_at(start: Option<OffsetDateTime>) -> Self {
        Self {
            start,
            ..Self::default()
        }
    }

    /// The latest action of `step`, created when a record about it comes
    /// without its `action_started` (a cut journal).
    fn action(&mut self, r: &Record, step: &str) -> &mut ActionAcc {
        let i = match self.actions.iter().rposition(|a| a.action.step == step) {
            Some(i) => i,
            None => {
                self.actions.push(ActionAcc {
                    action: Action {
                        step: step.to_string(),
                        op: String::new(),
                        target: String::new(),
                        started_at: format_ts(r.ts),
                        seq: r.seq,
                        done_at: None,
                        ok: None,
                        detail: None,
                        attempts: Vec::new(),
                        manual: Manual {
                            az_cli: String::new(),
                            powershell: String::new(),
                        },
                        deadline: None,
                        verifications: Vec::new(),
                        confirmed_at: None,
                        rollback: None,
                        cancelled: None,
                        result: String::new(),
                    },
                    done_ts: None,
                    first_pass: None,
                });
                self.actions.len() - 1
            }
        };
        &mut self.actions[i]
    }

    fn rollback(&mut self, r: &Record, step: &str) -> &mut Rollback {
        let a = self.action(r, step);
        a.action.rollback.get_or_insert_with(|| Rollback {
            reason: String::new(),
            op: String::new(),
            started_at: format_ts(r.ts),
            ended_at: None,
            result: "running".into(),
            detail: None,
            error: None,
            attempts: Vec::new(),
            manual: None,
        })
    }

    pub(super) fn mark(
        &mut self,
        r: &Record,
        kind: &str,
        step: Option<&str>,
        label: String,
        ok: Option<bool>,
    ) {
        let offset_ms = self.start.map_or(0, |s| millis_between(s, r.ts));
        // Merged from the detached guard's sidecar: its `seq` is that
        // file's, and the reader of the report must know who wrote it.
        let label = match r.source {
            cutover_journal::RecordSource::GuardSidecar => {
                format!("{label} (detached guard's sidecar journal, seq {})", r.seq)
            }
            cutover_journal::RecordSource::ConsoleSidecar => {
                format!("{label} (console's sidecar journal, seq {})", r.seq)
            }
            cutover_journal::RecordSource::Journal => label,
        };
        self.timeline.push(Marker {
            seq: r.seq,
            at: format_ts(r.ts),
            offset_ms,
            kind: kind.to_string(),
            step: step.map(str::to_string),
            label,
            ok,
        });
    }

    pub(super) fn apply(&mut self, r: &Record, e: &Event) {
        let at = format_ts(r.ts);
        match e {
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
                self.session = Some(Session {
                    session_id: Some(session_id.clone()),
                    operator: Some(operator.clone()),
                    ticket: ticket.clone(),
                    key_fingerprint: key_fingerprint.clone(),
                    mode: Some(mode_str(*mode).to_string()),
                    scenario: scenario.clone(),
                    runbook: Some(RunbookRef {
                        id: runbook_id.clone(),
                        title: runbook_title.clone(),
                        sha256: runbook_sha256.clone(),
                    }),
                    version: Some(version.clone()),
                    started_at: None,
                    ended_at: None,
                    duration_ms: None,
                });
                for info in steps {
                    let s = self.step(&info.id);
                    s.title.clone_from(&info.title);
                    s.phase.clone_from(&info.phase);
                    s.kind.clone_from(&info.kind);
                }
            }
            Event::StepStart { step } => {
                let s = self.step(step);
                s.started_at = Some(at);
                s.verdict = "unfinished".into();
            }
            Event::Probe {
                step,
                device,
                query,
                command,
                error,
                elapsed_ms,
                ids,
                ..
            } => {
                let request_id = ids.as_ref().and_then(|i| i.request_id.clone());
                let run = CommandRun {
                    device: device.clone(),
                    query: query.clone(),
                    command: command.clone(),
                    runs: 1,
                    elapsed_ms: *elapsed_ms,
                    error: error.clone(),
                    request_id,
                    seq: r.seq,
                };
                self.command_run(step, run);
            }
            // The answer is the last `probe`'s, already in the report.
            Event::ProbeRepeated { .. } => {}
            Event::Expectation {
                step,
                clause,
                passed,
                evidence,
            } => self.expectation(r, step, clause, *passed, evidence),
            Event::GatePrompt {
                step,
                prompt,
                confirm_text,
                failed_checks,
                hazards,
            } => self.gate_prompt(r, step, prompt, confirm_text, failed_checks, hazards),
            Event::GateDecision { step, decision } => self.gate_decision(r, step, decision),
            Event::Prediction { step, prediction } => self.prediction(r, step, prediction),
            Event::PredictionCheck {
                step,
                gate,
                sources,
                checks,
            } => self.prediction_check(r, step, gate, sources, checks),
            Event::ActionStarted {
                step,
                op,
                target,
                manual: m,
            } => {
                self.step(step);
                self.actions.push(ActionAcc {
                    action: Action {
                        step: step.clone(),
                        op: op.clone(),
                        target: target.clone(),
                        started_at: at,
                        seq: r.seq,
                        done_at: None,
                        ok: None,
                        detail: None,
                        attempts: Vec::new(),
                        manual: manual(m),
                        deadline: None,
                        verifications: Vec::new(),
                        confirmed_at: None,
                        rollback: None,
                        cancelled: None,
                        result: String::new(),
                    },
                    done_ts: None,
                    first_pass: None,
                });
                self.mark(r, "action", Some(step), format!("{op} {target}"), None);
            }
            Event::ActionAttempt { step, attempt: a } => {
                let att = attempt(r, a);
                let acc = self.action(r, step);
                let during = if acc.action.rollback.is_some() {
                    "rollback"
                } else {
                    "change"
                };
                if let Some(w) = write(r, step, during, a) {
                    self.writes.push(w);
                }
                let acc = self.action(r, step);
                match &mut acc.action.rollback {
                    Some(rb) => rb.attempts.push(att),
                    None => acc.action.attempts.push(att),
                }
            }
            Event::ActionDone {
                step,
                op,
                ok,
                detail,
            } => {
                let acc = self.action(r, step);
                acc.action.done_at = Some(at);
                acc.action.ok = Some(*ok);
                acc.action.detail = Some(detail.clone());
                if *ok {
                    acc.done_ts = Some((r.ts, r.seq));
                }
                let label = format!("{op} {}", if *ok { "applied" } else { "FAILED" });
                self.mark(r, "action_done", Some(step), label, Some(*ok));
            }
            Event::ActionCancelled {
                step,
                op,
                reason,
                detail,
            } => {
                let acc = self.action(r, step);
                acc.action.cancelled = Some(Cancelled {
                    at,
                    seq: r.seq,
                    reason: reason_str(*reason).to_string(),
                    detail: detail.clone(),
                });
                let label = format!(
                    "{op} CANCELLED before any write was accepted ({})",
                    reason_str(*reason)
                );
                self.mark(r, "action_cancelled", Some(step), label, Some(false));
            }
            Event::DeadlineArmed {
                step,
                seconds,
                expires_at,
            } => {
                let acc = self.action(r, step);
                acc.action.deadline = Some(Deadline {
                    seconds: *seconds,
                    armed_at: at,
                    expires_at: expires_at.clone(),
                });
                let label = format!(
                    "deadline armed: {}, until {expires_at}",
                    human(seconds.saturating_mul(1000))
                );
                self.mark(r, "deadline", Some(step), label, None);
            }
            Event::VerifyResult {
                step,
                clause,
                passed,
                evidence,
                elapsed_ms,
            } => {
                let acc = self.action(r, step);
                acc.action.verifications.push(Verification {
                    at,
                    seq: r.seq,
                    clause: clause.clone(),
                    passed: *passed,
                    evidence: evidence.clone(),
                    elapsed_ms: *elapsed_ms,
                });
                if *passed && acc.first_pass.is_none() && acc.done_ts.is_some() {
                    acc.first_pass = Some((r.ts, r.seq));
                }
                let label = format!("verify {}: {clause}", if *passed { "PASS" } else { "FAIL" });
                self.mark(r, "verify", Some(step), label, Some(*passed));
            }
            Event::VerifyStarted { .. } | Event::TrafficSeen { .. } | Event::TrafficLost { .. } => {
                self.traffic(r, e);
            }
            // The verifications are already on the timeline.
            Event::Verified { .. } => {}
            Event::ConfirmHealthy { step } => {
                self.action(r, step).action.confirmed_at = Some(at);
                self.mark(
                    r,
                    "confirm",
                    Some(step),
                    "confirmed healthy".into(),
                    Some(true),
                );
            }
            Event::RollbackStarted { step, reason, op } => {
                let rb = self.rollback(r, step);
                rb.reason = reason_str(*reason).to_string();
                rb.op.clone_from(op);
                rb.started_at = at;
                let label = format!("rollback ({}): {op}", reason_str(*reason));
                self.mark(r, "rollback", Some(step), label, None);
            }
            Event::RollbackSettling {
                step,
                seconds,
                until,
            } => {
                let label = format!(
                    "settling: watching the peering for {} (until {until})",
                    human(seconds.saturating_mul(1000))
                );
                self.mark(r, "rollback_settling", Some(step), label, None);
            }
            Event::RollbackDone {
                step,
                detail,
                outcome,
                reasserts,
            } => {
                let rb = self.rollback(r, step);
                rb.result = "done".into();
                rb.ended_at = Some(at);
                let mut text = match outcome {
                    Some(o) => format!("{}: {detail}", o.as_str()),
                    None => detail.clone(),
                };
                if *reasserts > 0 {
                    text.push_str(&format!(
                        " ({reasserts} re-assert(s) after the peering flipped)"
                    ));
                }
                rb.detail = Some(text);
                let label = match outcome {
                    Some(RollbackResult::AlreadyEnabled) => "rollback done: already Enabled",
                    Some(RollbackResult::AlreadyDisabled) => "rollback done: already Disabled",
                    Some(RollbackResult::NotApplied) => {
                        "rollback done: the change had not gone out"
                    }
                    _ => "rollback done",
                };
                self.mark(r, "rollback_done", Some(step), label.into(), Some(true));
            }
            Event::RollbackFailed {
                step,
                error,
                manual: m,
            } => {
                let rb = self.rollback(r, step);
                rb.result = "failed".into();
                rb.ended_at = Some(at);
                rb.error = Some(error.clone());
                rb.manual = Some(manual(m));
                let label = format!("ROLLBACK FAILED: {error}");
                self.mark(r, "rollback_failed", Some(step), label, Some(false));
            }
            Event::RollbackEscalated {
                step,
                attempts,
                error,
                next_attempt_at,
                gives_up_at,
                ..
            } => {
                let next = next_attempt_at
                    .as_deref()
                    .map_or_else(String::new, |t| format!(", next attempt {t}"));
                let label = format!(
                    "ROLLBACK ESCALATED: {attempts} failed attempt(s), last: {error}{next}; retrying until {gives_up_at}"
                );
                self.mark(r, "rollback_escalated", Some(step), label, Some(false));
            }
            Event::StepEnd {
                step,
                verdict,
                elapsed_ms,
            } => {
                let s = self.step(step);
                s.ended_at = Some(at);
                s.duration_ms = Some(*elapsed_ms);
                s.verdict = verdict_str(*verdict).to_string();
            }
            Event::Note { step, level, text } => self.notes.push(Note {
                at,
                seq: r.seq,
                step: step.clone(),
                level: level_str(*level).to_string(),
                text: text.clone(),
            }),
            Event::Measurement {
                step,
                name,
                millis,
                uncertainty_ms,
                from,
                to,
            } => {
                // When the next test is due is planned, not measured: it
                // is filed as a date, apart from the measurements.
                let planned = name == cutover_core::session::state::PLANNED_NEXT_TEST;
                let due = planned.then(|| {
                    let ms = i64::try_from(*millis).unwrap_or(i64::MAX);
                    format_ts(r.ts.saturating_add(time::Duration::milliseconds(ms)))
                });
                self.measured.push(Timing {
                    name: name.clone(),
                    step: step.clone(),
                    millis: *millis,
                    uncertainty_ms: *uncertainty_ms,
                    from: from.clone(),
                    to: to.clone(),
                    source: if planned { "planned" } else { "measured" }.into(),
                    due,
                    seqs: vec![r.seq],
                });
            }
            Event::PeeringPreflight { .. }
            | Event::GuardLost { .. }
            | Event::GuardRearmed { .. } => {
                self.stranded(r, e);
            }
            Event::FailoverTestStatus { step, test } => {
                let (label, ok) = (test.summary(), test.successful);
                // How the test ended is said in the notes too; the polls
                // while it ran are on the timeline only.
                if !test.is_running() {
                    self.notes.push(Note {
                        at: at.clone(),
                        seq: r.seq,
                        step: Some(step.clone()),
                        level: "info".to_string(),
                        text: label.clone(),
                    });
                }
                self.mark(r, "failover_test_status", Some(step.as_str()), label, ok);
            }
            Event::DrillMark {
                check, mark, truth, ..
            } => {
                let right = mark.matches(*truth);
                let label = format!(
                    "trainee marked {check} {mark} (it {}): {}",
                    verdict_str(*truth),
                    if right { "right" } else { "wrong" }
                );
                self.mark(r, "drill_mark", Some(check), label, Some(right));
            }
            Event::DrillHint { step, text } => {
                let label = format!("hint used: {text}");
                self.mark(r, "drill_hint", Some(step), label, None);
            }
            Event::DrillScore(s) => {
                let label = format!("drill scored {}/100 ({})", s.score, s.scenario);
                let clean = s.missed().next().is_none();
                self.mark(r, "drill_score", None, label, Some(clean));
                self.drill = Some(s.clone());
            }
            // Checked against the bytes, in `Integrity::signature`.
            Event::ChainSigned { .. } => {}
            Event::LabTimeScale {
                factor,
                hold_time_ms,
                arm_operation_ms,
            } => {
                let label = cutover_core::session::time_scale::text(
                    *factor,
                    *hold_time_ms,
                    *arm_operation_ms,
                );
                self.mark(r, "lab_time_scale", None, label, None);
            }
            Event::SessionEnd { exit_code, outcome } => {
                self.end = Some((r.ts, *exit_code, outcome.clone()));
                let label = format!("session end: exit {exit_code} ({outcome})");
                self.mark(r, "session_end", None, label, Some(*exit_code == 0));
            }
        }
    }
}
