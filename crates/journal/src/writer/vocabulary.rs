//! Strings the writer must never redact, or a record would stop reading as
//! its event.

use std::sync::OnceLock;

use serde_json::Value;

use cutover_core::model::path::PathKind;
use cutover_core::session::event::{GateDecision, Mode, NoteLevel, RollbackReason, Verdict};
use cutover_core::session::prediction::{Direction, HazardKind};

/// Strings the program itself writes as enum tags: never redacted, or an
/// over-broad inventory pattern would make records unreadable as events.
/// They are public vocabulary, so keeping them reveals nothing.
pub(super) fn vocabulary() -> &'static [String] {
    static VOCAB: OnceLock<Vec<String>> = OnceLock::new();
    VOCAB.get_or_init(|| {
        let mut v: Vec<Value> = Vec::new();
        let mut push = |x: serde_json::Result<Value>| v.extend(x.ok());
        for m in [Mode::Run, Mode::Validate, Mode::Drill] {
            push(serde_json::to_value(m));
        }
        for x in [
            Verdict::Passed,
            Verdict::Failed,
            Verdict::Overridden,
            Verdict::Skipped,
        ] {
            push(serde_json::to_value(x));
        }
        for r in [
            RollbackReason::DeadlinePassed,
            RollbackReason::VerificationFailed,
            RollbackReason::Operator,
            RollbackReason::ConsoleLost,
            RollbackReason::TrafficLost,
            RollbackReason::JournalFailed,
            RollbackReason::ChangeFailed,
        ] {
            push(serde_json::to_value(r));
        }
        for n in [NoteLevel::Info, NoteLevel::Warn, NoteLevel::Error] {
            push(serde_json::to_value(n));
        }
        for d in [
            GateDecision::Confirmed,
            GateDecision::Declined,
            GateDecision::Override {
                reason: String::new(),
                failed_checks: Vec::new(),
                hazards: Vec::new(),
            },
        ] {
            push(serde_json::to_value(d).map(|o| o["decision"].clone()));
        }
        for d in Direction::ALL {
            push(serde_json::to_value(d));
        }
        for h in HazardKind::ALL {
            push(serde_json::to_value(h));
        }
        for k in PathKind::ALL {
            push(serde_json::to_value(k));
        }
        v.into_iter()
            .filter_map(|x| match x {
                Value::String(s) => Some(s),
                _ => None,
            })
            .collect()
    })
}
