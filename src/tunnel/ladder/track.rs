//! One end's debug stream cut into exchanges ("tracks"): each message that end sent or
//! received, numbered within its exchange (MM1-6, AM1-3, QM1-3, INFO), with the lines that
//! started, completed or ended it. Messages a line implies but does not name (MM2 between a
//! received MM1 and MM3; every message of an exchange an end says is complete) are added as
//! implied sightings, placed after the message before them.

use super::read::{self, Clause, Dir, Fact, Kind};
use crate::model::{DebugEvent, Exchange, Phase};
use jiff::civil::Time;
use std::collections::HashMap;

/// What a sighting is: a numbered message of the exchange, or an informational one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Label {
    Msg(u8),
    Info(String),
}

/// One message as one end's debug shows it.
#[derive(Debug, Clone)]
pub struct Sight {
    pub dir: Dir,
    pub label: Label,
    pub payloads: Vec<String>,
    /// 0 for the first sending, n for the n-th retransmission (or its receipt).
    pub repeat: u32,
    pub time: Option<Time>,
    /// Position in this end's stream (event index, then a sub-order for implied ones).
    pub order: (usize, u16),
    /// The debug line that names it; `None` when implied.
    pub line: Option<String>,
}

/// Why an exchange stopped, as one line of one end says it.
#[derive(Debug, Clone)]
pub struct Evidence {
    /// Lower is more explaining: 0 a refusal, 1 an error notify sent, 2 a line saying one
    /// was received, 3 the received notify itself, 4 a give-up or time-out, 5 a
    /// retransmission, 6 a failure that follows one of these (its consequence).
    pub rank: u8,
    pub text: String,
    pub time: Option<Time>,
    pub order: usize,
}

/// A message clause with the time and place of its line, and the line.
pub type Said = (Clause, Option<Time>, usize, String);
/// A retransmission: the message number the line gives, its time, place and line.
pub type Resent = (Option<u8>, Option<Time>, usize, String);

#[derive(Debug, Clone, Default)]
pub struct Track {
    pub id: Option<u32>,
    pub message_ids: Vec<String>,
    pub kind: Option<Kind>,
    /// The phase the classifier gave its lines (a responder's lines name no mode).
    pub phase: Option<Phase>,
    pub initiator: Option<bool>,
    pub sights: Vec<Sight>,
    pub clauses: Vec<Said>,
    pub retransmits: Vec<Resent>,
    pub start: Option<(Option<Time>, usize)>,
    pub complete: Option<(Option<Time>, usize, String)>,
    pub evidence: Vec<Evidence>,
    pub closed: bool,
    pub peer: Option<String>,
    pub first: usize,
    pub last: usize,
    pub first_time: Option<Time>,
    /// The state the exchange table shows, when it lists this exchange.
    pub state: Option<String>,
}

impl Track {
    pub fn class(&self) -> Option<Kind> {
        match self.kind {
            Some(Kind::Aggressive) => Some(Kind::Main),
            Some(k) => Some(k),
            None => match self.phase {
                Some(Phase::One) => Some(Kind::Main),
                Some(Phase::Two) => Some(Kind::Quick),
                Some(Phase::Info) => Some(Kind::Info),
                _ => None,
            },
        }
    }

    pub fn failed(&self) -> bool {
        self.evidence.iter().any(|e| e.rank <= 4 || e.rank == 6)
    }

    pub fn is_negotiation(&self) -> bool {
        self.class().is_some_and(|k| k != Kind::Info)
    }
}

fn class_of(kind: Option<Kind>, phase: Phase) -> Option<Kind> {
    match kind {
        Some(Kind::Aggressive) => Some(Kind::Main),
        Some(k) => Some(k),
        None => match phase {
            Phase::One => Some(Kind::Main),
            Phase::Two => Some(Kind::Quick),
            _ => None,
        },
    }
}

