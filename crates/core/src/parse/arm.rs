//! ARM JSON bodies -> the [`crate::model::azure`] types and their
//! normalized summaries (what `cutover parse arm-*` prints).
//!
//! # Accepted input
//!
//! - The response body as ARM sends it.
//! - A REST API example file (`{"parameters": …, "responses": {"200":
//!   {"body": …}}}`), as operators paste them from the docs: the body of the
//!   `200` response is used, else that of the `201` (for `arm-error`: the
//!   first non-2xx response with a body).
//! - The az CLI shapes: a list as a bare JSON array, and resources with
//!   `properties` flattened into the top level (`azureAsn`, `peerAsn`).
//! - Lines before the JSON (an echoed command, a prompt) and anything after
//!   it are ignored.
//!
//! A syntax error, or a body of the wrong shape, is a [`ParseError`] naming
//! the input line serde_json stopped at (0 when the body was taken out of an
//! example file or reshaped, so that no input line matches). An ARM error
//! body given to any kind but `arm-error` is refused with its code, so a
//! failed read never passes for an empty one.
//!
//! # Output (snake_case JSON; `null` where the body lacks a field)
//!
//! `arm-routes` (getLearnedRoutes / getAdvertisedRoutes), one entry per
//! route in server order; `network` in canonical prefix form where it is a
//! prefix, else as sent; `as_path` the AS numbers (`[]` for the gateway's
//! own routes, `null` where the text is not a list of ASNs):
//!
//! ```json
//! {"routes": [{"network": "10.1.11.0/25", "next_hop": "10.17.11.69",
//!   "source_peer": "10.17.11.69", "origin": "IBgp", "as_path": [12076, 65020],
//!   "weight": 32769, "local_address": "10.17.11.76"}]}
//! ```
//!
//! `arm-bgp-peers` (getBgpPeerStatus); `connected_seconds` is the whole
//! seconds of `connectedDuration` (`null` where that is not a TimeSpan):
//!
//! ```json
//! {"peers": [{"neighbor": "192.168.11.88", "asn": 65020, "state": "Connected",
//!   "local_address": "10.17.11.76", "connected_seconds": 20537,
//!   "routes_received": 1, "messages_sent": 412, "messages_received": 398}]}
//! ```
//!
//! `arm-peering` (one peering or a list; always a list out, server order):
//!
//! ```json
//! {"peerings": [{"name": "AzurePrivatePeering", "peering_type": "AzurePrivatePeering",
//!   "state": "Enabled", "provisioning_state": "Succeeded", "azure_asn": 12076,
//!   "peer_asn": 65020, "primary_peer_address_prefix": "192.168.11.16/30",
//!   "secondary_peer_address_prefix": "192.168.11.20/30", "vlan_id": 11,
//!   "etag": "W/\"3c7e…\""}], "next_link": null}
//! ```
//!
//! `arm-circuit`: `name`, `location`, `etag`, `provisioning_state`,
//! `circuit_provisioning_state`, `service_provider_provisioning_state`,
//! `service_provider`, `peering_location`, `bandwidth_mbps`, `sku_tier`,
//! `sku_family`, and `peerings` as in `arm-peering`.
//!
//! `arm-connection`: `name`, `connection_status`, `connection_type`,
//! `connection_protocol`, `enable_bgp`, `provisioning_state`,
//! `ingress_bytes`, `egress_bytes`, and `tunnels` (`null` when the body
//! lists none), each `{tunnel, connection_status, ingress_bytes,
//! egress_bytes, last_connection_established}`.
//!
//! `arm-error` (a CloudError, or an async-operation status carrying one):
//! `{code, message, target, details: [same shape], additional_info: [{type,
//! info}]}`.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::ParseError;
use crate::model::Prefix;
use crate::model::azure::{
    BgpPeerState, BgpPeerStatus, BgpPeerStatusListResult, CloudError, CloudErrorBody,
    ConnectionStatus, ExpressRouteCircuit, ExpressRouteCircuitPeering,
    ExpressRouteCircuitPeeringListResult, GatewayRoute, GatewayRouteListResult, Origin,
    PeeringState, PeeringType, ProvisioningState, TunnelConnectionHealth,
    VirtualNetworkGatewayConnection,
};

