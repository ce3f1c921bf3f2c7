//! A line of text with its place in the source.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceLine {
    /// 1-based line number in the source.
    pub number: usize,
    pub text: String,
}

impl SourceLine {
    pub fn new(number: usize, text: impl Into<String>) -> Self {
        SourceLine {
            number,
            text: text.into(),
        }
    }
}
