//! Time stamps that terminal programs write into their logs: tio, Tera Term, minicom and
//! SecureCRT put one at the start of every line, PuTTY writes a header line. They are
//! recognised from a log's first lines (or given with `--stamp REGEX`), removed from each
//! line start before the text cleaner sees the bytes (so prompts and table rows are read as
//! the router wrote them), and each stamp becomes its line's time.
//!
//! The formats are data: a named regular expression each, whose named groups say how to read
//! the time (`y`, `mon` or `mname`, `d`, `H`, `M`, `S`, `frac`). A stamp is only looked for
//! at a line start as the program wrote it, i.e. after a line feed in the raw bytes (a
//! carriage return alone is a redraw of the same line, not a new one).

use regex::bytes::{CaptureLocations, Regex};
use std::collections::VecDeque;
use std::sync::{Arc, OnceLock};

/// Bytes at a line start that a stamp may take (a longer one is not recognised).
pub const MAX_STAMP_BYTES: usize = 160;

/// Lines looked at to recognise a format (the non-empty ones among the first lines).
pub const DETECT_LINES: usize = 20;

/// Bytes looked at to recognise a format, at most (a log of very long lines is decided on
/// fewer lines).
pub const DETECT_BYTES: usize = 64 * 1024;

/// What a matching stamp is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Written before every line: removed, and its time becomes the line's.
    EveryLine,
    /// A whole line written by the program (PuTTY's session header): the line is emptied.
    /// It is recognised when a log starts with it, and then wherever a line starts with it
    /// (PuTTY writes one more for every session appended to the same file).
    Header,
}

/// One format: a name and an expression anchored at the line start.
#[derive(Debug)]
pub struct Format {
    pub name: String,
    pub kind: Kind,
    re: Regex,
    /// Index of each group of [`GROUPS`] in `re`, where it has one.
    groups: [Option<usize>; GROUPS.len()],
}

/// The named groups that say the time, in this order in `Format::groups`.
const GROUPS: [&str; 8] = ["y", "mon", "mname", "d", "H", "M", "S", "frac"];

impl Format {
    /// A format of the user's (`--stamp`): the expression is matched at each line start; its
    /// named groups, where present, give the time.
    pub fn custom(expr: &str) -> Result<Format, regex::Error> {
        Ok(Format::new(
            "custom",
            Kind::EveryLine,
            Regex::new(&format!("^(?:{expr})"))?,
        ))
    }

    fn new(name: &str, kind: Kind, re: Regex) -> Format {
        let mut groups = [None; GROUPS.len()];
        for (i, name) in re.capture_names().enumerate() {
            if let Some(g) = name.and_then(|n| GROUPS.iter().position(|&x| x == n)) {
                groups[g] = Some(i);
            }
        }
        Format {
            name: name.into(),
            kind,
            re,
            groups,
        }
    }

    fn builtin(name: &str, kind: Kind, expr: &str) -> Format {
        // The built-in expressions are constants, checked by the tests below.
        let re = Regex::new(expr).unwrap_or_else(|e| panic!("stamp format {name}: {e}"));
        Format::new(name, kind, re)
    }

    /// The length of the stamp at the start of `line` (which holds no line feed), with its
    /// groups in `locs` (from this format's `re.capture_locations()`, reused line after line).
    fn match_len(&self, line: &[u8], locs: &mut CaptureLocations) -> Option<usize> {
        let m = self.re.captures_read(locs, line)?;
        match self.kind {
            // A header is a whole line: only a carriage return may follow it.
            Kind::Header => line[m.end()..]
                .iter()
                .all(|&b| b == b'\r' || b == b' ')
                .then_some(m.end()),
            Kind::EveryLine => Some(m.end()),
        }
    }

    fn matches(&self, line: &[u8]) -> bool {
        self.match_len(line, &mut self.re.capture_locations())
            .is_some()
    }

