//! Reading a capture back: its header and records, line by line, tolerant of a file cut short.

use super::format::{parse_record, Header, Record, MAGIC};
use std::io::BufRead;
use std::path::Path;

/// True when the file starts as a capture does.
pub fn is_capture(path: &Path) -> bool {
    let mut first = String::new();
    std::fs::File::open(path)
        .map(std::io::BufReader::new)
        .and_then(|mut r| r.read_line(&mut first))
        .is_ok()
        && first.trim_end() == MAGIC
}

/// The header and an iterator over the records of a capture file.
pub fn open(path: &Path) -> std::io::Result<(Header, impl Iterator<Item = Record>)> {
    let text_head = {
        let f = std::fs::File::open(path)?;
        let mut head = String::new();
        for l in std::io::BufReader::new(f).lines().take(20) {
            let l = l.unwrap_or_default();
            if !l.starts_with('#') {
                break;
            }
            head.push_str(&l);
            head.push('\n');
        }
        head
    };
    let header = Header::read(&text_head).unwrap_or_default();
    let f = std::fs::File::open(path)?;
    // Bytes that are not UTF-8 cannot be in a capture (it is all escaped), so a bad line is
    // junk and is skipped like any other line that is not a record.
    let records = std::io::BufReader::new(f)
        .split(b'\n')
        .enumerate()
        .filter_map(|(i, l)| {
            let l = l.ok()?;
            let l = String::from_utf8(l).ok()?;
            parse_record(&l, i + 1)
        });
    Ok((header, records))
}

/// Seconds-of-day of `HH:MM:SS` in the `started` header (UTC), for replay clocks.
pub fn start_of_day_ms(header: &Header) -> u64 {
    let Some(s) = &header.started else { return 0 };
    let Some(t) = s.split('T').nth(1) else {
        return 0;
    };
    let mut parts = t.trim_end_matches('Z').split([':', '.']);
    let mut next = || {
        parts
            .next()
            .and_then(|p| p.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let (h, m, sec, ms) = (next(), next(), next(), next());
    ((h * 60 + m) * 60 + sec) * 1000 + ms
}

/// `HH:MM:SS.mmm` for a record at `ms` after a start of day `base`.
pub fn stamp(base: u64, ms: u64) -> String {
    let t = base + ms;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        t / 3_600_000 % 24,
        t / 60_000 % 60,
        t / 1000 % 60,
        t % 1000
    )
}
