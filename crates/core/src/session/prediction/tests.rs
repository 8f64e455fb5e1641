use std::collections::BTreeMap;

use super::*;
use crate::model::azure::GatewayRoute;
use crate::parse::query::{self, Answer};
use crate::runbook::{QueryName, Runbook};

const RUNBOOK: &str = include_str!("../../../../../runbooks/er-vpn-failover.toml");
const FW_TABLE_ER: &str = include_str!(
    "../../../../../tests/fixtures/article/route/srx42-01-route-table-cust11-10.17.11.0-24.txt"
);
const LEARNED: &str =
    include_str!("../../../../../tests/fixtures/arm/synthetic/gateway-learned-routes.json");

/// The firewall once ExpressRoute is gone: the VPN paths, active.
const FW_TABLE_VPN: &str = "\
Cust11.inet.0: 4 destinations, 6 routes (4 active, 0 holddown, 0 hidden)
+ = Active Route, - = Last Active, * = Both

10.17.11.0/25      *[BGP/170] 00:00:07, localpref 100, from 10.17.11.76
                      AS path: 65515 I, validation-state: unverified
                    > via st0.118
10.17.11.76/32     *[Static/5] 2d 21:12:26
                    > via st0.118
10.17.11.128/26    *[BGP/170] 00:00:07, localpref 100, from 10.17.11.76
                      AS path: 65515 I, validation-state: unverified
                    > via st0.118
";

/// The firewall with the VPN's BGP sessions down: ExpressRoute only.
const FW_TABLE_ER_ONLY: &str = "\
Cust11.inet.0: 2 destinations, 2 routes (2 active, 0 holddown, 0 hidden)
+ = Active Route, - = Last Active, * = Both

10.17.11.0/25      *[BGP/170] 2d 00:34:04, localpref 150
                      AS path: 12076 I, validation-state: unverified
                    >  to 192.168.11.0 via reth1.11
10.17.11.128/26    *[BGP/170] 2d 00:34:04, localpref 150
                      AS path: 12076 I, validation-state: unverified
                    >  to 192.168.11.0 via reth1.11
";

fn classifier() -> PathClassifier {
    Runbook::from_str_with_vars(RUNBOOK, "er-vpn-failover.toml", &BTreeMap::new())
        .expect("the bundled runbook")
        .paths
        .rules()
        .classifier
}

fn table(raw: &str) -> RouteTable {
    let Answer::JunosRoutes(list) = query::read(QueryName::RouteTable, raw).expect("parses") else {
        panic!("a route list")
    };
    RouteTable::from_parsed(&list, None).expect("table").table
}

fn learned(raw: &str) -> GatewayRouteListResult {
    let Answer::AzureRoutes(list) =
        query::read(QueryName::AzureLearnedRoutes, raw).expect("parses")
    else {
        panic!("a gateway route list")
    };
    list
}

fn route(network: &str, next_hop: &str, as_path: &str) -> GatewayRoute {
    GatewayRoute {
        local_address: Some("10.17.11.76".into()),
        network: Some(network.into()),
        next_hop: Some(next_hop.into()),
        source_peer: Some(next_hop.into()),
        origin: Some(Origin::EBgp),
        as_path: Some(as_path.into()),
        weight: Some(32768),
        ..GatewayRoute::default()
    }
}

fn source(direction: Direction) -> PredictionSource {
    PredictionSource {
        direction,
        step: "s".into(),
        device: "d".into(),
        command: "c".into(),
        error: None,
        unaffected: 0,
    }
}

fn p(s: &str) -> Prefix {
    s.parse().expect("prefix")
}

fn predict(fw: &str, azure: &GatewayRouteListResult) -> Prediction {
    let c = classifier();
    let mut out = Prediction::default();
    out.add_onprem(source(Direction::OnpremToAzure), &table(fw), &c);
    out.add_azure(source(Direction::AzureToOnprem), azure, &c);
    out
}

/// `(direction, prefix, now, predicted)` of every forecast.
fn moves(pr: &Prediction) -> Vec<(Direction, String, Option<PathKind>, Option<PathKind>)> {
    pr.paths
        .iter()
        .map(|f| (f.direction, f.prefix.to_string(), f.now, f.predicted))
        .collect()
}

const ER: Option<PathKind> = Some(PathKind::ExpressRoute);
const VPN: Option<PathKind> = Some(PathKind::Vpn);

