//! `[paths]`: how each path is recognised, and the references to a path kind
//! in expect clauses, which must name a declared one.

use super::{Cx, TransposeNone, Val, get, key_span};
use crate::runbook::diag::suggest;
use crate::runbook::model::{PathDef, PathKind, Paths};
use crate::runbook::query;

const PATH_KINDS: &[&str] = &["expressroute", "vpn"];
const PATH_KEYS: &[&str] = &[
    "description",
    "next_hops",
    "first_as",
    "trace_hops",
    "trace_fallback",
];

impl Cx<'_> {
    pub(super) fn path_kind(&mut self, v: &Val<'_>, what: &str, paths: &Paths) -> Option<PathKind> {
        let text = self.string(v, what)?;
        let Some(kind) = PathKind::parse(&text) else {
            let names = PathKind::ALL.map(PathKind::as_str);
            let msg = match suggest(&text, names) {
                Some(s) => format!("unknown path kind `{text}` (did you mean `{s}`?)"),
                None => format!(
                    "unknown path kind `{text}`; expected one of: {}",
                    names.join(", ")
                ),
            };
            self.err(v.span().start, msg);
            return None;
        };
        if kind != PathKind::Unknown && paths.get(kind).is_none() {
            self.err(
                v.span().start,
                format!("path `{kind}` is not declared: add [paths.{kind}]"),
            );
            return None;
        }
        Some(kind)
    }

    pub(super) fn paths(&mut self, v: &Val<'_>) -> Option<Paths> {
        let t = self.table(v, "paths")?;
        self.unknown_keys(t, PATH_KINDS, "[paths]");
        let mut defs = Vec::new();
        let mut ok = true;
        let mut fallback: Option<PathKind> = None;
        for (k, pv) in t.iter() {
            let Some(kind) = PathKind::parse(k.get_ref()).filter(|k| *k != PathKind::Unknown)
            else {
                continue;
            };
            let ctx = format!("[paths.{kind}]");
            let Some(pt) = self.table(pv, &format!("paths.{kind}")) else {
                ok = false;
                continue;
            };
            self.unknown_keys(pt, PATH_KEYS, &ctx);
            let description = self.opt_string(pt, "description").map(|s| s.0);
            let next_hops = get(pt, "next_hops").map(|v| {
                self.list(v, "next_hops", |cx, item| {
                    cx.checked(
                        item,
                        "next_hops",
                        query::is_cli_word,
                        "an address or an interface name",
                    )
                })
            });
            let first_as = get(pt, "first_as")
                .map(|v| self.list(v, "first_as", |cx, item| cx.uint(item, "first_as")));
            let trace_hops = get(pt, "trace_hops")
                .map(|v| self.list(v, "trace_hops", |cx, item| cx.ip(item, "trace_hops")));
            let trace_fallback = get(pt, "trace_fallback").map(|v| self.bool(v, "trace_fallback"));
            let (Some(next_hops), Some(first_as), Some(trace_hops), Some(trace_fallback)) = (
                next_hops.transpose_none(),
                first_as.transpose_none(),
                trace_hops.transpose_none(),
                trace_fallback.transpose_none(),
            ) else {
                ok = false;
                continue;
            };
            let trace_fallback = trace_fallback.unwrap_or(false);
            if trace_fallback {
                if let Some(first) = fallback {
                    let at = key_span(pt, "trace_fallback").map_or(pv.span().start, |s| s.start);
                    self.err(
                        at,
                        format!(
                            "only one path may be the trace fallback; [paths.{first}] already is"
                        ),
                    );
                    ok = false;
                }
                fallback = Some(kind);
            }
            defs.push(PathDef {
                kind,
                description,
                next_hops: next_hops.unwrap_or_default(),
                first_as: first_as.unwrap_or_default(),
                trace_hops: trace_hops.unwrap_or_default(),
                trace_fallback,
            });
        }
        ok.then_some(Paths { defs })
    }
}
