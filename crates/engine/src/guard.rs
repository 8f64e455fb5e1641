//! The guarded change: announced (write-ahead), applied, deadline armed,
//! verified, then confirmed by the operator — or undone.
//!
//! Invariant 2 (DESIGN.md): after the change, exactly one of: the operator
//! confirms in time, or the rollback runs (deadline passed, verification
//! failed, the operator asked, the console went away). The window is one
//! `select!` loop whose every exit is either `ConfirmHealthy` or a call to
//! the rollback, never both (`window`). A detached guard
//! ([`super::detached`]) covers the case where this process itself dies.
//!
//! Invariant 3: the rollback retries through throttling, conflicts and
//! transient errors, and otherwise tells the operator loudly, with the
//! exact manual commands (`rollback`).

mod abort;
mod keeper;
mod loss;
mod measure;
mod rollback;
mod verify;
mod window;

use time::OffsetDateTime;
use tokio::sync::mpsc::{Receiver, unbounded_channel};
use tokio::time::Instant;

use crate::detached::{Watch, WatchRequest};
use crate::gate::GatePass;
use crate::port::trace::Tracer;
use crate::port::{ArmAttempt, ArmError, AzureApi, DeviceSession, PeeringChange, SendPermit};
use crate::runner::Ctx;
use cutover_core::model::azure::PeeringState;
use cutover_core::runbook::{ActionOp, ActionStep};
use cutover_core::session::command::Command;
use cutover_core::session::event::{Event, NoteLevel, RollbackReason};

pub(crate) use rollback::roll_back;
pub use rollback::{RollbackPolicy, retryable};
pub use verify::verify_clause;

/// Permission to run a guarded action. A disruptive op needs a
/// [`GatePass`] (consumed: one confirmation, one change); an op that
/// restores service (enabling the peering) needs none.
#[derive(Debug)]
pub struct Authorization {
    gate: Option<GatePass>,
}

impl Authorization {
    pub fn from_gate(pass: GatePass) -> Self {
        Self { gate: Some(pass) }
    }

    /// `None` for a disruptive op.
    pub fn harmless(op: ActionOp) -> Option<Self> {
        (!op.is_disruptive()).then_some(Self { gate: None })
    }

    fn permits(&self, op: ActionOp) -> bool {
        self.gate.is_some() || !op.is_disruptive()
    }

    /// The gate this authorization came from.
    pub fn gate(&self) -> Option<&GatePass> {
        self.gate.as_ref()
    }
}

/// How a guarded action ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuardOutcome {
    Confirmed,
    /// The change was refused or failed and the peering is as it was:
    /// nothing to undo.
    NotApplied {
        detail: String,
    },
    RolledBack {
        reason: RollbackReason,
    },
    RollbackFailed {
        reason: RollbackReason,
    },
    /// Stopped before ARM accepted any write (`action_cancelled`): nothing
    /// to undo. `safe`: the peering reads as it should (or could not be
    /// read); otherwise something else changed it and a person must look.
    Cancelled {
        detail: String,
        safe: bool,
    },
}

fn target_of(a: &cutover_core::runbook::Action) -> String {
    format!(
        "{}/{}/{}",
        a.target.resource_group, a.target.circuit, a.target.peering
    )
}

fn describe_change(c: &PeeringChange) -> String {
    let name = c.after.name.as_deref().unwrap_or("peering");
    let st = |p: &cutover_core::model::azure::ExpressRouteCircuitPeering| {
        p.state().map_or_else(|| "?".to_string(), |s| s.to_string())
    };
    let prov = c
        .after
        .provisioning_state()
        .map_or_else(|| "?".to_string(), |s| s.to_string());
    format!(
        "{name}: {} -> {} (provisioningState {prov})",
        st(&c.before),
        st(&c.after)
    )
}

