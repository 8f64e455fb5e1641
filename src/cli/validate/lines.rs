//! What `validate` prints: per check, one JSON object (`--json`) or one
//! PASS/WARN/FAIL line on stdout, the reason of each check that did not
//! pass on stderr, and one summary line per circuit at the end.

use std::io::Write as _;

use serde_json::{Value, json};

use super::super::exit;
use super::causes;
use super::many::{Checked, Circuit, CircuitResult};
use cutover_core::session::event::Verdict;
use cutover_engine::runner::StepReport;
use cutover_journal::Redactor;
use cutover_journal::line::format_ts;

/// A check's verdict as `validate` reports it: a failed advisory check is
/// a warning, neither a pass nor a failure.
pub(super) fn verdict(s: &StepReport) -> &'static str {
    match (s.verdict, s.advisory) {
        (Verdict::Passed, _) => "passed",
        (Verdict::Skipped, _) => "skipped",
        (_, true) => "warning",
        (_, false) => "failed",
    }
}

/// The steps that are checks.
pub(super) fn checks(c: &Checked) -> impl Iterator<Item = &StepReport> {
    c.outcome.steps.iter().filter(|s| s.kind == "check")
}

/// One check as a JSON object (CONTRACT.md), secrets redacted.
pub(super) fn json_line(c: &Circuit, checked: &Checked, s: &StepReport, r: &Redactor) -> Value {
    let ts = checked
        .ended
        .get(&s.step)
        .copied()
        .unwrap_or(checked.finished);
    let mut v = json!({
        "circuit": c.circuit,
        "inventory": c.inventory.display().to_string(),
        "ts": format_ts(ts),
        "step": s.step,
        "title": s.title,
        "verdict": verdict(s),
        "device": s.device,
        "command": s.command,
        "evidence": s.evidence,
        "error": s.error,
        "advisory": s.advisory,
    });
    r.redact_value_except(&mut v, &|_| false, true);
    v
}

/// Why a check did not pass, in one line.
fn why(s: &StepReport) -> String {
    s.error
        .clone()
        .or_else(|| {
            s.evidence
                .iter()
                .find(|c| !c.passed)
                .map(|c| format!("{}: {}", c.clause, c.evidence))
        })
        .unwrap_or_else(|| "failed".into())
}

/// The one writer of stdout and stderr while circuits run: whole lines,
/// one circuit's together, flushed as that circuit finishes.
#[derive(Debug)]
pub(super) struct Printer {
    json: bool,
    /// More than one inventory: text lines and stderr lines name theirs.
    many: bool,
    /// Tests: stdout and stderr kept here instead.
    captured: Option<(Vec<u8>, Vec<u8>)>,
    /// Each circuit's shared causes, redacted, for its summary.
    recap: Vec<(std::path::PathBuf, Vec<String>)>,
}

impl Printer {
    pub(super) fn new(json: bool, many: bool) -> Self {
        Self {
            json,
            many,
            captured: None,
            recap: Vec::new(),
        }
    }

    #[cfg(test)]
    pub(super) fn capturing(json: bool, many: bool) -> Self {
        Self {
            captured: Some((Vec::new(), Vec::new())),
            ..Self::new(json, many)
        }
    }

    #[cfg(test)]
    pub(super) fn captured(&self) -> (String, String) {
        let (o, e) = self.captured.clone().unwrap_or_default();
        (
            String::from_utf8_lossy(&o).into_owned(),
            String::from_utf8_lossy(&e).into_owned(),
        )
    }

    /// `CIRCUIT (INVENTORY): ` when several run, else nothing.
    fn prefix(&self, c: &Circuit) -> String {
        if self.many {
            format!("{} ({}): ", c.circuit, c.inventory.display())
        } else {
            String::new()
        }
    }

    pub(super) fn circuit(&mut self, c: &Circuit, redactor: Option<&Redactor>) {
        let mut out: Vec<u8> = Vec::new();
        let mut err: Vec<u8> = Vec::new();
        self.render(c, redactor, &mut out, &mut err);
        if let CircuitResult::Checked(k) = &c.result {
            let none = Redactor::new();
            let r = redactor.unwrap_or(&none);
            let recap = causes::group(checks(k))
                .iter()
                .map(|cause| {
                    r.redact_str(&format!("{} {}", cause.text, cause.list()))
                        .into_owned()
                })
                .collect();
            self.recap.push((c.inventory.clone(), recap));
        }
        if let Some((o, e)) = &mut self.captured {
            o.extend(out);
            e.extend(err);
            return;
        }
        // Built whole, then written in one call each: lines of circuits
        // finishing together never mix.
        let mut o = std::io::stdout().lock();
        let _ = o.write_all(&out);
        let _ = o.flush();
        drop(o);
        let mut e = std::io::stderr().lock();
        let _ = e.write_all(&err);
        let _ = e.flush();
    }

