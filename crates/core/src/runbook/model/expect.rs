//! What a probe's answer must show: one clause per query result kind, and
//! how an operator reads each aloud.

use std::fmt;
use std::net::IpAddr;

use serde::Serialize;

use super::PathKind;
use crate::model::Prefix;
use crate::runbook::diag::Pos;

/// this fail" and for error messages).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Expect {
    pub pos: Pos,
    pub clause: Clause,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "form", rename_all = "snake_case")]
pub enum Clause {
    Route(RouteExpect),
    State(StateExpect),
    Trace(TraceExpect),
}

/// About the paths of one prefix (or of the prefixes more specific than one)
/// in a route list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteExpect {
    pub target: RouteTarget,
    pub select: PathSelect,
    /// All must hold; never empty (a clause without an explicit check means
    /// `present = true`).
    pub checks: Vec<RouteCheck>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteTarget {
    /// Paths whose prefix is exactly this one.
    Prefix(Prefix),
    /// Paths whose prefix lies strictly inside this one.
    MoreSpecificThan(Prefix),
}

/// Narrows the paths of the target before the checks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PathSelect {
    /// Only paths classified as this kind.
    pub path: Option<PathKind>,
    /// Only paths with this next hop.
    pub next_hop: Option<String>,
    /// Only paths of this protocol (lower case, as `cutover parse` prints it).
    pub protocol: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteCheck {
    /// At least one selected path (true) or none (false).
    Present(bool),
    /// The active path of the prefix (all its paths, whatever the
    /// selection) is of this kind; fails when none is active.
    ActivePath(PathKind),
    /// Every selected path is (not) the active one.
    Active(bool),
    /// Every selected path has this local preference.
    LocalPref(u32),
    /// Every selected path has exactly this AS path.
    AsPath(Vec<u32>),
    /// Every selected path's AS path starts with these AS numbers.
    AsPathStartsWith(Vec<u32>),
    /// Every selected path has next hops, all of them in this set.
    NextHopIn(Vec<String>),
    // `Active` to `NextHopIn` also fail when no path is selected: "every"
    // over nothing would pass a check on a route that vanished.
    /// At least this many selected paths.
    AtLeast(u32),
}

/// About things with a state: peers, sessions, SAs, one Azure resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StateExpect {
    /// Only the item for this peer (address or name); every item otherwise.
    pub peer: Option<String>,
    /// The state they must be in (compared without regard to case).
    pub state: Option<String>,
    /// At least this many items (in `state`, when given). Without it, every
    /// item must be in `state` and there must be at least one.
    pub at_least: Option<u32>,
}

/// About a traceroute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TraceExpect {
    pub path: Option<PathKind>,
    pub include_hops: Vec<IpAddr>,
    pub exclude_hops: Vec<IpAddr>,
    pub reached: Option<bool>,
}

/// `present`, `absent`, ...: a clause as an operator would read it aloud.
impl fmt::Display for Clause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Clause::Route(r) => {
                match r.target {
                    RouteTarget::Prefix(p) => write!(f, "{p}")?,
                    RouteTarget::MoreSpecificThan(p) => {
                        write!(f, "prefixes more specific than {p}")?
                    }
                }
                if let Some(k) = r.select.path {
                    write!(f, " via {k}")?;
                }
                if let Some(nh) = &r.select.next_hop {
                    write!(f, " next hop {nh}")?;
                }
                if let Some(p) = &r.select.protocol {
                    write!(f, " from {p}")?;
                }
                for (i, c) in r.checks.iter().enumerate() {
                    f.write_str(if i == 0 { ": " } else { ", " })?;
                    match c {
                        RouteCheck::Present(true) => f.write_str("present")?,
                        RouteCheck::Present(false) => f.write_str("absent")?,
                        RouteCheck::ActivePath(k) => write!(f, "active path {k}")?,
                        RouteCheck::Active(true) => f.write_str("active")?,
                        RouteCheck::Active(false) => f.write_str("not active")?,
                        RouteCheck::LocalPref(n) => write!(f, "local-pref {n}")?,
                        RouteCheck::AsPath(p) => write!(f, "AS path [{}]", join(p))?,
                        RouteCheck::AsPathStartsWith(p) => {
                            write!(f, "AS path starts [{}]", join(p))?
                        }
                        RouteCheck::NextHopIn(s) => write!(f, "next hop in [{}]", s.join(", "))?,
                        RouteCheck::AtLeast(n) => write!(f, "at least {n} paths")?,
                    }
                }
                Ok(())
            }
            Clause::State(s) => {
                match &s.peer {
                    Some(p) => write!(f, "peer {p}")?,
                    None => f.write_str("all")?,
                }
                if let Some(st) = &s.state {
                    write!(f, " {st}")?;
                }
                if let Some(n) = s.at_least {
                    write!(f, " (at least {n})")?;
                }
                Ok(())
            }
            Clause::Trace(t) => {
                f.write_str("trace")?;
                if let Some(k) = t.path {
                    write!(f, " via {k}")?;
                }
                if !t.include_hops.is_empty() {
                    write!(f, " through {}", join(&t.include_hops))?;
                }
                if !t.exclude_hops.is_empty() {
                    write!(f, " not through {}", join(&t.exclude_hops))?;
                }
                match t.reached {
                    Some(true) => f.write_str(", target reached")?,
                    Some(false) => f.write_str(", target not reached")?,
                    None => {}
                }
                Ok(())
            }
        }
    }
}

fn join<T: fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}
