//! `show ipsec sa`: one row per SA; the policy name may contain spaces.

use super::Parsed;
use crate::alliedware::table::{is_rule, num_or_dash, Header};
use crate::model::{IpsecSa, SourceLine};
use regex::Regex;
use std::sync::OnceLock;

const COLUMNS: [&str; 7] = [
    "SA Id", "Policy", "Bundle", "State", "Protocol", "OutSPI", "InSPI",
];

fn row_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    // Anchored at both ends: the id first, five single-word columns last, the policy between.
    RE.get_or_init(|| {
        Regex::new(
            r"^\s*(\d+)\s+(.+?)\s+(\d+|-)\s+([A-Za-z_]+)\s+([A-Za-z]+)\s+(\d+|-|0[xX][0-9a-fA-F]+)\s+(\d+|-|0[xX][0-9a-fA-F]+)\s*$",
        )
        .expect("valid pattern")
    })
}

/// The id, the policy and the five last cells of a row that `row_re` matches. Those cells
/// hold no space, so they are the row's last five words and the policy is the text between
/// the first word and them: the same as the pattern's groups, without a capture search (the
/// bounded backtracker, many times slower than the lazy DFA's yes or no).
fn row_cells(t: &str) -> Option<(&str, &str, [&str; 5])> {
    if !row_re().is_match(t) {
        return None;
    }
    let words: Vec<&str> = t.split_whitespace().collect();
    let n = words.len();
    if n < 7 {
        return None;
    }
    // Where a word (a piece of `t`) starts in `t`.
    let at = |w: &str| w.as_ptr() as usize - t.as_ptr() as usize;
    let policy = &t[at(words[1])..at(words[n - 6]) + words[n - 6].len()];
    Some((
        words[0],
        policy,
        [
            words[n - 5],
            words[n - 4],
            words[n - 3],
            words[n - 2],
            words[n - 1],
        ],
    ))
}

pub fn is_header(line: &str) -> bool {
    let l = line.to_ascii_lowercase();
    l.contains("policy") && l.contains("bundle") && l.contains("state") && l.contains("protocol")
}

pub fn fits(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || is_rule(t) || is_header(t) || row_re().is_match(t)
}

#[allow(clippy::too_many_arguments)]
fn make(
    id: &str,
    policy: &str,
    bundle: &str,
    state: &str,
    proto: &str,
    out_spi: &str,
    in_spi: &str,
    line: usize,
) -> Option<IpsecSa> {
    let sa_id = id.trim().parse().ok()?;
    let policy = policy.trim();
    let word = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if policy.is_empty() || !word(state.trim()) || !word(proto.trim()) {
        return None;
    }
    Some(IpsecSa {
        sa_id,
        policy: policy.to_string(),
        bundle: num_or_dash(bundle).ok()?,
        state: state.trim().to_string(),
        protocol: proto.trim().to_string(),
        out_spi: num_or_dash(out_spi).ok()?,
        in_spi: num_or_dash(in_spi).ok()?,
        line,
    })
}

