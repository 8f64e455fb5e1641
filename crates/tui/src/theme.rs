//! Colours by meaning, not by pane.
//!
//! Panes ask for `theme.ok`, `theme.path_er`, never for "green", so a theme
//! file only says what each meaning looks like. Bundled: `dark` (the
//! default), `light`, `high-contrast`; `--theme PATH` reads a user file,
//! which may name a bundled `base` and override only some keys.
//!
//! A theme file is TOML: each key is a colour (`"green"`, `"#1e90ff"`,
//! `"244"`, `"reset"`) or a table `{ fg, bg, bold, dim, italic, underline,
//! reverse }`. An unknown key, a colour that does not read, or a syntax
//! error is an error naming `file:line:col`.
//!
//! `NO_COLOR` (set and not empty, see no-color.org) drops every colour and
//! keeps the modifiers; the styles whose meaning lived only in a colour
//! (selection, focus, changed rows, the guard banner) get a modifier
//! instead, so the console stays readable.

use std::path::Path;
use std::str::FromStr;

pub mod contrast;

use ratatui::style::{Color, Modifier, Style};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

const DARK: &str = include_str!("../../../themes/dark.toml");
const LIGHT: &str = include_str!("../../../themes/light.toml");
const HIGH_CONTRAST: &str = include_str!("../../../themes/high-contrast.toml");

/// The bundled themes: (name, file text).
pub const BUNDLED: [(&str, &str); 3] = [
    ("dark", DARK),
    ("light", LIGHT),
    ("high-contrast", HIGH_CONTRAST),
];

/// Why a theme could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThemeError {
    #[error("{file}:{line}:{col}: {message}")]
    Invalid {
        file: String,
        line: usize,
        col: usize,
        message: String,
    },
    #[error("{file}: cannot read the theme: {reason}")]
    Read { file: String, reason: String },
    #[error(
        "no theme named `{0}` (bundled: dark, light, high-contrast; or give the path of a .toml file)"
    )]
    Unknown(String),
}

macro_rules! theme_keys {
    ($( $key:ident : $doc:literal ),+ $(,)?) => {
        /// Styles by meaning.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct Theme {
            /// The theme's name (a bundled name or the file's path).
            pub name: String,
            /// True when `NO_COLOR` stripped the colours.
            pub no_color: bool,
            $( #[doc = $doc] pub $key: Style, )+
        }

        /// Every key a theme file may set (besides `name` and `base`).
        pub const KEYS: &[&str] = &[$( stringify!($key) ),+];

        impl Theme {
            fn slot(&mut self, key: &str) -> Option<&mut Style> {
                match key {
                    $( stringify!($key) => Some(&mut self.$key), )+
                    _ => None,
                }
            }

            fn map_styles(&mut self, f: impl Fn(Style) -> Style) {
                $( self.$key = f(self.$key); )+
            }
        }
    };
}

theme_keys! {
    text: "Ordinary text.",
    background: "The background of panes (its `bg`).",
    muted: "Secondary text: pending steps, units, hints.",
    accent: "Headings inside panes.",
    note: "The session's notes in the Notes & log pane, set apart from the log.",
    border: "Pane borders.",
    border_focus: "The focused pane's border.",
    title: "Pane titles.",
    highlight: "The selected row.",
    changed: "Rows that changed since the session started.",
    ok: "Passed, up, established, connected.",
    warn: "Needs attention: overridden, stale, slow.",
    danger: "Failed, down, rolled back, rollback failed.",
    path_er: "A path over ExpressRoute.",
    path_vpn: "A path over the VPN.",
    path_unknown: "A path of unknown kind.",
    key: "Key names in the footer and the help.",
    input: "Text the operator types.",
    popup: "Popups (gate, help, confirmations).",
    banner: "The guarded-change banner.",
}

impl Theme {
    /// The default theme.
    pub fn dark() -> Self {
        // The bundled files are checked by the tests; a broken one must
        // still not take the console down, hence the plain fallback.
        Self::bundled("dark").unwrap_or_else(|_| Self::plain("dark"))
    }

