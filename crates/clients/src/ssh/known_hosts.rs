//! OpenSSH known_hosts: plain, wildcard and negated host patterns, hashed
//! `|1|salt|hash` entries, `[host]:port` for non-22 ports, and the
//! `@revoked` / `@cert-authority` markers.
//!
//! russh ships `check_known_hosts_path`, but it splits fields on single
//! spaces, ignores markers (a `@revoked` key would be accepted), has no
//! wildcards or negation, and one unreadable line anywhere aborts the whole
//! check; hence this reader.

use std::fmt;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use russh::keys::ssh_encoding::base64::{Base64, Encoding};
use russh::keys::{HashAlg, PublicKey};

use super::hmac_sha1::hmac_sha1;
use super::pattern::list_matches;

/// The name a host is recorded under: `host` on port 22, `[host]:port`
/// otherwise (host lower-cased, as OpenSSH does before every lookup).
pub fn lookup_name(host: &str, port: u16) -> String {
    let host = host.to_ascii_lowercase();
    if port == 22 {
        host
    } else {
        format!("[{host}]:{port}")
    }
}

/// The OpenSSH fingerprint of a key: `SHA256:` and unpadded base64.
pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    None,
    Revoked,
    CertAuthority,
}

#[derive(Debug, Clone)]
enum HostField {
    Patterns(Vec<String>),
    Hashed { salt: Vec<u8>, hash: Vec<u8> },
}

#[derive(Debug, Clone)]
struct Entry {
    line: usize,
    marker: Marker,
    hosts: Vec<HostField>,
    key: PublicKey,
}

impl Entry {
    fn matches(&self, name: &str) -> bool {
        let mut patterns: Vec<&str> = Vec::new();
        for field in &self.hosts {
            match field {
                HostField::Hashed { salt, hash } => {
                    if hmac_sha1(salt, name.as_bytes()).as_slice() == hash.as_slice() {
                        return true;
                    }
                }
                HostField::Patterns(p) => patterns.extend(p.iter().map(String::as_str)),
            }
        }
        list_matches(patterns, name)
    }
}

/// What known_hosts says about a presented host key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Recorded for this host at `line`.
    Known { line: usize },
    /// Nothing recorded for this host.
    Unknown,
    /// The host is recorded with a different key of the same type.
    Changed {
        line: usize,
        old_fingerprint: String,
    },
    /// The host is recorded, but only with keys of other types.
    OtherTypeKnown { line: usize, algorithm: String },
    /// The key is marked `@revoked`.
    Revoked { line: usize },
}

/// A known_hosts file as read from disk.
#[derive(Debug, Clone)]
pub struct KnownHosts {
    path: PathBuf,
    entries: Vec<Entry>,
    skipped: Vec<(usize, String)>,
}

/// A known_hosts file that exists but cannot be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("known_hosts {path}: {reason}")]
pub struct KnownHostsError {
    pub path: String,
    pub reason: String,
}

impl KnownHosts {
    /// Reads `path`; a missing file is an empty one (every host unknown).
    pub fn load(path: &Path) -> Result<Self, KnownHostsError> {
        match std::fs::read(path) {
            Ok(bytes) => Ok(Self::parse(path, &String::from_utf8_lossy(&bytes))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self {
                path: path.to_path_buf(),
                entries: Vec::new(),
                skipped: Vec::new(),
            }),
            Err(e) => Err(KnownHostsError {
                path: path.display().to_string(),
                reason: format!("cannot read: {e}"),
            }),
        }
    }

