//! Undoing a guarded change (invariant 3): the ARM client retries each
//! call; here the whole rollback is retried a bounded number of times, and
//! when it still fails the operator is told loudly, with the exact manual
//! commands. The detached guard runs the same code.

use std::time::Duration;

use tokio::time::sleep;

use super::{GuardOutcome, describe_change, set_state};
use crate::detached::Watch;
use crate::port::trace::Tracer;
use crate::port::{ArmError, AzureApi, DeviceSession};
use crate::runner::Ctx;
use cutover_core::model::azure::PeeringState;
use cutover_core::runbook::ActionOp;
use cutover_core::session::event::{Event, NoteLevel, RollbackReason};

/// How many times, and how patiently, the engine repeats a rollback that
/// the ARM client gave up on with a retryable error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RollbackPolicy {
    /// Whole rollbacks, the first included (at least 1).
    pub attempts: u32,
    pub first_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for RollbackPolicy {
    fn default() -> Self {
        Self {
            attempts: 5,
            first_backoff: Duration::from_secs(5),
            max_backoff: Duration::from_secs(60),
        }
    }
}

/// Whether repeating the whole rollback (a fresh GET, a new PUT) can help.
/// A 412 means the peering changed since it was read: a fresh read fixes
/// that. Authentication, a missing or refused resource, or an answer the
/// client could not understand will not change by waiting.
pub fn retryable(e: &ArmError) -> bool {
    match e {
        ArmError::Throttled(_)
        | ArmError::Conflict(_)
        | ArmError::PreconditionFailed(_)
        | ArmError::OperationFailed(_)
        | ArmError::Timeout(_)
        | ArmError::Transport(_) => true,
        ArmError::Api { status, .. } => *status >= 500 || *status == 429 || *status == 409,
        ArmError::Auth(_)
        | ArmError::NotFound(_)
        | ArmError::Refused(_)
        | ArmError::Protocol(_)
        | ArmError::Cancelled(_) => false,
    }
}

/// Undoes a change with `rollback`, retrying per the session's policy;
/// every step is an event. Also what the detached guard runs.
pub(crate) async fn roll_back<D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    step: &str,
    rollback: ActionOp,
    az: &A,
    reason: RollbackReason,
    watch: &mut Option<Box<dyn Watch>>,
) -> GuardOutcome
where
    D: DeviceSession,
    A: AzureApi,
    L: Tracer,
{
    if let Some(w) = watch.as_mut()
        && let Err(e) = w.rolling_back().await
    {
        tracing::warn!(error = %e, "could not tell the detached guard a rollback is under way");
    }
    // The rollback goes out even when the journal has failed: the world
    // matters more than its record.
    let _ = ctx
        .sink
        .emit(Event::RollbackStarted {
            step: step.to_string(),
            reason,
            op: rollback.as_str().to_string(),
        })
        .await;
    let state = PeeringState::from(rollback.peering_state());
    let policy = ctx.config.rollback;
    let attempts = policy.attempts.max(1);
    let mut backoff = policy.first_backoff;
    let mut outcome = GuardOutcome::RollbackFailed { reason };
    for attempt in 1..=attempts {
        match set_state(ctx, step, az, state.clone()).await {
            Ok(change) => {
                let _ = ctx
                    .sink
                    .emit(Event::RollbackDone {
                        step: step.to_string(),
                        detail: describe_change(&change),
                    })
                    .await;
                outcome = GuardOutcome::RolledBack { reason };
                break;
            }
            Err(e) if retryable(&e) && attempt < attempts => {
                ctx.note(
                    Some(step),
                    NoteLevel::Warn,
                    format!(
                        "rollback attempt {attempt} of {attempts} failed ({e}); trying again in {} s",
                        backoff.as_secs()
                    ),
                )
                .await;
                sleep(backoff).await;
                backoff = (backoff * 2).min(policy.max_backoff);
            }
            Err(e) => {
                let manual = az.manual_commands(state.clone());
                let _ = ctx
                    .sink
                    .emit(Event::RollbackFailed {
                        step: step.to_string(),
                        error: format!("{e} (after {attempt} attempt(s))"),
                        manual: manual.clone(),
                    })
                    .await;
                ctx.note(
                    Some(step),
                    NoteLevel::Error,
                    format!(
                        "ROLLBACK FAILED: set the peering back to {state} by hand, now.\n  az CLI:     {}\n  PowerShell: {}",
                        manual.az_cli, manual.powershell
                    ),
                )
                .await;
                break;
            }
        }
    }
    if let Some(w) = watch.as_mut()
        && let Err(e) = w.resolved().await
    {
        tracing::warn!(error = %e, "could not tell the detached guard the rollback ended");
    }
    outcome
}
