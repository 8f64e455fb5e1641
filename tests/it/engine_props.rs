//! Invariant 2 as a property: after a guarded change, exactly one of
//! "confirmed" and "rolled back", whatever the operator does and whenever;
//! and the one that happens is the one the timings call for (the first of:
//! the deadline, a failed verification, traffic lost for `max_outage`, a
//! rollback or quit, the console hanging up, a confirmation that came after
//! the verification passed).
//!
//! Every case runs on tokio's paused clock: minutes of virtual time per case.

use std::time::Duration;

use crate::engine_support::*;
use cutover_core::model::azure::PeeringState;
use cutover_core::runbook::Runbook;
use cutover_core::session::Command;
use cutover_core::session::event::{Event, RollbackReason};
use proptest::prelude::*;

const RUNBOOK: &str = r#"
[runbook]
id = "prop"
title = "Disable the peering under guard"

[vars]
test_vm = "10.17.11.132"
circuit = "SEA-Cust11-ER"

[roles.server]
platform = "linux"

[roles.azure]
platform = "azure"
resource_group = "SEA-Cust11"
circuit = "${circuit}"
peering = "AzurePrivatePeering"

[paths.expressroute]
trace_hops = ["192.168.11.18"]

[paths.vpn]
trace_fallback = true

[[step]]
id = "trace-before"
title = "Traffic crosses ExpressRoute"
phase = 3
why = "baseline"
probe = { role = "server", query = "trace", target = "${test_vm}" }
expect = [{ path = "expressroute", reached = true }]

[[step]]
id = "gate"
title = "Confirm"
phase = 3
why = "disruptive"
gate = { prompt = "Disable?", confirm_text = "${circuit}", require = "prechecks" }

[[step]]
id = "disable"
title = "Disable"
phase = 3
why = "failover"
action = { op = "azure.peering.disable", role = "azure", rollback = "azure.peering.enable", deadline = "10m", max_outage = "12s" }

[[step.verify]]
probe = { role = "server", query = "trace", target = "${test_vm}" }
expect = [{ path = "vpn", reached = true }]
within = "30s"
every = "5s"
"#;

#[derive(Debug, Clone)]
struct Timing {
    /// Seconds after the disable until the path is on the VPN; `None`: never.
    converge: Option<u64>,
    /// Whole seconds; the deadline falls 0.9 s later, so that no two
    /// things happen at the same instant.
    deadline: u64,
    confirm: Option<u64>,
    rollback: Option<u64>,
    quit: Option<u64>,
    hangup: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum End {
    Confirmed,
    RolledBack(RollbackReason),
}

/// What must happen: the earliest trigger wins.
fn expected(t: &Timing) -> End {
    let verified = t
        .converge
        .map(|c| c.div_ceil(5) * 5)
        .filter(|v| *v <= 30)
        .map(|v| v as f64);
    let at = |s: u64, off: f64| s as f64 + off;
    let mut cands: Vec<(f64, End)> = vec![(
        at(t.deadline, 0.9),
        End::RolledBack(RollbackReason::DeadlinePassed),
    )];
    match t.converge {
        // Stuck: the trace reaches nothing from the first probe (sent at
        // the change), so the loss is due `max_outage` later.
        None => cands.push((12.0, End::RolledBack(RollbackReason::TrafficLost))),
        // Still on ExpressRoute when `within` runs out: not moved yet,
        // which is no loss.
        Some(_) if verified.is_none() => {
            cands.push((30.0, End::RolledBack(RollbackReason::VerificationFailed)));
        }
        Some(_) => {}
    }
    if let (Some(c), Some(v)) = (t.confirm, verified)
        && at(c, 0.25) > v
    {
        cands.push((at(c, 0.25), End::Confirmed));
    }
    if let Some(r) = t.rollback {
        cands.push((at(r, 0.5), End::RolledBack(RollbackReason::Operator)));
    }
    if let Some(q) = t.quit {
        cands.push((at(q, 0.6), End::RolledBack(RollbackReason::Operator)));
    }
    if let Some(h) = t.hangup {
        // The channel closes once the last pending command went out.
        let last = [
            Some(at(h, 0.75)),
            t.confirm.map(|c| at(c, 0.25)),
            t.rollback.map(|r| at(r, 0.5)),
            t.quit.map(|q| at(q, 0.6)),
        ]
        .into_iter()
        .flatten()
        .fold(0.0, f64::max);
        cands.push((last + 0.01, End::RolledBack(RollbackReason::ConsoleLost)));
    }
    cands
        .into_iter()
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|c| c.1)
        .expect("the deadline is always a candidate")
}

