//! The `tunnelscope` binary: parse the command line, run the subcommand, map errors to a
//! one-line message and an exit status (2 for bad input such as a missing file).

mod cli;

use clap::Parser;
use cli::{
    AnalyzeArgs, BundleArgs, Cli, Command, ConnectArgs, DemoArgs, HostKeyArg, KeysArgs, LinkArgs,
    ReplayArgs, ScreenArgs, SimArgs, SnapshotArgs,
};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use tunnelscope::alliedware::debug::Classifier;
use tunnelscope::alliedware::prompt::PromptMatcher;
use tunnelscope::analyze::{self, json, report, Options};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Analyze(args) => run_analyze(args),
        Command::Sim(args) => run_sim(args),
        Command::Snapshot(args) => run_snapshot(args),
        Command::Ports => run_ports(),
        Command::Demo(args) => run_demo(args),
        Command::Connect(args) => run_connect(args),
        Command::Keys(args) => run_keys(args),
        Command::Replay(args) => run_replay(args),
        Command::Bundle(args) => run_bundle(args),
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
    let stamps = match args.stamp.as_deref() {
        Some(expr) => tunnelscope::console::stamp::Choice::Given(std::sync::Arc::new(
            tunnelscope::console::stamp::Format::custom(expr)
                .map_err(|e| anyhow::anyhow!("--stamp is not a valid regular expression: {e}"))?,
        )),
        None => tunnelscope::console::stamp::Choice::Detect,
    };
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
    // Each input is opened once, before any output (a pipe or FIFO cannot be opened again).
    let inputs = analyze::open_inputs(&paths)?;
    let stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let result = if args.json {
        let mut stream = json::JsonStream::begin(stdout, args.failures_only)?;
        let mut sink = |e: &tunnelscope::model::DebugEvent| stream.event(e);
        let analysis = analyze::analyze_inputs_with_stamps(
            inputs,
            classifier,
            &prompt,
            opts,
            stamps,
            Some(&mut sink),
            progress,
        )?;
        stream.end(&analysis).map(|_| ())
    } else {
        let analysis = analyze::analyze_inputs_with_stamps(
            inputs, classifier, &prompt, opts, stamps, None, progress,
        )?;
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

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

fn run_sim(args: SimArgs) -> anyhow::Result<ExitCode> {
    use tunnelscope::sim::serve::{self, SharedNet};
    use tunnelscope::sim::{ConsoleConfig, Scenario, Start};
    let scenario: Scenario = args
        .scenario
        .parse()
        .map_err(|e: String| anyhow::anyhow!(e))?;
    let net = SharedNet::new(scenario);
    let peer = usize::from(args.peer - 1);
    let cfg = ConsoleConfig {
        page_lines: args.page_lines.max(2),
        securedelay: std::time::Duration::from_secs(args.securedelay),
    };
    let rt = runtime()?;
    rt.block_on(async move {
        if let Some(path) = &args.serial {
            serve::serve_serial(net, peer, path, args.baud, cfg).await?;
        } else if let Some(addr) = &args.telnet {
            serve::serve_telnet(net, peer, addr, cfg, |a| {
                eprintln!(
                    "tunnelscope sim: {scenario} Peer{} on telnet://{a}",
                    peer + 1
                );
            })
            .await?;
        } else {
            let start = if args.login {
                Start::Login
            } else {
                Start::SecOff
            };
            serve::serve_stdio(net, peer, start, cfg).await?;
        }
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// The password: from TUNNELSCOPE_PASSWORD, or asked for on the terminal (never an argument).
fn password(prompt: &str) -> anyhow::Result<Option<tunnelscope::link::Secret>> {
    if let Ok(p) = std::env::var("TUNNELSCOPE_PASSWORD") {
        // Out of the environment once read, before the runtime's threads start, so no child
        // process (the system ping) inherits it.
        std::env::remove_var("TUNNELSCOPE_PASSWORD");
        return Ok(Some(tunnelscope::link::Secret::new(p)));
    }
    if !std::io::stdin().is_terminal() {
        return Ok(None);
    }
    let p = rpassword::prompt_password(prompt)?;
    Ok(Some(tunnelscope::link::Secret::new(p)))
}

/// A session configuration from the link arguments.
fn session_config(a: &LinkArgs) -> anyhow::Result<tunnelscope::console::session::SessionConfig> {
    use tunnelscope::link::{HostKeyPolicy, LinkOptions, SerialOptions, SshOptions, Target};
    let target: Target = a.target.parse()?;
    if let Target::Sim { scenario, .. } = &target {
        // A scenario that does not exist is said once, before anything starts (a session
        // would retry it for ever).
        scenario
            .parse::<tunnelscope::sim::Scenario>()
            .map_err(|e: String| anyhow::anyhow!(e))?;
    }
    let target_user = match &target {
        Target::Ssh { user, .. } | Target::Telnet { user, .. } => user.clone(),
        _ => None,
    };
    let user = a.user.clone().or(target_user);
    let needs_password = !matches!(target, Target::Sim { .. }) || user.is_some();
    let login_user = match &target {
        // The simulator's console port starts at the login prompt too.
        Target::Sim { .. } => user.clone().or_else(|| Some("secoff".into())),
        _ => Some(user.clone().unwrap_or_else(|| "manager".into())),
    };
    let pw = match (&target, needs_password) {
        // The simulator's own log-ins (manager/friend, secoff/secoff) need no asking.
        (Target::Sim { .. }, _) if std::env::var("TUNNELSCOPE_PASSWORD").is_err() => {
            let sim_user = login_user.as_deref().unwrap_or("secoff");
            let known = if sim_user.eq_ignore_ascii_case("manager") {
                "friend"
            } else {
                "secoff"
            };
            Some(tunnelscope::link::Secret::new(known))
        }
        _ => password(&format!(
            "Password for {}: ",
            login_user.as_deref().unwrap_or("the router")
        ))?,
    };
    let link = LinkOptions {
        serial: SerialOptions {
            baud: a.baud,
            data_bits: a.data_bits,
            parity: a.parity.clone(),
            stop_bits: a.stop_bits,
            flow: a.flow.clone(),
        },
        ssh: SshOptions {
            identity: a.identity.clone(),
            host_key: match a.host_key {
                HostKeyArg::Ask => HostKeyPolicy::Ask,
                HostKeyArg::AcceptNew => HostKeyPolicy::AcceptNew,
                HostKeyArg::Strict => HostKeyPolicy::Strict,
            },
            legacy: a.legacy_ssh,
            known_hosts: a.known_hosts.clone(),
            keepalive_secs: 30,
        },
        user: login_user.clone(),
        password: pw.clone(),
    };
    Ok(tunnelscope::console::session::SessionConfig {
        target,
        link,
        user: login_user,
        password: pw,
        prompt: PromptMatcher::new(a.prompt.as_deref())
            .map_err(|e| anyhow::anyhow!("--prompt is not a valid regular expression: {e}"))?,
        poll: Default::default(),
        reconnect: false,
    })
}

fn run_snapshot(args: SnapshotArgs) -> anyhow::Result<ExitCode> {
    let cfg = session_config(&args.link)?;
    let target = args.link.target.clone();
    let rt = runtime()?;
    let result = rt.block_on(tunnelscope::snapshot::snapshot(
        cfg,
        std::time::Duration::from_secs(args.timeout.max(5)),
    ));
    let mut analysis = match result {
        Ok(a) => a,
        // Stopped by a signal (logged off first): the status says which, as a shell would.
        Err(e @ tunnelscope::snapshot::SnapshotError::Signal(_)) => {
            return Ok(ExitCode::from(e.exit_status()))
        }
        Err(e) => return Err(anyhow::anyhow!(e)),
    };
    analysis.files = vec![target];
    let mut out = std::io::stdout().lock();
    let text = if args.json {
        let mut s = serde_json::to_string_pretty(&json::to_value(&analysis))?;
        s.push('\n');
        s
    } else {
        report::render(&analysis)
    };
    if let Err(e) = out.write_all(text.as_bytes()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(e.into());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn run_ports() -> anyhow::Result<ExitCode> {
    use std::io::Write;
    let ports = tunnelscope::link::serial::list_ports().map_err(|e| anyhow::anyhow!(e))?;
    // Written with errors handled: a full disk or a closed pipe is a message, not a panic.
    let mut out = std::io::stdout().lock();
    if ports.is_empty() {
        writeln!(
            out,
            "no serial ports found (a USB console cable shows up as /dev/ttyUSB0 or /dev/ttyACM0)"
        )?;
    }
    for (name, kind) in ports {
        writeln!(out, "serial:{name}  {kind}")?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The keymap: the default, `vim`, or the default with a user file over it; the user's config
/// directory's `keymap.toml` applies when no `--keymap` is given.
fn keymap(name: Option<&str>) -> anyhow::Result<tunnelscope::tui::keymap::Keymap> {
    use tunnelscope::tui::keymap::Keymap;
    if let Some(n) = name {
        return Ok(Keymap::load(n)?);
    }
    let mut km = Keymap::builtin();
    let user = std::env::var_os("XDG_CONFIG_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".config")))
        .map(|d| d.join("tunnelscope").join("keymap.toml"));
    if let Some(p) = user.filter(|p| p.exists()) {
        km.overlay_file(&p)?;
    }
    Ok(km)
}

fn screen_options(
    a: &ScreenArgs,
    ping: Option<String>,
) -> anyhow::Result<tunnelscope::tui::run::Options> {
    if !std::io::stdout().is_terminal() {
        anyhow::bail!("the screen needs a terminal (for scripts use `tunnelscope snapshot`)");
    }
    Ok(tunnelscope::tui::run::Options {
        keymap: keymap(a.keymap.as_deref())?,
        scrollback: a.scrollback.clamp(100, 10_000_000),
        ping_target: ping,
        ping_from_router: false,
        capture: match (&a.capture, a.no_capture) {
            (_, true) => tunnelscope::tui::run::CaptureChoice::Off,
            (Some(p), _) => tunnelscope::tui::run::CaptureChoice::Path(p.clone()),
            (None, false) => tunnelscope::tui::run::CaptureChoice::Default,
        },
        keep_secrets: a.keep_secrets,
    })
}

fn run_demo(args: DemoArgs) -> anyhow::Result<ExitCode> {
    use tunnelscope::sim::Scenario;
    let scenario: Scenario = args
        .scenario
        .parse()
        .map_err(|e: String| anyhow::anyhow!(e))?;
    let opts = screen_options(&args.screen, None)?;
    let ending = runtime()?.block_on(tunnelscope::tui::run::run(
        tunnelscope::tui::run::Source::Demo(scenario),
        opts,
    ))?;
    Ok(ExitCode::from(ending.exit_status()))
}

fn run_connect(args: ConnectArgs) -> anyhow::Result<ExitCode> {
    let mut cfg = session_config(&args.link)?;
    cfg.reconnect = true;
    let mut opts = screen_options(&args.screen, args.ping.clone())?;
    opts.ping_from_router = args.ping_from_router;
    // A --capture file that is there already is refused before anything reaches the router.
    tunnelscope::tui::run::check_capture(&opts.capture, &[cfg.target.to_string()])?;
    let rt = runtime()?;
    // Open the link once before the screen takes the terminal: an unknown SSH host key is
    // asked about on a normal terminal, and a wrong password or a missing device is said
    // plainly instead of inside the screen.
    if !matches!(cfg.target, tunnelscope::link::Target::Sim { .. }) {
        let link = rt.block_on(tunnelscope::link::open(&cfg.target, &cfg.link))?;
        // The session takes this very link: a second connection is one too many for a
        // console that takes one.
        tunnelscope::link::hand_over(&cfg.target, link);
    }
    let ending = rt.block_on(tunnelscope::tui::run::run(
        tunnelscope::tui::run::Source::Live(Box::new(cfg)),
        opts,
    ))?;
    Ok(ExitCode::from(ending.exit_status()))
}

fn run_keys(args: KeysArgs) -> anyhow::Result<ExitCode> {
    let km = keymap(args.keymap.as_deref())?;
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    write!(out, "{}", tunnelscope::tui::keymap::listing(&km))?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn run_replay(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    use tunnelscope::tui::replay::Pace;
    let paths = [args.file.as_path()];
    analyze::check_readable(&paths)?;
    if !tunnelscope::capture::read::is_capture(&args.file) {
        anyhow::bail!(
            "{} is not a tunnelscope capture (for a plain terminal log use `tunnelscope analyze`)",
            args.file.display()
        );
    }
    let screen = ScreenArgs {
        keymap: args.keymap.clone(),
        scrollback: 100_000,
        capture: None,
        no_capture: true,
        keep_secrets: false,
    };
    let opts = screen_options(&screen, None)?;
    // --speed was checked when the arguments were read (finite, 0.01 to 1000).
    let pace = if args.instant {
        Pace::Instant
    } else {
        Pace::Speed(args.speed)
    };
    let ending = runtime()?.block_on(tunnelscope::tui::run::run(
        tunnelscope::tui::run::Source::Replay(args.file.clone(), pace),
        opts,
    ))?;
    Ok(ExitCode::from(ending.exit_status()))
}

fn run_bundle(args: BundleArgs) -> anyhow::Result<ExitCode> {
    let paths = [args.capture.as_path()];
    analyze::check_readable(&paths)?;
    let out = runtime()?.block_on(tunnelscope::tui::evidence::bundle_from_capture(
        &args.capture,
        args.output.as_deref(),
    ))?;
    println!("{}", out.display());
    Ok(ExitCode::SUCCESS)
}
