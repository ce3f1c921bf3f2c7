//! The `tunnelscope` binary: parse the command line, run the subcommand, map errors to a
//! one-line message and an exit status (2 for bad input such as a missing file).

mod cli;

use clap::Parser;
use cli::{
    AnalyzeArgs, BundleArgs, Cli, Command, ConnectArgs, DemoArgs, DiagnoseArgs, HostKeyArg,
    KeysArgs, LinkArgs, ReplayArgs, ScreenArgs, SimArgs, SnapshotArgs,
};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use tunnelscope::alliedware::debug::Classifier;
use tunnelscope::alliedware::prompt::PromptMatcher;
use tunnelscope::analyze::{self, json, report, Options};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The log goes to a file in the data folder, never the screen; asked for by --log-level
    // or RUST_LOG.
    if let Err(e) = tunnelscope::logging::init(cli.log_level.as_deref()) {
        eprintln!("tunnelscope: {e}");
        return ExitCode::from(2);
    }
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
        Command::Diagnose(args) => run_diagnose(args),
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
        // The ladder is drawn from the debug lines themselves.
        keep_events: args.ladder,
        exchanges: args.json || args.ladder,
    };
    let paths: Vec<&std::path::Path> = args.files.iter().map(|p| p.as_path()).collect();
    if !args.other.is_empty() || args.ladder {
        return analyze_two_ends(&args, &paths, classifier, &prompt, opts, stamps);
    }
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

