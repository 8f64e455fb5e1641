//! The guarded change: announced (write-ahead), applied, deadline armed,
//! verified, then confirmed by the operator — or undone.
//!
//! Invariant 2 (DESIGN.md): after the change, exactly one of: the operator
//! confirms in time, or the rollback runs (deadline passed, verification
//! failed, the operator asked, the console went away). The window is one
//! `select!` loop whose every exit is either `ConfirmHealthy` or a call to
//! the rollback, never both. A detached guard ([`super::detached`]) covers
//! the case where this process itself dies.
//!
//! Invariant 3: the rollback retries through throttling, conflicts and
//! transient errors (the ARM client retries each call; here the whole
//! rollback is retried a bounded number of times), and otherwise tells the
//! operator loudly, with the exact manual commands.

use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use time::OffsetDateTime;
use tokio::sync::mpsc::{Receiver, unbounded_channel};
use tokio::time::{Instant, sleep, sleep_until};

use cutover_core::session::command::Command;
use super::detached::{Watch, WatchRequest};
use cutover_core::session::event::{Event, NoteLevel, RollbackReason};
use super::expect::judge;
use super::gate::{GatePass, describe};
use super::probes::capture;
use super::runner::Ctx;
use cutover_core::model::azure::PeeringState;
use crate::port::trace::Tracer;
use crate::port::{ArmAttempt, ArmError, AzureApi, DeviceSession, PeeringChange};
use cutover_core::runbook::{ActionOp, ActionStep, Verify};

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
        | ArmError::Protocol(_) => false,
    }
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

/// How the note that announces a passed verification begins: from then on
/// the engine takes `ConfirmHealthy` (headless `--auto-confirm` answers it).
pub const VERIFIED_NOTE: &str = "verified:";

/// What the window loop is waiting for.
enum Phase {
    Verifying,
    AwaitingConfirm,
}

struct ItemResult {
    passed: bool,
    at: Instant,
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

    let deadline = ctx
        .config
        .deadline_override
        .unwrap_or(action.deadline.as_std());
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
        })
        .await
    {
        Ok(w) => w,
        Err(e) => {
            ctx.note(
                Some(step),
                NoteLevel::Warn,
                format!(
                    "the detached guard did not start ({e}): if this console dies now, nothing undoes the change; stay with it until it is confirmed or rolled back"
                ),
            )
            .await;
            None
        }
    };

    let applied = set_state(ctx, step, az, new_state.clone()).await;
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
        ctx.note(
            Some(step),
            NoteLevel::Warn,
            format!(
                "the detached guard is not answering ({e}): if this console dies now, nothing undoes the change; stay with it until it is confirmed or rolled back"
            ),
        )
        .await;
        watch = None;
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
            &mut watch,
        )
        .await;
    }

    let deadline_sleep = sleep_until(deadline_at);
    tokio::pin!(deadline_sleep);
    let verification = verify_all(ctx, step, &a.verify, done_at);
    tokio::pin!(verification);
    let mut phase = Phase::Verifying;
    let reason = loop {
        tokio::select! {
            biased;
            () = &mut deadline_sleep => break RollbackReason::DeadlinePassed,
            v = &mut verification, if matches!(phase, Phase::Verifying) => match v {
                Some(passed_at) => {
                    if !a.verify.is_empty() {
                        let millis = passed_at.saturating_duration_since(done_at).as_millis();
                        let _ = ctx
                            .sink
                            .emit(Event::Measurement {
                                step: step.to_string(),
                                name: if action.op.is_disruptive() { "failover" } else { "failback" }
                                    .to_string(),
                                millis: u64::try_from(millis).unwrap_or(u64::MAX),
                            })
                            .await;
                    }
                    ctx.note(
                        Some(step),
                        NoteLevel::Info,
                        format!("{VERIFIED_NOTE} confirm the new state is healthy before the deadline, or roll back"),
                    )
                    .await;
                    phase = Phase::AwaitingConfirm;
                }
                None => break RollbackReason::VerificationFailed,
            },
            cmd = commands.recv() => match cmd {
                // The console is gone: nobody can confirm any more.
                None => break RollbackReason::ConsoleLost,
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
                        break RollbackReason::DeadlinePassed;
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
                        break RollbackReason::VerificationFailed;
                    }
                    if let Some(w) = watch.as_mut()
                        && let Err(e) = w.resolved().await
                    {
                        tracing::warn!(error = %e, "could not tell the detached guard the change was confirmed");
                    }
                    return GuardOutcome::Confirmed;
                }
                Some(Command::Rollback { step: s }) if s == step => break RollbackReason::Operator,
                Some(Command::Quit) => break RollbackReason::Operator,
                Some(other) => {
                    ctx.note(
                        Some(step),
                        NoteLevel::Info,
                        format!("ignored while the change is guarded: {}", describe(&other)),
                    )
                    .await;
                }
            },
        }
    };
    roll_back(ctx, step, action.rollback, az, reason, &mut watch).await
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
                watch,
            )
            .await
        }
    }
}

