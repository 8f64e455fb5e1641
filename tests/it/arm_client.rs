//! The ARM client's wire behaviour, against a scripted ARM double served by
//! axum on 127.0.0.1 inside each test. The double checks what every ARM
//! request must carry (the bearer token, `api-version`) and answers with
//! the fixtures under `tests/fixtures/arm/synthetic`. Backoff and polling
//! run on a virtual clock: a `Retry-After: 17` is asserted on, never
//! waited for.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use futures::future::BoxFuture;
use serde_json::{Value, json};

use cutover_clients::arm::{ArmClient, ArmOptions, BearerToken, Clock, RetryPolicy, TokenSource};
use cutover_core::inventory::{Azure, Credential};
use cutover_core::model::azure::{PeeringState, ProvisioningState};
use cutover_engine::port::{ArmAttempt, ArmError, AzureApi, SendPermit};

const SUB: &str = "00000000-0000-0000-0000-000000000000";
const NET: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-er-lab/providers/Microsoft.Network";
const ENABLED_ETAG: &str = "W/\"3c7e9a52-1f4b-4d6e-9b8a-5e2d7c1f0a11\"";

fn peering_path(name: &str) -> String {
    format!("{NET}/expressRouteCircuits/er-circuit-11/peerings/{name}")
}

fn private_path() -> String {
    peering_path("AzurePrivatePeering")
}

fn gateway_path(action: &str) -> String {
    format!("{NET}/virtualNetworkGateways/vpngw-hub-11/{action}")
}

/// An absolute URL on the double for an operation or result.
fn op_url(base: &str, kind: &str, id: &str) -> String {
    format!(
        "{base}/subscriptions/{SUB}/providers/Microsoft.Network/locations/westus2/{kind}/{id}?api-version=2024-05-01"
    )
}

fn op_path(kind: &str, id: &str) -> String {
    format!("/subscriptions/{SUB}/providers/Microsoft.Network/locations/westus2/{kind}/{id}")
}

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/arm/synthetic/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn fixture_json(name: &str) -> Value {
    serde_json::from_str(&fixture(name)).expect("fixture is JSON")
}

/// The enabled private peering with another etag (someone changed it).
fn enabled_with_etag(etag: &str) -> String {
    let mut v = fixture_json("peering-get-private-enabled.json");
    v["etag"] = json!(etag);
    v.to_string()
}

// ---------------------------------------------------------------------------
// The ARM double

/// One request as the double received it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    body: String,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What the double answers.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

fn reply(status: u16, body: impl Into<String>) -> Reply {
    Reply {
        status,
        headers: Vec::new(),
        body: body.into(),
    }
}

fn ok(body: impl Into<String>) -> Reply {
    reply(200, body)
}

impl Reply {
    fn with(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }
}

/// The script: the request, how many times this method + path was asked
/// before (0 for the first), and the double's base URL.
type Script = dyn Fn(&Seen, usize, &str) -> Reply + Send + Sync;

struct Double {
    base: String,
    token: String,
    seen: Mutex<Vec<Seen>>,
    counts: Mutex<HashMap<String, usize>>,
    script: Box<Script>,
}

impl Double {
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }

    fn requests(&self, method: &str) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| s.method == method)
            .collect()
    }
}

async fn handle(
    State(d): State<Arc<Double>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    let query = uri
        .query()
        .map(|q| url_pairs(q).into_iter().collect::<Vec<(String, String)>>())
        .unwrap_or_default();
    let seen = Seen {
        method: method.to_string(),
        path: uri.path().to_owned(),
        query,
        headers,
        body,
    };
    let serial = {
        let mut all = d.seen.lock().expect("lock");
        all.push(seen.clone());
        all.len()
    };
    let r = if seen.header("authorization") != Some(format!("Bearer {}", d.token).as_str()) {
        reply(401, fixture("error-401-invalid-authentication-token.json")).with(
            "WWW-Authenticate",
            "Bearer authorization_uri=\"https://login.example\"",
        )
    } else if seen.param("api-version").is_none() {
        reply(
            400,
            json!({"error": {"code": "MissingApiVersionParameter",
                "message": "The api-version query parameter (?api-version=) is required for all requests."}})
            .to_string(),
        )
    } else {
        let n = {
            let mut counts = d.counts.lock().expect("lock");
            let c = counts
                .entry(format!("{} {}", seen.method, seen.path))
                .or_insert(0);
            *c += 1;
            *c - 1
        };
        (d.script)(&seen, n, &d.base)
    };
    let mut b = Response::builder()
        .status(r.status)
        .header("content-type", "application/json; charset=utf-8")
        .header("x-ms-request-id", format!("req-{serial}"))
        .header("x-ms-correlation-request-id", format!("corr-{serial}"));
    for (k, v) in r.headers {
        b = b.header(k, v);
    }
    b.body(Body::from(r.body)).expect("scripted response")
}

