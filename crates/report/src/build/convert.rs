//! The journal's vocabulary in the report's: enumerations become the
//! lower-case strings [`crate::model`] documents, and ARM exchanges keep
//! their time and `seq`.

use cutover_core::azure_call::{ArmAttempt, ManualCommands};
use cutover_core::session::event::{Mode, NoteLevel, RollbackReason, Verdict};
use cutover_journal::Record;
use cutover_journal::line::format_ts;

use crate::model::{ArmWrite, Attempt, Manual};

pub(super) fn mode_str(m: Mode) -> &'static str {
    match m {
        Mode::Run => "run",
        Mode::Validate => "validate",
        Mode::Drill => "drill",
    }
}

pub(super) fn verdict_str(v: Verdict) -> &'static str {
    match v {
        Verdict::Passed => "passed",
        Verdict::Failed => "failed",
        Verdict::Overridden => "overridden",
        Verdict::Skipped => "skipped",
    }
}

pub(super) fn reason_str(r: RollbackReason) -> &'static str {
    match r {
        RollbackReason::DeadlinePassed => "deadline_passed",
        RollbackReason::VerificationFailed => "verification_failed",
        RollbackReason::Operator => "operator",
        RollbackReason::ConsoleLost => "console_lost",
        RollbackReason::TrafficLost => "traffic_lost",
        RollbackReason::JournalFailed => "journal_failed",
        RollbackReason::ChangeFailed => "change_failed",
    }
}

pub(super) fn level_str(l: NoteLevel) -> &'static str {
    match l {
        NoteLevel::Info => "info",
        NoteLevel::Warn => "warn",
        NoteLevel::Error => "error",
    }
}

pub(super) fn manual(m: &ManualCommands) -> Manual {
    Manual {
        az_cli: m.az_cli.clone(),
        powershell: m.powershell.clone(),
    }
}

/// The write `a` made, when it is one (a PUT).
pub(super) fn write(r: &Record, step: &str, during: &str, a: &ArmAttempt) -> Option<ArmWrite> {
    if a.method != "PUT" && a.write.is_none() {
        return None;
    }
    let w = a.write.clone().unwrap_or_default();
    Some(ArmWrite {
        at: format_ts(r.ts),
        seq: r.seq,
        step: step.to_string(),
        during: during.to_string(),
        method: a.method.clone(),
        path: a.path.clone(),
        changes: w
            .changes
            .iter()
            .map(|c| {
                format!(
                    "{}: {} -> {}",
                    c.field,
                    c.from.as_deref().unwrap_or("(none)"),
                    c.to
                )
            })
            .collect(),
        if_match: w.if_match,
        status: a.status,
        error_code: a.error_code.clone(),
        etag: w.etag,
        provisioning_state: w.provisioning_state,
        client_request_id: a.ids.client_request_id.clone(),
        request_id: a.ids.request_id.clone(),
        correlation_id: a.ids.correlation_id.clone(),
    })
}

pub(super) fn attempt(r: &Record, a: &ArmAttempt) -> Attempt {
    Attempt {
        at: format_ts(r.ts),
        seq: r.seq,
        method: a.method.clone(),
        path: a.path.clone(),
        status: a.status,
        error_code: a.error_code.clone(),
        retry_after_ms: a.retry_after_ms,
        request_id: a.ids.request_id.clone(),
        client_request_id: a.ids.client_request_id.clone(),
        correlation_id: a.ids.correlation_id.clone(),
    }
}
