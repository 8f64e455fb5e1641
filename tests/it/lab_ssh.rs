//! The lab's SSH servers through the stock OpenSSH client (and, for
//! password logins, the production russh client): every test starts a lab
//! on 127.0.0.1 in-process with `serve::start` and talks to it only over
//! its sockets. Without /usr/bin/ssh the tests that drive it say SKIPPED
//! and return (CI installs openssh-client, see scripts/test).

// Test helpers: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use cutover_clients::ssh::{SecretEnv, SshDevice, SshOptions};
use cutover_core::inventory::{Device, Inventory, Platform};
use cutover_engine::port::DeviceSession;
use cutover_lab::render::run_command_as;
use cutover_lab::scenario::load_builtin;
use cutover_lab::serve::{LabHandle, LabOptions, PASSWORD_ENV, start};
use cutover_lab::ssh_server::{Password, generate_ed25519};
use cutover_lab::{DeviceId, Topology};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

/// Guards against a hang, never a measure of speed.
const HANG_GUARD: Duration = Duration::from_secs(60);

fn have_ssh() -> bool {
    if Path::new("/usr/bin/ssh").exists() {
        return true;
    }
    // ./scripts/test installs the tools and sets CUTOVER_REQUIRE_TOOLS=1:
    // there a missing tool is a failure, never a silent pass.
    assert!(
        std::env::var_os("CUTOVER_REQUIRE_TOOLS").is_none_or(|v| v != "1"),
        "a required tool is not installed (CUTOVER_REQUIRE_TOOLS=1)"
    );
    eprintln!("SKIPPED: /usr/bin/ssh is not installed (apt-get install openssh-client)");
    false
}

fn options(dir: &Path) -> LabOptions {
    let scenario = load_builtin("baseline", &Topology::article()).expect("baseline loads");
    LabOptions::new(scenario, dir.join("lab.toml"), "test-token")
}

async fn lab_with(opts: LabOptions) -> LabHandle {
    tokio::time::timeout(HANG_GUARD, start(opts))
        .await
        .expect("the lab starts in time")
        .expect("the lab starts")
}

/// `ssh` with nothing from the user's environment: only the lab's key and
/// known_hosts, strict host key checking.
fn ssh(lab: &LabHandle, device: DeviceId, key: &Path) -> Command {
    let addr = lab.ssh_addr(device).expect("device served");
    let mut c = Command::new("/usr/bin/ssh");
    c.args([
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
        lab.known_hosts().display()
    ))
    .arg("-i")
    .arg(key)
    .arg("-p")
    .arg(addr.port().to_string())
    .kill_on_drop(true);
    c
}

struct Ran {
    status: Option<i32>,
    stdout: String,
    stderr: String,
}

