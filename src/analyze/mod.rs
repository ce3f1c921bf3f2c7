//! The reading pipeline for files (and the state it builds, shared with live sessions):
//! bytes -> clean lines -> blocks and unsolicited lines -> parsers and classifier -> model
//! -> doctor. `tunnelscope analyze` is this pipeline plus a report.

pub mod ends;
pub use ends::two_ends;
pub mod json;
pub mod report;

use crate::alliedware::debug::Classifier;
use crate::alliedware::parse;
use crate::alliedware::prompt::PromptMatcher;
use crate::console::reader::Reader;
use crate::console::stamp::{self, Stripper};
use crate::console::transcript::Item;
use crate::doctor::{self, DoctorInput, Finding};
use crate::model::{DebugEvent, DebugSummary, Snapshot};
use std::io::Read;
use std::path::Path;

/// How much to keep while reading.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Keep every unsolicited line as an event (for JSON); otherwise only counts and failures.
    pub keep_events: bool,
    /// Work out which exchange each debug line belongs to (costs time on large files).
    pub exchanges: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            keep_events: false,
            exchanges: true,
        }
    }
}

/// The router state built from text: tables, configuration, the debug stream's summary.
#[derive(Debug, Clone, Default)]
pub struct State {
    pub snapshot: Snapshot,
    pub debug: DebugSummary,
    /// Command blocks read.
    pub blocks: usize,
    /// Pager prompts removed.
    pub pager_prompts: usize,
    /// Blocks cut short by the end of the input.
    pub truncated_blocks: usize,
}

impl State {
    /// Apply one item of the transcript. An unsolicited line is counted, and returned as an
    /// event for the caller to keep or pass on.
    pub fn apply(
        &mut self,
        item: Item,
        classifier: &Classifier,
        opts: Options,
        file: Option<&str>,
    ) -> Option<DebugEvent> {
        self.apply_at(item, classifier, opts, file, |_| None)
    }

    /// `apply`, with `time(line)` giving an unsolicited line's time (from a terminal
    /// program's stamp on that line of a file).
    pub fn apply_at(
        &mut self,
        item: Item,
        classifier: &Classifier,
        opts: Options,
        file: Option<&str>,
        time: impl FnOnce(usize) -> Option<String>,
    ) -> Option<DebugEvent> {
        self.apply_inner(item, classifier, opts, file, time, true)
    }

    /// `apply_at`; with `want_event` false the event is only recorded, not handed back (no
    /// copy of each line's text when no one takes it).
    fn apply_inner(
        &mut self,
        item: Item,
        classifier: &Classifier,
        opts: Options,
        file: Option<&str>,
        time: impl FnOnce(usize) -> Option<String>,
        want_event: bool,
    ) -> Option<DebugEvent> {
        match item {
            Item::Block(b) => {
                self.blocks += 1;
                if b.truncated {
                    self.truncated_blocks += 1;
                }
                if let Some(name) = b.prompt.as_ref().and_then(|p| p.system_name.clone()) {
                    self.snapshot.system_name = Some(name);
                }
                parse::apply(
                    b.command.display,
                    &b.command.canonical,
                    &b.lines,
                    &mut self.snapshot,
                );
            }
            Item::Unsolicited(l, verdict) => {
                if l.text.trim().is_empty() {
                    return None;
                }
                let v = verdict.unwrap_or_else(|| classifier.scan(&l.text));
                let c = classifier.explain_in_context(
                    &l.text,
                    v,
                    opts.exchanges,
                    &mut self.debug.context,
                );
                let event = DebugEvent {
                    line: l.number,
                    file: file.map(str::to_string),
                    time: time(l.number),
                    phase: c.phase,
                    failure: c.failure,
                    text: l.text,
                    exchange: c.exchange,
                };
                if !want_event {
                    self.debug.record(event, opts.keep_events);
                    return None;
                }
                self.debug.record(event.clone(), opts.keep_events);
                return Some(event);
            }
            Item::Prompt(p, _) => {
                if let Some(n) = p.system_name {
                    self.snapshot.system_name = Some(n);
                }
            }
            Item::Pager => self.pager_prompts += 1,
            Item::Login(..) | Item::Password(_) => {}
        }
        None
    }

    /// The doctor's findings on this state.
    pub fn findings(&self, live: bool) -> Vec<Finding> {
        doctor::examine(&DoctorInput {
            snapshot: &self.snapshot,
            debug: &self.debug,
            live,
            dialect: crate::alliedware::dialect::dialect(),
        })
    }
}

