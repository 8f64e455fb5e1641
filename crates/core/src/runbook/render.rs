//! Semantic query -> the exact command a platform runs.
//!
//! Junos and Linux queries render to one CLI line. Azure queries and actions
//! render to the ARM REST call the console makes, followed by the az CLI and
//! PowerShell equivalents an operator could run by hand (the rollback's
//! rendering is what the console prints when it cannot roll back itself).

use std::fmt;

use super::model::ActionOp;
use super::query::{ConnectionRef, GatewayRef, PeeringRef, Platform, Query};
use crate::azure_call::{
    API_VERSION, FailoverTestTarget, PeeringTarget, SUBSCRIPTION_PLACEHOLDER, network_segments,
    shown_path,
};
use crate::model::azure::PeeringState;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("query `{query}` is not available on platform `{platform}`")]
pub struct Unsupported {
    pub query: &'static str,
    pub platform: Platform,
}

/// One Azure call, in the three forms an operator may need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AzureCall {
    pub method: &'static str,
    /// The path and query string after the host, `{subscriptionId}` left
    /// for the inventory to fill in.
    pub url: String,
    /// What the request carries, when it is not obvious from the URL.
    pub body: Option<String>,
    pub az: String,
    pub powershell: String,
}

impl fmt::Display for AzureCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ARM: {} {}", self.method, self.url)?;
        if let Some(b) = &self.body {
            write!(f, " ({b})")?;
        }
        write!(f, "\naz: {}\nPowerShell: {}", self.az, self.powershell)
    }
}

/// The exact command for `query` on `platform`.
pub fn render(query: &Query, platform: Platform) -> Result<String, Unsupported> {
    let unsupported = || Unsupported {
        query: query.name().as_str(),
        platform,
    };
    if !query.name().platforms().contains(&platform) {
        return Err(unsupported());
    }
    Ok(match (query, platform) {
        (Query::BgpAdvertised { peer, table }, _) => {
            with_table(format!("show route advertising-protocol bgp {peer}"), table)
        }
        (Query::BgpReceived { peer, table }, _) => {
            with_table(format!("show route receive-protocol bgp {peer}"), table)
        }
        (Query::RouteTable { table, prefix }, _) => match prefix {
            Some(p) => format!("show route table {table} {p}"),
            None => format!("show route table {table}"),
        },
        (Query::BgpSummary { instance }, _) => match instance {
            Some(i) => format!("show bgp summary instance {i}"),
            None => "show bgp summary".to_string(),
        },
        (Query::BfdSessions, _) => "show bfd session".to_string(),
        (Query::IpsecSas, _) => "show security ipsec security-associations".to_string(),
        (Query::IkeSas, _) => "show security ike security-associations".to_string(),
        (Query::Trace { target }, Platform::Linux) => format!("traceroute -n {target}"),
        (Query::Trace { target }, _) => format!("traceroute {target} no-resolve"),
        _ => azure_call(query).ok_or_else(unsupported)?.to_string(),
    })
}

fn with_table(cmd: String, table: &Option<String>) -> String {
    match table {
        Some(t) => format!("{cmd} table {t}"),
        None => cmd,
    }
}

fn gateway_url(g: &GatewayRef, op: &str, query: &str) -> String {
    let mut segments = network_segments(
        SUBSCRIPTION_PLACEHOLDER,
        &g.resource_group,
        "virtualNetworkGateways",
        &g.gateway,
    )
    .to_vec();
    segments.push(op);
    shown_path(&segments, query, API_VERSION)
}

fn peering(p: &PeeringRef) -> PeeringTarget {
    PeeringTarget::sketch(&p.resource_group, &p.circuit, &p.peering)
}

fn connection_url(c: &ConnectionRef) -> String {
    let segments = network_segments(
        SUBSCRIPTION_PLACEHOLDER,
        &c.resource_group,
        "connections",
        &c.connection,
    );
    shown_path(&segments, "", API_VERSION)
}

