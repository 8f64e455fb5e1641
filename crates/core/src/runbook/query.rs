//! Semantic queries: what a step asks a device or Azure, independent of the
//! command that asks it (see `render` for that).

use std::fmt;
use std::net::IpAddr;

use serde::Serialize;

use crate::model::Prefix;

/// What kind of thing answers a role's queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Junos,
    Linux,
    Azure,
}

impl Platform {
    pub const ALL: [Platform; 3] = [Platform::Junos, Platform::Linux, Platform::Azure];

    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Junos => "junos",
            Platform::Linux => "linux",
            Platform::Azure => "azure",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The name of a query, as written in `probe.query`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum QueryName {
    #[serde(rename = "bgp.advertised")]
    BgpAdvertised,
    #[serde(rename = "bgp.received")]
    BgpReceived,
    #[serde(rename = "route.table")]
    RouteTable,
    #[serde(rename = "bgp.summary")]
    BgpSummary,
    #[serde(rename = "bfd.sessions")]
    BfdSessions,
    #[serde(rename = "ipsec.sas")]
    IpsecSas,
    #[serde(rename = "ike.sas")]
    IkeSas,
    #[serde(rename = "trace")]
    Trace,
    #[serde(rename = "azure.learned_routes")]
    AzureLearnedRoutes,
    #[serde(rename = "azure.advertised_routes")]
    AzureAdvertisedRoutes,
    #[serde(rename = "azure.bgp_peers")]
    AzureBgpPeers,
    #[serde(rename = "azure.peering")]
    AzurePeering,
    #[serde(rename = "azure.connection")]
    AzureConnection,
}

/// The shape of a query's answer, which decides the expect clauses that
/// make sense for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ResultKind {
    /// A list of route paths (prefix, next hops, AS path, local-pref, active).
    Routes,
    /// A list of things with a state: BGP/BFD/IKE peers, IPsec SAs, or one
    /// Azure resource.
    States,
    /// A traceroute.
    Trace,
}

/// One parameter a query takes besides `role` and `query`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamSpec {
    pub name: &'static str,
    pub required: bool,
    /// An Azure resource name that the probe may leave to its role.
    pub from_role: bool,
}

const fn req(name: &'static str) -> ParamSpec {
    ParamSpec {
        name,
        required: true,
        from_role: false,
    }
}
const fn opt(name: &'static str) -> ParamSpec {
    ParamSpec {
        name,
        required: false,
        from_role: false,
    }
}
const fn res(name: &'static str) -> ParamSpec {
    ParamSpec {
        name,
        required: true,
        from_role: true,
    }
}

/// The Azure resource names a role may declare for its probes and actions.
pub const AZURE_RESOURCE_KEYS: [&str; 5] = [
    "resource_group",
    "gateway",
    "circuit",
    "peering",
    "connection",
];

impl QueryName {
    pub const ALL: [QueryName; 13] = [
        QueryName::BgpAdvertised,
        QueryName::BgpReceived,
        QueryName::RouteTable,
        QueryName::BgpSummary,
        QueryName::BfdSessions,
        QueryName::IpsecSas,
        QueryName::IkeSas,
        QueryName::Trace,
        QueryName::AzureLearnedRoutes,
        QueryName::AzureAdvertisedRoutes,
        QueryName::AzureBgpPeers,
        QueryName::AzurePeering,
        QueryName::AzureConnection,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            QueryName::BgpAdvertised => "bgp.advertised",
            QueryName::BgpReceived => "bgp.received",
            QueryName::RouteTable => "route.table",
            QueryName::BgpSummary => "bgp.summary",
            QueryName::BfdSessions => "bfd.sessions",
            QueryName::IpsecSas => "ipsec.sas",
            QueryName::IkeSas => "ike.sas",
            QueryName::Trace => "trace",
            QueryName::AzureLearnedRoutes => "azure.learned_routes",
            QueryName::AzureAdvertisedRoutes => "azure.advertised_routes",
            QueryName::AzureBgpPeers => "azure.bgp_peers",
            QueryName::AzurePeering => "azure.peering",
            QueryName::AzureConnection => "azure.connection",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|q| q.as_str() == s)
    }

    pub fn result(self) -> ResultKind {
        match self {
            QueryName::BgpAdvertised
            | QueryName::BgpReceived
            | QueryName::RouteTable
            | QueryName::AzureLearnedRoutes
            | QueryName::AzureAdvertisedRoutes => ResultKind::Routes,
            QueryName::Trace => ResultKind::Trace,
            QueryName::BgpSummary
            | QueryName::BfdSessions
            | QueryName::IpsecSas
            | QueryName::IkeSas
            | QueryName::AzureBgpPeers
            | QueryName::AzurePeering
            | QueryName::AzureConnection => ResultKind::States,
        }
    }

    /// The platforms that can answer this query.
    pub fn platforms(self) -> &'static [Platform] {
        match self {
            QueryName::Trace => &[Platform::Junos, Platform::Linux],
            QueryName::AzureLearnedRoutes
            | QueryName::AzureAdvertisedRoutes
            | QueryName::AzureBgpPeers
            | QueryName::AzurePeering
            | QueryName::AzureConnection => &[Platform::Azure],
            _ => &[Platform::Junos],
        }
    }

    pub fn params(self) -> &'static [ParamSpec] {
        match self {
            QueryName::BgpAdvertised | QueryName::BgpReceived => {
                const P: &[ParamSpec] = &[req("peer"), opt("table")];
                P
            }
            QueryName::RouteTable => {
                const P: &[ParamSpec] = &[req("table"), opt("prefix")];
                P
            }
            QueryName::BgpSummary => {
                const P: &[ParamSpec] = &[opt("instance")];
                P
            }
            QueryName::BfdSessions | QueryName::IpsecSas | QueryName::IkeSas => &[],
            QueryName::Trace => {
                const P: &[ParamSpec] = &[req("target")];
                P
            }
            QueryName::AzureLearnedRoutes | QueryName::AzureBgpPeers => {
                const P: &[ParamSpec] = &[res("resource_group"), res("gateway")];
                P
            }
            QueryName::AzureAdvertisedRoutes => {
                const P: &[ParamSpec] = &[req("peer"), res("resource_group"), res("gateway")];
                P
            }
            QueryName::AzurePeering => {
                const P: &[ParamSpec] = &[res("resource_group"), res("circuit"), res("peering")];
                P
            }
            QueryName::AzureConnection => {
                const P: &[ParamSpec] = &[res("resource_group"), res("connection")];
                P
            }
        }
    }
}

