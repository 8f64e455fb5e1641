//! The client against the faults a real ARM endpoint (or the network in
//! front of it) produces: a stub on 127.0.0.1 that speaks HTTP/1.1 by
//! hand, so that it can hang, reset a connection or garble a body, which
//! a well-behaved server framework will not do. Real time, with the
//! client's timeouts and waits cut to milliseconds. At the end, the
//! client's wiring, which needs no server.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::*;
use cutover_core::azure_call::{API_VERSION, WriteRecord};
use cutover_core::inventory::Credential;

const ETAG_1: &str = "W/\"etag-1\"";
const ETAG_2: &str = "W/\"etag-2\"";

/// One request as the stub read it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    headers: HashMap<String, String>,
    body: String,
}

/// What the stub does with a request.
enum Act {
    Reply(u16, Vec<(&'static str, String)>, String),
    /// Reads the request and never answers.
    Hang,
    /// Reads the request and resets the connection.
    Reset,
}

fn ok(body: String) -> Act {
    Act::Reply(200, Vec::new(), body)
}

/// The request, how many of the same method and path came before it, and
/// the stub's base URL.
type Script = dyn Fn(&Seen, usize, &str) -> Act + Send + Sync;

struct Stub {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Stub {
    async fn start(script: impl Fn(&Seen, usize, &str) -> Act + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let script: Arc<Script> = Arc::new(script);
        let counts = Arc::new(Mutex::new(HashMap::<String, usize>::new()));
        let (s, b) = (Arc::clone(&seen), base.clone());
        tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                let (s, c, sc, b) = (
                    Arc::clone(&s),
                    Arc::clone(&counts),
                    Arc::clone(&script),
                    b.clone(),
                );
                tokio::spawn(serve(conn, s, c, sc, b));
            }
        });
        Self { base, seen }
    }

    fn seen(&self, method: &str) -> Vec<Seen> {
        self.seen
            .lock()
            .expect("lock")
            .iter()
            .filter(|s| s.method == method)
            .cloned()
            .collect()
    }
}

async fn serve(
    mut conn: TcpStream,
    seen: Arc<Mutex<Vec<Seen>>>,
    counts: Arc<Mutex<HashMap<String, usize>>>,
    script: Arc<Script>,
    base: String,
) {
    let mut buf = Vec::new();
    loop {
        let Some(req) = read_request(&mut conn, &mut buf).await else {
            return;
        };
        let n = {
            let mut c = counts.lock().expect("lock");
            let k = c.entry(format!("{} {}", req.method, req.path)).or_insert(0);
            *k += 1;
            *k - 1
        };
        seen.lock().expect("lock").push(req.clone());
        match script(&req, n, &base) {
            Act::Hang => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                return;
            }
            Act::Reset => {
                let _ = conn.set_zero_linger();
                return;
            }
            Act::Reply(status, headers, body) => {
                let mut head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nx-ms-request-id: req-{n}-{}\r\nx-ms-correlation-request-id: corr-{}\r\n",
                    body.len(),
                    req.method,
                    req.headers
                        .get("x-ms-client-request-id")
                        .map_or("none", String::as_str)
                );
                for (k, v) in headers {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
                head.push_str("\r\n");
                if conn.write_all(head.as_bytes()).await.is_err()
                    || conn.write_all(body.as_bytes()).await.is_err()
                {
                    return;
                }
            }
        }
    }
}

