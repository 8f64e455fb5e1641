//! Abort means abort (DESIGN.md invariant 2): while the disruptive change
//! is going out (the GET, the PUT, its backoff through 409 and 429, the
//! polling) the operator's commands are read as they come. An abort revokes the
//! change's [`SendPermit`], so no PUT leaves after it; then what ARM made
//! of the PUTs already sent decides:
//!
//! - none may have been accepted: the change is cancelled at once
//!   (`action_cancelled`, nothing to undo);
//! - one is on the wire: its answer decides (a refusal cancels, anything
//!   else counts as accepted);
//! - one was accepted, or its answer was lost: the change counts as
//!   applied and is rolled back at once.
//!
//! Lost traffic aborts the same way: once the test target has been
//! unreachable for `max_outage` (counted from the accepted PUT, see
//! `loss`), the permit is revoked and the change rolled back with
//! `traffic_lost`, even while ARM's operation still runs.

use std::time::Duration;

use tokio::sync::mpsc::Receiver;

use super::attempt::{Journaled, Sidelines};
use super::loss::LossWatch;
use super::{GuardOutcome, Undo, roll_back};
use crate::detached::Watch;
use crate::gate::describe;
use crate::port::trace::Tracer;
use crate::port::{
    ArmAttempt, ArmError, AzureApi, DeviceSession, PeeringChange, SendPermit, WriteStatus,
};
use crate::runner::Ctx;
use cutover_core::model::azure::PeeringState;
use cutover_core::runbook::ActionStep;
use cutover_core::session::command::Command;
use cutover_core::session::event::{Event, NoteLevel, RollbackReason};

/// How long the read that closes a cancelled change may take: it only
/// reports the state, and the operator asked to stop.
const CLOSING_READ: Duration = Duration::from_secs(30);

/// How the call that makes the change ended.
// One per change, moved once: boxing the change would buy nothing.
#[allow(clippy::large_enum_variant)]
pub(super) enum Applied {
    /// It ran to its end without an abort; what its writes amount to.
    Done(Result<PeeringChange, ArmError>, Writes),
    /// Aborted while no write may have been accepted: nothing changed.
    Cancelled {
        by: RollbackReason,
        /// Statuses of the PUTs ARM refused before the abort.
        refused: Vec<u16>,
    },
    /// Aborted after a write may have been accepted: undo it.
    AbortedAfterWrite {
        by: RollbackReason,
        /// The answer of the last PUT (0: none came).
        last: u16,
    },
}

/// What the writes of a change that ran to its end amount to.
#[derive(Debug, Clone, Copy)]
pub(super) struct Writes {
    /// The permit's word: whether ARM may have accepted a write.
    pub status: WriteStatus,
    /// A PUT went unanswered (lost, or a 5xx from a gateway in front of
    /// it): it may still be held on its way and land later.
    pub unanswered: bool,
    /// ARM answered a PUT with a 2xx: it took the write.
    pub accepted: bool,
}

impl Writes {
    /// Whether the call's failure is final: no write of the change can
    /// land after it, so one read tells where the peering stands. Only
    /// when none was accepted, or ARM itself said the operation failed
    /// and every PUT had its answer.
    pub(super) fn final_for(&self, error: &ArmError) -> bool {
        self.status == WriteStatus::NoneAccepted
            || (matches!(error, ArmError::OperationFailed(_)) && !self.unanswered)
    }
}

/// Sets the peering's state while reading the operator's commands:
/// every HTTP exchange is journaled as it happens, and an abort takes
/// effect at once. `stops`: what may stop the change while it goes out
/// (the operator's commands, and the loss clock); `None` for a restore.
pub(super) async fn apply<D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    step: &str,
    az: &A,
    state: PeeringState,
    stops: Option<(&mut Receiver<Command>, &LossWatch)>,
    seen: &(dyn Fn(&ArmAttempt) + Send + Sync),
) -> Applied
where
    A: AzureApi,
{
    let (commands, loss) = match stops {
        Some((c, l)) => (Some(c), Some(l)),
        None => (None, None),
    };
    let permit = SendPermit::new();
    let log = Journaled::new();
    let on_attempt = log.reporter(seen);
    let call = az.set_peering_state(state, &on_attempt, &permit);
    let mut side = Stops {
        ctx,
        step,
        commands,
        loss,
        permit: &permit,
        aborted: None,
        puts: Vec::new(),
    };
    // `None`: stopped by `side.aborted`; the permit says how.
    let result = log.drive(ctx, step, call, &mut side).await;
    let last = side.puts.last().copied().unwrap_or(0);
    let writes = Writes {
        status: permit.status(),
        unanswered: side.puts.iter().any(|s| *s == 0 || *s >= 500),
        accepted: side.puts.iter().any(|s| (200..300).contains(s)),
    };
    match (side.aborted, result) {
        (None, Some(r)) => Applied::Done(r, writes),
        // Cannot happen (the loop ends with a result or an abort); the
        // safe reading of it is "the change may be out".
        (None, None) => Applied::AbortedAfterWrite {
            by: RollbackReason::Operator,
            last,
        },
        // Nothing accepted: whatever the call said (the client's own
        // `Cancelled`, or a failure before any PUT), nothing changed. An
        // `Ok` without a PUT means the peering already read the new state:
        // that is out too, and undone like a change.
        (Some(by), r)
            if permit.status() == WriteStatus::NoneAccepted && !matches!(r, Some(Ok(_))) =>
        {
            Applied::Cancelled {
                by,
                refused: side.puts,
            }
        }
        (Some(by), _) => Applied::AbortedAfterWrite { by, last },
    }
}

