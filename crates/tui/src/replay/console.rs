//! The interactive replay: the live console's panes, fed from the journal.
//!
//! The [`App`] runs in replay mode, so the gate, "healthy?" and rollback
//! keys do nothing and nothing is ever sent anywhere. On top of the
//! console's own keys (panes, scrolling, filter, raw output, help):
//!
//! | key | does |
//! |---|---|
//! | Space | pause / play |
//! | → | one record forward (pauses) |
//! | ← | one record back (pauses): the state is folded again from the start, which is cheap |
//! | + / - | twice / half the speed |
//! | q | quit |
//!
//! [`Player`] holds all of it without a terminal, so tests drive it
//! directly; [`run`] only adds the terminal and the clock.

use std::time::{Duration, Instant};

use crossterm::event::{self, Event as TermEvent, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::schedule::{self, MAX_GAP};
use crate::app::Mode;
use crate::{App, Theme};
use cutover_core::session::state::SessionState;
use cutover_journal::line::format_ts;
use cutover_journal::recording::Recording;

/// The fastest and slowest speeds `+` and `-` reach.
const MAX_SPEED: f64 = 1024.0;
const MIN_SPEED: f64 = 1.0 / 64.0;

/// What the loop does after a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Quit,
}

/// A recording being played: how far, how fast, and the console's state.
#[derive(Debug)]
pub struct Player<'r> {
    rec: &'r Recording,
    theme: Theme,
    pub app: App,
    /// Records applied so far (0 ..= records.len()).
    cursor: usize,
    playing: bool,
    speed: f64,
}

impl<'r> Player<'r> {
    /// Ready to play, nothing applied yet. A `speed` of 0 plays as fast as
    /// possible.
    pub fn new(rec: &'r Recording, theme: Theme, speed: f64) -> Self {
        let app = Self::fresh_app(rec, theme.clone());
        Player {
            rec,
            theme,
            app,
            cursor: 0,
            playing: true,
            speed,
        }
    }

