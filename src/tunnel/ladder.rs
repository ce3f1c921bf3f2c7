//! The exchange ladder: one IKEv1 exchange (main mode 1-6, aggressive mode 1-3, quick mode
//! 1-3, an informational notify or delete) drawn as the messages between the two routers,
//! from both ends' debug streams and exchange tables. The same message seen sent by one end
//! and received by the other is one arrow with both ends' times; retransmissions are repeated
//! arrows; the place where the exchange stopped is marked with the line that explains it.
//! With one end only, the half that end can see. Pure: `model` data in, serialisable data
//! and a plain-text ladder (for a ticket) out.

mod read;
mod text;
mod track;

#[cfg(test)]
mod tests;

pub use read::{Dir, Kind};

use crate::model::{DebugEvent, Exchange};
use jiff::civil::Time;
use serde::{Serialize, Serializer};
use track::{Label, Track};

/// One router's side: its name, its debug events in stream order (with the time each arrived,
/// when known; else the event's own stamp, else a time at the head of its text), and its
/// exchange table.
#[derive(Debug, Clone)]
pub struct LadderEnd<'a> {
    pub name: &'a str,
    pub events: Vec<(Option<Time>, &'a DebugEvent)>,
    pub exchanges: &'a [Exchange],
}

/// Which exchange to draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// The exchange with this id (as either end's debug or exchange table numbers it, the
    /// first end looked at first).
    Exchange(u32),
    /// The latest exchange that failed (in the first end's stream, else the other's); else
    /// the latest negotiation (phase 1 or 2); else the latest exchange of any kind.
    LatestFailed,
}

/// How the exchange ended, as far as the debug shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Completed,
    /// Refused, or given up.
    Stopped,
    /// Retransmitting (or waiting in a state) with no answer yet.
    Waiting,
    InProgress,
}

/// One router of the ladder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Side {
    pub name: String,
    /// Its address, as the other end's debug names it.
    pub address: Option<String>,
    /// Its number for this exchange.
    pub exchange_id: Option<u32>,
    /// The exchange's state in its exchange table.
    pub state: Option<String>,
    /// Whether this end's debug was read (false: the far end of a one-end ladder).
    pub debug: bool,
}

/// Where one end saw a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Seen {
    #[serde(serialize_with = "ser_time")]
    pub time: Option<Time>,
    /// The debug line that names it; absent when the message is only implied there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
}

/// One message between the two ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Arrow {
    /// Index into `Ladder::ends` of the sender.
    pub from: usize,
    /// "MM3", "QM1", "INFO".
    pub message: String,
    /// As the debug shows them ("KE", "NONCE", "N(NO-PROPOSAL-CHOSEN)", charon's "No").
    pub payloads: Vec<String>,
    /// 0 for the message, n for its n-th retransmission (for INFO: the n-th time the same
    /// notify was sent again, each a new message).
    pub retransmission: u32,
    /// Each end's sighting, indexed like `Ladder::ends` (sender's and receiver's).
    pub seen: [Option<Seen>; 2],
    /// No line at either end names the message: the exchange's progress implies it.
    pub implied: bool,
}

/// Where and why the exchange stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stop {
    /// The router whose line explains it.
    pub end: String,
    /// The notify or failure in short ("NO-PROPOSAL-CHOSEN", "no response").
    pub reason: String,
    /// That router's debug line.
    pub line: String,
    #[serde(serialize_with = "ser_time")]
    pub time: Option<Time>,
    /// The last message of the exchange before it stopped ("QM1").
    pub after: Option<String>,
}

/// The line that says the exchange completed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Done {
    pub end: String,
    pub line: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ladder {
    /// The two routers: the first end, then the other (or the peer's address, one end only).
    pub ends: [Side; 2],
    pub kind: Kind,
    /// "1", "2" or "info".
    pub phase: String,
    pub arrows: Vec<Arrow>,
    pub outcome: Outcome,
    pub stop: Option<Stop>,
    /// The line that says it completed, with its router.
    pub completed: Option<Done>,
    /// Only the first end's debug was read.
    pub one_end: bool,
}

