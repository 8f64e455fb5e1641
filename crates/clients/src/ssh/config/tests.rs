use super::*;

fn look(text: &str, alias: &str) -> HostConfig {
    lookup_str(Path::new("/cfg"), text, alias, Some(Path::new("/home/op"))).expect("valid config")
}

const CONFIG: &str = r#"
# global defaults come last in real files; first value wins
Host ce1 ce1-alias
    HostName 192.0.2.11
    User netops
    Port 2201
    IdentityFile ~/.ssh/ce_%r
    IdentityFile "/keys/with space/%h"

Host ce? !ce9
    User fallback
    Port=2299
    ProxyJump jump@bastion:2022

Host bastion
    HostName %h.example.net
    User jumper

Host *
    User everyone
    IdentityFile ~/.ssh/id_ed25519
    UserKnownHostsFile ~/.ssh/known_hosts_lab ~/.ssh/other
"#;

#[test]
fn first_value_wins_and_identity_files_accumulate() {
    let c = look(CONFIG, "ce1");
    assert_eq!(c.host_name.as_deref(), Some("192.0.2.11"));
    assert_eq!(c.user.as_deref(), Some("netops"));
    assert_eq!(c.port, Some(2201));
    assert_eq!(
        c.identity_files,
        vec!["~/.ssh/ce_%r", "/keys/with space/%h", "~/.ssh/id_ed25519"]
    );
    assert_eq!(c.proxy_jump.as_deref(), Some("jump@bastion:2022"));
    assert_eq!(
        c.user_known_hosts_file.as_deref(),
        Some("~/.ssh/known_hosts_lab")
    );
}

#[test]
fn wildcard_and_negation_in_host_lines() {
    let c = look(CONFIG, "ce2");
    assert_eq!(c.user.as_deref(), Some("fallback"));
    assert_eq!(c.port, Some(2299));
    assert_eq!(c.host_name, None);
    let c = look(CONFIG, "ce9");
    assert_eq!(
        c.user.as_deref(),
        Some("everyone"),
        "negated pattern vetoes the block"
    );
    assert_eq!(c.port, None);
    assert_eq!(c.proxy_jump, None);
}

#[test]
fn hostname_takes_percent_h() {
    let c = look(CONFIG, "bastion");
    assert_eq!(c.host_name.as_deref(), Some("bastion.example.net"));
    assert_eq!(c.user.as_deref(), Some("jumper"));
}

#[test]
fn keyword_case_equals_and_comments() {
    let c = look(
        "HOST r1\n  hostname=10.0.0.1 # trailing\n  PORT = 830\n\n#Port 1\n",
        "r1",
    );
    assert_eq!(c.host_name.as_deref(), Some("10.0.0.1"));
    assert_eq!(c.port, Some(830));
}

#[test]
fn match_blocks() {
    let text = "Host r1\n HostName 10.9.9.9\nMatch host 10.9.* !originalhost r2\n User m\nMatch exec \"true\"\n Port 1\nMatch all\n Port 7\n";
    let c = look(text, "r1");
    assert_eq!(c.user.as_deref(), Some("m"));
    assert_eq!(
        c.port,
        Some(7),
        "unsupported Match criteria are not applied"
    );
    let c = look(text, "r2");
    assert_eq!(c.user, None);
}

#[test]
fn errors_name_file_and_line() {
    let e =
        lookup_str(Path::new("/cfg"), "Host a\n Port seventy\n", "a", None).expect_err("bad port");
    assert_eq!(e.line, 2);
    assert!(e.to_string().starts_with("ssh config /cfg:2: "), "{e}");
    let e = lookup_str(Path::new("/cfg"), "Host\n", "a", None).expect_err("empty host");
    assert_eq!(e.line, 1);
    let e = lookup_str(Path::new("/cfg"), "Host a\n User \"x\n", "a", None).expect_err("quotes");
    assert_eq!(e.line, 2);
    // Bad values in blocks that do not apply are not our business.
    assert!(lookup_str(Path::new("/cfg"), "Host other\n Port x\n", "a", None).is_ok());
}

#[test]
fn include_with_wildcards_and_conditional_include() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ssh = dir.path().join(".ssh");
    std::fs::create_dir_all(ssh.join("conf.d")).expect("mkdir");
    std::fs::write(ssh.join("conf.d/10-a.conf"), "Host r1\n User from-a\n").expect("write");
    std::fs::write(
        ssh.join("conf.d/20-b.conf"),
        "Host r1\n User from-b\n Port 2022\n",
    )
    .expect("write");
    std::fs::write(ssh.join("only-r9"), "HostName nine.example\n").expect("write");
    let main = ssh.join("config");
    std::fs::write(
        &main,
        "Include conf.d/*.conf\nHost r9\n Include only-r9\nHost *\n Port 22\n",
    )
    .expect("write");
    let c = lookup(&main, "r1", Some(dir.path())).expect("config");
    assert_eq!(c.user.as_deref(), Some("from-a"));
    assert_eq!(c.port, Some(2022));
    assert_eq!(
        c.host_name, None,
        "a file included under `Host r9` applies to r9 only"
    );
    let c = lookup(&main, "r9", Some(dir.path())).expect("config");
    assert_eq!(c.host_name.as_deref(), Some("nine.example"));
    assert_eq!(c.port, Some(22));
}

