//! Which parser reads a query's answer, decided once.
//!
//! The engine judges a probe's answer, the console folds it into its live
//! panes, the report rebuilds route and trace histories from the journal,
//! and `cutover parse KIND` prints what a raw output reads as. All four
//! must read one output the same way: a query read with the wrong parser in
//! one of them would show the operator a screen that contradicts the
//! verdict. So the choice of parser per query is made here, and every
//! reader starts from the typed [`Answer`] it returns.

use serde::Serialize;
use serde_json::Value;

use super::arm::{BgpPeersSummary, ConnectionSummary, PeeringsSummary, RoutesSummary};
use super::{ParseError, arm, junos_bfd, junos_bgp_summary, junos_ike_sa, junos_ipsec_sa};
use super::{junos_route, traceroute};
use crate::model::RouteList;
use crate::model::azure::{
    BgpPeerStatusListResult, ExpressRouteCircuitPeeringListResult, GatewayRouteListResult,
    VirtualNetworkGatewayConnection,
};
use crate::model::bgp::BgpSummary;
use crate::model::trace::Trace;
use crate::model::tunnel::{BfdSessions, IkeSas, IpsecSas};
use crate::runbook::QueryName;

/// The parsers a probe's answer can be read with, one per shape of output.
///
/// Readers that must pick where an answer goes before reading it (a probe
/// that failed still marks its pane stale) decide on this; the value itself
/// comes as the [`Answer`] variant of the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Parser {
    /// Junos `show route` in any encoding.
    JunosRoutes,
    /// An Azure gateway's learned or advertised routes.
    AzureRoutes,
    Trace,
    BgpSummary,
    Bfd,
    IkeSas,
    IpsecSas,
    AzureBgpPeers,
    AzurePeerings,
    AzureConnection,
}

/// A probe's answer, read with the parser its query names.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer<'a> {
    JunosRoutes(RouteList<'a>),
    AzureRoutes(GatewayRouteListResult),
    Trace(Trace),
    BgpSummary(BgpSummary),
    Bfd(BfdSessions),
    IkeSas(IkeSas),
    IpsecSas(IpsecSas),
    AzureBgpPeers(BgpPeerStatusListResult),
    AzurePeerings(ExpressRouteCircuitPeeringListResult),
    /// Boxed: a connection record is several times the size of the rest.
    AzureConnection(Box<VirtualNetworkGatewayConnection>),
}

impl Parser {
    /// The parser that reads `query`'s answer.
    pub fn of(query: QueryName) -> Parser {
        match query {
            QueryName::BgpAdvertised | QueryName::BgpReceived | QueryName::RouteTable => {
                Parser::JunosRoutes
            }
            QueryName::AzureLearnedRoutes | QueryName::AzureAdvertisedRoutes => Parser::AzureRoutes,
            QueryName::Trace => Parser::Trace,
            QueryName::BgpSummary => Parser::BgpSummary,
            QueryName::BfdSessions => Parser::Bfd,
            QueryName::IkeSas => Parser::IkeSas,
            QueryName::IpsecSas => Parser::IpsecSas,
            QueryName::AzureBgpPeers => Parser::AzureBgpPeers,
            QueryName::AzurePeering => Parser::AzurePeerings,
            QueryName::AzureConnection => Parser::AzureConnection,
        }
    }

    /// Whether the answer is a route table or route list.
    pub fn reads_routes(self) -> bool {
        matches!(self, Parser::JunosRoutes | Parser::AzureRoutes)
    }

    /// Reads `raw` into this parser's [`Answer`].
    pub fn read(self, raw: &str) -> Result<Answer<'_>, ParseError> {
        Ok(match self {
            Parser::JunosRoutes => Answer::JunosRoutes(junos_route::parse(raw)?),
            Parser::AzureRoutes => Answer::AzureRoutes(arm::read_route_list(raw)?),
            Parser::Trace => Answer::Trace(traceroute::parse(raw)?),
            Parser::BgpSummary => Answer::BgpSummary(junos_bgp_summary::parse(raw)?),
            Parser::Bfd => Answer::Bfd(junos_bfd::parse(raw)?),
            Parser::IkeSas => Answer::IkeSas(junos_ike_sa::parse(raw)?),
            Parser::IpsecSas => Answer::IpsecSas(junos_ipsec_sa::parse(raw)?),
            Parser::AzureBgpPeers => Answer::AzureBgpPeers(arm::read_bgp_peer_list(raw)?),
            Parser::AzurePeerings => Answer::AzurePeerings(arm::read_peerings(raw)?),
            Parser::AzureConnection => {
                Answer::AzureConnection(Box::new(arm::read_connection(raw)?))
            }
        })
    }
}

