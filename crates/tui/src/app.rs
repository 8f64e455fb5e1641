//! The console's state: the session as folded from events, plus what only
//! the screen cares about (focus, selection, scroll offsets, what the
//! operator is typing). Keys become [`Action`]s through the keymap;
//! [`App::update`] turns an action into at most one engine [`Command`].
//!
//! Nothing here waits for anything: the loop in `cutover_tui::run_console` feeds
//! keys, events and clock ticks in, and sends the commands out.

mod action;
mod drill;
mod gate;
mod routes;

use std::collections::HashMap;
use std::fmt;

use crossterm::event::KeyEvent;
use time::OffsetDateTime;
use tui_logger::{TuiWidgetEvent, TuiWidgetState};

use super::keymap;
use super::theme::Theme;
use cutover_core::session::state::{GuardPhase, SessionState};
use cutover_core::session::{Command, Event};

pub use action::Action;
pub use gate::{Confirm, GateField, GateInput, GateStage};
pub use routes::RoutesUi;

/// The panes, in focus order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pane {
    Steps,
    Detail,
    Routes,
    Tunnels,
    Trace,
    Log,
}

impl Pane {
    pub const ALL: [Pane; 6] = [
        Pane::Steps,
        Pane::Detail,
        Pane::Routes,
        Pane::Tunnels,
        Pane::Trace,
        Pane::Log,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Pane::Steps => "Steps",
            Pane::Detail => "Step detail",
            Pane::Routes => "Routes",
            Pane::Tunnels => "Tunnels & BGP",
            Pane::Trace => "Traceroute",
            Pane::Log => "Notes & log",
        }
    }

    /// A name short enough for the tab bar at 80 columns.
    pub fn short_title(self) -> &'static str {
        match self {
            Pane::Steps => "Steps",
            Pane::Detail => "Detail",
            Pane::Routes => "Routes",
            Pane::Tunnels => "Tunnels",
            Pane::Trace => "Trace",
            Pane::Log => "Log",
        }
    }

    /// The digit that focuses it.
    pub fn number(self) -> usize {
        Pane::ALL.iter().position(|p| *p == self).unwrap_or(0) + 1
    }

    fn next(self, delta: isize) -> Pane {
        let n = Pane::ALL.len() as isize;
        let i = (self.number() as isize - 1 + delta).rem_euclid(n);
        Pane::ALL.get(i as usize).copied().unwrap_or(Pane::Steps)
    }
}

/// Which key set applies now (the keymap's `when`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Normal,
    Filter,
    Help,
    Gate(GateStage),
    Confirm(Confirm),
}

impl Mode {
    /// Whether printable keys are text for a field.
    pub fn is_text_input(self) -> bool {
        matches!(
            self,
            Mode::Filter
                | Mode::Gate(GateStage::Reason)
                | Mode::Gate(GateStage::Acknowledge)
                | Mode::Gate(GateStage::Confirm)
        )
    }
}

/// The tui-logger widget state has no `Debug`.
pub struct LogState(pub TuiWidgetState);

impl fmt::Debug for LogState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LogState")
    }
}

/// The whole console.
#[derive(Debug)]
pub struct App {
    pub state: SessionState,
    pub theme: Theme,
    pub focus: Pane,
    /// `None`: follow the running step.
    pub selected_step: Option<usize>,
    pub show_raw: bool,
    pub detail_scroll: usize,
    pub routes: RoutesUi,
    pub tunnels_scroll: usize,
    pub trace: usize,
    /// The operator chose the trace; otherwise the freshest one shows.
    pub trace_pinned: bool,
    pub trace_scroll: usize,
    pub notes_scroll: usize,
    pub log: LogState,
    pub help: bool,
    /// The trainee put the debrief away (`D` brings it back).
    pub debrief_hidden: bool,
    pub help_scroll: usize,
    pub gate: Option<GateInput>,
    pub confirm: Option<Confirm>,
    /// The runbook's why-text per step id (events do not carry it).
    pub why: HashMap<String, String>,
    /// The clock the countdown reads: the loop sets it every second, a
    /// replay from the journal's timestamps.
    pub now: OffsetDateTime,
    /// Played back from a journal: no gate input, no guard keys, nothing
    /// sent to an engine.
    pub replay: bool,
    /// The live monitor's period (the runbook's `monitor_every`): a pane
    /// whose data is older than two of them is marked stale.
    pub monitor_every: Option<std::time::Duration>,
    /// One line for the operator (a command that could not be sent, ...).
    pub message: Option<String>,
    /// A guard command sent and not yet answered by an event, per step.
    pub guard_request: Option<(String, Command)>,
    pub quit_sent: bool,
    pub engine_closed: bool,
    /// A blind drill (`drill --blind`): see `app/drill.rs`.
    pub blind: bool,
    /// The runbook's hints per step id, in a drill.
    pub hints: HashMap<String, String>,
    /// The step whose hint popup is open.
    pub hint_open: Option<String>,
    exit: bool,
}

