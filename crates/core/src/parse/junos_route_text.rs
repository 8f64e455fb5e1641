//! Junos `show route` as text, in every form an operator captures: the
//! brief form (`[Proto/pref]` path lines, `> to A via IF` next hops),
//! `table T`, the `advertising-protocol` / `receive-protocol` summary table,
//! and the `detail` / `extensive` forms (route entries and the advertised /
//! received prefix blocks).
//!
//! One pass over the lines with a small state machine. The form is read from
//! the lines themselves, never from the echoed command, which a capture may
//! lack or hold several of. Every string in the result borrows from the
//! input; a path costs at most its AS path and next-hop vectors.

mod fields;
mod summary;

use std::borrow::Cow;

use fields::{
    Tok, as_path, brief_next_hop, detail_header, detail_path, is_addr, is_cli_noise, is_ip_prefix,
    is_next_hop_word, is_prefix_like, is_summary_header, is_ws, ltrim, parse_u32, skip_ws,
    split_first, starts_brief_path, table_header, tokenize,
};
use summary::Summary;

use super::ParseError;
use crate::model::route::protocol_name;
use crate::model::{ParsedRoute, RouteList};

pub fn parse(input: &str) -> Result<RouteList<'_>, ParseError> {
    let input = input.strip_prefix('\u{feff}').unwrap_or(input);
    // Most captures hold no CR at all; then no line needs searching for one.
    let has_cr = memchr::memchr(b'\r', input.as_bytes()).is_some();
    let mut p = Parser {
        routes: Vec::new(),
        table: None,
        ctx: Ctx::Idle,
        toks: Vec::new(),
        base: base_indent(input, has_cr),
        reserve_cap: input.len() / MIN_BYTES_PER_ROUTE,
    };
    for (no, raw) in Lines::new(input) {
        let line = if has_cr {
            raw.strip_suffix('\r').unwrap_or(raw)
        } else {
            raw
        };
        p.line(no, line, has_cr)?;
    }
    p.close()?;
    Ok(RouteList::from_routes(p.routes))
}

/// No form prints a path in fewer bytes than this (a summary line is ~70):
/// bounds what a table header's route count may reserve, since a filtered
/// command (`show route table T PREFIX`) shows a few of a million routes.
const MIN_BYTES_PER_ROUTE: usize = 64;

/// Destinations start at column 0 (after the shared indentation); their
/// path and next-hop lines at 18 or more.
const MAX_DEST_INDENT: usize = 8;

/// Lines with their 1-based numbers.
struct Lines<'a> {
    rest: &'a str,
    no: usize,
}

impl<'a> Lines<'a> {
    fn new(input: &'a str) -> Self {
        Self { rest: input, no: 0 }
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = (usize, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        self.no += 1;
        let (line, rest) = match memchr::memchr(b'\n', self.rest.as_bytes()) {
            Some(i) => (&self.rest[..i], &self.rest[i + 1..]),
            None => (self.rest, ""),
        };
        self.rest = rest;
        Some((self.no, line))
    }
}

/// The text of a captured line as the terminal showed it: without CR, and
/// without the `---(more)---` prompt the pager wrote and then overwrote
/// (`None` when nothing is left).
fn clean(raw: &str, has_cr: bool) -> Option<&str> {
    let mut line = raw;
    if has_cr {
        line = line.strip_suffix('\r').unwrap_or(line);
        if let Some(i) = memchr::memrchr(b'\r', line.as_bytes()) {
            line = &line[i + 1..];
        }
    }
    let (_, t) = trim(line);
    un_page(t, line)
}

/// `line` without a leading pager prompt; `t` is `line` trimmed. Only a
/// line starting with `-` can hold one, so most lines cost one comparison.
fn un_page<'a>(t: &'a str, line: &'a str) -> Option<&'a str> {
    match t.strip_prefix("---(more") {
        Some(after) => after.split_once(")---").map(|(_, rest)| rest),
        None => Some(line),
    }
}

/// The indentation and the text of a line without surrounding blanks.
fn trim(line: &str) -> (usize, &str) {
    let b = line.as_bytes();
    let start = skip_ws(b, 0);
    let end = b.iter().rposition(|c| !is_ws(*c)).map_or(start, |i| i + 1);
    (start, line.get(start..end).unwrap_or_default())
}

/// The indentation every output line shares (a capture pasted into a
/// document or a test suite is often shifted as a block); CLI lines, which
/// may sit elsewhere, do not count.
fn base_indent(input: &str, has_cr: bool) -> usize {
    let mut base = usize::MAX;
    for (_, raw) in Lines::new(input) {
        let Some(line) = clean(raw, has_cr) else {
            continue;
        };
        let (indent, t) = trim(line);
        if t.is_empty() || is_cli_noise(t, split_first(t).0) {
            continue;
        }
        base = base.min(indent);
        if base == 0 {
            break;
        }
    }
    if base == usize::MAX { 0 } else { base }
}

fn new_route<'a>(prefix: &'a str, table: Option<&'a str>) -> ParsedRoute<'a> {
    ParsedRoute {
        prefix: Cow::Borrowed(prefix),
        protocol: None,
        active: false,
        preference: None,
        local_pref: None,
        as_path: None,
        next_hops: Some(Vec::new()),
        table: table.map(Cow::Borrowed),
    }
}

/// One entry of the detail form, `[*] PREFIX (N entries, M announced)`, up
/// to the next one.
#[derive(Debug)]
struct Block<'a> {
    prefix: &'a str,
    active: bool,
    /// Path lines seen; with none, the block itself is the route (the
    /// advertising/receive forms print attributes straight under the header).
    paths: usize,
    /// Inside `TSI:` (kernel and advertisement state, not the route's): read
    /// nothing until the next path line.
    tsi: bool,
    /// Skip lines indented deeper than this (`Indirect next hops:`, whose
    /// `Next hop:` lines are forwarding next hops, and `Advertised metrics:`).
    skip_deeper: Option<usize>,
    /// The current path's `Indirect next hops:` section began: it closes the
    /// path's listing, so no later `Next hop:` of this path is the route's,
    /// even where a copy lost the section's indentation.
    indirect: bool,
    local_pref: Option<u32>,
    as_path: Option<Vec<u32>>,
    next_hops: Vec<Cow<'a, str>>,
    next_hop_self: bool,
}

