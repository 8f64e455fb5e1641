//! How long a probe takes: one-way latencies per kind of link, and the
//! jitter that makes two probes of the same path differ, as they do on a
//! real network. The jitter is drawn from the scenario's seed and the
//! probe's serial number, never from the clock: the same scenario probed
//! in the same order prints the same times, and a test can rely on that.
//! Round-trip times are never compressed by `--time-scale`: they are what
//! the trainee reads.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::mix;

// One-way latencies, milliseconds: a LAN hop, the CE-MSEE link, Microsoft's
// edge to the region, a gateway inside the VNet, a gateway to a VM.
pub(super) const LAN_MS: f64 = 0.15;
pub(super) const SERVER_MS: f64 = 0.2;
pub(super) const ER_LINK_MS: f64 = 0.6;
pub(super) const ER_CORE_MS: f64 = 1.2;
pub(super) const AZURE_MS: f64 = 0.3;
pub(super) const VM_MS: f64 = 0.9;
/// The S2S tunnel: the Internet between the site and the Azure region
/// (a longer, public path than the provider's circuit to the MSEE), plus
/// the IPsec encryption and encapsulation at each end.
pub(super) const TUNNEL_MS: f64 = INTERNET_MS + IPSEC_MS;
const INTERNET_MS: f64 = 8.5;
const IPSEC_MS: f64 = 0.5;

/// Queueing on a LAN or a private circuit: up to this share of the path's
/// round trip, plus a few microseconds of host noise.
const QUEUE_SHARE: f64 = 0.06;
const HOST_NOISE_MS: f64 = 0.02;
/// The Internet under a tunnel adds up to this per crossing, with a long
/// tail: most probes see little of it, a few see most.
const INTERNET_JITTER_MS: f64 = 4.0;

/// Counts the probes a world has answered, so that each draws its own
/// jitter. Shared by the lab's sessions (hence atomic); a cloned world
/// counts on from where the original was.
#[derive(Debug, Default)]
pub(crate) struct ProbeSerial(AtomicU64);

impl ProbeSerial {
    pub(super) fn next(&self) -> u64 {
        self.0.fetch_add(1, Ordering::Relaxed)
    }
}

impl Clone for ProbeSerial {
    fn clone(&self) -> Self {
        ProbeSerial(AtomicU64::new(self.0.load(Ordering::Relaxed)))
    }
}

/// A uniform draw in [0, 1) from a hash.
fn unit(h: u64) -> f64 {
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// One probe's round trip over a path whose undisturbed round trip is
/// `base_ms` and that crossed `tunnels` IPsec tunnels (there and back),
/// rounded to the microsecond as `traceroute` prints it. `serial` is the
/// probe's number in the world's count, `seed` the scenario's.
pub(super) fn probe_rtt(seed: u64, serial: u64, base_ms: f64, tunnels: u32) -> f64 {
    let h = mix(seed ^ serial.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let queue = unit(h);
    let internet = unit(mix(h ^ 0x1e7_7e4));
    let v = base_ms * (1.0 + QUEUE_SHARE * queue)
        + HOST_NOISE_MS * queue
        + f64::from(tunnels) * INTERNET_JITTER_MS * internet.powi(3);
    (v * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_probes_of_one_path_differ_and_a_seed_repeats() {
        let a: Vec<f64> = (0..3).map(|n| probe_rtt(7, n, 6.3, 0)).collect();
        let b: Vec<f64> = (0..3).map(|n| probe_rtt(7, n, 6.3, 0)).collect();
        assert_eq!(a, b, "same seed, same serials: same times");
        assert!(a[0] != a[1] && a[1] != a[2], "{a:?}");
        assert_ne!(probe_rtt(8, 0, 6.3, 0), a[0], "another scenario");
        // Jitter only adds delay, within its bounds.
        for n in 0..1000 {
            let er = probe_rtt(7, n, 6.3, 0);
            assert!((6.3..6.3 * 1.06 + 0.021).contains(&er), "{er}");
            let vpn = probe_rtt(7, n, 20.0, 2);
            assert!((20.0..20.0 * 1.06 + 0.021 + 8.0).contains(&vpn), "{vpn}");
        }
    }

    #[test]
    fn the_internet_varies_more_than_the_circuit() {
        let spread = |tunnels| {
            let v: Vec<f64> = (0..500).map(|n| probe_rtt(1, n, 20.0, tunnels)).collect();
            v.iter().cloned().fold(f64::MIN, f64::max) - v.iter().cloned().fold(f64::MAX, f64::min)
        };
        assert!(
            spread(2) > 3.0 * spread(0),
            "{} vs {}",
            spread(2),
            spread(0)
        );
    }

    #[test]
    fn a_cloned_serial_counts_on() {
        let s = ProbeSerial::default();
        assert_eq!((s.next(), s.next()), (0, 1));
        let c = s.clone();
        assert_eq!((s.next(), c.next()), (2, 2));
    }
}
