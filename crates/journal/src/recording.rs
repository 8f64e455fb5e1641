//! Opening a recorded session: the hash chain checked first, then every
//! record read, then the path rules that tell ExpressRoute from VPN.
//!
//! The journal does not record the runbook's `[paths]`, only the runbook's
//! id and SHA-256. Without those rules a route or a trace cannot be called
//! ExpressRoute or VPN, so they are found, in this order:
//! 1. the runbook the operator names (`--runbook`);
//! 2. a bundled runbook whose SHA-256 is the recorded one (exact);
//! 3. a bundled runbook with the recorded id (said so in a warning: the
//!    file that ran may have differed);
//! 4. none: every path is `unknown`, with a warning.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::{JournalError, JournalReader, Record, Status, VerifyReport};
use cutover_core::model::path::PathClassifier;
use cutover_core::runbook::{Diagnostics, Runbook};
use cutover_core::session::Event;

/// The runbooks shipped with cutover, by the name a drill records.
const BUNDLED: [(&str, &str); 2] = [
    (
        "runbooks/er-vpn-failover.toml",
        include_str!("../../../runbooks/er-vpn-failover.toml"),
    ),
    (
        "runbooks/er-vpn-validate.toml",
        include_str!("../../../runbooks/er-vpn-validate.toml"),
    ),
];

/// Why a recording cannot be opened. Every variant is bad input (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Unreadable, not a journal, or a line that is not a record; the
    /// message names `path:line:col` where there is one.
    #[error("{0}")]
    Journal(#[from] JournalError),
    /// The runbook named with `--runbook` is invalid (`file:line:col`).
    #[error("{0}")]
    Runbook(Diagnostics),
}

/// Where the path rules came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathsSource {
    /// `--runbook PATH`.
    Given { path: PathBuf, sha256: String },
    /// A bundled runbook; `exact` when its SHA-256 is the recorded one.
    Bundled { name: &'static str, exact: bool },
    /// No runbook matched: every path is `unknown`.
    Unknown,
}

impl PathsSource {
    /// One line for the report and the replay.
    pub fn describe(&self) -> String {
        match self {
            PathsSource::Given { path, .. } => format!("runbook {}", path.display()),
            PathsSource::Bundled { name, exact: true } => {
                format!("bundled {name} (SHA-256 matches the journal)")
            }
            PathsSource::Bundled { name, exact: false } => {
                format!("bundled {name} (same id, different SHA-256)")
            }
            PathsSource::Unknown => "none: no runbook matched the journal".into(),
        }
    }
}

/// A journal read back, ready to fold, replay or report.
#[derive(Debug, Clone)]
pub struct Recording {
    pub path: PathBuf,
    /// Every record, in file order (a torn final line is left out).
    pub records: Vec<Record>,
    /// What `cutover verify` says about the file.
    pub integrity: VerifyReport,
    pub classifier: Arc<PathClassifier>,
    pub paths: PathsSource,
    /// The runbook's why-text per step id, when a runbook was found.
    pub why: HashMap<String, String>,
    /// The runbook's `monitor_every`, when a runbook was found: the period
    /// a replay reads the panes' ages against.
    pub monitor_every: Option<std::time::Duration>,
    /// The signatures, checked against the keys inside them (no trust
    /// anchor here: that is `cutover verify --allowed-signers`); `None`
    /// when the file could not be read again.
    pub signatures: Option<crate::sign::SignatureReport>,
    /// Things the reader of a replay or a report must know (integrity,
    /// guessed path rules), loudest first.
    pub warnings: Vec<String>,
    /// The sidecar whose `session_end` closes a journal that has none.
    closed_in: Option<PathBuf>,
    /// The sidecars merged into `records` (the detached guard's, the
    /// console's after a failed write), each with its own chain's verdict.
    pub sidecars: Vec<crate::reader::Sidecar>,
}