impl<'a> Block<'a> {
    fn new(prefix: &'a str, active: bool) -> Self {
        Self {
            prefix,
            active,
            paths: 0,
            tsi: false,
            skip_deeper: None,
            indirect: false,
            local_pref: None,
            as_path: None,
            next_hops: Vec::new(),
            next_hop_self: false,
        }
    }

    fn into_route(self, table: Option<&'a str>) -> ParsedRoute<'a> {
        ParsedRoute {
            active: self.active,
            local_pref: self.local_pref,
            as_path: self.as_path,
            // `Nexthop: Self` is no address the route is pinned to.
            next_hops: if self.next_hop_self && self.next_hops.is_empty() {
                None
            } else {
                Some(self.next_hops)
            },
            ..new_route(self.prefix, table)
        }
    }
}

#[derive(Debug)]
enum Ctx<'a> {
    Idle,
    /// A brief-form destination; `open` once one of its paths was read, which
    /// is then the last route.
    Brief {
        prefix: &'a str,
        open: bool,
    },
    Detail(Block<'a>),
    Summary(Summary<'a>),
}

struct Parser<'a> {
    routes: Vec<ParsedRoute<'a>>,
    table: Option<&'a str>,
    ctx: Ctx<'a>,
    /// Reused per summary line, so that tokenizing allocates nothing.
    toks: Vec<Tok<'a>>,
    /// See [`base_indent`].
    base: usize,
    /// At most this many routes are reserved up front.
    reserve_cap: usize,
}

impl<'a> Parser<'a> {
    fn line(&mut self, no: usize, mut line: &'a str, has_cr: bool) -> Result<(), ParseError> {
        if has_cr && let Some(i) = memchr::memrchr(b'\r', line.as_bytes()) {
            // What the terminal showed: the text after the last carriage return.
            line = &line[i + 1..];
        }
        let (mut indent, mut t) = trim(line);
        if t.as_bytes().first() == Some(&b'-') {
            let Some(rest) = un_page(t, line) else {
                return Ok(());
            };
            line = rest;
            (indent, t) = trim(line);
        }
        if t.is_empty() {
            return Ok(());
        }
        let (w, rest) = split_first(t);
        if is_cli_noise(t, w) {
            // Whatever follows answers another command.
            self.close()?;
            self.table = None;
            return Ok(());
        }
        if w == "error:" {
            return Err(ParseError::new(
                no,
                format!("the device answered with an error: {t}"),
            ));
        }
        if let Some((name, routes)) = table_header(w, rest) {
            self.close()?;
            self.table = Some(name);
            let room = self.reserve_cap.saturating_sub(self.routes.len());
            self.routes.reserve(routes.unwrap_or(0).min(room));
            return Ok(());
        }
        if w == "+" && t.starts_with("+ = Active Route") {
            return Ok(());
        }
        if is_summary_header(w, t) {
            self.close()?;
            self.ctx = Ctx::Summary(Summary::default());
            return Ok(());
        }
        if let Ctx::Summary(s) = &mut self.ctx {
            let rel = if indent >= self.base {
                line.get(self.base..).unwrap_or(line)
            } else {
                line
            };
            tokenize(rel, &mut self.toks);
            if let Some(r) = s.line(no, &self.toks, rel, self.table)? {
                self.routes.push(r);
            }
            return Ok(());
        }
        let indent = indent.saturating_sub(self.base);
        if let Some((active, prefix)) = detail_header(t) {
            self.close()?;
            self.ctx = Ctx::Detail(Block::new(prefix, active));
            return Ok(());
        }
        if matches!(self.ctx, Ctx::Detail(_)) {
            self.detail_line(no, indent, t, w, rest)
        } else {
            self.brief_line(no, indent, t, w, rest)
        }
    }

