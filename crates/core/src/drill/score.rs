//! The one scoring rule (see the module doc of [`crate::drill`]).

use std::collections::{BTreeMap, HashMap, HashSet};

use super::{
    Decision, DrillPlan, DrillScore, EvidenceLine, EvidenceSpec, HINT_COST, Objective,
    ObjectiveKind, ObjectiveResult,
};
use crate::session::event::{Event, GateDecision, RollbackReason};

/// An event with when it happened, in milliseconds from any fixed origin
/// (the session's start, the epoch): only differences are used.
#[derive(Debug, Clone, Copy)]
pub struct Timed<'a> {
    pub at_ms: Option<u64>,
    pub event: &'a Event,
}

/// Judges the session in `events` (its `session_end` included, so that
/// `completes` can be judged) against `plan`.
pub fn score(events: &[Timed<'_>], plan: &DrillPlan) -> DrillScore {
    let objectives: Vec<ObjectiveResult> =
        plan.objectives.iter().map(|o| judge(o, events)).collect();
    let (marks, marks_right) = marks(events);
    let hints = u32::try_from(
        events
            .iter()
            .filter(|t| matches!(t.event, Event::DrillHint { .. }))
            .count(),
    )
    .unwrap_or(u32::MAX);
    let met = objectives.iter().filter(|o| o.met).count() as u64 + u64::from(marks_right);
    let total = objectives.len() as u64 + u64::from(marks);
    let share = (met * 100).checked_div(total).unwrap_or(100);
    let cost = u64::from(hints) * u64::from(HINT_COST);
    DrillScore {
        scenario: plan.scenario.clone(),
        seed: plan.seed,
        fault: plan.fault.clone(),
        score: u8::try_from(share.saturating_sub(cost)).unwrap_or(100),
        objectives,
        decisions: decisions(events),
        marks,
        marks_right,
        hints,
    }
}

/// Whether [`score`] reads `event` when judging against `plan`: what a
/// drill keeps of its session until its end. A monitor's probes every few
/// seconds are not read (a probe is, only from a step the plan quotes as
/// evidence), so what is kept does not grow with the drill's length.
pub fn reads(event: &Event, plan: &DrillPlan) -> bool {
    match event {
        Event::GatePrompt { .. }
        | Event::GateDecision { .. }
        | Event::Verified { .. }
        | Event::TrafficSeen { .. }
        | Event::ConfirmHealthy { .. }
        | Event::ActionStarted { .. }
        | Event::ActionAttempt { .. }
        | Event::ActionDone { .. }
        | Event::ActionCancelled { .. }
        | Event::RollbackStarted { .. }
        | Event::DrillMark { .. }
        | Event::DrillHint { .. }
        | Event::SessionEnd { .. } => true,
        Event::Probe { step, .. } => plan
            .objectives
            .iter()
            .flat_map(|o| &o.evidence)
            .any(|e| e.step == *step),
        _ => false,
    }
}

/// The last mark of each check, judged: (marked, right).
fn marks(events: &[Timed<'_>]) -> (u32, u32) {
    let mut last = BTreeMap::new();
    for t in events {
        if let Event::DrillMark {
            check, mark, truth, ..
        } = t.event
        {
            last.insert(check.as_str(), mark.matches(*truth));
        }
    }
    let right = last.values().filter(|r| **r).count();
    (
        u32::try_from(last.len()).unwrap_or(u32::MAX),
        u32::try_from(right).unwrap_or(u32::MAX),
    )
}

fn took(now: Option<u64>, since: Option<Option<u64>>) -> Option<u64> {
    Some(now?.saturating_sub(since.flatten()?))
}

fn reason_str(r: RollbackReason) -> String {
    match serde_json::to_value(r) {
        Ok(serde_json::Value::String(s)) => s,
        _ => format!("{r:?}"),
    }
}

fn decisions(events: &[Timed<'_>]) -> Vec<Decision> {
    let mut prompt: HashMap<&str, Option<u64>> = HashMap::new();
    let mut verified: HashMap<&str, Option<u64>> = HashMap::new();
    let mut started: HashMap<&str, Option<u64>> = HashMap::new();
    let mut done: HashMap<&str, Option<u64>> = HashMap::new();
    let mut out = Vec::new();
    for t in events {
        let d = |what: &str, step: &str, detail: Option<String>, since| Decision {
            step: step.to_string(),
            what: what.to_string(),
            detail,
            took_ms: took(t.at_ms, since),
        };
        match t.event {
            Event::GatePrompt { step, .. } => {
                prompt.insert(step, t.at_ms);
            }
            Event::Verified { step } => {
                verified.insert(step, t.at_ms);
            }
            Event::ActionStarted { step, .. } => {
                started.insert(step, t.at_ms);
            }
            Event::ActionDone { step, .. } => {
                done.insert(step, t.at_ms);
            }
            Event::GateDecision { step, decision } => {
                let since = prompt.get(step.as_str()).copied();
                out.push(match decision {
                    GateDecision::Confirmed => d("confirmed", step, None, since),
                    GateDecision::Declined => d("declined", step, None, since),
                    GateDecision::Override { reason, .. } => {
                        d("override", step, Some(reason.clone()), since)
                    }
                });
            }
            Event::ConfirmHealthy { step } => {
                let since = verified
                    .get(step.as_str())
                    .or_else(|| done.get(step.as_str()))
                    .copied();
                out.push(d("healthy", step, None, since));
            }
            Event::RollbackStarted { step, reason, .. } => {
                let since = done
                    .get(step.as_str())
                    .or_else(|| started.get(step.as_str()))
                    .copied();
                let what = if *reason == RollbackReason::Operator {
                    "rollback"
                } else {
                    "guard_rollback"
                };
                out.push(d(what, step, Some(reason_str(*reason)), since));
            }
            Event::ActionCancelled {
                step,
                reason: RollbackReason::Operator,
                ..
            } => {
                let since = started.get(step.as_str()).copied();
                out.push(d("abort", step, None, since));
            }
            _ => {}
        }
    }
    out
}

fn judge(o: &Objective, events: &[Timed<'_>]) -> ObjectiveResult {
    let (met, why) = match o.kind {
        ObjectiveKind::NoOverride => no_override(events),
        ObjectiveKind::NeverConfirmHealthy => match first_confirm(events) {
            Some(step) => (false, format!("called healthy at {step}")),
            None => (true, "never called healthy".into()),
        },
        ObjectiveKind::ConfirmAfterVerified => confirm_after(events, After::Verified),
        ObjectiveKind::ConfirmAfterPathMoved => confirm_after(events, After::PathMoved),
        ObjectiveKind::RolledBack => events
            .iter()
            .find_map(|t| match t.event {
                Event::RollbackStarted { step, reason, .. } => Some((
                    true,
                    format!("{step} was rolled back ({})", reason_str(*reason)),
                )),
                _ => None,
            })
            .unwrap_or((false, "nothing was rolled back".into())),
        ObjectiveKind::NoAbortDuringRetry => no_abort(events, true),
        ObjectiveKind::NoOperatorAbort => no_abort(events, false),
        ObjectiveKind::Completes => events
            .iter()
            .rev()
            .find_map(|t| match t.event {
                Event::SessionEnd { exit_code, outcome } => Some((
                    *exit_code == 0,
                    format!("ended with exit {exit_code}: {outcome}"),
                )),
                _ => None,
            })
            .unwrap_or((false, "the session did not end".into())),
    };
    ObjectiveResult {
        id: o.id.clone(),
        text: o.text.clone(),
        kind: o.kind,
        met,
        why,
        evidence: o.evidence.iter().map(|s| evidence(s, events)).collect(),
    }
}

fn no_override(events: &[Timed<'_>]) -> (bool, String) {
    let mut held = Vec::new();
    for t in events {
        if let Event::GateDecision { step, decision } = t.event {
            match decision {
                GateDecision::Override { reason, .. } => {
                    return (false, format!("{step} was overridden: {reason}"));
                }
                GateDecision::Declined => held.push(format!("{step} declined")),
                GateDecision::Confirmed => held.push(format!("{step} confirmed")),
            }
        }
    }
    if held.is_empty() {
        (true, "no gate was answered".into())
    } else {
        (true, format!("no override ({})", held.join(", ")))
    }
}

fn first_confirm<'a>(events: &[Timed<'a>]) -> Option<&'a str> {
    events.iter().find_map(|t| match t.event {
        Event::ConfirmHealthy { step } => Some(step.as_str()),
        _ => None,
    })
}

/// What a `confirm_healthy` must come after.
#[derive(Clone, Copy, PartialEq, Eq)]
enum After {
    /// Its step's `verified`; at least one confirmation is needed
    /// (nothing confirmed is not "confirmed after verification").
    Verified,
    /// Its step's traffic seen on the new path; not confirming at all
    /// never confirms too early.
    PathMoved,
}

impl After {
    fn ready(self, e: &Event) -> Option<&str> {
        match (self, e) {
            (After::Verified, Event::Verified { step })
            | (
                After::PathMoved,
                Event::TrafficSeen {
                    step, moved: true, ..
                },
            ) => Some(step),
            _ => None,
        }
    }

    fn words(self) -> &'static str {
        match self {
            After::Verified => "its verification passed",
            After::PathMoved => "the traffic moved",
        }
    }
}

fn confirm_after(events: &[Timed<'_>], after: After) -> (bool, String) {
    let mut seen: HashSet<&str> = HashSet::new();
    let mut confirmed = Vec::new();
    for t in events {
        if let Some(step) = after.ready(t.event) {
            seen.insert(step);
        }
        if let Event::ConfirmHealthy { step } = t.event {
            if !seen.contains(step.as_str()) {
                return (
                    false,
                    format!("{step} was called healthy before {}", after.words()),
                );
            }
            confirmed.push(step.to_string());
        }
    }
    if confirmed.is_empty() {
        return (after == After::PathMoved, "never called healthy".into());
    }
    (
        true,
        format!(
            "{} called healthy, each after {}",
            confirmed.join(", "),
            after.words()
        ),
    )
}

/// A retryable answer: the client waits and sends again.
fn retried(status: u16) -> bool {
    matches!(status, 409 | 429) || status >= 500
}

fn no_abort(events: &[Timed<'_>], only_during_retry: bool) -> (bool, String) {
    let mut retrying: HashSet<&str> = HashSet::new();
    let mut retries = 0u32;
    for t in events {
        match t.event {
            Event::ActionAttempt { step, attempt } if retried(attempt.status) => {
                retrying.insert(step);
                retries += 1;
            }
            Event::ActionDone { step, .. } => {
                retrying.remove(step.as_str());
            }
            Event::ActionCancelled {
                step,
                reason: RollbackReason::Operator,
                ..
            }
            | Event::RollbackStarted {
                step,
                reason: RollbackReason::Operator,
                ..
            } => {
                if !only_during_retry {
                    return (false, format!("{step} was aborted by the operator"));
                }
                if retrying.contains(step.as_str()) {
                    return (
                        false,
                        format!("{step} was aborted while ARM's answers were being retried"),
                    );
                }
            }
            _ => {}
        }
    }
    match (only_during_retry, retries) {
        (true, 0) => (true, "no call was retried; nothing was aborted".into()),
        (true, n) => (true, format!("{n} retried answer(s) waited out, no abort")),
        (false, _) => (true, "nothing was aborted".into()),
    }
}

fn evidence(spec: &EvidenceSpec, events: &[Timed<'_>]) -> EvidenceLine {
    let found = events.iter().find_map(|t| match t.event {
        Event::Probe {
            step,
            command,
            raw: Some(raw),
            ..
        } if *step == spec.step
            && spec
                .command
                .as_ref()
                .is_none_or(|c| command.contains(c.as_str())) =>
        {
            raw.lines()
                .find(|l| line_has(l, &spec.line))
                .map(|l| (command, excerpt(l.trim(), spec.line.trim_end_matches('$'))))
        }
        _ => None,
    });
    match found {
        Some((command, line)) => EvidenceLine {
            step: spec.step.clone(),
            // An API probe's command goes on with its az and PowerShell
            // forms: the call itself is the first line.
            command: command.lines().next().unwrap_or_default().to_string(),
            line,
            found: true,
        },
        None => EvidenceLine {
            step: spec.step.clone(),
            command: spec.command.clone().unwrap_or_default(),
            line: spec.line.clone(),
            found: false,
        },
    }
}

/// `piece` is in `line`; a piece ending in `$` must end it (trailing
/// blanks aside): `localpref 100$` is the path whose line says no more,
/// not the one that goes on `, from 10.17.11.76`.
fn line_has(line: &str, piece: &str) -> bool {
    match piece.strip_suffix('$') {
        Some(end) => line.trim_end().ends_with(end),
        None => line.contains(piece),
    }
}

/// The longest line quoted whole: an API's answer is one line of JSON.
const QUOTE_MAX: usize = 160;

/// `line`, or the part of it around `piece` with `…` where it was cut.
pub(super) fn excerpt(line: &str, piece: &str) -> String {
    if line.chars().count() <= QUOTE_MAX {
        return line.to_string();
    }
    let at = line.find(piece).unwrap_or(0);
    let half = (QUOTE_MAX - piece.len().min(QUOTE_MAX)) / 2;
    let mut start = at.saturating_sub(half);
    while !line.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (at + piece.len() + half).min(line.len());
    while !line.is_char_boundary(end) {
        end += 1;
    }
    let head = if start > 0 { "…" } else { "" };
    let tail = if end < line.len() { "…" } else { "" };
    format!("{head}{}{tail}", &line[start..end])
}