fn ser_time<S: Serializer>(t: &Option<Time>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&format!("{t:.3}")),
        None => s.serialize_none(),
    }
}

/// Draw one exchange from one or both ends.
pub fn ladder(a: &LadderEnd, b: Option<&LadderEnd>, pick: Pick) -> Option<Ladder> {
    let mut tracks = [
        track::tracks(&a.events, a.exchanges),
        b.map(|b| track::tracks(&b.events, b.exchanges))
            .unwrap_or_default(),
    ];
    let tables: [&[Exchange]; 2] = [a.exchanges, b.map_or(&[][..], |b| b.exchanges)];
    let (first, i) = match pick {
        Pick::Exchange(id) => {
            let found = (0..2).find_map(|e| {
                tracks[e]
                    .iter()
                    .rposition(|t| t.id == Some(id))
                    .map(|i| (e, i))
            });
            match found {
                Some(f) => f,
                None => {
                    // Only in an exchange table: a ladder with its state and no messages.
                    let e = (0..2).find(|e| tables[*e].iter().any(|x| x.id == id))?;
                    let x = tables[e].iter().find(|x| x.id == id)?;
                    tracks[e].push(Track {
                        id: Some(id),
                        kind: Kind::from_name(&x.kind),
                        state: Some(x.state.clone()),
                        peer: Some(x.peer.clone()),
                        ..Track::default()
                    });
                    (e, tracks[e].len() - 1)
                }
            }
        }
        Pick::LatestFailed => {
            let by = |f: &dyn Fn(&Track) -> bool| {
                (0..2).find_map(|e| tracks[e].iter().rposition(f).map(|i| (e, i)))
            };
            by(&|t: &Track| t.failed())
                .or_else(|| by(&|t: &Track| t.is_negotiation()))
                .or_else(|| by(&|_: &Track| true))?
        }
    };
    let other = 1 - first;
    let j = partner(&tracks[first][i], &tracks[first], &tracks[other]);
    let mut mine = tracks[first][i].clone();
    let mut theirs = j.map(|j| tracks[other][j].clone());
    // A quick mode's lines may not name the peer; the ISAKMP SA's lines before it do.
    let peer_before = |ts: &[Track], k: usize| ts[..k].iter().rev().find_map(|t| t.peer.clone());
    if mine.peer.is_none() {
        mine.peer = peer_before(&tracks[first], i);
    }
    if let (Some(t), Some(j)) = (theirs.as_mut(), j) {
        if t.peer.is_none() {
            t.peer = peer_before(&tracks[other], j);
        }
    }
    // Settle the kind from either end (a responder's lines may not name the mode), and the
    // roles (the partner of an initiator responds).
    let kind = mine.kind.or(theirs.as_ref().and_then(|t| t.kind));
    mine.kind = kind.or(mine.kind);
    if let Some(t) = theirs.as_mut() {
        t.kind = kind.or(t.kind);
        if t.initiator.is_none() {
            t.initiator = mine.initiator.map(|x| !x);
        }
        if mine.initiator.is_none() {
            mine.initiator = t.initiator.map(|x| !x);
        }
    }
    track::number(&mut mine);
    if let Some(t) = theirs.as_mut() {
        if t.initiator.is_none() {
            t.initiator = mine.initiator.map(|x| !x);
        }
        track::number(t);
    }
    let (t0, t1) = if first == 0 {
        (Some(&mine), theirs.as_ref())
    } else {
        (theirs.as_ref(), Some(&mine))
    };
    let names = [a.name, b.map_or("", |b| b.name)];
    Some(build([t0, t1], names, b.is_none()))
}

