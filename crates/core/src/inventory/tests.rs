use super::*;

const GOOD: &str = r#"
redact = ["s3cret*"]

[devices.ce1]
platform = "junos"
host = "198.51.100.1"
port = 22
user = "netops"
identity = "~/.ssh/id_ed25519"
password_env = "CE1_PASSWORD"
known_hosts = "~/.ssh/known_hosts"

[devices.server]
platform = "linux"
host = "127.0.0.1"
port = 2222
trust_on_first_use = true

[azure]
subscription = "00000000-0000-0000-0000-000000000000"
resource_group = "rg-er-lab"
circuit = "er-circuit-11"
gateway = "vpngw-hub-11"
connection = "cn-onprem-11"
credential = "token-env"
token_env = "CUTOVER_ARM_TOKEN"
"#;

fn load(t: &str) -> Result<Inventory, InventoryError> {
    Inventory::from_str(t, Path::new("inv.toml"))
}

#[test]
fn reads_the_contract_example() {
    let inv = load(GOOD).expect("valid");
    let ce1 = inv.device("ce1").expect("ce1");
    assert_eq!(ce1.platform, Platform::Junos);
    assert_eq!(ce1.password_env.as_deref(), Some("CE1_PASSWORD"));
    let az = inv.azure.expect("azure");
    assert_eq!(az.peering, "AzurePrivatePeering");
    assert_eq!(az.api_version, "2024-05-01");
    assert_eq!(az.request_timeout(), Azure::DEFAULT_REQUEST_TIMEOUT);
    assert_eq!(az.endpoint, "https://management.azure.com");
    assert_eq!(az.credential, Credential::TokenEnv);
}

/// The one problem of `t`, as `line:col: message`.
fn problem(t: &str) -> String {
    let e = load(t).expect_err("a problem");
    assert_eq!(e.len(), 1, "{e}");
    let d = &e.items[0];
    let pos = d.pos.expect("a position");
    format!("{pos}: {}", d.message)
}

#[test]
fn unknown_key_names_line_and_column() {
    let t = GOOD.replace("port = 2222", "prot = 2222");
    let e = load(&t).expect_err("unknown key");
    assert!(e.to_string().starts_with("inv.toml:16:1: "), "{e}");
    assert!(e.to_string().contains("prot"), "{e}");
}

#[test]
fn bad_platform_and_missing_token_env() {
    let e = load(&GOOD.replace("\"linux\"", "\"ios\"")).expect_err("bad platform");
    assert!(e.to_string().starts_with("inv.toml:14:"), "{e}");
    let p = problem(&GOOD.replace("token_env = \"CUTOVER_ARM_TOKEN\"\n", ""));
    assert!(p.starts_with("25:14: "), "{p}");
    assert!(p.contains("token_env"), "{p}");
}