    pub(super) fn render(
        &self,
        c: &Circuit,
        redactor: Option<&Redactor>,
        out: &mut Vec<u8>,
        err: &mut Vec<u8>,
    ) {
        let checked = match &c.result {
            CircuitResult::Bad(msg) => {
                let path = c.inventory.display().to_string();
                if msg.starts_with(&path) {
                    let _ = writeln!(err, "{msg}");
                } else {
                    let _ = writeln!(err, "{path}: {msg}");
                }
                return;
            }
            CircuitResult::Checked(k) => k,
        };
        let none = Redactor::new();
        let r = redactor.unwrap_or(&none);
        let prefix = self.prefix(c);
        if self.many && !self.json {
            let _ = writeln!(out, "== {} ({})", c.circuit, c.inventory.display());
        }
        let shared = causes::group(checks(checked));
        let mut told: Vec<&str> = Vec::new();
        for s in checks(checked) {
            if self.json {
                let _ = writeln!(out, "{}", json_line(c, checked, s, r));
            } else {
                let mark = match verdict(s) {
                    "passed" => "PASS",
                    "warning" => "WARN",
                    "skipped" => "SKIP",
                    _ => "FAIL",
                };
                let line = format!("{mark}  {}  {}", s.step, s.title);
                let _ = writeln!(out, "{}", r.redact_str(&line));
                for e in s.evidence.iter().filter(|e| !e.passed) {
                    let line = format!("      {}: {}", e.clause, e.evidence);
                    let _ = writeln!(out, "{}", r.redact_str(&line));
                }
            }
            let what = match verdict(s) {
                "warning" => "warning (advisory check)",
                "failed" => "check failed",
                _ => continue,
            };
            // A cause shared by several checks is told once, at its first.
            let line = match causes::of(&shared, s) {
                Some(c) if told.contains(&c.text.as_str()) => continue,
                Some(c) => {
                    told.push(&c.text);
                    format!("{prefix}{}", c.line())
                }
                None => format!("{prefix}{what}: {}: {}", s.step, why(s)),
            };
            let _ = writeln!(err, "{}", r.redact_str(&line));
        }
        let code = checked.outcome.exit_code();
        if code != exit::OK && code != exit::CHECK_FAILED {
            let line = format!("{prefix}{}", checked.outcome.outcome);
            let _ = writeln!(err, "{}", r.redact_str(&line));
        }
    }
}

impl Printer {
    /// [`summary`], then one indented line per cause that stopped several
    /// of the circuit's checks.
    pub(super) fn summary(&self, c: &Circuit) -> String {
        let mut s = summary(c);
        let recap = self
            .recap
            .iter()
            .find(|(p, _)| *p == c.inventory)
            .map(|(_, r)| r.as_slice())
            .unwrap_or_default();
        for line in recap {
            s.push_str("\n  one cause: ");
            s.push_str(line);
        }
        s
    }
}

/// One line per circuit for stderr: what passed, warned and failed, how
/// long it took, and its exit status.
pub(super) fn summary(c: &Circuit) -> String {
    let head = format!("{} ({})", c.circuit, c.inventory.display());
    match &c.result {
        CircuitResult::Bad(_) => {
            format!("{head}: not checked (bad input): exit {}", exit::BAD_INPUT)
        }
        CircuitResult::Checked(k) => {
            let count = |v: &str| checks(k).filter(|s| verdict(s) == v).count();
            let skipped = count("skipped");
            let skipped = if skipped > 0 {
                format!(", {skipped} skipped")
            } else {
                String::new()
            };
            format!(
                "{head}: {} passed, {} warning(s), {} failed{skipped} in {:.1} s: exit {}",
                count("passed"),
                count("warning"),
                count("failed"),
                k.elapsed.as_secs_f64(),
                k.outcome.exit_code()
            )
        }
    }
}
