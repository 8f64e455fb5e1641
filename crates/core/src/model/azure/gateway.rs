//! The VPN gateway: its routes, its BGP peers, the gateway resource and the
//! S2S connection.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{BgpPeerState, ConnectionStatus, Origin, ProvisioningState};
use crate::model::Prefix;

/// One entry of getLearnedRoutes / getAdvertisedRoutes. Every field is
/// read-only and the server writes all of them, `null` where one does not
/// apply, so `None` serializes as `null` here.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayRoute {
    /// The gateway instance that holds the route.
    #[serde(default)]
    pub local_address: Option<String>,
    #[serde(default)]
    pub network: Option<String>,
    #[serde(default)]
    pub next_hop: Option<String>,
    #[serde(default)]
    pub source_peer: Option<String>,
    #[serde(default)]
    pub origin: Option<Origin>,
    /// ASNs joined by `-`; `""` for routes the gateway originates.
    #[serde(default)]
    pub as_path: Option<String>,
    #[serde(default)]
    pub weight: Option<u32>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl GatewayRoute {
    /// `network` as a prefix, where it is a valid one.
    pub fn prefix(&self) -> Option<Prefix> {
        self.network.as_deref().and_then(|s| s.parse().ok())
    }

    /// The AS path as numbers (`Some(vec![])` for `""`), or `None` when it
    /// is absent or not a list of ASNs.
    pub fn as_path_asns(&self) -> Option<Vec<u32>> {
        self.as_path.as_deref().and_then(parse_as_path)
    }
}

/// GatewayRouteListResult: `{value: [...]}`, no paging. The official
/// examples' 200 body is `{}`, which reads as an empty list.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GatewayRouteListResult {
    #[serde(default)]
    pub value: Vec<GatewayRoute>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One entry of getBgpPeerStatus; like [`GatewayRoute`], `None` serializes
/// as `null`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BgpPeerStatus {
    #[serde(default)]
    pub local_address: Option<String>,
    #[serde(default)]
    pub neighbor: Option<String>,
    #[serde(default)]
    pub asn: Option<u32>,
    #[serde(default)]
    pub state: Option<BgpPeerState>,
    /// .NET TimeSpan text, e.g. `05:42:17.3345129`.
    #[serde(default)]
    pub connected_duration: Option<String>,
    #[serde(default)]
    pub routes_received: Option<u64>,
    #[serde(default)]
    pub messages_sent: Option<u64>,
    #[serde(default)]
    pub messages_received: Option<u64>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl BgpPeerStatus {
    /// How long the session has been up, where the text reads as a TimeSpan.
    pub fn connected_for(&self) -> Option<Duration> {
        self.connected_duration.as_deref().and_then(parse_timespan)
    }
}

/// BgpPeerStatusListResult: `{value: [...]}`, no paging.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct BgpPeerStatusListResult {
    #[serde(default)]
    pub value: Vec<BgpPeerStatus>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A reference to another resource (`{id}`), lossless.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct SubResource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
keep_nulls!(SubResource);

/// A VirtualNetworkGateway as GET returns it; lossless.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct VirtualNetworkGateway {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    pub properties: GatewayProperties,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
keep_nulls!(VirtualNetworkGateway);

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase")]
pub struct GatewayProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_state: Option<ProvisioningState>,
    /// Vpn, ExpressRoute or LocalGateway (open).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_type: Option<String>,
    /// PolicyBased or RouteBased (open).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpn_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_bgp: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_active: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<GatewaySku>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bgp_settings: Option<BgpSettings>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
