//! What keeps a session from leaving the peering stranded, as the console
//! shows it: the peering read before the procedure starts (a refusal when
//! it is not Enabled) and the health of the detached guard while a change
//! is out.

/// The peering as read before the procedure started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preflight {
    pub target: String,
    pub state: Option<String>,
    pub provisioning_state: Option<String>,
    /// False: the session refused to start.
    pub ok: bool,
    pub detail: String,
    /// What brings the peering back (`cutover restore ...`).
    pub remedy: Option<String>,
}

/// The detached guard of one guarded change, as the console last heard.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum GuardWatch {
    /// As armed (or no guard was ever started: the engine says so in a
    /// note).
    #[default]
    Watching,
    /// The guard died; a new one is being armed. `replaced`: guards
    /// replaced before this one died.
    Lost { detail: String, replaced: u32 },
    /// The guard died and a new one watches (`replaced` in all).
    Rearmed { lost: String, replaced: u32 },
    /// The guard died and no new one could be started.
    Unguarded { lost: String, detail: String },
}

impl GuardWatch {
    pub(super) fn lost(&mut self, detail: &str) {
        *self = GuardWatch::Lost {
            detail: detail.to_string(),
            replaced: self.replaced(),
        };
    }

    pub(super) fn rearmed(&mut self, ok: bool, detail: &str) {
        let replaced = self.replaced();
        let lost = match &*self {
            GuardWatch::Lost { detail, .. } => detail.clone(),
            _ => String::new(),
        };
        *self = if ok {
            GuardWatch::Rearmed {
                lost,
                replaced: replaced + 1,
            }
        } else {
            GuardWatch::Unguarded {
                lost,
                detail: detail.to_string(),
            }
        };
    }

    /// Guards replaced so far.
    pub fn replaced(&self) -> u32 {
        match self {
            GuardWatch::Lost { replaced, .. } | GuardWatch::Rearmed { replaced, .. } => *replaced,
            GuardWatch::Watching | GuardWatch::Unguarded { .. } => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure_call::ManualCommands;
    use crate::model::path::PathClassifier;
    use crate::session::event::Event;
    use crate::session::state::SessionState;

    fn state() -> SessionState {
        SessionState::new(PathClassifier::default())
    }

    fn lost(s: &mut SessionState) {
        s.apply(&Event::GuardLost {
            step: "disable".into(),
            detail: "exited (signal 9)".into(),
        });
    }

    fn rearmed(s: &mut SessionState, ok: bool) {
        s.apply(&Event::GuardRearmed {
            step: "disable".into(),
            ok,
            detail: "d".into(),
        });
    }

    #[test]
    fn a_lost_guard_is_rearmed_or_not_and_the_count_survives_a_second_loss() {
        let mut s = state();
        s.apply(&Event::ActionStarted {
            step: "disable".into(),
            op: "azure.peering.disable".into(),
            target: "t".into(),
            manual: ManualCommands {
                az_cli: String::new(),
                powershell: String::new(),
            },
        });
        let watch = |s: &SessionState| s.guard().map(|g| g.watch.clone());
        assert_eq!(watch(&s), Some(GuardWatch::Watching));
        lost(&mut s);
        assert_eq!(
            watch(&s),
            Some(GuardWatch::Lost {
                detail: "exited (signal 9)".into(),
                replaced: 0
            })
        );
        rearmed(&mut s, true);
        lost(&mut s);
        rearmed(&mut s, true);
        assert_eq!(
            watch(&s),
            Some(GuardWatch::Rearmed {
                lost: "exited (signal 9)".into(),
                replaced: 2
            })
        );
        lost(&mut s);
        rearmed(&mut s, false);
        assert_eq!(
            watch(&s),
            Some(GuardWatch::Unguarded {
                lost: "exited (signal 9)".into(),
                detail: "d".into()
            })
        );
    }

    #[test]
    fn only_a_failed_preflight_is_a_refusal() {
        let mut s = state();
        let pre = |ok| Event::PeeringPreflight {
            target: "rg/er/AzurePrivatePeering".into(),
            state: Some(if ok { "Enabled" } else { "Disabled" }.into()),
            provisioning_state: Some("Succeeded".into()),
            ok,
            detail: "d".into(),
            remedy: None,
            ids: None,
        };
        s.apply(&pre(true));
        assert!(s.preflight.is_some() && s.refusal().is_none());
        s.apply(&pre(false));
        assert_eq!(
            s.refusal().map(|p| p.state.as_deref()),
            Some(Some("Disabled"))
        );
    }
}
