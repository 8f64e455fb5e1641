//! DESIGN.md invariant 6 end to end: a whole `cutover run` against a lab
//! whose devices take only a password (no key is allowed in), with the ARM
//! token in the environment and debug logging on; then every way cutover
//! writes a session down (journal, report in three formats, headless
//! replay, asciicast of the console, verify). Neither the password nor the
//! token may appear in any byte of it.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use cutover_lab::serve::{LabOptions, PASSWORD_ENV, TOKEN_ENV, start};
use cutover_lab::ssh_server::Password;
use cutover_lab::{Topology, scenario};

const PASSWORD: &str = "Lab-Pa55word-4f1c9e";
const TOKEN: &str = "arm-token-7d3b52e1a9";

fn cutover(dir: &Path) -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("cutover"));
    // Nothing of the developer's own: no ssh config, keys or agent.
    c.env("HOME", dir)
        .env("XDG_STATE_HOME", dir)
        .env_remove("SSH_AUTH_SOCK")
        .env(PASSWORD_ENV, PASSWORD)
        .env(TOKEN_ENV, TOKEN)
        .env("CUTOVER_LOG", "debug");
    c
}

fn leaks(what: &str, bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    [PASSWORD, TOKEN]
        .iter()
        .filter(|s| text.contains(*s))
        .map(|s| format!("{what} contains {s:?}"))
        .collect()
}

fn ok(out: &Output, what: &str) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_and_a_token_reach_nothing_cutover_writes() {
    let dir = tempfile::tempdir().expect("dir");
    // A key nobody here holds: the password is the only way in.
    let no_keys = dir.path().join("authorized_keys");
    std::fs::write(
        &no_keys,
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGVyuMzbOzAnTGRk1unlISDd2PsGNwPGrXPHB4u4EN+H elsewhere\n",
    )
    .expect("write");
    let s = scenario::load_builtin("baseline", &Topology::article()).expect("scenario");
    let mut options = LabOptions::new(s, dir.path().join("inventory.toml"), TOKEN)
        .with_time_scale(cutover_lab::TimeScale::TESTS);
    options.authorized_keys = Some(no_keys);
    options.password = Some(Password::new(PASSWORD));
    let lab = start(options).await.expect("the lab starts");
    let inventory = std::fs::read_to_string(lab.inventory_path()).expect("inventory");
    assert!(
        !inventory.contains("identity"),
        "the password is the only way in:\n{inventory}"
    );

    let journal = dir.path().join("session.jsonl");
    let mut child = cutover(dir.path())
        .args([
            "run",
            "--headless",
            "--settle",
            "2s",
            "--ticket",
            "CHG-7",
            "--inventory",
        ])
        .arg(lab.inventory_path())
        .arg("--journal")
        .arg(&journal)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cutover run starts");
    let mut input = child.stdin.take().expect("stdin");
    let stdout = child.stdout.take().expect("stdout");
    // Drained all along: a debug log filling the pipe would stall cutover.
    let mut stderr = child.stderr.take().expect("stderr");
    let log = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stderr, &mut buf);
        buf
    });
    // The operator: types the circuit name at the gate, and calls each
    // change healthy once it is verified.
    let reader = tokio::task::spawn_blocking(move || {
        let mut seen = String::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("a line");
            if line.contains(" gate_prompt ") {
                let _ = writeln!(input, "SEA-Cust11-ER");
            }
            if line.contains(" note ") && line.contains("verified:") {
                let _ = writeln!(input, "healthy");
            }
            seen.push_str(&line);
            seen.push('\n');
        }
        seen
    });
    let run_out = reader.await.expect("reader");
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .expect("join")
        .expect("run");
    let run_log = log.join().expect("stderr reader");
    assert_eq!(status.code(), Some(0), "{run_out}");
    let log_text = String::from_utf8_lossy(&run_log);
    assert!(log_text.contains("DEBUG"), "the debug log was on");
    // The password was really sent (and so had a chance to leak).
    assert!(
        log_text
            .lines()
            .any(|l| l.contains("ssh authenticated") && l.contains("password")),
        "{log_text}"
    );
    assert!(run_out.contains("exit 0: completed"), "{run_out}");

    let mut found = Vec::new();
    found.extend(leaks("run stdout", run_out.as_bytes()));
    found.extend(leaks("run stderr (debug log)", &run_log));
    found.extend(leaks("journal", &std::fs::read(&journal).expect("journal")));

    let verify = cutover(dir.path())
        .arg("verify")
        .arg(&journal)
        .output()
        .expect("verify");
    ok(&verify, "verify");
    for format in ["md", "html", "json"] {
        let r = cutover(dir.path())
            .args(["report", "--format", format])
            .arg(&journal)
            .output()
            .expect("report");
        ok(&r, format);
        found.extend(leaks(&format!("{format} report"), &r.stdout));
        found.extend(leaks(&format!("{format} report stderr"), &r.stderr));
    }
    let replay = cutover(dir.path())
        .args(["replay", "--headless"])
        .arg(&journal)
        .output()
        .expect("replay");
    ok(&replay, "replay");
    found.extend(leaks("headless replay", &replay.stdout));
    // The console's screens, frame by frame.
    let cast = dir.path().join("session.cast");
    let r = cutover(dir.path())
        .args(["replay", "--speed", "0", "--asciicast"])
        .arg(&cast)
        .arg(&journal)
        .output()
        .expect("asciicast");
    ok(&r, "asciicast");
    found.extend(leaks("asciicast", &std::fs::read(&cast).expect("cast")));

    assert!(found.is_empty(), "{}", found.join("\n"));
    lab.shutdown().await.expect("lab stops");
}
