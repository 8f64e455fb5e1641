//! The session journal through the real filesystem: write-ahead writer,
//! reader, the hash-chain verifier against a tamper matrix, crash shapes
//! told apart from tampering, redaction of every secret shape, and
//! `cutover verify` through the real binary.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cutover_core::azure_call::{ArmAttempt, ManualCommands, RequestIds};
use cutover_core::session::Event;
use cutover_core::session::event::{GateDecision, Mode, NoteLevel, StepInfo, Verdict};
use cutover_journal::{
    self as journal, JournalError, JournalReader, JournalWriter, Problem, Record, RecordBody,
    Redactor, SharedJournal, Status, ZERO_HASH, line,
};
use proptest::prelude::*;
use serde_json::{Value, json};

fn start() -> Event {
    Event::SessionStart {
        session_id: "5f1c2a90-7d3e-4b8f-9c61-0a2b3c4d5e6f".into(),
        mode: Mode::Drill,
        runbook_id: "er-vpn-failover".into(),
        runbook_title: "Validate the S2S VPN backup and fail ExpressRoute over to it".into(),
        runbook_sha256: "ab".repeat(32),
        operator: "netops".into(),
        ticket: Some("CHG-1234".into()),
        key_fingerprint: None,
        scenario: Some("baseline".into()),
        steps: vec![StepInfo {
            id: "ce1-advertises-onprem".into(),
            title: "Primary CE advertises the on-prem prefix".into(),
            phase: "validate".into(),
            kind: "check".into(),
        }],
        version: "0.1.0".into(),
    }
}

fn end() -> Event {
    Event::SessionEnd {
        exit_code: 0,
        outcome: "completed".into(),
    }
}

fn probe(raw: &str) -> Event {
    Event::Probe {
        step: "ce1-advertises-onprem".into(),
        device: "ce1".into(),
        query: "bgp.advertised".into(),
        command: "show route advertising-protocol bgp 192.168.11.18".into(),
        raw: Some(raw.into()),
        error: None,
        parsed: Some(json!({"table": "Cust11.inet.0", "routes": [
            {"prefix": "10.1.11.0/25", "active": true, "as_path": [65020]}]})),
        elapsed_ms: 42,
        ids: None,
    }
}

/// A whole session: 12 records of most kinds, with multi-line output and
/// non-ASCII text.
fn session() -> Vec<Event> {
    let step = "ce1-advertises-onprem".to_string();
    vec![
        start(),
        Event::StepStart { step: step.clone() },
        probe(
            "\nCust11.inet.0: 3 destinations\n  Prefix\t\t  Nexthop\n* 10.1.11.0/25           Self       I\n  description « café »\n",
        ),
        Event::Expectation {
            step: step.clone(),
            clause: "prefix 10.1.11.0/25 advertised".into(),
            passed: true,
            evidence: "found 10.1.11.0/25 (active)".into(),
        },
        Event::StepEnd {
            step,
            verdict: Verdict::Passed,
            elapsed_ms: 180,
        },
        Event::GatePrompt {
            step: "gate-disable".into(),
            prompt: "Disable private peering on er-circuit-11?".into(),
            confirm_text: "er-circuit-11".into(),
            failed_checks: vec!["ce2-localpref".into()],
            hazards: vec![],
        },
        Event::GateDecision {
            step: "gate-disable".into(),
            decision: GateDecision::Override {
                reason: "CE2 is in maintenance, approved in CHG-1234".into(),
                failed_checks: vec!["ce2-localpref".into()],
                hazards: vec![],
            },
        },
        Event::ActionStarted {
            step: "disable-er".into(),
            op: "azure.peering.disable".into(),
            target: "er-circuit-11/AzurePrivatePeering".into(),
            manual: ManualCommands {
                az_cli: "az network express-route peering update --state Disabled".into(),
                powershell: "Set-AzExpressRouteCircuit".into(),
            },
        },
        Event::ActionAttempt {
            step: "disable-er".into(),
            attempt: ArmAttempt {
                method: "PUT".into(),
                path: "/subscriptions/0/resourceGroups/rg/providers/x?api-version=2024-05-01"
                    .into(),
                status: 429,
                error_code: Some("TooManyRequests".into()),
                retry_after_ms: Some(2000),
                ids: RequestIds::default(),
                write: None,
            },
        },
        Event::ActionDone {
            step: "disable-er".into(),
            op: "azure.peering.disable".into(),
            ok: true,
            detail: "Disabled".into(),
        },
        Event::Measurement {
            step: "disable-er".into(),
            name: "failover".into(),
            millis: 6400,
            uncertainty_ms: None,
            from: None,
            to: None,
        },
        end(),
    ]
}

