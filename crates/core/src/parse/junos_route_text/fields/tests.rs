use super::*;

#[test]
fn as_paths() {
    assert_eq!(
        as_path("12076 I, validation-state: unverified"),
        Ok(vec![12076])
    );
    assert_eq!(as_path("I"), Ok(vec![]));
    assert_eq!(as_path("I  (Originator)"), Ok(vec![]));
    assert_eq!(as_path("(65151 65000) I"), Ok(vec![65151, 65000]));
    assert_eq!(as_path("[65151] (65171) I"), Ok(vec![65171]));
    assert_eq!(as_path("[1] 2 I "), Ok(vec![2]));
    assert_eq!(
        as_path("65000 {65001 65002} ?"),
        Ok(vec![65000, 65001, 65002])
    );
    assert_eq!(as_path("1.10 E"), Ok(vec![65546]));
    assert_eq!(
        as_path("Merged[3]: 65001 4200000001 I"),
        Ok(vec![65001, 4200000001])
    );
    assert_eq!(as_path("65000 65001"), Ok(vec![65000, 65001]));
    assert!(as_path("65000 bogus I").is_err());
    assert!(as_path("99999999999 I").is_err());
}

#[test]
fn brief_paths() {
    let p = brief_path("*[BGP/170] 2d 00:34:04, localpref 150").expect("path");
    assert_eq!(
        (p.active, p.proto, p.preference, p.local_pref),
        (true, "BGP", Some(170), Some(150))
    );
    let p = brief_path("[OSPF/150/10] 1w, metric 20").expect("path");
    assert_eq!(
        (p.active, p.proto, p.preference, p.local_pref),
        (false, "OSPF", Some(150), None)
    );
    let p = brief_path("-[Access-internal/12] 10:23:19").expect("path");
    assert_eq!(
        (p.active, p.proto, p.preference),
        (false, "Access-internal", Some(12))
    );
    let p = brief_path("[BGP ] 00:12:37, MED 0, localpref 100, from 10.200.0.2").expect("hidden");
    assert_eq!(
        (p.proto, p.preference, p.local_pref),
        ("BGP", None, Some(100))
    );
    for bad in [
        "*[BGP170] 1d",
        "*[BGP/17x] 1d",
        "*[BGP/170 1d",
        "[/170] x",
        "[]",
        "[BGP/] x",
    ] {
        assert!(brief_path(bad).is_err(), "{bad}");
    }
}

#[test]
fn detail_paths() {
    let p = detail_path("*BGP    Preference: 170/-101")
        .expect("is a path")
        .expect("valid");
    assert_eq!((p.active, p.proto, p.preference), (true, "BGP", Some(170)));
    let p = detail_path("BGP                 /-101")
        .expect("is a path")
        .expect("valid");
    assert_eq!((p.active, p.preference), (false, None));
    let p = detail_path("*Static Preference: 5")
        .expect("is a path")
        .expect("valid");
    assert_eq!(p.preference, Some(5));
    assert!(detail_path("OSPF area : 0.0.0.0, LSA ID : 1.1.1.1").is_none());
    assert!(detail_path("BGP group evpn type Internal").is_none());
    assert!(detail_path("Inactive reason: Route Preference").is_none());
    assert!(matches!(detail_path("*BGP Preference: x/1"), Some(Err(_))));
}

