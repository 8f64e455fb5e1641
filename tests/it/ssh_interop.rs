//! The production SSH client against a real OpenSSH `sshd`, started by each
//! test on 127.0.0.1 with its own host keys, authorized_keys and port.
//! Covers the key types, the agent, passwords, every host-key verdict, the
//! ssh config, ProxyJump, connection reuse and reconnection. Without
//! /usr/sbin/sshd each test says SKIPPED on the terminal and returns.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::sshd::{Agent, KeyPair, Sshd, SshdSpec, keygen};
use cutover_clients::ssh::{SecretEnv, SshDevice, SshOptions};
use cutover_core::inventory::{Device, Platform};
use cutover_engine::port::{DeviceError, DeviceSession};

fn device(port: u16, user: &str, identity: Option<&Path>, known_hosts: &Path) -> Device {
    Device {
        platform: Platform::Linux,
        host: "127.0.0.1".into(),
        port: Some(port),
        user: Some(user.into()),
        identity: identity.map(Path::to_path_buf),
        passphrase_env: None,
        password_env: None,
        known_hosts: Some(known_hosts.to_path_buf()),
        trust_on_first_use: false,
    }
}

/// A temp folder, a user key, and an sshd that accepts it and whose host
/// key is already in `known_hosts`.
struct Bench {
    tmp: tempfile::TempDir,
    user: String,
    key: KeyPair,
    sshd: Sshd,
    known_hosts: PathBuf,
}

impl Bench {
    fn new(key_type: &str, spec: SshdSpec) -> Bench {
        let tmp = tempfile::tempdir().expect("tempdir");
        let key = keygen(tmp.path(), &format!("id_{key_type}"), key_type, "");
        let mut spec = spec;
        spec.authorized.push(key.public.clone());
        let sshd = Sshd::start(tmp.path(), "sshd", &spec);
        let known_hosts = tmp.path().join("known_hosts");
        std::fs::write(&known_hosts, sshd.known_hosts_lines().join("\n") + "\n")
            .expect("known_hosts");
        Bench {
            user: crate::sshd::current_user(),
            tmp,
            key,
            sshd,
            known_hosts,
        }
    }

    fn device(&self) -> Device {
        device(
            self.sshd.port,
            &self.user,
            Some(&self.key.private),
            &self.known_hosts,
        )
    }

    fn ssh(&self, d: &Device) -> SshDevice {
        SshDevice::new("ce1", d, SshOptions::isolated()).expect("device resolves")
    }
}

#[tokio::test]
async fn ed25519_key_runs_commands_and_reports_exit_status() {
    if crate::sshd::skip("ed25519_key_runs_commands_and_reports_exit_status") {
        return;
    }
    let b = Bench::new("ed25519", SshdSpec::default());
    let ssh = b.ssh(&b.device());
    let out = ssh
        .run("echo out; echo err >&2; exit 3")
        .await
        .expect("command runs");
    assert_eq!(out.stdout, "out\n");
    assert_eq!(out.stderr, "err\n");
    assert_eq!(out.exit_status, Some(3));
    let info = ssh.info().await.expect("connected");
    assert!(info.auth_method.starts_with("publickey"), "{info:?}");
    assert!(
        b.sshd.log().contains("Accepted publickey"),
        "{}",
        b.sshd.log()
    );
}

#[tokio::test]
async fn rsa_key_signs_with_sha2() {
    if crate::sshd::skip("rsa_key_signs_with_sha2") {
        return;
    }
    // The server refuses SHA-1 `ssh-rsa` signatures outright: logging in
    // proves an rsa-sha2 signature.
    let b = Bench::new(
        "rsa",
        SshdSpec {
            extra: vec!["PubkeyAcceptedAlgorithms rsa-sha2-512,rsa-sha2-256".into()],
            ..SshdSpec::default()
        },
    );
    let out = b.ssh(&b.device()).run("echo rsa").await.expect("RSA login");
    assert_eq!(out.stdout, "rsa\n");
    let log = b.sshd.log();
    assert!(
        log.contains("Accepted publickey") && log.contains("RSA SHA256:"),
        "{log}"
    );
}