/// Runs `step`'s action under guard. `auth` is consumed.
pub(crate) async fn run_guarded_action<D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    step: &str,
    a: &ActionStep,
    auth: Authorization,
    commands: &mut Receiver<Command>,
) -> GuardOutcome
where
    D: DeviceSession,
    A: AzureApi,
    L: Tracer,
{
    let action = &a.action;
    if !auth.permits(action.op) {
        // The runner never gets here (the runbook was validated and the
        // gate's pass is required); refuse rather than trust that.
        ctx.note(
            Some(step),
            NoteLevel::Error,
            format!("refused: `{}` needs a passed gate", action.op),
        )
        .await;
        return GuardOutcome::NotApplied {
            detail: "no gate was passed for a disruptive change".into(),
        };
    }
    let Some(az) = ctx.world.azure.as_ref() else {
        ctx.note(
            Some(step),
            NoteLevel::Error,
            "refused: the inventory has no [azure] section".into(),
        )
        .await;
        return GuardOutcome::NotApplied {
            detail: "no Azure in the inventory".into(),
        };
    };
    let new_state = PeeringState::from(action.op.peering_state());
    let deadline = match countable(
        ctx.config
            .deadline_override
            .unwrap_or(action.deadline.as_std()),
    ) {
        Ok(d) => d,
        // `check` and the command line refuse such a deadline first; the
        // engine must not overflow a clock if one gets through.
        Err(asked) if action.op.is_disruptive() => {
            ctx.note(
                Some(step),
                NoteLevel::Error,
                format!(
                    "refused: a deadline of {} s cannot be counted; nothing was sent",
                    asked.as_secs()
                ),
            )
            .await;
            return GuardOutcome::NotApplied {
                detail: "the deadline is too long to count".into(),
            };
        }
        Err(_) => LONGEST_DEADLINE,
    };

    // Write-ahead: nothing goes out unless this is durable.
    let announced = ctx
        .sink
        .emit(Event::ActionStarted {
            step: step.to_string(),
            op: action.op.as_str().to_string(),
            target: target_of(action),
            manual: az.manual_commands(new_state.clone()),
        })
        .await;
    if let Err(e) = announced {
        ctx.note(
            Some(step),
            NoteLevel::Error,
            format!("refused: the change cannot be journaled first ({e}); nothing was sent"),
        )
        .await;
        return GuardOutcome::NotApplied {
            detail: e.to_string(),
        };
    }

    // The detached guard watches before the change goes out: a console
    // that dies during the call (a long run of 429s, say) is rolled back
    // too. Rolling back a change that never went out changes nothing.
    let mut watch: Option<Box<dyn Watch>> = match ctx
        .watchdog
        .arm(WatchRequest {
            step: step.to_string(),
            rollback: action.rollback,
            // Provisional: `applied` below restarts the guard's clock.
            expires_at: OffsetDateTime::now_utc() + deadline,
            deadline,
            settle: settle_window(ctx, action),
        })
        .await
    {
        Ok(w) => w,
        // Fail closed: a disruptive change that nothing would undo if this
        // console died is not made. Restoring service still goes ahead:
        // refusing it would leave the peering disabled.
        Err(e) if action.op.is_disruptive() => {
            return guard_refused(ctx, step, action.op, &e).await;
        }
        Err(e) => {
            ctx.note(
                Some(step),
                NoteLevel::Warn,
                format!(
                    "the detached guard did not start ({e}): if this console dies now, nothing undoes the change; stay with it until it is done"
                ),
            )
            .await;
            None
        }
    };

    // Times the failover from the accepted write, probing the paths while
    // ARM's operation still runs.
    let clock = measure::PathClock::new(step, action.op, &a.verify);
    // Lost traffic counts from the accepted PUT too, not from the end of
    // ARM's operation.
    let loss = loss::LossWatch::new(a);
    let seen = |at: &ArmAttempt| clock.on_attempt(at);
    // Stopping a restore half-way would leave the peering disabled: only
    // the disruptive change is abortable while it goes out (by the
    // operator, or by traffic lost for `max_outage` meanwhile).
    let stops = action.op.is_disruptive().then_some((&mut *commands, &loss));
    let call = abort::apply(ctx, step, az, new_state.clone(), stops, &seen);
    let applied = match clock.while_applying(ctx, &a.verify, &loss, call).await {
        abort::Applied::Done(r) => r,
        abort::Applied::Cancelled { by, refused } => {
            return abort::cancelled(ctx, step, a, az, by, &refused, &mut watch).await;
        }
        abort::Applied::AbortedAfterWrite { by, last } => {
            return abort::undo_aborted(ctx, step, a, az, by, last, &mut watch).await;
        }
    };
    let done_at = Instant::now();
    let journal_ok = match &applied {
        Ok(change) => ctx
            .sink
            .emit(Event::ActionDone {
                step: step.to_string(),
                op: action.op.as_str().to_string(),
                ok: true,
                detail: describe_change(change),
            })
            .await
            .is_ok(),
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
            return after_failed_action(ctx, step, a, az, e, &mut watch).await;
        }
    };

    // The deadline counts from the change, for the guard as for us.
    if let Some(w) = watch.as_mut()
        && let Err(e) = w.applied().await
    {
        match keeper::gone_soon(w.as_mut()).await {
            // It died while the call ran: replace it, the deadline counting
            // from the change.
            Some(lost) => {
                watch = None;
                let g = keeper::Guarded {
                    step,
                    rollback: action.rollback,
                    deadline,
                    deadline_at: done_at + deadline,
                    settle: settle_window(ctx, action),
                };
                keeper::rearm(ctx, g, lost, &mut watch).await;
            }
            None => {
                // Left alive, it would take this console's end for its
                // death and undo a change still being verified here.
                w.abandon().await;
                watch = None;
                ctx.note(
                    Some(step),
                    NoteLevel::Warn,
                    format!(
                        "the detached guard is not answering ({e}) and was stopped: if this console dies now, nothing undoes the change; stay with it until it is confirmed or rolled back"
                    ),
                )
                .await;
            }
        }
    }
    let deadline_at = done_at + deadline;
    let expires_at = OffsetDateTime::now_utc() + deadline;
    let armed = ctx
        .sink
        .emit(Event::DeadlineArmed {
            step: step.to_string(),
            seconds: deadline.as_secs(),
            expires_at: rfc3339_ms(expires_at),
        })
        .await
        .is_ok();
    if !(journal_ok && armed) {
        // No record, no confirmation: the only safe end is the rollback.
        ctx.note(
            Some(step),
            NoteLevel::Error,
            "the journal failed after the change: rolling back, since no confirmation could be recorded".into(),
        )
        .await;
        return roll_back(
            ctx,
            step,
            action.rollback,
            az,
            RollbackReason::VerificationFailed,
            settle_window(ctx, action),
            &mut watch,
        )
        .await;
    }

    match window::await_confirmation(
        ctx,
        step,
        a,
        done_at,
        deadline_at,
        &mut watch,
        commands,
        &clock,
        &loss,
    )
    .await
    {
        Ok(()) => GuardOutcome::Confirmed,
        Err(reason) => {
            let settle = settle_window(ctx, action);
            roll_back(ctx, step, action.rollback, az, reason, settle, &mut watch).await
        }
    }
}