/// `analyze FILE... --other FILE...`: both ends of a tunnel, each read as one session, then
/// compared (each end named by the router's own name where its text shows it); and
/// `--ladder`, with one end or two.
fn analyze_two_ends(
    args: &AnalyzeArgs,
    paths: &[&std::path::Path],
    classifier: &Classifier,
    prompt: &PromptMatcher,
    opts: Options,
    stamps: tunnelscope::console::stamp::Choice,
) -> anyhow::Result<ExitCode> {
    let others: Vec<&std::path::Path> = args.other.iter().map(|p| p.as_path()).collect();
    let read = |paths: &[&std::path::Path]| -> anyhow::Result<analyze::Analysis> {
        let inputs = analyze::open_inputs(paths)?;
        Ok(analyze::analyze_inputs_with_stamps(
            inputs,
            classifier,
            prompt,
            opts,
            stamps.clone(),
            None,
            |_, _| {},
        )?)
    };
    let a = read(paths)?;
    let name = |x: &analyze::Analysis, fallback: &std::path::Path| {
        x.state.snapshot.system_name.clone().unwrap_or_else(|| {
            fallback
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
    };
    let mut na = name(&a, paths[0]);
    let b = match others.first() {
        Some(first) => {
            let b = read(&others)?;
            let mut nb = name(&b, first);
            if na == nb {
                na.push_str(" (this end)");
                nb.push_str(" (other end)");
            }
            Some((b, nb))
        }
        None => None,
    };
    let ladder = if args.ladder {
        let mut inputs = vec![analyze::ends::LadderInput::of_analysis(&na, &a)];
        if let Some((b, nb)) = &b {
            inputs.push(analyze::ends::LadderInput::of_analysis(nb, b));
        }
        Some(analyze::ends::ladder(&inputs))
    } else {
        None
    };
    let dialect = tunnelscope::alliedware::dialect::dialect();
    let mut text = match (&b, args.json) {
        (Some((b, nb)), true) => {
            let mut v = analyze::two_ends([&a, b], [&na, nb], dialect).json();
            if let (Some(l), Some(o)) = (&ladder, v.as_object_mut()) {
                o.insert("ladder".into(), serde_json::json!(l));
            }
            let mut s = serde_json::to_string_pretty(&v)?;
            s.push('\n');
            s
        }
        (Some((b, nb)), false) => analyze::two_ends([&a, b], [&na, nb], dialect).text(),
        (None, true) => {
            let mut v = json::to_value(&a);
            if let (Some(l), Some(o)) = (&ladder, v.as_object_mut()) {
                o.insert("ladder".into(), serde_json::json!(l));
            }
            let mut s = serde_json::to_string_pretty(&v)?;
            s.push('\n');
            s
        }
        (None, false) => report::render(&a),
    };
    if let (Some(l), false) = (&ladder, args.json) {
        match l {
            Some(l) => {
                text.push_str("\nExchange ladder\n");
                text.push_str(&l.text());
            }
            None => text.push_str("\nExchange ladder: no exchange seen in the debug stream\n"),
        }
    }
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
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

/// The environment variable holding the password of target `i` (0: the first).
fn password_var(i: usize) -> &'static str {
    if i == 0 {
        "TUNNELSCOPE_PASSWORD"
    } else {
        "TUNNELSCOPE_PASSWORD_2"
    }
}

/// A password: from the target's environment variable, or asked for on the terminal naming the
/// target (never an argument, never written).
fn password(var: &str, prompt: &str) -> anyhow::Result<Option<tunnelscope::link::Secret>> {
    if let Ok(p) = std::env::var(var) {
        // Out of the environment once read, before the runtime's threads start, so no child
        // process (the system ping) inherits it; and its bytes in the process's original
        // environment block (what /proc/PID/environ shows) are overwritten first.
        scrub_env(var);
        std::env::remove_var(var);
        return Ok(Some(tunnelscope::link::Secret::new(p)));
    }
    if !std::io::stdin().is_terminal() {
        return Ok(None);
    }
    let p = rpassword::prompt_password(prompt)?;
    Ok(Some(tunnelscope::link::Secret::new(p)))
}

/// Overwrite an environment variable's value where it lies in memory (the block the kernel
/// shows as /proc/PID/environ keeps it even after `remove_var`).
fn scrub_env(var: &str) {
    let Ok(name) = std::ffi::CString::new(var) else {
        return;
    };
    // SAFETY: called from `main` before any other thread exists; `getenv` returns a pointer to
    // the NUL-terminated value, owned by the environment, which is overwritten in place with
    // as many zero bytes as it has (its length is not changed).
    unsafe {
        let p = libc::getenv(name.as_ptr());
        if !p.is_null() {
            let len = libc::strlen(p);
            std::ptr::write_bytes(p, 0, len);
        }
    }
}

/// A serial target's own user: `serial:secoff@/dev/ttyUSB0` (a device path never holds `@`
/// before its first `/`).
fn serial_user(text: &str) -> (Option<String>, String) {
    if let Some(rest) = text.trim().strip_prefix("serial:") {
        if let Some((user, path)) = rest.split_once('@') {
            if !user.is_empty() && !user.contains('/') && path.starts_with('/') {
                return (Some(user.to_string()), format!("serial:{path}"));
            }
        }
    }
    (None, text.to_string())
}

/// The session configurations of the link arguments: one per target (two for both ends of a
/// tunnel), each with its own user and password.
fn session_configs(
    a: &LinkArgs,
) -> anyhow::Result<Vec<tunnelscope::console::session::SessionConfig>> {
    let rules = rules(a.rules.as_deref())?;
    let prompt = prompt(a.prompt.as_deref())?;
    let mut out = Vec::new();
    for (i, text) in a.targets.iter().enumerate() {
        out.push(session_config(a, i, text, rules, prompt.clone())?);
    }
    if let [x, y] = out.as_slice() {
        if x.target == y.target {
            anyhow::bail!(
                "both targets are {}: give the two ends of the tunnel",
                x.target
            );
        }
    }
    Ok(out)
}

/// The session configuration of target `i`.
fn session_config(
    a: &LinkArgs,
    i: usize,
    text: &str,
    rules: &'static Classifier,
    prompt: PromptMatcher,
) -> anyhow::Result<tunnelscope::console::session::SessionConfig> {
    use tunnelscope::link::{HostKeyPolicy, LinkOptions, SerialOptions, SshOptions, Target};
    let (serial_user, text) = serial_user(text);
    let target: Target = text.parse()?;
    if let Target::Sim { scenario, .. } = &target {
        // A scenario that does not exist is said once, before anything starts (a session
        // would retry it for ever).
        scenario
            .parse::<tunnelscope::sim::Scenario>()
            .map_err(|e: String| anyhow::anyhow!(e))?;
    }
    let target_user = match &target {
        Target::Ssh { user, .. } | Target::Telnet { user, .. } => user.clone(),
        _ => serial_user,
    };
    let user = target_user.or_else(|| a.user.clone());
    let needs_password = !matches!(target, Target::Sim { .. }) || user.is_some();
    let login_user = match &target {
        // The simulator's console port starts at the login prompt too.
        Target::Sim { .. } => user.clone().or_else(|| Some("secoff".into())),
        _ => Some(user.clone().unwrap_or_else(|| "manager".into())),
    };
    let var = password_var(i);
    let pw = match (&target, needs_password) {
        // The simulator's own log-ins (manager/friend, secoff/secoff) need no asking.
        (Target::Sim { .. }, _) if std::env::var(var).is_err() => {
            let sim_user = login_user.as_deref().unwrap_or("secoff");
            let known = if sim_user.eq_ignore_ascii_case("manager") {
                "friend"
            } else {
                "secoff"
            };
            Some(tunnelscope::link::Secret::new(known))
        }
        _ => password(
            var,
            &format!(
                "Password for {} on {target}: ",
                login_user.as_deref().unwrap_or("the router")
            ),
        )?,
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
        prompt,
        poll: Default::default(),
        reconnect: false,
        dialect: tunnelscope::alliedware::dialect::dialect(),
        rules,
    })
}

fn run_snapshot(args: SnapshotArgs) -> anyhow::Result<ExitCode> {
    let cfgs = session_configs(&args.link)?;
    let labels = tunnelscope::live::Source::Links(cfgs.clone()).labels();
    let dialect = cfgs[0].dialect;
    let rt = runtime()?;
    if args.compare_keys {
        keys_over_telnet(&cfgs)?;
    }
    let result = rt.block_on(tunnelscope::snapshot::snapshot_all(
        cfgs,
        std::time::Duration::from_secs(args.timeout.max(5)),
        args.compare_keys,
    ));
    let snaps = match result {
        Ok(a) => a,
        // Stopped by a signal (logged off first): the status says which, as a shell would.
        Err(e @ tunnelscope::snapshot::SnapshotError::Signal(_)) => {
            return Ok(ExitCode::from(e.exit_status()))
        }
        Err(e) => return Err(anyhow::anyhow!(e)),
    };
    let keys_same = match snaps.as_slice() {
        [a, b] if args.compare_keys => tunnelscope::snapshot::keys_same(&a.keys, &b.keys),
        _ => None,
    };
    let mut analyses: Vec<analyze::Analysis> = snaps.into_iter().map(|s| s.analysis).collect();
    for (a, t) in analyses.iter_mut().zip(&args.link.targets) {
        a.files = vec![t.clone()];
    }
    let ladder = args.ladder.then(|| {
        let inputs: Vec<analyze::ends::LadderInput> = analyses
            .iter()
            .zip(&labels)
            .map(|(a, l)| analyze::ends::LadderInput::of_analysis(l, a))
            .collect();
        analyze::ends::ladder(&inputs)
    });
    let with_ladder = |mut v: serde_json::Value| -> anyhow::Result<String> {
        if let (Some(l), Some(o)) = (&ladder, v.as_object_mut()) {
            o.insert("ladder".into(), serde_json::json!(l));
        }
        let mut s = serde_json::to_string_pretty(&v)?;
        s.push('\n');
        Ok(s)
    };
    let mut text = match analyses.as_slice() {
        [one] if args.json => with_ladder(json::to_value(one))?,
        [one] => report::render(one),
        [a, b] => {
            let both = tunnelscope::analyze::ends::two_ends_with(
                [a, b],
                [labels[0].as_str(), labels[1].as_str()],
                dialect,
                tunnelscope::tunnel::Options { keys_same },
            );
            if args.json {
                with_ladder(both.json())?
            } else {
                both.text()
            }
        }
        _ => String::new(),
    };
    if let (Some(l), false) = (&ladder, args.json) {
        match l {
            Some(l) => {
                text.push_str("\nExchange ladder\n");
                text.push_str(&l.text());
            }
            None => text.push_str("\nExchange ladder: no exchange seen in the debug stream\n"),
        }
    }
    let mut out = std::io::stdout().lock();
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
    let user = tunnelscope::dirs::keymap_file();
    if let Some(p) = user.filter(|p| p.exists()) {
        km.overlay_file(&p)?;
    }
    Ok(km)
}

/// The debug classifier: the built-in rules, plus the user's `--rules` file. Read once per run
/// and kept for the run's life (sessions and replays share it).
fn rules(path: Option<&std::path::Path>) -> anyhow::Result<&'static Classifier> {
    Ok(match path {
        Some(p) => Box::leak(Box::new(Classifier::with_user_file(p)?)),
        None => Classifier::builtin(),
    })
}

