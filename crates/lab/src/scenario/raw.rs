//! The scenario file's shape as TOML holds it, with the spans that error
//! messages point at; `parse` checks it and turns it into a `Scenario`.

use serde::Deserialize;
use toml::Spanned;

use super::{Carriage, LocalPref};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScenario {
    pub(super) name: Spanned<String>,
    pub(super) description: Spanned<String>,
    #[serde(default)]
    pub(super) timing: RawTiming,
    #[serde(default)]
    pub(super) session: Vec<RawSession>,
    #[serde(default)]
    pub(super) export: Vec<RawExport>,
    #[serde(default, rename = "static")]
    pub(super) statics: Vec<RawStatic>,
    #[serde(default)]
    pub(super) tunnel: Vec<RawTunnel>,
    #[serde(default)]
    pub(super) arm: RawArm,
    #[serde(default)]
    pub(super) ssh: RawSsh,
    #[serde(default)]
    pub(super) data_plane: RawDataPlane,
    /// `[[objective]]`: checked by `objectives::check`.
    #[serde(default)]
    pub(super) objective: Vec<Spanned<cutover_core::drill::Objective>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTiming {
    pub(super) bfd: Option<bool>,
    pub(super) bfd_interval_ms: Option<Spanned<u64>>,
    pub(super) bfd_multiplier: Option<Spanned<u32>>,
    pub(super) hold_time_s: Option<Spanned<u64>>,
    pub(super) establish_ms: Option<Spanned<u64>>,
    pub(super) convergence_ms: Option<Spanned<u64>>,
    pub(super) convergence_max_ms: Option<Spanned<u64>>,
    pub(super) provisioning_s: Option<Spanned<u64>>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(super) enum RawSessionState {
    Down,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSession {
    pub(super) router: Spanned<String>,
    pub(super) neighbor: Spanned<String>,
    pub(super) state: RawSessionState,
    #[serde(default)]
    pub(super) down_for_s: Option<u64>,
}

/// `local_preference = 150` or `local_preference = "unset"`.
#[derive(Debug, Clone, Copy)]
pub(super) struct RawLocalPref(pub(super) LocalPref);

impl<'de> Deserialize<'de> for RawLocalPref {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = RawLocalPref;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a local preference (0 to 4294967295) or \"unset\"")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
                u32::try_from(v)
                    .map(|v| RawLocalPref(LocalPref::Value(v)))
                    .map_err(|_| {
                        E::custom(format!(
                            "local preference {v} is out of range 0..=4294967295"
                        ))
                    })
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
                u32::try_from(v)
                    .map(|v| RawLocalPref(LocalPref::Value(v)))
                    .map_err(|_| {
                        E::custom(format!(
                            "local preference {v} is out of range 0..=4294967295"
                        ))
                    })
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                if v == "unset" {
                    Ok(RawLocalPref(LocalPref::Unset))
                } else {
                    Err(E::invalid_value(serde::de::Unexpected::Str(v), &self))
                }
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawExport {
    pub(super) router: Spanned<String>,
    pub(super) neighbor: Spanned<String>,
    #[serde(default)]
    pub(super) local_preference: Option<RawLocalPref>,
    #[serde(default)]
    pub(super) deny: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) advertise: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStatic {
    pub(super) router: Spanned<String>,
    pub(super) prefix: Spanned<String>,
    pub(super) interface: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTunnel {
    pub(super) index: Spanned<usize>,
    pub(super) state: RawSessionState,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawArm {
    #[serde(default)]
    pub(super) operations: Option<super::OperationHeaders>,
    #[serde(default)]
    pub(super) result_without_status: Option<bool>,
    #[serde(default)]
    pub(super) etag_form: Option<super::EtagForm>,
    #[serde(default)]
    pub(super) peering_put: Vec<RawArmFault>,
    #[serde(default)]
    pub(super) fault: Vec<Spanned<RawArmRule>>,
}

/// One `[[arm.fault]]`; `fault::parse_faults` checks the combinations.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawArmRule {
    pub(super) method: Option<Spanned<String>>,
    pub(super) resource: Option<Spanned<String>>,
    /// An integer or a string (`"2-4"`, `"3-"`, `"every"`).
    pub(super) nth: Option<Spanned<toml::Value>>,
    pub(super) status: Option<Spanned<u16>>,
    pub(super) code: Option<Spanned<String>>,
    pub(super) message: Option<String>,
    pub(super) retry_after_s: Option<Spanned<u32>>,
    pub(super) latency_ms: Option<Spanned<u64>>,
    pub(super) hang: Option<Spanned<bool>>,
    pub(super) reset: Option<Spanned<bool>>,
    pub(super) malformed: Option<Spanned<bool>>,
    pub(super) operation: Option<Spanned<String>>,
    pub(super) provisioning_state: Option<Spanned<String>>,
    pub(super) token_expires_after: Option<Spanned<u32>>,
    pub(super) concurrent_writer: Option<Spanned<bool>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSsh {
    #[serde(default)]
    pub(super) fault: Vec<Spanned<RawSshFault>>,
}

/// One `[[ssh.fault]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSshFault {
    pub(super) device: Spanned<String>,
    pub(super) slow_ms: Option<Spanned<u64>>,
    pub(super) drop_after: Option<Spanned<u32>>,
    pub(super) refuse_login: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawArmFault {
    pub(super) status: Spanned<u16>,
    pub(super) code: Spanned<String>,
    #[serde(default)]
    pub(super) message: Option<String>,
    #[serde(default)]
    pub(super) retry_after_s: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDataPlane {
    #[serde(default)]
    pub(super) drop: Vec<Carriage>,
}
