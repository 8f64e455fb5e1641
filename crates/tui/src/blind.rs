//! A blind drill's steps as the trainee sees them before the gate: a
//! check whose result is in shows the trainee's own mark (`p`, `f`) or `?`
//! while unmarked, never its verdict, in a neutral colour; expectations
//! show their clause without ✓/✗ or evidence. The marks are the journaled
//! ones (`SessionState::answers`).

use ratatui::style::Style;
use ratatui::text::Span;

use super::app::App;
use super::steps::{mark, status_style};
use cutover_core::session::drill::Mark;
use cutover_core::session::state::StepState;

/// Whether `step`'s verdict is hidden now.
pub fn hides(app: &App, step: &StepState) -> bool {
    app.verdicts_hidden() && step.info.kind == "check" && step.status.is_done()
}

/// The status mark of `step` as shown: its verdict, or in a blind drill
/// before the gate the trainee's mark.
pub fn mark_span(app: &App, step: &StepState) -> Span<'static> {
    if !hides(app, step) {
        return Span::styled(mark(step.status), status_style(app, step.status));
    }
    let (m, style): (&str, Style) = match app.state.answers.mark_of(&step.info.id) {
        Some(r) if r.mark == Mark::Pass => ("p", app.theme.text),
        Some(_) => ("f", app.theme.text),
        None => ("?", app.theme.accent),
    };
    Span::styled(m, style)
}

/// The status word of `step` as shown.
pub fn status_span(app: &App, step: &StepState) -> Span<'static> {
    if !hides(app, step) {
        let style = status_style(app, step.status);
        // Revealed: the trainee's mark beside the truth.
        return match app
            .state
            .answers
            .mark_of(&step.info.id)
            .filter(|_| app.blind)
        {
            Some(r) => Span::styled(
                format!(
                    "{} · you marked it {}: {}",
                    step.status.as_str(),
                    r.mark,
                    if r.correct() { "right" } else { "WRONG" }
                ),
                style,
            ),
            None => Span::styled(step.status.as_str(), style),
        };
    }
    let said = match app.state.answers.mark_of(&step.info.id) {
        Some(r) => format!("you marked it {} (the verdict shows at the gate)", r.mark),
        None => "ended: mark it P (pass) or F (fail) from its output".to_string(),
    };
    Span::styled(said, app.theme.accent)
}
