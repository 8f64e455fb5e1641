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
