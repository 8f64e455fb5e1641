//! ARM JSON bodies -> the [`crate::model::azure`] types and their
//! normalized summaries (what `cutover parse arm-*` prints).
//!
//! # Accepted input
//!
//! - The response body as ARM sends it.
//! - A REST API example file (`{"parameters": …, "responses": {"200":
//!   {"body": …}}}`), as operators paste them from the docs: the body of the
//!   `200` response is used, else that of the `201` (for `arm-error`: the
//!   first non-2xx response with a body).
//! - The az CLI shapes: a list as a bare JSON array, and resources with
//!   `properties` flattened into the top level (`azureAsn`, `peerAsn`).
//! - Lines before the JSON (an echoed command, a prompt) and anything after
//!   it are ignored.
//!
//! A syntax error, or a body of the wrong shape, is a [`ParseError`] naming
//! the input line serde_json stopped at (0 when the body was taken out of an
//! example file or reshaped, so that no input line matches). An ARM error
//! body given to any kind but `arm-error` is refused with its code, so a
//! failed read never passes for an empty one.
//!
//! # Output (snake_case JSON; `null` where the body lacks a field)
//!
//! `arm-routes` (getLearnedRoutes / getAdvertisedRoutes), one entry per
//! route in server order; `network` in canonical prefix form where it is a
//! prefix, else as sent; `as_path` the AS numbers (`[]` for the gateway's
//! own routes, `null` where the text is not a list of ASNs):
//!
//! ```json
//! {"routes": [{"network": "10.1.11.0/25", "next_hop": "10.17.11.69",
//!   "source_peer": "10.17.11.69", "origin": "IBgp", "as_path": [12076, 65020],
//!   "weight": 32769, "local_address": "10.17.11.76"}]}
//! ```
//!
//! `arm-bgp-peers` (getBgpPeerStatus); `connected_seconds` is the whole
//! seconds of `connectedDuration` (`null` where that is not a TimeSpan):
//!
//! ```json
//! {"peers": [{"neighbor": "192.168.11.88", "asn": 65020, "state": "Connected",
//!   "local_address": "10.17.11.76", "connected_seconds": 20537,
//!   "routes_received": 1, "messages_sent": 412, "messages_received": 398}]}
//! ```
//!
//! `arm-peering` (one peering or a list; always a list out, server order):
//!
//! ```json
//! {"peerings": [{"name": "AzurePrivatePeering", "peering_type": "AzurePrivatePeering",
//!   "state": "Enabled", "provisioning_state": "Succeeded", "azure_asn": 12076,
//!   "peer_asn": 65020, "primary_peer_address_prefix": "192.168.11.16/30",
//!   "secondary_peer_address_prefix": "192.168.11.20/30", "vlan_id": 11,
//!   "etag": "W/\"3c7e…\""}], "next_link": null}
//! ```
//!
//! `arm-circuit`: `name`, `location`, `etag`, `provisioning_state`,
//! `circuit_provisioning_state`, `service_provider_provisioning_state`,
//! `service_provider`, `peering_location`, `bandwidth_mbps`, `sku_tier`,
//! `sku_family`, and `peerings` as in `arm-peering`.
//!
//! `arm-connection`: `name`, `connection_status`, `connection_type`,
//! `connection_protocol`, `enable_bgp`, `provisioning_state`,
//! `ingress_bytes`, `egress_bytes`, and `tunnels` (`null` when the body
//! lists none), each `{tunnel, connection_status, ingress_bytes,
//! egress_bytes, last_connection_established}`.
//!
//! `arm-error` (a CloudError, or an async-operation status carrying one):
//! `{code, message, target, details: [same shape], additional_info: [{type,
//! info}]}`.

mod input;
mod kind;
mod summary;

use serde_json::{Map, Value};

use super::ParseError;
use crate::model::azure::{
    BgpPeerStatusListResult, CloudError, ExpressRouteCircuit, ExpressRouteCircuitPeering,
    ExpressRouteCircuitPeeringListResult, GatewayRouteListResult, VirtualNetworkGatewayConnection,
};
use input::{Doc, Want};
use summary::{error_summary, peer_summary, peering_summary, route_summary, tunnel_summary};

pub use summary::{
    AdditionalInfoSummary, BgpPeerSummary, BgpPeersSummary, CircuitSummary, ConnectionSummary,
    ErrorSummary, PeeringSummary, PeeringsSummary, RouteSummary, RoutesSummary, TunnelSummary,
};

/// getLearnedRoutes / getAdvertisedRoutes: `{value}`, a bare array, or an
/// example file.
pub fn parse_routes(input: &str) -> Result<RoutesSummary, ParseError> {
    let list = read_route_list(input)?;
    Ok(RoutesSummary {
        routes: list.value.iter().map(route_summary).collect(),
    })
}

/// The typed form behind [`parse_routes`].
pub fn read_route_list(input: &str) -> Result<GatewayRouteListResult, ParseError> {
    let doc = Doc::load(input, Want::Success)?;
    doc.list("GatewayRouteListResult", &kind::ROUTE, |v| {
        GatewayRouteListResult {
            value: v,
            extra: Map::new(),
        }
    })
}

