//! `--scenario random [--seed N]`: a seeded choice among the bundled
//! scenarios. The mix is written out here (SplitMix64) rather than taken
//! from a crate, so a seed names the same scenario in every version that
//! bundles the same list.

/// The scenario `seed` draws from `names` (`None` when there are none).
pub fn pick<'a>(names: &[&'a str], seed: u64) -> Option<&'a str> {
    if names.is_empty() {
        return None;
    }
    let n = u64::try_from(names.len()).unwrap_or(u64::MAX);
    let i = usize::try_from(splitmix64(seed) % n).unwrap_or(0);
    names.get(i).copied()
}

/// A seed when none was given: the clock's nanoseconds. Journaled with the
/// score, so even an unseeded surprise can be run again.
pub fn seed_from_clock() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| {
            d.as_secs()
                .wrapping_mul(1_000_000_007)
                .wrapping_add(u64::from(d.subsec_nanos()))
        })
        // Kept to what a person retypes without error.
        % 1_000_000
}

fn splitmix64(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
