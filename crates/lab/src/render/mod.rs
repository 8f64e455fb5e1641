//! What the lab's devices print: a command line in, the device's exact
//! output out. Junos commands accept unique abbreviations (`sh ro`), pipes
//! (`| no-more`, `| display json`, `| display xml`, `| count`) and answer
//! unknown words with Junos' caret and `syntax error`; the server answers
//! `traceroute` and `ping` as Linux does.

pub mod junos;
mod junos_grammar;
pub mod linux;
pub mod route;
pub mod time;
pub mod tree;

use self::junos_grammar::{JunosCmd, parse_junos};
use self::tree::Elem;
use super::topology::{DeviceId, Platform};
use super::world::World;

/// The user the article's prompts show.
pub const DEFAULT_USER: &str = "user";

/// A command's result as a shell would deliver it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CommandOutput {
    pub stdout: String,
    pub stderr: String,
    /// Exit status for an SSH `exec` request (0: done; Junos reports 1 for
    /// an error; Linux as its tools do).
    pub exit: i32,
    /// The command ends the session (`exit`, `quit`, `logout`).
    pub close: bool,
}

impl CommandOutput {
    fn ok(stdout: String) -> Self {
        CommandOutput {
            stdout,
            ..Default::default()
        }
    }
}

/// The prompt a device shows before each command, with the SRX cluster's
/// `{primary:node0}` banner line.
pub fn prompt(world: &World, device: DeviceId, user: &str) -> String {
    let Some(d) = world.topology().device(device) else {
        return "> ".to_string();
    };
    match d.platform {
        Platform::JunosMx => format!("{user}@{}> ", d.hostname),
        Platform::JunosSrxCluster => format!("\n{{primary:node0}}\n{user}@{}> ", d.hostname),
        Platform::Linux => format!("{user}@{}:~$ ", d.hostname),
    }
}

/// Runs `line` on `device` as the article's `user` would.
pub fn run_command(world: &World, device: DeviceId, line: &str) -> CommandOutput {
    run_command_as(world, device, DEFAULT_USER, line)
}

/// Runs `line` on `device` for `user` (whose name sets where Junos puts its
/// error caret).
pub fn run_command_as(world: &World, device: DeviceId, user: &str, line: &str) -> CommandOutput {
    let Some(d) = world.topology().device(device) else {
        return CommandOutput::default();
    };
    match d.platform {
        Platform::Linux => linux_command(world, line),
        Platform::JunosMx | Platform::JunosSrxCluster => {
            let prompt_width = user.chars().count() + 1 + d.hostname.chars().count() + 2;
            junos_command(world, device, d.platform, prompt_width, line)
        }
    }
}

// --- Linux -----------------------------------------------------------------

fn linux_command(world: &World, line: &str) -> CommandOutput {
    let words: Vec<&str> = line.split_whitespace().collect();
    let Some((&cmd, args)) = words.split_first() else {
        return CommandOutput::default();
    };
    let base = cmd.rsplit('/').next().unwrap_or(cmd);
    match base {
        "traceroute" => linux::traceroute(world, args),
        "ping" => linux::ping(world, args),
        "hostname" => CommandOutput::ok(format!("{}\n", world.topology().server.hostname)),
        "exit" | "logout" => CommandOutput {
            close: true,
            ..Default::default()
        },
        "true" | ":" => CommandOutput::default(),
        _ => CommandOutput {
            stdout: String::new(),
            stderr: format!("bash: {cmd}: command not found\n"),
            exit: 127,
            close: false,
        },
    }
}

// --- Junos -----------------------------------------------------------------

/// A word of the command line and where it starts (in characters).
#[derive(Debug, Clone, Copy)]
struct Tok<'a> {
    text: &'a str,
    col: usize,
}

/// Why a Junos command line was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Refusal {
    /// Caret at `col`, then the message.
    Syntax { col: usize, message: String },
    /// A valid Junos command the lab does not simulate.
    NotSimulated(String),
}

fn syntax(col: usize, message: &str) -> Refusal {
    Refusal::Syntax {
        col,
        message: message.to_string(),
    }
}

fn words(line: &str, offset: usize) -> Vec<Tok<'_>> {
    let mut out = Vec::new();
    let mut start: Option<(usize, usize)> = None;
    for (ci, (bi, c)) in line.char_indices().enumerate() {
        if c.is_whitespace() {
            if let Some((b, col)) = start.take() {
                out.push(Tok {
                    text: &line[b..bi],
                    col,
                });
            }
        } else if start.is_none() {
            start = Some((bi, offset + ci));
        }
    }
    if let Some((b, col)) = start {
        out.push(Tok {
            text: &line[b..],
            col,
        });
    }
    out
}

/// Junos' keyword completion: an exact keyword, or the only one the word
/// starts.
fn keyword(
    t: &Tok<'_>,
    options: &[&'static str],
    expecting: &str,
) -> Result<&'static str, Refusal> {
    if let Some(k) = options.iter().find(|k| **k == t.text) {
        return Ok(k);
    }
    let hits: Vec<&'static str> = options
        .iter()
        .copied()
        .filter(|k| k.starts_with(t.text))
        .collect();
    match hits.as_slice() {
        [one] => Ok(one),
        [] => Err(syntax(t.col, expecting)),
        many => Err(Refusal::Syntax {
            col: t.col,
            message: format!("'{}' is ambiguous.\nPossible completions:\n{}", t.text, {
                let lines: Vec<String> = many.iter().map(|k| format!("  {k}")).collect();
                lines.join("\n")
            }),
        }),
    }
}

const ERR_COMMAND: &str = "syntax error, expecting <command>.";
const ERR_PLAIN: &str = "syntax error.";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Display {
    Text,
    Json,
    Xml,
}

