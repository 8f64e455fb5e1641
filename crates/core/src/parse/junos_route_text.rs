//! Junos `show route` as text, in every form an operator captures: the
//! brief form (`[Proto/pref]` path lines, `> to A via IF` next hops),
//! `table T`, the `advertising-protocol` / `receive-protocol` summary table,
//! and the `detail` / `extensive` forms (route entries and the advertised /
//! received prefix blocks), and `terse` (one path per line).
//!
//! One pass over the lines with a small state machine. The form is read from
//! the lines themselves, never from the echoed command, which a capture may
//! lack or hold several of. Every string in the result borrows from the
//! input; a path costs at most its AS path and next-hop vectors.

mod detail;
mod fields;
mod summary;
mod terse;

use std::borrow::Cow;

use detail::Block;
use fields::{
    Tok, as_path, brief_next_hop, detail_header, detail_path, is_cli_noise, is_ip_prefix,
    is_next_hop_word, is_prefix_like, is_summary_header, is_ws, ltrim, skip_ws, split_first,
    starts_brief_path, table_header, tokenize,
};
use summary::Summary;

use super::ParseError;
use crate::model::route::{protocol_name, push_sparing};
use crate::model::{HopDetails, ParsedRoute, RouteList};

pub fn parse(input: &str) -> Result<RouteList<'_>, ParseError> {
    parse_draining(input, |_| {})
}

