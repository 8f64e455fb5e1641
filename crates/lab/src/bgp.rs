//! BGP as the lab needs it: paths with their attributes, the decision
//! process (Junos order, with Azure's weight in front), and a propagation to
//! a fixed point over the sessions that are up.
//!
//! The lab is small (eight speakers, a handful of prefixes), so every change
//! recomputes all tables from scratch; what matters is that the result is
//! what the real devices would hold, not how fast it is found.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::time::Duration;

use super::topology::{EndSpec, NextHop, Node, OriginKind, Topology};
use cutover_core::model::Prefix;

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

/// The step of the decision process that ranked two paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Preference,
    Weight,
    LocalPref,
    AsPathLength,
    Origin,
    Med,
    ExternalOverInternal,
    RouterId,
    PeerAddress,
    Equal,
}

impl Step {
    /// The `Inactive reason:` Junos prints in `detail`.
    pub fn junos_reason(self) -> &'static str {
        match self {
            Step::Preference => "Route Preference",
            Step::Weight => "Weight",
            Step::LocalPref => "Local Preference",
            Step::AsPathLength => "AS path",
            Step::Origin => "Origin",
            Step::Med => "Not Best in its group - Lowest MED",
            Step::ExternalOverInternal => "Interior > Exterior > Exterior via Interior",
            Step::RouterId => "Not Best in its group - Router ID",
            Step::PeerAddress => "Not Best in its group - Update source",
            Step::Equal => "Not Best in its group",
        }
    }
}

/// Ranks two paths of the same destination: `Less` when `a` is better,
/// with the step that decided. Junos' order, with Azure's weight (higher
/// wins) before local preference; Junos routers carry weight 0, so for them
/// the step never decides.
pub fn compare(a: &Path, b: &Path) -> (Ordering, Step) {
    let steps: [(Ordering, Step); 4] = [
        (a.preference.cmp(&b.preference), Step::Preference),
        (b.weight.cmp(&a.weight), Step::Weight),
        (b.local_pref.cmp(&a.local_pref), Step::LocalPref),
        (a.as_path.len().cmp(&b.as_path.len()), Step::AsPathLength),
    ];
    for (o, s) in steps {
        if o != Ordering::Equal {
            return (o, s);
        }
    }
    let o = a.origin.cmp(&b.origin);
    if o != Ordering::Equal {
        return (o, Step::Origin);
    }
    // Junos compares MED only between paths from the same neighbor AS.
    let (na, nb) = (a.as_path.first(), b.as_path.first());
    if na == nb {
        let o = a.med.unwrap_or(0).cmp(&b.med.unwrap_or(0));
        if o != Ordering::Equal {
            return (o, Step::Med);
        }
    }
    let ext = |p: &Path| match p.peer {
        Some(peer) if peer.ibgp => 1,
        Some(_) => 0,
        None => 0,
    };
    let o = ext(a).cmp(&ext(b));
    if o != Ordering::Equal {
        return (o, Step::ExternalOverInternal);
    }
    let rid = |p: &Path| p.peer.map(|x| u32::from(x.router_id)).unwrap_or(0);
    let o = rid(a).cmp(&rid(b));
    if o != Ordering::Equal {
        return (o, Step::RouterId);
    }
    let addr = |p: &Path| p.peer.map(|x| u32::from(x.addr)).unwrap_or(0);
    let o = addr(a).cmp(&addr(b));
    if o != Ordering::Equal {
        return (o, Step::PeerAddress);
    }
    (a.source.cmp(&b.source), Step::Equal)
}

/// True when `b` ties with `a` up to the router-id step: BGP multipath
/// shares forwarding between such paths.
fn multipath_equal(a: &Path, b: &Path) -> bool {
    a.is_bgp() && b.is_bgp() && {
        let (_, step) = compare(a, b);
        matches!(step, Step::RouterId | Step::PeerAddress | Step::Equal)
            && a.as_path.first() == b.as_path.first()
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

/// What the propagation needs to know about the world at one instant.
#[derive(Debug, Clone)]
pub struct Inputs<'a> {
    pub topo: &'a Topology,
    /// Per session: established now.
    pub session_up: &'a [bool],
    /// Per tunnel: its st0 interface is up.
    pub tunnel_up: &'a [bool],
    /// Per session: when it last changed state (world time).
    pub session_since: &'a [Duration],
    /// Per tunnel: when it last changed state.
    pub tunnel_since: &'a [Duration],
    /// When the routers booted (the age of interface routes).
    pub router_since: Duration,
    /// Per session and end: the export in force (the topology's, as the
    /// scenario amended it).
    pub exports: &'a [[super::topology::Export; 2]],
    /// Per session and end: `local-preference` set on announcements.
    pub local_pref_out: &'a [[Option<u32>; 2]],
    /// Extra static routes per router (scenario faults).
    pub extra_statics: &'a [(Node, Prefix, &'a str)],
    /// Per session: the paths each end holds from a peer that vanished
    /// without a word (what a CE keeps until BFD or the hold timer
    /// notices). Such a session carries no updates; these stand in.
    pub frozen: &'a [Option<[Vec<Path>; 2]>],
}

