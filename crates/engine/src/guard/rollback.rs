//! Undoing a guarded change (invariant 3): the ARM client retries each
//! call; here the whole rollback is retried a bounded number of times, and
//! when it still fails the operator is told loudly, with the exact manual
//! commands. The detached guard runs the same code.
//!
//! One read is never trusted: a write of the console's may still be on its
//! way to ARM (held by a slow path when the console died, or sent just
//! before an abort). So the rollback always writes, under the current
//! etag, which makes such a stale write fail with 412; then it watches the
//! peering for a settle window and writes again if it flips.

use std::time::Duration;

use time::OffsetDateTime;
use tokio::time::{Instant, sleep, sleep_until};

use super::{GuardOutcome, describe_change, rfc3339_ms, set_state};
use crate::detached::Watch;
use crate::port::trace::Tracer;
use crate::port::{ArmError, AzureApi, DeviceSession, PeeringChange};
use crate::runner::Ctx;
use cutover_core::model::azure::PeeringState;
use cutover_core::runbook::ActionOp;
use cutover_core::session::event::{Event, NoteLevel, RollbackReason, RollbackResult};

/// Flips within one rollback before the peering is handed to a person:
/// something keeps writing to it, and writing back forever hides that.
const MAX_REASSERTS: u32 = 5;
/// How often the settle window reads the peering (at most).
const SETTLE_POLL: Duration = Duration::from_secs(5);

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

/// Undoes a change with `rollback`, retrying per the session's policy,
/// then watches the peering for `settle`; every step is an event. Also
/// what the detached guard runs.
pub(crate) async fn roll_back<D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    step: &str,
    rollback: ActionOp,
    az: &A,
    reason: RollbackReason,
    settle: Duration,
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
    // `--settle` wins over whatever window the caller took from the
    // action, whichever path led here.
    let settle = ctx.config.settle_override.unwrap_or(settle);
    let state = PeeringState::from(rollback.peering_state());
    let outcome = match assert_retrying(ctx, step, az, &state).await {
        Some(first) => settle_down(ctx, step, az, &state, &first, settle, reason).await,
        None => GuardOutcome::RollbackFailed { reason },
    };
    if let Some(w) = watch.as_mut()
        && let Err(e) = w.resolved().await
    {
        tracing::warn!(error = %e, "could not tell the detached guard the rollback ended");
    }
    outcome
}

/// Watches the peering for `settle` after the rollback's write, writing
/// again (and starting the window again) whenever it reads otherwise.
async fn settle_down<D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    step: &str,
    az: &A,
    state: &PeeringState,
    first: &PeeringChange,
    settle: Duration,
    reason: RollbackReason,
) -> GuardOutcome
where
    D: DeviceSession,
    A: AzureApi,
    L: Tracer,
{
    let already = first.before.state() == Some(state);
    let result = match (already, state) {
        (false, _) => RollbackResult::RolledBack,
        (true, PeeringState::Disabled) => RollbackResult::AlreadyDisabled,
        (true, _) => RollbackResult::AlreadyEnabled,
    };
    let mut reasserts = 0;
    loop {
        let _ = ctx
            .sink
            .emit(Event::RollbackSettling {
                step: step.to_string(),
                seconds: settle.as_secs(),
                until: rfc3339_ms(OffsetDateTime::now_utc() + settle),
            })
            .await;
        let Some(seen) = flipped(az, state, Instant::now() + settle).await else {
            break;
        };
        reasserts += 1;
        if reasserts > MAX_REASSERTS {
            let manual = az.manual_commands(state.clone());
            let _ = ctx
                .sink
                .emit(Event::RollbackFailed {
                    step: step.to_string(),
                    error: format!(
                        "the peering went back to {seen} {reasserts} times after it was set to {state}: something else keeps writing to it"
                    ),
                    manual: manual.clone(),
                })
                .await;
            ctx.note(
                Some(step),
                NoteLevel::Error,
                format!(
                    "ROLLBACK FAILED: the peering keeps flipping to {seen}; find the other writer and set it to {state} by hand.\n  az CLI:     {}\n  PowerShell: {}",
                    manual.az_cli, manual.powershell
                ),
            )
            .await;
            return GuardOutcome::RollbackFailed { reason };
        }
        ctx.note(
            Some(step),
            NoteLevel::Warn,
            format!(
                "the peering reads {seen} during the settle window (a write still in flight landed, or someone else wrote): setting it to {state} again"
            ),
        )
        .await;
        if assert_retrying(ctx, step, az, state).await.is_none() {
            return GuardOutcome::RollbackFailed { reason };
        }
    }
    let detail = if already {
        let name = first.before.name.as_deref().unwrap_or("peering");
        format!(
            "{name} already read {state}: nothing to undo; re-asserted under its etag and watched {} s",
            settle.as_secs()
        )
    } else {
        format!("{}; watched {} s", describe_change(first), settle.as_secs())
    };
    let _ = ctx
        .sink
        .emit(Event::RollbackDone {
            step: step.to_string(),
            detail,
            outcome: Some(result),
            reasserts,
        })
        .await;
    GuardOutcome::RolledBack { reason }
}

/// Reads the peering until `until`; the state it read when that was not
/// `state`. A read that fails is not a flip: the write before it settled.
async fn flipped<A: AzureApi>(
    az: &A,
    state: &PeeringState,
    until: Instant,
) -> Option<PeeringState> {
    loop {
        let now = Instant::now();
        if now >= until {
            return None;
        }
        sleep_until((now + SETTLE_POLL).min(until)).await;
        match az.get_peering().await {
            Ok(r) => match r.value.state() {
                Some(s) if s != state => return Some(s.clone()),
                _ => {}
            },
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the peering during the settle window")
            }
        }
    }
}

/// Writes `state` under the current etag, retrying per the session's
/// policy; `None` once it failed for good (journaled, the operator told).
async fn assert_retrying<D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    step: &str,
    az: &A,
    state: &PeeringState,
) -> Option<PeeringChange>
where
    D: DeviceSession,
    A: AzureApi,
    L: Tracer,
{
    let policy = ctx.config.rollback;
    let attempts = policy.attempts.max(1);
    let mut backoff = policy.first_backoff;
    for attempt in 1..=attempts {
        match set_state(ctx, step, az, state.clone()).await {
            Ok(change) => return Some(change),
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
                return None;
            }
        }
    }
    None
}
