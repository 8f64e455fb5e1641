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
            },
        },
    );
    assert!(
        l.ends_with(
            "action_attempt   disable PUT /x/peerings/AzurePrivatePeering -> 429 TooManyRequests, retry in 10000 ms"
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
        react(&ok, true, &mut out).0,
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
        react(&failed, true, &mut out).0,
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
        react(&hazard, true, &mut out).0,
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
        react(&verified, true, &mut out).0,
        Some(Command::ConfirmHealthy {
            step: "disable".into()
        })
    );
    // A person answers for themselves.
    assert_eq!(react(&verified, false, &mut out).0, None);
    // The note is for reading: its text decides nothing.
    let note = Event::Note {
        step: Some("disable".into()),
        level: NoteLevel::Info,
        text: "verified: confirm the new state is healthy before the deadline, or roll back".into(),
    };
    assert_eq!(react(&note, true, &mut out).0, None);
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
    let (reply, ask) = react(&held, false, &mut out);
    assert_eq!(reply, None);
    let mut asking = ask.expect("the gate asks");
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
        assert_eq!(answer(line, &mut asking, &mut out), None, "{line:?}");
    }
    let printed = String::from_utf8_lossy(&out).to_string();
    assert!(printed.contains("(5 typed)"), "{printed}");
    assert!(
        printed.contains("> type OVERRIDE (in capitals), or `decline`:"),
        "{printed}"
    );
    assert_eq!(answer("OVERRIDE", &mut asking, &mut out), None);
    assert_eq!(
        answer("SEA-Cust11-ER", &mut asking, &mut out),
        Some(Command::GateOverride {
            step: "gate".into(),
            reason: "tunnel 2 in maintenance".into(),
            acknowledged: "OVERRIDE".into(),
            typed: "SEA-Cust11-ER".into()
        })
    );
    let mut asking = Asking::Window {
        step: "disable".into(),
    };
    assert_eq!(answer("maybe", &mut asking, &mut out), None);
    assert_eq!(
        answer("healthy", &mut asking, &mut out),
        Some(Command::ConfirmHealthy {
            step: "disable".into()
        })
    );
    assert_eq!(
        answer("rollback", &mut asking, &mut out),
        Some(Command::Rollback {
            step: "disable".into()
        })
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
