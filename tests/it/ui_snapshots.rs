//! Every pane, gate and countdown state of the console, drawn on a test
//! terminal from a scripted drill session made of real fixture outputs,
//! and compared with reviewed snapshots; a few cells are checked for their
//! theme style as well.

use crate::ui_support::*;
use cutover_core::session::Event;
use cutover_core::session::event::{GateDecision, RollbackReason, Verdict};
use cutover_tui::app::{Action, App, Pane};
use cutover_tui::{Theme, buffer_text, render_to_buffer, render_to_string};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use time::Duration;

/// One pane alone on a `w` x `h` terminal.
fn pane(app: &App, pane: Pane, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    t.draw(|f| {
        let area = f.area();
        match pane {
            Pane::Steps => cutover_tui::steps::render(f, area, app),
            Pane::Detail => cutover_tui::detail::render(f, area, app),
            Pane::Routes => cutover_tui::routes::render(f, area, app),
            Pane::Tunnels => cutover_tui::tunnels::render(f, area, app),
            Pane::Trace => cutover_tui::trace::render(f, area, app),
            Pane::Log => cutover_tui::log::render(f, area, app),
        }
    })
    .expect("draw");
    buffer_text(t.backend().buffer())
}

fn keys(app: &mut App, actions: &[Action]) {
    for a in actions {
        assert_eq!(app.update(*a), None, "{a:?} must not send anything here");
    }
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        app.update(Action::Char(c));
    }
}

/// Where `needle` starts on screen (first match, row-major).
fn find(buf: &Buffer, needle: &str) -> (u16, u16) {
    let text = buffer_text(buf);
    for (y, line) in text.lines().enumerate() {
        if let Some(byte) = line.find(needle) {
            let x = line[..byte].chars().count();
            return (x as u16, y as u16);
        }
    }
    panic!("`{needle}` not on screen:\n{text}");
}

fn failed_over() -> Vec<Event> {
    cat(&[
        checks(true),
        vec![gate_prompt(&[])],
        gate_decision(GateDecision::Confirmed),
        action_armed(),
        verified(),
    ])
}

fn at_gate(failed: &[&str]) -> App {
    let ok = failed.is_empty();
    app_with(&cat(&[checks(ok), vec![gate_prompt(failed)]]))
}

// ---------------------------------------------------------------- layouts

#[test]
fn layout_full_160x48() {
    let app = app_with(&checks(true));
    insta::assert_snapshot!(render_to_string(&app, 160, 48));
}

#[test]
fn layout_full_120x40_shows_steps_routes_tunnels_and_trace() {
    let app = app_with(&failed_over());
    let screen = render_to_string(&app, 120, 40);
    for title in ["1 Steps", "3 Routes", "4 Tunnels & BGP", "5 Traceroute"] {
        assert!(screen.contains(title), "{title} missing:\n{screen}");
    }
    insta::assert_snapshot!(screen);
}

#[test]
fn layout_compact_80x24() {
    let mut app = app_with(&checks(true));
    insta::assert_snapshot!("compact_steps_focus", render_to_string(&app, 80, 24));
    app.update(Action::Focus(Pane::Routes));
    let routes = render_to_string(&app, 80, 24);
    assert!(routes.contains("3 Routes") && routes.contains("1 Steps"));
    assert!(
        !routes.contains("4 Tunnels"),
        "compact shows one pane beside the steps"
    );
    insta::assert_snapshot!("compact_routes_focus", routes);
    app.update(Action::Focus(Pane::Tunnels));
    insta::assert_snapshot!("compact_tunnels_focus", render_to_string(&app, 80, 24));
}

#[test]
fn layout_compact_during_the_countdown() {
    let app = app_with(&failed_over());
    insta::assert_snapshot!(render_to_string(&app, 80, 24));
}

#[test]
fn tiny_terminal_does_not_panic() {
    let app = app_with(&failed_over());
    for (w, h) in [(1, 1), (10, 5), (40, 10), (79, 23), (200, 12)] {
        let _ = render_to_string(&app, w, h);
    }
    let mut gate = at_gate(&["fw-bgp-to-vpn-gateway"]);
    type_text(&mut gate, "reason");
    let _ = render_to_string(&gate, 20, 8);
}

