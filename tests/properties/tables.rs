//! Table round trips: `show ipsec sa`, `show isakmp sa` and `show isakmp exchange` laid out
//! with random widths and layouts (the How To Note's among them) parse back to exactly the rows.

use crate::gen::*;
use crate::*;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use std::fmt::Debug;

use tunnelscope::alliedware::commands::Display;
use tunnelscope::alliedware::parse::{self, ipsec, isakmp};
use tunnelscope::model::{IkeSa, IpsecSa, Limits};

// ==== 4. table round trips =======================================================================

/// Lay out cells in columns of the given widths (the last column is not padded).
pub(crate) fn lay_out(indent: usize, cells: &[String], widths: &[usize]) -> String {
    let mut s = " ".repeat(indent);
    for (i, c) in cells.iter().enumerate() {
        if i + 1 == cells.len() {
            s.push_str(c);
        } else {
            s.push_str(&format!("{c:<w$}", w = widths[i]));
        }
    }
    s
}

/// Column widths: at least the longest cell (header included) plus one, plus some slack.
pub(crate) fn widths(rows: &[Vec<String>], slack: &[usize]) -> Vec<usize> {
    (0..rows[0].len())
        .map(|i| {
            let longest = rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0);
            longest + 1 + slack.get(i).copied().unwrap_or(0)
        })
        .collect()
}

pub(crate) fn dash<T: ToString>(v: &Option<T>) -> String {
    v.as_ref()
        .map(|v| v.to_string())
        .unwrap_or_else(|| "-".into())
}

pub(crate) fn random_case(s: &str, upper: bool, lower: bool) -> String {
    if upper {
        s.to_ascii_uppercase()
    } else if lower {
        s.to_ascii_lowercase()
    } else {
        s.to_string()
    }
}

pub(crate) fn ipsec_row() -> impl Strategy<Value = IpsecSa> {
    (
        any::<u32>(),
        vec("[A-Za-z0-9_]{1,10}", 1..4).prop_map(|w| w.join(" ")),
        prop::option::of(any::<u32>()),
        prop_oneof![
            select(vec!["Valid", "UNDEF", "CREATING", "REMOVING", "valid"])
                .prop_map(str::to_string),
            "[A-Za-z_]{1,12}",
        ],
        select(vec!["ESP", "AH", "IPComp"]).prop_map(str::to_string),
        prop::option::of(any::<u32>()),
        prop::option::of(any::<u32>()),
    )
        .prop_map(
            |(sa_id, policy, bundle, state, protocol, out_spi, in_spi)| IpsecSa {
                sa_id,
                policy,
                bundle,
                state,
                protocol,
                out_spi,
                in_spi,
                line: 0,
            },
        )
}

pub(crate) fn ipsec_cells(r: &IpsecSa) -> Vec<String> {
    vec![
        r.sa_id.to_string(),
        r.policy.clone(),
        dash(&r.bundle),
        r.state.clone(),
        r.protocol.clone(),
        dash(&r.out_spi),
        dash(&r.in_spi),
    ]
}

/// `show ipsec sa` laid out with random column widths and policy names with spaces: the
/// parser returns exactly the rows.
#[test]
fn ipsec_sa_table_round_trip() {
    check(
        "ipsec_sa_table_round_trip",
        256,
        (
            vec(ipsec_row(), 0..8),
            vec(0usize..6, 7),
            0usize..3,
            any::<bool>(),
            (any::<bool>(), any::<bool>()),
            1usize..50,
        ),
        |(rows, slack, indent, rule, (upper, lower), start)| {
            let header: Vec<String> = [
                "SA Id", "Policy", "Bundle", "State", "Protocol", "OutSPI", "InSPI",
            ]
            .iter()
            .map(|h| random_case(h, upper, lower))
            .collect();
            let mut all = vec![header.clone()];
            all.extend(rows.iter().map(ipsec_cells));
            let w = widths(&all, &slack);
            let mut texts = vec![lay_out(indent, &header, &w)];
            if rule {
                texts.push("-".repeat(w.iter().sum::<usize>() + 10));
            }
            let first_row = start + texts.len();
            texts.extend(rows.iter().map(|r| lay_out(indent, &ipsec_cells(r), &w)));
            let lines = numbered(start, &texts);
            let p = ipsec::parse(&lines);
            prop_assert!(
                p.unrecognised.is_empty(),
                "unrecognised: {:?}",
                p.unrecognised
            );
            let expected: Vec<IpsecSa> = rows
                .iter()
                .enumerate()
                .map(|(i, r)| IpsecSa {
                    line: first_row + i,
                    ..r.clone()
                })
                .collect();
            prop_assert_eq!(p.items, expected);
            for l in &lines {
                prop_assert!(
                    parse::fits(Display::IpsecSa, &l.text),
                    "{:?} does not fit",
                    l.text
                );
            }
            prop_assert_eq!(parse::sniff(&texts[0]), Some(Display::IpsecSa));
            Ok(())
        },
    );
}

