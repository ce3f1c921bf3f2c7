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
use crate::alliedware::secrets;
use crate::console::text::{Line, LineKind, TextEvent};
use crate::model::SourceLine;
use std::borrow::Cow;

/// Output lines kept per block at most; the rest are counted, not stored, so a command that
/// never ends cannot grow memory without bound.
pub const MAX_BLOCK_LINES: usize = 100_000;

/// Bytes of output text kept per block at most: lines can be up to
/// [`crate::console::text::MAX_LINE_BYTES`] long, so a count of lines alone would let a line
/// with no end (cut into pieces) hold hundreds of MB in one block.
pub const MAX_BLOCK_BYTES: usize = 16 << 20;

/// One command and its output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The prompt before the command; `None` for a display found by its header alone.
    pub prompt: Option<PromptMatch>,
    pub command: Command,
    pub lines: Vec<SourceLine>,
    /// Line number of the prompt (or of the header that started the display).
    pub start_line: usize,
    /// Lines beyond `MAX_BLOCK_LINES` (or `MAX_BLOCK_BYTES`) that were not kept.
    pub dropped: usize,
    /// Bytes of text in `lines` (for `MAX_BLOCK_BYTES`).
    pub bytes: usize,
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
    /// A title-like line outside any block (`ISAKMP SA Details`), held until the next line
    /// shows whether it heads a detail display (then it joins it) or not (then it is
    /// unsolicited after all).
    title: Option<SourceLine>,
    pub system_name: Option<String>,
    pub last_prompt: Option<PromptMatch>,
    /// A command just sent at a prompt whose line already ended (debug output followed it):
    /// its echo arrives on a line of its own, without the prompt.
    expect: Option<(String, PromptMatch)>,
}

