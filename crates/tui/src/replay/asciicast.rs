//! `cutover replay --asciicast OUT`: the console as an asciicast v2
//! recording, made without a terminal.
//!
//! The file is the header line
//! `{"version":2,"width":W,"height":H,"timestamp":T,"title":…,"env":{…}}`
//! (`timestamp`: the session's first record, Unix seconds) and then one
//! `[time, "o", data]` line per screen that changed. After each record the
//! console is drawn at a fixed size (120x36 by default: the full layout)
//! through ratatui's crossterm backend into memory; each frame is a whole
//! screen (clear, cursor home, then the styled cells as ANSI SGR), so a
//! player can start anywhere. A record that changes nothing on screen adds
//! no frame.
//!
//! Times come from the journal: gaps capped at
//! [`super::schedule::MAX_GAP`] and divided by the speed. At speed 0 the
//! frames are [`INSTANT_STEP`] apart, since a file has no "as fast as
//! possible" (every frame would land on the same instant and a player
//! would show only the last).

use std::io::{self, Write};
use std::time::Duration;

use ratatui::backend::CrosstermBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use serde_json::json;

use super::schedule::{self, MAX_GAP};
use super::state_at;
use crate::{App, FULL_HEIGHT, FULL_WIDTH, Theme};
use cutover_core::session::Event;
use cutover_journal::recording::Recording;

/// Frame spacing at speed 0.
pub const INSTANT_STEP: f64 = 0.1;

/// Clear the screen, cursor home: each frame stands alone.
const CLEAR: &str = "\x1b[H\x1b[2J";

#[derive(Debug, Clone, PartialEq)]
pub struct CastOptions {
    pub width: u16,
    pub height: u16,
    /// 0: frames [`INSTANT_STEP`] apart.
    pub speed: f64,
    pub max_gap: Duration,
}

impl Default for CastOptions {
    fn default() -> Self {
        Self {
            width: FULL_WIDTH,
            height: FULL_HEIGHT,
            speed: 1.0,
            max_gap: MAX_GAP,
        }
    }
}

/// What was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CastStats {
    pub frames: usize,
}

/// One screen as ANSI: clear and home, then the cells with their styles.
pub fn ansi_screen(app: &App, width: u16, height: u16) -> io::Result<(Buffer, String)> {
    let mut bytes: Vec<u8> = CLEAR.as_bytes().to_vec();
    let buffer = {
        let backend = CrosstermBackend::new(&mut bytes);
        // A fixed viewport never asks the (absent) terminal for its size or
        // cursor; a fresh terminal has an empty previous frame, so every
        // non-blank cell is written.
        let mut terminal = Terminal::with_options(
            backend,
            TerminalOptions {
                viewport: Viewport::Fixed(Rect::new(0, 0, width, height)),
            },
        )?;
        let frame = terminal.draw(|f| crate::render(f, app))?;
        frame.buffer.clone()
    };
    Ok((buffer, String::from_utf8_lossy(&bytes).into_owned()))
}

/// Seconds rounded to the microsecond (a stable, short JSON number).
fn round_us(t: f64) -> f64 {
    (t * 1e6).round() / 1e6
}

/// Writes the recording of `rec` to `out`.
pub fn write(
    rec: &Recording,
    theme: Theme,
    opts: &CastOptions,
    out: &mut dyn Write,
) -> io::Result<CastStats> {
    let title = rec
        .records
        .iter()
        .find_map(|r| match r.event() {
            Some(Event::SessionStart {
                runbook_title,
                session_id,
                operator,
                ticket,
                ..
            }) => Some(format!(
                "cutover replay: {runbook_title} ({session_id}); operator {operator}{}; {}",
                ticket
                    .as_deref()
                    .map(|t| format!(", ticket {t}"))
                    .unwrap_or_default(),
                rec.signature_summary()
            )),
            _ => None,
        })
        .unwrap_or_else(|| format!("cutover replay: {}", rec.path.display()));
    let header = json!({
        "version": 2,
        "width": opts.width,
        "height": opts.height,
        "timestamp": rec.records.first().map_or(0, |r| r.ts.unix_timestamp()),
        "title": title,
        "env": {"TERM": "xterm-256color", "SHELL": "/bin/sh"},
    });
    writeln!(out, "{header}")?;

    let times: Vec<f64> = if schedule::is_instant(opts.speed) {
        (0..rec.records.len())
            .map(|i| i as f64 * INSTANT_STEP)
            .collect()
    } else {
        schedule::offsets(&rec.records, opts.speed, opts.max_gap)
    };
    let mut app = App::new(state_at(rec, 0), theme)
        .with_replay(true)
        .with_why(rec.why.clone())
        .with_monitor_every(rec.monitor_every);
    let mut last: Option<Buffer> = None;
    let mut frames = 0;
    for (r, t) in rec.records.iter().zip(times) {
        app.set_now(r.ts);
        if let Some(e) = r.event() {
            app.apply_at(e, r.ts);
        }
        let (buffer, data) = ansi_screen(&app, opts.width, opts.height)?;
        if last.as_ref() == Some(&buffer) {
            continue;
        }
        let line = serde_json::to_string(&(round_us(t), "o", data)).map_err(io::Error::other)?;
        writeln!(out, "{line}")?;
        last = Some(buffer);
        frames += 1;
    }
    out.flush()?;
    Ok(CastStats { frames })
}
