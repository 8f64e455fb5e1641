use std::borrow::Cow;

use proptest::prelude::*;
use serde_json::json;

use super::parse;

fn to_value(input: &str) -> serde_json::Value {
    match parse(input) {
        Ok(list) => serde_json::to_value(list).unwrap_or_default(),
        Err(e) => panic!("parse failed: {e}"),
    }
}

/// One detail-style route as Junos 18 pretty-prints it: `<rpc-reply>`,
/// both namespaces, values on their own lines, a protocol next hop, a
/// `<tsi>` block with its own `Localpref`/`AS path`, an entry count that
/// exceeds the entries listed.
const ONE_ROUTE: &str =
    "user@SEA-MX03-01> show route table Cust11.inet.0 10.17.11.0/25 detail | display xml
<rpc-reply xmlns:junos=\"http://xml.juniper.net/junos/18.2R3/junos\">
\t<route-information xmlns=\"http://xml.juniper.net/junos/18.2R3/junos-routing\">
\t\t<!-- keepalive -->
\t\t<route-table>
\t\t\t<table-name>
\t\t\t\tCust11.inet.0
\t\t\t</table-name>
\t\t\t<rt junos:style=\"detail\">
\t\t\t\t<rt-destination>
\t\t\t\t\t10.17.11.0
\t\t\t\t</rt-destination>
\t\t\t\t<rt-prefix-length>
\t\t\t\t\t25
\t\t\t\t</rt-prefix-length>
\t\t\t\t<rt-entry-count junos:format=\"2 entries\">
\t\t\t\t\t2
\t\t\t\t</rt-entry-count>
\t\t\t\t<rt-entry>
\t\t\t\t\t<active-tag>
\t\t\t\t\t\t*
\t\t\t\t\t</active-tag>
\t\t\t\t\t<current-active />
\t\t\t\t\t<protocol-name>
\t\t\t\t\t\tBGP
\t\t\t\t\t</protocol-name>
\t\t\t\t\t<preference>
\t\t\t\t\t\t170
\t\t\t\t\t</preference>
\t\t\t\t\t<nh junos:indent=\"16\">
\t\t\t\t\t\t<nh-string>
\t\t\t\t\t\t\tNext hop
\t\t\t\t\t\t</nh-string>
\t\t\t\t\t\t<to>
\t\t\t\t\t\t\t192.168.11.18
\t\t\t\t\t\t</to>
\t\t\t\t\t\t<via>
\t\t\t\t\t\t\txe-0/0/0:0.110
\t\t\t\t\t\t</via>
\t\t\t\t\t\t<selected-next-hop />
\t\t\t\t\t</nh>
\t\t\t\t\t<protocol-nh junos:indent=\"16\">
\t\t\t\t\t\t<to>
\t\t\t\t\t\t\t192.168.11.18
\t\t\t\t\t\t</to>
\t\t\t\t\t</protocol-nh>
\t\t\t\t\t<as-path>
\t\t\t\t\t\tAS path: 12076 I
\t\t\t\t\t\tAS path: Recorded
\t\t\t\t\t</as-path>
\t\t\t\t\t<local-preference>
\t\t\t\t\t\t100
\t\t\t\t\t</local-preference>
\t\t\t\t\t<tsi>
KRT in-kernel 10.17.11.0/25 -> {192.168.11.18}
Localpref: 999
AS path: 1 2 3 I
\t\t\t\t\t</tsi>
\t\t\t\t</rt-entry>
\t\t\t</rt>
\t\t</route-table>
\t</route-information>
\t<cli>
\t\t<banner>
\t\t</banner>
\t</cli>
</rpc-reply>

user@SEA-MX03-01> ";

#[test]
fn one_detail_route_in_rpc_reply() {
    let list = parse(ONE_ROUTE).unwrap_or_default();
    assert_eq!(
        serde_json::to_value(&list).unwrap_or_default(),
        json!({"table": "Cust11.inet.0", "routes": [
            {"prefix": "10.17.11.0/25", "protocol": "bgp", "active": true, "preference": 170,
             "local_pref": 100, "as_path": [12076], "next_hops": ["192.168.11.18"],
             "next_hop_interfaces": ["xe-0/0/0:0.110"], "from": null,
             "table": "Cust11.inet.0"}]})
    );
    let r = &list.routes[0];
    assert!(matches!(r.table, Some(Cow::Borrowed("Cust11.inet.0"))));
    assert!(
        r.next_hops
            .iter()
            .flatten()
            .all(|h| matches!(h, Cow::Borrowed(_)))
    );
}