// ---------------------------------------------------------------- panes

#[test]
fn pane_steps() {
    let app = app_with(&failed_over());
    insta::assert_snapshot!(pane(&app, Pane::Steps, 60, 18));
}

#[test]
fn pane_detail_summary_and_raw() {
    let mut app = app_with(&checks(false));
    app.update(Action::Focus(Pane::Steps));
    keys(&mut app, &[Action::Top, Action::Down]);
    insta::assert_snapshot!("detail_summary", pane(&app, Pane::Detail, 90, 22));
    keys(&mut app, &[Action::Down]);
    insta::assert_snapshot!("detail_failed_check", pane(&app, Pane::Detail, 90, 16));
    keys(&mut app, &[Action::Up, Action::ToggleRaw]);
    insta::assert_snapshot!("detail_raw", pane(&app, Pane::Detail, 90, 16));
    app.update(Action::Focus(Pane::Detail));
    keys(&mut app, &[Action::PageDown]);
    insta::assert_snapshot!("detail_raw_scrolled", pane(&app, Pane::Detail, 90, 8));
}

#[test]
fn pane_detail_of_a_guarded_step() {
    let app = app_with(&cat(&[
        failed_over(),
        verify_failed(),
        vec![rollback_started(RollbackReason::VerificationFailed)],
        rollback_failed(),
    ]));
    insta::assert_snapshot!(pane(&app, Pane::Detail, 100, 40));
}

#[test]
fn pane_routes_with_changes_since_start() {
    let app = app_with(&failed_over());
    insta::assert_snapshot!(pane(&app, Pane::Routes, 100, 14));
}

#[test]
fn pane_routes_filter() {
    let mut app = app_with(&failed_over());
    app.update(Action::StartFilter);
    type_text(&mut app, "10.17.11.1");
    insta::assert_snapshot!("routes_filter_address", pane(&app, Pane::Routes, 100, 12));
    keys(&mut app, &[Action::ClearInput]);
    type_text(&mut app, "10.17.11.128/26");
    app.update(Action::Submit);
    insta::assert_snapshot!("routes_filter_prefix", pane(&app, Pane::Routes, 100, 12));
    app.update(Action::StartFilter);
    keys(&mut app, &[Action::ClearInput]);
    type_text(&mut app, "10.17.x");
    insta::assert_snapshot!("routes_filter_invalid", pane(&app, Pane::Routes, 100, 8));
}

#[test]
fn pane_routes_azure_and_switching_tables() {
    let mut app = app_with(&checks(true));
    app.update(Action::Focus(Pane::Routes));
    // The freshest table shows until one is picked: Azure's, probed last.
    insta::assert_snapshot!(pane(&app, Pane::Routes, 110, 20));
    app.update(Action::PrevSource);
    assert!(pane(&app, Pane::Routes, 100, 6).contains("[2/3] fw Cust11.inet.0"));
    // Picked: a newer capture of another table does not move the pane.
    app.apply(&probe(
        "monitor",
        "azure",
        "azure.learned_routes",
        "POST /subscriptions/…/virtualNetworkGateways/SEA-Cust11-VNet01-gw-vpn/getLearnedRoutes",
        &fixture("arm/synthetic/gateway-learned-routes-vpn-down.json"),
        2000,
    ));
    assert!(pane(&app, Pane::Routes, 100, 6).contains("[2/3] fw Cust11.inet.0"));
    app.update(Action::Follow);
    assert!(pane(&app, Pane::Routes, 100, 6).contains("[3/3] azure"));
}

#[test]
fn pane_tunnels() {
    let app = app_with(&failed_over());
    insta::assert_snapshot!(pane(&app, Pane::Tunnels, 90, 30));
}

#[test]
fn pane_tunnels_vpn_down() {
    let app = app_with(&checks(false));
    insta::assert_snapshot!(pane(&app, Pane::Tunnels, 90, 12));
}

#[test]
fn pane_trace_before_and_after() {
    let app = app_with(&checks(true));
    insta::assert_snapshot!("trace_start", pane(&app, Pane::Trace, 90, 9));
    let app = app_with(&failed_over());
    insta::assert_snapshot!("trace_after_failover", pane(&app, Pane::Trace, 90, 9));
}

