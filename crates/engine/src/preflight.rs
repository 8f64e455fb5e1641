//! Before a session: does the inventory have what the runbook will ask
//! for? Every role a step uses must be a device of the same platform (or
//! Azure), and the Azure resources the runbook names must be the ones the
//! Azure client is bound to — the recorded command must never name one
//! resource while the call goes to another.

use std::collections::BTreeMap;

use cutover_core::inventory::{self, Inventory};
use cutover_core::runbook::query::{ConnectionRef, GatewayRef, PeeringRef};
use cutover_core::runbook::{Platform, Query, Runbook};

/// The runbook variables an inventory's `[azure]` section overrides (the
/// bundled runbooks name their Azure resources with these variables).
pub fn azure_overrides(az: &inventory::Azure) -> BTreeMap<String, String> {
    [
        ("resource_group", &az.resource_group),
        ("gateway", &az.gateway),
        ("circuit", &az.circuit),
        ("peering", &az.peering),
        ("connection", &az.connection),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.clone()))
    .collect()
}

fn same_platform(a: inventory::Platform, b: Platform) -> bool {
    matches!(
        (a, b),
        (inventory::Platform::Junos, Platform::Junos)
            | (inventory::Platform::Linux, Platform::Linux)
    )
}

/// Every problem that would make the session ask the wrong thing or
/// nobody; empty when the inventory fits the runbook.
pub fn check(rb: &Runbook, inv: &Inventory) -> Vec<String> {
    let mut problems = Vec::new();
    let mut seen_roles = BTreeMap::new();
    for step in &rb.steps {
        let mut uses: Vec<(&str, Platform)> = step
            .probes()
            .iter()
            .map(|p| (p.role.as_str(), p.platform))
            .collect();
        if let Some(a) = step.action() {
            uses.push((a.role.as_str(), Platform::Azure));
        }
        for (role, platform) in uses {
            if seen_roles.insert(role.to_string(), ()).is_some() {
                continue;
            }
            match platform {
                Platform::Azure if inv.azure.is_none() => problems.push(format!(
                    "role `{role}` is Azure, but the inventory has no [azure] section"
                )),
                Platform::Azure => {}
                p => match inv.device(role) {
                    None => problems.push(format!(
                        "role `{role}` ({p}) has no [devices.{role}] in the inventory"
                    )),
                    Some(d) if !same_platform(d.platform, p) => problems.push(format!(
                        "role `{role}` is {p} in the runbook but {} in the inventory",
                        match d.platform {
                            inventory::Platform::Junos => "junos",
                            inventory::Platform::Linux => "linux",
                        }
                    )),
                    Some(_) => {}
                },
            }
        }
    }
    if let Some(az) = &inv.azure {
        let mut names: Vec<(String, String, &str)> = Vec::new();
        let gw = |g: &GatewayRef, names: &mut Vec<_>| {
            names.push((
                g.resource_group.clone(),
                az.resource_group.clone(),
                "resource group",
            ));
            names.push((g.gateway.clone(), az.gateway.clone(), "gateway"));
        };
        let pr = |p: &PeeringRef, names: &mut Vec<_>| {
            names.push((
                p.resource_group.clone(),
                az.resource_group.clone(),
                "resource group",
            ));
            names.push((p.circuit.clone(), az.circuit.clone(), "circuit"));
            names.push((p.peering.clone(), az.peering.clone(), "peering"));
        };
        let cn = |c: &ConnectionRef, names: &mut Vec<_>| {
            names.push((
                c.resource_group.clone(),
                az.resource_group.clone(),
                "resource group",
            ));
            names.push((c.connection.clone(), az.connection.clone(), "connection"));
        };
        for step in &rb.steps {
            for p in step.probes() {
                match &p.query {
                    Query::AzureLearnedRoutes { gateway }
                    | Query::AzureBgpPeers { gateway }
                    | Query::AzureAdvertisedRoutes { gateway, .. } => gw(gateway, &mut names),
                    Query::AzurePeering { peering } => pr(peering, &mut names),
                    Query::AzureConnection { connection } => cn(connection, &mut names),
                    _ => {}
                }
            }
            if let Some(a) = step.action() {
                pr(&a.target, &mut names);
            }
        }
        names.sort();
        names.dedup();
        for (runbook, inventory, what) in names {
            if runbook != inventory {
                problems.push(format!(
                    "the runbook names {what} `{runbook}`, the inventory `{inventory}`: set it in the runbook's [vars] or the inventory"
                ));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    const INV: &str = r#"
[devices.ce1]
platform = "junos"
host = "127.0.0.1"
[devices.ce2]
platform = "junos"
host = "127.0.0.1"
[devices.fw]
platform = "junos"
host = "127.0.0.1"
[devices.server]
platform = "linux"
host = "127.0.0.1"
[azure]
endpoint = "http://127.0.0.1:9"
subscription = "00000000-0000-0000-0000-000000000000"
resource_group = "rg-er-lab"
circuit = "er-circuit-11"
gateway = "vpngw-hub-11"
connection = "cn-onprem-11"
credential = "token-env"
token_env = "CUTOVER_ARM_TOKEN"
"#;

    fn runbook(inv: &Inventory) -> Runbook {
        let text = std::fs::read_to_string(
            Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
                .join("runbooks/er-vpn-failover.toml"),
        )
        .expect("runbook");
        let vars = inv.azure.as_ref().map(azure_overrides).unwrap_or_default();
        Runbook::from_str_with_vars(&text, "er-vpn-failover.toml", &vars).expect("valid")
    }

    #[test]
    fn the_inventorys_azure_names_flow_into_the_runbook() {
        let inv = Inventory::from_str(INV, Path::new("inv.toml")).expect("inventory");
        assert_eq!(check(&runbook(&inv), &inv), Vec::<String>::new());
    }

    #[test]
    fn missing_devices_wrong_platforms_and_other_names_are_named() {
        let inv = Inventory::from_str(INV, Path::new("inv.toml")).expect("inventory");
        let rb = runbook(&inv);
        let broken = Inventory::from_str(
            &INV.replace(
                "[devices.ce2]\nplatform = \"junos\"",
                "[devices.ce2]\nplatform = \"linux\"",
            )
            .replace("[devices.server]", "[devices.srv]")
            .replace("circuit = \"er-circuit-11\"", "circuit = \"other\""),
            Path::new("inv.toml"),
        )
        .expect("inventory");
        let p = check(&rb, &broken);
        assert!(
            p.contains(
                &"role `ce2` is junos in the runbook but linux in the inventory".to_string()
            ),
            "{p:?}"
        );
        assert!(
            p.contains(
                &"role `server` (linux) has no [devices.server] in the inventory".to_string()
            ),
            "{p:?}"
        );
        assert!(
            p.iter().any(|m| m
                .starts_with("the runbook names circuit `er-circuit-11`, the inventory `other`")),
            "{p:?}"
        );
        let no_azure = Inventory { azure: None, ..inv };
        assert!(check(&rb, &no_azure).contains(
            &"role `azure` is Azure, but the inventory has no [azure] section".to_string()
        ));
    }
}
