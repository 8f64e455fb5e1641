//! Keys as data. One table says which key does what, when it works, and
//! how it is labelled; the footer shows the entries that work now, the `?`
//! overlay shows them all, and key handling reads the same table, so the
//! three can never disagree.

mod bindings;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::app::{Action, App};

pub use bindings::BINDINGS;

/// One key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
}

const fn k(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        ctrl: false,
    }
}

const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        ctrl: true,
    }
}

const fn code(code: KeyCode) -> Key {
    Key { code, ctrl: false }
}

impl Key {
    pub fn matches(&self, ev: &KeyEvent) -> bool {
        let has_ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        if has_ctrl != self.ctrl || ev.modifiers.contains(KeyModifiers::ALT) {
            return false;
        }
        // Shift is part of the character itself (`R`, `?`); terminals
        // differ in whether they also report the modifier.
        match (self.code, ev.code) {
            (KeyCode::Char(a), KeyCode::Char(b)) => a == b,
            (KeyCode::BackTab, KeyCode::Tab) => ev.modifiers.contains(KeyModifiers::SHIFT),
            (a, b) => a == b,
        }
    }

    pub fn name(&self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "S-Tab".into(),
            KeyCode::Backspace => "Bksp".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            other => format!("{other:?}"),
        };
        if self.ctrl {
            format!("Ctrl-{}", base.to_uppercase())
        } else {
            base
        }
    }
}

/// Where a binding is listed in the help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Global,
    Panes,
    Guard,
    Gate,
    Input,
    Confirm,
    Drill,
}

impl Section {
    pub const ALL: [Section; 7] = [
        Section::Global,
        Section::Panes,
        Section::Guard,
        Section::Drill,
        Section::Gate,
        Section::Input,
        Section::Confirm,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Section::Global => "Anywhere",
            Section::Panes => "Panes",
            Section::Guard => "Guarded change (during the countdown)",
            Section::Gate => "Gate (typing the confirmation)",
            Section::Input => "Route filter (after /)",
            Section::Confirm => "Questions (quit? healthy?)",
            Section::Drill => "Drill (blind marks, hints)",
        }
    }
}

/// One entry of the keymap.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub keys: &'static [Key],
    pub action: Action,
    /// Short, for the footer.
    pub label: &'static str,
    /// One line, for the help.
    pub help: &'static str,
    pub section: Section,
    /// Listed in the footer when it works.
    pub footer: bool,
    /// When it works.
    pub when: fn(&App) -> bool,
}

impl Binding {
    pub fn key_names(&self) -> String {
        self.keys
            .iter()
            .map(Key::name)
            .collect::<Vec<_>>()
            .join("/")
    }

    pub fn available(&self, app: &App) -> bool {
        (self.when)(app)
    }
}

/// The action a key stands for now, if any.
pub fn action_for(app: &App, ev: &KeyEvent) -> Option<Action> {
    if ev.kind == KeyEventKind::Release {
        return None;
    }
    if let Some(b) = BINDINGS
        .iter()
        .find(|b| b.available(app) && b.keys.iter().any(|key| key.matches(ev)))
    {
        return Some(b.action);
    }
    if app.mode().is_text_input()
        && let KeyCode::Char(c) = ev.code
        && !ev
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        && !c.is_control()
    {
        return Some(Action::Char(c));
    }
    None
}

/// The bindings the footer lists now, one per label.
pub fn footer_bindings(app: &App) -> Vec<&'static Binding> {
    let mut out: Vec<&'static Binding> = Vec::new();
    for b in BINDINGS.iter().filter(|b| b.footer && b.available(app)) {
        if !out.iter().any(|o| o.label == b.label) {
            out.push(b);
        }
    }
    out
}
