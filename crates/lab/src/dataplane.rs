//! Forwarding through the lab: hop by hop over each router's active routes,
//! so that a traceroute shows what the tables and the faults imply: the
//! MSEE hop over ExpressRoute, a silent gateway over the VPN, a black hole
//! while a CE still points at a dead MSEE.

use std::net::Ipv4Addr;

use serde::Serialize;

use super::bgp::Protocol;
use super::mix;
use super::scenario::Carriage;
use super::topology::{Carrier, Node};
use super::world::World;
use cutover_core::model::{Hop, Trace};

/// A link a packet crossed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// A CE-MSEE link (0 primary, 1 secondary).
    Er(usize),
    /// The MSEE to the ER gateway, inside Microsoft.
    ErCore(usize),
    /// An IPsec tunnel.
    Tunnel(usize),
}

/// Who a packet was delivered to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Target {
    Server,
    Vm,
    Router(Node),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum End {
    /// Delivered, with the one-way latency in milliseconds.
    Delivered(Target, f64),
    /// Lost without a word (a black hole, a filter).
    Dropped,
    /// The last station has no route: it answers "net unreachable".
    Unreachable,
}

/// A router that received the packet and forwarded it (or could not).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Station {
    pub node: Node,
    /// The address of the interface the packet came in on (what a
    /// traceroute shows), `None` through a tunnel.
    pub ingress: Option<Ipv4Addr>,
    /// One-way latency to this router, milliseconds.
    pub latency_ms: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Walk {
    pub stations: Vec<Station>,
    pub end: End,
    pub crossed: Vec<Link>,
}

impl Walk {
    pub fn delivered(&self) -> bool {
        matches!(self.end, End::Delivered(..))
    }
}

/// Which way traffic went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PathKind {
    Expressroute,
    Vpn,
    /// Delivered without leaving the premises.
    Local,
    /// Not delivered.
    None,
}

/// One probe's answer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Probe {
    pub addr: Option<Ipv4Addr>,
    pub rtt_ms: f64,
    /// `!N` for net unreachable.
    pub annotation: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceHop {
    pub ttl: u8,
    /// One entry per probe; `addr` None is a timeout.
    pub probes: Vec<Probe>,
}

/// A traceroute from the on-premises server.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceResult {
    pub target: Ipv4Addr,
    pub max_hops: u8,
    pub hops: Vec<TraceHop>,
    /// The target answered.
    pub reached: bool,
    /// The way the probes went (not the way answers came back).
    pub forward: PathKind,
    /// The way the target's answers came back, when they did.
    pub reverse: PathKind,
}

impl TraceResult {
    /// The normalized form `cutover parse traceroute` gives.
    pub fn to_model(&self) -> Trace {
        Trace {
            target: Some(self.target.to_string()),
            hops: self
                .hops
                .iter()
                .map(|h| {
                    let mut addresses: Vec<String> = Vec::new();
                    for a in h.probes.iter().filter_map(|p| p.addr) {
                        let s = a.to_string();
                        if !addresses.contains(&s) {
                            addresses.push(s);
                        }
                    }
                    Hop {
                        ttl: h.ttl,
                        rtts_ms: h
                            .probes
                            .iter()
                            .filter(|p| p.addr.is_some())
                            .map(|p| p.rtt_ms)
                            .collect(),
                        timeout: addresses.is_empty(),
                        addresses,
                    }
                })
                .collect(),
        }
    }
}

/// One echo request's fate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum PingReply {
    Echo {
        rtt_ms: f64,
        ttl: u8,
    },
    /// `From ADDR icmp_seq=N Destination Net Unreachable`.
    NetUnreachable {
        from: Ipv4Addr,
    },
    Lost,
}

// One-way latencies, milliseconds: a LAN hop, the CE-MSEE link, Microsoft's
// edge to the region, the tunnel over the Internet, a gateway to a VM.
const LAN_MS: f64 = 0.15;
const SERVER_MS: f64 = 0.2;
const ER_LINK_MS: f64 = 0.6;
const ER_CORE_MS: f64 = 1.2;
const TUNNEL_MS: f64 = 2.4;
const AZURE_MS: f64 = 0.3;
const VM_MS: f64 = 0.9;

impl World {
    fn owns(&self, node: Node, addr: Ipv4Addr) -> bool {
        let r = self.topo.router(node);
        r.router_id == addr
            || r.interfaces.iter().any(|i| i.addr == Some(addr))
            || self
                .topo
                .sessions
                .iter()
                .any(|s| s.ends.iter().any(|e| e.node == node && e.addr == addr))
    }