    /// Parses `text`; unreadable lines are skipped (and kept for messages),
    /// as OpenSSH skips them.
    pub fn parse(path: &Path, text: &str) -> Self {
        let mut entries = Vec::new();
        let mut skipped = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            match parse_line(trimmed) {
                Ok(Some((marker, hosts, key))) => entries.push(Entry {
                    line,
                    marker,
                    hosts,
                    key,
                }),
                Ok(None) => {}
                Err(why) => {
                    tracing::warn!(file = %path.display(), line, "known_hosts line skipped: {why}");
                    skipped.push((line, why));
                }
            }
        }
        Self {
            path: path.to_path_buf(),
            entries,
            skipped,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Lines that could not be read, with why.
    pub fn skipped(&self) -> &[(usize, String)] {
        &self.skipped
    }

    /// Judges `key` presented by `host` on `port`.
    pub fn check(&self, host: &str, port: u16, key: &PublicKey) -> Verdict {
        // A revoked key stays revoked whatever host line it sits on: the
        // marker is a statement about the key.
        if let Some(e) = self
            .entries
            .iter()
            .find(|e| e.marker == Marker::Revoked && e.key.key_data() == key.key_data())
        {
            return Verdict::Revoked { line: e.line };
        }
        let name = lookup_name(host, port);
        let recorded: Vec<&Entry> = self
            .entries
            .iter()
            .filter(|e| e.marker == Marker::None && e.matches(&name))
            .collect();
        if let Some(e) = recorded.iter().find(|e| e.key.key_data() == key.key_data()) {
            return Verdict::Known { line: e.line };
        }
        let family = key_family(key);
        if let Some(e) = recorded.iter().find(|e| key_family(&e.key) == family) {
            return Verdict::Changed {
                line: e.line,
                old_fingerprint: fingerprint(&e.key),
            };
        }
        if let Some(e) = recorded.first() {
            return Verdict::OtherTypeKnown {
                line: e.line,
                algorithm: e.key.algorithm().as_str().to_string(),
            };
        }
        Verdict::Unknown
    }

    /// Key algorithms recorded for this host, in file order, so the client
    /// can ask the server for a key type it will recognise (as OpenSSH
    /// orders HostKeyAlgorithms).
    pub fn known_algorithms(&self, host: &str, port: u16) -> Vec<russh::keys::Algorithm> {
        let name = lookup_name(host, port);
        let mut out: Vec<russh::keys::Algorithm> = Vec::new();
        for e in &self.entries {
            if e.marker == Marker::None && e.matches(&name) {
                let alg = e.key.algorithm();
                if !out.contains(&alg) {
                    out.push(alg);
                }
            }
        }
        out
    }
}

/// RSA host keys are one type whatever signature hash they are used with.
fn key_family(key: &PublicKey) -> String {
    if key.algorithm().is_rsa() {
        "ssh-rsa".to_string()
    } else {
        key.algorithm().as_str().to_string()
    }
}

type ParsedLine = (Marker, Vec<HostField>, PublicKey);

fn parse_line(line: &str) -> Result<Option<ParsedLine>, String> {
    let mut fields = line.split_ascii_whitespace();
    let mut first = fields.next().ok_or("empty line")?;
    let marker = if let Some(m) = first.strip_prefix('@') {
        let marker = match m {
            "revoked" => Marker::Revoked,
            "cert-authority" => Marker::CertAuthority,
            other => return Err(format!("unknown marker @{other}")),
        };
        first = fields.next().ok_or("marker without host patterns")?;
        marker
    } else {
        Marker::None
    };
    let hosts_field = first;
    let key_type = fields.next().ok_or("no key type")?;
    let b64 = fields.next().ok_or("no key")?;
    if marker == Marker::CertAuthority {
        // Host certificates are not negotiated (russh advertises none), so
        // a CA line can never vouch for a key here: ignored, not an error.
        return Ok(None);
    }
    let key = russh::keys::parse_public_key_base64(b64)
        .map_err(|e| format!("cannot read the {key_type} key: {e}"))?;
    let mut hosts = Vec::new();
    let mut plain = Vec::new();
    for h in hosts_field.split(',') {
        if let Some(rest) = h.strip_prefix("|1|") {
            let (salt, hash) = rest
                .split_once('|')
                .ok_or("hashed host without a hash part")?;
            let salt = Base64::decode_vec(salt).map_err(|_| "hashed host: bad salt")?;
            let hash = Base64::decode_vec(hash).map_err(|_| "hashed host: bad hash")?;
            hosts.push(HostField::Hashed { salt, hash });
        } else if !h.is_empty() {
            plain.push(h.to_string());
        }
    }
    if !plain.is_empty() {
        hosts.push(HostField::Patterns(plain));
    }
    Ok(Some((marker, hosts, key)))
}

/// Appends `key` for `host`:`port` (as `[host]:port` when the port is not
/// 22) and returns the line number it landed on.
pub fn append(
    path: &Path,
    host: &str,
    port: u16,
    key: &PublicKey,
) -> Result<usize, KnownHostsError> {
    let err = |reason: String| KnownHostsError {
        path: path.display().to_string(),
        reason,
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| err(format!("cannot create the folder: {e}")))?;
    }
    let openssh = key
        .to_openssh()
        .map_err(|e| err(format!("cannot encode the key: {e}")))?;
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| err(format!("cannot open for writing: {e}")))?;
    let mut text = String::new();
    file.read_to_string(&mut text)
        .map_err(|e| err(format!("cannot read: {e}")))?;
    let mut record = String::new();
    if !text.is_empty() && !text.ends_with('\n') {
        record.push('\n');
    }
    record.push_str(&lookup_name(host, port));
    record.push(' ');
    record.push_str(openssh.trim());
    record.push('\n');
    file.seek(SeekFrom::End(0))
        .map_err(|e| err(format!("cannot seek: {e}")))?;
    // One write of the whole record: with O_APPEND, two devices learning
    // keys into the same file at once cannot interleave within a line.
    file.write_all(record.as_bytes())
        .map_err(|e| err(format!("cannot write: {e}")))?;
    file.sync_all()
        .map_err(|e| err(format!("cannot sync: {e}")))?;
    Ok(text.lines().count() + 1)
}

