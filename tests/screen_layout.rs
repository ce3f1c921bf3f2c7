//! The main screen's layout on small and wide terminals, and the debug stream's long lines:
//! - at 80x24, in a real tmux with the release binary's `demo`, every scenario shows its
//!   exchange state, every error counter that moved, the verdict and the top finding without
//!   a key (issue 8, item 17);
//! - long debug lines wrap under their text column, or take one line each and scroll sideways
//!   (item 18);
//! - the debug scrollback is bounded in bytes, a cut line keeps a marker with its length
//!   (item 6);
//! - text from the router is laid out by its display width: an emoji with a variation
//!   selector, joiners and bidi controls never push a pane's border (item 9), checked on the
//!   drawn buffer and in tmux through `replay` of a capture holding such a line.
//!
//! tmux is required (`apt-get install tmux`; `tests/run.sh` installs it): without it the tmux
//! tests fail, they are never skipped.

#[path = "support/screen.rs"]
mod screen_support;
mod support;

use screen_support::{render, text};
use support::tmux;

use std::time::{Duration, Instant};
use tmux::{binary, Tmux};
use tunnelscope::console::session::Event;
use tunnelscope::console::transcript::Item;
use tunnelscope::live::debuglog::{
    DebugLog, Entry, Stamped, DEFAULT_SCROLLBACK, DEFAULT_SCROLLBACK_BYTES, MAX_LINE_BYTES,
};
use tunnelscope::live::RouterState;
use tunnelscope::model::{DebugEvent, ExchangeRef, Phase, SourceLine};
use tunnelscope::tui::app::{App, Pane};
use tunnelscope::tui::keymap::{Command, Keymap};
use tunnelscope::tui::ui::{share, Wants};

fn app_with_lines(lines: &[&str]) -> App {
    let mut r = RouterState::new("Peer1", DEFAULT_SCROLLBACK);
    r.fixed_stamp = Some("10:00:00.000".parse().expect("a time of day"));
    for (n, l) in lines.iter().enumerate() {
        r.on_event(Event::Item(
            Item::Unsolicited(SourceLine::new(n + 1, l.to_string()), None),
            Instant::now(),
        ));
    }
    let mut app = App::new(vec![r], Keymap::builtin());
    app.focus = Pane::Debug;
    app
}

/// A debug line as long as a real one with a proposal dump, the cause at its end.
fn long_line() -> String {
    let mut s = String::from("ISAKMP: Exchange 352: quick mode proposal from 200.200.200.1:");
    for i in 0..12 {
        s.push_str(&format!(
            " transform {i} ESP 3DES HMAC-SHA lifetime 28800s,"
        ));
    }
    s.push_str(" no PFS offered while policy wiz_Peer1 requires group 2");
    s
}

// ---------------------------------------------------------------------------------------
// Item 18: long lines

#[test]
fn long_debug_lines_wrap_at_200_columns_and_scroll_when_one_line_each() {
    let line = long_line();
    assert!(line.len() > 400);
    let mut app = app_with_lines(&[&line, "ISAKMP: sending heartbeat to 200.200.200.1"]);
    let screen = text(&render(&app, 200, 60));
    assert!(
        screen.contains("no PFS offered while policy wiz_Peer1 requires group 2"),
        "the cause at the end of a long line is on screen:\n{screen}"
    );
    // The continuation rows start under the text column, not under the timestamp.
    let cont = screen
        .lines()
        .find(|l| l.contains("requires group 2"))
        .expect("last row of the wrapped line");
    let body = cont.trim_start_matches(['│', '┃', ' ']);
    assert!(!body.starts_with("10:00"), "{cont}");

    // One line each: the end is cut, and scrolling right brings it.
    app.on_command(Command::WrapToggle);
    let screen = text(&render(&app, 200, 60));
    assert!(!screen.contains("requires group 2"), "{screen}");
    assert!(
        screen.contains("one line each"),
        "the title says so:\n{screen}"
    );
    for _ in 0..30 {
        app.on_command(Command::ScrollRight);
    }
    let screen = text(&render(&app, 200, 60));
    assert!(screen.contains("requires group 2"), "{screen}");
    for _ in 0..30 {
        app.on_command(Command::ScrollLeft);
    }
    app.on_command(Command::WrapToggle);
    let screen = text(&render(&app, 200, 60));
    assert!(
        screen.contains("requires group 2"),
        "wrapped again:\n{screen}"
    );
}

