//! Azure's site failover simulation on the lab's ExpressRoute gateway, as
//! `virtualNetworkGateway.json` (Microsoft.Network 2024-05-01 and later)
//! has it. Every call is a long-running POST on
//! `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworkGateways/{er-gateway}/`
//! (the topology's `er_gateway`, `SEA-Cust11-VNet01-gw-er` in the
//! article's lab, at peering location `Seattle`, the circuit's; the VPN
//! gateway has none of these):
//!
//! | call | query (besides `api-version`) | body |
//! |---|---|---|
//! | `startSiteFailoverTest` | `peeringLocation` (required) | none |
//! | `stopSiteFailoverTest` | none | `ExpressRouteFailoverStopApiParameters` |
//! | `getFailoverAllTestsDetails` | `type` (`SingleSiteFailover`, `MultiSiteFailover`, `All`), `fetchLatest` (`true`/`false`); the lab takes both as optional (all, false) | none |
//! | `getFailoverSingleTestDetails` | `peeringLocation`, `failoverTestId` (both required) | none |
//!
//! The stop's body: `{"peeringLocation": "Seattle",
//! "wasSimulationSuccessful": true, "details": [{"failoverConnectionName":
//! "...", "failoverLocation": "...", "isVerified": true}]}`.
//!
//! Accepted: `202`, empty body, `Azure-AsyncOperation` (status URL),
//! `Location` (result URL) and `Retry-After`, as the gateway's route reads.
//! The `Location` URL answers `202` (with `Location` and `Retry-After`)
//! until the result is ready (`ArmConfig::query_ready_after` /
//! `query_ready_on_poll`), then `200` with:
//! - start, stop: a JSON string, the test's GUID (`"5c1f…"`);
//! - all tests: `[ExpressRouteFailoverTestDetails]`: `peeringLocation`,
//!   `circuits[{nrpResourceUri, name, connectionName}]`, `status`,
//!   `startTime`, `endTime`, `connections[{nrpResourceUri, name, status
//!   (Connected|Disconnected), lastUpdatedTime}]`, `testGuid`, `testType`,
//!   `issues`; a location never tested has one `NotStarted` entry with
//!   empty times and GUID;
//! - single test: `[ExpressRouteFailoverSingleTestDetails]`:
//!   `peeringLocation`, `status` (`Running`, then `Completed`),
//!   `startTimeUtc`, `endTimeUtc` (empty while running),
//!   `redundantRoutes[{peeringLocations, routes}]` (empty: the lab has one
//!   circuit), `nonRedundantRoutes` (the prefixes the gateway learned over
//!   the circuit at the start), `wasSimulationSuccessful`,
//!   `failoverConnectionDetails[{failoverConnectionName,
//!   failoverLocation, isVerified}]` (the VPN connection; `isVerified` as
//!   the stop sent it).
//!
//! Also `POST getBgpPeerStatus` (any api-version) on the ER gateway: 202,
//! then `{"value": [BgpPeerStatus]}` (the gateway's sessions to the
//! MSEEs: `Connecting` with 0 routes while a site test runs).
//!
//! The status URL answers `{"status": "InProgress"}` then `Succeeded`.
//! Times are `yyyy-mm-ddThh:mm:ssZ` on the lab's clock.
//!
//! Refused, before anything changes (`CloudError` bodies):
//! - `400 InvalidApiVersionParameter`: an api-version before 2024-05-01;
//! - `400 MissingRequiredParameter`: no `peeringLocation` (query or body)
//!   or `failoverTestId`;
//! - `400 InvalidRequestFormat`: a stop body that is not the JSON above;
//! - `400 InvalidParameter`: a peering location the gateway has no
//!   connection at (the lab's is the circuit's `peering_location`);
//! - `409 FailoverTestAlreadyRunning`: a start while a test runs;
//! - `409 FailoverTestNotRunning`: a stop with no test running there
//!   (already stopped: read the details to see how it ended);
//! - `404 NotFound`: a single-test read of a GUID the lab never issued.
//!   (These codes are the lab's: the spec does not list the errors.)
//!
//! While a test runs, the gateway's ExpressRoute connection is down
//! (`World::er_connection_down`): the routes and the traces move to the
//! VPN as when the private peering is disabled. The scenario's
//! `[[arm.fault]]` rules see these calls as `resource = "failover_test"`
//! (all four) or `"failover_stop"` (the stop alone).

