//! The gate popup's and the yes/no questions' state and key handling
//! (drawn by [`crate::gate`]). Every step of the gate is typed by the
//! operator and checked here before anything reaches the engine, which
//! checks it all again: an override takes a reason of at least 20
//! characters, the word `OVERRIDE`, then the confirmation text.

use cutover_core::session::Command;
use cutover_core::session::command::{OVERRIDE_WORD, override_reason_problem};

use super::{Action, App};

/// The stages of the gate popup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateStage {
    /// Pre-checks failed or hazards were predicted: the operator types why
    /// they go on anyway (at least 20 characters).
    Reason,
    /// Then types the word `OVERRIDE`.
    Acknowledge,
    /// The operator types the confirmation text.
    Confirm,
    /// Esc was pressed: asks once more before declining.
    Decline { from: GateField },
    /// The answer went to the engine; waiting for its `gate_decision`.
    Sent,
}

/// The gate's text fields, in the order they are filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateField {
    Reason,
    Acknowledge,
    Confirm,
}

impl GateField {
    fn stage(self) -> GateStage {
        match self {
            GateField::Reason => GateStage::Reason,
            GateField::Acknowledge => GateStage::Acknowledge,
            GateField::Confirm => GateStage::Confirm,
        }
    }
}

/// What the operator is typing at the open gate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateInput {
    pub step: String,
    pub stage: GateStage,
    pub reason: String,
    /// The word typed to override: must be `OVERRIDE`.
    pub acknowledged: String,
    pub typed: String,
    /// Why the last Enter did not pass.
    pub error: Option<String>,
    /// What was sent to the engine, once sent.
    pub sent: Option<&'static str>,
}

/// A question that needs a `y` before anything is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirm {
    Quit,
    Healthy,
}

impl App {
    pub(super) fn update_confirm(&mut self, c: Confirm, action: Action) -> Option<Command> {
        match action {
            Action::Yes => {
                self.confirm = None;
                match c {
                    Confirm::Quit => {
                        if self.state.is_ended() || self.engine_closed || self.replay {
                            self.exit = true;
                            return None;
                        }
                        self.quit_sent = true;
                        Some(Command::Quit)
                    }
                    Confirm::Healthy => {
                        if !self.can_confirm_healthy() {
                            self.message =
                                Some("the guarded window closed before the confirmation".into());
                            return None;
                        }
                        let step = self.state.armed_guard().map(|g| g.step.clone())?;
                        let cmd = Command::ConfirmHealthy { step: step.clone() };
                        self.guard_request = Some((step, cmd.clone()));
                        Some(cmd)
                    }
                }
            }
            Action::No | Action::Cancel => {
                self.confirm = None;
                None
            }
            _ => None,
        }
    }