/// Splits a query string into decoded pairs.
fn url_pairs(q: &str) -> Vec<(String, String)> {
    let url = reqwest::Url::parse(&format!("http://x/?{q}")).expect("query");
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

async fn start(
    token: &str,
    script: impl Fn(&Seen, usize, &str) -> Reply + Send + Sync + 'static,
) -> Arc<Double> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let d = Arc::new(Double {
        base,
        token: token.to_owned(),
        seen: Mutex::new(Vec::new()),
        counts: Mutex::new(HashMap::new()),
        script: Box::new(script),
    });
    let app = Router::new().fallback(handle).with_state(d.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    d
}

fn unscripted(s: &Seen) -> Reply {
    reply(
        418,
        json!({"error": {"code": "Unscripted", "message": format!("{} {}", s.method, s.path)}})
            .to_string(),
    )
}

// ---------------------------------------------------------------------------
// The client side

/// A fixed token whose `Debug` does not print it.
struct Fixed(String);

impl std::fmt::Debug for Fixed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fixed(<redacted>)")
    }
}

impl TokenSource for Fixed {
    fn token<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<BearerToken, ArmError>> {
        Box::pin(async move { Ok(BearerToken::new(self.0.clone(), None)) })
    }
}

/// Time that passes only when the client sleeps; every sleep is recorded.
#[derive(Debug)]
struct VirtualClock {
    start: Instant,
    slept: Mutex<Vec<Duration>>,
}

impl VirtualClock {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            start: Instant::now(),
            slept: Mutex::new(Vec::new()),
        })
    }

    fn sleeps(&self) -> Vec<Duration> {
        self.slept.lock().expect("lock").clone()
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> Instant {
        self.start + self.slept.lock().expect("lock").iter().sum::<Duration>()
    }

    fn sleep(&self, d: Duration) -> BoxFuture<'static, ()> {
        self.slept.lock().expect("lock").push(d);
        Box::pin(tokio::task::yield_now())
    }
}

fn azure(endpoint: &str) -> Azure {
    Azure {
        endpoint: endpoint.to_owned(),
        subscription: SUB.into(),
        resource_group: "rg-er-lab".into(),
        circuit: "er-circuit-11".into(),
        peering: "AzurePrivatePeering".into(),
        gateway: "vpngw-hub-11".into(),
        connection: "cn-onprem-11".into(),
        credential: Credential::TokenEnv,
        token_env: Some("CUTOVER_ARM_TOKEN_NOT_USED_HERE".into()),
        tenant_id: None,
        client_id: None,
        client_secret_env: None,
        api_version: "2024-05-01".into(),
        request_timeout: None,
    }
}

const TOKEN: &str = "tok-3f1e-double";

fn client_for(az: Azure, options: ArmOptions) -> (ArmClient, Arc<VirtualClock>) {
    let clock = VirtualClock::new();
    let c = ArmClient::with_token_source(&az, options, Arc::new(Fixed(TOKEN.into())))
        .expect("client")
        .with_clock(clock.clone());
    (c, clock)
}

fn client(d: &Double) -> (ArmClient, Arc<VirtualClock>) {
    client_for(azure(&d.base), ArmOptions::default())
}

/// Collects what `on_attempt` sees.
#[derive(Default)]
struct Attempts(Mutex<Vec<ArmAttempt>>);

impl Attempts {
    fn push(&self, a: &ArmAttempt) {
        self.0.lock().expect("lock").push(a.clone());
    }

    fn all(&self) -> Vec<ArmAttempt> {
        self.0.lock().expect("lock").clone()
    }
}

/// The happy path of a peering change: GET enabled, PUT accepted with an
/// Azure-AsyncOperation, the operation InProgress once then Succeeded,
/// GET disabled.
fn disable_script(
    put: impl Fn(&Seen, usize, &str) -> Reply + Send + Sync + 'static,
) -> impl Fn(&Seen, usize, &str) -> Reply + Send + Sync + 'static {
    move |s, n, base| match (s.method.as_str(), s.path.as_str()) {
        ("GET", p) if p == private_path() => {
            if n == 0 {
                ok(fixture("peering-get-private-enabled.json")).with("ETag", ENABLED_ETAG)
            } else {
                ok(fixture("peering-get-private-disabled.json"))
            }
        }
        ("PUT", p) if p == private_path() => put(s, n, base),
        ("GET", p) if p == op_path("operations", "op-1") => {
            if n == 0 {
                ok(fixture("asyncop-inprogress.json"))
            } else {
                ok(fixture("asyncop-succeeded.json"))
            }
        }
        _ => unscripted(s),
    }
}

fn put_accepted(base: &str) -> Reply {
    ok(fixture("peering-put-response-updating.json"))
        .with("Azure-AsyncOperation", op_url(base, "operations", "op-1"))
        .with("Retry-After", "10")
}

// ---------------------------------------------------------------------------
// Tests

