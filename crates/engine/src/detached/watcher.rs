//! The guard's end: the `cutover guard` process's whole life, from `ready`
//! to its release or its rollback, and the record it leaves.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use super::journal::{
    TAKEOVER_CONFIRMED, TAKEOVER_CONSOLE_LOST, TAKEOVER_DEADLINE, TAKEOVER_TEST_CONFIRMED,
    change_seen, end_text, open_journal, sidecar,
};
use super::{ACK, APPLIED, CONFIRM, DENIED, GRANTED, NoWatchdog, READY, RESOLVED, ROLLBACK};
use crate::guard::{GuardOutcome, RollbackPolicy, Undo, roll_back};
use crate::port::{AzureApi, CommandOutput, DeviceError, DeviceSession};
use crate::probes::{NoLocalTracer, World};
use crate::runner::{Ctx, SessionConfig};
use crate::sink::{EventLog, EventSink};
use cutover_core::runbook::ActionOp;
use cutover_core::session::Outcome;
use cutover_core::session::event::{Event, Mode, NoteLevel, RollbackReason, RollbackResult};
use cutover_journal::Redactor;

/// What the guard process is told on its command line.
#[derive(Debug, Clone)]
pub struct GuardParams {
    pub step: String,
    pub rollback: ActionOp,
    /// Provisional until the console says `applied`; then `deadline`
    /// from that moment.
    pub deadline_at: Instant,
    pub deadline: Duration,
    pub grace: Duration,
    pub policy: RollbackPolicy,
    /// How long the rollback watches the peering after its write.
    pub settle: Duration,
    /// How long a failing rollback retries before the operator must act.
    pub budget: Duration,
    pub journal: PathBuf,
}

/// How the guard ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuardEnd {
    /// The console confirmed the change, or resolved it itself.
    Released,
    /// The console was gone and the journal shows the change resolved.
    AlreadyResolved,
    /// The guard rolled back (`ok`: successfully).
    RolledBack { ok: bool, reason: RollbackReason },
}

impl GuardEnd {
    pub fn outcome(&self) -> Outcome {
        match self {
            GuardEnd::Released | GuardEnd::AlreadyResolved => Outcome::Completed,
            GuardEnd::RolledBack { ok: true, .. } => Outcome::RolledBack,
            GuardEnd::RolledBack { ok: false, .. } => Outcome::OperatorMustAct,
        }
    }

    pub fn exit_code(&self) -> u8 {
        self.outcome().exit_code()
    }
}

/// A device type for a world with no devices (the guard only talks to
/// Azure).
#[derive(Debug)]
enum NoDevice {}

impl DeviceSession for NoDevice {
    fn role(&self) -> &str {
        match *self {}
    }
    async fn run(&self, _command: &str) -> Result<CommandOutput, DeviceError> {
        match *self {}
    }
}

#[derive(Debug, PartialEq, Eq)]
enum St {
    Armed,
    Confirmed,
    ConsoleRollingBack,
    /// Acted while the console was silent; the events wait for the journal.
    Acted,
}

