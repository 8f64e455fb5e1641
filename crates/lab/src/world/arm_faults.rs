//! The scenario's `[[arm.fault]]` rules as the world keeps them: each
//! rule counts the calls it matches, so "the 2nd PUT of the peering" is the
//! 2nd whatever else happened in between. The ARM server asks once per
//! request; the world's own `put_peering_state` asks for a PUT made
//! without the server (tests, the older `[[arm.peering_put]]` contract).

use std::time::Duration;

use super::World;
use crate::azure::ArmError;
use crate::scenario::{ArmAction, ArmFault, ArmResource};

/// What the rules that hit one call ask for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultHit {
    /// The sum of the hitting rules' `latency_ms`.
    pub latency: Duration,
    /// The first hitting rule's action, in file order.
    pub action: Option<ArmAction>,
}

impl World {
    /// Counts one ARM call against every rule it matches and says what the
    /// rules whose `nth` it is ask for.
    pub fn arm_call(&mut self, method: &str, resource: ArmResource) -> FaultHit {
        let mut hit = FaultHit::default();
        let mut notes = Vec::new();
        for (i, rule) in self.scenario.faults.arm.iter().enumerate() {
            if !rule.matches(method, resource) {
                continue;
            }
            let Some(count) = self.arm_counts.get_mut(i) else {
                continue;
            };
            *count = count.saturating_add(1);
            if !rule.nth.contains(*count) {
                continue;
            }
            if let Some(l) = rule.latency {
                hit.latency = hit.latency.saturating_add(l);
            }
            if hit.action.is_none()
                && let Some(a) = &rule.action
            {
                hit.action = Some(a.clone());
                notes.push(format!(
                    "ARM fault on {method} {resource:?} (call {count} of rule {}): {a:?}",
                    i + 1
                ));
            }
        }
        for n in notes {
            self.log(n);
        }
        hit
    }

    /// A scripted error as ARM words it, about the peering `peering`.
    pub fn arm_fault_error(&self, f: &ArmFault, peering: &str) -> ArmError {
        self.arm_fault(f, peering)
    }

    /// Someone else writes the peering (its tags, say): the state stays,
    /// the etag moves, so a PUT under the old etag meets 412.
    pub fn concurrent_write(&mut self, now: Duration, name: &str) -> bool {
        self.tick(now);
        let Some(idx) = self
            .topo
            .azure
            .peerings
            .iter()
            .position(|p| p.name.eq_ignore_ascii_case(name))
        else {
            return false;
        };
        if let Some(rt) = self.peerings.get_mut(idx) {
            rt.etag_serial += 1;
        }
        let spec = self.topo.azure.peerings[idx].name;
        self.log(format!("someone else wrote {spec}: its etag changed"));
        true
    }
}