fn write_journal(path: &Path, events: &[Event], redactor: Arc<Redactor>) -> Vec<Record> {
    let mut w = JournalWriter::create(path, redactor).expect("create");
    events
        .iter()
        .map(|e| w.append(e).expect("append"))
        .collect()
}

/// A fresh intact session journal in `dir`.
fn journal_in(dir: &Path) -> PathBuf {
    let p = dir.join("session.jsonl");
    write_journal(&p, &session(), Arc::new(Redactor::new()));
    p
}

/// The file's lines, each with its newline.
fn lines(path: &Path) -> Vec<Vec<u8>> {
    let bytes = fs::read(path).expect("read");
    bytes
        .split_inclusive(|b| *b == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

fn write_lines(path: &Path, lines: &[Vec<u8>]) {
    fs::write(path, lines.concat()).expect("write");
}

fn status(path: &Path) -> Status {
    journal::verify(path).expect("readable journal").status
}

/// Asserts the chain is broken first at `seq` (which is on line seq + 1).
#[track_caller]
fn broken_at(path: &Path, seq: u64) -> Problem {
    match status(path) {
        Status::Broken(b) => {
            assert_eq!((b.seq, b.line), (seq, seq as usize + 1), "{b}");
            b.problem
        }
        other => panic!("expected a break at seq {seq}, got {other}"),
    }
}

// ---------------------------------------------------------------- writer

#[test]
fn new_journal_is_owner_only_in_an_owner_only_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("sessions/deeper/s.jsonl");
    write_journal(&p, &[start()], Arc::new(Redactor::new()));
    let mode = fs::metadata(&p).expect("stat").permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    let dmode = fs::metadata(p.parent().expect("parent"))
        .expect("stat")
        .permissions()
        .mode();
    assert_eq!(dmode & 0o777, 0o700, "{dmode:o}");
}

#[test]
fn an_existing_file_is_never_appended_to_by_a_new_session() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("s.jsonl");
    fs::write(&p, b"someone else's\n").expect("write");
    let e = JournalWriter::create(&p, Arc::new(Redactor::new())).expect_err("exists");
    assert!(matches!(e, JournalError::Exists { .. }), "{e}");
    assert!(e.to_string().contains("already exists"), "{e}");
    assert_eq!(fs::read(&p).expect("read"), b"someone else's\n");
}

#[test]
fn each_append_is_on_disk_when_it_returns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("s.jsonl");
    let mut w = JournalWriter::create(&p, Arc::new(Redactor::new())).expect("create");
    for (i, e) in session().iter().enumerate() {
        let r = w.append(e).expect("append");
        // Another handle sees the whole record, newline included, at once.
        let on_disk = lines(&p);
        assert_eq!(on_disk.len(), i + 1);
        assert!(on_disk[i].ends_with(b"\n"));
        let back = JournalReader::open(&p)
            .expect("open")
            .last()
            .expect("a record")
            .expect("parses");
        assert_eq!(back, r);
    }
}