/// The other end's track of the same exchange: a shared message ID, else the nearest start
/// in time, else the same place counted from the latest.
fn partner(t: &Track, mine: &[Track], theirs: &[Track]) -> Option<usize> {
    let class = t.class();
    let fits = |u: &Track| {
        (class.is_none() || u.class().is_none() || u.class() == class)
            && !(t.initiator == Some(true) && u.initiator == Some(true))
    };
    if let Some(j) = theirs
        .iter()
        .position(|u| u.message_ids.iter().any(|m| t.message_ids.contains(m)))
    {
        return Some(j);
    }
    if let Some(at) = t.first_time {
        let near = theirs
            .iter()
            .enumerate()
            .filter(|(_, u)| fits(u))
            .filter_map(|(j, u)| {
                let d = u.first_time?.duration_since(at).as_millis().abs();
                (d <= 10_000).then_some((d, j))
            })
            .min();
        if let Some((_, j)) = near {
            return Some(j);
        }
        if theirs.iter().any(|u| u.first_time.is_some()) {
            return None;
        }
    }
    let same: Vec<usize> = mine
        .iter()
        .enumerate()
        .filter(|(_, u)| u.class() == class)
        .map(|(i, _)| i)
        .collect();
    let from_end = same.iter().rev().position(|i| std::ptr::eq(&mine[*i], t))?;
    let cands: Vec<usize> = theirs
        .iter()
        .enumerate()
        .filter(|(_, u)| fits(u))
        .map(|(j, _)| j)
        .collect();
    cands.iter().rev().nth(from_end).copied()
}

fn label_text(kind: Kind, l: &Label) -> String {
    match l {
        Label::Msg(n) => format!("{}{n}", kind.prefix()),
        // A packet that came in but could not be read: which message it was is unknown.
        Label::Info(i) if i == "?" => "?".to_string(),
        Label::Info(_) => "INFO".to_string(),
    }
}

fn build(t: [Option<&Track>; 2], names: [&str; 2], one_end: bool) -> Ladder {
    let kind = t
        .iter()
        .flatten()
        .find_map(|t| t.kind)
        .unwrap_or(Kind::Info);
    // Arrows keyed by (label, sender, repeat); each end's order of them.
    let mut arrows: Vec<(Label, Arrow)> = Vec::new();
    let mut order: [Vec<(usize, (usize, u16))>; 2] = [Vec::new(), Vec::new()];
    for e in 0..2 {
        let Some(tr) = t[e] else { continue };
        for s in &tr.sights {
            let from = if s.dir == Dir::Sent { e } else { 1 - e };
            let at = arrows.iter().position(|(l, a)| {
                *l == s.label
                    && a.from == from
                    && a.retransmission == s.repeat
                    && a.seen[e].is_none()
            });
            let k = match at {
                Some(k) => k,
                None => {
                    arrows.push((
                        s.label.clone(),
                        Arrow {
                            from,
                            message: label_text(kind, &s.label),
                            payloads: Vec::new(),
                            retransmission: s.repeat,
                            seen: [None, None],
                            implied: true,
                        },
                    ));
                    arrows.len() - 1
                }
            };
            let a = &mut arrows[k].1;
            if a.payloads.is_empty() || (e == a.from && !s.payloads.is_empty()) {
                a.payloads = s.payloads.clone();
            }
            if s.line.is_some() {
                a.implied = false;
            }
            a.seen[e] = Some(Seen {
                time: s.time,
                line: s.line.clone(),
            });
            order[e].push((k, s.order));
        }
        order[e].sort_by_key(|x| x.1);
    }
    let gone = claim_unread(&mut arrows, &mut order);
    let merged = merge(&order, &arrows);
    let arrows: Vec<Arrow> = merged
        .into_iter()
        .filter(|k| !gone.contains(k))
        .map(|k| arrows[k].1.clone())
        .collect();
    let (outcome, stop, completed) = outcome(t, names, kind, &arrows);
    let side = |e: usize| {
        let tr = t[e];
        let address = t[1 - e].and_then(|o| o.peer.clone());
        Side {
            name: if names[e].is_empty() {
                address.clone().unwrap_or_else(|| "peer".into())
            } else {
                names[e].to_string()
            },
            address,
            exchange_id: tr.and_then(|t| t.id),
            state: tr.and_then(|t| t.state.clone()),
            debug: !(one_end && e == 1),
        }
    };
    let phase = match kind {
        Kind::Main | Kind::Aggressive => "1",
        Kind::Quick => "2",
        Kind::Info => "info",
    };
    Ladder {
        ends: [side(0), side(1)],
        kind,
        phase: phase.to_string(),
        arrows,
        outcome,
        stop,
        completed,
        one_end,
    }
}

