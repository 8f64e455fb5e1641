//! Traceroute outputs as a [`Trace`]: Linux/BSD/macOS `traceroute` and
//! `traceroute6`, Junos `traceroute` (its text has the BSD line shape; its
//! `| display xml` form is XML), and Windows `tracert`.
//!
//! The format is decided by the first line that is not a prompt, an echoed
//! command or a warning: `<` starts XML, `traceroute to` / `traceroute6 to` the
//! BSD-shaped text, `Tracing route to` a `tracert`. A `tracert` from a
//! non-English Windows prints a translated header, so when none of those is
//! found the `tracert` hop-line shape itself (a TTL and three probe columns) is
//! looked for, and the nearest line above it that names an address is taken as
//! the header. Without any header the input is refused: hop lines alone could
//! be anything.

mod junos_xml;
mod linux;
mod windows;

use std::net::{IpAddr, Ipv6Addr};

use super::ParseError;
use crate::model::{Hop, Trace};

/// Parses any supported traceroute output.
pub fn parse(input: &str) -> Result<Trace, ParseError> {
    match detect(input)? {
        Format::Xml { offset } => junos_xml::parse(input, offset),
        Format::Bsd { header, target } => linux::parse(input, header, target),
        Format::Windows { header, target } => windows::parse(input, header, target),
    }
}

#[derive(Debug, PartialEq)]
enum Format {
    /// XML whose first line starts at byte `offset`.
    Xml { offset: usize },
    /// BSD-shaped text (Linux, BSD, macOS, Junos); `header` is its 1-based line.
    Bsd {
        header: usize,
        target: Option<String>,
    },
    /// Windows `tracert`; `header` is the 1-based line of its first header line.
    Windows {
        header: usize,
        target: Option<String>,
    },
}

fn detect(input: &str) -> Result<Format, ParseError> {
    for line in lines(input) {
        let t = line.text.trim();
        if is_xml_start(t) {
            return Ok(Format::Xml {
                offset: line.offset,
            });
        }
        if let Some(rest) = bsd_header(t) {
            return Ok(Format::Bsd {
                header: line.no,
                target: header_target(rest, '(', ')'),
            });
        }
        if let Some(rest) = windows_header(t) {
            return Ok(Format::Windows {
                header: line.no,
                target: header_target(rest, '[', ']'),
            });
        }
    }
    if let Some((header, target)) = windows::localized_header(input) {
        return Ok(Format::Windows {
            header,
            target: Some(target),
        });
    }
    Err(ParseError::new(
        0,
        "no traceroute header found (`traceroute to …`, `traceroute6 to …`, `Tracing route to …`, or Junos XML)",
    ))
}

fn is_xml_start(t: &str) -> bool {
    let mut chars = t.chars();
    chars.next() == Some('<')
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '?')
}

/// The rest of a Linux/BSD/Junos header line after `traceroute to `.
fn bsd_header(t: &str) -> Option<&str> {
    t.strip_prefix("traceroute to ")
        .or_else(|| t.strip_prefix("traceroute6 to "))
}

fn windows_header(t: &str) -> Option<&str> {
    t.strip_prefix("Tracing route to ")
}

/// `NAME (ADDR), …` gives ADDR; a header without the enclosed address gives NAME.
fn header_target(rest: &str, open: char, close: char) -> Option<String> {
    let mut toks = rest.split_whitespace();
    let first = toks.next()?.trim_end_matches(',');
    // `name(addr)` written without a space
    let (name, glued) = match first.split_once(open) {
        Some((name, tail)) => (name, Some(tail)),
        None => (first, None),
    };
    let enclosed_addr = match glued {
        Some(tail) => tail.split_once(close).map(|(inner, _)| inner),
        None => toks.next().and_then(|next| enclosed(next, open, close)),
    };
    match enclosed_addr {
        Some(addr) if !addr.is_empty() => Some(addr.to_owned()),
        _ => (!name.is_empty()).then(|| name.to_owned()),
    }
}

