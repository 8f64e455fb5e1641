//! Escalate, don't hide (issue 18 item 4): a rollback that cannot reach
//! ARM is said within 30 s, with the manual commands, the attempt count
//! and the next attempt's time; it retries until the budget is spent (exit
//! 4) or the operator takes over (exit 4). On virtual time through the
//! engine, as a console snapshot, and through the real binary against a
//! lab that is killed mid-change.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use crate::engine_support::*;
use crate::ui_support::{
    GUARD_STEP, action_armed, app_with, attempt, cat, manual, rollback_started, verify_failed,
};
use cutover_core::model::azure::PeeringState;
use cutover_core::session::Command;
use cutover_core::session::event::{Event, RollbackReason};
use cutover_engine::port::ArmError;
use cutover_tui::render_to_string;

const STEP: &str = "disable-private-peering";

/// A rollback whose every call finds ARM unreachable (`n` of them).
fn unreachable_net(n: usize) -> Net {
    let net = Net::new();
    net.with(|s| {
        s.script.push_back(SetScript::Ok(vec![200]));
        for _ in 0..n {
            s.script.push_back(SetScript::Err(
                vec![0],
                ArmError::Transport("connection refused".into()),
            ));
        }
    });
    net
}

/// Rolls back right after the disable; records when (virtual time) each
/// event was seen, and answers the first escalation with `on_escalation`.
fn operator(
    seen: Arc<Mutex<Vec<(Instant, Event)>>>,
    mut on_escalation: Option<Command>,
) -> impl FnMut(&Event) -> Reply + Send + 'static {
    let mut careful = operator_confirming();
    move |ev| {
        seen.lock()
            .expect("lock")
            .push((Instant::now(), ev.clone()));
        match ev {
            Event::ActionDone { step, ok: true, .. } if step == STEP => {
                Reply::Send(Command::Rollback { step: STEP.into() })
            }
            Event::RollbackEscalated { .. } => {
                on_escalation.take().map_or(Reply::Nothing, Reply::Send)
            }
            Event::Verified { step } if step == STEP => Reply::Nothing,
            _ => careful(ev),
        }
    }
}

fn at(seen: &[(Instant, Event)], kind: &str) -> Instant {
    seen.iter()
        .find(|(_, e)| e.kind() == kind)
        .map(|(t, _)| *t)
        .unwrap_or_else(|| panic!("no {kind}"))
}

#[tokio::test(start_paused = true)]
async fn an_unreachable_arm_is_escalated_within_30_s_and_the_budget_ends_in_exit_4() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut cfg = config();
    cfg.rollback_budget_override = Some(Duration::from_secs(120));
    let run = run_session(
        failover_runbook(),
        unreachable_net(1_000),
        cfg,
        operator(Arc::clone(&seen), None),
    )
    .await;
    let seen = seen.lock().expect("lock").clone();
    assert_eq!(run.outcome.exit_code(), 4, "{}", run.outcome.outcome);
    let started = at(&seen, "rollback_started");
    let escalated = at(&seen, "rollback_escalated");
    assert!(
        escalated - started < Duration::from_secs(30),
        "escalated {:?} after the rollback started",
        escalated - started
    );
    // Said again at each failure after that, with a count that grows and
    // the time of the next attempt.
    let counts: Vec<u32> = run
        .events
        .iter()
        .filter_map(|e| match e {
            Event::RollbackEscalated {
                attempts,
                next_attempt_at,
                manual,
                ..
            } => {
                assert!(next_attempt_at.is_some(), "no next attempt time");
                assert!(manual.az_cli.contains("--set state=Enabled"), "{manual:?}");
                Some(*attempts)
            }
            _ => None,
        })
        .collect();
    assert!(counts.len() >= 3, "{counts:?}");
    assert!(counts.windows(2).all(|w| w[0] < w[1]), "{counts:?}");
    // Retries went on until the budget, not a fixed count.
    let failed = at(&seen, "rollback_failed");
    let spent = failed - started;
    assert!(
        spent >= Duration::from_secs(120) && spent < Duration::from_secs(125),
        "gave up after {spent:?}"
    );
    let error = run
        .events
        .iter()
        .find_map(|e| match e {
            Event::RollbackFailed { error, .. } => Some(error.clone()),
            _ => None,
        })
        .expect("rollback_failed");
    assert!(
        error.contains("rollback budget of 2m 00s is spent"),
        "{error}"
    );
    assert_eq!(run.net.with(|n| n.peering.clone()), PeeringState::Disabled);
}

