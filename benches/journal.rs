//! Journal budgets of DESIGN.md: replay of 100k events ≤ 1 s, while every
//! append is fsynced (write-ahead). Run with `cargo bench --bench journal`;
//! see benches/README.md.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cutover_core::session::Event;
use cutover_core::session::event::{Mode, NoteLevel, StepInfo, Verdict};
use cutover_journal::{JournalReader, JournalWriter, Redactor, ZERO_HASH, line, verify};
use divan::Bencher;
use divan::counter::{BytesCount, ItemsCount};

fn main() {
    divan::main();
}

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
            id: "fw-table".into(),
            title: "Firewall route table".into(),
            phase: "validate".into(),
            kind: "check".into(),
        }],
        version: "0.1.0".into(),
    }
}

/// What a monitoring session writes over and over: a probe with a
/// route-table capture, its expectation, the step's bracket and a note.
fn cycle(i: u64) -> [Event; 5] {
    let step = format!("poll-{i}");
    let raw = "Cust11.inet.0: 4 destinations, 6 routes (4 active, 0 holddown, 0 hidden)\n\
               10.17.11.0/25      *[BGP/170] 00:12:01, localpref 150, from 192.168.11.0\n\
               \x20                     AS path: 12076 I, validation-state: unverified\n\
               \x20                   >  to 192.168.11.0 via reth1.11\n\
               \x20                   [BGP/170] 1d 04:05:06, localpref 100, from 10.17.11.76\n\
               \x20                     AS path: 65515 I, validation-state: unverified\n\
               \x20                   >  to 10.17.11.76 via st0.118\n";
    [
        Event::StepStart { step: step.clone() },
        Event::Probe {
            step: step.clone(),
            device: "fw".into(),
            query: "route.table".into(),
            command: "show route table Cust11.inet.0 10.17.11.0/24".into(),
            raw: Some(raw.into()),
            error: None,
            parsed: Some(serde_json::json!({"table": "Cust11.inet.0", "routes": [
                {"prefix": "10.17.11.0/25", "protocol": "bgp", "active": true, "local_pref": 150,
                 "as_path": [12076], "next_hops": ["192.168.11.0"]}]})),
            elapsed_ms: 85,
            ids: None,
        },
        Event::Expectation {
            step: step.clone(),
            clause: "10.17.11.0/25 active via ER".into(),
            passed: true,
            evidence: "active path AS 12076 via reth1.11".into(),
        },
        Event::StepEnd {
            step,
            verdict: Verdict::Passed,
            elapsed_ms: 90,
        },
        Event::Note {
            step: None,
            level: NoteLevel::Info,
            text: format!("poll {i}: unchanged"),
        },
    ]
}

/// A closed journal of `events` records, encoded exactly as the writer
/// encodes them (without 100k fsyncs of setup).
fn build(path: &Path, events: u64) -> u64 {
    let mut body = vec![start()];
    let mut i = 0;
    while (body.len() as u64) < events - 1 {
        body.extend(cycle(i));
        i += 1;
    }
    body.truncate(events as usize - 1);
    body.push(Event::SessionEnd {
        exit_code: 0,
        outcome: "completed".into(),
    });
    let ts = "2026-11-03T01:02:03.456Z";
    let mut out = String::new();
    let mut prev = ZERO_HASH.to_string();
    for (seq, e) in (0u64..).zip(&body) {
        let enc = line::encode_event(seq, ts, e, &prev).expect("encodes");
        out.push_str(&enc.line);
        prev = enc.hash;
    }
    std::fs::write(path, &out).expect("write");
    out.len() as u64
}

/// Replay's read path: every record parsed into an event.
#[divan::bench(args = [100_000], sample_count = 5, sample_size = 1)]
fn replay_read_all(bencher: Bencher, events: u64) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("replay.jsonl");
    let bytes = build(&path, events);
    bencher
        .counter(ItemsCount::new(events))
        .counter(BytesCount::new(bytes))
        .bench(|| {
            let n = JournalReader::open(black_box(&path))
                .expect("open")
                .filter(|r| r.as_ref().is_ok_and(|r| r.event().is_some()))
                .count();
            assert_eq!(n as u64, events);
        });
}

/// `cutover verify` on the same journal: every hash recomputed.
#[divan::bench(args = [100_000], sample_count = 5, sample_size = 1)]
fn verify_chain(bencher: Bencher, events: u64) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("verify.jsonl");
    let bytes = build(&path, events);
    bencher
        .counter(ItemsCount::new(events))
        .counter(BytesCount::new(bytes))
        .bench(|| {
            let r = verify(black_box(&path)).expect("readable");
            assert_eq!(r.records, events);
        });
}

fn append_in(bencher: Bencher, dir: PathBuf) {
    let dir = tempfile::tempdir_in(dir).expect("tempdir");
    let path = dir.path().join("append.jsonl");
    let redactor = Arc::new(Redactor::new());
    redactor.register_secret("hunter2-lab-password");
    let mut w = JournalWriter::create(&path, redactor).expect("create");
    w.append(&start()).expect("start");
    let events = cycle(0);
    let mut i = 0usize;
    bencher.counter(ItemsCount::new(1usize)).bench_local(|| {
        i += 1;
        black_box(w.append(&events[i % events.len()]).expect("append"));
    });
}

/// One redacted, fsynced append on the disk that holds the temp directory.
#[divan::bench(sample_count = 20, sample_size = 10)]
fn append_fsync_tempdir(bencher: Bencher) {
    append_in(bencher, std::env::temp_dir());
}

/// The same on tmpfs (`/dev/shm`), where fsync costs nothing: what is left
/// is the redaction and encoding.
#[divan::bench(sample_count = 20, sample_size = 100)]
fn append_fsync_tmpfs(bencher: Bencher) {
    let shm = PathBuf::from("/dev/shm");
    append_in(
        bencher,
        if shm.is_dir() {
            shm
        } else {
            std::env::temp_dir()
        },
    );
}
