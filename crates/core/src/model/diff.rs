//! Before/after comparisons of route tables and traceroutes, in a form the
//! journal and the report can store.

use serde::{Deserialize, Serialize};

use super::analysis::PathView;
use super::path::{PathClassifier, PathKind, TraceClass};
use super::prefix::Prefix;
use super::table::{Route, RouteTable};
use super::trace::Trace;

/// A path that appeared or disappeared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathChange {
    pub prefix: Prefix,
    pub path: PathView,
}

/// A prefix whose active path is not the same path any more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveChange {
    pub prefix: Prefix,
    pub before: Option<PathView>,
    pub after: Option<PathView>,
}

impl ActiveChange {
    pub fn kind_before(&self) -> Option<PathKind> {
        self.before.as_ref().map(|p| p.kind)
    }

    pub fn kind_after(&self) -> Option<PathKind> {
        self.after.as_ref().map(|p| p.kind)
    }
}

/// What changed between two captures of a table.
///
/// Two paths are the same path when every attribute but `active` is equal
/// (protocol, preference, local-pref, MED, origin, AS path, next-hop set,
/// peer); a path whose local-pref changed is one removed and one added. The
/// active path is the one the device marked: a capture that marks none has
/// no active path (this is an observation, not a prediction).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableDiff {
    pub added: Vec<PathChange>,
    pub removed: Vec<PathChange>,
    pub active_changed: Vec<ActiveChange>,
}

impl TableDiff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.active_changed.is_empty()
    }

    pub fn active_change(&self, prefix: &Prefix) -> Option<&ActiveChange> {
        self.active_changed.iter().find(|c| c.prefix == *prefix)
    }
}

/// Diffs two tables in one merge walk over their sorted prefixes.
pub fn diff_tables(
    before: &RouteTable,
    after: &RouteTable,
    classifier: &PathClassifier,
) -> TableDiff {
    let mut out = TableDiff::default();
    let mut a = before.prefixes().peekable();
    let mut b = after.prefixes().peekable();
    loop {
        let (prefix, old, new): (Prefix, &[Route], &[Route]) = match (a.peek(), b.peek()) {
            (None, None) => break,
            (Some(&(pa, ra)), None) => {
                a.next();
                (pa, ra, &[])
            }
            (None, Some(&(pb, rb))) => {
                b.next();
                (pb, &[], rb)
            }
            (Some(&(pa, ra)), Some(&(pb, rb))) => match pa.cmp(&pb) {
                std::cmp::Ordering::Less => {
                    a.next();
                    (pa, ra, &[])
                }
                std::cmp::Ordering::Greater => {
                    b.next();
                    (pb, &[], rb)
                }
                std::cmp::Ordering::Equal => {
                    a.next();
                    b.next();
                    (pa, ra, rb)
                }
            },
        };
        diff_prefix(before, after, classifier, prefix, old, new, &mut out);
    }
    out
}

fn diff_prefix(
    before: &RouteTable,
    after: &RouteTable,
    classifier: &PathClassifier,
    prefix: Prefix,
    old: &[Route],
    new: &[Route],
    out: &mut TableDiff,
) {
    // A prefix has a handful of paths, so pairing them is quadratic on
    // purpose; `matched` keeps duplicates paired one to one.
    let mut matched = vec![false; new.len()];
    for o in old {
        let ov = before.view(o);
        let hit = new.iter().enumerate().position(|(i, n)| {
            !matched.get(i).copied().unwrap_or(true) && ov.same_path(&after.view(n))
        });
        match hit.and_then(|i| matched.get_mut(i)) {
            Some(m) => *m = true,
            None => out.removed.push(PathChange {
                prefix,
                path: PathView::of(ov, classifier),
            }),
        }
    }
    for (n, m) in new.iter().zip(&matched) {
        if !m {
            out.added.push(PathChange {
                prefix,
                path: PathView::of(after.view(n), classifier),
            });
        }
    }
    let old_active = old.iter().find(|r| r.active()).map(|r| before.view(r));
    let new_active = new.iter().find(|r| r.active()).map(|r| after.view(r));
    let same = match (&old_active, &new_active) {
        (Some(x), Some(y)) => x.same_path(y),
        (None, None) => true,
        _ => false,
    };
    if !same {
        out.active_changed.push(ActiveChange {
            prefix,
            before: old_active.map(|v| PathView::of(v, classifier)),
            after: new_active.map(|v| PathView::of(v, classifier)),
        });
    }
}

/// An address seen at a TTL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HopAddress {
    pub ttl: u8,
    pub address: String,
}

/// What changed between two traceroutes to the same target.
///
/// Hops are compared by address, not by TTL: a path one hop shorter still
/// shares its first hop, and the hop that matters (the MSEE) is identified
/// by its address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceDiff {
    pub target_before: Option<String>,
    pub target_after: Option<String>,
    pub before: TraceClass,
    pub after: TraceClass,
    /// Addresses that answered before and not after, at their old TTL.
    pub lost: Vec<HopAddress>,
    /// Addresses that answered after and not before, at their new TTL.
    pub gained: Vec<HopAddress>,
    pub hops_before: usize,
    pub hops_after: usize,
}

impl TraceDiff {
    pub fn kind_before(&self) -> PathKind {
        self.before.kind
    }

    pub fn kind_after(&self) -> PathKind {
        self.after.kind
    }

    pub fn path_changed(&self) -> bool {
        self.before.kind != self.after.kind
    }

    pub fn lost_address(&self, address: &str) -> bool {
        self.lost.iter().any(|h| h.address == address)
    }

    pub fn gained_address(&self, address: &str) -> bool {
        self.gained.iter().any(|h| h.address == address)
    }
}

