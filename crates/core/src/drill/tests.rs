use super::*;
use crate::azure_call::{ArmAttempt, ManualCommands, RequestIds};
use crate::session::drill::Mark;
use crate::session::event::{Event, GateDecision, RollbackReason, Verdict};

fn objective(id: &str, kind: ObjectiveKind) -> Objective {
    Objective {
        id: id.into(),
        text: format!("{id} text"),
        kind,
        evidence: vec![],
    }
}

fn plan(kinds: &[ObjectiveKind]) -> DrillPlan {
    DrillPlan {
        scenario: "s".into(),
        fault: "f".into(),
        seed: None,
        objectives: kinds.iter().map(|k| objective(k.as_str(), *k)).collect(),
    }
}

/// Events one second apart.
fn run(events: &[Event], kinds: &[ObjectiveKind]) -> DrillScore {
    let timed: Vec<Timed<'_>> = events
        .iter()
        .enumerate()
        .map(|(i, e)| Timed {
            at_ms: Some(i as u64 * 1000),
            event: e,
        })
        .collect();
    score(&timed, &plan(kinds))
}

fn prompt() -> Event {
    Event::GatePrompt {
        step: "g".into(),
        prompt: "p".into(),
        confirm_text: "X".into(),
        failed_checks: vec!["c".into()],
        hazards: vec![],
    }
}

fn decide(d: GateDecision) -> Event {
    Event::GateDecision {
        step: "g".into(),
        decision: d,
    }
}

fn overridden() -> Event {
    decide(GateDecision::Override {
        reason: "the window closes in ten minutes".into(),
        failed_checks: vec!["c".into()],
        hazards: vec![],
    })
}

fn end(code: u8) -> Event {
    Event::SessionEnd {
        exit_code: code,
        outcome: "o".into(),
    }
}

fn step(e: fn(String) -> Event) -> Event {
    e("a".into())
}

fn healthy(step: String) -> Event {
    Event::ConfirmHealthy { step }
}

fn verified(step: String) -> Event {
    Event::Verified { step }
}

fn moved(step: String) -> Event {
    Event::TrafficSeen {
        step,
        path: "vpn".into(),
        moved: true,
        elapsed_ms: 900,
        lost_ms: None,
    }
}

fn started() -> Event {
    Event::ActionStarted {
        step: "a".into(),
        op: "disable".into(),
        target: "t".into(),
        manual: ManualCommands {
            az_cli: String::new(),
            powershell: String::new(),
        },
    }
}

fn attempt(status: u16) -> Event {
    Event::ActionAttempt {
        step: "a".into(),
        attempt: ArmAttempt {
            method: "PUT".into(),
            path: "/p".into(),
            status,
            error_code: None,
            retry_after_ms: None,
            ids: RequestIds::default(),
            write: None,
        },
    }
}

fn rollback(reason: RollbackReason) -> Event {
    Event::RollbackStarted {
        step: "a".into(),
        reason,
        op: "enable".into(),
    }
}

fn cancelled() -> Event {
    Event::ActionCancelled {
        step: "a".into(),
        op: "disable".into(),
        reason: RollbackReason::Operator,
        detail: "d".into(),
    }
}

use ObjectiveKind as K;

#[test]
fn a_declined_gate_holds_and_an_override_does_not() {
    let held = run(
        &[prompt(), decide(GateDecision::Declined), end(1)],
        &[K::NoOverride],
    );
    assert_eq!(held.score, 100);
    assert!(held.objectives[0].met);
    assert_eq!(held.decisions[0].what, "declined");
    assert_eq!(held.decisions[0].took_ms, Some(1000));

    let passed = run(
        &[prompt(), overridden(), end(0)],
        &[K::NoOverride, K::Completes],
    );
    assert!(!passed.objectives[0].met, "{:?}", passed.objectives[0]);
    assert!(passed.objectives[0].why.contains("overridden"));
    assert!(passed.objectives[1].met);
    assert_eq!(passed.score, 50);
    assert_eq!(
        passed.decisions[0].detail.as_deref(),
        Some("the window closes in ten minutes")
    );
}

