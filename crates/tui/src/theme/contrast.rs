//! Contrast of a theme's styles, per WCAG 2.x: relative luminance from
//! sRGB and the ratio `(L1 + 0.05) / (L2 + 0.05)`. AA asks 4.5:1 for
//! text and 3:1 for non-text marks such as borders.
//!
//! Palette colours (names and 0-255 indexes) are mapped to xterm's
//! default palette; what a given terminal really draws for them is up to
//! its settings, which is why the bundled themes use RGB only. `reset`
//! has no colour at all, so its contrast is unknown (`None`).

use ratatui::style::{Color, Style};

use super::Theme;

/// Text against its background (WCAG 2.x AA, normal text).
pub const AA_TEXT: f64 = 4.5;
/// Borders and other non-text marks (WCAG 2.1 1.4.11).
pub const AA_NON_TEXT: f64 = 3.0;

/// xterm's default RGB for the 16 ANSI colours.
const XTERM_16: [(u8, u8, u8); 16] = [
    (0x00, 0x00, 0x00),
    (0xcd, 0x00, 0x00),
    (0x00, 0xcd, 0x00),
    (0xcd, 0xcd, 0x00),
    (0x00, 0x00, 0xee),
    (0xcd, 0x00, 0xcd),
    (0x00, 0xcd, 0xcd),
    (0xe5, 0xe5, 0xe5),
    (0x7f, 0x7f, 0x7f),
    (0xff, 0x00, 0x00),
    (0x00, 0xff, 0x00),
    (0xff, 0xff, 0x00),
    (0x5c, 0x5c, 0xff),
    (0xff, 0x00, 0xff),
    (0x00, 0xff, 0xff),
    (0xff, 0xff, 0xff),
];

/// The RGB a colour stands for (xterm defaults for palette colours);
/// `None` for `reset`, which is whatever the terminal uses.
pub fn rgb(c: Color) -> Option<(u8, u8, u8)> {
    let index = match c {
        Color::Reset => return None,
        Color::Rgb(r, g, b) => return Some((r, g, b)),
        Color::Indexed(i) => i,
        Color::Black => 0,
        Color::Red => 1,
        Color::Green => 2,
        Color::Yellow => 3,
        Color::Blue => 4,
        Color::Magenta => 5,
        Color::Cyan => 6,
        Color::Gray => 7,
        Color::DarkGray => 8,
        Color::LightRed => 9,
        Color::LightGreen => 10,
        Color::LightYellow => 11,
        Color::LightBlue => 12,
        Color::LightMagenta => 13,
        Color::LightCyan => 14,
        Color::White => 15,
    };
    Some(match index {
        0..=15 => XTERM_16
            .get(usize::from(index))
            .copied()
            .unwrap_or((0, 0, 0)),
        16..=231 => {
            let i = index - 16;
            let level = |v: u8| if v == 0 { 0 } else { 55 + 40 * v };
            (level(i / 36), level((i / 6) % 6), level(i % 6))
        }
        _ => {
            let v = 8 + 10 * (index - 232);
            (v, v, v)
        }
    })
}

/// WCAG 2.x relative luminance of an sRGB colour.
pub fn luminance((r, g, b): (u8, u8, u8)) -> f64 {
    let lin = |v: u8| {
        let c = f64::from(v) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
}

/// The contrast ratio of two colours (1 to 21), when both are known.
pub fn ratio(a: Color, b: Color) -> Option<f64> {
    let (la, lb) = (luminance(rgb(a)?), luminance(rgb(b)?));
    let (hi, lo) = if la >= lb { (la, lb) } else { (lb, la) };
    Some((hi + 0.05) / (lo + 0.05))
}

/// One pair a theme draws: a style's text on a background.
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    /// `fg_key on bg_key`, e.g. `muted on highlight`.
    pub what: String,
    /// The ratio, `None` when a colour is missing or `reset`.
    pub ratio: Option<f64>,
    /// What it must reach.
    pub needed: f64,
}

impl Pair {
    pub fn passes(&self) -> bool {
        self.ratio.is_some_and(|r| r >= self.needed)
    }
}

/// The foreground styles that are drawn over whatever surface they land
/// on (a pane, a popup, the selected row), so each is checked on all.
const SURFACES: [&str; 3] = ["background", "popup", "highlight"];

/// Every (text, background) pair the console draws with `theme`: a style
/// with its own background is checked against it; a style with only a
/// foreground against each surface (pane, popup, selected row), whose own
/// foreground must pass there too. Borders need 3:1, text 4.5:1.
pub fn pairs(theme: &Theme) -> Vec<Pair> {
    let styles = theme.named_styles();
    let get = |k: &str| styles.iter().find(|(n, _)| *n == k).map(|(_, s)| *s);
    let base_bg = get("background").and_then(|s| s.bg);
    let surface_bg = |k: &str| get(k).and_then(|s| s.bg).or(base_bg);
    let mut out = Vec::new();
    for (key, style) in &styles {
        let needed = if key.starts_with("border") {
            AA_NON_TEXT
        } else {
            AA_TEXT
        };
        let Some(fg) = style.fg else {
            continue;
        };
        let pair = |on: &str, bg: Option<Color>| Pair {
            what: format!("{key} on {on}"),
            ratio: bg.and_then(|bg| ratio(fg, bg)),
            needed,
        };
        match style.bg {
            Some(bg) => out.push(pair(key, Some(bg))),
            None => {
                // Borders frame panes and popups, never a selected row.
                let on = if needed == AA_NON_TEXT {
                    &SURFACES[..2]
                } else {
                    &SURFACES[..]
                };
                for s in on {
                    out.push(pair(s, surface_bg(s)));
                }
            }
        }
    }
    out
}

impl Theme {
    /// Every style with its key, for checks that walk the whole theme.
    pub fn named_styles(&self) -> Vec<(&'static str, Style)> {
        let mut probe = self.clone();
        super::KEYS
            .iter()
            .filter_map(|k| probe.slot(k).map(|s| (*k, *s)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luminance_and_ratio_match_wcag() {
        assert!((luminance((255, 255, 255)) - 1.0).abs() < 1e-9);
        assert!(luminance((0, 0, 0)).abs() < 1e-9);
        let bw = ratio(Color::Rgb(0, 0, 0), Color::Rgb(255, 255, 255)).expect("ratio");
        assert!((bw - 21.0).abs() < 1e-9);
        // #767676 on white is the classic 4.54:1 threshold grey.
        let grey = ratio(Color::Rgb(0x76, 0x76, 0x76), Color::Rgb(255, 255, 255)).expect("ratio");
        assert!((grey - 4.54).abs() < 0.01, "{grey}");
        assert_eq!(ratio(Color::Reset, Color::White), None);
    }

    #[test]
    fn palette_maps_to_xterm_defaults() {
        assert_eq!(rgb(Color::Gray), Some((0xe5, 0xe5, 0xe5)));
        assert_eq!(rgb(Color::Indexed(7)), rgb(Color::Gray));
        assert_eq!(rgb(Color::Indexed(16)), Some((0, 0, 0)));
        assert_eq!(rgb(Color::Indexed(231)), Some((255, 255, 255)));
        assert_eq!(rgb(Color::Indexed(244)), Some((128, 128, 128)));
        // The old light theme's muted text: ANSI 7 on white.
        let r = ratio(Color::Gray, Color::Rgb(255, 255, 255)).expect("ratio");
        assert!(r < AA_TEXT, "{r}");
    }
}
