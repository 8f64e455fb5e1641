//! Key handling: what the operator's keys send to the engine, and above
//! all what they can never send. Keys go through the real keymap
//! (`App::handle_key` with crossterm key events), as in the console.

use crate::ui_support::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use cutover_core::session::Command;
use cutover_core::session::Event;
use cutover_core::session::event::{GateDecision, RollbackReason};
use cutover_tui::app::{Action, App, GateStage, Mode, Pane};
use cutover_tui::keymap::{BINDINGS, action_for, footer_bindings};
use proptest::prelude::*;

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn ch(c: char) -> KeyEvent {
    let mods = if c.is_ascii_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    KeyEvent::new(KeyCode::Char(c), mods)
}

fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

/// Types `text` key by key; returns every command the keys produced.
fn type_keys(app: &mut App, text: &str) -> Vec<Command> {
    text.chars().filter_map(|c| app.handle_key(ch(c))).collect()
}

fn enter(app: &mut App) -> Option<Command> {
    app.handle_key(key(KeyCode::Enter))
}

fn at_gate(failed: &[&str]) -> App {
    app_with(&cat(&[
        checks(failed.is_empty()),
        vec![gate_prompt(failed)],
    ]))
}

fn is_pass(c: &Command) -> bool {
    matches!(
        c,
        Command::GateConfirm { .. } | Command::GateOverride { .. }
    )
}

// ---------------------------------------------------------------- gate

#[test]
fn exact_confirmation_text_confirms() {
    let mut app = at_gate(&[]);
    assert!(type_keys(&mut app, CIRCUIT).is_empty());
    assert_eq!(
        enter(&mut app),
        Some(Command::GateConfirm {
            step: GATE_STEP.into(),
            typed: CIRCUIT.into()
        })
    );
    // Sent once: more Enters send nothing until the engine answers.
    assert_eq!(enter(&mut app), None);
    assert_eq!(app.mode(), Mode::Gate(GateStage::Sent));
    for e in gate_decision(GateDecision::Confirmed) {
        app.apply(&e);
    }
    assert_eq!(app.mode(), Mode::Normal, "the popup closes on the decision");
}

#[test]
fn wrong_confirmation_text_never_confirms() {
    let near_misses = [
        "",
        "SEA-Cust11-er-circui",
        "SEA-Cust11-er-circuiT",
        "sea-cust11-er-circuit",
        "SEA-Cust11-er-circuit ",
        " SEA-Cust11-er-circuit",
        "SEA-Cust11-er-circuitt",
        "SEA-Cust11-er-circuit\u{200b}",
    ];
    for typed in near_misses {
        let mut app = at_gate(&[]);
        let mut sent = type_keys(&mut app, typed);
        sent.extend(enter(&mut app));
        assert!(sent.is_empty(), "{typed:?} sent {sent:?}");
        assert_eq!(app.mode(), Mode::Gate(GateStage::Confirm), "{typed:?}");
        assert!(app.gate.as_ref().and_then(|g| g.error.as_ref()).is_some());
    }
}

