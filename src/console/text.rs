//! Console text cleanup: raw bytes from a terminal line, in chunks of any size, become clean
//! lines, with prompts, login and password prompts and the pager recognised.
//!
//! The line is kept the way a terminal would show it: carriage return moves to column 0 and
//! later text overwrites, backspace moves left, `ESC [ K` erases, tabs go to the next multiple
//! of 8. Escape sequences are parsed by `vte` (the parser of the Alacritty terminal), so a
//! sequence split across chunks is still removed whole.

use crate::alliedware::prompt::{self, PromptMatch, PromptMatcher};

/// Lines longer than this are cut and delivered in pieces, so a line with no end never
/// grows memory without bound. A router's lines are a few hundred bytes; 8 KiB keeps every
/// real one whole while a piece in flight (the session's event channels hold thousands of
/// events) stays small: a flood of cut pieces costs at most a few tens of MB in transit.
pub const MAX_LINE_BYTES: usize = 8 * 1024;

/// Bytes an escape sequence may take before it is cancelled as garbage.
pub const MAX_SEQUENCE_BYTES: usize = 512;

/// Length of the run of printable ASCII (0x20..=0x7e) at the start of `bytes`. Eight bytes
/// at a time (SWAR): this is the innermost loop of reading a capture.
fn printable_run(bytes: &[u8]) -> usize {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while i + 8 <= bytes.len() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&bytes[i..i + 8]);
        let x = u64::from_le_bytes(w);
        // A byte below 0x20, or at or above 0x7f, makes its high bit show in one of these.
        let below = x.wrapping_sub(LO * 0x20) & !x;
        let above = x.wrapping_add(LO) | x;
        if (below | above) & HI != 0 {
            break;
        }
        i += 8;
    }
    i + bytes[i..]
        .iter()
        .position(|&b| !(0x20..0x7f).contains(&b))
        .unwrap_or(bytes.len() - i)
}

/// Whether `line` holds `login:` (any case): `prompt::match_login` finds nothing without it.
fn may_be_login(line: &[u8]) -> bool {
    memchr::memchr_iter(b':', line).any(|i| i >= 5 && line[i - 5..i].eq_ignore_ascii_case(b"login"))
}

/// Characters that change the order or the look of text without showing themselves: bidi
/// controls (U+202A..U+202E, U+2066..U+2069, U+061C, U+200E, U+200F), zero-width and other
/// invisible format characters (U+200B..U+200D, U+2060..U+2064, U+FEFF, U+00AD, ...), line
/// and paragraph separators, and tag characters. A router's text shows them as `<U+202E>`,
/// so a line can never read differently on the screen from what it holds.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

/// What a clean line is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineKind {
    Text,
    /// A prompt, with the command typed after it (possibly empty).
    Prompt(PromptMatch),
    /// A login prompt, with the user name echoed after it.
    Login(String),
    Password,
}

/// One clean line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub text: String,
    pub kind: LineKind,
    /// 1-based number of the source line (counted by line feeds) where this line ended.
    pub number: usize,
    /// The line was longer than `MAX_LINE_BYTES` and continues in the next `Line`.
    pub cut: bool,
}

/// Something the cleaner saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextEvent {
    Line(Line),
    /// The pager asked whether to go on; its text was removed from the line.
    Pager,
}

/// What the unfinished last line is, when the line has gone quiet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Partial {
    Empty,
    Prompt(PromptMatch),
    Login,
    Password,
    Pager,
    Text(String),
}

/// The incremental cleaner. Feed it chunks; it appends events to the caller's vector.
pub struct TextCleaner {
    parser: vte::Parser,
    state: LineState,
}

struct LineState {
    buf: String,
    /// Cursor column in characters; `chars` is the line's length in characters.
    cursor: usize,
    chars: usize,
    number: usize,
    matcher: PromptMatcher,
    events: Vec<TextEvent>,
    /// `vte` is inside an escape sequence or a multi-byte character.
    vte_busy: bool,
    busy_bytes: usize,
    /// The line holds only ASCII, so a column is a byte offset (fast overwrite).
    ascii: bool,
    /// The line holds `--` (so it may hold the pager prompt).
    maybe_pager: bool,
    /// The last event is a pager prompt (no line ended since): kept here, not read from
    /// `events`, which the caller empties after each chunk.
    after_pager: bool,
    last: char,
}

