//! The circuit link failover test's own keys (`link_type`, `category`,
//! `api_version`): defaulted on that op, refused on every other so a key
//! a person set is never silently ignored.

use toml::de::DeTable;

use super::{Cx, get};
use crate::runbook::model::LinkTest;

impl Cx<'_> {
    /// The link test's keys (`link_type`, `category`, `api_version`),
    /// defaulted; refused on any other op. `Some(None)`: not a link test.
    pub(super) fn link_test(
        &mut self,
        at: &DeTable<'_>,
        link: bool,
        op_name: &str,
    ) -> Option<Option<LinkTest>> {
        let keys = ["link_type", "category", "api_version"];
        if !link {
            let mut ok = true;
            for k in keys {
                if let Some(v) = get(at, k) {
                    self.err(
                        v.span().start,
                        format!(
                            "`{k}` is a key of `azure.circuit.link_failover_test`, not of {op_name}"
                        ),
                    );
                    ok = false;
                }
            }
            return ok.then_some(None);
        }
        let one_of = |cx: &mut Self, key: &str, allowed: &[&str], default: &str| match get(at, key)
        {
            None => Some(default.to_owned()),
            Some(v) => {
                let s = cx.string(v, key)?;
                if allowed.contains(&s.as_str()) {
                    Some(s)
                } else {
                    cx.err(
                        v.span().start,
                        format!("`{key}` must be one of {}, not `{s}`", allowed.join(", ")),
                    );
                    None
                }
            }
        };
        let link_type = one_of(self, "link_type", &LinkTest::LINK_TYPES, "Primary");
        let category = one_of(self, "category", &LinkTest::CATEGORIES, "BgpDisconnect");
        let api_version = match get(at, "api_version") {
            None => Some(LinkTest::DEFAULT_API_VERSION.to_owned()),
            Some(v) => {
                let s = self.string(v, "api_version")?;
                if !crate::inventory::is_api_version(&s) {
                    self.err(
                        v.span().start,
                        format!(
                            "`api_version` must be an ARM API version such as 2025-07-01, not `{s}`"
                        ),
                    );
                    None
                } else if s.as_str() < LinkTest::DEFAULT_API_VERSION {
                    self.err(
                        v.span().start,
                        format!(
                            "`api_version` {s} predates the circuit link failover test (2025-07-01 and later)"
                        ),
                    );
                    None
                } else {
                    Some(s)
                }
            }
        };
        Some(Some(LinkTest {
            link_type: link_type?,
            category: category?,
            api_version: api_version?,
        }))
    }
}
