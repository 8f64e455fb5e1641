//! Azure's failover tests (the site failover simulation and the circuit
//! link failover test) as gated, guarded actions (issue 16 item 2): on
//! virtual time against the engine's doubles (the deadline stops the test
//! as not successful and the session exits 3; the operator's confirmation
//! stops it as successful and verified), and through the real binary
//! against the lab (`drill --runbook runbooks/er-site-failover-test.toml`
//! and `runbooks/er-link-failover-test.toml`, `--headless --auto-confirm`;
//! a console killed while the test runs).

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

/// `runbook`'s test left to its deadline: the guard (`guard`) is armed
/// before the start (`start`) goes out, the stop (`stop_op`) follows the
/// deadline with the verdict "not successful", the test was polled while
/// it ran (every 5 s over the 2 min deadline) and reads Completed once
/// stopped; the session exits 3.
async fn deadline_stops(runbook: Runbook, guard: &str, start: &str, stop_op: &str) -> Run {
    let net = Net::new();
    let watchdog = Arc::new(RecordingWatchdog { net: net.clone() });
    let run = run_session_guarded(runbook, net, config(), gate_only, watchdog).await;
    assert_eq!(run.outcome.exit_code(), 3, "{:?}", run.outcome);
    let order = run.net.order();
    let armed = run.at(guard);
    let started = run.at(start);
    let stopped = run.at("azure:stop_test successful=false verified=0");
    assert!(armed < started && started < stopped, "{order:?}");
    assert!(
        run.events.iter().any(|e| matches!(
            e,
            Event::RollbackStarted { reason: RollbackReason::DeadlinePassed, op, .. }
                if op == stop_op
        )),
        "{:?}",
        run.kinds()
    );
    assert_eq!(run.count("rollback_done"), 1, "{:?}", run.kinds());
    let s = statuses(&run);
    assert!(s.iter().filter(|s| *s == "Running").count() >= 10, "{s:?}");
    assert_eq!(s.last().map(String::as_str), Some("Completed"), "{s:?}");
    run
}

/// `runbook`'s test confirmed healthy 12 s after its verification: stopped
/// as successful and verified after its start (`start`), never rolled
/// back, and its last status Completed and successful.
async fn confirmed(runbook: Runbook, start: &str) -> Run {
    let net = Net::new();
    let watchdog = Arc::new(RecordingWatchdog { net: net.clone() });
    let operator = |ev: &Event| match ev {
        Event::Verified { step } => Reply::After(
            std::time::Duration::from_secs(12),
            Command::ConfirmHealthy { step: step.clone() },
        ),
        other => gate_only(other),
    };
    let run = run_session_guarded(runbook, net, config(), operator, watchdog).await;
    assert_eq!(run.outcome.exit_code(), 0, "{:?}", run.outcome);
    let stopped = run.at("azure:stop_test successful=true verified=1");
    assert!(run.at(start) < stopped);
    assert_eq!(run.count("rollback_started"), 0, "{:?}", run.kinds());
    let last = last_status(&run);
    assert_eq!(last.status, "Completed");
    assert_eq!(last.successful, Some(true));
    run
}

/// The last status the session journaled of its test.
fn last_status(run: &Run) -> cutover_core::session::failover_test::FailoverTestView {
    run.events
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::FailoverTestStatus { test, .. } => Some(test.clone()),
            _ => None,
        })
        .expect("a status")
}

#[tokio::test(start_paused = true)]
async fn the_deadline_stops_the_test_as_not_successful_and_exits_3() {
    let run = deadline_stops(
        runbook(),
        "guard:arm test",
        "azure:start_test Seattle",
        "azure.gateway.site_failover_test.stop",
    )
    .await;
    // The start, the detail polls and the stop are all in the journal.
    let paths = attempt_paths(&run);
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
    let run = confirmed(runbook(), "azure:start_test Seattle").await;
    assert_eq!(run.count("confirm_healthy"), 1);
    let last = last_status(&run);
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

/// `cutover drill --headless --auto-confirm` of the bundled `runbook`:
/// its output and its journal's records.
fn drill_bundled(runbook: &str) -> (std::process::Output, Vec<serde_json::Value>) {
    let dir = tempfile::tempdir().expect("dir");
    let journal = dir.path().join("failover-test.jsonl");
    let runbook = Path::new(env!("CARGO_MANIFEST_DIR")).join(runbook);
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("cutover"))
        .env("XDG_STATE_HOME", dir.path())
        .env_remove("NO_COLOR")
        .env_remove("CUTOVER_LOG")
        .args(crate::HEADLESS_DRILL)
        .args(["--auto-confirm", "--deadline", "60s"])
        .args(["--settle", "2s", "--runbook"])
        .arg(&runbook)
        .arg("--journal")
        .arg(&journal)
        .output()
        .expect("cutover runs");
    let evs = std::fs::read_to_string(&journal)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    (out, evs)
}

