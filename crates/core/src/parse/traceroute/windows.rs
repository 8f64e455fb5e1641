//! Windows `tracert`: a `%3d` TTL, three probe columns (`N ms`, `<1 ms` or
//! `*`), then the host field: `addr`, `name [addr]`, `addr  reports: …` (an
//! ICMP unreachable, printed without probe columns), or a message where no
//! probe answered (`Request timed out.`, translated on non-English Windows).

use super::{
    Builder, ParseError, Trace, add_address, enclosed, glued_rtt, is_addr, is_ms, is_name, lines,
    number, parse_ttl, windows_header,
};

pub(super) fn parse(
    input: &str,
    header: usize,
    target: Option<String>,
) -> Result<Trace, ParseError> {
    let mut trace = Builder::new(target);
    for line in lines(input).skip(header) {
        let trimmed = line.text.trim();
        if windows_header(trimmed).is_some() {
            return Err(ParseError::new(
                line.no,
                "a second `Tracing route to` header: one trace per input",
            ));
        }
        let toks: Vec<&str> = trimmed.split_whitespace().collect();
        let Some((&first, rest)) = toks.split_first() else {
            continue;
        };
        if first.bytes().all(|b| b.is_ascii_digit()) {
            let row = row(rest, line.no)?;
            if row.is_empty() {
                // a translated header or trailer line that happens to start with a number
                continue;
            }
            let mut hop = super::empty_hop(parse_ttl(first, line.no)?);
            if let Some(addr) = row.address {
                add_address(&mut hop, addr);
            }
            hop.rtts_ms = row.rtts;
            trace.push(hop, line.no)?;
        } else if toks
            .iter()
            .any(|t| *t == "*" || is_ms(t) || glued_rtt(t).is_some())
        {
            // tracert has no continuation lines: probe columns belong after a TTL
            return Err(ParseError::new(
                line.no,
                format!("expected a TTL, found `{first}`"),
            ));
        }
    }
    Ok(trace.finish())
}

/// The columns after the TTL.
#[derive(Debug, Default)]
struct Row<'a> {
    rtts: Vec<f64>,
    stars: usize,
    address: Option<&'a str>,
}

impl Row<'_> {
    fn is_empty(&self) -> bool {
        self.rtts.is_empty() && self.stars == 0 && self.address.is_none()
    }

    fn probes(&self) -> usize {
        self.rtts.len() + self.stars
    }
}

fn row<'a>(toks: &[&'a str], line: usize) -> Result<Row<'a>, ParseError> {
    let mut r = Row::default();
    let mut i = 0;
    while let Some(&t) = toks.get(i) {
        let next = toks.get(i + 1).copied();
        if t == "*" {
            r.stars += 1;
            i += 1;
        } else if next.is_some_and(is_ms) {
            let v = number(t).ok_or_else(|| {
                ParseError::new(line, format!("round-trip time `{t}` is not a number"))
            })?;
            r.rtts.push(v);
            i += 2;
        } else if let Some(v) = glued_rtt(t) {
            r.rtts.push(v);
            i += 1;
        } else {
            break;
        }
    }
    let host = toks.get(i..).unwrap_or_default();
    if let Some(t) = host.iter().find(|t| is_ms(t)) {
        return Err(ParseError::new(
            line,
            format!("`{t}` outside the probe columns"),
        ));
    }
    r.address = match host {
        [addr, ..] if is_addr(addr) => Some(*addr),
        [name, bracketed, ..] if is_name(name) => {
            enclosed(bracketed, '[', ']').filter(|a| is_addr(a))
        }
        // a name alone is kept only when a probe answered: a lone word after
        // `*` columns is a (translated) timeout message
        [name] if is_name(name) && !r.rtts.is_empty() => Some(*name),
        _ => None,
    };
    Ok(r)
}

/// The header of a translated `tracert`: the nearest line naming an address
/// above the first hop line (a TTL and exactly three probe columns, which is
/// all `tracert` ever prints), but below the echoed command.
pub(super) fn localized_header(input: &str) -> Option<(usize, String)> {
    let all: Vec<_> = lines(input).collect();
    let first_hop = all.iter().position(|l| is_probe_row(l.text))?;
    let mut looked = 0;
    for l in all.get(..first_hop)?.iter().rev() {
        let t = l.text.trim();
        if t.is_empty() {
            continue;
        }
        if t.to_ascii_lowercase().contains("tracert") {
            return None;
        }
        if t.split_whitespace()
            .next()
            .is_some_and(|f| f.bytes().all(|b| b.is_ascii_digit()))
        {
            // a hop line of some other tool, not a header
            return None;
        }
        if let Some(addr) = header_address(t) {
            return Some((l.no, addr.to_owned()));
        }
        looked += 1;
        if looked == 3 {
            return None;
        }
    }
    None
}

fn is_probe_row(text: &str) -> bool {
    let toks: Vec<&str> = text.split_whitespace().collect();
    match toks.split_first() {
        Some((first, rest)) if parse_ttl(first, 0).is_ok() => {
            // tracert always prints a host field after the columns; a BSD `* * *` has none
            let has_host = rest.last().is_some_and(|t| *t != "*" && !is_ms(t));
            has_host && row(rest, 0).is_ok_and(|r| r.probes() == 3)
        }
        _ => false,
    }
}

