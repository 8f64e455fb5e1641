//! The change's own call failed: find out whether anything changed before
//! deciding between "nothing to undo" and the rollback (DESIGN.md
//! invariant 2: the guard is never released while a write of the change
//! may still land).
//!
//! One read decides only when the failure is final: no write was
//! accepted, or ARM said the operation failed and every PUT had its
//! answer. Otherwise (an answer lost, a 5xx, an operation that reported
//! success while the peering kept reading the old state, a timeout) a
//! held write may land after any read: the change is rolled back, which
//! re-asserts the old state under the current etag (so the held write
//! meets a 412) and watches the peering for the settle window.

use tokio::sync::mpsc::Receiver;
use tokio::time::Instant;

use super::abort::Writes;
use super::bounds::undo;
use super::{GuardOutcome, roll_back};
use crate::detached::Watch;
use crate::port::trace::Tracer;
use crate::port::{ArmError, AzureApi, DeviceSession};
use crate::runner::Ctx;
use cutover_core::model::azure::PeeringState;
use cutover_core::runbook::ActionStep;
use cutover_core::session::command::Command;
use cutover_core::session::event::{NoteLevel, RollbackReason};

/// How the change's call failed.
pub(super) struct Failure<'e> {
    pub error: &'e ArmError,
    pub writes: Writes,
}

pub(super) async fn after_failed_action<D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    step: &str,
    a: &ActionStep,
    az: &A,
    failure: Failure<'_>,
    commands: &mut Receiver<Command>,
    watch: &mut Option<Box<dyn Watch>>,
) -> GuardOutcome
where
    D: DeviceSession,
    A: AzureApi,
    L: Tracer,
{
    let error = failure.error;
    let new_state = PeeringState::from(a.action.op.peering_state());
    let safe_state = PeeringState::from(a.action.rollback.peering_state());
    let asked = Instant::now();
    let now = az.get_peering().await;
    let why = "after the failed change";
    crate::runner::journal_peering_read(ctx, step, why, &now, asked.elapsed()).await;
    let state = now.as_ref().ok().and_then(|r| r.value.state().cloned());
    let settled = now.as_ref().ok().is_some_and(|r| {
        r.value
            .provisioning_state()
            .is_some_and(|p| p.is_terminal())
    });
    let unchanged = matches!(&state, Some(s) if settled && *s == safe_state && *s != new_state);
    if unchanged && failure.writes.final_for(error) {
        let s = &safe_state;
        ctx.note(
            Some(step),
            NoteLevel::Warn,
            format!("the change failed ({error}) and the peering is still {s}: nothing to undo"),
        )
        .await;
        if let Some(w) = watch.as_mut()
            && let Err(e) = w.resolved().await
        {
            tracing::warn!(error = %e, "could not release the detached guard");
        }
        return GuardOutcome::NotApplied {
            detail: error.to_string(),
        };
    }
    let seen = match (&state, &now) {
        (Some(s), _) if unchanged => {
            format!("the peering reads {s}, but a write of the change may still land")
        }
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
    let mut how = undo(ctx, &a.action, Some(commands));
    // A rollback that finds the peering as it was says `not_applied`
    // unless ARM took a write of the change (a lost or 5xx answer that
    // the rollback's own write then fenced off did not change it).
    how.change_seen = failure.writes.accepted;
    roll_back(
        ctx,
        step,
        a.action.rollback,
        az,
        RollbackReason::ChangeFailed,
        how,
        watch,
    )
    .await
}
