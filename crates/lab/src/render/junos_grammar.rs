//! Junos' operational-mode grammar, as far as the lab speaks it: `show`
//! and its sub-commands, with the completions and refusals a real router
//! gives, so that a typo fails here as it would in production.

use std::net::Ipv4Addr;

use super::route::{Direction, Match, RouteQuery, Style};
use super::{ERR_COMMAND, ERR_PLAIN, Refusal, Tok, keyword, syntax};
use crate::bgp::Protocol;
use cutover_core::model::Prefix;

/// What a parsed Junos command renders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum JunosCmd {
    Route(RouteQuery),
    Neighbor {
        dir: Direction,
        neighbor: Ipv4Addr,
        table: Option<String>,
        dest: Option<Prefix>,
        style: Style,
    },
    BgpSummary {
        instance: Option<String>,
    },
    Bfd,
    Ike,
    Ipsec,
    Config {
        instance: Option<String>,
    },
    Version,
    Quit,
}

/// Junos' `show` vocabulary (a common subset), so that abbreviations are
/// as ambiguous as on a real router: `sh r` is, `sh ro` is not.
const SHOW_WORDS: &[&str] = &[
    "accounting",
    "arp",
    "bfd",
    "bgp",
    "bridge",
    "chassis",
    "class-of-service",
    "cli",
    "configuration",
    "connections",
    "dhcp",
    "dynamic-tunnels",
    "ethernet-switching",
    "firewall",
    "helper",
    "host",
    "igmp",
    "interfaces",
    "ipv6",
    "isis",
    "l2circuit",
    "lacp",
    "ldp",
    "license",
    "lldp",
    "log",
    "mpls",
    "msdp",
    "multicast",
    "network-access",
    "ntp",
    "oam",
    "ospf",
    "ospf3",
    "pfe",
    "pim",
    "policer",
    "ppp",
    "rip",
    "ripng",
    "route",
    "rsvp",
    "security",
    "services",
    "snmp",
    "system",
    "task",
    "ted",
    "version",
    "vrrp",
];

fn end_col(line_end: usize) -> usize {
    line_end + 1
}

