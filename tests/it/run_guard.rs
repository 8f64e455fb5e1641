//! DESIGN.md invariant 2 through the real binary: `cutover run` against a
//! lab on 127.0.0.1 disables the private peering, then the console is
//! killed (SIGKILL, no chance to clean up) during the countdown. The
//! detached guard it started must enable the peering again and close the
//! journal, whose chain stays intact.
//!
//! The lab runs in this test process, so it outlives the killed console.
//! The helpers that follow a headless session and read its journal serve
//! `drill_guard` too, which kills a drill's console the same way.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use cutover_lab::serve::{LabOptions, TOKEN_ENV, start};
use cutover_lab::{Topology, scenario};

const TOKEN: &str = "run-guard-test-token";

/// The lab's circuit: what the failover gate wants typed.
pub(crate) const CIRCUIT: &str = "SEA-Cust11-ER";

/// How far a headless session got.
pub(crate) struct Followed {
    /// The awaited event came.
    pub reached: bool,
    pub lines: Vec<String>,
    /// The console's stdin, for the caller to keep open: a closed stdin is
    /// an answer too. `None` when the session did not get there in time.
    pub input: Option<ChildStdin>,
}

/// Reads a headless session's output line by line until the event `kind`
/// is printed, typing the circuit's name at the failover gate on the way
/// when `answer_gate` is set; gives up after `limit` (a bound on a wait,
/// not a measurement).
pub(crate) fn follow(
    mut input: ChildStdin,
    output: ChildStdout,
    kind: &str,
    answer_gate: bool,
    limit: Duration,
) -> Followed {
    let (tx, rx) = std::sync::mpsc::channel();
    let needle = format!(" {kind} ");
    std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(output).lines() {
            let Ok(line) = line else { break };
            if answer_gate && line.contains(" gate_prompt ") {
                let _ = writeln!(input, "{CIRCUIT}");
            }
            let done = line.contains(&needle);
            lines.push(line);
            if done {
                let _ = tx.send(Followed {
                    reached: true,
                    lines,
                    input: Some(input),
                });
                return;
            }
        }
        let _ = tx.send(Followed {
            reached: false,
            lines,
            input: Some(input),
        });
    });
    rx.recv_timeout(limit).unwrap_or(Followed {
        reached: false,
        lines: Vec::new(),
        input: None,
    })
}

/// The journal once it ends with `session_end`, waited for up to `limit`;
/// whatever it holds by then otherwise.
pub(crate) fn wait_closed(journal: &Path, limit: Duration) -> String {
    let start = Instant::now();
    loop {
        let text = std::fs::read_to_string(journal).unwrap_or_default();
        if text.contains("\"kind\":\"session_end\"") || start.elapsed() > limit {
            return text;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The journal's records, parsed.
pub(crate) fn records(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

/// The event kinds of a journal, in order.
pub(crate) fn kinds(text: &str) -> Vec<String> {
    records(text)
        .iter()
        .map(|v| v["kind"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// `cutover verify JOURNAL`'s exit status.
pub(crate) fn verify(journal: &Path) -> Option<i32> {
    Command::new(assert_cmd::cargo::cargo_bin("cutover"))
        .arg("verify")
        .arg(journal)
        .output()
        .expect("verify")
        .status
        .code()
}

fn peering_state(lab: &cutover_lab::serve::LabHandle) -> Option<String> {
    lab.world()
        .with(|w, _| w.peering("AzurePrivatePeering").map(|p| p.state))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_console_is_rolled_back_by_its_detached_guard() {
    let dir = tempfile::tempdir().expect("dir");
    let s = scenario::load_builtin("baseline", &Topology::article()).expect("scenario");
    let lab = start(
        LabOptions::new(s, dir.path().join("inventory.toml"), TOKEN)
            .with_time_scale(cutover_lab::TimeScale::TESTS),
    )
    .await
    .expect("the lab starts");
    let journal = dir.path().join("session.jsonl");
    let mut console = Command::new(assert_cmd::cargo::cargo_bin("cutover"))
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
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("cutover run starts");
    let input = console.stdin.take().expect("stdin");
    let output = console.stdout.take().expect("stdout");

    // Read the session as it goes, answer the gate, and stop reading once
    // the deadline is armed (the guard is running by then).
    let armed = tokio::task::spawn_blocking(move || {
        follow(
            input,
            output,
            "deadline_armed",
            true,
            Duration::from_secs(120),
        )
    })
    .await
    .expect("reader");
    assert!(armed.reached, "no countdown:\n{}", armed.lines.join("\n"));
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

    // The guard finishes the journal: rollback done, session end, intact;
    // `rollback_done` comes after its settle window, the console's
    // `--settle 2s` handed to the guard.
    let closed = journal.clone();
    let text = tokio::task::spawn_blocking(move || wait_closed(&closed, Duration::from_secs(20)))
        .await
        .expect("journal reader");
    assert!(
        text.lines()
            .any(|l| l.contains("\"kind\":\"rollback_settling\"") && l.contains("\"seconds\":2,")),
        "the guard did not watch for the console's --settle:\n{text}"
    );
    let kinds = kinds(&text);
    assert!(kinds.iter().any(|k| k == "rollback_done"), "{kinds:?}");
    assert_eq!(kinds.last().map(String::as_str), Some("session_end"));
    assert_eq!(verify(&journal), Some(0));
    assert!(!text.contains(TOKEN), "the token never reaches the journal");
    // Kept open until now: the console was killed, not told to go.
    drop(armed.input);
    lab.shutdown().await.expect("lab stops");
}
