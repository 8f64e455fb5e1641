//! The text form of `show bgp summary`.

use super::junos_cli::{self, asn, excerpt, number};
use crate::model::bgp::{BgpPeer, BgpSummary, PeerRib, PeerState, RibTotals, elapsed_secs};
use crate::parse::ParseError;

const EXPECTED_HEADER: &str = "expected `show bgp summary` output: a `Groups: N Peers: N Down peers: N` line, \
     a `Table  Tot Paths  Act Paths ...` block or a `Peer  AS  InPkt ...` header";

/// The tables that counts printed in place of a peer's state belong to, in
/// order (Junos: "active, received, accepted and damped routes in the inet.0
/// (main) and inet.2 (multicast) routing tables").
const INLINE_TABLES: [&str; 2] = ["inet.0", "inet.2"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Preamble,
    Tables,
    Peers,
}

pub(super) fn parse(input: &str) -> Result<BgpSummary, ParseError> {
    let mut out = BgpSummary::default();
    let mut section = Section::Preamble;
    let mut seen_header = false;
    let mut seen_groups = false;
    // A table name printed alone on its line, waiting for its counts line.
    let mut pending_table: Option<(usize, &str)> = None;
    for (no, _node, line) in junos_cli::answer_lines(input) {
        let t = line.trim();
        if t.starts_with("Groups:") {
            if seen_groups {
                return Err(ParseError::new(
                    no,
                    "a second `Groups:` line: expected one `show bgp summary` per capture",
                ));
            }
            groups_line(t, no, &mut out)?;
            seen_groups = true;
            seen_header = true;
            continue;
        }
        if t.starts_with("Table") && t.contains("Tot Paths") {
            section = Section::Tables;
            seen_header = true;
            continue;
        }
        if t.starts_with("Peer") && t.contains("InPkt") {
            if let Some((at, name)) = pending_table.take() {
                return Err(no_counts(at, name));
            }
            section = Section::Peers;
            seen_header = true;
            continue;
        }
        match section {
            // Mode lines (`Threading mode: BGP I/O`, `Default eBGP mode: ...`)
            // come and go with Junos releases; none of them is needed here.
            Section::Preamble if is_mode_line(t) => {}
            Section::Preamble => {
                return Err(ParseError::new(
                    no,
                    format!("{EXPECTED_HEADER}; found `{}`", excerpt(t)),
                ));
            }
            Section::Tables => table_line(t, no, &mut pending_table, &mut out.tables)?,
            Section::Peers => peer_line(t, no, &mut out.peers)?,
        }
    }
    if let Some((at, name)) = pending_table {
        return Err(no_counts(at, name));
    }
    if !seen_header {
        return Err(ParseError::new(0, EXPECTED_HEADER));
    }
    Ok(out)
}

fn no_counts(line: usize, name: &str) -> ParseError {
    ParseError::new(
        line,
        format!("table `{}` has no counts line under it", excerpt(name)),
    )
}

/// `Words words: anything`.
fn is_mode_line(t: &str) -> bool {
    t.split_once(':').is_some_and(|(head, _)| {
        !head.is_empty()
            && head
                .chars()
                .all(|c| c.is_ascii_alphabetic() || c == ' ' || c == '-')
    })
}

/// `Groups: 14 Peers: 19 Down peers: 15`.
fn groups_line(t: &str, no: usize, out: &mut BgpSummary) -> Result<(), ParseError> {
    let mut rest = t;
    for (label, slot) in [
        ("Groups:", &mut out.group_count),
        ("Peers:", &mut out.peer_count),
        ("Down peers:", &mut out.down_peer_count),
    ] {
        let Some((_, after)) = rest.split_once(label) else {
            continue;
        };
        let after = after.trim_start();
        let value = after.split_whitespace().next().unwrap_or_default();
        *slot = Some(number(value, no, label.trim_end_matches(':'))?);
        rest = after.get(value.len()..).unwrap_or_default();
    }
    Ok(())
}

/// A table name (alone, or followed by its counts) or the counts line of
/// the name above.
fn table_line<'a>(
    t: &'a str,
    no: usize,
    pending: &mut Option<(usize, &'a str)>,
    tables: &mut Vec<RibTotals>,
) -> Result<(), ParseError> {
    let tokens: Vec<&str> = t.split_whitespace().collect();
    if let [name] = tokens.as_slice() {
        if let Some((at, prev)) = pending.replace((no, name)) {
            return Err(no_counts(at, prev));
        }
        return Ok(());
    }
    let (name, counts) = match tokens.as_slice() {
        counts if counts.len() == 6 => (pending.take().map(|(_, n)| n), counts),
        [name, counts @ ..] if counts.len() == 6 => (Some(*name), counts),
        _ => {
            return Err(ParseError::new(
                no,
                format!(
                    "expected a table name or its six counts (Tot Paths, Act Paths, Suppressed, History, \
                     Damp State, Pending); found `{}`",
                    excerpt(t)
                ),
            ));
        }
    };
    let Some(name) = name else {
        return Err(ParseError::new(
            no,
            "table counts without a table name above them",
        ));
    };
    let mut n = [0u64; 6];
    for (slot, token) in n.iter_mut().zip(counts) {
        *slot = number(token, no, "table count")?;
    }
    let [
        total_paths,
        active_paths,
        suppressed,
        history,
        damp_state,
        pending_paths,
    ] = n;
    tables.push(RibTotals {
        name: name.to_owned(),
        instance: crate::model::bgp::instance_of_table(name).map(str::to_owned),
        total_paths,
        active_paths,
        suppressed,
        history,
        damp_state,
        pending: pending_paths,
    });
    Ok(())
}

