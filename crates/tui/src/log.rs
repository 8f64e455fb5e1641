//! Notes & log pane: the session's notes and measurements (from events, so
//! a replay shows them too), then the console's own `tracing` log through
//! tui-logger.
//!
//! Each record, a note or a log line, wraps at word boundaries with a
//! hanging indent, and only whole notes are shown, so no fragment of a
//! record appears without its start. Notes are in the theme's `note`
//! style and set apart from the log by a rule; the clients' chatter
//! (login method, key path) is logged at debug level, below the pane's
//! `info`, so it does not push the notes away.
//!
//! Wiring: the binary adds [`tracing_layer`] to its subscriber while the
//! console runs (a `fmt` layer writing to the terminal would tear the
//! screen). No mover thread is started: the console loop calls [`pump`]
//! before each frame, which moves what was logged into the widget's
//! buffer, so an idle console does not wake up a hundred times a second.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::widgets::Widget;
use tui_logger::{
    ExtLogRecord, LevelFilter, LogFormatter, TuiLoggerWidget, TuiTracingSubscriberLayer,
};

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

/// Each note and measurement as one record: its rows, wrapped to `width`
/// with the text hanging after the mark.
fn note_records(app: &App, width: usize) -> Vec<Vec<Line<'static>>> {
    let t = &app.theme;
    let mut out = Vec::new();
    for n in &app.state.notes {
        let (mark, style) = match n.level {
            NoteLevel::Info => ("i", t.note),
            NoteLevel::Warn => ("!", t.warn),
            NoteLevel::Error => ("✗", t.danger),
        };
        let mut spans = vec![Span::styled(format!("{mark} "), style)];
        if let Some(step) = &n.step {
            spans.push(Span::styled(format!("{step}: "), t.muted));
        }
        spans.push(Span::styled(n.text.clone(), style));
        out.push(super::pane::wrap_words(spans, width, 2));
    }
    for m in &app.state.measurements {
        let spans = vec![
            Span::styled("Δt ", t.accent),
            Span::styled(format!("{}: ", m.step), t.muted),
            Span::styled(format!("{} {}", m.name, super::pane::measured(m)), t.accent),
        ];
        out.push(super::pane::wrap_words(spans, width, 3));
    }
    out
}

/// The newest whole records that fit in `rows`, skipping the `scroll`
/// newest (scrolling goes back in time one record at a time). A record
/// taller than the whole area is shown from its start.
fn whole_records(
    records: Vec<Vec<Line<'static>>>,
    rows: usize,
    scroll: usize,
) -> Vec<Line<'static>> {
    let end = records
        .len()
        .saturating_sub(scroll.min(records.len().saturating_sub(1)));
    let mut start = end;
    let mut used = 0;
    while start > 0 {
        let h = records.get(start - 1).map_or(0, Vec::len);
        if used + h > rows && start < end {
            break;
        }
        used += h;
        start -= 1;
        if used >= rows {
            break;
        }
    }
    let mut out: Vec<Line<'static>> = records
        .into_iter()
        .skip(start)
        .take(end - start)
        .flatten()
        .collect();
    out.truncate(rows);
    out
}

/// Log records as `HH:MM:SS L message`, wrapped at words with the
/// message hanging under its own start.
struct Hanging {
    text: Style,
    muted: Style,
    warn: Style,
    danger: Style,
}

impl LogFormatter for Hanging {
    fn min_width(&self) -> u16 {
        20
    }

    fn format(&self, width: usize, evt: &ExtLogRecord) -> Vec<Line<'_>> {
        let (level, style) = if evt.level <= LevelFilter::Error {
            ("E", self.danger)
        } else if evt.level <= LevelFilter::Warn {
            ("W", self.warn)
        } else if evt.level <= LevelFilter::Info {
            ("I", self.text)
        } else if evt.level <= LevelFilter::Debug {
            ("D", self.muted)
        } else {
            ("T", self.muted)
        };
        let stamp = format!("{} {level} ", evt.timestamp.strftime("%H:%M:%S"));
        let indent = stamp.len();
        let mut out = Vec::new();
        for (i, part) in evt.msg().lines().enumerate() {
            let lead = if i == 0 {
                Span::styled(stamp.clone(), self.muted)
            } else {
                Span::raw(" ".repeat(indent))
            };
            out.extend(super::pane::wrap_words(
                vec![lead, Span::styled(part.to_string(), style)],
                width,
                indent,
            ));
        }
        out
    }
}

