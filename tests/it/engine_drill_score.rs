//! A drill judged by the engine on virtual time: the score is journaled
//! once, right before `session_end`, from what the session did, and each
//! decision carries the time it took from its prompt.

use std::time::Duration;

use crate::engine_support::*;
use cutover_core::drill::{DrillPlan, DrillScore, Objective, ObjectiveKind};
use cutover_core::session::Command;
use cutover_core::session::event::Event;

fn plan() -> DrillPlan {
    let o = |id: &str, kind| Objective {
        id: id.into(),
        text: id.into(),
        kind,
        evidence: vec![],
    };
    DrillPlan {
        scenario: "baseline".into(),
        fault: "none".into(),
        seed: None,
        objectives: vec![
            o("completes", ObjectiveKind::Completes),
            o(
                "healthy-after-verification",
                ObjectiveKind::ConfirmAfterVerified,
            ),
            o("hold", ObjectiveKind::NoOverride),
        ],
    }
}

fn scored(run: &Run) -> &DrillScore {
    match &run.events[run.events.len() - 2] {
        Event::DrillScore(s) => s,
        other => panic!("drill_score before session_end, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_drill_is_scored_before_its_end_with_the_time_each_decision_took() {
    let mut config = config();
    config.drill = Some(plan());
    let mut careful = operator_confirming();
    // 30 s of thought at the gate, 12 s before each "healthy".
    let operator = move |ev: &Event| match careful(ev) {
        Reply::Send(c @ Command::GateConfirm { .. }) => Reply::After(Duration::from_secs(30), c),
        Reply::Send(c @ Command::ConfirmHealthy { .. }) => Reply::After(Duration::from_secs(12), c),
        r => r,
    };
    let run = run_session(failover_runbook(), Net::new(), config, operator).await;
    assert_eq!(run.outcome.exit_code(), 0, "{}", run.outcome.outcome);
    assert_eq!(run.kinds().last(), Some(&"session_end"));
    assert_eq!(run.count("drill_score"), 1);
    let s = scored(&run);
    assert_eq!(s.score, 100, "{s:#?}");
    let took: Vec<(&str, Option<u64>)> = s
        .decisions
        .iter()
        .map(|d| (d.what.as_str(), d.took_ms))
        .collect();
    assert_eq!(
        took,
        [
            ("confirmed", Some(30_000)),
            ("healthy", Some(12_000)),
            ("healthy", Some(12_000))
        ]
    );
    assert_eq!(run.shown, run.events, "the console saw the score too");
}

#[tokio::test(start_paused = true)]
async fn a_declined_drill_misses_completes_and_a_session_that_is_no_drill_has_no_score() {
    let mut judged = config();
    judged.drill = Some(plan());
    let decline = |ev: &Event| match ev {
        Event::GatePrompt { step, .. } => Reply::Send(Command::GateDecline { step: step.clone() }),
        _ => Reply::Nothing,
    };
    let run = run_session(failover_runbook(), Net::new(), judged, decline).await;
    assert_eq!(run.outcome.exit_code(), 1);
    let s = scored(&run);
    let met: Vec<(&str, bool)> = s
        .objectives
        .iter()
        .map(|o| (o.id.as_str(), o.met))
        .collect();
    assert_eq!(
        met,
        [
            ("completes", false),
            ("healthy-after-verification", false),
            ("hold", true)
        ]
    );
    assert_eq!(s.score, 33);

    let plain = run_session(
        failover_runbook(),
        Net::new(),
        config(),
        operator_confirming(),
    )
    .await;
    assert_eq!(plain.count("drill_score"), 0);
}

#[tokio::test(start_paused = true)]
async fn a_hint_asked_while_the_session_ends_is_not_journaled_after_the_score() {
    let mut config = config();
    config.drill = Some(plan());
    let net = Net::new();
    // The score takes 10 s to write: the hint, asked 1 s after the last
    // step ended, arrives while the session is ending.
    net.with(|n| n.journal_slow_at = Some(("drill_score", Duration::from_secs(10))));
    let last = failover_runbook()
        .steps
        .last()
        .map(|s| s.id.clone())
        .expect("steps");
    let mut careful = operator_confirming();
    let operator = move |ev: &Event| match ev {
        Event::StepEnd { step, .. } if *step == last => Reply::After(
            Duration::from_secs(1),
            Command::Hint {
                step: "fw-bgp-to-vpn-gateway".into(),
            },
        ),
        _ => careful(ev),
    };
    let run = run_session(failover_runbook(), net, config, operator).await;
    assert_eq!(run.outcome.exit_code(), 0, "{}", run.outcome.outcome);
    let kinds = run.kinds();
    assert_eq!(
        &kinds[kinds.len() - 2..],
        ["drill_score", "session_end"],
        "nothing is journaled between the score and the end: {kinds:?}"
    );
    assert_eq!(run.count("drill_hint"), 0, "{kinds:?}");
}
