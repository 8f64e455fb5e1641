use std::path::{Path, PathBuf};
use std::sync::Arc;

use russh::keys::ssh_key::private::Ed25519Keypair;
use russh::keys::ssh_key::{LineEnding, PrivateKey};

use super::*;
use crate::{JournalWriter, Redactor};
use cutover_core::azure_call::ManualCommands;
use cutover_core::session::Event;
use cutover_core::session::event::{Mode, RollbackResult};

/// A fixed key, written as OpenSSH writes it; returns its path.
fn key_file(dir: &Path, seed: u8, comment: &str) -> PathBuf {
    let mut key = PrivateKey::from(Ed25519Keypair::from_seed(&[seed; 32]));
    key.set_comment(comment);
    let path = dir.join(format!("key{seed}"));
    let text = key.to_openssh(LineEnding::LF).expect("encodes");
    std::fs::write(&path, text.as_bytes()).expect("write key");
    std::fs::write(
        path.with_extension("pub"),
        key.public_key().to_openssh().expect("encodes"),
    )
    .expect("write pub");
    path
}

fn allowed(dir: &Path, lines: &str) -> AllowedSigners {
    let p = dir.join("allowed_signers");
    std::fs::write(&p, lines).expect("write");
    AllowedSigners::load(&p).expect("reads")
}

fn public_line(key: &Path) -> String {
    std::fs::read_to_string(key.with_extension("pub"))
        .expect("pub")
        .trim()
        .to_string()
}

fn start() -> Event {
    Event::SessionStart {
        session_id: "s".into(),
        mode: Mode::Drill,
        runbook_id: "rb".into(),
        runbook_title: "t".into(),
        runbook_sha256: String::new(),
        operator: "alice".into(),
        ticket: Some("CHG-1".into()),
        key_fingerprint: None,
        scenario: None,
        steps: Vec::new(),
        version: "0".into(),
    }
}

/// A closed journal written with `signer`: start, action, rollback, end.
fn signed_journal(dir: &Path, signer: Arc<Signer>) -> PathBuf {
    let path = dir.join("j.jsonl");
    let mut w = JournalWriter::create(&path, Arc::new(Redactor::new())).expect("create");
    w.set_signer(Some(Arc::clone(&signer)));
    let mut first = start();
    if let Event::SessionStart {
        key_fingerprint, ..
    } = &mut first
    {
        *key_fingerprint = Some(signer.fingerprint().to_string());
    }
    w.append(&first).expect("start");
    w.append(&Event::ActionStarted {
        step: "disable".into(),
        op: "azure.peering.disable".into(),
        target: "p".into(),
        manual: ManualCommands {
            az_cli: "az".into(),
            powershell: "ps".into(),
        },
    })
    .expect("action");
    w.append(&Event::RollbackDone {
        step: "disable".into(),
        detail: "rolled back".into(),
        outcome: Some(RollbackResult::RolledBack),
        reasserts: 0,
    })
    .expect("rollback");
    w.append(&Event::SessionEnd {
        exit_code: 3,
        outcome: "rolled back".into(),
    })
    .expect("end");
    path
}

#[test]
fn a_signed_journal_carries_chain_signatures_and_a_whole_file_signature() {
    let dir = tempfile::tempdir().expect("dir");
    let key = key_file(dir.path(), 7, "alice@example");
    let signer = Arc::new(Signer::load(&key).expect("loads"));
    assert!(signer.fingerprint().starts_with("SHA256:"));
    let j = signed_journal(dir.path(), Arc::clone(&signer));

    let text = std::fs::read_to_string(&j).expect("read");
    let kinds: Vec<&str> = text
        .lines()
        .map(|l| {
            let at = l.find("\"kind\":\"").expect("kind") + 8;
            &l[at..at + l[at..].find('"').expect("end")]
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "session_start",
            "action_started",
            "chain_signed",
            "rollback_done",
            "chain_signed",
            "session_end"
        ]
    );
    let sig = signature_path(&j);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&sig).expect("sig").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    let a = allowed(
        dir.path(),
        &format!(
            "# who may sign\nalice namespaces=\"cutover-journal\" {}\n",
            public_line(&key)
        ),
    );
    let r = check(&j, Some(&a)).expect("checks");
    assert_eq!(
        r.state,
        SignatureState::Good {
            whole: true,
            through_seq: Some(3)
        },
        "{r:?}"
    );
    assert_eq!(r.checked.len(), 3);
    assert!(
        r.checked
            .iter()
            .all(|c| c.signer.as_deref() == Some("alice"))
    );
    assert_eq!(r.signers(), [format!("alice ({})", signer.fingerprint())]);
    crate::verify(&j).expect("verifies");
}

