//! The part of OpenSSH's `ssh_config` a network console needs: `Host` and
//! `Match` blocks, `Include`, `HostName`, `User`, `Port`, `IdentityFile`,
//! `IdentitiesOnly`, `ProxyJump` and `UserKnownHostsFile`. As in OpenSSH the first value
//! obtained for a keyword wins (`IdentityFile` accumulates), and keywords
//! this console has no use for are ignored.

use std::path::{Path, PathBuf};

use super::pattern::{list_matches, wildcard_match};

/// What the config file says about one host alias (values unexpanded, as
/// written; `HostName` already has `%h` applied).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostConfig {
    pub host_name: Option<String>,
    pub user: Option<String>,
    pub port: Option<u16>,
    pub identity_files: Vec<String>,
    /// `IdentitiesOnly yes`: only the identity files, no agent keys.
    pub identities_only: Option<bool>,
    pub proxy_jump: Option<String>,
    pub user_known_hosts_file: Option<String>,
}

/// A config problem, with the file and line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("ssh config {path}:{line}: {message}")]
pub struct ConfigError {
    pub path: String,
    pub line: usize,
    pub message: String,
}

/// Include nesting limit (OpenSSH uses 16).
const MAX_DEPTH: usize = 16;

/// Resolves `alias` against the config file at `path`; a missing file says
/// nothing. `home` anchors `~` and relative `Include` paths.
pub fn lookup(path: &Path, alias: &str, home: Option<&Path>) -> Result<HostConfig, ConfigError> {
    let mut out = HostConfig::default();
    let text = match std::fs::read(path) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => {
            return Err(ConfigError {
                path: path.display().to_string(),
                line: 0,
                message: format!("cannot read: {e}"),
            });
        }
    };
    let mut walker = Walker {
        alias,
        home,
        out: &mut out,
    };
    walker.walk(path, &text, true, 0)?;
    Ok(out)
}

/// [`lookup`] on text already in memory (no `Include` beyond what the file
/// system holds).
pub fn lookup_str(
    path: &Path,
    text: &str,
    alias: &str,
    home: Option<&Path>,
) -> Result<HostConfig, ConfigError> {
    let mut out = HostConfig::default();
    let mut walker = Walker {
        alias,
        home,
        out: &mut out,
    };
    walker.walk(path, text, true, 0)?;
    Ok(out)
}

struct Walker<'a> {
    alias: &'a str,
    home: Option<&'a Path>,
    out: &'a mut HostConfig,
}

