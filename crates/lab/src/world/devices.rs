//! What the devices' commands show: routing tables, BGP and BFD sessions,
//! and the firewall's IKE and IPsec security associations.

use std::net::Ipv4Addr;
use std::time::Duration;

use super::{ORIGIN, World};
use crate::bgp::{self, Dest, Path, PathSource, Protocol};
use crate::topology::{Carrier, DeviceId, NextHop};
use crate::{hex_id, mix};
use cutover_core::model::Prefix;

/// A routing table as a device shows it.
#[derive(Debug, Clone)]
pub struct TableView {
    pub name: String,
    pub dests: Vec<(Prefix, Dest)>,
}

impl TableView {
    pub fn route_count(&self) -> usize {
        self.dests.iter().map(|(_, d)| d.paths.len()).sum()
    }

    pub fn active_count(&self) -> usize {
        self.dests
            .iter()
            .filter(|(_, d)| !d.paths.is_empty())
            .count()
    }
}

/// One row of `show bgp summary`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BgpPeerRow {
    pub session: usize,
    pub peer: Ipv4Addr,
    pub peer_as: u32,
    pub local_addr: Ipv4Addr,
    pub local_as: u32,
    pub group: &'static str,
    pub ibgp: bool,
    pub established: bool,
    /// Junos' state word: `Establ`, `Active`.
    pub state: &'static str,
    pub in_msgs: u64,
    pub out_msgs: u64,
    pub flaps: u32,
    /// Since the last transition.
    pub last_change: Duration,
    pub table: String,
    pub active: usize,
    pub received: usize,
    pub accepted: usize,
    pub bfd: bool,
}

/// One row of `show bfd session`.
#[derive(Debug, Clone, PartialEq)]
pub struct BfdRow {
    pub peer: Ipv4Addr,
    pub up: bool,
    pub interface: &'static str,
    pub detect_s: f64,
    pub transmit_s: f64,
    pub multiplier: u32,
}

/// One IKE security association on the firewall.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IkeSa {
    pub index: u32,
    pub up: bool,
    pub initiator_cookie: String,
    pub responder_cookie: String,
    pub remote: Ipv4Addr,
}

/// One IPsec tunnel's pair of SAs on the firewall.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpsecSa {
    pub tunnel_id: u32,
    pub inbound_spi: String,
    pub outbound_spi: String,
    pub algorithm: &'static str,
    pub lifetime_remaining_s: u64,
    pub gateway: Ipv4Addr,
    pub port: u16,
}

impl World {
    /// The routing tables of a Junos device, in Junos' order (`inet.0`
    /// first, then the routing instance's).
    pub fn tables(&self, device: DeviceId) -> Vec<TableView> {
        let Some(node) = device.node() else {
            return vec![];
        };
        let r = self.topo.router(node);
        let boot = ORIGIN.saturating_sub(self.topo.router_uptime);
        let mut master: Vec<Path> = Vec::new();
        let mk = |prefix: Prefix, protocol: Protocol| Path {
            prefix,
            protocol,
            preference: protocol.default_preference(),
            local_pref: 100,
            weight: 0,
            as_path: vec![],
            origin: bgp::Origin::Igp,
            med: None,
            source: PathSource::Local(protocol),
            peer: None,
            next_hops: vec![],
            local_via: None,
            since: boot,
        };
        for i in r.interfaces.iter().filter(|i| i.instance.is_none()) {
            let (Some(addr), Some(net)) = (i.addr, i.subnet()) else {
                continue;
            };
            let mut d = mk(net, Protocol::Direct);
            d.next_hops.push(NextHop {
                to: None,
                via: i.name,
            });
            master.push(d);
            let mut l = mk(Prefix::host(addr.into()), Protocol::Local);
            l.local_via = Some(i.name);
            master.push(l);
            // The firewall's default route toward the Internet carries the
            // tunnels' outer packets.
            if i.name == "reth3.0" {
                let mut s = mk(Prefix::V4 { addr: 0, len: 0 }, Protocol::Static);
                let gw = u32::from(addr) & !0xff | 1;
                s.next_hops.push(NextHop {
                    to: Some(Ipv4Addr::from(gw)),
                    via: i.name,
                });
                master.push(s);
            }
        }
        let mut dests: std::collections::BTreeMap<Prefix, Dest> = std::collections::BTreeMap::new();
        for p in master {
            let d = dests.entry(p.prefix).or_default();
            d.paths.push(p);
        }
        for d in dests.values_mut() {
            d.paths.sort_by(|a, b| bgp::compare(a, b).0);
            d.last_active = d.active().map(|p| p.source);
        }
        let mut out = vec![TableView {
            name: "inet.0".to_string(),
            dests: dests.into_iter().collect(),
        }];
        if let Some(inst) = r.instance {
            let rib = self.rib(node);
            out.push(TableView {
                name: format!("{inst}.inet.0"),
                dests: rib.dests.iter().map(|(p, d)| (*p, d.clone())).collect(),
            });
        }
        out
    }

