//! Byte offsets into line (and column) numbers.
//!
//! A parser that names the line of every element it reads must not count
//! the newlines from the start of the input each time: over a capture of
//! many small elements that is quadratic (300k sibling elements took 35 s).
//! [`LineCounter`] keeps one running count and moves it by the bytes
//! between two positions, so asking in input order costs one pass in all.

/// A running line count over one input.
#[derive(Debug, Clone)]
pub struct LineCounter<'a> {
    input: &'a [u8],
    /// The byte offset the count stands at.
    pos: usize,
    /// The 1-based line of `pos`.
    line: usize,
}

impl<'a> LineCounter<'a> {
    pub fn new(input: &'a str) -> Self {
        Self {
            input: input.as_bytes(),
            pos: 0,
            line: 1,
        }
    }

    /// The 1-based line of byte offset `pos` (clamped to the input).
    ///
    /// Moving forward or back costs the distance moved: error positions may
    /// lie a little before the position last asked for.
    pub fn line_at(&mut self, pos: usize) -> usize {
        let pos = pos.min(self.input.len());
        if pos >= self.pos {
            self.line += newlines(&self.input[self.pos..pos]);
        } else {
            self.line -= newlines(&self.input[pos..self.pos]);
        }
        self.pos = pos;
        self.line
    }
}

fn newlines(bytes: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', bytes).count()
}

/// The 1-based line and column (in characters) of byte offset `pos`, asked
/// once: for an error, not for every element.
pub fn line_col(input: &str, pos: usize) -> (usize, usize) {
    let mut pos = pos.min(input.len());
    while !input.is_char_boundary(pos) {
        pos -= 1;
    }
    let before = &input[..pos];
    let line_start = memchr::memrchr(b'\n', before.as_bytes()).map_or(0, |i| i + 1);
    (
        newlines(before.as_bytes()) + 1,
        before[line_start..].chars().count() + 1,
    )
}

#[cfg(test)]
mod tests;
