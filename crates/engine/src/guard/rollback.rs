//! Undoing a guarded change (invariant 3): the ARM client retries each
//! call; here the whole rollback is retried until it succeeds, the
//! operator takes over or the rollback budget is spent. A rollback that
//! keeps failing is escalated at once (`escalate`), and one that gives up
//! tells the operator loudly, with the exact manual commands. The
//! detached guard runs the same code.
//!
//! One read is never trusted: a write of the console's may still be on its
//! way to ARM (held by a slow path when the console died, or sent just
//! before an abort). So the rollback always writes, under the current
//! etag, which makes such a stale write fail with 412; then it watches the
//! peering for a settle window and writes again if it flips.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::mpsc::Receiver;
use tokio::time::{Instant, sleep_until};

use super::escalate::Escalation;
use super::{GuardOutcome, describe_change, rfc3339_ms, set_state};
use crate::detached::Watch;
use crate::port::trace::Tracer;
use crate::port::{ArmAttempt, ArmError, AzureApi, DeviceSession, PeeringChange};
use crate::runner::Ctx;
use cutover_core::model::azure::PeeringState;
use cutover_core::runbook::ActionOp;
use cutover_core::session::command::Command;
use cutover_core::session::event::{Event, NoteLevel, RollbackReason, RollbackResult};

/// Flips within one rollback before the peering is handed to a person:
/// something keeps writing to it, and writing back forever hides that.
const MAX_REASSERTS: u32 = 5;
/// How often the settle window reads the peering (at most).
const SETTLE_POLL: Duration = Duration::from_secs(5);

/// How patiently the engine repeats a rollback that the ARM client gave
/// up on with a retryable error (how long: the rollback budget).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RollbackPolicy {
    /// Failed attempts after which the rollback is escalated whatever the
    /// time (at least 1; see `escalate::ESCALATE_AFTER`).
    pub attempts: u32,
    pub first_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for RollbackPolicy {
    fn default() -> Self {
        Self {
            attempts: 5,
            first_backoff: Duration::from_secs(5),
            // The operator is told when the next attempt goes out: not
            // minutes away.
            max_backoff: Duration::from_secs(30),
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
        | ArmError::NotSettled(_)
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

/// How a rollback runs, besides what it undoes.
pub(crate) struct Undo<'c> {
    /// How long the peering is watched after the write.
    pub settle: Duration,
    /// How long failing writes are retried before the peering is left to
    /// the operator.
    pub budget: Duration,
    /// The operator's commands (`takeover` ends the retries); `None` when
    /// nobody is there (the detached guard).
    pub commands: Option<&'c mut Receiver<Command>>,
    /// Whether a write of the change may have been accepted. `false`: a
    /// rollback that finds the peering as wanted says `not_applied`.
    pub change_seen: bool,
}

/// Undoes a change with `rollback`, retrying until it succeeds, the
/// operator takes over or the budget is spent (escalating meanwhile),
/// then watches the peering for the settle window; every step is an
/// event. Also what the detached guard runs.
pub(crate) async fn roll_back<D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    step: &str,
    rollback: ActionOp,
    az: &A,
    reason: RollbackReason,
    how: Undo<'_>,
    watch: &mut Option<Box<dyn Watch>>,
) -> GuardOutcome
where
    D: DeviceSession,
    A: AzureApi,
    L: Tracer,
{
    // A failover test is undone by a stop, not a peering write (the
    // console and the detached guard call `test_stop` with where the test
    // runs; here nothing says where, which the stop reports).
    if rollback.is_failover_test() {
        return super::test_stop::roll_back_test(ctx, step, rollback, az, None, reason, how, watch)
            .await;
    }
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
    // `--settle` and `--rollback-budget` win over whatever the caller
    // took from the action, whichever path led here.
    // Bounded like a runbook's `settle`: a caller's odd value must not
    // overflow the window's clock.
    let settle = ctx
        .config
        .settle_override
        .unwrap_or(how.settle)
        .min(super::bounds::MAX_SETTLE);
    let budget = ctx.config.rollback_budget_override.unwrap_or(how.budget);
    let state = PeeringState::from(rollback.peering_state());
    let manual = az.manual_commands(state.clone());
    let mut esc = Escalation::new(ctx, step, manual, budget, how.commands);
    let track = Track::default();
    let outcome = match assert_retrying(ctx, step, az, &state, &mut esc, &track).await {
        Some(first) => {
            let found = Found {
                first: &first,
                change_seen: how.change_seen || track.saw_other.load(Ordering::Relaxed),
                moved: track.moved.load(Ordering::Relaxed),
            };
            settle_down(ctx, step, az, &state, found, settle, reason, &mut esc).await
        }
        None => GuardOutcome::RollbackFailed { reason },
    };
    if let Some(w) = watch.as_mut()
        && let Err(e) = w.resolved().await
    {
        tracing::warn!(error = %e, "could not tell the detached guard the rollback ended");
    }
    outcome
}

/// What the rollback's writes found.
struct Found<'a> {
    /// The call that succeeded.
    first: &'a PeeringChange,
    change_seen: bool,
    /// A write of the rollback that changed the state may have been
    /// accepted, in any of its calls (one that failed after its write
    /// went through, say).
    moved: bool,
}

