//! DESIGN.md invariant 2 through the real binary: `cutover run` against a
//! lab on 127.0.0.1 disables the private peering, then the console is
//! killed (SIGKILL, no chance to clean up) during the countdown. The
//! detached guard it started must enable the peering again and close the
//! journal, whose chain stays intact.
//!
//! The lab runs in this test process, so it outlives the killed console.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use cutover_lab::serve::{LabOptions, TOKEN_ENV, start};
use cutover_lab::{Topology, scenario};

const TOKEN: &str = "run-guard-test-token";

fn peering_state(lab: &cutover_lab::serve::LabHandle) -> Option<String> {
    lab.world()
        .with(|w, _| w.peering("AzurePrivatePeering").map(|p| p.state))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_console_is_rolled_back_by_its_detached_guard() {
    let dir = tempfile::tempdir().expect("dir");
    let s = scenario::load_builtin("baseline", &Topology::article()).expect("scenario");
    let lab = start(LabOptions::new(s, dir.path().join("inventory.toml"), TOKEN))
        .await
        .expect("the lab starts");
    let journal = dir.path().join("session.jsonl");
    let mut console = Command::new(assert_cmd::cargo::cargo_bin("cutover"))
        .args(["run", "--headless", "--deadline", "10m", "--inventory"])
        .arg(lab.inventory_path())
        .arg("--journal")
        .arg(&journal)
        .env(TOKEN_ENV, TOKEN)
        .env("XDG_STATE_HOME", dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("cutover run starts");
    let mut input = console.stdin.take().expect("stdin");
    let output = console.stdout.take().expect("stdout");

    // Read the session as it goes, answer the gate, and stop reading once
    // the deadline is armed (the guard is running by then).
    let armed = tokio::task::spawn_blocking(move || {
        let mut seen = Vec::new();
        for line in BufReader::new(output).lines() {
            let line = line.expect("a line");
            if line.contains(" gate_prompt ") {
                writeln!(input, "SEA-Cust11-ER").expect("answer the gate");
            }
            let done = line.contains(" deadline_armed ");
            seen.push(line);
            if done {
                return (true, seen, input);
            }
        }
        (false, seen, input)
    });
    let (armed, seen, _input) = tokio::time::timeout(Duration::from_secs(120), armed)
        .await
        .expect("the session reaches its countdown")
        .expect("reader");
    assert!(armed, "no countdown:\n{}", seen.join("\n"));
    assert_eq!(peering_state(&lab).as_deref(), Some("Disabled"));

    console.kill().expect("SIGKILL the console");
    let _ = console.wait();

    // Wait for the state, bounded; nothing here measures how fast.
    let mut state = None;
    for _ in 0..300 {
        state = peering_state(&lab);
        if state.as_deref() == Some("Enabled") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        state.as_deref(),
        Some("Enabled"),
        "the guard did not roll back"
    );

    // The guard finishes the journal: rollback done, session end, intact.
    let mut text = String::new();
    for _ in 0..100 {
        text = std::fs::read_to_string(&journal).expect("journal");
        if text.contains("\"kind\":\"session_end\"") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let kinds: Vec<String> = text
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("json line");
            v["kind"].as_str().unwrap_or_default().to_string()
        })
        .collect();
    assert!(kinds.iter().any(|k| k == "rollback_done"), "{kinds:?}");
    assert_eq!(kinds.last().map(String::as_str), Some("session_end"));
    let verify = Command::new(assert_cmd::cargo::cargo_bin("cutover"))
        .arg("verify")
        .arg(&journal)
        .output()
        .expect("verify");
    assert_eq!(verify.status.code(), Some(0));
    assert!(!text.contains(TOKEN), "the token never reaches the journal");
    lab.shutdown().await.expect("lab stops");
}
