//! Owned, compact route tables.
//!
//! A core router's full table holds about a million paths, and the console
//! keeps at least two of them (before and after a change). So a [`Route`] is
//! a fixed 48-byte record: the prefix is stored flat, and everything that
//! many routes share (AS paths, next-hop sets, peer addresses, unusual
//! protocol names) is interned once per table and referred to by a 32-bit id.
//! BGP tables have far fewer distinct attribute sets than prefixes, which is
//! exactly what makes this pay.

use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::prefix::Prefix;
use super::route::RouteList;

/// Why a table could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    /// An interner ran out of ids; only garbage input gets here (a real
    /// device has a few dozen protocol names and well under 2^32 AS paths).
    #[error("more than {limit} distinct {what} in one table")]
    TooManyDistinct { what: &'static str, limit: u64 },
}

/// How a path's BGP origin attribute reads (`I`, `E`, `?`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    Igp,
    Egp,
    Incomplete,
}

/// Whether a BGP path was learned from an external or an internal peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PeerType {
    External,
    Internal,
}

/// An id of a protocol name that is not one of [`Protocol`]'s own variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProtocolId(u16);

/// The protocol a path came from. The common ones are variants so that a
/// route needs no lookup to tell them; the rest are interned per table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    Bgp,
    Static,
    Direct,
    Local,
    Ospf,
    Ospf3,
    Isis,
    Rip,
    Aggregate,
    Evpn,
    /// The output names no protocol (the `receive-protocol` summary form).
    Unknown,
    Other(ProtocolId),
}

impl Protocol {
    const KNOWN: [(Protocol, &'static str); 10] = [
        (Protocol::Bgp, "bgp"),
        (Protocol::Static, "static"),
        (Protocol::Direct, "direct"),
        (Protocol::Local, "local"),
        (Protocol::Ospf, "ospf"),
        (Protocol::Ospf3, "ospf3"),
        (Protocol::Isis, "isis"),
        (Protocol::Rip, "rip"),
        (Protocol::Aggregate, "aggregate"),
        (Protocol::Evpn, "evpn"),
    ];

    /// The variant for a well-known name (any case), if it has one.
    pub fn known(name: &str) -> Option<Protocol> {
        Self::KNOWN
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map(|(p, _)| *p)
    }

    /// The lower-case name, for the variants that carry it themselves.
    pub fn known_name(self) -> Option<&'static str> {
        match self {
            Protocol::Unknown => Some(""),
            Protocol::Other(_) => None,
            p => Self::KNOWN.iter().find(|(k, _)| *k == p).map(|(_, n)| *n),
        }
    }

    /// True for protocols that learn routes from a neighbour, as opposed to
    /// routes an operator or the box itself put there. A `receive-protocol`
    /// listing names no protocol but only ever shows learned routes, so
    /// `Unknown` counts as learned.
    pub fn is_learned(self) -> bool {
        matches!(
            self,
            Protocol::Bgp
                | Protocol::Ospf
                | Protocol::Ospf3
                | Protocol::Isis
                | Protocol::Rip
                | Protocol::Unknown
        )
    }
}

/// One next hop: an address, an interface, or both.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NextHop {
    pub addr: Option<IpAddr>,
    pub interface: Option<Box<str>>,
}

impl NextHop {
    pub fn addr(addr: IpAddr) -> Self {
        Self {
            addr: Some(addr),
            interface: None,
        }
    }

    pub fn interface(name: &str) -> Self {
        Self {
            addr: None,
            interface: Some(name.into()),
        }
    }

    pub fn addr_via(addr: IpAddr, interface: &str) -> Self {
        Self {
            addr: Some(addr),
            interface: Some(interface.into()),
        }
    }
}

/// Values an [`Interner`] can hold.
pub trait Internable: Hash + Eq {
    fn to_shared(&self) -> Arc<Self>;
    /// Heap bytes one stored value takes, for memory accounting.
    fn heap_size(&self) -> usize;
}

impl Internable for [u32] {
    fn to_shared(&self) -> Arc<Self> {
        Arc::from(self)
    }
    fn heap_size(&self) -> usize {
        std::mem::size_of_val(self)
    }
}

impl Internable for [NextHop] {
    fn to_shared(&self) -> Arc<Self> {
        Arc::from(self)
    }
    fn heap_size(&self) -> usize {
        std::mem::size_of_val(self)
            + self
                .iter()
                .filter_map(|h| h.interface.as_ref())
                .map(|i| i.len())
                .sum::<usize>()
    }
}

