//! Headless mode over the same engine: one timestamped line per event,
//! `--auto-confirm` answering gates and the healthy question, but never
//! overriding a failed pre-check.

use std::sync::{Arc, Mutex};

use crate::engine_support::*;
use cutover::cli::headless::drive;
use cutover_core::session::event::Event;
use cutover_engine::port::ArmError;
use cutover_engine::{Engine, EventSink};

struct Run {
    code: u8,
    out: String,
    journal: Vec<Event>,
}

async fn headless(net: Net, auto_confirm: bool) -> Run {
    let events = Arc::new(Mutex::new(Vec::new()));
    let log = OrderedLog {
        net: net.clone(),
        events: Arc::clone(&events),
    };
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let sink = EventSink::new(Some(Arc::new(log)), vec![tx]);
    let engine = Engine::new(
        Arc::new(failover_runbook()),
        Arc::new(world(&net)),
        sink,
        config(),
    );
    let mut out: Vec<u8> = Vec::new();
    let outcome = drive(engine, rx, auto_confirm, &mut out).await;
    let journal = events.lock().expect("lock").clone();
    Run {
        code: outcome.exit_code(),
        out: String::from_utf8(out).expect("utf-8"),
        journal,
    }
}

fn is_ts(s: &str) -> bool {
    // 2026-11-25T18:30:00.123Z
    s.len() == 24
        && s.ends_with('Z')
        && s.as_bytes()[10] == b'T'
        && s.as_bytes()[19] == b'.'
        && time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).is_ok()
}

#[tokio::test(start_paused = true)]
async fn auto_confirm_runs_the_healthy_procedure_to_exit_0() {
    let run = headless(Net::new(), true).await;
    assert_eq!(run.code, 0, "{}", run.out);
    // One line per journaled event, each starting with the time and kind.
    let event_lines: Vec<&str> = run
        .out
        .lines()
        .filter(|l| is_ts(&l[..24.min(l.len())]))
        .collect();
    assert_eq!(event_lines.len(), run.journal.len());
    for (line, ev) in event_lines.iter().zip(&run.journal) {
        let kind = line[25..].split_whitespace().next().expect("kind");
        assert_eq!(kind, ev.kind(), "{line}");
    }
    assert!(
        run.out
            .contains(" gate_decision    confirm-failover confirmed"),
        "{}",
        run.out
    );
    assert_eq!(
        run.journal
            .iter()
            .filter(|e| e.kind() == "confirm_healthy")
            .count(),
        2
    );
    assert!(
        run.out
            .lines()
            .last()
            .expect("a line")
            .contains("session_end      - exit 0: completed")
    );
}

#[tokio::test(start_paused = true)]
async fn auto_confirm_never_overrides_a_failed_precheck() {
    let net = Net::new();
    net.with(|n| n.vpn_bgp_down = true);
    let run = headless(net, true).await;
    assert_eq!(run.code, 1, "{}", run.out);
    assert!(
        run.out
            .contains("--auto-confirm never overrides failed pre-checks: declining")
    );
    assert!(run.journal.iter().all(|e| e.kind() != "action_started"));
}

#[tokio::test(start_paused = true)]
async fn a_failed_rollback_ends_with_the_manual_commands() {
    let net = Net::new();
    net.with(|n| {
        n.converge = None;
        n.script.push_back(SetScript::Ok(vec![200]));
        n.script.push_back(SetScript::Err(
            vec![403],
            ArmError::Refused("AuthorizationFailed".into()),
        ));
    });
    let run = headless(net, true).await;
    assert_eq!(run.code, 4, "{}", run.out);
    let last: Vec<&str> = run.out.lines().rev().take(3).collect();
    assert!(last[0].starts_with("PowerShell: "), "{last:?}");
    assert!(
        last[1].starts_with("az CLI:     az network express-route peering update"),
        "{last:?}"
    );
    assert_eq!(last[2], "ROLLBACK FAILED: restore the peering by hand now:");
}
