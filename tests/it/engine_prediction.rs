//! The gate sees the failover before it happens (DESIGN.md 2b): the engine
//! predicts both directions from the firewall's table and the gateway's
//! learned routes, journals the `prediction` before the prompt, holds the
//! gate on a hazard like on a failed pre-check, wants a deliberate
//! override (a reason of 20+ characters and `OVERRIDE`, re-checked by the
//! engine whatever the console sent), and compares the paths seen after
//! the change with the forecast. On tokio's paused clock.

use crate::engine_support::*;
use cutover_core::model::path::PathKind;
use cutover_core::session::Command;
use cutover_core::session::event::{Event, GateDecision};
use cutover_core::session::prediction::{Direction, HazardKind, PathCheck, Prediction};

fn prediction(run: &Run) -> Prediction {
    let all: Vec<&Prediction> = run
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Prediction { prediction, .. } => Some(prediction),
            _ => None,
        })
        .collect();
    assert_eq!(all.len(), 1, "one prediction, at the gate");
    all[0].clone()
}

fn checks(run: &Run) -> Vec<PathCheck> {
    run.events
        .iter()
        .find_map(|e| match e {
            Event::PredictionCheck { checks, gate, .. } => {
                assert_eq!(gate, "confirm-failover");
                Some(checks.clone())
            }
            _ => None,
        })
        .expect("a prediction_check")
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

fn refusals(run: &Run) -> Vec<String> {
    run.notes()
        .into_iter()
        .filter(|n| n.starts_with("the gate stays closed"))
        .collect()
}

fn puts(run: &Run) -> usize {
    run.net
        .order()
        .iter()
        .filter(|o| o.starts_with("azure:PUT"))
        .count()
}

fn override_with(reason: &str) -> impl FnMut(&Event) -> Reply + Send + 'static {
    let reason = reason.to_string();
    let mut careful = operator_confirming();
    move |ev| match ev {
        Event::GatePrompt { step, .. } => Reply::Send(Command::GateOverride {
            step: step.clone(),
            reason: reason.clone(),
            acknowledged: "OVERRIDE".into(),
            typed: "SEA-Cust11-ER".into(),
        }),
        // Refused: nobody tries again.
        Event::Note { text, .. } if text.starts_with("the gate stays closed") => Reply::Hangup,
        _ => careful(ev),
    }
}

#[tokio::test(start_paused = true)]
async fn the_baseline_prediction_moves_hub_spoke_and_onprem_to_the_vpn_and_holds() {
    let net = Net::new();
    let run = run_session(failover_runbook(), net, config(), operator_confirming()).await;
    assert_eq!(run.outcome.exit_code(), 0, "{}", run.outcome.outcome);
    let p = prediction(&run);
    let moves: Vec<(Direction, String, Option<PathKind>, Option<PathKind>)> = p
        .paths
        .iter()
        .map(|f| (f.direction, f.prefix.to_string(), f.now, f.predicted))
        .collect();
    let (er, vpn) = (Some(PathKind::ExpressRoute), Some(PathKind::Vpn));
    assert_eq!(
        moves,
        [
            (Direction::OnpremToAzure, "10.17.11.0/25".into(), er, vpn),
            (Direction::OnpremToAzure, "10.17.11.128/26".into(), er, vpn),
            (Direction::AzureToOnprem, "10.1.11.0/25".into(), er, vpn),
        ]
    );
    assert_eq!(p.hazards, []);
    let sources: Vec<(&str, &str)> = p
        .sources
        .iter()
        .map(|s| (s.step.as_str(), s.device.as_str()))
        .collect();
    assert_eq!(
        sources,
        [
            ("fw-prefers-er-for-hub", "fw"),
            ("azure-learned-onprem", "azure")
        ]
    );
    // Journaled before the prompt; checked after the change was confirmed
    // and before the restore goes out.
    let kinds = run.kinds();
    let at = |k: &str| kinds.iter().position(|x| *x == k).expect(k);
    assert!(at("prediction") < at("gate_prompt"));
    assert!(at("confirm_healthy") < at("prediction_check"));
    let restore = kinds
        .iter()
        .enumerate()
        .filter(|(_, k)| **k == "action_started")
        .map(|(i, _)| i)
        .nth(1)
        .expect("the restore");
    assert!(at("prediction_check") < restore);
    let c = checks(&run);
    assert_eq!(c.len(), 3);
    assert!(c.iter().all(|k| k.matched), "{c:?}");
    assert!(c.iter().all(|k| k.observed == vpn), "{c:?}");
}

