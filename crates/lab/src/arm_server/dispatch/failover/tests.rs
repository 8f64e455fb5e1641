//! The site failover simulation over a real loopback socket: the calls'
//! shapes, the long-running protocol, what the test does to the lab's
//! routing and traces, and the scenario's faults on the stop.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

use crate::SharedWorld;
use crate::arm_server::serve_arm;
use crate::clock::VirtualClock;
use crate::dataplane::PathKind;
use crate::scenario::parse;
use crate::topology::{Node, Topology};
use crate::world::World;

const TOKEN: &str = "lab-failover-token";
const API: &str = "2025-07-01";

struct Lab {
    addr: SocketAddr,
    clock: Arc<VirtualClock>,
    world: SharedWorld,
    stop: Option<oneshot::Sender<()>>,
    served: tokio::task::JoinHandle<std::io::Result<()>>,
    gateways: String,
}

#[derive(Debug)]
struct Answer {
    status: u16,
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
    let world = SharedWorld::new(World::new(scenario), clock.clone());
    let gateways = world.with(|w, _| {
        let a = &w.topology().azure;
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/virtualNetworkGateways",
            a.subscription, a.resource_group
        )
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = oneshot::channel::<()>();
    let served = tokio::spawn(serve_arm(
        world.clone(),
        TOKEN.to_owned(),
        listener,
        async {
            let _ = rx.await;
        },
    ));
    Lab {
        addr,
        clock,
        world,
        stop: Some(tx),
        served,
        gateways,
    }
}

impl Lab {
    /// `POST {circuit}/{action}?{query}&api-version={API}`.
    async fn post_circuit(&self, action: &str, query: &str, body: Option<&str>) -> Answer {
        let path = self.gateways.replace(
            "virtualNetworkGateways",
            "expressRouteCircuits/SEA-Cust11-ER",
        );
        let sep = if query.is_empty() { "" } else { "&" };
        let path = format!("{path}/{action}?{query}{sep}api-version={API}");
        self.send("POST", &path, body.unwrap_or("")).await
    }

    /// `POST {er gateway}/{action}?{query}&api-version={API}`.
    async fn post(&self, action: &str, query: &str, body: Option<&str>) -> Answer {
        self.post_on("SEA-Cust11-VNet01-gw-er", action, query, API, body)
            .await
    }

    async fn post_on(
        &self,
        gateway: &str,
        action: &str,
        query: &str,
        api: &str,
        body: Option<&str>,
    ) -> Answer {
        let sep = if query.is_empty() { "" } else { "&" };
        let path = format!(
            "{}/{gateway}/{action}?{query}{sep}api-version={api}",
            self.gateways
        );
        self.send("POST", &path, body.unwrap_or("")).await
    }

    async fn send(&self, method: &str, path: &str, body: &str) -> Answer {
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {TOKEN}\r\nConnection: close\r\n",
            self.addr
        );
        if method == "POST" {
            req.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        req.push_str("\r\n");
        req.push_str(body);
        raw(self.addr, req.as_bytes()).await
    }

    /// Follows an accepted call's `Location` until it answers 200, as a
    /// client does; the answers before are 202 with `Retry-After`.
    async fn result(&self, accepted: &Answer) -> Value {
        assert_eq!(accepted.status, 202, "{}", accepted.body);
        assert!(accepted.body.is_empty(), "{}", accepted.body);
        assert!(accepted.header("azure-asyncoperation").is_some());
        assert!(accepted.header("retry-after").is_some());
        let location = accepted.header("location").expect("a Location header");
        let path = local(location);
        assert!(path.contains("/operationResults/"), "{path}");
        assert!(path.contains(&format!("api-version={API}")), "{path}");
        for _ in 0..5 {
            let a = self.send("GET", &path, "").await;
            match a.status {
                202 => assert!(a.header("location").is_some()),
                200 => return a.json(),
                other => panic!("{other}: {}", a.body),
            }
        }
        panic!("the operation never completed");
    }