#[test]
fn an_edited_journal_or_another_key_fails_the_signature_check() {
    let dir = tempfile::tempdir().expect("dir");
    let key = key_file(dir.path(), 7, "alice");
    let other = key_file(dir.path(), 9, "mallory");
    let signer = Arc::new(Signer::load(&key).expect("loads"));
    let j = signed_journal(dir.path(), signer);

    // Listed for another namespace only: does not vouch for journals.
    let git_only = allowed(
        dir.path(),
        &format!("alice namespaces=\"git\" {}\n", public_line(&key)),
    );
    assert_eq!(
        check(&j, Some(&git_only)).expect("checks").state,
        SignatureState::Bad
    );
    // Another key listed.
    let wrong = allowed(dir.path(), &format!("mallory {}\n", public_line(&other)));
    assert_eq!(
        check(&j, Some(&wrong)).expect("checks").state,
        SignatureState::Bad
    );

    // One byte of the closed journal changed: JOURNAL.sig no longer holds.
    let text = std::fs::read_to_string(&j).expect("read");
    std::fs::write(
        &j,
        text.replace("\"outcome\":\"rolled back\"", "\"outcome\":\"rolled bask\""),
    )
    .expect("write");
    let right = allowed(dir.path(), &format!("alice {}\n", public_line(&key)));
    let r = check(&j, Some(&right)).expect("checks");
    assert_eq!(r.state, SignatureState::Bad);
    let bad: Vec<&str> = r
        .checked
        .iter()
        .filter(|c| c.problem.is_some())
        .map(|c| c.what.as_str())
        .collect();
    assert_eq!(bad.len(), 1, "{r:?}");
    assert!(bad[0].ends_with("(the whole journal)"), "{bad:?}");

    // The signatures removed while session_start still names the key.
    std::fs::remove_file(signature_path(&j)).expect("rm");
    let stripped: String = text
        .lines()
        .filter(|l| !l.contains("\"chain_signed\""))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&j, stripped).expect("write");
    let r = check(&j, Some(&right)).expect("checks");
    assert_eq!(r.state, SignatureState::Bad, "{r:?}");
}

#[test]
fn an_unsigned_journal_is_unsigned() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("u.jsonl");
    let mut w = JournalWriter::create(&path, Arc::new(Redactor::new())).expect("create");
    w.set_signer(None);
    w.append(&start()).expect("start");
    w.append(&Event::SessionEnd {
        exit_code: 0,
        outcome: "completed".into(),
    })
    .expect("end");
    let r = check(&path, None).expect("checks");
    assert_eq!(r.state, SignatureState::Unsigned);
    assert!(r.describe().starts_with("unsigned: integrity only"));
    assert!(!signature_path(&path).exists());
}

#[test]
fn keys_that_cannot_sign_are_refused_with_their_path() {
    let dir = tempfile::tempdir().expect("dir");
    let missing = dir.path().join("nope");
    let e = Signer::load(&missing).expect_err("missing");
    assert!(
        e.to_string().starts_with(&missing.display().to_string()),
        "{e}"
    );

    let junk = dir.path().join("junk");
    std::fs::write(&junk, "hello\n").expect("write");
    assert!(matches!(
        Signer::load(&junk),
        Err(SignError::NotAKey { .. })
    ));

    // A public key with no agent to hold its private half.
    let key = key_file(dir.path(), 3, "x");
    let e = Signer::load(&key.with_extension("pub"));
    assert!(
        matches!(e, Err(SignError::NotInAgent { .. })) || e.is_ok(),
        "{e:?}"
    );
}

