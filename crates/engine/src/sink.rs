//! Where events go: the journal first (durable before anything else sees
//! the event, and before the change it announces goes out), then the
//! console's channel or the headless printer.
//!
//! Listeners receive the event *as recorded*: the journal redacts at the
//! source, and the console must never show what the journal refused to
//! keep.
//!
//! A console's sink has a sidecar ([`ConsoleSidecar`]): once a write to
//! the journal fails, that event and every later one are recorded there
//! instead. `emit` still answers `Err` for each of them, so the engine
//! stops the change exactly as it would without the sidecar; only the
//! record survives.

mod continued;

use std::fmt;
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::watch;

use cutover_core::drill::DrillPlan;
use cutover_core::session::event::Event;
use cutover_journal::SharedJournal;

pub use continued::ConsoleSidecar;

/// A durable record of events.
pub trait EventLog: Send + Sync {
    /// Returns once `event` is durable, with the event as recorded (which
    /// is what the console shows).
    fn append(&self, event: Event) -> BoxFuture<'_, Result<Event, String>>;
}

impl EventLog for SharedJournal {
    fn append(&self, event: Event) -> BoxFuture<'_, Result<Event, String>> {
        Box::pin(async move {
            let record = SharedJournal::append(self, event)
                .await
                .map_err(|e| e.to_string())?;
            match record.event() {
                Some(e) => Ok(e.clone()),
                // Redaction left a record that no longer reads as its
                // event: it is on disk, but showing the unredacted original
                // would leak what was scrubbed.
                None => Err(format!(
                    "journal record {} ({}) no longer reads as an event after redaction",
                    record.seq,
                    record.kind()
                )),
            }
        })
    }
}

/// An in-memory log: for `cutover validate` runs that keep no journal
/// file, and for tests that look at what was recorded and in which order.
#[derive(Debug, Clone, Default)]
pub struct MemoryLog {
    events: Arc<Mutex<Vec<Event>>>,
    fail_from: Arc<Mutex<Option<String>>>,
}

impl MemoryLog {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn events(&self) -> Vec<Event> {
        match self.events.lock() {
            Ok(v) => v.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// Every later append fails with `why` (a full disk, for tests).
    pub fn fail_from_now(&self, why: &str) {
        if let Ok(mut f) = self.fail_from.lock() {
            *f = Some(why.to_string());
        }
    }
}

impl EventLog for MemoryLog {
    fn append(&self, event: Event) -> BoxFuture<'_, Result<Event, String>> {
        Box::pin(async move {
            if let Ok(f) = self.fail_from.lock()
                && let Some(why) = f.as_ref()
            {
                return Err(why.clone());
            }
            match self.events.lock() {
                Ok(mut v) => v.push(event.clone()),
                Err(p) => p.into_inner().push(event.clone()),
            }
            Ok(event)
        })
    }
}

/// The journal could not record an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the journal cannot record events: {0}")]
pub struct SinkError(pub String);

struct Inner {
    log: Option<Arc<dyn EventLog>>,
    listeners: Vec<UnboundedSender<Event>>,
    /// Serializes emits so listeners see the journal's order.
    order: tokio::sync::Mutex<()>,
    broken: Mutex<Option<String>>,
    /// Whether a guarded change is out, as the events emitted so far say.
    change_out: watch::Sender<bool>,
    /// Where events go once the journal has failed.
    sidecar: Option<ConsoleSidecar>,
    /// A drill's copy of the events its score reads, as shown, with when
    /// each was emitted (the engine's clock, so virtual time in tests).
    /// `None` outside drills.
    tap: Mutex<Option<Tap>>,
}

struct Tap {
    plan: DrillPlan,
    kept: Vec<(tokio::time::Instant, Event)>,
}

impl Tap {
    /// `session_start` too: the origin the score's times count from.
    fn keeps(&self, e: &Event) -> bool {
        matches!(e, Event::SessionStart { .. }) || cutover_core::drill::reads(e, &self.plan)
    }
}

/// The one way events leave the engine. Cheap to clone.
#[derive(Clone)]
pub struct EventSink {
    inner: Arc<Inner>,
}

impl fmt::Debug for EventSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventSink")
            .field("journal", &self.inner.log.is_some())
            .field("listeners", &self.inner.listeners.len())
            .finish()
    }
}

