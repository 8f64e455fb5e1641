//! Turning a scenario file into a `Scenario`: deserializing it, then
//! checking every name, address and value against the lab's topology, with
//! errors that point at the offending `file:line:col`.

use std::net::Ipv4Addr;
use std::ops::Range;
use std::time::Duration;

use toml::Spanned;

use super::fault::{ArmAction, ArmResource, ArmRule, Nth, check_status, parse_faults};
use super::raw::{RawScenario, RawSessionState};
use super::{ArmFault, ExportChange, Scenario, ScenarioError, StaticRoute, Timing};
use crate::topology::{Node, OriginKind, Topology};
use cutover_core::model::Prefix;

/// 1-based line and column (in characters) of byte offset `pos`.
pub(super) fn line_col(text: &str, pos: usize) -> (usize, usize) {
    let mut pos = pos.min(text.len());
    while !text.is_char_boundary(pos) {
        pos -= 1;
    }
    let before = &text[..pos];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

struct Ctx<'a> {
    file: &'a str,
    text: &'a str,
}

impl Ctx<'_> {
    fn err(&self, span: Range<usize>, message: impl Into<String>) -> ScenarioError {
        let (line, col) = line_col(self.text, span.start);
        ScenarioError {
            file: self.file.to_string(),
            line,
            col,
            message: message.into(),
        }
    }

    /// A prefix where the file wrote it, so that an error points at the
    /// element rather than at its array.
    fn prefix(&self, s: &Spanned<String>) -> Result<Prefix, ScenarioError> {
        s.get_ref()
            .parse::<Prefix>()
            .map_err(|e| self.err(s.span(), e.to_string()))
    }

    fn node(&self, s: &Spanned<String>) -> Result<Node, ScenarioError> {
        s.get_ref()
            .parse::<Node>()
            .map_err(|e| self.err(s.span(), e.to_string()))
    }

    fn session(
        &self,
        topo: &Topology,
        router: &Spanned<String>,
        neighbor: &Spanned<String>,
    ) -> Result<(usize, usize), ScenarioError> {
        let node = self.node(router)?;
        let addr: Ipv4Addr = neighbor.get_ref().parse().map_err(|_| {
            self.err(
                neighbor.span(),
                format!("`{}` is not an IPv4 address", neighbor.get_ref()),
            )
        })?;
        let sid = topo.session_by_neighbor(node, addr).ok_or_else(|| {
            let known: Vec<String> = topo
                .sessions_of(node)
                .filter_map(|(_, s)| s.ends_of(node))
                .map(|(_, p)| p.addr.to_string())
                .collect();
            self.err(
                neighbor.span(),
                format!(
                    "{node} has no BGP neighbor {addr} (its neighbors: {})",
                    known.join(", ")
                ),
            )
        })?;
        let end = usize::from(topo.sessions[sid].ends[0].node != node);
        Ok((sid, end))
    }
}