#[test]
fn bare_route_information_with_several_tables() {
    // No `<rpc-reply>`, compact, brief style; empty elements; a value
    // holding an entity reference; an inactive path with `<active-tag/>`.
    let input = r#"<route-information xmlns="http://xml.juniper.net/junos/17.4R1/junos-routing">
<route-table><table-name>mgmt_junos.inet.0</table-name><destination-count>0</destination-count></route-table>
<route-table><table-name>Cust11.inet.0</table-name>
<rt junos:style="brief"><rt-destination>10.17.11.0&#47;25</rt-destination>
<rt-entry><active-tag>*</active-tag><protocol-name>BGP</protocol-name><preference>170</preference>
<local-preference>150</local-preference><as-path>12076 I
</as-path><nh><selected-next-hop/><to>192.168.11.0</to><via>reth1.11</via></nh><nh><to>192.168.11.2</to><via>reth2.11</via></nh></rt-entry>
<rt-entry><active-tag/><protocol-name>BGP</protocol-name><preference>170</preference>
<local-preference>100</local-preference><learned-from>10.17.11.76</learned-from><as-path>65515 I</as-path>
<nh><selected-next-hop/><via>st0.118</via></nh></rt-entry></rt>
<rt junos:style="brief"><rt-destination>10.17.11.76/32</rt-destination>
<rt-entry><active-tag>*</active-tag><protocol-name>Static</protocol-name><preference>5</preference>
<nh><selected-next-hop/><via>st0.118</via></nh></rt-entry></rt>
</route-table>
<route-table><table-name>inet6.0</table-name>
<rt><rt-destination>::/0</rt-destination><rt-entry><active-tag>+</active-tag><protocol-name>Static</protocol-name>
<preference>5</preference><as-path/><nh><to>2001:db8::1</to></nh></rt-entry></rt></route-table>
</route-information>
"#;
    let list = parse(input).unwrap_or_default();
    assert!(matches!(
        list.routes.first().map(|r| &r.prefix),
        Some(Cow::Owned(_))
    ));
    assert_eq!(
        serde_json::to_value(&list).unwrap_or_default(),
        json!({"table": "Cust11.inet.0", "routes": [
            {"prefix": "10.17.11.0/25", "protocol": "bgp", "active": true, "preference": 170,
             "local_pref": 150, "as_path": [12076], "next_hops": ["192.168.11.0", "192.168.11.2"],
             "next_hop_interfaces": ["reth1.11", "reth2.11"], "from": null,
             "table": "Cust11.inet.0"},
            {"prefix": "10.17.11.0/25", "protocol": "bgp", "active": false, "preference": 170,
             "local_pref": 100, "as_path": [65515], "next_hops": [],
             "next_hop_interfaces": ["st0.118"], "from": "10.17.11.76", "table": "Cust11.inet.0"},
            {"prefix": "10.17.11.76/32", "protocol": "static", "active": true, "preference": 5,
             "local_pref": null, "as_path": null, "next_hops": [],
             "next_hop_interfaces": ["st0.118"], "from": null, "table": "Cust11.inet.0"},
            {"prefix": "::/0", "protocol": "static", "active": true, "preference": 5,
             "local_pref": null, "as_path": [], "next_hops": ["2001:db8::1"],
             "next_hop_interfaces": [], "from": null, "table": "inet6.0"}]})
    );
}

#[test]
fn self_next_hop_and_prefixed_elements() {
    let input = r#"<junos:rpc-reply xmlns:junos="urn:j"><route-information><route-table>
<table-name>Cust11.inet.0</table-name><rt><rt-destination>10.1.11.0/25</rt-destination>
<rt-entry><active-tag>*</active-tag><as-path>[65020] I</as-path><nh><to>Self</to></nh></rt-entry>
</rt></route-table></route-information></junos:rpc-reply>"#;
    assert_eq!(
        to_value(input)["routes"][0],
        json!({"prefix": "10.1.11.0/25", "protocol": null, "active": true, "preference": null,
               "local_pref": null, "as_path": [], "next_hops": null, "next_hop_interfaces": [],
               "from": null, "table": "Cust11.inet.0"})
    );
}

#[test]
fn stops_at_the_prompt_after_the_reply() {
    let input = format!("{ONE_ROUTE}show route | display xml\n<rpc-reply><oops>\n");
    assert_eq!(parse(&input).map(|l| l.routes.len()), Ok(1));
    let with_mode_line = format!("{{master:0}}\n{ONE_ROUTE}\n{{master:0}}\n");
    assert_eq!(parse(&with_mode_line).map(|l| l.routes.len()), Ok(1));
}

#[test]
fn truncated_xml_is_an_error_on_the_last_line() {
    let cut = ONE_ROUTE.find("<tsi>").unwrap_or(0);
    let input = &ONE_ROUTE[..cut];
    let e = parse(input)
        .err()
        .unwrap_or_else(|| panic!("truncated input parsed"));
    assert_eq!(e.line, input.lines().count());
    assert!(e.message.contains("truncated"), "{}", e.message);
}

#[test]
fn malformed_xml_names_its_line() {
    let input = ONE_ROUTE.replacen("</via>", "</vía>", 1);
    let want = input
        .lines()
        .position(|l| l.contains("</vía>"))
        .map(|i| i + 1);
    let e = parse(&input)
        .err()
        .unwrap_or_else(|| panic!("mismatched tags parsed"));
    assert_eq!(Some(e.line), want, "{e}");
}

