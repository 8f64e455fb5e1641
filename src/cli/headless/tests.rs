use super::*;
use cutover_core::session::event::{RollbackReason, Verdict};
use cutover_engine::port::{ArmAttempt, RequestIds};

fn ts() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(1_764_095_400_123_456_789).expect("ts")
}

#[test]
fn one_line_per_event_with_ms_utc_kind_step_and_text() {
    let l = format_line(
        ts(),
        &Event::StepEnd {
            step: "ce1-advertises-onprem".into(),
            verdict: Verdict::Passed,
            elapsed_ms: 42,
        },
    );
    assert_eq!(
        l,
        "2025-11-25T18:30:00.123Z step_end         ce1-advertises-onprem passed (42 ms)"
    );
    let l = format_line(
        ts(),
        &Event::ActionAttempt {
            step: "disable".into(),
            attempt: ArmAttempt {
                method: "PUT".into(),
                path: "/x/peerings/AzurePrivatePeering".into(),
                status: 429,
                error_code: Some("TooManyRequests".into()),
                retry_after_ms: Some(10_000),
                ids: RequestIds::default(),
                write: None,
            },
        },
    );
    assert!(
        l.ends_with(
            "action_attempt   disable PUT /x/peerings/AzurePrivatePeering -> 429 TooManyRequests, retry in 10.0 s"
        ),
        "{l}"
    );
    let l = format_line(
        ts(),
        &Event::RollbackStarted {
            step: "disable".into(),
            reason: RollbackReason::DeadlinePassed,
            op: "azure.peering.enable".into(),
        },
    );
    assert!(l.ends_with("azure.peering.enable (deadline_passed)"), "{l}");
    let l = format_line(
        ts(),
        &Event::Verified {
            step: "disable".into(),
        },
    );
    assert!(
        l.ends_with("verified         disable verification passed"),
        "{l}"
    );
    let l = format_line(
        ts(),
        &Event::SessionEnd {
            exit_code: 3,
            outcome: "rolled back".into(),
        },
    );
    assert!(l.ends_with("session_end      - exit 3: rolled back"), "{l}");
}

#[test]
fn auto_confirm_types_the_text_but_never_overrides() {
    let mut out: Vec<u8> = Vec::new();
    let ok = Event::GatePrompt {
        step: "gate".into(),
        prompt: "Disable?".into(),
        confirm_text: "SEA-Cust11-ER".into(),
        failed_checks: vec![],
        hazards: vec![],
    };
    assert_eq!(
        react(&ok, true, &mut blind::Blind::default(), &mut out).0,
        Some(Command::GateConfirm {
            step: "gate".into(),
            typed: "SEA-Cust11-ER".into()
        })
    );
    let failed = Event::GatePrompt {
        step: "gate".into(),
        prompt: "Disable?".into(),
        confirm_text: "SEA-Cust11-ER".into(),
        failed_checks: vec!["fw-bgp".into()],
        hazards: vec![],
    };
    assert_eq!(
        react(&failed, true, &mut blind::Blind::default(), &mut out).0,
        Some(Command::GateDecline {
            step: "gate".into()
        })
    );
    // A predicted hazard alone is never overridden automatically either.
    let hazard = Event::GatePrompt {
        step: "gate".into(),
        prompt: "Disable?".into(),
        confirm_text: "SEA-Cust11-ER".into(),
        failed_checks: vec![],
        hazards: vec![hazard()],
    };
    out.clear();
    assert_eq!(
        react(&hazard, true, &mut blind::Blind::default(), &mut out).0,
        Some(Command::GateDecline {
            step: "gate".into()
        })
    );
    let printed = String::from_utf8_lossy(&out);
    assert!(
        printed.contains("1 predicted HAZARD(S): Azure → on-prem 10.1.11.0/26 vpn-more-specific"),
        "{printed}"
    );
    assert!(
        printed.contains("--auto-confirm never overrides predicted hazards: declining"),
        "{printed}"
    );
    let verified = Event::Verified {
        step: "disable".into(),
    };
    assert_eq!(
        react(&verified, true, &mut blind::Blind::default(), &mut out).0,
        Some(Command::ConfirmHealthy {
            step: "disable".into()
        })
    );
    // A person answers for themselves.
    assert_eq!(
        react(&verified, false, &mut blind::Blind::default(), &mut out).0,
        None
    );
    // The note is for reading: its text decides nothing.
    let note = Event::Note {
        step: Some("disable".into()),
        level: NoteLevel::Info,
        text: "verified: confirm the new state is healthy before the deadline, or roll back".into(),
    };
    assert_eq!(
        react(&note, true, &mut blind::Blind::default(), &mut out).0,
        None
    );
}

