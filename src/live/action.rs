//! What the user (or a headless driver such as `diagnose`) asks of the live room: one typed
//! enum, so the screen turns keys into these and never talks to a session itself.

/// A replay's controls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayControl {
    Pause,
    Step,
    Faster,
    Slower,
    /// Run to the next failure.
    Next,
}

/// One request of the live room. `router` is an index into `Live::routers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// A command line the user typed (its answer goes to the console).
    Command { router: usize, text: String },
    /// Keys typed in passthrough, as bytes.
    Raw { router: usize, bytes: Vec<u8> },
    /// Negotiation debug on or off.
    Debug { router: usize, on: bool },
    /// Read every table now.
    PollNow { router: usize },
    /// The How To Note's reset (ISAKMP and IPsec disabled, then enabled again).
    Reset { router: usize },
    /// The reset on every router: all taken down first, then all brought up together once
    /// every router has answered the last command that takes it down.
    ResetAll,
    /// Compare the pre-shared keys the ends' ISAKMP policies name, by fingerprint: the values
    /// are read, hashed and dropped (never shown, captured or kept).
    CompareKeys,
    /// Counter deltas count from now.
    Baseline { router: usize },
    /// Start or stop the ping across the tunnel.
    Ping { router: usize, start: bool },
    /// Show (and poll) another encrypting policy's counters.
    CyclePolicy { router: usize, forward: bool },
    /// One ISAKMP SA in detail (its answer goes to the console).
    ShowIkeSa { router: usize, id: u32 },
    /// One IPsec SA in detail.
    ShowIpsecSa { router: usize, id: u32 },
    /// The vendor's support dump (`show debug ipsec`), saved beside the capture.
    SupportDump { router: usize },
    /// The evidence bundle of one router.
    Bundle { router: usize },
    /// Demo: both simulated peers start again in another scenario.
    Scenario(String),
    /// A replay's controls.
    Replay(ReplayControl),
    /// Debug off where we turned it on, log off where we logged in, and end.
    Quit,
}