/// How a verdict reads to the operator.
#[derive(Debug)]
pub struct Refusal<'a> {
    pub verdict: &'a Verdict,
    pub name: String,
    pub file: &'a Path,
    pub key: &'a PublicKey,
}

impl fmt::Display for Refusal<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fp = fingerprint(self.key);
        let alg = self.key.algorithm();
        let alg = alg.as_str();
        let file = self.file.display();
        let name = &self.name;
        match self.verdict {
            Verdict::Known { .. } => write!(f, "{name}: host key {fp} is known"),
            Verdict::Unknown => write!(
                f,
                "{name} presented an unknown {alg} host key {fp}, not recorded in {file}; \
                 check the fingerprint out of band, then add the key to {file} \
                 or set trust_on_first_use = true for this device"
            ),
            Verdict::Changed {
                line,
                old_fingerprint,
            } => write!(
                f,
                "HOST KEY CHANGED for {name}: {file}:{line} records {old_fingerprint}, \
                 the server now presents {alg} {fp}. Someone may be intercepting the \
                 connection, or the device was replaced. Refusing to connect (even with \
                 trust_on_first_use); if the change is expected, verify {fp} out of band \
                 and remove line {line} from {file}"
            ),
            Verdict::OtherTypeKnown { line, algorithm } => write!(
                f,
                "{name} presented a {alg} host key {fp}, but {file}:{line} records only \
                 a {algorithm} key for it; refusing to learn a new key type automatically, \
                 verify {fp} out of band and add it to {file}"
            ),
            Verdict::Revoked { line } => write!(
                f,
                "{name} presented the REVOKED host key {fp} ({file}:{line} marks it \
                 @revoked); refusing to connect"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIDPdxjemj5WjDtJ/4UJR25/ip5INyofp6hs60/w/J+YP";
    const K1_FP: &str = "SHA256:+q6tv1cjkAY6E/OIXstlv1nesOub1i7NWRZxLa91hmA";
    const K2: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIJMZM9X6m5a9mVJmSWUbAPDLdv7hC9drCUHadM9ljSXg";
    const K2_FP: &str = "SHA256:vEtWLsAZq4oWWeCLy0aZqBwWD+i0rjbtUIWtQWhddww";
    const K3_RSA: &str = "AAAAB3NzaC1yc2EAAAADAQABAAAAgQDqGL71SvwBqgdLN9XgQTZB9N6anyRRhz9Ov0pl1mZplmmFUcgedhQ/u9CYcqCINVKRiVcQej6ipVgfWKOvN99sC4xEgAnXxo4XdqSVR2aKWPeZ6/IJjWZCx5nbsAjRCGLU/eAaTpIYq8mNVpjEO/ai+FXiQtvf1t2FM712JNh6dw==";
    const K3_FP: &str = "SHA256:i0Zw/uS1Frk0t8YruDUAO/3MG1jIBtE2STeT+TYfHCs";

    fn key(b64: &str) -> PublicKey {
        russh::keys::parse_public_key_base64(b64).expect("test key")
    }

    fn kh(text: &str) -> KnownHosts {
        KnownHosts::parse(Path::new("/kh"), text)
    }

    #[test]
    fn fingerprints_match_ssh_keygen() {
        // Values printed by `ssh-keygen -lf` for the same keys.
        assert_eq!(fingerprint(&key(K1)), K1_FP);
        assert_eq!(fingerprint(&key(K2)), K2_FP);
        assert_eq!(fingerprint(&key(K3_RSA)), K3_FP);
    }

    #[test]
    fn plain_entries_port_22_and_other_ports() {
        let f = kh(&format!(
            "# comment\n\nce1.example.net,198.51.100.1 ssh-ed25519 {K1}\n[127.0.0.1]:2222\tssh-ed25519   {K2} lab key\n"
        ));
        assert_eq!(
            f.check("ce1.example.net", 22, &key(K1)),
            Verdict::Known { line: 3 }
        );
        assert_eq!(
            f.check("CE1.Example.NET", 22, &key(K1)),
            Verdict::Known { line: 3 }
        );
        assert_eq!(
            f.check("198.51.100.1", 22, &key(K1)),
            Verdict::Known { line: 3 }
        );
        // The same host on another port is another name.
        assert_eq!(f.check("ce1.example.net", 2200, &key(K1)), Verdict::Unknown);
        assert_eq!(
            f.check("127.0.0.1", 2222, &key(K2)),
            Verdict::Known { line: 4 }
        );
        assert_eq!(f.check("127.0.0.1", 22, &key(K2)), Verdict::Unknown);
    }

    #[test]
    fn hashed_entries_from_ssh_keygen_h() {
        // `ssh-keygen -H` output for "ce1.example.net" and "[10.0.0.1]:2222".
        let f = kh(&format!(
            "|1|XzrvcD+u/diD3BgWjaSAunAbcFc=|8yxCTUuKkpBR+wU6ysvM/uVgEFU= ssh-ed25519 {K1}\n\
             |1|hkHsTVaopXTJ5P93cYHnvH1FHP4=|cx8XhYvNZp5saNfdr5LQ4LVHQJA= ssh-ed25519 {K1}\n"
        ));
        assert_eq!(
            f.check("ce1.example.net", 22, &key(K1)),
            Verdict::Known { line: 1 }
        );
        assert_eq!(
            f.check("10.0.0.1", 2222, &key(K1)),
            Verdict::Known { line: 2 }
        );
        assert_eq!(f.check("10.0.0.1", 22, &key(K1)), Verdict::Unknown);
        assert_eq!(f.check("ce2.example.net", 22, &key(K1)), Verdict::Unknown);
        assert!(matches!(
            f.check("ce1.example.net", 22, &key(K2)),
            Verdict::Changed { line: 1, .. }
        ));
    }

    #[test]
    fn wildcards_and_negation() {
        let f = kh(&format!(
            "*.lab.example,!bastion.lab.example ssh-ed25519 {K1}\n"
        ));
        assert_eq!(
            f.check("ce1.lab.example", 22, &key(K1)),
            Verdict::Known { line: 1 }
        );
        assert_eq!(
            f.check("bastion.lab.example", 22, &key(K1)),
            Verdict::Unknown
        );
    }

    #[test]
    fn changed_key_names_line_and_both_fingerprints() {
        let f = kh(&format!("other ssh-ed25519 {K2}\nce1 ssh-ed25519 {K1}\n"));
        let v = f.check("ce1", 22, &key(K2));
        assert_eq!(
            v,
            Verdict::Changed {
                line: 2,
                old_fingerprint: K1_FP.to_string()
            }
        );
        let msg = Refusal {
            verdict: &v,
            name: lookup_name("ce1", 22),
            file: f.path(),
            key: &key(K2),
        }
        .to_string();
        assert!(msg.contains("HOST KEY CHANGED"), "{msg}");
        assert!(msg.contains("/kh:2"), "{msg}");
        assert!(msg.contains(K1_FP) && msg.contains(K2_FP), "{msg}");
    }

    #[test]
    fn other_key_type_is_not_a_silent_unknown() {
        let f = kh(&format!("ce1 ssh-rsa {K3_RSA}\n"));
        assert_eq!(
            f.check("ce1", 22, &key(K1)),
            Verdict::OtherTypeKnown {
                line: 1,
                algorithm: "ssh-rsa".into()
            }
        );
        assert_eq!(f.known_algorithms("ce1", 22), vec![key(K3_RSA).algorithm()]);
        assert!(f.known_algorithms("ce2", 22).is_empty());
    }

    #[test]
    fn revoked_refuses_and_cert_authority_is_ignored() {
        let f = kh(&format!(
            "@cert-authority *.example ssh-ed25519 {K2}\n@revoked * ssh-ed25519 {K1}\nce1 ssh-ed25519 {K1}\n"
        ));
        assert_eq!(f.check("ce1", 22, &key(K1)), Verdict::Revoked { line: 2 });
        assert_eq!(f.check("r.example", 22, &key(K2)), Verdict::Unknown);
    }

    #[test]
    fn bad_lines_are_skipped_not_fatal() {
        let f = kh(&format!(
            "ce1 ssh-ed25519 not-base64!\n@weird ce1 ssh-ed25519 {K1}\nce1\n|1|x ssh-ed25519 {K1}\nce1 ssh-ed25519 {K1}\n"
        ));
        assert_eq!(f.check("ce1", 22, &key(K1)), Verdict::Known { line: 5 });
        let lines: Vec<usize> = f.skipped().iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, vec![1, 2, 3, 4]);
    }

    #[test]
    fn append_uses_bracket_form_and_reads_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub").join("known_hosts");
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, format!("ce9 ssh-ed25519 {K2}")).expect("write");
        let line = append(&path, "127.0.0.1", 2222, &key(K1)).expect("append");
        assert_eq!(line, 2);
        let line = append(&path, "Ce1", 22, &key(K3_RSA)).expect("append");
        assert_eq!(line, 3);
        let text = std::fs::read_to_string(&path).expect("read");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[1], format!("[127.0.0.1]:2222 ssh-ed25519 {K1}"));
        assert_eq!(lines[2], format!("ce1 ssh-rsa {K3_RSA}"));
        let f = KnownHosts::load(&path).expect("load");
        assert_eq!(
            f.check("127.0.0.1", 2222, &key(K1)),
            Verdict::Known { line: 2 }
        );
        assert_eq!(f.check("ce1", 22, &key(K3_RSA)), Verdict::Known { line: 3 });
    }

    #[test]
    fn missing_file_is_empty() {
        let f = KnownHosts::load(Path::new("/nonexistent/cutover/known_hosts"))
            .expect("missing is fine");
        assert_eq!(f.check("ce1", 22, &key(K1)), Verdict::Unknown);
    }
}
