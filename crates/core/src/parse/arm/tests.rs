use super::*;
use crate::model::azure::PeeringState;

#[test]
fn syntax_errors_name_the_input_line() {
    let e = parse_routes("$ az network vnet-gateway list-learned-routes\n{\n  \"value\": [,]\n}")
        .unwrap_err();
    assert_eq!(e.line, 3, "{e}");
    assert!(e.message.starts_with("invalid JSON"), "{e}");
}

#[test]
fn shape_errors_name_the_input_line() {
    let e = parse_routes("{\"value\": [\n {\"weight\": \"heavy\"}\n]}").unwrap_err();
    assert_eq!(e.line, 2, "{e}");
    assert!(e.message.contains("invalid type"), "{e}");
    let e = parse_peerings("{\n\"name\": \"x\"\n}").unwrap_err();
    assert!(e.message.contains("properties"), "{e}");
    assert_eq!(e.line, 3, "{e}");
}

#[test]
fn error_bodies_are_refused_as_results() {
    let body = r#"{"error": {"code": "ResourceNotFound", "message": "gone"}}"#;
    for r in [
        parse_routes(body).map(|_| ()),
        parse_bgp_peers(body).map(|_| ()),
        parse_peerings(body).map(|_| ()),
        parse_circuit(body).map(|_| ()),
        parse_connection(body).map(|_| ()),
    ] {
        let e = r.unwrap_err();
        assert!(e.message.contains("ResourceNotFound"), "{e}");
    }
    assert_eq!(
        parse_error(body).map(|e| e.code),
        Ok(Some("ResourceNotFound".into()))
    );
}

#[test]
fn other_shapes_are_refused() {
    assert!(parse_routes(r#"{"name": "x", "properties": {}}"#).is_err());
    assert!(parse_routes("[1]").is_err());
    assert!(parse_error(r#"{"value": []}"#).is_err());
    assert!(parse_circuit("[]").is_err());
    assert!(parse_routes("").is_err());
    assert_eq!(parse_routes("   \n  \n").unwrap_err().line, 0);
    assert_eq!(parse_routes("\nno json here\n").unwrap_err().line, 2);
}

#[test]
fn cli_forms() {
    let routes = parse_routes(
        r#"[{"asPath": "", "localAddress": "10.17.11.76", "network": "10.17.11.0/25",
             "nextHop": null, "origin": "Network", "sourcePeer": "10.17.11.76", "weight": 32768}]"#,
    )
    .expect("bare array");
    assert_eq!(
        routes.routes.first().and_then(|r| r.as_path.clone()),
        Some(vec![])
    );

    let p = parse_peerings(
        r#"{"azureAsn": 12076, "peerAsn": 65020, "peeringType": "AzurePrivatePeering",
            "state": "Enabled", "vlanId": 11, "name": "AzurePrivatePeering",
            "resourceGroup": "rg-er-lab", "etag": "W/\"1\""}"#,
    )
    .expect("flattened peering");
    let one = p.peerings.first().expect("one peering");
    assert_eq!(
        (one.azure_asn, one.peer_asn, one.vlan_id),
        (Some(12076), Some(65020), Some(11))
    );
    assert_eq!(one.state, Some(PeeringState::Enabled));

    let c = parse_circuit(
        r#"{"name": "er", "serviceProviderProvisioningState": "Provisioned",
            "peerings": [{"name": "AzurePrivatePeering", "peerAsn": 65020}]}"#,
    )
    .expect("flattened circuit");
    assert_eq!(c.peerings.first().and_then(|p| p.peer_asn), Some(65020));
}

#[test]
fn trailing_prompt_is_ignored() {
    let s = parse_error("{\"error\": {\"code\": \"Conflict\"}}\nuser@host:~$ ").expect("parses");
    assert_eq!(s.code.as_deref(), Some("Conflict"));
}

const PEERING_BODY: &str =
    include_str!("../../../../../tests/fixtures/arm/synthetic/peering-get-private-enabled.json");
const CIRCUIT_BODY: &str =
    include_str!("../../../../../tests/fixtures/arm/synthetic/circuit-get-two-peerings.json");
const CONNECTION_BODY: &str =
    include_str!("../../../../../tests/fixtures/arm/synthetic/connection-get-connected.json");
const PEERING_LIST: &str =
    include_str!("../../../../../tests/fixtures/arm/synthetic/peering-list-microsoft-first.json");
const BGP_PEERS: &str =
    include_str!("../../../../../tests/fixtures/arm/synthetic/gateway-bgp-peer-status.json");
const ROUTES: &str =
    include_str!("../../../../../tests/fixtures/arm/synthetic/gateway-learned-routes.json");

/// The line and column of the first `needle` in `text`.
fn position_of(text: &str, needle: &str) -> (usize, usize) {
    let at = text.find(needle).expect("needle in text");
    crate::parse::lines::line_col(text, at)
}