impl Internable for str {
    fn to_shared(&self) -> Arc<Self> {
        Arc::from(self)
    }
    fn heap_size(&self) -> usize {
        self.len()
    }
}

impl Internable for IpAddr {
    fn to_shared(&self) -> Arc<Self> {
        Arc::new(*self)
    }
    fn heap_size(&self) -> usize {
        std::mem::size_of::<IpAddr>()
    }
}

/// Stores each distinct value once and hands out dense ids for it.
///
/// The value is shared between the id-ordered list and the lookup map, so
/// it is allocated once.
pub struct Interner<T: ?Sized + Internable> {
    items: Vec<Arc<T>>,
    index: HashMap<Arc<T>, u32>,
    /// Consecutive routes from one peer usually share attributes; checking
    /// the previous id first skips most hash lookups on a big import.
    last: Option<u32>,
    limit: u32,
    what: &'static str,
}

impl<T: ?Sized + Internable> fmt::Debug for Interner<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interner")
            .field("what", &self.what)
            .field("len", &self.items.len())
            .finish()
    }
}

impl<T: ?Sized + Internable> Clone for Interner<T> {
    fn clone(&self) -> Self {
        Self {
            items: self.items.clone(),
            index: self.index.clone(),
            last: self.last,
            limit: self.limit,
            what: self.what,
        }
    }
}

impl<T: ?Sized + Internable> Interner<T> {
    /// An empty interner handing out ids below `limit`; `what` names the
    /// values in the error raised when it is full.
    pub fn new(what: &'static str, limit: u32) -> Self {
        Self {
            items: Vec::new(),
            index: HashMap::new(),
            last: None,
            limit,
            what,
        }
    }

    /// The id of `value`, storing it on first sight.
    pub fn intern(&mut self, value: &T) -> Result<u32, TableError> {
        let same_as_last = |&l: &u32| self.items.get(l as usize).is_some_and(|v| &**v == value);
        if let Some(last) = self.last.filter(same_as_last) {
            return Ok(last);
        }
        let id = match self.index.get(value) {
            Some(&id) => id,
            None => {
                let id = u32::try_from(self.items.len())
                    .ok()
                    .filter(|&id| id < self.limit)
                    .ok_or(TableError::TooManyDistinct {
                        what: self.what,
                        limit: u64::from(self.limit),
                    })?;
                let shared = value.to_shared();
                self.items.push(Arc::clone(&shared));
                self.index.insert(shared, id);
                id
            }
        };
        self.last = Some(id);
        Ok(id)
    }

    pub fn get(&self, id: u32) -> Option<&T> {
        self.items.get(id as usize).map(|v| &**v)
    }

    /// The id `value` already has, without storing it.
    pub fn find(&self, value: &T) -> Option<u32> {
        self.index.get(value).copied()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Approximate heap bytes held: the values, the list, and the map.
    pub fn heap_bytes(&self) -> usize {
        let per_entry = std::mem::size_of::<Arc<T>>() * 2 + std::mem::size_of::<u32>() + 8;
        self.items.iter().map(|v| v.heap_size() + 16).sum::<usize>()
            + self.items.capacity() * per_entry
    }
}

/// An interned AS path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AsPathId(u32);

/// An interned next-hop set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NextHopsId(u32);

impl AsPathId {
    pub fn index(self) -> u32 {
        self.0
    }
}

impl NextHopsId {
    pub fn index(self) -> u32 {
        self.0
    }
}

const F_ACTIVE: u16 = 1;
const F_V6: u16 = 1 << 1;
const F_PREF: u16 = 1 << 2;
const F_LOCAL_PREF: u16 = 1 << 3;
const F_MED: u16 = 1 << 4;
const F_AS_PATH: u16 = 1 << 5;
const F_NH_SELF: u16 = 1 << 6;
const F_FROM: u16 = 1 << 7;
const ORIGIN_SHIFT: u16 = 8;
const PEER_SHIFT: u16 = 10;
const TWO_BITS: u16 = 0b11;

/// One path of one destination, owned and compact (48 bytes).
///
/// Fields are private so that the packed form stays consistent; the
/// accessors give the natural types back. Interned attributes (AS path,
/// next hops, `from` address, unusual protocol names) are resolved through
/// the [`RouteTable`] that holds the route, or a [`RouteView`]. For the same
/// reason `==` on two routes means something only within one table; across
/// tables compare with [`RouteView::same_path`].
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Route {
    /// Network address, big-endian words; an IPv4 address sits in word 0.
    addr: [u32; 4],
    preference: u32,
    local_pref: u32,
    med: u32,
    as_path: u32,
    next_hops: u32,
    learned_from: u32,
    protocol: Protocol,
    len: u8,
    flags: u16,
}

impl Route {
    pub fn prefix(&self) -> Prefix {
        if self.flags & F_V6 != 0 {
            let [a, b, c, d] = self.addr;
            let addr = (u128::from(a) << 96)
                | (u128::from(b) << 64)
                | (u128::from(c) << 32)
                | u128::from(d);
            Prefix::V6 {
                addr,
                len: self.len,
            }
        } else {
            Prefix::V4 {
                addr: self.addr[0],
                len: self.len,
            }
        }
    }

    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// True only for the path the device selected.
    pub fn active(&self) -> bool {
        self.flags & F_ACTIVE != 0
    }

