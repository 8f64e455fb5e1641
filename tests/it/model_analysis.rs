//! The model's analysis on the article's own lab: the firewall's table
//! `Cust11.inet.0`, the failover prediction, the faults the lab scenarios
//! inject, and the before/after traceroutes.

use std::borrow::Cow;
use std::net::IpAddr;
use std::path::Path;

use cutover_core::model::analysis::{
    Outcome, TaggedRoute, WarningKind, active_paths, check_table, predict_azure,
    predict_er_withdrawal,
};
use cutover_core::model::diff::{diff_tables, diff_traces};
use cutover_core::model::path::{PathClassifier, PathFacts, PathKind};
use cutover_core::model::table::{NextHop, Route, RouteSource, RouteTable, TableBuilder};
use cutover_core::model::{ParsedRoute, Prefix, RouteList, Trace};

const TABLE: &str = "Cust11.inet.0";
const HUB: &str = "10.17.11.0/25";
const SPOKE: &str = "10.17.11.128/26";

fn p(s: &str) -> Prefix {
    s.parse().expect("prefix")
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("address")
}

/// The firewall's view: CE routers behind reth1.11/reth2.11, the VPN
/// gateway's BGP peers behind st0.118/st0.119, the MSEE hops in traces.
fn firewall() -> PathClassifier {
    PathClassifier {
        er_next_hops: vec![ip("192.168.11.0"), ip("192.168.11.2")],
        vpn_next_hops: vec![ip("10.17.11.76"), ip("10.17.11.77")],
        er_interfaces: vec!["reth1.11".into(), "reth2.11".into()],
        vpn_interfaces: vec!["st0.*".into()],
        er_as_markers: vec![12076],
        vpn_neighbor_as: vec![65515],
        er_trace_hops: vec![ip("192.168.11.18"), ip("192.168.11.22")],
        vpn_trace_hops: vec![ip("10.17.11.76"), ip("10.17.11.77")],
    }
}

fn bgp(
    prefix: &'static str,
    active: bool,
    lp: u32,
    asn: u32,
    hops: &[&'static str],
) -> ParsedRoute<'static> {
    ParsedRoute {
        prefix: Cow::Borrowed(prefix),
        protocol: Some(Cow::Borrowed("bgp")),
        active,
        preference: Some(170),
        local_pref: Some(lp),
        as_path: Some(vec![asn]),
        next_hops: Some(hops.iter().map(|h| Cow::Borrowed(*h)).collect()),
        table: Some(Cow::Borrowed(TABLE)),
        ..ParsedRoute::default()
    }
}

fn static_host(prefix: &'static str) -> ParsedRoute<'static> {
    ParsedRoute {
        prefix: Cow::Borrowed(prefix),
        protocol: Some(Cow::Borrowed("static")),
        active: true,
        preference: Some(5),
        local_pref: None,
        as_path: None,
        // `> via st0.118`: an interface only, which the contract gives as [].
        next_hops: Some(vec![]),
        table: Some(Cow::Borrowed(TABLE)),
        ..ParsedRoute::default()
    }
}

/// The paths of one VNet prefix as `show route table Cust11.inet.0
/// 10.17.11.0/24` lists them: two ExpressRoute paths (lp `ce1`, `ce2`), then
/// the two VPN paths (`via st0.118`/`st0.119`: no address, hence `[]`).
fn vnet_paths(
    prefix: &'static str,
    ce1: u32,
    ce2: u32,
    with_vpn: bool,
) -> Vec<ParsedRoute<'static>> {
    let mut v = vec![
        bgp(prefix, true, ce1, 12076, &["192.168.11.0", "192.168.11.2"]),
        bgp(prefix, false, ce2, 12076, &["192.168.11.2"]),
    ];
    if with_vpn {
        v.push(bgp(prefix, false, 100, 65515, &[]));
        v.push(bgp(prefix, false, 100, 65515, &[]));
    }
    v
}

fn article_routes(ce1: u32, ce2: u32, with_vpn: bool) -> Vec<ParsedRoute<'static>> {
    let mut v = vnet_paths(HUB, ce1, ce2, with_vpn);
    v.push(static_host("10.17.11.76/32"));
    v.push(static_host("10.17.11.77/32"));
    v.extend(vnet_paths(SPOKE, ce1, ce2, with_vpn));
    v
}

