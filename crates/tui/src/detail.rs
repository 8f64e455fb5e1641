//! Step detail pane: why the step exists, the exact commands it ran, each
//! expectation with its verdict and evidence; for a gate its prompt and
//! decision, for a guarded change every API attempt, the deadline, the
//! verifications and the rollback. `r` swaps the summary for the raw
//! outputs, drawn a screenful at a time (a full table can be 100 MB).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::app::{App, Pane};
use super::pane::{block, fit};
use super::prediction;
use cutover_core::azure_call::ArmAttempt;
use cutover_core::model::duration::human;
use cutover_core::session::event::{GateDecision, RollbackReason};
use cutover_core::session::state::{GuardPhase, GuardState, RollbackOutcome, StepState};

pub fn render(f: &mut Frame<'_>, area: Rect, app: &App) {
    let Some(index) = app.selected_step() else {
        let p = Paragraph::new(Line::styled("no step yet", app.theme.muted)).block(block(
            app,
            Pane::Detail,
            None,
        ));
        f.render_widget(p, area);
        return;
    };
    let Some(step) = app.state.steps.get(index) else {
        return;
    };
    let extra = Line::from(vec![Span::styled(
        if app.show_raw {
            format!("{} · raw output", step.info.id)
        } else {
            step.info.id.clone()
        },
        app.theme.accent,
    )]);
    let outer = block(app, Pane::Detail, Some(extra));
    let inner = outer.inner(area);
    f.render_widget(outer, area);
    if app.show_raw {
        render_raw(f, inner, app, step);
        return;
    }
    let lines = summary(app, index, step);
    let scroll = u16::try_from(app.detail_scroll).unwrap_or(u16::MAX);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        inner,
    );
}

fn heading<'a>(app: &App, text: &str) -> Line<'a> {
    Line::styled(text.to_string(), app.theme.accent)
}