    pub fn preference(&self) -> Option<u32> {
        (self.flags & F_PREF != 0).then_some(self.preference)
    }

    pub fn local_pref(&self) -> Option<u32> {
        (self.flags & F_LOCAL_PREF != 0).then_some(self.local_pref)
    }

    pub fn med(&self) -> Option<u32> {
        (self.flags & F_MED != 0).then_some(self.med)
    }

    pub fn origin(&self) -> Option<Origin> {
        match (self.flags >> ORIGIN_SHIFT) & TWO_BITS {
            1 => Some(Origin::Igp),
            2 => Some(Origin::Egp),
            3 => Some(Origin::Incomplete),
            _ => None,
        }
    }

    pub fn peer_type(&self) -> Option<PeerType> {
        match (self.flags >> PEER_SHIFT) & TWO_BITS {
            1 => Some(PeerType::External),
            2 => Some(PeerType::Internal),
            _ => None,
        }
    }

    /// `None` where the output shows no AS path at all.
    pub fn as_path_id(&self) -> Option<AsPathId> {
        (self.flags & F_AS_PATH != 0).then_some(AsPathId(self.as_path))
    }

    /// `None` when the next hop is not pinned (`Self`).
    pub fn next_hops_id(&self) -> Option<NextHopsId> {
        (self.flags & F_NH_SELF == 0).then_some(NextHopsId(self.next_hops))
    }

    fn sort_key(&self) -> (bool, [u32; 4], u8) {
        (self.flags & F_V6 != 0, self.addr, self.len)
    }
}

impl fmt::Debug for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Route")
            .field("prefix", &self.prefix())
            .field("protocol", &self.protocol)
            .field("active", &self.active())
            .field("preference", &self.preference())
            .field("local_pref", &self.local_pref())
            .field("as_path", &self.as_path_id())
            .field("next_hops", &self.next_hops_id())
            .finish_non_exhaustive()
    }
}

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

/// What [`RouteTable::from_parsed`] built, and what it left out.
#[derive(Debug, Clone)]
pub struct FromParsed {
    pub table: RouteTable,
    /// Paths whose destination is no IP prefix (EVPN NLRIs, MPLS labels).
    pub skipped_non_ip: usize,
    /// Paths listed under another table than the one asked for.
    pub other_tables: usize,
    /// Next-hop strings that are no IP address; the path is kept without
    /// them.
    pub unparsed_next_hops: usize,
}

/// The routes of one table, sorted by prefix.
#[derive(Debug, Clone)]
pub struct RouteTable {
    name: String,
    routes: Vec<Route>,
    as_paths: Interner<[u32]>,
    next_hops: Interner<[NextHop]>,
    addrs: Interner<IpAddr>,
    protocols: Interner<str>,
}

impl RouteTable {
    /// An empty table.
    pub fn empty(name: impl Into<String>) -> Self {
        TableBuilder::new(name).build()
    }

    /// Builds a table from plain route values.
    pub fn from_sources<'a, I>(name: impl Into<String>, sources: I) -> Result<Self, TableError>
    where
        I: IntoIterator<Item = RouteSource<'a>>,
    {
        let mut b = TableBuilder::new(name);
        for s in sources {
            b.push(&s)?;
        }
        Ok(b.build())
    }