#[test]
fn typed_answers_follow_what_is_asked() {
    let mut out: Vec<u8> = Vec::new();
    let held = Event::GatePrompt {
        step: "gate".into(),
        prompt: "Disable?".into(),
        confirm_text: "SEA-Cust11-ER".into(),
        failed_checks: vec!["fw-bgp".into()],
        hazards: vec![hazard()],
    };
    let (reply, ask) = react(&held, false, &mut blind::Blind::default(), &mut out);
    assert_eq!(reply, None);
    let mut input = Input::default();
    input.ask(ask.expect("the gate asks"));
    let printed = String::from_utf8_lossy(&out).to_string();
    assert!(
        printed.contains(">   1 pre-check(s) failed (fw-bgp)"),
        "{printed}"
    );
    assert!(
        printed.contains(">   predicted hazard Azure → on-prem 10.1.11.0/26 vpn-more-specific: "),
        "{printed}"
    );
    assert!(printed.contains("at least 20 characters"), "{printed}");
    // Too short a reason, then a good one; the word, misspelt then right;
    // then the confirmation text.
    for line in [
        "",
        "maint",
        "override",
        "tunnel 2 in maintenance",
        "override",
    ] {
        assert_eq!(input.push(line, &mut out), vec![], "{line:?}");
    }
    let printed = String::from_utf8_lossy(&out).to_string();
    assert!(printed.contains("(5 typed)"), "{printed}");
    assert!(
        printed.contains("> type OVERRIDE (in capitals), or `decline`:"),
        "{printed}"
    );
    assert_eq!(input.push("OVERRIDE", &mut out), vec![]);
    assert_eq!(
        input.push("SEA-Cust11-ER", &mut out),
        vec![Command::GateOverride {
            step: "gate".into(),
            reason: "tunnel 2 in maintenance".into(),
            acknowledged: "OVERRIDE".into(),
            typed: "SEA-Cust11-ER".into()
        }]
    );
    let mut input = Input::default();
    input.ask(window("disable"));
    input.follow(&verified("disable"), &mut out);
    out.clear();
    assert_eq!(input.push("maybe", &mut out), vec![]);
    assert!(
        String::from_utf8_lossy(&out).contains("> refused `maybe`"),
        "{}",
        String::from_utf8_lossy(&out)
    );
    assert_eq!(
        input.push("healthy", &mut out),
        vec![Command::ConfirmHealthy {
            step: "disable".into()
        }]
    );
    let mut input = Input::default();
    input.ask(window("disable"));
    assert_eq!(
        input.push("rollback", &mut out),
        vec![Command::Rollback {
            step: "disable".into()
        }]
    );
    // An escalated rollback: only `takeover` stops its retries.
    let mut input = Input::default();
    input.ask(Asking::Escalated {
        step: "disable".into(),
    });
    assert_eq!(input.push("healthy", &mut out), vec![]);
    assert_eq!(
        input.push("takeover", &mut out),
        vec![Command::TakeOver {
            step: "disable".into()
        }]
    );
}

fn window(step: &str) -> Asking {
    Asking::Window {
        step: step.into(),
        verified: false,
    }
}

fn verified(step: &str) -> Event {
    Event::Verified { step: step.into() }
}

