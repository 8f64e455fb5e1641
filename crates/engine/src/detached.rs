//! The detached guard: what undoes a guarded change when this process can
//! no longer do it (killed, hung up, frozen). DESIGN.md invariant 2.
//!
//! The engine talks to it through [`Watchdog`] / [`Watch`]; production uses
//! a child process (the console's end in `child`, the guard's in `watcher`,
//! run by `cutover guard`), tests use [`NoWatchdog`] or their own double.

mod child;
mod journal;
mod watcher;

use std::time::Duration;

use futures::future::BoxFuture;
use time::OffsetDateTime;

use cutover_core::runbook::ActionOp;

pub use child::{ChildWatchdog, GuardEnv};
pub use journal::{guard_takes_over, resolved};
pub use watcher::{GuardEnd, GuardParams, watch_over};

/// What the guard must know to undo a change on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchRequest {
    pub step: String,
    /// The op that undoes the change (`azure.peering.enable`).
    pub rollback: ActionOp,
    /// When the change must have been confirmed (wall clock, UTC).
    pub expires_at: OffsetDateTime,
    pub deadline: Duration,
    /// How long its rollback watches the peering after the write: the
    /// session's `--settle`, or the action's `settle`.
    pub settle: Duration,
    /// How long its rollback retries failing writes before the operator
    /// must act: the session's `--rollback-budget`, or the action's
    /// `rollback_budget`.
    pub budget: Duration,
}

/// Starts a guard for one change.
pub trait Watchdog: Send + Sync {
    /// `Ok(None)`: no guard is wanted (tests, read-only runs).
    fn arm(&self, req: WatchRequest) -> BoxFuture<'_, Result<Option<Box<dyn Watch>>, String>>;
}

/// One armed guard. The engine tells it how the change is resolved; the
/// guard is the arbiter once the deadline has passed: it may already be
/// rolling back, and then the console must not confirm.
pub trait Watch: Send {
    /// The change went out: the deadline counts from now (the guard is
    /// armed before the call, so that a console dying during it is
    /// covered). `Ok(false)`: the guard already rolled back while this
    /// console was silent past the deadline, and the change went out after
    /// that: the console must roll it back now.
    fn applied(&mut self) -> BoxFuture<'_, Result<bool, String>>;
    /// Asks to confirm. `Ok(false)`: the guard already started the
    /// rollback, the change must not be called healthy.
    fn confirm(&mut self) -> BoxFuture<'_, Result<bool, String>>;
    /// The console is rolling back itself: the guard stands by, and acts
    /// only if the console dies before it says [`Watch::resolved`].
    fn rolling_back(&mut self) -> BoxFuture<'_, Result<(), String>>;
    /// Confirmed, or rolled back (successfully or not): the guard may go.
    fn resolved(&mut self) -> BoxFuture<'_, Result<(), String>>;
    /// `Some(what happened)` once the guard is gone (its process exited)
    /// while the change is out; checked on the monitor's period, so it
    /// must not block. A guard that cannot tell says `None`.
    fn gone(&mut self) -> Option<String> {
        None
    }
    /// The console gives up on a guard that stopped answering: a guard
    /// left alive would see its input close when the console ends, take
    /// it for the console dying and roll back a change the console still
    /// runs (two writers of one journal). Ends it, and waits for that.
    fn abandon(&mut self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

/// No detached guard: the engine alone guards the change (tests, and
/// sessions whose caller guards the process some other way).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoWatchdog;

impl Watchdog for NoWatchdog {
    fn arm(&self, _req: WatchRequest) -> BoxFuture<'_, Result<Option<Box<dyn Watch>>, String>> {
        Box::pin(async { Ok(None) })
    }
}

// ---------------------------------------------------------------- protocol
//
// One line per message over the child's stdin (console -> guard) and
// stdout (guard -> console):
//
//   guard:   `ready`                  armed, watching
//   console: `applied`   guard: `ack`      (the change went out: the
//                                           deadline counts from now)
//                        | `denied`        (the guard already rolled back
//                                           while the console was silent:
//                                           the console rolls back now)
//   console: `confirm`   guard: `granted` | `denied`
//   console: `rollback`  guard: `ack`      (the console undoes it itself)
//   console: `resolved`                    (the guard exits)
//
// The guard acts when its input ends without `resolved` (the console died:
// the pipe's write end closes with the process), or when the deadline plus
// a grace period passes while the console has said nothing (it hangs).
//
// The journal has one writer at a time: the console while it lives. The
// guard appends only after its input ended, i.e. after the console process
// is gone, and first reads the journal to see whether the console resolved
// the change before dying (then it does nothing). When it had to act while
// the console was still alive but silent, it keeps its events and appends
// them once the console is gone. A journal it cannot continue (a torn last
// line) is left untouched and the events go to `JOURNAL.guard.jsonl`.

const READY: &str = "ready";
const APPLIED: &str = "applied";
const CONFIRM: &str = "confirm";
const GRANTED: &str = "granted";
const DENIED: &str = "denied";
const ROLLBACK: &str = "rollback";
const ACK: &str = "ack";
const RESOLVED: &str = "resolved";
