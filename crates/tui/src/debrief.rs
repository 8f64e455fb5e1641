//! The debrief: once a drill is scored (`drill_score`), a popup over the
//! ended session says what the fault was, what the trainee did and how
//! long each decision took, which objectives were met and, for each
//! missed one, the step, command and output line that showed it. The
//! wording is `cutover_core::drill::debrief`'s, as the headless output
//! prints it; this only styles it. `D` puts it away and brings it back
//! (the panes under it hold the evidence), `?` shows the help over it, `q`
//! leaves.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::app::App;
use super::gate::centered;
use cutover_core::drill::debrief::{Tone, lines};

/// Whether the debrief is up: a drill was scored, and nothing that takes
/// keys (a gate, the help) is open.
pub fn shown(app: &App) -> bool {
    app.state.answers.score.is_some() && !app.debrief_hidden && !app.help && app.gate.is_none()
}

pub fn render(f: &mut Frame<'_>, area: Rect, app: &App) {
    let Some(score) = &app.state.answers.score else {
        return;
    };
    let t = &app.theme;
    let body: Vec<Line<'static>> = lines(score)
        .into_iter()
        .map(|(tone, text)| {
            let style = match tone {
                Tone::Heading => t.accent,
                Tone::Plain => t.text,
                Tone::Met => t.ok,
                Tone::Missed => t.danger,
                Tone::Quote => t.input,
            };
            Line::styled(text, style)
        })
        .collect();
    let width = area.width.saturating_sub(4).min(110);
    // As tall as its wrapped lines (the panes stay in view around a short
    // debrief), at most the screen.
    let inner = usize::from(width.saturating_sub(2)).max(1);
    let rows: usize = body.iter().map(|l| l.width().max(1).div_ceil(inner)).sum();
    let height = u16::try_from(rows + 2)
        .unwrap_or(u16::MAX)
        .min(area.height.saturating_sub(2));
    let rect = centered(area, width, height);
    f.render_widget(Clear, rect);
    f.render_widget(
        Paragraph::new(body)
            .wrap(Wrap { trim: false })
            .block(super::gate::popup_block(
                app,
                &format!("Drill debrief: {}/100 — D hides it, q leaves", score.score),
            )),
        rect,
    );
}