fn gate_prompt(step: &str) -> Event {
    Event::GatePrompt {
        step: step.into(),
        prompt: "Disable?".into(),
        confirm_text: "SEA-Cust11-ER".into(),
        failed_checks: vec![],
        hazards: vec![],
    }
}

/// Feeds `ev` to the driver's two halves as the loop does; returns the
/// commands it would send.
fn event(input: &mut Input, ev: &Event, out: &mut Vec<u8>) -> Vec<Command> {
    let (reply, ask) = react(ev, false, &mut blind::Blind::default(), out);
    if let Some(a) = ask {
        input.ask(a);
    }
    input.follow(ev, out);
    reply.into_iter().chain(input.drain(out)).collect()
}

#[test]
fn answers_typed_ahead_wait_in_order_for_the_question_they_answer() {
    let mut out: Vec<u8> = Vec::new();
    let mut input = Input::default();
    // A script types everything before the first question, then ends.
    for l in ["SEA-Cust11-ER", "healthy", "healthy"] {
        assert_eq!(input.push(l, &mut out), vec![]);
    }
    input.close();
    assert!(!input.exhausted(), "queued answers keep the console there");
    let printed = String::from_utf8_lossy(&out).to_string();
    assert_eq!(
        printed.matches("> kept for the next question").count(),
        3,
        "{printed}"
    );

    // The gate takes the first line, and only that one.
    let sent = event(&mut input, &gate_prompt("gate"), &mut out);
    assert_eq!(
        sent,
        vec![Command::GateConfirm {
            step: "gate".into(),
            typed: "SEA-Cust11-ER".into()
        }]
    );
    // While the decision is on its way, `healthy` waits.
    assert_eq!(input.drain(&mut out), vec![]);
    let mut input2 = input;

    // The change: `healthy` is not taken before the verification passed.
    let decided = Event::GateDecision {
        step: "gate".into(),
        decision: GateDecision::Confirmed,
    };
    assert_eq!(event(&mut input2, &decided, &mut out), vec![]);
    let armed = Event::DeadlineArmed {
        step: "disable".into(),
        seconds: 20,
        expires_at: "2026-11-20T02:10:00.000Z".into(),
    };
    out.clear();
    assert_eq!(event(&mut input2, &armed, &mut out), vec![]);
    let printed = String::from_utf8_lossy(&out).to_string();
    assert!(printed.contains("confirm within 20.0 s"), "{printed}");
    assert!(
        !printed.contains("type `healthy`"),
        "asked only once verified: {printed}"
    );
    assert_eq!(
        event(&mut input2, &verified("disable"), &mut out),
        vec![Command::ConfirmHealthy {
            step: "disable".into()
        }]
    );
    assert!(String::from_utf8_lossy(&out).contains("> verification passed: type `healthy`"));
    // The second `healthy` is for the second change (the restore).
    assert!(!input2.exhausted(), "one answer is still queued");
    let armed = Event::DeadlineArmed {
        step: "enable".into(),
        seconds: 600,
        expires_at: "2026-11-20T02:20:00.000Z".into(),
    };
    assert_eq!(event(&mut input2, &armed, &mut out), vec![]);
    assert_eq!(
        event(&mut input2, &verified("enable"), &mut out),
        vec![Command::ConfirmHealthy {
            step: "enable".into()
        }]
    );
    assert!(
        input2.exhausted(),
        "every line used: end of input is the console gone"
    );
}

