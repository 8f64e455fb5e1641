//! Issue 14, item 4: the SSH client finds a key the way OpenSSH does. With
//! no `identity` in the inventory and no agent, `validate` logs in with
//! `~/.ssh/id_ed25519` of the `HOME` it runs under; and a lab served with
//! `--authorized-keys K.pub` names `K` in the inventory it writes, so that
//! `validate` against that inventory logs in with no edits. Both labs run
//! at once; `validate` is the real binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cutover_lab::serve::{LabHandle, LabOptions, TOKEN_ENV, start};
use cutover_lab::ssh_server::generate_ed25519;
use cutover_lab::{Topology, scenario};

const TOKEN: &str = "ssh-identity-test-token";

/// A key pair at `private` and `private.pub`; the public line.
fn key_pair(private: &Path) -> String {
    let key = generate_ed25519("ssh-identity-test").expect("key");
    let text = key
        .to_openssh(russh::keys::ssh_key::LineEnding::LF)
        .expect("openssh text");
    std::fs::create_dir_all(private.parent().expect("dir")).expect("mkdir");
    std::fs::write(private, text.as_bytes()).expect("write key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(private, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    let public = key.public_key().to_openssh().expect("public") + "\n";
    std::fs::write(private.with_extension("pub"), &public).expect("write pub");
    public
}

async fn lab(inventory: PathBuf, authorized: PathBuf) -> LabHandle {
    let baseline = scenario::load_builtin("baseline", &Topology::article()).expect("baseline");
    let mut opts = LabOptions::new(baseline, inventory, TOKEN);
    opts.authorized_keys = Some(authorized);
    start(opts).await.expect("the lab starts")
}

async fn validate(home: &Path, inventory: &Path) -> Output {
    let (home, inventory) = (home.to_path_buf(), inventory.to_path_buf());
    tokio::task::spawn_blocking(move || {
        Command::new(assert_cmd::cargo::cargo_bin("cutover"))
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env_remove("SSH_AUTH_SOCK")
            .env(TOKEN_ENV, TOKEN)
            .arg("validate")
            .arg("--inventory")
            .arg(&inventory)
            .output()
            .expect("cutover validate runs")
    })
    .await
    .expect("join")
}

fn shown(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_finds_the_default_key_and_the_key_beside_the_authorized_pub() {
    let dir = tempfile::tempdir().expect("dir");
    // (a) The key is only in HOME: the lab authorizes its public half from
    // a file with no private key beside it.
    let home_a = dir.path().join("home-a");
    let public = key_pair(&home_a.join(".ssh").join("id_ed25519"));
    let authorized_a = dir.path().join("authorized_keys");
    std::fs::write(&authorized_a, public).expect("authorized_keys");
    // (b) K beside K.pub, and a HOME with no key at all.
    let home_b = dir.path().join("home-b");
    std::fs::create_dir_all(&home_b).expect("home b");
    let k = dir.path().join("keys").join("operator");
    key_pair(&k);

    let (lab_a, lab_b) = tokio::join!(
        lab(dir.path().join("a").join("lab.toml"), authorized_a),
        lab(
            dir.path().join("b").join("lab.toml"),
            k.with_extension("pub")
        ),
    );
    assert!(
        !lab_a.inventory_text().contains("identity ="),
        "{}",
        lab_a.inventory_text()
    );
    let k_abs = std::path::absolute(&k).expect("absolute");
    assert!(
        lab_b
            .inventory_text()
            .contains(&format!("identity = \"{}\"", k_abs.display())),
        "{}",
        lab_b.inventory_text()
    );

    let (a, b) = tokio::join!(
        validate(&home_a, lab_a.inventory_path()),
        validate(&home_b, lab_b.inventory_path()),
    );
    assert_eq!(a.status.code(), Some(0), "(a) {}", shown(&a));
    assert_eq!(b.status.code(), Some(0), "(b) {}", shown(&b));
    for out in [&a, &b] {
        let all = shown(out);
        assert!(!all.contains("BEGIN OPENSSH PRIVATE KEY"), "{all}");
    }
}

/// The order OpenSSH offers keys in, against a lab that authorizes three:
/// an encrypted `~/.ssh/id_ed25519` (no passphrase source: skipped, not an
/// error), a plain `~/.ssh/id_ecdsa`, and one held only by an ssh-agent.
/// With the agent, its key goes first; with `IdentitiesOnly yes` (from a
/// file the config `Include`s by a glob relative to `~/.ssh`) the agent is
/// not asked and the default files are.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_comes_before_the_default_files_unless_identities_only() {
    use cutover_clients::ssh::{SshDevice, SshOptions};
    use cutover_core::inventory::{Device, Platform};
    use cutover_engine::port::DeviceSession;
    use cutover_lab::topology::DeviceId;

    let dir = tempfile::tempdir().expect("dir");
    let home = dir.path().join("home");
    let ssh_dir = home.join(".ssh");
    std::fs::create_dir_all(ssh_dir.join("conf.d")).expect("mkdir");
    let locked = crate::sshd::keygen(&ssh_dir, "id_ed25519", "ed25519", "not-given");
    let plain = crate::sshd::keygen(&ssh_dir, "id_ecdsa", "ecdsa", "");
    let held = crate::sshd::keygen(dir.path(), "id_agent", "ed25519", "");
    let agent = crate::sshd::Agent::start(dir.path(), &[&held]);
    let authorized = dir.path().join("authorized_keys");
    std::fs::write(
        &authorized,
        format!("{}\n{}\n{}\n", locked.public, plain.public, held.public),
    )
    .expect("authorized_keys");
    let lab = lab(dir.path().join("lab").join("lab.toml"), authorized).await;

    let addr = lab.ssh_addr(DeviceId::Ce1).expect("ce1");
    let device = Device {
        platform: Platform::Junos,
        host: "127.0.0.1".into(),
        port: Some(addr.port()),
        user: Some(lab.inventory().devices["ce1"].user.clone().expect("user")),
        identity: None,
        passphrase_env: None,
        password_env: None,
        known_hosts: Some(lab.known_hosts().to_path_buf()),
        trust_on_first_use: false,
    };
    let config = ssh_dir.join("config");
    let login = |agent_socket: Option<std::path::PathBuf>| {
        let opts = SshOptions {
            home: Some(home.clone()),
            ssh_config: Some(config.clone()),
            agent_socket,
            default_identities: true,
            ..SshOptions::isolated()
        };
        let ssh = SshDevice::new("ce1", &device, opts).expect("resolves");
        async move {
            ssh.run("show version").await.expect("logs in");
            ssh.info().await.expect("connected").auth_method
        }
    };

    std::fs::write(&config, "Include conf.d/*.conf\n").expect("config");
    let method = login(Some(agent.socket.clone())).await;
    assert!(method.starts_with("agent"), "{method}");

    std::fs::write(
        ssh_dir.join("conf.d").join("lab.conf"),
        "Host *\n  IdentitiesOnly yes\n",
    )
    .expect("included file");
    let method = login(Some(agent.socket.clone())).await;
    assert_eq!(
        method,
        format!("publickey ({})", plain.private.display()),
        "the agent is not asked and the locked key is passed over"
    );
    lab.shutdown().await.expect("the lab stops");
}
