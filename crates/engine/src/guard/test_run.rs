//! Azure's failover tests (the site failover simulation on a gateway, the
//! link failover test on a circuit) as a guarded action: the same gate,
//! write-ahead announcement, detached guard, journaled exchanges, deadline
//! window, verification and operator confirmation as the peering change.
//! Where the peering change writes a state and its undo writes the other
//! one, the test is started and its undo is a stop (`test_stop`): the
//! deadline, an abort, a failed verification or a lost console stop it
//! with `wasSimulationSuccessful=false`; the operator's confirmation stops
//! it with the verdict. While it runs, its details are read every few seconds
//! and journaled (`failover_test_status`), so the panes show its status
//! and the redundant and non-redundant routes.

use std::convert::Infallible;
use std::sync::Mutex;

use time::OffsetDateTime;
use tokio::sync::mpsc::Receiver;
use tokio::time::{Duration, Instant, sleep};

use super::attempt::Journaled;
use super::keeper::{self, Guarded};
use super::test_stop::{self, DETAILS_POLL, TestRef, Verdict};
use super::{GuardOutcome, Undo, budget_window, guard_refused, rfc3339_ms, settle_window};
use crate::detached::{Watch, WatchRequest};
use crate::port::trace::Tracer;
use crate::port::{ArmAttempt, ArmError, AzureApi, DeviceSession, SendPermit, WriteStatus};
use crate::runner::Ctx;
use cutover_core::model::azure::FailoverTestDetails;
use cutover_core::runbook::{Action, ActionOp, ActionStep};
use cutover_core::session::command::Command;
use cutover_core::session::event::{Event, NoteLevel, RollbackReason};

