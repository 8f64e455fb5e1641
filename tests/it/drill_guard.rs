//! A drill is guarded like a run, through the real binary: its lab is a
//! process of its own (`cutover lab serve --held`), the console arms the
//! same detached guard as `run`, and no process or file of the drill
//! outlives it, however it ends: confirmed, interrupted at the gate, or
//! killed during the guarded change (then the guard rolls the change back
//! on the lab and closes the journal first).
//!
//! The drill's processes are found as the console's children in /proc
//! (the lab and the guard are both started by the console), and its files
//! under a TMPDIR of the test's own.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::run_guard::{follow, kinds, records, verify, wait_closed};

/// A headless drill of `baseline` whose journal, state and temporary files
/// all stay under `dir`.
fn drill(dir: &Path, journal: &Path, extra: &[&str]) -> Command {
    let tmp = dir.join("tmp");
    std::fs::create_dir_all(&tmp).expect("tmp");
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("cutover"));
    c.args([
        "drill",
        "--headless",
        "--time-scale",
        "0.15",
        "--scenario",
        "baseline",
    ])
    .args(["--settle", "2s"])
    .args(extra)
    .arg("--journal")
    .arg(journal)
    .env("XDG_STATE_HOME", dir)
    .env("TMPDIR", &tmp)
    .env_remove("CUTOVER_LOG")
    .stdout(Stdio::piped())
    .stderr(std::fs::File::create(dir.join("console.err")).expect("stderr file"));
    c
}

/// What the console said on standard error, for a failure's message.
fn console_err(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("console.err")).unwrap_or_default()
}

/// `/proc/PID/stat`: the command name, the state letter, the parent.
fn stat(pid: u32) -> Option<(String, char, u32)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text.get(open + 1..close)?.to_string();
    let mut rest = text.get(close + 1..)?.split_whitespace();
    let state = rest.next()?.chars().next()?;
    let ppid = rest.next()?.parse().ok()?;
    Some((comm, state, ppid))
}

/// The live `cutover` processes whose parent is `parent`.
fn cutover_children(parent: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            stat(*pid).is_some_and(|(comm, state, ppid)| {
                ppid == parent && comm == "cutover" && state != 'Z'
            })
        })
        .collect()
}

/// A process that has not exited (a zombie has).
fn alive(pid: u32) -> bool {
    stat(pid).is_some_and(|(_, state, _)| state != 'Z')
}