#[tokio::test]
async fn every_request_carries_the_token_api_version_and_a_fresh_client_request_id() {
    let d = start(TOKEN, |s, _, _| {
        if s.method == "GET" && s.path == private_path() {
            ok(fixture("peering-get-private-enabled.json"))
        } else {
            unscripted(s)
        }
    })
    .await;
    let (c, _) = client(&d);
    let first = c.get_peering().await.expect("first read");
    let second = c.get_peering().await.expect("second read");

    let seen = d.seen();
    assert_eq!(seen.len(), 2);
    for s in &seen {
        assert_eq!(
            s.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert_eq!(s.param("api-version"), Some("2024-05-01"));
        let id = s
            .header("x-ms-client-request-id")
            .expect("client request id");
        assert_eq!(
            uuid::Uuid::parse_str(id).expect("a uuid").get_version_num(),
            4
        );
    }
    assert_ne!(
        seen[0].header("x-ms-client-request-id"),
        seen[1].header("x-ms-client-request-id")
    );
    assert_eq!(
        first.ids.client_request_id.as_deref(),
        seen[0].header("x-ms-client-request-id")
    );
    assert_eq!(first.ids.request_id.as_deref(), Some("req-1"));
    assert_eq!(first.ids.correlation_id.as_deref(), Some("corr-1"));
    assert_eq!(second.ids.request_id.as_deref(), Some("req-2"));
    assert_eq!(first.raw, fixture("peering-get-private-enabled.json"));
    assert_eq!(first.value.state(), Some(&PeeringState::Enabled));
    assert_eq!(first.value.etag.as_deref(), Some(ENABLED_ETAG));

    // The double's checks are live: without api-version it refuses.
    let bare = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!("{}{}", d.base, private_path()))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status().as_u16(), 400);
}

#[tokio::test]
async fn the_inventory_api_version_is_sent() {
    let d = start(TOKEN, |s, _, _| {
        if s.param("api-version") == Some("2023-09-01") && s.path == private_path() {
            ok(fixture("peering-get-private-enabled.json"))
        } else {
            unscripted(s)
        }
    })
    .await;
    let mut az = azure(&d.base);
    az.api_version = "2023-09-01".into();
    let (c, _) = client_for(az, ArmOptions::default());
    c.get_peering().await.expect("read");
}

#[tokio::test]
async fn a_refused_token_is_an_auth_error_after_one_fresh_token() {
    let d = start("the-right-token", |s, _, _| unscripted(s)).await;
    let (c, clock) = client(&d);
    let e = c.get_peering().await.expect_err("401");
    match &e {
        ArmError::Auth(m) => {
            assert!(m.contains("InvalidAuthenticationToken"), "{m}");
            assert!(m.contains("The access token is invalid."), "{m}");
        }
        other => panic!("expected Auth, got {other:?}"),
    }
    // One retry with a newly fetched token, no backoff, then the verdict.
    assert_eq!(d.seen().len(), 2);
    assert!(clock.sleeps().is_empty());
}

#[tokio::test]
async fn disable_puts_only_the_private_peering_by_name_with_its_etag() {
    let d = start(TOKEN, disable_script(|_, _, base| put_accepted(base))).await;
    let (c, clock) = client(&d);
    let attempts = Attempts::default();
    let change = c
        .set_peering_state(
            PeeringState::Disabled,
            &|a| attempts.push(a),
            &SendPermit::new(),
        )
        .await
        .expect("disabled");

    // Never listed, never touched MicrosoftPeering: addressed by name.
    for s in d.seen() {
        assert!(!s.path.contains("MicrosoftPeering"), "{}", s.path);
        assert!(!s.path.ends_with("/peerings"), "{}", s.path);
    }
    let puts = d.requests("PUT");
    assert_eq!(puts.len(), 1);
    let put = &puts[0];
    assert_eq!(put.path, private_path());
    assert_eq!(put.header("if-match"), Some(ENABLED_ETAG));
    assert!(
        put.header("content-type")
            .is_some_and(|t| t.starts_with("application/json"))
    );
    let body: Value = serde_json::from_str(&put.body).expect("PUT body is JSON");
    assert_eq!(body, fixture_json("peering-put-request-disable.json"));

    assert_eq!(change.before.state(), Some(&PeeringState::Enabled));
    assert_eq!(change.after.state(), Some(&PeeringState::Disabled));
    assert_eq!(
        change.after.provisioning_state(),
        Some(&ProvisioningState::Succeeded)
    );
    let seen: Vec<(String, u16)> = attempts
        .all()
        .iter()
        .map(|a| (a.method.clone(), a.status))
        .collect();
    let expect: Vec<(String, u16)> = [
        ("GET", 200),
        ("PUT", 200),
        ("GET", 200),
        ("GET", 200),
        ("GET", 200),
    ]
    .iter()
    .map(|(m, s)| ((*m).to_owned(), *s))
    .collect();
    assert_eq!(seen, expect);
    assert_eq!(change.attempts, attempts.all());
    let put_attempt = &attempts.all()[1];
    assert_eq!(
        put_attempt.path,
        format!("{}?api-version=2024-05-01", private_path())
    );
    assert_eq!(put_attempt.ids.request_id.as_deref(), Some("req-2"));
    // The PUT's Retry-After paced the first poll, the InProgress answer
    // (no Retry-After) the default poll interval.
    assert_eq!(
        clock.sleeps(),
        [
            Duration::from_secs(10),
            RetryPolicy::default().poll_interval
        ]
    );
}

