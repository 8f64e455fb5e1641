//! A probe: its role, its query and the query's parameters, checked against
//! the role's platform and rendered into the exact command.

use std::collections::BTreeMap;
use std::net::IpAddr;

use toml::de::DeTable;

use super::{Cx, Span, TransposeNone, Val, get};
use crate::runbook::diag::suggest;
use crate::runbook::model::{Probe, Role};
use crate::runbook::query::{self, ConnectionRef, GatewayRef, PeeringRef, Query, QueryName};
use crate::runbook::render;

impl Cx<'_> {
    /// The probe, and its query name as soon as that is known (the expect
    /// clauses can be checked against it even when a parameter is wrong).
    pub(super) fn probe(
        &mut self,
        v: &Val<'_>,
        roles: &BTreeMap<String, Role>,
    ) -> Option<(Option<Probe>, QueryName)> {
        let t = self.table(v, "probe")?;
        let span = v.span();
        let role = self.req_string(t, &span, "role", "probe");
        let qname = match self.req_string(t, &span, "query", "probe") {
            Some((q, at)) => match QueryName::parse(&q) {
                Some(name) => Some((name, at)),
                None => {
                    let names = QueryName::ALL.map(QueryName::as_str);
                    let msg = match suggest(&q, names) {
                        Some(s) => format!("unknown query `{q}` (did you mean `{s}`?)"),
                        None => format!("unknown query `{q}`; known queries: {}", names.join(", ")),
                    };
                    self.err(at.start, msg);
                    None
                }
            },
            None => None,
        };
        let (qname, qspan) = qname?;
        let mut allowed = vec!["role", "query"];
        allowed.extend(qname.params().iter().map(|p| p.name));
        self.unknown_keys(t, &allowed, &format!("probe `{qname}`"));

        let role = role.and_then(|(name, at)| match roles.get(&name) {
            Some(r) => Some(r),
            None => {
                self.undeclared_role(&name, at.start, roles);
                None
            }
        });
        if let Some(r) = role
            && !qname.platforms().contains(&r.platform)
        {
            self.err(
                qspan.start,
                format!(
                    "query `{qname}` is not available on platform `{}` (role `{}`)",
                    r.platform, r.name
                ),
            );
            return Some((None, qname));
        }
        let query = self.query(qname, t, &span, role);
        let probe = (|| {
            let role = role?;
            let query = query?;
            match render::render(&query, role.platform) {
                Ok(command) => Some(Probe {
                    role: role.name.clone(),
                    platform: role.platform,
                    query,
                    command,
                }),
                Err(e) => {
                    self.err(qspan.start, e.to_string());
                    None
                }
            }
        })();
        Some((probe, qname))
    }

    pub(super) fn undeclared_role(
        &mut self,
        name: &str,
        at: usize,
        roles: &BTreeMap<String, Role>,
    ) {
        let msg = match suggest(name, roles.keys().map(String::as_str)) {
            Some(s) => format!("undeclared role `{name}` (did you mean `{s}`?)"),
            None => {
                format!("undeclared role `{name}`: declare it with [roles.{name}] and a platform")
            }
        };
        self.err(at, msg);
    }

    /// A parameter from the probe, or (for Azure names) from its role.
    fn param<'i>(
        &mut self,
        qname: QueryName,
        t: &DeTable<'i>,
        span: &Span,
        role: Option<&Role>,
        key: &'static str,
    ) -> Option<ParamVal<'i>> {
        if let Some(v) = get(t, key) {
            return Some(ParamVal::Given(v.clone()));
        }
        let spec = qname.params().iter().find(|p| p.name == key);
        if spec.is_some_and(|p| p.from_role)
            && let Some(name) = role.and_then(|r| r.azure.get(key))
        {
            return Some(ParamVal::FromRole(name.to_string()));
        }
        if spec.is_some_and(|p| p.required) {
            let msg = match (spec.is_some_and(|p| p.from_role), role) {
                (true, Some(r)) => format!(
                    "query `{qname}` needs `{key}` (on the probe or on its role `{}`)",
                    r.name
                ),
                _ => format!("query `{qname}` needs `{key}`"),
            };
            self.err(span.start, msg);
        }
        None
    }

    fn query(
        &mut self,
        qname: QueryName,
        t: &DeTable<'_>,
        span: &Span,
        role: Option<&Role>,
    ) -> Option<Query> {
        let p = |cx: &mut Self, key: &'static str| cx.param(qname, t, span, role, key);
        let word = |cx: &mut Self, v: Option<ParamVal<'_>>, key: &str| -> Option<Option<String>> {
            match v {
                None => Some(None),
                Some(ParamVal::Given(v)) => cx
                    .checked(
                        &v,
                        key,
                        query::is_cli_word,
                        "one word (letters, digits, . _ - : /)",
                    )
                    .map(Some),
                Some(ParamVal::FromRole(s)) => Some(Some(s)),
            }
        };
        let azure = |cx: &mut Self, v: Option<ParamVal<'_>>, key: &str| -> Option<String> {
            match v? {
                ParamVal::Given(v) => {
                    cx.checked(&v, key, query::is_azure_name, "an Azure resource name")
                }
                ParamVal::FromRole(s) => Some(s),
            }
        };
        let ip = |cx: &mut Self, v: Option<ParamVal<'_>>, key: &str| -> Option<IpAddr> {
            match v? {
                ParamVal::Given(v) => cx.ip(&v, key),
                ParamVal::FromRole(_) => None,
            }
        };
        Some(match qname {
            QueryName::BgpAdvertised | QueryName::BgpReceived => {
                let peer = p(self, "peer");
                let peer = ip(self, peer, "peer");
                let table = p(self, "table");
                let table = word(self, table, "table");
                let (peer, table) = (peer?, table?);
                if qname == QueryName::BgpAdvertised {
                    Query::BgpAdvertised { peer, table }
                } else {
                    Query::BgpReceived { peer, table }
                }
            }
            QueryName::RouteTable => {
                let table = p(self, "table");
                let table = word(self, table, "table");
                let prefix = get(t, "prefix")
                    .map(|v| self.prefix(v, "prefix"))
                    .transpose_none();
                Query::RouteTable {
                    table: table??,
                    prefix: prefix?,
                }
            }
            QueryName::BgpSummary => {
                let instance = p(self, "instance");
                Query::BgpSummary {
                    instance: word(self, instance, "instance")?,
                }
            }
            QueryName::BfdSessions => Query::BfdSessions,
            QueryName::IpsecSas => Query::IpsecSas,
            QueryName::IkeSas => Query::IkeSas,
            QueryName::Trace => {
                let target = p(self, "target");
                let target = match target? {
                    ParamVal::Given(v) => self.checked(
                        &v,
                        "target",
                        query::is_trace_target,
                        "an IP address or a host name",
                    )?,
                    ParamVal::FromRole(s) => s,
                };
                Query::Trace { target }
            }
            QueryName::AzureLearnedRoutes
            | QueryName::AzureBgpPeers
            | QueryName::AzureAdvertisedRoutes => {
                let rg = p(self, "resource_group");
                let rg = azure(self, rg, "resource_group");
                let gw = p(self, "gateway");
                let gw = azure(self, gw, "gateway");
                let peer = if qname == QueryName::AzureAdvertisedRoutes {
                    let v = p(self, "peer");
                    Some(ip(self, v, "peer")?)
                } else {
                    None
                };
                let gateway = GatewayRef {
                    resource_group: rg?,
                    gateway: gw?,
                };
                match (qname, peer) {
                    (QueryName::AzureAdvertisedRoutes, Some(peer)) => {
                        Query::AzureAdvertisedRoutes { gateway, peer }
                    }
                    (QueryName::AzureLearnedRoutes, _) => Query::AzureLearnedRoutes { gateway },
                    _ => Query::AzureBgpPeers { gateway },
                }
            }
            QueryName::AzurePeering => {
                let rg = p(self, "resource_group");
                let rg = azure(self, rg, "resource_group");
                let c = p(self, "circuit");
                let c = azure(self, c, "circuit");
                let pe = p(self, "peering");
                let pe = azure(self, pe, "peering");
                Query::AzurePeering {
                    peering: PeeringRef {
                        resource_group: rg?,
                        circuit: c?,
                        peering: pe?,
                    },
                }
            }
            QueryName::AzureConnection => {
                let rg = p(self, "resource_group");
                let rg = azure(self, rg, "resource_group");
                let c = p(self, "connection");
                let c = azure(self, c, "connection");
                Query::AzureConnection {
                    connection: ConnectionRef {
                        resource_group: rg?,
                        connection: c?,
                    },
                }
            }
        })
    }
}

/// A parameter as found: written on the probe, or inherited from the role.
enum ParamVal<'i> {
    Given(Val<'i>),
    FromRole(String),
}