#[test]
fn healthy_confirmations_are_judged_against_what_came_before() {
    let early = [step(healthy), step(verified), step(moved), end(0)];
    let s = run(
        &early,
        &[
            K::ConfirmAfterVerified,
            K::ConfirmAfterPathMoved,
            K::NeverConfirmHealthy,
        ],
    );
    assert!(s.objectives.iter().all(|o| !o.met), "{s:?}");
    assert_eq!(s.score, 0);

    let late = [step(moved), step(verified), step(healthy), end(0)];
    let s = run(&late, &[K::ConfirmAfterVerified, K::ConfirmAfterPathMoved]);
    assert_eq!(s.score, 100, "{s:?}");
    assert_eq!(s.decisions[0].what, "healthy");
    // From `verified` (second 1) to the confirmation (second 2).
    assert_eq!(s.decisions[0].took_ms, Some(1000));

    // Never confirming: never too early, but not "confirmed after
    // verification" either.
    let none = [step(verified), end(3)];
    let s = run(
        &none,
        &[
            K::ConfirmAfterVerified,
            K::ConfirmAfterPathMoved,
            K::NeverConfirmHealthy,
        ],
    );
    let met: Vec<bool> = s.objectives.iter().map(|o| o.met).collect();
    assert_eq!(met, [false, true, true]);
}

#[test]
fn a_rollback_by_anyone_counts_and_names_who() {
    let s = run(
        &[started(), rollback(RollbackReason::DeadlinePassed), end(3)],
        &[K::RolledBack, K::NoOperatorAbort],
    );
    assert_eq!(s.score, 100, "{s:?}");
    assert_eq!(s.decisions[0].what, "guard_rollback");
    assert_eq!(s.decisions[0].detail.as_deref(), Some("deadline_passed"));

    let s = run(&[started(), end(0)], &[K::RolledBack]);
    assert_eq!(s.score, 0);
}

#[test]
fn an_abort_counts_against_the_retry_rule_only_while_retrying() {
    let during = [started(), attempt(409), cancelled(), end(1)];
    let s = run(&during, &[K::NoAbortDuringRetry, K::NoOperatorAbort]);
    assert_eq!(s.score, 0, "{s:?}");
    assert_eq!(s.decisions[0].what, "abort");

    let after = [
        started(),
        attempt(429),
        attempt(200),
        Event::ActionDone {
            step: "a".into(),
            op: "disable".into(),
            ok: true,
            detail: String::new(),
        },
        rollback(RollbackReason::Operator),
        end(3),
    ];
    let s = run(&after, &[K::NoAbortDuringRetry, K::NoOperatorAbort]);
    let met: Vec<bool> = s.objectives.iter().map(|o| o.met).collect();
    assert_eq!(met, [true, false], "{s:?}");
    assert_eq!(s.decisions[0].what, "rollback");
}

#[test]
fn completes_needs_exit_zero() {
    assert_eq!(run(&[end(0)], &[K::Completes]).score, 100);
    assert_eq!(run(&[end(1)], &[K::Completes]).score, 0);
    assert_eq!(run(&[], &[K::Completes]).score, 0);
}

#[test]
fn marks_count_like_objectives_and_hints_cost_points() {
    let mark = |check: &str, mark, truth| Event::DrillMark {
        check: check.into(),
        mark,
        truth,
        after_ms: 10,
    };
    let events = [
        // Changed their mind: the last mark of `c1` counts.
        mark("c1", Mark::Pass, Verdict::Failed),
        mark("c1", Mark::Fail, Verdict::Failed),
        mark("c2", Mark::Pass, Verdict::Failed),
        Event::DrillHint {
            step: "c2".into(),
            text: "t".into(),
        },
        end(1),
    ];
    let s = run(&events, &[K::NoOverride, K::Completes]);
    assert_eq!((s.marks, s.marks_right, s.hints), (2, 1, 1));
    // 2 of 4 (no override, c1) = 50, less one hint.
    assert_eq!(s.score, 50 - HINT_COST);
    let many_hints: Vec<Event> = (0..30)
        .map(|_| Event::DrillHint {
            step: "x".into(),
            text: "t".into(),
        })
        .collect();
    assert_eq!(run(&many_hints, &[]).score, 0);
    assert_eq!(run(&[end(0)], &[]).score, 100);
}

