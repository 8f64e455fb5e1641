//! What `run` and `drill` look at before their session starts, so that
//! nothing is left stranded unseen: journals in the state directory that
//! never wrote `session_end` (a console killed, its guard killed too, or a
//! session still running elsewhere), with the last record and the detached
//! guard's last word; and the command that restores the peering, which
//! the engine names when the peering is not Enabled.
//!
//! The findings are said as notes at the start of the session, so the
//! console, headless mode and the journal all carry them.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use cutover_core::session::Event;
use cutover_engine::SessionConfig;
use cutover_engine::detached::guard_takes_over;
use cutover_journal::{JournalReader, Record};

/// At most this many journals are named; the rest are counted.
const SHOWN: usize = 5;
/// A closed journal's last line (`session_end`) is short: reading this
/// much of the end of each file tells most journals closed without
/// reading them whole.
const TAIL: u64 = 16 * 1024;

/// Fills in what the session says before it starts. `inventory`: the
/// inventory `cutover restore` should be given (none for a drill, whose
/// lab goes away with it); `state_dir`: `--state-dir`, where the journals
/// are when it is given.
pub fn prepare(config: &mut SessionConfig, inventory: Option<&Path>, state_dir: Option<&Path>) {
    if let Some(inv) = inventory {
        config.restore_command = Some(format!("cutover restore --inventory {}", inv.display()));
    }
    let dir = state_dir
        .map(|d| d.join("sessions"))
        .or_else(cutover_journal::path::sessions_dir);
    if let Some(dir) = dir {
        config.start_notes.extend(report(&unclosed_in(&dir)));
    }
}

/// The session's journal: `--journal`, else a new file under
/// `--state-dir`'s `sessions/`, else under the default directory.
pub fn create_journal(
    args: &super::session::SessionArgs,
    runbook_id: &str,
    session_id: &uuid::Uuid,
    redactor: std::sync::Arc<cutover_journal::Redactor>,
) -> Result<cutover_journal::JournalWriter, cutover_journal::JournalError> {
    use cutover_journal::JournalWriter;
    let now = time::OffsetDateTime::now_utc();
    match (&args.journal, &args.state_dir) {
        (Some(p), _) => JournalWriter::create(p, redactor),
        (None, Some(dir)) => {
            let name = cutover_journal::path::session_file_name(now, runbook_id, session_id);
            JournalWriter::create(&dir.join("sessions").join(name), redactor)
        }
        (None, None) => JournalWriter::create_for_session(now, runbook_id, session_id, redactor),
    }
}

/// A journal without `session_end`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unclosed {
    pub path: PathBuf,
    pub session_id: Option<String>,
    pub runbook_id: Option<String>,
    /// The last record that reads: seq, kind, time.
    pub last: Option<(u64, String, String)>,
    /// The detached guard's last record: seq, kind, and the text of a note.
    pub guard: Option<(u64, String, String)>,
    /// Why the rest of the file could not be read (a torn last line).
    pub problem: Option<String>,
}

/// The unclosed journals in `dir`, newest first (the names start with the
/// time).
pub fn unclosed_in(dir: &Path) -> Vec<Unclosed> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            name.ends_with(".jsonl") && !cutover_journal::is_sidecar(p)
        })
        .collect();
    paths.sort();
    paths.reverse();
    paths
        .into_iter()
        .filter(|p| !closed_by_tail(p))
        .filter_map(|p| examine(&p))
        .collect()
}

/// Whether the file's last line is a `session_end` record.
fn closed_by_tail(path: &Path) -> bool {
    let Ok(mut f) = File::open(path) else {
        return false;
    };
    let Ok(len) = f.metadata().map(|m| m.len()) else {
        return false;
    };
    if f.seek(SeekFrom::Start(len.saturating_sub(TAIL))).is_err() {
        return false;
    }
    let mut tail = Vec::new();
    if f.read_to_end(&mut tail).is_err() || tail.last() != Some(&b'\n') {
        return false;
    }
    tail.pop();
    let start = tail.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    // A line that starts before the window is longer than any session_end.
    if start == 0 && len > TAIL {
        return false;
    }
    serde_json::from_slice::<serde_json::Value>(&tail[start..])
        .is_ok_and(|v| v["kind"] == "session_end")
}