impl fmt::Display for QueryName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A VPN gateway, by resource group and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GatewayRef {
    pub resource_group: String,
    pub gateway: String,
}

/// An ExpressRoute circuit peering, by name (never by list position).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeeringRef {
    pub resource_group: String,
    pub circuit: String,
    pub peering: String,
}

/// A virtual network gateway connection, by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectionRef {
    pub resource_group: String,
    pub connection: String,
}

/// A query with its parameters checked and typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "query", rename_all = "snake_case")]
pub enum Query {
    #[serde(rename = "bgp.advertised")]
    BgpAdvertised { peer: IpAddr, table: Option<String> },
    #[serde(rename = "bgp.received")]
    BgpReceived { peer: IpAddr, table: Option<String> },
    #[serde(rename = "route.table")]
    RouteTable {
        table: String,
        prefix: Option<Prefix>,
    },
    #[serde(rename = "bgp.summary")]
    BgpSummary { instance: Option<String> },
    #[serde(rename = "bfd.sessions")]
    BfdSessions,
    #[serde(rename = "ipsec.sas")]
    IpsecSas,
    #[serde(rename = "ike.sas")]
    IkeSas,
    #[serde(rename = "trace")]
    Trace { target: String },
    #[serde(rename = "azure.learned_routes")]
    AzureLearnedRoutes { gateway: GatewayRef },
    #[serde(rename = "azure.advertised_routes")]
    AzureAdvertisedRoutes { gateway: GatewayRef, peer: IpAddr },
    #[serde(rename = "azure.bgp_peers")]
    AzureBgpPeers { gateway: GatewayRef },
    #[serde(rename = "azure.peering")]
    AzurePeering { peering: PeeringRef },
    #[serde(rename = "azure.connection")]
    AzureConnection { connection: ConnectionRef },
}

impl Query {
    pub fn name(&self) -> QueryName {
        match self {
            Query::BgpAdvertised { .. } => QueryName::BgpAdvertised,
            Query::BgpReceived { .. } => QueryName::BgpReceived,
            Query::RouteTable { .. } => QueryName::RouteTable,
            Query::BgpSummary { .. } => QueryName::BgpSummary,
            Query::BfdSessions => QueryName::BfdSessions,
            Query::IpsecSas => QueryName::IpsecSas,
            Query::IkeSas => QueryName::IkeSas,
            Query::Trace { .. } => QueryName::Trace,
            Query::AzureLearnedRoutes { .. } => QueryName::AzureLearnedRoutes,
            Query::AzureAdvertisedRoutes { .. } => QueryName::AzureAdvertisedRoutes,
            Query::AzureBgpPeers { .. } => QueryName::AzureBgpPeers,
            Query::AzurePeering { .. } => QueryName::AzurePeering,
            Query::AzureConnection { .. } => QueryName::AzureConnection,
        }
    }

    pub fn result(&self) -> ResultKind {
        self.name().result()
    }
}

