//! The record is true (issue 18, item 5): a journal whose write fails in
//! the middle of a guarded change still gets the change's rollback on
//! record, in the console's sidecar (`JOURNAL.console.jsonl`), and every
//! reader (the merged reader, `verify`, `report`, `replay`) sees it;
//! `cutover verify` names each sidecar it merged and fails on a broken one,
//! with signatures checked on the sidecar as on the journal.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures::future::BoxFuture;
use tokio::sync::mpsc;

use crate::engine_support::*;
use cutover_core::model::azure::PeeringState;
use cutover_core::session::Command as Cmd;
use cutover_core::session::event::{Event, NoteLevel, RollbackReason, RollbackResult};
use cutover_engine::sink::ConsoleSidecar;
use cutover_engine::{Engine, EventLog, EventSink};
use cutover_journal::{
    JournalReader, JournalWriter, RecordSource, Redactor, SharedJournal, console_sidecar_path,
    sidecar_path,
};

fn cutover() -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("cutover"));
    c.env_remove("NO_COLOR")
        .env_remove("CUTOVER_LOG")
        .env_remove("SSH_AUTH_SOCK");
    c
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).to_string(),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

/// The session's real journal on disk, whose writes fail from the first
/// event of kind `at` on, as a full disk makes them fail: the sink's
/// failure path is the one a real I/O error takes.
struct FailsAt {
    journal: SharedJournal,
    at: &'static str,
    failed: AtomicBool,
}

impl EventLog for FailsAt {
    fn append(&self, event: Event) -> BoxFuture<'_, Result<Event, String>> {
        Box::pin(async move {
            if event.kind() == self.at {
                self.failed.store(true, Ordering::SeqCst);
            }
            if self.failed.load(Ordering::SeqCst) {
                return Err(format!(
                    "{}: cannot write the journal: No space left on device (os error 28)",
                    self.journal.path().display()
                ));
            }
            EventLog::append(&self.journal, event).await
        })
    }
}

