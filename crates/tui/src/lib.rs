//! The console: ratatui panes drawn from [`app::App`], which folds the
//! engine's events; keys become engine commands. The UI talks to the
//! engine only through two channels and never waits on anything else.
//!
//! # Layouts
//!
//! - **Full** (at least 120 columns and 36 rows): a header line; the
//!   guarded-change banner when one is out; then three rows of panes —
//!   Steps | Step detail, Routes | Tunnels & BGP, Traceroute | Notes & log —
//!   so steps, routes, tunnels and the trace are all in view at once; the
//!   footer last.
//! - **Tabbed** (anything smaller, 80x24 among them): header, banner, a
//!   tab bar naming every pane with the key that shows it, then the
//!   focused pane alone at the full width, footer. `Tab` or `1`-`6` switch
//!   panes as in the full layout. Two panes side by side at 80 columns
//!   cut step titles to a third of the screen; one pane at a time gives
//!   each the width it can use. Below 80x24 the same layout is drawn as
//!   far as it fits.
//!
//! Popups (the gate, yes/no questions, the help) are drawn over either.

pub mod app;
pub mod banner;
pub mod blind;
pub mod debrief;
pub mod detail;
pub mod footer;
pub mod gate;
pub mod help;
pub mod hint;
pub mod keymap;
pub mod log;
pub mod pane;
pub mod prediction;
pub mod replay;
pub mod routes;
pub mod steps;
pub mod theme;
pub mod trace;
pub mod tunnels;

use std::time::Duration;

use crossterm::event::{Event as TermEvent, EventStream, KeyEventKind};
use futures::StreamExt;
use ratatui::backend::TestBackend;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::{Frame, Terminal};
use time::OffsetDateTime;
use tokio::sync::mpsc;

pub use app::{Action, App, Pane};
pub use theme::{Theme, ThemeError};

use cutover_core::session::{Command, Event};

