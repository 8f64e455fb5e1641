//! Junos (SRX) `show security ipsec security-associations`, text, into
//! [`IpsecSas`].
//!
//! # Normalized JSON (`cutover parse junos-ipsec-sa`)
//!
//! ```json
//! {"total_active_tunnels": 2, "total_sas": 4,
//!  "sas": [
//!    {"node": "node0", "tunnel_id": 131073, "direction": "in",
//!     "algorithm": "ESP:aes-cbc-256/sha256", "spi": "8a3c21f4",
//!     "lifetime_secs": 2911, "lifetime_kb": null, "monitoring": "up",
//!     "lsys": "root", "port": 500, "gateway": "203.0.113.76"}]}
//! ```
//!
//! - Two SAs per tunnel: `<131073` is `"direction": "in"`, `>131073` is
//!   `"out"`.
//! - Columns are read in the order the header line gives them, so the
//!   current `ID  Algorithm  SPI  Life:sec/kb  Mon  lsys  Port  Gateway` and
//!   the old `ID  Gateway  Port  Algorithm  SPI  Life:sec/kb  Mon  vsys`
//!   layouts both read; a column the header lacks is `null`, and `vsys`
//!   fills `lsys`.
//! - `Life:sec/kb` prints as `2618/ unlim` or `2618/unlim`: `lifetime_secs`
//!   2618 and `lifetime_kb` `null`, which means no volume limit.
//! - `monitoring`: `up` (`U`), `down` (`D`), `null` when VPN monitoring is not
//!   configured (`-`).
//! - `spi`: the hex digits as printed; newer SRX software (the iked
//!   service) prints `0x93be8146`, which reads as `93be8146`, so one SA
//!   compares equal across releases.
//! - `total_active_tunnels` / `total_sas`: `Total active tunnels: N` and
//!   `Total Ipsec sas: N` (iked: `Total IPsec sas: N`; either
//!   capitalisation; on one line, on two, or absent), summed over the
//!   sections of a chassis cluster (`node0:` over a dashed rule, named in
//!   each SA's `node`); `null` when never printed.
//!
//! The echoed command, prompts and `{primary:node0}` banners are skipped
//! anywhere; a capture holding nothing else is an empty list.
//!
//! # Errors
//!
//! A row whose fields do not match the header (an ID without `<` or `>`, a
//! non-hex SPI, a garbled lifetime, port or gateway) gives a [`ParseError`]
//! naming the line; any other text before the header names the header
//! expected.

#[cfg(test)]
mod tests;

use super::ParseError;
use super::junos_bgp_summary::junos_cli::{self, excerpt, number};
use crate::model::tunnel::{Direction, IpsecSa, IpsecSas, VpnMonitor};

const EXPECTED_HEADER: &str = "expected `show security ipsec security-associations` output: \
     `Total active tunnels: N` or the `ID  Algorithm  SPI  Life:sec/kb  Mon  lsys  Port  Gateway` header";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Id,
    Algorithm,
    Spi,
    Life,
    Mon,
    Lsys,
    Port,
    Gateway,
    /// A column this parser does not know; its one field is skipped.
    Other,
}

pub fn parse(input: &str) -> Result<IpsecSas, ParseError> {
    let mut out = IpsecSas::default();
    let mut columns: Option<Vec<Column>> = None;
    for (no, node, line) in junos_cli::answer_lines(input) {
        let t = line.trim();
        if is_totals_line(t) {
            totals_line(t, no, &mut out)?;
            continue;
        }
        if t.starts_with("ID") && t.contains("SPI") {
            columns = Some(t.split_whitespace().map(column).collect());
            continue;
        }
        let Some(columns) = columns.as_deref() else {
            return Err(ParseError::new(
                no,
                format!("{EXPECTED_HEADER}; found `{}`", excerpt(t)),
            ));
        };
        out.sas.push(row(t, no, columns, node)?);
    }
    Ok(out)
}

fn column(name: &str) -> Column {
    match name {
        "ID" => Column::Id,
        "Algorithm" => Column::Algorithm,
        "SPI" => Column::Spi,
        "Life:sec/kb" => Column::Life,
        "Mon" => Column::Mon,
        "lsys" | "vsys" => Column::Lsys,
        "Port" => Column::Port,
        "Gateway" => Column::Gateway,
        _ => Column::Other,
    }
}

/// The totals labels, lower-case: releases differ in capitalisation
/// (`Total Ipsec sas:`, iked's `Total IPsec sas:`).
const TUNNELS_LABEL: &str = "total active tunnels:";
const SAS_LABEL: &str = "total ipsec sas:";

