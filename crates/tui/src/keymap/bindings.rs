//! The command list itself: every binding, and the conditions under which
//! each works. Key handling, the footer and the help all read this one
//! table, so its order is also the help's order and the first match wins.

use crossterm::event::KeyCode;

use super::{Binding, Section, code, ctrl, k};
use crate::app::{Action, App, Confirm, GateStage, Mode, Pane};

fn normal(app: &App) -> bool {
    app.mode() == Mode::Normal
}
fn normal_ended(app: &App) -> bool {
    normal(app) && (app.state.is_ended() || app.replay || app.engine_closed)
}
fn normal_open(app: &App) -> bool {
    normal(app) && !normal_ended(app)
}
fn help(app: &App) -> bool {
    app.mode() == Mode::Help
}
fn normal_or_help(app: &App) -> bool {
    normal(app) || help(app)
}
fn filter(app: &App) -> bool {
    app.mode() == Mode::Filter
}
fn normal_filtered(app: &App) -> bool {
    normal(app) && !app.routes.filter.is_empty()
}
fn detail_raw(app: &App) -> bool {
    normal(app) && matches!(app.focus, Pane::Steps | Pane::Detail)
}
fn sources(app: &App) -> bool {
    normal(app) && matches!(app.focus, Pane::Routes | Pane::Trace)
}
fn following_not(app: &App) -> bool {
    normal(app) && (app.selected_step.is_some() || app.routes.pinned || app.trace_pinned)
}
fn healthy(app: &App) -> bool {
    normal(app) && app.can_confirm_healthy()
}
fn rollback(app: &App) -> bool {
    normal(app) && app.can_rollback()
}
fn take_over(app: &App) -> bool {
    normal(app) && app.can_take_over()
}
fn gate_text(app: &App) -> bool {
    matches!(
        app.mode(),
        Mode::Gate(GateStage::Reason)
            | Mode::Gate(GateStage::Acknowledge)
            | Mode::Gate(GateStage::Confirm)
    )
}
fn gate_reason(app: &App) -> bool {
    app.mode() == Mode::Gate(GateStage::Reason)
}
fn gate_acknowledge(app: &App) -> bool {
    app.mode() == Mode::Gate(GateStage::Acknowledge)
}
fn gate_confirm(app: &App) -> bool {
    app.mode() == Mode::Gate(GateStage::Confirm)
}
fn gate_back(app: &App) -> bool {
    gate_acknowledge(app)
        || (gate_confirm(app) && app.state.open_gate().is_some_and(|g| g.needs_reason()))
}
fn gate_decline(app: &App) -> bool {
    matches!(app.mode(), Mode::Gate(GateStage::Decline { .. }))
}
fn gate_any(app: &App) -> bool {
    matches!(app.mode(), Mode::Gate(_))
}
fn asking(app: &App) -> bool {
    matches!(app.mode(), Mode::Confirm(_))
}
fn asking_quit(app: &App) -> bool {
    app.mode() == Mode::Confirm(Confirm::Quit)
}
fn asking_healthy(app: &App) -> bool {
    app.mode() == Mode::Confirm(Confirm::Healthy)
}
fn mark(app: &App) -> bool {
    normal(app) && app.can_mark()
}
fn debrief(app: &App) -> bool {
    normal(app) && app.state.answers.score.is_some()
}
fn hint(app: &App) -> bool {
    normal(app) && (app.can_hint() || app.hint_open.is_some())
}
fn hint_open(app: &App) -> bool {
    normal(app) && app.hint_open.is_some()
}
fn text_edit(app: &App) -> bool {
    gate_text(app) || filter(app)
}

