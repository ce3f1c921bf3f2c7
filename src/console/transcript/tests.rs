//! Transcript splitting tests on captures written in the layouts of ALLIEDWARE.md.

use super::*;
use crate::alliedware::debug::Classifier;
use crate::console::text::TextCleaner;

fn split(input: &[u8], chunk: usize) -> Vec<Item> {
    let mut cleaner = TextCleaner::default();
    let mut tr = Transcript::new(Classifier::builtin());
    let mut ev = Vec::new();
    let mut out = Vec::new();
    for c in input.chunks(chunk.max(1)) {
        cleaner.feed(c, &mut ev);
        tr.feed(&mut ev, &mut out);
    }
    cleaner.finish(&mut ev);
    tr.feed(&mut ev, &mut out);
    tr.finish(&mut out);
    out
}

fn blocks(items: &[Item]) -> Vec<&Block> {
    items
        .iter()
        .filter_map(|i| match i {
            Item::Block(b) => Some(b),
            _ => None,
        })
        .collect()
}

fn unsolicited(items: &[Item]) -> Vec<&str> {
    items
        .iter()
        .filter_map(|i| match i {
            Item::Unsolicited(l, _) => Some(l.text.as_str()),
            _ => None,
        })
        .collect()
}

const PAGER: &str = "--More-- (<space> = next page, <CR> = one line, C = continuous, Q = quit)";

fn capture() -> Vec<u8> {
    let mut s = String::new();
    s.push_str("ISAKMP: Phase 1 main mode exchange 348 started with 200.200.200.1\r\n");
    s.push_str("SecOff Peer1> sh isa sa\r\n");
    s.push_str("\r\n SA Id  PeerAddress      EncA.  HashA.  Bytes  Expiry Limits - hard/soft/used  Seconds\r\n");
    s.push_str(" 1      200.200.200.1    3DES   SHA     -/-/-  86400/82080/970\r\n");
    s.push_str("ISAKMP: Quick mode exchange 349: IPsec SA established with 200.200.200.1\r\n");
    s.push_str(PAGER);
    s.push_str("\r                                                                          \r");
    s.push_str(" 2      200.200.200.9    DES    MD5     -/-/-  86400/82080/10\r\n\r\n");
    s.push_str("SecOff Peer1> SHOW IPSEC SA\r\n");
    s.push_str("SA Id  Policy               Bundle  State  Protocol  OutSPI      InSPI\r\n");
    s.push_str("-----------------------------------------------------------------------\r\n");
    s.push_str("0      wiz_Peer1 to Peer2   0       Valid  ESP       1612248718  992095719\r\n");
    s.push_str("\r\nSecOff Peer1> ");
    s.into_bytes()
}

#[test]
fn blocks_and_debug_interleaved() {
    for chunk in [1, 3, 7, 64, 4096] {
        let items = split(&capture(), chunk);
        let b = blocks(&items);
        assert_eq!(b.len(), 2, "chunk {chunk}");
        assert_eq!(b[0].command.display, Display::IsakmpSa);
        assert_eq!(b[0].command.typed, "sh isa sa");
        let rows: Vec<&str> = b[0]
            .lines
            .iter()
            .map(|l| l.text.trim())
            .filter(|t| t.starts_with('1') || t.starts_with('2'))
            .collect();
        assert_eq!(rows.len(), 2, "chunk {chunk}: {:?}", b[0].lines);
        assert!(b[0].lines.iter().all(|l| !l.text.contains("More")));
        assert_eq!(b[1].command.display, Display::IpsecSa);
        let u = unsolicited(&items);
        assert_eq!(u.len(), 2, "chunk {chunk}: {u:?}");
        assert!(u[1].contains("Quick mode"));
        assert!(items.iter().any(|i| matches!(i, Item::Pager)));
    }
}

#[test]
fn system_name_is_learnt() {
    let mut cleaner = TextCleaner::default();
    let mut tr = Transcript::new(Classifier::builtin());
    let (mut ev, mut out) = (Vec::new(), Vec::new());
    cleaner.feed(&capture(), &mut ev);
    tr.feed(&mut ev, &mut out);
    assert_eq!(tr.system_name.as_deref(), Some("Peer1"));
}