    /// Ends the current destination / table form.
    fn close(&mut self) -> Result<(), ParseError> {
        match std::mem::replace(&mut self.ctx, Ctx::Idle) {
            Ctx::Detail(b) if b.paths == 0 => self.routes.push(b.into_route(self.table)),
            Ctx::Summary(mut s) => s.finish()?,
            _ => {}
        }
        Ok(())
    }

    /// A line of the brief form; `w` and `rest` split the trimmed `t` at its
    /// first blank. Ordered by how often each kind of line comes.
    fn brief_line(
        &mut self,
        no: usize,
        indent: usize,
        t: &'a str,
        w: &'a str,
        rest: &'a str,
    ) -> Result<(), ParseError> {
        if t.as_bytes()[0] == b'>' {
            let nh = if w == ">" { rest } else { ltrim(&t[1..]) };
            return self.next_hop(no, t, nh);
        }
        if starts_brief_path(t) {
            return self.brief_path(no, t);
        }
        if w == "AS" && rest.starts_with("path:") {
            let path = as_path(&rest[5..]).map_err(|m| ParseError::new(no, m))?;
            let r = self.open_path(no, t)?;
            if r.as_path.is_none() {
                r.as_path = Some(path);
            }
            return Ok(());
        }
        if is_prefix_like(w) {
            if starts_brief_path(rest) {
                self.ctx = Ctx::Brief {
                    prefix: w,
                    open: false,
                };
                return self.brief_path(no, rest);
            }
            // `PREFIX*[Proto/pref]`: a destination that fills its column
            // leaves no blank before the mark.
            if let Some(mut k) = w.bytes().position(|c| c == b'[') {
                if k > 0 && matches!(w.as_bytes()[k - 1], b'*' | b'+' | b'-') {
                    k -= 1;
                }
                if k > 0 {
                    self.ctx = Ctx::Brief {
                        prefix: &w[..k],
                        open: false,
                    };
                    return self.brief_path(no, &t[k..]);
                }
            }
            // A destination too long for its column, alone on its line (an
            // EVPN one with its route type word): the paths follow, indented
            // twice as deep as this.
            if indent <= MAX_DEST_INDENT && !rest.contains([' ', '\t']) {
                self.ctx = Ctx::Brief {
                    prefix: w,
                    open: false,
                };
                return Ok(());
            }
            if is_ip_prefix(w) {
                return Err(unrecognized(no, t));
            }
            return Ok(());
        }
        if is_next_hop_word(w) || (w == "Local" && rest.starts_with("via")) {
            return self.next_hop(no, t, t);
        }
        if detail_path(t).is_some()
            || t.starts_with("Next hop:")
            || t.starts_with("Nexthop:")
            || t.starts_with("Localpref:")
        {
            return Err(ParseError::new(
                no,
                format!(
                    "`{t}` belongs to a route entry, but no `PREFIX (N entries, M announced)` line precedes it"
                ),
            ));
        }
        if matches!(w, "*" | "+" | "-") && rest.split_ascii_whitespace().take(3).any(is_ip_prefix) {
            return Err(unrecognized(no, t));
        }
        // Anything else is prose around the routes (`Restart Complete`,
        // `Limit/Threshold: …`, `Warning: …`).
        Ok(())
    }

    /// A brief next-hop line `t`, `nh` without its `>` selection mark.
    fn next_hop(&mut self, no: usize, t: &str, nh: &'a str) -> Result<(), ParseError> {
        let r = self.open_path(no, t)?;
        if let Some(a) = brief_next_hop(nh) {
            push_next_hop(r, a);
        }
        Ok(())
    }

    fn brief_path(&mut self, no: usize, t: &'a str) -> Result<(), ParseError> {
        let Ctx::Brief { prefix, open } = &mut self.ctx else {
            return Err(ParseError::new(
                no,
                format!("path `{}` has no destination before it", split_first(t).0),
            ));
        };
        let p = fields::brief_path(t).map_err(|m| ParseError::new(no, m))?;
        *open = true;
        self.routes.push(ParsedRoute {
            protocol: Some(protocol_name(p.proto)),
            active: p.active,
            preference: p.preference,
            local_pref: p.local_pref,
            ..new_route(prefix, self.table)
        });
        Ok(())
    }

