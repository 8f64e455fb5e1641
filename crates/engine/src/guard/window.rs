//! The window after the change (invariant 2): one `select!` loop over the
//! deadline, the verification and the operator's commands, whose every
//! exit is either a journaled confirmation or a reason to roll back, never
//! both.

use tokio::sync::mpsc::Receiver;
use tokio::time::{Instant, sleep_until};

use super::keeper::{self, Guarded};
use super::loss::LossWatch;
use super::measure::PathClock;
use super::verify::verify_all;
use crate::detached::Watch;
use crate::gate::describe;
use crate::port::trace::Tracer;
use crate::port::{AzureApi, DeviceSession};
use crate::runner::Ctx;
use cutover_core::runbook::ActionStep;
use cutover_core::session::command::Command;
use cutover_core::session::event::{Event, NoteLevel, RollbackReason};

/// What the window loop is waiting for.
enum Phase {
    Verifying,
    AwaitingConfirm,
}

/// Waits for the verification of the change made at `done_at` (its loss
/// clock may already run since the PUT was accepted), then for
/// the operator's confirmation, until `deadline_at`. `Ok` once the
/// confirmation is journaled; `Err` with why the change must be undone.
// The window is where the change's times, its guard, the operator and the
// path clock meet; a struct for its one caller would only rename them.
#[allow(clippy::too_many_arguments)]
pub(super) async fn await_confirmation<D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    step: &str,
    a: &ActionStep,
    done_at: Instant,
    deadline_at: Instant,
    watch: &mut Option<Box<dyn Watch>>,
    commands: &mut Receiver<Command>,
    clock: &PathClock,
    loss: &LossWatch,
) -> Result<(), RollbackReason>
where
    D: DeviceSession,
    A: AzureApi,
    L: Tracer,
{
    let deadline_sleep = sleep_until(deadline_at);
    tokio::pin!(deadline_sleep);
    // Started at the accepted PUT by the probes during the operation; from
    // the call's end when nothing said when ARM accepted.
    loss.begin(clock.accepted_at().unwrap_or(done_at));
    loss.announce(ctx, step, a, done_at).await;
    let verification = verify_all(ctx, step, &a.verify, done_at, loss, clock);
    tokio::pin!(verification);
    let mut phase = Phase::Verifying;
    let mut guard_check = keeper::ticker(ctx);
    loop {
        tokio::select! {
            biased;
            () = &mut deadline_sleep => return Err(RollbackReason::DeadlinePassed),
            // Before the verification: when both end at once, the loss is
            // the more precise reason.
            () = loss.due(), if matches!(phase, Phase::Verifying) => {
                loss.tell_rollback(ctx, step, false).await;
                return Err(RollbackReason::TrafficLost);
            }
            v = &mut verification, if matches!(phase, Phase::Verifying) => match v {
                Some(_) => {
                    verified(ctx, step).await;
                    phase = Phase::AwaitingConfirm;
                }
                None => return Err(RollbackReason::VerificationFailed),
            },
            cmd = commands.recv() => match cmd {
                // The console is gone: nobody can confirm any more.
                None => return Err(RollbackReason::ConsoleLost),
                Some(Command::ConfirmHealthy { step: s }) if s == step => {
                    if matches!(phase, Phase::Verifying) {
                        ctx.note(
                            Some(step),
                            NoteLevel::Warn,
                            "not confirmed: the verification has not passed yet".into(),
                        )
                        .await;
                        continue;
                    }
                    // A failover test's guard is released only once the
                    // stop carrying the verdict has ended (`test_run`).
                    let release = !a.action.rollback.is_failover_test();
                    return confirm(ctx, step, watch, release).await;
                }
                Some(Command::Rollback { step: s }) if s == step => {
                    return Err(RollbackReason::Operator);
                }
                Some(Command::Quit) => return Err(RollbackReason::Operator),
                Some(other) => {
                    ctx.note(
                        Some(step),
                        NoteLevel::Info,
                        format!("ignored while the change is guarded: {}", describe(&other)),
                    )
                    .await;
                }
            },
            _ = guard_check.tick() => {
                let g = Guarded {
                    step,
                    rollback: a.action.rollback,
                    deadline: deadline_at.saturating_duration_since(done_at),
                    deadline_at,
                    settle: super::settle_window(ctx, &a.action),
                    budget: super::budget_window(ctx, &a.action),
                };
                keeper::keep(ctx, g, watch).await;
            }
        }
    }
}

/// Every verification passed: the typed event an automatic operator
/// answers, and the note the person at the console reads. (The failover
/// time is not "until every verification passed": the clock in `measure`
/// times each path from the accepted write to the probe that saw it move.)
async fn verified<D, A, L>(ctx: &Ctx<'_, D, A, L>, step: &str) {
    let _ = ctx
        .sink
        .emit(Event::Verified {
            step: step.to_string(),
        })
        .await;
    ctx.note(
        Some(step),
        NoteLevel::Info,
        "verified: confirm the new state is healthy before the deadline, or roll back".into(),
    )
    .await;
}

/// The operator confirmed: the detached guard has the last word once the
/// deadline has passed, and the confirmation counts only once journaled.
/// `release`: whether the guard is let go now (the change is done once
/// confirmed), or kept until the caller's last write ends.
async fn confirm<D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    step: &str,
    watch: &mut Option<Box<dyn Watch>>,
    release: bool,
) -> Result<(), RollbackReason> {
    let granted = match watch.as_mut() {
        None => true,
        Some(w) => match w.confirm().await {
            Ok(g) => g,
            Err(e) => {
                ctx.note(
                    Some(step),
                    NoteLevel::Warn,
                    format!("the detached guard did not answer ({e}); confirming without it"),
                )
                .await;
                true
            }
        },
    };
    if !granted {
        ctx.note(
            Some(step),
            NoteLevel::Error,
            "too late: the detached guard already started the rollback (this console did not act at the deadline)".into(),
        )
        .await;
        return Err(RollbackReason::DeadlinePassed);
    }
    if let Err(e) = ctx
        .sink
        .emit(Event::ConfirmHealthy {
            step: step.to_string(),
        })
        .await
    {
        ctx.note(
            Some(step),
            NoteLevel::Error,
            format!("the confirmation could not be journaled ({e}): rolling back"),
        )
        .await;
        // The verification passed: what failed is the record.
        return Err(RollbackReason::JournalFailed);
    }
    if release
        && let Some(w) = watch.as_mut()
        && let Err(e) = w.resolved().await
    {
        tracing::warn!(error = %e, "could not tell the detached guard the change was confirmed");
    }
    Ok(())
}
