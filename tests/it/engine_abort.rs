//! Abort means abort (DESIGN.md invariant 2, issue 12 item 1), on virtual
//! time: while the disable goes out (its PUT throttled by 409 and 429),
//! an abort cancels it at once when no PUT may have been accepted (exit 1,
//! `action_cancelled`, no PUT after the abort), and rolls it back at once
//! when one may have been (exit 3). The restore is never stopped half-way.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::engine_support::*;
use cutover_core::model::azure::PeeringState;
use cutover_core::session::Command;
use cutover_core::session::event::{Event, RollbackReason};

const DISABLE: &str = "disable-private-peering";
const ENABLE: &str = "enable-private-peering";

fn rollback(step: &str) -> Command {
    Command::Rollback { step: step.into() }
}

/// Confirms the gate like a careful operator; `then` answers first.
fn operator(
    mut then: impl FnMut(&Event) -> Option<Reply> + Send + 'static,
) -> impl FnMut(&Event) -> Reply + Send + 'static {
    let mut careful = operator_confirming();
    move |ev| then(ev).unwrap_or_else(|| careful(ev))
}

/// The first answer with `status` to a PUT of `step`.
fn put_answered(ev: &Event, step: &str, status: u16) -> bool {
    matches!(ev, Event::ActionAttempt { step: s, attempt } if s == step && attempt.method == "PUT" && attempt.status == status)
}

fn puts(run: &Run, state: &str) -> usize {
    let want = format!("azure:PUT {state}");
    run.net.order().iter().filter(|o| **o == want).count()
}