fn summary<'a>(app: &'a App, index: usize, step: &'a StepState) -> Vec<Line<'a>> {
    let t = &app.theme;
    let mut lines: Vec<Line<'a>> = Vec::new();
    let mut head = vec![
        super::blind::mark_span(app, step),
        Span::styled(
            format!(" {}/{} ", index + 1, app.state.steps.len()),
            t.muted,
        ),
        super::blind::status_span(app, step),
    ];
    if let Some(ms) = step.elapsed_ms {
        head.push(Span::styled(format!(" in {}", human(ms)), t.muted));
    }
    if !step.info.phase.is_empty() {
        head.push(Span::styled(
            format!(" · phase {} · {}", step.info.phase, step.info.kind),
            t.muted,
        ));
    }
    lines.push(Line::from(head));
    lines.push(Line::styled(step.info.title.clone(), t.title));
    if let Some(why) = app.why.get(&step.info.id) {
        lines.push(Line::styled(why.clone(), t.text));
    }

    if !step.probes.is_empty() {
        lines.push(Line::raw(""));
        lines.push(heading(app, "Commands"));
        for p in &step.probes {
            let mut l = vec![
                Span::styled("$ ", t.muted),
                Span::styled(format!("{}: ", p.device), t.accent),
                Span::styled(p.command.clone(), t.text),
                Span::styled(format!("  {}", human(p.elapsed_ms)), t.muted),
            ];
            if p.runs > 1 {
                l.push(Span::styled(format!(" ×{}", p.runs), t.muted));
            }
            lines.push(Line::from(l));
            if let Some(e) = &p.error {
                lines.push(Line::styled(format!("  ✗ {e}"), t.danger));
            }
            if let Some(e) = &p.parse_error {
                lines.push(Line::styled(
                    format!("  ! output not readable: {e}"),
                    t.warn,
                ));
            }
            for w in &p.warnings {
                lines.push(Line::styled(format!("  ! {w}"), t.warn));
            }
            if let Some(ids) = &p.ids
                && let Some(id) = &ids.request_id
            {
                lines.push(Line::styled(format!("  x-ms-request-id {id}"), t.muted));
            }
        }
    }

    if !step.expectations.is_empty() && super::blind::hides(app, step) {
        lines.push(Line::raw(""));
        lines.push(heading(
            app,
            "Expectations (verdicts hidden: read the raw output, r)",
        ));
        for e in &step.expectations {
            lines.push(Line::styled(format!("· {}", e.clause), t.text));
        }
    } else if !step.expectations.is_empty() {
        lines.push(Line::raw(""));
        let passed = step.expectations.iter().filter(|e| e.passed).count();
        lines.push(heading(
            app,
            &format!("Expectations ({passed}/{} passed)", step.expectations.len()),
        ));
        for e in &step.expectations {
            let (m, style) = if e.passed {
                ("✓", t.ok)
            } else {
                ("✗", t.danger)
            };
            lines.push(Line::from(vec![
                Span::styled(m, style),
                Span::raw(" "),
                Span::styled(e.clause.clone(), t.text),
            ]));
            lines.push(Line::styled(format!("    {}", e.evidence), t.muted));
        }
    }

    for g in app.state.gates.iter().filter(|g| g.step == step.info.id) {
        lines.push(Line::raw(""));
        lines.push(heading(app, "Gate"));
        lines.push(Line::styled(g.prompt.clone(), t.text));
        lines.push(Line::from(vec![
            Span::styled("confirmation text: ", t.muted),
            Span::styled(g.confirm_text.clone(), t.accent),
        ]));
        if g.failed_checks.is_empty() {
            lines.push(Line::styled("✓ every pre-check passed", t.ok));
        } else {
            lines.push(Line::styled(
                format!("✗ {} pre-check(s) failed:", g.failed_checks.len()),
                t.danger,
            ));
            for c in &g.failed_checks {
                lines.push(Line::styled(format!("    {c}"), t.danger));
            }
        }
        lines.extend(prediction::gate_detail(app, g));
        let (text, style) = match &g.decision {
            None => ("waiting for the operator".to_string(), t.warn),
            Some(GateDecision::Confirmed) => ("confirmed".to_string(), t.ok),
            Some(GateDecision::Override {
                reason, hazards, ..
            }) if !hazards.is_empty() => (
                format!(
                    "overridden, with {} predicted hazard(s): \"{reason}\"",
                    hazards.len()
                ),
                t.warn,
            ),
            Some(GateDecision::Override { reason, .. }) => {
                (format!("overridden: \"{reason}\""), t.warn)
            }
            Some(GateDecision::Declined) => ("declined".to_string(), t.danger),
        };
        lines.push(Line::from(vec![
            Span::styled("decision: ", t.muted),
            Span::styled(text, style),
        ]));
    }

    for g in app.state.guards.iter().filter(|g| g.step == step.info.id) {
        guard_lines(app, g, &mut lines);
    }
    lines.extend(prediction::check_detail(app, &step.info.id));

    for n in app
        .state
        .notes
        .iter()
        .filter(|n| n.step.as_deref() == Some(step.info.id.as_str()))
    {
        lines.push(Line::styled(format!("note: {}", n.text), t.warn));
    }
    for m in app
        .state
        .measurements
        .iter()
        .filter(|m| m.step == step.info.id)
    {
        let mut text = format!("measured {}: {}", m.name, super::pane::measured(m));
        if let (Some(from), Some(to)) = (&m.from, &m.to) {
            text.push_str(&format!(" (from {from} to {to})"));
        }
        lines.push(Line::styled(text, t.accent));
    }
    // What the Tunnels & BGP pane shows of this step's commands, whole
    // (the pane shortens what does not fit its width). It is the latest
    // answer to the same command, which may be newer than this step's,
    // hence last and said so.
    let mut latest: Vec<Line<'a>> = Vec::new();
    for p in &step.probes {
        latest.extend(super::tunnels::full_rows(app, &p.device, &p.command));
    }
    if !latest.is_empty() {
        lines.push(Line::raw(""));
        lines.push(heading(app, "Latest answers (as in Tunnels & BGP, whole)"));
        lines.extend(latest);
    }
    lines
}

pub fn attempt_text(a: &ArmAttempt) -> String {
    let mut s = format!("{} {} → {}", a.method, a.path, a.status);
    if let Some(code) = &a.error_code {
        s.push_str(&format!(" {code}"));
    }
    if let Some(ms) = a.retry_after_ms {
        s.push_str(&format!(", retry in {}", human(ms)));
    }
    s
}

pub fn reason_text(r: RollbackReason) -> &'static str {
    match r {
        RollbackReason::DeadlinePassed => "deadline passed without confirmation",
        RollbackReason::VerificationFailed => "verification failed",
        RollbackReason::Operator => "operator asked",
        RollbackReason::ConsoleLost => "console lost; the guard acted",
        RollbackReason::TrafficLost => "traffic lost",
        RollbackReason::JournalFailed => "the journal failed; no confirmation could be recorded",
        RollbackReason::ChangeFailed => "the change failed and may still land",
    }
}

/// Who stopped a change before any write was accepted.
pub fn cancel_text(r: RollbackReason) -> &'static str {
    match r {
        RollbackReason::ConsoleLost => "the console went away",
        _ => "the operator aborted",
    }
}

