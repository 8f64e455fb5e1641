//! `show bgp summary | display xml` (`<bgp-information>`, with or without
//! the `<rpc-reply>` around it).

use super::junos_cli::{self, asn};
use super::xml_tree::{self, Element};
use crate::model::bgp::{
    BgpPeer, BgpSummary, PeerRib, PeerState, RibTotals, elapsed_secs, instance_of_table,
};
use crate::parse::ParseError;

pub(super) fn parse(input: &str) -> Result<BgpSummary, ParseError> {
    let root = xml_tree::parse(input)?;
    let info = root.find("bgp-information").ok_or_else(|| {
        ParseError::new(
            0,
            "expected a <bgp-information> element (`show bgp summary | display xml`)",
        )
    })?;
    let r = Reader;
    let mut out = BgpSummary {
        group_count: r.optional(info, "group-count")?,
        peer_count: r.optional(info, "peer-count")?,
        down_peer_count: r.optional(info, "down-peer-count")?,
        ..BgpSummary::default()
    };
    for rib in info.children_named("bgp-rib") {
        let name = r.text(rib, "name")?;
        out.tables.push(RibTotals {
            name: name.to_owned(),
            instance: instance_of_table(name).map(str::to_owned),
            total_paths: r.required(rib, "total-prefix-count")?,
            active_paths: r.required(rib, "active-prefix-count")?,
            suppressed: r.required(rib, "suppressed-prefix-count")?,
            history: r.required(rib, "history-prefix-count")?,
            damp_state: r.required(rib, "damped-prefix-count")?,
            pending: r.required(rib, "pending-prefix-count")?,
        });
    }
    for peer in info.children_named("bgp-peer") {
        out.peers.push(r.peer(peer)?);
    }
    Ok(out)
}

/// Reads fields, naming the input line of the element at fault.
struct Reader;

impl Reader {
    fn err(&self, el: &Element, message: String) -> ParseError {
        ParseError::new(el.line, message)
    }

    fn text<'e>(&self, el: &'e Element, name: &str) -> Result<&'e str, ParseError> {
        el.child_text(name)
            .ok_or_else(|| self.err(el, format!("<{}> has no <{name}>", el.name)))
    }

    fn optional<T: std::str::FromStr>(
        &self,
        el: &Element,
        name: &str,
    ) -> Result<Option<T>, ParseError> {
        let Some(child) = el.child(name) else {
            return Ok(None);
        };
        let text = child.text.trim();
        junos_cli::number(text, child.line, &format!("<{name}>")).map(Some)
    }

    fn required<T: std::str::FromStr>(&self, el: &Element, name: &str) -> Result<T, ParseError> {
        self.optional(el, name)?
            .ok_or_else(|| self.err(el, format!("<{}> has no <{name}>", el.name)))
    }

    fn peer(&self, peer: &Element) -> Result<BgpPeer, ParseError> {
        let address = self.text(peer, "peer-address")?;
        let as_el = peer
            .child("peer-as")
            .ok_or_else(|| self.err(peer, "<bgp-peer> has no <peer-as>".into()))?;
        let peer_as = asn(as_el.text.trim(), as_el.line)?;
        let elapsed = peer
            .child("elapsed-time")
            .ok_or_else(|| self.err(peer, "<bgp-peer> has no <elapsed-time>".into()))?;
        // The attribute is exact; the text (`20w6d20h`) is rounded to the hour.
        let last_up_down_secs = elapsed
            .attr("seconds")
            .and_then(junos_cli::parse_digits)
            .or_else(|| elapsed_secs(&elapsed.text))
            .ok_or_else(|| {
                self.err(
                    elapsed,
                    format!(
                        "<elapsed-time> `{}` is not an elapsed time",
                        elapsed.text.trim()
                    ),
                )
            })?;
        let state_el = peer
            .child("peer-state")
            .ok_or_else(|| self.err(peer, "<bgp-peer> has no <peer-state>".into()))?;
        let state = PeerState::from_junos(state_el.attr("format").unwrap_or(state_el.text.trim()));
        let mut ribs = Vec::new();
        for rib in peer.children_named("bgp-rib") {
            ribs.push(PeerRib::new(
                Some(self.text(rib, "name")?.to_owned()),
                self.required(rib, "active-prefix-count")?,
                self.required(rib, "received-prefix-count")?,
                self.optional(rib, "accepted-prefix-count")?,
                // The text column `Damped` is drawn from this element.
                self.required(rib, "suppressed-prefix-count")?,
            ));
        }
        Ok(BgpPeer {
            address: address.split('+').next().unwrap_or(address).to_owned(),
            peer_as,
            state,
            input_messages: self.required(peer, "input-messages")?,
            output_messages: self.required(peer, "output-messages")?,
            output_queue: self.required(peer, "route-queue-count")?,
            flaps: self.required(peer, "flap-count")?,
            last_up_down_secs,
            ribs,
        })
    }
}