#[test]
fn wrap_toggle_and_scroll_are_bound_in_the_shipped_keymaps() {
    for name in ["default", "vim"] {
        let keymap = Keymap::load(name).unwrap_or_else(|e| panic!("{e}"));
        for c in [
            Command::WrapToggle,
            Command::ScrollLeft,
            Command::ScrollRight,
        ] {
            assert!(
                !keymap
                    .keys_for(tunnelscope::tui::keymap::Context::Debug, c)
                    .is_empty(),
                "{name}: {c}"
            );
        }
    }
}

#[test]
fn a_frame_looks_at_the_lines_on_screen_only() {
    // Following with a phase filter that matches nothing recent must still find the older
    // matching lines (the lazy walk goes back as far as needed), and the newest line shows.
    let mut lines: Vec<String> = (0..2000)
        .map(|i| format!("ISAKMP: sending heartbeat {i} to 200.200.200.1"))
        .collect();
    lines.push("ISAKMP: Exchange 9: received notify NO-PROPOSAL-CHOSEN (14)".into());
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let mut app = app_with_lines(&refs);
    let screen = text(&render(&app, 100, 30));
    assert!(screen.contains("NO-PROPOSAL-CHOSEN"), "{screen}");
    assert!(screen.contains("heartbeat 1999"), "{screen}");
    app.debug.filter = Some(Phase::Two);
    let _ = render(&app, 100, 30);
}

// ---------------------------------------------------------------------------------------
// Item 6: the scrollback in bytes

#[test]
fn scrollback_is_bounded_in_bytes_and_cut_lines_say_how_long_they_were() {
    let mut log = DebugLog::new(DEFAULT_SCROLLBACK);
    let big = "x".repeat(60 * 1024);
    for n in 0..20_000 {
        log.push(Stamped {
            at: "10:00:00.000".parse().expect("a time of day"),
            entry: Entry::Line(DebugEvent {
                line: n + 1,
                file: None,
                time: None,
                phase: Phase::One,
                failure: false,
                text: big.clone(),
                exchange: ExchangeRef::default(),
            }),
        });
        assert!(log.bytes() <= DEFAULT_SCROLLBACK_BYTES, "at line {n}");
    }
    assert_eq!(log.total(), 20_000);
    // 20 000 lines of 60 KB were 1.2 GB; cut, they all fit in well under the cap.
    assert!(log.bytes() < 200 << 20);
    let last = log.get(log.len() - 1).expect("a line");
    assert!(
        last.text().len() < MAX_LINE_BYTES + 64,
        "{}",
        last.text().len()
    );
    assert!(
        last.text().ends_with("[line cut: 61440 bytes in all]"),
        "{}",
        &last.text()[last.text().len() - 60..]
    );

    // Lines under the cut are kept whole, and the byte cap still drops the oldest.
    let mut log = DebugLog::with_byte_cap(1_000_000, 256 * 1024);
    let line = "y".repeat(3000);
    for n in 0..1000 {
        log.push(Stamped {
            at: "10:00:00.000".parse().expect("a time of day"),
            entry: Entry::Mark(format!("{n} {line}")),
        });
    }
    assert!(log.bytes() <= 256 * 1024);
    assert!(log.len() < 100 && log.len() > 50, "{}", log.len());
    assert!(log.dropped() > 900);
    assert_eq!(log.get(log.len() - 1).map(|s| s.text().len()), Some(3004));

    // A cut never splits a character.
    let mut log = DebugLog::new(100);
    log.push(Stamped {
        at: Default::default(),
        entry: Entry::Mark("é".repeat(5000)),
    });
    assert!(log
        .get(0)
        .is_some_and(|s| s.text().contains("[line cut: 10000 bytes")));
}

// ---------------------------------------------------------------------------------------
// Item 9: display width

/// Characters whose width terminals disagree on: none may reach a cell.
fn unsafe_char(c: char) -> bool {
    matches!(c as u32, 0xFE00..=0xFE0F | 0x200B..=0x200F | 0x202A..=0x202E | 0x2066..=0x2069
        | 0x1F3FB..=0x1F3FF | 0x1F1E6..=0x1F1FF)
}

#[test]
fn emoji_joiners_and_bidi_from_the_router_stay_inside_their_pane() {
    let line =
        "ISAKMP: peer name \u{2601}\u{FE0F} office \u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467} \
                \u{1F44D}\u{1F3FD} \u{202E}lanigiro\u{202C} zero\u{200B}width \u{5bbd}\u{5b57} end";
    let app = app_with_lines(&[line, line, line]);
    for (w, h) in [(80, 24), (100, 30), (200, 60), (37, 12)] {
        let buf = render(&app, w, h);
        for y in 0..h {
            for x in 0..w {
                let sym = buf[(x, y)].symbol();
                assert!(
                    !sym.chars().any(unsafe_char),
                    "{w}x{h}: cell ({x},{y}) holds {sym:?}"
                );
            }
        }
        let screen = text(&buf);
        if w >= 80 {
            assert!(screen.contains("<U+202E>"), "{w}x{h}:\n{screen}");
        }
    }
    // On a wide screen, every row ends on a border: nothing pushed it.
    let buf = render(&app, 200, 60);
    for y in 0..58 {
        let last = buf[(199, y)].symbol();
        assert!("│┃┐┓┘┛".contains(last), "row {y} ends with {last:?}");
    }
}

