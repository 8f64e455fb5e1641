//! Notes & log pane: the session's notes and measurements (from events, so
//! a replay shows them too), then the console's own `tracing` log through
//! tui-logger.
//!
//! Wiring: the binary adds [`tracing_layer`] to its subscriber while the
//! console runs (a `fmt` layer writing to the terminal would tear the
//! screen). No mover thread is started: the console loop calls [`pump`]
//! before each frame, which moves what was logged into the widget's
//! buffer, so an idle console does not wake up a hundred times a second.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use tui_logger::{LevelFilter, TuiLoggerLevelOutput, TuiLoggerWidget, TuiTracingSubscriberLayer};

use super::app::{App, Pane};
use cutover_core::session::event::NoteLevel;

/// The `tracing` layer that feeds the log pane (`info` and above).
pub fn tracing_layer() -> TuiTracingSubscriberLayer {
    tui_logger::set_default_level(LevelFilter::Info);
    TuiTracingSubscriberLayer
}

/// Moves logged records into the widget's buffer.
pub fn pump() {
    tui_logger::move_events();
}

fn note_lines(app: &App) -> Vec<Line<'static>> {
    let t = &app.theme;
    let mut out: Vec<Line<'static>> = Vec::new();
    for n in &app.state.notes {
        let (mark, style) = match n.level {
            NoteLevel::Info => ("i", t.text),
            NoteLevel::Warn => ("!", t.warn),
            NoteLevel::Error => ("✗", t.danger),
        };
        let mut spans = vec![Span::styled(format!("{mark} "), style)];
        if let Some(step) = &n.step {
            spans.push(Span::styled(format!("{step}: "), t.muted));
        }
        spans.push(Span::styled(n.text.clone(), style));
        out.push(Line::from(spans));
    }
    for m in &app.state.measurements {
        out.push(Line::from(vec![
            Span::styled("Δt ", t.accent),
            Span::styled(format!("{}: ", m.step), t.muted),
            Span::styled(format!("{} {}", m.name, super::pane::measured(m)), t.accent),
        ]));
    }
    out
}

pub fn render(f: &mut Frame<'_>, area: Rect, app: &App) {
    let outer = super::pane::block(app, Pane::Log, None);
    let inner = outer.inner(area);
    f.render_widget(outer, area);
    let notes = super::pane::hard_wrap(note_lines(app), usize::from(inner.width));
    let height = usize::from(inner.height);
    // Notes first: they are the session's record; the log gets the rest,
    // and at least a third when there is one.
    let note_rows = notes.len().min(height.saturating_sub(height / 3).max(1));
    let [notes_area, log_area] = Layout::vertical([
        Constraint::Length(u16::try_from(note_rows).unwrap_or(0)),
        Constraint::Fill(1),
    ])
    .areas(inner);
    // Newest notes at the bottom; scrolling goes back in time.
    let end = notes.len().saturating_sub(app.notes_scroll);
    let start = end.saturating_sub(note_rows);
    let shown: Vec<Line<'static>> = notes.into_iter().skip(start).take(end - start).collect();
    f.render_widget(Paragraph::new(shown), notes_area);
    if log_area.height > 0 {
        let t = &app.theme;
        let widget = TuiLoggerWidget::default()
            .output_separator(' ')
            .output_timestamp(Some("%H:%M:%S".to_string()))
            .output_level(Some(TuiLoggerLevelOutput::Abbreviated))
            .output_target(false)
            .output_file(false)
            .output_line(false)
            .style(t.muted)
            .style_error(t.danger)
            .style_warn(t.warn)
            .style_info(t.text)
            .style_debug(t.muted)
            .style_trace(t.muted)
            .state(&app.log.0);
        f.render_widget(widget, log_area);
    }
}