/// getBgpPeerStatus: `{value}`, a bare array, or an example file.
pub fn parse_bgp_peers(input: &str) -> Result<BgpPeersSummary, ParseError> {
    let list = read_bgp_peer_list(input)?;
    Ok(BgpPeersSummary {
        peers: list.value.iter().map(peer_summary).collect(),
    })
}

/// The typed form behind [`parse_bgp_peers`].
pub fn read_bgp_peer_list(input: &str) -> Result<BgpPeerStatusListResult, ParseError> {
    let doc = Doc::load(input, Want::Success)?;
    doc.list("BgpPeerStatusListResult", &kind::BGP_PEER, |v| {
        BgpPeerStatusListResult {
            value: v,
            extra: Map::new(),
        }
    })
}

/// One peering, a peering list page, or a bare array of peerings.
pub fn parse_peerings(input: &str) -> Result<PeeringsSummary, ParseError> {
    let list = read_peerings(input)?;
    Ok(PeeringsSummary {
        peerings: list.value.iter().map(peering_summary).collect(),
        next_link: list.next_link,
    })
}

/// The typed form behind [`parse_peerings`]; a single peering comes back as
/// a one-item list.
pub fn read_peerings(input: &str) -> Result<ExpressRouteCircuitPeeringListResult, ParseError> {
    let doc = Doc::load(input, Want::Success)?;
    let is_list = match &doc.value {
        Value::Array(_) => true,
        Value::Object(m) => m.contains_key("value"),
        _ => false,
    };
    if is_list {
        return doc.list(
            "ExpressRouteCircuitPeeringListResult",
            &kind::PEERING,
            |v| ExpressRouteCircuitPeeringListResult {
                value: v,
                next_link: None,
                extra: Map::new(),
            },
        );
    }
    let one: ExpressRouteCircuitPeering = doc.resource(&kind::PEERING)?;
    Ok(ExpressRouteCircuitPeeringListResult {
        value: vec![one],
        next_link: None,
        extra: Map::new(),
    })
}

/// An ExpressRouteCircuit.
pub fn parse_circuit(input: &str) -> Result<CircuitSummary, ParseError> {
    let c = read_circuit(input)?;
    let p = &c.properties;
    let sp = p.service_provider_properties.as_ref();
    Ok(CircuitSummary {
        name: c.name.clone(),
        location: c.location.clone(),
        etag: c.etag.clone(),
        provisioning_state: p.provisioning_state.clone(),
        circuit_provisioning_state: p.circuit_provisioning_state.clone(),
        service_provider_provisioning_state: p.service_provider_provisioning_state.clone(),
        service_provider: sp.and_then(|s| s.service_provider_name.clone()),
        peering_location: sp.and_then(|s| s.peering_location.clone()),
        bandwidth_mbps: sp.and_then(|s| s.bandwidth_in_mbps),
        sku_tier: c.sku.as_ref().and_then(|s| s.tier.clone()),
        sku_family: c.sku.as_ref().and_then(|s| s.family.clone()),
        peerings: c.peerings().iter().map(peering_summary).collect(),
    })
}

/// The typed form behind [`parse_circuit`].
pub fn read_circuit(input: &str) -> Result<ExpressRouteCircuit, ParseError> {
    Doc::load(input, Want::Success)?.resource(&kind::CIRCUIT)
}

/// A VirtualNetworkGatewayConnection.
pub fn parse_connection(input: &str) -> Result<ConnectionSummary, ParseError> {
    let c = read_connection(input)?;
    let p = &c.properties;
    Ok(ConnectionSummary {
        name: c.name.clone(),
        connection_status: p.connection_status.clone(),
        connection_type: p.connection_type.clone(),
        connection_protocol: p.connection_protocol.clone(),
        enable_bgp: p.enable_bgp,
        provisioning_state: p.provisioning_state.clone(),
        ingress_bytes: p.ingress_bytes_transferred,
        egress_bytes: p.egress_bytes_transferred,
        tunnels: p
            .tunnel_connection_status
            .as_ref()
            .map(|t| t.iter().map(tunnel_summary).collect()),
    })
}

/// The typed form behind [`parse_connection`].
pub fn read_connection(input: &str) -> Result<VirtualNetworkGatewayConnection, ParseError> {
    Doc::load(input, Want::Success)?.resource(&kind::CONNECTION)
}

/// A CloudError body (or an async-operation status that carries `error`).
pub fn parse_error(input: &str) -> Result<ErrorSummary, ParseError> {
    let e = read_error(input)?;
    Ok(match &e.error {
        Some(body) => error_summary(body),
        // The unwrapped form some services send.
        None => ErrorSummary {
            code: e.code().map(str::to_owned),
            message: e.message().map(str::to_owned),
            target: e
                .extra
                .get("target")
                .and_then(Value::as_str)
                .map(str::to_owned),
            details: Vec::new(),
            additional_info: Vec::new(),
        },
    })
}

/// The typed form behind [`parse_error`].
pub fn read_error(input: &str) -> Result<CloudError, ParseError> {
    let doc = Doc::load(input, Want::Failure)?;
    let e: CloudError = doc.typed("CloudError", doc.value.clone())?;
    if e.error.is_none() && e.code().is_none() && e.message().is_none() {
        return Err(ParseError::new(
            doc.start_line(),
            "not an ARM error body: no `error` object (expected {\"error\": {\"code\": …, \"message\": …}})",
        ));
    }
    Ok(e)
}

#[cfg(test)]
mod tests;
