//! The on-premises test server: Linux `traceroute` and `ping` (iputils)
//! as they print, over the lab's data plane.

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use super::CommandOutput;
use crate::dataplane::{PingReply, TraceResult};
use crate::world::World;

/// Options of `traceroute` that change the lab's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceOpts {
    pub numeric: bool,
    pub max_hops: u8,
    pub probes: u8,
}

/// The text of a Linux traceroute.
pub fn traceroute_text(t: &TraceResult, numeric: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "traceroute to {} ({}), {} hops max, 60 byte packets",
        t.target, t.target, t.max_hops
    );
    for h in &t.hops {
        let _ = write!(out, "{:>2} ", h.ttl);
        let mut last: Option<Ipv4Addr> = None;
        for p in &h.probes {
            match p.addr {
                None => out.push_str(" *"),
                Some(a) => {
                    if last != Some(a) {
                        if numeric {
                            let _ = write!(out, " {a}");
                        } else {
                            // The lab has no reverse DNS: traceroute shows
                            // the address as the name.
                            let _ = write!(out, " {a} ({a})");
                        }
                        last = Some(a);
                    }
                    let _ = write!(out, "  {:.3} ms", p.rtt_ms);
                    if let Some(n) = p.annotation {
                        let _ = write!(out, " {n}");
                    }
                }
            }
        }
        out.push('\n');
    }
    out
}

fn bad_host(cmd: &str, host: &str) -> CommandOutput {
    let stderr = match cmd {
        "ping" => format!("ping: {host}: Name or service not known\n"),
        _ => format!(
            "{host}: Name or service not known\nCannot handle \"host\" cmdline arg `{host}' on position 1 (argc 1)\n"
        ),
    };
    CommandOutput {
        stdout: String::new(),
        stderr,
        exit: 2,
        close: false,
    }
}

fn parse_num<T: std::str::FromStr>(v: Option<&str>) -> Option<T> {
    v.and_then(|s| s.parse().ok())
}

/// `traceroute [-n] [-I|-T|-U] [-m N] [-q N] [-w N] HOST`.
pub fn traceroute(world: &World, args: &[&str]) -> CommandOutput {
    let mut opts = TraceOpts {
        numeric: false,
        max_hops: 30,
        probes: 3,
    };
    let mut host: Option<&str> = None;
    let mut i = 0;
    while i < args.len() {
        let a = args[i];
        match a {
            "-n" => opts.numeric = true,
            "-I" | "-T" | "-U" | "-4" | "--icmp" | "--tcp" | "--udp" => {}
            "-m" | "-q" | "-w" | "-N" | "-z" => {
                let v = args.get(i + 1).copied();
                let ok = match a {
                    "-m" => parse_num::<u8>(v)
                        .filter(|m| (1..=255).contains(m))
                        .map(|m| opts.max_hops = m),
                    "-q" => parse_num::<u8>(v)
                        .filter(|q| (1..=10).contains(q))
                        .map(|q| opts.probes = q),
                    _ => parse_num::<f64>(v).map(|_| ()),
                };
                if ok.is_none() {
                    return CommandOutput {
                        stdout: String::new(),
                        stderr: format!(
                            "Cannot handle `{a}' option with arg `{}' (argc {})\n",
                            v.unwrap_or(""),
                            i + 1
                        ),
                        exit: 2,
                        close: false,
                    };
                }
                i += 1;
            }
            _ if a.starts_with('-') => {
                return CommandOutput {
                    stdout: String::new(),
                    stderr: format!("Bad option `{a}' (argc {})\n", i + 1),
                    exit: 2,
                    close: false,
                };
            }
            _ if host.is_none() => host = Some(a),
            // A second operand is the packet length, which the lab ignores.
            _ => {}
        }
        i += 1;
    }
    let Some(host) = host else {
        return CommandOutput {
            stdout: String::new(),
            stderr: "Specify \"host\" missing argument.\n".to_string(),
            exit: 2,
            close: false,
        };
    };
    let Ok(target) = host.parse::<Ipv4Addr>() else {
        return bad_host("traceroute", host);
    };
    let t = world.trace(target, opts.max_hops, opts.probes);
    CommandOutput {
        stdout: traceroute_text(&t, opts.numeric),
        stderr: String::new(),
        exit: 0,
        close: false,
    }
}

/// iputils' `time=` precision: three significant digits.
fn ms(v: f64) -> String {
    if v < 1.0 {
        format!("{v:.3}")
    } else if v < 10.0 {
        format!("{v:.2}")
    } else if v < 100.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.0}")
    }
}

