//! Fault rules as scenario data: which ARM calls misbehave and how, and
//! how each device's SSH server misbehaves. `parse_faults` checks the raw
//! tables and points every error at its `file:line:col`.
//!
//! ```toml
//! [[arm.fault]]
//! method = "PUT"              # GET PUT POST, or absent: any method
//! resource = "peering"        # circuit peering operation gateway connection any
//! nth = 2                     # 1-based, "2-4", "3-" or "every" (absent: every)
//! status = 429                # then optional code, message, retry_after_s
//! latency_ms = 2000           # may come with any one action below
//! # hang = true | reset = true | malformed = true
//! # operation = "Failed" | "Canceled"      (a PUT: accepted, never applied)
//! # provisioning_state = "Failed"          (the answer's provisioningState)
//! # concurrent_writer = true               (after the answer: the etag moves)
//!
//! [[arm.fault]]
//! token_expires_after = 5     # alone in its table: calls until the token expires
//!
//! [[ssh.fault]]
//! device = "ce1"              # ce1 ce2 fw server
//! slow_ms = 1500              # each command answered this late
//! drop_after = 3              # the session closes after 3 commands
//! refuse_login = true
//! ```

use std::time::Duration;

use toml::Spanned;

use super::raw::{RawArmRule, RawSshFault};
use super::{ArmFault, ScenarioError};
use crate::topology::DeviceId;

/// Which ARM resource a rule watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArmResource {
    Any,
    Circuit,
    /// A circuit peering, or the list of them.
    Peering,
    /// An `Azure-AsyncOperation` or `Location` URL being polled.
    Operation,
    /// The VPN gateway and its route reads.
    Gateway,
    Connection,
    /// Azure's failover tests (the ER gateway's site test, the circuit's
    /// link test): their starts, stops and detail reads (`failover_test`);
    /// a rule on it also matches the stops.
    FailoverTest,
    /// The stop of a failover test only (`failover_stop`).
    FailoverStop,
}

impl ArmResource {
    const NAMES: &[(&str, ArmResource)] = &[
        ("any", ArmResource::Any),
        ("circuit", ArmResource::Circuit),
        ("peering", ArmResource::Peering),
        ("operation", ArmResource::Operation),
        ("gateway", ArmResource::Gateway),
        ("connection", ArmResource::Connection),
        ("failover_test", ArmResource::FailoverTest),
        ("failover_stop", ArmResource::FailoverStop),
    ];

    fn matches(self, other: ArmResource) -> bool {
        self == ArmResource::Any
            || self == other
            || (self == ArmResource::FailoverTest && other == ArmResource::FailoverStop)
    }
}

/// Which of a rule's matching calls it hits: `from..=to`, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nth {
    pub from: u32,
    /// `None`: every call from `from` on.
    pub to: Option<u32>,
}

impl Nth {
    pub const EVERY: Nth = Nth { from: 1, to: None };

    pub fn contains(self, n: u32) -> bool {
        n >= self.from && self.to.is_none_or(|t| n <= t)
    }
}

/// How a long-running operation ends when it does not succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperationEnd {
    Failed,
    Canceled,
}

impl OperationEnd {
    pub fn as_str(self) -> &'static str {
        match self {
            OperationEnd::Failed => "Failed",
            OperationEnd::Canceled => "Canceled",
        }
    }
}

/// What a matching call meets (besides any latency).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArmAction {
    /// An error answer instead of the real one.
    Status(ArmFault),
    /// No answer ever: the client must time out.
    Hang,
    /// The TCP connection closes without an answer.
    Reset,
    /// A 200 whose body is truncated JSON.
    Malformed,
    /// A PUT accepted whose operation ends so; the write is not applied.
    Operation(OperationEnd),
    /// The answer's `provisioningState` reads `Failed`.
    ProvisioningFailed,
    /// After the answer, someone else writes the peering: its etag moves.
    ConcurrentWriter,
}

/// One `[[arm.fault]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArmRule {
    /// Upper-case; `None` matches any method.
    pub method: Option<String>,
    pub resource: ArmResource,
    pub nth: Nth,
    pub latency: Option<Duration>,
    pub action: Option<ArmAction>,
}

impl ArmRule {
    pub fn matches(&self, method: &str, resource: ArmResource) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self.resource.matches(resource)
    }
}

/// One device's `[[ssh.fault]]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SshFault {
    pub slow: Option<Duration>,
    /// Commands a session answers before it is closed.
    pub drop_after: Option<u32>,
    pub refuse_login: bool,
}

/// What the `[arm]` and `[ssh]` fault tables hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults {
    pub arm: Vec<ArmRule>,
    pub token_expires_after: Option<u32>,
    pub ssh: Vec<(DeviceId, SshFault)>,
}

