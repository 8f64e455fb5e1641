use std::path::PathBuf;

use cutover_core::inventory::Platform;

use super::auth::Identity;
use super::*;

fn device(host: &str) -> Device {
    Device {
        platform: Platform::Junos,
        host: host.to_string(),
        port: None,
        user: None,
        identity: None,
        passphrase_env: None,
        password_env: None,
        known_hosts: None,
        trust_on_first_use: false,
    }
}

#[test]
fn secret_env_debug_hides_values() {
    let env = SecretEnv::isolated().with("CE1_PASSWORD", "hunter2-secret");
    let dbg = format!("{env:?}");
    assert!(
        dbg.contains("CE1_PASSWORD") && !dbg.contains("hunter2"),
        "{dbg}"
    );
    assert_eq!(env.get("CE1_PASSWORD").as_deref(), Some("hunter2-secret"));
    assert_eq!(env.get("PATH"), None, "isolated means isolated");
    let opts = SshOptions {
        secrets: env,
        ..SshOptions::isolated()
    };
    assert!(!format!("{opts:?}").contains("hunter2"));
}

#[test]
fn inventory_wins_over_config() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("config");
    std::fs::write(
            &cfg,
            "Host ce1\n HostName 192.0.2.1\n User cfguser\n Port 2201\n IdentityFile ~/cfgkey\n ProxyJump ops@bastion:2022\n UserKnownHostsFile %d/kh_%n\nHost bastion\n HostName 192.0.2.254\n IdentityFile ~/jumpkey\n",
        )
        .expect("write");
    let opts = SshOptions {
        home: Some(dir.path().to_path_buf()),
        ssh_config: Some(cfg),
        local_user: Some("me".into()),
        ..SshOptions::isolated()
    };
    let d = SshDevice::new("ce1", &device("ce1"), opts.clone()).expect("resolves");
    assert_eq!(
        d.target(),
        "cfguser@192.0.2.1:2201 via ops@192.0.2.254:2022"
    );
    assert_eq!(d.known_hosts(), dir.path().join("kh_ce1"));
    assert_eq!(
        d.hops[1].creds.identities[0].path,
        dir.path().join("cfgkey")
    );
    assert_eq!(
        d.hops[0].creds.identities[0].path,
        dir.path().join("jumpkey")
    );

    let mut inv = device("ce1");
    inv.user = Some("invuser".into());
    inv.port = Some(22);
    inv.identity = Some(PathBuf::from("~/invkey"));
    inv.known_hosts = Some(PathBuf::from("/inv/known_hosts"));
    let d = SshDevice::new("ce1", &inv, opts).expect("resolves");
    assert_eq!(d.target(), "invuser@192.0.2.1:22 via ops@192.0.2.254:2022");
    assert_eq!(d.known_hosts(), Path::new("/inv/known_hosts"));
    assert_eq!(
        d.hops[1].creds.identities,
        vec![Identity {
            path: dir.path().join("invkey"),
            explicit: true
        }]
    );
}

#[test]
fn jump_loops_and_missing_user_are_clear_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("config");
    std::fs::write(&cfg, "Host a\n ProxyJump b\nHost b\n ProxyJump a\n").expect("write");
    let opts = SshOptions {
        home: Some(dir.path().to_path_buf()),
        ssh_config: Some(cfg),
        local_user: Some("me".into()),
        ..SshOptions::isolated()
    };
    let e = SshDevice::new("r", &device("a"), opts).expect_err("loop");
    assert!(e.to_string().contains("loop"), "{e}");

    let mut d = device("10.0.0.1");
    d.known_hosts = Some(PathBuf::from("/kh"));
    let e = SshDevice::new("r", &d, SshOptions::isolated()).expect_err("no user");
    assert!(e.to_string().contains("`user`"), "{e}");
    d.user = Some("u".into());
    d.known_hosts = None;
    let e = SshDevice::new("r", &d, SshOptions::isolated()).expect_err("no known_hosts");
    assert!(e.to_string().contains("known_hosts"), "{e}");
}

#[test]
fn bad_config_is_reported_with_its_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("config");
    std::fs::write(&cfg, "Host *\n Port nope\n").expect("write");
    let mut d = device("r1");
    d.user = Some("u".into());
    d.known_hosts = Some(PathBuf::from("/kh"));
    let opts = SshOptions {
        ssh_config: Some(cfg.clone()),
        ..SshOptions::isolated()
    };
    let e = SshDevice::new("r1", &d, opts).expect_err("bad port");
    assert!(
        e.to_string().contains(&format!("{}:2", cfg.display())),
        "{e}"
    );
}