/// One line of the input.
#[derive(Debug, Clone, Copy)]
struct Line<'a> {
    /// 1-based line number.
    no: usize,
    /// Byte offset of the line's first character.
    offset: usize,
    /// The line without its `\n` / `\r\n`.
    text: &'a str,
}

fn lines(input: &str) -> impl Iterator<Item = Line<'_>> {
    let mut offset = 0;
    input
        .split_inclusive('\n')
        .enumerate()
        .map(move |(i, raw)| {
            let start = offset;
            offset += raw.len();
            let text = raw.strip_suffix('\n').unwrap_or(raw);
            let text = text.strip_suffix('\r').unwrap_or(text);
            Line {
                no: i + 1,
                offset: start,
                text,
            }
        })
}

/// An IPv4 or IPv6 address as traceroute prints it (IPv6 may carry a `%zone`).
fn is_addr(s: &str) -> bool {
    s.parse::<IpAddr>().is_ok()
        || s.split_once('%')
            .is_some_and(|(addr, zone)| !zone.is_empty() && addr.parse::<Ipv6Addr>().is_ok())
}

/// A round-trip time as printed before `ms`: `0.512`, `11`, or `tracert`'s
/// `<1`, which reads as its bound. Only plain decimals: `f64::from_str` would
/// also take `inf`, `NaN` or `1e3`, none of which a tool prints.
fn number(s: &str) -> Option<f64> {
    let s = s.strip_prefix('<').unwrap_or(s);
    let (int, frac) = match s.split_once(['.', ',']) {
        Some((int, frac)) => (int, Some(frac)),
        None => (s, None),
    };
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !frac.is_none_or(digits) {
        return None;
    }
    match frac {
        Some(frac) => format!("{int}.{frac}").parse().ok(),
        None => int.parse().ok(),
    }
}

fn is_ms(t: &str) -> bool {
    t == "ms" || t == "msec"
}

/// `0.512ms` (inetutils prints no space before the unit).
fn glued_rtt(t: &str) -> Option<f64> {
    t.strip_suffix("ms").and_then(number)
}

/// A host name token: letters, digits, `-`, `.`, `_`, with at least one letter.
fn is_name(t: &str) -> bool {
    !t.is_empty()
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
        && t.bytes().any(|b| b.is_ascii_alphabetic())
}

/// The inside of `(x)` / `[x]` (a trailing comma tolerated).
fn enclosed(t: &str, open: char, close: char) -> Option<&str> {
    t.trim_end_matches(',')
        .strip_prefix(open)?
        .strip_suffix(close)
}

fn parse_ttl(tok: &str, line: usize) -> Result<u8, ParseError> {
    match tok.parse::<u8>() {
        Ok(0) | Err(_) => Err(ParseError::new(
            line,
            format!("TTL `{tok}` is not between 1 and 255"),
        )),
        Ok(ttl) => Ok(ttl),
    }
}

fn add_address(hop: &mut Hop, addr: &str) {
    if !hop.addresses.iter().any(|a| a == addr) {
        hop.addresses.push(addr.to_owned());
    }
}

fn empty_hop(ttl: u8) -> Hop {
    Hop {
        ttl,
        addresses: Vec::new(),
        rtts_ms: Vec::new(),
        timeout: true,
    }
}

/// Collects hops and holds the one invariant every format shares: TTLs
/// strictly increase.
#[derive(Debug)]
struct Builder {
    target: Option<String>,
    hops: Vec<Hop>,
}

impl Builder {
    fn new(target: Option<String>) -> Self {
        Self {
            target,
            hops: Vec::new(),
        }
    }

    fn push(&mut self, hop: Hop, line: usize) -> Result<(), ParseError> {
        if let Some(last) = self.hops.last()
            && hop.ttl <= last.ttl
        {
            return Err(ParseError::new(
                line,
                format!(
                    "TTL {} after TTL {}: hop TTLs must increase",
                    hop.ttl, last.ttl
                ),
            ));
        }
        self.hops.push(hop);
        Ok(())
    }

