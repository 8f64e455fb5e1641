//! Durations as operators write them: `500ms`, `90s`, `10m`, `1h30m`, `90d`.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// A positive span of time written as number/unit groups, largest unit first.
///
/// Units: `d` (24 h), `h`, `m`, `s`, `ms`. Zero is refused because every
/// duration in a runbook is a deadline, an interval or a cadence, and a zero
/// one is always a typo that would fire immediately or spin. Longer than
/// [`Duration::MAX`] is refused too: nothing in a procedure waits a year, and
/// a deadline that far out would overflow a clock when it is armed
/// (`Instant + 99999999999h` panics) instead of being reported.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(std::time::Duration);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error(
        "bad duration `{0}`: expected a number and a unit (ms, s, m, h, d), e.g. 90s, 10m, 1h30m"
    )]
    Syntax(String),
    #[error(
        "bad duration `{0}`: units must go from the largest to the smallest, each at most once (e.g. 1h30m)"
    )]
    Order(String),
    #[error("bad duration `{0}`: it must be longer than zero")]
    Zero(String),
    #[error("bad duration `{0}`: longer than {max}, the longest a duration may be", max = Duration::MAX)]
    Overflow(String),
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Unit {
    Ms,
    S,
    M,
    H,
    D,
}

impl Unit {
    fn millis(self) -> u64 {
        match self {
            Unit::Ms => 1,
            Unit::S => 1_000,
            Unit::M => 60_000,
            Unit::H => 3_600_000,
            Unit::D => 86_400_000,
        }
    }
}

impl Duration {
    /// The longest duration [`Duration::parse`] accepts: 365 days. The
    /// longest one the bundled runbooks use is `repeat_every = "90d"`.
    pub const MAX: Duration = Duration(std::time::Duration::from_secs(365 * 86_400));

    pub fn from_std(d: std::time::Duration) -> Self {
        Duration(d)
    }

    pub fn as_std(&self) -> std::time::Duration {
        self.0
    }

    pub fn as_millis(&self) -> u128 {
        self.0.as_millis()
    }

    pub fn parse(text: &str) -> Result<Self, DurationError> {
        let syntax = || DurationError::Syntax(text.to_string());
        let bytes = text.as_bytes();
        if bytes.is_empty() {
            return Err(syntax());
        }
        let mut i = 0;
        let mut total: u64 = 0;
        let mut last: Option<Unit> = None;
        while i < bytes.len() {
            let start = i;
            while bytes.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            let digits = text.get(start..i).ok_or_else(syntax)?;
            if digits.is_empty() {
                return Err(syntax());
            }
            let n: u64 = digits
                .parse()
                .map_err(|_| DurationError::Overflow(text.to_string()))?;
            let unit = match (bytes.get(i), bytes.get(i + 1)) {
                (Some(b'm'), Some(b's')) => {
                    i += 2;
                    Unit::Ms
                }
                (Some(b's'), _) => {
                    i += 1;
                    Unit::S
                }
                (Some(b'm'), _) => {
                    i += 1;
                    Unit::M
                }
                (Some(b'h'), _) => {
                    i += 1;
                    Unit::H
                }
                (Some(b'd'), _) => {
                    i += 1;
                    Unit::D
                }
                _ => return Err(syntax()),
            };
            if last.is_some_and(|l| unit >= l) {
                return Err(DurationError::Order(text.to_string()));
            }
            last = Some(unit);
            total = n
                .checked_mul(unit.millis())
                .and_then(|ms| total.checked_add(ms))
                .ok_or_else(|| DurationError::Overflow(text.to_string()))?;
        }
        if total == 0 {
            return Err(DurationError::Zero(text.to_string()));
        }
        if u128::from(total) > Self::MAX.as_millis() {
            return Err(DurationError::Overflow(text.to_string()));
        }
        Ok(Duration(std::time::Duration::from_millis(total)))
    }
}

impl FromStr for Duration {
    type Err = DurationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Canonical form: the same notation it was parsed from, largest unit first
/// (`90m` prints as `1h30m`).
impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ms = self.0.as_millis();
        if ms == 0 {
            return f.write_str("0s");
        }
        for (unit, size) in [
            ("d", 86_400_000u128),
            ("h", 3_600_000),
            ("m", 60_000),
            ("s", 1_000),
            ("ms", 1),
        ] {
            let n = ms / size;
            if n > 0 {
                write!(f, "{n}{unit}")?;
                ms -= n * size;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ms(s: &str) -> u128 {
        Duration::parse(s).expect("valid duration").as_millis()
    }

    #[test]
    fn parses_every_unit_and_combinations() {
        assert_eq!(ms("500ms"), 500);
        assert_eq!(ms("90s"), 90_000);
        assert_eq!(ms("10m"), 600_000);
        assert_eq!(ms("1h30m"), 5_400_000);
        assert_eq!(ms("90d"), 90 * 86_400_000);
        assert_eq!(ms("1d2h3m4s5ms"), 93_784_005);
        assert_eq!(ms("365d"), Duration::MAX.as_millis());
        assert_eq!(ms("8760h"), Duration::MAX.as_millis());
    }

    #[test]
    fn refuses_anything_past_a_year() {
        // Each of these fits in a u64 of milliseconds: the bound, not the
        // arithmetic, refuses them.
        for long in [
            "366d",
            "8760h1ms",
            "99999999999h",
            "365d1ms",
            "31536000001ms",
        ] {
            let e = Duration::parse(long).expect_err(long);
            assert_eq!(
                e.to_string(),
                format!("bad duration `{long}`: longer than 365d, the longest a duration may be")
            );
        }
    }

    #[test]
    fn refuses_bad_forms() {
        for bad in [
            "", "10", "m", "10 m", "1.5h", "10x", "-5s", "30m1h", "1m1m", "1h 30m", "5S", "٣s",
        ] {
            assert!(Duration::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(matches!(Duration::parse("0s"), Err(DurationError::Zero(_))));
        assert!(matches!(
            Duration::parse("30m1h"),
            Err(DurationError::Order(_))
        ));
        assert!(matches!(
            Duration::parse("99999999999999999999d"),
            Err(DurationError::Overflow(_))
        ));
        assert!(matches!(
            Duration::parse("999999999999999d"),
            Err(DurationError::Overflow(_))
        ));
    }

    #[test]
    fn displays_canonically() {
        assert_eq!(Duration::parse("90m").expect("valid").to_string(), "1h30m");
        assert_eq!(
            Duration::parse("1500ms").expect("valid").to_string(),
            "1s500ms"
        );
        assert_eq!(Duration::parse("90d").expect("valid").to_string(), "90d");
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,12}") {
            let _ = Duration::parse(&s);
        }

        #[test]
        fn display_round_trips(n in 1u64..=31_536_000_000) {
            let d = Duration::from_std(std::time::Duration::from_millis(n));
            let back = Duration::parse(&d.to_string()).expect("canonical form parses");
            prop_assert_eq!(back, d);
        }
    }
}
