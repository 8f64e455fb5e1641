//! Small field readers shared by the three text forms: AS paths, addresses,
//! numbers, `[Proto/pref]`, and the line shapes that tell the forms apart.

use std::net::IpAddr;

use crate::model::PathUse;

/// A whitespace-separated token and the byte column it starts at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Tok<'a> {
    pub col: usize,
    pub text: &'a str,
}

impl Tok<'_> {
    pub fn end(&self) -> usize {
        self.col + self.text.len()
    }
}

#[inline]
pub(super) fn is_ws(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// The first non-blank position at or after `i`. Brief-form lines are
/// mostly indentation, so blanks are skipped eight at a time.
#[inline]
pub(super) fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while b.get(i..i + 8) == Some(b"        ") {
        i += 8;
    }
    while b.get(i).is_some_and(|c| is_ws(*c)) {
        i += 1;
    }
    i
}

#[inline]
pub(super) fn ltrim(s: &str) -> &str {
    s.get(skip_ws(s.as_bytes(), 0)..).unwrap_or_default()
}

/// Splits `line` into tokens with their columns, reusing `out`.
pub(super) fn tokenize<'a>(line: &'a str, out: &mut Vec<Tok<'a>>) {
    out.clear();
    let bytes = line.as_bytes();
    let mut i = skip_ws(bytes, 0);
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && !is_ws(bytes[i]) {
            i += 1;
        }
        // Token boundaries sit next to ASCII whitespace, so both are char
        // boundaries; `get` keeps that an invariant rather than a panic.
        if let Some(text) = line.get(start..i) {
            out.push(Tok { col: start, text });
        }
        i = skip_ws(bytes, i);
    }
}

/// The first token of an already left-trimmed line, and what follows it.
#[inline]
pub(super) fn split_first(t: &str) -> (&str, &str) {
    let b = t.as_bytes();
    let end = b.iter().position(|c| is_ws(*c)).unwrap_or(b.len());
    let next = skip_ws(b, end);
    // Both cuts sit next to ASCII whitespace: char boundaries.
    (t.get(..end).unwrap_or(t), t.get(next..).unwrap_or(""))
}

#[inline]
pub(super) fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// A decimal `u32`, or `None` (empty, non-digit, overflow).
pub(super) fn parse_u32(s: &str) -> Option<u32> {
    if all_digits(s) { s.parse().ok() } else { None }
}

/// An IPv4/IPv6 address as a next hop is printed (a link-local one may carry
/// `%scope`).
pub(super) fn is_addr(tok: &str) -> bool {
    let core = match tok.bytes().position(|c| c == b'%') {
        Some(i) => &tok[..i],
        None => tok,
    };
    is_ipv4(core.as_bytes())
        || (matches!(core.as_bytes().first(), Some(b) if b.is_ascii_hexdigit() || *b == b':')
            && core.contains(':')
            && core.parse::<IpAddr>().is_ok())
}

/// Dotted-quad IPv4, without the generic address parser's cost: next hops
/// are on every path of a million-route table.
fn is_ipv4(b: &[u8]) -> bool {
    let (mut octets, mut value, mut len) = (0u32, 0u32, 0u32);
    for &c in b {
        match c {
            b'0'..=b'9' if len < 3 => {
                value = value * 10 + u32::from(c - b'0');
                len += 1;
            }
            b'.' if len > 0 && value <= 255 && octets < 3 => {
                octets += 1;
                (value, len) = (0, 0);
            }
            _ => return false,
        }
    }
    octets == 3 && len > 0 && value <= 255
}

/// Could `tok` be a destination as Junos prints it? IP prefixes, MPLS labels
/// (`2567`, `2567(S=0)`), EVPN / route-target / flow NLRIs all start with a
/// digit; IPv6 may start with a hex letter or `::`. Labels (`Age:`) never are.
#[inline]
pub(super) fn is_prefix_like(tok: &str) -> bool {
    let Some(&first) = tok.as_bytes().first() else {
        return false;
    };
    if tok.ends_with(':') {
        return false;
    }
    if first.is_ascii_digit() || first == b':' {
        return true;
    }
    let addr = tok.split('/').next().unwrap_or(tok);
    first.is_ascii_hexdigit()
        && addr.contains(':')
        && addr
            .bytes()
            .all(|c| c.is_ascii_hexdigit() || matches!(c, b':' | b'.'))
}

/// An IP prefix proper (`10.1.0.0/16`), for telling route data from prose.
pub(super) fn is_ip_prefix(tok: &str) -> bool {
    tok.contains('/') && crate::model::Prefix::parse_lenient(tok).is_ok()
}

