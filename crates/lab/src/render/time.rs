//! How Junos writes durations.

use std::time::Duration;

fn parts(d: Duration) -> (u64, u64, u64, u64, u64) {
    let s = d.as_secs();
    (
        s / 604_800,
        s / 86_400 % 7,
        s / 3600 % 24,
        s / 60 % 60,
        s % 60,
    )
}

/// A route's age in `show route` and in `<age>`: `02:30:55`,
/// `2d 00:34:04`, `5w2d 15:42:25`.
pub fn route_age(d: Duration) -> String {
    let (w, days, h, m, s) = parts(d);
    if w > 0 {
        format!("{w}w{days}d {h:02}:{m:02}:{s:02}")
    } else if days > 0 {
        format!("{days}d {h:02}:{m:02}:{s:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}")
    }
}

/// An elapsed time in `show bgp summary` (Last Up/Dwn) and in the
/// `detail` form's `Age:`: `19`, `4:05`, `7:14:16`, `6d 17:15:31`,
/// `3w2d 4:19:15`.
pub fn elapsed(d: Duration) -> String {
    let (w, days, h, m, s) = parts(d);
    if w > 0 {
        format!("{w}w{days}d {h}:{m:02}:{s:02}")
    } else if days > 0 {
        format!("{days}d {h}:{m:02}:{s:02}")
    } else if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else if m > 0 {
        format!("{m}:{s:02}")
    } else {
        format!("{s}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(days: u64, h: u64, m: u64, s: u64) -> Duration {
        Duration::from_secs(((days * 24 + h) * 60 + m) * 60 + s)
    }

    #[test]
    fn formats() {
        assert_eq!(route_age(d(2, 0, 34, 4)), "2d 00:34:04");
        assert_eq!(route_age(d(0, 2, 30, 55)), "02:30:55");
        assert_eq!(route_age(d(37, 15, 42, 25)), "5w2d 15:42:25");
        assert_eq!(elapsed(d(0, 0, 0, 19)), "19");
        assert_eq!(elapsed(d(0, 0, 4, 5)), "4:05");
        assert_eq!(elapsed(d(0, 7, 14, 16)), "7:14:16");
        assert_eq!(elapsed(d(6, 17, 15, 31)), "6d 17:15:31");
        assert_eq!(elapsed(d(23, 4, 19, 15)), "3w2d 4:19:15");
    }
}
