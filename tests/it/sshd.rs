//! A real OpenSSH `sshd` on 127.0.0.1 for one test: its own temp folder,
//! host keys, authorized_keys, log file, and an ephemeral port; killed
//! (with every session process it forked) when dropped.

#![allow(dead_code)]

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const SSHD: &str = "/usr/sbin/sshd";
/// The user the password tests log in as (created when absent; see
/// [`password_user`]).
pub const TEST_USER: &str = "cutover-test";

/// Why these tests cannot run here, if they cannot.
pub fn unavailable() -> Option<String> {
    for tool in [SSHD, "/usr/bin/ssh-keygen"] {
        if !Path::new(tool).exists() {
            return Some(format!(
                "{tool} is missing (install openssh-server and openssh-client)"
            ));
        }
    }
    // sshd refuses to start without its privilege separation folder, which
    // the Debian service (not the package) creates at boot.
    let privsep = Path::new("/run/sshd");
    if !privsep.exists() {
        if is_root() {
            if let Err(e) = std::fs::create_dir_all(privsep) {
                return Some(format!("cannot create {}: {e}", privsep.display()));
            }
        } else {
            return Some(format!(
                "{} is missing and only root can create it",
                privsep.display()
            ));
        }
    }
    None
}

/// Prints straight to the terminal (past the test harness's capture) so a
/// skipped interop test is never mistaken for a passing one.
/// Under `./scripts/test` (which installs the tools and sets
/// `CUTOVER_REQUIRE_TOOLS=1`) a missing tool fails the test instead.
pub fn skip_loudly(test: &str, why: &str) {
    if std::env::var_os("CUTOVER_REQUIRE_TOOLS").is_some_and(|v| v == "1") {
        panic!("{test} cannot run: {why} (CUTOVER_REQUIRE_TOOLS=1)");
    }
    let mut err = std::io::stderr();
    let _ = writeln!(err, "\n*** SKIPPED {test}: {why} ***\n");
}

/// True (after saying so loudly) when the calling test must be skipped.
pub fn skip(test: &str) -> bool {
    match unavailable() {
        Some(why) => {
            skip_loudly(test, &why);
            true
        }
        None => false,
    }
}

pub fn is_root() -> bool {
    run("id", &["-u"]).trim() == "0"
}

pub fn current_user() -> String {
    run("id", &["-un"]).trim().to_string()
}