/// Reads a journal whose end is not `session_end`; `None` when it is not
/// a journal at all, or ends with `session_end` after all.
fn examine(path: &Path) -> Option<Unclosed> {
    let reader = JournalReader::open(path).ok()?;
    let mut u = Unclosed {
        path: path.to_path_buf(),
        session_id: None,
        runbook_id: None,
        last: None,
        guard: None,
        problem: None,
    };
    let mut guard_writes = false;
    let mut ended = false;
    for r in reader {
        let r: Record = match r {
            Ok(r) => r,
            Err(e) => {
                u.problem = Some(e.to_string());
                break;
            }
        };
        if let Some(Event::SessionStart {
            session_id,
            runbook_id,
            ..
        }) = r.event()
        {
            u.session_id = Some(session_id.clone());
            u.runbook_id = Some(runbook_id.clone());
        }
        guard_writes |= r.event().is_some_and(guard_takes_over);
        if guard_writes {
            let text = match r.event() {
                Some(Event::Note { text, .. }) => text.clone(),
                _ => String::new(),
            };
            u.guard = Some((r.seq, r.kind().to_string(), text));
        }
        ended = r.kind() == "session_end";
        u.last = Some((r.seq, r.kind().to_string(), r.ts_text()));
    }
    let any = u.last.is_some() || u.problem.is_some();
    (any && !ended).then_some(u)
}

/// The notes that name the unclosed journals (none when there are none).
pub fn report(list: &[Unclosed]) -> Vec<String> {
    let mut out: Vec<String> = list.iter().take(SHOWN).map(describe).collect();
    if list.len() > SHOWN {
        out.push(format!(
            "{} more unclosed journal(s) in {}",
            list.len() - SHOWN,
            list[0]
                .path
                .parent()
                .map_or_else(String::new, |p| p.display().to_string())
        ));
    }
    out
}