/// Runs the failover runbook with a careful operator against a journal at
/// `path` that fails at `at`; returns the exit code and what was shown.
async fn run_failing_at(path: &Path, at: &'static str, net: &Net) -> (u8, Vec<Event>) {
    let redactor = Arc::new(Redactor::new());
    let writer = JournalWriter::create(path, Arc::clone(&redactor)).expect("journal");
    let log = FailsAt {
        journal: SharedJournal::new(writer),
        at,
        failed: AtomicBool::new(false),
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    let sink =
        EventSink::with_sidecar(Arc::new(log), ConsoleSidecar::new(path, redactor), vec![tx]);
    let (cmd_tx, cmd_rx) = mpsc::channel::<Cmd>(64);
    let engine = Engine::new(
        Arc::new(failover_runbook()),
        Arc::new(world(net)),
        sink,
        config(),
    );
    let session = tokio::spawn(engine.run(cmd_rx));
    let mut operator = operator_confirming();
    let mut shown = Vec::new();
    while let Some(ev) = rx.recv().await {
        if let Reply::Send(c) = operator(&ev) {
            let _ = cmd_tx.send(c).await;
        }
        shown.push(ev);
    }
    let outcome = session.await.expect("the engine does not panic");
    (outcome.exit_code(), shown)
}

#[tokio::test(start_paused = true)]
async fn a_journal_failing_mid_change_keeps_the_rollback_in_the_console_sidecar() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("session.jsonl");
    let net = Net::new();
    let (code, shown) = run_failing_at(&path, "deadline_armed", &net).await;

    // Safety unchanged: the failed write still stops the change.
    assert_eq!(code, 3, "rolled back");
    assert_eq!(net.with(|n| n.peering.clone()), PeeringState::Enabled);
    // The operator was told where the record went.
    let side = console_sidecar_path(&path);
    assert!(
        shown.iter().any(
            |e| matches!(e, Event::Note { level: NoteLevel::Error, text, .. }
            if text.contains("No space left") && text.contains(&*side.to_string_lossy()))
        ),
        "{shown:#?}"
    );

    // The merged record: the journal up to the failure, then the sidecar,
    // the rollback (for the reason that applied) and the session's end.
    let reader = JournalReader::open(&path).expect("open");
    let sidecars = reader.sidecars().to_vec();
    let records: Vec<_> = reader.map(|r| r.expect("record")).collect();
    assert_eq!(sidecars.len(), 1);
    assert_eq!(sidecars[0].source, RecordSource::ConsoleSidecar);
    let first_side = records
        .iter()
        .position(|r| r.source == RecordSource::ConsoleSidecar)
        .expect("sidecar records merged");
    assert!(
        records[..first_side]
            .iter()
            .all(|r| r.source == RecordSource::Journal)
    );
    assert!(
        records[first_side..]
            .iter()
            .all(|r| r.source == RecordSource::ConsoleSidecar)
    );
    let main_last = records[first_side - 1].seq;
    assert!(
        matches!(records[first_side].event(), Some(Event::Note { text, .. })
            if text.contains(&format!("failed after seq {main_last} "))),
        "{:?}",
        records[first_side]
    );
    let kinds: Vec<&str> = records[first_side..].iter().map(|r| r.kind()).collect();
    for k in [
        "deadline_armed",
        "rollback_started",
        "rollback_done",
        "step_end",
        "session_end",
    ] {
        assert!(kinds.contains(&k), "{k} missing from {kinds:?}");
    }
    let started = records.iter().find_map(|r| match r.event() {
        Some(Event::RollbackStarted { reason, .. }) => Some(*reason),
        _ => None,
    });
    assert_eq!(started, Some(RollbackReason::JournalFailed));
    assert!(records.iter().any(|r| matches!(
        r.event(),
        Some(Event::RollbackDone {
            outcome: Some(RollbackResult::RolledBack),
            ..
        })
    )));
    assert_eq!(records.last().map(|r| r.kind()), Some("session_end"));
    assert_eq!(sidecars[0].merged, records.len() - first_side);
    // A detached guard taking over now reads the change as resolved.
    assert!(cutover_engine::detached::resolved(
        records
            .iter()
            .filter(|r| r.kind() != "session_end")
            .filter_map(|r| r.event()),
        "disable-private-peering"
    ));

    // verify: the journal stops, its sidecar closes it, both intact.
    let o = cutover().arg("verify").arg(&path).output().expect("runs");
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    assert!(
        out.contains("session.jsonl.console.jsonl, which closes it"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "sidecar  {}: intact, {} records",
            side.display(),
            sidecars[0].merged + 1
        )),
        "{out}"
    );
    // report and replay show the rollback from the sidecar.
    let o = cutover().arg("report").arg(&path).output().expect("runs");
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        out.contains("the journal failed, so no confirmation could be recorded"),
        "{out}"
    );
    assert!(
        out.contains("rolled\\_back: AzurePrivatePeering: Disabled"),
        "{out}"
    );
    assert!(out.contains("which closes the session"), "{out}");
    assert!(!out.contains("was not closed"), "{out}");
    let o = cutover()
        .args(["report", "--format", "json"])
        .arg(&path)
        .output()
        .expect("runs");
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(out.contains("rollback (journal_failed)"), "{out}");
    assert!(out.contains("(console's sidecar journal, seq "), "{out}");
    let o = cutover()
        .args(["replay", "--headless"])
        .arg(&path)
        .output()
        .expect("runs");
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(out.contains("rollback_done"), "{out}");
}