/// Each malformed field is reported at its own value, with a message that
/// names it.
#[test]
fn every_field_is_checked_where_it_is_written() {
    let cases: &[(&str, &str, &str, &str)] = &[
        ("user = \"netops\"", "user = \"\"", "8:8", "`user` is empty"),
        (
            "user = \"netops\"",
            "user = \"net ops\"",
            "8:8",
            "`user` contains a space",
        ),
        (
            "host = \"198.51.100.1\"",
            "host = \"198.51.100.1 ce1\"",
            "6:8",
            "`host` contains a space",
        ),
        (
            "host = \"198.51.100.1\"",
            "host = \"\"",
            "6:8",
            "`host` is empty",
        ),
        (
            "host = \"198.51.100.1\"",
            "host = \"netops@ce1\"",
            "6:8",
            "must be an IP address or a host name",
        ),
        (
            "host = \"198.51.100.1\"",
            "host = \"-oProxyCommand=x\"",
            "6:8",
            "must be an IP address or a host name",
        ),
        ("port = 22\n", "port = 0\n", "7:8", "port 0 is not a port"),
        (
            "password_env = \"CE1_PASSWORD\"",
            "password_env = \"\"",
            "10:16",
            "`password_env` must name an environment variable",
        ),
        (
            "password_env = \"CE1_PASSWORD\"",
            "password_env = \"CE1 PASSWORD\"",
            "10:16",
            "`password_env` must name an environment variable",
        ),
        (
            "password_env = \"CE1_PASSWORD\"",
            "password_env = \"1PASS\"",
            "10:16",
            "`password_env` must name an environment variable",
        ),
        (
            "identity = \"~/.ssh/id_ed25519\"",
            "identity = \"\"",
            "9:12",
            "`identity` is empty",
        ),
        (
            "redact = [\"s3cret*\"]",
            "redact = [\"s3cret*\", \"\"]",
            "2:22",
            "redact pattern `` would hide everything",
        ),
        (
            "redact = [\"s3cret*\"]",
            "redact = [\"*\"]",
            "2:11",
            "redact pattern `*` would hide everything",
        ),
        (
            "redact = [\"s3cret*\"]",
            "redact = [\"a* *\"]",
            "2:11",
            "would hide everything",
        ),
        (
            "subscription = \"00000000-0000-0000-0000-000000000000\"",
            "subscription = \"my-subscription\"",
            "20:16",
            "`subscription` must be a subscription id (a UUID",
        ),
        (
            "subscription = \"00000000-0000-0000-0000-000000000000\"",
            "subscription = \"00000000-0000-0000-0000-00000000000g\"",
            "20:16",
            "a UUID",
        ),
        (
            "resource_group = \"rg-er-lab\"",
            "resource_group = \"rg er lab\"",
            "21:18",
            "`resource_group` `rg er lab` may hold only",
        ),
        (
            "resource_group = \"rg-er-lab\"",
            "resource_group = \"rg-er-lab.\"",
            "21:18",
            "must not end with `.`",
        ),
        (
            "resource_group = \"rg-er-lab\"",
            "resource_group = \"\"",
            "21:18",
            "must be 1 to 90 characters long",
        ),
        (
            "circuit = \"er-circuit-11\"",
            "circuit = \"er/circuit\"",
            "22:11",
            "`circuit` `er/circuit` may hold only",
        ),
        (
            "circuit = \"er-circuit-11\"",
            "circuit = \"-er\"",
            "22:11",
            "must start with a letter or a digit",
        ),
        (
            "circuit = \"er-circuit-11\"",
            "circuit = \"er-\"",
            "22:11",
            "must end with a letter, a digit or `_`",
        ),
        (
            "gateway = \"vpngw-hub-11\"",
            "gateway = \"vpngw hub\"",
            "23:11",
            "`gateway` `vpngw hub` may hold only",
        ),
        (
            "connection = \"cn-onprem-11\"",
            "connection = \"\"",
            "24:14",
            "`connection` `` must be 1 to 80",
        ),
        (
            "token_env = \"CUTOVER_ARM_TOKEN\"",
            "token_env = \"\"",
            "26:13",
            "`token_env` must name an environment variable",
        ),
        (
            "[azure]\n",
            "[azure]\npeering = \"Private\"\n",
            "20:11",
            "`peering` `Private` is not a circuit peering name",
        ),
        (
            "[azure]\n",
            "[azure]\napi_version = \"latest\"\n",
            "20:15",
            "`api_version` must be an ARM API version",
        ),
        (
            "[azure]\n",
            "[azure]\napi_version = \"2024-13-01\"\n",
            "20:15",
            "`api_version` must be an ARM API version",
        ),
        (
            "[azure]\n",
            "[azure]\napi_version = \"2024-05-01-\"\n",
            "20:15",
            "`api_version` must be an ARM API version",
        ),
        (
            "[azure]\n",
            "[azure]\nrequest_timeout = \"soon\"\n",
            "20:19",
            "`request_timeout`: bad duration `soon`",
        ),
        (
            "[azure]\n",
            "[azure]\nrequest_timeout = \"500ms\"\n",
            "20:19",
            "`request_timeout` must be between 1s and 300s",
        ),
        (
            "[azure]\n",
            "[azure]\nrequest_timeout = \"1h\"\n",
            "20:19",
            "`request_timeout` must be between 1s and 300s",
        ),
    ];
    for (from, to, pos, msg) in cases {
        assert!(GOOD.contains(from), "{from}");
        let p = problem(&GOOD.replacen(from, to, 1));
        assert!(p.starts_with(&format!("{pos}: ")), "{to}: {p}");
        assert!(p.contains(msg), "{to}: {p}");
    }
}

#[test]
fn names_and_versions_arm_accepts() {
    for ok in [
        "2024-05-01",
        "2023-07-01-preview",
        "2021-03-01-privatepreview",
    ] {
        assert!(check::is_api_version(ok), "{ok}");
    }
    for bad in [
        "",
        "2024-05-1",
        "24-05-01",
        "2024-00-01",
        "2024-05-32",
        "2024_05_01",
        "2024-05-01-Preview",
        "2024-05-01x",
    ] {
        assert!(!check::is_api_version(bad), "{bad}");
    }
    assert!(check::resource_group_problem(&"r".repeat(90)).is_none());
    assert!(check::resource_group_problem(&"r".repeat(91)).is_some());
    assert!(check::resource_group_problem("rg_(prod).west-1").is_none());
    assert!(check::network_name_problem(&"c".repeat(80)).is_none());
    assert!(check::network_name_problem(&"c".repeat(81)).is_some());
    assert!(check::network_name_problem("er.ckt_").is_none());
    assert!(check::network_name_problem("er(ckt)").is_some());
    assert!(check::is_uuid("0a1B2c3D-0000-0000-0000-000000000000"));
    assert!(!check::is_uuid("0a1b2c3d00000000000000000000000000000"));
    assert!(check::is_env_name("_X1"));
    assert!(!check::is_env_name("X-1"));
}

