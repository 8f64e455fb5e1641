//! The `advertising-protocol` / `receive-protocol` summary table:
//!
//! ```text
//!   Prefix                  Nexthop              MED     Lclpref    AS path
//! * 10.1.11.0/25            Self                         100        I
//!   2:10.6.0.11:7999::6::52:54:00:8b:38:40/304 MAC/IP
//! *                         Self                         100        I
//! ```
//!
//! MED and Lclpref are often blank, and the AS path is numbers too, so which
//! number is which can only be told by where it stands. The header is no
//! reliable ruler: copies of these outputs keep the data's fixed layout but
//! often lose the header's (tabs, squeezed gaps), and a long next hop or a
//! missing prefix column shifts every later field by the same amount. So the
//! columns are measured from the next hop's own column with Junos's fixed
//! spacing, and each way of reading the numbers is scored by how consistent
//! a single shift explains it.

use std::borrow::Cow;

use super::fields::{Tok, all_digits, as_path, is_addr, parse_u32};
use crate::model::ParsedRoute;
use crate::parse::ParseError;

/// Offsets of the MED, Lclpref and AS path columns from the Nexthop column
/// in Junos's layout (Nexthop 26, MED 47, Lclpref 55, AS path 66).
const MED_OFF: isize = 21;
const LCLPREF_OFF: isize = 29;
const AS_PATH_OFF: isize = 40;
/// A field may start this far left of its column (hand-edited copies).
const SLACK: isize = 2;
/// A token starting at or before this column is in the Prefix column; one
/// further right is in the Nexthop column (Junos's is 26; copies shift
/// either by a few columns).
const PREFIX_COL_MAX: usize = 12;

#[derive(Debug, Clone, Copy)]
struct Pending<'a> {
    prefix: &'a str,
    active: bool,
    line: usize,
}

/// State of one summary table: a prefix printed on a line of its own waits
/// for the line that holds its columns.
#[derive(Debug, Default)]
pub(super) struct Summary<'a> {
    pending: Option<Pending<'a>>,
}

impl<'a> Summary<'a> {
    /// Reads one line of the table (its tokens in `toks`); gives the route
    /// once a prefix and its columns are both known.
    pub fn line(
        &mut self,
        no: usize,
        toks: &[Tok<'a>],
        line: &'a str,
        table: Option<&'a str>,
    ) -> Result<Option<ParsedRoute<'a>>, ParseError> {
        let (mark, toks) = match toks.split_first() {
            Some((m, rest)) if matches!(m.text, "*" | "+" | "-") => (Some(m.text), rest),
            _ => (None, toks),
        };
        let Some(first) = toks.first() else {
            return Err(ParseError::new(no, "a mark with no route after it"));
        };
        let active = mark == Some("*");
        let (prefix, active, data) = if first.col <= PREFIX_COL_MAX {
            let rest = &toks[1..];
            // `PREFIX` or `PREFIX TYPE` (`…/304 MAC/IP`) alone: the columns
            // follow on the next line.
            let type_word_only = rest.len() == 1
                && rest[0].col == first.end() + 1
                && !is_addr(rest[0].text)
                && rest[0].text != "Self";
            if rest.is_empty() || type_word_only {
                self.take_pending()?;
                self.pending = Some(Pending {
                    prefix: first.text,
                    active,
                    line: no,
                });
                return Ok(None);
            }
            self.take_pending()?;
            (first.text, active, rest)
        } else {
            let Some(p) = self.pending.take() else {
                return Err(ParseError::new(
                    no,
                    format!(
                        "`{}` is in the Nexthop column but no prefix precedes it",
                        first.text
                    ),
                ));
            };
            (p.prefix, p.active || active, toks)
        };
        let (nh, rest) = match data.split_first() {
            Some(x) => x,
            None => return Err(ParseError::new(no, "no Nexthop column")),
        };
        let next_hops = if nh.text == "Self" {
            None
        } else if is_addr(nh.text) {
            Some(vec![Cow::Borrowed(nh.text)])
        } else {
            return Err(ParseError::new(
                no,
                format!("`{}` is not a next hop (an address or Self)", nh.text),
            ));
        };
        let fit = fit(nh.col, rest).map_err(|m| ParseError::new(no, m))?;
        let as_path = match rest.get(fit.as_start) {
            Some(t) => Some(
                as_path(line.get(t.col..).unwrap_or_default())
                    .map_err(|m| ParseError::new(no, m))?,
            ),
            None => None,
        };
        Ok(Some(ParsedRoute {
            prefix: Cow::Borrowed(prefix),
            protocol: None,
            active,
            preference: None,
            local_pref: fit.local_pref,
            as_path,
            next_hops,
            table: table.map(Cow::Borrowed),
            ..ParsedRoute::default()
        }))
    }

    /// Ends the table: a prefix still waiting for its columns is an error.
    pub fn finish(&mut self) -> Result<(), ParseError> {
        self.take_pending()
    }