fn prompt(regex: Option<&str>) -> anyhow::Result<PromptMatcher> {
    PromptMatcher::new(regex)
        .map_err(|e| anyhow::anyhow!("--prompt is not a valid regular expression: {e}"))
}

fn capture_choice(path: Option<&std::path::Path>, off: bool) -> tunnelscope::live::CaptureChoice {
    use tunnelscope::live::CaptureChoice;
    match (path, off) {
        (_, true) => CaptureChoice::Off,
        (Some(p), _) => CaptureChoice::Path(p.to_path_buf()),
        (None, false) => CaptureChoice::Default,
    }
}

fn screen_options(
    a: &ScreenArgs,
    ping: Option<String>,
    rules: &'static Classifier,
    prompt: PromptMatcher,
) -> anyhow::Result<tunnelscope::tui::run::Options> {
    if !std::io::stdout().is_terminal() {
        anyhow::bail!("the screen needs a terminal (for scripts use `tunnelscope snapshot`)");
    }
    Ok(tunnelscope::tui::run::Options {
        keymap: keymap(a.keymap.as_deref())?,
        live: tunnelscope::live::Options {
            scrollback: a.scrollback.clamp(100, 10_000_000),
            ping_target: ping,
            ping_from_router: false,
            capture: capture_choice(a.capture.as_deref(), a.no_capture),
            keep_secrets: a.keep_secrets,
            rules,
            prompt,
            dialect: tunnelscope::alliedware::dialect::dialect(),
        },
    })
}

