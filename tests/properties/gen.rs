//! The inputs the topics share: feeding bytes to the cleaner (and the transcript) in chunks,
//! numbered source lines, and the generators of noisy terminal bytes, chunk sizes, router
//! session lines and captures, and parser lines.

use crate::support::cases::pieces;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, Index};

use tunnelscope::alliedware::debug::Classifier;
use tunnelscope::console::text::{TextCleaner, TextEvent, MAX_LINE_BYTES};
use tunnelscope::console::transcript::{Item, Transcript};
use tunnelscope::model::SourceLine;

// ---- helpers ------------------------------------------------------------------------------------

/// Feed `bytes` to a fresh cleaner in chunks of the given sizes (cycled; empty = all at once),
/// then finish. Returns the events and the longest pending line seen after any chunk.
pub(crate) fn clean(bytes: &[u8], sizes: &[usize]) -> (Vec<TextEvent>, usize) {
    let mut c = TextCleaner::default();
    let mut out = Vec::new();
    let mut max_pending = 0;
    for piece in pieces(bytes, sizes) {
        c.feed(piece, &mut out);
        max_pending = max_pending.max(c.pending().len());
    }
    c.finish(&mut out);
    max_pending = max_pending.max(c.pending().len());
    (out, max_pending)
}

pub(crate) fn line_texts(events: &[TextEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            TextEvent::Line(l) => Some(l.text.clone()),
            TextEvent::Pager => None,
        })
        .collect()
}

/// Cleaner and transcript together, in chunks; returns the cleaner's events (all of them,
/// as the transcript saw them) and the transcript's items.
pub(crate) fn pipeline(bytes: &[u8], sizes: &[usize]) -> (Vec<TextEvent>, Vec<Item>) {
    let mut cleaner = TextCleaner::default();
    let mut tr = Transcript::new(Classifier::builtin());
    let mut seen = Vec::new();
    let mut ev = Vec::new();
    let mut items = Vec::new();
    for piece in pieces(bytes, sizes) {
        cleaner.feed(piece, &mut ev);
        seen.extend(ev.iter().cloned());
        tr.feed(&mut ev, &mut items);
    }
    cleaner.finish(&mut ev);
    seen.extend(ev.iter().cloned());
    tr.feed(&mut ev, &mut items);
    tr.finish(&mut items);
    (seen, items)
}

pub(crate) fn numbered(start: usize, texts: &[String]) -> Vec<SourceLine> {
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| SourceLine::new(start + i, t.clone()))
        .collect()
}

// ---- generators ---------------------------------------------------------------------------------

pub(crate) const PAGER: &str =
    "--More-- (<space> = next page, <CR> = one line, C = continuous, Q = quit)";

/// Terminal control pieces, complete and incomplete, that a router line can carry.
pub(crate) fn control_piece() -> impl Strategy<Value = Vec<u8>> {
    let pieces: Vec<&'static [u8]> = vec![
        b"\r",
        b"\n",
        b"\r\n",
        b"\x08",
        b"\x00",
        b"\t",
        b"\x7f",
        b"\x0b",
        b"\x0c",
        b"\x07",
        b"\x1b",
        b"\x1b[",
        b"\x1b[K",
        b"\x1b[1K",
        b"\x1b[2K",
        b"\x1b[1;31m",
        b"\x1b[0m",
        b"\x1b[5D",
        b"\x1b[3C",
        b"\x1b[65535C",
        b"\x1b[200G",
        b"\x1b]0;title\x07",
        b"\x1bP1$r\x1b\\",
        b"\x1b[?25h",
        b"\x1b(B",
        b"\x1b[38;5;196m",
        b"--More--",
        PAGER.as_bytes(),
        b"\xc3",
        b"\xa9",
        b"\xff",
        b"\xe2\x82",
        b"\xc2\x9b",
    ];
    select(pieces).prop_map(<[u8]>::to_vec)
}

/// A run long enough to reach the line cut: its unit (1 to 4 bytes, or an invalid byte) and
/// how many units.
pub(crate) fn long_run() -> impl Strategy<Value = Vec<u8>> {
    let unit = select(vec![
        "x",
        " ",
        "-",
        "\u{e9}",
        "\u{20ac}",
        "\u{1f600}",
        "\u{ff}",
    ]);
    let count = prop_oneof![
        3 => (MAX_LINE_BYTES - 24)..(MAX_LINE_BYTES + 24),
        1 => 0..(3 * MAX_LINE_BYTES),
    ];
    (unit, count, any::<bool>()).prop_map(|(u, n, invalid)| {
        let unit: Vec<u8> = if invalid && u == "\u{ff}" {
            vec![0xff]
        } else {
            u.as_bytes().to_vec()
        };
        let n = n / unit.len().max(1);
        unit.repeat(n)
    })
}