    fn take_pending(&mut self) -> Result<(), ParseError> {
        match self.pending.take() {
            Some(p) => Err(ParseError::new(
                p.line,
                format!("prefix `{}` has no Nexthop/AS path line after it", p.prefix),
            )),
            None => Ok(()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fit {
    local_pref: Option<u32>,
    /// Index in the tokens after the next hop where the AS path starts
    /// (== their count when there is none).
    as_start: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Med,
    Lclpref,
    AsPath,
}

impl Field {
    fn offset(self) -> isize {
        match self {
            Field::Med => MED_OFF,
            Field::Lclpref => LCLPREF_OFF,
            Field::AsPath => AS_PATH_OFF,
        }
    }
}

/// Splits the tokens after the next hop into MED?, Lclpref?, AS path.
///
/// The AS path is a run of single-space-separated tokens at the end of the
/// line (fields are padded, AS numbers are not); at most two numbers before
/// it are fields. Among the readings that fit, the one whose field columns
/// agree best on a single shift wins.
fn fit(nh_col: usize, rest: &[Tok<'_>]) -> Result<Fit, String> {
    let n = rest.len();
    let mut run = n.saturating_sub(1);
    while run > 0 && rest[run].col == rest[run - 1].end() + 1 {
        run -= 1;
    }
    let numeric = rest
        .iter()
        .take(2)
        .take_while(|t| all_digits(t.text))
        .count();
    let labellings: &[&[Field]] = &[
        &[],
        &[Field::Med],
        &[Field::Lclpref],
        &[Field::Med, Field::Lclpref],
    ];
    let mut best: Option<((isize, isize), Fit)> = None;
    for fields in labellings {
        let s = fields.len();
        if s > numeric || s < run || s > n {
            continue;
        }
        let anchors = fields
            .iter()
            .copied()
            .zip(rest)
            .chain(rest.get(s).map(|t| (Field::AsPath, t)));
        let (mut lo, mut hi, mut sum) = (0isize, 0isize, 0isize);
        for (i, (f, t)) in anchors.enumerate() {
            let delta = t.col as isize - (nh_col as isize + f.offset());
            (lo, hi) = if i == 0 {
                (delta, delta)
            } else {
                (lo.min(delta), hi.max(delta))
            };
            sum += delta.abs();
        }
        // Junos only ever pushes fields right of their column: a reading
        // that needs one further left is no reading of this layout.
        if lo < -SLACK {
            continue;
        }
        let key = (hi - lo, sum);
        let local_pref = fields
            .iter()
            .position(|f| *f == Field::Lclpref)
            .and_then(|i| rest.get(i))
            .and_then(|t| parse_u32(t.text));
        let candidate = Fit {
            local_pref,
            as_start: s,
        };
        if best.as_ref().is_none_or(|(k, _)| key < *k) {
            best = Some((key, candidate));
        }
    }
    best.map(|(_, f)| f).ok_or_else(|| {
        let text: Vec<&str> = rest.iter().map(|t| t.text).collect();
        format!(
            "cannot read `{}` as MED, Lclpref and AS path columns (do they line up under \
             the header as Junos prints them?)",
            text.join(" ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::super::fields::tokenize;
    use super::*;

    fn read(line: &str) -> Fit {
        let mut toks = Vec::new();
        tokenize(line, &mut toks);
        let nh = toks.iter().position(|t| t.col >= 10).expect("next hop");
        fit(toks[nh].col, &toks[nh + 1..]).expect("fits")
    }

    #[test]
    fn blank_med_and_lclpref() {
        let f = read("* 10.1.11.0/25            Self                                    I");
        assert_eq!(
            f,
            Fit {
                local_pref: None,
                as_start: 0
            }
        );
        let f =
            read("  10.1.0.0/24             2001:7f8:19:6::1:1                      65001 65002 ?");
        assert_eq!(
            f,
            Fit {
                local_pref: None,
                as_start: 0
            }
        );
    }

    #[test]
    fn lclpref_only() {
        let f = read("* 10.6.0.0/16             192.168.41.2                 100        I");
        assert_eq!(
            f,
            Fit {
                local_pref: Some(100),
                as_start: 1
            }
        );
        // A ten-digit Lclpref fills its column up to a single space.
        let f = read("* 10.6.0.0/16             192.168.41.2                 4294967285 I");
        assert_eq!(
            f,
            Fit {
                local_pref: Some(4294967285),
                as_start: 1
            }
        );
    }

    #[test]
    fn med_only_and_both() {
        let f = read("* 10.0.0.0/8              10.1.1.1             0                  65001 I");
        assert_eq!(
            f,
            Fit {
                local_pref: None,
                as_start: 1
            }
        );
        let f = read(
            "* 10.220.0.0/16           Self                 12003   120        (65151 65000) I",
        );
        assert_eq!(
            f,
            Fit {
                local_pref: Some(120),
                as_start: 2
            }
        );
    }

    #[test]
    fn shifted_by_a_long_next_hop() {
        // genieparser's receive-protocol output: every field after the
        // 21-character next hop moved right by the same amount.
        let f = read("                        2001:db8:7fc5:ca45::4     2       100        I");
        assert_eq!(
            f,
            Fit {
                local_pref: Some(100),
                as_start: 2
            }
        );
        let f = read("                        2001:db8:7fc5:ca45::4             100        I");
        assert_eq!(
            f,
            Fit {
                local_pref: Some(100),
                as_start: 1
            }
        );
    }

    #[test]
    fn unreadable_columns() {
        let mut toks = Vec::new();
        tokenize("Self      abc        I", &mut toks);
        assert!(fit(0, &toks[1..]).is_err());
        // Squeezed columns could be Lclpref or AS path: no guess.
        tokenize("Self 100 I", &mut toks);
        assert!(fit(0, &toks[1..]).is_err());
    }
}