#[tokio::test]
async fn conflict_then_throttling_then_success_is_retried_and_reported() {
    let d = start(
        TOKEN,
        disable_script(|_, n, base| match n {
            0 => reply(409, fixture("error-409-another-operation-in-progress.json")),
            1 => reply(429, fixture("error-429-retryable-another-operation.json"))
                .with("Retry-After", "17"),
            _ => put_accepted(base),
        }),
    )
    .await;
    let (c, clock) = client(&d);
    let attempts = Attempts::default();
    let change = c
        .set_peering_state(
            PeeringState::Disabled,
            &|a| attempts.push(a),
            &SendPermit::new(),
        )
        .await
        .expect("succeeds after the retries");
    assert_eq!(change.after.state(), Some(&PeeringState::Disabled));

    let puts: Vec<ArmAttempt> = attempts
        .all()
        .into_iter()
        .filter(|a| a.method == "PUT")
        .collect();
    assert_eq!(
        puts.iter().map(|a| a.status).collect::<Vec<_>>(),
        [409, 429, 200]
    );
    assert_eq!(
        puts.iter()
            .map(|a| a.error_code.as_deref())
            .collect::<Vec<_>>(),
        [
            Some("AnotherOperationInProgress"),
            Some("RetryableErrorDueToAnotherOperation"),
            None
        ]
    );
    // No Retry-After on the 409: jittered backoff from the 1 s base.
    let first = puts[0].retry_after_ms.expect("a wait after the 409");
    assert!((500..=1000).contains(&first), "{first}");
    // Retry-After: 17 honoured.
    assert_eq!(puts[1].retry_after_ms, Some(17_000));
    assert_eq!(puts[2].retry_after_ms, None);
    assert!(clock.sleeps().contains(&Duration::from_secs(17)));
    let if_matches: Vec<Option<String>> = d
        .requests("PUT")
        .iter()
        .map(|s| s.header("if-match").map(str::to_owned))
        .collect();
    assert_eq!(if_matches, vec![Some(ENABLED_ETAG.to_owned()); 3]);
    // Each attempt has its own client request id.
    let ids: std::collections::HashSet<_> = puts
        .iter()
        .map(|a| a.ids.client_request_id.clone())
        .collect();
    assert_eq!(ids.len(), 3);
}

#[tokio::test]
async fn a_stale_etag_is_read_again_once_and_put_with_the_new_one() {
    const NEW_ETAG: &str = "W/\"99999999-0000-4000-8000-000000000001\"";
    let d = start(TOKEN, |s, n, base| {
        match (s.method.as_str(), s.path.as_str()) {
            ("GET", p) if p == private_path() => match n {
                0 => ok(fixture("peering-get-private-enabled.json")),
                1 => ok(enabled_with_etag(NEW_ETAG)),
                _ => ok(fixture("peering-get-private-disabled.json")),
            },
            ("PUT", p) if p == private_path() => {
                if s.header("if-match") == Some(NEW_ETAG) {
                    put_accepted(base)
                } else {
                    reply(412, fixture("error-412-precondition-failed.json"))
                }
            }
            ("GET", p) if p == op_path("operations", "op-1") => {
                ok(fixture("asyncop-succeeded.json"))
            }
            _ => unscripted(s),
        }
    })
    .await;
    let (c, _) = client(&d);
    let attempts = Attempts::default();
    let change = c
        .set_peering_state(
            PeeringState::Disabled,
            &|a| attempts.push(a),
            &SendPermit::new(),
        )
        .await
        .expect("second PUT succeeds");
    assert_eq!(change.after.state(), Some(&PeeringState::Disabled));
    let if_matches: Vec<Option<String>> = d
        .requests("PUT")
        .iter()
        .map(|s| s.header("if-match").map(str::to_owned))
        .collect();
    assert_eq!(
        if_matches,
        [Some(ENABLED_ETAG.to_owned()), Some(NEW_ETAG.to_owned())]
    );
    let puts: Vec<(u16, Option<String>)> = attempts
        .all()
        .into_iter()
        .filter(|a| a.method == "PUT")
        .map(|a| (a.status, a.error_code))
        .collect();
    assert_eq!(
        puts,
        [(412, Some("PreconditionFailed".to_owned())), (200, None)]
    );
}

#[tokio::test]
async fn a_stale_etag_on_a_peering_already_in_the_wanted_state_stops_putting() {
    let d = start(TOKEN, |s, n, _| {
        match (s.method.as_str(), s.path.as_str()) {
            ("GET", p) if p == private_path() => {
                if n == 0 {
                    ok(fixture("peering-get-private-enabled.json"))
                } else {
                    ok(fixture("peering-get-private-disabled.json"))
                }
            }
            ("PUT", _) => reply(412, fixture("error-412-precondition-failed.json")),
            _ => unscripted(s),
        }
    })
    .await;
    let (c, _) = client(&d);
    let change = c
        .set_peering_state(PeeringState::Disabled, &|_| {}, &SendPermit::new())
        .await
        .expect("already disabled by someone");
    assert_eq!(d.requests("PUT").len(), 1);
    assert_eq!(change.after.state(), Some(&PeeringState::Disabled));
}

#[tokio::test]
async fn a_second_stale_etag_is_precondition_failed() {
    let d = start(TOKEN, |s, n, _| {
        match (s.method.as_str(), s.path.as_str()) {
            ("GET", p) if p == private_path() => ok(enabled_with_etag(&format!("W/\"etag-{n}\""))),
            ("PUT", _) => reply(412, fixture("error-412-precondition-failed.json")),
            _ => unscripted(s),
        }
    })
    .await;
    let (c, _) = client(&d);
    let e = c
        .set_peering_state(PeeringState::Disabled, &|_| {}, &SendPermit::new())
        .await
        .expect_err("gives up");
    assert!(matches!(e, ArmError::PreconditionFailed(_)), "{e:?}");
    let puts = d.requests("PUT");
    assert_eq!(puts.len(), 2);
    assert_eq!(puts[0].header("if-match"), Some("W/\"etag-0\""));
    assert_eq!(puts[1].header("if-match"), Some("W/\"etag-1\""));
}