#[test]
fn allowed_signers_lines_read_as_openssh_writes_them() {
    let dir = tempfile::tempdir().expect("dir");
    let key = key_file(dir.path(), 5, "c");
    let pk = public_line(&key);
    let a = allowed(
        dir.path(),
        &format!(
            "\n# comment\n\"alice@x,bob@y\" {pk}\ncarol cert-authority {pk}\n  dave namespaces=\"git,cutover-*\",valid-after=\"20260101\" {pk} trailing comment\n"
        ),
    );
    assert_eq!(a.signers.len(), 3);
    assert_eq!(a.signers[0].principals, "alice@x,bob@y");
    assert_eq!(a.signers[0].line, 3);
    assert!(a.signers[1].cert_authority);
    assert_eq!(
        a.signers[2].namespaces.as_deref(),
        Some(&["git".to_string(), "cutover-*".to_string()][..])
    );
    let pubkey = PublicKey::from_openssh(&pk).expect("pk");
    let who: Vec<&str> = a
        .vouching_for(&pubkey)
        .iter()
        .map(|s| s.principals.as_str())
        .collect();
    assert_eq!(who, ["alice@x,bob@y", "dave"]);

    for (text, line, col) in [
        (format!("ok {pk}\nalice\n"), 2, 6),
        (format!("alice bogus=1 {pk}\n"), 1, 7),
        ("alice ssh-ed25519 !!!\n".to_string(), 1, 7),
        (format!("alice \"unterminated {pk}\n"), 1, 7),
    ] {
        let p = dir.path().join("bad");
        std::fs::write(&p, &text).expect("write");
        match AllowedSigners::load(&p) {
            Err(SignError::AllowedSigners {
                line: l, col: c, ..
            }) => {
                assert_eq!((l, c), (line, col), "{text}");
            }
            other => panic!("{text}: {other:?}"),
        }
    }
}

#[test]
fn a_missing_chain_signature_is_a_problem_unless_a_crash_cut_it_off() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("cut.jsonl");
    let mut w = JournalWriter::create(&path, Arc::new(Redactor::new())).expect("create");
    w.set_signer(None);
    let mut first = start();
    if let Event::SessionStart {
        key_fingerprint, ..
    } = &mut first
    {
        *key_fingerprint = Some("SHA256:announced".into());
    }
    w.append(&first).expect("start");
    w.append(&Event::ActionStarted {
        step: "disable".into(),
        op: "azure.peering.disable".into(),
        target: "p".into(),
        manual: ManualCommands {
            az_cli: "az".into(),
            powershell: "ps".into(),
        },
    })
    .expect("action");
    // Killed between the action and its signature: nothing was removed.
    let r = check(&path, None).expect("checks");
    assert_eq!(r.state, SignatureState::Unsigned, "{r:?}");

    // A record after it: the signature should be there and is not.
    w.append(&Event::StepStart {
        step: "next".into(),
    })
    .expect("step");
    let r = check(&path, None).expect("checks");
    assert_eq!(r.state, SignatureState::Bad, "{r:?}");
    assert!(
        r.problems[0].starts_with("seq 1 (action_started) has no chain_signed"),
        "{r:?}"
    );
}

/// The first problem of a report, for messages.
fn problem(r: &SignatureReport) -> String {
    r.checked
        .iter()
        .find_map(|c| c.problem.clone())
        .or_else(|| r.problems.first().cloned())
        .unwrap_or_default()
}

/// As `ssh-keygen -Y verify -I alice`: the key's line must list a
/// principal pattern matching the operator `session_start` names.
#[test]
fn the_signer_must_be_listed_for_the_operator_the_journal_names() {
    let dir = tempfile::tempdir().expect("dir");
    let key = key_file(dir.path(), 7, "alice");
    let signer = Arc::new(Signer::load(&key).expect("loads"));
    let j = signed_journal(dir.path(), signer);
    let pk = public_line(&key);

    for (lines, good) in [
        (format!("alice {pk}\n"), true),
        (format!("bob {pk}\n"), false),
        (format!("Alice {pk}\n"), false),
        (format!("\"bob,ali*,!alice.admin\" {pk}\n"), true),
        (format!("bob,al?ce {pk}\n"), true),
        (format!("*,!alice {pk}\n"), false),
        (format!("!alice,* {pk}\n"), false),
        (format!("bob {pk}\nalice {pk}\n"), true),
        (format!("alice namespaces=\"git\" {pk}\nbob {pk}\n"), false),
        (
            format!("alice namespaces=\"*,!cutover-journal\" {pk}\n"),
            false,
        ),
    ] {
        let a = allowed(dir.path(), &lines);
        let r = check(&j, Some(&a)).expect("checks");
        if good {
            assert!(
                matches!(r.state, SignatureState::Good { .. }),
                "{lines}: {r:?}"
            );
            assert!(
                r.checked
                    .iter()
                    .all(|c| c.signer.as_deref() == Some("alice")),
                "{lines}: {r:?}"
            );
        } else {
            assert_eq!(r.state, SignatureState::Bad, "{lines}: {r:?}");
        }
    }

    // The message names the operator and whom the key is listed for.
    let a = allowed(dir.path(), &format!("bob,carol {pk}\n"));
    let r = check(&j, Some(&a)).expect("checks");
    let p = problem(&r);
    assert!(p.contains("`bob,carol`"), "{p}");
    assert!(p.contains("operator `alice`"), "{p}");
    assert_eq!(r.operator.as_deref(), Some("alice"));
}

