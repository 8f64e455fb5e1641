//! The guard cannot die of output (issue 18): the real `cutover guard`
//! process, against a lab on 127.0.0.1 whose peering was disabled, with
//! its standard error closed (a pipe whose read end is gone: EPIPE) or a
//! terminal hung up under it (`tmux kill-session`: EIO), and a journal
//! that cannot be continued. Its console "dies" (its stdin closes) and it
//! must roll the change back each time: exit 3, the peering Enabled, never
//! exit 101 (a panic on a failed write).
//!
//! The tests run as root, which ignores file permissions, so "cannot be
//! continued" is made of what fails for root too: the journal's path is a
//! directory (the guard writes its sidecar `JOURNAL.guard.jsonl` beside
//! it), or lies under a regular file (ENOTDIR: no sidecar either, and the
//! guard rolls back unrecorded).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cutover_lab::serve::{LabHandle, TOKEN_ENV};

use crate::stranded_cli::{TOKEN, disable_behind_the_back, lab};

/// Bounds on waits, never measures of speed.
const LIMIT: Duration = Duration::from_secs(60);

fn peering_state(lab: &LabHandle) -> Option<String> {
    lab.world()
        .with(|w, _| w.peering("AzurePrivatePeering").map(|p| p.state))
}

fn guard_args(lab: &LabHandle, journal: &Path) -> Vec<String> {
    let expires = time::OffsetDateTime::now_utc() + Duration::from_secs(600);
    [
        "guard",
        "--inventory",
        &lab.inventory_path().display().to_string(),
        "--journal",
        &journal.display().to_string(),
        "--step",
        "disable-private-peering",
        "--rollback",
        "azure.peering.enable",
        "--deadline-at",
        &cutover_journal::line::format_ts(expires),
        "--deadline-ms",
        "600000",
        "--grace-ms",
        "30000",
        "--settle-ms",
        "2000",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// `cutover guard` with its stderr a pipe nobody will ever read.
fn guard_with_closed_stderr(lab: &LabHandle, journal: &Path) -> Child {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    Command::new(assert_cmd::cargo::cargo_bin("cutover"))
        .args(guard_args(lab, journal))
        .env(TOKEN_ENV, TOKEN)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(writer)
        .spawn()
        .expect("cutover guard starts")
}

/// Says `ready`, then its console dies (stdin closes); the exit status.
async fn console_dies(mut child: Child) -> Option<i32> {
    let stdout = child.stdout.take().expect("stdout");
    let stdin = child.stdin.take().expect("stdin");
    let ready = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        line
    })
    .await
    .expect("reader");
    assert_eq!(ready.trim(), "ready");
    drop(stdin);
    wait_exit(child).await
}

async fn wait_exit(mut child: Child) -> Option<i32> {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status.code();
        }
        if start.elapsed() > LIMIT {
            let _ = child.kill();
            panic!("the guard did not finish within {LIMIT:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn kinds(path: &Path) -> Vec<String> {
    crate::run_guard::kinds(&std::fs::read_to_string(path).expect("journal"))
}

/// The "Done when" of item 2: closed stderr, and the session's journal
/// cannot be continued (its path is a directory). The guard says so on
/// its dead stderr, writes its sidecar, and restores the peering.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guard_with_a_closed_stderr_and_no_journal_still_rolls_back() {
    let dir = tempfile::tempdir().expect("dir");
    let lab = lab(dir.path()).await;
    disable_behind_the_back(&lab).await;
    let journal = dir.path().join("session.jsonl");
    std::fs::create_dir(&journal).expect("a directory where the journal should be");
    let code = console_dies(guard_with_closed_stderr(&lab, &journal)).await;
    assert_eq!(code, Some(3), "rolled back, not a panic (101)");
    assert_eq!(peering_state(&lab).as_deref(), Some("Enabled"));
    let side = dir.path().join("session.jsonl.guard.jsonl");
    let kinds = kinds(&side);
    assert_eq!(kinds.first().map(String::as_str), Some("session_start"));
    assert!(kinds.iter().any(|k| k == "rollback_done"), "{kinds:?}");
    assert_eq!(kinds.last().map(String::as_str), Some("session_end"));
    assert_eq!(crate::run_guard::verify(&side), Some(0));
    lab.shutdown().await.expect("lab stops");
}

/// Nowhere to write at all (the journal's directory is a regular file, so
/// its sidecar cannot be created either) and a closed stderr: the world
/// still comes first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guard_with_nowhere_to_write_still_rolls_back() {
    let dir = tempfile::tempdir().expect("dir");
    let lab = lab(dir.path()).await;
    disable_behind_the_back(&lab).await;
    let blocker = dir.path().join("not-a-directory");
    std::fs::write(&blocker, b"").expect("file");
    let journal = blocker.join("session.jsonl");
    let code = console_dies(guard_with_closed_stderr(&lab, &journal)).await;
    assert_eq!(code, Some(3), "rolled back, not a panic (101)");
    assert_eq!(peering_state(&lab).as_deref(), Some("Enabled"));
    lab.shutdown().await.expect("lab stops");
}

