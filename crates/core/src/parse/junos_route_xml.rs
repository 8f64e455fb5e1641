//! `show route … | display xml`.
//!
//! A pull parser over the events of the reply: the routing tree is the
//! same as the JSON one (`route-table` > `rt` > `rt-entry` > `nh`), so only
//! the elements the normalized form needs are read, and only where they sit
//! in that tree (`protocol-nh/to` is no next hop, `tsi` holds no element we
//! read). Values are trimmed of the whitespace pretty-printing puts around
//! them and borrow from the input unless they hold entity references.

use std::borrow::Cow;

use quick_xml::Reader;
use quick_xml::events::{BytesRef, Event};

use super::junos_route_json::{
    self, SELF_NEXT_HOP, active_tag, join_prefix, parse_as_path, parse_number,
};
use super::lines::LineCounter;
use super::{ParseError, line_of};
use crate::model::route::{protocol_name, push_sparing};
use crate::model::{HopDetails, ParsedRoute, PathUse, RouteList};

pub fn parse(input: &str) -> Result<RouteList<'_>, ParseError> {
    // Whatever precedes the reply (echoed command, `{master:0}`) is not read.
    let start = xml_start(input).ok_or_else(|| {
        ParseError::new(
            0,
            "no XML in the output (expected `show route … | display xml`)",
        )
    })?;
    if junos_route_json::json_in_rpc_reply(input, start).is_some() {
        return junos_route_json::parse(input);
    }
    Parser::new(input, start).run()
}

/// The first line that starts with `<`, whatever comes before it.
fn xml_start(input: &str) -> Option<usize> {
    let mut offset = 0;
    for line in input.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if trimmed.starts_with('<') {
            return Some(offset + (line.len() - trimmed.len()));
        }
        offset += line.len();
    }
    None
}

/// The elements read; everything else is `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum El {
    RouteInformation,
    RouteTable,
    TableName,
    Rt,
    RtDestination,
    RtPrefixLength,
    RtEntry,
    ActiveTag,
    ProtocolName,
    Preference,
    LocalPreference,
    AsPath,
    Nh,
    To,
    Via,
    LearnedFrom,
    /// A Local route's own interface (`Local via IF` in text).
    NhLocalInterface,
    /// The detail forms' peer (`Source:` in text).
    Gateway,
    Other,
}

impl El {
    fn from_local_name(name: &[u8]) -> El {
        match name {
            b"route-information" => El::RouteInformation,
            b"route-table" => El::RouteTable,
            b"table-name" => El::TableName,
            b"rt" => El::Rt,
            b"rt-destination" => El::RtDestination,
            b"rt-prefix-length" => El::RtPrefixLength,
            b"rt-entry" => El::RtEntry,
            b"active-tag" => El::ActiveTag,
            b"protocol-name" => El::ProtocolName,
            b"preference" => El::Preference,
            b"local-preference" => El::LocalPreference,
            b"as-path" => El::AsPath,
            b"nh" => El::Nh,
            b"to" => El::To,
            b"via" => El::Via,
            b"learned-from" => El::LearnedFrom,
            b"gateway" => El::Gateway,
            b"nh-local-interface" => El::NhLocalInterface,
            _ => El::Other,
        }
    }

    /// The element a leaf must sit directly under to be read, and the one
    /// above that where it matters.
    fn read_under(self) -> Option<(El, Option<El>)> {
        match self {
            El::TableName => Some((El::RouteTable, None)),
            El::RtDestination | El::RtPrefixLength => Some((El::Rt, None)),
            El::ActiveTag
            | El::ProtocolName
            | El::Preference
            | El::LocalPreference
            | El::AsPath
            | El::LearnedFrom
            | El::Gateway => Some((El::RtEntry, None)),
            El::To | El::Via | El::NhLocalInterface => Some((El::Nh, Some(El::RtEntry))),
            _ => None,
        }
    }
}

