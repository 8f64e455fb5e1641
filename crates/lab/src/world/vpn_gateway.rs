//! The VPN gateway and its connection as ARM shows them: learned and
//! advertised routes, BGP peer status, tunnel status.

use std::net::Ipv4Addr;
use std::time::Duration;

use super::World;
use crate::azure::{
    BgpPeerStatus, ConnectionView, GatewayRoute, GatewayView, TunnelStatus, timespan, us_datetime,
};
use crate::bgp::{PathSource, Protocol};
use crate::topology::Node;
use crate::{mix, uuid_like};
use cutover_core::model::Prefix;

impl World {
    fn azure_instances(&self) -> [Node; 2] {
        [Node::VpnGw0, Node::VpnGw1]
    }

    fn instance_addr(&self, node: Node) -> Ipv4Addr {
        self.topo.router(node).router_id
    }

    /// getLearnedRoutes of the VPN gateway: every path each instance holds.
    pub fn learned_routes(&self) -> Vec<GatewayRoute> {
        let mut out = Vec::new();
        for inst in self.azure_instances() {
            let local = self.instance_addr(inst).to_string();
            let mut rows: Vec<(u8, Prefix, u32, GatewayRoute)> = Vec::new();
            for d in self.rib(inst).dests.values() {
                for p in &d.paths {
                    let (rank, origin, next_hop, source) = match (p.protocol, p.peer) {
                        (Protocol::Network, _) => (0, "Network", None, local.clone()),
                        (Protocol::Bgp, Some(peer)) if !peer.ibgp => (
                            1,
                            "EBgp",
                            Some(peer.addr.to_string()),
                            peer.addr.to_string(),
                        ),
                        (Protocol::Bgp, Some(peer)) => (
                            2,
                            "IBgp",
                            Some(peer.addr.to_string()),
                            peer.addr.to_string(),
                        ),
                        _ => continue,
                    };
                    rows.push((
                        rank,
                        p.prefix,
                        p.weight,
                        GatewayRoute {
                            local_address: local.clone(),
                            network: p.prefix.to_string(),
                            next_hop,
                            source_peer: Some(source),
                            origin: origin.to_string(),
                            as_path: p
                                .as_path
                                .iter()
                                .map(u32::to_string)
                                .collect::<Vec<_>>()
                                .join("-"),
                            weight: p.weight,
                        },
                    ));
                }
            }
            // Azure lists its own networks first, then learned routes by
            // prefix: external, from the sibling, over ExpressRoute.
            rows.sort_by_key(|r| (r.0 > 0, r.1, r.0, r.2));
            out.extend(rows.into_iter().map(|r| r.3));
        }
        out
    }

    /// getAdvertisedRoutes?peer=: what each instance announces to `peer`.
    pub fn advertised_routes(&self, peer: Ipv4Addr) -> Vec<GatewayRoute> {
        let mut out = Vec::new();
        for inst in self.azure_instances() {
            let local = self.instance_addr(inst).to_string();
            for a in self.advertised_to(inst, peer).unwrap_or_default() {
                out.push(GatewayRoute {
                    local_address: local.clone(),
                    network: a.prefix.to_string(),
                    next_hop: Some(local.clone()),
                    source_peer: None,
                    origin: "Igp".to_string(),
                    as_path: a
                        .sent
                        .as_path
                        .iter()
                        .map(u32::to_string)
                        .collect::<Vec<_>>()
                        .join("-"),
                    weight: 0,
                });
            }
        }
        out
    }