fn run_demo(args: DemoArgs) -> anyhow::Result<ExitCode> {
    use tunnelscope::sim::Scenario;
    let scenario: Scenario = args
        .scenario
        .parse()
        .map_err(|e: String| anyhow::anyhow!(e))?;
    let rules = rules(args.rules.as_deref())?;
    let opts = screen_options(&args.screen, None, rules, PromptMatcher::default())?;
    let ending = runtime()?.block_on(tunnelscope::tui::run::run(
        tunnelscope::live::Source::Demo(scenario),
        opts,
    ))?;
    Ok(ExitCode::from(ending.exit_status()))
}

/// Open the link once before anything else takes the terminal: an unknown SSH host key is
/// asked about on a normal terminal, and a wrong password or a missing device is said plainly.
/// The session takes this very link: a second connection is one too many for a console that
/// takes one.
fn open_first(
    rt: &tokio::runtime::Runtime,
    cfg: &tunnelscope::console::session::SessionConfig,
) -> anyhow::Result<()> {
    if !matches!(cfg.target, tunnelscope::link::Target::Sim { .. }) {
        let link = rt.block_on(tunnelscope::link::open(&cfg.target, &cfg.link))?;
        tunnelscope::link::hand_over(&cfg.target, link);
    }
    Ok(())
}

fn run_connect(args: ConnectArgs) -> anyhow::Result<ExitCode> {
    let mut cfgs = session_configs(&args.link)?;
    for c in &mut cfgs {
        c.reconnect = true;
    }
    let (rules, prompt) = (cfgs[0].rules, cfgs[0].prompt.clone());
    let mut opts = screen_options(&args.screen, args.ping.clone(), rules, prompt)?;
    opts.live.ping_from_router = args.ping_from_router;
    // A --capture file that is there already is refused before anything reaches a router.
    let source = tunnelscope::live::Source::Links(cfgs);
    tunnelscope::live::capture::check_capture(&opts.live.capture, &source.labels())?;
    let rt = runtime()?;
    if let tunnelscope::live::Source::Links(cfgs) = &source {
        for c in cfgs {
            open_first(&rt, c)?;
        }
    }
    let ending = rt.block_on(tunnelscope::tui::run::run(source, opts))?;
    Ok(ExitCode::from(ending.exit_status()))
}

