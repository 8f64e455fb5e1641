//! What a key asks for: the vocabulary between the keymap, which turns
//! keys into actions, and [`App::update`](super::App::update), which turns
//! actions into engine commands.

use super::Pane;

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Leave (asks first while the session is open).
    RequestQuit,
    ToggleHelp,
    /// Hide or show a drill's debrief (to look at the panes under it).
    ToggleDebrief,
    FocusNext,
    FocusPrev,
    Focus(Pane),
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    /// Show the selected step's raw outputs instead of its summary.
    ToggleRaw,
    /// Start typing a route filter.
    StartFilter,
    /// Drop the route filter.
    ClearFilter,
    /// The next/previous table (routes pane) or trace (trace pane).
    NextSource,
    PrevSource,
    /// Let the step selection follow the running step again.
    Follow,
    /// Ask to confirm the guarded change healthy (asks first).
    ConfirmHealthy,
    /// Roll the guarded change back now.
    Rollback,
    /// Stop retrying an escalated rollback: the operator restores the
    /// peering by hand (exit 4).
    TakeOver,
    /// A character typed into the field being edited.
    Char(char),
    Backspace,
    ClearInput,
    Submit,
    Cancel,
    /// Back from the confirmation field to the override reason.
    BackToReason,
    Yes,
    No,
    /// Blind drill: mark the selected check pass / fail.
    MarkPass,
    MarkFail,
    /// Drill: show (and spend) the selected step's hint; again to close.
    Hint,
    CloseHint,
}
