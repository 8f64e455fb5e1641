//! What every captured Junos CLI output carries besides the answer itself:
//! the echoed command, prompts, chassis-cluster banners, pager remnants;
//! and the number formats the session/tunnel parsers share.
//!
//! Kept beside the BGP summary parser because it was written first; the BFD,
//! IKE and IPsec parsers use it too.

use std::net::IpAddr;
use std::str::FromStr;

use crate::parse::ParseError;

/// The lines that carry the answer, numbered from 1 as
/// [`ParseError::line`] counts them, each with the chassis-cluster section
/// (`node0:` over a dashed rule) it stands in: noise, section headers and
/// rules are left out.
pub(crate) fn answer_lines(input: &str) -> impl Iterator<Item = (usize, Option<&str>, &str)> {
    let mut node = None;
    input.lines().zip(1..).filter_map(move |(line, no)| {
        if is_noise(line) || is_rule(line) {
            return None;
        }
        if let Some(name) = node_header(line) {
            node = Some(name);
            return None;
        }
        Some((no, node, line))
    })
}

/// A line that is not part of any command's answer: blank, the echoed
/// command or a bare prompt (`user@host> show ...`, `root@vsrx# run show
/// ...`, `juniper@R:R1>`), a cluster or mode banner (`{primary:node0}`,
/// `{master}`), `[edit]`, or a pager remnant (`---(more)---`).
pub(crate) fn is_noise(line: &str) -> bool {
    let t = line.trim();
    t.is_empty()
        || t.starts_with("show ")
        || t.starts_with("run show ")
        || t.starts_with("---(more")
        || is_prompt(t)
        || (t.starts_with('{') && t.ends_with('}') && !t.contains(char::is_whitespace))
        || (t.starts_with("[edit") && t.ends_with(']'))
}

/// A prompt, with or without the command typed at it: `user@host> ...`,
/// `juniper@R:R1>`, `host> show ...`, `host#`, or the bare `> show ...` of a
/// capture whose host name was cut. Without a user it must be followed by
/// a command or nothing, so an answer's own `>` (a Junos route's active
/// next hop `> to 10.0.0.1`, an outbound SA `>131073 ESP...`) is not one.
pub(crate) fn is_prompt(t: &str) -> bool {
    t.split_once(['>', '#']).is_some_and(|(head, tail)| {
        if head.starts_with(['<', '{']) || head.contains(char::is_whitespace) {
            return false;
        }
        let tail = tail.trim_start();
        let command = tail.starts_with("show ") || tail.starts_with("run show ");
        head.contains('@') || command || (tail.is_empty() && !head.is_empty())
    })
}

/// `node0:` (chassis-cluster section header) gives `node0`.
pub(crate) fn node_header(line: &str) -> Option<&str> {
    let name = line.trim().strip_suffix(':')?;
    let digits = name.strip_prefix("node")?;
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then_some(name)
}

/// The dashed rule under a cluster section header.
pub(crate) fn is_rule(line: &str) -> bool {
    let t = line.trim();
    t.len() >= 3 && t.bytes().all(|b| b == b'-')
}

/// True when the first line that is not noise opens an XML element
/// (`| display xml`, or an RPC reply).
pub(crate) fn is_xml(input: &str) -> bool {
    input
        .lines()
        .find(|l| !is_noise(l))
        .is_some_and(|l| l.trim_start().starts_with('<'))
}

/// An unsigned decimal integer, digits only: a sign, a space or a unit is a
/// malformed field, never silently read.
pub(crate) fn number<T: FromStr>(token: &str, line: usize, what: &str) -> Result<T, ParseError> {
    parse_digits(token)
        .ok_or_else(|| ParseError::new(line, format!("{what} `{token}` is not a number")))
}

/// [`number`] without the error, for fields whose absence is not an error.
pub(crate) fn parse_digits<T: FromStr>(token: &str) -> Option<T> {
    if token.is_empty() || !token.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    token.parse().ok()
}

