//! Azure's site failover simulation on the inventory's gateway: start,
//! details and stop, each a POST that ARM answers 202 with a `Location`
//! to poll. The start and the stop go out under the change's permit, so
//! an abort stops them as it stops a peering PUT, and a lost answer is
//! never resent blind; every exchange is reported to `on_attempt` (the
//! journal's `action_attempt`), the detail polls included.

use serde_json::Value;

use super::ArmClient;
use super::http::{Reply, Req};
use super::peering::parse_read;
use super::retry::Deadline;
use cutover_core::azure_call::FieldChange;
use cutover_core::model::azure::{FailoverSingleTestDetails, FailoverStopParameters};
use cutover_engine::port::{ArmAttempt, ArmError, ArmRead, SendPermit};

impl ArmClient {
    /// An action on `gateway` (the ExpressRoute gateway, which the
    /// inventory's `gateway`, the VPN one, is not).
    fn on_gateway(&self, gateway: &str, action: &str, query: &[(&str, &str)]) -> reqwest::Url {
        self.network_url("virtualNetworkGateways", gateway, Some(action), query)
    }

    fn change_deadline(&self) -> Deadline {
        Deadline::after(self.http.clock.as_ref(), self.http.policy.change_budget)
    }

    pub(super) async fn start_site_failover_test(
        &self,
        gateway: &str,
        peering_location: &str,
        on_attempt: &(dyn Fn(&ArmAttempt) + Send + Sync),
        permit: &SendPermit,
    ) -> Result<String, ArmError> {
        let url = self.on_gateway(
            gateway,
            "startSiteFailoverTest",
            &[("peeringLocation", peering_location)],
        );
        let changes = [FieldChange {
            field: "failoverTest".into(),
            from: None,
            to: format!("started at {peering_location}"),
        }];
        let req = Req {
            changes: &changes,
            ..Req::post(url).permitted(permit)
        };
        let reply = self
            .http
            .post_operation(&req, self.change_deadline(), on_attempt)
            .await?;
        test_id(&reply)
    }

    pub(super) async fn site_failover_test_details(
        &self,
        gateway: &str,
        peering_location: &str,
        test_id: &str,
        on_attempt: &(dyn Fn(&ArmAttempt) + Send + Sync),
    ) -> Result<ArmRead<Vec<FailoverSingleTestDetails>>, ArmError> {
        let url = self.on_gateway(
            gateway,
            "getFailoverSingleTestDetails",
            &[
                ("peeringLocation", peering_location),
                ("failoverTestId", test_id),
            ],
        );
        let reply = self
            .http
            .post_read(url, self.read_deadline(), on_attempt)
            .await?;
        // ARM answers a bare list; an operation status that carried it
        // inline arrives as `{"value": [...]}`.
        let body = match serde_json::from_str::<Value>(&reply.body) {
            Ok(Value::Object(mut o)) if o.contains_key("value") => {
                o.remove("value").unwrap_or(Value::Null).to_string()
            }
            _ => reply.body.clone(),
        };
        parse_read(Reply { body, ..reply }, "the failover test's details")
    }

    pub(super) async fn stop_site_failover_test(
        &self,
        gateway: &str,
        stop: &FailoverStopParameters,
        on_attempt: &(dyn Fn(&ArmAttempt) + Send + Sync),
        permit: &SendPermit,
    ) -> Result<(), ArmError> {
        let url = self.on_gateway(gateway, "stopSiteFailoverTest", &[]);
        let body = serde_json::to_value(stop)
            .map_err(|e| ArmError::Protocol(format!("cannot write the stop's body: {e}")))?;
        let mut changes = vec![FieldChange {
            field: "wasSimulationSuccessful".into(),
            from: None,
            to: stop.was_simulation_successful.to_string(),
        }];
        for d in &stop.details {
            changes.push(FieldChange {
                field: format!(
                    "details[{}].isVerified",
                    d.failover_connection_name.as_deref().unwrap_or("?")
                ),
                from: None,
                to: d.is_verified.unwrap_or(false).to_string(),
            });
        }
        let req = Req {
            body: Some(&body),
            changes: &changes,
            ..Req::post(url).permitted(permit)
        };
        self.http
            .post_operation(&req, self.change_deadline(), on_attempt)
            .await?;
        Ok(())
    }
}

/// The test's id from the start's result: a JSON string (the spec's
/// answer), else the body's text as is.
fn test_id(reply: &Reply) -> Result<String, ArmError> {
    let id = match serde_json::from_str::<Value>(&reply.body) {
        Ok(Value::String(s)) => s,
        Ok(Value::Object(o)) => o
            .get("testGuid")
            .or_else(|| o.get("value"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        _ => reply.body.trim().to_owned(),
    };
    if id.is_empty() {
        return Err(ArmError::Protocol(
            "the failover test started but ARM gave no test id".into(),
        ));
    }
    Ok(id)
}