impl<'c> Transcript<'c> {
    pub fn new(classifier: &'c Classifier) -> Self {
        Transcript {
            classifier,
            current: None,
            inner: None,
            title: None,
            system_name: None,
            last_prompt: None,
            expect: None,
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

    /// The session sent `command` at `prompt`: if its echo comes on a line without the
    /// prompt, it still starts the command's block.
    pub fn expect_echo(&mut self, command: &str, prompt: PromptMatch) {
        // Compared with the echo once its secrets are withheld.
        let command = secrets::redact_line(command.trim()).into_owned();
        self.expect = Some((command, prompt));
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

    /// Close the open blocks but keep the held title for the display that follows.
    fn close_keeping_title(&mut self, out: &mut Vec<Item>) {
        let title = self.title.take();
        self.close(out, false);
        self.title = title;
    }

    fn close(&mut self, out: &mut Vec<Item>, truncated: bool) {
        self.flush_title(out);
        self.close_inner(out, truncated);
        if let Some(mut o) = self.current.take() {
            o.block.truncated = truncated;
            out.push(Item::Block(o.block));
        }
    }

    fn flush_title(&mut self, out: &mut Vec<Item>) {
        if let Some(t) = self.title.take() {
            out.push(Item::Unsolicited(t, None));
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
                bytes: 0,
                truncated: false,
            },
            implicit: true,
        }
    }

    /// A command typed at a prompt (`p.rest`) starts its block.
    fn open_explicit(&mut self, p: PromptMatch, line: usize) {
        let command = commands::recognise(&p.rest);
        self.current = Some(Open {
            block: Block {
                prompt: Some(p),
                command,
                lines: Vec::new(),
                start_line: line,
                dropped: 0,
                bytes: 0,
                truncated: false,
            },
            implicit: false,
        });
    }

    fn push(block: &mut Block, l: SourceLine) {
        if block.lines.len() < MAX_BLOCK_LINES && block.bytes + l.text.len() <= MAX_BLOCK_BYTES {
            block.bytes += l.text.len();
            block.lines.push(l);
        } else {
            block.dropped += 1;
        }
    }

    fn line(&mut self, mut l: Line, out: &mut Vec<Item>) {
        // Secret argument values (`value=`, `password=`, ...) never reach a block, an event,
        // a report or a bundle.
        if let Cow::Owned(t) = secrets::redact_line(&l.text) {
            l.text = t;
            if let LineKind::Prompt(p) = &mut l.kind {
                p.rest = secrets::redact_line(&p.rest).into_owned();
            }
        }
        match l.kind {
            LineKind::Prompt(p) => {
                if p.rest.is_empty() {
                    self.close(out, false);
                    self.learn(&p);
                    out.push(Item::Prompt(p, l.number));
                } else if commands::looks_like_command(&p.rest) {
                    self.expect = None;
                    self.close(out, false);
                    self.learn(&p);
                    self.open_explicit(p, l.number);
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
                // The security officer's re-authentication comes after the command was
                // typed and before its output: the command's block stays open for it.
                let explicit = self.current.as_ref().is_some_and(|o| !o.implicit);
                if !explicit {
                    self.close(out, false);
                }
                out.push(Item::Password(l.number));
            }
            LineKind::Text => self.text(SourceLine::new(l.number, l.text), out),
        }
    }

    fn text(&mut self, l: SourceLine, out: &mut Vec<Item>) {
        if let Some((cmd, _)) = &self.expect {
            if l.text.trim() == cmd {
                if let Some((cmd, mut p)) = self.expect.take() {
                    self.close(out, false);
                    p.rest = cmd;
                    self.open_explicit(p, l.number);
                }
                return;
            }
        }
        let Some(cur) = self.current.as_mut() else {
            self.outside(l, out);
            return;
        };
        if cur.implicit
            && (starts_another(&cur.block, &l.text) || heads_detail(&cur.block, &l.text))
        {
            // A saved output's next display starts here, under the title printed above it
            // (or, for the next SA of the same detail display, under the same title).
            let inherited = repeated_title(&cur.block, &l.text);
            self.title = take_title(&mut cur.block);
            self.close_keeping_title(out);
            self.outside_under(l, inherited, out);
            return;
        }
        let display = cur.block.command.display;
        match display {
            Display::DebugIpsec => self.compound(l, out),
            Display::Other => {
                // Unknown output is kept whole, but a clear debug line is still routed away.
                let t = l.text.trim_start();
                let plain_output = l.text.starts_with(' ')
                    || parse::detail::leader(&l.text).is_some()
                    || t.is_empty();
                // Words alone are not enough here (`Request 1 timed out` is `ping` output):
                // only a line shaped like a log line leaves the command's output.
                let v = (!plain_output && self.classifier.has_log_shape(&l.text))
                    .then(|| self.classifier.scan(&l.text));
                if let Some(v) = v {
                    out.push(Item::Unsolicited(l, Some(v)));
                } else {
                    Self::push(&mut cur.block, l);
                }
            }
            _ => {
                if parse::fits(display, &l.text) || parse::row_like(display, &l.text) {
                    Self::push(&mut cur.block, l);
                } else if cur.implicit && parse::detail::is_block_title(&l.text) {
                    // A title ends a display found by its header; it may head the next one.
                    self.close(out, false);
                    self.outside(l, out);
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

    /// A line with no command open: a display found by its header, a title held back to see
    /// what follows it, or unsolicited text.
    fn outside(&mut self, l: SourceLine, out: &mut Vec<Item>) {
        self.outside_under(l, None, out);
    }

    /// `outside`, where a display that starts here without a title of its own is named under
    /// `inherited` (the title of the display it repeats).
    fn outside_under(&mut self, l: SourceLine, inherited: Option<String>, out: &mut Vec<Item>) {
        let v = self.classifier.scan(&l.text);
        let title = self.title.take();
        match v.header_hint.then(|| parse::sniff_gated(&l.text)).flatten() {
            Some(d) => {
                let (open, unused) = Self::open_found(d, &l, title, inherited);
                if let Some(t) = unused {
                    out.push(Item::Unsolicited(t, None));
                }
                self.current = Some(open);
            }
            None => {
                if let Some(t) = title {
                    out.push(Item::Unsolicited(t, None));
                }
                if parse::detail::is_block_title(&l.text) {
                    self.title = Some(l);
                } else {
                    out.push(Item::Unsolicited(l, Some(v)));
                }
            }
        }
    }

    /// Open display `d`, found by its first line `l`, under `title` when the display has room
    /// for one; the title is handed back when it does not. Without a title line, a detail
    /// display is named under `inherited`.
    fn open_found(
        d: Display,
        l: &SourceLine,
        title: Option<SourceLine>,
        inherited: Option<String>,
    ) -> (Open, Option<SourceLine>) {
        let detail = parse::is_detail(d);
        let (title, unused) = match title {
            Some(t) if detail || parse::fits(d, &t.text) => (Some(t), None),
            other => (None, other),
        };
        let heading = title
            .as_ref()
            .map(|t| t.text.trim().to_string())
            .or(inherited);
        let d = if detail {
            parse::detail_display(heading.as_deref())
        } else {
            d
        };
        let mut open = Self::open(d, &implicit_command(d, l, heading.as_deref()), l);
        if let Some(t) = title {
            open.block.start_line = t.number;
            open.block.lines.insert(0, t);
        }
        (open, unused)
    }

    /// A line of `show debug ipsec`: split into the displays it runs, by their headers. Text
    /// between them stays with the compound block.
    fn compound(&mut self, l: SourceLine, out: &mut Vec<Item>) {
        let mut title = None;
        let mut inherited = None;
        if let Some(inner) = self.inner.as_mut() {
            let next = starts_another(&inner.block, &l.text) || heads_detail(&inner.block, &l.text);
            if !next && parse::fits(inner.block.command.display, &l.text) {
                Self::push(&mut inner.block, l);
                return;
            }
            if next {
                inherited = repeated_title(&inner.block, &l.text);
                title = take_title(&mut inner.block);
            }
            self.close_inner(out, false);
        }
        let Some(cur) = self.current.as_mut() else {
            return;
        };
        match parse::sniff(&l.text) {
            Some(d) => {
                let title = title.or_else(|| take_title(&mut cur.block));
                let (open, unused) = Self::open_found(d, &l, title, inherited);
                if let Some(t) = unused {
                    Self::push(&mut cur.block, t);
                }
                self.inner = Some(open);
            }
            None => {
                if let Some(t) = title {
                    Self::push(&mut cur.block, t);
                }
                Self::push(&mut cur.block, l);
            }
        }
    }
}

/// Whether `line` starts a display other than the one `block` (found by its header) holds.
/// A dotted leader starts one only where it cannot belong to this block: in a detail display,
/// when it repeats the block's first label (`SA Id` of the next SA); elsewhere, when it does
/// not fit (so a counters line with dots stays a counter).
fn starts_another(block: &Block, line: &str) -> bool {
    let d = block.command.display;
    let Some(next) = parse::sniff(line) else {
        return false;
    };
    if parse::is_detail(next) && parse::detail::leader(line).is_some() {
        return if parse::is_detail(d) {
            same_first_label(block, line)
        } else {
            !parse::fits(d, line)
        };
    }
    next != d
}

/// In a detail display, nested blocks indent their fields under their title; a title at the
/// left margin followed by a field at the left margin heads the next display instead.
fn heads_detail(block: &Block, line: &str) -> bool {
    parse::is_detail(block.command.display)
        && matches!(parse::detail::leader(line), Some((0, ..)))
        && trailing_title(block).is_some()
}

/// Where the block ends in a title at the left margin: the title of whatever display comes
/// next. A display's own first line is never taken (a compound block has no first line of its
/// own: any of its lines may be the title).
fn trailing_title(block: &Block) -> Option<usize> {
    let at = block
        .lines
        .iter()
        .rposition(|l| !l.text.trim().is_empty())?;
    let last = &block.lines[at].text;
    let own_first = at == 0 && block.command.display != Display::DebugIpsec;
    (!own_first && !last.starts_with(char::is_whitespace) && parse::detail::is_block_title(last))
        .then_some(at)
}

/// Take the trailing title (and the blank lines after it) out of `block`.
fn take_title(block: &mut Block) -> Option<SourceLine> {
    let at = trailing_title(block)?;
    // Only the title moves; the blank lines after it stay where they were (never dropped).
    Some(block.lines.remove(at))
}

/// The title of a detail display that `line` repeats (the next SA under the same heading).
fn repeated_title(block: &Block, line: &str) -> Option<String> {
    if !parse::is_detail(block.command.display) || !same_first_label(block, line) {
        return None;
    }
    let first = block.lines.first()?;
    (parse::detail::leader(&first.text).is_none() && parse::detail::is_block_title(&first.text))
        .then(|| first.text.trim().to_string())
}

fn same_first_label(block: &Block, line: &str) -> bool {
    let first = block
        .lines
        .iter()
        .find_map(|l| parse::detail::leader(&l.text).map(|(_, label, _)| label));
    let this = parse::detail::leader(line).map(|(_, label, _)| label);
    matches!((first, this), (Some(a), Some(b)) if a.eq_ignore_ascii_case(b))
}

/// The name a display found without its command is kept under, so several displays of one
/// kind do not replace each other: counter displays by their title, detail displays by their
/// title (when one was printed) and first field.
fn implicit_command(d: Display, first: &SourceLine, title: Option<&str>) -> String {
    if d == Display::Counters {
        return format!("counters: {}", first.text.trim().trim_end_matches(':'));
    }
    if !parse::is_detail(d) {
        return d.default_command().to_string();
    }
    let Some((_, label, value)) = parse::detail::leader(&first.text) else {
        return d.default_command().to_string();
    };
    match title {
        Some(t) => format!("{t} ({label} {value})"),
        None if label.eq_ignore_ascii_case("SA Id") => format!("show ipsec sa={value}"),
        // Which command printed it is unknown: say only what it is.
        None => format!("detail ({label} {value})"),
    }
}

#[cfg(test)]
mod tests;
