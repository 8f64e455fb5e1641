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
    };
    assert_eq!(
        react(&failed, true, &mut out).0,
        Some(Command::GateDecline {
            step: "gate".into()
        })
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
    let mut asking = Asking::Gate {
        step: "gate".into(),
        needs_reason: true,
        reason: None,
    };
    assert_eq!(answer("", &mut asking, &mut out), None);
    assert_eq!(
        answer("tunnel 2 in maintenance", &mut asking, &mut out),
        None
    );
    assert_eq!(
        answer("SEA-Cust11-ER", &mut asking, &mut out),
        Some(Command::GateOverride {
            step: "gate".into(),
            reason: "tunnel 2 in maintenance".into(),
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
