//! Helpers every pane uses: the bordered block with focus, text fitting.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders};

use super::app::{App, Pane};
use cutover_core::session::state::Age;

/// The pane's frame: focused panes get the focus style and a thick
/// border, so focus shows without colour too.
pub fn block<'a>(app: &App, pane: Pane, extra: Option<Line<'a>>) -> Block<'a> {
    let focused = app.focus == pane;
    let border = if focused {
        app.theme.border_focus
    } else {
        app.theme.border
    };
    let mut title = vec![Span::styled(
        format!(" {} {} ", pane.number(), pane.title()),
        app.theme.title,
    )];
    if let Some(extra) = extra {
        title.extend(extra.spans);
        title.push(Span::raw(" "));
    }
    Block::default()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        })
        .border_style(border)
        .style(app.theme.background)
        .title(Line::from(title))
}

/// Display columns of `s` (ratatui's own measure, so layout agrees).
pub fn text_width(s: &str) -> usize {
    Span::raw(s).width()
}

/// `s` cut to `width` columns, with `…` when cut.
pub fn fit(s: &str, width: usize) -> String {
    if text_width(s) <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let mut buf = [0u8; 4];
        let w = text_width(c.encode_utf8(&mut buf));
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// `s` cut or padded to exactly `width` columns.
pub fn pad(s: &str, width: usize) -> String {
    let f = fit(s, width);
    let w = text_width(&f);
    format!("{f}{}", " ".repeat(width.saturating_sub(w)))
}

/// A `label: value` line.
pub fn kv<'a>(label: &str, value: impl Into<String>, app: &App, style: Style) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{label}: "), app.theme.muted),
        Span::styled(value.into(), style),
    ])
}

/// Cuts styled lines into rows of at most `width` columns, by character,
/// keeping styles; unlike word wrapping, the row count is exact, so a
/// layout can reserve exactly the rows a text needs.
pub fn hard_wrap(lines: Vec<Line<'static>>, width: usize) -> Vec<Line<'static>> {
    let width = width.max(1);
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        let mut row: Vec<Span<'static>> = Vec::new();
        let mut used = 0;
        for span in line.spans {
            let mut buf = String::new();
            for c in span.content.chars() {
                let mut tmp = [0u8; 4];
                let cw = text_width(c.encode_utf8(&mut tmp));
                if used + cw > width && used > 0 {
                    if !buf.is_empty() {
                        row.push(Span::styled(std::mem::take(&mut buf), span.style));
                    }
                    out.push(Line::from(std::mem::take(&mut row)).style(line.style));
                    used = 0;
                }
                buf.push(c);
                used += cw;
            }
            if !buf.is_empty() {
                row.push(Span::styled(buf, span.style));
            }
        }
        out.push(Line::from(row).style(line.style));
    }
    out
}

/// Lays out a row's cells (joined by one space) in `width` columns: the
/// row starts after `indent` blanks, and a cell that does not fit the
/// rest of a line starts a continuation line `indent + 2` in, so a value
/// is never cut by the edge. Only a cell wider than a whole line is
/// shortened, with `…` (the step detail shows it whole).
pub fn flow(cells: Vec<Span<'static>>, width: usize, indent: usize) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let mut row: Vec<Span<'static>> = vec![Span::raw(" ".repeat(indent))];
    let mut used = indent;
    let cont = indent + 2;
    for cell in cells {
        let w = cell.width();
        let sep = usize::from(used > indent && row.len() > 1);
        if used + sep + w > width && row.len() > 1 {
            out.push(Line::from(std::mem::take(&mut row)));
            row.push(Span::raw(" ".repeat(cont)));
            used = cont;
        } else if sep == 1 {
            row.push(Span::raw(" "));
            used += 1;
        }
        let room = width.saturating_sub(used);
        let cell = if w > room {
            Span::styled(fit(&cell.content, room), cell.style)
        } else {
            cell
        };
        used += cell.width();
        row.push(cell);
    }
    out.push(Line::from(row));
    out
}