/// The processes of `pids` still alive after waiting up to `limit`.
fn still_alive_after(pids: &BTreeSet<u32>, limit: Duration) -> Vec<u32> {
    let start = Instant::now();
    loop {
        let left: Vec<u32> = pids.iter().copied().filter(|p| alive(*p)).collect();
        if left.is_empty() || start.elapsed() > limit {
            return left;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The ARM token in a process's environment.
fn env_token(pid: u32) -> Option<String> {
    let env = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
    env.split(|b| *b == 0)
        .filter_map(|kv| std::str::from_utf8(kv).ok())
        .find_map(|kv| kv.strip_prefix("CUTOVER_ARM_TOKEN="))
        .map(str::to_string)
}

/// What the drill left in its temporary directory.
fn left_in_tmp(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir.join("tmp"))
        .expect("tmp")
        .filter_map(|e| Some(e.ok()?.path()))
        .collect()
}

/// Ends a console that a failed assertion leaves running.
struct Reaper(Child);

impl Drop for Reaper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_killed_drill_console_is_rolled_back_by_its_guard_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().expect("dir");
    let journal = dir.path().join("drill.jsonl");
    let mut console = Reaper(
        drill(dir.path(), &journal, &["--deadline", "10m"])
            .stdin(Stdio::piped())
            .spawn()
            .expect("cutover drill starts"),
    );
    let pid = console.0.id();
    let input = console.0.stdin.take().expect("stdin");
    let output = console.0.stdout.take().expect("stdout");
    let armed = follow(
        input,
        output,
        "deadline_armed",
        true,
        Duration::from_secs(120),
    );
    assert!(
        armed.reached,
        "no countdown:\n{}\n{}",
        armed.lines.join("\n"),
        console_err(dir.path())
    );
    // The disable went out: the guard has something to undo.
    assert!(
        armed.lines.iter().any(|l| l.contains(" action_done ")),
        "{}",
        armed.lines.join("\n")
    );
    // The lab and the guard, both started by the console.
    let drill_procs: BTreeSet<u32> = cutover_children(pid).into_iter().collect();
    assert!(
        drill_procs.len() >= 2,
        "the lab and the guard should run: {drill_procs:?}"
    );

    // The lab's token, made by the console: in the environment of the lab
    // and of the guard, on neither command line.
    let tokens: BTreeSet<String> = drill_procs.iter().filter_map(|p| env_token(*p)).collect();
    assert_eq!(tokens.len(), 1, "one token, for the lab and the guard");
    let token = tokens.into_iter().next().expect("token");
    for p in &drill_procs {
        let argv = std::fs::read(format!("/proc/{p}/cmdline")).unwrap_or_default();
        assert!(env_token(*p).is_some(), "{p} has no token");
        assert!(
            !String::from_utf8_lossy(&argv).contains(&token),
            "argv of {p}"
        );
    }

    console.0.kill().expect("SIGKILL the console");
    let _ = console.0.wait();
    // Kept open until the kill: the console was killed, not told to go.
    drop(armed.input);

    let text = wait_closed(&journal, Duration::from_secs(60));
    let kinds = kinds(&text);
    assert_eq!(
        kinds.last().map(String::as_str),
        Some("session_end"),
        "{kinds:?}\n{}",
        console_err(dir.path())
    );
    assert_eq!(verify(&journal), Some(0), "the journal verifies");
    // The guard's own record: it took over, enabled the peering on the
    // lab (the state is the lab's answer to the PUT), and ended the session.
    let recs = records(&text);
    let killed_at = recs
        .iter()
        .rposition(|r| r["kind"] == "deadline_armed")
        .expect("armed");
    let after = &recs[killed_at..];
    assert!(
        after.iter().any(|r| r["kind"] == "note"
            && r["text"]
                .as_str()
                .is_some_and(|t| t.contains("detached guard rolls it back"))),
        "{kinds:?}"
    );
    assert!(
        after.iter().any(|r| r["kind"] == "rollback_started"
            && r["reason"].as_str().is_some_and(|s| s.contains("console"))),
        "{kinds:?}"
    );
    let done = after
        .iter()
        .find(|r| r["kind"] == "rollback_done")
        .unwrap_or_else(|| panic!("no rollback_done: {kinds:?}"));
    let detail = done["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("Disabled -> Enabled"), "{detail}");
    let end = recs.last().expect("end");
    assert_eq!(end["exit_code"], 3, "{end}");
    assert!(
        !text.contains(&token),
        "the token never reaches the journal"
    );
    assert_eq!(kinds.iter().filter(|k| *k == "session_end").count(), 1);

    // Then the guard and the lab go, and the lab takes its files along.
    let left = still_alive_after(&drill_procs, Duration::from_secs(30));
    assert!(left.is_empty(), "still running: {left:?}");
    assert_eq!(left_in_tmp(dir.path()), Vec::<PathBuf>::new());
    assert!(
        !console_err(dir.path()).contains(&token),
        "nor standard error"
    );
}

#[test]
fn a_drill_that_ends_leaves_no_process_and_no_file() {
    let dir = tempfile::tempdir().expect("dir");
    let journal = dir.path().join("drill.jsonl");
    let mut console = Reaper(
        drill(
            dir.path(),
            &journal,
            &["--auto-confirm", "--deadline", "20s"],
        )
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("cutover drill starts"),
    );
    let pid = console.0.id();
    // Every process the console started, seen while it runs.
    let mut seen = BTreeSet::new();
    let start = Instant::now();
    let status = loop {
        seen.extend(cutover_children(pid));
        if let Some(s) = console.0.try_wait().expect("wait") {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(180),
            "the drill did not end"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0), "{}", console_err(dir.path()));
    assert!(seen.len() >= 2, "the lab and a guard ran: {seen:?}");
    // The console waits for them; the bound only absorbs a loaded machine.
    let left = still_alive_after(&seen, Duration::from_secs(10));
    assert!(left.is_empty(), "still running: {left:?}");
    assert_eq!(left_in_tmp(dir.path()), Vec::<PathBuf>::new());
    assert_eq!(verify(&journal), Some(0));
}

#[test]
fn ctrl_c_at_the_gate_leaves_no_process_and_no_file() {
    let dir = tempfile::tempdir().expect("dir");
    let journal = dir.path().join("drill.jsonl");
    let mut console = Reaper(
        drill(dir.path(), &journal, &[])
            .stdin(Stdio::piped())
            .spawn()
            .expect("cutover drill starts"),
    );
    let pid = console.0.id();
    let input = console.0.stdin.take().expect("stdin");
    let output = console.0.stdout.take().expect("stdout");
    let at_gate = follow(
        input,
        output,
        "gate_prompt",
        false,
        Duration::from_secs(120),
    );
    assert!(
        at_gate.reached,
        "no gate:\n{}\n{}",
        at_gate.lines.join("\n"),
        console_err(dir.path())
    );
    let drill_procs: BTreeSet<u32> = cutover_children(pid).into_iter().collect();
    assert!(!drill_procs.is_empty(), "the lab runs");
    // Ctrl-C at a terminal: SIGINT to the console.
    let sent = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
    let start = Instant::now();
    while console.0.try_wait().expect("wait").is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the console ignored SIGINT"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(at_gate.input);
    let left = still_alive_after(&drill_procs, Duration::from_secs(30));
    assert!(left.is_empty(), "still running: {left:?}");
    assert_eq!(left_in_tmp(dir.path()), Vec::<PathBuf>::new());
    // Nothing changed: the lab never saw a write.
    let evs = kinds(&std::fs::read_to_string(&journal).expect("journal"));
    assert!(!evs.iter().any(|k| k == "action_started"), "{evs:?}");
}

/// The hold itself, without a drill: a held lab outlives its standard
/// input while a guard holds its lifeline, and stops, taking its files
/// along, once that guard lets go.
#[test]
fn a_held_lab_serves_until_its_console_and_every_guard_let_go() {
    use std::io::{BufRead, BufReader, Read};
    use std::os::unix::net::UnixStream;

    let dir = tempfile::tempdir().expect("dir");
    let tmp = dir.path().join("tmp");
    std::fs::create_dir_all(&tmp).expect("tmp");
    let mut lab = Reaper(
        Command::new(assert_cmd::cargo::cargo_bin("cutover"))
            .args([
                "lab",
                "serve",
                "--held",
                "--time-scale",
                "0.15",
                "--scenario",
                "baseline",
            ])
            .env(cutover_lab::serve::TOKEN_ENV, "held-lab-test-token")
            .env("TMPDIR", &tmp)
            .env_remove("CUTOVER_LOG")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the lab starts"),
    );
    let out = lab.0.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if let Some(p) = line.strip_prefix("lab ready, inventory: ") {
                let _ = tx.send(PathBuf::from(p));
                return;
            }
        }
    });
    let inventory = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the lab is ready");
    let inv = std::fs::read_to_string(&inventory).expect("inventory");
    assert!(
        !inv.contains("held-lab-test-token"),
        "the token stays out of files"
    );
    let arm = inv
        .lines()
        .find_map(|l| l.strip_prefix("endpoint = \"http://"))
        .and_then(|l| l.strip_suffix('"'))
        .expect("the ARM endpoint")
        .to_string();

    let mut guard = UnixStream::connect(inventory.with_extension("lifeline")).expect("hold");
    let mut said = [0u8; 5];
    guard.read_exact(&mut said).expect("the lab answers");
    assert_eq!(&said, b"held\n");

    // The console goes; the guard's hold keeps the lab serving.
    drop(lab.0.stdin.take());
    std::thread::sleep(Duration::from_secs(1));
    assert!(lab.0.try_wait().expect("wait").is_none(), "the lab stopped");
    std::net::TcpStream::connect(&arm).expect("the ARM API still answers");

    // The guard goes too: the lab stops and removes its folder.
    drop(guard);
    let start = Instant::now();
    let status = loop {
        if let Some(s) = lab.0.try_wait().expect("wait") {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the lab did not stop"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "{status}");
    assert_eq!(left_in_tmp(dir.path()), Vec::<PathBuf>::new());
}

/// A held lab's token comes from its console, never made and printed here.
#[test]
fn a_held_lab_without_a_token_is_refused() {
    let out = Command::new(assert_cmd::cargo::cargo_bin("cutover"))
        .args(["lab", "serve", "--held", "--time-scale", "0.15"])
        .env_remove(cutover_lab::serve::TOKEN_ENV)
        .stdin(Stdio::null())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("CUTOVER_ARM_TOKEN") && !err.contains("export"),
        "{err}"
    );
}