/// Drives `call`, a write under `permit` that is not the peering's PUT
/// (the failover test's start), as `apply` drives the PUT: the
/// operator's commands and the loss clock are read while it goes out, and
/// an abort revokes `permit`. The call's result (`None`: dropped by the
/// abort; `permit` says what may have been accepted) and who aborted it.
pub(super) async fn drive_abortable<D, A, L, T>(
    ctx: &Ctx<'_, D, A, L>,
    step: &str,
    log: Journaled,
    call: impl std::future::Future<Output = T>,
    (commands, loss): (&mut Receiver<Command>, &LossWatch),
    permit: &SendPermit,
) -> (Option<T>, Option<RollbackReason>) {
    let mut side = Stops {
        ctx,
        step,
        commands: Some(commands),
        loss: Some(loss),
        permit,
        aborted: None,
        puts: Vec::new(),
    };
    let result = log.drive(ctx, step, call, &mut side).await;
    (result, side.aborted)
}

/// What may stop the change while it goes out.
struct Stops<'s, 'c, D, A, L> {
    ctx: &'s Ctx<'c, D, A, L>,
    step: &'s str,
    commands: Option<&'s mut Receiver<Command>>,
    loss: Option<&'s LossWatch>,
    permit: &'s SendPermit,
    aborted: Option<RollbackReason>,
    /// The answers to the PUTs sent (0: none read).
    puts: Vec<u16>,
}

enum StopCue {
    /// `None`: the console is gone.
    Command(Option<Command>),
    /// The traffic has been lost for `max_outage`.
    Loss,
}

impl<D, A, L> Sidelines for Stops<'_, '_, D, A, L> {
    type Cue = StopCue;

    fn next(&mut self) -> impl std::future::Future<Output = StopCue> {
        let done = self.aborted.is_some();
        let commands = &mut self.commands;
        let loss = self.loss;
        async move {
            if done {
                return std::future::pending().await;
            }
            // A command already queued is read first: an abort typed
            // while the guard started sends nothing at all.
            tokio::select! {
                biased;
                Some(c) = next_command(commands) => StopCue::Command(c),
                () = loss_due(loss) => StopCue::Loss,
            }
        }
    }

    async fn handle(&mut self, cue: StopCue) {
        match cue {
            StopCue::Command(cmd) => {
                if let Some(by) = abort_asked(self.ctx, self.step, cmd).await {
                    self.permit.revoke();
                    self.aborted = Some(by);
                }
            }
            // The loss clock starts only at an accepted PUT, so this is
            // always an abort after a write: the change counts as applied
            // and is rolled back now.
            StopCue::Loss => {
                if let Some(l) = self.loss {
                    l.tell_rollback(self.ctx, self.step, true).await;
                }
                self.permit.revoke();
                self.aborted = Some(RollbackReason::TrafficLost);
            }
        }
    }

    fn stop(&self) -> bool {
        // The PUT on the wire answers soon (the client's request timeout
        // bounds it); its answer decides.
        self.aborted.is_some()
            && matches!(
                self.permit.status(),
                WriteStatus::NoneAccepted | WriteStatus::MayBeAccepted
            )
    }

    fn seen(&mut self, attempt: &ArmAttempt) {
        if attempt.method == "PUT" {
            self.puts.push(attempt.status);
        }
    }
}

/// When `loss` says the traffic has been lost too long (`None` never).
async fn loss_due(loss: Option<&LossWatch>) {
    match loss {
        Some(l) => l.due().await,
        None => std::future::pending().await,
    }
}

