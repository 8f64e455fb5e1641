//! The world's Azure views as ARM resources, in the crate's wire types
//! (the same types the ARM client and the fixture tests read).

use serde_json::{Map, Value, json};

use super::Names;
use crate::azure::{
    BgpPeerStatus as LabBgpPeer, CircuitView, ConnectionView, GatewayRoute as LabRoute,
    GatewayView, PeeringView,
};
use cutover_core::model::azure::{
    BgpPeerStatus, BgpPeerStatusListResult, BgpSettings, CircuitProperties, ConnectionProperties,
    ConnectionStatus, ExpressRouteCircuit, ExpressRouteCircuitPeering, GatewayProperties,
    GatewayRoute, GatewayRouteListResult, IpConfigurationBgpPeeringAddress, PeeringProperties,
    ServiceProviderProperties, SubResource, TunnelConnectionHealth, VirtualNetworkGateway,
    VirtualNetworkGatewayConnection,
};

pub(super) const PEERING_TYPE: &str = "Microsoft.Network/expressRouteCircuits/peerings";
const CIRCUIT_TYPE: &str = "Microsoft.Network/expressRouteCircuits";
const GATEWAY_TYPE: &str = "Microsoft.Network/virtualNetworkGateways";
const CONNECTION_TYPE: &str = "Microsoft.Network/connections";

