//! Headless mode: the same engine, printing one timestamped line per event
//! (RFC 3339 UTC with milliseconds, kind, step, short text) instead of the
//! console.
//!
//! With `--auto-confirm` every gate is answered by typing its confirmation
//! text — but only when every pre-check passed: a failed pre-check is never
//! overridden automatically, the gate is declined (exit 1) — and every
//! guarded change is called healthy once its verification passed.
//!
//! Without it, the operator answers on standard input: at a gate, the
//! confirmation text (or `decline`); with failed pre-checks, first the
//! override reason, then the confirmation text; during a guarded change,
//! `healthy`, `rollback` or `quit`. From the gate decision to the end of
//! the disruptive change, `abort` or `rollback` stops it at once, whatever
//! is asked (cancelled while no write was accepted, rolled back after).
//! Lines typed ahead wait in a queue for the question they answer
//! (`input.rs`); `healthy` is asked once the verification has passed.
//! End of input (once the queued lines are used), SIGTERM and SIGHUP are
//! the console going away: a gate declines, a guarded change not yet
//! confirmed is cancelled or rolled back; Ctrl-C is the operator stopping
//! (`abort`, or `quit` outside a change).

use std::io::{BufRead, Write};

use time::OffsetDateTime;
use tokio::sync::mpsc::{self, UnboundedReceiver};

use cutover_core::model::duration::human;
use cutover_core::session::event::{Event, GateDecision, NoteLevel};
use cutover_core::session::state::{PLANNED_NEXT_TEST, measured_text};
use cutover_engine::port::trace::Tracer;
use cutover_engine::port::{AzureApi, DeviceSession, ManualCommands};
use cutover_engine::{Command, Engine, SessionOutcome};

use super::signals::{self, Signals};
use input::{Asking, Input};

/// One line for one event: `TS KIND STEP TEXT` (the text may continue on
/// indented lines for multi-line notes).
pub fn format_line(ts: OffsetDateTime, event: &Event) -> String {
    let ts = cutover_journal::line::format_ts(ts);
    let (step, text) = describe(event);
    let step = if step.is_empty() { "-" } else { step };
    let text = text.replace('\n', "\n    ");
    format!("{ts} {:<16} {step} {text}", event.kind())
        .trim_end()
        .to_string()
}

fn pass(p: bool) -> &'static str {
    if p { "PASS" } else { "FAIL" }
}

