//! The scenario's `[[arm.fault]]` rules on the wire: latency, a hang, a
//! connection closed without an answer, a truncated body, a
//! `provisioningState` of `Failed`, a concurrent writer. The world counts
//! the calls (`World::arm_call`); this layer makes them misbehave.
//!
//! A reset needs the connection itself, which a handler never sees: the
//! listener wraps every accepted stream with a switch that the handler
//! reaches through `ConnectInfo`, and once tripped the stream refuses to
//! write, so hyper drops the connection with nothing sent.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::reply::Reply;

/// Trips one connection: it closes instead of answering.
#[derive(Debug, Clone, Default)]
pub(super) struct ResetSwitch(Arc<AtomicBool>);

impl ResetSwitch {
    pub(super) fn trip(&self) {
        self.0.store(true, Ordering::Release);
    }

    fn tripped(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// The ARM listener: every connection carries a [`ResetSwitch`].
#[derive(Debug)]
pub(super) struct ResettableListener(pub(super) TcpListener);

impl Listener for ResettableListener {
    type Io = ResettableIo;
    type Addr = (SocketAddr, ResetSwitch);

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (stream, addr) = Listener::accept(&mut self.0).await;
        let switch = ResetSwitch::default();
        (
            ResettableIo {
                inner: stream,
                switch: switch.clone(),
            },
            (addr, switch),
        )
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok((self.0.local_addr()?, ResetSwitch::default()))
    }
}

impl Connected<IncomingStream<'_, ResettableListener>> for ResetSwitch {
    fn connect_info(stream: IncomingStream<'_, ResettableListener>) -> Self {
        stream.remote_addr().1.clone()
    }
}

#[derive(Debug)]
pub(super) struct ResettableIo {
    inner: TcpStream,
    switch: ResetSwitch,
}

fn reset() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionReset,
        "the scenario resets this connection",
    )
}

impl AsyncRead for ResettableIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.switch.tripped() {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for ResettableIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.switch.tripped() {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.switch.tripped() {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Waits `d`, or less when the lab shuts down.
pub(super) async fn delay(d: Duration, closing: &watch::Receiver<bool>) {
    let mut closing = closing.clone();
    tokio::select! {
        () = tokio::time::sleep(d) => {}
        () = closed(&mut closing) => {}
    }
}

/// Never answers, until the lab shuts down (a hang must not hold the
/// lab's graceful shutdown forever).
pub(super) async fn hang(closing: &watch::Receiver<bool>) {
    let mut closing = closing.clone();
    closed(&mut closing).await;
}

async fn closed(rx: &mut watch::Receiver<bool>) {
    loop {
        if *rx.borrow_and_update() {
            return;
        }
        if rx.changed().await.is_err() {
            // No server owns the switch (a bare router): never.
            std::future::pending::<()>().await;
        }
    }
}

/// Sets `properties.provisioningState` to `Failed` in a resource or in
/// each resource of a list.
pub(super) fn provisioning_failed(mut reply: Reply) -> Reply {
    fn set(v: &mut Value) {
        if let Some(p) = v.get_mut("properties").and_then(Value::as_object_mut) {
            p.insert(
                "provisioningState".to_owned(),
                Value::String("Failed".to_owned()),
            );
        }
    }
    if let Some(body) = reply.body.as_deref_mut() {
        set(body);
        if let Some(list) = body.get_mut("value").and_then(Value::as_array_mut) {
            list.iter_mut().for_each(set);
        }
    }
    reply
}

#[cfg(test)]
mod tests;
