//! `cutover replay`: a recorded session played back from its journal.
//!
//! The replay never talks to a device or an engine: it folds the journal's
//! events into the same [`SessionState`] the live console folds, so what it
//! shows is what the operator saw (issue 7). Three ways out:
//! - [`console`]: the console's own panes, read-only, with pause, speed and
//!   step forward/back;
//! - [`headless`]: one text line per record, the live headless format;
//! - [`asciicast`]: an asciicast v2 recording of the console.
//!
//! [`console`] and [`asciicast`] draw through the UI's public API
//! (`ui::render`, `ui::App`); [`load`], [`schedule`] and the folding here
//! know nothing of terminals.

pub mod asciicast;
pub mod console;
pub mod schedule;

use cutover_core::session::state::SessionState;

pub use cutover_journal::recording::{
    LoadError, PathsSource, Recording, integrity_summary, integrity_warning,
};

/// The session as folded from the first `n` records (all of them when `n`
/// is past the end). Records of kinds this version does not know are
/// skipped, as the live console never saw them either.
pub fn state_at(rec: &Recording, n: usize) -> SessionState {
    let mut state = SessionState::with_classifier(rec.classifier.clone());
    let n = n.min(rec.records.len());
    // At the time each was written: the live panes' ages read from it.
    for r in &rec.records[..n] {
        if let Some(e) = r.event() {
            state.apply_at(e, r.ts);
        }
    }
    state
}

/// The session as the journal leaves it.
pub fn fold(rec: &Recording) -> SessionState {
    state_at(rec, rec.records.len())
}
