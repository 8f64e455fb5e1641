//! `show route … | display json`.
//!
//! Junos renders its XML tree as JSON: every element becomes an array of
//! objects, one per occurrence, with the element's text under `"data"` and
//! its attributes under `"attributes"`. Only the handful of elements the
//! normalized form needs are deserialized; serde skips everything else
//! without building it, and strings without escapes borrow from the input.
//!
//! The helpers shared with the XML parser (the same tree, another encoding)
//! live here too, because the two parsers must agree on what a path means.

mod de;

use std::borrow::Cow;

use de::{AsPath, Elem, FirstText, Many, Number, RequiredText, Text};
use serde::Deserialize;

use super::{ParseError, junos_route_xml, line_of};
use crate::model::route::{protocol_name, push_sparing};
use crate::model::{HopDetails, ParsedRoute, PathUse, RouteList};

pub fn parse(input: &str) -> Result<RouteList<'_>, ParseError> {
    let start = match find_start(input) {
        Start::Json(at) => at,
        // A capture whose XML follows a `{master:0}` prompt line looks like
        // JSON to a detector that reads only the first line.
        Start::Xml(_) => return junos_route_xml::parse(input),
        Start::Nothing => {
            return Err(ParseError::new(
                0,
                "no JSON value in the output (expected `show route … | display json`)",
            ));
        }
    };
    let body = input.get(start..).unwrap_or_default();
    let base_line = line_of(input, start);
    // Only the first value: a capture may go on with the CLI prompt
    // (`{master:0}`) or with the next command's output.
    let mut stream = serde_json::Deserializer::from_str(body).into_iter::<Reply<'_>>();
    let reply = match stream.next() {
        Some(Ok(reply)) => reply,
        Some(Err(e)) => return Err(json_error(base_line, &e)),
        None => return Err(ParseError::new(base_line, "no JSON value in the output")),
    };
    let Some(infos) = reply.route_information else {
        return Err(ParseError::new(
            base_line,
            "no `route-information` in the JSON (is this `show route … | display json`?)",
        ));
    };

    let mut routes = Vec::new();
    for info in infos.0 {
        for table in info.route_table.0 {
            let table_name = table.table_name.0;
            for rt in table.rt.0 {
                let prefix = join_prefix(rt.destination.0, rt.prefix_length.first());
                for entry in rt.entries.0 {
                    routes.push(entry.into_route(prefix.clone(), table_name.clone()));
                }
            }
        }
    }
    Ok(RouteList::from_routes(routes))
}

/// Maps a serde_json error onto the input's lines; serde_json counts from
/// the start of the JSON value, which may follow an echoed command.
fn json_error(base_line: usize, e: &serde_json::Error) -> ParseError {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let what = full.strip_suffix(&suffix).unwrap_or(&full);
    let what = if e.is_eof() {
        format!("truncated JSON: {what}")
    } else {
        what.to_string()
    };
    if e.line() == 0 {
        ParseError::new(base_line, what)
    } else {
        ParseError::new(
            base_line + e.line() - 1,
            format!("{what} (column {})", e.column()),
        )
    }
}

// ---------------------------------------------------------------------------
// Helpers shared with `junos_route_xml`.

/// Where the structured output starts, past an echoed command, a prompt or a
/// banner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Start {
    /// Byte offset of the opening `{` or `[`.
    Json(usize),
    /// Byte offset of the first `<`.
    Xml(usize),
    Nothing,
}

fn find_start(input: &str) -> Start {
    let mut offset = 0;
    for line in input.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let at = offset + (line.len() - trimmed.len());
        match trimmed.as_bytes().first() {
            Some(b'{' | b'[') if !super::junos_route::is_bracketed_prompt(trimmed.trim_end()) => {
                return Start::Json(at);
            }
            Some(b'<') => {
                return match json_in_rpc_reply(input, at) {
                    Some(json) => Start::Json(json),
                    None => Start::Xml(at),
                };
            }
            _ => {}
        }
        offset += line.len();
    }
    Start::Nothing
}