/// `bgp.advertised peer=192.168.11.18 table=Cust11.inet.0`: the query as a
/// runbook author would recognise it, for logs and the journal.
impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name().as_str())?;
        match self {
            Query::BgpAdvertised { peer, table } | Query::BgpReceived { peer, table } => {
                write!(f, " peer={peer}")?;
                if let Some(t) = table {
                    write!(f, " table={t}")?;
                }
            }
            Query::RouteTable { table, prefix } => {
                write!(f, " table={table}")?;
                if let Some(p) = prefix {
                    write!(f, " prefix={p}")?;
                }
            }
            Query::BgpSummary { instance } => {
                if let Some(i) = instance {
                    write!(f, " instance={i}")?;
                }
            }
            Query::BfdSessions | Query::IpsecSas | Query::IkeSas => {}
            Query::Trace { target } => write!(f, " target={target}")?,
            Query::AzureLearnedRoutes { gateway } | Query::AzureBgpPeers { gateway } => {
                write!(
                    f,
                    " resource_group={} gateway={}",
                    gateway.resource_group, gateway.gateway
                )?;
            }
            Query::AzureAdvertisedRoutes { gateway, peer } => {
                write!(
                    f,
                    " peer={peer} resource_group={} gateway={}",
                    gateway.resource_group, gateway.gateway
                )?;
            }
            Query::AzurePeering { peering } => write!(
                f,
                " resource_group={} circuit={} peering={}",
                peering.resource_group, peering.circuit, peering.peering
            )?,
            Query::AzureConnection { connection } => {
                write!(
                    f,
                    " resource_group={} connection={}",
                    connection.resource_group, connection.connection
                )?;
            }
        }
        Ok(())
    }
}

/// True when `s` can be placed in a device command line as one word.
///
/// Rendered commands go to a router's CLI over SSH: a table name with a space,
/// a `|` or a `;` would turn a read into something else.
pub fn is_cli_word(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b':' | b'/'))
}

/// True when `s` is a plausible Azure resource or resource group name that
/// can be put into a URL path and a command line unquoted.
pub fn is_azure_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 90
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'(' | b')'))
}

/// True when `s` is an address or a host name that traceroute can take.
pub fn is_trace_target(s: &str) -> bool {
    s.parse::<IpAddr>().is_ok()
        || (!s.is_empty()
            && s.len() <= 253
            && !s.starts_with('-')
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-')))
}

/// Adds ` | no-more` (and ` | display json` when `json`) to a Junos
/// command unless it already carries them, so output never stops at a
/// `---(more)---` prompt.
pub fn junos_command(cmd: &str, json: bool) -> String {
    let pipes: Vec<String> = cmd
        .split('|')
        .skip(1)
        .map(|s| {
            s.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_ascii_lowercase()
        })
        .collect();
    let mut out = cmd.trim_end().to_string();
    if json && !pipes.iter().any(|p| p.starts_with("display ")) {
        out.push_str(" | display json");
    }
    if !pipes.iter().any(|p| p.starts_with("no-more")) {
        out.push_str(" | no-more");
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn junos_pipes_added_once() {
        assert_eq!(junos_command("show route", false), "show route | no-more");
        assert_eq!(
            junos_command("show route ", true),
            "show route | display json | no-more"
        );
        assert_eq!(
            junos_command("show route | no-more", false),
            "show route | no-more"
        );
        assert_eq!(
            junos_command("show route | display  json | no-more", true),
            "show route | display  json | no-more"
        );
        assert_eq!(
            junos_command("show route | display xml", true),
            "show route | display xml | no-more",
            "an explicit display format is the caller's choice"
        );
        assert_eq!(
            junos_command("show route | match 10.1", true),
            "show route | match 10.1 | display json | no-more"
        );
    }

    use super::*;

    #[test]
    fn names_round_trip() {
        for q in QueryName::ALL {
            assert_eq!(QueryName::parse(q.as_str()), Some(q));
            // Every query can run somewhere.
            assert!(!q.platforms().is_empty());
        }
        assert_eq!(QueryName::parse("bgp.advertized"), None);
        for p in Platform::ALL {
            assert_eq!(Platform::parse(p.as_str()), Some(p));
        }
    }

    #[test]
    fn words_are_safe_for_a_command_line() {
        assert!(is_cli_word("Cust11.inet.0"));
        assert!(is_cli_word("10.17.11.0/24"));
        assert!(!is_cli_word("Cust11.inet.0 | no-more"));
        assert!(!is_cli_word("a;b"));
        assert!(!is_cli_word(""));
        assert!(is_azure_name("SEA-Cust11-VNet01-gw-vpn"));
        assert!(!is_azure_name("rg/../x"));
        assert!(is_trace_target("10.17.11.132"));
        assert!(is_trace_target("vm1.example.net"));
        assert!(!is_trace_target("-n 1.2.3.4"));
    }

    #[test]
    fn displays_semantically() {
        let q = Query::BgpAdvertised {
            peer: "192.168.11.18".parse().expect("addr"),
            table: Some("Cust11.inet.0".into()),
        };
        assert_eq!(
            q.to_string(),
            "bgp.advertised peer=192.168.11.18 table=Cust11.inet.0"
        );
        let j = serde_json::to_value(&q).expect("serializes");
        assert_eq!(j["query"], "bgp.advertised");
    }
}