/// Sets the peering's state, journaling every HTTP exchange as it happens.
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
    let call = az.set_peering_state(state, &on_attempt);
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

/// Runs every verification until all passed (`Some` with the moment the
/// last one passed) or one gave up (`None`, at once: there is no point in
/// waiting for the others).
async fn verify_all<D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    step: &str,
    items: &[Verify],
    since: Instant,
) -> Option<Instant>
where
    D: DeviceSession,
    A: AzureApi,
    L: Tracer,
{
    let mut running: FuturesUnordered<_> = items
        .iter()
        .map(|v| verify_one(ctx, step, v, since))
        .collect();
    let mut last = since;
    while let Some(r) = running.next().await {
        if !r.passed {
            return None;
        }
        last = last.max(r.at);
    }
    Some(last)
}

/// The clause name a verification reports under: the role makes two
/// verifications with the same clause text distinct.
pub fn verify_clause(v: &Verify, clause: &str) -> String {
    format!("{}: {clause}", v.probe.role)
}

async fn verify_one<D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    step: &str,
    v: &Verify,
    since: Instant,
) -> ItemResult
where
    D: DeviceSession,
    A: AzureApi,
    L: Tracer,
{
    let every = v
        .every
        .map_or(ctx.config.default_every, |d| d.as_std())
        .max(Duration::from_millis(100));
    let within = v.within.as_std();
    loop {
        let cap = capture(ctx.world, &v.probe).await;
        let judged = judge(&cap, &v.expect, &ctx.rules);
        ctx.emit_probe(step, &cap, &judged).await;
        let elapsed_ms = u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX);
        if judged.clauses.is_empty() {
            let _ = ctx
                .sink
                .emit(Event::VerifyResult {
                    step: step.to_string(),
                    clause: verify_clause(v, &v.probe.query.to_string()),
                    passed: judged.passed(),
                    evidence: judged.error.clone().unwrap_or_else(|| "answered".into()),
                    elapsed_ms,
                })
                .await;
        }
        for c in &judged.clauses {
            let _ = ctx
                .sink
                .emit(Event::VerifyResult {
                    step: step.to_string(),
                    clause: verify_clause(v, &c.clause),
                    passed: c.passed,
                    evidence: c.evidence.clone(),
                    elapsed_ms,
                })
                .await;
        }
        let now = Instant::now();
        if judged.passed() {
            return ItemResult {
                passed: true,
                at: now,
            };
        }
        let spent = now.saturating_duration_since(since);
        if spent >= within {
            return ItemResult {
                passed: false,
                at: now,
            };
        }
        sleep(every.min(within - spent)).await;
    }
}

/// RFC 3339, UTC, milliseconds (the journal's timestamp form).
pub fn rfc3339_ms(t: OffsetDateTime) -> String {
    cutover_journal::line::format_ts(t)
}
