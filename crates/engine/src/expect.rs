//! Judging a probe's answer: the raw output is parsed with `cutover_core::parse`,
//! turned into the forms `runbook::eval` reads (route paths, state items,
//! a trace), and every expectation clause is evaluated, with the evidence
//! kept.

use std::borrow::Cow;
use std::collections::BTreeSet;

use serde_json::Value;

use super::probes::Capture;
use cutover_core::model::azure::{GatewayRouteListResult, Origin};
use cutover_core::model::{ParsedRoute, Trace};
use cutover_core::parse::ParseError;
use cutover_core::parse::query::{self, Answer};
use cutover_core::runbook::eval::{self, StateItem};
use cutover_core::runbook::model::PathRules;
use cutover_core::runbook::{Clause, Expect, QueryName};

/// One clause's verdict.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ClauseResult {
    /// The clause as the operator reads it.
    pub clause: String,
    pub passed: bool,
    /// What was seen.
    pub evidence: String,
}

/// A probe's answer, judged.
#[derive(Debug, Clone, PartialEq)]
pub struct Judged {
    /// The normalized form the clauses were evaluated on (what `cutover
    /// parse` prints), or a count when the output is too large to repeat
    /// in the journal beside its raw text.
    pub parsed: Option<Value>,
    /// Why the answer could not be judged (no output, or unreadable).
    pub error: Option<String>,
    pub clauses: Vec<ClauseResult>,
}

impl Judged {
    pub fn passed(&self) -> bool {
        self.error.is_none() && self.clauses.iter().all(|c| c.passed)
    }
}

/// Above this, the parsed form is summarized in the probe event: the raw
/// text is already there, and the console re-parses it.
const PARSED_INLINE_MAX: usize = 256 * 1024;

/// An item with a state, owned (the parsed models own their strings).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Item {
    peer: Option<String>,
    state: Option<String>,
}

/// What the clauses are evaluated on.
enum Subject<'a> {
    Routes(Vec<ParsedRoute<'a>>),
    States(Vec<Item>),
    Trace(Trace),
}

/// Parses the capture and evaluates `expects` on it.
pub fn judge(cap: &Capture, expects: &[Expect], rules: &PathRules) -> Judged {
    let unanswered = |why: String| Judged {
        parsed: None,
        clauses: expects
            .iter()
            .map(|e| ClauseResult {
                clause: e.clause.to_string(),
                passed: false,
                evidence: why.clone(),
            })
            .collect(),
        error: Some(why),
    };
    if let Some(e) = &cap.error {
        return unanswered(format!("no answer: {e}"));
    }
    let Some(raw) = cap.raw.as_deref() else {
        return unanswered("no answer".into());
    };
    let (subject, parsed) = match read(cap, raw) {
        Ok(x) => x,
        Err(e) => return unanswered(format!("the output could not be read: {e}")),
    };
    let clauses = expects
        .iter()
        .map(|e| {
            let v = match (&e.clause, &subject) {
                (Clause::Route(r), Subject::Routes(routes)) => {
                    eval::eval_routes_with(r, routes, rules)
                }
                (Clause::State(s), Subject::States(items)) => {
                    let items: Vec<StateItem<'_>> = items
                        .iter()
                        .map(|i| StateItem {
                            peer: i.peer.as_deref(),
                            state: i.state.as_deref(),
                        })
                        .collect();
                    eval::eval_states(s, &items)
                }
                (Clause::Trace(t), Subject::Trace(trace)) => eval::eval_trace_with(t, trace, rules),
                _ => eval::Verdict {
                    passed: false,
                    detail: format!("this clause does not apply to `{}`", cap.query),
                },
            };
            ClauseResult {
                clause: e.clause.to_string(),
                passed: v.passed,
                evidence: v.detail,
            }
        })
        .collect();
    Judged {
        parsed: Some(parsed),
        error: None,
        clauses,
    }
}

fn summarized(raw: &str, what: &str, n: usize) -> Option<Value> {
    (raw.len() > PARSED_INLINE_MAX).then(|| serde_json::json!({ "summarized": true, what: n }))
}

/// Reads the capture with its query's parser; returns what the clauses
/// read and the normalized form for the journal.
fn read<'a>(cap: &'a Capture, raw: &'a str) -> Result<(Subject<'a>, Value), ParseError> {
    let answer = match (cap.query, &cap.trace) {
        // The prober already read the trace (it may have run it itself).
        (QueryName::Trace, Some(t)) => Answer::Trace(t.clone()),
        (q, _) => query::read(q, raw)?,
    };
    let parsed = match &answer {
        // A summary keeps the warnings: they are what the console marks.
        Answer::JunosRoutes(list) => summarized(raw, "routes", list.routes.len()).map(|mut v| {
            if !list.warnings.is_empty() {
                v["warnings"] = serde_json::json!(list.warnings);
            }
            v
        }),
        Answer::AzureRoutes(list) => summarized(raw, "routes", list.value.len()),
        _ => None,
    }
    .unwrap_or_else(|| {
        answer
            .normalized(raw)
            .unwrap_or_else(|e| Value::String(e.to_string()))
    });
    Ok((subject(answer), parsed))
}