#[test]
fn the_articles_tables_move_hub_spoke_and_onprem_to_the_vpn_without_a_hazard() {
    let pr = predict(FW_TABLE_ER, &learned(LEARNED));
    assert_eq!(
        moves(&pr),
        [
            (Direction::OnpremToAzure, "10.17.11.0/25".into(), ER, VPN),
            (Direction::OnpremToAzure, "10.17.11.128/26".into(), ER, VPN),
            (Direction::AzureToOnprem, "10.1.11.0/25".into(), ER, VPN),
        ]
    );
    assert_eq!(pr.hazards, []);
    let hub = &pr.paths[0];
    assert!(hub.moves());
    assert_eq!(
        hub.predicted_path.as_deref(),
        // The tunnel interface and the peer, as the table shows them.
        Some("bgp lp100 [65515] via st0.118 from 10.17.11.76"),
        "the first VPN path takes over"
    );
    assert!(
        hub.now_path
            .as_deref()
            .is_some_and(|d| d.contains("via 192.168.11.0")),
        "{hub:?}"
    );
    assert_eq!(
        pr.paths[2].predicted_path.as_deref(),
        Some("bgp [65020] via 192.168.11.88")
    );
    // The two static /32s to the gateway and what Azure originates itself
    // are not touched by the withdrawal.
    assert_eq!(pr.sources[0].unaffected, 2);
    assert_eq!(pr.sources[1].unaffected, 6);
    assert_eq!(
        Prediction::path_line(hub),
        "10.17.11.0/25 expressroute → vpn"
    );
}

#[test]
fn a_vpn_prefix_inside_an_expressroute_one_is_a_hazard_toward_onprem() {
    let mut azure = learned(LEARNED);
    azure
        .value
        .push(route("10.1.11.0/26", "192.168.11.88", "65020"));
    let pr = predict(FW_TABLE_ER, &azure);
    let h: Vec<_> = pr
        .hazards
        .iter()
        .map(|h| (h.direction, h.kind, h.prefix, h.related))
        .collect();
    assert_eq!(
        h,
        [(
            Direction::AzureToOnprem,
            HazardKind::VpnMoreSpecific,
            Some(p("10.1.11.0/26")),
            Some(p("10.1.11.0/25")),
        )]
    );
    assert_eq!(
        pr.hazards[0].headline(),
        "Azure → on-prem 10.1.11.0/26 vpn-more-specific"
    );
    // The /26 is on the VPN now and stays there: that is the fault.
    assert!(moves(&pr).contains(&(Direction::AzureToOnprem, "10.1.11.0/26".into(), VPN, VPN)));
}

#[test]
fn without_vpn_routes_every_prefix_loses_its_path_in_both_directions() {
    let mut azure = learned(LEARNED);
    azure
        .value
        .retain(|r| r.as_path.as_deref() != Some("65020"));
    let pr = predict(FW_TABLE_ER_ONLY, &azure);
    assert_eq!(
        moves(&pr),
        [
            (Direction::OnpremToAzure, "10.17.11.0/25".into(), ER, None),
            (Direction::OnpremToAzure, "10.17.11.128/26".into(), ER, None),
            (Direction::AzureToOnprem, "10.1.11.0/25".into(), ER, None),
        ]
    );
    let kinds: Vec<_> = pr.hazards.iter().map(|h| (h.kind, h.prefix)).collect();
    assert_eq!(
        kinds,
        [
            (HazardKind::NoPath, Some(p("10.17.11.0/25"))),
            (HazardKind::NoPath, Some(p("10.17.11.128/26"))),
            (HazardKind::NoPath, Some(p("10.1.11.0/25"))),
        ]
    );
    assert!(
        pr.hazards[2].message.contains("no route back"),
        "{:?}",
        pr.hazards[2]
    );
}

#[test]
fn a_less_specific_vpn_route_covers_a_prefix_that_loses_its_own() {
    let mut azure = learned(LEARNED);
    azure
        .value
        .retain(|r| r.as_path.as_deref() != Some("65020"));
    azure
        .value
        .push(route("10.1.0.0/16", "192.168.11.88", "65020"));
    let pr = predict(FW_TABLE_ER, &azure);
    let onprem = pr
        .paths_of(Direction::AzureToOnprem)
        .find(|f| f.prefix == p("10.1.11.0/25"))
        .expect("forecast");
    assert_eq!(onprem.predicted, VPN);
    assert_eq!(onprem.covered_by, Some(p("10.1.0.0/16")));
    assert_eq!(
        Prediction::path_line(onprem),
        "10.1.11.0/25 expressroute → vpn (covered by 10.1.0.0/16)"
    );
    assert_eq!(pr.hazards, []);
}