fn table_of(routes: Vec<ParsedRoute<'static>>) -> RouteTable {
    let list = RouteList::from_routes(routes);
    let out = RouteTable::from_parsed(&list, Some(TABLE)).expect("table");
    assert_eq!(
        (out.skipped_non_ip, out.other_tables, out.unparsed_next_hops),
        (0, 0, 0)
    );
    out.table
}

fn article_table() -> RouteTable {
    table_of(article_routes(150, 150, true))
}

fn trace(name: &str) -> Trace {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/traceroute/windows")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("fixture");
    serde_json::from_str(&text).expect("trace JSON")
}

#[test]
fn article_table_has_expressroute_active_and_vpn_backups() {
    let t = article_table();
    assert_eq!(t.name(), TABLE);
    assert_eq!(t.len(), 10);
    let all = active_paths(&t, &firewall());
    assert_eq!(all.len(), 4);
    for prefix in [HUB, SPOKE] {
        let pp = all
            .iter()
            .find(|pp| pp.prefix == p(prefix))
            .expect("prefix listed");
        assert_eq!(pp.active_kind(), Some(PathKind::ExpressRoute), "{prefix}");
        assert_eq!(pp.active.as_ref().and_then(|a| a.local_pref), Some(150));
        assert_eq!(
            pp.backup_kinds(),
            [PathKind::ExpressRoute, PathKind::Vpn, PathKind::Vpn],
            "{prefix}"
        );
    }
    let host = all
        .iter()
        .find(|pp| pp.prefix == p("10.17.11.76/32"))
        .expect("static");
    assert_eq!(host.active_kind(), Some(PathKind::Unknown));
    assert!(check_table(&t, &firewall()).is_empty());
    assert_eq!(
        t.longest_match(ip("10.17.11.132")).map(Route::prefix),
        Some(p(SPOKE))
    );
}

#[test]
fn withdrawal_moves_both_prefixes_to_the_vpn() {
    let pred = predict_er_withdrawal(&article_table(), &firewall());
    assert_eq!(pred.prefixes.len(), 2);
    assert_eq!(pred.unaffected, 2, "the two static /32s");
    for prefix in [HUB, SPOKE] {
        let pp = pred.get(&p(prefix)).expect("predicted");
        assert_eq!(
            pp.before.as_ref().map(|b| b.kind),
            Some(PathKind::ExpressRoute)
        );
        let Outcome::TakesOver { path } = &pp.outcome else {
            panic!("{prefix}: {:?}", pp.outcome)
        };
        assert_eq!(path.kind, PathKind::Vpn);
        assert_eq!(path.local_pref, Some(100));
        assert_eq!(path.as_path.as_deref(), Some(&[65515][..]));
        assert_eq!(pp.kind_after(), Some(PathKind::Vpn));
    }
    assert_eq!(pred.blackholed().count(), 0);
    assert!(pred.warnings.is_empty(), "{:?}", pred.warnings);
}

#[test]
fn vpn_more_specific_inside_the_spoke_is_flagged() {
    let mut routes = article_routes(150, 150, true);
    routes.push(bgp("10.17.11.128/27", true, 100, 65515, &[]));
    let t = table_of(routes);
    let warnings = check_table(&t, &firewall());
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let w = &warnings[0];
    assert_eq!(w.kind, WarningKind::VpnMoreSpecific);
    assert_eq!(w.prefix, p("10.17.11.128/27"));
    assert_eq!(w.related, Some(p(SPOKE)));
    let json = serde_json::to_value(w).expect("json");
    assert_eq!(json["kind"], "vpn-more-specific");
    assert_eq!(predict_er_withdrawal(&t, &firewall()).warnings, warnings);
}