#[tokio::test(start_paused = true)]
async fn the_operator_takes_over_an_escalated_rollback_and_it_ends_in_exit_4_at_once() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let run = run_session(
        failover_runbook(),
        unreachable_net(1_000),
        config(),
        operator(
            Arc::clone(&seen),
            Some(Command::TakeOver { step: STEP.into() }),
        ),
    )
    .await;
    let seen = seen.lock().expect("lock").clone();
    assert_eq!(run.outcome.exit_code(), 4, "{}", run.outcome.outcome);
    let escalated = at(&seen, "rollback_escalated");
    let failed = at(&seen, "rollback_failed");
    assert!(
        failed - escalated < Duration::from_secs(1),
        "{:?}",
        failed - escalated
    );
    let error = run
        .events
        .iter()
        .find_map(|e| match e {
            Event::RollbackFailed { error, .. } => Some(error.clone()),
            _ => None,
        })
        .expect("rollback_failed");
    assert!(error.contains("the operator took over"), "{error}");
}

/// A rollback whose write hangs (no answer at all, no error): escalated
/// once ARM has said nothing for `SILENCE`, then ended by the budget.
#[tokio::test(start_paused = true)]
async fn a_hung_rollback_write_is_escalated_after_the_silence_and_ends_at_the_budget() {
    let net = Net::new();
    net.with(|s| {
        s.script.push_back(SetScript::Ok(vec![200]));
        s.script
            .push_back(SetScript::Paced(vec![(200, Duration::from_secs(1))]));
        s.put_rtt = Duration::from_secs(3_600);
    });
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut cfg = config();
    cfg.rollback_budget_override = Some(Duration::from_secs(60));
    let run = run_session(
        failover_runbook(),
        net,
        cfg,
        operator(Arc::clone(&seen), None),
    )
    .await;
    let seen = seen.lock().expect("lock").clone();
    assert_eq!(run.outcome.exit_code(), 4, "{}", run.outcome.outcome);
    let silent = at(&seen, "rollback_escalated") - at(&seen, "rollback_started");
    assert!(
        silent >= cutover_engine::guard::SILENCE && silent < Duration::from_secs(30),
        "escalated after {silent:?}"
    );
    let error = run
        .events
        .iter()
        .find_map(|e| match e {
            Event::RollbackEscalated { error, .. } => Some(error.clone()),
            _ => None,
        })
        .expect("rollback_escalated");
    assert!(error.contains("no answer from ARM"), "{error}");
}

#[tokio::test(start_paused = true)]
async fn a_rollback_that_gets_through_after_a_short_outage_is_never_escalated() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let run = run_session(
        failover_runbook(),
        unreachable_net(1),
        config(),
        operator(Arc::clone(&seen), None),
    )
    .await;
    assert_eq!(run.outcome.exit_code(), 3, "{}", run.outcome.outcome);
    assert_eq!(run.count("rollback_escalated"), 0);
    assert_eq!(run.count("rollback_done"), 1);
    assert_eq!(run.net.with(|n| n.peering.clone()), PeeringState::Enabled);
}

#[test]
fn the_banner_shows_an_escalated_rollback_with_count_next_attempt_and_commands() {
    let mut events = cat(&[action_armed(), verify_failed()]);
    events.push(rollback_started(RollbackReason::VerificationFailed));
    events.push(Event::ActionAttempt {
        step: GUARD_STEP.into(),
        attempt: attempt(0, Some("ConnectionFailed"), Some(4_000)),
    });
    events.push(Event::RollbackEscalated {
        step: GUARD_STEP.into(),
        attempts: 4,
        error: "GET /subscriptions/…/peerings/AzurePrivatePeering: no answer (ConnectionFailed)"
            .into(),
        next_attempt_at: Some("2026-11-20T02:00:33.000Z".into()),
        gives_up_at: "2026-11-20T02:10:20.000Z".into(),
        manual: manual("Enabled"),
    });
    let app = app_with(&events);
    assert!(app.can_take_over());
    let screen = render_to_string(&app, 120, 16);
    assert!(screen.contains("attempt 4 failed"), "{screen}");
    assert!(
        screen.contains("next attempt at 02:00:33 UTC (in 4 s)"),
        "{screen}"
    );
    assert!(screen.contains("T take over"), "{screen}");
    insta::assert_snapshot!("rollback_escalated_banner", screen);
    let mut app = app;
    assert_eq!(
        app.update(cutover_tui::app::Action::TakeOver),
        Some(Command::TakeOver {
            step: GUARD_STEP.into()
        })
    );
}

