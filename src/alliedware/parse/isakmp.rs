//! `show isakmp sa` and `show isakmp exchange`.

use super::Parsed;
use crate::alliedware::table::{dash_none, is_rule, Header};
use crate::model::{Exchange, IkeSa, Limits, SourceLine};
use regex::Regex;
use std::sync::OnceLock;

fn sa_row_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^\s*(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+/\S+/\S+)\s+(\S+/\S+/\S+)\s*$")
            .expect("valid pattern")
    })
}

fn exch_row_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^\s*(\d+)\s+(1\.5|1|2|-)\s+([A-Za-z_]+)\s+(\S+)\s+([A-Za-z_]+)\s*$")
            .expect("valid pattern")
    })
}

/// A line of the `show isakmp sa` header (either line of a two-line header).
pub fn is_sa_header(line: &str) -> bool {
    let l = line.to_ascii_lowercase();
    l.contains("peeraddress") && (l.contains("enca") || l.contains("hasha") || l.contains("expiry"))
        || l.contains("hard/soft/used")
        || (l.contains("bytes") && l.contains("seconds") && !l.chars().any(|c| c.is_ascii_digit()))
}

pub fn sa_fits(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || is_rule(t) || is_sa_header(t) || sa_row_re().is_match(t)
}

/// Title or notice lines that carry no row (e.g. `ISAKMP SAs`, `No SAs`): no digits.
fn is_title(t: &str) -> bool {
    !t.is_empty() && t.len() < 60 && !t.bytes().any(|b| b.is_ascii_digit()) && !t.contains(':')
}

fn limits(s: &str) -> Option<Limits> {
    let mut parts = s.trim().split('/');
    let mut next = || -> Option<Option<u64>> {
        let p = parts.next()?.trim();
        if p == "-" || p.is_empty() {
            Some(None)
        } else {
            p.parse().ok().map(Some)
        }
    };
    let l = Limits {
        hard: next()?,
        soft: next()?,
        used: next()?,
    };
    parts.next().is_none().then_some(l)
}

fn make_sa(
    id: &str,
    peer: &str,
    enc: &str,
    hash: &str,
    bytes: &str,
    secs: &str,
    line: usize,
) -> Option<IkeSa> {
    let sa_id = id.trim().parse().ok()?;
    let peer = peer.trim();
    if peer.is_empty() || peer.contains(' ') {
        return None;
    }
    let bytes = limits(bytes)?;
    let seconds = limits(secs)?;
    let encryption = dash_none(enc);
    let hash = dash_none(hash);
    let established = encryption.is_some()
        && hash.is_some()
        && !(bytes.all_zero() && seconds.all_zero())
        && !(seconds.hard.is_none() && bytes.hard.is_none());
    Some(IkeSa {
        sa_id,
        peer: peer.to_string(),
        encryption,
        hash,
        bytes,
        seconds,
        established,
        line,
    })
}

fn sa_by_words(t: &str, bytes_first: bool, line: usize) -> Option<IkeSa> {
    let c: [&str; 6] = super::row_words(sa_row_re(), t)?;
    let (b, s) = if bytes_first {
        (c[4], c[5])
    } else {
        (c[5], c[4])
    };
    make_sa(c[0], c[1], c[2], c[3], b, s, line)
}

/// Cut a row where the header puts its columns; `limits` are where `Bytes` and `Seconds`
/// start.
fn sa_by_columns(
    header: &Header,
    (bytes, secs): (usize, usize),
    bytes_first: bool,
    l: &SourceLine,
) -> Option<IkeSa> {
    let mut h = header.clone();
    let (first, second) = if bytes_first {
        (bytes, secs)
    } else {
        (secs, bytes)
    };
    for (name, start) in [("first", first), ("second", second)] {
        h.columns.push(crate::alliedware::table::Column {
            name: name.into(),
            start,
        });
    }
    let c = h.cut(&l.text);
    let cell = |i: usize| c.get(i).map(String::as_str);
    let (b, s) = if bytes_first {
        (cell(4)?, cell(5)?)
    } else {
        (cell(5)?, cell(4)?)
    };
    make_sa(cell(0)?, cell(1)?, cell(2)?, cell(3)?, b, s, l.number)
}

/// Parse `show isakmp sa`.
pub fn parse_sa(lines: &[SourceLine]) -> Parsed<IkeSa> {
    let mut out = Parsed::default();
    let mut header: Option<Header> = None;
    let mut bytes_first = true;
    let mut pos_bytes = None;
    let mut pos_secs = None;
    for l in lines {
        let t = l.text.trim();
        if t.is_empty() || is_rule(t) {
            continue;
        }
        if is_sa_header(t) {
            let low = l.text.to_ascii_lowercase();
            if let (Some(b), Some(s)) = (low.find("bytes"), low.find("seconds")) {
                bytes_first = b < s;
                pos_bytes = Some(l.text[..b].chars().count());
                pos_secs = Some(l.text[..s].chars().count());
            }
            if low.contains("peeraddress") {
                header = Header::locate(&l.text, &["SA Id", "PeerAddress", "EncA", "HashA"], 4);
            }
            continue;
        }
        // First the row's own words: no cell of this table holds a space, so six words are
        // six cells wherever they stand. The header's columns only help when a cell is blank.
        let sa = sa_by_words(t, bytes_first, l.number).or_else(|| {
            let h = header.as_ref()?;
            sa_by_columns(h, (pos_bytes?, pos_secs?), bytes_first, l)
        });
        match sa {
            Some(sa) => out.items.push(sa),
            None if is_title(t) => {}
            None => out.unrecognised.push(l.clone()),
        }
    }
    out
}