#[test]
fn records_round_trip_and_chain() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("s.jsonl");
    let written = write_journal(&p, &session(), Arc::new(Redactor::new()));
    let read = JournalReader::open(&p)
        .expect("open")
        .read_all()
        .expect("reads");
    assert_eq!(read, written);
    for (i, (r, e)) in read.iter().zip(session()).enumerate() {
        assert_eq!(r.seq, i as u64);
        assert_eq!(r.event(), Some(&e));
        let prev = if i == 0 {
            ZERO_HASH
        } else {
            read[i - 1].hash.as_str()
        };
        assert_eq!(r.prev, prev);
    }
    // Field order of CONTRACT.md: seq, ts, kind, ...fields..., prev, hash.
    let first = String::from_utf8(lines(&p)[3].clone()).expect("utf-8");
    let keys: Vec<String> = match serde_json::from_str::<Value>(&first).expect("json") {
        Value::Object(m) => m.keys().cloned().collect(),
        _ => panic!("not an object"),
    };
    assert_eq!(
        keys,
        [
            "seq", "ts", "kind", "step", "clause", "passed", "evidence", "prev", "hash"
        ]
    );
    let ts = read[0].ts_text();
    assert_eq!(ts.len(), "2026-11-03T01:02:03.456Z".len(), "{ts}");
    assert!(ts.ends_with('Z') && ts.as_bytes()[19] == b'.', "{ts}");
}

#[test]
fn intact_session_verifies_with_its_summary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("s.jsonl");
    let written = write_journal(&p, &session(), Arc::new(Redactor::new()));
    let r = journal::verify(&p).expect("verifies");
    assert_eq!(r.status, Status::Intact);
    assert_eq!(r.exit_code(), 0);
    assert_eq!(r.records, 12);
    assert_eq!(
        r.session_id.as_deref(),
        Some("5f1c2a90-7d3e-4b8f-9c61-0a2b3c4d5e6f")
    );
    assert_eq!(r.runbook_id.as_deref(), Some("er-vpn-failover"));
    assert_eq!(
        (r.exit_code, r.outcome.as_deref()),
        (Some(0), Some("completed"))
    );
    assert_eq!(r.first_ts, Some(written[0].ts_text()));
    assert_eq!(r.last_ts, Some(written[11].ts_text()));
    assert_eq!(r.head_hash.as_deref(), Some(written[11].hash.as_str()));
    assert_eq!(r.unknown_kinds, 0);
}

#[test]
fn resume_continues_an_unclosed_chain_and_refuses_the_rest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("s.jsonl");
    let events = session();
    write_journal(&p, &events[..5], Arc::new(Redactor::new()));
    assert_eq!(status(&p), Status::NotClosed { last_seq: 4 });
    fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).expect("chmod");

    let mut w = JournalWriter::resume(&p, Arc::new(Redactor::new())).expect("resumes");
    assert_eq!(w.next_seq(), 5);
    for e in &events[5..] {
        w.append(e).expect("append");
    }
    assert_eq!(status(&p), Status::Intact);
    assert_eq!(
        fs::metadata(&p).expect("stat").permissions().mode() & 0o777,
        0o600
    );

    let e = JournalWriter::resume(&p, Arc::new(Redactor::new())).expect_err("closed");
    assert!(e.to_string().contains("closed"), "{e}");

    let mut torn = lines(&p);
    torn.pop();
    let last = torn.pop().expect("line");
    torn.push(last[..last.len() / 2].to_vec());
    write_lines(&p, &torn);
    let e = JournalWriter::resume(&p, Arc::new(Redactor::new())).expect_err("torn");
    assert!(e.to_string().contains("incomplete final record"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_journal_appends_from_many_tasks_as_one_chain() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("s.jsonl");
    let j =
        SharedJournal::new(JournalWriter::create(&p, Arc::new(Redactor::new())).expect("create"));
    j.append(start()).await.expect("start");
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let j = j.clone();
            tokio::spawn(async move {
                j.append(Event::Note {
                    step: None,
                    level: NoteLevel::Info,
                    text: format!("note {i}"),
                })
                .await
            })
        })
        .collect();
    let mut seqs = Vec::new();
    for t in tasks {
        seqs.push(t.await.expect("task").expect("append").seq);
    }
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=16).collect::<Vec<u64>>());
    j.append(end()).await.expect("end");
    assert_eq!(status(&p), Status::Intact);
}

// ---------------------------------------------------------------- reader

