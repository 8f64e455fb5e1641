//! Propagation: each router's own routes, what every session end
//! announces under its export policy, and the rounds of announcements
//! until the tables stop changing.

use std::collections::BTreeMap;
use std::time::Duration;

use super::decision::{apply_multipath, sort_dest};
use super::{Dest, Origin, Path, PathSource, Peer, Protocol, Rib};
use crate::topology::{EndSpec, Export, NextHop, Node, OriginKind, Topology};
use cutover_core::model::Prefix;

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
    pub exports: &'a [[Export; 2]],
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
