//! The report as one self-contained HTML file: inline CSS, an inline SVG
//! timeline, no script, no external asset of any kind (it is opened from
//! a ticket attachment, often offline, and must show the same everywhere).
//! It writes out the document of the report's one walk (`walk`).
//!
//! Every piece of text from the journal is redacted, then escaped for HTML
//! (`& < > " '`), in element content and in attributes alike, so a step's
//! evidence that contains markup shows as text.

mod timeline;

use std::fmt::Write as _;

use super::document::{Alert, AlertLevel, Block, Document, Inline, RollbackResult};
use super::model::Report;
use super::text;
use super::walk::walk;
use cutover_core::model::path::PathKind;
use cutover_journal::Redactor;

pub use super::walk::MAX_ROWS;

/// Escapes text for element content and quoted attributes.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

const CSS: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#1b1f24;background:#fff;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:1px solid #d0d7de;padding-bottom:.2em;margin-top:1.8em}
h3{margin-top:1.4em}h4{margin:1em 0 .4em}
table{border-collapse:collapse;margin:.5em 0 1em;width:100%}
/* A table too wide for the column even with its words broken scrolls in its own box; the page never does. */
.tw{max-width:100%;overflow-x:auto}
th,td{border:1px solid #d0d7de;padding:.3em .5em;text-align:left;vertical-align:top}
/* Ids, URLs and commands have no spaces: code breaks anywhere rather than widen the page past its column (its min-content width then lets a table shrink); words elsewhere break only when a line cannot hold them. */
td,th,p,li,h1,h2,h3,h4,.warn,.note{overflow-wrap:break-word}
code,pre{overflow-wrap:anywhere}
th{background:#f6f8fa}
td.k{width:14em;background:#f6f8fa;font-weight:600}
pre,code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
pre{background:#f6f8fa;border:1px solid #d0d7de;padding:.6em;overflow-x:auto;white-space:pre-wrap;max-width:100%;box-sizing:border-box}
.warn{background:#fff1f0;border:3px solid #cf222e;padding:.8em 1em;margin:1em 0;color:#82071e}
.warn strong{font-size:1.1em}
.note{background:#fff8c5;border:1px solid #d4a72c;padding:.5em 1em;margin:.5em 0}
.pass,.passed,.confirmed{color:#1a7f37;font-weight:600}
.fail,.failed,.declined,.rollback_failed{color:#cf222e;font-weight:700}
.overridden,.override,.rolled_back,.unfinished{color:#9a6700;font-weight:700}
.skipped,.not_run,.muted{color:#6e7781}
.kind-expressroute{color:#0550ae;font-weight:600}.kind-vpn{color:#8250df;font-weight:600}.kind-unknown{color:#6e7781}
svg{max-width:100%;height:auto}
svg text{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:11px}
.legend span{display:inline-block;margin-right:1.2em}
.sw{display:inline-block;width:.9em;height:.9em;vertical-align:-0.1em;margin-right:.3em;border-radius:2px}
";

struct Html<'a> {
    out: String,
    red: &'a Redactor,
}

impl Html<'_> {
    /// Redacted and escaped.
    fn t(&self, s: &str) -> String {
        escape(&self.red.redact_str(s))
    }

    fn kind(out: &mut String, k: PathKind) {
        let _ = write!(
            out,
            "<span class=\"kind-{}\">{}</span>",
            escape(k.as_str()),
            escape(text::kind(k))
        );
    }

    fn inline(&self, out: &mut String, i: &Inline<'_>) {
        match i {
            Inline::Text(s) => out.push_str(&self.t(s)),
            Inline::Words(s) => out.push_str(&escape(s)),
            Inline::Strong(l) | Inline::Figure(l) => {
                out.push_str("<strong>");
                self.line_into(out, l);
                out.push_str("</strong>");
            }
            Inline::Code(l) => {
                out.push_str("<code>");
                self.line_into(out, l);
                out.push_str("</code>");
            }
            Inline::Mark { class, text } => {
                let _ = write!(out, "<span class=\"{}\">", escape(class));
                self.line_into(out, text);
                out.push_str("</span>");
            }
            Inline::Kind(k) => Self::kind(out, *k),
            Inline::Break => out.push_str("<br>"),
            Inline::ActivePath(Some(p)) => {
                Self::kind(out, p.kind);
                out.push(' ');
                out.push_str(&self.t(&text::path(p)));
            }
            Inline::ActivePath(None) => out.push_str("no active path"),
            Inline::NetHops { lost, gained, .. } => {
                out.push_str("; lost ");
                self.line_into(out, lost);
                out.push_str(", gained ");
                self.line_into(out, gained);
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

    fn pre(&mut self, body: &str) {
        let body = self.t(body.trim_end_matches('\n'));
        let _ = writeln!(self.out, "<pre>{body}</pre>");
    }

    fn facts(&mut self, rows: &[(String, String)]) {
        self.out.push_str("<div class=\"tw\"><table>");
        for (k, v) in rows {
            let _ = write!(self.out, "<tr><td class=\"k\">{k}</td><td>{v}</td></tr>");
        }
        self.out.push_str("</table></div>\n");
    }

    fn alert(&mut self, a: &Alert<'_>) {
        let open = match a.level {
            AlertLevel::Alarm => "<div class=\"warn\" role=\"alert\">",
            AlertLevel::Warning => "<div class=\"warn\">",
            AlertLevel::Note => "<div class=\"note\">",
        };
        let text = self.line(&a.text);
        let _ = write!(self.out, "{open}<strong>{}</strong> {text}", escape(a.lead));
        if let Some(d) = &a.detail {
            let detail = self.line(d);
            let _ = write!(self.out, "<br>{detail}");
        }
        self.out.push_str("</div>\n");
    }

    fn block(&mut self, b: &Block<'_>) {
        match b {
            Block::Alerts(list) => list.iter().for_each(|a| self.alert(a)),
            Block::Heading {
                level,
                text,
                anchor,
                status,
            } => {
                let _ = write!(self.out, "<h{level}");
                if let Some(id) = anchor {
                    let _ = write!(self.out, " id=\"{}\"", escape(id));
                }
                let text = self.line(text);
                let _ = write!(self.out, ">{text}");
                if let Some(s) = status {
                    let s = self.line(s);
                    let _ = write!(self.out, " · {s}");
                }
                let _ = writeln!(self.out, "</h{level}>");
            }
            Block::Caption { text, .. } => {
                let _ = writeln!(self.out, "<h4>{}</h4>", escape(text));
            }
            Block::Paragraph(l) => {
                let l = self.line(l);
                let _ = writeln!(self.out, "<p>{l}</p>");
            }
            Block::Muted(l) => {
                let l = self.line(l);
                let _ = writeln!(self.out, "<p class=\"muted\">{l}</p>");
            }
            Block::Facts(rows) => {
                let rows: Vec<(String, String)> = rows
                    .iter()
                    .map(|(k, v)| (self.line(k), self.line(v)))
                    .collect();
                self.facts(&rows);
            }
            Block::Table { head, rows } => {
                self.out.push_str("<div class=\"tw\"><table><tr>");
                for c in head {
                    let _ = write!(self.out, "<th>{}</th>", escape(c));
                }
                self.out.push_str("</tr>\n");
                for r in rows {
                    let cells: String = r
                        .iter()
                        .map(|c| format!("<td>{}</td>", self.line(c)))
                        .collect();
                    let _ = writeln!(self.out, "<tr>{cells}</tr>");
                }
                self.out.push_str("</table></div>\n");
            }
            Block::List { items, .. } => {
                let items: String = items
                    .iter()
                    .map(|i| format!("<li>{}</li>", self.line(i)))
                    .collect();
                let _ = writeln!(self.out, "<ul>{items}</ul>");
            }
            Block::Code { body, .. } => self.pre(body),
            Block::Urgent { lead, blocks } => {
                let _ = writeln!(
                    self.out,
                    "<div class=\"warn\"><strong>{}</strong>",
                    escape(lead)
                );
                blocks.iter().for_each(|b| self.block(b));
                self.out.push_str("</div>\n");
            }
            Block::Rollback {
                op,
                why,
                started,
                result,
            } => {
                self.out.push_str("<h4>Rollback</h4>\n");
                let result = match result {
                    RollbackResult::Ended(l) => self.line(l),
                    RollbackResult::Running => {
                        "<span class=\"fail\">still running when the journal ends</span>".into()
                    }
                };
                let rows = [
                    ("Operation".to_string(), self.line(op)),
                    ("Why".to_string(), escape(why)),
                    ("Started".to_string(), self.line(started)),
                    ("Result".to_string(), result),
                ];
                self.facts(&rows);
            }
            Block::Timeline(r) => timeline::timeline(&mut self.out, r, self.red),
        }
    }
}

/// The report as one HTML document.
pub fn render(r: &Report, red: &Redactor) -> String {
    write(&walk(r), red)
}

/// The document as one HTML page.
pub(crate) fn write(doc: &Document<'_>, red: &Redactor) -> String {
    let mut h = Html {
        out: String::new(),
        red,
    };
    let title = h.line(&doc.title);
    let _ = write!(
        h.out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<h1>{title}</h1>\n"
    );
    for b in &doc.blocks {
        h.block(b);
    }
    h.out.push_str("</body>\n</html>\n");
    h.out
}

#[cfg(test)]
mod tests;