#[tokio::test]
async fn encrypted_key_reads_its_passphrase_from_the_named_variable() {
    if crate::sshd::skip("encrypted_key_reads_its_passphrase_from_the_named_variable") {
        return;
    }
    const PASSPHRASE: &str = "correct-horse-7f3a9";
    const WRONG: &str = "wrong-horse-2b8c1";
    let tmp = tempfile::tempdir().expect("tempdir");
    let key = keygen(tmp.path(), "id_locked", "ed25519", PASSPHRASE);
    let sshd = Sshd::start(
        tmp.path(),
        "sshd",
        &SshdSpec {
            authorized: vec![key.public.clone()],
            ..SshdSpec::default()
        },
    );
    let kh = tmp.path().join("known_hosts");
    std::fs::write(&kh, sshd.known_hosts_lines().join("\n")).expect("known_hosts");
    let mut d = device(
        sshd.port,
        &crate::sshd::current_user(),
        Some(&key.private),
        &kh,
    );
    d.passphrase_env = Some("CE1_KEY_PASSPHRASE".into());
    let with = |value: Option<&str>| {
        let mut secrets = SecretEnv::isolated();
        if let Some(v) = value {
            secrets = secrets.with("CE1_KEY_PASSPHRASE", v);
        }
        SshOptions {
            secrets,
            ..SshOptions::isolated()
        }
    };

    let ok = SshDevice::new("ce1", &d, with(Some(PASSPHRASE))).expect("resolves");
    assert_eq!(
        ok.run("echo unlocked").await.expect("login").stdout,
        "unlocked\n"
    );

    let key_path = key.private.display().to_string();
    let wrong = SshDevice::new("ce1", &d, with(Some(WRONG))).expect("resolves");
    let e = wrong.run("true").await.expect_err("wrong passphrase");
    assert!(matches!(e, DeviceError::Auth { .. }), "{e:?}");
    let (shown, debug) = (e.to_string(), format!("{e:?}"));
    assert!(
        shown.contains(&key_path) && shown.contains("CE1_KEY_PASSPHRASE"),
        "{shown}"
    );
    for text in [&shown, &debug] {
        assert!(
            !text.contains(WRONG) && !text.contains(PASSPHRASE),
            "secret leaked: {text}"
        );
    }

    let unset = SshDevice::new("ce1", &d, with(None)).expect("resolves");
    let e = unset.run("true").await.expect_err("variable not set");
    let shown = e.to_string();
    assert!(
        shown.contains(&key_path) && shown.contains("encrypted") && shown.contains("not set"),
        "{shown}"
    );

    d.passphrase_env = None;
    let none = SshDevice::new("ce1", &d, with(Some(PASSPHRASE))).expect("resolves");
    let shown = none
        .run("true")
        .await
        .expect_err("no passphrase_env")
        .to_string();
    assert!(
        shown.contains(&key_path) && shown.contains("passphrase_env"),
        "{shown}"
    );
    assert!(!shown.contains(PASSPHRASE));
}

#[tokio::test]
async fn agent_signs_after_a_refused_key_file() {
    if crate::sshd::skip("agent_signs_after_a_refused_key_file") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let agent_key = keygen(tmp.path(), "id_agent", "rsa", "");
    let stranger = keygen(tmp.path(), "id_stranger", "ed25519", "");
    let sshd = Sshd::start(
        tmp.path(),
        "sshd",
        &SshdSpec {
            authorized: vec![agent_key.public.clone()],
            ..SshdSpec::default()
        },
    );
    let kh = tmp.path().join("known_hosts");
    std::fs::write(&kh, sshd.known_hosts_lines().join("\n")).expect("known_hosts");
    let agent = Agent::start(tmp.path(), &[&agent_key]);
    std::fs::remove_file(&agent_key.private).expect("key only in the agent now");

    let d = device(
        sshd.port,
        &crate::sshd::current_user(),
        Some(&stranger.private),
        &kh,
    );
    let opts = SshOptions {
        agent_socket: Some(agent.socket.clone()),
        ..SshOptions::isolated()
    };
    let ssh = SshDevice::new("ce1", &d, opts).expect("resolves");
    assert_eq!(
        ssh.run("echo via-agent").await.expect("agent login").stdout,
        "via-agent\n"
    );
    let info = ssh.info().await.expect("connected");
    assert!(info.auth_method.starts_with("agent"), "{info:?}");
    assert!(sshd.log().contains("RSA SHA256:"), "{}", sshd.log());

    // Without the agent the same device cannot log in, and says what it tried.
    let ssh = SshDevice::new("ce1", &d, SshOptions::isolated()).expect("resolves");
    let e = ssh.run("true").await.expect_err("no agent");
    let shown = e.to_string();
    assert!(matches!(e, DeviceError::Auth { .. }), "{e:?}");
    assert!(
        shown.contains("id_stranger") && shown.contains("agent") && shown.contains("password"),
        "{shown}"
    );
}