#[test]
fn headers_and_noise() {
    assert_eq!(
        detail_header("2567(S=0) (1 entry, 1 announced)"),
        Some((false, "2567(S=0)"))
    );
    assert_eq!(
        detail_header("* 1:192.0.2.11:1::0/192 AD/EVI (1 entry, 1 announced)"),
        Some((true, "1:192.0.2.11:1::0/192"))
    );
    assert_eq!(
        detail_header("Label operation: Swap 16051, Push 1913(top)"),
        None
    );
    assert_eq!(
        table_header("Cust11.inet.0:", "14 destinations, 21 routes (14 active)"),
        Some(("Cust11.inet.0", Some(21)))
    );
    assert_eq!(table_header("Age:", "3w2d 4:43:35"), None);
    for noise in [
        "show route",
        "#show route table inet.3",
        "> show route receive-protocol bgp 1.1.1.1",
        "user@SEA-SRX42-01> show route table Cust11.inet.0",
        "regress@r4-sb-bier-RE0>",
        "root@CORE-1# run show route",
        "{primary:node0}",
        "{master:0}",
        "[edit]",
    ] {
        assert!(is_cli_noise(noise, split_first(noise).0), "{noise}");
    }
    for data in [
        "> to 10.0.0.1 via ge-0/0/0.0",
        "KRT in-kernel 0.0.0.0/0 -> {10.169.14.121}",
        "State: <Active Int>",
        "[BGP/170] 1d",
    ] {
        assert!(!is_cli_noise(data, split_first(data).0), "{data}");
    }
}

#[test]
fn tokens_and_words() {
    let mut v = Vec::new();
    tokenize("* 10.1.11.0/25   Self\tI", &mut v);
    let cols: Vec<_> = v.iter().map(|t| (t.col, t.text)).collect();
    assert_eq!(
        cols,
        [(0, "*"), (2, "10.1.11.0/25"), (17, "Self"), (22, "I")]
    );
    assert!(is_addr("fe80::1%ge-0/0/0.0") && is_addr("10.1.1.1") && !is_addr("table"));
    assert!(
        is_prefix_like("ff02::5/128") && is_prefix_like("2567(S=0)") && !is_prefix_like("Age:")
    );
    assert!(!is_prefix_like("Restart") && !is_prefix_like("Bad:"));
    assert!(is_prefix_like("fe80::1/128*[Local/0]"));
    assert_eq!(
        brief_next_hop("to 192.168.11.0 via reth1.11"),
        (Some("192.168.11.0"), Some("reth1.11"))
    );
    assert_eq!(
        brief_next_hop("to 192.168.220.6 via ge-0/0/1.0, Push 307742"),
        (Some("192.168.220.6"), Some("ge-0/0/1.0"))
    );
    assert_eq!(brief_next_hop("to table inet.0"), (None, None));
    assert_eq!(brief_next_hop("via st0.118"), (None, Some("st0.118")));
    assert_eq!(brief_next_hop("to 10.0.0.1"), (Some("10.0.0.1"), None));
}

#[test]
fn marks_and_from() {
    use crate::model::PathUse;
    let p = brief_path("@[OSPF/10] 00:00:02, metric 300").expect("path");
    assert_eq!((p.active, p.path_use), (true, Some(PathUse::RoutingOnly)));
    let p = brief_path("#[LDP/9] 00:00:02, metric 300").expect("path");
    assert_eq!(
        (p.active, p.path_use),
        (false, Some(PathUse::ForwardingOnly))
    );
    assert_eq!((p.proto, p.preference), ("LDP", Some(9)));
    let p = brief_path("[BGP/170] 2d 21:12:13, localpref 100, from 10.17.11.76").expect("path");
    assert_eq!((p.from, p.local_pref), (Some("10.17.11.76"), Some(100)));
    let p = brief_path("*[BGP/170] 2d, MED 0, localpref 150").expect("path");
    assert_eq!((p.from, p.path_use), (None, None));
    let p = detail_path("@OSPF   Preference: 10")
        .expect("path")
        .expect("read");
    assert_eq!((p.active, p.path_use), (true, Some(PathUse::RoutingOnly)));
    assert!(starts_brief_path("#[Multipath/255]") && starts_brief_path("@[EVPN/170]"));
}

#[test]
fn a_local_route_keeps_its_interface() {
    assert_eq!(
        brief_next_hop("Local via xe-1/0/0.0"),
        (None, Some("xe-1/0/0.0"))
    );
    assert_eq!(brief_next_hop("Local"), (None, None));
}
