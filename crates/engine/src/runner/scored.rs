//! A drill's end: the session judged against its scenario's objectives
//! (`cutover_core::drill::score`, the one rule) and journaled as
//! `drill_score` before `session_end`, so the journal closes with it and
//! the console, the headless output and the report read the same result.

use cutover_core::drill::{DrillPlan, Timed, score};
use cutover_core::session::event::Event;

use crate::sink::EventSink;

/// Scores what the sink kept (with `end`, the `session_end` about to be
/// emitted, so `completes` can be judged) and emits the score.
pub(super) async fn emit(sink: &EventSink, plan: &DrillPlan, end: &Event) {
    let tapped = sink.tapped();
    let origin = tapped.first().map(|(at, _)| *at);
    let mut timed: Vec<Timed<'_>> = tapped
        .iter()
        .map(|(at, event)| Timed {
            at_ms: origin.map(|o| {
                u64::try_from(at.saturating_duration_since(o).as_millis()).unwrap_or(u64::MAX)
            }),
            event,
        })
        .collect();
    timed.push(Timed {
        at_ms: None,
        event: end,
    });
    let judged = score(&timed, plan);
    // A journal that cannot take it is reported by `session_end`'s own
    // failure; the score is lost with the rest.
    let _ = sink.emit(Event::DrillScore(judged)).await;
}