/// `arm-routes` output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoutesSummary {
    pub routes: Vec<RouteSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteSummary {
    pub network: Option<String>,
    pub next_hop: Option<String>,
    pub source_peer: Option<String>,
    pub origin: Option<Origin>,
    pub as_path: Option<Vec<u32>>,
    pub weight: Option<u32>,
    pub local_address: Option<String>,
}

/// `arm-bgp-peers` output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BgpPeersSummary {
    pub peers: Vec<BgpPeerSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BgpPeerSummary {
    pub neighbor: Option<String>,
    pub asn: Option<u32>,
    pub state: Option<BgpPeerState>,
    pub local_address: Option<String>,
    pub connected_seconds: Option<u64>,
    pub routes_received: Option<u64>,
    pub messages_sent: Option<u64>,
    pub messages_received: Option<u64>,
}

/// `arm-peering` output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeeringsSummary {
    pub peerings: Vec<PeeringSummary>,
    pub next_link: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeeringSummary {
    pub name: Option<String>,
    pub peering_type: Option<PeeringType>,
    pub state: Option<PeeringState>,
    pub provisioning_state: Option<ProvisioningState>,
    pub azure_asn: Option<u32>,
    pub peer_asn: Option<u32>,
    pub primary_peer_address_prefix: Option<String>,
    pub secondary_peer_address_prefix: Option<String>,
    pub vlan_id: Option<u32>,
    pub etag: Option<String>,
}

/// `arm-circuit` output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CircuitSummary {
    pub name: Option<String>,
    pub location: Option<String>,
    pub etag: Option<String>,
    pub provisioning_state: Option<ProvisioningState>,
    pub circuit_provisioning_state: Option<String>,
    pub service_provider_provisioning_state: Option<String>,
    pub service_provider: Option<String>,
    pub peering_location: Option<String>,
    pub bandwidth_mbps: Option<u32>,
    pub sku_tier: Option<String>,
    pub sku_family: Option<String>,
    pub peerings: Vec<PeeringSummary>,
}

/// `arm-connection` output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectionSummary {
    pub name: Option<String>,
    pub connection_status: Option<ConnectionStatus>,
    pub connection_type: Option<String>,
    pub connection_protocol: Option<String>,
    pub enable_bgp: Option<bool>,
    pub provisioning_state: Option<ProvisioningState>,
    pub ingress_bytes: Option<u64>,
    pub egress_bytes: Option<u64>,
    pub tunnels: Option<Vec<TunnelSummary>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TunnelSummary {
    pub tunnel: Option<String>,
    pub connection_status: Option<ConnectionStatus>,
    pub ingress_bytes: Option<u64>,
    pub egress_bytes: Option<u64>,
    pub last_connection_established: Option<String>,
}

/// `arm-error` output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorSummary {
    pub code: Option<String>,
    pub message: Option<String>,
    pub target: Option<String>,
    pub details: Vec<ErrorSummary>,
    pub additional_info: Vec<AdditionalInfoSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AdditionalInfoSummary {
    #[serde(rename = "type")]
    pub info_type: Option<String>,
    pub info: Option<Value>,
}

// ---- the parsers -----------------------------------------------------------

/// getLearnedRoutes / getAdvertisedRoutes: `{value}`, a bare array, or an
/// example file.
pub fn parse_routes(input: &str) -> Result<RoutesSummary, ParseError> {
    let list = read_route_list(input)?;
    Ok(RoutesSummary {
        routes: list.value.iter().map(route_summary).collect(),
    })
}

/// The typed form behind [`parse_routes`].
pub fn read_route_list(input: &str) -> Result<GatewayRouteListResult, ParseError> {
    let doc = Doc::load(input, Want::Success)?;
    doc.list("GatewayRouteListResult", |v| GatewayRouteListResult {
        value: v,
        extra: Map::new(),
    })
}

/// getBgpPeerStatus: `{value}`, a bare array, or an example file.
pub fn parse_bgp_peers(input: &str) -> Result<BgpPeersSummary, ParseError> {
    let list = read_bgp_peer_list(input)?;
    Ok(BgpPeersSummary {
        peers: list.value.iter().map(peer_summary).collect(),
    })
}