/// What `analyze` produced.
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    pub state: State,
    pub findings: Vec<Finding>,
    pub files: Vec<String>,
    pub bytes: u64,
    pub lines: usize,
}

/// Bytes cleaned at a time: bounds the events and items held between the pipeline's stages.
const FEED_PIECE: usize = 16 * 1024;

/// Where each debug event goes as it is read (e.g. straight into a JSON stream), so a large
/// capture never has to be held in memory.
pub type EventSink<'s> = &'s mut dyn FnMut(&DebugEvent);

/// Lines a reader may hold before it gives them out (the transcript holds a title line
/// until the next): the stamp times of older lines are forgotten.
const STAMP_TIMES_HELD: usize = 1024;

/// Terminal programs' stamps on the lines of the input being read.
enum Stamps {
    /// Not looked for (a tunnelscope capture), or none found: bytes go straight to the
    /// cleaner (the fast path).
    Off,
    /// The first bytes, held until they show whether the lines carry stamps.
    Detecting(stamp::Head),
    /// The lines carry stamps: each is removed before the cleaner sees the line; the buffer
    /// holds one stripped piece.
    Strip(Box<Stripper>, Vec<u8>),
}

impl Stamps {
    fn initial(choice: &stamp::Choice) -> Stamps {
        match choice {
            stamp::Choice::Detect => Stamps::Detecting(stamp::Head::default()),
            stamp::Choice::Given(f) => {
                Stamps::Strip(Box::new(Stripper::given(f.clone())), Vec::new())
            }
        }
    }
}

/// Reads text through the pipeline, chunk by chunk.
pub struct Analyzer<'c, 's> {
    classifier: &'c Classifier,
    stamp_choice: stamp::Choice,
    stamps: Stamps,
    /// The one reader (cleaner and transcript) every path shares.
    reader: Reader<'c>,
    items: Vec<Item>,
    opts: Options,
    state: State,
    file: Option<String>,
    bytes: u64,
    lines: usize,
    sink: Option<EventSink<'s>>,
}

impl<'c, 's> Analyzer<'c, 's> {
    pub fn new(classifier: &'c Classifier, prompt: PromptMatcher, opts: Options) -> Self {
        Analyzer {
            classifier,
            stamp_choice: stamp::Choice::Detect,
            stamps: Stamps::initial(&stamp::Choice::Detect),
            reader: Reader::new(prompt, classifier),
            items: Vec::new(),
            opts,
            state: State::default(),
            file: None,
            bytes: 0,
            lines: 0,
            sink: None,
        }
    }

    /// Pass every debug event to `sink` as it is read.
    pub fn with_sink(mut self, sink: EventSink<'s>) -> Self {
        self.sink = Some(sink);
        self
    }

    /// How terminal programs' stamps at line starts are found: recognised from each input's
    /// first lines (the default), or the user's format.
    pub fn with_stamps(mut self, choice: stamp::Choice) -> Self {
        self.stamps = Stamps::initial(&choice);
        self.stamp_choice = choice;
        self
    }

    /// Name the file being read (line numbers restart; events say which file).
    pub fn start_file(&mut self, name: Option<String>, prompt: PromptMatcher) {
        self.end_input();
        self.reader = Reader::new(prompt, self.classifier);
        self.file = name;
        self.stamps = Stamps::initial(&self.stamp_choice);
    }

    /// The input being read is a tunnelscope capture: its records hold the router's bytes
    /// as they came, with no terminal program's stamps to look for.
    pub fn capture_input(&mut self) {
        if let Stamps::Detecting(head) = std::mem::replace(&mut self.stamps, Stamps::Off) {
            self.feed_clean(&head.bytes);
        }
        self.stamps = Stamps::Off;
    }

    /// The name of the stamp format found on the input being read, if any.
    pub fn stamp_format(&self) -> Option<&str> {
        match &self.stamps {
            Stamps::Strip(s, _) => Some(s.name()),
            _ => None,
        }
    }

    /// Bytes of a capture record that stands on `line` of its file.
    pub fn feed_at_line(&mut self, bytes: &[u8], line: usize) {
        self.reader.cleaner.set_line_number(line);
        self.feed(bytes);
    }

    pub fn feed(&mut self, bytes: &[u8]) {
        self.bytes += bytes.len() as u64;
        self.route(bytes);
    }

