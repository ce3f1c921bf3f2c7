//! The reading pipeline for files (and the state it builds, shared with live sessions):
//! bytes -> clean lines -> blocks and unsolicited lines -> parsers and classifier -> model
//! -> doctor. `tunnelscope analyze` is this pipeline plus a report.

pub mod json;
pub mod report;

use crate::alliedware::debug::Classifier;
use crate::alliedware::parse;
use crate::alliedware::prompt::PromptMatcher;
use crate::console::text::{TextCleaner, TextEvent};
use crate::console::transcript::{Item, Transcript};
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
                    phase: c.phase,
                    failure: c.failure,
                    text: l.text,
                    exchange: c.exchange,
                };
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

/// Reads text through the pipeline, chunk by chunk.
pub struct Analyzer<'c, 's> {
    classifier: &'c Classifier,
    cleaner: TextCleaner,
    transcript: Transcript<'c>,
    events: Vec<TextEvent>,
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
            cleaner: TextCleaner::new(prompt.clone()),
            transcript: Transcript::new(classifier),
            events: Vec::new(),
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

    /// Name the file being read (line numbers restart; events say which file).
    pub fn start_file(&mut self, name: Option<String>, prompt: PromptMatcher) {
        self.end_input();
        self.cleaner = TextCleaner::new(prompt);
        self.transcript = Transcript::new(self.classifier);
        self.file = name;
    }

    /// Bytes of a capture record that stands on `line` of its file.
    pub fn feed_at_line(&mut self, bytes: &[u8], line: usize) {
        self.cleaner.set_line_number(line);
        self.feed(bytes);
    }

    pub fn feed(&mut self, bytes: &[u8]) {
        self.bytes += bytes.len() as u64;
        // In small pieces: a piece of empty lines makes one event and one item per byte, and
        // those are held until the piece is through (a megabyte of line feeds held that way
        // took 400 MB).
        for piece in bytes.chunks(FEED_PIECE) {
            self.cleaner.feed(piece, &mut self.events);
            self.transcript.feed(&mut self.events, &mut self.items);
            self.drain();
        }
    }

    fn drain(&mut self) {
        for item in self.items.drain(..) {
            let ev = self
                .state
                .apply(item, self.classifier, self.opts, self.file.as_deref());
            if let (Some(ev), Some(sink)) = (ev, self.sink.as_mut()) {
                sink(&ev);
            }
        }
    }

    fn end_input(&mut self) {
        self.cleaner.finish(&mut self.events);
        self.transcript.feed(&mut self.events, &mut self.items);
        self.transcript.finish(&mut self.items);
        self.lines += self.cleaner.line_number().saturating_sub(1);
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
    mut progress: impl FnMut(u64, u64),
) -> Result<Analysis, ReadError> {
    let total: u64 = inputs.iter().map(|i| i.len).sum();
    let names: Vec<String> = inputs.iter().map(|i| i.name.clone()).collect();
    let mut a = Analyzer::new(classifier, prompt.clone(), opts);
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
