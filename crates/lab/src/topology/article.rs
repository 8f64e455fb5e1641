//! The article's lab as data: its published addresses, AS numbers,
//! sessions and Azure resources.

use std::net::Ipv4Addr;
use std::time::Duration;

use super::{
    AzureSpec, Carrier, DeviceId, DeviceSpec, EndSpec, Export, HostSpec, Interface, NextHop, Node,
    OriginKind, Origination, PeeringSpec, Platform, RouterSpec, SessionSpec, Topology, TunnelSpec,
};
use cutover_core::model::Prefix;

pub(super) fn ip(a: u8, b: u8, c: u8, d: u8) -> Ipv4Addr {
    Ipv4Addr::new(a, b, c, d)
}

fn pfx(a: u8, b: u8, c: u8, d: u8, len: u8) -> Prefix {
    // Lengths below are literals <= 32, so the constructor cannot fail; the
    // fallback keeps the function total anyway.
    Prefix::new(ip(a, b, c, d).into(), len).unwrap_or(Prefix::V4 { addr: 0, len: 0 })
}

fn dur(days: u64, h: u64, m: u64, s: u64) -> Duration {
    Duration::from_secs(((days * 24 + h) * 60 + m) * 60 + s)
}

fn iface(name: &'static str, addr: Ipv4Addr, len: u8, instance: Option<&'static str>) -> Interface {
    Interface {
        name,
        addr: Some(addr),
        len,
        instance,
    }
}

fn unnumbered(name: &'static str, instance: Option<&'static str>) -> Interface {
    Interface {
        name,
        addr: None,
        len: 0,
        instance,
    }
}

const CUST: Option<&str> = Some("Cust11");

