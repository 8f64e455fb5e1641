//! Live means live, and timings are measured: on tokio's paused clock,
//! the failover is timed from the PUT that ARM accepted to the first probe
//! that saw the path move (not from the end of ARM's operation), the live
//! monitor polls every pane's source during the guarded change, and one
//! slow device delays neither the other devices' polls nor their
//! pre-checks. Lost traffic is counted from the accepted PUT as well, so
//! it rolls back while ARM's operation still runs.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::engine_support::*;
use cutover_core::model::azure::PeeringState;
use cutover_core::runbook::{Runbook, StepBody};
use cutover_core::session::Command;
use cutover_core::session::event::{Event, MONITOR_STEP, RollbackReason};
use cutover_engine::monitor;
use tokio::time::Instant;

const DISABLE: &str = "disable-private-peering";

/// The runbook with the disable's verifications probing every `every`.
fn verify_every(mut rb: Runbook, every: Duration) -> Runbook {
    for s in rb.steps.iter_mut().filter(|s| s.id == DISABLE) {
        if let StepBody::Action(a) = &mut s.body {
            for v in &mut a.verify {
                v.every = Some(cutover_core::runbook::Duration::from_std(every));
            }
        }
    }
    rb
}

/// `(millis, uncertainty_ms)` of the measurement `name`, and its index in
/// the journal.
fn measured(run: &Run, name: &str) -> (u64, u64, usize) {
    run.events
        .iter()
        .enumerate()
        .find_map(|(i, e)| match e {
            Event::Measurement {
                name: n,
                millis,
                uncertainty_ms,
                ..
            } if n == name => Some((*millis, uncertainty_ms.unwrap_or(0), i)),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no {name} in {:?}", run.kinds()))
}

fn action_done_at(run: &Run, step: &str) -> usize {
    run.events
        .iter()
        .position(|e| matches!(e, Event::ActionDone { step: s, .. } if s == step))
        .expect("action_done")
}

/// ARM refuses the first PUT (409, retried after 3 s), accepts the second,
/// and its operation then runs 8 s; the paths move 2.5 s after the
/// accepted PUT.
fn slow_operation(net: &Net) {
    net.with(|n| {
        n.converge = Some(Duration::from_millis(2500));
        n.script.push_back(SetScript::Paced(vec![
            (409, Duration::from_secs(3)),
            (201, Duration::from_secs(8)),
        ]));
    });
}

#[tokio::test(start_paused = true)]
async fn the_failover_is_the_moment_the_path_moved_within_one_probe_period() {
    for every in [Duration::from_secs(1), Duration::from_secs(5)] {
        let net = Net::new();
        slow_operation(&net);
        let rb = verify_every(failover_runbook(), every);
        let run = run_session(rb, net, config(), operator_confirming()).await;
        assert_eq!(run.outcome.exit_code(), 0, "{}", run.outcome.outcome);
        let moved = 2500u64;
        // While ARM's operation runs the paths are probed once a second at
        // most, whatever the verification's own period.
        let period = u64::try_from(every.as_millis()).expect("ms").min(1000);
        for name in ["failover.trace", "failover.table"] {
            let (millis, uncertainty, at) = measured(&run, name);
            // The true moment lies in the range journaled, and the range is
            // one probe period wide.
            assert!(
                millis.saturating_sub(uncertainty) <= moved && moved <= millis,
                "{name} every {every:?}: {millis} ms ± {uncertainty} does not hold {moved} ms"
            );
            assert!(uncertainty <= period, "{name}: {uncertainty} > {period}");
            assert!(millis - moved <= period, "{name}: {millis} ms");
            // Seen while ARM's operation still ran: the old measure (from
            // the end of the operation) could not have seen it at all.
            assert!(at < action_done_at(&run, DISABLE), "{name}");
        }
    }
}

#[tokio::test(start_paused = true)]
async fn nothing_is_timed_from_a_refused_put() {
    let net = Net::new();
    net.with(|n| {
        n.converge = Some(Duration::from_millis(2500));
        n.script.push_back(SetScript::Paced(vec![
            (429, Duration::from_secs(10)),
            (201, Duration::from_secs(1)),
        ]));
    });
    let run = run_session(failover_runbook(), net, config(), operator_confirming()).await;
    assert_eq!(run.outcome.exit_code(), 0, "{}", run.outcome.outcome);
    // The 429 ten seconds earlier does not count: timed from the 201, the
    // path moved at 2.5 s, seen by the first verification poll after it.
    let (millis, uncertainty, _) = measured(&run, "failover.trace");
    assert!((2500..=7500).contains(&millis), "{millis}");
    assert!(millis - uncertainty <= 2500, "{millis} ± {uncertainty}");
}

/// (device, query) of every monitor poll between `from` and `to`.
fn monitor_polls(events: &[Event]) -> BTreeSet<(String, String)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Probe {
                step,
                device,
                query,
                ..
            }
            | Event::ProbeRepeated {
                step,
                device,
                query,
                ..
            } if step == MONITOR_STEP => Some((device.clone(), query.clone())),
            _ => None,
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn every_panes_source_is_polled_again_during_the_guarded_change() {
    let net = Net::new();
    let rb = failover_runbook();
    let polled = monitor::polled(&rb);
    let mut config = config();
    config.monitor = true;
    // The operator waits 12 s at the gate and 16 s before calling the
    // failover healthy: two polls before the change, three during it.
    let mut careful = operator_confirming();
    let operator = move |ev: &Event| match ev {
        Event::GatePrompt {
            step, confirm_text, ..
        } => Reply::After(
            Duration::from_secs(12),
            Command::GateConfirm {
                step: step.clone(),
                typed: confirm_text.clone(),
            },
        ),
        Event::Verified { step } if step == DISABLE => Reply::After(
            Duration::from_secs(16),
            Command::ConfirmHealthy { step: step.clone() },
        ),
        _ => careful(ev),
    };
    let run = run_session(rb, net, config, operator).await;
    assert_eq!(run.outcome.exit_code(), 0, "{}", run.outcome.outcome);
    assert_eq!(run.net.with(|n| n.unexpected.clone()), Vec::<String>::new());
    let started = run
        .events
        .iter()
        .position(|e| matches!(e, Event::ActionStarted { step, .. } if step == DISABLE))
        .expect("the change");
    let ended = run
        .events
        .iter()
        .position(|e| matches!(e, Event::StepEnd { step, .. } if step == DISABLE))
        .expect("its end");
    let before = monitor_polls(&run.events[..started]);
    let during = monitor_polls(&run.events[started..ended]);
    for p in &polled {
        let key = (
            p.probe.role.clone(),
            p.probe.query.name().as_str().to_string(),
        );
        assert!(
            during.contains(&key),
            "{key:?} not polled during the change: {during:?}"
        );
        // Before the change only the cheap state is polled; the route
        // advertisements and Azure's long-running reads wait for it.
        assert_eq!(
            before.contains(&key),
            !p.during_change_only,
            "{key:?} before the change: {before:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_slow_device_delays_only_its_own_polls() {
    let net = Net::new();
    net.with(|n| {
        n.device_delay.insert("ce1".into(), Duration::from_secs(30));
    });
    let mut config = config();
    config.monitor = true;
    // Declines at the gate: what matters is the time before it.
    let operator = |ev: &Event| match ev {
        Event::GatePrompt { step, .. } => Reply::Send(Command::GateDecline { step: step.clone() }),
        _ => Reply::Nothing,
    };
    let run = run_session(failover_runbook(), net, config, operator).await;
    assert_eq!(run.outcome.exit_code(), 1, "{}", run.outcome.outcome);
    let gate = run
        .events
        .iter()
        .position(|e| matches!(e, Event::GatePrompt { .. }))
        .expect("the gate");
    let polls = |device: &str, query: &str| {
        run.events[..gate]
            .iter()
            .filter(|e| match e {
                Event::Probe {
                    step,
                    device: d,
                    query: q,
                    ..
                }
                | Event::ProbeRepeated {
                    step,
                    device: d,
                    query: q,
                    ..
                } => step == MONITOR_STEP && d == device && q == query,
                _ => false,
            })
            .count()
    };
    // ce1's two pre-checks take a minute; meanwhile the firewall's table
    // is polled every 5 s, not once per 30-s round of the slowest device.
    assert!(
        polls("fw", "route.table") >= 10,
        "{}",
        polls("fw", "route.table")
    );
    assert!(polls("ce1", "bfd.sessions") <= 2);
}

#[tokio::test(start_paused = true)]
async fn the_pre_checks_of_different_devices_run_at_once() {
    let net = Net::new();
    net.with(|n| {
        for (role, secs) in [("fw", 1), ("ce1", 3), ("ce2", 3), ("server", 3)] {
            n.device_delay
                .insert(role.into(), Duration::from_secs(secs));
        }
    });
    let start = Instant::now();
    let prompted: Arc<Mutex<Option<Duration>>> = Arc::default();
    let seen = Arc::clone(&prompted);
    let operator = move |ev: &Event| match ev {
        Event::GatePrompt { step, .. } => {
            *seen.lock().expect("lock") = Some(start.elapsed());
            Reply::Send(Command::GateDecline { step: step.clone() })
        }
        _ => Reply::Nothing,
    };
    let run = run_session(failover_runbook(), net, config(), operator).await;
    assert_eq!(run.outcome.exit_code(), 1, "{}", run.outcome.outcome);
    let took = prompted
        .lock()
        .expect("lock")
        .expect("the gate was prompted");
    // One after the other: 9 firewall checks at 1 s, two per CE and the
    // trace at 3 s: 24 s. Per device at once: the firewall's 9 s (and the
    // forecast's own reads before the gate).
    assert!(took < Duration::from_secs(15), "{took:?}");
    // The journal still reads in runbook order.
    let started: Vec<&str> = run
        .events
        .iter()
        .filter_map(|e| match e {
            Event::StepStart { step } => Some(step.as_str()),
            _ => None,
        })
        .collect();
    let rb = failover_runbook();
    let order: Vec<&str> = rb
        .steps
        .iter()
        .map(|s| s.id.as_str())
        .take(started.len())
        .collect();
    assert_eq!(started, order);
}

/// Every event the console was shown, with the virtual moment it was.
type Shown = Arc<Mutex<Vec<(Event, Instant)>>>;

#[tokio::test(start_paused = true)]
async fn traffic_lost_while_arms_operation_runs_rolls_back_at_max_outage_from_the_first_miss() {
    let net = Net::new();
    net.with(|n| {
        // The routes move, the traffic goes nowhere; ARM accepts the PUT
        // and then keeps its operation running for 40 s.
        n.converge = None;
        n.script
            .push_back(SetScript::Paced(vec![(201, Duration::from_secs(40))]));
    });
    let shown: Shown = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&shown);
    let mut careful = operator_confirming();
    let operator = move |ev: &Event| {
        log.lock().expect("lock").push((ev.clone(), Instant::now()));
        careful(ev)
    };
    let run = run_session(failover_runbook(), net, config(), operator).await;
    assert_eq!(run.outcome.exit_code(), 3, "{}", run.outcome.outcome);
    let shown = shown.lock().expect("lock").clone();
    let when = |what: &str, f: &dyn Fn(&Event) -> bool| {
        shown
            .iter()
            .find(|(e, _)| f(e))
            .map(|(_, t)| *t)
            .unwrap_or_else(|| panic!("no {what} in {:?}", run.kinds()))
    };
    let accepted = when("accepted PUT", &|e| {
        matches!(e, Event::ActionAttempt { attempt, .. }
            if attempt.method == "PUT" && (200..300).contains(&attempt.status))
    });
    let first_miss = when("traffic_lost", &|e| matches!(e, Event::TrafficLost { .. }));
    let rollback = when("rollback_started", &|e| {
        matches!(e, Event::RollbackStarted { .. })
    });
    let reasons: Vec<RollbackReason> = run
        .events
        .iter()
        .filter_map(|e| match e {
            Event::RollbackStarted { reason, .. } => Some(*reason),
            _ => None,
        })
        .collect();
    assert_eq!(reasons, [RollbackReason::TrafficLost]);
    // The first trace after the acceptance already missed; the loss runs
    // from it, not from the end of the operation 40 s later.
    let lost_from = first_miss.duration_since(accepted);
    assert!(lost_from <= Duration::from_secs(1), "{lost_from:?}");
    let max_outage = Duration::from_secs(15);
    let took = rollback.duration_since(first_miss);
    assert!(
        took + Duration::from_secs(1) >= max_outage && took <= max_outage + Duration::from_secs(1),
        "rollback {took:?} after the first miss"
    );
    assert!(
        rollback.duration_since(accepted) < Duration::from_secs(20),
        "waited for the operation"
    );
    // Stopped while the operation still ran: it never ended on its own.
    assert_eq!(run.count("action_done"), 0, "{:?}", run.kinds());
    assert_eq!(run.count("rollback_done"), 1);
    // The journal gives the loss from the accepted PUT.
    let elapsed = run.events.iter().find_map(|e| match e {
        Event::TrafficLost { elapsed_ms, .. } => Some(*elapsed_ms),
        _ => None,
    });
    assert!(elapsed.is_some_and(|ms| ms <= 1000), "{elapsed:?}");
    assert!(
        run.notes()
            .iter()
            .any(|n| n.starts_with("traffic lost:") && n.contains("ARM's operation")),
        "{:?}",
        run.notes()
    );
    // The disable went out once; the rollback wrote Enabled after it.
    assert!(run.at("azure:PUT Disabled") < run.at("journal:rollback_started"));
    assert!(run.at("journal:rollback_started") < run.at("azure:PUT Enabled"));
    assert_eq!(run.net.with(|n| n.peering.clone()), PeeringState::Enabled);
}