#[test]
fn unknown_kinds_are_kept_whole_and_still_verified() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("s.jsonl");
    let ts = "2026-11-03T01:02:03.456Z";
    let a = line::encode_event(0, ts, &start(), ZERO_HASH).expect("encode");
    let future = json!({"kind": "quantum_reroute", "step": "x", "qubits": [1, 2]});
    let Value::Object(fm) = future.clone() else {
        unreachable!()
    };
    let b = line::encode(1, ts, &fm, &a.hash).expect("encode");
    let c = line::encode_event(2, ts, &end(), &b.hash).expect("encode");
    fs::write(&p, [a.line, b.line, c.line].concat()).expect("write");

    let recs = JournalReader::open(&p)
        .expect("open")
        .read_all()
        .expect("reads");
    assert_eq!(recs.len(), 3);
    assert_eq!(recs[1].kind(), "quantum_reroute");
    match &recs[1].body {
        RecordBody::Unknown { fields, .. } => assert_eq!(fields, &future),
        other => panic!("{other:?}"),
    }
    let r = journal::verify(&p).expect("verifies");
    assert_eq!((r.status, r.unknown_kinds), (Status::Intact, 1));
}

#[test]
fn reader_reports_a_torn_last_line_as_such() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = journal_in(dir.path());
    let mut ls = lines(&p);
    let last = ls.pop().expect("line");
    ls.push(last[..20].to_vec());
    write_lines(&p, &ls);
    let results: Vec<_> = JournalReader::open(&p).expect("open").collect();
    assert_eq!(results.len(), 12);
    assert!(results[..11].iter().all(Result::is_ok));
    assert!(
        matches!(results[11], Err(JournalError::Torn { line: 12, .. })),
        "{:?}",
        results[11]
    );
}

// ---------------------------------------------------------------- tamper matrix

#[test]
fn every_single_byte_flip_is_caught_at_its_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = journal_in(dir.path());
    let original = lines(&good);
    let bad = dir.path().join("bad.jsonl");
    let mut checked = 0;
    for (li, l) in original.iter().enumerate() {
        for pos in 0..l.len() {
            for mask in [0x01u8, 0x20, 0x80] {
                if mask != 0x01 && pos % 7 != 0 {
                    continue;
                }
                let mut ls = original.clone();
                ls[li][pos] ^= mask;
                write_lines(&bad, &ls);
                let r = journal::verify(&bad)
                    .unwrap_or_else(|e| panic!("line {li} byte {pos} ^{mask:#x}: {e}"));
                match &r.status {
                    Status::Broken(b) => assert_eq!(
                        (b.seq, b.line),
                        (li as u64, li + 1),
                        "line {li} byte {pos} ^{mask:#x}: {b}"
                    ),
                    other => panic!("line {li} byte {pos} ^{mask:#x}: {other}"),
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 3000, "{checked}");
}

#[test]
fn deleting_a_line_is_caught() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = journal_in(dir.path());
    let original = lines(&p);

    let mut ls = original.clone();
    ls.remove(0);
    write_lines(&p, &ls);
    assert_eq!(broken_at(&p, 0), Problem::SeqMismatch { found: 1 });

    let mut ls = original.clone();
    ls.remove(6);
    write_lines(&p, &ls);
    assert_eq!(broken_at(&p, 6), Problem::SeqMismatch { found: 7 });

    let mut ls = original.clone();
    ls.pop();
    write_lines(&p, &ls);
    assert_eq!(status(&p), Status::NotClosed { last_seq: 10 });
}

#[test]
fn inserting_a_copied_line_is_caught() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = journal_in(dir.path());
    let original = lines(&p);

    let mut ls = original.clone();
    ls.insert(4, original[3].clone());
    write_lines(&p, &ls);
    assert_eq!(broken_at(&p, 4), Problem::SeqMismatch { found: 3 });

    // A copy of the last record after it.
    let mut ls = original.clone();
    ls.push(original[11].clone());
    write_lines(&p, &ls);
    assert_eq!(broken_at(&p, 12), Problem::AfterSessionEnd);
}

