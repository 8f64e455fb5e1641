//! The verification window and the test traffic in the report: how long
//! the change was given, when the traffic was seen moved, not moved yet or
//! lost (counted from the accepted PUT, like the measurements), and with
//! what uncertainty. A loss or a recovery is a note as well
//! as a mark on the timeline, so the ticket says it in words.

use super::Acc;
use crate::model::Note;
use crate::text::duration;
use cutover_core::session::Event;
use cutover_journal::Record;
use cutover_journal::line::format_ts;

impl Acc {
    pub(super) fn traffic(&mut self, r: &Record, e: &Event) {
        match e {
            Event::VerifyStarted {
                step,
                within_ms,
                max_outage_ms,
                ..
            } => {
                let label = match max_outage_ms {
                    Some(m) => format!(
                        "verifying for up to {}; traffic lost longer than {} rolls back",
                        duration(*within_ms),
                        duration(*m)
                    ),
                    None => format!("verifying for up to {}", duration(*within_ms)),
                };
                self.mark(r, "verify", Some(step), label, None);
            }
            Event::TrafficSeen {
                step,
                path,
                moved,
                elapsed_ms,
                lost_ms,
            } => {
                let after = duration(*elapsed_ms);
                match lost_ms {
                    Some(l) => {
                        let text = format!(
                            "traffic back over {path} {after} from the write accepted, after {} lost",
                            duration(*l)
                        );
                        self.traffic_note(r, step, "warn", text.clone());
                        self.mark(r, "traffic", Some(step), text, Some(true));
                    }
                    None if *moved => {
                        let text =
                            format!("traffic moved: over {path} {after} from the write accepted");
                        self.mark(r, "traffic", Some(step), text, Some(true));
                    }
                    None => {
                        let text = format!(
                            "not moved yet: still over {path} {after} from the write accepted"
                        );
                        self.mark(r, "traffic", Some(step), text, None);
                    }
                }
            }
            Event::TrafficLost {
                step,
                elapsed_ms,
                unseen_ms,
                rollback_at,
                evidence,
                ..
            } => {
                let then = match rollback_at {
                    Some(t) => format!("rollback due at {t} unless it came back"),
                    None => "no max_outage: the verification decided".to_string(),
                };
                let text = format!(
                    "TRAFFIC LOST at {} from the write accepted (unseen for up to {} before that, since the write was accepted or the last trace that reached it): {evidence}; {then}",
                    duration(*elapsed_ms),
                    duration(*unseen_ms)
                );
                self.traffic_note(r, step, "error", text.clone());
                self.mark(r, "traffic_lost", Some(step), text, Some(false));
            }
            _ => {}
        }
    }

    fn traffic_note(&mut self, r: &Record, step: &str, level: &str, text: String) {
        self.notes.push(Note {
            at: format_ts(r.ts),
            seq: r.seq,
            step: Some(step.to_string()),
            level: level.to_string(),
            text,
        });
    }
}
