//! `cutover verify JOURNAL [--allowed-signers FILE] [--require-signature]`:
//! check a journal's hash chain and its signatures.
//!
//! Signatures (`chain_signed` records and `JOURNAL.sig`, see
//! `cutover_journal::sign`) are each checked against the bytes they cover;
//! with `--allowed-signers` (OpenSSH's format) the key must be listed
//! there, and the output names who signed. A bad, missing or unlisted
//! signature is exit 1; an unsigned journal is "intact, unsigned:
//! integrity only", exit 0, unless `--require-signature` (then 1).
//!
//! Exit 0 when intact (summary on stdout). Exit 1 when it is not, with one
//! message on stderr that names the first bad `seq` and its line; a crash
//! (a torn last line, a session that never wrote `session_end`) is also 1,
//! since the journal is not whole, but its wording says it is not
//! tampering. Exit 2 when the file cannot be read or is not a journal
//! (`path:line:col`).
//!
//! The sidecars the reader merges into the journal (the detached guard's
//! `JOURNAL.guard.jsonl`, the console's `JOURNAL.console.jsonl` after a
//! failed write) are checked too, each on its own line with its chain's
//! verdict and what was merged, and their signatures like the journal's:
//! a broken or torn sidecar is exit 1. A journal that stops without
//! `session_end` where an intact sidecar closes the session is exit 0.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::exit;
use cutover_journal::sign::{self, AllowedSigners, SignatureState};
use cutover_journal::{self as journal, Status, VerifyReport};

/// The signature side of `cutover verify`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SignatureArgs {
    /// OpenSSH allowed_signers file: who may sign journals (principals and
    /// keys). Without it, signatures are only checked against the key
    /// inside them, which proves nothing about who signed.
    #[arg(long, value_name = "FILE")]
    pub allowed_signers: Option<PathBuf>,
    /// An unsigned journal fails (exit 1) instead of passing on its hash
    /// chain alone.
    #[arg(long, requires = "allowed_signers")]
    pub require_signature: bool,
}

/// What `cutover verify` prints and exits with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub code: u8,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(path: &Path, sig: &SignatureArgs) -> ExitCode {
    let o = evaluate_with(path, sig);
    out!("{}", o.stdout);
    err!("{}", o.stderr);
    ExitCode::from(o.code)
}

/// The chain check alone, without printing.
pub fn evaluate(path: &Path) -> Outcome {
    evaluate_with(path, &SignatureArgs::default())
}

/// The check, without printing (what `run` prints).
pub fn evaluate_with(path: &Path, sig: &SignatureArgs) -> Outcome {
    let allowed = match sig.allowed_signers.as_deref().map(AllowedSigners::load) {
        None => None,
        Some(Ok(a)) => Some(a),
        Some(Err(e)) => {
            return Outcome {
                code: exit::BAD_INPUT,
                stdout: String::new(),
                stderr: format!("{e}\n"),
            };
        }
    };
    let sidecars = journal::JournalReader::open(path)
        .map(|r| r.sidecars().to_vec())
        .unwrap_or_default();
    let mut o = evaluate_chain(path, &sidecars);
    if o.code == exit::BAD_INPUT {
        return o;
    }
    if !signatures(path, "", allowed.as_ref(), sig.require_signature, &mut o) {
        return o;
    }
    for s in &sidecars {
        sidecar(s, &mut o);
        // Signed by whoever wrote it (the console's or the guard's key);
        // checked like the journal.
        if s.integrity.is_ok() {
            let label = format!("(sidecar {}) ", file_name(&s.path));
            signatures(
                &s.path,
                &label,
                allowed.as_ref(),
                sig.require_signature,
                &mut o,
            );
        }
    }
    o
}

