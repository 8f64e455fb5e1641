//! The live panes: route tables, traceroutes, BGP, BFD, IKE and IPsec, and
//! Azure's peers, peerings and connections, each folded from the probes
//! that answer it.
//!
//! Which pane a probe feeds, and which parser reads it, follow from its
//! query through [`crate::parse::query`], the same mapping the engine
//! judges with. A failed probe or an unreadable output marks the pane
//! stale and keeps its last good value.

use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;

use super::SessionState;
use crate::model::Prefix;
use crate::model::azure::{
    BgpPeerStatusListResult, ExpressRouteCircuitPeeringListResult, VirtualNetworkGatewayConnection,
};
use crate::model::bgp::BgpSummary;
use crate::model::diff::{TableDiff, TraceDiff, diff_traces};
use crate::model::path::TraceClass;
use crate::model::table::RouteTable;
use crate::model::trace::Trace;
use crate::model::tunnel::{BfdSessions, IkeSas, IpsecSas};
use crate::parse::query::{self, Answer, Parser};
use crate::runbook::QueryName;

/// The latest answer of one source (a device, or Azure) to one query.
#[derive(Debug, Clone, PartialEq)]
pub struct Latest<T> {
    pub device: String,
    pub command: String,
    /// The latest value that could be read; kept when a later probe fails
    /// so the pane shows the last known state, marked stale.
    pub value: Option<Arc<T>>,
    /// Why the latest probe gave no value (probe error or parse error).
    pub error: Option<String>,
    pub updates: u32,
    /// When `value` was last read or answered again unchanged.
    pub seen_at: Option<OffsetDateTime>,
}

impl<T> Latest<T> {
    pub fn is_stale(&self) -> bool {
        self.error.is_some()
    }
}

/// How old a pane's data is, against the live monitor's period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Age {
    /// Whole seconds since the data was last read.
    pub secs: u64,
    /// Older than two polling periods: a poll was missed or hangs, and
    /// the pane may no longer show what is true.
    pub stale: bool,
}

impl Age {
    /// The age at `now` of data read at `seen_at`; `None` when either time
    /// is unknown. Without a period nothing is called stale.
    pub fn of(
        seen_at: Option<OffsetDateTime>,
        now: Option<OffsetDateTime>,
        period: Option<Duration>,
    ) -> Option<Age> {
        let (seen, now) = (seen_at?, now?);
        let age = (now - seen).max(time::Duration::ZERO);
        let age = Duration::try_from(age).unwrap_or_default();
        Some(Age {
            secs: age.as_secs(),
            stale: period.is_some_and(|p| age > p.saturating_mul(2)),
        })
    }

    /// `4 s ago`, `2 min ago`, `1 h ago`.
    pub fn text(&self) -> String {
        match self.secs {
            s if s < 120 => format!("{s} s ago"),
            s if s < 7200 => format!("{} min ago", s / 60),
            s => format!("{} h ago", s / 3600),
        }
    }
}

/// A route table as first seen in the session and as last seen, with what
/// changed in between. One per device and exact command (a table filtered
/// to a prefix and the same table unfiltered are different views).
#[derive(Debug, Clone)]
pub struct TableView {
    pub device: String,
    pub query: String,
    pub command: String,
    /// The table's name (`Cust11.inet.0`), or what an Azure list is.
    pub name: String,
    /// The first capture: the session-start baseline.
    pub baseline: Arc<RouteTable>,
    pub latest: Arc<RouteTable>,
    /// Baseline to latest.
    pub diff: Arc<TableDiff>,
    /// Every prefix the diff touches, sorted, for per-row lookups.
    pub changed: Arc<[Prefix]>,
    pub updates: u32,
    /// `applied` when it was last updated, to tell the freshest source.
    pub updated_at: u64,
    /// When `latest` was last read or answered again unchanged.
    pub seen_at: Option<OffsetDateTime>,
    /// Why the latest probe gave no table; the latest table is the last
    /// good one.
    pub error: Option<String>,
    pub(super) last_raw: Option<Arc<str>>,
}