/// A protocol word as Junos prints it: `BGP`, `OSPF3`, `L-OSPF`,
/// `Access-internal`, `RIB-Export`.
pub(super) fn is_proto_word(w: &str) -> bool {
    let b = w.as_bytes();
    matches!(b.first(), Some(c) if c.is_ascii_alphabetic())
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_')
}

/// The AS numbers of an AS path as Junos prints it, up to the origin letter.
///
/// Confederation `( )` and set `{ }` delimiters are dropped with their
/// numbers kept; a `[N]` group is the local AS that advertising output shows
/// and is no part of the path; what follows the origin (`(Originator)`,
/// `, validation-state: …`) is not path either. Numbers may be asdot
/// (`1.10`). The 4-byte transition forms (`AS2 PA[3]: …`, `Merged[3]: …`)
/// keep only their numbers.
pub(super) fn as_path(s: &str) -> Result<Vec<u32>, String> {
    let b = s.as_bytes();
    // Collected on the stack first so that the path costs one exact
    // allocation; longer paths spill into `long`.
    let mut short = [0u32; 16];
    let mut n = 0;
    let mut long: Vec<u32> = Vec::new();
    let mut push = |v: u32| {
        if n < short.len() {
            short[n] = v;
        } else {
            if long.is_empty() {
                long.extend_from_slice(&short);
            }
            long.push(v);
        }
        n += 1;
    };
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' | b'(' | b')' | b'{' | b'}' | b',' => i += 1,
            b'[' => match memchr::memchr(b']', &b[i..]) {
                Some(j) => i += j + 1,
                None => return Err(format!("unclosed `[` in the AS path `{}`", s.trim())),
            },
            b'0'..=b'9' => {
                let (v, end) = asn(b, i).ok_or_else(|| bad_as_token(s, i))?;
                push(v);
                i = end;
            }
            _ => {
                let end = b[i..]
                    .iter()
                    .position(|c| matches!(c, b' ' | b'\t' | b','))
                    .map_or(b.len(), |j| i + j);
                match &b[i..end] {
                    b"I" | b"E" | b"?" => break,
                    b"AS2" | b"AS4" => {}
                    w if w.ends_with(b":") => {}
                    _ => return Err(bad_as_token(s, i)),
                }
                i = end;
            }
        }
    }
    Ok(if n > short.len() {
        long
    } else {
        short[..n].to_vec()
    })
}

/// One AS number at `i` (plain or asdot), ending at a delimiter; gives it
/// and where it ends.
fn asn(b: &[u8], i: usize) -> Option<(u32, usize)> {
    let (hi, mut end) = digits(b, i)?;
    let mut n = hi;
    if b.get(end) == Some(&b'.') {
        let (lo, e) = digits(b, end + 1)?;
        if hi > 0xffff || lo > 0xffff {
            return None;
        }
        n = (hi << 16) | lo;
        end = e;
    }
    match b.get(end) {
        None | Some(b' ' | b'\t' | b')' | b'}' | b',') => Some((n, end)),
        _ => None,
    }
}

/// A decimal `u32` starting at `i`; gives it and where its digits end.
#[inline]
fn digits(b: &[u8], i: usize) -> Option<(u32, usize)> {
    let mut n: u32 = 0;
    let mut end = i;
    while let Some(c) = b.get(end).filter(|c| c.is_ascii_digit()) {
        n = n.checked_mul(10)?.checked_add(u32::from(c - b'0'))?;
        end += 1;
    }
    (end > i).then_some((n, end))
}

fn bad_as_token(s: &str, i: usize) -> String {
    let tok = s
        .get(i..)
        .unwrap_or_default()
        .split_ascii_whitespace()
        .next()
        .unwrap_or_default();
    format!("`{tok}` in the AS path is not an AS number")
}

/// A `[Proto/pref]` path line of the brief form, mark included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct BriefPath<'a> {
    pub active: bool,
    pub path_use: Option<PathUse>,
    pub proto: &'a str,
    pub preference: Option<u32>,
    pub local_pref: Option<u32>,
    pub from: Option<&'a str>,
}

/// True when `t` (left-trimmed) starts like a brief path: `[`, or a mark
/// (`*`, `+`, `-`, `@`, `#`) and `[`.
#[inline]
pub(super) fn starts_brief_path(t: &str) -> bool {
    matches!(
        t.as_bytes(),
        [b'[', ..] | [b'*' | b'+' | b'-' | b'@' | b'#', b'[', ..]
    )
}

/// A path's selection mark: whether it is the active path, and what it is
/// used for. `*` and `+` are the active path; `@` is the one routing
/// selected though forwarding uses the `#` path (`- ` is last active).
#[inline]
pub(super) fn path_mark(mark: u8) -> Option<(bool, Option<PathUse>)> {
    match mark {
        b'*' | b'+' => Some((true, None)),
        b'-' => Some((false, None)),
        b'@' | b'#' => Some((mark == b'@', PathUse::from_mark(mark))),
        _ => None,
    }
}