/// Runs a command and returns stdout; panics with stderr when it fails.
pub fn run(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd}: {e}"));
    assert!(
        out.status.success(),
        "{cmd} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A key pair made by ssh-keygen.
#[derive(Debug, Clone)]
pub struct KeyPair {
    pub private: PathBuf,
    /// The `.pub` line (`type base64 comment`).
    pub public: String,
}

impl KeyPair {
    /// `SHA256:...` as `ssh-keygen -lf` prints it.
    pub fn fingerprint(&self) -> String {
        let out = run(
            "ssh-keygen",
            &["-lf", &format!("{}.pub", self.private.display())],
        );
        out.split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_string()
    }

    /// `type base64` without the comment.
    pub fn key_field(&self) -> String {
        self.public
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// `ssh-keygen -t kind` into `dir/name`, with `passphrase` ('' for none).
pub fn keygen(dir: &Path, name: &str, kind: &str, passphrase: &str) -> KeyPair {
    let path = dir.join(name);
    let mut args = vec!["-q", "-t", kind, "-N", passphrase, "-C", name, "-f"];
    let p = path.to_string_lossy().into_owned();
    args.push(&p);
    if kind == "rsa" {
        args.extend(["-b", "3072"]);
    }
    run("ssh-keygen", &args);
    let public = std::fs::read_to_string(format!("{p}.pub")).expect("public key written");
    KeyPair {
        private: path,
        public: public.trim().to_string(),
    }
}

/// What to put in one sshd's config.
#[derive(Debug, Clone)]
pub struct SshdSpec {
    /// Public key lines allowed to log in (any user).
    pub authorized: Vec<String>,
    /// Host key types, each generated fresh (`ed25519`, `rsa`, ...).
    pub host_key_types: Vec<&'static str>,
    /// Extra config lines.
    pub extra: Vec<String>,
}

impl Default for SshdSpec {
    fn default() -> Self {
        Self {
            authorized: Vec::new(),
            host_key_types: vec!["ed25519"],
            extra: Vec::new(),
        }
    }
}

/// A running sshd.
#[derive(Debug)]
pub struct Sshd {
    pub port: u16,
    pub dir: PathBuf,
    pub host_keys: Vec<KeyPair>,
    log: PathBuf,
    child: Child,
}

impl Sshd {
    /// Starts sshd in `dir/name` (created) and waits until it listens.
    pub fn start(dir: &Path, name: &str, spec: &SshdSpec) -> Sshd {
        let dir = dir.join(name);
        std::fs::create_dir_all(&dir).expect("sshd folder");
        let host_keys: Vec<KeyPair> = spec
            .host_key_types
            .iter()
            .map(|t| keygen(&dir, &format!("host_{t}"), t, ""))
            .collect();
        let authorized = dir.join("authorized_keys");
        let mut text = spec.authorized.join("\n");
        text.push('\n');
        std::fs::write(&authorized, text).expect("authorized_keys");
        let log = dir.join("sshd.log");
        let mut last_log = String::new();
        for _ in 0..8 {
            let port = free_port();
            // sshd keeps the first value of a keyword: the spec's lines go
            // first so they override the defaults below.
            let mut cfg = String::new();
            for line in &spec.extra {
                cfg.push_str(line);
                cfg.push('\n');
            }
            cfg.push_str(&format!(
                "ListenAddress 127.0.0.1\nPort {port}\nAuthorizedKeysFile {}\nPidFile {}\n\
                 StrictModes no\nUsePAM no\nPermitRootLogin yes\nPasswordAuthentication yes\n\
                 KbdInteractiveAuthentication no\nLogLevel VERBOSE\nMaxStartups 100\n\
                 MaxSessions 50\nPrintMotd no\nUseDNS no\n",
                authorized.display(),
                dir.join("sshd.pid").display()
            ));
            for k in &host_keys {
                cfg.push_str(&format!("HostKey {}\n", k.private.display()));
            }
            let cfg_path = dir.join("sshd_config");
            std::fs::write(&cfg_path, cfg).expect("sshd_config");
            let _ = std::fs::remove_file(&log);
            let mut child = Command::new(SSHD)
                .arg("-D")
                .arg("-f")
                .arg(&cfg_path)
                .arg("-E")
                .arg(&log)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn sshd");
            // A readiness wait, not an assertion on speed: the cap only
            // turns a broken sshd into a failure instead of a hang.
            let start = Instant::now();
            loop {
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                if text.contains("Server listening on") {
                    return Sshd {
                        port,
                        dir,
                        host_keys,
                        log,
                        child,
                    };
                }
                if let Ok(Some(_)) = child.try_wait() {
                    let mut stderr = String::new();
                    if let Some(mut e) = child.stderr.take() {
                        let _ = std::io::Read::read_to_string(&mut e, &mut stderr);
                    }
                    last_log = format!("{text}{stderr}");
                    break;
                }
                if start.elapsed() > Duration::from_secs(30) {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("sshd did not start listening: {text}");
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            if !last_log.contains("Address already in use") {
                break;
            }
        }
        panic!("sshd did not start: {last_log}");
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// TCP connections sshd accepted so far.
    pub fn connections(&self) -> usize {
        self.log().matches("Connection from 127.0.0.1").count()
    }

    /// `[127.0.0.1]:port type base64` for each host key.
    pub fn known_hosts_lines(&self) -> Vec<String> {
        self.host_keys
            .iter()
            .map(|k| format!("[127.0.0.1]:{} {}", self.port, k.key_field()))
            .collect()
    }

    /// Kills every session process this sshd forked (the listener stays):
    /// what a device does when it drops its sessions.
    pub fn kill_sessions(&self) -> usize {
        let pids = descendants(self.child.id());
        for pid in &pids {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
        pids.len()
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let sessions = descendants(self.child.id());
        let _ = self.child.kill();
        let _ = self.child.wait();
        for pid in sessions {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
    }
}

/// Every process below `pid`, from /proc.
fn descendants(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let mut todo = vec![pid];
    while let Some(p) = todo.pop() {
        let kids =
            std::fs::read_to_string(format!("/proc/{p}/task/{p}/children")).unwrap_or_default();
        for k in kids
            .split_whitespace()
            .filter_map(|k| k.parse::<u32>().ok())
        {
            out.push(k);
            todo.push(k);
        }
    }
    out
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    l.local_addr().expect("local addr").port()
}

/// An `ssh-agent` holding some keys, on its own socket; killed on drop.
#[derive(Debug)]
pub struct Agent {
    pub socket: PathBuf,
    child: Child,
}

impl Agent {
    pub fn start(dir: &Path, keys: &[&KeyPair]) -> Agent {
        let socket = dir.join("agent.sock");
        let child = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn ssh-agent");
        let start = Instant::now();
        while !socket.exists() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "ssh-agent did not create its socket"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        for k in keys {
            let out = Command::new("ssh-add")
                .arg(&k.private)
                .env("SSH_AUTH_SOCK", &socket)
                .output()
                .expect("run ssh-add");
            assert!(
                out.status.success(),
                "ssh-add: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Agent { socket, child }
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Serialises the tests that set [`TEST_USER`]'s password (test threads of
/// one process; a runner that puts tests in separate processes must not run
/// two of them at once).
static PASSWORD_USER: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Keeps every other test of this process off [`TEST_USER`]'s password,
/// for a test that hands the user to a child process of its own.
pub fn hold_password_user() -> std::sync::MutexGuard<'static, ()> {
    PASSWORD_USER
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Gives [`TEST_USER`] the password `password` for the life of the guard,
/// creating the user (no home, /bin/sh) when absent; on drop the password
/// is locked again so the account never keeps a usable password. Needs
/// root; `None` otherwise.
pub fn password_user(password: &str) -> Option<PasswordGuard> {
    if !is_root() {
        return None;
    }
    let held = hold_password_user();
    let exists = Command::new("id")
        .arg(TEST_USER)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !exists {
        run(
            "useradd",
            &[
                "-M",
                "-s",
                "/bin/sh",
                "-c",
                "cutover ssh interop tests",
                TEST_USER,
            ],
        );
    }
    let mut child = Command::new("chpasswd")
        .stdin(Stdio::piped())
        .spawn()
        .expect("spawn chpasswd");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{TEST_USER}:{password}\n").as_bytes())
        .expect("write chpasswd");
    assert!(child.wait().expect("chpasswd").success(), "chpasswd failed");
    Some(PasswordGuard { _held: held })
}

#[derive(Debug)]
pub struct PasswordGuard {
    _held: std::sync::MutexGuard<'static, ()>,
}

impl Drop for PasswordGuard {
    fn drop(&mut self) {
        let _ = Command::new("usermod")
            .args(["-p", "!", TEST_USER])
            .status();
    }
}