fn peer_line(t: &str, no: usize, peers: &mut Vec<BgpPeer>) -> Result<(), ParseError> {
    let first = t.split_whitespace().next().unwrap_or_default();
    if junos_cli::is_address(first) {
        peers.push(peer_row(t, no)?);
        return Ok(());
    }
    if let Some(table) = first.strip_suffix(':') {
        let Some(peer) = peers.last_mut() else {
            return Err(ParseError::new(no, "route counts before any peer row"));
        };
        let mut rest = t.split_whitespace().skip(1);
        let (Some(counts), None) = (rest.next(), rest.next()) else {
            return Err(ParseError::new(
                no,
                format!("expected `TABLE: a/r/a/d`; found `{}`", excerpt(t)),
            ));
        };
        let (active, received, accepted, damped) = route_counts(counts, no)?;
        peer.ribs.push(PeerRib::new(
            Some(table.to_owned()),
            active,
            received,
            accepted,
            damped,
        ));
        return Ok(());
    }
    Err(ParseError::new(
        no,
        format!(
            "expected a peer row (ADDRESS AS InPkt OutPkt OutQ Flaps Last-Up/Dwn State); found `{}`",
            excerpt(t)
        ),
    ))
}

/// `10.169.14.240  65151  280414  221573  0  127 3w2d 4:19:15 Establ`.
fn peer_row(t: &str, no: usize) -> Result<BgpPeer, ParseError> {
    let tokens: Vec<&str> = t.split_whitespace().collect();
    let [address, peer_as, in_pkt, out_pkt, out_q, flaps, rest @ ..] = tokens.as_slice() else {
        return Err(short_row(tokens.len(), no));
    };
    if rest.len() < 2 {
        return Err(short_row(tokens.len(), no));
    }
    // `Last Up/Dwn` is one token (`4:05`, `19`) or, past a day, two
    // (`29w5d 22:42:36`).
    let time_len = if rest.len() >= 3 && is_day_part(rest[0]) && rest[1].contains(':') {
        2
    } else {
        1
    };
    let (time, state) = rest.split_at(time_len);
    let time = time.join(" ");
    let last_up_down_secs = elapsed_secs(&time).ok_or_else(|| {
        ParseError::new(
            no,
            format!(
                "Last Up/Dwn `{}` is not a Junos elapsed time",
                excerpt(&time)
            ),
        )
    })?;
    let (state, ribs) = if state.iter().any(|s| s.contains('/')) {
        let mut ribs = Vec::with_capacity(state.len());
        for (i, counts) in state.iter().enumerate() {
            let (active, received, accepted, damped) = route_counts(counts, no)?;
            let table = INLINE_TABLES.get(i).map(|s| (*s).to_owned());
            ribs.push(PeerRib::new(table, active, received, accepted, damped));
        }
        (PeerState::Establ, ribs)
    } else {
        (PeerState::from_junos(&state.join(" ")), Vec::new())
    };
    Ok(BgpPeer {
        address: address.split('+').next().unwrap_or(address).to_owned(),
        peer_as: asn(peer_as, no)?,
        state,
        input_messages: number(in_pkt, no, "InPkt")?,
        output_messages: number(out_pkt, no, "OutPkt")?,
        output_queue: number(out_q, no, "OutQ")?,
        flaps: number(flaps, no, "Flaps")?,
        last_up_down_secs,
        ribs,
    })
}

fn short_row(fields: usize, no: usize) -> ParseError {
    ParseError::new(
        no,
        format!(
            "peer row has {fields} fields; expected ADDRESS AS InPkt OutPkt OutQ Flaps Last-Up/Dwn State"
        ),
    )
}

/// `29w5d`, `2d`: the part of an elapsed time that precedes `h:mm:ss`.
fn is_day_part(token: &str) -> bool {
    token.starts_with(|c: char| c.is_ascii_digit())
        && token.ends_with(['y', 'w', 'd'])
        && !token.contains(':')
}

/// `682/684/684/0` (Active/Received/Accepted/Damped), or the old
/// `682/684/0` (Active/Received/Damped).
fn route_counts(token: &str, no: usize) -> Result<(u64, u64, Option<u64>, u64), ParseError> {
    let garbled = || {
        ParseError::new(
            no,
            format!(
                "garbled route counts `{}`: expected Active/Received/Accepted/Damped",
                excerpt(token)
            ),
        )
    };
    let mut n = [0u64; 4];
    let mut count = 0;
    for part in token.split('/') {
        let slot = n.get_mut(count).ok_or_else(garbled)?;
        *slot = junos_cli::parse_digits(part).ok_or_else(garbled)?;
        count += 1;
    }
    match count {
        4 => Ok((n[0], n[1], Some(n[2]), n[3])),
        3 => Ok((n[0], n[1], None, n[2])),
        _ => Err(garbled()),
    }
}