#[test]
fn correcting_a_typo_then_confirms() {
    let mut app = at_gate(&[]);
    type_keys(&mut app, "SEA-Cust11-er-circiut");
    assert_eq!(enter(&mut app), None);
    for _ in 0..3 {
        app.handle_key(key(KeyCode::Backspace));
    }
    type_keys(&mut app, "uit");
    assert!(matches!(enter(&mut app), Some(Command::GateConfirm { .. })));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn no_text_but_the_confirmation_passes_the_gate(typed in "\\PC{0,30}") {
        prop_assume!(typed != CIRCUIT);
        let mut app = at_gate(&[]);
        let mut sent = type_keys(&mut app, &typed);
        sent.extend(enter(&mut app));
        prop_assert!(!sent.iter().any(is_pass), "{typed:?} sent {sent:?}");
    }

    #[test]
    fn failed_prechecks_never_pass_without_a_reason(
        reason in "[ \\t]{0,5}",
        typed in prop_oneof![Just(CIRCUIT.to_string()), "\\PC{0,25}"],
    ) {
        let mut app = at_gate(&["fw-bgp-to-vpn-gateway"]);
        let mut sent = type_keys(&mut app, &reason);
        sent.extend(enter(&mut app));
        sent.extend(type_keys(&mut app, &typed));
        sent.extend(enter(&mut app));
        sent.extend(enter(&mut app));
        prop_assert!(!sent.iter().any(is_pass), "reason {reason:?} typed {typed:?} sent {sent:?}");
    }

    #[test]
    fn an_override_needs_twenty_characters_and_the_word(
        reason in "\\PC{0,19}",
        word in prop_oneof![Just("OVERRIDE".to_string()), Just("override".to_string()), "\\PC{0,10}"],
    ) {
        // A reason too short, whatever follows it, never passes; a long
        // enough one passes only with the exact word.
        let mut app = at_gate(&["fw-bgp-to-vpn-gateway"]);
        let mut sent = type_keys(&mut app, &reason);
        sent.extend(enter(&mut app));
        sent.extend(type_keys(&mut app, "OVERRIDE"));
        sent.extend(enter(&mut app));
        sent.extend(type_keys(&mut app, CIRCUIT));
        sent.extend(enter(&mut app));
        prop_assert!(!sent.iter().any(is_pass), "reason {reason:?} sent {sent:?}");

        let mut app = at_gate(&["fw-bgp-to-vpn-gateway"]);
        let mut sent = type_keys(&mut app, "a known ISP fault on tunnel 2");
        sent.extend(enter(&mut app));
        sent.extend(type_keys(&mut app, &word));
        sent.extend(enter(&mut app));
        sent.extend(type_keys(&mut app, CIRCUIT));
        sent.extend(enter(&mut app));
        prop_assert_eq!(
            sent.iter().any(is_pass),
            word.trim() == "OVERRIDE",
            "word {:?} sent {:?}", word, sent
        );
    }
}

#[test]
fn failed_prechecks_need_a_reason_then_the_text() {
    let mut app = at_gate(&["fw-bgp-to-vpn-gateway", "azure-bgp-peers-connected"]);
    assert_eq!(app.mode(), Mode::Gate(GateStage::Reason));
    // Enter with no reason: stays, says why, sends nothing.
    assert_eq!(enter(&mut app), None);
    assert_eq!(app.mode(), Mode::Gate(GateStage::Reason));
    // Typing the confirmation text here only fills the reason.
    assert!(type_keys(&mut app, CIRCUIT).is_empty());
    app.handle_key(ctrl('u'));
    assert_eq!(app.gate.as_ref().map(|g| g.reason.as_str()), Some(""));
    // Too short a reason: stays, says how long it must be.
    type_keys(&mut app, "tunnel 2 down");
    assert_eq!(enter(&mut app), None);
    assert_eq!(app.mode(), Mode::Gate(GateStage::Reason));
    assert!(
        app.gate
            .as_ref()
            .and_then(|g| g.error.as_deref())
            .is_some_and(|e| e.contains("at least 20 characters (13 typed)")),
        "{:?}",
        app.gate
    );
    app.handle_key(ctrl('u'));
    type_keys(&mut app, "  tunnel 2 down for a known ISP fault  ");
    assert_eq!(enter(&mut app), None);
    assert_eq!(app.mode(), Mode::Gate(GateStage::Acknowledge));
    // The confirmation text is not the word.
    type_keys(&mut app, CIRCUIT);
    assert_eq!(enter(&mut app), None);
    assert_eq!(app.mode(), Mode::Gate(GateStage::Acknowledge));
    app.handle_key(ctrl('u'));
    type_keys(&mut app, "OVERRIDE");
    assert_eq!(enter(&mut app), None);
    assert_eq!(app.mode(), Mode::Gate(GateStage::Confirm));
    type_keys(&mut app, CIRCUIT);
    assert_eq!(
        enter(&mut app),
        Some(Command::GateOverride {
            step: GATE_STEP.into(),
            reason: "tunnel 2 down for a known ISP fault".into(),
            acknowledged: "OVERRIDE".into(),
            typed: CIRCUIT.into(),
        })
    );
}

#[test]
fn back_to_the_reason_keeps_the_rule() {
    let mut app = at_gate(&["fw-bgp-to-vpn-gateway"]);
    let reason = "known: tunnel 2 maintenance";
    type_keys(&mut app, reason);
    enter(&mut app);
    type_keys(&mut app, "OVERRIDE");
    enter(&mut app);
    assert_eq!(app.mode(), Mode::Gate(GateStage::Confirm));
    let back = KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT);
    app.handle_key(back);
    assert_eq!(app.mode(), Mode::Gate(GateStage::Acknowledge));
    app.handle_key(back);
    assert_eq!(app.mode(), Mode::Gate(GateStage::Reason));
    for _ in 0..reason.len() {
        app.handle_key(key(KeyCode::Backspace));
    }
    // Emptied reason: Enter refuses to move on.
    assert_eq!(enter(&mut app), None);
    assert_eq!(app.mode(), Mode::Gate(GateStage::Reason));
}