    /// The time the stamp just matched in `line` says (see [`read_time`]).
    fn time(&self, line: &[u8], locs: &CaptureLocations) -> Option<String> {
        read_time(|g| {
            let (s, e) = locs.get(self.groups[g]?)?;
            line.get(s..e)
        })
    }
}

const WDAY: &str = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)";
const MNAME: &str = "(?P<mname>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)";
const HMS: &str = r"(?P<H>\d{2}):(?P<M>\d{2}):(?P<S>\d{2})(?:[.,](?P<frac>\d{1,9}))?";
const YMD: &str = r"(?P<y>\d{4})-(?P<mon>\d{2})-(?P<d>\d{2})";

/// The formats recognised without a flag, in the order they are tried.
pub fn builtin() -> &'static [Format] {
    static FORMATS: OnceLock<Vec<Format>> = OnceLock::new();
    FORMATS.get_or_init(|| {
        vec![
            // tio `--timestamp` (24hour, 24hour-start, 24hour-delta): `[10:15:02.123] `.
            Format::builtin("tio", Kind::EveryLine, &format!(r"^\[{HMS}\] ?")),
            // tio `--timestamp-format iso8601`: `[2026-11-29T10:15:02.123] `.
            Format::builtin(
                "tio-iso8601",
                Kind::EveryLine,
                &format!(r"^\[{YMD}T{HMS}(?:Z|[+-]\d{{2}}:?\d{{2}})?\] ?"),
            ),
            // minicom time stamps (Ctrl-A N): `[2026-11-29 10:15:02] ` (milliseconds too).
            Format::builtin("minicom", Kind::EveryLine, &format!(r"^\[{YMD} {HMS}\] ?")),
            // Tera Term's log with time stamps: `[Sun Nov 29 10:15:02.123 2026] `.
            Format::builtin(
                "teraterm",
                Kind::EveryLine,
                &format!(r"^\[{WDAY} {MNAME} (?P<d>[ \d]?\d) {HMS} (?P<y>\d{{4}})\] ?"),
            ),
            // PuTTY's session header, one line.
            Format::builtin(
                "putty",
                Kind::Header,
                r"^=~=~=~=~=~=~=~=~=~=~=~= PuTTY log (?P<y>\d{4})\.(?P<mon>\d{2})\.(?P<d>\d{2}) (?P<H>\d{2}):(?P<M>\d{2}):(?P<S>\d{2}) =~=~=~=~=~=~=~=~=~=~=~=",
            ),
        ]
    })
}

/// Which format a reader uses: recognised from the first lines, or the user's.
#[derive(Debug, Clone, Default)]
pub enum Choice {
    /// Recognise one of [`builtin`] from the first lines; none is used when none fits.
    #[default]
    Detect,
    /// The user's format, used from the first line.
    Given(Arc<Format>),
}

/// The format most of the first non-empty lines of `head` carry, if any. `complete` says
/// `head` is the whole input (its last line need not end in a line feed).
pub fn detect(head: &[u8], complete: bool) -> Option<&'static Format> {
    let mut lines: Vec<&[u8]> = head.split(|&b| b == b'\n').collect();
    if !complete && !head.ends_with(b"\n") {
        // The last line is not complete: a stamp may still be cut.
        lines.pop();
    }
    let lines: Vec<&[u8]> = lines
        .into_iter()
        .filter(|l| l.iter().any(|b| !b.is_ascii_whitespace()))
        .take(DETECT_LINES)
        .collect();
    let first = *lines.first()?;
    let formats = builtin();
    // A header is at the start of a log.
    if let Some(f) = formats
        .iter()
        .find(|f| f.kind == Kind::Header && f.matches(first))
    {
        return Some(f);
    }
    formats
        .iter()
        .filter(|f| f.kind == Kind::EveryLine)
        .map(|f| {
            let n = lines.iter().filter(|l| f.matches(l)).count();
            (n, f)
        })
        .filter(|&(n, _)| n * 2 > lines.len())
        .max_by_key(|&(n, _)| n)
        .map(|(_, f)| f)
}

