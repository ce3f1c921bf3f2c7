//! The IKE debug classifier: each unsolicited line gets a phase, a failure flag and the
//! exchange it belongs to. The rules are data (`rules.toml`, compiled in) so they can be
//! read, tested and extended by a user file without a rebuild. A rule may also name a
//! context (the line's phase is that of the exchange around it) and marks (facts the exchange
//! tracker of `tracker.rs` follows); `classify` is the single-line verdict, `Tracker` the one
//! that reads a stream line by line.

pub mod tracker;

pub use tracker::Tracker;

use crate::model::{Classification, ExchangeRef, Phase};
use regex::bytes::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use serde::Deserialize;
use std::hash::Hasher;
use std::path::Path;
use std::sync::OnceLock;

/// The built-in rules.
pub const BUILTIN_RULES: &str = include_str!("rules.toml");

#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("{file}: {message}")]
    Syntax { file: String, message: String },
    #[error("{file}: rule {index} ({name}): {message}")]
    Rule {
        file: String,
        index: usize,
        name: String,
        message: String,
    },
    #[error("{file}: cannot read: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    rule: Vec<RuleDef>,
    extract: Option<ExtractDef>,
    shape: Option<ShapeDef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleDef {
    name: String,
    pattern: String,
    phase: Option<String>,
    failure: Option<bool>,
    #[serde(default)]
    priority: i32,
    /// Where the line's phase comes from when read in a stream (see `Context`).
    context: Option<String>,
    /// Facts the exchange tracker follows (see `Mark`).
    #[serde(default)]
    marks: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExtractDef {
    exchange_id: String,
    peer: String,
    any_address: String,
    cookie: String,
    message_id: String,
    /// The thread (or process) that logged the line, when the log names one: lines of one
    /// thread in a row belong to one message (charon's `NN[GRP]`).
    thread: Option<String>,
}

/// Where a line's phase comes from in a stream, when its own words do not say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// The phase of the line before it in the same thread (a packet sent after the message
    /// it carries was generated).
    Thread,
    /// The phase of the negotiation in progress (an error notify, a refusal, a decryption
    /// failure, proposal selection).
    Negotiation,
    /// The phase of the exchange expected next (a packet received, tasks activated): phase 1
    /// until the ISAKMP SA is up, then phase 2 until an IPsec SA is up, then informational.
    Next,
    /// The phase of the exchange the line's message ID names (a retransmission), known from
    /// the message lines marked `message`; else the negotiation in progress.
    Exchange,
}

impl Context {
    fn parse(s: &str) -> Option<Context> {
        match s {
            "thread" => Some(Context::Thread),
            "negotiation" => Some(Context::Negotiation),
            "next" => Some(Context::Next),
            "exchange" => Some(Context::Exchange),
            _ => None,
        }
    }
}

/// Facts a rule can mark a line with, for the exchange tracker (a bit set in `Verdict`).
pub mod mark {
    /// The ISAKMP SA (phase 1) is established.
    pub const P1_UP: u16 = 1;
    /// An IPsec SA (phase 2) is established.
    pub const P2_UP: u16 = 1 << 1;
    /// The ISAKMP SA is gone: the exchange starts again from phase 1.
    pub const DOWN: u16 = 1 << 2;
    /// A message was retransmitted.
    pub const RETRANSMIT: u16 = 1 << 3;
    /// A packet came in from the peer.
    pub const INCOMING: u16 = 1 << 4;
    /// The retransmission limit was reached.
    pub const GIVE_UP: u16 = 1 << 5;
    /// A phase 1 message carrying the key's proof (HASH) was sent or received.
    pub const PROOF: u16 = 1 << 6;
    /// An authentication failure was reported.
    pub const AUTH_FAILED: u16 = 1 << 7;
    /// A message of an exchange, whose message ID names the exchange from now on.
    pub const MESSAGE: u16 = 1 << 8;

