//! Every `[[arm.fault]]` over a real loopback socket, with a plain
//! HTTP/1.1 client written here (so that a reset or a truncated body is
//! seen as bytes, not through a library's interpretation), each proving
//! the fault hits exactly the nth matching call.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

use crate::SharedWorld;
use crate::arm_server::serve_arm;
use crate::clock::VirtualClock;
use crate::scenario::parse;
use crate::topology::Topology;
use crate::world::{API_VERSION, World};

const TOKEN: &str = "lab-test-token";

struct Lab {
    addr: SocketAddr,
    clock: Arc<VirtualClock>,
    stop: Option<oneshot::Sender<()>>,
    served: tokio::task::JoinHandle<std::io::Result<()>>,
    net: String,
}

/// What came back: `None` status when the connection closed unanswered.
#[derive(Debug)]
struct Answer {
    status: Option<u16>,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

async fn start_lab(faults: &str) -> Lab {
    let text = format!("name = \"t\"\ndescription = \"t\"\n{faults}");
    let scenario = parse("t.toml", &text, &Topology::article()).expect("scenario");
    let clock = Arc::new(VirtualClock::new());
    let mut world = World::new(scenario);
    // ARM's operations as the tests expect them: 3 s, not 20 s.
    world.set_time_scale(crate::TimeScale::TESTS);
    let world = SharedWorld::new(world, clock.clone());
    let net = world.with(|w, _| {
        let a = &w.topology().azure;
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network",
            a.subscription, a.resource_group
        )
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = oneshot::channel::<()>();
    let served = tokio::spawn(serve_arm(world, TOKEN.to_owned(), listener, async {
        let _ = rx.await;
    }));
    Lab {
        addr,
        clock,
        stop: Some(tx),
        served,
        net,
    }
}

impl Lab {
    fn circuit(&self) -> String {
        format!("{}/expressRouteCircuits/SEA-Cust11-ER", self.net)
    }

    fn peering(&self) -> String {
        format!("{}/peerings/AzurePrivatePeering", self.circuit())
    }

    async fn call(&self, method: &str, path: &str, token: &str, body: Option<&str>) -> Answer {
        let sep = if path.contains('?') { '&' } else { '?' };
        let path = if path.contains("api-version") {
            path.to_owned()
        } else {
            format!("{path}{sep}api-version={API_VERSION}")
        };
        let body = body.unwrap_or("");
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n",
            self.addr
        );
        if !body.is_empty() || method == "PUT" || method == "POST" {
            req.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        req.push_str("\r\n");
        req.push_str(body);
        raw(self.addr, req.as_bytes()).await
    }

    async fn get(&self, path: &str) -> Answer {
        self.call("GET", path, TOKEN, None).await
    }

    /// A PUT of the private peering's state under `if_match`.
    async fn put(&self, state: &str, if_match: Option<&str>) -> Answer {
        let body = format!("{{\"properties\":{{\"state\":\"{state}\"}}}}");
        let sep = format!("?api-version={API_VERSION}");
        let path = format!("{}{sep}", self.peering());
        let mut req = format!(
            "PUT {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {TOKEN}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        if let Some(m) = if_match {
            req.push_str(&format!("If-Match: {m}\r\n"));
        }
        req.push_str("\r\n");
        req.push_str(&body);
        raw(self.addr, req.as_bytes()).await
    }

    /// The path (and query) of an absolute URL the lab handed out.
    fn local(url: &str) -> String {
        let rest = url.split_once("://").map_or(url, |(_, r)| r);
        rest.find('/').map_or("/", |i| &rest[i..]).to_owned()
    }

    async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        tokio::time::timeout(Duration::from_secs(5), self.served)
            .await
            .expect("the lab stops, even with a request hanging")
            .expect("join")
            .expect("served");
    }
}

async fn raw(addr: SocketAddr, req: &[u8]) -> Answer {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(req).await.expect("write");
    let mut buf = Vec::new();
    // A reset may surface as an error instead of EOF: both mean "nothing".
    let _ = s.read_to_end(&mut buf).await;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        assert!(text.is_empty(), "a partial answer: {text:?}");
        return Answer {
            status: None,
            headers: Vec::new(),
            body: String::new(),
        };
    };
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok());
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Answer {
        status,
        headers,
        body: body.to_owned(),
    }
}

