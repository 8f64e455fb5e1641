//! Where the guard writes once the console is gone: the session's own
//! journal, continued, unless it shows the change already resolved; a
//! journal of its own beside it when that one cannot be continued.

use std::sync::Arc;

use super::watcher::GuardParams;
use cutover_core::azure_call::JournaledTest;
use cutover_core::session::event::{Event, Mode, RollbackResult};
use cutover_journal::{JournalReader, JournalWriter, Redactor, SharedJournal};

/// The session's journal, continued; `Ok(None)` when it shows the change
/// already resolved (or the session closed). `confirmed_resolves`: whether
/// a journaled confirmation resolves it (not while a confirmed failover
/// test's stop may still be going out).
pub(super) fn open_journal(
    params: &GuardParams,
    redactor: &Arc<Redactor>,
    confirmed_resolves: bool,
) -> Result<Option<SharedJournal>, String> {
    let records = JournalReader::open(&params.journal)
        .and_then(|r| r.read_all())
        .map_err(|e| e.to_string())?;
    let events = records.iter().filter_map(|r| r.event());
    if resolved_by(events, &params.step, confirmed_resolves) {
        return Ok(None);
    }
    JournalWriter::resume(&params.journal, Arc::clone(redactor))
        .map(|w| Some(SharedJournal::new(w)))
        .map_err(|e| e.to_string())
}

/// The note the guard writes first when it takes a journal over: the
/// console went away during the change and the guard rolls it back.
pub(super) const TAKEOVER_CONSOLE_LOST: &str =
    "the console went away during the guarded change: the detached guard rolls it back";
/// ... the console said nothing past the deadline.
pub(super) const TAKEOVER_DEADLINE: &str =
    "the console did not act at the deadline: the detached guard rolls the change back";
/// ... the operator had confirmed, the console died before recording it.
pub(super) const TAKEOVER_CONFIRMED: &str = "the operator confirmed this change; the console went away before it recorded that (written by the detached guard)";
/// ... the operator had confirmed a failover test, and the console died
/// before the stop carrying the verdict was seen to end.
pub(super) const TAKEOVER_TEST_CONFIRMED: &str = "the operator confirmed this failover test, but the console went away before the stop carrying the verdict was seen to end: the detached guard stops the test as not successful";

/// The guard's `session_end` text once it had to act: what its rollback
/// did (`found`: its `rollback_done` outcome, `None` if it never got that
/// far or the journal predates it).
pub(super) fn end_text(step: &str, ok: bool, found: Option<RollbackResult>) -> String {
    let did = match (ok, found) {
        (false, _) => "could NOT roll the change back: the operator must act",
        (true, Some(RollbackResult::AlreadyEnabled)) => {
            "found the peering already Enabled (the change had not landed, or was undone): nothing to roll back; it re-asserted that state and watched it hold"
        }
        (true, Some(RollbackResult::AlreadyDisabled)) => {
            "found the peering already Disabled: nothing to roll back; it re-asserted that state and watched it hold"
        }
        (true, Some(RollbackResult::NotApplied)) => {
            "found the change not applied (no write of it was seen accepted and the peering read as before): nothing to roll back; it re-asserted that state under its etag, so a write still on its way fails, and watched it hold"
        }
        (true, Some(RollbackResult::RolledBack)) => "rolled the change back",
        // No `rollback_done` outcome was read: say only what is known.
        (true, None) => "ended its rollback with the peering in the wanted state",
    };
    format!("the console went away during `{step}`; the detached guard {did}")
}

/// Whether the session's journal shows a write of `step`'s change that
/// ARM may have accepted (by the send permit's rule: a PUT not refused
/// with a 4xx, so a 5xx or no answer counts; or a successful
/// `action_done`). A journal that cannot be read
/// counts as "yes": the rollback then never claims the change did not go
/// out.
pub(super) fn change_seen(journal: &std::path::Path, step: &str) -> bool {
    let Ok(records) = JournalReader::open(journal).and_then(|r| r.read_all()) else {
        return true;
    };
    records.iter().filter_map(|r| r.event()).any(|e| match e {
        Event::ActionAttempt { step: s, attempt } if s == step => {
            attempt.method == "PUT" && !(400..500).contains(&attempt.status)
        }
        Event::ActionDone { step: s, ok, .. } if s == step => *ok,
        _ => false,
    })
}

/// Which test the step started, as its console journaled it: the test
/// from `action_started` (see [`JournaledTest`]), its id from
/// `action_done` (`failover test ID started ...`).
pub(crate) fn failover_test_of(
    journal: &std::path::Path,
    step: &str,
) -> Option<(JournaledTest, Option<String>)> {
    let records = JournalReader::open(journal)
        .and_then(|r| r.read_all())
        .ok()?;
    let mut found = None;
    for e in records.iter().filter_map(|r| r.event()) {
        match e {
            Event::ActionStarted {
                step: s, target, ..
            } if s == step => {
                found = Some((JournaledTest::parse(target)?, None));
            }
            Event::ActionDone {
                step: s,
                ok: true,
                detail,
                ..
            } if s == step => {
                let id = detail
                    .strip_prefix("failover test ")
                    .and_then(|d| d.split_once(" started "))
                    .map(|(id, _)| id.to_string());
                if let Some(f) = found.as_mut() {
                    f.1 = id;
                }
            }
            _ => {}
        }
    }
    found
}