    /// Adds `hop`, or folds it into the last hop when that has the same TTL.
    fn merge(&mut self, hop: Hop, line: usize) -> Result<(), ParseError> {
        match self.hops.last_mut() {
            Some(last) if last.ttl == hop.ttl => {
                for a in &hop.addresses {
                    add_address(last, a);
                }
                last.rtts_ms.extend(hop.rtts_ms);
                Ok(())
            }
            _ => self.push(hop, line),
        }
    }

    fn current(&mut self) -> Option<&mut Hop> {
        self.hops.last_mut()
    }

    fn finish(mut self) -> Trace {
        for hop in &mut self.hops {
            hop.timeout = hop.addresses.is_empty() && hop.rtts_ms.is_empty();
        }
        Trace {
            target: self.target,
            hops: self.hops,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const FIXTURES: &[&str] = &[
        include_str!("../../../../tests/fixtures/traceroute/linux/jc-freebsd12-traceroute6.txt"),
        include_str!(
            "../../../../tests/fixtures/traceroute/linux/jc-generic-traceroute-n-ipv4.txt"
        ),
        include_str!("../../../../tests/fixtures/traceroute/linux/jc-generic-traceroute2.txt"),
        include_str!("../../../../tests/fixtures/traceroute/linux/jc-generic-traceroute7.txt"),
        include_str!("../../../../tests/fixtures/traceroute/linux/jc-generic-traceroute8.txt"),
        include_str!(
            "../../../../tests/fixtures/traceroute/junos/genie-TracerouteNoResolve-golden_output_2.txt"
        ),
        include_str!(
            "../../../../tests/fixtures/traceroute/junos/napalm-traceroute-8.8.8.8-rpc-reply.xml"
        ),
        include_str!("../../../../tests/fixtures/traceroute/windows/article-before-failover.txt"),
        include_str!("../../../../tests/fixtures/traceroute/windows/article-after-failover.txt"),
    ];

    /// Lines no fixture holds but real outputs do.
    const EXTRA_LINES: &[&str] = &[
        "     MPLS Label=299792 CoS=0 TTL=1 S=1",
        " 3  10.0.0.1  3.0 ms !H  3.1 ms !N  *",
        " 4  10.0.0.2  1.1ms  1.2ms  1.3ms",
        "  2  10.0.0.1  reports: Destination net unreachable.",
        "  3     *        *        *     要求がタイムアウトしました。",
        "10.17.11.132 へのルートをトレースしています",
        "over a maximum of 30 hops:",
        "Tracing route to vm.example [10.17.11.132]",
        "traceroute to 10.17.11.132 (10.17.11.132), 30 hops max, 60 byte packets",
        "user@SEA-SRX42-01> traceroute 10.17.11.132 routing-instance Cust11",
        "{primary:node0}",
        " x  10.0.0.1  1.0 ms",
        " 5  10.0.0.1  abc ms",
        "300  10.0.0.1  1 ms",
        "<hop><ttl-value>1</ttl-value><probe-result><rtt>12</rtt></probe-result></hop>",
        "</traceroute-results></rpc-reply>",
        "",
    ];

    fn real_lines() -> Vec<&'static str> {
        FIXTURES
            .iter()
            .flat_map(|f| f.lines())
            .chain(EXTRA_LINES.iter().copied())
            .collect()
    }

    fn check(input: &str) {
        if let Ok(trace) = parse(input) {
            for pair in trace.hops.windows(2) {
                if let [a, b] = pair {
                    assert!(a.ttl < b.ttl, "TTLs not increasing in {trace:?}");
                }
            }
            assert!(trace.hops.iter().all(|h| h.ttl >= 1));
            for hop in &trace.hops {
                assert_eq!(
                    hop.timeout,
                    hop.addresses.is_empty() && hop.rtts_ms.is_empty()
                );
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn arbitrary_strings_never_panic(s in any::<String>()) {
            check(&s);
        }

        #[test]
        fn mixes_of_real_lines_never_panic(
            picked in prop::collection::vec(prop::sample::select(real_lines()), 0..40)
        ) {
            check(&picked.join("\n"));
        }

        #[test]
        fn real_lines_after_each_header_never_panic(
            header in prop::sample::select(vec![
                "traceroute to 10.17.11.132 (10.17.11.132), 30 hops max, 60 byte packets",
                "Tracing route to 10.17.11.132 over a maximum of 30 hops",
                "<rpc-reply><traceroute-results><target-ip>10.17.11.132</target-ip>",
            ]),
            picked in prop::collection::vec(
                prop_oneof![3 => prop::sample::select(real_lines()).prop_map(str::to_owned), 1 => ".{0,30}"],
                0..40,
            )
        ) {
            check(&format!("{header}\n{}", picked.join("\n")));
        }

        #[test]
        fn chopped_fixtures_never_panic(idx in 0..FIXTURES.len(), cut in 0usize..6000, ins in ".{0,8}") {
            let f = FIXTURES[idx];
            let mut at = cut.min(f.len());
            while !f.is_char_boundary(at) {
                at -= 1;
            }
            check(&f[..at]);
            check(&format!("{}{ins}{}", &f[..at], &f[at..]));
        }
    }

    /// A well-formed trace: per hop, a TTL step and per probe `None` (no
    /// answer) or the answering address (an index into a small pool, so
    /// repeats happen) and an RTT in microseconds.
    type Step = (u8, Vec<Option<(usize, u32)>>);

    fn traces() -> impl Strategy<Value = Vec<Step>> {
        prop::collection::vec(
            (
                1u8..4,
                prop::collection::vec(prop::option::of((0usize..4, 0u32..2_000_000)), 1..4),
            ),
            0..20,
        )
    }

    const POOL: [&str; 4] = ["10.1.11.1", "192.168.11.18", "2001:db8::1", "10.17.11.132"];

    fn expected(steps: &[Step], rtt: impl Fn(u32) -> f64) -> Vec<Hop> {
        let mut ttl = 0u8;
        steps
            .iter()
            .map(|(step, probes)| {
                ttl += step;
                let mut hop = empty_hop(ttl);
                for (a, us) in probes.iter().flatten() {
                    add_address(&mut hop, POOL[*a]);
                    hop.rtts_ms.push(rtt(*us));
                }
                hop.timeout = hop.addresses.is_empty();
                hop
            })
            .collect()
    }

    proptest! {
        #[test]
        fn linux_rendering_round_trips(steps in traces()) {
            let mut text = String::from("traceroute to 10.17.11.132 (10.17.11.132), 60 hops max\n");
            let mut ttl = 0u8;
            for (step, probes) in &steps {
                ttl += step;
                text.push_str(&format!("{ttl:2} "));
                let mut last = None;
                for p in probes {
                    match p {
                        None => text.push_str(" *"),
                        Some((a, us)) => {
                            if last != Some(*a) {
                                text.push_str(&format!(" {}", POOL[*a]));
                                last = Some(*a);
                            }
                            text.push_str(&format!("  {}.{:03} ms", us / 1000, us % 1000));
                        }
                    }
                }
                text.push('\n');
            }
            let t = parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
            prop_assert_eq!(t.hops, expected(&steps, |us| f64::from(us) / 1000.0));
        }

        #[test]
        fn windows_rendering_round_trips(steps in traces()) {
            // tracert shows one address per hop: make every answer come from it
            let steps: Vec<_> = steps
                .into_iter()
                .map(|(s, probes)| {
                    let a = probes.iter().flatten().map(|(a, _)| *a).next();
                    (s, probes.into_iter().map(|p| p.map(|(_, us)| (a.unwrap_or(0), us))).collect::<Vec<_>>())
                })
                .collect();
            let mut text = String::from("Tracing route to 10.17.11.132 over a maximum of 60 hops\n\n");
            let mut ttl = 0u8;
            for (step, probes) in &steps {
                ttl += step;
                text.push_str(&format!("{ttl:3}"));
                for p in probes {
                    match p {
                        None => text.push_str("     *   "),
                        Some((_, us)) if *us < 1000 => text.push_str("    <1 ms"),
                        Some((_, us)) => text.push_str(&format!("  {:4} ms", us / 1000)),
                    }
                }
                match probes.iter().flatten().next() {
                    Some((a, _)) => text.push_str(&format!("  {}\n", POOL[*a])),
                    None => text.push_str("  Request timed out.\n"),
                }
            }
            text.push_str("\nTrace complete.\n");
            let t = parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
            prop_assert_eq!(t.hops, expected(&steps, |us| f64::from((us / 1000).max(1))));
        }
    }

    #[test]
    fn detects_each_format() {
        assert_eq!(detect("<rpc-reply>").ok(), Some(Format::Xml { offset: 0 }));
        assert_eq!(
            detect("r1> traceroute 1.2.3.4 | display xml\n<rpc-reply>").ok(),
            Some(Format::Xml { offset: 37 })
        );
        assert_eq!(
            detect("$ traceroute -n h\ntraceroute to h (1.2.3.4), 30 hops max\n").ok(),
            Some(Format::Bsd {
                header: 2,
                target: Some("1.2.3.4".into())
            })
        );
        assert_eq!(
            detect("traceroute6 to h (2001:db8::1) from 2001:db8::2, 64 hops max").ok(),
            Some(Format::Bsd {
                header: 1,
                target: Some("2001:db8::1".into())
            })
        );
        assert_eq!(
            detect("C:\\>tracert h\n\nTracing route to h [1.2.3.4]\nover a maximum of 30 hops:\n")
                .ok(),
            Some(Format::Windows {
                header: 3,
                target: Some("1.2.3.4".into())
            })
        );
    }

    #[test]
    fn header_target_forms() {
        assert_eq!(
            header_target("1.2.3.4 (1.2.3.4), 30 hops max", '(', ')').as_deref(),
            Some("1.2.3.4")
        );
        assert_eq!(
            header_target("h, 30 hops max", '(', ')').as_deref(),
            Some("h")
        );
        assert_eq!(
            header_target("h(1.2.3.4), 30 hops", '(', ')').as_deref(),
            Some("1.2.3.4")
        );
        assert_eq!(
            header_target("10.17.11.132 over a maximum of 30 hops", '[', ']').as_deref(),
            Some("10.17.11.132")
        );
        assert_eq!(header_target("", '(', ')'), None);
    }

    #[test]
    fn no_header_is_an_error() {
        let e = parse(" 1  10.0.0.1  0.5 ms\n 2  * * *\n").expect_err("must be refused");
        assert_eq!(e.line, 0);
        assert!(parse("").is_err());
        assert!(parse("  1    <1 ms    <1 ms    <1 ms  10.1.11.1\n").is_err());
    }

    #[test]
    fn number_forms() {
        assert_eq!(number("0.512"), Some(0.512));
        assert_eq!(number("11"), Some(11.0));
        assert_eq!(number("<1"), Some(1.0));
        assert_eq!(number("1,5"), Some(1.5));
        for bad in [
            "", ".5", "5.", "inf", "NaN", "1e3", "1.2.3", "-1", "<", "１",
        ] {
            assert_eq!(number(bad), None, "{bad}");
        }
    }

    #[test]
    fn address_forms() {
        for good in ["10.1.11.1", "2001:db8::1", "fe80::1%eth0", "::1"] {
            assert!(is_addr(good), "{good}");
        }
        for bad in ["10.1.11", "host", "fe80::1%", "1.2.3.4%eth0", "[10.1.1.1]"] {
            assert!(!is_addr(bad), "{bad}");
        }
    }
}
