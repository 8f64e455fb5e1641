use std::borrow::Cow;

use proptest::prelude::*;
use serde_json::json;

use super::{parse, parse_as_path};

fn to_value(input: &str) -> serde_json::Value {
    match parse(input) {
        Ok(list) => serde_json::to_value(list).unwrap_or_default(),
        Err(e) => panic!("parse failed: {e}"),
    }
}

/// The firewall's ER path to the spoke as `| display json` prints it on one
/// line, between the echoed command and the cluster prompt.
const ONE_ROUTE: &str = r#"user@SEA-SRX42-01> show route table Cust11.inet.0 10.17.11.132 | display json
{"route-information" : [{"attributes" : {"xmlns" : "http://xml.juniper.net/junos/15.1X49-D170/junos-routing"}, "route-table" : [{"comment" : "keepalive", "table-name" : [{"data" : "Cust11.inet.0"}], "destination-count" : [{"data" : "14"}], "rt" : [{"attributes" : {"junos:style" : "brief"}, "rt-destination" : [{"data" : "10.17.11.128/26"}], "rt-entry" : [{"active-tag" : [{"data" : "*"}], "current-active" : [{"data" : [null]}], "protocol-name" : [{"data" : "BGP"}], "preference" : [{"data" : "170"}], "age" : [{"data" : "2d 00:34:04", "attributes" : {"junos:seconds" : "174844"}}], "local-preference" : [{"data" : "150"}], "as-path" : [{"data" : "12076 I"}], "validation-state" : [{"data" : "unverified"}], "nh" : [{"selected-next-hop" : [{"data" : [null]}], "to" : [{"data" : "192.168.11.0"}], "via" : [{"data" : "reth1.11"}]}, {"to" : [{"data" : "192.168.11.2"}], "via" : [{"data" : "reth2.11"}]}]}]}]}]}]}

{primary:node0}
user@SEA-SRX42-01> "#;

#[test]
fn one_brief_route_between_echo_and_prompt() {
    let list = parse(ONE_ROUTE).unwrap_or_default();
    assert_eq!(
        serde_json::to_value(&list).unwrap_or_default(),
        json!({"table": "Cust11.inet.0", "routes": [
            {"prefix": "10.17.11.128/26", "protocol": "bgp", "active": true, "preference": 170,
             "local_pref": 150, "as_path": [12076], "next_hops": ["192.168.11.0", "192.168.11.2"],
             "next_hop_interfaces": ["reth1.11", "reth2.11"], "from": null,
             "table": "Cust11.inet.0"}]})
    );
    // Nothing in that capture needs a copy.
    let r = &list.routes[0];
    assert!(matches!(r.prefix, Cow::Borrowed(_)));
    assert!(matches!(r.table, Some(Cow::Borrowed(_))));
    assert!(
        r.next_hops
            .iter()
            .flatten()
            .all(|h| matches!(h, Cow::Borrowed(_)))
    );
}