/// The Azure call behind an Azure query; `None` for device queries.
pub fn azure_call(query: &Query) -> Option<AzureCall> {
    Some(match query {
        Query::AzureLearnedRoutes { gateway: g } => AzureCall {
            method: "POST",
            url: gateway_url(g, "getLearnedRoutes", ""),
            body: None,
            az: format!(
                "az network vnet-gateway list-learned-routes --resource-group {} --name {}",
                g.resource_group, g.gateway
            ),
            powershell: format!(
                "Get-AzVirtualNetworkGatewayLearnedRoute -ResourceGroupName {} -VirtualNetworkGatewayName {}",
                g.resource_group, g.gateway
            ),
        },
        Query::AzureAdvertisedRoutes { gateway: g, peer } => AzureCall {
            method: "POST",
            url: gateway_url(g, "getAdvertisedRoutes", &format!("peer={peer}&")),
            body: None,
            az: format!(
                "az network vnet-gateway list-advertised-routes --resource-group {} --name {} --peer {peer}",
                g.resource_group, g.gateway
            ),
            powershell: format!(
                "Get-AzVirtualNetworkGatewayAdvertisedRoute -Peer {peer} -ResourceGroupName {} -VirtualNetworkGatewayName {}",
                g.resource_group, g.gateway
            ),
        },
        Query::AzureBgpPeers { gateway: g } => AzureCall {
            method: "POST",
            url: gateway_url(g, "getBgpPeerStatus", ""),
            body: None,
            az: format!(
                "az network vnet-gateway list-bgp-peer-status --resource-group {} --name {}",
                g.resource_group, g.gateway
            ),
            powershell: format!(
                "Get-AzVirtualNetworkGatewayBGPPeerStatus -ResourceGroupName {} -VirtualNetworkGatewayName {}",
                g.resource_group, g.gateway
            ),
        },
        Query::AzurePeering { peering: p } => {
            let target = peering(p);
            AzureCall {
                method: "GET",
                url: target.path(),
                body: None,
                az: target.az_show(),
                powershell: target.powershell_show(),
            }
        }
        Query::AzureConnection { connection: c } => AzureCall {
            method: "GET",
            url: connection_url(c),
            body: None,
            az: format!(
                "az network vpn-connection show --resource-group {} --name {}",
                c.resource_group, c.connection
            ),
            powershell: format!(
                "Get-AzVirtualNetworkGatewayConnection -Name {} -ResourceGroupName {}",
                c.connection, c.resource_group
            ),
        },
        _ => return None,
    })
}

/// The call that performs `op` on a peering, addressed by name (the
/// article's `Peerings[0]` would change whichever peering happens to be
/// listed first).
pub fn action_call(op: ActionOp, p: &PeeringRef) -> AzureCall {
    let state = PeeringState::from(op.peering_state());
    let target = peering(p);
    AzureCall {
        method: "PUT",
        url: target.path(),
        body: Some(format!(
            "the peering as last read, with properties.state = \"{state}\"; If-Match: its etag"
        )),
        az: target.az_set_state(&state),
        powershell: target.powershell_set_state(&state),
    }
}