#[test]
fn swapping_adjacent_lines_is_caught() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = journal_in(dir.path());
    let original = lines(&p);
    for k in [0, 5, 10] {
        let mut ls = original.clone();
        ls.swap(k, k + 1);
        write_lines(&p, &ls);
        assert_eq!(
            broken_at(&p, k as u64),
            Problem::SeqMismatch {
                found: k as u64 + 1
            }
        );
    }
}

#[test]
fn editing_a_field_into_other_valid_json_is_caught() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = journal_in(dir.path());
    let mut ls = lines(&p);
    let edited = String::from_utf8(ls[6].clone())
        .expect("utf-8")
        .replace("CE2 is in maintenance", "all checks passed");
    assert_ne!(edited.as_bytes(), ls[6].as_slice());
    serde_json::from_str::<Value>(&edited).expect("still valid JSON");
    ls[6] = edited.into_bytes();
    write_lines(&p, &ls);
    assert_eq!(broken_at(&p, 6), Problem::HashMismatch);
}

/// Re-encodes line `k` after `edit`, with a correct hash of its own.
fn rehash_line(l: &[u8], edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Vec<u8> {
    let Value::Object(mut m) = serde_json::from_slice::<Value>(l).expect("json") else {
        panic!("not an object");
    };
    let seq = m.remove("seq").and_then(|v| v.as_u64()).expect("seq");
    let ts = m
        .remove("ts")
        .and_then(|v| v.as_str().map(str::to_string))
        .expect("ts");
    let prev = m
        .remove("prev")
        .and_then(|v| v.as_str().map(str::to_string))
        .expect("prev");
    m.remove("hash");
    edit(&mut m);
    line::encode(seq, &ts, &m, &prev)
        .expect("encode")
        .line
        .into_bytes()
}

#[test]
fn an_edit_with_a_recomputed_hash_is_caught_by_the_next_prev() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = journal_in(dir.path());
    let mut ls = lines(&p);
    ls[4] = rehash_line(&ls[4], |m| {
        m.insert("verdict".into(), json!("failed"));
    });
    write_lines(&p, &ls);
    assert_eq!(broken_at(&p, 5), Problem::PrevMismatch);

    // Recomputing the first record's hash still leaves the second's prev.
    let dir2 = tempfile::tempdir().expect("tempdir");
    let p = journal_in(dir2.path());
    let mut ls = lines(&p);
    ls[0] = rehash_line(&ls[0], |m| {
        m.insert("operator".into(), json!("mallory"));
    });
    write_lines(&p, &ls);
    assert_eq!(broken_at(&p, 1), Problem::PrevMismatch);
}

#[test]
fn a_chain_that_does_not_start_with_session_start_is_caught() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("s.jsonl");
    let ts = "2026-11-03T01:02:03.456Z";
    let a = line::encode_event(0, ts, &Event::StepStart { step: "x".into() }, ZERO_HASH)
        .expect("encode");
    let b = line::encode_event(1, ts, &end(), &a.hash).expect("encode");
    fs::write(&p, [a.line, b.line].concat()).expect("write");
    assert_eq!(
        broken_at(&p, 0),
        Problem::FirstNotSessionStart {
            kind: "step_start".into()
        }
    );
}

#[test]
fn truncation_at_a_line_boundary_is_a_session_not_closed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = journal_in(dir.path());
    let ls = lines(&p);
    write_lines(&p, &ls[..7]);
    let r = journal::verify(&p).expect("readable");
    assert_eq!(r.status, Status::NotClosed { last_seq: 6 });
    assert_eq!((r.records, r.exit_code()), (7, 1));
    assert!(
        r.status.to_string().starts_with("session not closed"),
        "{}",
        r.status
    );
}

#[test]
fn truncation_mid_line_is_an_incomplete_final_record() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = journal_in(dir.path());
    let ls = lines(&p);
    for cut in [1, 10, ls[7].len() / 2, ls[7].len() - 1] {
        let mut t = ls[..7].to_vec();
        t.push(ls[7][..cut].to_vec());
        write_lines(&p, &t);
        let r = journal::verify(&p).expect("readable");
        assert_eq!(
            r.status,
            Status::IncompleteFinalRecord { seq: 7, line: 8 },
            "cut at {cut}"
        );
        assert_eq!(
            (r.records, r.exit_code(), r.first_bad_seq()),
            (7, 1, Some(7))
        );
    }
}

