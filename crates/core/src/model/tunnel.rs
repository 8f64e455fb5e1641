//! Liveness of the paths a failover depends on: BFD sessions (how fast a
//! dead ExpressRoute link is noticed) and the IKE / IPsec security
//! associations that carry the backup VPN.
//!
//! The types serialize to the normalized JSON of `cutover parse junos-bfd`,
//! `junos-ike-sa` and `junos-ipsec-sa` (documented with each parser).

use serde::{Deserialize, Serialize};

use super::bgp::named_enum;

// ---------------------------------------------------------------- BFD

/// One `show bfd session [detail|extensive]`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct BfdSessions {
    pub sessions: Vec<BfdSession>,
    /// `N sessions`.
    pub session_count: Option<u32>,
    /// `M clients`.
    pub client_count: Option<u32>,
    /// `Cumulative transmit rate X pps`.
    pub transmit_rate_pps: Option<f64>,
    /// `cumulative receive rate X pps`.
    pub receive_rate_pps: Option<f64>,
}

impl BfdSessions {
    /// The session toward this neighbor address, if listed.
    pub fn session(&self, address: &str) -> Option<&BfdSession> {
        self.sessions.iter().find(|s| s.address == address)
    }
}

/// One BFD session. The fields after `multiplier` come from the `detail` /
/// `extensive` forms and are `None` (or empty) in the brief form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BfdSession {
    /// Neighbor address.
    pub address: String,
    pub state: BfdState,
    /// `None` for a multihop session (the column is empty).
    pub interface: Option<String>,
    /// `Detect Time`, in milliseconds.
    pub detect_time_ms: Option<u32>,
    /// `Transmit Interval`, in milliseconds.
    pub transmit_interval_ms: Option<u32>,
    pub multiplier: Option<u32>,
    /// The protocols that asked for this session (`BGP`, `OSPF realm ...`).
    pub clients: Vec<BfdClient>,
    /// `Session up time`, in seconds.
    pub up_time_secs: Option<u64>,
    pub local_diagnostic: Option<String>,
    pub remote_diagnostic: Option<String>,
    pub remote_state: Option<BfdState>,
    /// BFD protocol version (`Remote state Up, version 1`).
    pub version: Option<u32>,
    /// As printed: `Single hop BFD`, `Multi hop BFD`.
    pub session_type: Option<String>,
    pub local_discriminator: Option<u32>,
    pub remote_discriminator: Option<u32>,
    /// Local address of a multihop session.
    pub local_address: Option<String>,
    /// As printed, `0x1b3`.
    pub session_id: Option<String>,
}

impl BfdSession {
    /// A session as the brief form shows it; detail fields empty.
    pub fn new(address: String, state: BfdState) -> Self {
        Self {
            address,
            state,
            interface: None,
            detect_time_ms: None,
            transmit_interval_ms: None,
            multiplier: None,
            clients: Vec::new(),
            up_time_secs: None,
            local_diagnostic: None,
            remote_diagnostic: None,
            remote_state: None,
            version: None,
            session_type: None,
            local_discriminator: None,
            remote_discriminator: None,
            local_address: None,
            session_id: None,
        }
    }
}

/// One client of a BFD session and the intervals it asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BfdClient {
    /// As printed: `BGP`, `LDP-OAM`, `OSPF realm ospf-v2 Area 0.0.0.0`.
    pub name: String,
    pub tx_interval_ms: Option<u32>,
    pub rx_interval_ms: Option<u32>,
}

/// A BFD session state. JSON: `up`, `down`, `init`, `admin_down`, `failing`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(from = "String")]
pub enum BfdState {
    Up,
    Down,
    Init,
    AdminDown,
    Failing,
    Unknown(String),
}

named_enum!(BfdState {
    Up => "up",
    Down => "down",
    Init => "init",
    AdminDown => "admin_down" | "admindown",
    Failing => "failing",
});

// ---------------------------------------------------------------- IKE

/// One `show security ike security-associations`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct IkeSas {
    pub sas: Vec<IkeSa>,
}