/// Where the JSON inside `<rpc-reply …>` starts, when the XML at `at` is a
/// reply that holds JSON: what NETCONF and PyEZ return for an RPC asked
/// with `format="json"`.
pub(super) fn json_in_rpc_reply(input: &str, at: usize) -> Option<usize> {
    let mut rest = input.get(at..)?;
    if let Some(decl) = rest.strip_prefix("<?xml") {
        rest = decl.split_once("?>")?.1.trim_start();
    }
    let tag = rest.strip_prefix("<rpc-reply")?;
    if !tag.starts_with(['>', ' ', '\t', '\r', '\n']) {
        return None;
    }
    let end = memchr::memchr(b'>', tag.as_bytes())?;
    let after = &tag[end + 1..];
    let body = after.trim_start();
    body.starts_with(['{', '['])
        .then(|| input.len() - body.len())
}

/// The route's prefix: `rt-destination`, plus `/` and `rt-prefix-length`
/// where Junos gives the length apart (detail style).
pub(super) fn join_prefix<'a>(destination: Cow<'a, str>, length: Option<&str>) -> Cow<'a, str> {
    match length {
        Some(len) if !len.is_empty() => Cow::Owned(format!("{destination}/{len}")),
        _ => destination,
    }
}

/// `*` marks the active path and `+` the one the kernel uses (the same path
/// outside a change), `@` the one routing selected where forwarding uses
/// the `#` one; `-` (last active) and an empty tag mark no active path.
/// Gives whether the path is active and what it is used for.
pub(super) fn active_tag(tag: Option<&str>) -> (bool, Option<PathUse>) {
    match tag.map(str::trim) {
        Some("*" | "+") => (true, None),
        Some(t @ ("@" | "#")) => (t == "@", PathUse::from_mark(t.as_bytes()[0])),
        _ => (false, None),
    }
}

/// The next hop Junos prints for a route it originates (`advertising-protocol`):
/// not pinned to an address.
pub(super) const SELF_NEXT_HOP: &str = "Self";

/// The AS numbers of a Junos AS path, in order.
///
/// Takes the `as-path` element in any of its forms: `65100 I` (brief),
/// `AS path: 65001 I` (detail), several lines of which only the first
/// `AS path:` one is the path (`AS path: 1299 13335 I`, `Aggregator: …`,
/// `AS path: Recorded`), or the text form with `, validation-state: …`.
/// Confederation parentheses and AS-set braces are dropped, as is the
/// bracketed local AS of advertising output (`[65151]`) and the origin
/// letter with anything after it (`I (Originator)`).
pub(super) fn parse_as_path(raw: &str) -> Result<Vec<u32>, String> {
    let mut lines = raw.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.clone().next().unwrap_or_default();
    let path = match lines.find_map(|l| l.strip_prefix("AS path:")) {
        Some(p) => p,
        None => first,
    };

    let mut out = Vec::new();
    let mut in_local_as = false;
    let mut set_depth = 0usize;
    for token in path.split_ascii_whitespace() {
        // A comma at the top level ends the path (`I, validation-state: …`);
        // inside an AS set it separates members.
        let (token, last) = match token.strip_suffix(',') {
            Some(t) if set_depth == 0 => (t, true),
            _ => (token, false),
        };
        if in_local_as || token.starts_with('[') {
            in_local_as = !token.ends_with(']');
            if last {
                break;
            }
            continue;
        }
        if set_depth == 0 && matches!(token, "I" | "E" | "?") {
            break;
        }
        set_depth += token.matches('{').count();
        set_depth = set_depth.saturating_sub(token.matches('}').count());
        for part in token.split(',') {
            let number = part.trim_matches(|c| matches!(c, '(' | ')' | '{' | '}'));
            if number.is_empty() {
                continue;
            }
            out.push(as_number(number).ok_or_else(|| {
                format!("`{part}` in AS path `{}` is not an AS number", path.trim())
            })?);
        }
        if last {
            break;
        }
    }
    Ok(out)
}

/// An AS number, plain (`65001`) or in asdot notation (`1.10`).
fn as_number(s: &str) -> Option<u32> {
    if let Ok(n) = s.parse::<u32>() {
        return Some(n);
    }
    let (high, low) = s.split_once('.')?;
    let high: u16 = high.parse().ok()?;
    let low: u16 = low.parse().ok()?;
    Some((u32::from(high) << 16) | u32::from(low))
}

