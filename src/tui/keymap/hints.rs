//! Text drawn from the bindings: the hint bar (most useful first, cut to the width) and the
//! full listing that `tunnelscope keys` prints.

use std::fmt::Write;

use super::{Command, Context, Keymap};

/// Hints every pane starts with, and those that follow its own.
const FIRST: &[Command] = &[Command::Quit, Command::Help];
const AFTER: &[Command] = &[
    Command::DebugToggle,
    Command::PingToggle,
    Command::Baseline,
    Command::FocusNext,
    Command::Zoom,
    Command::CommandLine,
    Command::PollNow,
    Command::Reset,
];

/// The commands a pane's hints lead with, after quit and help.
fn own(context: Context) -> &'static [Command] {
    match context {
        Context::Global => &[],
        Context::Debug => &[
            Command::FollowToggle,
            Command::Search,
            Command::SearchNext,
            Command::FilterPhase,
        ],
        Context::Tables => &[Command::OpenDetail, Command::SortNext, Command::TableNext],
        Context::Counters => &[Command::Baseline, Command::PingToggle, Command::PolicyNext],
        Context::Doctor => &[Command::OpenDetail],
        Context::Tunnel => &[],
        Context::Console => &[
            Command::Confirm,
            Command::Complete,
            Command::HistoryPrev,
            Command::Cancel,
            Command::Passthrough,
        ],
    }
}

pub(super) fn hints(keymap: &Keymap, context: Context, max_width: usize) -> String {
    let mut order: Vec<Command> = Vec::new();
    for &command in FIRST.iter().chain(own(context)).chain(AFTER) {
        if !order.contains(&command) {
            order.push(command);
        }
    }
    let mut out = String::new();
    for command in order {
        // A command with no key that works here is left out, not shown with a dead key.
        let Some(key) = keymap.keys_for(context, command).into_iter().next() else {
            continue;
        };
        let item = format!("{key} {}", command.hint());
        let sep = if out.is_empty() { "" } else { "  " };
        // Stop at the first that does not fit, so a less useful hint never takes the
        // place of a more useful one.
        if width(&out) + width(sep) + width(&item) > max_width {
            break;
        }
        out.push_str(sep);
        out.push_str(&item);
    }
    out
}

/// Columns taken, counting a character as one (the keymap's texts are ASCII but keys).
fn width(text: &str) -> usize {
    text.chars().count()
}

/// Every context's bindings, aligned in columns: key, command, description.
pub fn listing(keymap: &Keymap) -> String {
    let all = Context::ALL.iter().flat_map(|&c| keymap.bindings(c));
    let key_width = all
        .clone()
        .map(|b| width(&b.key.to_string()))
        .max()
        .unwrap_or(0);
    let command_width = all.map(|b| b.command.name().len()).max().unwrap_or(0);
    let mut out = String::new();
    for context in Context::ALL {
        if !out.is_empty() {
            out.push('\n');
        }
        // Writing to a String cannot fail.
        let _ = writeln!(out, "[{context}] {}", context.description());
        let bindings = keymap.bindings(context);
        if bindings.is_empty() {
            out.push_str("  (no bindings)\n");
        }
        for b in bindings {
            let key = b.key.to_string();
            let pad = key_width.saturating_sub(width(&key));
            let _ = writeln!(
                out,
                "  {key}{:pad$}  {:command_width$}  {}",
                "",
                b.command.name(),
                b.desc
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keymap() -> Keymap {
        let src = r#"
global = [
  { on = "q", run = "quit" },
  { on = "?", run = "help" },
  { on = "d", run = "debug-toggle" },
  { on = "p", run = "ping-toggle" },
  { on = "b", run = "baseline" },
]
debug = [{ on = "f", run = "follow-toggle", desc = "Follow / freeze" }]
"#;
        Keymap::from_toml(src, "hints.toml").unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn hints_lead_with_the_pane_and_fit() {
        let map = keymap();
        assert_eq!(
            map.hints(Context::Global, 80),
            "q quit  ? help  d debug  p ping  b baseline"
        );
        assert_eq!(
            map.hints(Context::Debug, 80),
            "q quit  ? help  f follow  d debug  p ping  b baseline"
        );
        assert_eq!(map.hints(Context::Global, 14), "q quit  ? help");
        assert_eq!(map.hints(Context::Global, 5), "");
        // In the console, plain characters are typed, so their global hints disappear.
        assert_eq!(map.hints(Context::Console, 80), "");
    }

    #[test]
    fn listing_aligns_columns() {
        let text = listing(&keymap());
        assert!(
            text.contains("[debug] the debug stream\n  f  follow-toggle  Follow / freeze\n"),
            "{text}"
        );
        assert!(
            text.contains("  q  quit           Quit (asks first while debug is on)\n"),
            "{text}"
        );
        assert!(
            text.contains("[doctor] the findings\n  (no bindings)\n"),
            "{text}"
        );
    }
}
