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
    // The tabbed view: the bar names every pane, one pane is drawn.
    assert!(routes.contains("┏ 3 Routes") && routes.contains(" 1 Steps "));
    assert!(
        !routes.contains("┌ 1 Steps") && !routes.contains("┌ 4 Tunnels"),
        "the tabbed view shows one pane at a time"
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
    type_text(&mut app, "OVERRIDE");
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

/// Aborted while the disable waited out a 409: cancelled before any
/// write was accepted. The banner and the step detail say that nothing
/// changed and why; `R` is no longer offered.
#[test]
fn countdown_cancelled_before_any_write() {
    let events = cat(&[
        checks(true),
        vec![gate_prompt(&[])],
        gate_decision(GateDecision::Confirmed),
    ]);
    let mut app = app_with(&events);
    for e in action_armed().into_iter().take(3) {
        app.apply(&e);
    }
    assert!(app.can_rollback(), "R works while the change goes out");
    for e in [
        Event::ActionCancelled {
            step: GUARD_STEP.into(),
            op: "azure.peering.disable".into(),
            reason: RollbackReason::Operator,
            detail: "1 PUT sent, none accepted (409); nothing was sent after the abort; the peering reads Enabled (provisioningState Succeeded)".into(),
        },
        Event::StepEnd {
            step: GUARD_STEP.into(),
            verdict: Verdict::Failed,
            elapsed_ms: 1_200,
        },
        Event::SessionEnd {
            exit_code: 1,
            outcome: "`disable-private-peering` cancelled before any write was accepted; nothing was changed".into(),
        },
    ] {
        app.apply(&e);
    }
    assert!(!app.can_rollback());
    insta::assert_snapshot!("countdown_cancelled", render_to_string(&app, 120, 12));
    app.update(Action::Focus(Pane::Detail));
    insta::assert_snapshot!("detail_cancelled", pane(&app, Pane::Detail, 100, 30));
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
    type_text(&mut gate, "known: tunnel 2 maintenance");
    gate.update(Action::Submit);
    out.push(("gate, OVERRIDE", footer(&gate)));
    type_text(&mut gate, "OVERRIDE");
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

// ---------------------------------------------------------------- traffic

fn at(t: &str) -> time::OffsetDateTime {
    time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).expect("time")
}

/// The change applied at 02:00:00 (the deadline's 600 s before 02:10:00),
/// verified for up to 60 s, with traffic lost for 15 s rolling back; the
/// first trace still crosses ExpressRoute.
fn verifying_on_expressroute() -> Vec<Event> {
    cat(&[
        checks(true),
        vec![gate_prompt(&[])],
        gate_decision(GateDecision::Confirmed),
        action_armed(),
        vec![
            Event::VerifyStarted {
                step: GUARD_STEP.into(),
                since: "2026-11-20T02:00:00.000Z".into(),
                within_ms: 60_000,
                max_outage_ms: Some(15_000),
            },
            probe(
                GUARD_STEP,
                "server",
                "trace",
                TRACE_CMD,
                &fixture("article/traceroute/linux-er.txt"),
                4010,
            ),
            Event::VerifyResult {
                step: GUARD_STEP.into(),
                clause:
                    "server: trace path vpn exclude_hops [192.168.11.18, 192.168.11.22] reached"
                        .into(),
                passed: false,
                evidence: "path expressroute, expected vpn".into(),
                elapsed_ms: 4_010,
            },
            Event::TrafficSeen {
                step: GUARD_STEP.into(),
                path: "expressroute".into(),
                moved: false,
                elapsed_ms: 0,
                lost_ms: None,
            },
        ],
    ])
}

fn traffic_lost() -> Event {
    Event::TrafficLost {
        step: GUARD_STEP.into(),
        since: "2026-11-20T02:00:10.000Z".into(),
        elapsed_ms: 10_000,
        unseen_ms: 5_000,
        rollback_at: Some("2026-11-20T02:00:25.000Z".into()),
        evidence: "10.17.11.132 did not answer; the last hop that did: 1 10.1.11.1".into(),
    }
}

#[test]
fn countdown_verifying_still_on_the_old_path() {
    let mut app = app_with(&verifying_on_expressroute());
    app.set_now(at("2026-11-20T02:00:12Z"));
    let screen = render_to_string(&app, 120, 12);
    assert!(
        screen.contains("verifying: still on ExpressRoute, 12 s of 60 s"),
        "{screen}"
    );
    // Not moved yet is no failure, and no rollback is announced.
    assert!(
        !screen.contains("rolling back") && !screen.contains("FAILED"),
        "{screen}"
    );
    // The engine takes "healthy" only once verified: not offered.
    assert!(!app.can_confirm_healthy());
    insta::assert_snapshot!("countdown_verifying_not_moved", screen);
    app.set_now(at("2026-11-20T02:01:00Z"));
    let closed = render_to_string(&app, 120, 12);
    assert!(
        closed.contains("the verification window closed (60 s): the rollback is due"),
        "{closed}"
    );
}

#[test]
fn countdown_traffic_lost_then_due_then_rolling_back() {
    let mut app = app_with(&cat(&[verifying_on_expressroute(), vec![traffic_lost()]]));
    app.set_now(at("2026-11-20T02:00:19Z"));
    let lost = render_to_string(&app, 120, 12);
    assert!(
        lost.contains("TRAFFIC LOST 9 s, rolling back in 6 s"),
        "{lost}"
    );
    assert!(!lost.contains("ROLLING BACK"), "{lost}");
    assert!(!app.can_confirm_healthy());
    let theme = Theme::bundled("dark").expect("theme");
    let buf = render_to_buffer(&app, 120, 12);
    let (x, y) = find(&buf, "TRAFFIC LOST");
    assert_eq!(buf[(x, y)].fg, theme.danger.fg.expect("danger colour"));
    assert!(buf[(x, y)].modifier.contains(Modifier::REVERSED));
    insta::assert_snapshot!("countdown_traffic_lost", lost);
    // The clock ran out but the engine has not said so: due, not rolling.
    app.set_now(at("2026-11-20T02:00:26Z"));
    let due = render_to_string(&app, 120, 12);
    assert!(
        due.contains("TRAFFIC LOST 16 s: the rollback is due"),
        "{due}"
    );
    assert!(!due.contains("ROLLING BACK"), "{due}");
    insta::assert_snapshot!("countdown_traffic_lost_due", due);
    app.apply(&rollback_started(RollbackReason::TrafficLost));
    let rolling = render_to_string(&app, 120, 12);
    assert!(rolling.contains("ROLLING BACK (traffic lost)"), "{rolling}");
    insta::assert_snapshot!("countdown_rolling_back_traffic_lost", rolling);
}

#[test]
fn countdown_traffic_back_after_a_short_loss() {
    let mut app = app_with(&cat(&[
        verifying_on_expressroute(),
        vec![
            traffic_lost(),
            Event::TrafficSeen {
                step: GUARD_STEP.into(),
                path: "vpn".into(),
                moved: true,
                elapsed_ms: 15_000,
                lost_ms: Some(5_000),
            },
        ],
    ]));
    app.set_now(at("2026-11-20T02:00:16Z"));
    let screen = render_to_string(&app, 120, 12);
    assert!(
        screen.contains("verifying: traffic over the VPN, 16 s of 60 s"),
        "{screen}"
    );
    assert!(!screen.contains("LOST"), "{screen}");
}

// ---------------------------------------------------------------- prediction

fn at_predicted_gate(failed: &[&str], more_specific: bool) -> App {
    app_with(&cat(&[
        checks(failed.is_empty()),
        predicted_gate(failed, more_specific),
    ]))
}

#[test]
fn gate_with_a_prediction_and_the_override_stages() {
    // Nothing holds the gate: the forecast shows, the text is asked.
    let app = at_predicted_gate(&[], false);
    insta::assert_snapshot!("gate_prediction_clear", render_to_string(&app, 120, 40));
    // A hazard holds it on its own; the reason counts to 20.
    let mut app = at_predicted_gate(&[], true);
    insta::assert_snapshot!("gate_prediction_hazard", render_to_string(&app, 120, 40));
    type_text(&mut app, "short");
    app.update(Action::Submit);
    insta::assert_snapshot!(
        "gate_prediction_reason_too_short",
        render_to_string(&app, 120, 40)
    );
    type_text(&mut app, ": the /26 goes in CHG-4713");
    app.update(Action::Submit);
    insta::assert_snapshot!(
        "gate_override_asks_for_the_word",
        render_to_string(&app, 120, 40)
    );
    type_text(&mut app, "OVERRIDE");
    app.update(Action::Submit);
    insta::assert_snapshot!("gate_override_confirm", render_to_string(&app, 120, 40));
}

#[test]
fn a_small_terminal_keeps_the_fields_and_drops_the_prefix_lines() {
    let mut app = at_predicted_gate(&["fw-bgp-to-vpn-gateway"], true);
    type_text(&mut app, "the /26 goes in CHG-4713");
    app.update(Action::Submit);
    let screen = render_to_string(&app, 100, 26);
    assert!(screen.contains("Type OVERRIDE"), "{screen}");
    assert!(screen.contains("vpn-more-specific"), "{screen}");
    assert!(!screen.contains("10.17.11.128/26"), "{screen}");
    insta::assert_snapshot!("gate_prediction_compact", screen);
}

#[test]
fn detail_of_the_gate_and_the_change_with_the_prediction() {
    let app = at_predicted_gate(&[], true);
    insta::assert_snapshot!("detail_gate_prediction", pane(&app, Pane::Detail, 110, 34));
    let app = app_with(&cat(&[
        checks(true),
        predicted_gate(&[], false),
        gate_decision(GateDecision::Confirmed),
        action_armed(),
        verified(),
        vec![
            Event::ConfirmHealthy {
                step: GUARD_STEP.into(),
            },
            prediction_checked(false),
        ],
    ]));
    let detail = pane(&app, Pane::Detail, 110, 60);
    assert!(
        detail.contains("✓ as predicted for 2 prefix(es)"),
        "{detail}"
    );
    insta::assert_snapshot!("detail_prediction_checked", detail);
}

// ---------------------------------------------------------- live data age

/// The live monitor's period in these tests.
const MONITOR_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// `events` folded in as each arrived at its time, then the console's
/// clock at `now` (fixed, so the ages in the snapshots are too).
fn app_timed(events: &[(Event, time::OffsetDateTime)], now: time::OffsetDateTime) -> App {
    let mut app = App::new(
        cutover_core::session::state::SessionState::new(classifier()),
        Theme::bundled("dark").expect("dark theme"),
    )
    .with_why(why())
    .with_monitor_every(Some(MONITOR_EVERY));
    for (e, t) in events {
        app.set_now(*t);
        app.apply_at(e, *t);
    }
    app.set_now(now);
    app
}

fn stamped(events: Vec<Event>, t: time::OffsetDateTime) -> Vec<(Event, time::OffsetDateTime)> {
    events.into_iter().map(|e| (e, t)).collect()
}

fn repeated(device: &str, query: &str, command: &str) -> Event {
    Event::ProbeRepeated {
        step: cutover_core::session::event::MONITOR_STEP.into(),
        device: device.into(),
        query: query.into(),
        command: command.into(),
        elapsed_ms: 40,
    }
}

#[test]
fn panes_show_the_age_of_their_data() {
    let app = app_timed(&stamped(failed_over(), now() - Duration::seconds(3)), now());
    let routes = pane(&app, Pane::Routes, 100, 8);
    let trace = pane(&app, Pane::Trace, 90, 9);
    let tunnels = pane(&app, Pane::Tunnels, 90, 30);
    for (name, text) in [
        ("routes", &routes),
        ("trace", &trace),
        ("tunnels", &tunnels),
    ] {
        assert!(text.contains("3 s ago"), "{name}:\n{text}");
        assert!(!text.contains("STALE"), "{name}:\n{text}");
    }
    insta::assert_snapshot!("age_routes", routes);
    insta::assert_snapshot!("age_trace", trace);
    insta::assert_snapshot!("age_tunnels", tunnels);
}

#[test]
fn a_pane_older_than_two_periods_is_marked_stale() {
    // Everything read 40 s ago; since then the monitor saw the firewall's
    // table and the VPN connection again, unchanged, 2 s ago, and nothing
    // else answered.
    let mut events = stamped(checks(true), now() - Duration::seconds(40));
    let recent = now() - Duration::seconds(2);
    events.push((repeated("fw", "route.table", TABLE_CMD), recent));
    events.push((
        repeated(
            "azure",
            "azure.connection",
            "GET /subscriptions/…/connections/SEA-Cust11-VNet01-gw-vpn-onprem",
        ),
        recent,
    ));
    let app = app_timed(&events, now());
    let routes = pane(&app, Pane::Routes, 100, 8);
    assert!(
        routes.contains("2 s ago") && !routes.contains("STALE"),
        "{routes}"
    );
    let trace = pane(&app, Pane::Trace, 90, 9);
    assert!(trace.contains("STALE 40 s ago"), "{trace}");
    let tunnels = pane(&app, Pane::Tunnels, 90, 30);
    assert!(tunnels.contains("STALE 40 s ago"), "{tunnels}");
    insta::assert_snapshot!("stale_routes_fresh", routes);
    insta::assert_snapshot!("stale_trace", trace);
    insta::assert_snapshot!("stale_tunnels", tunnels);
    // The stale mark is the warning style, so it shows without reading.
    let buf = {
        let mut t = Terminal::new(TestBackend::new(90, 9)).expect("terminal");
        t.draw(|f| cutover_tui::trace::render(f, f.area(), &app))
            .expect("draw");
        t.backend().buffer().clone()
    };
    let (x, y) = find(&buf, "STALE");
    assert_eq!(
        buf.cell((x, y)).map(|c| c.style().fg),
        Some(app.theme.warn.fg)
    );
    // Two periods is the line: 10 s old is current, 11 s is stale.
    let at = |secs: i64| {
        app_timed(
            &stamped(checks(true), now() - Duration::seconds(secs)),
            now(),
        )
    };
    assert!(!pane(&at(10), Pane::Trace, 90, 9).contains("STALE"));
    assert!(pane(&at(11), Pane::Trace, 90, 9).contains("STALE 11 s ago"));
}

#[test]
fn a_state_without_times_shows_no_age() {
    let app = app_with(&failed_over());
    for p in [Pane::Routes, Pane::Trace, Pane::Tunnels] {
        let text = pane(&app, p, 100, 30);
        assert!(!text.contains(" ago"), "{p:?}:\n{text}");
    }
}

#[test]
fn measured_failover_shows_its_range() {
    let measured = |name: &str, millis: u64| Event::Measurement {
        step: GUARD_STEP.into(),
        name: name.into(),
        millis,
        uncertainty_ms: Some(1000),
        from: Some("PUT accepted (201)".into()),
        to: Some(format!(
            "first {} on the new path",
            if name.ends_with("trace") {
                "server trace"
            } else {
                "fw table"
            }
        )),
    };
    let app = app_with(&cat(&[
        failed_over(),
        vec![
            measured("failover.table", 1_620),
            measured("failover.trace", 2_180),
        ],
    ]));
    let log = pane(&app, Pane::Log, 70, 10);
    assert!(log.contains("failover.trace 1.1–2.2 s"), "{log}");
    assert!(log.contains("failover.table 0.6–1.7 s"), "{log}");
    insta::assert_snapshot!("log_measured_ranges", log);
    let detail = pane(&app, Pane::Detail, 110, 60);
    assert!(
        detail.contains(
            "measured failover.trace: 1.1–2.2 s (from PUT accepted (201) to first server trace on the new path)"
        ),
        "{detail}"
    );
}

// ------------------------------------------------------------- lab time

#[test]
fn header_says_the_lab_runs_compressed() {
    let mut events = checks(true);
    events.insert(
        1,
        Event::LabTimeScale {
            factor: 0.1,
            hold_time_ms: 18_000,
            arm_operation_ms: 2_000,
        },
    );
    let app = app_with(&events);
    let screen = render_to_string(&app, 120, 40);
    let header = screen.lines().next().unwrap_or_default().to_string();
    insta::assert_snapshot!(header);
    // In the warning style: compressed waits are not production's.
    let buf = render_to_buffer(&app, 120, 40);
    let (x, y) = find(&buf, "time ×0.1");
    assert_eq!(buf[(x, y)].fg, Theme::dark().warn.fg.expect("warn colour"));
    // Without the event, nothing is said.
    let plain = render_to_string(&app_with(&checks(true)), 120, 40);
    assert!(!plain.lines().next().unwrap_or_default().contains("time ×"));
}

/// Issue 14: the next-hop column shows the interface of every next hop and
/// the peer a path came from, so the VPN paths (`via st0.118`) and the
/// static /32s to the gateway peers read as VPN rather than `?`.
#[test]
fn pane_routes_next_hop_interfaces_and_from() {
    let mut app = app_with(&checks(true));
    app.update(Action::Focus(Pane::Routes));
    app.update(Action::PrevSource);
    let routes = pane(&app, Pane::Routes, 110, 16);
    assert!(routes.contains("st0.118 from 10.17.11.76"), "{routes}");
    assert!(
        routes
            .lines()
            .any(|l| l.contains("10.17.11.76/32") && l.contains("VPN")),
        "{routes}"
    );
    insta::assert_snapshot!("routes_next_hop_interfaces", routes);
}

/// Issue 14: a capture that parsed with warnings (here cut short) marks its
/// probe in the step detail.
#[test]
fn pane_detail_marks_a_probe_with_parse_warnings() {
    let mut events = checks(true);
    let probe = events
        .iter_mut()
        .find(|e| matches!(e, Event::Probe { step, .. } if step == "fw-prefers-er-for-hub"))
        .expect("the firewall's table probe");
    if let Event::Probe { raw, parsed, .. } = probe {
        let whole = raw.clone().expect("raw");
        let cut = whole
            .trim_end()
            .rsplit_once('\n')
            .map(|(head, _)| head)
            .expect("lines");
        *parsed = Some(
            cutover_core::parse::to_json(cutover_core::parse::Kind::JunosRoute, cut)
                .expect("parses"),
        );
        *raw = Some(cut.to_string());
    }
    let mut app = app_with(&events);
    app.update(Action::Focus(Pane::Steps));
    keys(&mut app, &[Action::Top, Action::Down]);
    let detail = pane(&app, Pane::Detail, 90, 22);
    assert!(detail.contains("! line "), "{detail}");
    insta::assert_snapshot!("detail_probe_parse_warning", detail);
}
