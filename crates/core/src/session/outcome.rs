//! How a session (or a guard) ended, and the one mapping from that to the
//! process exit status of CONTRACT.md. The engine decides outcomes; the
//! binary turns them into exit statuses through [`Outcome::exit_code`], and
//! the journal records the same number in `session_end`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Everything passed, or the operator declined before any change.
    Completed,
    /// A check failed; nothing was changed (or the change was undone and a
    /// post-check failed).
    CheckFailed,
    /// The input (runbook, inventory, journal) was unusable.
    BadInput,
    /// A guarded change was rolled back and the rollback succeeded.
    RolledBack,
    /// The world is not in a known-good state: a person must act.
    OperatorMustAct,
}

impl Outcome {
    /// Every outcome, in exit-status order.
    pub const ALL: [Outcome; 5] = [
        Outcome::Completed,
        Outcome::CheckFailed,
        Outcome::BadInput,
        Outcome::RolledBack,
        Outcome::OperatorMustAct,
    ];

    /// CONTRACT.md's exit status.
    pub const fn exit_code(self) -> u8 {
        match self {
            Outcome::Completed => 0,
            Outcome::CheckFailed => 1,
            Outcome::BadInput => 2,
            Outcome::RolledBack => 3,
            Outcome::OperatorMustAct => 4,
        }
    }

    /// The outcome a recorded exit status stands for.
    pub fn from_exit_code(code: u8) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.exit_code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_round_trip_and_are_distinct() {
        for o in Outcome::ALL {
            assert_eq!(Outcome::from_exit_code(o.exit_code()), Some(o));
        }
        assert_eq!(Outcome::from_exit_code(5), None);
    }
}
