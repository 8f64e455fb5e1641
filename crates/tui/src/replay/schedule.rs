//! When each record plays back: the journal's own timestamps, with idle
//! periods squeezed and the whole scaled by the speed.
//!
//! A maintenance session idles for minutes (the operator reads, the
//! deadline runs); played back at its real pace nobody would watch it. So
//! every gap between two records is capped at [`MAX_GAP`] before the speed
//! divides it. A gap that runs backwards (a clock step, or an edited
//! journal) counts as zero, so playback time never goes back.

use std::time::Duration;

use time::OffsetDateTime;

use cutover_journal::Record;

/// The longest pause between two records in a playback, at speed 1.
pub const MAX_GAP: Duration = Duration::from_secs(2);

/// Whether `speed` means "no waiting at all".
pub fn is_instant(speed: f64) -> bool {
    !(speed.is_finite() && speed > 0.0)
}

/// The journal's gap from `prev` to `next`, capped at `max_gap`; never
/// negative.
pub fn gap(prev: OffsetDateTime, next: OffsetDateTime, max_gap: Duration) -> Duration {
    let d = next - prev;
    if d.is_negative() {
        return Duration::ZERO;
    }
    Duration::try_from(d).unwrap_or(max_gap).min(max_gap)
}

/// How long to wait for a (capped) gap at `speed`; zero when instant.
pub fn wait(gap: Duration, speed: f64) -> Duration {
    if is_instant(speed) {
        return Duration::ZERO;
    }
    Duration::try_from_secs_f64(gap.as_secs_f64() / speed).unwrap_or(Duration::MAX)
}

/// When each record plays, in seconds after the first, at `speed`: the sum
/// of the capped gaps before it, each divided by `speed`. All zero when
/// the speed is instant.
pub fn offsets(records: &[Record], speed: f64, max_gap: Duration) -> Vec<f64> {
    let mut out = Vec::with_capacity(records.len());
    let mut t = Duration::ZERO;
    let mut prev: Option<OffsetDateTime> = None;
    for r in records {
        if let Some(p) = prev {
            t = t.saturating_add(wait(gap(p, r.ts, max_gap), speed));
        }
        out.push(t.as_secs_f64());
        prev = Some(r.ts);
    }
    out
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn gaps_are_capped_and_never_negative() {
        let a = datetime!(2026-11-20 02:00:00 UTC);
        let b = datetime!(2026-11-20 02:00:01.5 UTC);
        let c = datetime!(2026-11-20 02:10:00 UTC);
        assert_eq!(gap(a, b, MAX_GAP), Duration::from_millis(1500));
        assert_eq!(gap(b, c, MAX_GAP), MAX_GAP);
        assert_eq!(gap(c, a, MAX_GAP), Duration::ZERO);
    }

    #[test]
    fn speed_divides_and_zero_is_instant() {
        let g = Duration::from_secs(2);
        assert_eq!(wait(g, 2.0), Duration::from_secs(1));
        assert_eq!(wait(g, 0.5), Duration::from_secs(4));
        assert_eq!(wait(g, 0.0), Duration::ZERO);
        assert_eq!(wait(g, f64::NAN), Duration::ZERO);
        assert!(is_instant(0.0) && !is_instant(1.0));
    }
}
