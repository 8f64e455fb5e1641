//! ExpressRouteCircuitPeering: what the peering GET returns and the PUT sends.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{PeeringState, PeeringType, ProvisioningState};
use crate::model::Prefix;

/// One peering of an ExpressRoute circuit.
///
/// Deserializing and serializing gives back the same JSON value, unknown
/// fields and `null`s included: the PUT that flips `state` must carry
/// everything else exactly as GET returned it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct ExpressRouteCircuitPeering {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Opaque; read-only in the body, sent back in `If-Match`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    pub properties: PeeringProperties,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
keep_nulls!(ExpressRouteCircuitPeering);

/// `properties` of a peering (ExpressRouteCircuitPeeringPropertiesFormat).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase")]
pub struct PeeringProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peering_type: Option<PeeringType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<PeeringState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_state: Option<ProvisioningState>,
    #[serde(rename = "azureASN", default, skip_serializing_if = "Option::is_none")]
    pub azure_asn: Option<u32>,
    #[serde(rename = "peerASN", default, skip_serializing_if = "Option::is_none")]
    pub peer_asn: Option<u32>,
    /// Kept as text: re-spelling it (IPv6 case, say) would change the PUT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_peer_address_prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secondary_peer_address_prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vlan_id: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_azure_port: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secondary_azure_port: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_manager_etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_by: Option<String>,
    /// Raw: the spec says object, but the official examples also send `""`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub express_route_connection: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
keep_nulls!(PeeringProperties);

/// Top-level members that are read-only and so left out of a PUT body.
const READ_ONLY_TOP: &[&str] = &["etag", "type"];
/// `properties` members that are read-only and so left out of a PUT body.
const READ_ONLY_PROPERTIES: &[&str] = &["provisioningState", "lastModifiedBy", "peeredConnections"];

impl ExpressRouteCircuitPeering {
    pub fn state(&self) -> Option<&PeeringState> {
        self.properties.state.as_ref()
    }

    pub fn peering_type(&self) -> Option<&PeeringType> {
        self.properties.peering_type.as_ref()
    }

    pub fn provisioning_state(&self) -> Option<&ProvisioningState> {
        self.properties.provisioning_state.as_ref()
    }

    /// The primary link subnet, where it is a valid prefix.
    pub fn primary_prefix(&self) -> Option<Prefix> {
        self.properties
            .primary_peer_address_prefix
            .as_deref()
            .and_then(|s| s.parse().ok())
    }

    /// The secondary link subnet, where it is a valid prefix.
    pub fn secondary_prefix(&self) -> Option<Prefix> {
        self.properties
            .secondary_peer_address_prefix
            .as_deref()
            .and_then(|s| s.parse().ok())
    }

    /// The body of the PUT that sets `state`: this peering as GET returned
    /// it, with `properties.state` replaced and the read-only members
    /// (`etag`, `type`, `provisioningState`, `lastModifiedBy`,
    /// `peeredConnections`) removed. The etag belongs in `If-Match`.
    ///
    /// `expressRouteConnection` is also left out when it is not an object:
    /// the spec types it as an object, and the `""` some responses carry is
    /// an artefact that the SDKs drop rather than send back.
    pub fn to_put_body(&self, state: PeeringState) -> Value {
        let mut body = self.clone();
        body.etag = None;
        body.resource_type = None;
        let p = &mut body.properties;
        p.state = Some(state);
        p.provisioning_state = None;
        p.last_modified_by = None;
        if !p
            .express_route_connection
            .as_ref()
            .is_some_and(Value::is_object)
        {
            p.express_route_connection = None;
            p.extra.remove("expressRouteConnection");
        }
        for k in READ_ONLY_TOP {
            body.extra.remove(*k);
        }
        for k in READ_ONLY_PROPERTIES {
            body.properties.extra.remove(*k);
        }
        // Only a non-string map key or a failing custom Serialize can make
        // this fail, and these types have neither. Should it ever happen, a
        // `null` body is refused by ARM (400) without touching the peering.
        serde_json::to_value(&body).unwrap_or(Value::Null)
    }
}

/// One page of ExpressRouteCircuitPeerings_List, in server order.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase")]
pub struct ExpressRouteCircuitPeeringListResult {
    #[serde(default)]
    pub value: Vec<ExpressRouteCircuitPeering>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_link: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
keep_nulls!(ExpressRouteCircuitPeeringListResult);

impl ExpressRouteCircuitPeeringListResult {
    /// The peering called `name`. Never pick a peering by its index: the
    /// server lists MicrosoftPeering first when there is one.
    pub fn peering_by_name(&self, name: &str) -> Option<&ExpressRouteCircuitPeering> {
        by_name(&self.value, name)
    }

