//! Azure's failover tests on the inventory's resources: the site failover
//! simulation on a gateway and the circuit link failover test on a
//! circuit. Start, details and stop are each a POST that ARM answers 202
//! with a `Location` to poll, sent where [`FailoverTestTarget`] says (the
//! same description the manual commands are rendered from, at the test's
//! own api-version). The start and the stop go out under the change's
//! permit, so an abort stops them as it stops a peering PUT, and a lost
//! answer is never resent blind; every exchange is reported to
//! `on_attempt` (the journal's `action_attempt`), the detail polls
//! included.

use reqwest::Url;
use serde_json::Value;

use super::ArmClient;
use super::http::{Reply, Req};
use super::peering::parse_read;
use super::retry::Deadline;
use cutover_core::azure_call::{FailoverTestKind, FailoverTestTarget, FieldChange, TestCall};
use cutover_core::model::azure::{
    FailoverSingleTestDetails, FailoverStopParameters, FailoverTestDetails, FailoverTestSummary,
    LinkFailoverSingleTestDetails,
};
use cutover_engine::port::{ArmAttempt, ArmError, ArmRead, SendPermit};

impl ArmClient {
    /// `call` on `t`'s resource, at `t`'s api-version (a link test's is
    /// newer than the inventory's).
    fn test_url(&self, t: &FailoverTestTarget, call: &TestCall) -> Url {
        let mut segments = t.segments().to_vec();
        segments.push(call.action);
        let query: Vec<(&str, &str)> = call.query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let mut url = self.http.resource_url(&segments, &query);
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let v = if k == "api-version" {
                    t.api_version().to_owned()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
        url
    }

    fn change_deadline(&self) -> Deadline {
        Deadline::after(self.http.clock.as_ref(), self.http.policy.change_budget)
    }

    pub(super) async fn start_test(
        &self,
        t: &FailoverTestTarget,
        peering_location: &str,
        on_attempt: &(dyn Fn(&ArmAttempt) + Send + Sync),
        permit: &SendPermit,
    ) -> Result<String, ArmError> {
        let url = self.test_url(t, &t.start_call(peering_location));
        let changes = [FieldChange {
            field: "failoverTest".into(),
            from: None,
            to: format!("started {}", t.place(peering_location)),
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

    pub(super) async fn test_details(
        &self,
        t: &FailoverTestTarget,
        peering_location: &str,
        test_id: &str,
        on_attempt: &(dyn Fn(&ArmAttempt) + Send + Sync),
    ) -> Result<ArmRead<Vec<FailoverTestDetails>>, ArmError> {
        let url = self.test_url(t, &t.details_call(peering_location, test_id));
        let reply = self
            .http
            .post_read(url, self.read_deadline(), on_attempt)
            .await?;
        let reply = unwrapped(reply);
        let what = "the failover test's details";
        Ok(match t.kind() {
            FailoverTestKind::Site => {
                let r = parse_read::<Vec<FailoverSingleTestDetails>>(reply, what)?;
                ArmRead {
                    value: r.value.into_iter().map(FailoverTestDetails::Site).collect(),
                    raw: r.raw,
                    ids: r.ids,
                }
            }
            FailoverTestKind::CircuitLink { .. } => {
                let r = parse_read::<Vec<LinkFailoverSingleTestDetails>>(reply, what)?;
                ArmRead {
                    value: r.value.into_iter().map(FailoverTestDetails::Link).collect(),
                    raw: r.raw,
                    ids: r.ids,
                }
            }
        })
    }

    pub(super) async fn latest_tests(
        &self,
        t: &FailoverTestTarget,
        on_attempt: &(dyn Fn(&ArmAttempt) + Send + Sync),
    ) -> Result<ArmRead<Vec<FailoverTestSummary>>, ArmError> {
        let url = self.test_url(t, &t.latest_call());
        let reply = self
            .http
            .post_read(url, self.read_deadline(), on_attempt)
            .await?;
        parse_read(unwrapped(reply), "the latest failover test")
    }

    pub(super) async fn stop_test(
        &self,
        t: &FailoverTestTarget,
        stop: &FailoverStopParameters,
        on_attempt: &(dyn Fn(&ArmAttempt) + Send + Sync),
        permit: &SendPermit,
    ) -> Result<(), ArmError> {
        let url = self.test_url(t, &t.stop_call());
        let body = t.stop_json(
            &stop.peering_location,
            stop.was_simulation_successful,
            &stop.details,
        );
        let changes = stop_changes(&body);
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

/// The verdict a stop's body carries, as the journal records a write:
/// `wasSimulationSuccessful`, and `isVerified` (the link test's) or each
/// connection's (`details[NAME].isVerified`, the site test's).
fn stop_changes(body: &Value) -> Vec<FieldChange> {
    let change = |field: String, v: Option<&Value>| FieldChange {
        field,
        from: None,
        to: v.and_then(Value::as_bool).unwrap_or(false).to_string(),
    };
    let mut changes = vec![change(
        "wasSimulationSuccessful".into(),
        body.get("wasSimulationSuccessful"),
    )];
    if let Some(v) = body.get("isVerified") {
        changes.push(change("isVerified".into(), Some(v)));
    }
    for d in body
        .get("details")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = d
            .get("failoverConnectionName")
            .and_then(Value::as_str)
            .unwrap_or("?");
        changes.push(change(
            format!("details[{name}].isVerified"),
            d.get("isVerified"),
        ));
    }
    changes
}

/// ARM answers a bare list; an operation status that carried it inline
/// arrives as `{"value": [...]}`.
fn unwrapped(reply: Reply) -> Reply {
    let body = match serde_json::from_str::<Value>(&reply.body) {
        Ok(Value::Object(mut o)) if o.contains_key("value") => {
            o.remove("value").unwrap_or(Value::Null).to_string()
        }
        _ => reply.body.clone(),
    };
    Reply { body, ..reply }
}

/// The test's id from the start's result: a JSON string (the spec's
/// answer: `type: string`; Azure's are GUIDs), a `testGuid` or `value`
/// field, or any other JSON as its text. The id goes into the details URL and the
/// journal's `failover test ID started ...`, so only a token of letters,
/// digits, `-`, `_` and `.` is taken: free text (an HTML error page, a
/// message with spaces or quotes) is refused, not used as an id.
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
    if !is_test_id(&id) {
        let shown: String = id.chars().take(60).collect();
        return Err(ArmError::Protocol(format!(
            "the failover test started but ARM's answer is not a test id: {shown:?}"
        )));
    }
    Ok(id)
}

/// A test id as Azure gives it (a GUID) or the lab does: one short token.
fn is_test_id(id: &str) -> bool {
    id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}