impl Recording {
    /// Opens `path`; `runbook` overrides where the path rules come from.
    pub fn open(path: &Path, runbook: Option<&Path>) -> Result<Self, LoadError> {
        // Verify first: it alone tells a file that is no journal at all
        // (exit 2) from a journal that was edited (reported, loudly).
        let integrity = crate::verify(path)?;
        let mut records = Vec::new();
        let reader = JournalReader::open(path)?;
        let sidecars = reader.sidecars().to_vec();
        for r in reader {
            match r {
                Ok(rec) => records.push(rec),
                // A crash cut the last write; verify reports it and every
                // record before it stands.
                Err(JournalError::Torn { .. }) => break,
                Err(e) => return Err(e.into()),
            }
        }
        let session = records.iter().find_map(|r| match r.event() {
            Some(Event::SessionStart {
                runbook_id,
                runbook_sha256,
                ..
            }) => Some((runbook_id.clone(), runbook_sha256.clone())),
            _ => None,
        });
        let (id, sha) = session.unwrap_or_default();
        let (runbook, paths) = find_runbook(runbook, &id, &sha)?;
        // A journal that stopped where its sidecar took over is not a
        // console that vanished: say where the session went on instead.
        let closed_beside = records
            .iter()
            .rev()
            .find(|r| r.kind() == "session_end")
            .filter(|r| r.source != crate::RecordSource::Journal)
            .and_then(|end| sidecars.iter().find(|s| s.source == end.source));
        let closed_in = closed_beside.map(|s| s.path.clone());
        let mut warnings = match (&integrity.status, closed_beside) {
            (Status::NotClosed { last_seq }, Some(s)) => vec![format!(
                "the journal stops after seq {last_seq}; the session continues in {} ({} records merged), which closes it",
                s.path.display(),
                s.merged
            )],
            _ => integrity_warning(&integrity).into_iter().collect(),
        };
        warnings.extend(sidecars.iter().filter_map(sidecar_warning));
        let signatures = crate::sign::check(path, None).ok();
        if let Some(s) = signatures
            .as_ref()
            .filter(|s| s.state == crate::sign::SignatureState::Bad)
        {
            warnings.push(s.describe());
        }
        match &paths {
            PathsSource::Given { sha256, .. } if !sha.is_empty() && *sha256 != sha => {
                warnings.push(format!(
                    "the runbook given has SHA-256 {sha256}, the session ran {sha}: ExpressRoute/VPN path rules may differ from what the session used"
                ));
            }
            PathsSource::Bundled { name, exact: false } => warnings.push(format!(
                "the session ran runbook `{id}` with SHA-256 {sha}, not the bundled {name}; path rules are taken from the bundled one (pass --runbook with the file that ran)"
            )),
            PathsSource::Unknown => warnings.push(format!(
                "no runbook matches `{id}` (SHA-256 {sha}): routes and traces cannot be told ExpressRoute or VPN (pass --runbook with the file that ran)"
            )),
            _ => {}
        }
        let monitor_every = runbook
            .as_ref()
            .and_then(|rb| rb.meta.monitor_every.map(|d| d.as_std()));
        let (classifier, why) = match runbook {
            Some(rb) => (
                rb.paths.rules().classifier,
                rb.steps
                    .iter()
                    .map(|s| (s.id.clone(), s.why.clone()))
                    .collect(),
            ),
            None => (PathClassifier::default(), HashMap::new()),
        };
        Ok(Recording {
            path: path.to_path_buf(),
            records,
            integrity,
            classifier: Arc::new(classifier),
            paths,
            why,
            monitor_every,
            signatures,
            warnings,
            sidecars,
            closed_in,
        })
    }

    /// One line on the chain (see [`integrity_summary`]), saying also what
    /// each sidecar merged and which one closes the session.
    pub fn integrity_line(&self) -> String {
        let mut line = match (&self.integrity.status, &self.closed_in) {
            (Status::NotClosed { last_seq }, Some(p)) => format!(
                "chain intact over {} records (head {}), continued after seq {last_seq} in {}, which closes the session",
                self.integrity.records,
                self.integrity.head_hash.as_deref().unwrap_or("-"),
                p.display()
            ),
            _ => integrity_summary(&self.integrity),
        };
        for s in &self.sidecars {
            let state = match &s.integrity {
                Ok(v) if v.first_bad_seq().is_none() => "intact".to_string(),
                Ok(v) => format!("broken at seq {}", v.first_bad_seq().unwrap_or_default()),
                Err(_) => "not a journal".into(),
            };
            let _ = write!(
                line,
                "; sidecar {}: {state}, {} records merged",
                s.path.display(),
                s.merged
            );
        }
        line
    }

    /// The chain was broken: edited, reordered, truncated and re-closed.
    pub fn is_tampered(&self) -> bool {
        matches!(self.integrity.status, Status::Broken(_))
    }

    /// One sentence on the signatures (see [`crate::sign::SignatureReport::describe`]).
    pub fn signature_summary(&self) -> String {
        self.signatures.as_ref().map_or_else(
            || "signatures not checked: the journal could not be read again".into(),
            crate::sign::SignatureReport::describe,
        )
    }

    /// The events, in order; records of kinds this version does not know
    /// are left out.
    pub fn events(&self) -> impl Iterator<Item = &Event> {
        self.records.iter().filter_map(Record::event)
    }
}

