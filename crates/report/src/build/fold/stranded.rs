//! What could have stranded the peering, in the report: the peering read
//! before the start (a refusal, with what restores it) and a detached
//! guard lost and re-armed during a change. Each is a note and a mark on
//! the timeline.

use super::Acc;
use crate::model::Note;
use cutover_core::session::Event;
use cutover_journal::Record;
use cutover_journal::line::format_ts;

impl Acc {
    pub(super) fn stranded(&mut self, r: &Record, e: &Event) {
        match e {
            Event::PeeringPreflight {
                ok, detail, remedy, ..
            } => {
                let text = match (ok, remedy) {
                    (true, _) => format!("peering before the start: {detail}"),
                    (false, Some(rm)) => format!("refused to start: {detail}; {rm}"),
                    (false, None) => format!("refused to start: {detail}"),
                };
                let level = if *ok { "info" } else { "error" };
                self.note(r, None, level, text.clone());
                self.mark(r, "preflight", None, text, Some(*ok));
            }
            Event::GuardLost { step, detail } => {
                let text = format!("the detached guard died: {detail}");
                self.note(r, Some(step), "error", text.clone());
                self.mark(r, "guard", Some(step), text, Some(false));
            }
            Event::GuardRearmed { step, ok, detail } => {
                let text = if *ok {
                    format!("a new detached guard was armed: {detail}")
                } else {
                    format!("no new detached guard could be armed: {detail}")
                };
                let level = if *ok { "warn" } else { "error" };
                self.note(r, Some(step), level, text.clone());
                self.mark(r, "guard", Some(step), text, Some(*ok));
            }
            _ => {}
        }
    }

    fn note(&mut self, r: &Record, step: Option<&str>, level: &str, text: String) {
        self.notes.push(Note {
            at: format_ts(r.ts),
            seq: r.seq,
            step: step.map(str::to_string),
            level: level.to_string(),
            text,
        });
    }
}
