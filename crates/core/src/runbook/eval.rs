//! Expectations against parsed answers: pure functions, so that the engine,
//! the lab's self-tests and a replay all judge a probe the same way.
//!
//! The semantics are the ones runbooks/README.md promises operators; each
//! verdict carries a sentence saying what was seen, for the console and the
//! journal.

use std::net::IpAddr;

use super::model::{
    PathKind, PathRules, Paths, RouteCheck, RouteExpect, RouteTarget, StateExpect, TraceExpect,
};
use crate::model::{ParsedRoute, Prefix, Trace};

/// Whether an expectation held, and what was seen.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Verdict {
    pub passed: bool,
    pub detail: String,
}

impl Verdict {
    fn pass(detail: impl Into<String>) -> Self {
        Self {
            passed: true,
            detail: detail.into(),
        }
    }
    fn fail(detail: impl Into<String>) -> Self {
        Self {
            passed: false,
            detail: detail.into(),
        }
    }
}

/// One item of a state list, whatever produced it (a BGP or BFD peer, an
/// IKE SA, an IPsec tunnel, an Azure BGP peer or resource).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateItem<'a> {
    pub peer: Option<&'a str>,
    pub state: Option<&'a str>,
}

fn same_addr(a: &str, b: &str) -> bool {
    match (a.parse::<IpAddr>(), b.parse::<IpAddr>()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a.eq_ignore_ascii_case(b),
    }
}

fn route_prefix(r: &ParsedRoute<'_>) -> Option<Prefix> {
    Prefix::parse_lenient(&r.prefix).ok().map(|(p, _)| p)
}

fn hops<'r>(r: &'r ParsedRoute<'_>) -> Vec<&'r str> {
    r.next_hops.iter().flatten().map(|h| h.as_ref()).collect()
}