#[test]
fn an_unreadable_source_is_a_hazard_not_a_silent_pass() {
    let mut pr = Prediction::default();
    pr.add_unreadable(source(Direction::OnpremToAzure), "connection refused");
    assert_eq!(pr.hazards.len(), 1);
    assert_eq!(pr.hazards[0].kind, HazardKind::NotPredicted);
    assert_eq!(pr.hazards[0].prefix, None);
    assert!(pr.hazards[0].message.contains("connection refused"));
    assert_eq!(pr.sources[0].error.as_deref(), Some("connection refused"));
}

#[test]
fn the_paths_seen_after_the_change_are_compared_with_the_forecast() {
    let c = classifier();
    let pr = predict(FW_TABLE_ER, &learned(LEARNED));
    // As predicted: the firewall selects the VPN paths, Azure learns the
    // on-prem prefix over the VPN only.
    let after = check_onprem(&pr.paths, &table(FW_TABLE_VPN), &c);
    assert_eq!(after.len(), 2);
    assert!(
        after.iter().all(|k| k.matched && k.observed == VPN),
        "{after:?}"
    );
    let mut azure = learned(LEARNED);
    azure
        .value
        .retain(|r| r.next_hop.as_deref() != Some("10.17.11.69"));
    let after = check_azure(&pr.paths, &azure, &c);
    assert_eq!(after.len(), 1);
    assert!(after[0].matched, "{after:?}");
    assert_eq!(after[0].observed, VPN);

    // Not as predicted: nothing moved, or the prefix is gone.
    let stuck = check_onprem(&pr.paths, &table(FW_TABLE_ER), &c);
    assert!(
        stuck.iter().all(|k| !k.matched && k.observed == ER),
        "{stuck:?}"
    );
    let gone = check_azure(&pr.paths, &GatewayRouteListResult::default(), &c);
    assert_eq!(gone[0].observed, None);
    assert!(!gone[0].matched);
}

#[test]
fn the_prediction_reads_back_from_the_journal() {
    let mut azure = learned(LEARNED);
    azure
        .value
        .push(route("10.1.11.0/26", "192.168.11.88", "65020"));
    let pr = predict(FW_TABLE_ER, &azure);
    let e = crate::session::Event::Prediction {
        step: "gate".into(),
        prediction: pr,
    };
    let v = serde_json::to_value(&e).expect("serializes");
    assert_eq!(v["kind"], "prediction");
    assert_eq!(v["hazards"][0]["kind"], "vpn-more-specific");
    assert_eq!(v["hazards"][0]["prefix"], "10.1.11.0/26");
    assert_eq!(v["hazards"][0]["direction"], "azure_to_onprem");
    assert_eq!(v["paths"][0]["now"], "expressroute");
    assert_eq!(v["paths"][0]["predicted"], "vpn");
    let back: crate::session::Event = serde_json::from_value(v).expect("reads back");
    assert_eq!(back, e);
}

#[test]
fn the_session_state_keeps_the_prediction_its_check_and_the_gates_hazards() {
    use crate::session::Event;
    use crate::session::state::SessionState;

    let mut azure = learned(LEARNED);
    azure
        .value
        .push(route("10.1.11.0/26", "192.168.11.88", "65020"));
    let pr = predict(FW_TABLE_ER, &azure);
    let hazards = pr.hazards.clone();
    let mut s = SessionState::new(classifier());
    s.apply(&Event::Prediction {
        step: "gate".into(),
        prediction: pr.clone(),
    });
    s.apply(&Event::GatePrompt {
        step: "gate".into(),
        prompt: "Disable?".into(),
        confirm_text: "er".into(),
        failed_checks: Vec::new(),
        hazards: hazards.clone(),
    });
    let g = s.open_gate().expect("open");
    assert!(g.needs_reason(), "a hazard alone holds the gate");
    assert_eq!(s.prediction_for("gate").map(|p| &p.prediction), Some(&pr));
    let checks = check_onprem(&pr.paths, &table(FW_TABLE_VPN), &classifier());
    s.apply(&Event::PredictionCheck {
        step: "disable".into(),
        gate: "gate".into(),
        sources: Vec::new(),
        checks: checks.clone(),
    });
    let rec = s.prediction_checked_at("disable").expect("checked");
    assert_eq!(rec.step, "gate");
    assert_eq!(rec.check.as_ref().map(|c| c.mismatches()), Some(0));
    assert_eq!(rec.check.as_ref().map(|c| c.checks.clone()), Some(checks));
}
