//! The HTML report as a browser lays it out: a real drill's journal
//! (`stuck-on-vpn`: gate, prediction, change, deadline, verifications,
//! lost traffic and rollback within seconds of each other) rendered by
//! `cutover report --format html`, then opened in headless Chromium at
//! 1200 px. The page must not scroll sideways (tables wrap, or scroll in
//! their own box) and no two timeline marker letters may overlap.
//!
//! The report carries no script: the test measures a copy of the page
//! with a small script of its own appended, which writes its findings
//! into the DOM that `--dump-dom` prints. A control copy, whose letters
//! the script first piles onto one spot and which gets a 1500 px wide
//! block, must be found at fault: the measure itself is checked.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const WIDTH: u32 = 1200;

/// Appended to the copy before `</body>`. `COLLAPSE` is replaced by
/// `true` in the control copy.
const PROBE: &str = r#"<script>
(function () {
  var collapse = COLLAPSE;
  var marks = Array.prototype.slice.call(document.querySelectorAll('svg text.mk'));
  if (collapse) {
    marks.forEach(function (t) {
      t.setAttribute('x', marks[0].getAttribute('x'));
      t.setAttribute('y', marks[0].getAttribute('y'));
    });
    var wide = document.createElement('div');
    wide.style.width = '1500px';
    wide.style.height = '1px';
    document.body.appendChild(wide);
  }
  var boxes = marks.map(function (t) {
    var r = t.getBoundingClientRect();
    return { l: r.left, t: r.top, r: r.right, b: r.bottom, text: t.textContent };
  });
  var overlaps = [];
  for (var i = 0; i < boxes.length; i++) {
    for (var j = i + 1; j < boxes.length; j++) {
      var a = boxes[i], b = boxes[j];
      if (a.l < b.r && b.l < a.r && a.t < b.b && b.t < a.b) {
        overlaps.push([a, b]);
      }
    }
  }
  var view = document.documentElement.clientWidth;
  var outside = Array.prototype.filter.call(document.querySelectorAll('body *'), function (e) {
    return e.getBoundingClientRect().right > view + 0.5 && !e.closest('.tw');
  }).slice(0, 5).map(function (e) { return e.tagName + ': ' + e.textContent.slice(0, 80); });
  var verdict = document.createElement('pre');
  verdict.id = 'layout-verdict';
  verdict.textContent = JSON.stringify({
    scrollWidth: document.documentElement.scrollWidth,
    marks: boxes.length,
    widest: boxes.reduce(function (w, x) { return Math.max(w, x.r - x.l); }, 0),
    overlaps: overlaps.slice(0, 5),
    overlapCount: overlaps.length,
    outside: outside
  });
  document.body.appendChild(verdict);
})();
</script>
"#;

fn chromium() -> Option<PathBuf> {
    let fixed = PathBuf::from("/usr/bin/chromium");
    if fixed.is_file() {
        return Some(fixed);
    }
    std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("chromium"))
            .find(|c| c.is_file())
    })
}

/// `page` in headless Chromium at `WIDTH` px; the verdict the probe wrote.
fn measure(browser: &Path, page: &Path, profile: &Path) -> Value {
    // To files, not pipes: the DOM is larger than a pipe holds, and a
    // browser blocked on a full pipe never exits.
    let dom_file = profile.with_extension("dom");
    let err_file = profile.with_extension("err");
    let file =
        |p: &Path| std::fs::File::create(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--window-size={WIDTH},900"))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .env("HOME", profile)
        .stdin(Stdio::null())
        .stdout(file(&dom_file))
        .stderr(file(&err_file))
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", browser.display()));
    // Generous: a cold start on a loaded CI machine takes seconds.
    let until = Instant::now() + Duration::from_secs(90);
    loop {
        match child.try_wait().expect("wait") {
            Some(_) => break,
            None if Instant::now() > until => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("chromium did not finish within 90 s on {}", page.display());
            }
            None => std::thread::sleep(Duration::from_millis(50)),
        }
    }
    let read =
        |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned();
    let dom = read(&dom_file);
    let start = "<pre id=\"layout-verdict\">";
    let json = dom
        .split_once(start)
        .and_then(|(_, rest)| rest.split_once("</pre>"))
        .map(|(j, _)| {
            j.replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&amp;", "&")
        })
        .unwrap_or_else(|| {
            panic!(
                "no verdict in the DOM of {}:\nstdout: {}\nstderr: {}",
                page.display(),
                dom.chars().take(2000).collect::<String>(),
                read(&err_file)
            )
        });
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"))
}

