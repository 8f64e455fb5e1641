//! The hint popup (`H`, drills only): what to look at for the selected
//! step, from the runbook's `hint`. Asking for it is journaled
//! (`drill_hint`) and costs points, so the popup says so.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::app::App;
use super::gate::centered;

pub fn render(f: &mut Frame<'_>, area: Rect, app: &App) {
    let Some((step, text)) = app.open_hint() else {
        return;
    };
    let t = &app.theme;
    let width = area.width.saturating_sub(4).min(72);
    let lines = vec![
        Line::styled(text.to_string(), t.text),
        Line::raw(""),
        Line::styled("A hint used is journaled and costs points.", t.muted),
    ];
    // The text wraps: room for it at the popup's width, the note, and
    // the frame.
    let inner_w = usize::from(width.saturating_sub(2)).max(1);
    // One row of slack: words wrap before the width is full.
    let rows = text.chars().count().div_ceil(inner_w) + 3;
    let height = u16::try_from(rows + 2).unwrap_or(u16::MAX);
    let rect = centered(area, width, height);
    f.render_widget(Clear, rect);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .block(super::gate::popup_block(
                app,
                &format!("Hint — {step} · H or Esc to close"),
            )),
        rect,
    );
}
