//! Building the report from a recording: one pass over the records in
//! journal order, keeping each fact with its time and `seq` (see
//! [`fold`]), then what only the whole session tells: the outcome, each
//! guarded change's result, the derived timings, the journal's integrity.

mod convert;
mod fold;
mod gates;
mod steps;

use time::OffsetDateTime;

use super::changes;
use super::model::*;
use cutover_journal::Status;
use cutover_journal::line::format_ts;
use cutover_journal::recording::Recording;
use fold::Acc;

/// What an exit status of CONTRACT.md means.
pub fn exit_meaning(code: Option<u8>) -> String {
    match code {
        Some(0) => "done as planned".into(),
        Some(1) => {
            "a check failed, the operator declined or aborted before any write was accepted, or ARM did not apply the change: nothing was changed".into()
        }
        Some(2) => "bad input: the session could not start".into(),
        Some(3) => "the guarded change was rolled back, and the rollback succeeded".into(),
        Some(4) => {
            "a rollback failed or the state of the world is unknown: the operator must act".into()
        }
        Some(n) => format!("exit status {n}"),
        None => "unknown: the session was not closed".into(),
    }
}

fn millis_between(a: OffsetDateTime, b: OffsetDateTime) -> u64 {
    let ms = (b - a).whole_milliseconds();
    u64::try_from(ms.max(0)).unwrap_or(u64::MAX)
}

/// Which timing an action's first passing verification measures.
fn timing_name(op: &str) -> String {
    if op.ends_with(".disable") {
        "failover".into()
    } else if op.ends_with(".enable") {
        "failback".into()
    } else {
        op.to_string()
    }
}

fn action_result(a: &Action) -> &'static str {
    match &a.rollback {
        Some(rb) => match rb.result.as_str() {
            "done" => "rolled_back",
            "failed" => "rollback_failed",
            _ => "rolling_back",
        },
        None if a.confirmed_at.is_some() => "confirmed",
        None if a.cancelled.is_some() => "cancelled",
        None if a.ok == Some(false) => "not_applied",
        None => "unconfirmed",
    }
}

fn integrity(rec: &Recording) -> Integrity {
    let v = &rec.integrity;
    let status = match v.status {
        Status::Intact => "intact",
        Status::NotClosed { .. } => "not_closed",
        Status::IncompleteFinalRecord { .. } => "incomplete_final_record",
        Status::Broken(_) => "broken",
    };
    Integrity {
        status: status.to_string(),
        tampered: rec.is_tampered(),
        summary: rec.integrity_line(),
        verified_records: v.records,
        records: rec.records.len() as u64,
        head_hash: v.head_hash.clone(),
        first_bad_seq: v.first_bad_seq(),
        unknown_kinds: rec.records.iter().filter(|r| r.event().is_none()).count() as u64,
        path_rules: rec.paths.describe(),
        signature: rec.signature_summary(),
    }
}

/// The report of `rec`, not yet redacted (see [`super::redact_json`] and
/// the renderers, which redact every string they write).
pub fn build(rec: &Recording) -> Report {
    let mut acc = Acc::starting_at(rec.records.first().map(|r| r.ts));
    for r in &rec.records {
        if let Some(e) = r.event() {
            acc.apply(r, e);
        }
    }

    let mut session = acc.session.take().unwrap_or(Session {
        session_id: None,
        operator: None,
        ticket: None,
        key_fingerprint: None,
        mode: None,
        scenario: None,
        runbook: None,
        version: None,
        started_at: None,
        ended_at: None,
        duration_ms: None,
    });
    let first = rec.records.first().map(|r| r.ts);
    let last = acc
        .end
        .as_ref()
        .map(|(ts, ..)| *ts)
        .or_else(|| rec.records.last().map(|r| r.ts));
    // A surprise drill's start names no scenario; its score does.
    if let Some(d) = &acc.drill {
        session.scenario = Some(d.scenario.clone());
    }
    session.started_at = first.map(format_ts);
    session.ended_at = last.map(format_ts);
    session.duration_ms = first.zip(last).map(|(a, b)| millis_between(a, b));

    let outcome = match &acc.end {
        Some((_, code, text)) => Outcome {
            exit_code: Some(*code),
            outcome: Some(text.clone()),
            meaning: exit_meaning(Some(*code)),
            closed: true,
        },
        None => Outcome {
            exit_code: None,
            outcome: None,
            meaning: exit_meaning(None),
            closed: false,
        },
    };

    let mut timings = acc.measured.clone();
    let mut actions = Vec::with_capacity(acc.actions.len());
    for a in acc.actions {
        let mut action = a.action;
        action.result = action_result(&action).to_string();
        let name = timing_name(&action.op);
        // `failover`, or per probe `failover.trace` and `failover.table`.
        let measured = timings.iter().any(|t| {
            t.step == action.step
                && t.source == "measured"
                && t.name.split('.').next() == Some(name.as_str())
        });
        if !measured && let (Some((done, s1)), Some((pass, s2))) = (a.done_ts, a.first_pass) {
            timings.push(Timing {
                name,
                step: action.step.clone(),
                millis: millis_between(done, pass),
                uncertainty_ms: None,
                from: None,
                to: None,
                source: "derived".into(),
                due: None,
                seqs: vec![s1, s2],
            });
        }
        actions.push(action);
    }

    let (route_changes, trace_changes) = changes::collect(rec);
    let mut warnings = rec.warnings.clone();
    if rec.records.iter().any(|r| r.event().is_none()) {
        warnings.push(format!(
            "{} records are of kinds this version of cutover does not know (a newer version wrote them): they are not in this report",
            rec.records.iter().filter(|r| r.event().is_none()).count()
        ));
    }

    Report {
        format: FORMAT.to_string(),
        generated_by: format!("cutover {}", env!("CARGO_PKG_VERSION")),
        journal: rec.path.display().to_string(),
        integrity: integrity(rec),
        warnings,
        session,
        outcome,
        steps: acc.steps,
        gates: acc.gates,
        predictions: acc.predictions,
        actions,
        writes: acc.writes,
        timings,
        route_changes,
        trace_changes,
        notes: acc.notes,
        timeline: acc.timeline,
        drill: acc.drill,
    }
}