    fn fresh_app(rec: &Recording, theme: Theme) -> App {
        App::new(SessionState::with_classifier(rec.classifier.clone()), theme)
            .with_replay(true)
            .with_why(rec.why.clone())
            .with_monitor_every(rec.monitor_every)
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    pub fn len(&self) -> usize {
        self.rec.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rec.records.is_empty()
    }

    pub fn at_end(&self) -> bool {
        self.cursor >= self.len()
    }

    pub fn is_playing(&self) -> bool {
        self.playing && !self.at_end()
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// Applies the next record; false at the end.
    pub fn forward(&mut self) -> bool {
        let Some(r) = self.rec.records.get(self.cursor) else {
            return false;
        };
        self.app.set_now(r.ts);
        if let Some(e) = r.event() {
            self.app.apply_at(e, r.ts);
        }
        self.cursor += 1;
        true
    }

    /// Goes back one record: folds the first `cursor - 1` records again.
    pub fn back(&mut self) {
        self.seek(self.cursor.saturating_sub(1));
    }

    /// Shows the state after the first `n` records, rebuilt from the
    /// start. What the operator set up on screen (focus, selection, raw
    /// view, route filter) is kept.
    pub fn seek(&mut self, n: usize) {
        let n = n.min(self.len());
        let mut app = Self::fresh_app(self.rec, self.theme.clone());
        app.focus = self.app.focus;
        app.show_raw = self.app.show_raw;
        app.selected_step = self.app.selected_step;
        app.routes.filter = self.app.routes.filter.clone();
        let records = &self.rec.records[..n];
        let events: Vec<_> = records
            .iter()
            .filter_map(|r| Some((r.event()?, r.ts)))
            .collect();
        if let Some(r) = records.last() {
            app.set_now(r.ts);
        }
        // The state alone for all but the last event, then the last one
        // through the app so its view (tables, traces, rows) follows once.
        if let Some(((last, at), before)) = events.split_last() {
            for (e, at) in before {
                app.state.apply_at(e, *at);
            }
            app.apply_at(last, *at);
        }
        self.app = app;
        self.cursor = n;
    }

    /// How long to wait before the next record, at the current speed.
    pub fn wait_next(&self) -> Option<Duration> {
        let next = self.rec.records.get(self.cursor)?;
        let Some(prev) = self
            .cursor
            .checked_sub(1)
            .and_then(|i| self.rec.records.get(i))
        else {
            return Some(Duration::ZERO);
        };
        Some(schedule::wait(
            schedule::gap(prev.ts, next.ts, MAX_GAP),
            self.speed,
        ))
    }

    /// A key from the terminal. The replay's own keys work when no text is
    /// being typed (route filter) and no popup is up; the rest go to the
    /// console, whose commands are dropped (a replay sends nothing).
    pub fn key(&mut self, key: KeyEvent) -> Flow {
        if self.app.mode() == Mode::Normal && !key.modifiers.contains(KeyModifiers::CONTROL) {
            match key.code {
                KeyCode::Char(' ') => {
                    if self.at_end() {
                        // Play again from the start.
                        self.seek(0);
                        self.playing = true;
                    } else {
                        self.playing = !self.playing;
                    }
                    return Flow::Continue;
                }
                KeyCode::Right => {
                    self.playing = false;
                    self.forward();
                    return Flow::Continue;
                }
                KeyCode::Left => {
                    self.playing = false;
                    self.back();
                    return Flow::Continue;
                }
                KeyCode::Char('+') => {
                    self.speed = faster(self.speed);
                    return Flow::Continue;
                }
                KeyCode::Char('-') => {
                    self.speed = slower(self.speed);
                    return Flow::Continue;
                }
                _ => {}
            }
        }
        let _ignored = self.app.handle_key(key);
        if self.app.should_exit() {
            Flow::Quit
        } else {
            Flow::Continue
        }
    }

    /// The status shown in the footer: where the replay is and its keys.
    pub fn status(&self) -> String {
        let at = self
            .cursor
            .checked_sub(1)
            .and_then(|i| self.rec.records.get(i))
            .map_or_else(|| "-".to_string(), |r| format_ts(r.ts));
        let state = if self.at_end() {
            "end".to_string()
        } else if self.playing {
            if schedule::is_instant(self.speed) {
                "playing, fastest".to_string()
            } else {
                format!("playing ×{}", trim_speed(self.speed))
            }
        } else {
            "paused".to_string()
        };
        let tamper = if self.rec.is_tampered() {
            "JOURNAL TAMPERED · "
        } else {
            ""
        };
        format!(
            "{tamper}record {}/{} · {at} · {state} · Space play/pause · ←/→ step · +/- speed",
            self.cursor,
            self.len()
        )
    }
}

fn faster(speed: f64) -> f64 {
    if schedule::is_instant(speed) {
        speed
    } else {
        (speed * 2.0).min(MAX_SPEED)
    }
}

fn slower(speed: f64) -> f64 {
    if schedule::is_instant(speed) {
        // From "as fast as possible" down to a speed that can be watched.
        MAX_SPEED
    } else {
        (speed / 2.0).max(MIN_SPEED)
    }
}

fn trim_speed(s: f64) -> String {
    let t = format!("{s:.3}");
    t.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Raw mode and the alternate screen while it lives, restored on drop.
struct TerminalGuard {
    terminal: ratatui::DefaultTerminal,
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

/// Plays `rec` in the terminal until the operator quits.
pub fn run(rec: &Recording, theme: Theme, speed: f64) -> std::io::Result<()> {
    let mut guard = TerminalGuard {
        terminal: ratatui::try_init()?,
    };
    let mut player = Player::new(rec, theme, speed);
    let mut due = Instant::now();
    loop {
        // Everything that is due, then one frame: at speed 0 the whole
        // journal is folded before the first frame.
        let now = Instant::now();
        while player.is_playing() && due <= now {
            player.forward();
            match player.wait_next() {
                Some(w) => due += w,
                None => break,
            }
        }
        if due < now {
            // Drawing and folding took longer than the journal's gaps.
            due = now;
        }
        player.app.message = Some(player.status());
        guard.terminal.draw(|f| crate::render(f, &player.app))?;
        let timeout = if player.is_playing() {
            due.saturating_duration_since(Instant::now())
        } else {
            // Paused: only keys (and resizes) matter.
            Duration::from_secs(3600)
        };
        if event::poll(timeout)? {
            match event::read()? {
                TermEvent::Key(k) if k.kind != KeyEventKind::Release => {
                    let was_playing = player.is_playing();
                    if player.key(k) == Flow::Quit {
                        break;
                    }
                    if player.is_playing() && !was_playing {
                        due = Instant::now() + player.wait_next().unwrap_or_default();
                    }
                }
                _ => {}
            }
        }
    }
    Ok(())
}
