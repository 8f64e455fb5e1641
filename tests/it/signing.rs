//! Signed journals, end to end through the real binary: a drill signed
//! with a fresh ed25519 key made by `ssh-keygen`, checked by stock OpenSSH
//! (`ssh-keygen -Y verify`) and by `cutover verify --allowed-signers`;
//! the same journal forged the way a forger would (a field edited, every
//! hash recomputed) passes the chain and fails the signature.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use serde_json::Value;
use sha2::{Digest, Sha256};

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("cutover")
}

fn cutover(state: &Path) -> Command {
    let mut c = Command::new(bin());
    c.env("XDG_STATE_HOME", state)
        .env_remove("NO_COLOR")
        .env_remove("CUTOVER_LOG")
        .env_remove("SSH_AUTH_SOCK");
    c
}

fn have_ssh_keygen() -> bool {
    if Path::new("/usr/bin/ssh-keygen").exists() {
        return true;
    }
    // ./scripts/test installs the tools and sets CUTOVER_REQUIRE_TOOLS=1:
    // there a missing tool is a failure, never a silent pass.
    assert!(
        std::env::var_os("CUTOVER_REQUIRE_TOOLS").is_none_or(|v| v != "1"),
        "ssh-keygen is not installed (CUTOVER_REQUIRE_TOOLS=1)"
    );
    eprintln!("SKIPPED: /usr/bin/ssh-keygen is not installed (apt-get install openssh-client)");
    false
}

/// A fresh key pair (`ssh-keygen -t ed25519 -N ''`) and an allowed
/// signers file naming `principal` for it.
fn keypair(dir: &Path, principal: &str) -> (PathBuf, PathBuf) {
    let key = dir.join(format!("{principal}_ed25519"));
    let ok = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", principal, "-f"])
        .arg(&key)
        .status()
        .expect("ssh-keygen runs");
    assert!(ok.success());
    let public = std::fs::read_to_string(key.with_extension("pub")).expect("pub");
    let allowed = dir.join("allowed_signers");
    std::fs::write(
        &allowed,
        format!("{principal} namespaces=\"cutover-journal\" {public}"),
    )
    .expect("write");
    (key, allowed)
}

fn fingerprint(public: &Path) -> String {
    let out = Command::new("ssh-keygen")
        .arg("-lf")
        .arg(public)
        .output()
        .expect("ssh-keygen -l");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    text.split_whitespace()
        .nth(1)
        .expect("a fingerprint")
        .to_string()
}

fn records(journal: &Path) -> Vec<Value> {
    std::fs::read_to_string(journal)
        .expect("journal")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect()
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).to_string(),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

