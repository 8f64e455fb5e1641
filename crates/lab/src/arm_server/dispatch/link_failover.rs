//! Azure's circuit link failover test on the lab's circuit, as
//! `expressRouteCircuit.json` (Microsoft.Network 2025-07-01 and later) has
//! it. Every call is a long-running POST on
//! `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/expressRouteCircuits/{circuit}/`:
//!
//! | call | query (besides `api-version`) | body |
//! |---|---|---|
//! | `startCircuitLinkFailoverTest` | `linkType` (`Primary`/`Secondary`), `circuitTestCategory` (`BgpDisconnect`; the lab refuses `ASPathPrepend`) | none |
//! | `stopCircuitLinkFailoverTest` | none | `ExpressRouteLinkFailoverStopApiParameters`: `{"linkType": "Primary", "circuitTestCategory": "BgpDisconnect", "wasSimulationSuccessful": true, "isVerified": true}` |
//! | `getCircuitLinkFailoverAllTestsDetails` | `failoverTestType`, `fetchLatest` (both optional here) | none |
//! | `getCircuitLinkFailoverSingleTestDetails` | `linkType`, `circuitTestCategory`, `failoverTestId` | none |
//!
//! Accepted, polled and refused as the site failover test
//! (`failover.rs`): `202` with `Azure-AsyncOperation`, `Location`,
//! `Retry-After`; the `Location` URL answers `200` with a JSON string (the
//! test's GUID) for a start or a stop, `[ExpressRouteLinkFailoverAllTestsDetails]`
//! (`testGuid`, `testType`, `linkType`, `circuitTestCategory`, `status`,
//! `startTime`, `endTime`, `wasSimulationSuccessful`, `bgpStatus` (empty),
//! `issues`) or `[ExpressRouteLinkFailoverSingleTestDetails]`
//! (`linkType`, `circuitTestCategory`, `status`, `startTimeUtc`,
//! `endTimeUtc`, `wasSimulationSuccessful`, `isSimulationVerified`,
//! `redundantRoutes` and `nonRedundantRoutes` as `{beforeSimulation,
//! duringSimulation}` lists of `{route, nextHop, primaryASPath,
//! secondaryASPath}`, `bgpStatus` (empty)). Errors: `400
//! InvalidApiVersionParameter` (before 2025-07-01), `400
//! MissingRequiredParameter`, `400 InvalidParameter` (a link type or a
//! category the lab does not simulate), `400 InvalidRequestFormat`, `409
//! FailoverTestAlreadyRunning`, `409 FailoverTestNotRunning`, `404
//! NotFound`. Faults: `resource = "failover_test"` / `"failover_stop"`.
//!
//! While it runs, the tested link's BGP session is down (the CE notices
//! after BFD): the traffic takes the other ExpressRoute link.

use axum::body::Body;
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde_json::Value;

use super::super::Server;
use super::super::ops::FailoverRead;
use super::super::reply::Reply;
use super::failover::{missing, param, query_params, read_json, too_old};
use super::target::FailoverCall;
use super::{Ctx, eq};
use crate::world::{LinkFailoverStopParameters, link_of};

/// The first api-version with the circuit link failover test.
const SINCE: &str = "2025-07-01";

impl Server {
    pub(super) async fn link_failover(
        &self,
        ctx: &Ctx,
        parts: &Parts,
        body: Body,
        call: FailoverCall,
    ) -> Reply {
        if let Some(refused) = too_old(ctx, SINCE, "the circuit link failover test") {
            return refused;
        }
        let params = query_params(parts);
        let param = |name: &str| param(&params, name);
        let read = match call {
            FailoverCall::Start => {
                let (Some(link), Some(category)) =
                    (param("linkType"), param("circuitTestCategory"))
                else {
                    return missing("linkType' and 'circuitTestCategory");
                };
                match self
                    .world
                    .with(|w, now| w.start_link_failover_test(now, link, category))
                {
                    Ok(guid) => FailoverRead::Answer(Value::String(guid)),
                    Err(e) => return self.world_error(ctx, &e),
                }
            }
            FailoverCall::Stop => {
                let stop: LinkFailoverStopParameters = match read_json(body).await {
                    Ok(s) => s,
                    Err(r) => return r,
                };
                if stop.link_type.is_none() {
                    return Reply::error(
                        StatusCode::BAD_REQUEST,
                        "MissingRequiredParameter",
                        "The request body needs 'linkType'.",
                    );
                }
                match self
                    .world
                    .with(|w, now| w.stop_link_failover_test(now, &stop))
                {
                    Ok(guid) => FailoverRead::Answer(Value::String(guid)),
                    Err(e) => return self.world_error(ctx, &e),
                }
            }
            FailoverCall::AllTests => FailoverRead::LinkAllTests {
                fetch_latest: param("fetchLatest").is_some_and(|v| eq(v, "true")),
            },
            // Only a gateway has BGP peers to read.
            FailoverCall::ErBgpPeerStatus => {
                return Reply::error(
                    StatusCode::NOT_FOUND,
                    "NotFound",
                    format!("The lab's ARM API has nothing at '{}'.", parts.uri.path()),
                );
            }
            FailoverCall::SingleTest => {
                let (Some(link), Some(id)) = (param("linkType"), param("failoverTestId")) else {
                    return missing("linkType' and 'failoverTestId");
                };
                let category = param("circuitTestCategory").unwrap_or("BgpDisconnect");
                let link = match link_of(link, category) {
                    Ok(l) => l,
                    Err(e) => return self.world_error(ctx, &e),
                };
                if let Err(e) = self
                    .world
                    .with(|w, _| w.link_failover_single_test(link, id))
                {
                    return self.world_error(ctx, &e);
                }
                FailoverRead::LinkSingleTest {
                    link,
                    test_id: id.to_owned(),
                }
            }
        };
        self.accept_failover(ctx, read)
    }
}
