//! A small element tree over quick-xml, enough to read Junos `| display
//! xml` replies by element name (namespaces dropped: Junos puts every reply
//! in a release-specific namespace that says nothing about its shape).
//!
//! Kept beside the BGP summary parser because it was written first; the BFD
//! parser uses it too.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::junos_cli;
use crate::parse::ParseError;
use crate::parse::lines::LineCounter;

/// Deeper nesting than any Junos reply has means hostile or broken input;
/// the limit keeps the recursive lookups below off the end of the stack.
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, Default)]
pub(crate) struct Element {
    /// Local name (`bgp-peer`, never `junos:bgp-peer`).
    pub name: String,
    /// Attributes by local name (`junos:seconds` is `seconds`).
    pub attrs: Vec<(String, String)>,
    /// The element's own text, entities resolved, untrimmed.
    pub text: String,
    pub children: Vec<Element>,
    /// The 1-based input line of the start tag, for errors.
    pub line: usize,
}

impl Element {
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn children_named<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s Element> + 's {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The trimmed text of the first child so named; `None` when the child
    /// is missing or empty.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name)
            .map(|c| c.text.trim())
            .filter(|t| !t.is_empty())
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first element so named, this one or a descendant, depth first.
    pub fn find(&self, name: &str) -> Option<&Element> {
        if self.name == name {
            return Some(self);
        }
        self.children.iter().find_map(|c| c.find(name))
    }
}

/// Parses the XML part of a capture (which may carry an echoed command
/// before it and a prompt after it) into a nameless root element whose
/// children are the top-level elements.
pub(crate) fn parse(input: &str) -> Result<Element, ParseError> {
    let start = xml_start(input);
    let end = input.rfind('>').map_or(input.len(), |i| i + 1).max(start);
    let body = input.get(start..end).unwrap_or_default();
    let mut reader = Reader::from_str(body);
    let mut stack: Vec<Element> = vec![Element::default()];
    // Every element records its line: one running count, never a rescan.
    let mut lines = LineCounter::new(input);
    loop {
        let pos =
            start.saturating_add(usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX));
        let event = reader.read_event().map_err(|e| {
            let at = start
                .saturating_add(usize::try_from(reader.error_position()).unwrap_or(usize::MAX));
            ParseError::new(lines.line_at(at), format!("malformed XML: {e}"))
        })?;
        let line = lines.line_at(pos);
        match event {
            Event::Start(tag) => {
                if stack.len() > MAX_DEPTH {
                    return Err(ParseError::new(line, "XML nested too deeply"));
                }
                stack.push(element(&tag, line)?);
            }
            Event::Empty(tag) => {
                let el = element(&tag, line)?;
                if let Some(parent) = stack.last_mut() {
                    parent.children.push(el);
                }
            }
            Event::End(_) => {
                // The reader has already matched the end tag to its start.
                if stack.len() > 1
                    && let Some(done) = stack.pop()
                    && let Some(parent) = stack.last_mut()
                {
                    parent.children.push(done);
                }
            }
            Event::Text(t) => push_text(&mut stack, &t.decode().unwrap_or_default()),
            Event::CData(t) => push_text(&mut stack, &t.decode().unwrap_or_default()),
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c.to_string()),
                    _ => r
                        .decode()
                        .ok()
                        .and_then(|name| quick_xml::escape::resolve_xml_entity(&name))
                        .map(str::to_owned),
                };
                push_text(&mut stack, resolved.as_deref().unwrap_or_default());
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::DocType(_) | Event::Comment(_) => {}
        }
    }
    if stack.len() > 1 {
        let open = stack.last().map_or(0, |e| e.line);
        return Err(ParseError::new(
            open,
            "XML ends before its elements are closed",
        ));
    }
    Ok(stack.pop().unwrap_or_default())
}

/// Byte offset of the first line that is not noise (the XML proper).
fn xml_start(input: &str) -> usize {
    let mut offset = 0;
    for line in input.split_inclusive('\n') {
        if !junos_cli::is_noise(line) {
            return offset + (line.len() - line.trim_start().len());
        }
        offset += line.len();
    }
    input.len()
}

fn push_text(stack: &mut [Element], text: &str) {
    if let Some(top) = stack.last_mut() {
        top.text.push_str(text);
    }
}

fn element(tag: &BytesStart<'_>, line: usize) -> Result<Element, ParseError> {
    let bad =
        |e: &dyn std::fmt::Display| ParseError::new(line, format!("malformed XML attribute: {e}"));
    let mut attrs = Vec::new();
    for attr in tag.attributes() {
        let attr = attr.map_err(|e| bad(&e))?;
        let value = attr.unescape_value().map_err(|e| bad(&e))?;
        attrs.push((
            String::from_utf8_lossy(attr.key.local_name().as_ref()).into_owned(),
            value.into_owned(),
        ));
    }
    Ok(Element {
        name: String::from_utf8_lossy(tag.local_name().as_ref()).into_owned(),
        attrs,
        text: String::new(),
        children: Vec::new(),
        line,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nested_elements_and_attributes() {
        let xml = "user@r> show bgp summary | display xml\n<rpc-reply xmlns:junos=\"x\">\n  <a junos:seconds=\"12\">x &amp; y&#33;</a>\n  <b/>\n</rpc-reply>\n\nuser@r> ";
        let root = parse(xml).expect("parses");
        let reply = root.find("rpc-reply").expect("reply");
        let a = reply.child("a").expect("a");
        assert_eq!(a.text, "x & y!");
        assert_eq!(a.attr("seconds"), Some("12"));
        assert_eq!(a.line, 3);
        assert!(reply.child("b").is_some());
        assert_eq!(reply.child_text("b"), None);
    }

    #[test]
    fn errors_name_a_line() {
        let err = parse("<a>\n<b>\n</a>").expect_err("mismatched");
        assert!(err.line >= 1, "{err}");
        let err = parse("<a>\n<b>").expect_err("unclosed");
        assert!(err.message.contains("closed"), "{err}");
        let deep = "<a>".repeat(MAX_DEPTH + 5);
        assert!(parse(&deep).is_err());
    }
}
