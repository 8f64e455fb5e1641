//! Junos `traceroute … | display xml` (the same body as the NETCONF
//! `<traceroute>` RPC reply). `<hop>` repeats with the same `<ttl-value>` when
//! the probes of a TTL came from different addresses, so hops are merged by
//! TTL; `<rtt>` is in microseconds. Element names are matched without their
//! namespace prefix, since `| display xml` declares `junos:` namespaces.

use quick_xml::Reader;
use quick_xml::events::Event;

use super::{Builder, ParseError, Trace, add_address, empty_hop, number, parse_ttl};
use crate::model::Hop;
use crate::parse::lines::LineCounter;

pub(super) fn parse(input: &str, offset: usize) -> Result<Trace, ParseError> {
    let xml = input.get(offset..).unwrap_or_default();
    // Every start tag names its line: one running count, never a rescan.
    let mut lines = LineCounter::new(input);
    let mut line_at =
        |pos: u64| lines.line_at(offset.saturating_add(usize::try_from(pos).unwrap_or(usize::MAX)));
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(true);
    let mut st = State::default();
    let mut depth = 0usize;
    loop {
        let event = reader.read_event().map_err(|e| {
            ParseError::new(
                line_at(reader.error_position()),
                format!("invalid XML: {e}"),
            )
        })?;
        let bad_text = |e: quick_xml::encoding::EncodingError| {
            ParseError::new(
                line_at(reader.buffer_position()),
                format!("invalid XML text: {e}"),
            )
        };
        match event {
            Event::Start(e) => {
                depth += 1;
                st.start(
                    e.local_name().as_ref(),
                    depth,
                    line_at(reader.buffer_position()),
                );
            }
            Event::End(e) => {
                st.end(e.local_name().as_ref(), depth)?;
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    // the root closed: what follows is the CLI prompt
                    break;
                }
            }
            Event::Text(t) if st.field.is_some() => {
                st.text.push_str(&t.decode().map_err(bad_text)?)
            }
            Event::CData(t) if st.field.is_some() => {
                st.text.push_str(&t.decode().map_err(bad_text)?)
            }
            Event::GeneralRef(r) if st.field.is_some() => {
                let named = match r.decode().map_err(bad_text)?.as_ref() {
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    _ => None,
                };
                if let Some(c) = named.or_else(|| r.resolve_char_ref().ok().flatten()) {
                    st.text.push(c);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    st.finish()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    TargetIp,
    TargetHost,
    Ttl,
    IpAddress,
    HostName,
    Rtt,
    ErrorMessage,
}

#[derive(Debug)]
struct OpenHop {
    depth: usize,
    line: usize,
    ttl: Option<u8>,
    hop: Hop,
}

#[derive(Debug, Default)]
struct OpenProbe {
    depth: usize,
    ip: Option<String>,
    name: Option<String>,
    rtt_ms: Option<f64>,
}

#[derive(Debug)]
struct State {
    trace: Builder,
    seen_results: bool,
    target_ip: Option<String>,
    target_host: Option<String>,
    error_message: Option<(usize, String)>,
    hop: Option<OpenHop>,
    probe: Option<OpenProbe>,
    /// The element whose text is being collected: what, at which depth, on which line.
    field: Option<(Field, usize, usize)>,
    text: String,
}

impl Default for State {
    fn default() -> Self {
        Self {
            trace: Builder::new(None),
            seen_results: false,
            target_ip: None,
            target_host: None,
            error_message: None,
            hop: None,
            probe: None,
            field: None,
            text: String::new(),
        }
    }
}

impl State {
    fn start(&mut self, name: &[u8], depth: usize, line: usize) {
        match name {
            b"traceroute-results" => self.seen_results = true,
            b"hop" if self.hop.is_none() => {
                self.hop = Some(OpenHop {
                    depth,
                    line,
                    ttl: None,
                    hop: empty_hop(1),
                });
            }
            b"probe-result" if self.hop.is_some() && self.probe.is_none() => {
                self.probe = Some(OpenProbe {
                    depth,
                    ..OpenProbe::default()
                });
            }
            _ => {}
        }
        let in_hop = self.hop.is_some();
        let in_probe = self.probe.is_some();
        let field = match name {
            b"target-ip" if !in_hop => Some(Field::TargetIp),
            b"target-host" if !in_hop => Some(Field::TargetHost),
            b"ttl-value" if in_hop && !in_probe => Some(Field::Ttl),
            b"ip-address" if in_probe => Some(Field::IpAddress),
            b"host-name" if in_probe => Some(Field::HostName),
            b"rtt" if in_probe => Some(Field::Rtt),
            b"error-message" => Some(Field::ErrorMessage),
            _ => None,
        };
        if let Some(f) = field {
            self.field = Some((f, depth, line));
            self.text.clear();
        }
    }

    fn end(&mut self, name: &[u8], depth: usize) -> Result<(), ParseError> {
        if let Some((field, d, line)) = self.field
            && d == depth
        {
            self.field = None;
            self.commit(field, line)?;
        }
        if self.probe.as_ref().is_some_and(|p| p.depth == depth)
            && let (Some(p), Some(h)) = (self.probe.take(), self.hop.as_mut())
        {
            if let Some(addr) = p.ip.as_deref().or(p.name.as_deref()) {
                add_address(&mut h.hop, addr);
            }
            h.hop.rtts_ms.extend(p.rtt_ms);
        }
        if name == b"hop"
            && self.hop.as_ref().is_some_and(|h| h.depth == depth)
            && let Some(open) = self.hop.take()
        {
            let Some(ttl) = open.ttl else {
                return Err(ParseError::new(open.line, "<hop> without <ttl-value>"));
            };
            self.trace.merge(Hop { ttl, ..open.hop }, open.line)?;
        }
        Ok(())
    }

    fn commit(&mut self, field: Field, line: usize) -> Result<(), ParseError> {
        let text = self.text.trim();
        let value = (!text.is_empty()).then(|| text.to_owned());
        match field {
            Field::TargetIp => self.target_ip = self.target_ip.take().or(value),
            Field::TargetHost => self.target_host = self.target_host.take().or(value),
            Field::ErrorMessage => {
                if self.error_message.is_none() {
                    self.error_message = value.map(|v| (line, v));
                }
            }
            Field::Ttl => {
                let ttl = parse_ttl(text, line)?;
                if let Some(h) = self.hop.as_mut() {
                    h.ttl = Some(ttl);
                }
            }
            Field::Rtt => {
                let us = number(text)
                    .filter(|_| !text.starts_with('<'))
                    .ok_or_else(|| {
                        ParseError::new(
                            line,
                            format!("<rtt> `{text}` is not a number of microseconds"),
                        )
                    })?;
                if let Some(p) = self.probe.as_mut() {
                    p.rtt_ms = Some(us / 1000.0);
                }
            }
            Field::IpAddress => {
                if let Some(p) = self.probe.as_mut() {
                    p.ip = value;
                }
            }
            Field::HostName => {
                if let Some(p) = self.probe.as_mut() {
                    p.name = value;
                }
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<Trace, ParseError> {
        if !self.seen_results {
            return Err(match self.error_message {
                Some((line, msg)) => {
                    ParseError::new(line, format!("the device answered with an error: {msg}"))
                }
                None => ParseError::new(0, "no <traceroute-results> in the XML"),
            });
        }
        let mut trace = self.trace;
        trace.target = self.target_ip.or(self.target_host);
        Ok(trace.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse;

    const REPLY: &str = r#"user@SEA-SRX42-01> traceroute 10.17.11.132 routing-instance Cust11 | display xml
<rpc-reply xmlns:junos="http://xml.juniper.net/junos/15.1X49/junos">
    <traceroute-results>
        <target-host>vm</target-host>
        <target-ip>10.17.11.132</target-ip>
        <hop>
            <ttl-value>1</ttl-value>
            <probe-result>
                <probe-index>1</probe-index>
                <ip-address>192.168.11.0</ip-address>
                <rtt>512</rtt>
            </probe-result>
            <probe-result>
                <probe-index>2</probe-index>
                <ip-address>192.168.11.0</ip-address>
                <rtt>433</rtt>
            </probe-result>
        </hop>
        <hop>
            <ttl-value>1</ttl-value>
            <probe-result>
                <probe-index>3</probe-index>
                <ip-address>192.168.11.2</ip-address>
                <rtt>1401</rtt>
            </probe-result>
        </hop>
        <hop>
            <ttl-value>2</ttl-value>
            <probe-result><probe-index>1</probe-index><probe-timeout/></probe-result>
            <probe-result><probe-index>2</probe-index><probe-timeout/></probe-result>
        </hop>
        <hop>
            <ttl-value>3</ttl-value>
            <probe-result>
                <probe-index>1</probe-index>
                <host-name>vm.example</host-name>
                <rtt>6000</rtt>
            </probe-result>
        </hop>
    </traceroute-results>
    <cli>
        <banner>{primary:node0}</banner>
    </cli>
</rpc-reply>

{primary:node0}
user@SEA-SRX42-01> "#;

    #[test]
    fn merges_hops_by_ttl_and_converts_microseconds() {
        let t = parse(REPLY).expect("must parse");
        assert_eq!(t.target.as_deref(), Some("10.17.11.132"));
        assert_eq!(t.hops.len(), 3);
        assert_eq!(t.hops[0].addresses, ["192.168.11.0", "192.168.11.2"]);
        assert_eq!(t.hops[0].rtts_ms, [0.512, 0.433, 1.401]);
        assert!(!t.hops[0].timeout);
        assert!(
            t.hops[1].timeout && t.hops[1].addresses.is_empty() && t.hops[1].rtts_ms.is_empty()
        );
        assert_eq!(t.hops[2].addresses, ["vm.example"]);
        assert_eq!(t.hops[2].rtts_ms, [6.0]);
    }

    #[test]
    fn target_host_when_no_target_ip() {
        let t = parse("<rpc-reply><traceroute-results><target-host>h</target-host></traceroute-results></rpc-reply>")
            .expect("must parse");
        assert_eq!(t.target.as_deref(), Some("h"));
        assert!(t.hops.is_empty());
    }

    #[test]
    fn errors_name_the_line() {
        let bad_ttl = REPLY.replacen("<ttl-value>2</ttl-value>", "<ttl-value>two</ttl-value>", 1);
        assert_eq!(parse(&bad_ttl).expect_err("must be refused").line, 28);
        let bad_rtt = REPLY.replacen("<rtt>433</rtt>", "<rtt>4x3</rtt>", 1);
        assert_eq!(parse(&bad_rtt).expect_err("must be refused").line, 16);
        let backwards = REPLY.replacen("<ttl-value>3</ttl-value>", "<ttl-value>1</ttl-value>", 1);
        assert_eq!(parse(&backwards).expect_err("must be refused").line, 32);
        let no_ttl = REPLY.replacen("<ttl-value>3</ttl-value>", "", 1);
        assert_eq!(parse(&no_ttl).expect_err("must be refused").line, 32);
        let broken = REPLY.replacen("</hop>", "</hip>", 1);
        assert_eq!(parse(&broken).expect_err("must be refused").line, 18);
    }

    #[test]
    fn rpc_error_and_foreign_xml_are_errors() {
        let e = parse(
            "<rpc-reply>\n<rpc-error>\n<error-message>\nno route to host\n</error-message>\n</rpc-error>\n</rpc-reply>",
        )
        .expect_err("must be refused");
        assert_eq!(e.line, 3);
        assert!(e.message.contains("no route to host"), "{e}");
        assert_eq!(
            parse("<route-information/>")
                .expect_err("must be refused")
                .line,
            0
        );
    }
}
