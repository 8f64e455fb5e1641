//! `[[objective]]`: what the trainee must catch or decide in this
//! scenario, as `cutover_core::drill` judges it. The kinds are generic
//! predicates over the journal, so a new scenario needs no code.

use std::collections::HashSet;
use std::ops::Range;

use toml::Spanned;

use cutover_core::drill::Objective;

/// Checks each objective where the file wrote it.
pub(super) fn check(
    raw: Vec<Spanned<Objective>>,
) -> Result<Vec<Objective>, (Range<usize>, String)> {
    let mut ids = HashSet::new();
    let mut out = Vec::with_capacity(raw.len());
    for o in raw {
        let span = o.span();
        let o = o.into_inner();
        let bad = |m: String| Err((span.clone(), m));
        if o.id.is_empty()
            || !o
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return bad(format!(
                "objective id `{}`: lower-case letters, digits and `-`",
                o.id
            ));
        }
        if !ids.insert(o.id.clone()) {
            return bad(format!("objective `{}` is declared twice", o.id));
        }
        if o.text.trim().is_empty() || o.text.contains('\n') {
            return bad(format!(
                "objective `{}`: `text` is one non-empty line",
                o.id
            ));
        }
        if let Some(e) = o
            .evidence
            .iter()
            .find(|e| e.step.trim().is_empty() || e.line.trim().is_empty())
        {
            return bad(format!(
                "objective `{}`: evidence needs a `step` and a piece of its output `line` (got step `{}`, line `{}`)",
                o.id, e.step, e.line
            ));
        }
        out.push(o);
    }
    Ok(out)
}
