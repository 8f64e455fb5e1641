//! A drill's trainee answers: the marks of a blind drill (each pre-check
//! called pass or fail from the raw output, before the gate opens) and the
//! hints asked for. The engine journals them (`drill_mark`, `drill_hint`);
//! the scoring reads them against the truth.

use serde::{Deserialize, Serialize};

/// How a blind drill's engine says its gate waits for the trainee's
/// marks: the headless driver reads it to know that marks still queued for
/// later checks cannot be used before an answer that will never come.
pub const BLIND_WAIT_NOTE: &str =
    "blind drill: the gate opens once every pre-check is marked pass or fail from its output";

/// What the trainee called a pre-check, from its raw output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mark {
    Pass,
    Fail,
}

impl Mark {
    /// `pass` / `fail`, as typed (`mark <check> pass`) and journaled.
    pub fn as_str(self) -> &'static str {
        match self {
            Mark::Pass => "pass",
            Mark::Fail => "fail",
        }
    }

    /// `pass` or `fail` (any case); `None` for anything else.
    pub fn parse(s: &str) -> Option<Mark> {
        match s.trim().to_ascii_lowercase().as_str() {
            "pass" | "p" => Some(Mark::Pass),
            "fail" | "f" => Some(Mark::Fail),
            _ => None,
        }
    }

    /// The mark agrees with the check's verdict: `pass` for a passed
    /// check, `fail` for any other.
    pub fn matches(self, truth: crate::session::event::Verdict) -> bool {
        use crate::session::event::Verdict;
        (self == Mark::Pass) == (truth == Verdict::Passed)
    }
}

impl std::fmt::Display for Mark {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
