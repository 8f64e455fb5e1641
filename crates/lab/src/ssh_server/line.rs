//! Just enough line editing for an interactive session from OpenSSH's
//! client: typed characters echo back, backspace and the usual control keys
//! work, Enter runs the line. Cursor keys and other escape sequences are
//! swallowed rather than echoed as garbage; there is no history.

/// What the session must do after some input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Bytes for the terminal (the echo of what was typed).
    Echo(Vec<u8>),
    /// A complete line to run (without its line end).
    Run(String),
    /// Ctrl-C: the line was dropped; a fresh prompt is due.
    Interrupt,
    /// Ctrl-D on an empty line: the user leaves.
    Hangup,
}

/// The longest line kept; further characters ring the bell instead.
pub const MAX_LINE: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Esc {
    #[default]
    None,
    /// Saw ESC.
    Start,
    /// Inside `ESC [` or `ESC O`, waiting for the final byte.
    Sequence,
}

#[derive(Debug, Default)]
pub struct LineEditor {
    line: String,
    /// The start of a UTF-8 character split across two reads.
    partial: Vec<u8>,
    esc: Esc,
    /// The last byte was CR: a LF right after it belongs to the same Enter.
    after_cr: bool,
    /// Whether typed characters are echoed (only with a pty).
    echo: bool,
}

const BELL: u8 = 0x07;

impl LineEditor {
    pub fn new(echo: bool) -> Self {
        LineEditor {
            echo,
            ..Default::default()
        }
    }

    /// The line typed so far (what Enter would run).
    pub fn pending(&self) -> &str {
        &self.line
    }

    /// Takes the line typed so far, for a client that ends its input
    /// without a last line end.
    pub fn take_pending(&mut self) -> String {
        std::mem::take(&mut self.line)
    }

    pub fn feed(&mut self, input: &[u8]) -> Vec<Action> {
        let mut out = self.edit(input);
        if !self.echo {
            out.retain(|a| !matches!(a, Action::Echo(_)));
        }
        out
    }

    fn edit(&mut self, input: &[u8]) -> Vec<Action> {
        let mut out = Vec::new();
        let mut echo: Vec<u8> = Vec::new();
        let flush = |echo: &mut Vec<u8>, out: &mut Vec<Action>| {
            if !echo.is_empty() {
                out.push(Action::Echo(std::mem::take(echo)));
            }
        };
        for &b in input {
            let after_cr = std::mem::replace(&mut self.after_cr, false);
            match self.esc {
                Esc::Start => {
                    self.esc = if b == b'[' || b == b'O' {
                        Esc::Sequence
                    } else {
                        Esc::None
                    };
                    continue;
                }
                Esc::Sequence => {
                    if (0x40..=0x7e).contains(&b) {
                        self.esc = Esc::None;
                    }
                    continue;
                }
                Esc::None => {}
            }
            if !self.partial.is_empty() && !(0x80..=0xbf).contains(&b) {
                // A broken UTF-8 sequence: drop it, keep the byte.
                self.partial.clear();
            }
            match b {
                b'\r' | b'\n' => {
                    if b == b'\n' && after_cr {
                        continue;
                    }
                    self.after_cr = b == b'\r';
                    self.partial.clear();
                    echo.extend_from_slice(b"\r\n");
                    flush(&mut echo, &mut out);
                    out.push(Action::Run(std::mem::take(&mut self.line)));
                }
                0x03 => {
                    self.partial.clear();
                    self.line.clear();
                    echo.extend_from_slice(b"^C\r\n");
                    flush(&mut echo, &mut out);
                    out.push(Action::Interrupt);
                }
                0x04 => {
                    if self.line.is_empty() {
                        flush(&mut echo, &mut out);
                        out.push(Action::Hangup);
                        return out;
                    }
                    echo.push(BELL);
                }
                0x08 | 0x7f => {
                    self.partial.clear();
                    if self.line.pop().is_some() {
                        echo.extend_from_slice(b"\x08 \x08");
                    }
                }
                0x15 => {
                    // Ctrl-U: the whole line.
                    for _ in 0..self.line.chars().count() {
                        echo.extend_from_slice(b"\x08 \x08");
                    }
                    self.line.clear();
                }
                0x17 => {
                    // Ctrl-W: the word before the cursor, and the blanks after it.
                    let trimmed = self.line.trim_end().len();
                    let cut = self.line[..trimmed]
                        .rfind(char::is_whitespace)
                        .map_or(0, |i| i + 1);
                    let erased = self.line[cut..].chars().count();
                    self.line.truncate(cut);
                    for _ in 0..erased {
                        echo.extend_from_slice(b"\x08 \x08");
                    }
                }
                0x1b => self.esc = Esc::Start,
                b'\t' => {
                    // No completion: a blank, as Junos takes a word break.
                    self.push_char(' ', &mut echo);
                }
                b if b < 0x20 => {}
                b if b < 0x80 => self.push_char(char::from(b), &mut echo),
                b => {
                    self.partial.push(b);
                    match std::str::from_utf8(&self.partial) {
                        Ok(s) => {
                            let c = s.chars().next();
                            self.partial.clear();
                            if let Some(c) = c {
                                self.push_char(c, &mut echo);
                            }
                        }
                        Err(e) if e.error_len().is_some() || self.partial.len() >= 4 => {
                            self.partial.clear();
                        }
                        Err(_) => {}
                    }
                }
            }
        }
        flush(&mut echo, &mut out);
        out
    }