/// Checks `[[arm.fault]]` and `[[ssh.fault]]`. `err` turns a span into a
/// positioned error.
pub(super) fn parse_faults(
    arm: &[Spanned<RawArmRule>],
    ssh: &[Spanned<RawSshFault>],
    err: &dyn Fn(std::ops::Range<usize>, String) -> ScenarioError,
) -> Result<Faults, ScenarioError> {
    let mut out = Faults::default();
    for r in arm {
        let span = r.span();
        let r = r.get_ref();
        if let Some(n) = &r.token_expires_after {
            let others = r.method.is_some()
                || r.resource.is_some()
                || r.nth.is_some()
                || r.latency_ms.is_some()
                || action_count(r) > 0;
            if others {
                return Err(err(
                    span,
                    "token_expires_after stands alone in its [[arm.fault]] (it counts every call)"
                        .into(),
                ));
            }
            if *n.get_ref() == 0 || out.token_expires_after.is_some() {
                return Err(err(
                    n.span(),
                    "token_expires_after is a number of calls, at least 1, given once".into(),
                ));
            }
            out.token_expires_after = Some(*n.get_ref());
            continue;
        }
        out.arm.push(arm_rule(span, r, err)?);
    }
    for f in ssh {
        let span = f.span();
        let f = f.get_ref();
        let device = DeviceId::ALL
            .into_iter()
            .find(|d| d.name() == f.device.get_ref().as_str())
            .ok_or_else(|| {
                err(
                    f.device.span(),
                    format!(
                        "no device `{}` (devices: ce1, ce2, fw, server)",
                        f.device.get_ref()
                    ),
                )
            })?;
        if out.ssh.iter().any(|(d, _)| *d == device) {
            return Err(err(
                f.device.span(),
                format!("{device} already has an [[ssh.fault]]"),
            ));
        }
        let mut fault = SshFault {
            refuse_login: f.refuse_login.unwrap_or(false),
            ..SshFault::default()
        };
        if let Some(ms) = &f.slow_ms {
            if !(1..=600_000).contains(ms.get_ref()) {
                return Err(err(ms.span(), "slow_ms must be 1 to 600000".into()));
            }
            fault.slow = Some(Duration::from_millis(*ms.get_ref()));
        }
        if let Some(n) = &f.drop_after {
            fault.drop_after = Some(*n.get_ref());
        }
        if fault == SshFault::default() {
            return Err(err(
                span,
                "an [[ssh.fault]] needs slow_ms, drop_after or refuse_login = true".into(),
            ));
        }
        out.ssh.push((device, fault));
    }
    Ok(out)
}

fn action_count(r: &RawArmRule) -> usize {
    let flag = |b: &Option<Spanned<bool>>| b.as_ref().is_some_and(|b| *b.get_ref());
    [
        r.status.is_some(),
        flag(&r.hang),
        flag(&r.reset),
        flag(&r.malformed),
        r.operation.is_some(),
        r.provisioning_state.is_some(),
        flag(&r.concurrent_writer),
    ]
    .into_iter()
    .filter(|b| *b)
    .count()
}

