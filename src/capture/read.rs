//! Reading a capture back: its header and records, line by line, tolerant of a file cut short.
//!
//! Memory is bounded whatever the file holds: whether a file is a capture is decided on its
//! first bytes, header lines are read up to a limit, and a record line longer than
//! `MAX_RECORD_LINE` is delivered as several records (same time, same direction, same line
//! number), cut between escapes. A file is read once, so a pipe or a FIFO works too.

use super::format::{decode_part, parse_record, Direction, Header, Record, MAGIC};
use std::io::{BufRead, Read};
use std::path::Path;

/// A record line is read in pieces of at most this many bytes.
pub const MAX_RECORD_LINE: usize = 1 << 20;

/// Header lines longer than this are cut (only their start can hold a known key).
const MAX_HEADER_LINE: usize = 4096;
/// Header lines read at most.
const MAX_HEADER_LINES: usize = 20;

/// Bytes needed to tell a capture from other text: the magic line and its line end.
pub const PREFIX_BYTES: usize = MAGIC.len() + 2;

/// True when `prefix` (the first bytes of a file, at least `PREFIX_BYTES` of them unless the
/// file is shorter) starts as a capture does.
pub fn is_capture_prefix(prefix: &[u8]) -> bool {
    let Some(rest) = prefix.strip_prefix(MAGIC.as_bytes()) else {
        return false;
    };
    matches!(
        rest,
        [] | [b'\n', ..] | [b'\r'] | [b'\r', b'\n', ..] | [b' ' | b'\t', ..]
    ) && rest
        .iter()
        .take_while(|b| **b != b'\n')
        .all(|b| b.is_ascii_whitespace())
}

