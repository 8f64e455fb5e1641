//! Time for the lab: real time when it serves a drill, virtual time in tests,
//! so that a 180 s hold timer can be tested without waiting 180 s.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A monotonic clock: the time elapsed since the clock started.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> Duration;
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> Duration {
        (**self).now()
    }
}

/// Wall time as `std::time::Instant` measures it.
#[derive(Debug, Clone, Copy)]
pub struct RealClock {
    start: Instant,
}

impl RealClock {
    pub fn new() -> Self {
        Self {
            start: Instant::now(),
        }
    }
}

impl Default for RealClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for RealClock {
    fn now(&self) -> Duration {
        self.start.elapsed()
    }
}

/// A clock that moves only when told to. Shared by reference (or `Arc`)
/// between a test and the world it drives, hence the atomic.
#[derive(Debug, Default)]
pub struct VirtualClock {
    nanos: AtomicU64,
}

impl VirtualClock {
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the clock forward by `d` (saturating: a u64 of nanoseconds
    /// lasts 584 years).
    pub fn advance(&self, d: Duration) {
        let add = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        let mut cur = self.nanos.load(Ordering::Acquire);
        loop {
            let next = cur.saturating_add(add);
            match self
                .nanos
                .compare_exchange_weak(cur, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return,
                Err(seen) => cur = seen,
            }
        }
    }

    /// Moves the clock to `t` if that is later than now; a clock that went
    /// backwards would replay events, so earlier times are ignored.
    pub fn set(&self, t: Duration) {
        let want = u64::try_from(t.as_nanos()).unwrap_or(u64::MAX);
        self.nanos.fetch_max(want, Ordering::AcqRel);
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::Acquire))
    }
}

/// How much the lab compresses its long waits (`--time-scale`): the BGP
/// hold time and ARM's operations last `factor` times their real length,
/// so that a drill need not wait 180 s for a hold timer or 20 s for each
/// PUT. BFD detection, convergence and round-trip times are never scaled:
/// they are what the trainee measures and reads, and they are short
/// already.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeScale(f64);

/// A `--time-scale` that is not a factor in (0, 1].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeScaleError {
    #[error("`{0}` is not a number (for example 0.1)")]
    NotANumber(String),
    #[error(
        "a time scale of `{0}` is outside (0, 1]: it compresses waits and never stretches them (for example 0.1 makes them ten times shorter)"
    )]
    OutOfRange(String),
}

impl TimeScale {
    /// Real time: nothing compressed.
    pub const REAL: TimeScale = TimeScale(1.0);
    /// The project's tests: a 20 s ARM operation takes 3 s and the 180 s
    /// hold time 27 s (still longer than the bundled runbook's 15 s
    /// `max_outage`, so slow-convergence still rolls back).
    pub const TESTS: TimeScale = TimeScale(0.15);

    pub fn new(factor: f64) -> Result<TimeScale, TimeScaleError> {
        if factor.is_finite() && factor > 0.0 && factor <= 1.0 {
            Ok(TimeScale(factor))
        } else {
            Err(TimeScaleError::OutOfRange(factor.to_string()))
        }
    }

    pub fn factor(self) -> f64 {
        self.0
    }

    pub fn is_real(self) -> bool {
        self.0 >= 1.0
    }

    /// `d` compressed, to the millisecond: no timer of the lab is finer.
    pub fn apply(self, d: Duration) -> Duration {
        if self.is_real() {
            return d;
        }
        Duration::from_millis((d.as_secs_f64() * 1000.0 * self.0).round() as u64)
    }
}

impl Default for TimeScale {
    fn default() -> Self {
        TimeScale::REAL
    }
}

impl std::str::FromStr for TimeScale {
    type Err = TimeScaleError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let f: f64 = s
            .trim()
            .parse()
            .map_err(|_| TimeScaleError::NotANumber(s.to_string()))?;
        TimeScale::new(f).map_err(|_| TimeScaleError::OutOfRange(s.to_string()))
    }
}

impl std::fmt::Display for TimeScale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl crate::scenario::Timing {
    /// These timers under `scale`: the long waits (the hold time, ARM's
    /// operations) compressed, the rest as they are.
    pub fn scaled(self, scale: TimeScale) -> Self {
        crate::scenario::Timing {
            hold_time: scale.apply(self.hold_time),
            provisioning: scale.apply(self.provisioning),
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_clock_moves_only_forward() {
        let c = VirtualClock::new();
        assert_eq!(c.now(), Duration::ZERO);
        c.advance(Duration::from_millis(500));
        c.advance(Duration::from_millis(500));
        assert_eq!(c.now(), Duration::from_secs(1));
        c.set(Duration::from_millis(200));
        assert_eq!(c.now(), Duration::from_secs(1));
        c.set(Duration::from_secs(3));
        assert_eq!(c.now(), Duration::from_secs(3));
    }

    #[test]
    fn time_scale_compresses_the_long_waits_only() {
        let s: TimeScale = "0.1".parse().unwrap();
        assert_eq!(s.factor(), 0.1);
        assert_eq!(s.apply(Duration::from_secs(180)), Duration::from_secs(18));
        assert_eq!(
            s.apply(Duration::from_millis(1234)),
            Duration::from_millis(123)
        );
        assert_eq!(
            TimeScale::REAL.apply(Duration::from_nanos(1_500)),
            Duration::from_nanos(1_500)
        );
        let t = crate::scenario::Timing::default();
        let c = t.scaled(s);
        assert_eq!(c.hold_time, t.hold_time / 10);
        assert_eq!(c.provisioning, t.provisioning / 10);
        // What the trainee measures is not compressed.
        assert_eq!(
            (c.bfd_interval, c.bfd_multiplier, c.establish),
            (t.bfd_interval, t.bfd_multiplier, t.establish)
        );
        assert_eq!(
            (c.convergence, c.convergence_max),
            (t.convergence, t.convergence_max)
        );
        assert_eq!(t.scaled(TimeScale::REAL), t);
    }

    #[test]
    fn time_scale_outside_zero_to_one_is_refused() {
        for bad in ["0", "-0.5", "1.5", "inf", "NaN"] {
            let e = bad.parse::<TimeScale>().unwrap_err();
            assert!(matches!(e, TimeScaleError::OutOfRange(_)), "{bad}: {e:?}");
            assert!(e.to_string().contains(bad), "{e}");
        }
        let e = "fast".parse::<TimeScale>().unwrap_err();
        assert!(e.to_string().contains("`fast` is not a number"), "{e}");
        assert_eq!("1".parse::<TimeScale>().unwrap(), TimeScale::REAL);
        assert!("0.001".parse::<TimeScale>().is_ok());
    }

    #[test]
    fn real_clock_is_monotonic() {
        let c = RealClock::new();
        let a = c.now();
        let b = c.now();
        assert!(b >= a);
    }
}
