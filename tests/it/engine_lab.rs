//! Drill = production minus endpoints: the engine against the built-in lab
//! on 127.0.0.1, through the real russh client and the real ARM client, the
//! same parsers and the same runbooks. Real sockets, real (wall-clock)
//! time: these are the slow tests of the engine, kept few.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use cutover::cli::headless::drive;
use cutover::cli::validate::{DEFAULT_RUNBOOK, Prepared, prepare, real_world, run_checks};
use cutover_clients::arm::{ArmClient, StaticToken};
use cutover_clients::ssh::{SshDevice, SshOptions};
use cutover_core::session::event::{Event, Mode};
use cutover_engine::{Engine, EventSink, MemoryLog, NoLocalTracer, SessionConfig, World};
use cutover_lab::serve::{LabHandle, LabOptions, start};
use cutover_lab::{Topology, scenario};

const TOKEN: &str = "engine-lab-test-token";

async fn lab(dir: &Path, name: &str) -> LabHandle {
    let s = scenario::load_builtin(name, &Topology::article()).expect("scenario");
    start(
        LabOptions::new(s, dir.join("inventory.toml"), TOKEN)
            .with_time_scale(cutover_lab::TimeScale::TESTS),
    )
    .await
    .expect("the lab starts")
}

/// The production clients, as `drill` builds them: isolated SSH options
/// and the lab's token in memory.
fn clients(p: &Prepared) -> World<SshDevice, ArmClient, NoLocalTracer> {
    real_world(
        p,
        &SshOptions::isolated(),
        Some(Arc::new(StaticToken::new(TOKEN))),
    )
    .expect("clients")
}

fn failover_runbook() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks/er-vpn-failover.toml")
}