/// The routes a router holds without BGP.
fn local_paths(inp: &Inputs<'_>, node: Node) -> Vec<Path> {
    let r = inp.topo.router(node);
    let mut out = Vec::new();
    let base = |prefix, protocol: Protocol| Path {
        prefix,
        protocol,
        preference: protocol.default_preference(),
        local_pref: 100,
        weight: if node.is_azure_gateway() { 32768 } else { 0 },
        as_path: vec![],
        origin: Origin::Igp,
        med: None,
        source: PathSource::Local(protocol),
        peer: None,
        next_hops: vec![],
        local_via: None,
        since: inp.router_since,
    };
    let tunnel_of = |via: &str| {
        inp.topo
            .tunnels
            .iter()
            .find(|t| t.st_interface == via)
            .map(|t| t.index)
    };
    let st_up =
        |via: &str| tunnel_of(via).is_none_or(|k| inp.tunnel_up.get(k).copied().unwrap_or(false));
    // A static route through a tunnel is as old as the tunnel.
    let st_since = |via: &str| {
        tunnel_of(via)
            .and_then(|k| inp.tunnel_since.get(k).copied())
            .unwrap_or(inp.router_since)
    };
    for i in r
        .interfaces
        .iter()
        .filter(|i| i.instance.is_some() && i.instance == r.instance)
    {
        let (Some(addr), Some(subnet)) = (i.addr, i.subnet()) else {
            continue;
        };
        let mut d = base(subnet, Protocol::Direct);
        d.next_hops.push(NextHop {
            to: None,
            via: i.name,
        });
        out.push(d);
        // Junos shows no Local route for a /32 (a loopback): the Direct
        // route is the same prefix.
        if i.len < 32 {
            let mut l = base(Prefix::host(addr.into()), Protocol::Local);
            l.local_via = Some(i.name);
            out.push(l);
        }
    }
    for o in &r.originate {
        match &o.kind {
            OriginKind::Network => out.push(base(o.prefix, Protocol::Network)),
            OriginKind::Static { via } => {
                if st_up(via) {
                    let mut s = base(o.prefix, Protocol::Static);
                    s.next_hops.push(NextHop { to: None, via });
                    s.since = st_since(via);
                    out.push(s);
                }
            }
        }
    }
    for (n, prefix, via) in inp.extra_statics {
        if *n == node {
            // Scenario interfaces are checked against the topology when the
            // scenario loads; an unknown one here would just not resolve.
            if let Some(i) = r.interfaces.iter().find(|i| i.name == *via) {
                let mut s = base(*prefix, Protocol::Static);
                s.next_hops.push(NextHop {
                    to: None,
                    via: i.name,
                });
                out.push(s);
            }
        }
    }
    out
}

fn is_private_as(asn: u32) -> bool {
    (64512..=65534).contains(&asn) || (4_200_000_000..=4_294_967_294).contains(&asn)
}

