//! TOML text -> [`Runbook`], or every problem found, with positions.
//!
//! The document is walked by hand over `toml`'s spanned tree rather than
//! through serde, so that one pass can report many problems (serde stops at
//! the first) and every message can point at the exact key or value.

mod action;
mod declarations;
mod expect;
mod link_test;
mod paths;
mod placeholders;
mod probe;
mod steps;
mod values;

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::diag::{Diagnostic, Diagnostics, LineIndex, suggest};
use super::model::{ActionOp, Paths, Runbook};

type Val<'i> = Spanned<DeValue<'i>>;
type Span = Range<usize>;

const TOP_KEYS: &[&str] = &["runbook", "vars", "roles", "paths", "step"];

/// Parses and validates `src`; `file` prefixes the messages.
///
/// `overrides` replace (or add to) the `[vars]` before anything is expanded:
/// the inventory's real resource names win over the runbook's defaults.
pub(crate) fn build(
    src: &str,
    file: &str,
    overrides: &BTreeMap<String, String>,
) -> Result<Runbook, Diagnostics> {
    let mut cx = Cx {
        src,
        lines: LineIndex::new(src),
        vars: BTreeMap::new(),
        broken_vars: BTreeSet::new(),
        misspelt: Vec::new(),
        placeholders: Vec::new(),
        errors: Vec::new(),
    };
    let (doc, syntax) = DeTable::parse_recoverable(src);
    if !syntax.is_empty() {
        // The recovered tree after a syntax error has holes that would only
        // add misleading "missing key" reports.
        for e in &syntax {
            let at = e.span().map_or(0, |s| s.start);
            cx.err(at, format!("TOML syntax error: {}", one_line(e.message())));
        }
        return Err(cx.finish(file));
    }
    let runbook = cx.document(doc.get_ref(), file, overrides);
    match runbook {
        Some(rb) if cx.errors.is_empty() => Ok(rb),
        _ => Err(cx.finish(file)),
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn a_type(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a datetime",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

fn get<'a, 'i>(t: &'a DeTable<'i>, key: &str) -> Option<&'a Val<'i>> {
    t.get(key)
}

fn key_span(t: &DeTable<'_>, key: &str) -> Option<Span> {
    t.iter()
        .find(|(k, _)| k.get_ref().as_ref() == key)
        .map(|(k, _)| k.span())
}

/// What a cross-step check needs to know about each step, even a broken one.
struct StepInfo {
    id: Option<(String, Span)>,
    span: Span,
    is_gate: bool,
    is_check: bool,
    gate_require: Option<Span>,
    action: Option<(ActionOp, Span)>,
}

struct Cx<'s> {
    src: &'s str,
    lines: LineIndex<'s>,
    vars: BTreeMap<String, String>,
    /// Variables whose own definition is broken (already reported): a use
    /// of one is not reported again as undefined.
    broken_vars: BTreeSet<String>,
    /// (offset of an unknown key, the key it was probably meant to be):
    /// the "missing key" report for the latter would only repeat it.
    misspelt: Vec<(usize, &'static str)>,
    /// (a step's start, a `{placeholder}` in its why or prompt, where it
    /// is): checked once the steps are built (`placeholders.rs`).
    placeholders: Vec<(usize, String, usize)>,
    errors: Vec<(usize, String)>,
}

impl<'s> Cx<'s> {
    fn err(&mut self, at: usize, msg: impl Into<String>) {
        self.errors.push((at, msg.into()));
    }

    fn finish(mut self, file: &str) -> Diagnostics {
        self.errors.sort_by_key(|(at, _)| *at);
        self.errors.dedup();
        let lines = &self.lines;
        let items = self
            .errors
            .iter()
            .map(|(at, m)| Diagnostic {
                pos: Some(lines.pos(*at)),
                message: m.clone(),
            })
            .collect();
        Diagnostics {
            file: file.to_string(),
            items,
        }
    }

    fn unknown_keys(&mut self, t: &DeTable<'_>, allowed: &[&'static str], ctx: &str) {
        for (k, _) in t.iter() {
            let key = k.get_ref().as_ref();
            if allowed.contains(&key) {
                continue;
            }
            let msg = match suggest(key, allowed.iter().copied()) {
                Some(s) => {
                    self.misspelt.push((k.span().start, s));
                    format!("unknown key `{key}` in {ctx} (did you mean `{s}`?)")
                }
                None if allowed.is_empty() => {
                    format!("unknown key `{key}` in {ctx}: it takes no keys")
                }
                None => format!(
                    "unknown key `{key}` in {ctx}; expected one of: {}",
                    allowed.join(", ")
                ),
            };
            self.err(k.span().start, msg);
        }
    }

    fn table<'a, 'i>(&mut self, v: &'a Val<'i>, what: &str) -> Option<&'a DeTable<'i>> {
        match v.get_ref() {
            DeValue::Table(t) => Some(t),
            other => {
                self.err(
                    v.span().start,
                    format!("`{what}` must be a table, not {}", a_type(other)),
                );
                None
            }
        }
    }

    fn array<'a, 'i>(&mut self, v: &'a Val<'i>, what: &str) -> Option<&'a [Val<'i>]> {
        match v.get_ref() {
            DeValue::Array(a) => Some(a),
            other => {
                self.err(
                    v.span().start,
                    format!("`{what}` must be an array, not {}", a_type(other)),
                );
                None
            }
        }
    }

    /// Reports a missing key, unless a misspelling of it was reported.
    fn missing(&mut self, t: &DeTable<'_>, span: &Span, key: &str, msg: &str) {
        let misspelt = t.iter().any(|(k, _)| {
            self.misspelt
                .iter()
                .any(|(at, m)| *at == k.span().start && *m == key)
        });
        if !misspelt {
            self.err(span.start, msg);
        }
    }

    fn document(
        &mut self,
        doc: &DeTable<'_>,
        file: &str,
        overrides: &BTreeMap<String, String>,
    ) -> Option<Runbook> {
        self.unknown_keys(doc, TOP_KEYS, "the top level");
        self.vars_table(get(doc, "vars"), overrides);
        let meta = match get(doc, "runbook") {
            Some(v) => self.meta(v),
            None => {
                self.err(0, "missing [runbook] table (id, title, ...)");
                None
            }
        };
        let roles = get(doc, "roles").map_or_else(|| Some(BTreeMap::new()), |v| self.roles(v));
        let paths = get(doc, "paths").map_or_else(|| Some(Paths::default()), |v| self.paths(v));
        let steps = match get(doc, "step") {
            Some(v) => self.steps(v, roles.as_ref(), paths.as_ref(), meta.as_ref()),
            None => {
                self.err(0, "the runbook has no [[step]]");
                None
            }
        };
        let rb = Runbook {
            source: file.to_string(),
            meta: meta?,
            vars: self.vars.clone(),
            roles: roles?,
            paths: paths?,
            steps: steps?,
        };
        self.check_placeholders(&rb);
        Some(rb)
    }
}

fn is_id(s: &str) -> bool {
    s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// `Option<Option<T>>` where the outer `None` means "key absent" and the
/// inner `None` "present but invalid": absent is fine (`Some(None)`),
/// invalid is not (`None`).
trait TransposeNone<T> {
    fn transpose_none(self) -> Option<Option<T>>;
}

impl<T> TransposeNone<T> for Option<Option<T>> {
    fn transpose_none(self) -> Option<Option<T>> {
        match self {
            None => Some(None),
            Some(Some(x)) => Some(Some(x)),
            Some(None) => None,
        }
    }
}

#[cfg(test)]
mod tests;
