//! The gate popup, and the small yes/no questions.
//!
//! The gate stands before the disruptive step. It shows the prompt, the
//! pre-checks that failed, the prediction of the failover and its hazards;
//! when anything holds the gate, the operator first types why they go on
//! anyway (at least 20 characters, journaled), then `OVERRIDE`, then the
//! confirmation text, which must match exactly: nothing is completed for
//! them, and Enter on a mismatch only says so. Esc asks once more before
//! declining.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Wrap};

use super::app::{App, Confirm, GateField, GateInput, GateStage};
use super::pane::text_width;
use super::prediction;
use cutover_core::session::command::{MIN_OVERRIDE_REASON, OVERRIDE_WORD};
use cutover_core::session::state::GateState;

/// A centred rectangle of at most `w` x `h` inside `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    area.centered(
        Constraint::Length(w.min(area.width)),
        Constraint::Length(h.min(area.height)),
    )
}

/// The frame of every popup: a double border in the focus colour over the
/// popup background, titled.
pub(crate) fn popup_block<'a>(app: &App, title: &str) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(app.theme.border_focus)
        .style(app.theme.popup)
        .title(Line::styled(format!(" {title} "), app.theme.title))
}

/// Lines of the gate popup. `compact` leaves the prediction's per-prefix
/// lines out (a small terminal): the hazards and the fields always stay.
pub fn lines<'a>(
    app: &App,
    gate: &'a GateState,
    input: &GateInput,
    compact: bool,
) -> Vec<Line<'a>> {
    let t = &app.theme;
    let mut out: Vec<Line<'a>> = vec![Line::styled(gate.prompt.clone(), t.text), Line::raw("")];
    if gate.failed_checks.is_empty() {
        out.push(Line::styled("✓ every pre-check passed", t.ok));
    } else {
        out.push(Line::styled(
            format!("✗ {} pre-check(s) FAILED:", gate.failed_checks.len()),
            t.danger,
        ));
        for c in &gate.failed_checks {
            out.push(Line::styled(format!("    ✗ {c}"), t.danger));
        }
    }
    if let Some(p) = app.state.prediction_for(&gate.step) {
        let moving = p.prediction.paths.iter().filter(|f| f.moves()).count();
        out.push(Line::raw(""));
        out.push(Line::styled(
            format!(
                "Prediction, ExpressRoute withdrawn: {moving} prefix(es) move{}",
                if compact {
                    " (detail: the step pane)"
                } else {
                    ":"
                }
            ),
            t.accent,
        ));
        if !compact {
            out.extend(prediction::forecast_lines(app, &p.prediction, Some(8)));
        }
    }
    if gate.hazards.is_empty() {
        if app.state.prediction_for(&gate.step).is_some() {
            out.push(Line::styled("✓ no hazard predicted", t.ok));
        }
    } else {
        out.push(Line::styled(
            format!("✗ {} predicted HAZARD(S):", gate.hazards.len()),
            t.danger,
        ));
        out.extend(prediction::hazard_lines(app, &gate.hazards));
    }
    out.push(Line::raw(""));
    let cursor = "▏";
    if gate.needs_reason() {
        out.push(Line::styled(
            format!(
                "Going on needs an override: a reason ({MIN_OVERRIDE_REASON}+ characters), {OVERRIDE_WORD}, then the confirmation text."
            ),
            t.warn,
        ));
        let editing = input.stage == GateStage::Reason;
        let n = input.reason.trim().chars().count();
        out.push(Line::from(vec![
            Span::styled(
                "Why go on anyway? (recorded in the journal) ",
                if editing { t.accent } else { t.muted },
            ),
            Span::styled(
                format!("{n}/{MIN_OVERRIDE_REASON}"),
                if n >= MIN_OVERRIDE_REASON {
                    t.ok
                } else {
                    t.muted
                },
            ),
        ]));
        out.push(Line::from(vec![
            Span::styled("> ", t.key),
            Span::styled(
                format!("{}{}", input.reason, if editing { cursor } else { "" }),
                t.input,
            ),
        ]));
        if input.stage != GateStage::Reason {
            let acking = input.stage == GateStage::Acknowledge;
            out.push(Line::from(vec![
                Span::styled("Type ", if acking { t.accent } else { t.muted }),
                Span::styled(OVERRIDE_WORD, t.title),
                Span::styled(
                    " to override what holds the gate:",
                    if acking { t.accent } else { t.muted },
                ),
            ]));
            out.push(Line::from(vec![
                Span::styled("> ", t.key),
                Span::styled(
                    format!("{}{}", input.acknowledged, if acking { cursor } else { "" }),
                    t.input,
                ),
            ]));
        }
    }
    let confirming = input.stage == GateStage::Confirm;
    let before_confirm = matches!(input.stage, GateStage::Reason | GateStage::Acknowledge)
        || matches!(
            input.stage,
            GateStage::Decline {
                from: GateField::Reason | GateField::Acknowledge
            }
        );
    if !before_confirm {
        out.push(Line::from(vec![
            Span::styled("Type ", if confirming { t.accent } else { t.muted }),
            Span::styled(gate.confirm_text.clone(), t.title),
            Span::styled(" to confirm:", if confirming { t.accent } else { t.muted }),
        ]));
        let matches = !gate.confirm_text.is_empty() && input.typed == gate.confirm_text;
        let verdict = if input.typed.is_empty() {
            Span::raw("")
        } else if matches {
            Span::styled("  ✓ matches", t.ok)
        } else if gate.confirm_text.starts_with(input.typed.as_str()) {
            Span::styled("  …", t.muted)
        } else {
            Span::styled("  ✗ does not match", t.danger)
        };
        out.push(Line::from(vec![
            Span::styled("> ", t.key),
            Span::styled(
                format!("{}{}", input.typed, if confirming { cursor } else { "" }),
                t.input,
            ),
            verdict,
        ]));
    }
    if let Some(e) = &input.error {
        out.push(Line::styled(e.clone(), t.danger));
    }
    out.push(Line::raw(""));
    let hint = match input.stage {
        GateStage::Reason => "Enter: next  ·  Esc: decline…",
        GateStage::Acknowledge => "Enter: next  ·  S-Tab: back  ·  Esc: decline…",
        GateStage::Confirm if gate.needs_reason() => {
            "Enter: go on (override)  ·  S-Tab: back  ·  Esc: decline…"
        }
        GateStage::Confirm => "Enter: go on  ·  Esc: decline…",
        GateStage::Decline { .. } => "",
        GateStage::Sent => "",
    };
    match input.stage {
        GateStage::Decline { .. } => {
            out.push(Line::styled(
                "Decline? Nothing will be changed and the session ends (exit 1).",
                t.warn,
            ));
            out.push(Line::styled(
                "y: decline  ·  n/Esc: back to the gate",
                t.key,
            ));
        }
        GateStage::Sent => out.push(Line::styled(
            format!(
                "{} sent to the engine; waiting for its answer…",
                match input.sent {
                    Some("decline") => "Decline",
                    Some("override") => "Override",
                    _ => "Confirmation",
                }
            ),
            t.muted,
        )),
        _ => out.push(Line::styled(hint, t.muted)),
    }
    out
}

