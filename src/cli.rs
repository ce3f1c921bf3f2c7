//! The command line (clap derive). Only argument shapes live here; `main.rs` runs them.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "tunnelscope",
    version,
    about = "Find out why an IPsec VPN tunnel on an AlliedWare router will not come up or pass traffic",
    long_about = None
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read captures (terminal logs, saved `show debug ipsec`) and report what they show
    Analyze(AnalyzeArgs),
}

#[derive(Debug, clap::Args)]
pub struct AnalyzeArgs {
    /// Capture files, read in order as one session (the last output of a command wins)
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Print JSON instead of the readable report
    #[arg(long)]
    pub json: bool,
    /// A TOML file of extra debug classifier rules (same form as the built-in rules)
    #[arg(long, value_name = "FILE", env = "TUNNELSCOPE_RULES")]
    pub rules: Option<PathBuf>,
    /// A regular expression for a prompt changed with `set port prompt=` (matched at line start)
    #[arg(long, value_name = "REGEX")]
    pub prompt: Option<String>,
    /// In JSON, list only the failing debug lines instead of every unsolicited line
    #[arg(long)]
    pub failures_only: bool,
}