/// The next command, read only when the change is abortable (`None`
/// never resolves). `Some(None)`: the console is gone.
async fn next_command(commands: &mut Option<&mut Receiver<Command>>) -> Option<Option<Command>> {
    match commands {
        Some(rx) => Some(rx.recv().await),
        None => std::future::pending().await,
    }
}

/// Whether `cmd`, read while the change goes out, stops it (and who asked).
async fn abort_asked<D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    step: &str,
    cmd: Option<Command>,
) -> Option<RollbackReason> {
    match cmd {
        // The console is gone: nobody could confirm the change.
        None => Some(RollbackReason::ConsoleLost),
        Some(Command::Rollback { step: s }) if s == step => Some(RollbackReason::Operator),
        Some(Command::Quit) => Some(RollbackReason::Operator),
        Some(other) => {
            ctx.note(
                Some(step),
                NoteLevel::Info,
                format!("ignored while the change goes out: {}", describe(&other)),
            )
            .await;
            None
        }
    }
}

/// Ends a change that was stopped before any write was accepted: reads
/// the peering to say where it stands, journals `action_cancelled`, and
/// releases the detached guard (there is nothing for it to undo).
pub(super) async fn cancelled<D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    step: &str,
    a: &ActionStep,
    az: &A,
    by: RollbackReason,
    refused: &[u16],
    watch: &mut Option<Box<dyn Watch>>,
) -> GuardOutcome
where
    D: DeviceSession,
    A: AzureApi,
    L: Tracer,
{
    let safe_state = PeeringState::from(a.action.rollback.peering_state());
    let sent = match refused {
        [] => "no PUT had been sent".to_string(),
        list => format!(
            "{} PUT{} sent, none accepted ({})",
            list.len(),
            if list.len() == 1 { "" } else { "s" },
            list.iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let read = tokio::time::timeout(CLOSING_READ, az.get_peering()).await;
    let (seen, safe) = match &read {
        Ok(Ok(r)) => {
            let state = r.value.state().cloned();
            let prov = r
                .value
                .provisioning_state()
                .map_or_else(|| "?".to_string(), |p| p.to_string());
            let shown = state
                .as_ref()
                .map_or_else(|| "?".to_string(), |s| s.to_string());
            (
                format!("the peering reads {shown} (provisioningState {prov})"),
                state.is_none_or(|s| s == safe_state),
            )
        }
        Ok(Err(e)) => (format!("the peering could not be read ({e})"), true),
        Err(_) => (
            format!(
                "the peering could not be read within {} s",
                CLOSING_READ.as_secs()
            ),
            true,
        ),
    };
    let detail = format!("{sent}; nothing was sent after the abort; {seen}");
    let _ = ctx
        .sink
        .emit(Event::ActionCancelled {
            step: step.to_string(),
            op: a.action.op.as_str().to_string(),
            reason: by,
            detail: detail.clone(),
        })
        .await;
    if let Some(w) = watch.as_mut()
        && let Err(e) = w.resolved().await
    {
        tracing::warn!(error = %e, "could not release the detached guard");
    }
    if !safe {
        // Not this change (no write of it was accepted), yet the peering
        // is not where the procedure needs it: someone must look.
        let manual = az.manual_commands(safe_state.clone());
        ctx.note(
            Some(step),
            NoteLevel::Error,
            format!(
                "the change was cancelled, but {seen}, not {safe_state}: set it back by hand.\n  az CLI:     {}\n  PowerShell: {}",
                manual.az_cli, manual.powershell
            ),
        )
        .await;
    }
    GuardOutcome::Cancelled { detail, safe }
}

/// Aborted once a write may have been accepted: the change counts as
/// applied, and the rollback starts now. `(by, last)`: who stopped it and
/// the answer of the last PUT (0: none came).
pub(super) async fn undo_aborted<D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    step: &str,
    a: &ActionStep,
    az: &A,
    (by, last): (RollbackReason, u16),
    how: Undo<'_>,
    watch: &mut Option<Box<dyn Watch>>,
) -> GuardOutcome
where
    D: DeviceSession,
    A: AzureApi,
    L: Tracer,
{
    let answer = match last {
        0 => "its answer was lost".to_string(),
        s => format!("ARM answered {s}"),
    };
    // A loss has said why in its own note.
    if by != RollbackReason::TrafficLost {
        ctx.note(
            Some(step),
            NoteLevel::Warn,
            format!(
                "aborted after a PUT may have been accepted ({answer}): it counts as applied; rolling back now"
            ),
        )
        .await;
    }
    roll_back(ctx, step, a.action.rollback, az, by, how, watch).await
}