#[test]
fn global_keys_are_text_inside_the_gate() {
    let mut app = at_gate(&[]);
    assert!(type_keys(&mut app, "qR?h/1]f").is_empty());
    assert_eq!(
        app.gate.as_ref().map(|g| g.typed.as_str()),
        Some("qR?h/1]f")
    );
    assert!(!app.help && !app.should_exit());
    assert_eq!(app.focus, Pane::Steps);
}

#[test]
fn declining_asks_twice() {
    let mut app = at_gate(&[]);
    assert_eq!(app.handle_key(key(KeyCode::Esc)), None);
    assert!(matches!(app.mode(), Mode::Gate(GateStage::Decline { .. })));
    // `n` goes back, keeping what was typed.
    assert_eq!(app.handle_key(ch('n')), None);
    assert_eq!(app.mode(), Mode::Gate(GateStage::Confirm));
    app.handle_key(key(KeyCode::Esc));
    // Any other key does nothing at the question.
    assert_eq!(app.handle_key(key(KeyCode::Enter)), None);
    assert_eq!(
        app.handle_key(ch('y')),
        Some(Command::GateDecline {
            step: GATE_STEP.into()
        })
    );
}

#[test]
fn ctrl_c_at_the_gate_asks_before_quitting() {
    let mut app = at_gate(&[]);
    assert_eq!(app.handle_key(ctrl('c')), None);
    assert_eq!(app.mode(), Mode::Confirm(cutover_tui::app::Confirm::Quit));
    assert_eq!(app.handle_key(ch('n')), None);
    assert_eq!(app.mode(), Mode::Gate(GateStage::Confirm));
    app.handle_key(ctrl('c'));
    assert_eq!(app.handle_key(ch('y')), Some(Command::Quit));
}

#[test]
fn replay_never_opens_the_gate_for_input() {
    let mut app = app_with(&checks(true)).with_replay(true);
    app.apply(&gate_prompt(&[]));
    assert_eq!(app.mode(), Mode::Normal);
    assert!(type_keys(&mut app, CIRCUIT).is_empty());
    assert_eq!(enter(&mut app), None);
}

// ---------------------------------------------------------------- guard

fn armed() -> App {
    app_with(&cat(&[
        checks(true),
        vec![gate_prompt(&[])],
        gate_decision(GateDecision::Confirmed),
        action_armed(),
        verified(),
    ]))
}

#[test]
fn rollback_key_sends_once() {
    let mut app = armed();
    assert_eq!(
        app.handle_key(ch('R')),
        Some(Command::Rollback {
            step: GUARD_STEP.into()
        })
    );
    assert_eq!(
        app.handle_key(ch('R')),
        None,
        "no second request while one is pending"
    );
    assert_eq!(app.handle_key(ch('h')), None);
    app.apply(&rollback_started(RollbackReason::Operator));
    assert!(app.guard_request.is_none());
    assert_eq!(app.handle_key(ch('R')), None, "already rolling back");
}

/// While the disable is still going out (waiting out a 409): `R` and
/// `q` then `y` reach the engine, which cancels the change; the console
/// leaves once the session ends.
#[test]
fn rollback_and_quit_work_while_the_change_goes_out() {
    let applying = || {
        let mut app = app_with(&cat(&[
            checks(true),
            vec![gate_prompt(&[])],
            gate_decision(GateDecision::Confirmed),
        ]));
        for e in action_armed().into_iter().take(3) {
            app.apply(&e);
        }
        app
    };
    let mut app = applying();
    assert_eq!(
        app.handle_key(ch('R')),
        Some(Command::Rollback {
            step: GUARD_STEP.into()
        })
    );
    assert_eq!(app.handle_key(ch('R')), None, "one request at a time");
    app.apply(&Event::ActionCancelled {
        step: GUARD_STEP.into(),
        op: "azure.peering.disable".into(),
        reason: RollbackReason::Operator,
        detail: "1 PUT sent, none accepted (409)".into(),
    });
    assert!(app.guard_request.is_none(), "answered by the cancellation");
    assert_eq!(app.handle_key(ch('R')), None, "nothing left to stop");

    let mut app = applying();
    assert_eq!(app.handle_key(ch('q')), None);
    assert_eq!(app.handle_key(ch('y')), Some(Command::Quit));
    for e in [
        Event::ActionCancelled {
            step: GUARD_STEP.into(),
            op: "azure.peering.disable".into(),
            reason: RollbackReason::Operator,
            detail: "1 PUT sent, none accepted (409)".into(),
        },
        Event::SessionEnd {
            exit_code: 1,
            outcome: "cancelled".into(),
        },
    ] {
        app.apply(&e);
    }
    assert!(app.should_exit());
}

