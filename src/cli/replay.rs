//! `cutover replay JOURNAL [--speed N] [--headless] [--asciicast OUT]`:
//! a recorded session played back (see `cutover_tui::replay`).

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use super::{bad, exit};
use cutover_tui::Theme;
use cutover_tui::replay::asciicast::{self, CastOptions};
use cutover_tui::replay::{Recording, console};

const AFTER_HELP: &str = "\
In the console: Space pause/play, \u{2192}/\u{2190} one record forward/back, \
+/- speed, q quit; the console's own keys (Tab, 1-6, arrows, r, /, ?) work \
as live. Gate, healthy and rollback keys do nothing: a replay changes nothing.

Timing: gaps between records longer than 2 s are shortened to 2 s, then \
divided by --speed. --headless prints at once unless --speed is given. In an \
asciicast, --speed 0 puts the frames 0.1 s apart.

Exit status:
  0  played back
  1  played back, but the journal FAILED its integrity check (edited or \
damaged): a warning says from which seq nothing can be trusted
  2  the journal cannot be read or is not a journal (path:line:col), a \
bad --speed, or no terminal (use --headless or --asciicast)";

/// `cutover replay`.
#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct ReplayArgs {
    /// The session's journal (JSONL).
    pub journal: PathBuf,
    /// Playback speed: 2 is twice as fast, 0 as fast as possible
    /// [default: 1].
    // Negative numbers reach the check below, which says what is allowed.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub speed: Option<f64>,
    /// Print the session as text lines (time, kind, step, summary); no
    /// terminal needed.
    #[arg(long)]
    pub headless: bool,
    /// Write an asciicast v2 recording of the console (120x36) to OUT; no
    /// terminal needed.
    #[arg(long, value_name = "OUT")]
    pub asciicast: Option<PathBuf>,
    /// The runbook that ran, for telling ExpressRoute from VPN paths
    /// (default: the bundled runbook that matches the journal).
    #[arg(long, value_name = "PATH")]
    pub runbook: Option<PathBuf>,
    /// Colour theme: a bundled name (dark, light, high-contrast) or a file.
    #[arg(long, value_name = "THEME")]
    pub theme: Option<String>,
}

pub fn run(args: &ReplayArgs) -> ExitCode {
    if let Some(s) = args.speed
        && !(s.is_finite() && s >= 0.0)
    {
        return bad(format!(
            "--speed {s}: must be a number, 0 or more (0: as fast as possible)"
        ));
    }
    let rec = match Recording::open(&args.journal, args.runbook.as_deref()) {
        Ok(r) => r,
        Err(e) => return bad(e),
    };
    let theme = match Theme::from_args(args.theme.as_deref()) {
        Ok(t) => t,
        Err(e) => return bad(e),
    };
    let name = args.journal.display().to_string();
    // Said before playing, so a reader knows what they are looking at.
    for w in &rec.warnings {
        errln!("{name}: warning: {w}");
    }
    errln!("{name}: {}", who_and_signature(&rec));

    if let Some(out) = &args.asciicast {
        let opts = CastOptions {
            speed: args.speed.unwrap_or(1.0),
            ..CastOptions::default()
        };
        let written = super::out::create_private(out).and_then(|f| {
            let mut w = BufWriter::new(f);
            let stats = asciicast::write(&rec, theme.clone(), &opts, &mut w)?;
            w.flush()?;
            Ok(stats)
        });
        if let Err(e) = written {
            return bad(format!(
                "{}: cannot write the asciicast: {e}",
                out.display()
            ));
        }
    }
    if args.headless {
        let mut stdout = std::io::stdout().lock();
        if let Err(e) = super::replay_headless::write(&rec, &mut stdout, args.speed)
            && e.kind() != std::io::ErrorKind::BrokenPipe
        {
            return bad(format!("cannot write: {e}"));
        }
    } else if args.asciicast.is_none()
        && let Err(e) = console::run(&rec, theme, args.speed.unwrap_or(1.0))
    {
        return bad(format!(
            "{name}: cannot play in the terminal: {e} (use --headless or --asciicast OUT)"
        ));
    }
    if rec.is_tampered() {
        ExitCode::from(exit::CHECK_FAILED)
    } else {
        ExitCode::from(exit::OK)
    }
}

/// Who ran the session, for which ticket, and what its signatures say.
fn who_and_signature(rec: &Recording) -> String {
    let who = rec.events().find_map(|e| match e {
        cutover_core::session::Event::SessionStart {
            operator, ticket, ..
        } => Some(match ticket {
            Some(t) => format!("operator {operator}, ticket {t}"),
            None => format!("operator {operator}, no ticket"),
        }),
        _ => None,
    });
    format!(
        "{}; {}",
        who.unwrap_or_else(|| "no session_start".into()),
        rec.signature_summary()
    )
}
