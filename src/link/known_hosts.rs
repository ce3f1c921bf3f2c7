//! Host keys, the way OpenSSH checks them: against a `known_hosts` file (known, unknown, or
//! changed, and on which line of the file), then by the policy (`ask` on the terminal,
//! `accept-new`, `strict`), with OpenSSH's wording for the warnings. Matching host names (plain and hashed `|1|`
//! entries, `[host]:port` for ports other than 22) is russh's; this module adds what the
//! warnings need that russh does not give: the real line number, the old key, and OpenSSH's
//! rule that any matching line with the same key is enough.

use super::HostKeyPolicy;
use russh::keys::{known_hosts as russh_kh, Algorithm, HashAlg, PublicKey};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// What `known_hosts` says about a host's key.
#[derive(Debug)]
pub enum HostKeyStatus {
    /// A line for this host holds this very key.
    Known,
    /// No line holds a key for this host.
    Unknown,
    /// A line for this host holds a different key of the same type: the host key changed.
    Changed { line: usize, old: PublicKey },
    /// The host is known, but by keys of other types only: the key offered is not one of them.
    /// OpenSSH refuses this as a changed key (a router that is really the same keeps its
    /// recorded key, and tunnelscope asks for the recorded types first).
    OtherType { known: Vec<(usize, PublicKey)> },
    /// An `@revoked` line holds this key: never trusted, whatever else the file says.
    Revoked { line: usize },
}

/// The most of a known_hosts file tunnelscope reads: far more than any real one, and a bound
/// on memory when the path names a device or a runaway file.
const MAX_FILE: u64 = 16 * 1024 * 1024;

/// Why a host key was not trusted, or the known hosts file could not be used (boxed: the
/// messages carry several fingerprints and paths, and errors travel in every link's `Result`).
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct HostKeyError(Box<HostKeyProblem>);

impl HostKeyError {
    pub fn problem(&self) -> &HostKeyProblem {
        &self.0
    }
}

impl From<HostKeyProblem> for HostKeyError {
    fn from(p: HostKeyProblem) -> Self {
        HostKeyError(Box::new(p))
    }
}

/// What was wrong with a host key or the known hosts file: the message to show, word for word
/// as OpenSSH users expect it.
#[derive(Debug, thiserror::Error)]
pub enum HostKeyProblem {
    #[error("cannot read the known hosts file {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("the known hosts file {path} is larger than 16 MiB: not a known_hosts file")]
    TooLarge { path: String },
    #[error("the known hosts file {path} is not a regular file (only an empty one, like /dev/null, is allowed)")]
    NotRegular { path: String },
    #[error("cannot record the host key of {label} in {path}: {reason}")]
    Record {
        label: String,
        path: String,
        reason: String,
    },
    #[error("the host key of {label} is marked as revoked in {path} line {line} ({key_type} key fingerprint {fingerprint}): refusing to connect (under every --host-key mode)")]
    Revoked {
        label: String,
        path: String,
        line: usize,
        key_type: String,
        fingerprint: String,
    },
    /// The key differs from the recorded one of its type: OpenSSH's warning, with both
    /// fingerprints and where the old key is, so the engineer can check the new one and remove
    /// the old entry.
    #[error(
        "WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED for {label}! Someone may be \
             intercepting the connection, or the router's key was regenerated.\n\
             known key ({path} line {line}): {key_type} {old_fingerprint}\n\
             key offered now: {key_type} {fingerprint}\n\
             Refusing to connect. If the change is expected, remove the old key with: \
             ssh-keygen -R '{label}' -f {path}"
    )]
    Changed {
        label: String,
        path: String,
        line: usize,
        key_type: String,
        old_fingerprint: String,
        fingerprint: String,
    },
    /// The host is known by keys of other types than the one offered: refused as OpenSSH does,
    /// with the fingerprints of the recorded keys (`recorded`, one line each) and of the offered
    /// one.
    #[error("WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED for {label}! It offered a {key_type} key, \
             but {path} holds only keys of another type for it. Someone may be intercepting the \
             connection, or the router's keys were regenerated.\n\
             {recorded}\n\
             key offered now: {key_type} {fingerprint}\n\
             Refusing to connect (under every --host-key mode). If the change is expected, remove \
             the old key with: ssh-keygen -R '{label}' -f {path}")]
    OtherType {
        label: String,
        path: String,
        key_type: String,
        recorded: String,
        fingerprint: String,
    },
    #[error("the host key of {label} is not known ({key_type} key fingerprint {fingerprint}), and --host-key strict refuses unknown keys: check the fingerprint, \
             then connect once with --host-key accept-new or add the key to {path}")]
    UnknownStrict {
        label: String,
        path: String,
        key_type: String,
        fingerprint: String,
    },
    #[error("host key of {label} not accepted ({key_type} key fingerprint {fingerprint})")]
    NotAccepted {
        label: String,
        key_type: String,
        fingerprint: String,
    },
    #[error("the host key of {label} is not known ({key_type} key fingerprint {fingerprint}), and there is no terminal to ask whether to trust it: check the \
             fingerprint, then run again with --host-key accept-new (or add the key to {path})")]
    NoTerminal {
        label: String,
        path: String,
        key_type: String,
        fingerprint: String,
    },
    /// Certificate host-key algorithms are never offered, so a server that sends one anyway is
    /// not trusted.
    #[error("{label} presented a host certificate, which tunnelscope does not check: refusing")]
    Certificate { label: String },
}