/// A packet one end received but could not read is, in turn, the next message the other
/// end sent that the first has not seen: its arrival joins that arrow. Returns the arrows
/// so absorbed.
fn claim_unread(
    arrows: &mut [(Label, Arrow)],
    order: &mut [Vec<(usize, (usize, u16))>; 2],
) -> Vec<usize> {
    let unread = Label::Info("?".into());
    let mut gone = Vec::new();
    for recv in 0..2 {
        let send = 1 - recv;
        let queue: Vec<usize> = order[recv]
            .iter()
            .map(|x| x.0)
            .filter(|k| arrows[*k].0 == unread && arrows[*k].1.from == send)
            .collect();
        let mut cands = order[send]
            .iter()
            .map(|x| x.0)
            .filter(|k| arrows[*k].0 != unread && arrows[*k].1.from == send)
            .filter(|k| arrows[*k].1.seen[recv].is_none())
            .collect::<Vec<usize>>()
            .into_iter();
        for q in queue {
            let got = arrows[q].1.seen[recv].clone();
            let at = got.as_ref().and_then(|s| s.time);
            let Some(c) = cands.find(|c| {
                let sent = arrows[*c].1.seen[send].as_ref().and_then(|s| s.time);
                !matches!((sent, at), (Some(s), Some(a)) if s > a)
            }) else {
                break;
            };
            arrows[c].1.seen[recv] = got;
            for x in order[recv].iter_mut().filter(|x| x.0 == q) {
                x.0 = c;
            }
            gone.push(q);
        }
    }
    gone
}

/// Both ends' orders of the arrows merged into one that keeps each (times break ties).
fn merge(order: &[Vec<(usize, (usize, u16))>; 2], arrows: &[(Label, Arrow)]) -> Vec<usize> {
    // Arrows no end's order names (absorbed ones) are left out.
    let n = (0..arrows.len())
        .filter(|k| order.iter().any(|o| o.iter().any(|x| x.0 == *k)))
        .count();
    let pos = |e: usize, k: usize| order[e].iter().position(|x| x.0 == k);
    let time = |k: usize| arrows[k].1.seen.iter().flatten().find_map(|s| s.time);
    let mut done = vec![false; arrows.len()];
    let mut out = Vec::with_capacity(n);
    let mut p = [0usize; 2];
    while out.len() < n {
        for e in 0..2 {
            while p[e] < order[e].len() && done[order[e][p[e]].0] {
                p[e] += 1;
            }
        }
        let next = [
            order[0].get(p[0]).map(|x| x.0),
            order[1].get(p[1]).map(|x| x.0),
        ];
        let pick = match next {
            [Some(x), Some(y)] if x == y => x,
            [Some(x), Some(y)] => {
                let x_ok = pos(1, x).is_none();
                let y_ok = pos(0, y).is_none();
                match (x_ok, y_ok) {
                    (true, false) => x,
                    (false, true) => y,
                    _ => match (time(x), time(y)) {
                        (Some(tx), Some(ty)) if ty < tx => y,
                        _ => x,
                    },
                }
            }
            [Some(x), None] => x,
            [None, Some(y)] => y,
            [None, None] => break,
        };
        done[pick] = true;
        out.push(pick);
    }
    out
}