#[test]
fn a_crash_mid_write_is_reported_as_incomplete_not_tampering() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("s.jsonl");
    let events = session();
    let written = write_journal(&p, &events[..4], Arc::new(Redactor::new()));
    // What the next write would have been, cut by the crash.
    let next = line::encode_event(4, "2026-11-03T01:02:03.456Z", &events[4], &written[3].hash)
        .expect("encode");
    let mut bytes = fs::read(&p).expect("read");
    bytes.extend_from_slice(&next.line.as_bytes()[..next.line.len() * 2 / 3]);
    fs::write(&p, bytes).expect("write");
    let out = cutover::cli::verify::evaluate(&p);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains(":5: incomplete final record (seq 4)"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("not tampering"), "{}", out.stderr);
    assert!(!out.stderr.contains("chain broken"), "{}", out.stderr);
}

#[test]
fn a_file_that_is_no_journal_is_bad_input_with_its_position() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("notes.txt");
    fs::write(&p, "hello\nworld\n").expect("write");
    let e = journal::verify(&p).expect_err("not a journal");
    assert!(
        matches!(
            e,
            JournalError::NotAJournal {
                line: 1,
                col: 1,
                ..
            }
        ),
        "{e}"
    );
    assert!(
        e.to_string()
            .starts_with(&format!("{}:1:1: not a journal", p.display())),
        "{e}"
    );

    fs::write(&p, "").expect("write");
    assert!(matches!(
        journal::verify(&p),
        Err(JournalError::NotAJournal { .. })
    ));

    fs::write(&p, "{\"a\":1}\n").expect("write");
    assert!(matches!(
        journal::verify(&p),
        Err(JournalError::NotAJournal { .. })
    ));

    let e = journal::verify(&dir.path().join("missing.jsonl")).expect_err("missing");
    assert!(matches!(e, JournalError::Io { .. }), "{e}");
}

// ---------------------------------------------------------------- the verify command's text

#[test]
fn verify_command_text_names_the_first_bad_seq_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = journal_in(dir.path());
    let out = cutover::cli::verify::evaluate(&p);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    assert!(out.stdout.contains(": intact\n"), "{}", out.stdout);
    assert!(
        out.stdout.contains("records  12 (seq 0..11)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("outcome  completed (exit 0)"),
        "{}",
        out.stdout
    );

    let mut ls = lines(&p);
    ls[3][30] ^= 1;
    write_lines(&p, &ls);
    let out = cutover::cli::verify::evaluate(&p);
    assert_eq!(out.code, 1);
    let first = out.stderr.lines().next().expect("a message");
    assert!(
        first.starts_with(&format!("{}:4: chain broken at seq 3: ", p.display())),
        "{first}"
    );
}

// ---------------------------------------------------------------- redaction

const PEM: &str = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\nQyNTUxOQAAACDz2Kx1\n-----END OPENSSH PRIVATE KEY-----";
const JWT: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQuYXp1cmUuY29tIn0.c2lnbmF0dXJlLWJ5dGVz";

/// `needle` in the file bytes, raw or JSON-escaped.
fn leaks(bytes: &[u8], needle: &str) -> bool {
    let escaped = serde_json::to_string(needle).expect("json");
    let escaped = &escaped[1..escaped.len() - 1];
    [needle, escaped]
        .iter()
        .any(|n| bytes.windows(n.len()).any(|w| w == n.as_bytes()))
}