/// A journal the guard continues, with a closed stderr: its events are in
/// the session's journal, whose chain stays intact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guard_with_a_closed_stderr_continues_the_journal() {
    let dir = tempfile::tempdir().expect("dir");
    let lab = lab(dir.path()).await;
    disable_behind_the_back(&lab).await;
    let journal = crate::engine_detached::journal_until_armed(dir.path(), &[]);
    let code = console_dies(guard_with_closed_stderr(&lab, &journal)).await;
    assert_eq!(code, Some(3));
    assert_eq!(peering_state(&lab).as_deref(), Some("Enabled"));
    let kinds = kinds(&journal);
    assert!(kinds.iter().any(|k| k == "rollback_done"), "{kinds:?}");
    assert_eq!(kinds.last().map(String::as_str), Some("session_end"));
    assert_eq!(crate::run_guard::verify(&journal), Some(0));
    lab.shutdown().await.expect("lab stops");
}

fn have_tmux() -> bool {
    if Path::new("/usr/bin/tmux").exists() {
        return true;
    }
    // ./scripts/test installs the tools and sets CUTOVER_REQUIRE_TOOLS=1:
    // there a missing tool is a failure, never a silent pass.
    assert!(
        std::env::var_os("CUTOVER_REQUIRE_TOOLS").is_none_or(|v| v != "1"),
        "tmux is not installed (CUTOVER_REQUIRE_TOOLS=1)"
    );
    eprintln!("SKIPPED: /usr/bin/tmux is not installed (apt-get install tmux)");
    false
}

fn fifo(path: &Path) {
    let ok = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo")
        .success();
    assert!(ok, "mkfifo {}", path.display());
}

/// Read and write: opening a FIFO this way never waits for the other end.
fn open_fifo(path: &Path) -> std::fs::File {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .expect("fifo")
}

/// The guard's stderr is a tmux pane's terminal; the session is killed
/// (the terminal hangs up: SIGHUP, then EIO on every write), then its
/// console dies, and the journal cannot be continued, so the guard has
/// something to say on the dead terminal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guard_whose_terminal_hung_up_still_rolls_back() {
    if !have_tmux() {
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let lab = lab(dir.path()).await;
    disable_behind_the_back(&lab).await;
    let journal = dir.path().join("session.jsonl");
    std::fs::create_dir(&journal).expect("a directory where the journal should be");
    let (input, output, status) = (
        dir.path().join("in.fifo"),
        dir.path().join("out.fifo"),
        dir.path().join("status"),
    );
    fifo(&input);
    fifo(&output);
    // The console's end of both pipes, held by the test.
    let to_guard = open_fifo(&input);
    let from_guard = open_fifo(&output);
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let mut script = vec![quote(
        &assert_cmd::cargo::cargo_bin("cutover")
            .display()
            .to_string(),
    )];
    script.extend(guard_args(&lab, &journal).iter().map(|a| quote(a)));
    // The shell outlives the hang-up only if it ignores it; the guard
    // handles SIGHUP itself, and its status is what the test reads.
    let line = format!(
        "trap '' HUP; {} < {} > {}; echo $? > {}",
        script.join(" "),
        quote(&input.display().to_string()),
        quote(&output.display().to_string()),
        quote(&status.display().to_string()),
    );
    let socket = dir.path().join("tmux.sock");
    let tmux = |args: &[&str]| {
        Command::new("/usr/bin/tmux")
            .arg("-S")
            .arg(&socket)
            .args(args)
            .env(TOKEN_ENV, TOKEN)
            .status()
            .expect("tmux")
    };
    assert!(
        tmux(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "guard",
            "sh",
            "-c",
            &line
        ])
        .success()
    );
    let ready = tokio::task::spawn_blocking(move || {
        let mut reader = BufReader::new(from_guard);
        let mut line = String::new();
        let _ = reader.read_line(&mut line);
        (line, reader)
    });
    let (said, from_guard) = tokio::time::timeout(LIMIT, ready)
        .await
        .expect("the guard says ready in time")
        .expect("reader");
    assert_eq!(said.trim(), "ready");
    assert!(tmux(&["kill-session", "-t", "guard"]).success());
    // The console dies after its terminal did.
    drop(to_guard);
    let start = Instant::now();
    let code = loop {
        if let Ok(s) = std::fs::read_to_string(&status)
            && s.ends_with('\n')
        {
            break s.trim().to_string();
        }
        assert!(start.elapsed() < LIMIT, "the guard did not finish");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    drop(from_guard);
    assert_eq!(code, "3", "rolled back, not a panic (101)");
    assert_eq!(peering_state(&lab).as_deref(), Some("Enabled"));
    let side: PathBuf = dir.path().join("session.jsonl.guard.jsonl");
    assert!(kinds(&side).iter().any(|k| k == "rollback_done"));
    lab.shutdown().await.expect("lab stops");
}

/// `--deadline 99999999999h` is bad input (exit 2), not an overflow panic.
#[test]
fn a_deadline_too_long_to_count_is_bad_input() {
    // Refused by the duration's own bound, and over a day by `--deadline`'s.
    for (asked, says) in [("99999999999h", "longer than"), ("2d", "24h")] {
        let out = Command::new(assert_cmd::cargo::cargo_bin("cutover"))
            .args([
                "run",
                "--deadline",
                asked,
                "--inventory",
                "/nonexistent.toml",
            ])
            .output()
            .expect("cutover run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(asked) && err.contains(says), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}