#[test]
fn several_problems_are_reported_together_in_file_order() {
    let t = GOOD.replace("user = \"netops\"", "user = \"\"").replace(
        "subscription = \"00000000-0000-0000-0000-000000000000\"",
        "subscription = \"x\"",
    );
    let e = load(&t).expect_err("two problems");
    let lines = e.lines();
    assert_eq!(lines.len(), 2, "{e}");
    assert!(lines[0].starts_with("inv.toml:8:8: "), "{e}");
    assert!(lines[1].starts_with("inv.toml:20:16: "), "{e}");
}

#[test]
fn load_wants_the_files_it_names() {
    let dir = std::env::temp_dir().join(format!("cutover-inv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let key = dir.join("id");
    let kh = dir.join("known_hosts");
    let text = |key: &Path, kh: &Path, tofu: bool| {
        format!(
            "[devices.ce1]\nplatform = \"junos\"\nhost = \"127.0.0.1\"\nidentity = {:?}\nknown_hosts = {:?}\ntrust_on_first_use = {tofu}\n",
            key.display().to_string(),
            kh.display().to_string()
        )
    };
    let inv = dir.join("inv.toml");
    let write = |t: String| std::fs::write(&inv, t).expect("write");
    write(text(&key, &kh, false));
    let e = Inventory::load(&inv).expect_err("no files");
    let lines = e.lines();
    assert_eq!(lines.len(), 2, "{e}");
    assert!(
        lines[0].starts_with(&format!(
            "{}:4:12: device `ce1`: `identity` file",
            inv.display()
        )),
        "{e}"
    );
    assert!(
        lines[1].starts_with(&format!(
            "{}:5:15: device `ce1`: `known_hosts` file",
            inv.display()
        )),
        "{e}"
    );
    assert!(lines[1].ends_with("does not exist"), "{e}");
    // Without the file check (the text alone) the same inventory is fine.
    assert!(Inventory::from_str(&text(&key, &kh, false), &inv).is_ok());
    // Trust on first use creates known_hosts; the key must still exist.
    write(text(&key, &kh, true));
    let e = Inventory::load(&inv).expect_err("no key");
    assert_eq!(e.len(), 1, "{e}");
    std::fs::write(&key, "k").expect("key");
    assert!(Inventory::load(&inv).is_ok());
    write(text(&key, &kh, false));
    std::fs::write(&kh, "").expect("kh");
    assert!(Inventory::load(&inv).is_ok());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn plain_http_only_on_loopback() {
    let t = GOOD.replace("[azure]\n", "[azure]\nendpoint = \"http://example.com\"\n");
    assert!(load(&t).is_err());
    let t = GOOD.replace(
        "[azure]\n",
        "[azure]\nendpoint = \"http://127.0.0.1:8080\"\n",
    );
    assert!(load(&t).is_ok());
    for bad in [
        "http://127.0.0.1.evil.example",
        "http://localhost.evil.example",
        "ftp://127.0.0.1",
        "not a url",
    ] {
        let t = GOOD.replace("[azure]\n", &format!("[azure]\nendpoint = \"{bad}\"\n"));
        assert!(load(&t).is_err(), "{bad} accepted");
    }
    let t = GOOD.replace("[azure]\n", "[azure]\nendpoint = \"http://[::1]:8080\"\n");
    assert!(load(&t).is_ok());
}

#[test]
fn line_col_counts_characters() {
    assert_eq!(line_col("ab\ncé d", 6), (2, 3));
    assert_eq!(line_col("x", 99), (1, 2));
}

/// A problem found after the load (a role the runbook needs) is placed
/// at the table it belongs in: the first `[devices.…]` header, the
/// value named, or the file's start when the table is not written.
#[test]
fn positions_for_problems_found_after_the_load() {
    let text = "# site\nredact = []\n\n[devices.ce1]\nplatform = \"junos\"\nhost = \"h\"\n\n[devices.fw]\nplatform = \"linux\"\nhost = \"h\"\n";
    let at = |p: &[&str]| position(text, p).to_string();
    assert_eq!(at(&["devices"]), "4:2");
    assert_eq!(at(&["devices", "fw", "platform"]), "9:12");
    assert_eq!(at(&["devices", "srv"]), "4:2");
    assert_eq!(at(&["azure", "circuit"]), "1:1");
    assert_eq!(position("[devices]\n", &["devices"]).to_string(), "1:1");
    assert_eq!(position("redact = []\n", &["devices"]).to_string(), "1:1");
}
