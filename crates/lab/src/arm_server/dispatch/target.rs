//! Reading a request's URL: which resource its path names (ARM compares
//! names case-insensitively and percent-decodes them, so axum's router
//! cannot) and whether its `api-version` is one ARM would accept.

use axum::http::StatusCode;

use super::super::Names;
use super::super::reply::Reply;
use super::eq;

/// What a path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Target {
    Circuit,
    Peerings,
    Peering(String),
    Gateway,
    GatewayAction(Action),
    /// A site failover test call on the ER gateway.
    Failover(FailoverCall),
    /// A link failover test call on the circuit.
    LinkFailover(FailoverCall),
    Connection,
    /// An `Azure-AsyncOperation` URL.
    Operation(String),
    /// A `Location` URL.
    OperationResult(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Action {
    LearnedRoutes,
    AdvertisedRoutes,
    BgpPeerStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FailoverCall {
    Start,
    Stop,
    AllTests,
    SingleTest,
    /// `getBgpPeerStatus` of the ER gateway (its MSEE sessions).
    ErBgpPeerStatus,
}

/// `yyyy-mm-dd` with an optional `-suffix` of letters and digits
/// (`2024-05-01`, `2023-07-01-preview`).
pub(super) fn valid_api_version(v: &str) -> bool {
    let b = v.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    let date = b.len() >= 10
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10);
    let suffix = &b[b.len().min(10)..];
    date && (suffix.is_empty()
        || (suffix.len() > 1
            && suffix[0] == b'-'
            && suffix[1..].iter().all(u8::is_ascii_alphanumeric)))
}

/// Percent-decodes one path segment; a malformed escape stays as written.
fn decode_segment(s: &str) -> String {
    if !s.contains('%') {
        return s.to_owned();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && let (Some(h), Some(l)) = (
                b.get(i + 1).copied().and_then(hex),
                b.get(i + 2).copied().and_then(hex),
            )
        {
            // Two hex digits make at most 0xff.
            out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What `path` names, or the ARM error for a path that names nothing here.
pub(super) fn parse_target(names: &Names, path: &str) -> Result<Target, Reply> {
    let segments: Vec<String> = path
        .trim_matches('/')
        .split('/')
        .map(decode_segment)
        .collect();
    let s: Vec<&str> = segments.iter().map(String::as_str).collect();
    let not_found = || {
        Reply::error(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("The lab's ARM API has nothing at '{path}'."),
        )
    };
    let [subscriptions, sub, rest @ ..] = s.as_slice() else {
        return Err(not_found());
    };
    if !eq(subscriptions, "subscriptions") {
        return Err(not_found());
    }
    if !eq(sub, &names.subscription) {
        return Err(Reply::error(
            StatusCode::NOT_FOUND,
            "SubscriptionNotFound",
            format!("The subscription '{sub}' could not be found."),
        ));
    }
    match rest {
        [rgs, rg, providers, ns, kind, name, tail @ ..]
            if eq(rgs, "resourceGroups") && eq(providers, "providers") =>
        {
            if !eq(rg, &names.resource_group) {
                return Err(Reply::error(
                    StatusCode::NOT_FOUND,
                    "ResourceGroupNotFound",
                    format!("Resource group '{rg}' could not be found."),
                ));
            }
            if !eq(ns, "Microsoft.Network") {
                return Err(not_found());
            }
            resource(names, rg, kind, name, tail).ok_or_else(not_found)?
        }
        [providers, ns, locations, location, kind, id]
            if eq(providers, "providers")
                && eq(ns, "Microsoft.Network")
                && eq(locations, "locations")
                && eq(location, &names.location) =>
        {
            if eq(kind, "operations") {
                Ok(Target::Operation((*id).to_owned()))
            } else if eq(kind, "operationResults") {
                Ok(Target::OperationResult((*id).to_owned()))
            } else {
                Err(not_found())
            }
        }
        _ => Err(not_found()),
    }
}

/// A resource path under the resource group: `Some(Err)` for a resource
/// that does not exist, `None` for a path the API does not have.
fn resource(
    names: &Names,
    rg: &str,
    kind: &str,
    name: &str,
    tail: &[&str],
) -> Option<Result<Target, Reply>> {
    let missing = |kind: &str| {
        Err(Reply::error(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            format!(
                "The Resource 'Microsoft.Network/{kind}/{name}' under resource group '{rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
            ),
        ))
    };
    if eq(kind, "expressRouteCircuits") {
        if !eq(name, &names.circuit) {
            return Some(missing("expressRouteCircuits"));
        }
        let link = match tail {
            [a] if eq(a, "startCircuitLinkFailoverTest") => Some(FailoverCall::Start),
            [a] if eq(a, "stopCircuitLinkFailoverTest") => Some(FailoverCall::Stop),
            [a] if eq(a, "getCircuitLinkFailoverAllTestsDetails") => Some(FailoverCall::AllTests),
            [a] if eq(a, "getCircuitLinkFailoverSingleTestDetails") => {
                Some(FailoverCall::SingleTest)
            }
            _ => None,
        };
        if let Some(call) = link {
            return Some(Ok(Target::LinkFailover(call)));
        }
        return match tail {
            [] => Some(Ok(Target::Circuit)),
            [p] if eq(p, "peerings") => Some(Ok(Target::Peerings)),
            [p, peering] if eq(p, "peerings") && !peering.is_empty() => {
                Some(Ok(Target::Peering((*peering).to_owned())))
            }
            _ => None,
        };
    }
    if eq(kind, "virtualNetworkGateways") && eq(name, &names.er_gateway) {
        let call = match tail {
            [a] if eq(a, "startSiteFailoverTest") => FailoverCall::Start,
            [a] if eq(a, "stopSiteFailoverTest") => FailoverCall::Stop,
            [a] if eq(a, "getFailoverAllTestsDetails") => FailoverCall::AllTests,
            [a] if eq(a, "getFailoverSingleTestDetails") => FailoverCall::SingleTest,
            [a] if eq(a, "getBgpPeerStatus") => FailoverCall::ErBgpPeerStatus,
            _ => return None,
        };
        return Some(Ok(Target::Failover(call)));
    }
    if eq(kind, "virtualNetworkGateways") {
        if !eq(name, &names.vpn_gateway) {
            return Some(missing("virtualNetworkGateways"));
        }
        return match tail {
            [] => Some(Ok(Target::Gateway)),
            [a] if eq(a, "getLearnedRoutes") => {
                Some(Ok(Target::GatewayAction(Action::LearnedRoutes)))
            }
            [a] if eq(a, "getAdvertisedRoutes") => {
                Some(Ok(Target::GatewayAction(Action::AdvertisedRoutes)))
            }
            [a] if eq(a, "getBgpPeerStatus") => {
                Some(Ok(Target::GatewayAction(Action::BgpPeerStatus)))
            }
            _ => None,
        };
    }
    if eq(kind, "connections") {
        if !eq(name, &names.connection) {
            return Some(missing("connections"));
        }
        return match tail {
            [] => Some(Ok(Target::Connection)),
            _ => None,
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Names {
        Names {
            subscription: "sub-1".into(),
            resource_group: "RG-One".into(),
            location: "westus2".into(),
            circuit: "er-1".into(),
            er_gateway: "ergw-1".into(),
            vpn_gateway: "gw-1".into(),
            connection: "cn-1".into(),
            local_network_gateway: "lng-1".into(),
        }
    }

    fn code(r: Reply) -> (u16, String) {
        (r.status.as_u16(), r.error_code().unwrap_or("").to_owned())
    }

    #[test]
    fn paths_are_case_insensitive_and_decoded() {
        let n = names();
        let t = |p: &str| parse_target(&n, p).map_err(code);
        assert_eq!(
            t(
                "/SUBSCRIPTIONS/sub-1/resourcegroups/rg-one/providers/microsoft.network/expressroutecircuits/ER-1/peerings/Azure%50rivatePeering"
            ),
            Ok(Target::Peering("AzurePrivatePeering".into()))
        );
        assert_eq!(
            t(
                "/subscriptions/sub-1/resourceGroups/RG-One/providers/Microsoft.Network/expressRouteCircuits/er-1/"
            ),
            Ok(Target::Circuit)
        );
        assert_eq!(
            t(
                "/subscriptions/sub-1/resourceGroups/RG-One/providers/Microsoft.Network/virtualNetworkGateways/gw-1/GETLEARNEDROUTES"
            ),
            Ok(Target::GatewayAction(Action::LearnedRoutes))
        );
        assert_eq!(
            t(
                "/subscriptions/sub-1/resourceGroups/RG-One/providers/Microsoft.Network/virtualNetworkGateways/ERGW-1/stopsitefailovertest"
            ),
            Ok(Target::Failover(FailoverCall::Stop))
        );
        assert_eq!(
            t(
                "/subscriptions/sub-1/providers/Microsoft.Network/locations/WestUS2/operationResults/abc"
            ),
            Ok(Target::OperationResult("abc".into()))
        );
    }

    #[test]
    fn wrong_names_get_arm_errors() {
        let n = names();
        let t = |p: &str| parse_target(&n, p).map_err(code);
        assert_eq!(
            t(
                "/subscriptions/other/resourceGroups/RG-One/providers/Microsoft.Network/connections/cn-1"
            ),
            Err((404, "SubscriptionNotFound".into()))
        );
        assert_eq!(
            t(
                "/subscriptions/sub-1/resourceGroups/rg-two/providers/Microsoft.Network/connections/cn-1"
            ),
            Err((404, "ResourceGroupNotFound".into()))
        );
        assert_eq!(
            t(
                "/subscriptions/sub-1/resourceGroups/RG-One/providers/Microsoft.Network/connections/cn-2"
            ),
            Err((404, "ResourceNotFound".into()))
        );
        assert_eq!(
            t(
                "/subscriptions/sub-1/resourceGroups/RG-One/providers/Microsoft.Network/expressRouteCircuits/er-2/peerings/x"
            ),
            Err((404, "ResourceNotFound".into()))
        );
        for p in [
            "/",
            "/health",
            "/subscriptions/sub-1",
            "/subscriptions/sub-1/resourceGroups/RG-One/providers/Microsoft.Compute/virtualMachines/vm",
            "/subscriptions/sub-1/resourceGroups/RG-One/providers/Microsoft.Network/connections/cn-1/sharedkey",
            "/subscriptions/sub-1/providers/Microsoft.Network/locations/eastus/operations/abc",
        ] {
            assert_eq!(t(p), Err((404, "NotFound".into())), "{p}");
        }
    }

    #[test]
    fn api_versions() {
        for ok in ["2024-05-01", "2023-07-01-preview", "2025-01-01-beta2"] {
            assert!(valid_api_version(ok), "{ok}");
        }
        for bad in [
            "",
            "2024",
            "2024-5-01",
            "2024-05-01-",
            "2024-05-01x",
            "2024-05-01-a b",
            "latest",
        ] {
            assert!(!valid_api_version(bad), "{bad}");
        }
    }

    #[test]
    fn segments_decode_and_keep_malformed_escapes() {
        assert_eq!(decode_segment("a%20b"), "a b");
        assert_eq!(decode_segment("100%"), "100%");
        assert_eq!(decode_segment("%zz"), "%zz");
        assert_eq!(decode_segment("%e2%82%ac"), "€");
    }
}