/// `validate` on one scenario: exit status, failed checks, warned checks.
async fn validate(name: &'static str) -> (u8, Vec<String>, Vec<String>) {
    let dir = tempfile::tempdir().expect("dir");
    let lab = lab(dir.path(), name).await;
    let p = prepare(lab.inventory_path(), None, DEFAULT_RUNBOOK, "bundled").expect("fits");
    let world = clients(&p);
    let outcome = run_checks(p, world).await;
    lab.shutdown().await.expect("lab stops");
    let not_passed = |advisory: bool| {
        outcome
            .steps
            .iter()
            .filter(|s| s.verdict != cutover_core::session::event::Verdict::Passed)
            .filter(|s| s.advisory == advisory)
            .map(|s| s.step.clone())
            .collect::<Vec<_>>()
    };
    (outcome.exit_code(), not_passed(false), not_passed(true))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_passes_on_the_baseline_and_names_each_broken_backup() {
    let table: [(&'static str, u8, Option<&str>); 6] = [
        ("baseline", 0, None),
        ("vpn-bgp-down", 1, Some("fw-bgp-to-vpn-gateway")),
        (
            "spoke-not-advertised",
            1,
            Some("fw-receives-azure-from-vpn1"),
        ),
        (
            "vpn-more-specific",
            1,
            Some("no-vpn-more-specific-toward-onprem"),
        ),
        ("ce2-localpref-missing", 1, Some("fw-prefers-er-for-hub")),
        // No BFD: worth a warning, not a failed quarterly check.
        ("slow-convergence", 0, None),
    ];
    let runs = futures::future::join_all(table.iter().map(|(n, _, _)| validate(n))).await;
    for ((name, want, failing), (code, failed, warned)) in table.iter().zip(runs) {
        assert_eq!(code, *want, "{name}: failed {failed:?}");
        match failing {
            Some(f) => assert!(failed.iter().any(|s| s == f), "{name}: {failed:?}"),
            None => assert!(failed.is_empty(), "{name}: {failed:?}"),
        }
        if *name == "slow-convergence" {
            assert_eq!(warned, ["ce1-bfd-up", "ce2-bfd-up"], "{name}");
        }
        if *name == "baseline" {
            assert!(warned.is_empty(), "{name}: {warned:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_headless_drill_fails_over_and_back_over_the_wire() {
    let dir = tempfile::tempdir().expect("dir");
    let lab = lab(dir.path(), "baseline").await;
    let p = prepare(lab.inventory_path(), Some(&failover_runbook()), "", "").expect("fits");
    let world = clients(&p);
    let log = MemoryLog::new();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let sink = EventSink::new(Some(Arc::new(log.clone())), vec![tx]);
    let mut config = SessionConfig::new(Mode::Drill);
    config.monitor = false;
    config.deadline_override = Some(Duration::from_secs(60));
    let engine = Engine::new(Arc::new(p.runbook), Arc::new(world), sink, config);
    let mut out: Vec<u8> = Vec::new();
    let outcome = drive(engine, rx, true, &mut out).await;
    let text = String::from_utf8_lossy(&out);
    assert_eq!(outcome.exit_code(), 0, "{}\n{text}", outcome.outcome);
    let events = log.events();
    let count = |k: &str| events.iter().filter(|e| e.kind() == k).count();
    assert_eq!(count("action_started"), 2);
    assert_eq!(count("confirm_healthy"), 2);
    assert_eq!(count("rollback_started"), 0);
    // The verifications saw the traffic move: a passing trace over the VPN
    // after the disable, over ExpressRoute after the enable.
    let passed_traces: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            Event::VerifyResult {
                clause,
                passed: true,
                ..
            } if clause.starts_with("server: trace via") => Some(clause.as_str()),
            _ => None,
        })
        .collect();
    assert!(
        passed_traces[0].starts_with("server: trace via vpn"),
        "{passed_traces:?}"
    );
    assert!(
        passed_traces[1].starts_with("server: trace via expressroute"),
        "{passed_traces:?}"
    );
    let state = lab
        .world()
        .with(|w, _| w.peering("AzurePrivatePeering").map(|p| p.state));
    assert_eq!(state.as_deref(), Some("Enabled"));
    lab.shutdown().await.expect("lab stops");
}

/// One scenario, headless with `--auto-confirm` and a 20 s deadline, as
/// `cutover drill --headless --auto-confirm --deadline 20s --scenario S`
/// runs it.
async fn drill(name: &'static str) -> (u8, Vec<Event>, Option<String>, String) {
    let dir = tempfile::tempdir().expect("dir");
    let lab = lab(dir.path(), name).await;
    let p = prepare(lab.inventory_path(), Some(&failover_runbook()), "", "").expect("fits");
    let world = clients(&p);
    let log = MemoryLog::new();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let sink = EventSink::new(Some(Arc::new(log.clone())), vec![tx]);
    let mut config = SessionConfig::new(Mode::Drill);
    config.monitor = false;
    config.scenario = Some(name.to_string());
    config.deadline_override = Some(Duration::from_secs(20));
    let engine = Engine::new(Arc::new(p.runbook), Arc::new(world), sink, config);
    let mut out: Vec<u8> = Vec::new();
    let outcome = drive(engine, rx, true, &mut out).await;
    let state = lab
        .world()
        .with(|w, _| w.peering("AzurePrivatePeering").map(|p| p.state));
    lab.shutdown().await.expect("lab stops");
    (
        outcome.exit_code(),
        log.events(),
        state,
        String::from_utf8_lossy(&out).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_ends_as_the_drill_table_says_with_the_peering_enabled() {
    let table: [(&'static str, u8); 7] = [
        ("vpn-bgp-down", 1),
        ("spoke-not-advertised", 1),
        ("vpn-more-specific", 1),
        ("ce2-localpref-missing", 1),
        ("er-disable-conflict", 0),
        ("slow-convergence", 3),
        ("stuck-on-vpn", 3),
    ];
    let runs = futures::future::join_all(table.iter().map(|(name, _)| drill(name))).await;
    let mut wrong = Vec::new();
    for ((name, want), (code, events, state, out)) in table.iter().zip(runs) {
        if code != *want || state.as_deref() != Some("Enabled") {
            wrong.push(format!(
                "{name}: exit {code} (want {want}), peering {state:?}\n{out}"
            ));
        }
        // A failed pre-check stops before any change. (vpn-more-specific is
        // caught by the runbook's phase-4 checks, after the restore.)
        if *want == 1
            && *name != "vpn-more-specific"
            && events.iter().any(|e| e.kind() == "action_started")
        {
            wrong.push(format!("{name}: a change started"));
        }
        if *name == "er-disable-conflict" {
            let retried = events.iter().any(|e| {
                matches!(e, Event::ActionAttempt { attempt, .. } if attempt.status == 409 || attempt.status == 429)
            });
            assert!(retried, "{name}: the 409/429 answers are journaled");
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}
