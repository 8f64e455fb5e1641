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
pub mod lines;
pub mod query;
mod route_stream;
pub mod traceroute;

/// Why an input could not be parsed, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ParseError {
    /// 1-based line of the input where the problem was found (0 = whole input).
    pub line: usize,
    /// 1-based column (in characters) on that line, where one is known
    /// (0 = not known).
    pub column: usize,
    pub message: String,
}

impl ParseError {
    pub fn new(line: usize, message: impl Into<String>) -> Self {
        Self {
            line,
            column: 0,
            message: message.into(),
        }
    }

    /// The same error at `column` of its line.
    pub fn at_column(mut self, column: usize) -> Self {
        self.column = column;
        self
    }

    /// `line` or `line:column`, as `path:` is followed in a diagnostic.
    pub fn position(&self) -> String {
        if self.column == 0 {
            self.line.to_string()
        } else {
            format!("{}:{}", self.line, self.column)
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (0, _) => f.write_str(&self.message),
            (line, 0) => write!(f, "line {line}: {}", self.message),
            (line, column) => write!(f, "line {line}, column {column}: {}", self.message),
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

impl Kind {
    /// The query parser that reads this kind; `None` for the kinds no probe
    /// asks for (only `cutover parse` reads them).
    fn parser(self) -> Option<query::Parser> {
        Some(match self {
            Kind::JunosRoute => query::Parser::JunosRoutes,
            Kind::Traceroute => query::Parser::Trace,
            Kind::JunosBgpSummary => query::Parser::BgpSummary,
            Kind::JunosBfd => query::Parser::Bfd,
            Kind::JunosIkeSa => query::Parser::IkeSas,
            Kind::JunosIpsecSa => query::Parser::IpsecSas,
            Kind::ArmRoutes => query::Parser::AzureRoutes,
            Kind::ArmBgpPeers => query::Parser::AzureBgpPeers,
            Kind::ArmPeering => query::Parser::AzurePeerings,
            Kind::ArmConnection => query::Parser::AzureConnection,
            Kind::ArmCircuit | Kind::ArmError => return None,
        })
    }
}

/// What `cutover parse KIND` prints, before it is serialized.
#[derive(Debug, serde::Serialize)]
#[serde(untagged)]
enum Printed<'s, 'a> {
    Answer(query::Normalized<'s, 'a>),
    Circuit(arm::CircuitSummary),
    Error(arm::ErrorSummary),
}

/// Reads `input` as `kind`. A kind that answers a query is read with that
/// query's parser ([`query::Parser`]) into `answer`, so what `cutover
/// parse` prints is what the engine journals and the console shows for the
/// same output.
fn printed<'s, 'a>(
    kind: Kind,
    input: &'a str,
    answer: &'s mut Option<query::Answer<'a>>,
) -> Result<Printed<'s, 'a>, ParseError> {
    match kind.parser() {
        Some(parser) => {
            let answer = answer.insert(parser.read(input)?);
            Ok(Printed::Answer(answer.view(input)?))
        }
        None if kind == Kind::ArmCircuit => Ok(Printed::Circuit(arm::parse_circuit(input)?)),
        None => Ok(Printed::Error(arm::parse_error(input)?)),
    }
}

/// Parses `input` as `kind` and returns the normalized JSON value.
pub fn to_json(kind: Kind, input: &str) -> Result<serde_json::Value, ParseError> {
    let mut answer = None;
    serde_json::to_value(printed(kind, input, &mut answer)?)
        .map_err(|e| ParseError::new(0, format!("cannot serialize: {e}")))
}

/// Why [`write_json`] stopped.
#[derive(Debug, thiserror::Error)]
pub enum WriteJsonError {
    /// The input: nothing was written.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The output (a closed pipe among others: see
    /// [`serde_json::Error::io_error_kind`]).
    #[error("cannot write the JSON: {0}")]
    Write(#[source] serde_json::Error),
}

/// Parses `input` as `kind` and writes the normalized JSON of
/// [`to_json`], pretty-printed, to `out` as it is serialized: no JSON tree
/// is built (it cost ten times a big route capture), and a text route
/// capture is written path by path. Nothing is written when the input does
/// not parse.
pub fn write_json(kind: Kind, input: &str, out: impl std::io::Write) -> Result<(), WriteJsonError> {
    if kind == Kind::JunosRoute && junos_route::detect(input) == junos_route::Encoding::Text {
        // Not even the parsed paths are held: each is written as it completes.
        return route_stream::write(input, out);
    }
    let mut answer = None;
    let printed = printed(kind, input, &mut answer)?;
    serde_json::to_writer_pretty(out, &printed).map_err(WriteJsonError::Write)
}

/// The 1-based line number of byte offset `pos` in `input`, counted from
/// the start: for a one-off (an error). A parser that asks per element
/// keeps a [`lines::LineCounter`] instead.
pub fn line_of(input: &str, pos: usize) -> usize {
    let end = pos.min(input.len());
    memchr::memchr_iter(b'\n', &input.as_bytes()[..end]).count() + 1
}
