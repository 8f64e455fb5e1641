//! The step loop: each step run by its kind, and what its result means
//! for the session (go on, or end with which outcome).

use std::collections::BTreeMap;

use tokio::sync::mpsc::Receiver;
use tokio::time::Instant;

use super::check::{record, run_check};
use super::desk::Desk;
use super::prefetch::Prefetch;
use super::{Ctx, Engine, StepReport, millis, step_kind};
use crate::gate::{GatePass, GateResult, Hold, run_gate};
use crate::guard::{Authorization, GuardOutcome, run_guarded_action};
use crate::port::trace::Tracer;
use crate::port::{AzureApi, DeviceSession};
use crate::predict::{self, Forecast};
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
        mut desk: Option<&mut Desk>,
    ) -> (Outcome, String, Vec<StepReport>) {
        let mut reports: Vec<StepReport> = Vec::new();
        // Check verdicts by step id: what the next gate looks at.
        let mut verdicts: BTreeMap<&str, Verdict> = BTreeMap::new();
        let mut pass: Option<GatePass> = None;
        // The gate's forecast, checked once its change is confirmed.
        let mut forecast: Option<Forecast<'_>> = None;
        let journal_failed =
            |e: SinkError| (Outcome::BadInput, format!("stopped before any change: {e}"));
        // The first answers of the run of checks under way, asked of all
        // devices at once.
        let mut prefetch = Prefetch::default();
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
                    if !prefetch.covers(index) {
                        prefetch = Prefetch::start(&self.world, rb, index, self.config.mode);
                    }
                    let first = prefetch.take(index).await;
                    report = StepReport {
                        title: step.title.clone(),
                        ..run_check(ctx, &step.id, c, first).await
                    };
                    verdicts.insert(&step.id, report.verdict);
                }
                StepBody::Gate(g) => {
                    // Blind drill: the trainee's marks first, before the
                    // prediction and anything that would show a verdict.
                    let prechecks: Vec<String> = rb.steps[..index]
                        .iter()
                        .filter(|s| matches!(s.body, StepBody::Check(_)))
                        .map(|s| s.id.clone())
                        .collect();
                    let early = match desk.as_deref_mut() {
                        Some(d) => {
                            d.await_marks(ctx.sink, &step.id, &prechecks, commands)
                                .await
                        }
                        None => Ok(None),
                    };
                    // The gate ended while waiting for marks: nothing more
                    // is asked or predicted.
                    let ended = !matches!(early, Ok(None));
                    let (warned, failed): (Vec<&Step>, Vec<&Step>) = rb
                        .steps
                        .iter()
                        .take(index)
                        .filter(|s| matches!(s.body, StepBody::Check(_)))
                        .filter(|s| verdicts.get(s.id.as_str()) != Some(&Verdict::Passed))
                        .partition(|s| s.is_advisory());
                    let failed: Vec<String> = failed.iter().map(|s| s.id.clone()).collect();
                    if !warned.is_empty() && !ended {
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
                    let sources = predict::sources(rb, index);
                    let hazards = if sources.is_empty() || ended {
                        Vec::new()
                    } else {
                        match predict::predict(ctx, &step.id, sources).await {
                            Ok(f) => {
                                let h = f.prediction.hazards.clone();
                                forecast = Some(f);
                                h
                            }
                            Err(e) => {
                                let (c, o) = journal_failed(e);
                                return (c, o, reports);
                            }
                        }
                    };
                    let held = !hazards.is_empty();
                    let hold = Hold {
                        failed_checks: failed.clone(),
                        hazards,
                    };
                    let what = hold.describe();
                    let result = match early {
                        Ok(Some(ended)) => Ok(ended),
                        Ok(None) => run_gate(ctx.sink, &step.id, g, hold, commands).await,
                        Err(e) => Err(e),
                    };
                    match result {
                        Ok(GateResult::Pass(p)) => {
                            if prechecks_failed || held {
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
                                if prechecks_failed || held {
                                    format!(
                                        "stopped at `{}` ({why}) with {what}; nothing was changed",
                                        step.id,
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
                        GuardOutcome::Confirmed => {
                            if let Some(f) = forecast.take() {
                                predict::check(ctx, &step.id, &f).await;
                            }
                        }
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
                        GuardOutcome::Cancelled { detail, safe } => {
                            report.verdict = Verdict::Failed;
                            report.error = Some(detail.clone());
                            end = Some(if safe {
                                (
                                    Outcome::CheckFailed,
                                    format!(
                                        "`{}` cancelled before any write was accepted; nothing was changed",
                                        step.id
                                    ),
                                )
                            } else {
                                (
                                    Outcome::OperatorMustAct,
                                    format!(
                                        "`{}` cancelled before any write was accepted, but the peering is not as it should be: {detail}",
                                        step.id
                                    ),
                                )
                            });
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
            // Taken as shown just before it is: a mark sent on seeing the
            // `step_end` must find the result in.
            if let (Some(d), StepBody::Check(_)) = (desk.as_deref(), &step.body) {
                d.judged(&step.id, report.verdict).await;
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
        RollbackReason::TrafficLost => "the traffic was lost for longer than max_outage",
        RollbackReason::JournalFailed => "the journal could not record the change",
        RollbackReason::ChangeFailed => "the change failed and may still land",
    }
}
