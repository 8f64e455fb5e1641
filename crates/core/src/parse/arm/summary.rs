use serde::Serialize;
use serde_json::Value;

use crate::model::Prefix;
use crate::model::azure::{
    BgpPeerState, BgpPeerStatus, CloudErrorBody, ConnectionStatus, ExpressRouteCircuitPeering,
    GatewayRoute, Origin, PeeringState, PeeringType, ProvisioningState, TunnelConnectionHealth,
};

/// `arm-routes` output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoutesSummary {
    pub routes: Vec<RouteSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteSummary {
    pub network: Option<String>,
    pub next_hop: Option<String>,
    pub source_peer: Option<String>,
    pub origin: Option<Origin>,
    pub as_path: Option<Vec<u32>>,
    pub weight: Option<u32>,
    pub local_address: Option<String>,
}

/// `arm-bgp-peers` output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BgpPeersSummary {
    pub peers: Vec<BgpPeerSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BgpPeerSummary {
    pub neighbor: Option<String>,
    pub asn: Option<u32>,
    pub state: Option<BgpPeerState>,
    pub local_address: Option<String>,
    pub connected_seconds: Option<u64>,
    pub routes_received: Option<u64>,
    pub messages_sent: Option<u64>,
    pub messages_received: Option<u64>,
}

/// `arm-peering` output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeeringsSummary {
    pub peerings: Vec<PeeringSummary>,
    pub next_link: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeeringSummary {
    pub name: Option<String>,
    pub peering_type: Option<PeeringType>,
    pub state: Option<PeeringState>,
    pub provisioning_state: Option<ProvisioningState>,
    pub azure_asn: Option<u32>,
    pub peer_asn: Option<u32>,
    pub primary_peer_address_prefix: Option<String>,
    pub secondary_peer_address_prefix: Option<String>,
    pub vlan_id: Option<u32>,
    pub etag: Option<String>,
}

/// `arm-circuit` output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CircuitSummary {
    pub name: Option<String>,
    pub location: Option<String>,
    pub etag: Option<String>,
    pub provisioning_state: Option<ProvisioningState>,
    pub circuit_provisioning_state: Option<String>,
    pub service_provider_provisioning_state: Option<String>,
    pub service_provider: Option<String>,
    pub peering_location: Option<String>,
    pub bandwidth_mbps: Option<u32>,
    pub sku_tier: Option<String>,
    pub sku_family: Option<String>,
    pub peerings: Vec<PeeringSummary>,
}

/// `arm-connection` output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectionSummary {
    pub name: Option<String>,
    pub connection_status: Option<ConnectionStatus>,
    pub connection_type: Option<String>,
    pub connection_protocol: Option<String>,
    pub enable_bgp: Option<bool>,
    pub provisioning_state: Option<ProvisioningState>,
    pub ingress_bytes: Option<u64>,
    pub egress_bytes: Option<u64>,
    pub tunnels: Option<Vec<TunnelSummary>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TunnelSummary {
    pub tunnel: Option<String>,
    pub connection_status: Option<ConnectionStatus>,
    pub ingress_bytes: Option<u64>,
    pub egress_bytes: Option<u64>,
    pub last_connection_established: Option<String>,
}

/// `arm-error` output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorSummary {
    pub code: Option<String>,
    pub message: Option<String>,
    pub target: Option<String>,
    pub details: Vec<ErrorSummary>,
    pub additional_info: Vec<AdditionalInfoSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AdditionalInfoSummary {
    #[serde(rename = "type")]
    pub info_type: Option<String>,
    pub info: Option<Value>,
}

pub(super) fn route_summary(r: &GatewayRoute) -> RouteSummary {
    RouteSummary {
        network: r.network.as_deref().map(|n| match Prefix::parse_strict(n) {
            Ok(p) => p.to_string(),
            Err(_) => n.to_owned(),
        }),
        next_hop: r.next_hop.clone(),
        source_peer: r.source_peer.clone(),
        origin: r.origin.clone(),
        as_path: r.as_path_asns(),
        weight: r.weight,
        local_address: r.local_address.clone(),
    }
}

pub(super) fn peer_summary(p: &BgpPeerStatus) -> BgpPeerSummary {
    BgpPeerSummary {
        neighbor: p.neighbor.clone(),
        asn: p.asn,
        state: p.state.clone(),
        local_address: p.local_address.clone(),
        connected_seconds: p.connected_for().map(|d| d.as_secs()),
        routes_received: p.routes_received,
        messages_sent: p.messages_sent,
        messages_received: p.messages_received,
    }
}

pub(super) fn peering_summary(p: &ExpressRouteCircuitPeering) -> PeeringSummary {
    let q = &p.properties;
    PeeringSummary {
        name: p.name.clone(),
        peering_type: q.peering_type.clone(),
        state: q.state.clone(),
        provisioning_state: q.provisioning_state.clone(),
        azure_asn: q.azure_asn,
        peer_asn: q.peer_asn,
        primary_peer_address_prefix: q.primary_peer_address_prefix.clone(),
        secondary_peer_address_prefix: q.secondary_peer_address_prefix.clone(),
        vlan_id: q.vlan_id,
        etag: p.etag.clone(),
    }
}

pub(super) fn tunnel_summary(t: &TunnelConnectionHealth) -> TunnelSummary {
    TunnelSummary {
        tunnel: t.tunnel.clone(),
        connection_status: t.connection_status.clone(),
        ingress_bytes: t.ingress_bytes_transferred,
        egress_bytes: t.egress_bytes_transferred,
        last_connection_established: t.last_connection_established_utc_time.clone(),
    }
}

/// Recursion depth is bounded: serde_json refuses input nested deeper than
/// 128 levels, and each level of `details` takes two.
pub(super) fn error_summary(b: &CloudErrorBody) -> ErrorSummary {
    ErrorSummary {
        code: b.code.clone(),
        message: b.message.clone(),
        target: b.target.clone(),
        details: b.details.iter().flatten().map(error_summary).collect(),
        additional_info: b
            .additional_info
            .iter()
            .flatten()
            .map(|i| AdditionalInfoSummary {
                info_type: i.info_type.clone(),
                info: i.info.clone(),
            })
            .collect(),
    }
}
