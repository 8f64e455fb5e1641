//! Many circuits at once: the inventories named (directories expanded),
//! each prepared on its own so a bad one fails alone, then checked
//! concurrently under a bound; one writer prints each circuit's lines as
//! soon as that circuit is done.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use time::OffsetDateTime;
use tokio::sync::{Semaphore, mpsc};

use super::super::exit;
use super::lines::Printer;
use super::prom;
use super::{DEFAULT_NAME, DEFAULT_RUNBOOK, Prepared, ValidateArgs, prepare_text, real_world};
use cutover_clients::ssh::SshOptions;
use cutover_core::session::event::Event;
use cutover_engine::SessionOutcome;
use cutover_journal::Redactor;

/// One inventory named on the command line (or found in a directory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Input {
    Inventory(PathBuf),
    /// A path that names no inventory (an empty or unreadable directory).
    Bad {
        path: PathBuf,
        error: String,
    },
}

/// What became of one inventory.
#[derive(Debug)]
pub(super) struct Circuit {
    /// The inventory's path, as named (or as found in its directory).
    pub inventory: PathBuf,
    /// The circuit's name: the inventory's `azure.circuit`, else the
    /// inventory's file stem.
    pub circuit: String,
    pub result: CircuitResult,
}

#[derive(Debug)]
pub(super) enum CircuitResult {
    /// Not checked: the message (with path:line:col where there is one).
    Bad(String),
    Checked(Checked),
}

#[derive(Debug)]
pub(super) struct Checked {
    pub outcome: SessionOutcome,
    /// When each step's `step_end` was seen, by step id.
    pub ended: BTreeMap<String, OffsetDateTime>,
    /// When the circuit's session ended.
    pub finished: OffsetDateTime,
    pub elapsed: Duration,
}

impl Circuit {
    /// The circuit's exit status (CONTRACT.md).
    pub fn exit_code(&self) -> u8 {
        match &self.result {
            CircuitResult::Bad(_) => exit::BAD_INPUT,
            CircuitResult::Checked(c) => c.outcome.exit_code(),
        }
    }
}

/// The inventories `paths` name, in order: a directory gives every
/// `*.toml` directly in it (dot files left out), sorted by name. A file
/// named twice runs once.
pub(super) fn expand(paths: &[PathBuf]) -> Vec<Input> {
    let mut out = Vec::new();
    for p in paths {
        if !p.is_dir() {
            out.push(Input::Inventory(p.clone()));
            continue;
        }
        let entries = match std::fs::read_dir(p) {
            Ok(e) => e,
            Err(e) => {
                out.push(Input::Bad {
                    path: p.clone(),
                    error: format!("{}: cannot read the directory: {e}", p.display()),
                });
                continue;
            }
        };
        let mut found: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|f| {
                let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
                !name.starts_with('.') && name.ends_with(".toml") && !f.is_dir()
            })
            .collect();
        found.sort();
        if found.is_empty() {
            // A scheduled run over an empty directory must not pass quietly.
            out.push(Input::Bad {
                path: p.clone(),
                error: format!("{}: no *.toml inventory in this directory", p.display()),
            });
        }
        out.extend(found.into_iter().map(Input::Inventory));
    }
    let mut seen = BTreeSet::new();
    out.retain(|i| match i {
        Input::Inventory(p) => seen.insert(std::fs::canonicalize(p).unwrap_or_else(|_| p.clone())),
        Input::Bad { .. } => true,
    });
    out
}

/// The circuit name of an inventory that could not be read.
fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// `cutover validate`: returns the exit status.
pub(super) fn run(args: &ValidateArgs) -> u8 {
    let (text, name) = match &args.runbook {
        Some(p) => match std::fs::read_to_string(p) {
            Ok(t) => (t, p.display().to_string()),
            Err(e) => {
                errln!("{}: cannot read: {e}", p.display());
                return exit::BAD_INPUT;
            }
        },
        None => (DEFAULT_RUNBOOK.to_string(), DEFAULT_NAME.to_string()),
    };
    if let Some(p) = &args.prom_out
        && let Err(e) = prom::check_target(p)
    {
        errln!("--prom-out {}: {e}", p.display());
        return exit::BAD_INPUT;
    }
    let jobs = args.jobs.map_or_else(
        || std::thread::available_parallelism().map_or(1, usize::from),
        usize::from,
    );
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            errln!("cannot start the runtime: {e}");
            return exit::BAD_INPUT;
        }
    };
    let inputs = expand(&args.inventory);
    let mut printer = Printer::new(args.json, inputs.len() > 1);
    let circuits = rt.block_on(run_all(
        inputs,
        &text,
        &name,
        jobs,
        &mut printer,
        |p, inv| async move { check(p, &inv).await },
    ));
    let mut err = std::io::stderr().lock();
    for c in &circuits {
        let _ = writeln!(err, "{}", printer.summary(c));
    }
    let mut code = circuits
        .iter()
        .map(Circuit::exit_code)
        .max()
        .unwrap_or(exit::OK);
    if let Some(p) = &args.prom_out {
        let now = OffsetDateTime::now_utc();
        if let Err(e) = prom::write_atomic(p, &prom::render(&circuits, now)) {
            let _ = writeln!(err, "--prom-out {}: {e}", p.display());
            code = code.max(exit::BAD_INPUT);
        }
    }
    code
}