/// The same rows, one space apart under a header that does not line up with them (as in text
/// copied from the How To Note): still exactly the rows, never a wrong one.
#[test]
fn ipsec_sa_misaligned_rows() {
    check(
        "ipsec_sa_misaligned_rows",
        256,
        (vec(ipsec_row(), 1..6), vec(0usize..6, 7), 1usize..3),
        |(rows, slack, gap)| {
            let header: Vec<String> = [
                "SA Id", "Policy", "Bundle", "State", "Protocol", "OutSPI", "InSPI",
            ]
            .iter()
            .map(|h| h.to_string())
            .collect();
            let hw: Vec<usize> = header
                .iter()
                .zip(&slack)
                .map(|(h, s)| h.len() + 1 + s)
                .collect();
            let mut texts = vec![lay_out(0, &header, &hw)];
            texts.extend(rows.iter().map(|r| ipsec_cells(r).join(&" ".repeat(gap))));
            let lines = numbered(1, &texts);
            let p = ipsec::parse(&lines);
            let expected: Vec<IpsecSa> = rows
                .iter()
                .enumerate()
                .map(|(i, r)| IpsecSa {
                    line: i + 2,
                    ..r.clone()
                })
                .collect();
            prop_assert_eq!(p.items, expected);
            Ok(())
        },
    );
}

pub(crate) fn limits() -> impl Strategy<Value = Limits> {
    let part =
        prop_oneof![1 => Just(None), 1 => Just(Some(0u64)), 3 => any::<u64>().prop_map(Some)];
    (part.clone(), part.clone(), part).prop_map(|(hard, soft, used)| Limits { hard, soft, used })
}

pub(crate) fn limits_text(l: &Limits) -> String {
    format!("{}/{}/{}", dash(&l.hard), dash(&l.soft), dash(&l.used))
}

pub(crate) fn ike_row() -> impl Strategy<Value = IkeSa> {
    let peer = prop_oneof![
        any::<[u8; 4]>().prop_map(|a| format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3])),
        "[a-z][a-z0-9.-]{0,15}",
    ];
    let enc = prop::option::of(select(vec![
        "DES",
        "3DES",
        "3DESOUTER",
        "3DES2KEY",
        "AES128",
        "AES256",
    ]));
    let hash = prop::option::of(select(vec!["SHA", "MD5", "SHA256"]));
    let both_zero = prop_oneof![4 => Just(false), 1 => Just(true)];
    (any::<u32>(), peer, enc, hash, limits(), limits(), both_zero).prop_map(
        |(sa_id, peer, enc, hash, bytes, seconds, zero)| {
            let zero_l = Limits {
                hard: Some(0),
                soft: Some(0),
                used: Some(0),
            };
            let (bytes, seconds) = if zero {
                (zero_l, zero_l)
            } else {
                (bytes, seconds)
            };
            let encryption = enc.map(str::to_string);
            let hash = hash.map(str::to_string);
            // The parser's documented rule: algorithms agreed and limits set.
            let established = encryption.is_some()
                && hash.is_some()
                && !(bytes.all_zero() && seconds.all_zero())
                && !(seconds.hard.is_none() && bytes.hard.is_none());
            IkeSa {
                sa_id,
                peer,
                encryption,
                hash,
                bytes,
                seconds,
                established,
                line: 0,
            }
        },
    )
}

