//! `show route … terse`: one path per line under a column header.
//!
//! ```text
//! A V Destination        P Prf   Metric 1   Metric 2  Next hop        AS path
//! * ? 10.1.0.2/31        B 170        100          0                  ?
//!   unverified                                       >10.0.0.3
//!   ?                    B 170        100          0                  ?
//! * ? 198.18.100.0/24    E 170                     3 >10.2.3.0
//!                                                     10.2.4.0
//! * ? 198.18.200.0/24    D   0                       >irb.200
//! ```
//!
//! Metrics and the next hop are told apart by where they stand, as in the
//! summary table: the header's columns are the ruler, or Junos's own layout
//! where a `| match` filtered the header away. A path's next hop may sit on
//! the line below it (after the validation state) and further next hops on
//! lines of their own. A later path of the same destination leaves the
//! destination blank.

use std::borrow::Cow;

use super::fields::tokenize;
use super::fields::{Tok, all_digits, as_path, interface_of, is_addr, is_next_hop_word, path_mark};
use super::fields::{is_prefix_like, parse_u32};
use super::{Ctx, Parser};
use crate::model::ParsedRoute;
use crate::parse::ParseError;

/// The columns of a terse listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Cols {
    /// The validation-state column (`V`).
    v: usize,
    dest: usize,
    /// The protocol letter column (`P`).
    p: usize,
    /// Where the `Metric 2` column starts: a number ending left of it is
    /// `Metric 1` (both are right-aligned).
    metric2: usize,
    next_hop: usize,
    as_path: usize,
}

/// Junos's layout, for a listing whose header is not in the capture.
pub(super) const JUNOS: Cols = Cols {
    v: 2,
    dest: 4,
    p: 23,
    metric2: 42,
    next_hop: 52,
    as_path: 68,
};

/// A mark or the `>` of a selected next hop may stand this far left of its
/// column.
const SLACK: usize = 1;

