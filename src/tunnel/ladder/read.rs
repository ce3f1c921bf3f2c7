//! Reading one debug line for the ladder: which IKEv1 messages it says were sent or received
//! (with their payloads as the line names them), and whether it starts, completes, retransmits
//! or gives up on an exchange. Two shapes of text are read: prose in the IKEv1 vocabulary
//! ("sending KE and nonce payloads (MM3)", "received notify NO-PROPOSAL-CHOSEN (14) from ...")
//! and charon's message lines ("generating QUICK_MODE request 1124183840 [ HASH SA No ID ID ]").
//! Vendor-neutral: no command text, only the protocol's words.

use regex::Regex;
use std::sync::OnceLock;

/// The exchange a message belongs to, by IKEv1 exchange type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Main,
    Aggressive,
    Quick,
    Info,
}

impl Kind {
    /// Messages in the exchange (an informational exchange is one message, unnumbered).
    pub fn messages(self) -> u8 {
        match self {
            Kind::Main => 6,
            Kind::Aggressive | Kind::Quick => 3,
            Kind::Info => 0,
        }
    }

    /// The prefix of a numbered message ("MM3").
    pub fn prefix(self) -> &'static str {
        match self {
            Kind::Main => "MM",
            Kind::Aggressive => "AM",
            Kind::Quick => "QM",
            Kind::Info => "INFO",
        }
    }

    /// "quick mode, phase 2".
    pub fn phrase(self) -> &'static str {
        match self {
            Kind::Main => "main mode, phase 1",
            Kind::Aggressive => "aggressive mode, phase 1",
            Kind::Quick => "quick mode, phase 2",
            Kind::Info => "informational",
        }
    }

    pub fn is_phase1(self) -> bool {
        matches!(self, Kind::Main | Kind::Aggressive)
    }

    /// From a name as a log or an exchange table prints it.
    pub fn from_name(s: &str) -> Option<Kind> {
        let s = s.to_ascii_uppercase();
        Some(match s.as_str() {
            "MAIN" | "ID_PROT" | "MM" => Kind::Main,
            "AGGRESSIVE" | "AM" => Kind::Aggressive,
            "QUICK" | "QUICK_MODE" | "QM" => Kind::Quick,
            "INFO" | "INFORMATIONAL" | "INFORMATIONAL_V1" => Kind::Info,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dir {
    Sent,
    Received,
}

/// One message a line names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    pub dir: Dir,
    pub kind: Option<Kind>,
    /// The message number the line gives ("MM3" -> 3).
    pub number: Option<u8>,
    /// Payloads as the line names them ("SA", "KE", "NONCE", "N(NO-PROPOSAL-CHOSEN)", "D").
    pub payloads: Vec<String>,
    /// The first notify payload's name, normalised ("NO-PROPOSAL-CHOSEN"), or "D" for a delete.
    pub info: Option<String>,
    /// The message ID the line gives (charon).
    pub message_id: Option<String>,
    /// No verb: the line only says what came "from" the peer (a proposal, a HASH).
    pub implied: bool,
    /// A packet that came in but could not be read.
    pub unparsed: bool,
}

/// What one line says about the exchanges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    Start {
        kind: Option<Kind>,
        initiator: bool,
    },
    Message(Clause),
    /// A message sent again: its number when the line gives it, charon's count and message ID.
    Retransmit {
        number: Option<u8>,
        message_id: Option<String>,
    },
    /// The exchange finished; `phase1` for an ISAKMP SA, else an IPsec SA.
    Complete {
        phase1: bool,
    },
    /// The retransmission limit or a time-out.
    GiveUp,
    /// A packet arrived; the next line says what it was (charon).
    PacketIn,
}

/// The peer address a line names ("to 200.200.200.2", "from ...", "with ...").
pub fn peer_of(text: &str) -> Option<String> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"\b(?:to|from|with|by)\s+(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})\b(?:[^\[]|$)")
            .expect("valid regex")
    });
    re.captures(text).map(|c| c[1].to_string())
}

/// A time of day at the head of a line ("Nov 29 21:18:11 13[IKE] ...", "21:18:11.250 ...").
pub fn time_in_text(text: &str) -> Option<jiff::civil::Time> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"^\s*\[?(?:\d{4}-\d{2}-\d{2}[T ]|[A-Z][a-z]{2}\s+\d{1,2}\s+)?(\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)\b")
            .expect("valid regex")
    });
    re.captures(text).and_then(|c| c[1].parse().ok())
}

