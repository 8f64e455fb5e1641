//! The footer: what state the console is in, and the keys that work now
//! (from the keymap, so it never offers a key that does nothing).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::app::{Action, App, Confirm, Mode};
use super::keymap::{Binding, footer_bindings};
use cutover_core::session::event::Mode as SessionMode;

/// The mode tag at the left of the footer, and its style.
pub fn mode_tag(app: &App) -> (String, Style) {
    let t = &app.theme;
    match app.mode() {
        Mode::Confirm(Confirm::Quit) => ("QUIT?".into(), t.warn),
        Mode::Confirm(Confirm::Healthy) => ("HEALTHY?".into(), t.warn),
        Mode::Gate(_) => ("GATE".into(), t.banner),
        Mode::Help => ("HELP".into(), t.accent),
        Mode::Filter => ("FILTER".into(), t.accent),
        Mode::Normal => {
            if let Some(end) = &app.state.end {
                let style = if end.exit_code == 0 { t.ok } else { t.danger };
                (format!("ENDED exit {}", end.exit_code), style)
            } else if app.state.armed_guard().is_some() {
                ("GUARD".into(), t.banner)
            } else if app.replay {
                ("REPLAY".into(), t.accent)
            } else if app.engine_closed {
                ("STOPPED".into(), t.danger)
            } else {
                let m = match app.state.session.as_ref().map(|s| s.mode) {
                    Some(SessionMode::Drill) => "DRILL",
                    Some(SessionMode::Run) => "RUN",
                    Some(SessionMode::Validate) => "VALIDATE",
                    None => "WAITING",
                };
                (m.into(), t.accent)
            }
        }
    }
}

pub fn render(f: &mut Frame<'_>, area: Rect, app: &App) {
    let t = &app.theme;
    let (tag, style) = mode_tag(app);
    let mut spans = vec![
        Span::styled(
            format!(" {tag} "),
            style.add_modifier(ratatui::style::Modifier::REVERSED),
        ),
        Span::raw(" "),
    ];
    if let Some(m) = &app.message {
        spans.push(Span::styled(format!("{m}  "), t.warn));
    }
    let entry = |b: &Binding| {
        [
            Span::styled(b.keys.first().map(|k| k.name()).unwrap_or_default(), t.key),
            Span::styled(format!(" {}  ", b.label), t.muted),
        ]
    };
    let width = |bs: &[&Binding]| -> usize {
        bs.iter()
            .flat_map(|b| entry(b))
            .map(|s| s.width())
            .sum::<usize>()
    };
    // `? help` is the way to every other key, so it is never the one the
    // width cuts: when the keys do not fit, the last others are left out,
    // whole, until they do.
    let room = usize::from(area.width).saturating_sub(spans.iter().map(Span::width).sum());
    let mut bindings = footer_bindings(app);
    while width(&bindings) > room {
        match bindings
            .iter()
            .rposition(|b| b.action != Action::ToggleHelp)
        {
            Some(i) => {
                bindings.remove(i);
            }
            None => break,
        }
    }
    spans.extend(bindings.into_iter().flat_map(entry));
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}