/// The column header, `A V Destination P Prf Metric 1 Metric 2 Next hop AS
/// path`, as tokens; `None` when `toks` is not that header.
pub(super) fn header(toks: &[Tok<'_>]) -> Option<Cols> {
    let words: Vec<&str> = toks.iter().map(|t| t.text).collect();
    let want = [
        "A",
        "V",
        "Destination",
        "P",
        "Prf",
        "Metric",
        "1",
        "Metric",
        "2",
        "Next",
        "hop",
        "AS",
        "path",
    ];
    if words != want {
        return None;
    }
    Some(Cols {
        v: toks[1].col,
        dest: toks[2].col,
        p: toks[3].col,
        metric2: toks[7].col,
        next_hop: toks[9].col,
        as_path: toks[11].col,
    })
}

/// A terse line read: a path, or more of the last path.
#[derive(Debug)]
pub(super) enum Line<'a> {
    Path(ParsedRoute<'a>),
    More(Hops<'a>),
}

/// Next hops and AS path found on a line.
#[derive(Debug, Default)]
pub(super) struct Hops<'a> {
    pub addrs: Vec<Cow<'a, str>>,
    pub interfaces: Vec<Cow<'a, str>>,
    pub as_path: Option<Vec<u32>>,
}

impl<'a> Hops<'a> {
    /// Adds these to `r` (a path whose next hop is on a line below it).
    pub fn extend(self, r: &mut ParsedRoute<'a>) {
        r.next_hops.get_or_insert_with(Vec::new).extend(self.addrs);
        for i in self.interfaces {
            r.hop_details.push_interface(i);
        }
        if r.as_path.is_none() {
            r.as_path = self.as_path;
        }
    }
}

/// Whether `toks` could be a terse path line: a mark or validation state,
/// a destination, a protocol letter and a preference. For telling a
/// headerless (filtered) listing from prose.
pub(super) fn looks_like_path(toks: &[Tok<'_>]) -> bool {
    let Some(k) = letter_at(toks) else {
        return false;
    };
    toks[..k].iter().any(|t| is_prefix_like(t.text)) && toks[..k].len() >= 2
}

/// The index of the protocol letter: one upper-case letter followed by the
/// preference.
fn letter_at(toks: &[Tok<'_>]) -> Option<usize> {
    (1..toks.len().saturating_sub(1)).find(|&k| {
        let t = toks[k].text.as_bytes();
        t.len() == 1 && t[0].is_ascii_uppercase() && all_digits(toks[k + 1].text)
    })
}

/// The protocol a letter names, where it names one (`L` is LDP, Local or
/// an L2 circuit; `R` RIP or RSVP; `M` MPLS or MSDP).
fn protocol(letter: &str) -> Option<&'static str> {
    Some(match letter {
        "A" => "aggregate",
        "B" => "bgp",
        "C" => "ccc",
        "D" => "direct",
        "G" => "gmpls",
        "I" => "isis",
        "K" => "kernel",
        "N" => "nat",
        "O" => "ospf",
        "P" => "pim",
        "S" => "static",
        "T" => "tunnel",
        _ => return None,
    })
}

/// Reads one line (its tokens, columns relative to the listing's). `dest`
/// is the destination of the path before, for a path that leaves it blank.
pub(super) fn line<'a>(
    cols: &Cols,
    toks: &[Tok<'a>],
    text: &'a str,
    dest: Option<&'a str>,
    table: Option<&'a str>,
) -> Result<Line<'a>, String> {
    let Some(k) = letter_at(toks).filter(|&k| toks[k].col + 2 * SLACK >= cols.p) else {
        // No protocol letter: the validation state and next hops of the
        // path above.
        let start = toks
            .iter()
            .position(|t| t.col + SLACK >= cols.next_hop)
            .unwrap_or(toks.len());
        if toks[..start].iter().any(|t| t.col + SLACK >= cols.dest) {
            return Err(format!(
                "`{}` does not fit the terse columns (Destination, P, Prf, metrics, Next hop, AS path)",
                text.trim()
            ));
        }
        return hops(cols, &toks[start..], text).map(Line::More);
    };
    let mut mark = None;
    let mut prefix = None;
    for t in &toks[..k] {
        if t.col < cols.v {
            mark = Some(t.text);
        } else if t.col + SLACK >= cols.dest {
            prefix = Some(t.text);
        }
    }
    let (active, path_use) = match mark {
        None => (false, None),
        Some(m) if m.len() == 1 => path_mark(m.as_bytes()[0])
            .ok_or_else(|| format!("`{m}` is no path mark (`*`, `+`, `-`, `@`, `#`)"))?,
        Some(m) => return Err(format!("`{m}` is no path mark (`*`, `+`, `-`, `@`, `#`)")),
    };
    let prefix = match prefix.or(dest) {
        Some(p) if is_prefix_like(p) => p,
        Some(p) => return Err(format!("`{p}` is not a destination")),
        None => return Err("a terse path with no destination before it".to_string()),
    };
    let rest = &toks[k + 2..];
    let start = rest
        .iter()
        .position(|t| t.col + SLACK >= cols.next_hop)
        .unwrap_or(rest.len());
    if let Some(t) = rest[..start].iter().find(|t| !all_digits(t.text)) {
        return Err(format!(
            "`{}` in the metric columns is not a number",
            t.text
        ));
    }
    // A BGP path's `Metric 1` is its local preference (and `Metric 2` its
    // MED), as the same routes show them in the brief form.
    let metric1 = rest[..start]
        .iter()
        .find(|t| t.end() <= cols.metric2)
        .and_then(|t| parse_u32(t.text));
    let local_pref = metric1.filter(|_| toks[k].text == "B");
    let hops = hops(cols, &rest[start..], text)?;
    let mut r = ParsedRoute {
        prefix: Cow::Borrowed(prefix),
        protocol: protocol(toks[k].text).map(Cow::Borrowed),
        active,
        preference: parse_u32(toks[k + 1].text),
        local_pref,
        path_use,
        table: table.map(Cow::Borrowed),
        next_hops: Some(Vec::new()),
        ..ParsedRoute::default()
    };
    hops.extend(&mut r);
    Ok(Line::Path(r))
}

/// The Next hop and AS path columns: `toks` start at the next-hop column.
fn hops<'a>(cols: &Cols, toks: &[Tok<'a>], text: &'a str) -> Result<Hops<'a>, String> {
    let mut out = Hops::default();
    let mut as_from = None;
    for (i, t) in toks.iter().enumerate() {
        if i > 0 || t.col + SLACK >= cols.as_path {
            as_from = Some(t.col);
            break;
        }
        let w = t.text.strip_prefix('>').unwrap_or(t.text);
        if is_addr(w) {
            out.addrs.push(Cow::Borrowed(w));
        } else if is_next_hop_word(w) || w == "Local" {
            // Discard, Reject, Local, ...: no address and no interface.
        } else if let Some(i) = interface_of(w) {
            out.interfaces.push(Cow::Borrowed(i));
        } else {
            return Err(format!("`{w}` is not a next hop"));
        }
    }
    if let Some(col) = as_from {
        out.as_path = Some(as_path(text.get(col..).unwrap_or_default())?);
    }
    Ok(out)
}

impl<'a> Parser<'a> {
    /// A line of a `terse` listing; `rel` without the shared indentation.
    pub(super) fn terse_line(&mut self, no: usize, rel: &'a str) -> Result<(), ParseError> {
        let Ctx::Terse(cols, dest) = &mut self.ctx else {
            return Ok(());
        };
        tokenize(rel, &mut self.toks);
        match line(cols, &self.toks, rel, *dest, self.table).map_err(|m| ParseError::new(no, m))? {
            Line::Path(r) => {
                if let Cow::Borrowed(p) = r.prefix {
                    *dest = Some(p);
                }
                self.routes.push(r);
            }
            Line::More(hops) => match (dest, self.routes.last_mut()) {
                (Some(_), Some(r)) => hops.extend(r),
                _ => {
                    return Err(ParseError::new(
                        no,
                        format!("`{}` has no terse path line before it", rel.trim()),
                    ));
                }
            },
        }
        Ok(())
    }
}