    /// The path a brief continuation line (AS path, next hop) belongs to.
    fn open_path(&mut self, no: usize, t: &str) -> Result<&mut ParsedRoute<'a>, ParseError> {
        match (&self.ctx, self.routes.last_mut()) {
            (Ctx::Brief { open: true, .. }, Some(r)) => Ok(r),
            _ => Err(ParseError::new(
                no,
                format!("`{t}` has no `[Protocol/preference]` path line before it"),
            )),
        }
    }

    fn detail_line(
        &mut self,
        no: usize,
        indent: usize,
        t: &'a str,
        w: &'a str,
        rest: &'a str,
    ) -> Result<(), ParseError> {
        let Ctx::Detail(b) = &mut self.ctx else {
            return Ok(());
        };
        if let Some(k) = b.skip_deeper {
            if indent > k {
                return Ok(());
            }
            b.skip_deeper = None;
        }
        if let Some(p) = detail_path(t) {
            let p = p.map_err(|m| ParseError::new(no, m))?;
            b.tsi = false;
            b.indirect = false;
            b.paths += 1;
            self.routes.push(ParsedRoute {
                protocol: Some(protocol_name(p.proto)),
                active: p.active,
                preference: p.preference,
                ..new_route(b.prefix, self.table)
            });
            return Ok(());
        }
        if b.tsi {
            return Ok(());
        }
        if t == "TSI:" {
            b.tsi = true;
            return Ok(());
        }
        if starts_brief_path(t) || (is_prefix_like(w) && starts_brief_path(rest)) {
            // A brief-form listing after a detail one, without a table
            // header between them.
            self.close()?;
            return self.brief_line(no, indent, t, w, rest);
        }
        if t.starts_with("Indirect next hops:") || t.starts_with("Advertised metrics:") {
            b.skip_deeper = Some(indent);
            b.indirect |= t.starts_with("Indirect");
            return Ok(());
        }
        // `None` before the first path line: the block's own attributes.
        let path = if b.paths > 0 {
            self.routes.last_mut()
        } else {
            None
        };
        if let Some(v) = t.strip_prefix("Next hop:") {
            // `Next hop: A via IF[, selected]`; `Next hop: via IF` has none.
            let a = split_first(ltrim(v)).0.trim_end_matches(',');
            if let Some(r) = path.filter(|_| is_addr(a) && !b.indirect) {
                push_next_hop(r, a);
            }
            return Ok(());
        }
        if let Some(v) = t.strip_prefix("Nexthop:") {
            // Inside a path these are forwarding next hops, not the route's.
            if path.is_none() {
                let a = split_first(ltrim(v)).0;
                if a == "Self" {
                    b.next_hop_self = true;
                } else if is_addr(a) {
                    b.next_hops.push(Cow::Borrowed(a));
                }
            }
            return Ok(());
        }
        if let Some(v) = t.strip_prefix("Localpref:") {
            let lp = parse_u32(ltrim(v))
                .ok_or_else(|| ParseError::new(no, format!("garbled `{t}`: expected a number")))?;
            let slot = match path {
                Some(r) => &mut r.local_pref,
                None => &mut b.local_pref,
            };
            slot.get_or_insert(lp);
            return Ok(());
        }
        if let Some(v) = t.strip_prefix("AS path:") {
            let parsed = as_path(v).map_err(|m| ParseError::new(no, m))?;
            // With 4-byte AS transition both `AS2 PA[…]:` and `Merged[…]:`
            // lines show; the merged one is the path.
            let merged = v.trim_start().starts_with("Merged");
            let slot = match path {
                Some(r) => &mut r.as_path,
                None => &mut b.as_path,
            };
            if slot.is_none() || merged {
                *slot = Some(parsed);
            }
        }
        Ok(())
    }
}

/// Most paths have a single next hop: room for one, not the four a first
/// push would reserve.
fn push_next_hop<'a>(r: &mut ParsedRoute<'a>, a: &'a str) {
    let v = r.next_hops.get_or_insert_with(Vec::new);
    if v.capacity() == 0 {
        v.reserve_exact(1);
    }
    v.push(Cow::Borrowed(a));
}

fn unrecognized(no: usize, t: &str) -> ParseError {
    ParseError::new(
        no,
        format!(
            "`{t}` looks like route data but fits no `show route` form (a summary table needs its \
             `Prefix Nexthop MED Lclpref AS path` header)"
        ),
    )
}

#[cfg(test)]
mod tests;
