//! Domain types and pure analysis. No I/O, no terminal.

pub mod analysis;
pub mod azure;
pub mod bgp;
pub mod diff;
pub mod duration;
pub mod path;
pub mod prefix;
pub mod route;
pub mod table;
pub mod trace;
pub mod tunnel;

pub use prefix::Prefix;
pub use route::{HopDetails, ParsedRoute, PathUse, RouteList};
pub use trace::{Hop, Trace};