/// Rows `body` takes inside a popup `inner_w` wide.
fn rows(body: &[Line<'_>], inner_w: usize) -> usize {
    body.iter()
        .map(|l| {
            let s: String = l.spans.iter().map(|s| s.content.as_ref()).collect();
            text_width(&s).div_ceil(inner_w).max(1)
        })
        .sum()
}

pub fn render(f: &mut Frame<'_>, area: Rect, app: &App) {
    let (Some(gate), Some(input)) = (app.state.open_gate(), app.gate.as_ref()) else {
        return;
    };
    let mut body = lines(app, gate, input, false);
    let width_of = |body: &[Line<'_>]| {
        let widest = body
            .iter()
            .map(|l| {
                let s: String = l.spans.iter().map(|s| s.content.as_ref()).collect();
                text_width(&s)
            })
            .max()
            .unwrap_or(40);
        u16::try_from(widest + 4).unwrap_or(u16::MAX).clamp(40, 96)
    };
    let mut w = width_of(&body);
    let inner = |w: u16| usize::from(w.min(area.width).saturating_sub(2)).max(1);
    if rows(&body, inner(w)) + 3 > usize::from(area.height) {
        // The fields must stay on screen; the per-prefix lines give way.
        body = lines(app, gate, input, true);
        w = width_of(&body);
    }
    let h = u16::try_from(rows(&body, inner(w)) + 3).unwrap_or(u16::MAX);
    let rect = centered(area, w, h);
    f.render_widget(Clear, rect);
    let title = format!("GATE · {}", gate.step);
    f.render_widget(
        Paragraph::new(body)
            .wrap(Wrap { trim: false })
            .block(popup_block(app, &title)),
        rect,
    );
}

/// The yes/no question, if one is open.
pub fn render_confirm(f: &mut Frame<'_>, area: Rect, app: &App) {
    let Some(c) = app.confirm else {
        return;
    };
    let t = &app.theme;
    let (title, body): (&str, Vec<Line<'_>>) = match c {
        Confirm::Quit => {
            let mut body = vec![Line::styled("Leave the console?", t.text)];
            match app.state.guard().map(|g| g.phase()) {
                Some(cutover_core::session::state::GuardPhase::Armed)
                | Some(cutover_core::session::state::GuardPhase::Applying) => body.push(
                    Line::styled("The guarded change will be ROLLED BACK first.", t.warn),
                ),
                _ => body.push(Line::styled(
                    "The session ends here; nothing more is changed.",
                    t.muted,
                )),
            }
            body.push(Line::raw(""));
            body.push(Line::styled("y: quit  ·  n/Esc: stay", t.key));
            ("Quit?", body)
        }
        Confirm::Healthy => (
            "Confirm healthy?",
            vec![
                Line::styled("Keep the change: the new state is healthy.", t.text),
                Line::styled("The automatic rollback is cancelled.", t.warn),
                Line::raw(""),
                Line::styled("y: healthy, keep it  ·  n/Esc: back", t.key),
            ],
        ),
    };
    let rect = centered(area, 54, u16::try_from(body.len() + 2).unwrap_or(6));
    f.render_widget(Clear, rect);
    f.render_widget(
        Paragraph::new(body)
            .wrap(Wrap { trim: false })
            .block(popup_block(app, title)),
        rect,
    );
}
