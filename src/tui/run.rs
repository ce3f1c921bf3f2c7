//! The screen's loop: terminal set-up and restore (also on panic and on SIGTERM, SIGINT,
//! SIGQUIT and SIGHUP), keys from a reader thread turned into the live room's actions, the
//! room's inputs applied, and redraws only when something changed (at most 30 a second, and
//! once a second for the clocks when idle). The way out (debug off, logoff) is the room's.

use super::app::App;
use super::input;
use super::keymap::Keymap;
use super::ui;
pub use crate::live::signals::{Ending, Stops};
use crate::live::{Live, Source};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// How the screen runs: the keys, and the live room's options.
pub struct Options {
    pub keymap: Keymap,
    pub live: crate::live::Options,
}

/// Keys (and resizes) from a thread, so the loop never blocks on the terminal.
fn key_reader(tx: mpsc::Sender<Option<crossterm::event::KeyEvent>>) {
    std::thread::spawn(move || loop {
        match crossterm::event::read() {
            Ok(crossterm::event::Event::Key(k)) => {
                if tx.blocking_send(Some(k)).is_err() {
                    return;
                }
            }
            Ok(crossterm::event::Event::Resize(..)) => {
                if tx.blocking_send(None).is_err() {
                    return;
                }
            }
            Ok(_) => {}
            Err(_) => return,
        }
    });
}

/// ratatui's terminal set-up, with a panic hook that restores the terminal quietly before the
/// panic message is printed (ratatui's own hook prints when the restore fails, and a closed
/// terminal turns that into a second panic and an abort).
fn init() -> std::io::Result<ratatui::DefaultTerminal> {
    let hook = std::panic::take_hook();
    let term = ratatui::try_init()?;
    std::panic::set_hook(Box::new(move |info| {
        let _ = ratatui::try_restore();
        hook(info);
    }));
    Ok(term)
}

/// Run the screen until the user quits or a signal ends it.
pub async fn run(source: Source, opts: Options) -> anyhow::Result<Ending> {
    // Refused before the terminal is taken (a `--capture` file that is there already).
    let live = Live::open(source, opts.live)?;
    // Before the terminal is taken: from then on a signal restores it.
    let stops = Stops::new()?;
    let mut term = init()?;
    let mut app = App::with_live(live, opts.keymap);
    let result = event_loop(&mut term, &mut app, stops).await;
    // Errors are not printed: the terminal may be gone (a closed window), and printing to it
    // would end the program before the routers are logged off.
    let _ = ratatui::try_restore();
    let (ending, terminal_gone) = result;
    if terminal_gone {
        // Dropping the terminal would print "Failed to show the cursor" to a closed terminal,
        // and printing there panics: there is nothing left to restore.
        std::mem::forget(term);
    }
    Ok(ending)
}

/// The loop; it ends with how it ended, and whether the terminal is gone.
async fn event_loop(
    term: &mut ratatui::DefaultTerminal,
    app: &mut App,
    mut stops: Stops,
) -> (Ending, bool) {
    let (key_tx, mut keys) = mpsc::channel(64);
    key_reader(key_tx);
    // Once a second: the clocks on screen move by seconds, and a stall grows by them.
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut last_draw = Instant::now() - Duration::from_secs(1);
    let mut dirty = true;
    let mut signal: Option<i32> = None;
    let mut terminal_gone = false;
    while !app.quit {
        if dirty && !terminal_gone && last_draw.elapsed() >= Duration::from_millis(33) {
            // A terminal gone (closed window, SIGHUP on its way) is no reason to leave without
            // turning off the debug: quit as after `q`, drawing no more.
            if term.draw(|f| ui::draw(f, app)).is_err() {
                terminal_gone = true;
                app.quit = true;
            }
            last_draw = Instant::now();
            dirty = false;
        }
        tokio::select! {
            k = keys.recv() => {
                match k {
                    Some(Some(k)) => {
                        if let Some(key) = input::from_crossterm(k) {
                            app.on_key(key);
                        }
                    }
                    Some(None) => { let _ = term.autoresize(); }
                    // The key reader ended: the terminal is gone.
                    None => {
                        terminal_gone = true;
                        app.quit = true;
                    }
                }
                dirty = true;
            }
            Some(input) = app.live.recv() => {
                // In passthrough the raw console is on screen: every chunk shows.
                let passthrough = app.input == super::app::Input::Passthrough;
                dirty |= app.live.handle(input) || passthrough;
            }
            _ = tick.tick() => {
                app.live.tick();
                dirty = true;
            }
            n = stops.recv() => {
                signal.get_or_insert(n);
                app.quit = true;
            }
        }
    }
    // Each session turns off the debug it turned on and logs off where it logged in.
    app.live.shutdown().await;
    // A closed terminal comes with a SIGHUP that may land just after the key reader saw the
    // end: give it a moment, so the exit status tells what happened.
    let grace = if terminal_gone {
        Duration::from_millis(200)
    } else {
        Duration::ZERO
    };
    if signal.is_none() {
        tokio::select! {
            biased;
            n = stops.recv() => signal = Some(n),
            _ = tokio::time::sleep(grace) => {}
        }
    }
    // A terminal that went away without a signal was hung up all the same (a window closed
    // where the shell got the SIGHUP): say so by the status, as no message can be shown.
    let ending = match (signal, terminal_gone) {
        (Some(n), _) => Ending::Signal(n),
        (None, true) => Ending::Signal(libc::SIGHUP),
        (None, false) => Ending::Quit,
    };
    (ending, terminal_gone)
}
