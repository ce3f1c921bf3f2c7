//! The release binary run as a user runs it, with its own data folder and no password in the
//! environment, and its JSON read back: shared by the command-line tests of `diagnose`,
//! `snapshot` and `analyze`.

#![allow(dead_code)]

use std::process::{Command, Output};

/// Run `tunnelscope ARGS` with `XDG_DATA_HOME` set to `data`.
pub fn tunnelscope(args: &[&str], data: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tunnelscope"))
        .args(args)
        .env("XDG_DATA_HOME", data)
        .env_remove("TUNNELSCOPE_PASSWORD")
        .env_remove("TUNNELSCOPE_PASSWORD_2")
        .output()
        .expect("tunnelscope runs")
}

/// A fresh folder for one test (named after the test and the process).
pub fn tempdir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("tunnelscope-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// The JSON a run printed (a failing test shows what it printed instead).
pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// The codes of a report's findings, in order.
pub fn codes(v: &serde_json::Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|f| f["code"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}
