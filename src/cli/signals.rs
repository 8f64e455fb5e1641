//! The signals that end a session from outside: Ctrl-C (SIGINT), SIGTERM
//! and SIGHUP (the terminal went away). Once these handlers exist the
//! process no longer dies of them: the session takes the abort path
//! instead (DESIGN.md invariant 2: a change not yet accepted is
//! cancelled, one that may be out is rolled back), then ends.

/// Which signal came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Ctrl-C: the operator asks to stop.
    Interrupt,
    /// SIGTERM: the process is being stopped.
    Terminate,
    /// SIGHUP: the terminal is gone.
    HangUp,
}

impl Signal {
    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
            Signal::HangUp => "SIGHUP",
        }
    }

    /// Whether the operator asked (a `rollback` of their own), rather
    /// than the console going away.
    pub fn by_operator(self) -> bool {
        self == Signal::Interrupt
    }
}

/// SIGINT, SIGTERM and SIGHUP, as a stream.
pub struct Signals {
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    /// `None` for a process that keeps SIGHUP's default (a lab).
    #[cfg(unix)]
    hup: Option<tokio::signal::unix::Signal>,
}

impl std::fmt::Debug for Signals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signals(SIGINT, SIGTERM, SIGHUP)")
    }
}

impl Signals {
    /// Installs the handlers (from now on these signals no longer kill
    /// the process). Needs a tokio runtime.
    #[cfg(unix)]
    pub fn new() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
            hup: Some(signal(SignalKind::hangup())?),
        })
    }

    /// SIGINT and SIGTERM only: the labs, which are told to stop, and
    /// whose SIGHUP keeps its default action.
    #[cfg(unix)]
    pub fn stopping() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
            hup: None,
        })
    }

    #[cfg(not(unix))]
    pub fn stopping() -> std::io::Result<Self> {
        Self::new()
    }

    #[cfg(not(unix))]
    pub fn new() -> std::io::Result<Self> {
        Ok(Signals {})
    }

    /// The next signal.
    #[cfg(unix)]
    pub async fn recv(&mut self) -> Signal {
        tokio::select! {
            _ = self.int.recv() => Signal::Interrupt,
            _ = self.term.recv() => Signal::Terminate,
            Some(_) = async {
                match self.hup.as_mut() {
                    Some(h) => h.recv().await,
                    None => std::future::pending().await,
                }
            } => Signal::HangUp,
        }
    }

    #[cfg(not(unix))]
    pub async fn recv(&mut self) -> Signal {
        let _ = tokio::signal::ctrl_c().await;
        Signal::Interrupt
    }
}

/// [`Signals`] when the handlers could be installed; otherwise a stream
/// that never yields (the default actions stay, and the detached guard
/// covers a killed `run`).
pub async fn next(signals: &mut Option<Signals>) -> Signal {
    match signals {
        Some(s) => s.recv().await,
        None => std::future::pending().await,
    }
}

/// The handlers, or `None` with the reason logged.
pub fn install() -> Option<Signals> {
    match Signals::new() {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!(error = %e, "cannot watch for signals: Ctrl-C, SIGTERM and SIGHUP end the process at once");
            None
        }
    }
}
