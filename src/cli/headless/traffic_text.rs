//! The verification window and the test traffic, as headless lines: what
//! the operator reads before a `traffic_lost` rollback, and why.

use cutover_core::model::duration::human;
use cutover_core::session::Event;

/// The text of a `verify_started`, `traffic_seen` or `traffic_lost` line.
pub(super) fn traffic(e: &Event) -> String {
    match e {
        Event::VerifyStarted {
            within_ms,
            max_outage_ms,
            ..
        } => match max_outage_ms {
            Some(m) => format!(
                "verifying for up to {}; traffic lost longer than {} rolls back",
                human(*within_ms),
                human(*m)
            ),
            None => format!("verifying for up to {}", human(*within_ms)),
        },
        Event::TrafficSeen {
            path,
            moved,
            elapsed_ms,
            lost_ms,
            ..
        } => {
            let mut t = if *moved {
                format!(
                    "traffic reaches the target over {path} (+{} from the write accepted)",
                    human(*elapsed_ms)
                )
            } else {
                format!(
                    "not moved yet: traffic still reaches the target over {path} (+{} from the write accepted)",
                    human(*elapsed_ms)
                )
            };
            if let Some(l) = lost_ms {
                t.push_str(&format!(", after {} lost", human(*l)));
            }
            t
        }
        Event::TrafficLost {
            elapsed_ms,
            unseen_ms,
            rollback_at,
            evidence,
            ..
        } => {
            let then = match rollback_at {
                Some(at) => format!("rolling back at {at} unless it comes back"),
                None => "no max_outage: the verification decides".to_string(),
            };
            format!(
                "TRAFFIC LOST at +{} from the write accepted (unseen for up to {} before that): {evidence}; {then}",
                human(*elapsed_ms),
                human(*unseen_ms)
            )
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loss_names_when_the_rollback_is_due() {
        let lost = Event::TrafficLost {
            step: "d".into(),
            since: "2026-11-20T02:00:10.000Z".into(),
            elapsed_ms: 10_000,
            unseen_ms: 5_000,
            rollback_at: Some("2026-11-20T02:00:25.000Z".into()),
            evidence: "10.17.11.132 did not answer".into(),
        };
        assert_eq!(
            traffic(&lost),
            "TRAFFIC LOST at +10.0 s from the write accepted (unseen for up to 5.0 s before that): 10.17.11.132 did not answer; rolling back at 2026-11-20T02:00:25.000Z unless it comes back"
        );
        let back = Event::TrafficSeen {
            step: "d".into(),
            path: "vpn".into(),
            moved: true,
            elapsed_ms: 15_000,
            lost_ms: Some(5_000),
        };
        assert_eq!(
            traffic(&back),
            "traffic reaches the target over vpn (+15.0 s from the write accepted), after 5.0 s lost"
        );
    }
}
