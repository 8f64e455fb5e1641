//! Azure's failover test as a gated, guarded action (issue 16 item 2): on
//! virtual time against the engine's doubles (the deadline stops the test
//! as not successful and the session exits 3; the operator's confirmation
//! stops it as successful with each connection verified), and through the
//! real binary against the lab (`drill --runbook
//! runbooks/er-site-failover-test.toml --headless --auto-confirm`).

use std::path::Path;
use std::sync::Arc;

use crate::engine_support::*;
use cutover_core::runbook::Runbook;
use cutover_core::session::Command;
use cutover_core::session::event::{Event, RollbackReason};

/// A gate and the test, with no verification (the window then waits only
/// for the operator or the deadline).
const TEST_RUNBOOK: &str = r#"
[runbook]
id = "site-failover-test"
title = "Azure's site failover test"

[roles.azure]
platform = "azure"
resource_group = "SEA-Cust11"
circuit = "SEA-Cust11-ER"
peering = "AzurePrivatePeering"
gateway = "SEA-Cust11-VNet01-gw-vpn"

[[step]]
id = "confirm"
title = "Confirm the test"
phase = 3
why = "The test moves traffic to the VPN."
gate = { prompt = "Start the failover test?", confirm_text = "SEA-Cust11-ER" }

[[step]]
id = "test"
title = "Run the failover test"
phase = 3
why = "Azure's rehearsal."
action = { op = "azure.gateway.site_failover_test", role = "azure", gateway = "SEA-Cust11-VNet01-gw-er", rollback = "azure.gateway.site_failover_test.stop", deadline = "2m" }
"#;

fn runbook() -> Runbook {
    Runbook::from_str(TEST_RUNBOOK, "site-failover-test.toml").expect("valid runbook")
}

fn gate_only(ev: &Event) -> Reply {
    match ev {
        Event::GatePrompt {
            step, confirm_text, ..
        } => Reply::Send(Command::GateConfirm {
            step: step.clone(),
            typed: confirm_text.clone(),
        }),
        _ => Reply::Nothing,
    }
}

