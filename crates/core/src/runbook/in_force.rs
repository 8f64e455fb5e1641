//! Why-texts and gate prompts that name a limit say the value in force.
//!
//! A runbook writes `{deadline}`, `{window}`, `{max_outage}`, `{settle}` or
//! `{rollback_budget}` in a step's `why` (or a gate's `prompt`) instead of
//! a literal or a `${var}`: a `--deadline 20s` given on the command line
//! then reads "within 20.0 s", not the runbook's "10m". `${var}` is
//! expanded when the runbook loads; these placeholders once the flags are
//! known ([`Runbook::apply_in_force`]). `cutover check` refuses an unknown
//! one, or one the step has no value for, at its line:col.

use std::collections::BTreeMap;
use std::time::Duration;

use super::model::{Runbook, StepBody};
use crate::model::duration::human_std;

/// Every placeholder, with what it names (runbooks/README.md lists them).
pub const PLACEHOLDERS: [(&str, &str); 5] = [
    (
        "deadline",
        "the guarded change's deadline (`--deadline` over `deadline`)",
    ),
    (
        "window",
        "the longest verification `within` of the change (a check: its `within`)",
    ),
    ("max_outage", "the change's `max_outage`"),
    (
        "settle",
        "the rollback's settle window (`--settle` over `settle`)",
    ),
    (
        "rollback_budget",
        "the rollback's budget (`--rollback-budget` over `rollback_budget`)",
    ),
];

/// The command-line values that replace the runbook's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flags {
    pub deadline: Option<Duration>,
    pub settle: Option<Duration>,
    pub rollback_budget: Option<Duration>,
}

/// Each `{name}` in `text` (not `${name}`, which is a runbook variable):
/// the byte offset of its `{` and the name.
pub fn placeholders(text: &str) -> Vec<(usize, &str)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'{' && (i == 0 || b[i - 1] != b'$') {
            let name_len = b[i + 1..]
                .iter()
                .take_while(|c| c.is_ascii_lowercase() || **c == b'_')
                .count();
            if name_len > 0 && b.get(i + 1 + name_len) == Some(&b'}') {
                if let Some(name) = text.get(i + 1..i + 1 + name_len) {
                    out.push((i, name));
                }
                i += name_len + 2;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// The values step `index` can name: an action's own; a gate's, those of
/// the first action after it (what the operator is about to allow); a
/// check's `window` when it has a `within`.
pub fn values_for(rb: &Runbook, index: usize, flags: &Flags) -> BTreeMap<&'static str, String> {
    let mut v = BTreeMap::new();
    let Some(step) = rb.steps.get(index) else {
        return v;
    };
    let action = match &step.body {
        StepBody::Action(a) => Some(a),
        StepBody::Gate(_) => rb.steps.iter().skip(index + 1).find_map(|s| match &s.body {
            StepBody::Action(a) => Some(a),
            _ => None,
        }),
        StepBody::Check(c) => {
            if let Some(w) = c.within {
                v.insert("window", human_std(w.as_std()));
            }
            None
        }
        StepBody::Record(_) => None,
    };
    if let Some(a) = action {
        let act = &a.action;
        v.insert(
            "deadline",
            human_std(flags.deadline.unwrap_or(act.deadline.as_std())),
        );
        if let Some(w) = a.verify.iter().map(|x| x.within.as_std()).max() {
            v.insert("window", human_std(w));
        }
        if let Some(m) = act.max_outage {
            v.insert("max_outage", human_std(m.as_std()));
        }
        v.insert(
            "settle",
            human_std(flags.settle.unwrap_or(act.settle_window())),
        );
        v.insert(
            "rollback_budget",
            human_std(
                flags
                    .rollback_budget
                    .unwrap_or(act.rollback_budget_window()),
            ),
        );
    }
    v
}

/// `text` with each placeholder that has a value replaced by it.
pub fn render(text: &str, values: &BTreeMap<&'static str, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (at, name) in placeholders(text) {
        if let Some(v) = values.get(name) {
            out.push_str(text.get(copied..at).unwrap_or_default());
            out.push_str(v);
            copied = at + name.len() + 2;
        }
    }
    out.push_str(text.get(copied..).unwrap_or_default());
    out
}

impl Runbook {
    /// Renders every why-text and gate prompt from the values in force
    /// (`flags` over the runbook). Called once, when the flags are known,
    /// before anything shows or journals a text.
    pub fn apply_in_force(&mut self, flags: &Flags) {
        let values: Vec<_> = (0..self.steps.len())
            .map(|i| values_for(self, i, flags))
            .collect();
        for (step, v) in self.steps.iter_mut().zip(values) {
            step.why = render(&step.why, &v);
            if let StepBody::Gate(g) = &mut step.body {
                g.prompt = render(&g.prompt, &v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_found_but_not_runbook_variables() {
        assert_eq!(
            placeholders("within {deadline}, ${x} {Nope} {max_outage}{"),
            vec![(7, "deadline"), (31, "max_outage")]
        );
    }

    #[test]
    fn render_replaces_known_values_only() {
        let mut v = BTreeMap::new();
        v.insert("deadline", "20.0 s".to_string());
        assert_eq!(
            render("confirm within {deadline} ({window})", &v),
            "confirm within 20.0 s ({window})"
        );
    }
}
