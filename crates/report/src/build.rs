//! Building the report from a recording: one pass over the records in
//! journal order, keeping each fact with its time and `seq`.

use std::collections::HashMap;

use time::OffsetDateTime;

use super::changes;
use super::model::*;
use cutover_core::session::Event;
use cutover_core::session::event::{GateDecision, Mode, NoteLevel, RollbackReason, Verdict};
use cutover_journal::line::format_ts;
use cutover_journal::{Record, Status};
use cutover_core::azure_call::{ArmAttempt, ManualCommands};
use cutover_journal::recording::{Recording, integrity_summary};

/// What an exit status of CONTRACT.md means.
pub fn exit_meaning(code: Option<u8>) -> String {
    match code {
        Some(0) => "done as planned".into(),
        Some(1) => "a check failed, or the operator declined: nothing was changed".into(),
        Some(2) => "bad input: the session could not start".into(),
        Some(3) => "the guarded change was rolled back, and the rollback succeeded".into(),
        Some(4) => {
            "a rollback failed or the state of the world is unknown: the operator must act".into()
        }
        Some(n) => format!("exit status {n}"),
        None => "unknown: the session was not closed".into(),
    }
}

fn millis_between(a: OffsetDateTime, b: OffsetDateTime) -> u64 {
    let ms = (b - a).whole_milliseconds();
    u64::try_from(ms.max(0)).unwrap_or(u64::MAX)
}

fn mode_str(m: Mode) -> &'static str {
    match m {
        Mode::Run => "run",
        Mode::Validate => "validate",
        Mode::Drill => "drill",
    }
}

fn verdict_str(v: Verdict) -> &'static str {
    match v {
        Verdict::Passed => "passed",
        Verdict::Failed => "failed",
        Verdict::Overridden => "overridden",
        Verdict::Skipped => "skipped",
    }
}

fn reason_str(r: RollbackReason) -> &'static str {
    match r {
        RollbackReason::DeadlinePassed => "deadline_passed",
        RollbackReason::VerificationFailed => "verification_failed",
        RollbackReason::Operator => "operator",
        RollbackReason::ConsoleLost => "console_lost",
    }
}

fn level_str(l: NoteLevel) -> &'static str {
    match l {
        NoteLevel::Info => "info",
        NoteLevel::Warn => "warn",
        NoteLevel::Error => "error",
    }
}

fn manual(m: &ManualCommands) -> Manual {
    Manual {
        az_cli: m.az_cli.clone(),
        powershell: m.powershell.clone(),
    }
}

fn attempt(r: &Record, a: &ArmAttempt) -> Attempt {
    Attempt {
        at: format_ts(r.ts),
        seq: r.seq,
        method: a.method.clone(),
        path: a.path.clone(),
        status: a.status,
        error_code: a.error_code.clone(),
        retry_after_ms: a.retry_after_ms,
        request_id: a.ids.request_id.clone(),
        client_request_id: a.ids.client_request_id.clone(),
        correlation_id: a.ids.correlation_id.clone(),
    }
}

/// Which timing an action's first passing verification measures.
fn timing_name(op: &str) -> String {
    if op.ends_with(".disable") {
        "failover".into()
    } else if op.ends_with(".enable") {
        "failback".into()
    } else {
        op.to_string()
    }
}

/// An action as it is being assembled, with what the derived timing needs.
struct ActionAcc {
    action: Action,
    done_ts: Option<(OffsetDateTime, u64)>,
    first_pass: Option<(OffsetDateTime, u64)>,
}

fn new_step(id: &str) -> Step {
    Step {
        id: id.to_string(),
        title: id.to_string(),
        phase: String::new(),
        kind: String::new(),
        started_at: None,
        ended_at: None,
        duration_ms: None,
        verdict: "not_run".into(),
        expectations: Vec::new(),
        commands: Vec::new(),
    }
}

#[derive(Default)]
struct Acc {
    session: Option<Session>,
    end: Option<(OffsetDateTime, u8, String)>,
    steps: Vec<Step>,
    step_index: HashMap<String, usize>,
    gates: Vec<Gate>,
    actions: Vec<ActionAcc>,
    measured: Vec<Timing>,
    notes: Vec<Note>,
    timeline: Vec<Marker>,
    start: Option<OffsetDateTime>,
}

impl Acc {
    fn step(&mut self, id: &str) -> &mut Step {
        let i = match self.step_index.get(id) {
            Some(&i) => i,
            None => {
                self.steps.push(new_step(id));
                self.step_index.insert(id.to_string(), self.steps.len() - 1);
                self.steps.len() - 1
            }
        };
        &mut self.steps[i]
    }

