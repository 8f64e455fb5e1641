//! The console in every bundled theme: each theme file passes WCAG AA
//! contrast, and every pane is drawn at 120x40 and 80x24 in every theme
//! and compared with reviewed snapshots.

use std::path::Path;

use cutover_tui::Theme;
use cutover_tui::theme::contrast::{self, Pair};

/// The bundled theme files, read from disk as `--theme PATH` would.
fn theme_files() -> Vec<(String, Theme)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("themes");
    let mut out = Vec::new();
    for name in ["dark", "light", "high-contrast"] {
        let path = dir.join(format!("{name}.toml"));
        let theme = Theme::from_file(&path).unwrap_or_else(|e| panic!("{e}"));
        out.push((name.to_string(), theme));
    }
    out
}

#[test]
fn every_bundled_theme_passes_wcag_aa_contrast() {
    let mut failures = Vec::new();
    for (name, theme) in theme_files() {
        let pairs = contrast::pairs(&theme);
        // A theme that set no colours would pass vacuously.
        assert!(pairs.len() >= 40, "{name}: only {} pairs", pairs.len());
        for p in pairs.iter().filter(|p| !p.passes()) {
            let Pair {
                what,
                ratio,
                needed,
            } = p;
            failures.push(format!("{name}: {what}: {ratio:?} < {needed}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_contrast_check_catches_the_old_light_theme() {
    // muted text in ANSI 7 on a white background, as the light theme had.
    let t = Theme::parse("base = \"light\"\nmuted = \"gray\"\n", "old-light.toml").expect("theme");
    let bad: Vec<_> = contrast::pairs(&t)
        .into_iter()
        .filter(|p| !p.passes())
        .map(|p| p.what)
        .collect();
    assert!(bad.contains(&"muted on background".to_string()), "{bad:?}");
    let reset = Theme::parse("base = \"dark\"\ntext = \"reset\"\n", "r.toml").expect("theme");
    assert!(
        contrast::pairs(&reset)
            .iter()
            .any(|p| p.what == "text on background" && p.ratio.is_none()),
        "a reset colour has no defined contrast"
    );
}

#[test]
fn no_color_still_strips_the_rgb_themes() {
    for (name, theme) in theme_files() {
        let plain = theme.without_color();
        for (key, s) in plain.named_styles() {
            assert_eq!((s.fg, s.bg), (None, None), "{name}: {key}");
        }
    }
}

// ------------------------------------------------------------ behaviour

use crate::ui_support::*;
use cutover_core::session::Event;
use cutover_core::session::event::{GateDecision, NoteLevel};
use cutover_tui::app::{Action, App, Pane};
use cutover_tui::{render_to_buffer, render_to_string};
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier, Style};

fn footer(app: &App, w: u16, h: u16) -> String {
    render_to_string(app, w, h)
        .lines()
        .last()
        .unwrap_or_default()
        .to_string()
}

/// One pane alone, `w` columns wide.
fn pane_text(app: &App, pane: Pane, w: u16, h: u16) -> String {
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).expect("terminal");
    t.draw(|f| {
        let area = f.area();
        match pane {
            Pane::Tunnels => cutover_tui::tunnels::render(f, area, app),
            Pane::Log => cutover_tui::log::render(f, area, app),
            _ => unreachable!("only the panes tested here"),
        }
    })
    .expect("draw");
    cutover_tui::buffer_text(t.backend().buffer())
}

fn failed_over() -> Vec<Event> {
    cat(&[
        checks(true),
        vec![gate_prompt(&[])],
        gate_decision(GateDecision::Confirmed),
        action_armed(),
        verified(),
    ])
}

#[test]
fn at_80x24_one_pane_shows_at_full_width_under_a_tab_bar() {
    let mut app = app_with(&checks(false));
    let screen = render_to_string(&app, 80, 24);
    let bar = screen.lines().nth(1).expect("tab bar");
    for (n, name) in [(1, "Steps"), (2, "Detail"), (3, "Routes"), (6, "Log")] {
        assert!(bar.contains(&format!("{n} {name}")), "{bar}");
    }
    // Step titles get the width (they were cut at about 22 characters).
    assert!(
        screen.contains("Primary CE advertises the on-prem prefix to the primary MSEE"),
        "{screen}"
    );
    // The pane keys still choose the pane, which then has the screen.
    for (pane, title) in [
        (Pane::Detail, "2 Step detail"),
        (Pane::Routes, "3 Routes"),
        (Pane::Tunnels, "4 Tunnels & BGP"),
        (Pane::Trace, "5 Traceroute"),
        (Pane::Log, "6 Notes & log"),
    ] {
        app.update(Action::Focus(pane));
        let screen = render_to_string(&app, 80, 24);
        let titles: Vec<&str> = [
            "1 Steps ",
            "2 Step detail",
            "3 Routes",
            "4 Tunnels",
            "5 Trace",
            "6 Notes",
        ]
        .into_iter()
        .filter(|t| screen.lines().skip(2).any(|l| l.contains(t)))
        .collect();
        assert_eq!(titles.len(), 1, "one pane at a time: {titles:?}\n{screen}");
        assert!(screen.contains(title), "{title}\n{screen}");
    }
    // Wide enough for every pane: no tab bar.
    let full = render_to_string(&app, 120, 40);
    assert!(
        !full.lines().nth(1).unwrap_or_default().contains("2 Detail"),
        "{full}"
    );
}

#[test]
fn the_footer_keeps_help_at_80_columns_but_not_while_typing_at_the_gate() {
    let mut guard = app_with(&failed_over());
    let f = footer(&guard, 80, 24);
    assert!(f.ends_with("? help"), "{f}");
    assert!(
        f.contains("R ROLL BACK"),
        "the guard's keys come first: {f}"
    );
    guard.update(Action::Focus(Pane::Routes));
    assert!(footer(&guard, 80, 24).contains("? help"));
    let normal = app_with(&checks(true));
    for w in [60, 80, 120] {
        let f = footer(&normal, w, 24);
        assert!(f.contains("? help"), "{w}: {f}");
        // Entries are left out whole, never cut.
        assert!(!f.contains('…') || f.contains("quit…"), "{f}");
    }
    let gate = app_with(&cat(&[
        checks(false),
        vec![gate_prompt(&["fw-bgp-to-vpn-gateway"])],
    ]));
    let f = footer(&gate, 80, 24);
    assert!(!f.contains("? help"), "`?` is text at the gate: {f}");
}

#[test]
fn bgp_rows_name_their_source_and_keep_the_uptime_whole() {
    let app = app_with(&checks(true));
    // 48 columns: the pane's width in the full layout at 120 columns.
    let text = pane_text(&app, Pane::Tunnels, 48, 60);
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("192.168.11.88"))
        .collect();
    assert_eq!(rows.len(), 2, "{text}");
    assert!(
        rows.first().is_some_and(|r| r.contains("gw 10.17.11.76")),
        "{text}"
    );
    assert!(
        rows.get(1).is_some_and(|r| r.contains("gw 10.17.11.77")),
        "{text}"
    );
    assert!(text.contains("up 5:42:17"), "{text}");
    assert!(text.contains("2d 21:12:18"), "{text}");
    assert!(
        text.contains("fw 10.17.11.76"),
        "device rows name the device: {text}"
    );
    // Every row that reaches the border was shortened visibly.
    for l in text.lines().filter(|l| l.starts_with('│')) {
        let inner: String = l.chars().skip(1).take(46).collect();
        if inner.chars().count() == 46 && !inner.ends_with(' ') {
            assert!(inner.ends_with('…'), "cut silently: {l}");
        }
    }
}

#[test]
fn the_step_detail_shows_a_shortened_value_whole() {
    let mut app = app_with(&checks(false));
    let step = app
        .state
        .steps
        .iter()
        .position(|s| s.info.id == "azure-bgp-peers-connected")
        .expect("step");
    app.selected_step = Some(step);
    let screen = render_to_string(&app, 160, 48);
    assert!(
        screen.contains("Latest answers (as in Tunnels & BGP, whole)"),
        "{screen}"
    );
    assert!(screen.contains("gw 10.17.11.77 192.168.11.88"), "{screen}");
}

#[test]
fn notes_wrap_whole_with_a_hanging_indent_and_their_own_style() {
    let long = "the circuit's AzurePrivatePeering wanted: Enabled the ARM read says Disabled; the guard restores it";
    let app = app_with(&cat(&[
        checks(true),
        vec![Event::Note {
            step: None,
            level: NoteLevel::Info,
            text: long.into(),
        }],
    ]));
    let text = pane_text(&app, Pane::Log, 40, 14);
    let inner: Vec<String> = text
        .lines()
        .skip(1)
        .map(|l| l.chars().skip(1).take(38).collect::<String>())
        .collect();
    let start = inner
        .iter()
        .position(|l| l.starts_with("i the circuit's"))
        .unwrap_or_else(|| panic!("{text}"));
    let mut joined = String::new();
    for l in inner.iter().skip(start) {
        if l.starts_with("  ") && !l.trim().is_empty() {
            joined.push(' ');
            joined.push_str(l.trim());
        } else if joined.is_empty() {
            joined.push_str(l.trim_start_matches("i ").trim());
        } else {
            break;
        }
    }
    assert_eq!(joined, long, "{text}");
    // Words are whole: no row starts in the middle of one.
    assert!(
        inner
            .iter()
            .all(|l| !l.trim_start().starts_with("urePrivate")),
        "{text}"
    );
    let buf = render_to_buffer(&app, 120, 40);
    let (x, y) = find(&buf, "i the circuit's");
    let cell = buf.cell((x + 2, y)).expect("cell");
    assert_eq!(cell.fg, app.theme.note.fg.expect("note colour"));
    assert_ne!(
        app.theme.note.fg, app.theme.text.fg,
        "notes stand out from the log"
    );
}

fn find(buf: &Buffer, needle: &str) -> (u16, u16) {
    let text = cutover_tui::buffer_text(buf);
    for (y, line) in text.lines().enumerate() {
        if let Some(byte) = line.find(needle) {
            return (line[..byte].chars().count() as u16, y as u16);
        }
    }
    panic!("`{needle}` not on screen:\n{text}");
}

// --------------------------------------------------------------- matrix

/// A colour as the snapshot writes it.
fn colour(c: Option<Color>) -> String {
    match c {
        None => "-".into(),
        Some(Color::Rgb(r, g, b)) => format!("#{r:02x}{g:02x}{b:02x}"),
        Some(other) => format!("{other:?}"),
    }
}

/// The screen's text, then its style map: one letter per cell, and what
/// each letter is (foreground, background, modifiers). The text alone
/// would be the same in every theme; the map is where themes differ.
fn text_and_styles(buf: &Buffer) -> String {
    const LETTERS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut legend: Vec<Style> = Vec::new();
    let mut map = String::new();
    let area = buf.area;
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            let Some(cell) = buf.cell((x, y)) else {
                continue;
            };
            let style = Style::new()
                .fg(cell.fg)
                .bg(cell.bg)
                .add_modifier(cell.modifier);
            let i = legend.iter().position(|s| *s == style).unwrap_or_else(|| {
                legend.push(style);
                legend.len() - 1
            });
            map.push(LETTERS.chars().nth(i).unwrap_or('?'));
        }
        map.push('\n');
    }
    let mut out = cutover_tui::buffer_text(buf);
    out.push_str("\n-- styles --\n");
    out.push_str(&map);
    for (i, s) in legend.iter().enumerate() {
        let m = if s.add_modifier == Modifier::empty() {
            String::new()
        } else {
            format!(" {:?}", s.add_modifier)
        };
        out.push_str(&format!(
            "{} = fg {} bg {}{m}\n",
            LETTERS.chars().nth(i).unwrap_or('?'),
            colour(s.fg),
            colour(s.bg)
        ));
    }
    out
}

/// Every pane, focused in turn, at 120x40 (all panes in view, the focus
/// moving) and at 80x24 (the tabbed view, one pane each), in every
/// bundled theme: 36 reviewed screens.
#[test]
fn every_pane_at_both_sizes_in_every_theme() {
    // Checks run, one failed (BGP), a warning and an info note: every
    // pane has data, and the notes show the `note` style.
    let events = cat(&[
        checks(false),
        vec![Event::Note {
            step: None,
            level: NoteLevel::Info,
            text: "peering AzurePrivatePeering read Enabled before the gate".into(),
        }],
    ]);
    for (theme_name, theme) in theme_files() {
        for (w, h) in [(120u16, 40u16), (80, 24)] {
            for pane in Pane::ALL {
                let mut app = app_themed(&events, theme.clone());
                app.update(Action::Focus(pane));
                let name = format!("{w}x{h}_{}_{theme_name}", pane.short_title().to_lowercase());
                insta::assert_snapshot!(name, text_and_styles(&render_to_buffer(&app, w, h)));
            }
        }
    }
}