/// The typed form behind [`parse_bgp_peers`].
pub fn read_bgp_peer_list(input: &str) -> Result<BgpPeerStatusListResult, ParseError> {
    let doc = Doc::load(input, Want::Success)?;
    doc.list("BgpPeerStatusListResult", |v| BgpPeerStatusListResult {
        value: v,
        extra: Map::new(),
    })
}

/// One peering, a peering list page, or a bare array of peerings.
pub fn parse_peerings(input: &str) -> Result<PeeringsSummary, ParseError> {
    let list = read_peerings(input)?;
    Ok(PeeringsSummary {
        peerings: list.value.iter().map(peering_summary).collect(),
        next_link: list.next_link,
    })
}

/// The typed form behind [`parse_peerings`]; a single peering comes back as
/// a one-item list.
pub fn read_peerings(input: &str) -> Result<ExpressRouteCircuitPeeringListResult, ParseError> {
    let doc = Doc::load(input, Want::Success)?;
    let is_list = match &doc.value {
        Value::Array(_) => true,
        Value::Object(m) => m.contains_key("value"),
        _ => false,
    };
    if is_list {
        return doc.list("ExpressRouteCircuitPeeringListResult", |v| {
            ExpressRouteCircuitPeeringListResult {
                value: v,
                next_link: None,
                extra: Map::new(),
            }
        });
    }
    let one: ExpressRouteCircuitPeering =
        doc.resource("ExpressRouteCircuitPeering", PEERING_KEYS)?;
    Ok(ExpressRouteCircuitPeeringListResult {
        value: vec![one],
        next_link: None,
        extra: Map::new(),
    })
}

/// An ExpressRouteCircuit.
pub fn parse_circuit(input: &str) -> Result<CircuitSummary, ParseError> {
    let c = read_circuit(input)?;
    let p = &c.properties;
    let sp = p.service_provider_properties.as_ref();
    Ok(CircuitSummary {
        name: c.name.clone(),
        location: c.location.clone(),
        etag: c.etag.clone(),
        provisioning_state: p.provisioning_state.clone(),
        circuit_provisioning_state: p.circuit_provisioning_state.clone(),
        service_provider_provisioning_state: p.service_provider_provisioning_state.clone(),
        service_provider: sp.and_then(|s| s.service_provider_name.clone()),
        peering_location: sp.and_then(|s| s.peering_location.clone()),
        bandwidth_mbps: sp.and_then(|s| s.bandwidth_in_mbps),
        sku_tier: c.sku.as_ref().and_then(|s| s.tier.clone()),
        sku_family: c.sku.as_ref().and_then(|s| s.family.clone()),
        peerings: c.peerings().iter().map(peering_summary).collect(),
    })
}

/// The typed form behind [`parse_circuit`].
pub fn read_circuit(input: &str) -> Result<ExpressRouteCircuit, ParseError> {
    Doc::load(input, Want::Success)?.resource("ExpressRouteCircuit", CIRCUIT_KEYS)
}

/// A VirtualNetworkGatewayConnection.
pub fn parse_connection(input: &str) -> Result<ConnectionSummary, ParseError> {
    let c = read_connection(input)?;
    let p = &c.properties;
    Ok(ConnectionSummary {
        name: c.name.clone(),
        connection_status: p.connection_status.clone(),
        connection_type: p.connection_type.clone(),
        connection_protocol: p.connection_protocol.clone(),
        enable_bgp: p.enable_bgp,
        provisioning_state: p.provisioning_state.clone(),
        ingress_bytes: p.ingress_bytes_transferred,
        egress_bytes: p.egress_bytes_transferred,
        tunnels: p
            .tunnel_connection_status
            .as_ref()
            .map(|t| t.iter().map(tunnel_summary).collect()),
    })
}

/// The typed form behind [`parse_connection`].
pub fn read_connection(input: &str) -> Result<VirtualNetworkGatewayConnection, ParseError> {
    Doc::load(input, Want::Success)?.resource("VirtualNetworkGatewayConnection", CONNECTION_KEYS)
}

