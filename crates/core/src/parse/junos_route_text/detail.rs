//! The `detail` / `extensive` forms: route entries (`PREFIX (N entries, M
//! announced)`) with one block of attribute lines per path, and the
//! advertised / received prefix blocks whose attributes sit straight under
//! the entry header.

use std::borrow::Cow;

use super::fields::{
    as_path, detail_path, interface_of, is_addr, is_prefix_like, ltrim, parse_u32, split_first,
    starts_brief_path,
};
use super::{Ctx, Parser, new_route, push_next_hop};
use crate::model::ParsedRoute;
use crate::model::route::protocol_name;
use crate::parse::ParseError;

/// One entry of the detail form, `[*] PREFIX (N entries, M announced)`, up
/// to the next one.
#[derive(Debug)]
pub(super) struct Block<'a> {
    prefix: &'a str,
    active: bool,
    /// Path lines seen; with none, the block itself is the route (the
    /// advertising/receive forms print attributes straight under the header).
    pub(super) paths: usize,
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
    pub(super) fn new(prefix: &'a str, active: bool) -> Self {
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

    pub(super) fn into_route(self, table: Option<&'a str>) -> ParsedRoute<'a> {
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

impl<'a> Parser<'a> {
    pub(super) fn detail_line(
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
                path_use: p.path_use,
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
            // `Next hop: A via IF[, selected]`; `Next hop: via IF` has no
            // address.
            if let Some(r) = path.filter(|_| !b.indirect) {
                let (a, via) = split_first(ltrim(v));
                let a = a.trim_end_matches(',');
                if is_addr(a) {
                    push_next_hop(r, a);
                }
                let via = if a == "via" {
                    Some(via)
                } else {
                    via.strip_prefix("via ")
                };
                if let Some(i) = via.and_then(interface_of) {
                    r.hop_details.push_interface(Cow::Borrowed(i));
                }
            }
            return Ok(());
        }
        if let Some(v) = t.strip_prefix("Interface:") {
            // A Local route's own interface (brief form's `Local via IF`).
            if let Some(r) = path.filter(|_| !b.indirect)
                && let Some(i) = interface_of(v)
                && !r.hop_details.interfaces().contains(&i)
            {
                r.hop_details.push_interface(Cow::Borrowed(i));
            }
            return Ok(());
        }
        if let Some(v) = t.strip_prefix("Source:") {
            // The peer the path was learned from: brief form's `from`.
            if let Some(r) = path {
                let a = split_first(ltrim(v)).0;
                if is_addr(a) {
                    r.hop_details.set_from(Cow::Borrowed(a));
                }
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