pub(super) fn parse_junos(
    toks: &[Tok<'_>],
    line_end: usize,
    srx: bool,
) -> Result<JunosCmd, Refusal> {
    let Some(first) = toks.first() else {
        return Err(syntax(0, ERR_COMMAND));
    };
    let top = keyword(
        first,
        &[
            "show",
            "quit",
            "exit",
            "ping",
            "traceroute",
            "configure",
            "request",
            "clear",
            "monitor",
            "file",
            "help",
            "set",
            "start",
            "test",
            "restart",
            "op",
            "save",
            "ssh",
            "telnet",
        ],
        ERR_COMMAND,
    )?;
    match top {
        "quit" | "exit" => return Ok(JunosCmd::Quit),
        "show" => {}
        other => return Err(Refusal::NotSimulated(other.to_string())),
    }
    let Some(what) = toks.get(1) else {
        return Err(syntax(end_col(line_end), ERR_COMMAND));
    };
    let sub = keyword(what, SHOW_WORDS, ERR_COMMAND)?;
    let rest = &toks[2..];
    match sub {
        "route" => parse_route(rest, line_end),
        "bgp" => {
            let Some(t) = rest.first() else {
                return Err(syntax(end_col(line_end), ERR_COMMAND));
            };
            match keyword(
                t,
                &["summary", "neighbor", "group", "replication"],
                ERR_COMMAND,
            )? {
                "summary" => {
                    let mut instance = None;
                    let mut i = 1;
                    while i < rest.len() {
                        match keyword(
                            &rest[i],
                            &["instance", "logical-system", "group"],
                            ERR_PLAIN,
                        )? {
                            "instance" => {
                                let Some(name) = rest.get(i + 1) else {
                                    return Err(syntax(
                                        end_col(line_end),
                                        "syntax error, expecting <instance>.",
                                    ));
                                };
                                instance = Some(name.text.to_string());
                                i += 2;
                            }
                            other => {
                                return Err(Refusal::NotSimulated(format!(
                                    "show bgp summary {other}"
                                )));
                            }
                        }
                    }
                    Ok(JunosCmd::BgpSummary { instance })
                }
                other => Err(Refusal::NotSimulated(format!("show bgp {other}"))),
            }
        }
        "bfd" => {
            let Some(t) = rest.first() else {
                return Err(syntax(end_col(line_end), ERR_COMMAND));
            };
            keyword(t, &["session"], ERR_COMMAND)?;
            if let Some(t) = rest.get(1) {
                let opt = keyword(
                    t,
                    &["brief", "detail", "extensive", "address", "summary"],
                    ERR_PLAIN,
                )?;
                if opt != "brief" || rest.len() > 2 {
                    return Err(Refusal::NotSimulated(format!("show bfd session {opt}")));
                }
            }
            Ok(JunosCmd::Bfd)
        }
        "security" if srx => {
            let Some(t) = rest.first() else {
                return Err(syntax(end_col(line_end), ERR_COMMAND));
            };
            let kind = keyword(
                t,
                &["ike", "ipsec", "policies", "flow", "zones", "nat"],
                ERR_COMMAND,
            )?;
            if kind != "ike" && kind != "ipsec" {
                return Err(Refusal::NotSimulated(format!("show security {kind}")));
            }
            let Some(t) = rest.get(1) else {
                return Err(syntax(end_col(line_end), ERR_COMMAND));
            };
            let opts: &[&'static str] = if kind == "ike" {
                &["security-associations", "active-peer", "statistics", "sa"]
            } else {
                &[
                    "security-associations",
                    "statistics",
                    "inactive-tunnels",
                    "sa",
                ]
            };
            match keyword(t, opts, ERR_COMMAND)? {
                "security-associations" | "sa" => {}
                other => {
                    return Err(Refusal::NotSimulated(format!(
                        "show security {kind} {other}"
                    )));
                }
            }
            if let Some(t) = rest.get(2) {
                let opt = keyword(t, &["brief", "detail", "index", "node"], ERR_PLAIN)?;
                if opt != "brief" {
                    return Err(Refusal::NotSimulated(format!(
                        "show security {kind} security-associations {opt}"
                    )));
                }
            }
            Ok(if kind == "ike" {
                JunosCmd::Ike
            } else {
                JunosCmd::Ipsec
            })
        }
        "security" => Err(syntax(what.col, ERR_COMMAND)),
        "configuration" => {
            let Some(t) = rest.first() else {
                return Err(Refusal::NotSimulated("show configuration".to_string()));
            };
            let part = keyword(
                t,
                &[
                    "routing-instances",
                    "protocols",
                    "interfaces",
                    "system",
                    "policy-options",
                    "security",
                    "routing-options",
                ],
                ERR_PLAIN,
            )?;
            if part != "routing-instances" {
                return Err(Refusal::NotSimulated(format!("show configuration {part}")));
            }
            if rest.len() > 2 {
                return Err(Refusal::NotSimulated(
                    "show configuration routing-instances … (a sub-hierarchy)".to_string(),
                ));
            }
            Ok(JunosCmd::Config {
                instance: rest.get(1).map(|t| t.text.to_string()),
            })
        }
        "version" => Ok(JunosCmd::Version),
        other => Err(Refusal::NotSimulated(format!("show {other}"))),
    }
}

fn addr(t: &Tok<'_>) -> Result<Ipv4Addr, Refusal> {
    t.text
        .parse()
        .map_err(|_| syntax(t.col, "syntax error, expecting <address>."))
}

fn parse_route(toks: &[Tok<'_>], line_end: usize) -> Result<JunosCmd, Refusal> {
    let mut q = RouteQuery::default();
    let mut neighbor: Option<(Direction, Ipv4Addr)> = None;
    let mut i = 0;
    const OPTIONS: &[&str] = &[
        "table",
        "protocol",
        "advertising-protocol",
        "receive-protocol",
        "exact",
        "longer",
        "orlonger",
        "detail",
        "extensive",
        "brief",
        "terse",
        "all",
        "hidden",
        "active-path",
        "instance",
        "next-hop",
        "summary",
        "forwarding-table",
    ];
    while i < toks.len() {
        let t = &toks[i];
        // A destination is not a keyword: try it first.
        if t.text.chars().next().is_some_and(|c| c.is_ascii_digit()) {
            let (p, _) = Prefix::parse_lenient(t.text).map_err(|_| syntax(t.col, ERR_PLAIN))?;
            if !p.is_ipv4() {
                return Err(syntax(t.col, ERR_PLAIN));
            }
            q.dest = Some(p);
            i += 1;
            continue;
        }
        let k = keyword(t, OPTIONS, ERR_PLAIN)?;
        let arg = |j: usize, what: &str| -> Result<Tok<'_>, Refusal> {
            toks.get(j).copied().ok_or_else(|| {
                syntax(
                    end_col(line_end),
                    &format!("syntax error, expecting <{what}>."),
                )
            })
        };
        match k {
            "table" => {
                q.table = Some(arg(i + 1, "table")?.text.to_string());
                i += 2;
            }
            "protocol" => {
                let p = arg(i + 1, "protocol")?;
                let proto = keyword(
                    &p,
                    &[
                        "bgp",
                        "static",
                        "direct",
                        "local",
                        "ospf",
                        "isis",
                        "aggregate",
                    ],
                    ERR_PLAIN,
                )?;
                q.protocol = Some(match proto {
                    "bgp" => Protocol::Bgp,
                    "static" => Protocol::Static,
                    "direct" => Protocol::Direct,
                    "local" => Protocol::Local,
                    // Protocols the lab does not run hold no routes here.
                    _ => Protocol::Network,
                });
                i += 2;
            }
            "advertising-protocol" | "receive-protocol" => {
                let b = arg(i + 1, "protocol")?;
                keyword(&b, &["bgp"], ERR_PLAIN)?;
                let a = addr(&arg(i + 2, "neighbor")?)?;
                let dir = if k == "advertising-protocol" {
                    Direction::Advertising
                } else {
                    Direction::Receive
                };
                neighbor = Some((dir, a));
                i += 3;
            }
            "exact" => {
                q.matching = Match::Exact;
                i += 1;
            }
            "longer" => {
                q.matching = Match::Longer;
                i += 1;
            }
            "orlonger" => {
                q.matching = Match::OrLonger;
                i += 1;
            }
            "detail" => {
                q.style = Style::Detail;
                i += 1;
            }
            "extensive" => {
                q.style = Style::Extensive;
                i += 1;
            }
            // Nothing is hidden in the lab, so `all` adds nothing.
            "brief" | "all" => i += 1,
            other => return Err(Refusal::NotSimulated(format!("show route {other}"))),
        }
    }
    Ok(match neighbor {
        Some((dir, neighbor)) => JunosCmd::Neighbor {
            dir,
            neighbor,
            table: q.table,
            dest: q.dest,
            style: q.style,
        },
        None => JunosCmd::Route(q),
    })
}