/// Arbitrary bytes with the structure of a noisy terminal line: text, controls, escape
/// sequences (some cut short), UTF-8 (some invalid), and now and then a very long line.
pub(crate) fn noisy_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        4 => "[ -~]{0,40}".prop_map(String::into_bytes),
        4 => control_piece(),
        2 => vec(any::<u8>(), 0..32),
        2 => "\\PC{0,12}".prop_map(String::into_bytes),
        1 => any::<char>().prop_map(|c| c.to_string().into_bytes()),
    ];
    (
        vec(piece, 0..40),
        prop::option::weighted(0.3, (long_run(), any::<Index>())),
    )
        .prop_map(|(pieces, long)| {
            let mut v = pieces.concat();
            if let Some((run, at)) = long {
                let at = at.index(v.len() + 1);
                v.splice(at..at, run);
            }
            v
        })
}

/// Chunk sizes: mostly small, to split sequences and characters.
pub(crate) fn chunk_sizes() -> impl Strategy<Value = Vec<usize>> {
    vec(
        prop_oneof![4 => 1usize..8, 2 => 8usize..256, 1 => 256usize..70_000],
        1..12,
    )
}

// Lines of a router session, for the transcript and analysis properties.

pub(crate) const PROMPTS: &[&str] = &[
    "SecOff Peer1>",
    "Manager Peer2>",
    "Manager >",
    "SecOff >",
    ">",
    "Peer1>",
];

pub(crate) const COMMANDS: &[&str] = &[
    "show isakmp sa",
    "sh isa sa",
    "SHOW IPSEC SA",
    "show ipsec sa",
    "show isakmp exchange",
    "sh isa exch",
    "show ipsec policy=\"wiz_Peer1 to Peer2\" counters",
    "show isakmp counters",
    "show isakmp counter=general",
    "show ipsec sa=0",
    "show isakmp sa=1",
    "show config dynamic=isakmp",
    "show config dynamic",
    "show log module=isakmp",
    "show ip interface",
    "show debug ipsec",
    "show system",
    "enable isakmp debug=all",
    "disable isakmp debug",
    "set system name=Peer1",
    "?",
];

pub(crate) const OUTPUT: &[&str] = &[
    " SA Id  PeerAddress      EncA.  HashA.  Bytes  Expiry Limits - hard/soft/used  Seconds",
    " 1      200.200.200.1    3DES   SHA     -/-/-  86400/82080/970",
    " 2      200.200.200.9    -      -       0/0/0  0/0/0",
    "SA Id  Policy               Bundle  State  Protocol  OutSPI      InSPI",
    "0      wiz_Peer1 to Peer2   0       Valid  ESP       1612248718  992095719",
    "1      vpn                  -       CREATING  AH     4294967295  -",
    "-----------------------------------------------------------------------",
    " Id     Phase  State          PeerAddress       Type",
    " 348    1      SASENT         200.200.200.1     MAIN",
    " 350    2      WAIT_HASH_SA_NONCE 200.200.200.1 QUICK",
    "ISAKMP Exchanges",
    "IPSEC Policy wiz_Peer1 to Peer2 Counters",
    "Outbound Packet Processing Counters:",
    "  outProcessStarted ........ 12    outProcessDone ........... 10",
    "  inProcessDone: 9   inBadSpiResponse: 0",
    "SA Id ..................... 0",
    "Policy .................... wiz_Peer1 to Peer2",
    "NAT Traversal",
    "  Enabled ................. TRUE",
    "create isakmp pol=isakmp peer=any key=1 mode=main natt=true",
    "  encalg=3desouter",
    "set isakmp pol=isakmp heart=both",
    "create ipsec policy=vpn int=eth0 ac=ipsec peer=200.200.200.1 isa=isakmp",
    "enable ipsec",
    "Interface  Type  IP Address       Bc  Fr  PArp  Filt  RIP Met.  SAMode  IPSc",
    "LOCAL      ---   Not set          -   -   -     ---   --        Pass    --",
    "eth0       Static 200.200.200.2  1   -   On    ---   --        Pass    --",
    "Date/Time     S Mod   Type  SType Message",
    "26 10:32:19   3 ISAK  IKE   PH1   Phase 1 main mode exchange completed with",
    "                                  200.200.200.1",
    "Info (1083001): Operation successful.",
    "  ",
    ".",
];

pub(crate) const DEBUG: &[&str] = &[
    "ISAKMP: Phase 1 main mode exchange 348 started with 200.200.200.1",
    "ISAKMP: Quick mode exchange 349: IPsec SA established with 200.200.200.1",
    "IKE: received NO-PROPOSAL-CHOSEN notify from 200.200.200.1",
    "ISAKMP 200.200.200.1: MM message 1 sent, retransmitting",
    "IPSEC: bad SPI 12345 received from 200.200.200.1",
    "Phase 2 failed: INVALID-ID-INFORMATION",
    "R-U-THERE received from 200.200.200.1",
    "XAUTH transaction REQSENT",
];