/// One `rt-entry` being read.
#[derive(Debug)]
struct Entry<'a> {
    active: bool,
    path_use: Option<PathUse>,
    protocol: Option<Cow<'a, str>>,
    preference: Option<u32>,
    local_pref: Option<u32>,
    as_path: Option<Vec<u32>>,
    next_hops: Option<Vec<Cow<'a, str>>>,
    next_hop_interfaces: Vec<Cow<'a, str>>,
    from: Option<Cow<'a, str>>,
}

impl Entry<'_> {
    fn new() -> Self {
        Self {
            active: false,
            path_use: None,
            protocol: None,
            preference: None,
            local_pref: None,
            as_path: None,
            next_hops: Some(Vec::new()),
            next_hop_interfaces: Vec::new(),
            from: None,
        }
    }
}

/// The text of the leaf being read, and where it starts.
#[derive(Debug)]
struct Leaf<'a> {
    tag: El,
    text: Option<Cow<'a, str>>,
    /// Byte offset in the whole input of the leaf's first text.
    at: usize,
}

impl<'a> Leaf<'a> {
    fn push(&mut self, piece: Cow<'a, str>) {
        self.text = Some(match self.text.take() {
            None => piece,
            Some(mut t) => {
                t.to_mut().push_str(&piece);
                t
            }
        });
    }

    /// The value with pretty-printing whitespace removed, borrowed where
    /// the text came in one piece.
    fn value(self) -> Cow<'a, str> {
        match self.text {
            None => Cow::Borrowed(""),
            Some(Cow::Borrowed(s)) => Cow::Borrowed(s.trim()),
            Some(Cow::Owned(s)) => {
                let t = s.trim();
                if t.len() == s.len() {
                    Cow::Owned(s)
                } else {
                    Cow::Owned(t.to_string())
                }
            }
        }
    }

    /// The line of the value itself, past the newline and indentation that
    /// pretty-printing puts before it.
    fn line(&self, lines: &mut LineCounter<'_>) -> usize {
        let lead = self
            .text
            .as_deref()
            .map_or(0, |t| t.len() - t.trim_start().len());
        lines.line_at(self.at.saturating_add(lead))
    }
}

#[derive(Debug)]
struct Parser<'a> {
    input: &'a str,
    /// Every leaf stored names its line: one running count, never a rescan.
    lines: LineCounter<'a>,
    base: usize,
    reader: Reader<&'a [u8]>,
    stack: Vec<El>,
    leaf: Option<Leaf<'a>>,
    seen_route_information: bool,
    table: Option<Cow<'a, str>>,
    destination: Option<Cow<'a, str>>,
    prefix_length: Option<Cow<'a, str>>,
    entries: Vec<Entry<'a>>,
    entry: Option<Entry<'a>>,
    routes: Vec<ParsedRoute<'a>>,
}

impl<'a> Parser<'a> {
    fn new(input: &'a str, start: usize) -> Self {
        let body = input.get(start..).unwrap_or_default();
        Self {
            input,
            lines: LineCounter::new(input),
            base: start,
            reader: Reader::from_str(body),
            stack: Vec::new(),
            leaf: None,
            seen_route_information: false,
            table: None,
            destination: None,
            prefix_length: None,
            entries: Vec::new(),
            entry: None,
            routes: Vec::new(),
        }
    }

    /// Byte offset in the whole input of the reader's position.
    fn offset(&self, pos: u64) -> usize {
        self.base
            .saturating_add(usize::try_from(pos).unwrap_or(usize::MAX))
    }

    fn error_here(&self, message: impl Into<String>) -> ParseError {
        ParseError::new(
            line_of(self.input, self.offset(self.reader.buffer_position())),
            message,
        )
    }