/// Why the console stopped other than by the operator's choice.
#[derive(Debug, thiserror::Error)]
pub enum UiError {
    #[error("terminal: {0}")]
    Terminal(#[from] std::io::Error),
    #[error("drawing the console: {0}")]
    Draw(String),
}

/// Columns and rows from which the full layout is drawn.
pub const FULL_WIDTH: u16 = 120;
pub const FULL_HEIGHT: u16 = 36;

pub fn is_full(area: Rect) -> bool {
    area.width >= FULL_WIDTH && area.height >= FULL_HEIGHT
}

/// Draws the whole console.
pub fn render(f: &mut Frame<'_>, app: &App) {
    let area = f.area();
    f.render_widget(Block::default().style(app.theme.background), area);
    // The banner may crowd the panes but never be cut: it is where a
    // failed rollback's manual commands are.
    let banner_h = banner::height(app, area.width).min(area.height.saturating_sub(5));
    let [head, banner_area, body, foot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(banner_h),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    header(f, head, app);
    banner::render(f, banner_area, app);
    if is_full(area) {
        full(f, body, app);
    } else {
        compact(f, body, app);
    }
    footer::render(f, foot, app);
    // Popups leave the footer visible: it lists the keys they take.
    let over = Rect {
        height: area.height.saturating_sub(1),
        ..area
    };
    if debrief::shown(app) {
        debrief::render(f, over, app);
    }
    if app.help && app.gate.is_none() {
        help::render(f, over, app);
    }
    hint::render(f, over, app);
    gate::render(f, over, app);
    gate::render_confirm(f, over, app);
}

fn full(f: &mut Frame<'_>, area: Rect, app: &App) {
    let [top, mid, bottom] = Layout::vertical([
        Constraint::Percentage(36),
        Constraint::Percentage(38),
        Constraint::Percentage(26),
    ])
    .areas(area);
    // Steps gets what its longest title needs (mark, phase and borders
    // are 7 columns), between 40% and 55%: the detail wraps its text, a
    // step title is cut.
    let longest = app
        .state
        .steps
        .iter()
        .map(|s| pane::text_width(&s.info.title))
        .max()
        .unwrap_or(0);
    let steps_w = u16::try_from(longest + 7)
        .unwrap_or(u16::MAX)
        .clamp(area.width * 2 / 5, area.width * 11 / 20);
    let [steps_a, detail_a] =
        Layout::horizontal([Constraint::Length(steps_w), Constraint::Fill(1)]).areas(top);
    let [routes_a, tunnels_a] =
        Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(mid);
    let [trace_a, log_a] =
        Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(bottom);
    steps::render(f, steps_a, app);
    detail::render(f, detail_a, app);
    routes::render(f, routes_a, app);
    tunnels::render(f, tunnels_a, app);
    trace::render(f, trace_a, app);
    log::render(f, log_a, app);
}

fn compact(f: &mut Frame<'_>, area: Rect, app: &App) {
    // When the banner leaves only a sliver, the pane keeps it: the bar
    // would leave the pane no row at all.
    let bar_h = u16::from(area.height >= 4);
    let [bar, body] =
        Layout::vertical([Constraint::Length(bar_h), Constraint::Fill(1)]).areas(area);
    f.render_widget(Paragraph::new(tab_bar(app, bar.width)), bar);
    render_pane(f, body, app, app.focus);
}

/// The tabbed layout's bar: every pane with its key, the shown one
/// reversed (so it reads without colour too). Short names when the long
/// ones do not fit.
pub fn tab_bar(app: &App, width: u16) -> Line<'static> {
    let t = &app.theme;
    let long: usize = Pane::ALL.iter().map(|p| p.title().len() + 5).sum();
    let short = long > usize::from(width);
    let mut spans = Vec::new();
    for p in Pane::ALL {
        let name = if short { p.short_title() } else { p.title() };
        let style = if p == app.focus {
            t.title.add_modifier(ratatui::style::Modifier::REVERSED)
        } else {
            t.muted
        };
        spans.push(Span::styled(format!(" {}", p.number()), t.key));
        spans.push(Span::styled(format!(" {name} "), style));
        spans.push(Span::raw(" "));
    }
    Line::from(spans)
}

fn render_pane(f: &mut Frame<'_>, area: Rect, app: &App, pane: Pane) {
    match pane {
        Pane::Steps => steps::render(f, area, app),
        Pane::Detail => detail::render(f, area, app),
        Pane::Routes => routes::render(f, area, app),
        Pane::Tunnels => tunnels::render(f, area, app),
        Pane::Trace => trace::render(f, area, app),
        Pane::Log => log::render(f, area, app),
    }
}

fn header(f: &mut Frame<'_>, area: Rect, app: &App) {
    let t = &app.theme;
    let mut spans = vec![Span::styled(" cutover ", t.title)];
    match &app.state.session {
        Some(s) => {
            let mode = match s.mode {
                cutover_core::session::event::Mode::Run => "run",
                cutover_core::session::event::Mode::Validate => "validate",
                cutover_core::session::event::Mode::Drill => "drill",
            };
            spans.push(Span::styled(format!("{mode} "), t.accent));
            if let Some(sc) = &s.scenario {
                spans.push(Span::styled(format!("{sc} "), t.accent));
            }
            // Compressed waits are not what production takes: said where
            // every screen shows it.
            if let Some(f) = app.state.lab_time_scale {
                let badge = cutover_core::session::time_scale::badge(f);
                spans.push(Span::styled(format!("{badge} "), t.warn));
            }
            let mut tail = vec![Span::styled(format!("· {} ", s.operator), t.muted)];
            if let Some(tk) = &s.ticket {
                tail.push(Span::styled(format!("· {tk} "), t.muted));
            }
            if let Some(fp) = &s.key_fingerprint {
                // Enough of the fingerprint to tell keys apart at a glance;
                // the report and `cutover verify` give it whole.
                let short: String = fp.chars().take(19).collect();
                tail.push(Span::styled(format!("· signed {short}… "), t.muted));
            }
            // The runbook's title gives way (visibly) so that the operator,
            // the ticket and the key stay in view.
            let used: usize = spans.iter().chain(&tail).map(Span::width).sum();
            let room = usize::from(area.width).saturating_sub(used);
            spans.push(Span::styled(
                format!(
                    "{} ",
                    pane::fit(&format!("· {}", s.runbook_title), room.saturating_sub(1))
                ),
                t.text,
            ));
            spans.extend(tail);
        }
        None => spans.push(Span::styled("waiting for the session to start", t.muted)),
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// Draws `app` on a `width` x `height` test terminal and returns the
/// screen as text, one line per row, trailing blanks trimmed. For tests
/// and for printing a replayed screen.
pub fn render_to_string(app: &App, width: u16, height: u16) -> String {
    buffer_text(&render_to_buffer(app, width, height))
}

/// Draws `app` on a test terminal and returns the buffer (styles
/// included).
pub fn render_to_buffer(app: &App, width: u16, height: u16) -> ratatui::buffer::Buffer {
    let mut terminal = match Terminal::new(TestBackend::new(width, height)) {
        Ok(t) => t,
        Err(e) => match e {},
    };
    match terminal.draw(|f| render(f, app)) {
        Ok(_) => {}
        Err(e) => match e {},
    }
    terminal.backend().buffer().clone()
}

/// A buffer's text, one line per row, trailing blanks trimmed.
pub fn buffer_text(buf: &ratatui::buffer::Buffer) -> String {
    let area = buf.area;
    let mut out = String::new();
    for y in area.top()..area.bottom() {
        let mut line = String::new();
        for x in area.left()..area.right() {
            if let Some(cell) = buf.cell((x, y)) {
                line.push_str(cell.symbol());
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Raw mode and the alternate screen for as long as it lives; restored on
/// drop, so on every way out of [`run_console`] (ratatui's panic hook
/// restores on a panic).
struct TerminalGuard {
    terminal: ratatui::DefaultTerminal,
}

impl TerminalGuard {
    fn enter() -> Result<Self, UiError> {
        let terminal = ratatui::try_init()?;
        Ok(Self { terminal })
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

/// At most this many queued engine events are folded in before the next
/// frame, so a fast replay or a burst of probes does not redraw per event
/// yet keys stay responsive.
const EVENT_BATCH: usize = 256;

/// Runs the console until the operator leaves (or, after a quit request,
/// until the engine ends the session). Redraws on every key, on every batch
/// of engine events, and once a second for the countdown; it sleeps in
/// between. Returns the final state.
pub async fn run_console(
    app: App,
    events: mpsc::UnboundedReceiver<Event>,
    commands: mpsc::Sender<Command>,
) -> Result<App, UiError> {
    let mut guard = TerminalGuard::enter()?;
    let app = run_loop(
        &mut guard.terminal,
        EventStream::new(),
        app,
        events,
        commands,
        OffsetDateTime::now_utc,
    )
    .await?;
    drop(guard);
    Ok(app)
}

/// The console loop on any backend and key source (the terminal in
/// [`run_console`]; a test backend and a scripted key stream in tests).
/// `clock` gives the time the countdown reads.
pub async fn run_loop<B, K>(
    terminal: &mut Terminal<B>,
    mut keys: K,
    mut app: App,
    mut events: mpsc::UnboundedReceiver<Event>,
    commands: mpsc::Sender<Command>,
    clock: fn() -> OffsetDateTime,
) -> Result<App, UiError>
where
    B: ratatui::backend::Backend,
    K: futures::Stream<Item = std::io::Result<TermEvent>> + Unpin,
{
    let draw = |terminal: &mut Terminal<B>, app: &App| {
        log::pump();
        terminal
            .draw(|f| render(f, app))
            .map(|_| ())
            .map_err(|e| UiError::Draw(e.to_string()))
    };
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut events_open = true;
    app.set_now(clock());
    loop {
        draw(terminal, &app)?;
        if app.should_exit() {
            break;
        }
        tokio::select! {
            key = keys.next() => match key {
                Some(Ok(TermEvent::Key(k))) if k.kind != KeyEventKind::Release => {
                    if let Some(cmd) = app.handle_key(k)
                        && !app.replay
                        && let Err(e) = commands.send(cmd).await
                    {
                        tracing::error!(command = ?e.0, "the engine is gone; command not delivered");
                        app.message =
                            Some("the engine is gone: the command was not delivered".into());
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(UiError::Terminal(e)),
                // No more keys (the terminal went away): nobody is left to
                // answer, so the loop ends; the engine's guard takes over
                // as when the console dies.
                None => break,
            },
            ev = events.recv(), if events_open => match ev {
                Some(ev) => {
                    // Stamped as it arrives: what the panes' ages count from.
                    let now = clock();
                    app.set_now(now);
                    app.apply_at(&ev, now);
                    for _ in 1..EVENT_BATCH {
                        match events.try_recv() {
                            Ok(ev) => app.apply_at(&ev, now),
                            Err(_) => break,
                        }
                    }
                }
                None => {
                    events_open = false;
                    app.engine_closed();
                }
            },
            _ = tick.tick() => app.set_now(clock()),
        }
    }
    Ok(app)
}