impl Default for TextCleaner {
    fn default() -> Self {
        Self::new(PromptMatcher::default())
    }
}

impl TextCleaner {
    pub fn new(matcher: PromptMatcher) -> Self {
        TextCleaner {
            parser: vte::Parser::new(),
            state: LineState {
                buf: String::with_capacity(256),
                cursor: 0,
                chars: 0,
                number: 1,
                matcher,
                events: Vec::new(),
                vte_busy: false,
                busy_bytes: 0,
                ascii: true,
                maybe_pager: false,
                after_pager: false,
                last: '\0',
            },
        }
    }

    /// Clean one chunk; complete lines and pager prompts are appended to `out`.
    ///
    /// Plain ASCII (the bulk of any capture) is handled here directly; `vte` gets the bytes
    /// from an escape or a non-ASCII byte until it reports the sequence or character done.
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<TextEvent>) {
        let mut i = 0;
        while i < bytes.len() {
            if self.state.vte_busy && matches!(bytes[i], b'\r' | b'\n') {
                // A router's output is lines: a string sequence (OSC, DCS) or a character
                // still open at a line end was cut short (garbage, a wrong baud rate). Cancel
                // it so the line end, and the prompt after it, are read as they are.
                self.parser.advance(&mut self.state, &[0x18]);
                self.state.vte_busy = false;
            }
            if self.state.vte_busy {
                self.parser.advance(&mut self.state, &bytes[i..i + 1]);
                i += 1;
                self.state.busy_bytes += 1;
                if self.state.vte_busy && self.state.busy_bytes > MAX_SEQUENCE_BYTES {
                    // An escape sequence (an OSC string, say) that never ends would swallow
                    // everything after it: cancel it (CAN) and read on as text.
                    self.parser.advance(&mut self.state, &[0x18]);
                    self.state.vte_busy = false;
                }
                continue;
            }
            // One pass finds the end of the printable run.
            let rest = &bytes[i..];
            let run = printable_run(rest);
            if run > 0 {
                self.state.text(&rest[..run]);
                i += run;
            }
            let Some(&b) = bytes.get(i) else { break };
            if b < 0x20 && b != 0x1b || b == 0x7f {
                vte::Perform::execute(&mut self.state, b);
            } else {
                self.state.vte_busy = true;
                self.state.busy_bytes = 0;
                self.parser.advance(&mut self.state, &bytes[i..i + 1]);
            }
            i += 1;
        }
        out.append(&mut self.state.events);
    }

    /// The line has been quiet: say what the unfinished line is. A complete pager prompt is
    /// removed (and reported) so it never reaches a parser.
    pub fn partial(&mut self) -> Partial {
        let st = &mut self.state;
        if st.strip_pager() {
            return Partial::Pager;
        }
        let text = st.buf.trim_end();
        if text.is_empty() {
            return Partial::Empty;
        }
        if prompt::is_password_prompt(text) {
            return Partial::Password;
        }
        if prompt::match_login(text).is_some() {
            return Partial::Login;
        }
        // The user's pattern may end in the space after the prompt (`^Branch-\d+# `, as the
        // help shows it): the line as it stands is tried when the trimmed one does not match.
        if let Some(p) = st
            .matcher
            .match_line(text)
            .or_else(|| st.matcher.match_line(&st.buf))
        {
            if p.rest.is_empty() {
                return Partial::Prompt(p);
            }
        }
        Partial::Text(text.to_string())
    }

    /// The unfinished line as it stands (for echo handling and passthrough).
    pub fn pending(&self) -> &str {
        &self.state.buf
    }

    /// Deliver the unfinished line as a complete one (end of file, or link closed).
    pub fn finish(&mut self, out: &mut Vec<TextEvent>) {
        let st = &mut self.state;
        st.strip_pager();
        if !st.buf.trim().is_empty() {
            st.end_line(false);
        } else {
            st.clear_line();
        }
        out.append(&mut st.events);
    }

    /// Drop the unfinished line (after answering a prompt that the router will redraw).
    pub fn discard_partial(&mut self) {
        self.state.clear_line();
    }

    /// Number the line being read now as `n` (a capture's records say where they stand in
    /// the file, and a line is numbered where it ends).
    pub fn set_line_number(&mut self, n: usize) {
        self.state.number = n;
    }

    /// Number of the source line being read now (1-based).
    pub fn line_number(&self) -> usize {
        self.state.number
    }
}