/// `show isakmp sa` with random widths, `-` algorithms and limits, in three header layouts
/// (one line; two lines with `Bytes`/`Seconds` under `Expiry Limits`; either order of the
/// two limit columns): the parser returns exactly the rows.
#[test]
fn isakmp_sa_table_round_trip() {
    check(
        "isakmp_sa_table_round_trip",
        256,
        (
            vec(ike_row(), 0..8),
            vec(0usize..6, 6),
            0usize..3,
            (any::<bool>(), any::<bool>(), any::<bool>()),
            1usize..50,
        ),
        |(rows, slack, indent, (two_line, seconds_first, rule), start)| {
            let (l5, l6) = if seconds_first {
                ("Seconds", "Bytes")
            } else {
                ("Bytes", "Seconds")
            };
            let header: Vec<String> = ["SA Id", "PeerAddress", "EncA.", "HashA.", l5, l6]
                .iter()
                .map(|h| h.to_string())
                .collect();
            let cells = |r: &IkeSa| {
                let (a, b) = if seconds_first {
                    (&r.seconds, &r.bytes)
                } else {
                    (&r.bytes, &r.seconds)
                };
                vec![
                    r.sa_id.to_string(),
                    r.peer.clone(),
                    dash(&r.encryption),
                    dash(&r.hash),
                    limits_text(a),
                    limits_text(b),
                ]
            };
            let mut all = vec![header.clone()];
            all.extend(rows.iter().map(cells));
            let w = widths(&all, &slack);
            let mut texts = Vec::new();
            if two_line {
                let mut first = header[..4].to_vec();
                first.push("Expiry Limits - hard/soft/used".into());
                texts.push(lay_out(indent, &first, &w));
                let second = vec![
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    header[4].clone(),
                    header[5].clone(),
                ];
                texts.push(lay_out(indent, &second, &w));
            } else {
                texts.push(lay_out(indent, &header, &w));
            }
            if rule {
                texts.push(format!(
                    "{}{}",
                    " ".repeat(indent),
                    "-".repeat(w.iter().sum::<usize>())
                ));
            }
            let first_row = start + texts.len();
            texts.extend(rows.iter().map(|r| lay_out(indent, &cells(r), &w)));
            let lines = numbered(start, &texts);
            let p = isakmp::parse_sa(&lines);
            prop_assert!(
                p.unrecognised.is_empty(),
                "unrecognised: {:?}",
                p.unrecognised
            );
            let expected: Vec<IkeSa> = rows
                .iter()
                .enumerate()
                .map(|(i, r)| IkeSa {
                    line: first_row + i,
                    ..r.clone()
                })
                .collect();
            prop_assert_eq!(p.items, expected);
            for l in &lines {
                prop_assert!(
                    parse::fits(Display::IsakmpSa, &l.text),
                    "{:?} does not fit",
                    l.text
                );
            }
            Ok(())
        },
    );
}

