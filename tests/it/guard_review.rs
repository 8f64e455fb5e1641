//! The safety review's findings on the guarded change, on virtual time
//! through the engine: a change whose write may still land is never
//! released on one read (1a, 2d), and the rollback budget bounds failing,
//! not working (2c). The detached guard's findings (1b, 2a, 2b, 5a) are in
//! `engine_settle`.

use std::sync::Arc;
use std::time::Duration;

use crate::engine_support::*;
use cutover_core::model::azure::PeeringState;
use cutover_core::session::Command;
use cutover_core::session::event::{Event, RollbackReason, RollbackResult};
use cutover_engine::detached::{Watch, WatchRequest, Watchdog};
use cutover_engine::port::ArmError;
use futures::future::BoxFuture;

const STEP: &str = "disable-private-peering";

fn rollback_done(run: &Run) -> (Option<RollbackResult>, u32) {
    run.events
        .iter()
        .find_map(|e| match e {
            Event::RollbackDone {
                outcome, reasserts, ..
            } => Some((*outcome, *reasserts)),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no rollback_done in {:?}", run.kinds()))
}

fn rollback_reason(run: &Run) -> RollbackReason {
    run.events
        .iter()
        .find_map(|e| match e {
            Event::RollbackStarted { reason, .. } => Some(*reason),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no rollback_started in {:?}", run.kinds()))
}

/// 1a: the disable PUT's answer is lost and the write is held on its way;
/// the call gives up and the re-read still shows Enabled. Released on that
/// one read, the held write would land later with nobody watching.
#[tokio::test(start_paused = true)]
async fn a_change_whose_write_may_still_land_is_rolled_back_not_released() {
    let net = Net::new();
    net.with(|n| {
        n.script.push_back(SetScript::Held(
            Duration::from_secs(5),
            ArmError::Transport("no answer: 3 writes lost their answer and none landed".into()),
        ))
    });
    let watchdog = Arc::new(RecordingWatchdog { net: net.clone() });
    let run = run_session_guarded(
        failover_runbook(),
        net.clone(),
        config(),
        operator_confirming(),
        watchdog,
    )
    .await;
    let order = net.order();
    assert!(
        order.iter().any(|o| o == "held:PUT Disabled 412"),
        "the held write must meet the rollback's etag: {order:?}"
    );
    assert_eq!(net.with(|n| n.peering.clone()), PeeringState::Enabled);
    // The guard stands by through the rollback and is released after it.
    assert!(run.at("guard:rolling_back") < run.at("guard:resolved"));
    // 2d: its own reason, not `verification_failed`.
    assert_eq!(rollback_reason(&run), RollbackReason::ChangeFailed);
    // No write of the change was accepted: the record says not applied.
    assert_eq!(rollback_done(&run).0, Some(RollbackResult::NotApplied));
    assert_eq!(run.outcome.exit_code(), 3, "{}", run.outcome.outcome);
}

/// A refusal (every PUT answered 4xx) is final: one read decides, and the
/// change ends not applied without a rollback.
#[tokio::test(start_paused = true)]
async fn a_refused_change_is_still_released_on_one_read() {
    let net = Net::new();
    net.with(|n| {
        n.script.push_back(SetScript::Err(
            vec![409],
            ArmError::Conflict("AnotherOperationInProgress".into()),
        ))
    });
    let watchdog = Arc::new(RecordingWatchdog { net: net.clone() });
    let run = run_session_guarded(
        failover_runbook(),
        net.clone(),
        config(),
        operator_confirming(),
        watchdog,
    )
    .await;
    assert_eq!(run.count("rollback_started"), 0, "{:?}", run.kinds());
    assert!(run.net.order().iter().any(|o| o == "guard:resolved"));
    assert_eq!(run.outcome.exit_code(), 1, "{}", run.outcome.outcome);
}

/// Rolls back as soon as the disable is done; `on_settling` runs at the
/// first `rollback_settling`.
fn rolls_back_at_once(
    mut on_settling: Option<Box<dyn FnOnce() + Send>>,
) -> impl FnMut(&Event) -> Reply + Send + 'static {
    let mut careful = operator_confirming();
    move |ev| match ev {
        Event::ActionDone { step, ok: true, .. } if step == STEP => {
            Reply::Send(Command::Rollback { step: STEP.into() })
        }
        Event::RollbackSettling { .. } => {
            if let Some(f) = on_settling.take() {
                f();
            }
            Reply::Nothing
        }
        Event::Verified { step } if step == STEP => Reply::Nothing,
        _ => careful(ev),
    }
}

/// 2c: a peering update that takes longer than the budget while ARM
/// answers every exchange is left to finish.
#[tokio::test(start_paused = true)]
async fn a_slow_healthy_rollback_is_not_cut_by_its_budget() {
    let net = Net::new();
    net.with(|n| {
        n.script.push_back(SetScript::Ok(vec![200]));
        n.script
            .push_back(SetScript::Paced(vec![(200, Duration::from_secs(60))]));
    });
    let mut cfg = config();
    cfg.rollback_budget_override = Some(Duration::from_secs(10));
    cfg.settle_override = Some(Duration::from_secs(5));
    let run = run_session(
        failover_runbook(),
        net.clone(),
        cfg,
        rolls_back_at_once(None),
    )
    .await;
    assert_eq!(run.count("rollback_failed"), 0, "{:?}", run.kinds());
    assert_eq!(rollback_done(&run), (Some(RollbackResult::RolledBack), 0));
    assert_eq!(net.with(|n| n.peering.clone()), PeeringState::Enabled);
    assert_eq!(run.outcome.exit_code(), 3, "{}", run.outcome.outcome);
}

/// 2c: a flip in the settle window after the budget's time has passed is
/// still written back: the budget bounds failing writes, and none failed.
#[tokio::test(start_paused = true)]
async fn a_flip_after_the_budget_time_is_still_written_back() {
    let net = Net::new();
    let flipper = net.clone();
    let flip: Box<dyn FnOnce() + Send> = Box::new(move || {
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(15)).await;
            flipper.with(|n| {
                n.order.push("other:PUT Disabled".into());
                n.peering = PeeringState::Disabled;
                n.etag += 1;
            });
        });
    });
    let mut cfg = config();
    cfg.rollback_budget_override = Some(Duration::from_secs(10));
    cfg.settle_override = Some(Duration::from_secs(30));
    let run = run_session(
        failover_runbook(),
        net.clone(),
        cfg,
        rolls_back_at_once(Some(flip)),
    )
    .await;
    assert_eq!(run.count("rollback_failed"), 0, "{:?}", run.kinds());
    // 2a: the flip shows a write did land; the peering was set back.
    assert_eq!(rollback_done(&run), (Some(RollbackResult::RolledBack), 1));
    assert_eq!(net.with(|n| n.peering.clone()), PeeringState::Enabled);
    assert_eq!(run.outcome.exit_code(), 3, "{}", run.outcome.outcome);
}