/// What a forger does: edit a record, then recompute every line's hash as
/// the chain defines it (SHA-256 of the line without `hash`, each `prev`
/// the hash before).
fn forge(journal: &Path, out: &Path, edit: impl Fn(&mut serde_json::Map<String, Value>)) {
    let mut prev = "0".repeat(64);
    let mut forged = String::new();
    for line in std::fs::read_to_string(journal).expect("read").lines() {
        let Value::Object(mut m) = serde_json::from_str(line).expect("JSON") else {
            panic!("not an object");
        };
        edit(&mut m);
        m.remove("hash");
        m.insert("prev".into(), Value::from(prev.clone()));
        let mut s = serde_json::to_string(&m).expect("encode");
        let hash: String = Sha256::digest(s.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        s.pop();
        s.push_str(&format!(",\"hash\":\"{hash}\"}}\n"));
        forged.push_str(&s);
        prev = hash;
    }
    std::fs::write(out, forged).expect("write");
}

#[test]
fn a_signed_drill_verifies_with_openssh_and_cutover_and_its_forgery_does_not() {
    if !have_ssh_keygen() {
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let (key, allowed) = keypair(dir.path(), "alice");
    let journal = dir.path().join("signed.jsonl");
    let out = cutover(dir.path())
        .args(crate::FAST_DRILL)
        .args([
            "--settle",
            "1s",
            "--operator",
            "alice",
            "--ticket",
            "CHG-42",
        ])
        .arg("--sign-key")
        .arg(&key)
        .arg("--journal")
        .arg(&journal)
        .output()
        .expect("drill runs");
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");

    // Who, with what key, for which ticket: in session_start.
    let evs = records(&journal);
    let fp = fingerprint(&key.with_extension("pub"));
    assert_eq!(evs[0]["operator"], "alice");
    assert_eq!(evs[0]["ticket"], "CHG-42");
    assert_eq!(evs[0]["key_fingerprint"], fp.as_str());
    // Each disruptive moment is signed right away.
    let started: Vec<usize> = (0..evs.len())
        .filter(|&i| evs[i]["kind"] == "action_started")
        .collect();
    assert!(!started.is_empty());
    for i in started {
        assert_eq!(evs[i + 1]["kind"], "chain_signed", "after seq {i}");
        assert_eq!(evs[i + 1]["covers_seq"], evs[i]["seq"]);
    }

    // Stock OpenSSH accepts the whole-journal signature.
    let sig = dir.path().join("signed.jsonl.sig");
    let check = Command::new("ssh-keygen")
        .args(["-Y", "verify", "-f"])
        .arg(&allowed)
        .args(["-I", "alice", "-n", "cutover-journal", "-s"])
        .arg(&sig)
        .stdin(Stdio::from(std::fs::File::open(&journal).expect("open")))
        .output()
        .expect("ssh-keygen -Y verify");
    let (so, se) = text(&check);
    assert!(check.status.success(), "{so}\n{se}");
    assert!(
        so.contains("Good \"cutover-journal\" signature for alice"),
        "{so}"
    );

    // cutover verify names the signer.
    let v = cutover(dir.path())
        .arg("verify")
        .arg(&journal)
        .arg("--allowed-signers")
        .arg(&allowed)
        .arg("--require-signature")
        .output()
        .expect("verify");
    let (so, se) = text(&v);
    assert_eq!(v.status.code(), Some(0), "{so}\n{se}");
    assert!(so.contains(&format!("signer   alice ({fp})")), "{so}");

    // The report and the replay say who, and what the signature says.
    let r = cutover(dir.path())
        .args(["report", "--format", "json"])
        .arg(&journal)
        .output()
        .expect("report");
    let report: Value = serde_json::from_slice(&r.stdout).expect("JSON report");
    assert_eq!(report["session"]["operator"], "alice");
    assert_eq!(report["session"]["key_fingerprint"], fp.as_str());
    let signature = report["integrity"]["signature"]
        .as_str()
        .unwrap_or_default();
    assert!(
        signature.starts_with(&format!("signed with {fp}: good")),
        "{signature}"
    );

    // The forger's journal: operator changed, every hash recomputed, the
    // old signature put beside it. The chain says intact; the signatures
    // do not.
    let forged = dir.path().join("forged.jsonl");
    forge(&journal, &forged, |m| {
        if m["kind"] == "session_start" {
            m.insert("operator".into(), Value::from("mallory"));
        }
    });
    std::fs::copy(&sig, dir.path().join("forged.jsonl.sig")).expect("copy");
    let v = cutover(dir.path())
        .arg("verify")
        .arg(&forged)
        .arg("--allowed-signers")
        .arg(&allowed)
        .output()
        .expect("verify");
    let (so, se) = text(&v);
    assert_eq!(v.status.code(), Some(1), "{so}\n{se}");
    assert!(
        so.starts_with(&format!("{}: intact\n", forged.display())),
        "{so}"
    );
    assert!(se.contains("signature check FAILED"), "{se}");

    // ... and with its signatures stripped, it is still caught:
    // session_start names a key and nothing is signed.
    let stripped = dir.path().join("stripped.jsonl");
    let only: String = std::fs::read_to_string(&forged)
        .expect("read")
        .lines()
        .filter(|l| !l.contains("\"kind\":\"chain_signed\""))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&stripped, only).expect("write");
    forge(&stripped.clone(), &stripped, |_| {});
    let v = cutover(dir.path())
        .arg("verify")
        .arg(&stripped)
        .arg("--allowed-signers")
        .arg(&allowed)
        .output()
        .expect("verify");
    assert_eq!(v.status.code(), Some(1), "{:?}", text(&v));

    whom_and_when_the_key_is_allowed_for(dir.path(), &journal, &key);
    a_later_session_start_does_not_change_the_announced_key(dir.path(), &journal, &key);
}

/// `ssh-keygen -Y verify -I alice` and `cutover verify` on the same
/// journal and allowed signers: (ssh-keygen's success, its output,
/// cutover's exit status, its stdout, its stderr).
fn both_verify(dir: &Path, journal: &Path, allowed: &str) -> (bool, String, i32, String, String) {
    let file = dir.join("allowed_signers.case");
    std::fs::write(&file, allowed).expect("write");
    let ssh = Command::new("ssh-keygen")
        .args(["-Y", "verify", "-f"])
        .arg(&file)
        .args(["-I", "alice", "-n", "cutover-journal", "-s"])
        .arg(cutover_journal::sign::signature_path(journal))
        .stdin(Stdio::from(std::fs::File::open(journal).expect("open")))
        .output()
        .expect("ssh-keygen -Y verify");
    let (sso, sse) = text(&ssh);
    let v = cutover(dir)
        .arg("verify")
        .arg(journal)
        .arg("--allowed-signers")
        .arg(&file)
        .output()
        .expect("verify");
    let (so, se) = text(&v);
    (
        ssh.status.success(),
        format!("{sso}{sse}"),
        v.status.code().unwrap_or(-1),
        so,
        se,
    )
}

/// The principal bound to the operator (`-I`) and the key's validity at
/// the time of verification: ssh-keygen and cutover agree on each line.
fn whom_and_when_the_key_is_allowed_for(dir: &Path, journal: &Path, key: &Path) {
    let public = std::fs::read_to_string(key.with_extension("pub")).expect("pub");
    let public = public.trim();
    for (line, good, says) in [
        (
            format!("bob {public}"),
            false,
            "lists this key for `bob` only, not for the operator `alice`",
        ),
        (format!("\"bob,ali*\" {public}"), true, "signer   alice ("),
        (
            format!("*,!alice {public}"),
            false,
            "not for the operator `alice`",
        ),
        (
            format!("alice valid-before=\"20200101Z\" {public}"),
            false,
            "the key has expired: valid-before=\"20200101Z\" (2020-01-01 00:00:00 UTC)",
        ),
        (
            format!("alice valid-after=\"20990101\" {public}"),
            false,
            "the key is not yet valid",
        ),
        (
            format!("alice valid-after=\"20200101\",valid-before=\"20990101Z\" {public}"),
            true,
            "until 2099-01-01 00:00:00 UTC per ",
        ),
    ] {
        let (ssh_ok, ssh_out, code, so, se) = both_verify(dir, journal, &format!("{line}\n"));
        assert_eq!(ssh_ok, good, "ssh-keygen on `{line}`: {ssh_out}");
        assert_eq!(code, if good { 0 } else { 1 }, "`{line}`:\n{so}\n{se}");
        assert!(so.contains(says), "`{line}`:\n{so}\n{se}");
        if good {
            assert!(
                !line.contains("valid-") || so.contains("judged at the time of verification"),
                "{so}"
            );
        } else {
            assert!(se.contains("signature check FAILED"), "{se}");
        }
    }
}

/// A `session_start` naming no key, slipped in before `session_end`, the
/// chain recomputed and the whole file re-signed with another key the
/// allowed signers file lists for alice: ssh-keygen, which knows nothing
/// of the announced key, says Good; cutover holds to the key seq 0
/// announced.
fn a_later_session_start_does_not_change_the_announced_key(dir: &Path, journal: &Path, key: &Path) {
    let other_dir = dir.join("other");
    std::fs::create_dir_all(&other_dir).expect("dir");
    let (other, _) = keypair(&other_dir, "alice");
    let lines: Vec<String> = std::fs::read_to_string(journal)
        .expect("read")
        .lines()
        .map(str::to_string)
        .collect();
    let Value::Object(mut second) = serde_json::from_str(&lines[0]).expect("JSON") else {
        panic!("not an object");
    };
    second.remove("key_fingerprint");
    let before_end: Value = serde_json::from_str(&lines[lines.len() - 2]).expect("JSON");
    second.insert("ts".into(), before_end["ts"].clone());
    let mut appended: Vec<String> = lines[..lines.len() - 1].to_vec();
    appended.push(serde_json::to_string(&second).expect("encode"));
    appended.push(lines[lines.len() - 1].clone());
    let forged = dir.join("appended.jsonl");
    std::fs::write(&forged, appended.join("\n") + "\n").expect("write");
    let seq = std::cell::Cell::new(0u64);
    forge(&forged.clone(), &forged, |m| {
        m.insert("seq".into(), Value::from(seq.get()));
        seq.set(seq.get() + 1);
    });
    let signed = Command::new("ssh-keygen")
        .args(["-q", "-Y", "sign", "-n", "cutover-journal", "-f"])
        .arg(&other)
        .arg(&forged)
        .output()
        .expect("ssh-keygen -Y sign");
    assert!(signed.status.success(), "{:?}", text(&signed));

    let both = format!(
        "alice {}alice {}",
        std::fs::read_to_string(key.with_extension("pub")).expect("pub"),
        std::fs::read_to_string(other.with_extension("pub")).expect("pub")
    );
    let (ssh_ok, ssh_out, code, so, se) = both_verify(dir, &forged, &both);
    assert!(ssh_ok, "{ssh_out}");
    assert_eq!(code, 1, "{so}\n{se}");
    assert!(
        so.starts_with(&format!("{}: intact\n", forged.display())),
        "{so}"
    );
    assert!(
        se.contains("made with another key than the one session_start names"),
        "{se}"
    );
}

#[test]
fn an_unsigned_journal_verifies_on_its_chain_unless_a_signature_is_required() {
    use cutover_core::session::Event;
    use cutover_core::session::event::Mode;
    use cutover_journal::{JournalWriter, Redactor};

    let dir = tempfile::tempdir().expect("dir");
    let journal = dir.path().join("unsigned.jsonl");
    let mut w = JournalWriter::create(&journal, Arc::new(Redactor::new())).expect("create");
    w.append(&Event::SessionStart {
        session_id: "s".into(),
        mode: Mode::Drill,
        runbook_id: "rb".into(),
        runbook_title: "t".into(),
        runbook_sha256: String::new(),
        operator: "bob".into(),
        ticket: None,
        key_fingerprint: None,
        scenario: None,
        steps: Vec::new(),
        version: "0".into(),
    })
    .expect("start");
    w.append(&Event::SessionEnd {
        exit_code: 0,
        outcome: "completed".into(),
    })
    .expect("end");
    let allowed = dir.path().join("allowed_signers");
    let key = russh::keys::ssh_key::PrivateKey::from(
        russh::keys::ssh_key::private::Ed25519Keypair::from_seed(&[4; 32]),
    );
    let public = key.public_key().to_openssh().expect("encodes");
    std::fs::write(&allowed, format!("bob {public}\n")).expect("write");

    let plain = cutover(dir.path())
        .arg("verify")
        .arg(&journal)
        .output()
        .expect("verify");
    let (so, _) = text(&plain);
    assert_eq!(plain.status.code(), Some(0), "{so}");
    assert!(so.contains("intact, unsigned: integrity only"), "{so}");

    let required = cutover(dir.path())
        .arg("verify")
        .arg(&journal)
        .arg("--allowed-signers")
        .arg(&allowed)
        .arg("--require-signature")
        .output()
        .expect("verify");
    let (so, se) = text(&required);
    assert_eq!(required.status.code(), Some(1), "{so}\n{se}");
    assert!(
        se.contains("unsigned, and --require-signature was given"),
        "{se}"
    );

    // A bad allowed signers file is bad input at its line and column.
    std::fs::write(&allowed, "# ok\nbob not-a-key\n").expect("write");
    let bad = cutover(dir.path())
        .arg("verify")
        .arg(&journal)
        .arg("--allowed-signers")
        .arg(&allowed)
        .output()
        .expect("verify");
    let (_, se) = text(&bad);
    assert_eq!(bad.status.code(), Some(2), "{se}");
    assert!(
        se.starts_with(&format!("{}:2:5: ", allowed.display())),
        "{se}"
    );
}

/// Whoever closes the journal signs it: the console killed during the
/// guarded change, its detached guard rolls back, closes the journal, and
/// signs it (chain after `rollback_done`, and JOURNAL.sig) with the key
/// the console was given.
#[test]
fn a_guard_that_closes_the_journal_signs_it() {
    use crate::run_guard::{follow, records, wait_closed};
    use std::time::Duration;
    if !have_ssh_keygen() {
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let (key, allowed) = keypair(dir.path(), "carol");
    let journal = dir.path().join("guarded.jsonl");
    let tmp = dir.path().join("tmp");
    std::fs::create_dir_all(&tmp).expect("tmp");
    let mut console = cutover(dir.path())
        .args([
            "drill",
            "--headless",
            "--time-scale",
            "0.15",
            "--deadline",
            "10m",
            "--settle",
            "1s",
        ])
        .args(["--operator", "carol"])
        .arg("--sign-key")
        .arg(&key)
        .arg("--journal")
        .arg(&journal)
        .env("TMPDIR", &tmp)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("drill starts");
    let input = console.stdin.take().expect("stdin");
    let output = console.stdout.take().expect("stdout");
    let armed = follow(
        input,
        output,
        "deadline_armed",
        true,
        Duration::from_secs(120),
    );
    assert!(armed.reached, "{}", armed.lines.join("\n"));
    console.kill().expect("SIGKILL the console");
    let _ = console.wait();
    drop(armed.input);

    let written = wait_closed(&journal, Duration::from_secs(60));
    let recs = records(&written);
    let done = recs
        .iter()
        .rposition(|r| r["kind"] == "rollback_done")
        .expect("the guard rolled back");
    assert_eq!(recs[done + 1]["kind"], "chain_signed", "{written}");
    assert_eq!(recs.last().expect("end")["kind"], "session_end");
    let v = cutover(dir.path())
        .arg("verify")
        .arg(&journal)
        .arg("--allowed-signers")
        .arg(&allowed)
        .arg("--require-signature")
        .output()
        .expect("verify");
    let (so, se) = text(&v);
    assert_eq!(v.status.code(), Some(0), "{so}\n{se}");
    assert!(
        so.contains("(the whole journal): good, signed by carol"),
        "{so}"
    );
}

#[test]
fn a_signing_key_that_cannot_sign_is_bad_input_before_anything_starts() {
    let dir = tempfile::tempdir().expect("dir");
    let junk = dir.path().join("not-a-key");
    std::fs::write(&junk, "hello\n").expect("write");
    let journal = dir.path().join("j.jsonl");
    for key in [junk.clone(), dir.path().join("missing")] {
        let o = cutover(dir.path())
            .args(["drill", "--headless", "--time-scale", "0.15", "--sign-key"])
            .arg(&key)
            .arg("--journal")
            .arg(&journal)
            .output()
            .expect("runs");
        let (_, se) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{se}");
        assert!(
            se.starts_with(&format!("--sign-key: {}", key.display())),
            "{se}"
        );
        assert!(!journal.exists());
    }

    // The inventory's [journal] sign_key, checked where it is written.
    let inv = dir.path().join("inventory.toml");
    std::fs::write(
        &inv,
        format!("# signing\n[journal]\nsign_key = \"{}\"\n", junk.display()),
    )
    .expect("write");
    let e = cutover_core::inventory::Inventory::load(&inv).expect_err("not a key");
    let msg = e.to_string();
    assert!(
        msg.contains(&format!("{}:3:12: `sign_key`", inv.display())),
        "{msg}"
    );
}

/// The console's header (live and in a replay) says the session is signed,
/// with enough of the key's fingerprint to tell keys apart.
#[test]
fn the_header_names_the_signing_key() {
    use crate::ui_support::{app_with, checks};
    use cutover_core::session::Event;
    let mut events = checks(true);
    if let Event::SessionStart {
        key_fingerprint, ..
    } = &mut events[0]
    {
        *key_fingerprint = Some("SHA256:dBf/xehJNLYbc4J1nOQUj+YXP6yu3flAfffDYvQ+z8g".into());
    }
    let app = app_with(&events);
    let screen = cutover_tui::render_to_string(&app, 160, 48);
    let header = screen.lines().next().unwrap_or_default().to_string();
    insta::assert_snapshot!("signed_session_header", header);
}

/// A key the ssh-agent holds: named by its `.pub`, or as an encrypted
/// private key, the agent signs and stock OpenSSH accepts the signature.
/// An encrypted key without an agent is refused before anything starts.
#[test]
fn the_ssh_agent_signs_for_a_public_or_encrypted_key() {
    use cutover_journal::Signer;
    use std::time::{Duration, Instant};
    if !have_ssh_keygen() || !Path::new("/usr/bin/ssh-agent").exists() {
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let (key, allowed) = keypair(dir.path(), "dana");
    let encrypted = dir.path().join("encrypted");
    std::fs::copy(&key, &encrypted).expect("copy");
    let ok = Command::new("ssh-keygen")
        .args(["-q", "-p", "-P", "", "-N", "a passphrase", "-f"])
        .arg(&encrypted)
        .status()
        .expect("ssh-keygen -p");
    assert!(ok.success());

    // No agent: the encrypted key is bad input, and says what to do.
    let o = cutover(dir.path())
        .args(["drill", "--headless", "--time-scale", "0.15", "--sign-key"])
        .arg(&encrypted)
        .output()
        .expect("runs");
    let (_, se) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{se}");
    assert!(
        se.contains("is encrypted and the ssh-agent does not hold it"),
        "{se}"
    );
    assert!(se.contains("ssh-add"), "{se}");

    let sock = dir.path().join("agent.sock");
    let mut agent = Command::new("ssh-agent")
        .arg("-D")
        .arg("-a")
        .arg(&sock)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("ssh-agent");
    let until = Instant::now() + Duration::from_secs(10);
    while !sock.exists() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    let added = Command::new("ssh-add")
        .arg("-q")
        .arg(&key)
        .env("SSH_AUTH_SOCK", &sock)
        .status()
        .expect("ssh-add");
    assert!(added.success());

    let msg = b"a journal's bytes\n";
    for named in [key.with_extension("pub"), encrypted.clone()] {
        let signer = Signer::load_with_agent(&named, Some(&sock))
            .unwrap_or_else(|e| panic!("{}: {e}", named.display()));
        assert_eq!(
            signer.fingerprint(),
            fingerprint(&key.with_extension("pub"))
        );
        let sig = dir.path().join("msg.sig");
        std::fs::write(&sig, signer.sign_armored(msg).expect("the agent signs")).expect("write");
        let mut check = Command::new("ssh-keygen")
            .args(["-Y", "verify", "-f"])
            .arg(&allowed)
            .args(["-I", "dana", "-n", "cutover-journal", "-s"])
            .arg(&sig)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("ssh-keygen -Y verify");
        use std::io::Write as _;
        check
            .stdin
            .take()
            .expect("stdin")
            .write_all(msg)
            .expect("write");
        let out = check.wait_with_output().expect("verify");
        assert!(
            out.status.success(),
            "{}: {:?}",
            named.display(),
            text(&out)
        );
    }
    let _ = agent.kill();
    let _ = agent.wait();
}