#[test]
fn pane_log_notes() {
    let app = app_with(&failed_over());
    insta::assert_snapshot!(pane(&app, Pane::Log, 50, 8));
}

// ---------------------------------------------------------------- gate

#[test]
fn gate_prechecks_passed() {
    let mut app = at_gate(&[]);
    insta::assert_snapshot!("gate_ok_empty", render_to_string(&app, 100, 30));
    type_text(&mut app, "SEA-Cust11");
    insta::assert_snapshot!("gate_ok_partial", render_to_string(&app, 100, 30));
    type_text(&mut app, "-er-circiut");
    app.update(Action::Submit);
    insta::assert_snapshot!("gate_ok_mismatch", render_to_string(&app, 100, 30));
    keys(&mut app, &[Action::ClearInput]);
    type_text(&mut app, CIRCUIT);
    insta::assert_snapshot!("gate_ok_matching", render_to_string(&app, 100, 30));
}

#[test]
fn gate_prechecks_failed() {
    let failed = ["fw-bgp-to-vpn-gateway", "azure-bgp-peers-connected"];
    let mut app = at_gate(&failed);
    insta::assert_snapshot!("gate_failed_reason_empty", render_to_string(&app, 100, 30));
    app.update(Action::Submit);
    insta::assert_snapshot!(
        "gate_failed_reason_required",
        render_to_string(&app, 100, 30)
    );
    type_text(
        &mut app,
        "tunnel 2 down for a known ISP fault; tunnel 1 carries",
    );
    insta::assert_snapshot!("gate_failed_reason_typed", render_to_string(&app, 100, 30));
    app.update(Action::Submit);
    type_text(&mut app, CIRCUIT);
    insta::assert_snapshot!("gate_failed_confirm", render_to_string(&app, 100, 30));
}

#[test]
fn gate_decline_and_declined() {
    let mut app = at_gate(&[]);
    app.update(Action::Cancel);
    insta::assert_snapshot!("gate_decline_ask", render_to_string(&app, 100, 30));
    assert!(app.update(Action::Yes).is_some());
    insta::assert_snapshot!("gate_sent", render_to_string(&app, 100, 30));
    let events = cat(&[
        checks(true),
        vec![gate_prompt(&[])],
        gate_decision(GateDecision::Declined),
        vec![Event::SessionEnd {
            exit_code: 1,
            outcome: "declined at the gate".into(),
        }],
    ]);
    let app = app_with(&events);
    insta::assert_snapshot!("gate_declined", render_to_string(&app, 120, 40));
}

// ---------------------------------------------------------------- countdown

#[test]
fn countdown_applying() {
    let events = cat(&[
        checks(true),
        vec![gate_prompt(&[])],
        gate_decision(GateDecision::Confirmed),
    ]);
    let mut app = app_with(&events);
    for e in action_armed().into_iter().take(3) {
        app.apply(&e);
    }
    insta::assert_snapshot!(render_to_string(&app, 120, 12));
}

#[test]
fn countdown_armed_verification_pending() {
    let events = cat(&[
        checks(true),
        vec![gate_prompt(&[])],
        gate_decision(GateDecision::Confirmed),
        action_armed(),
    ]);
    let mut app = app_with(&events);
    insta::assert_snapshot!("countdown_armed", render_to_string(&app, 120, 12));
    app.set_now(now() + Duration::seconds(500));
    insta::assert_snapshot!("countdown_armed_later", render_to_string(&app, 120, 12));
    app.set_now(now() + Duration::hours(1));
    insta::assert_snapshot!("countdown_deadline_passed", render_to_string(&app, 120, 12));
}

#[test]
fn countdown_verification_passed() {
    let app = app_with(&failed_over());
    insta::assert_snapshot!(render_to_string(&app, 120, 12));
}

