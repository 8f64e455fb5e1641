//! Who runs a session and what key signs its journal: `--operator`
//! (else `$USER`, `$LOGNAME`, then the account name) and `--sign-key`
//! (else the inventory's `[journal] sign_key`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cutover_core::inventory::Inventory;
use cutover_journal::Signer;
use cutover_journal::sign::{process_signer, set_process_signer};

/// `--operator`: a name as it should read in a report.
pub fn parse_operator(s: &str) -> Result<String, String> {
    let name = s.trim();
    if name.is_empty() {
        return Err("the operator's name is empty".into());
    }
    if name.chars().any(char::is_control) {
        return Err("the operator's name has a control character".into());
    }
    Ok(name.to_string())
}

/// The operator: `flag`, else the first of `$USER`, `$LOGNAME` that is set
/// and not empty, else the account this process runs as.
pub fn operator(flag: Option<&str>) -> String {
    let env = |name: &str| {
        std::env::var(name)
            .ok()
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty() && !v.chars().any(char::is_control))
    };
    flag.map(str::to_string)
        .or_else(|| env("USER"))
        .or_else(|| env("LOGNAME"))
        .or_else(account_name)
        .unwrap_or_else(|| "unknown".into())
}

/// The passwd name of this process's user, found without unsafe code:
/// `/proc/self` belongs to the process's user.
fn account_name() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").ok()?.uid();
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let name = passwd.lines().find_map(|l| {
        let mut f = l.split(':');
        let name = f.next()?;
        let id: u32 = f.nth(1)?.parse().ok()?;
        (id == uid && !name.is_empty()).then(|| name.to_string())
    });
    Some(name.unwrap_or_else(|| format!("uid {uid}")))
}

/// Loads the signing key (`flag` wins over the inventory's) and makes it
/// the key of every journal this process writes. Bad input (exit 2) when
/// it cannot sign: found before anything starts.
pub fn load_signer(
    flag: Option<&Path>,
    inventory: Option<(&Inventory, &Path)>,
) -> Result<Option<Arc<Signer>>, String> {
    let (path, from_inventory): (PathBuf, Option<&Path>) = match (flag, inventory) {
        (Some(p), _) => (p.to_path_buf(), None),
        (None, Some((inv, inv_path))) => match &inv.journal.sign_key {
            Some(k) => (
                cutover_core::inventory::expand_home(k).unwrap_or_else(|| k.clone()),
                Some(inv_path),
            ),
            None => return Ok(None),
        },
        (None, None) => return Ok(None),
    };
    // Absolute: the detached guard is given the same path.
    let path = std::fs::canonicalize(&path).unwrap_or(path);
    let signer = Signer::load(&path).map_err(|e| match from_inventory {
        Some(inv) => format!("{} ([journal] sign_key): {e}", inv.display()),
        None => format!("--sign-key: {e}"),
    })?;
    let signer = Arc::new(signer);
    set_process_signer(Arc::clone(&signer));
    Ok(process_signer())
}

/// The detached guard's arguments that carry the signing key, so that a
/// guard closing the journal signs it too.
pub fn guard_args() -> Vec<std::ffi::OsString> {
    match process_signer() {
        Some(s) => vec!["--sign-key".into(), s.path().as_os_str().to_os_string()],
        None => Vec::new(),
    }
}

/// In the detached guard: load its `--sign-key`. A key that cannot be
/// loaded is said and skipped: it must never keep a guard from guarding.
pub fn guard_signer(key: Option<&Path>) {
    let Some(key) = key else { return };
    match Signer::load(key) {
        Ok(s) => {
            set_process_signer(Arc::new(s));
        }
        Err(e) => super::lossy::say(format!(
            "cutover guard: the journal will not be signed by the guard: {e}"
        )),
    }
}