/// The first bytes of an input, held until there are enough lines to decide on a format
/// (counted as they arrive, so bytes fed one at a time cost no more than a block).
#[derive(Debug, Default)]
pub struct Head {
    pub bytes: Vec<u8>,
    /// Complete non-empty lines seen.
    lines: usize,
    text_in_line: bool,
}

impl Head {
    /// Take what is needed of `bytes`; returns how many were taken.
    pub fn push(&mut self, bytes: &[u8]) -> usize {
        let room = DETECT_BYTES.saturating_sub(self.bytes.len());
        let mut taken = 0;
        for &b in &bytes[..bytes.len().min(room)] {
            taken += 1;
            if b == b'\n' {
                if self.text_in_line {
                    self.lines += 1;
                }
                self.text_in_line = false;
                if self.lines >= DETECT_LINES {
                    break;
                }
            } else if !b.is_ascii_whitespace() {
                self.text_in_line = true;
            }
        }
        self.bytes.extend_from_slice(&bytes[..taken]);
        taken
    }

    /// Enough is held to decide.
    pub fn ready(&self) -> bool {
        self.lines >= DETECT_LINES || self.bytes.len() >= DETECT_BYTES
    }
}

/// The time a stamp says, written `YYYY-MM-DDTHH:MM:SS.fff` (the date left out when the
/// stamp has none, the fraction when it has none), or `None` when it says no time. `group(i)`
/// is the text of group `GROUPS[i]`. By hand, not `format!`: it runs on every line.
fn read_time<'a>(group: impl Fn(usize) -> Option<&'a [u8]>) -> Option<String> {
    let num = |g: usize| -> Option<u32> {
        let t = group(g)?.trim_ascii();
        if t.is_empty() || t.len() > 9 || !t.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(t.iter().fold(0, |n, &d| n * 10 + u32::from(d - b'0')))
    };
    let (h, m, s) = (num(4)?, num(5)?, num(6)?);
    if h > 23 || m > 59 || s > 60 {
        return None;
    }
    const NAMES: [&[u8]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let month = num(1).or_else(|| {
        let name = group(2)?;
        NAMES.iter().position(|n| *n == name).map(|i| i as u32 + 1)
    });
    fn two(out: &mut String, n: u32) {
        out.push(char::from(b'0' + (n / 10 % 10) as u8));
        out.push(char::from(b'0' + (n % 10) as u8));
    }
    let mut out = String::with_capacity(32);
    if let (Some(y), Some(mo), Some(d)) = (num(0), month, num(3)) {
        if (1..=12).contains(&mo) && (1..=31).contains(&d) && y <= 9999 {
            two(&mut out, y / 100);
            two(&mut out, y % 100);
            out.push('-');
            two(&mut out, mo);
            out.push('-');
            two(&mut out, d);
            out.push('T');
        }
    }
    two(&mut out, h);
    out.push(':');
    two(&mut out, m);
    out.push(':');
    two(&mut out, s);
    if let Some(f) = group(7).filter(|f| !f.is_empty() && f.iter().all(u8::is_ascii_digit)) {
        out.push('.');
        out.extend(f.iter().map(|&b| char::from(b)));
    }
    Some(out)
}

/// Removes stamps from the start of each line, streaming: bytes in chunks of any size go in,
/// the same bytes without stamps come out. Holds at most [`MAX_STAMP_BYTES`] between chunks,
/// and the times of the lines not yet taken.
pub struct Stripper {
    format: FormatRef,
    /// The format's groups of the last match, reused line after line.
    locs: CaptureLocations,
    /// At a line start, deciding: the bytes of this line seen so far.
    pending: Vec<u8>,
    at_start: bool,
    /// 1-based number of the line being read (counted by line feeds, as the cleaner does).
    line: usize,
    times: VecDeque<(usize, String)>,
}

/// A built-in format or the user's.
#[derive(Debug)]
enum FormatRef {
    Builtin(&'static Format),
    Given(Arc<Format>),
}

impl FormatRef {
    fn get(&self) -> &Format {
        match self {
            FormatRef::Builtin(f) => f,
            FormatRef::Given(f) => f,
        }
    }
}

impl Stripper {
    pub fn builtin(format: &'static Format) -> Stripper {
        Self::with(FormatRef::Builtin(format))
    }

    pub fn given(format: Arc<Format>) -> Stripper {
        Self::with(FormatRef::Given(format))
    }

    fn with(format: FormatRef) -> Stripper {
        let locs = format.get().re.capture_locations();
        Stripper {
            format,
            locs,
            pending: Vec::with_capacity(MAX_STAMP_BYTES),
            at_start: true,
            line: 1,
            times: VecDeque::new(),
        }
    }

    /// The format's name.
    pub fn name(&self) -> &str {
        &self.format.get().name
    }

    /// Strip one chunk into `out` (appended).
    pub fn feed(&mut self, mut bytes: &[u8], out: &mut Vec<u8>) {
        while !bytes.is_empty() {
            if self.at_start {
                let room = MAX_STAMP_BYTES - self.pending.len();
                let lf = bytes[..bytes.len().min(room)]
                    .iter()
                    .position(|&b| b == b'\n');
                let take = lf.unwrap_or(bytes.len().min(room));
                self.pending.extend_from_slice(&bytes[..take]);
                bytes = &bytes[take..];
                if lf.is_none() && self.pending.len() < MAX_STAMP_BYTES {
                    // The chunk ended inside what may be a stamp: wait for more.
                    return;
                }
                self.decide(out);
            } else {
                match bytes.iter().position(|&b| b == b'\n') {
                    Some(i) => {
                        out.extend_from_slice(&bytes[..=i]);
                        bytes = &bytes[i + 1..];
                        self.line += 1;
                        self.at_start = true;
                    }
                    None => {
                        out.extend_from_slice(bytes);
                        return;
                    }
                }
            }
        }
    }

    /// The input has ended: a last line start still held goes out.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if self.at_start && !self.pending.is_empty() {
            self.decide(out);
        }
    }

    /// The start of a line is known (up to a line feed, or as long as a stamp may be).
    fn decide(&mut self, out: &mut Vec<u8>) {
        let format = self.format.get();
        let mut end = 0;
        if let Some(len) = format.match_len(&self.pending, &mut self.locs) {
            end = len;
            if let Some(t) = format.time(&self.pending, &self.locs) {
                self.times.push_back((self.line, t));
            }
        }
        out.extend_from_slice(&self.pending[end..]);
        self.pending.clear();
        self.at_start = false;
    }

    /// The time of line `number` when its stamp said one (lines may be asked for a little
    /// out of order: the transcript holds a title line until the next one is read).
    pub fn time_of(&self, number: usize) -> Option<String> {
        let i = self.times.partition_point(|(n, _)| *n < number);
        match self.times.get(i) {
            Some((n, t)) if *n == number => Some(t.clone()),
            _ => None,
        }
    }

    /// Forget the times of lines before `number` (the reader is done with them).
    pub fn forget_before(&mut self, number: usize) {
        while self.times.front().is_some_and(|(n, _)| *n < number) {
            self.times.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strip_in_pieces(f: &'static Format, input: &[u8], piece: usize) -> (Vec<u8>, Vec<String>) {
        let mut s = Stripper::builtin(f);
        let mut out = Vec::new();
        for p in input.chunks(piece.max(1)) {
            s.feed(p, &mut out);
        }
        s.finish(&mut out);
        let times = s.times.iter().map(|(n, t)| format!("{n} {t}")).collect();
        (out, times)
    }

    fn format(name: &str) -> &'static Format {
        builtin()
            .iter()
            .find(|f| f.name == name)
            .expect("a built-in format")
    }

    #[test]
    fn builtin_formats_compile_and_are_recognised() {
        let cases: [(&str, &str, &str); 5] = [
            ("tio", "[10:15:02.123] ", "10:15:02.123"),
            (
                "tio-iso8601",
                "[2026-11-29T10:15:02.123] ",
                "2026-11-29T10:15:02.123",
            ),
            (
                "teraterm",
                "[Sun Nov 29 10:15:02.123 2026] ",
                "2026-11-29T10:15:02.123",
            ),
            ("minicom", "[2026-11-29 10:15:02] ", "2026-11-29T10:15:02"),
            (
                "putty",
                "=~=~=~=~=~=~=~=~=~=~=~= PuTTY log 2026.11.29 10:15:02 =~=~=~=~=~=~=~=~=~=~=~=",
                "",
            ),
        ];
        for (name, stamp, time) in cases {
            let mut log = Vec::new();
            if name == "putty" {
                log.extend_from_slice(
                    format!("{stamp}\r\nSecOff Peer1> show isakmp sa\r\nline two\r\n").as_bytes(),
                );
            } else {
                for l in ["SecOff Peer1> show isakmp sa", "", "line two"] {
                    log.extend_from_slice(format!("{stamp}{l}\r\n").as_bytes());
                }
            }
            let f = detect(&log, true).unwrap_or_else(|| panic!("{name} not recognised"));
            assert_eq!(f.name, name);
            for piece in [1, 2, 7, 1000] {
                let (out, times) = strip_in_pieces(f, &log, piece);
                let want: &[u8] = if name == "putty" {
                    b"\r\nSecOff Peer1> show isakmp sa\r\nline two\r\n"
                } else {
                    b"SecOff Peer1> show isakmp sa\r\n\r\nline two\r\n"
                };
                assert_eq!(String::from_utf8_lossy(&out), String::from_utf8_lossy(want));
                if name != "putty" {
                    assert_eq!(
                        times,
                        vec![
                            format!("1 {time}"),
                            format!("2 {time}"),
                            format!("3 {time}")
                        ]
                    );
                }
            }
        }
    }

    #[test]
    fn only_at_line_starts_and_only_once() {
        let f = format("tio");
        let log = b"[10:15:02.123] a [10:15:03.000] b\r\n[10:15:04.000] [10:15:05.000] c\r\rX\n";
        let (out, times) = strip_in_pieces(f, log, 3);
        assert_eq!(out, b"a [10:15:03.000] b\r\n[10:15:05.000] c\r\rX\n");
        assert_eq!(times, vec!["1 10:15:02.123", "2 10:15:04.000"]);
    }

    #[test]
    fn a_stamp_on_few_lines_is_not_a_format() {
        let log = b"ISAKMP: one\n[10:15:02.123] ISAKMP: two\nISAKMP: three\n";
        assert!(detect(log, true).is_none());
        assert!(detect(b"", true).is_none());
        // Unterminated last line of an incomplete head is not counted.
        assert!(detect(b"x\n[10:15:0", false).is_none());
    }

    #[test]
    fn user_format_reads_named_groups() {
        let f =
            Arc::new(Format::custom(r"(?P<H>\d\d)h(?P<M>\d\d)m(?P<S>\d\d)s \| ").expect("regex"));
        let mut s = Stripper::given(f);
        let mut out = Vec::new();
        s.feed(b"10h15m02s | hello\nno stamp\n", &mut out);
        s.finish(&mut out);
        assert_eq!(out, b"hello\nno stamp\n");
        assert_eq!(s.time_of(1).as_deref(), Some("10:15:02"));
        assert_eq!(s.time_of(2), None);
    }

    #[test]
    fn line_without_end_is_bounded() {
        let f = format("tio");
        let mut s = Stripper::builtin(f);
        let mut out = Vec::new();
        let long = vec![b'x'; 10 * MAX_STAMP_BYTES];
        for p in long.chunks(5) {
            s.feed(p, &mut out);
            assert!(s.pending.len() <= MAX_STAMP_BYTES);
        }
        s.finish(&mut out);
        assert_eq!(out, long);
    }
}