#[test]
fn countdown_verification_failed_then_rolling_back() {
    let mut app = app_with(&cat(&[failed_over(), verify_failed()]));
    insta::assert_snapshot!(
        "countdown_verification_failed",
        render_to_string(&app, 120, 12)
    );
    app.apply(&rollback_started(RollbackReason::VerificationFailed));
    insta::assert_snapshot!("countdown_rolling_back", render_to_string(&app, 120, 12));
    let rb = rollback_done();
    app.apply(&rb[0]);
    insta::assert_snapshot!(
        "countdown_rolling_back_throttled",
        render_to_string(&app, 120, 12)
    );
    for e in &rb[1..] {
        app.apply(e);
    }
    insta::assert_snapshot!("countdown_rolled_back", render_to_string(&app, 120, 12));
}

#[test]
fn countdown_rollback_failed_shows_manual_commands() {
    let app = app_with(&cat(&[
        failed_over(),
        vec![rollback_started(RollbackReason::DeadlinePassed)],
        rollback_failed(),
    ]));
    let screen = render_to_string(&app, 100, 30);
    // The commands are shown whole (wrapped, never cut).
    let joined: String = screen.lines().map(str::trim_end).collect();
    for cmd in [manual("Enabled").az_cli, manual("Enabled").powershell] {
        let compact: String = cmd.split_whitespace().collect();
        let screen_compact: String = joined.split_whitespace().collect();
        assert!(
            screen_compact.contains(&compact),
            "{cmd} not whole on screen:\n{screen}"
        );
    }
    insta::assert_snapshot!(screen);
}

#[test]
fn countdown_confirm_healthy_and_quit_questions() {
    let mut app = app_with(&failed_over());
    app.update(Action::ConfirmHealthy);
    insta::assert_snapshot!("question_healthy", render_to_string(&app, 100, 24));
    app.update(Action::No);
    app.update(Action::RequestQuit);
    insta::assert_snapshot!(
        "question_quit_during_guard",
        render_to_string(&app, 100, 24)
    );
}

#[test]
fn confirmed_change_hides_the_banner() {
    let mut app = app_with(&failed_over());
    app.apply(&Event::ConfirmHealthy {
        step: GUARD_STEP.into(),
    });
    app.apply(&Event::StepEnd {
        step: GUARD_STEP.into(),
        verdict: Verdict::Passed,
        elapsed_ms: 31_000,
    });
    let screen = render_to_string(&app, 120, 40);
    assert!(!screen.contains("GUARDED CHANGE"), "{screen}");
    let detail = pane(&app, Pane::Detail, 100, 60);
    assert!(detail.contains("✓ confirmed healthy"), "{detail}");
}

// ---------------------------------------------------------------- help, footer

#[test]
fn help_overlay() {
    let mut app = app_with(&failed_over());
    app.update(Action::ToggleHelp);
    insta::assert_snapshot!(render_to_string(&app, 110, 50));
}

#[test]
fn footer_in_each_mode() {
    fn footer(app: &App) -> String {
        render_to_string(app, 200, 30)
            .lines()
            .last()
            .unwrap_or_default()
            .to_string()
    }
    let mut out = Vec::new();
    let mut app = app_with(&checks(true));
    out.push(("normal, steps focused", footer(&app)));
    app.update(Action::Focus(Pane::Routes));
    out.push(("normal, routes focused", footer(&app)));
    app.update(Action::StartFilter);
    type_text(&mut app, "10.17");
    out.push(("filter", footer(&app)));
    app.update(Action::Submit);
    out.push(("normal, filter kept", footer(&app)));
    app.update(Action::ToggleHelp);
    out.push(("help", footer(&app)));
    app.update(Action::ToggleHelp);
    app.update(Action::RequestQuit);
    out.push(("quit question", footer(&app)));
    app.update(Action::No);

    let mut gate = at_gate(&["fw-bgp-to-vpn-gateway"]);
    out.push(("gate, reason", footer(&gate)));
    type_text(&mut gate, "known");
    gate.update(Action::Submit);
    out.push(("gate, confirm after override", footer(&gate)));
    gate.update(Action::Cancel);
    out.push(("gate, decline?", footer(&gate)));

    let mut guard = app_with(&failed_over());
    out.push(("guard armed", footer(&guard)));
    guard.update(Action::ConfirmHealthy);
    out.push(("healthy question", footer(&guard)));
    guard.update(Action::No);
    assert!(guard.update(Action::Rollback).is_some());
    out.push(("rollback requested", footer(&guard)));

    let ended = app_with(&cat(&[
        failed_over(),
        vec![rollback_started(RollbackReason::Operator)],
        rollback_done(),
    ]));
    out.push(("ended", footer(&ended)));
    let replay = app_with(&checks(true)).with_replay(true);
    out.push(("replay", footer(&replay)));

    let text: String = out
        .iter()
        .map(|(mode, line)| format!("{mode:<30}|{line}\n"))
        .collect();
    insta::assert_snapshot!(text);
}