async fn read_request(conn: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Seen> {
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let mut chunk = [0u8; 4096];
        let n = conn.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_owned();
    let target = first.next()?.to_owned();
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < end + 4 + len {
        let mut chunk = [0u8; 4096];
        let n = conn.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = String::from_utf8_lossy(&buf[end + 4..end + 4 + len]).into_owned();
    buf.drain(..end + 4 + len);
    let path = target.split('?').next().unwrap_or("").to_owned();
    Some(Seen {
        method,
        path,
        headers,
        body,
    })
}

fn peering(state: &str, prov: &str, etag: &str) -> String {
    serde_json::json!({
        "name": "AzurePrivatePeering",
        "id": "/subscriptions/x/peerings/AzurePrivatePeering",
        "etag": etag,
        "properties": {
            "peeringType": "AzurePrivatePeering",
            "state": state,
            "provisioningState": prov,
            "vlanId": 11
        }
    })
    .to_string()
}

fn azure(endpoint: &str) -> Azure {
    Azure {
        endpoint: endpoint.into(),
        subscription: "00000000-0000-0000-0000-000000000000".into(),
        resource_group: "rg".into(),
        circuit: "ckt".into(),
        peering: "AzurePrivatePeering".into(),
        gateway: "gw".into(),
        connection: "cn".into(),
        credential: Credential::TokenEnv,
        token_env: Some("UNUSED".into()),
        tenant_id: None,
        client_id: None,
        client_secret_env: None,
        api_version: API_VERSION.into(),
        request_timeout: None,
    }
}

fn fast() -> ArmOptions {
    ArmOptions {
        retry: RetryPolicy {
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(40),
            max_retry_after: Duration::from_millis(50),
            poll_interval: Duration::from_millis(10),
            min_wait: Duration::from_millis(5),
            read_budget: Duration::from_secs(10),
            change_budget: Duration::from_secs(10),
        },
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_millis(300),
    }
}

/// A token that changes each time it is invalidated, as an expired one is
/// replaced by azure_identity's credentials.
#[derive(Debug, Default)]
struct Rotating {
    generation: AtomicUsize,
    fetched: AtomicUsize,
}

impl TokenSource for Rotating {
    fn token<'a>(&'a self, _scope: &'a str) -> BoxFuture<'a, Result<BearerToken, ArmError>> {
        Box::pin(async move {
            self.fetched.fetch_add(1, Ordering::SeqCst);
            let g = self.generation.load(Ordering::SeqCst);
            Ok(BearerToken::new(format!("tok-{g}"), None))
        })
    }

    fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }
}

fn client(stub: &Stub) -> (ArmClient, Arc<Rotating>) {
    let tokens = Arc::new(Rotating::default());
    let c = ArmClient::with_token_source(
        &azure(&stub.base),
        fast(),
        Arc::clone(&tokens) as Arc<dyn TokenSource>,
    )
    .expect("client");
    (c, tokens)
}

fn recorder() -> (
    Arc<Mutex<Vec<ArmAttempt>>>,
    impl Fn(&ArmAttempt) + Send + Sync,
) {
    let list = Arc::new(Mutex::new(Vec::new()));
    let l = Arc::clone(&list);
    (list, move |a: &ArmAttempt| {
        l.lock().expect("lock").push(a.clone())
    })
}

fn is_peering(s: &Seen) -> bool {
    s.path.ends_with("/peerings/AzurePrivatePeering")
}

#[tokio::test]
async fn a_hung_read_times_out_and_is_asked_again() {
    let stub = Stub::start(|_, n, _| {
        if n == 0 {
            Act::Hang
        } else {
            ok(peering("Enabled", "Succeeded", ETAG_1))
        }
    })
    .await;
    let (c, _) = client(&stub);
    let started = Instant::now();
    let read = c.get_peering().await.expect("the second GET answers");
    assert_eq!(read.value.etag.as_deref(), Some(ETAG_1));
    assert_eq!(stub.seen("GET").len(), 2);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_reset_or_garbled_read_is_asked_again() {
    let stub = Stub::start(|_, n, _| match n {
        0 => Act::Reset,
        1 => ok("{\"name\": \"AzurePriv".into()),
        2 => Act::Reply(503, vec![("retry-after", "0".into())], String::new()),
        _ => ok(peering("Enabled", "Succeeded", ETAG_1)),
    })
    .await;
    let (c, _) = client(&stub);
    c.get_peering().await.expect("the fourth GET answers");
    assert_eq!(stub.seen("GET").len(), 4);
}

#[tokio::test]
async fn an_operation_that_ends_failed_is_not_applied() {
    for end in ["Failed", "Canceled"] {
        let stub = Stub::start(move |s, n, base| match (s.method.as_str(), is_peering(s)) {
            ("GET", true) => ok(peering("Enabled", "Succeeded", ETAG_1)),
            ("PUT", true) => Act::Reply(
                201,
                vec![(
                    "azure-asyncoperation",
                    format!("{base}/subscriptions/x/operations/op-1?api-version=2024-05-01"),
                )],
                peering("Disabled", "Updating", ETAG_2),
            ),
            // The first poll is lost; the second says how it ended.
            ("GET", false) if n == 0 => Act::Reset,
            ("GET", false) => ok(format!(
                "{{\"status\":\"{end}\",\"error\":{{\"code\":\"InternalServerError\",\"message\":\"no\"}}}}"
            )),
            _ => Act::Reply(404, Vec::new(), String::new()),
        })
        .await;
        let (c, _) = client(&stub);
        let (list, on) = recorder();
        let e = c
            .set_peering_state(PeeringState::Disabled, &on, &SendPermit::new())
            .await
            .expect_err("not applied");
        assert!(
            matches!(&e, ArmError::OperationFailed(m) if m.starts_with(end)),
            "{e}"
        );
        assert_eq!(stub.seen("PUT").len(), 1, "never PUT again");
        let polls = list
            .lock()
            .expect("lock")
            .iter()
            .filter(|a| a.path.contains("/operations/"))
            .count();
        assert_eq!(polls, 2, "the lost poll is asked again");
    }
}

#[tokio::test]
async fn a_stale_etag_is_read_again_and_put_under_the_new_one() {
    let stub = Stub::start(|s, n, _| match (s.method.as_str(), n) {
        ("GET", 0) => ok(peering("Enabled", "Succeeded", ETAG_1)),
        // A concurrent writer moved the etag, not the state.
        ("GET", _) => ok(peering(
            if n >= 2 { "Disabled" } else { "Enabled" },
            "Succeeded",
            ETAG_2,
        )),
        ("PUT", 0) => Act::Reply(
            412,
            Vec::new(),
            "{\"error\":{\"code\":\"PreconditionFailed\",\"message\":\"etag\"}}".into(),
        ),
        ("PUT", _) => ok(peering("Disabled", "Succeeded", "W/\"etag-3\"")),
        _ => Act::Reply(404, Vec::new(), String::new()),
    })
    .await;
    let (c, _) = client(&stub);
    let (list, on) = recorder();
    let change = c
        .set_peering_state(PeeringState::Disabled, &on, &SendPermit::new())
        .await
        .expect("disabled");
    assert!(
        change
            .notes
            .iter()
            .any(|n| n.starts_with("412:") && n.contains(ETAG_2)),
        "{:?}",
        change.notes
    );
    let puts = stub.seen("PUT");
    assert_eq!(puts.len(), 2);
    assert_eq!(
        puts[0].headers.get("if-match").map(String::as_str),
        Some(ETAG_1)
    );
    assert_eq!(
        puts[1].headers.get("if-match").map(String::as_str),
        Some(ETAG_2)
    );
    let writes: Vec<WriteRecord> = list
        .lock()
        .expect("lock")
        .iter()
        .filter_map(|a| a.write.clone())
        .collect();
    assert_eq!(writes.len(), 2);
    assert_eq!(writes[0].if_match.as_deref(), Some(ETAG_1));
    assert_eq!(writes[1].if_match.as_deref(), Some(ETAG_2));
    assert_eq!(writes[1].etag.as_deref(), Some("W/\"etag-3\""));
}

#[tokio::test]
async fn a_put_whose_answer_was_lost_is_read_before_anything_is_sent_again() {
    // Landed: the read shows the new state under a new etag; no second PUT.
    let landed = Stub::start(|s, n, _| match (s.method.as_str(), n) {
        ("GET", 0) => ok(peering("Enabled", "Succeeded", ETAG_1)),
        ("GET", _) => ok(peering("Disabled", "Succeeded", ETAG_2)),
        ("PUT", _) => Act::Reset,
        _ => Act::Reply(404, Vec::new(), String::new()),
    })
    .await;
    let (c, _) = client(&landed);
    let (list, on) = recorder();
    let change = c
        .set_peering_state(PeeringState::Disabled, &on, &SendPermit::new())
        .await
        .expect("it had landed");
    assert_eq!(change.after.etag.as_deref(), Some(ETAG_2));
    assert_eq!(landed.seen("PUT").len(), 1);
    assert!(
        change.notes[0].contains("(it landed)"),
        "{:?}",
        change.notes
    );
    let lost = list
        .lock()
        .expect("lock")
        .iter()
        .find(|a| a.method == "PUT")
        .cloned()
        .expect("the PUT is reported");
    assert_eq!(lost.status, 0);
    assert_eq!(lost.write.and_then(|w| w.if_match).as_deref(), Some(ETAG_1));

    // Not landed (the same etag): PUT again under it, once it is known.
    let missed = Stub::start(|s, n, _| match (s.method.as_str(), n) {
        ("GET", n) if n < 2 => ok(peering("Enabled", "Succeeded", ETAG_1)),
        ("GET", _) => ok(peering("Disabled", "Succeeded", ETAG_2)),
        ("PUT", 0) => Act::Hang,
        ("PUT", _) => ok(peering("Disabled", "Succeeded", ETAG_2)),
        _ => Act::Reply(404, Vec::new(), String::new()),
    })
    .await;
    let (c, _) = client(&missed);
    let (_, on) = recorder();
    c.set_peering_state(PeeringState::Disabled, &on, &SendPermit::new())
        .await
        .expect("the second PUT lands");
    let seen: Vec<String> = missed
        .seen
        .lock()
        .expect("lock")
        .iter()
        .map(|s| s.method.clone())
        .collect();
    assert_eq!(seen[..4], ["GET", "PUT", "GET", "PUT"], "{seen:?}");
}

#[tokio::test]
async fn an_expired_token_is_replaced_and_the_call_made_again() {
    let stub = Stub::start(|s, _, _| {
        if s.headers.get("authorization").map(String::as_str) == Some("Bearer tok-0") {
            Act::Reply(
                401,
                vec![("www-authenticate", "Bearer error=\"invalid_token\"".into())],
                "{\"error\":{\"code\":\"ExpiredAuthenticationToken\",\"message\":\"The access token expiry UTC time is earlier than current UTC time.\"}}".into(),
            )
        } else {
            ok(peering("Enabled", "Succeeded", ETAG_1))
        }
    })
    .await;
    let (c, tokens) = client(&stub);
    c.get_peering().await.expect("a fresh token is accepted");
    assert_eq!(tokens.generation.load(Ordering::SeqCst), 1);
    let auth: Vec<String> = stub
        .seen("GET")
        .iter()
        .filter_map(|s| s.headers.get("authorization").cloned())
        .collect();
    assert_eq!(auth, ["Bearer tok-0", "Bearer tok-1"]);
}

#[tokio::test]
async fn every_write_is_recorded_with_its_etags_and_request_ids() {
    let stub = Stub::start(|s, n, _| match (s.method.as_str(), n) {
        ("GET", 0) => ok(peering("Enabled", "Succeeded", ETAG_1)),
        ("GET", _) => ok(peering("Disabled", "Succeeded", ETAG_2)),
        _ => Act::Reply(
            200,
            vec![("etag", ETAG_2.into())],
            peering("Disabled", "Succeeded", ETAG_2),
        ),
    })
    .await;
    let (c, _) = client(&stub);
    let (list, on) = recorder();
    c.set_peering_state(PeeringState::Disabled, &on, &SendPermit::new())
        .await
        .expect("disabled");
    let put = list
        .lock()
        .expect("lock")
        .iter()
        .find(|a| a.method == "PUT")
        .cloned()
        .expect("a PUT");
    let sent = &stub.seen("PUT")[0];
    let w = put.write.expect("a write record");
    assert_eq!(w.if_match.as_deref(), Some(ETAG_1));
    assert_eq!(
        w.changes,
        [cutover_core::azure_call::FieldChange {
            field: "properties.state".into(),
            from: Some("Enabled".into()),
            to: "Disabled".into(),
        }]
    );
    assert_eq!(w.etag.as_deref(), Some(ETAG_2));
    assert_eq!(w.provisioning_state.as_deref(), Some("Succeeded"));
    let cid = put.ids.client_request_id.expect("client request id");
    assert!(uuid::Uuid::parse_str(&cid).is_ok(), "{cid}");
    assert_eq!(
        sent.headers.get("x-ms-client-request-id"),
        Some(&cid),
        "the id recorded is the one sent"
    );
    assert_eq!(put.ids.request_id.as_deref(), Some("req-0-PUT"));
    assert_eq!(put.ids.correlation_id, Some(format!("corr-{cid}")));
    // Only the state changes: the body is the peering as read.
    let body: serde_json::Value = serde_json::from_str(&sent.body).expect("json");
    assert_eq!(body["properties"]["state"], "Disabled");
    assert_eq!(body["properties"]["vlanId"], 11);
    // No token in the record.
    let shown = format!("{w:?} {:?}", put.path);
    assert!(!shown.contains("tok-"), "{shown}");
}

#[tokio::test]
async fn the_drill_token_is_renewed_at_the_token_endpoint_once_it_expired() {
    let stub = Stub::start(|s, _, _| {
        if s.path == "/lab/oauth2/v2.0/token" {
            let form_ok = s.method == "POST"
                && s.body.contains("grant_type=client_credentials")
                && s.body.contains("client_secret=lab-secret");
            return if form_ok {
                ok(
                    "{\"token_type\":\"Bearer\",\"expires_in\":3599,\"access_token\":\"fresh-1\"}"
                        .into(),
                )
            } else {
                Act::Reply(401, Vec::new(), "{\"error\":\"invalid_client\"}".into())
            };
        }
        match s.headers.get("authorization").map(String::as_str) {
            Some("Bearer fresh-1") => ok(peering("Enabled", "Succeeded", ETAG_1)),
            _ => Act::Reply(
                401,
                Vec::new(),
                "{\"error\":{\"code\":\"ExpiredAuthenticationToken\",\"message\":\"expired\"}}"
                    .into(),
            ),
        }
    })
    .await;
    let c = ArmClient::with_token_source(
        &azure(&stub.base),
        fast(),
        lab_tokens(&stub.base, "lab-secret"),
    )
    .expect("client");
    c.get_peering().await.expect("renewed");
    c.get_peering().await.expect("the renewed token is kept");
    let auth: Vec<String> = stub
        .seen("GET")
        .iter()
        .filter_map(|s| s.headers.get("authorization").cloned())
        .collect();
    assert_eq!(
        auth,
        ["Bearer lab-secret", "Bearer fresh-1", "Bearer fresh-1"]
    );
    assert_eq!(stub.seen("POST").len(), 1, "one renewal");
}

#[tokio::test]
async fn each_expiry_is_renewed_once_and_a_token_refused_again_is_a_failure() {
    let expired = || {
        Act::Reply(
            401,
            Vec::new(),
            "{\"error\":{\"code\":\"ExpiredAuthenticationToken\",\"message\":\"expired\"}}".into(),
        )
    };
    // Two tokens expire in turn within one call: both are replaced.
    let stub =
        Stub::start(
            move |s, _, _| match s.headers.get("authorization").map(String::as_str) {
                Some("Bearer tok-2") => ok(peering("Enabled", "Succeeded", ETAG_1)),
                _ => expired(),
            },
        )
        .await;
    let (c, _) = client(&stub);
    c.get_peering().await.expect("the third token is accepted");
    assert_eq!(stub.seen("GET").len(), 3);

    // A credential that hands out the same token again: refused twice, a
    // failure at once, not a loop.
    let stub = Stub::start(move |_, _, _| expired()).await;
    let c = ArmClient::with_token_source(
        &azure(&stub.base),
        fast(),
        Arc::new(StaticToken::new("same")),
    )
    .expect("client");
    let e = c.get_peering().await.expect_err("refused");
    assert!(matches!(e, ArmError::Auth(_)), "{e}");
    assert_eq!(stub.seen("GET").len(), 2);
}

#[tokio::test]
async fn a_put_answered_with_provisioning_state_failed_is_not_applied() {
    let stub = Stub::start(|s, _, base| match s.method.as_str() {
        "GET" => ok(peering("Enabled", "Succeeded", ETAG_1)),
        _ => Act::Reply(
            200,
            vec![(
                "azure-asyncoperation",
                format!("{base}/subscriptions/x/operations/op-1?api-version=2024-05-01"),
            )],
            peering("Disabled", "Failed", ETAG_2),
        ),
    })
    .await;
    let (c, _) = client(&stub);
    let (_, on) = recorder();
    let e = c
        .set_peering_state(PeeringState::Disabled, &on, &SendPermit::new())
        .await
        .expect_err("not applied");
    assert!(
        matches!(&e, ArmError::OperationFailed(m) if m.contains("provisioningState Failed")),
        "{e}"
    );
    assert_eq!(stub.seen("PUT").len(), 1);
    assert!(
        stub.seen("GET")
            .iter()
            .all(|s| !s.path.contains("/operations/")),
        "nothing to poll"
    );
}

#[tokio::test]
async fn a_renewal_the_token_endpoint_refuses_is_an_auth_error_without_the_secret() {
    let stub = Stub::start(|s, _, _| {
        if s.path.ends_with("/oauth2/v2.0/token") {
            Act::Reply(
                401,
                Vec::new(),
                "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215: Invalid client secret provided.\"}".into(),
            )
        } else {
            Act::Reply(
                401,
                Vec::new(),
                "{\"error\":{\"code\":\"ExpiredAuthenticationToken\",\"message\":\"expired\"}}"
                    .into(),
            )
        }
    })
    .await;
    let tokens = lab_tokens(&stub.base, "s3cr3t-value");
    let c = ArmClient::with_token_source(&azure(&stub.base), fast(), Arc::clone(&tokens))
        .expect("client");
    let e = c.get_peering().await.expect_err("no renewal");
    let shown = format!("{e} {e:?} {tokens:?}");
    assert!(matches!(e, ArmError::Auth(_)), "{shown}");
    assert!(shown.contains("invalid_client"), "{shown}");
    assert!(!shown.contains("s3cr3t-value"), "{shown}");
}

// The client's own wiring, without a server.
#[test]
fn the_peering_is_called_where_its_commands_name_it() {
    let azure = Azure {
        endpoint: "https://management.azure.com".into(),
        subscription: "00000000-0000-0000-0000-000000000000".into(),
        resource_group: "SEA-Cust11".into(),
        circuit: "er-circuit-11".into(),
        peering: "AzurePrivatePeering".into(),
        gateway: "vpngw-hub-11".into(),
        connection: "cn-onprem-11".into(),
        credential: Credential::AzureCli,
        token_env: None,
        tenant_id: None,
        client_id: None,
        client_secret_env: None,
        api_version: API_VERSION.into(),
        request_timeout: None,
    };
    let c = ArmClient::with_token_source(
        &azure,
        ArmOptions::default(),
        Arc::new(StaticToken::new("t")),
    )
    .expect("client");
    assert_eq!(http::shown_path(&c.peering_url()), c.peering.path());
    let m = c.manual_commands(PeeringState::Disabled);
    assert!(
        m.az_cli
            .contains("--name AzurePrivatePeering --set state=Disabled")
    );
}

#[test]
fn endpoints_https_or_loopback_http_only() {
    for ok in [
        "https://management.azure.com",
        "https://management.azure.com/",
        "http://127.0.0.1:8080",
        "http://[::1]:9",
        "http://localhost:1",
    ] {
        assert!(parse_endpoint(ok).is_ok(), "{ok}");
    }
    for bad in [
        "http://management.azure.com",
        "http://127.0.0.1.evil.example",
        "http://localhost.evil.example",
        "ftp://127.0.0.1",
        "https://user:pw@management.azure.com",
        "https://management.azure.com?x=1",
        "management.azure.com",
        "",
    ] {
        assert!(parse_endpoint(bad).is_err(), "{bad}");
    }
}

/// An operation that reports success while the peering keeps reading the
/// old state is not an operation that failed: the write may still land,
/// and the engine must not release its guard on one read (review 1a).
#[tokio::test]
async fn stale_reads_after_a_succeeded_put_are_not_settled_not_failed() {
    let stub = Stub::start(|s, _, _| match (s.method.as_str(), is_peering(s)) {
        ("GET", true) => ok(peering("Enabled", "Succeeded", ETAG_1)),
        ("PUT", true) => ok(peering("Disabled", "Succeeded", ETAG_2)),
        _ => Act::Reply(404, Vec::new(), String::new()),
    })
    .await;
    let (c, _) = client(&stub);
    let (_, on) = recorder();
    let e = c
        .set_peering_state(PeeringState::Disabled, &on, &SendPermit::new())
        .await
        .expect_err("never settled");
    assert!(
        matches!(&e, ArmError::NotSettled(m) if m.contains("still reads state Enabled")),
        "{e:?}"
    );
    assert_eq!(stub.seen("PUT").len(), 1);
}

#[tokio::test]
async fn the_failover_test_is_started_followed_and_stopped_with_the_verdict() {
    let stub = Stub::start(|s, _, base| match (s.method.as_str(), s.path.as_str()) {
        ("POST", p) if p.contains("/startSiteFailoverTest") => Act::Reply(
            202,
            vec![
                ("location", format!("{base}/result/start")),
                ("retry-after", "0".into()),
            ],
            String::new(),
        ),
        ("POST", p) if p.contains("/stopSiteFailoverTest") => Act::Reply(
            202,
            vec![("location", format!("{base}/result/stop"))],
            String::new(),
        ),
        ("GET", "/result/start") | ("GET", "/result/stop") => ok("\"5c1f-guid\"".into()),
        _ => Act::Reply(404, Vec::new(), String::new()),
    })
    .await;
    let (c, _) = client(&stub);
    let (list, on) = recorder();
    let t = c.failover_test_target("ergw").expect("a target");
    let id = c
        .start_failover_test(&t, "Silicon Valley", &on, &SendPermit::new())
        .await
        .expect("started");
    assert_eq!(id, "5c1f-guid");
    // (The stub sees the path without its query; the lab refuses a start
    // without `peeringLocation`, which the drill proves.)
    let posts = stub.seen("POST");
    assert!(
        posts[0]
            .path
            .ends_with("/virtualNetworkGateways/ergw/startSiteFailoverTest"),
        "{}",
        posts[0].path
    );
    let stop = cutover_core::azure_call::FailoverTestTarget::stop_body(
        "Silicon Valley",
        true,
        &[cutover_core::model::azure::FailoverConnectionDetails {
            failover_connection_name: Some("conn1".into()),
            failover_location: Some("Silicon Valley".into()),
            is_verified: Some(true),
        }],
    );
    c.stop_failover_test(&t, &stop, &on, &SendPermit::new())
        .await
        .expect("stopped");
    let posts = stub.seen("POST");
    let body: serde_json::Value = serde_json::from_str(&posts[1].body).expect("a JSON body");
    assert_eq!(body["wasSimulationSuccessful"], true);
    assert_eq!(body["details"][0]["isVerified"], true);
    // Both POSTs are journaled as writes, with the verdict among the
    // changes; the polls are reads.
    let attempts = list.lock().expect("lock").clone();
    let writes: Vec<&ArmAttempt> = attempts.iter().filter(|a| a.write.is_some()).collect();
    assert_eq!(writes.len(), 2, "{attempts:?}");
    assert!(
        writes[1].write.as_ref().is_some_and(|w| w
            .changes
            .iter()
            .any(|c| c.field == "wasSimulationSuccessful" && c.to == "true")),
        "{writes:?}"
    );
}

/// The link test goes to the circuit at its own api-version (newer than
/// the inventory's), its details parse as the link test's, and its stop
/// carries the link, the category and the verdict.
#[tokio::test]
async fn the_link_test_is_sent_to_the_circuit_at_its_own_api_version() {
    let stub = Stub::start(|s, _, base| match (s.method.as_str(), s.path.as_str()) {
        ("POST", p) if p.contains("/getCircuitLinkFailoverSingleTestDetails") => ok(
            r#"[{"linkType":"Secondary","circuitTestCategory":"BgpDisconnect","status":"Running",
                "redundantRoutes":{"beforeSimulation":[{"route":"10.17.11.0/25"}],"duringSimulation":[]},
                "nonRedundantRoutes":{"beforeSimulation":[{"route":"10.1.11.0/25"}],"duringSimulation":[]}}]"#
                .into(),
        ),
        ("POST", p)
            if p.contains("/startCircuitLinkFailoverTest")
                || p.contains("/stopCircuitLinkFailoverTest") =>
        {
            Act::Reply(
                202,
                vec![("location", format!("{base}/result/link"))],
                String::new(),
            )
        }
        ("GET", "/result/link") => ok("\"11cf-guid\"".into()),
        _ => Act::Reply(404, Vec::new(), String::new()),
    })
    .await;
    let (c, _) = client(&stub);
    let (list, on) = recorder();
    let link = cutover_core::runbook::LinkTest {
        link_type: "Secondary".into(),
        category: "BgpDisconnect".into(),
        api_version: "2025-07-01".into(),
    };
    let t = c
        .link_failover_test_target("SEA-Cust11-ER", &link)
        .expect("a target");
    let id = c
        .start_failover_test(&t, "", &on, &SendPermit::new())
        .await
        .expect("started");
    assert_eq!(id, "11cf-guid");
    let d = c
        .failover_test_details(&t, "", &id, &on)
        .await
        .expect("details");
    assert!(d.value[0].is_running());
    assert_eq!(d.value[0].non_redundant(), ["10.1.11.0/25"]);
    assert_eq!(d.value[0].redundant(), ["10.17.11.0/25"]);
    let stop = cutover_core::azure_call::FailoverTestTarget::stop_body("", true, &[]);
    c.stop_failover_test(&t, &stop, &on, &SendPermit::new())
        .await
        .expect("stopped");
    let posts = stub.seen("POST");
    assert!(
        posts[0]
            .path
            .ends_with("/expressRouteCircuits/SEA-Cust11-ER/startCircuitLinkFailoverTest"),
        "{}",
        posts[0].path
    );
    let body: serde_json::Value = serde_json::from_str(&posts[2].body).expect("a JSON body");
    assert_eq!(
        body,
        serde_json::json!({"linkType": "Secondary", "circuitTestCategory": "BgpDisconnect",
            "wasSimulationSuccessful": true, "isVerified": true})
    );
    let attempts = list.lock().expect("lock").clone();
    let start = &attempts[0];
    // The journal shows which test (the query's names are no secret).
    assert!(
        start.path.contains("api-version=2025-07-01")
            && start
                .path
                .contains("linkType=Secondary&circuitTestCategory=BgpDisconnect"),
        "{}",
        start.path
    );
    let writes: Vec<&ArmAttempt> = attempts.iter().filter(|a| a.write.is_some()).collect();
    assert!(
        writes
            .last()
            .and_then(|a| a.write.as_ref())
            .is_some_and(|w| {
                w.changes
                    .iter()
                    .any(|c| c.field == "isVerified" && c.to == "true")
            }),
        "{writes:?}"
    );
}

