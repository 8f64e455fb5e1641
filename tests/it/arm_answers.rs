//! The forms real ARM answers in beyond the usual one (issue 14): a
//! long-running operation tracked by `Location` only or by
//! `Azure-AsyncOperation` only, a gateway read whose status URL answers
//! the result without a `status`, and etags written otherwise than
//! `W/"guid"`. The lab answers each way because the scenario says so; the
//! console's ARM client reads it over loopback HTTP on the lab's virtual
//! clock.

use cutover_core::model::azure::PeeringState;
use cutover_engine::port::{ArmAttempt, AzureApi, SendPermit};
use cutover_lab::scenario::{self, Scenario};
use cutover_lab::topology::Topology;
use reqwest::StatusCode;

use super::lab_arm::{Lab, config};

fn scenario_text(arm: &str) -> String {
    format!("name = \"arm-answers\"\ndescription = \"ARM answer forms\"\n\n[arm]\n{arm}\n")
}

fn scenario_with(arm: &str) -> Scenario {
    scenario::parse(
        "arm-answers.toml",
        &scenario_text(arm),
        &Topology::article(),
    )
    .expect("scenario parses")
}

/// Disables the private peering through the client; the PUT's attempts.
async fn disable(lab: &Lab) -> (cutover_engine::port::PeeringChange, Vec<ArmAttempt>) {
    let seen = std::sync::Mutex::new(Vec::new());
    let change = lab
        .arm_client()
        .set_peering_state(
            PeeringState::Disabled,
            &|a| seen.lock().expect("lock").push(a.clone()),
            &SendPermit::new(),
        )
        .await
        .expect("the change goes through");
    assert_eq!(change.after.state(), Some(&PeeringState::Disabled));
    (change, seen.into_inner().expect("lock"))
}

/// The operation headers on a gateway read's 202.
async fn read_headers(lab: &Lab) -> (bool, bool) {
    let a = lab.post(&lab.gateway_path("getLearnedRoutes"), "").await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.text);
    (
        a.header("azure-asyncoperation").is_some(),
        a.header("location").is_some(),
    )
}

async fn reads_work(lab: &Lab) {
    let c = lab.arm_client();
    let learned = c.learned_routes().await.expect("learned routes");
    assert!(
        learned
            .value
            .value
            .iter()
            .any(|r| r.network.as_deref() == Some("10.1.11.0/25")),
        "{}",
        learned.raw
    );
    let peers = c.bgp_peer_status().await.expect("BGP peers");
    assert!(!peers.value.value.is_empty(), "{}", peers.raw);
}

#[tokio::test]
async fn location_only_operations_are_followed_to_their_result() {
    let lab = Lab::start(scenario_with("operations = \"location\""), config()).await;
    assert_eq!(read_headers(&lab).await, (false, true));
    let (_, attempts) = disable(&lab).await;
    assert!(
        attempts
            .iter()
            .any(|a| a.path.contains("/operationResults/")),
        "the PUT's Location was followed: {attempts:?}"
    );
    reads_work(&lab).await;
    lab.stop().await.expect("clean shutdown");
}

#[tokio::test]
async fn status_url_only_operations_give_the_result_in_the_status() {
    let lab = Lab::start(
        scenario_with("operations = \"azure-async-operation\""),
        config(),
    )
    .await;
    assert_eq!(read_headers(&lab).await, (true, false));
    let (_, attempts) = disable(&lab).await;
    assert!(
        attempts
            .iter()
            .all(|a| !a.path.contains("/operationResults/")),
        "{attempts:?}"
    );
    reads_work(&lab).await;
    lab.stop().await.expect("clean shutdown");
}

#[tokio::test]
async fn a_gateway_read_answered_without_status_is_done() {
    let lab = Lab::start(
        scenario_with("operations = \"azure-async-operation\"\nresult_without_status = true"),
        config(),
    )
    .await;
    // On the wire: running, then the routes with no `status` at all
    // (azure-rest-api-specs#34019).
    let a = lab.post(&lab.gateway_path("getLearnedRoutes"), "").await;
    let op = a
        .header("azure-asyncoperation")
        .expect("status URL")
        .to_owned();
    assert_eq!(lab.get_url(&op).await.value()["status"], "InProgress");
    let done = lab.get_url(&op).await.value();
    assert!(done.get("status").is_none(), "{done}");
    assert!(
        done["value"].as_array().is_some_and(|v| !v.is_empty()),
        "{done}"
    );
    reads_work(&lab).await;
    // A peering PUT's status still says how it ended.
    disable(&lab).await;
    lab.stop().await.expect("clean shutdown");
}

#[tokio::test]
async fn every_etag_form_is_sent_back_as_it_was_read() {
    for (form, looks) in [
        ("weak", "W/\""),
        ("strong", "\""),
        ("unquoted", ""),
        // The official ExpressRouteCircuitGet example's `w/\guid\`.
        ("backslashed", "w/\\"),
    ] {
        let lab = Lab::start(scenario_with(&format!("etag_form = \"{form}\"")), config()).await;
        let (change, attempts) = disable(&lab).await;
        let before = change.before.etag.clone().expect("an etag");
        assert!(before.starts_with(looks), "{form}: {before}");
        assert!(before.len() >= 36, "{form}: {before}");
        let put = attempts
            .iter()
            .find(|a| a.method == "PUT")
            .and_then(|a| a.write.clone())
            .expect("a PUT was recorded");
        assert_eq!(put.if_match.as_deref(), Some(before.as_str()), "{form}");
        assert_ne!(change.after.etag, change.before.etag, "{form}");
        lab.stop().await.expect("clean shutdown");
    }
}

#[test]
fn answer_keys_are_checked_where_they_are_written() {
    for (arm, at, says) in [
        (
            "operations = \"sometimes\"",
            "arm-answers.toml:5:14",
            "unknown variant",
        ),
        (
            "etag_form = \"round\"",
            "arm-answers.toml:5:13",
            "backslashed",
        ),
        (
            "result_without_status = \"yes\"",
            "arm-answers.toml:5:25",
            "bool",
        ),
        ("answers = 1", "arm-answers.toml:5:1", "unknown field"),
    ] {
        let e = scenario::parse(
            "arm-answers.toml",
            &scenario_text(arm),
            &Topology::article(),
        )
        .expect_err(arm)
        .to_string();
        assert!(e.starts_with(at) && e.contains(says), "{arm}: {e}");
    }
}
