//! `cutover report`: the change-ticket report of a recorded session.
//!
//! Built only from the journal ([`cutover_journal::recording::Recording`]): who, when,
//! which ticket and runbook, the outcome, every step with its duration,
//! verdict, exact commands and evidence, the gates and overrides with their
//! reasons, the guarded change with its attempts, deadline, verifications,
//! confirmation or rollback, the measured failover and failback times, the
//! before/after route and traceroute diffs (the raw outputs parsed again),
//! and the journal's own integrity.
//!
//! Three renderings of one [`Report`]: JSON (the stable, documented
//! structure of [`model`]), Markdown for a ticket system, and one
//! self-contained HTML file with an SVG timeline. Markdown and HTML are
//! written from one walk over the report (`walk`, into a neutral
//! `document`), so what they show and in which order cannot drift apart. The journal is redacted
//! when written; every string of the report passes through the
//! [`Redactor`] once more on the way out, so patterns the inventory adds
//! later (or a journal written by an older version) still cannot leak.
//!
//! Given several drill journals, `cutover report` writes the trainee
//! [`scoreboard`] instead: one row per journal, from each one's report.

pub mod build;
pub mod changes;
mod document;
pub mod html;
pub mod markdown;
pub mod model;
pub mod scoreboard;
pub mod text;
mod walk;

use serde_json::Value;

pub use build::build;
pub use model::Report;

use cutover_journal::Redactor;

/// What `--format` chooses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Markdown with tables, for a ticket system.
    Md,
    /// One self-contained HTML file with an SVG timeline.
    Html,
    /// The report's stable JSON structure.
    Json,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot encode the report as JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// Redacts every string value (not the keys: they are the report's own
/// schema) of a JSON document in place.
pub fn redact_json(v: &mut Value, red: &Redactor) {
    match v {
        Value::String(s) => {
            if let std::borrow::Cow::Owned(r) = red.redact_str(s) {
                *s = r;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| redact_json(i, red)),
        Value::Object(m) => m.values_mut().for_each(|i| redact_json(i, red)),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// The report in `format`, every string redacted.
pub fn render(report: &Report, format: Format, red: &Redactor) -> Result<String, ReportError> {
    Ok(match format {
        Format::Md => markdown::render(report, red),
        Format::Html => html::render(report, red),
        Format::Json => {
            let mut v = serde_json::to_value(report)?;
            redact_json(&mut v, red);
            let mut s = serde_json::to_string_pretty(&v)?;
            s.push('\n');
            s
        }
    })
}
