//! The gate on standard input: with nothing holding it, the confirmation
//! text; with failed pre-checks or predicted hazards, first a reason of at
//! least 20 characters, then the word `OVERRIDE`, then the confirmation
//! text. Checked here to ask again at once; the engine checks it all again.

use std::io::Write;

use cutover_core::session::command::{MIN_OVERRIDE_REASON, OVERRIDE_WORD, override_reason_problem};
use cutover_core::session::prediction::Hazard;
use cutover_engine::Command;

/// What the gate has been answered so far.
#[derive(Debug, Clone)]
pub(super) struct GateAsk {
    pub step: String,
    /// Failed pre-checks or hazards: only an override passes.
    pub held: bool,
    pub reason: Option<String>,
    pub acknowledged: bool,
}

/// Prints the question for a gate prompt; with `--auto-confirm`, answers
/// it (confirm when nothing holds it, else decline: an override is never
/// automatic).
pub(super) fn ask(
    step: &str,
    confirm_text: &str,
    failed_checks: &[String],
    hazards: &[Hazard],
    auto_confirm: bool,
    out: &mut (dyn Write + Send),
) -> Result<GateAsk, Command> {
    let held = !failed_checks.is_empty() || !hazards.is_empty();
    if auto_confirm {
        if !held {
            return Err(Command::GateConfirm {
                step: step.to_string(),
                typed: confirm_text.to_string(),
            });
        }
        let what = match (failed_checks.is_empty(), hazards.is_empty()) {
            (false, true) => "failed pre-checks",
            (true, false) => "predicted hazards",
            _ => "failed pre-checks or predicted hazards",
        };
        let _ = writeln!(out, "--auto-confirm never overrides {what}: declining");
        return Err(Command::GateDecline {
            step: step.to_string(),
        });
    }
    if held {
        let mut what = Vec::new();
        if !failed_checks.is_empty() {
            what.push(format!(
                "{} pre-check(s) failed ({})",
                failed_checks.len(),
                failed_checks.join(", ")
            ));
        }
        for h in hazards {
            what.push(format!("predicted hazard {}: {}", h.headline(), h.message));
        }
        let _ = writeln!(out, "> the gate is held:");
        for w in &what {
            let _ = writeln!(out, ">   {w}");
        }
        let _ = writeln!(
            out,
            "> to override, type a reason (at least {MIN_OVERRIDE_REASON} characters), or `decline`:"
        );
    } else {
        let _ = writeln!(out, "> type `{confirm_text}` to go on, or `decline`:");
    }
    Ok(GateAsk {
        step: step.to_string(),
        held,
        reason: None,
        acknowledged: false,
    })
}

/// One typed line at the gate.
pub(super) fn answer(l: &str, a: &mut GateAsk, out: &mut (dyn Write + Send)) -> Option<Command> {
    if l == "decline" || l == "quit" {
        return Some(Command::GateDecline {
            step: a.step.clone(),
        });
    }
    if !a.held {
        return Some(Command::GateConfirm {
            step: a.step.clone(),
            typed: l.to_string(),
        });
    }
    let Some(reason) = a.reason.clone() else {
        match override_reason_problem(l) {
            Some(why) => {
                let _ = writeln!(out, "> {why}; type the reason again, or `decline`:");
            }
            None => {
                a.reason = Some(l.to_string());
                let _ = writeln!(
                    out,
                    "> type {OVERRIDE_WORD} to override what holds the gate, or `decline`:"
                );
            }
        }
        return None;
    };
    if !a.acknowledged {
        if l == OVERRIDE_WORD {
            a.acknowledged = true;
            let _ = writeln!(out, "> now type the confirmation text:");
        } else {
            let _ = writeln!(out, "> type {OVERRIDE_WORD} (in capitals), or `decline`:");
        }
        return None;
    }
    // One try per override: a mismatch starts the override over, so a
    // stray line never rides on an earlier reason.
    a.reason = None;
    a.acknowledged = false;
    Some(Command::GateOverride {
        step: a.step.clone(),
        reason,
        acknowledged: OVERRIDE_WORD.to_string(),
        typed: l.to_string(),
    })
}
