//! Parser throughput against DESIGN.md's budget (Junos `show route` text:
//! ≥ 500 MB/s on one core), and the inputs that must stay linear (issue
//! 14: 300k sibling XML elements, a big `| display xml` route reply). Run
//! with `cargo bench --bench parse`; see benches/README.md.

use std::fmt::Write as _;
use std::hint::black_box;

use cutover_core::parse::junos_route;
use divan::Bencher;
use divan::counter::BytesCount;

fn main() {
    divan::main();
}

/// A `show route table` capture shaped like the firewall's Cust11.inet.0
/// (one ExpressRoute path active, one VPN path inactive per prefix), scaled
/// to `prefixes` destinations: what a core router's full table looks like
/// to the parser, without shipping hundreds of megabytes of fixtures.
fn synthetic_table(prefixes: u32) -> String {
    let mut s = String::with_capacity(prefixes as usize * 400);
    let _ = writeln!(
        s,
        "{{primary:node0}}\nnetops@SEA-SRX42-01> show route table Cust11.inet.0 | no-more\n\n\
         Cust11.inet.0: {prefixes} destinations, {} routes ({prefixes} active, 0 holddown, 0 hidden)\n\
         + = Active Route, - = Last Active, * = Both\n",
        prefixes * 2
    );
    for i in 0..prefixes {
        let (a, b, c) = ((i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
        let _ = write!(
            s,
            "10.{a}.{b}.{c}/32{pad}*[BGP/170] 6w2d 03:14:15, localpref 150, from 192.168.11.0\n\
             \x20                     AS path: 12076 {asn} I, validation-state: unverified\n\
             \x20                   >  to 192.168.11.0 via reth1.11\n\
             \x20                   [BGP/170] 1d 04:05:06, localpref 100, from 10.17.11.76\n\
             \x20                     AS path: 65515 {asn} I, validation-state: unverified\n\
             \x20                   >  to 10.17.11.76 via st0.118\n",
            pad = " ".repeat(19usize.saturating_sub(format!("10.{a}.{b}.{c}/32").len())),
            asn = 64512 + (i % 1000),
        );
    }
    s
}

#[divan::bench(args = [10_000, 100_000])]
fn junos_route_text(bencher: Bencher, prefixes: u32) {
    let text = synthetic_table(prefixes);
    bencher.counter(BytesCount::new(text.len())).bench(|| {
        let parsed = junos_route::parse(black_box(&text));
        black_box(parsed.map(|r| r.routes.len()).unwrap_or(0))
    });
}

/// The adversarial input: a Junos `traceroute | display xml` reply
/// of 300k sibling elements (the file was 2.4 MB; this one is 2.9 MB: `<a></a>`, with a real `<hop>` now
/// and then). It took 35 s when every start tag's line was counted from the
/// start of the input; it must take well under a second (read or refused).
fn sibling_flood(siblings: usize) -> String {
    let mut s = String::with_capacity(siblings * 9 + 200);
    s.push_str("<rpc-reply>\n<traceroute-results>\n<target-ip>10.0.0.1</target-ip>\n");
    for i in 0..siblings {
        if i % 64 == 0 {
            // One probe per `<hop>`, as Junos prints probes of one TTL
            // that answered from different addresses.
            let _ = writeln!(
                s,
                "<hop><ttl-value>1</ttl-value><probe-result><ip-address>10.{}.{}.1</ip-address><rtt>500</rtt></probe-result></hop>",
                (i >> 14) & 0xff,
                (i >> 6) & 0xff
            );
        } else {
            s.push_str("<a></a>\n");
        }
    }
    s.push_str("</traceroute-results>\n</rpc-reply>\n");
    s
}

#[divan::bench(args = [300_000])]
fn junos_traceroute_xml_siblings(bencher: Bencher, siblings: usize) {
    let xml = sibling_flood(siblings);
    bencher.counter(BytesCount::new(xml.len())).bench(|| {
        let parsed = cutover_core::parse::traceroute::parse(black_box(&xml));
        black_box(parsed.map(|t| t.hops.len()).unwrap_or(0))
    });
}

/// `show route table … | display xml` of `prefixes` destinations, pretty
/// printed one element a line as Junos does: every value read names its
/// line, from one running count.
fn synthetic_xml(prefixes: u32) -> String {
    let mut s = String::with_capacity(prefixes as usize * 600);
    s.push_str(
        "netops@SEA-SRX42-01> show route table Cust11.inet.0 | display xml\n\
         <rpc-reply xmlns:junos=\"http://xml.juniper.net/junos/21.4R0/junos\">\n\
         <route-information xmlns=\"http://xml.juniper.net/junos/21.4R0/junos-routing\">\n\
         <route-table>\n<table-name>Cust11.inet.0</table-name>\n",
    );
    for i in 0..prefixes {
        let (a, b, c) = ((i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
        let _ = write!(
            s,
            "<rt junos:style=\"brief\">\n<rt-destination>10.{a}.{b}.{c}/32</rt-destination>\n\
             <rt-entry>\n<active-tag>*</active-tag>\n<protocol-name>BGP</protocol-name>\n\
             <preference>170</preference>\n<local-preference>150</local-preference>\n\
             <as-path>12076 {asn} I\n</as-path>\n<nh>\n<selected-next-hop/>\n\
             <to>192.168.11.0</to>\n<via>reth1.11</via>\n</nh>\n</rt-entry>\n</rt>\n",
            asn = 64512 + (i % 1000),
        );
    }
    s.push_str("</route-table>\n</route-information>\n</rpc-reply>\n\nnetops@SEA-SRX42-01> ");
    s
}

#[divan::bench(args = [100_000])]
fn junos_route_xml(bencher: Bencher, prefixes: u32) {
    let xml = synthetic_xml(prefixes);
    bencher.counter(BytesCount::new(xml.len())).bench(|| {
        let parsed = junos_route::parse(black_box(&xml));
        black_box(parsed.map(|r| r.routes.len()).unwrap_or(0))
    });
}