/// The call that performs a failover test op on `t` (a sketch: see
/// [`FailoverTestTarget::sketch`] and [`FailoverTestTarget::link_sketch`]).
/// The site test's peering location is read from the circuit when the
/// action runs, so the rendering leaves it as `{peeringLocation}`.
pub fn failover_test_call(op: ActionOp, t: &FailoverTestTarget) -> AzureCall {
    let loc = "{peeringLocation}";
    let (url, body, manual) = match op {
        ActionOp::AzureGatewaySiteFailoverTestStop => (
            t.stop_path(),
            Some(
                "peeringLocation, wasSimulationSuccessful (the operator's verdict; false on a rollback), details[] with each connection's isVerified"
                    .to_string(),
            ),
            t.manual_stop(loc, false, &[]),
        ),
        ActionOp::AzureCircuitLinkFailoverTestStop => (
            t.stop_path(),
            Some(
                "linkType, circuitTestCategory, wasSimulationSuccessful and isVerified (the operator's verdict; false on a rollback)"
                    .to_string(),
            ),
            t.manual_stop(loc, false, &[]),
        ),
        _ => (t.start_path(loc), None, t.manual_start(loc)),
    };
    AzureCall {
        method: "POST",
        url,
        body,
        az: manual.az_cli,
        powershell: manual.powershell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> std::net::IpAddr {
        s.parse().expect("addr")
    }

    fn gw() -> GatewayRef {
        GatewayRef {
            resource_group: "SEA-Cust11".into(),
            gateway: "SEA-Cust11-VNet01-gw-vpn".into(),
        }
    }

    #[test]
    fn junos_commands_match_the_article() {
        let cases = [
            (
                Query::BgpAdvertised {
                    peer: ip("192.168.11.18"),
                    table: None,
                },
                "show route advertising-protocol bgp 192.168.11.18",
            ),
            (
                Query::BgpAdvertised {
                    peer: ip("10.17.11.76"),
                    table: Some("Cust11.inet.0".into()),
                },
                "show route advertising-protocol bgp 10.17.11.76 table Cust11.inet.0",
            ),
            (
                Query::BgpReceived {
                    peer: ip("10.17.11.77"),
                    table: Some("Cust11.inet.0".into()),
                },
                "show route receive-protocol bgp 10.17.11.77 table Cust11.inet.0",
            ),
            (
                Query::RouteTable {
                    table: "Cust11.inet.0".into(),
                    prefix: Some("10.17.11.0/24".parse().expect("prefix")),
                },
                "show route table Cust11.inet.0 10.17.11.0/24",
            ),
            (Query::BgpSummary { instance: None }, "show bgp summary"),
            (
                Query::BgpSummary {
                    instance: Some("Cust11".into()),
                },
                "show bgp summary instance Cust11",
            ),
            (Query::BfdSessions, "show bfd session"),
            (Query::IpsecSas, "show security ipsec security-associations"),
            (Query::IkeSas, "show security ike security-associations"),
            (
                Query::Trace {
                    target: "10.17.11.132".into(),
                },
                "traceroute 10.17.11.132 no-resolve",
            ),
        ];
        for (q, want) in cases {
            assert_eq!(render(&q, Platform::Junos).as_deref(), Ok(want), "{q}");
        }
    }

    #[test]
    fn linux_traces_numerically_and_refuses_the_rest() {
        let t = Query::Trace {
            target: "10.17.11.132".into(),
        };
        assert_eq!(
            render(&t, Platform::Linux).as_deref(),
            Ok("traceroute -n 10.17.11.132")
        );
        assert_eq!(
            render(&Query::IpsecSas, Platform::Linux),
            Err(Unsupported {
                query: "ipsec.sas",
                platform: Platform::Linux
            })
        );
        assert!(
            render(
                &Query::AzureLearnedRoutes { gateway: gw() },
                Platform::Junos
            )
            .is_err()
        );
        assert!(render(&Query::BfdSessions, Platform::Azure).is_err());
    }

    #[test]
    fn azure_queries_render_arm_az_and_powershell() {
        let q = Query::AzureAdvertisedRoutes {
            gateway: gw(),
            peer: ip("192.168.11.88"),
        };
        let text = render(&q, Platform::Azure).expect("renders");
        assert_eq!(
            text,
            "ARM: POST /subscriptions/{subscriptionId}/resourceGroups/SEA-Cust11/providers/Microsoft.Network/virtualNetworkGateways/SEA-Cust11-VNet01-gw-vpn/getAdvertisedRoutes?peer=192.168.11.88&api-version=2024-05-01\n\
             az: az network vnet-gateway list-advertised-routes --resource-group SEA-Cust11 --name SEA-Cust11-VNet01-gw-vpn --peer 192.168.11.88\n\
             PowerShell: Get-AzVirtualNetworkGatewayAdvertisedRoute -Peer 192.168.11.88 -ResourceGroupName SEA-Cust11 -VirtualNetworkGatewayName SEA-Cust11-VNet01-gw-vpn"
        );
        let learned = render(
            &Query::AzureLearnedRoutes { gateway: gw() },
            Platform::Azure,
        )
        .expect("renders");
        assert!(learned.contains("getLearnedRoutes?api-version=2024-05-01"));
        assert!(
            learned
                .contains("Get-AzVirtualNetworkGatewayLearnedRoute -ResourceGroupName SEA-Cust11")
        );
    }

    #[test]
    fn peering_actions_address_the_peering_by_name() {
        let p = PeeringRef {
            resource_group: "SEA-Cust11".into(),
            circuit: "er-ckt".into(),
            peering: "AzurePrivatePeering".into(),
        };
        let c = action_call(ActionOp::AzurePeeringDisable, &p);
        assert_eq!(c.method, "PUT");
        assert!(c.url.ends_with(
            "/expressRouteCircuits/er-ckt/peerings/AzurePrivatePeering?api-version=2024-05-01"
        ));
        assert!(c.az.ends_with("--name AzurePrivatePeering --set state=Disabled"));
        assert!(
            c.powershell
                .contains("Where-Object Name -eq 'AzurePrivatePeering'")
        );
        assert!(!c.powershell.contains("Peerings[0]"));
        assert!(
            action_call(ActionOp::AzurePeeringEnable, &p)
                .to_string()
                .contains("state=Enabled")
        );
    }

    #[test]
    fn peering_calls_render_in_full() {
        let p = PeeringRef {
            resource_group: "SEA-Cust11".into(),
            circuit: "SEA-Cust11-er-circuit".into(),
            peering: "AzurePrivatePeering".into(),
        };
        assert_eq!(
            action_call(ActionOp::AzurePeeringDisable, &p).to_string(),
            "ARM: PUT /subscriptions/{subscriptionId}/resourceGroups/SEA-Cust11/providers/Microsoft.Network/expressRouteCircuits/SEA-Cust11-er-circuit/peerings/AzurePrivatePeering?api-version=2024-05-01 \
             (the peering as last read, with properties.state = \"Disabled\"; If-Match: its etag)\n\
             az: az network express-route peering update --resource-group SEA-Cust11 --circuit-name SEA-Cust11-er-circuit --name AzurePrivatePeering --set state=Disabled\n\
             PowerShell: $ckt = Get-AzExpressRouteCircuit -Name SEA-Cust11-er-circuit -ResourceGroupName SEA-Cust11; ($ckt.Peerings | Where-Object Name -eq 'AzurePrivatePeering').State = 'Disabled'; Set-AzExpressRouteCircuit -ExpressRouteCircuit $ckt"
        );
        assert_eq!(
            render(&Query::AzurePeering { peering: p }, Platform::Azure).as_deref(),
            Ok(
                "ARM: GET /subscriptions/{subscriptionId}/resourceGroups/SEA-Cust11/providers/Microsoft.Network/expressRouteCircuits/SEA-Cust11-er-circuit/peerings/AzurePrivatePeering?api-version=2024-05-01\n\
                az: az network express-route peering show --resource-group SEA-Cust11 --circuit-name SEA-Cust11-er-circuit --name AzurePrivatePeering\n\
                PowerShell: Get-AzExpressRouteCircuitPeeringConfig -Name AzurePrivatePeering -ExpressRouteCircuit (Get-AzExpressRouteCircuit -Name SEA-Cust11-er-circuit -ResourceGroupName SEA-Cust11)"
            )
        );
        let c = ConnectionRef {
            resource_group: "SEA-Cust11".into(),
            connection: "SEA-Cust11-cn".into(),
        };
        assert_eq!(
            azure_call(&Query::AzureConnection { connection: c }).map(|c| c.url),
            Some("/subscriptions/{subscriptionId}/resourceGroups/SEA-Cust11/providers/Microsoft.Network/connections/SEA-Cust11-cn?api-version=2024-05-01".to_string())
        );
    }
}