    /// `show bgp summary` rows of a device, in configuration order.
    pub fn bgp_peers(&self, device: DeviceId) -> Vec<BgpPeerRow> {
        let Some(node) = device.node() else {
            return vec![];
        };
        let table = self.instance_table(node);
        let local_as = self.topo.router(node).asn;
        let rib = self.rib(node);
        self.topo
            .sessions_of(node)
            .filter_map(|(sid, s)| {
                let (me, peer) = s.ends_of(node)?;
                let rt = self.sessions.get(sid)?;
                let peer_as = self.topo.router(peer.node).asn;
                let (mut received, mut active) = (0, 0);
                for d in rib.dests.values() {
                    for (i, p) in d.paths.iter().enumerate() {
                        if matches!(p.source, PathSource::Session { session, .. } if session == sid)
                        {
                            received += 1;
                            if i == 0 {
                                active += 1;
                            }
                        }
                    }
                }
                let up_for = self.t.saturating_sub(rt.since);
                let hold = match s.carrier {
                    Carrier::ErLink(_) | Carrier::Tunnel(_) => self.scenario.timing.hold_time,
                    _ => Duration::from_secs(90),
                };
                let keepalive = (hold.as_secs() / 3).max(1);
                let base = 7 + (sid as u64 * 37 + u64::from(rt.flaps) * 11) % 50;
                let (in_msgs, out_msgs) = if rt.established {
                    let ka = up_for.as_secs() / keepalive;
                    (base + ka + received as u64, base + ka + 3)
                } else {
                    (0, 0)
                };
                Some(BgpPeerRow {
                    session: sid,
                    peer: peer.addr,
                    peer_as,
                    local_addr: me.addr,
                    local_as,
                    group: me.group,
                    ibgp: peer_as == local_as,
                    established: rt.established,
                    state: if rt.established { "Establ" } else { "Active" },
                    in_msgs,
                    out_msgs,
                    flaps: rt.flaps,
                    last_change: up_for,
                    table: table.clone(),
                    active,
                    received,
                    accepted: received,
                    bfd: s.bfd && self.scenario.timing.bfd,
                })
            })
            .collect()
    }

    /// `show bfd session` rows of a device.
    pub fn bfd_sessions(&self, device: DeviceId) -> Vec<BfdRow> {
        let Some(node) = device.node() else {
            return vec![];
        };
        let timing = self.scenario.timing;
        if !timing.bfd {
            return vec![];
        }
        self.topo
            .sessions_of(node)
            .filter(|(_, s)| s.bfd)
            .filter_map(|(sid, s)| {
                let (me, peer) = s.ends_of(node)?;
                // Down from the moment it detected the silence, before
                // BGP and the tables follow.
                let up = self
                    .sessions
                    .get(sid)
                    .map(|rt| rt.established && !rt.detected)?;
                let tx = timing.bfd_interval.as_secs_f64();
                Some(BfdRow {
                    peer: peer.addr,
                    up,
                    interface: me.next_hop.via,
                    // A session that is not up paces at one second and
                    // detects nothing (RFC 5880, 6.8.3).
                    detect_s: if up {
                        tx * f64::from(timing.bfd_multiplier)
                    } else {
                        0.0
                    },
                    transmit_s: if up { tx } else { 1.0 },
                    multiplier: timing.bfd_multiplier,
                })
            })
            .collect()
    }

    /// The firewall's IKE SAs: one per tunnel, `DOWN` while it negotiates.
    pub fn ike_sas(&self) -> Vec<IkeSa> {
        self.topo
            .tunnels
            .iter()
            .zip(&self.tunnels)
            .map(|(spec, rt)| {
                let h = mix(self.seed
                    ^ (spec.index as u64 + 1).wrapping_mul(0x9e37)
                    ^ rt.serial.wrapping_mul(0x51));
                IkeSa {
                    index: 1_590_399
                        + u32::try_from(h % 9_000).unwrap_or(0)
                        + 3 * spec.index as u32,
                    up: rt.up,
                    initiator_cookie: hex_id(mix(h ^ 1), 16),
                    responder_cookie: if rt.up {
                        hex_id(mix(h ^ 2), 16)
                    } else {
                        "0".repeat(16)
                    },
                    remote: spec.remote_public,
                }
            })
            .collect()
    }

    /// The firewall's IPsec SAs, one pair per tunnel that is up. SPIs change
    /// at every rekey (hourly).
    pub fn ipsec_sas(&self) -> Vec<IpsecSa> {
        const LIFETIME: u64 = 3600;
        self.topo
            .tunnels
            .iter()
            .zip(&self.tunnels)
            .filter(|(_, rt)| rt.up)
            .map(|(spec, rt)| {
                let age = self.t.saturating_sub(rt.since).as_secs();
                let epoch = age / LIFETIME;
                let h = mix(self.seed
                    ^ 0x1b5e
                    ^ (spec.index as u64) << 8
                    ^ rt.serial << 20
                    ^ epoch << 32);
                IpsecSa {
                    tunnel_id: 131_073 + spec.index as u32,
                    inbound_spi: hex_id(mix(h ^ 3), 8),
                    outbound_spi: hex_id(mix(h ^ 4), 8),
                    algorithm: "ESP:aes-cbc-256/sha256",
                    lifetime_remaining_s: LIFETIME - age % LIFETIME,
                    gateway: spec.remote_public,
                    port: 500,
                }
            })
            .collect()
    }
}