#[test]
fn lower_case_r_is_not_rollback() {
    let mut app = armed();
    assert_eq!(app.handle_key(ch('r')), None);
    assert!(app.show_raw);
}

#[test]
fn healthy_needs_a_yes() {
    let mut app = armed();
    assert_eq!(app.handle_key(ch('h')), None);
    assert_eq!(app.handle_key(ch('n')), None);
    assert_eq!(app.handle_key(ch('h')), None);
    assert_eq!(app.handle_key(key(KeyCode::Esc)), None);
    assert_eq!(app.handle_key(ch('h')), None);
    assert_eq!(
        app.handle_key(ch('y')),
        Some(Command::ConfirmHealthy {
            step: GUARD_STEP.into()
        })
    );
    assert_eq!(app.handle_key(ch('h')), None, "request pending");
}

#[test]
fn healthy_is_not_offered_after_a_failed_verification() {
    let mut app = app_with(&cat(&[
        checks(true),
        vec![gate_prompt(&[])],
        gate_decision(GateDecision::Confirmed),
        action_armed(),
        verify_failed(),
    ]));
    assert!(!app.can_confirm_healthy());
    assert_eq!(app.handle_key(ch('h')), None);
    assert_eq!(app.mode(), Mode::Normal);
    assert!(matches!(
        app.handle_key(ch('R')),
        Some(Command::Rollback { .. })
    ));
}

#[test]
fn healthy_question_closes_when_the_window_does() {
    let mut app = armed();
    app.handle_key(ch('h'));
    app.apply(&rollback_started(RollbackReason::DeadlinePassed));
    assert_eq!(app.mode(), Mode::Normal);
    assert_eq!(app.handle_key(ch('y')), None);
}

#[test]
fn guard_keys_do_nothing_without_a_guarded_change() {
    let mut app = app_with(&checks(true));
    assert_eq!(app.handle_key(ch('R')), None);
    assert_eq!(app.handle_key(ch('h')), None);
    assert_eq!(app.mode(), Mode::Normal);
}

// ---------------------------------------------------------------- quit

#[test]
fn quit_asks_while_the_session_runs() {
    let mut app = armed();
    assert_eq!(app.handle_key(ch('q')), None);
    assert_eq!(app.handle_key(ch('y')), Some(Command::Quit));
    assert!(
        !app.should_exit(),
        "waits for the engine to end the session"
    );
    app.apply(&rollback_started(RollbackReason::Operator));
    for e in rollback_done() {
        app.apply(&e);
    }
    assert!(app.should_exit());
}

#[test]
fn quit_after_the_end_leaves_at_once() {
    let mut app = app_with(&cat(&[
        checks(true),
        vec![gate_prompt(&[])],
        gate_decision(GateDecision::Declined),
        vec![Event::SessionEnd {
            exit_code: 1,
            outcome: "declined".into(),
        }],
    ]));
    assert_eq!(app.handle_key(ch('q')), None);
    assert!(app.should_exit());
}

#[test]
fn engine_gone_lets_the_operator_leave() {
    let mut app = app_with(&checks(true));
    app.engine_closed();
    assert!(app.message.is_some());
    assert_eq!(app.handle_key(ch('q')), None);
    assert!(app.should_exit());
}

// ---------------------------------------------------------------- panes

#[test]
fn route_filter_is_typed_after_slash() {
    let mut app = armed();
    app.handle_key(ch('/'));
    assert_eq!(app.mode(), Mode::Filter);
    assert_eq!(app.focus, Pane::Routes);
    type_keys(&mut app, "10.17.11.128/26");
    assert_eq!(app.routes.rows.len(), 2);
    // `q` and `R` are text here.
    type_keys(&mut app, "qR");
    assert!(!app.should_exit());
    assert!(app.guard_request.is_none());
    app.handle_key(ctrl('u'));
    type_keys(&mut app, "10.17");
    app.handle_key(key(KeyCode::Enter));
    assert_eq!(app.mode(), Mode::Normal);
    assert_eq!(app.routes.filter, "10.17");
    assert_eq!(app.routes.rows.len(), 6);
    app.handle_key(key(KeyCode::Esc));
    assert_eq!(app.routes.filter, "");
}

