//! What the lab's Azure side reports, as plain data. Field names follow the
//! ARM JSON of api-version 2024-05-01 (camelCase) so that the HTTP layer can
//! serialize most of them as they are, but the ARM envelopes (`id`,
//! `properties`, `value`) are the HTTP layer's business.

use serde::Serialize;

/// One entry of `getLearnedRoutes` / `getAdvertisedRoutes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayRoute {
    pub local_address: String,
    pub network: String,
    pub next_hop: Option<String>,
    pub source_peer: Option<String>,
    /// `Network`, `EBgp`, `IBgp` (learned) or `Igp` (advertised).
    pub origin: String,
    /// AS numbers joined by `-`, empty for the gateway's own routes.
    pub as_path: String,
    pub weight: u32,
}

/// One entry of `getBgpPeerStatus`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BgpPeerStatus {
    pub local_address: String,
    pub neighbor: String,
    pub asn: u32,
    /// `Connected` or `Connecting`.
    pub state: String,
    /// .NET TimeSpan text: `05:42:17.3345129`, `2.21:12:13.0000000`.
    pub connected_duration: String,
    pub routes_received: u64,
    pub messages_sent: u64,
    pub messages_received: u64,
}

/// Traffic counters of an ExpressRoute peering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PeeringStats {
    pub primarybytes_in: u64,
    pub primarybytes_out: u64,
    pub secondarybytes_in: u64,
    pub secondarybytes_out: u64,
}

/// An ExpressRoute circuit peering (GET, and the body of a PUT's answer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PeeringView {
    pub name: String,
    pub etag: String,
    pub peering_type: String,
    /// `Enabled` or `Disabled`.
    pub state: String,
    /// `Succeeded` or `Updating`.
    pub provisioning_state: String,
    #[serde(rename = "azureASN")]
    pub azure_asn: u32,
    #[serde(rename = "peerASN")]
    pub peer_asn: u32,
    pub primary_peer_address_prefix: String,
    pub secondary_peer_address_prefix: String,
    pub primary_azure_port: String,
    pub secondary_azure_port: String,
    pub vlan_id: u32,
    pub last_modified_by: String,
    pub stats: PeeringStats,
}

/// An ExpressRoute circuit (GET), peerings in ARM's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CircuitView {
    pub name: String,
    pub location: String,
    pub etag: String,
    pub service_key: String,
    pub service_provider_name: String,
    pub peering_location: String,
    pub bandwidth_in_mbps: u32,
    pub circuit_provisioning_state: String,
    pub service_provider_provisioning_state: String,
    pub provisioning_state: String,
    pub peerings: Vec<PeeringView>,
}

/// One tunnel of a VPN connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TunnelStatus {
    pub tunnel: String,
    /// `Connected`, `Connecting` or `NotConnected`.
    pub connection_status: String,
    pub ingress_bytes_transferred: u64,
    pub egress_bytes_transferred: u64,
    /// ARM's own free text, `5/14/2024 1:17:42 AM`; absent when never up.
    pub last_connection_established_utc_time: Option<String>,
}

/// The site-to-site connection (GET).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionView {
    pub name: String,
    pub etag: String,
    pub location: String,
    pub connection_type: String,
    pub connection_protocol: String,
    pub enable_bgp: bool,
    pub connection_status: String,
    pub tunnel_connection_status: Vec<TunnelStatus>,
    /// Bytes Azure received from on-premises, over all tunnels.
    pub ingress_bytes_transferred: u64,
    /// Bytes Azure sent to on-premises, over all tunnels.
    pub egress_bytes_transferred: u64,
    pub virtual_network_gateway: String,
    pub local_network_gateway: String,
}

/// The VPN gateway (GET): what the article's screenshot shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayView {
    pub name: String,
    pub location: String,
    pub etag: String,
    pub gateway_type: String,
    pub vpn_type: String,
    pub active_active: bool,
    pub enable_bgp: bool,
    pub asn: u32,
    /// The instances' BGP addresses (10.17.11.76, 10.17.11.77).
    pub bgp_peering_addresses: Vec<String>,
    pub public_ip_addresses: Vec<String>,
    pub provisioning_state: String,
}

/// An ARM error answer: HTTP status, `CloudError` code and message, and the
/// `Retry-After` header when ARM sends one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(rename_all = "camelCase")]
#[error("HTTP {status} {code}: {message}")]
pub struct ArmError {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub retry_after_s: Option<u32>,
}

/// A PUT that ARM accepted: the resource as it now is, and the
/// long-running operation that finishes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PutAccepted {
    pub peering: PeeringView,
    pub operation_id: String,
    /// `201` when the state changed, `200` when it was already as asked.
    pub status: u16,
    pub retry_after_s: u32,
}

/// The status of a long-running operation (`Azure-AsyncOperation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum OperationStatus {
    InProgress,
    Succeeded,
}

impl OperationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OperationStatus::InProgress => "InProgress",
            OperationStatus::Succeeded => "Succeeded",
        }
    }
}

/// .NET `TimeSpan` text as ARM prints it: `hh:mm:ss.fffffff`, with a
/// `d.` prefix past a day; zero is `00:00:00`.
pub fn timespan(d: std::time::Duration) -> String {
    if d.is_zero() {
        return "00:00:00".to_string();
    }
    let secs = d.as_secs();
    let ticks = d.subsec_nanos() / 100;
    let (days, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    if days > 0 {
        format!("{days}.{h:02}:{m:02}:{s:02}.{ticks:07}")
    } else {
        format!("{h:02}:{m:02}:{s:02}.{ticks:07}")
    }
}

/// `M/d/yyyy h:mm:ss AM` (UTC) from Unix seconds, as the connection's
/// `lastConnectionEstablishedUtcTime` reads.
pub fn us_datetime(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let rem = unix.rem_euclid(86_400);
    let (y, mo, d) = civil_from_days(days);
    let (h, mi, s) = (rem / 3600, rem / 60 % 60, rem % 60);
    let (h12, ampm) = match h {
        0 => (12, "AM"),
        1..=11 => (h, "AM"),
        12 => (12, "PM"),
        _ => (h - 12, "PM"),
    };
    format!("{mo}/{d}/{y} {h12}:{mi:02}:{s:02} {ampm}")
}

/// Proleptic Gregorian date of a day count since 1970-01-01
/// (Howard Hinnant's `civil_from_days`).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    // d is 1..=31 and m 1..=12 by construction.
    (
        y,
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timespans() {
        assert_eq!(timespan(Duration::ZERO), "00:00:00");
        assert_eq!(
            timespan(Duration::from_millis(20_537_334)),
            "05:42:17.3340000"
        );
        assert_eq!(
            timespan(Duration::from_secs(2 * 86_400 + 3600)),
            "2.01:00:00.0000000"
        );
    }

    #[test]
    fn dates() {
        // 2024-05-14T01:17:42Z
        assert_eq!(us_datetime(1_715_649_462), "5/14/2024 1:17:42 AM");
        assert_eq!(us_datetime(0), "1/1/1970 12:00:00 AM");
        assert_eq!(us_datetime(1_715_694_000), "5/14/2024 1:40:00 PM");
    }
}