#[test]
fn evidence_quotes_the_whole_line_of_the_matching_probe() {
    let probe = |command: &str, raw: &str| Event::Probe {
        step: "bgp".into(),
        device: "fw".into(),
        query: "q".into(),
        command: command.into(),
        raw: Some(raw.into()),
        error: None,
        parsed: None,
        elapsed_ms: 1,
        ids: None,
    };
    let events = [
        probe("show bfd session", "10.17.11.76  Up"),
        probe(
            "show bgp summary",
            "Peer  AS  State\n  10.17.11.76   65515  Active\n",
        ),
        overridden(),
    ];
    let mut p = plan(&[]);
    p.objectives.push(Objective {
        evidence: vec![
            EvidenceSpec {
                step: "bgp".into(),
                line: "10.17.11.76".into(),
                command: Some("bgp summary".into()),
            },
            EvidenceSpec {
                step: "nowhere".into(),
                line: "Established".into(),
                command: None,
            },
        ],
        ..objective("hold", K::NoOverride)
    });
    let timed: Vec<Timed<'_>> = events
        .iter()
        .map(|e| Timed {
            at_ms: None,
            event: e,
        })
        .collect();
    let s = score(&timed, &p);
    let ev = &s.objectives[0].evidence;
    assert_eq!(
        ev[0],
        EvidenceLine {
            step: "bgp".into(),
            command: "show bgp summary".into(),
            line: "10.17.11.76   65515  Active".into(),
            found: true,
        }
    );
    assert!(!ev[1].found);
    assert_eq!(s.decisions[0].took_ms, None, "no times, no durations");
    let text: Vec<String> = debrief::lines(&s).into_iter().map(|(_, l)| l).collect();
    let text = text.join("\n");
    assert!(text.contains("MISSED hold"), "{text}");
    assert!(
        text.contains("bgp | show bgp summary | 10.17.11.76   65515  Active"),
        "{text}"
    );
}

#[test]
fn the_same_seed_draws_the_same_scenario() {
    let names = ["a", "b", "c", "d", "e"];
    assert_eq!(pick(&names, 7), pick(&names, 7));
    assert_eq!(pick(&[], 7), None);
    // Seeds spread over the list rather than sticking to one name.
    let drawn: std::collections::HashSet<_> = (0..50).filter_map(|s| pick(&names, s)).collect();
    assert_eq!(drawn.len(), names.len());
}

#[test]
fn objectives_read_from_toml_and_refuse_unknown_kinds() {
    #[derive(serde::Deserialize)]
    struct F {
        objective: Vec<Objective>,
    }
    let f: F = toml::from_str(
        r#"
        [[objective]]
        id = "hold-the-gate"
        text = "Hold the gate"
        kind = "no_override"
        evidence = [{ step = "s", line = "Active" }]
        "#,
    )
    .expect("parses");
    assert_eq!(f.objective[0].kind, K::NoOverride);
    let bad = toml::from_str::<F>(
        r#"
        [[objective]]
        id = "x"
        text = "x"
        kind = "be_careful"
        "#,
    );
    assert!(bad.is_err());
}

#[test]
fn a_long_line_is_quoted_around_its_piece() {
    let long = format!(
        "{{\"value\":[{}{{\"network\":\"10.1.11.0/26\"}}{}]}}",
        "x".repeat(400),
        "y".repeat(400)
    );
    let got = score::excerpt(&long, "10.1.11.0/26");
    assert!(got.contains("10.1.11.0/26"), "{got}");
    assert!(got.starts_with('…') && got.ends_with('…'), "{got}");
    assert!(got.chars().count() < 200, "{got}");
    assert_eq!(
        score::excerpt("short 10.1.11.0/26", "10.1.11.0/26"),
        "short 10.1.11.0/26"
    );
}

#[test]
fn a_piece_ending_in_a_dollar_must_end_the_line() {
    let raw = "10.17.11.0/25 *[BGP/170] 2d, localpref 150\n  [BGP/170] 2d, localpref 100, from 10.17.11.76\n  [BGP/170] 2d, localpref 100   \n";
    let probe = Event::Probe {
        step: "lp".into(),
        device: "fw".into(),
        query: "route.table".into(),
        command: "show route table".into(),
        raw: Some(raw.into()),
        error: None,
        parsed: None,
        elapsed_ms: 1,
        ids: None,
    };
    let find = |line: &str| {
        let mut p = plan(&[]);
        p.objectives.push(Objective {
            evidence: vec![EvidenceSpec {
                step: "lp".into(),
                line: line.into(),
                command: None,
            }],
            ..objective("o", K::Completes)
        });
        let t = [Timed {
            at_ms: None,
            event: &probe,
        }];
        score(&t, &p).objectives[0].evidence[0].line.clone()
    };
    assert_eq!(
        find("localpref 100"),
        "[BGP/170] 2d, localpref 100, from 10.17.11.76"
    );
    assert_eq!(find("localpref 100$"), "[BGP/170] 2d, localpref 100");
}
