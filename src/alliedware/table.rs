//! Column tables: find where a header puts its columns, and cut rows there.
//!
//! Widths are never fixed: each display's header says where its columns start. A value that
//! straddles a column start (it overflowed, or is right-aligned) is moved whole to the
//! column it mostly lies in, so cutting never splits a word.

/// One column: its header name and the character position where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub start: usize,
}

/// The columns of one header line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Header {
    pub columns: Vec<Column>,
}

fn char_pos(line: &str, byte: usize) -> usize {
    line[..byte].chars().count()
}

/// Case-insensitive find of an ASCII needle from a byte offset.
fn find_ci(hay: &str, needle: &str, from: usize) -> Option<usize> {
    let h = hay.as_bytes();
    let n = needle.as_bytes();
    if n.is_empty() || h.len() < n.len() {
        return None;
    }
    (from..=h.len() - n.len()).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

impl Header {
    /// Find `names` in `line`, left to right (a name may contain spaces). Names not found are
    /// left out; `None` when fewer than `min` were found.
    pub fn locate(line: &str, names: &[&str], min: usize) -> Option<Header> {
        let mut columns = Vec::new();
        let mut from = 0;
        for name in names {
            if let Some(at) = find_ci(line, name, from) {
                columns.push(Column {
                    name: (*name).to_string(),
                    start: char_pos(line, at),
                });
                from = at + name.len();
            }
        }
        (columns.len() >= min).then_some(Header { columns })
    }

    /// Every word of the header is a column (for displays whose names have no spaces).
    pub fn from_words(line: &str) -> Header {
        let mut columns = Vec::new();
        let mut start = None;
        let mut word = String::new();
        for (i, c) in line.chars().enumerate() {
            if c.is_whitespace() {
                if let Some(s) = start.take() {
                    columns.push(Column {
                        name: std::mem::take(&mut word),
                        start: s,
                    });
                }
            } else {
                if start.is_none() {
                    start = Some(i);
                }
                word.push(c);
            }
        }
        if let Some(s) = start {
            columns.push(Column {
                name: word,
                start: s,
            });
        }
        Header { columns }
    }

    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// Cut `row` into one trimmed cell per column.
    pub fn cut(&self, row: &str) -> Vec<String> {
        let chars: Vec<char> = row.chars().collect();
        let n = chars.len();
        let mut bounds = Vec::with_capacity(self.columns.len() + 1);
        bounds.push(0usize);
        for col in self.columns.iter().skip(1) {
            let mut b = col.start.min(n);
            if b > 0 && b < n && !chars[b - 1].is_whitespace() && !chars[b].is_whitespace() {
                let mut s = b;
                while s > 0 && !chars[s - 1].is_whitespace() {
                    s -= 1;
                }
                let mut e = b;
                while e < n && !chars[e].is_whitespace() {
                    e += 1;
                }
                b = if b - s <= e - b { s } else { e };
            }
            let prev = bounds.last().copied().unwrap_or(0);
            bounds.push(b.max(prev));
        }
        bounds.push(n);
        bounds
            .windows(2)
            .map(|w| {
                chars[w[0]..w[1]]
                    .iter()
                    .collect::<String>()
                    .trim()
                    .to_string()
            })
            .collect()
    }
}

/// A line of dashes or equals signs (a header underline).
pub fn is_rule(line: &str) -> bool {
    let t = line.trim();
    t.len() >= 3 && t.chars().all(|c| c == '-' || c == '=' || c == ' ')
}

/// A dotted IPv4 address (no range, no mask).
pub fn is_ipv4(s: &str) -> bool {
    s.parse::<std::net::Ipv4Addr>().is_ok()
}

/// `-` (or nothing) means "not set".
pub fn dash_none(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty() && t != "-" && !t.chars().all(|c| c == '-')).then(|| t.to_string())
}

/// A cell that should have held a number (or `-`) but held something else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotANumber;

/// A number, `-` meaning none; `Err` for anything else.
pub fn num_or_dash<T: std::str::FromStr>(s: &str) -> Result<Option<T>, NotANumber> {
    let t = s.trim();
    if t.is_empty() || t == "-" {
        return Ok(None);
    }
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16)
            .ok()
            .and_then(|v| v.to_string().parse().ok())
            .map(Some)
            .ok_or(NotANumber);
    }
    t.parse().map(Some).map_err(|_| NotANumber)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_keeps_values_with_spaces() {
        let h = "SA Id  Policy               Bundle  State  Protocol  OutSPI      InSPI";
        let r = "0      wiz_Peer1 to Peer2   0       Valid  ESP       1612248718  992095719";
        let hd = Header::locate(
            h,
            &[
                "SA Id", "Policy", "Bundle", "State", "Protocol", "OutSPI", "InSPI",
            ],
            7,
        )
        .unwrap();
        assert_eq!(
            hd.cut(r),
            vec![
                "0",
                "wiz_Peer1 to Peer2",
                "0",
                "Valid",
                "ESP",
                "1612248718",
                "992095719"
            ]
        );
    }

    #[test]
    fn straddling_values_move_whole() {
        let hd = Header::from_words("Id   Value  Next");
        // "12345678" starts in Id and runs past Value's start: it stays with Id.
        assert_eq!(hd.cut("12345678 x  y"), vec!["12345678", "x", "y"]);
        // right-aligned number that starts a little before its header
        assert_eq!(hd.cut("1  12345    y"), vec!["1", "12345", "y"]);
    }

    #[test]
    fn non_ascii_never_panics() {
        let hd = Header::from_words("A  B  C");
        let cells = hd.cut("é€  ü  ✓✓✓✓✓✓");
        assert_eq!(cells.len(), 3);
    }

    #[test]
    fn numbers() {
        assert_eq!(num_or_dash::<u32>("-"), Ok(None));
        assert_eq!(num_or_dash::<u32>("4294967295"), Ok(Some(u32::MAX)));
        assert_eq!(num_or_dash::<u32>("0x10"), Ok(Some(16)));
        assert!(num_or_dash::<u32>("4294967296").is_err());
        assert!(num_or_dash::<u32>("abc").is_err());
    }
}
