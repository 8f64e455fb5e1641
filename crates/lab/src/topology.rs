//! The procedure's network as data (procedure/README.md): who has which
//! address, who peers with whom, and with what policy. Nothing here moves;
//! `world` makes it move.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;
use std::time::Duration;

use cutover_core::model::Prefix;

mod article;

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

impl Topology {
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
    use super::article::ip;
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
