//! The drill's debrief on a test terminal: the session judged by the one
//! scoring rule, then drawn as the trainee sees it at the end.

use crate::ui_support::*;
use cutover_core::drill::{DrillPlan, EvidenceSpec, Objective, ObjectiveKind, Timed, score};
use cutover_core::session::Event;
use cutover_core::session::event::{GateDecision, RollbackReason};
use cutover_tui::app::Action;
use cutover_tui::render_to_string;

/// vpn-bgp-down, overridden: the BGP check failed, the gate was passed
/// with a reason, the guard rolled the change back.
fn overridden() -> Vec<Event> {
    cat(&[
        checks(false),
        vec![gate_prompt(&["fw-bgp-to-vpn-gateway"])],
        gate_decision(GateDecision::Override {
            reason: "the change window closes in ten minutes".into(),
            failed_checks: vec!["fw-bgp-to-vpn-gateway".into()],
            hazards: vec![],
        }),
        action_armed(),
        vec![rollback_started(RollbackReason::TrafficLost)],
        rollback_done(),
    ])
}

fn plan() -> DrillPlan {
    DrillPlan {
        scenario: "vpn-bgp-down".into(),
        fault: "The VPN tunnels are up but both BGP sessions over them are down".into(),
        seed: Some(7),
        objectives: vec![
            Objective {
                id: "hold-the-gate".into(),
                text: "Holds the gate: no override".into(),
                kind: ObjectiveKind::NoOverride,
                evidence: vec![EvidenceSpec {
                    step: "fw-bgp-to-vpn-gateway".into(),
                    line: "10.17.11.76".into(),
                    command: None,
                }],
            },
            Objective {
                id: "never-healthy".into(),
                text: "Never calls a dead backup healthy".into(),
                kind: ObjectiveKind::NeverConfirmHealthy,
                evidence: vec![],
            },
        ],
    }
}

fn debriefed() -> Vec<Event> {
    let mut events = overridden();
    let end = Event::SessionEnd {
        exit_code: 3,
        outcome: "rolled back".into(),
    };
    // Two seconds between events: the decisions' times are shown.
    let timed: Vec<Timed<'_>> = events
        .iter()
        .chain(std::iter::once(&end))
        .enumerate()
        .map(|(i, event)| Timed {
            at_ms: Some(i as u64 * 2_000),
            event,
        })
        .collect();
    let judged = score(&timed, &plan());
    events.push(Event::DrillScore(judged));
    events.push(end);
    events
}

#[test]
fn debrief_after_an_override() {
    let app = app_with(&debriefed());
    let screen = render_to_string(&app, 120, 36);
    assert!(screen.contains("MISSED hold-the-gate"), "{screen}");
    assert!(screen.contains("score 50/100"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn d_puts_the_debrief_away_and_back_and_the_help_opens_over_it() {
    let mut app = app_with(&debriefed());
    app.update(Action::ToggleDebrief);
    let hidden = render_to_string(&app, 120, 36);
    assert!(!hidden.contains("MISSED"), "{hidden}");
    assert!(
        hidden.contains("D debrief"),
        "the footer offers it back: {hidden}"
    );
    app.update(Action::ToggleDebrief);
    assert!(render_to_string(&app, 120, 36).contains("MISSED hold-the-gate"));
    app.update(Action::ToggleHelp);
    let screen = render_to_string(&app, 120, 36);
    assert!(!screen.contains("MISSED"), "{screen}");
    let help: String = cutover_tui::help::lines(&app)
        .iter()
        .map(|l| l.to_string() + "\n")
        .collect();
    assert!(help.contains("hide the debrief"), "{help}");
    let before = app_with(&overridden());
    assert!(!render_to_string(&before, 120, 36).contains("DEBRIEF"));
}