/// The journal fails on the operator's confirmation: the change is rolled
/// back for that reason (not "verification failed"), and the sidecar does
/// not claim a confirmation the engine did not act on.
#[tokio::test(start_paused = true)]
async fn a_confirmation_the_journal_refused_is_not_recorded_as_one() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("session.jsonl");
    let net = Net::new();
    let (code, _) = run_failing_at(&path, "confirm_healthy", &net).await;
    assert_eq!(code, 3, "rolled back");
    assert_eq!(net.with(|n| n.peering.clone()), PeeringState::Enabled);
    let records: Vec<_> = JournalReader::open(&path)
        .expect("open")
        .map(|r| r.expect("record"))
        .collect();
    assert!(!records.iter().any(|r| r.kind() == "confirm_healthy"));
    assert!(
        records
            .iter()
            .any(|r| r.source == RecordSource::ConsoleSidecar
                && matches!(r.event(), Some(Event::Note { text, .. })
            if text.starts_with("not journaled, so not acted on: `confirm_healthy`")))
    );
    let reasons: Vec<RollbackReason> = records
        .iter()
        .filter_map(|r| match r.event() {
            Some(Event::RollbackStarted { reason, .. }) => Some(*reason),
            _ => None,
        })
        .collect();
    assert_eq!(reasons, [RollbackReason::JournalFailed]);
    assert!(
        records
            .iter()
            .any(|r| r.source == RecordSource::ConsoleSidecar && r.kind() == "rollback_done")
    );
    assert_eq!(records.last().map(|r| r.kind()), Some("session_end"));
}

fn note(text: &str) -> Event {
    Event::Note {
        step: None,
        level: NoteLevel::Info,
        text: text.into(),
    }
}

/// A closed journal with a guard's sidecar of three records beside it.
fn journal_with_guard_sidecar(dir: &Path, signer: Option<Arc<cutover_journal::Signer>>) -> PathBuf {
    let path = dir.join("s.jsonl");
    let redactor = Arc::new(Redactor::new());
    let start = crate::recorded_support::session_start("baseline");
    let mut main = JournalWriter::create(&path, Arc::clone(&redactor)).expect("journal");
    main.set_signer(signer.clone());
    main.append(&start).expect("append");
    let mut side = JournalWriter::create(&sidecar_path(&path), redactor).expect("sidecar");
    side.set_signer(signer);
    side.append(&start).expect("append");
    side.append(&note("guard 1")).expect("append");
    side.append(&Event::SessionEnd {
        exit_code: 3,
        outcome: "rolled back".into(),
    })
    .expect("append");
    main.append(&Event::SessionEnd {
        exit_code: 3,
        outcome: "rolled back".into(),
    })
    .expect("append");
    path
}

/// Both sidecars beside one journal: their records merge in time order,
/// each marked with its file, and the later `session_end` closes the
/// session.
#[test]
fn the_guards_and_the_consoles_sidecars_merge_in_time_order() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("s.jsonl");
    let redactor = Arc::new(Redactor::new());
    let start = crate::recorded_support::session_start("baseline");
    let pause = || std::thread::sleep(std::time::Duration::from_millis(3));
    let mut main = JournalWriter::create(&path, Arc::clone(&redactor)).expect("journal");
    main.append(&start).expect("append");
    main.append(&note("console 1")).expect("append");
    pause();
    let mut console =
        JournalWriter::create(&console_sidecar_path(&path), Arc::clone(&redactor)).expect("c");
    console.append(&start).expect("append");
    console.append(&note("console 2")).expect("append");
    pause();
    let mut guard = JournalWriter::create(&sidecar_path(&path), redactor).expect("g");
    guard.append(&start).expect("append");
    guard.append(&note("guard 1")).expect("append");
    pause();
    console.append(&note("console 3")).expect("append");
    let end = |outcome: &str| Event::SessionEnd {
        exit_code: 3,
        outcome: outcome.into(),
    };
    console.append(&end("console's end")).expect("append");
    pause();
    guard.append(&end("guard's end")).expect("append");
    drop((main, console, guard));

    let reader = JournalReader::open(&path).expect("open");
    let merged: Vec<usize> = reader.sidecars().iter().map(|s| s.merged).collect();
    let read: Vec<(String, RecordSource)> = reader
        .map(|r| {
            let r = r.expect("record");
            let what = match r.event() {
                Some(Event::Note { text, .. }) => text.clone(),
                Some(Event::SessionEnd { outcome, .. }) => outcome.clone(),
                _ => r.kind().to_string(),
            };
            (what, r.source)
        })
        .collect();
    use RecordSource::{ConsoleSidecar as C, GuardSidecar as G, Journal as J};
    assert_eq!(
        read,
        [
            ("session_start".to_string(), J),
            ("console 1".into(), J),
            ("console 2".into(), C),
            ("guard 1".into(), G),
            ("console 3".into(), C),
            ("guard's end".into(), G),
        ]
    );
    // The guard's: a note and the end merged; the console's: two notes
    // (its end gave way to the later one).
    assert_eq!(merged, [2, 2]);
}