use axum::body::Body;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde_json::Value;

use super::super::Server;
use super::super::ops::{FailoverRead, OpKind, Operation, Query as GatewayQuery, QueryKind};
use super::super::reply::{Reply, detail};
use super::target::FailoverCall;
use super::{Ctx, eq, lock};
use crate::World;
use crate::world::FailoverStopParameters;

/// The first api-version with the site failover simulation.
const SINCE: &str = "2024-05-01";

/// A stop's body is a few hundred bytes.
const BODY_LIMIT: usize = 64 * 1024;

/// The answer of a completed failover operation (site or link test).
pub(super) fn read(w: &World, read: &FailoverRead) -> Result<Value, serde_json::Error> {
    match read {
        FailoverRead::Answer(v) => Ok(v.clone()),
        FailoverRead::AllTests {
            test_type,
            fetch_latest,
        } => serde_json::to_value(w.failover_all_tests(test_type.as_deref(), *fetch_latest)),
        // Checked when the call was made; tests are never forgotten.
        FailoverRead::SingleTest {
            peering_location,
            test_id,
        } => match w.failover_single_test(peering_location, test_id) {
            Ok(v) => serde_json::to_value(v),
            Err(_) => Ok(Value::Array(Vec::new())),
        },
        FailoverRead::ErBgpPeers => serde_json::to_value(super::super::wire::bgp_peers(
            w.er_gateway_bgp_peer_status(),
        )),
        FailoverRead::LinkAllTests { fetch_latest } => {
            serde_json::to_value(w.link_failover_all_tests(*fetch_latest))
        }
        FailoverRead::LinkSingleTest { link, test_id } => {
            match w.link_failover_single_test(*link, test_id) {
                Ok(v) => serde_json::to_value(v),
                Err(_) => Ok(Value::Array(Vec::new())),
            }
        }
    }
}

/// An api-version older than `since` (`yyyy-mm-dd` compares as text;
/// the dispatcher checked the form) refused as ARM refuses it.
pub(super) fn too_old(ctx: &Ctx, since: &str, what: &str) -> Option<Reply> {
    ctx.api_version
        .get(..10)
        .is_none_or(|d| d < since)
        .then(|| {
            Reply::error(
                StatusCode::BAD_REQUEST,
                "InvalidApiVersionParameter",
                format!(
                    "The api-version '{}' does not have {what}; it needs {since} or later.",
                    ctx.api_version
                ),
            )
        })
}

/// The request's query, as sent.
pub(super) fn query_params(parts: &Parts) -> Vec<(String, String)> {
    Query::try_from_uri(&parts.uri)
        .map(|Query(p)| p)
        .unwrap_or_default()
}

/// A query parameter by its name in any case, trimmed; `None` when absent
/// or empty.
pub(super) fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| eq(k, name))
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

pub(super) fn missing(name: &str) -> Reply {
    Reply::error(
        StatusCode::BAD_REQUEST,
        "MissingRequiredParameter",
        format!("The query parameter '{name}' is required."),
    )
}

