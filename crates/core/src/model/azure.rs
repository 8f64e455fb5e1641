//! Azure Resource Manager wire types (api-version 2024-05-01) for the calls
//! the procedure makes: the ExpressRoute peering toggle, the circuit, the VPN
//! gateway's route and BGP reads, the S2S connection, errors and the
//! long-running-operation status.
//!
//! The same types serve the ARM client (deserialize GET, serialize PUT) and
//! the lab's ARM emulator (serialize responses), so they go both ways.
//!
//! Rules that hold throughout (see `tests/fixtures/arm/NOTES.md`):
//!
//! - Every object keeps the fields this crate does not model in `extra`.
//!   A peering PUT replaces the resource, so anything dropped on the way
//!   from GET to PUT would be reset on the circuit. For the resources (the
//!   peering, circuit, connection, gateway and their nested objects) an
//!   absent field stays absent and a `null` stays `null`, so a deserialized
//!   resource serializes back to exactly the JSON value it came from.
//! - Every enum is an open string ([`PeeringState`] and friends have an
//!   `Other` variant): the spec marks them `modelAsString`, and a new value
//!   from Azure must not make a read fail. Known values match exactly
//!   (ARM returns the canonical spelling), so `Other` only ever holds text
//!   that is not one of the listed spellings.
//! - ETags are opaque strings; one official example carries a malformed one.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{Error as _, MapAccess, Visitor};
use serde_json::{Map, Value};

/// Defines an open string enum: the listed spellings map to variants,
/// anything else is kept verbatim in `Other`, and serialization writes the
/// text back unchanged.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this build does not know, kept as Azure sent it.
            /// Build values with `From<&str>`, which never puts a known
            /// spelling here.
            Other(String),
        }

        impl $name {
            /// The wire spelling.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $text, )+
                    Self::Other(s) => s,
                }
            }

            fn known(s: &str) -> Option<Self> {
                match s {
                    $( $text => Some(Self::$variant), )+
                    _ => None,
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self::known(s).unwrap_or_else(|| Self::Other(s.to_owned()))
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self::known(&s).unwrap_or(Self::Other(s))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                Ok(Self::from(s.as_ref()))
            }
        }
    };
}

/// Implements `Serialize`/`Deserialize` for a struct that derives them with
/// `#[serde(remote = "Self")]` and has a flattened `extra` map, so that a
/// `null` given for a modelled `Option` field survives the round trip.
///
/// A derived `Option` field reads `null` as `None` and, with
/// `skip_serializing_if`, writes nothing back: the value would change. Here
/// every `null` member is set aside before the derived code runs and put in
/// `extra`, where it is written back as `null`.
macro_rules! keep_nulls {
    ($ty:ty) => {
        impl $crate::model::azure::Lossless for $ty {
            const NAME: &'static str = stringify!($ty);
            fn from_non_null(
                rest: serde_json::Map<String, serde_json::Value>,
            ) -> Result<Self, serde_json::Error> {
                // The inherent (derived, remote = "Self") function, not the trait's.
                <$ty>::deserialize(serde_json::Value::Object(rest))
            }
            fn extra_mut(&mut self) -> &mut serde_json::Map<String, serde_json::Value> {
                &mut self.extra
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_map($crate::model::azure::KeepNulls::<$ty>::new())
            }
        }

        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                if !self.extra.values().any(serde_json::Value::is_null) {
                    return <$ty>::serialize(self, s);
                }
                // A kept `null` whose field has since been set (the PUT's
                // `state`, say) would be written after the new value, and
                // JSON readers keep the last one: drop such nulls.
                struct Derived<'a>(&'a $ty);
                impl serde::Serialize for Derived<'_> {
                    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                        <$ty>::serialize(self.0, s)
                    }
                }
                let mut modelled = self.clone();
                modelled.extra.retain(|_, v| !v.is_null());
                let set = serde_json::to_value(Derived(&modelled))
                    .map_err(<S::Error as serde::ser::Error>::custom)?;
                for (k, v) in &self.extra {
                    if v.is_null() && set.get(k).is_none() {
                        modelled.extra.insert(k.clone(), serde_json::Value::Null);
                    }
                }
                <$ty>::serialize(&modelled, s)
            }
        }
    };
}

mod circuit;
mod enums;
mod error;
mod failover_test;
mod gateway;
mod link_failover_test;
mod peering;

pub use circuit::{CircuitProperties, CircuitSku, ExpressRouteCircuit, ServiceProviderProperties};
pub use enums::{
    AsyncStatus, BgpPeerState, ConnectionStatus, Origin, PeeringState, PeeringType,
    ProvisioningState,
};
pub use error::{AsyncOperationStatus, CloudError, CloudErrorBody, ErrorAdditionalInfo};
pub use failover_test::{
    FailoverConnectionDetails, FailoverRedundantRoute, FailoverSingleTestDetails,
    FailoverStopParameters, is_running_status,
};
pub use gateway::{
    BgpPeerStatus, BgpPeerStatusListResult, BgpSettings, ConnectionProperties, GatewayProperties,
    GatewayRoute, GatewayRouteListResult, GatewaySku, IpConfigurationBgpPeeringAddress,
    SubResource, TunnelConnectionHealth, VirtualNetworkGateway, VirtualNetworkGatewayConnection,
    parse_as_path, parse_timespan,
};
pub use link_failover_test::{
    FailoverTestDetails, FailoverTestSummary, LinkFailoverRoute, LinkFailoverRouteList,
    LinkFailoverSingleTestDetails,
};
pub use peering::{
    ExpressRouteCircuitPeering, ExpressRouteCircuitPeeringListResult, PeeringProperties,
};

/// A struct whose `Deserialize` is [`KeepNulls`]; see `keep_nulls!`.
pub(crate) trait Lossless: Sized {
    const NAME: &'static str;
    fn from_non_null(rest: Map<String, Value>) -> Result<Self, serde_json::Error>;
    fn extra_mut(&mut self) -> &mut Map<String, Value>;
}

/// Reads an object, runs the derived code on its non-null members and puts
/// the `null` ones in `extra`.
///
/// A visitor rather than a plain `Map::deserialize` so that serde_json,
/// while streaming text, stamps errors with the position of the object.
pub(crate) struct KeepNulls<T>(PhantomData<T>);

impl<T> KeepNulls<T> {
    pub(crate) fn new() -> Self {
        Self(PhantomData)
    }
}

impl<'de, T: Lossless> Visitor<'de> for KeepNulls<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a JSON object ({})", T::NAME)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<T, A::Error> {
        let mut rest = Map::new();
        let mut nulls = Map::new();
        // A repeated key keeps its last value, as serde_json's own Map does.
        while let Some((k, v)) = access.next_entry::<String, Value>()? {
            if v.is_null() {
                rest.remove(&k);
                nulls.insert(k, v);
            } else {
                nulls.remove(&k);
                rest.insert(k, v);
            }
        }
        let mut t = T::from_non_null(rest).map_err(A::Error::custom)?;
        t.extra_mut().extend(nulls);
        Ok(t)
    }
}
