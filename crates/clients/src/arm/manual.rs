//! The peering change typed by hand: what the operator runs when the
//! console cannot (rollback failed, tool crashed). Both commands address
//! the peering by name, never by list position, and name the
//! subscription so a different default context cannot redirect them.

use cutover_core::inventory::Azure;
use cutover_core::model::azure::PeeringState;
use cutover_engine::port::ManualCommands;

/// The az CLI and PowerShell commands that set the inventory's peering to
/// `state`.
///
/// `az network express-route peering update` is a generic update (GET,
/// edit, PUT of the peering) whose `--set` paths use the flattened names
/// that `az ... peering show` prints, hence `state`, not `properties.state`.
/// The PowerShell form is the article's, with `Peerings[0]` replaced by a
/// lookup by name (`Where-Object` compares case-insensitively, as ARM
/// names do); it PUTs the whole circuit, as `Set-AzExpressRouteCircuit`
/// always does.
pub fn manual_commands(azure: &Azure, state: &PeeringState) -> ManualCommands {
    let az_cli = format!(
        "az network express-route peering update --subscription {} --resource-group {} \
         --circuit-name {} --name {} --set state={}",
        sh(&azure.subscription),
        sh(&azure.resource_group),
        sh(&azure.circuit),
        sh(&azure.peering),
        sh(state.as_str()),
    );
    let powershell = format!(
        "Set-AzContext -Subscription {} | Out-Null; \
         $ckt = Get-AzExpressRouteCircuit -Name {} -ResourceGroupName {}; \
         ($ckt.Peerings | Where-Object Name -eq {}).State = {}; \
         Set-AzExpressRouteCircuit -ExpressRouteCircuit $ckt",
        ps(&azure.subscription),
        ps(&azure.circuit),
        ps(&azure.resource_group),
        ps(&azure.peering),
        ps(state.as_str()),
    );
    ManualCommands { az_cli, powershell }
}

/// A POSIX shell word: as is when it holds only characters no shell
/// treats specially, else single-quoted.
fn sh(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:/@%+=,".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// A PowerShell single-quoted string (no expansion; `'` doubled).
fn ps(word: &str) -> String {
    let escaped: String = word
        .chars()
        .flat_map(|c| match c {
            // PowerShell also ends a single-quoted string on the
            // typographic quotes.
            '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' => vec![c, c],
            _ => vec![c],
        })
        .collect();
    format!("'{escaped}'")
}

#[cfg(test)]
mod tests {
    use super::*;
    use cutover_core::inventory::Credential;

    fn azure() -> Azure {
        Azure {
            endpoint: "https://management.azure.com".into(),
            subscription: "00000000-0000-0000-0000-000000000000".into(),
            resource_group: "SEA-Cust11".into(),
            circuit: "er-circuit-11".into(),
            peering: "AzurePrivatePeering".into(),
            gateway: "vpngw-hub-11".into(),
            connection: "cn-onprem-11".into(),
            credential: Credential::AzureCli,
            token_env: None,
            tenant_id: None,
            client_id: None,
            client_secret_env: None,
            api_version: "2024-05-01".into(),
        }
    }

    #[test]
    fn disable_and_enable_by_name() {
        let m = manual_commands(&azure(), &PeeringState::Disabled);
        assert_eq!(
            m.az_cli,
            "az network express-route peering update --subscription \
             00000000-0000-0000-0000-000000000000 --resource-group SEA-Cust11 \
             --circuit-name er-circuit-11 --name AzurePrivatePeering --set state=Disabled"
        );
        assert_eq!(
            m.powershell,
            "Set-AzContext -Subscription '00000000-0000-0000-0000-000000000000' | Out-Null; \
             $ckt = Get-AzExpressRouteCircuit -Name 'er-circuit-11' -ResourceGroupName 'SEA-Cust11'; \
             ($ckt.Peerings | Where-Object Name -eq 'AzurePrivatePeering').State = 'Disabled'; \
             Set-AzExpressRouteCircuit -ExpressRouteCircuit $ckt"
        );
        assert!(!m.powershell.contains("Peerings["));
        let m = manual_commands(&azure(), &PeeringState::Enabled);
        assert!(m.az_cli.ends_with("--set state=Enabled"));
        assert!(m.powershell.contains(".State = 'Enabled';"));
    }

    #[test]
    fn odd_names_are_quoted_not_interpreted() {
        let mut a = azure();
        a.resource_group = "rg $(reboot) 'x'".into();
        let m = manual_commands(&a, &PeeringState::Disabled);
        assert!(
            m.az_cli
                .contains(r"--resource-group 'rg $(reboot) '\''x'\'''"),
            "{}",
            m.az_cli
        );
        assert!(
            m.powershell
                .contains("-ResourceGroupName 'rg $(reboot) ''x'''"),
            "{}",
            m.powershell
        );
    }
}
