//! `cutover lab serve --held` (hidden): a drill's lab in a process of its
//! own, and the hold that keeps it up.
//!
//! A held lab serves while anyone holds it: its standard input, a pipe
//! whose write end the drill's console keeps, and every connection to its
//! lifeline socket, one per detached guard (`cutover guard --hold`). When
//! the console is gone and no guard holds it, the lab stops and removes its
//! files. A console killed during a guarded change thus leaves its guard a
//! lab to roll back on, and no process outlives the last of them.
//!
//! A held lab must not die of a closed pipe: its console may be gone while
//! a guard still needs it, so nothing here panics on a failed write (as
//! `println!` would), logging included.

use std::io::Read;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use tokio::net::UnixListener;
use tokio::sync::{mpsc, oneshot};

use super::exit;
use super::lab::print_summary;
use super::lossy::say;
use super::signals::Signals;
use cutover_lab::serve::{self, LabOptions};

/// What the lab says to a new holder once it counts it.
const HELD: &[u8] = b"held\n";

/// How long a guard waits for the lab to count its hold.
const HOLD_TIMEOUT: Duration = Duration::from_secs(10);

/// The lifeline socket of the lab whose inventory is `inventory`: beside
/// it, named after it, like its known_hosts file.
pub(crate) fn lifeline_path(inventory: &Path) -> PathBuf {
    inventory.with_extension("lifeline")
}

/// The guard's hold on a drill's lab. Once this returns the lab has
/// counted it; the lab stays up until the returned stream closes, i.e.
/// until this process ends.
pub(crate) fn hold(lifeline: &Path) -> Result<UnixStream, String> {
    let fail = |e: std::io::Error| format!("cannot hold the lab at {}: {e}", lifeline.display());
    let mut s = UnixStream::connect(lifeline).map_err(fail)?;
    s.set_read_timeout(Some(HOLD_TIMEOUT)).map_err(fail)?;
    let mut said = [0u8; HELD.len()];
    s.read_exact(&mut said).map_err(fail)?;
    if said != HELD {
        return Err(format!(
            "cannot hold the lab at {}: it said {:?}",
            lifeline.display(),
            String::from_utf8_lossy(&said)
        ));
    }
    s.set_read_timeout(None).map_err(fail)?;
    Ok(s)
}

/// Why the lab stops.
enum Stop {
    Released,
    Signal(&'static str),
    Failed(cutover_lab::serve::LabError),
}

/// Serves `options` until the last holder is gone.
pub(super) async fn run(options: LabOptions) -> ExitCode {
    // Handlers first: a SIGTERM right after `ready` must find them.
    let mut signals = match Signals::stopping() {
        Ok(s) => s,
        Err(e) => {
            say(format!("error: cannot watch for signals: {e}"));
            return ExitCode::from(exit::BAD_INPUT);
        }
    };
    let mut lab = match serve::start(options).await {
        Ok(h) => h,
        Err(e) => {
            say(format!("error: {e}"));
            return ExitCode::from(exit::BAD_INPUT);
        }
    };
    let lifeline = lifeline_path(lab.inventory_path());
    // Bound before `ready`: a guard may connect as soon as the console
    // has read it.
    let listener = match UnixListener::bind(&lifeline) {
        Ok(l) => l,
        Err(e) => {
            say(format!(
                "error: cannot listen on {}: {e}",
                lifeline.display()
            ));
            let _ = lab.shutdown().await;
            return ExitCode::from(exit::BAD_INPUT);
        }
    };
    print_summary(&lab, false);
    let mut console = stdin_closed();
    let mut console_holds = true;
    let mut holders = 0usize;
    let (gone_tx, mut gone_rx) = mpsc::unbounded_channel::<()>();
    let stop = loop {
        if !console_holds && holders == 0 {
            break Stop::Released;
        }
        tokio::select! {
            _ = &mut console, if console_holds => console_holds = false,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    // Counted before it is told: a guard that heard
                    // `held` is never left without its lab.
                    holders += 1;
                    tokio::spawn(keep(stream, gone_tx.clone()));
                }
                Err(e) => tracing::warn!(error = %e, "a guard could not hold the lab"),
            },
            Some(()) = gone_rx.recv() => holders = holders.saturating_sub(1),
            signal = signals.recv() => break Stop::Signal(signal.name()),
            e = lab.failed() => break Stop::Failed(e),
        }
    };
    drop(listener);
    let _ = std::fs::remove_file(&lifeline);
    let code = match stop {
        Stop::Released => exit::OK,
        Stop::Signal(name) => {
            say(format!("{name}: stopping the lab"));
            exit::OK
        }
        Stop::Failed(e) => {
            say(format!("error: {e}"));
            exit::CHECK_FAILED
        }
    };
    match lab.shutdown().await {
        Ok(()) => ExitCode::from(code),
        Err(e) => {
            say(format!("error: {e}"));
            ExitCode::from(exit::CHECK_FAILED)
        }
    }
}

/// Resolves when standard input ends: the console closed it, or died.
/// A thread of its own, not the runtime's blocking pool, so that a read
/// still pending when the lab stops for another reason holds nothing up.
fn stdin_closed() -> oneshot::Receiver<()> {
    let (tx, rx) = oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name("lab-lifeline".into())
        .spawn(move || {
            let mut buf = [0u8; 256];
            let mut stdin = std::io::stdin().lock();
            while matches!(stdin.read(&mut buf), Ok(n) if n > 0) {}
            let _ = tx.send(());
        });
    if let Err(e) = spawned {
        // Without the thread the sender is dropped: read as "closed", the
        // safe side (the lab then lives only while a guard holds it).
        tracing::warn!(error = %e, "cannot watch standard input");
    }
    rx
}

/// One guard's hold: told `held`, then kept until it closes.
async fn keep(mut stream: tokio::net::UnixStream, gone: mpsc::UnboundedSender<()>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    if stream.write_all(HELD).await.is_ok() {
        let mut buf = [0u8; 64];
        while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {}
    }
    let _ = gone.send(());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn the_lifeline_sits_beside_the_inventory() {
        assert_eq!(
            lifeline_path(Path::new("/tmp/lab-x/inventory.toml")),
            Path::new("/tmp/lab-x/inventory.lifeline")
        );
    }

    /// A hold counts only once the lab said so; a socket that says
    /// anything else, or nothing, is not a hold.
    #[test]
    fn a_hold_needs_the_labs_word() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("l.lifeline");
        let listener = std::os::unix::net::UnixListener::bind(&path).expect("bind");
        let server = std::thread::spawn(move || {
            for answer in [HELD, b"nope\n"] {
                let (mut s, _) = listener.accept().expect("accept");
                s.write_all(answer).expect("say");
            }
        });
        assert!(hold(&path).is_ok());
        let e = hold(&path).expect_err("refused");
        assert!(e.contains("nope"), "{e}");
        server.join().expect("server");
        let e = hold(&dir.path().join("absent")).expect_err("refused");
        assert!(e.contains("absent"), "{e}");
    }
}
