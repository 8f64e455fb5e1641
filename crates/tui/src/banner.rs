//! The guarded-change banner, on top of everything while a disruptive
//! change is out: the countdown to the automatic rollback, how the
//! verifications stand, and the two keys that end the wait (`h` healthy,
//! `R` roll back). A rollback that keeps failing is escalated here with
//! its attempt count, the next attempt's time and the manual commands
//! (`T` takes over). After a rollback it says how that went; when a
//! rollback failed it prints the exact manual commands, wrapped, never cut.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

mod verifying;

mod stranded;

use super::app::App;
use super::detail::{attempt_text, cancel_text, reason_text};
use super::pane::text_width;
use cutover_core::session::event::RollbackResult;
use cutover_core::session::state::{Escalation, GuardPhase, GuardState, RollbackOutcome};

/// `mm:ss`, or `h:mm:ss` from an hour on.
pub fn countdown(d: std::time::Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, (s % 3600) / 60, s % 60)
    } else {
        format!("{:02}:{:02}", s / 60, s % 60)
    }
}

/// The deadline as a UTC wall-clock time, or as the engine wrote it.
fn deadline_clock(d: &cutover_core::session::state::Deadline) -> String {
    match d.expires_at {
        Some(t) => {
            let t = t.to_offset(time::UtcOffset::UTC);
            format!("{:02}:{:02}:{:02} UTC", t.hour(), t.minute(), t.second())
        }
        None => d.expires_at_text.clone(),
    }
}

/// Whether the banner shows, and its style.
fn shown(app: &App) -> Option<(&GuardState, Style)> {
    let g = app.state.guard()?;
    let t = &app.theme;
    let style = match g.phase() {
        GuardPhase::Confirmed => return None,
        // Lost traffic is an outage now, not a change being watched.
        GuardPhase::Armed if verifying::traffic_lost(g) => {
            t.danger.add_modifier(Modifier::REVERSED | Modifier::BOLD)
        }
        GuardPhase::Applying | GuardPhase::Armed => t.banner,
        // A rollback that is not getting through needs a person now.
        GuardPhase::RollingBack if g.rollback.as_ref().is_some_and(|r| r.escalation.is_some()) => {
            t.danger.add_modifier(Modifier::REVERSED | Modifier::BOLD)
        }
        GuardPhase::RollingBack => t.warn.add_modifier(Modifier::REVERSED),
        GuardPhase::RolledBack | GuardPhase::Cancelled => t.ok.add_modifier(Modifier::REVERSED),
        GuardPhase::ApplyFailed | GuardPhase::RollbackFailed => {
            t.danger.add_modifier(Modifier::REVERSED | Modifier::BOLD)
        }
    };
    Some((g, style))
}

fn lines(app: &App, g: &GuardState) -> Vec<String> {
    let what = if g.target.is_empty() {
        g.op.clone()
    } else {
        format!("{} on {}", g.op, g.target)
    };
    let mut out: Vec<String> = Vec::new();
    match g.phase() {
        GuardPhase::Confirmed => {}
        GuardPhase::Applying => {
            out.push(format!(" !! APPLYING {what}…"));
            let last = g
                .attempts
                .last()
                .map_or_else(|| "waiting for the answer".to_string(), attempt_text);
            let keys = if app.can_rollback() {
                "  ·  R roll back"
            } else {
                ""
            };
            out.push(format!("   {last}{keys}"));
        }
        GuardPhase::ApplyFailed => {
            let detail = g.applied.as_ref().map_or("", |a| a.detail.as_str());
            out.push(format!(" ✗ THE CHANGE FAILED: {what}"));
            out.push(format!("   {detail}"));
        }
        GuardPhase::Cancelled => {
            let Some(c) = &g.cancelled else {
                return out;
            };
            out.push(format!(" ■ CANCELLED ({}): {what}", cancel_text(c.reason)));
            out.push(format!("   not applied, nothing to undo: {}", c.detail));
        }
        GuardPhase::Armed => {
            // A replay sets the clock from the journal, so the countdown
            // reads as it did at the time.
            let left = match &g.deadline {
                Some(d) => match d.remaining(app.now) {
                    Some(r) if r.is_zero() => "deadline passed: the rollback is due".to_string(),
                    Some(r) => format!(
                        "{} to confirm, then automatic rollback (at {})",
                        countdown(r),
                        deadline_clock(d)
                    ),
                    None => format!("deadline {}", d.expires_at_text),
                },
                None => String::new(),
            };
            out.push(format!(" !! GUARDED CHANGE  {left}"));
            out.push(format!("    {what}"));
            // Azure's failover test: its status and the routes that need
            // the VPN while it runs, as its details last read.
            if let Some(ft) = &g.failover_test {
                out.push(format!("    {}", ft.brief()));
            }
            let verify = verifying::verify_line(g, app.now);
            let keys = match &app.guard_request {
                Some(_) => "  ·  request sent, waiting for the engine".to_string(),
                None if app.replay || app.state.is_ended() => String::new(),
                None if app.can_confirm_healthy() => {
                    "  ·  h healthy…  ·  R roll back now".to_string()
                }
                None => "  ·  R roll back now".to_string(),
            };
            out.push(format!("    {verify}{keys}"));
        }
        GuardPhase::RollingBack => {
            let Some(rb) = &g.rollback else {
                return out;
            };
            out.push(format!(
                " ↺ ROLLING BACK ({}): {}",
                reason_text(rb.reason),
                rb.op
            ));
            let last = rb
                .attempts
                .last()
                .map_or_else(|| "waiting for the answer".to_string(), attempt_text);
            out.push(format!("   {last}"));
            if let Some(e) = &rb.escalation {
                out.extend(escalation_lines(app, e));
            }
            if let Some(w) = &rb.settling {
                // The window restarts on each re-assert: count from its
                // latest start.
                let shown = match w.remaining(app.now) {
                    Some(left) => format!(
                        "{} s of {} s",
                        w.seconds.saturating_sub(left.as_secs()),
                        w.seconds
                    ),
                    None => format!("{} s, until {}", w.seconds, w.expires_at_text),
                };
                out.push(format!(
                    "   settling: watching the peering, {shown} (a write still in flight could land)"
                ));
            }
        }
        GuardPhase::RolledBack => {
            let Some(rb) = &g.rollback else {
                return out;
            };
            let detail = match &rb.outcome {
                RollbackOutcome::Done { detail } => detail.clone(),
                _ => String::new(),
            };
            let reason = reason_text(rb.reason);
            out.push(match rb.result {
                Some(RollbackResult::AlreadyEnabled) => format!(
                    " ✓ ALREADY ENABLED ({reason}): nothing to undo; re-asserted and watched"
                ),
                Some(RollbackResult::AlreadyDisabled) => format!(
                    " ✓ ALREADY DISABLED ({reason}): nothing to undo; re-asserted and watched"
                ),
                Some(RollbackResult::NotApplied) => format!(
                    " ✓ NOT APPLIED ({reason}): the change had not gone out; re-asserted and watched"
                ),
                _ => format!(" ✓ ROLLED BACK ({reason}): {what} undone"),
            });
            out.push(format!("   {detail}"));
        }
        GuardPhase::RollbackFailed => {
            let Some(rb) = &g.rollback else {
                return out;
            };
            let RollbackOutcome::Failed { error, manual } = &rb.outcome else {
                return out;
            };
            out.push(format!(
                " ✗ ROLLBACK FAILED ({}): {error}",
                reason_text(rb.reason)
            ));
            out.push("   ACT NOW: the change is still out. Run one of these by hand:".to_string());
            out.push(format!("   az CLI:     {}", manual.az_cli));
            out.push(format!("   PowerShell: {}", manual.powershell));
        }
    }
    out.extend(stranded::guard_watch(g));
    out
}