/// Whether `e` is where the detached guard's records begin in a journal
/// it took over: everything from there on is the guard's.
pub fn guard_takes_over(e: &Event) -> bool {
    matches!(e, Event::Note { text, .. }
        if [TAKEOVER_CONSOLE_LOST, TAKEOVER_DEADLINE, TAKEOVER_CONFIRMED, TAKEOVER_TEST_CONFIRMED].contains(&text.as_str()))
}

/// Whether, after the step's last `deadline_armed`, the change was
/// confirmed or its rollback ended, or the change was cancelled before
/// any write was accepted, or the session ended at all.
pub fn resolved<'a>(events: impl Iterator<Item = &'a Event>, step: &str) -> bool {
    resolved_by(events, step, true)
}

fn resolved_by<'a>(
    events: impl Iterator<Item = &'a Event>,
    step: &str,
    confirmed_resolves: bool,
) -> bool {
    let mut armed = false;
    let mut confirmed = false;
    let mut done = false;
    for e in events {
        match e {
            Event::DeadlineArmed { step: s, .. } if s == step => {
                armed = true;
                confirmed = false;
                done = false;
            }
            // A change undone before its deadline was armed (an abort or a
            // failed start of a failover test) is still this step's.
            Event::RollbackStarted { step: s, .. } if s == step => armed = true,
            Event::ConfirmHealthy { step: s } if s == step && armed => {
                confirmed = true;
                done |= confirmed_resolves;
            }
            // A confirmed failover test whose stop (with the verdict) was
            // accepted is over: stopping it again would be refused, or
            // would overwrite the operator's verdict.
            Event::ActionAttempt { step: s, attempt }
                if s == step && confirmed && is_accepted_test_stop(attempt) =>
            {
                done = true;
            }
            Event::RollbackDone { step: s, .. } | Event::RollbackFailed { step: s, .. }
                if s == step && armed =>
            {
                done = true;
            }
            // Stopped before any write was accepted: nothing to undo.
            Event::ActionCancelled { step: s, .. } if s == step => done = true,
            Event::SessionEnd { .. } => return true,
            _ => {}
        }
    }
    done
}

/// A journal of the guard's own beside the session's, when that one cannot
/// be continued.
pub(super) fn sidecar(
    params: &GuardParams,
    redactor: &Arc<Redactor>,
) -> Result<SharedJournal, String> {
    let path = cutover_journal::sidecar_path(&params.journal);
    let w = JournalWriter::create(&path, Arc::clone(redactor)).map_err(|e| e.to_string())?;
    let j = SharedJournal::new(w);
    j.append_blocking(&Event::SessionStart {
        session_id: uuid::Uuid::new_v4().to_string(),
        mode: Mode::Run,
        runbook_id: "cutover-guard".into(),
        runbook_title: format!(
            "detached guard of {} (that journal could not be continued)",
            params.journal.display()
        ),
        runbook_sha256: String::new(),
        operator: "cutover guard".into(),
        ticket: None,
        key_fingerprint: None,
        scenario: None,
        steps: Vec::new(),
        version: env!("CARGO_PKG_VERSION").to_string(),
    })
    .map_err(|e| e.to_string())?;
    tracing::warn!(sidecar = %path.display(), "the guard's events go to its own journal");
    Ok(j)
}

/// A failover test's stop that ARM accepted (any 2xx to a stop call).
fn is_accepted_test_stop(a: &cutover_core::azure_call::ArmAttempt) -> bool {
    a.method.eq_ignore_ascii_case("POST")
        && (200..300).contains(&a.status)
        && (a.path.contains("/stopSiteFailoverTest")
            || a.path.contains("/stopCircuitLinkFailoverTest"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cutover_core::azure_call::{ArmAttempt, RequestIds};

    fn journal_with_put(dir: &std::path::Path, status: u16) -> std::path::PathBuf {
        let path = dir.join(format!("s-{status}.jsonl"));
        let mut w = JournalWriter::create(&path, Arc::new(Redactor::new())).expect("create");
        let put = Event::ActionAttempt {
            step: "s".into(),
            attempt: ArmAttempt {
                method: "PUT".into(),
                path: "/peering".into(),
                status,
                error_code: None,
                retry_after_ms: None,
                ids: RequestIds::default(),
                write: None,
            },
        };
        let start = Event::SessionStart {
            session_id: "s".into(),
            mode: Mode::Run,
            runbook_id: "r".into(),
            runbook_title: "t".into(),
            runbook_sha256: String::new(),
            operator: "tester".into(),
            ticket: None,
            key_fingerprint: None,
            scenario: None,
            steps: Vec::new(),
            version: "0".into(),
        };
        w.append(&start).expect("start");
        w.append(&put).expect("append");
        path
    }

    #[test]
    fn a_put_counts_as_seen_unless_refused_with_a_4xx() {
        let dir = tempfile::tempdir().expect("dir");
        for (status, seen) in [
            (0, true),
            (201, true),
            (502, true),
            (409, false),
            (429, false),
        ] {
            let j = journal_with_put(dir.path(), status);
            assert_eq!(change_seen(&j, "s"), seen, "PUT answered {status}");
        }
    }
}