#[test]
fn a_resource_of_another_type_is_refused_naming_its_type() {
    let peering_type = "\"Microsoft.Network/expressRouteCircuits/peerings\"";
    for e in [
        parse_circuit(PEERING_BODY).map(|_| ()).unwrap_err(),
        parse_connection(PEERING_BODY).map(|_| ()).unwrap_err(),
    ] {
        assert!(
            e.message
                .contains("its `type` is `Microsoft.Network/expressRouteCircuits/peerings`"),
            "{e}"
        );
        assert!(e.message.contains("arm-peering"), "{e}");
        assert_eq!(
            (e.line, e.column),
            position_of(PEERING_BODY, peering_type),
            "{e}"
        );
    }
    let e = parse_peerings(CIRCUIT_BODY).unwrap_err();
    assert!(
        e.message
            .contains("`Microsoft.Network/expressRouteCircuits`"),
        "{e}"
    );
    assert!(e.message.contains("arm-circuit"), "{e}");
    let e = parse_circuit(CONNECTION_BODY).map(|_| ()).unwrap_err();
    assert!(e.message.contains("Microsoft.Network/connections"), "{e}");
    // The kinds read their own bodies still.
    assert!(parse_circuit(CIRCUIT_BODY).is_ok());
    assert!(parse_peerings(PEERING_BODY).is_ok());
    assert!(parse_connection(CONNECTION_BODY).is_ok());
}

#[test]
fn a_resource_without_type_is_judged_by_its_members() {
    // A peering with `type` dropped (an example file's body, the az CLI).
    let untyped = r#"{"name": "AzurePrivatePeering",
        "properties": {"peeringType": "AzurePrivatePeering", "azureASN": 12076, "vlanId": 11}}"#;
    let e = parse_circuit(untyped).map(|_| ()).unwrap_err();
    assert!(e.message.contains("`peeringType`"), "{e}");
    assert!(e.message.contains("arm-peering"), "{e}");
    let e = parse_connection(untyped).map(|_| ()).unwrap_err();
    assert!(e.message.contains("ExpressRoute circuit peering"), "{e}");
    let flattened =
        r#"{"azureAsn": 12076, "peerAsn": 65020, "peeringType": "AzurePrivatePeering"}"#;
    assert!(parse_circuit(flattened).is_err());
    assert!(parse_peerings(flattened).is_ok());
    let e = parse_circuit(r#"{"name": "x", "properties": {"foo": 1}}"#)
        .map(|_| ())
        .unwrap_err();
    assert!(e.message.contains("none of the members"), "{e}");
    // Nothing to go on: serde's error says what is missing.
    let e = parse_circuit("{}").map(|_| ()).unwrap_err();
    assert!(e.message.contains("properties"), "{e}");
    // A lone shared member reads as the kind asked for.
    assert!(parse_peerings(r#"{"properties": {"state": "Disabled"}}"#).is_ok());
}

#[test]
fn an_empty_object_is_no_list_but_an_empty_value_is() {
    for e in [
        parse_routes("{}").map(|_| ()).unwrap_err(),
        parse_bgp_peers("\n  {}\n").map(|_| ()).unwrap_err(),
    ] {
        assert!(e.message.contains("{\"value\": []}"), "{e}");
    }
    let e = parse_bgp_peers("\n  {}\n").unwrap_err();
    assert_eq!((e.line, e.column), (2, 3), "{e}");
    assert!(
        parse_routes(r#"{"value": []}"#)
            .expect("an empty list")
            .routes
            .is_empty()
    );
    assert!(
        parse_routes("[]")
            .expect("an empty array")
            .routes
            .is_empty()
    );
}

#[test]
fn a_list_of_other_entries_is_refused_naming_the_first() {
    let e = parse_routes(PEERING_LIST).unwrap_err();
    assert!(e.message.contains("entry 1"), "{e}");
    assert!(e.message.contains("expressRouteCircuits/peerings"), "{e}");
    let e = parse_routes(BGP_PEERS).unwrap_err();
    assert!(e.message.contains("BGP peer status"), "{e}");
    assert!(e.message.contains("arm-bgp-peers"), "{e}");
    let e = parse_bgp_peers(ROUTES).unwrap_err();
    assert!(e.message.contains("gateway route"), "{e}");
    let e = parse_peerings(BGP_PEERS).unwrap_err();
    assert!(e.message.contains("BGP peer status"), "{e}");
    let e = parse_routes(CIRCUIT_BODY).unwrap_err();
    assert!(
        e.message
            .contains("whose `type` is `Microsoft.Network/expressRouteCircuits`"),
        "{e}"
    );
    assert!(parse_routes(ROUTES).is_ok());
    assert!(parse_bgp_peers(BGP_PEERS).is_ok());
    assert!(parse_peerings(PEERING_LIST).is_ok());
}

#[test]
fn json_syntax_errors_carry_their_column() {
    let e = parse_routes("$ az\n{\"value\": [,]}").unwrap_err();
    assert_eq!((e.line, e.column), (2, 12), "{e}");
    assert_eq!(e.position(), "2:12");
    assert!(!e.message.contains("column"), "{e}");
}