    pub(super) fn parse(s: &str) -> Option<u16> {
        Some(match s {
            "p1-up" => P1_UP,
            "p2-up" => P2_UP,
            "down" => DOWN,
            "retransmit" => RETRANSMIT,
            "incoming" => INCOMING,
            "give-up" => GIVE_UP,
            "proof" => PROOF,
            "auth-failed" => AUTH_FAILED,
            "message" => MESSAGE,
            _ => return None,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShapeDef {
    patterns: Vec<String>,
}

#[derive(Debug, Clone)]
struct Rule {
    name: String,
    phase: Option<Phase>,
    failure: Option<bool>,
    priority: i32,
    context: Option<Context>,
    marks: u16,
}

#[derive(Debug, Clone)]
struct Extract {
    exchange_id: Regex,
    peer: Regex,
    any_address: Regex,
    cookie: Regex,
    message_id: Regex,
    thread: Option<Regex>,
}

/// The context rule that decides a line's phase in a stream: its kind, and its own phase
/// for when the stream does not tell (yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContextVerdict {
    pub kind: Context,
    pub fallback: Option<Phase>,
    rule: usize,
}

/// The result of one pass of the rules over a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub phase: Phase,
    pub failure: bool,
    phase_rule: Option<usize>,
    failure_rule: Option<usize>,
    /// Some rule matched.
    pub matched: bool,
    /// The line may be the header of a display (see `parse::SNIFF_GATE`).
    pub header_hint: bool,
    /// A context rule that outranks the rule deciding `phase` (used by `Tracker` only).
    pub context: Option<ContextVerdict>,
    /// Marks of every matching rule (`mark::*`).
    pub marks: u16,
    /// The thread that logged the line, when the `[extract]` thread pattern finds one.
    pub thread: Option<u16>,
}

/// A compiled rule set.
#[derive(Debug)]
pub struct Classifier {
    rules: Vec<Rule>,
    patterns: Vec<String>,
    /// Every rule's pattern, then the display-header gate (index `rules.len()`), so one pass
    /// over a line answers both "which phase" and "could this start a display".
    set: RegexSet,
    shapes: RegexSet,
    shape_patterns: Vec<String>,
    extract: Extract,
    /// Verdicts by line shape (see `shape_key`); only for the built-in rules, whose results
    /// do not depend on the values of long numbers except those kept verbatim.
    cache: Option<std::sync::Mutex<ShapeCache>>,
}

/// The verdict cache and the buffer its keys are built in (so a lookup allocates nothing).
/// Two-way set associative, `CACHE_SLOTS` slots: a new shape goes first in its pair and moves
/// the one there second (the second is dropped), so the few shapes a flood repeats stay while
/// shapes seen once (a cookie, a hash) pass through. Each slot keeps its key buffer, so once
/// warm the cache allocates nothing either.
#[derive(Debug, Default)]
struct ShapeCache {
    slots: Vec<Option<(Vec<u8>, Verdict)>>,
    key: Vec<u8>,
}

impl ShapeCache {
    /// The first slot of the key's pair.
    fn pair(key: &[u8]) -> usize {
        let mut h = FastHasher::default();
        h.write(key);
        // The high bits of a multiplicative hash are the well-mixed ones.
        ((h.finish() >> 32) as usize & (CACHE_SLOTS - 1)) & !1
    }

    fn get(&self) -> Option<Verdict> {
        let at = Self::pair(&self.key);
        self.slots.get(at..at + 2)?.iter().find_map(|s| match s {
            Some((k, v)) if *k == self.key => Some(*v),
            _ => None,
        })
    }

    fn insert(&mut self, v: Verdict) {
        if self.slots.is_empty() {
            self.slots.resize(CACHE_SLOTS, None);
        }
        let at = Self::pair(&self.key);
        self.slots.swap(at, at + 1);
        match &mut self.slots[at] {
            Some((k, old)) => {
                k.clear();
                k.extend_from_slice(&self.key);
                *old = v;
            }
            empty => *empty = Some((self.key.clone(), v)),
        }
    }
}

/// A fast non-cryptographic hash for the cache keys (the FxHash of rustc): the keys are
/// line shapes from the input, and a flooded cache only costs a `clear`, so SipHash's
/// resistance to chosen collisions buys nothing here and costs a tenth of the run.
#[derive(Debug, Default, Clone, Copy)]
struct FastHasher(u64);

impl FastHasher {
    const K: u64 = 0xf135_7aea_2e62_a9c5;

    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(26) ^ w).wrapping_mul(Self::K);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl Clone for Classifier {
    fn clone(&self) -> Self {
        Classifier {
            rules: self.rules.clone(),
            patterns: self.patterns.clone(),
            set: self.set.clone(),
            shapes: self.shapes.clone(),
            shape_patterns: self.shape_patterns.clone(),
            extract: self.extract.clone(),
            cache: self.cache.as_ref().map(|_| Default::default()),
        }
    }
}

/// Verdicts kept at most (a power of two).
const CACHE_SLOTS: usize = 8192;

/// Lines longer than this are not cached: a debug line is a few hundred bytes, and the
/// cache's memory stays within `CACHE_SLOTS` times this.
const CACHE_LINE_MAX: usize = 512;

/// Numbers that the built-in rules tell apart by value (the status notifies), kept verbatim.
const KEEP_NUMBERS: [&str; 4] = ["24576", "24578", "36136", "36137"];

/// The shape of a line for the verdict cache: runs of three or more digits (exchange ids,
/// SPIs, addresses' octets, sequence numbers) become `#`, except those the rules read by
/// value (runs of zeros, and the status notify numbers). A debug flood repeats a few shapes
/// with other numbers, so many lines are then classified by one lookup.
fn shape_key(line: &[u8], key: &mut Vec<u8>) {
    // Written by index into a buffer as long as the line (a key is never longer), eight
    // bytes at a time up to the next digit: this runs on every line of a debug flood.
    key.clear();
    key.resize(line.len(), 0);
    let out = &mut key[..];
    let (mut i, mut j) = (0, 0);
    while i < line.len() {
        if let Some(w) = line.get(i..i + 8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(w);
            let m = digit_mask(u64::from_le_bytes(word));
            // The bytes before the first digit are kept as they are (all eight may be
            // copied: `j <= i`, and the bytes past the digit are written again below).
            out[j..j + 8].copy_from_slice(w);
            let k = if m == 0 {
                8
            } else {
                (m.trailing_zeros() / 8) as usize
            };
            i += k;
            j += k;
            if k == 8 {
                continue;
            }
        } else if !line[i].is_ascii_digit() {
            out[j] = line[i];
            i += 1;
            j += 1;
            continue;
        }
        let start = i;
        while i < line.len() && line[i].is_ascii_digit() {
            i += 1;
        }
        let run = &line[start..i];
        if run.len() >= 3
            && run.iter().any(|&d| d != b'0')
            && !KEEP_NUMBERS.iter().any(|k| k.as_bytes() == run)
        {
            out[j] = b'#';
            j += 1;
        } else {
            for &d in run {
                out[j] = d;
                j += 1;
            }
        }
    }
    key.truncate(j);
}

/// The high bit of each byte of `w` that is an ASCII digit (0x30..=0x39), eight at once (the
/// "has between" bit trick: exact per byte, no carry or borrow crosses a byte).
fn digit_mask(w: u64) -> u64 {
    const L: u64 = 0x0101_0101_0101_0101;
    let low = w & (L * 0x7f);
    ((L * (0x7f + 0x3a) - low) & !w & (low + L * (0x7f - 0x2f))) & (L * 0x80)
}

fn build_regex(p: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(p)
        .case_insensitive(true)
        .unicode(false)
        .build()
}

fn build_set(ps: &[String]) -> Result<RegexSet, regex::Error> {
    // A larger lazy-DFA cache: with every rule in one automaton the default one is cleared
    // over and over on a debug flood.
    RegexSetBuilder::new(ps)
        .case_insensitive(true)
        .unicode(false)
        .dfa_size_limit(32 << 20)
        .build()
}

fn parse_file(text: &str, file: &str) -> Result<RuleFile, RulesError> {
    toml::from_str(text).map_err(|e| RulesError::Syntax {
        file: file.to_string(),
        message: e.to_string(),
    })
}

impl Classifier {
    /// The built-in rules (compiled once per process).
    pub fn builtin() -> &'static Classifier {
        static C: OnceLock<Classifier> = OnceLock::new();
        C.get_or_init(|| {
            Classifier::from_sources(&[(BUILTIN_RULES, "built-in rules")])
                .expect("the built-in rules compile (a test checks this)")
        })
    }

    /// The built-in rules plus a user's file of rules.
    pub fn with_user_file(path: &Path) -> Result<Classifier, RulesError> {
        use std::io::Read;
        // Read with a cap, so a device (`/dev/zero`) or a runaway file cannot take the
        // memory: the built-in rules are a few kilobytes.
        const MAX_FILE: u64 = 1024 * 1024;
        let file = path.display().to_string();
        let io = |source| RulesError::Io {
            file: file.clone(),
            source,
        };
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_FILE + 1).read_to_end(&mut bytes))
            .map_err(io)?;
        if bytes.len() as u64 > MAX_FILE {
            return Err(RulesError::Syntax {
                file,
                message: "larger than 1 MiB: not a rules file".into(),
            });
        }
        let text = String::from_utf8(bytes)
            .map_err(|e| io(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?;
        Classifier::from_sources(&[(BUILTIN_RULES, "built-in rules"), (&text, &file)])
    }

    /// Rule files in order; later files add rules, and may add shapes. The first file must
    /// hold the `[extract]` patterns; a later one may replace them.
    pub fn from_sources(sources: &[(&str, &str)]) -> Result<Classifier, RulesError> {
        let mut rules = Vec::new();
        let mut patterns = Vec::new();
        let mut shape_patterns = Vec::new();
        let mut extract_def = None;
        for (text, file) in sources {
            let parsed = parse_file(text, file)?;
            // The built-in rules are checked one by one by a test; compiling each alone here
            // too would double the start-up time (the set below compiles them all anyway).
            let checked = *text == BUILTIN_RULES;
            for (i, r) in parsed.rule.into_iter().enumerate() {
                let err = |message: String| RulesError::Rule {
                    file: file.to_string(),
                    index: i + 1,
                    name: r.name.clone(),
                    message,
                };
                let phase = match &r.phase {
                    Some(p) => Some(Phase::parse(p).ok_or_else(|| {
                        err(format!(
                            "phase must be \"1\", \"1.5\", \"2\", \"info\" or \"none\", not {p:?}"
                        ))
                    })?),
                    None => None,
                };
                if !checked {
                    build_regex(&r.pattern).map_err(|e| err(e.to_string()))?;
                }
                let context = match &r.context {
                    Some(c) => Some(Context::parse(c).ok_or_else(|| {
                        err(format!(
                            "context must be \"thread\", \"negotiation\", \"next\" or \"exchange\", \
not {c:?}"
                        ))
                    })?),
                    None => None,
                };
                let mut marks = 0u16;
                for m in &r.marks {
                    marks |= mark::parse(m).ok_or_else(|| {
                        err(format!(
                            "unknown mark {m:?} (p1-up, p2-up, down, retransmit, incoming, \
give-up, proof, auth-failed, message)"
                        ))
                    })?;
                }
                if phase.is_none() && r.failure.is_none() && context.is_none() && marks == 0 {
                    return Err(err(
                        "a rule must set a phase, failure, context or marks".into()
                    ));
                }
                patterns.push(r.pattern.clone());
                rules.push(Rule {
                    name: r.name,
                    phase,
                    failure: r.failure,
                    priority: r.priority,
                    context,
                    marks,
                });
            }
            if let Some(s) = parsed.shape {
                for p in s.patterns.iter().filter(|_| !checked) {
                    build_regex(p).map_err(|e| RulesError::Syntax {
                        file: file.to_string(),
                        message: format!("shape pattern {p:?}: {e}"),
                    })?;
                }
                shape_patterns.extend(s.patterns);
            }
            if let Some(x) = parsed.extract {
                extract_def = Some((x, file.to_string()));
            }
        }
        let Some((x, xfile)) = extract_def else {
            return Err(RulesError::Syntax {
                file: sources.first().map(|s| s.1).unwrap_or("rules").to_string(),
                message: "missing [extract] table".into(),
            });
        };
        let rx = |p: &str| {
            build_regex(p).map_err(|e| RulesError::Syntax {
                file: xfile.clone(),
                message: format!("extract pattern {p:?}: {e}"),
            })
        };
        let extract = Extract {
            exchange_id: rx(&x.exchange_id)?,
            peer: rx(&x.peer)?,
            any_address: rx(&x.any_address)?,
            cookie: rx(&x.cookie)?,
            message_id: rx(&x.message_id)?,
            thread: x.thread.as_deref().map(rx).transpose()?,
        };
        let mut all = patterns.clone();
        all.push(crate::alliedware::parse::SNIFF_GATE.to_string());
        let set = build_set(&all).map_err(|e| RulesError::Syntax {
            file: "rules".into(),
            message: e.to_string(),
        })?;
        let shapes = build_set(&shape_patterns).map_err(|e| RulesError::Syntax {
            file: "rules".into(),
            message: e.to_string(),
        })?;
        // User rules may tell numbers apart by value: no shape cache with them.
        let cache = (sources.len() == 1).then(Default::default);
        Ok(Classifier {
            rules,
            patterns,
            set,
            shapes,
            shape_patterns,
            extract,
            cache,
        })
    }

    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// One pass over a line: its phase and failure flag, and whether it may start a display.
    pub fn scan(&self, line: &str) -> Verdict {
        let Some(cache) = self.cache.as_ref().filter(|_| line.len() <= CACHE_LINE_MAX) else {
            return self.scan_uncached(line);
        };
        // Only what the rules read is in the key: a line's digits in short runs and its text.
        // One lock for the lookup (the key is built in the cache's own buffer); the rules run
        // outside it, and a second lock stores their verdict.
        {
            let Ok(mut c) = cache.lock() else {
                return self.scan_uncached(line);
            };
            let c = &mut *c;
            shape_key(line.as_bytes(), &mut c.key);
            if let Some(v) = c.get() {
                return v;
            }
        }
        let v = self.scan_uncached(line);
        if let Ok(mut c) = cache.lock() {
            // Built again: another thread may have used the buffer in between.
            shape_key(line.as_bytes(), &mut c.key);
            c.insert(v);
        }
        v
    }

    fn scan_uncached(&self, line: &str) -> Verdict {
        let mut phase: Option<(i32, usize)> = None;
        let mut failure: Option<(i32, usize)> = None;
        let mut context: Option<(i32, usize)> = None;
        let mut marks = 0u16;
        let mut header_hint = false;
        let mut matched = false;
        for i in self.set.matches(line.as_bytes()).iter() {
            let Some(r) = self.rules.get(i) else {
                header_hint = true;
                continue;
            };
            marks |= r.marks;
            // A rule that only marks a fact does not make a line debug output.
            if r.phase.is_none() && r.failure.is_none() && r.context.is_none() {
                continue;
            }
            matched = true;
            if r.context.is_some() {
                // Context rules place a line only in a stream; alone, a line keeps the phase
                // its other rules give it.
                if context.is_none_or(|(p, _)| r.priority > p) {
                    context = Some((r.priority, i));
                }
            } else if r.phase.is_some() && phase.is_none_or(|(p, _)| r.priority > p) {
                phase = Some((r.priority, i));
            }
            if r.failure.is_some() && failure.is_none_or(|(p, _)| r.priority > p) {
                failure = Some((r.priority, i));
            }
        }
        Verdict {
            phase: phase
                .and_then(|(_, i)| self.rules[i].phase)
                .unwrap_or(Phase::None),
            failure: failure
                .and_then(|(_, i)| self.rules[i].failure)
                .unwrap_or(false),
            phase_rule: phase.map(|(_, i)| i),
            failure_rule: failure.map(|(_, i)| i),
            matched,
            header_hint,
            context: context
                .filter(|(cp, _)| phase.is_none_or(|(p, _)| *cp > p))
                .and_then(|(_, i)| {
                    let r = &self.rules[i];
                    Some(ContextVerdict {
                        kind: r.context?,
                        fallback: r.phase,
                        rule: i,
                    })
                }),
            marks,
            thread: self.thread_of(line),
        }
    }

    fn thread_of(&self, line: &str) -> Option<u16> {
        let re = self.extract.thread.as_ref()?;
        let caps = re.captures(line.as_bytes())?;
        let m = caps.iter().skip(1).flatten().next()?;
        std::str::from_utf8(m.as_bytes()).ok()?.parse().ok()
    }

    /// The full classification of a line already scanned: with `with_exchange`, the exchange
    /// reference and the names of the deciding rules (slower: more regex work).
    pub fn explain(&self, line: &str, v: Verdict, with_exchange: bool) -> Classification {
        let mut rules = Vec::new();
        let mut exchange = ExchangeRef::default();
        if with_exchange {
            if let Some(i) = v.phase_rule {
                rules.push(self.rules[i].name.clone());
            }
            if let Some(i) = v.failure_rule.filter(|i| Some(*i) != v.phase_rule) {
                rules.push(self.rules[i].name.clone());
            }
            exchange = self.exchange_of(line.as_bytes());
        }
        Classification {
            phase: v.phase,
            failure: v.failure,
            rules,
            exchange,
        }
    }

    /// Classify one line. `with_exchange` also extracts the exchange reference and names the
    /// deciding rules (slower).
    pub fn classify(&self, line: &str, with_exchange: bool) -> Classification {
        self.explain(line, self.scan(line), with_exchange)
    }

    /// A line that is debug or log output: placed by a rule, or shaped like a log line.
    pub fn is_debug(&self, line: &str) -> bool {
        self.scan(line).matched || self.shapes.is_match(line.as_bytes())
    }

    /// A line shaped like debug or log output (a time stamp or a module tag at its start),
    /// whatever its words: the strict test, for output of commands we cannot parse.
    pub fn has_log_shape(&self, line: &str) -> bool {
        self.shapes.is_match(line.as_bytes())
    }

    /// `is_debug` for a line already scanned.
    pub fn is_debug_scanned(&self, line: &str, v: &Verdict) -> bool {
        v.matched || self.shapes.is_match(line.as_bytes())
    }

    /// The message ID a line names, as written (see `[extract] message_id`).
    pub(crate) fn message_id_of(&self, line: &str) -> Option<String> {
        first_group(&self.extract.message_id, line.as_bytes())
    }

    fn exchange_of(&self, b: &[u8]) -> ExchangeRef {
        let x = &self.extract;
        let exchange_id = first_group(&x.exchange_id, b)
            .and_then(|s| s.parse::<u32>().ok())
            .filter(|id| *id != 0);
        let peer = first_group(&x.peer, b)
            .or_else(|| first_group(&x.any_address, b))
            .filter(|a| a.parse::<std::net::Ipv4Addr>().is_ok());
        let cookie = first_group(&x.cookie, b)
            .filter(|c| c.bytes().any(|ch| ch.is_ascii_digit()))
            .map(|c| c.to_ascii_lowercase());
        let message_id = first_group(&x.message_id, b);
        ExchangeRef {
            exchange_id,
            peer,
            cookie,
            message_id,
        }
    }

    /// The pattern of each rule, by name (for `tunnelscope rules`-style listings and tests).
    pub fn patterns(&self) -> impl Iterator<Item = (&str, &str)> {
        self.rules
            .iter()
            .zip(self.patterns.iter())
            .map(|(r, p)| (r.name.as_str(), p.as_str()))
    }

    pub fn shape_patterns(&self) -> &[String] {
        &self.shape_patterns
    }
}

fn first_group(re: &Regex, b: &[u8]) -> Option<String> {
    let caps = re.captures(b)?;
    caps.iter()
        .skip(1)
        .flatten()
        .next()
        .map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod shape_tests {
    use super::*;
    use proptest::prelude::Strategy;

    /// The shape key as first written, a byte at a time: the fast one must agree.
    fn slow_shape_key(line: &[u8]) -> Vec<u8> {
        let mut key = Vec::new();
        let mut i = 0;
        while i < line.len() {
            let start = i;
            let digits = line[i].is_ascii_digit();
            while i < line.len() && line[i].is_ascii_digit() == digits {
                i += 1;
            }
            let run = &line[start..i];
            if digits
                && run.len() >= 3
                && !KEEP_NUMBERS.iter().any(|k| k.as_bytes() == run)
                && run.iter().any(|&d| d != b'0')
            {
                key.push(b'#');
            } else {
                key.extend_from_slice(run);
            }
        }
        key
    }

    #[test]
    fn digit_mask_every_byte_in_every_lane() {
        for b in 0..=255u8 {
            for lane in 0..8 {
                // The other lanes hold bytes next to the digits' range, and high bytes.
                for fill in [b'/', b':', 0x00, 0xff, 0xb0, b'a', b'0', b'9'] {
                    let mut w = [fill; 8];
                    w[lane] = b;
                    let expected = if b.is_ascii_digit() {
                        0x80u64 << (lane * 8)
                    } else {
                        0
                    } | if fill.is_ascii_digit() {
                        !(0xffu64 << (lane * 8)) & (0x0101_0101_0101_0101 * 0x80)
                    } else {
                        0
                    };
                    assert_eq!(
                        digit_mask(u64::from_le_bytes(w)),
                        expected,
                        "byte {b:#x} in lane {lane} among {fill:#x}"
                    );
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn fast_shape_key_is_the_slow_one(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    "[0-9]{1,7}",
                    "24576|24578|36136|36137|0000|00",
                    "[a-zA-Z .:/\\[\\]-]{1,12}",
                    proptest::string::bytes_regex("[\\x00-\\xff]{1,9}")
                        .unwrap()
                        .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
                ],
                0..24,
            )
        ) {
            let line = parts.concat();
            let mut key = vec![b'x'; 3];
            shape_key(line.as_bytes(), &mut key);
            proptest::prop_assert_eq!(key, slow_shape_key(line.as_bytes()));
        }
    }

    #[test]
    fn shapes_keep_what_rules_read() {
        let mut k = Vec::new();
        shape_key(
            b"Exchange 348: MM1 to 200.200.200.1 notify 14 24578 msgid 0000",
            &mut k,
        );
        assert_eq!(
            String::from_utf8_lossy(&k),
            "Exchange #: MM1 to #.#.#.1 notify 14 24578 msgid 0000"
        );
        // Lines of one shape get the verdict of a line of that shape, cached or not.
        let c = Classifier::builtin();
        for l in [
            "ISAKMP: Exchange 348: retransmitting MM1 to 200.200.200.1",
            "ISAKMP: Exchange 977: retransmitting MM1 to 200.200.200.9",
            "received notify type 24578 from 1.2.3.4",
            "received notify type 24579 from 1.2.3.4",
        ] {
            assert_eq!(c.scan(l), c.scan_uncached(l), "{l}");
            assert_eq!(c.scan(l), c.scan_uncached(l), "{l} (cached)");
        }
    }
}