/// The real binary against the lab: each bundled runbook's test runs (the
/// site test and the link test, at once), the automatic operator confirms
/// it, the stop carries the verdict, and the lab reads the test Completed
/// through the same client.
#[test]
fn drills_of_the_bundled_failover_tests_end_completed() {
    let (site, link) = std::thread::scope(|s| {
        let site = s.spawn(|| drill_bundled("runbooks/er-site-failover-test.toml"));
        let link = s.spawn(|| drill_bundled("runbooks/er-link-failover-test.toml"));
        (
            site.join().expect("the site drill"),
            link.join().expect("the link drill"),
        )
    });
    // The verdict's field: each connection's (`details[NAME].isVerified`)
    // for the site test, the test's own (`isVerified`) for the link test.
    let cases = [
        (
            site,
            [
                "startSiteFailoverTest",
                "getFailoverSingleTestDetails",
                "stopSiteFailoverTest",
            ],
            "].isVerified",
        ),
        (
            link,
            [
                "/expressRouteCircuits/SEA-Cust11-ER/startCircuitLinkFailoverTest?api-version=2025-07-01&linkType=Primary&circuitTestCategory=BgpDisconnect",
                "getCircuitLinkFailoverSingleTestDetails",
                "stopCircuitLinkFailoverTest",
            ],
            "isVerified",
        ),
    ];
    for ((out, evs), [start, details, stop], verified) in cases {
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let paths: Vec<&str> = evs
            .iter()
            .filter(|e| e["kind"] == "action_attempt")
            .filter_map(|e| e["attempt"]["path"].as_str())
            .collect();
        for call in [start, details, stop] {
            assert!(
                paths.iter().any(|p| p.contains(call)),
                "{call} in {paths:?}"
            );
        }
        // Polled while it ran, not only after the stop.
        let stop_at = evs
            .iter()
            .position(|e| {
                e["kind"] == "action_attempt"
                    && e["attempt"]["path"]
                        .as_str()
                        .is_some_and(|p| p.contains(stop))
            })
            .expect("the stop");
        assert!(
            evs[..stop_at]
                .iter()
                .any(|e| e["kind"] == "failover_test_status" && e["status"] == "Running"),
            "{stdout}"
        );
        // The stop is journaled as a write, with the verdict.
        assert!(
            evs.iter().any(|e| e["kind"] == "action_attempt"
                && e["attempt"]["path"]
                    .as_str()
                    .is_some_and(|p| p.contains(stop))
                && e["attempt"]["write"]["changes"]
                    .as_array()
                    .is_some_and(|c| {
                        c.iter()
                            .any(|c| c["field"] == "wasSimulationSuccessful" && c["to"] == "true")
                            && c.iter().any(|c| {
                                c["field"].as_str().is_some_and(|f| {
                                    f.ends_with(verified)
                                        && (f == "isVerified") == (verified == "isVerified")
                                }) && c["to"] == "true"
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
            link: None,
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

/// The console while the link test runs: the banner names the link and
/// the routes learned on one link only.
#[test]
fn the_banner_shows_the_running_link_test() {
    use crate::ui_support::*;
    use cutover_core::session::event::GateDecision;
    use cutover_core::session::failover_test::FailoverTestView;
    let status = Event::FailoverTestStatus {
        step: GUARD_STEP.into(),
        test: FailoverTestView {
            gateway: "SEA-Cust11/SEA-Cust11-ER".into(),
            peering_location: String::new(),
            link: Some("Primary".into()),
            test_id: Some("11cf0d2e".into()),
            status: "Running".into(),
            redundant: vec!["10.1.11.0/25".into()],
            non_redundant: vec!["10.1.12.0/24".into()],
            connections: Vec::new(),
            successful: None,
        },
    };
    let armed = action_armed()
        .into_iter()
        .map(|e| match e {
            Event::ActionStarted { step, manual, .. } => Event::ActionStarted {
                step,
                op: "azure.circuit.link_failover_test".into(),
                target:
                    "SEA-Cust11/SEA-Cust11-ER link Primary BgpDisconnect api-version 2025-07-01"
                        .into(),
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
    let want = "Azure link failover test Running on the Primary link · non-redundant (need the VPN): 10.1.12.0/24 · redundant: 10.1.11.0/25";
    assert!(screen.contains(want), "{screen}");
    insta::assert_snapshot!("link_failover_test_banner_running", screen);
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
/// test on the lab, as not successful, with the test the console
/// journaled (the gateway and location, or the circuit and link) and its
/// id, and closes the journal (exit 3). The site test and the link test
/// at once.
#[test]
fn a_killed_console_leaves_the_stop_to_its_guard() {
    std::thread::scope(|s| {
        let site = s.spawn(|| {
            killed_console(
                "runbooks/er-site-failover-test.toml",
                "azure.gateway.site_failover_test.stop",
                "/SEA-Cust11-VNet01-gw-er/stopSiteFailoverTest",
            )
        });
        let link = s.spawn(|| {
            killed_console(
                "runbooks/er-link-failover-test.toml",
                "azure.circuit.link_failover_test.stop",
                "/expressRouteCircuits/SEA-Cust11-ER/stopCircuitLinkFailoverTest",
            )
        });
        site.join().expect("the site test");
        link.join().expect("the link test");
    });
}

fn killed_console(runbook: &str, stop_op: &str, stop_path: &str) {
    use crate::run_guard::{follow, records, wait_closed};
    use std::process::Stdio;
    use std::time::Duration;
    let dir = tempfile::tempdir().expect("dir");
    let journal = dir.path().join("killed.jsonl");
    let runbook = Path::new(env!("CARGO_MANIFEST_DIR")).join(runbook);
    let mut console = std::process::Command::new(assert_cmd::cargo::cargo_bin("cutover"))
        .args(crate::HEADLESS_DRILL)
        .args(["--deadline", "10m", "--settle", "2s"])
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
        after
            .iter()
            .any(|r| r["kind"] == "rollback_started" && r["op"] == stop_op),
        "{text}"
    );
    assert!(
        after.iter().any(|r| r["kind"] == "action_attempt"
            && r["attempt"]["path"]
                .as_str()
                .is_some_and(|p| p.contains(stop_path))),
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
    let bundled = Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks/er-link-failover-test.toml");
    let rb = Runbook::load(&bundled).expect("the bundled link runbook is valid");
    assert!(rb.steps.iter().any(|s| s.id == "link-failover-test"));
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

fn link_runbook() -> Runbook {
    Runbook::from_str(LINK_RUNBOOK, "link.toml").expect("valid runbook")
}

/// The link test's calls, as journaled.
fn attempt_paths(run: &Run) -> Vec<String> {
    run.events
        .iter()
        .filter_map(|e| match e {
            Event::ActionAttempt { attempt, .. } => Some(attempt.path.clone()),
            _ => None,
        })
        .collect()
}

/// The deadline stops the link test on its circuit, by its link, as not
/// successful and not verified; the session exits 3.
#[tokio::test(start_paused = true)]
async fn the_deadline_stops_the_link_test_as_not_successful_and_exits_3() {
    let run = deadline_stops(
        link_runbook(),
        "guard:arm link-test",
        "azure:start_test link Secondary",
        "azure.circuit.link_failover_test.stop",
    )
    .await;
    let paths = attempt_paths(&run);
    for call in [
        "/expressRouteCircuits/SEA-Cust11-ER/startCircuitLinkFailoverTest?linkType=Secondary&circuitTestCategory=BgpDisconnect&api-version=2025-07-01",
        "/getCircuitLinkFailoverSingleTestDetails?linkType=Secondary&circuitTestCategory=BgpDisconnect&failoverTestId=test-1&",
        "/stopCircuitLinkFailoverTest?api-version=2025-07-01",
    ] {
        assert!(
            paths.iter().any(|p| p.contains(call)),
            "{call} in {paths:?}"
        );
    }
    // What the detached guard would read back from the journal: the
    // circuit and the link, and the manual fallback is the link's stop.
    let (target, manual) = run
        .events
        .iter()
        .find_map(|e| match e {
            Event::ActionStarted { target, manual, .. } => Some((target.clone(), manual.clone())),
            _ => None,
        })
        .expect("action_started");
    let j = cutover_core::azure_call::JournaledTest::parse(&target).expect("readable");
    assert_eq!(j.resource, "SEA-Cust11-ER", "{target}");
    assert_eq!(
        j.link.map(|l| l.link_type),
        Some("Secondary".to_string()),
        "{target}"
    );
    assert!(
        manual
            .az_cli
            .contains("/stopCircuitLinkFailoverTest?api-version=2025-07-01")
            && manual.az_cli.contains("\"wasSimulationSuccessful\":false")
            && manual.az_cli.contains("\"linkType\":\"Secondary\""),
        "{}",
        manual.az_cli
    );
    // Each status names the link.
    assert!(
        run.events.iter().all(|e| match e {
            Event::FailoverTestStatus { test, .. } => test.link.as_deref() == Some("Secondary"),
            _ => true,
        }),
        "{:?}",
        run.kinds()
    );
}

/// The operator's confirmation stops the link test as successful and
/// verified; the last status reads Completed with the routes.
#[tokio::test(start_paused = true)]
async fn confirming_stops_the_link_test_as_successful_and_verified() {
    let start = tokio::time::Instant::now();
    let run = confirmed(link_runbook(), "azure:start_test link Secondary").await;
    // Stopped on the confirmation, long before the 2 min deadline.
    assert!(start.elapsed() < std::time::Duration::from_secs(60));
    let last = last_status(&run);
    assert_eq!(last.gateway, "SEA-Cust11/SEA-Cust11-ER");
    assert_eq!(last.redundant, ["10.1.11.0/25"]);
    assert_eq!(last.non_redundant, ["10.1.12.0/24"]);
}

/// The start reached Azure but its answer was lost: the test may run, so
/// it is stopped as not successful at once, then found again by the
/// latest test on its link and watched until it no longer runs.
#[tokio::test(start_paused = true)]
async fn a_lost_start_answer_is_stopped_and_found_by_the_latest_test() {
    let net = Net::new();
    net.with(|n| n.test_start_lost = true);
    let watchdog = Arc::new(RecordingWatchdog { net: net.clone() });
    let run = run_session_guarded(link_runbook(), net, config(), gate_only, watchdog).await;
    assert_eq!(run.outcome.exit_code(), 3, "{:?}", run.outcome);
    let order = run.net.order();
    let started = run.at("azure:start_test link Secondary");
    let stopped = run.at("azure:stop_test successful=false verified=0");
    let found = run.at("azure:latest_tests");
    assert!(started < stopped && stopped < found, "{order:?}");
    assert!(
        run.events.iter().any(|e| matches!(
            e,
            Event::RollbackStarted { reason: RollbackReason::ChangeFailed, op, .. }
                if op == "azure.circuit.link_failover_test.stop"
        )),
        "{:?}",
        run.kinds()
    );
    assert!(
        run.events.iter().any(|e| matches!(
            e,
            Event::Note { text, .. } if text.contains("the latest failover test on the Secondary link of SEA-Cust11/SEA-Cust11-ER (BgpDisconnect) is test-1")
        )),
        "{:?}",
        run.kinds()
    );
    let last = run
        .events
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::FailoverTestStatus { test, .. } => Some(test.clone()),
            _ => None,
        })
        .expect("the found test watched");
    assert_eq!(
        (
            last.status.as_str(),
            last.test_id.as_deref(),
            last.successful
        ),
        ("Completed", Some("test-1"), Some(false))
    );
    assert_eq!(run.count("rollback_done"), 1, "{:?}", run.kinds());
    assert!(
        attempt_paths(&run)
            .iter()
            .any(|p| p == "/getCircuitLinkFailoverAllTestsDetails"),
        "{:?}",
        attempt_paths(&run)
    );
}

/// A lost start answer where the only test listed at the place started
/// before this action: it is not taken for this action's test (stopping
/// or watching another test would say nothing of this one); the stop's
/// completed operation stands as the evidence.
#[tokio::test(start_paused = true)]
async fn a_test_that_started_before_the_action_is_not_taken_for_its_own() {
    let net = Net::new();
    net.with(|n| {
        n.test_start_lost = true;
        n.latest_test_before = true;
    });
    let watchdog = Arc::new(RecordingWatchdog { net: net.clone() });
    let run = run_session_guarded(link_runbook(), net, config(), gate_only, watchdog).await;
    assert_eq!(run.outcome.exit_code(), 3, "{:?}", run.outcome);
    run.at("azure:latest_tests");
    let notes = run.notes();
    assert!(
        !notes.iter().any(|n| n.contains("the latest failover test")),
        "{notes:?}"
    );
    assert!(
        run.events.iter().all(|e| !matches!(
            e,
            Event::FailoverTestStatus { test, .. } if test.test_id.is_some()
        )),
        "{:?}",
        run.kinds()
    );
    let done = run.events.iter().find_map(|e| match e {
        Event::RollbackDone { detail, .. } => Some(detail.clone()),
        _ => None,
    });
    assert!(
        done.as_deref()
            .is_some_and(|d| d.contains("its id is not known here")),
        "{done:?}"
    );
}

/// The operator confirmed and the stop carrying that verdict fails for
/// good: the stop by hand given to the operator is that verdict's
/// (`wasSimulationSuccessful=true`), not a "not successful" one.
#[tokio::test(start_paused = true)]
async fn a_confirmed_tests_failed_stop_gives_the_verdicts_stop_by_hand() {
    let net = Net::new();
    net.with(|n| n.test_stop_refused = true);
    let watchdog = Arc::new(RecordingWatchdog { net: net.clone() });
    let operator = |ev: &Event| match ev {
        Event::Verified { step } => Reply::After(
            std::time::Duration::from_secs(12),
            Command::ConfirmHealthy { step: step.clone() },
        ),
        other => gate_only(other),
    };
    let run = run_session_guarded(link_runbook(), net, config(), operator, watchdog).await;
    run.at("azure:stop_refused");
    let manual = run
        .events
        .iter()
        .find_map(|e| match e {
            Event::RollbackFailed { manual, .. } => Some(manual.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("rollback_failed in {:?}", run.kinds()));
    assert!(
        manual.az_cli.contains("\"wasSimulationSuccessful\":true")
            && manual.az_cli.contains("\"isVerified\":true"),
        "{}",
        manual.az_cli
    );
    assert!(
        manual
            .powershell
            .contains("\"wasSimulationSuccessful\":true"),
        "{}",
        manual.powershell
    );
}

/// The console's ARM client against the lab's ARM API: the latest test on
/// either resource (`getFailoverAllTestsDetails`,
/// `getCircuitLinkFailoverAllTestsDetails`) is the one the start began,
/// at its location or on its link, as a lost start answer would need it.
#[tokio::test]
async fn the_latest_test_is_found_on_the_labs_gateway_and_circuit() {
    use crate::lab_arm::{Lab, config};
    use cutover_engine::port::{ArmAttempt, AzureApi, SendPermit};
    let scenario = cutover_lab::scenario::load_builtin(
        "baseline",
        &cutover_lab::topology::Topology::article(),
    )
    .expect("scenario");
    let lab = Lab::start(scenario, config()).await;
    let az = lab.arm_client();
    let on = |_: &ArmAttempt| {};
    let link = cutover_core::runbook::LinkTest {
        link_type: "Secondary".into(),
        category: "BgpDisconnect".into(),
        api_version: "2025-07-01".into(),
    };
    let er_gateway = lab
        .world
        .with(|w, _| w.topology().azure.er_gateway.to_owned());
    let targets = [
        (
            az.failover_test_target(&er_gateway).expect("site"),
            "Seattle",
            None,
        ),
        (
            az.link_failover_test_target(&lab.names.circuit, &link)
                .expect("link"),
            "",
            Some("Secondary"),
        ),
    ];
    for (t, location, link) in targets {
        let id = az
            .start_failover_test(&t, location, &on, &SendPermit::new())
            .await
            .expect("started");
        let latest = az.latest_failover_tests(&t, &on).await.expect("read");
        let found = latest
            .value
            .iter()
            .rev()
            .find(|s| s.is_of(location, link))
            .unwrap_or_else(|| panic!("{}", latest.raw));
        assert_eq!(
            found.test_guid.as_deref(),
            Some(id.as_str()),
            "{}",
            latest.raw
        );
        assert_eq!(found.status.as_deref(), Some("Running"), "{}", latest.raw);
    }
    lab.stop().await.expect("lab stops");
}

/// The start is throttled (429, Retry-After 30 s) and the operator quits
/// during the backoff: the permit is revoked, so the start is not sent
/// again, no test runs and nothing needs stopping; the change is
/// cancelled at once (exit 1), long before the Retry-After.
#[tokio::test(start_paused = true)]
async fn an_abort_while_the_start_is_throttled_sends_no_start_after_it() {
    let net = Net::new();
    net.with(|n| n.test_start_throttled = Some(std::time::Duration::from_secs(30)));
    let watchdog = Arc::new(RecordingWatchdog { net: net.clone() });
    let operator = |ev: &Event| match ev {
        Event::ActionAttempt { attempt, .. } if attempt.status == 429 => Reply::Send(Command::Quit),
        other => gate_only(other),
    };
    let start = tokio::time::Instant::now();
    let run = run_session_guarded(runbook(), net, config(), operator, watchdog).await;
    let order = run.net.order();
    assert_eq!(run.outcome.exit_code(), 1, "{:?} {order:?}", run.outcome);
    let starts = order
        .iter()
        .filter(|o| o.starts_with("azure:start_test"))
        .count();
    assert_eq!(starts, 1, "{order:?}");
    assert!(
        !order.iter().any(|o| o.starts_with("azure:stop_test")),
        "{order:?}"
    );
    assert!(
        run.events.iter().any(|e| matches!(
            e,
            Event::ActionCancelled {
                reason: RollbackReason::Operator,
                ..
            }
        )),
        "{:?}",
        run.kinds()
    );
    assert!(
        run.at("guard:resolved") > run.at("azure:start_test Seattle"),
        "{order:?}"
    );
    assert!(start.elapsed() < std::time::Duration::from_secs(30));
}

/// Confirmed: the detached guard is told the test is resolved only once
/// the stop carrying the verdict has ended, so a console that dies during
/// that stop leaves the test to its guard.
#[tokio::test(start_paused = true)]
async fn a_confirmed_test_keeps_its_guard_until_the_verdict_is_sent() {
    let run = confirmed(runbook(), "azure:start_test Seattle").await;
    let order = run.net.order();
    let confirm = run.at("guard:confirm");
    let stopped = run.at("azure:stop_test successful=true verified=1");
    let released = run.at("guard:resolved");
    assert!(confirm < stopped && stopped < released, "{order:?}");
}

/// The console dies after the operator confirmed the test, before it said
/// the verdict's stop had ended: the journal's confirmation does not end
/// the guard's watch; it stops the test as not successful and closes the
/// journal.
/// A journal that ends with the operator's confirmation of a site test
/// (then `after`), a guard watching it, and its console that says
/// `confirm` and dies: how the guard ended, the calls made, the journal.
async fn console_lost_after_confirming(
    after: Vec<Event>,
) -> (cutover_engine::detached::GuardEnd, Vec<String>, Vec<Event>) {
    use cutover_core::azure_call::FailoverTestTarget;
    use cutover_core::runbook::ActionOp;
    use cutover_engine::detached::{GuardParams, watch_over};
    use cutover_engine::port::ManualCommands;
    use cutover_journal::{JournalReader, JournalWriter, Redactor};
    use std::time::Duration;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

    let dir = tempfile::tempdir().expect("dir");
    let journal = dir.path().join("session.jsonl");
    let step = "test";
    let op = "azure.gateway.site_failover_test";
    let target = FailoverTestTarget::sketch("SEA-Cust11", "SEA-Cust11-VNet01-gw-er");
    let mut w = JournalWriter::create(&journal, Arc::new(Redactor::new())).expect("create");
    for e in [
        Event::SessionStart {
            session_id: "s".into(),
            mode: cutover_core::session::event::Mode::Run,
            runbook_id: "site-failover-test".into(),
            runbook_title: "t".into(),
            runbook_sha256: String::new(),
            operator: "tester".into(),
            ticket: None,
            key_fingerprint: None,
            scenario: None,
            steps: vec![],
            version: "0".into(),
        },
        Event::ActionStarted {
            step: step.into(),
            op: op.into(),
            target: target.journaled("Seattle"),
            manual: ManualCommands {
                az_cli: "az ...".into(),
                powershell: "Stop-Az...".into(),
            },
        },
        Event::ActionDone {
            step: step.into(),
            op: op.into(),
            ok: true,
            detail: "failover test test-1 started on SEA-Cust11-VNet01-gw-er".into(),
        },
        Event::DeadlineArmed {
            step: step.into(),
            seconds: 120,
            expires_at: "2026-11-25T19:00:00.000Z".into(),
        },
        Event::ConfirmHealthy { step: step.into() },
    ]
    .into_iter()
    .chain(after)
    {
        w.append(&e).expect("append");
    }
    drop(w);
    let net = Net::new();
    let (mut console_w, guard_r) = tokio::io::duplex(1024);
    let (guard_w, console_r) = tokio::io::duplex(1024);
    let params = GuardParams {
        step: step.into(),
        rollback: ActionOp::AzureGatewaySiteFailoverTestStop,
        deadline_at: tokio::time::Instant::now() + Duration::from_secs(120),
        deadline: Duration::from_secs(120),
        grace: Duration::from_secs(30),
        policy: config().rollback,
        settle: Duration::from_secs(30),
        budget: Duration::from_secs(600),
        journal: journal.clone(),
    };
    let azure = FakeAzure { net: net.clone() };
    let guard = tokio::spawn(watch_over(
        azure,
        BufReader::new(guard_r),
        guard_w,
        params,
        Arc::new(Redactor::new()),
    ));
    let mut heard = BufReader::new(console_r).lines();
    assert_eq!(
        heard.next_line().await.expect("read").as_deref(),
        Some("ready")
    );
    console_w.write_all(b"confirm\n").await.expect("write");
    assert_eq!(
        heard.next_line().await.expect("read").as_deref(),
        Some("granted")
    );
    drop(console_w);
    let end = guard.await.expect("guard");
    let events: Vec<Event> = JournalReader::open(&journal)
        .expect("open")
        .read_all()
        .expect("read")
        .iter()
        .filter_map(|r| r.event().cloned())
        .collect();
    (end, net.order(), events)
}

#[tokio::test(start_paused = true)]
async fn a_console_lost_after_confirming_leaves_the_stop_to_its_guard() {
    use cutover_engine::detached::GuardEnd;
    let (end, order, events) = console_lost_after_confirming(Vec::new()).await;
    assert_eq!(
        end,
        GuardEnd::RolledBack {
            ok: true,
            reason: RollbackReason::ConsoleLost
        }
    );
    assert!(
        order
            .iter()
            .any(|o| o == "azure:stop_test successful=false verified=0"),
        "{order:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::RollbackDone { step: s, .. } if s == "test")),
        "{events:?}"
    );
    assert!(
        matches!(events.last(), Some(Event::SessionEnd { exit_code: 3, .. })),
        "{events:?}"
    );
}

/// The console died after ARM accepted the stop with the operator's
/// verdict (it was watching the test end): the guard does not stop the
/// test again, which Azure would refuse as not running or record as a
/// failed simulation.
#[tokio::test(start_paused = true)]
async fn a_console_lost_after_the_verdicts_stop_was_accepted_leaves_the_test_alone() {
    use cutover_core::azure_call::ArmAttempt;
    let accepted = ArmAttempt {
        method: "POST".into(),
        path: "/subscriptions/s/resourceGroups/SEA-Cust11/providers/Microsoft.Network/virtualNetworkGateways/SEA-Cust11-VNet01-gw-er/stopSiteFailoverTest?api-version=2024-05-01".into(),
        status: 202,
        error_code: None,
        retry_after_ms: None,
        ids: Default::default(),
        write: None,
    };
    let (_, order, _) = console_lost_after_confirming(vec![Event::ActionAttempt {
        step: "test".into(),
        attempt: accepted,
    }])
    .await;
    assert!(
        !order.iter().any(|o| o.starts_with("azure:stop_test")),
        "{order:?}"
    );
}

/// The traffic is lost while ARM's operation for the start still runs:
/// the loss counts from the accepted start and stops the test once the
/// target has been unreachable for `max_outage` (15 s), without waiting
/// for the start's operation to end (90 s).
#[tokio::test(start_paused = true)]
async fn traffic_lost_while_the_start_runs_stops_the_test_at_max_outage() {
    let runbook = verified_site_test();
    let net = Net::new();
    net.with(|n| {
        n.converge = None;
        n.test_start_runs = Some(std::time::Duration::from_secs(90));
    });
    let watchdog = Arc::new(RecordingWatchdog { net: net.clone() });
    let accepted = Arc::new(std::sync::Mutex::new(None));
    let at = Arc::clone(&accepted);
    let rolled = Arc::new(std::sync::Mutex::new(None));
    let at_rollback = Arc::clone(&rolled);
    let mut careful = operator_confirming();
    let operator = move |ev: &Event| {
        match ev {
            Event::ActionAttempt { attempt, .. } if attempt.status == 202 => {
                *at.lock().expect("lock") = Some(tokio::time::Instant::now());
            }
            Event::RollbackStarted { .. } => {
                *at_rollback.lock().expect("lock") = Some(tokio::time::Instant::now());
            }
            _ => {}
        }
        careful(ev)
    };
    let run = run_session_guarded(runbook, net, config(), operator, watchdog).await;
    let order = run.net.order();
    assert_eq!(run.outcome.exit_code(), 3, "{:?} {order:?}", run.outcome);
    assert!(
        run.events.iter().any(|e| matches!(
            e,
            Event::RollbackStarted { reason: RollbackReason::TrafficLost, op, .. }
                if op == "azure.gateway.site_failover_test.stop"
        )),
        "{:?}",
        run.kinds()
    );
    assert_eq!(run.count("traffic_lost"), 1, "{:?}", run.kinds());
    run.at("azure:stop_test successful=false verified=0");
    let accepted = accepted.lock().expect("lock").expect("the start accepted");
    let rolled = rolled.lock().expect("lock").expect("the rollback");
    let took = rolled.duration_since(accepted);
    assert!(
        took >= std::time::Duration::from_secs(15) && took < std::time::Duration::from_secs(20),
        "{took:?}"
    );
}

/// The bundled failover runbook with the site failover test in place of
/// the disable: its checks, and the test verified by the trace (with
/// `max_outage` 15 s) and the firewall's table.
fn verified_site_test() -> Runbook {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks/er-vpn-failover.toml"),
    )
    .expect("the bundled runbook");
    let disable =
        r#"op = "azure.peering.disable", role = "azure", rollback = "azure.peering.enable""#;
    assert_eq!(text.matches(disable).count(), 1);
    let text = text.replace(
        disable,
        r#"op = "azure.gateway.site_failover_test", role = "azure", gateway = "SEA-Cust11-VNet01-gw-er", rollback = "azure.gateway.site_failover_test.stop""#,
    );
    Runbook::from_str(&text, "site-test.toml").expect("valid runbook")
}

/// The operator rolls back while ARM's operation for the accepted start
/// still runs (90 s): the test is stopped as not successful at once, not
/// once the start's operation ends.
#[tokio::test(start_paused = true)]
async fn a_rollback_while_the_accepted_start_runs_stops_the_test_at_once() {
    let net = Net::new();
    net.with(|n| n.test_start_runs = Some(std::time::Duration::from_secs(90)));
    let watchdog = Arc::new(RecordingWatchdog { net: net.clone() });
    let mut careful = operator_confirming();
    let operator = move |ev: &Event| match ev {
        Event::ActionAttempt { step, attempt } if attempt.status == 202 => {
            Reply::Send(Command::Rollback { step: step.clone() })
        }
        other => careful(other),
    };
    let start = tokio::time::Instant::now();
    let run = run_session_guarded(verified_site_test(), net, config(), operator, watchdog).await;
    let order = run.net.order();
    assert_eq!(run.outcome.exit_code(), 3, "{:?} {order:?}", run.outcome);
    assert!(
        run.events.iter().any(|e| matches!(
            e,
            Event::RollbackStarted { reason: RollbackReason::Operator, op, .. }
                if op == "azure.gateway.site_failover_test.stop"
        )),
        "{:?}",
        run.kinds()
    );
    assert!(
        run.at("azure:start_test Seattle") < run.at("azure:stop_test successful=false verified=0"),
        "{order:?}"
    );
    assert_eq!(run.count("confirm_healthy"), 0, "{:?}", run.kinds());
    assert!(
        start.elapsed() < std::time::Duration::from_secs(90),
        "{:?}",
        start.elapsed()
    );
}