fn sha256_hex(text: &str) -> String {
    let mut s = String::with_capacity(64);
    for b in Sha256::digest(text.as_bytes()) {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn find_runbook(
    given: Option<&Path>,
    id: &str,
    sha: &str,
) -> Result<(Option<Runbook>, PathsSource), LoadError> {
    if let Some(path) = given {
        let rb = Runbook::load(path).map_err(LoadError::Runbook)?;
        let text = std::fs::read_to_string(path).unwrap_or_default();
        return Ok((
            Some(rb),
            PathsSource::Given {
                path: path.to_path_buf(),
                sha256: sha256_hex(&text),
            },
        ));
    }
    let parsed = |name: &str, text: &str| Runbook::from_str(text, name).ok();
    if let Some((name, text)) = BUNDLED.iter().find(|(_, t)| sha256_hex(t) == sha)
        && let Some(rb) = parsed(name, text)
    {
        return Ok((Some(rb), PathsSource::Bundled { name, exact: true }));
    }
    for (name, text) in BUNDLED {
        if let Some(rb) = parsed(name, text).filter(|rb| rb.meta.id == id) {
            return Ok((Some(rb), PathsSource::Bundled { name, exact: false }));
        }
    }
    Ok((None, PathsSource::Unknown))
}

/// The warning a reader must see first, if the journal is not whole.
pub fn integrity_warning(v: &VerifyReport) -> Option<String> {
    match &v.status {
        Status::Intact => None,
        Status::Broken(b) => Some(format!(
            "JOURNAL INTEGRITY CHECK FAILED: line {}: {}. The {} records before seq {} check out; nothing from seq {} on can be trusted, and what follows is shown only as evidence of what the file now says.",
            b.line,
            b.describe(),
            v.records,
            b.seq,
            b.seq
        )),
        Status::NotClosed { last_seq } => Some(format!(
            "the session was not closed: no session_end after seq {last_seq} (the console stopped: crash, kill or power loss); the records there are intact"
        )),
        Status::IncompleteFinalRecord { seq, line } => Some(format!(
            "line {line}: incomplete final record (seq {seq}): a crash cut the last write; the {seq} records before it are intact"
        )),
    }
}

/// The warning about a sidecar whose chain is not whole (its records from
/// the first bad one on were not merged).
pub fn sidecar_warning(s: &crate::reader::Sidecar) -> Option<String> {
    let name = s.path.display();
    match &s.integrity {
        Err(e) => Some(format!(
            "the sidecar {name} is not a journal ({e}): nothing from it was merged"
        )),
        Ok(v) => match &v.status {
            Status::Intact | Status::NotClosed { .. } => None,
            Status::Broken(b) => Some(format!(
                "SIDECAR INTEGRITY CHECK FAILED: {name}: line {}: {}; its {} records before seq {} were merged, nothing from there on",
                b.line,
                b.describe(),
                s.merged,
                b.seq
            )),
            Status::IncompleteFinalRecord { seq, line } => Some(format!(
                "{name}: line {line}: incomplete final record (seq {seq}): a crash cut the sidecar's last write; the records before it were merged"
            )),
        },
    }
}

/// One line on the chain, for reports and the replay's status line.
pub fn integrity_summary(v: &VerifyReport) -> String {
    let head = v.head_hash.as_deref().unwrap_or("-");
    match &v.status {
        Status::Intact => format!(
            "intact: {} records, hash chain verified, head {head}",
            v.records
        ),
        Status::Broken(b) => format!(
            "BROKEN at seq {} (line {}): {}",
            b.seq,
            b.line,
            b.describe()
        ),
        Status::NotClosed { last_seq } => format!(
            "chain intact over {} records (head {head}), but the session was not closed after seq {last_seq}",
            v.records
        ),
        Status::IncompleteFinalRecord { seq, line } => format!(
            "chain intact over {} records (head {head}); line {line} (seq {seq}) is an incomplete final record",
            v.records
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_runbooks_parse_and_declare_paths() {
        for (name, text) in BUNDLED {
            let rb = Runbook::from_str(text, name).expect("bundled runbook is valid");
            let c = rb.paths.rules().classifier;
            assert!(!c.er_trace_hops.is_empty(), "{name} declares ER trace hops");
        }
    }

    #[test]
    fn exact_sha_wins_then_id_then_nothing() {
        let (_, text) = BUNDLED[0];
        let sha = sha256_hex(text);
        let (rb, src) = find_runbook(None, "whatever", &sha).expect("finds");
        assert!(rb.is_some());
        assert_eq!(
            src,
            PathsSource::Bundled {
                name: BUNDLED[0].0,
                exact: true
            }
        );
        let id = Runbook::from_str(text, "x").expect("valid").meta.id;
        let (_, src) = find_runbook(None, &id, "00").expect("finds");
        assert_eq!(
            src,
            PathsSource::Bundled {
                name: BUNDLED[0].0,
                exact: false
            }
        );
        let (rb, src) = find_runbook(None, "no-such-runbook", "00").expect("finds");
        assert!(rb.is_none());
        assert_eq!(src, PathsSource::Unknown);
    }
}