#[test]
fn prompt_less_show_debug_ipsec() {
    let text = "System information\n\
        Uptime ........ 3 days\n\
        \n\
        SA Id  PeerAddress      EncA.  HashA.  Bytes  Expiry Limits - hard/soft/used  Seconds\n\
        1      200.200.200.1    -      -       0/0/0  0/0/0\n\
        \n\
        ISAKMP Exchanges\n\
        Id   Phase  State   PeerAddress    Type\n\
        348  1      SASENT  200.200.200.1  MAIN\n\
        \n\
        Outbound Packet Processing Counters\n\
        \x20 outProcessDone 0   outProcessFailed 0\n\
        Inbound Packet Processing Counters\n\
        \x20 inProcessDone 0\n\
        \n\
        create isakmp policy=isakmp peer=200.200.200.1 key=1\n\
        set isakmp policy=isakmp sendn=true\n\
        \n\
        Some other display text\n";
    let items = split(text.as_bytes(), 5);
    let b = blocks(&items);
    let kinds: Vec<Display> = b.iter().map(|b| b.command.display).collect();
    assert_eq!(
        kinds,
        vec![
            Display::IpsecSaDetail,
            Display::IsakmpSa,
            Display::IsakmpExchange,
            Display::Counters,
            Display::Config
        ]
    );
    // A dotted leader outside any display is a detail display of its own, not debug text.
    assert_eq!(b[0].command.canonical, "detail (Uptime 3 days)");
    assert_eq!(b[0].lines.iter().filter(|l| !l.text.is_empty()).count(), 1);
    assert!(b[3].command.canonical.starts_with("counters: Outbound"));
}

#[test]
fn show_debug_ipsec_with_prompt_is_split() {
    let text = "Manager Peer1> show debug ipsec\n\
        SA Id  Policy  Bundle  State  Protocol  OutSPI  InSPI\n\
        0      vpn     0       Valid  ESP       1       2\n\
        \n\
        System text that is not a display\n\
        SA Id  PeerAddress      EncA.  HashA.  Bytes  Expiry Limits - hard/soft/used  Seconds\n\
        1      200.200.200.1    3DES   SHA     -/-/-  86400/82080/970\n\
        Manager Peer1> ";
    let items = split(text.as_bytes(), 9);
    let b = blocks(&items);
    let kinds: Vec<Display> = b.iter().map(|b| b.command.display).collect();
    assert_eq!(
        kinds,
        vec![Display::IpsecSa, Display::IsakmpSa, Display::DebugIpsec]
    );
    assert!(b[2].lines.iter().any(|l| l.text.contains("System text")));
}

#[test]
fn debug_after_idle_prompt() {
    let items = split(
        b"SecOff Peer1> ISAKMP: phase 1 main mode retransmitting to 200.200.200.1\r\n",
        4,
    );
    assert!(matches!(items[0], Item::Prompt(..)));
    assert_eq!(unsolicited(&items).len(), 1);
}

#[test]
fn login_and_password_are_reported() {
    let items = split(
        b"Peer1 login: manager\r\nPassword: \r\nManager Peer1> \r\n",
        2,
    );
    assert!(matches!(&items[0], Item::Login(u, 1) if u == "manager"));
    assert!(matches!(items[1], Item::Password(2)));
    assert!(matches!(items[2], Item::Prompt(..)));
}

#[test]
fn counters_and_config_blocks() {
    let text = "SecOff Peer1> show ipsec policy=\"wiz_Peer1 to Peer2\" counters\n\
        Outbound Packet Processing Counters:\n\
        \x20 outProcessDone ........ 12\n\
        12:00:01 ISAKMP notify INITIAL-CONTACT sent\n\
        Inbound Packet Processing Counters:\n\
        \x20 inProcessDone ......... 11\n\
        SecOff Peer1> show config dynamic=isakmp\n\
        create isakmp policy=isakmp peer=any key=1 mode=main\n\
        \x20 encalg=3desouter\n\
        SecOff Peer1> ";
    let items = split(text.as_bytes(), 13);
    let b = blocks(&items);
    assert_eq!(b.len(), 2);
    assert_eq!(b[0].lines.len(), 4);
    assert_eq!(
        unsolicited(&items),
        vec!["12:00:01 ISAKMP notify INITIAL-CONTACT sent"]
    );
    assert_eq!(b[1].lines.len(), 2);
}