/// A time as `DebugEvent::time` gives it (`[YYYY-MM-DDT]HH:MM:SS[.fff]`).
pub fn parse_time(s: &str) -> Option<jiff::civil::Time> {
    let t = s.trim();
    let t = t.rsplit(['T', ' ']).next().unwrap_or(t);
    t.parse().ok()
}

/// The notify name in the standard spelling: upper case, words joined by `-`, charon's
/// abbreviations spelled out (so both ends' names compare).
pub fn normalise_notify(name: &str) -> String {
    let n = name.trim().to_ascii_uppercase().replace(['_', ' '], "-");
    let full = match n.as_str() {
        "NO-PROP" => "NO-PROPOSAL-CHOSEN",
        "PLD-MAL" => "PAYLOAD-MALFORMED",
        "AUTH-FAILED" => "AUTHENTICATION-FAILED",
        "INVAL-ID" => "INVALID-ID-INFORMATION",
        "INVAL-SPI" => "INVALID-SPI",
        "INVAL-COOKIE" => "INVALID-COOKIE",
        "HEARTBEAT" | "DPD" => "R-U-THERE",
        "DPD-ACK" => "R-U-THERE-ACK",
        other => other,
    };
    full.to_string()
}

/// Error notifies (RFC 2408 types below 16384), normalised: a notify that ends a negotiation.
pub fn is_error_notify(name: &str) -> bool {
    const ERRORS: [&str; 30] = [
        "INVALID-PAYLOAD-TYPE",
        "DOI-NOT-SUPPORTED",
        "SITUATION-NOT-SUPPORTED",
        "INVALID-COOKIE",
        "INVALID-MAJOR-VERSION",
        "INVALID-MINOR-VERSION",
        "INVALID-EXCHANGE-TYPE",
        "INVALID-FLAGS",
        "INVALID-MESSAGE-ID",
        "INVALID-PROTOCOL-ID",
        "INVALID-SPI",
        "INVALID-TRANSFORM-ID",
        "ATTRIBUTES-NOT-SUPPORTED",
        "NO-PROPOSAL-CHOSEN",
        "BAD-PROPOSAL-SYNTAX",
        "PAYLOAD-MALFORMED",
        "INVALID-KEY-INFORMATION",
        "INVALID-ID-INFORMATION",
        "INVALID-CERT-ENCODING",
        "INVALID-CERTIFICATE",
        "CERT-TYPE-UNSUPPORTED",
        "INVALID-CERT-AUTHORITY",
        "INVALID-HASH-INFORMATION",
        "AUTHENTICATION-FAILED",
        "INVALID-SIGNATURE",
        "ADDRESS-NOTIFICATION",
        "NOTIFY-SA-LIFETIME",
        "CERTIFICATE-UNAVAILABLE",
        "UNSUPPORTED-EXCHANGE-TYPE",
        "UNEQUAL-PAYLOAD-LENGTHS",
    ];
    ERRORS.contains(&normalise_notify(name).as_str())
}

/// The error notify a line names, as the line spells it ("NO-PROPOSAL-CHOSEN", "NO_PROP").
pub fn error_named(text: &str) -> Option<String> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"\b([A-Z][A-Z0-9]*(?:[-_][A-Z0-9]+)+)\b").expect("valid regex")
    });
    re.captures_iter(text)
        .map(|c| c[1].to_string())
        .find(|n| is_error_notify(n))
}

struct Res {
    charon_line: Regex,
    charon_msg: Regex,
    charon_retx: Regex,
    start: Regex,
    verb: Regex,
    numbered: Regex,
    payload: Regex,
    notify: Regex,
    implied: Regex,
    retransmitting: Regex,
}