    /// Bytes to the cleaner, through the stamp stripper when the input has stamps.
    fn route(&mut self, bytes: &[u8]) {
        match &mut self.stamps {
            Stamps::Off => self.feed_clean(bytes),
            Stamps::Detecting(head) => {
                let taken = head.push(bytes);
                if head.ready() {
                    self.decide_stamps(false);
                    self.route(&bytes[taken..]);
                }
            }
            Stamps::Strip(..) => {
                for piece in bytes.chunks(FEED_PIECE) {
                    let Stamps::Strip(s, out) = &mut self.stamps else {
                        return;
                    };
                    out.clear();
                    s.feed(piece, out);
                    let out = std::mem::take(out);
                    self.feed_clean(&out);
                    if let Stamps::Strip(_, o) = &mut self.stamps {
                        *o = out;
                    }
                }
            }
        }
    }

    /// The first lines are in (or the input ended, `complete`): choose a format, or none,
    /// and read the held bytes on that path.
    fn decide_stamps(&mut self, complete: bool) {
        let Stamps::Detecting(head) = std::mem::replace(&mut self.stamps, Stamps::Off) else {
            return;
        };
        if let Some(f) = stamp::detect(&head.bytes, complete) {
            self.stamps = Stamps::Strip(Box::new(Stripper::builtin(f)), Vec::new());
        }
        self.route(&head.bytes);
    }

    /// Clean bytes (no stamps) through the cleaner and the transcript.
    fn feed_clean(&mut self, bytes: &[u8]) {
        // In small pieces: a piece of empty lines makes one event and one item per byte, and
        // those are held until the piece is through (a megabyte of line feeds held that way
        // took 400 MB).
        for piece in bytes.chunks(FEED_PIECE) {
            self.reader.clean(piece, None);
            self.reader.split(&mut self.items);
            self.drain();
        }
    }

    fn drain(&mut self) {
        let stripper = match &self.stamps {
            Stamps::Strip(s, _) => Some(&**s),
            _ => None,
        };
        let want_events = self.sink.is_some();
        for item in self.items.drain(..) {
            let ev = self.state.apply_inner(
                item,
                self.classifier,
                self.opts,
                self.file.as_deref(),
                |n| stripper.and_then(|s| s.time_of(n)),
                want_events,
            );
            if let (Some(ev), Some(sink)) = (ev, self.sink.as_mut()) {
                sink(&ev);
            }
        }
        if let Stamps::Strip(s, _) = &mut self.stamps {
            s.forget_before(
                self.reader
                    .cleaner
                    .line_number()
                    .saturating_sub(STAMP_TIMES_HELD),
            );
        }
    }

    fn end_input(&mut self) {
        if matches!(self.stamps, Stamps::Detecting(_)) {
            self.decide_stamps(true);
        }
        if let Stamps::Strip(s, out) = &mut self.stamps {
            out.clear();
            s.finish(out);
            let out = std::mem::take(out);
            self.feed_clean(&out);
        }
        self.reader.finish(&mut self.items);
        self.lines += self.reader.cleaner.line_number().saturating_sub(1);
        self.drain();
    }

    pub fn finish(mut self) -> Analysis {
        self.end_input();
        let findings = self.state.findings(false);
        Analysis {
            state: self.state,
            findings,
            files: Vec::new(),
            bytes: self.bytes,
            lines: self.lines,
        }
    }
}

/// A file that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {path}: {reason}")]
pub struct ReadError {
    pub path: String,
    pub reason: String,
}

/// Check that every file can be opened and is not a directory, before any output is written.
pub fn check_readable(paths: &[&Path]) -> Result<(), ReadError> {
    for p in paths {
        let err = |e: std::io::Error| ReadError {
            path: p.display().to_string(),
            reason: io_reason(&e),
        };
        let f = std::fs::File::open(p).map_err(err)?;
        if f.metadata().map_err(err)?.is_dir() {
            return Err(ReadError {
                path: p.display().to_string(),
                reason: "it is a directory".into(),
            });
        }
    }
    Ok(())
}

/// One input of `analyze`, opened (once: a pipe, a FIFO or stdin cannot be opened again).
pub struct Input {
    /// The name it is reported under (`-` for stdin).
    pub name: String,
    reader: Box<dyn Read>,
    /// Its size when it is a regular file (for progress), else 0.
    len: u64,
}

/// Open every input before any output is written, so a missing file is reported first.
/// `-` is stdin. Each is opened once and never read here.
pub fn open_inputs(paths: &[&Path]) -> Result<Vec<Input>, ReadError> {
    let mut inputs = Vec::new();
    for p in paths {
        let name = p.display().to_string();
        let err = |e: std::io::Error| ReadError {
            path: name.clone(),
            reason: io_reason(&e),
        };
        if p.as_os_str() == "-" {
            inputs.push(Input {
                name,
                reader: Box::new(std::io::stdin()),
                len: 0,
            });
            continue;
        }
        let f = std::fs::File::open(p).map_err(err)?;
        let meta = f.metadata().map_err(err)?;
        if meta.is_dir() {
            return Err(ReadError {
                path: name,
                reason: "it is a directory".into(),
            });
        }
        let len = if meta.is_file() { meta.len() } else { 0 };
        inputs.push(Input {
            name,
            reader: Box::new(f),
            len,
        });
    }
    Ok(inputs)
}

