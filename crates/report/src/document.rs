//! The report as a neutral document: what is shown and in which order,
//! decided once by [`crate::walk`], so that the Markdown and the HTML
//! renderings cannot drift apart. A renderer only chooses markup and
//! escaping; it never decides whether a fact appears.
//!
//! Every span says where its text comes from, because that decides its
//! treatment: [`Inline::Text`] comes from the report model (ultimately the
//! journal) and is redacted, then escaped; [`Inline::Words`] is the
//! report's own wording and holds nothing to redact.
//!
//! The two formats do not present everything alike (a Markdown table row
//! must stay on one line, a ticket system cannot show a drawing, the HTML
//! colours what Markdown can only make bold). Where they differ, the
//! document names the fact rather than the markup ([`Inline::ActivePath`],
//! [`Block::Rollback`], [`Block::Timeline`]) and each renderer presents it
//! its own way.

use std::borrow::Cow;

use cutover_core::model::analysis::PathView;
use cutover_core::model::path::PathKind;

use crate::model::Report;

/// A run of spans: a paragraph's text, a table cell, a heading.
pub type Line<'a> = Vec<Inline<'a>>;

#[derive(Debug, Clone, PartialEq)]
pub struct Document<'a> {
    /// The document's title (the HTML also puts it in `<title>`).
    pub title: Line<'a>,
    pub blocks: Vec<Block<'a>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Block<'a> {
    /// What a reader must know before trusting the rest, loudest first.
    Alerts(Vec<Alert<'a>>),
    /// A section heading (levels 2 to 4).
    Heading {
        level: u8,
        text: Line<'a>,
        /// An id to link to (HTML only: Markdown ticket systems make
        /// their own).
        anchor: Option<String>,
        /// A short verdict that belongs with the heading: on the heading's
        /// own line in HTML, the first line under it in Markdown (where a
        /// heading cannot carry emphasis reliably).
        status: Option<Line<'a>>,
    },
    /// A title over the block that follows, below the section headings:
    /// an `<h4>` in HTML, a line ending in a colon in Markdown (which keeps
    /// the ticket's outline to the sections). `strong` makes the Markdown
    /// line bold.
    Caption {
        text: &'static str,
        strong: bool,
    },
    Paragraph(Line<'a>),
    /// A paragraph that only points elsewhere ("… and N more").
    Muted(Line<'a>),
    /// A two-column table of labelled facts.
    Facts(Vec<(Line<'a>, Line<'a>)>),
    Table {
        head: Vec<&'static str>,
        rows: Vec<Vec<Line<'a>>>,
    },
    /// A bulleted list. `tight`: Markdown writes no blank line after it,
    /// as the traceroute section always has (the reports stay identical
    /// from one version to the next).
    List {
        items: Vec<Line<'a>>,
        tight: bool,
    },
    /// Verbatim model text (commands, manual commands), redacted but never
    /// escaped. `lang` is the Markdown fence's info string.
    Code {
        lang: &'static str,
        body: Cow<'a, str>,
    },
    /// Something the operator must act on: a boxed warning in HTML, a bold
    /// lead in Markdown, followed by `blocks`.
    Urgent {
        lead: &'static str,
        blocks: Vec<Block<'a>>,
    },
    /// How a guarded change was rolled back: a table under its own heading
    /// in HTML, one sentence in Markdown.
    Rollback {
        op: Line<'a>,
        why: &'static str,
        started: Line<'a>,
        result: RollbackResult<'a>,
    },
    /// The drawing of the session over time. Only the HTML draws it, from
    /// the report itself; Markdown has the same facts in its tables.
    Timeline(&'a Report),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Alert<'a> {
    pub level: AlertLevel,
    /// Bold, before the text.
    pub lead: &'static str,
    pub text: Line<'a>,
    /// A second line in HTML. Markdown leaves it out: the alert is one
    /// line of a quote, and the summary table says it again.
    pub detail: Option<Line<'a>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertLevel {
    /// The journal cannot be trusted: announced to screen readers too.
    Alarm,
    Warning,
    Note,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RollbackResult<'a> {
    /// The rollback ended (done or failed): how, when, and its answer.
    Ended(Line<'a>),
    /// The journal ends while the rollback runs.
    Running,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Inline<'a> {
    /// Text of the report model: redacted, then escaped.
    Text(Cow<'a, str>),
    /// The report's own wording (labels, numbers, durations): nothing to
    /// redact, and nothing a format would have to escape.
    Words(Cow<'static, str>),
    Strong(Line<'a>),
    /// A command, id, hash or address: monospace in HTML. Markdown leaves
    /// it plain (backticks in a table cell would need escaping of their
    /// own).
    Code(Line<'a>),
    /// A word that classifies (a verdict, a decision, PASS or FAIL): bold
    /// in Markdown, coloured by `class` in HTML.
    Mark {
        class: Cow<'a, str>,
        text: Line<'a>,
    },
    /// A path kind inside a sentence or a cell: coloured in HTML, plain in
    /// Markdown.
    Kind(PathKind),
    /// The figure a table row is about (a measured time): bold in HTML;
    /// Markdown keeps table cells plain.
    Figure(Line<'a>),
    /// A line break inside a table cell; a Markdown row stays on one line
    /// and reads " — " instead.
    Break,
    /// A route's active path, or its absence: HTML colours its kind
    /// before the description.
    ActivePath(Option<&'a PathView>),
    /// How the answering hops changed from the first traceroute to the
    /// last: Markdown counts them (its table lists each change), HTML lists
    /// them.
    NetHops {
        lost: Line<'a>,
        gained: Line<'a>,
        lost_count: usize,
        gained_count: usize,
    },
}

/// Model text.
pub fn text(s: &str) -> Inline<'_> {
    Inline::Text(Cow::Borrowed(s))
}

/// Model text computed by the walk (joined, formatted).
pub fn text_owned<'a>(s: String) -> Inline<'a> {
    Inline::Text(Cow::Owned(s))
}

/// The report's own wording.
pub fn words<'a>(s: impl Into<Cow<'static, str>>) -> Inline<'a> {
    Inline::Words(s.into())
}

/// Model text, or `-` when there is none.
pub fn opt(s: Option<&str>) -> Inline<'_> {
    s.map_or_else(|| words("-"), text)
}

/// A classifying word of the report's own vocabulary.
pub fn mark<'a>(class: impl Into<Cow<'a, str>>, word: impl Into<Cow<'static, str>>) -> Inline<'a> {
    Inline::Mark {
        class: class.into(),
        text: vec![words(word)],
    }
}

/// `parts` joined by `sep`.
pub fn join<'a>(parts: Vec<Line<'a>>, sep: &'static str) -> Line<'a> {
    let mut out = Vec::new();
    for (i, p) in parts.into_iter().enumerate() {
        if i > 0 {
            out.push(words(sep));
        }
        out.extend(p);
    }
    out
}
