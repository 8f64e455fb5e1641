//! A drill's trainee keys: in a blind drill `P`/`F` mark the selected
//! check pass or fail (sent to the engine, which journals the mark with the
//! truth and holds the gate until every pre-check is marked); in any drill
//! `H` asks for the selected step's hint (journaled, it costs points) and
//! shows it in a popup. The marks shown are the journaled ones
//! (`SessionState::answers`), never a guess of the console's.

use std::collections::HashMap;

use super::{Action, App};
use cutover_core::session::Command;
use cutover_core::session::drill::Mark;
use cutover_core::session::state::StepState;

impl App {
    /// A drill: `blind` hides the pre-checks' verdicts until the gate;
    /// `hints` are the runbook's, per step id (empty outside drills).
    pub fn with_drill(mut self, blind: bool, hints: HashMap<String, String>) -> Self {
        self.blind = blind;
        self.hints = hints;
        self
    }

    /// Verdicts are hidden now: a blind drill whose first gate has not
    /// opened (its prompt reveals them) and which has not ended.
    pub fn verdicts_hidden(&self) -> bool {
        self.blind && !self.replay && self.state.gates.is_empty() && !self.state.is_ended()
    }

    /// The selected step, when it is a check whose result is in.
    fn judged_check(&self) -> Option<&StepState> {
        let s = self.state.steps.get(self.selected_step()?)?;
        (s.info.kind == "check" && s.status.is_done()).then_some(s)
    }

    /// Whether `P`/`F` mark the selected check now.
    pub fn can_mark(&self) -> bool {
        self.verdicts_hidden() && !self.engine_closed && self.judged_check().is_some()
    }

    /// Whether `H` shows the selected step's hint now.
    pub fn can_hint(&self) -> bool {
        !self.replay
            && !self.state.is_ended()
            && self
                .selected_step()
                .and_then(|i| self.state.steps.get(i))
                .is_some_and(|s| self.hints.contains_key(&s.info.id))
    }

    /// The hint popup's step and text, while it is open.
    pub fn open_hint(&self) -> Option<(&str, &str)> {
        let step = self.hint_open.as_deref()?;
        Some((step, self.hints.get(step)?.as_str()))
    }

    pub(super) fn update_drill(&mut self, action: Action) -> Option<Command> {
        match action {
            Action::MarkPass | Action::MarkFail if self.can_mark() => {
                let check = self.judged_check()?.info.id.clone();
                let mark = if action == Action::MarkPass {
                    Mark::Pass
                } else {
                    Mark::Fail
                };
                Some(Command::Mark { check, mark })
            }
            Action::Hint if self.hint_open.is_some() => {
                self.hint_open = None;
                None
            }
            Action::Hint if self.can_hint() => {
                let step = self.state.steps.get(self.selected_step()?)?.info.id.clone();
                self.hint_open = Some(step.clone());
                // Asked once, counted once: the engine journals the first.
                let asked = self.state.answers.hints.iter().any(|h| h.step == step);
                (!asked).then_some(Command::Hint { step })
            }
            Action::CloseHint => {
                self.hint_open = None;
                None
            }
            _ => None,
        }
    }
}
