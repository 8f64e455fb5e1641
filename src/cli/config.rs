//! The operator's defaults: `$XDG_CONFIG_HOME/cutover/config.toml`
//! (`~/.config/cutover/config.toml` when the variable is unset, empty or
//! relative). A flag always wins over the file; a key the file does not
//! know, or a value of the wrong type, is bad input at path:line:col like
//! every other file cutover reads.
//!
//! ```toml
//! theme = "high-contrast"          # --theme
//! operator = "Dana Ops"            # --operator
//! sign_key = "~/.ssh/id_ed25519"   # --sign-key
//! state_dir = "~/cutover-state"    # --state-dir: journals under <dir>/sessions/
//! ```

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use cutover_core::inventory::line_col;
use cutover_core::runbook::{Diagnostic, Diagnostics, Pos};

use super::session::SessionArgs;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    theme: Option<String>,
    operator: Option<Spanned<String>>,
    sign_key: Option<String>,
    state_dir: Option<String>,
}

/// The defaults the file gives; every one optional.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Defaults {
    pub theme: Option<String>,
    pub operator: Option<String>,
    pub sign_key: Option<PathBuf>,
    pub state_dir: Option<PathBuf>,
}

/// Where the file is for these values of `$XDG_CONFIG_HOME` and `$HOME`.
pub fn path_from(xdg_config_home: Option<&OsStr>, home: Option<&OsStr>) -> Option<PathBuf> {
    let base = cutover_journal::path::xdg_base(xdg_config_home, home, ".config")?;
    Some(base.join("cutover").join("config.toml"))
}

/// The defaults of this process's environment; no file, no defaults.
pub fn load() -> Result<Defaults, Diagnostics> {
    let home = std::env::var_os("HOME");
    let Some(path) = path_from(
        std::env::var_os("XDG_CONFIG_HOME").as_deref(),
        home.as_deref(),
    ) else {
        return Ok(Defaults::default());
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Defaults::default()),
        Err(e) => {
            return Err(Diagnostics::whole_file(
                path.display().to_string(),
                format!("cannot read: {e}"),
            ));
        }
    };
    parse(&text, &path, home.as_deref().map(Path::new))
}

/// Parses the file's `text`; `path` names it in messages and anchors
/// relative paths, `home` expands `~/`.
pub fn parse(text: &str, path: &Path, home: Option<&Path>) -> Result<Defaults, Diagnostics> {
    let at = |offset: usize, message: String| {
        let (line, col) = line_col(text, offset);
        Diagnostics {
            file: path.display().to_string(),
            items: vec![Diagnostic {
                pos: Some(Pos { line, col }),
                message,
            }],
        }
    };
    let raw: Raw = toml::from_str(text).map_err(|e| match e.span() {
        Some(s) => at(s.start, e.message().trim().to_string()),
        None => Diagnostics::whole_file(path.display().to_string(), e.message().trim()),
    })?;
    let operator = match raw.operator {
        Some(o) => Some(
            super::identity::parse_operator(o.get_ref())
                .map_err(|why| at(o.span().start, format!("operator: {why}")))?,
        ),
        None => None,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let file_path = |raw: String| {
        let p = match (raw.strip_prefix("~/"), home) {
            (Some(rest), Some(h)) => h.join(rest),
            _ => PathBuf::from(&raw),
        };
        if p.is_absolute() { p } else { dir.join(p) }
    };
    Ok(Defaults {
        theme: raw.theme,
        operator,
        sign_key: raw.sign_key.map(file_path),
        state_dir: raw.state_dir.map(file_path),
    })
}

impl Defaults {
    /// Fills what the flags left unset.
    pub fn fill_session(&self, args: &mut SessionArgs) {
        fill(&mut args.theme, &self.theme);
        fill(&mut args.operator, &self.operator);
        fill(&mut args.sign_key, &self.sign_key);
        fill(&mut args.state_dir, &self.state_dir);
    }

    pub fn fill_theme(&self, theme: &mut Option<String>) {
        fill(theme, &self.theme);
    }
}

fn fill<T: Clone>(flag: &mut Option<T>, default: &Option<T>) {
    if flag.is_none() {
        flag.clone_from(default);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_under_xdg_config_home_else_home() {
        let p = |x: Option<&str>, h: Option<&str>| {
            path_from(x.map(OsStr::new), h.map(OsStr::new)).map(|p| p.display().to_string())
        };
        assert_eq!(
            p(Some("/x"), Some("/h")).as_deref(),
            Some("/x/cutover/config.toml")
        );
        assert_eq!(
            p(Some("rel"), Some("/h")).as_deref(),
            Some("/h/.config/cutover/config.toml")
        );
        assert_eq!(p(None, None), None);
    }

    #[test]
    fn paths_expand_and_bad_keys_point_at_themselves() {
        let path = Path::new("/etc/cutover/config.toml");
        let d = parse(
            "theme = \"light\"\nsign_key = \"~/.ssh/k\"\nstate_dir = \"state\"\n",
            path,
            Some(Path::new("/home/o")),
        )
        .expect("parses");
        assert_eq!(d.sign_key, Some(PathBuf::from("/home/o/.ssh/k")));
        assert_eq!(d.state_dir, Some(PathBuf::from("/etc/cutover/state")));
        let e = parse("theme = \"x\"\n\ncolour = 1\n", path, None).expect_err("unknown");
        assert!(
            e.to_string().starts_with("/etc/cutover/config.toml:3:1: "),
            "{e}"
        );
        let e = parse("operator = 7\n", path, None).expect_err("type");
        assert!(
            e.to_string().starts_with("/etc/cutover/config.toml:1:12: "),
            "{e}"
        );
        let e = parse("operator = \"  \"\n", path, None).expect_err("empty");
        assert!(e.to_string().contains("operator: "), "{e}");
    }
}
