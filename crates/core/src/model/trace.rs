//! A traceroute as the tool saw it: one hop per TTL.

use serde::{Deserialize, Serialize};

/// One TTL of a traceroute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hop {
    pub ttl: u8,
    /// Every distinct address that answered at this TTL, in order of first
    /// appearance; a name is kept only when the output shows no address.
    pub addresses: Vec<String>,
    /// Every round-trip time shown, in order.
    pub rtts_ms: Vec<f64>,
    /// True only when no probe of this TTL answered.
    pub timeout: bool,
}

/// A whole traceroute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    pub target: Option<String>,
    pub hops: Vec<Hop>,
}