// ---------------------------------------------------------------- styles

#[test]
fn path_kinds_use_their_theme_styles() {
    let mut app = app_with(&checks(true));
    app.update(Action::Focus(Pane::Routes));
    app.update(Action::PrevSource);
    let theme = Theme::bundled("dark").expect("theme");
    let buf = render_to_buffer(&app, 160, 48);
    // The firewall table: ER paths active, VPN paths standing by.
    let (x, y) = find(&buf, "ER   10.17.11.0/25");
    assert_eq!(buf[(x, y)].fg, theme.path_er.fg.expect("er colour"));
    let (x, y) = find(&buf, "VPN  10.17.11.0/25");
    assert_eq!(buf[(x, y)].fg, theme.path_vpn.fg.expect("vpn colour"));
    // The MSEE hop of the trace proves ExpressRoute.
    let (x, y) = find(&buf, " 3  192.168.11.18");
    assert_eq!(buf[(x + 4, y)].fg, theme.path_er.fg.expect("er colour"));
    // The failed step's mark.
    let (x, y) = find(&buf, "✗ Both VPN gateway");
    assert_eq!(buf[(x, y)].fg, theme.danger.fg.expect("danger colour"));
}

#[test]
fn changed_rows_use_the_changed_style() {
    let app = app_with(&failed_over());
    let theme = Theme::bundled("dark").expect("theme");
    let buf = render_to_buffer(&app, 160, 48);
    let (x, y) = find(&buf, "Δ* VPN  10.17.11.0/25");
    assert_eq!(buf[(x, y)].fg, theme.changed.fg.expect("changed colour"));
    let prefix_x = x + 8;
    assert_eq!(
        buf[(prefix_x, y)].fg,
        theme.changed.fg.expect("changed colour")
    );
    let (x, y) = find(&buf, "GUARDED CHANGE");
    assert_eq!(buf[(x, y)].bg, theme.banner.bg.expect("banner colour"));
}

#[test]
fn no_color_keeps_text_and_modifiers_only() {
    let events = failed_over();
    let coloured = app_with(&events);
    let plain = app_themed(
        &events,
        Theme::bundled("dark").expect("theme").without_color(),
    );
    assert_eq!(
        render_to_string(&coloured, 160, 48),
        render_to_string(&plain, 160, 48),
        "NO_COLOR changes styles, never text"
    );
    let buf = render_to_buffer(&plain, 160, 48);
    for cell in buf.content() {
        assert!(
            matches!(cell.fg, Color::Reset) && matches!(cell.bg, Color::Reset),
            "a colour survived NO_COLOR: {cell:?}"
        );
    }
    // Meaning that lived in colour moves to modifiers.
    let (x, y) = find(&buf, "GUARDED CHANGE");
    assert!(buf[(x, y)].modifier.contains(Modifier::REVERSED));
    let (x, y) = find(&buf, "▶ Disable AzurePrivatePeering");
    assert!(
        buf[(x, y)].modifier.contains(Modifier::REVERSED),
        "selected step"
    );
    insta::assert_snapshot!(render_to_string(&plain, 80, 24));
}

#[test]
fn every_bundled_theme_draws_every_state() {
    for (name, _) in cutover_tui::theme::BUNDLED {
        let theme = Theme::bundled(name).expect("theme");
        for events in [
            failed_over(),
            cat(&[checks(false), vec![gate_prompt(&["x"])]]),
        ] {
            let app = app_themed(&events, theme.clone());
            let coloured = render_to_string(&app, 160, 48);
            let reference = render_to_string(&app_with(&events), 160, 48);
            assert_eq!(coloured, reference, "{name}: a theme changes styles only");
        }
    }
}