pub fn render(f: &mut Frame<'_>, area: Rect, app: &App) {
    let outer = super::pane::block(app, Pane::Log, None);
    let inner = outer.inner(area);
    f.render_widget(outer, area);
    let records = note_records(app, usize::from(inner.width));
    let total: usize = records.iter().map(Vec::len).sum();
    let height = usize::from(inner.height);
    // Notes first: they are the session's record; the log gets the rest,
    // and at least a third when there is one (less its rule).
    let note_rows = total.min(height.saturating_sub(height / 3).max(1));
    let rule_rows = usize::from(total > 0 && height > note_rows + 1);
    let [notes_area, rule_area, log_area] = Layout::vertical([
        Constraint::Length(u16::try_from(note_rows).unwrap_or(0)),
        Constraint::Length(u16::try_from(rule_rows).unwrap_or(0)),
        Constraint::Fill(1),
    ])
    .areas(inner);
    let shown = whole_records(records, note_rows, app.notes_scroll);
    f.render_widget(Paragraph::new(shown), notes_area);
    let t = &app.theme;
    if rule_area.height > 0 {
        let rule = format!("── log {}", "─".repeat(usize::from(rule_area.width)));
        f.render_widget(
            Paragraph::new(Line::styled(
                super::pane::fit(&rule, usize::from(rule_area.width)).replace('…', "─"),
                t.border,
            )),
            rule_area,
        );
    }
    if log_area.height > 0 {
        let widget = TuiLoggerWidget::default()
            .formatter(Box::new(Hanging {
                text: t.text,
                muted: t.muted,
                warn: t.warn,
                danger: t.danger,
            }))
            .style(t.muted)
            .state(&app.log.0);
        // The widget fills from the newest record up and may start with
        // the tail of an older one; drawn off screen first, so that tail
        // can be blanked rather than read as a record of its own.
        let mut scratch = Buffer::empty(log_area);
        for y in log_area.top()..log_area.bottom() {
            for x in log_area.left()..log_area.right() {
                if let (Some(src), Some(d)) =
                    (f.buffer_mut().cell((x, y)), scratch.cell_mut((x, y)))
                {
                    *d = src.clone();
                }
            }
        }
        widget.render(log_area, &mut scratch);
        drop_leading_continuations(&mut scratch, STAMP_WIDTH);
        let dst = f.buffer_mut();
        for y in log_area.top()..log_area.bottom() {
            for x in log_area.left()..log_area.right() {
                if let (Some(src), Some(d)) = (scratch.cell((x, y)), dst.cell_mut((x, y))) {
                    *d = src.clone();
                }
            }
        }
    }
}

/// Columns of a log record's `HH:MM:SS L ` lead, which its continuation
/// rows are indented by.
const STAMP_WIDTH: u16 = 11;

/// Blanks the rows at the top of `buf` that continue a record whose first
/// row is not shown (they start with the hanging indent).
fn drop_leading_continuations(buf: &mut Buffer, indent: u16) {
    let area = buf.area;
    let style = buf.cell((area.left(), area.top())).map(|c| c.style());
    for y in area.top()..area.bottom() {
        let blank = |x: u16| buf.cell((x, y)).is_none_or(|c| c.symbol() == " ");
        let lead = area.left()..area.left().saturating_add(indent).min(area.right());
        let row_empty = (area.left()..area.right()).all(blank);
        if row_empty || !lead.clone().all(blank) {
            break;
        }
        for x in area.left()..area.right() {
            if let Some(c) = buf.cell_mut((x, y)) {
                c.set_symbol(" ");
                if let Some(s) = style {
                    c.set_style(s);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(n: usize) -> Vec<Line<'static>> {
        (0..n).map(|i| Line::raw(format!("r{n}.{i}"))).collect()
    }

    fn text(lines: &[Line<'_>]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn a_log_record_cut_at_the_top_is_blanked_not_shown_in_part() {
        let area = Rect::new(0, 0, 24, 4);
        let mut buf = Buffer::empty(area);
        for (y, row) in [
            "      of an older one",
            "      still older",
            "06:22:16 I newest",
            "      its tail",
        ]
        .iter()
        .enumerate()
        {
            buf.set_string(0, y as u16, row, Style::new());
        }
        drop_leading_continuations(&mut buf, 6);
        let rows: Vec<String> = (0..4)
            .map(|y| {
                (0..24)
                    .filter_map(|x| buf.cell((x, y)).map(|c| c.symbol().to_string()))
                    .collect::<String>()
                    .trim_end()
                    .to_string()
            })
            .collect();
        assert_eq!(rows, ["", "", "06:22:16 I newest", "      its tail"]);
    }

    #[test]
    fn only_whole_records_are_shown() {
        // 3 rows: the newest record (2 rows) fits, the one before (2 rows)
        // would be cut, so it is left out rather than shown in part.
        let shown = whole_records(vec![rec(1), rec(2), rec(2)], 3, 0);
        assert_eq!(text(&shown), ["r2.0", "r2.1"]);
        let shown = whole_records(vec![rec(1), rec(2), rec(2)], 4, 0);
        assert_eq!(text(&shown), ["r2.0", "r2.1", "r2.0", "r2.1"]);
        // Scrolled back one record.
        let shown = whole_records(vec![rec(1), rec(3), rec(2)], 4, 1);
        assert_eq!(text(&shown), ["r1.0", "r3.0", "r3.1", "r3.2"]);
        // Taller than the area: its start, not its end.
        let shown = whole_records(vec![rec(4)], 2, 0);
        assert_eq!(text(&shown), ["r4.0", "r4.1"]);
    }
}
