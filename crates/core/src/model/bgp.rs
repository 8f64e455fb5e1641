//! BGP sessions as `show bgp summary` reports them: the peers, their state,
//! and how many routes each one feeds into which table.
//!
//! The types serialize to the normalized JSON of `cutover parse
//! junos-bgp-summary` (documented in `parse::junos_bgp_summary`).

use serde::{Deserialize, Serialize};

/// Gives a state enum with an `Unknown(String)` fallback its names: Junos
/// prints states in varying case and length (`Establ`, `Established`, `UP`),
/// JSON carries one lower-case snake_case name, and an unknown value is kept
/// verbatim so that nothing the device said is lost.
macro_rules! named_enum {
    ($ty:ident { $($variant:ident => $json:literal $(| $alias:literal)*),* $(,)? }) => {
        impl $ty {
            /// Reads the Junos name in any case, or the JSON name.
            pub fn from_junos(s: &str) -> Self {
                $(
                    if s.eq_ignore_ascii_case($json) $(|| s.eq_ignore_ascii_case($alias))* {
                        return $ty::$variant;
                    }
                )*
                $ty::Unknown(s.to_owned())
            }

            /// The JSON name; an unknown value as printed.
            pub fn as_str(&self) -> &str {
                match self {
                    $($ty::$variant => $json,)*
                    $ty::Unknown(s) => s,
                }
            }
        }

        impl From<String> for $ty {
            fn from(s: String) -> Self {
                $ty::from_junos(&s)
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}
pub(crate) use named_enum;

/// The whole of one `show bgp summary`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BgpSummary {
    /// `Groups: N`; `None` where the output has no such line.
    pub group_count: Option<u32>,
    /// `Peers: N`.
    pub peer_count: Option<u32>,
    /// `Down peers: N`.
    pub down_peer_count: Option<u32>,
    /// The `Table  Tot Paths  Act Paths ...` block, in output order.
    pub tables: Vec<RibTotals>,
    /// One entry per peer row, in output order.
    pub peers: Vec<BgpPeer>,
}

impl BgpSummary {
    /// The peer with this address, if the summary lists it.
    pub fn peer(&self, address: &str) -> Option<&BgpPeer> {
        self.peers.iter().find(|p| p.address == address)
    }
}

/// One row of the table block: BGP path totals of one routing table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RibTotals {
    /// Table name as printed, `Cust11.inet.0`.
    pub name: String,
    /// Routing instance the table belongs to; `None` for the master instance.
    pub instance: Option<String>,
    pub total_paths: u64,
    pub active_paths: u64,
    pub suppressed: u64,
    pub history: u64,
    pub damp_state: u64,
    pub pending: u64,
}

/// One BGP peer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BgpPeer {
    /// The peer address as printed (no `+port` suffix).
    pub address: String,
    pub peer_as: u32,
    pub state: PeerState,
    /// `InPkt`: messages received from the peer.
    pub input_messages: u64,
    /// `OutPkt`: messages sent to the peer.
    pub output_messages: u64,
    /// `OutQ`: updates queued for the peer.
    pub output_queue: u64,
    pub flaps: u64,
    /// `Last Up/Dwn`: seconds since the session last changed between
    /// established and not established.
    pub last_up_down_secs: u64,
    /// Per-table route counts; empty when the output shows none.
    pub ribs: Vec<PeerRib>,
}

impl BgpPeer {
    /// The routing instance of the peer, as far as its tables reveal it:
    /// a peer that shows no table, or only master tables, gives `None`.
    pub fn instance(&self) -> Option<&str> {
        self.ribs.iter().find_map(|r| r.instance.as_deref())
    }

    /// The counts for one table, by name.
    pub fn rib(&self, table: &str) -> Option<&PeerRib> {
        self.ribs.iter().find(|r| r.table.as_deref() == Some(table))
    }
}

/// What one peer contributes to one table:
/// `Active/Received/Accepted/Damped`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerRib {
    /// `None` only when the output printed counts that no table name can be
    /// attached to.
    pub table: Option<String>,
    /// Routing instance of the table; `None` for the master instance.
    pub instance: Option<String>,
    pub active: u64,
    pub received: u64,
    /// `None` in the old three-count layout (`Active/Received/Damped`).
    pub accepted: Option<u64>,
    pub damped: u64,
}

impl PeerRib {
    pub fn new(
        table: Option<String>,
        active: u64,
        received: u64,
        accepted: Option<u64>,
        damped: u64,
    ) -> Self {
        let instance = table
            .as_deref()
            .and_then(instance_of_table)
            .map(str::to_owned);
        Self {
            table,
            instance,
            active,
            received,
            accepted,
            damped,
        }
    }
}

/// The BGP finite-state-machine state of a peer.
///
/// Variants carry the names Junos prints in `show bgp summary`; JSON uses
/// lower-case snake_case (`established`, `open_sent`), and an unknown state
/// is kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(from = "String")]
pub enum PeerState {
    Establ,
    Active,
    Connect,
    Idle,
    OpenSent,
    OpenConfirm,
    Unknown(String),
}

named_enum!(PeerState {
    Establ => "established" | "establ",
    Active => "active",
    Connect => "connect",
    Idle => "idle",
    OpenSent => "open_sent" | "opensent",
    OpenConfirm => "open_confirm" | "openconfirm",
});

impl PeerState {
    pub fn is_established(&self) -> bool {
        *self == PeerState::Establ
    }
}