#[test]
fn an_early_healthy_waits_and_end_of_input_then_still_means_console_gone() {
    let mut out: Vec<u8> = Vec::new();
    let mut input = Input::default();
    input.ask(window("disable"));
    assert_eq!(input.push("healthy", &mut out), vec![]);
    assert!(
        String::from_utf8_lossy(&out)
            .contains("> kept: `healthy` is taken once the verification has passed")
    );
    input.close();
    assert!(!input.exhausted());
    // The verification fails: the engine rolls back, the queued answer is
    // said to be unused when the session ends.
    let started = Event::RollbackStarted {
        step: "disable".into(),
        reason: RollbackReason::VerificationFailed,
        op: "azure.peering.enable".into(),
    };
    assert_eq!(event(&mut input, &started, &mut out), vec![]);
    out.clear();
    input.finish(&mut out);
    assert!(
        String::from_utf8_lossy(&out).contains("> not used: `healthy`"),
        "{}",
        String::from_utf8_lossy(&out)
    );
    assert!(input.exhausted());

    // `rollback` never waits behind an early `healthy`.
    let mut input = Input::default();
    input.ask(window("disable"));
    let _ = input.push("healthy", &mut out);
    assert_eq!(
        input.push("rollback", &mut out),
        vec![Command::Rollback {
            step: "disable".into()
        }]
    );
    // Nothing typed: end of input at once.
    let mut input = Input::default();
    input.close();
    assert!(input.exhausted());
}

#[test]
fn a_gate_that_stays_closed_takes_the_next_line() {
    let mut out: Vec<u8> = Vec::new();
    let mut input = Input::default();
    let _ = input.push("SEA-Cust11", &mut out);
    let _ = input.push("SEA-Cust11-ER", &mut out);
    assert_eq!(event(&mut input, &gate_prompt("gate"), &mut out).len(), 1);
    let closed = Event::Note {
        step: Some("gate".into()),
        level: NoteLevel::Warn,
        text: "the gate stays closed: the confirmation text does not match".into(),
    };
    assert_eq!(
        event(&mut input, &closed, &mut out),
        vec![Command::GateConfirm {
            step: "gate".into(),
            typed: "SEA-Cust11-ER".into()
        }]
    );
}

fn hazard() -> cutover_core::session::prediction::Hazard {
    use cutover_core::session::prediction::{Direction, Hazard, HazardKind};
    Hazard {
        direction: Direction::AzureToOnprem,
        kind: HazardKind::VpnMoreSpecific,
        prefix: Some("10.1.11.0/26".parse().expect("prefix")),
        related: Some("10.1.11.0/25".parse().expect("prefix")),
        message: "Azure learns 10.1.11.0/26 over the VPN only".into(),
    }
}

#[test]
fn an_override_line_names_what_it_overrode() {
    let l = format_line(
        ts(),
        &Event::GateDecision {
            step: "gate".into(),
            decision: GateDecision::Override {
                reason: "the /26 is withdrawn tonight".into(),
                failed_checks: vec![],
                hazards: vec![hazard()],
            },
        },
    );
    assert!(
        l.ends_with(
            "OVERRIDE of 1 predicted hazard(s) (Azure → on-prem 10.1.11.0/26 vpn-more-specific): the /26 is withdrawn tonight"
        ),
        "{l}"
    );
    let l = format_line(
        ts(),
        &Event::GateDecision {
            step: "gate".into(),
            decision: GateDecision::Override {
                reason: "tunnel 2 in maintenance".into(),
                failed_checks: vec!["fw-bgp".into()],
                hazards: vec![hazard()],
            },
        },
    );
    assert!(
        l.contains("OVERRIDE of 1 failed pre-check(s) (fw-bgp) and 1 predicted hazard(s)"),
        "{l}"
    );
}

#[test]
fn a_healthy_typed_before_the_gate_text_waits_for_its_window() {
    let mut out: Vec<u8> = Vec::new();
    let mut input = Input::default();
    for l in ["healthy", "SEA-Cust11-ER"] {
        assert_eq!(input.push(l, &mut out), vec![]);
    }
    // The gate takes the line that answers it, not the `healthy` before it.
    assert_eq!(
        event(&mut input, &gate_prompt("gate"), &mut out),
        vec![Command::GateConfirm {
            step: "gate".into(),
            typed: "SEA-Cust11-ER".into()
        }]
    );
    let decided = Event::GateDecision {
        step: "gate".into(),
        decision: GateDecision::Confirmed,
    };
    assert_eq!(event(&mut input, &decided, &mut out), vec![]);
    input.ask(window("disable"));
    assert_eq!(
        event(&mut input, &verified("disable"), &mut out),
        vec![Command::ConfirmHealthy {
            step: "disable".into()
        }]
    );
}

