//! Parser throughput against DESIGN.md's budget (Junos `show route` text:
//! ≥ 500 MB/s on one core). Run with `cargo bench --bench parse`; see
//! benches/README.md.

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
