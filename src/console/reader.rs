//! The one reader, no I/O: bytes from a router become clean lines (escapes, backspaces, CR/LF,
//! bad UTF-8, long lines), then command blocks, unsolicited (debug) lines and prompts. The live
//! session, replays, `analyze`'s capture path, the benches and the tests all read through it,
//! with the user's `--prompt` and `--rules`.

use super::text::{Partial, TextCleaner, TextEvent};
use super::transcript::{Item, Transcript};
use crate::alliedware::debug::Classifier;
use crate::alliedware::prompt::{PromptMatch, PromptMatcher};

/// The cleaner and the transcript splitter of one router's output.
pub struct Reader<'c> {
    pub cleaner: TextCleaner,
    pub transcript: Transcript<'c>,
    events: Vec<TextEvent>,
}

impl Default for Reader<'static> {
    fn default() -> Self {
        Reader::new(PromptMatcher::default(), Classifier::builtin())
    }
}

impl<'c> Reader<'c> {
    /// A reader that knows prompts by `prompt` and debug lines by `classifier`.
    pub fn new(prompt: PromptMatcher, classifier: &'c Classifier) -> Self {
        Reader {
            cleaner: TextCleaner::new(prompt),
            transcript: Transcript::new(classifier),
            events: Vec::new(),
        }
    }

    /// Clean `bytes`; the complete lines are appended to `lines` (for a console screen), and
    /// the blocks, debug lines and prompts they make to `items`. A prompt left standing at the
    /// end of the chunk closes the command before it (the router is waiting), as a recorded
    /// session has no quiet line to judge by. Returns that prompt.
    pub fn feed(
        &mut self,
        bytes: &[u8],
        lines: Option<&mut Vec<String>>,
        items: &mut Vec<Item>,
    ) -> Option<PromptMatch> {
        self.clean(bytes, lines);
        self.split(items);
        match self.cleaner.partial() {
            Partial::Prompt(p) => {
                let line = self.cleaner.line_number();
                self.transcript.prompt_seen(&p, line, items);
                Some(p)
            }
            _ => None,
        }
    }

    /// Clean only: the session looks at the lines (a login prompt, a logoff) before they are
    /// split; `split` follows.
    pub fn clean(&mut self, bytes: &[u8], lines: Option<&mut Vec<String>>) -> &[TextEvent] {
        self.cleaner.feed(bytes, &mut self.events);
        if let Some(out) = lines {
            out.extend(self.events.iter().filter_map(|e| match e {
                TextEvent::Line(l) => Some(l.text.clone()),
                TextEvent::Pager => None,
            }));
        }
        &self.events
    }

    /// Split what `clean` left into blocks, debug lines and prompts.
    pub fn split(&mut self, items: &mut Vec<Item>) {
        self.transcript.feed(&mut self.events, items);
    }

    /// End of input: the last line and the open block are closed.
    pub fn finish(&mut self, items: &mut Vec<Item>) {
        self.cleaner.finish(&mut self.events);
        self.transcript.feed(&mut self.events, items);
        self.transcript.finish(items);
    }

    /// The unfinished last line (a prompt, a half-typed command).
    pub fn pending(&self) -> &str {
        self.cleaner.pending()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_prompt_closes_a_block_and_lines_come_out_clean() {
        let prompt = PromptMatcher::new(Some(r"^VPN-GW\d# ")).expect("prompt");
        let mut r = Reader::new(prompt, Classifier::builtin());
        let mut lines = Vec::new();
        let mut items = Vec::new();
        r.feed(b"VPN-GW1# show isakmp sa\r\n", Some(&mut lines), &mut items);
        let p = r.feed(b"no SAs\x1b[K\r\nVPN-GW1# ", Some(&mut lines), &mut items);
        assert!(p.is_some(), "the user's prompt is known: {items:?}");
        assert_eq!(lines, ["VPN-GW1# show isakmp sa", "no SAs"]);
        assert!(
            items.iter().any(
                |i| matches!(i, Item::Block(b) if b.command.typed == "show isakmp sa"
                && b.lines.iter().any(|l| l.text == "no SAs"))
            ),
            "{items:?}"
        );
    }
}