    fn push_char(&mut self, c: char, echo: &mut Vec<u8>) {
        if self.line.len() + c.len_utf8() > MAX_LINE {
            echo.push(BELL);
            return;
        }
        self.line.push(c);
        let mut buf = [0u8; 4];
        echo.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    }
}

/// Text for a terminal: every `\n` becomes `\r\n` (the client's terminal
/// is raw; the line discipline that would do this lives on our side).
pub fn crlf(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + text.len() / 16);
    let mut prev = 0u8;
    for &b in text.as_bytes() {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(actions: &[Action]) -> Vec<String> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Run(l) => Some(l.clone()),
                _ => None,
            })
            .collect()
    }

    fn echoed(actions: &[Action]) -> Vec<u8> {
        actions
            .iter()
            .flat_map(|a| match a {
                Action::Echo(b) => b.clone(),
                _ => Vec::new(),
            })
            .collect()
    }

    #[test]
    fn lines_end_at_cr_lf_or_crlf_once() {
        let mut e = LineEditor::new(false);
        let a = e.feed(b"show route\r\nshow bgp summary\rexit\n");
        assert_eq!(runs(&a), ["show route", "show bgp summary", "exit"]);
        assert!(echoed(&a).is_empty(), "no echo without a pty");
        let a = e.feed(b"\r\n");
        assert_eq!(runs(&a), [""], "CRLF is one Enter");
    }

    #[test]
    fn editing_keys() {
        let mut e = LineEditor::new(true);
        let a = e.feed(b"shw\x7f\x7fhow ro\x08\x08route\x1b[A\x1bOB extra\x17\r");
        assert_eq!(runs(&a), ["show route "]);
        let echo = echoed(&a);
        assert!(echo.starts_with(b"shw\x08 \x08\x08 \x08how"), "{echo:?}");
        assert!(echo.ends_with(b"\r\n"));
        assert!(!echo.contains(&0x1b), "escape sequences are not echoed");
        let a = e.feed(b"show route extra\x17\x17\r");
        assert_eq!(runs(&a), ["show "], "each Ctrl-W takes one more word");

        let a = e.feed(b"garbage\x15show version\r");
        assert_eq!(runs(&a), ["show version"]);

        let a = e.feed(b"half a line\x03");
        assert_eq!(a.last(), Some(&Action::Interrupt));
        assert_eq!(e.pending(), "");
        assert!(echoed(&a).ends_with(b"^C\r\n"));

        let a = e.feed(b"x\x04");
        assert!(
            !a.contains(&Action::Hangup),
            "Ctrl-D only leaves from an empty line"
        );
        let a = e.feed(b"\x7f\x04ignored");
        assert_eq!(a.last(), Some(&Action::Hangup));
    }

    #[test]
    fn utf8_split_across_reads_and_length_cap() {
        let mut e = LineEditor::new(true);
        let bytes = "é".as_bytes();
        assert!(runs(&e.feed(&bytes[..1])).is_empty());
        let a = e.feed(&[bytes[1], b'\r']);
        assert_eq!(runs(&a), ["é"]);
        let mut e = LineEditor::new(true);
        let long = vec![b'a'; MAX_LINE + 10];
        let a = e.feed(&long);
        assert_eq!(e.pending().len(), MAX_LINE);
        assert!(echoed(&a).ends_with(&[BELL]));
        assert_eq!(e.take_pending().len(), MAX_LINE);
        assert_eq!(e.pending(), "");
    }

    #[test]
    fn crlf_converts_bare_newlines_only() {
        assert_eq!(crlf("a\nb\r\nc\n"), b"a\r\nb\r\nc\r\n");
        assert_eq!(crlf(""), b"");
    }
}
