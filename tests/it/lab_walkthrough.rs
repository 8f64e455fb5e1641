//! Issue 4's "done when": the real binary runs `cutover lab serve`, and the
//! stock `ssh` and `curl` walk the whole article against it over loopback:
//! the route checks on both CEs and the firewall, Azure's learned and
//! advertised routes and BGP peers, the traceroute over ExpressRoute, the
//! private peering disabled with GET + PUT (If-Match), the firewall's table
//! and the traceroute moving to the VPN, the peering enabled again and
//! everything back. Then SIGTERM, and a clean exit.
//!
//! Waits poll with a bounded number of tries; nothing asserts how long
//! anything took. Without /usr/bin/ssh or /usr/bin/curl the tests that need
//! them say SKIPPED and return (CI installs both, see scripts/test).

// Test helpers: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use cutover_core::inventory::Inventory;
use serde_json::Value;

const TOKEN: &str = "walkthrough-token";
/// Guards against a hang, never a measure of speed.
const HANG_GUARD: Duration = Duration::from_secs(60);
/// Between two looks at something that is converging.
const POLL_PAUSE: Duration = Duration::from_millis(200);
/// Looks before giving up (the lab converges in a few seconds: BFD
/// notices in 0.9 s, sessions re-establish in 2 s).
const POLL_TRIES: usize = 150;

fn have(tool: &str) -> bool {
    if Path::new(tool).exists() {
        return true;
    }
    // ./scripts/test installs the tools and sets CUTOVER_REQUIRE_TOOLS=1:
    // there a missing tool is a failure, never a silent pass.
    assert!(
        std::env::var_os("CUTOVER_REQUIRE_TOOLS").is_none_or(|v| v != "1"),
        "a required tool is not installed (CUTOVER_REQUIRE_TOOLS=1)"
    );
    eprintln!("SKIPPED: {tool} is not installed");
    false
}

fn cutover() -> Command {
    Command::new(assert_cmd::cargo::cargo_bin("cutover"))
}

/// A `cutover lab serve` child process.
struct Served {
    child: Child,
    lines: mpsc::Receiver<String>,
    stdout: Vec<String>,
    stderr: PathBuf,
}