/// What end `from` of session `sid` announces: per prefix, the sender's
/// path and the path as the other end receives it (AS path prepended,
/// local preference set, next hop and weight of the receiver).
pub fn exported(
    inp: &Inputs<'_>,
    sid: usize,
    from: usize,
    ribs: &[Rib],
) -> Vec<(Prefix, Path, Path)> {
    let topo = inp.topo;
    let mut out = Vec::new();
    let Some(s) = topo.sessions.get(sid) else {
        return out;
    };
    let from = from.min(1);
    let (tx, rx): (&EndSpec, &EndSpec) = (&s.ends[from], &s.ends[1 - from]);
    let tx_r = topo.router(tx.node);
    let rx_r = topo.router(rx.node);
    let ebgp = tx_r.asn != rx_r.asn;
    let (Some(export), Some(lp_out)) = (inp.exports.get(sid), inp.local_pref_out.get(sid)) else {
        return out;
    };
    let (export, lp_out) = (&export[from], lp_out[from]);
    let session_since = inp.session_since.get(sid).copied().unwrap_or_default();
    let Some(rib) = ribs.get(tx.node.index()) else {
        return out;
    };
    for (prefix, dest) in &rib.dests {
        if export.deny.contains(prefix) {
            continue;
        }
        let mut n = 0;
        for (rank, p) in dest.paths.iter().enumerate() {
            let eligible = match p.source {
                // Own routes go out only when they are the active path.
                PathSource::Local(_) => rank == 0 && export.originated.contains(prefix),
                PathSource::Session { session, .. } => {
                    let from_ibgp = p.peer.is_some_and(|x| x.ibgp);
                    (rank == 0 || tx.add_path)
                        && export.learned
                        && p.is_bgp()
                        && session != sid
                        // iBGP split horizon.
                        && (ebgp || !from_ibgp)
                }
            };
            if !eligible {
                continue;
            }
            let mut as_path = p.as_path.clone();
            if ebgp {
                if tx.remove_private_as {
                    as_path.retain(|a| !is_private_as(*a));
                }
                as_path.insert(0, tx_r.asn);
                // The receiver drops a path that already holds its AS.
                if as_path.contains(&rx_r.asn) {
                    continue;
                }
            }
            let local_pref = if ebgp {
                100
            } else {
                lp_out.unwrap_or(p.local_pref)
            };
            let sent = Path {
                prefix: *prefix,
                protocol: Protocol::Bgp,
                preference: Protocol::Bgp.default_preference(),
                local_pref,
                weight: rx.weight_in,
                as_path,
                origin: p.origin,
                med: if ebgp { None } else { p.med },
                source: PathSource::Session { session: sid, n },
                peer: Some(Peer {
                    session: sid,
                    node: tx.node,
                    addr: tx.addr,
                    asn: tx_r.asn,
                    router_id: tx_r.router_id,
                    ibgp: !ebgp,
                }),
                next_hops: vec![rx.next_hop.clone()],
                local_via: None,
                // A path is as old as the youngest link of its chain.
                since: p.since.max(session_since),
            };
            out.push((*prefix, p.clone(), sent));
            n += 1;
            if !tx.add_path {
                break;
            }
        }
    }
    out
}

/// Paths received over session `sid` from end `from`, by prefix.
fn announce(
    inp: &Inputs<'_>,
    sid: usize,
    from: usize,
    ribs: &[Rib],
    out: &mut BTreeMap<Prefix, Vec<Path>>,
) {
    for (prefix, _, sent) in exported(inp, sid, from, ribs) {
        out.entry(prefix).or_default().push(sent);
    }
}

fn sort_dest(paths: &mut [Path]) {
    paths.sort_by(|a, b| compare(a, b).0);
}

/// Adds the next hops of equal paths to the active one (BGP multipath).
fn apply_multipath(paths: &mut [Path]) {
    let Some((first, rest)) = paths.split_first_mut() else {
        return;
    };
    for p in rest.iter() {
        if multipath_equal(first, p) {
            for nh in &p.next_hops {
                if !first.next_hops.contains(nh) {
                    first.next_hops.push(nh.clone());
                }
            }
        }
    }
}

/// Every router's table once announcements stop changing.
pub fn converge(inp: &Inputs<'_>) -> Vec<Rib> {
    let topo = inp.topo;
    let locals: Vec<Vec<Path>> = Node::ALL.iter().map(|n| local_paths(inp, *n)).collect();
    let build = |extra: &[BTreeMap<Prefix, Vec<Path>>]| -> Vec<Rib> {
        Node::ALL
            .iter()
            .map(|n| {
                let mut dests: BTreeMap<Prefix, Vec<Path>> = BTreeMap::new();
                for p in &locals[n.index()] {
                    dests.entry(p.prefix).or_default().push(p.clone());
                }
                for (prefix, ps) in &extra[n.index()] {
                    dests.entry(*prefix).or_default().extend(ps.iter().cloned());
                }
                let dests = dests
                    .into_iter()
                    .map(|(k, mut paths)| {
                        sort_dest(&mut paths);
                        if topo.router(*n).multipath {
                            apply_multipath(&mut paths);
                        }
                        (
                            k,
                            Dest {
                                paths,
                                last_active: None,
                            },
                        )
                    })
                    .collect();
                Rib { dests }
            })
            .collect()
    };
    let empty: Vec<BTreeMap<Prefix, Vec<Path>>> = vec![BTreeMap::new(); Node::ALL.len()];
    let mut ribs = build(&empty);
    // Each round carries announcements one more hop; the lab's longest
    // chain is five hops, so the bound is never reached in practice but
    // keeps a policy mistake from looping forever.
    for _ in 0..32 {
        let mut received: Vec<BTreeMap<Prefix, Vec<Path>>> = vec![BTreeMap::new(); Node::ALL.len()];
        for (sid, s) in topo.sessions.iter().enumerate() {
            if !inp.session_up.get(sid).copied().unwrap_or(false) {
                continue;
            }
            if let Some(Some(frozen)) = inp.frozen.get(sid) {
                for (end, paths) in frozen.iter().enumerate() {
                    let rx = s.ends[end].node.index();
                    for p in paths {
                        received[rx].entry(p.prefix).or_default().push(p.clone());
                    }
                }
                continue;
            }
            for from in 0..2 {
                let rx = s.ends[1 - from].node.index();
                announce(inp, sid, from, &ribs, &mut received[rx]);
            }
        }
        let next = build(&received);
        if next == ribs {
            break;
        }
        ribs = next;
    }
    ribs
}