#[test]
fn steps_selection_and_follow() {
    let mut app = armed();
    let running = app.selected_step();
    app.handle_key(ch('k'));
    assert_eq!(app.selected_step(), running.map(|i| i - 1));
    app.handle_key(ch('g'));
    assert_eq!(app.selected_step(), Some(0));
    app.handle_key(ch('f'));
    assert_eq!(app.selected_step(), running);
    app.handle_key(key(KeyCode::Tab));
    assert_eq!(app.focus, Pane::Detail);
    app.handle_key(ch('5'));
    assert_eq!(app.focus, Pane::Trace);
    app.handle_key(KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT));
    assert_eq!(app.focus, Pane::Tunnels);
}

#[test]
fn help_toggles_and_swallows_keys() {
    let mut app = armed();
    app.handle_key(ch('?'));
    assert_eq!(app.mode(), Mode::Help);
    assert_eq!(app.handle_key(ch('R')), None);
    assert_eq!(app.handle_key(ch('q')), None);
    assert!(!app.should_exit());
    app.handle_key(key(KeyCode::Esc));
    assert_eq!(app.mode(), Mode::Normal);
}

#[test]
fn a_gate_prompt_closes_help_and_filter() {
    let mut app = app_with(&checks(true));
    app.update(Action::ToggleHelp);
    app.apply(&gate_prompt(&[]));
    assert_eq!(app.mode(), Mode::Gate(GateStage::Confirm));
    assert!(!app.help);
}

// ---------------------------------------------------------------- keymap

/// Every mode the console can be in, as an app.
fn apps_in_every_mode() -> Vec<(&'static str, App)> {
    let mut out = vec![("normal", app_with(&checks(true)))];
    let mut a = app_with(&checks(true));
    a.update(Action::StartFilter);
    out.push(("filter", a));
    let mut a = app_with(&checks(true));
    a.update(Action::Focus(Pane::Routes));
    a.update(Action::StartFilter);
    a.update(Action::Char('1'));
    a.update(Action::Submit);
    out.push(("filtered", a));
    let mut a = app_with(&checks(true));
    a.update(Action::ToggleHelp);
    out.push(("help", a));
    out.push(("gate reason", at_gate(&["x"])));
    let mut a = at_gate(&["x"]);
    type_keys(&mut a, "why");
    enter(&mut a);
    out.push(("gate confirm", a));
    let mut a = at_gate(&[]);
    a.update(Action::Cancel);
    out.push(("gate decline", a));
    out.push(("guard", armed()));
    let mut a = armed();
    a.update(Action::ConfirmHealthy);
    out.push(("healthy?", a));
    let mut a = armed();
    a.update(Action::RequestQuit);
    out.push(("quit?", a));
    let mut a = armed();
    a.update(Action::Focus(Pane::Trace));
    out.push(("trace focused", a));
    out
}

#[test]
fn every_footer_key_does_what_the_footer_says() {
    for (mode, app) in apps_in_every_mode() {
        let shown = footer_bindings(&app);
        assert!(!shown.is_empty(), "{mode}: empty footer");
        for b in shown {
            let k = b.keys.first().expect("a key");
            let ev = KeyEvent::new(
                k.code,
                if k.ctrl {
                    KeyModifiers::CONTROL
                } else {
                    KeyModifiers::NONE
                },
            );
            assert_eq!(
                action_for(&app, &ev),
                Some(b.action),
                "{mode}: footer shows `{} {}` but the key does something else",
                k.name(),
                b.label
            );
        }
    }
}

#[test]
fn no_two_bindings_claim_one_key_at_once() {
    for (mode, app) in apps_in_every_mode() {
        let mut seen: Vec<(String, &str)> = Vec::new();
        for b in BINDINGS.iter().filter(|b| b.available(&app)) {
            for k in b.keys {
                let name = k.name();
                if let Some((_, other)) = seen.iter().find(|(n, _)| *n == name) {
                    panic!("{mode}: `{name}` is both `{other}` and `{}`", b.label);
                }
                seen.push((name, b.label));
            }
        }
    }
}

