//! Stopping a guarded change from the headless driver, at any moment from
//! the gate decision to the end of the change (not only while a question
//! is open): `abort` or `rollback` typed on standard input, Ctrl-C,
//! SIGTERM, SIGHUP. The engine decides what stopping means: cancelled
//! while no write was accepted (exit 1), rolled back once one may have
//! been (exit 3).

use std::io::Write;

use crate::cli::signals::Signal;
use cutover_core::runbook::ActionOp;
use cutover_core::session::event::{Event, GateDecision};
use cutover_engine::Command;

/// Where the session stands, as far as stopping it goes.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct Guarded {
    phase: Phase,
    /// A change was announced in this session: from then on the process
    /// never exits before the engine has ended it.
    changed: bool,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
enum Phase {
    #[default]
    Idle,
    /// A gate passed; its change is not announced yet.
    GatePassed,
    /// The disruptive change of `step` is going out, or is out.
    Out { step: String },
}

impl Guarded {
    /// Follows the session's events.
    pub(super) fn follow(&mut self, ev: &Event) {
        match ev {
            Event::GateDecision { decision, .. } => {
                self.phase = match decision {
                    GateDecision::Declined => Phase::Idle,
                    _ => Phase::GatePassed,
                };
            }
            Event::ActionStarted { step, op, .. } => {
                self.changed = true;
                let disruptive = ActionOp::parse(op).is_some_and(ActionOp::is_disruptive);
                self.phase = if disruptive {
                    Phase::Out { step: step.clone() }
                } else {
                    Phase::Idle
                };
            }
            Event::StepEnd { step, .. } => {
                if matches!(&self.phase, Phase::Out { step: s } if s == step) {
                    self.phase = Phase::Idle;
                }
            }
            Event::SessionEnd { .. } => self.phase = Phase::Idle,
            _ => {}
        }
    }

    /// The command that stops the change now, when one is being made.
    /// Before the change is announced the engine cannot know its step:
    /// `quit` stops it the same way.
    pub(super) fn abort(&self) -> Option<Command> {
        match &self.phase {
            Phase::Idle => None,
            Phase::GatePassed => Some(Command::Quit),
            Phase::Out { step } => Some(Command::Rollback { step: step.clone() }),
        }
    }
}

/// `abort` or `rollback`: the words that stop a guarded change.
pub(super) fn is_abort_word(line: &str) -> bool {
    matches!(line.trim(), "abort" | "rollback")
}

/// What the driver does about a signal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum OnSignal {
    /// Send this command to the engine.
    Send(Command),
    /// Close the command channel: the console is gone (the engine cancels
    /// or rolls back the change, or declines the next gate).
    HangUp,
    /// Leave now: nothing was changed and this is the second signal.
    Exit,
    /// Already stopping: wait for the engine.
    Wait,
}

/// Decides what `sig` does; `first` is false once a signal was handled.
/// Says it on `out`.
pub(super) fn on_signal(
    sig: Signal,
    guarded: &Guarded,
    first: bool,
    out: &mut (dyn Write + Send),
) -> OnSignal {
    let name = sig.name();
    if !first {
        if guarded.changed {
            let _ = writeln!(
                out,
                "> {name}: a change was made in this session: cutover ends once it is cancelled, rolled back or restored (kill -9 leaves it to the detached guard)"
            );
            return OnSignal::Wait;
        }
        // Past a gate the engine may already have announced the change or
        // armed its guard before this driver saw it: leaving now could
        // strand a change, so only the engine may end the session.
        if guarded.phase != Phase::Idle {
            let _ = writeln!(
                out,
                "> {name} again: a gate was passed: cutover ends once the engine has stopped the change"
            );
            return OnSignal::Wait;
        }
        let _ = writeln!(out, "> {name} again: leaving now; nothing was changed");
        return OnSignal::Exit;
    }
    if sig.by_operator() {
        let (cmd, what) = match guarded.abort() {
            Some(c) => (c, "stopping the change now"),
            None if guarded.changed => (Command::Quit, "leaving as soon as the engine allows"),
            None => (
                Command::Quit,
                "leaving at the next gate (nothing was changed); Ctrl-C again leaves now",
            ),
        };
        let _ = writeln!(out, "> {name}: {what}");
        return OnSignal::Send(cmd);
    }
    let what = if guarded.abort().is_some() {
        "the console is gone: stopping the change now"
    } else {
        "the console is gone: nothing more will be answered"
    };
    let _ = writeln!(out, "> {name}: {what}");
    OnSignal::HangUp
}

#[cfg(test)]
mod tests {
    use super::*;
    use cutover_core::session::event::Verdict;
    use cutover_engine::port::ManualCommands;

    fn started(step: &str, op: &str) -> Event {
        Event::ActionStarted {
            step: step.into(),
            op: op.into(),
            target: "rg/er/AzurePrivatePeering".into(),
            manual: ManualCommands {
                az_cli: String::new(),
                powershell: String::new(),
            },
        }
    }

    #[test]
    fn abort_stops_the_disruptive_change_from_the_gate_to_its_end() {
        let mut g = Guarded::default();
        assert_eq!(g.abort(), None);
        g.follow(&Event::GateDecision {
            step: "gate".into(),
            decision: GateDecision::Confirmed,
        });
        assert_eq!(g.abort(), Some(Command::Quit));
        g.follow(&started("disable", "azure.peering.disable"));
        assert_eq!(
            g.abort(),
            Some(Command::Rollback {
                step: "disable".into()
            })
        );
        g.follow(&Event::StepEnd {
            step: "disable".into(),
            verdict: Verdict::Passed,
            elapsed_ms: 1,
        });
        assert_eq!(g.abort(), None);
        // The restore is not stopped half-way.
        g.follow(&started("enable", "azure.peering.enable"));
        assert_eq!(g.abort(), None);
        assert!(is_abort_word(" abort ") && is_abort_word("rollback"));
        assert!(!is_abort_word("abort now"));
    }

    #[test]
    fn signals_stop_the_change_and_never_abandon_one() {
        let mut out: Vec<u8> = Vec::new();
        let mut g = Guarded::default();
        assert_eq!(
            on_signal(Signal::Interrupt, &g, true, &mut out),
            OnSignal::Send(Command::Quit)
        );
        assert_eq!(
            on_signal(Signal::Interrupt, &g, false, &mut out),
            OnSignal::Exit
        );
        let mut passed = Guarded::default();
        passed.follow(&Event::GateDecision {
            step: "gate".into(),
            decision: GateDecision::Confirmed,
        });
        assert_eq!(
            on_signal(Signal::Interrupt, &passed, false, &mut out),
            OnSignal::Wait,
            "a second signal between the gate and the change never leaves"
        );
        g.follow(&started("disable", "azure.peering.disable"));
        assert_eq!(
            on_signal(Signal::Interrupt, &g, true, &mut out),
            OnSignal::Send(Command::Rollback {
                step: "disable".into()
            })
        );
        assert_eq!(
            on_signal(Signal::Terminate, &g, true, &mut out),
            OnSignal::HangUp
        );
        assert_eq!(
            on_signal(Signal::HangUp, &g, true, &mut out),
            OnSignal::HangUp
        );
        assert_eq!(
            on_signal(Signal::Terminate, &g, false, &mut out),
            OnSignal::Wait
        );
        let text = String::from_utf8_lossy(&out);
        assert!(
            text.contains("> SIGTERM: the console is gone: stopping the change now"),
            "{text}"
        );
    }
}