/// A guard that already rolled back while the console was silent: it
/// refuses `applied` (review 1b). Records in the shared order like
/// [`RecordingWatchdog`].
struct ActedWatchdog {
    net: Net,
}

struct ActedWatch {
    net: Net,
}

impl Watchdog for ActedWatchdog {
    fn arm(&self, _req: WatchRequest) -> BoxFuture<'_, Result<Option<Box<dyn Watch>>, String>> {
        let net = self.net.clone();
        Box::pin(async move { Ok(Some(Box::new(ActedWatch { net }) as Box<dyn Watch>)) })
    }
}

impl ActedWatch {
    fn say(&self, what: &str) {
        self.net.with(|n| n.order.push(format!("guard:{what}")));
    }
}

impl Watch for ActedWatch {
    fn applied(&mut self) -> BoxFuture<'_, Result<bool, String>> {
        self.say("applied-refused");
        Box::pin(async { Ok(false) })
    }
    fn confirm(&mut self) -> BoxFuture<'_, Result<bool, String>> {
        self.say("confirm");
        Box::pin(async { Ok(false) })
    }
    fn rolling_back(&mut self) -> BoxFuture<'_, Result<(), String>> {
        self.say("rolling_back");
        Box::pin(async { Ok(()) })
    }
    fn resolved(&mut self) -> BoxFuture<'_, Result<(), String>> {
        self.say("resolved");
        Box::pin(async { Ok(()) })
    }
}

/// Review 1b, the console's side: a change that went out after the guard
/// already acted is rolled back at once, not left unguarded.
#[tokio::test(start_paused = true)]
async fn a_change_the_guard_refuses_after_it_acted_is_rolled_back_at_once() {
    let net = Net::new();
    let run = run_session_guarded(
        failover_runbook(),
        net.clone(),
        config(),
        operator_confirming(),
        Arc::new(ActedWatchdog { net: net.clone() }),
    )
    .await;
    assert!(run.at("guard:applied-refused") < run.at("guard:rolling_back"));
    assert_eq!(run.count("deadline_armed"), 0, "{:?}", run.kinds());
    assert_eq!(run.count("confirm_healthy"), 0, "{:?}", run.kinds());
    assert_eq!(rollback_reason(&run), RollbackReason::DeadlinePassed);
    assert_eq!(rollback_done(&run).0, Some(RollbackResult::RolledBack));
    assert_eq!(net.with(|n| n.peering.clone()), PeeringState::Enabled);
    assert_eq!(run.outcome.exit_code(), 3, "{}", run.outcome.outcome);
}