/// One IKE (phase 1) security association.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IkeSa {
    /// Chassis-cluster node the SA was listed under (`node0`); `None`
    /// outside a cluster.
    pub node: Option<String>,
    pub index: u64,
    pub state: IkeState,
    /// 16 hex digits, as printed.
    pub initiator_cookie: String,
    /// 16 hex digits; all zeros while the responder has not answered.
    pub responder_cookie: String,
    /// `IKEv2`, `Main`, `Aggressive`.
    pub mode: String,
    pub remote_address: String,
}

/// An IKE SA state. JSON: `up`, `down`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(from = "String")]
pub enum IkeState {
    Up,
    Down,
    Unknown(String),
}

named_enum!(IkeState {
    Up => "up",
    Down => "down",
});

// ---------------------------------------------------------------- IPsec

/// One `show security ipsec security-associations`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct IpsecSas {
    /// `Total active tunnels: N`, summed over cluster nodes; `None` where no
    /// such line is printed.
    pub total_active_tunnels: Option<u32>,
    /// `Total Ipsec sas: N`, summed over cluster nodes.
    pub total_sas: Option<u32>,
    pub sas: Vec<IpsecSa>,
}

impl IpsecSas {
    /// The SAs of one tunnel (normally an inbound and an outbound one).
    pub fn tunnel(&self, tunnel_id: u64) -> impl Iterator<Item = &IpsecSa> {
        self.sas.iter().filter(move |sa| sa.tunnel_id == tunnel_id)
    }
}

/// One IPsec (phase 2) security association: one direction of one tunnel.
///
/// Every field but the tunnel id and direction is optional because the
/// layouts of Junos releases differ in their columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpsecSa {
    /// Chassis-cluster node (`node0`); `None` outside a cluster.
    pub node: Option<String>,
    pub tunnel_id: u64,
    pub direction: Direction,
    /// As printed: `ESP:aes-cbc-128/sha1`.
    pub algorithm: Option<String>,
    /// Hex, as printed.
    pub spi: Option<String>,
    /// Remaining soft lifetime, seconds.
    pub lifetime_secs: Option<u64>,
    /// Remaining volume lifetime in kilobytes; `None` when `unlim`.
    pub lifetime_kb: Option<u64>,
    /// VPN monitoring; `None` when not configured (`-`).
    pub monitoring: Option<VpnMonitor>,
    /// Logical system (`vsys` in old layouts).
    pub lsys: Option<String>,
    /// IKE port of the gateway: 500, or 4500 behind NAT.
    pub port: Option<u16>,
    pub gateway: Option<String>,
}

/// Which way an IPsec SA carries traffic: `<` inbound, `>` outbound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    In,
    Out,
}

/// VPN monitoring state of an IPsec SA. JSON: `up` (`U`), `down` (`D`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(from = "String")]
pub enum VpnMonitor {
    Up,
    Down,
    Unknown(String),
}

named_enum!(VpnMonitor {
    Up => "up" | "u",
    Down => "down" | "d",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_names() {
        assert_eq!(BfdState::from_junos("AdminDown"), BfdState::AdminDown);
        assert_eq!(BfdState::from_junos("admin_down"), BfdState::AdminDown);
        assert_eq!(BfdState::AdminDown.as_str(), "admin_down");
        assert_eq!(BfdState::from_junos("Up"), BfdState::Up);
        assert_eq!(BfdState::from_junos("Odd"), BfdState::Unknown("Odd".into()));
        assert_eq!(IkeState::from_junos("UP"), IkeState::Up);
        assert_eq!(IkeState::from_junos("DOWN"), IkeState::Down);
        assert_eq!(VpnMonitor::from_junos("U"), VpnMonitor::Up);
        assert_eq!(VpnMonitor::from_junos("D"), VpnMonitor::Down);
        let v = serde_json::to_value(Direction::In).expect("serializes");
        assert_eq!(v, serde_json::json!("in"));
    }

    #[test]
    fn states_round_trip_through_json() {
        for s in [
            BfdState::Up,
            BfdState::AdminDown,
            BfdState::Unknown("X".into()),
        ] {
            let v = serde_json::to_value(&s).expect("serializes");
            let back: BfdState = serde_json::from_value(v).expect("deserializes");
            assert_eq!(back, s);
        }
    }
}
