//! Headless lines for what could strand the peering: the peering read
//! before the start (a refusal names `cutover restore`), and the detached
//! guard lost and re-armed during a change.

use cutover_core::session::Event;

/// `(step, text)` for those events; `None` for any other.
pub(super) fn describe(e: &Event) -> Option<(&str, String)> {
    Some(match e {
        Event::PeeringPreflight {
            target,
            ok,
            detail,
            remedy,
            ..
        } => (
            "",
            match (ok, remedy) {
                (true, _) => format!("{target}: {detail}"),
                (false, Some(r)) => format!("REFUSED: {detail}\n{r}"),
                (false, None) => format!("REFUSED: {detail}"),
            },
        ),
        Event::GuardLost { step, detail } => (
            step.as_str(),
            format!("DETACHED GUARD LOST: {detail}; arming a new one"),
        ),
        Event::GuardRearmed { step, ok, detail } => (
            step.as_str(),
            if *ok {
                format!("a new detached guard watches the change ({detail})")
            } else {
                format!(
                    "NO DETACHED GUARD: {detail}; stay with this console until the change is confirmed or rolled back"
                )
            },
        ),
        _ => return None,
    })
}