    /// The router (or host) that holds `addr` as its own.
    fn owner(&self, addr: Ipv4Addr) -> Option<Target> {
        if addr == self.topo.server.addr {
            return Some(Target::Server);
        }
        if addr == self.topo.vm.addr {
            return Some(Target::Vm);
        }
        Node::ALL
            .into_iter()
            .find(|n| self.owns(*n, addr))
            .map(Target::Router)
    }

    fn drops(&self, c: Carriage) -> bool {
        self.scenario.drop.contains(&c)
    }

    /// Forwards a packet for `dst` that just reached `node`.
    pub(super) fn walk_from(
        &self,
        node: Node,
        ingress: Option<Ipv4Addr>,
        latency_ms: f64,
        dst: Ipv4Addr,
    ) -> Walk {
        let mut w = Walk {
            stations: Vec::new(),
            end: End::Dropped,
            crossed: Vec::new(),
        };
        let (mut node, mut ingress, mut lat) = (node, ingress, latency_ms);
        // The lab's longest path is five routers; anything longer loops.
        for _ in 0..32 {
            if self.owns(node, dst) {
                w.end = End::Delivered(Target::Router(node), lat);
                return w;
            }
            // With the private peering disabled the MSEE holds no VRF for
            // it: whatever a CE still sends there disappears.
            if matches!(node, Node::Msee1 | Node::Msee2) && !self.private_peering_enabled() {
                w.end = End::Dropped;
                return w;
            }
            w.stations.push(Station {
                node,
                ingress,
                latency_ms: lat,
            });
            let Some(p) = self.rib(node).lookup(dst) else {
                w.end = End::Unreachable;
                return w;
            };
            match p.protocol {
                Protocol::Local => {
                    w.end = End::Delivered(Target::Router(node), lat);
                    return w;
                }
                Protocol::Direct => {
                    w.end = match self.owner(dst) {
                        Some(Target::Server) => End::Delivered(Target::Server, lat + SERVER_MS),
                        Some(t @ Target::Router(_)) => End::Delivered(t, lat + LAN_MS),
                        // Nobody answers ARP for it.
                        _ => End::Dropped,
                    };
                    return w;
                }
                Protocol::Network => {
                    w.end = if dst == self.topo.vm.addr {
                        End::Delivered(Target::Vm, lat + VM_MS)
                    } else {
                        End::Dropped
                    };
                    return w;
                }
                Protocol::Static => {
                    let via = p.next_hops.first().map(|n| n.via).unwrap_or_default();
                    let Some(t) = self.topo.tunnels.iter().find(|t| t.st_interface == via) else {
                        // A static route onto a LAN: delivered like a direct one.
                        w.end = match self.owner(dst) {
                            Some(Target::Server) => End::Delivered(Target::Server, lat + SERVER_MS),
                            Some(t @ Target::Router(_)) => End::Delivered(t, lat + LAN_MS),
                            _ => End::Dropped,
                        };
                        return w;
                    };
                    if self.drops(Carriage::Vpn) {
                        w.end = End::Dropped;
                        return w;
                    }
                    w.crossed.push(Link::Tunnel(t.index));
                    (node, ingress, lat) = (t.azure_instance, None, lat + TUNNEL_MS);
                }
                Protocol::Bgp => {
                    let Some(peer) = p.peer else {
                        w.end = End::Dropped;
                        return w;
                    };
                    let carrier = self.topo.sessions.get(peer.session).map(|s| s.carrier);
                    let hop_ms = match carrier {
                        Some(Carrier::ErLink(i)) => {
                            if self.drops(Carriage::Expressroute) {
                                w.end = End::Dropped;
                                return w;
                            }
                            w.crossed.push(Link::Er(i));
                            ER_LINK_MS
                        }
                        Some(Carrier::ErCore(i)) => {
                            w.crossed.push(Link::ErCore(i));
                            ER_CORE_MS
                        }
                        Some(Carrier::Tunnel(i)) => {
                            if self.drops(Carriage::Vpn)
                                || !self.tunnels.get(i).is_some_and(|t| t.up)
                            {
                                w.end = End::Dropped;
                                return w;
                            }
                            w.crossed.push(Link::Tunnel(i));
                            TUNNEL_MS
                        }
                        Some(Carrier::Fixed) if node.is_microsoft() => AZURE_MS,
                        Some(Carrier::Fixed) => LAN_MS,
                        None => {
                            w.end = End::Dropped;
                            return w;
                        }
                    };
                    let arrives_on = if matches!(carrier, Some(Carrier::Tunnel(_))) {
                        None
                    } else {
                        Some(peer.addr)
                    };
                    (node, ingress, lat) = (peer.node, arrives_on, lat + hop_ms);
                }
            }
        }
        w
    }