/// `show route protocol bgp detail | display json` across three tables: an
/// empty one first, the VRF with an ER and a VPN path (length given apart,
/// `AS path:` detail style, a protocol next hop that is no next hop), then
/// inet6.0.
const MULTI_TABLE_DETAIL: &str = r#"{
    "route-information" : [
    {
        "route-table" : [
        {
            "table-name" : [{"data" : "mgmt_junos.inet.0"}],
            "destination-count" : [{"data" : "0"}]
        },
        {
            "table-name" : [{"data" : "Cust11.inet.0"}],
            "rt" : [
            {
                "attributes" : {"junos:style" : "detail"},
                "rt-destination" : [{"data" : "10.17.11.0"}],
                "rt-prefix-length" : [{"data" : "25"}],
                "rt-entry-count" : [{"data" : "2", "attributes" : {"junos:format" : "2 entries"}}],
                "rt-entry" : [
                {
                    "active-tag" : [{"data" : "*"}],
                    "protocol-name" : [{"data" : "BGP"}],
                    "preference" : [{"data" : "170"}],
                    "preference2" : [{"data" : "-151"}],
                    "nh" : [{"nh-string" : [{"data" : "Next hop"}], "to" : [{"data" : "192.168.11.0"}], "via" : [{"data" : "reth1.11"}]}],
                    "protocol-nh" : [{"to" : [{"data" : "192.168.11.0"}]}],
                    "local-preference" : [{"data" : "150"}],
                    "as-path" : [{"data" : "AS path: 12076 I\n"}]
                },
                {
                    "active-tag" : [{}],
                    "protocol-name" : [{"data" : "BGP"}],
                    "preference" : [{"data" : "170"}],
                    "nh" : [{"nh-string" : [{"data" : "Next hop"}], "via" : [{"data" : "st0.118"}]}],
                    "local-preference" : [{"data" : "100"}],
                    "as-path" : [{"data" : "AS path: 65515 I"}]
                }
                ]
            }
            ]
        },
        {
            "table-name" : [{"data" : "inet6.0"}],
            "rt" : [
            {
                "rt-destination" : [{"data" : "ff02::2"}],
                "rt-prefix-length" : [{"data" : "128"}],
                "rt-entry" : [{"active-tag" : [{"data" : "*"}], "protocol-name" : [{"data" : "INET6"}], "preference" : [{"data" : "0"}], "nh-type" : [{"data" : "MultiRecv"}]}]
            }
            ]
        }
        ]
    }
    ]
}
"#;

#[test]
fn multi_table_detail() {
    assert_eq!(
        to_value(MULTI_TABLE_DETAIL),
        json!({"table": "Cust11.inet.0", "routes": [
            {"prefix": "10.17.11.0/25", "protocol": "bgp", "active": true, "preference": 170,
             "local_pref": 150, "as_path": [12076], "next_hops": ["192.168.11.0"],
             "next_hop_interfaces": ["reth1.11"], "from": null, "table": "Cust11.inet.0"},
            {"prefix": "10.17.11.0/25", "protocol": "bgp", "active": false, "preference": 170,
             "local_pref": 100, "as_path": [65515], "next_hops": [],
             "next_hop_interfaces": ["st0.118"], "from": null, "table": "Cust11.inet.0"},
            {"prefix": "ff02::2/128", "protocol": "inet6", "active": true, "preference": 0,
             "local_pref": null, "as_path": null, "next_hops": [],
             "next_hop_interfaces": [], "from": null, "table": "inet6.0"}]})
    );
}

#[test]
fn lone_objects_where_junos_writes_one() {
    // A hidden route's entry, and tables/rts given as objects, not arrays.
    let input = r#"{"route-information": {"route-table": {"table-name": [{"data": "Cust11.inet.0"}],
        "rt": {"rt-destination": [{"data": "10.17.11.0/25"}],
               "rt-entry": {"active-tag": [{"data": " "}], "protocol-name": [{"data": "BGP"}],
                            "as-path": [{"data": "65515 I"}], "nh": {"to": [{"data": "10.17.11.76"}]}}}}}}"#;
    assert_eq!(
        to_value(input),
        json!({"table": "Cust11.inet.0", "routes": [
            {"prefix": "10.17.11.0/25", "protocol": "bgp", "active": false, "preference": null,
             "local_pref": null, "as_path": [65515], "next_hops": ["10.17.11.76"],
             "next_hop_interfaces": [], "from": null, "table": "Cust11.inet.0"}]})
    );
}

#[test]
fn escaped_strings_are_owned_and_unescaped() {
    let input = r#"{"route-information": [{"route-table": [{"table-name": [{"data": "Cust11.inet.0"}],
        "rt": [{"rt-destination": [{"data": "10.17.11.0\/25"}], "rt-entry": [{"active-tag": [{"data": "+"}],
        "protocol-name": [{"data": "Static"}], "preference": [{"data": 5}]}]}]}]}]}"#;
    let list = parse(input).unwrap_or_default();
    let r = &list.routes[0];
    assert_eq!(r.prefix, "10.17.11.0/25");
    assert!(matches!(r.prefix, Cow::Owned(_)));
    assert!(r.active);
    assert_eq!(r.preference, Some(5));
}