    fn run(mut self) -> Result<RouteList<'a>, ParseError> {
        let mut seen_root = false;
        loop {
            let event = match self.reader.read_event() {
                Ok(e) => e,
                Err(e) => {
                    let at = self.offset(self.reader.error_position());
                    return Err(ParseError::new(
                        line_of(self.input, at),
                        format!("malformed XML: {e}"),
                    ));
                }
            };
            match event {
                Event::Start(e) => {
                    seen_root = true;
                    self.open(El::from_local_name(e.local_name().as_ref()));
                }
                Event::Empty(e) => {
                    seen_root = true;
                    self.open(El::from_local_name(e.local_name().as_ref()));
                    self.close()?;
                }
                Event::End(_) => {
                    self.close()?;
                }
                Event::Text(t) => {
                    if self.stack.is_empty() {
                        // Text after the reply is the CLI prompt or the
                        // next command: the reply is over.
                        if seen_root && !t.iter().all(u8::is_ascii_whitespace) {
                            break;
                        }
                        continue;
                    }
                    if self.leaf.is_some() {
                        let piece = t
                            .decode()
                            .map_err(|e| self.error_here(format!("undecodable text: {e}")))?;
                        self.push_text(piece);
                    }
                }
                Event::CData(t) => {
                    if self.leaf.is_some() {
                        let piece = t
                            .decode()
                            .map_err(|e| self.error_here(format!("undecodable text: {e}")))?;
                        self.push_text(piece);
                    }
                }
                Event::GeneralRef(r) => {
                    if self.leaf.is_some() {
                        let piece = resolve_reference(&r).map_err(|m| self.error_here(m))?;
                        self.push_text(Cow::Owned(piece));
                    }
                }
                Event::Eof => break,
                Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
            }
        }
        if let Some(open) = self.stack.last() {
            return Err(ParseError::new(
                line_of(self.input, self.input.len()),
                format!("truncated XML: the output ends inside {}", describe(*open)),
            ));
        }
        if !self.seen_route_information {
            return Err(ParseError::new(
                line_of(self.input, self.base),
                "no <route-information> in the XML (is this `show route … | display xml`?)",
            ));
        }
        Ok(RouteList::from_routes(self.routes))
    }

    fn push_text(&mut self, piece: Cow<'a, str>) {
        if let Some(leaf) = self.leaf.as_mut() {
            leaf.push(piece);
        }
    }

    fn open(&mut self, tag: El) {
        let parent = self.stack.last().copied();
        let grandparent = self
            .stack
            .len()
            .checked_sub(2)
            .and_then(|i| self.stack.get(i))
            .copied();
        match tag {
            El::RouteInformation => self.seen_route_information = true,
            El::RouteTable => self.table = None,
            El::Rt => {
                self.destination = None;
                self.prefix_length = None;
                self.entries.clear();
            }
            El::RtEntry if parent == Some(El::Rt) => self.entry = Some(Entry::new()),
            _ => {}
        }
        self.leaf = None;
        let read = tag.read_under().is_some_and(|(under, above)| {
            parent == Some(under) && above.is_none_or(|a| grandparent == Some(a))
        });
        if read {
            let at = self.offset(self.reader.buffer_position());
            self.leaf = Some(Leaf {
                tag,
                text: None,
                at,
            });
        }
        self.stack.push(tag);
    }

    fn close(&mut self) -> Result<(), ParseError> {
        let Some(tag) = self.stack.pop() else {
            return Ok(());
        };
        if let Some(leaf) = self.leaf.take_if(|l| l.tag == tag) {
            self.store(leaf)?;
        }
        match tag {
            El::RtEntry => {
                if let Some(entry) = self.entry.take() {
                    self.entries.push(entry);
                }
            }
            El::Rt => self.finish_rt()?,
            _ => {}
        }
        Ok(())
    }

    fn store(&mut self, leaf: Leaf<'a>) -> Result<(), ParseError> {
        let line = leaf.line(&mut self.lines);
        let tag = leaf.tag;
        let value = leaf.value();
        match tag {
            El::TableName => self.table = Some(value).filter(|v| !v.is_empty()),
            El::RtDestination => self.destination = Some(value).filter(|v| !v.is_empty()),
            El::RtPrefixLength => self.prefix_length = Some(value).filter(|v| !v.is_empty()),
            _ => {
                let Some(entry) = self.entry.as_mut() else {
                    return Ok(());
                };
                match tag {
                    El::ActiveTag => (entry.active, entry.path_use) = active_tag(Some(&value)),
                    El::ProtocolName if !value.is_empty() => {
                        entry.protocol = Some(protocol_name(&value))
                    }
                    El::Preference => {
                        entry.preference = parse_number(&value)
                            .map_err(|m| ParseError::new(line, format!("preference {m}")))?;
                    }
                    El::LocalPreference => {
                        entry.local_pref = parse_number(&value)
                            .map_err(|m| ParseError::new(line, format!("local-preference {m}")))?;
                    }
                    El::AsPath if entry.as_path.is_none() => {
                        entry.as_path =
                            Some(parse_as_path(&value).map_err(|m| ParseError::new(line, m))?);
                    }
                    El::To if value == SELF_NEXT_HOP => entry.next_hops = None,
                    El::To if !value.is_empty() => {
                        if let Some(hops) = entry.next_hops.as_mut() {
                            hops.push(value);
                        }
                    }
                    El::Via | El::NhLocalInterface if !value.is_empty() => {
                        push_sparing(&mut entry.next_hop_interfaces, value)
                    }
                    El::LearnedFrom if !value.is_empty() => entry.from = Some(value),
                    // `learned-from` (brief) wins where both are given.
                    El::Gateway if !value.is_empty() && entry.from.is_none() => {
                        entry.from = Some(value)
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }

    fn finish_rt(&mut self) -> Result<(), ParseError> {
        let entries = std::mem::take(&mut self.entries);
        let Some(destination) = self.destination.take() else {
            if entries.is_empty() {
                return Ok(());
            }
            return Err(self.error_here("<rt> without <rt-destination>"));
        };
        let prefix = join_prefix(destination, self.prefix_length.take().as_deref());
        for e in entries {
            self.routes.push(ParsedRoute {
                prefix: prefix.clone(),
                protocol: e.protocol,
                active: e.active,
                preference: e.preference,
                local_pref: e.local_pref,
                as_path: e.as_path,
                next_hops: e.next_hops,
                hop_details: HopDetails::read(e.next_hop_interfaces, e.from),
                path_use: e.path_use,
                table: self.table.clone(),
            });
        }
        Ok(())
    }
}

fn describe(tag: El) -> String {
    let name = match tag {
        El::RouteInformation => "route-information",
        El::RouteTable => "route-table",
        El::TableName => "table-name",
        El::Rt => "rt",
        El::RtDestination => "rt-destination",
        El::RtPrefixLength => "rt-prefix-length",
        El::RtEntry => "rt-entry",
        El::ActiveTag => "active-tag",
        El::ProtocolName => "protocol-name",
        El::Preference => "preference",
        El::LocalPreference => "local-preference",
        El::AsPath => "as-path",
        El::Nh => "nh",
        El::To => "to",
        El::Via => "via",
        El::LearnedFrom => "learned-from",
        El::Gateway => "gateway",
        El::NhLocalInterface => "nh-local-interface",
        El::Other => return "an element".to_string(),
    };
    format!("<{name}>")
}

/// The text of `&name;` or `&#N;`.
fn resolve_reference(r: &BytesRef<'_>) -> Result<String, String> {
    if let Some(c) = r
        .resolve_char_ref()
        .map_err(|e| format!("bad character reference: {e}"))?
    {
        return Ok(c.to_string());
    }
    let name = r
        .decode()
        .map_err(|e| format!("undecodable reference: {e}"))?;
    quick_xml::escape::resolve_predefined_entity(&name)
        .map(str::to_string)
        .ok_or_else(|| format!("unknown entity `&{name};`"))
}

#[cfg(test)]
mod tests;
