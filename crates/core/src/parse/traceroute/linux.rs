//! The BSD line shape shared by Linux, FreeBSD, macOS and Junos `traceroute`:
//! a `%2d ` TTL, then per probe an address (`name (addr)`, or bare with `-n`)
//! when it differs from the previous probe's, `N ms` or `*`, and annotations.
//! BSD-derived tools (macOS, FreeBSD, Junos) put a probe from another address
//! on an indented continuation line; Junos adds `MPLS Label=…` lines and lets
//! its stderr (`traceroute: sendto: …`) interleave with the hop lines.

use super::{
    Builder, Line, ParseError, Trace, add_address, bsd_header, enclosed, glued_rtt, is_addr, is_ms,
    is_name, lines, number, parse_ttl,
};
use crate::model::Hop;

pub(super) fn parse(
    input: &str,
    header: usize,
    target: Option<String>,
) -> Result<Trace, ParseError> {
    let mut trace = Builder::new(target);
    for line in lines(input).skip(header) {
        parse_line(&mut trace, line)?;
    }
    Ok(trace.finish())
}

fn parse_line(trace: &mut Builder, line: Line<'_>) -> Result<(), ParseError> {
    let text = strip_stderr(line.text);
    let trimmed = text.trim();
    if bsd_header(trimmed).is_some() {
        return Err(ParseError::new(
            line.no,
            "a second traceroute header: one trace per input",
        ));
    }
    let toks: Vec<&str> = trimmed.split_whitespace().collect();
    let Some((&first, rest)) = toks.split_first() else {
        return Ok(());
    };
    // BSD/Junos ICMP extension lines describe the hop above; they name no
    // address. A prompt may echo the next command, addresses and all.
    if first == "MPLS" || is_prompt(first) {
        return Ok(());
    }
    let next = rest.first().copied();
    if first.bytes().all(|b| b.is_ascii_digit()) && !next.is_some_and(is_ms) {
        let ttl = parse_ttl(first, line.no)?;
        let data = scan(rest, line.no)?;
        let mut hop = super::empty_hop(ttl);
        data.apply(&mut hop);
        return trace.push(hop, line.no);
    }
    let data = scan(&toks, line.no)?;
    if !data.is_hop_data() {
        // prompts, pager remnants, messages: nothing a hop could own
        return Ok(());
    }
    if !starts_continuation(first, next) && in_ttl_column(text, first) {
        return Err(ParseError::new(
            line.no,
            format!("expected a TTL, found `{first}`"),
        ));
    }
    match trace.current() {
        Some(hop) => {
            data.apply(hop);
            Ok(())
        }
        None => Err(ParseError::new(
            line.no,
            "hop data before the first TTL line",
        )),
    }
}

/// Cuts a `traceroute: …` / `traceroute6: …` stderr message that landed on
/// this line: it runs to the end of the line, and whatever stdout printed
/// before it (a `*`, a TTL) is still hop data.
fn strip_stderr(line: &str) -> &str {
    const PROG: &str = "traceroute";
    let mut from = 0;
    while let Some(at) = line
        .get(from..)
        .and_then(|s| s.find(PROG))
        .map(|i| from + i)
    {
        let after = line.get(at + PROG.len()..).unwrap_or_default();
        if after
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .starts_with(':')
        {
            return line.get(..at).unwrap_or_default();
        }
        from = at + PROG.len();
    }
    line
}

/// `user@r1>`, `r1#`, `user@host:~$`, `root@r1:~ %`, `C:\>tracert`: a shell
/// or CLI prompt, which no host name or probe column looks like.
fn is_prompt(first: &str) -> bool {
    // `%` also scopes an IPv6 address (`fe80::1%eth0`)
    !first.starts_with(['<', '!']) && !is_addr(first) && first.contains(['@', '>', '#', '$', '%'])
}

/// Tokens that only ever start a continuation line, never stand for a TTL.
fn starts_continuation(first: &str, next: Option<&str>) -> bool {
    first.bytes().all(|b| b == b'*')
        || is_addr(first)
        || first.starts_with(['(', '[', '<', '!'])
        || (number(first).is_some() && next.is_some_and(is_ms))
        || glued_rtt(first).is_some()
}

