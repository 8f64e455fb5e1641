//! Before/after: route tables and traceroutes over the session.
//!
//! Every probe's raw output is in the journal; the report reads it again
//! rather than trusting any summary. Captures are grouped per device and
//! exact command (a table filtered to a prefix and the whole table are
//! different views). For each group: the first capture against the last
//! (the net effect of the session: after a failback it should be nothing),
//! and each change between two consecutive differing captures (where the
//! path moved to the VPN, and where it came back).
//!
//! Route outputs are read exactly as the console reads them, by folding
//! the probe into a [`SessionState`]: the choice of parser per query (Junos
//! text, XML or JSON, Azure route lists) and the conversion to a table live
//! there, and a report that read tables differently from the console would
//! contradict the screen the operator saw. An output identical to the
//! previous one of its group is not read again (the monitor repeats the
//! same command every few seconds).

use std::sync::Arc;

use super::model::{CaptureRef, RouteChange, RouteSource, TraceChange, TracePoint, TraceSource};
use cutover_core::model::diff::{diff_tables, diff_traces};
use cutover_core::model::path::PathClassifier;
use cutover_core::model::table::RouteTable;
use cutover_core::model::trace::Trace;
use cutover_core::parse::query::{self, Answer, Parser};
use cutover_core::runbook::QueryName;
use cutover_core::session::Event;
use cutover_core::session::state::SessionState;
use cutover_journal::Record;
use cutover_journal::line::format_ts;
use cutover_journal::recording::Recording;

/// One probe output in the journal.
struct Capture<'a> {
    at: CaptureRef,
    raw: &'a str,
}

/// The probes of one device and command, in journal order.
struct Group<'a> {
    device: &'a str,
    /// The query as journaled.
    query: &'a str,
    name: QueryName,
    command: &'a str,
    captures: Vec<Capture<'a>>,
    /// Probes that gave no output.
    failures: Vec<String>,
}

/// The probes whose query is read with a parser `wanted` accepts.
fn groups<'a>(records: &'a [Record], wanted: impl Fn(Parser) -> bool) -> Vec<Group<'a>> {
    let mut out: Vec<Group<'a>> = Vec::new();
    for r in records {
        let Some(Event::Probe {
            step,
            device,
            query,
            command,
            raw,
            error,
            ..
        }) = r.event()
        else {
            continue;
        };
        // A query this version does not know has no history here; its raw
        // output is still in the journal.
        let Some(name) = QueryName::parse(query) else {
            continue;
        };
        if !wanted(Parser::of(name)) {
            continue;
        }
        let i = match out
            .iter()
            .position(|g| g.device == device && g.command == command)
        {
            Some(i) => i,
            None => {
                out.push(Group {
                    device,
                    query,
                    name,
                    command,
                    captures: Vec::new(),
                    failures: Vec::new(),
                });
                out.len() - 1
            }
        };
        let at = CaptureRef {
            seq: r.seq,
            at: format_ts(r.ts),
            step: step.clone(),
        };
        match raw {
            Some(raw) => out[i].captures.push(Capture { at, raw }),
            None => out[i].failures.push(format!(
                "seq {}: {}",
                at.seq,
                error.as_deref().unwrap_or("no output recorded")
            )),
        }
    }
    out
}

/// A table output read as the console reads it.
fn read_table(
    classifier: &Arc<PathClassifier>,
    g: &Group<'_>,
    raw: &str,
) -> Result<(String, Arc<RouteTable>), String> {
    let mut s = SessionState::with_classifier(Arc::clone(classifier));
    s.apply(&Event::Probe {
        step: String::new(),
        device: g.device.to_string(),
        query: g.query.to_string(),
        command: g.command.to_string(),
        raw: Some(raw.to_string()),
        error: None,
        parsed: None,
        elapsed_ms: 0,
        ids: None,
    });
    if let Some(t) = s.live.tables.first() {
        return Ok((t.name.clone(), Arc::clone(&t.latest)));
    }
    Err(s
        .steps
        .iter()
        .flat_map(|st| &st.probes)
        .find_map(|p| p.parse_error.clone())
        .unwrap_or_else(|| "the output does not read as a route table".into()))
}