#[tokio::test]
async fn a_start_whose_answer_was_lost_is_not_sent_again() {
    let stub = Stub::start(|s, _, _| match s.method.as_str() {
        "POST" => Act::Reset,
        _ => Act::Reply(404, Vec::new(), String::new()),
    })
    .await;
    let (c, _) = client(&stub);
    let (_, on) = recorder();
    let permit = SendPermit::new();
    let t = c.failover_test_target("ergw").expect("a target");
    let e = c
        .start_failover_test(&t, "Seattle", &on, &permit)
        .await
        .expect_err("the answer was lost");
    assert!(matches!(e, ArmError::Transport(_)), "{e}");
    assert_eq!(stub.seen("POST").len(), 1, "a start is never resent blind");
    // It may have been accepted: only a stop ends it.
    assert_eq!(
        permit.status(),
        cutover_engine::port::WriteStatus::MayBeAccepted
    );
}

#[test]
fn etags_compare_past_their_wrapping() {
    use super::peering::etag_value;
    let guid = "00000000-0000-0000-0000-000000000000";
    for form in [
        format!("W/\"{guid}\""),
        format!("w/\\{guid}\\"),
        format!("\"{guid}\""),
        format!(" {guid} "),
    ] {
        assert_eq!(etag_value(&form), guid, "{form}");
    }
    assert_ne!(etag_value("W/\"1\""), etag_value("W/\"2\""));
}