fn at(s: &str) -> jiff::Timestamp {
    s.parse().expect("a timestamp")
}

/// `valid-after`/`valid-before` are judged at the time of verification,
/// as ssh-keygen judges them without `-Overify-time`, bounds included.
#[test]
fn valid_after_and_valid_before_are_judged_at_the_time_of_verification() {
    let dir = tempfile::tempdir().expect("dir");
    let key = key_file(dir.path(), 7, "alice");
    let signer = Arc::new(Signer::load(&key).expect("loads"));
    let j = signed_journal(dir.path(), signer);
    let pk = public_line(&key);
    let now = at("2026-06-01T12:00:00Z");

    for (options, when, good) in [
        ("valid-before=\"20260101Z\"", now, false),
        ("valid-after=\"20270101Z\"", now, false),
        (
            "valid-after=\"20260101Z\",valid-before=\"20270101Z\"",
            now,
            true,
        ),
        ("valid-before=\"202606011200Z\"", now, true),
        (
            "valid-before=\"202606011200Z\"",
            at("2026-06-01T12:00:01Z"),
            false,
        ),
        ("valid-after=\"20260601120000utc\"", now, true),
        ("valid-after=\"20260601120001Z\"", now, false),
    ] {
        let a = allowed(dir.path(), &format!("alice {options} {pk}\n"));
        let r = check_at(&j, Some(&a), when).expect("checks");
        if good {
            assert!(
                matches!(r.state, SignatureState::Good { .. }),
                "{options}: {r:?}"
            );
            let said = r.signers().join("; ");
            assert!(
                said.contains("judged at the time of verification (2026-06-01 12:00:00 UTC)"),
                "{said}"
            );
        } else {
            assert_eq!(r.state, SignatureState::Bad, "{options}: {r:?}");
            let p = problem(&r);
            assert!(p.contains("not at the time of verification"), "{p}");
            assert!(
                p.contains(&format!("{}:1: the key", a.path.display())),
                "{p}"
            );
        }
    }

    // An expired line does not hide a valid one for the same key.
    let a = allowed(
        dir.path(),
        &format!("alice valid-before=\"20200101Z\" {pk}\nalice {pk}\n"),
    );
    let r = check_at(&j, Some(&a), now).expect("checks");
    assert!(matches!(r.state, SignatureState::Good { .. }), "{r:?}");
    // Without a window, no time was judged, and none is said.
    assert_eq!(
        r.signers(),
        [format!(
            "alice ({})",
            r.checked[0].fingerprint.clone().unwrap_or_default()
        )]
    );

    // Times that do not read are bad input at their line and column.
    for text in [
        format!("alice valid-after=\"2026\" {pk}\n"),
        format!("alice valid-after=\"20261301\" {pk}\n"),
        format!("alice valid-after=\"2026010112Z\" {pk}\n"),
        format!("alice valid-after=\"20260101\",valid-after=\"20260102\" {pk}\n"),
    ] {
        let p = dir.path().join("bad");
        std::fs::write(&p, &text).expect("write");
        match AllowedSigners::load(&p) {
            Err(SignError::AllowedSigners { line, col, .. }) => {
                assert_eq!((line, col), (1, 7), "{text}");
            }
            other => panic!("{text}: {other:?}"),
        }
    }
}

/// A journal started with `first`'s key announced, cut after its first
/// signed action; then, as a forger would go on, a second `session_start`
/// naming no key and the rest signed with `then` (or not at all).
fn forged_on(dir: &Path, first: Arc<Signer>, then: Option<Arc<Signer>>) -> PathBuf {
    let path = dir.join("forged.jsonl");
    let _ = std::fs::remove_file(signature_path(&path));
    let _ = std::fs::remove_file(&path);
    let mut w = JournalWriter::create(&path, Arc::new(Redactor::new())).expect("create");
    w.set_signer(Some(Arc::clone(&first)));
    let mut announced = start();
    if let Event::SessionStart {
        key_fingerprint, ..
    } = &mut announced
    {
        *key_fingerprint = Some(first.fingerprint().to_string());
    }
    w.append(&announced).expect("start");
    w.append(&Event::ActionStarted {
        step: "disable".into(),
        op: "azure.peering.disable".into(),
        target: "p".into(),
        manual: ManualCommands {
            az_cli: "az".into(),
            powershell: "ps".into(),
        },
    })
    .expect("action");
    w.set_signer(then);
    w.append(&start()).expect("a second session_start, no key");
    w.append(&Event::RollbackDone {
        step: "disable".into(),
        detail: "rolled back".into(),
        outcome: Some(RollbackResult::RolledBack),
        reasserts: 0,
    })
    .expect("rollback");
    w.append(&Event::StepStart {
        step: "next".into(),
    })
    .expect("step");
    w.append(&Event::SessionEnd {
        exit_code: 0,
        outcome: "completed".into(),
    })
    .expect("end");
    path
}

