use std::cmp::Ordering;

use super::*;
use crate::model::table::{Origin, PeerType, RouteSource};

fn p(s: &str) -> Prefix {
    s.parse().expect("prefix")
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("address")
}

fn classifier() -> PathClassifier {
    PathClassifier {
        er_next_hops: vec![ip("192.168.11.0"), ip("2001:db8:11::")],
        vpn_next_hops: vec![ip("10.17.11.76"), ip("2001:db8:76::1")],
        er_as_markers: vec![12076],
        vpn_neighbor_as: vec![65515],
        ..PathClassifier::default()
    }
}

fn bgp(prefix: &str, lp: u32, path: &'static [u32]) -> RouteSource<'static> {
    RouteSource {
        protocol: Some("bgp"),
        preference: Some(170),
        local_pref: Some(lp),
        as_path: Some(path),
        ..RouteSource::new(p(prefix))
    }
}

fn order(a: RouteSource<'_>, b: RouteSource<'_>) -> Ordering {
    let t = RouteTable::from_sources("t", [a, b]).expect("table");
    let [x, y] = t.routes() else {
        panic!("two routes")
    };
    compare_paths(t.view(x), t.view(y))
}

#[test]
fn junos_order_steps() {
    let base = bgp("10.0.0.0/8", 100, &[65001]);
    assert_eq!(
        order(
            RouteSource {
                preference: Some(5),
                ..base
            },
            base
        ),
        Ordering::Less
    );
    assert_eq!(
        order(
            RouteSource {
                preference: None,
                ..base
            },
            base
        ),
        Ordering::Greater
    );
    assert_eq!(
        order(
            RouteSource {
                local_pref: Some(150),
                ..base
            },
            base
        ),
        Ordering::Less
    );
    // No local-pref shown counts as the default 100.
    assert_eq!(
        order(
            RouteSource {
                local_pref: None,
                ..base
            },
            base
        ),
        Ordering::Equal
    );
    assert_eq!(
        order(
            RouteSource {
                as_path: Some(&[65001, 65002]),
                ..base
            },
            base
        ),
        Ordering::Greater
    );
    assert_eq!(
        order(
            RouteSource {
                origin: Some(Origin::Incomplete),
                ..base
            },
            base
        ),
        Ordering::Greater
    );
    assert_eq!(
        order(
            RouteSource {
                med: Some(10),
                ..base
            },
            RouteSource {
                med: Some(20),
                ..base
            }
        ),
        Ordering::Less
    );
    // MED compares only between paths from the same neighbour AS.
    assert_eq!(
        order(
            RouteSource {
                med: Some(10),
                ..base
            },
            RouteSource {
                med: Some(20),
                as_path: Some(&[65002]),
                ..base
            }
        ),
        Ordering::Equal
    );
    assert_eq!(
        order(
            RouteSource {
                peer_type: Some(PeerType::Internal),
                ..base
            },
            RouteSource {
                peer_type: Some(PeerType::External),
                ..base
            }
        ),
        Ordering::Greater
    );
    assert_eq!(
        order(
            RouteSource {
                learned_from: Some(ip("10.0.0.2")),
                ..base
            },
            RouteSource {
                learned_from: Some(ip("10.0.0.1")),
                ..base
            }
        ),
        Ordering::Greater
    );
    let low = [NextHop::addr(ip("10.0.0.1"))];
    let high = [NextHop::addr(ip("10.0.0.9"))];
    assert_eq!(
        order(
            RouteSource {
                next_hops: Some(&low),
                ..base
            },
            RouteSource {
                next_hops: Some(&high),
                ..base
            }
        ),
        Ordering::Less
    );
}

#[test]
fn empty_table_predicts_nothing() {
    let t = RouteTable::empty("t");
    let pred = predict_er_withdrawal(&t, &classifier());
    assert!(pred.prefixes.is_empty() && pred.warnings.is_empty());
    assert_eq!(pred.unaffected, 0);
    assert!(active_paths(&t, &classifier()).is_empty());
    assert!(prefix_paths(&t, &classifier(), p("0.0.0.0/0")).is_none());
    assert!(predict_azure(&[]).prefixes.is_empty());
}

#[test]
fn ipv6_and_default_route() {
    let er = [NextHop::addr(ip("2001:db8:11::"))];
    let vpn = [NextHop::addr(ip("2001:db8:76::1"))];
    let t = RouteTable::from_sources(
        "inet6.0",
        [
            RouteSource {
                active: true,
                next_hops: Some(&er),
                ..bgp("::/0", 150, &[12076])
            },
            RouteSource {
                active: true,
                next_hops: Some(&er),
                ..bgp("2001:db8:17::/48", 150, &[12076])
            },
            RouteSource {
                next_hops: Some(&vpn),
                ..bgp("2001:db8:17::/48", 100, &[65515])
            },
        ],
    )
    .expect("table");
    let pred = predict_er_withdrawal(&t, &classifier());
    assert_eq!(
        pred.get(&p("::/0")).map(|x| &x.outcome),
        Some(&Outcome::Blackholed)
    );
    let vnet = pred.get(&p("2001:db8:17::/48")).expect("vnet");
    assert_eq!(vnet.kind_after(), Some(PathKind::Vpn));
    assert!(pred.warnings.is_empty());
}

#[test]
fn vpn_already_active_is_unchanged() {
    let t = RouteTable::from_sources(
        "t",
        [
            RouteSource {
                active: true,
                ..bgp("10.17.11.0/25", 200, &[65515])
            },
            bgp("10.17.11.0/25", 150, &[12076]),
        ],
    )
    .expect("table");
    let pred = predict_er_withdrawal(&t, &classifier());
    let pp = pred.get(&p("10.17.11.0/25")).expect("prefix");
    assert_eq!(pp.outcome, Outcome::Unchanged);
    assert_eq!(pp.kind_after(), Some(PathKind::Vpn));
    // A VPN local-pref above ExpressRoute's is flagged as well.
    let w = check_table(&t, &classifier());
    assert_eq!(w.len(), 1);
    assert!(w[0].message.contains("lower than"), "{}", w[0].message);
}

#[test]
fn without_an_active_mark_the_best_path_is_selected() {
    // A `receive-protocol` style listing marks nothing.
    let t = RouteTable::from_sources(
        "t",
        [
            bgp("10.17.11.0/25", 100, &[65515]),
            bgp("10.17.11.0/25", 150, &[12076]),
        ],
    )
    .expect("table");
    let pred = predict_er_withdrawal(&t, &classifier());
    let pp = pred.get(&p("10.17.11.0/25")).expect("prefix");
    assert_eq!(
        pp.before.as_ref().map(|b| b.kind),
        Some(PathKind::ExpressRoute)
    );
    assert_eq!(pp.kind_after(), Some(PathKind::Vpn));
    let listed = prefix_paths(&t, &classifier(), p("10.17.11.0/25")).expect("listed");
    assert_eq!(listed.active, None);
    assert_eq!(listed.backups.len(), 2);
}

#[test]
fn blank_local_prefs_prove_nothing() {
    let t = RouteTable::from_sources(
        "t",
        [
            RouteSource {
                local_pref: None,
                ..bgp("10.17.11.0/25", 0, &[12076])
            },
            RouteSource {
                local_pref: None,
                ..bgp("10.17.11.0/25", 0, &[65515])
            },
        ],
    )
    .expect("table");
    assert!(check_table(&t, &classifier()).is_empty());
}

#[test]
fn azure_unknown_routes_are_ignored_and_covering_vpn_counts() {
    let tag = |prefix: &str, kind| TaggedRoute {
        prefix: p(prefix),
        kind,
        next_hop: None,
        as_path: vec![],
    };
    let pred = predict_azure(&[
        tag("10.1.11.0/25", PathKind::ExpressRoute),
        tag("10.1.0.0/16", PathKind::Vpn),
        tag("10.17.11.0/25", PathKind::Unknown),
    ]);
    assert_eq!(pred.ignored, 1);
    let onprem = pred.get(&p("10.1.11.0/25")).expect("prefix");
    assert!(
        matches!(&onprem.outcome, Outcome::CoveredBy { prefix, .. } if *prefix == p("10.1.0.0/16"))
    );
    assert_eq!(
        pred.get(&p("10.1.0.0/16")).map(|a| &a.outcome),
        Some(&Outcome::Unchanged)
    );
    // A VPN prefix covering an ExpressRoute one is the normal backup shape.
    assert!(pred.warnings.is_empty());
}

#[test]
fn prediction_round_trips_through_json() {
    let t = RouteTable::from_sources(
        "t",
        [
            RouteSource {
                active: true,
                ..bgp("10.17.11.0/25", 150, &[12076])
            },
            bgp("10.17.11.0/25", 100, &[65515]),
        ],
    )
    .expect("table");
    let pred = predict_er_withdrawal(&t, &classifier());
    let json = serde_json::to_value(&pred).expect("serialize");
    assert_eq!(json["prefixes"][0]["outcome"]["outcome"], "takes-over");
    assert_eq!(json["prefixes"][0]["outcome"]["path"]["kind"], "vpn");
    let back: ErWithdrawal = serde_json::from_value(json).expect("deserialize");
    assert_eq!(back, pred);
}

#[test]
fn describe_is_readable() {
    let v = PathView {
        kind: PathKind::Vpn,
        protocol: "bgp".into(),
        active: false,
        preference: Some(170),
        local_pref: Some(100),
        med: None,
        as_path: Some(vec![65515]),
        next_hops: Some(vec![NextHop::interface("st0.118")]),
        learned_from: Some(ip("10.17.11.76")),
    };
    assert_eq!(
        v.describe(),
        "bgp lp100 [65515] via st0.118 from 10.17.11.76"
    );
}