/// A status URL that answers 202 with no `status` is still running, even
/// with a half-made result in its body; the 200 that follows is the
/// result, unwrapped from `properties` when it sits there.
#[tokio::test]
async fn a_status_less_202_is_running_and_the_200_is_the_result() {
    let stub = Stub::start(|s, n, base| {
        if s.method == "POST" {
            return Act::Reply(
                202,
                vec![(
                    "azure-asyncoperation",
                    format!("{base}/subscriptions/x/operations/op-1?api-version=2024-05-01"),
                )],
                String::new(),
            );
        }
        let route = |p: &str| {
            format!(
                "{{\"network\":\"{p}\",\"nextHop\":\"10.0.0.1\",\"origin\":\"EBgp\",\"sourcePeer\":\"10.0.0.1\",\"asPath\":\"65515\",\"weight\":0}}"
            )
        };
        match n {
            0 => Act::Reply(202, Vec::new(), String::new()),
            1 => Act::Reply(202, Vec::new(), format!("{{\"value\":[{}]}}", route("10.1.0.0/16"))),
            _ => ok(format!(
                "{{\"properties\":{{\"value\":[{},{}]}}}}",
                route("10.1.0.0/16"),
                route("10.2.0.0/16")
            )),
        }
    })
    .await;
    let (c, _) = client(&stub);
    let read = c.learned_routes().await.expect("read");
    let text = format!("{:?}", read);
    assert!(text.contains("10.2.0.0/16"), "{text}");
    assert_eq!(stub.seen("GET").len(), 3, "each 202 was polled again");
}

