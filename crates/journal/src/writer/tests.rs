use std::sync::Mutex;

use cutover_core::session::event::{Mode, StepInfo, Verdict};

use super::*;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    Write(usize),
    Sync,
    Truncate(u64),
}

#[derive(Clone, Default)]
struct Recorder {
    ops: Arc<Mutex<Vec<Op>>>,
    fail_sync_at: Option<usize>,
}

impl Sink for Recorder {
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.ops.lock().expect("lock").push(Op::Write(buf.len()));
        Ok(())
    }
    fn sync(&mut self) -> io::Result<()> {
        let mut ops = self.ops.lock().expect("lock");
        let syncs = ops.iter().filter(|o| **o == Op::Sync).count();
        if self.fail_sync_at == Some(syncs) {
            return Err(io::Error::other("EIO"));
        }
        ops.push(Op::Sync);
        Ok(())
    }
    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.ops.lock().expect("lock").push(Op::Truncate(len));
        Ok(())
    }
}

fn start() -> Event {
    Event::SessionStart {
        session_id: "s".into(),
        mode: Mode::Drill,
        runbook_id: "rb".into(),
        runbook_title: "t".into(),
        runbook_sha256: "0".repeat(64),
        operator: "op".into(),
        ticket: None,
        key_fingerprint: None,
        scenario: Some("baseline".into()),
        steps: vec![StepInfo {
            id: "a".into(),
            title: "A".into(),
            phase: "p".into(),
            kind: "check".into(),
        }],
        version: "0".into(),
    }
}

fn writer(rec: &Recorder) -> JournalWriter {
    JournalWriter::from_sink(
        Box::new(rec.clone()),
        Path::new("mem.jsonl"),
        Arc::new(Redactor::new()),
        0,
        ZERO_HASH.into(),
        0,
    )
}

#[test]
fn every_append_is_written_then_synced_before_it_returns() {
    let rec = Recorder::default();
    let mut w = writer(&rec);
    let r0 = w.append(&start()).expect("append");
    assert!(matches!(
        rec.ops.lock().expect("lock").as_slice(),
        [Op::Write(_), Op::Sync]
    ));
    let r1 = w
        .append(&Event::StepStart { step: "a".into() })
        .expect("append");
    let ops = rec.ops.lock().expect("lock").clone();
    assert!(
        matches!(
            ops.as_slice(),
            [Op::Write(_), Op::Sync, Op::Write(_), Op::Sync]
        ),
        "{ops:?}"
    );
    assert_eq!((r0.seq, r1.seq), (0, 1));
    assert_eq!(r0.prev, ZERO_HASH);
    assert_eq!(r1.prev, r0.hash);
}

#[test]
fn failed_sync_cuts_back_and_refuses_everything_after() {
    let rec = Recorder {
        fail_sync_at: Some(1),
        ..Recorder::default()
    };
    let mut w = writer(&rec);
    w.append(&start()).expect("first append");
    let first_len = match rec.ops.lock().expect("lock")[0] {
        Op::Write(n) => n as u64,
        ref o => panic!("{o:?}"),
    };
    let e = w
        .append(&Event::StepStart { step: "a".into() })
        .expect_err("sync fails");
    assert!(
        matches!(
            e,
            JournalError::Io {
                action: "sync the journal",
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(
        rec.ops.lock().expect("lock").last(),
        Some(&Op::Truncate(first_len))
    );
    let e = w
        .append(&Event::StepStart { step: "b".into() })
        .expect_err("poisoned");
    assert!(matches!(e, JournalError::Failed { .. }), "{e}");
}

#[test]
fn a_full_disk_is_an_error_not_a_panic() {
    // Linux always has /dev/full: every write fails with ENOSPC.
    let full = OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let mut w = JournalWriter::from_sink(
        Box::new(full),
        Path::new("/dev/full"),
        Arc::new(Redactor::new()),
        0,
        ZERO_HASH.into(),
        0,
    );
    let e = w.append(&start()).expect_err("ENOSPC");
    assert!(
        e.to_string()
            .contains("/dev/full: cannot write the journal"),
        "{e}"
    );
    assert!(matches!(
        w.append(&start()),
        Err(JournalError::Failed { .. })
    ));
}

#[test]
fn first_record_must_be_session_start_and_end_closes() {
    let rec = Recorder::default();
    let mut w = writer(&rec);
    let e = w
        .append(&Event::StepStart { step: "a".into() })
        .expect_err("not first");
    assert!(matches!(e, JournalError::FirstNotSessionStart { ref kind } if kind == "step_start"));
    w.append(&start()).expect("start");
    w.append(&Event::SessionEnd {
        exit_code: 0,
        outcome: "completed".into(),
    })
    .expect("end");
    assert!(matches!(
        w.append(&Event::StepStart { step: "a".into() }),
        Err(JournalError::Closed { .. })
    ));
}

#[test]
fn vocabulary_survives_a_pattern_that_matches_it() {
    let rec = Recorder::default();
    let red = Arc::new(Redactor::new());
    red.add_pattern("dri*").expect("pattern");
    red.add_pattern("pass*").expect("pattern");
    let mut w = JournalWriter::from_sink(
        Box::new(rec.clone()),
        Path::new("mem.jsonl"),
        red,
        0,
        ZERO_HASH.into(),
        0,
    );
    let r = w.append(&start()).expect("append");
    assert_eq!(r.event(), Some(&start()));
    let end = Event::StepEnd {
        step: "password-check".into(),
        verdict: Verdict::Passed,
        elapsed_ms: 1,
    };
    let r = w.append(&end).expect("append");
    assert_eq!(
        r.event(),
        Some(&Event::StepEnd {
            step: "[REDACTED]".into(),
            verdict: Verdict::Passed,
            elapsed_ms: 1,
        })
    );
}
