//! `cutover lab serve` and `cutover scenarios`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::exit;
use super::signals::Signals;
use cutover_lab::Topology;
use cutover_lab::scenario::{self, LoadError};
use cutover_lab::serve::{self, LabHandle, LabOptions, PASSWORD_ENV, TOKEN_ENV};
use cutover_lab::ssh_server::Password;

#[derive(Debug, Subcommand)]
pub enum LabCommand {
    /// Run the lab in the foreground until SIGINT or SIGTERM: one SSH server
    /// per device (ce1, ce2, fw, server) and the ARM API, all on 127.0.0.1.
    /// Writes an inventory that points at them and prints a line with
    /// `ready` once every server answers.
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// A built-in scenario (`cutover scenarios` lists them), or a scenario
    /// file (a path ending in `.toml`).
    #[arg(long, value_name = "NAME", default_value = "baseline")]
    pub scenario: String,
    /// Where to write the inventory. The lab's known_hosts file and, without
    /// --authorized-keys, its client key go beside it, named after it.
    /// Default: a new folder under the system's temporary directory,
    /// removed when the lab stops.
    #[arg(long, value_name = "PATH")]
    pub inventory_out: Option<PathBuf>,
    /// Allow the keys of this OpenSSH authorized_keys file to log in,
    /// instead of a key pair generated for this run. Given `K.pub` with
    /// the private key `K` beside it, the inventory names `K` as every
    /// device's identity.
    #[arg(long, value_name = "FILE")]
    pub authorized_keys: Option<PathBuf>,
    /// Also accept this password for any user. The inventory then reads it
    /// from $CUTOVER_LAB_PASSWORD.
    #[arg(long, value_name = "PW", value_parser = parse_password)]
    pub password: Option<Password>,
    /// Fixed ports instead of ephemeral ones: ce1, ce2, fw and server
    /// listen on PORT..PORT+3, the ARM API on PORT+4.
    #[arg(long, value_name = "PORT")]
    pub base_port: Option<u16>,
    /// A drill's lab (`cutover drill` starts it): serves while its standard
    /// input is open or a detached guard holds it, takes the token from
    /// $CUTOVER_ARM_TOKEN only, and logs warnings only.
    #[arg(long, hide = true)]
    pub held: bool,
    #[command(flatten)]
    pub lab_time: super::drill_lab::LabTimeArgs,
}

fn parse_password(s: &str) -> Result<Password, String> {
    if s.is_empty() {
        return Err("an empty password would let anyone in".to_string());
    }
    Ok(Password::new(s))
}

/// `cutover scenarios`: one line per built-in scenario.
pub fn scenarios() -> ExitCode {
    let topo = Topology::article();
    let list = match scenario::builtin(&topo) {
        Ok(l) => l,
        Err(e) => {
            errln!("error: {e}");
            return ExitCode::from(exit::BAD_INPUT);
        }
    };
    let width = list.iter().map(|s| s.name.len()).max().unwrap_or(0);
    let mut out = std::io::stdout().lock();
    for s in &list {
        if writeln!(out, "{:<width$}  {}", s.name, s.description).is_err() {
            // A closed pipe (`| head`) is not an error worth a message.
            break;
        }
    }
    ExitCode::from(exit::OK)
}

pub(crate) fn load_scenario(name: &str) -> Result<cutover_lab::Scenario, LoadError> {
    let topo = Topology::article();
    let is_file = name.ends_with(".toml") || name.contains(std::path::MAIN_SEPARATOR);
    if is_file {
        scenario::load_path(Path::new(name), &topo)
    } else {
        scenario::load_builtin(name, &topo)
    }
}

/// A new folder name under the system's temporary directory for a lab's
/// inventory, key and known_hosts (the lab creates it when it starts).
pub(crate) fn temp_lab_dir(prefix: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    ))
}

