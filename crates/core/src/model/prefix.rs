//! IP prefixes: compact, validated, ordered, with containment.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An IPv4 or IPv6 prefix with its host bits cleared.
///
/// 17 bytes of payload: a million of them fit in a few tens of megabytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Prefix {
    V4 { addr: u32, len: u8 },
    V6 { addr: u128, len: u8 },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrefixError {
    #[error("`{0}` is not an IP prefix (expected ADDRESS/LENGTH, e.g. 10.1.11.0/25)")]
    Syntax(String),
    #[error("prefix length {len} is longer than {max} in `{text}`")]
    Length { text: String, len: u32, max: u8 },
    #[error("`{0}` has host bits set (did you mean {1}?)")]
    HostBits(String, Prefix),
}

fn mask4(len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len))
    }
}

fn mask6(len: u8) -> u128 {
    if len == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(len))
    }
}

impl Prefix {
    /// A prefix from an address and length, clearing host bits.
    pub fn new(addr: IpAddr, len: u8) -> Result<Self, PrefixError> {
        match addr {
            IpAddr::V4(a) if len <= 32 => Ok(Prefix::V4 {
                addr: u32::from(a) & mask4(len),
                len,
            }),
            IpAddr::V6(a) if len <= 128 => Ok(Prefix::V6 {
                addr: u128::from(a) & mask6(len),
                len,
            }),
            _ => Err(PrefixError::Length {
                text: format!("{addr}/{len}"),
                len: u32::from(len),
                max: if addr.is_ipv4() { 32 } else { 128 },
            }),
        }
    }

    /// The host prefix (/32 or /128) of an address.
    pub fn host(addr: IpAddr) -> Self {
        match addr {
            IpAddr::V4(a) => Prefix::V4 {
                addr: u32::from(a),
                len: 32,
            },
            IpAddr::V6(a) => Prefix::V6 {
                addr: u128::from(a),
                len: 128,
            },
        }
    }

    /// Parses `ADDR/LEN` (or a bare address as a host prefix) and rejects
    /// host bits, which in a runbook almost always mean a typo.
    pub fn parse_strict(s: &str) -> Result<Self, PrefixError> {
        let (p, had_bits) = Self::parse_lenient(s)?;
        if had_bits {
            Err(PrefixError::HostBits(s.to_string(), p))
        } else {
            Ok(p)
        }
    }

    /// Parses `ADDR/LEN`, clearing host bits; tells whether any were set.
    pub fn parse_lenient(s: &str) -> Result<(Self, bool), PrefixError> {
        let s = s.trim();
        let (a, l) = match s.split_once('/') {
            Some((a, l)) => (a, Some(l)),
            None => (s, None),
        };
        let addr = IpAddr::from_str(a).map_err(|_| PrefixError::Syntax(s.to_string()))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let len = match l {
            None => max,
            Some(l) => {
                let n: u32 = l.parse().map_err(|_| PrefixError::Syntax(s.to_string()))?;
                if n > u32::from(max) {
                    return Err(PrefixError::Length {
                        text: s.to_string(),
                        len: n,
                        max,
                    });
                }
                n as u8
            }
        };
        let p = Self::new(addr, len)?;
        Ok((p, p.network() != addr))
    }

    /// The prefix length in bits (a prefix is never "empty": /0 is the
    /// default route, hence no `is_empty`).
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> u8 {
        match *self {
            Prefix::V4 { len, .. } | Prefix::V6 { len, .. } => len,
        }
    }

    /// A /0 default route.
    pub fn is_default(&self) -> bool {
        self.len() == 0
    }

    pub fn is_ipv4(&self) -> bool {
        matches!(self, Prefix::V4 { .. })
    }

    pub fn network(&self) -> IpAddr {
        match *self {
            Prefix::V4 { addr, .. } => IpAddr::V4(Ipv4Addr::from(addr)),
            Prefix::V6 { addr, .. } => IpAddr::V6(Ipv6Addr::from(addr)),
        }
    }

    /// True when `other` lies inside this prefix (a prefix contains itself).
    pub fn contains(&self, other: &Prefix) -> bool {
        match (*self, *other) {
            (Prefix::V4 { addr: a, len: l }, Prefix::V4 { addr: b, len: m }) => {
                m >= l && (b & mask4(l)) == a
            }
            (Prefix::V6 { addr: a, len: l }, Prefix::V6 { addr: b, len: m }) => {
                m >= l && (b & mask6(l)) == a
            }
            _ => false,
        }
    }

    pub fn contains_addr(&self, addr: IpAddr) -> bool {
        self.contains(&Prefix::host(addr))
    }

    /// True when either prefix contains the other.
    pub fn overlaps(&self, other: &Prefix) -> bool {
        self.contains(other) || other.contains(self)
    }

    /// The longest prefix among `candidates` that contains `addr`.
    pub fn longest_match<'a, I>(addr: IpAddr, candidates: I) -> Option<&'a Prefix>
    where
        I: IntoIterator<Item = &'a Prefix>,
    {
        candidates
            .into_iter()
            .filter(|p| p.contains_addr(addr))
            .max_by_key(|p| p.len())
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network(), self.len())
    }
}

impl fmt::Debug for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Prefix {
    type Err = PrefixError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_strict(s)
    }
}

impl Serialize for Prefix {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Prefix {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Prefix::parse_strict(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Prefix {
        s.parse().expect("valid prefix")
    }

    #[test]
    fn parses_and_displays_v4_and_v6() {
        assert_eq!(p("10.1.11.0/25").to_string(), "10.1.11.0/25");
        assert_eq!(p("2001:db8::/32").to_string(), "2001:db8::/32");
        assert_eq!(p("10.17.11.132").to_string(), "10.17.11.132/32");
    }

    #[test]
    fn rejects_bad_input() {
        assert!(matches!(
            Prefix::parse_strict("10.1.11.1/25"),
            Err(PrefixError::HostBits(..))
        ));
        assert!(matches!(
            Prefix::parse_strict("10.1.11.0/33"),
            Err(PrefixError::Length { .. })
        ));
        assert!(matches!(
            Prefix::parse_strict("10.1.11/24"),
            Err(PrefixError::Syntax(_))
        ));
        assert!(matches!(
            Prefix::parse_strict("::/129"),
            Err(PrefixError::Length { .. })
        ));
    }

    #[test]
    fn containment_and_longest_match() {
        let hub = p("10.17.11.0/25");
        let spoke = p("10.17.11.128/26");
        let agg = p("10.17.11.0/24");
        assert!(agg.contains(&hub) && agg.contains(&spoke));
        assert!(!hub.contains(&spoke));
        assert!(!hub.contains(&agg));
        assert!(!p("::/0").contains(&hub));
        let vm: IpAddr = "10.17.11.132".parse().expect("addr");
        let all = [agg, hub, spoke, p("0.0.0.0/0")];
        assert_eq!(Prefix::longest_match(vm, &all), Some(&spoke));
    }
}