impl Served {
    fn start(args: &[&str], token: Option<&str>, dir: &Path) -> Served {
        let stderr = dir.join("serve.stderr");
        let mut c = cutover();
        c.arg("lab")
            .arg("serve")
            .args(["--time-scale", "0.15"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap());
        match token {
            Some(t) => c.env("CUTOVER_ARM_TOKEN", t),
            None => c.env_remove("CUTOVER_ARM_TOKEN"),
        };
        let mut child = c.spawn().expect("cutover runs");
        let out = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Served {
            child,
            lines,
            stdout: Vec::new(),
            stderr,
        }
    }

    /// Reads stdout until the `ready` line; returns it.
    fn wait_ready(&mut self) -> String {
        loop {
            match self.lines.recv_timeout(HANG_GUARD) {
                Ok(line) => {
                    self.stdout.push(line.clone());
                    if line.contains("ready") {
                        return line;
                    }
                }
                Err(e) => panic!(
                    "no `ready` line ({e}); stdout {:?}; stderr {}",
                    self.stdout,
                    self.stderr_text()
                ),
            }
        }
    }

    fn stderr_text(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs")
            .success();
        assert!(ok, "kill -{sig}");
    }

    /// Waits for the exit (bounded) and returns the code and all stdout.
    fn wait_exit(mut self) -> (Option<i32>, Vec<String>, String) {
        let mut status = None;
        for _ in 0..(HANG_GUARD.as_millis() / POLL_PAUSE.as_millis()) {
            if let Some(s) = self.child.try_wait().unwrap() {
                status = Some(s);
                break;
            }
            std::thread::sleep(POLL_PAUSE);
        }
        let Some(status) = status else {
            let _ = self.child.kill();
            panic!("the lab did not exit; stderr {}", self.stderr_text());
        };
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.stdout.push(line);
        }
        let stderr = self.stderr_text();
        (status.code(), std::mem::take(&mut self.stdout), stderr)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        // A failed assertion must not leave a lab running.
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The stock client, pointed at one device of the inventory.
fn ssh(inv: &Inventory, device: &str, command: &str) -> String {
    let d = &inv.devices[device];
    let out = Command::new("/usr/bin/ssh")
        .args([
            "-F",
            "/dev/null",
            "-o",
            "BatchMode=yes",
            "-o",
            "IdentitiesOnly=yes",
        ])
        .args([
            "-o",
            "IdentityAgent=none",
            "-o",
            "StrictHostKeyChecking=yes",
        ])
        .args([
            "-o",
            "GlobalKnownHostsFile=/dev/null",
            "-o",
            "ConnectTimeout=20",
        ])
        .arg("-o")
        .arg(format!(
            "UserKnownHostsFile={}",
            d.known_hosts.as_ref().expect("known_hosts").display()
        ))
        .arg("-i")
        .arg(d.identity.as_ref().expect("identity"))
        .arg("-p")
        .arg(d.port.expect("port").to_string())
        .arg(format!(
            "{}@{}",
            d.user.as_deref().unwrap_or("netops"),
            d.host
        ))
        .arg(command)
        .stdin(Stdio::null())
        .output()
        .expect("ssh runs");
    assert!(
        out.status.success(),
        "{device}: {command}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

fn junos_routes(text: &str) -> Vec<Value> {
    let v = cutover_core::parse::to_json(cutover_core::parse::Kind::JunosRoute, text)
        .unwrap_or_else(|e| panic!("{e:?}: {text}"));
    v["routes"].as_array().cloned().unwrap_or_default()
}

fn prefixes(text: &str) -> BTreeSet<String> {
    junos_routes(text)
        .iter()
        .filter_map(|r| r["prefix"].as_str().map(str::to_string))
        .collect()
}

/// The firewall's active BGP paths: prefix and AS path.
fn fw_active(inv: &Inventory) -> Vec<(String, Vec<u64>)> {
    let text = ssh(inv, "fw", "show route table Cust11.inet.0 10.17.11.0/24");
    junos_routes(&text)
        .iter()
        .filter(|r| r["active"] == true && r["protocol"] == "bgp")
        .map(|r| {
            let path = r["as_path"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_u64).collect())
                .unwrap_or_default();
            (r["prefix"].as_str().unwrap_or("").to_string(), path)
        })
        .collect()
}

fn on(as_path: u64) -> Vec<(String, Vec<u64>)> {
    vec![
        ("10.17.11.0/25".to_string(), vec![as_path]),
        ("10.17.11.128/26".to_string(), vec![as_path]),
    ]
}

/// Every address of every hop of `traceroute -n` to the spoke VM.
fn trace(inv: &Inventory) -> Vec<Vec<String>> {
    let text = ssh(inv, "server", "traceroute -n 10.17.11.132");
    let t =
        cutover_core::parse::traceroute::parse(&text).unwrap_or_else(|e| panic!("{e:?}: {text}"));
    let v = serde_json::to_value(&t).unwrap();
    v["hops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            h["addresses"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|a| a.as_str().map(str::to_string))
                .collect()
        })
        .collect()
}

fn crosses_msee(hops: &[Vec<String>]) -> bool {
    hops.iter().flatten().any(|a| a == "192.168.11.18")
}

fn reaches_vm(hops: &[Vec<String>]) -> bool {
    hops.last()
        .is_some_and(|h| h.iter().any(|a| a == "10.17.11.132"))
}

/// Tries `f` until it answers, a bounded number of times.
fn poll<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    for _ in 0..POLL_TRIES {
        if let Some(v) = f() {
            return v;
        }
        std::thread::sleep(POLL_PAUSE);
    }
    panic!("{what}: not after {POLL_TRIES} tries");
}

struct Http {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Http {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// The stock `curl`, with the bearer token.
fn curl(
    method: &str,
    url: &str,
    token: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Http {
    let mut c = Command::new("/usr/bin/curl");
    c.args(["-sS", "-i", "--max-time", "30", "-X", method])
        .arg("-H")
        .arg(format!("Authorization: Bearer {token}"));
    for (k, v) in headers {
        c.arg("-H").arg(format!("{k}: {v}"));
    }
    match body {
        Some(_) => {
            c.args([
                "-H",
                "Content-Type: application/json",
                "--data-binary",
                "@-",
            ]);
        }
        None if method == "POST" => {
            c.args(["-H", "Content-Type: application/json", "--data-binary", ""]);
        }
        None => {}
    }
    c.arg(url).stdin(Stdio::piped()).stdout(Stdio::piped());
    let mut child = c.spawn().expect("curl runs");
    let mut stdin = child.stdin.take().unwrap();
    if let Some(b) = body {
        stdin.write_all(b.as_bytes()).unwrap();
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "curl {method} {url}");
    let text = String::from_utf8(out.stdout).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {head}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Http {
        status,
        headers,
        body: body.to_string(),
    }
}

/// The Azure side, as `az` or PowerShell would reach it.
struct Arm {
    endpoint: String,
    base: String,
    api: String,
    circuit: String,
    peering: String,
    gateway: String,
}

impl Arm {
    fn new(inv: &Inventory) -> Arm {
        let az = inv.azure.as_ref().expect("azure");
        Arm {
            endpoint: az.endpoint.clone(),
            base: format!(
                "{}/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network",
                az.endpoint, az.subscription, az.resource_group
            ),
            api: format!("api-version={}", az.api_version),
            circuit: az.circuit.clone(),
            peering: az.peering.clone(),
            gateway: az.gateway.clone(),
        }
    }

    fn peering_url(&self) -> String {
        format!(
            "{}/expressRouteCircuits/{}/peerings/{}?{}",
            self.base, self.circuit, self.peering, self.api
        )
    }

    /// POST, 202 + Location, then the Location until it answers 200.
    fn gateway_query(&self, action: &str, query: &str) -> String {
        let url = format!(
            "{}/virtualNetworkGateways/{}/{action}?{}{query}",
            self.base, self.gateway, self.api
        );
        let r = curl("POST", &url, TOKEN, &[], None);
        assert_eq!(r.status, 202, "{action}: {}", r.body);
        let location = r.header("Location").expect("Location").to_string();
        assert!(location.starts_with(&self.endpoint), "{location}");
        poll(&format!("{action} result"), || {
            let r = curl("GET", &location, TOKEN, &[], None);
            match r.status {
                202 => None,
                200 => Some(r.body),
                s => panic!("{action} result: {s} {}", r.body),
            }
        })
    }

    fn learned(&self) -> Vec<cutover_core::parse::arm::RouteSummary> {
        let body = self.gateway_query("getLearnedRoutes", "");
        cutover_core::parse::arm::parse_routes(&body)
            .unwrap()
            .routes
    }

    /// GET the peering, PUT it back with `state`, follow the operation.
    fn set_peering_state(&self, state: &str) {
        let got = curl("GET", &self.peering_url(), TOKEN, &[], None);
        assert_eq!(got.status, 200, "{}", got.body);
        let etag = got.header("ETag").expect("ETag").to_string();
        let mut body = got.json();
        assert_eq!(body["name"], "AzurePrivatePeering");
        body["properties"]["state"] = Value::from(state);
        let put = curl(
            "PUT",
            &self.peering_url(),
            TOKEN,
            &[("If-Match", &etag)],
            Some(&body.to_string()),
        );
        assert!(
            matches!(put.status, 200 | 201),
            "{} {}",
            put.status,
            put.body
        );
        let op = put
            .header("Azure-AsyncOperation")
            .expect("Azure-AsyncOperation")
            .to_string();
        poll(&format!("the peering PUT ({state})"), || {
            let r = curl("GET", &op, TOKEN, &[], None);
            assert_eq!(r.status, 200, "{}", r.body);
            match r.json()["status"].as_str() {
                Some("Succeeded") => Some(()),
                Some("InProgress") => None,
                other => panic!("operation {other:?}: {}", r.body),
            }
        });
        let after = curl("GET", &self.peering_url(), TOKEN, &[], None).json();
        assert_eq!(after["properties"]["state"], state);
        assert_eq!(after["properties"]["provisioningState"], "Succeeded");
        assert_ne!(
            after["etag"].as_str(),
            Some(etag.as_str()),
            "a write makes a new etag"
        );
    }
}

fn has_er_route(routes: &[cutover_core::parse::arm::RouteSummary]) -> bool {
    routes.iter().any(|r| {
        r.network.as_deref() == Some("10.1.11.0/25")
            && r.as_path.as_deref() == Some(&[12076, 65020][..])
    })
}

#[test]
fn the_article_by_hand_over_ssh_and_curl() {
    if !have("/usr/bin/ssh") || !have("/usr/bin/curl") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let inv_path = dir.path().join("lab-inventory.toml");
    let mut lab = Served::start(
        &[
            "--scenario",
            "baseline",
            "--inventory-out",
            inv_path.to_str().unwrap(),
        ],
        Some(TOKEN),
        dir.path(),
    );
    let ready = lab.wait_ready();
    assert!(ready.contains(inv_path.to_str().unwrap()), "{ready}");
    let inv = Inventory::load(&inv_path).expect("the lab's inventory loads");
    assert_eq!(
        inv.devices.keys().map(String::as_str).collect::<Vec<_>>(),
        ["ce1", "ce2", "fw", "server"]
    );
    assert!(!std::fs::read_to_string(&inv_path).unwrap().contains(TOKEN));

    // 1. ExpressRoute advertisements on both CEs, and the firewall's table.
    let onprem: BTreeSet<String> = ["10.1.11.0/25".to_string()].into();
    let out = ssh(
        &inv,
        "ce1",
        "show route advertising-protocol bgp 192.168.11.18",
    );
    assert_eq!(prefixes(&out), onprem, "{out}");
    let out = ssh(
        &inv,
        "ce2",
        "show route advertising-protocol bgp 192.168.11.22",
    );
    assert_eq!(prefixes(&out), onprem, "{out}");
    assert_eq!(fw_active(&inv), on(12076), "ExpressRoute is active");
    let table = ssh(&inv, "fw", "show route table Cust11.inet.0 10.17.11.0/24");
    let vpn_backups = junos_routes(&table)
        .iter()
        .filter(|r| r["active"] == false && r["as_path"] == serde_json::json!([65515]))
        .count();
    assert_eq!(
        vpn_backups, 4,
        "two VPN paths per prefix wait as backups: {table}"
    );

    // 2. The VPN's control plane, from the firewall...
    let azure: BTreeSet<String> =
        ["10.17.11.0/25".to_string(), "10.17.11.128/26".to_string()].into();
    for peer in ["10.17.11.76", "10.17.11.77"] {
        let out = ssh(
            &inv,
            "fw",
            &format!("show route advertising-protocol bgp {peer}"),
        );
        assert_eq!(prefixes(&out), onprem, "{peer}: {out}");
        let out = ssh(
            &inv,
            "fw",
            &format!("show route receive-protocol bgp {peer} table Cust11.inet.0"),
        );
        assert_eq!(prefixes(&out), azure, "{peer}: {out}");
    }
    // ...and from Azure.
    let arm = Arm::new(&inv);
    let learned = arm.learned();
    assert!(
        learned
            .iter()
            .any(|r| r.network.as_deref() == Some("10.1.11.0/25")
                && r.source_peer.as_deref() == Some("192.168.11.88")
                && r.as_path.as_deref() == Some(&[65020][..])),
        "learned over the VPN: {learned:?}"
    );
    assert!(has_er_route(&learned), "and over ExpressRoute: {learned:?}");
    let body = arm.gateway_query("getAdvertisedRoutes", "&peer=192.168.11.88");
    let advertised = cutover_core::parse::arm::parse_routes(&body)
        .unwrap()
        .routes;
    for local in ["10.17.11.76", "10.17.11.77"] {
        let nets: BTreeSet<String> = advertised
            .iter()
            .filter(|r| r.local_address.as_deref() == Some(local))
            .filter(|r| r.as_path.as_deref() == Some(&[65515][..]))
            .filter_map(|r| r.network.clone())
            .collect();
        assert!(nets.is_superset(&azure), "{local} advertises {nets:?}");
    }
    let body = arm.gateway_query("getBgpPeerStatus", "");
    let peers =
        cutover_core::parse::to_json(cutover_core::parse::Kind::ArmBgpPeers, &body).unwrap();
    let onprem_peers: Vec<&Value> = peers["peers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["neighbor"] == "192.168.11.88")
        .collect();
    assert_eq!(onprem_peers.len(), 2, "{peers}");
    assert!(
        onprem_peers.iter().all(|p| p["state"] == "Connected"),
        "{peers}"
    );

    // 3. The data plane over ExpressRoute, then the failover.
    let hops = trace(&inv);
    assert!(crosses_msee(&hops) && reaches_vm(&hops), "{hops:?}");
    assert_eq!(hops[0], ["10.1.11.1"]);

    arm.set_peering_state("Disabled");
    poll("the firewall prefers the VPN", || {
        (fw_active(&inv) == on(65515)).then_some(())
    });
    let hops = poll("the traceroute loses the MSEE hop", || {
        let h = trace(&inv);
        (!crosses_msee(&h)).then_some(h)
    });
    assert!(reaches_vm(&hops), "the VPN carries the traffic: {hops:?}");
    // The article's shape: 10.1.11.1, a hop that does not answer, the VM.
    assert_eq!(hops.len(), 3, "{hops:?}");
    assert_eq!(hops[0], ["10.1.11.1"]);
    assert!(hops[1].is_empty(), "{hops:?}");
    poll("Azure forgets the ExpressRoute path", || {
        (!has_er_route(&arm.learned())).then_some(())
    });

    // 4. Restore.
    arm.set_peering_state("Enabled");
    poll("the firewall prefers ExpressRoute again", || {
        (fw_active(&inv) == on(12076)).then_some(())
    });
    let hops = poll("the traceroute crosses the MSEE again", || {
        let h = trace(&inv);
        crosses_msee(&h).then_some(h)
    });
    assert!(reaches_vm(&hops), "{hops:?}");
    poll("Azure learns the ExpressRoute path again", || {
        has_er_route(&arm.learned()).then_some(())
    });
    let out = ssh(
        &inv,
        "ce1",
        "show route advertising-protocol bgp 192.168.11.18",
    );
    assert_eq!(prefixes(&out), onprem, "{out}");

    lab.signal("TERM");
    let (code, stdout, stderr) = lab.wait_exit();
    assert_eq!(code, Some(0), "stdout {stdout:?}; stderr {stderr}");
    assert_eq!(
        stdout.last().map(String::as_str),
        Some("lab stopped"),
        "{stdout:?}"
    );
    assert_eq!(
        stdout.iter().filter(|l| l.contains("ready")).count(),
        1,
        "one `ready` line: {stdout:?}"
    );
    assert!(
        !stderr.contains(TOKEN),
        "the token is never printed when it was given"
    );
}

#[test]
fn without_a_token_or_a_path_the_lab_makes_both_and_cleans_up() {
    if !have("/usr/bin/curl") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut lab = Served::start(&[], None, dir.path());
    let ready = lab.wait_ready();
    let inv_path = PathBuf::from(
        ready
            .split_once("inventory: ")
            .map(|(_, p)| p.trim())
            .expect("the ready line names the inventory"),
    );
    let inv = Inventory::load(&inv_path).expect("inventory");
    let stderr = lab.stderr_text();
    let token = stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("export CUTOVER_ARM_TOKEN="))
        .unwrap_or_else(|| panic!("the generated token is shown: {stderr}"))
        .to_string();
    assert_eq!(stderr.matches(&token).count(), 1, "shown once: {stderr}");
    let arm = Arm::new(&inv);
    let url = format!(
        "{}/expressRouteCircuits/{}?{}",
        arm.base, arm.circuit, arm.api
    );
    assert_eq!(curl("GET", &url, &token, &[], None).status, 200);
    assert_eq!(curl("GET", &url, "not-the-token", &[], None).status, 401);

    lab.signal("INT");
    let (code, _, stderr) = lab.wait_exit();
    assert_eq!(code, Some(0), "{stderr}");
    let folder = inv_path.parent().unwrap();
    assert!(
        !folder.exists(),
        "the lab's own folder is removed: {}",
        folder.display()
    );
}

#[test]
fn bad_input_exits_2_with_the_reason() {
    let out = cutover()
        .args(["lab", "serve", "--scenario", "nope"])
        .env("CUTOVER_ARM_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no scenario named `nope`"), "{err}");
    for name in [
        "baseline",
        "vpn-bgp-down",
        "spoke-not-advertised",
        "vpn-more-specific",
        "ce2-localpref-missing",
        "er-disable-conflict",
        "slow-convergence",
        "stuck-on-vpn",
    ] {
        assert!(err.contains(name), "lists {name}: {err}");
    }

    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("no_such_authorized_keys");
    let out = cutover()
        .args(["lab", "serve", "--authorized-keys"])
        .arg(&keys)
        .arg("--inventory-out")
        .arg(dir.path().join("inv.toml"))
        .env("CUTOVER_ARM_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(keys.to_str().unwrap()) && err.contains("No such file"),
        "{err}"
    );
    assert!(!dir.path().join("inv.toml").exists(), "nothing written");

    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    let out = cutover()
        .args(["lab", "serve", "--base-port", &port, "--inventory-out"])
        .arg(dir.path().join("inv.toml"))
        .env("CUTOVER_ARM_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("cannot listen on 127.0.0.1:{port} for ce1")),
        "{err}"
    );
    drop(busy);
}

#[test]
fn scenarios_lists_all_thirteen() {
    let out = cutover().arg("scenarios").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let names: Vec<&str> = text
        .lines()
        .map(|l| l.split_whitespace().next().unwrap_or(""))
        .collect();
    assert_eq!(
        names,
        [
            "baseline",
            "vpn-bgp-down",
            "spoke-not-advertised",
            "vpn-more-specific",
            "ce2-localpref-missing",
            "er-disable-conflict",
            "slow-convergence",
            "stuck-on-vpn",
            "rollback-throttled",
            "disable-operation-failed",
            "arm-slow",
            "concurrent-writer",
            "token-expires",
        ]
    );
    for line in text.lines() {
        let (name, rest) = line.split_once("  ").unwrap_or((line, ""));
        assert!(
            !rest.trim().is_empty(),
            "{name} has a description: {line:?}"
        );
    }
}
