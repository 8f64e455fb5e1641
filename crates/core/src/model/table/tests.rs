use std::borrow::Cow;

use super::*;
use crate::model::route::{ParsedRoute, RouteList};

fn p(s: &str) -> Prefix {
    s.parse().expect("prefix")
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("address")
}

fn parsed<'a>(prefix: &'a str, table: &'a str, hops: Option<Vec<&'a str>>) -> ParsedRoute<'a> {
    ParsedRoute {
        prefix: Cow::Borrowed(prefix),
        protocol: Some(Cow::Borrowed("bgp")),
        active: true,
        preference: Some(170),
        local_pref: Some(100),
        as_path: Some(vec![65000]),
        next_hops: hops.map(|h| h.into_iter().map(Cow::Borrowed).collect()),
        table: Some(Cow::Borrowed(table)),
        ..ParsedRoute::default()
    }
}

#[test]
fn route_is_48_bytes_or_less() {
    assert!(
        std::mem::size_of::<Route>() <= 48,
        "{}",
        std::mem::size_of::<Route>()
    );
}

#[test]
fn round_trips_every_field() {
    let hops = [
        NextHop::addr_via(ip("2001:db8::1"), "ge-0/0/0.0"),
        NextHop::addr(ip("2001:db8::2")),
    ];
    let src = RouteSource {
        prefix: p("2001:db8:ffff:1234::/64"),
        protocol: Some("L-ISIS"),
        active: true,
        preference: Some(u32::MAX),
        local_pref: Some(0),
        med: Some(7),
        as_path: Some(&[12076, 65020]),
        origin: Some(Origin::Incomplete),
        peer_type: Some(PeerType::Internal),
        next_hops: Some(&hops),
        learned_from: Some(ip("2001:db8::99")),
    };
    let t = RouteTable::from_sources("inet6.0", [src]).expect("table");
    let r = t.routes().first().expect("one route");
    let v = t.view(r);
    assert_eq!(v.prefix(), p("2001:db8:ffff:1234::/64"));
    assert_eq!(v.protocol_name(), "l-isis");
    assert!(v.active());
    assert_eq!(v.preference(), Some(u32::MAX));
    assert_eq!(v.local_pref(), Some(0));
    assert_eq!(v.med(), Some(7));
    assert_eq!(v.as_path(), Some(&[12076, 65020][..]));
    assert_eq!(v.origin(), Some(Origin::Incomplete));
    assert_eq!(v.peer_type(), Some(PeerType::Internal));
    assert_eq!(v.next_hops().map(<[NextHop]>::len), Some(2));
    assert_eq!(v.learned_from(), Some(ip("2001:db8::99")));
    assert_eq!(v.lowest_next_hop(), Some(ip("2001:db8::1")));
}

#[test]
fn unknown_values_stay_unknown() {
    let mut src = RouteSource::new(p("0.0.0.0/0"));
    src.next_hops = None;
    let t = RouteTable::from_sources("t", [src]).expect("table");
    let r = t.routes().first().expect("route");
    assert_eq!(r.protocol(), Protocol::Unknown);
    assert_eq!(t.protocol_name(r), "");
    assert_eq!(
        (
            r.preference(),
            r.local_pref(),
            r.med(),
            r.origin(),
            r.peer_type()
        ),
        (None, None, None, None, None)
    );
    assert_eq!(t.as_path(r), None);
    assert_eq!(t.next_hops(r), None);
    assert_eq!(t.learned_from(r), None);
}

#[test]
fn empty_table() {
    let t = RouteTable::empty("empty");
    assert!(t.is_empty());
    assert!(t.paths_for(&p("10.0.0.0/8")).is_empty());
    assert!(t.active(&p("0.0.0.0/0")).is_none());
    assert!(t.longest_match(ip("10.1.1.1")).is_none());
    assert!(t.longest_match_paths(ip("::1")).is_none());
    assert_eq!(t.prefixes().count(), 0);
    assert_eq!(t.within(p("0.0.0.0/0")).count(), 0);
}