fn file_name(p: &Path) -> String {
    p.file_name().map_or_else(
        || p.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// One sidecar's chain: a line on stdout; a break or a torn last record is
/// exit 1 (what the reader merged stops there).
fn sidecar(s: &journal::reader::Sidecar, o: &mut Outcome) {
    let name = s.path.display();
    let whose = match s.source {
        journal::RecordSource::ConsoleSidecar => {
            "the console's, after a failed write to the journal"
        }
        _ => "the detached guard's",
    };
    let v = match &s.integrity {
        Ok(v) => v,
        Err(e) => {
            let _ = writeln!(o.stdout, "  sidecar  {name}: not a journal, nothing merged");
            let _ = writeln!(o.stderr, "{name}: {e}");
            o.code = o.code.max(exit::CHECK_FAILED);
            return;
        }
    };
    let state = match &v.status {
        Status::Intact => format!("intact, {} records", v.records),
        Status::NotClosed { .. } => format!("chain intact, {} records, not closed", v.records),
        Status::IncompleteFinalRecord { seq, line } => {
            let _ = writeln!(
                o.stderr,
                "{name}:{line}: incomplete final record (seq {seq}): the sidecar's last write was cut short; the records before it are intact and merged"
            );
            o.code = o.code.max(exit::CHECK_FAILED);
            format!("chain intact up to an incomplete final record at seq {seq}")
        }
        Status::Broken(b) => {
            let _ = writeln!(
                o.stderr,
                "{name}:{}: {}\n{name}: the {} records before seq {} check out and are merged; nothing from seq {} on is",
                b.line,
                b.describe(),
                v.records,
                b.seq,
                b.seq
            );
            o.code = o.code.max(exit::CHECK_FAILED);
            format!("chain BROKEN at seq {} (line {})", b.seq, b.line)
        }
    };
    let _ = writeln!(
        o.stdout,
        "  sidecar  {name}: {state} ({whose}; {} merged into the journal)",
        s.merged
    );
}

/// The signatures of `path`, printed into `o` (each line after `label`);
/// `false` when the file could not be read (exit 2).
fn signatures(
    path: &Path,
    label: &str,
    allowed: Option<&AllowedSigners>,
    require: bool,
    o: &mut Outcome,
) -> bool {
    let report = match sign::check(path, allowed) {
        Ok(r) => r,
        Err(e) => {
            o.code = exit::BAD_INPUT;
            let _ = writeln!(o.stderr, "{}: cannot read: {e}", path.display());
            return false;
        }
    };
    for c in &report.checked {
        let verdict = match (&c.problem, &c.signer) {
            (Some(p), _) => p.clone(),
            (None, Some(who)) => format!(
                "good, signed by {who} ({})",
                c.fingerprint.as_deref().unwrap_or("?")
            ),
            (None, None) => format!(
                "good, by key {} (not checked against --allowed-signers: who holds it is unknown)",
                c.fingerprint.as_deref().unwrap_or("?")
            ),
        };
        let _ = writeln!(o.stdout, "  signed   {label}{}: {verdict}", c.what);
    }
    for p in &report.problems {
        let _ = writeln!(o.stdout, "  signed   {label}{p}");
    }
    let name = path.display();
    match &report.state {
        SignatureState::Unsigned => {
            let _ = writeln!(
                o.stdout,
                "  signed   {label}no: intact, unsigned: integrity only (a hash chain anyone can recompute)"
            );
            if require {
                let _ = writeln!(
                    o.stderr,
                    "{name}: unsigned, and --require-signature was given"
                );
                o.code = o.code.max(exit::CHECK_FAILED);
            }
        }
        SignatureState::Good { .. } => {
            let who = report.signers();
            if !who.is_empty() {
                let _ = writeln!(o.stdout, "  signer   {label}{}", who.join("; "));
            }
        }
        SignatureState::Bad => {
            let first = report
                .checked
                .iter()
                .find_map(|c| c.problem.as_ref().map(|p| format!("{}: {p}", c.what)))
                .or_else(|| report.problems.first().cloned())
                .unwrap_or_default();
            let _ = writeln!(
                o.stderr,
                "{name}: signature check FAILED: {first}; the journal is not the one that was signed"
            );
            o.code = o.code.max(exit::CHECK_FAILED);
        }
    }
    true
}

/// Whether a sidecar closes the session the journal did not: its own
/// chain intact and ended by `session_end`.
fn closes(s: &journal::reader::Sidecar) -> bool {
    s.integrity
        .as_ref()
        .is_ok_and(|v| v.status == Status::Intact && s.merged > 0)
}

fn evaluate_chain(path: &Path, sidecars: &[journal::reader::Sidecar]) -> Outcome {
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
    let closed_by = sidecars.iter().find(|s| closes(s));
    let (code, stderr) = match &report.status {
        Status::Intact => (exit::OK, String::new()),
        Status::NotClosed { .. } if closed_by.is_some() => (exit::OK, String::new()),
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
        stdout: summary(&report, closed_by.map(|s| s.path.as_path())),
        stderr,
    }
}

/// `closed_by`: the sidecar whose `session_end` closes a journal that has
/// none.
fn summary(r: &VerifyReport, closed_by: Option<&Path>) -> String {
    let mut s = String::new();
    let closed_beside = closed_by.map(|p| {
        format!(
            "chain intact; the session continues in {}, which closes it",
            file_name(p)
        )
    });
    let state = match r.status {
        Status::Intact => "intact",
        Status::NotClosed { .. } if closed_beside.is_some() => {
            closed_beside.as_deref().unwrap_or_default()
        }
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