impl App {
    pub fn new(state: SessionState, theme: Theme) -> Self {
        let mut app = Self {
            state,
            theme,
            focus: Pane::Steps,
            selected_step: None,
            show_raw: false,
            detail_scroll: 0,
            routes: RoutesUi::default(),
            tunnels_scroll: 0,
            trace: 0,
            trace_pinned: false,
            trace_scroll: 0,
            notes_scroll: 0,
            log: LogState(TuiWidgetState::new()),
            help: false,
            debrief_hidden: false,
            help_scroll: 0,
            gate: None,
            confirm: None,
            why: HashMap::new(),
            now: OffsetDateTime::UNIX_EPOCH,
            replay: false,
            monitor_every: None,
            message: None,
            guard_request: None,
            quit_sent: false,
            engine_closed: false,
            blind: false,
            hints: HashMap::new(),
            hint_open: None,
            exit: false,
        };
        app.sync();
        app
    }

    /// The runbook's why-text for each step.
    pub fn with_why(mut self, why: HashMap<String, String>) -> Self {
        self.why = why;
        self
    }

    pub fn with_replay(mut self, replay: bool) -> Self {
        self.replay = replay;
        self
    }

    /// The live monitor's period, against which the panes' ages are read.
    pub fn with_monitor_every(mut self, every: Option<std::time::Duration>) -> Self {
        self.monitor_every = every;
        self
    }

    /// The clock the panes' ages are read against: the console's.
    pub fn data_clock(&self) -> Option<OffsetDateTime> {
        Some(self.now)
    }

    pub fn set_now(&mut self, now: OffsetDateTime) {
        self.now = now;
    }

    /// Whether the loop should end.
    pub fn should_exit(&self) -> bool {
        self.exit
    }

    /// Folds in an event that happened (or arrived) at `at`: the live
    /// panes count their data's age from it.
    pub fn apply_at(&mut self, event: &Event, at: OffsetDateTime) {
        self.state.clock = Some(at);
        self.apply(event);
    }

    /// Folds an engine event in.
    pub fn apply(&mut self, event: &Event) {
        self.state.apply(event);
        if let Some((step, _)) = &self.guard_request {
            let answered = match event {
                Event::ConfirmHealthy { step: s }
                | Event::RollbackStarted { step: s, .. }
                | Event::ActionCancelled { step: s, .. }
                | Event::StepEnd { step: s, .. } => s == step,
                Event::SessionEnd { .. } => true,
                _ => false,
            };
            if answered {
                self.guard_request = None;
            }
        }
        self.sync();
        if self.quit_sent && self.state.is_ended() {
            self.exit = true;
        }
    }

    /// The engine's event channel closed.
    pub fn engine_closed(&mut self) {
        self.engine_closed = true;
        // After a quit request there is nothing left to wait for; a replay
        // stays on its last frame until the operator leaves.
        if self.quit_sent && !self.replay {
            self.exit = true;
        }
        if !self.state.is_ended() && !self.replay {
            self.message = Some("the engine stopped without ending the session".into());
        }
    }

    /// Which key set applies now.
    pub fn mode(&self) -> Mode {
        if let Some(c) = self.confirm {
            return Mode::Confirm(c);
        }
        if let Some(g) = &self.gate {
            return Mode::Gate(g.stage);
        }
        if self.help {
            return Mode::Help;
        }
        if self.routes.editing {
            return Mode::Filter;
        }
        Mode::Normal
    }