fn timing() -> impl Strategy<Value = Timing> {
    (
        prop::option::weighted(0.8, 0u64..40),
        5u64..90,
        prop::option::of(0u64..100),
        prop::option::weighted(0.3, 0u64..100),
        prop::option::weighted(0.2, 0u64..100),
        prop::option::weighted(0.3, 0u64..100),
    )
        .prop_map(
            |(converge, deadline, confirm, rollback, quit, hangup)| Timing {
                converge,
                deadline,
                confirm,
                rollback,
                quit,
                hangup,
            },
        )
}

fn run_case(t: &Timing) -> Run {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("runtime");
    let rb = Runbook::from_str(RUNBOOK, "prop.toml").expect("valid runbook");
    let net = Net::new();
    net.with(|n| n.converge = t.converge.map(Duration::from_secs));
    let mut cfg = config();
    cfg.deadline_override = Some(Duration::from_millis(t.deadline * 1000 + 900));
    let t = t.clone();
    let ms = |s: u64, off: u64| Duration::from_millis(s * 1000 + off);
    let operator = move |ev: &Event| match ev {
        Event::GatePrompt {
            step, confirm_text, ..
        } => Reply::Send(Command::GateConfirm {
            step: step.clone(),
            typed: confirm_text.clone(),
        }),
        Event::ActionDone { step, .. } => {
            let mut rs = Vec::new();
            if let Some(c) = t.confirm {
                rs.push(Reply::After(
                    ms(c, 250),
                    Command::ConfirmHealthy { step: step.clone() },
                ));
            }
            if let Some(r) = t.rollback {
                rs.push(Reply::After(
                    ms(r, 500),
                    Command::Rollback { step: step.clone() },
                ));
            }
            if let Some(q) = t.quit {
                rs.push(Reply::After(ms(q, 600), Command::Quit));
            }
            // Last: the scheduled commands above hold their own senders.
            if let Some(h) = t.hangup {
                rs.push(Reply::HangupAfter(ms(h, 750)));
            }
            Reply::Many(rs)
        }
        _ => Reply::Nothing,
    };
    rt.block_on(run_session(rb, net, cfg, operator))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn exactly_one_of_confirm_or_rollback(t in timing()) {
        let run = run_case(&t);
        let confirms = run.count("confirm_healthy");
        let rollbacks = run.count("rollback_started");
        prop_assert_eq!(confirms + rollbacks, 1, "{:?}: {:?}", t, run.kinds());
        let reasons: Vec<RollbackReason> = run
            .events
            .iter()
            .filter_map(|e| match e {
                Event::RollbackStarted { reason, .. } => Some(*reason),
                _ => None,
            })
            .collect();
        let got = if confirms == 1 {
            End::Confirmed
        } else {
            End::RolledBack(reasons[0])
        };
        prop_assert_eq!(got, expected(&t), "{:?}", t);
        let peering = run.net.with(|n| n.peering.clone());
        match got {
            End::Confirmed => {
                prop_assert_eq!(run.outcome.exit_code(), 0);
                prop_assert_eq!(peering, PeeringState::Disabled);
            }
            End::RolledBack(_) => {
                prop_assert_eq!(run.outcome.exit_code(), 3);
                prop_assert_eq!(run.count("rollback_done"), 1);
                prop_assert_eq!(peering, PeeringState::Enabled);
            }
        }
    }
}