#[test]
fn verify_names_the_sidecar_it_merged_and_fails_on_a_broken_one() {
    let dir = tempfile::tempdir().expect("dir");
    let path = journal_with_guard_sidecar(dir.path(), None);
    let side = sidecar_path(&path);
    let o = cutover().arg("verify").arg(&path).output().expect("runs");
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    assert!(
        out.contains(&format!("sidecar  {}: intact, 3 records", side.display())),
        "{out}"
    );
    assert!(out.contains("detached guard's"), "{out}");

    // An edited sidecar record: the chain breaks at its seq, exit 1.
    let edited = std::fs::read_to_string(&side)
        .expect("read")
        .replace("guard 1", "guard X");
    std::fs::write(&side, edited).expect("write");
    let o = cutover().arg("verify").arg(&path).output().expect("runs");
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
    assert!(out.contains("chain BROKEN at seq 1"), "{out}");
    assert!(err.contains("s.jsonl.guard.jsonl:2:"), "{err}");
    // The journal's own verdict is still said on its own.
    assert!(out.contains("s.jsonl: intact"), "{out}");
}

#[test]
fn a_sidecar_signed_with_the_journal_is_checked_like_it() {
    if !Path::new("/usr/bin/ssh-keygen").exists() {
        assert!(
            std::env::var_os("CUTOVER_REQUIRE_TOOLS").is_none_or(|v| v != "1"),
            "ssh-keygen is not installed (CUTOVER_REQUIRE_TOOLS=1)"
        );
        eprintln!("SKIPPED: /usr/bin/ssh-keygen is not installed");
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let key = dir.path().join("id_ed25519");
    let ok = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "alice.netops", "-f"])
        .arg(&key)
        .status()
        .expect("ssh-keygen runs");
    assert!(ok.success());
    let public = std::fs::read_to_string(key.with_extension("pub")).expect("pub");
    let allowed = dir.path().join("allowed_signers");
    std::fs::write(
        &allowed,
        format!("alice.netops namespaces=\"cutover-journal\" {public}"),
    )
    .expect("write");
    let signer = Arc::new(cutover_journal::Signer::load(&key).expect("key"));
    let path = journal_with_guard_sidecar(dir.path(), Some(signer));
    let verify = || {
        cutover()
            .arg("verify")
            .arg(&path)
            .arg("--allowed-signers")
            .arg(&allowed)
            .arg("--require-signature")
            .output()
            .expect("runs")
    };
    let o = verify();
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    assert!(out.contains("signer   alice.netops"), "{out}");
    assert!(
        out.contains("signer   (sidecar s.jsonl.guard.jsonl) alice.netops"),
        "{out}"
    );

    // The sidecar's signature over the whole file no longer matches once
    // the file changed (even re-chained, as a forger would).
    std::fs::write(
        cutover_journal::sign::signature_path(&sidecar_path(&path)),
        std::fs::read(cutover_journal::sign::signature_path(&path)).expect("sig"),
    )
    .expect("swap");
    let o = verify();
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
    assert!(
        err.contains("s.jsonl.guard.jsonl: signature check FAILED"),
        "{err}"
    );
}