    /// The step the detail pane shows.
    pub fn selected_step(&self) -> Option<usize> {
        let n = self.state.steps.len();
        if n == 0 {
            return None;
        }
        let i =
            self.selected_step
                .or(self.state.current)
                .or_else(|| {
                    self.state.steps.iter().rposition(|s| {
                        s.status != cutover_core::session::state::StepStatus::Pending
                    })
                })
                .unwrap_or(0);
        Some(i.min(n - 1))
    }

    pub fn table(&self) -> Option<&cutover_core::session::state::TableView> {
        self.state.live.tables.get(self.routes.table)
    }

    pub fn trace_view(&self) -> Option<&cutover_core::session::state::TraceView> {
        self.state.live.traces.get(self.trace)
    }

    /// Whether `h` (confirm healthy) can be used now: once the
    /// verification passed, which is when the engine takes it. Never while
    /// the traffic is lost or once a verification failed: the engine rolls
    /// back then, and a key must not race it into keeping a change that
    /// proved wrong.
    pub fn can_confirm_healthy(&self) -> bool {
        !self.replay
            && self.guard_request.is_none()
            && self.state.armed_guard().is_some_and(|g| g.may_confirm())
    }

    /// Whether `R` (roll back now) can be used now.
    pub fn can_rollback(&self) -> bool {
        if self.replay || self.state.is_ended() || self.guard_request.is_some() {
            return false;
        }
        self.state
            .guard()
            .is_some_and(|g| matches!(g.phase(), GuardPhase::Armed | GuardPhase::Applying))
    }

    /// Whether `T` stops an escalated rollback's retries now.
    pub fn can_take_over(&self) -> bool {
        if self.replay || self.state.is_ended() {
            return false;
        }
        self.state.guard().is_some_and(|g| {
            g.phase() == GuardPhase::RollingBack
                && g.rollback.as_ref().is_some_and(|r| r.escalation.is_some())
        })
    }

    /// A key from the terminal.
    pub fn handle_key(&mut self, key: KeyEvent) -> Option<Command> {
        self.message = None;
        let action = keymap::action_for(self, &key)?;
        self.update(action)
    }

    /// Applies one action; returns the command for the engine, if any.
    pub fn update(&mut self, action: Action) -> Option<Command> {
        match self.mode() {
            Mode::Confirm(c) => self.update_confirm(c, action),
            Mode::Gate(_) => self.update_gate(action),
            Mode::Help => {
                match action {
                    Action::ToggleHelp | Action::Cancel | Action::RequestQuit => self.help = false,
                    Action::Up => self.help_scroll = self.help_scroll.saturating_sub(1),
                    Action::Down => self.help_scroll = self.help_scroll.saturating_add(1),
                    _ => {}
                }
                None
            }
            Mode::Filter => self.update_filter(action),
            Mode::Normal => self.update_normal(action),
        }
    }

