//! Where each router's capture goes, refusing a `--capture` path that is there already, and
//! writing what crossed each line (both ways, and marks) to it.

use crate::capture::{CaptureWriter, Header};
use crate::console::session::Event;
use std::path::PathBuf;

/// Where a session's capture goes.
#[derive(Debug, Clone)]
pub enum CaptureChoice {
    /// The data directory, named from the router and the date and time.
    Default,
    Path(PathBuf),
    Off,
}

/// The capture file of router `i` of `n`: a second router's file is named after it.
pub fn capture_path(choice: &CaptureChoice, label: &str, i: usize, n: usize) -> Option<PathBuf> {
    match choice {
        CaptureChoice::Off => None,
        CaptureChoice::Default => Some(crate::capture::default_path(label)),
        CaptureChoice::Path(p) if n > 1 && i > 0 => {
            let stem = p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let ext = p
                .extension()
                .map(|e| format!(".{}", e.to_string_lossy()))
                .unwrap_or_default();
            // A flat sibling: the label (a target such as `serial:/dev/pts/7`) never makes
            // folders or climbs out of the capture's own.
            let safe: String = label
                .to_ascii_lowercase()
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            Some(p.with_file_name(format!("{stem}-{}{ext}", safe.trim_matches('.'))))
        }
        CaptureChoice::Path(p) => Some(p.clone()),
    }
}

/// Refuse a `--capture` file that is there already (a file, a link, anything): a capture never
/// replaces or follows one, and saying so before anything is sent beats recording nothing.
/// `labels` are the routers' (a second router's capture is named after it).
pub fn check_capture(choice: &CaptureChoice, labels: &[String]) -> anyhow::Result<()> {
    if !matches!(choice, CaptureChoice::Path(_)) {
        return Ok(());
    }
    for (i, label) in labels.iter().enumerate() {
        if let Some(p) = capture_path(choice, label, i, labels.len()) {
            if std::fs::symlink_metadata(&p).is_ok() {
                anyhow::bail!(
                    "--capture {}: the file is there already (a capture never overwrites or \
                     follows one); give a new name",
                    p.display()
                );
            }
        }
    }
    Ok(())
}

/// Open a router's capture; the reason it could not be written, if not. A default name taken
/// already (two sessions started in the same second) gets `-2`, `-3` ... instead: a capture
/// is never lost to another run's.
pub fn open(
    path: &std::path::Path,
    label: &str,
    link: String,
    keep_secrets: bool,
    default_name: bool,
) -> Result<CaptureWriter, String> {
    let header = Header {
        router: Some(label.to_string()),
        link: Some(link),
        started: Some(crate::capture::iso_now()),
    };
    let mut candidate = path.to_path_buf();
    for n in 2..=100 {
        match CaptureWriter::create(&candidate, &header, keep_secrets) {
            Err(e) if default_name && e.kind() == std::io::ErrorKind::AlreadyExists => {
                let stem = path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let ext = path
                    .extension()
                    .map(|e| format!(".{}", e.to_string_lossy()))
                    .unwrap_or_default();
                candidate = path.with_file_name(format!("{stem}-{n}{ext}"));
            }
            r => {
                return r
                    .map_err(|e| format!("no capture: cannot write {}: {e}", candidate.display()))
            }
        }
    }
    Err(format!(
        "no capture: every name like {} is taken",
        path.display()
    ))
}

/// Write what crossed the line (both ways, and marks) to a capture.
pub fn record(w: &mut CaptureWriter, e: &Event) {
    match e {
        Event::Bytes(b) => w.received(b),
        Event::Sent { bytes, secret } => w.sent(bytes, *secret),
        Event::Mark(m) => w.mark(m),
        _ => {}
    }
}