impl EventSink {
    /// `log`: `None` keeps no record (read-only validation without a
    /// journal). `listeners` get every event after it is recorded.
    pub fn new(log: Option<Arc<dyn EventLog>>, listeners: Vec<UnboundedSender<Event>>) -> Self {
        Self::build(log, None, listeners)
    }

    /// A console's sink: `log` is the session's journal; once a write to
    /// it fails, that event and the rest of the session go to `sidecar`.
    pub fn with_sidecar(
        log: Arc<dyn EventLog>,
        sidecar: ConsoleSidecar,
        listeners: Vec<UnboundedSender<Event>>,
    ) -> Self {
        Self::build(Some(log), Some(sidecar), listeners)
    }

    fn build(
        log: Option<Arc<dyn EventLog>>,
        sidecar: Option<ConsoleSidecar>,
        listeners: Vec<UnboundedSender<Event>>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                log,
                listeners,
                order: tokio::sync::Mutex::new(()),
                broken: Mutex::new(None),
                change_out: watch::Sender::new(false),
                sidecar,
                tap: Mutex::new(None),
            }),
        }
    }

    /// Records `event`, then hands it to the listeners. Returns `Err` when
    /// the journal could not record it (the listeners still get it, so the
    /// operator sees what happened, with a warning from the engine).
    ///
    /// The work runs in its own task: a caller that stops waiting (a
    /// verification abandoned for a rollback) cannot leave an event in the
    /// journal that the console never received.
    pub async fn emit(&self, event: Event) -> Result<(), SinkError> {
        let inner = Arc::clone(&self.inner);
        match tokio::spawn(async move { emit_now(&inner, event).await }).await {
            Ok(r) => r,
            Err(e) => Err(SinkError(format!("the event task failed: {e}"))),
        }
    }

    /// Reads true from a change's `action_started` to the end of its step
    /// (or of the session): while a guarded change is out. The live
    /// monitor polls every pane then.
    pub fn change_out(&self) -> watch::Receiver<bool> {
        self.inner.change_out.subscribe()
    }

    /// The first journal failure, if the journal has failed.
    pub fn journal_error(&self) -> Option<String> {
        broken(&self.inner)
    }

    /// From now on, keeps a copy of each event emitted that `plan`'s
    /// score reads (a drill's, to be scored at its end).
    pub fn start_tap(&self, plan: &DrillPlan) {
        if let Ok(mut t) = self.inner.tap.lock() {
            t.get_or_insert_with(|| Tap {
                plan: plan.clone(),
                kept: Vec::new(),
            });
        }
    }

    /// The events kept since `start_tap`, with when each was emitted.
    pub fn tapped(&self) -> Vec<(tokio::time::Instant, Event)> {
        let kept = |t: &Option<Tap>| t.as_ref().map(|t| t.kept.clone()).unwrap_or_default();
        match self.inner.tap.lock() {
            Ok(t) => kept(&t),
            Err(p) => kept(&p.into_inner()),
        }
    }
}

fn broken(inner: &Inner) -> Option<String> {
    match inner.broken.lock() {
        Ok(b) => b.clone(),
        Err(p) => p.into_inner().clone(),
    }
}

/// Records `event`: in the journal, or once that failed in the sidecar.
/// Returns the event as recorded (or as given, when nothing recorded it)
/// and `Err` whenever the journal did not record it.
async fn record(inner: &Inner, event: Event) -> (Event, Result<(), SinkError>) {
    let Some(log) = &inner.log else {
        return (event, Ok(()));
    };
    let why = match (broken(inner), &inner.sidecar) {
        // Everything after the first failure goes to the sidecar, so the
        // sidecar holds one unbroken run of the session.
        (Some(why), Some(_)) => why,
        _ => match log.append(event.clone()).await {
            Ok(recorded) => return (recorded, Ok(())),
            Err(why) => {
                tracing::error!(error = %why, kind = event.kind(), "journal write failed");
                if let Ok(mut b) = inner.broken.lock()
                    && b.is_none()
                {
                    *b = Some(why.clone());
                }
                why
            }
        },
    };
    let Some(sidecar) = &inner.sidecar else {
        return (event, Err(SinkError(why)));
    };
    match sidecar.keep(event.clone(), &why).await {
        Ok(kept) => {
            if let Some(n) = kept.notice {
                for l in &inner.listeners {
                    let _ = l.send(n.clone());
                }
            }
            let err = format!(
                "{why}; this session's records continue in {}",
                sidecar.path().display()
            );
            (kept.recorded, Err(SinkError(err)))
        }
        Err(e) => {
            tracing::error!(error = %e, kind = event.kind(), "the console's sidecar journal failed too");
            (
                event,
                Err(SinkError(format!("{why}; its sidecar failed too: {e}"))),
            )
        }
    }
}