/// An AS number: `asplain`, or `asdot` (`1.10` = 65546) where configured.
pub(crate) fn asn(token: &str, line: usize) -> Result<u32, ParseError> {
    let parsed = match token.split_once('.') {
        Some((high, low)) => parse_digits::<u16>(high)
            .zip(parse_digits::<u16>(low))
            .map(|(h, l)| (u32::from(h) << 16) | u32::from(l)),
        None => parse_digits(token),
    };
    parsed.ok_or_else(|| ParseError::new(line, format!("peer AS `{token}` is not an AS number")))
}

/// Seconds with a decimal fraction (`1.500`) in whole milliseconds; `None`
/// if the text is not such a number or is finer than a millisecond.
pub(crate) fn millis(token: &str) -> Option<u32> {
    let (whole, frac) = token.split_once('.').unwrap_or((token, ""));
    let whole: u32 = parse_digits(whole)?;
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut ms: u32 = 0;
    for (i, b) in frac.bytes().enumerate() {
        let d = u32::from(b - b'0');
        if i < 3 {
            ms = ms * 10 + d;
        } else if d != 0 {
            return None;
        }
    }
    for _ in frac.len()..3 {
        ms *= 10;
    }
    whole.checked_mul(1000)?.checked_add(ms)
}

/// A plain decimal (`4.0`, `15`): digits with at most one point. Rejects
/// what `f64::from_str` would also take (`inf`, `1e3`, `-1`).
pub(crate) fn decimal(token: &str) -> Option<f64> {
    let (whole, frac) = token.split_once('.').unwrap_or((token, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits(whole) && digits(frac))
        .then(|| token.parse().ok())
        .flatten()
}

/// An IP address as Junos prints a peer: possibly with `+port` (TCP port of
/// the session) or `%interface` (IPv6 link-local scope).
pub(crate) fn is_address(token: &str) -> bool {
    let bare = token.split(['+', '%']).next().unwrap_or(token);
    bare.parse::<IpAddr>().is_ok()
}

/// Hex digits only (SPIs, IKE cookies).
pub(crate) fn is_hex(token: &str) -> bool {
    !token.is_empty() && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The start of a line for an error message: enough to find it, never
/// split inside a character.
pub(crate) fn excerpt(line: &str) -> String {
    const MAX: usize = 60;
    let t = line.trim();
    match t.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}...", t.get(..cut).unwrap_or(t)),
        None => t.to_owned(),
    }
}

/// Lines of real captures, whole, cut and spliced with junk, or plain
/// junk, joined into one input: what the no-panic property tests feed.
#[cfg(test)]
pub(crate) fn line_soup(
    corpus: &[&'static str],
) -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    let lines: Vec<&'static str> = corpus.iter().flat_map(|c| c.lines()).collect();
    let spliced = (
        prop::sample::select(lines.clone()),
        any::<prop::sample::Index>(),
        "\\PC{0,8}",
    )
        .prop_map(|(line, at, junk)| {
            let cut = line
                .char_indices()
                .nth(at.index(line.chars().count() + 1))
                .map_or(line.len(), |(i, _)| i);
            let (head, tail) = line.split_at_checked(cut).unwrap_or((line, ""));
            format!("{head}{junk}{tail}")
        });
    let line = prop_oneof![
        4 => prop::sample::select(lines).prop_map(str::to_owned),
        3 => spliced,
        1 => "\\PC{0,80}",
        1 => any::<String>(),
    ];
    prop::collection::vec(line, 0..40).prop_map(|v| v.join("\n"))
}