/// `%g` of a loss percentage.
fn percent(lost: u32, sent: u32) -> String {
    if sent == 0 {
        return "0".to_string();
    }
    let v = f64::from(lost) * 100.0 / f64::from(sent);
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// `ping [-c N] [-n] [-q] [-W N] [-w N] [-i N] HOST`. Without `-c` ping
/// runs until interrupted: the lab shows five replies and the `^C`.
pub fn ping(world: &World, args: &[&str]) -> CommandOutput {
    let mut count: Option<u32> = None;
    let mut quiet = false;
    let mut host: Option<&str> = None;
    let mut i = 0;
    while i < args.len() {
        let a = args[i];
        match a {
            "-n" | "-4" => {}
            "-q" => quiet = true,
            "-c" | "-W" | "-w" | "-i" | "-s" | "-t" => {
                let v = args.get(i + 1).copied();
                let ok = match a {
                    "-c" => parse_num::<u32>(v)
                        .filter(|c| (1..=10_000).contains(c))
                        .map(|c| count = Some(c)),
                    _ => parse_num::<f64>(v).map(|_| ()),
                };
                if ok.is_none() {
                    return CommandOutput {
                        stdout: String::new(),
                        stderr: format!("ping: invalid argument: '{}'\n", v.unwrap_or("")),
                        exit: 1,
                        close: false,
                    };
                }
                i += 1;
            }
            _ if a.starts_with('-') => {
                return CommandOutput {
                    stdout: String::new(),
                    stderr: format!("ping: invalid option -- '{}'\n", a.trim_start_matches('-')),
                    exit: 2,
                    close: false,
                };
            }
            _ => host = Some(a),
        }
        i += 1;
    }
    let Some(host) = host else {
        return CommandOutput {
            stdout: String::new(),
            stderr: "ping: usage error: Destination address required\n".to_string(),
            exit: 1,
            close: false,
        };
    };
    let Ok(target) = host.parse::<Ipv4Addr>() else {
        return bad_host("ping", host);
    };
    let interrupted = count.is_none();
    let n = count.unwrap_or(5);
    let replies = world.ping(target, n);
    let mut out = String::new();
    let _ = writeln!(out, "PING {target} ({target}) 56(84) bytes of data.");
    let mut rtts: Vec<f64> = Vec::new();
    let mut errors = 0u32;
    for (seq, r) in replies.iter().enumerate() {
        let seq = seq + 1;
        match *r {
            PingReply::Echo { rtt_ms, ttl } => {
                rtts.push(rtt_ms);
                if !quiet {
                    let _ = writeln!(
                        out,
                        "64 bytes from {target}: icmp_seq={seq} ttl={ttl} time={} ms",
                        ms(rtt_ms)
                    );
                }
            }
            PingReply::NetUnreachable { from } => {
                errors += 1;
                if !quiet {
                    let _ = writeln!(
                        out,
                        "From {from} icmp_seq={seq} Destination Net Unreachable"
                    );
                }
            }
            PingReply::Lost => {}
        }
    }
    if interrupted {
        out.push_str("^C\n");
    } else {
        out.push('\n');
    }
    let received = u32::try_from(rtts.len()).unwrap_or(u32::MAX);
    let _ = writeln!(out, "--- {target} ping statistics ---");
    let err_part = if errors > 0 {
        format!("+{errors} errors, ")
    } else {
        String::new()
    };
    let elapsed_ms = u64::from(n.saturating_sub(1)) * 1000 + 4 + u64::from(n % 7);
    let _ = writeln!(
        out,
        "{n} packets transmitted, {received} received, {err_part}{}% packet loss, time {elapsed_ms}ms",
        percent(n - received.min(n), n)
    );
    if !rtts.is_empty() {
        let min = rtts.iter().copied().fold(f64::INFINITY, f64::min);
        let max = rtts.iter().copied().fold(0.0, f64::max);
        let avg = rtts.iter().sum::<f64>() / rtts.len() as f64;
        let var = rtts.iter().map(|r| (r - avg) * (r - avg)).sum::<f64>() / rtts.len() as f64;
        let _ = writeln!(
            out,
            "rtt min/avg/max/mdev = {min:.3}/{avg:.3}/{max:.3}/{:.3} ms",
            var.sqrt()
        );
    }
    CommandOutput {
        stdout: out,
        stderr: String::new(),
        exit: if received > 0 { 0 } else { 1 },
        close: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loss_percentages_print_like_printf_g() {
        assert_eq!(percent(0, 4), "0");
        assert_eq!(percent(4, 4), "100");
        assert_eq!(percent(1, 3), "33.3333");
        assert_eq!(percent(1, 4), "25");
        assert_eq!(ms(0.5123), "0.512");
        assert_eq!(ms(6.118), "6.12");
        assert_eq!(ms(11.24), "11.2");
    }
}
