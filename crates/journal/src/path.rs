//! Where journals live by default: one file per session under
//! `$XDG_STATE_HOME/cutover/sessions/` (`~/.local/state/cutover/sessions/`
//! when the variable is unset, empty or relative, as the XDG spec says).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use time::OffsetDateTime;
use uuid::Uuid;

/// The sessions directory for these values of `$XDG_STATE_HOME` and
/// `$HOME`; `None` when neither gives an absolute directory.
pub fn sessions_dir_from(xdg_state_home: Option<&OsStr>, home: Option<&OsStr>) -> Option<PathBuf> {
    let state = xdg_base(xdg_state_home, home, ".local/state")?;
    Some(state.join("cutover").join("sessions"))
}

/// An XDG base directory: the variable's value when it is absolute, else
/// `fallback` under an absolute `$HOME` (the spec ignores a relative
/// value, which would depend on where the command was started).
pub fn xdg_base(var: Option<&OsStr>, home: Option<&OsStr>, fallback: &str) -> Option<PathBuf> {
    var.map(Path::new)
        .filter(|p| p.is_absolute())
        .map(Path::to_path_buf)
        .or_else(|| {
            home.map(Path::new)
                .filter(|p| p.is_absolute())
                .map(|h| h.join(fallback))
        })
}

/// The sessions directory of this process's environment.
pub fn sessions_dir() -> Option<PathBuf> {
    sessions_dir_from(
        std::env::var_os("XDG_STATE_HOME").as_deref(),
        std::env::var_os("HOME").as_deref(),
    )
}

/// `YYYYMMDDTHHMMSSZ-<runbook-id>-<first 8 hex of the session id>.jsonl`.
/// The runbook id is reduced to `[A-Za-z0-9._-]` so that it can never
/// leave the directory or hide the extension.
pub fn session_file_name(started: OffsetDateTime, runbook_id: &str, session_id: &Uuid) -> String {
    let t = started.to_offset(time::UtcOffset::UTC);
    let mut id: String = runbook_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_') {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    if id.is_empty() {
        id.push_str("session");
    }
    let short = session_id.simple().to_string();
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z-{id}-{}.jsonl",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        &short[..8]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xdg_then_home_and_relative_values_ignored() {
        let d = sessions_dir_from(Some(OsStr::new("/x/state")), Some(OsStr::new("/home/u")));
        assert_eq!(d, Some(PathBuf::from("/x/state/cutover/sessions")));
        let d = sessions_dir_from(Some(OsStr::new("rel")), Some(OsStr::new("/home/u")));
        assert_eq!(
            d,
            Some(PathBuf::from("/home/u/.local/state/cutover/sessions"))
        );
        let d = sessions_dir_from(Some(OsStr::new("")), Some(OsStr::new("/home/u")));
        assert_eq!(
            d,
            Some(PathBuf::from("/home/u/.local/state/cutover/sessions"))
        );
        assert_eq!(sessions_dir_from(None, None), None);
        assert_eq!(sessions_dir_from(None, Some(OsStr::new("relative"))), None);
    }

    #[test]
    fn file_name_shape_and_sanitized_runbook_id() {
        let t = time::macros::datetime!(2026-11-03 01:02:03.9 UTC);
        let id = Uuid::parse_str("1b4e28ba-2fa1-11d2-883f-0016d3cca427").expect("uuid");
        assert_eq!(
            session_file_name(t, "er-vpn-failover", &id),
            "20261103T010203Z-er-vpn-failover-1b4e28ba.jsonl"
        );
        assert_eq!(
            session_file_name(t, "../../etc/x y", &id),
            "20261103T010203Z-------etc-x-y-1b4e28ba.jsonl"
        );
        assert_eq!(
            session_file_name(t, "", &id),
            "20261103T010203Z-session-1b4e28ba.jsonl"
        );
    }
}