fn addresses(trace: &Trace) -> Vec<HopAddress> {
    let mut out: Vec<HopAddress> = Vec::new();
    for hop in &trace.hops {
        for a in &hop.addresses {
            let a = canonical(a);
            if !out.iter().any(|h| h.address == a) {
                out.push(HopAddress {
                    ttl: hop.ttl,
                    address: a,
                });
            }
        }
    }
    out
}

/// The same address printed two ways (`2001:DB8::1`, `2001:db8::1`)
/// compares equal; names are kept as they are.
fn canonical(a: &str) -> String {
    let a = a.trim();
    a.parse::<std::net::IpAddr>()
        .map_or_else(|_| a.to_string(), |ip| ip.to_string())
}

/// Diffs two traceroutes and classifies both.
pub fn diff_traces(before: &Trace, after: &Trace, classifier: &PathClassifier) -> TraceDiff {
    let old = addresses(before);
    let new = addresses(after);
    let lost = old
        .iter()
        .filter(|h| !new.iter().any(|n| n.address == h.address))
        .cloned()
        .collect();
    let gained = new
        .iter()
        .filter(|h| !old.iter().any(|o| o.address == h.address))
        .cloned()
        .collect();
    TraceDiff {
        target_before: before.target.clone(),
        target_after: after.target.clone(),
        before: classifier.explain_trace(before),
        after: classifier.explain_trace(after),
        lost,
        gained,
        hops_before: before.hops.len(),
        hops_after: after.hops.len(),
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::*;
    use crate::model::table::{NextHop, RouteSource};
    use crate::model::trace::Hop;

    fn p(s: &str) -> Prefix {
        s.parse().expect("prefix")
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("address")
    }

    fn classifier() -> PathClassifier {
        PathClassifier {
            er_next_hops: vec![ip("2001:db8:11::")],
            er_trace_hops: vec![ip("2001:db8:18::1")],
            ..PathClassifier::default()
        }
    }

    #[test]
    fn empty_tables_have_no_diff() {
        let e = RouteTable::empty("t");
        assert!(diff_tables(&e, &e, &classifier()).is_empty());
    }

    #[test]
    fn a_new_table_is_all_added() {
        let hops = [NextHop::addr(ip("2001:db8:11::"))];
        let t = RouteTable::from_sources(
            "inet6.0",
            [RouteSource {
                active: true,
                next_hops: Some(&hops),
                ..RouteSource::new(p("::/0"))
            }],
        )
        .expect("table");
        let d = diff_tables(&RouteTable::empty("inet6.0"), &t, &classifier());
        assert_eq!(d.added.len(), 1);
        assert!(d.removed.is_empty());
        let ch = d.active_change(&p("::/0")).expect("active appeared");
        assert_eq!(
            (ch.kind_before(), ch.kind_after()),
            (None, Some(PathKind::ExpressRoute))
        );
        let back = diff_tables(&t, &RouteTable::empty("inet6.0"), &classifier());
        assert_eq!(back.removed.len(), 1);
        assert_eq!(
            back.active_change(&p("::/0"))
                .and_then(ActiveChange::kind_after),
            None
        );
    }

    #[test]
    fn duplicate_paths_pair_one_to_one() {
        let src = RouteSource {
            protocol: Some("bgp"),
            ..RouteSource::new(p("10.0.0.0/8"))
        };
        let two = RouteTable::from_sources("t", [src, src]).expect("table");
        let one = RouteTable::from_sources("t", [src]).expect("table");
        let d = diff_tables(&two, &one, &classifier());
        assert_eq!((d.removed.len(), d.added.len()), (1, 0));
        assert!(d.active_changed.is_empty());
    }

    #[test]
    fn attribute_change_is_remove_and_add() {
        let a = RouteSource {
            local_pref: Some(150),
            active: true,
            ..RouteSource::new(p("10.0.0.0/8"))
        };
        let b = RouteSource {
            local_pref: Some(100),
            ..a
        };
        let before = RouteTable::from_sources("t", [a]).expect("table");
        let after = RouteTable::from_sources("t", [b]).expect("table");
        let d = diff_tables(&before, &after, &classifier());
        assert_eq!(
            (d.removed.len(), d.added.len(), d.active_changed.len()),
            (1, 1, 1)
        );
    }

    #[test]
    fn trace_diff_by_address_ipv6() {
        let hop = |ttl, a: &[&str]| Hop {
            ttl,
            addresses: a.iter().map(|s| s.to_string()).collect(),
            rtts_ms: vec![],
            timeout: a.is_empty(),
        };
        let before = Trace {
            target: Some("2001:db8:17::132".into()),
            hops: vec![
                hop(1, &["2001:db8:1::1"]),
                hop(2, &["2001:DB8:18::1"]),
                hop(3, &["2001:db8:17::132"]),
            ],
        };
        let after = Trace {
            target: Some("2001:db8:17::132".into()),
            hops: vec![
                hop(1, &["2001:db8:1::1"]),
                hop(2, &[]),
                hop(3, &["2001:db8:99::1"]),
                hop(4, &["2001:db8:17::132"]),
            ],
        };
        let d = diff_traces(&before, &after, &classifier());
        assert!(d.lost_address("2001:db8:18::1"));
        assert!(d.gained_address("2001:db8:99::1"));
        assert_eq!(d.gained.first().map(|h| h.ttl), Some(3));
        assert_eq!(
            (d.kind_before(), d.kind_after()),
            (PathKind::ExpressRoute, PathKind::Vpn)
        );
        assert_eq!((d.hops_before, d.hops_after), (3, 4));
        let empty = Trace {
            target: None,
            hops: vec![],
        };
        let d = diff_traces(&empty, &empty, &classifier());
        assert!(d.lost.is_empty() && d.gained.is_empty() && !d.path_changed());
    }
}