    pub(super) fn update_gate(&mut self, action: Action) -> Option<Command> {
        if action == Action::RequestQuit {
            self.confirm = Some(Confirm::Quit);
            return None;
        }
        let gate = self.state.open_gate()?.clone();
        let input = self.gate.as_mut()?;
        match input.stage {
            GateStage::Sent => None,
            GateStage::Decline { from } => match action {
                Action::Yes => {
                    input.stage = GateStage::Sent;
                    input.sent = Some("decline");
                    Some(Command::GateDecline { step: gate.step })
                }
                Action::No | Action::Cancel => {
                    input.stage = from.stage();
                    None
                }
                _ => None,
            },
            GateStage::Reason => {
                if matches!(
                    action,
                    Action::Char(_) | Action::Backspace | Action::ClearInput
                ) {
                    input.error = None;
                }
                match action {
                    Action::Char(c) => input.reason.push(c),
                    Action::Backspace => {
                        input.reason.pop();
                    }
                    Action::ClearInput => input.reason.clear(),
                    Action::Submit => match override_reason_problem(&input.reason) {
                        Some(why) => input.error = Some(format!("{why} (it is journaled)")),
                        None => {
                            input.error = None;
                            input.stage = GateStage::Acknowledge;
                        }
                    },
                    Action::Cancel => {
                        input.stage = GateStage::Decline {
                            from: GateField::Reason,
                        }
                    }
                    _ => {}
                }
                None
            }
            GateStage::Acknowledge => {
                if matches!(
                    action,
                    Action::Char(_) | Action::Backspace | Action::ClearInput
                ) {
                    input.error = None;
                }
                match action {
                    Action::Char(c) => input.acknowledged.push(c),
                    Action::Backspace => {
                        input.acknowledged.pop();
                    }
                    Action::ClearInput => input.acknowledged.clear(),
                    Action::BackToReason => input.stage = GateStage::Reason,
                    Action::Submit => {
                        if input.acknowledged.trim() == OVERRIDE_WORD {
                            input.error = None;
                            input.stage = GateStage::Confirm;
                        } else {
                            input.error = Some(format!(
                                "type {OVERRIDE_WORD} in capitals to go on despite what holds the gate"
                            ));
                        }
                    }
                    Action::Cancel => {
                        input.stage = GateStage::Decline {
                            from: GateField::Acknowledge,
                        }
                    }
                    _ => {}
                }
                None
            }
            GateStage::Confirm => match action {
                Action::Char(c) => {
                    input.typed.push(c);
                    input.error = None;
                    None
                }
                Action::Backspace => {
                    input.typed.pop();
                    input.error = None;
                    None
                }
                Action::ClearInput => {
                    input.typed.clear();
                    input.error = None;
                    None
                }
                Action::BackToReason => {
                    if gate.needs_reason() {
                        input.stage = GateStage::Acknowledge;
                    }
                    None
                }
                Action::Cancel => {
                    input.stage = GateStage::Decline {
                        from: GateField::Confirm,
                    };
                    None
                }
                Action::Submit => {
                    if gate.confirm_text.is_empty() {
                        input.error = Some(
                            "this gate has no confirmation text: it cannot be passed, only declined"
                                .into(),
                        );
                        return None;
                    }
                    if input.typed != gate.confirm_text {
                        input.error = Some(format!(
                            "does not match: type exactly `{}`",
                            gate.confirm_text
                        ));
                        return None;
                    }
                    if gate.needs_reason() {
                        let reason = input.reason.trim().to_string();
                        if let Some(why) = override_reason_problem(&reason) {
                            input.stage = GateStage::Reason;
                            input.error = Some(why);
                            return None;
                        }
                        if input.acknowledged.trim() != OVERRIDE_WORD {
                            input.stage = GateStage::Acknowledge;
                            input.error = Some(format!("type {OVERRIDE_WORD} first"));
                            return None;
                        }
                        input.stage = GateStage::Sent;
                        input.error = None;
                        input.sent = Some("override");
                        Some(Command::GateOverride {
                            step: gate.step,
                            reason,
                            acknowledged: OVERRIDE_WORD.to_string(),
                            typed: input.typed.clone(),
                        })
                    } else {
                        input.stage = GateStage::Sent;
                        input.error = None;
                        input.sent = Some("confirmation");
                        Some(Command::GateConfirm {
                            step: gate.step,
                            typed: input.typed.clone(),
                        })
                    }
                }
                _ => None,
            },
        }
    }

    /// The gate's part of bringing the screen in line with the session: an
    /// opening gate takes the keys from the help and the route filter, and
    /// a healthy question the guard no longer allows must not stay open.
    pub(super) fn sync_gate(&mut self) {
        match self.state.open_gate() {
            Some(g) if !self.replay => {
                if self.gate.as_ref().is_none_or(|i| i.step != g.step) {
                    self.gate = Some(GateInput {
                        step: g.step.clone(),
                        stage: if g.needs_reason() {
                            GateStage::Reason
                        } else {
                            GateStage::Confirm
                        },
                        reason: String::new(),
                        acknowledged: String::new(),
                        typed: String::new(),
                        error: None,
                        sent: None,
                    });
                    self.help = false;
                    self.routes.editing = false;
                }
            }
            _ => self.gate = None,
        }
        if self.confirm == Some(Confirm::Healthy) && !self.can_confirm_healthy() {
            self.confirm = None;
        }
    }
}