impl Walker<'_> {
    /// Applies the lines of one file. `active` is whether the enclosing
    /// block applies; a file included from an inactive block applies nothing.
    fn walk(
        &mut self,
        path: &Path,
        text: &str,
        enclosing: bool,
        depth: usize,
    ) -> Result<(), ConfigError> {
        let mut active = enclosing;
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let err = |message: String| ConfigError {
                path: path.display().to_string(),
                line,
                message,
            };
            let Some((keyword, args)) = split_line(raw).map_err(&err)? else {
                continue;
            };
            match keyword.as_str() {
                "host" => {
                    if args.is_empty() {
                        return Err(err("`Host` without a pattern".into()));
                    }
                    active = enclosing && list_matches(args.iter().map(String::as_str), self.alias);
                }
                "match" => {
                    active = enclosing && self.match_block(&args).map_err(&err)?;
                }
                "include" => {
                    if depth + 1 > MAX_DEPTH {
                        return Err(err(format!("`Include` nested deeper than {MAX_DEPTH}")));
                    }
                    for arg in &args {
                        for file in self.include_paths(path, arg) {
                            let Ok(bytes) = std::fs::read(&file) else {
                                // OpenSSH skips include files it cannot read.
                                tracing::debug!(file = %file.display(), "ssh config include not readable");
                                continue;
                            };
                            self.walk(&file, &String::from_utf8_lossy(&bytes), active, depth + 1)?;
                        }
                    }
                }
                _ if !active => {}
                "hostname" => {
                    let v = one_arg(&keyword, &args).map_err(&err)?;
                    if self.out.host_name.is_none() {
                        self.out.host_name = Some(expand_hostname(v, self.alias).map_err(&err)?);
                    }
                }
                "user" => {
                    let v = one_arg(&keyword, &args).map_err(&err)?;
                    self.out.user.get_or_insert_with(|| v.to_string());
                }
                "port" => {
                    let v = one_arg(&keyword, &args).map_err(&err)?;
                    let port = v
                        .parse::<u16>()
                        .ok()
                        .filter(|p| *p != 0)
                        .ok_or_else(|| err(format!("bad port `{v}`")))?;
                    self.out.port.get_or_insert(port);
                }
                "identityfile" => {
                    let v = one_arg(&keyword, &args).map_err(&err)?;
                    self.out.identity_files.push(v.to_string());
                }
                "identitiesonly" => {
                    let v = one_arg(&keyword, &args).map_err(&err)?;
                    let yes = match v.to_ascii_lowercase().as_str() {
                        "yes" | "true" => true,
                        "no" | "false" => false,
                        _ => return Err(err(format!("`IdentitiesOnly {v}`: yes or no"))),
                    };
                    self.out.identities_only.get_or_insert(yes);
                }
                "proxyjump" => {
                    let v = one_arg(&keyword, &args).map_err(&err)?;
                    self.out.proxy_jump.get_or_insert_with(|| v.to_string());
                }
                "userknownhostsfile" => {
                    // Several files may be listed; the first is where keys
                    // are read and learned.
                    let v = args
                        .first()
                        .ok_or_else(|| err("`UserKnownHostsFile` without a value".into()))?;
                    self.out
                        .user_known_hosts_file
                        .get_or_insert_with(|| v.clone());
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// `Match all`, `Match host ...`, `Match originalhost ...` (each
    /// criterion may be negated with `!`); other criteria cannot be judged
    /// here, so such a block is not applied and the operator is told.
    fn match_block(&self, args: &[String]) -> Result<bool, String> {
        if args.is_empty() {
            return Err("`Match` without criteria".into());
        }
        let mut it = args.iter();
        let mut all = true;
        while let Some(crit) = it.next() {
            let (negate, name) = match crit.strip_prefix('!') {
                Some(n) => (true, n.to_ascii_lowercase()),
                None => (false, crit.to_ascii_lowercase()),
            };
            let hit = match name.as_str() {
                "all" => true,
                "host" | "originalhost" => {
                    let list = it
                        .next()
                        .ok_or_else(|| format!("`Match {name}` without patterns"))?;
                    let subject = if name == "host" {
                        self.out.host_name.as_deref().unwrap_or(self.alias)
                    } else {
                        self.alias
                    };
                    list_matches(list.split(','), subject)
                }
                other => {
                    tracing::warn!(
                        criterion = other,
                        "ssh config: `Match {other}` is not supported; block ignored"
                    );
                    return Ok(false);
                }
            };
            all &= hit != negate;
        }
        Ok(all)
    }

    /// Files named by an `Include` argument: relative to `~/.ssh`, with
    /// wildcards allowed in any path component (glob(3), as OpenSSH),
    /// in lexical order.
    fn include_paths(&self, from: &Path, arg: &str) -> Vec<PathBuf> {
        let expanded = match (arg.strip_prefix("~/"), self.home) {
            (Some(rest), Some(home)) => home.join(rest),
            _ => PathBuf::from(arg),
        };
        let full = if expanded.is_absolute() {
            expanded
        } else {
            let base = self
                .home
                .map(|h| h.join(".ssh"))
                .or_else(|| from.parent().map(Path::to_path_buf))
                .unwrap_or_default();
            base.join(expanded)
        };
        let mut found = vec![PathBuf::new()];
        for part in full.components() {
            let name = part.as_os_str().to_string_lossy();
            if !name.contains(['*', '?']) {
                found.iter_mut().for_each(|p| p.push(part));
                continue;
            }
            found = found.iter().flat_map(|dir| matching(dir, &name)).collect();
        }
        found.sort();
        found
    }
}

/// The entries of `dir` whose name matches `pattern`; a hidden one only
/// when the pattern starts with a dot, as glob(3).
fn matching(dir: &Path, pattern: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            (pattern.starts_with('.') || !n.starts_with('.')) && wildcard_match(pattern, &n)
        })
        .map(|e| e.path())
        .collect()
}

fn one_arg<'a>(keyword: &str, args: &'a [String]) -> Result<&'a str, String> {
    match args {
        [v] => Ok(v),
        [] => Err(format!("`{keyword}` without a value")),
        _ => Err(format!("`{keyword}` takes one value, got {}", args.len())),
    }
}

