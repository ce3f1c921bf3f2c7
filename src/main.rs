//! The `tunnelscope` binary: parse the command line, run the subcommand, map errors to a
//! one-line message and an exit status (2 for bad input such as a missing file).

mod cli;

use clap::Parser;
use cli::{AnalyzeArgs, Cli, Command};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use tunnelscope::alliedware::debug::Classifier;
use tunnelscope::alliedware::prompt::PromptMatcher;
use tunnelscope::analyze::{self, json, report, Options};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Analyze(args) => run_analyze(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tunnelscope: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run_analyze(args: AnalyzeArgs) -> anyhow::Result<ExitCode> {
    let owned;
    let classifier: &Classifier = match &args.rules {
        Some(path) => {
            owned = Classifier::with_user_file(path)?;
            &owned
        }
        None => Classifier::builtin(),
    };
    let prompt = PromptMatcher::new(args.prompt.as_deref())
        .map_err(|e| anyhow::anyhow!("--prompt is not a valid regular expression: {e}"))?;
    let opts = Options {
        keep_events: false,
        exchanges: args.json,
    };
    let paths: Vec<&std::path::Path> = args.files.iter().map(|p| p.as_path()).collect();
    let tty = std::io::stderr().is_terminal();
    let mut shown = false;
    let progress = |done: u64, total: u64| {
        // Progress only for long inputs, and only where a person is watching.
        if tty && total > 32 << 20 {
            eprint!(
                "\rreading {:>5.1}% ({} of {} MB)",
                done as f64 * 100.0 / total.max(1) as f64,
                done >> 20,
                total >> 20
            );
            shown = true;
        }
    };
    analyze::check_readable(&paths)?;
    let stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let result = if args.json {
        let mut stream = json::JsonStream::begin(stdout, args.failures_only)?;
        let mut sink = |e: &tunnelscope::model::DebugEvent| stream.event(e);
        let analysis =
            analyze::analyze_files(&paths, classifier, &prompt, opts, Some(&mut sink), progress)?;
        stream.end(&analysis).map(|_| ())
    } else {
        let analysis = analyze::analyze_files(&paths, classifier, &prompt, opts, None, progress)?;
        let mut out = stdout;
        out.write_all(report::render(&analysis).as_bytes())
            .and_then(|_| out.flush())
    };
    if shown {
        eprintln!();
    }
    // A closed pipe (`| head`) is not an error worth a message.
    if let Err(e) = result {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(e.into());
        }
    }
    Ok(ExitCode::SUCCESS)
}