    fn update_normal(&mut self, action: Action) -> Option<Command> {
        match action {
            Action::RequestQuit => {
                if self.state.is_ended() || self.replay || self.engine_closed {
                    self.exit = true;
                } else {
                    self.confirm = Some(Confirm::Quit);
                }
            }
            Action::ToggleHelp => {
                self.help = true;
                self.help_scroll = 0;
            }
            Action::ToggleDebrief => self.debrief_hidden = !self.debrief_hidden,
            Action::FocusNext => self.focus = self.focus.next(1),
            Action::FocusPrev => self.focus = self.focus.next(-1),
            Action::Focus(p) => self.focus = p,
            Action::Up => self.scroll(-1),
            Action::Down => self.scroll(1),
            Action::PageUp => self.scroll(-10),
            Action::PageDown => self.scroll(10),
            Action::Top => self.scroll(isize::MIN / 2),
            Action::Bottom => self.scroll(isize::MAX / 2),
            Action::ToggleRaw => {
                self.show_raw = !self.show_raw;
                self.detail_scroll = 0;
            }
            Action::StartFilter => {
                self.focus = Pane::Routes;
                self.routes.editing = true;
            }
            Action::ClearFilter => {
                self.routes.filter.clear();
                self.routes.scroll = 0;
                self.refresh_rows();
            }
            Action::NextSource | Action::PrevSource => {
                let delta = if action == Action::NextSource { 1 } else { -1 };
                if self.focus == Pane::Trace {
                    self.trace = cycle(self.trace, self.state.live.traces.len(), delta);
                    self.trace_pinned = true;
                    self.trace_scroll = 0;
                } else {
                    self.routes.table =
                        cycle(self.routes.table, self.state.live.tables.len(), delta);
                    self.routes.pinned = true;
                    self.routes.scroll = 0;
                    self.refresh_rows();
                }
            }
            Action::Follow => {
                self.selected_step = None;
                self.detail_scroll = 0;
                self.routes.pinned = false;
                self.trace_pinned = false;
                self.sync();
            }
            Action::ConfirmHealthy if self.can_confirm_healthy() => {
                self.confirm = Some(Confirm::Healthy);
            }
            Action::Rollback if self.can_rollback() => {
                let step = self.state.guard().map(|g| g.step.clone())?;
                let cmd = Command::Rollback { step: step.clone() };
                self.guard_request = Some((step, cmd.clone()));
                return Some(cmd);
            }
            Action::TakeOver if self.can_take_over() => {
                let step = self.state.guard().map(|g| g.step.clone())?;
                return Some(Command::TakeOver { step });
            }
            Action::MarkPass | Action::MarkFail | Action::Hint | Action::CloseHint => {
                return self.update_drill(action);
            }
            Action::Cancel if !self.routes.filter.is_empty() => {
                self.routes.filter.clear();
                self.routes.scroll = 0;
                self.refresh_rows();
            }
            _ => {}
        }
        None
    }

    fn scroll(&mut self, delta: isize) {
        let bump = |v: usize| v.saturating_add_signed(delta);
        match self.focus {
            Pane::Steps => {
                let n = self.state.steps.len();
                if n > 0 {
                    let cur = self.selected_step().unwrap_or(0);
                    self.selected_step = Some(bump(cur).min(n - 1));
                    self.detail_scroll = 0;
                }
            }
            Pane::Detail => self.detail_scroll = bump(self.detail_scroll),
            Pane::Routes => {
                let max = self.routes.rows.len().saturating_sub(1);
                self.routes.scroll = bump(self.routes.scroll).min(max);
            }
            Pane::Tunnels => self.tunnels_scroll = bump(self.tunnels_scroll),
            Pane::Trace => self.trace_scroll = bump(self.trace_scroll),
            Pane::Log => {
                let ev = if delta < 0 {
                    TuiWidgetEvent::PrevPageKey
                } else {
                    TuiWidgetEvent::NextPageKey
                };
                self.log.0.transition(ev);
                // Notes count back from the newest.
                self.notes_scroll = self.notes_scroll.saturating_add_signed(-delta);
            }
        }
    }

    /// Brings the UI-only state in line with the session after a change.
    fn sync(&mut self) {
        self.sync_gate();
        let live = &self.state.live;
        let freshest_table =
            (0..live.tables.len()).max_by_key(|&i| live.tables.get(i).map_or(0, |t| t.updated_at));
        let freshest_trace =
            (0..live.traces.len()).max_by_key(|&i| live.traces.get(i).map_or(0, |t| t.updated_at));
        let tables = live.tables.len();
        let traces = live.traces.len();
        if !self.routes.pinned
            && let Some(i) = freshest_table
            && i != self.routes.table
        {
            self.routes.table = i;
            self.routes.scroll = 0;
        }
        if self.routes.table >= tables {
            self.routes.table = tables.saturating_sub(1);
        }
        if !self.trace_pinned
            && let Some(i) = freshest_trace
            && i != self.trace
        {
            self.trace = i;
            self.trace_scroll = 0;
        }
        if self.trace >= traces {
            self.trace = traces.saturating_sub(1);
        }
        self.refresh_rows();
    }
}

fn cycle(i: usize, n: usize, delta: isize) -> usize {
    if n == 0 {
        return 0;
    }
    (i as isize + delta).rem_euclid(n as isize) as usize
}