impl TableView {
    pub fn label(&self) -> String {
        format!("{} · {}", self.device, self.command)
    }

    /// Whether the paths of `prefix` changed since the session started.
    pub fn is_changed(&self, prefix: &Prefix) -> bool {
        self.changed.binary_search(prefix).is_ok()
    }
}

/// A traceroute's history: the first, the latest, and the pair around the
/// most recent change of path kind.
#[derive(Debug, Clone)]
pub struct TraceView {
    pub device: String,
    pub command: String,
    pub first: Arc<Trace>,
    pub first_class: TraceClass,
    pub latest: Arc<Trace>,
    pub latest_class: TraceClass,
    /// The last trace before the path kind last changed, and the first
    /// after it.
    pub change: Option<TraceChange>,
    /// How many times the path kind changed.
    pub kind_changes: u32,
    /// What [`TraceView::before`] to [`TraceView::latest`] changed.
    pub compare: TraceDiff,
    pub updates: u32,
    /// `applied` when it was last updated, to tell the freshest source.
    pub updated_at: u64,
    /// When `latest` was last read or answered again unchanged.
    pub seen_at: Option<OffsetDateTime>,
    pub error: Option<String>,
}

#[derive(Debug, Clone)]
pub struct TraceChange {
    pub before: Arc<Trace>,
    pub before_class: TraceClass,
    pub after: Arc<Trace>,
    pub after_class: TraceClass,
}

impl TraceView {
    /// What the latest trace is compared with: the last trace before the
    /// most recent change of path, else the first of the session.
    pub fn before(&self) -> (&Arc<Trace>, &TraceClass) {
        match &self.change {
            Some(c) => (&c.before, &c.before_class),
            None => (&self.first, &self.first_class),
        }
    }

    pub fn target(&self) -> Option<&str> {
        self.latest.target.as_deref()
    }
}

/// Everything the live panes draw.
#[derive(Debug, Clone, Default)]
pub struct Live {
    pub tables: Vec<TableView>,
    pub traces: Vec<TraceView>,
    pub bgp: Vec<Latest<BgpSummary>>,
    pub bfd: Vec<Latest<BfdSessions>>,
    pub ike: Vec<Latest<IkeSas>>,
    pub ipsec: Vec<Latest<IpsecSas>>,
    pub azure_bgp: Vec<Latest<BgpPeerStatusListResult>>,
    pub azure_connection: Vec<Latest<VirtualNetworkGatewayConnection>>,
    pub azure_peering: Vec<Latest<ExpressRouteCircuitPeeringListResult>>,
}

impl SessionState {
    /// Updates the live panes from one probe; returns why its raw output
    /// could not be read, if it could not.
    pub(super) fn live_probe(
        &mut self,
        device: &str,
        query: &str,
        command: &str,
        raw: Option<&Arc<str>>,
        error: &Option<String>,
    ) -> Option<String> {
        // A query this console has no pane for: the detail pane still
        // shows its command and raw output.
        let query = QueryName::parse(query)?;
        let parser = Parser::of(query);
        let Some(raw) = raw else {
            let failure = error
                .clone()
                .unwrap_or_else(|| "no output recorded".to_string());
            self.live_error(parser, device, command, failure);
            return None;
        };
        if parser.reads_routes() && self.same_table_again(device, command, raw) {
            return None;
        }
        let read = query::read(query, raw)
            .map_err(|e| e.to_string())
            .and_then(|answer| self.live_answer(query, device, command, raw, answer));
        match read {
            Ok(()) => None,
            Err(e) => {
                self.live_error(parser, device, command, e.clone());
                Some(e)
            }
        }
    }