    /// A packet the server sends to `dst` (through its default gateway).
    pub(super) fn walk_from_server(&self, dst: Ipv4Addr) -> Walk {
        if dst == self.topo.server.addr {
            return Walk {
                stations: vec![],
                end: End::Delivered(Target::Server, 0.0),
                crossed: vec![],
            };
        }
        let gw = self.topo.server.gateway;
        match Node::ALL.into_iter().find(|n| self.owns(*n, gw)) {
            Some(first) => {
                // The gateway itself is a station unless it is the target.
                self.walk_from(first, Some(gw), SERVER_MS, dst)
            }
            None => Walk {
                stations: vec![],
                end: End::Dropped,
                crossed: vec![],
            },
        }
    }

    /// A packet the spoke VM sends to `dst`: the VNet's effective routes
    /// send it to the gateway with the longest match, ExpressRoute's over
    /// the VPN's for equal prefixes (Azure prefers ExpressRoute).
    pub(super) fn walk_from_vm(&self, dst: Ipv4Addr) -> Walk {
        if dst == self.topo.vm.addr {
            return Walk {
                stations: vec![],
                end: End::Delivered(Target::Vm, 0.0),
                crossed: vec![],
            };
        }
        let mut best: Option<(u8, u8, Node)> = None;
        for (rank, g) in [(2u8, Node::ErGw), (1, Node::VpnGw0), (0, Node::VpnGw1)] {
            let Some(p) = self.rib(g).lookup(dst) else {
                continue;
            };
            // Only routes learned from outside the VNet steer VNet traffic.
            let external = p.peer.is_some_and(|x| !x.ibgp)
                || p.peer
                    .is_some_and(|x| x.ibgp && x.node != Node::ErGw && g != Node::ErGw);
            if !p.is_bgp() || !external {
                continue;
            }
            let key = (p.prefix.len(), rank, g);
            if best.is_none_or(|b| (key.0, key.1) > (b.0, b.1)) {
                best = Some(key);
            }
        }
        match best {
            Some((_, _, g)) => self.walk_from(g, None, VM_MS, dst),
            None => Walk {
                stations: vec![],
                end: End::Dropped,
                crossed: vec![],
            },
        }
    }

    /// Whether an answer from `t` to the server gets back, and how.
    fn answer_returns(&self, t: Target) -> Option<Walk> {
        let server = self.topo.server.addr;
        let w = match t {
            Target::Server => {
                return Some(Walk {
                    stations: vec![],
                    end: End::Delivered(Target::Server, 0.0),
                    crossed: vec![],
                });
            }
            Target::Vm => self.walk_from_vm(server),
            Target::Router(n) => {
                if matches!(n, Node::Msee1 | Node::Msee2) && !self.private_peering_enabled() {
                    return None;
                }
                self.walk_from(n, None, 0.0, server)
            }
        };
        w.delivered().then_some(w)
    }

    /// A jittered round trip of `base_ms`, the same for the same probe at
    /// the same instant.
    fn rtt(&self, base_ms: f64, ttl: u8, probe: u8, salt: u64) -> f64 {
        let t = self.now().as_millis() as u64;
        let h =
            mix(self.seed ^ t.rotate_left(17) ^ (u64::from(ttl) << 8) ^ u64::from(probe) ^ salt);
        let u = (h >> 11) as f64 / (1u64 << 53) as f64;
        let v = base_ms * (1.0 + 0.08 * u) + 0.03 * u;
        (v * 1000.0).round() / 1000.0
    }

    fn kind(w: &Walk) -> PathKind {
        if !w.delivered() {
            PathKind::None
        } else if w
            .crossed
            .iter()
            .any(|l| matches!(l, Link::Er(_) | Link::ErCore(_)))
        {
            PathKind::Expressroute
        } else if w.crossed.iter().any(|l| matches!(l, Link::Tunnel(_))) {
            PathKind::Vpn
        } else {
            PathKind::Local
        }
    }