#[test]
fn static_tunnel_host_routes_are_not_a_fault() {
    // With interfaces known, the static /32s to the gateway's BGP peers are
    // VPN paths inside the ExpressRoute hub prefix, by design.
    let er = [NextHop::addr_via(ip("192.168.11.0"), "reth1.11")];
    let st0 = [NextHop::interface("st0.118")];
    let t = RouteTable::from_sources(
        TABLE,
        [
            RouteSource {
                protocol: Some("bgp"),
                active: true,
                preference: Some(170),
                local_pref: Some(150),
                as_path: Some(&[12076]),
                next_hops: Some(&er),
                ..RouteSource::new(p(HUB))
            },
            RouteSource {
                protocol: Some("static"),
                active: true,
                preference: Some(5),
                next_hops: Some(&st0),
                ..RouteSource::new(p("10.17.11.76/32"))
            },
        ],
    )
    .expect("table");
    let c = firewall();
    let host = t
        .paths_for(&p("10.17.11.76/32"))
        .first()
        .expect("host route");
    assert_eq!(c.classify_route(t.view(host)), PathKind::Vpn);
    assert!(check_table(&t, &c).is_empty());
}

#[test]
fn equal_local_pref_is_flagged() {
    for (ce1, ce2) in [(100, 100), (150, 100)] {
        let t = table_of(article_routes(ce1, ce2, true));
        let warnings = check_table(&t, &firewall());
        let flagged: Vec<Prefix> = warnings
            .iter()
            .filter(|w| w.kind == WarningKind::LocalPrefNotHigher)
            .map(|w| w.prefix)
            .collect();
        assert_eq!(
            flagged,
            [p(HUB), p(SPOKE)],
            "ce1 {ce1} ce2 {ce2}: {warnings:?}"
        );
        let json = serde_json::to_value(&warnings[0]).expect("json");
        assert_eq!(json["kind"], "ce2-localpref-missing");
        assert!(
            warnings[0].message.contains("equal to"),
            "{}",
            warnings[0].message
        );
    }
}

#[test]
fn missing_vpn_routes_blackhole_both_prefixes() {
    let t = table_of(article_routes(150, 150, false));
    let pred = predict_er_withdrawal(&t, &firewall());
    let mut holes: Vec<Prefix> = pred.blackholed().collect();
    holes.sort();
    assert_eq!(holes, [p(HUB), p(SPOKE)]);
}

#[test]
fn a_covering_vpn_prefix_catches_the_traffic() {
    let mut routes = article_routes(150, 150, false);
    routes.push(bgp("10.17.0.0/16", true, 100, 65515, &[]));
    let pred = predict_er_withdrawal(&table_of(routes), &firewall());
    for prefix in [HUB, SPOKE] {
        let pp = pred.get(&p(prefix)).expect("predicted");
        let Outcome::CoveredBy { prefix: by, path } = &pp.outcome else {
            panic!("{:?}", pp.outcome)
        };
        assert_eq!((*by, path.kind), (p("10.17.0.0/16"), PathKind::Vpn));
    }
    assert_eq!(pred.blackholed().count(), 0);
}

#[test]
fn article_traces_show_expressroute_then_vpn() {
    let before = trace("article-before-failover.expected.json");
    let after = trace("article-after-failover.expected.json");
    let c = firewall();
    assert_eq!(c.classify_trace(&before), PathKind::ExpressRoute);
    let class = c.explain_trace(&after);
    assert_eq!(class.kind, PathKind::Vpn);
    assert!(class.reached && class.inferred);

    let d = diff_traces(&before, &after, &c);
    assert_eq!(
        (d.kind_before(), d.kind_after()),
        (PathKind::ExpressRoute, PathKind::Vpn)
    );
    assert!(d.path_changed());
    assert!(d.lost_address("192.168.11.18"));
    assert!(d.lost_address("192.168.11.0"));
    assert!(!d.lost_address("10.1.11.1"));
    assert!(d.gained.is_empty());
    assert_eq!(d.before.er_hops, [ip("192.168.11.18")]);
    let msee = d
        .lost
        .iter()
        .find(|h| h.address == "192.168.11.18")
        .expect("MSEE hop");
    assert_eq!(msee.ttl, 3);

    let back = diff_traces(&after, &before, &c);
    assert!(back.gained_address("192.168.11.18"));
    let json = serde_json::to_string(&d).expect("serialize");
    let round: cutover_core::model::diff::TraceDiff =
        serde_json::from_str(&json).expect("deserialize");
    assert_eq!(round, d);
}

#[test]
fn a_trace_that_stops_short_is_unknown() {
    let mut after = trace("article-after-failover.expected.json");
    after.hops.pop();
    assert_eq!(firewall().classify_trace(&after), PathKind::Unknown);
}