impl LineState {
    fn clear_line(&mut self) {
        self.buf.clear();
        self.cursor = 0;
        self.chars = 0;
        self.maybe_pager = false;
        self.ascii = true;
    }

    /// A run of printable ASCII: appended whole in the common case.
    fn text(&mut self, text: &[u8]) {
        let run = text.len();
        if self.cursor == self.chars && self.buf.len() + run < MAX_LINE_BYTES - 4 {
            if !self.maybe_pager
                && text.contains(&b'-')
                && (text.windows(2).any(|w| w == b"--") || (self.last == '-' && text[0] == b'-'))
            {
                self.maybe_pager = true;
            }
            // Printable ASCII is always valid UTF-8.
            self.buf
                .push_str(std::str::from_utf8(text).unwrap_or_default());
            self.cursor += run;
            self.chars += run;
            self.last = char::from(text[run - 1]);
        } else {
            for &b in text {
                self.put(char::from(b));
            }
        }
    }

    fn classify(&self, text: &str) -> LineKind {
        if let Some(p) = self.matcher.match_line(text) {
            return LineKind::Prompt(p);
        }
        // `match_login` looks for `login:` byte by byte; most lines have no `login:` at all,
        // which memchr over the colons tells sooner (the same test, so the same answer).
        if may_be_login(text.as_bytes()) {
            if let Some(user) = prompt::match_login(text) {
                return LineKind::Login(user);
            }
        }
        if prompt::is_password_prompt(text) {
            return LineKind::Password;
        }
        LineKind::Text
    }

    fn end_line(&mut self, cut: bool) {
        let text = self.buf.trim_end().to_string();
        let kind = self.classify(&text);
        self.events.push(TextEvent::Line(Line {
            text,
            kind,
            number: self.number,
            cut,
        }));
        self.after_pager = false;
        self.clear_line();
    }

    /// Remove a complete pager prompt from the line; true when one was there.
    fn strip_pager(&mut self) -> bool {
        if !self.maybe_pager || self.buf.len() < prompt::PAGER_MARK.len() {
            return false;
        }
        let Some((start, end)) = prompt::find_pager(&self.buf) else {
            return false;
        };
        let mut rest = String::with_capacity(self.buf.len());
        rest.push_str(&self.buf[..start]);
        rest.push_str(&self.buf[end..]);
        let rest = rest.trim_end().to_string();
        self.buf = rest;
        self.chars = self.buf.chars().count();
        self.cursor = self.chars;
        self.events.push(TextEvent::Pager);
        self.after_pager = true;
        true
    }

