//! Expect clauses, whose form follows what the probed query returns.

use toml::de::DeTable;

use super::{Cx, Span, TransposeNone, Val, get, key_span};
use crate::runbook::model::{
    Clause, Expect, PathSelect, Paths, RouteCheck, RouteExpect, RouteTarget, StateExpect,
    TraceExpect,
};
use crate::runbook::query::{self, QueryName, ResultKind};

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

impl Cx<'_> {
    pub(super) fn expects(
        &mut self,
        v: &Val<'_>,
        qname: QueryName,
        paths: &Paths,
    ) -> Option<Vec<Expect>> {
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
}