fn session_start(checks: &[&str]) -> Event {
    Event::SessionStart {
        session_id: "s".into(),
        mode: cutover_core::session::event::Mode::Drill,
        runbook_id: "rb".into(),
        runbook_title: "t".into(),
        runbook_sha256: String::new(),
        operator: "trainee".into(),
        ticket: None,
        key_fingerprint: None,
        scenario: Some("vpn-bgp-down".into()),
        steps: checks
            .iter()
            .map(|c| cutover_core::session::event::StepInfo {
                id: (*c).into(),
                title: (*c).into(),
                phase: "1".into(),
                kind: "check".into(),
            })
            .chain(std::iter::once(cutover_core::session::event::StepInfo {
                id: "gate".into(),
                title: "gate".into(),
                phase: "3".into(),
                kind: "gate".into(),
            }))
            .collect(),
        version: "0".into(),
    }
}

#[test]
fn blind_marks_typed_ahead_wait_for_their_checks_result_and_hints_go_at_once() {
    use cutover_core::session::drill::Mark;
    let mut out: Vec<u8> = Vec::new();
    let mut input = Input::default();
    assert_eq!(
        input.push("hint bgp", &mut out),
        vec![Command::Hint { step: "bgp".into() }]
    );
    assert_eq!(input.push("mark bgp fail", &mut out), vec![]);
    assert_eq!(input.push("mark typo pass", &mut out), vec![]);
    assert_eq!(input.push("mark bgp maybe", &mut out), vec![]);
    // A mark is never a gate's answer.
    assert_eq!(input.push("decline", &mut out), vec![]);
    input.close();
    assert!(!input.exhausted(), "a mark still waits for its check");
    let printed = String::from_utf8_lossy(&out).to_string();
    assert!(printed.contains("> kept: `mark bgp fail` is sent once `bgp` has its result"));
    assert!(printed.contains("> refused `mark bgp maybe`: a mark is `pass` or `fail`"));

    // The session names its checks: the typo is refused, not kept for ever.
    assert_eq!(
        event(&mut input, &session_start(&["bgp"]), &mut out),
        vec![]
    );
    assert!(String::from_utf8_lossy(&out).contains("> refused `mark typo`: no check `typo`"));
    let ended = Event::StepEnd {
        step: "bgp".into(),
        verdict: Verdict::Failed,
        elapsed_ms: 40,
    };
    assert_eq!(
        event(&mut input, &ended, &mut out),
        vec![Command::Mark {
            check: "bgp".into(),
            mark: Mark::Fail
        }]
    );
    assert!(!input.exhausted(), "`decline` waits for the gate");
    let sent = event(&mut input, &gate_prompt("gate"), &mut out);
    assert_eq!(
        sent,
        vec![Command::GateDecline {
            step: "gate".into()
        }]
    );
    assert!(input.exhausted());
}

/// Input ended with a mark for a check that comes after the gate: once
/// the engine asks (the gate, or a blind gate waiting for marks), nothing
/// typed is left to answer, so the console is gone rather than waiting
/// for a check that cannot run.
#[test]
fn marks_for_later_checks_do_not_hold_a_closed_input_at_a_question() {
    for asked in [
        gate_prompt("gate"),
        Event::Note {
            step: Some("gate".into()),
            level: NoteLevel::Info,
            text: format!(
                "{}; 1 to mark: bgp",
                cutover_core::session::drill::BLIND_WAIT_NOTE
            ),
        },
    ] {
        let mut out: Vec<u8> = Vec::new();
        let mut input = Input::default();
        let _ = event(&mut input, &session_start(&["bgp", "after"]), &mut out);
        assert_eq!(input.push("mark after pass", &mut out), vec![]);
        input.close();
        assert!(!input.exhausted(), "the checks still run by themselves");
        let _ = event(&mut input, &asked, &mut out);
        assert!(input.exhausted(), "{asked:?}");
    }
}

