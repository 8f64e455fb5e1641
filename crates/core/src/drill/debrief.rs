//! The debrief in words: what the fault was, what the trainee did, which
//! objectives were met and, for each missed one, the lines that showed
//! it. The console styles these lines by their [`Tone`]; the headless
//! output prints them as they are.

use super::{Decision, DrillScore, EvidenceLine};
use crate::model::duration::human;

/// How a line of the debrief reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Heading,
    Plain,
    Met,
    Missed,
    /// A line of evidence, quoted from the journal.
    Quote,
}

/// The debrief, line by line.
pub fn lines(s: &DrillScore) -> Vec<(Tone, String)> {
    let mut out = Vec::new();
    let seed = s
        .seed
        .map(|n| format!(" (drawn with --seed {n})"))
        .unwrap_or_default();
    out.push((
        Tone::Heading,
        format!(
            "DEBRIEF: scenario {}{seed}: score {}/100",
            s.scenario, s.score
        ),
    ));
    if !s.fault.is_empty() {
        out.push((Tone::Plain, format!("The fault: {}", s.fault)));
    }
    out.push((Tone::Heading, "What you did:".into()));
    if s.decisions.is_empty() {
        out.push((Tone::Plain, "  no decision was taken".into()));
    }
    out.extend(
        s.decisions
            .iter()
            .map(|d| (Tone::Plain, format!("  {}", decision(d)))),
    );
    let met = s.objectives.iter().filter(|o| o.met).count();
    out.push((
        Tone::Heading,
        format!("Objectives: {met} of {} met", s.objectives.len()),
    ));
    for o in &s.objectives {
        let (tone, mark) = if o.met {
            (Tone::Met, "MET   ")
        } else {
            (Tone::Missed, "MISSED")
        };
        out.push((tone, format!("  {mark} {}: {} ({})", o.id, o.text, o.why)));
        if !o.met {
            if !o.evidence.is_empty() {
                out.push((Tone::Plain, "         look at:".into()));
            }
            out.extend(o.evidence.iter().map(|e| (Tone::Quote, evidence(e))));
        }
    }
    if s.marks > 0 {
        out.push((
            Tone::Plain,
            format!("Blind marks: {} of {} right", s.marks_right, s.marks),
        ));
    }
    if s.hints > 0 {
        out.push((
            Tone::Plain,
            format!(
                "Hints used: {} (-{} points each)",
                s.hints,
                super::HINT_COST
            ),
        ));
    }
    out
}

/// `gate confirm-failover: override "reason" after 12.0 s`.
pub fn decision(d: &Decision) -> String {
    let what = match d.what.as_str() {
        "confirmed" => "gate confirmed".to_string(),
        "declined" => "gate declined".to_string(),
        "override" => "gate OVERRIDDEN".to_string(),
        "healthy" => "called it healthy".to_string(),
        "rollback" => "asked for the rollback".to_string(),
        "abort" => "aborted the change".to_string(),
        "guard_rollback" => "the guard rolled back".to_string(),
        other => other.to_string(),
    };
    let detail = d
        .detail
        .as_ref()
        .map(|t| format!(" ({t})"))
        .unwrap_or_default();
    let took = d
        .took_ms
        .map(|ms| format!(", {} after its prompt", human(ms)))
        .unwrap_or_default();
    format!("{}: {what}{detail}{took}", d.step)
}

/// `step | command | line`, or what was looked for and not printed.
pub fn evidence(e: &EvidenceLine) -> String {
    if e.found {
        format!("         {} | {} | {}", e.step, e.command, e.line)
    } else {
        format!(
            "         {} | (not printed this session) | a line with `{}`",
            e.step, e.line
        )
    }
}
