//! The banner's words for what could strand the peering: a session that
//! refused to start because the peering is not Enabled, and a detached
//! guard that died while the change is out (and its replacement).

use super::App;
use cutover_core::session::state::{GuardPhase, GuardState, GuardWatch};

/// The refusal, when the session stopped before it started.
pub(super) fn refusal(app: &App) -> Option<Vec<String>> {
    let p = app.state.refusal()?;
    if app.state.guard().is_some() {
        return None;
    }
    let mut out = vec![
        format!(" ✗ NOT STARTED: {}; nothing was changed", p.detail),
        format!("   peering: {}", p.target),
    ];
    if let Some(r) = &p.remedy {
        out.push(format!("   {r}"));
    }
    Some(out)
}

/// What the console knows of the change's detached guard, while the change
/// is out and something happened to it.
pub(super) fn guard_watch(g: &GuardState) -> Vec<String> {
    let out_now = matches!(
        g.phase(),
        GuardPhase::Applying | GuardPhase::Armed | GuardPhase::RollingBack
    );
    if !out_now {
        return Vec::new();
    }
    match &g.watch {
        GuardWatch::Watching => Vec::new(),
        GuardWatch::Lost { detail, .. } => {
            vec![format!(
                " !! THE DETACHED GUARD DIED ({detail}): arming a new one…"
            )]
        }
        GuardWatch::Rearmed { lost, replaced } => {
            let times = if *replaced > 1 {
                format!(" (replaced {replaced} times)")
            } else {
                String::new()
            };
            vec![format!(
                " !! the detached guard died ({lost}); a new guard is armed{times}"
            )]
        }
        GuardWatch::Unguarded { lost, detail } => vec![
            format!(" !! NO DETACHED GUARD: it died ({lost}) and no new one could be armed ({detail})"),
            "    if this console dies now, nothing undoes the change: stay with it until it is confirmed or rolled back".to_string(),
        ],
    }
}
