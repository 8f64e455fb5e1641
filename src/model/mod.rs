//! Domain types and pure analysis. No I/O, no terminal.

pub mod prefix;
pub mod route;
pub mod trace;

pub use prefix::Prefix;
pub use route::{ParsedRoute, RouteList};
pub use trace::{Hop, Trace};
