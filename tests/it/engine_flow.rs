//! The engine against test doubles that serve the article's real outputs:
//! the bundled failover runbook from the first check to the record step,
//! gates (invariant 1), the guarded window (invariant 2), the rollback's
//! retries and its loud failure (invariant 3), and the write-ahead order.
//!
//! Deadlines run on tokio's paused clock: virtual time, no waiting.

use std::sync::Arc;
use std::time::Duration;

use crate::engine_support::*;
use cutover_core::model::azure::PeeringState;
use cutover_core::session::Command;
use cutover_core::session::event::{Event, GateDecision, RollbackReason};
use cutover_engine::port::ArmError;

fn gate_step(ev: &Event) -> Option<&str> {
    match ev {
        Event::GatePrompt { step, .. } => Some(step),
        _ => None,
    }
}

fn decisions(run: &Run) -> Vec<GateDecision> {
    run.events
        .iter()
        .filter_map(|e| match e {
            Event::GateDecision { decision, .. } => Some(decision.clone()),
            _ => None,
        })
        .collect()
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

fn peering(run: &Run) -> PeeringState {
    run.net.with(|n| n.peering.clone())
}

fn no_unexpected_commands(run: &Run) {
    assert_eq!(run.net.with(|n| n.unexpected.clone()), Vec::<String>::new());
}

/// Confirms the gate, then does `in_window` once the disable has been
/// applied; the restore step is confirmed as usual.
fn operator_then(
    mut in_window: impl FnMut(&Event) -> Option<Reply> + Send + 'static,
) -> impl FnMut(&Event) -> Reply + Send + 'static {
    let mut careful = operator_confirming();
    move |ev| {
        if let Some(r) = in_window(ev) {
            return r;
        }
        match ev {
            Event::Verified { step: s } if s == "disable-private-peering" => Reply::Nothing,
            _ => careful(ev),
        }
    }
}

fn after_disable(ev: &Event) -> bool {
    matches!(ev, Event::ActionDone { step, ok: true, .. } if step == "disable-private-peering")
}

#[tokio::test(start_paused = true)]
async fn the_healthy_procedure_completes_and_is_confirmed() {
    let net = Net::new();
    let run = run_session(failover_runbook(), net, config(), operator_confirming()).await;
    assert_eq!(run.outcome.exit_code(), 0, "{}", run.outcome.outcome);
    assert_eq!(run.outcome.outcome, "completed");
    no_unexpected_commands(&run);
    assert_eq!(decisions(&run), [GateDecision::Confirmed]);
    assert_eq!(run.count("action_started"), 2);
    assert_eq!(run.count("confirm_healthy"), 2);
    assert_eq!(run.count("rollback_started"), 0);
    assert_eq!(peering(&run), PeeringState::Enabled);
    // Every check of the runbook passed against the article's outputs.
    let failed: Vec<_> = run
        .outcome
        .steps
        .iter()
        .filter(|s| s.verdict != cutover_core::session::event::Verdict::Passed)
        .map(|s| s.step.clone())
        .collect();
    assert!(failed.is_empty(), "{failed:?}");
    // Failover and failback were measured per path probe; the next test
    // is written down.
    let mut names: Vec<String> = run
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Measurement { name, .. } => Some(name.clone()),
            _ => None,
        })
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "failback.table",
            "failback.trace",
            "failover.table",
            "failover.trace",
            "next_test_in"
        ]
    );
    assert!(run.notes().iter().any(|n| n.starts_with("next test due ")));
    // The console was shown exactly what the journal recorded.
    assert_eq!(run.shown, run.events);
    let kinds = run.kinds();
    assert_eq!(kinds.first(), Some(&"session_start"));
    assert_eq!(kinds.last(), Some(&"session_end"));
}