fn route_source(rec: &Recording, g: &Group<'_>) -> Option<RouteSource> {
    let mut errors = g.failures.clone();
    // (capture, table) for each capture that differs from the one before.
    let mut read: Vec<(&CaptureRef, Arc<RouteTable>)> = Vec::new();
    let mut name = String::new();
    let mut prev_raw: Option<&str> = None;
    let mut last_read: Option<&CaptureRef> = None;
    for c in &g.captures {
        if prev_raw == Some(c.raw) {
            last_read = Some(&c.at);
            continue;
        }
        prev_raw = Some(c.raw);
        match read_table(&rec.classifier, g, c.raw) {
            Ok((n, table)) => {
                name = n;
                read.push((&c.at, table));
                last_read = Some(&c.at);
            }
            Err(e) => errors.push(format!("seq {}: {e}", c.at.seq)),
        }
    }
    let (first_at, first) = read.first()?;
    let (_, last) = read.last()?;
    let last_at = last_read.unwrap_or(first_at);
    let changes = read
        .windows(2)
        .filter_map(|w| {
            let diff = diff_tables(&w[0].1, &w[1].1, &rec.classifier);
            (!diff.is_empty()).then(|| RouteChange {
                from: w[0].0.clone(),
                to: w[1].0.clone(),
                diff,
            })
        })
        .collect();
    Some(RouteSource {
        device: g.device.to_string(),
        query: g.query.to_string(),
        command: g.command.to_string(),
        table: name,
        captures: u32::try_from(g.captures.len()).unwrap_or(u32::MAX),
        first: (*first_at).clone(),
        last: last_at.clone(),
        net: diff_tables(first, last, &rec.classifier),
        changes,
        errors,
    })
}

fn hop_addresses(t: &Trace) -> Vec<String> {
    t.hops
        .iter()
        .flat_map(|h| h.addresses.iter().cloned())
        .collect()
}

fn trace_source(rec: &Recording, g: &Group<'_>) -> Option<TraceSource> {
    let c = &rec.classifier;
    let mut errors = g.failures.clone();
    let mut read: Vec<(&CaptureRef, Trace)> = Vec::new();
    let mut prev_raw: Option<&str> = None;
    for cap in &g.captures {
        if prev_raw == Some(cap.raw) {
            continue;
        }
        prev_raw = Some(cap.raw);
        match query::read(g.name, cap.raw) {
            Ok(Answer::Trace(t)) => read.push((&cap.at, t)),
            Ok(_) => errors.push(format!(
                "seq {}: the output does not read as a traceroute",
                cap.at.seq
            )),
            Err(e) => errors.push(format!("seq {}: {e}", cap.at.seq)),
        }
    }
    let (_, first) = read.first()?;
    let (_, last) = read.last()?;
    let mut path: Vec<TracePoint> = Vec::new();
    for (at, t) in &read {
        let class = c.explain_trace(t);
        if path.last().is_none_or(|p| p.kind != class.kind) {
            path.push(TracePoint {
                capture: (*at).clone(),
                kind: class.kind,
                reached: class.reached,
                hops: hop_addresses(t),
            });
        }
    }
    let changes = read
        .windows(2)
        .filter_map(|w| {
            let diff = diff_traces(&w[0].1, &w[1].1, c);
            let changed = diff.path_changed() || !diff.lost.is_empty() || !diff.gained.is_empty();
            changed.then(|| TraceChange {
                from: w[0].0.clone(),
                to: w[1].0.clone(),
                diff,
            })
        })
        .collect();
    Some(TraceSource {
        device: g.device.to_string(),
        command: g.command.to_string(),
        target: last.target.clone().or_else(|| first.target.clone()),
        captures: u32::try_from(g.captures.len()).unwrap_or(u32::MAX),
        path,
        net: diff_traces(first, last, c),
        changes,
        errors,
    })
}

/// Route and trace histories of the session.
pub fn collect(rec: &Recording) -> (Vec<RouteSource>, Vec<TraceSource>) {
    let routes = groups(&rec.records, Parser::reads_routes)
        .iter()
        .filter_map(|g| route_source(rec, g))
        .collect();
    let traces = groups(&rec.records, |p| p == Parser::Trace)
        .iter()
        .filter_map(|g| trace_source(rec, g))
        .collect();
    (routes, traces)
}
