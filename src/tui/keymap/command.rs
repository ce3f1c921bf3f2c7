//! The closed set of commands a key can run and the contexts (panes) bindings live in, with
//! their stable kebab-case names: these names are the keymap files' vocabulary, so renaming
//! one breaks users' files.

use std::fmt;

/// Declares the commands once: variant, file name, short hint-bar label, default description.
macro_rules! commands {
    ($($variant:ident $name:literal $hint:literal $desc:literal;)*) => {
        /// A named command; the app maps each to an action.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Command {
            $($variant,)*
        }

        impl Command {
            /// Every command, in the order the listing and tests walk them.
            pub const ALL: &'static [Command] = &[$(Command::$variant,)*];

            /// The name used in keymap files (`run = "follow-toggle"`).
            pub fn name(self) -> &'static str {
                match self {
                    $(Command::$variant => $name,)*
                }
            }

            /// A word or two for the hint bar, where space is short.
            pub fn hint(self) -> &'static str {
                match self {
                    $(Command::$variant => $hint,)*
                }
            }

            /// The description shown in help when a binding gives none.
            pub fn description(self) -> &'static str {
                match self {
                    $(Command::$variant => $desc,)*
                }
            }
        }
    };
}

commands! {
    Quit "quit" "quit" "Quit (asks first while debug is on)";
    Help "help" "help" "Show or hide this help";
    FocusNext "focus-next" "focus" "Focus the next pane";
    FocusPrev "focus-prev" "back" "Focus the previous pane";
    Zoom "zoom" "zoom" "Zoom the focused pane to the full screen, or back";
    CommandLine "command-line" "command" "Open the command line to send a router command";
    DebugToggle "debug-toggle" "debug" "Turn ISAKMP debug on or off (on both ends when there are two)";
    PollNow "poll-now" "poll" "Poll the router now";
    Reset "reset" "reset" "Reset ISAKMP and IPsec (asks first, listing the commands)";
    Baseline "baseline" "baseline" "Set the counter baseline to the current values";
    PingToggle "ping-toggle" "ping" "Start or stop the ping across the tunnel";
    Scenario "scenario" "scenario" "Choose the simulated scenario (demo only)";
    Confirm "confirm" "ok" "Confirm: yes in a dialog; run the command line";
    Cancel "cancel" "cancel" "Cancel: close a dialog, detail or help; clear the line or search";
    MoveUp "move-up" "up" "Move the selection up one line";
    MoveDown "move-down" "down" "Move the selection down one line";
    PageUp "page-up" "page up" "Move up one page";
    PageDown "page-down" "page down" "Move down one page";
    GoTop "go-top" "top" "Go to the first line";
    GoBottom "go-bottom" "bottom" "Go to the last line";
    OpenDetail "open-detail" "detail" "Show the detail of the selected row (SA, or a finding's evidence)";
    FollowToggle "follow-toggle" "follow" "Follow new lines, or freeze the view (lines keep arriving)";
    Search "search" "search" "Search the debug lines";
    SearchNext "search-next" "next" "Go to the next match";
    SearchPrev "search-prev" "prev" "Go to the previous match";
    FilterPhase "filter-phase" "phase" "Show one phase: all, 1, 1.5, 2, informational";
    EndFilter "end-filter" "end" "Two routers: show both ends' debug lines, or one end's only";
    DebugHere "debug-here" "debug here" "Turn ISAKMP debug on or off on this end only";
    CompareKeys "compare-keys" "keys" "Two routers: compare the pre-shared keys by fingerprint (the values are never shown)";
    Ladder "ladder" "ladder" "Draw the exchange ladder of the latest failed exchange (else the latest)";
    WrapToggle "wrap-toggle" "wrap" "Wrap long debug lines, or one line each (scroll with left/right)";
    ScrollLeft "scroll-left" "left" "Scroll the debug lines left (one line each)";
    ScrollRight "scroll-right" "right" "Scroll the debug lines right (one line each)";
    SortNext "sort-next" "sort" "Sort by the next column";
    TableNext "table-next" "table" "Select the next table (ISAKMP SAs, exchanges, IPsec SAs)";
    TablePrev "table-prev" "table back" "Select the previous table";
    PolicyNext "policy-next" "policy" "Show the counters of the next IPsec policy";
    PolicyPrev "policy-prev" "policy back" "Show the counters of the previous IPsec policy";
    Passthrough "passthrough" "passthrough" "Passthrough: keys go to the router until pressed again";
    HistoryPrev "history-prev" "history" "Previous command from the history";
    HistoryNext "history-next" "history fwd" "Next command from the history";
    Complete "complete" "complete" "Complete a known show command";
    RouterNext "router-next" "router" "Show the other router (the other end of the tunnel)";
    ShowDebugIpsec "show-debug-ipsec" "show debug" "Run show debug ipsec, save it next to the capture and read it";
    Bundle "bundle" "bundle" "Write the evidence bundle (capture, tables, counters, pings, findings)";
    ReplayPause "replay-pause" "pause" "Replay: pause or go on";
    ReplayStep "replay-step" "step" "Replay: one record forward while paused";
    ReplayFaster "replay-faster" "faster" "Replay: twice as fast";
    ReplaySlower "replay-slower" "slower" "Replay: half as fast";
    ReplayNext "replay-next" "next failure" "Replay: jump to the next failure or finding";
}

