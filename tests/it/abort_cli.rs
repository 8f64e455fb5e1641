//! Abort means abort, through the real binary (issue 12, item 1):
//! `er-disable-conflict` answers the disable PUT with 409, then 429 with a
//! Retry-After; an operator who types `abort` while the client waits gets
//! exit 1, `action_cancelled` in the journal, and a peering that was never
//! disabled: no PUT was accepted, none was sent after the abort.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use serde_json::Value;

use crate::cli_support::events;
use cutover_lab::serve::{LabOptions, TOKEN_ENV, start};
use cutover_lab::{Topology, scenario};

fn kinds(evs: &[Value]) -> Vec<&str> {
    evs.iter().filter_map(|e| e["kind"].as_str()).collect()
}

/// The confirmation text a `gate_prompt` line asks for.
fn confirm_text(line: &str) -> Option<&str> {
    let from = line.find("(type `")? + "(type `".len();
    let len = line[from..].find('`')?;
    Some(&line[from..from + len])
}

/// Answers the gate with its confirmation text, then types `abort` once
/// the PUT was throttled (429: the client waits out its Retry-After, after
/// the 409 before it was already retried). Returns every line printed and
/// whether `abort` was typed.
fn operate(child: &mut Child) -> mpsc::Receiver<(Vec<String>, bool)> {
    let mut input = child.stdin.take().expect("stdin");
    let output = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut aborted = false;
        for line in BufReader::new(output).lines() {
            let Ok(line) = line else { break };
            if line.contains(" gate_prompt ")
                && let Some(text) = confirm_text(&line)
            {
                let _ = writeln!(input, "{text}");
            }
            let throttled = line.contains(" action_attempt ")
                && line.contains("PUT ")
                && line.contains("-> 429");
            if throttled && !aborted {
                let _ = writeln!(input, "abort");
                aborted = true;
            }
            seen.push(line);
        }
        drop(input);
        let _ = tx.send((seen, aborted));
    });
    rx
}

fn wait(child: &mut Child, within: Duration) -> Option<i32> {
    let until = std::time::Instant::now() + within;
    while std::time::Instant::now() < until {
        if let Some(status) = child.try_wait().expect("wait") {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    panic!("cutover did not end within {within:?}");
}

/// What a cancelled disable leaves in its journal.
fn assert_cancelled_journal(evs: &[Value], printed: &str) {
    let k = kinds(evs);
    let at = |kind: &str| {
        k.iter()
            .position(|x| *x == kind)
            .unwrap_or_else(|| panic!("no {kind}: {k:?}\n{printed}"))
    };
    let cancelled = at("action_cancelled");
    assert_eq!(k.iter().filter(|x| **x == "action_cancelled").count(), 1);
    assert!(at("action_started") < cancelled);
    for kind in ["action_done", "deadline_armed", "rollback_started"] {
        assert!(!k.contains(&kind), "{kind}: {k:?}");
    }
    let puts: Vec<(usize, u64)> = evs
        .iter()
        .enumerate()
        .filter(|(_, e)| e["kind"] == "action_attempt" && e["attempt"]["method"] == "PUT")
        .filter_map(|(i, e)| e["attempt"]["status"].as_u64().map(|s| (i, s)))
        .collect();
    assert!(!puts.is_empty(), "the PUT was tried: {k:?}");
    assert!(
        puts.iter().all(|(_, s)| *s == 409 || *s == 429),
        "a PUT was accepted: {puts:?}"
    );
    // Stopped in the 429's Retry-After wait, the last PUT sent.
    assert_eq!(puts.last().map(|(_, s)| *s), Some(429), "{puts:?}");
    assert!(
        puts.iter().all(|(i, _)| *i < cancelled),
        "a PUT after the abort: {puts:?}"
    );
    let e = &evs[cancelled];
    assert_eq!(e["reason"], "operator");
    let detail = e["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("nothing was sent after the abort"),
        "{detail}"
    );
    assert!(
        detail.contains("the peering reads Enabled"),
        "the closing read: {detail}"
    );
    assert_eq!(k.last(), Some(&"session_end"));
    assert_eq!(evs.last().map(|e| e["exit_code"].clone()), Some(1.into()));
}

#[test]
fn a_drill_aborted_during_the_429_wait_changes_nothing_and_exits_1() {
    let dir = tempfile::tempdir().expect("dir");
    let journal = dir.path().join("conflict.jsonl");
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("cutover"))
        .args([
            "drill",
            "--headless",
            "--time-scale",
            "0.15",
            "--settle",
            "2s",
            "--deadline",
            "60s",
        ])
        .args(["--scenario", "er-disable-conflict", "--journal"])
        .arg(&journal)
        .env("XDG_STATE_HOME", dir.path())
        .env_remove("CUTOVER_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("cutover drill starts");
    let lines = operate(&mut child);
    let code = wait(&mut child, Duration::from_secs(180));
    let (seen, aborted) = lines
        .recv_timeout(Duration::from_secs(10))
        .expect("the reader ends with the process");
    let printed = seen.join("\n");
    assert!(aborted, "no throttled PUT was printed:\n{printed}");
    assert_eq!(code, Some(1), "{printed}");
    assert!(printed.contains(" action_cancelled "), "{printed}");
    assert_cancelled_journal(&events(&journal), &printed);

    let verify = Command::new(assert_cmd::cargo::cargo_bin("cutover"))
        .arg("verify")
        .arg(&journal)
        .output()
        .expect("verify");
    assert_eq!(verify.status.code(), Some(0), "the journal verifies");
    let report = Command::new(assert_cmd::cargo::cargo_bin("cutover"))
        .args(["report", "--format", "md"])
        .arg(&journal)
        .env("XDG_STATE_HOME", dir.path())
        .output()
        .expect("report");
    let md = String::from_utf8_lossy(&report.stdout);
    assert!(
        md.contains("CANCELLED before any write was accepted"),
        "{md}"
    );
}

/// A drill of `scenario` whose console gets SIGTERM on the first stdout
/// line `when` accepts (the gate is answered as usual). Returns the exit
/// status, the journal and what was printed.
fn drill_terminated(
    dir: &Path,
    scenario: &str,
    when: impl Fn(&str) -> bool + Send + 'static,
) -> (Option<i32>, Vec<Value>, String) {
    let journal = dir.join(format!("{scenario}-term.jsonl"));
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("cutover"))
        .args([
            "drill",
            "--headless",
            "--time-scale",
            "0.15",
            "--settle",
            "2s",
            "--deadline",
            "60s",
        ])
        .args(["--scenario", scenario, "--journal"])
        .arg(&journal)
        .env("XDG_STATE_HOME", dir)
        .env_remove("CUTOVER_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("cutover drill starts");
    let pid = child.id().to_string();
    let mut input = child.stdin.take().expect("stdin");
    let output = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut sent = false;
        for line in BufReader::new(output).lines() {
            let Ok(line) = line else { break };
            if line.contains(" gate_prompt ")
                && let Some(text) = confirm_text(&line)
            {
                let _ = writeln!(input, "{text}");
            }
            if !sent && when(&line) {
                let killed = Command::new("kill")
                    .args(["-TERM", &pid])
                    .status()
                    .expect("kill runs");
                assert!(killed.success());
                sent = true;
            }
            seen.push(line);
        }
        (seen, sent)
    });
    let code = wait(&mut child, Duration::from_secs(180));
    let (seen, sent) = reader.join().expect("reader");
    let printed = seen.join("\n");
    assert!(sent, "the moment never came:\n{printed}");
    (code, events(&journal), printed)
}