/// Reads `*[BGP/170] 2d 00:34:04, localpref 150, from …`. Hidden routes
/// print `[BGP ]`, with no preference.
pub(super) fn brief_path(t: &str) -> Result<BriefPath<'_>, String> {
    let b = t.as_bytes();
    let ((active, path_use), open) = match b.first().and_then(|m| path_mark(*m)) {
        Some(mark) => (mark, 1),
        None => ((false, None), 0),
    };
    let garbled = || {
        format!(
            "garbled `{}`: expected `[Protocol/preference]`",
            split_first(t).0
        )
    };
    if b.get(open) != Some(&b'[') {
        return Err(garbled());
    }
    let close = b.iter().position(|c| *c == b']').ok_or_else(garbled)?;
    let inner = t.get(open + 1..close).ok_or_else(garbled)?;
    let (proto, preference) = match inner.bytes().position(|c| c == b'/') {
        Some(slash) => {
            let ib = inner.as_bytes();
            let (pref, mut end) = digits(ib, slash + 1).ok_or_else(garbled)?;
            // `[OSPF/150/10]`, `[LDP/9/4]`: a second preference may follow.
            while end < ib.len() {
                if ib[end] != b'/' {
                    return Err(garbled());
                }
                let from = if ib.get(end + 1) == Some(&b'-') {
                    end + 2
                } else {
                    end + 1
                };
                end = digits(ib, from).ok_or_else(garbled)?.1;
            }
            (&inner[..slash], Some(pref))
        }
        // `[BGP ]`: the word and a blank where the preference would be.
        None if inner.ends_with(' ') => (inner.trim_end(), None),
        None => return Err(garbled()),
    };
    if !is_proto_word(proto) {
        return Err(garbled());
    }
    let rest = t.get(close + 1..).unwrap_or_default();
    Ok(BriefPath {
        active,
        path_use,
        proto,
        preference,
        local_pref: attribute_u32(rest, b"localpref "),
        from: attribute_word(rest, b"from ").filter(|a| is_addr(a)),
    })
}

/// The number of `key N` in the comma-separated attribute list after the
/// brackets (`2d 00:34:04, MED 0, localpref 150, from …`).
fn attribute_u32(s: &str, key: &[u8]) -> Option<u32> {
    let at = attribute_at(s, key)?;
    digits(s.as_bytes(), at).map(|(n, _)| n)
}

/// The word of `key WORD` in the same attribute list.
fn attribute_word<'a>(s: &'a str, key: &[u8]) -> Option<&'a str> {
    let at = attribute_at(s, key)?;
    let w = split_first(s.get(at..)?).0.trim_end_matches(',');
    (!w.is_empty()).then_some(w)
}

/// Where the value of attribute `key` starts.
fn attribute_at(s: &str, key: &[u8]) -> Option<usize> {
    let b = s.as_bytes();
    let mut start = 0;
    loop {
        let i = skip_ws(b, start);
        if b.get(i..).is_some_and(|r| r.starts_with(key)) {
            return Some(skip_ws(b, i + key.len()));
        }
        // On to the next attribute.
        start = i + b.get(i..)?.iter().position(|c| *c == b',')? + 1;
    }
}

/// A path line of the detail form: `*BGP    Preference: 170/-101`,
/// `OSPF3  Preference: 10`, or a hidden `BGP                 /-101`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct DetailPath<'a> {
    pub active: bool,
    pub path_use: Option<PathUse>,
    pub proto: &'a str,
    pub preference: Option<u32>,
}

/// `None` when `t` is no path line; `Some(Err)` when it is one with a
/// garbled preference.
pub(super) fn detail_path(t: &str) -> Option<Result<DetailPath<'_>, String>> {
    let ((active, path_use), body) = match path_mark(*t.as_bytes().first()?) {
        Some(mark) => (mark, &t[1..]),
        None => ((false, None), t),
    };
    let (word, rest) = split_first(body);
    if rest.is_empty() || !is_proto_word(word) {
        return None;
    }
    if let Some(v) = rest.strip_prefix("Preference:") {
        let v = v.trim();
        let (p, _) = v.split_once('/').unwrap_or((v, ""));
        return Some(match parse_u32(p) {
            Some(p) => Ok(DetailPath {
                active,
                path_use,
                proto: word,
                preference: Some(p),
            }),
            None => Err(format!(
                "garbled preference `{v}` in the path line of `{word}`"
            )),
        });
    }
    let hidden = rest.strip_prefix('/')?;
    all_digits(hidden.strip_prefix('-').unwrap_or(hidden)).then_some(Ok(DetailPath {
        active,
        path_use,
        proto: word,
        preference: None,
    }))
}