impl Command {
    pub fn from_name(name: &str) -> Option<Command> {
        Command::ALL.iter().copied().find(|c| c.name() == name)
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a binding applies. The panes' contexts are looked up before `global`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    /// Everywhere, unless the focused pane binds the same key; alone while a dialog or the
    /// help overlay is open.
    Global,
    Debug,
    Tables,
    Counters,
    Doctor,
    /// The two ends compared (two routers).
    Tunnel,
    /// While a line is typed: the console's command line, and the search prompt. Plain
    /// characters are typed, so global bindings on plain characters do not apply here;
    /// the console pane without an open line should resolve in `Global`.
    Console,
}

impl Context {
    pub const ALL: [Context; 7] = [
        Context::Global,
        Context::Debug,
        Context::Tables,
        Context::Counters,
        Context::Doctor,
        Context::Tunnel,
        Context::Console,
    ];

    /// The table name in keymap files.
    pub fn name(self) -> &'static str {
        match self {
            Context::Global => "global",
            Context::Debug => "debug",
            Context::Tables => "tables",
            Context::Counters => "counters",
            Context::Doctor => "doctor",
            Context::Tunnel => "tunnel",
            Context::Console => "console",
        }
    }

    /// A line for the help overlay and the listing.
    pub fn description(self) -> &'static str {
        match self {
            Context::Global => "everywhere, unless the focused pane binds the key",
            Context::Debug => "the debug stream",
            Context::Tables => "ISAKMP SAs, exchanges and IPsec SAs",
            Context::Counters => "counter deltas and the ping runner",
            Context::Doctor => "the findings",
            Context::Tunnel => "both ends compared: SA and SPI pairs, configuration, packet path",
            Context::Console => "while typing the command line or a search (characters are typed)",
        }
    }

    pub fn from_name(name: &str) -> Option<Context> {
        Context::ALL.into_iter().find(|c| c.name() == name)
    }

    /// True where unbound plain characters are typed into a line rather than looked up in
    /// the global context.
    pub fn takes_text(self) -> bool {
        self == Context::Console
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_kebab_case_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for &command in Command::ALL {
            let name = command.name();
            assert!(seen.insert(name), "{name} twice");
            assert!(
                name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{name}"
            );
            assert_eq!(Command::from_name(name), Some(command));
            assert!(!command.description().is_empty() && !command.hint().is_empty());
        }
        for context in Context::ALL {
            assert_eq!(Context::from_name(context.name()), Some(context));
            assert_eq!(Context::ALL[context.index()], context);
        }
    }
}