    /// A theme of default styles, the base every file is applied to.
    fn plain(name: &str) -> Self {
        Self {
            name: name.to_string(),
            no_color: false,
            text: Style::new(),
            background: Style::new(),
            muted: Style::new(),
            accent: Style::new(),
            note: Style::new(),
            border: Style::new(),
            border_focus: Style::new(),
            title: Style::new(),
            highlight: Style::new(),
            changed: Style::new(),
            ok: Style::new(),
            warn: Style::new(),
            danger: Style::new(),
            path_er: Style::new(),
            path_vpn: Style::new(),
            path_unknown: Style::new(),
            key: Style::new(),
            input: Style::new(),
            popup: Style::new(),
            banner: Style::new(),
        }
    }

    /// A bundled theme by name.
    pub fn bundled(name: &str) -> Result<Self, ThemeError> {
        let (n, text) = BUNDLED
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| ThemeError::Unknown(name.to_string()))?;
        Self::parse_with(text, &format!("themes/{n}.toml"), None)
    }

    /// `--theme NAME|PATH`: a bundled name, else a file path. A value that
    /// is neither a bundled name nor looks like a path is an unknown name.
    pub fn load(spec: &str) -> Result<Self, ThemeError> {
        if BUNDLED.iter().any(|(n, _)| *n == spec) {
            return Self::bundled(spec);
        }
        let looks_like_path = spec.contains('/')
            || spec.contains(std::path::MAIN_SEPARATOR)
            || spec.ends_with(".toml");
        if !looks_like_path {
            return Err(ThemeError::Unknown(spec.to_string()));
        }
        Self::from_file(Path::new(spec))
    }

    /// Reads a theme file.
    pub fn from_file(path: &Path) -> Result<Self, ThemeError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ThemeError::Read {
            file: file.clone(),
            reason: e.to_string(),
        })?;
        Self::parse(&text, &file)
    }

    /// Parses a user's theme text; `file` names it in errors. Keys it does
    /// not set come from its `base` (default `dark`).
    pub fn parse(text: &str, file: &str) -> Result<Self, ThemeError> {
        Self::parse_with(text, file, Some("dark"))
    }

    /// `default_base`: `None` for a bundled file, which must set every key
    /// itself and may not name a base.
    fn parse_with(text: &str, file: &str, default_base: Option<&str>) -> Result<Self, ThemeError> {
        let at = |offset: usize, message: String| {
            let (line, col) = line_col(text, offset);
            ThemeError::Invalid {
                file: file.to_string(),
                line,
                col,
                message,
            }
        };
        let doc = DeTable::parse(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            at(
                offset,
                format!("TOML syntax error: {}", one_line(e.message())),
            )
        })?;
        let doc = doc.get_ref();
        let mut theme = match doc.iter().find(|(k, _)| k.get_ref() == "base") {
            Some((_, v)) => {
                let Some(base) = v.get_ref().as_str() else {
                    return Err(at(v.span().start, "`base` must be a theme name".into()));
                };
                if default_base.is_none() || !BUNDLED.iter().any(|(n, _)| *n == base) {
                    return Err(at(
                        v.span().start,
                        format!(
                            "`base` must name a bundled theme (dark, light, high-contrast), not `{base}`"
                        ),
                    ));
                }
                Self::bundled(base)?
            }
            None => match default_base {
                Some(base) => Self::bundled(base)?,
                None => Self::plain(file),
            },
        };
        theme.name = file.to_string();
        for (k, v) in doc.iter() {
            let key: &str = k.get_ref();
            match key {
                "base" => {}
                "name" => match v.get_ref().as_str() {
                    Some(n) => theme.name = n.to_string(),
                    None => return Err(at(v.span().start, "`name` must be a string".into())),
                },
                _ => {
                    let style = style_of(v).map_err(|(offset, m)| at(offset, m))?;
                    match theme.slot(key) {
                        Some(slot) => *slot = style,
                        None => {
                            return Err(at(
                                k.span().start,
                                format!(
                                    "unknown theme key `{key}` (known: name, base, {})",
                                    KEYS.join(", ")
                                ),
                            ));
                        }
                    }
                }
            }
        }
        Ok(theme)
    }

    /// The same theme without colours (`NO_COLOR`).
    pub fn without_color(mut self) -> Self {
        self.map_styles(|s| {
            let mut out = Style::new();
            out.add_modifier = s.add_modifier;
            out.sub_modifier = s.sub_modifier;
            out
        });
        self.highlight = self.highlight.add_modifier(Modifier::REVERSED);
        self.border_focus = self.border_focus.add_modifier(Modifier::BOLD);
        self.changed = self.changed.add_modifier(Modifier::BOLD);
        self.banner = self.banner.add_modifier(Modifier::REVERSED);
        self.danger = self.danger.add_modifier(Modifier::BOLD);
        self.title = self.title.add_modifier(Modifier::BOLD);
        self.no_color = true;
        self
    }

    /// `--theme` (or the default) honouring `NO_COLOR` from the
    /// environment.
    pub fn from_args(spec: Option<&str>) -> Result<Self, ThemeError> {
        let theme = match spec {
            Some(s) => Self::load(s)?,
            None => Self::dark(),
        };
        Ok(if no_color_requested() {
            theme.without_color()
        } else {
            theme
        })
    }

    /// The style of a path kind.
    pub fn path(&self, kind: cutover_core::model::path::PathKind) -> Style {
        use cutover_core::model::path::PathKind;
        match kind {
            PathKind::ExpressRoute => self.path_er,
            PathKind::Vpn => self.path_vpn,
            PathKind::Unknown => self.path_unknown,
        }
    }
}

