//! The one way a duration is written for a person: the console, headless
//! output, journal notes and reports all call [`human`] (and
//! [`human_pm`] when the value has an uncertainty). JSON keeps its numeric
//! `_ms` fields; only text goes through here.
//!
//! Milliseconds are shown only below a second, tenths of a second below
//! a minute, and above that the two largest units (`1m 06s`, `2h 05m`,
//! `3d 04h`, `90d`): a reader compares `1m 06s` with a 10-minute deadline
//! at a glance, and `66075 ms` not at all.

const SECOND: u64 = 1_000;
const MINUTE: u64 = 60 * SECOND;
const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 24 * HOUR;

/// `< 1 ms`, `850 ms`, `1.2 s`, `42.0 s`, `1m 06s`, `2h 05m`, `3d 04h`,
/// `90d`.
pub fn human(ms: u64) -> String {
    if ms == 0 {
        // A zero reading means "below the clock's resolution", not "free".
        return "< 1 ms".into();
    }
    if ms < SECOND {
        return format!("{ms} ms");
    }
    if ms < MINUTE {
        // Rounded to the nearest tenth; 59.96 s would read `60.0 s`, so
        // it is written as the minute it rounds to.
        let tenths = (ms + 50) / 100;
        if tenths < 600 {
            return format!("{}.{} s", tenths / 10, tenths % 10);
        }
        return "1m 00s".into();
    }
    // Above a minute the smaller unit is truncated, never rounded up, so a
    // shown time is never later than the real one.
    if ms < HOUR {
        return format!("{}m {:02}s", ms / MINUTE, (ms % MINUTE) / SECOND);
    }
    if ms < DAY {
        return format!("{}h {:02}m", ms / HOUR, (ms % HOUR) / MINUTE);
    }
    let hours = (ms % DAY) / HOUR;
    if ms.is_multiple_of(DAY) {
        format!("{}d", ms / DAY)
    } else {
        format!("{}d {hours:02}h", ms / DAY)
    }
}

/// [`human`] for a `std::time::Duration`.
pub fn human_std(d: std::time::Duration) -> String {
    human(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A value with its uncertainty: `1.2 s ± 0.5 s`; `human` alone when the
/// uncertainty is unknown or zero.
pub fn human_pm(ms: u64, uncertainty_ms: Option<u64>) -> String {
    match uncertainty_ms {
        Some(u) if u > 0 => format!("{} ± {}", human(ms), human(u)),
        _ => human(ms),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_range_has_its_unit() {
        for (ms, text) in [
            (0, "< 1 ms"),
            (1, "1 ms"),
            (850, "850 ms"),
            (999, "999 ms"),
            (1_000, "1.0 s"),
            (1_249, "1.2 s"),
            (1_250, "1.3 s"),
            (9_999, "10.0 s"),
            (42_000, "42.0 s"),
            (59_949, "59.9 s"),
            (59_950, "1m 00s"),
            (60_000, "1m 00s"),
            (66_075, "1m 06s"),
            (3_599_999, "59m 59s"),
            (3_600_000, "1h 00m"),
            (7_500_000, "2h 05m"),
            (86_399_999, "23h 59m"),
            (86_400_000, "1d"),
            (273_600_000, "3d 04h"),
            (7_776_000_000, "90d"),
            (7_776_060_000, "90d 00h"),
        ] {
            assert_eq!(human(ms), text, "{ms} ms");
        }
    }

    #[test]
    fn no_raw_millisecond_count_above_a_second() {
        for ms in [1_000, 10_001, 66_075, 7_776_000_000, u64::MAX] {
            assert!(!human(ms).ends_with(" ms"), "{ms}: {}", human(ms));
        }
    }

    #[test]
    fn uncertainty_is_shown_when_known() {
        assert_eq!(human_pm(1_200, Some(500)), "1.2 s ± 500 ms");
        assert_eq!(human_pm(1_200, Some(0)), "1.2 s");
        assert_eq!(human_pm(66_075, None), "1m 06s");
        assert_eq!(human_std(std::time::Duration::from_secs(125)), "2m 05s");
    }
}