#[tokio::test(start_paused = true)]
async fn the_failover_time_runs_from_the_accepted_put_to_the_first_probe_on_the_new_path() {
    let net = Net::new();
    net.with(|n| n.converge = Some(Duration::from_secs(12)));
    let run = run_session(failover_runbook(), net, config(), operator_confirming()).await;
    assert_eq!(run.outcome.exit_code(), 0, "{}", run.outcome.outcome);
    for name in ["failover.trace", "failover.table"] {
        let failover = run
            .events
            .iter()
            .find_map(|e| match e {
                Event::Measurement {
                    name: n,
                    millis,
                    uncertainty_ms,
                    ..
                } if n == name => Some((*millis, *uncertainty_ms)),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{name} measured"));
        // The verification polls every 5 s: the path moved 12 s after the
        // accepted PUT, the first poll to see it is at 15 s, the one before
        // (at 10 s) still saw ExpressRoute.
        assert_eq!(failover, (15_000, Some(5_000)), "{name}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_failed_precheck_keeps_the_gate_closed_without_a_reason() {
    let net = Net::new();
    net.with(|n| n.vpn_bgp_down = true);
    let mut tries = 0;
    let operator = move |ev: &Event| match gate_step(ev) {
        Some(step) => {
            tries += 1;
            Reply::Send(Command::GateConfirm {
                step: step.to_string(),
                typed: "SEA-Cust11-ER".into(),
            })
        }
        None => match ev {
            Event::Note { text, .. } if text.starts_with("the gate stays closed") => {
                tries += 1;
                if tries == 2 {
                    Reply::Send(Command::GateOverride {
                        step: "confirm-failover".into(),
                        reason: "   ".into(),
                        acknowledged: "OVERRIDE".into(),
                        typed: "SEA-Cust11-ER".into(),
                    })
                } else {
                    Reply::Hangup
                }
            }
            _ => Reply::Nothing,
        },
    };
    let run = run_session(failover_runbook(), net, config(), operator).await;
    assert_eq!(run.outcome.exit_code(), 1, "{}", run.outcome.outcome);
    assert_eq!(run.count("action_started"), 0);
    assert_eq!(
        run.net
            .order()
            .iter()
            .filter(|o| o.starts_with("azure:"))
            .count(),
        0
    );
    assert_eq!(decisions(&run), [GateDecision::Declined]);
    let prompt_failed = run.events.iter().find_map(|e| match e {
        Event::GatePrompt { failed_checks, .. } => Some(failed_checks.clone()),
        _ => None,
    });
    assert_eq!(
        prompt_failed,
        Some(vec!["fw-bgp-to-vpn-gateway".to_string()])
    );
    let notes = run.notes();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("1 pre-check(s) failed (fw-bgp-to-vpn-gateway)")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("an override needs a reason")),
        "{notes:?}"
    );
    assert!(
        run.outcome.outcome.contains("fw-bgp-to-vpn-gateway"),
        "{}",
        run.outcome.outcome
    );
}

#[tokio::test(start_paused = true)]
async fn an_override_with_a_reason_passes_and_is_journaled_with_the_failed_checks() {
    let net = Net::new();
    net.with(|n| n.vpn_bgp_down = true);
    let mut careful = operator_confirming();
    let operator = move |ev: &Event| match ev {
        Event::GatePrompt { step, .. } => Reply::Send(Command::GateOverride {
            step: step.clone(),
            reason: "peer .77 in planned maintenance, .76 carries the backup".into(),
            acknowledged: "OVERRIDE".into(),
            typed: "SEA-Cust11-ER".into(),
        }),
        _ => careful(ev),
    };
    let run = run_session(failover_runbook(), net, config(), operator).await;
    assert_eq!(
        decisions(&run),
        [GateDecision::Override {
            reason: "peer .77 in planned maintenance, .76 carries the backup".into(),
            failed_checks: vec!["fw-bgp-to-vpn-gateway".into()],
            hazards: vec![],
        }]
    );
    assert_eq!(run.count("action_started"), 2);
    // The overridden failure does not make the completed procedure fail.
    assert_eq!(run.outcome.exit_code(), 0, "{}", run.outcome.outcome);
}

#[tokio::test(start_paused = true)]
async fn a_wrong_confirmation_text_is_refused() {
    let net = Net::new();
    let operator = move |ev: &Event| match ev {
        Event::GatePrompt { step, .. } => Reply::Send(Command::GateConfirm {
            step: step.clone(),
            typed: "SEA-Cust11-E".into(),
        }),
        Event::Note { text, .. } if text.contains("confirmation text does not match") => {
            Reply::Hangup
        }
        _ => Reply::Nothing,
    };
    let run = run_session(failover_runbook(), net, config(), operator).await;
    assert_eq!(run.outcome.exit_code(), 1);
    assert_eq!(run.count("action_started"), 0);
    assert_eq!(decisions(&run), [GateDecision::Declined]);
}

#[tokio::test(start_paused = true)]
async fn declining_changes_nothing_and_exits_1() {
    let net = Net::new();
    let operator = |ev: &Event| match gate_step(ev) {
        Some(step) => Reply::Send(Command::GateDecline {
            step: step.to_string(),
        }),
        None => Reply::Nothing,
    };
    let run = run_session(failover_runbook(), net, config(), operator).await;
    assert_eq!(run.outcome.exit_code(), 1);
    assert_eq!(run.count("action_started"), 0);
    assert!(run.net.order().iter().all(|o| !o.starts_with("azure:")));
    assert_eq!(peering(&run), PeeringState::Enabled);
    assert_eq!(run.kinds().last(), Some(&"session_end"));
}

#[tokio::test(start_paused = true)]
async fn the_deadline_passing_rolls_back() {
    let net = Net::new();
    let mut cfg = config();
    cfg.deadline_override = Some(Duration::from_secs(20));
    // Never confirms the disable.
    let operator = operator_then(|ev| after_disable(ev).then_some(Reply::Nothing));
    let run = run_session(failover_runbook(), net, cfg, operator).await;
    assert_eq!(run.outcome.exit_code(), 3, "{}", run.outcome.outcome);
    assert_eq!(rollback_reasons(&run), [RollbackReason::DeadlinePassed]);
    assert_eq!(run.count("rollback_done"), 1);
    assert_eq!(run.count("confirm_healthy"), 0);
    assert_eq!(peering(&run), PeeringState::Enabled);
    let armed = run.events.iter().find_map(|e| match e {
        Event::DeadlineArmed { seconds, .. } => Some(*seconds),
        _ => None,
    });
    assert_eq!(armed, Some(20));
    // The session ends with the rollback: no restore step after it.
    assert_eq!(run.count("action_started"), 1);
}

/// When each event reached the console, on the (virtual) clock.
type Seen = Arc<std::sync::Mutex<Vec<(&'static str, tokio::time::Instant)>>>;

/// The careful operator's answers, and when each event reached them.
fn timed_operator() -> (Seen, impl FnMut(&Event) -> Reply + Send + 'static) {
    let seen: Seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let mut careful = operator_confirming();
    let op = move |ev: &Event| {
        log.lock()
            .expect("lock")
            .push((ev.kind(), tokio::time::Instant::now()));
        careful(ev)
    };
    (seen, op)
}

/// Virtual time from the first `from` to the first `to` the console saw.
fn between(seen: &Seen, from: &str, to: &str) -> Duration {
    let seen = seen.lock().expect("lock");
    let at = |k: &str| {
        seen.iter()
            .find(|(kind, _)| *kind == k)
            .map(|(_, t)| *t)
            .unwrap_or_else(|| panic!("no {k}"))
    };
    at(to).duration_since(at(from))
}

#[tokio::test(start_paused = true)]
async fn a_trace_that_never_reaches_the_target_rolls_back_at_max_outage_not_at_within() {
    let net = Net::new();
    // Stuck: the routes move, the traffic goes nowhere.
    net.with(|n| n.converge = None);
    let (seen, operator) = timed_operator();
    let run = run_session(failover_runbook(), net, config(), operator).await;
    assert_eq!(run.outcome.exit_code(), 3, "{}", run.outcome.outcome);
    assert_eq!(rollback_reasons(&run), [RollbackReason::TrafficLost]);
    // The bundled runbook's max_outage is 15 s, its within 60 s: the
    // first trace goes out at the change, so the rollback starts 15 s on.
    let took = between(&seen, "action_done", "rollback_started");
    assert!(
        took >= Duration::from_secs(15) && took < Duration::from_secs(16),
        "{took:?}"
    );
    assert_eq!(run.count("traffic_lost"), 1, "{:?}", run.kinds());
    let lost = run.events.iter().find_map(|e| match e {
        Event::TrafficLost {
            elapsed_ms,
            unseen_ms,
            rollback_at,
            evidence,
            ..
        } => Some((
            *elapsed_ms,
            *unseen_ms,
            rollback_at.is_some(),
            evidence.clone(),
        )),
        _ => None,
    });
    assert_eq!(
        lost,
        Some((
            0,
            0,
            true,
            "10.17.11.132 did not answer; the last hop that did: 1 10.1.11.1".to_string()
        ))
    );
    let window = run.events.iter().find_map(|e| match e {
        Event::VerifyStarted {
            within_ms,
            max_outage_ms,
            ..
        } => Some((*within_ms, *max_outage_ms)),
        _ => None,
    });
    assert_eq!(window, Some((60_000, Some(15_000))));
    // The journal says why, in that order: the loss, then the rollback.
    let kinds = run.kinds();
    let pos = |k: &str| kinds.iter().position(|x| *x == k).expect(k);
    assert!(pos("verify_started") < pos("traffic_lost"));
    assert!(pos("traffic_lost") < pos("rollback_started"));
    assert!(run.notes().iter().any(|n| n.starts_with("traffic lost:")));
    assert_eq!(run.count("verified"), 0);
    assert_eq!(peering(&run), PeeringState::Enabled);
}

#[tokio::test(start_paused = true)]
async fn a_trace_still_over_expressroute_is_not_moved_yet_and_waits_for_within() {
    let net = Net::new();
    // The paths never move in time, but the traffic still flows over
    // ExpressRoute: nothing is lost, only `within` may end the wait.
    net.with(|n| n.converge = Some(Duration::from_secs(600)));
    let (seen, operator) = timed_operator();
    let run = run_session(failover_runbook(), net, config(), operator).await;
    assert_eq!(run.outcome.exit_code(), 3, "{}", run.outcome.outcome);
    assert_eq!(rollback_reasons(&run), [RollbackReason::VerificationFailed]);
    let took = between(&seen, "action_done", "rollback_started");
    assert!(
        took >= Duration::from_secs(60) && took < Duration::from_secs(61),
        "{took:?}"
    );
    assert_eq!(run.count("traffic_lost"), 0);
    // Told once: not moved yet, over ExpressRoute.
    let seen_events: Vec<(String, bool)> = run
        .events
        .iter()
        .filter_map(|e| match e {
            Event::TrafficSeen {
                step, path, moved, ..
            } if step == "disable-private-peering" => Some((path.clone(), *moved)),
            _ => None,
        })
        .collect();
    assert_eq!(seen_events, [("expressroute".to_string(), false)]);
    let last_trace = run
        .events
        .iter()
        .rev()
        .filter_map(|e| match e {
            Event::VerifyResult {
                clause,
                passed,
                evidence,
                elapsed_ms,
                ..
            } if clause.starts_with("server:") => Some((*passed, evidence.clone(), *elapsed_ms)),
            _ => None,
        })
        .next()
        .expect("the trace was verified");
    assert_eq!(
        last_trace,
        (false, "path expressroute, expected vpn".to_string(), 60_000)
    );
    assert_eq!(peering(&run), PeeringState::Enabled);
}

#[tokio::test(start_paused = true)]
async fn a_short_loss_that_recovers_before_max_outage_is_no_rollback() {
    let net = Net::new();
    // Black hole for 8 s (traces at 0 s and 5 s miss), then the VPN
    // carries the traffic (the trace at 10 s reaches the VM).
    net.with(|n| {
        n.converge = Some(Duration::from_secs(8));
        n.blackhole_until_converged = true;
    });
    let run = run_session(failover_runbook(), net, config(), operator_confirming()).await;
    assert_eq!(run.outcome.exit_code(), 0, "{}", run.outcome.outcome);
    assert_eq!(rollback_reasons(&run), []);
    assert_eq!(run.count("confirm_healthy"), 2);
    let step = "disable-private-peering";
    let lost = run
        .events
        .iter()
        .filter(|e| matches!(e, Event::TrafficLost { step: s, .. } if s == step))
        .count();
    assert_eq!(lost, 1, "one loss, told once");
    let back = run.events.iter().find_map(|e| match e {
        Event::TrafficSeen {
            step: s,
            path,
            moved,
            lost_ms,
            ..
        } if s == step => Some((path.clone(), *moved, *lost_ms)),
        _ => None,
    });
    assert_eq!(back, Some(("vpn".to_string(), true, Some(10_000))));
    assert_eq!(peering(&run), PeeringState::Enabled);
}

#[tokio::test(start_paused = true)]
async fn the_rollback_command_rolls_back() {
    let net = Net::new();
    let operator = operator_then(|ev| match ev {
        Event::Verified { step: s } if s == "disable-private-peering" => {
            Some(Reply::Send(Command::Rollback { step: s.clone() }))
        }
        _ => None,
    });
    let run = run_session(failover_runbook(), net, config(), operator).await;
    assert_eq!(run.outcome.exit_code(), 3, "{}", run.outcome.outcome);
    assert_eq!(rollback_reasons(&run), [RollbackReason::Operator]);
    assert_eq!(run.count("confirm_healthy"), 0);
}

#[tokio::test(start_paused = true)]
async fn quitting_during_the_window_rolls_back() {
    let net = Net::new();
    let operator = operator_then(|ev| {
        after_disable(ev).then_some(Reply::After(Duration::from_secs(1), Command::Quit))
    });
    let run = run_session(failover_runbook(), net, config(), operator).await;
    assert_eq!(run.outcome.exit_code(), 3);
    assert_eq!(rollback_reasons(&run), [RollbackReason::Operator]);
}

#[tokio::test(start_paused = true)]
async fn the_console_hanging_up_rolls_back() {
    let net = Net::new();
    let operator = operator_then(|ev| after_disable(ev).then_some(Reply::Hangup));
    let run = run_session(failover_runbook(), net, config(), operator).await;
    assert_eq!(run.outcome.exit_code(), 3);
    assert_eq!(rollback_reasons(&run), [RollbackReason::ConsoleLost]);
    assert_eq!(peering(&run), PeeringState::Enabled);
}

#[tokio::test(start_paused = true)]
async fn a_confirmation_in_time_means_no_rollback() {
    let net = Net::new();
    let mut cfg = config();
    cfg.deadline_override = Some(Duration::from_secs(120));
    // Confirms one second before the deadline.
    let operator = operator_then(|ev| {
        after_disable(ev).then_some(Reply::After(
            Duration::from_secs(119),
            Command::ConfirmHealthy {
                step: "disable-private-peering".into(),
            },
        ))
    });
    let run = run_session(failover_runbook(), net, cfg, operator).await;
    assert_eq!(run.outcome.exit_code(), 0, "{}", run.outcome.outcome);
    assert_eq!(run.count("rollback_started"), 0);
    assert_eq!(run.count("confirm_healthy"), 2);
}

#[tokio::test(start_paused = true)]
async fn a_premature_confirmation_is_refused_until_verified() {
    let net = Net::new();
    net.with(|n| n.converge = Some(Duration::from_secs(30)));
    let mut cfg = config();
    cfg.deadline_override = Some(Duration::from_secs(50));
    let operator = operator_then(|ev| {
        after_disable(ev).then_some(Reply::Send(Command::ConfirmHealthy {
            step: "disable-private-peering".into(),
        }))
    });
    let run = run_session(failover_runbook(), net, cfg, operator).await;
    // Refused while verifying, never repeated: the deadline rolls back.
    assert!(
        run.notes()
            .iter()
            .any(|n| n == "not confirmed: the verification has not passed yet")
    );
    assert_eq!(rollback_reasons(&run), [RollbackReason::DeadlinePassed]);
    assert_eq!(run.outcome.exit_code(), 3);
}

#[tokio::test(start_paused = true)]
async fn the_rollback_retries_through_throttling_and_conflicts() {
    let net = Net::new();
    net.with(|n| {
        n.script.push_back(SetScript::Ok(vec![200]));
        n.script.push_back(SetScript::Err(
            vec![429, 429, 429],
            ArmError::Throttled("gave up after 3 tries".into()),
        ));
        n.script.push_back(SetScript::Err(
            vec![409],
            ArmError::Conflict("AnotherOperationInProgress".into()),
        ));
        n.script.push_back(SetScript::Ok(vec![429, 200]));
    });
    let operator = operator_then(|ev| {
        after_disable(ev).then_some(Reply::Send(Command::Rollback {
            step: "disable-private-peering".into(),
        }))
    });
    let run = run_session(failover_runbook(), net, config(), operator).await;
    assert_eq!(run.outcome.exit_code(), 3, "{}", run.outcome.outcome);
    assert_eq!(run.count("rollback_done"), 1);
    assert_eq!(run.count("rollback_failed"), 0);
    assert_eq!(peering(&run), PeeringState::Enabled);
    // Every HTTP exchange of the rollback is in the journal.
    let statuses: Vec<u16> = run
        .events
        .iter()
        .skip_while(|e| e.kind() != "rollback_started")
        .filter_map(|e| match e {
            Event::ActionAttempt { attempt, .. } => Some(attempt.status),
            _ => None,
        })
        .collect();
    assert_eq!(statuses, [429, 429, 429, 409, 429, 200]);
    let retries = run
        .notes()
        .iter()
        .filter(|n| n.starts_with("rollback attempt"))
        .count();
    assert_eq!(retries, 2);
    assert_eq!(
        run.net
            .order()
            .iter()
            .filter(|o| *o == "azure:PUT Enabled")
            .count(),
        3
    );
}

#[tokio::test(start_paused = true)]
async fn a_rollback_that_cannot_succeed_exits_4_with_the_manual_commands() {
    let net = Net::new();
    net.with(|n| {
        n.script.push_back(SetScript::Ok(vec![200]));
        n.script.push_back(SetScript::Err(
            vec![401],
            ArmError::Auth("the token expired and cannot be renewed".into()),
        ));
    });
    let operator = operator_then(|ev| after_disable(ev).then_some(Reply::Hangup));
    let run = run_session(failover_runbook(), net, config(), operator).await;
    assert_eq!(run.outcome.exit_code(), 4, "{}", run.outcome.outcome);
    let manual = run
        .events
        .iter()
        .find_map(|e| match e {
            Event::RollbackFailed { manual, error, .. } => Some((manual.clone(), error.clone())),
            _ => None,
        })
        .expect("rollback_failed");
    assert!(
        manual.0.az_cli.contains("--set state=Enabled"),
        "{:?}",
        manual.0
    );
    assert!(manual.0.powershell.contains("'Enabled'"));
    assert_eq!(
        manual.1,
        "authentication: the token expired and cannot be renewed (after 1 attempt(s))"
    );
    // The last words of the session tell the operator what to type.
    let loud = run.notes().into_iter().last().expect("a note");
    assert!(loud.starts_with("ROLLBACK FAILED"), "{loud}");
    assert!(loud.contains(&manual.0.az_cli) && loud.contains(&manual.0.powershell));
    assert_eq!(peering(&run), PeeringState::Disabled);
}

#[tokio::test(start_paused = true)]
async fn a_rollback_throttled_past_its_budget_exits_4() {
    let net = Net::new();
    net.with(|n| {
        n.script.push_back(SetScript::Ok(vec![200]));
        for _ in 0..100 {
            n.script.push_back(SetScript::Err(
                vec![429],
                ArmError::Throttled("still throttled".into()),
            ));
        }
    });
    let operator = operator_then(|ev| after_disable(ev).then_some(Reply::Hangup));
    let mut cfg = config();
    cfg.rollback_budget_override = Some(Duration::from_secs(90));
    let run = run_session(failover_runbook(), net, cfg, operator).await;
    assert_eq!(run.outcome.exit_code(), 4);
    // Retried until the budget (5 + 10 + 20 + 20 + 20 s between the
    // calls), not a fixed number of times.
    assert_eq!(
        run.net
            .order()
            .iter()
            .filter(|o| *o == "azure:PUT Enabled")
            .count(),
        6,
        "the calls that fit in the budget"
    );
    assert!(run.count("rollback_escalated") >= 1);
}

#[tokio::test(start_paused = true)]
async fn the_change_is_journaled_before_it_goes_out() {
    let net = Net::new();
    let operator = operator_then(|ev| after_disable(ev).then_some(Reply::Hangup));
    let run = run_session(failover_runbook(), net, config(), operator).await;
    assert!(run.at("journal:action_started") < run.at("azure:PUT Disabled"));
    assert!(run.at("azure:PUT Disabled") < run.at("journal:action_done"));
    assert!(run.at("journal:rollback_started") < run.at("azure:PUT Enabled"));
    assert!(run.at("azure:PUT Enabled") < run.at("journal:rollback_done"));
}

#[tokio::test(start_paused = true)]
async fn nothing_goes_out_when_the_announcement_cannot_be_journaled() {
    let net = Net::new();
    net.with(|n| n.journal_fails_at = Some("action_started"));
    let run = run_session(failover_runbook(), net, config(), operator_confirming()).await;
    assert!(run.net.order().iter().all(|o| !o.starts_with("azure:")));
    assert_eq!(run.outcome.exit_code(), 2, "{}", run.outcome.outcome);
    assert_eq!(peering(&run), PeeringState::Enabled);
    // The console still heard about it.
    assert!(
        run.shown
            .iter()
            .any(|e| matches!(e, Event::Note { text, .. }
        if text.starts_with("refused: the change cannot be journaled first")))
    );
}

#[tokio::test(start_paused = true)]
async fn a_refused_change_leaves_nothing_to_undo() {
    let net = Net::new();
    net.with(|n| {
        n.script.push_back(SetScript::Err(
            vec![403],
            ArmError::Refused("the peering is not an AzurePrivatePeering".into()),
        ))
    });
    let run = run_session(failover_runbook(), net, config(), operator_confirming()).await;
    assert_eq!(run.outcome.exit_code(), 1, "{}", run.outcome.outcome);
    assert_eq!(run.count("rollback_started"), 0);
    assert_eq!(run.count("deadline_armed"), 0);
    assert_eq!(peering(&run), PeeringState::Enabled);
}

#[tokio::test(start_paused = true)]
async fn a_change_that_went_through_despite_an_error_is_rolled_back() {
    let net = Net::new();
    net.with(|n| {
        n.script
            .push_back(SetScript::ErrAfterChange(ArmError::Timeout(
                "polling gave up".into(),
            )))
    });
    let run = run_session(failover_runbook(), net, config(), operator_confirming()).await;
    assert_eq!(run.outcome.exit_code(), 3, "{}", run.outcome.outcome);
    // Its own reason (review 2d): the change's call failed, no
    // verification ran.
    assert_eq!(rollback_reasons(&run), [RollbackReason::ChangeFailed]);
    assert_eq!(peering(&run), PeeringState::Enabled);
}

/// Invariant 2 from the first byte: the detached guard is watching before
/// the change goes out, and learns when it went out.
#[tokio::test(start_paused = true)]
async fn the_guard_is_armed_before_the_change_goes_out() {
    let net = Net::new();
    let watchdog = Arc::new(RecordingWatchdog { net: net.clone() });
    let run = run_session_guarded(
        failover_runbook(),
        net,
        config(),
        operator_confirming(),
        watchdog,
    )
    .await;
    assert_eq!(run.outcome.exit_code(), 0, "{}", run.outcome.outcome);
    assert!(run.at("journal:action_started") < run.at("guard:arm disable-private-peering"));
    assert!(run.at("guard:arm disable-private-peering") < run.at("azure:PUT Disabled"));
    assert!(run.at("azure:PUT Disabled") < run.at("guard:applied"));
    assert!(run.at("guard:applied") < run.at("journal:deadline_armed"));
    assert!(run.at("guard:arm enable-private-peering") < run.at("azure:PUT Enabled"));
}

/// A change that failed without changing anything releases its guard
/// (which would otherwise roll back a change that never happened).
#[tokio::test(start_paused = true)]
async fn a_change_that_did_not_happen_releases_its_guard() {
    let net = Net::new();
    net.with(|n| {
        n.script.push_back(SetScript::Err(
            vec![400],
            ArmError::Api {
                status: 400,
                code: "InvalidRequestFormat".into(),
                message: "bad".into(),
            },
        ))
    });
    let watchdog = Arc::new(RecordingWatchdog { net: net.clone() });
    let run = run_session_guarded(
        failover_runbook(),
        net,
        config(),
        operator_confirming(),
        watchdog,
    )
    .await;
    assert_eq!(run.outcome.exit_code(), 1, "{}", run.outcome.outcome);
    let guard: Vec<String> = run
        .net
        .order()
        .into_iter()
        .filter(|o| o.starts_with("guard:"))
        .collect();
    assert_eq!(
        guard,
        ["guard:arm disable-private-peering", "guard:resolved"]
    );
}