impl Default for Theme {
    fn default() -> Self {
        Self::dark()
    }
}

/// `NO_COLOR` is set to something other than the empty string.
pub fn no_color_requested() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

type Located = (usize, String);

fn color_of(v: &Spanned<DeValue<'_>>) -> Result<Color, Located> {
    let at = v.span().start;
    match v.get_ref() {
        DeValue::String(s) => Color::from_str(s).map_err(|_| {
            (
                at,
                format!(
                    "`{s}` is not a colour (a name such as `green` or `light-blue`, `#rrggbb`, a 0-255 palette index, or `reset`)"
                ),
            )
        }),
        DeValue::Integer(i) => i
            .as_str()
            .parse::<u8>()
            .map(Color::Indexed)
            .map_err(|_| (at, format!("`{}` is not a palette index (0-255)", i.as_str()))),
        other => Err((
            at,
            format!("a colour must be a string, not {}", other.type_str()),
        )),
    }
}

fn style_of(v: &Spanned<DeValue<'_>>) -> Result<Style, Located> {
    match v.get_ref() {
        DeValue::String(_) | DeValue::Integer(_) => Ok(Style::new().fg(color_of(v)?)),
        DeValue::Table(t) => {
            let mut style = Style::new();
            for (k, fv) in t.iter() {
                let key: &str = k.get_ref();
                let flag = |m: Modifier, style: Style| match fv.get_ref().as_bool() {
                    Some(true) => Ok(style.add_modifier(m)),
                    Some(false) => Ok(style.remove_modifier(m)),
                    None => Err((fv.span().start, format!("`{key}` must be true or false"))),
                };
                style = match key {
                    "fg" => style.fg(color_of(fv)?),
                    "bg" => style.bg(color_of(fv)?),
                    "bold" => flag(Modifier::BOLD, style)?,
                    "dim" => flag(Modifier::DIM, style)?,
                    "italic" => flag(Modifier::ITALIC, style)?,
                    "underline" => flag(Modifier::UNDERLINED, style)?,
                    "reverse" => flag(Modifier::REVERSED, style)?,
                    _ => {
                        return Err((
                            k.span().start,
                            format!(
                                "unknown style key `{key}` (known: fg, bg, bold, dim, italic, underline, reverse)"
                            ),
                        ));
                    }
                };
            }
            Ok(style)
        }
        other => Err((
            v.span().start,
            format!(
                "a style must be a colour or a table {{ fg, bg, bold, ... }}, not {}",
                other.type_str()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_themes_load_and_set_every_key() {
        for (name, text) in BUNDLED {
            let t = Theme::bundled(name).expect(name);
            assert!(!t.no_color);
            for key in KEYS {
                assert!(
                    text.lines()
                        .any(|l| l.trim_start().starts_with(&format!("{key} "))),
                    "{name} does not set {key}"
                );
            }
        }
    }

    #[test]
    fn dark_colours_paths_apart() {
        let t = Theme::dark();
        assert_ne!(t.path_er, t.path_vpn);
        assert_ne!(t.path_er.fg, None);
    }

    #[test]
    fn unknown_key_names_file_line_col() {
        let err =
            Theme::parse("ok = \"green\"\n  okk = \"red\"\n", "my.toml").expect_err("unknown key");
        assert_eq!(
            err.to_string().split(": ").next(),
            Some("my.toml:2:3"),
            "{err}"
        );
        assert!(err.to_string().contains("unknown theme key `okk`"), "{err}");
    }

    #[test]
    fn bad_colour_names_the_value() {
        let err = Theme::parse("ok = \"greenish\"\n", "t.toml").expect_err("bad colour");
        assert!(
            err.to_string()
                .starts_with("t.toml:1:6: `greenish` is not a colour"),
            "{err}"
        );
        let err = Theme::parse("ok = { fg = \"red\", blink = true }\n", "t.toml")
            .expect_err("bad style key");
        assert!(
            err.to_string()
                .starts_with("t.toml:1:20: unknown style key `blink`"),
            "{err}"
        );
        let err = Theme::parse("ok = 300\n", "t.toml").expect_err("bad index");
        assert!(err.to_string().starts_with("t.toml:1:6:"), "{err}");
    }

    #[test]
    fn syntax_error_names_line() {
        let err = Theme::parse("ok = \"green\"\nwarn = \n", "t.toml").expect_err("syntax");
        let ThemeError::Invalid { line, message, .. } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(*line, 2, "{err}");
        assert!(message.starts_with("TOML syntax error"), "{err}");
    }

    #[test]
    fn base_then_overrides() {
        let t = Theme::parse(
            "base = \"light\"\nname = \"mine\"\nok = { fg = \"#00ff00\", bold = true }\n",
            "mine.toml",
        )
        .expect("theme");
        let light = Theme::bundled("light").expect("light");
        assert_eq!(t.name, "mine");
        assert_eq!(
            t.ok,
            Style::new()
                .fg(Color::Rgb(0, 255, 0))
                .add_modifier(Modifier::BOLD)
        );
        assert_eq!(t.danger, light.danger);
        let err = Theme::parse("base = \"solarized\"\n", "x.toml").expect_err("bad base");
        assert!(err.to_string().starts_with("x.toml:1:8:"), "{err}");
    }

    #[test]
    fn no_color_keeps_modifiers_only() {
        let t = Theme::bundled("high-contrast")
            .expect("theme")
            .without_color();
        for key in KEYS {
            let mut probe = t.clone();
            let s = *probe.slot(key).expect("key");
            assert_eq!((s.fg, s.bg), (None, None), "{key}");
        }
        assert!(t.highlight.add_modifier.contains(Modifier::REVERSED));
        assert!(t.no_color);
    }

    #[test]
    fn load_by_name_or_path() {
        assert!(matches!(
            Theme::load("solarized"),
            Err(ThemeError::Unknown(_))
        ));
        assert_eq!(Theme::load("light").expect("light").name, "light");
        let dir = tempfile::tempdir().expect("dir");
        let p = dir.path().join("t.toml");
        std::fs::write(&p, "path_er = \"magenta\"\n").expect("write");
        let t = Theme::load(&p.display().to_string()).expect("file theme");
        assert_eq!(t.path_er.fg, Some(Color::Magenta));
        let missing = dir.path().join("missing.toml");
        assert!(matches!(
            Theme::load(&missing.display().to_string()),
            Err(ThemeError::Read { .. })
        ));
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("é = 1", 3), (1, 3));
        assert_eq!(line_col("", 10), (1, 1));
    }
}
