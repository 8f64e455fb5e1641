//! Which ARM resource a body is, so that a body given to the wrong kind is
//! refused instead of read as a record of nulls.
//!
//! Every field of the typed records is optional (ARM leaves out what does
//! not apply), so serde alone would read a peering as a circuit, or a
//! peering list as learned routes, and `cutover parse` would print nulls
//! with exit 0. A body is taken for the kind asked when its `type` names
//! that resource or, without `type` (the az CLI, example files), when it
//! holds at least one member only that resource has.

use serde_json::{Map, Value};

/// A body shape the parsers read: a resource (`properties` under the
/// object, or flattened by the az CLI) or a list entry.
#[derive(Debug)]
pub(super) struct Shape {
    /// The ARM schema name, as errors call it.
    pub what: &'static str,
    /// The resource `type`, for resources (list entries have none).
    pub arm_type: Option<&'static str>,
    /// Members only this shape has (at the top or under `properties`,
    /// compared without case: the az CLI writes `azureAsn` for `azureASN`).
    pub markers: &'static [&'static str],
}

pub(super) const CIRCUIT: Shape = Shape {
    what: "ExpressRouteCircuit",
    arm_type: Some("Microsoft.Network/expressRouteCircuits"),
    markers: &[
        "serviceProviderProperties",
        "serviceProviderProvisioningState",
        "circuitProvisioningState",
        "peerings",
        "serviceKey",
        "bandwidthInGbps",
        "expressRoutePort",
        "allowClassicOperations",
        "globalReachEnabled",
    ],
};

pub(super) const PEERING: Shape = Shape {
    what: "ExpressRouteCircuitPeering",
    arm_type: Some("Microsoft.Network/expressRouteCircuits/peerings"),
    markers: &[
        "peeringType",
        "azureASN",
        "peerASN",
        "vlanId",
        "state",
        "primaryPeerAddressPrefix",
        "secondaryPeerAddressPrefix",
        "microsoftPeeringConfig",
        "primaryAzurePort",
        "secondaryAzurePort",
    ],
};

pub(super) const CONNECTION: Shape = Shape {
    what: "VirtualNetworkGatewayConnection",
    arm_type: Some("Microsoft.Network/connections"),
    markers: &[
        "connectionType",
        "connectionStatus",
        "tunnelConnectionStatus",
        "connectionProtocol",
        "virtualNetworkGateway1",
        "virtualNetworkGateway2",
        "localNetworkGateway2",
        "ingressBytesTransferred",
        "egressBytesTransferred",
        "routingWeight",
    ],
};

pub(super) const ROUTE: Shape = Shape {
    what: "GatewayRoute",
    arm_type: None,
    markers: &[
        "network",
        "nextHop",
        "sourcePeer",
        "asPath",
        "origin",
        "weight",
    ],
};

pub(super) const BGP_PEER: Shape = Shape {
    what: "BgpPeerStatus",
    arm_type: None,
    markers: &[
        "neighbor",
        "asn",
        "connectedDuration",
        "routesReceived",
        "messagesSent",
        "messagesReceived",
    ],
};

/// Every shape, to name what a refused body looks like instead.
const ALL: &[(&Shape, &str)] = &[
    (
        &CIRCUIT,
        "an ExpressRoute circuit (`cutover parse arm-circuit`)",
    ),
    (
        &PEERING,
        "an ExpressRoute circuit peering (`cutover parse arm-peering`)",
    ),
    (
        &CONNECTION,
        "a gateway connection (`cutover parse arm-connection`)",
    ),
    (&ROUTE, "a gateway route (`cutover parse arm-routes`)"),
    (
        &BGP_PEER,
        "a BGP peer status (`cutover parse arm-bgp-peers`)",
    ),
];

/// Resource types no kind reads, named when found.
const OTHER_TYPES: &[(&str, &str)] = &[(
    "Microsoft.Network/virtualNetworkGateways",
    "a virtual network gateway",
)];

/// Why a body is not the shape wanted, and the text that shows it (to
/// point at in the input).
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Mismatch {
    pub message: String,
    pub anchor: Option<String>,
    /// The body is another shape (by its `type` or its members): that is
    /// the whole story. Otherwise it is just not this one, and a serde
    /// error (a missing `properties`, a member of the wrong type) says more.
    pub identified: bool,
}

/// Checks that `obj` is `want`; `Err` says what it is instead.
///
/// Without `type`, the body must hold a member of `want` and no more
/// members of another shape than of `want`.
pub(super) fn check(want: &Shape, obj: &Map<String, Value>) -> Result<(), Mismatch> {
    if let Some(found) = obj.get("type").and_then(Value::as_str) {
        if want.arm_type.is_some_and(|t| t.eq_ignore_ascii_case(found)) {
            return Ok(());
        }
        let looks = ALL
            .iter()
            .find(|(s, _)| s.arm_type.is_some_and(|t| t.eq_ignore_ascii_case(found)))
            .map(|(_, name)| *name)
            .or_else(|| {
                OTHER_TYPES
                    .iter()
                    .find(|(t, _)| t.eq_ignore_ascii_case(found))
                    .map(|(_, name)| *name)
            });
        let looks = looks.map(|l| format!(": {l}")).unwrap_or_default();
        return Err(Mismatch {
            message: format!("not an ARM {}: its `type` is `{found}`{looks}", want.what),
            anchor: Some(format!("\"{found}\"")),
            identified: true,
        });
    }
    let members = members(obj);
    let holds = |s: &Shape| -> Vec<&'static str> {
        s.markers
            .iter()
            .copied()
            .filter(|m| members.iter().any(|k| k.eq_ignore_ascii_case(m)))
            .collect()
    };
    // A member name can be shared (`state` is a peering's and a BGP
    // peer's): the body is the shape it holds the most members of.
    let mine = holds(want).len();
    let other = ALL
        .iter()
        .filter(|(s, _)| s.what != want.what)
        .map(|(s, name)| (holds(s), *name))
        .max_by_key(|(found, _)| found.len())
        .filter(|(found, _)| found.len() > mine);
    if mine > 0 && other.is_none() {
        return Ok(());
    }
    let expected = format!(
        "none of the members of one ({})",
        quoted(want.markers.iter().copied().take(4))
    );
    let identified = other.is_some();
    let message = match other {
        Some((found, name)) => format!(
            "not an ARM {}: it holds {} ({name}) and {expected}",
            want.what,
            quoted(found.iter().copied().take(3)),
        ),
        None if members.is_empty() => format!("not an ARM {}: an empty object", want.what),
        None => format!(
            "not an ARM {}: it holds {} and {expected}",
            want.what,
            quoted(members.iter().copied().take(4)),
        ),
    };
    Err(Mismatch {
        message,
        anchor: None,
        identified,
    })
}

/// Whether any of `keys` is one of `shape`'s own members (the az CLI's
/// flattened form is told by them at the top level).
pub(super) fn holds_any<'k>(shape: &Shape, mut keys: impl Iterator<Item = &'k String>) -> bool {
    keys.any(|k| shape.markers.iter().any(|m| m.eq_ignore_ascii_case(k)))
}

/// The member names of an object and of its `properties`.
fn members(obj: &Map<String, Value>) -> Vec<&str> {
    let props = obj
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|p| p.keys());
    obj.keys()
        .filter(|k| *k != "properties")
        .chain(props)
        .map(String::as_str)
        .collect()
}

fn quoted<'s>(names: impl Iterator<Item = &'s str>) -> String {
    names
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