#[test]
fn include_loop_is_an_error_not_a_hang() {
    let dir = tempfile::tempdir().expect("tempdir");
    let main = dir.path().join("config");
    std::fs::write(&main, format!("Include {}\n", main.display())).expect("write");
    let e = lookup(&main, "x", Some(dir.path())).expect_err("loop");
    assert!(e.message.contains("nested"), "{e}");
}

#[test]
fn missing_config_is_empty() {
    let c = lookup(Path::new("/nonexistent/cutover/config"), "x", None).expect("missing is fine");
    assert_eq!(c, HostConfig::default());
}

#[test]
fn path_tokens() {
    let t = Tokens {
        home: Some(Path::new("/home/op")),
        host: "10.0.0.1",
        alias: "ce1",
        port: 2201,
        remote_user: "netops",
        local_user: "me",
    };
    assert_eq!(
        expand_path("~/.ssh/%n_%r@%h:%p_%u_%%", &t).expect("expands"),
        PathBuf::from("/home/op/.ssh/ce1_netops@10.0.0.1:2201_me_%")
    );
    assert_eq!(
        expand_path("%d/k", &t).expect("expands"),
        PathBuf::from("/home/op/k")
    );
    assert_eq!(
        expand_path("~", &t).expect("expands"),
        PathBuf::from("/home/op")
    );
    assert!(
        expand_path("/k/%C", &t)
            .expect_err("unsupported")
            .contains("%C")
    );
    let no_home = Tokens { home: None, ..t };
    assert!(expand_path("~/k", &no_home).is_err());
}

#[test]
fn proxy_jump_forms() {
    assert_eq!(parse_proxy_jump("none").expect("none"), vec![]);
    assert_eq!(
        parse_proxy_jump("a, ops@b:2022,ssh://c@[::1]:22,[fe80::1]").expect("hops"),
        vec![
            JumpHop {
                user: None,
                host: "a".into(),
                port: None
            },
            JumpHop {
                user: Some("ops".into()),
                host: "b".into(),
                port: Some(2022)
            },
            JumpHop {
                user: Some("c".into()),
                host: "::1".into(),
                port: Some(22)
            },
            JumpHop {
                user: None,
                host: "fe80::1".into(),
                port: None
            },
        ]
    );
    for bad in ["a:0", "a:x", "@a", "[::1", "[::1]x", ":22"] {
        assert!(parse_proxy_jump(bad).is_err(), "{bad}");
    }
}

#[test]
fn identities_only_first_value_wins_and_bad_values_are_errors() {
    let c = look(
        "Host ce1\n  IdentitiesOnly yes\nHost *\n  IdentitiesOnly no\n",
        "ce1",
    );
    assert_eq!(c.identities_only, Some(true));
    assert_eq!(
        look("Host *\n  identitiesonly=no\n", "x").identities_only,
        Some(false)
    );
    assert_eq!(
        look("Host other\n  IdentitiesOnly yes\n", "x").identities_only,
        None
    );
    let e = lookup_str(Path::new("/cfg"), "IdentitiesOnly maybe\n", "x", None)
        .expect_err("not yes or no");
    assert_eq!(e.line, 1);
    assert!(e.message.contains("yes or no"), "{e}");
}

#[test]
fn include_globs_any_component_and_skips_hidden_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ssh = dir.path().join(".ssh");
    for d in ["sites/sea", "sites/ams"] {
        std::fs::create_dir_all(ssh.join(d)).expect("mkdir");
    }
    std::fs::write(ssh.join("sites/ams/hosts.conf"), "Host r1\n Port 2201\n").expect("write");
    std::fs::write(
        ssh.join("sites/sea/hosts.conf"),
        "Host r1\n Port 2202\n User sea\n",
    )
    .expect("write");
    std::fs::write(ssh.join("sites/ams/.hosts.conf"), "Host r1\n User hidden\n").expect("write");
    let main = ssh.join("config");
    std::fs::write(&main, "Include sites/*/*hosts.conf\n").expect("write");
    let c = lookup(&main, "r1", Some(dir.path())).expect("config");
    assert_eq!(c.port, Some(2201), "ams before sea, lexically");
    assert_eq!(c.user.as_deref(), Some("sea"), "not the hidden file");
}