impl Server {
    pub(super) async fn failover(
        &self,
        ctx: &Ctx,
        parts: &Parts,
        body: Body,
        call: FailoverCall,
    ) -> Reply {
        // `yyyy-mm-dd` compares as text; the dispatcher checked the form.
        // getBgpPeerStatus is older than the simulation.
        if call != FailoverCall::ErBgpPeerStatus
            && let Some(refused) = too_old(ctx, SINCE, "the site failover simulation")
        {
            return refused;
        }
        let params = query_params(parts);
        let param = |name: &str| param(&params, name);
        let read = match call {
            FailoverCall::Start => {
                let Some(location) = param("peeringLocation") else {
                    return missing("peeringLocation");
                };
                match self
                    .world
                    .with(|w, now| w.start_site_failover_test(now, location))
                {
                    Ok(guid) => FailoverRead::Answer(Value::String(guid)),
                    Err(e) => return self.world_error(ctx, &e),
                }
            }
            FailoverCall::Stop => {
                let stop = match read_stop(body).await {
                    Ok(s) => s,
                    Err(r) => return r,
                };
                match self
                    .world
                    .with(|w, now| w.stop_site_failover_test(now, &stop))
                {
                    Ok(guid) => FailoverRead::Answer(Value::String(guid)),
                    Err(e) => return self.world_error(ctx, &e),
                }
            }
            FailoverCall::AllTests => {
                let fetch_latest = match param("fetchLatest") {
                    None => false,
                    Some(v) if eq(v, "true") => true,
                    Some(v) if eq(v, "false") => false,
                    Some(v) => {
                        return Reply::error(
                            StatusCode::BAD_REQUEST,
                            "InvalidParameter",
                            format!("The value '{v}' of 'fetchLatest' is not true or false."),
                        );
                    }
                };
                let test_type = match param("type") {
                    None => None,
                    Some(t)
                        if ["SingleSiteFailover", "MultiSiteFailover", "All"]
                            .iter()
                            .any(|k| eq(k, t)) =>
                    {
                        Some(t.to_owned())
                    }
                    Some(t) => {
                        return Reply::error(
                            StatusCode::BAD_REQUEST,
                            "InvalidParameter",
                            format!(
                                "The value '{t}' of 'type' is not SingleSiteFailover, MultiSiteFailover or All."
                            ),
                        );
                    }
                };
                FailoverRead::AllTests {
                    test_type,
                    fetch_latest,
                }
            }
            FailoverCall::ErBgpPeerStatus => FailoverRead::ErBgpPeers,
            FailoverCall::SingleTest => {
                let Some(location) = param("peeringLocation") else {
                    return missing("peeringLocation");
                };
                let Some(id) = param("failoverTestId") else {
                    return missing("failoverTestId");
                };
                if let Err(e) = self.world.with(|w, _| w.failover_single_test(location, id)) {
                    return self.world_error(ctx, &e);
                }
                FailoverRead::SingleTest {
                    peering_location: location.to_owned(),
                    test_id: id.to_owned(),
                }
            }
        };
        self.accept_failover(ctx, read)
    }

    /// Remembers a failover call's operation and answers 202.
    pub(super) fn accept_failover(&self, ctx: &Ctx, read: FailoverRead) -> Reply {
        let id = uuid::Uuid::new_v4().to_string();
        let started = self.now();
        lock(self).remember(
            Operation {
                id: id.clone(),
                kind: OpKind::Query(GatewayQuery {
                    what: QueryKind::Failover(read),
                    started,
                    polls: 0,
                    result: None,
                }),
            },
            self.max_operations,
        );
        self.long_running(ctx, Reply::empty(StatusCode::ACCEPTED), &id)
    }
}

/// A stop's JSON body.
pub(super) async fn read_json<T: serde::de::DeserializeOwned>(body: Body) -> Result<T, Reply> {
    let invalid = |message: String| {
        Reply::error_with_details(
            StatusCode::BAD_REQUEST,
            "InvalidRequestFormat",
            "Cannot parse the request.",
            vec![detail("InvalidJson", message)],
        )
    };
    let bytes = axum::body::to_bytes(body, BODY_LIMIT)
        .await
        .map_err(|e| invalid(format!("The request body cannot be read: {e}.")))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(invalid("The request body is empty.".to_owned()));
    }
    serde_json::from_slice(&bytes).map_err(|e| invalid(format!("{e}.")))
}

/// The stop's `ExpressRouteFailoverStopApiParameters`.
async fn read_stop(body: Body) -> Result<FailoverStopParameters, Reply> {
    let stop: FailoverStopParameters = read_json(body).await?;
    if stop
        .peering_location
        .as_deref()
        .is_none_or(|l| l.trim().is_empty())
    {
        return Err(Reply::error(
            StatusCode::BAD_REQUEST,
            "MissingRequiredParameter",
            "The request body needs 'peeringLocation'.",
        ));
    }
    Ok(stop)
}

#[cfg(test)]
mod tests;
