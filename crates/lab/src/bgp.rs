//! BGP as the lab needs it: paths with their attributes, the decision
//! process (Junos order, with Azure's weight in front), and a propagation to
//! a fixed point over the sessions that are up.
//!
//! The lab is small (eight speakers, a handful of prefixes), so every change
//! recomputes all tables from scratch; what matters is that the result is
//! what the real devices would hold, not how fast it is found.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::time::Duration;

use super::topology::{NextHop, Node};
use cutover_core::model::Prefix;

mod decision;
mod propagate;

pub use decision::{Step, compare};
pub use propagate::{Inputs, carry_over, converge, exported};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    Direct,
    Local,
    Static,
    Bgp,
    /// Azure's own address spaces (getLearnedRoutes `origin: Network`).
    Network,
}

impl Protocol {
    /// Junos route preference (administrative distance).
    pub fn default_preference(self) -> u32 {
        match self {
            Protocol::Direct | Protocol::Local | Protocol::Network => 0,
            Protocol::Static => 5,
            Protocol::Bgp => 170,
        }
    }

    /// The name Junos prints in `[Proto/pref]`.
    pub fn junos_name(self) -> &'static str {
        match self {
            Protocol::Direct => "Direct",
            Protocol::Local => "Local",
            Protocol::Static => "Static",
            Protocol::Bgp => "BGP",
            Protocol::Network => "Network",
        }
    }
}

/// BGP ORIGIN, in preference order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Origin {
    Igp,
    Egp,
    Incomplete,
}

impl Origin {
    pub fn letter(self) -> &'static str {
        match self {
            Origin::Igp => "I",
            Origin::Egp => "E",
            Origin::Incomplete => "?",
        }
    }
}

/// Where a path came from: the identity that survives attribute changes
/// (used for route age and the `-` "last active" mark).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathSource {
    /// Put in by the router itself (interface, static, network).
    Local(Protocol),
    /// Received on session `session` (an index into `Topology::sessions`);
    /// `n` tells apart the paths of one add-path announcement.
    Session { session: usize, n: usize },
}

/// The neighbor a BGP path was received from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer {
    pub session: usize,
    pub node: Node,
    pub addr: Ipv4Addr,
    pub asn: u32,
    pub router_id: Ipv4Addr,
    pub ibgp: bool,
}

/// One path to one destination in one router's table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    pub prefix: Prefix,
    pub protocol: Protocol,
    pub preference: u32,
    pub local_pref: u32,
    /// Azure's weight; 0 on Junos, which has none.
    pub weight: u32,
    pub as_path: Vec<u32>,
    pub origin: Origin,
    pub med: Option<u32>,
    pub source: PathSource,
    pub peer: Option<Peer>,
    /// Forwarding next hops; the first is the selected one (`>`).
    pub next_hops: Vec<NextHop>,
    /// The interface of a Local route (`Local via IF`).
    pub local_via: Option<&'static str>,
    /// When this path appeared (world time); not part of its identity.
    pub since: Duration,
}

impl Path {
    /// The same route for age purposes: equal in everything but age and
    /// the next hops multipath adds or removes.
    pub fn same_route(&self, other: &Path) -> bool {
        self.prefix == other.prefix
            && self.protocol == other.protocol
            && self.preference == other.preference
            && self.local_pref == other.local_pref
            && self.weight == other.weight
            && self.as_path == other.as_path
            && self.origin == other.origin
            && self.med == other.med
            && self.source == other.source
            && self.peer == other.peer
            && self.local_via == other.local_via
    }

    pub fn is_bgp(&self) -> bool {
        self.protocol == Protocol::Bgp
    }

    /// `12076 I`, the way Junos writes an AS path with its origin.
    pub fn as_path_text(&self) -> String {
        let mut s = String::new();
        for a in &self.as_path {
            s.push_str(&a.to_string());
            s.push(' ');
        }
        s.push_str(self.origin.letter());
        s
    }
}

/// All paths to one destination, best first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dest {
    pub paths: Vec<Path>,
    /// The source of the path that was active before the current one, kept
    /// for Junos' `+` / `-` marks.
    pub last_active: Option<PathSource>,
}

impl Dest {
    pub fn active(&self) -> Option<&Path> {
        self.paths.first()
    }
}

/// One router's table of its routing instance.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rib {
    pub dests: BTreeMap<Prefix, Dest>,
}

impl Rib {
    /// The active path of the longest prefix holding `addr`.
    pub fn lookup(&self, addr: Ipv4Addr) -> Option<&Path> {
        let host = Prefix::host(addr.into());
        self.dests
            .iter()
            .filter(|(p, d)| p.contains(&host) && !d.paths.is_empty())
            .max_by_key(|(p, _)| p.len())
            .and_then(|(_, d)| d.active())
    }

    pub fn path_count(&self) -> usize {
        self.dests.values().map(|d| d.paths.len()).sum()
    }
}

#[cfg(test)]
mod tests;