    fn has_step(&self, id: &str) -> bool {
        self.step_index.contains_key(id)
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

    fn mark(
        &mut self,
        r: &Record,
        kind: &str,
        step: Option<&str>,
        label: String,
        ok: Option<bool>,
    ) {
        let offset_ms = self.start.map_or(0, |s| millis_between(s, r.ts));
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

    fn apply(&mut self, r: &Record, e: &Event) {
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
                scenario,
                steps,
                version,
            } => {
                self.session = Some(Session {
                    session_id: Some(session_id.clone()),
                    operator: Some(operator.clone()),
                    ticket: ticket.clone(),
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
                // The monitor's probes feed the route and trace history,
                // not a step of the runbook.
                if step == cutover_core::session::event::MONITOR_STEP && !self.has_step(step) {
                    return;
                }
                let s = self.step(step);
                let run = CommandRun {
                    device: device.clone(),
                    query: query.clone(),
                    command: command.clone(),
                    runs: 1,
                    elapsed_ms: *elapsed_ms,
                    error: error.clone(),
                    request_id: ids.as_ref().and_then(|i| i.request_id.clone()),
                    seq: r.seq,
                };
                match s
                    .commands
                    .iter_mut()
                    .find(|c| c.device == *device && c.command == *command)
                {
                    Some(c) => {
                        let runs = c.runs.saturating_add(1);
                        *c = CommandRun { runs, ..run };
                    }
                    None => s.commands.push(run),
                }
            }
            Event::Expectation {
                step,
                clause,
                passed,
                evidence,
            } => {
                let s = self.step(step);
                match s.expectations.iter_mut().find(|x| x.clause == *clause) {
                    Some(x) => {
                        x.passed = *passed;
                        x.evidence.clone_from(evidence);
                        x.evaluations = x.evaluations.saturating_add(1);
                        x.seq = r.seq;
                    }
                    None => s.expectations.push(Expectation {
                        clause: clause.clone(),
                        passed: *passed,
                        evidence: evidence.clone(),
                        evaluations: 1,
                        seq: r.seq,
                    }),
                }
            }
            Event::GatePrompt {
                step,
                prompt,
                confirm_text,
                failed_checks,
            } => {
                self.step(step);
                self.gates.push(Gate {
                    step: step.clone(),
                    prompted_at: Some(at),
                    prompt: prompt.clone(),
                    confirm_text: confirm_text.clone(),
                    failed_checks: failed_checks.clone(),
                    decision: "unanswered".into(),
                    reason: None,
                    decided_at: None,
                    seq: None,
                });
            }
            Event::GateDecision { step, decision } => {
                let (word, reason, failed) = match decision {
                    GateDecision::Confirmed => ("confirmed", None, None),
                    GateDecision::Declined => ("declined", None, None),
                    GateDecision::Override {
                        reason,
                        failed_checks,
                    } => (
                        "override",
                        Some(reason.clone()),
                        Some(failed_checks.clone()),
                    ),
                };
                let i = match self
                    .gates
                    .iter()
                    .rposition(|g| g.step == *step && g.decided_at.is_none())
                {
                    Some(i) => i,
                    None => {
                        // A decision without its prompt (a cut journal):
                        // kept, since what was decided matters most.
                        self.gates.push(Gate {
                            step: step.clone(),
                            prompted_at: None,
                            prompt: String::new(),
                            confirm_text: String::new(),
                            failed_checks: Vec::new(),
                            decision: String::new(),
                            reason: None,
                            decided_at: None,
                            seq: None,
                        });
                        self.gates.len() - 1
                    }
                };
                let g = &mut self.gates[i];
                g.decision = word.to_string();
                g.reason = reason;
                if let Some(f) = failed
                    && g.failed_checks.is_empty()
                {
                    g.failed_checks = f;
                }
                g.decided_at = Some(at);
                g.seq = Some(r.seq);
                let label = match &g.reason {
                    Some(why) => format!("gate: OVERRIDE ({why})"),
                    None => format!("gate: {word}"),
                };
                let ok = Some(word != "declined");
                self.mark(r, "gate", Some(step), label, ok);
            }
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
                let label = format!("deadline armed: {seconds} s, until {expires_at}");
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
            Event::RollbackDone { step, detail } => {
                let rb = self.rollback(r, step);
                rb.result = "done".into();
                rb.ended_at = Some(at);
                rb.detail = Some(detail.clone());
                self.mark(
                    r,
                    "rollback_done",
                    Some(step),
                    "rollback done".into(),
                    Some(true),
                );
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
            Event::Measurement { step, name, millis } => self.measured.push(Timing {
                name: name.clone(),
                step: step.clone(),
                millis: *millis,
                source: "measured".into(),
                seqs: vec![r.seq],
            }),
            Event::SessionEnd { exit_code, outcome } => {
                self.end = Some((r.ts, *exit_code, outcome.clone()));
                let label = format!("session end: exit {exit_code} ({outcome})");
                self.mark(r, "session_end", None, label, Some(*exit_code == 0));
            }
        }
    }
}

fn action_result(a: &Action) -> &'static str {
    match &a.rollback {
        Some(rb) => match rb.result.as_str() {
            "done" => "rolled_back",
            "failed" => "rollback_failed",
            _ => "rolling_back",
        },
        None if a.confirmed_at.is_some() => "confirmed",
        None if a.ok == Some(false) => "failed",
        None => "unconfirmed",
    }
}

fn integrity(rec: &Recording) -> Integrity {
    let v = &rec.integrity;
    let status = match v.status {
        Status::Intact => "intact",
        Status::NotClosed { .. } => "not_closed",
        Status::IncompleteFinalRecord { .. } => "incomplete_final_record",
        Status::Broken(_) => "broken",
    };
    Integrity {
        status: status.to_string(),
        tampered: rec.is_tampered(),
        summary: integrity_summary(v),
        verified_records: v.records,
        records: rec.records.len() as u64,
        head_hash: v.head_hash.clone(),
        first_bad_seq: v.first_bad_seq(),
        unknown_kinds: rec.records.iter().filter(|r| r.event().is_none()).count() as u64,
        path_rules: rec.paths.describe(),
    }
}

/// The report of `rec`, not yet redacted (see [`super::redact_json`] and
/// the renderers, which redact every string they write).
pub fn build(rec: &Recording) -> Report {
    let mut acc = Acc {
        start: rec.records.first().map(|r| r.ts),
        ..Acc::default()
    };
    for r in &rec.records {
        if let Some(e) = r.event() {
            acc.apply(r, e);
        }
    }

    let mut session = acc.session.take().unwrap_or(Session {
        session_id: None,
        operator: None,
        ticket: None,
        mode: None,
        scenario: None,
        runbook: None,
        version: None,
        started_at: None,
        ended_at: None,
        duration_ms: None,
    });
    let first = rec.records.first().map(|r| r.ts);
    let last = acc
        .end
        .as_ref()
        .map(|(ts, ..)| *ts)
        .or_else(|| rec.records.last().map(|r| r.ts));
    session.started_at = first.map(format_ts);
    session.ended_at = last.map(format_ts);
    session.duration_ms = first.zip(last).map(|(a, b)| millis_between(a, b));

    let outcome = match &acc.end {
        Some((_, code, text)) => Outcome {
            exit_code: Some(*code),
            outcome: Some(text.clone()),
            meaning: exit_meaning(Some(*code)),
            closed: true,
        },
        None => Outcome {
            exit_code: None,
            outcome: None,
            meaning: exit_meaning(None),
            closed: false,
        },
    };

    let mut timings = acc.measured.clone();
    let mut actions = Vec::with_capacity(acc.actions.len());
    for a in acc.actions {
        let mut action = a.action;
        action.result = action_result(&action).to_string();
        let name = timing_name(&action.op);
        let measured = timings
            .iter()
            .any(|t| t.step == action.step && t.source == "measured" && t.name == name);
        if !measured && let (Some((done, s1)), Some((pass, s2))) = (a.done_ts, a.first_pass) {
            timings.push(Timing {
                name,
                step: action.step.clone(),
                millis: millis_between(done, pass),
                source: "derived".into(),
                seqs: vec![s1, s2],
            });
        }
        actions.push(action);
    }

    let (route_changes, trace_changes) = changes::collect(rec);
    let mut warnings = rec.warnings.clone();
    if rec.records.iter().any(|r| r.event().is_none()) {
        warnings.push(format!(
            "{} records are of kinds this version of cutover does not know (a newer version wrote them): they are not in this report",
            rec.records.iter().filter(|r| r.event().is_none()).count()
        ));
    }

    Report {
        format: FORMAT.to_string(),
        generated_by: format!("cutover {}", env!("CARGO_PKG_VERSION")),
        journal: rec.path.display().to_string(),
        integrity: integrity(rec),
        warnings,
        session,
        outcome,
        steps: acc.steps,
        gates: acc.gates,
        actions,
        timings,
        route_changes,
        trace_changes,
        notes: acc.notes,
        timeline: acc.timeline,
    }
}