/// Cut one end's events into tracks, in the order they began.
pub fn tracks(events: &[(Option<Time>, &DebugEvent)], table: &[Exchange]) -> Vec<Track> {
    let mut t: Vec<Track> = Vec::new();
    let mut by_id: HashMap<u32, usize> = HashMap::new();
    let mut by_mid: HashMap<String, usize> = HashMap::new();
    let mut last_neg: Option<usize> = None;
    let mut last_info: Option<usize> = None;
    let mut pending_packet: Option<(Option<Time>, usize, String)> = None;
    for (order, (at, ev)) in events.iter().enumerate() {
        let time = at
            .or_else(|| ev.time.as_deref().and_then(read::parse_time))
            .or_else(|| read::time_in_text(&ev.text));
        let facts = read::read(&ev.text);
        let is_message_line = facts.iter().any(|f| {
            matches!(f, Fact::Message(c) if !c.implied)
                || matches!(f, Fact::Retransmit { .. } | Fact::GiveUp)
        });
        // A packet charon could not parse: the line after it says why.
        if let Some((pt, po, ptext)) = pending_packet.take() {
            if !facts
                .iter()
                .any(|f| matches!(f, Fact::Message(c) if c.dir == Dir::Received))
            {
                if let Some(i) = last_neg {
                    t[i].clauses.push((
                        Clause {
                            dir: Dir::Received,
                            kind: None,
                            number: None,
                            payloads: vec!["(not decrypted)".into()],
                            info: Some("?".into()),
                            message_id: None,
                            implied: false,
                            unparsed: true,
                        },
                        pt,
                        po,
                        ptext,
                    ));
                }
            }
        }
        let id = ev.exchange.exchange_id;
        let mid = ev
            .exchange
            .message_id
            .clone()
            .filter(|m| m.bytes().any(|b| b != b'0'));
        let new_track = |t: &mut Vec<Track>, kind: Option<Kind>| {
            t.push(Track {
                kind,
                phase: Some(ev.phase),
                first: order,
                last: order,
                first_time: time,
                ..Track::default()
            });
            t.len() - 1
        };
        // The track a line about `class` belongs to: by exchange id (when the track found
        // is of that class), by message ID, else the negotiation in progress.
        let find = |t: &Vec<Track>, class: Option<Kind>, open_only: bool| -> Option<usize> {
            let fits = |i: &usize| {
                let tr = &t[*i];
                class.is_none() || tr.class().is_none() || tr.class() == class
            };
            id.and_then(|id| by_id.get(&id).copied())
                .filter(fits)
                .or_else(|| {
                    mid.as_ref()
                        .and_then(|m| by_mid.get(m).copied())
                        .filter(fits)
                })
                .or_else(|| {
                    last_neg
                        .filter(fits)
                        .filter(|i| !open_only || !t[*i].closed)
                })
        };
        let mut touched: Option<usize> = None;
        for f in facts {
            match f {
                Fact::Start { kind, initiator } => {
                    // A responder may log the start after the first message it received.
                    let answering = last_neg.filter(|i| {
                        let tr = &t[*i];
                        !initiator
                            && !tr.closed
                            && tr.start.is_none()
                            && tr.clauses.iter().all(|c| c.0.dir == Dir::Received)
                    });
                    let i = match id.and_then(|id| by_id.get(&id).copied()).or(answering) {
                        Some(i)
                            if t[i].start.is_none()
                                && t[i].clauses.iter().all(|c| c.0.dir == Dir::Received) =>
                        {
                            i
                        }
                        _ => new_track(&mut t, kind),
                    };
                    t[i].kind = t[i].kind.or(kind);
                    t[i].initiator = Some(initiator);
                    t[i].start = Some((time, order));
                    touched = Some(i);
                }
                Fact::Message(c) => {
                    let class = class_of(c.kind, ev.phase);
                    let error = c.info.as_deref().is_some_and(read::is_error_notify);
                    let i = if let Some(i) = touched {
                        i
                    } else if c.kind == Some(Kind::Info) && !error {
                        // A status notify or delete: its own exchange, unless the line names
                        // one; an acknowledgement joins the request it answers.
                        let asked = |tr: &Track| {
                            tr.clauses.iter().any(|x| {
                                x.0.info.as_deref() == Some("R-U-THERE") && x.0.dir != c.dir
                            })
                        };
                        let answers = c.info.as_deref() == Some("R-U-THERE-ACK");
                        match id.and_then(|id| by_id.get(&id).copied()) {
                            Some(i) => i,
                            None => match mid.as_ref().and_then(|m| by_mid.get(m).copied()) {
                                Some(i) => i,
                                None => match last_info.filter(|i| answers && asked(&t[*i])) {
                                    Some(i) => i,
                                    None => new_track(&mut t, Some(Kind::Info)),
                                },
                            },
                        }
                    } else if error {
                        match id.and_then(|id| by_id.get(&id).copied()).or(last_neg) {
                            Some(i) => i,
                            None => new_track(&mut t, Some(Kind::Info)),
                        }
                    } else {
                        // A first message opens a new exchange once the last one is over.
                        let fresh = c.number == Some(1) && !c.implied;
                        match find(&t, class, true) {
                            Some(i)
                                if !(fresh
                                    && t[i]
                                        .clauses
                                        .iter()
                                        .any(|x| x.0.number == Some(1) && x.0.dir == c.dir)) =>
                            {
                                i
                            }
                            _ => new_track(&mut t, c.kind),
                        }
                    };
                    if c.kind != Some(Kind::Info) && t[i].kind.is_none() {
                        t[i].kind = c.kind;
                    }
                    if error {
                        let rank = if c.dir == Dir::Sent { 1 } else { 3 };
                        t[i].evidence.push(Evidence {
                            rank,
                            text: ev.text.clone(),
                            time,
                            order,
                        });
                        t[i].closed = true;
                    }
                    t[i].clauses.push((c, time, order, ev.text.clone()));
                    touched = Some(i);
                }
                Fact::Retransmit { number, message_id } => {
                    let i = match message_id
                        .filter(|m| m.bytes().any(|b| b != b'0'))
                        .and_then(|m| by_mid.get(&m).copied())
                        .or_else(|| find(&t, None, false))
                    {
                        Some(i) => i,
                        None => new_track(&mut t, None),
                    };
                    t[i].retransmits
                        .push((number, time, order, ev.text.clone()));
                    t[i].evidence.push(Evidence {
                        rank: 5,
                        text: ev.text.clone(),
                        time,
                        order,
                    });
                    touched = Some(i);
                }
                Fact::Complete { phase1 } => {
                    let class = Some(if phase1 { Kind::Main } else { Kind::Quick });
                    let found = t.iter().rposition(|tr| tr.class() == class && !tr.closed);
                    let i = match id
                        .and_then(|id| by_id.get(&id).copied())
                        .filter(|i| t[*i].class() == class && !t[*i].closed)
                        .or(found)
                    {
                        Some(i) => i,
                        None => new_track(&mut t, class),
                    };
                    if t[i].kind.is_none() {
                        t[i].kind = class;
                    }
                    t[i].complete = Some((time, order, ev.text.clone()));
                    t[i].closed = true;
                    touched = Some(i);
                }
                Fact::GiveUp => {
                    if let Some(i) = find(&t, None, false) {
                        t[i].evidence.push(Evidence {
                            rank: 4,
                            text: ev.text.clone(),
                            time,
                            order,
                        });
                        t[i].closed = true;
                        touched = Some(i);
                    }
                }
                Fact::PacketIn => {
                    pending_packet = Some((time, order, ev.text.clone()));
                }
            }
        }
        // A failure line that is no message: the refusal that explains the stop.
        if ev.failure && !is_message_line {
            let class = class_of(None, ev.phase);
            let target = touched.or_else(|| find(&t, class, false));
            if let Some(i) = target {
                let received = ev.text.to_ascii_lowercase().contains("received");
                // After a refusal or a give-up, a failure line is its consequence (the SA
                // torn down), not its explanation.
                let after = t[i].evidence.iter().any(|e| matches!(e.rank, 0 | 2 | 4));
                t[i].evidence.push(Evidence {
                    rank: if after {
                        6
                    } else if received {
                        2
                    } else {
                        0
                    },
                    text: ev.text.clone(),
                    time,
                    order,
                });
                t[i].closed = true;
                touched = Some(i);
            }
        }
        if let Some(i) = touched {
            let tr = &mut t[i];
            tr.last = order;
            if tr.first_time.is_none() {
                tr.first_time = time;
            }
            if tr.phase.is_none_or(|p| p == Phase::None) {
                tr.phase = Some(ev.phase);
            }
            if tr.peer.is_none() {
                tr.peer = read::peer_of(&ev.text);
            }
            if let Some(id) = id {
                // charon numbers IKE_SAs (one per phase 1) and CHILD_SAs apart.
                if tr.id.is_none() && !ev.text.contains("CHILD_SA") {
                    tr.id = Some(id);
                }
                by_id.entry(id).or_insert(i);
            }
            if let Some(m) = &mid {
                if !tr.message_ids.contains(m) {
                    tr.message_ids.push(m.clone());
                }
                by_mid.insert(m.clone(), i);
            }
            if tr.is_negotiation() {
                last_neg = Some(i);
            } else if tr.kind == Some(Kind::Info) {
                last_info = Some(i);
            }
        }
    }
    for tr in &mut t {
        if let Some(e) = tr.id.and_then(|id| table.iter().find(|e| e.id == id)) {
            tr.kind = tr.kind.or_else(|| Kind::from_name(&e.kind));
            tr.state = Some(e.state.clone());
            tr.peer = tr.peer.clone().or_else(|| Some(e.peer.clone()));
        }
    }
    t
}

