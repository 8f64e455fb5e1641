use super::*;

fn ids() -> RequestIds {
    RequestIds {
        client_request_id: Some("c".into()),
        request_id: Some("r-1".into()),
        correlation_id: Some("k-1".into()),
    }
}

#[test]
fn classes_by_status_with_code_message_and_ids() {
    let c = CloudError::new("PreconditionFailed", "etag mismatch");
    let e = classify(412, Some(&c), "", &ids());
    assert_eq!(
        e,
        ArmError::PreconditionFailed(
            "PreconditionFailed: etag mismatch [correlation id k-1, request id r-1]".into()
        )
    );
    let cases = [
        (401, "Auth"),
        (403, "Auth"),
        (404, "NotFound"),
        (409, "Conflict"),
        (429, "Throttled"),
        (400, "Refused"),
    ];
    for (status, class) in cases {
        let e = classify(status, Some(&c), "", &RequestIds::default());
        assert!(format!("{e:?}").starts_with(class), "{status}: {e:?}");
    }
    let e = classify(503, None, "<html>\n  busy  </html>", &RequestIds::default());
    assert_eq!(
        e,
        ArmError::Api {
            status: 503,
            code: String::new(),
            message: "HTTP 503: <html> busy </html>".into()
        }
    );
    let e = classify(
        500,
        Some(&CloudError::default()),
        " ",
        &RequestIds::default(),
    );
    assert!(e.to_string().contains("HTTP 500 with an empty body"), "{e}");
}

#[test]
fn shown_path_hides_signature_parameters() {
    let u = Url::parse(
        "https://management.azure.com/subscriptions/s/operations/o?api-version=2024-05-01&t=1&s=sig%2Bx",
    )
    .expect("url");
    assert_eq!(
        shown_path(&u),
        "/subscriptions/s/operations/o?api-version=2024-05-01&t=REDACTED&s=REDACTED"
    );
}

#[test]
fn origins_compare_scheme_host_and_port() {
    let a = Url::parse("https://Management.azure.com/x").expect("url");
    let b = Url::parse("https://management.azure.com:443/y").expect("url");
    let c = Url::parse("http://management.azure.com/y").expect("url");
    let d = Url::parse("https://management.azure.com.evil.example/y").expect("url");
    assert!(same_origin(&a, &b));
    assert!(!same_origin(&a, &c));
    assert!(!same_origin(&a, &d));
}