/// Carries ages and `last active` marks over from the previous tables: a
/// path that did not change keeps its age, a changed one is `now` old, and
/// at start (`prev` None) each path is as old as its chain of sessions.
pub fn carry_over(prev: Option<&[Rib]>, next: &mut [Rib], now: Duration) {
    for (i, rib) in next.iter_mut().enumerate() {
        let old = prev.and_then(|p| p.get(i));
        for (prefix, dest) in rib.dests.iter_mut() {
            let old_dest = old.and_then(|o| o.dests.get(prefix));
            for p in dest.paths.iter_mut() {
                let kept = old_dest.and_then(|d| d.paths.iter().find(|q| q.same_route(p)));
                p.since = match (kept, prev) {
                    // The chain's age wins when a session reset in between.
                    (Some(q), _) => q.since.max(p.since),
                    (None, None) => p.since,
                    (None, Some(_)) => now.max(p.since),
                };
            }
            let new_active = dest.active().map(|p| p.source);
            dest.last_active = match old_dest {
                None => new_active,
                Some(od) => {
                    let old_active = od.active().map(|p| p.source);
                    if old_active == new_active {
                        od.last_active
                    } else {
                        old_active.or(od.last_active)
                    }
                }
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::Export;

    fn peer(session: usize, addr: [u8; 4], asn: u32, ibgp: bool) -> Option<Peer> {
        let a = Ipv4Addr::from(addr);
        Some(Peer {
            session,
            node: Node::Ce1,
            addr: a,
            asn,
            router_id: a,
            ibgp,
        })
    }

    fn bgp(lp: u32, as_path: Vec<u32>, peer: Option<Peer>) -> Path {
        Path {
            prefix: "10.17.11.0/25".parse().expect("prefix"),
            protocol: Protocol::Bgp,
            preference: 170,
            local_pref: lp,
            weight: 0,
            as_path,
            origin: Origin::Igp,
            med: None,
            source: PathSource::Session {
                session: peer.map(|p| p.session).unwrap_or(0),
                n: 0,
            },
            peer,
            next_hops: vec![],
            local_via: None,
            since: Duration::ZERO,
        }
    }

    #[test]
    fn decision_order() {
        let er1 = bgp(150, vec![12076], peer(2, [192, 168, 11, 0], 65020, true));
        let er2 = bgp(150, vec![12076], peer(3, [192, 168, 11, 2], 65020, true));
        let vpn = bgp(100, vec![65515], peer(4, [10, 17, 11, 76], 65515, false));
        assert_eq!(compare(&er1, &vpn), (Ordering::Less, Step::LocalPref));
        assert_eq!(compare(&er1, &er2), (Ordering::Less, Step::RouterId));
        // Without the CE's local preference the eBGP VPN path beats iBGP.
        let er2_plain = bgp(100, vec![12076], peer(3, [192, 168, 11, 2], 65020, true));
        assert_eq!(
            compare(&vpn, &er2_plain),
            (Ordering::Less, Step::ExternalOverInternal)
        );
        let long = bgp(
            100,
            vec![65515, 65515],
            peer(5, [10, 17, 11, 77], 65515, false),
        );
        assert_eq!(compare(&vpn, &long), (Ordering::Less, Step::AsPathLength));
        let mut stat = bgp(100, vec![], None);
        stat.protocol = Protocol::Static;
        stat.preference = 5;
        assert_eq!(compare(&stat, &er1), (Ordering::Less, Step::Preference));
        let mut heavy = vpn.clone();
        heavy.weight = 32769;
        let mut light = er1.clone();
        light.weight = 32768;
        assert_eq!(compare(&heavy, &light), (Ordering::Less, Step::Weight));
        let mut e = vpn.clone();
        e.origin = Origin::Egp;
        assert_eq!(compare(&vpn, &e), (Ordering::Less, Step::Origin));
        let mut m = vpn.clone();
        m.med = Some(10);
        assert_eq!(compare(&vpn, &m), (Ordering::Less, Step::Med));
    }

    #[test]
    fn multipath_joins_equal_paths_only() {
        let mut paths = vec![
            bgp(100, vec![65515], peer(4, [10, 17, 11, 76], 65515, false)),
            bgp(150, vec![12076], peer(3, [192, 168, 11, 2], 65020, true)),
            bgp(150, vec![12076], peer(2, [192, 168, 11, 0], 65020, true)),
        ];
        paths[0].next_hops = vec![NextHop {
            to: None,
            via: "st0.118",
        }];
        paths[1].next_hops = vec![NextHop {
            to: Some(Ipv4Addr::new(192, 168, 11, 2)),
            via: "reth2.11",
        }];
        paths[2].next_hops = vec![NextHop {
            to: Some(Ipv4Addr::new(192, 168, 11, 0)),
            via: "reth1.11",
        }];
        sort_dest(&mut paths);
        apply_multipath(&mut paths);
        let vias: Vec<_> = paths[0].next_hops.iter().map(|n| n.via).collect();
        assert_eq!(vias, ["reth1.11", "reth2.11"]);
        assert_eq!(paths[1].next_hops.len(), 1);
        assert_eq!(paths[2].next_hops[0].via, "st0.118");
    }

    fn inputs_default(topo: &Topology) -> (Vec<[Export; 2]>, Vec<[Option<u32>; 2]>) {
        let ex = topo
            .sessions
            .iter()
            .map(|s| [s.ends[0].export.clone(), s.ends[1].export.clone()])
            .collect();
        let lp = topo
            .sessions
            .iter()
            .map(|s| [s.ends[0].local_pref_out, s.ends[1].local_pref_out])
            .collect();
        (ex, lp)
    }

    #[test]
    fn article_steady_state() {
        let topo = Topology::article();
        let up = vec![true; topo.sessions.len()];
        let tun = vec![true; topo.tunnels.len()];
        let (ex, lp) = inputs_default(&topo);
        let since = vec![Duration::ZERO; topo.sessions.len()];
        let tsince = vec![Duration::ZERO; topo.tunnels.len()];
        let inp = Inputs {
            topo: &topo,
            session_up: &up,
            tunnel_up: &tun,
            session_since: &since,
            tunnel_since: &tsince,
            router_since: Duration::ZERO,
            exports: &ex,
            local_pref_out: &lp,
            extra_statics: &[],
            frozen: &[],
        };
        let ribs = converge(&inp);
        let fw = &ribs[Node::Fw.index()];
        let hub = fw.dests.get(&topo.hub).expect("hub on fw");
        assert_eq!(hub.paths.len(), 4);
        let a = &hub.paths[0];
        assert_eq!((a.local_pref, a.as_path.clone()), (150, vec![12076]));
        assert_eq!(a.peer.map(|p| p.addr), Some(Ipv4Addr::new(192, 168, 11, 0)));
        assert_eq!(a.next_hops.len(), 2, "multipath over both CEs");
        assert!(
            hub.paths[2..]
                .iter()
                .all(|p| p.local_pref == 100 && p.as_path == [65515])
        );
        // Azure: ER-learned on-prem path (weight 32769) beats the VPN one.
        let v0 = &ribs[Node::VpnGw0.index()];
        let onprem = v0.dests.get(&topo.onprem).expect("on-prem on vpngw0");
        assert_eq!(onprem.paths[0].as_path, [12076, 65020]);
        assert_eq!(onprem.paths[0].weight, 32769);
        // Two ER paths (add-path from the ER gateway), the EBgp one from
        // the firewall and the IBgp one from the sibling instance.
        assert_eq!(onprem.paths.len(), 4);
        // The CE advertises the on-prem prefix to its MSEE, learned from the
        // firewall over iBGP.
        let ce1 = &ribs[Node::Ce1.index()];
        let p = ce1
            .dests
            .get(&topo.onprem)
            .and_then(Dest::active)
            .expect("on-prem on ce1");
        assert_eq!(p.as_path, Vec::<u32>::new());
    }
}
