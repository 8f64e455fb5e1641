//! The report as Markdown (GitHub-flavoured tables), for pasting into a
//! change ticket: the document of the report's one walk (`walk`) written out.
//!
//! Every piece of text from the journal is redacted, then escaped: in
//! prose and table cells Markdown's punctuation is backslash-escaped and
//! `<`, `>` and `&` become entities (ticket systems render inline HTML);
//! exact commands and raw evidence go into fenced code blocks whose fence
//! is longer than any run of backticks inside.

use std::fmt::Write as _;

use super::document::{Alert, Block, Document, Inline, RollbackResult};
use super::model::Report;
use super::text;
use super::walk::walk;
use cutover_journal::Redactor;

pub use super::walk::MAX_ROWS;

/// Escapes text for a paragraph or a table cell.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' | '!' => {
                o.push('\\');
                o.push(c);
            }
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '&' => o.push_str("&amp;"),
            '\r' => {}
            '\n' => o.push_str("<br>"),
            _ => o.push(c),
        }
    }
    o
}

struct Md<'a> {
    red: &'a Redactor,
}

impl Md<'_> {
    fn inline(&self, out: &mut String, i: &Inline<'_>) {
        match i {
            Inline::Text(s) => out.push_str(&escape(&self.red.redact_str(s))),
            Inline::Words(s) => out.push_str(s),
            Inline::Strong(l) | Inline::Mark { text: l, .. } => {
                out.push_str("**");
                self.line_into(out, l);
                out.push_str("**");
            }
            Inline::Code(l) | Inline::Figure(l) => self.line_into(out, l),
            Inline::Kind(k) => out.push_str(text::kind(*k)),
            Inline::Break => out.push_str(" — "),
            Inline::ActivePath(p) => out.push_str(&escape(&self.red.redact_str(&text::active(*p)))),
            Inline::NetHops {
                lost_count,
                gained_count,
                ..
            } => {
                if *lost_count == 0 && *gained_count == 0 {
                    out.push_str(", same hops");
                } else {
                    let _ = write!(out, "; lost {lost_count}, gained {gained_count}");
                }
            }
        }
    }

    fn line_into(&self, out: &mut String, l: &[Inline<'_>]) {
        for i in l {
            self.inline(out, i);
        }
    }

    fn line(&self, l: &[Inline<'_>]) -> String {
        let mut s = String::new();
        self.line_into(&mut s, l);
        s
    }

    /// A table row (cells already written).
    fn row(out: &mut String, cells: &[String]) {
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }

    fn header(out: &mut String, cells: &[&str]) {
        let _ = writeln!(out, "| {} |", cells.join(" | "));
        let _ = writeln!(out, "|{}", "---|".repeat(cells.len()));
    }

    /// A fenced block of verbatim text (redacted, not escaped).
    fn code(&self, out: &mut String, lang: &str, body: &str) {
        let body = self.red.redact_str(body).into_owned();
        let longest = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
        let fence = "`".repeat(longest.max(2) + 1);
        let _ = writeln!(out, "{fence}{lang}");
        out.push_str(body.trim_end_matches('\n'));
        let _ = writeln!(out, "\n{fence}");
    }

    fn alert(&self, a: &Alert<'_>) -> String {
        // The detail stays out: a quote line holds one alert.
        format!("> **{}** {}\n", a.lead, self.line(&a.text))
    }

    /// One block, ending with its last line's newline; the blank line
    /// between blocks is the caller's.
    fn block(&self, out: &mut String, b: &Block<'_>) {
        match b {
            Block::Alerts(list) => {
                let lines: Vec<String> = list.iter().map(|a| self.alert(a)).collect();
                out.push_str(&lines.join(">\n"));
            }
            Block::Heading {
                level,
                text,
                status,
                ..
            } => {
                let _ = writeln!(
                    out,
                    "{} {}",
                    "#".repeat(usize::from(*level)),
                    self.line(text)
                );
                if let Some(s) = status {
                    let _ = writeln!(out, "\n{}", self.line(s));
                }
            }
            Block::Caption { text, strong } => {
                if *strong {
                    let _ = writeln!(out, "**{text}:**");
                } else {
                    let _ = writeln!(out, "{text}:");
                }
            }
            Block::Paragraph(l) => {
                let _ = writeln!(out, "{}", self.line(l));
            }
            Block::Muted(l) => {
                let _ = writeln!(out, "_{}_", self.line(l));
            }
            Block::Facts(rows) => {
                Self::header(out, &["", ""]);
                for (k, v) in rows {
                    Self::row(out, &[self.line(k), self.line(v)]);
                }
            }
            Block::Table { head, rows } => {
                Self::header(out, head);
                for r in rows {
                    let cells: Vec<String> = r.iter().map(|c| self.line(c)).collect();
                    Self::row(out, &cells);
                }
            }
            Block::List { items, .. } => {
                for i in items {
                    let _ = writeln!(out, "- {}", self.line(i));
                }
            }
            Block::Code { lang, body } => self.code(out, lang, body),
            Block::Urgent { lead, blocks } => {
                let _ = writeln!(out, "**{lead}**");
                for b in blocks {
                    out.push('\n');
                    self.block(out, b);
                }
            }
            Block::Rollback {
                op,
                why,
                started,
                result,
            } => {
                let result = match result {
                    RollbackResult::Ended(l) => self.line(l),
                    RollbackResult::Running => "**still running** when the journal ends".into(),
                };
                let _ = writeln!(
                    out,
                    "**Rollback** ({}): {why} — started {}, {result}",
                    self.line(op),
                    self.line(started)
                );
            }
            // A ticket system cannot show the drawing; the tables above
            // and below hold the same moments.
            Block::Timeline(_) => {}
        }
    }
}

/// The report as Markdown.
pub fn render(r: &Report, red: &Redactor) -> String {
    write(&walk(r), red)
}

/// The document as Markdown: blocks one after the other, a blank line
/// between them.
pub(crate) fn write(doc: &Document<'_>, red: &Redactor) -> String {
    let m = Md { red };
    let mut out = format!("# {}\n", m.line(&doc.title));
    let mut gap = true;
    for b in &doc.blocks {
        let mut s = String::new();
        m.block(&mut s, b);
        if s.is_empty() {
            continue;
        }
        if gap {
            out.push('\n');
        }
        out.push_str(&s);
        gap = !matches!(b, Block::List { tight: true, .. });
    }
    out
}