#[test]
fn sorted_lookup_keeps_path_order() {
    let mk = |s: &'static str, lp: u32, active: bool| RouteSource {
        local_pref: Some(lp),
        active,
        protocol: Some("bgp"),
        ..RouteSource::new(p(s))
    };
    let t = RouteTable::from_sources(
        "t",
        [
            mk("10.17.11.128/26", 150, true),
            mk("10.17.11.0/25", 150, true),
            mk("10.17.11.128/26", 100, false),
            mk("::/0", 100, true),
            mk("0.0.0.0/0", 100, true),
            mk("10.17.11.0/25", 100, false),
        ],
    )
    .expect("table");
    let prefixes: Vec<String> = t.prefixes().map(|(p, _)| p.to_string()).collect();
    assert_eq!(
        prefixes,
        ["0.0.0.0/0", "10.17.11.0/25", "10.17.11.128/26", "::/0"]
    );
    let spoke = t.paths_for(&p("10.17.11.128/26"));
    assert_eq!(
        spoke.iter().map(|r| r.local_pref()).collect::<Vec<_>>(),
        [Some(150), Some(100)]
    );
    assert_eq!(
        t.active(&p("10.17.11.0/25")).and_then(Route::local_pref),
        Some(150)
    );
    assert!(t.paths_for(&p("10.17.11.0/24")).is_empty());
    assert_eq!(
        t.longest_match(ip("10.17.11.132")).map(Route::prefix),
        Some(p("10.17.11.128/26"))
    );
    assert_eq!(
        t.longest_match(ip("10.17.11.200")).map(Route::prefix),
        Some(p("0.0.0.0/0"))
    );
    assert_eq!(
        t.longest_match(ip("2001:db8::1")).map(Route::prefix),
        Some(p("::/0"))
    );
    let inside: Vec<Prefix> = t.within(p("10.17.11.0/24")).map(Route::prefix).collect();
    assert_eq!(
        inside,
        [
            p("10.17.11.0/25"),
            p("10.17.11.0/25"),
            p("10.17.11.128/26"),
            p("10.17.11.128/26")
        ]
    );
    assert_eq!(t.within(p("0.0.0.0/0")).count(), 5);
    assert_eq!(t.within(p("::/0")).count(), 1);
}

#[test]
fn longest_match_skips_prefixes_without_an_active_path() {
    let t = RouteTable::from_sources(
        "t",
        [
            RouteSource {
                active: true,
                ..RouteSource::new(p("10.0.0.0/8"))
            },
            RouteSource {
                active: false,
                ..RouteSource::new(p("10.1.0.0/16"))
            },
        ],
    )
    .expect("table");
    assert_eq!(
        t.longest_match(ip("10.1.2.3")).map(Route::prefix),
        Some(p("10.0.0.0/8"))
    );
    assert_eq!(
        t.longest_match_paths(ip("10.1.2.3")).map(|(p, _)| p),
        Some(p("10.1.0.0/16"))
    );
}

#[test]
fn covering_lists_shorter_prefixes() {
    let c: Vec<String> = covering(p("10.17.11.128/26"), false)
        .take(3)
        .map(|p| p.to_string())
        .collect();
    assert_eq!(c, ["10.17.11.128/25", "10.17.11.0/24", "10.17.10.0/23"]);
    assert_eq!(covering(p("0.0.0.0/0"), false).count(), 0);
    assert_eq!(covering(p("::/0"), true).count(), 1);
    assert_eq!(covering(p("2001:db8::/32"), true).count(), 33);
}