fn outcome(
    t: [Option<&Track>; 2],
    names: [&str; 2],
    kind: Kind,
    arrows: &[Arrow],
) -> (Outcome, Option<Stop>, Option<Done>) {
    let name = |e: usize| -> String {
        if names[e].is_empty() {
            t[0].and_then(|t| t.peer.clone())
                .unwrap_or_else(|| "peer".into())
        } else {
            names[e].to_string()
        }
    };
    let after = arrows
        .iter()
        .filter(|a| a.message != "INFO" && a.message != "?")
        .max_by_key(|a| a.message.clone())
        .map(|a| a.message.clone());
    let best = (0..2)
        .flat_map(|e| {
            t[e].into_iter()
                .flat_map(move |tr| tr.evidence.iter().map(move |v| (e, v)))
        })
        .min_by(|(ea, a), (eb, b)| {
            // Of two ends refusing at once, the one that sent the error notify explains it.
            let refuser = |e: usize| t[e].is_some_and(|tr| tr.evidence.iter().any(|v| v.rank == 1));
            a.rank
                .cmp(&b.rank)
                .then_with(|| refuser(*eb).cmp(&refuser(*ea)))
                .then_with(|| match (a.time, b.time) {
                    (Some(x), Some(y)) => x.cmp(&y),
                    _ => std::cmp::Ordering::Equal,
                })
                .then_with(|| ea.cmp(eb))
                .then_with(|| a.order.cmp(&b.order))
        });
    let completed = (0..2).find_map(|e| {
        t[e].and_then(|tr| tr.complete.as_ref()).map(|c| Done {
            end: name(e),
            line: c.2.clone(),
        })
    });
    let stop = |e: usize, v: &track::Evidence, reason: String| Stop {
        end: name(e),
        reason,
        line: v.text.clone(),
        time: v.time,
        after: after.clone(),
    };
    match best {
        Some((e, v)) if v.rank <= 4 || v.rank == 6 => {
            let reason = read::error_named(&v.text).unwrap_or_else(|| {
                if v.rank == 4 {
                    "no response".to_string()
                } else {
                    short(&v.text)
                }
            });
            (Outcome::Stopped, Some(stop(e, v, reason)), completed)
        }
        _ if completed.is_some() => (Outcome::Completed, None, completed),
        Some((e, _)) => {
            // Only retransmissions: the last one says how long it has gone unanswered.
            let last = t[e]
                .into_iter()
                .flat_map(|tr| tr.evidence.iter())
                .max_by_key(|v| v.order);
            let reason = match &after {
                Some(m) => format!("no response to {m}"),
                None => "no response".to_string(),
            };
            let _ = kind;
            match last {
                Some(v) => {
                    let mut s = stop(e, v, reason);
                    s.after = None;
                    (Outcome::Waiting, Some(s), None)
                }
                None => (Outcome::Waiting, None, None),
            }
        }
        None => {
            let waiting = (0..2).find_map(|e| t[e].and_then(|tr| tr.state.clone()).map(|s| (e, s)));
            match waiting {
                Some((e, s)) => (
                    Outcome::Waiting,
                    Some(Stop {
                        end: name(e),
                        reason: format!("waiting in {s}"),
                        line: format!("exchange table: state {s}"),
                        time: None,
                        after,
                    }),
                    None,
                ),
                None => (Outcome::InProgress, None, None),
            }
        }
    }
}

/// A line without its head (a stamp and charon's `NN[GRP]`, `ISAKMP: Exchange N:`), cut to
/// a phrase.
fn short(text: &str) -> String {
    let mut t = text.trim();
    if let Some(i) = t.find("[IKE] ").or(t.find("[CFG] ")).or(t.find("[ENC] ")) {
        t = t[i + 6..].trim();
    }
    for head in ["ISAKMP: ", "IPSEC: "] {
        t = t.strip_prefix(head).unwrap_or(t);
    }
    if t.starts_with("Exchange ") {
        if let Some(i) = t.find(": ") {
            t = &t[i + 2..];
        }
    }
    let mut s: String = t.chars().take(60).collect();
    if t.chars().count() > 60 {
        s.push('…');
    }
    s
}
