//! The step loop: each step run by its kind, and what its result means
//! for the session (go on, or end with which outcome).

use std::collections::BTreeMap;

use tokio::sync::mpsc::Receiver;
use tokio::time::Instant;

use super::check::{record, run_check};
use super::{Ctx, Engine, StepReport, millis, step_kind};
use crate::gate::{GatePass, GateResult, run_gate};
use crate::guard::{Authorization, GuardOutcome, run_guarded_action};
use crate::port::trace::Tracer;
use crate::port::{AzureApi, DeviceSession};
use crate::sink::SinkError;
use cutover_core::runbook::{Runbook, Step, StepBody};
use cutover_core::session::Outcome;
use cutover_core::session::command::Command;
use cutover_core::session::event::{Event, Mode, NoteLevel, RollbackReason, Verdict};

impl<D, A, L> Engine<D, A, L>
where
    D: DeviceSession + 'static,
    A: AzureApi + 'static,
    L: Tracer + 'static,
{
    pub(super) async fn steps(
        &self,
        ctx: &Ctx<'_, D, A, L>,
        rb: &Runbook,
        commands: &mut Receiver<Command>,
    ) -> (Outcome, String, Vec<StepReport>) {
        let mut reports: Vec<StepReport> = Vec::new();
        // Check verdicts by step id: what the next gate looks at.
        let mut verdicts: BTreeMap<&str, Verdict> = BTreeMap::new();
        let mut pass: Option<GatePass> = None;
        let journal_failed =
            |e: SinkError| (Outcome::BadInput, format!("stopped before any change: {e}"));
        for (index, step) in rb.steps.iter().enumerate() {
            if self.config.mode == Mode::Validate && !step.is_read_only() {
                continue;
            }
            if let Err(e) = ctx
                .sink
                .emit(Event::StepStart {
                    step: step.id.clone(),
                })
                .await
            {
                let (c, o) = journal_failed(e);
                return (c, o, reports);
            }
            let started = Instant::now();
            let mut report = StepReport {
                step: step.id.clone(),
                title: step.title.clone(),
                kind: step_kind(step),
                verdict: Verdict::Passed,
                device: None,
                command: None,
                evidence: Vec::new(),
                error: None,
                advisory: step.is_advisory(),
            };
            let mut end: Option<(Outcome, String)> = None;
            match &step.body {
                StepBody::Check(c) => {
                    report = StepReport {
                        title: step.title.clone(),
                        ..run_check(ctx, &step.id, c).await
                    };
                    verdicts.insert(&step.id, report.verdict);
                }
                StepBody::Gate(g) => {
                    let (warned, failed): (Vec<&Step>, Vec<&Step>) = rb
                        .steps
                        .iter()
                        .take(index)
                        .filter(|s| matches!(s.body, StepBody::Check(_)))
                        .filter(|s| verdicts.get(s.id.as_str()) != Some(&Verdict::Passed))
                        .partition(|s| s.is_advisory());
                    let failed: Vec<String> = failed.iter().map(|s| s.id.clone()).collect();
                    if !warned.is_empty() {
                        // Said before the prompt, so the operator weighs it
                        // with the decision (e.g. no BFD: a slow failover).
                        let list: Vec<&str> = warned.iter().map(|s| s.id.as_str()).collect();
                        ctx.note(
                            Some(&step.id),
                            NoteLevel::Warn,
                            format!(
                                "{} advisory check(s) failed, which does not hold this gate: {}",
                                list.len(),
                                list.join(", ")
                            ),
                        )
                        .await;
                    }
                    let prechecks_failed = !failed.is_empty();
                    match run_gate(ctx.sink, &step.id, g, failed.clone(), commands).await {
                        Ok(GateResult::Pass(p)) => {
                            if prechecks_failed {
                                report.verdict = Verdict::Overridden;
                                for f in &failed {
                                    if let Some(s) = rb.step(f) {
                                        verdicts.insert(&s.id, Verdict::Overridden);
                                    }
                                }
                            }
                            pass = Some(p);
                        }
                        Ok(GateResult::Declined { console_lost }) => {
                            report.verdict = Verdict::Failed;
                            let why = if console_lost {
                                "the console went away"
                            } else {
                                "declined"
                            };
                            end = Some((
                                Outcome::CheckFailed,
                                if prechecks_failed {
                                    format!(
                                        "stopped at `{}` ({why}) with {} failed pre-check(s): {}; nothing was changed",
                                        step.id,
                                        failed.len(),
                                        failed.join(", ")
                                    )
                                } else {
                                    format!("stopped at `{}` ({why}); nothing was changed", step.id)
                                },
                            ));
                        }
                        Err(e) => end = Some(journal_failed(e)),
                    }
                }
                StepBody::Action(a) => {
                    let auth = match pass.take() {
                        Some(p) => Some(Authorization::from_gate(p)),
                        None => Authorization::harmless(a.action.op),
                    };
                    report.command = Some(a.action.command.clone());
                    report.device = Some(a.action.role.clone());
                    let outcome = match auth {
                        Some(auth) => run_guarded_action(ctx, &step.id, a, auth, commands).await,
                        None => {
                            ctx.note(
                                Some(&step.id),
                                NoteLevel::Error,
                                format!("refused: `{}` needs a passed gate first", a.action.op),
                            )
                            .await;
                            GuardOutcome::NotApplied {
                                detail: "no gate before a disruptive change".into(),
                            }
                        }
                    };
                    match outcome {
                        GuardOutcome::Confirmed => {}
                        GuardOutcome::NotApplied { detail } => {
                            report.verdict = Verdict::Failed;
                            report.error = Some(detail.clone());
                            // Refused because the journal failed: the
                            // record, not the network, is what is broken.
                            let code = if ctx.sink.journal_error().is_some() {
                                Outcome::BadInput
                            } else {
                                Outcome::CheckFailed
                            };
                            end = Some((code, format!("`{}` was not applied: {detail}", step.id)));
                        }
                        GuardOutcome::RolledBack { reason } => {
                            report.verdict = Verdict::Failed;
                            end = Some((
                                Outcome::RolledBack,
                                format!("`{}` rolled back ({})", step.id, reason_text(reason)),
                            ));
                        }
                        GuardOutcome::RollbackFailed { reason } => {
                            report.verdict = Verdict::Failed;
                            end = Some((
                                Outcome::OperatorMustAct,
                                format!(
                                    "`{}`: the rollback ({}) FAILED; the operator must restore the peering by hand",
                                    step.id,
                                    reason_text(reason)
                                ),
                            ));
                        }
                    }
                }
                StepBody::Record(r) => record(ctx, &step.id, r).await,
            }
            let _ = ctx
                .sink
                .emit(Event::StepEnd {
                    step: step.id.clone(),
                    verdict: report.verdict,
                    elapsed_ms: millis(started.elapsed()),
                })
                .await;
            reports.push(report);
            if let Some((code, outcome)) = end {
                return (code, outcome, reports);
            }
        }
        let failed: Vec<&str> = reports
            .iter()
            .filter(|r| r.kind == "check" && !r.advisory)
            .filter(|r| verdicts.get(r.step.as_str()) == Some(&Verdict::Failed))
            .map(|r| r.step.as_str())
            .collect();
        let warned: Vec<&str> = reports
            .iter()
            .filter(|r| r.advisory && r.verdict == Verdict::Failed)
            .map(|r| r.step.as_str())
            .collect();
        if failed.is_empty() && warned.is_empty() {
            (Outcome::Completed, "completed".into(), reports)
        } else if failed.is_empty() {
            let o = format!(
                "completed; {} advisory check(s) warned: {}",
                warned.len(),
                warned.join(", ")
            );
            (Outcome::Completed, o, reports)
        } else {
            let o = format!(
                "completed with {} failed check(s): {}",
                failed.len(),
                failed.join(", ")
            );
            (Outcome::CheckFailed, o, reports)
        }
    }
}

fn reason_text(r: RollbackReason) -> &'static str {
    match r {
        RollbackReason::DeadlinePassed => "the deadline passed without a confirmation",
        RollbackReason::VerificationFailed => "the verification failed",
        RollbackReason::Operator => "the operator asked",
        RollbackReason::ConsoleLost => "the console went away",
    }
}