async fn emit_now(inner: &Inner, event: Event) -> Result<(), SinkError> {
    let _order = inner.order.lock().await;
    let (shown, result) = record(inner, event).await;
    match &shown {
        Event::ActionStarted { .. } => {
            inner.change_out.send_replace(true);
        }
        Event::StepEnd { .. } | Event::SessionEnd { .. } => {
            inner.change_out.send_replace(false);
        }
        _ => {}
    }
    if let Ok(mut t) = inner.tap.lock()
        && let Some(t) = t.as_mut()
        && t.keeps(&shown)
    {
        t.kept.push((tokio::time::Instant::now(), shown.clone()));
    }
    for l in &inner.listeners {
        // A listener that went away (the console closed) is the engine's
        // business through the command channel, not an error here.
        let _ = l.send(shown.clone());
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A drill keeps what its score reads, not every monitor probe: a long
    /// drill's memory does not grow with each round of the monitor.
    #[tokio::test]
    async fn a_drill_keeps_only_the_events_its_score_reads() {
        use cutover_core::drill::{EvidenceSpec, Objective, ObjectiveKind};
        let plan = DrillPlan {
            scenario: "baseline".into(),
            fault: "none".into(),
            seed: None,
            objectives: vec![Objective {
                id: "evidence".into(),
                text: "quotes the firewall".into(),
                kind: ObjectiveKind::Completes,
                evidence: vec![EvidenceSpec {
                    step: "fw".into(),
                    line: "10.1.11.0".into(),
                    command: None,
                }],
            }],
        };
        let sink = EventSink::new(None, vec![]);
        sink.start_tap(&plan);
        let probe = |step: &str| Event::Probe {
            step: step.into(),
            device: "fw".into(),
            query: "routes".into(),
            command: "show route".into(),
            raw: Some("10.1.11.0/24".into()),
            error: None,
            parsed: None,
            elapsed_ms: 1,
            ids: None,
        };
        for _ in 0..100 {
            sink.emit(probe("monitor")).await.expect("ok");
            sink.emit(Event::ProbeRepeated {
                step: "monitor".into(),
                device: "fw".into(),
                query: "routes".into(),
                command: "show route".into(),
                elapsed_ms: 1,
            })
            .await
            .expect("ok");
        }
        sink.emit(probe("fw")).await.expect("ok");
        sink.emit(Event::Verified { step: "a".into() })
            .await
            .expect("ok");
        let kept: Vec<Event> = sink.tapped().into_iter().map(|(_, e)| e).collect();
        assert_eq!(
            kept,
            vec![probe("fw"), Event::Verified { step: "a".into() }]
        );
    }

    #[tokio::test]
    async fn the_journal_records_before_the_listener_sees_it() {
        let log = MemoryLog::new();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let sink = EventSink::new(Some(Arc::new(log.clone())), vec![tx]);
        sink.emit(Event::StepStart { step: "a".into() })
            .await
            .expect("recorded");
        let seen = rx.recv().await.expect("forwarded");
        assert_eq!(log.events(), vec![seen]);
        assert_eq!(sink.journal_error(), None);
    }

    #[tokio::test]
    async fn a_change_is_out_from_its_action_to_the_end_of_its_step() {
        let sink = EventSink::new(None, vec![]);
        let out = sink.change_out();
        assert!(!*out.borrow());
        sink.emit(Event::StepStart { step: "a".into() })
            .await
            .expect("ok");
        assert!(!*out.borrow());
        sink.emit(Event::ActionStarted {
            step: "a".into(),
            op: "azure.peering.disable".into(),
            target: "rg/er/AzurePrivatePeering".into(),
            manual: cutover_core::azure_call::ManualCommands {
                az_cli: String::new(),
                powershell: String::new(),
            },
        })
        .await
        .expect("ok");
        assert!(*out.borrow());
        sink.emit(Event::StepEnd {
            step: "a".into(),
            verdict: cutover_core::session::event::Verdict::Passed,
            elapsed_ms: 1,
        })
        .await
        .expect("ok");
        assert!(!*out.borrow());
    }

    #[tokio::test]
    async fn a_failed_journal_is_reported_and_the_console_still_told() {
        let log = MemoryLog::new();
        log.fail_from_now("disk full");
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let sink = EventSink::new(Some(Arc::new(log.clone())), vec![tx]);
        let err = sink
            .emit(Event::StepStart { step: "a".into() })
            .await
            .expect_err("not recorded");
        assert_eq!(err, SinkError("disk full".into()));
        assert_eq!(sink.journal_error().as_deref(), Some("disk full"));
        assert_eq!(rx.recv().await, Some(Event::StepStart { step: "a".into() }));
        assert!(log.events().is_empty());
    }

    #[tokio::test]
    async fn after_a_failed_write_the_rest_goes_to_the_sidecar_and_still_fails() {
        let dir = tempfile::tempdir().expect("dir");
        let journal = dir.path().join("s.jsonl");
        let log = MemoryLog::new();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let redactor = Arc::new(cutover_journal::Redactor::new());
        let sidecar = ConsoleSidecar::new(&journal, redactor);
        let side_path = sidecar.path().to_path_buf();
        let sink = EventSink::with_sidecar(Arc::new(log.clone()), sidecar, vec![tx]);
        sink.emit(Event::StepStart { step: "a".into() })
            .await
            .expect("recorded");
        log.fail_from_now("disk full");
        let err = sink
            .emit(Event::StepStart { step: "b".into() })
            .await
            .expect_err("the journal failed");
        assert!(err.0.starts_with("disk full; "), "{err}");
        assert!(err.0.contains(".console.jsonl"), "{err}");
        // A later event skips the journal, still reads as a failure (the
        // engine's safety behaviour), and lands in the sidecar.
        let err = sink
            .emit(Event::StepStart { step: "c".into() })
            .await
            .expect_err("still failed");
        assert!(err.0.starts_with("disk full; "), "{err}");
        assert_eq!(sink.journal_error().as_deref(), Some("disk full"));
        let mut shown = Vec::new();
        while let Ok(e) = rx.try_recv() {
            shown.push(e);
        }
        assert_eq!(shown.len(), 4, "{shown:?}");
        assert!(
            matches!(&shown[1], Event::Note { text, .. } if text.contains("failed") && text.contains("disk full")),
            "{shown:?}"
        );
        let kept: Vec<String> = cutover_journal::JournalReader::open(&side_path)
            .expect("sidecar")
            .map(|r| r.expect("record").kind().to_string())
            .collect();
        assert_eq!(kept, ["session_start", "note", "step_start", "step_start"]);
        assert_eq!(log.events().len(), 1);
    }

    /// The very first write failed: the session's own `session_start`
    /// opens the sidecar (once), and a change announced after it is not
    /// recorded as if it had gone out.
    #[tokio::test]
    async fn a_refused_start_opens_the_sidecar_and_a_refused_commitment_is_a_note() {
        let dir = tempfile::tempdir().expect("dir");
        let journal = dir.path().join("s.jsonl");
        let log = MemoryLog::new();
        log.fail_from_now("disk full");
        let sidecar = ConsoleSidecar::new(&journal, Arc::new(cutover_journal::Redactor::new()));
        let side_path = sidecar.path().to_path_buf();
        let sink = EventSink::with_sidecar(Arc::new(log), sidecar, vec![]);
        let start = Event::SessionStart {
            session_id: "s-1".into(),
            mode: cutover_core::session::event::Mode::Run,
            runbook_id: "rb".into(),
            runbook_title: "t".into(),
            runbook_sha256: String::new(),
            operator: "tester".into(),
            ticket: None,
            key_fingerprint: None,
            scenario: None,
            steps: Vec::new(),
            version: "0".into(),
        };
        assert!(sink.emit(start).await.is_err());
        assert!(
            sink.emit(Event::ConfirmHealthy { step: "a".into() })
                .await
                .is_err()
        );
        let kept: Vec<cutover_journal::Record> = cutover_journal::JournalReader::open(&side_path)
            .expect("sidecar")
            .map(|r| r.expect("record"))
            .collect();
        let kinds: Vec<&str> = kept.iter().map(|r| r.kind()).collect();
        assert_eq!(kinds, ["session_start", "note", "note"]);
        assert!(
            matches!(kept[0].event(), Some(Event::SessionStart { session_id, .. }) if session_id == "s-1")
        );
        assert!(
            matches!(kept[2].event(), Some(Event::Note { text, .. })
                if text.starts_with("not journaled, so not acted on: `confirm_healthy`")),
            "{:?}",
            kept[2]
        );
    }
}