/// Read up to `n` bytes (fewer only at the end of the input).
pub fn read_prefix(r: &mut impl Read, n: usize) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(n);
    r.take(n as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// True when the file starts as a capture does (only its first bytes are read).
pub fn is_capture(path: &Path) -> bool {
    std::fs::File::open(path)
        .and_then(|mut f| read_prefix(&mut f, PREFIX_BYTES))
        .is_ok_and(|p| is_capture_prefix(&p))
}

/// The header and an iterator over the records of a capture file.
pub fn open(path: &Path) -> std::io::Result<(Header, impl Iterator<Item = Record>)> {
    let f = std::fs::File::open(path)?;
    from_reader(std::io::BufReader::with_capacity(1 << 16, f))
}

/// The header and records of a capture read from `r` (from its first byte). Read errors
/// end the records, as the end of a file cut short does.
pub fn from_reader<R: BufRead>(mut r: R) -> std::io::Result<(Header, Records<R>)> {
    let mut head = String::new();
    let mut lines = 0;
    let mut buf = Vec::new();
    while lines < MAX_HEADER_LINES && r.fill_buf()?.first() == Some(&b'#') {
        let (_, _) = read_line_bounded(&mut r, &mut buf, MAX_HEADER_LINE)?;
        skip_rest_of_line(&mut r, &buf)?;
        lines += 1;
        head.push_str(&String::from_utf8_lossy(&buf));
        if !head.ends_with('\n') {
            head.push('\n');
        }
    }
    let header = Header::read(&head).unwrap_or_default();
    Ok((
        header,
        Records {
            r,
            line: lines,
            buf: Vec::new(),
            carry: Vec::new(),
            cont: None,
            done: false,
        },
    ))
}

/// Read bytes up to and including a line feed, or `cap` bytes, into `buf` (cleared first).
/// Returns the bytes read and whether the line ended (a line feed, or the end of input).
fn read_line_bounded<R: BufRead>(
    r: &mut R,
    buf: &mut Vec<u8>,
    cap: usize,
) -> std::io::Result<(usize, bool)> {
    buf.clear();
    read_more(r, buf, cap)
}

/// `read_line_bounded` appending to what `buf` holds.
fn read_more<R: BufRead>(
    r: &mut R,
    buf: &mut Vec<u8>,
    cap: usize,
) -> std::io::Result<(usize, bool)> {
    let mut n = 0;
    loop {
        let room = cap.saturating_sub(buf.len());
        if room == 0 {
            return Ok((n, false));
        }
        let avail = match r.fill_buf() {
            Ok(a) => a,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if avail.is_empty() {
            return Ok((n, true));
        }
        let take = avail.len().min(room);
        match avail[..take].iter().position(|b| *b == b'\n') {
            Some(i) => {
                buf.extend_from_slice(&avail[..=i]);
                r.consume(i + 1);
                return Ok((n + i + 1, true));
            }
            None => {
                buf.extend_from_slice(&avail[..take]);
                r.consume(take);
                n += take;
            }
        }
    }
}

/// After a line was read up to its cap, skip the rest of it (without keeping it).
fn skip_rest_of_line<R: BufRead>(r: &mut R, read: &[u8]) -> std::io::Result<()> {
    if read.ends_with(b"\n") {
        return Ok(());
    }
    loop {
        let avail = r.fill_buf()?;
        if avail.is_empty() {
            return Ok(());
        }
        match avail.iter().position(|b| *b == b'\n') {
            Some(i) => {
                r.consume(i + 1);
                return Ok(());
            }
            None => {
                let n = avail.len();
                r.consume(n);
            }
        }
    }
}

/// Where a quoted string can be cut: the end of `s`, or before an escape that `s` cuts short.
fn safe_cut(s: &[u8]) -> usize {
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'\\' {
            let need = if s.get(i + 1) == Some(&b'x') { 4 } else { 2 };
            if i + need > s.len() {
                return i;
            }
            i += need;
        } else {
            i += 1;
        }
    }
    s.len()
}

/// The records of a capture, read one line at a time.
pub struct Records<R> {
    r: R,
    /// Lines read so far (the number of the line being read is this plus one).
    line: usize,
    buf: Vec<u8>,
    /// Bytes of a long line read but not yet decoded (an escape cut by the piece's end).
    carry: Vec<u8>,
    /// A long record being read in pieces: its time and direction.
    cont: Option<(u64, Direction)>,
    done: bool,
}

impl<R: BufRead> Records<R> {
    /// The next piece of the line: `(bytes, line complete)`, the carry first.
    fn piece(&mut self) -> std::io::Result<(bool, bool)> {
        self.buf.clear();
        self.buf.append(&mut self.carry);
        let before = self.buf.len();
        let (n, complete) = read_more(&mut self.r, &mut self.buf, MAX_RECORD_LINE)?;
        Ok((n > 0 || before > 0, complete))
    }

    fn next_record(&mut self) -> std::io::Result<Option<Record>> {
        loop {
            if self.done {
                return Ok(None);
            }
            let (any, complete) = self.piece()?;
            if !any {
                self.done = true;
                return Ok(None);
            }
            let number = self.line + 1;
            if complete {
                self.line += 1;
            }
            if let Some((ms, dir)) = self.cont {
                // A further piece of a long record's quoted data.
                let cut = if complete {
                    self.buf.len()
                } else {
                    safe_cut(&self.buf)
                };
                self.carry = self.buf.split_off(cut);
                let mut body = &self.buf[..];
                while let [rest @ .., b'\r' | b'\n'] = body {
                    body = rest;
                }
                let (data, closed) = decode_part(body);
                if complete || closed {
                    self.cont = None;
                }
                if closed && !complete {
                    self.carry.clear();
                    skip_rest_of_line(&mut self.r, &[])?;
                    self.line += 1;
                }
                if data.is_empty() {
                    continue;
                }
                return Ok(Some(Record {
                    ms,
                    dir,
                    data: Some(data),
                    line: number,
                }));
            }
            if complete {
                // Bytes that are not UTF-8 cannot be in a capture (it is all escaped), so a
                // bad line is junk and is skipped like any other line that is not a record.
                let Ok(text) = std::str::from_utf8(&self.buf) else {
                    continue;
                };
                match parse_record(text, number) {
                    Some(r) => return Ok(Some(r)),
                    None => continue,
                }
            }
            // A line longer than a piece: a record's start, then its data in pieces.
            let quote = self.buf.iter().position(|b| *b == b'"');
            let cut = match quote {
                Some(q) => q + 1 + safe_cut(&self.buf[q + 1..]),
                None => self.buf.len(),
            };
            self.carry = self.buf.split_off(cut);
            let record = std::str::from_utf8(&self.buf)
                .ok()
                .and_then(|t| parse_record(t, number));
            match record {
                Some(r) if r.data.is_some() => {
                    let closed = quote.is_none_or(|q| decode_part(&self.buf[q + 1..]).1);
                    if closed {
                        self.carry.clear();
                        skip_rest_of_line(&mut self.r, &[])?;
                        self.line += 1;
                    } else {
                        self.cont = Some((r.ms, r.dir));
                    }
                    return Ok(Some(r));
                }
                _ => {
                    // Junk, or a withheld record: the rest of the line is not kept.
                    self.carry.clear();
                    skip_rest_of_line(&mut self.r, &[])?;
                    self.line += 1;
                }
            }
        }
    }
}

impl<R: BufRead> Iterator for Records<R> {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        match self.next_record() {
            Ok(r) => r,
            Err(_) => {
                self.done = true;
                None
            }
        }
    }
}