    /// A traceroute from the on-premises server to `target`, `probes` per
    /// hop (Linux `traceroute` sends 3), at most `max_hops` hops.
    pub fn trace(&self, target: Ipv4Addr, max_hops: u8, probes: u8) -> TraceResult {
        let max_hops = max_hops.max(1);
        let probes = probes.clamp(1, 10);
        let w = self.walk_from_server(target);
        let mut hops: Vec<TraceHop> = Vec::new();
        let answer =
            |addr: Ipv4Addr, rtt_base: f64, ttl: u8, note: Option<&'static str>| TraceHop {
                ttl,
                probes: (0..probes)
                    .map(|p| Probe {
                        addr: Some(addr),
                        rtt_ms: self.rtt(rtt_base, ttl, p, 0),
                        annotation: note,
                    })
                    .collect(),
            };
        let silent = |ttl: u8| TraceHop {
            ttl,
            probes: (0..probes)
                .map(|_| Probe {
                    addr: None,
                    rtt_ms: 0.0,
                    annotation: None,
                })
                .collect(),
        };
        let router_answer = |st: &Station| -> Option<(Ipv4Addr, f64)> {
            let r = self.topo.router(st.node);
            let addr = st.ingress?;
            if !r.answers_traceroute {
                return None;
            }
            let back = self.answer_returns(Target::Router(st.node))?;
            let back_ms = match back.end {
                End::Delivered(_, l) => l,
                _ => st.latency_ms,
            };
            // Junos answers from its control plane: a little slower.
            Some((addr, st.latency_ms + back_ms + 0.25))
        };
        let mut ttl: u8 = 0;
        for st in &w.stations {
            ttl += 1;
            if ttl > max_hops {
                break;
            }
            hops.push(match router_answer(st) {
                Some((addr, base)) => answer(addr, base, ttl, None),
                None => silent(ttl),
            });
        }
        let mut reached = false;
        let mut reverse = PathKind::None;
        if ttl < max_hops {
            match w.end {
                End::Delivered(t, lat) => {
                    let back = self.answer_returns(t);
                    match back {
                        Some(b) => {
                            ttl += 1;
                            let back_ms = match b.end {
                                End::Delivered(_, l) => l,
                                _ => lat,
                            };
                            hops.push(answer(target, lat + back_ms, ttl, None));
                            reached = true;
                            reverse = World::kind(&b);
                        }
                        None => {
                            while ttl < max_hops {
                                ttl += 1;
                                hops.push(silent(ttl));
                            }
                        }
                    }
                }
                End::Dropped => {
                    while ttl < max_hops {
                        ttl += 1;
                        hops.push(silent(ttl));
                    }
                }
                End::Unreachable => {
                    ttl += 1;
                    match w.stations.last().and_then(router_answer) {
                        Some((addr, base)) => hops.push(answer(addr, base, ttl, Some("!N"))),
                        None => {
                            hops.push(silent(ttl));
                            while ttl < max_hops {
                                ttl += 1;
                                hops.push(silent(ttl));
                            }
                        }
                    }
                }
            }
        }
        TraceResult {
            target,
            max_hops,
            hops,
            reached,
            forward: World::kind(&w),
            reverse,
        }
    }

    /// `count` echo requests from the on-premises server to `target`.
    pub fn ping(&self, target: Ipv4Addr, count: u32) -> Vec<PingReply> {
        let w = self.walk_from_server(target);
        (0..count)
            .map(|seq| {
                let salt = u64::from(seq).wrapping_mul(0x9e37_79b9);
                match w.end {
                    End::Delivered(t, lat) => match self.answer_returns(t) {
                        Some(back) => {
                            let back_ms = match back.end {
                                End::Delivered(_, l) => l,
                                _ => lat,
                            };
                            let routers = back.stations.len().min(63) as u8;
                            PingReply::Echo {
                                rtt_ms: self.rtt(lat + back_ms, 0, 0, salt),
                                ttl: 64 - routers,
                            }
                        }
                        None => PingReply::Lost,
                    },
                    End::Unreachable => match w.stations.last() {
                        Some(st) if self.topo.router(st.node).answers_traceroute => {
                            match st.ingress {
                                Some(from)
                                    if self.answer_returns(Target::Router(st.node)).is_some() =>
                                {
                                    PingReply::NetUnreachable { from }
                                }
                                _ => PingReply::Lost,
                            }
                        }
                        _ => PingReply::Lost,
                    },
                    End::Dropped => PingReply::Lost,
                }
            })
            .collect()
    }

    /// Which way traffic from the server to the VM goes now, and whether
    /// it arrives and its answers come back.
    pub fn path_to_vm(&self) -> (PathKind, PathKind) {
        let fwd = self.walk_from_server(self.topo.vm.addr);
        let back = self.walk_from_vm(self.topo.server.addr);
        (World::kind(&fwd), World::kind(&back))
    }
}
