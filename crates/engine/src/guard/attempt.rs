//! One driver for every ARM write of a guarded change (the change itself
//! and its rollback): each HTTP exchange is journaled as it happens, and
//! whatever else may interrupt the call (an abort, the loss clock, an
//! escalation, the operator taking over) is read between exchanges.

use std::future::Future;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use crate::runner::Ctx;
use cutover_core::azure_call::ArmAttempt;
use cutover_core::session::event::Event;

/// What may interrupt a call besides its own end. `next` only waits (it
/// must be cancel-safe: it is dropped whenever another branch wins);
/// `handle` does the work its cue asks for.
pub(super) trait Sidelines {
    type Cue;
    /// Resolves when something needs handling (never, if nothing can).
    fn next(&mut self) -> impl Future<Output = Self::Cue>;
    fn handle(&mut self, cue: Self::Cue) -> impl Future<Output = ()>;
    /// Whether to stop waiting for the call (it is dropped).
    fn stop(&self) -> bool;
    /// Told of every exchange, before it is journaled.
    fn seen(&mut self, _attempt: &ArmAttempt) {}
}

/// The exchanges of one call, on their way to the journal.
pub(super) struct Journaled {
    tx: UnboundedSender<ArmAttempt>,
    rx: UnboundedReceiver<ArmAttempt>,
}

impl Journaled {
    pub(super) fn new() -> Self {
        let (tx, rx) = unbounded_channel();
        Self { tx, rx }
    }

    /// The client's `on_attempt`: `now` hears of each exchange as it
    /// happens (the failover is timed from the accepted PUT), the journal
    /// right after.
    pub(super) fn reporter<'a>(
        &self,
        now: &'a (dyn Fn(&ArmAttempt) + Send + Sync),
    ) -> impl Fn(&ArmAttempt) + Send + Sync + 'a {
        let tx = self.tx.clone();
        move |a: &ArmAttempt| {
            now(a);
            // The receiver lives until `drive` returns, after the call.
            let _ = tx.send(a.clone());
        }
    }

    /// Runs `call` to its end, or until `side` says stop (`None`).
    /// Biased: an exchange is journaled before anything else, and a cue
    /// already due is handled before the call is polled again.
    pub(super) async fn drive<D, A, L, T, S>(
        mut self,
        ctx: &Ctx<'_, D, A, L>,
        step: &str,
        call: impl Future<Output = T>,
        side: &mut S,
    ) -> Option<T>
    where
        S: Sidelines,
    {
        tokio::pin!(call);
        let result = loop {
            if side.stop() {
                break None;
            }
            tokio::select! {
                biased;
                Some(attempt) = self.rx.recv() => {
                    side.seen(&attempt);
                    journal(ctx, step, attempt).await;
                }
                cue = side.next() => side.handle(cue).await,
                r = &mut call => break Some(r),
            }
        };
        while let Ok(attempt) = self.rx.try_recv() {
            side.seen(&attempt);
            journal(ctx, step, attempt).await;
        }
        result
    }
}

/// The one place an exchange becomes a journal event. A journal that
/// fails here does not stop the write: the world matters more than its
/// record, and the outcome events say so.
async fn journal<D, A, L>(ctx: &Ctx<'_, D, A, L>, step: &str, attempt: ArmAttempt) {
    let _ = ctx
        .sink
        .emit(Event::ActionAttempt {
            step: step.to_string(),
            attempt,
        })
        .await;
}

/// Nothing interrupts the call but its own end (a read of the failover
/// test's details).
pub(super) struct Never;

impl Sidelines for Never {
    type Cue = std::convert::Infallible;

    fn next(&mut self) -> impl Future<Output = Self::Cue> {
        std::future::pending()
    }

    async fn handle(&mut self, cue: Self::Cue) {
        match cue {}
    }

    fn stop(&self) -> bool {
        false
    }
}