fn statuses(answers: &[Answer]) -> Vec<Option<u16>> {
    answers.iter().map(|a| a.status).collect()
}

#[tokio::test]
async fn a_status_hits_exactly_the_nth_matching_call() {
    let lab = start_lab(
        r#"
[[arm.fault]]
method = "GET"
resource = "peering"
nth = "2-3"
status = 503

[[arm.fault]]
method = "PUT"
resource = "peering"
nth = 2
status = 429
retry_after_s = 3
"#,
    )
    .await;
    let mut gets = Vec::new();
    for _ in 0..4 {
        gets.push(lab.get(&lab.peering()).await);
        // Other resources do not count toward a peering rule.
        assert_eq!(lab.get(&lab.circuit()).await.status, Some(200));
    }
    assert_eq!(
        statuses(&gets),
        [Some(200), Some(503), Some(503), Some(200)]
    );
    assert_eq!(gets[1].code(), "ServiceUnavailable");

    assert_eq!(lab.put("Disabled", None).await.status, Some(200));
    lab.clock.advance(Duration::from_secs(10));
    let second = lab.put("Enabled", None).await;
    assert_eq!(second.status, Some(429));
    assert_eq!(second.code(), "TooManyRequests");
    assert_eq!(second.header("retry-after"), Some("3"));
    assert!(second.header("x-ms-request-id").is_some(), "ARM's headers");
    // The refused rollback changed nothing; the third PUT goes through.
    assert_eq!(
        lab.get(&lab.peering()).await.json()["properties"]["state"],
        "Disabled"
    );
    assert_eq!(lab.put("Enabled", None).await.status, Some(200));
    lab.stop().await;
}

#[tokio::test]
async fn the_older_peering_put_form_is_the_first_puts() {
    let lab = start_lab(
        r#"
[[arm.peering_put]]
status = 409
code = "AnotherOperationInProgress"

[[arm.peering_put]]
status = 429
code = "RetryableErrorDueToAnotherOperation"
retry_after_s = 5
"#,
    )
    .await;
    let a = lab.put("Disabled", None).await;
    assert_eq!(
        (a.status, a.code()),
        (Some(409), "AnotherOperationInProgress".into())
    );
    let b = lab.put("Disabled", None).await;
    assert_eq!((b.status, b.header("retry-after")), (Some(429), Some("5")));
    assert_eq!(lab.put("Disabled", None).await.status, Some(200));
    lab.stop().await;
}

#[tokio::test]
async fn operation_polls_can_fail_on_their_nth() {
    let lab = start_lab(
        r#"
[[arm.fault]]
resource = "operation"
nth = 2
status = 500
"#,
    )
    .await;
    let put = lab.put("Disabled", None).await;
    let op = Lab::local(put.header("azure-asyncoperation").expect("async op"));
    let first = lab.get(&op).await;
    assert_eq!(first.json()["status"], "InProgress");
    let second = lab.get(&op).await;
    assert_eq!(
        (second.status, second.code()),
        (Some(500), "InternalServerError".into())
    );
    lab.clock.advance(Duration::from_secs(10));
    assert_eq!(lab.get(&op).await.json()["status"], "Succeeded");
    lab.stop().await;
}

#[tokio::test]
async fn latency_delays_every_matching_answer() {
    let lab = start_lab(
        r#"
[[arm.fault]]
resource = "any"
latency_ms = 300

[[arm.fault]]
method = "GET"
resource = "circuit"
nth = 1
latency_ms = 300
status = 503
"#,
    )
    .await;
    let t = Instant::now();
    let a = lab.get(&lab.circuit()).await;
    let first = t.elapsed();
    assert_eq!(a.status, Some(503));
    assert!(
        first >= Duration::from_millis(600),
        "latencies add up: {first:?}"
    );
    let t = Instant::now();
    assert_eq!(lab.get(&lab.peering()).await.status, Some(200));
    let second = t.elapsed();
    assert!(second >= Duration::from_millis(300), "{second:?}");
    // Only the first call met the second rule (its status says so too).
    assert!(second < first, "{second:?} {first:?}");
    lab.stop().await;
}

