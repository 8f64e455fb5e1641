//! The built-in lab: a fake world, not a fake console. The procedure's
//! network as data (`topology`), BGP's decision process over it (`bgp`),
//! time and events (`clock`, `world`), forwarding (`dataplane`), faults
//! (`scenario`), and what the devices print (`render`). The SSH and HTTP
//! servers that expose it live elsewhere; nothing here does I/O.

pub mod arm_server;
pub mod azure;
pub mod bgp;
pub mod clock;
pub mod dataplane;
pub mod render;
pub mod scenario;
pub mod serve;
pub mod shared;
pub mod ssh_server;
pub mod topology;
pub mod world;

pub use clock::{Clock, RealClock, TimeScale, TimeScaleError, VirtualClock};
pub use dataplane::{PathKind, TraceHop, TraceResult};
pub use render::{CommandOutput, run_command};
pub use scenario::{Scenario, ScenarioError};
pub use shared::SharedWorld;
pub use topology::{DeviceId, Node, Topology};
pub use world::{PeeringState, World};

/// SplitMix64: a deterministic scramble, so that cookies, SPIs and etags
/// look random yet every run of a scenario prints the same.
pub(crate) fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// `digits` lower-case hex digits (up to 16) of `x`.
pub(crate) fn hex_id(x: u64, digits: usize) -> String {
    let s = format!("{x:016x}");
    s[16 - digits.min(16)..].to_string()
}

/// A version-4-looking GUID from a seed.
pub(crate) fn uuid_like(seed: u64) -> String {
    let a = mix(seed);
    let b = mix(a ^ 0x5eed);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | (b >> 48) & 0x3fff,
        b & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests;