/// Keys read over telnet cross the network in clear text: asked first on a terminal, refused
/// without one.
fn keys_over_telnet(cfgs: &[tunnelscope::console::session::SessionConfig]) -> anyhow::Result<()> {
    let telnet: Vec<String> = cfgs
        .iter()
        .filter(|c| matches!(c.target, tunnelscope::link::Target::Telnet { .. }))
        .map(|c| c.target.to_string())
        .collect();
    if telnet.is_empty() {
        return Ok(());
    }
    let risk = format!(
        "reading the pre-shared keys over telnet ({}) sends them across the network in clear text",
        telnet.join(", ")
    );
    if !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "{risk}: not done without a terminal to ask on (use SSH or the console port)"
        );
    }
    eprint!("{risk}. Read them anyway? [y/N] ");
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    if answer.trim().eq_ignore_ascii_case("y") || answer.trim().eq_ignore_ascii_case("yes") {
        Ok(())
    } else {
        anyhow::bail!("keys not compared: {risk}")
    }
}

fn run_diagnose(args: DiagnoseArgs) -> anyhow::Result<ExitCode> {
    let mut cfgs = session_configs(&args.link)?;
    for c in &mut cfgs {
        c.reconnect = true;
    }
    let live = tunnelscope::live::Options {
        scrollback: tunnelscope::live::debuglog::DEFAULT_SCROLLBACK,
        ping_target: args.ping.clone(),
        ping_from_router: args.ping_from_router,
        capture: capture_choice(args.capture.as_deref(), args.no_capture),
        keep_secrets: args.keep_secrets,
        rules: cfgs[0].rules,
        prompt: cfgs[0].prompt.clone(),
        dialect: cfgs[0].dialect,
    };
    let labels = tunnelscope::live::Source::Links(cfgs.clone()).labels();
    tunnelscope::live::capture::check_capture(&live.capture, &labels)?;
    if args.compare_keys {
        keys_over_telnet(&cfgs)?;
    }
    let rt = runtime()?;
    for c in &cfgs {
        open_first(&rt, c)?;
    }
    let opts = tunnelscope::diagnose::Options {
        watch: std::time::Duration::from_secs(args.for_secs),
        debug: !args.no_debug,
        compare_keys: args.compare_keys,
        ladder: args.ladder,
        progress: std::io::stderr().is_terminal(),
        live,
    };
    let outcome = rt.block_on(tunnelscope::diagnose::diagnose(cfgs, opts))?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &outcome.json())?;
        writeln!(out)?;
    } else {
        write!(out, "{}", outcome.text())?;
    }
    out.flush()?;
    Ok(ExitCode::from(outcome.exit_status()))
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
    use tunnelscope::live::Pace;
    let paths: Vec<&std::path::Path> = args.files.iter().map(|p| p.as_path()).collect();
    analyze::check_readable(&paths)?;
    for f in &args.files {
        if !tunnelscope::capture::read::is_capture(f) {
            anyhow::bail!(
                "{} is not a tunnelscope capture (for a plain terminal log use `tunnelscope analyze`)",
                f.display()
            );
        }
    }
    let screen = ScreenArgs {
        keymap: args.keymap.clone(),
        scrollback: 100_000,
        capture: None,
        no_capture: true,
        keep_secrets: false,
    };
    let opts = screen_options(
        &screen,
        None,
        rules(args.read.rules.as_deref())?,
        prompt(args.read.prompt.as_deref())?,
    )?;
    // --speed was checked when the arguments were read (finite, 0.01 to 1000).
    let pace = if args.instant {
        Pace::Instant
    } else {
        Pace::Speed(args.speed)
    };
    let ending = runtime()?.block_on(tunnelscope::tui::run::run(
        tunnelscope::live::Source::Replay(args.files.clone(), pace),
        opts,
    ))?;
    Ok(ExitCode::from(ending.exit_status()))
}

fn run_bundle(args: BundleArgs) -> anyhow::Result<ExitCode> {
    let paths = [args.capture.as_path()];
    analyze::check_readable(&paths)?;
    let out = runtime()?.block_on(tunnelscope::live::bundle::bundle_from_capture(
        &args.capture,
        args.output.as_deref(),
    ))?;
    println!("{}", out.display());
    Ok(ExitCode::SUCCESS)
}
