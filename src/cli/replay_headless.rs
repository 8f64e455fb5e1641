//! `cutover replay --headless`: the session as text, one line per record,
//! in the same format as `cutover drill --headless` prints live (so a
//! replayed session reads exactly like the live one).

use std::io::{self, Write};

use crate::cli::headless::format_line;
use cutover_journal::recording::Recording;
use cutover_journal::{Record, line::format_ts};
use cutover_tui::replay::schedule::{self, MAX_GAP};

/// The line for one record. A kind this version does not know is still
/// listed, so a reader sees that something happened there.
pub fn line(record: &Record) -> String {
    match record.event() {
        Some(e) => format_line(record.ts, e),
        None => format!(
            "{} {:<16} - (a kind this version of cutover does not know: not interpreted)",
            format_ts(record.ts),
            record.kind()
        ),
    }
}

/// Writes every record's line to `out`. With `pace`, waits between lines
/// as the journal did (gaps capped, divided by the speed); without, writes
/// at once.
pub fn write(rec: &Recording, out: &mut dyn Write, pace: Option<f64>) -> io::Result<()> {
    let mut prev = None;
    for r in &rec.records {
        if let (Some(speed), Some(p)) = (pace, prev) {
            let wait = schedule::wait(schedule::gap(p, r.ts, MAX_GAP), speed);
            if !wait.is_zero() {
                out.flush()?;
                std::thread::sleep(wait);
            }
        }
        writeln!(out, "{}", line(r))?;
        prev = Some(r.ts);
    }
    out.flush()
}