#[tokio::test]
async fn a_missing_peering_is_not_found_and_nothing_is_put() {
    let d = start(TOKEN, |s, _, _| {
        if s.method == "GET" {
            reply(404, fixture("error-404-resource-not-found.json"))
        } else {
            ok("{}")
        }
    })
    .await;
    let (c, _) = client(&d);
    let e = c
        .set_peering_state(PeeringState::Disabled, &|_| {}, &SendPermit::new())
        .await
        .expect_err("404");
    match &e {
        ArmError::NotFound(m) => assert!(m.contains("ResourceNotFound"), "{m}"),
        other => panic!("expected NotFound, got {other:?}"),
    }
    assert_eq!(d.seen().len(), 1);
    assert!(d.requests("PUT").is_empty());
}

#[tokio::test]
async fn the_microsoft_peering_is_refused_without_a_put() {
    let d = start(TOKEN, |s, _, _| {
        if s.method == "GET" && s.path == peering_path("MicrosoftPeering") {
            let list = fixture_json("peering-list-microsoft-first.json");
            ok(list["value"][0].to_string())
        } else {
            ok("{}")
        }
    })
    .await;
    let mut az = azure(&d.base);
    az.peering = "MicrosoftPeering".into();
    let (c, _) = client_for(az, ArmOptions::default());
    let e = c
        .set_peering_state(PeeringState::Disabled, &|_| {}, &SendPermit::new())
        .await
        .expect_err("refused");
    match &e {
        ArmError::Refused(m) => assert!(m.contains("MicrosoftPeering"), "{m}"),
        other => panic!("expected Refused, got {other:?}"),
    }
    assert!(d.requests("PUT").is_empty());
}

#[tokio::test]
async fn a_peering_already_in_the_wanted_state_gets_no_put() {
    let d = start(TOKEN, |s, _, _| {
        if s.method == "GET" && s.path == private_path() {
            ok(fixture("peering-get-private-disabled.json"))
        } else {
            ok("{}")
        }
    })
    .await;
    let (c, _) = client(&d);
    let attempts = Attempts::default();
    let change = c
        .set_peering_state(
            PeeringState::Disabled,
            &|a| attempts.push(a),
            &SendPermit::new(),
        )
        .await
        .expect("nothing to do");
    assert!(d.requests("PUT").is_empty());
    assert_eq!(change.before, change.after);
    assert_eq!(
        attempts
            .all()
            .iter()
            .map(|a| (a.method.as_str(), a.status))
            .collect::<Vec<_>>(),
        [("GET", 200)]
    );
}

