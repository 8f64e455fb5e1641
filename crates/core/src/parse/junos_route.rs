//! `show route` in any of its three encodings: text, `| display json`,
//! `| display xml`. The encoding is detected from the first line that is
//! neither blank nor the echoed command / prompt.

use super::{ParseError, junos_route_json, junos_route_text, junos_route_xml};
use crate::model::RouteList;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Text,
    Json,
    Xml,
}

/// Detects the encoding: the first line that starts with `{`/`[` is JSON,
/// with `<` is XML; anything else before that is text.
pub fn detect(input: &str) -> Encoding {
    for line in input.lines() {
        let t = line.trim_start();
        if t.is_empty() || is_echo_or_prompt(t) {
            continue;
        }
        return match t.as_bytes()[0] {
            b'{' | b'[' => Encoding::Json,
            b'<' => Encoding::Xml,
            _ => Encoding::Text,
        };
    }
    Encoding::Text
}

/// The mode line Junos prints above the prompt (`{master:0}`,
/// `{primary:node0}`, `[edit]`): bracketed and unquoted, which a JSON value
/// holding a route never is.
pub(super) fn is_bracketed_prompt(line: &str) -> bool {
    let inner = line
        .strip_prefix('{')
        .and_then(|l| l.strip_suffix('}'))
        .or_else(|| line.strip_prefix('[').and_then(|l| l.strip_suffix(']')));
    inner.is_some_and(|i| i.starts_with(|c: char| c.is_ascii_alphabetic()) && !i.contains('"'))
}

/// A captured command line (`show route ...`, `user@host> show ...`).
fn is_echo_or_prompt(line: &str) -> bool {
    is_bracketed_prompt(line.trim_end())
        || line.starts_with("show ")
        || line.starts_with("run show ")
        || super::junos_bgp_summary::junos_cli::is_prompt(line.trim_end())
}

pub fn parse(input: &str) -> Result<RouteList<'_>, ParseError> {
    match detect(input) {
        Encoding::Text => junos_route_text::parse(input),
        Encoding::Json => junos_route_json::parse(input),
        Encoding::Xml => junos_route_xml::parse(input),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_lines_and_echo_are_not_the_encoding() {
        let text = "{primary:node0}\nuser@SEA-SRX42-01> show route table Cust11.inet.0\n\nCust11.inet.0: 1 destinations";
        assert_eq!(detect(text), Encoding::Text);
        assert_eq!(
            detect("[edit]\nroot@vsrx# run show route | display json\n[{\"data\"}]"),
            Encoding::Json
        );
        assert_eq!(detect("{master:0}\n<rpc-reply>"), Encoding::Xml);
        assert_eq!(detect("\n{\n\"route-information\""), Encoding::Json);
    }
}
