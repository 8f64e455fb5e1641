use super::*;
use crate::parse::line_of;
use proptest::prelude::*;

#[test]
fn columns_count_characters() {
    assert_eq!(line_col("ab\ncdé f", 0), (1, 1));
    assert_eq!(line_col("ab\ncdé f", 3), (2, 1));
    assert_eq!(line_col("ab\ncdé f", 8), (2, 5));
    assert_eq!(line_col("ab", 99), (1, 3));
}

proptest! {
    /// Whatever order the positions come in, the running count gives
    /// the line a count from the start gives.
    #[test]
    fn running_count_agrees_with_a_rescan(
        text in "[a-c\n]{0,400}",
        positions in proptest::collection::vec(0usize..450, 0..40),
    ) {
        let mut lines = LineCounter::new(&text);
        for p in positions {
            prop_assert_eq!(lines.line_at(p), line_of(&text, p));
        }
    }
}

/// A `show route | display xml` reply of `routes` destinations, pretty
/// printed as Junos does (one element a line), with the `<preference>` of
/// route `bad` (if any) not a number. Returns the text and the line of
/// that value.
fn big_route_xml(routes: usize, bad: Option<usize>) -> (String, usize) {
    use std::fmt::Write as _;
    let mut s = String::from(
        "user@r> show route table Cust11.inet.0 | display xml\n\
         <rpc-reply xmlns:junos=\"http://xml.juniper.net/junos/21.4R0/junos\">\n\
         <route-information>\n<route-table>\n<table-name>Cust11.inet.0</table-name>\n",
    );
    let mut line = 6;
    let mut bad_line = 0;
    for i in 0..routes {
        let preference = if Some(i) == bad {
            bad_line = line + 6;
            "1x0"
        } else {
            "170"
        };
        let _ = write!(
            s,
            "<rt>\n<rt-destination>10.{}.{}.0/24</rt-destination>\n<rt-entry>\n\
             <active-tag>*</active-tag>\n<protocol-name>BGP</protocol-name>\n\
             <preference>\n{preference}\n</preference>\n<nh>\n<to>192.0.2.1</to>\n</nh>\n\
             </rt-entry>\n</rt>\n",
            (i >> 8) & 0xff,
            i & 0xff
        );
        line += 13;
    }
    s.push_str("</route-table>\n</route-information>\n</rpc-reply>\n\nuser@r> ");
    (s, bad_line)
}

/// XML elements, `per_line` to a line, for the element tree the BGP and
/// BFD parsers read; returns the text and the line of element `probe`.
fn big_tree_xml(elements: usize, per_line: usize, probe: usize) -> (String, usize) {
    let mut s = String::from("user@r> show bgp summary | display xml\n<rpc-reply>\n");
    let mut line = 3;
    let mut probe_line = 0;
    for i in 0..elements {
        if i == probe {
            probe_line = line;
            s.push_str("<probe>x</probe>");
        } else {
            s.push_str("<e a=\"1\">t</e>");
        }
        if (i + 1) % per_line == 0 {
            s.push('\n');
            line += 1;
        }
    }
    s.push_str("\n</rpc-reply>\n");
    (s, probe_line)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6))]

    /// The route XML parser names the line of every value it reads from
    /// one running count: on a big reply the line it reports is still the
    /// line of the fault.
    #[test]
    fn big_route_xml_errors_name_the_right_line(routes in 1_000usize..12_000, at in 0.0f64..1.0) {
        let bad = ((routes as f64 * at) as usize).min(routes - 1);
        let (xml, line) = big_route_xml(routes, Some(bad));
        let e = crate::parse::junos_route_xml::parse(&xml).expect_err("refused");
        prop_assert_eq!(e.line, line, "{}", e);
        prop_assert!(e.message.contains("preference"), "{}", e);
    }

    #[test]
    fn big_element_trees_keep_each_elements_line(
        elements in 2_000usize..40_000,
        per_line in 1usize..30,
        at in 0.0f64..1.0,
    ) {
        let probe = ((elements as f64 * at) as usize).min(elements - 1);
        let (xml, line) = big_tree_xml(elements, per_line, probe);
        let root = crate::parse::junos_bgp_summary::xml_tree::parse(&xml).expect("parses");
        let found = root.find("probe").expect("the probe element");
        prop_assert_eq!(found.line, line);
        // Cut short: the error names the line of the element left open.
        let cut = xml.trim_end().trim_end_matches("</rpc-reply>");
        let e = crate::parse::junos_bgp_summary::xml_tree::parse(cut).expect_err("unclosed");
        prop_assert_eq!(e.line, 2, "{}", e);
    }
}

#[test]
fn a_big_route_reply_reads_whole() {
    let (xml, _) = big_route_xml(20_000, None);
    let list = crate::parse::junos_route_xml::parse(&xml).expect("parses");
    assert_eq!(list.routes.len(), 20_000);
    assert_eq!(list.routes[19_999].prefix, "10.78.31.0/24");
}