/// The guard's whole life: watches `input` until the console resolves the
/// change, dies or hangs, and rolls back through `azure` when it must.
pub async fn watch_over<A, R, W>(
    azure: A,
    input: R,
    mut output: W,
    params: GuardParams,
    redactor: Arc<Redactor>,
) -> GuardEnd
where
    A: AzureApi + 'static,
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let world = World::<NoDevice, A, NoLocalTracer>::new(Default::default(), Some(azure), None);
    let mut config = SessionConfig::new(Mode::Run);
    config.rollback = params.policy;
    config.monitor = false;
    say(&mut output, READY).await;
    let mut lines = input.lines();
    let mut st = St::Armed;
    let mut kept: Vec<Event> = Vec::new();
    let silent_until = sleep_until(later(params.deadline_at, params.grace));
    tokio::pin!(silent_until);
    loop {
        tokio::select! {
            () = &mut silent_until, if st == St::Armed => {
                tracing::warn!(
                    step = %params.step,
                    "the console said nothing {} s past the deadline: rolling back now",
                    params.grace.as_secs()
                );
                let (tx, mut rx) = mpsc::unbounded_channel();
                let sink = EventSink::new(None, vec![tx]);
                let outcome = act(&world, &sink, &config, &params, RollbackReason::DeadlinePassed).await;
                drop(sink);
                while let Some(e) = rx.recv().await {
                    kept.push(e);
                }
                tracing::warn!(step = %params.step, ?outcome, "the guard's rollback of a silent console ended");
                st = St::Acted;
            }
            line = lines.next_line() => match line {
                Ok(Some(l)) => match l.trim() {
                    // The guard already rolled back while the console was
                    // silent, and a write of the console's went out after
                    // that (it was frozen, not gone): refused, so the
                    // console undoes it at once rather than believe it is
                    // guarded by a guard whose timer is off.
                    APPLIED if st == St::Acted => say(&mut output, DENIED).await,
                    APPLIED => {
                        if st == St::Armed {
                            silent_until
                                .as_mut()
                                .reset(later(later(Instant::now(), params.deadline), params.grace));
                        }
                        say(&mut output, ACK).await;
                    }
                    CONFIRM => {
                        if matches!(st, St::Armed | St::Confirmed) {
                            st = St::Confirmed;
                            say(&mut output, GRANTED).await;
                        } else {
                            say(&mut output, DENIED).await;
                        }
                    }
                    ROLLBACK => {
                        // Also after a granted confirmation: the console
                        // undoes the change when it could not record that
                        // confirmation, and dying then must not leave the
                        // change standing as confirmed.
                        if matches!(st, St::Armed | St::Confirmed) {
                            st = St::ConsoleRollingBack;
                        }
                        say(&mut output, ACK).await;
                    }
                    RESOLVED => {
                        if st == St::Acted {
                            // The console was frozen, not gone: the journal
                            // is its own again, so the guard's rollback is
                            // kept beside it, where the reader merges it.
                            tracing::warn!(
                                step = %params.step,
                                "the console resolved the change itself after the guard's rollback; the guard's events go to its sidecar journal"
                            );
                            keep_beside(&params, &redactor, std::mem::take(&mut kept));
                        }
                        return GuardEnd::Released;
                    }
                    _ => {}
                },
                // The console is gone.
                Ok(None) | Err(_) => break,
            },
        }
    }
    // A confirmed failover test is not over until the stop carrying the
    // verdict has ended: the console says `resolved` only then.
    let confirmed_resolves = !(st == St::Confirmed && params.rollback.is_failover_test());
    let journal = open_journal(&params, &redactor, confirmed_resolves);
    let journal = match journal {
        Ok(Some(j)) => j,
        Ok(None) => return GuardEnd::AlreadyResolved,
        Err(e) => {
            tracing::warn!(error = %e, "the session's journal cannot be continued");
            match sidecar(&params, &redactor) {
                Ok(j) => j,
                Err(e2) => {
                    // Nowhere to write: the world still comes first.
                    tracing::error!(error = %e2, "no journal at all: rolling back unrecorded");
                    let (tx, _rx) = mpsc::unbounded_channel();
                    let sink = EventSink::new(None, vec![tx]);
                    return finish(&world, &sink, &config, &params, st).await;
                }
            }
        }
    };
    // Listened to for what the rollback found, which the last line says.
    let (tx, mut seen) = mpsc::unbounded_channel();
    let sink = EventSink::new(Some(Arc::new(journal) as Arc<dyn EventLog>), vec![tx]);
    for e in kept {
        let _ = sink.emit(e).await;
    }
    let end = finish(&world, &sink, &config, &params, st).await;
    if let GuardEnd::RolledBack { ok, .. } = &end {
        let mut found = None;
        while let Ok(e) = seen.try_recv() {
            if let Event::RollbackDone { step, outcome, .. } = e
                && step == params.step
            {
                // A guard that acted twice (see `finish`) rolled the change
                // back if either of its rollbacks did.
                if found != Some(RollbackResult::RolledBack) {
                    found = outcome;
                }
            }
        }
        let _ = sink
            .emit(Event::SessionEnd {
                exit_code: end.exit_code(),
                outcome: end_text(&params.step, *ok, found),
            })
            .await;
    }
    end
}

/// Writes the guard's events to its sidecar journal (`<journal>.guard.jsonl`).
fn keep_beside(params: &GuardParams, redactor: &Arc<Redactor>, events: Vec<Event>) {
    let j = match sidecar(params, redactor) {
        Ok(j) => j,
        Err(e) => {
            tracing::error!(error = %e, "the guard's rollback could not be recorded anywhere");
            return;
        }
    };
    for e in &events {
        if let Err(err) = j.append_blocking(e) {
            tracing::error!(error = %err, "the guard's sidecar journal failed");
            return;
        }
    }
}