fn with_probe(html: &str, collapse: bool) -> String {
    let probe = PROBE.replace("COLLAPSE", if collapse { "true" } else { "false" });
    html.replacen("</body>", &format!("{probe}</body>"), 1)
}

#[test]
fn the_html_report_fits_1200_px_and_its_timeline_letters_never_overlap() {
    let Some(browser) = chromium() else {
        super::sshd::skip_loudly(
            "html_layout",
            "no chromium (Debian package `chromium`; scripts/test installs it)",
        );
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let journal = dir.path().join("stuck-on-vpn.jsonl");
    let drill = Command::new(assert_cmd::cargo::cargo_bin("cutover"))
        .env("XDG_STATE_HOME", dir.path())
        .env_remove("CUTOVER_LOG")
        .args(crate::HEADLESS_DRILL)
        .args(["--auto-confirm", "--deadline", "6s"])
        .args(["--settle", "1s", "--scenario", "stuck-on-vpn", "--journal"])
        .arg(&journal)
        .output()
        .expect("cutover drill runs");
    assert_eq!(
        drill.status.code(),
        Some(3),
        "stuck-on-vpn rolls back: {}",
        String::from_utf8_lossy(&drill.stderr)
    );
    let report = Command::new(assert_cmd::cargo::cargo_bin("cutover"))
        .args(["report", "--format", "html"])
        .arg(&journal)
        .output()
        .expect("cutover report runs");
    assert_eq!(report.status.code(), Some(0), "{report:?}");
    let html = String::from_utf8(report.stdout).expect("utf8");

    // Nothing is fetched: no script, stylesheet, image, frame or font
    // from anywhere, and no link that a browser would preload.
    let lower = html.to_ascii_lowercase();
    for banned in [
        "<script", "<link", "<img", "<iframe", "<object", "<embed", "src=", "href=", "url(",
        "@import",
    ] {
        assert!(!lower.contains(banned), "the report holds `{banned}`");
    }
    let marks = html.matches("class=\"mk\"").count();
    assert!(
        marks >= 8,
        "stuck-on-vpn has many markers close in time, got {marks}"
    );

    let page = dir.path().join("report.html");
    let control = dir.path().join("control.html");
    std::fs::write(&page, with_probe(&html, false)).expect("write");
    std::fs::write(&control, with_probe(&html, true)).expect("write");
    let v = measure(&browser, &page, &dir.path().join("profile-a"));
    let c = measure(&browser, &control, &dir.path().join("profile-b"));

    // The control: piled letters and a wide block are seen as faults, so
    // a pass below is a measurement, not a blind spot.
    assert_eq!(c["marks"].as_u64(), Some(marks as u64), "{c}");
    assert!(
        c["widest"].as_f64().unwrap_or(0.0) > 2.0,
        "letters have width: {c}"
    );
    assert!(c["overlapCount"].as_u64().unwrap_or(0) > 0, "{c}");
    assert!(
        c["scrollWidth"].as_u64().unwrap_or(0) > u64::from(WIDTH),
        "{c}"
    );

    assert_eq!(v["marks"].as_u64(), Some(marks as u64), "{v}");
    assert_eq!(v["overlapCount"].as_u64(), Some(0), "letters overlap: {v}");
    assert!(
        v["scrollWidth"].as_u64().unwrap_or(u64::MAX) <= u64::from(WIDTH),
        "the page is wider than {WIDTH} px: {v}"
    );
    assert_eq!(v["outside"].as_array().map(Vec::len), Some(0), "{v}");
}