    /// The first peering of type `ty`.
    pub fn peering_by_type(&self, ty: &PeeringType) -> Option<&ExpressRouteCircuitPeering> {
        by_type(&self.value, ty)
    }
}

pub(super) fn by_name<'a>(
    peerings: &'a [ExpressRouteCircuitPeering],
    name: &str,
) -> Option<&'a ExpressRouteCircuitPeering> {
    // ARM resource names compare case-insensitively.
    peerings.iter().find(|p| {
        p.name
            .as_deref()
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
    })
}

pub(super) fn by_type<'a>(
    peerings: &'a [ExpressRouteCircuitPeering],
    ty: &PeeringType,
) -> Option<&'a ExpressRouteCircuitPeering> {
    peerings.iter().find(|p| p.peering_type() == Some(ty))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn peering(v: &Value) -> ExpressRouteCircuitPeering {
        serde_json::from_value(v.clone()).expect("peering parses")
    }

    #[test]
    fn round_trip_keeps_nulls_unknowns_and_odd_values() {
        let v = json!({
            "id": "/x/peerings/AzurePrivatePeering",
            "name": "AzurePrivatePeering",
            "etag": "w/\\odd\\",
            "futureTop": {"a": [1, 2.5, null]},
            "properties": {
                "peeringType": "AzurePrivatePeering",
                "state": "Paused",
                "azureASN": 12076,
                "peerASN": 4294967295u64,
                "secondaryAzurePort": null,
                "vlanId": 11,
                "expressRouteConnection": "",
                "stats": {"primarybytesIn": 9_007_199_254_740_993u64},
                "futureProp": true
            },
            "type": null
        });
        let p = peering(&v);
        assert_eq!(p.state(), Some(&PeeringState::Other("Paused".into())));
        assert_eq!(p.properties.peer_asn, Some(u32::MAX));
        assert_eq!(p.resource_type, None);
        assert_eq!(serde_json::to_value(&p).expect("serializes"), v);
    }

    #[test]
    fn wrong_shapes_are_errors_not_panics() {
        for bad in [
            json!({}),
            json!({"properties": "x"}),
            json!({"properties": {"vlanId": "eleven"}}),
            json!({"properties": {"peerASN": 4294967296u64}}),
            json!([]),
        ] {
            assert!(serde_json::from_value::<ExpressRouteCircuitPeering>(bad).is_err());
        }
    }

    #[test]
    fn put_body_flips_state_and_drops_read_only_members() {
        let v = json!({
            "name": "AzurePrivatePeering",
            "etag": "W/\"1\"",
            "type": "Microsoft.Network/expressRouteCircuits/peerings",
            "properties": {
                "state": "Enabled",
                "provisioningState": "Succeeded",
                "lastModifiedBy": "Customer",
                "peeredConnections": [],
                "connections": [],
                "expressRouteConnection": "",
                "sharedKey": null
            }
        });
        let body = peering(&v).to_put_body(PeeringState::Disabled);
        assert_eq!(
            body,
            json!({
                "name": "AzurePrivatePeering",
                "properties": {"state": "Disabled", "connections": [], "sharedKey": null}
            })
        );
        let with_conn = json!({"properties": {"expressRouteConnection": {"id": "/e"}}});
        let body = peering(&with_conn).to_put_body(PeeringState::Enabled);
        assert_eq!(
            body["properties"]["expressRouteConnection"],
            json!({"id": "/e"})
        );
    }

    #[test]
    fn a_kept_null_never_overwrites_a_field_set_later() {
        let mut p = peering(&json!({"properties": {"state": null, "vlanId": null}}));
        assert_eq!(p.state(), None);
        let body = p.to_put_body(PeeringState::Disabled);
        assert_eq!(
            body,
            json!({"properties": {"state": "Disabled", "vlanId": null}})
        );
        p.properties.state = Some(PeeringState::Enabled);
        let text = serde_json::to_string(&p).expect("serializes");
        assert_eq!(text.matches("\"state\"").count(), 1, "{text}");
        assert_eq!(
            serde_json::from_str::<Value>(&text).expect("json")["properties"]["state"],
            "Enabled"
        );
    }

    #[test]
    fn lookup_is_by_name_or_type_never_by_index() {
        let list: ExpressRouteCircuitPeeringListResult = serde_json::from_value(json!({
            "value": [
                {"name": "MicrosoftPeering", "properties": {"peeringType": "MicrosoftPeering"}},
                {"name": "AzurePrivatePeering", "properties": {"peeringType": "AzurePrivatePeering"}}
            ],
            "nextLink": null
        }))
        .expect("list parses");
        let by_name = list.peering_by_name("azureprivatepeering").expect("found");
        assert_eq!(
            by_name.peering_type(),
            Some(&PeeringType::AzurePrivatePeering)
        );
        let by_type = list
            .peering_by_type(&PeeringType::MicrosoftPeering)
            .expect("found");
        assert_eq!(by_type.name.as_deref(), Some("MicrosoftPeering"));
        assert!(list.peering_by_name("AzurePublicPeering").is_none());
        assert_eq!(list.extra.get("nextLink"), Some(&Value::Null));
    }
}
