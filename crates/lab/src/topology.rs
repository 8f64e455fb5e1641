//! The procedure's network as data (procedure/README.md): who has which
//! address, who peers with whom, and with what policy. Nothing here moves;
//! `world` makes it move.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;
use std::time::Duration;

use cutover_core::model::Prefix;

/// A BGP speaker of the lab.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node {
    Ce1,
    Ce2,
    Fw,
    Msee1,
    Msee2,
    ErGw,
    VpnGw0,
    VpnGw1,
}

impl Node {
    pub const ALL: [Node; 8] = [
        Node::Ce1,
        Node::Ce2,
        Node::Fw,
        Node::Msee1,
        Node::Msee2,
        Node::ErGw,
        Node::VpnGw0,
        Node::VpnGw1,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Node::Ce1 => "ce1",
            Node::Ce2 => "ce2",
            Node::Fw => "fw",
            Node::Msee1 => "msee1",
            Node::Msee2 => "msee2",
            Node::ErGw => "ergw",
            Node::VpnGw0 => "vpngw0",
            Node::VpnGw1 => "vpngw1",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    /// Azure's gateways and the MSEE: operated by Microsoft, seen only
    /// through the ARM API and never over SSH.
    pub fn is_microsoft(self) -> bool {
        matches!(
            self,
            Node::Msee1 | Node::Msee2 | Node::ErGw | Node::VpnGw0 | Node::VpnGw1
        )
    }

    /// Azure's virtual network gateways (not the MSEE).
    pub fn is_azure_gateway(self) -> bool {
        matches!(self, Node::ErGw | Node::VpnGw0 | Node::VpnGw1)
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{name}` (known: {known})")]
pub struct UnknownName {
    pub what: &'static str,
    pub name: String,
    pub known: String,
}

impl FromStr for Node {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Node::ALL
            .into_iter()
            .find(|n| n.name() == s)
            .ok_or_else(|| UnknownName {
                what: "router",
                name: s.to_string(),
                known: Node::ALL.map(Node::name).join(", "),
            })
    }
}

/// A device an operator logs into (the runbook's roles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DeviceId {
    Ce1,
    Ce2,
    Fw,
    Server,
}

impl DeviceId {
    pub const ALL: [DeviceId; 4] = [DeviceId::Ce1, DeviceId::Ce2, DeviceId::Fw, DeviceId::Server];

    pub fn name(self) -> &'static str {
        match self {
            DeviceId::Ce1 => "ce1",
            DeviceId::Ce2 => "ce2",
            DeviceId::Fw => "fw",
            DeviceId::Server => "server",
        }
    }

    /// The BGP speaker behind a router's CLI; the server has none.
    pub fn node(self) -> Option<Node> {
        match self {
            DeviceId::Ce1 => Some(Node::Ce1),
            DeviceId::Ce2 => Some(Node::Ce2),
            DeviceId::Fw => Some(Node::Fw),
            DeviceId::Server => None,
        }
    }
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for DeviceId {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DeviceId::ALL
            .into_iter()
            .find(|d| d.name() == s)
            .ok_or_else(|| UnknownName {
                what: "device",
                name: s.to_string(),
                known: DeviceId::ALL.map(DeviceId::name).join(", "),
            })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    JunosMx,
    /// An SRX chassis cluster: every prompt carries `{primary:node0}` and
    /// the security commands print a `node0:` section.
    JunosSrxCluster,
    Linux,
}

/// A CLI device: what its prompt and banners say.
#[derive(Debug, Clone)]
pub struct DeviceSpec {
    pub id: DeviceId,
    pub hostname: &'static str,
    pub platform: Platform,
    pub model: &'static str,
    pub version: &'static str,
}

/// An interface address. `instance` is the routing instance that holds it
/// (`None` is the master instance, table `inet.0`).
#[derive(Debug, Clone)]
pub struct Interface {
    pub name: &'static str,
    pub addr: Option<Ipv4Addr>,
    pub len: u8,
    pub instance: Option<&'static str>,
}

impl Interface {
    pub fn subnet(&self) -> Option<Prefix> {
        let a = self.addr?;
        Prefix::new(a.into(), self.len).ok()
    }
}

/// How a router reaches a neighbor or a static destination.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NextHop {
    /// The gateway address, `None` for a point-to-point interface.
    pub to: Option<Ipv4Addr>,
    pub via: &'static str,
}

/// A route a router puts into its table by itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginKind {
    /// Azure's VNet address spaces and its local network gateway entry.
    Network,
    /// A static route through an interface.
    Static { via: &'static str },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origination {
    pub prefix: Prefix,
    pub kind: OriginKind,
}

/// One BGP speaker's own facts.
#[derive(Debug, Clone)]
pub struct RouterSpec {
    pub node: Node,
    pub asn: u32,
    pub router_id: Ipv4Addr,
    /// The routing instance that holds the BGP sessions (`Cust11`), `None`
    /// for Microsoft's routers, which the lab shows no table of.
    pub instance: Option<&'static str>,
    pub interfaces: Vec<Interface>,
    pub originate: Vec<Origination>,
    /// `multipath` on the BGP group: equal paths share the forwarding
    /// next hops of the active one (the article's firewall does).
    pub multipath: bool,
    /// Answers an expiring TTL with an ICMP time-exceeded; Azure's gateways
    /// do not (the article's traceroutes show a silent hop).
    pub answers_traceroute: bool,
}

/// What one end of a session announces to the other.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Export {
    /// Own routes (direct, static, network) announced, by prefix.
    pub originated: Vec<Prefix>,
    /// Re-announce BGP-learned best paths (with the usual iBGP split
    /// horizon, and never back to the session they came from).
    pub learned: bool,
    /// Prefixes withheld from this session.
    pub deny: Vec<Prefix>,
}

/// One end of a BGP session: the configuration on that router for that
/// neighbor.
#[derive(Debug, Clone)]
pub struct EndSpec {
    pub node: Node,
    /// This end's address on the session (the neighbor address the other
    /// end configures).
    pub addr: Ipv4Addr,
    /// Junos BGP group name (Microsoft's ends have none to show).
    pub group: &'static str,
    pub export: Export,
    /// `local-preference N` in an internal group: set on what this end
    /// announces.
    pub local_pref_out: Option<u32>,
    /// Azure's weight for what this end receives.
    pub weight_in: u32,
    /// How this end forwards to the other.
    pub next_hop: NextHop,
    /// `remove-private` on announcements (the MSEE strips Azure's 65515).
    pub remove_private_as: bool,
    /// Announce every path, not only the best (Azure's ER gateway passes
    /// both MSEE paths to the VPN gateway: the article lists both).
    pub add_path: bool,
}

/// What a session runs over; decides which events take it down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carrier {
    /// A CE's eBGP session to its MSEE over ER link `0` (primary) or `1`.
    ErLink(usize),
    /// The MSEE's session to the ER gateway, inside Microsoft.
    ErCore(usize),
    /// BGP over IPsec tunnel `i`.
    Tunnel(usize),
    /// A LAN or an Azure-internal adjacency that nothing in the lab cuts.
    Fixed,
}

#[derive(Debug, Clone)]
pub struct SessionSpec {
    pub name: &'static str,
    pub ends: [EndSpec; 2],
    pub carrier: Carrier,
    /// BFD configured on the session (the article's eBGP group to the MSEE).
    pub bfd: bool,
    /// How long the session has been up when the lab starts.
    pub initial_uptime: Duration,
}

impl SessionSpec {
    pub fn is_ebgp(&self, topo: &Topology) -> bool {
        topo.router(self.ends[0].node).asn != topo.router(self.ends[1].node).asn
    }

    /// The end on `node`, and the other end.
    pub fn ends_of(&self, node: Node) -> Option<(&EndSpec, &EndSpec)> {
        if self.ends[0].node == node {
            Some((&self.ends[0], &self.ends[1]))
        } else if self.ends[1].node == node {
            Some((&self.ends[1], &self.ends[0]))
        } else {
            None
        }
    }
}

/// An IPsec tunnel between the firewall and one VPN gateway instance.
#[derive(Debug, Clone)]
pub struct TunnelSpec {
    pub index: usize,
    pub st_interface: &'static str,
    pub local_public: Ipv4Addr,
    pub remote_public: Ipv4Addr,
    pub azure_instance: Node,
    pub initial_uptime: Duration,
}

/// A host at the edge of the lab.
#[derive(Debug, Clone)]
pub struct HostSpec {
    pub hostname: &'static str,
    pub addr: Ipv4Addr,
    pub gateway: Ipv4Addr,
}

/// An ExpressRoute circuit peering as Azure describes it.
#[derive(Debug, Clone)]
pub struct PeeringSpec {
    pub name: &'static str,
    pub peering_type: &'static str,
    pub azure_asn: u32,
    pub peer_asn: u32,
    pub primary_prefix: &'static str,
    pub secondary_prefix: &'static str,
    pub primary_port: &'static str,
    pub secondary_port: &'static str,
    pub vlan_id: u32,
    /// Only the private peering carries the lab's routes.
    pub carries_private_routes: bool,
}

/// Azure resource names and the facts ARM reports about them.
#[derive(Debug, Clone)]
pub struct AzureSpec {
    pub subscription: &'static str,
    pub resource_group: &'static str,
    pub location: &'static str,
    pub circuit: &'static str,
    pub service_provider: &'static str,
    pub peering_location: &'static str,
    pub bandwidth_mbps: u32,
    pub service_key: &'static str,
    /// In the order ARM lists them: Microsoft peering first, the article's
    /// `Peerings[0]` trap.
    pub peerings: Vec<PeeringSpec>,
    pub er_gateway: &'static str,
    pub vpn_gateway: &'static str,
    pub vpn_gateway_asn: u32,
    pub connection: &'static str,
    pub local_network_gateway: &'static str,
    pub hub_vnet: &'static str,
    pub spoke_vnet: &'static str,
}

/// The whole lab.
#[derive(Debug, Clone)]
pub struct Topology {
    pub onprem: Prefix,
    pub hub: Prefix,
    pub spoke: Prefix,
    pub server: HostSpec,
    pub vm: HostSpec,
    pub devices: Vec<DeviceSpec>,
    /// Indexed by `Node::index()`.
    pub routers: Vec<RouterSpec>,
    pub sessions: Vec<SessionSpec>,
    pub tunnels: Vec<TunnelSpec>,
    pub azure: AzureSpec,
    /// How long the routers have been up when the lab starts.
    pub router_uptime: Duration,
}

fn ip(a: u8, b: u8, c: u8, d: u8) -> Ipv4Addr {
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

    pub fn router(&self, node: Node) -> &RouterSpec {
        // `routers` is built in `Node::ALL` order; `article()` and the test
        // below keep it so.
        &self.routers[node.index()]
    }

    pub fn device(&self, id: DeviceId) -> Option<&DeviceSpec> {
        self.devices.iter().find(|d| d.id == id)
    }

    /// The session on `node` whose other end has address `neighbor`.
    pub fn session_by_neighbor(&self, node: Node, neighbor: Ipv4Addr) -> Option<usize> {
        self.sessions.iter().position(|s| {
            s.ends_of(node)
                .is_some_and(|(_, peer)| peer.addr == neighbor)
        })
    }

    pub fn session_by_name(&self, name: &str) -> Option<usize> {
        self.sessions.iter().position(|s| s.name == name)
    }

    /// Sessions with an end on `node`, in configuration order.
    pub fn sessions_of(&self, node: Node) -> impl Iterator<Item = (usize, &SessionSpec)> {
        self.sessions
            .iter()
            .enumerate()
            .filter(move |(_, s)| s.ends_of(node).is_some())
    }

    pub fn private_peering(&self) -> Option<&PeeringSpec> {
        self.azure
            .peerings
            .iter()
            .find(|p| p.carries_private_routes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routers_are_indexed_by_node() {
        let t = Topology::article();
        for n in Node::ALL {
            assert_eq!(t.router(n).node, n);
        }
    }

    #[test]
    fn article_addresses() {
        let t = Topology::article();
        assert_eq!(t.onprem.to_string(), "10.1.11.0/25");
        assert_eq!(t.hub.to_string(), "10.17.11.0/25");
        assert_eq!(t.spoke.to_string(), "10.17.11.128/26");
        assert_eq!(t.server.addr, ip(10, 1, 11, 10));
        assert_eq!(t.vm.addr, ip(10, 17, 11, 132));
        assert_eq!(t.router(Node::Msee1).asn, 12076);
        assert_eq!(t.router(Node::VpnGw0).asn, 65515);
        let fw = t
            .session_by_neighbor(Node::Fw, ip(10, 17, 11, 77))
            .map(|i| t.sessions[i].name);
        assert_eq!(fw, Some("fw-vpngw1"));
        let names: Vec<_> = t.azure.peerings.iter().map(|p| p.name).collect();
        assert_eq!(names, ["MicrosoftPeering", "AzurePrivatePeering"]);
        assert_eq!("fw".parse::<DeviceId>(), Ok(DeviceId::Fw));
        assert!("fw2".parse::<Node>().is_err());
    }
}
