use std::net::IpAddr;

use super::route::{
    F_ACTIVE, F_AS_PATH, F_FROM, F_LOCAL_PREF, F_MED, F_NH_SELF, F_PREF, F_V6, ORIGIN_SHIFT,
    PEER_SHIFT,
};
use super::{
    Interner, NextHop, Origin, PeerType, Protocol, ProtocolId, Route, RouteTable, TableError,
};
use crate::model::prefix::Prefix;

/// A route as plain values: what any producer (a device parser, the Azure
/// learned-routes reader, the lab) hands to a [`TableBuilder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteSource<'a> {
    pub prefix: Prefix,
    /// Protocol name in any case; `None` where the output shows none.
    pub protocol: Option<&'a str>,
    pub active: bool,
    pub preference: Option<u32>,
    pub local_pref: Option<u32>,
    pub med: Option<u32>,
    /// `None` where no AS path is shown; `Some(&[])` for an origin alone.
    pub as_path: Option<&'a [u32]>,
    pub origin: Option<Origin>,
    pub peer_type: Option<PeerType>,
    /// `None` when the next hop is not pinned (`Self`); order and
    /// duplicates do not matter (the table stores a set).
    pub next_hops: Option<&'a [NextHop]>,
    /// The BGP peer the path was learned from (`from 10.17.11.76`), or the
    /// peer an Azure gateway names as the source.
    pub learned_from: Option<IpAddr>,
}

impl<'a> RouteSource<'a> {
    /// A route to `prefix` with nothing else known.
    pub fn new(prefix: Prefix) -> Self {
        Self {
            prefix,
            protocol: None,
            active: false,
            preference: None,
            local_pref: None,
            med: None,
            as_path: None,
            origin: None,
            peer_type: None,
            next_hops: Some(&[]),
            learned_from: None,
        }
    }
}

/// Builds a [`RouteTable`] route by route; [`TableBuilder::build`] sorts.
#[derive(Debug, Clone)]
pub struct TableBuilder {
    name: String,
    routes: Vec<Route>,
    as_paths: Interner<[u32]>,
    next_hops: Interner<[NextHop]>,
    addrs: Interner<IpAddr>,
    protocols: Interner<str>,
    scratch: Vec<NextHop>,
}

impl TableBuilder {
    pub fn new(name: impl Into<String>) -> Self {
        let mut next_hops = Interner::new("next-hop sets", u32::MAX);
        // Id 0 is the empty set, which every `Self` route also points at.
        let _ = next_hops.intern(&[][..]);
        Self {
            name: name.into(),
            routes: Vec::new(),
            as_paths: Interner::new("AS paths", u32::MAX),
            next_hops,
            addrs: Interner::new("peer addresses", u32::MAX),
            protocols: Interner::new("protocol names", u32::from(u16::MAX)),
            scratch: Vec::new(),
        }
    }

    /// Reserves room for `n` more routes.
    pub fn reserve(&mut self, n: usize) {
        self.routes.reserve(n);
    }

    pub fn push(&mut self, src: &RouteSource<'_>) -> Result<(), TableError> {
        let mut flags = 0u16;
        let (addr, len) = match src.prefix {
            Prefix::V4 { addr, len } => ([addr, 0, 0, 0], len),
            Prefix::V6 { addr, len } => {
                flags |= F_V6;
                // Truncating casts pick the four 32-bit words on purpose.
                (
                    [
                        (addr >> 96) as u32,
                        (addr >> 64) as u32,
                        (addr >> 32) as u32,
                        addr as u32,
                    ],
                    len,
                )
            }
        };
        let protocol = match src.protocol {
            None | Some("") => Protocol::Unknown,
            Some(name) => match Protocol::known(name) {
                Some(p) => p,
                None => {
                    let lower = name.to_ascii_lowercase();
                    let id = self.protocols.intern(lower.as_str())?;
                    // The interner's limit keeps ids within u16.
                    Protocol::Other(ProtocolId(u16::try_from(id).map_err(|_| {
                        TableError::TooManyDistinct {
                            what: "protocol names",
                            limit: u64::from(u16::MAX),
                        }
                    })?))
                }
            },
        };
        if src.active {
            flags |= F_ACTIVE;
        }
        let preference = opt(src.preference, F_PREF, &mut flags);
        let local_pref = opt(src.local_pref, F_LOCAL_PREF, &mut flags);
        let med = opt(src.med, F_MED, &mut flags);
        let as_path = match src.as_path {
            Some(p) => {
                flags |= F_AS_PATH;
                self.as_paths.intern(p)?
            }
            None => 0,
        };
        let next_hops = match src.next_hops {
            Some(hops) => self.intern_hops(hops)?,
            None => {
                flags |= F_NH_SELF;
                0
            }
        };
        let learned_from = match src.learned_from {
            Some(a) => {
                flags |= F_FROM;
                self.addrs.intern(&a)?
            }
            None => 0,
        };
        flags |= origin_bits(src.origin) << ORIGIN_SHIFT;
        flags |= peer_bits(src.peer_type) << PEER_SHIFT;
        self.routes.push(Route {
            addr,
            preference,
            local_pref,
            med,
            as_path,
            next_hops,
            learned_from,
            protocol,
            len,
            flags,
        });
        Ok(())
    }

    fn intern_hops(&mut self, hops: &[NextHop]) -> Result<u32, TableError> {
        if hops.windows(2).all(|w| w[0] < w[1]) {
            return self.next_hops.intern(hops);
        }
        self.scratch.clear();
        self.scratch.extend_from_slice(hops);
        self.scratch.sort_unstable();
        self.scratch.dedup();
        self.next_hops.intern(&self.scratch)
    }

    /// Sorts the routes by prefix, keeping each prefix's paths in the order
    /// they were pushed (the device's order: the active path usually first).
    pub fn build(mut self) -> RouteTable {
        if !self
            .routes
            .is_sorted_by(|a, b| a.sort_key() <= b.sort_key())
        {
            self.routes.sort_by_key(Route::sort_key);
        }
        self.routes.shrink_to_fit();
        RouteTable {
            name: self.name,
            routes: self.routes,
            as_paths: self.as_paths,
            next_hops: self.next_hops,
            addrs: self.addrs,
            protocols: self.protocols,
        }
    }
}

fn opt(v: Option<u32>, flag: u16, flags: &mut u16) -> u32 {
    match v {
        Some(v) => {
            *flags |= flag;
            v
        }
        None => 0,
    }
}

fn origin_bits(o: Option<Origin>) -> u16 {
    match o {
        None => 0,
        Some(Origin::Igp) => 1,
        Some(Origin::Egp) => 2,
        Some(Origin::Incomplete) => 3,
    }
}

fn peer_bits(p: Option<PeerType>) -> u16 {
    match p {
        None => 0,
        Some(PeerType::External) => 1,
        Some(PeerType::Internal) => 2,
    }
}