    /// getBgpPeerStatus: each instance's on-premises peer and its sibling.
    pub fn bgp_peer_status(&self) -> Vec<BgpPeerStatus> {
        let mut out = Vec::new();
        for inst in self.azure_instances() {
            let local = self.instance_addr(inst);
            for (sid, s) in self.topo.sessions_of(inst) {
                let Some((_, peer)) = s.ends_of(inst) else {
                    continue;
                };
                if peer.node == Node::ErGw {
                    continue;
                }
                let Some(rt) = self.sessions.get(sid) else {
                    continue;
                };
                let received = self
                    .rib(inst)
                    .dests
                    .values()
                    .flat_map(|d| &d.paths)
                    .filter(|p| matches!(p.source, PathSource::Session { session, .. } if session == sid))
                    .count() as u64;
                let up_for = self.t.saturating_sub(rt.since);
                let base = 19 + sid as u64 * 5;
                let msgs = if rt.established {
                    base + up_for.as_secs() / 60
                } else {
                    u64::from(rt.flaps) + 2
                };
                out.push(BgpPeerStatus {
                    local_address: local.to_string(),
                    neighbor: peer.addr.to_string(),
                    asn: self.topo.router(peer.node).asn,
                    state: if rt.established {
                        "Connected"
                    } else {
                        "Connecting"
                    }
                    .to_string(),
                    connected_duration: if rt.established {
                        timespan(up_for)
                    } else {
                        timespan(Duration::ZERO)
                    },
                    routes_received: if rt.established { received } else { 0 },
                    messages_sent: msgs + 2,
                    messages_received: if rt.established { msgs } else { 0 },
                });
            }
        }
        out
    }

    pub fn connection(&self) -> ConnectionView {
        let a = &self.topo.azure;
        let tr = self.traffic.at(self.t);
        let tunnels: Vec<TunnelStatus> = self
            .topo
            .tunnels
            .iter()
            .zip(&self.tunnels)
            .map(|(spec, rt)| TunnelStatus {
                tunnel: format!("{}_IN_{}_{}", a.vpn_gateway, spec.index, spec.local_public),
                connection_status: if rt.up {
                    "Connected"
                } else if rt.admin_down {
                    "NotConnected"
                } else {
                    "Connecting"
                }
                .to_string(),
                ingress_bytes_transferred: tr.tun_in.get(spec.index).copied().unwrap_or(0.0) as u64,
                egress_bytes_transferred: tr.tun_out.get(spec.index).copied().unwrap_or(0.0) as u64,
                last_connection_established_utc_time: rt
                    .ever_up
                    .then(|| us_datetime(self.unix_at(rt.since))),
            })
            .collect();
        let any_up = self.tunnels.iter().any(|t| t.up);
        ConnectionView {
            name: a.connection.to_string(),
            etag: self.etag(&uuid_like(mix(self.seed ^ 0xc0ec))),
            location: a.location.to_string(),
            connection_type: "IPsec".to_string(),
            connection_protocol: "IKEv2".to_string(),
            enable_bgp: true,
            connection_status: if any_up { "Connected" } else { "NotConnected" }.to_string(),
            ingress_bytes_transferred: tunnels.iter().map(|t| t.ingress_bytes_transferred).sum(),
            egress_bytes_transferred: tunnels.iter().map(|t| t.egress_bytes_transferred).sum(),
            tunnel_connection_status: tunnels,
            virtual_network_gateway: a.vpn_gateway.to_string(),
            local_network_gateway: a.local_network_gateway.to_string(),
        }
    }

    pub fn vpn_gateway(&self) -> GatewayView {
        let a = &self.topo.azure;
        GatewayView {
            name: a.vpn_gateway.to_string(),
            location: a.location.to_string(),
            etag: self.etag(&uuid_like(mix(self.seed ^ 0x6a7e))),
            gateway_type: "Vpn".to_string(),
            vpn_type: "RouteBased".to_string(),
            active_active: true,
            enable_bgp: true,
            asn: a.vpn_gateway_asn,
            bgp_peering_addresses: self
                .azure_instances()
                .iter()
                .map(|n| self.instance_addr(*n).to_string())
                .collect(),
            public_ip_addresses: self
                .topo
                .tunnels
                .iter()
                .map(|t| t.remote_public.to_string())
                .collect(),
            provisioning_state: "Succeeded".to_string(),
        }
    }
}
