//! Tables read from the router's displays: SAs, exchanges, counters, interfaces, log entries.

use serde::Serialize;

/// A `hard/soft/used` triple of an SA lifetime; `None` where the router printed `-`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Limits {
    pub hard: Option<u64>,
    pub soft: Option<u64>,
    pub used: Option<u64>,
}

impl Limits {
    /// All three printed as `0`: the router's mark of an SA still in preparation.
    pub fn all_zero(&self) -> bool {
        self.hard == Some(0) && self.soft == Some(0) && self.used == Some(0)
    }
}

/// One phase 1 (ISAKMP / IKE) security association.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IkeSa {
    pub sa_id: u32,
    pub peer: String,
    /// `None` where the router printed `-` (not negotiated yet).
    pub encryption: Option<String>,
    pub hash: Option<String>,
    pub bytes: Limits,
    pub seconds: Limits,
    /// Algorithms agreed and limits set: negotiation finished.
    pub established: bool,
    /// 1-based line of the row in its source (0 when unknown).
    pub line: usize,
}

/// One IKE exchange in progress (phase 1, 1.5, 2 or informational).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exchange {
    pub id: u32,
    /// `"1"`, `"1.5"`, `"2"` as printed.
    pub phase: String,
    pub state: String,
    pub peer: String,
    /// `MAIN`, `AGGRESSIVE`, `QUICK`, `INFO`, `TRANSACTION` as printed.
    #[serde(rename = "type")]
    pub kind: String,
    /// How long the exchange has been seen in this state (live sessions only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_state_secs: Option<u64>,
    pub line: usize,
}

impl Exchange {
    /// A state in which this side sent a message and waits for the peer's answer.
    pub fn is_waiting_for_peer(&self) -> bool {
        let s = self.state.to_ascii_uppercase();
        s.ends_with("SENT") || s.starts_with("WAIT")
    }
}

/// One IPsec (phase 2) security association; one row per protocol of a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IpsecSa {
    pub sa_id: u32,
    pub policy: String,
    pub bundle: Option<u32>,
    pub state: String,
    pub protocol: String,
    pub out_spi: Option<u32>,
    pub in_spi: Option<u32>,
    pub line: usize,
}

impl IpsecSa {
    pub fn is_valid(&self) -> bool {
        self.state.eq_ignore_ascii_case("valid")
    }
}

/// A detail display (`Label ..... value`), fields in the order printed, nesting by dotted path.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Detail {
    pub command: String,
    pub fields: Vec<DetailField>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DetailField {
    /// Labels of the enclosing blocks and this one, joined with ` / `.
    pub path: String,
    pub label: String,
    pub value: String,
    pub depth: usize,
}

impl Detail {
    /// First field whose label matches, ignoring case and surrounding space.
    pub fn get(&self, label: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|f| f.label.eq_ignore_ascii_case(label.trim()))
            .map(|f| f.value.as_str())
    }
}

/// One counter of a counter display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Counter {
    /// The command whose output held it, as the user typed it.
    pub command: String,
    /// The section title above it (empty when none was printed).
    pub section: String,
    pub name: String,
    pub value: u64,
    pub line: usize,
}

/// An IP interface of the router.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Interface {
    pub name: String,
    /// `None` for `Not set`.
    pub address: Option<String>,
    pub mask: Option<String>,
    /// Every other column of the display, by header name.
    pub fields: Vec<(String, String)>,
    pub line: usize,
}

/// One entry of the router's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogEntry {
    pub time: String,
    pub module: String,
    pub kind: String,
    pub severity: String,
    pub message: String,
    pub line: usize,
}

/// Output that no parser understood, kept so nothing is lost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RawOutput {
    pub command: String,
    /// 1-based line number of the first kept line in its source, 0 when unknown.
    pub line: usize,
    pub lines: Vec<String>,
    pub warning: String,
}

/// The latest reading of every display, as one router state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Snapshot {
    /// The router's system name, learnt from its prompt.
    pub system_name: Option<String>,
    pub ike_sas: Vec<IkeSa>,
    pub exchanges: Vec<Exchange>,
    pub ipsec_sas: Vec<IpsecSa>,
    pub counters: Vec<Counter>,
    pub interfaces: Vec<Interface>,
    pub config: super::Config,
    pub log: Vec<LogEntry>,
    pub details: Vec<Detail>,
    pub raw: Vec<RawOutput>,
    /// Which displays were read at all, so a check never concludes from a display it never saw.
    pub seen: Seen,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Seen {
    pub ike_sas: bool,
    pub exchanges: bool,
    pub ipsec_sas: bool,
    pub counters: bool,
    pub interfaces: bool,
    pub config: bool,
    pub log: bool,
}

impl Snapshot {
    /// Replace the counters one command printed, keeping other commands' counters.
    pub fn replace_counters(&mut self, command: &str, counters: Vec<Counter>) {
        self.counters.retain(|c| c.command != command);
        self.counters.extend(counters);
        self.seen.counters = true;
    }

    /// Replace (or add) the detail display of one command.
    pub fn replace_detail(&mut self, detail: Detail) {
        self.details.retain(|d| d.command != detail.command);
        self.details.push(detail);
    }
}