/// Judges a route-list clause against the paths of one probe.
pub fn eval_routes(e: &RouteExpect, routes: &[ParsedRoute<'_>], paths: &Paths) -> Verdict {
    eval_routes_with(e, routes, &paths.rules())
}

/// [`eval_routes`] with the classifier built once by the caller (the engine
/// judges several clauses against one answer).
pub fn eval_routes_with(e: &RouteExpect, routes: &[ParsedRoute<'_>], paths: &PathRules) -> Verdict {
    let in_target = |r: &&ParsedRoute<'_>| match (e.target, route_prefix(r)) {
        (RouteTarget::Prefix(t), Some(p)) => p == t,
        (RouteTarget::MoreSpecificThan(t), Some(p)) => p != t && t.contains(&p),
        (_, None) => false,
    };
    let target: Vec<&ParsedRoute<'_>> = routes.iter().filter(in_target).collect();
    let picked: Vec<&ParsedRoute<'_>> = target
        .iter()
        .copied()
        .filter(|r| e.select.path.is_none_or(|k| paths.classify_route(r) == k))
        .filter(|r| {
            e.select
                .next_hop
                .as_deref()
                .is_none_or(|nh| hops(r).iter().any(|h| same_addr(h, nh)))
        })
        .filter(|r| {
            e.select
                .protocol
                .as_deref()
                .is_none_or(|p| r.protocol.as_deref() == Some(p))
        })
        .collect();
    let what = match e.target {
        RouteTarget::Prefix(p) => p.to_string(),
        RouteTarget::MoreSpecificThan(p) => format!("more specific than {p}"),
    };
    let mut seen = Vec::new();
    for check in &e.checks {
        let v = route_check(check, &target, &picked, paths);
        if !v.passed {
            return Verdict::fail(format!("{what}: {}", v.detail));
        }
        seen.push(v.detail);
    }
    Verdict::pass(format!("{what}: {}", seen.join("; ")))
}

fn route_check(
    c: &RouteCheck,
    target: &[&ParsedRoute<'_>],
    picked: &[&ParsedRoute<'_>],
    paths: &PathRules,
) -> Verdict {
    let n = picked.len();
    let none = || Verdict::fail("no matching path");
    match c {
        RouteCheck::Present(true) if n > 0 => Verdict::pass(format!("{n} matching path(s)")),
        RouteCheck::Present(true) => none(),
        RouteCheck::Present(false) if n == 0 => Verdict::pass("no matching path"),
        RouteCheck::Present(false) => {
            let list: Vec<&str> = picked.iter().map(|r| r.prefix.as_ref()).collect();
            Verdict::fail(format!("{n} matching path(s): {}", list.join(", ")))
        }
        RouteCheck::ActivePath(kind) => {
            let actives: Vec<PathKind> = target
                .iter()
                .filter(|r| r.active)
                .map(|r| paths.classify_route(r))
                .collect();
            match actives.as_slice() {
                [] => Verdict::fail("no active path"),
                ks if ks.iter().all(|k| k == kind) => Verdict::pass(format!("active path {kind}")),
                ks => Verdict::fail(format!(
                    "active path {}, expected {kind}",
                    ks.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
                )),
            }
        }
        _ if n == 0 => none(),
        RouteCheck::Active(want) => match picked.iter().position(|r| r.active != *want) {
            None if *want => Verdict::pass("active"),
            None => Verdict::pass(format!("{n} inactive path(s)")),
            Some(i) => Verdict::fail(format!(
                "path {} of {n} is {}",
                i + 1,
                if *want { "not active" } else { "active" }
            )),
        },
        RouteCheck::LocalPref(want) => match picked.iter().find(|r| r.local_pref != Some(*want)) {
            None => Verdict::pass(format!("local-pref {want} on {n} path(s)")),
            Some(r) => Verdict::fail(match r.local_pref {
                Some(lp) => format!("a path has local-pref {lp}, expected {want}"),
                None => format!("a path shows no local-pref, expected {want}"),
            }),
        },
        RouteCheck::AsPath(want) => match picked
            .iter()
            .find(|r| r.as_path.as_deref() != Some(want.as_slice()))
        {
            None => Verdict::pass(format!("AS path {want:?}")),
            Some(r) => Verdict::fail(format!(
                "a path has AS path {:?}, expected {want:?}",
                r.as_path
            )),
        },
        RouteCheck::AsPathStartsWith(want) => {
            match picked
                .iter()
                .find(|r| !r.as_path.as_deref().is_some_and(|p| p.starts_with(want)))
            {
                None => Verdict::pass(format!("AS path starts {want:?}")),
                Some(r) => Verdict::fail(format!(
                    "a path has AS path {:?}, expected it to start {want:?}",
                    r.as_path
                )),
            }
        }
        RouteCheck::NextHopIn(set) => {
            let bad = picked.iter().find(|r| {
                let h = hops(r);
                h.is_empty() || !h.iter().all(|nh| set.iter().any(|s| same_addr(s, nh)))
            });
            match bad {
                None => Verdict::pass("next hops as expected"),
                Some(r) => Verdict::fail(format!("a path has next hops [{}]", hops(r).join(", "))),
            }
        }
        RouteCheck::AtLeast(want) if n >= *want as usize => Verdict::pass(format!("{n} path(s)")),
        RouteCheck::AtLeast(want) => {
            Verdict::fail(format!("{n} path(s), expected at least {want}"))
        }
    }
}

/// Judges a state-list clause.
pub fn eval_states(e: &StateExpect, items: &[StateItem<'_>]) -> Verdict {
    let picked: Vec<&StateItem<'_>> = items
        .iter()
        .filter(|i| {
            e.peer
                .as_deref()
                .is_none_or(|p| i.peer.is_some_and(|q| same_addr(p, q)))
        })
        .collect();
    let who = e
        .peer
        .as_deref()
        .map_or_else(|| "items".to_string(), |p| format!("peer {p}"));
    let in_state = |i: &&&StateItem<'_>| {
        e.state
            .as_deref()
            .is_none_or(|s| i.state.is_some_and(|t| t.eq_ignore_ascii_case(s)))
    };
    let states = || {
        picked
            .iter()
            .map(|i| i.state.unwrap_or("?"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match e.at_least {
        Some(n) => {
            let count = picked.iter().filter(in_state).count();
            if count >= n as usize {
                Verdict::pass(format!(
                    "{count} {who} {}",
                    e.state.as_deref().unwrap_or("found")
                ))
            } else {
                Verdict::fail(format!(
                    "{count} {who} {}, expected at least {n} (seen: {})",
                    e.state.as_deref().unwrap_or("found"),
                    states()
                ))
            }
        }
        None if picked.is_empty() => Verdict::fail(format!("no {who}")),
        None if picked.iter().all(|i| in_state(&i)) => {
            Verdict::pass(format!("{who} {}", e.state.as_deref().unwrap_or("found")))
        }
        None => Verdict::fail(format!(
            "{who} {}, expected {}",
            states(),
            e.state.as_deref().unwrap_or("?")
        )),
    }
}

/// Judges a traceroute clause.
pub fn eval_trace(e: &TraceExpect, trace: &Trace, paths: &Paths) -> Verdict {
    eval_trace_with(e, trace, &paths.rules())
}

/// [`eval_trace`] with the classifier built once by the caller.
pub fn eval_trace_with(e: &TraceExpect, trace: &Trace, paths: &PathRules) -> Verdict {
    let class = paths.explain_trace(trace);
    let seen: Vec<IpAddr> = trace
        .hops
        .iter()
        .flat_map(|h| h.addresses.iter())
        .filter_map(|a| a.parse().ok())
        .collect();
    let mut said = Vec::new();
    if let Some(want) = e.path {
        let got = class.kind;
        if got != want {
            return Verdict::fail(format!("path {got}, expected {want}"));
        }
        said.push(format!("path {got}"));
    }
    if let Some(missing) = e.include_hops.iter().find(|h| !seen.contains(h)) {
        return Verdict::fail(format!("no hop {missing}"));
    }
    if let Some(found) = e.exclude_hops.iter().find(|h| seen.contains(h)) {
        return Verdict::fail(format!("went through {found}"));
    }
    if !e.include_hops.is_empty() || !e.exclude_hops.is_empty() {
        said.push("hops as expected".to_string());
    }
    if let Some(want) = e.reached {
        let got = class.reached;
        if got != want {
            return Verdict::fail(if got {
                "target answered"
            } else {
                "target did not answer"
            });
        }
        said.push(
            if got {
                "target answered"
            } else {
                "target did not answer"
            }
            .to_string(),
        );
    }
    Verdict::pass(said.join("; "))
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::model::Hop;
    use crate::runbook::model::{PathDef, PathSelect};

    fn paths() -> Paths {
        Paths {
            defs: vec![
                PathDef {
                    kind: PathKind::ExpressRoute,
                    description: None,
                    next_hops: vec!["192.168.11.0".into(), "192.168.11.2".into()],
                    first_as: vec![12076],
                    trace_hops: vec!["192.168.11.18".parse().expect("addr")],
                    trace_fallback: false,
                },
                PathDef {
                    kind: PathKind::Vpn,
                    description: None,
                    next_hops: vec!["10.17.11.76".into(), "10.17.11.77".into()],
                    first_as: vec![65515],
                    trace_hops: vec![],
                    trace_fallback: true,
                },
            ],
        }
    }

    fn route(
        prefix: &'static str,
        active: bool,
        lp: u32,
        asp: &[u32],
        nh: &[&'static str],
    ) -> ParsedRoute<'static> {
        ParsedRoute {
            prefix: Cow::Borrowed(prefix),
            protocol: Some(Cow::Borrowed("bgp")),
            active,
            preference: Some(170),
            local_pref: Some(lp),
            as_path: Some(asp.to_vec()),
            next_hops: Some(nh.iter().map(|h| Cow::Borrowed(*h)).collect()),
            table: Some(Cow::Borrowed("Cust11.inet.0")),
            ..ParsedRoute::default()
        }
    }

    /// The firewall's table for the hub as the article shows it.
    fn article_hub() -> Vec<ParsedRoute<'static>> {
        vec![
            route(
                "10.17.11.0/25",
                true,
                150,
                &[12076],
                &["192.168.11.0", "192.168.11.2"],
            ),
            route("10.17.11.0/25", false, 150, &[12076], &["192.168.11.2"]),
            route("10.17.11.0/25", false, 100, &[65515], &[]),
            route("10.17.11.0/25", false, 100, &[65515], &[]),
        ]
    }

    fn hub(select: PathSelect, checks: Vec<RouteCheck>) -> RouteExpect {
        RouteExpect {
            target: RouteTarget::Prefix("10.17.11.0/25".parse().expect("prefix")),
            select,
            checks,
        }
    }

    fn via(kind: PathKind) -> PathSelect {
        PathSelect {
            path: Some(kind),
            ..PathSelect::default()
        }
    }

    #[test]
    fn the_articles_table_passes_the_steady_state_checks() {
        let t = article_hub();
        let p = paths();
        let ok = |e: RouteExpect| {
            let v = eval_routes(&e, &t, &p);
            assert!(v.passed, "{}", v.detail);
        };
        ok(hub(
            PathSelect::default(),
            vec![RouteCheck::ActivePath(PathKind::ExpressRoute)],
        ));
        ok(hub(
            via(PathKind::ExpressRoute),
            vec![RouteCheck::LocalPref(150), RouteCheck::AtLeast(2)],
        ));
        ok(hub(
            via(PathKind::Vpn),
            vec![
                RouteCheck::LocalPref(100),
                RouteCheck::Active(false),
                RouteCheck::AsPath(vec![65515]),
            ],
        ));
        ok(hub(
            via(PathKind::ExpressRoute),
            vec![RouteCheck::NextHopIn(vec![
                "192.168.11.0".into(),
                "192.168.11.2".into(),
            ])],
        ));
    }

    #[test]
    fn a_ce_without_local_pref_150_fails() {
        let mut t = article_hub();
        t[1].local_pref = Some(100);
        let v = eval_routes(
            &hub(
                via(PathKind::ExpressRoute),
                vec![RouteCheck::LocalPref(150)],
            ),
            &t,
            &paths(),
        );
        assert!(!v.passed);
        assert_eq!(
            v.detail,
            "10.17.11.0/25: a path has local-pref 100, expected 150"
        );
    }

    #[test]
    fn after_failover_the_vpn_is_active() {
        let t = vec![
            route("10.17.11.0/25", true, 100, &[65515], &[]),
            route("10.17.11.0/25", false, 100, &[65515], &[]),
        ];
        let p = paths();
        assert!(
            eval_routes(
                &hub(
                    PathSelect::default(),
                    vec![RouteCheck::ActivePath(PathKind::Vpn)]
                ),
                &t,
                &p
            )
            .passed
        );
        let v = eval_routes(
            &hub(
                PathSelect::default(),
                vec![RouteCheck::ActivePath(PathKind::ExpressRoute)],
            ),
            &t,
            &p,
        );
        assert_eq!(
            v.detail,
            "10.17.11.0/25: active path vpn, expected expressroute"
        );
    }

    #[test]
    fn more_specific_vpn_routes_are_found() {
        let mut t = article_hub();
        t.push(route(
            "10.17.11.0/26",
            true,
            100,
            &[65515],
            &["10.17.11.76"],
        ));
        let e = RouteExpect {
            target: RouteTarget::MoreSpecificThan("10.17.11.0/25".parse().expect("prefix")),
            select: via(PathKind::Vpn),
            checks: vec![RouteCheck::Present(false)],
        };
        let v = eval_routes(&e, &t, &paths());
        assert_eq!(
            v.detail,
            "more specific than 10.17.11.0/25: 1 matching path(s): 10.17.11.0/26"
        );
        assert!(eval_routes(&e, &article_hub(), &paths()).passed);
    }

    #[test]
    fn states_by_peer_and_count() {
        let items = [
            StateItem {
                peer: Some("192.168.11.88"),
                state: Some("Connected"),
            },
            StateItem {
                peer: Some("192.168.11.88"),
                state: Some("connected"),
            },
            StateItem {
                peer: Some("10.17.11.77"),
                state: Some("Connecting"),
            },
        ];
        let e = |peer: Option<&str>, state: Option<&str>, at_least| StateExpect {
            peer: peer.map(str::to_string),
            state: state.map(str::to_string),
            at_least,
        };
        assert!(
            eval_states(
                &e(Some("192.168.11.88"), Some("Connected"), Some(2)),
                &items
            )
            .passed
        );
        assert!(
            !eval_states(
                &e(Some("192.168.11.88"), Some("Connected"), Some(3)),
                &items
            )
            .passed
        );
        assert!(!eval_states(&e(None, Some("Connected"), None), &items).passed);
        assert!(eval_states(&e(None, None, Some(3)), &items).passed);
        assert!(!eval_states(&e(Some("10.9.9.9"), Some("Up"), None), &items).passed);
    }

    #[test]
    fn traces_of_the_article() {
        let hop = |ttl, a: Option<&str>| Hop {
            ttl,
            addresses: a.map(|a| vec![a.to_string()]).unwrap_or_default(),
            rtts_ms: vec![],
            timeout: a.is_none(),
        };
        let vpn = Trace {
            target: Some("10.17.11.132".into()),
            hops: vec![
                hop(1, Some("10.1.11.1")),
                hop(2, None),
                hop(3, Some("10.17.11.132")),
            ],
        };
        let e = TraceExpect {
            path: Some(PathKind::Vpn),
            include_hops: vec![],
            exclude_hops: vec!["192.168.11.18".parse().expect("addr")],
            reached: Some(true),
        };
        let v = eval_trace(&e, &vpn, &paths());
        assert!(v.passed, "{}", v.detail);
        let er = TraceExpect {
            path: Some(PathKind::ExpressRoute),
            ..e
        };
        assert_eq!(
            eval_trace(&er, &vpn, &paths()).detail,
            "path vpn, expected expressroute"
        );
    }
}