/// Number the track's messages (the kind must be settled) and add the implied ones.
pub fn number(tr: &mut Track) {
    let kind = tr.kind.unwrap_or(match tr.class() {
        Some(k) => k,
        None => Kind::Info,
    });
    tr.kind = Some(kind);
    let max = kind.messages();
    let initiator =
        tr.initiator
            .unwrap_or_else(|| match tr.clauses.iter().find(|c| c.0.info.is_none()) {
                Some(c) => c.0.dir == Dir::Sent && !c.0.implied,
                None => tr.start.is_some(),
            });
    tr.initiator = Some(initiator);
    // Initiators send the odd messages.
    let sends = |n: u8| (n % 2 == 1) == initiator;
    let mut sights: Vec<Sight> = Vec::new();
    let mut last = [0u8; 2];
    let mut seen: HashMap<(Label, bool), u32> = HashMap::new();
    let mut push = |sights: &mut Vec<Sight>,
                    dir: Dir,
                    label: Label,
                    payloads: Vec<String>,
                    time,
                    order,
                    line| {
        let key = (label.clone(), dir == Dir::Sent);
        let n = seen.entry(key).or_insert(0);
        sights.push(Sight {
            dir,
            label,
            payloads,
            repeat: *n,
            time,
            order,
            line,
        });
        *n += 1;
    };
    // Retransmissions and clauses interleave by their place in the stream.
    let mut items: Vec<(usize, Option<&Said>, Option<&Resent>)> = tr
        .clauses
        .iter()
        .map(|c| (c.2, Some(c), None))
        .chain(tr.retransmits.iter().map(|r| (r.2, None, Some(r))))
        .collect();
    items.sort_by_key(|x| x.0);
    let mut last_sent: Option<(Label, Vec<String>)> = None;
    let mut sent_payloads: HashMap<Label, Vec<String>> = HashMap::new();
    for (_, clause, retx) in items {
        if let Some((number, time, order, text)) = retx {
            let label = match number {
                Some(n) => Some((
                    Label::Msg(*n),
                    sent_payloads
                        .get(&Label::Msg(*n))
                        .cloned()
                        .unwrap_or_default(),
                )),
                None => last_sent.clone(),
            };
            if let Some((label, payloads)) = label {
                push(
                    &mut sights,
                    Dir::Sent,
                    label,
                    payloads,
                    *time,
                    (*order, 0),
                    Some(text.clone()),
                );
            }
            continue;
        }
        let Some((c, time, order, text)) = clause else {
            continue;
        };
        let slot = usize::from(c.dir == Dir::Received);
        let label = if let Some(info) = &c.info {
            Label::Info(info.clone())
        } else if max == 0 {
            continue;
        } else {
            let number = c.number.or_else(|| {
                let want_send = c.dir == Dir::Sent;
                let next = (last[slot] + 1..=max).find(|n| sends(*n) == want_send);
                match next {
                    Some(n) => Some(n),
                    // Past the last message of that side: the same one again.
                    None if !c.implied && last[slot] > 0 => Some(last[slot]),
                    None => None,
                }
            });
            let Some(n) = number else { continue };
            if c.implied && n <= last[slot] {
                continue;
            }
            last[slot] = last[slot].max(n);
            Label::Msg(n)
        };
        if c.dir == Dir::Sent {
            last_sent = Some((label.clone(), c.payloads.clone()));
            sent_payloads
                .entry(label.clone())
                .or_insert_with(|| c.payloads.clone());
        }
        // A line that only says what came from the peer ("SA proposal from X accepted") is
        // still that end's sighting of the message.
        push(
            &mut sights,
            c.dir,
            label,
            c.payloads.clone(),
            *time,
            (*order, 1),
            Some(text.clone()),
        );
    }
    // Fill the numbered messages this end must have handled but did not name.
    if max > 0 {
        let highest = sights
            .iter()
            .filter_map(|s| match s.label {
                Label::Msg(n) => Some(n),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        let top = if tr.complete.is_some() {
            max
        } else if tr.start.is_some() && initiator {
            // An initiator that started the exchange sent its first message.
            highest.max(1)
        } else {
            highest
        };
        for n in 1..=top {
            if sights.iter().any(|s| s.label == Label::Msg(n)) {
                continue;
            }
            let dir = if sends(n) { Dir::Sent } else { Dir::Received };
            let prev = sights
                .iter()
                .filter(|s| matches!(s.label, Label::Msg(m) if m < n))
                .map(|s| s.order)
                .max();
            let (time, order) = if n == max && tr.complete.is_some() {
                let c = tr
                    .complete
                    .as_ref()
                    .map(|c| (c.0, c.1))
                    .unwrap_or((None, 0));
                (c.0, (c.1, 0))
            } else if n == 1 && tr.start.is_some() && initiator {
                let s = tr.start.unwrap_or((None, 0));
                (s.0, (s.1, 2))
            } else {
                match prev {
                    Some((o, sub)) => (None, (o, sub + 1 + u16::from(n))),
                    None => (None, (tr.first, 0)),
                }
            };
            sights.push(Sight {
                dir,
                label: Label::Msg(n),
                payloads: Vec::new(),
                repeat: 0,
                time,
                order,
                line: None,
            });
        }
        sights.sort_by(|a, b| {
            a.order
                .cmp(&b.order)
                .then_with(|| num(&a.label).cmp(&num(&b.label)))
        });
    }
    tr.sights = sights;
}

fn num(l: &Label) -> u8 {
    match l {
        Label::Msg(n) => *n,
        Label::Info(_) => 0,
    }
}