/// [`parse`], handing `drain` the paths so far after each line: only the
/// last takes more lines, so `drain` may take the others (`route_stream`).
pub fn parse_draining<'a>(
    input: &'a str,
    mut drain: impl FnMut(&mut Vec<ParsedRoute<'a>>),
) -> Result<RouteList<'a>, ParseError> {
    let input = input.strip_prefix('\u{feff}').unwrap_or(input);
    // Most captures hold no CR at all; then no line needs searching for one.
    let has_cr = memchr::memchr(b'\r', input.as_bytes()).is_some();
    let mut p = Parser {
        input,
        routes: Vec::new(),
        table: None,
        ctx: Ctx::Idle,
        toks: Vec::new(),
        base: base_indent(input, has_cr),
        reserve_cap: input.len() / MIN_BYTES_PER_ROUTE,
        hopless: 0,
        warnings: Vec::new(),
    };
    for (no, raw) in Lines::new(input) {
        let line = if has_cr {
            raw.strip_suffix('\r').unwrap_or(raw)
        } else {
            raw
        };
        p.line(no, line, has_cr)?;
        drain(&mut p.routes);
    }
    p.close()?;
    let warnings = p.warnings();
    let mut list = RouteList::from_routes(p.routes);
    list.warnings = warnings;
    Ok(list)
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
        next_hops: Some(Vec::new()),
        table: table.map(Cow::Borrowed),
        ..ParsedRoute::default()
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
        /// The open path showed a next-hop line (`> to …`, `Discard`, …).
        hops: bool,
        /// The line of the open path.
        line: usize,
    },
    Detail(Block<'a>),
    Summary(Summary<'a>),
    /// A `terse` listing, and the destination of its last path.
    Terse(terse::Cols, Option<&'a str>),
}

struct Parser<'a> {
    input: &'a str,
    routes: Vec<ParsedRoute<'a>>,
    table: Option<&'a str>,
    ctx: Ctx<'a>,
    /// Reused per summary line, so that tokenizing allocates nothing.
    toks: Vec<Tok<'a>>,
    /// See [`base_indent`].
    base: usize,
    /// At most this many routes are reserved up front.
    reserve_cap: usize,
    /// Brief-form paths, not the last of their listing, without any
    /// next-hop line: what a `| match` filter leaves.
    hopless: usize,
    warnings: Vec<String>,
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
        if (w == "+" && t.starts_with("+ = Active Route"))
            || (w == "@" && t.starts_with("@ = Routing Use Only"))
        {
            return Ok(());
        }
        if is_summary_header(w, t) {
            self.close()?;
            self.ctx = Ctx::Summary(Summary::default());
            return Ok(());
        }
        // Column forms are read relative to the shared indentation.
        let rel = if indent >= self.base {
            line.get(self.base..).unwrap_or(line)
        } else {
            line
        };
        if w == "A" && rest.starts_with("V ") {
            tokenize(rel, &mut self.toks);
            if let Some(cols) = terse::header(&self.toks) {
                self.close()?;
                self.ctx = Ctx::Terse(cols, None);
                return Ok(());
            }
        }
        if let Ctx::Summary(s) = &mut self.ctx {
            tokenize(rel, &mut self.toks);
            if let Some(r) = s.line(no, &self.toks, rel, self.table)? {
                self.routes.push(r);
            }
            return Ok(());
        }
        if matches!(self.ctx, Ctx::Terse(..)) {
            return self.terse_line(no, rel);
        }
        // A mark or a validation state alone in the first column (`*`,
        // `?`, `V`, `@`): perhaps a terse line; `>` opens a next hop.
        if w.len() == 1 && w != ">" && !matches!(self.ctx, Ctx::Detail(_)) {
            tokenize(rel, &mut self.toks);
            if terse::looks_like_path(&self.toks) {
                self.close()?;
                self.warnings.push(format!(
                    "line {no}: terse lines without their `A V Destination …` header (a filtered \
                     capture?), read in Junos's own columns"
                ));
                self.ctx = Ctx::Terse(terse::JUNOS, None);
                return self.terse_line(no, rel);
            }
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
            // The last path of a listing: without a next hop, the capture
            // stopped inside it.
            Ctx::Brief {
                prefix,
                open: true,
                hops: false,
                line,
            } => {
                if self.hopless > 0 {
                    // Not the only one: a filter, not a cut.
                    self.hopless += 1;
                } else {
                    self.warnings.push(format!(
                        "line {line}: the last path of `{prefix}` shows no next hop: the capture \
                         may be cut short"
                    ));
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Starts brief destination `prefix`, ending the one before.
    fn start_dest(&mut self, prefix: &'a str) {
        self.end_brief_path();
        self.ctx = Ctx::Brief {
            prefix,
            open: false,
            hops: false,
            line: 0,
        };
    }

    /// Counts the open brief path if it showed no next hop.
    fn end_brief_path(&mut self) {
        if let Ctx::Brief {
            open: true,
            hops: false,
            ..
        } = self.ctx
        {
            self.hopless += 1;
        }
    }

    /// What the listing as a whole makes doubtful.
    fn warnings(&mut self) -> Vec<String> {
        let mut out = std::mem::take(&mut self.warnings);
        if self.hopless > 0 {
            out.push(format!(
                "{} path(s) show no next hop: a filtered capture (`| match`, `| except`) drops \
                 next-hop lines",
                self.hopless
            ));
        }
        if !self.routes.is_empty() && self.routes.iter().all(|r| r.table.is_none()) {
            out.push(
                "no table header (`NAME: N destinations, …`): the routes carry no table; a \
                 filtered capture drops it"
                    .to_string(),
            );
        }
        out
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
                self.start_dest(w);
                return self.brief_path(no, rest);
            }
            // `PREFIX*[Proto/pref]`: a destination that fills its column
            // leaves no blank before the mark.
            if let Some(mut k) = w.bytes().position(|c| c == b'[') {
                if k > 0 && matches!(w.as_bytes()[k - 1], b'*' | b'+' | b'-' | b'@' | b'#') {
                    k -= 1;
                }
                if k > 0 {
                    self.start_dest(&w[..k]);
                    return self.brief_path(no, &t[k..]);
                }
            }
            // A destination too long for its column, alone on its line (an
            // EVPN one with its route type word): the paths follow, indented
            // twice as deep as this.
            if indent <= MAX_DEST_INDENT && !rest.contains([' ', '\t']) {
                self.start_dest(w);
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
        if let Ctx::Brief { hops, .. } = &mut self.ctx {
            *hops = true;
        }
        let input = self.input;
        let r = self.open_path(no, t)?;
        if let Some(a) = brief_next_hop(nh).0 {
            push_next_hop(r, a);
        }
        // The path's span grows to this line: its interfaces are read
        // from there when asked (see `brief_hop_details`).
        if let HopDetails::Brief(span) = &mut r.hop_details {
            let start = offset_in(input, span);
            if let Some(s) = input.get(start..offset_in(input, nh) + nh.len()) {
                *span = s;
            }
        }
        Ok(())
    }

    fn brief_path(&mut self, no: usize, t: &'a str) -> Result<(), ParseError> {
        self.end_brief_path();
        let Ctx::Brief {
            prefix,
            open,
            hops,
            line,
        } = &mut self.ctx
        else {
            return Err(ParseError::new(
                no,
                format!("path `{}` has no destination before it", split_first(t).0),
            ));
        };
        let p = fields::brief_path(t).map_err(|m| ParseError::new(no, m))?;
        (*open, *hops, *line) = (true, false, no);
        self.routes.push(ParsedRoute {
            protocol: Some(protocol_name(p.proto)),
            active: p.active,
            preference: p.preference,
            local_pref: p.local_pref,
            hop_details: HopDetails::Brief(t),
            path_use: p.path_use,
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
}

/// Where `part`, a slice of `input`, starts in it.
fn offset_in(input: &str, part: &str) -> usize {
    (part.as_ptr() as usize).saturating_sub(input.as_ptr() as usize)
}

/// The next-hop interfaces and the `from` peer of a brief-form path, read
/// from its span (its `[Proto/pref]` line to its last next-hop line) as
/// the parser reads those lines.
pub(crate) fn brief_hop_details(span: &str) -> (Vec<&str>, Option<&str>) {
    let mut lines = span.split('\n');
    let from = lines
        .next()
        .and_then(|l| fields::brief_path(l.trim()).ok())
        .and_then(|p| p.from);
    let mut interfaces = Vec::new();
    for raw in lines {
        let Some(line) = clean(raw, true) else {
            continue;
        };
        let t = trim(line).1;
        let nh = match t.strip_prefix('>') {
            Some(rest) => ltrim(rest),
            None => t,
        };
        if let Some(i) = brief_next_hop(nh).1 {
            interfaces.push(i);
        }
    }
    (interfaces, from)
}

fn push_next_hop<'a>(r: &mut ParsedRoute<'a>, a: &'a str) {
    push_sparing(r.next_hops.get_or_insert_with(Vec::new), Cow::Borrowed(a));
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