    /// Converts parser output. With `table_filter`, only paths listed under
    /// that table are kept (a path that names no table is taken to be in the
    /// list's table); the result is named after the filter, else after the
    /// list's first table.
    pub fn from_parsed(
        list: &RouteList<'_>,
        table_filter: Option<&str>,
    ) -> Result<FromParsed, TableError> {
        let name = table_filter.or(list.table.as_deref()).unwrap_or_default();
        let mut b = TableBuilder::new(name);
        b.reserve(list.routes.len());
        let mut out = FromParsed {
            table: RouteTable::empty(""),
            skipped_non_ip: 0,
            other_tables: 0,
            unparsed_next_hops: 0,
        };
        let mut hops: Vec<NextHop> = Vec::new();
        for r in &list.routes {
            if let Some(want) = table_filter {
                let listed = r.table.as_deref().or(list.table.as_deref());
                if listed != Some(want) {
                    out.other_tables += 1;
                    continue;
                }
            }
            let Some(prefix) = ip_prefix(&r.prefix) else {
                out.skipped_non_ip += 1;
                continue;
            };
            hops.clear();
            if let Some(nh) = &r.next_hops {
                for s in nh {
                    match parse_next_hop(s) {
                        Some(a) => hops.push(NextHop::addr(a)),
                        None => out.unparsed_next_hops += 1,
                    }
                }
            }
            let src = RouteSource {
                prefix,
                protocol: r.protocol.as_deref(),
                active: r.active,
                preference: r.preference,
                local_pref: r.local_pref,
                med: None,
                as_path: r.as_path.as_deref(),
                origin: None,
                peer_type: None,
                next_hops: r.next_hops.as_ref().map(|_| hops.as_slice()),
                learned_from: None,
            };
            b.push(&src)?;
        }
        out.table = b.build();
        Ok(out)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Number of paths.
    pub fn len(&self) -> usize {
        self.routes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// Every path, sorted by prefix.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// Every path of `prefix` (exact match), in the device's order.
    pub fn paths_for(&self, prefix: &Prefix) -> &[Route] {
        let (start, end) = self.range_of(prefix);
        self.routes.get(start..end).unwrap_or(&[])
    }

    /// The index range of `prefix`'s paths in [`Self::routes`].
    pub fn range_of(&self, prefix: &Prefix) -> (usize, usize) {
        let start = self.routes.partition_point(|r| r.prefix() < *prefix);
        let len = self
            .routes
            .get(start..)
            .map_or(0, |rest| rest.partition_point(|r| r.prefix() == *prefix));
        (start, start + len)
    }

    /// The path the device selected for `prefix`.
    pub fn active(&self, prefix: &Prefix) -> Option<&Route> {
        self.paths_for(prefix).iter().find(|r| r.active())
    }

    /// The selected path of the longest prefix holding `addr` that has a
    /// selected path: where the device forwards a packet to `addr`.
    pub fn longest_match(&self, addr: IpAddr) -> Option<&Route> {
        covering(Prefix::host(addr), true).find_map(|p| self.active(&p))
    }

    /// The paths of the longest prefix in the table that holds `addr`,
    /// whether or not one of them is selected.
    pub fn longest_match_paths(&self, addr: IpAddr) -> Option<(Prefix, &[Route])> {
        covering(Prefix::host(addr), true).find_map(|p| {
            let paths = self.paths_for(&p);
            (!paths.is_empty()).then_some((p, paths))
        })
    }

    /// Each distinct prefix with its paths, in prefix order.
    pub fn prefixes(&self) -> impl Iterator<Item = (Prefix, &[Route])> {
        self.routes
            .chunk_by(|a, b| a.sort_key() == b.sort_key())
            .filter_map(|g| g.first().map(|r| (r.prefix(), g)))
    }

    /// The paths whose prefix lies inside `prefix` (itself included), in
    /// prefix order.
    pub fn within(&self, prefix: Prefix) -> impl Iterator<Item = &Route> {
        let start = self.routes.partition_point(|r| r.prefix() < prefix);
        self.routes
            .get(start..)
            .unwrap_or(&[])
            .iter()
            .take_while(move |r| network_not_past(&r.prefix(), &prefix))
            .filter(move |r| prefix.contains(&r.prefix()))
    }

    /// The AS path of a route of this table.
    pub fn as_path(&self, route: &Route) -> Option<&[u32]> {
        route.as_path_id().and_then(|id| self.as_paths.get(id.0))
    }

    /// The next hops of a route of this table; `None` when not pinned.
    pub fn next_hops(&self, route: &Route) -> Option<&[NextHop]> {
        route
            .next_hops_id()
            .map(|id| self.next_hops.get(id.0).unwrap_or(&[]))
    }

    /// The peer a route of this table was learned from.
    pub fn learned_from(&self, route: &Route) -> Option<IpAddr> {
        if route.flags & F_FROM == 0 {
            return None;
        }
        self.addrs.get(route.learned_from).copied()
    }

    /// The lower-case protocol name; empty when the output showed none.
    pub fn protocol_name(&self, route: &Route) -> &str {
        match route.protocol {
            Protocol::Other(ProtocolId(id)) => self.protocols.get(u32::from(id)).unwrap_or(""),
            p => p.known_name().unwrap_or(""),
        }
    }

    /// A route with its table, to read interned attributes directly.
    pub fn view<'t>(&'t self, route: &'t Route) -> RouteView<'t> {
        RouteView { table: self, route }
    }

    /// Every path as a view, in prefix order.
    pub fn views(&self) -> impl Iterator<Item = RouteView<'_>> {
        self.routes.iter().map(|r| self.view(r))
    }

    pub fn as_path_interner(&self) -> &Interner<[u32]> {
        &self.as_paths
    }

    pub fn next_hop_interner(&self) -> &Interner<[NextHop]> {
        &self.next_hops
    }

    /// Approximate heap bytes the table holds (routes and interners).
    pub fn heap_bytes(&self) -> usize {
        self.routes.capacity() * std::mem::size_of::<Route>()
            + self.name.capacity()
            + self.as_paths.heap_bytes()
            + self.next_hops.heap_bytes()
            + self.addrs.heap_bytes()
            + self.protocols.heap_bytes()
    }
}

/// The prefixes that contain `prefix`, longest first; itself first when
/// `inclusive`. Only arithmetic: whether a table holds them is the caller's
/// question.
pub fn covering(prefix: Prefix, inclusive: bool) -> impl Iterator<Item = Prefix> {
    let net = prefix.network();
    let top = prefix.len();
    let mut next = if inclusive {
        Some(top)
    } else {
        top.checked_sub(1)
    };
    std::iter::from_fn(move || {
        let len = next?;
        next = len.checked_sub(1);
        Prefix::new(net, len).ok()
    })
}

/// True when `p` is of `outer`'s family and its network address is not past
/// the last address of `outer`; past it, no later prefix in sort order can
/// lie inside `outer`.
fn network_not_past(p: &Prefix, outer: &Prefix) -> bool {
    match (*p, *outer) {
        (Prefix::V4 { addr: a, .. }, Prefix::V4 { addr: o, len }) => {
            let host = if len >= 32 { 0 } else { u32::MAX >> len };
            a <= o | host
        }
        (Prefix::V6 { addr: a, .. }, Prefix::V6 { addr: o, len }) => {
            let host = if len >= 128 { 0 } else { u128::MAX >> len };
            a <= o | host
        }
        _ => false,
    }
}

/// A route together with the table that can resolve its interned parts.
#[derive(Clone, Copy)]
pub struct RouteView<'t> {
    pub table: &'t RouteTable,
    pub route: &'t Route,
}

