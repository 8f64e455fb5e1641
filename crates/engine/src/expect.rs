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
use cutover_core::parse::{self, ParseError};
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

enum Answer<'a> {
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
    let (answer, parsed) = match read(cap, raw) {
        Ok(x) => x,
        Err(e) => return unanswered(format!("the output could not be read: {e}")),
    };
    let clauses = expects
        .iter()
        .map(|e| {
            let v = match (&e.clause, &answer) {
                (Clause::Route(r), Answer::Routes(routes)) => {
                    eval::eval_routes_with(r, routes, rules)
                }
                (Clause::State(s), Answer::States(items)) => {
                    let items: Vec<StateItem<'_>> = items
                        .iter()
                        .map(|i| StateItem {
                            peer: i.peer.as_deref(),
                            state: i.state.as_deref(),
                        })
                        .collect();
                    eval::eval_states(s, &items)
                }
                (Clause::Trace(t), Answer::Trace(trace)) => eval::eval_trace_with(t, trace, rules),
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

fn json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or_else(|e| Value::String(format!("cannot serialize: {e}")))
}

fn summarized(raw: &str, what: &str, n: usize) -> Option<Value> {
    (raw.len() > PARSED_INLINE_MAX).then(|| serde_json::json!({ "summarized": true, what: n }))
}

fn read<'a>(cap: &'a Capture, raw: &'a str) -> Result<(Answer<'a>, Value), ParseError> {
    let q = cap.query;
    Ok(match q {
        QueryName::BgpAdvertised | QueryName::BgpReceived | QueryName::RouteTable => {
            let list = parse::junos_route::parse(raw)?;
            let parsed =
                summarized(raw, "routes", list.routes.len()).unwrap_or_else(|| json(&list));
            (Answer::Routes(list.routes), parsed)
        }
        QueryName::AzureLearnedRoutes | QueryName::AzureAdvertisedRoutes => {
            let list = parse::arm::read_route_list(raw)?;
            let parsed = summarized(raw, "routes", list.value.len())
                .unwrap_or_else(|| json(&parse::arm::parse_routes(raw).ok()));
            (Answer::Routes(azure_routes(&list)), parsed)
        }
        QueryName::Trace => {
            let trace = match &cap.trace {
                Some(t) => t.clone(),
                None => parse::traceroute::parse(raw)?,
            };
            let parsed = json(&trace);
            (Answer::Trace(trace), parsed)
        }
        QueryName::BgpSummary => {
            let s = parse::junos_bgp_summary::parse(raw)?;
            let items = s
                .peers
                .iter()
                .map(|p| Item {
                    peer: Some(p.address.clone()),
                    // `Establ` reads as `established`.
                    state: Some(p.state.as_str().to_string()),
                })
                .collect();
            (Answer::States(items), json(&s))
        }
        QueryName::BfdSessions => {
            let s = parse::junos_bfd::parse(raw)?;
            let items = s
                .sessions
                .iter()
                .map(|b| Item {
                    peer: Some(b.address.clone()),
                    state: Some(b.state.as_str().to_string()),
                })
                .collect();
            (Answer::States(items), json(&s))
        }
        QueryName::IkeSas => {
            let s = parse::junos_ike_sa::parse(raw)?;
            let items = s
                .sas
                .iter()
                .map(|sa| Item {
                    peer: Some(sa.remote_address.clone()),
                    state: Some(sa.state.as_str().to_string()),
                })
                .collect();
            (Answer::States(items), json(&s))
        }
        QueryName::IpsecSas => {
            let s = parse::junos_ipsec_sa::parse(raw)?;
            // One item per tunnel, not per SA: a tunnel has an inbound and
            // an outbound SA, and a cluster may list it under a node each.
            // A listed SA is an active one; VPN monitoring, when shown,
            // says more.
            let mut seen = BTreeSet::new();
            let items = s
                .sas
                .iter()
                .filter(|sa| seen.insert(sa.tunnel_id))
                .map(|sa| Item {
                    peer: sa.gateway.clone(),
                    state: Some(
                        sa.monitoring
                            .as_ref()
                            .map_or_else(|| "active".to_string(), |m| m.as_str().to_string()),
                    ),
                })
                .collect();
            (Answer::States(items), json(&s))
        }
        QueryName::AzureBgpPeers => {
            let s = parse::arm::read_bgp_peer_list(raw)?;
            let items = s
                .value
                .iter()
                .map(|p| Item {
                    peer: p.neighbor.clone(),
                    state: p.state.as_ref().map(|s| s.as_str().to_string()),
                })
                .collect();
            (
                Answer::States(items),
                json(&parse::arm::parse_bgp_peers(raw).ok()),
            )
        }
        QueryName::AzurePeering => {
            let s = parse::arm::read_peerings(raw)?;
            let items = s
                .value
                .iter()
                .map(|p| Item {
                    peer: p.name.clone(),
                    state: p.state().map(|s| s.as_str().to_string()),
                })
                .collect();
            (
                Answer::States(items),
                json(&parse::arm::parse_peerings(raw).ok()),
            )
        }
        QueryName::AzureConnection => {
            let c = parse::arm::read_connection(raw)?;
            let items = vec![Item {
                peer: c.name.clone(),
                state: c
                    .properties
                    .connection_status
                    .as_ref()
                    .map(|s| s.as_str().to_string()),
            }];
            (
                Answer::States(items),
                json(&parse::arm::parse_connection(raw).ok()),
            )
        }
    })
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
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use super::*;
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
        Runbook::load(&Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("runbooks/er-vpn-failover.toml"))
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
