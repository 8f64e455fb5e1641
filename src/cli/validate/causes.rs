//! One error per cause: checks that got no answer for the same reason (a
//! device unreachable, its host key changed, its login refused, ARM
//! answering 401) are one line naming the checks, not one line per check.
//! A check that got an answer and found it wrong is its own line: there,
//! the evidence is the news.

use cutover_engine::runner::StepReport;

use super::lines::verdict;

/// One reason shared by the checks it stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Cause {
    /// The reason as the operator reads it: the device, then the error
    /// of its first check, without the ids that differ per call.
    pub text: String,
    /// Failed checks, in runbook order.
    pub failed: Vec<String>,
    /// Advisory checks it turned into warnings.
    pub warned: Vec<String>,
}

impl Cause {
    pub fn checks(&self) -> usize {
        self.failed.len() + self.warned.len()
    }

    /// `(checks: a, b; advisory: c)`.
    pub fn list(&self) -> String {
        let mut parts = Vec::new();
        if !self.failed.is_empty() {
            parts.push(format!("checks: {}", self.failed.join(", ")));
        }
        if !self.warned.is_empty() {
            parts.push(format!("advisory: {}", self.warned.join(", ")));
        }
        format!("({})", parts.join("; "))
    }

    /// The stderr line: what happened, the reason, the checks.
    pub fn line(&self) -> String {
        let n =
            |k: usize, one: &str, many: &str| format!("{k} {}", if k == 1 { one } else { many });
        let failed = n(self.failed.len(), "check failed", "checks failed");
        let warned = n(
            self.warned.len(),
            "advisory check warned",
            "advisory checks warned",
        );
        let what = match (self.failed.is_empty(), self.warned.is_empty()) {
            (false, true) => failed,
            (true, _) => warned,
            (false, false) => format!("{failed} and {warned}"),
        };
        format!("{what}, one cause: {} {}", self.text, self.list())
    }
}

/// The part of an error that is the same for every call with the same
/// cause: ARM's `[correlation id …, request id …]` and the request's
/// method and path differ per call and are left out (each check's own
/// JSON line keeps them), so an unreachable ARM is one cause, not one per
/// resource read.
pub(super) fn normalize(error: &str) -> String {
    let error = without_ids(error);
    let mut words: Vec<&str> = Vec::new();
    for w in error.split(' ') {
        if w.starts_with("/subscriptions/") {
            if words
                .last()
                .is_some_and(|m| matches!(*m, "GET" | "POST" | "PUT" | "PATCH" | "DELETE"))
            {
                words.pop();
            }
            words.push("the ARM call");
        } else {
            words.push(w);
        }
    }
    words.join(" ")
}

fn without_ids(error: &str) -> String {
    let mut out = String::new();
    let mut rest = error;
    while let Some(open) = rest.find('[') {
        let Some(len) = rest[open..].find(']') else {
            break;
        };
        let seg = &rest[open..=open + len];
        if seg.contains("request id") || seg.contains("correlation id") {
            out.push_str(rest[..open].trim_end());
        } else {
            out.push_str(&rest[..=open + len]);
        }
        rest = &rest[open + len + 1..];
    }
    out.push_str(rest);
    out.trim_end().to_string()
}

/// The cause of a check that did not pass for want of an answer, as its
/// grouping key; `None` for a check that passed, was skipped, or got an
/// answer and judged it.
fn key(s: &StepReport) -> Option<String> {
    if !matches!(verdict(s), "failed" | "warning") {
        return None;
    }
    let error = normalize(s.error.as_deref()?);
    let device = s.device.as_deref().unwrap_or("");
    // SSH errors name their device already ("no answer: fw: …"); ARM's
    // do not.
    let named = error
        .strip_prefix("no answer: ")
        .unwrap_or(&error)
        .starts_with(&format!("{device}:"));
    Some(if named || device.is_empty() {
        error
    } else {
        format!("{device}: {error}")
    })
}

/// Every cause that stopped more than one check, in the order of its
/// first check; and for each check, whether its line is one of them.
pub(super) fn group<'a>(checks: impl Iterator<Item = &'a StepReport>) -> Vec<Cause> {
    let mut causes: Vec<Cause> = Vec::new();
    for s in checks {
        let Some(text) = key(s) else { continue };
        let i = match causes.iter().position(|c| c.text == text) {
            Some(i) => i,
            None => {
                causes.push(Cause {
                    text,
                    failed: Vec::new(),
                    warned: Vec::new(),
                });
                causes.len() - 1
            }
        };
        if verdict(s) == "failed" {
            causes[i].failed.push(s.step.clone());
        } else {
            causes[i].warned.push(s.step.clone());
        }
    }
    causes.retain(|c| c.checks() > 1);
    causes
}

/// The shared cause `s` belongs to, if any.
pub(super) fn of<'c>(causes: &'c [Cause], s: &StepReport) -> Option<&'c Cause> {
    causes
        .iter()
        .find(|c| c.failed.contains(&s.step) || c.warned.contains(&s.step))
}
