//! The log file: `tracing` events written to `tunnelscope.log` in the data folder, never to the
//! screen (the TUI owns the terminal, and a line on stderr would tear its picture).
//!
//! Off unless asked for with `--log-level LEVEL` or `RUST_LOG`. The file is created 0600 in the
//! 0700 data folder and a symbolic link in its place is refused (`fsutil`), since what is logged
//! comes from a router. Callers log targets and events (connect, login, reconnect, logoff,
//! link errors), never a password, a key or a router's secret-bearing output.

use std::fs::File;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::Mutex;

use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::FormatTime;
use tracing_subscriber::EnvFilter;

/// The log file's name in the data folder.
pub const FILE_NAME: &str = "tunnelscope.log";

/// The levels `--log-level` takes.
pub const LEVELS: [&str; 6] = ["off", "error", "warn", "info", "debug", "trace"];

/// Why logging could not start.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("--log-level must be one of {}, not {given:?}", LEVELS.join(", "))]
    Level { given: String },
    #[error("RUST_LOG is not a valid log filter ({reason}): unset it, or give --log-level")]
    Filter { reason: String },
    #[error("cannot write the log file {path}: {reason}")]
    File { path: String, reason: String },
    #[error("a log was already started in this process")]
    AlreadyStarted,
}

/// Log lines stamped with the same UTC time shape as a capture's header, so a log and a capture
/// of one run line up.
struct CaptureClock;

impl FormatTime for CaptureClock {
    fn format_time(&self, w: &mut Writer<'_>) -> std::fmt::Result {
        w.write_str(&crate::clock::capture_time(crate::clock::now()))
    }
}

/// The filter asked for: `level` (from `--log-level`) first, else `RUST_LOG` when set and not
/// empty; `None` means no log at all.
fn filter(level: Option<&str>) -> Result<Option<EnvFilter>, LogError> {
    if let Some(level) = level {
        let level = level.trim().to_ascii_lowercase();
        if !LEVELS.contains(&level.as_str()) {
            return Err(LogError::Level { given: level });
        }
        if level == "off" {
            return Ok(None);
        }
        return Ok(Some(EnvFilter::new(level)));
    }
    match std::env::var("RUST_LOG") {
        Ok(v) if !v.trim().is_empty() => {
            EnvFilter::try_new(v.trim())
                .map(Some)
                .map_err(|e| LogError::Filter {
                    reason: e.to_string(),
                })
        }
        _ => Ok(None),
    }
}

/// Start the log when one is asked for; returns the file's path then. Call once, early, before
/// any screen is drawn.
pub fn init(level: Option<&str>) -> Result<Option<PathBuf>, LogError> {
    let Some(filter) = filter(level)? else {
        return Ok(None);
    };
    let dir = crate::dirs::data_dir();
    let path = dir.join(FILE_NAME);
    let file = open(&path).map_err(|e| LogError::File {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Mutex::new(file))
        .with_ansi(false)
        .with_timer(CaptureClock)
        .finish();
    tracing::subscriber::set_global_default(subscriber).map_err(|_| LogError::AlreadyStarted)?;
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        pid = std::process::id(),
        "log started"
    );
    Ok(Some(path))
}

/// Opens the log for appending: the data folder made 0700, the file created 0600 without
/// following a link, and an older file with a wider mode narrowed to 0600 (through the open
/// file, so no link is followed there either).
fn open(path: &std::path::Path) -> std::io::Result<File> {
    if let Some(dir) = path.parent() {
        crate::fsutil::data_dir_private(dir)?;
    }
    let file = crate::fsutil::open_append(path)?;
    if file.metadata()?.permissions().mode() & 0o777 != 0o600 {
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_checked_and_off_means_no_log() {
        assert!(matches!(filter(Some("off")), Ok(None)));
        assert!(matches!(filter(Some("DEBUG")), Ok(Some(_))));
        let e = filter(Some("loud")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "--log-level must be one of off, error, warn, info, debug, trace, not \"loud\""
        );
    }
}