#[tokio::test]
async fn a_failed_or_canceled_operation_is_operation_failed() {
    for (file, code) in [
        ("asyncop-failed.json", "InternalServerError"),
        ("asyncop-canceled.json", "Canceled"),
    ] {
        let d = start(TOKEN, move |s, n, base| {
            match (s.method.as_str(), s.path.as_str()) {
                ("GET", p) if p == private_path() && n == 0 => {
                    ok(fixture("peering-get-private-enabled.json"))
                }
                ("PUT", _) => put_accepted(base),
                ("GET", p) if p == op_path("operations", "op-1") => ok(fixture(file)),
                _ => unscripted(s),
            }
        })
        .await;
        let (c, _) = client(&d);
        let e = c
            .set_peering_state(PeeringState::Disabled, &|_| {}, &SendPermit::new())
            .await
            .expect_err("the operation failed");
        match &e {
            ArmError::OperationFailed(m) => assert!(m.contains(code), "{file}: {m}"),
            other => panic!("{file}: expected OperationFailed, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_post_read_follows_location_until_the_result() {
    let d = start(TOKEN, |s, n, base| {
        match (s.method.as_str(), s.path.as_str()) {
            ("POST", p) if p == gateway_path("getLearnedRoutes") => reply(202, "")
                .with("Location", op_url(base, "operationResults", "r-1"))
                .with("Retry-After", "10"),
            ("GET", p) if p == op_path("operationResults", "r-1") => {
                if n == 0 {
                    reply(202, "").with("Retry-After", "3")
                } else {
                    ok(fixture("gateway-learned-routes.json"))
                }
            }
            _ => unscripted(s),
        }
    })
    .await;
    let (c, clock) = client(&d);
    let read = c.learned_routes().await.expect("routes");
    assert_eq!(read.raw, fixture("gateway-learned-routes.json"));
    let expected = fixture_json("gateway-learned-routes.json")["value"]
        .as_array()
        .map(Vec::len)
        .unwrap();
    assert_eq!(read.value.value.len(), expected);
    assert!(expected > 0);
    let post = &d.requests("POST")[0];
    assert_eq!(post.header("content-length"), Some("0"));
    assert_eq!(
        clock.sleeps(),
        [Duration::from_secs(10), Duration::from_secs(3)]
    );
}

#[tokio::test]
async fn a_post_read_with_only_an_async_operation_reads_its_result_location() {
    let d = start(TOKEN, |s, n, base| {
        match (s.method.as_str(), s.path.as_str()) {
            ("POST", p) if p == gateway_path("getBgpPeerStatus") => {
                reply(202, "").with("Azure-AsyncOperation", op_url(base, "operations", "b-1"))
            }
            ("GET", p) if p == op_path("operations", "b-1") => {
                if n == 0 {
                    ok(fixture("asyncop-inprogress.json"))
                } else {
                    ok(json!({"status": "Succeeded",
                    "resourceLocation": op_url(base, "operationResults", "b-1")})
                    .to_string())
                }
            }
            ("GET", p) if p == op_path("operationResults", "b-1") => {
                ok(fixture("gateway-bgp-peer-status.json"))
            }
            _ => unscripted(s),
        }
    })
    .await;
    let (c, _) = client(&d);
    let read = c.bgp_peer_status().await.expect("peers");
    assert_eq!(read.value.value.len(), 2);
    assert_eq!(read.raw, fixture("gateway-bgp-peer-status.json"));
}

#[tokio::test]
async fn a_post_read_with_only_an_async_operation_takes_an_inline_result() {
    let d = start(TOKEN, |s, _, base| {
        match (s.method.as_str(), s.path.as_str()) {
            ("POST", p) if p == gateway_path("getAdvertisedRoutes") => {
                if s.param("peer") == Some("192.168.11.88") {
                    reply(202, "").with("Azure-AsyncOperation", op_url(base, "operations", "a-1"))
                } else {
                    reply(400, fixture("error-400-invalid-request-format.json"))
                }
            }
            ("GET", p) if p == op_path("operations", "a-1") => ok(json!({
                "status": "Succeeded",
                "properties": fixture_json("gateway-advertised-routes-192.168.11.88.json")
            })
            .to_string()),
            _ => unscripted(s),
        }
    })
    .await;
    let (c, _) = client(&d);
    let read = c
        .advertised_routes("192.168.11.88".parse().unwrap())
        .await
        .expect("routes");
    assert_eq!(read.value.value.len(), 4);
}

#[tokio::test]
async fn a_server_error_on_a_read_is_retried() {
    let d = start(TOKEN, |s, n, _| {
        if s.method == "GET" && s.path == format!("{NET}/expressRouteCircuits/er-circuit-11") {
            if n == 0 {
                reply(
                    500,
                    json!({"error": {"code": "InternalServerError", "message": "try again"}})
                        .to_string(),
                )
            } else {
                ok(fixture("circuit-get-two-peerings.json"))
            }
        } else {
            unscripted(s)
        }
    })
    .await;
    let (c, clock) = client(&d);
    let read = c.get_circuit().await.expect("circuit after a retry");
    assert_eq!(d.seen().len(), 2);
    assert!(read.value.peering_by_name("AzurePrivatePeering").is_some());
    let sleeps = clock.sleeps();
    assert_eq!(sleeps.len(), 1);
    assert!(
        sleeps[0] >= Duration::from_millis(500) && sleeps[0] <= Duration::from_secs(1),
        "{sleeps:?}"
    );
}

#[tokio::test]
async fn throttling_past_the_budget_gives_up_with_a_timeout() {
    let d = start(TOKEN, |_, _, _| {
        reply(429, fixture("error-429-too-many-requests.json")).with("Retry-After", "17")
    })
    .await;
    let options = ArmOptions {
        retry: RetryPolicy {
            read_budget: Duration::from_secs(60),
            ..RetryPolicy::default()
        },
        ..ArmOptions::default()
    };
    let (c, clock) = client_for(azure(&d.base), options);
    let e = c.get_connection().await.expect_err("budget spent");
    match &e {
        ArmError::Timeout(m) => assert!(m.contains("TooManyRequests"), "{m}"),
        other => panic!("expected Timeout, got {other:?}"),
    }
    // At 0, 17, 34 and 51 s; the next would be at 68 s, past 60 s.
    assert_eq!(d.seen().len(), 4);
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(17); 3]);
}

#[tokio::test]
async fn a_zero_retry_after_forever_ends_at_the_budget_not_in_a_busy_loop() {
    let d = start(TOKEN, |s, _, base| match s.method.as_str() {
        "POST" => reply(202, "")
            .with("Location", op_url(base, "operationResults", "z"))
            .with("Retry-After", "0"),
        _ => reply(202, "").with("Retry-After", "0"),
    })
    .await;
    let options = ArmOptions {
        retry: RetryPolicy {
            read_budget: Duration::from_secs(10),
            ..RetryPolicy::default()
        },
        ..ArmOptions::default()
    };
    let (c, clock) = client_for(azure(&d.base), options);
    let e = c.learned_routes().await.expect_err("never finishes");
    assert!(matches!(e, ArmError::Timeout(_)), "{e:?}");
    let min = RetryPolicy::default().min_wait;
    let sleeps = clock.sleeps();
    assert!(sleeps.iter().all(|s| *s == min), "{sleeps:?}");
    // 10 s of polls at least 0.5 s apart: the POST and 20 polls.
    assert_eq!(d.seen().len(), 21);
}

#[tokio::test]
async fn links_to_another_host_are_never_followed() {
    let d = start(TOKEN, |s, _, _| {
        if s.method == "POST" {
            reply(202, "").with(
                "Location",
                op_url("https://management.azure.com", "operationResults", "x"),
            )
        } else {
            unscripted(s)
        }
    })
    .await;
    let (c, _) = client(&d);
    let e = c.learned_routes().await.expect_err("refused");
    match &e {
        ArmError::Protocol(m) => assert!(m.contains("management.azure.com"), "{m}"),
        other => panic!("expected Protocol, got {other:?}"),
    }
    assert_eq!(d.seen().len(), 1);
}

#[tokio::test]
async fn manual_commands_name_the_peering() {
    let d = start(TOKEN, |s, _, _| unscripted(s)).await;
    let (c, _) = client(&d);
    let m = c.manual_commands(PeeringState::Disabled);
    assert!(
        m.az_cli
            .contains("--name AzurePrivatePeering --set state=Disabled")
    );
    assert!(
        m.powershell
            .contains("Where-Object Name -eq 'AzurePrivatePeering').State = 'Disabled'")
    );
    assert!(d.seen().is_empty());
}

/// Run by `token_env_credential_reads_the_variable` in a child process
/// with the variable set (a test cannot set one in its own process: that
/// is `unsafe`, and the crate forbids it). Run on its own, the variable is
/// unset, and the client must fail before sending anything.
#[tokio::test]
async fn token_env_child() {
    let parent = (
        std::env::var("CUTOVER_ARM_CHILD_ENDPOINT"),
        std::env::var("CUTOVER_ARM_CHILD_VAR"),
    );
    if let (Ok(endpoint), Ok(var)) = parent {
        let mut az = azure(&endpoint);
        az.token_env = Some(var);
        let c = ArmClient::new(&az).expect("client from the inventory");
        let read = c
            .get_peering()
            .await
            .expect("read with the token from the environment");
        assert_eq!(read.value.state(), Some(&PeeringState::Enabled));
        return;
    }
    let d = start(TOKEN, |s, _, _| unscripted(s)).await;
    let var = format!("CUTOVER_ARM_TEST_UNSET_{}", uuid::Uuid::new_v4().simple());
    let mut az = azure(&d.base);
    az.token_env = Some(var.clone());
    let c = ArmClient::new(&az).expect("client from the inventory");
    let e = c.get_peering().await.expect_err("no token");
    match &e {
        ArmError::Auth(m) => assert!(m.contains(&var), "{m}"),
        other => panic!("expected Auth, got {other:?}"),
    }
    assert!(d.seen().is_empty());
}

#[tokio::test]
async fn token_env_credential_reads_the_variable() {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let token = format!("env-token-{id}");
    let var = format!("CUTOVER_ARM_TEST_TOKEN_{}", id.to_uppercase());
    let d = start(&token, |s, _, _| {
        if s.method == "GET" && s.path == private_path() {
            ok(fixture("peering-get-private-enabled.json"))
        } else {
            unscripted(s)
        }
    })
    .await;
    let out = tokio::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([
            test_name("token_env_child").as_str(),
            "--exact",
            "--test-threads=1",
        ])
        .env(&var, &token)
        .env("CUTOVER_ARM_CHILD_ENDPOINT", &d.base)
        .env("CUTOVER_ARM_CHILD_VAR", &var)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("1 passed"), "{stdout}");
    let seen = d.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].header("authorization"),
        Some(format!("Bearer {token}").as_str())
    );
}