fn statuses(run: &Run) -> Vec<String> {
    run.events
        .iter()
        .filter_map(|e| match e {
            Event::FailoverTestStatus { test, .. } => Some(test.status.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn the_deadline_stops_the_test_as_not_successful_and_exits_3() {
    let net = Net::new();
    let watchdog = Arc::new(RecordingWatchdog { net: net.clone() });
    let run = run_session_guarded(runbook(), net, config(), gate_only, watchdog).await;
    assert_eq!(run.outcome.exit_code(), 3, "{:?}", run.outcome);
    let order = run.net.order();
    // The guard is armed before the start goes out, and the stop follows
    // the deadline with the verdict "not successful".
    let armed = run.at("guard:arm test");
    let started = run.at("azure:start_test Seattle");
    let stopped = run.at("azure:stop_test successful=false verified=0");
    assert!(armed < started && started < stopped, "{order:?}");
    assert!(
        run.events.iter().any(|e| matches!(
            e,
            Event::RollbackStarted { reason: RollbackReason::DeadlinePassed, op, .. }
                if op == "azure.gateway.site_failover_test.stop"
        )),
        "{:?}",
        run.kinds()
    );
    assert_eq!(run.count("rollback_done"), 1, "{:?}", run.kinds());
    // Polled while it ran (every 5 s over the 2 min deadline), Completed
    // once stopped.
    let s = statuses(&run);
    assert!(s.iter().filter(|s| *s == "Running").count() >= 10, "{s:?}");
    assert_eq!(s.last().map(String::as_str), Some("Completed"), "{s:?}");
    // The start, the detail polls and the stop are all in the journal.
    let paths: Vec<String> = run
        .events
        .iter()
        .filter_map(|e| match e {
            Event::ActionAttempt { attempt, .. } => Some(attempt.path.clone()),
            _ => None,
        })
        .collect();
    for call in [
        "startSiteFailoverTest",
        "getFailoverSingleTestDetails",
        "stopSiteFailoverTest",
    ] {
        assert!(
            paths.iter().any(|p| p.contains(call)),
            "{call} in {paths:?}"
        );
    }
    // The manual fallback is the stop, not a peering write.
    let manual = run.events.iter().find_map(|e| match e {
        Event::ActionStarted { manual, .. } => Some(manual.clone()),
        _ => None,
    });
    let manual = manual.expect("action_started");
    assert!(
        manual.az_cli.contains("stopSiteFailoverTest"),
        "{}",
        manual.az_cli
    );
    assert!(
        manual.az_cli.contains("\"wasSimulationSuccessful\":false"),
        "{}",
        manual.az_cli
    );
}

#[tokio::test(start_paused = true)]
async fn confirming_stops_the_test_as_successful_with_each_connection_verified() {
    let net = Net::new();
    let watchdog = Arc::new(RecordingWatchdog { net: net.clone() });
    let operator = |ev: &Event| match ev {
        Event::Verified { step } => Reply::After(
            std::time::Duration::from_secs(12),
            Command::ConfirmHealthy { step: step.clone() },
        ),
        other => gate_only(other),
    };
    let run = run_session_guarded(runbook(), net, config(), operator, watchdog).await;
    assert_eq!(run.outcome.exit_code(), 0, "{:?}", run.outcome);
    let stopped = run.at("azure:stop_test successful=true verified=1");
    assert!(run.at("azure:start_test Seattle") < stopped);
    assert_eq!(run.count("rollback_started"), 0, "{:?}", run.kinds());
    assert_eq!(run.count("confirm_healthy"), 1);
    let last = run.events.iter().rev().find_map(|e| match e {
        Event::FailoverTestStatus { test, .. } => Some(test.clone()),
        _ => None,
    });
    let last = last.expect("a status");
    assert_eq!(last.status, "Completed");
    assert_eq!(last.successful, Some(true));
    assert_eq!(last.non_redundant, ["10.1.11.0/25"]);
}

#[test]
fn check_knows_the_stop_undoes_the_test() {
    let wrong = TEST_RUNBOOK.replace(
        r#"rollback = "azure.gateway.site_failover_test.stop""#,
        r#"rollback = "azure.peering.enable""#,
    );
    let e = Runbook::from_str(&wrong, "wrong.toml").expect_err("refused");
    let text: String = e.items.iter().map(|d| d.message.clone()).collect();
    assert!(
        text.contains("does not undo action `azure.gateway.site_failover_test`")
            && text.contains("use rollback = \"azure.gateway.site_failover_test.stop\""),
        "{text}"
    );
    let alone = TEST_RUNBOOK.replace(
        r#"op = "azure.gateway.site_failover_test","#,
        r#"op = "azure.gateway.site_failover_test.stop","#,
    );
    let e = Runbook::from_str(&alone, "alone.toml").expect_err("refused");
    assert!(
        e.items
            .iter()
            .any(|d| d.message.contains("is only a rollback") && d.pos.is_some()),
        "{e:?}"
    );
    let bundled = Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks/er-site-failover-test.toml");
    let rb = Runbook::load(&bundled).expect("the bundled runbook is valid");
    assert!(rb.steps.iter().any(|s| s.id == "site-failover-test"));
}

/// The real binary against the lab: the bundled runbook's test runs, the
/// automatic operator confirms it, the stop carries the verdict, and the
/// lab reads the test Completed through the same client.
#[test]
fn a_drill_of_the_bundled_site_failover_test_ends_completed() {
    let dir = tempfile::tempdir().expect("dir");
    let journal = dir.path().join("site-failover-test.jsonl");
    let runbook = Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks/er-site-failover-test.toml");
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("cutover"))
        .env("XDG_STATE_HOME", dir.path())
        .env_remove("NO_COLOR")
        .env_remove("CUTOVER_LOG")
        .args(["drill", "--headless", "--auto-confirm", "--deadline", "60s"])
        .args(["--settle", "2s", "--runbook"])
        .arg(&runbook)
        .arg("--journal")
        .arg(&journal)
        .output()
        .expect("cutover runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let evs: Vec<serde_json::Value> = std::fs::read_to_string(&journal)
        .expect("journal")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let paths: Vec<&str> = evs
        .iter()
        .filter(|e| e["kind"] == "action_attempt")
        .filter_map(|e| e["attempt"]["path"].as_str())
        .collect();
    for call in [
        "startSiteFailoverTest",
        "getFailoverSingleTestDetails",
        "stopSiteFailoverTest",
    ] {
        assert!(
            paths.iter().any(|p| p.contains(call)),
            "{call} in {paths:?}"
        );
    }
    // The start and the stop are journaled as writes.
    assert!(
        evs.iter().any(|e| e["kind"] == "action_attempt"
            && e["attempt"]["path"]
                .as_str()
                .is_some_and(|p| p.contains("stopSiteFailoverTest"))
            && e["attempt"]["write"]["changes"]
                .as_array()
                .is_some_and(|c| {
                    c.iter()
                        .any(|c| c["field"] == "wasSimulationSuccessful" && c["to"] == "true")
                        && c.iter().any(|c| {
                            c["field"]
                                .as_str()
                                .is_some_and(|f| f.ends_with("].isVerified"))
                                && c["to"] == "true"
                        })
                })),
        "{stdout}"
    );
    let last = evs
        .iter()
        .rev()
        .find(|e| e["kind"] == "failover_test_status")
        .expect("a failover_test_status");
    assert_eq!(last["status"], "Completed", "{last}");
    assert_eq!(last["successful"], true, "{last}");
    assert!(stdout.contains(" failover_test_status "), "{stdout}");
    assert_eq!(
        evs.iter()
            .filter(|e| e["kind"] == "rollback_started")
            .count(),
        0,
        "{stdout}"
    );
}

/// The console while Azure's failover test runs: the banner says its
/// status and the routes that need the VPN.
#[test]
fn the_banner_shows_the_running_test_and_its_routes() {
    use crate::ui_support::*;
    use cutover_core::session::event::GateDecision;
    use cutover_core::session::failover_test::FailoverTestView;
    let status = Event::FailoverTestStatus {
        step: GUARD_STEP.into(),
        test: FailoverTestView {
            gateway: "SEA-Cust11/SEA-Cust11-VNet01-gw-er".into(),
            peering_location: "Seattle".into(),
            test_id: Some("5c1f0d2e".into()),
            status: "Running".into(),
            redundant: Vec::new(),
            non_redundant: vec!["10.1.11.0/25".into()],
            connections: vec!["SEA-Cust11-VNet01-cn-onprem".into()],
            successful: None,
        },
    };
    // The guarded change is the test, not the disable.
    let armed = action_armed()
        .into_iter()
        .map(|e| match e {
            Event::ActionStarted { step, manual, .. } => Event::ActionStarted {
                step,
                op: "azure.gateway.site_failover_test".into(),
                target: "SEA-Cust11/SEA-Cust11-VNet01-gw-er at Seattle".into(),
                manual,
            },
            other => other,
        })
        .collect();
    let events = cat(&[
        checks(true),
        vec![gate_prompt(&[])],
        gate_decision(GateDecision::Confirmed),
        armed,
        vec![status],
    ]);
    let app = app_with(&events);
    let screen = cutover_tui::render_to_string(&app, 140, 12);
    assert!(
        screen.contains(
            "Azure failover test Running at Seattle · non-redundant (need the VPN): 10.1.11.0/25"
        ),
        "{screen}"
    );
    insta::assert_snapshot!("failover_test_banner_running", screen);
    let mut t =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 10)).expect("terminal");
    t.draw(|f| cutover_tui::routes::render(f, f.area(), &app))
        .expect("draw");
    let routes = cutover_tui::buffer_text(t.backend().buffer());
    assert!(
        routes.contains("non-redundant (need the VPN): 10.1.11.0/25"),
        "{routes}"
    );
    insta::assert_snapshot!("failover_test_routes_pane", routes);
}

/// An abort (`rollback`) stops the test at once, as not successful, and a
/// console that goes away does the same: nothing waits for the deadline.
#[tokio::test(start_paused = true)]
async fn an_abort_or_a_lost_console_stops_the_test_as_not_successful() {
    for hang_up in [false, true] {
        let net = Net::new();
        let watchdog = Arc::new(RecordingWatchdog { net: net.clone() });
        let operator = move |ev: &Event| match ev {
            Event::Verified { .. } if hang_up => Reply::Hangup,
            Event::Verified { step } => Reply::Send(Command::Rollback { step: step.clone() }),
            other => gate_only(other),
        };
        let start = tokio::time::Instant::now();
        let run = run_session_guarded(runbook(), net, config(), operator, watchdog).await;
        assert_eq!(run.outcome.exit_code(), 3, "{:?}", run.outcome);
        let want = if hang_up {
            RollbackReason::ConsoleLost
        } else {
            RollbackReason::Operator
        };
        assert!(
            run.events.iter().any(|e| matches!(
                e,
                Event::RollbackStarted { reason, .. } if *reason == want
            )),
            "{:?}",
            run.kinds()
        );
        run.at("azure:stop_test successful=false verified=0");
        // Stopped long before the 2 min deadline (the stop's watch reads
        // Completed on its first read).
        assert!(start.elapsed() < std::time::Duration::from_secs(60));
    }
}

/// The console dies while the test runs: its detached guard stops the
/// test on the lab, as not successful, with the gateway, location and id
/// the console journaled, and closes the journal (exit 3).
#[test]
fn a_killed_console_leaves_the_stop_to_its_guard() {
    use crate::run_guard::{follow, records, wait_closed};
    use std::process::Stdio;
    use std::time::Duration;
    let dir = tempfile::tempdir().expect("dir");
    let journal = dir.path().join("killed.jsonl");
    let runbook = Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks/er-site-failover-test.toml");
    let mut console = std::process::Command::new(assert_cmd::cargo::cargo_bin("cutover"))
        .args(["drill", "--headless", "--deadline", "10m", "--settle", "2s"])
        .arg("--runbook")
        .arg(&runbook)
        .arg("--journal")
        .arg(&journal)
        .env("XDG_STATE_HOME", dir.path())
        .env_remove("CUTOVER_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("cutover drill starts");
    let input = console.stdin.take().expect("stdin");
    let output = console.stdout.take().expect("stdout");
    let armed = follow(
        input,
        output,
        "deadline_armed",
        true,
        Duration::from_secs(120),
    );
    assert!(armed.reached, "no countdown:\n{}", armed.lines.join("\n"));
    console.kill().expect("SIGKILL the console");
    let _ = console.wait();
    drop(armed.input);
    let text = wait_closed(&journal, Duration::from_secs(90));
    let recs = records(&text);
    let armed_at = recs
        .iter()
        .rposition(|r| r["kind"] == "deadline_armed")
        .expect("armed");
    let after = &recs[armed_at..];
    assert!(
        after.iter().any(|r| r["kind"] == "rollback_started"
            && r["op"] == "azure.gateway.site_failover_test.stop"),
        "{text}"
    );
    assert!(
        after.iter().any(|r| r["kind"] == "action_attempt"
            && r["attempt"]["path"]
                .as_str()
                .is_some_and(|p| p.contains("/SEA-Cust11-VNet01-gw-er/stopSiteFailoverTest"))),
        "{text}"
    );
    let status = after
        .iter()
        .rev()
        .find(|r| r["kind"] == "failover_test_status")
        .unwrap_or_else(|| panic!("no status after the stop: {text}"));
    assert_eq!(status["status"], "Completed", "{status}");
    assert_eq!(status["successful"], false, "{status}");
    assert!(after.iter().any(|r| r["kind"] == "rollback_done"), "{text}");
    let end = recs.last().expect("end");
    assert_eq!(end["kind"], "session_end", "{text}");
    assert_eq!(end["exit_code"], 3, "{end}");
}

/// The circuit link failover test: gated like the site test, undone only
/// by its own stop, addressed by link at its own api-version.
const LINK_RUNBOOK: &str = r#"
[runbook]
id = "link-failover-test"
title = "Azure's circuit link failover test"

[roles.azure]
platform = "azure"
resource_group = "SEA-Cust11"
circuit = "SEA-Cust11-ER"
peering = "AzurePrivatePeering"

[[step]]
id = "confirm"
title = "Confirm the test"
phase = 3
why = "The test takes one ExpressRoute link down."
gate = { prompt = "Start the link failover test?", confirm_text = "SEA-Cust11-ER" }

[[step]]
id = "link-test"
title = "Run the link failover test"
phase = 3
why = "Azure's rehearsal of a link loss."
action = { op = "azure.circuit.link_failover_test", role = "azure", link_type = "Secondary", rollback = "azure.circuit.link_failover_test.stop", deadline = "2m" }
"#;

/// `check`'s error for `toml` (which must be refused), and where.
fn refused(toml: &str) -> Vec<(String, Option<(usize, usize)>)> {
    let e = Runbook::from_str(toml, "link.toml").expect_err("refused");
    e.items
        .iter()
        .map(|d| (d.message.clone(), d.pos.map(|p| (p.line, p.col))))
        .collect()
}

fn has(items: &[(String, Option<(usize, usize)>)], needle: &str) -> bool {
    items
        .iter()
        .any(|(m, pos)| m.contains(needle) && pos.is_some_and(|(l, c)| l > 0 && c > 0))
}

#[test]
fn check_knows_the_link_stop_undoes_the_link_test() {
    let rb = Runbook::from_str(LINK_RUNBOOK, "link.toml").expect("valid runbook");
    let action = rb
        .steps
        .iter()
        .find_map(|s| match &s.body {
            cutover_core::runbook::StepBody::Action(a) => Some(a.action.clone()),
            _ => None,
        })
        .expect("an action");
    let link = action.link_test.expect("the link test's keys");
    assert_eq!(
        (
            link.link_type.as_str(),
            link.category.as_str(),
            link.api_version.as_str()
        ),
        ("Secondary", "BgpDisconnect", "2025-07-01")
    );
    assert!(
        action.command.contains(
            "/expressRouteCircuits/SEA-Cust11-ER/startCircuitLinkFailoverTest?linkType=Secondary&circuitTestCategory=BgpDisconnect&api-version=2025-07-01"
        ),
        "{}",
        action.command
    );
    assert!(
        action
            .rollback_command
            .contains("stopCircuitLinkFailoverTest?api-version=2025-07-01")
            && action
                .rollback_command
                .contains("\"wasSimulationSuccessful\":false"),
        "{}",
        action.rollback_command
    );
    // The link test needs a gate, as the site test does.
    assert!(cutover_core::runbook::ActionOp::AzureCircuitLinkFailoverTest.is_disruptive());

    let wrong = LINK_RUNBOOK.replace(
        r#"rollback = "azure.circuit.link_failover_test.stop""#,
        r#"rollback = "azure.gateway.site_failover_test.stop""#,
    );
    assert!(
        has(
            &refused(&wrong),
            "use rollback = \"azure.circuit.link_failover_test.stop\""
        ),
        "{:?}",
        refused(&wrong)
    );
    let enable = LINK_RUNBOOK.replace(
        r#"rollback = "azure.circuit.link_failover_test.stop""#,
        r#"rollback = "azure.peering.enable""#,
    );
    assert!(
        has(
            &refused(&enable),
            "does not undo action `azure.circuit.link_failover_test`"
        ),
        "{:?}",
        refused(&enable)
    );
    let alone = LINK_RUNBOOK.replace(
        r#"op = "azure.circuit.link_failover_test","#,
        r#"op = "azure.circuit.link_failover_test.stop","#,
    );
    assert!(
        has(&refused(&alone), "is only a rollback"),
        "{:?}",
        refused(&alone)
    );
    // The site test's stop does not undo the link test either way round.
    let site = TEST_RUNBOOK.replace(
        r#"rollback = "azure.gateway.site_failover_test.stop""#,
        r#"rollback = "azure.circuit.link_failover_test.stop""#,
    );
    assert!(
        has(
            &refused(&site),
            "use rollback = \"azure.gateway.site_failover_test.stop\""
        ),
        "{:?}",
        refused(&site)
    );
    for (from, to, why) in [
        (
            r#"link_type = "Secondary""#,
            r#"link_type = "Tertiary""#,
            "`link_type` must be one of Primary, Secondary",
        ),
        (
            r#"link_type = "Secondary""#,
            r#"category = "ASPathPrepend""#,
            "`category` must be one of BgpDisconnect",
        ),
        (
            r#"link_type = "Secondary""#,
            r#"api_version = "2024-05-01""#,
            "predates the circuit link failover test",
        ),
        (
            r#"link_type = "Secondary""#,
            r#"api_version = "latest""#,
            "`api_version` must be an ARM API version",
        ),
        (
            r#"link_type = "Secondary""#,
            r#"gateway = "SEA-Cust11-VNet01-gw-er""#,
            "runs on the circuit: remove `gateway`",
        ),
    ] {
        let bad = LINK_RUNBOOK.replace(from, to);
        assert!(has(&refused(&bad), why), "{why}: {:?}", refused(&bad));
    }
    let stray = TEST_RUNBOOK.replace(
        r#"deadline = "2m" }"#,
        r#"deadline = "2m", link_type = "Primary" }"#,
    );
    assert!(
        has(
            &refused(&stray),
            "`link_type` is a key of `azure.circuit.link_failover_test`"
        ),
        "{:?}",
        refused(&stray)
    );
}

/// Until the guard can read and stop the link test, a drill of it sends
/// nothing: refused before the write-ahead, the guard never armed.
#[tokio::test(start_paused = true)]
async fn the_link_test_is_refused_before_anything_is_sent() {
    let rb = Runbook::from_str(LINK_RUNBOOK, "link.toml").expect("valid runbook");
    let net = Net::new();
    let watchdog = Arc::new(RecordingWatchdog { net: net.clone() });
    let run = run_session_guarded(rb, net, config(), gate_only, watchdog).await;
    let order = run.net.order();
    assert!(
        !order
            .iter()
            .any(|o| o.starts_with("azure:start") || o.starts_with("guard:arm")),
        "{order:?}"
    );
    assert_eq!(run.count("action_started"), 0, "{:?}", run.kinds());
    assert_ne!(run.outcome.exit_code(), 0, "{:?}", run.outcome);
    // The operator is told why, with the start to run by hand.
    assert!(
        run.events.iter().any(|e| matches!(
            e,
            Event::Note { text, .. }
                if text.contains("is not run by this version's guard yet")
                    && text.contains("startCircuitLinkFailoverTest?linkType=Secondary")
        )),
        "{:?}",
        run.kinds()
    );
}
