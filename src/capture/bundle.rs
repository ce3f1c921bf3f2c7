//! The evidence bundle: one tar file holding the capture, the tables as JSON, the counter
//! deltas with their verdicts, the pings, the findings and a short summary for a person.
//! Nothing secret goes in: the capture is already redacted, and no password is ever in it.

use std::io::Write;
use std::path::{Path, PathBuf};

/// One file of the bundle.
pub struct Entry {
    pub name: String,
    pub data: Vec<u8>,
}

/// Write `entries` (and the capture file, when given) as a tar archive at `out`: a new file,
/// 0600, put in place by a rename (a bundle written again replaces the old one), and refused
/// when `out` is a symbolic link, so a link planted there never redirects it.
pub fn write(out: &Path, capture: Option<&Path>, entries: &[Entry]) -> std::io::Result<PathBuf> {
    let data = super::writer::data_dir();
    if out.starts_with(&data) {
        crate::fsutil::data_dir_private(&data)?;
    }
    let mut new = crate::fsutil::NewFile::create(out)?;
    let mut tar = tar::Builder::new(new.file());
    let mtime = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut add = |name: &str, data: &[u8]| -> std::io::Result<()> {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o600);
        h.set_mtime(mtime);
        h.set_cksum();
        tar.append_data(&mut h, name, data)
    };
    if let Some(c) = capture {
        let data = std::fs::read(c)?;
        let name = c
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "capture.tscap".into());
        add(&format!("evidence/{name}"), &data)?;
    }
    for e in entries {
        add(&format!("evidence/{}", e.name), &e.data)?;
    }
    tar.into_inner()?.flush()?;
    new.commit()
}

/// Where the bundle of a capture goes: beside it, `NAME-bundle.tar`.
pub fn path_for(capture: &Path) -> PathBuf {
    let stem = capture
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "tunnelscope".into());
    capture.with_file_name(format!("{stem}-bundle.tar"))
}
