use super::*;

#[test]
fn the_three_calls_address_the_gateway_by_name() {
    let t = FailoverTestTarget::sketch("SEA-Cust11", "ergw");
    assert_eq!(
        t.start_path("Silicon Valley"),
        "/subscriptions/{subscriptionId}/resourceGroups/SEA-Cust11/providers/Microsoft.Network/virtualNetworkGateways/ergw/startSiteFailoverTest?peeringLocation=Silicon%20Valley&api-version=2024-05-01"
    );
    assert!(t.details_path("Seattle", "abc").ends_with(
        "/ergw/getFailoverSingleTestDetails?peeringLocation=Seattle&failoverTestId=abc&api-version=2024-05-01"
    ));
    assert!(
        t.stop_path()
            .ends_with("/ergw/stopSiteFailoverTest?api-version=2024-05-01")
    );
}

fn link() -> LinkTest {
    LinkTest {
        link_type: "Secondary".into(),
        category: "BgpDisconnect".into(),
        api_version: LinkTest::DEFAULT_API_VERSION.into(),
    }
}

#[test]
fn the_link_test_addresses_the_circuit_by_link_at_its_own_api_version() {
    let t = FailoverTestTarget::link_sketch("SEA-Cust11", "er-sea", &link());
    assert_eq!(
        t.start_path("ignored"),
        "/subscriptions/{subscriptionId}/resourceGroups/SEA-Cust11/providers/Microsoft.Network/expressRouteCircuits/er-sea/startCircuitLinkFailoverTest?linkType=Secondary&circuitTestCategory=BgpDisconnect&api-version=2025-07-01"
    );
    assert!(t.details_path("x", "abc").ends_with(
        "/er-sea/getCircuitLinkFailoverSingleTestDetails?linkType=Secondary&circuitTestCategory=BgpDisconnect&failoverTestId=abc&api-version=2025-07-01"
    ));
    assert!(
        t.stop_path()
            .ends_with("/er-sea/stopCircuitLinkFailoverTest?api-version=2025-07-01")
    );
}

#[test]
fn the_link_tests_manual_stop_carries_link_category_and_verdict() {
    let t = FailoverTestTarget::link_sketch("rg", "er-sea", &link());
    let m = t.manual_stop("", false, &[]);
    for part in [
        "\"linkType\":\"Secondary\"",
        "\"circuitTestCategory\":\"BgpDisconnect\"",
        "\"wasSimulationSuccessful\":false",
        "\"isVerified\":false",
    ] {
        assert!(m.az_cli.contains(part), "{part}: {}", m.az_cli);
        assert!(m.powershell.contains(part), "{part}: {}", m.powershell);
    }
    assert!(
        m.az_cli
            .contains("/stopCircuitLinkFailoverTest?api-version=2025-07-01")
    );
    let ok = t.stop_json("", true, &[]);
    assert_eq!(ok["wasSimulationSuccessful"], true);
    assert_eq!(ok["isVerified"], true);
}

#[test]
fn the_journaled_target_reads_back_for_either_test() {
    let site = FailoverTestTarget::sketch("rg", "ergw");
    let j = JournaledTest::parse(&site.journaled("Silicon Valley")).expect("site");
    assert_eq!(
        (j.resource.as_str(), j.location.as_str(), j.link),
        ("ergw", "Silicon Valley", None)
    );
    let t = FailoverTestTarget::link_sketch("rg", "er-sea", &link());
    assert_eq!(
        t.journaled(""),
        "rg/er-sea link Secondary BgpDisconnect api-version 2025-07-01"
    );
    let j = JournaledTest::parse(&t.journaled("")).expect("link");
    assert_eq!(j.resource, "er-sea");
    assert_eq!(j.link, Some(link()));
    assert_eq!(JournaledTest::parse("rg/er-sea link Secondary"), None);
    assert_eq!(
        t.place(""),
        "on the Secondary link of rg/er-sea (BgpDisconnect)"
    );
    let call = t.details_call("", "id1");
    assert_eq!(call.action, "getCircuitLinkFailoverSingleTestDetails");
    assert_eq!(
        call.query,
        [
            ("linkType", "Secondary".to_string()),
            ("circuitTestCategory", "BgpDisconnect".to_string()),
            ("failoverTestId", "id1".to_string())
        ]
    );
}

#[test]
fn the_manual_stop_carries_the_verdict_and_each_connection() {
    let t = FailoverTestTarget::sketch("rg", "ergw");
    let d = [FailoverConnectionDetails {
        failover_connection_name: Some("conn1".into()),
        failover_location: Some("Denver".into()),
        is_verified: Some(false),
    }];
    let m = t.manual_stop("Seattle", false, &d);
    assert!(
        m.az_cli.starts_with("az rest --method post --url "),
        "{}",
        m.az_cli
    );
    assert!(
        m.az_cli.contains("\"wasSimulationSuccessful\":false"),
        "{}",
        m.az_cli
    );
    assert!(
        m.az_cli.contains("\"failoverConnectionName\":\"conn1\""),
        "{}",
        m.az_cli
    );
    assert!(
        m.powershell
            .starts_with("Invoke-AzRestMethod -Method POST -Path '/subscriptions/")
    );
    assert!(m.powershell.contains("\"peeringLocation\":\"Seattle\""));
}