#[test]
fn self_next_hop_is_not_pinned() {
    // `show route advertising-protocol bgp 10.17.11.76 | display json`
    let input = r#"{"route-information": [{"route-table": [{"table-name": [{"data": "Cust11.inet.0"}],
        "rt": [{"rt-destination": [{"data": "10.1.11.0/25"}], "rt-entry": [{"active-tag": [{"data": "*"}],
        "as-path": [{"data": "I"}], "nh": [{"to": [{"data": "Self"}]}]}]}]}]}]}"#;
    assert_eq!(
        to_value(input)["routes"][0],
        json!({"prefix": "10.1.11.0/25", "protocol": null, "active": true, "preference": null,
               "local_pref": null, "as_path": [], "next_hops": null, "next_hop_interfaces": [],
               "from": null, "table": "Cust11.inet.0"})
    );
}

#[test]
fn empty_tables_give_no_table() {
    let input = "{\"route-information\": [{\"route-table\": [{\"table-name\": [{\"data\": \"inet.0\"}]}]}]}\n";
    assert_eq!(to_value(input), json!({"table": null, "routes": []}));
}

#[test]
fn mode_line_before_the_echo_is_skipped() {
    let input = format!("{{master:0}}\n{ONE_ROUTE}");
    assert_eq!(parse(&input).map(|l| l.routes.len()), Ok(1));
}

#[test]
fn xml_after_a_mode_line_goes_to_the_xml_parser() {
    let input = "{master:0}\nuser@r1> show route | display xml\n<rpc-reply><route-information><route-table>\
        <table-name>inet.0</table-name><rt><rt-destination>10.0.0.0/8</rt-destination>\
        <rt-entry><active-tag>*</active-tag><protocol-name>Static</protocol-name></rt-entry></rt>\
        </route-table></route-information></rpc-reply>\n";
    assert_eq!(parse(input).map(|l| l.routes.len()), Ok(1));
}

#[test]
fn truncated_json_names_the_last_line() {
    let cut = MULTI_TABLE_DETAIL.find("\"inet6.0\"").unwrap_or(0);
    let input = format!(
        "show route protocol bgp detail | display json\n{}",
        &MULTI_TABLE_DETAIL[..cut]
    );
    let e = parse(&input)
        .err()
        .unwrap_or_else(|| panic!("truncated input parsed"));
    assert_eq!(e.line, input.lines().count());
    assert!(e.message.contains("truncated"), "{}", e.message);
}

#[test]
fn non_number_preference_names_its_line() {
    let input = MULTI_TABLE_DETAIL.replacen("\"data\" : \"100\"", "\"data\" : \"high\"", 1);
    let want = input
        .lines()
        .position(|l| l.contains("\"high\""))
        .map(|i| i + 1);
    let e = parse(&input)
        .err()
        .unwrap_or_else(|| panic!("bad preference parsed"));
    assert_eq!(Some(e.line), want);
    assert!(
        e.message.contains("`high` is not a number"),
        "{}",
        e.message
    );
}

