//! Issue 14, item 5: what a command-line user expects. Completion scripts
//! and the man page on stdout (a reader that goes away early is no
//! crash), and defaults in `$XDG_CONFIG_HOME/cutover/config.toml` under
//! the flags, checked like every other file (path:line:col, exit 2).
//! Every run here stops before a session would start.

use std::io::Read as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn cutover() -> Command {
    Command::new(assert_cmd::cargo::cargo_bin("cutover"))
}

fn stdout_of(args: &[&str]) -> String {
    let out = cutover().args(args).output().expect("cutover runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn completions_and_the_man_page_print_to_stdout() {
    let bash = stdout_of(&["completions", "bash"]);
    assert!(bash.contains("complete -F"), "{bash}");
    assert!(bash.contains("drill"), "subcommands are completed");
    assert!(stdout_of(&["completions", "zsh"]).starts_with("#compdef cutover"));
    assert!(stdout_of(&["completions", "fish"]).contains("complete -c cutover"));
    let man = stdout_of(&["man"]);
    assert!(man.contains(".TH cutover"), "{man}");
    assert!(man.contains("validate"), "{man}");

    let bad = cutover()
        .args(["completions", "tcsh"])
        .output()
        .expect("runs");
    assert_eq!(bad.status.code(), Some(2), "{bad:?}");
}

#[test]
fn a_reader_that_closes_the_pipe_early_is_not_a_crash() {
    for args in [&["man"][..], &["completions", "bash"][..]] {
        let mut child = cutover()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cutover runs");
        // `| head -c 1`: read one byte, then close the pipe.
        let mut out = child.stdout.take().expect("stdout");
        let mut one = [0u8; 1];
        let _ = out.read(&mut one);
        drop(out);
        let status = child.wait().expect("exits");
        let mut err = String::new();
        let _ = child
            .stderr
            .take()
            .expect("stderr")
            .read_to_string(&mut err);
        assert_eq!(status.code(), Some(0), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// `cutover drill --headless` under a config home holding `config`:
/// every case here ends at the theme or the config, before the lab.
fn drill_with_config(config_home: &Path, config: &str, flags: &[&str]) -> Output {
    let dir = config_home.join("cutover");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("config.toml"), config).expect("write config");
    cutover()
        .env("XDG_CONFIG_HOME", config_home)
        .args(["drill", "--headless"])
        .args(flags)
        .stdin(Stdio::null())
        .output()
        .expect("cutover runs")
}

#[test]
fn config_defaults_apply_under_the_flags_and_bad_keys_are_located() {
    let home = tempfile::tempdir().expect("dir");
    let file = home.path().join("cutover").join("config.toml");
    let err = |o: &Output| String::from_utf8_lossy(&o.stderr).into_owned();

    // The file's theme is the one used...
    let o = drill_with_config(home.path(), "theme = \"config-theme-nope\"\n", &[]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(err(&o).contains("config-theme-nope"), "{}", err(&o));
    // ...unless a flag says otherwise.
    let o = drill_with_config(
        home.path(),
        "theme = \"config-theme-nope\"\n",
        &["--theme", "flag-theme-nope"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(err(&o).contains("flag-theme-nope"), "{}", err(&o));
    assert!(!err(&o).contains("config-theme-nope"), "{}", err(&o));

    // An unknown key and a wrong type, each where it is written.
    for (text, at) in [
        ("operator = \"Dana\"\ncolour = \"red\"\n", "2:1"),
        ("sign_key = 42\n", "1:12"),
        ("operator = \"\"\n", "1:12"),
    ] {
        let o = drill_with_config(home.path(), text, &[]);
        assert_eq!(o.status.code(), Some(2), "{text}: {}", err(&o));
        let want = format!("{}:{at}: ", file.display());
        assert!(
            err(&o).starts_with(&want),
            "{text}: want {want}, got {}",
            err(&o)
        );
    }
}