/// Reads a probe's raw output with the parser its query names.
pub fn read(query: QueryName, raw: &str) -> Result<Answer<'_>, ParseError> {
    Parser::of(query).read(raw)
}

/// An answer's normalized form, ready to serialize: the device records
/// borrowed from the [`Answer`] (a route table can be most of a capture's
/// size again: it is written out, never copied into a JSON tree), Azure's
/// summaries built from the text.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Normalized<'s, 'a> {
    JunosRoutes(&'s RouteList<'a>),
    Trace(&'s Trace),
    BgpSummary(&'s BgpSummary),
    Bfd(&'s BfdSessions),
    IkeSas(&'s IkeSas),
    IpsecSas(&'s IpsecSas),
    AzureRoutes(RoutesSummary),
    AzureBgpPeers(BgpPeersSummary),
    AzurePeerings(PeeringsSummary),
    AzureConnection(ConnectionSummary),
}

impl<'a> Answer<'a> {
    /// The normalized form `cutover parse` prints and the journal keeps.
    ///
    /// `raw` must be the text this answer was read from: Azure's normalized
    /// form is a summary that [`arm`] builds from the text, not from the
    /// typed record, so an Azure answer is summarized from it again.
    pub fn normalized(&self, raw: &str) -> Result<Value, ParseError> {
        serde_json::to_value(self.view(raw)?)
            .map_err(|e| ParseError::new(0, format!("cannot serialize: {e}")))
    }

    /// [`Answer::normalized`] before it becomes a JSON value, to write out
    /// as it is serialized.
    pub fn view(&self, raw: &str) -> Result<Normalized<'_, 'a>, ParseError> {
        Ok(match self {
            Answer::JunosRoutes(v) => Normalized::JunosRoutes(v),
            Answer::AzureRoutes(_) => Normalized::AzureRoutes(arm::parse_routes(raw)?),
            Answer::Trace(v) => Normalized::Trace(v),
            Answer::BgpSummary(v) => Normalized::BgpSummary(v),
            Answer::Bfd(v) => Normalized::Bfd(v),
            Answer::IkeSas(v) => Normalized::IkeSas(v),
            Answer::IpsecSas(v) => Normalized::IpsecSas(v),
            Answer::AzureBgpPeers(_) => Normalized::AzureBgpPeers(arm::parse_bgp_peers(raw)?),
            Answer::AzurePeerings(_) => Normalized::AzurePeerings(arm::parse_peerings(raw)?),
            Answer::AzureConnection(_) => Normalized::AzureConnection(arm::parse_connection(raw)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROUTES: &str = include_str!(
        "../../../../tests/fixtures/article/route/srx42-01-route-table-cust11-10.17.11.0-24.txt"
    );
    const LEARNED: &str =
        include_str!("../../../../tests/fixtures/arm/synthetic/gateway-learned-routes.json");
    const TRACE: &str = include_str!("../../../../tests/fixtures/article/traceroute/linux-er.txt");

    #[test]
    fn every_query_has_a_parser_and_route_queries_read_routes() {
        for q in QueryName::ALL {
            let p = Parser::of(q);
            assert_eq!(
                p.reads_routes(),
                q.result() == crate::runbook::ResultKind::Routes,
                "{q}"
            );
            assert_eq!(
                p == Parser::Trace,
                q.result() == crate::runbook::ResultKind::Trace,
                "{q}"
            );
        }
    }

    #[test]
    fn answers_come_typed_by_their_query() {
        assert!(matches!(
            read(QueryName::RouteTable, ROUTES),
            Ok(Answer::JunosRoutes(l)) if !l.routes.is_empty()
        ));
        assert!(matches!(
            read(QueryName::AzureLearnedRoutes, LEARNED),
            Ok(Answer::AzureRoutes(l)) if !l.value.is_empty()
        ));
        assert!(matches!(
            read(QueryName::Trace, TRACE),
            Ok(Answer::Trace(_))
        ));
        assert!(read(QueryName::AzureConnection, "{\"error\": 1").is_err());
    }

    #[test]
    fn the_normalized_form_is_the_parsers_own() {
        let json = |v: serde_json::Result<Value>| v.expect("serializes");
        let normalized =
            |q: QueryName, raw: &str| read(q, raw).and_then(|a| a.normalized(raw)).expect("reads");
        assert_eq!(
            normalized(QueryName::RouteTable, ROUTES),
            json(serde_json::to_value(
                junos_route::parse(ROUTES).expect("reads")
            ))
        );
        assert_eq!(
            normalized(QueryName::AzureLearnedRoutes, LEARNED),
            json(serde_json::to_value(
                arm::parse_routes(LEARNED).expect("reads")
            ))
        );
        assert_eq!(
            normalized(QueryName::Trace, TRACE),
            json(serde_json::to_value(
                traceroute::parse(TRACE).expect("reads")
            ))
        );
    }
}