keep_nulls!(GatewayProperties);

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct GatewaySku {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u32>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
keep_nulls!(GatewaySku);

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase")]
pub struct BgpSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asn: Option<u32>,
    /// One address, or on an active-active gateway the instances'
    /// addresses joined by `,`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bgp_peering_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_weight: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bgp_peering_addresses: Option<Vec<IpConfigurationBgpPeeringAddress>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
keep_nulls!(BgpSettings);

impl BgpSettings {
    /// The gateway's own BGP addresses: the per-ip-configuration default
    /// addresses where listed, else the (comma-separated) peering address.
    pub fn peering_addresses(&self) -> Vec<&str> {
        let per_config: Vec<&str> = self
            .bgp_peering_addresses
            .iter()
            .flatten()
            .flat_map(|a| a.default_bgp_ip_addresses.iter().flatten())
            .map(String::as_str)
            .collect();
        if !per_config.is_empty() {
            return per_config;
        }
        self.bgp_peering_address
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase")]
pub struct IpConfigurationBgpPeeringAddress {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipconfiguration_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_bgp_ip_addresses: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_bgp_ip_addresses: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tunnel_ip_addresses: Option<Vec<String>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
keep_nulls!(IpConfigurationBgpPeeringAddress);

/// A VirtualNetworkGatewayConnection as GET returns it; lossless.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct VirtualNetworkGatewayConnection {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Required by the spec.
    pub properties: ConnectionProperties,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
keep_nulls!(VirtualNetworkGatewayConnection);

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase")]
pub struct ConnectionProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_state: Option<ProvisioningState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_status: Option<ConnectionStatus>,
    /// Absent on some connections (the official example has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tunnel_connection_status: Option<Vec<TunnelConnectionHealth>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress_bytes_transferred: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub egress_bytes_transferred: Option<u64>,
    /// IPsec, Vnet2Vnet, ExpressRoute or VPNClient (open).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_type: Option<String>,
    /// IKEv2 or IKEv1 (open).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_protocol: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_bgp: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing_weight: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub virtual_network_gateway1: Option<SubResource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_network_gateway2: Option<SubResource>,
    /// The ER circuit, for ExpressRoute connections.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<SubResource>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
keep_nulls!(ConnectionProperties);

/// One tunnel of a connection (TunnelConnectionHealth).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase")]
pub struct TunnelConnectionHealth {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tunnel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_status: Option<ConnectionStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress_bytes_transferred: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub egress_bytes_transferred: Option<u64>,
    /// Free text with no declared format (`5/14/2024 1:17:42 AM`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_connection_established_utc_time: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
keep_nulls!(TunnelConnectionHealth);

impl VirtualNetworkGatewayConnection {
    pub fn status(&self) -> Option<&ConnectionStatus> {
        self.properties.connection_status.as_ref()
    }

    /// The tunnels, empty when the connection lists none.
    pub fn tunnels(&self) -> &[TunnelConnectionHealth] {
        self.properties
            .tunnel_connection_status
            .as_deref()
            .unwrap_or_default()
    }
}

/// Reads an ARM AS path (`12076-65020`; `""` for a locally originated
/// route) as AS numbers. Spaces are accepted as separators too. `None` when
/// any element is not a 32-bit AS number (an AS set, say).
pub fn parse_as_path(text: &str) -> Option<Vec<u32>> {
    text.split(|c: char| c == '-' || c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .map(parse_digits::<u32>)
        .collect()
}

/// Reads a .NET TimeSpan in its invariant form, `[d.]hh:mm:ss[.fffffff]`
/// (`05:42:17.3345129`, `1.05:42:17.3345129`, `00:00:00`). Negative spans
/// and anything else give `None`.
pub fn parse_timespan(text: &str) -> Option<Duration> {
    let mut parts = text.trim().split(':');
    let (first, min, sec) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let (days, hours) = match first.split_once('.') {
        Some((d, h)) => {
            let h = parse_digits::<u64>(h)?;
            if h > 23 {
                return None;
            }
            (parse_digits::<u64>(d)?, h)
        }
        None => (0, parse_digits::<u64>(first)?),
    };
    let min = parse_digits::<u64>(min)?;
    let (sec, frac) = match sec.split_once('.') {
        Some((s, f)) => (parse_digits::<u64>(s)?, Some(f)),
        None => (parse_digits::<u64>(sec)?, None),
    };
    if min > 59 || sec > 59 {
        return None;
    }
    let nanos = match frac {
        None => 0,
        Some(f) if (1..=9).contains(&f.len()) => {
            let n = parse_digits::<u32>(f)?;
            // `f.len()` is 1..=9, so the exponent is 0..=8 and fits.
            n.checked_mul(10u32.checked_pow(9 - f.len() as u32)?)?
        }
        Some(_) => return None,
    };
    let secs = days
        .checked_mul(86_400)?
        .checked_add(hours.checked_mul(3_600)?)?;
    Some(Duration::new(secs.checked_add(min * 60 + sec)?, nanos))
}

/// Parses ASCII digits only: `str::parse` would also take a leading `+`.
fn parse_digits<T: std::str::FromStr>(s: &str) -> Option<T> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn as_paths() {
        assert_eq!(parse_as_path("12076-65020"), Some(vec![12076, 65020]));
        assert_eq!(parse_as_path(""), Some(vec![]));
        assert_eq!(parse_as_path("65515"), Some(vec![65515]));
        assert_eq!(parse_as_path("65001 65002"), Some(vec![65001, 65002]));
        assert_eq!(parse_as_path("{65001,65002}"), None);
        assert_eq!(parse_as_path("4294967296"), None);
        assert_eq!(parse_as_path("+1"), None);
    }

    #[test]
    fn timespans() {
        let d = |s| parse_timespan(s).map(|d| (d.as_secs(), d.subsec_nanos()));
        assert_eq!(
            d("05:42:17.3345129"),
            Some((5 * 3600 + 42 * 60 + 17, 334_512_900))
        );
        assert_eq!(d("00:00:00"), Some((0, 0)));
        assert_eq!(
            d("1.05:42:17.3345129"),
            Some((86_400 + 20_537, 334_512_900))
        );
        assert_eq!(d("01:43:11.4004661"), Some((6191, 400_466_100)));
        assert_eq!(d("49:00:00"), Some((49 * 3600, 0)));
        for bad in [
            "",
            "-00:00:01",
            "1.24:00:00",
            "00:60:00",
            "00:00:60",
            "1:2",
            "1:2:3:4",
            "00:00:00.",
            "00:00:00.1234567890",
            "a:b:c",
            "18446744073709551615.00:00:00",
        ] {
            assert_eq!(d(bad), None, "{bad}");
        }
    }

    #[test]
    fn route_reads_nulls_and_writes_every_field() {
        let v = json!({"localAddress": "10.17.11.76", "network": "10.1.11.0/25", "nextHop": null,
                       "sourcePeer": null, "origin": "Bgp2", "asPath": "65020", "weight": 32768});
        let r: GatewayRoute = serde_json::from_value(v.clone()).expect("parses");
        assert_eq!(r.origin, Some(Origin::Other("Bgp2".into())));
        assert_eq!(
            r.prefix().map(|p| p.to_string()).as_deref(),
            Some("10.1.11.0/25")
        );
        assert_eq!(r.as_path_asns(), Some(vec![65020]));
        assert_eq!(serde_json::to_value(&r).expect("serializes"), v);
    }

    #[test]
    fn bgp_settings_addresses() {
        let s: BgpSettings = serde_json::from_value(
            json!({"asn": 65515, "bgpPeeringAddress": "10.17.11.76,10.17.11.77"}),
        )
        .expect("parses");
        assert_eq!(s.peering_addresses(), ["10.17.11.76", "10.17.11.77"]);
        let s: BgpSettings = serde_json::from_value(json!({
            "bgpPeeringAddress": "10.0.1.30",
            "bgpPeeringAddresses": [{"defaultBgpIpAddresses": ["10.3.1.254"]}]
        }))
        .expect("parses");
        assert_eq!(s.peering_addresses(), ["10.3.1.254"]);
    }
}
