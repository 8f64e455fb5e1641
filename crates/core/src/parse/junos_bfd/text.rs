//! The text form of `show bfd session`.

use crate::model::bgp::elapsed_secs;
use crate::model::tunnel::{BfdClient, BfdSession, BfdSessions, BfdState};
use crate::parse::ParseError;
use crate::parse::junos_bgp_summary::junos_cli::{self, excerpt, millis, number};

const EXPECTED_HEADER: &str = "expected `show bfd session` output: the `Address  State  Interface  Time  \
     Interval  Multiplier` header or the `N sessions, M clients` summary";

pub(super) fn parse(input: &str) -> Result<BfdSessions, ParseError> {
    let mut out = BfdSessions::default();
    let mut seen_header = false;
    // A long (IPv6) address printed alone, its fields on the next line.
    let mut pending_address: Option<(usize, &str)> = None;
    for (no, _node, line) in junos_cli::answer_lines(input) {
        let t = line.trim();
        if is_header(t) {
            seen_header = true;
            continue;
        }
        if summary_line(t, no, &mut out)? {
            seen_header = true;
            continue;
        }
        let mut tokens: Vec<&str> = t.split_whitespace().collect();
        if let Some((_, address)) = pending_address.take() {
            tokens.insert(0, address);
        }
        if tokens.first().is_some_and(|a| junos_cli::is_address(a)) {
            if !seen_header {
                return Err(ParseError::new(
                    no,
                    format!("{EXPECTED_HEADER}; found a row before it"),
                ));
            }
            if tokens.len() == 1 {
                pending_address = Some((no, t));
                continue;
            }
            out.sessions.push(session_row(&tokens, no)?);
            continue;
        }
        if let Some(session) = out.sessions.last_mut() {
            detail_line(t, session);
            continue;
        }
        let message = if seen_header {
            format!(
                "expected a session row (ADDRESS STATE [INTERFACE] DETECT TRANSMIT MULTIPLIER); found `{}`",
                excerpt(t)
            )
        } else {
            format!("{EXPECTED_HEADER}; found `{}`", excerpt(t))
        };
        return Err(ParseError::new(no, message));
    }
    if let Some((no, address)) = pending_address {
        return Err(ParseError::new(
            no,
            format!(
                "session `{}` has no fields after its address",
                excerpt(address)
            ),
        ));
    }
    if !seen_header {
        return Err(ParseError::new(0, EXPECTED_HEADER));
    }
    Ok(out)
}

/// `Detect   Transmit` over `Address  State  Interface  Time  Interval  Multiplier`.
fn is_header(t: &str) -> bool {
    (t.starts_with("Address") && t.contains("State") && t.contains("Multiplier"))
        || (t.starts_with("Detect") && t.contains("Transmit") && t.split_whitespace().count() == 2)
}

/// `2 sessions, 2 clients` and `Cumulative transmit rate 4.0 pps, cumulative
/// receive rate 4.0 pps`; false for any other line.
fn summary_line(t: &str, no: usize, out: &mut BfdSessions) -> Result<bool, ParseError> {
    let tokens: Vec<&str> = t.split_whitespace().collect();
    if let [sessions, s_word, clients, c_word] = tokens.as_slice()
        && s_word.starts_with("session")
        && c_word.starts_with("client")
    {
        out.session_count = Some(number(sessions, no, "session count")?);
        out.client_count = Some(number(clients, no, "client count")?);
        return Ok(true);
    }
    if t.starts_with("Cumulative transmit rate") {
        let garbled = || ParseError::new(no, format!("garbled rate line `{}`", excerpt(t)));
        let [_, _, _, tx, _, _, _, _, rx, ..] = tokens.as_slice() else {
            return Err(garbled());
        };
        out.transmit_rate_pps = Some(junos_cli::decimal(tx).ok_or_else(garbled)?);
        out.receive_rate_pps = Some(junos_cli::decimal(rx).ok_or_else(garbled)?);
        return Ok(true);
    }
    Ok(false)
}

