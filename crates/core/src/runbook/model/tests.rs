use std::net::IpAddr;

use super::{ActionOp, PathDef, PathKind, PathRules, Paths, Phase};
use crate::model::{Hop, HopDetails, ParsedRoute, Trace};

fn paths() -> Paths {
    Paths {
        defs: vec![
            PathDef {
                kind: PathKind::ExpressRoute,
                description: None,
                next_hops: vec!["192.168.11.0".into(), "192.168.11.2".into()],
                first_as: vec![12076],
                trace_hops: vec!["192.168.11.18".parse().expect("addr")],
                trace_fallback: false,
            },
            PathDef {
                kind: PathKind::Vpn,
                description: None,
                next_hops: vec!["192.168.11.88".into(), "st0.118".into()],
                first_as: vec![65515],
                trace_hops: vec![],
                trace_fallback: true,
            },
        ],
    }
}

fn hop(ttl: u8, addr: Option<&str>) -> Hop {
    Hop {
        ttl,
        addresses: addr.map(|a| vec![a.to_string()]).unwrap_or_default(),
        rtts_ms: vec![],
        timeout: addr.is_none(),
    }
}

fn route(next_hops: &[&'static str], as_path: Option<&[u32]>) -> ParsedRoute<'static> {
    ParsedRoute {
        prefix: "10.17.11.0/25".into(),
        protocol: Some("bgp".into()),
        active: true,
        preference: Some(170),
        local_pref: None,
        as_path: as_path.map(<[u32]>::to_vec),
        next_hops: Some(next_hops.iter().map(|h| (*h).into()).collect()),
        table: None,
        ..ParsedRoute::default()
    }
}

#[test]
fn the_declarations_become_the_domain_classifier() {
    let r = paths().rules();
    let ip = |s: &str| s.parse::<IpAddr>().expect("addr");
    assert_eq!(
        r.classifier.er_next_hops,
        [ip("192.168.11.0"), ip("192.168.11.2")]
    );
    assert_eq!(r.classifier.vpn_next_hops, [ip("192.168.11.88")]);
    assert_eq!(r.classifier.vpn_interfaces, ["st0.118"]);
    assert_eq!(r.classifier.er_as_markers, [12076]);
    assert_eq!(r.classifier.vpn_neighbor_as, [65515]);
    assert_eq!(r.classifier.er_trace_hops, [ip("192.168.11.18")]);
    assert_eq!(r.trace_fallback, Some(PathKind::Vpn));
    assert_eq!(Paths::default().rules(), PathRules::default());
}

#[test]
fn classifies_route_paths() {
    let r = paths().rules();
    assert_eq!(
        r.classify_route(&route(&["192.168.11.0"], Some(&[12076]))),
        PathKind::ExpressRoute
    );
    assert_eq!(r.classify_route(&route(&[], Some(&[65515]))), PathKind::Vpn);
    assert_eq!(r.classify_route(&route(&["st0.118"], None)), PathKind::Vpn);
    assert_eq!(
        r.classify_route(&route(&["10.9.9.9"], Some(&[65020]))),
        PathKind::Unknown
    );
    // The domain's rule: where traffic is handed over beats what the
    // AS path suggests.
    assert_eq!(
        r.classify_route(&route(&["192.168.11.0"], Some(&[65515]))),
        PathKind::ExpressRoute
    );
    // Next hops on both sides at once are evidence for neither.
    assert_eq!(
        r.classify_route(&route(&["192.168.11.0", "192.168.11.88"], None)),
        PathKind::Unknown
    );
    // Azure's ExpressRoute-learned route: 12076 behind the gateway's AS.
    assert_eq!(
        r.classify_route(&route(&["10.17.11.69"], Some(&[12076, 65020]))),
        PathKind::ExpressRoute
    );
}

#[test]
fn classifies_the_articles_traces() {
    let p = paths().rules();
    let target = Some("10.17.11.132".to_string());
    let er = Trace {
        target: target.clone(),
        hops: vec![
            hop(1, Some("10.1.11.1")),
            hop(2, Some("192.168.11.0")),
            hop(3, Some("192.168.11.18")),
            hop(4, None),
            hop(5, Some("10.17.11.132")),
        ],
    };
    assert_eq!(p.classify_trace(&er), PathKind::ExpressRoute);
    let vpn = Trace {
        target: target.clone(),
        hops: vec![
            hop(1, Some("10.1.11.1")),
            hop(2, None),
            hop(3, Some("10.17.11.132")),
        ],
    };
    assert_eq!(p.classify_trace(&vpn), PathKind::Vpn);
    assert!(p.explain_trace(&vpn).inferred);
    let lost = Trace {
        target,
        hops: vec![hop(1, Some("10.1.11.1")), hop(2, None), hop(3, None)],
    };
    assert_eq!(p.classify_trace(&lost), PathKind::Unknown);
    assert!(!p.explain_trace(&lost).reached);
}

#[test]
fn the_trace_fallback_is_the_runbooks_choice() {
    let vpn = Trace {
        target: Some("10.17.11.132".into()),
        hops: vec![hop(1, Some("10.1.11.1")), hop(2, Some("10.17.11.132"))],
    };
    let mut p = paths();
    p.defs[1].trace_fallback = false;
    // ExpressRoute hops are declared, so the domain alone would infer
    // the VPN; without a declared fallback the runbook does not.
    assert_eq!(p.rules().classify_trace(&vpn), PathKind::Unknown);
    p.defs[0].trace_fallback = true;
    assert_eq!(p.rules().classify_trace(&vpn), PathKind::ExpressRoute);
}

#[test]
fn kinds_read_their_runbook_spelling() {
    for k in PathKind::ALL {
        assert_eq!(PathKind::parse(k.as_str()), Some(k));
    }
    assert_eq!(PathKind::parse("VPN"), None);
}

#[test]
fn phases_and_ops_round_trip() {
    for ph in Phase::ALL {
        assert_eq!(Phase::parse(ph.as_str()), Some(ph));
        assert_eq!(Phase::from_number(i64::from(ph.number())), Some(ph));
    }
    assert_eq!(Phase::from_number(6), None);
    for op in ActionOp::ALL {
        assert_eq!(ActionOp::parse(op.as_str()), Some(op));
    }
    assert!(ActionOp::AzurePeeringDisable.is_disruptive());
    assert!(!ActionOp::AzurePeeringEnable.is_disruptive());
}

#[test]
fn interface_next_hops_and_from_classify_parsed_paths() {
    let table = include_str!(
        "../../../../../tests/fixtures/article/route/srx42-01-route-table-cust11-10.17.11.0-24.txt"
    );
    let list = crate::parse::junos_route::parse(table).expect("parses");
    let mut p = paths();
    p.defs[1].next_hops = vec!["10.17.11.76".into(), "st0.118".into(), "st0.119".into()];
    let r = p.rules();
    let kinds: Vec<(String, PathKind)> = list
        .routes
        .iter()
        .map(|x| (x.prefix.to_string(), r.classify_route(x)))
        .collect();
    // The static /32s to the gateway peers show only `> via st0.118` /
    // `> via st0.119`: the tunnel interface is what makes them VPN.
    assert!(
        kinds.contains(&("10.17.11.76/32".into(), PathKind::Vpn)),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("10.17.11.77/32".into(), PathKind::Vpn)),
        "{kinds:?}"
    );
    assert!(
        !kinds.iter().any(|(_, k)| *k == PathKind::Unknown),
        "{kinds:?}"
    );
    // Without the interfaces they had no evidence at all.
    let mut bare = list.routes[4].clone();
    assert_eq!(bare.prefix, "10.17.11.76/32");
    bare.hop_details = HopDetails::None;
    assert_eq!(r.classify_route(&bare), PathKind::Unknown);
    // `from` alone (no next hop, no AS path) is the peer it was learned from.
    let mut learned = route(&[], None);
    learned.hop_details = HopDetails::read(vec![], Some("10.17.11.76".into()));
    assert_eq!(r.classify_route(&learned), PathKind::Vpn);
    // An address with its interface: the address decides first, both on
    // one side agree.
    let mut er = route(&["192.168.11.0"], None);
    er.hop_details = HopDetails::read(vec!["reth1.11".into()], None);
    assert_eq!(r.classify_route(&er), PathKind::ExpressRoute);
}