/// Parses and checks a scenario file against the lab's topology.
pub fn parse(file: &str, text: &str, topo: &Topology) -> Result<Scenario, ScenarioError> {
    let cx = Ctx { file, text };
    let raw: RawScenario = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        cx.err(span, e.message().trim_end().to_string())
    })?;

    let name = raw.name.get_ref().trim().to_string();
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(cx.err(
            raw.name.span(),
            "a scenario name is lower-case letters, digits and `-`",
        ));
    }
    let description = raw.description.get_ref().trim().to_string();
    if description.is_empty() || description.contains('\n') {
        return Err(cx.err(
            raw.description.span(),
            "the description is one non-empty line",
        ));
    }

    let mut timing = Timing::default();
    if let Some(b) = raw.timing.bfd {
        timing.bfd = b;
    }
    let positive = |v: &Spanned<u64>, what: &str| -> Result<u64, ScenarioError> {
        if *v.get_ref() == 0 {
            Err(cx.err(v.span(), format!("{what} must be greater than 0")))
        } else {
            Ok(*v.get_ref())
        }
    };
    if let Some(v) = &raw.timing.bfd_interval_ms {
        timing.bfd_interval = Duration::from_millis(positive(v, "bfd_interval_ms")?);
    }
    if let Some(v) = &raw.timing.bfd_multiplier {
        if !(1..=255).contains(v.get_ref()) {
            return Err(cx.err(v.span(), "bfd_multiplier must be 1 to 255"));
        }
        timing.bfd_multiplier = *v.get_ref();
    }
    if let Some(v) = &raw.timing.hold_time_s {
        // RFC 4271: zero (no keepalives) or at least three seconds.
        if *v.get_ref() < 3 || *v.get_ref() > 65_535 {
            return Err(cx.err(v.span(), "hold_time_s must be 3 to 65535"));
        }
        timing.hold_time = Duration::from_secs(*v.get_ref());
    }
    if let Some(v) = &raw.timing.establish_ms {
        timing.establish = Duration::from_millis(positive(v, "establish_ms")?);
    }
    if let Some(v) = &raw.timing.convergence_ms {
        if *v.get_ref() > 600_000 {
            return Err(cx.err(v.span(), "convergence_ms must be 0 to 600000"));
        }
        timing.convergence = Duration::from_millis(*v.get_ref());
        // A scenario that sets the convergence means that one value.
        timing.convergence_max = timing.convergence;
    }
    if let Some(v) = &raw.timing.convergence_max_ms {
        if *v.get_ref() > 600_000 || Duration::from_millis(*v.get_ref()) < timing.convergence {
            return Err(cx.err(
                v.span(),
                format!(
                    "convergence_max_ms must be convergence_ms ({}) to 600000",
                    timing.convergence.as_millis()
                ),
            ));
        }
        timing.convergence_max = Duration::from_millis(*v.get_ref());
    }
    if let Some(v) = &raw.timing.provisioning_s {
        timing.provisioning = Duration::from_secs(positive(v, "provisioning_s")?);
    }

    let mut sessions_down = Vec::new();
    for s in &raw.session {
        let RawSessionState::Down = s.state;
        let (sid, _) = cx.session(topo, &s.router, &s.neighbor)?;
        let down_for =
            Duration::from_secs(s.down_for_s.unwrap_or(3 * 86_400 + 5 * 3600 + 17 * 60 + 42));
        if !sessions_down.iter().any(|(x, _)| *x == sid) {
            sessions_down.push((sid, down_for));
        }
    }

    let mut statics = Vec::new();
    for s in &raw.statics {
        let node = cx.node(&s.router)?;
        let r = topo.router(node);
        let Some(i) = r
            .interfaces
            .iter()
            .find(|i| i.name == s.interface.get_ref() && i.instance == r.instance)
        else {
            let known: Vec<&str> = r
                .interfaces
                .iter()
                .filter(|i| i.instance == r.instance)
                .map(|i| i.name)
                .collect();
            return Err(cx.err(
                s.interface.span(),
                format!(
                    "{node} has no interface `{}` in its routing instance (it has: {})",
                    s.interface.get_ref(),
                    known.join(", ")
                ),
            ));
        };
        statics.push(StaticRoute {
            node,
            prefix: cx.prefix(&s.prefix)?,
            interface: i.name,
        });
    }

    let mut exports = Vec::new();
    for e in &raw.export {
        let (sid, end) = cx.session(topo, &e.router, &e.neighbor)?;
        let node = topo.sessions[sid].ends[end].node;
        let r = topo.router(node);
        let own =
            |p: &Prefix| {
                r.interfaces.iter().any(|i| {
                    i.instance.is_some() && i.instance == r.instance && i.subnet() == Some(*p)
                }) || r.originate.iter().any(|o| {
                    o.prefix == *p
                        && matches!(o.kind, OriginKind::Static { .. } | OriginKind::Network)
                }) || statics.iter().any(|s| s.node == node && s.prefix == *p)
            };
        let mut advertise = Vec::new();
        for a in &e.advertise {
            let p = cx.prefix(a)?;
            if !own(&p) {
                return Err(cx.err(
                    a.span(),
                    format!("{node} can only advertise a route of its own; add a [[static]] for {p} first"),
                ));
            }
            advertise.push(p);
        }
        let deny = e
            .deny
            .iter()
            .map(|p| cx.prefix(p))
            .collect::<Result<Vec<_>, _>>()?;
        exports.push(ExportChange {
            session: sid,
            end,
            local_pref: e.local_preference.map(|l| l.0),
            deny,
            advertise,
        });
    }

    let mut tunnels_down = Vec::new();
    for t in &raw.tunnel {
        let RawSessionState::Down = t.state;
        let i = *t.index.get_ref();
        if i >= topo.tunnels.len() {
            return Err(cx.err(
                t.index.span(),
                format!(
                    "tunnel index {i} does not exist (the lab has {} tunnels, from 0)",
                    topo.tunnels.len()
                ),
            ));
        }
        if !tunnels_down.contains(&i) {
            tunnels_down.push(i);
        }
    }

    let err = |span: Range<usize>, message: String| cx.err(span, message);
    let mut peering_put_errors = Vec::new();
    for f in &raw.arm.peering_put {
        let code = f.code.get_ref().trim();
        check_status(
            *f.status.get_ref(),
            f.status.span(),
            Some((code, f.code.span())),
            &err,
        )?;
        peering_put_errors.push(ArmFault {
            status: *f.status.get_ref(),
            code: code.to_string(),
            message: f.message.clone(),
            retry_after_s: f.retry_after_s,
        });
    }
    let mut faults = parse_faults(&raw.arm.fault, &raw.ssh.fault, &err)?;
    // The older form is the first peering PUTs failing in order: rules on
    // the 1st, 2nd, ... PUT, ahead of the file's own rules.
    let translated = peering_put_errors.iter().zip(1u32..).map(|(f, n)| ArmRule {
        method: Some("PUT".to_string()),
        resource: ArmResource::Peering,
        nth: Nth {
            from: n,
            to: Some(n),
        },
        latency: None,
        action: Some(ArmAction::Status(f.clone())),
    });
    faults.arm.splice(0..0, translated);

    let mut drop = Vec::new();
    for c in &raw.data_plane.drop {
        if !drop.contains(c) {
            drop.push(*c);
        }
    }

    let objectives =
        super::objectives::check(raw.objective).map_err(|(span, m)| cx.err(span, m))?;
    Ok(Scenario {
        objectives,
        name,
        description,
        timing,
        sessions_down,
        exports,
        statics,
        tunnels_down,
        peering_put_errors,
        faults,
        drop,
        arm_answers: super::ArmAnswers {
            operations: raw.arm.operations.unwrap_or_default(),
            result_without_status: raw.arm.result_without_status.unwrap_or(false),
            etag_form: raw.arm.etag_form.unwrap_or_default(),
        },
    })
}