/// Checks every input in `tests/fixtures/DIR` whose name starts with
/// `prefix` against the `NAME.expected.json` beside it.
#[cfg(test)]
pub(crate) fn assert_fixtures(dir: &str, prefix: &str, kind: crate::parse::Kind) {
    let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .join("tests/fixtures")
        .join(dir);
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir)
        .expect("fixture folder exists")
        .flatten()
    {
        let path = entry.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        if !name.starts_with(prefix) || name.ends_with(".expected.json") || name.ends_with(".md") {
            continue;
        }
        let stem = name
            .rsplit_once('.')
            .map_or(name.as_str(), |(stem, _)| stem);
        let expected = dir.join(format!("{stem}.expected.json"));
        let want: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(&expected).expect("expected file beside the input"),
        )
        .expect("expected file is JSON");
        let text = std::fs::read_to_string(&path).expect("input reads");
        let got = crate::parse::to_json(kind, &text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(got, want, "{name}");
        checked += 1;
    }
    assert!(checked > 0, "no `{prefix}*` fixture in {}", dir.display());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noise_lines() {
        for l in [
            "",
            "   ",
            "show bgp summary ",
            "root@vsrx# run show security ike security-associations",
            "juniper@R:R1> show bgp summary",
            "user@SEA-SRX42-01> ",
            "{primary:node0}",
            "{master}",
            "[edit]",
            "---(more)---",
            "---(more 45%)---",
        ] {
            assert!(is_noise(l), "{l:?}");
        }
        for l in [
            "Groups: 1 Peers: 1 Down peers: 0",
            "10.0.0.1 Up 1.500 0.500 3",
            "<rpc-reply xmlns:junos=\"http://xml.juniper.net/junos/13.3R1/junos\">",
            "  inet.0: 1/1/1/0",
            "node0:",
        ] {
            assert!(!is_noise(l), "{l:?}");
        }
    }

    #[test]
    fn answer_lines_carry_their_cluster_node() {
        let input = "{primary:node0}\nuser@fw> show x\nnode0:\n-----\na\n\nnode1:\n-----\nb\n";
        let got: Vec<_> = answer_lines(input).collect();
        assert_eq!(got, [(5, Some("node0"), "a"), (9, Some("node1"), "b")]);
        assert_eq!(
            answer_lines("x\r\ny").collect::<Vec<_>>(),
            [(1, None, "x"), (2, None, "y")]
        );
    }

    #[test]
    fn cluster_headers() {
        assert_eq!(node_header("node0:"), Some("node0"));
        assert_eq!(node_header("  node12:  "), Some("node12"));
        assert_eq!(node_header("node:"), None);
        assert_eq!(node_header("nodeX:"), None);
        assert!(is_rule(
            "--------------------------------------------------------------------------"
        ));
        assert!(!is_rule("-"));
        assert!(!is_rule("- root"));
    }

    #[test]
    fn numbers() {
        assert_eq!(number::<u32>("42", 1, "x"), Ok(42));
        assert!(number::<u32>("+42", 1, "x").is_err());
        assert!(number::<u8>("300", 1, "x").is_err());
        assert_eq!(asn("65151", 1), Ok(65151));
        assert_eq!(asn("1.10", 1), Ok(65546));
        assert!(asn("65x", 3).is_err_and(|e| e.line == 3));
        assert!(asn("1.", 1).is_err());
        assert_eq!(millis("1.500"), Some(1500));
        assert_eq!(millis("0.050"), Some(50));
        assert_eq!(millis("3"), Some(3000));
        assert_eq!(millis("0.3"), Some(300));
        assert_eq!(millis("0.3000"), Some(300));
        assert_eq!(millis("0.3001"), None);
        assert_eq!(millis("x.5"), None);
        assert_eq!(millis("4294967.296"), None);
        assert_eq!(decimal("4.0"), Some(4.0));
        assert_eq!(decimal("15"), Some(15.0));
        assert_eq!(decimal("inf"), None);
        assert_eq!(decimal("1e3"), None);
        assert_eq!(decimal("1."), None);
        assert!(is_address("10.0.0.1"));
        assert!(is_address("10.0.0.1+179"));
        assert!(is_address("fe80::1%ge-0/0/0.0"));
        assert!(is_address("2001:db8:6be:89bb::1:140"));
        assert!(!is_address("Peer"));
        assert!(is_hex("e1f16b380e661b93"));
        assert!(!is_hex("e1f16b38g"));
    }

    #[test]
    fn excerpts_cut_on_char_boundaries() {
        assert_eq!(excerpt("  short  "), "short");
        let long = "é".repeat(100);
        assert_eq!(excerpt(&long), format!("{}...", "é".repeat(60)));
    }
}