#[test]
fn known_secrets_and_secret_shapes_never_reach_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("s.jsonl");
    let password = "Pa$$w0rd\"with\\quote";
    let redactor = Arc::new(Redactor::new());
    redactor.add_pattern("psk-*").expect("pattern");
    let mut w = JournalWriter::create(&p, Arc::clone(&redactor)).expect("create");
    w.append(&start()).expect("start");
    // Registered after the writer exists: a token fetched mid-session.
    redactor.register_secret(password);
    let arm_body = format!(
        "{{\"properties\":{{\"sharedKey\":{}}}}}",
        serde_json::to_string(password).expect("json")
    );
    let raw = format!(
        "password: {password}\nAuthorization: Bearer opaqueTOKEN0123456789\nx-token: {JWT}\n{PEM}\nset security ike policy p pre-shared-key ascii-text psk-Zx81Qv\n{arm_body}"
    );
    let shown = w.append(&probe(&raw)).expect("probe");
    let shown_too = w
        .append(&Event::Probe {
            step: "s".into(),
            device: "fw".into(),
            query: "q".into(),
            command: format!("login {password}"),
            raw: None,
            error: Some(format!("auth failed for {password}")),
            parsed: Some(json!({"nested": [{password: JWT}]})),
            elapsed_ms: 1,
            ids: None,
        })
        .expect("probe");
    w.append(&end()).expect("end");

    let bytes = fs::read(&p).expect("read");
    let screen = format!("{shown:?}{shown_too:?}");
    for needle in [
        password,
        "opaqueTOKEN0123456789",
        JWT,
        "eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQuYXp1cmUuY29tIn0",
        "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ",
        "psk-Zx81Qv",
    ] {
        assert!(!leaks(&bytes, needle), "{needle} reached the file");
        assert!(
            !screen.contains(needle),
            "{needle} reached the returned record"
        );
    }
    let text = String::from_utf8(bytes).expect("utf-8");
    assert!(text.contains("Bearer [REDACTED]"));
    assert!(text.contains("pre-shared-key ascii-text [REDACTED]"));
    assert_eq!(status(&p), Status::Intact);
}