async fn exec(lab: &LabHandle, device: DeviceId, key: &Path, command: &str) -> Ran {
    let mut c = ssh(lab, device, key);
    c.arg("netops@127.0.0.1").arg(command).stdin(Stdio::null());
    let out = tokio::time::timeout(HANG_GUARD, c.output())
        .await
        .expect("ssh finishes")
        .expect("ssh runs");
    Ran {
        status: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// What the world itself renders for `command`, to compare with what came
/// over the wire.
fn rendered(lab: &LabHandle, device: DeviceId, command: &str) -> String {
    lab.world()
        .with(|w, _| run_command_as(w, device, "netops", command))
        .stdout
}

fn identity(lab: &LabHandle) -> PathBuf {
    lab.identity().expect("a generated key").to_path_buf()
}

fn write_key(path: &Path) {
    let key = generate_ed25519("intruder").unwrap();
    let text = key.to_openssh(cutover_line_ending()).expect("openssh text");
    std::fs::write(path, text.as_bytes()).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

fn cutover_line_ending() -> russh::keys::ssh_key::LineEnding {
    russh::keys::ssh_key::LineEnding::LF
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_prints_what_the_parsers_read() {
    if !have_ssh() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let lab = lab_with(options(dir.path())).await;
    let key = identity(&lab);

    let cmd = "show route advertising-protocol bgp 192.168.11.18 | no-more";
    let r = exec(&lab, DeviceId::Ce1, &key, cmd).await;
    assert_eq!(r.status, Some(0), "{}", r.stderr);
    assert_eq!(r.stdout, rendered(&lab, DeviceId::Ce1, cmd));
    let parsed = cutover_core::parse::junos_route::parse(&r.stdout).expect("parses");
    let v = serde_json::to_value(&parsed).unwrap();
    let prefixes: Vec<&str> = v["routes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["prefix"].as_str())
        .collect();
    assert_eq!(prefixes, ["10.1.11.0/25"], "{}", r.stdout);

    let cmd = "show route table Cust11.inet.0 10.17.11.0/24 | display json";
    let r = exec(&lab, DeviceId::Fw, &key, cmd).await;
    assert_eq!(r.status, Some(0), "{}", r.stderr);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).expect("the JSON is JSON");
    assert!(json.get("route-information").is_some(), "{}", r.stdout);
    let v = cutover_core::parse::to_json(cutover_core::parse::Kind::JunosRoute, &r.stdout)
        .expect("parses");
    let active: Vec<(&str, i64)> = v["routes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["active"] == true && r["protocol"] == "bgp")
        .map(|r| {
            (
                r["prefix"].as_str().unwrap(),
                r["local_pref"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        active,
        [("10.17.11.0/25", 150), ("10.17.11.128/26", 150)],
        "ExpressRoute paths are active"
    );

    let r = exec(
        &lab,
        DeviceId::Ce2,
        &key,
        "show route advertising-protocol bgp 192.168.11.22 | display xml",
    )
    .await;
    assert_eq!(r.status, Some(0), "{}", r.stderr);
    assert!(r.stdout.starts_with("<rpc-reply"), "{}", r.stdout);
    let v = cutover_core::parse::to_json(cutover_core::parse::Kind::JunosRoute, &r.stdout)
        .expect("the XML parses");
    assert_eq!(v["routes"][0]["prefix"], "10.1.11.0/25", "{}", r.stdout);

    let r = exec(&lab, DeviceId::Server, &key, "traceroute -n 10.17.11.132").await;
    assert_eq!(r.status, Some(0), "{}", r.stderr);
    let trace = cutover_core::parse::traceroute::parse(&r.stdout).expect("parses");
    let hops = serde_json::to_value(&trace).unwrap();
    assert!(
        hops["hops"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["addresses"][0] == "192.168.11.18"),
        "the MSEE hop proves ExpressRoute: {}",
        r.stdout
    );
    lab.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_read_like_the_devices() {
    if !have_ssh() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let lab = lab_with(options(dir.path())).await;
    let key = identity(&lab);

    let r = exec(&lab, DeviceId::Ce1, &key, "show foo").await;
    assert_eq!(r.status, Some(1));
    assert!(
        r.stdout
            .ends_with("^\nsyntax error, expecting <command>.\n"),
        "{:?}",
        r.stdout
    );
    // The caret sits under `foo` as if `netops@SEA-MX03-01> ` preceded it.
    assert_eq!(r.stdout.find('^'), Some("netops@SEA-MX03-01> show ".len()));

    let r = exec(&lab, DeviceId::Server, &key, "show route").await;
    assert_eq!(r.status, Some(127));
    assert_eq!(r.stdout, "");
    assert_eq!(r.stderr, "bash: show: command not found\n");
    lab.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strangers_are_refused_both_ways() {
    if !have_ssh() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let lab = lab_with(options(dir.path())).await;

    let other = dir.path().join("intruder");
    write_key(&other);
    let r = exec(&lab, DeviceId::Ce1, &other, "show version").await;
    assert_eq!(r.status, Some(255));
    assert!(r.stderr.contains("Permission denied"), "{}", r.stderr);
    assert_eq!(r.stdout, "");

    // A known_hosts that names another key for ce1's port: the client must
    // refuse the lab, which proves the lab's file is what it verified.
    let addr = lab.ssh_addr(DeviceId::Ce1).unwrap();
    let forged = generate_ed25519("forged").unwrap();
    let line = format!(
        "[127.0.0.1]:{} {}\n",
        addr.port(),
        forged.public_key().to_openssh().unwrap()
    );
    let kh = std::fs::read_to_string(lab.known_hosts()).unwrap();
    assert_eq!(kh.lines().count(), 4, "{kh}");
    assert!(
        kh.contains(&format!("[127.0.0.1]:{} ssh-ed25519 ", addr.port())),
        "{kh}"
    );
    std::fs::write(lab.known_hosts(), line).unwrap();
    let r = exec(&lab, DeviceId::Ce1, &identity(&lab), "show version").await;
    assert_eq!(r.status, Some(255));
    assert!(
        r.stderr.contains("Host key verification failed"),
        "{}",
        r.stderr
    );
    lab.shutdown().await.unwrap();
}

fn password_device(lab: &LabHandle, device: DeviceId) -> Device {
    let addr = lab.ssh_addr(device).unwrap();
    Device {
        platform: Platform::Junos,
        host: "127.0.0.1".into(),
        port: Some(addr.port()),
        user: Some("netops".into()),
        identity: None,
        passphrase_env: None,
        password_env: Some(PASSWORD_ENV.into()),
        known_hosts: Some(lab.known_hosts().to_path_buf()),
        trust_on_first_use: false,
    }
}

fn password_client(lab: &LabHandle, password: &str) -> SshDevice {
    let mut opts = SshOptions::isolated();
    opts.secrets = SecretEnv::isolated().with(PASSWORD_ENV, password);
    SshDevice::new("fw", &password_device(lab, DeviceId::Fw), opts).expect("client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_logins_only_when_enabled() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(dir.path());
    opts.password = Some(Password::new("lab-pw-1"));
    let lab = lab_with(opts).await;
    let inv = Inventory::from_str(lab.inventory_text(), Path::new("lab.toml")).unwrap();
    assert_eq!(
        inv.devices["fw"].password_env.as_deref(),
        Some(PASSWORD_ENV),
        "the inventory names the variable"
    );
    assert!(!lab.inventory_text().contains("lab-pw-1"));

    let out = tokio::time::timeout(
        HANG_GUARD,
        password_client(&lab, "lab-pw-1").run("show route table Cust11.inet.0 | no-more"),
    )
    .await
    .unwrap()
    .expect("password login works");
    assert_eq!(out.exit_status, Some(0));
    assert!(out.stdout.contains("10.17.11.128/26"), "{}", out.stdout);
    let wrong = tokio::time::timeout(
        HANG_GUARD,
        password_client(&lab, "lab-pw-2").run("show version"),
    )
    .await
    .unwrap();
    assert!(wrong.is_err(), "a wrong password is refused: {wrong:?}");
    lab.shutdown().await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let lab = lab_with(options(dir.path())).await;
    let off = tokio::time::timeout(
        HANG_GUARD,
        password_client(&lab, "lab-pw-1").run("show version"),
    )
    .await
    .unwrap();
    assert!(
        off.is_err(),
        "no password login without --password: {off:?}"
    );
    lab.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_production_client_logs_in_with_the_generated_inventory() {
    let dir = tempfile::tempdir().unwrap();
    let lab = lab_with(options(dir.path())).await;
    let inv = Inventory::load(lab.inventory_path()).expect("the written inventory loads");
    assert_eq!(inv.devices.len(), 4);
    let az = inv.azure.as_ref().expect("azure section");
    assert_eq!(az.endpoint, lab.arm_endpoint());
    assert_eq!(az.token_env.as_deref(), Some("CUTOVER_ARM_TOKEN"));
    assert!(!lab.inventory_text().contains("test-token"));
    for (name, dev) in &inv.devices {
        let client = SshDevice::new(name, dev, SshOptions::isolated()).expect("client");
        let id: DeviceId = name.parse().unwrap();
        if dev.platform == Platform::Linux {
            // Round-trip times jitter from one trace to the next; the
            // hops do not.
            let cmd = "traceroute -n 10.17.11.132";
            let out = run_with_guard(&client, cmd).await;
            let hops = |text: &str| {
                let t = cutover_core::parse::traceroute::parse(text).expect("parses");
                serde_json::to_value(&t).unwrap()["hops"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|h| h["addresses"].clone())
                    .collect::<Vec<_>>()
            };
            assert_eq!(hops(&out.stdout), hops(&rendered(&lab, id, cmd)), "{name}");
        } else {
            let cmd = "show version";
            let out = run_with_guard(&client, cmd).await;
            assert_eq!(out.stdout, rendered(&lab, id, cmd), "{name}");
        }
    }
    lab.shutdown().await.unwrap();
}

async fn run_with_guard(client: &SshDevice, cmd: &str) -> cutover_engine::port::CommandOutput {
    tokio::time::timeout(HANG_GUARD, client.run(cmd))
        .await
        .expect("no hang")
        .unwrap_or_else(|e| panic!("{cmd}: {e}"))
}

/// An interactive session: `ssh -tt` with its input piped.
struct Tty {
    child: tokio::process::Child,
    stdin: tokio::process::ChildStdin,
    stdout: tokio::process::ChildStdout,
    seen: String,
}

impl Tty {
    fn open(lab: &LabHandle, device: DeviceId) -> Tty {
        let mut c = ssh(lab, device, &identity(lab));
        c.arg("-tt")
            .arg("netops@127.0.0.1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().expect("ssh runs");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        Tty {
            child,
            stdin,
            stdout,
            seen: String::new(),
        }
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.stdin.write_all(bytes).await.unwrap();
        self.stdin.flush().await.unwrap();
    }

    /// Reads until `want` has appeared `times` times in all output so far.
    async fn wait_for(&mut self, want: &str, times: usize) {
        let read = async {
            let mut buf = [0u8; 4096];
            while self.seen.matches(want).count() < times {
                let n = self.stdout.read(&mut buf).await.unwrap();
                assert!(
                    n > 0,
                    "output ended before {want:?} x{times}: {:?}",
                    self.seen
                );
                self.seen.push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        };
        tokio::time::timeout(HANG_GUARD, read)
            .await
            .unwrap_or_else(|_| panic!("no {want:?} x{times} in {:?}", self.seen));
    }

    async fn finish(mut self) -> (Option<i32>, String) {
        let mut rest = Vec::new();
        let read = self.stdout.read_to_end(&mut rest);
        tokio::time::timeout(HANG_GUARD, read)
            .await
            .unwrap()
            .unwrap();
        self.seen.push_str(&String::from_utf8_lossy(&rest));
        let status = tokio::time::timeout(HANG_GUARD, self.child.wait())
            .await
            .unwrap()
            .unwrap();
        (status.code(), self.seen)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interactive_cli_with_prompts_editing_and_exit() {
    if !have_ssh() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let lab = lab_with(options(dir.path())).await;

    let mut tty = Tty::open(&lab, DeviceId::Ce1);
    let prompt = "netops@SEA-MX03-01> ";
    tty.wait_for(prompt, 1).await;
    // A typo fixed with backspace, then the article's check.
    tty.send(b"show route advertising-protocol bgp 192.168.11.19\x7f8\n")
        .await;
    tty.wait_for(prompt, 2).await;
    assert!(tty.seen.contains("* 10.1.11.0/25"), "{:?}", tty.seen);
    assert!(tty.seen.contains("\r\n"), "terminal line ends");
    tty.send(b"shw route\n").await;
    tty.wait_for(prompt, 3).await;
    assert!(
        tty.seen.contains("syntax error, expecting <command>."),
        "{:?}",
        tty.seen
    );
    tty.send(b"a line never run\x03").await;
    tty.wait_for(prompt, 4).await;
    assert!(
        tty.seen
            .ends_with(&format!("{prompt}a line never run^C\r\n{prompt}")),
        "Ctrl-C drops the line: {:?}",
        tty.seen
    );
    tty.send(b"exit\n").await;
    let (status, seen) = tty.finish().await;
    assert_eq!(status, Some(0), "{seen:?}");

    let mut tty = Tty::open(&lab, DeviceId::Fw);
    tty.wait_for("{primary:node0}\r\nnetops@SEA-SRX42-01> ", 1)
        .await;
    tty.send(b"show route table Cust11.inet.0 10.17.11.128/26 | display json\n")
        .await;
    tty.wait_for("netops@SEA-SRX42-01> ", 2).await;
    assert!(tty.seen.contains("\"route-information\""), "{:?}", tty.seen);
    tty.send(b"quit\n").await;
    assert_eq!(tty.finish().await.0, Some(0));

    let mut tty = Tty::open(&lab, DeviceId::Server);
    tty.wait_for("$ ", 1).await;
    tty.send(b"traceroute -n 10.17.11.132\n").await;
    tty.wait_for("$ ", 2).await;
    assert!(tty.seen.contains(" 3  192.168.11.18  "), "{:?}", tty.seen);
    // Ctrl-D on an empty line leaves.
    tty.send(b"\x04").await;
    assert_eq!(tty.finish().await.0, Some(0));
    lab.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_silent_clients_are_dropped_and_shutdown_ends_sessions() {
    if !have_ssh() {
        return;
    }
    // A TCP client that never speaks gets the greeting, then a closed
    // connection.
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(dir.path());
    opts.ssh.login_grace = Duration::from_millis(300);
    let lab = lab_with(opts).await;
    let addr = lab.ssh_addr(DeviceId::Ce2).unwrap();
    let mut raw = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut got = Vec::new();
    tokio::time::timeout(HANG_GUARD, raw.read_to_end(&mut got))
        .await
        .expect("the server hangs up")
        .ok();
    assert!(String::from_utf8_lossy(&got).starts_with("SSH-2.0-"));
    lab.shutdown().await.unwrap();

    // A shell nobody types into is closed by the server.
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(dir.path());
    opts.ssh.idle_timeout = Duration::from_secs(2);
    let lab = lab_with(opts).await;
    let mut tty = Tty::open(&lab, DeviceId::Ce2);
    tty.wait_for("netops@SEA-MX03-02> ", 1).await;
    let (status, _) = tty.finish().await;
    assert_ne!(status, Some(0), "the session ended from the server side");
    lab.shutdown().await.unwrap();

    // Shutdown closes a live session and the listeners.
    let dir = tempfile::tempdir().unwrap();
    let lab = lab_with(options(dir.path())).await;
    let mut tty = Tty::open(&lab, DeviceId::Fw);
    tty.wait_for("netops@SEA-SRX42-01> ", 1).await;
    let addr = lab.ssh_addr(DeviceId::Fw).unwrap();
    tokio::time::timeout(HANG_GUARD, lab.shutdown())
        .await
        .unwrap()
        .unwrap();
    let (status, seen) = tty.finish().await;
    assert_ne!(status, Some(0), "{seen:?}");
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "the listener is closed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_refuses_bad_keys_files_and_busy_ports() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(dir.path());
    opts.authorized_keys = Some(dir.path().join("missing_keys"));
    let e = start(opts).await.unwrap_err().to_string();
    assert!(
        e.contains("missing_keys") && e.contains("No such file"),
        "{e}"
    );

    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port();
    let mut opts = options(dir.path());
    // ce1 is bound first: its port is the busy one.
    opts.base_port = Some(port);
    let e = start(opts).await.unwrap_err().to_string();
    assert!(
        e.contains(&format!("cannot listen on 127.0.0.1:{port} for ce1")),
        "{e}"
    );
    drop(busy);
}