impl fmt::Debug for RouteView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RouteView")
            .field("prefix", &self.prefix())
            .field("protocol", &self.protocol_name())
            .field("active", &self.active())
            .field("preference", &self.preference())
            .field("local_pref", &self.local_pref())
            .field("as_path", &self.as_path())
            .field("next_hops", &self.next_hops())
            .field("learned_from", &self.learned_from())
            .finish()
    }
}

impl std::ops::Deref for RouteView<'_> {
    type Target = Route;
    fn deref(&self) -> &Route {
        self.route
    }
}

impl<'t> RouteView<'t> {
    pub fn as_path(&self) -> Option<&'t [u32]> {
        self.table.as_path(self.route)
    }

    pub fn next_hops(&self) -> Option<&'t [NextHop]> {
        self.table.next_hops(self.route)
    }

    pub fn learned_from(&self) -> Option<IpAddr> {
        self.table.learned_from(self.route)
    }

    pub fn protocol_name(&self) -> &'t str {
        self.table.protocol_name(self.route)
    }

    /// The lowest next-hop address, for tie-breaking.
    pub fn lowest_next_hop(&self) -> Option<IpAddr> {
        self.next_hops()
            .and_then(|h| h.iter().filter_map(|h| h.addr).min())
    }

    /// Equal when every attribute but `active` is equal, across tables.
    pub fn same_path(&self, other: &RouteView<'_>) -> bool {
        self.prefix() == other.prefix()
            && self.protocol_name() == other.protocol_name()
            && self.preference() == other.preference()
            && self.local_pref() == other.local_pref()
            && self.med() == other.med()
            && self.origin() == other.origin()
            && self.peer_type() == other.peer_type()
            && self.as_path() == other.as_path()
            && self.next_hops() == other.next_hops()
            && self.learned_from() == other.learned_from()
    }
}