/// SIGTERM is not an abrupt exit: during the 429 wait it cancels the
/// disable (nothing accepted), once the change is out it rolls it back;
/// either way the journal is closed.
#[test]
fn sigterm_takes_the_abort_path_instead_of_killing_the_session() {
    let dir = tempfile::tempdir().expect("dir");
    let (code, evs, printed) = drill_terminated(dir.path(), "er-disable-conflict", |l| {
        l.contains(" action_attempt ") && l.contains("PUT ") && l.contains("-> 429")
    });
    assert_eq!(code, Some(1), "{printed}");
    let cancelled = evs
        .iter()
        .find(|e| e["kind"] == "action_cancelled")
        .unwrap_or_else(|| panic!("no action_cancelled:\n{printed}"));
    assert_eq!(cancelled["reason"], "console_lost");
    assert!(!kinds(&evs).contains(&"action_done"));
    assert!(printed.contains("> SIGTERM: the console is gone: stopping the change now"));

    let (code, evs, printed) =
        drill_terminated(dir.path(), "baseline", |l| l.contains(" deadline_armed "));
    assert_eq!(code, Some(3), "{printed}");
    let started = evs
        .iter()
        .find(|e| e["kind"] == "rollback_started")
        .unwrap_or_else(|| panic!("no rollback:\n{printed}"));
    assert_eq!(started["reason"], "console_lost");
    assert!(kinds(&evs).contains(&"rollback_done"));
    assert_eq!(kinds(&evs).last(), Some(&"session_end"));
}

/// The same through `run` against a lab this test holds, so the lab's own
/// state is watched throughout: the peering is never Disabled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_aborted_during_the_429_wait_never_disables_the_peering() {
    const TOKEN: &str = "abort-cli-test-token";
    let dir = tempfile::tempdir().expect("dir");
    let s = scenario::load_builtin("er-disable-conflict", &Topology::article()).expect("scenario");
    let lab = start(
        LabOptions::new(s, dir.path().join("inventory.toml"), TOKEN)
            .with_time_scale(cutover_lab::TimeScale::TESTS),
    )
    .await
    .expect("the lab starts");
    let peering = {
        let world = lab.world().clone();
        move || world.with(|w, _| w.peering("AzurePrivatePeering").map(|p| p.state))
    };
    let ever_disabled = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (ever, stop, peering) = (ever_disabled.clone(), stop.clone(), peering.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                if peering().as_deref() != Some("Enabled") {
                    ever.store(true, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let journal = dir.path().join("run.jsonl");
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("cutover"))
        .args([
            "run",
            "--headless",
            "--settle",
            "2s",
            "--deadline",
            "10m",
            "--inventory",
        ])
        .arg(lab.inventory_path())
        .arg("--journal")
        .arg(&journal)
        .env(TOKEN_ENV, TOKEN)
        .env("XDG_STATE_HOME", dir.path())
        .env_remove("CUTOVER_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("cutover run starts");
    let lines = operate(&mut child);
    let code = tokio::task::spawn_blocking(move || {
        let code = wait(&mut child, Duration::from_secs(180));
        (code, lines.recv_timeout(Duration::from_secs(10)))
    })
    .await
    .expect("waiter");
    let (code, lines) = code;
    let (seen, aborted) = lines.expect("the reader ends with the process");
    let printed = seen.join("\n");
    // The detached guard, released, must not touch the peering either.
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    watcher.await.expect("watcher");
    assert!(aborted, "no throttled PUT was printed:\n{printed}");
    assert_eq!(code, Some(1), "{printed}");
    assert!(
        !ever_disabled.load(Ordering::Relaxed),
        "the lab's peering left Enabled during the run:\n{printed}"
    );
    assert_eq!(peering().as_deref(), Some("Enabled"));
    assert_cancelled_journal(&events(&journal), &printed);
    lab.shutdown().await.expect("lab stops");
}
