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

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{ParseError, junos_route_xml, line_of};
use crate::model::route::protocol_name;
use crate::model::{ParsedRoute, RouteList};

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
            Some(b'<') => return Start::Xml(at),
            _ => {}
        }
        offset += line.len();
    }
    Start::Nothing
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
/// outside a change); `-` (last active) and an empty tag do not.
pub(super) fn is_active_tag(tag: &str) -> bool {
    matches!(tag.trim(), "*" | "+")
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
    #[serde(borrow, default)]
    nh: Many<Nh<'a>>,
}

#[derive(Debug, Deserialize)]
struct Nh<'a> {
    #[serde(borrow, default)]
    to: Elem<Text<'a>>,
}

impl<'a> RtEntry<'a> {
    fn into_route(self, prefix: Cow<'a, str>, table: Option<Cow<'a, str>>) -> ParsedRoute<'a> {
        let mut next_hops = Some(Vec::new());
        for to in self.nh.0.into_iter().flat_map(|nh| nh.to.0) {
            if to.0 == SELF_NEXT_HOP {
                next_hops = None;
            } else if let Some(hops) = next_hops.as_mut() {
                hops.push(to.0);
            }
        }
        ParsedRoute {
            prefix,
            protocol: self.protocol_name.0.map(|p| protocol_name(&p)),
            active: self.active_tag.0.is_some_and(|t| is_active_tag(&t)),
            preference: self.preference.0.into_iter().find_map(|n| n.0),
            local_pref: self.local_preference.0.into_iter().find_map(|n| n.0),
            as_path: self.as_path.0.into_iter().find_map(|p| p.0),
            next_hops,
            table,
        }
    }
}

// ---------------------------------------------------------------------------
// serde plumbing for Junos' JSON conventions.

/// A list that Junos writes as an array, or as a lone object where it knows
/// there is a single one (hidden and inactive routes, some older releases).
#[derive(Debug)]
struct Many<T>(Vec<T>);

impl<T> Default for Many<T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Many<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Many<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of objects or an object")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
                while let Some(item) = seq.next_element()? {
                    out.push(item);
                }
                Ok(Many(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(|t| Many(vec![t]))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// One element's values: `[{"data": V, "attributes": …}, …]`. Occurrences
/// without `data` (`[{}]`, an empty `active-tag`) contribute nothing.
#[derive(Debug)]
struct Elem<V>(Vec<V>);

impl<V> Default for Elem<V> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Elem<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ElemVisitor<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for ElemVisitor<V> {
            type Value = Elem<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(r#"Junos' [{"data": …}] wrapper"#)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(Occurrence(v)) = seq.next_element::<Occurrence<V>>()? {
                    out.extend(v);
                }
                Ok(Elem(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let Occurrence(v) = OccurrenceVisitor(PhantomData).visit_map(map)?;
                Ok(Elem(v.into_iter().collect()))
            }
        }
        d.deserialize_any(ElemVisitor(PhantomData))
    }
}

/// One `{"data": V, "attributes": …}` object.
struct Occurrence<V>(Option<V>);

struct OccurrenceVisitor<V>(PhantomData<V>);

impl<'de, V: Deserialize<'de>> Visitor<'de> for OccurrenceVisitor<V> {
    type Value = Occurrence<V>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(r#"an object like {"data": …}"#)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut value = None;
        while let Some(key) = map.next_key::<IsData>()? {
            if key.0 && value.is_none() {
                value = Some(map.next_value::<V>()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(Occurrence(value))
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Occurrence<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(OccurrenceVisitor(PhantomData))
    }
}

/// A map key, told apart as `data` or anything else without allocating.
struct IsData(bool);

impl<'de> Deserialize<'de> for IsData {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = IsData;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<IsData, E> {
                Ok(IsData(v == "data"))
            }
        }
        d.deserialize_identifier(KeyVisitor)
    }
}

/// A `data` value as text, borrowed unless the JSON string holds escapes.
/// `[null]`, the value of a flag element, reads as empty text.
#[derive(Debug)]
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v.trim())))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.trim().to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(if v { "true" } else { "false" })))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed("")))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Text(Cow::Borrowed("")))
            }
        }
        d.deserialize_any(TextVisitor)
    }
}

/// The first non-empty text of an element, if any.
#[derive(Debug, Default)]
struct FirstText<'a>(Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for FirstText<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let all = Elem::<Text<'a>>::deserialize(d)?;
        Ok(FirstText(
            all.0.into_iter().map(|t| t.0).find(|t| !t.is_empty()),
        ))
    }
}

impl FirstText<'_> {
    fn first(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

/// Text an entry cannot go without (`rt-destination`); its absence is
/// reported where the element ends.
#[derive(Debug)]
struct RequiredText<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for RequiredText<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match FirstText::deserialize(d)?.0 {
            Some(t) => Ok(RequiredText(t)),
            None => Err(de::Error::custom(
                "empty value where a destination is required",
            )),
        }
    }
}

/// A numeric `data` value (`"170"`); anything else is an error here, where
/// serde_json still knows the position.
#[derive(Debug)]
struct Number(Option<u32>);

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct NumberVisitor;
        impl<'de> Visitor<'de> for NumberVisitor {
            type Value = Number;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Number, E> {
                parse_number(v).map(Number).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Number, E> {
                u32::try_from(v)
                    .map(|n| Number(Some(n)))
                    .map_err(|_| E::custom(format!("`{v}` is out of range")))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Number, E> {
                u32::try_from(v)
                    .map(|n| Number(Some(n)))
                    .map_err(|_| E::custom(format!("`{v}` is out of range")))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Number, E> {
                Ok(Number(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Number, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Number(None))
            }
        }
        d.deserialize_any(NumberVisitor)
    }
}

/// An `as-path` value, parsed where serde_json still knows the position.
#[derive(Debug)]
struct AsPath(Option<Vec<u32>>);

impl<'de> Deserialize<'de> for AsPath {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct AsPathVisitor;
        impl<'de> Visitor<'de> for AsPathVisitor {
            type Value = AsPath;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an AS path")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<AsPath, E> {
                parse_as_path(v).map(|p| AsPath(Some(p))).map_err(E::custom)
            }
            fn visit_unit<E: de::Error>(self) -> Result<AsPath, E> {
                Ok(AsPath(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<AsPath, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(AsPath(None))
            }
        }
        d.deserialize_any(AsPathVisitor)
    }
}

#[cfg(test)]
mod tests;
