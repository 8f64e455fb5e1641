//! `cutover verify JOURNAL`: check a journal's hash chain.
//!
//! Exit 0 when intact (summary on stdout). Exit 1 when it is not, with one
//! message on stderr that names the first bad `seq` and its line; a crash
//! (a torn last line, a session that never wrote `session_end`) is also 1,
//! since the journal is not whole, but its wording says it is not
//! tampering. Exit 2 when the file cannot be read or is not a journal
//! (`path:line:col`).

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use super::exit;
use cutover_journal::{self as journal, Status, VerifyReport};

/// What `cutover verify` prints and exits with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub code: u8,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(path: &Path) -> ExitCode {
    let o = evaluate(path);
    print!("{}", o.stdout);
    eprint!("{}", o.stderr);
    ExitCode::from(o.code)
}

/// The check, without printing (what `run` prints).
pub fn evaluate(path: &Path) -> Outcome {
    let name = path.display();
    let report = match journal::verify(path) {
        Ok(r) => r,
        Err(e) => {
            return Outcome {
                code: exit::BAD_INPUT,
                stdout: String::new(),
                stderr: format!("{e}\n"),
            };
        }
    };
    let (code, stderr) = match &report.status {
        Status::Intact => (exit::OK, String::new()),
        Status::NotClosed { .. } => (exit::CHECK_FAILED, format!("{name}: {}\n", report.status)),
        Status::IncompleteFinalRecord { seq, line } => (
            exit::CHECK_FAILED,
            format!(
                "{name}:{line}: incomplete final record (seq {seq}): the last line was cut short, as a crash during a write leaves it; not tampering: the {seq} records before it are intact\n"
            ),
        ),
        Status::Broken(b) => (
            exit::CHECK_FAILED,
            format!(
                "{name}:{}: {}\n{name}: the {} records before seq {} check out; nothing from seq {} on can be trusted\n",
                b.line,
                b.describe(),
                report.records,
                b.seq,
                b.seq
            ),
        ),
    };
    Outcome {
        code,
        stdout: summary(&report),
        stderr,
    }
}

fn summary(r: &VerifyReport) -> String {
    let mut s = String::new();
    let state = match r.status {
        Status::Intact => "intact",
        Status::NotClosed { .. } => "chain intact, session not closed",
        Status::IncompleteFinalRecord { .. } => "chain intact up to an incomplete final record",
        Status::Broken(_) => "chain broken",
    };
    let _ = writeln!(s, "{}: {state}", r.path.display());
    let checked = if r.records == 0 {
        "0".to_string()
    } else {
        format!("{} (seq 0..{})", r.records, r.records - 1)
    };
    let _ = writeln!(s, "  records  {checked}");
    if let Some(id) = &r.session_id {
        let mode = r.mode.as_deref().unwrap_or("?");
        let rb = r.runbook_id.as_deref().unwrap_or("?");
        let _ = writeln!(s, "  session  {id} ({mode}, runbook {rb})");
    }
    if let (Some(first), Some(last)) = (&r.first_ts, &r.last_ts) {
        let _ = writeln!(s, "  time     {first} .. {last}");
    }
    match (&r.outcome, r.exit_code) {
        (Some(o), Some(c)) => {
            let _ = writeln!(s, "  outcome  {o} (exit {c})");
        }
        (Some(o), None) => {
            let _ = writeln!(s, "  outcome  {o}");
        }
        _ => {}
    }
    if let Some(h) = &r.head_hash {
        let _ = writeln!(s, "  head     {h}");
    }
    if r.unknown_kinds > 0 {
        let _ = writeln!(
            s,
            "  note     {} records of kinds this version does not know (a newer cutover wrote them): checked, not interpreted",
            r.unknown_kinds
        );
    }
    s
}
