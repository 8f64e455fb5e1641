//! A read of the peering made to decide what a write did (its answer was
//! an error, its operation ended Failed or Canceled): journaled as a
//! probe of the action's step, so the record shows the state the
//! decision was taken on, not only the decision.

use std::time::Duration;

use super::Ctx;
use crate::port::{ArmError, ArmRead};
use cutover_core::model::azure::ExpressRouteCircuitPeering;
use cutover_core::session::event::Event;

/// Journals `read`, made `why` and taking `elapsed`.
pub(crate) async fn journal_peering_read<D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    step: &str,
    why: &str,
    read: &Result<ArmRead<ExpressRouteCircuitPeering>, ArmError>,
    elapsed: Duration,
) {
    let (raw, error, parsed, ids) = match read {
        Ok(r) => {
            let p = &r.value;
            let parsed = serde_json::json!({
                "state": p.state().map(|s| s.as_str()),
                "provisioningState": p.provisioning_state().map(|s| s.as_str()),
                "etag": p.etag,
            });
            (Some(r.raw.clone()), None, Some(parsed), Some(r.ids.clone()))
        }
        Err(e) => (None, Some(e.to_string()), None, None),
    };
    let _ = ctx
        .sink
        .emit(Event::Probe {
            step: step.to_string(),
            device: "azure".into(),
            query: "azure.peering".into(),
            command: format!("GET the peering ({why})"),
            raw,
            error,
            parsed,
            elapsed_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            ids,
        })
        .await;
}
