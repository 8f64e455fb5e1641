//! Junos `show bgp summary`, as text or `| display xml`
//! (`get-bgp-summary-information`), into a [`BgpSummary`].
//!
//! # Normalized JSON (`cutover parse junos-bgp-summary`)
//!
//! ```json
//! {"group_count": 2, "peer_count": 4, "down_peer_count": 0,
//!  "tables": [
//!    {"name": "Cust11.inet.0", "instance": "Cust11", "total_paths": 8, "active_paths": 2,
//!     "suppressed": 0, "history": 0, "damp_state": 0, "pending": 0}],
//!  "peers": [
//!    {"address": "10.17.11.76", "peer_as": 65515, "state": "established",
//!     "input_messages": 4153, "output_messages": 4160, "output_queue": 0, "flaps": 0,
//!     "last_up_down_secs": 249138,
//!     "ribs": [{"table": "Cust11.inet.0", "instance": "Cust11",
//!               "active": 0, "received": 2, "accepted": 2, "damped": 0}]}]}
//! ```
//!
//! - `*_count` are `null` when the `Groups: N Peers: N Down peers: N` line is
//!   missing; `tables` is the `Table  Tot Paths ...` block in output order
//!   (the XML `bgp-rib style="brief"` elements), whether the table name
//!   shares its line with the counts or stands on the line above them.
//! - `instance` is the routing instance a table name starts with
//!   (`Cust11.inet.0`), `null` for master tables (`inet.0`, `bgp.l3vpn.0`).
//! - `state`: `established`, `active`, `connect`, `idle`, `open_sent`,
//!   `open_confirm`, or the text as printed for anything else. XML
//!   `Established` and text `Establ` are the same state.
//! - `last_up_down_secs`: `Last Up/Dwn` in seconds (`29w5d 22:42:36`,
//!   `3w2d 4:19:15`, `4:05`, `19`); in XML the `seconds` attribute of
//!   `elapsed-time`, which is exact where its text (`20w6d20h`) is rounded.
//! - `ribs`: one entry per `  TABLE: a/r/acc/d` line under the peer, or per
//!   XML `bgp-rib` in the peer. A peer whose row ends in counts instead of a
//!   state (`0/0/0/0  0/0/0/0`) is established, and those counts are, as
//!   Junos documents the column, its `inet.0` and `inet.2` routes. `damped`
//!   is the XML `suppressed-prefix-count` (the text column is drawn from it);
//!   `accepted` is `null` in the old three-count layout
//!   (`Active/Received/Damped`).
//!
//! The echoed command, prompts (`user@host>`, `juniper@R:R1>`),
//! `{primary:node0}` banners and pager remnants are skipped anywhere, and so
//! are the mode lines Junos prints before the counts (`Threading mode:`).
//!
//! # Errors
//!
//! A malformed peer row (non-numeric AS or counters, unreadable `Last
//! Up/Dwn`), garbled route counts (`1/x/2`), or a table name without counts
//! give a [`ParseError`] naming the line; input with no `show bgp summary`
//! header at all names the header that was expected.

mod text;
mod xml;

pub(crate) mod junos_cli;
pub(crate) mod xml_tree;

#[cfg(test)]
mod tests;

use super::ParseError;
use crate::model::bgp::BgpSummary;

pub fn parse(input: &str) -> Result<BgpSummary, ParseError> {
    if junos_cli::is_xml(input) {
        xml::parse(input)
    } else {
        text::parse(input)
    }
}
