//! Pure text/JSON/XML -> model parsers. No I/O.
//!
//! Every parser takes the whole captured output (which may still hold the
//! echoed command, a prompt, or a pager remnant) and returns the model or a
//! [`ParseError`] naming the line. No input may panic a parser.

use std::fmt;

pub mod arm;
pub mod junos_bfd;
pub mod junos_bgp_summary;
pub mod junos_ike_sa;
pub mod junos_ipsec_sa;
pub mod junos_route;
pub mod junos_route_json;
pub mod junos_route_text;
pub mod junos_route_xml;
pub mod query;
pub mod traceroute;

/// Why an input could not be parsed, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ParseError {
    /// 1-based line of the input where the problem was found (0 = whole input).
    pub line: usize,
    pub message: String,
}

impl ParseError {
    pub fn new(line: usize, message: impl Into<String>) -> Self {
        Self {
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            f.write_str(&self.message)
        } else {
            write!(f, "line {}: {}", self.line, self.message)
        }
    }
}

/// What `cutover parse KIND` understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// Junos `show route` (brief, table, advertising/receive-protocol,
    /// detail, extensive) as text, `| display json` or `| display xml`.
    JunosRoute,
    /// Linux/BSD `traceroute`, Windows `tracert`, Junos `traceroute` (text or XML).
    Traceroute,
    /// Junos `show bgp summary` (text or XML).
    JunosBgpSummary,
    /// Junos `show bfd session [detail|extensive]` (text or XML).
    JunosBfd,
    /// Junos `show security ike security-associations`.
    JunosIkeSa,
    /// Junos `show security ipsec security-associations`.
    JunosIpsecSa,
    /// ARM GatewayRouteListResult (getLearnedRoutes / getAdvertisedRoutes).
    ArmRoutes,
    /// ARM BgpPeerStatusListResult (getBgpPeerStatus).
    ArmBgpPeers,
    /// ARM ExpressRouteCircuitPeering, or a peering list.
    ArmPeering,
    /// ARM ExpressRouteCircuit.
    ArmCircuit,
    /// ARM VirtualNetworkGatewayConnection.
    ArmConnection,
    /// ARM CloudError body.
    ArmError,
}

/// Parses `input` as `kind` and returns the normalized JSON value.
///
/// A kind that answers a query is read with that query's parser
/// ([`query::Parser`]), so what this prints is what the engine journals and
/// the console shows for the same output.
pub fn to_json(kind: Kind, input: &str) -> Result<serde_json::Value, ParseError> {
    fn json<T: serde::Serialize>(v: T) -> Result<serde_json::Value, ParseError> {
        serde_json::to_value(v).map_err(|e| ParseError::new(0, format!("cannot serialize: {e}")))
    }
    let answer = |parser: query::Parser| parser.read(input)?.normalized(input);
    match kind {
        Kind::JunosRoute => answer(query::Parser::JunosRoutes),
        Kind::Traceroute => answer(query::Parser::Trace),
        Kind::JunosBgpSummary => answer(query::Parser::BgpSummary),
        Kind::JunosBfd => answer(query::Parser::Bfd),
        Kind::JunosIkeSa => answer(query::Parser::IkeSas),
        Kind::JunosIpsecSa => answer(query::Parser::IpsecSas),
        Kind::ArmRoutes => answer(query::Parser::AzureRoutes),
        Kind::ArmBgpPeers => answer(query::Parser::AzureBgpPeers),
        Kind::ArmPeering => answer(query::Parser::AzurePeerings),
        Kind::ArmConnection => answer(query::Parser::AzureConnection),
        // No probe asks for these: only `cutover parse` reads them.
        Kind::ArmCircuit => json(arm::parse_circuit(input)?),
        Kind::ArmError => json(arm::parse_error(input)?),
    }
}

/// The 1-based line number of byte offset `pos` in `input`.
pub fn line_of(input: &str, pos: usize) -> usize {
    let end = pos.min(input.len());
    memchr::memchr_iter(b'\n', &input.as_bytes()[..end]).count() + 1
}