#[test]
fn table_diff_shows_the_failover() {
    let before = article_table();
    let mut after_routes: Vec<ParsedRoute<'static>> = Vec::new();
    for prefix in [HUB, SPOKE] {
        after_routes.push(bgp(prefix, true, 100, 65515, &[]));
        after_routes.push(bgp(prefix, false, 100, 65515, &[]));
    }
    after_routes.push(static_host("10.17.11.76/32"));
    after_routes.push(static_host("10.17.11.77/32"));
    let after = table_of(after_routes);
    let c = firewall();
    let d = diff_tables(&before, &after, &c);
    assert!(d.added.is_empty(), "{:?}", d.added);
    assert_eq!(d.removed.len(), 4);
    assert!(
        d.removed
            .iter()
            .all(|r| r.path.kind == PathKind::ExpressRoute)
    );
    assert_eq!(d.active_changed.len(), 2);
    for prefix in [HUB, SPOKE] {
        let ch = d.active_change(&p(prefix)).expect("active changed");
        assert_eq!(
            (ch.kind_before(), ch.kind_after()),
            (Some(PathKind::ExpressRoute), Some(PathKind::Vpn))
        );
    }
    assert!(diff_tables(&before, &before, &c).is_empty());
    let json = serde_json::to_string(&d).expect("serialize");
    let round: cutover_core::model::diff::TableDiff =
        serde_json::from_str(&json).expect("deserialize");
    assert_eq!(round, d);
}

/// `Get-AzVirtualNetworkGatewayLearnedRoute` filtered to 10.1.11.0/25, as
/// the article prints it, tagged with an Azure-side classifier.
fn azure_learned(extra: &[(&str, &str, &[u32])]) -> Vec<TaggedRoute> {
    let azure = PathClassifier {
        vpn_next_hops: vec![ip("192.168.11.88"), ip("10.17.11.76"), ip("10.17.11.77")],
        er_as_markers: vec![12076],
        ..PathClassifier::default()
    };
    let rows: [(&str, &str, &[u32]); 8] = [
        ("10.1.11.0/25", "192.168.11.88", &[65020]),
        ("10.1.11.0/25", "10.17.11.76", &[65020]),
        ("10.1.11.0/25", "10.17.11.69", &[12076, 65020]),
        ("10.1.11.0/25", "10.17.11.69", &[12076, 65020]),
        ("10.1.11.0/25", "192.168.11.88", &[65020]),
        ("10.1.11.0/25", "10.17.11.77", &[65020]),
        ("10.1.11.0/25", "10.17.11.69", &[12076, 65020]),
        ("10.1.11.0/25", "10.17.11.69", &[12076, 65020]),
    ];
    rows.iter()
        .chain(extra)
        .map(|&(net, nh, path)| {
            let hops = [NextHop::addr(ip(nh))];
            let kind = azure.classify(PathFacts {
                next_hops: Some(&hops),
                learned_from: None,
                as_path: Some(path),
            });
            TaggedRoute {
                prefix: p(net),
                kind,
                next_hop: Some(ip(nh)),
                as_path: path.to_vec(),
            }
        })
        .collect()
}

#[test]
fn azure_prefers_expressroute_then_falls_back_to_the_vpn() {
    let routes = azure_learned(&[]);
    assert_eq!(
        routes
            .iter()
            .filter(|r| r.kind == PathKind::ExpressRoute)
            .count(),
        4
    );
    let pred = predict_azure(&routes);
    let onprem = pred.get(&p("10.1.11.0/25")).expect("on-prem prefix");
    assert_eq!(onprem.before, PathKind::ExpressRoute);
    assert_eq!(onprem.outcome.kind(), Some(PathKind::Vpn));
    assert!(pred.warnings.is_empty());
    assert_eq!(pred.ignored, 0);

    let more_specific = predict_azure(&azure_learned(&[(
        "10.1.11.0/26",
        "192.168.11.88",
        &[65020],
    )]));
    assert_eq!(more_specific.warnings.len(), 1);
    assert_eq!(more_specific.warnings[0].kind, WarningKind::VpnMoreSpecific);
    assert_eq!(more_specific.warnings[0].related, Some(p("10.1.11.0/25")));
    assert_eq!(
        more_specific.get(&p("10.1.11.0/26")).map(|a| a.before),
        Some(PathKind::Vpn)
    );

    let er_only: Vec<TaggedRoute> = azure_learned(&[])
        .into_iter()
        .filter(|r| r.kind == PathKind::ExpressRoute)
        .collect();
    let pred = predict_azure(&er_only);
    assert_eq!(pred.blackholed().collect::<Vec<_>>(), [p("10.1.11.0/25")]);
}