impl Topology {
    /// The article's lab (procedure/README.md), addresses as published;
    /// the few facts it leaves out (management and public addresses,
    /// Azure resource names) use documentation ranges and the article's
    /// naming.
    pub fn article() -> Self {
        let onprem = pfx(10, 1, 11, 0, 25);
        let hub = pfx(10, 17, 11, 0, 25);
        let spoke = pfx(10, 17, 11, 128, 26);
        let lng_peer = pfx(192, 168, 11, 88, 32);

        let devices = vec![
            DeviceSpec {
                id: DeviceId::Ce1,
                hostname: "SEA-MX03-01",
                platform: Platform::JunosMx,
                model: "mx480",
                version: "18.4R3",
            },
            DeviceSpec {
                id: DeviceId::Ce2,
                hostname: "SEA-MX03-02",
                platform: Platform::JunosMx,
                model: "mx480",
                version: "18.4R3",
            },
            DeviceSpec {
                id: DeviceId::Fw,
                hostname: "SEA-SRX42-01",
                platform: Platform::JunosSrxCluster,
                model: "srx4200",
                version: "18.4R3",
            },
            DeviceSpec {
                id: DeviceId::Server,
                hostname: "pathlab-srv01",
                platform: Platform::Linux,
                model: "linux",
                version: "6.1.0",
            },
        ];

        let ce = |node, mgmt: u8, to_fw: Ipv4Addr, to_msee: Ipv4Addr| RouterSpec {
            node,
            asn: 65020,
            router_id: to_fw,
            instance: CUST,
            interfaces: vec![
                iface("fxp0.0", ip(10, 255, 11, mgmt), 24, None),
                iface("ae0.11", to_fw, 31, CUST),
                iface("xe-0/0/0:0.110", to_msee, 30, CUST),
            ],
            originate: vec![],
            multipath: false,
            answers_traceroute: true,
        };
        let msee = |node, rid| RouterSpec {
            node,
            asn: 12076,
            router_id: rid,
            instance: None,
            interfaces: vec![],
            originate: vec![],
            multipath: false,
            answers_traceroute: true,
        };
        let azure_gw = |node, rid| RouterSpec {
            node,
            asn: 65515,
            router_id: rid,
            instance: None,
            interfaces: vec![],
            originate: vec![
                Origination {
                    prefix: hub,
                    kind: OriginKind::Network,
                },
                Origination {
                    prefix: spoke,
                    kind: OriginKind::Network,
                },
            ],
            multipath: false,
            answers_traceroute: false,
        };
        let mut vpngw0 = azure_gw(Node::VpnGw0, ip(10, 17, 11, 76));
        let mut vpngw1 = azure_gw(Node::VpnGw1, ip(10, 17, 11, 77));
        // The local network gateway's BGP peer address is a route of its own
        // on each instance (getLearnedRoutes lists it as Network).
        for g in [&mut vpngw0, &mut vpngw1] {
            g.originate.push(Origination {
                prefix: lng_peer,
                kind: OriginKind::Network,
            });
        }
        let routers = vec![
            ce(Node::Ce1, 1, ip(192, 168, 11, 0), ip(192, 168, 11, 17)),
            ce(Node::Ce2, 2, ip(192, 168, 11, 2), ip(192, 168, 11, 21)),
            RouterSpec {
                node: Node::Fw,
                asn: 65020,
                router_id: ip(192, 168, 11, 88),
                instance: CUST,
                interfaces: vec![
                    iface("fxp0.0", ip(10, 255, 11, 3), 24, None),
                    iface("reth3.0", ip(203, 0, 113, 10), 24, None),
                    iface("reth0.11", ip(10, 1, 11, 1), 25, CUST),
                    iface("reth1.11", ip(192, 168, 11, 1), 31, CUST),
                    iface("reth2.11", ip(192, 168, 11, 3), 31, CUST),
                    iface("lo0.11", ip(192, 168, 11, 88), 32, CUST),
                    unnumbered("st0.118", CUST),
                    unnumbered("st0.119", CUST),
                ],
                originate: vec![
                    Origination {
                        prefix: pfx(10, 17, 11, 76, 32),
                        kind: OriginKind::Static { via: "st0.118" },
                    },
                    Origination {
                        prefix: pfx(10, 17, 11, 77, 32),
                        kind: OriginKind::Static { via: "st0.119" },
                    },
                ],
                multipath: true,
                answers_traceroute: true,
            },
            msee(Node::Msee1, ip(192, 168, 11, 18)),
            msee(Node::Msee2, ip(192, 168, 11, 22)),
            azure_gw(Node::ErGw, ip(10, 17, 11, 69)),
            vpngw0,
            vpngw1,
        ];

        let end = |node, addr, group, next_hop: NextHop| EndSpec {
            node,
            addr,
            group,
            export: Export {
                originated: vec![],
                learned: true,
                deny: vec![],
            },
            local_pref_out: None,
            weight_in: 0,
            next_hop,
            remove_private_as: false,
            add_path: false,
        };
        let nh = |to: Option<Ipv4Addr>, via| NextHop { to, via };
        let only = |prefixes: Vec<Prefix>| Export {
            originated: prefixes,
            learned: false,
            deny: vec![],
        };

        let ce_msee = |name, ce_node, msee_node, ce_addr, msee_addr, link, up| SessionSpec {
            name,
            ends: [
                end(
                    ce_node,
                    ce_addr,
                    "ebgp",
                    nh(Some(msee_addr), "xe-0/0/0:0.110"),
                ),
                EndSpec {
                    remove_private_as: true,
                    ..end(msee_node, msee_addr, "", nh(Some(ce_addr), "ce"))
                },
            ],
            carrier: Carrier::ErLink(link),
            bfd: true,
            initial_uptime: up,
        };
        let fw_ce = |name, ce_node, fw_addr, ce_addr, fw_if, up| SessionSpec {
            name,
            ends: [
                EndSpec {
                    export: only(vec![onprem]),
                    ..end(Node::Fw, fw_addr, "ibgp", nh(Some(ce_addr), fw_if))
                },
                EndSpec {
                    local_pref_out: Some(150),
                    ..end(ce_node, ce_addr, "ibgp", nh(Some(fw_addr), "ae0.11"))
                },
            ],
            carrier: Carrier::Fixed,
            bfd: false,
            initial_uptime: up,
        };
        let fw_vpn = |name, gw, gw_addr, st, tunnel, up| SessionSpec {
            name,
            ends: [
                EndSpec {
                    export: only(vec![onprem]),
                    ..end(Node::Fw, ip(192, 168, 11, 88), "azure-vpn", nh(None, st))
                },
                EndSpec {
                    export: only(vec![hub, spoke]),
                    weight_in: 32768,
                    ..end(gw, gw_addr, "", nh(Some(ip(192, 168, 11, 88)), "tunnel"))
                },
            ],
            carrier: Carrier::Tunnel(tunnel),
            bfd: false,
            initial_uptime: up,
        };
        // Azure's gateways pass every externally learned path to each other,
        // not only their best: an instance lists its sibling's EBgp path
        // even while it prefers the ER one (the article's learned routes).
        let azure_ibgp = |name, a, a_addr, b, b_addr, weight_a, weight_b| SessionSpec {
            name,
            ends: [
                EndSpec {
                    weight_in: weight_a,
                    add_path: true,
                    ..end(a, a_addr, "", nh(Some(b_addr), "gatewaysubnet"))
                },
                EndSpec {
                    weight_in: weight_b,
                    add_path: true,
                    ..end(b, b_addr, "", nh(Some(a_addr), "gatewaysubnet"))
                },
            ],
            carrier: Carrier::Fixed,
            bfd: false,
            initial_uptime: dur(41, 3, 12, 9),
        };
        let msee_ergw = |name, msee_node, msee_addr, link| SessionSpec {
            name,
            ends: [
                end(
                    msee_node,
                    msee_addr,
                    "",
                    nh(Some(ip(10, 17, 11, 69)), "er-core"),
                ),
                EndSpec {
                    export: only(vec![hub, spoke]),
                    weight_in: 32769,
                    ..end(
                        Node::ErGw,
                        ip(10, 17, 11, 69),
                        "",
                        nh(Some(msee_addr), "er-core"),
                    )
                },
            ],
            carrier: Carrier::ErCore(link),
            bfd: false,
            initial_uptime: dur(2, 0, 34, 30),
        };

        let ergw = ip(10, 17, 11, 69);
        let v76 = ip(10, 17, 11, 76);
        let v77 = ip(10, 17, 11, 77);
        let sessions = vec![
            ce_msee(
                "ce1-msee1",
                Node::Ce1,
                Node::Msee1,
                ip(192, 168, 11, 17),
                ip(192, 168, 11, 18),
                0,
                dur(2, 0, 34, 4),
            ),
            ce_msee(
                "ce2-msee2",
                Node::Ce2,
                Node::Msee2,
                ip(192, 168, 11, 21),
                ip(192, 168, 11, 22),
                1,
                dur(2, 0, 34, 1),
            ),
            fw_ce(
                "fw-ce1",
                Node::Ce1,
                ip(192, 168, 11, 1),
                ip(192, 168, 11, 0),
                "reth1.11",
                dur(9, 4, 2, 51),
            ),
            fw_ce(
                "fw-ce2",
                Node::Ce2,
                ip(192, 168, 11, 3),
                ip(192, 168, 11, 2),
                "reth2.11",
                dur(9, 4, 2, 49),
            ),
            fw_vpn(
                "fw-vpngw0",
                Node::VpnGw0,
                v76,
                "st0.118",
                0,
                dur(2, 21, 12, 13),
            ),
            fw_vpn(
                "fw-vpngw1",
                Node::VpnGw1,
                v77,
                "st0.119",
                1,
                dur(2, 0, 41, 51),
            ),
            azure_ibgp(
                "vpngw0-vpngw1",
                Node::VpnGw0,
                v76,
                Node::VpnGw1,
                v77,
                32768,
                32768,
            ),
            azure_ibgp("ergw-vpngw0", Node::ErGw, ergw, Node::VpnGw0, v76, 0, 32769),
            azure_ibgp("ergw-vpngw1", Node::ErGw, ergw, Node::VpnGw1, v77, 0, 32769),
            msee_ergw("msee1-ergw", Node::Msee1, ip(192, 168, 11, 18), 0),
            msee_ergw("msee2-ergw", Node::Msee2, ip(192, 168, 11, 22), 1),
        ];

        let tunnels = vec![
            TunnelSpec {
                index: 0,
                st_interface: "st0.118",
                local_public: ip(203, 0, 113, 10),
                remote_public: ip(198, 51, 100, 20),
                azure_instance: Node::VpnGw0,
                initial_uptime: dur(2, 21, 12, 16),
            },
            TunnelSpec {
                index: 1,
                st_interface: "st0.119",
                local_public: ip(203, 0, 113, 10),
                remote_public: ip(198, 51, 100, 21),
                azure_instance: Node::VpnGw1,
                initial_uptime: dur(2, 0, 41, 56),
            },
        ];

        let azure = AzureSpec {
            subscription: "00000000-0000-0000-0000-000000000000",
            resource_group: "SEA-Cust11",
            location: "westus2",
            circuit: "SEA-Cust11-ER",
            service_provider: "Equinix",
            peering_location: "Seattle",
            bandwidth_mbps: 1000,
            service_key: "6f1c2a7e-3b4d-4e5f-8a9b-0c1d2e3f4a5b",
            peerings: vec![
                PeeringSpec {
                    name: "MicrosoftPeering",
                    peering_type: "MicrosoftPeering",
                    azure_asn: 12076,
                    peer_asn: 65020,
                    primary_prefix: "198.51.100.248/30",
                    secondary_prefix: "198.51.100.252/30",
                    primary_port: "EXAMPLE-SEA-01GMR-CIS-1-PRI-A",
                    secondary_port: "EXAMPLE-SEA-01GMR-CIS-2-SEC-A",
                    vlan_id: 12,
                    carries_private_routes: false,
                },
                PeeringSpec {
                    name: "AzurePrivatePeering",
                    peering_type: "AzurePrivatePeering",
                    azure_asn: 12076,
                    peer_asn: 65020,
                    primary_prefix: "192.168.11.16/30",
                    secondary_prefix: "192.168.11.20/30",
                    primary_port: "EXAMPLE-SEA-01GMR-CIS-1-PRI-A",
                    secondary_port: "EXAMPLE-SEA-01GMR-CIS-2-SEC-A",
                    vlan_id: 11,
                    carries_private_routes: true,
                },
            ],
            er_gateway: "SEA-Cust11-VNet01-gw-er",
            vpn_gateway: "SEA-Cust11-VNet01-gw-vpn",
            vpn_gateway_asn: 65515,
            connection: "SEA-Cust11-VNet01-cn-onprem",
            local_network_gateway: "SEA-Cust11-lng-onprem",
            hub_vnet: "SEA-Cust11-VNet01",
            spoke_vnet: "SEA-Cust11-VNet02",
        };

        Topology {
            onprem,
            hub,
            spoke,
            server: HostSpec {
                hostname: "pathlab-srv01",
                addr: ip(10, 1, 11, 10),
                gateway: ip(10, 1, 11, 1),
            },
            vm: HostSpec {
                hostname: "pathlab-vm01",
                addr: ip(10, 17, 11, 132),
                gateway: ip(10, 17, 11, 129),
            },
            devices,
            routers,
            sessions,
            tunnels,
            azure,
            router_uptime: dur(63, 7, 41, 12),
        }
    }
}