fn object(pairs: Value) -> Map<String, Value> {
    match pairs {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

pub(super) fn peering(names: &Names, v: &PeeringView) -> ExpressRouteCircuitPeering {
    let extra = object(json!({
        "stats": {
            "primarybytesIn": v.stats.primarybytes_in,
            "primarybytesOut": v.stats.primarybytes_out,
            "secondarybytesIn": v.stats.secondarybytes_in,
            "secondarybytesOut": v.stats.secondarybytes_out,
        },
        "connections": [],
        "peeredConnections": [],
    }));
    ExpressRouteCircuitPeering {
        id: Some(names.peering_id(&v.name)),
        name: Some(v.name.clone()),
        etag: Some(v.etag.clone()),
        resource_type: Some(PEERING_TYPE.to_owned()),
        properties: PeeringProperties {
            peering_type: Some(v.peering_type.as_str().into()),
            state: Some(v.state.as_str().into()),
            provisioning_state: Some(v.provisioning_state.as_str().into()),
            azure_asn: Some(v.azure_asn),
            peer_asn: Some(v.peer_asn),
            primary_peer_address_prefix: Some(v.primary_peer_address_prefix.clone()),
            secondary_peer_address_prefix: Some(v.secondary_peer_address_prefix.clone()),
            vlan_id: Some(v.vlan_id),
            primary_azure_port: Some(v.primary_azure_port.clone()),
            secondary_azure_port: Some(v.secondary_azure_port.clone()),
            gateway_manager_etag: Some(String::new()),
            last_modified_by: Some(v.last_modified_by.clone()),
            express_route_connection: None,
            extra,
        },
        extra: Map::new(),
    }
}

/// The circuit with every peering embedded, the world's first (in ARM's
/// order), then those the API created.
pub(super) fn circuit(
    names: &Names,
    v: &CircuitView,
    created: Vec<ExpressRouteCircuitPeering>,
) -> ExpressRouteCircuit {
    let mut peerings: Vec<_> = v.peerings.iter().map(|p| peering(names, p)).collect();
    peerings.extend(created);
    let extra = object(json!({
        "authorizations": [],
        "serviceKey": v.service_key,
        "allowClassicOperations": false,
        "globalReachEnabled": false,
        "gatewayManagerEtag": "",
    }));
    ExpressRouteCircuit {
        id: Some(names.circuit_id()),
        name: Some(v.name.clone()),
        etag: Some(v.etag.clone()),
        resource_type: Some(CIRCUIT_TYPE.to_owned()),
        location: Some(v.location.clone()),
        sku: None,
        properties: CircuitProperties {
            provisioning_state: Some(v.provisioning_state.as_str().into()),
            circuit_provisioning_state: Some(v.circuit_provisioning_state.clone()),
            service_provider_provisioning_state: Some(
                v.service_provider_provisioning_state.clone(),
            ),
            peerings: Some(peerings),
            service_provider_properties: Some(ServiceProviderProperties {
                service_provider_name: Some(v.service_provider_name.clone()),
                peering_location: Some(v.peering_location.clone()),
                bandwidth_in_mbps: Some(v.bandwidth_in_mbps),
                extra: Map::new(),
            }),
            extra,
        },
        extra: Map::new(),
    }
}

pub(super) fn gateway(names: &Names, v: &GatewayView) -> VirtualNetworkGateway {
    // Instance i answers BGP on its address and terminates tunnel i on its
    // public address; the world lists both in instance order.
    let per_instance = v
        .bgp_peering_addresses
        .iter()
        .enumerate()
        .map(|(i, addr)| IpConfigurationBgpPeeringAddress {
            ipconfiguration_id: None,
            default_bgp_ip_addresses: Some(vec![addr.clone()]),
            custom_bgp_ip_addresses: Some(Vec::new()),
            tunnel_ip_addresses: Some(v.public_ip_addresses.get(i).cloned().into_iter().collect()),
            extra: Map::new(),
        })
        .collect();
    VirtualNetworkGateway {
        id: Some(names.gateway_id()),
        name: Some(v.name.clone()),
        etag: Some(v.etag.clone()),
        resource_type: Some(GATEWAY_TYPE.to_owned()),
        location: Some(v.location.clone()),
        properties: GatewayProperties {
            provisioning_state: Some(v.provisioning_state.as_str().into()),
            gateway_type: Some(v.gateway_type.clone()),
            vpn_type: Some(v.vpn_type.clone()),
            enable_bgp: Some(v.enable_bgp),
            active_active: Some(v.active_active),
            sku: None,
            bgp_settings: Some(BgpSettings {
                asn: Some(v.asn),
                bgp_peering_address: Some(v.bgp_peering_addresses.join(",")),
                peer_weight: None,
                bgp_peering_addresses: Some(per_instance),
                extra: Map::new(),
            }),
            extra: Map::new(),
        },
        extra: Map::new(),
    }
}

pub(super) fn connection(names: &Names, v: &ConnectionView) -> VirtualNetworkGatewayConnection {
    let tunnels = v
        .tunnel_connection_status
        .iter()
        .map(|t| TunnelConnectionHealth {
            tunnel: Some(t.tunnel.clone()),
            connection_status: Some(ConnectionStatus::from(t.connection_status.as_str())),
            ingress_bytes_transferred: Some(t.ingress_bytes_transferred),
            egress_bytes_transferred: Some(t.egress_bytes_transferred),
            last_connection_established_utc_time: t.last_connection_established_utc_time.clone(),
            extra: Map::new(),
        })
        .collect();
    let sub = |id: String| SubResource {
        id: Some(id),
        extra: Map::new(),
    };
    VirtualNetworkGatewayConnection {
        id: Some(names.connection_id()),
        name: Some(v.name.clone()),
        etag: Some(v.etag.clone()),
        resource_type: Some(CONNECTION_TYPE.to_owned()),
        location: Some(v.location.clone()),
        properties: ConnectionProperties {
            // The connection exists and nothing in the lab reconfigures it.
            provisioning_state: Some("Succeeded".into()),
            connection_status: Some(ConnectionStatus::from(v.connection_status.as_str())),
            tunnel_connection_status: Some(tunnels),
            ingress_bytes_transferred: Some(v.ingress_bytes_transferred),
            egress_bytes_transferred: Some(v.egress_bytes_transferred),
            connection_type: Some(v.connection_type.clone()),
            connection_protocol: Some(v.connection_protocol.clone()),
            enable_bgp: Some(v.enable_bgp),
            routing_weight: None,
            virtual_network_gateway1: Some(sub(names.gateway_id())),
            local_network_gateway2: Some(sub(names.local_network_gateway_id())),
            peer: None,
            extra: Map::new(),
        },
        extra: Map::new(),
    }
}

pub(super) fn routes(v: Vec<LabRoute>) -> GatewayRouteListResult {
    GatewayRouteListResult {
        value: v
            .into_iter()
            .map(|r| GatewayRoute {
                local_address: Some(r.local_address),
                network: Some(r.network),
                next_hop: r.next_hop,
                source_peer: r.source_peer,
                origin: Some(r.origin.into()),
                as_path: Some(r.as_path),
                weight: Some(r.weight),
                extra: Map::new(),
            })
            .collect(),
        extra: Map::new(),
    }
}

pub(super) fn bgp_peers(v: Vec<LabBgpPeer>) -> BgpPeerStatusListResult {
    BgpPeerStatusListResult {
        value: v
            .into_iter()
            .map(|p| BgpPeerStatus {
                local_address: Some(p.local_address),
                neighbor: Some(p.neighbor),
                asn: Some(p.asn),
                state: Some(p.state.into()),
                connected_duration: Some(p.connected_duration),
                routes_received: Some(p.routes_received),
                messages_sent: Some(p.messages_sent),
                messages_received: Some(p.messages_received),
                extra: Map::new(),
            })
            .collect(),
        extra: Map::new(),
    }
}