#[tokio::test]
#[expect(
    clippy::await_holding_lock,
    reason = "the lock keeps other test threads off the user while the child runs"
)]
async fn password_from_the_named_variable() {
    if crate::sshd::skip("password_from_the_named_variable") {
        return;
    }
    // The child sets the password itself; no test of this process may
    // change it meanwhile.
    let _user = crate::sshd::hold_password_user();
    crate::arm_client::run_alone(module_path!(), "password_from_the_named_variable_alone").await;
}

/// Run alone by `password_from_the_named_variable`: it searches every log
/// line for the password.
#[tokio::test]
#[ignore = "helper: run alone by password_from_the_named_variable"]
async fn password_from_the_named_variable_alone() {
    let password = format!("pw-{}", uuid::Uuid::new_v4().simple());
    let Some(_guard) = crate::sshd::password_user(&password) else {
        crate::sshd::skip_loudly(
            "password_from_the_named_variable",
            "needs root to give the cutover-test user a password",
        );
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let sshd = Sshd::start(tmp.path(), "sshd", &SshdSpec::default());
    let kh = tmp.path().join("known_hosts");
    std::fs::write(&kh, sshd.known_hosts_lines().join("\n")).expect("known_hosts");
    let mut d = device(sshd.port, crate::sshd::TEST_USER, None, &kh);
    d.password_env = Some("CE1_PASSWORD".into());
    let opts = |pw: &str| SshOptions {
        secrets: SecretEnv::isolated().with("CE1_PASSWORD", pw),
        ..SshOptions::isolated()
    };

    // Every log line of this test, at the most verbose level, is kept to
    // be searched for the secrets (the runtime is this thread's).
    let logs = LogBuffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(logs.clone())
        .finish();
    let _logging = tracing::subscriber::set_default(subscriber);

    let ssh = SshDevice::new("ce1", &d, opts(&password)).expect("resolves");
    let out = ssh.run("id -un").await.expect("password login");
    assert_eq!(out.stdout.trim(), crate::sshd::TEST_USER);
    assert_eq!(ssh.info().await.expect("connected").auth_method, "password");

    let wrong = format!("bad-{}", uuid::Uuid::new_v4().simple());
    let ssh = SshDevice::new("ce1", &d, opts(&wrong)).expect("resolves");
    let e = ssh.run("true").await.expect_err("wrong password");
    assert!(matches!(e, DeviceError::Auth { .. }), "{e:?}");
    let (shown, debug) = (e.to_string(), format!("{e:?}"));
    assert!(
        shown.contains("CE1_PASSWORD") && shown.contains("not accepted"),
        "{shown}"
    );
    let logged = logs.text();
    assert!(
        logged.contains("ssh authenticated") && logged.contains("method=password"),
        "{logged}"
    );
    for text in [&shown, &debug, &logged] {
        assert!(
            !text.contains(&wrong) && !text.contains(&password),
            "secret leaked: {text}"
        );
    }
}

/// A tracing writer that keeps everything in memory.
#[derive(Clone, Default)]
struct LogBuffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl LogBuffer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log buffer")).into_owned()
    }
}

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogBuffer {
    type Writer = LogBuffer;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn host_key_known_plain_hashed_and_by_pattern() {
    if crate::sshd::skip("host_key_known_plain_hashed_and_by_pattern") {
        return;
    }
    let b = Bench::new("ed25519", SshdSpec::default());
    let key = b.sshd.host_keys[0].key_field();
    let port = b.sshd.port;
    let cases = [
        ("plain", format!("[127.0.0.1]:{port} {key}\n")),
        ("pattern", format!("[127.0.0.*]:{port},!other {key}\n")),
        ("hashed", format!("[127.0.0.1]:{port} {key}\n")),
    ];
    for (name, text) in cases {
        let kh = b.tmp.path().join(format!("kh_{name}"));
        std::fs::write(&kh, &text).expect("write");
        if name == "hashed" {
            crate::sshd::run("ssh-keygen", &["-H", "-f", &kh.to_string_lossy()]);
            let hashed = std::fs::read_to_string(&kh).expect("read");
            assert!(
                hashed.starts_with("|1|") && !hashed.contains("127.0.0.1"),
                "{hashed}"
            );
        }
        let mut d = b.device();
        d.known_hosts = Some(kh);
        let out = b
            .ssh(&d)
            .run("echo known")
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(out.stdout, "known\n", "{name}");
    }
}

#[tokio::test]
async fn unknown_host_key_is_refused_with_its_fingerprint() {
    if crate::sshd::skip("unknown_host_key_is_refused_with_its_fingerprint") {
        return;
    }
    let b = Bench::new("ed25519", SshdSpec::default());
    // A CA line for the very key does not vouch for it: host certificates
    // are not used, so the key stays unknown.
    std::fs::write(
        &b.known_hosts,
        format!("@cert-authority * {}\n", b.sshd.host_keys[0].key_field()),
    )
    .expect("write");
    let e = b
        .ssh(&b.device())
        .run("echo never")
        .await
        .expect_err("unknown key");
    assert!(matches!(e, DeviceError::HostKey { .. }), "{e:?}");
    let shown = e.to_string();
    let fp = b.sshd.host_keys[0].fingerprint();
    assert!(
        fp.starts_with("SHA256:") && shown.contains(&fp),
        "{fp} not in {shown}"
    );
    assert!(
        shown.contains("unknown") && shown.contains("trust_on_first_use"),
        "{shown}"
    );
    assert!(
        !b.sshd.log().contains("Accepted"),
        "no login may follow a refused host key"
    );
}

#[tokio::test]
async fn trust_on_first_use_records_the_key_for_next_time() {
    if crate::sshd::skip("trust_on_first_use_records_the_key_for_next_time") {
        return;
    }
    let b = Bench::new("ed25519", SshdSpec::default());
    let kh = b.tmp.path().join("fresh").join("known_hosts");
    let mut d = b.device();
    d.known_hosts = Some(kh.clone());
    d.trust_on_first_use = true;
    let out = b.ssh(&d).run("echo first").await.expect("TOFU login");
    assert_eq!(out.stdout, "first\n");
    let text = std::fs::read_to_string(&kh).expect("key recorded");
    assert_eq!(
        text,
        format!(
            "[127.0.0.1]:{} {}\n",
            b.sshd.port,
            b.sshd.host_keys[0].key_field()
        )
    );
    // OpenSSH itself finds the recorded entry.
    let found = crate::sshd::run(
        "ssh-keygen",
        &[
            "-F",
            &format!("[127.0.0.1]:{}", b.sshd.port),
            "-f",
            &kh.to_string_lossy(),
        ],
    );
    assert!(found.contains(&b.sshd.host_keys[0].key_field()), "{found}");

    d.trust_on_first_use = false;
    let out = b.ssh(&d).run("echo second").await.expect("known now");
    assert_eq!(out.stdout, "second\n");
    assert_eq!(
        std::fs::read_to_string(&kh).expect("read"),
        text,
        "nothing appended twice"
    );
}

#[tokio::test]
async fn changed_host_key_is_refused_even_with_trust_on_first_use() {
    if crate::sshd::skip("changed_host_key_is_refused_even_with_trust_on_first_use") {
        return;
    }
    let b = Bench::new("ed25519", SshdSpec::default());
    let old = keygen(b.tmp.path(), "old_host_key", "ed25519", "");
    let recorded = format!(
        "# earlier\n[127.0.0.1]:{} {}\n",
        b.sshd.port,
        old.key_field()
    );
    std::fs::write(&b.known_hosts, &recorded).expect("write");
    let mut d = b.device();
    d.trust_on_first_use = true;
    let e = b.ssh(&d).run("echo never").await.expect_err("changed key");
    assert!(matches!(e, DeviceError::HostKey { .. }), "{e:?}");
    let shown = e.to_string();
    assert!(shown.contains("HOST KEY CHANGED"), "{shown}");
    assert!(
        shown.contains(&format!("{}:2", b.known_hosts.display())),
        "{shown}"
    );
    assert!(shown.contains(&old.fingerprint()), "{shown}");
    assert!(
        shown.contains(&b.sshd.host_keys[0].fingerprint()),
        "{shown}"
    );
    assert_eq!(
        std::fs::read_to_string(&b.known_hosts).expect("read"),
        recorded,
        "file untouched"
    );
    assert!(
        !b.sshd.log().contains("Accepted"),
        "no login may follow a refused host key"
    );
}

#[tokio::test]
async fn revoked_host_key_is_refused() {
    if crate::sshd::skip("revoked_host_key_is_refused") {
        return;
    }
    let b = Bench::new("ed25519", SshdSpec::default());
    let key = b.sshd.host_keys[0].key_field();
    std::fs::write(
        &b.known_hosts,
        format!("[127.0.0.1]:{} {key}\n@revoked * {key}\n", b.sshd.port),
    )
    .expect("write");
    let e = b
        .ssh(&b.device())
        .run("echo never")
        .await
        .expect_err("revoked");
    assert!(e.to_string().contains("REVOKED"), "{e}");
}

#[tokio::test]
async fn a_host_known_by_its_rsa_key_is_asked_for_that_key() {
    if crate::sshd::skip("a_host_known_by_its_rsa_key_is_asked_for_that_key") {
        return;
    }
    let b = Bench::new(
        "ed25519",
        SshdSpec {
            host_key_types: vec!["ed25519", "rsa"],
            ..SshdSpec::default()
        },
    );
    let rsa = &b.sshd.known_hosts_lines()[1];
    assert!(rsa.contains("ssh-rsa"), "{rsa}");
    std::fs::write(&b.known_hosts, format!("{rsa}\n")).expect("write");
    let out = b
        .ssh(&b.device())
        .run("echo rsa-host")
        .await
        .expect("RSA host key chosen");
    assert_eq!(out.stdout, "rsa-host\n");
}

#[tokio::test]
async fn ssh_config_alias_supplies_host_port_user_key_and_known_hosts() {
    if crate::sshd::skip("ssh_config_alias_supplies_host_port_user_key_and_known_hosts") {
        return;
    }
    let b = Bench::new("ed25519", SshdSpec::default());
    let home = b.tmp.path().join("home");
    std::fs::create_dir_all(home.join(".ssh")).expect("mkdir");
    std::fs::create_dir_all(home.join("keys")).expect("mkdir");
    std::fs::copy(
        &b.key.private,
        home.join("keys").join(format!("{}_ed25519", b.user)),
    )
    .expect("copy key");
    std::fs::copy(&b.known_hosts, home.join("lab_known_hosts")).expect("copy known_hosts");
    let config = home.join(".ssh").join("config");
    std::fs::write(
        &config,
        format!(
            "Host other\n  Port 1\n\nHost lab-* !lab-decoy\n  HostName 127.0.0.1\n  Port {}\n  User {}\n  \
             IdentityFile %d/keys/%r_ed25519\n  UserKnownHostsFile ~/lab_known_hosts\n\nHost *\n  Port 2\n",
            b.sshd.port, b.user
        ),
    )
    .expect("config");
    let d = Device {
        platform: Platform::Junos,
        host: "lab-ce1".into(),
        port: None,
        user: None,
        identity: None,
        passphrase_env: None,
        password_env: None,
        known_hosts: None,
        trust_on_first_use: false,
    };
    let opts = SshOptions {
        home: Some(home.clone()),
        ssh_config: Some(config),
        ..SshOptions::isolated()
    };
    let ssh = SshDevice::new("ce1", &d, opts).expect("resolves");
    assert_eq!(
        ssh.target(),
        format!("{}@127.0.0.1:{}", b.user, b.sshd.port)
    );
    assert_eq!(ssh.known_hosts(), home.join("lab_known_hosts"));
    assert_eq!(
        ssh.run("echo aliased").await.expect("login").stdout,
        "aliased\n"
    );
}

#[tokio::test]
async fn proxy_jump_reaches_the_device_through_the_jump_host() {
    if crate::sshd::skip("proxy_jump_reaches_the_device_through_the_jump_host") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let user = crate::sshd::current_user();
    let jump_key = keygen(tmp.path(), "id_jump", "ed25519", "");
    let device_key = keygen(tmp.path(), "id_device", "ed25519", "");
    // Each sshd accepts only its own key: both hops must authenticate with
    // their own credentials.
    let jump = Sshd::start(
        tmp.path(),
        "jump",
        &SshdSpec {
            authorized: vec![jump_key.public.clone()],
            extra: vec!["LogLevel DEBUG1".into(), "AllowTcpForwarding yes".into()],
            ..SshdSpec::default()
        },
    );
    let target = Sshd::start(
        tmp.path(),
        "target",
        &SshdSpec {
            authorized: vec![device_key.public.clone()],
            ..SshdSpec::default()
        },
    );
    let kh = tmp.path().join("known_hosts");
    let mut lines = jump.known_hosts_lines();
    lines.extend(target.known_hosts_lines());
    std::fs::write(&kh, lines.join("\n") + "\n").expect("known_hosts");
    let config = tmp.path().join("ssh_config");
    std::fs::write(
        &config,
        format!(
            "Host ce1\n  HostName 127.0.0.1\n  Port {}\n  ProxyJump {user}@bastion:{}\n\n\
             Host bastion\n  HostName 127.0.0.1\n  IdentityFile {}\n",
            target.port,
            jump.port,
            jump_key.private.display()
        ),
    )
    .expect("config");
    let d = Device {
        platform: Platform::Junos,
        host: "ce1".into(),
        port: None,
        user: Some(user.clone()),
        identity: Some(device_key.private.clone()),
        passphrase_env: None,
        password_env: None,
        known_hosts: Some(kh),
        trust_on_first_use: false,
    };
    let opts = SshOptions {
        ssh_config: Some(config),
        ..SshOptions::isolated()
    };
    let ssh = SshDevice::new("ce1", &d, opts).expect("resolves");
    assert_eq!(
        ssh.target(),
        format!(
            "{user}@127.0.0.1:{} via {user}@127.0.0.1:{}",
            target.port, jump.port
        )
    );
    assert_eq!(
        ssh.run("echo through")
            .await
            .expect("login via jump")
            .stdout,
        "through\n"
    );
    assert_eq!(
        ssh.run("echo again").await.expect("reused").stdout,
        "again\n"
    );
    let jump_log = jump.log();
    assert!(
        jump_log.contains(&format!("target 127.0.0.1 port {}", target.port)),
        "the jump host forwarded to the device: {jump_log}"
    );
    assert_eq!(jump.connections(), 1, "{jump_log}");
    assert_eq!(target.connections(), 1, "{}", target.log());
    assert!(
        target.log().contains(&device_key.fingerprint()),
        "{}",
        target.log()
    );
}

#[tokio::test]
async fn one_connection_serves_many_commands_even_concurrent_ones() {
    if crate::sshd::skip("one_connection_serves_many_commands_even_concurrent_ones") {
        return;
    }
    let b = Bench::new("ed25519", SshdSpec::default());
    let ssh = b.ssh(&b.device());
    for i in 0..3 {
        assert_eq!(
            ssh.run(&format!("echo {i}")).await.expect("run").stdout,
            format!("{i}\n")
        );
    }
    let runs = (0..4).map(|i| {
        let ssh = &ssh;
        async move { ssh.run(&format!("echo c{i}")).await }
    });
    for (i, r) in futures::future::join_all(runs)
        .await
        .into_iter()
        .enumerate()
    {
        assert_eq!(r.expect("concurrent run").stdout, format!("c{i}\n"));
    }
    assert_eq!(b.sshd.connections(), 1, "{}", b.sshd.log());
    assert_eq!(ssh.info().await.expect("connected").connections, 1);
}

#[tokio::test]
async fn reconnects_after_the_server_drops_the_session() {
    if crate::sshd::skip("reconnects_after_the_server_drops_the_session") {
        return;
    }
    let b = Bench::new("ed25519", SshdSpec::default());
    let ssh = b.ssh(&b.device());
    assert_eq!(ssh.run("echo one").await.expect("run").stdout, "one\n");
    assert!(b.sshd.kill_sessions() > 0, "a session process existed");
    assert_eq!(
        ssh.run("echo two").await.expect("reconnected").stdout,
        "two\n"
    );
    assert_eq!(b.sshd.connections(), 2, "{}", b.sshd.log());
    assert_eq!(ssh.info().await.expect("connected").connections, 2);
}

#[tokio::test]
async fn a_command_cut_by_a_dying_connection_is_retried_once() {
    if crate::sshd::skip("a_command_cut_by_a_dying_connection_is_retried_once") {
        return;
    }
    let b = Bench::new("ed25519", SshdSpec::default());
    let ssh = b.ssh(&b.device());
    let flag = b.tmp.path().join("killed-once");
    // The first run kills its own sshd session mid-command; the retry finds
    // the flag and completes.
    let cmd = format!(
        "if [ ! -e '{f}' ]; then touch '{f}'; kill -KILL $PPID; sleep 5; fi; echo done",
        f = flag.display()
    );
    let out = ssh.run(&cmd).await.expect("retried on a new connection");
    assert_eq!(out.stdout, "done\n");
    assert_eq!(b.sshd.connections(), 2, "{}", b.sshd.log());

    // A connection that dies every time is reported after one retry.
    let e = ssh
        .run("kill -KILL $PPID; sleep 5")
        .await
        .expect_err("dies twice");
    assert!(matches!(e, DeviceError::Disconnected { .. }), "{e:?}");
    // It started on connection 2 and was retried once, on connection 3.
    assert_eq!(
        b.sshd.connections(),
        3,
        "exactly one retry: {}",
        b.sshd.log()
    );
}

#[tokio::test]
async fn a_slow_command_times_out_and_the_connection_stays_usable() {
    if crate::sshd::skip("a_slow_command_times_out_and_the_connection_stays_usable") {
        return;
    }
    let b = Bench::new("ed25519", SshdSpec::default());
    let opts = SshOptions {
        command_timeout: Duration::from_secs(1),
        ..SshOptions::isolated()
    };
    let ssh = SshDevice::new("ce1", &b.device(), opts).expect("resolves");
    let e = ssh.run("sleep 30").await.expect_err("times out");
    assert!(
        matches!(&e, DeviceError::Timeout { command, secs: 1, .. } if command == "sleep 30"),
        "{e:?}"
    );
    assert_eq!(
        ssh.run("echo after").await.expect("still usable").stdout,
        "after\n"
    );
    assert_eq!(b.sshd.connections(), 1, "{}", b.sshd.log());
}

#[tokio::test]
async fn nothing_listening_is_a_connect_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = device(port, "nobody", None, &tmp.path().join("kh"));
    let ssh = SshDevice::new("ce1", &d, SshOptions::isolated()).expect("resolves");
    let e = ssh.run("true").await.expect_err("refused");
    assert!(
        matches!(&e, DeviceError::Connect { addr, .. } if addr == &format!("127.0.0.1:{port}")),
        "{e:?}"
    );
}