/// Parse `show ipsec sa`.
pub fn parse(lines: &[SourceLine]) -> Parsed<IpsecSa> {
    let mut out = Parsed::default();
    let mut header: Option<Header> = None;
    for l in lines {
        let t = l.text.trim();
        // A title above the table (`IPSEC SAs`) holds no row.
        if t.is_empty() || is_rule(t) || super::detail::is_block_title(t) {
            continue;
        }
        if is_header(t) {
            header = Header::locate(&l.text, &COLUMNS, 7);
            continue;
        }
        // The row's shape first: anchored at both ends, it finds the policy name (which may
        // hold spaces) between the id and the five one-word cells wherever the row stands.
        // The header's columns serve rows with a blank cell.
        let by_shape = row_cells(t)
            .and_then(|(id, policy, c)| make(id, policy, c[0], c[1], c[2], c[3], c[4], l.number));
        let sa = by_shape.or_else(|| {
            let c = header.as_ref()?.cut(&l.text);
            let cell = |i: usize| c.get(i).map(String::as_str);
            make(
                cell(0)?,
                cell(1)?,
                cell(2)?,
                cell(3)?,
                cell(4)?,
                cell(5)?,
                cell(6)?,
                l.number,
            )
        });
        match sa {
            Some(sa) => out.items.push(sa),
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
    fn how_to_note_rows() {
        let p = parse(&src(
            "SA Id  Policy               Bundle  State  Protocol  OutSPI      InSPI\n\
             -----------------------------------------------------------------------\n\
             0      wiz_Peer1 to Peer2   0       Valid  ESP       1612248718  992095719\n",
        ));
        assert!(p.unrecognised.is_empty());
        let sa = &p.items[0];
        assert_eq!(sa.policy, "wiz_Peer1 to Peer2");
        assert_eq!(sa.bundle, Some(0));
        assert_eq!(sa.out_spi, Some(1612248718));
        assert_eq!(sa.in_spi, Some(992095719));
        assert!(sa.is_valid());
    }

    #[test]
    fn misaligned_rows_fall_back_to_words() {
        // Tab-separated, as the How To Note's text shows it: header positions do not line up.
        let p = parse(&src(
            "SA Id\tPolicy\tBundle\tState\tProtocol\tOutSPI\tInSPI\n\
             3\twiz_Peer1 to Peer2\t0\tValid\tESP\t992095719\t1612248718",
        ));
        assert_eq!(p.items.len(), 1, "{:?}", p.unrecognised);
        assert_eq!(p.items[0].sa_id, 3);
        assert_eq!(p.items[0].policy, "wiz_Peer1 to Peer2");
        assert_eq!(p.items[0].in_spi, Some(1612248718));
    }

    #[test]
    fn spis_need_32_bits() {
        let p = parse(&src(
            "SA Id Policy Bundle State Protocol OutSPI InSPI\n1 vpn 2 CREATING AH 4294967295 -",
        ));
        assert_eq!(p.items[0].out_spi, Some(u32::MAX));
        assert_eq!(p.items[0].in_spi, None);
        assert_eq!(p.items[0].state, "CREATING");
    }
}

#[cfg(test)]
mod row_cells_tests {
    use super::*;
    use proptest::prelude::*;

    fn gap() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![" ", "   ", "\t", " \u{a0}", "\u{3000}", "\r "])
    }

    fn word() -> impl Strategy<Value = String> {
        prop_oneof![
            "[0-9]{1,10}",
            "-",
            "0x[0-9a-f]{1,8}",
            "[A-Za-z_]{1,8}",
            "[!-~]{1,6}",
            "wiz_Peer1|to|Peer2",
            "\\u{661}",
        ]
    }

    /// Words shaped like a row (so most rows match: a policy of one to three words), or any.
    fn words() -> impl Strategy<Value = Vec<String>> {
        let any = prop::collection::vec(word(), 5..11);
        let row = (
            "[0-9]{1,3}|\\u{661}",
            prop::collection::vec(word(), 1..4),
            "[0-9]{1,2}|-",
            "[A-Za-z_]{1,6}",
            "[A-Za-z]{1,5}|[A-Za-z]_",
            "[0-9]{1,10}|-|0[xX][0-9a-fA-F]{1,8}",
            "[0-9]{1,10}|-|0[xX][0-9a-fA-F]{1,8}|0x",
        )
            .prop_map(|(id, policy, b, s, p, o, i)| {
                let mut w = vec![id];
                w.extend(policy);
                w.extend([b, s, p, o, i]);
                w
            });
        prop_oneof![1 => any, 2 => row]
    }

    #[test]
    fn known_row() {
        let t = "0      wiz_Peer1 to Peer2   0       Valid  ESP       1612248718  992095719";
        assert_eq!(
            row_cells(t),
            Some((
                "0",
                "wiz_Peer1 to Peer2",
                ["0", "Valid", "ESP", "1612248718", "992095719"]
            ))
        );
    }

    proptest! {
        /// What the split gives is what the pattern's captures gave.
        #[test]
        fn cells_are_the_groups(
            words in words(),
            gaps in prop::collection::vec(gap(), 1..6),
            lead in gap(),
            trail in prop::sample::select(vec!["", " ", "\u{a0}"]),
        ) {
            let mut t = String::from(lead);
            for (i, w) in words.iter().enumerate() {
                if i > 0 {
                    t.push_str(gaps[i % gaps.len()]);
                }
                t.push_str(w);
            }
            t.push_str(trail);
            let by_captures = row_re().captures(&t).map(|c| {
                (
                    c[1].to_string(),
                    c[2].to_string(),
                    (3..=7).map(|i| c[i].to_string()).collect::<Vec<_>>(),
                )
            });
            let by_cells = row_cells(&t).map(|(id, policy, cells)| {
                (
                    id.to_string(),
                    policy.to_string(),
                    cells.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                )
            });
            prop_assert_eq!(by_cells, by_captures, "{:?}", t);
        }
    }
}