/// After the console is gone: roll back unless the change was confirmed.
/// A guard that already rolled back acts again: the console may have come
/// back (it was frozen) and sent its write after that rollback; the
/// re-assert under the current etag and the settle window are cheap, and
/// an old outcome would say the peering is back when it may not be.
async fn finish<A: AzureApi>(
    world: &World<NoDevice, A, NoLocalTracer>,
    sink: &EventSink,
    config: &SessionConfig,
    params: &GuardParams,
    st: St,
) -> GuardEnd {
    let outcome = match st {
        // The console died while it stopped the confirmed test (or before
        // it could): whether that stop went out is not known here, and
        // the test must not run on unguarded.
        St::Confirmed if params.rollback.is_failover_test() => {
            let _ = sink
                .emit(Event::Note {
                    step: Some(params.step.clone()),
                    level: NoteLevel::Warn,
                    text: TAKEOVER_TEST_CONFIRMED.into(),
                })
                .await;
            act(world, sink, config, params, RollbackReason::ConsoleLost).await
        }
        St::Confirmed => {
            let _ = sink
                .emit(Event::ConfirmHealthy {
                    step: params.step.clone(),
                })
                .await;
            let _ = sink
                .emit(Event::Note {
                    step: Some(params.step.clone()),
                    level: NoteLevel::Warn,
                    text: TAKEOVER_CONFIRMED.into(),
                })
                .await;
            return GuardEnd::Released;
        }
        // Still undone for the deadline the console let pass.
        St::Acted => act(world, sink, config, params, RollbackReason::DeadlinePassed).await,
        St::Armed | St::ConsoleRollingBack => {
            act(world, sink, config, params, RollbackReason::ConsoleLost).await
        }
    };
    match outcome {
        GuardOutcome::RolledBack { reason } => GuardEnd::RolledBack { ok: true, reason },
        GuardOutcome::RollbackFailed { reason } => GuardEnd::RolledBack { ok: false, reason },
        // roll_back only ends these two ways.
        GuardOutcome::Confirmed
        | GuardOutcome::NotApplied { .. }
        | GuardOutcome::Cancelled { .. } => GuardEnd::RolledBack {
            ok: false,
            reason: RollbackReason::ConsoleLost,
        },
    }
}

async fn act<A: AzureApi>(
    world: &World<NoDevice, A, NoLocalTracer>,
    sink: &EventSink,
    config: &SessionConfig,
    params: &GuardParams,
    reason: RollbackReason,
) -> GuardOutcome {
    let Some(az) = world.azure.as_ref() else {
        return GuardOutcome::RollbackFailed { reason };
    };
    let ctx = Ctx {
        world,
        sink,
        rules: Default::default(),
        config,
        watchdog: &NoWatchdog,
    };
    let _ = sink
        .emit(Event::Note {
            step: Some(params.step.clone()),
            level: NoteLevel::Warn,
            text: match reason {
                RollbackReason::ConsoleLost => TAKEOVER_CONSOLE_LOST.into(),
                _ => TAKEOVER_DEADLINE.into(),
            },
        })
        .await;
    let how = Undo {
        settle: params.settle,
        budget: params.budget,
        commands: None,
        change_seen: change_seen(&params.journal, &params.step),
    };
    if params.rollback.is_failover_test() {
        let known = super::journal::failover_test_of(&params.journal, &params.step);
        return crate::guard::roll_back_failover_test(
            &ctx,
            &params.step,
            params.rollback,
            az,
            known,
            reason,
            how,
        )
        .await;
    }
    roll_back(
        &ctx,
        &params.step,
        params.rollback,
        az,
        reason,
        how,
        &mut None,
    )
    .await
}

/// One protocol line to the console; a console that is gone cannot hear,
/// and its end is seen on the input side.
async fn say<W: AsyncWrite + Unpin>(w: &mut W, msg: &str) {
    let _ = w.write_all(format!("{msg}\n").as_bytes()).await;
    let _ = w.flush().await;
}

/// `t + d`, for a `d` from the command line: one no clock can count means
/// "not in this process's life" (`cutover guard` refuses such a deadline
/// first; this only keeps a library caller's from panicking).
fn later(t: Instant, d: Duration) -> Instant {
    t.checked_add(d)
        .or_else(|| t.checked_add(Duration::from_secs(100 * 365 * 86_400)))
        .unwrap_or(t)
}
