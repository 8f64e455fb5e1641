//! TOML text -> [`Runbook`], or every problem found, with positions.
//!
//! The document is walked by hand over `toml`'s spanned tree rather than
//! through serde, so that one pass can report many problems (serde stops at
//! the first) and every message can point at the exact key or value.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::diag::{Diagnostic, Diagnostics, LineIndex, suggest};
use super::duration::Duration;
use super::interp::{self, InterpError, VarErrorKind};
use super::model::{
    Action, ActionOp, ActionStep, AzureNames, Check, Clause, Expect, Gate, GateRequire, Meta,
    PathDef, PathKind, PathSelect, Paths, Phase, Probe, Record, Role, RouteCheck, RouteExpect,
    RouteTarget, Runbook, StateExpect, Step, StepBody, TraceExpect, Verify,
};
use super::query::{
    self, AZURE_RESOURCE_KEYS, ConnectionRef, GatewayRef, PeeringRef, Platform, Query, QueryName,
    ResultKind,
};
use super::render;
use crate::model::Prefix;

type Val<'i> = Spanned<DeValue<'i>>;
type Span = Range<usize>;

const TOP_KEYS: &[&str] = &["runbook", "vars", "roles", "paths", "step"];
const META_KEYS: &[&str] = &[
    "id",
    "title",
    "description",
    "version",
    "monitor_every",
    "repeat_every",
    "read_only",
];
const ROLE_KEYS: &[&str] = &["platform", "description"];
const PATH_KINDS: &[&str] = &["expressroute", "vpn"];
const PATH_KEYS: &[&str] = &[
    "description",
    "next_hops",
    "first_as",
    "trace_hops",
    "trace_fallback",
];
const STEP_KEYS: &[&str] = &[
    "id", "title", "phase", "why", "probe", "expect", "within", "every", "advisory", "gate",
    "action", "verify", "record",
];
const STEP_BODIES: &[&str] = &["probe", "gate", "action", "record"];
const GATE_KEYS: &[&str] = &["prompt", "confirm_text", "require"];
const ACTION_KEYS: &[&str] = &[
    "op",
    "role",
    "resource_group",
    "circuit",
    "peering",
    "rollback",
    "deadline",
];
const VERIFY_KEYS: &[&str] = &["probe", "expect", "within", "every"];
const RECORD_KEYS: &[&str] = &["next_test_in", "reminders"];
const ROUTE_EXPECT_KEYS: &[&str] = &[
    "prefix",
    "more_specific_than",
    "path",
    "next_hop",
    "protocol",
    "present",
    "active_path",
    "active",
    "local_pref",
    "as_path",
    "as_path_starts_with",
    "next_hop_in",
    "at_least",
];
const STATE_EXPECT_KEYS: &[&str] = &["peer", "state", "at_least"];
const TRACE_EXPECT_KEYS: &[&str] = &["path", "include_hops", "exclude_hops", "reached"];

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

    /// Where, in the file, the character `at` of the string value at `span`
    /// is: exact when the string has no escapes, else the string's start.
    fn locate_in_string(&self, span: &Span, decoded: &str, at: usize) -> usize {
        let Some(raw) = self.src.get(span.clone()) else {
            return span.start;
        };
        for q in [3usize, 1] {
            if raw.len() >= 2 * q
                && raw.get(q..raw.len() - q) == Some(decoded)
                && matches!(raw.as_bytes().first(), Some(b'"' | b'\''))
            {
                return span.start + q + at;
            }
        }
        span.start
    }

    fn interp_error(&mut self, span: &Span, decoded: &str, e: &InterpError) {
        if matches!(e, InterpError::Undefined { name, .. } if self.broken_vars.contains(name)) {
            return;
        }
        let at = self.locate_in_string(span, decoded, e.at());
        let msg = match e {
            InterpError::Undefined {
                name,
                suggestion: Some(s),
                ..
            } => {
                format!("undefined variable `{name}` (did you mean `{s}`?)")
            }
            InterpError::Undefined { name, .. } => {
                format!("undefined variable `{name}`: define it in [vars]")
            }
            other => other.to_string(),
        };
        self.err(at, msg);
    }

    /// A string value, interpolated.
    fn string(&mut self, v: &Val<'_>, what: &str) -> Option<String> {
        let DeValue::String(s) = v.get_ref() else {
            self.err(
                v.span().start,
                format!("`{what}` must be a string, not {}", a_type(v.get_ref())),
            );
            return None;
        };
        match interp::interpolate(s, &self.vars) {
            Ok(out) => Some(out),
            Err(e) => {
                self.interp_error(&v.span(), s, &e);
                None
            }
        }
    }

    fn opt_string(&mut self, t: &DeTable<'_>, key: &str) -> Option<(String, Span)> {
        let v = get(t, key)?;
        self.string(v, key).map(|s| (s, v.span()))
    }

    fn req_string(
        &mut self,
        t: &DeTable<'_>,
        span: &Span,
        key: &str,
        ctx: &str,
    ) -> Option<(String, Span)> {
        if get(t, key).is_none() {
            self.missing(t, span, key, &format!("missing `{key}` in {ctx}"));
            return None;
        }
        self.opt_string(t, key)
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

    fn bool(&mut self, v: &Val<'_>, what: &str) -> Option<bool> {
        match v.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            other => {
                self.err(
                    v.span().start,
                    format!("`{what}` must be true or false, not {}", a_type(other)),
                );
                None
            }
        }
    }

    /// A non-negative integer, written as one or as a string (so that a
    /// `${var}` can hold it).
    fn uint(&mut self, v: &Val<'_>, what: &str) -> Option<u32> {
        let text = match v.get_ref() {
            DeValue::Integer(i) => {
                let parsed = u32::from_str_radix(i.as_str(), i.radix()).ok();
                if parsed.is_none() {
                    self.err(
                        v.span().start,
                        format!("`{what}` must be a whole number from 0 to {}", u32::MAX),
                    );
                }
                return parsed;
            }
            DeValue::String(_) => self.string(v, what)?,
            other => {
                self.err(
                    v.span().start,
                    format!("`{what}` must be a whole number, not {}", a_type(other)),
                );
                return None;
            }
        };
        let parsed = text.trim().parse::<u32>().ok();
        if parsed.is_none() {
            self.err(
                v.span().start,
                format!("`{what}` must be a whole number, not `{text}`"),
            );
        }
        parsed
    }

    fn duration(&mut self, v: &Val<'_>, what: &str) -> Option<Duration> {
        let text = self.string(v, what)?;
        match Duration::parse(&text) {
            Ok(d) => Some(d),
            Err(e) => {
                self.err(v.span().start, e.to_string());
                None
            }
        }
    }

    fn prefix(&mut self, v: &Val<'_>, what: &str) -> Option<Prefix> {
        let text = self.string(v, what)?;
        match Prefix::parse_strict(&text) {
            Ok(p) => Some(p),
            Err(e) => {
                self.err(v.span().start, format!("bad prefix in `{what}`: {e}"));
                None
            }
        }
    }

    fn ip(&mut self, v: &Val<'_>, what: &str) -> Option<IpAddr> {
        let text = self.string(v, what)?;
        match text.trim().parse::<IpAddr>() {
            Ok(a) => Some(a),
            Err(_) => {
                self.err(
                    v.span().start,
                    format!("`{what}` must be an IP address, not `{text}`"),
                );
                None
            }
        }
    }

    fn checked(
        &mut self,
        v: &Val<'_>,
        what: &str,
        ok: fn(&str) -> bool,
        expected: &str,
    ) -> Option<String> {
        let text = self.string(v, what)?;
        if ok(&text) {
            Some(text)
        } else {
            self.err(
                v.span().start,
                format!("`{what}` must be {expected}, not `{text}`"),
            );
            None
        }
    }

    fn list<T>(
        &mut self,
        v: &Val<'_>,
        what: &str,
        mut each: impl FnMut(&mut Self, &Val<'_>) -> Option<T>,
    ) -> Option<Vec<T>> {
        let items = self.array(v, what)?;
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for item in items {
            match each(self, item) {
                Some(x) => out.push(x),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn path_kind(&mut self, v: &Val<'_>, what: &str, paths: &Paths) -> Option<PathKind> {
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
        Some(Runbook {
            source: file.to_string(),
            meta: meta?,
            vars: self.vars.clone(),
            roles: roles?,
            paths: paths?,
            steps: steps?,
        })
    }

    fn vars_table(&mut self, v: Option<&Val<'_>>, overrides: &BTreeMap<String, String>) {
        let mut raw = BTreeMap::new();
        let mut spans = BTreeMap::new();
        let empty = DeTable::new();
        let t = match v {
            Some(v) => self.table(v, "vars").unwrap_or(&empty),
            None => &empty,
        };
        for (k, val) in t.iter() {
            let name = k.get_ref().as_ref();
            if !interp::is_var_name(name) {
                self.err(
                    k.span().start,
                    format!("bad variable name `{name}`: letters, digits, `_` and `-`, starting with a letter or `_`"),
                );
                continue;
            }
            let text = match val.get_ref() {
                DeValue::String(s) => s.to_string(),
                DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
                    Ok(n) => n.to_string(),
                    Err(_) => i.as_str().to_string(),
                },
                other => {
                    self.err(
                        val.span().start,
                        format!(
                            "variable `{name}` must be a string or an integer, not {}",
                            a_type(other)
                        ),
                    );
                    continue;
                }
            };
            spans.insert(name.to_string(), (val.span(), text.clone()));
            raw.insert(name.to_string(), text);
        }
        for (name, value) in overrides {
            // An override is taken literally: it comes from a program, and
            // its `$` are not meant as references.
            raw.insert(name.clone(), value.replace('$', "$$"));
            spans.remove(name);
        }
        let (resolved, errors) = interp::resolve_vars(&raw);
        self.broken_vars = raw
            .keys()
            .filter(|k| !resolved.contains_key(*k))
            .cloned()
            .collect();
        for e in errors {
            let Some((span, text)) = spans.get(&e.var).cloned() else {
                continue;
            };
            match e.kind {
                VarErrorKind::Interp(ie) => self.interp_error(&span, &text, &ie),
                VarErrorKind::Cycle(names) => {
                    self.err(
                        span.start,
                        format!(
                            "variables refer to each other in a circle: {}",
                            names.join(" -> ")
                        ),
                    );
                }
            }
        }
        self.vars = resolved;
    }

    fn meta(&mut self, v: &Val<'_>) -> Option<Meta> {
        let t = self.table(v, "runbook")?;
        let span = v.span();
        self.unknown_keys(t, META_KEYS, "[runbook]");
        let id = self.req_string(t, &span, "id", "[runbook]");
        if let Some((id, at)) = &id
            && !is_id(id)
        {
            self.err(
                at.start,
                format!("runbook id `{id}` must be letters, digits, `.`, `_` and `-`"),
            );
        }
        let title = self.req_string(t, &span, "title", "[runbook]");
        let description = self.opt_string(t, "description").map(|s| s.0);
        let version = match get(t, "version") {
            Some(v) if matches!(v.get_ref(), DeValue::Integer(_)) => {
                self.uint(v, "version").map(|n| n.to_string())
            }
            Some(_) => self.opt_string(t, "version").map(|s| s.0),
            None => None,
        };
        let monitor_every = get(t, "monitor_every").map(|v| self.duration(v, "monitor_every"));
        let repeat_every = get(t, "repeat_every").map(|v| self.duration(v, "repeat_every"));
        let read_only = get(t, "read_only").map(|v| self.bool(v, "read_only"));
        Some(Meta {
            id: id?.0,
            title: title?.0,
            description,
            version,
            monitor_every: monitor_every.transpose_none()?,
            repeat_every: repeat_every.transpose_none()?,
            read_only: read_only.transpose_none()?.unwrap_or(false),
        })
    }

    fn roles(&mut self, v: &Val<'_>) -> Option<BTreeMap<String, Role>> {
        let t = self.table(v, "roles")?;
        let mut out = BTreeMap::new();
        let mut ok = true;
        for (k, rv) in t.iter() {
            let name = k.get_ref().as_ref();
            let ctx = format!("[roles.{name}]");
            if !is_id(name) {
                self.err(
                    k.span().start,
                    format!("role name `{name}` must be letters, digits, `.`, `_` and `-`"),
                );
            }
            let Some(rt) = self.table(rv, &format!("roles.{name}")) else {
                ok = false;
                continue;
            };
            let span = rv.span();
            let platform = match self.req_string(rt, &span, "platform", &ctx) {
                Some((p, at)) => match Platform::parse(&p) {
                    Some(p) => Some(p),
                    None => {
                        let names = Platform::ALL.map(Platform::as_str);
                        let msg = match suggest(&p, names) {
                            Some(s) => format!("unknown platform `{p}` (did you mean `{s}`?)"),
                            None => format!(
                                "unknown platform `{p}`; expected one of: {}",
                                names.join(", ")
                            ),
                        };
                        self.err(at.start, msg);
                        None
                    }
                },
                None => None,
            };
            let mut allowed: Vec<&str> = ROLE_KEYS.to_vec();
            if platform == Some(Platform::Azure) {
                allowed.extend(AZURE_RESOURCE_KEYS);
            }
            if platform.is_some() {
                self.unknown_keys(rt, &allowed, &ctx);
            }
            let description = self.opt_string(rt, "description").map(|s| s.0);
            let mut azure = AzureNames::default();
            if platform == Some(Platform::Azure) {
                for key in AZURE_RESOURCE_KEYS {
                    if let Some(val) = get(rt, key) {
                        let name =
                            self.checked(val, key, query::is_azure_name, "an Azure resource name");
                        if let Some(slot) = azure.slot(key) {
                            *slot = name;
                        }
                    }
                }
            }
            match platform {
                Some(platform) => {
                    out.insert(
                        name.to_string(),
                        Role {
                            name: name.to_string(),
                            platform,
                            description,
                            azure,
                        },
                    );
                }
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn paths(&mut self, v: &Val<'_>) -> Option<Paths> {
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

    fn steps(
        &mut self,
        v: &Val<'_>,
        roles: Option<&BTreeMap<String, Role>>,
        paths: Option<&Paths>,
        meta: Option<&Meta>,
    ) -> Option<Vec<Step>> {
        let items = match v.get_ref() {
            DeValue::Array(a) => a,
            other => {
                self.err(
                    v.span().start,
                    format!(
                        "`step` must be an array of tables ([[step]]), not {}",
                        a_type(other)
                    ),
                );
                return None;
            }
        };
        // Roles or paths that failed to load still let the steps be checked
        // for their own problems; only the result is withheld.
        let empty_roles = BTreeMap::new();
        let roles_ok = roles.is_some();
        let roles = roles.unwrap_or(&empty_roles);
        let empty_paths = Paths::default();
        let paths = paths.unwrap_or(&empty_paths);
        let mut steps = Vec::new();
        let mut infos = Vec::new();
        let mut ok = roles_ok;
        for item in items {
            let (step, info) = self.step(item, roles, paths);
            match step {
                Some(s) => steps.push(s),
                None => ok = false,
            }
            infos.push(info);
        }
        self.cross_step_checks(&infos, meta);
        ok.then_some(steps)
    }

    fn cross_step_checks(&mut self, infos: &[StepInfo], meta: Option<&Meta>) {
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for info in infos {
            if let Some((id, span)) = &info.id {
                match seen.get(id.as_str()) {
                    Some(first) => {
                        let line = self.lines.pos(*first).line;
                        self.err(
                            span.start,
                            format!("duplicate step id `{id}` (first used on line {line})"),
                        );
                    }
                    None => {
                        seen.insert(id, span.start);
                    }
                }
            }
        }
        let mut armed = false;
        let mut checks_before = 0;
        for info in infos {
            if info.is_gate {
                armed = true;
                if let Some(req) = &info.gate_require
                    && checks_before == 0
                {
                    self.err(
                        req.start,
                        "the gate requires prechecks, but no check step comes before it",
                    );
                }
            }
            if info.is_check {
                checks_before += 1;
            }
            if let Some((op, span)) = &info.action
                && op.is_disruptive()
            {
                if !armed {
                    self.err(
                        span.start,
                        format!(
                            "disruptive action `{op}` is not preceded by a gate: add a step with `gate = {{ ... }}` before it"
                        ),
                    );
                }
                // One confirmation covers one disruptive change.
                armed = false;
            }
            if meta.is_some_and(|m| m.read_only) && (info.is_gate || info.action.is_some()) {
                let what = if info.is_gate { "a gate" } else { "an action" };
                self.err(
                    info.span.start,
                    format!("the runbook is read_only, but this step is {what}"),
                );
            }
        }
    }

    fn step(
        &mut self,
        v: &Val<'_>,
        roles: &BTreeMap<String, Role>,
        paths: &Paths,
    ) -> (Option<Step>, StepInfo) {
        let span = v.span();
        let mut info = StepInfo {
            id: None,
            span: span.clone(),
            is_gate: false,
            is_check: false,
            gate_require: None,
            action: None,
        };
        let Some(t) = self.table(v, "step") else {
            return (None, info);
        };
        self.unknown_keys(t, STEP_KEYS, "[[step]]");
        let id = self.req_string(t, &span, "id", "[[step]]");
        if let Some((id, at)) = &id
            && !is_id(id)
        {
            self.err(
                at.start,
                format!("step id `{id}` must be letters, digits, `.`, `_` and `-`"),
            );
        }
        info.id.clone_from(&id);
        let label = id
            .as_ref()
            .map_or_else(|| "[[step]]".to_string(), |(id, _)| format!("step `{id}`"));
        let title = self.req_string(t, &span, "title", &label);
        let phase = match get(t, "phase") {
            Some(pv) => self.phase(pv),
            None => {
                self.missing(t, &span, "phase", &format!("missing `phase` in {label}"));
                None
            }
        };
        let why = match get(t, "why") {
            Some(_) => self.opt_string(t, "why").and_then(|(w, at)| {
                if w.trim().is_empty() {
                    self.err(at.start, format!("`why` of {label} is empty"));
                    None
                } else {
                    Some(w)
                }
            }),
            None => {
                self.missing(
                    t,
                    &span,
                    "why",
                    &format!("missing `why` in {label}: tell the operator what this step proves and what to do when it fails"),
                );
                None
            }
        };

        let bodies: Vec<&str> = STEP_BODIES
            .iter()
            .copied()
            .filter(|k| get(t, k).is_some())
            .collect();
        let body = match bodies.as_slice() {
            [] => {
                self.err(
                    span.start,
                    format!(
                        "{label} does nothing: give it one of `probe`, `gate`, `action` or `record`"
                    ),
                );
                None
            }
            [one] => {
                self.misplaced_keys(t, one, &label);
                match *one {
                    "probe" => self.check_body(t, &span, &label, roles, paths, &mut info),
                    "gate" => {
                        info.is_gate = true;
                        self.gate(t, &mut info)
                    }
                    "action" => self.action_body(t, roles, paths, &mut info),
                    _ => self.record(t),
                }
            }
            [first, second, ..] => {
                let at = key_span(t, second).map_or(span.start, |s| s.start);
                self.err(
                    at,
                    format!(
                        "{label} has both `{first}` and `{second}`: a step does exactly one thing"
                    ),
                );
                None
            }
        };
        let step = (|| {
            let (id, _) = id?;
            Some(Step {
                id,
                title: title?.0,
                phase: phase?,
                why: why?,
                pos: self.lines.pos(span.start),
                body: body?,
            })
        })();
        (step, info)
    }

    /// Keys that belong to another kind of step.
    fn misplaced_keys(&mut self, t: &DeTable<'_>, body: &str, label: &str) {
        let belongs: &[(&str, &str)] = &[
            ("expect", "probe"),
            ("within", "probe"),
            ("every", "probe"),
            ("advisory", "probe"),
            ("verify", "action"),
        ];
        for (key, owner) in belongs {
            if *owner != body
                && let Some(s) = key_span(t, key)
            {
                self.err(
                    s.start,
                    format!("`{key}` goes with `{owner}`, but {label} has `{body}`"),
                );
            }
        }
    }

    fn phase(&mut self, v: &Val<'_>) -> Option<Phase> {
        let names = Phase::ALL.map(Phase::as_str);
        let bad = |cx: &mut Self, shown: String| {
            cx.err(
                v.span().start,
                format!(
                    "`phase` must be 1 to 5 or one of {}, not {shown}",
                    names.join(", ")
                ),
            );
            None
        };
        match v.get_ref() {
            DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix())
                .ok()
                .and_then(Phase::from_number)
            {
                Some(p) => Some(p),
                None => bad(self, i.as_str().to_string()),
            },
            DeValue::String(_) => {
                let s = self.string(v, "phase")?;
                match Phase::parse(&s)
                    .or_else(|| s.parse::<i64>().ok().and_then(Phase::from_number))
                {
                    Some(p) => Some(p),
                    None => match suggest(&s, names) {
                        Some(g) => {
                            self.err(
                                v.span().start,
                                format!("unknown phase `{s}` (did you mean `{g}`?)"),
                            );
                            None
                        }
                        None => bad(self, format!("`{s}`")),
                    },
                }
            }
            other => bad(self, a_type(other).to_string()),
        }
    }

    fn check_body(
        &mut self,
        t: &DeTable<'_>,
        span: &Span,
        label: &str,
        roles: &BTreeMap<String, Role>,
        paths: &Paths,
        info: &mut StepInfo,
    ) -> Option<StepBody> {
        info.is_check = true;
        let probe_v = get(t, "probe")?;
        let probe = self.probe(probe_v, roles);
        let expect = match get(t, "expect") {
            Some(ev) => probe
                .as_ref()
                .and_then(|(_, q)| self.expects(ev, *q, paths)),
            None => {
                self.err(
                    span.start,
                    format!("{label} probes but expects nothing: add `expect = [ ... ]`"),
                );
                None
            }
        };
        let within = get(t, "within")
            .map(|v| self.duration(v, "within"))
            .transpose_none();
        let every = get(t, "every")
            .map(|v| self.duration(v, "every"))
            .transpose_none();
        let advisory = match get(t, "advisory") {
            Some(v) => self.bool(v, "advisory"),
            None => Some(false),
        };
        Some(StepBody::Check(Check {
            probe: probe?.0?,
            expect: expect?,
            within: within?,
            every: every?,
            advisory: advisory?,
        }))
    }

    /// The probe, and its query name as soon as that is known (the expect
    /// clauses can be checked against it even when a parameter is wrong).
    fn probe(
        &mut self,
        v: &Val<'_>,
        roles: &BTreeMap<String, Role>,
    ) -> Option<(Option<Probe>, QueryName)> {
        let t = self.table(v, "probe")?;
        let span = v.span();
        let role = self.req_string(t, &span, "role", "probe");
        let qname = match self.req_string(t, &span, "query", "probe") {
            Some((q, at)) => match QueryName::parse(&q) {
                Some(name) => Some((name, at)),
                None => {
                    let names = QueryName::ALL.map(QueryName::as_str);
                    let msg = match suggest(&q, names) {
                        Some(s) => format!("unknown query `{q}` (did you mean `{s}`?)"),
                        None => format!("unknown query `{q}`; known queries: {}", names.join(", ")),
                    };
                    self.err(at.start, msg);
                    None
                }
            },
            None => None,
        };
        let (qname, qspan) = qname?;
        let mut allowed = vec!["role", "query"];
        allowed.extend(qname.params().iter().map(|p| p.name));
        self.unknown_keys(t, &allowed, &format!("probe `{qname}`"));

        let role = role.and_then(|(name, at)| match roles.get(&name) {
            Some(r) => Some(r),
            None => {
                self.undeclared_role(&name, at.start, roles);
                None
            }
        });
        if let Some(r) = role
            && !qname.platforms().contains(&r.platform)
        {
            self.err(
                qspan.start,
                format!(
                    "query `{qname}` is not available on platform `{}` (role `{}`)",
                    r.platform, r.name
                ),
            );
            return Some((None, qname));
        }
        let query = self.query(qname, t, &span, role);
        let probe = (|| {
            let role = role?;
            let query = query?;
            match render::render(&query, role.platform) {
                Ok(command) => Some(Probe {
                    role: role.name.clone(),
                    platform: role.platform,
                    query,
                    command,
                }),
                Err(e) => {
                    self.err(qspan.start, e.to_string());
                    None
                }
            }
        })();
        Some((probe, qname))
    }

    fn undeclared_role(&mut self, name: &str, at: usize, roles: &BTreeMap<String, Role>) {
        let msg = match suggest(name, roles.keys().map(String::as_str)) {
            Some(s) => format!("undeclared role `{name}` (did you mean `{s}`?)"),
            None => {
                format!("undeclared role `{name}`: declare it with [roles.{name}] and a platform")
            }
        };
        self.err(at, msg);
    }

    /// A parameter from the probe, or (for Azure names) from its role.
    fn param<'i>(
        &mut self,
        qname: QueryName,
        t: &DeTable<'i>,
        span: &Span,
        role: Option<&Role>,
        key: &'static str,
    ) -> Option<ParamVal<'i>> {
        if let Some(v) = get(t, key) {
            return Some(ParamVal::Given(v.clone()));
        }
        let spec = qname.params().iter().find(|p| p.name == key);
        if spec.is_some_and(|p| p.from_role)
            && let Some(name) = role.and_then(|r| r.azure.get(key))
        {
            return Some(ParamVal::FromRole(name.to_string()));
        }
        if spec.is_some_and(|p| p.required) {
            let msg = match (spec.is_some_and(|p| p.from_role), role) {
                (true, Some(r)) => format!(
                    "query `{qname}` needs `{key}` (on the probe or on its role `{}`)",
                    r.name
                ),
                _ => format!("query `{qname}` needs `{key}`"),
            };
            self.err(span.start, msg);
        }
        None
    }

    fn query(
        &mut self,
        qname: QueryName,
        t: &DeTable<'_>,
        span: &Span,
        role: Option<&Role>,
    ) -> Option<Query> {
        let p = |cx: &mut Self, key: &'static str| cx.param(qname, t, span, role, key);
        let word = |cx: &mut Self, v: Option<ParamVal<'_>>, key: &str| -> Option<Option<String>> {
            match v {
                None => Some(None),
                Some(ParamVal::Given(v)) => cx
                    .checked(
                        &v,
                        key,
                        query::is_cli_word,
                        "one word (letters, digits, . _ - : /)",
                    )
                    .map(Some),
                Some(ParamVal::FromRole(s)) => Some(Some(s)),
            }
        };
        let azure = |cx: &mut Self, v: Option<ParamVal<'_>>, key: &str| -> Option<String> {
            match v? {
                ParamVal::Given(v) => {
                    cx.checked(&v, key, query::is_azure_name, "an Azure resource name")
                }
                ParamVal::FromRole(s) => Some(s),
            }
        };
        let ip = |cx: &mut Self, v: Option<ParamVal<'_>>, key: &str| -> Option<IpAddr> {
            match v? {
                ParamVal::Given(v) => cx.ip(&v, key),
                ParamVal::FromRole(_) => None,
            }
        };
        Some(match qname {
            QueryName::BgpAdvertised | QueryName::BgpReceived => {
                let peer = p(self, "peer");
                let peer = ip(self, peer, "peer");
                let table = p(self, "table");
                let table = word(self, table, "table");
                let (peer, table) = (peer?, table?);
                if qname == QueryName::BgpAdvertised {
                    Query::BgpAdvertised { peer, table }
                } else {
                    Query::BgpReceived { peer, table }
                }
            }
            QueryName::RouteTable => {
                let table = p(self, "table");
                let table = word(self, table, "table");
                let prefix = get(t, "prefix")
                    .map(|v| self.prefix(v, "prefix"))
                    .transpose_none();
                Query::RouteTable {
                    table: table??,
                    prefix: prefix?,
                }
            }
            QueryName::BgpSummary => {
                let instance = p(self, "instance");
                Query::BgpSummary {
                    instance: word(self, instance, "instance")?,
                }
            }
            QueryName::BfdSessions => Query::BfdSessions,
            QueryName::IpsecSas => Query::IpsecSas,
            QueryName::IkeSas => Query::IkeSas,
            QueryName::Trace => {
                let target = p(self, "target");
                let target = match target? {
                    ParamVal::Given(v) => self.checked(
                        &v,
                        "target",
                        query::is_trace_target,
                        "an IP address or a host name",
                    )?,
                    ParamVal::FromRole(s) => s,
                };
                Query::Trace { target }
            }
            QueryName::AzureLearnedRoutes
            | QueryName::AzureBgpPeers
            | QueryName::AzureAdvertisedRoutes => {
                let rg = p(self, "resource_group");
                let rg = azure(self, rg, "resource_group");
                let gw = p(self, "gateway");
                let gw = azure(self, gw, "gateway");
                let peer = if qname == QueryName::AzureAdvertisedRoutes {
                    let v = p(self, "peer");
                    Some(ip(self, v, "peer")?)
                } else {
                    None
                };
                let gateway = GatewayRef {
                    resource_group: rg?,
                    gateway: gw?,
                };
                match (qname, peer) {
                    (QueryName::AzureAdvertisedRoutes, Some(peer)) => {
                        Query::AzureAdvertisedRoutes { gateway, peer }
                    }
                    (QueryName::AzureLearnedRoutes, _) => Query::AzureLearnedRoutes { gateway },
                    _ => Query::AzureBgpPeers { gateway },
                }
            }
            QueryName::AzurePeering => {
                let rg = p(self, "resource_group");
                let rg = azure(self, rg, "resource_group");
                let c = p(self, "circuit");
                let c = azure(self, c, "circuit");
                let pe = p(self, "peering");
                let pe = azure(self, pe, "peering");
                Query::AzurePeering {
                    peering: PeeringRef {
                        resource_group: rg?,
                        circuit: c?,
                        peering: pe?,
                    },
                }
            }
            QueryName::AzureConnection => {
                let rg = p(self, "resource_group");
                let rg = azure(self, rg, "resource_group");
                let c = p(self, "connection");
                let c = azure(self, c, "connection");
                Query::AzureConnection {
                    connection: ConnectionRef {
                        resource_group: rg?,
                        connection: c?,
                    },
                }
            }
        })
    }

    fn expects(&mut self, v: &Val<'_>, qname: QueryName, paths: &Paths) -> Option<Vec<Expect>> {
        let items = self.array(v, "expect")?;
        if items.is_empty() {
            self.err(
                v.span().start,
                "`expect` is empty: say what the probe must show",
            );
            return None;
        }
        let mut out = Vec::new();
        let mut ok = true;
        for item in items {
            match self.expect(item, qname, paths) {
                Some(e) => out.push(e),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn expect(&mut self, v: &Val<'_>, qname: QueryName, paths: &Paths) -> Option<Expect> {
        let t = self.table(v, "expect")?;
        let span = v.span();
        let ctx = format!("an expect clause of `{qname}`");
        let clause = match qname.result() {
            ResultKind::Routes => {
                self.unknown_keys(t, ROUTE_EXPECT_KEYS, &ctx);
                Clause::Route(self.route_expect(t, &span, qname, paths)?)
            }
            ResultKind::States => {
                self.unknown_keys(t, STATE_EXPECT_KEYS, &ctx);
                let peer = self.opt_string(t, "peer").map(|s| s.0);
                let state = self.opt_string(t, "state").map(|s| s.0);
                let at_least = get(t, "at_least").map(|v| self.uint(v, "at_least"));
                if state.is_none() && at_least.is_none() && get(t, "state").is_none() {
                    self.err(span.start, format!("{ctx} needs `state` or `at_least`"));
                    return None;
                }
                Clause::State(StateExpect {
                    peer,
                    state,
                    at_least: at_least.transpose_none()?,
                })
            }
            ResultKind::Trace => {
                self.unknown_keys(t, TRACE_EXPECT_KEYS, &ctx);
                if TRACE_EXPECT_KEYS.iter().all(|k| get(t, k).is_none()) {
                    self.err(
                        span.start,
                        format!("{ctx} needs one of: {}", TRACE_EXPECT_KEYS.join(", ")),
                    );
                    return None;
                }
                let path = get(t, "path")
                    .map(|v| self.path_kind(v, "path", paths))
                    .transpose_none();
                let include = get(t, "include_hops")
                    .map(|v| self.list(v, "include_hops", |cx, i| cx.ip(i, "include_hops")));
                let exclude = get(t, "exclude_hops")
                    .map(|v| self.list(v, "exclude_hops", |cx, i| cx.ip(i, "exclude_hops")));
                let reached = get(t, "reached")
                    .map(|v| self.bool(v, "reached"))
                    .transpose_none();
                Clause::Trace(TraceExpect {
                    path: path?,
                    include_hops: include.transpose_none()?.unwrap_or_default(),
                    exclude_hops: exclude.transpose_none()?.unwrap_or_default(),
                    reached: reached?,
                })
            }
        };
        Some(Expect {
            pos: self.lines.pos(span.start),
            clause,
        })
    }

    fn route_expect(
        &mut self,
        t: &DeTable<'_>,
        span: &Span,
        qname: QueryName,
        paths: &Paths,
    ) -> Option<RouteExpect> {
        let target = match (get(t, "prefix"), get(t, "more_specific_than")) {
            (Some(p), None) => self.prefix(p, "prefix").map(RouteTarget::Prefix),
            (None, Some(m)) => self
                .prefix(m, "more_specific_than")
                .map(RouteTarget::MoreSpecificThan),
            (Some(_), Some(m)) => {
                self.err(
                    m.span().start,
                    "give `prefix` or `more_specific_than`, not both",
                );
                None
            }
            (None, None) => {
                self.err(
                    span.start,
                    format!("an expect clause of `{qname}` needs `prefix` or `more_specific_than`"),
                );
                None
            }
        };
        let path = get(t, "path")
            .map(|v| self.path_kind(v, "path", paths))
            .transpose_none();
        let next_hop = get(t, "next_hop")
            .map(|v| {
                self.checked(
                    v,
                    "next_hop",
                    query::is_cli_word,
                    "an address or an interface name",
                )
            })
            .transpose_none();
        let protocol = get(t, "protocol")
            .map(|v| {
                self.checked(
                    v,
                    "protocol",
                    query::is_cli_word,
                    "a protocol name such as bgp or static",
                )
            })
            .transpose_none();
        let mut checks = Vec::new();
        let mut ok = true;
        let mut push = |c: Option<RouteCheck>| match c {
            Some(c) => checks.push(c),
            None => ok = false,
        };
        if let Some(v) = get(t, "present") {
            push(self.bool(v, "present").map(RouteCheck::Present));
        }
        if let Some(v) = get(t, "active_path") {
            if let Some(s) = key_span(t, "path") {
                self.err(s.start, "`active_path` looks at every path of the prefix: drop `path` (or use `active` to test the selected paths)");
                push(None);
            } else {
                push(
                    self.path_kind(v, "active_path", paths)
                        .map(RouteCheck::ActivePath),
                );
            }
        }
        if let Some(v) = get(t, "active") {
            push(self.bool(v, "active").map(RouteCheck::Active));
        }
        if let Some(v) = get(t, "local_pref") {
            push(self.uint(v, "local_pref").map(RouteCheck::LocalPref));
        }
        if let Some(v) = get(t, "as_path") {
            push(
                self.list(v, "as_path", |cx, i| cx.uint(i, "as_path"))
                    .map(RouteCheck::AsPath),
            );
        }
        if let Some(v) = get(t, "as_path_starts_with") {
            push(
                self.list(v, "as_path_starts_with", |cx, i| {
                    cx.uint(i, "as_path_starts_with")
                })
                .map(RouteCheck::AsPathStartsWith),
            );
        }
        if let Some(v) = get(t, "next_hop_in") {
            push(
                self.list(v, "next_hop_in", |cx, i| {
                    cx.checked(
                        i,
                        "next_hop_in",
                        query::is_cli_word,
                        "an address or an interface name",
                    )
                })
                .map(RouteCheck::NextHopIn),
            );
        }
        if let Some(v) = get(t, "at_least") {
            push(self.uint(v, "at_least").map(RouteCheck::AtLeast));
        }
        if checks.is_empty() && ok {
            checks.push(RouteCheck::Present(true));
        }
        let select = PathSelect {
            path: path?,
            next_hop: next_hop?,
            protocol: protocol?.map(|p| crate::model::route::protocol_name(&p).into_owned()),
        };
        if !ok {
            return None;
        }
        Some(RouteExpect {
            target: target?,
            select,
            checks,
        })
    }

    fn gate(&mut self, t: &DeTable<'_>, info: &mut StepInfo) -> Option<StepBody> {
        let v = get(t, "gate")?;
        let gt = self.table(v, "gate")?;
        let span = v.span();
        self.unknown_keys(gt, GATE_KEYS, "gate");
        let prompt = self.req_string(gt, &span, "prompt", "gate");
        let confirm = self.req_string(gt, &span, "confirm_text", "gate");
        let confirm = confirm.and_then(|(c, at)| {
            if c.trim().is_empty() {
                self.err(
                    at.start,
                    "gate `confirm_text` is empty: the operator must type something specific (e.g. the circuit name) to go on",
                );
                None
            } else {
                Some(c)
            }
        });
        let require = match self.opt_string(gt, "require") {
            Some((r, at)) if r == "prechecks" => {
                info.gate_require = Some(at);
                Some(Some(GateRequire::Prechecks))
            }
            Some((r, at)) => {
                self.err(
                    at.start,
                    format!("unknown gate requirement `{r}`; expected `prechecks`"),
                );
                None
            }
            None if get(gt, "require").is_some() => None,
            None => Some(None),
        };
        Some(StepBody::Gate(Gate {
            prompt: prompt?.0,
            confirm_text: confirm?,
            require: require?,
        }))
    }

    fn op(&mut self, v: &Val<'_>, what: &str) -> Option<(ActionOp, Span)> {
        let s = self.string(v, what)?;
        match ActionOp::parse(&s) {
            Some(op) => Some((op, v.span())),
            None => {
                let names = ActionOp::ALL.map(ActionOp::as_str);
                let msg = match suggest(&s, names) {
                    Some(g) => format!("unknown action `{s}` (did you mean `{g}`?)"),
                    None => format!(
                        "unknown action `{s}`; expected one of: {}",
                        names.join(", ")
                    ),
                };
                self.err(v.span().start, msg);
                None
            }
        }
    }

    fn action_body(
        &mut self,
        t: &DeTable<'_>,
        roles: &BTreeMap<String, Role>,
        paths: &Paths,
        info: &mut StepInfo,
    ) -> Option<StepBody> {
        let v = get(t, "action")?;
        let at = self.table(v, "action")?;
        let span = v.span();
        self.unknown_keys(at, ACTION_KEYS, "action");
        let op = match get(at, "op") {
            Some(ov) => self.op(ov, "op"),
            None => {
                self.err(span.start, "missing `op` in action");
                None
            }
        };
        info.action = op.clone();
        let op_name = op
            .as_ref()
            .map_or("the action".to_string(), |(o, _)| format!("action `{o}`"));
        let role = match self.req_string(at, &span, "role", "action") {
            Some((name, rat)) => match roles.get(&name) {
                Some(r) if r.platform == Platform::Azure => Some(r),
                Some(r) => {
                    self.err(
                        rat.start,
                        format!(
                            "{op_name} needs a role on platform `azure`; `{}` is `{}`",
                            r.name, r.platform
                        ),
                    );
                    None
                }
                None => {
                    self.undeclared_role(&name, rat.start, roles);
                    None
                }
            },
            None => None,
        };
        let mut names = Vec::new();
        for key in ["resource_group", "circuit", "peering"] {
            let name = match get(at, key) {
                Some(nv) => self.checked(nv, key, query::is_azure_name, "an Azure resource name"),
                None => {
                    match role.and_then(|r| r.azure.get(key)) {
                        Some(n) => Some(n.to_string()),
                        None => {
                            if let Some(r) = role {
                                self.err(span.start, format!("{op_name} needs `{key}` (on the action or on its role `{}`)", r.name));
                            }
                            None
                        }
                    }
                }
            };
            names.push(name);
        }
        let rollback = match get(at, "rollback") {
            Some(rv) => self.op(rv, "rollback").map(|(o, _)| o),
            None => {
                let msg = format!(
                    "{op_name} has no `rollback`: name the op that returns to a safe state (e.g. rollback = \"azure.peering.enable\")"
                );
                self.missing(at, &span, "rollback", &msg);
                None
            }
        };
        let deadline = match get(at, "deadline") {
            Some(dv) => self.duration(dv, "deadline"),
            None => {
                let msg = format!(
                    "{op_name} has no `deadline`: say how long the change may stand unconfirmed before it is rolled back (e.g. deadline = \"10m\")"
                );
                self.missing(at, &span, "deadline", &msg);
                None
            }
        };
        let verify = match get(t, "verify") {
            Some(vv) => self.verifies(vv, roles, paths),
            None => Some(Vec::new()),
        };
        let [rg, circuit, peering]: [Option<String>; 3] = names.try_into().ok()?;
        let (op, _) = op?;
        let target = PeeringRef {
            resource_group: rg?,
            circuit: circuit?,
            peering: peering?,
        };
        let rollback = rollback?;
        let action = Action {
            op,
            role: role?.name.clone(),
            command: render::action_call(op, &target).to_string(),
            rollback_command: render::action_call(rollback, &target).to_string(),
            target,
            rollback,
            deadline: deadline?,
        };
        Some(StepBody::Action(ActionStep {
            action,
            verify: verify?,
        }))
    }

    fn verifies(
        &mut self,
        v: &Val<'_>,
        roles: &BTreeMap<String, Role>,
        paths: &Paths,
    ) -> Option<Vec<Verify>> {
        let items = self.array(v, "verify")?;
        let mut out = Vec::new();
        let mut ok = true;
        for item in items {
            let Some(t) = self.table(item, "verify") else {
                ok = false;
                continue;
            };
            let span = item.span();
            self.unknown_keys(t, VERIFY_KEYS, "verify");
            let probe = match get(t, "probe") {
                Some(pv) => self.probe(pv, roles),
                None => {
                    self.err(span.start, "missing `probe` in verify");
                    None
                }
            };
            let expect = match (get(t, "expect"), &probe) {
                (Some(ev), Some((_, q))) => self.expects(ev, *q, paths),
                (Some(_), None) => None,
                (None, _) => {
                    self.err(span.start, "missing `expect` in verify");
                    None
                }
            };
            let within = match get(t, "within") {
                Some(wv) => self.duration(wv, "within"),
                None => {
                    self.err(
                        span.start,
                        "missing `within` in verify: how long may the change take to show?",
                    );
                    None
                }
            };
            let every = get(t, "every")
                .map(|e| self.duration(e, "every"))
                .transpose_none();
            match (probe.and_then(|p| p.0), expect, within, every) {
                (Some(probe), Some(expect), Some(within), Some(every)) => out.push(Verify {
                    probe,
                    expect,
                    within,
                    every,
                }),
                _ => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn record(&mut self, t: &DeTable<'_>) -> Option<StepBody> {
        let v = get(t, "record")?;
        let rt = self.table(v, "record")?;
        let span = v.span();
        self.unknown_keys(rt, RECORD_KEYS, "record");
        let next = match get(rt, "next_test_in") {
            Some(nv) => self.duration(nv, "next_test_in"),
            None => {
                self.err(span.start, "missing `next_test_in` in record");
                None
            }
        };
        let reminders = get(rt, "reminders")
            .map(|r| self.list(r, "reminders", |cx, i| cx.string(i, "reminders")));
        Some(StepBody::Record(Record {
            next_test_in: next?,
            reminders: reminders.transpose_none()?.unwrap_or_default(),
        }))
    }
}

/// A parameter as found: written on the probe, or inherited from the role.
enum ParamVal<'i> {
    Given(Val<'i>),
    FromRole(String),
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
mod tests {
    use super::*;
    use proptest::prelude::*;

    const FAILOVER: &str = include_str!("../../../../runbooks/er-vpn-failover.toml");
    const VALIDATE: &str = include_str!("../../../../runbooks/er-vpn-validate.toml");

    const BASE: &str = r#"
[runbook]
id = "t"
title = "t"

[vars]
msee = "192.168.11.18"
onprem = "10.1.11.0/25"

[roles.ce1]
platform = "junos"

[roles.azure]
platform = "azure"
resource_group = "rg"
gateway = "gw"
circuit = "ckt"
peering = "AzurePrivatePeering"
connection = "cn"

[paths.expressroute]
first_as = [12076]
trace_hops = ["192.168.11.18"]

[paths.vpn]
first_as = [65515]
trace_fallback = true
"#;

    fn load(extra: &str) -> Result<Runbook, Diagnostics> {
        build(&format!("{BASE}\n{extra}"), "t.toml", &BTreeMap::new())
    }

    fn messages(extra: &str) -> Vec<String> {
        match load(extra) {
            Ok(_) => Vec::new(),
            Err(d) => d.items.into_iter().map(|i| i.message).collect(),
        }
    }

    const CHECK: &str = r#"
[[step]]
id = "c"
title = "c"
phase = 1
why = "w"
probe = { role = "ce1", query = "bgp.advertised", peer = "${msee}" }
expect = [{ prefix = "${onprem}" }]
"#;

    const GATE: &str = r#"
[[step]]
id = "g"
title = "g"
phase = 3
why = "w"
gate = { prompt = "p", confirm_text = "ckt", require = "prechecks" }
"#;

    fn disable(id: &str) -> String {
        format!(
            r#"
[[step]]
id = "{id}"
title = "d"
phase = 3
why = "w"
action = {{ op = "azure.peering.disable", role = "azure", rollback = "azure.peering.enable", deadline = "10m" }}
"#
        )
    }

    #[test]
    fn the_failover_runbook_covers_the_whole_procedure() {
        let rb = build(FAILOVER, "f.toml", &BTreeMap::new()).expect("bundled runbook is valid");
        let s = rb.summary();
        assert_eq!((s.phases, s.gates, s.actions), (5, 1, 2));
        let cmd = |id: &str| {
            rb.step(id)
                .and_then(Step::rendered_command)
                .map(str::to_string)
        };
        assert_eq!(
            cmd("ce1-advertises-onprem").as_deref(),
            Some("show route advertising-protocol bgp 192.168.11.18")
        );
        assert_eq!(
            cmd("ce2-advertises-onprem").as_deref(),
            Some("show route advertising-protocol bgp 192.168.11.22")
        );
        assert_eq!(
            cmd("fw-prefers-er-for-hub").as_deref(),
            Some("show route table Cust11.inet.0 10.17.11.0/24")
        );
        assert_eq!(
            cmd("fw-receives-azure-from-vpn2").as_deref(),
            Some("show route receive-protocol bgp 10.17.11.77 table Cust11.inet.0")
        );
        assert_eq!(
            cmd("trace-before-failover").as_deref(),
            Some("traceroute -n 10.17.11.132")
        );

        let gate = rb
            .step("confirm-failover")
            .and_then(Step::gate)
            .expect("gate");
        assert_eq!(gate.confirm_text, rb.vars["circuit"]);
        assert_eq!(gate.require, Some(GateRequire::Prechecks));

        let off = rb
            .step("disable-private-peering")
            .and_then(Step::action)
            .expect("action");
        assert_eq!(off.op, ActionOp::AzurePeeringDisable);
        assert_eq!(off.rollback, ActionOp::AzurePeeringEnable);
        assert_eq!(off.target.peering, "AzurePrivatePeering");
        assert_eq!(off.deadline.to_string(), "10m");
        assert!(off.rollback_command.contains("state=Enabled"));
        let StepBody::Action(a) = &rb
            .steps
            .iter()
            .find(|s| s.id == "disable-private-peering")
            .expect("step")
            .body
        else {
            panic!("not an action");
        };
        let Clause::Trace(t) = &a.verify[0].expect[0].clause else {
            panic!("not a trace clause")
        };
        assert_eq!(t.path, Some(PathKind::Vpn));
        assert_eq!(a.verify[0].within.to_string(), "1m");

        let last = rb.steps.last().expect("steps");
        assert_eq!(last.phase, Phase::Maintain);
        let StepBody::Record(r) = &last.body else {
            panic!("last step records the next test")
        };
        assert_eq!(r.next_test_in.to_string(), "90d");
        assert!(r.reminders.iter().any(|m| m.contains("BFD")));
        assert!(r.reminders.iter().any(|m| m.contains("alerts")));
        // Every disruptive action comes after a gate.
        let gate_at = rb
            .steps
            .iter()
            .position(|s| s.gate().is_some())
            .expect("gate");
        let off_at = rb
            .steps
            .iter()
            .position(|s| s.id == "disable-private-peering")
            .expect("action");
        assert!(gate_at < off_at);
        assert!(rb.steps.iter().all(|s| !s.why.trim().is_empty()));
    }

    #[test]
    fn the_validate_runbook_is_the_read_only_subset() {
        let rb = build(VALIDATE, "v.toml", &BTreeMap::new()).expect("bundled runbook is valid");
        let full = build(FAILOVER, "f.toml", &BTreeMap::new()).expect("bundled runbook is valid");
        assert!(rb.meta.read_only && rb.is_read_only());
        for step in &rb.steps {
            let twin = full
                .step(&step.id)
                .or_else(|| {
                    full.step("trace-before-failover")
                        .filter(|_| step.id == "trace-crosses-er")
                })
                .expect("every validate step exists in the failover runbook");
            assert_eq!(step.probe(), twin.probe(), "{}", step.id);
        }
        let phase_1_2 = full
            .steps
            .iter()
            .filter(|s| s.phase <= Phase::ValidateVpn)
            .count();
        assert_eq!(
            rb.steps
                .iter()
                .filter(|s| s.phase <= Phase::ValidateVpn)
                .count(),
            phase_1_2
        );
    }

    #[test]
    fn azure_names_come_from_the_role_unless_the_probe_names_them() {
        let rb = load(
            r#"
[[step]]
id = "a"
title = "a"
phase = 2
why = "w"
probe = { role = "azure", query = "azure.learned_routes" }
expect = [{ prefix = "${onprem}", path = "vpn" }]

[[step]]
id = "b"
title = "b"
phase = 2
why = "w"
probe = { role = "azure", query = "azure.bgp_peers", gateway = "other-gw" }
expect = [{ state = "Connected", at_least = 2 }]
"#,
        )
        .expect("valid");
        assert!(matches!(&rb.steps[0].probe().expect("probe").query,
            Query::AzureLearnedRoutes { gateway } if gateway.gateway == "gw" && gateway.resource_group == "rg"));
        assert!(matches!(&rb.steps[1].probe().expect("probe").query,
            Query::AzureBgpPeers { gateway } if gateway.gateway == "other-gw"));
    }

    #[test]
    fn overrides_replace_vars_literally() {
        let mut o = BTreeMap::new();
        o.insert("msee".to_string(), "192.168.11.22".to_string());
        let rb = build(&format!("{BASE}{CHECK}"), "t.toml", &o).expect("valid");
        assert_eq!(
            rb.steps[0].rendered_command(),
            Some("show route advertising-protocol bgp 192.168.11.22")
        );
        o.insert("msee".to_string(), "${onprem}".to_string());
        let err = build(&format!("{BASE}{CHECK}"), "t.toml", &o)
            .expect_err("a literal `${` is no address");
        assert!(
            err.to_string()
                .contains("must be an IP address, not `${onprem}`"),
            "{err}"
        );
    }

    #[test]
    fn dollar_escapes_and_phase_names() {
        let rb = load(
            r#"
[[step]]
id = "c"
title = "costs $$5, see $ckt"
phase = "validate-er"
why = "w"
probe = { role = "ce1", query = "bgp.advertised", peer = "${msee}" }
expect = [{ prefix = "${onprem}" }]
"#,
        )
        .expect("valid");
        assert_eq!(rb.steps[0].title, "costs $5, see $ckt");
        assert_eq!(rb.steps[0].phase, Phase::ValidateEr);
    }

    #[test]
    fn clause_forms_follow_the_query() {
        let m = messages(
            r#"
[[step]]
id = "c"
title = "c"
phase = 1
why = "w"
probe = { role = "ce1", query = "bgp.advertised", peer = "${msee}" }
expect = [{ prefix = "${onprem}", state = "Up" }]
"#,
        );
        assert_eq!(
            m,
            [
                "unknown key `state` in an expect clause of `bgp.advertised`; expected one of: prefix, more_specific_than, path, next_hop, protocol, present, active_path, active, local_pref, as_path, as_path_starts_with, next_hop_in, at_least"
            ]
        );
        let m = messages(
            r#"
[[step]]
id = "c"
title = "c"
phase = 1
why = "w"
probe = { role = "ce1", query = "route.table", table = "T" }
expect = [{ prefix = "${onprem}", path = "vpn", active_path = "vpn" }, { prefix = "${onprem}", path = "vnp" }, { at_least = 1 }]
"#,
        );
        assert_eq!(
            m,
            [
                "`active_path` looks at every path of the prefix: drop `path` (or use `active` to test the selected paths)",
                "unknown path kind `vnp` (did you mean `vpn`?)",
                "an expect clause of `route.table` needs `prefix` or `more_specific_than`",
            ]
        );
    }

    #[test]
    fn a_step_does_exactly_one_thing() {
        let m = messages(
            r#"
[[step]]
id = "x"
title = "x"
phase = 3
why = "w"
probe = { role = "ce1", query = "bfd.sessions" }
gate = { prompt = "p", confirm_text = "c" }
"#,
        );
        assert_eq!(
            m,
            ["step `x` has both `probe` and `gate`: a step does exactly one thing"]
        );
        let m = messages(
            r#"
[[step]]
id = "x"
title = "x"
phase = 1
why = "w"
probe = { role = "ce1", query = "bfd.sessions" }
verify = []
"#,
        );
        assert_eq!(
            m,
            [
                "step `x` probes but expects nothing: add `expect = [ ... ]`",
                "`verify` goes with `action`, but step `x` has `probe`",
            ]
        );
    }

    #[test]
    fn each_disruptive_action_needs_its_own_gate() {
        assert!(load(&format!("{CHECK}{GATE}{}", disable("d1"))).is_ok());
        let m = messages(&format!("{CHECK}{GATE}{}{}", disable("d1"), disable("d2")));
        assert_eq!(
            m,
            [
                "disruptive action `azure.peering.disable` is not preceded by a gate: add a step with `gate = { ... }` before it"
            ]
        );
        let m = messages(&format!("{GATE}{}", disable("d1")));
        assert_eq!(
            m,
            ["the gate requires prechecks, but no check step comes before it"]
        );
    }

    #[test]
    fn paths_must_be_declared_and_have_one_fallback() {
        let rb = build(
            r#"
[runbook]
id = "t"
title = "t"
[roles.s]
platform = "linux"
[paths.vpn]
trace_fallback = true
[[step]]
id = "t"
title = "t"
phase = 3
why = "w"
probe = { role = "s", query = "trace", target = "10.17.11.132" }
expect = [{ path = "expressroute" }, { path = "unknown" }]
"#,
            "t.toml",
            &BTreeMap::new(),
        );
        let err = rb.expect_err("expressroute is not declared");
        assert_eq!(
            err.lines(),
            ["t.toml:15:20: path `expressroute` is not declared: add [paths.expressroute]"]
        );
        let two = BASE.replace("trace_hops = [\"192.168.11.18\"]", "trace_fallback = true");
        let err =
            build(&format!("{two}{CHECK}"), "t.toml", &BTreeMap::new()).expect_err("two fallbacks");
        assert!(
            err.to_string()
                .contains("only one path may be the trace fallback"),
            "{err}"
        );
    }

    #[test]
    fn device_parameters_cannot_smuggle_commands() {
        let m = messages(
            r#"
[[step]]
id = "c"
title = "c"
phase = 1
why = "w"
probe = { role = "ce1", query = "route.table", table = "Cust11.inet.0 | save /tmp/x" }
expect = [{ prefix = "${onprem}" }]
"#,
        );
        assert_eq!(
            m,
            [
                "`table` must be one word (letters, digits, . _ - : /), not `Cust11.inet.0 | save /tmp/x`"
            ]
        );
    }

    #[test]
    fn missing_sections_are_reported() {
        let err = build("", "e.toml", &BTreeMap::new()).expect_err("empty");
        assert_eq!(
            err.lines(),
            [
                "e.toml:1:1: missing [runbook] table (id, title, ...)",
                "e.toml:1:1: the runbook has no [[step]]"
            ]
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn never_panics_on_any_text(s in "\\PC{0,200}") {
            let _ = build(&s, "p.toml", &BTreeMap::new());
        }

        #[test]
        fn never_panics_on_a_damaged_runbook(cut in 0usize..FAILOVER.len(), len in 0usize..40, junk in "\\PC{0,8}") {
            let mut text = String::with_capacity(FAILOVER.len());
            let start = (0..=cut).rev().find(|i| FAILOVER.is_char_boundary(*i)).unwrap_or(0);
            let end = (start + len..=FAILOVER.len()).find(|i| FAILOVER.is_char_boundary(*i)).unwrap_or(FAILOVER.len());
            text.push_str(&FAILOVER[..start]);
            text.push_str(&junk);
            text.push_str(&FAILOVER[end..]);
            if let Err(d) = build(&text, "p.toml", &BTreeMap::new()) {
                prop_assert!(!d.items.is_empty());
                prop_assert!(d.items.iter().all(|i| i.pos.is_some_and(|p| p.line >= 1 && p.col >= 1)));
            }
        }
    }
}