/// Every key binding, in help order. The first entry whose key matches
/// and whose `when` holds wins.
pub static BINDINGS: &[Binding] = &[
    // -- questions first: they sit on top of everything
    Binding {
        keys: &[k('y')],
        action: Action::Yes,
        label: "yes, quit",
        help: "yes: leave (rolls a guarded change back first)",
        section: Section::Confirm,
        footer: true,
        when: asking_quit,
    },
    Binding {
        keys: &[k('y')],
        action: Action::Yes,
        label: "yes, healthy",
        help: "yes: the new state is healthy (stops the automatic rollback)",
        section: Section::Confirm,
        footer: true,
        when: asking_healthy,
    },
    Binding {
        keys: &[k('n'), code(KeyCode::Esc)],
        action: Action::No,
        label: "no",
        help: "no: back, nothing is sent",
        section: Section::Confirm,
        footer: true,
        when: asking,
    },
    // -- the gate
    Binding {
        keys: &[code(KeyCode::Enter)],
        action: Action::Submit,
        label: "next",
        help: "accept the override reason (at least 20 characters), then type OVERRIDE",
        section: Section::Gate,
        footer: true,
        when: gate_reason,
    },
    Binding {
        keys: &[code(KeyCode::Enter)],
        action: Action::Submit,
        label: "next",
        help: "accept OVERRIDE, then type the confirmation",
        section: Section::Gate,
        footer: true,
        when: gate_acknowledge,
    },
    Binding {
        keys: &[code(KeyCode::Enter)],
        action: Action::Submit,
        label: "confirm",
        help: "pass the gate (only when the typed text matches exactly)",
        section: Section::Gate,
        footer: true,
        when: gate_confirm,
    },
    Binding {
        keys: &[code(KeyCode::BackTab)],
        action: Action::BackToReason,
        label: "back",
        help: "back to the previous field of the override (OVERRIDE, then the reason)",
        section: Section::Gate,
        footer: true,
        when: gate_back,
    },
    Binding {
        keys: &[code(KeyCode::Esc)],
        action: Action::Cancel,
        label: "decline…",
        help: "decline the change (asks once more)",
        section: Section::Gate,
        footer: true,
        when: gate_text,
    },
    Binding {
        keys: &[k('y')],
        action: Action::Yes,
        label: "yes, decline",
        help: "decline: nothing is changed, the session ends (exit 1)",
        section: Section::Gate,
        footer: true,
        when: gate_decline,
    },
    Binding {
        keys: &[k('n'), code(KeyCode::Esc)],
        action: Action::No,
        label: "back",
        help: "back to the gate",
        section: Section::Gate,
        footer: true,
        when: gate_decline,
    },
    Binding {
        keys: &[ctrl('c')],
        action: Action::RequestQuit,
        label: "quit…",
        help: "leave (asks first)",
        section: Section::Gate,
        footer: false,
        when: gate_any,
    },
    // -- text fields
    Binding {
        keys: &[code(KeyCode::Backspace)],
        action: Action::Backspace,
        label: "erase",
        help: "erase the last character",
        section: Section::Input,
        footer: false,
        when: text_edit,
    },
    Binding {
        keys: &[ctrl('u')],
        action: Action::ClearInput,
        label: "clear",
        help: "clear the field",
        section: Section::Input,
        footer: true,
        when: text_edit,
    },
    Binding {
        keys: &[code(KeyCode::Enter)],
        action: Action::Submit,
        label: "keep filter",
        help: "keep the filter and leave the field",
        section: Section::Input,
        footer: true,
        when: filter,
    },
    Binding {
        keys: &[code(KeyCode::Esc)],
        action: Action::Cancel,
        label: "drop filter",
        help: "drop the filter",
        section: Section::Input,
        footer: true,
        when: filter,
    },
    // -- guarded change
    Binding {
        keys: &[k('h')],
        action: Action::ConfirmHealthy,
        label: "healthy…",
        help: "confirm the new state healthy (asks first; stops the countdown)",
        section: Section::Guard,
        footer: true,
        when: healthy,
    },
    Binding {
        keys: &[k('R')],
        action: Action::Rollback,
        label: "ROLL BACK",
        help: "roll the change back now",
        section: Section::Guard,
        footer: true,
        when: rollback,
    },
    Binding {
        keys: &[k('T')],
        action: Action::TakeOver,
        label: "TAKE OVER",
        help: "stop retrying a failing rollback: you restore the peering by hand (exit 4)",
        section: Section::Guard,
        footer: true,
        when: take_over,
    },
    // -- drills
    Binding {
        keys: &[code(KeyCode::Esc)],
        action: Action::CloseHint,
        label: "close hint",
        help: "close the hint",
        section: Section::Drill,
        footer: true,
        when: hint_open,
    },
    Binding {
        keys: &[k('P')],
        action: Action::MarkPass,
        label: "mark pass",
        help: "blind drill: mark the selected check passed, from its output (the gate opens once every pre-check is marked)",
        section: Section::Drill,
        footer: true,
        when: mark,
    },
    Binding {
        keys: &[k('F')],
        action: Action::MarkFail,
        label: "mark fail",
        help: "blind drill: mark the selected check failed, from its output",
        section: Section::Drill,
        footer: true,
        when: mark,
    },
    Binding {
        keys: &[k('H')],
        action: Action::Hint,
        label: "hint",
        help: "drill: show the selected step's hint (what to look at; each step's first costs points)",
        section: Section::Drill,
        footer: true,
        when: hint,
    },
    Binding {
        keys: &[k('D')],
        action: Action::ToggleDebrief,
        label: "debrief",
        help: "drill: hide the debrief to look at the panes under it, or show it again",
        section: Section::Drill,
        footer: true,
        when: debrief,
    },
    // -- panes
    Binding {
        keys: &[code(KeyCode::Tab)],
        action: Action::FocusNext,
        label: "next pane",
        help: "focus the next pane",
        section: Section::Panes,
        footer: true,
        when: normal,
    },
    Binding {
        keys: &[code(KeyCode::BackTab)],
        action: Action::FocusPrev,
        label: "prev pane",
        help: "focus the previous pane",
        section: Section::Panes,
        footer: false,
        when: normal,
    },
    Binding {
        keys: &[k('1')],
        action: Action::Focus(Pane::Steps),
        label: "steps",
        help: "focus Steps",
        section: Section::Panes,
        footer: false,
        when: normal,
    },
    Binding {
        keys: &[k('2')],
        action: Action::Focus(Pane::Detail),
        label: "detail",
        help: "focus Step detail",
        section: Section::Panes,
        footer: false,
        when: normal,
    },
    Binding {
        keys: &[k('3')],
        action: Action::Focus(Pane::Routes),
        label: "routes",
        help: "focus Routes",
        section: Section::Panes,
        footer: false,
        when: normal,
    },
    Binding {
        keys: &[k('4')],
        action: Action::Focus(Pane::Tunnels),
        label: "tunnels",
        help: "focus Tunnels & BGP",
        section: Section::Panes,
        footer: false,
        when: normal,
    },
    Binding {
        keys: &[k('5')],
        action: Action::Focus(Pane::Trace),
        label: "trace",
        help: "focus Traceroute",
        section: Section::Panes,
        footer: false,
        when: normal,
    },
    Binding {
        keys: &[k('6')],
        action: Action::Focus(Pane::Log),
        label: "log",
        help: "focus Notes & log",
        section: Section::Panes,
        footer: false,
        when: normal,
    },
    Binding {
        keys: &[k('k'), code(KeyCode::Up)],
        action: Action::Up,
        label: "up",
        help: "previous step / scroll up",
        section: Section::Panes,
        footer: false,
        when: normal_or_help,
    },
    Binding {
        keys: &[k('j'), code(KeyCode::Down)],
        action: Action::Down,
        label: "move",
        help: "next step / scroll down",
        section: Section::Panes,
        footer: true,
        when: normal_or_help,
    },
    Binding {
        keys: &[code(KeyCode::PageUp)],
        action: Action::PageUp,
        label: "page up",
        help: "scroll a page up",
        section: Section::Panes,
        footer: false,
        when: normal,
    },
    Binding {
        keys: &[code(KeyCode::PageDown)],
        action: Action::PageDown,
        label: "page down",
        help: "scroll a page down",
        section: Section::Panes,
        footer: false,
        when: normal,
    },
    Binding {
        keys: &[k('g'), code(KeyCode::Home)],
        action: Action::Top,
        label: "top",
        help: "to the top",
        section: Section::Panes,
        footer: false,
        when: normal,
    },
    Binding {
        keys: &[k('G'), code(KeyCode::End)],
        action: Action::Bottom,
        label: "bottom",
        help: "to the bottom",
        section: Section::Panes,
        footer: false,
        when: normal,
    },
    Binding {
        keys: &[k('f')],
        action: Action::Follow,
        label: "follow",
        help: "follow the session again: the running step, the freshest table and trace",
        section: Section::Panes,
        footer: true,
        when: following_not,
    },
    Binding {
        keys: &[k('r')],
        action: Action::ToggleRaw,
        label: "raw output",
        help: "show the selected step's raw device/API output, or its summary",
        section: Section::Panes,
        footer: true,
        when: detail_raw,
    },
    Binding {
        keys: &[k('/')],
        action: Action::StartFilter,
        label: "filter",
        help: "filter routes by prefix (10.17, 10.17.11.0/24, or an address)",
        section: Section::Panes,
        footer: true,
        when: normal,
    },
    Binding {
        keys: &[code(KeyCode::Esc)],
        action: Action::ClearFilter,
        label: "drop filter",
        help: "drop the route filter",
        section: Section::Panes,
        footer: true,
        when: normal_filtered,
    },
    Binding {
        keys: &[k(']')],
        action: Action::NextSource,
        label: "next table",
        help: "next route table (Routes) or traceroute (Traceroute)",
        section: Section::Panes,
        footer: true,
        when: sources,
    },
    Binding {
        keys: &[k('[')],
        action: Action::PrevSource,
        label: "prev",
        help: "previous route table or traceroute",
        section: Section::Panes,
        footer: false,
        when: sources,
    },
    // -- anywhere
    Binding {
        keys: &[k('?')],
        action: Action::ToggleHelp,
        label: "help",
        help: "show or hide this help",
        section: Section::Global,
        footer: true,
        when: normal_or_help,
    },
    Binding {
        keys: &[code(KeyCode::Esc)],
        action: Action::Cancel,
        label: "close",
        help: "close the help",
        section: Section::Global,
        footer: true,
        when: help,
    },
    Binding {
        keys: &[k('q'), ctrl('c')],
        action: Action::RequestQuit,
        label: "quit…",
        help: "leave; while the session runs it asks first, and a guarded change is rolled back",
        section: Section::Global,
        footer: true,
        when: normal_open,
    },
    Binding {
        keys: &[k('q'), ctrl('c')],
        action: Action::RequestQuit,
        label: "quit",
        help: "leave (the session has ended)",
        section: Section::Global,
        footer: true,
        when: normal_ended,
    },
];
