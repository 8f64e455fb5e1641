//! Every ARM fixture deserializes into the type its file name says it
//! holds, survives a round trip, and carries the values the procedure
//! relies on; the `cutover parse arm-*` parsers read them too, and no input
//! panics them.

use std::fmt::Debug;
use std::path::{Path, PathBuf};

use cutover_core::model::azure::{
    AsyncOperationStatus, AsyncStatus, BgpPeerState, BgpPeerStatusListResult, CloudError,
    ConnectionStatus, ExpressRouteCircuit, ExpressRouteCircuitPeering,
    ExpressRouteCircuitPeeringListResult, GatewayRoute, GatewayRouteListResult, Origin,
    PeeringState, PeeringType, ProvisioningState, VirtualNetworkGateway,
    VirtualNetworkGatewayConnection,
};
use cutover_core::parse::{self, Kind, arm};
use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// The wire type each fixture holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Peering,
    PeeringList,
    Circuit,
    Routes,
    BgpPeers,
    Connection,
    Gateway,
    Error,
    AsyncOp,
}

const FILES: &[(&str, Ty)] = &[
    ("official/ExpressRouteCircuitGet.json", Ty::Circuit),
    (
        "official/ExpressRouteCircuitPeeringCreate.json",
        Ty::Peering,
    ),
    ("official/ExpressRouteCircuitPeeringGet.json", Ty::Peering),
    (
        "official/ExpressRouteCircuitPeeringList.json",
        Ty::PeeringList,
    ),
    (
        "official/VirtualNetworkGatewayConnectionGet.json",
        Ty::Connection,
    ),
    ("official/VirtualNetworkGatewayGet.json", Ty::Gateway),
    (
        "official/VirtualNetworkGatewayGetAdvertisedRoutes.json",
        Ty::Routes,
    ),
    (
        "official/VirtualNetworkGatewayGetBGPPeerStatus.json",
        Ty::BgpPeers,
    ),
    (
        "official/VirtualNetworkGatewayLearnedRoutes.json",
        Ty::Routes,
    ),
    ("synthetic/asyncop-canceled.json", Ty::AsyncOp),
    ("synthetic/asyncop-failed.json", Ty::AsyncOp),
    ("synthetic/asyncop-inprogress.json", Ty::AsyncOp),
    ("synthetic/asyncop-succeeded.json", Ty::AsyncOp),
    ("synthetic/circuit-get-two-peerings.json", Ty::Circuit),
    ("synthetic/connection-get-connected.json", Ty::Connection),
    ("synthetic/connection-get-notconnected.json", Ty::Connection),
    ("synthetic/error-400-invalid-request-format.json", Ty::Error),
    (
        "synthetic/error-401-invalid-authentication-token.json",
        Ty::Error,
    ),
    ("synthetic/error-404-resource-not-found.json", Ty::Error),
    (
        "synthetic/error-409-another-operation-in-progress.json",
        Ty::Error,
    ),
    ("synthetic/error-412-precondition-failed.json", Ty::Error),
    (
        "synthetic/error-429-retryable-another-operation.json",
        Ty::Error,
    ),
    ("synthetic/error-429-too-many-requests.json", Ty::Error),
    (
        "synthetic/gateway-advertised-routes-192.168.11.88.json",
        Ty::Routes,
    ),
    ("synthetic/gateway-bgp-peer-status.json", Ty::BgpPeers),
    ("synthetic/gateway-learned-routes-vpn-down.json", Ty::Routes),
    ("synthetic/gateway-learned-routes.json", Ty::Routes),
    ("synthetic/peering-get-private-disabled.json", Ty::Peering),
    ("synthetic/peering-get-private-enabled.json", Ty::Peering),
    (
        "synthetic/peering-list-microsoft-first.json",
        Ty::PeeringList,
    ),
    ("synthetic/peering-put-request-disable.json", Ty::Peering),
    ("synthetic/peering-put-response-updating.json", Ty::Peering),
];

fn arm_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/arm")
}