/// A capture whose router sends debug lines with an emoji and its variation selector, a
/// joined emoji and a bidi override, in a replay in tmux at 200x60: the right border of every
/// row stays in the last column.
#[test]
fn tmux_replay_of_emoji_lines_keeps_every_border_in_place() {
    let dir = std::env::temp_dir().join(format!("ts-layout-emoji-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let cap = dir.join("emoji.cap");
    let mut text = String::from(
        "# tunnelscope capture 1\n# router: Peer1\n# link: test\n\
         # records: seconds since the start, < from the router, > to it, ! a mark\n",
    );
    let line = "ISAKMP: peer \u{2601}\u{FE0F} cloud \u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467} \
                family \u{202E}txet\u{202C} zero\u{200B}width, state SASENT\r\n";
    let quoted: String = line
        .bytes()
        .map(|b| match b {
            b'\r' => "\\r".to_string(),
            b'\n' => "\\n".to_string(),
            0x20..=0x7e if b != b'"' && b != b'\\' => char::from(b).to_string(),
            _ => format!("\\x{b:02x}"),
        })
        .collect();
    for i in 0..20 {
        text.push_str(&format!("{}.000 < \"{quoted}\"\n", i + 1));
    }
    std::fs::write(&cap, text).expect("capture");
    let t = Tmux::start_with(
        200,
        60,
        &format!("{} replay --instant {}", binary().display(), cap.display()),
        &[],
    );
    let screen = t.wait("the emoji lines on screen", Duration::from_secs(20), |s| {
        s.contains("family")
    });
    let rows: Vec<&str> = screen.lines().collect();
    for (y, row) in rows.iter().enumerate().take(58) {
        let last = row.chars().last().unwrap_or(' ');
        assert!(
            "│┃┐┓┘┛".contains(last),
            "row {y} does not end on a border ({last:?}):\n{screen}"
        );
        assert!(
            !row.contains('\u{FE0F}') && !row.contains('\u{202E}'),
            "{row}"
        );
    }
    t.keys(&["q"]);
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------------------
// Item 17: small screens

#[test]
fn share_gives_rows_to_what_must_be_seen_first() {
    let w = Wants {
        tables: (5, 7, 7),
        counters: (3, 6, 14),
        doctor: (2, 6),
        middle_has_lines: true,
    };
    // 80x24: 22 rows less 4 title lines.
    let h = share(18, w);
    assert_eq!(h.iter().sum::<u16>(), 18, "{h:?}");
    assert!(h[0] >= 7 && h[2] >= 6 && h[3] >= 2 && h[1] >= 3, "{h:?}");
    // Very short: the verdict and moved error counters first, then the top finding.
    let h = share(4, w);
    assert_eq!(h, [0, 0, 3, 1]);
    // Nothing in the debug stream: its rows go to the panes with more to show.
    let h = share(
        30,
        Wants {
            middle_has_lines: false,
            ..w
        },
    );
    assert_eq!(h[1], 30 - 7 - 14 - 6, "{h:?}");
    // Empty tables take their three title lines only.
    let h = share(
        18,
        Wants {
            tables: (3, 3, 3),
            ..w
        },
    );
    assert_eq!(h[0], 3, "{h:?}");
}

#[test]
fn every_size_draws_with_long_lines_wrapped_or_not() {
    let line = long_line();
    let mut app = app_with_lines(&[&line, "ISAKMP: \u{2601}\u{FE0F} \u{5bbd}", &line]);
    for wrap in [true, false] {
        app.debug.wrap = wrap;
        for focus in [Pane::Debug, Pane::Tables, Pane::Console] {
            app.focus = focus;
            for w in [1u16, 2, 5, 9, 20, 21, 30, 43, 44, 79, 80, 109, 110, 200] {
                for h in [1u16, 2, 3, 4, 6, 10, 24, 35, 36, 60] {
                    let _ = render(&app, w, h);
                }
            }
        }
    }
}

/// What each scenario must show at 80x24 once debug is on and a ping ran: the exchange rows
/// (`None`: no exchange is in progress), the error counters that move, the verdict's headline
/// and the top finding.
struct Expect {
    scenario: &'static str,
    exchange: Option<&'static str>,
    moved_errors: &'static [&'static str],
    verdict: &'static str,
    finding: &'static str,
}

const EXPECT: &[Expect] = &[
    Expect {
        scenario: "healthy",
        exchange: None,
        moved_errors: &[],
        verdict: "encrypting and decrypting: the tunnel carries traffic both ways",
        finding: "nothing wrong seen",
    },
    Expect {
        scenario: "phase1-stall",
        exchange: Some("SASENT for"),
        moved_errors: &["outDropNoSa"],
        verdict: "nothing through the tunnel",
        finding: "ERROR ike-blocked-at-peer",
    },
    Expect {
        scenario: "phase2-mismatch",
        exchange: None,
        moved_errors: &["outDropNoSa"],
        verdict: "nothing through the tunnel",
        finding: "ERROR pfs-mismatch",
    },
    Expect {
        scenario: "sa-out-of-step",
        exchange: None,
        moved_errors: &[],
        verdict: "encrypting, nothing decrypted",
        finding: "ERROR spi-unpaired",
    },
    Expect {
        scenario: "sa-accumulation",
        exchange: None,
        moved_errors: &[],
        verdict: "encrypting and decrypting",
        finding: "ERROR heartbeat-mismatch",
    },
    Expect {
        scenario: "policy-selection",
        exchange: None,
        moved_errors: &["outDropNoSa"],
        verdict: "nothing through the tunnel",
        finding: "ERROR id-mismatch",
    },
    Expect {
        scenario: "psk-mismatch",
        exchange: None,
        moved_errors: &["outDropNoSa"],
        verdict: "nothing through the tunnel",
        finding: "ERROR auth-failed",
    },
];

fn check_80x24(e: &Expect) {
    let t = Tmux::start_with(
        80,
        24,
        &format!(
            "{} demo --no-capture --scenario {}",
            binary().display(),
            e.scenario
        ),
        &[],
    );
    t.wait_for("Counters", Duration::from_secs(20));
    t.keys(&["d"]);
    t.keys(&["p"]);
    let all_there = |s: &str| {
        s.contains(e.verdict)
            && s.contains(e.finding)
            && e.moved_errors.iter().all(|c| {
                // The counter's own row (name, value, delta), not only the verdict naming it.
                s.lines()
                    .any(|l| l.starts_with(c) && l.contains(" +") && !l.contains(':'))
            })
    };
    let screen = t.wait(
        &format!("{}: verdict, moved error counters, top finding", e.scenario),
        Duration::from_secs(60),
        all_there,
    );
    if let Some(x) = e.exchange {
        let screen = t.wait(
            &format!("{}: the exchange row", e.scenario),
            Duration::from_secs(30),
            |s| s.contains(x) && all_there(s),
        );
        let lines: Vec<&str> = screen.lines().collect();
        let title = lines
            .iter()
            .position(|l| l.starts_with("Exchanges ("))
            .unwrap_or_else(|| panic!("no exchanges title:\n{screen}"));
        assert!(
            lines[title + 1].contains("State") && lines[title + 2].contains(x),
            "header then row under the title:\n{screen}"
        );
    }
    // Headers of the tables that have rows; empty tables on one line.
    for l in screen.lines() {
        if let Some(rest) = l.strip_prefix("IPsec SAs (") {
            assert!(rest.starts_with(|c: char| c.is_ascii_digit()), "{l}");
        }
    }
    // An empty table is its title line: no blank row under it.
    let lines: Vec<&str> = screen.lines().collect();
    for (i, l) in lines.iter().enumerate() {
        if l.ends_with(" (0)") {
            assert!(
                lines.get(i + 1).is_some_and(|n| !n.trim().is_empty()),
                "blank row under an empty table:\n{screen}"
            );
        }
    }
    // The status bar: the row before the hints, the last one.
    assert!(lines.len() >= 23, "{screen}");
    assert!(
        lines[22].contains("Peer1"),
        "status bar on row 23:\n{screen}"
    );
    t.keys(&["q"]);
}

#[test]
// With both ends in the demo, the top finding is the cause the two ends show together (the
// tunnel's), ahead of each end's own symptoms.
fn tmux_80x24_shows_exchange_moved_errors_verdict_and_top_finding_in_every_scenario() {
    let handles: Vec<_> = EXPECT
        .iter()
        .map(|e| std::thread::spawn(move || check_80x24(e)))
        .collect();
    let mut failed = Vec::new();
    for (h, e) in handles.into_iter().zip(EXPECT) {
        if let Err(p) = h.join() {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failed.push(format!("{}: {msg}", e.scenario));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}
