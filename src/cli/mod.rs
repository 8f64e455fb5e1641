//! Command line: subcommands, flags and exit codes. Wires the layers and
//! holds no logic of its own.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use cutover_core::parse;

#[macro_use]
mod out;
mod check;
mod config;
mod drill;
mod drill_lab;
pub mod guard;
pub mod headless;
mod identity;
pub mod lab;
mod lab_held;
mod lossy;
pub mod replay;
mod replay_headless;
pub mod report;
mod restore;
pub mod session;
pub mod signals;
mod startup;
mod surprise;
pub mod validate;
pub mod verify;

/// Exit statuses of CONTRACT.md.
/// Commands that are not sessions (verify, check, parse) use the same
/// statuses; they are named once, by [`Outcome`].
pub mod exit {
    use cutover_core::session::Outcome;

    pub const OK: u8 = Outcome::Completed.exit_code();
    pub const CHECK_FAILED: u8 = Outcome::CheckFailed.exit_code();
    pub const BAD_INPUT: u8 = Outcome::BadInput.exit_code();
    pub const OPERATOR_MUST_ACT: u8 = Outcome::OperatorMustAct.exit_code();
}

#[derive(Debug, Parser)]
#[command(
    name = "cutover",
    version,
    about = "Prove that a site-to-site VPN backs up an ExpressRoute private peering, then fail over to it and back, safely."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the procedure against the built-in lab (a training drill): the
    /// lab starts on 127.0.0.1 in a process of its own and is reached
    /// through the real SSH and ARM clients, under the same detached guard
    /// as `run`.
    Drill(drill::DrillArgs),
    /// Run the procedure against the devices and the Azure subscription of
    /// an inventory.
    Run(session::RunArgs),
    /// Enable the private peering again (after a failover that did not end
    /// cleanly) and verify the path is back on ExpressRoute. Exit 0
    /// restored or already Enabled, 1 declined, 2 bad input, 4 not
    /// restored (the manual commands are printed last).
    Restore(restore::RestoreArgs),
    /// Only the read-only checks (no gate, no change), over one circuit or
    /// many at once: for the quarterly check, cron and pipelines. Exit 0
    /// all passed, 1 a check failed, 2 bad input (an inventory, the
    /// runbook or an argument; 2 wins over 1).
    Validate(validate::ValidateArgs),
    /// The detached guard of one guarded change (started by the console).
    #[command(hide = true)]
    Guard(guard::GuardArgs),
    /// Validate a runbook file; exit 2 with file:line:col on the first problems.
    Check {
        /// The runbook (TOML).
        runbook: PathBuf,
    },
    /// Parse a saved device or API output and print the normalized JSON.
    Parse {
        /// What the output is.
        #[arg(value_enum)]
        kind: parse::Kind,
        /// The file to read; standard input when absent or `-`.
        file: Option<PathBuf>,
    },
    /// The built-in lab: the procedure's network over SSH and the ARM API on 127.0.0.1.
    Lab {
        #[command(subcommand)]
        command: lab::LabCommand,
    },
    /// List the lab's scenarios: name, then what it simulates.
    Scenarios,
    /// The change-ticket report of a recorded session (Markdown, HTML or JSON).
    Report(report::ReportArgs),
    /// Play a recorded session back: in the console, as text, or as an asciicast.
    Replay(replay::ReplayArgs),
    /// Print a shell completion script to standard output, e.g.
    /// `cutover completions bash > ~/.local/share/bash-completion/completions/cutover`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to standard output, e.g.
    /// `cutover man > ~/.local/share/man/man1/cutover.1`.
    Man,
    /// Check a journal's hash chain and signatures: exit 0 intact (and
    /// every signature good), 1 broken (naming the first bad seq),
    /// incomplete, or a bad or missing signature, 2 not a journal.
    Verify {
        /// The session journal (JSONL).
        journal: PathBuf,
        #[command(flatten)]
        signatures: verify::SignatureArgs,
    },
}

/// Bad input: the message on stderr, exit 2.
pub(crate) fn bad(msg: impl std::fmt::Display) -> ExitCode {
    errln!("{msg}");
    ExitCode::from(exit::BAD_INPUT)
}

