//! The console in a blind drill: pre-check verdicts hidden (steps pane,
//! detail) until the gate opens, the trainee's marks shown instead, the
//! `P`/`F` keys sending marks and `H` the hint popup; snapshots reviewed.

use std::collections::HashMap;

use crate::ui_support::*;
use cutover_core::session::drill::Mark;
use cutover_core::session::event::{Event, Verdict};
use cutover_core::session::{Command, state::SessionState};
use cutover_tui::app::{Action, App, Pane};
use cutover_tui::{Theme, buffer_text, render_to_string};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const BGP: &str = "fw-bgp-to-vpn-gateway";

fn hints() -> HashMap<String, String> {
    [(
        BGP.to_string(),
        "Read the State column for 10.17.11.76 and 10.17.11.77: Established shows prefix counts; Active, Connect or Idle means no session over the tunnel.".to_string(),
    )]
    .into_iter()
    .collect()
}

/// A blind drill's console with `events` folded in.
fn blind_app(events: &[Event]) -> App {
    let theme = Theme::bundled("dark").expect("dark theme");
    let mut app = App::new(SessionState::new(classifier()), theme)
        .with_why(why())
        .with_drill(true, hints());
    app.set_now(now());
    for e in events {
        app.apply(e);
    }
    app
}

fn mark(check: &str, mark: Mark, truth: Verdict) -> Event {
    Event::DrillMark {
        check: check.into(),
        mark,
        truth,
        after_ms: 4_000,
    }
}

fn steps_and_detail(app: &App) -> (String, String) {
    let draw = |f: fn(&mut ratatui::Frame<'_>, ratatui::layout::Rect, &App), w, h| {
        let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
        t.draw(|fr| f(fr, fr.area(), app)).expect("draw");
        buffer_text(t.backend().buffer())
    };
    (
        draw(cutover_tui::steps::render, 70, 14),
        draw(cutover_tui::detail::render, 90, 16),
    )
}

fn select(app: &mut App, id: &str) {
    app.update(Action::Focus(Pane::Steps));
    let i = app.state.step_index(id).expect("step");
    app.update(Action::Top);
    for _ in 0..i {
        app.update(Action::Down);
    }
}

#[test]
fn blind_precheck_verdicts_are_hidden_until_the_gate_and_marks_show_instead() {
    let mut events = checks(false);
    events.push(mark("ce1-advertises-onprem", Mark::Pass, Verdict::Passed));
    events.push(mark(BGP, Mark::Pass, Verdict::Failed));
    let mut app = blind_app(&events);
    select(&mut app, BGP);
    let (steps, detail) = steps_and_detail(&app);
    for screen in [&steps, &detail] {
        assert!(!screen.contains('✓') && !screen.contains('✗'), "{screen}");
        assert!(
            !screen.contains("failed") && !screen.contains("passed"),
            "{screen}"
        );
    }
    assert!(detail.contains("you marked it pass"), "{detail}");
    insta::assert_snapshot!("blind_steps", steps);
    insta::assert_snapshot!("blind_detail", detail);

    // The footer offers the marks on a judged check.
    let screen = render_to_string(&app, 120, 36);
    let footer = screen.lines().last().unwrap_or_default();
    assert!(
        footer.contains("mark pass") && footer.contains("mark fail"),
        "{footer}"
    );
    assert_eq!(
        app.update(Action::MarkFail),
        Some(Command::Mark {
            check: BGP.into(),
            mark: Mark::Fail
        })
    );

    // The help lists the drill keys in drills only.
    let help = |app: &App| {
        cutover_tui::help::lines(app)
            .iter()
            .map(|l| l.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(help(&app).contains("Drill (blind marks, hints)"));
    let theme = Theme::bundled("dark").expect("dark theme");
    let run = App::new(SessionState::new(classifier()), theme);
    assert!(!help(&run).contains("Drill"), "{}", help(&run));

    // The gate's prompt shows the truth.
    app.apply(&gate_prompt(&[BGP]));
    let (steps, detail) = steps_and_detail(&app);
    assert!(steps.contains('✗'), "{steps}");
    assert!(
        detail.contains("failed · you marked it pass: WRONG"),
        "{detail}"
    );
    assert!(!app.can_mark(), "marks close once the gate opened");

    // Not blind: the verdicts show as ever, and no mark keys.
    let theme = Theme::bundled("dark").expect("dark theme");
    let mut plain = App::new(SessionState::new(classifier()), theme).with_drill(false, hints());
    for e in &checks(false) {
        plain.apply(e);
    }
    let (steps, _) = steps_and_detail(&plain);
    assert!(steps.contains('✗'), "{steps}");
    assert_eq!(plain.update(Action::MarkPass), None);
}

#[test]
fn the_hint_popup_shows_the_steps_hint_and_asks_the_engine_once() {
    let mut app = blind_app(&checks(false));
    select(&mut app, BGP);
    assert_eq!(
        app.update(Action::Hint),
        Some(Command::Hint { step: BGP.into() })
    );
    insta::assert_snapshot!("hint_popup", render_to_string(&app, 100, 30));
    assert_eq!(app.update(Action::CloseHint), None);
    assert!(app.open_hint().is_none());
    // Journaled: asking again shows it without spending another.
    app.apply(&Event::DrillHint {
        step: BGP.into(),
        text: hints()[BGP].clone(),
    });
    assert_eq!(app.update(Action::Hint), None);
    assert!(app.open_hint().is_some());
    // A step without a hint offers none.
    select(&mut app, "ce1-advertises-onprem");
    app.update(Action::CloseHint);
    assert!(!app.can_hint());
}
