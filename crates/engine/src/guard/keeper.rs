//! The console watches its detached guard (DESIGN.md 2): a guard whose
//! process dies while the change is out is replaced at once, keeping the
//! deadline, so that a console dying after it is still covered. Checked
//! on the monitor's period.

use std::time::Duration;

use time::OffsetDateTime;
use tokio::time::{Instant, Interval, MissedTickBehavior, interval_at};

use crate::detached::{Watch, WatchRequest};
use crate::runner::Ctx;
use cutover_core::runbook::ActionOp;
use cutover_core::session::event::Event;

/// Without a runbook `monitor_every`.
const DEFAULT_PERIOD: Duration = Duration::from_secs(5);

/// The check's clock for the window loop; it first ticks one period from
/// now.
pub(super) fn ticker<D, A, L>(ctx: &Ctx<'_, D, A, L>) -> Interval {
    let period = ctx
        .config
        .guard_check_every
        .filter(|p| !p.is_zero())
        .unwrap_or(DEFAULT_PERIOD);
    let mut i = interval_at(Instant::now() + period, period);
    i.set_missed_tick_behavior(MissedTickBehavior::Delay);
    i
}

/// What a replacement guard must know: the change's step, its undo and
/// when it must have been confirmed.
#[derive(Debug, Clone, Copy)]
pub(super) struct Guarded<'a> {
    pub step: &'a str,
    pub rollback: ActionOp,
    pub deadline: Duration,
    pub deadline_at: Instant,
    /// The rollback's settle window, as the first guard was told.
    pub settle: Duration,
}

/// Replaces the guard when its process is gone; journaled as `guard_lost`,
/// then `guard_rearmed` (ok or not). Does nothing while it lives.
pub(super) async fn keep<D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    g: Guarded<'_>,
    watch: &mut Option<Box<dyn Watch>>,
) {
    let Some(lost) = watch.as_mut().and_then(|w| w.gone()) else {
        return;
    };
    *watch = None;
    rearm(ctx, g, lost, watch).await;
}

/// Whether a guard that stopped answering is gone: its pipes close as it
/// exits, a moment before its exit can be collected.
pub(super) async fn gone_soon(w: &mut dyn Watch) -> Option<String> {
    for _ in 0..10 {
        if let Some(lost) = w.gone() {
            return Some(lost);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

/// The guard is known to be gone (`lost` says how): journal it and arm a
/// new one with the deadline unchanged.
pub(super) async fn rearm<D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    g: Guarded<'_>,
    lost: String,
    watch: &mut Option<Box<dyn Watch>>,
) {
    let _ = ctx
        .sink
        .emit(Event::GuardLost {
            step: g.step.to_string(),
            detail: lost,
        })
        .await;
    let left = g.deadline_at.saturating_duration_since(Instant::now());
    // The replacement is not told `applied`: that would restart its clock
    // with a whole deadline, and the change has been out for a while.
    let req = WatchRequest {
        step: g.step.to_string(),
        rollback: g.rollback,
        expires_at: OffsetDateTime::now_utc() + left,
        deadline: g.deadline,
        settle: g.settle,
    };
    let (ok, detail) = match ctx.watchdog.arm(req).await {
        Ok(Some(w)) => {
            *watch = Some(w);
            (
                true,
                format!(
                    "it undoes the change if this console dies; the deadline is unchanged ({} s left)",
                    left.as_secs()
                ),
            )
        }
        Ok(None) => (false, "no detached guard is configured".to_string()),
        Err(e) => (false, e),
    };
    let _ = ctx
        .sink
        .emit(Event::GuardRearmed {
            step: g.step.to_string(),
            ok,
            detail,
        })
        .await;
}
