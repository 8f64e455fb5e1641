//! Blind drills and hints in the engine, on virtual time: the gate waits
//! until every pre-check is marked, each mark is journaled with the
//! check's real verdict and the time since its result, a console that
//! leaves before marking ends the gate declined with nothing changed, and
//! hints are journaled once per step, in drills only.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::engine_support::*;
use cutover_core::model::azure::PeeringState;
use cutover_core::session::Command;
use cutover_core::session::drill::Mark;
use cutover_core::session::event::{Event, GateDecision, Mode, Verdict};

const GATE: &str = "confirm-failover";

fn blind() -> cutover_engine::SessionConfig {
    let mut c = config();
    c.blind = true;
    c
}

/// Check verdicts as the journal's `step_end`s say them.
fn verdicts(run: &Run) -> BTreeMap<String, Verdict> {
    let checks: Vec<String> = failover_runbook()
        .steps
        .iter()
        .filter(|s| matches!(s.body, cutover_core::runbook::StepBody::Check(_)))
        .map(|s| s.id.clone())
        .collect();
    run.events
        .iter()
        .filter_map(|e| match e {
            Event::StepEnd { step, verdict, .. } if checks.contains(step) => {
                Some((step.clone(), *verdict))
            }
            _ => None,
        })
        .collect()
}

fn marks(run: &Run) -> Vec<(String, Mark, Verdict, u64)> {
    run.events
        .iter()
        .filter_map(|e| match e {
            Event::DrillMark {
                check,
                mark,
                truth,
                after_ms,
            } => Some((check.clone(), *mark, *truth, *after_ms)),
            _ => None,
        })
        .collect()
}

fn position(run: &Run, p: impl Fn(&Event) -> bool) -> Option<usize> {
    run.events.iter().position(p)
}

#[tokio::test(start_paused = true)]
async fn a_blind_gate_opens_only_once_every_precheck_is_marked_and_each_mark_keeps_the_truth() {
    let net = Net::new();
    net.with(|n| n.vpn_bgp_down = true);
    // The trainee reads each check's output for 3 s, then calls every one
    // pass: right for the ones that passed, wrong for the failed ones.
    let mut careful = operator_confirming();
    let operator = move |ev: &Event| match ev {
        Event::StepEnd { step, .. } if !step.starts_with("confirm") => Reply::After(
            Duration::from_secs(3),
            Command::Mark {
                check: step.clone(),
                mark: Mark::Pass,
            },
        ),
        _ => careful(ev),
    };
    let run = run_session(failover_runbook(), net, blind(), operator).await;
    assert_eq!(run.outcome.exit_code(), 1, "{}", run.outcome.outcome);

    let truth = verdicts(&run);
    let marked = marks(&run);
    assert_eq!(marked.len(), truth.len(), "one mark per check: {marked:?}");
    for (check, mark, t, after_ms) in &marked {
        assert_eq!(*mark, Mark::Pass);
        assert_eq!(
            Some(t),
            truth.get(check),
            "{check}: journaled with its real verdict"
        );
        assert!(
            (3_000..3_500).contains(after_ms),
            "{check}: {after_ms} ms after its result"
        );
    }
    assert!(
        marked.iter().any(|m| m.2 == Verdict::Failed),
        "some were wrong"
    );
    assert!(
        marked.iter().any(|m| m.2 == Verdict::Passed),
        "some were right"
    );

    // Nothing that shows a verdict of the whole, and no prompt, before the
    // last mark.
    let last_mark_at = run
        .events
        .iter()
        .rposition(|e| matches!(e, Event::DrillMark { .. }))
        .expect("marks");
    let prompt = position(&run, |e| matches!(e, Event::GatePrompt { .. })).expect("a prompt");
    let prediction =
        position(&run, |e| matches!(e, Event::Prediction { .. })).expect("a prediction");
    assert!(prompt > last_mark_at && prediction > last_mark_at);
    // The gate waited, and said once what it waited for.
    let said = run
        .notes()
        .iter()
        .filter(|n| n.starts_with("blind drill: the gate opens once every pre-check is marked"))
        .count();
    assert_eq!(said, 1, "{:?}", run.notes());
    assert_eq!(run.net.with(|n| n.peering.clone()), PeeringState::Enabled);
}

