//! One finding: a stable code, how bad it is, what it means and what was seen.

use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    // Ordered so that sorting descending puts errors first.
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable identifier, e.g. `phase1-stalled`; scripts and tests rely on it.
    pub code: &'static str,
    pub severity: Severity,
    /// One line: what is wrong.
    pub summary: String,
    /// What to check or change, in the How To Note's spirit.
    pub advice: String,
    /// The rows or lines that show it, each naming its display and line.
    pub evidence: Vec<String>,
}
