//! `cutover report JOURNAL --format md|html|json [--output FILE]`: the
//! change-ticket report of a recorded session (see `crate::report`); with
//! several drill journals, the trainee scoreboard.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::exit;
use cutover_core::inventory::Inventory;
use cutover_journal::Redactor;
use cutover_journal::recording::Recording;
use cutover_report::{self as report, Format};

const AFTER_HELP: &str = "\
The report is built from the journal alone: who, when, ticket, outcome, every \
step with its duration, verdict, exact commands and evidence, gates and \
overrides with their reasons, the guarded change (attempts, deadline, \
verification, confirmation or rollback), the failover and failback times, the \
before/after route and traceroute diffs, and the journal's integrity. A \
drill's report has its score: each objective met or not, with the lines that \
showed the fault.

Several journals: the trainee scoreboard, one row per journal (who, scenario, \
score, missed objectives, date); exit 1 when any of them failed its integrity \
check.

Exit status:
  0  the report was written (a session that was not closed, or whose last \
line a crash cut short, is reported with a warning at the top)
  1  the report was written, but the journal FAILED its integrity check (it \
was edited or damaged): the report carries a loud warning at the top and \
says from which seq nothing can be trusted; `cutover verify` gives the detail
  2  the journal cannot be read or is not a journal (path:line:col), the \
inventory or runbook is invalid, or the output cannot be written";

/// `cutover report`.
#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct ReportArgs {
    /// The session's journal (JSONL). Several drill journals: the
    /// trainee scoreboard instead (who, scenario, score, missed
    /// objectives, date), one row per journal.
    #[arg(required = true, num_args = 1..)]
    pub journals: Vec<PathBuf>,
    /// md: Markdown tables for a ticket; html: one self-contained page with
    /// a timeline; json: the stable structure.
    #[arg(long, value_enum, default_value = "md")]
    pub format: Format,
    /// Write the report here (mode 0600) instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The inventory: its `redact` patterns and the values of the
    /// credential variables it names are scrubbed from the report too.
    #[arg(long, value_name = "PATH")]
    pub inventory: Option<PathBuf>,
    /// The runbook that ran, for telling ExpressRoute from VPN paths
    /// (default: the bundled runbook that matches the journal).
    #[arg(long, value_name = "PATH")]
    pub runbook: Option<PathBuf>,
}

fn write_output(path: &Path, text: &str) -> std::io::Result<()> {
    let mut f = super::out::create_private(path)?;
    f.write_all(text.as_bytes())?;
    f.flush()
}

pub fn run(args: &ReportArgs) -> ExitCode {
    let redactor = match &args.inventory {
        None => Redactor::new(),
        Some(p) => {
            let inv = match Inventory::load(p) {
                Ok(i) => i,
                Err(e) => {
                    errln!("{e}");
                    return ExitCode::from(exit::BAD_INPUT);
                }
            };
            match Redactor::for_inventory(&inv) {
                Ok(r) => r,
                Err(e) => {
                    errln!("{}: {e}", p.display());
                    return ExitCode::from(exit::BAD_INPUT);
                }
            }
        }
    };
    let mut built = Vec::with_capacity(args.journals.len());
    let mut tampered = false;
    for j in &args.journals {
        let rec = match Recording::open(j, args.runbook.as_deref()) {
            Ok(r) => r,
            Err(e) => {
                errln!("{e}");
                return ExitCode::from(exit::BAD_INPUT);
            }
        };
        tampered |= rec.is_tampered();
        built.push((j, report::build(&rec)));
    }
    let rendered = match built.as_slice() {
        [(j, one)] => {
            report::render(one, args.format, &redactor).map_err(|e| format!("{}: {e}", j.display()))
        }
        many => {
            let reports: Vec<report::Report> = many.iter().map(|(_, r)| r.clone()).collect();
            let board = report::scoreboard::build(&reports);
            report::scoreboard::render(&board, args.format, &redactor)
                .map_err(|e| format!("the scoreboard: {e}"))
        }
    };
    let text = match rendered {
        Ok(t) => t,
        Err(e) => {
            errln!("{e}");
            return ExitCode::from(exit::BAD_INPUT);
        }
    };
    match &args.output {
        Some(out) => {
            if let Err(e) = write_output(out, &text) {
                errln!("{}: cannot write the report: {e}", out.display());
                return ExitCode::from(exit::BAD_INPUT);
            }
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            if let Err(e) = stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
            {
                // A closed pipe (`| head`) is the reader's choice, not a
                // failure of the report.
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    errln!("cannot write the report: {e}");
                    return ExitCode::from(exit::BAD_INPUT);
                }
            }
        }
    }
    for (j, r) in &built {
        for w in &r.warnings {
            errln!("{}: warning: {}", j.display(), redactor.redact_str(w));
        }
    }
    if tampered {
        ExitCode::from(exit::CHECK_FAILED)
    } else {
        ExitCode::from(exit::OK)
    }
}