fn guard_lines<'a>(app: &App, g: &'a GuardState, lines: &mut Vec<Line<'a>>) {
    let t = &app.theme;
    lines.push(Line::raw(""));
    lines.push(heading(app, "Guarded change"));
    lines.push(Line::from(vec![
        Span::styled(g.op.clone(), t.accent),
        Span::styled(" on ", t.muted),
        Span::styled(g.target.clone(), t.text),
    ]));
    for a in &g.attempts {
        let style = if a.status >= 400 { t.warn } else { t.muted };
        lines.push(Line::styled(format!("  {}", attempt_text(a)), style));
    }
    if let Some(a) = &g.applied {
        let (m, style) = if a.ok {
            ("✓", t.ok)
        } else {
            ("✗", t.danger)
        };
        lines.push(Line::styled(format!("{m} {}", a.detail), style));
    }
    if let Some(c) = &g.cancelled {
        lines.push(Line::styled(
            format!(
                "■ cancelled before any write was accepted ({}): nothing was changed",
                cancel_text(c.reason)
            ),
            t.warn,
        ));
        lines.push(Line::styled(format!("    {}", c.detail), t.muted));
    }
    if let Some(d) = &g.deadline {
        lines.push(Line::styled(
            format!(
                "deadline {}, until {}",
                human(d.seconds.saturating_mul(1000)),
                d.expires_at_text
            ),
            t.text,
        ));
    }
    for v in &g.verifications {
        let (m, style) = if v.passed {
            ("✓", t.ok)
        } else {
            ("✗", t.danger)
        };
        lines.push(Line::from(vec![
            Span::styled(m, style),
            Span::styled(
                format!(" verify {} ({})", v.clause, human(v.elapsed_ms)),
                t.text,
            ),
        ]));
        lines.push(Line::styled(format!("    {}", v.evidence), t.muted));
    }
    match g.phase() {
        GuardPhase::Confirmed => lines.push(Line::styled("✓ confirmed healthy", t.ok)),
        GuardPhase::Armed if !app.state.is_ended() => lines.push(Line::styled(
            "waiting: h confirms healthy, R rolls back",
            t.warn,
        )),
        _ => {}
    }
    if let Some(rb) = &g.rollback {
        lines.push(Line::styled(
            format!("rollback {} ({})", rb.op, reason_text(rb.reason)),
            t.warn,
        ));
        for a in &rb.attempts {
            lines.push(Line::styled(format!("  {}", attempt_text(a)), t.muted));
        }
        match &rb.outcome {
            RollbackOutcome::Running => lines.push(Line::styled("rolling back…", t.warn)),
            RollbackOutcome::Done { detail } => {
                lines.push(Line::styled(format!("✓ rolled back: {detail}"), t.ok));
            }
            RollbackOutcome::Failed { error, manual } => {
                lines.push(Line::styled(
                    format!("✗ ROLLBACK FAILED: {error}"),
                    t.danger,
                ));
                lines.push(Line::styled("run by hand (az CLI):", t.danger));
                lines.push(Line::styled(format!("  {}", manual.az_cli), t.text));
                lines.push(Line::styled("or (PowerShell):", t.danger));
                lines.push(Line::styled(format!("  {}", manual.powershell), t.text));
            }
        }
    }
}

/// The raw outputs of `step`, from `app.detail_scroll` on, a screenful.
/// Lines above the view are counted, never formatted.
fn render_raw(f: &mut Frame<'_>, area: Rect, app: &App, step: &StepState) {
    let height = usize::from(area.height);
    let width = usize::from(area.width);
    let t = &app.theme;
    let mut skip = app.detail_scroll;
    let mut lines: Vec<Line<'_>> = Vec::with_capacity(height);
    // Returns true once the view is full.
    let mut emit = |make: &dyn Fn() -> Line<'static>| {
        if skip > 0 {
            skip -= 1;
            false
        } else {
            lines.push(make());
            lines.len() >= height
        }
    };
    if step.probes.is_empty() {
        emit(&|| Line::styled("this step ran no command", t.muted));
    }
    'probes: for p in &step.probes {
        let head = || {
            Line::styled(
                fit(&format!("── {}: {}", p.device, p.command), width),
                t.accent,
            )
        };
        if emit(&head) {
            break;
        }
        match (&p.raw, &p.error) {
            (Some(raw), _) => {
                for l in raw.lines() {
                    let line = || Line::styled(fit(&l.replace('\t', "    "), width), t.text);
                    if emit(&line) {
                        break 'probes;
                    }
                }
            }
            (None, Some(e)) => {
                if emit(&|| Line::styled(format!("✗ {e}"), t.danger)) {
                    break;
                }
            }
            (None, None) => {
                if emit(&|| Line::styled("(no output)", t.muted)) {
                    break;
                }
            }
        }
    }
    f.render_widget(Paragraph::new(lines), area);
}
