//! The keymap layer from outside: shipped keymaps load and bind every command, keys
//! round-trip through their text form, user files override per key, and bad files give
//! errors naming the file and line.

use std::path::PathBuf;

use tunnelscope::tui::keymap::{
    listing, Command, Context, Key, KeyCode, KeySeq, Keymap, Lookup, Modifiers, BUILTIN,
};

fn key(text: &str) -> Key {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn shipped() -> Vec<(&'static str, Keymap)> {
    BUILTIN
        .iter()
        .map(|(name, source)| {
            let keymap = Keymap::from_toml(source, name).unwrap_or_else(|e| panic!("{e}"));
            (*name, keymap)
        })
        .collect()
}

/// A fresh directory per test, so parallel tests do not share files.
fn temp_file(test: &str, text: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("tunnelscope-keymaps-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let path = dir.join("keymap.toml");
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    path
}

/// Removes what `temp_file` made; a failure only leaves a stray file in the temp dir.
fn remove_temp(path: &std::path::Path) {
    if let Some(dir) = path.parent() {
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn every_shipped_keymap_loads_by_name() {
    for (name, keymap) in shipped() {
        let loaded = Keymap::load(name).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(loaded, keymap, "{name}");
    }
    assert_eq!(
        Keymap::builtin(),
        Keymap::load("default").unwrap_or_else(|e| panic!("{e}"))
    );
}

#[test]
fn every_command_has_a_working_key_in_every_shipped_keymap() {
    for (name, keymap) in shipped() {
        for &command in Command::ALL {
            let reachable = Context::ALL
                .iter()
                .any(|&c| !keymap.keys_for(c, command).is_empty());
            assert!(reachable, "{name}: no key runs `{command}`");
        }
    }
}

#[test]
fn issue_defaults_are_bound_in_every_shipped_keymap() {
    let defaults = [
        ("q", Command::Quit),
        ("?", Command::Help),
        ("tab", Command::FocusNext),
        ("shift-tab", Command::FocusPrev),
        ("b", Command::Baseline),
        ("p", Command::PingToggle),
        ("d", Command::DebugToggle),
        ("z", Command::Zoom),
        (":", Command::CommandLine),
        ("r", Command::PollNow),
        ("R", Command::Reset),
    ];
    for (name, keymap) in shipped() {
        for (text, command) in defaults {
            assert_eq!(
                keymap.resolve(Context::Global, key(text)),
                Some(command),
                "{name}: {text}"
            );
            // The global keys work from the panes too (none of them is shadowed).
            for pane in [
                Context::Debug,
                Context::Tables,
                Context::Counters,
                Context::Doctor,
            ] {
                assert_eq!(
                    keymap.resolve(pane, key(text)),
                    Some(command),
                    "{name} {pane}: {text}"
                );
            }
        }
        for (text, command) in [("/", Command::Search), ("f", Command::FollowToggle)] {
            assert_eq!(
                keymap.resolve(Context::Debug, key(text)),
                Some(command),
                "{name}: {text}"
            );
        }
    }
}

/// Every key the type can hold, in normal form.
fn all_keys() -> Vec<Key> {
    let mut codes: Vec<KeyCode> = (0x21u8..0x7f)
        .map(|b| KeyCode::Char(char::from(b)))
        .collect();
    codes.extend(
        "é Ω ß ü Ж 中"
            .split(' ')
            .filter_map(|s| s.chars().next())
            .map(KeyCode::Char),
    );
    codes.push(KeyCode::Char(' '));
    codes.extend([
        KeyCode::Enter,
        KeyCode::Esc,
        KeyCode::Tab,
        KeyCode::BackTab,
        KeyCode::Backspace,
        KeyCode::Delete,
        KeyCode::Insert,
        KeyCode::Up,
        KeyCode::Down,
        KeyCode::Left,
        KeyCode::Right,
        KeyCode::PageUp,
        KeyCode::PageDown,
        KeyCode::Home,
        KeyCode::End,
    ]);
    codes.extend((1..=12).map(KeyCode::F));
    let mut keys = Vec::new();
    for code in codes {
        for bits in 0..8u8 {
            let mods = Modifiers {
                ctrl: bits & 1 != 0,
                alt: bits & 2 != 0,
                shift: bits & 4 != 0,
            };
            keys.push(Key::new(code, mods));
        }
    }
    keys
}

#[test]
fn every_key_round_trips_through_its_text() {
    for k in all_keys() {
        let shown = k.to_string();
        assert_eq!(key(&shown), k, "{shown}");
        // Modifier and key names ignore case; a character keeps its case.
        if !matches!(k.code(), KeyCode::Char(c) if c != ' ') {
            assert_eq!(key(&shown.to_lowercase()), k, "{shown}");
            assert_eq!(key(&shown.to_uppercase()), k, "{shown}");
        }
        // Modifiers may come in any order.
        let mut parts: Vec<&str> = shown.split('-').collect();
        let mods = k.mods();
        if mods.ctrl && mods.alt && parts.len() > 2 {
            parts.swap(0, 1);
            assert_eq!(key(&parts.join("-")), k, "{shown}");
        }
        // Sequences are keys joined by spaces.
        let seq: KeySeq = format!("{shown}  {shown}")
            .parse()
            .unwrap_or_else(|e| panic!("{shown}: {e}"));
        assert_eq!(seq.keys(), [k, k]);
        assert_eq!(seq.to_string(), format!("{shown} {shown}"));
    }
}

#[test]
fn displayed_forms_are_canonical() {
    for (text, shown) in [
        ("ctrl-d", "Ctrl-d"),
        ("enter", "Enter"),
        ("shift-tab", "Shift-Tab"),
        ("backtab", "Shift-Tab"),
        ("shift-q", "Q"),
        ("pagedown", "PageDown"),
        ("ctrl-alt-x", "Ctrl-Alt-x"),
        ("space", "Space"),
    ] {
        assert_eq!(key(text).to_string(), shown, "{text}");
    }
}

#[test]
fn a_user_file_overrides_per_key_and_keeps_the_rest() {
    let path = temp_file(
        "override",
        r#"
global = [
  { on = "F", run = "noop" },
  { on = "f", run = "filter-phase", desc = "Phase filter" },
  { on = "Q", run = "quit" },
]
debug = [{ on = "x", run = "follow-toggle" }]
"#,
    );
    let user = Keymap::load(&path.display().to_string()).unwrap_or_else(|e| panic!("{e}"));
    remove_temp(&path);
    let base = Keymap::builtin();

    assert_eq!(user.resolve(Context::Debug, key("F")), None);
    assert_eq!(
        user.resolve(Context::Debug, key("f")),
        Some(Command::FilterPhase)
    );
    assert_eq!(
        user.resolve(Context::Debug, key("x")),
        Some(Command::FollowToggle)
    );
    assert_eq!(user.resolve(Context::Global, key("Q")), Some(Command::Quit));
    assert_eq!(user.resolve(Context::Global, key("q")), Some(Command::Quit));

    // A replaced binding keeps its place in help; new ones go at the end.
    let place = |km: &Keymap, k: &str| {
        km.bindings(Context::Global)
            .iter()
            .position(|b| b.key.to_string() == k)
    };
    let global = user.bindings(Context::Global);
    let f = place(&user, "f").expect("f bound");
    assert_eq!(Some(f), place(&base, "f"));
    assert_eq!(global[f].desc, "Phase filter");
    assert_eq!(global.last().map(|b| b.key.to_string()), Some("Q".into()));
    assert_eq!(place(&user, "F"), None, "noop unbinds");
    let debug = user.bindings(Context::Debug);
    assert_eq!(debug.last().map(|b| b.key.to_string()), Some("x".into()));

    // Contexts the file does not touch are exactly the defaults.
    for context in [
        Context::Tables,
        Context::Counters,
        Context::Doctor,
        Context::Console,
    ] {
        assert_eq!(user.bindings(context), base.bindings(context), "{context}");
    }
    // The rest of global is the default's, in order.
    let same = |b: &&tunnelscope::tui::keymap::Binding| {
        !["f", "F", "Q"].contains(&b.key.to_string().as_str())
    };
    assert!(user
        .bindings(Context::Global)
        .iter()
        .filter(same)
        .eq(base.bindings(Context::Global).iter().filter(same)));
}

#[test]
fn a_user_key_replaces_a_clashing_sequence() {
    let mut vim = Keymap::load("vim").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(vim.lookup(Context::Global, &[key("g")]), Lookup::Prefix);
    vim.overlay_toml(r#"global = [{ on = "g", run = "go-bottom" }]"#, "user.toml")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        vim.resolve(Context::Global, key("g")),
        Some(Command::GoBottom)
    );
    assert_eq!(
        vim.lookup(Context::Global, &[key("g"), key("g")]),
        Lookup::Unbound
    );
}

#[test]
fn a_bad_overlay_leaves_the_keymap_unchanged() {
    let mut keymap = Keymap::builtin();
    let bad =
        "global = [\n  { on = \"x\", run = \"zoom\" },\n  { on = \"y\", run = \"nope\" },\n]\n";
    assert!(keymap.overlay_toml(bad, "user.toml").is_err());
    assert_eq!(keymap, Keymap::builtin());
}

/// Each bad file, the line (and column) the error must name, and words it must contain.
#[test]
fn bad_files_name_the_file_and_line() {
    let cases: &[(&str, &str, &str, &[&str])] = &[
        (
            "syntax",
            "global = [\n  { on = \"q\", run = \"quit\" }\n  { on = \"z\", run = \"zoom\" },\n]\n",
            ":3:3: ",
            &["expected"],
        ),
        (
            "unknown-command",
            "# mine\ndebug = [\n  { on = \"f\", run = \"follow-toggle\" },\n  { on = \"q\", run = \"qiut\" },\n]\n",
            ":4:21: ",
            &["unknown command `qiut`", "did you mean `quit`?"],
        ),
        (
            "unknown-command-word",
            "global = [{ on = \"p\", run = \"ping\" }]\n",
            ":1:29: ",
            &["unknown command `ping`", "did you mean `ping-toggle`?"],
        ),
        (
            "bad-key",
            "global = [\n  { on = \"ctrl-enterr\", run = \"quit\" },\n]\n",
            ":2:11: ",
            &["bad key", "ctrl-enterr"],
        ),
        (
            "shifted-digit",
            "\n\nglobal = [{ on = \"shift-1\", run = \"quit\" }]\n",
            ":3:19: ",
            &["`shift-1`", "write the shifted character itself"],
        ),
        (
            "duplicate",
            "tables = [\n  { on = \"s\", run = \"sort-next\" },\n  { on = \"enter\", run = \"open-detail\" },\n  { on = \"s\", run = \"zoom\" },\n]\n",
            ":4:10: ",
            &["`s` is bound twice in [tables]", "first at line 2"],
        ),
        (
            "duplicate-spelt-differently",
            "global = [\n  { on = \"shift-tab\", run = \"focus-prev\" },\n  { on = \"backtab\", run = \"zoom\" },\n]\n",
            ":3:10: ",
            &["`Shift-Tab` is bound twice in [global]", "first at line 2"],
        ),
        (
            "sequence-clash",
            "global = [\n  { on = \"g g\", run = \"go-top\" },\n  { on = \"g\", run = \"go-bottom\" },\n]\n",
            ":3:10: ",
            &["`g` in [global] clashes with `g g` at line 2"],
        ),
        (
            "unknown-context",
            "global = [{ on = \"q\", run = \"quit\" }]\n\n[[debgu]]\non = \"f\"\nrun = \"follow-toggle\"\n",
            ":3:3: ",
            &["unknown context `debgu`", "did you mean `debug`?", "global, debug, tables"],
        ),
        (
            "unknown-field",
            "global = [\n  { on = \"q\", run = \"quit\", descr = \"Leave\" },\n]\n",
            ":2:29: ",
            &["unknown field `descr`"],
        ),
        (
            "missing-run",
            "global = [\n  { on = \"q\" },\n]\n",
            ":2:3: ",
            &["missing field `run`"],
        ),
        (
            "wrong-shape",
            "debug = \"f\"\n",
            ":1:9: ",
            &["invalid type"],
        ),
    ];
    // Collect every mismatch, so one run shows them all.
    let mut wrong = Vec::new();
    for (name, text, at, words) in cases {
        let path = temp_file(name, text);
        let path_text = path.display().to_string();
        let loaded = Keymap::load(&path_text);
        remove_temp(&path);
        let err = match loaded {
            Err(e) => e.to_string(),
            Ok(_) => {
                wrong.push(format!("{name}: accepted"));
                continue;
            }
        };
        if !err.starts_with(&format!("{path_text}{at}")) {
            wrong.push(format!("{name}: not at {at}: {err}"));
        }
        for word in *words {
            if !err.contains(word) {
                wrong.push(format!("{name}: `{word}` missing from: {err}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_same_key_in_two_contexts_is_fine() {
    let text = "global = [{ on = \"n\", run = \"cancel\" }]\ndebug = [{ on = \"n\", run = \"search-next\" }]\n";
    assert!(Keymap::from_toml(text, "ok.toml").is_ok());
}

#[test]
fn a_missing_file_is_an_error_naming_it() {
    let err = match Keymap::load("/nonexistent/tunnelscope/keymap.toml") {
        Err(e) => e.to_string(),
        Ok(_) => panic!("loaded a missing file"),
    };
    assert!(
        err.starts_with("/nonexistent/tunnelscope/keymap.toml: cannot read the keymap"),
        "{err}"
    );
}

#[test]
fn resolution_prefers_the_pane_over_global() {
    let keymap = Keymap::builtin();
    // The debug stream's keys work from every pane (issue 8, item 16).
    for context in [
        Context::Global,
        Context::Debug,
        Context::Tables,
        Context::Counters,
        Context::Doctor,
    ] {
        for (k, c) in [
            ("/", Command::Search),
            ("n", Command::SearchNext),
            ("N", Command::SearchPrev),
            ("f", Command::FollowToggle),
            ("F", Command::FilterPhase),
        ] {
            assert_eq!(keymap.resolve(context, key(k)), Some(c), "{k} in {context}");
        }
    }
    assert_eq!(
        keymap.resolve(Context::Tables, key("enter")),
        Some(Command::OpenDetail)
    );
    assert_eq!(
        keymap.resolve(Context::Debug, key("enter")),
        Some(Command::Confirm)
    );
    assert_eq!(
        keymap.resolve(Context::Console, key("tab")),
        Some(Command::Complete)
    );
    assert_eq!(
        keymap.resolve(Context::Debug, key("tab")),
        Some(Command::FocusNext)
    );
    // While typing, plain characters are not commands, but other keys still reach global.
    assert_eq!(keymap.resolve(Context::Console, key("q")), None);
    assert_eq!(
        keymap.resolve(Context::Console, key("f1")),
        Some(Command::Help)
    );
    assert_eq!(
        keymap.resolve(Context::Console, key("shift-tab")),
        Some(Command::FocusPrev)
    );
    assert_eq!(keymap.resolve(Context::Debug, key("x")), None);
}

#[test]
fn hints_fit_the_width_and_lead_with_quit_and_help() {
    for (name, keymap) in shipped() {
        for context in Context::ALL {
            for width in 0..=200 {
                let hints = keymap.hints(context, width);
                assert!(
                    hints.chars().count() <= width,
                    "{name} {context} {width}: {hints}"
                );
            }
        }
        let global = keymap.hints(Context::Global, 80);
        assert!(
            global.starts_with("q quit  ? help  d debug  p ping  b baseline"),
            "{name}: {global}"
        );
        let debug = keymap.hints(Context::Debug, 200);
        assert!(debug.contains("f follow  / search"), "{name}: {debug}");
        let console = keymap.hints(Context::Console, 200);
        assert!(
            console.starts_with("F1 help  Enter ok  Tab complete"),
            "{name}: {console}"
        );
    }
}

#[test]
fn the_listing_shows_every_binding_aligned() {
    for (name, keymap) in shipped() {
        let text = listing(&keymap);
        for context in Context::ALL {
            assert!(text.contains(&format!("[{context}] ")), "{name}: {context}");
        }
        let rows: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("  ") && !l.contains("(no bindings)"))
            .collect();
        let count: usize = Context::ALL.iter().map(|&c| keymap.bindings(c).len()).sum();
        assert_eq!(rows.len(), count, "{name}");
        // The command column starts at the same place on every row.
        let starts: Vec<usize> = rows
            .iter()
            .map(|row| {
                let chars: Vec<char> = row.chars().collect();
                (3..chars.len())
                    .find(|&i| chars[i - 2..i] == [' ', ' '] && chars[i] != ' ')
                    .unwrap_or(0)
            })
            .collect();
        assert!(
            starts.windows(2).all(|w| w[0] == w[1]),
            "{name}: {starts:?}\n{text}"
        );
        for &command in Command::ALL {
            assert!(text.contains(command.name()), "{name}: {command}");
        }
    }
}

/// `tunnelscope` itself, run with `args`: (success, stdout, stderr).
fn run_tunnelscope(args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tunnelscope"))
        .args(args)
        .env_remove("TUNNELSCOPE_RULES")
        .output()
        .expect("run tunnelscope");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A description that would drive the terminal (OSC 52 clipboard write, window title, 8-bit
/// CSI) or hide text (right-to-left override, zero-width space) is refused when the keymap
/// loads, at its place in the file, so `tunnelscope keys` never prints it.
#[test]
fn keys_refuses_a_description_with_terminal_controls() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "osc",
            r#"desc = "\u001b]52;c;QQ==\u0007\u001b]0;PWN\u0007\u009b2J\u202eevil""#,
            "U+001B",
        ),
        ("c1", r#"desc = "x\u009b2J""#, "U+009B"),
        ("rlo", r#"desc = "evil\u202etxt.exe""#, "U+202E"),
        ("zwsp", r#"desc = "qu\u200bit""#, "U+200B"),
        ("del", r#"desc = "a\u007fb""#, "U+007F"),
    ];
    for (name, desc, code) in cases {
        let path = temp_file(
            &format!("desc-{name}"),
            &format!("# mine\nglobal = [\n  {{ on = \"z\", run = \"zoom\", {desc} }},\n]\n"),
        );
        let shown = path.display().to_string();
        let (ok, stdout, stderr) = run_tunnelscope(&["keys", "--keymap", &shown]);
        assert!(!ok, "{name}: accepted\n{stdout}");
        assert!(
            stderr.contains(&format!("{shown}:3:")) && stderr.contains(code),
            "{name}: {stderr}"
        );
        for bad in ['\u{1b}', '\u{9b}', '\u{202e}', '\u{200b}', '\u{7f}'] {
            assert!(
                !stdout.contains(bad) && !stderr.contains(bad),
                "{name}: {bad:?} reached the terminal"
            );
        }
        remove_temp(&path);
    }
    // Plain text, accents and all, is still a description.
    let path = temp_file(
        "desc-plain",
        "global = [{ on = \"z\", run = \"zoom\", desc = \"agrandir la fenêtre\" }]\n",
    );
    let (ok, stdout, stderr) = run_tunnelscope(&["keys", "--keymap", &path.display().to_string()]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("agrandir la fenêtre"), "{stdout}");
    remove_temp(&path);
}

/// Keymap and rules files are read with a 1 MiB cap: a device that never ends or a runaway
/// file is refused with a message saying so, before it is all in memory.
#[test]
fn keymap_and_rules_files_larger_than_1_mib_are_refused() {
    let (ok, _, stderr) = run_tunnelscope(&["keys", "--keymap", "/dev/zero"]);
    assert!(!ok);
    assert!(
        stderr.contains("/dev/zero: larger than 1 MiB: not a keymap"),
        "{stderr}"
    );
    // A big regular file of valid entries is refused the same way.
    let entry = "  { on = \"z\", run = \"zoom\" },\n";
    let big = format!(
        "global = [\n{}]\n",
        entry.repeat(2 * 1024 * 1024 / entry.len())
    );
    let path = temp_file("big", &big);
    let shown = path.display().to_string();
    let (ok, _, stderr) = run_tunnelscope(&["keys", "--keymap", &shown]);
    assert!(!ok);
    assert!(
        stderr.contains("larger than 1 MiB: not a keymap"),
        "{stderr}"
    );
    remove_temp(&path);

    let (ok, _, stderr) = run_tunnelscope(&["analyze", "--rules", "/dev/zero", "/dev/null"]);
    assert!(!ok);
    assert!(
        stderr.contains("/dev/zero: larger than 1 MiB: not a rules file"),
        "{stderr}"
    );
}
