//! A rollback's escalation and its end, as the headless operator reads
//! them.

use cutover_core::session::event::{Event, RollbackResult};

use super::manual_text;

/// A rollback's end: what it found first.
pub(super) fn done(detail: &str, outcome: Option<RollbackResult>, reasserts: u32) -> String {
    let mut text = match outcome {
        Some(o) => format!("{}: {detail}", o.as_str()),
        None => detail.to_string(),
    };
    if reasserts > 0 {
        text.push_str(&format!(
            " ({reasserts} re-assert(s) after the peering flipped)"
        ));
    }
    text
}

/// A rollback that is not getting through: the count, the next attempt,
/// when it stops, how to stop it, and the commands to run by hand.
pub(super) fn escalated(e: &Event) -> String {
    let Event::RollbackEscalated {
        attempts,
        error,
        next_attempt_at,
        gives_up_at,
        manual,
        ..
    } = e
    else {
        return String::new();
    };
    format!(
        "ROLLBACK NOT GETTING THROUGH: attempt {attempts} failed ({error}); next attempt {}; retrying until {gives_up_at}. Type `takeover` to stop retrying and restore it yourself:\n{}",
        next_attempt_at
            .as_deref()
            .unwrap_or("when the one under way ends"),
        manual_text(manual)
    )
}