#[test]
fn a_million_routes_stay_compact() {
    assert!(
        std::mem::size_of::<Route>() <= 48,
        "Route is {} bytes",
        std::mem::size_of::<Route>()
    );
    const N: u32 = 1_000_000;
    let paths: [&[u32]; 4] = [&[12076], &[65515], &[12076, 65020], &[3356, 174, 65001]];
    let hops: [Vec<NextHop>; 3] = [
        vec![
            NextHop::addr(ip("192.168.11.0")),
            NextHop::addr(ip("192.168.11.2")),
        ],
        vec![NextHop::interface("st0.118")],
        vec![NextHop::addr(ip("10.17.11.77"))],
    ];
    let mut b = TableBuilder::new("inet.0");
    b.reserve(N as usize);
    for i in 0..N {
        let prefix = Prefix::V4 {
            addr: 0x0100_0000 + (i << 8),
            len: 24,
        };
        let k = i as usize;
        b.push(&RouteSource {
            protocol: Some("bgp"),
            active: true,
            preference: Some(170),
            local_pref: Some(100),
            as_path: Some(paths[k % paths.len()]),
            next_hops: Some(&hops[k % hops.len()]),
            ..RouteSource::new(prefix)
        })
        .expect("push");
    }
    let t = b.build();
    assert_eq!(t.len(), N as usize);
    assert_eq!(t.as_path_interner().len(), 4);
    assert_eq!(
        t.next_hop_interner().len(),
        4,
        "three sets and the empty one"
    );
    // The budget is 400 MB RSS for a million routes; the table's own share
    // must leave most of it to the rest of the console.
    assert!(
        t.heap_bytes() < 64 * 1024 * 1024,
        "{} bytes",
        t.heap_bytes()
    );
    let probe = Prefix::V4 {
        addr: 0x0100_0000 + (123_456 << 8),
        len: 24,
    };
    let r = t.active(&probe).expect("found");
    assert_eq!(t.as_path(r), Some(paths[123_456 % 4]));
}

mod lookups {
    use super::*;
    use proptest::prelude::*;

    fn v4(addr: u32, len: u8) -> Prefix {
        Prefix::new(IpAddr::from(std::net::Ipv4Addr::from(addr)), len).expect("len <= 32")
    }

    proptest! {
        /// The binary-search lookups agree with a scan of every route.
        #[test]
        fn lookups_match_a_linear_scan(
            raw in proptest::collection::vec((any::<u32>(), 0u8..=32, any::<bool>()), 0..40),
            probe in any::<u32>(),
            outer_len in 0u8..=32,
        ) {
            // Few distinct high bits so that prefixes nest and collide.
            let routes: Vec<(Prefix, bool)> =
                raw.iter().map(|&(a, l, act)| (v4(a & 0xC0C0_0000, l), act)).collect();
            let t = RouteTable::from_sources(
                "t",
                routes.iter().map(|&(p, active)| RouteSource { active, ..RouteSource::new(p) }),
            )
            .expect("table");
            prop_assert!(t.routes().windows(2).all(|w| w[0].prefix() <= w[1].prefix()));
            for &(p, _) in &routes {
                let n = routes.iter().filter(|(q, _)| *q == p).count();
                prop_assert_eq!(t.paths_for(&p).len(), n);
                let inside = routes.iter().filter(|(q, _)| p.contains(q)).count();
                prop_assert_eq!(t.within(p).count(), inside);
            }
            let addr = IpAddr::from(std::net::Ipv4Addr::from(probe & 0xC0C0_FFFF));
            let best = routes
                .iter()
                .filter(|(q, active)| *active && q.contains_addr(addr))
                .map(|(q, _)| *q)
                .max_by_key(Prefix::len);
            prop_assert_eq!(t.longest_match(addr).map(Route::prefix), best);
            let outer = v4(probe, outer_len);
            let inside = routes.iter().filter(|(q, _)| outer.contains(q)).count();
            prop_assert_eq!(t.within(outer).count(), inside);
        }
    }
}