/// The routing instance a table name belongs to: `Cust11` for
/// `Cust11.inet.0`, `None` for master tables (`inet.0`, `bgp.l3vpn.0`).
///
/// Junos names a non-master table `INSTANCE.FAMILY.N`; the master
/// instance's BGP-only families are themselves dotted (`bgp.l3vpn`), which is
/// why a `bgp.` head is not an instance.
pub fn instance_of_table(table: &str) -> Option<&str> {
    let (head, index) = table.rsplit_once('.')?;
    if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) || head.starts_with("bgp.") {
        return None;
    }
    let (instance, _family) = head.rsplit_once('.')?;
    (!instance.is_empty()).then_some(instance)
}

/// Seconds in Junos' elapsed-time notation, as `show bgp summary`, `show
/// bfd session detail` and the XML `elapsed-time` text print it:
/// `19`, `4:05`, `4:19:15`, `3w2d 4:19:15`, `2d 0:34:09`, `20w6d20h`.
///
/// `None` when the text is not in that notation or overflows.
pub fn elapsed_secs(text: &str) -> Option<u64> {
    let mut total: u64 = 0;
    let mut any = false;
    for token in text.split_whitespace() {
        total = total.checked_add(token_secs(token)?)?;
        any = true;
    }
    any.then_some(total)
}

fn token_secs(token: &str) -> Option<u64> {
    if token.contains(':') {
        return clock_secs(token);
    }
    if token.bytes().all(|b| b.is_ascii_digit()) {
        return token.parse().ok();
    }
    // Unit form: 29w5d, 20w6d20h, 1y2w.
    let mut total: u64 = 0;
    let mut digits_start = 0;
    for (i, b) in token.bytes().enumerate() {
        if b.is_ascii_digit() {
            continue;
        }
        let unit: u64 = match b {
            b'y' => 365 * 86_400,
            b'w' => 7 * 86_400,
            b'd' => 86_400,
            b'h' => 3_600,
            b'm' => 60,
            b's' => 1,
            _ => return None,
        };
        let n: u64 = token.get(digits_start..i)?.parse().ok()?;
        total = total.checked_add(n.checked_mul(unit)?)?;
        digits_start = i + 1;
    }
    // Digits after the last unit have no unit to scale them.
    (digits_start == token.len()).then_some(total)
}

/// `h:mm:ss`, `m:ss`, or `:ss` (an empty leading field reads as zero).
fn clock_secs(token: &str) -> Option<u64> {
    let mut fields = [0u64; 3];
    let mut count = 0;
    for (i, part) in token.split(':').enumerate() {
        if count == fields.len() {
            return None;
        }
        fields[count] = if part.is_empty() && i == 0 {
            0
        } else if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) {
            part.parse().ok()?
        } else {
            return None;
        };
        count += 1;
    }
    let (h, m, s) = match count {
        2 => (0, fields[0], fields[1]),
        3 => (fields[0], fields[1], fields[2]),
        _ => return None,
    };
    h.checked_mul(3_600)?
        .checked_add(m.checked_mul(60)?)?
        .checked_add(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elapsed_forms() {
        assert_eq!(elapsed_secs("19"), Some(19));
        assert_eq!(elapsed_secs("4:05"), Some(245));
        assert_eq!(elapsed_secs(":42"), Some(42));
        assert_eq!(elapsed_secs("4:19:15"), Some(4 * 3600 + 19 * 60 + 15));
        assert_eq!(
            elapsed_secs("3w2d 4:19:15"),
            Some(3 * 604_800 + 2 * 86_400 + 4 * 3600 + 19 * 60 + 15)
        );
        assert_eq!(
            elapsed_secs("29w5d 22:42:36"),
            Some(29 * 604_800 + 5 * 86_400 + 22 * 3600 + 42 * 60 + 36)
        );
        assert_eq!(elapsed_secs("2d 0:34:09"), Some(2 * 86_400 + 34 * 60 + 9));
        assert_eq!(
            elapsed_secs("20w6d20h"),
            Some(20 * 604_800 + 6 * 86_400 + 20 * 3600)
        );
        assert_eq!(elapsed_secs("1y2w"), Some(365 * 86_400 + 14 * 86_400));
    }

    #[test]
    fn elapsed_rejects_other_text() {
        for bad in [
            "",
            "Establ",
            "1:2:3:4",
            "5x",
            "3w2",
            "1::2",
            "a:b",
            "99999999999999999999",
            "w",
        ] {
            assert_eq!(elapsed_secs(bad), None, "{bad}");
        }
    }

    #[test]
    fn instance_names() {
        assert_eq!(instance_of_table("Cust11.inet.0"), Some("Cust11"));
        assert_eq!(instance_of_table("VRF-TEST001.mdt.0"), Some("VRF-TEST001"));
        assert_eq!(instance_of_table("inet.0"), None);
        assert_eq!(instance_of_table("inet6.0"), None);
        assert_eq!(instance_of_table("bgp.l3vpn.0"), None);
        assert_eq!(instance_of_table("garbage"), None);
        assert_eq!(instance_of_table(".inet.0"), None);
    }

    #[test]
    fn state_names_round_trip() {
        for (junos, json) in [
            ("Establ", "established"),
            ("Established", "established"),
            ("Active", "active"),
            ("Connect", "connect"),
            ("Idle", "idle"),
            ("OpenSent", "open_sent"),
            ("OpenConfirm", "open_confirm"),
        ] {
            let state = PeerState::from_junos(junos);
            assert_eq!(state.as_str(), json);
            assert_eq!(PeerState::from_junos(json), state);
        }
        assert_eq!(
            PeerState::from_junos("Weird"),
            PeerState::Unknown("Weird".into())
        );
        let v = serde_json::to_value(PeerState::OpenSent).expect("serializes");
        assert_eq!(v, serde_json::json!("open_sent"));
        let back: PeerState = serde_json::from_value(v).expect("deserializes");
        assert_eq!(back, PeerState::OpenSent);
    }
}
