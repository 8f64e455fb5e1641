//! What is wrong with a runbook or an inventory, and where:
//! `file:line:col: message`.

use std::fmt;

/// A 1-based position in the runbook text; `col` counts characters, not
/// bytes, so that it matches what an editor shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// One problem; `pos` is `None` for problems with the whole file (it cannot
/// be read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub pos: Option<Pos>,
    pub message: String,
}

/// Every problem found in one runbook, in file order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", Lines(self))]
pub struct Diagnostics {
    /// The file name as given by the caller, used as the message prefix.
    pub file: String,
    pub items: Vec<Diagnostic>,
}

struct Lines<'a>(&'a Diagnostics);

impl fmt::Display for Lines<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.items.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            match d.pos {
                Some(p) => write!(f, "{}:{}: {}", self.0.file, p, d.message)?,
                None => write!(f, "{}: {}", self.0.file, d.message)?,
            }
        }
        Ok(())
    }
}

impl Diagnostics {
    pub fn new(file: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            items: Vec::new(),
        }
    }

    /// A problem with the file as a whole.
    pub fn whole_file(file: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            items: vec![Diagnostic {
                pos: None,
                message: message.into(),
            }],
        }
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// One `file:line:col: message` string per problem.
    pub fn lines(&self) -> Vec<String> {
        self.to_string().lines().map(str::to_string).collect()
    }
}

/// Byte offset to line:col, built once per file.
#[derive(Debug)]
pub(crate) struct LineIndex<'s> {
    src: &'s str,
    starts: Vec<usize>,
}

impl<'s> LineIndex<'s> {
    pub(crate) fn new(src: &'s str) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', src.as_bytes()).map(|i| i + 1));
        Self { src, starts }
    }

    pub(crate) fn pos(&self, offset: usize) -> Pos {
        let offset = offset.min(self.src.len());
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        // Counting character starts gives the character count even when
        // `offset` falls inside a multi-byte character, which then counts
        // as the column of that character.
        let bytes = self.src.as_bytes();
        let starts = bytes
            .get(start..offset)
            .map_or(0, |b| b.iter().filter(|&&c| (c & 0xC0) != 0x80).count());
        let inside = bytes.get(offset).is_some_and(|&c| (c & 0xC0) == 0x80);
        let col = starts - usize::from(inside && starts > 0);
        Pos { line, col: col + 1 }
    }
}

/// The closest candidate to a misspelt `typed`, if one is close enough to be
/// a plausible typo (optimal string alignment distance, so a swap of two
/// neighbouring letters costs one edit).
pub fn suggest<'a, I>(typed: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let limit = (typed.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (distance(typed, c), c))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().flat_map(char::to_lowercase).collect();
    let b: Vec<char> = b.chars().flat_map(char::to_lowercase).collect();
    let w = b.len() + 1;
    // Three rolling rows are enough for the transposition lookback.
    let mut prev2 = vec![0usize; w];
    let mut prev: Vec<usize> = (0..w).collect();
    let mut cur = vec![0usize; w];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..w {
            let same = a.get(i - 1) == b.get(j - 1);
            let mut d = (prev[j] + 1)
                .min(cur[j - 1] + 1)
                .min(prev[j - 1] + usize::from(!same));
            if i > 1 && j > 1 && a.get(i - 1) == b.get(j - 2) && a.get(i - 2) == b.get(j - 1) {
                d = d.min(prev2[j - 2] + 1);
            }
            cur[j] = d;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[w - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_chars() {
        let src = "a = 1\nß = \"x\"\n\nlast";
        let idx = LineIndex::new(src);
        assert_eq!(idx.pos(0), Pos { line: 1, col: 1 });
        assert_eq!(idx.pos(4), Pos { line: 1, col: 5 });
        assert_eq!(idx.pos(6), Pos { line: 2, col: 1 });
        // `ß` is two bytes: the `=` after it is the third character.
        assert_eq!(idx.pos(9), Pos { line: 2, col: 3 });
        // Inside the two-byte character: never panics, stays on its column.
        assert_eq!(idx.pos(7), Pos { line: 2, col: 1 });
        assert_eq!(idx.pos(src.len()), Pos { line: 4, col: 5 });
        assert_eq!(idx.pos(usize::MAX), Pos { line: 4, col: 5 });
        assert_eq!(LineIndex::new("").pos(0), Pos { line: 1, col: 1 });
    }

    #[test]
    fn suggests_close_keys_only() {
        let keys = ["id", "title", "phase", "why", "probe", "expect"];
        assert_eq!(suggest("tittle", keys), Some("title"));
        assert_eq!(suggest("exepct", keys), Some("expect"));
        assert_eq!(suggest("prob", keys), Some("probe"));
        assert_eq!(suggest("Phase", keys), Some("phase"));
        assert_eq!(suggest("deadline", keys), None);
        assert_eq!(distance("bgp.advertized", "bgp.advertised"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("abc", ""), 3);
    }

    #[test]
    fn renders_one_line_per_problem() {
        let d = Diagnostics {
            file: "rb.toml".into(),
            items: vec![
                Diagnostic {
                    pos: Some(Pos { line: 3, col: 7 }),
                    message: "first".into(),
                },
                Diagnostic {
                    pos: None,
                    message: "second".into(),
                },
            ],
        };
        assert_eq!(d.to_string(), "rb.toml:3:7: first\nrb.toml: second");
        assert_eq!(d.lines().len(), 2);
    }
}
