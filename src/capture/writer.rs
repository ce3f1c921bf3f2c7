//! Writing a capture as the session runs: each record flushed on its own.

use super::format::{encode, Header, MAGIC};
use super::redact::Redactor;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub struct CaptureWriter {
    file: File,
    path: PathBuf,
    start: Instant,
    redactor: Redactor,
    /// Bytes written, to stop at a size limit rather than fill the disk.
    written: u64,
    limit: u64,
    error: Option<String>,
}

/// A capture stops growing here (a mark says so): a router that floods the line must not
/// fill the disk. Hours of a busy debug session are well under it.
pub const DEFAULT_LIMIT: u64 = 256 << 20;

impl CaptureWriter {
    /// Create the capture at `path`: a new file, 0600, never through a symbolic link and never
    /// over an existing file (a capture in the data folder makes that folder 0700).
    pub fn create(path: &Path, header: &Header, keep_secrets: bool) -> std::io::Result<Self> {
        let data = data_dir();
        if path.starts_with(&data) {
            crate::fsutil::data_dir_private(&data)?;
        }
        let mut file = crate::fsutil::create_new(path)?;
        let mut head = format!("{MAGIC}\n");
        for (k, v) in [
            ("router", &header.router),
            ("link", &header.link),
            ("started", &header.started),
        ] {
            if let Some(v) = v {
                head.push_str(&format!("# {k}: {v}\n"));
            }
        }
        head.push_str("# records: seconds since the start, < from the router, > to it, ! a mark\n");
        file.write_all(head.as_bytes())?;
        Ok(CaptureWriter {
            file,
            path: path.to_path_buf(),
            start: Instant::now(),
            redactor: Redactor::new(keep_secrets),
            written: head.len() as u64,
            limit: DEFAULT_LIMIT,
            error: None,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Set the size limit in bytes (the header already written counts toward it).
    pub fn set_limit(&mut self, limit: u64) {
        self.limit = limit;
    }

    /// The size limit in bytes.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// The capture reached its size limit: nothing more is recorded.
    pub fn limit_reached(&self) -> bool {
        self.written > self.limit
    }

    /// The first write error, if any (the session goes on without its capture).
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    fn record(&mut self, dir: char, body: &str) {
        if self.error.is_some() || self.written > self.limit {
            return;
        }
        let t = self.start.elapsed();
        let line = format!("{}.{:03} {dir} {body}\n", t.as_secs(), t.subsec_millis());
        if self.written + line.len() as u64 > self.limit {
            // Say so once, then stop: a capture must not fill the disk. The mark itself may
            // go a few dozen bytes past the limit.
            let mark = format!(
                "capture limit reached: {} bytes; the rest of the session is not recorded",
                self.limit
            );
            self.written = self.limit + 1;
            if let Err(e) = writeln!(
                self.file,
                "{}.{:03} ! {}",
                t.as_secs(),
                t.subsec_millis(),
                encode(mark.as_bytes())
            )
            .and_then(|_| self.file.flush())
            {
                self.error = Some(e.to_string());
            }
            return;
        }
        self.written += line.len() as u64;
        if let Err(e) = self
            .file
            .write_all(line.as_bytes())
            .and_then(|_| self.file.flush())
        {
            self.error = Some(e.to_string());
        }
    }

    /// Bytes from the router, one record per line of output.
    pub fn received(&mut self, data: &[u8]) {
        if self.limit_reached() {
            return;
        }
        let data = self.redactor.received(data);
        for piece in data.split_inclusive(|b| *b == b'\n') {
            self.record('<', &encode(piece));
        }
    }

    /// Bytes to the router; `secret` ones (typed at a password prompt) are withheld.
    pub fn sent(&mut self, data: &[u8], secret: bool) {
        if self.limit_reached() {
            return;
        }
        if secret {
            let n = data.len();
            self.record(
                '>',
                &format!("[withheld: typed at a password prompt, {n} bytes]"),
            );
            return;
        }
        // Secret argument values are withheld; a key that only continues a value whose
        // marker is recorded leaves no record.
        let shown = self.redactor.sent(data);
        if shown.is_empty() && !data.is_empty() {
            return;
        }
        self.record('>', &encode(&shown));
    }

    pub fn mark(&mut self, text: &str) {
        self.record('!', &encode(text.as_bytes()));
    }
}

/// tunnelscope's data folder: `$XDG_DATA_HOME/tunnelscope`, else `~/.local/share/tunnelscope`.
pub fn data_dir() -> PathBuf {
    crate::dirs::data_dir()
}

/// A capture's default name: the data directory, the router and the date and time.
pub fn default_path(router: &str) -> PathBuf {
    let safe: String = router
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    data_dir()
        .join("captures")
        .join(format!("{safe}-{}.tscap", timestamp_for_name()))
}

/// `2026-11-26T23-40-50Z` from the system clock (UTC).
pub fn timestamp_for_name() -> String {
    crate::clock::file_name_time(crate::clock::now())
}

/// The time now as `2026-11-26T23:40:50.123Z` (UTC), as a capture's `started` header holds it.
pub fn iso_now() -> String {
    crate::clock::capture_time(crate::clock::now())
}
