//! AlliedWare command lines: splitting into words, keyword abbreviation, and knowing which
//! display a command produces (`sh isa sa` and `SHOW ISAKMP SA` are the same display).

/// The displays tunnelscope can parse, plus the compound `show debug ipsec`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Display {
    IsakmpSa,
    IsakmpSaDetail,
    IsakmpExchange,
    IsakmpExchangeDetail,
    IpsecSa,
    IpsecSaDetail,
    Counters,
    IpInterface,
    Config,
    Log,
    /// `show debug ipsec`: many displays one after the other.
    DebugIpsec,
    /// Any other command: its output is kept raw.
    Other,
}

impl Display {
    /// The canonical command that shows this display (for displays found without a prompt).
    pub fn default_command(self) -> &'static str {
        match self {
            Display::IsakmpSa => "show isakmp sa",
            Display::IsakmpSaDetail => "show isakmp sa detail",
            Display::IsakmpExchange => "show isakmp exchange",
            Display::IsakmpExchangeDetail => "show isakmp exchange detail",
            Display::IpsecSa => "show ipsec sa",
            Display::IpsecSaDetail => "show ipsec sa detail",
            Display::Counters => "counters",
            Display::IpInterface => "show ip interface",
            Display::Config => "show config dynamic",
            Display::Log => "show log",
            Display::DebugIpsec => "show debug ipsec",
            Display::Other => "",
        }
    }
}

/// A command line as typed, and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub typed: String,
    /// Keywords spelt out in full and in lower case, values as typed.
    pub canonical: String,
    pub display: Display,
}

/// One word of a command: `keyword` or `keyword=value` (value unquoted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub key: String,
    pub value: Option<String>,
}

