//! Routes as parsed from a device: one entry per path, borrowing from the
//! device output so that a million-route table parses without copying it.

use std::borrow::Cow;

use serde::Serialize;

/// One path of one destination, normalized as CONTRACT.md fixes it.
///
/// Field order is the serialized order of `cutover parse junos-route`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParsedRoute<'a> {
    /// The destination as printed (an IP prefix for inet tables, but an EVPN
    /// NLRI or an MPLS label elsewhere, hence text).
    pub prefix: Cow<'a, str>,
    /// Lower-case protocol name; `None` where the output shows none.
    pub protocol: Option<Cow<'a, str>>,
    /// True only for the selected path.
    pub active: bool,
    pub preference: Option<u32>,
    pub local_pref: Option<u32>,
    /// AS numbers only; `Some(vec![])` for an origin letter alone, `None`
    /// where no AS path is shown.
    pub as_path: Option<Vec<u32>>,
    /// Next-hop addresses; `None` when not pinned (`Self`).
    pub next_hops: Option<Vec<Cow<'a, str>>>,
    /// The table this path is listed under.
    pub table: Option<Cow<'a, str>>,
}

/// The normalized output of every `show route` parser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct RouteList<'a> {
    /// The first table that holds a route.
    pub table: Option<Cow<'a, str>>,
    pub routes: Vec<ParsedRoute<'a>>,
}

impl<'a> RouteList<'a> {
    /// Builds the list, deriving the top-level table from the routes.
    pub fn from_routes(routes: Vec<ParsedRoute<'a>>) -> Self {
        let table = routes.iter().find_map(|r| r.table.clone());
        Self { table, routes }
    }
}

/// Lower-cases a protocol name without allocating for the common ones.
pub fn protocol_name(raw: &str) -> Cow<'static, str> {
    const KNOWN: &[&str] = &[
        "bgp",
        "static",
        "direct",
        "local",
        "ospf",
        "ospf3",
        "isis",
        "aggregate",
        "access",
        "access-internal",
        "rip",
        "ldp",
        "rsvp",
        "evpn",
        "pim",
        "mpls",
        "l-ospf",
        "l-isis",
        "inet6",
    ];
    for k in KNOWN {
        if raw.eq_ignore_ascii_case(k) {
            return Cow::Borrowed(k);
        }
    }
    Cow::Owned(raw.to_ascii_lowercase())
}
