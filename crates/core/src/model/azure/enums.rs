//! The open string enums of the ARM calls the procedure makes.

open_enum! {
    /// `properties.state` of a peering (ExpressRoutePeeringState).
    PeeringState {
        Disabled = "Disabled",
        Enabled = "Enabled",
    }
}

open_enum! {
    /// `properties.peeringType` of a peering (ExpressRoutePeeringType).
    PeeringType {
        AzurePublicPeering = "AzurePublicPeering",
        AzurePrivatePeering = "AzurePrivatePeering",
        MicrosoftPeering = "MicrosoftPeering",
    }
}

open_enum! {
    /// `properties.provisioningState` of any Network resource.
    ///
    /// network.json lists the first four; `Canceled` is the third terminal
    /// state of the ARM async contract, listed so that `is_terminal` can
    /// name it.
    ProvisioningState {
        Succeeded = "Succeeded",
        Updating = "Updating",
        Deleting = "Deleting",
        Failed = "Failed",
        Canceled = "Canceled",
    }
}

impl ProvisioningState {
    /// Whether a long-running operation on the resource has ended. ARM's
    /// contract names exactly three terminal states; any other value, known
    /// or not, means the operation is still running.
    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Canceled)
    }
}

open_enum! {
    /// `state` of a gateway BGP peer (BgpPeerState).
    BgpPeerState {
        Unknown = "Unknown",
        Stopped = "Stopped",
        Idle = "Idle",
        Connecting = "Connecting",
        Connected = "Connected",
    }
}

open_enum! {
    /// `connectionStatus` of a gateway connection or one of its tunnels
    /// (VirtualNetworkGatewayConnectionStatus).
    ConnectionStatus {
        Unknown = "Unknown",
        Connecting = "Connecting",
        Connected = "Connected",
        NotConnected = "NotConnected",
    }
}

open_enum! {
    /// `origin` of a gateway route. The spec gives it no enum at all; these
    /// are the values seen in real output.
    Origin {
        /// Originated by the gateway itself (its VNet, its BGP peers' /32s).
        Network = "Network",
        EBgp = "EBgp",
        IBgp = "IBgp",
        /// Seen on advertised routes.
        Igp = "Igp",
        Incomplete = "Incomplete",
    }
}

open_enum! {
    /// `status` of an Azure-AsyncOperation body.
    AsyncStatus {
        InProgress = "InProgress",
        Succeeded = "Succeeded",
        Failed = "Failed",
        /// Not in network.json's enum but terminal in ARM's contract.
        Canceled = "Canceled",
    }
}

impl AsyncStatus {
    /// Whether polling can stop: ARM names exactly three terminal values,
    /// and any other value (an RP may define its own) means "still running".
    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Canceled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_map_to_variants_and_unknown_ones_are_kept() {
        assert_eq!(PeeringState::from("Enabled"), PeeringState::Enabled);
        assert_eq!(
            PeeringState::from("Paused"),
            PeeringState::Other("Paused".into())
        );
        // Exact match only: the odd spelling must round-trip unchanged.
        assert_eq!(PeeringState::from("enabled").as_str(), "enabled");
        assert_eq!(Origin::from(String::from("IBgp")), Origin::IBgp);
    }

    #[test]
    fn serde_is_the_wire_text_both_ways() {
        let v: Vec<AsyncStatus> =
            serde_json::from_str(r#"["InProgress","Canceled","Deferred"]"#).expect("parses");
        assert_eq!(
            v,
            [
                AsyncStatus::InProgress,
                AsyncStatus::Canceled,
                AsyncStatus::Other("Deferred".into())
            ]
        );
        assert_eq!(
            serde_json::to_string(&v).expect("serializes"),
            r#"["InProgress","Canceled","Deferred"]"#
        );
        assert!(serde_json::from_str::<PeeringState>("1").is_err());
    }

    #[test]
    fn terminal_states() {
        assert!(ProvisioningState::Succeeded.is_terminal());
        assert!(ProvisioningState::Canceled.is_terminal());
        assert!(!ProvisioningState::Updating.is_terminal());
        assert!(!ProvisioningState::from("Creating").is_terminal());
        assert!(AsyncStatus::Failed.is_terminal());
        assert!(!AsyncStatus::from("Queued").is_terminal());
    }
}