#[tokio::test]
async fn password_through_keyboard_interactive_when_the_server_offers_only_that() {
    if crate::sshd::skip("password_through_keyboard_interactive_when_the_server_offers_only_that") {
        return;
    }
    let password = format!("pw-{}", uuid::Uuid::new_v4().simple());
    let Some(_guard) = crate::sshd::password_user(&password) else {
        crate::sshd::skip_loudly(
            "password_through_keyboard_interactive_when_the_server_offers_only_that",
            "needs root to give the cutover-test user a password",
        );
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    // PAM asks for the password as a keyboard-interactive prompt, the way
    // many network devices do; plain `password` is switched off.
    let sshd = Sshd::start(
        tmp.path(),
        "sshd",
        &SshdSpec {
            extra: vec![
                "UsePAM yes".into(),
                "KbdInteractiveAuthentication yes".into(),
                "PasswordAuthentication no".into(),
            ],
            ..SshdSpec::default()
        },
    );
    let kh = tmp.path().join("known_hosts");
    std::fs::write(&kh, sshd.known_hosts_lines().join("\n")).expect("known_hosts");
    let mut d = device(sshd.port, crate::sshd::TEST_USER, None, &kh);
    d.password_env = Some("CE1_PASSWORD".into());
    let opts = SshOptions {
        secrets: SecretEnv::isolated().with("CE1_PASSWORD", password.clone()),
        ..SshOptions::isolated()
    };
    let ssh = SshDevice::new("ce1", &d, opts).expect("resolves");
    let out = ssh.run("id -un").await.expect("keyboard-interactive login");
    assert_eq!(out.stdout.trim(), crate::sshd::TEST_USER);
    let info = ssh.info().await.expect("connected");
    assert!(
        info.auth_method.starts_with("keyboard-interactive"),
        "{info:?}"
    );
}