#[test]
fn wrong_structure_is_an_error_with_its_line() {
    let input = "user@r1> show route | display json\n{\"route-information\": [{\"route-table\": [\n  {\"table-name\": [{\"data\": \"inet.0\"}], \"rt\": \"oops\"}]}]}\n";
    let e = parse(input)
        .err()
        .unwrap_or_else(|| panic!("bad structure parsed"));
    assert_eq!(e.line, 3);

    let missing =
        "{\"route-information\": [{\"route-table\": [{\"rt\": [\n{\"rt-entry\": []}\n]}]}]}";
    let e = parse(missing)
        .err()
        .unwrap_or_else(|| panic!("rt without destination parsed"));
    assert_eq!(e.line, 2);
    assert!(e.message.contains("rt-destination"), "{}", e.message);

    let bad_path = "{\"route-information\": [{\"route-table\": [{\"rt\": [{\"rt-destination\": [{\"data\": \"10.0.0.0/8\"}],\n\"rt-entry\": [{\"as-path\": [{\"data\": \"65001 x I\"}]}]}]}]}]}";
    let e = parse(bad_path)
        .err()
        .unwrap_or_else(|| panic!("bad AS path parsed"));
    assert_eq!(e.line, 2);
}

#[test]
fn other_documents_are_errors() {
    assert!(parse("").is_err());
    assert!(parse("show route | display json\n").is_err());
    let e = parse("{\"bgp-information\": []}")
        .err()
        .unwrap_or_else(|| panic!("not a route output"));
    assert!(e.message.contains("route-information"), "{}", e.message);
    assert!(parse("[1, 2]").is_err());
}

#[test]
fn as_path_forms() {
    let ok = |s: &str| parse_as_path(s).unwrap_or_else(|e| panic!("{s}: {e}"));
    assert_eq!(ok("65100 I"), vec![65100]);
    assert_eq!(ok("65100 65000 I"), vec![65100, 65000]);
    assert_eq!(ok("AS path: 65001 I"), vec![65001]);
    assert_eq!(ok("?"), Vec::<u32>::new());
    assert_eq!(ok("I"), Vec::<u32>::new());
    assert_eq!(ok("AS path: I (Originator)"), Vec::<u32>::new());
    assert_eq!(ok("AS path: I  (Originator)"), Vec::<u32>::new());
    assert_eq!(
        ok("AS path: 12076 I, validation-state: unverified"),
        vec![12076]
    );
    assert_eq!(ok("AS path: [65151] (65171) I"), vec![65171]);
    assert_eq!(ok("AS path: [1] 2 I"), vec![2]);
    assert_eq!(ok("(65001 65002) 12076 E"), vec![65001, 65002, 12076]);
    assert_eq!(ok("65001 {65002 65003} ?"), vec![65001, 65002, 65003]);
    assert_eq!(ok("65001 {65002,65003} I"), vec![65001, 65002, 65003]);
    assert_eq!(ok("1.10 I"), vec![65546]);
    assert_eq!(
        ok(
            "\n\t\tAS path: 1299 13335 I\n\t\tAggregator: 13335 141.101.72.1\n\t\tAS path: Recorded\n"
        ),
        vec![1299, 13335]
    );
    assert_eq!(ok("AS path: I\nAS path: Recorded"), Vec::<u32>::new());
    assert_eq!(ok(""), Vec::<u32>::new());
    assert!(parse_as_path("65001 Recorded I").is_err());
    assert!(parse_as_path("4294967296 I").is_err());
}

fn json_fixtures() -> [&'static str; 5] {
    [
        include_str!(
            "../../../../../tests/fixtures/junos/route-json/labval-juniper_resolution-r1-show_route.json"
        ),
        include_str!(
            "../../../../../tests/fixtures/junos/route-json/labval-junos_community_delete-dut-show_route_protocol_bgp_detail.json"
        ),
        include_str!(
            "../../../../../tests/fixtures/junos/route-json/labval-junos_evpn_type5-edge1-show_route.json"
        ),
        include_str!("../../../../../tests/fixtures/article/route/fw-cust11-json.json"),
        MULTI_TABLE_DETAIL,
    ]
}