    fn put(&mut self, c: char) {
        if c == '-' && self.last == '-' {
            self.maybe_pager = true;
        }
        self.last = c;
        if !c.is_ascii() {
            self.ascii = false;
        }
        if self.cursor > self.chars {
            // Cursor moved past the end (ESC [ C): pad with spaces as a terminal shows it,
            // never past the line's byte limit.
            while self.chars < self.cursor && self.buf.len() < MAX_LINE_BYTES - 4 {
                self.buf.push(' ');
                self.chars += 1;
            }
            self.cursor = self.chars;
        }
        if self.cursor == self.chars {
            self.buf.push(c);
            self.cursor += 1;
            self.chars += 1;
        } else {
            // Overwrite in place (after CR or backspace). On an ASCII line the column is the
            // byte offset; otherwise find the character's offset.
            let at = if self.ascii {
                self.cursor
            } else {
                self.buf
                    .char_indices()
                    .nth(self.cursor)
                    .map(|(i, _)| i)
                    .unwrap_or(self.buf.len())
            };
            let old_len = self.buf[at..]
                .chars()
                .next()
                .map(char::len_utf8)
                .unwrap_or(0);
            let mut tmp = [0u8; 4];
            self.buf
                .replace_range(at..at + old_len, c.encode_utf8(&mut tmp));
            self.cursor += 1;
        }
        if self.buf.len() >= MAX_LINE_BYTES - 4 {
            self.end_line(true);
        }
    }

    /// Cut the line at the cursor (ESC [ K), or blank it all.
    fn erase_to_end(&mut self) {
        if self.cursor < self.chars {
            let at = self
                .buf
                .char_indices()
                .nth(self.cursor)
                .map(|(i, _)| i)
                .unwrap_or(self.buf.len());
            self.buf.truncate(at);
            self.chars = self.cursor;
        }
    }
}

impl vte::Perform for LineState {
    fn print(&mut self, c: char) {
        // vte prints only in its ground state: the sequence or character is complete.
        self.vte_busy = false;
        match c {
            // vte may hand a control over as a character (DEL after a bad byte): treat it as
            // the control it is.
            '\u{7f}' | '\u{0}'..='\u{1f}' => vte::Perform::execute(self, c as u8),
            // C1 controls carry no text.
            '\u{80}'..='\u{9f}' => {}
            // Characters that reorder or hide text are shown as what they are.
            c if is_invisible(c) => {
                for v in format!("<U+{:04X}>", u32::from(c)).chars() {
                    self.put(v);
                }
            }
            _ => self.put(c),
        }
    }

    fn esc_dispatch(&mut self, _intermediates: &[u8], _ignore: bool, _byte: u8) {
        self.vte_busy = false;
    }

    fn osc_dispatch(&mut self, _params: &[&[u8]], bell_terminated: bool) {
        // Ended by BEL, the sequence is over. Ended by ESC, it is not: the `\` of the string
        // terminator (ESC \) is still to come, and must not be read as text.
        if bell_terminated {
            self.vte_busy = false;
        }
    }

    fn unhook(&mut self) {
        // A DCS string ends at ESC (then `\` follows), CAN/SUB or ST: `vte` reads on until
        // it prints or dispatches, so the terminator never reaches the line.
    }

    fn execute(&mut self, byte: u8) {
        match byte {
            b'\n' | 0x0b | 0x0c => {
                self.strip_pager();
                // A line that held only the pager prompt is not a line of output.
                if !(self.buf.is_empty() && self.after_pager) {
                    self.end_line(false);
                }
                self.number += 1;
            }
            b'\r' => {
                self.strip_pager();
                self.cursor = 0;
            }
            0x08 | 0x7f => {
                self.strip_pager();
                self.cursor = self.cursor.saturating_sub(1);
            }
            b'\t' => {
                // At most eight spaces: a cut of the line (which moves the cursor back to
                // column 0) must not restart the count.
                let n = 8 - self.cursor % 8;
                for _ in 0..n {
                    let before = self.cursor;
                    self.put(' ');
                    if self.cursor <= before {
                        break;
                    }
                }
            }
            // NUL, BEL and the other controls carry no text.
            _ => {}
        }
    }