/// A CloudError body (or an async-operation status that carries `error`).
pub fn parse_error(input: &str) -> Result<ErrorSummary, ParseError> {
    let e = read_error(input)?;
    Ok(match &e.error {
        Some(body) => error_summary(body),
        // The unwrapped form some services send.
        None => ErrorSummary {
            code: e.code().map(str::to_owned),
            message: e.message().map(str::to_owned),
            target: e
                .extra
                .get("target")
                .and_then(Value::as_str)
                .map(str::to_owned),
            details: Vec::new(),
            additional_info: Vec::new(),
        },
    })
}

/// The typed form behind [`parse_error`].
pub fn read_error(input: &str) -> Result<CloudError, ParseError> {
    let doc = Doc::load(input, Want::Failure)?;
    let e: CloudError = doc.typed("CloudError", doc.value.clone())?;
    if e.error.is_none() && e.code().is_none() && e.message().is_none() {
        return Err(ParseError::new(
            doc.start_line(),
            "not an ARM error body: no `error` object (expected {\"error\": {\"code\": …, \"message\": …}})",
        ));
    }
    Ok(e)
}

// ---- summaries -------------------------------------------------------------

fn route_summary(r: &GatewayRoute) -> RouteSummary {
    RouteSummary {
        network: r.network.as_deref().map(|n| match Prefix::parse_strict(n) {
            Ok(p) => p.to_string(),
            Err(_) => n.to_owned(),
        }),
        next_hop: r.next_hop.clone(),
        source_peer: r.source_peer.clone(),
        origin: r.origin.clone(),
        as_path: r.as_path_asns(),
        weight: r.weight,
        local_address: r.local_address.clone(),
    }
}

fn peer_summary(p: &BgpPeerStatus) -> BgpPeerSummary {
    BgpPeerSummary {
        neighbor: p.neighbor.clone(),
        asn: p.asn,
        state: p.state.clone(),
        local_address: p.local_address.clone(),
        connected_seconds: p.connected_for().map(|d| d.as_secs()),
        routes_received: p.routes_received,
        messages_sent: p.messages_sent,
        messages_received: p.messages_received,
    }
}

fn peering_summary(p: &ExpressRouteCircuitPeering) -> PeeringSummary {
    let q = &p.properties;
    PeeringSummary {
        name: p.name.clone(),
        peering_type: q.peering_type.clone(),
        state: q.state.clone(),
        provisioning_state: q.provisioning_state.clone(),
        azure_asn: q.azure_asn,
        peer_asn: q.peer_asn,
        primary_peer_address_prefix: q.primary_peer_address_prefix.clone(),
        secondary_peer_address_prefix: q.secondary_peer_address_prefix.clone(),
        vlan_id: q.vlan_id,
        etag: p.etag.clone(),
    }
}

fn tunnel_summary(t: &TunnelConnectionHealth) -> TunnelSummary {
    TunnelSummary {
        tunnel: t.tunnel.clone(),
        connection_status: t.connection_status.clone(),
        ingress_bytes: t.ingress_bytes_transferred,
        egress_bytes: t.egress_bytes_transferred,
        last_connection_established: t.last_connection_established_utc_time.clone(),
    }
}

/// Recursion depth is bounded: serde_json refuses input nested deeper than
/// 128 levels, and each level of `details` takes two.
fn error_summary(b: &CloudErrorBody) -> ErrorSummary {
    ErrorSummary {
        code: b.code.clone(),
        message: b.message.clone(),
        target: b.target.clone(),
        details: b.details.iter().flatten().map(error_summary).collect(),
        additional_info: b
            .additional_info
            .iter()
            .flatten()
            .map(|i| AdditionalInfoSummary {
                info_type: i.info_type.clone(),
                info: i.info.clone(),
            })
            .collect(),
    }
}

// ---- input handling --------------------------------------------------------

/// Top-level members of a resource; the az CLI leaves these in place when it
/// flattens `properties` (it also adds `resourceGroup`).
const RESOURCE_KEYS: &[&str] = &[
    "id",
    "name",
    "etag",
    "type",
    "location",
    "tags",
    "sku",
    "identity",
    "extendedLocation",
    "resourceGroup",
];