    fn paths(&self) -> (PathKind, PathKind) {
        self.world.with(|w, _| w.path_to_vm())
    }

    async fn single(&self, guid: &str) -> Value {
        let a = self
            .post(
                "getFailoverSingleTestDetails",
                &format!("peeringLocation=Seattle&failoverTestId={guid}"),
                None,
            )
            .await;
        let v = self.result(&a).await;
        assert_eq!(v.as_array().map(Vec::len), Some(1), "{v}");
        v[0].clone()
    }

    async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        tokio::time::timeout(Duration::from_secs(5), self.served)
            .await
            .expect("the lab stops")
            .expect("join")
            .expect("served");
    }
}

/// The path (and query) of an absolute URL the lab handed out.
fn local(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.find('/').map_or("/", |i| &rest[i..]).to_owned()
}

async fn raw(addr: SocketAddr, req: &[u8]) -> Answer {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(req).await.expect("write");
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.expect("read");
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP answer");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .expect("a status line");
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

/// The VPN gateway learns the on-premises prefix from the ER gateway.
fn via_er_gateway(lab: &Lab) -> bool {
    lab.world.with(|w, _| {
        w.learned_routes()
            .iter()
            .any(|r| r.network == "10.1.11.0/25" && r.next_hop.as_deref() == Some("10.17.11.69"))
    })
}

fn stop_body(successful: bool, verified: bool) -> String {
    json!({
        "peeringLocation": "Seattle",
        "wasSimulationSuccessful": successful,
        "details": [{
            "failoverConnectionName": "SEA-Cust11-VNet01-cn-onprem",
            "failoverLocation": "westus2",
            "isVerified": verified,
        }],
    })
    .to_string()
}

#[tokio::test]
async fn a_site_failover_test_moves_traffic_to_the_vpn_until_it_stops() {
    let lab = start_lab("").await;
    assert_eq!(
        lab.paths(),
        (PathKind::Expressroute, PathKind::Expressroute)
    );
    assert!(via_er_gateway(&lab));

    // Nothing ran yet: the location reads NotStarted.
    let all = lab
        .post(
            "getFailoverAllTestsDetails",
            "type=All&fetchLatest=true",
            None,
        )
        .await;
    let all = lab.result(&all).await;
    assert_eq!(all[0]["status"], "NotStarted", "{all}");
    assert_eq!(all[0]["peeringLocation"], "Seattle");

    let started = lab
        .post("startSiteFailoverTest", "peeringLocation=seattle", None)
        .await;
    let guid = lab.result(&started).await;
    let guid = guid
        .as_str()
        .expect("the test's GUID, a JSON string")
        .to_owned();
    assert_eq!(guid.len(), 36, "{guid}");
    // Azure shuts the sessions at once; the tables follow after their
    // convergence time (at most 1.8 s by default), not before.
    assert_eq!(
        lab.paths(),
        (PathKind::Expressroute, PathKind::Expressroute)
    );
    lab.clock.advance(Duration::from_secs(2));

    // Both directions take the VPN while the gateway's connection is down;
    // the CEs' sessions to the MSEEs stay up (the circuit is untouched).
    assert_eq!(lab.paths(), (PathKind::Vpn, PathKind::Vpn));
    let server: Ipv4Addr = "10.1.11.10".parse().expect("an address");
    let (down, msee_holds_onprem) = lab.world.with(|w, _| {
        (
            w.er_connection_down(),
            w.rib(Node::Msee1).lookup(server).is_some(),
        )
    });
    assert!(down);
    assert!(
        msee_holds_onprem,
        "the CE's session to the MSEE is still up"
    );
    assert!(
        !via_er_gateway(&lab),
        "the VPN gateway no longer learns on-premises from the ER gateway"
    );

    let peers = lab.post("getBgpPeerStatus", "", None).await;
    let peers = lab.result(&peers).await;
    let states: Vec<&str> = peers["value"]
        .as_array()
        .map(|a| a.iter().filter_map(|p| p["state"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(states, ["Connecting", "Connecting"], "{peers}");
    assert_eq!(peers["value"][0]["routesReceived"], 0);

    let running = lab.single(&guid).await;
    assert_eq!(running["status"], "Running", "{running}");
    assert_eq!(running["peeringLocation"], "Seattle");
    assert_eq!(running["endTimeUtc"], "");
    assert!(
        running["startTimeUtc"]
            .as_str()
            .is_some_and(|t| t.len() == 20 && t.ends_with('Z')),
        "{running}"
    );
    assert_eq!(running["nonRedundantRoutes"], json!(["10.1.11.0/25"]));
    assert_eq!(running["redundantRoutes"], json!([]));
    assert_eq!(
        running["failoverConnectionDetails"],
        json!([{
            "failoverConnectionName": "SEA-Cust11-VNet01-cn-onprem",
            "failoverLocation": "westus2",
            "isVerified": false,
        }])
    );
    let all = lab
        .post(
            "getFailoverAllTestsDetails",
            "type=SingleSiteFailover&fetchLatest=true",
            None,
        )
        .await;
    let all = lab.result(&all).await;
    assert_eq!(all.as_array().map(Vec::len), Some(1), "{all}");
    assert_eq!(all[0]["testGuid"], guid.as_str());
    assert_eq!(all[0]["status"], "Running");
    assert_eq!(all[0]["testType"], "SingleSiteFailover");
    assert_eq!(all[0]["connections"][0]["status"], "Disconnected");
    assert_eq!(all[0]["circuits"][0]["name"], "SEA-Cust11-ER");

    let stopped = lab
        .post("stopSiteFailoverTest", "", Some(&stop_body(true, true)))
        .await;
    assert_eq!(lab.result(&stopped).await, json!(guid));
    let done = lab.single(&guid).await;
    assert_eq!(done["status"], "Completed", "{done}");
    assert_eq!(done["wasSimulationSuccessful"], true);
    assert_eq!(done["failoverConnectionDetails"][0]["isVerified"], true);
    assert!(done["endTimeUtc"].as_str().is_some_and(|t| !t.is_empty()));

    // The gateway's sessions come back after the establishment time, and
    // the traffic with them.
    assert_eq!(lab.paths(), (PathKind::Vpn, PathKind::Vpn));
    lab.clock.advance(Duration::from_secs(3));
    assert!(!lab.world.with(|w, _| w.er_connection_down()));
    assert_eq!(
        lab.paths(),
        (PathKind::Expressroute, PathKind::Expressroute)
    );
    let peers = lab.post("getBgpPeerStatus", "", None).await;
    let peers = lab.result(&peers).await;
    assert_eq!(peers["value"][0]["state"], "Connected", "{peers}");
    assert!(peers["value"][0]["routesReceived"].as_u64() > Some(0));
    let all = lab
        .post(
            "getFailoverAllTestsDetails",
            "type=All&fetchLatest=false",
            None,
        )
        .await;
    let all = lab.result(&all).await;
    assert_eq!(all[0]["status"], "Completed");
    assert_eq!(all[0]["connections"][0]["status"], "Connected");

    // A second stop finds nothing to stop.
    let again = lab
        .post("stopSiteFailoverTest", "", Some(&stop_body(false, false)))
        .await;
    assert_eq!(
        (again.status, again.code()),
        (409, "FailoverTestNotRunning".to_owned())
    );
    lab.stop().await;
}

#[tokio::test]
async fn bad_calls_are_refused_before_anything_changes() {
    let lab = start_lab("").await;
    let refused = |a: &Answer| (a.status, a.code());
    let old = lab
        .post_on(
            "SEA-Cust11-VNet01-gw-er",
            "startSiteFailoverTest",
            "peeringLocation=Seattle",
            "2023-09-01",
            None,
        )
        .await;
    assert_eq!(
        refused(&old),
        (400, "InvalidApiVersionParameter".to_owned())
    );
    let no_location = lab.post("startSiteFailoverTest", "", None).await;
    assert_eq!(
        refused(&no_location),
        (400, "MissingRequiredParameter".to_owned())
    );
    let elsewhere = lab
        .post("startSiteFailoverTest", "peeringLocation=Amsterdam", None)
        .await;
    assert_eq!(refused(&elsewhere), (400, "InvalidParameter".to_owned()));
    let vpn = lab
        .post_on(
            "SEA-Cust11-VNet01-gw-vpn",
            "startSiteFailoverTest",
            "peeringLocation=Seattle",
            API,
            None,
        )
        .await;
    assert_eq!(vpn.status, 404);
    let unknown = lab
        .post(
            "getFailoverSingleTestDetails",
            "peeringLocation=Seattle&failoverTestId=00000000-0000-0000-0000-000000000000",
            None,
        )
        .await;
    assert_eq!(refused(&unknown), (404, "NotFound".to_owned()));
    let not_json = lab.post("stopSiteFailoverTest", "", Some("{")).await;
    assert_eq!(refused(&not_json), (400, "InvalidRequestFormat".to_owned()));
    let get = lab
        .send(
            "GET",
            &format!(
                "{}/SEA-Cust11-VNet01-gw-er/startSiteFailoverTest?peeringLocation=Seattle&api-version={API}",
                lab.gateways
            ),
            "",
        )
        .await;
    assert_eq!(get.status, 405);
    assert_eq!(
        lab.paths(),
        (PathKind::Expressroute, PathKind::Expressroute)
    );

    let first = lab
        .post("startSiteFailoverTest", "peeringLocation=Seattle", None)
        .await;
    assert_eq!(first.status, 202);
    let second = lab
        .post("startSiteFailoverTest", "peeringLocation=Seattle", None)
        .await;
    assert_eq!(
        refused(&second),
        (409, "FailoverTestAlreadyRunning".to_owned())
    );
    lab.stop().await;
}

#[tokio::test]
async fn a_fault_on_the_stop_leaves_the_test_running() {
    let lab = start_lab(
        r#"
[[arm.fault]]
method = "POST"
resource = "failover_stop"
nth = 1
status = 429
code = "TooManyRequests"
retry_after_s = 1

[[arm.fault]]
resource = "failover_test"
nth = 2
status = 500
code = "InternalServerError"
"#,
    )
    .await;
    let started = lab
        .post("startSiteFailoverTest", "peeringLocation=Seattle", None)
        .await;
    let guid = lab.result(&started).await;
    // The second failover call (this stop) meets both rules: the first
    // in file order answers.
    let throttled = lab
        .post("stopSiteFailoverTest", "", Some(&stop_body(true, true)))
        .await;
    assert_eq!(
        (throttled.status, throttled.code()),
        (429, "TooManyRequests".to_owned())
    );
    assert_eq!(throttled.header("retry-after"), Some("1"));
    lab.clock.advance(Duration::from_secs(2));
    assert!(lab.world.with(|w, _| w.er_connection_down()));
    assert_eq!(lab.paths(), (PathKind::Vpn, PathKind::Vpn));
    let stopped = lab
        .post("stopSiteFailoverTest", "", Some(&stop_body(false, false)))
        .await;
    assert_eq!(lab.result(&stopped).await, guid);
    let done = lab.single(guid.as_str().unwrap_or_default()).await;
    assert_eq!(done["status"], "Completed");
    assert_eq!(done["wasSimulationSuccessful"], false);
    lab.stop().await;
}

/// Whether MSEE `n` holds the on-premises prefix (from its CE).
fn msee_holds_onprem(lab: &Lab, n: Node) -> bool {
    let server: Ipv4Addr = "10.1.11.10".parse().expect("an address");
    lab.world.with(|w, _| w.rib(n).lookup(server).is_some())
}

#[tokio::test]
async fn a_link_failover_test_moves_traffic_to_the_other_link_until_it_stops() {
    let lab = start_lab("").await;
    assert!(msee_holds_onprem(&lab, Node::Msee1));
    let old = lab
        .send(
            "POST",
            &format!(
                "{}/startCircuitLinkFailoverTest?linkType=Primary&circuitTestCategory=BgpDisconnect&api-version=2025-01-01",
                lab.gateways
                    .replace("virtualNetworkGateways", "expressRouteCircuits/SEA-Cust11-ER")
            ),
            "",
        )
        .await;
    assert_eq!(
        (old.status, old.code()),
        (400, "InvalidApiVersionParameter".to_owned())
    );
    let prepend = lab
        .post_circuit(
            "startCircuitLinkFailoverTest",
            "linkType=Primary&circuitTestCategory=ASPathPrepend",
            None,
        )
        .await;
    assert_eq!(
        (prepend.status, prepend.code()),
        (400, "InvalidParameter".to_owned())
    );

    let started = lab
        .post_circuit(
            "startCircuitLinkFailoverTest",
            "linkType=Primary&circuitTestCategory=BgpDisconnect",
            None,
        )
        .await;
    let guid = lab.result(&started).await;
    let guid = guid.as_str().expect("a GUID").to_owned();
    // BFD notices, the tables follow: the primary MSEE has nothing from
    // its CE, and the traffic stays on ExpressRoute over the other link.
    lab.clock.advance(Duration::from_secs(2));
    assert!(!msee_holds_onprem(&lab, Node::Msee1));
    assert!(msee_holds_onprem(&lab, Node::Msee2));
    assert_eq!(
        lab.paths(),
        (PathKind::Expressroute, PathKind::Expressroute)
    );

    let single = lab
        .post_circuit(
            "getCircuitLinkFailoverSingleTestDetails",
            &format!("linkType=Primary&circuitTestCategory=BgpDisconnect&failoverTestId={guid}"),
            None,
        )
        .await;
    let single = lab.result(&single).await;
    let d = &single[0];
    assert_eq!(d["status"], "Running", "{d}");
    assert_eq!(d["linkType"], "Primary");
    let routes = |list: &Value| -> Vec<String> {
        list.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|r| r["route"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert!(
        routes(&d["redundantRoutes"]["beforeSimulation"]).contains(&"10.1.11.0/25".to_owned()),
        "{d}"
    );
    // During the test it stays listed as redundant (the spec's example),
    // with the one path that remains: over the secondary link.
    assert_eq!(
        routes(&d["redundantRoutes"]["duringSimulation"]),
        routes(&d["redundantRoutes"]["beforeSimulation"]),
        "{d}"
    );
    let during = &d["redundantRoutes"]["duringSimulation"][0];
    assert_eq!(
        (
            during["primaryASPath"].as_str(),
            during["secondaryASPath"].as_str().map(str::is_empty)
        ),
        (Some(""), Some(false)),
        "{d}"
    );

    let stop = json!({
        "linkType": "Primary",
        "circuitTestCategory": "BgpDisconnect",
        "wasSimulationSuccessful": true,
        "isVerified": true,
    })
    .to_string();
    let stopped = lab
        .post_circuit("stopCircuitLinkFailoverTest", "", Some(&stop))
        .await;
    assert_eq!(lab.result(&stopped).await, json!(guid));
    lab.clock.advance(Duration::from_secs(3));
    assert!(msee_holds_onprem(&lab, Node::Msee1));
    let all = lab
        .post_circuit(
            "getCircuitLinkFailoverAllTestsDetails",
            "failoverTestType=All&fetchLatest=true",
            None,
        )
        .await;
    let all = lab.result(&all).await;
    assert_eq!(all[0]["status"], "Completed", "{all}");
    assert_eq!(all[0]["wasSimulationSuccessful"], true);
    let again = lab
        .post_circuit("stopCircuitLinkFailoverTest", "", Some(&stop))
        .await;
    assert_eq!(
        (again.status, again.code()),
        (409, "FailoverTestNotRunning".to_owned())
    );
    lab.stop().await;
}