/// Log records to standard error; `CUTOVER_LOG` overrides `default`.
/// Another subscriber may already be set (tests, an embedding program).
pub(crate) fn init_stderr_logging(default: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("CUTOVER_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::BAD_INPUT
            } else {
                exit::OK
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let mut command = cli.command;
    if let Err(code) = apply_config(&mut command) {
        return code;
    }
    match command {
        Command::Completions { shell } => completions(shell),
        Command::Man => man(),
        Command::Check { runbook } => check::run(&runbook),
        Command::Drill(args) => drill::drill(args),
        Command::Run(args) => session::run(args),
        Command::Restore(args) => restore::run(args),
        Command::Validate(args) => validate::run(args),
        Command::Guard(args) => guard::run(args),
        Command::Report(args) => report::run(&args),
        Command::Replay(args) => replay::run(&args),
        Command::Parse { kind, file } => run_parse(kind, file),
        Command::Lab {
            command: lab::LabCommand::Serve(args),
        } => lab::serve(args),
        Command::Scenarios => lab::scenarios(),
        Command::Verify {
            journal,
            signatures,
        } => verify::run(&journal, &signatures),
    }
}

/// The config file's defaults under the flags of the commands that take
/// them; a bad file is bad input, whatever the command.
fn apply_config(command: &mut Command) -> Result<(), ExitCode> {
    let takes_defaults = matches!(
        command,
        Command::Drill(_) | Command::Run(_) | Command::Restore(_) | Command::Replay(_)
    );
    if !takes_defaults {
        return Ok(());
    }
    let defaults = config::load().map_err(bad)?;
    match command {
        Command::Drill(a) => defaults.fill_session(&mut a.session),
        Command::Run(a) => defaults.fill_session(&mut a.session),
        Command::Restore(a) => defaults.fill_session(&mut a.session),
        Command::Replay(a) => defaults.fill_theme(&mut a.theme),
        _ => {}
    }
    Ok(())
}

/// Writes `bytes` to stdout; a reader that went away is not a failure.
fn print_bytes(bytes: &[u8]) -> ExitCode {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(bytes).and_then(|()| out.flush());
    ExitCode::from(exit::OK)
}

fn completions(shell: clap_complete::Shell) -> ExitCode {
    // Generated into memory: clap_complete panics on a failed write, and
    // `| head` closes the pipe early.
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "cutover", &mut buf);
    print_bytes(&buf)
}

fn man() -> ExitCode {
    let mut buf = Vec::new();
    if let Err(e) = clap_mangen::Man::new(Cli::command()).render(&mut buf) {
        errln!("error: cannot render the man page: {e}");
        return ExitCode::from(exit::BAD_INPUT);
    }
    print_bytes(&buf)
}

fn run_parse(kind: parse::Kind, file: Option<PathBuf>) -> ExitCode {
    let (name, bytes) = match file.as_deref() {
        None => ("<stdin>".to_string(), read_stdin()),
        Some(p) if p.as_os_str() == "-" => ("<stdin>".to_string(), read_stdin()),
        Some(p) => (p.display().to_string(), std::fs::read(p)),
    };
    let bytes = match bytes {
        Ok(b) => b,
        Err(e) => {
            errln!("error: cannot read {name}: {e}");
            return ExitCode::from(exit::BAD_INPUT);
        }
    };
    // Device captures are not always clean UTF-8 (a stray Latin-1 byte in
    // an interface description must not stop the parse).
    let text = String::from_utf8_lossy(&bytes);
    // Written as it is serialized: a JSON tree of a big route table would
    // cost many times the capture (see scripts/bench-parse-memory).
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = parse::write_json(kind, &text, &mut out).and_then(|()| {
        out.write_all(b"\n")
            .and_then(|()| out.flush())
            .map_err(|e| parse::WriteJsonError::Write(serde_json::Error::io(e)))
    });
    match written {
        Ok(()) => ExitCode::from(exit::OK),
        // The reader closed the pipe (`| head`): its choice, not a failure.
        Err(parse::WriteJsonError::Write(e))
            if e.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::from(exit::OK)
        }
        Err(parse::WriteJsonError::Write(e)) => {
            errln!("error: {e}");
            ExitCode::from(exit::BAD_INPUT)
        }
        Err(parse::WriteJsonError::Parse(e)) => {
            if e.line == 0 {
                errln!("{name}: {}", e.message);
            } else {
                errln!("{name}:{}: {}", e.position(), e.message);
            }
            ExitCode::from(exit::BAD_INPUT)
        }
    }
}

fn read_stdin() -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    std::io::stdin().read_to_end(&mut buf)?;
    Ok(buf)
}