/// Members that only a flattened (az CLI) body of that resource has at the
/// top level.
const PEERING_KEYS: &[&str] = &["peeringType", "azureAsn", "peerAsn", "vlanId", "state"];
const CIRCUIT_KEYS: &[&str] = &[
    "serviceProviderProvisioningState",
    "circuitProvisioningState",
    "serviceProviderProperties",
    "peerings",
];
const CONNECTION_KEYS: &[&str] = &[
    "connectionStatus",
    "connectionType",
    "tunnelConnectionStatus",
];

/// The az CLI spells these members as the Python SDK names them.
const CLI_RENAMES: &[(&str, &str)] = &[("azureAsn", "azureASN"), ("peerAsn", "peerASN")];

/// Which response of an example file holds the body wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    Success,
    Failure,
}

/// The JSON value found in a capture, and where it came from.
#[derive(Debug)]
struct Doc<'a> {
    /// The input from the line where the JSON starts.
    text: &'a str,
    /// Input lines before `text`.
    skipped: usize,
    value: Value,
    /// Set when `value` is no longer the JSON of `text` (taken out of an
    /// example file, or reshaped): errors then cannot name an input line.
    origin: Option<String>,
}

impl<'a> Doc<'a> {
    fn load(input: &'a str, want: Want) -> Result<Self, ParseError> {
        let (text, skipped) = json_start(input)?;
        let value = match serde_json::Deserializer::from_str(text)
            .into_iter::<Value>()
            .next()
        {
            Some(Ok(v)) => v,
            Some(Err(e)) => return Err(located(&e, skipped, "invalid JSON")),
            None => return Err(ParseError::new(0, "empty input: expected an ARM JSON body")),
        };
        let mut doc = Doc {
            text,
            skipped,
            value,
            origin: None,
        };
        doc.unwrap_example(want)?;
        if want == Want::Success {
            doc.refuse_error_body()?;
        }
        Ok(doc)
    }

    fn start_line(&self) -> usize {
        if self.origin.is_some() {
            0
        } else {
            self.skipped + 1
        }
    }

    /// Replaces an example file by the body of the response wanted.
    fn unwrap_example(&mut self, want: Want) -> Result<(), ParseError> {
        let Some(Value::Object(responses)) = self.value.get("responses") else {
            return Ok(());
        };
        let has_body = |code: &str| responses.get(code).and_then(|r| r.get("body")).is_some();
        let code = match want {
            Want::Success => ["200", "201"]
                .into_iter()
                .find(|c| has_body(c))
                .map(str::to_owned),
            Want::Failure => responses
                .keys()
                .find(|c| !c.starts_with('2') && has_body(c))
                .cloned(),
        };
        let Some(code) = code else {
            let which = match want {
                Want::Success => "a 200 or 201",
                Want::Failure => "an error",
            };
            return Err(ParseError::new(
                self.start_line(),
                format!("example file without {which} response body"),
            ));
        };
        let body = match self
            .value
            .get_mut("responses")
            .and_then(|r| r.get_mut(code.as_str()))
        {
            Some(r) => r.get_mut("body").map(Value::take).unwrap_or(Value::Null),
            None => Value::Null,
        };
        self.value = body;
        self.origin = Some(format!("responses.{code}.body of the example file"));
        Ok(())
    }

    /// An error body read as a success body would look like an empty or
    /// partial result; refuse it and say what ARM answered.
    fn refuse_error_body(&self) -> Result<(), ParseError> {
        let Some(Value::Object(err)) = self.value.get("error") else {
            return Ok(());
        };
        let text = |k: &str| err.get(k).and_then(Value::as_str).unwrap_or("?");
        Err(ParseError::new(
            self.start_line(),
            format!(
                "this is an ARM error body, not a result: {}: {} (use `cutover parse arm-error`)",
                text("code"),
                text("message")
            ),
        ))
    }

    fn where_(&self) -> String {
        self.origin
            .as_ref()
            .map(|o| format!(" (in {o})"))
            .unwrap_or_default()
    }