/// `cutover lab serve`.
pub fn serve(args: ServeArgs) -> ExitCode {
    let scenario = match load_scenario(&args.scenario) {
        Ok(s) => s,
        Err(e) => {
            errln!("error: {e}");
            return ExitCode::from(exit::BAD_INPUT);
        }
    };
    if args.held {
        // Only what needs attention: a drill's console shows it in its log.
        super::lossy::init_logging("warn");
    } else {
        super::init_stderr_logging("warn,cutover::lab=info");
    }
    let token = match std::env::var(TOKEN_ENV) {
        Ok(t) if !t.trim().is_empty() => t,
        // A held lab's console made the token; printing one of its own
        // would leak it into the console's log.
        _ if args.held => {
            errln!("error: --held needs the token in ${TOKEN_ENV}");
            return ExitCode::from(exit::BAD_INPUT);
        }
        _ => {
            let t = uuid::Uuid::new_v4().simple().to_string();
            // The one place a token is printed: the operator needs it for
            // curl or for `cutover run` against this lab.
            errln!(
                "{TOKEN_ENV} is not set; this lab's ARM API takes a token made for this run:\n  export {TOKEN_ENV}={t}"
            );
            t
        }
    };
    let (inventory, temp_dir) = match &args.inventory_out {
        Some(p) => (p.clone(), None),
        None => {
            let dir = temp_lab_dir(if args.held {
                "cutover-drill"
            } else {
                "cutover-lab"
            });
            (dir.join("inventory.toml"), Some(dir))
        }
    };
    let mut options = LabOptions::new(scenario, inventory, token);
    options.authorized_keys = args.authorized_keys;
    options.password = args.password;
    options.base_port = args.base_port;
    options.time_scale = args.lab_time.time_scale;
    // A drill's lab: the console journals and shows it instead.
    if !args.held
        && let Some(cutover_core::session::Event::LabTimeScale {
            factor,
            hold_time_ms,
            arm_operation_ms,
        }) = super::drill_lab::time_scale_event(options.time_scale, &options.scenario.timing)
    {
        outln!(
            "{}",
            cutover_core::session::time_scale::text(factor, hold_time_ms, arm_operation_ms)
        );
    }

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            errln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(exit::BAD_INPUT);
        }
    };
    let code = if args.held {
        let code = runtime.block_on(super::lab_held::run(options));
        super::lossy::settle(std::time::Duration::from_millis(200));
        code
    } else {
        runtime.block_on(run(options))
    };
    if let Some(dir) = temp_dir
        && let Err(e) = std::fs::remove_dir_all(&dir)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        // Not eprintln!: a held lab's standard error may be a closed pipe.
        let _ = writeln!(
            std::io::stderr(),
            "warning: cannot remove {}: {e}",
            dir.display()
        );
    }
    code
}

async fn run(options: LabOptions) -> ExitCode {
    // Handlers first: a SIGTERM right after `ready` must find them.
    let mut signals = match Signals::stopping() {
        Ok(s) => s,
        Err(e) => {
            errln!("error: cannot watch for signals: {e}");
            return ExitCode::from(exit::BAD_INPUT);
        }
    };
    let password = options.password.is_some();
    let mut lab = match serve::start(options).await {
        Ok(h) => h,
        Err(e) => {
            errln!("error: {e}");
            return ExitCode::from(exit::BAD_INPUT);
        }
    };
    print_summary(&lab, password);
    let failure = tokio::select! {
        name = signals.recv() => {
            errln!("{}: stopping the lab", name.name());
            None
        }
        e = lab.failed() => Some(e),
    };
    if let Some(e) = failure {
        errln!("error: {e}");
        let _ = lab.shutdown().await;
        return ExitCode::from(exit::CHECK_FAILED);
    }
    match lab.shutdown().await {
        Ok(()) => {
            outln!("lab stopped");
            ExitCode::from(exit::OK)
        }
        Err(e) => {
            errln!("error: {e}");
            ExitCode::from(exit::CHECK_FAILED)
        }
    }
}

pub(super) fn print_summary(lab: &LabHandle, password: bool) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "cutover lab, scenario {}", lab.scenario());
    let identity = lab
        .identity()
        .map(|p| format!("-i {} ", shell_quote(&p.display().to_string())))
        .unwrap_or_default();
    let known_hosts = shell_quote(&lab.known_hosts().display().to_string());
    for (d, dev) in lab.devices() {
        let _ = writeln!(
            out,
            "  {:<7} ssh {identity}-o UserKnownHostsFile={known_hosts} -p {} {}@{}    # host key {}",
            d.name(),
            dev.addr.port(),
            serve::DEFAULT_USER,
            dev.addr.ip(),
            dev.fingerprint,
        );
    }
    let _ = writeln!(
        out,
        "  ARM API {}    # Authorization: Bearer ${TOKEN_ENV}",
        lab.arm_endpoint()
    );
    if password {
        let _ = writeln!(
            out,
            "  password logins are on; the inventory reads the password from ${PASSWORD_ENV}"
        );
    }
    // The only line with the word: scripts wait for it.
    let _ = writeln!(
        out,
        "lab ready, inventory: {}",
        lab.inventory_path().display()
    );
    let _ = out.flush();
}

/// A path as a POSIX shell word.
fn shell_quote(s: &str) -> String {
    let plain = s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/._-+:=,@".contains(&b));
    if plain && !s.is_empty() {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words() {
        assert_eq!(
            shell_quote("/tmp/lab/x.known_hosts"),
            "/tmp/lab/x.known_hosts"
        );
        assert_eq!(shell_quote("/tmp/my lab/k"), "'/tmp/my lab/k'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn empty_password_is_refused() {
        assert!(parse_password("").is_err());
        assert!(parse_password("pw").is_ok());
    }

    #[test]
    fn scenario_names_and_files() {
        assert_eq!(load_scenario("baseline").unwrap().name, "baseline");
        let e = load_scenario("nope").unwrap_err().to_string();
        assert!(e.contains("nope") && e.contains("stuck-on-vpn"), "{e}");
        let e = load_scenario("/nonexistent/x.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("/nonexistent/x.toml"), "{e}");
    }
}