/// Through the real binary: `cutover run` against a lab in this process,
/// the lab shut down once the disable is out (its ARM API refuses
/// connections from then on). The console's rollback escalates with the
/// manual az command within 60 s, and the short `--rollback-budget` ends
/// the session with exit 4.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_lab_mid_change_shows_the_manual_command_and_the_budget_ends_in_exit_4() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::Stdio;

    use cutover_lab::serve::{LabOptions, TOKEN_ENV, start};
    use cutover_lab::{Topology, scenario};

    const TOKEN: &str = "guard-escalate-test-token";
    let dir = tempfile::tempdir().expect("dir");
    let s = scenario::load_builtin("baseline", &Topology::article()).expect("scenario");
    let lab = start(
        LabOptions::new(s, dir.path().join("inventory.toml"), TOKEN)
            .with_time_scale(cutover_lab::TimeScale::TESTS),
    )
    .await
    .expect("the lab starts");
    let journal = dir.path().join("session.jsonl");
    let mut console = std::process::Command::new(assert_cmd::cargo::cargo_bin("cutover"))
        .args([
            "run",
            "--headless",
            "--settle",
            "1s",
            "--deadline",
            "3s",
            "--rollback-budget",
            "12s",
            "--inventory",
        ])
        .arg(lab.inventory_path())
        .arg("--journal")
        .arg(&journal)
        .env(TOKEN_ENV, TOKEN)
        .env("XDG_STATE_HOME", dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cutover run starts");
    let mut input = console.stdin.take().expect("stdin");
    let output = console.stdout.take().expect("stdout");
    // Every line with when it came; the gate answered on the way.
    let (tx, rx) = std::sync::mpsc::channel::<(std::time::Instant, String)>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(output).lines() {
            let Ok(line) = line else { break };
            if line.contains(" gate_prompt ") {
                let _ = writeln!(input, "{}", crate::run_guard::CIRCUIT);
            }
            if tx.send((std::time::Instant::now(), line)).is_err() {
                break;
            }
        }
        // Kept open until the end: a closed stdin is an answer too.
        drop(input);
    });
    let mut lines: Vec<(std::time::Instant, String)> = Vec::new();
    let limit = std::time::Instant::now() + Duration::from_secs(120);
    while !lines.iter().any(|(_, l)| l.contains(" deadline_armed ")) {
        let left = limit.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(l) => lines.push(l),
            Err(_) => panic!(
                "no countdown:\n{}",
                lines
                    .iter()
                    .map(|(_, l)| l.as_str())
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        }
    }
    lab.shutdown().await.expect("lab stops");
    let killed = std::time::Instant::now();
    // Everything else the console says, until it ends (bounded).
    while let Ok(l) = rx.recv_timeout(Duration::from_secs(90)) {
        lines.push(l);
    }
    let status = tokio::task::spawn_blocking(move || console.wait())
        .await
        .expect("waiter")
        .expect("the console ends");
    let _ = reader.join();
    let text = lines
        .iter()
        .map(|(_, l)| l.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let shown = lines
        .iter()
        .find(|(t, l)| *t >= killed && l.contains("az network express-route peering update"))
        .map(|(t, _)| *t - killed)
        .unwrap_or_else(|| panic!("no manual az command after the lab died:\n{text}"));
    assert!(
        shown < Duration::from_secs(60),
        "shown after {shown:?}:\n{text}"
    );
    assert!(text.contains(" rollback_escalated "), "{text}");
    assert!(text.contains("Type `takeover`"), "{text}");
    assert!(
        text.contains("rollback budget of 12.0 s is spent"),
        "{text}"
    );
    assert_eq!(status.code(), Some(4), "{text}");
    let journal_text = std::fs::read_to_string(&journal).expect("journal");
    assert!(journal_text.contains("\"kind\":\"rollback_escalated\""));
    assert!(journal_text.contains("\"kind\":\"rollback_failed\""));
}

/// The console's ends of a detached guard's pipes, the guard running
/// `watch_over` against the Azure double (shared with `guard_inflight`).
pub(crate) struct GuardUnderTest {
    pub to_guard: Option<tokio::io::DuplexStream>,
    pub from_guard: tokio::io::Lines<tokio::io::BufReader<tokio::io::DuplexStream>>,
    pub task: tokio::task::JoinHandle<cutover_engine::detached::GuardEnd>,
}

impl GuardUnderTest {
    pub(crate) fn start(net: &Net, journal: std::path::PathBuf, budget: Duration) -> Self {
        use tokio::io::AsyncBufReadExt;
        let (console_w, guard_r) = tokio::io::duplex(1024);
        let (guard_w, console_r) = tokio::io::duplex(1024);
        let params = cutover_engine::detached::GuardParams {
            step: STEP.into(),
            rollback: cutover_core::runbook::ActionOp::AzurePeeringEnable,
            deadline_at: Instant::now() + Duration::from_secs(10),
            deadline: Duration::from_secs(10),
            grace: Duration::from_secs(30),
            policy: cutover_engine::guard::RollbackPolicy {
                attempts: 3,
                first_backoff: Duration::from_secs(5),
                max_backoff: Duration::from_secs(20),
            },
            settle: Duration::from_secs(5),
            budget,
            journal,
        };
        let task = tokio::spawn(cutover_engine::detached::watch_over(
            FakeAzure { net: net.clone() },
            tokio::io::BufReader::new(guard_r),
            guard_w,
            params,
            Arc::new(cutover_journal::Redactor::new()),
        ));
        Self {
            to_guard: Some(console_w),
            from_guard: tokio::io::BufReader::new(console_r).lines(),
            task,
        }
    }