pub fn is_exchange_header(line: &str) -> bool {
    let l = line.to_ascii_lowercase();
    (l.contains("phase") && l.contains("state") && l.contains("peeraddress"))
        || l.trim() == "isakmp exchanges"
}

pub fn exchange_fits(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || is_rule(t) || is_exchange_header(t) || exch_row_re().is_match(t)
}

fn make_exchange(
    id: &str,
    phase: &str,
    state: &str,
    peer: &str,
    kind: &str,
    line: usize,
) -> Option<Exchange> {
    let id = id.trim().parse().ok()?;
    let phase = phase.trim();
    if !matches!(phase, "1" | "1.5" | "2" | "-") {
        return None;
    }
    let word = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let (state, kind, peer) = (state.trim(), kind.trim(), peer.trim());
    if !word(state) || !word(kind) || peer.is_empty() || peer.contains(' ') {
        return None;
    }
    Some(Exchange {
        id,
        phase: phase.to_string(),
        state: state.to_string(),
        peer: peer.to_string(),
        kind: kind.to_string(),
        in_state_secs: None,
        line,
    })
}

/// Parse `show isakmp exchange`.
pub fn parse_exchanges(lines: &[SourceLine]) -> Parsed<Exchange> {
    let mut out = Parsed::default();
    let mut header: Option<Header> = None;
    for l in lines {
        let t = l.text.trim();
        if t.is_empty() || is_rule(t) {
            continue;
        }
        if is_exchange_header(t) {
            if let Some(h) =
                Header::locate(&l.text, &["Id", "Phase", "State", "PeerAddress", "Type"], 5)
            {
                header = Some(h);
            }
            continue;
        }
        // Words first (no cell holds a space), the header's columns for rows with a blank.
        let by_words = super::row_words::<5>(exch_row_re(), t)
            .and_then(|c| make_exchange(c[0], c[1], c[2], c[3], c[4], l.number));
        let ex = by_words.or_else(|| {
            let c = header.as_ref()?.cut(&l.text);
            let cell = |i: usize| c.get(i).map(String::as_str);
            make_exchange(cell(0)?, cell(1)?, cell(2)?, cell(3)?, cell(4)?, l.number)
        });
        match ex {
            Some(e) => out.items.push(e),
            None if is_title(t) => {}
            None => out.unrecognised.push(l.clone()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(text: &str) -> Vec<SourceLine> {
        text.lines()
            .enumerate()
            .map(|(i, t)| SourceLine::new(i + 1, t))
            .collect()
    }

    #[test]
    fn how_to_note_established() {
        let p = parse_sa(&src(
            "SA Id  PeerAddress      EncA.  HashA.  Bytes  Expiry Limits - hard/soft/used  Seconds\n\
             1      200.200.200.1    3DES   SHA     -/-/-  86400/82080/970",
        ));
        assert!(p.unrecognised.is_empty(), "{:?}", p.unrecognised);
        let sa = &p.items[0];
        assert_eq!(sa.sa_id, 1);
        assert_eq!(sa.peer, "200.200.200.1");
        assert_eq!(sa.encryption.as_deref(), Some("3DES"));
        assert_eq!(sa.hash.as_deref(), Some("SHA"));
        assert_eq!(sa.bytes, Limits::default());
        assert_eq!(sa.seconds.hard, Some(86400));
        assert_eq!(sa.seconds.soft, Some(82080));
        assert_eq!(sa.seconds.used, Some(970));
        assert!(sa.established);
    }

    #[test]
    fn two_line_header_and_preparation_stage() {
        let p = parse_sa(&src(
            "  SA Id  PeerAddress       EncA.   HashA.   Expiry Limits - hard/soft/used\n\
             \x20                                          Bytes            Seconds\n\
             \x20 ----------------------------------------------------------------------\n\
             \x20 1      200.200.200.1     -       -        0/0/0            0/0/0\n\
             \x20 12     10.0.0.1          DES     MD5      1000/900/12      3600/3420/5\n",
        ));
        assert_eq!(p.items.len(), 2, "{:?}", p.unrecognised);
        assert!(!p.items[0].established);
        assert_eq!(p.items[0].encryption, None);
        assert!(p.items[0].seconds.all_zero());
        assert_eq!(p.items[1].bytes.hard, Some(1000));
        assert_eq!(p.items[1].seconds.hard, Some(3600));
    }

    #[test]
    fn seconds_before_bytes() {
        let p = parse_sa(&src("SA Id PeerAddress EncA. HashA. Seconds Bytes\n\
             3 1.2.3.4 DES SHA 100/90/1 -/-/-"));
        assert_eq!(p.items[0].seconds.hard, Some(100));
        assert_eq!(p.items[0].bytes.hard, None);
    }

    #[test]
    fn exchanges() {
        let p = parse_exchanges(&src(
            "ISAKMP Exchanges\n\n Id     Phase  State          PeerAddress       Type\n\
             ------------------------------------------------------\n\
             348    1      SASENT         200.200.200.1     MAIN\n\
             349    1.5    REQSENT        200.200.200.1     TRANSACTION\n\
             350    2      WAIT_HASH_SA_NONCE 200.200.200.1 QUICK\n",
        ));
        assert!(p.unrecognised.is_empty(), "{:?}", p.unrecognised);
        assert_eq!(p.items.len(), 3);
        assert_eq!(p.items[0].id, 348);
        assert_eq!(p.items[0].state, "SASENT");
        assert_eq!(p.items[1].phase, "1.5");
        assert_eq!(p.items[2].state, "WAIT_HASH_SA_NONCE");
        assert_eq!(p.items[2].kind, "QUICK");
    }
}

#[cfg(test)]
mod row_words_tests {
    use super::*;
    use proptest::prelude::*;

    /// A row of `words` with random white space (some of it beyond ASCII) around and between.
    fn row(words: Vec<String>, gaps: Vec<&'static str>) -> String {
        let mut t = String::from(gaps[0]);
        for (i, w) in words.iter().enumerate() {
            t.push_str(w);
            t.push_str(gaps[(i + 1) % gaps.len()]);
            if i + 1 < words.len() && gaps[(i + 1) % gaps.len()].is_empty() {
                t.push(' ');
            }
        }
        t
    }

    fn gap() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec!["", " ", "   ", "\t", " \u{a0}", "\u{3000}", "\r "])
    }

    fn word() -> impl Strategy<Value = String> {
        prop_oneof![
            "[0-9]{1,4}",
            "[0-9]{1,3}(\\.[0-9]{1,3}){3}",
            "[A-Za-z_]{1,8}",
            "1\\.5|1|2|-",
            "[-0-9]{1,5}/[-0-9]{1,5}/[-0-9]{1,5}",
            "[!-~]{1,6}",
            "\\u{661}\\u{662}",
        ]
    }

    /// Words shaped like an SA row or an exchange row (so most rows match), or any words.
    fn words() -> impl Strategy<Value = Vec<String>> {
        let any = prop::collection::vec(word(), 4..8);
        let sa = (
            "[0-9]{1,4}|\\u{661}",
            word(),
            word(),
            word(),
            "[-0-9]{1,5}/[-0-9]{1,5}/[-0-9]{1,5}|/[0-9]/[0-9]|[0-9]//[0-9]|[0-9]{2}/[0-9]/",
            "[-0-9]{1,5}/[-0-9]{1,5}/[-0-9]{1,5}",
        )
            .prop_map(|(a, b, c, d, e, f)| vec![a, b, c, d, e, f]);
        let exch = (
            "[0-9]{1,4}",
            "1\\.5|1|2|-|3",
            "[A-Za-z_]{1,8}",
            word(),
            "[A-Za-z_]{1,8}|[0-9]",
        )
            .prop_map(|(a, b, c, d, e)| vec![a, b, c, d, e]);
        prop_oneof![any, sa, exch]
    }

    #[test]
    fn known_rows() {
        let t = "1      200.200.200.1    3DES   SHA     -/-/-  86400/82080/970";
        assert_eq!(
            super::super::row_words::<6>(sa_row_re(), t),
            Some([
                "1",
                "200.200.200.1",
                "3DES",
                "SHA",
                "-/-/-",
                "86400/82080/970"
            ])
        );
        let t = " 7  1.5  XAUTH_REQ  200.200.200.1  Main ";
        assert_eq!(
            super::super::row_words::<5>(exch_row_re(), t),
            Some(["7", "1.5", "XAUTH_REQ", "200.200.200.1", "Main"])
        );
    }

    proptest! {
        /// The groups of a match are the row's words: the split gives what captures gave.
        #[test]
        fn words_are_the_groups(
            words in words(),
            gaps in prop::collection::vec(gap(), 1..5),
        ) {
            let t = row(words, gaps);
            for re in [sa_row_re(), exch_row_re()] {
                let by_captures: Option<Vec<String>> = re.captures(&t).map(|c| {
                    c.iter().skip(1).map(|m| m.map(|m| m.as_str().to_string()).unwrap_or_default()).collect()
                });
                let by_words: Option<Vec<String>> = match re.captures_len() - 1 {
                    6 => super::super::row_words::<6>(re, &t).map(|w| w.iter().map(|s| s.to_string()).collect()),
                    5 => super::super::row_words::<5>(re, &t).map(|w| w.iter().map(|s| s.to_string()).collect()),
                    n => panic!("unexpected group count {n}"),
                };
                prop_assert_eq!(by_words, by_captures, "{:?} on {:?}", re.as_str(), t);
            }
        }
    }
}