fn text(rel: &str) -> String {
    std::fs::read_to_string(arm_dir().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn value(rel: &str) -> Value {
    serde_json::from_str(&text(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The bodies a fixture holds: the file itself, or for an official example
/// every response body plus the request body it gives as a parameter.
fn bodies(rel: &str) -> Vec<(String, Value)> {
    let v = value(rel);
    let Some(responses) = v.get("responses").and_then(Value::as_object) else {
        return vec![(rel.to_owned(), v)];
    };
    let mut out: Vec<(String, Value)> = responses
        .iter()
        .filter_map(|(code, r)| Some((format!("{rel} responses.{code}"), r.get("body")?.clone())))
        .collect();
    if let Some(p) = v.pointer("/parameters/peeringParameters") {
        out.push((format!("{rel} parameters.peeringParameters"), p.clone()));
    }
    out
}

/// Deserializes `v` as `T` (from the value and from its text), checks that
/// serializing and reading back gives the same `T`, and, when `exact`, that
/// serializing gives back `v` itself.
fn round_trip<T>(what: &str, v: &Value, exact: bool) -> T
where
    T: DeserializeOwned + Serialize + PartialEq + Debug,
{
    let t: T = serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{what}: {e}"));
    let from_text: T = serde_json::from_str(&serde_json::to_string_pretty(v).expect("to text"))
        .unwrap_or_else(|e| panic!("{what} (text): {e}"));
    assert_eq!(from_text, t, "{what}: text and value reads differ");
    let out = serde_json::to_string(&t).unwrap_or_else(|e| panic!("{what}: {e}"));
    let back: T = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{what} (again): {e}"));
    assert_eq!(back, t, "{what}: round trip changed the value");
    if exact {
        let got = serde_json::to_value(&t).expect("to value");
        assert_eq!(got, *v, "{what}: serialized JSON differs from the input");
    }
    t
}

fn check_body(what: &str, ty: Ty, v: &Value) {
    // The official gateway examples answer `{}`; it reads as an empty list
    // but writes back as `{"value": []}`.
    let exact = !(matches!(ty, Ty::Routes | Ty::BgpPeers) && v.get("value").is_none());
    match ty {
        Ty::Peering => drop(round_trip::<ExpressRouteCircuitPeering>(what, v, exact)),
        Ty::PeeringList => drop(round_trip::<ExpressRouteCircuitPeeringListResult>(
            what, v, exact,
        )),
        Ty::Circuit => drop(round_trip::<ExpressRouteCircuit>(what, v, exact)),
        Ty::Routes => drop(round_trip::<GatewayRouteListResult>(what, v, exact)),
        Ty::BgpPeers => drop(round_trip::<BgpPeerStatusListResult>(what, v, exact)),
        Ty::Connection => drop(round_trip::<VirtualNetworkGatewayConnection>(
            what, v, exact,
        )),
        Ty::Gateway => drop(round_trip::<VirtualNetworkGateway>(what, v, exact)),
        Ty::Error => drop(round_trip::<CloudError>(what, v, exact)),
        Ty::AsyncOp => drop(round_trip::<AsyncOperationStatus>(what, v, exact)),
    }
}

fn kind_of(ty: Ty) -> Option<Kind> {
    Some(match ty {
        Ty::Peering | Ty::PeeringList => Kind::ArmPeering,
        Ty::Circuit => Kind::ArmCircuit,
        Ty::Routes => Kind::ArmRoutes,
        Ty::BgpPeers => Kind::ArmBgpPeers,
        Ty::Connection => Kind::ArmConnection,
        Ty::Error | Ty::AsyncOp => Kind::ArmError,
        Ty::Gateway => return None,
    })
}

fn read<T: DeserializeOwned>(rel: &str) -> T {
    serde_json::from_str(&text(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The 200 (else 201) body of an official example.
fn example_body<T: DeserializeOwned>(rel: &str, code: &str) -> T {
    let v = value(rel);
    let body = v
        .pointer(&format!("/responses/{code}/body"))
        .cloned()
        .expect("body");
    serde_json::from_value(body).unwrap_or_else(|e| panic!("{rel} {code}: {e}"))
}

#[test]
fn every_fixture_file_is_mapped_to_a_type() {
    let mut missing = Vec::new();
    for dir in ["official", "synthetic"] {
        let rd = std::fs::read_dir(arm_dir().join(dir)).expect("fixture dir");
        for e in rd.flatten() {
            let name = format!("{dir}/{}", e.file_name().to_string_lossy());
            if name.ends_with(".json") && !FILES.iter().any(|(f, _)| *f == name) {
                missing.push(name);
            }
        }
    }
    assert!(
        missing.is_empty(),
        "fixtures with no type in FILES: {missing:?}"
    );
}

#[test]
fn every_fixture_deserializes_and_round_trips() {
    let mut n = 0;
    for (rel, ty) in FILES {
        for (what, body) in bodies(rel) {
            check_body(&what, *ty, &body);
            n += 1;
        }
    }
    // One body per file; the peering-create example holds two bodies and a request.
    assert_eq!(n, FILES.len() + 2);
}

#[test]
fn every_fixture_parses_with_its_kind() {
    for (rel, ty) in FILES {
        let Some(kind) = kind_of(*ty) else { continue };
        let got = parse::to_json(kind, &text(rel));
        // An operation status is an error body only when it carries one.
        let carries_error = *ty != Ty::AsyncOp || value(rel).get("error").is_some();
        // The official gateway examples answer `{}`, a placeholder that
        // `cutover parse` refuses as a list (`{"value": []}` is an empty one).
        let placeholder = value(rel)
            .pointer("/responses/200/body")
            .is_some_and(|b| b == &json!({}));
        assert_eq!(
            got.is_ok(),
            carries_error && !placeholder,
            "{rel} as {kind:?}: {got:?}"
        );
    }
}

#[test]
fn peering_list_is_read_by_name_not_by_index() {
    for rel in [
        "synthetic/peering-list-microsoft-first.json",
        "official/ExpressRouteCircuitPeeringList.json",
    ] {
        let list: ExpressRouteCircuitPeeringListResult = if rel.starts_with("official") {
            example_body(rel, "200")
        } else {
            read(rel)
        };
        assert_eq!(list.value.len(), 2, "{rel}");
        assert_eq!(
            list.value[0].name.as_deref(),
            Some("MicrosoftPeering"),
            "{rel}"
        );
        assert_eq!(
            list.value[0].peering_type(),
            Some(&PeeringType::MicrosoftPeering),
            "{rel}"
        );
        let private = list
            .peering_by_name("AzurePrivatePeering")
            .expect("private peering");
        assert!(
            std::ptr::eq(private, &list.value[1]),
            "{rel}: found at the wrong index"
        );
        let by_type = list
            .peering_by_type(&PeeringType::AzurePrivatePeering)
            .expect("by type");
        assert!(std::ptr::eq(by_type, &list.value[1]), "{rel}");
        assert_eq!(list.next_link, None);
    }
    let list: ExpressRouteCircuitPeeringListResult =
        read("synthetic/peering-list-microsoft-first.json");
    let private = list
        .peering_by_name("AzurePrivatePeering")
        .expect("private peering");
    assert_eq!(private.properties.vlan_id, Some(11));
    assert_eq!(private.properties.peer_asn, Some(65020));
    assert_eq!(
        private.etag.as_deref(),
        Some("W/\"3c7e9a52-1f4b-4d6e-9b8a-5e2d7c1f0a11\"")
    );
}

#[test]
fn circuit_peerings_in_server_order() {
    let c: ExpressRouteCircuit = read("synthetic/circuit-get-two-peerings.json");
    let names: Vec<_> = c.peerings().iter().map(|p| p.name.as_deref()).collect();
    assert_eq!(
        names,
        [Some("MicrosoftPeering"), Some("AzurePrivatePeering")]
    );
    let private = c
        .peering_by_name("AzurePrivatePeering")
        .expect("private peering");
    assert!(std::ptr::eq(private, &c.peerings()[1]));
    assert_eq!(
        private.primary_prefix().map(|p| p.to_string()).as_deref(),
        Some("192.168.11.16/30")
    );
    assert_eq!(
        private.secondary_prefix().map(|p| p.to_string()).as_deref(),
        Some("192.168.11.20/30")
    );
    assert_eq!(
        c.properties.service_provider_provisioning_state.as_deref(),
        Some("Provisioned")
    );
    assert_eq!(
        c.sku.as_ref().and_then(|s| s.tier.as_deref()),
        Some("Standard")
    );

    let official: ExpressRouteCircuit = example_body("official/ExpressRouteCircuitGet.json", "200");
    assert!(official.peerings().is_empty());
    assert_eq!(
        official.properties.peerings.as_deref().map(<[_]>::len),
        Some(0)
    );
    assert!(official.peering_by_name("AzurePrivatePeering").is_none());
    // The malformed etag is opaque and kept as sent.
    assert_eq!(
        official.etag.as_deref(),
        Some("w/\\00000000-0000-0000-0000-000000000000\\")
    );
    assert_eq!(
        official.properties.provisioning_state,
        Some(ProvisioningState::Succeeded)
    );
}

#[test]
fn express_route_connection_is_an_object_or_an_empty_string() {
    let rel = "official/ExpressRouteCircuitPeeringCreate.json";
    let created: ExpressRouteCircuitPeering = example_body(rel, "201");
    let ok: ExpressRouteCircuitPeering = example_body(rel, "200");
    assert!(
        created
            .properties
            .express_route_connection
            .as_ref()
            .is_some_and(Value::is_object)
    );
    assert_eq!(ok.properties.express_route_connection, Some(json!("")));
    // The "" is not sent back; the object is.
    assert!(
        ok.to_put_body(PeeringState::Enabled)["properties"]
            .get("expressRouteConnection")
            .is_none()
    );
    assert!(
        created.to_put_body(PeeringState::Enabled)["properties"]["expressRouteConnection"]
            .is_object()
    );
}

#[test]
fn put_body_matches_the_fixture_field_for_field() {
    let enabled: ExpressRouteCircuitPeering = read("synthetic/peering-get-private-enabled.json");
    assert_eq!(enabled.state(), Some(&PeeringState::Enabled));
    let want = value("synthetic/peering-put-request-disable.json");
    let got = enabled.to_put_body(PeeringState::Disabled);
    let (Some(got_o), Some(want_o)) = (got.as_object(), want.as_object()) else {
        panic!("bodies are not objects: {got}");
    };
    // Member order means nothing to ARM; the set of members does.
    let keys = |o: &serde_json::Map<String, Value>| {
        let mut k = o.keys().cloned().collect::<Vec<_>>();
        k.sort();
        k
    };
    assert_eq!(keys(got_o), keys(want_o));
    for (k, w) in want_o {
        if k == "properties" {
            let (Some(gp), Some(wp)) = (got_o[k].as_object(), w.as_object()) else {
                panic!("properties is not an object");
            };
            assert_eq!(keys(gp), keys(wp));
            for (pk, pw) in wp {
                assert_eq!(&gp[pk], pw, "properties.{pk}");
            }
        } else {
            assert_eq!(&got_o[k], w, "{k}");
        }
    }
    assert_eq!(got, want);

    // Enabling the disabled peering gives the same body with Enabled.
    let disabled: ExpressRouteCircuitPeering = read("synthetic/peering-get-private-disabled.json");
    let mut want_enable = want.clone();
    want_enable["properties"]["state"] = json!("Enabled");
    assert_eq!(disabled.to_put_body(PeeringState::Enabled), want_enable);
    // The GET itself is left as it was.
    assert_eq!(
        serde_json::to_value(&enabled).expect("to value"),
        value("synthetic/peering-get-private-enabled.json")
    );
}

#[test]
fn peering_states_through_the_toggle() {
    let disabled: ExpressRouteCircuitPeering = read("synthetic/peering-get-private-disabled.json");
    assert_eq!(disabled.state(), Some(&PeeringState::Disabled));
    assert_eq!(
        disabled.etag.as_deref(),
        Some("W/\"8d2f4b61-6a3c-4e9d-a7b5-0c1e2f3a4b22\"")
    );
    let updating: ExpressRouteCircuitPeering = read("synthetic/peering-put-response-updating.json");
    assert_eq!(updating.state(), Some(&PeeringState::Disabled));
    let ps = updating.provisioning_state().expect("provisioning state");
    assert_eq!(ps, &ProvisioningState::Updating);
    assert!(!ps.is_terminal());
    let official: ExpressRouteCircuitPeering =
        example_body("official/ExpressRouteCircuitPeeringGet.json", "200");
    assert_eq!(
        official.peering_type(),
        Some(&PeeringType::MicrosoftPeering)
    );
    assert_eq!(official.properties.azure_asn, Some(12076));
    assert_eq!(official.properties.vlan_id, Some(300));
    assert!(
        official
            .properties
            .extra
            .contains_key("microsoftPeeringConfig")
    );
}

fn routes(rel: &str) -> Vec<GatewayRoute> {
    read::<GatewayRouteListResult>(rel).value
}

#[test]
fn learned_routes_hold_the_vpn_and_the_er_paths() {
    let all = routes("synthetic/gateway-learned-routes.json");
    assert_eq!(all.len(), 12);
    let lan = "10.1.11.0/25".parse().expect("prefix");
    let er: Vec<_> = all
        .iter()
        .filter(|r| r.prefix() == Some(lan) && r.as_path_asns() == Some(vec![12076, 65020]))
        .collect();
    assert_eq!(er.len(), 2);
    for r in &er {
        assert_eq!(r.weight, Some(32769));
        assert_eq!(r.next_hop.as_deref(), Some("10.17.11.69"));
        assert_eq!(r.origin, Some(Origin::IBgp));
    }
    let ebgp: Vec<_> = all
        .iter()
        .filter(|r| r.origin == Some(Origin::EBgp))
        .collect();
    assert_eq!(ebgp.len(), 2);
    for r in &ebgp {
        assert_eq!(r.as_path_asns(), Some(vec![65020]));
        assert_eq!(r.source_peer.as_deref(), Some("192.168.11.88"));
        assert_eq!(r.weight, Some(32768));
    }
    let own: Vec<_> = all
        .iter()
        .filter(|r| r.origin == Some(Origin::Network))
        .collect();
    assert_eq!(own.len(), 6);
    assert!(
        own.iter()
            .all(|r| r.as_path_asns() == Some(vec![]) && r.next_hop.is_none())
    );

    let down = routes("synthetic/gateway-learned-routes-vpn-down.json");
    assert_eq!(down.len(), 8);
    assert!(
        down.iter().all(|r| r.as_path_asns() != Some(vec![65020])),
        "a VPN route survived"
    );
    assert_eq!(
        down.iter()
            .filter(|r| r.as_path_asns() == Some(vec![12076, 65020]))
            .count(),
        2
    );

    for rel in [
        "official/VirtualNetworkGatewayLearnedRoutes.json",
        "official/VirtualNetworkGatewayGetAdvertisedRoutes.json",
    ] {
        let empty: GatewayRouteListResult = example_body(rel, "200");
        assert!(empty.value.is_empty(), "{rel}");
    }
}

#[test]
fn advertised_routes_are_the_hub_and_spoke_from_each_instance() {
    let adv = routes("synthetic/gateway-advertised-routes-192.168.11.88.json");
    let got: Vec<_> = adv
        .iter()
        .map(|r| {
            (
                r.local_address.as_deref(),
                r.prefix().map(|p| p.to_string()),
                r.next_hop.as_deref(),
            )
        })
        .collect();
    let want = [
        (
            Some("10.17.11.76"),
            Some("10.17.11.0/25".to_owned()),
            Some("10.17.11.76"),
        ),
        (
            Some("10.17.11.76"),
            Some("10.17.11.128/26".to_owned()),
            Some("10.17.11.76"),
        ),
        (
            Some("10.17.11.77"),
            Some("10.17.11.0/25".to_owned()),
            Some("10.17.11.77"),
        ),
        (
            Some("10.17.11.77"),
            Some("10.17.11.128/26".to_owned()),
            Some("10.17.11.77"),
        ),
    ];
    assert_eq!(got, want);
    for r in &adv {
        assert_eq!(r.origin, Some(Origin::Igp));
        assert_eq!(r.as_path_asns(), Some(vec![65515]));
        assert_eq!(r.weight, Some(0));
        assert_eq!(r.source_peer, None);
    }
}

#[test]
fn bgp_peer_status() {
    let peers = read::<BgpPeerStatusListResult>("synthetic/gateway-bgp-peer-status.json").value;
    assert_eq!(peers.len(), 2);
    let up = &peers[0];
    assert_eq!(
        (up.local_address.as_deref(), up.neighbor.as_deref()),
        (Some("10.17.11.76"), Some("192.168.11.88"))
    );
    assert_eq!(up.asn, Some(65020));
    assert_eq!(up.state, Some(BgpPeerState::Connected));
    let d = up.connected_for().expect("duration");
    assert_eq!(
        (d.as_secs(), d.subsec_nanos()),
        (5 * 3600 + 42 * 60 + 17, 334_512_900)
    );
    assert_eq!(up.routes_received, Some(1));
    let down = &peers[1];
    assert_eq!(down.state, Some(BgpPeerState::Connecting));
    assert_eq!(down.connected_for().map(|d| d.as_secs()), Some(0));
    assert_eq!(down.routes_received, Some(0));
    let empty: BgpPeerStatusListResult =
        example_body("official/VirtualNetworkGatewayGetBGPPeerStatus.json", "200");
    assert!(empty.value.is_empty());
}

#[test]
fn connection_status_and_tunnels() {
    let up: VirtualNetworkGatewayConnection = read("synthetic/connection-get-connected.json");
    assert_eq!(up.status(), Some(&ConnectionStatus::Connected));
    assert_eq!(up.properties.ingress_bytes_transferred, Some(1_893_451_220));
    assert_eq!(up.properties.egress_bytes_transferred, Some(2_214_509_876));
    assert_eq!(up.properties.enable_bgp, Some(true));
    assert_eq!(up.tunnels().len(), 2);
    for t in up.tunnels() {
        assert_eq!(t.connection_status, Some(ConnectionStatus::Connected));
        assert!(t.ingress_bytes_transferred.is_some_and(|b| b > 0));
        assert!(t.last_connection_established_utc_time.is_some());
    }
    assert_eq!(
        up.tunnels()[0]
            .last_connection_established_utc_time
            .as_deref(),
        Some("5/14/2024 1:17:42 AM")
    );

    let down: VirtualNetworkGatewayConnection = read("synthetic/connection-get-notconnected.json");
    assert_eq!(down.status(), Some(&ConnectionStatus::NotConnected));
    assert_eq!(down.properties.ingress_bytes_transferred, Some(0));
    assert_eq!(down.tunnels().len(), 2);
    for t in down.tunnels() {
        assert_eq!(t.connection_status, Some(ConnectionStatus::NotConnected));
        assert_eq!(t.last_connection_established_utc_time, None);
    }

    let official: VirtualNetworkGatewayConnection =
        example_body("official/VirtualNetworkGatewayConnectionGet.json", "200");
    assert_eq!(official.status(), Some(&ConnectionStatus::Connecting));
    assert!(official.properties.tunnel_connection_status.is_none());
    assert!(official.tunnels().is_empty());
    assert_eq!(
        official.properties.connection_type.as_deref(),
        Some("IPsec")
    );
}

#[test]
fn gateway_bgp_settings() {
    let gw: VirtualNetworkGateway = example_body("official/VirtualNetworkGatewayGet.json", "200");
    assert_eq!(gw.properties.gateway_type.as_deref(), Some("Vpn"));
    let bgp = gw.properties.bgp_settings.as_ref().expect("bgpSettings");
    assert_eq!(bgp.asn, Some(65514));
    assert_eq!(bgp.bgp_peering_address.as_deref(), Some("10.0.1.30"));
    assert_eq!(bgp.peering_addresses(), ["10.3.1.254"]);
}

#[test]
fn error_bodies_expose_their_codes() {
    let cases = [
        (
            "synthetic/error-400-invalid-request-format.json",
            "InvalidRequestFormat",
        ),
        (
            "synthetic/error-401-invalid-authentication-token.json",
            "InvalidAuthenticationToken",
        ),
        (
            "synthetic/error-404-resource-not-found.json",
            "ResourceNotFound",
        ),
        (
            "synthetic/error-409-another-operation-in-progress.json",
            "AnotherOperationInProgress",
        ),
        (
            "synthetic/error-412-precondition-failed.json",
            "PreconditionFailed",
        ),
        (
            "synthetic/error-429-retryable-another-operation.json",
            "RetryableErrorDueToAnotherOperation",
        ),
        (
            "synthetic/error-429-too-many-requests.json",
            "TooManyRequests",
        ),
    ];
    for (rel, code) in cases {
        let e: CloudError = read(rel);
        assert_eq!(e.code(), Some(code), "{rel}");
        assert!(e.message().is_some_and(|m| !m.is_empty()), "{rel}");
        assert!(e.to_string().starts_with(&format!("{code}: ")), "{rel}");
        let parsed = arm::parse_error(&text(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!(parsed.code.as_deref(), Some(code), "{rel}");
    }
    let e: CloudError = read("synthetic/error-400-invalid-request-format.json");
    assert!(e.has_code("InvalidJson"));
    let detail = e
        .error
        .as_ref()
        .and_then(|b| b.details.as_ref())
        .and_then(|d| d.first())
        .expect("detail");
    assert!(
        detail
            .message
            .as_deref()
            .is_some_and(|m| m.contains("properties.state"))
    );
    let e: CloudError = read("synthetic/error-409-another-operation-in-progress.json");
    assert!(
        e.message()
            .is_some_and(|m| m.contains("/operations/11111111-2222-4333-8444-555555555555"))
    );
}

#[test]
fn async_operation_statuses() {
    let cases = [
        (
            "synthetic/asyncop-inprogress.json",
            AsyncStatus::InProgress,
            false,
            None,
        ),
        (
            "synthetic/asyncop-succeeded.json",
            AsyncStatus::Succeeded,
            true,
            None,
        ),
        (
            "synthetic/asyncop-failed.json",
            AsyncStatus::Failed,
            true,
            Some("InternalServerError"),
        ),
        (
            "synthetic/asyncop-canceled.json",
            AsyncStatus::Canceled,
            true,
            Some("Canceled"),
        ),
    ];
    for (rel, status, terminal, code) in cases {
        let s: AsyncOperationStatus = read(rel);
        assert_eq!(s.status, status, "{rel}");
        assert_eq!(s.is_terminal(), terminal, "{rel}");
        assert_eq!(
            s.error.as_ref().and_then(|e| e.code.as_deref()),
            code,
            "{rel}"
        );
    }
}

// ---- the normalized parse output -------------------------------------------

#[test]
fn arm_routes_output() {
    let got = parse::to_json(
        Kind::ArmRoutes,
        &text("synthetic/gateway-learned-routes.json"),
    )
    .expect("parses");
    let routes = got["routes"].as_array().expect("routes");
    assert_eq!(routes.len(), 12);
    assert_eq!(
        routes[5],
        json!({"network": "10.1.11.0/25", "next_hop": "10.17.11.69", "source_peer": "10.17.11.69",
               "origin": "IBgp", "as_path": [12076, 65020], "weight": 32769, "local_address": "10.17.11.76"})
    );
    assert_eq!(
        routes[0],
        json!({"network": "10.17.11.0/25", "next_hop": null, "source_peer": "10.17.11.76",
               "origin": "Network", "as_path": [], "weight": 32768, "local_address": "10.17.11.76"})
    );
    // The official example's `{}` is a placeholder, not an answer: read as
    // "no routes" it would hide a body that lost its list.
    let official = parse::to_json(
        Kind::ArmRoutes,
        &text("official/VirtualNetworkGatewayLearnedRoutes.json"),
    )
    .expect_err("`{}` is no route list");
    assert!(official.message.contains("empty object"), "{official}");
    assert_eq!(
        parse::to_json(Kind::ArmRoutes, r#"{"value": []}"#),
        Ok(json!({"routes": []}))
    );
}

#[test]
fn arm_bgp_peers_output() {
    let got = parse::to_json(
        Kind::ArmBgpPeers,
        &text("synthetic/gateway-bgp-peer-status.json"),
    )
    .expect("parses");
    assert_eq!(
        got["peers"][0],
        json!({"neighbor": "192.168.11.88", "asn": 65020, "state": "Connected", "local_address": "10.17.11.76",
               "connected_seconds": 20537, "routes_received": 1, "messages_sent": 412, "messages_received": 398})
    );
    assert_eq!(got["peers"][1]["state"], json!("Connecting"));
    assert_eq!(got["peers"][1]["connected_seconds"], json!(0));
}

#[test]
fn arm_peering_output_from_a_list_a_single_peering_and_an_example_file() {
    let private = json!({"name": "AzurePrivatePeering", "peering_type": "AzurePrivatePeering",
        "state": "Enabled", "provisioning_state": "Succeeded", "azure_asn": 12076, "peer_asn": 65020,
        "primary_peer_address_prefix": "192.168.11.16/30", "secondary_peer_address_prefix": "192.168.11.20/30",
        "vlan_id": 11, "etag": "W/\"3c7e9a52-1f4b-4d6e-9b8a-5e2d7c1f0a11\""});
    let list = parse::to_json(
        Kind::ArmPeering,
        &text("synthetic/peering-list-microsoft-first.json"),
    )
    .expect("list");
    assert_eq!(list["peerings"][0]["name"], json!("MicrosoftPeering"));
    assert_eq!(list["peerings"][1], private);
    assert_eq!(list["next_link"], Value::Null);
    let one = parse::to_json(
        Kind::ArmPeering,
        &text("synthetic/peering-get-private-enabled.json"),
    )
    .expect("one");
    assert_eq!(one, json!({"peerings": [private], "next_link": null}));

    let example = parse::to_json(
        Kind::ArmPeering,
        &text("official/ExpressRouteCircuitPeeringList.json"),
    )
    .expect("example");
    let names: Vec<_> = example["peerings"]
        .as_array()
        .expect("array")
        .iter()
        .map(|p| p["name"].clone())
        .collect();
    assert_eq!(
        names,
        [json!("MicrosoftPeering"), json!("AzurePrivatePeering")]
    );
    // A create example has both 201 and 200: the 200 body is the one read.
    let created = parse::to_json(
        Kind::ArmPeering,
        &text("official/ExpressRouteCircuitPeeringCreate.json"),
    )
    .expect("create");
    assert_eq!(created["peerings"][0]["vlan_id"], json!(200));
}

#[test]
fn arm_circuit_and_connection_output() {
    let c = parse::to_json(
        Kind::ArmCircuit,
        &text("synthetic/circuit-get-two-peerings.json"),
    )
    .expect("circuit");
    assert_eq!(c["name"], json!("er-circuit-11"));
    assert_eq!(
        c["service_provider_provisioning_state"],
        json!("Provisioned")
    );
    assert_eq!(c["bandwidth_mbps"], json!(1000));
    assert_eq!(c["peerings"][1]["name"], json!("AzurePrivatePeering"));
    let official = parse::to_json(
        Kind::ArmCircuit,
        &text("official/ExpressRouteCircuitGet.json"),
    )
    .expect("example");
    assert_eq!(official["peerings"], json!([]));
    assert_eq!(
        official["etag"],
        json!("w/\\00000000-0000-0000-0000-000000000000\\")
    );

    let up = parse::to_json(
        Kind::ArmConnection,
        &text("synthetic/connection-get-connected.json"),
    )
    .expect("conn");
    assert_eq!(up["connection_status"], json!("Connected"));
    assert_eq!(up["ingress_bytes"], json!(1_893_451_220u64));
    assert_eq!(
        up["tunnels"][1],
        json!({"tunnel": "vpngw-hub-11_IN_1_203.0.113.10", "connection_status": "Connected",
               "ingress_bytes": 789_239_489u64, "egress_bytes": 924_171_429u64,
               "last_connection_established": "5/14/2024 1:17:55 AM"})
    );
    let official = parse::to_json(
        Kind::ArmConnection,
        &text("official/VirtualNetworkGatewayConnectionGet.json"),
    )
    .expect("example");
    assert_eq!(official["connection_status"], json!("Connecting"));
    assert_eq!(official["tunnels"], Value::Null);
}

#[test]
fn arm_error_output_is_recursive() {
    let got = parse::to_json(
        Kind::ArmError,
        &text("synthetic/error-400-invalid-request-format.json"),
    )
    .expect("error");
    assert_eq!(got["code"], json!("InvalidRequestFormat"));
    assert_eq!(got["details"][0]["code"], json!("InvalidJson"));
    assert_eq!(got["details"][0]["details"], json!([]));
    let failed =
        parse::to_json(Kind::ArmError, &text("synthetic/asyncop-failed.json")).expect("asyncop");
    assert_eq!(failed["code"], json!("InternalServerError"));
    // A success body is not an error.
    assert!(parse::to_json(Kind::ArmError, &text("synthetic/asyncop-succeeded.json")).is_err());
}

#[test]
fn a_result_kind_refuses_an_error_body() {
    let e = parse::to_json(
        Kind::ArmRoutes,
        &text("synthetic/error-429-too-many-requests.json"),
    )
    .unwrap_err();
    assert!(e.message.contains("TooManyRequests"), "{e}");
    let e = parse::to_json(
        Kind::ArmPeering,
        &text("synthetic/error-412-precondition-failed.json"),
    )
    .unwrap_err();
    assert!(e.message.contains("PreconditionFailed"), "{e}");
}

#[test]
fn wrong_shapes_name_a_line() {
    let mut broken = text("synthetic/peering-get-private-enabled.json");
    broken = broken.replace("\"vlanId\": 11", "\"vlanId\": \"eleven\"");
    let e = arm::parse_peerings(&broken).unwrap_err();
    assert!(e.line > 0, "{e}");
    assert!(e.message.contains("eleven"), "{e}");
    let truncated = text("synthetic/gateway-learned-routes.json");
    let cut = truncated.get(..truncated.len() / 2).expect("ascii");
    let e = arm::parse_routes(cut).unwrap_err();
    assert!(e.line > 1, "{e}");
}

// ---- robustness --------------------------------------------------------------

const ARM_KINDS: [Kind; 6] = [
    Kind::ArmRoutes,
    Kind::ArmBgpPeers,
    Kind::ArmPeering,
    Kind::ArmCircuit,
    Kind::ArmConnection,
    Kind::ArmError,
];

fn parse_all(s: &str) {
    for k in ARM_KINDS {
        let _ = parse::to_json(k, s);
    }
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        prop_oneof![
            Just("".to_owned()),
            Just("Enabled".to_owned()),
            Just("12076-65020".to_owned()),
            Just("10.1.11.0/25".to_owned()),
            Just("05:42:17.3345129".to_owned()),
            ".{0,12}"
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..8)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Keys the parsers look at, and a few others.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "value",
            "nextLink",
            "properties",
            "error",
            "code",
            "message",
            "details",
            "responses",
            "200",
            "201",
            "body",
            "name",
            "etag",
            "type",
            "state",
            "peeringType",
            "azureASN",
            "peerASN",
            "vlanId",
            "peerings",
            "asPath",
            "network",
            "weight",
            "origin",
            "connectedDuration",
            "connectionStatus",
            "tunnelConnectionStatus",
            "expressRouteConnection",
            "status",
            "azureAsn",
        ])
        .prop_map(str::to_owned),
        "[a-zA-Z]{1,8}",
    ]
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(s in ".{0,300}") {
        parse_all(&s);
    }

    #[test]
    fn arbitrary_json_never_panics(v in arb_json()) {
        parse_all(&v.to_string());
        parse_all(&serde_json::to_string_pretty(&v).unwrap_or_default());
    }

    #[test]
    fn damaged_fixtures_never_panic(idx in 0..FILES.len(), cut in any::<prop::sample::Index>(), junk in ".{0,8}") {
        let t = text(FILES[idx].0);
        let at = cut.index(t.len() + 1);
        // Both halves, and the text with junk spliced in (on a char boundary).
        if let (Some(a), Some(b)) = (t.get(..at), t.get(at..)) {
            parse_all(a);
            parse_all(b);
            parse_all(&format!("{a}{junk}{b}"));
        }
    }

    /// Whatever peering JSON reads at all writes back exactly.
    #[test]
    fn peerings_that_read_write_back_exactly(
        top in prop::collection::vec((key(), arb_json()), 0..6),
        props in prop::collection::vec((key(), arb_json()), 0..10),
    ) {
        let mut v: serde_json::Map<String, Value> = top.into_iter().collect();
        v.insert("properties".into(), Value::Object(props.into_iter().collect()));
        let v = Value::Object(v);
        if let Ok(p) = serde_json::from_value::<ExpressRouteCircuitPeering>(v.clone()) {
            prop_assert_eq!(&serde_json::to_value(&p).expect("to value"), &v);
        }
        if let Ok(c) = serde_json::from_value::<ExpressRouteCircuit>(v.clone()) {
            prop_assert_eq!(&serde_json::to_value(&c).expect("to value"), &v);
        }
    }
}
