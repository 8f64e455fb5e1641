//! Steps pane: the runbook's steps in order, each with a status mark that
//! reads without colour (`✓` passed, `✗` failed, `!` overridden, `-`
//! skipped, `▶` running, `·` pending) and the selected one highlighted.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::app::{App, Pane};
use super::pane::{block, pad};
use cutover_core::session::state::StepStatus;

pub fn mark(status: StepStatus) -> &'static str {
    match status {
        StepStatus::Pending => "·",
        StepStatus::Running => "▶",
        StepStatus::Passed => "✓",
        StepStatus::Failed => "✗",
        StepStatus::Overridden => "!",
        StepStatus::Skipped => "-",
    }
}

pub fn status_style(app: &App, status: StepStatus) -> Style {
    match status {
        StepStatus::Pending | StepStatus::Skipped => app.theme.muted,
        StepStatus::Running => app.theme.accent,
        StepStatus::Passed => app.theme.ok,
        StepStatus::Failed => app.theme.danger,
        StepStatus::Overridden => app.theme.warn,
    }
}

pub fn render(f: &mut Frame<'_>, area: Rect, app: &App) {
    let steps = &app.state.steps;
    let done = steps.iter().filter(|s| s.status.is_done()).count();
    let failed = steps
        .iter()
        .filter(|s| s.status == StepStatus::Failed && !super::blind::hides(app, s))
        .count();
    let mut extra = vec![Span::styled(
        format!("{done}/{}", steps.len()),
        app.theme.muted,
    )];
    if failed > 0 {
        extra.push(Span::styled(format!(" {failed} failed"), app.theme.danger));
    }
    let outer = block(app, Pane::Steps, Some(Line::from(extra)));
    let inner = outer.inner(area);
    f.render_widget(outer, area);
    let height = usize::from(inner.height);
    let width = usize::from(inner.width);
    if height == 0 {
        return;
    }
    if steps.is_empty() {
        f.render_widget(
            Paragraph::new(Line::styled("waiting for the session…", app.theme.muted)),
            inner,
        );
        return;
    }
    let selected = app.selected_step().unwrap_or(0);
    // Keep the selection in view, a little above the middle.
    let first = selected
        .saturating_sub(height / 3)
        .min(steps.len().saturating_sub(height));
    let mut lines = Vec::with_capacity(height);
    let mut last_phase: Option<&str> = None;
    for (i, s) in steps.iter().enumerate().skip(first).take(height) {
        let phase = s.info.phase.as_str();
        let phase_tag = if last_phase != Some(phase) && !phase.is_empty() {
            format!("{phase:>2}")
        } else {
            "  ".to_string()
        };
        last_phase = Some(phase);
        let title = pad(&s.info.title, width.saturating_sub(5));
        let mut line = Line::from(vec![
            Span::styled(phase_tag, app.theme.muted),
            Span::raw(" "),
            super::blind::mark_span(app, s),
            Span::raw(" "),
            Span::styled(
                title,
                if s.status == StepStatus::Pending {
                    app.theme.muted
                } else {
                    app.theme.text
                },
            ),
        ]);
        if i == selected {
            line = line.style(app.theme.highlight);
        }
        lines.push(line);
    }
    f.render_widget(Paragraph::new(lines), inner);
}