/// An escalated rollback: what fails, how often, when it tries again,
/// when it stops, and the commands to run by hand meanwhile.
fn escalation_lines(app: &App, e: &Escalation) -> Vec<String> {
    let next = match e.next_attempt_at {
        Some(t) => {
            let left = (t - app.now).whole_seconds().max(0);
            format!("next attempt at {} (in {left} s)", clock(t))
        }
        None => "an attempt is under way".to_string(),
    };
    let until = e
        .gives_up_at
        .map_or_else(|| e.gives_up_at_text.clone(), clock);
    let keys = if app.can_take_over() {
        "  ·  T take over"
    } else {
        ""
    };
    vec![
        format!(
            " !! ROLLBACK NOT GETTING THROUGH: attempt {} failed: {}",
            e.attempts, e.error
        ),
        format!("   retrying: {next}; gives up at {until}{keys}"),
        "   If it does not get through, restore the peering by hand:".to_string(),
        format!("   az CLI:     {}", e.manual.az_cli),
        format!("   PowerShell: {}", e.manual.powershell),
    ]
}

fn clock(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!("{:02}:{:02}:{:02} UTC", t.hour(), t.minute(), t.second())
}

/// The banner's rows at `width`: long lines are cut into rows by
/// character, so that a manual command is shown whole and the height is
/// known before drawing.
fn rows(app: &App, g: &GuardState, width: u16) -> Vec<String> {
    wrap(lines(app, g), width)
}

fn wrap(lines: Vec<String>, width: u16) -> Vec<String> {
    let w = usize::from(width.max(1));
    let mut out = Vec::new();
    for line in lines {
        let mut row = String::new();
        let mut used = 0;
        for c in line.chars() {
            let mut buf = [0u8; 4];
            let cw = text_width(c.encode_utf8(&mut buf));
            if used + cw > w {
                out.push(std::mem::take(&mut row));
                used = 0;
            }
            row.push(c);
            used += cw;
        }
        out.push(row);
    }
    out
}

/// Rows the banner takes at `width` (0 when hidden).
pub fn height(app: &App, width: u16) -> u16 {
    match shown(app) {
        Some((g, _)) => u16::try_from(rows(app, g, width).len()).unwrap_or(u16::MAX),
        None => stranded::refusal(app).map_or(0, |l| {
            u16::try_from(wrap(l, width).len()).unwrap_or(u16::MAX)
        }),
    }
}

pub fn render(f: &mut Frame<'_>, area: Rect, app: &App) {
    let Some((g, style)) = shown(app) else {
        if let Some(l) = stranded::refusal(app) {
            let style = app
                .theme
                .danger
                .add_modifier(Modifier::REVERSED | Modifier::BOLD);
            let lines: Vec<Line<'_>> = wrap(l, area.width).into_iter().map(Line::raw).collect();
            f.render_widget(Paragraph::new(lines).style(style), area);
        }
        return;
    };
    let lines: Vec<Line<'_>> = rows(app, g, area.width)
        .into_iter()
        .map(Line::raw)
        .collect();
    f.render_widget(Paragraph::new(lines).style(style), area);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countdown_format() {
        use std::time::Duration;
        assert_eq!(countdown(Duration::from_secs(571)), "09:31");
        assert_eq!(countdown(Duration::from_secs(3_725)), "1:02:05");
        assert_eq!(countdown(Duration::ZERO), "00:00");
    }
}