/// The How To Note's one-line header (`Bytes  Expiry Limits - hard/soft/used  Seconds`), rows
/// one or more spaces apart and not under their headings: still exactly the rows.
#[test]
fn isakmp_sa_how_to_note_layout() {
    check(
        "isakmp_sa_how_to_note_layout",
        256,
        (vec(ike_row(), 1..6), 1usize..4, 0usize..3),
        |(rows, gap, indent)| {
            let mut texts = vec![format!(
                "{}SA Id  PeerAddress      EncA.  HashA.  Bytes  Expiry Limits - hard/soft/used  Seconds",
                " ".repeat(indent)
            )];
            for r in &rows {
                let cells = [
                    r.sa_id.to_string(),
                    r.peer.clone(),
                    dash(&r.encryption),
                    dash(&r.hash),
                    limits_text(&r.bytes),
                    limits_text(&r.seconds),
                ];
                texts.push(format!(
                    "{}{}",
                    " ".repeat(indent),
                    cells.join(&" ".repeat(gap))
                ));
            }
            let lines = numbered(1, &texts);
            let p = isakmp::parse_sa(&lines);
            let expected: Vec<IkeSa> = rows
                .iter()
                .enumerate()
                .map(|(i, r)| IkeSa {
                    line: i + 2,
                    ..r.clone()
                })
                .collect();
            prop_assert!(
                p.unrecognised.is_empty(),
                "unrecognised: {:?}",
                p.unrecognised
            );
            prop_assert_eq!(p.items, expected);
            Ok(())
        },
    );
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ExRow {
    id: u32,
    phase: &'static str,
    state: String,
    peer: String,
    kind: String,
}

pub(crate) fn exchange_row() -> impl Strategy<Value = ExRow> {
    let state = prop_oneof![
        3 => select(vec![
            "IDLE", "SASENT", "SARECV", "KESENT", "KERECV", "AUTHSENT", "AUTHRECV", "UP",
            "SAKESENT", "SAKEAUTHRECV", "STARTING", "WAIT_HASH_SA_NONCE", "WAIT_HASH",
            "RECEIVING_MESSAGE", "SENDING_HASH_SA_NONCE", "DONE", "REQSENT", "ACKRECV",
        ])
        .prop_map(str::to_string),
        1 => "[A-Z_]{1,20}",
    ];
    let kind = prop_oneof![
        3 => select(vec!["MAIN", "AGGRESSIVE", "QUICK", "INFO", "TRANSACTION"]).prop_map(str::to_string),
        1 => "[A-Z]{1,12}",
    ];
    (
        any::<u32>(),
        select(vec!["1", "1.5", "2", "-"]),
        state,
        any::<[u8; 4]>().prop_map(|a| format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3])),
        kind,
    )
        .prop_map(|(id, phase, state, peer, kind)| ExRow {
            id,
            phase,
            state,
            peer,
            kind,
        })
}

/// `show isakmp exchange` with random widths, an optional title and rule: exactly the rows.
#[test]
fn isakmp_exchange_table_round_trip() {
    check(
        "isakmp_exchange_table_round_trip",
        256,
        (
            vec(exchange_row(), 0..8),
            vec(0usize..6, 5),
            0usize..3,
            (any::<bool>(), any::<bool>()),
            1usize..50,
        ),
        |(rows, slack, indent, (title, rule), start)| {
            let header: Vec<String> = ["Id", "Phase", "State", "PeerAddress", "Type"]
                .iter()
                .map(|h| h.to_string())
                .collect();
            let cells = |r: &ExRow| {
                vec![
                    r.id.to_string(),
                    r.phase.to_string(),
                    r.state.clone(),
                    r.peer.clone(),
                    r.kind.clone(),
                ]
            };
            let mut all = vec![header.clone()];
            all.extend(rows.iter().map(cells));
            let w = widths(&all, &slack);
            let mut texts = Vec::new();
            if title {
                texts.push("ISAKMP Exchanges".to_string());
                texts.push(String::new());
            }
            texts.push(lay_out(indent, &header, &w));
            if rule {
                texts.push("-".repeat(w.iter().sum::<usize>()));
            }
            let first_row = start + texts.len();
            texts.extend(rows.iter().map(|r| lay_out(indent, &cells(r), &w)));
            let lines = numbered(start, &texts);
            let p = isakmp::parse_exchanges(&lines);
            prop_assert!(
                p.unrecognised.is_empty(),
                "unrecognised: {:?}",
                p.unrecognised
            );
            let got: Vec<(ExRow, usize, Option<u64>)> = p
                .items
                .iter()
                .map(|e| {
                    let row = ExRow {
                        id: e.id,
                        phase: ["1", "1.5", "2", "-"]
                            .into_iter()
                            .find(|p| *p == e.phase)
                            .unwrap_or("?"),
                        state: e.state.clone(),
                        peer: e.peer.clone(),
                        kind: e.kind.clone(),
                    };
                    (row, e.line, e.in_state_secs)
                })
                .collect();
            let expected: Vec<(ExRow, usize, Option<u64>)> = rows
                .iter()
                .enumerate()
                .map(|(i, r)| (r.clone(), first_row + i, None))
                .collect();
            prop_assert_eq!(got, expected);
            for l in &lines {
                prop_assert!(
                    parse::fits(Display::IsakmpExchange, &l.text),
                    "{:?} does not fit",
                    l.text
                );
            }
            Ok(())
        },
    );
}
