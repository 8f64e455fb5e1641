//! Wording shared by the Markdown and HTML renderings: durations, paths,
//! hops, verdicts. Escaping is each format's own (see `markdown` and
//! `html`), and so is redaction's place: right before escaping.

use cutover_core::model::analysis::PathView;
use cutover_core::model::path::PathKind;
use cutover_core::model::table::NextHop;

/// A duration in the workspace's one human form (`850 ms`, `4.2 s`,
/// `2m 03s`, `1h 02m`, `90d`): `cutover_core::model::duration::human`.
pub fn duration(ms: u64) -> String {
    cutover_core::model::duration::human(ms)
}

/// `+mm:ss` from the session start (`+h:mm:ss` past an hour).
pub fn offset(ms: u64) -> String {
    let s = ms / 1000;
    if s >= 3600 {
        format!("+{}:{:02}:{:02}", s / 3600, (s % 3600) / 60, s % 60)
    } else {
        format!("+{:02}:{:02}", s / 60, s % 60)
    }
}

pub fn kind(k: PathKind) -> &'static str {
    match k {
        PathKind::ExpressRoute => "ExpressRoute",
        PathKind::Vpn => "VPN",
        PathKind::Unknown => "unknown",
    }
}

pub fn next_hop(h: &NextHop) -> String {
    match (&h.addr, &h.interface) {
        (Some(a), Some(i)) => format!("{a} via {i}"),
        (Some(a), None) => a.to_string(),
        (None, Some(i)) => format!("via {i}"),
        (None, None) => "-".into(),
    }
}

/// One path: `VPN · via st0.118 · localpref 100 · AS path 65515 · from
/// 10.17.11.76`.
pub fn path(p: &PathView) -> String {
    let mut parts = vec![kind(p.kind).to_string()];
    match &p.next_hops {
        Some(hops) if !hops.is_empty() => {
            parts.push(hops.iter().map(next_hop).collect::<Vec<_>>().join(", "));
        }
        Some(_) => {}
        None => parts.push("next hop self".into()),
    }
    if !p.protocol.is_empty() {
        parts.push(p.protocol.clone());
    }
    if let Some(lp) = p.local_pref {
        parts.push(format!("localpref {lp}"));
    }
    if let Some(asp) = &p.as_path {
        let text = if asp.is_empty() {
            "(empty)".to_string()
        } else {
            asp.iter().map(u32::to_string).collect::<Vec<_>>().join(" ")
        };
        parts.push(format!("AS path {text}"));
    }
    if let Some(med) = p.med {
        parts.push(format!("MED {med}"));
    }
    if let Some(from) = p.learned_from {
        parts.push(format!("from {from}"));
    }
    parts.join(" · ")
}

/// An active path or its absence.
pub fn active(p: Option<&PathView>) -> String {
    p.map_or_else(|| "no active path".to_string(), path)
}

/// The verdict as a reader scans for it: failures in capitals.
pub fn verdict(v: &str) -> &'static str {
    match v {
        "passed" => "passed",
        "failed" => "FAILED",
        "overridden" => "OVERRIDDEN",
        "skipped" => "skipped",
        "unfinished" => "UNFINISHED",
        "not_run" => "not run",
        _ => "?",
    }
}

pub fn pass(p: bool) -> &'static str {
    if p { "PASS" } else { "FAIL" }
}

/// The result of a guarded change, in words.
pub fn action_result(r: &str) -> &'static str {
    match r {
        "confirmed" => "confirmed healthy by the operator",
        "rolled_back" => "ROLLED BACK (the rollback succeeded)",
        "rollback_failed" => "ROLLBACK FAILED: the operator must act",
        "rolling_back" => "ROLLING BACK when the journal ends",
        "failed" => "THE CHANGE FAILED",
        "not_applied" => "NOT APPLIED: the change failed and the peering was left as it was",
        "cancelled" => "CANCELLED before any write was accepted: nothing was changed",
        "unconfirmed" => "not confirmed when the journal ends",
        _ => "?",
    }
}

/// Who stopped a change before any write was accepted.
pub fn cancel_reason(r: &str) -> &'static str {
    match r {
        "operator" => "the operator aborted",
        "console_lost" => "the console went away",
        _ => "unknown reason",
    }
}

pub fn rollback_reason(r: &str) -> &'static str {
    match r {
        "deadline_passed" => "the deadline passed without a confirmation",
        "verification_failed" => "a verification failed",
        "operator" => "the operator asked for it",
        "console_lost" => "the console went away; the detached guard acted",
        "traffic_lost" => "the test traffic was lost for longer than max_outage",
        "journal_failed" => "the journal failed, so no confirmation could be recorded",
        _ => "unknown reason",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(850), "850 ms");
        assert_eq!(duration(4213), "4.2 s");
        assert_eq!(duration(123_456), "2m 03s");
        assert_eq!(duration(3_723_000), "1h 02m");
        assert_eq!(offset(65_000), "+01:05");
        assert_eq!(offset(3_725_000), "+1:02:05");
    }
}