fn res() -> &'static Res {
    static RES: OnceLock<Res> = OnceLock::new();
    RES.get_or_init(|| Res {
        charon_line: Regex::new(r"(?:^|\s)\d{1,2}\[[A-Z]{3}\]\s").expect("valid regex"),
        charon_msg: Regex::new(
            r"\b(generating|parsed)\s+(ID_PROT|AGGRESSIVE|QUICK_MODE|INFORMATIONAL_V1|TRANSACTION)\s+(?:request|response)\s+(\d+)\s*\[\s*([^\]]*)\]",
        )
        .expect("valid regex"),
        charon_retx: Regex::new(r"\bsending retransmit\s+\d+\s+of\s+(?:request|response)\s+message ID\s+(\d+)")
            .expect("valid regex"),
        start: Regex::new(
            r"(?i)\b(main|aggressive|quick)\s+mode\b.*\b(initiated|started|initiating)\b|\b(initiating|initiated)\s+(main|aggressive|quick)\s+mode\b|\bis initiating an?\s+(main|aggressive)\s+mode\b",
        )
        .expect("valid regex"),
        verb: Regex::new(r"(?i)\b(sending|sent|received|receiving)\b").expect("valid regex"),
        numbered: Regex::new(r"\b(MM|AM|QM)\s?([1-6])\b").expect("valid regex"),
        payload: Regex::new(r"\b(SA|KE|[Nn]once|NONCE|ID|HASH(?:_[IR])?|SIG|CERT|CERTREQ|NAT-D)\b")
            .expect("valid regex"),
        notify: Regex::new(r"(?i)\bnotify\s+([A-Z][A-Z0-9_-]*[A-Z0-9])|\((R-U-THERE(?:-ACK)?)\)|\b(R-U-THERE(?:-ACK)?)\b")
            .expect("valid regex"),
        implied: Regex::new(
            r"(?i)\b(proposal|payloads?|IDs?|HASH(?:_[IR])?|\((?:MM|AM|QM)[1-6]\))\s+from\s+\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}",
        )
        .expect("valid regex"),
        retransmitting: Regex::new(r"(?i)\bretransmitting\b(?:\s+(MM|AM|QM)([1-6]))?").expect("valid regex"),
    })
}

fn kind_in_words(text: &str) -> Option<Kind> {
    let t = text.to_ascii_lowercase();
    if t.contains("main mode") {
        Some(Kind::Main)
    } else if t.contains("aggressive mode") {
        Some(Kind::Aggressive)
    } else if t.contains("quick mode") {
        Some(Kind::Quick)
    } else {
        None
    }
}

/// What `text` says about the exchanges, in the order it says it.
pub fn read(text: &str) -> Vec<Fact> {
    let r = res();
    let lower = text.to_ascii_lowercase();
    // Cheap word tests gate the regexes: most lines of a stream are no message.
    let charon_words = text.contains("generating ") || text.contains("parsed ");
    // charon: one message line, a retransmission, a packet in.
    if let Some(c) = charon_words.then(|| r.charon_msg.captures(text)).flatten() {
        let kind = Kind::from_name(&c[2]);
        let payloads: Vec<String> = c[4].split_whitespace().map(str::to_string).collect();
        // A notify inside a main mode message (INITIAL_CONTACT in MM5) is not an exchange.
        let info = if kind == Some(Kind::Info) {
            info_of(&payloads)
        } else {
            None
        };
        return vec![Fact::Message(Clause {
            dir: if &c[1] == "generating" {
                Dir::Sent
            } else {
                Dir::Received
            },
            kind,
            number: None,
            payloads,
            info,
            message_id: Some(c[3].to_string()),
            implied: false,
            unparsed: false,
        })];
    }
    if let Some(c) = text
        .contains("sending retransmit")
        .then(|| r.charon_retx.captures(text))
        .flatten()
    {
        return vec![Fact::Retransmit {
            number: None,
            message_id: Some(c[1].to_string()),
        }];
    }
    if lower.contains("received packet: from") {
        return vec![Fact::PacketIn];
    }
    if lower.contains("giving up")
        || lower.contains("timed out")
        || lower.contains("peer not responding")
    {
        return vec![Fact::GiveUp];
    }
    if let Some(c) = lower
        .contains("retransmitting")
        .then(|| r.retransmitting.captures(text))
        .flatten()
    {
        let number = c.get(2).and_then(|m| m.as_str().parse().ok());
        return vec![Fact::Retransmit {
            number,
            message_id: None,
        }];
    }
    if is_completion(&lower) {
        let phase1 = lower.contains("isakmp sa")
            || lower.contains("phase 1")
            || lower.contains("=> established");
        return vec![Fact::Complete { phase1 }];
    }
    let mut facts = Vec::new();
    let charon = text.contains('[') && r.charon_line.is_match(text);
    let starts = lower.contains("initiat") || lower.contains("started");
    if let Some(c) = starts.then(|| r.start.captures(text)).flatten() {
        let word = c
            .get(1)
            .or(c.get(4))
            .or(c.get(5))
            .map(|m| m.as_str())
            .unwrap_or("");
        let kind = Kind::from_name(&word.to_ascii_uppercase()).or_else(|| kind_in_words(text));
        facts.push(Fact::Start {
            kind,
            initiator: !lower.contains("is initiating"),
        });
        return facts;
    }
    // charon names its messages only in its message lines (read above); its other lines
    // ("received DPD vendor ID") are not messages.
    if charon {
        return facts;
    }
    // Prose: a clause per verb ("received KE and nonce (MM3) from X, sending MM4").
    let has_verb = lower.contains("sen") || lower.contains("receiv");
    let verbs: Vec<(usize, Dir)> = r
        .verb
        .captures_iter(if has_verb { text } else { "" })
        .filter_map(|c| {
            let m = c.get(1)?;
            let before = lower[..m.start()].trim_end();
            // "no heartbeat received", "no delete sent": nothing went.
            if before.ends_with("no heartbeat")
                || before.ends_with("no delete")
                || before.ends_with("no")
            {
                return None;
            }
            let dir = if m.as_str().to_ascii_lowercase().starts_with("s") {
                Dir::Sent
            } else {
                Dir::Received
            };
            Some((m.start(), dir))
        })
        .collect();
    let line_kind = kind_in_words(text);
    if verbs.is_empty() {
        if let Some(m) = text
            .contains(" from ")
            .then(|| r.implied.find(text))
            .flatten()
        {
            let span = &text[..m.end()];
            facts.push(Fact::Message(prose_clause(
                span,
                Dir::Received,
                line_kind,
                true,
            )));
        } else if lower.contains("acknowledged by") && lower.contains("heartbeat") {
            facts.push(Fact::Message(Clause {
                dir: Dir::Received,
                kind: Some(Kind::Info),
                number: None,
                payloads: vec!["N(R-U-THERE-ACK)".into()],
                info: Some("R-U-THERE-ACK".into()),
                message_id: None,
                implied: false,
                unparsed: false,
            }));
        }
        return facts;
    }
    for (i, (at, dir)) in verbs.iter().enumerate() {
        let end = verbs.get(i + 1).map_or(text.len(), |v| v.0);
        // The first clause keeps what comes before its verb ("heartbeat received from").
        let span = &text[if i == 0 { 0 } else { *at }..end];
        facts.push(Fact::Message(prose_clause(span, *dir, line_kind, false)));
    }
    // A clause with nothing in it ("heartbeat received from ..." is a heartbeat).
    facts.retain(|f| match f {
        Fact::Message(c) => c.number.is_some() || !c.payloads.is_empty(),
        _ => true,
    });
    facts
}

