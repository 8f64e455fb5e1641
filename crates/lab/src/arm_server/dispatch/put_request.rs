//! A peering PUT's body and conditional headers, read and checked against
//! what the lab can change.

use axum::http::header::{IF_MATCH, IF_NONE_MATCH};
use axum::http::{HeaderMap, StatusCode};

use super::super::reply::{Reply, detail};
use super::eq;
use crate::azure::PeeringView;
use crate::world::PeeringState as LabState;
use cutover_core::model::azure::{ExpressRouteCircuitPeering, PeeringState};

/// A peering PUT, read and checked.
pub(super) struct PutRequest {
    /// The body with its read-only members removed.
    pub(super) resource: ExpressRouteCircuitPeering,
    pub(super) state: Option<LabState>,
    pub(super) if_match: Option<String>,
    pub(super) if_none_match_any: bool,
}

impl PutRequest {
    pub(super) fn parse(bytes: &[u8], headers: &HeaderMap) -> Result<Self, Reply> {
        let invalid = |code: &str, message: String| {
            Reply::error_with_details(
                StatusCode::BAD_REQUEST,
                "InvalidRequestFormat",
                "Cannot parse the request.",
                vec![detail(code, message)],
            )
        };
        let mut resource: ExpressRouteCircuitPeering =
            serde_json::from_slice(bytes).map_err(|e| invalid("InvalidJson", format!("{e}.")))?;
        let state = match resource.state() {
            None => None,
            Some(s) => Some(s.as_str().parse::<LabState>().map_err(|_| {
                invalid(
                    "InvalidJson",
                    format!(
                        "Error converting value \"{s}\" to type 'ExpressRoutePeeringState'. Path 'properties.state'."
                    ),
                )
            })?),
        };
        // The canonical spelling is stored, as ARM stores it.
        if let Some(s) = state {
            resource.properties.state = Some(PeeringState::from(s.as_str()));
        }
        let header = |name| -> Result<Option<String>, Reply> {
            match headers.get(&name) {
                None => Ok(None),
                Some(v) => v.to_str().map(|s| Some(s.to_owned())).map_err(|_| {
                    Reply::error(
                        StatusCode::BAD_REQUEST,
                        "InvalidRequestFormat",
                        format!("The {name} header is not visible ASCII."),
                    )
                }),
            }
        };
        let if_match = header(IF_MATCH)?;
        let if_none_match_any = header(IF_NONE_MATCH)?.is_some_and(|v| v.trim() == "*");
        resource.etag = None;
        resource.resource_type = None;
        resource.id = None;
        resource.properties.provisioning_state = None;
        resource.properties.last_modified_by = None;
        Ok(Self {
            resource,
            state,
            if_match,
            if_none_match_any,
        })
    }

    /// The lab's peerings are wired into its routing: only `state` can
    /// change. Anything else the body sets must be what the peering has.
    pub(super) fn check_fixed_fields(&self, current: &PeeringView) -> Result<(), Reply> {
        let p = &self.resource.properties;
        let prefix_eq = |a: &str, b: &str| match (
            a.parse::<cutover_core::model::Prefix>(),
            b.parse::<cutover_core::model::Prefix>(),
        ) {
            (Ok(x), Ok(y)) => x == y,
            _ => a == b,
        };
        let mut differs: Vec<String> = Vec::new();
        if let Some(t) = &p.peering_type
            && !eq(t.as_str(), &current.peering_type)
        {
            differs.push(format!(
                "peeringType is {} here, the request has {t}",
                current.peering_type
            ));
        }
        let numbers = [
            ("azureASN", p.azure_asn, current.azure_asn),
            ("peerASN", p.peer_asn, current.peer_asn),
            ("vlanId", p.vlan_id, current.vlan_id),
        ];
        for (field, asked, have) in numbers {
            if let Some(a) = asked
                && a != have
            {
                differs.push(format!("{field} is {have} here, the request has {a}"));
            }
        }
        let prefixes = [
            (
                "primaryPeerAddressPrefix",
                &p.primary_peer_address_prefix,
                &current.primary_peer_address_prefix,
            ),
            (
                "secondaryPeerAddressPrefix",
                &p.secondary_peer_address_prefix,
                &current.secondary_peer_address_prefix,
            ),
        ];
        for (field, asked, have) in prefixes {
            if let Some(a) = asked
                && !prefix_eq(a, have)
            {
                differs.push(format!("{field} is {have} here, the request has {a}"));
            }
        }
        if differs.is_empty() {
            return Ok(());
        }
        Err(Reply::rp_error(
            StatusCode::BAD_REQUEST,
            "LabUnsupportedChange",
            format!(
                "The lab can change only properties.state of peering {}: {}.",
                current.name,
                differs.join("; ")
            ),
        ))
    }
}
