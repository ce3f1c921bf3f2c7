//! The exchange tracker: reads a debug stream line by line and places the lines whose phase
//! is not in their own words by the exchange they belong to. A packet line has the phase of
//! the message it carries (logged just before it in the same thread when sent; expected from
//! how far the exchange has got when received), an error notify or a refusal the phase of the
//! negotiation it ends. Which lines need context, and which lines move the exchange on, is data:
//! the `context` and `marks` of the rules (`rules.toml`, a user's `--rules`). The tracker also
//! keeps the facts the debug findings need (did the peer answer the retransmissions, was the
//! key's proof sent before an authentication failure) in the `DebugContext`.

use super::{mark, Classifier, Context, Verdict};
use crate::model::{Classification, DebugContext, Phase};

/// Exchanges remembered by message ID at most: enough for the exchanges in flight at once.
const MAX_EXCHANGES: usize = 64;

/// Threads followed at most (charon numbers its threads from 0; a log naming thread 9999 must
/// not make the tracker hold 10,000 entries).
const MAX_THREADS: usize = 256;

fn is_negotiation(p: Phase) -> bool {
    matches!(p, Phase::One | Phase::OneAndHalf | Phase::Two)
}

impl DebugContext {
    fn thread_phase(&self, t: Option<u16>) -> Option<Phase> {
        t.and_then(|t| self.threads.get(usize::from(t)).copied().flatten())
    }

    fn exchange_phase(&self, id: Option<&str>) -> Option<Phase> {
        let id = id?;
        self.exchanges
            .iter()
            .rev()
            .find(|(known, _)| known == id)
            .map(|(_, p)| *p)
    }

    /// The phase of a line in this context, and the context moved on by it. `message_id` is
    /// the message ID the line names, looked for only when the verdict needs it.
    pub(crate) fn place(&mut self, v: &Verdict, message_id: Option<&str>) -> Phase {
        let phase = match v.context {
            None => v.phase,
            Some(c) => {
                let from_context = match c.kind {
                    Context::Thread => self
                        .thread_phase(v.thread)
                        .filter(|p| *p != Phase::None)
                        .or(self.negotiation),
                    Context::Negotiation => self.negotiation,
                    Context::Exchange => self.exchange_phase(message_id).or(self.negotiation),
                    Context::Next => Some(if self.thread_phase(v.thread) == Some(Phase::Info) {
                        Phase::Info
                    } else if !self.p1_up {
                        Phase::One
                    } else if !self.p2_up {
                        Phase::Two
                    } else {
                        Phase::Info
                    }),
                };
                from_context.or(c.fallback).unwrap_or(v.phase)
            }
        };
        if let Some(t) = v.thread.map(usize::from).filter(|t| *t < MAX_THREADS) {
            if self.threads.len() <= t {
                self.threads.resize(t + 1, None);
            }
            self.threads[t] = Some(phase);
        }
        // A line placed by what is expected next does not say what is in progress.
        if is_negotiation(phase) && v.context.is_none_or(|c| c.kind != Context::Next) {
            self.negotiation = Some(phase);
        }
        self.note(v.marks, phase);
        if v.marks & mark::MESSAGE != 0 && phase != Phase::None {
            if let Some(id) = message_id {
                // Phase 1 messages all carry message ID 0: it names no one exchange.
                if id.bytes().any(|b| b != b'0') && self.exchange_phase(Some(id)) != Some(phase) {
                    if self.exchanges.len() >= MAX_EXCHANGES {
                        self.exchanges.pop_front();
                    }
                    self.exchanges.push_back((id.to_string(), phase));
                }
            }
        }
        phase
    }

    fn note(&mut self, marks: u16, phase: Phase) {
        if marks == 0 {
            return;
        }
        if marks & mark::RETRANSMIT != 0 {
            self.retransmits += 1;
            self.retransmits_unanswered_by_success += 1;
        }
        if marks & mark::INCOMING != 0 && self.retransmits > 0 {
            self.answers_after_retransmit += 1;
        }
        if marks & mark::GIVE_UP != 0 {
            self.give_ups += 1;
        }
        if marks & mark::PROOF != 0 {
            self.proof_seen = true;
        }
        if marks & mark::AUTH_FAILED != 0 && phase == Phase::One {
            if self.proof_seen {
                self.auth_failed_after_proof += 1;
            } else {
                self.auth_failed_before_proof += 1;
            }
        }
        if marks & (mark::P1_UP | mark::P2_UP) != 0 {
            self.retransmits_unanswered_by_success = 0;
        }
        if marks & mark::P1_UP != 0 {
            self.p1_up = true;
        }
        if marks & mark::P2_UP != 0 {
            self.p2_up = true;
        }
        if marks & mark::DOWN != 0 {
            self.p1_up = false;
            self.p2_up = false;
            self.proof_seen = false;
            self.negotiation = None;
        }
    }
}

impl Classifier {
    /// `explain` for a line read in a stream: its phase placed by `ctx`, which it moves on.
    pub fn explain_in_context(
        &self,
        line: &str,
        v: Verdict,
        with_exchange: bool,
        ctx: &mut DebugContext,
    ) -> Classification {
        let mut c = self.explain(line, v, with_exchange);
        // The message ID costs a regex: looked for only on the lines that need it.
        let wants_id = v.marks & mark::MESSAGE != 0
            || v.context.is_some_and(|cv| cv.kind == Context::Exchange);
        let message_id = if !wants_id {
            None
        } else if with_exchange {
            c.exchange.message_id.clone()
        } else {
            self.message_id_of(line)
        };
        c.phase = ctx.place(&v, message_id.as_deref());
        if with_exchange {
            if let Some(cv) = v.context {
                c.rules.insert(0, self.rules[cv.rule].name.clone());
            }
        }
        c
    }
}

/// The classifier with context, fed a stream line by line (the single-line `classify` is
/// still there for a line alone).
#[derive(Debug, Clone)]
pub struct Tracker<'c> {
    classifier: &'c Classifier,
    ctx: DebugContext,
}

impl<'c> Tracker<'c> {
    pub fn new(classifier: &'c Classifier) -> Self {
        Tracker {
            classifier,
            ctx: DebugContext::default(),
        }
    }

    /// Classify the next line of the stream.
    pub fn classify(&mut self, line: &str, with_exchange: bool) -> Classification {
        let v = self.classifier.scan(line);
        self.classifier
            .explain_in_context(line, v, with_exchange, &mut self.ctx)
    }

    /// What the tracker knows of the stream so far.
    pub fn context(&self) -> &DebugContext {
        &self.ctx
    }
}