/// The start's answer is the test id (a JSON string in the spec, a GUID
/// from Azure, a short token from the lab): taken as such; an answer that
/// is free text is refused rather than used as an id in the details URL
/// and the journal. (A body that is not JSON at all never gets here: the
/// operation's result is read as JSON.)
#[tokio::test]
async fn a_start_answer_is_taken_as_the_test_id_only_when_it_is_one() {
    let answers = [
        (
            "\"fe458ae8-d2ae-4520-a104-44bc233bde7e\"",
            Some("fe458ae8-d2ae-4520-a104-44bc233bde7e"),
        ),
        ("{\"testGuid\":\"test-1\"}", Some("test-1")),
        ("\"the test started\"", None),
        ("[\"the test\", \"started\"]", None),
        ("\"a\\\"b\"", None),
        ("{}", None),
    ];
    for (body, want) in answers {
        let body = body.to_string();
        let stub = Stub::start(
            move |s, _, base| match (s.method.as_str(), s.path.as_str()) {
                ("POST", p) if p.contains("/startSiteFailoverTest") => Act::Reply(
                    202,
                    vec![
                        ("location", format!("{base}/result/start")),
                        ("retry-after", "0".into()),
                    ],
                    String::new(),
                ),
                ("GET", "/result/start") => ok(body.clone()),
                _ => Act::Reply(404, Vec::new(), String::new()),
            },
        )
        .await;
        let (c, _) = client(&stub);
        let (_, on) = recorder();
        let t = c.failover_test_target("ergw").expect("a target");
        let got = c
            .start_failover_test(&t, "Seattle", &on, &SendPermit::new())
            .await;
        match (want, got) {
            (Some(id), Ok(got)) => assert_eq!(got, id),
            (None, Err(ArmError::Protocol(_))) => {}
            (want, got) => panic!("{want:?}: {got:?}"),
        }
    }
}