    /// Puts a read answer in its pane; a route answer that does not make a
    /// table is an error like an unreadable output.
    fn live_answer(
        &mut self,
        query: QueryName,
        device: &str,
        command: &str,
        raw: &Arc<str>,
        answer: Answer<'_>,
    ) -> Result<(), String> {
        let now = self.clock;
        let live = &mut self.live;
        match answer {
            Answer::JunosRoutes(list) => {
                let table = super::route_table::junos_table(&list)?;
                self.live_table(query, device, command, raw, table);
            }
            Answer::AzureRoutes(list) => {
                let table = super::route_table::azure_table(query, &list)?;
                self.live_table(query, device, command, raw, table);
            }
            Answer::Trace(trace) => self.live_trace(device, command, trace),
            Answer::BgpSummary(v) => set_latest(&mut live.bgp, device, command, Ok(v), now),
            Answer::Bfd(v) => set_latest(&mut live.bfd, device, command, Ok(v), now),
            Answer::IkeSas(v) => set_latest(&mut live.ike, device, command, Ok(v), now),
            Answer::IpsecSas(v) => set_latest(&mut live.ipsec, device, command, Ok(v), now),
            Answer::AzureBgpPeers(v) => {
                set_latest(&mut live.azure_bgp, device, command, Ok(v), now)
            }
            Answer::AzurePeerings(v) => {
                set_latest(&mut live.azure_peering, device, command, Ok(v), now);
            }
            Answer::AzureConnection(v) => {
                set_latest(&mut live.azure_connection, device, command, Ok(*v), now);
            }
        }
        Ok(())
    }

    /// Marks the pane of `parser`'s answers stale with `error`. A table or
    /// a trace not seen yet gets no pane until it reads; a state list
    /// shows the source with its error from the first probe.
    fn live_error(&mut self, parser: Parser, device: &str, command: &str, error: String) {
        let (at, now) = (self.applied, self.clock);
        let live = &mut self.live;
        match parser {
            Parser::JunosRoutes | Parser::AzureRoutes => {
                if let Some(t) = live
                    .tables
                    .iter_mut()
                    .find(|t| t.device == device && t.command == command)
                {
                    t.error = Some(error);
                    t.updates = t.updates.saturating_add(1);
                    t.updated_at = at;
                }
            }
            Parser::Trace => {
                if let Some(t) = live
                    .traces
                    .iter_mut()
                    .find(|t| t.device == device && t.command == command)
                {
                    t.error = Some(error);
                    t.updates = t.updates.saturating_add(1);
                    t.updated_at = at;
                }
            }
            Parser::BgpSummary => set_latest(&mut live.bgp, device, command, Err(error), now),
            Parser::Bfd => set_latest(&mut live.bfd, device, command, Err(error), now),
            Parser::IkeSas => set_latest(&mut live.ike, device, command, Err(error), now),
            Parser::IpsecSas => set_latest(&mut live.ipsec, device, command, Err(error), now),
            Parser::AzureBgpPeers => {
                set_latest(&mut live.azure_bgp, device, command, Err(error), now)
            }
            Parser::AzurePeerings => {
                set_latest(&mut live.azure_peering, device, command, Err(error), now);
            }
            Parser::AzureConnection => {
                set_latest(&mut live.azure_connection, device, command, Err(error), now);
            }
        }
    }