/// Parses a prefix as a device prints it; `None` for anything that is not
/// `ADDRESS/LENGTH` (EVPN NLRIs, MPLS labels, `default`).
fn ip_prefix(s: &str) -> Option<Prefix> {
    if !s.contains('/') {
        return None;
    }
    Prefix::parse_lenient(s).ok().map(|(p, _)| p)
}

/// Parses a next-hop string, dropping an IPv6 zone (`fe80::1%ge-0/0/0.0`)
/// that `IpAddr` does not read.
fn parse_next_hop(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    let addr = s.split_once('%').map_or(s, |(a, _)| a);
    addr.parse().ok()
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::model::route::ParsedRoute;

    fn p(s: &str) -> Prefix {
        s.parse().expect("prefix")
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("address")
    }

    fn parsed<'a>(prefix: &'a str, table: &'a str, hops: Option<Vec<&'a str>>) -> ParsedRoute<'a> {
        ParsedRoute {
            prefix: Cow::Borrowed(prefix),
            protocol: Some(Cow::Borrowed("bgp")),
            active: true,
            preference: Some(170),
            local_pref: Some(100),
            as_path: Some(vec![65000]),
            next_hops: hops.map(|h| h.into_iter().map(Cow::Borrowed).collect()),
            table: Some(Cow::Borrowed(table)),
        }
    }

    #[test]
    fn route_is_48_bytes_or_less() {
        assert!(
            std::mem::size_of::<Route>() <= 48,
            "{}",
            std::mem::size_of::<Route>()
        );
    }

    #[test]
    fn round_trips_every_field() {
        let hops = [
            NextHop::addr_via(ip("2001:db8::1"), "ge-0/0/0.0"),
            NextHop::addr(ip("2001:db8::2")),
        ];
        let src = RouteSource {
            prefix: p("2001:db8:ffff:1234::/64"),
            protocol: Some("L-ISIS"),
            active: true,
            preference: Some(u32::MAX),
            local_pref: Some(0),
            med: Some(7),
            as_path: Some(&[12076, 65020]),
            origin: Some(Origin::Incomplete),
            peer_type: Some(PeerType::Internal),
            next_hops: Some(&hops),
            learned_from: Some(ip("2001:db8::99")),
        };
        let t = RouteTable::from_sources("inet6.0", [src]).expect("table");
        let r = t.routes().first().expect("one route");
        let v = t.view(r);
        assert_eq!(v.prefix(), p("2001:db8:ffff:1234::/64"));
        assert_eq!(v.protocol_name(), "l-isis");
        assert!(v.active());
        assert_eq!(v.preference(), Some(u32::MAX));
        assert_eq!(v.local_pref(), Some(0));
        assert_eq!(v.med(), Some(7));
        assert_eq!(v.as_path(), Some(&[12076, 65020][..]));
        assert_eq!(v.origin(), Some(Origin::Incomplete));
        assert_eq!(v.peer_type(), Some(PeerType::Internal));
        assert_eq!(v.next_hops().map(<[NextHop]>::len), Some(2));
        assert_eq!(v.learned_from(), Some(ip("2001:db8::99")));
        assert_eq!(v.lowest_next_hop(), Some(ip("2001:db8::1")));
    }

    #[test]
    fn unknown_values_stay_unknown() {
        let mut src = RouteSource::new(p("0.0.0.0/0"));
        src.next_hops = None;
        let t = RouteTable::from_sources("t", [src]).expect("table");
        let r = t.routes().first().expect("route");
        assert_eq!(r.protocol(), Protocol::Unknown);
        assert_eq!(t.protocol_name(r), "");
        assert_eq!(
            (
                r.preference(),
                r.local_pref(),
                r.med(),
                r.origin(),
                r.peer_type()
            ),
            (None, None, None, None, None)
        );
        assert_eq!(t.as_path(r), None);
        assert_eq!(t.next_hops(r), None);
        assert_eq!(t.learned_from(r), None);
    }

    #[test]
    fn empty_table() {
        let t = RouteTable::empty("empty");
        assert!(t.is_empty());
        assert!(t.paths_for(&p("10.0.0.0/8")).is_empty());
        assert!(t.active(&p("0.0.0.0/0")).is_none());
        assert!(t.longest_match(ip("10.1.1.1")).is_none());
        assert!(t.longest_match_paths(ip("::1")).is_none());
        assert_eq!(t.prefixes().count(), 0);
        assert_eq!(t.within(p("0.0.0.0/0")).count(), 0);
    }

    #[test]
    fn sorted_lookup_keeps_path_order() {
        let mk = |s: &'static str, lp: u32, active: bool| RouteSource {
            local_pref: Some(lp),
            active,
            protocol: Some("bgp"),
            ..RouteSource::new(p(s))
        };
        let t = RouteTable::from_sources(
            "t",
            [
                mk("10.17.11.128/26", 150, true),
                mk("10.17.11.0/25", 150, true),
                mk("10.17.11.128/26", 100, false),
                mk("::/0", 100, true),
                mk("0.0.0.0/0", 100, true),
                mk("10.17.11.0/25", 100, false),
            ],
        )
        .expect("table");
        let prefixes: Vec<String> = t.prefixes().map(|(p, _)| p.to_string()).collect();
        assert_eq!(
            prefixes,
            ["0.0.0.0/0", "10.17.11.0/25", "10.17.11.128/26", "::/0"]
        );
        let spoke = t.paths_for(&p("10.17.11.128/26"));
        assert_eq!(
            spoke.iter().map(|r| r.local_pref()).collect::<Vec<_>>(),
            [Some(150), Some(100)]
        );
        assert_eq!(
            t.active(&p("10.17.11.0/25")).and_then(Route::local_pref),
            Some(150)
        );
        assert!(t.paths_for(&p("10.17.11.0/24")).is_empty());
        assert_eq!(
            t.longest_match(ip("10.17.11.132")).map(Route::prefix),
            Some(p("10.17.11.128/26"))
        );
        assert_eq!(
            t.longest_match(ip("10.17.11.200")).map(Route::prefix),
            Some(p("0.0.0.0/0"))
        );
        assert_eq!(
            t.longest_match(ip("2001:db8::1")).map(Route::prefix),
            Some(p("::/0"))
        );
        let inside: Vec<Prefix> = t.within(p("10.17.11.0/24")).map(Route::prefix).collect();
        assert_eq!(
            inside,
            [
                p("10.17.11.0/25"),
                p("10.17.11.0/25"),
                p("10.17.11.128/26"),
                p("10.17.11.128/26")
            ]
        );
        assert_eq!(t.within(p("0.0.0.0/0")).count(), 5);
        assert_eq!(t.within(p("::/0")).count(), 1);
    }

    #[test]
    fn longest_match_skips_prefixes_without_an_active_path() {
        let t = RouteTable::from_sources(
            "t",
            [
                RouteSource {
                    active: true,
                    ..RouteSource::new(p("10.0.0.0/8"))
                },
                RouteSource {
                    active: false,
                    ..RouteSource::new(p("10.1.0.0/16"))
                },
            ],
        )
        .expect("table");
        assert_eq!(
            t.longest_match(ip("10.1.2.3")).map(Route::prefix),
            Some(p("10.0.0.0/8"))
        );
        assert_eq!(
            t.longest_match_paths(ip("10.1.2.3")).map(|(p, _)| p),
            Some(p("10.1.0.0/16"))
        );
    }

    #[test]
    fn covering_lists_shorter_prefixes() {
        let c: Vec<String> = covering(p("10.17.11.128/26"), false)
            .take(3)
            .map(|p| p.to_string())
            .collect();
        assert_eq!(c, ["10.17.11.128/25", "10.17.11.0/24", "10.17.10.0/23"]);
        assert_eq!(covering(p("0.0.0.0/0"), false).count(), 0);
        assert_eq!(covering(p("::/0"), true).count(), 1);
        assert_eq!(covering(p("2001:db8::/32"), true).count(), 33);
    }

    #[test]
    fn interns_shared_attributes_once() {
        let hops_a = [
            NextHop::addr(ip("192.168.11.2")),
            NextHop::addr(ip("192.168.11.0")),
        ];
        let hops_b = [
            NextHop::addr(ip("192.168.11.0")),
            NextHop::addr(ip("192.168.11.2")),
            NextHop::addr(ip("192.168.11.0")),
        ];
        let mut b = TableBuilder::new("t");
        for (i, hops) in [&hops_a[..], &hops_b[..], &hops_a[..]]
            .into_iter()
            .enumerate()
        {
            let prefix = Prefix::new(ip("10.0.0.0"), 8).expect("prefix");
            let prefix = Prefix::new(prefix.network(), 24 + i as u8).expect("prefix");
            b.push(&RouteSource {
                as_path: Some(&[12076]),
                next_hops: Some(hops),
                protocol: Some("weird"),
                ..RouteSource::new(prefix)
            })
            .expect("push");
        }
        let t = b.build();
        assert_eq!(t.as_path_interner().len(), 1);
        // The empty set is always id 0; both orders give one set.
        assert_eq!(t.next_hop_interner().len(), 2);
        let ids: Vec<_> = t.routes().iter().map(Route::next_hops_id).collect();
        assert!(ids.windows(2).all(|w| w[0] == w[1]));
        assert!(t.routes().iter().all(|r| t.protocol_name(r) == "weird"));
        assert!(matches!(
            t.routes().first().map(Route::protocol),
            Some(Protocol::Other(_))
        ));
    }

    #[test]
    fn from_parsed_skips_non_ip_and_filters_tables() {
        let list = RouteList::from_routes(vec![
            parsed(
                "10.17.11.0/25",
                "Cust11.inet.0",
                Some(vec!["192.168.11.0", "192.168.11.2"]),
            ),
            parsed(
                "2:10.0.0.1:100::0::aa:bb:cc:dd:ee:ff/304",
                "Cust11.inet.0",
                Some(vec![]),
            ),
            parsed("2567(S=0)", "Cust11.inet.0", Some(vec![])),
            parsed("299776", "mpls.0", Some(vec![])),
            parsed("10.0.0.0/8", "inet.0", Some(vec!["10.0.0.1"])),
            parsed(
                "fe80::/64",
                "Cust11.inet.0",
                Some(vec!["fe80::1%ge-0/0/0.0", "bogus"]),
            ),
            parsed("10.1.11.0/25", "Cust11.inet.0", None),
        ]);
        let out = RouteTable::from_parsed(&list, Some("Cust11.inet.0")).expect("table");
        assert_eq!(out.table.name(), "Cust11.inet.0");
        assert_eq!(out.skipped_non_ip, 2);
        assert_eq!(out.other_tables, 2);
        assert_eq!(out.unparsed_next_hops, 1);
        assert_eq!(out.table.len(), 3);
        let v6 = out
            .table
            .paths_for(&p("fe80::/64"))
            .first()
            .expect("v6 route");
        assert_eq!(
            out.table.next_hops(v6).map(|h| h.to_vec()),
            Some(vec![NextHop::addr(ip("fe80::1"))])
        );
        let local = out
            .table
            .paths_for(&p("10.1.11.0/25"))
            .first()
            .expect("self route");
        assert_eq!(out.table.next_hops(local), None);

        let all = RouteTable::from_parsed(&list, None).expect("table");
        assert_eq!(all.table.name(), "Cust11.inet.0");
        assert_eq!(all.table.len(), 4);
        assert_eq!(all.skipped_non_ip, 3);
    }

    #[test]
    fn interner_limit_is_an_error() {
        let mut i: Interner<str> = Interner::new("names", 2);
        assert_eq!(i.intern("a"), Ok(0));
        assert_eq!(i.intern("b"), Ok(1));
        assert_eq!(i.intern("a"), Ok(0));
        assert!(matches!(
            i.intern("c"),
            Err(TableError::TooManyDistinct { .. })
        ));
        assert_eq!(i.get(1), Some("b"));
        assert_eq!(i.get(2), None);
        assert_eq!(i.find("b"), Some(1));
    }
}
