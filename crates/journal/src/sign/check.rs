//! Checking a journal's signatures: every `chain_signed` record and
//! `JOURNAL.sig`, each against the bytes it covers, and (given an allowed
//! signers file) who the key belongs to.
//!
//! The hash chain alone proves no edit went unnoticed *unless the whole
//! chain was recomputed*; a signature is what a forger cannot recompute.
//! So a journal whose `session_start` names a signing key and that carries
//! no signature, or a closed one without `JOURNAL.sig`, is a problem too:
//! stripping the signatures is the obvious forgery.
//!
//! Who signed is bound to who the journal says ran the session, as
//! `ssh-keygen -Y verify -I OPERATOR` binds it: the allowed signers line
//! of the key must list a principal pattern matching `session_start`'s
//! `operator`. The operator and the announced key are read from the
//! first record (seq 0) only: a `session_start` appended later is the
//! forger's word, not the session's. A sidecar (`JOURNAL.guard.jsonl`,
//! `JOURNAL.console.jsonl`) belongs to its journal's session, so its
//! journal's first record names them.

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use russh::keys::ssh_key::{HashAlg, PublicKey, SshSig};
use serde_json::Value;

use super::allowed::{Refusal, utc};
use super::{AllowedSigners, NAMESPACE, signature_path};
use crate::line;

/// One signature and its verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// `JOURNAL.sig (the whole journal)` or `chain_signed at seq N (seq 0..K)`.
    pub what: String,
    /// The signing key's fingerprint, when the signature reads.
    pub fingerprint: Option<String>,
    /// Who signed: the operator, whom an allowed signers line lists for
    /// the key (`None` without an allowed signers file).
    pub signer: Option<String>,
    /// The validity window of that line, when it has one, and that it
    /// was judged at the time of verification.
    pub validity: Option<String>,
    /// Why it does not count; `None`: good.
    pub problem: Option<String>,
}

/// The verdict on all of a journal's signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureState {
    /// No signature and none announced: the hash chain is all there is.
    Unsigned,
    /// Every signature is good (and, with an allowed signers file, from a
    /// key it lists). `whole`: `JOURNAL.sig` covers the whole file;
    /// otherwise the chain signatures cover up to `through_seq`.
    Good {
        whole: bool,
        through_seq: Option<u64>,
    },
    /// At least one signature is bad, missing, or from a key not allowed.
    Bad,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureReport {
    /// The key `session_start` (seq 0) announced.
    pub announced: Option<String>,
    /// The operator `session_start` (seq 0) names: whom the signer must be.
    pub operator: Option<String>,
    pub checked: Vec<Checked>,
    /// Problems not tied to one signature (a missing `JOURNAL.sig`).
    pub problems: Vec<String>,
    pub state: SignatureState,
    pub sig_path: PathBuf,
}

impl SignatureReport {
    /// One sentence for a report or a replay, which have no trust anchor:
    /// whether the signatures hold against the key inside them.
    pub fn describe(&self) -> String {
        let key = self
            .announced
            .clone()
            .or_else(|| self.checked.iter().find_map(|c| c.fingerprint.clone()))
            .unwrap_or_else(|| "?".into());
        match &self.state {
            SignatureState::Unsigned => "unsigned: integrity only (the hash chain)".into(),
            SignatureState::Good { whole, through_seq } => {
                let what = match (whole, through_seq) {
                    (true, _) => "the whole journal (JOURNAL.sig)".to_string(),
                    (false, Some(s)) => format!("the journal up to seq {s} (no JOURNAL.sig)"),
                    (false, None) => "?".to_string(),
                };
                format!(
                    "signed with {key}: good signatures over {what}; who holds the key: see cutover verify --allowed-signers"
                )
            }
            SignatureState::Bad => {
                let first = self
                    .checked
                    .iter()
                    .find_map(|c| c.problem.as_ref().map(|p| format!("{}: {p}", c.what)))
                    .or_else(|| self.problems.first().cloned())
                    .unwrap_or_default();
                format!("SIGNATURE BAD (key {key}): {first}")
            }
        }
    }

    /// The distinct signers, `principals (fingerprint)`, of good signatures.
    pub fn signers(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in self.checked.iter().filter(|c| c.problem.is_none()) {
            let fp = c.fingerprint.as_deref().unwrap_or("?");
            let who = match (&c.signer, &c.validity) {
                (Some(p), Some(v)) => format!("{p} ({fp}; {v})"),
                (Some(p), None) => format!("{p} ({fp})"),
                (None, _) => fp.to_string(),
            };
            if !out.contains(&who) {
                out.push(who);
            }
        }
        out
    }
}

/// Checks the signatures of the journal at `path`. With `allowed`, a key
/// must be listed there for the operator, valid now (for `cutover
/// verify`); without, each signature is only checked against the key
/// inside it (what a report or a replay can say without a trust anchor).
pub fn check(path: &Path, allowed: Option<&AllowedSigners>) -> std::io::Result<SignatureReport> {
    check_at(path, allowed, Timestamp::now())
}