    fn live_trace(&mut self, device: &str, command: &str, trace: Trace) {
        let at = self.applied;
        let classifier = &self.classifier;
        let class = classifier.explain_trace(&trace);
        let trace = Arc::new(trace);
        let slot = self
            .live
            .traces
            .iter_mut()
            .find(|t| t.device == device && t.command == command);
        let Some(t) = slot else {
            let compare = diff_traces(&trace, &trace, classifier);
            self.live.traces.push(TraceView {
                device: device.to_string(),
                command: command.to_string(),
                first: Arc::clone(&trace),
                first_class: class.clone(),
                latest: trace,
                latest_class: class,
                change: None,
                kind_changes: 0,
                compare,
                updates: 1,
                updated_at: at,
                seen_at: self.clock,
                error: None,
            });
            return;
        };
        if class.kind != t.latest_class.kind {
            t.change = Some(TraceChange {
                before: Arc::clone(&t.latest),
                before_class: t.latest_class.clone(),
                after: Arc::clone(&trace),
                after_class: class.clone(),
            });
            t.kind_changes = t.kind_changes.saturating_add(1);
        }
        t.latest = trace;
        t.latest_class = class;
        let (before, _) = t.before();
        t.compare = diff_traces(before, &t.latest, classifier);
        t.updates = t.updates.saturating_add(1);
        t.updated_at = at;
        t.seen_at = self.clock;
        t.error = None;
    }

    /// A probe answered as its command's last probe did: the pane showing
    /// that answer is current again (unless that answer was a failure).
    pub(super) fn live_repeated(&mut self, device: &str, query: &str, command: &str) {
        let Some(query) = QueryName::parse(query) else {
            return;
        };
        let (at, now) = (self.applied, self.clock);
        let live = &mut self.live;
        let seen = |error: &Option<String>, seen_at: &mut Option<OffsetDateTime>| {
            if error.is_none() {
                *seen_at = now;
            }
        };
        match Parser::of(query) {
            Parser::JunosRoutes | Parser::AzureRoutes => {
                if let Some(t) = live
                    .tables
                    .iter_mut()
                    .find(|t| t.device == device && t.command == command)
                {
                    seen(&t.error, &mut t.seen_at);
                    t.updates = t.updates.saturating_add(1);
                    t.updated_at = at;
                }
            }
            Parser::Trace => {
                if let Some(t) = live
                    .traces
                    .iter_mut()
                    .find(|t| t.device == device && t.command == command)
                {
                    seen(&t.error, &mut t.seen_at);
                    t.updates = t.updates.saturating_add(1);
                    t.updated_at = at;
                }
            }
            Parser::BgpSummary => repeat_latest(&mut live.bgp, device, now),
            Parser::Bfd => repeat_latest(&mut live.bfd, device, now),
            Parser::IkeSas => repeat_latest(&mut live.ike, device, now),
            Parser::IpsecSas => repeat_latest(&mut live.ipsec, device, now),
            Parser::AzureBgpPeers => repeat_latest(&mut live.azure_bgp, device, now),
            Parser::AzurePeerings => repeat_latest(&mut live.azure_peering, device, now),
            Parser::AzureConnection => repeat_latest(&mut live.azure_connection, device, now),
        }
    }
}

fn repeat_latest<T>(list: &mut [Latest<T>], device: &str, now: Option<OffsetDateTime>) {
    if let Some(l) = list.iter_mut().find(|l| l.device == device) {
        l.updates = l.updates.saturating_add(1);
        if l.error.is_none() {
            l.seen_at = now;
        }
    }
}

/// Replaces the latest value of `device` in `list` with `result`: a value,
/// or why there is none (the last value is then kept).
fn set_latest<T>(
    list: &mut Vec<Latest<T>>,
    device: &str,
    command: &str,
    result: Result<T, String>,
    now: Option<OffsetDateTime>,
) {
    let slot = match list.iter().position(|l| l.device == device) {
        Some(i) => i,
        None => {
            list.push(Latest {
                device: device.to_string(),
                command: command.to_string(),
                value: None,
                error: None,
                updates: 0,
                seen_at: None,
            });
            list.len() - 1
        }
    };
    if let Some(l) = list.get_mut(slot) {
        l.command = command.to_string();
        l.updates = l.updates.saturating_add(1);
        match result {
            Ok(v) => {
                l.value = Some(Arc::new(v));
                l.error = None;
                l.seen_at = now;
            }
            Err(e) => l.error = Some(e),
        }
    }
}