/// Split a command line into words; double quotes keep spaces inside a value.
pub fn split_words(line: &str) -> Vec<Word> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_quotes = false;
    let mut any = false;
    for c in line.chars() {
        match c {
            '"' => {
                in_quotes = !in_quotes;
                any = true;
            }
            c if c.is_whitespace() && !in_quotes => {
                if any {
                    words.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            c => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        words.push(cur);
    }
    words
        .into_iter()
        .map(|w| match w.split_once('=') {
            Some((k, v)) => Word {
                key: k.to_string(),
                value: Some(v.to_string()),
            },
            None => Word {
                key: w,
                value: None,
            },
        })
        .collect()
}

/// True when `typed` is an abbreviation of `full` at least `min` letters long (any case).
pub fn abbrev(typed: &str, full: &str, min: usize) -> bool {
    let t = typed.len();
    t >= min.min(full.len())
        && t <= full.len()
        && full.as_bytes()[..t].eq_ignore_ascii_case(typed.as_bytes())
}

/// The command verbs of the CLI, with the shortest abbreviation accepted for each.
const VERBS: &[(&str, usize)] = &[
    ("show", 2),
    ("set", 2),
    ("create", 2),
    ("destroy", 3),
    ("add", 2),
    ("delete", 3),
    ("enable", 2),
    ("disable", 3),
    ("reset", 3),
    ("purge", 2),
    ("ping", 2),
    ("trace", 2),
    ("login", 4),
    ("logoff", 4),
    ("logout", 4),
    ("help", 2),
    ("activate", 2),
    ("deactivate", 3),
    ("edit", 2),
    ("load", 3),
    ("upload", 2),
    ("restart", 4),
    ("telnet", 3),
    ("ssh", 3),
    ("clear", 3),
    ("stop", 3),
    ("connect", 4),
    ("disconnect", 4),
    ("dump", 2),
    ("modify", 3),
    ("rename", 3),
    ("upgrade", 3),
    ("mail", 3),
];

/// The command that ends a console session and returns the port to its login prompt.
/// ALLIEDWARE.md (section 1, "Ending a session") calls it likely, with `logout` accepted too:
/// this is the one place that knows it (the session sends it, the simulator obeys it).
pub const LOGOFF: &str = "logoff";

/// True when `line` (typed at a prompt) ends the session: `logoff` or `logout`, abbreviated
/// to four letters at least, in any case, with nothing after it.
pub fn is_logoff(line: &str) -> bool {
    let mut words = line.split_whitespace();
    let first = words.next().unwrap_or("");
    words.next().is_none() && (abbrev(first, LOGOFF, 4) || abbrev(first, "logout", 4))
}

/// True when the first word of `text` is a CLI verb (or `?`), so `text` was typed at a prompt.
pub fn looks_like_command(text: &str) -> bool {
    let first = text.split_whitespace().next().unwrap_or("");
    if first == "?" {
        return true;
    }
    let key = first.split('=').next().unwrap_or("");
    key.bytes().all(|b| b.is_ascii_alphabetic()) && VERBS.iter().any(|(v, m)| abbrev(key, v, *m))
}

/// Keywords that follow `show`, with minimum abbreviations, for canonical spelling.
const SHOW_WORDS: &[(&str, usize)] = &[
    ("isakmp", 2),
    ("ipsec", 3),
    ("ip", 2),
    ("interface", 1),
    ("sa", 2),
    ("exchange", 2),
    ("counters", 3),
    ("policy", 2),
    ("config", 4),
    ("dynamic", 2),
    ("log", 2),
    ("debug", 3),
    ("detail", 3),
    ("enco", 2),
    ("channel", 2),
    ("module", 3),
    ("firewall", 2),
    ("sabundle", 3),
    ("system", 2),
];

fn full_word(typed: &str, pos: usize) -> String {
    // `ip` and `ipsec` share a prefix: the exact word wins.
    if typed.eq_ignore_ascii_case("ip") && pos == 1 {
        return "ip".into();
    }
    if typed.eq_ignore_ascii_case("sa") {
        return "sa".into();
    }
    if pos == 0 && abbrev(typed, "show", 2) {
        return "show".into();
    }
    for (w, m) in SHOW_WORDS {
        if abbrev(typed, w, *m) {
            return (*w).to_string();
        }
    }
    // `counter` (singular) is accepted by the router too.
    if typed.eq_ignore_ascii_case("counter") {
        return "counters".into();
    }
    typed.to_ascii_lowercase()
}

/// Recognise a command as typed at the prompt.
pub fn recognise(typed: &str) -> Command {
    let words = split_words(typed);
    let full: Vec<(String, Option<&str>)> = words
        .iter()
        .enumerate()
        .map(|(i, w)| (full_word(&w.key, i), w.value.as_deref()))
        .collect();
    let canonical = full
        .iter()
        .map(|(k, v)| match v {
            Some(v) if v.contains(' ') => format!("{k}=\"{v}\""),
            Some(v) => format!("{k}={v}"),
            None => k.clone(),
        })
        .collect::<Vec<_>>()
        .join(" ");
    let keys: Vec<&str> = full.iter().map(|(k, _)| k.as_str()).collect();
    let has = |k: &str| keys.contains(&k);
    let value_of = |k: &str| full.iter().find(|(w, _)| w == k).and_then(|(_, v)| *v);
    let display = match keys.as_slice() {
        ["show", "isakmp", rest @ ..] => {
            if has("counters") {
                Display::Counters
            } else if rest.first() == Some(&"sa") {
                if value_of("sa").is_some() || has("detail") {
                    Display::IsakmpSaDetail
                } else {
                    Display::IsakmpSa
                }
            } else if rest.first() == Some(&"exchange") {
                if value_of("exchange").is_some() || has("detail") {
                    Display::IsakmpExchangeDetail
                } else {
                    Display::IsakmpExchange
                }
            } else {
                Display::Other
            }
        }
        ["show", "ipsec", rest @ ..] => {
            if has("counters") {
                Display::Counters
            } else if rest.first() == Some(&"sa") {
                if value_of("sa").is_some() || has("detail") {
                    Display::IpsecSaDetail
                } else {
                    Display::IpsecSa
                }
            } else {
                Display::Other
            }
        }
        ["show", "enco", ..] if has("counters") => Display::Counters,
        ["show", "ip", "interface", ..] => Display::IpInterface,
        ["show", "config", "dynamic", ..] => Display::Config,
        ["show", "log", ..] => Display::Log,
        ["show", "debug", "ipsec"] => Display::DebugIpsec,
        _ => Display::Other,
    };
    Command {
        typed: typed.trim().to_string(),
        canonical,
        display,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abbreviations_and_case() {
        for (typed, display, canon) in [
            ("show isakmp sa", Display::IsakmpSa, "show isakmp sa"),
            ("sh isa sa", Display::IsakmpSa, "show isakmp sa"),
            ("SHOW IPSEC SA", Display::IpsecSa, "show ipsec sa"),
            (
                "show isakmp exch",
                Display::IsakmpExchange,
                "show isakmp exchange",
            ),
            ("sh ips sa=3", Display::IpsecSaDetail, "show ipsec sa=3"),
            (
                "show isakmp sa=1",
                Display::IsakmpSaDetail,
                "show isakmp sa=1",
            ),
            (
                "show ipsec policy=\"wiz_Peer1 to Peer2\" counter",
                Display::Counters,
                "show ipsec policy=\"wiz_Peer1 to Peer2\" counters",
            ),
            (
                "sh ipsec pol=vpn cou",
                Display::Counters,
                "show ipsec policy=vpn counters",
            ),
            (
                "show ipsec counters",
                Display::Counters,
                "show ipsec counters",
            ),
            (
                "show ipsec sa counters",
                Display::Counters,
                "show ipsec sa counters",
            ),
            (
                "show isakmp counters=general",
                Display::Counters,
                "show isakmp counters=general",
            ),
            ("show ip int", Display::IpInterface, "show ip interface"),
            (
                "show config dynam=ipsec",
                Display::Config,
                "show config dynamic=ipsec",
            ),
            (
                "show config dynamic",
                Display::Config,
                "show config dynamic",
            ),
            (
                "show log module=isakmp",
                Display::Log,
                "show log module=isakmp",
            ),
            ("show debug ipsec", Display::DebugIpsec, "show debug ipsec"),
            ("show system", Display::Other, "show system"),
            ("show config", Display::Other, "show config"),
        ] {
            let c = recognise(typed);
            assert_eq!(c.display, display, "{typed}");
            assert_eq!(c.canonical, canon, "{typed}");
        }
    }

    #[test]
    fn quoted_values() {
        let w = split_words("create ipsec pol=\"wiz_Peer1 to Peer2\" int=eth0");
        assert_eq!(w[2].key, "pol");
        assert_eq!(w[2].value.as_deref(), Some("wiz_Peer1 to Peer2"));
        assert_eq!(w.len(), 4);
    }

    #[test]
    fn commands_versus_text() {
        assert!(looks_like_command("sh isa sa"));
        assert!(looks_like_command("enable isakmp debug=all"));
        assert!(looks_like_command("?"));
        assert!(!looks_like_command("ISAKMP: phase 1 done"));
        assert!(!looks_like_command("Main mode completed"));
        assert!(!looks_like_command(""));
    }

    #[test]
    fn logoff_and_its_spellings() {
        for l in ["logoff", "LOGOFF", " logo ", "logout", "logou"] {
            assert!(is_logoff(l), "{l}");
        }
        for l in ["log", "logoffx", "login", "logoff now", "", "show logoff"] {
            assert!(!is_logoff(l), "{l}");
        }
    }
}