fn describe(e: &Event) -> (&str, String) {
    match e {
        Event::SessionStart {
            runbook_id,
            runbook_title,
            mode,
            steps,
            ..
        } => (
            "",
            format!(
                "{runbook_id} ({}): {runbook_title}; {} steps",
                serde_json::to_value(mode)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                steps.len()
            ),
        ),
        Event::LabTimeScale {
            factor,
            hold_time_ms,
            arm_operation_ms,
        } => (
            "",
            cutover_core::session::time_scale::text(*factor, *hold_time_ms, *arm_operation_ms),
        ),
        Event::StepStart { step } => (step, String::new()),
        Event::Probe {
            step,
            device,
            command,
            error,
            elapsed_ms,
            ..
        } => {
            let first = command.lines().next().unwrap_or_default();
            let mut line = match error {
                Some(err) => format!("{device}: {first} ({}): {err}", human(*elapsed_ms)),
                None => format!("{device}: {first} ({})", human(*elapsed_ms)),
            };
            for w in e.probe_warnings() {
                line.push_str(&format!("; WARNING: {w}"));
            }
            (step, line)
        }
        Event::ProbeRepeated {
            step,
            device,
            command,
            elapsed_ms,
            ..
        } => {
            let first = command.lines().next().unwrap_or_default();
            (
                step,
                format!("{device}: {first} ({}): unchanged", human(*elapsed_ms)),
            )
        }
        Event::Expectation {
            step,
            clause,
            passed,
            evidence,
        } => (step, format!("{} {clause}: {evidence}", pass(*passed))),
        Event::GatePrompt {
            step,
            prompt,
            confirm_text,
            failed_checks,
            hazards,
        } => {
            let mut t = format!("{prompt} (type `{confirm_text}`)");
            if !failed_checks.is_empty() {
                t.push_str(&format!(
                    "; {} pre-check(s) FAILED: {}",
                    failed_checks.len(),
                    failed_checks.join(", ")
                ));
            }
            if !hazards.is_empty() {
                let list: Vec<String> = hazards.iter().map(|h| h.headline()).collect();
                t.push_str(&format!(
                    "; {} predicted HAZARD(S): {}",
                    hazards.len(),
                    list.join(", ")
                ));
            }
            (step, t)
        }
        Event::Prediction { step, prediction } => (step, prediction_text::prediction(prediction)),
        Event::PredictionCheck {
            step,
            gate,
            checks,
            sources,
        } => (step, prediction_text::check(gate, sources, checks)),
        Event::GateDecision { step, decision } => (
            step,
            match decision {
                GateDecision::Confirmed => "confirmed".into(),
                GateDecision::Declined => "declined".into(),
                GateDecision::Override {
                    reason,
                    failed_checks,
                    hazards,
                } => prediction_text::override_text(reason, failed_checks, hazards),
            },
        ),
        Event::ActionStarted {
            step, op, target, ..
        } => (step, format!("{op} {target}")),
        Event::ActionAttempt { step, attempt } => {
            let mut t = format!("{} {} -> {}", attempt.method, attempt.path, attempt.status);
            if let Some(c) = &attempt.error_code {
                t.push_str(&format!(" {c}"));
            }
            if let Some(ms) = attempt.retry_after_ms {
                t.push_str(&format!(", retry in {}", human(ms)));
            }
            (step, t)
        }
        Event::ActionDone {
            step, ok, detail, ..
        } => (
            step,
            format!("{}: {detail}", if *ok { "done" } else { "FAILED" }),
        ),
        Event::ActionCancelled {
            step,
            op,
            reason,
            detail,
        } => (
            step,
            format!(
                "CANCELLED {op} ({}): {detail}",
                serde_json::to_value(reason)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            ),
        ),
        Event::DeadlineArmed {
            step,
            seconds,
            expires_at,
        } => (
            step,
            format!(
                "confirm within {} (by {expires_at}) or it is rolled back",
                human(seconds.saturating_mul(1000))
            ),
        ),
        Event::VerifyResult {
            step,
            clause,
            passed,
            evidence,
            elapsed_ms,
        } => (
            step,
            format!(
                "{} {clause}: {evidence} (+{})",
                pass(*passed),
                human(*elapsed_ms)
            ),
        ),
        Event::VerifyStarted { step, .. }
        | Event::TrafficSeen { step, .. }
        | Event::TrafficLost { step, .. } => (step, traffic_text::traffic(e)),
        Event::Verified { step } => (step, "verification passed".into()),
        Event::ConfirmHealthy { step } => (step, "confirmed healthy".into()),
        Event::RollbackStarted { step, reason, op } => (
            step,
            format!(
                "{op} ({})",
                serde_json::to_value(reason)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            ),
        ),
        Event::RollbackSettling {
            step,
            seconds,
            until,
        } => (
            step,
            format!(
                "settling: watching the peering for {}, until {until}",
                human(seconds.saturating_mul(1000))
            ),
        ),
        Event::RollbackDone {
            step,
            detail,
            outcome,
            reasserts,
        } => (step, rollback_text::done(detail, *outcome, *reasserts)),
        Event::RollbackFailed {
            step,
            error,
            manual,
        } => (step, format!("{error}\n{}", manual_text(manual))),
        Event::RollbackEscalated { step, .. } => (step, rollback_text::escalated(e)),
        Event::StepEnd {
            step,
            verdict,
            elapsed_ms,
        } => (
            step,
            format!(
                "{} ({})",
                serde_json::to_value(verdict)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                human(*elapsed_ms)
            ),
        ),
        Event::Note { step, level, text } => (
            step.as_deref().unwrap_or(""),
            format!(
                "{}{text}",
                match level {
                    NoteLevel::Info => "",
                    NoteLevel::Warn => "WARNING: ",
                    NoteLevel::Error => "ERROR: ",
                }
            ),
        ),
        Event::Measurement {
            step,
            name,
            millis,
            uncertainty_ms,
            from,
            to,
        } => {
            // A planned interval is not a measurement: said as such.
            let mut t = if name == PLANNED_NEXT_TEST {
                format!("{name} {} (planned)", human(*millis))
            } else {
                format!("{name} {}", measured_text(*millis, *uncertainty_ms))
            };
            if let (Some(f), Some(to)) = (from, to) {
                t.push_str(&format!(" (from {f} to {to})"));
            }
            (step, t)
        }
        Event::PeeringPreflight { .. } | Event::GuardLost { .. } | Event::GuardRearmed { .. } => {
            stranded_text::describe(e).unwrap_or_default()
        }
        Event::FailoverTestStatus { step, test } => (step, test.summary()),
        Event::DrillMark { .. } | Event::DrillHint { .. } => blind::describe(e).unwrap_or_default(),
        Event::DrillScore(s) => (
            "",
            cutover_core::drill::debrief::lines(s)
                .into_iter()
                .map(|(_, l)| l)
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        Event::ChainSigned {
            covers_seq,
            key_fingerprint,
            ..
        } => (
            "",
            format!("journal signed up to seq {covers_seq} by {key_fingerprint}"),
        ),
        Event::SessionEnd { exit_code, outcome } => ("", format!("exit {exit_code}: {outcome}")),
    }
}

fn manual_text(m: &ManualCommands) -> String {
    format!("az CLI:     {}\nPowerShell: {}", m.az_cli, m.powershell)
}

/// Runs `engine` to its end, printing every event to `out`. `events` is
/// the receiving end of the listener given to the engine's sink.
pub async fn drive<D, A, L>(
    engine: Engine<D, A, L>,
    events: UnboundedReceiver<Event>,
    auto_confirm: bool,
    out: &mut (dyn Write + Send),
) -> SessionOutcome
where
    D: DeviceSession + 'static,
    A: AzureApi + 'static,
    L: Tracer + 'static,
{
    drive_with_signals(engine, events, auto_confirm, out, None).await
}

/// [`drive`], with Ctrl-C, SIGTERM and SIGHUP taking the abort path
/// (`signals`: the process's handlers; see `abort::on_signal`).
pub async fn drive_with_signals<D, A, L>(
    engine: Engine<D, A, L>,
    mut events: UnboundedReceiver<Event>,
    auto_confirm: bool,
    out: &mut (dyn Write + Send),
    mut signals: Option<Signals>,
) -> SessionOutcome
where
    D: DeviceSession + 'static,
    A: AzureApi + 'static,
    L: Tracer + 'static,
{
    let (cmd_tx, cmd_rx) = mpsc::channel::<Command>(16);
    let mut blind = blind::Blind::new(engine.config().blind);
    let session = tokio::spawn(engine.run(cmd_rx));
    tokio::pin!(session);

    // Standard input, line by line, when a person answers. A plain thread:
    // a read blocked on a terminal must not keep the runtime from shutting
    // down when the session is over (the thread dies with the process).
    let (line_tx, mut lines) = mpsc::channel::<String>(4);
    if !auto_confirm {
        let spawned = std::thread::Builder::new()
            .name("headless-stdin".into())
            .spawn(move || {
                for line in std::io::stdin().lock().lines() {
                    let Ok(l) = line else { break };
                    if line_tx.blocking_send(l).is_err() {
                        break;
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot read standard input; gates will decline");
        }
    }
    let mut cmd_tx = Some(cmd_tx);
    let mut input = Input::default();
    let mut last_manual: Option<ManualCommands> = None;
    let mut stdin_open = !auto_confirm;
    let mut guarded = abort::Guarded::default();
    let mut signalled = false;

    let outcome = loop {
        tokio::select! {
            ev = events.recv() => {
                let Some(ev) = ev else { continue };
                guarded.follow(&ev);
                let (reply, ask) = react(&ev, auto_confirm, &mut blind, out);
                if let Event::RollbackFailed { manual, .. } = &ev {
                    last_manual = Some(manual.clone());
                }
                if let Some(a) = ask { input.ask(a); }
                input.follow(&ev, out);
                let queued = input.drain(out);
                if let Some(tx) = cmd_tx.as_ref() {
                    for c in reply.into_iter().chain(queued) {
                        let _ = tx.send(c).await;
                    }
                }
                if input.exhausted() {
                    cmd_tx = None;
                }
            }
            line = lines.recv(), if stdin_open => match line {
                Some(l) => {
                    // Whatever is asked or queued: stopping the change
                    // comes first.
                    let cmds = match guarded.abort().filter(|_| abort::is_abort_word(&l)) {
                        Some(stop) => vec![stop],
                        None => input.push(&l, out),
                    };
                    if let Some(tx) = cmd_tx.as_ref() {
                        for c in cmds {
                            let _ = tx.send(c).await;
                        }
                    }
                }
                None => {
                    // End of input: once the lines typed before it are
                    // used, nobody is there to answer any more.
                    stdin_open = false;
                    input.close();
                    if input.exhausted() {
                        cmd_tx = None;
                    }
                }
            },
            sig = signals::next(&mut signals) => {
                match abort::on_signal(sig, &guarded, !signalled, out) {
                    abort::OnSignal::Send(c) => {
                        if let Some(tx) = cmd_tx.as_ref() {
                            let _ = tx.send(c).await;
                        }
                    }
                    abort::OnSignal::HangUp => {
                        stdin_open = false;
                        cmd_tx = None;
                    }
                    abort::OnSignal::Exit => {
                        let _ = out.flush();
                        std::process::exit(i32::from(crate::cli::exit::CHECK_FAILED));
                    }
                    abort::OnSignal::Wait => {}
                }
                let _ = out.flush();
                signalled = true;
            },
            r = &mut session => {
                while let Ok(ev) = events.try_recv() {
                    let _ = react(&ev, auto_confirm, &mut blind, out);
                    if let Event::RollbackFailed { manual, .. } = &ev {
                        last_manual = Some(manual.clone());
                    }
                }
                input.finish(out);
                break r.unwrap_or_else(|e| SessionOutcome {
                    status: cutover_core::session::Outcome::OperatorMustAct,
                    outcome: format!("the engine failed ({e}): the state of the peering is unknown"),
                    steps: Vec::new(),
                });
            }
        }
    };
    if outcome.exit_code() == crate::cli::exit::OPERATOR_MUST_ACT
        && let Some(m) = last_manual
    {
        let _ = writeln!(
            out,
            "ROLLBACK FAILED: restore the peering by hand now:\n{}",
            manual_text(&m)
        );
    }
    let _ = out.flush();
    outcome
}

/// Prints `ev` and decides the automatic answer, if any.
fn react(
    ev: &Event,
    auto_confirm: bool,
    blind: &mut blind::Blind,
    out: &mut (dyn Write + Send),
) -> (Option<Command>, Option<Asking>) {
    blind.print(ev, out);
    match ev {
        Event::GatePrompt {
            step,
            confirm_text,
            failed_checks,
            hazards,
            ..
        } => match gate_prompt::ask(
            step,
            confirm_text,
            failed_checks,
            hazards,
            auto_confirm,
            out,
        ) {
            Ok(ask) => (None, Some(Asking::Gate(ask))),
            Err(reply) => (Some(reply), None),
        },
        Event::GateDecision { .. } => (None, Some(Asking::Nothing)),
        Event::DeadlineArmed { step, .. } => {
            if !auto_confirm {
                let _ = writeln!(
                    out,
                    "> verifying: `healthy` is asked once the verification has passed; `rollback` undoes the change now"
                );
            }
            (
                None,
                Some(Asking::Window {
                    step: step.clone(),
                    verified: false,
                }),
            )
        }
        Event::Verified { step } if auto_confirm => {
            (Some(Command::ConfirmHealthy { step: step.clone() }), None)
        }
        Event::ConfirmHealthy { .. }
        | Event::RollbackStarted { .. }
        | Event::RollbackDone { .. }
        | Event::RollbackFailed { .. } => (None, Some(Asking::Nothing)),
        Event::RollbackEscalated { step, .. } => {
            (None, Some(Asking::Escalated { step: step.clone() }))
        }
        _ => (None, None),
    }
}

mod abort;
mod blind;
mod gate_prompt;
mod input;
mod prediction_text;
mod rollback_text;
mod stranded_text;
#[cfg(test)]
mod tests;
mod traffic_text;
