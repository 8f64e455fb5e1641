//! A drill's trainee answers as a reader shows them: the blind marks (with
//! the truth they are judged against) and the hints used, and at the end
//! how the whole drill was judged (`drill_score`).

use crate::session::drill::Mark;
use crate::session::event::{Event, Verdict};

/// One `drill_mark`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkRecord {
    pub check: String,
    pub mark: Mark,
    pub truth: Verdict,
    pub after_ms: u64,
}

impl MarkRecord {
    /// The trainee called it right.
    pub fn correct(&self) -> bool {
        self.mark.matches(self.truth)
    }
}

/// One `drill_hint`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HintRecord {
    pub step: String,
    pub text: String,
}

/// Every mark and hint of the session, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DrillAnswers {
    pub marks: Vec<MarkRecord>,
    pub hints: Vec<HintRecord>,
    /// The drill's score and debrief, once judged.
    pub score: Option<crate::drill::DrillScore>,
}

impl DrillAnswers {
    /// The latest mark of `check` (a trainee may change their mind before
    /// the gate; each mark is journaled, the last one counts).
    pub fn mark_of(&self, check: &str) -> Option<&MarkRecord> {
        self.marks.iter().rev().find(|m| m.check == check)
    }

    /// Folds a `drill_mark` or `drill_hint` in; other events are not the
    /// trainee's answers.
    pub(super) fn apply(&mut self, event: &Event) {
        match event {
            Event::DrillMark {
                check,
                mark,
                truth,
                after_ms,
            } => self.marks.push(MarkRecord {
                check: check.clone(),
                mark: *mark,
                truth: *truth,
                after_ms: *after_ms,
            }),
            Event::DrillHint { step, text } => self.hints.push(HintRecord {
                step: step.clone(),
                text: text.clone(),
            }),
            _ => {}
        }
    }
}
