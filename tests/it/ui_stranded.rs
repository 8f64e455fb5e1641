//! The console when something could strand the peering: a session that
//! refused to start because the peering is not Enabled, and a detached
//! guard that died during the change and was replaced (or could not be).

use crate::ui_support::*;
use cutover_core::session::Event;
use cutover_core::session::event::GateDecision;
use cutover_tui::render_to_string;

fn refused() -> Vec<Event> {
    let start = checks(true).into_iter().next().expect("session_start");
    let remedy = "run `cutover restore --inventory /srv/cutover/sea-cust11.toml` to enable it and verify the path is back on ExpressRoute, then start over";
    let why = format!(
        "AzurePrivatePeering is Disabled (provisioningState Succeeded) on SEA-Cust11/{CIRCUIT}/AzurePrivatePeering; {remedy}"
    );
    vec![
        start,
        Event::PeeringPreflight {
            target: format!("SEA-Cust11/{CIRCUIT}/AzurePrivatePeering"),
            state: Some("Disabled".into()),
            provisioning_state: Some("Succeeded".into()),
            ok: false,
            detail: "AzurePrivatePeering is Disabled (provisioningState Succeeded)".into(),
            remedy: Some(remedy.into()),
            ids: None,
        },
        Event::SessionEnd {
            exit_code: 1,
            outcome: format!("refused to start: {why}; nothing was changed"),
        },
    ]
}

fn changed() -> Vec<Event> {
    cat(&[
        checks(true),
        vec![gate_prompt(&[])],
        gate_decision(GateDecision::Confirmed),
        action_armed(),
    ])
}

fn lost() -> Event {
    Event::GuardLost {
        step: GUARD_STEP.into(),
        detail: "the guard process exited (signal: 9 (SIGKILL))".into(),
    }
}

#[test]
fn refused_start_names_the_disabled_peering_and_restore() {
    let app = app_with(&refused());
    let screen = render_to_string(&app, 120, 40);
    assert!(
        screen.contains("NOT STARTED: AzurePrivatePeering is Disabled"),
        "{screen}"
    );
    assert!(screen.contains("cutover restore"), "{screen}");
    assert!(screen.contains("ENDED exit 1"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn an_enabled_peering_shows_no_banner() {
    let mut events = refused();
    if let Event::PeeringPreflight {
        ok,
        remedy,
        detail,
        state,
        ..
    } = &mut events[1]
    {
        *ok = true;
        *remedy = None;
        *state = Some("Enabled".into());
        *detail = "AzurePrivatePeering is Enabled (provisioningState Succeeded)".into();
    }
    let app = app_with(&events[..2]);
    let screen = render_to_string(&app, 120, 40);
    assert!(!screen.contains("NOT STARTED"), "{screen}");
}

#[test]
fn guard_died_then_rearmed_banner() {
    let mut app = app_with(&changed());
    app.apply(&lost());
    let dying = render_to_string(&app, 120, 12);
    assert!(dying.contains("THE DETACHED GUARD DIED"), "{dying}");
    insta::assert_snapshot!("guard_died_rearming", dying);
    app.apply(&Event::GuardRearmed {
        step: GUARD_STEP.into(),
        ok: true,
        detail: "it undoes the change if this console dies; the deadline is unchanged (571 s left)"
            .into(),
    });
    let rearmed = render_to_string(&app, 120, 12);
    assert!(rearmed.contains("a new guard is armed"), "{rearmed}");
    // The countdown is still the change's own.
    assert!(rearmed.contains("09:31 to confirm"), "{rearmed}");
    insta::assert_snapshot!("guard_died_rearmed", rearmed);
}

#[test]
fn guard_died_and_could_not_be_rearmed_banner() {
    let mut app = app_with(&changed());
    app.apply(&lost());
    app.apply(&Event::GuardRearmed {
        step: GUARD_STEP.into(),
        ok: false,
        detail: "the guard did not say `ready` within 10 s".into(),
    });
    let screen = render_to_string(&app, 120, 12);
    assert!(screen.contains("NO DETACHED GUARD"), "{screen}");
    insta::assert_snapshot!("guard_died_unguarded", screen);
}