#[test]
fn saved_detail_displays_keep_their_titles_and_stay_apart() {
    // Two detail displays one after the other, each under a title at the left margin, then
    // two IPsec SA details with no title, then a table: five blocks, no debug lines.
    let text = "ISAKMP Exchange Details\n\
        Id ......................... 348\n\
        Retransmission count ....... 3\n\
        \n\
        ISAKMP SA Details\n\
        SA Id ...................... 1\n\
        NAT Traversal\n\
        \x20 Enabled .................. TRUE\n\
        SA Id ...................... 2\n\
        \n\
        IPSEC SAs\n\
        SA Id  Policy  Bundle  State  Protocol  OutSPI  InSPI\n\
        0      vpn     0       Valid  ESP       1       2\n";
    for chunk in [1, 5, 4096] {
        let items = split(text.as_bytes(), chunk);
        assert_eq!(unsolicited(&items), Vec::<&str>::new(), "chunk {chunk}");
        let b = blocks(&items);
        let names: Vec<&str> = b.iter().map(|b| b.command.canonical.as_str()).collect();
        assert_eq!(
            names,
            [
                "ISAKMP Exchange Details (Id 348)",
                "ISAKMP SA Details (SA Id 1)",
                "ISAKMP SA Details (SA Id 2)",
                "show ipsec sa"
            ],
            "chunk {chunk}"
        );
        assert_eq!(b[0].command.display, Display::IsakmpExchangeDetail);
        assert_eq!(b[1].command.display, Display::IsakmpSaDetail);
        // The nested block title stays inside its display.
        assert!(b[1].lines.iter().any(|l| l.text == "NAT Traversal"));
        // The table's title heads the table.
        assert_eq!(b[3].lines[0].text, "IPSEC SAs");
    }
}

#[test]
fn a_title_with_nothing_under_it_is_unsolicited() {
    let items = split(b"ISAKMP Module Status\nsome text\n", 3);
    assert_eq!(
        unsolicited(&items),
        vec!["ISAKMP Module Status", "some text"]
    );
    // Held back only until the next line, or the end of the input.
    let items = split(b"ISAKMP Module Status\n", 3);
    assert_eq!(unsolicited(&items), vec!["ISAKMP Module Status"]);
}

#[test]
fn a_title_moved_to_the_next_display_loses_no_blank_line() {
    // Found by the property tests: the blank line after a held title was dropped.
    let items = split(
        b"SecOff Peer1> show debug ipsec\r\nNAT Traversal\r\n\r\nISAKMP Exchanges\r\n",
        1,
    );
    let mut seen: Vec<usize> = items
        .iter()
        .flat_map(|i| match i {
            Item::Block(b) => b.lines.iter().map(|l| l.number).collect::<Vec<_>>(),
            Item::Unsolicited(l, _) => vec![l.number],
            _ => Vec::new(),
        })
        .collect();
    seen.sort();
    assert_eq!(seen, vec![2, 3, 4], "{items:?}");
}

/// Issue 8: a `show ipsec sa` row with an SA id no integer holds (or a cell too many) stays
/// with its table (kept as text by the parser), and never becomes a phase-2 debug line.
#[test]
fn an_odd_table_row_is_never_a_debug_line() {
    let input = "SecOff Peer1> show ipsec sa\r\n\
        SA Id  Policy               Bundle  State  Protocol  OutSPI      InSPI\r\n\
        18446744073709551616  wiz_Peer1 to Peer2  0  Valid  ESP  1612248718  992095719  extra\r\n\
        ISAKMP: Quick mode exchange 349: IPsec SA established with 200.200.200.1\r\n\
        SecOff Peer1> ";
    for chunk in [1, 7, 4096] {
        let items = split(input.as_bytes(), chunk);
        let b = blocks(&items);
        assert_eq!(b.len(), 1);
        assert!(
            b[0].lines.iter().any(|l| l.text.contains("extra")),
            "{:?}",
            b[0].lines
        );
        // The debug line in the middle of it still goes to the debug stream.
        assert_eq!(
            unsolicited(&items),
            vec!["ISAKMP: Quick mode exchange 349: IPsec SA established with 200.200.200.1"]
        );
    }
}

/// Issue 8: secret argument values never reach a block, its command or the debug stream.
#[test]
fn secret_arguments_are_withheld_from_blocks_and_lines() {
    let input = "SecOff Peer1> create enco key=1 type=general value=secretvalue123\r\n\
        Info (1034003): Operation successful.\r\n\
        ISAKMP: odd text password=hunter2 here\r\n\
        SecOff Peer1> ";
    let items = split(input.as_bytes(), 5);
    let b = blocks(&items);
    assert_eq!(
        b[0].command.canonical,
        "create enco key=1 type=general value=<withheld: secret>"
    );
    let p = b[0].prompt.as_ref().unwrap();
    assert!(!p.rest.contains("secretvalue123"), "{}", p.rest);
    let text = format!("{items:?}");
    assert!(
        !text.contains("secretvalue123") && !text.contains("hunter2"),
        "{text}"
    );
}