/// The typed answer in the forms `runbook::eval` reads.
fn subject(answer: Answer<'_>) -> Subject<'_> {
    let item = |peer: Option<&str>, state: Option<&str>| Item {
        peer: peer.map(str::to_string),
        state: state.map(str::to_string),
    };
    match answer {
        Answer::JunosRoutes(list) => Subject::Routes(list.routes),
        Answer::AzureRoutes(list) => Subject::Routes(azure_routes(&list)),
        Answer::Trace(trace) => Subject::Trace(trace),
        Answer::BgpSummary(s) => Subject::States(
            s.peers
                .iter()
                // `Establ` reads as `established`.
                .map(|p| item(Some(&p.address), Some(p.state.as_str())))
                .collect(),
        ),
        Answer::Bfd(s) => Subject::States(
            s.sessions
                .iter()
                .map(|b| item(Some(&b.address), Some(b.state.as_str())))
                .collect(),
        ),
        Answer::IkeSas(s) => Subject::States(
            s.sas
                .iter()
                .map(|sa| item(Some(&sa.remote_address), Some(sa.state.as_str())))
                .collect(),
        ),
        Answer::IpsecSas(s) => {
            // One item per tunnel, not per SA: a tunnel has an inbound and
            // an outbound SA, and a cluster may list it under a node each.
            // A listed SA is an active one; VPN monitoring, when shown,
            // says more.
            let mut seen = BTreeSet::new();
            Subject::States(
                s.sas
                    .iter()
                    .filter(|sa| seen.insert(sa.tunnel_id))
                    .map(|sa| {
                        let state = sa.monitoring.as_ref().map_or("active", |m| m.as_str());
                        item(sa.gateway.as_deref(), Some(state))
                    })
                    .collect(),
            )
        }
        Answer::AzureBgpPeers(s) => Subject::States(
            s.value
                .iter()
                .map(|p| item(p.neighbor.as_deref(), p.state.as_ref().map(|s| s.as_str())))
                .collect(),
        ),
        Answer::AzurePeerings(s) => Subject::States(
            s.value
                .iter()
                .map(|p| item(p.name.as_deref(), p.state().map(|s| s.as_str())))
                .collect(),
        ),
        Answer::AzureConnection(c) => {
            let state = c.properties.connection_status.as_ref().map(|s| s.as_str());
            Subject::States(vec![item(c.name.as_deref(), state)])
        }
    }
}

/// Azure's gateway routes in the route-path form the clauses read.
///
/// Azure's list marks no selected path, so no path is `active`; the
/// gateway instance (`localAddress`) stands in for the table, and BGP
/// origins (`EBgp`, `IBgp`) read as protocol `bgp`, the others (`Network`
/// for what the gateway originates) in lower case.
pub fn azure_routes(list: &GatewayRouteListResult) -> Vec<ParsedRoute<'static>> {
    list.value
        .iter()
        .filter_map(|r| {
            let prefix = r.network.clone()?;
            Some(ParsedRoute {
                prefix: Cow::Owned(prefix),
                protocol: r.origin.as_ref().map(|o| match o {
                    Origin::EBgp | Origin::IBgp => Cow::Borrowed("bgp"),
                    other => Cow::Owned(other.as_str().to_ascii_lowercase()),
                }),
                active: false,
                preference: None,
                local_pref: None,
                as_path: r.as_path_asns(),
                next_hops: Some(
                    r.next_hop
                        .iter()
                        .filter(|h| !h.trim().is_empty())
                        .map(|h| Cow::Owned(h.clone()))
                        .collect(),
                ),
                table: r.local_address.clone().map(Cow::Owned),
                ..ParsedRoute::default()
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use super::*;
    use cutover_core::parse;
    use cutover_core::runbook::{Runbook, StepBody};

    fn fixture(rel: &str) -> String {
        std::fs::read_to_string(
            Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
                .join("tests/fixtures")
                .join(rel),
        )
        .expect("fixture")
    }

    fn runbook() -> Runbook {
        Runbook::load(
            &Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
                .join("runbooks/er-vpn-failover.toml"),
        )
        .expect("valid")
    }

    fn judge_step(rb: &Runbook, id: &str, raw: &str) -> Judged {
        let Some(StepBody::Check(c)) = rb.step(id).map(|s| &s.body) else {
            panic!("{id} is a check");
        };
        let cap = Capture {
            device: c.probe.role.clone(),
            query: c.probe.query.name(),
            command: c.probe.command.clone(),
            raw: Some(raw.to_string()),
            error: None,
            trace: None,
            ids: None,
            elapsed: Duration::ZERO,
        };
        judge(&cap, &c.expect, &rb.paths.rules())
    }

    fn assert_passes(j: &Judged) {
        assert!(j.passed(), "{:?} {:#?}", j.error, j.clauses);
    }

    #[test]
    fn the_articles_outputs_pass_their_steps() {
        let rb = runbook();
        for (id, rel) in [
            (
                "fw-prefers-er-for-hub",
                "article/route/srx42-01-route-table-cust11-10.17.11.0-24.txt",
            ),
            (
                "ce1-advertises-onprem",
                "article/route/mx03-01-advertising-protocol-bgp-192.168.11.18.txt",
            ),
            (
                "fw-bgp-to-vpn-gateway",
                "article/sessions/bgp-summary-srx.txt",
            ),
            ("fw-ike-sas-up", "article/sessions/ike-sa-srx.txt"),
            ("fw-ipsec-sas-up", "article/sessions/ipsec-sa-srx.txt"),
            ("ce1-bfd-up", "article/sessions/bfd-session-ce1.txt"),
            ("trace-before-failover", "article/traceroute/linux-er.txt"),
            (
                "azure-learned-onprem",
                "arm/synthetic/gateway-learned-routes.json",
            ),
            (
                "vpn-connection-connected",
                "arm/synthetic/connection-get-connected.json",
            ),
        ] {
            let j = judge_step(&rb, id, &fixture(rel));
            assert_passes(&j);
            assert!(j.parsed.is_some(), "{id}");
        }
    }

    #[test]
    fn junos_establ_reads_as_established() {
        let rb = runbook();
        let j = judge_step(
            &rb,
            "fw-bgp-to-vpn-gateway",
            &fixture("article/sessions/bgp-summary-srx.txt"),
        );
        assert_eq!(j.clauses[0].evidence, "peer 10.17.11.76 Established");
        let down = judge_step(
            &rb,
            "fw-bgp-to-vpn-gateway",
            &fixture("article/sessions/bgp-summary-srx-vpn-down.txt"),
        );
        assert!(!down.passed());
    }

    #[test]
    fn a_tunnel_counts_once_whatever_its_sas() {
        let rb = runbook();
        let j = judge_step(
            &rb,
            "fw-ipsec-sas-up",
            &fixture("article/sessions/ipsec-sa-srx.txt"),
        );
        assert_eq!(j.clauses[0].evidence, "2 items found");
    }

    #[test]
    fn azure_bgp_peers_one_connecting_fails_with_evidence() {
        let rb = runbook();
        let j = judge_step(
            &rb,
            "azure-bgp-peers-connected",
            &fixture("arm/synthetic/gateway-bgp-peer-status.json"),
        );
        assert!(!j.passed());
        assert_eq!(
            j.clauses[0].evidence,
            "1 peer 192.168.11.88 Connected, expected at least 2 (seen: Connected, Connecting)"
        );
    }

    #[test]
    fn azure_routes_keep_next_hop_as_path_and_instance() {
        let list =
            parse::arm::read_route_list(&fixture("arm/synthetic/gateway-learned-routes.json"))
                .expect("reads");
        let routes = azure_routes(&list);
        let onprem: Vec<_> = routes
            .iter()
            .filter(|r| r.prefix == "10.1.11.0/25")
            .collect();
        assert!(!onprem.is_empty());
        assert_eq!(
            onprem[0].next_hops.as_deref(),
            Some(&[Cow::from("192.168.11.88")][..])
        );
        assert_eq!(onprem[0].as_path.as_deref(), Some(&[65020][..]));
        assert_eq!(onprem[0].protocol.as_deref(), Some("bgp"));
        assert_eq!(onprem[0].table.as_deref(), Some("10.17.11.76"));
        // The gateway's own prefixes have no next hop at all.
        let hub = routes
            .iter()
            .find(|r| r.prefix == "10.17.11.0/25")
            .expect("hub");
        assert_eq!(hub.next_hops.as_deref(), Some(&[][..]));
        assert_eq!(hub.protocol.as_deref(), Some("network"));
    }

    #[test]
    fn unreadable_or_missing_answers_fail_every_clause_with_the_reason() {
        let rb = runbook();
        let j = judge_step(&rb, "fw-prefers-er-for-hub", "{ not json ");
        // Text that is no route output parses as no routes (the raw is the
        // evidence); the clauses then fail on absence.
        assert!(!j.passed());
        let Some(StepBody::Check(c)) = rb.step("vpn-connection-connected").map(|s| &s.body) else {
            panic!("check");
        };
        let cap = Capture {
            device: "azure".into(),
            query: c.probe.query.name(),
            command: c.probe.command.clone(),
            raw: None,
            error: Some("throttled: too many requests".into()),
            trace: None,
            ids: None,
            elapsed: Duration::ZERO,
        };
        let j = judge(&cap, &c.expect, &rb.paths.rules());
        assert_eq!(
            j.error.as_deref(),
            Some("no answer: throttled: too many requests")
        );
        assert_eq!(j.clauses.len(), 1);
        assert!(!j.clauses[0].passed);
        let cap = Capture {
            raw: Some("{\"error\": 1".into()),
            error: None,
            ..cap
        };
        let j = judge(&cap, &c.expect, &rb.paths.rules());
        assert!(
            j.error
                .as_deref()
                .is_some_and(|e| e.starts_with("the output could not be read")),
            "{:?}",
            j.error
        );
    }
}