/// [`check`], judging `valid-after`/`valid-before` at `now`.
pub fn check_at(
    path: &Path,
    allowed: Option<&AllowedSigners>,
    now: Timestamp,
) -> std::io::Result<SignatureReport> {
    let bytes = std::fs::read(path)?;
    let (announced, operator) = session_of(path, &bytes);
    let trust = allowed.map(|a| Trust {
        allowed: a,
        operator: operator.as_deref(),
        now,
    });
    let trust = trust.as_ref();
    let mut report = SignatureReport {
        announced,
        operator: operator.clone(),
        checked: Vec::new(),
        problems: Vec::new(),
        state: SignatureState::Unsigned,
        sig_path: signature_path(path),
    };
    let mut through = None;
    let mut closed = false;
    // Disruptive moments not (yet) followed by their chain signature:
    // (seq, kind, whether another record came after it).
    let mut unsigned: Vec<(u64, String, bool)> = Vec::new();
    let mut offset = 0usize;
    for raw in bytes.split_inclusive(|b| *b == b'\n') {
        let start = offset;
        offset += raw.len();
        let Some(body) = raw.strip_suffix(b"\n") else {
            break;
        };
        let Ok(d) = line::decode(body, false) else {
            continue;
        };
        for u in &mut unsigned {
            u.2 = true;
        }
        match d.kind.as_str() {
            "action_started" | "rollback_done" => unsigned.push((d.seq, d.kind.clone(), false)),
            "session_end" => closed = true,
            "chain_signed" => {
                let c = chain_signature(&bytes[..start], &d.body, d.seq, trust);
                let covers = d.body.get("covers_seq").and_then(Value::as_u64);
                unsigned.retain(|u| Some(u.0) != covers);
                if c.problem.is_none() {
                    through = covers;
                }
                report.checked.push(c);
            }
            _ => {}
        }
    }

    match std::fs::read_to_string(&report.sig_path) {
        Ok(armored) => {
            let mut c = verify_one(&bytes, &armored, trust);
            c.what = format!("{} (the whole journal)", report.sig_path.display());
            report.checked.push(c);
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if closed && (report.announced.is_some() || !report.checked.is_empty()) {
                report.problems.push(format!(
                    "{}: missing: the session was signed and closed, so the whole journal should be signed too",
                    report.sig_path.display()
                ));
            }
        }
        Err(e) => report
            .problems
            .push(format!("{}: cannot read: {e}", report.sig_path.display())),
    }
    if let Some(fp) = &report.announced {
        // The last record may be a disruptive moment whose signature a
        // crash cut off; any earlier one without its signature lost it.
        for (seq, kind, followed) in &unsigned {
            if *followed {
                report.problems.push(format!(
                    "seq {seq} ({kind}) has no chain_signed after it, though session_start names the signing key {fp}: a signature was removed, or the key could not sign"
                ));
            }
        }
        for c in &mut report.checked {
            if c.problem.is_none() && c.fingerprint.as_deref() != Some(fp.as_str()) {
                c.problem = Some(format!(
                    "made with another key than the one session_start names ({fp})"
                ));
            }
        }
    }
    let whole = report
        .checked
        .iter()
        .any(|c| c.problem.is_none() && c.what.ends_with("(the whole journal)"));
    report.state =
        if report.checked.iter().any(|c| c.problem.is_some()) || !report.problems.is_empty() {
            SignatureState::Bad
        } else if report.checked.is_empty() {
            SignatureState::Unsigned
        } else {
            SignatureState::Good {
                whole,
                through_seq: through,
            }
        };
    Ok(report)
}

/// The key `session_start` announces and the operator it names, from the
/// first record of the session's journal: for a sidecar, its journal's.
fn session_of(path: &Path, bytes: &[u8]) -> (Option<String>, Option<String>) {
    // Only the first line: a journal with large raw outputs is not read
    // whole for it.
    let journal = journal_of_sidecar(path).and_then(|j| {
        let mut line = Vec::new();
        let mut r = std::io::BufReader::new(std::fs::File::open(j).ok()?);
        std::io::BufRead::read_until(&mut r, b'\n', &mut line).ok()?;
        Some(line)
    });
    let first = |b: &[u8]| -> Option<serde_json::Map<String, Value>> {
        let body = b.split(|c| *c == b'\n').next()?;
        let d = line::decode(body, false).ok()?;
        (d.seq == 0 && d.kind == "session_start").then_some(d.body)
    };
    let Some(start) = journal.as_deref().and_then(first).or_else(|| first(bytes)) else {
        return (None, None);
    };
    let field = |name: &str| start.get(name).and_then(Value::as_str).map(str::to_string);
    (field("key_fingerprint"), field("operator"))
}

