//! The inventory's `redact` patterns: literal text where `*` matches a run
//! of non-whitespace. Matching stops at whitespace so that a pattern blanks
//! a token, never the rest of a line.

use memchr::memmem;

/// A pattern must keep at least this many literal characters: `*` alone, or
/// `a*`, would blank out whole journals and make them useless as evidence.
/// The inventory's own check (at load, with its line:col) is the same rule.
const MIN_PATTERN_LITERAL: usize = cutover_core::inventory::MIN_REDACT_LITERAL;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedactError {
    #[error(
        "redact pattern `{pattern}` is too broad: it needs at least {MIN_PATTERN_LITERAL} literal characters besides `*`"
    )]
    TooBroad { pattern: String },
}

/// One inventory pattern, split at its `*`s.
#[derive(Clone, PartialEq, Eq)]
pub(super) struct Pattern {
    /// The non-empty literal pieces, in order.
    literals: Vec<String>,
    leading_star: bool,
    trailing_star: bool,
}

impl Pattern {
    pub(super) fn parse(text: &str) -> Result<Self, RedactError> {
        let pieces: Vec<&str> = text.split('*').collect();
        let literals: Vec<String> = pieces
            .iter()
            .filter(|p| !p.is_empty())
            .map(|p| (*p).to_string())
            .collect();
        let literal_chars: usize = literals
            .iter()
            .map(|l| l.chars().filter(|c| !c.is_whitespace()).count())
            .sum();
        if literal_chars < MIN_PATTERN_LITERAL {
            return Err(RedactError::TooBroad {
                pattern: text.to_string(),
            });
        }
        Ok(Pattern {
            literals,
            leading_star: text.starts_with('*'),
            trailing_star: text.ends_with('*'),
        })
    }

    /// The first match at or after `from`, as a byte range of `text`.
    pub(super) fn find(&self, text: &str, from: usize) -> Option<(usize, usize)> {
        let first = self.literals.first()?;
        let mut search = from;
        while let Some(off) = memmem::find(&text.as_bytes()[search..], first.as_bytes()) {
            let hit = search + off;
            // Occurrences may overlap (`aa` in `aaa`).
            search = hit + 1;
            if let Some(end) = self.rest_matches(text, hit + first.len()) {
                let start = if self.leading_star {
                    extend_back(text, hit, from)
                } else {
                    hit
                };
                return Some((start, end));
            }
        }
        None
    }

    /// Matches the literals after the first one, each separated from the
    /// previous by a non-whitespace gap; returns the end of the match.
    fn rest_matches(&self, text: &str, mut pos: usize) -> Option<usize> {
        for lit in &self.literals[1..] {
            let off = memmem::find(&text.as_bytes()[pos..], lit.as_bytes())?;
            // The earliest occurrence gives the shortest gap; a later one
            // would span the same whitespace, so one look is enough.
            if text[pos..pos + off].chars().any(char::is_whitespace) {
                return None;
            }
            pos += off + lit.len();
        }
        if self.trailing_star {
            pos = extend_forward(text, pos);
        }
        Some(pos)
    }
}

fn extend_back(text: &str, mut pos: usize, floor: usize) -> usize {
    for (i, c) in text[floor..pos].char_indices().rev() {
        if c.is_whitespace() {
            break;
        }
        pos = floor + i;
    }
    pos
}

fn extend_forward(text: &str, pos: usize) -> usize {
    text[pos..]
        .char_indices()
        .find(|(_, c)| c.is_whitespace())
        .map_or(text.len(), |(i, _)| pos + i)
}