fn cancellation(run: &Run) -> (RollbackReason, String) {
    let found: Vec<(RollbackReason, String)> = run
        .events
        .iter()
        .filter_map(|e| match e {
            Event::ActionCancelled {
                step,
                op,
                reason,
                detail,
            } => {
                assert_eq!(
                    (step.as_str(), op.as_str()),
                    (DISABLE, "azure.peering.disable")
                );
                Some((*reason, detail.clone()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(found.len(), 1, "{:?}", run.kinds());
    found[0].clone()
}

fn rollback_reasons(run: &Run) -> Vec<RollbackReason> {
    run.events
        .iter()
        .filter_map(|e| match e {
            Event::RollbackStarted { reason, .. } => Some(*reason),
            _ => None,
        })
        .collect()
}

/// Everything a cancelled disable leaves: exit 1, nothing changed,
/// nothing undone, the session closed.
fn assert_cancelled(run: &Run) {
    assert_eq!(run.outcome.exit_code(), 1, "{}", run.outcome.outcome);
    assert!(
        run.outcome.outcome.contains("cancelled"),
        "{}",
        run.outcome.outcome
    );
    assert_eq!(run.net.with(|n| n.peering.clone()), PeeringState::Enabled);
    for kind in ["action_done", "deadline_armed", "rollback_started"] {
        assert_eq!(run.count(kind), 0, "{kind}: {:?}", run.kinds());
    }
    assert_eq!(puts(run, "Enabled"), 0, "nothing to undo, no restore");
    let kinds = run.kinds();
    let at = |k: &str| kinds.iter().position(|x| *x == k).expect(k);
    assert!(at("action_started") < at("action_cancelled"));
    assert!(at("action_cancelled") < at("session_end"));
}

#[tokio::test(start_paused = true)]
async fn an_abort_during_the_429_wait_cancels_and_no_put_goes_out_after_it() {
    let net = Net::new();
    net.with(|n| {
        n.script.push_back(SetScript::Paced(vec![
            (409, Duration::from_secs(1)),
            (429, Duration::from_secs(60)),
            (200, Duration::from_secs(1)),
        ]))
    });
    let watchdog = Arc::new(RecordingWatchdog { net: net.clone() });
    let started = Instant::now();
    let run = run_session_guarded(
        failover_runbook(),
        net,
        config(),
        operator(|ev| put_answered(ev, DISABLE, 429).then(|| Reply::Send(rollback(DISABLE)))),
        watchdog,
    )
    .await;
    let took = started.elapsed();
    assert_cancelled(&run);
    // At once: not after the 60 s the 429 asked to wait.
    assert!(took < Duration::from_secs(30), "{took:?}");
    // The two refused PUTs, and none after the abort.
    assert_eq!(puts(&run, "Disabled"), 2, "{:?}", run.net.order());
    let (reason, detail) = cancellation(&run);
    assert_eq!(reason, RollbackReason::Operator);
    assert!(
        detail.contains("2 PUTs sent, none accepted (409, 429)"),
        "{detail}"
    );
    assert!(
        detail.contains("nothing was sent after the abort"),
        "{detail}"
    );
    assert!(detail.contains("the peering reads Enabled"), "{detail}");
    // The detached guard is released: nothing for it to undo.
    let guard: Vec<String> = run
        .net
        .order()
        .into_iter()
        .filter(|o| o.starts_with("guard:"))
        .collect();
    assert_eq!(
        guard,
        [format!("guard:arm {DISABLE}"), "guard:resolved".into()]
    );
}

#[tokio::test(start_paused = true)]
async fn an_abort_after_the_put_was_accepted_rolls_back_at_once() {
    let net = Net::new();
    net.with(|n| {
        n.script.push_back(SetScript::Paced(vec![
            (429, Duration::from_secs(5)),
            // Accepted; the operation then runs for a minute.
            (202, Duration::from_secs(60)),
        ]))
    });
    let started = Instant::now();
    let run = run_session(
        failover_runbook(),
        net,
        config(),
        operator(|ev| put_answered(ev, DISABLE, 202).then(|| Reply::Send(rollback(DISABLE)))),
    )
    .await;
    let took = started.elapsed();
    assert_eq!(run.outcome.exit_code(), 3, "{}", run.outcome.outcome);
    assert_eq!(rollback_reasons(&run), [RollbackReason::Operator]);
    assert_eq!(run.count("action_cancelled"), 0);
    assert_eq!(run.count("rollback_done"), 1);
    assert_eq!(run.net.with(|n| n.peering.clone()), PeeringState::Enabled);
    assert!(
        took < Duration::from_secs(60),
        "the rollback waited for the operation: {took:?}"
    );
    assert!(run.at("azure:PUT Disabled") < run.at("journal:rollback_started"));
    assert!(run.at("journal:rollback_started") < run.at("azure:PUT Enabled"));
    assert!(
        run.notes()
            .iter()
            .any(|n| n.contains("it counts as applied")),
        "{:?}",
        run.notes()
    );
}

#[tokio::test(start_paused = true)]
async fn quit_and_a_lost_console_cancel_the_same_way() {
    for (reply, reason) in [
        (Reply::Send(Command::Quit), RollbackReason::Operator),
        (Reply::Hangup, RollbackReason::ConsoleLost),
    ] {
        let net = Net::new();
        net.with(|n| {
            n.script.push_back(SetScript::Paced(vec![
                (429, Duration::from_secs(60)),
                (200, Duration::from_secs(1)),
            ]))
        });
        let mut reply = Some(reply);
        let run = run_session(
            failover_runbook(),
            net,
            config(),
            operator(move |ev| {
                if put_answered(ev, DISABLE, 429) {
                    reply.take()
                } else {
                    None
                }
            }),
        )
        .await;
        assert_cancelled(&run);
        assert_eq!(puts(&run, "Disabled"), 1);
        assert_eq!(cancellation(&run).0, reason);
    }
}

/// A PUT on the wire when the abort comes: its answer decides.
#[tokio::test(start_paused = true)]
async fn an_abort_while_a_put_is_on_the_wire_waits_for_its_answer() {
    for (answer, exit) in [(429u16, 1u8), (200, 3)] {
        let net = Net::new();
        net.with(|n| {
            n.put_rtt = Duration::from_secs(2);
            n.script.push_back(SetScript::Paced(vec![
                (answer, Duration::from_secs(30)),
                (200, Duration::from_secs(1)),
            ]))
        });
        let run = run_session(
            failover_runbook(),
            net,
            config(),
            operator(|ev| {
                matches!(ev, Event::ActionStarted { step, .. } if step == DISABLE)
                    .then(|| Reply::After(Duration::from_secs(1), rollback(DISABLE)))
            }),
        )
        .await;
        assert_eq!(
            run.outcome.exit_code(),
            exit,
            "{answer}: {}",
            run.outcome.outcome
        );
        assert_eq!(puts(&run, "Disabled"), 1, "{answer}: {:?}", run.net.order());
        assert_eq!(run.net.with(|n| n.peering.clone()), PeeringState::Enabled);
        if exit == 1 {
            assert_cancelled(&run);
        } else {
            assert_eq!(rollback_reasons(&run), [RollbackReason::Operator]);
        }
    }
}

/// An abort typed right after the gate, before anything went out: the
/// call is never made.
#[tokio::test(start_paused = true)]
async fn an_abort_queued_behind_the_gate_sends_nothing() {
    let net = Net::new();
    let mut careful = operator_confirming();
    let run = run_session(failover_runbook(), net, config(), move |ev| match ev {
        Event::GatePrompt { .. } => Reply::Many(vec![careful(ev), Reply::Send(Command::Quit)]),
        _ => careful(ev),
    })
    .await;
    assert_cancelled(&run);
    assert_eq!(puts(&run, "Disabled"), 0, "{:?}", run.net.order());
    assert!(cancellation(&run).1.contains("no PUT had been sent"));
}

/// Stopping the restore half-way would leave the peering disabled: a
/// rollback asked while the enable goes out waits for its window.
#[tokio::test(start_paused = true)]
async fn the_restore_is_not_cancelled_half_way() {
    let net = Net::new();
    net.with(|n| {
        n.script.push_back(SetScript::Ok(vec![200]));
        n.script.push_back(SetScript::Paced(vec![
            (429, Duration::from_secs(10)),
            (200, Duration::from_secs(1)),
        ]))
    });
    let run = run_session(
        failover_runbook(),
        net,
        config(),
        operator(|ev| put_answered(ev, ENABLE, 429).then(|| Reply::Send(rollback(ENABLE)))),
    )
    .await;
    assert_eq!(run.count("action_cancelled"), 0, "{:?}", run.kinds());
    assert_eq!(run.net.with(|n| n.peering.clone()), PeeringState::Enabled);
    assert_eq!(
        puts(&run, "Enabled"),
        3,
        "429, 200, then the rollback's enable"
    );
    assert!(
        run.notes()
            .iter()
            .all(|n| !n.contains("ignored while the change goes out")),
        "the restore does not read commands while it goes out"
    );
}
