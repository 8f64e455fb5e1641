//! Output that never panics. `println!` and `eprintln!` panic when their
//! stream is gone (`cutover parse ... | head -1`, a terminal hung up): the
//! reader closing the pipe is their choice, not a failure of the command,
//! and a session must go on to its end (a guarded change rolled back or
//! confirmed, the journal closed) whatever became of its output. These
//! macros drop what cannot be written; the journal is the record.
//!
//! Also: [`create_private`], the one way the binary creates a file.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// `println!` that drops what a closed stdout cannot take.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// `print!`, likewise.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($arg)*);
    }};
}

/// `eprintln!` that drops what a closed stderr cannot take.
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// `eprint!`, likewise.
macro_rules! err {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($arg)*);
    }};
}

/// Creates (or truncates) `path` for writing, mode 0600 whatever the umask
/// and whatever mode an existing file had: reports and recordings hold
/// what the journal holds.
pub fn create_private(path: &Path) -> io::Result<File> {
    let f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    Ok(f)
}
