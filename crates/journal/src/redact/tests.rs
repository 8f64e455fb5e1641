use super::*;

fn r() -> Redactor {
    Redactor::new()
}

#[test]
fn registered_secret_and_its_json_escaped_form() {
    let red = r();
    red.register_secret("pa\"ss\\wörd");
    assert_eq!(red.redact_str("x pa\"ss\\wörd y"), "x [REDACTED] y");
    assert_eq!(
        red.redact_str(r#"{"password":"pa\"ss\\wörd"}"#),
        r#"{"password":"[REDACTED]"}"#
    );
    assert!(matches!(red.redact_str("nothing here"), Cow::Borrowed(_)));
}

#[test]
fn empty_secret_is_ignored_and_trimmed_form_registered() {
    let red = r();
    red.register_secret("");
    assert!(!red.has_secrets());
    red.register_secret("hunter22\n");
    assert_eq!(red.redact_str("pw=hunter22;"), "pw=[REDACTED];");
}

#[test]
fn longest_secret_goes_whole() {
    let red = r();
    red.register_secret("abc");
    red.register_secret("xxabcxx");
    assert_eq!(
        red.redact_str("1 xxabcxx 2 abc"),
        "1 [REDACTED] 2 [REDACTED]"
    );
}

#[test]
fn bearer_tokens_any_case_but_not_prose() {
    let red = r();
    assert_eq!(
        red.redact_str("Authorization: Bearer abcDEF123.-_~+/="),
        "Authorization: Bearer [REDACTED]"
    );
    assert_eq!(
        red.redact_str("authorization: bearer\tQWERTYUIOP"),
        "authorization: bearer\t[REDACTED]"
    );
    assert_eq!(red.redact_str("the bearer of news"), "the bearer of news");
    assert_eq!(red.redact_str("xBearer abcdefghij"), "xBearer abcdefghij");
}

#[test]
fn jwt_shapes() {
    let red = r();
    let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl";
    assert_eq!(red.redact_str(&format!("t={jwt};")), "t=[REDACTED];");
    // Unsigned token (empty third segment).
    assert_eq!(
        red.redact_str("eyJhbGciOiJub25lIn0.eyJ4IjoxfQ."),
        "[REDACTED]"
    );
    // Two segments and an embedded `eyJ` are not tokens.
    assert_eq!(red.redact_str("eyJhb.eyJ4"), "eyJhb.eyJ4");
    assert_eq!(red.redact_str("keyJar.a.b"), "keyJar.a.b");
}

#[test]
fn pem_private_keys_and_not_certificates() {
    let red = r();
    let key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----";
    assert_eq!(red.redact_str(&format!("a\n{key}\nb")), "a\n[REDACTED]\nb");
    assert_eq!(
        red.redact_str("x -----BEGIN RSA PRIVATE KEY-----\nMIIE cut off"),
        "x [REDACTED]"
    );
    let cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
    assert_eq!(red.redact_str(cert), cert);
}

#[test]
fn putty_private_lines() {
    let red = r();
    let ppk = "PuTTY-User-Key-File-3: ssh-ed25519\nPublic-Lines: 2\nAAAA\nPrivate-Lines: 1\nSECRETBASE64\nPrivate-MAC: 0123abcd\nnext";
    let out = red.redact_str(ppk);
    assert!(
        !out.contains("SECRETBASE64") && !out.contains("0123abcd"),
        "{out}"
    );
    assert!(out.ends_with("[REDACTED]\nnext"), "{out}");
}

#[test]
fn inventory_patterns() {
    let red = r();
    red.add_pattern("s3cret*").expect("pattern");
    red.add_pattern("*@corp.example").expect("pattern");
    red.add_pattern("key=*;end").expect("pattern");
    assert_eq!(
        red.redact_str("psk s3cret-42 and s3cret"),
        "psk [REDACTED] and [REDACTED]"
    );
    assert_eq!(
        red.redact_str("mail alice@corp.example."),
        "mail [REDACTED]."
    );
    assert_eq!(
        red.redact_str("key=abc;end key=a b;end"),
        "[REDACTED] key=a b;end"
    );
}

#[test]
fn too_broad_patterns_are_refused() {
    for p in ["*", "", "a*", "**x*", " * "] {
        assert!(
            matches!(Pattern::parse(p), Err(RedactError::TooBroad { .. })),
            "{p:?}"
        );
    }
    assert!(Pattern::parse("abc*").is_ok());
}

#[test]
fn inventory_patterns_and_the_values_of_its_credential_variables() {
    // Cargo sets CARGO_MANIFEST_DIR for the test process: a variable
    // whose value is known without touching the environment.
    let inv = Inventory::from_str(
        r#"
redact = ["s3cret*"]
[devices.ce1]
platform = "junos"
host = "127.0.0.1"
password_env = "CARGO_MANIFEST_DIR"
passphrase_env = "CUTOVER_TEST_SURELY_UNSET_VARIABLE"
"#,
        std::path::Path::new("inv.toml"),
    )
    .expect("inventory");
    let red = Redactor::for_inventory(&inv).expect("redactor");
    let text = format!("dir={} psk=s3cret-9", env!("CARGO_MANIFEST_DIR"));
    assert_eq!(red.redact_str(&text), "dir=[REDACTED] psk=[REDACTED]");

    let broad = Inventory {
        redact: vec!["x*".into()],
        ..inv
    };
    assert!(Redactor::for_inventory(&broad).is_err());
}

#[test]
fn digits_only_secret_inside_a_number() {
    let red = r();
    red.register_secret("4242");
    let mut v = serde_json::json!({"pin": 4242, "asn": 65020, "n": 1424242});
    red.redact_value(&mut v);
    assert_eq!(
        v,
        serde_json::json!({"pin": "[REDACTED]", "asn": 65020, "n": "[REDACTED]"})
    );
}

#[test]
fn debug_never_shows_secrets() {
    let red = r();
    red.register_secret("topsecretvalue");
    let d = format!("{red:?}");
    assert!(!d.contains("topsecretvalue"), "{d}");
}

#[test]
fn value_walk_keeps_vocabulary_and_top_keys() {
    let red = r();
    red.add_pattern("pass*").expect("pattern");
    red.register_secret("password-key");
    let mut v = serde_json::json!({
        "kind": "step_end", "verdict": "passed", "note": "passphrase here",
        "nested": {"password-key": ["passwd"]}
    });
    red.redact_value_except(&mut v, &|s| s == "passed", true);
    assert_eq!(
        v,
        serde_json::json!({
            "kind": "step_end", "verdict": "passed", "note": "[REDACTED] here",
            "nested": {"[REDACTED]": ["[REDACTED]"]}
        })
    );
}
