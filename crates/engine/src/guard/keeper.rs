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
use cutover_core::session::event::{Event, NoteLevel};

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
    /// The rollback's budget, as the first guard was told.
    pub budget: Duration,
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
        budget: g.budget,
    };
    let (ok, detail) = match ctx.watchdog.arm(req).await {
        Ok(Some(w)) => {
            *watch = Some(w);
            (
                true,
                format!(
                    "it undoes the change if this console dies; the deadline is unchanged ({} left)",
                    cutover_core::model::duration::human_std(left)
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

/// Tells the guard the change went out (its deadline counts from now).
/// `false`: the guard refused, having already rolled the change back
/// while this console was silent; the console must roll back now. A guard
/// that does not answer is replaced if it died, else stopped (with a
/// warning): `true` then, the console guarding alone.
pub(super) async fn tell_applied<D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    g: Guarded<'_>,
    watch: &mut Option<Box<dyn Watch>>,
) -> bool {
    let Some(w) = watch.as_mut() else {
        return true;
    };
    let e = match w.applied().await {
        Ok(accepted) => return accepted,
        Err(e) => e,
    };
    match gone_soon(w.as_mut()).await {
        // It died while the call ran: replace it, the deadline counting
        // from the change.
        Some(lost) => {
            *watch = None;
            rearm(ctx, g, lost, watch).await;
        }
        None => {
            // Left alive, it would take this console's end for its
            // death and undo a change still being verified here.
            w.abandon().await;
            *watch = None;
            ctx.note(
                Some(g.step),
                NoteLevel::Warn,
                format!(
                    "the detached guard is not answering ({e}) and was stopped: if this console dies now, nothing undoes the change; stay with it until it is confirmed or rolled back"
                ),
            )
            .await;
        }
    }
    true
}
