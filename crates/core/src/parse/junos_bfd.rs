//! Junos `show bfd session [address A] [detail|extensive]`, as text or
//! `| display xml` (`get-bfd-session-information`), into [`BfdSessions`].
//!
//! # Normalized JSON (`cutover parse junos-bfd`)
//!
//! ```json
//! {"sessions": [
//!    {"address": "192.168.11.18", "state": "up", "interface": "xe-0/0/0:0.110",
//!     "detect_time_ms": 900, "transmit_interval_ms": 300, "multiplier": 3,
//!     "clients": [{"name": "BGP", "tx_interval_ms": 300, "rx_interval_ms": 300}],
//!     "up_time_secs": 174840, "local_diagnostic": "None", "remote_diagnostic": "None",
//!     "remote_state": "up", "version": 1, "session_type": "Single hop BFD",
//!     "local_discriminator": 17, "remote_discriminator": 4251,
//!     "local_address": null, "session_id": "0x100011"}],
//!  "session_count": 1, "client_count": 1,
//!  "transmit_rate_pps": 3.3, "receive_rate_pps": 3.3}
//! ```
//!
//! - `state` / `remote_state`: `up`, `down`, `init`, `admin_down`, `failing`,
//!   or the text as printed for anything else.
//! - `interface` is `null` when the column is empty (multihop sessions);
//!   times and intervals are whole milliseconds (`1.500` is 1500).
//! - The fields from `clients` on exist only in the `detail` / `extensive`
//!   forms: `clients` is `[]` and the rest `null` in the brief form.
//!   `up_time_secs` reads `Session up time 09:27:10` (h:mm:ss) and, past a
//!   day, `2d 02:45` (hours and minutes: BFD drops the seconds there).
//!   `local_address` is the local end of a multihop session.
//! - `session_count`, `client_count` and the two rates come from the
//!   `N sessions, M clients` / `Cumulative transmit rate ...` summary, `null`
//!   where it is missing. `0 sessions, 0 clients` alone is a valid, empty
//!   answer.
//!
//! Detail lines this parser does not know (`Echo mode ...`, `Min async
//! interval ...`) are skipped; the echoed command, prompts and
//! `{primary:node0}` banners are skipped anywhere.
//!
//! # Errors
//!
//! A session row whose fields do not read (`ADDRESS STATE [INTERFACE]
//! DETECT TRANSMIT MULTIPLIER`), a garbled summary line, or a line that is
//! neither a row, a detail line under one, nor a summary give a
//! [`ParseError`] naming the line; input without the column header or the
//! summary names the header that was expected.

mod text;
mod xml;

#[cfg(test)]
mod tests;

use super::ParseError;
use super::junos_bgp_summary::junos_cli;
use crate::model::tunnel::BfdSessions;

pub fn parse(input: &str) -> Result<BfdSessions, ParseError> {
    if junos_cli::is_xml(input) {
        xml::parse(input)
    } else {
        text::parse(input)
    }
}