#[tokio::test(start_paused = true)]
async fn a_blind_trainee_who_leaves_before_marking_declines_the_gate_and_nothing_changes() {
    let net = Net::new();
    let mut left = false;
    // Marks one check, then the console goes away.
    let operator = move |ev: &Event| match ev {
        Event::StepEnd { step, .. } if !left => {
            left = true;
            Reply::Many(vec![
                Reply::Send(Command::Mark {
                    check: step.clone(),
                    mark: Mark::Fail,
                }),
                Reply::HangupAfter(Duration::from_secs(30)),
            ])
        }
        _ => Reply::Nothing,
    };
    let run = run_session(failover_runbook(), net, blind(), operator).await;
    assert_eq!(run.outcome.exit_code(), 1, "{}", run.outcome.outcome);
    assert_eq!(marks(&run).len(), 1);
    assert_eq!(run.count("gate_prompt"), 0, "the gate never opened");
    let decided: Vec<&GateDecision> = run
        .events
        .iter()
        .filter_map(|e| match e {
            Event::GateDecision { decision, step } if step == GATE => Some(decision),
            _ => None,
        })
        .collect();
    assert_eq!(decided, [&GateDecision::Declined]);
    // Ended there: no prediction after the decision.
    assert_eq!(run.count("prediction"), 0);
    assert_eq!(run.count("action_started"), 0);
    assert_eq!(run.net.with(|n| n.peering.clone()), PeeringState::Enabled);
    assert_eq!(run.kinds().last(), Some(&"session_end"));
}

#[tokio::test(start_paused = true)]
async fn marks_before_a_result_or_outside_blind_drills_are_refused_and_hints_count_once() {
    let net = Net::new();
    let mut sent = false;
    let mut careful = operator_confirming();
    let operator = move |ev: &Event| match ev {
        Event::SessionStart { .. } if !sent => {
            sent = true;
            Reply::Many(vec![
                // Not blind: refused. (And no result yet either.)
                Reply::Send(Command::Mark {
                    check: "fw-bgp-to-vpn-gateway".into(),
                    mark: Mark::Fail,
                }),
                Reply::Send(Command::Hint {
                    step: "fw-bgp-to-vpn-gateway".into(),
                }),
                Reply::Send(Command::Hint {
                    step: "fw-bgp-to-vpn-gateway".into(),
                }),
                Reply::Send(Command::Hint {
                    step: "no-such-step".into(),
                }),
            ])
        }
        _ => careful(ev),
    };
    let run = run_session(failover_runbook(), net, config(), operator).await;
    assert_eq!(run.outcome.exit_code(), 0, "{}", run.outcome.outcome);
    assert_eq!(marks(&run).len(), 0);
    let hints: Vec<(&String, &String)> = run
        .events
        .iter()
        .filter_map(|e| match e {
            Event::DrillHint { step, text } => Some((step, text)),
            _ => None,
        })
        .collect();
    assert_eq!(hints.len(), 1, "asked twice, counted once: {hints:?}");
    assert_eq!(hints[0].0, "fw-bgp-to-vpn-gateway");
    assert!(hints[0].1.contains("10.17.11.76"), "{}", hints[0].1);
    let notes = run.notes();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("marks are for blind drills")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("hint (already counted)")),
        "{notes:?}"
    );
    assert!(
        notes.iter().any(|n| n == "no hint for `no-such-step`"),
        "{notes:?}"
    );

    // In a blind drill, a mark before its check's result is refused.
    let net = Net::new();
    let mut sent = false;
    let operator = move |ev: &Event| match ev {
        Event::SessionStart { .. } if !sent => {
            sent = true;
            Reply::Many(vec![
                Reply::Send(Command::Mark {
                    check: "trace-before-failover".into(),
                    mark: Mark::Pass,
                }),
                Reply::Hangup,
            ])
        }
        _ => Reply::Nothing,
    };
    let run = run_session(failover_runbook(), net, blind(), operator).await;
    assert_eq!(marks(&run).len(), 0);
    assert!(
        run.notes()
            .iter()
            .any(|n| n.contains("`trace-before-failover` ignored: it has no result yet")),
        "{:?}",
        run.notes()
    );

    // Outside drills there is no desk: a hint is not journaled.
    let net = Net::new();
    let mut c = config();
    c.mode = Mode::Run;
    let mut careful = operator_confirming();
    let operator = move |ev: &Event| match ev {
        Event::GatePrompt { step, .. } => Reply::Many(vec![
            Reply::Send(Command::Hint { step: step.clone() }),
            careful(ev),
        ]),
        _ => careful(ev),
    };
    let run = run_session(failover_runbook(), net, c, operator).await;
    assert_eq!(run.count("drill_hint"), 0);
}