fn secret_strategy() -> impl Strategy<Value = String> {
    "[A-Za-z0-9!#%&()*+,./:;<=>?@^_{|}~\"\\\\é -]{8,24}".prop_filter(
        "not a piece of the marker, of a hash, or of the journal's own structure",
        |s| {
            !"[REDACTED]".contains(s.as_str())
                && !s.bytes().all(|b| b.is_ascii_hexdigit())
                && s.chars().any(|c| c.is_ascii_uppercase())
                && !s.trim().is_empty()
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn random_secrets_never_reach_the_file(
        secret in secret_strategy(),
        around in "[a-z ]{0,12}",
        bearer in "[A-Za-z0-9._~+/-]{16,40}",
        jwt_payload in "[A-Za-z0-9_-]{12,40}",
        key_body in "[A-Za-z0-9+/=\n]{24,120}",
        psk in "[A-Za-z0-9]{6,20}",
    ) {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("s.jsonl");
        let redactor = Arc::new(Redactor::new());
        redactor.register_secret(&secret);
        redactor.add_pattern("psk-*").expect("pattern");
        let escaped = serde_json::to_string(&secret).expect("json");
        let jwt = format!("eyJhbGciOiJIUzI1NiJ9.{jwt_payload}.sig");
        let raw = format!(
            "{around}{secret}{around}\n{{\"pw\":{escaped}}}\nAuthorization: Bearer {bearer}\n{jwt}\n\
             -----BEGIN RSA PRIVATE KEY-----\n{key_body}\n-----END RSA PRIVATE KEY-----\nkey psk-{psk} end"
        );
        let mut w = JournalWriter::create(&p, redactor).expect("create");
        w.append(&start()).expect("start");
        let rec = w.append(&probe(&raw)).expect("probe");
        w.append(&Event::GateDecision {
            step: "g".into(),
            decision: GateDecision::Override {
                reason: format!("because {secret}"),
                failed_checks: vec![secret.clone()],
                hazards: vec![],
            },
        }).expect("gate");
        w.append(&Event::Note { step: None, level: NoteLevel::Warn, text: secret.clone() }).expect("note");
        w.append(&end()).expect("end");

        let bytes = fs::read(&p).expect("read");
        let body_lines: Vec<&str> = key_body.split('\n').filter(|l| l.len() >= 8).collect();
        for needle in [secret.as_str(), bearer.as_str(), jwt.as_str(), jwt_payload.as_str()] {
            prop_assert!(!leaks(&bytes, needle), "{:?} reached the file", needle);
        }
        for needle in body_lines {
            prop_assert!(!leaks(&bytes, needle), "key line {:?} reached the file", needle);
        }
        let psk_value = format!("psk-{psk}");
        prop_assert!(!leaks(&bytes, &psk_value));
        let shown = format!("{rec:?}");
        prop_assert!(!shown.contains(&secret));
        prop_assert_eq!(status(&p), Status::Intact);
    }
}

// ---------------------------------------------------------------- the binary

mod binary {
    //! `cutover verify` end to end. These need `verify` wired into the CLI
    //! (`Command::Verify { journal }` calling `cli::verify::run`).

    use super::*;
    use assert_cmd::Command;

    fn verify(path: &Path) -> assert_cmd::assert::Assert {
        Command::cargo_bin("cutover")
            .expect("binary built")
            .arg("verify")
            .arg(path)
            .assert()
    }

    fn stderr(a: &assert_cmd::assert::Assert) -> String {
        String::from_utf8_lossy(&a.get_output().stderr).into_owned()
    }

    #[test]
    fn intact_journal_exits_0_with_a_summary() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = journal_in(dir.path());
        let a = verify(&p).code(0);
        let out = String::from_utf8_lossy(&a.get_output().stdout).into_owned();
        assert!(out.contains("intact"), "{out}");
        assert!(
            out.contains("5f1c2a90-7d3e-4b8f-9c61-0a2b3c4d5e6f"),
            "{out}"
        );
        assert!(out.contains("completed"), "{out}");
    }

    #[test]
    fn flipped_byte_deleted_line_and_swap_exit_1_naming_the_seq() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = journal_in(dir.path());
        let original = lines(&p);
        let name = p.display().to_string();

        let mut ls = original.clone();
        ls[8][40] ^= 0x01;
        write_lines(&p, &ls);
        let a = verify(&p).code(1);
        assert!(
            stderr(&a).starts_with(&format!("{name}:9: chain broken at seq 8")),
            "{}",
            stderr(&a)
        );

        let mut ls = original.clone();
        ls.remove(2);
        write_lines(&p, &ls);
        let a = verify(&p).code(1);
        assert!(
            stderr(&a).starts_with(&format!("{name}:3: chain broken at seq 2")),
            "{}",
            stderr(&a)
        );

        let mut ls = original.clone();
        ls.swap(9, 10);
        write_lines(&p, &ls);
        let a = verify(&p).code(1);
        assert!(
            stderr(&a).starts_with(&format!("{name}:10: chain broken at seq 9")),
            "{}",
            stderr(&a)
        );
    }

    #[test]
    fn torn_last_line_exits_1_as_incomplete_not_tampering() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = journal_in(dir.path());
        let mut ls = lines(&p);
        let last = ls.pop().expect("line");
        ls.push(last[..last.len() / 2].to_vec());
        write_lines(&p, &ls);
        let a = verify(&p).code(1);
        let err = stderr(&a);
        assert!(
            err.contains(":12: incomplete final record (seq 11)"),
            "{err}"
        );
        assert!(!err.contains("chain broken"), "{err}");
    }

    #[test]
    fn unclosed_session_exits_1_saying_so() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = journal_in(dir.path());
        let ls = lines(&p);
        write_lines(&p, &ls[..5]);
        let a = verify(&p).code(1);
        assert!(stderr(&a).contains("session not closed"), "{}", stderr(&a));
    }

    #[test]
    fn not_a_journal_and_missing_file_exit_2() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("x.jsonl");
        fs::write(&p, "{\"seq\":\n").expect("write");
        let a = verify(&p).code(2);
        assert!(
            stderr(&a).starts_with(&format!("{}:1:", p.display())),
            "{}",
            stderr(&a)
        );
        verify(&dir.path().join("missing.jsonl")).code(2);
    }
}
