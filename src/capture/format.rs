//! The record format of capture files: encoding, decoding and parsing one line.

pub const MAGIC: &str = "# tunnelscope capture 1";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From the router.
    In,
    /// To the router.
    Out,
    /// A mark (link lost, back, ...).
    Mark,
}

/// One record: when, which way, and the bytes (`None` when withheld).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub ms: u64,
    pub dir: Direction,
    pub data: Option<Vec<u8>>,
    /// The capture file's line this record is on (1-based).
    pub line: usize,
}

/// What the header lines say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    pub router: Option<String>,
    pub link: Option<String>,
    pub started: Option<String>,
}

/// Quote bytes as one line of text.
pub fn encode(data: &[u8]) -> String {
    let mut s = String::with_capacity(data.len() + 2);
    s.push('"');
    for &b in data {
        match b {
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            b'\\' => s.push_str("\\\\"),
            b'"' => s.push_str("\\\""),
            0x20..=0x7e => s.push(char::from(b)),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    s.push('"');
    s
}

/// The bytes of a quoted string; `None` when it is not one (or is cut short).
pub fn decode(quoted: &str) -> Option<Vec<u8>> {
    let inner = quoted.strip_prefix('"')?;
    match decode_inner(inner.as_bytes()) {
        (_, End::Bad) => None,
        // No closing quote: the record was cut short (a crash mid-write); keep what is there.
        (out, End::Closed | End::Open) => Some(out),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// The closing quote was found.
    Closed,
    /// The text ended before a closing quote.
    Open,
    /// A bad or cut escape.
    Bad,
}

/// Decode the inside of a quoted string (after its opening quote), as far as it goes.
fn decode_inner(inner: &[u8]) -> (Vec<u8>, End) {
    let mut out = Vec::with_capacity(inner.len());
    let mut it = inner.iter().copied();
    while let Some(b) = it.next() {
        match b {
            b'"' => return (out, End::Closed),
            b'\\' => {
                let e = match it.next() {
                    Some(b'r') => b'\r',
                    Some(b'n') => b'\n',
                    Some(b't') => b'\t',
                    Some(b'\\') => b'\\',
                    Some(b'"') => b'"',
                    Some(b'x') => {
                        let h = [it.next(), it.next()];
                        let v = match h {
                            [Some(a), Some(b)] => std::str::from_utf8(&[a, b])
                                .ok()
                                .and_then(|h| u8::from_str_radix(h, 16).ok()),
                            _ => None,
                        };
                        match v {
                            Some(v) => v,
                            None => return (out, End::Bad),
                        }
                    }
                    _ => return (out, End::Bad),
                };
                out.push(e);
            }
            b => out.push(b),
        }
    }
    (out, End::Open)
}

/// A piece of a quoted string's inside (a long record read in pieces): its bytes, and
/// whether the string ends in it (closing quote, or a bad escape that ends the record).
pub(crate) fn decode_part(inner: &[u8]) -> (Vec<u8>, bool) {
    let (out, end) = decode_inner(inner);
    (out, end != End::Open)
}

/// Parse one line of a capture: a record, or `None` for headers, comments and junk.
pub fn parse_record(line: &str, number: usize) -> Option<Record> {
    let line = line.trim_end_matches(['\r', '\n']);
    if line.starts_with('#') {
        return None;
    }
    let (time, rest) = line.split_once(' ')?;
    let (secs, frac) = time.split_once('.').unwrap_or((time, "0"));
    let frac3: String = frac.chars().chain("000".chars()).take(3).collect();
    let ms = secs.parse::<u64>().ok()?.checked_mul(1000)? + frac3.parse::<u64>().ok()?;
    let (dir, rest) = rest.split_once(' ').unwrap_or((rest, ""));
    let dir = match dir {
        "<" => Direction::In,
        ">" => Direction::Out,
        "!" => Direction::Mark,
        _ => return None,
    };
    let data = if rest.starts_with('[') {
        None
    } else {
        Some(decode(rest)?)
    };
    Some(Record {
        ms,
        dir,
        data,
        line: number,
    })
}

impl Header {
    /// Read the header lines of a capture (`None` when the text is not a capture).
    pub fn read(text: &str) -> Option<Header> {
        let mut lines = text.lines();
        if lines.next()?.trim_end() != MAGIC {
            return None;
        }
        let mut h = Header::default();
        for l in lines.take_while(|l| l.starts_with('#')) {
            let l = l.trim_start_matches('#').trim();
            if let Some((k, v)) = l.split_once(':') {
                let v = v.trim().to_string();
                match k.trim() {
                    "router" => h.router = Some(v),
                    "link" => h.link = Some(v),
                    "started" => h.started = Some(v),
                    _ => {}
                }
            }
        }
        Some(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_every_byte() {
        let all: Vec<u8> = (0..=255u8).collect();
        let e = encode(&all);
        assert!(!e.contains('\n') && !e.contains('\r'));
        assert_eq!(decode(&e).unwrap(), all);
    }

    #[test]
    fn records() {
        let r = parse_record("12.345 < \"SecOff Peer1> \"", 7).unwrap();
        assert_eq!(r.ms, 12_345);
        assert_eq!(r.dir, Direction::In);
        assert_eq!(r.data.as_deref(), Some(&b"SecOff Peer1> "[..]));
        assert_eq!(r.line, 7);
        let w = parse_record("3.0 > [withheld: password]", 1).unwrap();
        assert_eq!(w.data, None);
        assert_eq!(parse_record("# comment", 1), None);
        assert_eq!(parse_record("garbage", 1), None);
        // Cut short mid-record: what is there is kept.
        assert_eq!(
            parse_record("1.000 < \"abc\\r", 1).unwrap().data.as_deref(),
            Some(&b"abc\r"[..])
        );
        assert_eq!(parse_record("1.000 < \"abc\\x4", 1), None);
        // Junk never panics, even with characters of several bytes.
        assert_eq!(parse_record("12.ab\u{20ac} < \"x\"", 1), None);
        assert_eq!(parse_record("99999999999999999999.1 < \"x\"", 1), None);
    }
}