/// `name [addr]` anywhere in the line, else the first bare address.
fn header_address(t: &str) -> Option<&str> {
    let toks = || t.split_whitespace();
    toks()
        .find_map(|tok| enclosed(tok, '[', ']').filter(|a| is_addr(a)))
        .or_else(|| {
            toks().find_map(|tok| {
                [tok, tok.trim_end_matches([',', '.', ':', '、', '。'])]
                    .into_iter()
                    .find(|c| is_addr(c))
            })
        })
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use crate::model::Hop;

    fn hop(ttl: u8, addresses: &[&str], rtts_ms: &[f64]) -> Hop {
        Hop {
            ttl,
            addresses: addresses.iter().map(|s| (*s).to_owned()).collect(),
            rtts_ms: rtts_ms.to_vec(),
            timeout: addresses.is_empty() && rtts_ms.is_empty(),
        }
    }

    #[test]
    fn split_header_names_and_mixed_columns() {
        let t = parse(
            "C:\\>tracert vm.example\r\n\r\nTracing route to vm.example [10.17.11.132]\r\nover a maximum of 30 hops:\r\n\r\n  1    <1 ms    <1 ms    <1 ms  gw.lan [10.1.11.1]\r\n  2     *       12 ms     *     192.168.11.18\r\n  3    14 ms    13 ms    12 ms  vm.example [10.17.11.132]\r\n\r\nTrace complete.\r\n\r\nC:\\>",
        )
        .expect("must parse");
        assert_eq!(t.target.as_deref(), Some("10.17.11.132"));
        assert_eq!(
            t.hops,
            vec![
                hop(1, &["10.1.11.1"], &[1.0, 1.0, 1.0]),
                hop(2, &["192.168.11.18"], &[12.0]),
                hop(3, &["10.17.11.132"], &[14.0, 13.0, 12.0]),
            ]
        );
    }

    #[test]
    fn unreachable_reports_answer_without_times() {
        let t = parse(
            "Tracing route to 10.9.9.9 over a maximum of 30 hops\n\n  1    <1 ms    <1 ms    <1 ms  10.1.11.1\n  2     *        *        *     Request timed out.\n  3  10.1.11.1  reports: Destination net unreachable.\n\nTrace complete.\n",
        )
        .expect("must parse");
        assert_eq!(t.hops[1], hop(2, &[], &[]));
        assert_eq!(t.hops[2], hop(3, &["10.1.11.1"], &[]));
        let t = parse(
            "Tracing route to 10.1.11.99 over a maximum of 30 hops\n\n  1  10.1.11.10  Reports: Destination host unreachable.\n",
        )
        .expect("must parse");
        assert_eq!(t.hops, vec![hop(1, &["10.1.11.10"], &[])]);
    }

    #[test]
    fn japanese_windows() {
        let t = parse(
            "C:\\Users\\PathLabUser>tracert 10.17.11.132\n\n10.17.11.132 へのルートをトレースしています\n経由するホップ数は最大 30 です\n\n  1    <1 ms    <1 ms    <1 ms  10.1.11.1\n  2     *        *        *     要求がタイムアウトしました。\n  3     6 ms     7 ms     9 ms  10.17.11.132\n\nトレースを完了しました。\n",
        )
        .expect("must parse");
        assert_eq!(t.target.as_deref(), Some("10.17.11.132"));
        assert_eq!(
            t.hops,
            vec![
                hop(1, &["10.1.11.1"], &[1.0, 1.0, 1.0]),
                hop(2, &[], &[]),
                hop(3, &["10.17.11.132"], &[6.0, 7.0, 9.0])
            ]
        );
    }

    #[test]
    fn german_windows_with_a_name() {
        let t = parse(
            "Routenverfolgung zu vm.example [10.17.11.132]\nüber maximal 30 Hops:\n\n  1    <1 ms    <1 ms    <1 ms  10.1.11.1\n  2     *        *        *     Zeitüberschreitung der Anforderung.\n  3     6 ms     7 ms     9 ms  vm.example [10.17.11.132]\n\nAblaufverfolgung beendet.\n",
        )
        .expect("must parse");
        assert_eq!(t.target.as_deref(), Some("10.17.11.132"));
        assert_eq!(t.hops.len(), 3);
        assert!(t.hops[1].timeout);
    }

    #[test]
    fn ipv6() {
        let t = parse(
            "Tracing route to h [2001:db8::9]\nover a maximum of 30 hops:\n\n  1     1 ms    <1 ms     1 ms  2001:db8::1\n  2     5 ms     5 ms     5 ms  h [2001:db8::9]\n",
        )
        .expect("must parse");
        assert_eq!(t.target.as_deref(), Some("2001:db8::9"));
        assert_eq!(t.hops[1].addresses, ["2001:db8::9"]);
    }

    const HEAD: &str = "Tracing route to 10.17.11.132 over a maximum of 30 hops\n\n  1    <1 ms    <1 ms    <1 ms  10.1.11.1\n";

    #[test]
    fn garbled_lines_are_errors_naming_the_line() {
        for bad in [
            "  2    ab ms    1 ms    1 ms  10.0.0.2",
            "  x     1 ms     1 ms     1 ms  10.0.0.2",
            "  2a    *        *        *     Request timed out.",
            "  2    1 ms    1 ms    oops  1 ms  10.0.0.2",
            "  1     1 ms     1 ms     1 ms  10.0.0.2",
            "  0     1 ms     1 ms     1 ms  10.0.0.2",
        ] {
            let e = parse(&format!("{HEAD}{bad}\n")).expect_err("must be refused");
            assert_eq!(e.line, 4, "{bad}: {e}");
        }
    }

    #[test]
    fn second_header_is_an_error() {
        let e = parse(&format!("{HEAD}\nTrace complete.\n{HEAD}")).expect_err("must be refused");
        assert_eq!(e.line, 6);
    }
}
