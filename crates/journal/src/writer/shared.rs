//! The journal for async code: one writer behind a mutex, each append on
//! tokio's blocking pool so a slow disk never stalls a runtime worker.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use cutover_core::session::Event;

use super::{JournalWriter, State};
use crate::redact::Redactor;
use crate::{JournalError, Record};

/// A journal shared by async tasks. Clones share one writer.
#[derive(Debug, Clone)]
pub struct SharedJournal {
    inner: Arc<Mutex<JournalWriter>>,
    redactor: Arc<Redactor>,
}

impl SharedJournal {
    pub fn new(writer: JournalWriter) -> Self {
        let redactor = Arc::clone(writer.redactor());
        SharedJournal {
            inner: Arc::new(Mutex::new(writer)),
            redactor,
        }
    }

    pub fn redactor(&self) -> &Arc<Redactor> {
        &self.redactor
    }

    /// Appends on tokio's blocking pool; resolves once the record is on
    /// disk. Must be called inside a tokio runtime.
    pub async fn append(&self, event: Event) -> Result<Record, JournalError> {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || append_locked(&inner, &event))
            .await
            .map_err(|e| JournalError::Task(e.to_string()))?
    }

    /// Appends from synchronous code (blocks on the disk).
    pub fn append_blocking(&self, event: &Event) -> Result<Record, JournalError> {
        append_locked(&self.inner, event)
    }

    pub fn path(&self) -> PathBuf {
        match self.inner.lock() {
            Ok(w) => w.path().to_path_buf(),
            Err(p) => p.into_inner().path().to_path_buf(),
        }
    }
}

fn append_locked(inner: &Mutex<JournalWriter>, event: &Event) -> Result<Record, JournalError> {
    match inner.lock() {
        Ok(mut w) => w.append(event),
        // A panic mid-append leaves no promise about what reached the
        // file; treat it as a failed write.
        Err(p) => {
            let mut w = p.into_inner();
            w.state = State::Failed;
            Err(JournalError::Failed {
                path: w.path.clone(),
            })
        }
    }
}
