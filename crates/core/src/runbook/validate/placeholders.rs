//! `{deadline}`-style placeholders in why-texts and gate prompts
//! (`runbook::in_force`): each must be known, and have a value in its
//! step, or `cutover check` says where it is.

use toml::de::{DeTable, DeValue};

use super::{Cx, get};
use crate::runbook::in_force::{self, PLACEHOLDERS};
use crate::runbook::model::Runbook;

impl Cx<'_> {
    /// Notes each placeholder in the string `key` of `t`, for the step
    /// that starts at `step_start`.
    pub(super) fn collect_placeholders(&mut self, t: &DeTable<'_>, key: &str, step_start: usize) {
        let Some(v) = get(t, key) else { return };
        let DeValue::String(s) = v.get_ref() else {
            return;
        };
        let span = v.span();
        let raw = self.src.get(span.clone()).unwrap_or_default();
        for (at, name) in in_force::placeholders(s) {
            let mut offset = self.locate_in_string(&span, s, at);
            if offset == span.start {
                // Escapes or line continuations: the same occurrence of the
                // same placeholder in the file's text is where it was written.
                let token = format!("{{{name}}}");
                let nth = s.get(..at).unwrap_or_default().matches(&token).count();
                if let Some((i, _)) = raw.match_indices(&token).nth(nth) {
                    offset = span.start + i;
                }
            }
            self.placeholders
                .push((step_start, name.to_string(), offset));
        }
    }

    /// Refuses an unknown placeholder, or one its step has no value for.
    pub(super) fn check_placeholders(&mut self, rb: &Runbook) {
        let found = std::mem::take(&mut self.placeholders);
        for (step_start, name, offset) in found {
            if !PLACEHOLDERS.iter().any(|(n, _)| *n == name) {
                let known: Vec<String> = PLACEHOLDERS
                    .iter()
                    .map(|(n, _)| format!("{{{n}}}"))
                    .collect();
                self.err(
                    offset,
                    format!(
                        "unknown placeholder `{{{name}}}`: known are {}",
                        known.join(", ")
                    ),
                );
                continue;
            }
            let pos = self.lines.pos(step_start);
            let Some(index) = rb.steps.iter().position(|s| s.pos == pos) else {
                continue;
            };
            let values = in_force::values_for(rb, index, &in_force::Flags::default());
            if !values.contains_key(name.as_str()) {
                self.err(
                    offset,
                    format!(
                        "`{{{name}}}` has no value in step `{}`: it names {} (an action step, or the gate before one)",
                        rb.steps[index].id,
                        PLACEHOLDERS
                            .iter()
                            .find(|(n, _)| *n == name)
                            .map_or("", |(_, what)| what)
                    ),
                );
            }
        }
    }
}