/// Read files through one pipeline (the tables hold the last output of each command).
/// `progress(done, total)` is called now and then on large inputs.
pub fn analyze_files(
    paths: &[&Path],
    classifier: &Classifier,
    prompt: &PromptMatcher,
    opts: Options,
    sink: Option<EventSink>,
    progress: impl FnMut(u64, u64),
) -> Result<Analysis, ReadError> {
    let inputs = open_inputs(paths)?;
    analyze_inputs(inputs, classifier, prompt, opts, sink, progress)
}

/// Bytes read from an input at a time; the pipeline holds at most this much input, plus one
/// cut line per stage.
const READ_BYTES: usize = 1 << 20;

/// `analyze_files` on inputs already open. Each is read once, from its first byte: the
/// first bytes tell a capture from a plain log, and are read again from memory.
pub fn analyze_inputs(
    inputs: Vec<Input>,
    classifier: &Classifier,
    prompt: &PromptMatcher,
    opts: Options,
    sink: Option<EventSink>,
    progress: impl FnMut(u64, u64),
) -> Result<Analysis, ReadError> {
    analyze_inputs_with_stamps(
        inputs,
        classifier,
        prompt,
        opts,
        stamp::Choice::Detect,
        sink,
        progress,
    )
}

/// `analyze_inputs`, with the way terminal programs' line stamps are found (`--stamp`).
pub fn analyze_inputs_with_stamps(
    inputs: Vec<Input>,
    classifier: &Classifier,
    prompt: &PromptMatcher,
    opts: Options,
    stamps: stamp::Choice,
    sink: Option<EventSink>,
    mut progress: impl FnMut(u64, u64),
) -> Result<Analysis, ReadError> {
    let total: u64 = inputs.iter().map(|i| i.len).sum();
    let names: Vec<String> = inputs.iter().map(|i| i.name.clone()).collect();
    let mut a = Analyzer::new(classifier, prompt.clone(), opts).with_stamps(stamps);
    if let Some(sink) = sink {
        a = a.with_sink(sink);
    }
    let several = inputs.len() > 1;
    let mut buf = vec![0u8; READ_BYTES];
    let mut done = 0u64;
    let mut next_report = 0u64;
    for input in inputs {
        let Input {
            name, mut reader, ..
        } = input;
        let err = |e: std::io::Error| ReadError {
            path: name.clone(),
            reason: io_reason(&e),
        };
        a.start_file(several.then(|| name.clone()), prompt.clone());
        let head =
            crate::capture::read::read_prefix(&mut reader, crate::capture::read::PREFIX_BYTES)
                .map_err(err)?;
        let is_capture = crate::capture::read::is_capture_prefix(&head);
        let mut reader = std::io::Cursor::new(head).chain(reader);
        if is_capture {
            // A tunnelscope capture: the router's side of it, each record at its line.
            a.capture_input();
            let r = std::io::BufReader::with_capacity(1 << 16, reader);
            let (_, records) = crate::capture::read::from_reader(r).map_err(err)?;
            let mut last_line = 0;
            for r in records {
                if let (crate::capture::Direction::In, Some(data)) = (r.dir, &r.data) {
                    // The further pieces of a long record go on from where it stands.
                    if r.line == last_line {
                        a.feed(data);
                    } else {
                        a.feed_at_line(data, r.line);
                    }
                    last_line = r.line;
                    done += data.len() as u64;
                }
            }
            progress(done, total);
            continue;
        }
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(err(e)),
            };
            a.feed(&buf[..n]);
            done += n as u64;
            if done >= next_report {
                progress(done, total);
                next_report = done + (16 << 20);
            }
        }
    }
    let mut analysis = a.finish();
    analysis.files = names;
    Ok(analysis)
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Analyse text already in memory (tests, and small inputs).
pub fn analyze_bytes(bytes: &[u8], classifier: &Classifier, opts: Options) -> Analysis {
    let mut a = Analyzer::new(classifier, PromptMatcher::default(), opts);
    // In pieces, as a file is read: the pipeline never holds more than a piece's lines.
    for piece in bytes.chunks(1 << 20) {
        a.feed(piece);
    }
    a.finish()
}