// ---------------------------------------------------------------- the loop

mod console_loop {
    use super::*;
    use crossterm::event::Event as TermEvent;
    use cutover_tui::run_loop;
    use futures::channel::mpsc as keys_channel;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use tokio::sync::mpsc;

    type KeyTx = keys_channel::UnboundedSender<std::io::Result<TermEvent>>;

    /// Lets the console task run until it waits again.
    async fn settle() {
        for _ in 0..50 {
            tokio::task::yield_now().await;
        }
    }

    fn press(tx: &KeyTx, ev: KeyEvent) {
        tx.unbounded_send(Ok(TermEvent::Key(ev)))
            .expect("console listens");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn keys_and_events_drive_the_session_to_its_end() {
        let (key_tx, key_rx) = keys_channel::unbounded();
        let (ev_tx, ev_rx) = mpsc::unbounded_channel();
        let (cmd_tx, mut cmd_rx) = mpsc::channel(8);
        let app = App::new(
            cutover_core::session::state::SessionState::new(classifier()),
            cutover_tui::Theme::dark(),
        );
        let console = tokio::spawn(async move {
            let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
            run_loop(&mut terminal, key_rx, app, ev_rx, cmd_tx, now).await
        });

        for e in cat(&[checks(true), vec![gate_prompt(&[])]]) {
            ev_tx.send(e).expect("console listens");
        }
        settle().await;
        for c in CIRCUIT.chars() {
            press(&key_tx, ch(c));
        }
        press(&key_tx, key(KeyCode::Enter));
        assert_eq!(
            cmd_rx.recv().await,
            Some(Command::GateConfirm {
                step: GATE_STEP.into(),
                typed: CIRCUIT.into()
            })
        );

        for e in cat(&[
            gate_decision(GateDecision::Confirmed),
            action_armed(),
            verified(),
        ]) {
            ev_tx.send(e).expect("console listens");
        }
        settle().await;
        press(&key_tx, ch('R'));
        assert_eq!(
            cmd_rx.recv().await,
            Some(Command::Rollback {
                step: GUARD_STEP.into()
            })
        );

        ev_tx
            .send(rollback_started(RollbackReason::Operator))
            .expect("console listens");
        for e in rollback_done() {
            ev_tx.send(e).expect("console listens");
        }
        settle().await;
        press(&key_tx, ch('q'));
        let app = console.await.expect("joins").expect("runs");
        assert_eq!(app.state.end.as_ref().map(|e| e.exit_code), Some(3));
        assert!(app.should_exit());
        assert_eq!(cmd_rx.recv().await, None, "nothing else was sent");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn quit_waits_for_the_engine_then_leaves() {
        let (key_tx, key_rx) = keys_channel::unbounded();
        let (ev_tx, ev_rx) = mpsc::unbounded_channel();
        let (cmd_tx, mut cmd_rx) = mpsc::channel(8);
        let app = App::new(
            cutover_core::session::state::SessionState::new(classifier()),
            cutover_tui::Theme::dark(),
        );
        let console = tokio::spawn(async move {
            let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
            run_loop(&mut terminal, key_rx, app, ev_rx, cmd_tx, now).await
        });
        for e in checks(true) {
            ev_tx.send(e).expect("console listens");
        }
        settle().await;
        press(&key_tx, ch('q'));
        press(&key_tx, ch('y'));
        assert_eq!(cmd_rx.recv().await, Some(Command::Quit));
        settle().await;
        assert!(!console.is_finished(), "still showing the session");
        // The engine ends without a session_end: the channel closes.
        drop(ev_tx);
        let app = console.await.expect("joins").expect("runs");
        assert!(app.should_exit() && app.engine_closed);
        drop(key_tx);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn the_loop_ends_when_the_terminal_goes_away() {
        let (key_tx, key_rx) = keys_channel::unbounded();
        let (_ev_tx, ev_rx) = mpsc::unbounded_channel::<Event>();
        let (cmd_tx, _cmd_rx) = mpsc::channel(4);
        let app = App::new(
            cutover_core::session::state::SessionState::new(classifier()),
            cutover_tui::Theme::dark(),
        );
        let console = tokio::spawn(async move {
            let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
            run_loop(&mut terminal, key_rx, app, ev_rx, cmd_tx, now).await
        });
        drop(key_tx);
        let app = console.await.expect("joins").expect("runs");
        assert!(!app.quit_sent, "nothing was asked of the engine");
    }
}