/// Wraps one record's styled text at word boundaries into rows of at
/// most `width` columns; rows after the first start `indent` blanks in
/// (a hanging indent), so a continuation never reads as a record of its
/// own. A word longer than a row is broken by character.
pub fn wrap_words(spans: Vec<Span<'static>>, width: usize, indent: usize) -> Vec<Line<'static>> {
    let width = width.max(1);
    let indent = indent.min(width.saturating_sub(1));
    // Words with the blanks that follow them, each keeping its style.
    let mut words: Vec<(String, ratatui::style::Style)> = Vec::new();
    for span in spans {
        let mut word = String::new();
        let mut in_space = false;
        for c in span.content.chars() {
            if in_space && c != ' ' {
                words.push((std::mem::take(&mut word), span.style));
                in_space = false;
            }
            in_space |= c == ' ';
            word.push(c);
        }
        if !word.is_empty() {
            words.push((word, span.style));
        }
    }
    let mut out = Vec::new();
    let mut row: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    // Whether the row holds more than its indent: a word too long for the
    // rest of the row moves down only then.
    let mut content = false;
    let new_row = |out: &mut Vec<Line<'static>>, row: &mut Vec<Span<'static>>| {
        out.push(Line::from(std::mem::take(row)));
        row.push(Span::raw(" ".repeat(indent)));
        indent
    };
    for (word, style) in words {
        let w = text_width(word.trim_end());
        if used + w > width && content {
            used = new_row(&mut out, &mut row);
            content = false;
        }
        let mut rest = word.as_str();
        while text_width(rest.trim_end()) > width - used {
            // Longer than a whole row: cut by character.
            let mut cut = String::new();
            let mut cw = 0;
            for c in rest.chars() {
                let mut b = [0u8; 4];
                let w = text_width(c.encode_utf8(&mut b));
                if used + cw + w > width {
                    break;
                }
                cut.push(c);
                cw += w;
            }
            if cut.is_empty() {
                break;
            }
            rest = &rest[cut.len()..];
            row.push(Span::styled(cut, style));
            used = new_row(&mut out, &mut row);
        }
        if !rest.is_empty() {
            used += text_width(rest);
            content = true;
            row.push(Span::styled(rest.to_string(), style));
        }
    }
    out.push(Line::from(row));
    out
}

/// Seconds as Junos prints elapsed time: `2d 21:12:18`, `4:05`.
pub fn duration(secs: u64) -> String {
    let d = secs / 86_400;
    let h = (secs % 86_400) / 3600;
    let m = (secs % 3600) / 60;
    let s = secs % 60;
    if d > 0 {
        format!("{d}d {h}:{m:02}:{s:02}")
    } else if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// A measured time: the range it lies in (`1.2–2.2 s`) when the engine
/// recorded its uncertainty, else the duration in human units.
pub fn measured(m: &cutover_core::session::state::Measurement) -> String {
    m.text()
}

/// How old a pane's data is at the console's clock, when both are known;
/// `None` in a state built without times (nothing is shown then).
pub fn age(app: &App, seen_at: Option<time::OffsetDateTime>) -> Option<Age> {
    Age::of(seen_at, app.data_clock(), app.monitor_every)
}

/// ` · 4 s ago`, or ` · STALE 12 s ago` (warn style) past two periods.
pub fn age_span(app: &App, seen_at: Option<time::OffsetDateTime>) -> Option<Span<'static>> {
    let a = age(app, seen_at)?;
    Some(if a.stale {
        Span::styled(format!(" · STALE {}", a.text()), app.theme.warn)
    } else {
        Span::styled(format!(" · {}", a.text()), app.theme.muted)
    })
}

/// Bytes with a binary unit.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS.get(unit).copied().unwrap_or("B"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_and_pad() {
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("abc", 4), "abc");
        assert_eq!(fit("abc", 0), "");
        assert_eq!(pad("ab", 4), "ab  ");
        assert_eq!(pad("abcdef", 4), "abc…");
    }

    #[test]
    fn hard_wrap_is_exact_and_keeps_styles() {
        let style = Style::new().add_modifier(ratatui::style::Modifier::BOLD);
        let lines = vec![Line::from(vec![
            Span::raw("abc"),
            Span::styled("defgh", style),
        ])];
        let rows = hard_wrap(lines, 4);
        let text: Vec<String> = rows
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect();
        assert_eq!(text, ["abcd", "efgh"]);
        assert_eq!(
            rows.get(1).and_then(|l| l.spans.first()).map(|s| s.style),
            Some(style)
        );
        assert_eq!(hard_wrap(vec![Line::raw("")], 4).len(), 1);
    }

    fn texts(lines: &[Line<'_>]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn wrap_words_hangs_continuations_under_the_text() {
        let spans = vec![
            Span::raw("i "),
            Span::raw("AzurePrivatePeering wanted: Enabled the peering is Disabled"),
        ];
        let rows = texts(&wrap_words(spans, 24, 2));
        assert_eq!(
            rows,
            [
                "i AzurePrivatePeering ",
                "  wanted: Enabled the ",
                "  peering is Disabled"
            ]
        );
        for r in &rows {
            assert!(text_width(r) <= 24, "{r}");
        }
        // A word longer than a row is broken, still hanging.
        let rows = texts(&wrap_words(vec![Span::raw("x abcdefghij")], 6, 2));
        assert_eq!(rows, ["x ", "  abcd", "  efgh", "  ij"]);
    }

    #[test]
    fn flow_wraps_whole_cells_and_marks_a_cut() {
        let cells = || {
            ["gw", "10.17.11.76", "Connected", "up 2d 21:12:18"]
                .map(|c| Span::raw(c.to_string()))
                .to_vec()
        };
        assert_eq!(
            texts(&flow(cells(), 80, 2)),
            ["  gw 10.17.11.76 Connected up 2d 21:12:18"]
        );
        // The uptime does not fit the first line: it moves down whole.
        assert_eq!(
            texts(&flow(cells(), 30, 2)),
            ["  gw 10.17.11.76 Connected", "    up 2d 21:12:18"]
        );
        // Wider than any line: shortened, visibly.
        assert_eq!(
            texts(&flow(
                vec![Span::raw("vpngw-hub-11_IN_0_203.0.113.10")],
                12,
                2
            )),
            ["  vpngw-hub…"]
        );
    }

    #[test]
    fn durations_and_bytes() {
        assert_eq!(duration(249_138), "2d 21:12:18");
        assert_eq!(duration(245), "4:05");
        assert_eq!(duration(3_600), "1:00:00");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1_536), "1.5 KiB");
    }
}
