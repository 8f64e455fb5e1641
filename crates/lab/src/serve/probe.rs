//! The readiness probe: `start` returns only once every listener answers
//! as its client expects, so a drill never races a server still starting.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::super::world::API_VERSION;
use super::{LabError, LabHandle};

/// How long a freshly started listener gets to answer the readiness probe.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// Proves every listener serves: an SSH server greets with its version
/// line, the ARM API answers a read of the circuit (an authorized request,
/// so the API's log shows nothing alarming).
pub(super) async fn probe_all(h: &LabHandle, token: &str) -> Result<(), LabError> {
    for (d, dev) in &h.devices {
        let what = format!("the SSH server of {}", d.name());
        probe(&what, dev.addr, None, "SSH-2.0-").await?;
    }
    let path = h.world.with(|w, _| {
        let az = &w.topology().azure;
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/expressRouteCircuits/{}?api-version={API_VERSION}",
            az.subscription, az.resource_group, az.circuit
        )
    });
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n{}: 1\r\nConnection: close\r\n\r\n",
        h.arm_addr,
        crate::arm_server::PROBE_HEADER
    );
    probe(
        "the ARM API",
        h.arm_addr,
        Some(request.as_bytes()),
        "HTTP/1.1 ",
    )
    .await
}

async fn probe(
    what: &str,
    addr: SocketAddr,
    send: Option<&[u8]>,
    expect: &str,
) -> Result<(), LabError> {
    let not_ready = |reason: String| LabError::NotReady {
        what: what.to_string(),
        addr,
        reason,
    };
    let attempt = async {
        let mut stream = TcpStream::connect(addr)
            .await
            .map_err(|e| not_ready(e.to_string()))?;
        if let Some(bytes) = send {
            stream
                .write_all(bytes)
                .await
                .map_err(|e| not_ready(e.to_string()))?;
        }
        // One line, and not an endless one.
        let mut line = Vec::new();
        BufReader::new((&mut stream).take(1024))
            .read_until(b'\n', &mut line)
            .await
            .map_err(|e| not_ready(e.to_string()))?;
        let first = String::from_utf8_lossy(&line);
        if first.starts_with(expect) {
            Ok(())
        } else {
            Err(not_ready(format!(
                "it answered {:?} where {expect:?} was due",
                first.trim_end()
            )))
        }
    };
    tokio::time::timeout(PROBE_TIMEOUT, attempt)
        .await
        .map_err(|_| not_ready(format!("no answer within {PROBE_TIMEOUT:?}")))?
}
