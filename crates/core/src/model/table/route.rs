use std::fmt;

use super::{Origin, PeerType, Protocol};
use crate::model::prefix::Prefix;

/// An interned AS path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AsPathId(pub(super) u32);

/// An interned next-hop set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NextHopsId(pub(super) u32);

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

pub(super) const F_ACTIVE: u16 = 1;
pub(super) const F_V6: u16 = 1 << 1;
pub(super) const F_PREF: u16 = 1 << 2;
pub(super) const F_LOCAL_PREF: u16 = 1 << 3;
pub(super) const F_MED: u16 = 1 << 4;
pub(super) const F_AS_PATH: u16 = 1 << 5;
pub(super) const F_NH_SELF: u16 = 1 << 6;
pub(super) const F_FROM: u16 = 1 << 7;
pub(super) const ORIGIN_SHIFT: u16 = 8;
pub(super) const PEER_SHIFT: u16 = 10;
const TWO_BITS: u16 = 0b11;

/// One path of one destination, owned and compact (48 bytes).
///
/// Fields are private (to the table module, whose builder packs them) so
/// that the packed form stays consistent; the accessors give the natural
/// types back. Interned attributes (AS path, next hops, `from` address,
/// unusual protocol names) are resolved through the
/// [`RouteTable`](super::RouteTable) that holds the route, or a
/// [`RouteView`](super::RouteView). For the same reason `==` on two routes
/// means something only within one table; across tables compare with
/// [`RouteView::same_path`](super::RouteView::same_path).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Route {
    /// Network address, big-endian words; an IPv4 address sits in word 0.
    pub(super) addr: [u32; 4],
    pub(super) preference: u32,
    pub(super) local_pref: u32,
    pub(super) med: u32,
    pub(super) as_path: u32,
    pub(super) next_hops: u32,
    pub(super) learned_from: u32,
    pub(super) protocol: Protocol,
    pub(super) len: u8,
    pub(super) flags: u16,
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

    pub(super) fn sort_key(&self) -> (bool, [u32; 4], u8) {
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
