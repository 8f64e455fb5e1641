//! ExpressRouteCircuit: the circuit GET, with its peerings embedded.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::peering::{by_name, by_type};
use super::{ExpressRouteCircuitPeering, PeeringType, ProvisioningState};

/// An ExpressRoute circuit as GET returns it; lossless like the peering.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct ExpressRouteCircuit {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Opaque: one official example has `w/\…\` here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<CircuitSku>,
    pub properties: CircuitProperties,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
keep_nulls!(ExpressRouteCircuit);

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct CircuitSku {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Standard, Premium, Basic or Local (open).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    /// UnlimitedData or MeteredData (open).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
keep_nulls!(CircuitSku);

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase")]
pub struct CircuitProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_state: Option<ProvisioningState>,
    /// A plain string in the spec (`Enabled` in practice).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub circuit_provisioning_state: Option<String>,
    /// NotProvisioned, Provisioning, Provisioned or Deprovisioning (open).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_provider_provisioning_state: Option<String>,
    /// In server order; look peerings up with
    /// [`ExpressRouteCircuit::peering_by_name`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peerings: Option<Vec<ExpressRouteCircuitPeering>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_provider_properties: Option<ServiceProviderProperties>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
keep_nulls!(CircuitProperties);

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase")]
pub struct ServiceProviderProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_provider_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peering_location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bandwidth_in_mbps: Option<u32>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
keep_nulls!(ServiceProviderProperties);

impl ExpressRouteCircuit {
    /// The embedded peerings in server order (empty when none are listed).
    pub fn peerings(&self) -> &[ExpressRouteCircuitPeering] {
        self.properties.peerings.as_deref().unwrap_or_default()
    }

    /// The peering called `name`. Never `peerings()[0]`: that is the
    /// MicrosoftPeering on a circuit that has one (the article's trap).
    pub fn peering_by_name(&self, name: &str) -> Option<&ExpressRouteCircuitPeering> {
        by_name(self.peerings(), name)
    }

    /// The first peering of type `ty`.
    pub fn peering_by_type(&self, ty: &PeeringType) -> Option<&ExpressRouteCircuitPeering> {
        by_type(self.peerings(), ty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn peerings_absent_empty_or_listed() {
        let bare: ExpressRouteCircuit =
            serde_json::from_value(json!({"properties": {}})).expect("parses");
        assert!(bare.peerings().is_empty());
        assert_eq!(
            serde_json::to_value(&bare).expect("serializes"),
            json!({"properties": {}})
        );

        let v = json!({
            "name": "c",
            "sku": {"tier": "Standard", "family": null},
            "properties": {
                "peerings": [
                    {"name": "MicrosoftPeering", "properties": {"state": "Enabled"}},
                    {"name": "AzurePrivatePeering", "properties": {"vlanId": 11}}
                ],
                "serviceProviderProperties": {"bandwidthInMbps": 1000, "x": 1}
            }
        });
        let c: ExpressRouteCircuit = serde_json::from_value(v.clone()).expect("parses");
        let p = c.peering_by_name("AzurePrivatePeering").expect("found");
        assert_eq!(p.properties.vlan_id, Some(11));
        assert_eq!(serde_json::to_value(&c).expect("serializes"), v);
    }
}
