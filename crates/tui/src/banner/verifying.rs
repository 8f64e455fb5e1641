//! The banner's verification line while a guarded change waits: only what
//! the engine has said is true. "Rolling back" is never shown here: the
//! banner says that once `rollback_started` is journaled, and until then
//! a clock that ran out reads "the rollback is due".

use std::time::Duration;

use time::OffsetDateTime;

use cutover_core::session::state::{GuardState, Traffic, VerifyStatus};

/// The operator's name for a path kind.
fn path_name(kind: &str) -> &str {
    match kind {
        "expressroute" => "ExpressRoute",
        "vpn" => "the VPN",
        "unknown" => "an unknown path",
        other => other,
    }
}

/// Whole seconds gone: a clock that shows 9 s has run at least 9 s.
fn secs_gone(d: Duration) -> u64 {
    d.as_secs()
}

/// Whole seconds left, rounded up: "in 1 s" until it is due.
fn secs_left(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// `12 s of 60 s` since the change, or that the window closed.
fn window_clock(g: &GuardState, now: OffsetDateTime) -> Option<String> {
    let w = g.window.as_ref()?;
    let within = Duration::from_millis(w.within_ms);
    let gone = w.elapsed(now)?;
    Some(if gone >= within {
        format!(
            "the verification window closed ({} s): the rollback is due",
            within.as_secs()
        )
    } else {
        format!("{} s of {} s", secs_gone(gone), within.as_secs())
    })
}

/// The traffic is lost and the verification has not passed.
pub(super) fn traffic_lost(g: &GuardState) -> bool {
    !g.verified && matches!(g.traffic, Some(Traffic::Lost { .. }))
}

/// The line under the countdown.
pub(super) fn verify_line(g: &GuardState, now: OffsetDateTime) -> String {
    let passed = if g.window.is_some() {
        g.verified
    } else {
        // A journal from before `verify_started`: the records say it.
        g.verified || g.verify_status() == VerifyStatus::Passed
    };
    if passed {
        let n = g.verifications.len();
        return format!("verification passed ({n}/{n})");
    }
    if let Some(t @ Traffic::Lost { .. }) = &g.traffic {
        let lost = t.lost_for(now).map_or(0, secs_gone);
        let line = match t.rollback_in(now) {
            Some(left) if left.is_zero() => {
                format!("TRAFFIC LOST {lost} s: the rollback is due")
            }
            Some(left) => format!(
                "TRAFFIC LOST {lost} s, rolling back in {} s",
                secs_left(left)
            ),
            None => match window_clock(g, now) {
                Some(c) => format!("TRAFFIC LOST {lost} s · verifying: {c}"),
                None => format!("TRAFFIC LOST {lost} s"),
            },
        };
        return line;
    }
    let Some(clock) = window_clock(g, now) else {
        // No window announced: say only what the records say.
        let pending: Vec<&str> = g
            .verifications
            .iter()
            .filter(|v| !v.passed)
            .map(|v| v.clause.as_str())
            .collect();
        let line = if pending.is_empty() {
            "verification running".to_string()
        } else {
            format!(
                "verification running, not passed yet: {}",
                pending.join("; ")
            )
        };
        return line;
    };
    match &g.traffic {
        Some(Traffic::Seen {
            path, moved: false, ..
        }) => format!("verifying: still on {}, {clock}", path_name(path)),
        Some(Traffic::Seen {
            path, moved: true, ..
        }) => format!("verifying: traffic over {}, {clock}", path_name(path)),
        _ => format!("verifying: {clock}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_gone_round_down_and_seconds_left_round_up() {
        assert_eq!(secs_gone(Duration::from_millis(9_900)), 9);
        assert_eq!(secs_left(Duration::from_millis(5_100)), 6);
        assert_eq!(secs_left(Duration::from_secs(6)), 6);
        assert_eq!(secs_left(Duration::ZERO), 0);
    }
}