/// One inventory, ready to run, or why not.
enum Ready {
    Run {
        inventory: PathBuf,
        circuit: String,
        prepared: Box<Prepared>,
        redactor: Arc<Redactor>,
    },
    Bad(Circuit),
}

fn ready(input: Input, text: &str, name: &str) -> Ready {
    let (inventory, error) = match input {
        Input::Bad { path, error } => (path, error),
        Input::Inventory(inventory) => match prepare_text(&inventory, text, name)
            .and_then(|p| super::refuse_changes(&p.runbook).map(|()| p))
        {
            Ok(p) => {
                let circuit = p
                    .inventory
                    .azure
                    .as_ref()
                    .map(|a| a.circuit.clone())
                    .filter(|c| !c.is_empty())
                    .unwrap_or_else(|| stem(&inventory));
                let redactor = match Redactor::for_inventory(&p.inventory) {
                    Ok(r) => r,
                    Err(e) => {
                        return Ready::Bad(Circuit {
                            circuit,
                            result: CircuitResult::Bad(format!("{}: {e}", inventory.display())),
                            inventory,
                        });
                    }
                };
                return Ready::Run {
                    inventory,
                    circuit,
                    prepared: Box::new(p),
                    redactor: Arc::new(redactor),
                };
            }
            Err(e) => (inventory, e),
        },
    };
    Ready::Bad(Circuit {
        circuit: stem(&inventory),
        result: CircuitResult::Bad(error),
        inventory,
    })
}

/// Runs every circuit through `check`, at most `jobs` at once; returns
/// them in input order.
pub(super) async fn run_all<F, Fut>(
    inputs: Vec<Input>,
    text: &str,
    name: &str,
    jobs: usize,
    printer: &mut Printer,
    check: F,
) -> Vec<Circuit>
where
    F: Fn(Prepared, PathBuf) -> Fut,
    Fut: Future<Output = CircuitResult> + Send + 'static,
{
    let permits = Arc::new(Semaphore::new(jobs.max(1)));
    let (tx, mut rx) = mpsc::unbounded_channel::<(usize, Circuit, Option<Arc<Redactor>>)>();
    let total = inputs.len();
    for (i, input) in inputs.into_iter().enumerate() {
        match ready(input, text, name) {
            Ready::Bad(c) => {
                let _ = tx.send((i, c, None));
            }
            Ready::Run {
                inventory,
                circuit,
                prepared,
                redactor,
            } => {
                let tx = tx.clone();
                let permits = permits.clone();
                let checking = check(*prepared, inventory.clone());
                tokio::spawn(async move {
                    // The semaphore is never closed; a failed acquire would
                    // only run this circuit without a bound.
                    let _permit = permits.acquire_owned().await.ok();
                    let result = checking.await;
                    let _ = tx.send((
                        i,
                        Circuit {
                            inventory,
                            circuit,
                            result,
                        },
                        Some(redactor),
                    ));
                });
            }
        }
    }
    drop(tx);
    let mut done: Vec<Option<Circuit>> = (0..total).map(|_| None).collect();
    // The one writer: a circuit's lines go out together as it finishes.
    while let Some((i, c, redactor)) = rx.recv().await {
        printer.circuit(&c, redactor.as_deref());
        if let Some(slot) = done.get_mut(i) {
            *slot = Some(c);
        }
    }
    done.into_iter().flatten().collect()
}

/// One circuit's checks, with each step's end stamped as it is seen.
async fn check(p: Prepared, inventory: &Path) -> CircuitResult {
    let world = match real_world(&p, &SshOptions::default(), None) {
        Ok(w) => w,
        Err(e) => return CircuitResult::Bad(format!("{}: {e}", inventory.display())),
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    let ended = Arc::new(Mutex::new(BTreeMap::new()));
    let stamps = tokio::spawn({
        let ended = ended.clone();
        async move {
            while let Some(ev) = rx.recv().await {
                if let Event::StepEnd { step, .. } = ev
                    && let Ok(mut m) = ended.lock()
                {
                    m.insert(step, OffsetDateTime::now_utc());
                }
            }
        }
    });
    let start = Instant::now();
    let outcome = super::run_checks_with(p, world, vec![tx]).await;
    let elapsed = start.elapsed();
    let finished = OffsetDateTime::now_utc();
    // Every event was sent before the session returned; the stamper gets a
    // moment to read the last ones, and is not waited on for longer (a
    // task the engine left behind may still hold the sender).
    let _ = tokio::time::timeout(Duration::from_millis(200), stamps).await;
    let ended = ended.lock().map(|m| m.clone()).unwrap_or_default();
    CircuitResult::Checked(Checked {
        outcome,
        ended,
        finished,
        elapsed,
    })
}