#[tokio::test(start_paused = true)]
async fn a_hazard_holds_the_gate_like_a_failed_precheck() {
    let net = Net::new();
    net.with(|n| n.vpn_more_specific = true);
    let mut tried = false;
    let operator = move |ev: &Event| match ev {
        // A plain confirmation, as if every pre-check had passed.
        Event::GatePrompt { step, .. } if !tried => {
            tried = true;
            Reply::Send(Command::GateConfirm {
                step: step.clone(),
                typed: "SEA-Cust11-ER".into(),
            })
        }
        Event::Note { text, .. } if text.starts_with("the gate stays closed") => Reply::Hangup,
        _ => Reply::Nothing,
    };
    let run = run_session(failover_runbook(), net, config(), operator).await;
    assert_eq!(run.outcome.exit_code(), 1, "{}", run.outcome.outcome);
    assert_eq!(run.count("action_started"), 0);
    assert_eq!(puts(&run), 0);
    assert_eq!(decisions(&run), [GateDecision::Declined]);
    let p = prediction(&run);
    let h: Vec<(Direction, HazardKind, String)> = p
        .hazards
        .iter()
        .map(|h| {
            (
                h.direction,
                h.kind,
                h.prefix.map(|x| x.to_string()).unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        h,
        [(
            Direction::AzureToOnprem,
            HazardKind::VpnMoreSpecific,
            "10.1.11.0/26".into()
        )]
    );
    // Every pre-check passed: the hazard alone holds the gate.
    let prompt = run
        .events
        .iter()
        .find_map(|e| match e {
            Event::GatePrompt {
                failed_checks,
                hazards,
                ..
            } => Some((failed_checks.clone(), hazards.clone())),
            _ => None,
        })
        .expect("a prompt");
    assert_eq!(prompt, (Vec::<String>::new(), p.hazards.clone()));
    let why = refusals(&run);
    assert!(
        why[0].contains("1 predicted hazard(s) (Azure → on-prem 10.1.11.0/26 vpn-more-specific)"),
        "{why:?}"
    );
    assert!(
        run.outcome.outcome.contains("10.1.11.0/26"),
        "{}",
        run.outcome.outcome
    );
}

#[tokio::test(start_paused = true)]
async fn an_override_with_a_five_character_reason_is_refused_by_the_engine() {
    let net = Net::new();
    net.with(|n| n.vpn_more_specific = true);
    let run = run_session(failover_runbook(), net, config(), override_with("known")).await;
    assert_eq!(run.outcome.exit_code(), 1, "{}", run.outcome.outcome);
    assert_eq!(run.count("action_started"), 0);
    assert_eq!(puts(&run), 0);
    assert_eq!(decisions(&run), [GateDecision::Declined]);
    let why = refusals(&run);
    assert!(
        why.iter()
            .any(|n| n.contains("at least 20 characters (5 typed)")),
        "{why:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn an_override_without_the_word_is_refused_by_the_engine() {
    let net = Net::new();
    net.with(|n| n.vpn_more_specific = true);
    let operator = move |ev: &Event| match ev {
        Event::GatePrompt { step, .. } => Reply::Send(Command::GateOverride {
            step: step.clone(),
            reason: "the /26 is withdrawn in CHG-4713 tonight".into(),
            acknowledged: "override".into(),
            typed: "SEA-Cust11-ER".into(),
        }),
        Event::Note { text, .. } if text.starts_with("the gate stays closed") => Reply::Hangup,
        _ => Reply::Nothing,
    };
    let run = run_session(failover_runbook(), net, config(), operator).await;
    assert_eq!(run.outcome.exit_code(), 1);
    assert_eq!(puts(&run), 0);
    assert!(
        refusals(&run)
            .iter()
            .any(|n| n.contains("the word OVERRIDE")),
        "{:?}",
        refusals(&run)
    );
}

#[tokio::test(start_paused = true)]
async fn a_deliberate_override_passes_and_the_journal_carries_the_hazards() {
    let net = Net::new();
    net.with(|n| n.vpn_more_specific = true);
    let reason = "the /26 is withdrawn in CHG-4713 tonight";
    let run = run_session(failover_runbook(), net, config(), override_with(reason)).await;
    let p = prediction(&run);
    assert_eq!(
        decisions(&run),
        [GateDecision::Override {
            reason: reason.into(),
            failed_checks: Vec::new(),
            hazards: p.hazards.clone(),
        }]
    );
    assert_eq!(p.hazards.len(), 1);
    assert_eq!(
        run.count("action_started"),
        2,
        "the failover and the restore"
    );
    // The prediction said the /26 stays on the VPN; so it did.
    let c = checks(&run);
    let more = c
        .iter()
        .find(|k| k.prefix.to_string() == "10.1.11.0/26")
        .expect("the /26 was checked");
    assert!(
        more.matched && more.observed == Some(PathKind::Vpn),
        "{more:?}"
    );
    // The post-restore check still finds the more specific prefix.
    assert_eq!(run.outcome.exit_code(), 1, "{}", run.outcome.outcome);
    assert!(
        run.outcome
            .outcome
            .contains("no-vpn-more-specific-toward-onprem"),
        "{}",
        run.outcome.outcome
    );
}