/// Whether `first` sits where a TTL is printed: `%2d ` puts it within the
/// first columns and two spaces before the address, whereas BSD continuation
/// lines are indented four columns. A digit-led token there is a mangled TTL
/// even when single-spaced.
fn in_ttl_column(text: &str, first: &str) -> bool {
    let body = text.trim_start();
    let indent = text.len() - body.len();
    let after = body.get(first.len()..).unwrap_or_default();
    indent <= 2
        && (first.starts_with(|c: char| c.is_ascii_digit())
            || after.starts_with("  ")
            || after.starts_with('\t'))
}

/// What one line says about the probes of a hop.
#[derive(Debug, Default)]
struct LineData<'a> {
    /// Addresses, and names shown without one, in order.
    addresses: Vec<&'a str>,
    rtts: Vec<f64>,
    stars: usize,
    /// An actual address (not only a name) was shown.
    has_ip: bool,
}

impl<'a> LineData<'a> {
    fn is_hop_data(&self) -> bool {
        self.has_ip || !self.rtts.is_empty() || self.stars > 0
    }

    fn apply(&self, hop: &mut Hop) {
        for a in &self.addresses {
            add_address(hop, a);
        }
        hop.rtts_ms.extend_from_slice(&self.rtts);
    }

    fn ip(&mut self, addr: &'a str, pending_name: &mut Option<&'a str>) {
        // `name (addr)` and `name addr`: the name is not an address
        *pending_name = None;
        self.addresses.push(addr);
        self.has_ip = true;
    }

    fn keep_name(&mut self, pending_name: &mut Option<&'a str>) {
        if let Some(name) = pending_name.take() {
            self.addresses.push(name);
        }
    }
}