/// A `MakeWriter` into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// The full name the test harness knows `test` by: its module path
/// inside the one integration test binary, without the crate name.
fn test_name(test: &str) -> String {
    let module = module_path!();
    let module = module.split_once("::").map_or(module, |(_, m)| m);
    format!("{module}::{test}")
}

/// Runs `helper` (an ignored test of this binary, in `module`, as
/// `module_path!()` spells it) alone in a child process and checks that it
/// ran and passed. For a test that captures tracing output: tracing caches
/// per call site whether anyone listens, and a test running beside it on
/// another thread can make that "no" for the call sites it watches.
pub(crate) async fn run_alone(module: &str, helper: &str) {
    let module = module.split_once("::").map_or(module, |(_, m)| m);
    let out = tokio::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([
            format!("{module}::{helper}").as_str(),
            "--exact",
            "--ignored",
            "--test-threads=1",
            "--nocapture",
        ])
        .output()
        .await
        .expect("run the helper");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{helper} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("1 passed"), "{stdout}");
}

#[tokio::test]
async fn the_token_appears_in_no_log_line_error_or_record() {
    run_alone(module_path!(), "no_token_in_logs_helper").await;
}

/// The capture needs a process of its own: tracing caches per call site
/// whether anyone listens, and a test running beside it on another thread
/// (with no subscriber) would make that "no" for the client's call sites.
#[tokio::test]
#[ignore = "helper: run alone by the_token_appears_in_no_log_line_error_or_record"]
async fn no_token_in_logs_helper() {
    const SECRET: &str = "tok-SECRET-7d41c9e0";
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(captured.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    // A double that accepts SECRET for the change, and a client that
    // sends a wrong token for the failing read.
    let d = start(
        SECRET,
        disable_script(|_, n, base| match n {
            0 => reply(409, fixture("error-409-another-operation-in-progress.json")),
            1 => reply(429, fixture("error-429-too-many-requests.json")).with("Retry-After", "17"),
            _ => put_accepted(base),
        }),
    )
    .await;
    let clock = VirtualClock::new();
    let good = ArmClient::with_token_source(
        &azure(&d.base),
        ArmOptions::default(),
        Arc::new(Fixed(SECRET.into())),
    )
    .unwrap()
    .with_clock(clock.clone());
    let attempts = Attempts::default();
    let change = good
        .set_peering_state(
            PeeringState::Disabled,
            &|a| attempts.push(a),
            &SendPermit::new(),
        )
        .await
        .expect("change");

    let wrong = format!("{SECRET}-wrong");
    let bad = ArmClient::with_token_source(
        &azure(&d.base),
        ArmOptions::default(),
        Arc::new(Fixed(wrong)),
    )
    .unwrap()
    .with_clock(clock);
    let e = bad.get_peering().await.expect_err("401");

    let logs = String::from_utf8(captured.0.lock().expect("lock").clone()).unwrap();
    // The capture works: the client's spans and retries are in it.
    assert!(logs.contains("arm_request"), "{logs}");
    assert!(logs.contains("client_request_id"), "{logs}");
    assert!(logs.contains("AnotherOperationInProgress"), "{logs}");
    assert!(logs.contains("InvalidAuthenticationToken"), "{logs}");
    // The double did receive the token, so it was there to leak.
    assert!(
        d.seen()
            .iter()
            .any(|s| s.header("authorization") == Some(&format!("Bearer {SECRET}")))
    );
    let everything = [
        logs,
        e.to_string(),
        format!("{e:?}"),
        format!("{good:?}"),
        format!("{bad:?}"),
        serde_json::to_string(&attempts.all()).unwrap(),
        format!("{change:?}"),
    ];
    for text in everything {
        assert!(!text.contains(SECRET), "token leaked into: {text}");
    }
}

// ---------------------------------------------------------------------------
// Abort means abort: a revoked permit stops the next PUT

/// The permit revoked while the client waits out a 429 (the attempt is
/// reported right before the wait): no further PUT goes out, and the call
/// says it was cancelled, since ARM accepted none.
#[tokio::test]
async fn a_permit_revoked_between_429_retries_sends_no_further_put() {
    let d = start(
        TOKEN,
        disable_script(|_, n, base| match n {
            0 => reply(409, fixture("error-409-another-operation-in-progress.json")),
            1 => reply(429, fixture("error-429-retryable-another-operation.json"))
                .with("Retry-After", "17"),
            _ => put_accepted(base),
        }),
    )
    .await;
    let (c, _) = client(&d);
    let permit = SendPermit::new();
    let attempts = Attempts::default();
    let result = c
        .set_peering_state(
            PeeringState::Disabled,
            &|a| {
                attempts.push(a);
                if a.method == "PUT" && a.status == 429 {
                    permit.revoke();
                }
            },
            &permit,
        )
        .await;
    match result {
        Err(ArmError::Cancelled(why)) => assert!(why.contains("throttled"), "{why}"),
        other => panic!("not cancelled: {other:?}"),
    }
    assert_eq!(d.requests("PUT").len(), 2, "no PUT after the revocation");
    assert_eq!(
        permit.status(),
        cutover_engine::port::WriteStatus::NoneAccepted
    );
    let statuses: Vec<u16> = attempts.all().iter().map(|a| a.status).collect();
    assert_eq!(statuses, [200, 409, 429], "the GET, then the two refusals");
}

/// On the real clock: a revocation during a long `Retry-After` ends the
/// wait at once, and the next PUT is not sent.
#[tokio::test]
async fn a_revocation_ends_the_retry_after_wait_at_once() {
    let d = start(
        TOKEN,
        disable_script(|_, n, base| match n {
            0 => reply(429, fixture("error-429-retryable-another-operation.json"))
                .with("Retry-After", "300"),
            _ => put_accepted(base),
        }),
    )
    .await;
    let c = ArmClient::with_token_source(
        &azure(&d.base),
        ArmOptions::default(),
        Arc::new(Fixed(TOKEN.into())),
    )
    .expect("client");
    let permit = SendPermit::new();
    let revoker = {
        let permit = permit.clone();
        let d = d.clone();
        tokio::spawn(async move {
            while d.requests("PUT").is_empty() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            permit.revoke();
        })
    };
    let started = Instant::now();
    let result = tokio::time::timeout(
        Duration::from_secs(30),
        c.set_peering_state(PeeringState::Disabled, &|_| {}, &permit),
    )
    .await
    .expect("the 300 s wait was cut short");
    revoker.await.expect("revoker");
    assert!(matches!(result, Err(ArmError::Cancelled(_))), "{result:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(d.requests("PUT").len(), 1);
}

/// A PUT that ARM accepted counts as applied: the permit says so, and the
/// call is not reported as cancelled.
#[tokio::test]
async fn an_accepted_put_is_never_called_cancelled() {
    let d = start(TOKEN, disable_script(|_, _, base| put_accepted(base))).await;
    let (c, _) = client(&d);
    let permit = SendPermit::new();
    let change = c
        .set_peering_state(
            PeeringState::Disabled,
            &|a| {
                if a.method == "PUT" {
                    permit.revoke();
                }
            },
            &permit,
        )
        .await
        .expect("the accepted change settles");
    assert_eq!(change.after.state(), Some(&PeeringState::Disabled));
    assert_eq!(
        permit.status(),
        cutover_engine::port::WriteStatus::MayBeAccepted
    );
}
