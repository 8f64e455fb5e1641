//! Standard error for the processes that must outlive whoever reads it:
//! the detached guard (`cutover guard`) and a drill's held lab. Their
//! console may be gone, its terminal hung up (a write fails with EIO), its
//! pipe closed (EPIPE) or full and never read (a write blocks). None of
//! that may stop them, so nothing here fails, panics (as `eprintln!`
//! would) or blocks the caller: lines go through a bounded queue to a
//! thread of their own, which is the only one that may block on the
//! write, and a line that finds the queue full is dropped.

use std::io::Write;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::time::{Duration, Instant};

/// Lines waiting for a slow reader; more are dropped.
const DEPTH: usize = 256;

static QUEUE: OnceLock<Option<SyncSender<Vec<u8>>>> = OnceLock::new();
/// Queued and not yet written (or given up on).
static PENDING: AtomicUsize = AtomicUsize::new(0);

fn queue() -> Option<&'static SyncSender<Vec<u8>>> {
    QUEUE
        .get_or_init(|| {
            let (tx, rx) = sync_channel::<Vec<u8>>(DEPTH);
            std::thread::Builder::new()
                .name("stderr".into())
                .spawn(move || {
                    let mut err = std::io::stderr();
                    for buf in rx {
                        let _ = err.write_all(&buf);
                        let _ = err.flush();
                        PENDING.fetch_sub(1, Ordering::SeqCst);
                    }
                })
                // No thread, no standard error: the work does not need it.
                .ok()
                .map(|_| tx)
        })
        .as_ref()
}

/// Standard error that swallows its failures (a `tracing` writer too).
pub(crate) struct LossyStderr;

impl Write for LossyStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Some(q) = queue() {
            PENDING.fetch_add(1, Ordering::SeqCst);
            if q.try_send(buf.to_vec()).is_err() {
                PENDING.fetch_sub(1, Ordering::SeqCst);
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One line to standard error, or nowhere.
pub(crate) fn say(msg: impl std::fmt::Display) {
    let _ = LossyStderr.write(format!("{msg}\n").as_bytes());
}

/// Log records through [`LossyStderr`], without colour; `CUTOVER_LOG`
/// overrides `default`.
pub(crate) fn init_logging(default: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("CUTOVER_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| LossyStderr)
        .with_ansi(false)
        .try_init();
}

/// Before the process exits: gives what is queued up to `limit` to reach
/// a reader that is still there.
pub(crate) fn settle(limit: Duration) {
    let start = Instant::now();
    while PENDING.load(Ordering::SeqCst) > 0 && start.elapsed() < limit {
        std::thread::sleep(Duration::from_millis(5));
    }
}