fn scan<'a>(toks: &[&'a str], line: usize) -> Result<LineData<'a>, ParseError> {
    let mut d = LineData::default();
    let mut name: Option<&'a str> = None;
    let mut i = 0;
    while let Some(&t) = toks.get(i) {
        let next = toks.get(i + 1).copied();
        i += 1;
        if t.bytes().all(|b| b == b'*') {
            d.stars += t.len();
            d.keep_name(&mut name);
        } else if t.starts_with('!') {
            // `!H`, `!N`, `!X`, `!<n>`, `!F-1500`: why the probe before ended
        } else if is_ms(t) {
            if next
                .and_then(|n| enclosed(n, '(', ')'))
                .is_some_and(is_addr)
            {
                d.keep_name(&mut name);
                name = Some(t);
            } else {
                return Err(ParseError::new(
                    line,
                    format!("`{t}` without a round-trip time before it"),
                ));
            }
        } else if let Some(v) = number(t) {
            if next.is_some_and(is_ms) {
                d.rtts.push(v);
                d.keep_name(&mut name);
                i += 1;
            }
            // a bare number (a returned TTL, a byte count) is no hop data
        } else if let Some(v) = glued_rtt(t) {
            d.rtts.push(v);
            d.keep_name(&mut name);
        } else if next.is_some_and(is_ms) {
            return Err(ParseError::new(
                line,
                format!("round-trip time `{t}` is not a number"),
            ));
        } else if is_addr(t) {
            d.ip(t, &mut name);
        } else if let Some(inner) = enclosed(t, '(', ')').or_else(|| enclosed(t, '[', ']')) {
            // `[AS15169]`, `[*]`, `(ttl=250)` are annotations, not addresses
            if is_addr(inner) {
                d.ip(inner, &mut name);
            }
        } else if is_name(t) {
            d.keep_name(&mut name);
            name = Some(t);
        }
        // anything else (`<MPLS:L=…>`, `'-2'`, stray punctuation) names no probe
    }
    d.keep_name(&mut name);
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::strip_stderr;
    use crate::model::Hop;

    fn hop(ttl: u8, addresses: &[&str], rtts_ms: &[f64]) -> Hop {
        Hop {
            ttl,
            addresses: addresses.iter().map(|s| (*s).to_owned()).collect(),
            rtts_ms: rtts_ms.to_vec(),
            timeout: addresses.is_empty() && rtts_ms.is_empty(),
        }
    }

    const HEADER: &str =
        "traceroute to 10.17.11.132 (10.17.11.132), 30 hops max, 60 byte packets\n";

    #[test]
    fn numeric_trace_with_prompt_and_silent_hop() {
        let t = parse(&format!(
            "netops@server:~$ traceroute -n 10.17.11.132\n{HEADER} 1  10.1.11.1  0.512 ms  0.433 ms  0.401 ms\n 2  * * *\n 3  10.17.11.132  6.1 ms  5.9 ms  6.0 ms\nnetops@server:~$ \n"
        ))
        .expect("must parse");
        assert_eq!(t.target.as_deref(), Some("10.17.11.132"));
        assert_eq!(
            t.hops,
            vec![
                hop(1, &["10.1.11.1"], &[0.512, 0.433, 0.401]),
                hop(2, &[], &[]),
                hop(3, &["10.17.11.132"], &[6.1, 5.9, 6.0]),
            ]
        );
    }

    #[test]
    fn names_with_and_without_addresses() {
        let t = parse(&format!(
            "{HEADER} 1  gw.lan (10.1.11.1)  1.0 ms  1.1 ms  1.2 ms\n 2  r1 10.145.0.2  1.792 ms\n 3  unresolved-host  2.0 ms\n 4  a.example (10.0.0.4)  1.0 ms b.example (10.0.0.5)  2.0 ms  3.0 ms\n"
        ))
        .expect("must parse");
        assert_eq!(t.hops[0].addresses, ["10.1.11.1"]);
        assert_eq!(t.hops[1].addresses, ["10.145.0.2"]);
        assert_eq!(t.hops[2].addresses, ["unresolved-host"]);
        assert_eq!(t.hops[3].addresses, ["10.0.0.4", "10.0.0.5"]);
        assert_eq!(t.hops[3].rtts_ms, [1.0, 2.0, 3.0]);
    }

    #[test]
    fn annotations_as_tags_and_extensions_are_not_addresses() {
        let t = parse(&format!(
            "{HEADER} 1  [AS65020] gw (10.1.11.1) [AS65020]  1.0 ms !H  1.1 ms !N  1.2 ms !X\n 2  10.0.0.2  1.0 ms !13  * !F-1500\n 3  10.0.0.3 <MPLS:L=24001,E=0,S=1,T=1>  4.0 ms  '-2'  4.1 ms\n"
        ))
        .expect("must parse");
        assert_eq!(t.hops[0], hop(1, &["10.1.11.1"], &[1.0, 1.1, 1.2]));
        assert_eq!(t.hops[1], hop(2, &["10.0.0.2"], &[1.0]));
        assert_eq!(t.hops[2], hop(3, &["10.0.0.3"], &[4.0, 4.1]));
    }

    #[test]
    fn bsd_continuation_and_mpls_lines_belong_to_the_hop_above() {
        let t = parse(&format!(
            "{HEADER} 1  10.0.0.1 (10.0.0.1)  1.0 ms\n    10.0.0.9 (10.0.0.9)  2.0 ms  2.1 ms\n     MPLS Label=299792 CoS=0 TTL=1 S=1\n 2  * 10.0.0.2 (10.0.0.2)  3.0 ms *\n\n{{primary:node0}}\nuser@r1> traceroute 10.0.0.7 no-resolve\nr1# ping 10.0.0.8\nuser@host:~$ \n"
        ))
        .expect("must parse");
        assert_eq!(
            t.hops,
            vec![
                hop(1, &["10.0.0.1", "10.0.0.9"], &[1.0, 2.0, 2.1]),
                hop(2, &["10.0.0.2"], &[3.0])
            ]
        );
    }

    #[test]
    fn glued_units_and_ipv6() {
        let t = parse(
            "traceroute6 to h (2001:db8::9) from 2001:db8::1, 64 hops max, 20 byte packets\n 1   2001:db8::1  0.512ms  0.431ms  *\n    fe80::1%eth0  0.6 ms\n 2  fe80::1%eth0  1.0 ms\n",
        )
        .expect("must parse");
        assert_eq!(t.target.as_deref(), Some("2001:db8::9"));
        assert_eq!(
            t.hops,
            vec![
                hop(1, &["2001:db8::1", "fe80::1%eth0"], &[0.512, 0.431, 0.6]),
                hop(2, &["fe80::1%eth0"], &[1.0])
            ]
        );
    }

    #[test]
    fn stderr_fragments_are_not_hop_data() {
        assert_eq!(strip_stderr("*traceroute: sendto: No route to host"), "*");
        assert_eq!(strip_stderr("1 traceroute6: wrote x"), "1 ");
        assert_eq!(strip_stderr("traceroute to x"), "traceroute to x");
        let t = parse(&format!(
            "{HEADER}traceroute: sendto: No route to host\n1 traceroute: wrote 10.17.11.132 52 chars, ret=-1\n*traceroute: sendto: No route to host\n*\n2 traceroute: wrote 10.17.11.132 52 chars, ret=-1\n* 10.17.11.132  2.111 ms  1.642 ms\n"
        ))
        .expect("must parse");
        assert_eq!(
            t.hops,
            vec![hop(1, &[], &[]), hop(2, &["10.17.11.132"], &[2.111, 1.642])]
        );
    }

    #[test]
    fn header_without_parentheses_and_empty_trace() {
        let t = parse("traceroute to 10.17.11.132, 30 hops max\n").expect("must parse");
        assert_eq!(t.target.as_deref(), Some("10.17.11.132"));
        assert!(t.hops.is_empty());
    }

    #[test]
    fn first_ttl_above_one() {
        let t = parse(&format!(
            "{HEADER} 5  10.0.0.5  1.0 ms\n 6  10.0.0.6  1.0 ms\n"
        ))
        .expect("must parse");
        assert_eq!(t.hops.iter().map(|h| h.ttl).collect::<Vec<_>>(), [5, 6]);
    }

    #[test]
    fn garbled_ttl_is_an_error_naming_the_line() {
        for bad in [
            " x  10.0.0.2  1.0 ms",
            " 2a  10.0.0.2  1.0 ms",
            "3.5 10.0.0.2  1.0 ms",
            "?  10.0.0.2  *",
        ] {
            let e = parse(&format!("{HEADER} 1  10.0.0.1  1.0 ms\n{bad}\n"))
                .expect_err("must be refused");
            assert_eq!(e.line, 3, "{bad}: {e}");
        }
    }

    #[test]
    fn garbled_rtt_is_an_error_naming_the_line() {
        for bad in [
            " 2  10.0.0.2  abc ms",
            " 2  10.0.0.2  1.2.3 ms",
            " 2  10.0.0.2  ms",
            " 2  10.0.0.2 10.0.0.3 ms",
        ] {
            let e = parse(&format!("{HEADER} 1  10.0.0.1  1.0 ms\n{bad}\n"))
                .expect_err("must be refused");
            assert_eq!(e.line, 3, "{bad}: {e}");
        }
    }

    #[test]
    fn ttl_out_of_range_or_not_increasing_is_an_error() {
        for (bad, line) in [
            (" 0  10.0.0.2  1 ms", 3),
            ("256  10.0.0.2  1 ms", 3),
            (" 1  10.0.0.2  1 ms", 3),
        ] {
            let e = parse(&format!("{HEADER} 1  10.0.0.1  1.0 ms\n{bad}\n"))
                .expect_err("must be refused");
            assert_eq!(e.line, line, "{bad}: {e}");
        }
    }

    #[test]
    fn hop_data_before_first_hop_or_second_header_is_an_error() {
        let e = parse(&format!("{HEADER}    10.0.0.1  1.0 ms\n")).expect_err("must be refused");
        assert_eq!(e.line, 2);
        let e =
            parse(&format!("{HEADER} 1  10.0.0.1  1.0 ms\n{HEADER}")).expect_err("must be refused");
        assert_eq!(e.line, 3);
    }
}
