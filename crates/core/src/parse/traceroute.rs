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

/// Addresses a hop is checked against one by one; past this many (only
/// hostile input has them) duplicates wait for [`dedup_addresses`], so that
/// 300k probes of one TTL stay linear.
const FEW_ADDRESSES: usize = 16;

fn add_address(hop: &mut Hop, addr: &str) {
    if hop.addresses.len() >= FEW_ADDRESSES || !hop.addresses.iter().any(|a| a == addr) {
        hop.addresses.push(addr.to_owned());
    }
}

/// Drops repeated addresses, keeping the first of each in order.
fn dedup_addresses(hop: &mut Hop) {
    if hop.addresses.len() <= FEW_ADDRESSES {
        return;
    }
    let mut seen = std::collections::HashSet::new();
    let addresses = std::mem::take(&mut hop.addresses);
    hop.addresses = addresses
        .into_iter()
        .filter(|a| seen.insert(a.clone()))
        .collect();
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
            dedup_addresses(hop);
            hop.timeout = hop.addresses.is_empty() && hop.rtts_ms.is_empty();
        }
        Trace {
            target: self.target,
            hops: self.hops,
        }
    }
}

#[cfg(test)]
mod tests;