fn is_totals_line(t: &str) -> bool {
    let starts = |label: &str| {
        t.get(..label.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(label))
    };
    starts(TUNNELS_LABEL) || starts(SAS_LABEL)
}

/// `Total active tunnels: 2     Total Ipsec sas: 4`, or either alone.
fn totals_line(t: &str, no: usize, out: &mut IpsecSas) -> Result<(), ParseError> {
    // ASCII lower-casing keeps every byte offset, so `after` indexes `t`.
    let lower = t.to_ascii_lowercase();
    for (label, name, slot) in [
        (
            TUNNELS_LABEL,
            "Total active tunnels",
            &mut out.total_active_tunnels,
        ),
        (SAS_LABEL, "Total IPsec sas", &mut out.total_sas),
    ] {
        let Some(at) = lower.find(label) else {
            continue;
        };
        let after = t.get(at + label.len()..).unwrap_or_default();
        let value = after.split_whitespace().next().unwrap_or_default();
        let n: u32 = number(value, no, name)?;
        *slot = Some(slot.unwrap_or(0).saturating_add(n));
    }
    Ok(())
}

fn row(t: &str, no: usize, columns: &[Column], node: Option<&str>) -> Result<IpsecSa, ParseError> {
    let err = |message: String| ParseError::new(no, message);
    let mut tokens = t.split_whitespace().peekable();
    let mut sa = IpsecSa {
        node: node.map(str::to_owned),
        tunnel_id: 0,
        direction: Direction::In,
        algorithm: None,
        spi: None,
        lifetime_secs: None,
        lifetime_kb: None,
        monitoring: None,
        lsys: None,
        port: None,
        gateway: None,
    };
    let mut seen_id = false;
    for &col in columns {
        let Some(token) = tokens.next() else {
            return Err(err(format!(
                "IPsec SA row has fewer fields than its header; found `{}`",
                excerpt(t)
            )));
        };
        match col {
            Column::Id => {
                let (direction, id) = match token.split_at_checked(1) {
                    Some(("<", id)) => (Direction::In, id),
                    Some((">", id)) => (Direction::Out, id),
                    _ => {
                        return Err(err(format!(
                            "tunnel ID `{}` does not start with `<` or `>`",
                            excerpt(token)
                        )));
                    }
                };
                // `< 131073` with the number apart.
                let id = if id.is_empty() {
                    tokens.next().unwrap_or_default()
                } else {
                    id
                };
                sa.direction = direction;
                sa.tunnel_id = number(id, no, "tunnel ID")?;
                seen_id = true;
            }
            Column::Algorithm => sa.algorithm = Some(token.to_owned()),
            Column::Spi => {
                // iked prints `0x93be8146` where older releases print `93be8146`.
                let digits = token
                    .strip_prefix("0x")
                    .or_else(|| token.strip_prefix("0X"))
                    .unwrap_or(token);
                if !junos_cli::is_hex(digits) {
                    return Err(err(format!("SPI `{}` is not hexadecimal", excerpt(token))));
                }
                sa.spi = Some(digits.to_owned());
            }
            Column::Life => {
                let (secs, kb) = match token.split_once('/') {
                    // `2618/ unlim`: the volume part is the next field.
                    Some((secs, "")) => (secs, tokens.next().unwrap_or_default()),
                    Some((secs, kb)) => (secs, kb),
                    // `2618 /unlim`.
                    None => (
                        token,
                        tokens
                            .next()
                            .and_then(|n| n.strip_prefix('/'))
                            .unwrap_or_default(),
                    ),
                };
                sa.lifetime_secs = Some(number(secs, no, "lifetime (seconds)")?);
                sa.lifetime_kb = if kb == "unlim" {
                    None
                } else {
                    Some(number(kb, no, "lifetime (kB)")?)
                };
            }
            Column::Mon => sa.monitoring = (token != "-").then(|| VpnMonitor::from_junos(token)),
            Column::Lsys => sa.lsys = Some(token.to_owned()),
            Column::Port => sa.port = Some(number(token, no, "port")?),
            Column::Gateway if junos_cli::is_address(token) => sa.gateway = Some(token.to_owned()),
            Column::Gateway => {
                return Err(err(format!(
                    "gateway `{}` is not an IP address",
                    excerpt(token)
                )));
            }
            Column::Other => {}
        }
    }
    if let Some(extra) = tokens.next() {
        return Err(err(format!(
            "IPsec SA row has more fields than its header, from `{}`",
            excerpt(extra)
        )));
    }
    if !seen_id {
        return Err(err("the IPsec SA header has no ID column".to_owned()));
    }
    Ok(sa)
}