/// The key is the one the first `session_start` (seq 0) announces: a
/// later one naming no key turns off neither the "another key" nor the
/// "signature removed" check.
#[test]
fn a_later_session_start_cannot_switch_off_the_key_checks() {
    let dir = tempfile::tempdir().expect("dir");
    let key = key_file(dir.path(), 7, "alice");
    let other = key_file(dir.path(), 9, "alice's other key");
    let a_signer = Arc::new(Signer::load(&key).expect("loads"));
    let b_signer = Arc::new(Signer::load(&other).expect("loads"));
    // Both keys are alice's: only the announcement tells them apart.
    let both = allowed(
        dir.path(),
        &format!(
            "alice {}\nalice {}\n",
            public_line(&key),
            public_line(&other)
        ),
    );

    let j = forged_on(
        dir.path(),
        Arc::clone(&a_signer),
        Some(Arc::clone(&b_signer)),
    );
    let r = check(&j, Some(&both)).expect("checks");
    assert_eq!(r.announced.as_deref(), Some(a_signer.fingerprint()));
    assert_eq!(r.state, SignatureState::Bad, "{r:?}");
    let p = problem(&r);
    assert!(p.contains("made with another key"), "{p}");
    assert_eq!(check(&j, None).expect("checks").state, SignatureState::Bad);

    // The rest left unsigned: the rollback's signature and JOURNAL.sig
    // are missing, though seq 0 names the key.
    let j = forged_on(dir.path(), Arc::clone(&a_signer), None);
    let r = check(&j, Some(&both)).expect("checks");
    assert_eq!(r.state, SignatureState::Bad, "{r:?}");
    assert!(
        r.problems
            .iter()
            .any(|p| p.contains("(rollback_done) has no chain_signed")),
        "{r:?}"
    );
    assert!(r.problems.iter().any(|p| p.contains("missing")), "{r:?}");
}

/// A sidecar belongs to its journal's session: the guard's names the
/// guard as its operator, and is signed with the session's key for the
/// session's operator, under the key the journal announced.
#[test]
fn a_sidecar_is_bound_to_its_journals_operator_and_key() {
    let dir = tempfile::tempdir().expect("dir");
    let key = key_file(dir.path(), 7, "alice");
    let other = key_file(dir.path(), 9, "mallory");
    let signer = Arc::new(Signer::load(&key).expect("loads"));
    let j = signed_journal(dir.path(), Arc::clone(&signer));
    let side = crate::sidecar_path(&j);
    let write_side = |s: Arc<Signer>| {
        let _ = std::fs::remove_file(&side);
        let mut w = JournalWriter::create(&side, Arc::new(Redactor::new())).expect("create");
        w.set_signer(Some(s));
        let mut guard = start();
        if let Event::SessionStart { operator, .. } = &mut guard {
            *operator = "cutover guard".into();
        }
        w.append(&guard).expect("start");
        w.append(&Event::SessionEnd {
            exit_code: 3,
            outcome: "rolled back".into(),
        })
        .expect("end");
    };
    let a = allowed(
        dir.path(),
        &format!(
            "alice {}\nalice {}\n",
            public_line(&key),
            public_line(&other)
        ),
    );
    write_side(Arc::clone(&signer));
    let r = check(&side, Some(&a)).expect("checks");
    assert!(matches!(r.state, SignatureState::Good { .. }), "{r:?}");
    assert_eq!(r.operator.as_deref(), Some("alice"));
    assert!(
        r.checked
            .iter()
            .all(|c| c.signer.as_deref() == Some("alice"))
    );

    write_side(Arc::new(Signer::load(&other).expect("loads")));
    let r = check(&side, Some(&a)).expect("checks");
    assert_eq!(r.state, SignatureState::Bad, "{r:?}");
    assert!(problem(&r).contains("made with another key"), "{r:?}");
}