#[tokio::test]
async fn a_hang_never_answers_and_ends_with_the_lab() {
    let lab = start_lab(
        r#"
[[arm.fault]]
method = "GET"
resource = "peering"
nth = 1
hang = true
"#,
    )
    .await;
    let hung = tokio::time::timeout(Duration::from_millis(700), lab.get(&lab.peering())).await;
    assert!(hung.is_err(), "the first GET hangs: {hung:?}");
    let again = tokio::time::timeout(Duration::from_secs(5), lab.get(&lab.peering()))
        .await
        .expect("the second GET answers");
    assert_eq!(again.status, Some(200));
    // One more hanging request in flight must not hold the shutdown.
    let lab2 = start_lab(
        r#"
[[arm.fault]]
resource = "any"
hang = true
"#,
    )
    .await;
    let (addr, path) = (lab2.addr, lab2.peering());
    let req = format!(
        "GET {path}?api-version={API_VERSION} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {TOKEN}\r\nConnection: close\r\n\r\n"
    );
    let pending = tokio::spawn(async move { raw(addr, req.as_bytes()).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    lab2.stop().await;
    let ended = tokio::time::timeout(Duration::from_secs(5), pending)
        .await
        .expect("the hung request ends with the lab")
        .expect("join");
    assert_eq!(ended.status, Some(503));
    lab.stop().await;
}

#[tokio::test]
async fn a_reset_closes_the_connection_unanswered() {
    let lab = start_lab(
        r#"
[[arm.fault]]
method = "GET"
resource = "circuit"
nth = 2
reset = true
"#,
    )
    .await;
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(lab.get(&lab.circuit()).await);
    }
    assert_eq!(statuses(&got), [Some(200), None, Some(200)]);
    lab.stop().await;
}

#[tokio::test]
async fn a_malformed_body_is_not_json() {
    let lab = start_lab(
        r#"
[[arm.fault]]
method = "GET"
resource = "peering"
nth = 1
malformed = true
"#,
    )
    .await;
    let bad = lab.get(&lab.peering()).await;
    assert_eq!(bad.status, Some(200));
    assert!(bad.body.starts_with('{'), "{}", bad.body);
    assert!(
        serde_json::from_str::<Value>(&bad.body).is_err(),
        "{}",
        bad.body
    );
    let good = lab.get(&lab.peering()).await;
    assert_eq!(good.json()["properties"]["state"], "Enabled");
    lab.stop().await;
}

#[tokio::test]
async fn an_operation_can_end_failed_or_canceled_without_applying() {
    let lab = start_lab(
        r#"
[[arm.fault]]
method = "PUT"
resource = "peering"
nth = 1
operation = "Failed"

[[arm.fault]]
method = "PUT"
resource = "peering"
nth = 2
operation = "Canceled"
"#,
    )
    .await;
    for (end, code, location_status) in [
        ("Failed", "InternalServerError", 500),
        ("Canceled", "Canceled", 409),
    ] {
        let put = lab.put("Disabled", None).await;
        assert_eq!(put.status, Some(200), "{end}: {}", put.body);
        assert_eq!(put.json()["properties"]["provisioningState"], "Updating");
        let op = Lab::local(put.header("azure-asyncoperation").expect("async op"));
        let loc = Lab::local(put.header("location").expect("location"));
        assert_eq!(lab.get(&op).await.json()["status"], "InProgress", "{end}");
        lab.clock.advance(Duration::from_secs(10));
        let done = lab.get(&op).await.json();
        assert_eq!(done["status"], end);
        assert_eq!(done["error"]["code"], code);
        let result = lab.get(&loc).await;
        assert_eq!(
            (result.status, result.code()),
            (Some(location_status), code.to_owned())
        );
        let p = lab.get(&lab.peering()).await.json();
        assert_eq!(p["properties"]["state"], "Enabled", "{end}: not applied");
        assert_eq!(p["properties"]["provisioningState"], "Succeeded");
    }
    // The third PUT is ARM's ordinary one.
    assert_eq!(
        lab.put("Disabled", None).await.json()["properties"]["state"],
        "Disabled"
    );
    lab.stop().await;
}

#[tokio::test]
async fn provisioning_state_can_read_failed() {
    let lab = start_lab(
        r#"
[[arm.fault]]
method = "GET"
resource = "peering"
nth = 2
provisioning_state = "Failed"
"#,
    )
    .await;
    let states: Vec<Value> = [
        lab.get(&lab.peering()).await,
        lab.get(&lab.peering()).await,
        lab.get(&lab.peering()).await,
    ]
    .iter()
    .map(|a| a.json()["properties"]["provisioningState"].clone())
    .collect();
    assert_eq!(states, ["Succeeded", "Failed", "Succeeded"]);
    lab.stop().await;
}

#[tokio::test]
async fn a_concurrent_writer_makes_the_put_meet_412() {
    let lab = start_lab(
        r#"
[[arm.fault]]
method = "PUT"
resource = "peering"
nth = 1
concurrent_writer = true
"#,
    )
    .await;
    let read = lab.get(&lab.peering()).await;
    let etag = read.header("etag").expect("etag").to_owned();
    let put = lab.put("Disabled", Some(&etag)).await;
    assert_eq!(
        (put.status, put.code()),
        (Some(412), "PreconditionFailed".into())
    );
    let again = lab.get(&lab.peering()).await;
    let fresh = again.header("etag").expect("etag").to_owned();
    assert_ne!(fresh, etag, "someone else wrote it");
    assert_eq!(
        again.json()["properties"]["state"],
        "Enabled",
        "only the etag moved"
    );
    assert_eq!(lab.put("Disabled", Some(&fresh)).await.status, Some(200));
    lab.stop().await;
}

#[tokio::test]
async fn a_token_expires_after_n_calls_and_a_fresh_one_works() {
    let lab = start_lab(
        r#"
[[arm.fault]]
token_expires_after = 2
"#,
    )
    .await;
    assert_eq!(lab.get(&lab.circuit()).await.status, Some(200));
    assert_eq!(lab.get(&lab.peering()).await.status, Some(200));
    let expired = lab.get(&lab.circuit()).await;
    assert_eq!(
        (expired.status, expired.code()),
        (Some(401), "ExpiredAuthenticationToken".into())
    );
    assert!(
        expired
            .header("www-authenticate")
            .is_some_and(|h| h.contains("invalid_token")),
        "{:?}",
        expired.headers
    );
    // Entra ID's client-credentials grant, the lab's token as the secret.
    let form = |secret: &str| {
        format!(
            "grant_type=client_credentials&client_id=lab&client_secret={secret}&scope=https%3A%2F%2Fmanagement.azure.com%2F.default"
        )
    };
    let bad = lab
        .call(
            "POST",
            "/tenant/oauth2/v2.0/token",
            "",
            Some(&form("wrong")),
        )
        .await;
    assert_eq!(bad.status, Some(401));
    assert_eq!(bad.json()["error"], "invalid_client");
    let issued = lab
        .call("POST", "/tenant/oauth2/v2.0/token", "", Some(&form(TOKEN)))
        .await;
    assert_eq!(issued.status, Some(200), "{}", issued.body);
    let fresh = issued.json()["access_token"]
        .as_str()
        .expect("a token")
        .to_owned();
    assert_eq!(issued.json()["token_type"], "Bearer");
    let with = |t: &str| {
        let t = t.to_owned();
        let path = lab.circuit();
        let lab = &lab;
        async move { lab.call("GET", &path, &t, None).await.status }
    };
    assert_eq!(with(&fresh).await, Some(200));
    assert_eq!(with(&fresh).await, Some(200));
    assert_eq!(with(&fresh).await, Some(401), "the fresh one expires too");
    assert_eq!(with("forged").await, Some(401));
    lab.stop().await;
}