/// One line of a router session (ASCII only; the cleaner's handling of other text is the
/// business of the cleaner's own properties).
pub(crate) fn session_line() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (select(PROMPTS), select(COMMANDS)).prop_map(|(p, c)| format!("{p} {c}")),
        2 => select(PROMPTS).prop_map(str::to_string),
        1 => (select(PROMPTS), select(DEBUG)).prop_map(|(p, d)| format!("{p} {d}")),
        8 => select(OUTPUT).prop_map(str::to_string),
        3 => select(DEBUG).prop_map(str::to_string),
        2 => Just(String::new()),
        1 => select(vec!["Peer1 login: manager", "login:", "Password:", "password: "])
            .prop_map(str::to_string),
        3 => "[ -~]{0,60}",
    ]
}

/// A session capture: lines with CR LF or LF endings, now and then a pager prompt erased the
/// way the router erases it, and colour codes.
pub(crate) fn session_capture() -> impl Strategy<Value = Vec<u8>> {
    vec(
        (session_line(), 0u8..10, any::<bool>(), any::<bool>()),
        0..60,
    )
    .prop_map(|lines| {
        let mut s = String::new();
        for (line, ending, pager, colour) in lines {
            if pager {
                s.push_str(PAGER);
                s.push_str("\r                    \r");
            }
            if colour {
                s.push_str("\x1b[1m");
                s.push_str(&line);
                s.push_str("\x1b[0m");
            } else {
                s.push_str(&line);
            }
            s.push_str(if ending < 7 { "\r\n" } else { "\n" });
        }
        s.into_bytes()
    })
}

/// Tokens that table, counter, detail, log and config parsers look at.
pub(crate) fn parser_token() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => any::<u64>().prop_map(|v| v.to_string()),
        2 => any::<u32>().prop_map(|v| v.to_string()),
        1 => "[0-9]{18,30}",
        2 => any::<[u8; 4]>().prop_map(|a| format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3])),
        2 => Just("-".to_string()),
        2 => (select(vec!["-", "0", "12", "86400"]), select(vec!["-", "0", "9"]), select(vec!["-", "0", "970"]))
            .prop_map(|(a, b, c)| format!("{a}/{b}/{c}")),
        3 => "[A-Za-z_][A-Za-z0-9_]{0,10}",
        1 => "0[xX][0-9a-fA-F]{1,10}",
        2 => select(vec![
            "SA", "Id", "Policy", "Bundle", "State", "Protocol", "OutSPI", "InSPI", "PeerAddress",
            "EncA.", "HashA.", "Bytes", "Seconds", "Phase", "Type", "Valid", "ESP", "MAIN",
            "SASENT", "1.5", "Not set", "LOCAL", "eth0", "ppp0", "10:32:19", "26", "create",
            "set", "isakmp", "ipsec", "firewall", "policy=x", "pol=\"a b\"", "peer=any",
            "position=0", "position=99999999999", "rule=4294967296", "..........", "....", ":",
            "=", "Counters", "Message", "Date/Time", "hard/soft/used", "Expiry", "Limits",
        ])
        .prop_map(str::to_string),
        2 => "\\PC{1,6}",
    ]
}

/// A line made of parser tokens with random spacing and indent.
pub(crate) fn parser_line() -> impl Strategy<Value = String> {
    (
        0usize..4,
        vec((parser_token(), 1usize..6, any::<bool>()), 0..10),
    )
        .prop_map(|(indent, toks)| {
            let mut s = " ".repeat(indent);
            for (i, (t, gap, tab)) in toks.into_iter().enumerate() {
                if i > 0 {
                    if tab {
                        s.push('\t');
                    } else {
                        s.push_str(&" ".repeat(gap));
                    }
                }
                s.push_str(&t);
            }
            s
        })
}

/// Any line a parser may be given.
pub(crate) fn any_parser_line() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => parser_line(),
        2 => select(OUTPUT).prop_map(str::to_string),
        1 => select(DEBUG).prop_map(str::to_string),
        2 => ".{0,80}",
        1 => Just(String::new()),
    ]
}

/// Lines with increasing, gapped numbers (so "the number exists in the input" means something).
pub(crate) fn source_lines() -> impl Strategy<Value = Vec<SourceLine>> {
    (0usize..1000, vec((1usize..4, any_parser_line()), 0..40)).prop_map(|(start, v)| {
        let mut n = start;
        v.into_iter()
            .map(|(step, t)| {
                n += step;
                SourceLine::new(n, t)
            })
            .collect()
    })
}
