use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// How a path's BGP origin attribute reads (`I`, `E`, `?`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    Igp,
    Egp,
    Incomplete,
}

/// Whether a BGP path was learned from an external or an internal peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PeerType {
    External,
    Internal,
}

/// An id of a protocol name that is not one of [`Protocol`]'s own variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProtocolId(pub(super) u16);

/// The protocol a path came from. The common ones are variants so that a
/// route needs no lookup to tell them; the rest are interned per table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    Bgp,
    Static,
    Direct,
    Local,
    Ospf,
    Ospf3,
    Isis,
    Rip,
    Aggregate,
    Evpn,
    /// The output names no protocol (the `receive-protocol` summary form).
    Unknown,
    Other(ProtocolId),
}

impl Protocol {
    const KNOWN: [(Protocol, &'static str); 10] = [
        (Protocol::Bgp, "bgp"),
        (Protocol::Static, "static"),
        (Protocol::Direct, "direct"),
        (Protocol::Local, "local"),
        (Protocol::Ospf, "ospf"),
        (Protocol::Ospf3, "ospf3"),
        (Protocol::Isis, "isis"),
        (Protocol::Rip, "rip"),
        (Protocol::Aggregate, "aggregate"),
        (Protocol::Evpn, "evpn"),
    ];

    /// The variant for a well-known name (any case), if it has one.
    pub fn known(name: &str) -> Option<Protocol> {
        Self::KNOWN
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map(|(p, _)| *p)
    }

    /// The lower-case name, for the variants that carry it themselves.
    pub fn known_name(self) -> Option<&'static str> {
        match self {
            Protocol::Unknown => Some(""),
            Protocol::Other(_) => None,
            p => Self::KNOWN.iter().find(|(k, _)| *k == p).map(|(_, n)| *n),
        }
    }

    /// True for protocols that learn routes from a neighbour, as opposed to
    /// routes an operator or the box itself put there. A `receive-protocol`
    /// listing names no protocol but only ever shows learned routes, so
    /// `Unknown` counts as learned.
    pub fn is_learned(self) -> bool {
        matches!(
            self,
            Protocol::Bgp
                | Protocol::Ospf
                | Protocol::Ospf3
                | Protocol::Isis
                | Protocol::Rip
                | Protocol::Unknown
        )
    }
}

/// One next hop: an address, an interface, or both.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NextHop {
    pub addr: Option<IpAddr>,
    pub interface: Option<Box<str>>,
}

impl NextHop {
    pub fn addr(addr: IpAddr) -> Self {
        Self {
            addr: Some(addr),
            interface: None,
        }
    }

    pub fn interface(name: &str) -> Self {
        Self {
            addr: None,
            interface: Some(name.into()),
        }
    }

    pub fn addr_via(addr: IpAddr, interface: &str) -> Self {
        Self {
            addr: Some(addr),
            interface: Some(interface.into()),
        }
    }
}