    fn csi_dispatch(
        &mut self,
        params: &vte::Params,
        _intermediates: &[u8],
        _ignore: bool,
        action: char,
    ) {
        let first = params
            .iter()
            .next()
            .and_then(|p| p.first().copied())
            .unwrap_or(0);
        self.vte_busy = false;
        let n = usize::from(first.max(1));
        match action {
            'K' => match first {
                0 => self.erase_to_end(),
                _ => self.clear_line(),
            },
            'D' => self.cursor = self.cursor.saturating_sub(n),
            'C' => self.cursor = (self.cursor + n).min(MAX_LINE_BYTES),
            'G' => self.cursor = (n - 1).min(MAX_LINE_BYTES),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(chunks: &[&[u8]]) -> Vec<String> {
        let mut c = TextCleaner::default();
        let mut out = Vec::new();
        for ch in chunks {
            c.feed(ch, &mut out);
        }
        c.finish(&mut out);
        out.into_iter()
            .map(|e| match e {
                TextEvent::Line(l) => l.text,
                TextEvent::Pager => "<PAGER>".into(),
            })
            .collect()
    }

    #[test]
    fn line_endings() {
        assert_eq!(lines(&[b"a\r\nb\nc\r\r\nd"]), vec!["a", "b", "c", "d"]);
        assert_eq!(lines(&[b"abc\rxy\n"]), vec!["xyc"]);
        assert_eq!(lines(&[b"a\r", b"\nb\n"]), vec!["a", "b"]);
    }

    #[test]
    fn backspace_and_escapes() {
        assert_eq!(lines(&[b"shoe\x08 \x08w ip\n"]), vec!["show ip"]);
        assert_eq!(lines(&[b"\x1b[1;31mred\x1b[0m text\n"]), vec!["red text"]);
        assert_eq!(lines(&[b"\x1b[", b"32mgreen\x1b", b"[0m\n"]), vec!["green"]);
        assert_eq!(lines(&[b"old text\r\x1b[Knew\n"]), vec!["new"]);
        assert_eq!(lines(&[b"a\x00b\x07c\n"]), vec!["abc"]);
    }

    #[test]
    fn string_terminated_sequences_leave_nothing() {
        // OSC and DCS ended by ESC \ (ST): no stray `\`, nothing after them swallowed.
        assert_eq!(
            lines(&[b"a\x1b]0;title\x1b\\b\xc3\xa9c\n"]),
            vec!["ab\u{e9}c"]
        );
        assert_eq!(lines(&[b"a\x1bPq#0;1\x1b\\bc\n"]), vec!["abc"]);
        assert_eq!(lines(&[b"a\x1b]0;t\x1b", b"\\", b"bc\n"]), vec!["abc"]);
        assert_eq!(lines(&[b"a\x1b]0;t\x07bc\n"]), vec!["abc"]);
        assert_eq!(lines(&[b"a\x1b_apc\x1b\\bc\n"]), vec!["abc"]);
        // Cancelled by CAN: the text after it is kept.
        assert_eq!(lines(&[b"a\x1b]0;t\x18bc\n"]), vec!["abc"]);
    }

    #[test]
    fn a_sequence_left_open_ends_at_the_line_end() {
        // Garbage left an OSC or DCS open: the line end and the prompt after it still come
        // through (a prompt lost this way stalled the session until 512 bytes had passed).
        assert_eq!(
            lines(&[b"x\x1b]0;junk\r\nSecOff Peer1> show\n"]),
            vec!["x", "SecOff Peer1> show"]
        );
        assert_eq!(
            lines(&[b"x\x1bPjunk", b"\r\n", b"Manager Peer1> a\n"]),
            vec!["x", "Manager Peer1> a"]
        );
        // A multi-byte character cut by a line end.
        assert_eq!(
            lines(&[b"a\xc3\r\nb\n"]).last().map(String::as_str),
            Some("b")
        );
    }

    #[test]
    fn bidi_and_zero_width_are_made_visible() {
        let l = lines(&["a\u{202E}b\u{2066}c\u{200B}d\u{FEFF}e\u{061C}f\u{2069}\n".as_bytes()]);
        assert_eq!(
            l,
            vec!["a<U+202E>b<U+2066>c<U+200B>d<U+FEFF>e<U+061C>f<U+2069>"]
        );
        // Ordinary text beyond ASCII is untouched.
        assert_eq!(
            lines(&["caf\u{e9} \u{4e2d}\n".as_bytes()]),
            vec!["caf\u{e9} \u{4e2d}"]
        );
    }

    #[test]
    fn bad_utf8_is_lossy() {
        let l = lines(&[b"caf\xc3", b"\xa9 \xff\xfe ok\n"]);
        assert_eq!(l.len(), 1);
        assert!(l[0].starts_with("caf\u{e9}"), "{:?}", l);
        assert!(l[0].ends_with(" ok"));
    }

    #[test]
    fn printable_runs() {
        for len in 0..40 {
            for bad in [0u8, 0x1b, 0x1f, 0x7f, 0x80, 0xff, b'\n'] {
                for at in 0..=len {
                    let mut v = vec![b'a'; len];
                    if at < len {
                        v[at] = bad;
                    }
                    let want = if at < len { at } else { len };
                    assert_eq!(printable_run(&v), want, "len {len} bad {bad:#x} at {at}");
                }
            }
        }
        assert_eq!(printable_run(b" ~~~~~~~~~~~~~~~~"), 17);
    }

    #[test]
    fn tabs_expand() {
        assert_eq!(lines(&[b"a\tb\n"]), vec!["a       b"]);
    }

    #[test]
    fn long_line_is_cut() {
        let big = vec![b'x'; MAX_LINE_BYTES * 2 + 10];
        let mut c = TextCleaner::default();
        let mut out = Vec::new();
        c.feed(&big, &mut out);
        assert_eq!(out.len(), 2);
        assert!(c.pending().len() <= 32);
    }

    #[test]
    fn pager_is_removed() {
        let pager = b"--More-- (<space> = next page, <CR> = one line, C = continuous, Q = quit)";
        let mut input = b"row 1\r\n".to_vec();
        input.extend_from_slice(pager);
        input.extend_from_slice(b"\r                    \rrow 2\r\n");
        assert_eq!(lines(&[&input]), vec!["row 1", "<PAGER>", "row 2"]);
        let mut c = TextCleaner::default();
        let mut out = Vec::new();
        c.feed(b"row 1\r\n--More--", &mut out);
        assert_eq!(c.partial(), Partial::Pager);
        assert_eq!(c.pending(), "");
    }

    /// Found by tests/fuzz.rs: a line feed after a pager prompt made an empty line only when
    /// the prompt and the line feed came in different chunks.
    #[test]
    fn pager_then_line_feed_in_another_chunk() {
        let pager = b"--More-- (<space> = next page, <CR> = one line, C = continuous, Q = quit)";
        let mut input = b"row 1\r\n".to_vec();
        input.extend_from_slice(pager);
        input.extend_from_slice(b"\x1b[1;31m\x08\nrow 2\r\n");
        let whole = lines(&[&input]);
        assert_eq!(whole, vec!["row 1", "<PAGER>", "row 2"]);
        // The backspace takes the prompt away in the first chunk; the line feed comes next.
        let at = input.len() - b"\nrow 2\r\n".len();
        assert_eq!(lines(&[&input[..at], &input[at..]]), whole);
    }

    #[test]
    fn partial_prompts() {
        let mut c = TextCleaner::default();
        let mut out = Vec::new();
        c.feed(b"\r\nSecOff Peer1> ", &mut out);
        assert!(
            matches!(c.partial(), Partial::Prompt(p) if p.system_name.as_deref() == Some("Peer1"))
        );
        c.discard_partial();
        c.feed(b"Peer1 login: ", &mut out);
        assert_eq!(c.partial(), Partial::Login);
        c.discard_partial();
        c.feed(b"Password: ", &mut out);
        assert_eq!(c.partial(), Partial::Password);
    }

    #[test]
    fn line_numbers_count_line_feeds() {
        let mut c = TextCleaner::default();
        let mut out = Vec::new();
        c.feed(b"a\n\nb\n", &mut out);
        let nums: Vec<usize> = out
            .iter()
            .filter_map(|e| match e {
                TextEvent::Line(l) => Some(l.number),
                _ => None,
            })
            .collect();
        assert_eq!(nums, vec![1, 2, 3]);
    }
}