/// What the rollback's writes found, across all its calls: a call that
/// fails returns no `before`, but its PUT's record says what it was
/// written over.
#[derive(Debug, Default)]
struct Track {
    /// A write was made over a state other than the wanted one.
    saw_other: AtomicBool,
    /// ... and it may have been accepted (the permit's rule: only a 4xx
    /// is a refusal).
    moved: AtomicBool,
}

impl Track {
    fn observe(&self, a: &ArmAttempt, state: &PeeringState) {
        let Some(w) = a.write.as_ref().filter(|_| a.method == "PUT") else {
            return;
        };
        let over_other = w.changes.iter().any(|c| {
            c.field == "properties.state"
                && c.to == state.as_str()
                && c.from.as_deref().is_some_and(|f| f != state.as_str())
        });
        if over_other {
            self.saw_other.store(true, Ordering::Relaxed);
            if !(400..500).contains(&a.status) {
                self.moved.store(true, Ordering::Relaxed);
            }
        }
    }
}

/// Watches the peering for `settle` after the rollback's write, writing
/// again (and starting the window again) whenever it reads otherwise.
#[allow(clippy::too_many_arguments)]
async fn settle_down<D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    step: &str,
    az: &A,
    state: &PeeringState,
    found: Found<'_>,
    settle: Duration,
    reason: RollbackReason,
    esc: &mut Escalation<'_, '_, D, A, L>,
) -> GuardOutcome
where
    D: DeviceSession,
    A: AzureApi,
    L: Tracer,
{
    let first = found.first;
    let already = first.before.state() == Some(state) && !found.moved;
    let mut result = match (already, found.change_seen, state) {
        (false, _, _) => RollbackResult::RolledBack,
        (true, false, _) => RollbackResult::NotApplied,
        (true, true, PeeringState::Disabled) => RollbackResult::AlreadyDisabled,
        (true, true, _) => RollbackResult::AlreadyEnabled,
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
        let track = Track::default();
        if assert_retrying(ctx, step, az, state, esc, &track)
            .await
            .is_none()
        {
            return GuardOutcome::RollbackFailed { reason };
        }
        // A write did land after the first one: whatever that one found,
        // the peering was set back.
        result = RollbackResult::RolledBack;
    }
    let detail = if reasserts > 0 {
        let name = first.before.name.as_deref().unwrap_or("peering");
        format!(
            "{name} was set to {state}, read otherwise {reasserts} time(s) during the settle window (a write still on its way landed, or another writer) and was set back each time; watched {} s",
            settle.as_secs()
        )
    } else if already && !found.change_seen {
        let name = first.before.name.as_deref().unwrap_or("peering");
        format!(
            "{name} read {state} and no write of the change was seen accepted: the change had not gone out; re-asserted under its etag and watched {} s",
            settle.as_secs()
        )
    } else if already {
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

/// Writes `state` under the current etag, retrying until it succeeds,
/// the operator takes over or the budget is spent (escalating meanwhile);
/// `None` once it failed for good (journaled, the operator told).
async fn assert_retrying<D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    step: &str,
    az: &A,
    state: &PeeringState,
    esc: &mut Escalation<'_, '_, D, A, L>,
    track: &Track,
) -> Option<PeeringChange>
where
    D: DeviceSession,
    A: AzureApi,
    L: Tracer,
{
    let policy = ctx.config.rollback;
    let mut backoff = policy.first_backoff;
    let mut calls = 0u32;
    let seen = |a: &ArmAttempt| track.observe(a, state);
    esc.new_write();
    let failure = loop {
        calls = calls.saturating_add(1);
        esc.begin_call();
        let Some(result) = set_state(ctx, step, az, state.clone(), esc, &seen).await else {
            break None;
        };
        match result {
            Ok(change) => return Some(change),
            Err(e) if retryable(&e) => {
                esc.call_failed(&e, backoff);
                ctx.note(
                    Some(step),
                    NoteLevel::Warn,
                    format!(
                        "rollback attempt {calls} failed ({e}); trying again in {} s",
                        backoff.as_secs()
                    ),
                )
                .await;
                if !esc.pause(backoff).await {
                    break None;
                }
                backoff = (backoff * 2).min(policy.max_backoff);
            }
            Err(e) => break Some(format!("{e} (after {calls} attempt(s))")),
        }
    };
    let error = failure.unwrap_or_else(|| esc.gave_up());
    let manual = az.manual_commands(state.clone());
    let _ = ctx
        .sink
        .emit(Event::RollbackFailed {
            step: step.to_string(),
            error,
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
    None
}