/// Milliseconds since local midnight at the `started` header's time, for replay clocks (0 when
/// the header has no readable time). Local, so a replay's stamps read like the live screen's.
pub fn start_of_day_ms(header: &Header) -> u64 {
    header
        .started
        .as_deref()
        .and_then(crate::clock::parse_capture_time)
        .map(crate::clock::local_ms_of_day)
        .unwrap_or(0)
}

/// `HH:MM:SS.mmm` for a record at `ms` after a start of day `base`.
pub fn stamp(base: u64, ms: u64) -> String {
    crate::clock::hms_millis_of_day(base.saturating_add(ms))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::encode;

    fn records(text: &[u8]) -> Vec<Record> {
        let (_, r) = from_reader(std::io::Cursor::new(text.to_vec())).unwrap();
        r.collect()
    }

    #[test]
    fn the_prefix_tells_a_capture() {
        assert!(is_capture_prefix(b"# tunnelscope capture 1\n# router"));
        assert!(is_capture_prefix(b"# tunnelscope capture 1\r\n"));
        assert!(is_capture_prefix(b"# tunnelscope capture 1"));
        assert!(!is_capture_prefix(b"# tunnelscope capture 12\n"));
        assert!(!is_capture_prefix(b"SecOff Peer1> "));
        assert!(!is_capture_prefix(b""));
    }

    #[test]
    fn a_record_longer_than_a_piece_comes_whole_in_pieces() {
        // Escapes fall on every possible cut.
        let data: Vec<u8> = (0..(MAX_RECORD_LINE * 2 + 77))
            .map(|i| [b'a', b'\n', 0x01, b'"'][i % 4])
            .collect();
        let mut text = format!("{MAGIC}\n# router: R\n").into_bytes();
        text.extend_from_slice(format!("1.500 < {}\n", encode(&data)).as_bytes());
        text.extend_from_slice(b"2.000 > \"next\"\n");
        let r = records(&text);
        let long: Vec<&Record> = r.iter().filter(|r| r.ms == 1500).collect();
        assert!(long.len() >= 2, "{}", long.len());
        assert!(long.iter().all(|r| r.line == 3 && r.dir == Direction::In));
        let joined: Vec<u8> = long.iter().flat_map(|r| r.data.clone().unwrap()).collect();
        assert_eq!(joined.len(), data.len());
        assert!(joined == data);
        let last = r.last().unwrap();
        assert_eq!((last.ms, last.line), (2000, 4));
        assert_eq!(last.data.as_deref(), Some(&b"next"[..]));
    }

    #[test]
    fn long_junk_and_header_lines_are_skipped() {
        let mut text = format!("{MAGIC}\n# note: ").into_bytes();
        text.extend(std::iter::repeat_n(b'x', MAX_HEADER_LINE * 3));
        text.extend_from_slice(b"\n# router: R\n");
        text.extend(std::iter::repeat_n(b'j', MAX_RECORD_LINE * 2 + 5));
        text.extend_from_slice(b"\n0.001 < \"ok\"\n");
        let (h, r) = from_reader(std::io::Cursor::new(text)).unwrap();
        assert_eq!(h.router.as_deref(), Some("R"));
        let r: Vec<Record> = r.collect();
        assert_eq!(r.len(), 1, "{r:?}");
        assert_eq!(r[0].line, 5);
    }
}