/// Runs the failover test of `step` under guard; the caller checked the
/// authorization and counted the deadline.
pub(super) async fn run<D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    step: &str,
    a: &ActionStep,
    az: &A,
    deadline: Duration,
    commands: &mut Receiver<Command>,
) -> GuardOutcome
where
    D: DeviceSession,
    A: AzureApi,
    L: Tracer,
{
    let action = &a.action;
    let mut t = match target(az, action).await {
        Ok(t) => t,
        Err(why) => return refuse(ctx, step, why).await,
    };

    // Write-ahead: nothing goes out unless this is durable.
    let announced = ctx
        .sink
        .emit(Event::ActionStarted {
            step: step.to_string(),
            op: action.op.as_str().to_string(),
            target: t.target.journaled(&t.location),
            manual: t.target.manual_stop(&t.location, false, &[]),
        })
        .await;
    if let Err(e) = announced {
        return refuse(
            ctx,
            step,
            format!("the test cannot be journaled first ({e})"),
        )
        .await;
    }

    // The detached guard watches before the start goes out: it stops the
    // test if this console dies.
    let mut watch: Option<Box<dyn Watch>> = match ctx
        .watchdog
        .arm(WatchRequest {
            step: step.to_string(),
            rollback: action.rollback,
            expires_at: OffsetDateTime::now_utc() + deadline,
            deadline,
            settle: settle_window(ctx, action),
            budget: budget_window(ctx, action),
        })
        .await
    {
        Ok(w) => w,
        Err(e) => return guard_refused(ctx, step, action.op, &e).await,
    };

    // The failover is timed from the accepted start, as from a PUT, and
    // lost traffic counts from it too.
    let clock = super::measure::PathClock::new(step, action.op, &a.verify);
    let loss = super::loss::LossWatch::new(a);
    let log = Journaled::new();
    let seen = |at: &ArmAttempt| clock.on_attempt(at);
    let on = log.reporter(&seen);
    let permit = SendPermit::new();
    let call = az.start_failover_test(&t.target, &t.location, &on, &permit);
    // Abort means abort while the start goes out (through 429 and 409
    // too), as for the peering's PUT: no start leaves after it.
    let going =
        super::abort::drive_abortable(ctx, step, log, call, (&mut *commands, &loss), &permit);
    let (started, aborted) = clock.while_applying(ctx, &a.verify, &loss, going).await;
    let started = started.unwrap_or_else(|| Err(ArmError::Cancelled("stopped".into())));
    let done_at = Instant::now();
    if let Some(by) = aborted
        && permit.status() == WriteStatus::NoneAccepted
        && started.is_err()
    {
        return cancelled(ctx, step, action.op, by, &mut watch).await;
    }
    let id = match started {
        Ok(id) => id,
        Err(e) => {
            let _ = ctx
                .sink
                .emit(Event::ActionDone {
                    step: step.to_string(),
                    op: action.op.as_str().to_string(),
                    ok: false,
                    detail: e.to_string(),
                })
                .await;
            if permit.status() == WriteStatus::NoneAccepted {
                if let Some(w) = watch.as_mut() {
                    let _ = w.resolved().await;
                }
                return GuardOutcome::NotApplied {
                    detail: format!("the failover test did not start: {e}"),
                };
            }
            // Its answer was lost or it failed after ARM took it (or it
            // was aborted then): a test may run, and only a stop ends it.
            let how = undo(ctx, a, Some(commands));
            let reason = aborted.unwrap_or(RollbackReason::ChangeFailed);
            return test_stop::roll_back_test(
                ctx,
                step,
                action.rollback,
                az,
                Some(&t),
                reason,
                how,
                &mut watch,
            )
            .await;
        }
    };
    t.id = Some(id.clone());
    let journal_ok = ctx
        .sink
        .emit(Event::ActionDone {
            step: step.to_string(),
            op: action.op.as_str().to_string(),
            ok: true,
            detail: format!("failover test {id} started {}", t.target.place(&t.location)),
        })
        .await
        .is_ok();
    if let Some(by) = aborted {
        ctx.note(
            Some(step),
            NoteLevel::Warn,
            format!(
                "aborted after ARM accepted the start: failover test {id} runs; stopping it now"
            ),
        )
        .await;
        let how = undo(ctx, a, Some(commands));
        return test_stop::roll_back_test(
            ctx,
            step,
            action.rollback,
            az,
            Some(&t),
            by,
            how,
            &mut watch,
        )
        .await;
    }

    let g = Guarded {
        step,
        rollback: action.rollback,
        deadline,
        deadline_at: done_at + deadline,
        settle: settle_window(ctx, action),
        budget: budget_window(ctx, action),
    };
    let applied = keeper::tell_applied(ctx, g, &mut watch).await;
    let armed = ctx
        .sink
        .emit(Event::DeadlineArmed {
            step: step.to_string(),
            seconds: deadline.as_secs(),
            expires_at: rfc3339_ms(OffsetDateTime::now_utc() + deadline),
        })
        .await
        .is_ok();
    if !(applied && journal_ok && armed) {
        ctx.note(
            Some(step),
            NoteLevel::Error,
            "the test cannot be guarded as it should (the journal failed, or the detached guard already gave up on it): stopping it".into(),
        )
        .await;
        let reason = if applied {
            RollbackReason::JournalFailed
        } else {
            RollbackReason::DeadlinePassed
        };
        let how = undo(ctx, a, Some(commands));
        return test_stop::roll_back_test(
            ctx,
            step,
            action.rollback,
            az,
            Some(&t),
            reason,
            how,
            &mut watch,
        )
        .await;
    }

    let last: Mutex<Option<FailoverTestDetails>> = Mutex::new(None);
    let window = super::window::await_confirmation(
        ctx,
        step,
        a,
        done_at,
        done_at + deadline,
        &mut watch,
        commands,
        &clock,
        &loss,
    );
    let polls = poll_details(ctx, step, az, &t, &last);
    let ended = tokio::select! {
        r = window => r,
        never = polls => match never {},
    };
    match ended {
        Ok(()) => {
            // The verdict names every connection the test covers: read
            // them now when no poll finished before the confirmation.
            let polled = last.lock().ok().and_then(|l| l.clone());
            let seen = match polled {
                // (A link test has no connections to name.)
                Some(d) if !d.connections().is_empty() || t.target.link().is_some() => Some(d),
                other => test_stop::read_details(ctx, step, az, &t, None)
                    .await
                    .or(other),
            };
            let verdict = Verdict::confirmed(seen.as_ref());
            ctx.note(
                Some(step),
                NoteLevel::Info,
                format!(
                    "confirmed: stopping the failover test with wasSimulationSuccessful=true and {}",
                    match t.target.link() {
                        Some(_) => "isVerified=true".to_string(),
                        None => format!("{} connection(s) verified", verdict.details.len()),
                    }
                ),
            )
            .await;
            let how = undo(ctx, a, Some(commands));
            let stopped = test_stop::stop(
                ctx,
                step,
                az,
                &t,
                &verdict,
                how.settle,
                how.budget,
                how.commands,
            )
            .await;
            // Released only now (the window kept it on the confirmation):
            // a console that dies while the verdict's stop goes out leaves
            // the test to the guard, which stops it as not successful.
            if let Some(w) = watch.as_mut()
                && let Err(e) = w.resolved().await
            {
                tracing::warn!(error = %e, "could not tell the detached guard the test was stopped");
            }
            match stopped {
                Ok(detail) => {
                    ctx.note(Some(step), NoteLevel::Info, detail).await;
                    GuardOutcome::Confirmed
                }
                Err(()) => GuardOutcome::RollbackFailed {
                    reason: RollbackReason::ChangeFailed,
                },
            }
        }
        Err(reason) => {
            let how = undo(ctx, a, Some(commands));
            test_stop::roll_back_test(
                ctx,
                step,
                action.rollback,
                az,
                Some(&t),
                reason,
                how,
                &mut watch,
            )
            .await
        }
    }
}

