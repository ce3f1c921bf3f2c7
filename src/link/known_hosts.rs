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
    /// No line for this host holds a key of this type. `other_types` lists the key types that
    /// are recorded for the host (OpenSSH mentions them, as they hint at a changed router).
    Unknown { other_types: Vec<String> },
    /// A line for this host holds a different key of the same type: the host key changed.
    Changed { line: usize, old: PublicKey },
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
pub fn check(host: &str, port: u16, key: &PublicKey, path: &Path) -> Result<HostKeyStatus, String> {
    // OpenSSH compares host names in lower case.
    let host = host.to_ascii_lowercase();
    let recorded = russh_kh::known_host_keys_path(&host, port, path)
        .map_err(|e| format!("cannot read the known hosts file {}: {e}", path.display()))?;
    if recorded.iter().any(|(_, k)| k.key_data() == key.key_data()) {
        return Ok(HostKeyStatus::Known);
    }
    if let Some((line, old)) = recorded
        .iter()
        .find(|(_, k)| k.algorithm() == key.algorithm())
    {
        return Ok(HostKeyStatus::Changed {
            line: real_line(path, *line).unwrap_or(*line),
            old: old.clone(),
        });
    }
    let mut other_types: Vec<String> = recorded.iter().map(|(_, k)| key_type(k)).collect();
    other_types.dedup();
    Ok(HostKeyStatus::Unknown { other_types })
}

/// Append the host's key to the file at `path` (creating it and its folder if needed).
pub fn learn(host: &str, port: u16, key: &PublicKey, path: &Path) -> Result<(), String> {
    let host = host.to_ascii_lowercase();
    // The key as offered has no comment; write it bare so the line reads like OpenSSH's.
    let mut bare = key.clone();
    bare.set_comment("");
    russh_kh::learn_known_hosts_path(&host, port, &bare, path).map_err(|e| {
        format!(
            "cannot record the host key of {} in {}: {e}",
            host_label(&host, port),
            path.display()
        )
    })
}

/// russh numbers only the lines that do not start with `#`; turn its number into the file's
/// own line number, which is what an engineer needs to find (or `ssh-keygen -R`) the entry.
fn real_line(path: &Path, russh_line: usize) -> Option<usize> {
    let text = std::fs::read_to_string(path).ok()?;
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
) -> Result<(), String> {
    let other_types = match check(host, port, key, path)? {
        HostKeyStatus::Known => return Ok(()),
        HostKeyStatus::Changed { line, old } => {
            return Err(changed_message(host, port, key, path, line, &old))
        }
        HostKeyStatus::Unknown { other_types } => other_types,
    };
    let label = host_label(host, port);
    let shown = path.display();
    let fp = fingerprint(key);
    let ktype = key_type(key);
    let others = if other_types.is_empty() {
        String::new()
    } else {
        format!(
            " ({shown} holds a {} key for this host, but not this type)",
            other_types.join("/")
        )
    };
    let unknown =
        format!("the host key of {label} is not known ({ktype} key fingerprint {fp}){others}");
    match policy {
        HostKeyPolicy::AcceptNew => learn(host, port, key, path),
        HostKeyPolicy::Strict => Err(format!(
            "{unknown}, and --host-key strict refuses unknown keys: check the fingerprint, \
             then connect once with --host-key accept-new or add the key to {shown}"
        )),
        HostKeyPolicy::Ask => {
            let question = format!(
                "The authenticity of host '{label}' can't be established.\r\n\
                 {ktype} key fingerprint is {fp}.{others}\r\n\
                 Are you sure you want to continue connecting (yes/no/[fingerprint])? "
            );
            asking.store(true, Ordering::SeqCst);
            let expected = fp.clone();
            let answer =
                tokio::task::spawn_blocking(move || ask_on_tty(&question, &expected)).await;
            asking.store(false, Ordering::SeqCst);
            match answer {
                Ok(Some(true)) => learn(host, port, key, path),
                Ok(Some(false)) => Err(format!(
                    "host key of {label} not accepted ({ktype} key fingerprint {fp})"
                )),
                // No terminal (or the thread asking it failed): nobody can say yes.
                _ => Err(format!(
                    "{unknown}, and there is no terminal to ask whether to trust it: check the \
                     fingerprint, then run again with --host-key accept-new (or add the key to {shown})"
                )),
            }
        }
    }
}

/// OpenSSH's "REMOTE HOST IDENTIFICATION HAS CHANGED", with both fingerprints and where the
/// old key is, so the engineer can check the new one and remove the old entry.
fn changed_message(
    host: &str,
    port: u16,
    key: &PublicKey,
    path: &Path,
    line: usize,
    old: &PublicKey,
) -> String {
    let label = host_label(host, port);
    let shown = path.display();
    let ktype = key_type(key);
    format!(
        "WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED for {label}! Someone may be \
         intercepting the connection, or the router's key was regenerated.\n\
         known key ({shown} line {line}): {ktype} {old_fp}\n\
         key offered now: {ktype} {new_fp}\n\
         Refusing to connect. If the change is expected, remove the old key with: \
         ssh-keygen -R '{label}' -f {shown}",
        old_fp = fingerprint(old),
        new_fp = fingerprint(key),
    )
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
            HostKeyStatus::Unknown { .. }
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
    fn missing_file_knows_nothing() {
        let path = std::env::temp_dir().join("tunnelscope-no-such-dir/known_hosts");
        assert!(matches!(
            check("h", 22, &key(A), &path).unwrap(),
            HostKeyStatus::Unknown { .. }
        ));
    }
}