#[test]
fn interns_shared_attributes_once() {
    let hops_a = [
        NextHop::addr(ip("192.168.11.2")),
        NextHop::addr(ip("192.168.11.0")),
    ];
    let hops_b = [
        NextHop::addr(ip("192.168.11.0")),
        NextHop::addr(ip("192.168.11.2")),
        NextHop::addr(ip("192.168.11.0")),
    ];
    let mut b = TableBuilder::new("t");
    for (i, hops) in [&hops_a[..], &hops_b[..], &hops_a[..]]
        .into_iter()
        .enumerate()
    {
        let prefix = Prefix::new(ip("10.0.0.0"), 8).expect("prefix");
        let prefix = Prefix::new(prefix.network(), 24 + i as u8).expect("prefix");
        b.push(&RouteSource {
            as_path: Some(&[12076]),
            next_hops: Some(hops),
            protocol: Some("weird"),
            ..RouteSource::new(prefix)
        })
        .expect("push");
    }
    let t = b.build();
    assert_eq!(t.as_path_interner().len(), 1);
    // The empty set is always id 0; both orders give one set.
    assert_eq!(t.next_hop_interner().len(), 2);
    let ids: Vec<_> = t.routes().iter().map(Route::next_hops_id).collect();
    assert!(ids.windows(2).all(|w| w[0] == w[1]));
    assert!(t.routes().iter().all(|r| t.protocol_name(r) == "weird"));
    assert!(matches!(
        t.routes().first().map(Route::protocol),
        Some(Protocol::Other(_))
    ));
}

#[test]
fn from_parsed_skips_non_ip_and_filters_tables() {
    let list = RouteList::from_routes(vec![
        parsed(
            "10.17.11.0/25",
            "Cust11.inet.0",
            Some(vec!["192.168.11.0", "192.168.11.2"]),
        ),
        parsed(
            "2:10.0.0.1:100::0::aa:bb:cc:dd:ee:ff/304",
            "Cust11.inet.0",
            Some(vec![]),
        ),
        parsed("2567(S=0)", "Cust11.inet.0", Some(vec![])),
        parsed("299776", "mpls.0", Some(vec![])),
        parsed("10.0.0.0/8", "inet.0", Some(vec!["10.0.0.1"])),
        parsed(
            "fe80::/64",
            "Cust11.inet.0",
            Some(vec!["fe80::1%ge-0/0/0.0", "bogus"]),
        ),
        parsed("10.1.11.0/25", "Cust11.inet.0", None),
    ]);
    let out = RouteTable::from_parsed(&list, Some("Cust11.inet.0")).expect("table");
    assert_eq!(out.table.name(), "Cust11.inet.0");
    assert_eq!(out.skipped_non_ip, 2);
    assert_eq!(out.other_tables, 2);
    assert_eq!(out.unparsed_next_hops, 1);
    assert_eq!(out.table.len(), 3);
    let v6 = out
        .table
        .paths_for(&p("fe80::/64"))
        .first()
        .expect("v6 route");
    assert_eq!(
        out.table.next_hops(v6).map(|h| h.to_vec()),
        Some(vec![NextHop::addr(ip("fe80::1"))])
    );
    let local = out
        .table
        .paths_for(&p("10.1.11.0/25"))
        .first()
        .expect("self route");
    assert_eq!(out.table.next_hops(local), None);

    let all = RouteTable::from_parsed(&list, None).expect("table");
    assert_eq!(all.table.name(), "Cust11.inet.0");
    assert_eq!(all.table.len(), 4);
    assert_eq!(all.skipped_non_ip, 3);
}

#[test]
fn interner_limit_is_an_error() {
    let mut i: Interner<str> = Interner::new("names", 2);
    assert_eq!(i.intern("a"), Ok(0));
    assert_eq!(i.intern("b"), Ok(1));
    assert_eq!(i.intern("a"), Ok(0));
    assert!(matches!(
        i.intern("c"),
        Err(TableError::TooManyDistinct { .. })
    ));
    assert_eq!(i.get(1), Some("b"));
    assert_eq!(i.get(2), None);
    assert_eq!(i.find("b"), Some(1));
}