/// The test `action` starts, addressed as this client addresses it: the
/// gateway at the circuit's peering location (read first: a site test
/// started without knowing where could not be stopped), or the circuit's
/// link. `Err` says why it cannot run; nothing was sent.
async fn target<A: AzureApi>(az: &A, action: &Action) -> Result<TestRef, String> {
    let (target, location) = match action.op {
        ActionOp::AzureGatewaySiteFailoverTest => {
            let gateway = action
                .gateway
                .as_deref()
                .ok_or("the action names no gateway")?;
            let target = az.failover_test_target(gateway).ok_or(NO_TEST_CLIENT)?;
            (target, test_stop::peering_location(az).await?)
        }
        ActionOp::AzureCircuitLinkFailoverTest => {
            let link = action
                .link_test
                .as_ref()
                .ok_or("the action names no link")?;
            let target = az
                .link_failover_test_target(&action.target.circuit, link)
                .ok_or(NO_TEST_CLIENT)?;
            (target, String::new())
        }
        op => {
            return Err(format!(
                "`{op}` runs only as the rollback of a started test"
            ));
        }
    };
    Ok(TestRef {
        target,
        location,
        id: None,
        since: Some(OffsetDateTime::now_utc()),
    })
}

const NO_TEST_CLIENT: &str = "this Azure client cannot run a failover test";

/// Reads the details now and every [`DETAILS_POLL`] while the window
/// runs (it is dropped when the window ends).
async fn poll_details<D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    step: &str,
    az: &A,
    t: &TestRef,
    last: &Mutex<Option<FailoverTestDetails>>,
) -> Infallible
where
    A: AzureApi,
{
    loop {
        if let Some(d) = test_stop::read_details(ctx, step, az, t, None).await
            && let Ok(mut l) = last.lock()
        {
            *l = Some(d);
        }
        sleep(DETAILS_POLL).await;
    }
}

fn undo<'c, D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    a: &ActionStep,
    commands: Option<&'c mut Receiver<Command>>,
) -> Undo<'c> {
    super::bounds::undo(ctx, &a.action, commands)
}

/// Aborted while the start went out and before ARM may have accepted it:
/// no test runs, and the guard has nothing to stop.
async fn cancelled<D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    step: &str,
    op: ActionOp,
    by: RollbackReason,
    watch: &mut Option<Box<dyn Watch>>,
) -> GuardOutcome {
    let detail =
        "the failover test was not started: nothing was sent after the abort, and ARM accepted no start before it"
            .to_string();
    let _ = ctx
        .sink
        .emit(Event::ActionCancelled {
            step: step.to_string(),
            op: op.as_str().to_string(),
            reason: by,
            detail: detail.clone(),
        })
        .await;
    if let Some(w) = watch.as_mut()
        && let Err(e) = w.resolved().await
    {
        tracing::warn!(error = %e, "could not release the detached guard");
    }
    GuardOutcome::Cancelled { detail, safe: true }
}

async fn refuse<D, A, L>(ctx: &Ctx<'_, D, A, L>, step: &str, why: String) -> GuardOutcome {
    ctx.note(
        Some(step),
        NoteLevel::Error,
        format!("refused: {why}; nothing was sent"),
    )
    .await;
    GuardOutcome::NotApplied { detail: why }
}