#[test]
fn blind_output_hides_verdicts_until_the_gate_then_shows_the_marks_against_the_truth() {
    use cutover_core::session::drill::Mark;
    let mut out: Vec<u8> = Vec::new();
    let mut b = blind::Blind::new(true);
    let evs = [
        session_start(&["bgp"]),
        Event::Probe {
            step: "bgp".into(),
            device: "fw".into(),
            query: "bgp.summary".into(),
            command: "show bgp summary".into(),
            raw: Some("10.17.11.76  65515  0  0  Active".into()),
            error: None,
            parsed: None,
            elapsed_ms: 40,
            ids: None,
        },
        Event::Expectation {
            step: "bgp".into(),
            clause: "peer 10.17.11.76 Established".into(),
            passed: false,
            evidence: "state Active".into(),
        },
        Event::StepEnd {
            step: "bgp".into(),
            verdict: Verdict::Failed,
            elapsed_ms: 40,
        },
        Event::DrillMark {
            check: "bgp".into(),
            mark: Mark::Pass,
            truth: Verdict::Failed,
            after_ms: 2_000,
        },
        Event::Note {
            step: Some("gate".into()),
            level: NoteLevel::Info,
            text: "blind drill: the gate opens once every pre-check is marked".into(),
        },
    ];
    for e in &evs {
        b.print(e, &mut out);
    }
    let before = String::from_utf8_lossy(&out).to_string();
    assert!(
        before.contains("    | 10.17.11.76  65515  0  0  Active"),
        "{before}"
    );
    assert!(before.contains("peer 10.17.11.76 Established"), "{before}");
    for hidden in ["FAIL", "failed", "state Active", "Failed", "WRONG"] {
        assert!(
            !before.contains(hidden),
            "`{hidden}` before the gate: {before}"
        );
    }
    b.print(&gate_prompt("gate"), &mut out);
    let after = String::from_utf8_lossy(&out)[before.len()..].to_string();
    assert!(
        after.contains(">   bgp: marked pass, it failed: WRONG"),
        "{after}"
    );
    assert!(after.contains("0 of 1 right"), "{after}");
    // Revealed: from here on lines are as ever.
    let mut rest: Vec<u8> = Vec::new();
    b.print(&evs[2], &mut rest);
    assert!(String::from_utf8_lossy(&rest).contains("FAIL"));
}

/// Issue 14: a probe whose answer parsed with warnings says so on its line;
/// a clean one (and an old journal's, without the key) does not.
#[test]
fn a_probe_with_parse_warnings_prints_them() {
    let probe = |parsed: Option<serde_json::Value>| Event::Probe {
        step: "fw-prefers-er-for-hub".into(),
        device: "fw".into(),
        query: "route.table".into(),
        command: "show route table Cust11.inet.0".into(),
        raw: Some("…".into()),
        error: None,
        parsed,
        elapsed_ms: 318,
        ids: None,
    };
    let warned = probe(Some(serde_json::json!({
        "table": "Cust11.inet.0", "routes": [],
        "warnings": ["line 33: the last path of `10.17.11.128/26` shows no next hop: the capture may be cut short"]
    })));
    let l = format_line(ts(), &warned);
    assert!(
        l.ends_with(
            "fw: show route table Cust11.inet.0 (318 ms); WARNING: line 33: the last path of \
             `10.17.11.128/26` shows no next hop: the capture may be cut short"
        ),
        "{l}"
    );
    let clean = format_line(ts(), &probe(Some(serde_json::json!({"routes": []}))));
    assert!(!clean.contains("WARNING"), "{clean}");
    assert!(!format_line(ts(), &probe(None)).contains("WARNING"));
}