/// The entry header of the detail form: `[*] PREFIX [TYPE] (N entries, M
/// announced)`; gives the `*` mark (advertising/receive output) and PREFIX.
pub(super) fn detail_header(t: &str) -> Option<(bool, &str)> {
    if !t.ends_with(')') {
        return None;
    }
    let open = t.rfind(" (")?;
    let inner = t.get(open + 2..)?;
    let n = inner.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 || !inner.get(n..)?.starts_with(" entr") {
        return None;
    }
    let head = t.get(..open)?;
    let (active, head) = match head.as_bytes().first()? {
        b'*' | b'+' => (true, &head[1..]),
        b'-' => (false, &head[1..]),
        _ => (false, head),
    };
    let prefix = head.split_ascii_whitespace().next()?;
    Some((active, prefix))
}

/// `NAME: N destinations, M routes (…)`, split as its first token `w` and
/// the `rest`; gives the name and the route count.
pub(super) fn table_header<'a>(w: &'a str, rest: &str) -> Option<(&'a str, Option<usize>)> {
    let name = w.strip_suffix(':').filter(|n| !n.is_empty())?;
    let (n, after) = split_first(rest);
    if !all_digits(n) || !after.starts_with("destination") {
        return None;
    }
    let routes = after
        .split_once(", ")
        .and_then(|(_, r)| split_first(r).0.parse().ok());
    Some((name, routes))
}

/// The column header of the advertising/receive-protocol summary; `w` is
/// the first token of `t`.
pub(super) fn is_summary_header(w: &str, t: &str) -> bool {
    w == "Prefix" && t.contains("Nexthop")
}

/// A line that is the CLI around the output, not the output: the echoed
/// command (`show route …`, `#show …`, `> show …`), a prompt
/// (`user@host>`, `user@host> show …`, `root@r1# run show …`), a banner
/// (`{master:0}`, `{primary:node0}`, `[edit]`). `w` is the first token of
/// the trimmed line `t`.
pub(super) fn is_cli_noise(t: &str, w: &str) -> bool {
    match w.as_bytes().first() {
        // Destinations; no prompt starts with a digit.
        Some(b'0'..=b'9') => return false,
        Some(b'{') => return w.len() == t.len() && t.ends_with('}'),
        Some(b'[') => return t.starts_with("[edit"),
        _ => {}
    }
    if w == "show" || (w == "run" && t[3..].trim_start().starts_with("show")) {
        return true;
    }
    // A prompt has no blank before its `>` / `#`: it is in the first token.
    let Some(i) = w.bytes().position(|c| c == b'>' || c == b'#') else {
        return false;
    };
    let head = &w[..i];
    let tail = t[i + 1..].trim_start();
    let is_command = tail.starts_with("show ") || tail.starts_with("run ") || tail == "show";
    if head.is_empty() {
        return is_command || tail.is_empty();
    }
    head.contains('@') || is_command || tail.is_empty()
}

/// Words that open a brief-form next-hop line other than `to`/`via`.
pub(super) fn is_next_hop_word(w: &str) -> bool {
    matches!(
        w,
        "to" | "via"
            | "Discard"
            | "Reject"
            | "Receive"
            | "MultiRecv"
            | "Fictitious"
            | "Indirect"
            | "Multicast"
            | "Next-table"
            | "Table"
    )
}

/// The address and the interface of `to A via IF[, …]` (`>` already
/// stripped): `via IF` has no address, `to table T` neither.
pub(super) fn brief_next_hop(t: &str) -> (Option<&str>, Option<&str>) {
    let (w, rest) = split_first(t);
    match w {
        "to" => {
            let (a, rest) = split_first(rest);
            let a = a.trim_end_matches(',');
            if !is_addr(a) {
                return (None, None);
            }
            (Some(a), rest.strip_prefix("via ").and_then(interface_of))
        }
        "via" => (None, interface_of(rest)),
        // A Local route's own interface (`Local via xe-1/0/0.0`).
        "Local" => (None, rest.strip_prefix("via ").and_then(interface_of)),
        _ => (None, None),
    }
}

/// The interface name at the start of `s` (`st0.118`, `ge-0/0/1.0,`
/// before `Push 307742`): a word that starts with a letter.
pub(super) fn interface_of(s: &str) -> Option<&str> {
    let w = split_first(ltrim(s)).0.trim_end_matches(',');
    (w.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
        && w.bytes().all(|c| c.is_ascii_graphic()))
    .then_some(w)
}

#[cfg(test)]
mod tests;