    /// Deserializes `value` as `T`; on failure, re-reads the text to find
    /// the line serde_json stops at.
    fn typed<T: DeserializeOwned>(&self, what: &str, value: Value) -> Result<T, ParseError> {
        let err = match serde_json::from_value::<T>(value) {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        if self.origin.is_none() {
            let mut de = serde_json::Deserializer::from_str(self.text);
            if let Err(e) = T::deserialize(&mut de) {
                return Err(located(&e, self.skipped, &format!("not an ARM {what}")));
            }
        }
        Err(ParseError::new(
            0,
            format!("not an ARM {what}{}: {err}", self.where_()),
        ))
    }

    /// A `{value: [...]}` list, a bare array (az CLI), or the `{}` body of
    /// the official examples.
    fn list<T, I>(mut self, what: &str, wrap: impl FnOnce(Vec<I>) -> T) -> Result<T, ParseError>
    where
        T: DeserializeOwned,
        I: DeserializeOwned,
    {
        match self.value.take() {
            v @ Value::Array(_) => self.typed::<Vec<I>>(&format!("{what} array"), v).map(wrap),
            Value::Object(m) if m.is_empty() || m.contains_key("value") => {
                self.typed(what, Value::Object(m))
            }
            other => Err(ParseError::new(
                self.start_line(),
                format!(
                    "not an ARM {what}{}: expected {{\"value\": [...]}}, found {}",
                    self.where_(),
                    describe(&other)
                ),
            )),
        }
    }

    /// A resource, as ARM sends it or flattened by the az CLI.
    fn resource<T: DeserializeOwned>(
        mut self,
        what: &str,
        markers: &[&str],
    ) -> Result<T, ParseError> {
        let value = self.value.take();
        let value = match value {
            Value::Object(m)
                if !m.contains_key("properties") && markers.iter().any(|k| m.contains_key(*k)) =>
            {
                self.origin = Some("the az CLI form, with `properties` flattened".into());
                unflatten(m)
            }
            Value::Object(m) => Value::Object(m),
            other => {
                return Err(ParseError::new(
                    self.start_line(),
                    format!(
                        "not an ARM {what}{}: expected an object, found {}",
                        self.where_(),
                        describe(&other)
                    ),
                ));
            }
        };
        self.typed(what, value)
    }
}

/// Rebuilds `properties` from an az CLI object, recursing into `peerings`.
fn unflatten(mut top: Map<String, Value>) -> Value {
    let mut props = Map::new();
    let keys: Vec<String> = top
        .keys()
        .filter(|k| !RESOURCE_KEYS.contains(&k.as_str()))
        .cloned()
        .collect();
    for k in keys {
        let Some(mut v) = top.remove(&k) else {
            continue;
        };
        if let (true, Value::Array(items)) = (k == "peerings", &mut v) {
            for item in items.iter_mut() {
                if let Value::Object(m) = item
                    && !m.contains_key("properties")
                {
                    *item = unflatten(std::mem::take(m));
                }
            }
        }
        let name = CLI_RENAMES
            .iter()
            .find(|(cli, _)| *cli == k)
            .map_or(k, |(_, arm)| (*arm).to_owned());
        props.insert(name, v);
    }
    top.insert("properties".into(), Value::Object(props));
    Value::Object(top)
}

fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object without `value`",
    }
}

/// Where the JSON starts: at the first non-blank character when that opens
/// a value, else at the first line that starts with `{` or `[` (skipping an
/// echoed command or a prompt). Returns that text and the lines before it.
fn json_start(input: &str) -> Result<(&str, usize), ParseError> {
    let input = input.strip_prefix('\u{feff}').unwrap_or(input);
    let mut offset = 0;
    let mut first_text_line = None;
    for (i, line) in input.split_inclusive('\n').enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with(['{', '[']) {
            let lead = line.len() - trimmed.len();
            let text = input.get(offset + lead..).unwrap_or_default();
            return Ok((text, i));
        }
        if first_text_line.is_none() && !trimmed.is_empty() {
            first_text_line = Some(i + 1);
        }
        offset += line.len();
    }
    Err(match first_text_line {
        Some(line) => ParseError::new(
            line,
            "no JSON object or array found (expected an ARM response body)",
        ),
        None => ParseError::new(0, "empty input: expected an ARM JSON body"),
    })
}

