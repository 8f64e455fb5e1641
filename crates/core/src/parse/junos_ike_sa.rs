//! Junos (SRX) `show security ike security-associations`, text, into
//! [`IkeSas`].
//!
//! # Normalized JSON (`cutover parse junos-ike-sa`)
//!
//! ```json
//! {"sas": [
//!    {"node": "node0", "index": 8327594, "state": "up",
//!     "initiator_cookie": "4f5fd6a6bd2fbb33", "responder_cookie": "e0a4d7c1f5c6a1a7",
//!     "mode": "IKEv2", "remote_address": "203.0.113.76"}]}
//! ```
//!
//! - Both column layouts are read, chosen by the header line: the current
//!   `Index  State  Initiator cookie  Responder cookie  Mode  Remote Address`
//!   and the older `Index  Remote Address  State  Initiator cookie  Responder
//!   cookie  Mode`.
//! - `state`: `up`, `down`, or the text as printed for anything else. A
//!   `DOWN` SA keeps its all-zero responder cookie as printed.
//! - `node` is the chassis-cluster section (`node0:` over a dashed rule) the
//!   SA is listed under, `null` outside a cluster.
//!
//! Junos prints nothing at all when there is no SA, so a capture holding
//! only the echoed command, prompts (`root@vsrx# run show ...`),
//! `{primary:node0}` banners or empty cluster sections is an empty list.
//!
//! # Errors
//!
//! A row without six fields, with a non-numeric index, non-hex cookies or a
//! remote that is not an IP address gives a [`ParseError`] naming the line;
//! any other text before the column header names the header expected.

#[cfg(test)]
mod tests;

use super::ParseError;
use super::junos_bgp_summary::junos_cli::{self, excerpt, number};
use crate::model::tunnel::{IkeSa, IkeSas, IkeState};

const EXPECTED_HEADER: &str = "expected `show security ike security-associations` output: the \
     `Index  State  Initiator cookie  Responder cookie  Mode  Remote Address` header";

/// Where the remote address stands in a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// `Index State Initiator Responder Mode Remote`.
    RemoteLast,
    /// `Index Remote State Initiator Responder Mode` (older releases).
    RemoteSecond,
}

pub fn parse(input: &str) -> Result<IkeSas, ParseError> {
    let mut out = IkeSas::default();
    let mut layout = None;
    for (no, node, line) in junos_cli::answer_lines(input) {
        let t = line.trim();
        if let Some(found) = header_layout(t) {
            layout = Some(found);
            continue;
        }
        let Some(layout) = layout else {
            return Err(ParseError::new(
                no,
                format!("{EXPECTED_HEADER}; found `{}`", excerpt(t)),
            ));
        };
        out.sas.push(row(t, no, layout, node)?);
    }
    Ok(out)
}

fn header_layout(t: &str) -> Option<Layout> {
    if !(t.starts_with("Index") && t.contains("cookie")) {
        return None;
    }
    let remote = t.find("Remote")?;
    let state = t.find("State")?;
    Some(if remote < state {
        Layout::RemoteSecond
    } else {
        Layout::RemoteLast
    })
}

fn row(t: &str, no: usize, layout: Layout, node: Option<&str>) -> Result<IkeSa, ParseError> {
    let tokens: Vec<&str> = t.split_whitespace().collect();
    let (index, state, initiator, responder, mode, remote) = match (layout, tokens.as_slice()) {
        (Layout::RemoteLast, &[i, s, ic, rc, m, r]) => (i, s, ic, rc, m, r),
        (Layout::RemoteSecond, &[i, r, s, ic, rc, m]) => (i, s, ic, rc, m, r),
        _ => {
            return Err(ParseError::new(
                no,
                format!(
                    "IKE SA row has {} fields, expected 6; found `{}`",
                    tokens.len(),
                    excerpt(t)
                ),
            ));
        }
    };
    for (cookie, what) in [
        (initiator, "initiator cookie"),
        (responder, "responder cookie"),
    ] {
        if !junos_cli::is_hex(cookie) {
            return Err(ParseError::new(
                no,
                format!("{what} `{}` is not hexadecimal", excerpt(cookie)),
            ));
        }
    }
    if !junos_cli::is_address(remote) {
        return Err(ParseError::new(
            no,
            format!("remote address `{}` is not an IP address", excerpt(remote)),
        ));
    }
    Ok(IkeSa {
        node: node.map(str::to_owned),
        index: number(index, no, "SA index")?,
        state: IkeState::from_junos(state),
        initiator_cookie: initiator.to_owned(),
        responder_cookie: responder.to_owned(),
        mode: mode.to_owned(),
        remote_address: remote.to_owned(),
    })
}
