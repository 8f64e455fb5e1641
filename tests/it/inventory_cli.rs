//! A malformed inventory through the real binary: `cutover validate
//! --inventory BAD` exits 2 with `path:line:col` pointing into the
//! inventory (never at the bundled runbook its names are put into), before
//! anything is contacted.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// A valid inventory whose files exist; each test breaks one field.
fn good(dir: &Path) -> String {
    let key = dir.join("id_ed25519");
    let kh = dir.join("known_hosts");
    std::fs::write(&key, "not read before the connection").expect("key");
    std::fs::write(&kh, "").expect("known_hosts");
    format!(
        r#"redact = ["s3cret*"]

[devices.ce1]
platform = "junos"
host = "127.0.0.1"
port = 9
user = "netops"
identity = "{key}"
password_env = "CE1_PASSWORD"
known_hosts = "{kh}"

[azure]
endpoint = "http://127.0.0.1:9"
subscription = "00000000-0000-0000-0000-000000000000"
resource_group = "rg-er-lab"
circuit = "er-circuit-11"
gateway = "vpngw-hub-11"
connection = "cn-onprem-11"
api_version = "2024-05-01"
credential = "token-env"
token_env = "CUTOVER_ARM_TOKEN"
"#,
        key = key.display(),
        kh = kh.display(),
    )
}

/// Writes `good` with `from` replaced by `to`, runs `cutover validate` on
/// it and returns the inventory's path and stderr, after checking exit 2.
fn refused(from: &str, to: &str) -> (PathBuf, String) {
    let dir = tempfile::tempdir().expect("dir");
    let text = good(dir.path());
    assert!(text.contains(from), "{from}");
    let inv = dir.path().join("inv.toml");
    std::fs::write(&inv, text.replacen(from, to, 1)).expect("write");
    let out = Command::cargo_bin("cutover")
        .expect("binary built")
        .args(["validate", "--inventory"])
        .arg(&inv)
        .timeout(std::time::Duration::from_secs(30))
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let err = String::from_utf8(out.stderr).expect("UTF-8");
    (inv, err)
}

/// `from` → `to` is refused at `pos` with a message containing `msg`.
fn assert_refused(from: &str, to: &str, pos: &str, msg: &str) {
    let (inv, err) = refused(from, to);
    let want = format!("{}:{pos}: ", inv.display());
    assert!(err.starts_with(&want), "want {want}…, got: {err}");
    assert!(err.contains(msg), "want …{msg}…, got: {err}");
    assert!(!err.contains("bundled"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn empty_user() {
    assert_refused(
        "user = \"netops\"",
        "user = \"\"",
        "7:8",
        "device `ce1`: `user` is empty",
    );
}

#[test]
fn host_with_spaces() {
    assert_refused(
        "host = \"127.0.0.1\"",
        "host = \"127.0.0.1 ce1\"",
        "5:8",
        "device `ce1`: `host` contains a space",
    );
}

#[test]
fn missing_identity_file() {
    assert_refused(
        "id_ed25519\"",
        "id_missing\"",
        "8:12",
        "device `ce1`: `identity` file",
    );
}

#[test]
fn missing_known_hosts_file() {
    let (inv, err) = refused("known_hosts\"", "known_hosts_missing\"");
    assert!(
        err.starts_with(&format!("{}:10:15: ", inv.display())),
        "{err}"
    );
    assert!(
        err.contains("`known_hosts` file") && err.contains("does not exist"),
        "{err}"
    );
}

#[test]
fn empty_password_env() {
    assert_refused(
        "password_env = \"CE1_PASSWORD\"",
        "password_env = \"\"",
        "9:16",
        "device `ce1`: `password_env` must name an environment variable",
    );
}

#[test]
fn redact_pattern_that_hides_everything() {
    assert_refused(
        "redact = [\"s3cret*\"]",
        "redact = [\"\"]",
        "1:11",
        "redact pattern `` would hide everything",
    );
    assert_refused(
        "redact = [\"s3cret*\"]",
        "redact = [\"s3cret*\", \"*\"]",
        "1:22",
        "redact pattern `*` would hide everything",
    );
}

#[test]
fn subscription_that_is_not_a_uuid() {
    assert_refused(
        "subscription = \"00000000-0000-0000-0000-000000000000\"",
        "subscription = \"Contoso Production\"",
        "14:16",
        "`subscription` must be a subscription id (a UUID",
    );
}

#[test]
fn bogus_api_version() {
    assert_refused(
        "api_version = \"2024-05-01\"",
        "api_version = \"v2\"",
        "19:15",
        "`api_version` must be an ARM API version",
    );
}

#[test]
fn bad_resource_group_is_blamed_on_the_inventory() {
    assert_refused(
        "resource_group = \"rg-er-lab\"",
        "resource_group = \"rg er/lab\"",
        "15:18",
        "`resource_group` `rg er/lab` may hold only",
    );
}

#[test]
fn bad_circuit_is_blamed_on_the_inventory() {
    assert_refused(
        "circuit = \"er-circuit-11\"",
        "circuit = \"er circuit\"",
        "16:11",
        "`circuit` `er circuit` may hold only",
    );
}

#[test]
fn bad_peering_is_blamed_on_the_inventory() {
    assert_refused(
        "gateway = ",
        "peering = \"Private Peering\"\ngateway = ",
        "17:11",
        "`peering` `Private Peering` is not a circuit peering name",
    );
}

/// The same file with none of its fields broken gets past the load (it
/// then fails on the runbook's roles this small inventory lacks, which is
/// also exit 2 but names no inventory line).
#[test]
fn the_unbroken_inventory_loads() {
    let (inv, err) = refused("\n", "\n");
    assert!(
        err.starts_with(&format!(
            "{}: the inventory does not fit the runbook",
            inv.display()
        )),
        "{err}"
    );
}
