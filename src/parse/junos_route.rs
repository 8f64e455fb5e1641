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

/// A captured command line (`show route ...`, `user@host> show ...`).
fn is_echo_or_prompt(line: &str) -> bool {
    line.starts_with("show ")
        || line.starts_with("run show ")
        || line
            .split_once(['>', '#'])
            .is_some_and(|(head, tail)| {
                !head.is_empty()
                    && !head.contains(' ')
                    && !head.starts_with('{')
                    && !head.starts_with('<')
                    && (tail.trim_start().starts_with("show ") || tail.trim().is_empty())
            })
}

pub fn parse(input: &str) -> Result<RouteList<'_>, ParseError> {
    match detect(input) {
        Encoding::Text => junos_route_text::parse(input),
        Encoding::Json => junos_route_json::parse(input),
        Encoding::Xml => junos_route_xml::parse(input),
    }
}
