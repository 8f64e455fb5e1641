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
//! transient errors until it succeeds, the operator takes over or its
//! budget is spent (`rollback`); one that keeps failing is escalated to
//! the operator at once, with the exact manual commands (`escalate`).
//! Every ARM write of a change, the change's and the rollback's, goes
//! through one driver that journals each exchange as it happens
//! (`attempt`).

mod abort;
mod attempt;
mod bounds;
mod escalate;
mod failed;
mod keeper;
mod loss;
mod measure;
mod rollback;
mod test_run;
mod test_stop;
mod verify;
mod window;

use time::OffsetDateTime;
use tokio::sync::mpsc::Receiver;
use tokio::time::Instant;

use crate::detached::{Watch, WatchRequest};
use crate::gate::GatePass;
use crate::port::trace::Tracer;
use crate::port::{ArmAttempt, ArmError, AzureApi, DeviceSession, PeeringChange, SendPermit};
use crate::runner::Ctx;
use cutover_core::azure_call::JournaledTest;
use cutover_core::model::azure::PeeringState;
use cutover_core::runbook::{ActionOp, ActionStep};
use cutover_core::session::command::Command;
use cutover_core::session::event::{Event, NoteLevel, RollbackReason};

pub use escalate::{ESCALATE_AFTER, SILENCE};
pub use rollback::{RollbackPolicy, retryable};
pub(crate) use rollback::{Undo, roll_back};
pub use verify::verify_clause;

pub use bounds::MAX_SETTLE;
use bounds::{LONGEST_DEADLINE, countable, undo};
pub(crate) use bounds::{budget_window, settle_window};

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
    let mut d = format!(
        "{name}: {} -> {} (provisioningState {prov})",
        st(&c.before),
        st(&c.after)
    );
    for n in &c.notes {
        d.push_str("; ");
        d.push_str(n);
    }
    d
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
    if action.op.is_failover_test() {
        return test_run::run(ctx, step, a, az, deadline, commands).await;
    }

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
            budget: budget_window(ctx, action),
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
    let (applied, writes) = match clock.while_applying(ctx, &a.verify, &loss, call).await {
        abort::Applied::Done(r, w) => (r, w),
        abort::Applied::Cancelled { by, refused } => {
            return abort::cancelled(ctx, step, a, az, by, &refused, &mut watch).await;
        }
        abort::Applied::AbortedAfterWrite { by, last } => {
            let how = undo(ctx, action, Some(commands));
            return abort::undo_aborted(ctx, step, a, az, (by, last), how, &mut watch).await;
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
            let failure = failed::Failure { error: e, writes };
            return failed::after_failed_action(ctx, step, a, az, failure, commands, &mut watch)
                .await;
        }
    };

    // The deadline counts from the change, for the guard as for us.
    let g = keeper::Guarded {
        step,
        rollback: action.rollback,
        deadline,
        deadline_at: done_at + deadline,
        settle: settle_window(ctx, action),
        budget: budget_window(ctx, action),
    };
    if !keeper::tell_applied(ctx, g, &mut watch).await {
        // The guard rolled back while this console was silent past the
        // deadline (frozen, not gone), and this change went out after
        // that: nothing guards it now, and the deadline is long gone.
        ctx.note(
            Some(step),
            NoteLevel::Error,
            "the detached guard already rolled this change back while this console was silent past the deadline, and the change went out again after that: rolling it back now".into(),
        )
        .await;
        let how = undo(ctx, action, Some(commands));
        let reason = RollbackReason::DeadlinePassed;
        return roll_back(ctx, step, action.rollback, az, reason, how, &mut watch).await;
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
        let how = undo(ctx, action, Some(commands));
        let reason = RollbackReason::JournalFailed;
        return roll_back(ctx, step, action.rollback, az, reason, how, &mut watch).await;
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
            let how = undo(ctx, action, Some(commands));
            roll_back(ctx, step, action.rollback, az, reason, how, &mut watch).await
        }
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

/// Sets the peering's state with a write of our own even when it already
/// reads so (see `rollback`), journaling every HTTP exchange as it happens.
/// For the rollback: nothing stops it (its permit is never revoked) but
/// `side` (the operator taking over, the budget); `None` when that did.
async fn set_state<D, A, L, S>(
    ctx: &Ctx<'_, D, A, L>,
    step: &str,
    az: &A,
    state: PeeringState,
    side: &mut S,
    seen: &(dyn Fn(&ArmAttempt) + Send + Sync),
) -> Option<Result<PeeringChange, ArmError>>
where
    A: AzureApi,
    S: attempt::Sidelines,
{
    let log = attempt::Journaled::new();
    let on_attempt = log.reporter(seen);
    let permit = SendPermit::new();
    let call = az.assert_peering_state(state, &on_attempt, &permit);
    log.drive(ctx, step, call, side).await
}

/// The detached guard's stop of a failover test: `known` is the test its
/// console journaled (the gateway and peering location, or the circuit
/// and link) and, once started, its id.
pub(crate) async fn roll_back_failover_test<D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    step: &str,
    rollback: ActionOp,
    az: &A,
    known: Option<(JournaledTest, Option<String>)>,
    reason: RollbackReason,
    how: Undo<'_>,
) -> GuardOutcome
where
    D: DeviceSession,
    A: AzureApi,
    L: Tracer,
{
    let t = known.and_then(|(j, id)| {
        let target = match &j.link {
            Some(link) => az.link_failover_test_target(&j.resource, link)?,
            None => az.failover_test_target(&j.resource)?,
        };
        Some(test_stop::TestRef {
            target,
            location: j.location,
            id,
            since: None,
        })
    });
    test_stop::roll_back_test(ctx, step, rollback, az, t.as_ref(), reason, how, &mut None).await
}

/// RFC 3339, UTC, milliseconds (the journal's timestamp form).
pub fn rfc3339_ms(t: OffsetDateTime) -> String {
    cutover_journal::line::format_ts(t)
}
