//! Transcript splitting: clean lines become command blocks (prompt, command, output) and the
//! unsolicited stream (debug and log output that arrived before, between or inside them).
//!
//! A line inside a block stays there when it has the shape of that display's output; a line
//! that does not fit and looks like debug output goes to the unsolicited stream, so a debug
//! burst in the middle of a table leaves the table whole. Text with no prompts at all (a
//! saved `show debug ipsec`) is split by recognising each display's header.

use crate::alliedware::commands::{self, Command, Display};
use crate::alliedware::debug::{Classifier, Verdict};
use crate::alliedware::parse;
use crate::alliedware::prompt::PromptMatch;
use crate::console::text::{Line, LineKind, TextEvent};
use crate::model::SourceLine;

/// Output lines kept per block at most; the rest are counted, not stored, so a command that
/// never ends cannot grow memory without bound.
pub const MAX_BLOCK_LINES: usize = 100_000;

/// One command and its output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The prompt before the command; `None` for a display found by its header alone.
    pub prompt: Option<PromptMatch>,
    pub command: Command,
    pub lines: Vec<SourceLine>,
    /// Line number of the prompt (or of the header that started the display).
    pub start_line: usize,
    /// Lines beyond `MAX_BLOCK_LINES` that were not kept.
    pub dropped: usize,
    /// The block ended because the link or the file ended, not at a new prompt.
    pub truncated: bool,
}

/// What the splitter saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Block(Block),
    /// A line outside any command's output, with the classifier's verdict when the
    /// splitter already ran it (so the line is scanned once).
    Unsolicited(SourceLine, Option<Verdict>),
    /// A prompt with nothing typed after it (the router is idle, waiting for a command).
    Prompt(PromptMatch, usize),
    Login(String, usize),
    Password(usize),
    Pager,
}

struct Open {
    block: Block,
    /// Found by header, not by a prompt: ends at the first line that does not fit.
    implicit: bool,
}

/// The incremental splitter.
pub struct Transcript<'c> {
    classifier: &'c Classifier,
    current: Option<Open>,
    /// Inside a compound display (`show debug ipsec`): the display now being read in it.
    inner: Option<Open>,
    pub system_name: Option<String>,
    pub last_prompt: Option<PromptMatch>,
}

impl<'c> Transcript<'c> {
    pub fn new(classifier: &'c Classifier) -> Self {
        Transcript {
            classifier,
            current: None,
            inner: None,
            system_name: None,
            last_prompt: None,
        }
    }

    /// Feed the cleaner's events; blocks and unsolicited lines are appended to `out`.
    pub fn feed(&mut self, events: &mut Vec<TextEvent>, out: &mut Vec<Item>) {
        for ev in events.drain(..) {
            match ev {
                TextEvent::Pager => out.push(Item::Pager),
                TextEvent::Line(l) => self.line(l, out),
            }
        }
    }

    /// The router showed an idle prompt (seen by the session when the line went quiet):
    /// the command in progress is complete.
    pub fn prompt_seen(&mut self, p: &PromptMatch, line: usize, out: &mut Vec<Item>) {
        self.close(out, false);
        self.learn(p);
        out.push(Item::Prompt(p.clone(), line));
    }

    /// End of input: close what is open (it may be cut short).
    pub fn finish(&mut self, out: &mut Vec<Item>) {
        self.close(out, true);
    }

    /// The command whose output is being read, if any.
    pub fn open_command(&self) -> Option<&Command> {
        self.current.as_ref().map(|o| &o.block.command)
    }

    fn learn(&mut self, p: &PromptMatch) {
        if let Some(n) = &p.system_name {
            self.system_name = Some(n.clone());
        }
        self.last_prompt = Some(p.clone());
    }

    fn close_inner(&mut self, out: &mut Vec<Item>, truncated: bool) {
        if let Some(mut o) = self.inner.take() {
            o.block.truncated = truncated;
            out.push(Item::Block(o.block));
        }
    }

    fn close(&mut self, out: &mut Vec<Item>, truncated: bool) {
        self.close_inner(out, truncated);
        if let Some(mut o) = self.current.take() {
            o.block.truncated = truncated;
            out.push(Item::Block(o.block));
        }
    }

    fn open(display: Display, canonical: &str, l: &SourceLine) -> Open {
        Open {
            block: Block {
                prompt: None,
                command: Command {
                    typed: String::new(),
                    canonical: canonical.to_string(),
                    display,
                },
                lines: vec![l.clone()],
                start_line: l.number,
                dropped: 0,
                truncated: false,
            },
            implicit: true,
        }
    }

    fn push(block: &mut Block, l: SourceLine) {
        if block.lines.len() < MAX_BLOCK_LINES {
            block.lines.push(l);
        } else {
            block.dropped += 1;
        }
    }

