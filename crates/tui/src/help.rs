//! The `?` overlay: every key binding from the keymap, by section; the
//! ones that work right now stand out, the others are dimmed.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::app::App;
use super::gate::centered;
use super::keymap::{BINDINGS, Section};
use super::pane::pad;

/// Every line of the help.
pub fn lines(app: &App) -> Vec<Line<'static>> {
    let t = &app.theme;
    let mut out = vec![Line::styled(
        "Keys that work now are bright; the rest apply in other situations.",
        t.muted,
    )];
    // The drill keys are listed in drills only.
    let drill = app.blind || !app.hints.is_empty() || app.state.answers.score.is_some();
    for section in Section::ALL
        .into_iter()
        .filter(|s| drill || *s != Section::Drill)
    {
        let mut entries: Vec<(String, &str, bool)> = Vec::new();
        for b in BINDINGS.iter().filter(|b| b.section == section) {
            let keys = b.key_names();
            let now = b.available(app);
            match entries
                .iter_mut()
                .find(|(k, h, _)| *k == keys && *h == b.help)
            {
                Some(e) => e.2 |= now,
                None => entries.push((keys, b.help, now)),
            }
        }
        if entries.is_empty() {
            continue;
        }
        out.push(Line::raw(""));
        out.push(Line::styled(section.title(), t.accent));
        for (keys, help, now) in entries {
            let (ks, hs) = if now {
                (t.key, t.text)
            } else {
                (t.muted, t.muted)
            };
            out.push(Line::from(vec![
                Span::raw("  "),
                Span::styled(pad(&keys, 12), ks),
                Span::styled(help.to_string(), hs),
            ]));
        }
    }
    out.push(Line::raw(""));
    out.push(Line::styled(
        "Routes filter: 10.17 = 10.17.0.0/16 · 10.17.11.0/24 = inside it · 10.17.11.132 = routes covering it",
        t.muted,
    ));
    out
}

pub fn render(f: &mut Frame<'_>, area: Rect, app: &App) {
    let body = lines(app);
    let rect = centered(
        area,
        area.width.saturating_sub(4).min(100),
        area.height.saturating_sub(2),
    );
    let inner_h = usize::from(rect.height.saturating_sub(2));
    let scroll = app.help_scroll.min(body.len().saturating_sub(inner_h));
    let shown: Vec<Line<'static>> = body.into_iter().skip(scroll).collect();
    f.render_widget(Clear, rect);
    f.render_widget(
        Paragraph::new(shown).block(super::gate::popup_block(app, "Help — ? or Esc to close")),
        rect,
    );
}
