//! Scale of `cutover validate`: the wall time of one run of the real
//! binary over 20 lab circuits at once (`--jobs 20`) against one circuit
//! alone, and over 20 with the default bound (one circuit per CPU). Each
//! circuit is a whole lab (four SSH servers and the ARM API on 127.0.0.1)
//! served by this process while the binary runs. Run with
//! `cargo bench --bench validate_many`; see benches/README.md.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command;

use cutover_lab::serve::{LabHandle, LabOptions, TOKEN_ENV, start};
use cutover_lab::{Topology, scenario};
use divan::Bencher;

const TOKEN: &str = "validate-many-bench-token";

fn main() {
    divan::main();
}

/// `n` baseline labs, served by `rt` until they are shut down.
fn labs(rt: &tokio::runtime::Runtime, dir: &std::path::Path, n: usize) -> Vec<LabHandle> {
    rt.block_on(futures::future::join_all((0..n).map(|i| {
        let inv = dir.join(format!("lab-{i:02}")).join("inventory.toml");
        async move {
            let s = scenario::load_builtin("baseline", &Topology::article()).expect("scenario");
            start(LabOptions::new(s, inv, TOKEN))
                .await
                .expect("the lab starts")
        }
    })))
}

/// One `cutover validate` over the inventories; panics unless every check
/// passed, so a broken run cannot pass for a fast one.
fn validate(home: &std::path::Path, inventories: &[PathBuf], jobs: Option<usize>) {
    let mut args: Vec<OsString> = vec!["validate".into(), "--json".into()];
    if let Some(j) = jobs {
        args.push("--jobs".into());
        args.push(j.to_string().into());
    }
    for i in inventories {
        args.push("--inventory".into());
        args.push(i.clone().into());
    }
    let out = Command::new(env!("CARGO_BIN_EXE_cutover"))
        .env("HOME", home)
        .env_remove("SSH_AUTH_SOCK")
        .env(TOKEN_ENV, TOKEN)
        .args(args)
        .output()
        .expect("cutover validate runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `circuits` labs, one binary run per sample; `jobs: None` is the default
/// bound.
fn bench_circuits(bencher: Bencher, circuits: usize, jobs: Option<usize>) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("dir");
    let labs = labs(&rt, dir.path(), circuits);
    let inventories: Vec<PathBuf> = labs
        .iter()
        .map(|l| l.inventory_path().to_path_buf())
        .collect();
    bencher.bench_local(|| validate(dir.path(), &inventories, jobs));
    rt.block_on(async {
        for l in labs {
            let _ = l.shutdown().await;
        }
    });
}

/// 1 circuit, then 20 at once: the ratio is the cost of the fleet.
#[divan::bench(args = [1, 20], sample_count = 5, sample_size = 1)]
fn circuits_at_once(bencher: Bencher, circuits: usize) {
    bench_circuits(bencher, circuits, Some(circuits));
}

/// 20 circuits under the default `--jobs` (the number of CPUs).
#[divan::bench(sample_count = 3, sample_size = 1)]
fn twenty_circuits_default_jobs(bencher: Bencher) {
    bench_circuits(bencher, 20, None);
}