/// `~/.ssh/known_hosts`, as OpenSSH uses it.
pub fn default_path() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".ssh").join("known_hosts"))
}

/// The name the host has in `known_hosts`: `host` on port 22, `[host]:port` otherwise.
pub fn host_label(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_string()
    } else {
        format!("[{host}]:{port}")
    }
}

/// `SHA256:...`, as OpenSSH prints fingerprints.
pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// The key type as OpenSSH names it in its messages (`ED25519`, `RSA`, `ECDSA`).
pub fn key_type(key: &PublicKey) -> String {
    match key.algorithm() {
        Algorithm::Ed25519 => "ED25519".into(),
        Algorithm::Rsa { .. } => "RSA".into(),
        Algorithm::Ecdsa { .. } => "ECDSA".into(),
        Algorithm::Dsa => "DSA".into(),
        other => other.as_str().to_string(),
    }
}

/// Look the host's key up in the file at `path` (a missing file knows no host).
pub fn check(
    host: &str,
    port: u16,
    key: &PublicKey,
    path: &Path,
) -> Result<HostKeyStatus, HostKeyError> {
    // OpenSSH compares host names in lower case.
    let host = host.to_ascii_lowercase();
    let Some(text) = read_capped(path)? else {
        return Ok(HostKeyStatus::Unknown);
    };
    if let Some(line) = revoked_line(&text, key) {
        return Ok(HostKeyStatus::Revoked { line });
    }
    let recorded =
        russh_kh::known_host_keys_path(&host, port, path).map_err(|e| HostKeyProblem::Read {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
    if recorded.iter().any(|(_, k)| k.key_data() == key.key_data()) {
        return Ok(HostKeyStatus::Known);
    }
    if let Some((line, old)) = recorded
        .iter()
        .find(|(_, k)| same_key_type(&k.algorithm(), &key.algorithm()))
    {
        return Ok(HostKeyStatus::Changed {
            line: real_line(&text, *line).unwrap_or(*line),
            old: old.clone(),
        });
    }
    if !recorded.is_empty() {
        let known = recorded
            .iter()
            .map(|(line, k)| (real_line(&text, *line).unwrap_or(*line), k.clone()))
            .collect();
        return Ok(HostKeyStatus::OtherType { known });
    }
    Ok(HostKeyStatus::Unknown)
}

/// The file's text, read with a size cap (`None` when there is no file, or it is empty, like
/// `/dev/null`, which OpenSSH users name to keep no record). russh reads the file again by
/// path, so anything that is not a regular file must be empty: a pipe would be read twice.
fn read_capped(path: &Path) -> Result<Option<String>, HostKeyError> {
    use std::io::Read;
    let shown = || path.display().to_string();
    let read = |e: std::io::Error| HostKeyProblem::Read {
        path: shown(),
        reason: e.to_string(),
    };
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(read(e).into()),
    };
    let regular = file.metadata().map(|m| m.is_file()).unwrap_or(false);
    let mut bytes = Vec::new();
    file.take(MAX_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(read)?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(HostKeyProblem::TooLarge { path: shown() }.into());
    }
    if bytes.is_empty() {
        return Ok(None);
    }
    if !regular {
        return Err(HostKeyProblem::NotRegular { path: shown() }.into());
    }
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

/// The line of an `@revoked` entry holding `key`, if any. OpenSSH applies such a line to the
/// hosts it names; tunnelscope refuses a revoked key for every host (a key someone revoked is
/// not one to trust anywhere, and hashed host names need not be matched to see that).
/// `@cert-authority` lines are not host keys and are skipped here as in the key lookup (russh
/// reads the marker as the host name, which no host matches).
fn revoked_line(text: &str, key: &PublicKey) -> Option<usize> {
    text.lines().enumerate().find_map(|(i, line)| {
        let mut fields = line.split_whitespace();
        if !fields.next()?.eq_ignore_ascii_case("@revoked") {
            return None;
        }
        let (_hosts, _type, b64) = (fields.next()?, fields.next()?, fields.next()?);
        let revoked = russh::keys::parse_public_key_base64(b64).ok()?;
        (revoked.key_data() == key.key_data()).then_some(i + 1)
    })
}

/// Whether two host key algorithms are the same kind of key (RSA keys sign with SHA-1 or
/// SHA-2: one key type, three algorithm names).
pub fn same_key_type(a: &Algorithm, b: &Algorithm) -> bool {
    a == b || (matches!(a, Algorithm::Rsa { .. }) && matches!(b, Algorithm::Rsa { .. }))
}

/// The key types recorded for `host:port` (empty for an unknown host, or a file that cannot
/// be read: the check after the key exchange reports that).
pub fn known_algorithms(host: &str, port: u16, path: &Path) -> Vec<Algorithm> {
    let host = host.to_ascii_lowercase();
    let mut algs: Vec<Algorithm> = Vec::new();
    // A file too big (or not a file) is reported by the check after the key exchange.
    if !matches!(read_capped(path), Ok(Some(_))) {
        return algs;
    }
    for (_, k) in russh_kh::known_host_keys_path(&host, port, path).unwrap_or_default() {
        if !algs.iter().any(|a| same_key_type(a, &k.algorithm())) {
            algs.push(k.algorithm());
        }
    }
    algs
}

/// Append the host's key to the file at `path` (creating it 0600, and its folder 0700, if
/// needed). A symbolic link is followed only to an existing file of the user's own (dotfile
/// managers link ~/.ssh/known_hosts so, and OpenSSH follows it); a dangling link or one to
/// another user's file is refused. A line break is added first only when the file does not
/// end with one, so a new file starts with the key's line.
pub fn learn(host: &str, port: u16, key: &PublicKey, path: &Path) -> Result<(), HostKeyError> {
    use std::io::{Read, Seek, SeekFrom};
    let host = host.to_ascii_lowercase();
    let label = host_label(&host, port);
    let fail = |e: String| HostKeyProblem::Record {
        label: label.clone(),
        path: path.display().to_string(),
        reason: e,
    };
    // The key as offered has no comment; write it bare so the line reads like OpenSSH's.
    let mut bare = key.clone();
    bare.set_comment("");
    let openssh = bare.to_openssh().map_err(|e| fail(e.to_string()))?;
    let target = own_link_target(path).unwrap_or_else(|| path.to_path_buf());
    let mut file = crate::fsutil::open_append(&target).map_err(|e| fail(e.to_string()))?;
    let mut line = String::new();
    if file.seek(SeekFrom::End(-1)).is_ok() {
        let mut last = [0u8; 1];
        if file.read_exact(&mut last).is_ok() && last[0] != b'\n' {
            line.push('\n');
        }
    }
    line.push_str(&format!("{label} {}\n", openssh.trim_end()));
    tracing::info!(%label, path = %path.display(), "recording the host key");
    file.write_all(line.as_bytes())
        .and_then(|_| file.flush())
        .map_err(|e| fail(e.to_string()).into())
}

/// Where a symbolic link at `path` leads, when that is an existing regular file owned by the
/// user running tunnelscope.
fn own_link_target(path: &Path) -> Option<std::path::PathBuf> {
    use std::os::unix::fs::MetadataExt;
    let link = std::fs::symlink_metadata(path).ok()?;
    if !link.file_type().is_symlink() {
        return None;
    }
    let real = std::fs::canonicalize(path).ok()?;
    let meta = std::fs::symlink_metadata(&real).ok()?;
    // SAFETY: getuid has no preconditions and cannot fail.
    let me = unsafe { libc::getuid() };
    (meta.is_file() && meta.uid() == me).then_some(real)
}

/// russh numbers only the lines that do not start with `#`; turn its number into the file's
/// own line number, which is what an engineer needs to find (or `ssh-keygen -R`) the entry.
fn real_line(text: &str, russh_line: usize) -> Option<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#'))
        .nth(russh_line.checked_sub(1)?)
        .map(|(i, _)| i + 1)
}

/// Decide whether to trust `key` for `host:port`, as OpenSSH does: a known key passes; a
/// changed key never does (whatever the policy); an unknown one passes under `AcceptNew`, or
/// under `Ask` when the user types `yes` on the terminal, and is then recorded in `path`.
/// `asking` is set while the user is being asked (the caller's timeouts wait for a person).
/// The error is the message to show.
pub async fn verify(
    host: &str,
    port: u16,
    key: &PublicKey,
    path: &Path,
    policy: HostKeyPolicy,
    asking: &AtomicBool,
) -> Result<(), HostKeyError> {
    let status = check(host, port, key, path)
        .inspect_err(|e| tracing::warn!(error = %e, "host key check failed"))?;
    match status {
        HostKeyStatus::Known => return Ok(()),
        HostKeyStatus::Changed { line, old } => {
            return Err(changed_message(host, port, key, path, line, &old).into())
        }
        HostKeyStatus::OtherType { known } => {
            return Err(other_type_message(host, port, key, path, &known).into())
        }
        HostKeyStatus::Revoked { line } => {
            return Err(HostKeyProblem::Revoked {
                label: host_label(host, port),
                path: path.display().to_string(),
                line,
                key_type: key_type(key),
                fingerprint: fingerprint(key),
            }
            .into())
        }
        HostKeyStatus::Unknown => {}
    }
    let label = host_label(host, port);
    let shown = path.display().to_string();
    let fp = fingerprint(key);
    let ktype = key_type(key);
    tracing::info!(%label, key_type = %ktype, fingerprint = %fp, "unknown host key");
    match policy {
        HostKeyPolicy::AcceptNew => learn(host, port, key, path),
        HostKeyPolicy::Strict => Err(HostKeyProblem::UnknownStrict {
            label,
            path: shown,
            key_type: ktype,
            fingerprint: fp,
        }
        .into()),
        HostKeyPolicy::Ask => {
            let question = format!(
                "The authenticity of host '{label}' can't be established.\r\n\
                 {ktype} key fingerprint is {fp}.\r\n\
                 Are you sure you want to continue connecting (yes/no/[fingerprint])? "
            );
            asking.store(true, Ordering::SeqCst);
            let expected = fp.clone();
            let answer =
                tokio::task::spawn_blocking(move || ask_on_tty(&question, &expected)).await;
            asking.store(false, Ordering::SeqCst);
            match answer {
                Ok(Some(true)) => learn(host, port, key, path),
                Ok(Some(false)) => Err(HostKeyProblem::NotAccepted {
                    label,
                    key_type: ktype,
                    fingerprint: fp,
                }
                .into()),
                // No terminal (or the thread asking it failed): nobody can say yes.
                _ => Err(HostKeyProblem::NoTerminal {
                    label,
                    path: shown,
                    key_type: ktype,
                    fingerprint: fp,
                }
                .into()),
            }
        }
    }
}

fn changed_message(
    host: &str,
    port: u16,
    key: &PublicKey,
    path: &Path,
    line: usize,
    old: &PublicKey,
) -> HostKeyProblem {
    HostKeyProblem::Changed {
        label: host_label(host, port),
        path: path.display().to_string(),
        line,
        key_type: key_type(key),
        old_fingerprint: fingerprint(old),
        fingerprint: fingerprint(key),
    }
}

fn other_type_message(
    host: &str,
    port: u16,
    key: &PublicKey,
    path: &Path,
    known: &[(usize, PublicKey)],
) -> HostKeyProblem {
    let shown = path.display().to_string();
    let recorded: Vec<String> = known
        .iter()
        .map(|(line, k)| {
            format!(
                "known key ({shown} line {line}): {} {}",
                key_type(k),
                fingerprint(k)
            )
        })
        .collect();
    HostKeyProblem::OtherType {
        label: host_label(host, port),
        path: shown,
        key_type: key_type(key),
        recorded: recorded.join("\n"),
        fingerprint: fingerprint(key),
    }
}

/// Ask on the controlling terminal (not stdin, which may carry other data, as OpenSSH does).
/// `None` when there is no terminal; `Some(true)` only for `yes` or the fingerprint itself.
fn ask_on_tty(question: &str, fingerprint: &str) -> Option<bool> {
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .ok()?;
    let mut out = &tty;
    out.write_all(question.as_bytes()).ok()?;
    out.flush().ok()?;
    let mut input = std::io::BufReader::new(&tty);
    let mut line = String::new();
    loop {
        line.clear();
        if input.read_line(&mut line).ok()? == 0 {
            return Some(false);
        }
        let answer = line.trim();
        if answer.eq_ignore_ascii_case("yes") || answer == fingerprint {
            return Some(true);
        }
        if answer.eq_ignore_ascii_case("no") {
            return Some(false);
        }
        out.write_all(b"Please type 'yes', 'no' or the fingerprint: ")
            .ok()?;
        out.flush().ok()?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIJdD7y3aLq454yWBdwLWbieU1ebz9/cu7/QEXn9OIeZJ";
    const B: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIA6rWI3G1sz07DnfFlrouTcysQlj2P+jpNSOEWD9OJ3X";

    fn key(b64: &str) -> PublicKey {
        russh::keys::parse_public_key_base64(b64).unwrap()
    }

    fn file(name: &str, text: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("tunnelscope-kh-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("known_hosts");
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn known_changed_unknown_with_real_line_numbers() {
        let path = file(
            "kcu",
            &format!("# a comment\n\n# another\n[10.0.0.1]:2222 ssh-ed25519 {A}\nrouter ssh-ed25519 {B}\n"),
        );
        assert!(matches!(
            check("10.0.0.1", 2222, &key(A), &path).unwrap(),
            HostKeyStatus::Known
        ));
        match check("10.0.0.1", 2222, &key(B), &path).unwrap() {
            HostKeyStatus::Changed { line, old } => {
                assert_eq!(line, 4);
                assert_eq!(fingerprint(&old), fingerprint(&key(A)));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            check("ROUTER", 22, &key(B), &path).unwrap(),
            HostKeyStatus::Known
        ));
        assert!(matches!(
            check("10.0.0.2", 22, &key(A), &path).unwrap(),
            HostKeyStatus::Unknown
        ));
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn learned_keys_are_known() {
        let path = file("learn", "");
        learn("10.0.0.9", 2200, &key(B), &path).unwrap();
        assert!(matches!(
            check("10.0.0.9", 2200, &key(B), &path).unwrap(),
            HostKeyStatus::Known
        ));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("[10.0.0.9]:2200 ssh-ed25519 "), "{text}");
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn a_host_known_by_another_key_type_is_not_unknown() {
        const RSA: &str = "AAAAB3NzaC1yc2EAAAADAQABAAABAQCc3F9UbwYjM0kwN0KSAr04OHyhRJp4C7q4FVMmhTx1SWfqnmjzsPPfdi7Pr+ZOeTxWl8NIEY/8ekAQ2AJutomFHG8/S8sCIgOuCs67YVXJw7g9GNnXLjT1NYJVJL/p+z9zV+2AZfnyUCLOH/fBymliK2eIwSzj9Y++GiEPSheSL5/etV68kmwCoFMgunZLAKdERSBurEz7TeR3qqsNY4RsIFgoSQG7df8nzumfG16UU6NVvFP9JXZ70ESy5tvoj4VWDjkSiVn81WmaZ9HD9YnG4ZW6bd2Jpyth2mAvO10v2TSTa0ymGODRPkClSEOob1amhA8rKMDKNHhnHAdhNSxP";
        let path = file("other", &format!("# c\n[h]:2222 ssh-ed25519 {A}\n"));
        match check("h", 2222, &key(RSA), &path).unwrap() {
            HostKeyStatus::OtherType { known } => {
                assert_eq!(known.len(), 1);
                assert_eq!(known[0].0, 2);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(known_algorithms("H", 2222, &path), vec![Algorithm::Ed25519]);
        assert!(known_algorithms("h", 22, &path).is_empty());
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn learning_into_a_new_file_starts_with_the_line() {
        use std::os::unix::fs::PermissionsExt;
        let dir = file("fresh", "").parent().unwrap().to_path_buf();
        let path = dir.join("sub").join("known_hosts");
        learn("h", 22, &key(A), &path).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!("h ssh-ed25519 {A}\n")
        );
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // A file without a final line break gets one before the new line, not a blank line.
        std::fs::write(&path, format!("x ssh-ed25519 {B}")).unwrap();
        learn("h", 22, &key(A), &path).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!("x ssh-ed25519 {B}\nh ssh-ed25519 {A}\n")
        );
        // A link to the user's own file (a dotfile manager's) is followed; a dangling one is not.
        let linked = dir.join("linked_known_hosts");
        std::os::unix::fs::symlink(&path, &linked).unwrap();
        learn("k", 22, &key(B), &linked).unwrap();
        assert!(std::fs::read_to_string(&path)
            .unwrap()
            .ends_with(&format!("k ssh-ed25519 {B}\n")));
        let dangling = dir.join("dangling");
        std::os::unix::fs::symlink(dir.join("nowhere"), &dangling).unwrap();
        let e = learn("k", 22, &key(B), &dangling).unwrap_err();
        assert!(
            matches!(e.problem(), HostKeyProblem::Record { .. }),
            "{e:?}"
        );
        assert!(e.to_string().contains("symbolic link"), "{e}");
        assert!(!dir.join("nowhere").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_revoked_key_is_revoked_even_beside_a_plain_line_and_cert_authorities_are_not_keys() {
        let path = file(
            "rev",
            &format!("# c\n[h]:2222 ssh-ed25519 {A}\n@revoked [h]:2222 ssh-ed25519 {A}\n@cert-authority [h]:2222 ssh-ed25519 {B}\n"),
        );
        assert!(matches!(
            check("h", 2222, &key(A), &path).unwrap(),
            HostKeyStatus::Revoked { line: 3 }
        ));
        // A CA key is not the host's key: the host's own key B is unknown, not known.
        let ca_only = file("ca", &format!("@cert-authority [h]:2222 ssh-ed25519 {B}\n"));
        assert!(matches!(
            check("h", 2222, &key(B), &ca_only).unwrap(),
            HostKeyStatus::Unknown
        ));
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
        let _ = std::fs::remove_dir_all(ca_only.parent().unwrap());
    }

    #[test]
    fn a_device_or_huge_file_is_refused_and_dev_null_is_empty() {
        let e = check("h", 22, &key(A), Path::new("/dev/zero")).unwrap_err();
        assert!(
            matches!(e.problem(), HostKeyProblem::TooLarge { .. }),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            "the known hosts file /dev/zero is larger than 16 MiB: not a known_hosts file"
        );
        assert!(matches!(
            check("h", 22, &key(A), Path::new("/dev/null")).unwrap(),
            HostKeyStatus::Unknown
        ));
    }

    #[test]
    fn missing_file_knows_nothing() {
        let path = std::env::temp_dir().join("tunnelscope-no-such-dir/known_hosts");
        assert!(matches!(
            check("h", 22, &key(A), &path).unwrap(),
            HostKeyStatus::Unknown
        ));
    }
}