/// A ParseError at serde_json's line, shifted by the skipped lines, without
/// serde_json's own "at line L column C" suffix (the column stays, as text).
fn located(e: &serde_json::Error, skipped: usize, what: &str) -> ParseError {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let msg = full.strip_suffix(&suffix).unwrap_or(&full);
    if e.line() == 0 {
        ParseError::new(0, format!("{what}: {msg}"))
    } else {
        ParseError::new(
            skipped + e.line(),
            format!("{what}: {msg} (column {})", e.column()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_name_the_input_line() {
        let e =
            parse_routes("$ az network vnet-gateway list-learned-routes\n{\n  \"value\": [,]\n}")
                .unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        assert!(e.message.starts_with("invalid JSON"), "{e}");
    }

    #[test]
    fn shape_errors_name_the_input_line() {
        let e = parse_routes("{\"value\": [\n {\"weight\": \"heavy\"}\n]}").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        assert!(e.message.contains("invalid type"), "{e}");
        let e = parse_peerings("{\n\"name\": \"x\"\n}").unwrap_err();
        assert!(e.message.contains("properties"), "{e}");
        assert_eq!(e.line, 3, "{e}");
    }

    #[test]
    fn error_bodies_are_refused_as_results() {
        let body = r#"{"error": {"code": "ResourceNotFound", "message": "gone"}}"#;
        for r in [
            parse_routes(body).map(|_| ()),
            parse_bgp_peers(body).map(|_| ()),
            parse_peerings(body).map(|_| ()),
            parse_circuit(body).map(|_| ()),
            parse_connection(body).map(|_| ()),
        ] {
            let e = r.unwrap_err();
            assert!(e.message.contains("ResourceNotFound"), "{e}");
        }
        assert_eq!(
            parse_error(body).map(|e| e.code),
            Ok(Some("ResourceNotFound".into()))
        );
    }

    #[test]
    fn other_shapes_are_refused() {
        assert!(parse_routes(r#"{"name": "x", "properties": {}}"#).is_err());
        assert!(parse_routes("[1]").is_err());
        assert!(parse_error(r#"{"value": []}"#).is_err());
        assert!(parse_circuit("[]").is_err());
        assert!(parse_routes("").is_err());
        assert_eq!(parse_routes("   \n  \n").unwrap_err().line, 0);
        assert_eq!(parse_routes("\nno json here\n").unwrap_err().line, 2);
    }

    #[test]
    fn cli_forms() {
        let routes = parse_routes(
            r#"[{"asPath": "", "localAddress": "10.17.11.76", "network": "10.17.11.0/25",
                 "nextHop": null, "origin": "Network", "sourcePeer": "10.17.11.76", "weight": 32768}]"#,
        )
        .expect("bare array");
        assert_eq!(
            routes.routes.first().and_then(|r| r.as_path.clone()),
            Some(vec![])
        );

        let p = parse_peerings(
            r#"{"azureAsn": 12076, "peerAsn": 65020, "peeringType": "AzurePrivatePeering",
                "state": "Enabled", "vlanId": 11, "name": "AzurePrivatePeering",
                "resourceGroup": "rg-er-lab", "etag": "W/\"1\""}"#,
        )
        .expect("flattened peering");
        let one = p.peerings.first().expect("one peering");
        assert_eq!(
            (one.azure_asn, one.peer_asn, one.vlan_id),
            (Some(12076), Some(65020), Some(11))
        );
        assert_eq!(one.state, Some(PeeringState::Enabled));

        let c = parse_circuit(
            r#"{"name": "er", "serviceProviderProvisioningState": "Provisioned",
                "peerings": [{"name": "AzurePrivatePeering", "peerAsn": 65020}]}"#,
        )
        .expect("flattened circuit");
        assert_eq!(c.peerings.first().and_then(|p| p.peer_asn), Some(65020));
    }

    #[test]
    fn trailing_prompt_is_ignored() {
        let s =
            parse_error("{\"error\": {\"code\": \"Conflict\"}}\nuser@host:~$ ").expect("parses");
        assert_eq!(s.code.as_deref(), Some("Conflict"));
    }
}
