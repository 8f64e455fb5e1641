//! How long each part of a guarded change may take, and how the console
//! rolls it back: the deadline (bounded so no clock overflows), the
//! settle window and the rollback budget, from the command line, else
//! the runbook, else the defaults. The detached guard is told the same.

use time::OffsetDateTime;
use tokio::sync::mpsc::Receiver;
use tokio::time::Instant;

use super::Undo;
use crate::runner::Ctx;
use cutover_core::session::command::Command;

/// How the console rolls `action` back: its settle window and budget, the
/// operator's commands read meanwhile. A write of the change may have
/// been accepted whenever the console rolls back.
pub(super) fn undo<'c, D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    action: &cutover_core::runbook::Action,
    commands: Option<&'c mut Receiver<Command>>,
) -> Undo<'c> {
    Undo {
        settle: settle_window(ctx, action),
        budget: budget_window(ctx, action),
        commands,
        change_seen: true,
    }
}

/// How long a rollback of `action` watches the peering after its write:
/// `--settle`, or the runbook's `settle`, or the default. The detached
/// guard is told the same.
pub(crate) fn settle_window<D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    action: &cutover_core::runbook::Action,
) -> std::time::Duration {
    ctx.config
        .settle_override
        .unwrap_or_else(|| action.settle_window())
}

/// How long a failing rollback of `action` retries: `--rollback-budget`,
/// or the runbook's `rollback_budget`, or the default (10 min).
pub(crate) fn budget_window<D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    action: &cutover_core::runbook::Action,
) -> std::time::Duration {
    ctx.config
        .rollback_budget_override
        .unwrap_or_else(|| action.rollback_budget_window())
}

/// The longest settle window a rollback watches (as for a runbook's
/// `settle` and `--settle`): a longer one asked for is cut to this.
pub const MAX_SETTLE: std::time::Duration = std::time::Duration::from_secs(600);

/// The longest deadline a change runs under when the one asked for cannot
/// be counted (only a restore gets here: it must go out regardless).
pub(super) const LONGEST_DEADLINE: std::time::Duration = std::time::Duration::from_secs(86_400);

/// `deadline` if both clocks can count it (twice over, for the grace and
/// a replacement guard's arithmetic); `Err(deadline)` otherwise.
pub(super) fn countable(
    deadline: std::time::Duration,
) -> Result<std::time::Duration, std::time::Duration> {
    let twice = deadline.saturating_mul(2);
    let wall = time::Duration::try_from(twice)
        .ok()
        .and_then(|d| OffsetDateTime::now_utc().checked_add(d));
    match (Instant::now().checked_add(twice), wall) {
        (Some(_), Some(_)) => Ok(deadline),
        _ => Err(deadline),
    }
}