#[test]
fn non_number_preference_names_its_line() {
    let input = ONE_ROUTE.replacen("\t\t\t\t\t\t170\n", "\t\t\t\t\t\thigh\n", 1);
    let want = input
        .lines()
        .position(|l| l.trim() == "high")
        .map(|i| i + 1);
    let e = parse(&input)
        .err()
        .unwrap_or_else(|| panic!("bad preference parsed"));
    assert_eq!(Some(e.line), want, "{e}");
    assert!(
        e.message.contains("`high` is not a number"),
        "{}",
        e.message
    );

    let bad_path = ONE_ROUTE.replacen("AS path: 12076 I", "AS path: 12076 x I", 1);
    let want = bad_path
        .lines()
        .position(|l| l.contains("12076 x"))
        .map(|i| i + 1);
    let e = parse(&bad_path)
        .err()
        .unwrap_or_else(|| panic!("bad AS path parsed"));
    assert_eq!(Some(e.line), want, "{e}");
}

#[test]
fn other_documents_are_errors() {
    assert!(parse("").is_err());
    assert!(parse("show route | display xml\n").is_err());
    let e = parse("<rpc-reply><bgp-information/></rpc-reply>")
        .err()
        .unwrap_or_else(|| panic!("not routes"));
    assert!(e.message.contains("route-information"), "{}", e.message);
    let no_dest = "<route-information><route-table><rt>\n<rt-entry><active-tag>*</active-tag></rt-entry>\n</rt></route-table></route-information>";
    let e = parse(no_dest)
        .err()
        .unwrap_or_else(|| panic!("rt without destination parsed"));
    assert_eq!(e.line, 3, "{e}");
    assert!(parse("<route-information>&bogus;</route-information>").is_ok());
    assert!(parse("<route-information><route-table><table-name>&bogus;</table-name></route-table></route-information>").is_err());
}

fn xml_fixtures() -> [&'static str; 4] {
    [
        include_str!(
            "../../../../../tests/fixtures/junos/route-xml/hyperglass-juniper_route_direct.xml"
        ),
        include_str!(
            "../../../../../tests/fixtures/junos/route-xml/hyperglass-juniper_route_indirect.xml"
        ),
        include_str!("../../../../../tests/fixtures/article/route/fw-cust11-xml.xml"),
        ONE_ROUTE,
    ]
}

proptest! {
    #[test]
    fn arbitrary_input_never_panics(s in "\\PC*") {
        let _ = parse(&s);
    }

    #[test]
    fn xml_like_input_never_panics(s in r#"[<>/="&#;a-z \-\n]{0,200}"#) {
        let _ = parse(&s);
        let _ = parse(&format!("<route-information><route-table><rt>{s}"));
    }

    #[test]
    fn truncated_fixtures_never_panic(which in 0usize..4, at in 0.0f64..1.0) {
        let text = xml_fixtures()[which];
        let mut cut = (text.len() as f64 * at) as usize;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let _ = parse(&text[..cut]);
    }

    #[test]
    fn spliced_fixtures_never_panic(which in 0usize..4, at in 0.0f64..1.0, len in 0usize..64, junk in "\\PC{0,16}") {
        let text = xml_fixtures()[which];
        let start = (text.len() as f64 * at) as usize;
        let end = (start + len).min(text.len());
        if let (Some(head), Some(tail)) = (text.get(..start), text.get(end..)) {
            let _ = parse(&format!("{head}{junk}{tail}"));
        }
    }
}

#[test]
fn use_tags_and_interfaces() {
    let input = r##"<rpc-reply><route-information><route-table><table-name>inet.0</table-name>
<rt><rt-destination>150.100.1.0/24</rt-destination>
<rt-entry><active-tag>@</active-tag><protocol-name>EVPN</protocol-name><preference>170</preference>
<nh><selected-next-hop/><to>10.10.5.1</to><via>xe-0/0/2.0</via></nh></rt-entry>
<rt-entry><active-tag>#</active-tag><protocol-name>Multipath</protocol-name><preference>255</preference>
<nh><to>10.10.5.1</to><via>xe-0/0/2.0</via></nh><nh><to>10.10.6.1</to><via>xe-0/0/0.0</via></nh>
<protocol-nh><to>10.9.9.9</to><via>ge-9/9/9.0</via></protocol-nh></rt-entry></rt>
</route-table></route-information></rpc-reply>"##;
    let v = to_value(input);
    assert_eq!(v["routes"][0]["use"], "routing-only");
    assert_eq!(v["routes"][0]["active"], true);
    assert_eq!(v["routes"][1]["use"], "forwarding-only");
    assert_eq!(v["routes"][1]["active"], false);
    // `protocol-nh` is no next hop: neither its address nor its interface.
    assert_eq!(
        v["routes"][1]["next_hop_interfaces"],
        json!(["xe-0/0/2.0", "xe-0/0/0.0"])
    );
    assert_eq!(
        v["routes"][1]["next_hops"],
        json!(["10.10.5.1", "10.10.6.1"])
    );
}