    pub(crate) async fn hear(&mut self) -> String {
        self.from_guard
            .next_line()
            .await
            .expect("read")
            .expect("a line")
    }

    pub(crate) async fn say(&mut self, m: &str) {
        use tokio::io::AsyncWriteExt;
        let w = self.to_guard.as_mut().expect("alive");
        w.write_all(format!("{m}\n").as_bytes())
            .await
            .expect("write");
    }
}

/// The detached guard escalates the same way when it is the one rolling
/// back, and its budget ends in exit 4 with the manual commands in the
/// journal it continued.
#[tokio::test(start_paused = true)]
async fn the_detached_guard_escalates_an_unreachable_arm_and_its_budget_ends_in_exit_4() {
    let dir = tempfile::tempdir().expect("dir");
    let journal = crate::engine_detached::journal_until_armed(dir.path(), &[]);
    let net = unreachable_net(1_000);
    net.with(|n| {
        // The disable is out already; every rollback call fails.
        n.script.pop_front();
        n.peering = PeeringState::Disabled;
    });
    let mut guard = GuardUnderTest::start(&net, journal.clone(), Duration::from_secs(60));
    assert_eq!(guard.hear().await, "ready");
    let started = Instant::now();
    guard.to_guard = None;
    let end = guard.task.await.expect("guard");
    assert_eq!(end.exit_code(), 4, "{end:?}");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(60) && took < Duration::from_secs(65),
        "{took:?}"
    );
    let events: Vec<Event> = cutover_journal::JournalReader::open(&journal)
        .expect("open")
        .read_all()
        .expect("read")
        .iter()
        .filter_map(|r| r.event().cloned())
        .collect();
    let kinds: Vec<&str> = events.iter().map(Event::kind).collect();
    let escalated = kinds.iter().position(|k| *k == "rollback_escalated");
    let failed = kinds.iter().position(|k| *k == "rollback_failed");
    assert!(
        matches!((escalated, failed), (Some(e), Some(f)) if e < f),
        "{kinds:?}"
    );
    match events.last() {
        Some(Event::SessionEnd { exit_code, outcome }) => {
            assert_eq!(*exit_code, 4);
            assert!(
                outcome.contains("could NOT roll the change back"),
                "{outcome}"
            );
        }
        other => panic!("the journal ends with {other:?}"),
    }
    assert_eq!(net.with(|n| n.peering.clone()), PeeringState::Disabled);
}

/// The rollback budget is bounded like `settle`: a runbook's
/// `rollback_budget` out of 1s..1h is refused at its line:col, and so is
/// `--rollback-budget` (exit 2, never a panic); one in range passes.
#[test]
fn a_rollback_budget_out_of_bounds_is_bad_input() {
    use assert_cmd::Command;
    let dir = tempfile::tempdir().expect("dir");
    let text = std::fs::read_to_string("runbooks/er-vpn-failover.toml").expect("runbook");
    let needle = r#"rollback = "azure.peering.enable", deadline = "${guard_deadline}", max_outage = "${max_outage}" }"#;
    assert!(text.contains(needle));
    for (budget, ok) in [("2h", false), ("0s", false), ("90s", true)] {
        let rb = dir.path().join(format!("rb-{budget}.toml"));
        let edited = text.replacen(
            needle,
            &needle.replace(" }", &format!(", rollback_budget = \"{budget}\" }}")),
            1,
        );
        std::fs::write(&rb, &edited).expect("write");
        let out = Command::cargo_bin("cutover")
            .expect("binary")
            .arg("check")
            .arg(&rb)
            .output()
            .expect("check");
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        if ok {
            assert_eq!(out.status.code(), Some(0), "{budget}: {stderr}");
        } else {
            assert_eq!(out.status.code(), Some(2), "{budget}: {stderr}");
            let line = edited
                .lines()
                .position(|l| l.contains("rollback_budget"))
                .expect("the line")
                + 1;
            assert!(
                stderr.contains(&format!("{}:{line}:", rb.display())),
                "{budget}: {stderr}"
            );
            if budget == "2h" {
                assert!(stderr.contains("`rollback_budget`"), "{stderr}");
            }
        }
    }
    for budget in ["2h", "0s", "soon"] {
        Command::cargo_bin("cutover")
            .expect("binary")
            .args([
                "drill",
                "--headless",
                "--time-scale",
                "0.15",
                "--rollback-budget",
                budget,
            ])
            .assert()
            .code(2);
    }
}