/// How long a rollback of `action` watches the peering after its write:
/// `--settle`, or the runbook's `settle`, or the default. The detached
/// guard is told the same.
pub(crate) fn settle_window<D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    action: &cutover_core::runbook::Action,
) -> std::time::Duration {
    ctx.config
        .settle_override
        .unwrap_or_else(|| action.settle_window())
}

/// The longest deadline a change runs under when the one asked for cannot
/// be counted (only a restore gets here: it must go out regardless).
const LONGEST_DEADLINE: std::time::Duration = std::time::Duration::from_secs(86_400);

/// `deadline` if both clocks can count it (twice over, for the grace and
/// a replacement guard's arithmetic); `Err(deadline)` otherwise.
fn countable(deadline: std::time::Duration) -> Result<std::time::Duration, std::time::Duration> {
    let twice = deadline.saturating_mul(2);
    let wall = time::Duration::try_from(twice)
        .ok()
        .and_then(|d| OffsetDateTime::now_utc().checked_add(d));
    match (Instant::now().checked_add(twice), wall) {
        (Some(_), Some(_)) => Ok(deadline),
        _ => Err(deadline),
    }
}

/// The detached guard was wanted and did not start: the change is
/// announced but nothing is sent. Journaled as a failed action with the
/// reason, so the record and the report say why nothing changed.
async fn guard_refused<D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    step: &str,
    op: ActionOp,
    why: &str,
) -> GuardOutcome
where
    D: DeviceSession,
    A: AzureApi,
    L: Tracer,
{
    let detail = format!("nothing was sent: the detached guard did not start ({why})");
    let _ = ctx
        .sink
        .emit(Event::ActionDone {
            step: step.to_string(),
            op: op.as_str().to_string(),
            ok: false,
            detail: detail.clone(),
        })
        .await;
    ctx.note(
        Some(step),
        NoteLevel::Error,
        format!(
            "refused: the detached guard did not start ({why}); without it nothing would undo the change if this console died, so it was not made"
        ),
    )
    .await;
    GuardOutcome::NotApplied { detail }
}