proptest! {
    #[test]
    fn arbitrary_input_never_panics(s in "\\PC*") {
        let _ = parse(&s);
    }

    #[test]
    fn json_like_input_never_panics(s in r#"[\[\]{}",: 0-9a-z\-/\\]{0,200}"#) {
        let _ = parse(&s);
        let _ = parse(&format!("{{\"route-information\":{s}"));
    }

    #[test]
    fn truncated_fixtures_never_panic(which in 0usize..5, at in 0.0f64..1.0) {
        let text = json_fixtures()[which];
        let mut cut = (text.len() as f64 * at) as usize;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let _ = parse(&text[..cut]);
    }

    #[test]
    fn spliced_fixtures_never_panic(which in 0usize..5, at in 0.0f64..1.0, len in 0usize..64, junk in "\\PC{0,16}") {
        let text = json_fixtures()[which];
        let start = (text.len() as f64 * at) as usize;
        let end = (start + len).min(text.len());
        if let (Some(head), Some(tail)) = (text.get(..start), text.get(end..)) {
            let _ = parse(&format!("{head}{junk}{tail}"));
        }
    }
}

/// What NETCONF (and PyEZ) return for `<get-route-information format="json"/>`:
/// the JSON inside the reply element, `@`/`#` tags, `learned-from`, `via`.
const RPC_REPLY_JSON: &str = r##"<?xml version="1.0" encoding="UTF-8"?>
<rpc-reply xmlns:junos="http://xml.juniper.net/junos/21.4R0/junos" message-id="urn:uuid:1">
{
"route-information" : [{"route-table" : [{"table-name" : [{"data" : "Cust11.inet.0"}],
 "rt" : [{"rt-destination" : [{"data" : "10.17.11.0/25"}], "rt-entry" : [
  {"active-tag" : [{"data" : "@"}], "current-active" : [{"data" : [null]}], "protocol-name" : [{"data" : "BGP"}],
   "preference" : [{"data" : "170"}], "learned-from" : [{"data" : "10.17.11.76"}], "as-path" : [{"data" : "65515 I"}],
   "nh" : [{"selected-next-hop" : [{"data" : [null]}], "via" : [{"data" : "st0.118"}]}]},
  {"active-tag" : [{"data" : "#"}], "protocol-name" : [{"data" : "Multipath"}], "preference" : [{"data" : "255"}],
   "nh" : [{"to" : [{"data" : "10.17.11.76"}], "via" : [{"data" : "st0.118"}]}, {"via" : [{"data" : "st0.119"}]}]}
 ]}]}]}]
}
</rpc-reply>
]]>]]>
"##;

#[test]
fn json_inside_rpc_reply_with_use_tags_interfaces_and_from() {
    assert_eq!(
        crate::parse::junos_route::detect(RPC_REPLY_JSON),
        crate::parse::junos_route::Encoding::Xml
    );
    // Whichever parser the detector picks, the JSON inside is read.
    for list in [
        parse(RPC_REPLY_JSON),
        crate::parse::junos_route::parse(RPC_REPLY_JSON),
    ] {
        let list = list.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            serde_json::to_value(&list).unwrap_or_default(),
            json!({"table": "Cust11.inet.0", "routes": [
                {"prefix": "10.17.11.0/25", "protocol": "bgp", "active": true, "preference": 170,
                 "local_pref": null, "as_path": [65515], "next_hops": [],
                 "next_hop_interfaces": ["st0.118"], "from": "10.17.11.76", "use": "routing-only",
                 "table": "Cust11.inet.0"},
                {"prefix": "10.17.11.0/25", "protocol": "multipath", "active": false,
                 "preference": 255, "local_pref": null, "as_path": null,
                 "next_hops": ["10.17.11.76"], "next_hop_interfaces": ["st0.118", "st0.119"],
                 "from": null, "use": "forwarding-only", "table": "Cust11.inet.0"}]})
        );
    }
    // An XML reply is still XML; a broken JSON body names its line.
    let e = parse("<rpc-reply>\n{\n\"route-information\" : [\n}\n</rpc-reply>\n")
        .expect_err("broken JSON");
    assert!(e.line >= 3, "{e}");
}