fn is_completion(lower: &str) -> bool {
    (lower.contains("complete")
        && !lower.contains("incomplete")
        && (lower.contains("mode") || lower.contains("phase")))
        || lower.contains("state change: connecting => established")
        || (lower.contains("child_sa") && lower.contains(" established"))
}

fn info_of(payloads: &[String]) -> Option<String> {
    payloads.iter().find_map(|p| {
        if let Some(n) = p.strip_prefix("N(").and_then(|n| n.strip_suffix(')')) {
            Some(normalise_notify(n))
        } else if p == "D" {
            Some("D".to_string())
        } else {
            None
        }
    })
}

fn prose_clause(span: &str, dir: Dir, line_kind: Option<Kind>, implied: bool) -> Clause {
    let r = res();
    // The peer's address and what follows it ("to X, state KESENT") are not payloads.
    let body = match span.find(" to ").or(span.find(" from ")) {
        Some(i) => &span[..i],
        None => span,
    };
    let numbered = r.numbered.captures(span);
    let number = numbered.as_ref().and_then(|c| c[2].parse().ok());
    let mut kind = numbered
        .as_ref()
        .and_then(|c| Kind::from_name(&c[1]))
        .or(line_kind);
    let mut payloads: Vec<String> = Vec::new();
    let mut info = None;
    let lower = body.to_ascii_lowercase();
    if let Some(c) = r.notify.captures(span) {
        let name = c
            .get(1)
            .or(c.get(2))
            .or(c.get(3))
            .map(|m| m.as_str())
            .unwrap_or("");
        payloads.push(format!("N({name})"));
        info = Some(normalise_notify(name));
    } else if lower.contains("heartbeat") {
        payloads.push("N(R-U-THERE)".into());
        info = Some("R-U-THERE".into());
    } else if lower.contains("delete") {
        payloads.push("D".into());
        info = Some("D".into());
    } else {
        let body = body.replace("vendor ID", "");
        for m in r.payload.find_iter(&body) {
            let p = match m.as_str() {
                "nonce" | "Nonce" => "NONCE",
                other => other,
            };
            payloads.push(p.to_string());
        }
    }
    let number = if info.is_some() {
        kind = Some(Kind::Info);
        None
    } else {
        number
    };
    Clause {
        dir,
        kind,
        number,
        payloads,
        info,
        message_id: None,
        implied,
        unparsed: false,
    }
}