/// The journal whose sidecar `path` is, if it is one.
fn journal_of_sidecar(path: &Path) -> Option<PathBuf> {
    if !crate::is_sidecar(path) {
        return None;
    }
    let name = path.to_str()?;
    [".guard.jsonl", ".console.jsonl"]
        .iter()
        .find_map(|suffix| {
            let journal = PathBuf::from(name.strip_suffix(suffix)?);
            let same = crate::sidecar_path(&journal) == path
                || crate::console_sidecar_path(&journal) == path;
            same.then_some(journal)
        })
}

/// What a key is checked against when there is a trust anchor.
struct Trust<'a> {
    allowed: &'a AllowedSigners,
    operator: Option<&'a str>,
    now: Timestamp,
}

fn chain_signature(
    before: &[u8],
    body: &serde_json::Map<String, Value>,
    seq: u64,
    trust: Option<&Trust<'_>>,
) -> Checked {
    let covers = body.get("covers_seq").and_then(Value::as_u64);
    let what = match covers {
        Some(c) => format!("chain_signed at seq {seq} (seq 0..{c})"),
        None => format!("chain_signed at seq {seq}"),
    };
    let fail = |problem: String| Checked {
        what: what.clone(),
        fingerprint: None,
        signer: None,
        validity: None,
        problem: Some(problem),
    };
    let (Some(covers), Some(len), Some(head), Some(sig)) = (
        covers,
        body.get("bytes").and_then(Value::as_u64),
        body.get("head").and_then(Value::as_str),
        body.get("signature").and_then(Value::as_str),
    ) else {
        return fail("not a chain signature: a field is missing".into());
    };
    let Some(prefix) = usize::try_from(len).ok().and_then(|l| before.get(..l)) else {
        return fail(format!(
            "covers {len} bytes, more than the journal holds before it"
        ));
    };
    // The covered bytes must end with the record it names, whole.
    let last = prefix
        .strip_suffix(b"\n")
        .and_then(|p| p.rsplit(|b| *b == b'\n').next())
        .and_then(|l| line::decode(l, false).ok());
    match last {
        Some(d) if d.seq == covers && d.hash == head => {}
        _ => {
            return fail(format!(
                "does not end at seq {covers} with hash {head}: the records it covers were changed"
            ));
        }
    }
    let mut c = verify_one(prefix, sig, trust);
    c.what = what;
    c
}

fn verify_one(msg: &[u8], armored: &str, trust: Option<&Trust<'_>>) -> Checked {
    let mut c = Checked {
        what: String::new(),
        fingerprint: None,
        signer: None,
        validity: None,
        problem: None,
    };
    let sig = match SshSig::from_pem(armored.trim()) {
        Ok(s) => s,
        Err(e) => {
            c.problem = Some(format!("not an SSH signature: {e}"));
            return c;
        }
    };
    let key = PublicKey::new(sig.public_key().clone(), "");
    c.fingerprint = Some(key.fingerprint(HashAlg::Sha256).to_string());
    if sig.namespace() != NAMESPACE {
        c.problem = Some(format!(
            "made for namespace `{}`, not `{NAMESPACE}`",
            sig.namespace()
        ));
        return c;
    }
    if key.verify(NAMESPACE, msg, &sig).is_err() {
        c.problem =
            Some("BAD signature: the bytes it covers are not the ones that were signed".into());
        return c;
    }
    if let Some(t) = trust {
        match admit(t, &key) {
            Ok((who, validity)) => {
                c.signer = Some(who);
                c.validity = validity;
            }
            Err(problem) => c.problem = Some(problem),
        }
    }
    c
}

/// Who signed with `key`, as `ssh-keygen -Y verify -I OPERATOR` admits
/// it, and the validity window it was judged by; `Err`: why not.
fn admit(t: &Trust<'_>, key: &PublicKey) -> Result<(String, Option<String>), String> {
    let file = t.allowed.path.display();
    let Some(operator) = t.operator else {
        return Err(format!(
            "good signature, but session_start (seq 0) names no operator to check the signer against {file}"
        ));
    };
    match t.allowed.admit(key, operator, t.now) {
        Ok(line) => {
            let validity = line.window().map(|w| {
                format!(
                    "key valid {w} per {file}:{}, judged at the time of verification ({}), as ssh-keygen -Y verify judges it: a signature carries no signing time",
                    line.line,
                    utc(t.now)
                )
            });
            Ok((operator.to_string(), validity))
        }
        Err(Refusal::Unlisted) => Err(format!(
            "good signature, but by a key {file} does not list for namespace {NAMESPACE}"
        )),
        Err(Refusal::Principal { listed }) => Err(format!(
            "good signature, but {file} lists this key for {} only, not for the operator `{operator}` that session_start names: signed by someone else than who the journal says ran it",
            listed
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Err(Refusal::Time { reasons }) => Err(format!(
            "good signature by a key {file} lists for `{operator}`, but not at the time of verification (as ssh-keygen -Y verify judges it): {}",
            reasons.join("; ")
        )),
    }
}
