//! Routes as parsed from a device: one entry per path, borrowing from the
//! device output so that a million-route table parses without copying it.

use std::borrow::Cow;

use serde::Serialize;

/// One path of one destination, normalized as CONTRACT.md fixes it.
///
/// Field order is the serialized order of `cutover parse junos-route`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
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
    /// The interfaces of the next hops (`via st0.118`) and the peer the
    /// path was learned from (`from 10.17.11.76`): serialized as
    /// `next_hop_interfaces` and `from`; read them with
    /// [`Self::next_hop_interfaces`] and [`Self::from`].
    #[serde(flatten)]
    pub hop_details: HopDetails<'a>,
    /// `@` (routing use only) or `#` (forwarding use only); absent for a
    /// path used for both, which is every path outside those tables.
    #[serde(rename = "use", skip_serializing_if = "Option::is_none")]
    pub path_use: Option<PathUse>,
    /// The table this path is listed under.
    pub table: Option<Cow<'a, str>>,
}

impl<'a> ParsedRoute<'a> {
    /// The interfaces of the next hops, in output order; empty where none
    /// is shown. A tunnel next hop often has no address, so this is what
    /// tells a VPN path by its interface.
    pub fn next_hop_interfaces(&self) -> Vec<&str> {
        self.hop_details.interfaces()
    }

    /// The peer the path was learned from (`from 10.17.11.76`,
    /// `learned-from`); `None` where the output does not show it (Junos
    /// omits it when the peer is the next hop).
    pub fn from(&self) -> Option<&str> {
        self.hop_details.from()
    }
}

/// A path's next-hop interfaces and `from` peer, kept as compactly as the
/// output allows: a brief-form path keeps only the span of its own lines and
/// reads them again when asked (a million-route table would otherwise pay
/// for two more strings and an allocation per path); other forms keep what
/// they read.
#[derive(Debug, Clone, Default)]
pub enum HopDetails<'a> {
    /// Nothing shown.
    #[default]
    None,
    /// A brief-form path's text, from its `[Proto/pref]` line to its last
    /// next-hop line (see [`crate::parse::junos_route_text`]).
    Brief(&'a str),
    Read(Box<ReadHops<'a>>),
}

/// What a parser read: interfaces in output order, and the peer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadHops<'a> {
    pub interfaces: Vec<Cow<'a, str>>,
    pub from: Option<Cow<'a, str>>,
}

impl<'a> HopDetails<'a> {
    /// Details as read; [`HopDetails::None`] when there are none.
    pub fn read(interfaces: Vec<Cow<'a, str>>, from: Option<Cow<'a, str>>) -> Self {
        if interfaces.is_empty() && from.is_none() {
            Self::None
        } else {
            Self::Read(Box::new(ReadHops { interfaces, from }))
        }
    }

    /// Adds an interface (after the ones there are).
    pub fn push_interface(&mut self, interface: Cow<'a, str>) {
        match self {
            Self::Read(r) => push_sparing(&mut r.interfaces, interface),
            other => {
                let (mut interfaces, from) = other.unread();
                push_sparing(&mut interfaces, interface);
                *other = Self::read(interfaces, from);
            }
        }
    }

    /// Sets the peer the path was learned from (a detail form's
    /// `Source:`), keeping the interfaces there are.
    pub fn set_from(&mut self, from: Cow<'a, str>) {
        match self {
            Self::Read(r) => r.from = Some(from),
            other => {
                let (interfaces, _) = other.unread();
                *other = Self::read(interfaces, Some(from));
            }
        }
    }

    /// What a form not yet read holds (a brief span's interfaces and peer).
    fn unread(&self) -> (Vec<Cow<'a, str>>, Option<Cow<'a, str>>) {
        match *self {
            Self::Brief(span) => {
                let (i, f) = crate::parse::junos_route_text::brief_hop_details(span);
                (
                    i.into_iter().map(Cow::Borrowed).collect(),
                    f.map(Cow::Borrowed),
                )
            }
            Self::None | Self::Read(_) => (Vec::new(), None),
        }
    }

    pub fn interfaces(&self) -> Vec<&str> {
        match self {
            Self::None => Vec::new(),
            Self::Brief(span) => crate::parse::junos_route_text::brief_hop_details(span).0,
            Self::Read(r) => r.interfaces.iter().map(|i| &**i).collect(),
        }
    }

    pub fn from(&self) -> Option<&str> {
        match self {
            Self::None => None,
            Self::Brief(span) => crate::parse::junos_route_text::brief_hop_details(span).1,
            Self::Read(r) => r.from.as_deref(),
        }
    }
}

/// Equal when they say the same, however they are kept.
impl PartialEq for HopDetails<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.interfaces() == other.interfaces() && self.from() == other.from()
    }
}

impl Eq for HopDetails<'_> {}

impl Serialize for HopDetails<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("HopDetails", 2)?;
        st.serialize_field("next_hop_interfaces", &self.interfaces())?;
        st.serialize_field("from", &self.from())?;
        st.end()
    }
}

/// What a path marked `@` or `#` is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PathUse {
    /// `@`: the active route for routing (what is advertised and compared),
    /// not installed for forwarding.
    RoutingOnly,
    /// `#`: installed for forwarding (a multipath or LDP shortcut
    /// route), not the route routing selected.
    ForwardingOnly,
}

impl PathUse {
    /// The mark Junos prints before `[Proto/pref]` or in `active-tag`.
    pub fn from_mark(mark: u8) -> Option<Self> {
        match mark {
            b'@' => Some(Self::RoutingOnly),
            b'#' => Some(Self::ForwardingOnly),
            _ => None,
        }
    }
}

/// The normalized output of every `show route` parser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct RouteList<'a> {
    /// The first table that holds a route.
    pub table: Option<Cow<'a, str>>,
    pub routes: Vec<ParsedRoute<'a>>,
    /// What makes the list doubtful though it parsed: a capture cut short,
    /// a `| match` filtered one. Absent when there is nothing to say.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl<'a> RouteList<'a> {
    /// Builds the list, deriving the top-level table from the routes.
    pub fn from_routes(routes: Vec<ParsedRoute<'a>>) -> Self {
        let table = routes.iter().find_map(|r| r.table.clone());
        Self {
            table,
            routes,
            warnings: Vec::new(),
        }
    }
}

/// Pushes `item`, growing a short vector by exactly one slot rather than
/// to the four a first push reserves: most paths have one or two next hops,
/// and a million-route table pays for every spare slot. Longer ones (wide
/// ECMP) grow as usual.
pub fn push_sparing<T>(v: &mut Vec<T>, item: T) {
    if v.len() == v.capacity() && v.len() < 4 {
        v.reserve_exact(1);
    }
    v.push(item);
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
