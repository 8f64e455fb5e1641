//! Headless blind drills (`drill --headless --blind`): until the gate
//! opens, no pre-check verdict is printed — no PASS/FAIL, no evidence, no
//! verdict at `step_end` — and each check's raw output is printed instead,
//! for the trainee to mark (`mark CHECK pass|fail`). The gate prompt
//! reveals the truth: each mark beside the check's real verdict.

use std::io::Write;

use time::OffsetDateTime;

use cutover_core::model::duration::human;
use cutover_core::session::drill::Mark;
use cutover_core::session::event::{Event, MONITOR_STEP, NoteLevel, Verdict};

use super::format_line;

/// The text of a `drill_mark` or `drill_hint` line (the truth is not in
/// it: it is said once the gate opens).
pub(super) fn describe(e: &Event) -> Option<(&str, String)> {
    match e {
        Event::DrillMark {
            check,
            mark,
            after_ms,
            ..
        } => Some((
            check,
            format!("marked {mark} ({} after its result)", human(*after_ms)),
        )),
        Event::DrillHint { step, text } => Some((step, format!("HINT: {text}"))),
        _ => None,
    }
}

#[derive(Debug, Default)]
pub(super) struct Blind {
    on: bool,
    revealed: bool,
    /// Each check's last mark, and its truth, in the order first marked.
    marks: Vec<(String, Mark, Verdict)>,
    /// The gates, from `session_start`.
    gates: Vec<String>,
}

impl Blind {
    pub(super) fn new(on: bool) -> Self {
        Self {
            on,
            ..Self::default()
        }
    }

    /// Prints `ev` as headless does, with the verdicts hidden while blind.
    pub(super) fn print(&mut self, ev: &Event, out: &mut (dyn Write + Send)) {
        let now = OffsetDateTime::now_utc();
        if !self.on || self.revealed {
            let _ = writeln!(out, "{}", format_line(now, ev));
            return;
        }
        let ts = cutover_journal::line::format_ts(now);
        if self.opens_gate(ev) {
            self.revealed = true;
            self.reveal(out);
            let _ = writeln!(out, "{}", format_line(now, ev));
            return;
        }
        match ev {
            Event::SessionStart { steps, .. } => {
                self.gates = steps
                    .iter()
                    .filter(|s| s.kind == "gate")
                    .map(|s| s.id.clone())
                    .collect();
                let _ = writeln!(out, "{}", format_line(now, ev));
                let _ = writeln!(
                    out,
                    "> blind drill: verdicts are hidden until the gate; mark each check from its output: `mark CHECK pass` or `mark CHECK fail`; `hint STEP` shows a step's hint (each costs points)"
                );
            }
            Event::Probe { raw, step, .. } => {
                let _ = writeln!(out, "{}", format_line(now, ev));
                // The monitor's polls would drown the checks' outputs.
                let raw = raw.as_deref().filter(|_| step != MONITOR_STEP);
                for l in raw.unwrap_or_default().lines() {
                    let _ = writeln!(out, "    | {l}");
                }
            }
            Event::Expectation { step, clause, .. } => {
                let _ = writeln!(out, "{ts} {:<16} {step} {clause}", ev.kind());
            }
            Event::StepEnd {
                step, elapsed_ms, ..
            } => {
                let _ = writeln!(
                    out,
                    "{ts} {:<16} {step} ended ({}): mark it pass or fail",
                    ev.kind(),
                    human(*elapsed_ms)
                );
            }
            Event::DrillMark {
                check, mark, truth, ..
            } => {
                match self.marks.iter_mut().find(|m| &m.0 == check) {
                    Some(m) => (m.1, m.2) = (*mark, *truth),
                    None => self.marks.push((check.clone(), *mark, *truth)),
                }
                let _ = writeln!(out, "{}", format_line(now, ev));
            }
            _ => {
                let _ = writeln!(out, "{}", format_line(now, ev));
            }
        }
    }

    /// The marks are in and the engine goes on with the gate (its
    /// prediction, an advisory warning, the prompt), or the session ends:
    /// the truth is out. The engine's notes while it waits for marks are
    /// not that.
    fn opens_gate(&self, ev: &Event) -> bool {
        match ev {
            Event::SessionEnd { .. } | Event::GatePrompt { .. } | Event::GateDecision { .. } => {
                true
            }
            Event::Note {
                level: NoteLevel::Info,
                ..
            } => false,
            Event::Note { step, .. } => step.as_ref().is_some_and(|s| self.gates.contains(s)),
            Event::Probe { step, .. } | Event::Prediction { step, .. } => self.gates.contains(step),
            _ => false,
        }
    }

    fn reveal(&self, out: &mut (dyn Write + Send)) {
        let right = self.marks.iter().filter(|(_, m, t)| m.matches(*t)).count();
        let _ = writeln!(
            out,
            "> your marks against the checks' verdicts: {right} of {} right",
            self.marks.len()
        );
        for (check, mark, truth) in &self.marks {
            let verdict = match truth {
                Verdict::Passed => "passed",
                Verdict::Failed => "failed",
                Verdict::Overridden => "overridden",
                Verdict::Skipped => "skipped",
            };
            let said = if mark.matches(*truth) {
                "right"
            } else {
                "WRONG"
            };
            let _ = writeln!(out, ">   {check}: marked {mark}, it {verdict}: {said}");
        }
    }
}