fn arm_rule(
    span: std::ops::Range<usize>,
    r: &RawArmRule,
    err: &dyn Fn(std::ops::Range<usize>, String) -> ScenarioError,
) -> Result<ArmRule, ScenarioError> {
    let method = match &r.method {
        None => None,
        Some(m) => {
            let up = m.get_ref().trim().to_ascii_uppercase();
            if !matches!(up.as_str(), "GET" | "PUT" | "POST" | "PATCH" | "DELETE") {
                return Err(err(
                    m.span(),
                    format!(
                        "method `{}` is not one of GET, PUT, POST, PATCH, DELETE",
                        m.get_ref()
                    ),
                ));
            }
            Some(up)
        }
    };
    let resource = match &r.resource {
        None => ArmResource::Any,
        Some(s) => ArmResource::NAMES
            .iter()
            .find(|(n, _)| *n == s.get_ref().as_str())
            .map(|(_, r)| *r)
            .ok_or_else(|| {
                err(
                    s.span(),
                    format!(
                        "resource `{}` is not one of any, circuit, peering, operation, gateway, connection, failover_test, failover_stop",
                        s.get_ref()
                    ),
                )
            })?,
    };
    let nth = match &r.nth {
        None => Nth::EVERY,
        Some(v) => parse_nth(v.get_ref()).ok_or_else(|| {
            err(
                v.span(),
                "nth is a call number from 1, a range \"2-4\" or \"3-\", or \"every\"".into(),
            )
        })?,
    };
    let latency = match &r.latency_ms {
        None => None,
        Some(ms) if (1..=600_000).contains(ms.get_ref()) => {
            Some(Duration::from_millis(*ms.get_ref()))
        }
        Some(ms) => return Err(err(ms.span(), "latency_ms must be 1 to 600000".into())),
    };
    if action_count(r) > 1 {
        return Err(err(
            span,
            "an [[arm.fault]] has one action: status, hang, reset, malformed, operation, provisioning_state or concurrent_writer".into(),
        ));
    }
    if r.status.is_none() {
        let stray = [
            r.code.as_ref().map(Spanned::span),
            r.retry_after_s.as_ref().map(Spanned::span),
        ];
        if let Some(s) = stray.into_iter().flatten().next() {
            return Err(err(s, "code and retry_after_s go with a status".into()));
        }
    }
    let flag = |b: &Option<Spanned<bool>>| b.as_ref().is_some_and(|b| *b.get_ref());
    let action = if let Some(st) = &r.status {
        Some(ArmAction::Status(status(st, r, err)?))
    } else if flag(&r.hang) {
        Some(ArmAction::Hang)
    } else if flag(&r.reset) {
        Some(ArmAction::Reset)
    } else if flag(&r.malformed) {
        Some(ArmAction::Malformed)
    } else if let Some(o) = &r.operation {
        let end = match o.get_ref().as_str() {
            "Failed" => OperationEnd::Failed,
            "Canceled" => OperationEnd::Canceled,
            other => {
                return Err(err(
                    o.span(),
                    format!("operation `{other}` is not Failed or Canceled"),
                ));
            }
        };
        if method.as_deref().is_some_and(|m| m != "PUT") || resource != ArmResource::Peering {
            return Err(err(
                o.span(),
                "operation = ... ends a peering PUT's operation: it needs resource = \"peering\" (method PUT)".into(),
            ));
        }
        Some(ArmAction::Operation(end))
    } else if let Some(p) = &r.provisioning_state {
        if p.get_ref() != "Failed" {
            return Err(err(
                p.span(),
                format!("provisioning_state `{}` is not Failed", p.get_ref()),
            ));
        }
        Some(ArmAction::ProvisioningFailed)
    } else if flag(&r.concurrent_writer) {
        Some(ArmAction::ConcurrentWriter)
    } else {
        None
    };
    if action.is_none() && latency.is_none() {
        return Err(err(
            span,
            "an [[arm.fault]] needs latency_ms or an action (status, hang, reset, malformed, operation, provisioning_state, concurrent_writer)".into(),
        ));
    }
    Ok(ArmRule {
        method,
        resource,
        nth,
        latency,
        action,
    })
}

fn status(
    st: &Spanned<u16>,
    r: &RawArmRule,
    err: &dyn Fn(std::ops::Range<usize>, String) -> ScenarioError,
) -> Result<ArmFault, ScenarioError> {
    let code = r.code.as_ref().map(|c| (c.get_ref().trim(), c.span()));
    let s = *st.get_ref();
    check_status(s, st.span(), code.clone(), err)?;
    let default = match s {
        400 => "BadRequest",
        401 => "InvalidAuthenticationToken",
        403 => "AuthorizationFailed",
        404 => "NotFound",
        409 => "Conflict",
        412 => "PreconditionFailed",
        429 => "TooManyRequests",
        502 => "BadGateway",
        503 => "ServiceUnavailable",
        504 => "GatewayTimeout",
        _ => "InternalServerError",
    };
    Ok(ArmFault {
        status: s,
        code: code.map_or(default, |(c, _)| c).to_string(),
        message: r.message.clone(),
        retry_after_s: r.retry_after_s.as_ref().map(|v| *v.get_ref()),
    })
}

/// The checks a scripted ARM error's status and code pass (shared with the
/// older `[[arm.peering_put]]` form).
pub(super) fn check_status(
    status: u16,
    span: std::ops::Range<usize>,
    code: Option<(&str, std::ops::Range<usize>)>,
    err: &dyn Fn(std::ops::Range<usize>, String) -> ScenarioError,
) -> Result<(), ScenarioError> {
    if !(400..=599).contains(&status) {
        return Err(err(
            span,
            format!("status {status} is not an HTTP error (400 to 599)"),
        ));
    }
    if let Some((code, span)) = code
        && (code.is_empty() || !code.chars().all(|c| c.is_ascii_alphanumeric()))
    {
        return Err(err(
            span,
            "an ARM error code is one word, e.g. AnotherOperationInProgress".into(),
        ));
    }
    Ok(())
}

fn parse_nth(v: &toml::Value) -> Option<Nth> {
    let num = |s: &str| s.trim().parse::<u32>().ok().filter(|n| *n >= 1);
    match v {
        toml::Value::Integer(i) => {
            let n = u32::try_from(*i).ok().filter(|n| *n >= 1)?;
            Some(Nth {
                from: n,
                to: Some(n),
            })
        }
        toml::Value::String(s) if s.trim() == "every" => Some(Nth::EVERY),
        toml::Value::String(s) => {
            let (a, b) = s.split_once('-')?;
            let from = num(a)?;
            if b.trim().is_empty() {
                return Some(Nth { from, to: None });
            }
            let to = num(b)?;
            (to >= from).then_some(Nth { from, to: Some(to) })
        }
        _ => None,
    }
}