/// Reads a Junos number (`"170"`), telling what was found when it is not one.
pub(super) fn parse_number(s: &str) -> Result<Option<u32>, String> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    t.parse::<u32>()
        .map(Some)
        .map_err(|_| format!("`{t}` is not a number"))
}

// ---------------------------------------------------------------------------
// The JSON tree, as far as it is read.

#[derive(Debug, Deserialize)]
struct Reply<'a> {
    #[serde(rename = "route-information", borrow, default)]
    route_information: Option<Many<RouteInformation<'a>>>,
}

#[derive(Debug, Deserialize)]
struct RouteInformation<'a> {
    #[serde(rename = "route-table", borrow, default)]
    route_table: Many<RouteTable<'a>>,
}

#[derive(Debug, Deserialize)]
struct RouteTable<'a> {
    #[serde(rename = "table-name", borrow, default)]
    table_name: FirstText<'a>,
    #[serde(borrow, default)]
    rt: Many<Rt<'a>>,
}

#[derive(Debug, Deserialize)]
struct Rt<'a> {
    #[serde(rename = "rt-destination", borrow)]
    destination: RequiredText<'a>,
    #[serde(rename = "rt-prefix-length", borrow, default)]
    prefix_length: FirstText<'a>,
    #[serde(rename = "rt-entry", borrow, default)]
    entries: Many<RtEntry<'a>>,
}

#[derive(Debug, Deserialize)]
struct RtEntry<'a> {
    #[serde(rename = "active-tag", borrow, default)]
    active_tag: FirstText<'a>,
    #[serde(rename = "protocol-name", borrow, default)]
    protocol_name: FirstText<'a>,
    #[serde(default)]
    preference: Elem<Number>,
    #[serde(rename = "local-preference", default)]
    local_preference: Elem<Number>,
    #[serde(rename = "as-path", default)]
    as_path: Elem<AsPath>,
    #[serde(rename = "learned-from", borrow, default)]
    learned_from: FirstText<'a>,
    /// The detail forms' peer (`Source:` in text).
    #[serde(borrow, default)]
    gateway: FirstText<'a>,
    #[serde(borrow, default)]
    nh: Many<Nh<'a>>,
}

#[derive(Debug, Deserialize)]
struct Nh<'a> {
    #[serde(borrow, default)]
    to: Elem<Text<'a>>,
    #[serde(borrow, default)]
    via: Elem<Text<'a>>,
    /// A Local route's own interface (`Local via IF` in text).
    #[serde(rename = "nh-local-interface", borrow, default)]
    local_interface: Elem<Text<'a>>,
}

impl<'a> RtEntry<'a> {
    fn into_route(self, prefix: Cow<'a, str>, table: Option<Cow<'a, str>>) -> ParsedRoute<'a> {
        let mut next_hops = Some(Vec::new());
        let mut next_hop_interfaces = Vec::new();
        for nh in self.nh.0 {
            for to in nh.to.0 {
                if to.0 == SELF_NEXT_HOP {
                    next_hops = None;
                } else if let Some(hops) = next_hops.as_mut() {
                    hops.push(to.0);
                }
            }
            let vias = nh.via.0.into_iter().chain(nh.local_interface.0);
            for via in vias.filter(|v| !v.0.is_empty()) {
                push_sparing(&mut next_hop_interfaces, via.0);
            }
        }
        let (active, path_use) = active_tag(self.active_tag.0.as_deref());
        ParsedRoute {
            prefix,
            protocol: self.protocol_name.0.map(|p| protocol_name(&p)),
            active,
            preference: self.preference.0.into_iter().find_map(|n| n.0),
            local_pref: self.local_preference.0.into_iter().find_map(|n| n.0),
            as_path: self.as_path.0.into_iter().find_map(|p| p.0),
            next_hops,
            hop_details: HopDetails::read(
                next_hop_interfaces,
                self.learned_from.0.or(self.gateway.0),
            ),
            path_use,
            table,
        }
    }
}

#[cfg(test)]
mod tests;