fn refusal_output(r: Refusal, prompt_width: usize) -> CommandOutput {
    match r {
        Refusal::Syntax { col, message } => CommandOutput {
            stdout: format!("{}^\n{message}\n", " ".repeat(prompt_width + col)),
            stderr: String::new(),
            exit: 1,
            close: false,
        },
        Refusal::NotSimulated(what) => CommandOutput {
            stdout: format!(
                "error: `{what}` is a Junos command the cutover lab does not simulate\n"
            ),
            stderr: String::new(),
            exit: 1,
            close: false,
        },
    }
}

fn junos_command(
    world: &World,
    device: DeviceId,
    platform: Platform,
    prompt_width: usize,
    line: &str,
) -> CommandOutput {
    // Split at pipes, keeping each segment's starting column.
    let mut segments: Vec<(usize, &str)> = Vec::new();
    let mut col = 0;
    for seg in line.split('|') {
        segments.push((col, seg));
        col += seg.chars().count() + 1;
    }
    let (_, cmd_text) = segments.first().copied().unwrap_or((0, ""));
    let toks = words(cmd_text, 0);
    if toks.is_empty() {
        return CommandOutput::default();
    }
    let line_end = cmd_text.trim_end().chars().count();
    let cmd = match parse_junos(&toks, line_end, platform == Platform::JunosSrxCluster) {
        Ok(c) => c,
        Err(r) => return refusal_output(r, prompt_width),
    };
    if cmd == JunosCmd::Quit {
        return CommandOutput {
            close: true,
            ..Default::default()
        };
    }
    let mut display = Display::Text;
    let mut count = false;
    for (start, seg) in segments.iter().skip(1) {
        let ptoks = words(seg, *start + 1);
        let Some(first) = ptoks.first() else {
            return refusal_output(syntax(*start + 1, ERR_PLAIN), prompt_width);
        };
        let k = match keyword(
            first,
            &[
                "no-more", "display", "count", "match", "except", "find", "last", "save", "trim",
            ],
            ERR_PLAIN,
        ) {
            Ok(k) => k,
            Err(r) => return refusal_output(r, prompt_width),
        };
        match k {
            "no-more" => {}
            "count" => count = true,
            "display" => {
                let Some(t) = ptoks.get(1) else {
                    return refusal_output(
                        syntax(*start + seg.chars().count() + 1, ERR_PLAIN),
                        prompt_width,
                    );
                };
                match keyword(
                    t,
                    &["json", "xml", "set", "detail", "inheritance"],
                    ERR_PLAIN,
                ) {
                    Ok("json") => display = Display::Json,
                    Ok("xml") => display = Display::Xml,
                    Ok(other) => {
                        return refusal_output(
                            Refusal::NotSimulated(format!("| display {other}")),
                            prompt_width,
                        );
                    }
                    Err(r) => return refusal_output(r, prompt_width),
                }
            }
            other => {
                return refusal_output(Refusal::NotSimulated(format!("| {other}")), prompt_width);
            }
        }
    }
    let text = match display {
        Display::Text => render_text(world, device, &cmd),
        Display::Json | Display::Xml => {
            let Some(tree) = render_tree(world, device, &cmd) else {
                return refusal_output(
                    Refusal::NotSimulated(format!(
                        "{} | display {}",
                        cmd_text.trim(),
                        if display == Display::Json {
                            "json"
                        } else {
                            "xml"
                        }
                    )),
                    prompt_width,
                );
            };
            if display == Display::Json {
                tree::to_json(&tree)
            } else {
                let version = world
                    .topology()
                    .device(device)
                    .map_or("18.4R3", |d| d.version);
                let banner = if platform == Platform::JunosSrxCluster {
                    "{primary:node0}"
                } else {
                    ""
                };
                tree::to_xml(&tree, version, banner)
            }
        }
    };
    if count {
        return CommandOutput::ok(format!("Count: {} lines\n", text.lines().count()));
    }
    CommandOutput::ok(text)
}

fn render_text(world: &World, device: DeviceId, cmd: &JunosCmd) -> String {
    match cmd {
        JunosCmd::Route(q) => route::text(world, device, q),
        JunosCmd::Neighbor {
            dir,
            neighbor,
            table,
            dest,
            style,
        } => route::neighbor_text(
            world,
            device,
            *dir,
            *neighbor,
            table.as_deref(),
            *dest,
            *style,
        ),
        JunosCmd::BgpSummary { instance } => {
            junos::bgp_summary_text(world, device, instance.as_deref())
        }
        JunosCmd::Bfd => junos::bfd_text(world, device),
        JunosCmd::Ike => junos::ike_text(world, device),
        JunosCmd::Ipsec => junos::ipsec_text(world, device),
        JunosCmd::Config { instance } => junos::config_text(world, device, instance.as_deref()),
        JunosCmd::Version => junos::version_text(world, device),
        JunosCmd::Quit => String::new(),
    }
}

fn render_tree(world: &World, device: DeviceId, cmd: &JunosCmd) -> Option<Elem> {
    match cmd {
        JunosCmd::Route(q) => Some(route::tree(world, device, q)),
        JunosCmd::Neighbor {
            dir,
            neighbor,
            table,
            dest,
            ..
        } => Some(route::neighbor_tree(
            world,
            device,
            *dir,
            *neighbor,
            table.as_deref(),
            *dest,
        )),
        JunosCmd::BgpSummary { instance } => {
            Some(junos::bgp_summary_tree(world, device, instance.as_deref()))
        }
        JunosCmd::Bfd => Some(junos::bfd_tree(world, device)),
        _ => None,
    }
}