/// The action call failed: find out whether anything changed before
/// deciding between "nothing to undo" and the rollback.
async fn after_failed_action<D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    step: &str,
    a: &ActionStep,
    az: &A,
    error: &ArmError,
    watch: &mut Option<Box<dyn Watch>>,
) -> GuardOutcome
where
    D: DeviceSession,
    A: AzureApi,
    L: Tracer,
{
    let new_state = PeeringState::from(a.action.op.peering_state());
    let safe_state = PeeringState::from(a.action.rollback.peering_state());
    let now = az.get_peering().await;
    let state = now.as_ref().ok().and_then(|r| r.value.state().cloned());
    let settled = now.as_ref().ok().is_some_and(|r| {
        r.value
            .provisioning_state()
            .is_some_and(|p| p.is_terminal())
    });
    match state {
        Some(s) if settled && s == safe_state && s != new_state => {
            ctx.note(
                Some(step),
                NoteLevel::Warn,
                format!(
                    "the change failed ({error}) and the peering is still {s}: nothing to undo"
                ),
            )
            .await;
            if let Some(w) = watch.as_mut()
                && let Err(e) = w.resolved().await
            {
                tracing::warn!(error = %e, "could not release the detached guard");
            }
            GuardOutcome::NotApplied {
                detail: error.to_string(),
            }
        }
        other => {
            let seen = match (&other, &now) {
                (Some(s), _) => format!("the peering is now {s}"),
                (None, Err(e)) => format!("its state cannot be read ({e})"),
                (None, Ok(_)) => "its state is not shown".to_string(),
            };
            ctx.note(
                Some(step),
                NoteLevel::Error,
                format!("the change failed ({error}) and {seen}: rolling back to be sure"),
            )
            .await;
            roll_back(
                ctx,
                step,
                a.action.rollback,
                az,
                RollbackReason::VerificationFailed,
                settle_window(ctx, &a.action),
                watch,
            )
            .await
        }
    }
}

/// Sets the peering's state with a write of our own even when it already
/// reads so (see `rollback`), journaling every HTTP exchange as it happens.
/// For the rollback: nothing stops it, so its permit is never revoked.
async fn set_state<D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    step: &str,
    az: &A,
    state: PeeringState,
) -> Result<PeeringChange, ArmError>
where
    A: AzureApi,
{
    let (tx, mut rx) = unbounded_channel::<ArmAttempt>();
    let on_attempt = move |a: &ArmAttempt| {
        // The receiver lives until the call returns; a send cannot fail
        // before then.
        let _ = tx.send(a.clone());
    };
    let permit = SendPermit::new();
    let call = az.assert_peering_state(state, &on_attempt, &permit);
    tokio::pin!(call);
    let result = loop {
        tokio::select! {
            biased;
            Some(attempt) = rx.recv() => {
                let _ = ctx.sink.emit(Event::ActionAttempt { step: step.to_string(), attempt }).await;
            }
            r = &mut call => break r,
        }
    };
    while let Ok(attempt) = rx.try_recv() {
        let _ = ctx
            .sink
            .emit(Event::ActionAttempt {
                step: step.to_string(),
                attempt,
            })
            .await;
    }
    result
}

/// RFC 3339, UTC, milliseconds (the journal's timestamp form).
pub fn rfc3339_ms(t: OffsetDateTime) -> String {
    cutover_journal::line::format_ts(t)
}
