//! Clean output: no command panics when its pipe closes, a headless drill
//! whose output is gone still ends its guarded change and closes its
//! journal, every file cutover writes is 0600 whatever the umask, a broken
//! theme is bad input in every mode, and the operator is found without
//! `$USER`.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("cutover")
}

/// `cutover ...` under `umask 000`, journals under `state`.
fn cutover_umask0(state: &Path) -> Command {
    let mut c = Command::new("sh");
    c.args(["-c", "umask 000; exec \"$0\" \"$@\""])
        .arg(bin())
        .env("XDG_STATE_HOME", state)
        .env_remove("NO_COLOR")
        .env_remove("CUTOVER_LOG")
        .env_remove("SSH_AUTH_SOCK");
    c
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

/// Waits for `child`, never longer than a hang guard.
fn wait(child: &mut Child) -> ExitStatus {
    let until = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(s) = child.try_wait().expect("wait") {
            return s;
        }
        if Instant::now() > until {
            let _ = child.kill();
            panic!("the command did not end");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Exit 0, or the conventional 141 of a SIGPIPE.
fn quiet_end(s: ExitStatus) -> bool {
    s.code() == Some(0) || s.code() == Some(141) || s.signal() == Some(13)
}

fn key_file(dir: &Path) -> PathBuf {
    use russh::keys::ssh_key::private::Ed25519Keypair;
    use russh::keys::ssh_key::{LineEnding, PrivateKey};
    let key = PrivateKey::from(Ed25519Keypair::from_seed(&[11; 32]));
    let path = dir.join("sign_key");
    let text = key.to_openssh(LineEnding::LF).expect("encodes");
    std::fs::write(&path, text.as_bytes()).expect("write");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    path
}

#[test]
fn parse_into_a_closed_pipe_stops_quietly() {
    let dir = tempfile::tempdir().expect("dir");
    let big = dir.path().join("big.txt");
    let mut s = String::from(
        "Cust11.inet.0: 4000 destinations, 4000 routes (4000 active, 0 holddown, 0 hidden)\n\
         + = Active Route, - = Last Active, * = Both\n\n",
    );
    for i in 0..4000u32 {
        let p = format!("10.{}.{}.{}/32", (i >> 16) & 255, (i >> 8) & 255, i & 255);
        s.push_str(&format!(
            "{p}{pad}*[BGP/170] 6w2d 03:14:15, localpref 150, from 192.168.11.0\n\
             \x20                     AS path: 12076 64512 I, validation-state: unverified\n\
             \x20                   >  to 192.168.11.0 via reth1.11\n",
            pad = " ".repeat(19usize.saturating_sub(p.len()))
        ));
    }
    std::fs::write(&big, s).expect("write");
    let mut child = Command::new(bin())
        .args(["parse", "junos-route"])
        .arg(&big)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut first = String::new();
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    out.read_line(&mut first).expect("a line");
    assert_eq!(first, "{\n");
    drop(out);
    let status = wait(&mut child);
    let mut err = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .expect("stderr");
    assert!(quiet_end(status), "{status:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// `USER= LOGNAME=bob cutover drill --headless --auto-confirm 2>&1 | head -3`
/// under umask 000: no panic, the drill runs to its end with the peering
/// Enabled, its journal closed; the operator is bob; every file is 0600.
#[test]
fn a_drill_whose_output_closes_still_ends_safely_and_writes_private_files() {
    let dir = tempfile::tempdir().expect("dir");
    let key = key_file(dir.path());
    let journal = dir.path().join("j.jsonl");
    let (reader, writer) = std::io::pipe().expect("pipe");
    let mut child = {
        let mut c = cutover_umask0(dir.path());
        c.args(crate::FAST_DRILL)
            .args(["--settle", "1s", "--sign-key"])
            .arg(&key)
            .arg("--journal")
            .arg(&journal)
            .env("USER", "")
            .env("LOGNAME", "bob")
            .stdin(Stdio::null())
            .stdout(writer.try_clone().expect("dup"))
            .stderr(writer);
        // The command (and its copies of the pipe) go with this block, so
        // the child holds the only writers.
        c.spawn().expect("spawn")
    };
    let mut lines = BufReader::new(reader);
    for _ in 0..3 {
        let mut l = String::new();
        lines.read_line(&mut l).expect("a line");
        assert!(!l.is_empty());
    }
    drop(lines);
    let status = wait(&mut child);
    assert!(quiet_end(status), "{status:?}");

    let evs: Vec<Value> = std::fs::read_to_string(&journal)
        .expect("journal")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(evs[0]["operator"], "bob");
    let last = evs.last().expect("records");
    assert_eq!(last["kind"], "session_end", "{last}");
    assert_eq!(last["exit_code"], 0, "{last}");
    let enabled_last = evs
        .iter()
        .rev()
        .find(|e| e["kind"] == "action_done" || e["kind"] == "rollback_done")
        .expect("a change");
    assert!(
        enabled_last["kind"] == "rollback_done" || enabled_last["op"] == "azure.peering.enable",
        "the peering was left disabled: {enabled_last}"
    );

    // Every file written, under umask 000: 0600.
    let report = dir.path().join("report.md");
    std::fs::write(&report, "old").expect("write");
    std::fs::set_permissions(&report, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let cast = dir.path().join("session.cast");
    for args in [
        vec![
            "report".into(),
            journal.clone().into_os_string(),
            "--output".into(),
            report.clone().into_os_string(),
        ],
        vec![
            "replay".into(),
            journal.clone().into_os_string(),
            "--asciicast".into(),
            cast.clone().into_os_string(),
            "--speed".into(),
            "0".into(),
        ],
    ] {
        let o = cutover_umask0(dir.path())
            .args(&args)
            .output()
            .expect("runs");
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let sig = dir.path().join("j.jsonl.sig");
    for f in [&journal, &sig, &report, &cast] {
        assert_eq!(mode(f), 0o600, "{}", f.display());
    }
}

#[test]
fn a_broken_theme_is_refused_in_every_mode() {
    let dir = tempfile::tempdir().expect("dir");
    let theme = dir.path().join("broken.toml");
    std::fs::write(&theme, "# mine\nnot_a_key = \"green\"\n").expect("write");
    let journal = dir.path().join("none.jsonl");
    let theme_arg = theme.clone().into_os_string();
    let inv = dir.path().join("nowhere.toml").into_os_string();
    for args in [
        vec![
            "drill".into(),
            "--headless".into(),
            "--theme".into(),
            theme_arg.clone(),
        ],
        vec![
            "run".into(),
            "--headless".into(),
            "--inventory".into(),
            inv.clone(),
            "--theme".into(),
            theme_arg.clone(),
        ],
        vec![
            "restore".into(),
            "--headless".into(),
            "--inventory".into(),
            inv.clone(),
            "--theme".into(),
            theme_arg.clone(),
        ],
    ] {
        let o = Command::new(bin())
            .args(&args)
            .arg("--journal")
            .arg(&journal)
            .env("XDG_STATE_HOME", dir.path())
            .output()
            .expect("runs");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.starts_with(&format!("{}:2:1: unknown theme key", theme.display())),
            "{args:?}: {err}"
        );
        assert!(
            !journal.exists(),
            "nothing may start before the theme reads"
        );
    }
}