/// `10.0.0.2  Up  ge-0/0/0.0  1.500  0.500  3`, the interface possibly
/// empty.
fn session_row(tokens: &[&str], no: usize) -> Result<BfdSession, ParseError> {
    let (address, state, interface, detect, transmit, multiplier) = match *tokens {
        [a, s, d, t, m] => (a, s, None, d, t, m),
        [a, s, i, d, t, m] => (a, s, Some(i), d, t, m),
        _ => {
            return Err(ParseError::new(
                no,
                format!(
                    "session row has {} fields; expected ADDRESS STATE [INTERFACE] DETECT TRANSMIT MULTIPLIER",
                    tokens.len()
                ),
            ));
        }
    };
    let ms = |token: &str, what: &str| {
        millis(token).ok_or_else(|| {
            ParseError::new(
                no,
                format!("{what} `{}` is not a time in seconds", excerpt(token)),
            )
        })
    };
    let mut session = BfdSession::new(address.to_owned(), BfdState::from_junos(state));
    session.interface = interface.map(str::to_owned);
    session.detect_time_ms = Some(ms(detect, "detect time")?);
    session.transmit_interval_ms = Some(ms(transmit, "transmit interval")?);
    session.multiplier = Some(number(multiplier, no, "multiplier")?);
    Ok(session)
}

/// The `detail` / `extensive` lines under a session. They only add to the
/// session, so a value that does not read is left out rather than failing
/// a capture whose rows are fine.
fn detail_line(t: &str, session: &mut BfdSession) {
    if let Some(rest) = t.strip_prefix("Client ") {
        session.clients.push(client(rest));
    } else if let Some(rest) = t.strip_prefix("Session up time ") {
        session.up_time_secs = up_time(first_clause(rest));
    } else if let Some(rest) = t.strip_prefix("Local diagnostic ") {
        let (local, remote) = rest
            .split_once(", remote diagnostic ")
            .unwrap_or((rest, ""));
        session.local_diagnostic = non_empty(local);
        session.remote_diagnostic = non_empty(remote);
    } else if let Some(rest) = t.strip_prefix("Remote state ") {
        let (state, version) = rest.split_once(", version ").unwrap_or((rest, ""));
        session.remote_state = non_empty(state).map(|s| BfdState::from_junos(&s));
        session.version = junos_cli::parse_digits(version.trim());
    } else if let Some(rest) = t.strip_prefix("Session type:") {
        session.session_type = non_empty(rest);
    } else if let Some(rest) = t.strip_prefix("Local discriminator ") {
        let (local, remote) = rest
            .split_once(", remote discriminator ")
            .unwrap_or((rest, ""));
        session.local_discriminator = junos_cli::parse_digits(local.trim());
        session.remote_discriminator = junos_cli::parse_digits(remote.trim());
    } else if let Some((_, address)) = t.split_once("local-address ") {
        session.local_address = non_empty(address);
    } else if let Some(rest) = t.strip_prefix("Session ID:") {
        session.session_id = non_empty(rest);
    }
}

/// `OSPF realm ospf-v2 Area 0.0.0.0, TX interval 1.000, RX interval 1.000`.
fn client(rest: &str) -> BfdClient {
    let (name, intervals) = rest.split_once(", TX interval ").unwrap_or((rest, ""));
    let (tx, rx) = intervals
        .split_once(", RX interval ")
        .unwrap_or((intervals, ""));
    BfdClient {
        name: name.trim().trim_end_matches(',').to_owned(),
        tx_interval_ms: millis(tx.trim()),
        rx_interval_ms: millis(first_clause(rx)),
    }
}

/// `09:27:10` is h:mm:ss; past a day BFD prints `2d 02:45`, hours and
/// minutes, which the shared elapsed-time notation would read as m:ss.
fn up_time(text: &str) -> Option<u64> {
    let tokens: Vec<&str> = text.split_whitespace().collect();
    if let [day, clock] = tokens.as_slice()
        && clock.matches(':').count() == 1
        && !day.contains(':')
    {
        return elapsed_secs(&format!("{day} {clock}:00"));
    }
    elapsed_secs(text)
}

fn first_clause(text: &str) -> &str {
    text.split(',').next().unwrap_or(text).trim()
}

fn non_empty(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_owned())
}
