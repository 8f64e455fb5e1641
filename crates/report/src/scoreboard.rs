//! The trainee scoreboard: `cutover report` given several drill journals.
//! One row per journal (who, scenario, score, the objectives missed,
//! date), from each journal's own report, so a row says exactly what
//! that journal's report says. Markdown and HTML are written from one
//! document, as the report's are; JSON is [`Scoreboard`].
//!
//! # Stability
//!
//! `format` is `cutover-scoreboard/1`; fields are only ever added.

use serde::{Deserialize, Serialize};

use crate::document::*;
use crate::model::Report;
use crate::{Format, ReportError, html, markdown, redact_json};
use cutover_journal::Redactor;

/// The layout of the scoreboard.
pub const FORMAT: &str = "cutover-scoreboard/1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scoreboard {
    pub format: String,
    pub generated_by: String,
    /// One per journal, in the order given.
    pub drills: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The journal file as given.
    pub journal: String,
    /// The operator (trainee) of the session.
    pub who: Option<String>,
    /// The scenario that ran (named by the score, even when it was drawn
    /// at random).
    pub scenario: Option<String>,
    /// 0 to 100; `None` when the journal holds no score (not a drill, or
    /// a drill that did not end).
    pub score: Option<u8>,
    /// The ids of the objectives not met.
    pub missed: Vec<String>,
    /// When the session started (RFC 3339 UTC).
    pub date: Option<String>,
    /// The journal's integrity status (`intact`, `not_closed`, `broken`,
    /// ...): a score from a broken journal is not to be trusted.
    pub integrity: String,
}

/// The scoreboard of `reports`.
pub fn build(reports: &[Report]) -> Scoreboard {
    Scoreboard {
        format: FORMAT.to_string(),
        generated_by: format!("cutover {}", env!("CARGO_PKG_VERSION")),
        drills: reports
            .iter()
            .map(|r| Entry {
                journal: r.journal.clone(),
                who: r.session.operator.clone(),
                scenario: r.session.scenario.clone(),
                score: r.drill.as_ref().map(|d| d.score),
                missed: r
                    .drill
                    .iter()
                    .flat_map(|d| d.missed().map(|o| o.id.clone()))
                    .collect(),
                date: r.session.started_at.clone(),
                integrity: r.integrity.status.clone(),
            })
            .collect(),
    }
}

/// The scoreboard in `format`, every string redacted.
pub fn render(sb: &Scoreboard, format: Format, red: &Redactor) -> Result<String, ReportError> {
    Ok(match format {
        Format::Md => markdown::write(&document(sb), red),
        Format::Html => html::write(&document(sb), red),
        Format::Json => {
            let mut v = serde_json::to_value(sb)?;
            redact_json(&mut v, red);
            let mut s = serde_json::to_string_pretty(&v)?;
            s.push('\n');
            s
        }
    })
}

fn document(sb: &Scoreboard) -> Document<'_> {
    let mut blocks = Vec::new();
    let broken: Vec<Alert<'_>> = sb
        .drills
        .iter()
        .filter(|e| e.integrity == "broken")
        .map(|e| Alert {
            level: AlertLevel::Alarm,
            lead: "WARNING: A JOURNAL FAILED ITS INTEGRITY CHECK:",
            text: vec![text(&e.journal), words(": do not trust its score")],
            detail: None,
        })
        .collect();
    if !broken.is_empty() {
        blocks.push(Block::Alerts(broken));
    }
    // A broken journal's score is listed (flagged) but kept out of the
    // mean: one forged line must not move the team's number.
    let scored: Vec<u64> = sb
        .drills
        .iter()
        .filter(|e| e.integrity != "broken")
        .filter_map(|e| e.score.map(u64::from))
        .collect();
    let mean = if scored.is_empty() {
        "-".to_string()
    } else {
        format!("{}/100", scored.iter().sum::<u64>() / scored.len() as u64)
    };
    blocks.push(Block::Facts(vec![
        (
            vec![words("Drills")],
            vec![words(
                match sb.drills.iter().filter(|e| e.integrity == "broken").count() {
                    0 => format!("{} ({} scored)", sb.drills.len(), scored.len()),
                    n => format!(
                        "{} ({} scored; {n} broken, left out of the mean)",
                        sb.drills.len(),
                        scored.len()
                    ),
                },
            )],
        ),
        (vec![words("Mean score")], vec![words(mean)]),
    ]));
    blocks.push(Block::Table {
        head: vec![
            "Who",
            "Scenario",
            "Score",
            "Missed objectives",
            "Date",
            "Journal",
        ],
        rows: sb.drills.iter().map(row).collect(),
    });
    Document {
        title: vec![words("Drill scoreboard")],
        blocks,
    }
}

fn row(e: &Entry) -> Vec<Line<'_>> {
    let score = match e.score {
        Some(100) => mark("pass", "100/100"),
        Some(n) => mark("fail", format!("{n}/100")),
        None => words("not scored"),
    };
    let missed = if e.missed.is_empty() {
        vec![words(if e.score.is_some() { "none" } else { "-" })]
    } else {
        join(
            e.missed
                .iter()
                .map(|m| vec![Inline::Code(vec![text(m)])])
                .collect(),
            ", ",
        )
    };
    vec![
        vec![opt(e.who.as_deref())],
        vec![opt(e.scenario.as_deref())],
        vec![score],
        missed,
        vec![opt(e.date.as_deref())],
        vec![text(&e.journal)],
    ]
}