fn describe(u: &Unclosed) -> String {
    let session = match (&u.session_id, &u.runbook_id) {
        (Some(id), Some(rb)) => format!("session {id} ({rb})"),
        _ => "a session".to_string(),
    };
    let last = match &u.last {
        Some((seq, kind, ts)) => format!("last seq {seq} ({kind}, {ts})"),
        None => "no record reads".to_string(),
    };
    let guard = match &u.guard {
        Some((seq, kind, text)) if text.is_empty() => {
            format!("the detached guard's last word: seq {seq} {kind}")
        }
        Some((seq, kind, text)) => {
            format!("the detached guard's last word: seq {seq} {kind}: {text}")
        }
        None => "no record from a detached guard".to_string(),
    };
    let problem = u
        .problem
        .as_ref()
        .map_or_else(String::new, |p| format!("; {p}"));
    format!(
        "UNCLOSED JOURNAL {}: {session} has no session_end; {last}; {guard}{problem}. Check the peering's state (`cutover restore` enables it) and `cutover verify` the journal; a session still running elsewhere also shows here",
        u.path.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use cutover_core::session::event::{Mode, NoteLevel};
    use cutover_journal::{JournalWriter, Redactor};

    fn start() -> Event {
        Event::SessionStart {
            session_id: "s-1".into(),
            mode: Mode::Run,
            runbook_id: "er-vpn-failover".into(),
            runbook_title: "t".into(),
            runbook_sha256: String::new(),
            operator: "op".into(),
            ticket: None,
            key_fingerprint: None,
            scenario: None,
            steps: Vec::new(),
            version: "0".into(),
        }
    }

    fn write(path: &Path, events: &[Event]) {
        let mut w = JournalWriter::create(path, Arc::new(Redactor::new())).expect("create");
        for e in events {
            w.append(e).expect("append");
        }
    }

    #[test]
    fn closed_journals_are_skipped_and_open_ones_named_with_the_guard_word() {
        let dir = tempfile::tempdir().expect("dir");
        write(
            &dir.path()
                .join("20260101T000000Z-er-vpn-failover-aaaaaaaa.jsonl"),
            &[
                start(),
                Event::SessionEnd {
                    exit_code: 0,
                    outcome: "completed".into(),
                },
            ],
        );
        write(
            &dir.path()
                .join("20260102T000000Z-er-vpn-failover-bbbbbbbb.jsonl"),
            &[
                start(),
                Event::StepStart {
                    step: "disable-private-peering".into(),
                },
            ],
        );
        write(
            &dir.path().join("20260103T000000Z-er-vpn-failover-cccccccc.jsonl"),
            &[
                start(),
                Event::Note {
                    step: Some("disable-private-peering".into()),
                    level: NoteLevel::Warn,
                    text: "the console went away during the guarded change: the detached guard rolls it back".into(),
                },
                Event::RollbackStarted {
                    step: "disable-private-peering".into(),
                    reason: cutover_core::session::event::RollbackReason::ConsoleLost,
                    op: "azure.peering.enable".into(),
                },
            ],
        );
        let found = unclosed_in(dir.path());
        assert_eq!(found.len(), 2, "{found:?}");
        // Newest first.
        assert!(
            found[0]
                .path
                .ends_with("20260103T000000Z-er-vpn-failover-cccccccc.jsonl")
        );
        assert_eq!(found[0].last.as_ref().map(|l| l.0), Some(2));
        assert_eq!(
            found[0].guard.as_ref().map(|g| (g.0, g.1.as_str())),
            Some((2, "rollback_started"))
        );
        assert_eq!(found[1].guard, None);
        let notes = report(&found);
        assert!(
            notes[0].contains("session s-1 (er-vpn-failover)"),
            "{}",
            notes[0]
        );
        assert!(
            notes[0].contains("last seq 2 (rollback_started"),
            "{}",
            notes[0]
        );
        assert!(
            notes[1].contains("no record from a detached guard"),
            "{}",
            notes[1]
        );
    }

    #[test]
    fn a_torn_last_line_is_reported_with_what_reads() {
        let dir = tempfile::tempdir().expect("dir");
        let p = dir.path().join("20260104T000000Z-x-dddddddd.jsonl");
        write(&p, &[start()]);
        let mut text = std::fs::read_to_string(&p).expect("read");
        text.push_str("{\"seq\":1,\"ts\":\"2026");
        std::fs::write(&p, text).expect("write");
        let found = unclosed_in(dir.path());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].last.as_ref().map(|l| l.0), Some(0));
        assert!(found[0].problem.is_some());
    }

    #[test]
    fn the_state_dir_holds_the_journal_unless_one_is_named() {
        use clap::Parser as _;
        #[derive(clap::Parser)]
        struct Flags {
            #[command(flatten)]
            session: crate::cli::session::SessionArgs,
        }
        let dir = tempfile::tempdir().expect("dir");
        let state = dir.path().join("state");
        let id = uuid::Uuid::new_v4();
        let args = |extra: &[&str]| {
            let state = state.display().to_string();
            let mut argv = vec!["cutover", "--state-dir", state.as_str()];
            argv.extend_from_slice(extra);
            Flags::try_parse_from(argv).expect("flags").session
        };
        let w = create_journal(&args(&[]), "rb", &id, Arc::new(Redactor::new())).expect("created");
        assert!(
            w.path().starts_with(state.join("sessions")),
            "{:?}",
            w.path()
        );
        let named = dir.path().join("named.jsonl");
        let flag = named.display().to_string();
        let w = create_journal(
            &args(&["--journal", &flag]),
            "rb",
            &id,
            Arc::new(Redactor::new()),
        )
        .expect("created");
        assert_eq!(w.path(), named.as_path());
    }
}
