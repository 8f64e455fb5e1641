//! Forwarding through the lab: hop by hop over each router's active routes,
//! so that a traceroute shows what the tables and the faults imply: the
//! MSEE hop over ExpressRoute, a silent gateway over the VPN, a black hole
//! while a CE still points at a dead MSEE. What a probe answers is in
//! `probe`, how long it takes in `rtt`.

use std::net::Ipv4Addr;

use serde::Serialize;

use super::bgp::Protocol;
use super::scenario::Carriage;
use super::topology::{Carrier, Node};
use super::world::World;

mod probe;
mod rtt;

pub use probe::{PingReply, Probe, TraceHop, TraceResult};
pub(crate) use rtt::ProbeSerial;
use rtt::{AZURE_MS, ER_CORE_MS, ER_LINK_MS, LAN_MS, SERVER_MS, TUNNEL_MS, VM_MS};

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
    /// IPsec tunnels crossed on the way (each over the Internet).
    pub tunnels: u32,
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

    /// The IPsec tunnels it crossed: each an Internet path, whose delay
    /// varies far more than a private circuit's.
    pub fn tunnels(&self) -> u32 {
        self.crossed
            .iter()
            .filter(|l| matches!(l, Link::Tunnel(_)))
            .count() as u32
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
                tunnels: w.tunnels(),
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

    /// Which way traffic from the server to the VM goes now, and whether
    /// it arrives and its answers come back.
    pub fn path_to_vm(&self) -> (PathKind, PathKind) {
        let fwd = self.walk_from_server(self.topo.vm.addr);
        let back = self.walk_from_vm(self.topo.server.addr);
        (World::kind(&fwd), World::kind(&back))
    }
}