/// Splits a line into a lower-cased keyword and its arguments
/// (`Keyword value`, `Keyword=value`, double quotes group words).
fn split_line(raw: &str) -> Result<Option<(String, Vec<String>)>, String> {
    let line = raw.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let end = line
        .find(|c: char| c.is_whitespace() || c == '=')
        .unwrap_or(line.len());
    let keyword = line[..end].to_ascii_lowercase();
    let mut rest = line[end..].trim_start();
    if let Some(r) = rest.strip_prefix('=') {
        rest = r.trim_start();
    }
    let mut args = Vec::new();
    let mut cur = String::new();
    let mut in_quotes = false;
    let mut has_token = false;
    for c in rest.chars() {
        match c {
            '"' => {
                in_quotes = !in_quotes;
                has_token = true;
            }
            '#' if !in_quotes && !has_token => break,
            c if c.is_whitespace() && !in_quotes => {
                if has_token {
                    args.push(std::mem::take(&mut cur));
                    has_token = false;
                }
            }
            c => {
                cur.push(c);
                has_token = true;
            }
        }
    }
    if in_quotes {
        return Err("unbalanced quotes".into());
    }
    if has_token {
        args.push(cur);
    }
    Ok(Some((keyword, args)))
}

fn expand_hostname(v: &str, alias: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some('h') => out.push_str(alias),
            Some(t) => return Err(format!("`HostName` does not take the token %{t}")),
            None => return Err("`HostName` ends with a lone %".into()),
        }
    }
    Ok(out)
}

/// Values the `%` tokens of a path stand for.
#[derive(Debug, Clone)]
pub struct Tokens<'a> {
    pub home: Option<&'a Path>,
    /// `%h`: the host name connected to.
    pub host: &'a str,
    /// `%n`: the name as given (the alias).
    pub alias: &'a str,
    pub port: u16,
    /// `%r`: the remote user.
    pub remote_user: &'a str,
    /// `%u`: the local user.
    pub local_user: &'a str,
}

/// Expands a leading `~` and the `%d %h %n %p %r %u %%` tokens of a path.
pub fn expand_path(raw: &str, t: &Tokens<'_>) -> Result<PathBuf, String> {
    let home = || {
        t.home
            .map(|h| h.to_string_lossy().into_owned())
            .ok_or_else(|| format!("`{raw}` needs a home directory, and none is known"))
    };
    let mut out = String::new();
    let rest = if raw == "~" {
        out.push_str(&home()?);
        ""
    } else if let Some(r) = raw.strip_prefix("~/") {
        out.push_str(&home()?);
        out.push('/');
        r
    } else {
        raw
    };
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some('d') => out.push_str(&home()?),
            Some('h') => out.push_str(t.host),
            Some('n') => out.push_str(t.alias),
            Some('p') => out.push_str(&t.port.to_string()),
            Some('r') => out.push_str(t.remote_user),
            Some('u') => out.push_str(t.local_user),
            Some(tok) => return Err(format!("`{raw}`: the token %{tok} is not supported here")),
            None => return Err(format!("`{raw}` ends with a lone %")),
        }
    }
    Ok(PathBuf::from(out))
}

/// One hop of a `ProxyJump` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JumpHop {
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
}

/// Parses `ProxyJump`: `none`, or a comma-separated list of
/// `[user@]host[:port]` (IPv6 in brackets) or `ssh://[user@]host[:port]`.
pub fn parse_proxy_jump(v: &str) -> Result<Vec<JumpHop>, String> {
    if v.eq_ignore_ascii_case("none") {
        return Ok(Vec::new());
    }
    v.split(',').map(parse_hop).collect()
}

fn parse_hop(spec: &str) -> Result<JumpHop, String> {
    let s = spec.trim();
    let s = s.strip_prefix("ssh://").unwrap_or(s);
    let (user, hostport) = match s.rsplit_once('@') {
        Some((u, h)) if !u.is_empty() => (Some(u.to_string()), h),
        Some(_) => return Err(format!("ProxyJump `{spec}`: empty user")),
        None => (None, s),
    };
    let (host, port) = if let Some(rest) = hostport.strip_prefix('[') {
        let (h, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("ProxyJump `{spec}`: unclosed `[`"))?;
        match after {
            "" => (h, None),
            p => (
                h,
                Some(
                    p.strip_prefix(':')
                        .ok_or_else(|| format!("ProxyJump `{spec}`: expected `:port` after `]`"))?,
                ),
            ),
        }
    } else {
        match hostport.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    if host.is_empty() {
        return Err(format!("ProxyJump `{spec}`: empty host"));
    }
    let port = port
        .map(|p| {
            p.parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| format!("ProxyJump `{spec}`: bad port `{p}`"))
        })
        .transpose()?;
    Ok(JumpHop {
        user,
        host: host.to_string(),
        port,
    })
}

#[cfg(test)]
mod tests;
