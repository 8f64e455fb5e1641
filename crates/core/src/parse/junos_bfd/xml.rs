//! `show bfd session ... | display xml` (`<bfd-session-information>`).

use crate::model::bgp::elapsed_secs;
use crate::model::tunnel::{BfdClient, BfdSession, BfdSessions, BfdState};
use crate::parse::ParseError;
use crate::parse::junos_bgp_summary::junos_cli::{self, millis};
use crate::parse::junos_bgp_summary::xml_tree::{self, Element};

pub(super) fn parse(input: &str) -> Result<BfdSessions, ParseError> {
    let root = xml_tree::parse(input)?;
    let info = root.find("bfd-session-information").ok_or_else(|| {
        ParseError::new(
            0,
            "expected a <bfd-session-information> element (`show bfd session | display xml`)",
        )
    })?;
    let mut out = BfdSessions {
        session_count: number(info, "sessions")?,
        client_count: number(info, "clients")?,
        transmit_rate_pps: rate(info, "cumulative-transmission-rate")?,
        receive_rate_pps: rate(info, "cumulative-reception-rate")?,
        ..BfdSessions::default()
    };
    for s in info.children_named("bfd-session") {
        out.sessions.push(session(s)?);
    }
    Ok(out)
}

fn session(s: &Element) -> Result<BfdSession, ParseError> {
    let err = |el: &Element, message: String| ParseError::new(el.line, message);
    let address = s
        .child_text("session-neighbor")
        .ok_or_else(|| err(s, "<bfd-session> has no <session-neighbor>".into()))?;
    let state = s
        .child_text("session-state")
        .ok_or_else(|| err(s, "<bfd-session> has no <session-state>".into()))?;
    let mut out = BfdSession::new(address.to_owned(), BfdState::from_junos(state));
    out.interface = s.child_text("session-interface").map(str::to_owned);
    out.detect_time_ms = time_ms(s, "session-detection-time")?;
    out.transmit_interval_ms = time_ms(s, "session-transmission-interval")?;
    out.multiplier = number(s, "session-adaptive-multiplier")?;
    for c in s.children_named("bfd-client") {
        out.clients.push(BfdClient {
            name: c
                .child_text("client-name")
                .ok_or_else(|| err(c, "<bfd-client> has no <client-name>".into()))?
                .to_owned(),
            tx_interval_ms: time_ms(c, "client-transmission-interval")?,
            rx_interval_ms: time_ms(c, "client-reception-interval")?,
        });
    }
    out.up_time_secs = s.child("session-up-time").and_then(|u| {
        u.attr("seconds")
            .and_then(junos_cli::parse_digits)
            .or_else(|| elapsed_secs(&u.text))
    });
    out.local_diagnostic = s.child_text("local-diagnostic").map(str::to_owned);
    out.remote_diagnostic = s.child_text("remote-diagnostic").map(str::to_owned);
    out.remote_state = s.child_text("remote-state").map(BfdState::from_junos);
    out.version = number(s, "session-version")?;
    out.session_type = s.child_text("session-type").map(str::to_owned);
    out.local_discriminator = number(s, "local-discriminator")?;
    out.remote_discriminator = number(s, "remote-discriminator")?;
    out.local_address = s.child_text("multihop-local-address").map(str::to_owned);
    // Junos 13.3 files the session id as text of a misnamed element
    // (`<no-refresh> Session ID: 0x1</no-refresh>`); look for the text.
    out.session_id = s.children.iter().find_map(|c| {
        let id = c.text.trim().strip_prefix("Session ID:")?.trim();
        (!id.is_empty()).then(|| id.to_owned())
    });
    Ok(out)
}

fn number<T: std::str::FromStr>(el: &Element, name: &str) -> Result<Option<T>, ParseError> {
    let Some(child) = el.child(name) else {
        return Ok(None);
    };
    junos_cli::number(child.text.trim(), child.line, &format!("<{name}>")).map(Some)
}

fn time_ms(el: &Element, name: &str) -> Result<Option<u32>, ParseError> {
    let Some(child) = el.child(name) else {
        return Ok(None);
    };
    let text = child.text.trim();
    millis(text).map(Some).ok_or_else(|| {
        ParseError::new(
            child.line,
            format!("<{name}> `{text}` is not a time in seconds"),
        )
    })
}

fn rate(el: &Element, name: &str) -> Result<Option<f64>, ParseError> {
    let Some(child) = el.child(name) else {
        return Ok(None);
    };
    let text = child.text.trim();
    junos_cli::decimal(text)
        .map(Some)
        .ok_or_else(|| ParseError::new(child.line, format!("<{name}> `{text}` is not a rate")))
}