    fn line(&mut self, l: Line, out: &mut Vec<Item>) {
        match l.kind {
            LineKind::Prompt(p) => {
                if p.rest.is_empty() {
                    self.close(out, false);
                    self.learn(&p);
                    out.push(Item::Prompt(p, l.number));
                } else if commands::looks_like_command(&p.rest) {
                    self.close(out, false);
                    self.learn(&p);
                    let command = commands::recognise(&p.rest);
                    self.current = Some(Open {
                        block: Block {
                            prompt: Some(p),
                            command,
                            lines: Vec::new(),
                            start_line: l.number,
                            dropped: 0,
                            truncated: false,
                        },
                        implicit: false,
                    });
                } else if p.strong {
                    // Debug text printed right after an idle prompt.
                    self.close(out, false);
                    self.learn(&p);
                    let rest = p.rest.clone();
                    out.push(Item::Prompt(p, l.number));
                    out.push(Item::Unsolicited(SourceLine::new(l.number, rest), None));
                } else {
                    self.text(SourceLine::new(l.number, l.text), out);
                }
            }
            LineKind::Login(user) => {
                self.close(out, false);
                out.push(Item::Login(user, l.number));
            }
            LineKind::Password => {
                self.close(out, false);
                out.push(Item::Password(l.number));
            }
            LineKind::Text => self.text(SourceLine::new(l.number, l.text), out),
        }
    }

    fn text(&mut self, l: SourceLine, out: &mut Vec<Item>) {
        let Some(cur) = self.current.as_mut() else {
            // No command open: a display found by its header, or unsolicited text.
            let v = self.classifier.scan(&l.text);
            match v.header_hint.then(|| parse::sniff_gated(&l.text)).flatten() {
                Some(d) => self.current = Some(Self::open(d, &implicit_command(d, &l), &l)),
                None => out.push(Item::Unsolicited(l, Some(v))),
            }
            return;
        };
        let display = cur.block.command.display;
        match display {
            Display::DebugIpsec => self.compound(l, out),
            Display::Other => {
                // Unknown output is kept whole, but a clear debug line is still routed away.
                let t = l.text.trim_start();
                let plain_output = l.text.starts_with(' ')
                    || parse::detail::leader(&l.text).is_some()
                    || t.is_empty();
                let v = (!plain_output).then(|| self.classifier.scan(&l.text));
                if let Some(v) = v.filter(|v| self.classifier.is_debug_scanned(&l.text, v)) {
                    out.push(Item::Unsolicited(l, Some(v)));
                } else {
                    Self::push(&mut cur.block, l);
                }
            }
            _ => {
                if parse::fits(display, &l.text) {
                    Self::push(&mut cur.block, l);
                } else if cur.implicit && parse::sniff(&l.text).is_some() {
                    // The next display of a saved output starts here.
                    self.close(out, false);
                    self.text(l, out);
                } else if let Some(v) = Some(self.classifier.scan(&l.text))
                    .filter(|v| self.classifier.is_debug_scanned(&l.text, v))
                {
                    out.push(Item::Unsolicited(l, Some(v)));
                } else if cur.implicit {
                    // The display found by its header has ended; look at the line afresh.
                    self.close(out, false);
                    self.text(l, out);
                } else {
                    // Output we do not recognise stays with its command (the parser keeps
                    // it raw, with a warning).
                    Self::push(&mut cur.block, l);
                }
            }
        }
    }

    /// A line of `show debug ipsec`: split into the displays it runs, by their headers.
    fn compound(&mut self, l: SourceLine, out: &mut Vec<Item>) {
        if let Some(inner) = self.inner.as_mut() {
            let d = inner.block.command.display;
            let fresh = parse::sniff(&l.text).filter(|n| *n != d && !l.text.trim().is_empty());
            if fresh.is_none() && parse::fits(d, &l.text) {
                Self::push(&mut inner.block, l);
                return;
            }
            self.close_inner(out, false);
        }
        match parse::sniff(&l.text) {
            Some(d) => self.inner = Some(Self::open(d, &implicit_command(d, &l), &l)),
            None => {
                if let Some(cur) = self.current.as_mut() {
                    Self::push(&mut cur.block, l);
                }
            }
        }
    }
}

/// The name a display found without its command is kept under. Counter displays are named
/// by their title, so the counters of several policies do not replace each other.
fn implicit_command(d: Display, first: &SourceLine) -> String {
    match d {
        Display::Counters => format!("counters: {}", first.text.trim().trim_end_matches(':')),
        _ => d.default_command().to_string(),
    }
}

#[cfg(test)]
mod tests;
