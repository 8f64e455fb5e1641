//! The procedure as data: a TOML runbook, loaded into typed steps.
//!
//! `runbooks/README.md` is the operator's reference; this is the summary for
//! the code that runs runbooks.
//!
//! ```toml
//! [runbook]
//! id = "er-vpn-failover"          # required: letters, digits, . _ -
//! title = "..."                   # required
//! description = "..."             # optional
//! version = "1"                   # optional
//! monitor_every = "5s"            # optional: live monitor poll interval
//! repeat_every = "90d"            # optional: cadence of the whole test
//! read_only = true                # optional: then no gate and no action
//!
//! [vars]                          # strings (or integers), usable as ${name}
//! onprem = "10.1.11.0/25"         # anywhere in any string; `$$` is a `$`
//!
//! [roles.ce1]                     # who is asked; the inventory maps a role
//! platform = "junos"              # to a host: junos | linux | azure
//! description = "primary CE"
//!
//! [roles.azure]
//! platform = "azure"              # Azure roles may name the resources their
//! resource_group = "SEA-Cust11"   # probes and actions default to: gateway,
//! gateway = "..."                 # circuit, peering, connection
//!
//! [paths.expressroute]            # how a path is recognised (also [paths.vpn])
//! next_hops = ["192.168.11.0"]    # a route path with one of these next hops
//! first_as = [12076]              # or whose AS path starts with one of these
//! trace_hops = ["192.168.11.18"]  # a trace through one of these hops
//! trace_fallback = false          # a trace that reached its target through
//!                                 # no declared hop is this path
//!
//! [[step]]
//! id = "ce1-advertises-onprem"    # unique
//! title = "..."
//! phase = 1                       # 1..5 or validate-er | validate-vpn |
//!                                 # failover | restore | maintain
//! why = "..."                     # what it proves; what to do if it fails;
//!                                 # `{deadline}`, `{window}`, ... say the
//!                                 # limits in force (`in_force`)
//! probe = { role = "ce1", query = "bgp.advertised", peer = "${msee_primary}" }
//! expect = [{ prefix = "${onprem}" }]
//! within = "60s"                  # optional: re-probe until it holds
//! every = "5s"                    # optional: pause between probes
//! ```
//!
//! A step does exactly one of: `probe` (+ `expect`, `within`, `every`),
//! `gate = { prompt, confirm_text, require = "prechecks" }`,
//! `action = { op, role, rollback, deadline, [max_outage, resource_group, circuit, peering] }`
//! (+ `[[step.verify]]` with `probe`, `expect`, `within`, `every`), or
//! `record = { next_test_in, reminders }`.
//!
//! Queries ([`QueryName`]) and their parameters: `bgp.advertised` and
//! `bgp.received` (peer, table?), `route.table` (table, prefix?),
//! `bgp.summary` (instance?), `bfd.sessions`, `ipsec.sas`, `ike.sas`,
//! `trace` (target), `azure.learned_routes`, `azure.advertised_routes`
//! (peer), `azure.bgp_peers`, `azure.peering`, `azure.connection` (the Azure
//! names from the probe or its role). [`render::render`] turns a query into
//! the exact command for the role's platform.
//!
//! Expect clauses depend on what the query returns ([`ResultKind`]):
//! route lists take `prefix` or `more_specific_than`, optionally narrowed by
//! `path` (a path kind), `next_hop` and `protocol`, then `present`, `active_path`,
//! `active`, `local_pref`, `as_path`, `as_path_starts_with`, `next_hop_in`,
//! `at_least`; state lists take `peer`, `state`, `at_least`; traces take
//! `path`, `include_hops`, `exclude_hops`, `reached`.
//!
//! [`eval`] judges a clause against a parsed answer, with the semantics
//! runbooks/README.md documents.
//!
//! Loading checks everything it can in one pass and reports every problem as
//! `file:line:col: message` ([`Diagnostics`]): TOML syntax, unknown keys (with
//! a "did you mean"), undefined variables, duplicate step ids, bad durations,
//! prefixes, addresses and names, unknown queries, roles and path kinds, a
//! query its role's platform cannot answer, an action without rollback or
//! deadline, a `max_outage` that cannot fire (no trace verification, not
//! shorter than its `within` or the deadline, not longer than its `every`),
//! a disruptive action without a gate since the previous one, an empty gate
//! confirmation.

pub mod diag;
pub mod duration;
pub mod eval;
pub mod in_force;
pub mod interp;
pub mod model;
pub mod query;
pub mod render;
mod validate;

use std::collections::BTreeMap;
use std::path::Path;

pub use diag::{Diagnostic, Diagnostics, Pos};
pub use duration::{Duration, DurationError};
pub use eval::{StateItem, Verdict, eval_routes, eval_states, eval_trace};
pub use model::{
    Action, ActionOp, ActionStep, AzureNames, Check, Clause, Expect, Gate, GateRequire, LinkTest,
    Meta, PathDef, PathKind, PathSelect, Paths, Phase, Probe, Record, Role, RouteCheck,
    RouteExpect, RouteTarget, Runbook, StateExpect, Step, StepBody, Summary, TraceExpect, Verify,
};
pub use query::{Platform, Query, QueryName, ResultKind};

impl Runbook {
    /// Reads and validates the runbook at `path`; messages name the path as
    /// given.
    pub fn load(path: &Path) -> Result<Runbook, Diagnostics> {
        let name = path.display().to_string();
        let bytes = std::fs::read(path)
            .map_err(|e| Diagnostics::whole_file(&name, format!("cannot read: {e}")))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            Diagnostics::whole_file(&name, format!("cannot read: not UTF-8 text ({e})"))
        })?;
        Self::from_str(&text, &name)
    }

    /// Validates runbook text; `file` is only used in messages.
    #[allow(clippy::should_implement_trait)] // FromStr has no room for the file name.
    pub fn from_str(text: &str, file: &str) -> Result<Runbook, Diagnostics> {
        validate::build(text, file, &BTreeMap::new())
    }

    /// Like [`Runbook::from_str`], with `overrides` replacing (or adding)
    /// variables before anything is expanded, e.g. the inventory's real
    /// circuit and gateway names. Override values are literal: `${` in them
    /// is not expanded.
    pub fn from_str_with_vars(
        text: &str,
        file: &str,
        overrides: &BTreeMap<String, String>,
    ) -> Result<Runbook, Diagnostics> {
        validate::build(text, file, overrides)
    }
}
