//! What a vendor's CLI must say and recognise, as one vendor-neutral trait: the session, the
//! live room and the doctor's advice get every command text through it, so a second vendor is a
//! sibling implementation, not a search through the code. AlliedWare's is
//! `crate::alliedware::dialect::AlliedWare`.

/// A command the doctor's advice or the live room refers to, named by intent; the dialect spells
/// it. Values are as the router showed them (a policy name with spaces is quoted by the dialect).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cmd<'a> {
    /// The ISAKMP SA table.
    ShowIkeSas,
    /// The exchanges in progress.
    ShowExchanges,
    /// The IPsec SA table.
    ShowIpsecSas,
    /// One ISAKMP SA in detail.
    ShowIkeSa(u32),
    /// One IPsec SA in detail.
    ShowIpsecSa(u32),
    /// The running configuration.
    ShowConfig,
    /// The interfaces and their addresses.
    ShowInterfaces,
    /// The counters of one IPsec policy.
    PolicyCounters(&'a str),
    /// The router's own log of a module (`isakmp`, `ipsec`).
    ShowLog(&'a str),
    /// The pre-shared key with this id (its value is a secret).
    ShowKey(&'a str),
    /// Negotiation debug on or off.
    Debug(bool),
    /// A ping from the router.
    Ping(&'a str),
    /// A route trace from the router.
    Trace(&'a str),
    /// A setting of an ISAKMP (phase 1) policy: `setting` is `name=value` in the vendor's words.
    SetIkePolicy { policy: &'a str, setting: &'a str },
    /// A setting of an IPsec (phase 2) policy.
    SetIpsecPolicy { policy: &'a str, setting: &'a str },
    /// End the console session.
    Logoff,
    /// The list of pre-shared keys (ids only).
    ShowKeys,
    /// The configuration of phase 1 (ISAKMP) only.
    ShowIkeConfig,
    /// The configuration of phase 2 (IPsec) only.
    ShowIpsecConfig,
    /// The configuration of the firewall only.
    ShowFirewallConfig,
    /// One firewall policy.
    ShowFirewallPolicy(&'a str),
    /// The command that sets the router's local address to this one.
    SetLocalAddress(&'a str),
    /// The command that puts the local address back to its default (unset).
    ClearLocalAddress,
    /// The command that turns the firewall on (as a configuration line says it).
    EnableFirewall,
    /// A new IPsec (phase 2) policy: `settings` are `name=value` words in the vendor's words.
    CreateIpsecPolicy { policy: &'a str, settings: &'a str },
    /// A ping from the router with a chosen source address.
    PingFrom { target: &'a str, source: &'a str },
}

/// A vendor's CLI. Implementations are plain data and pure functions (no I/O), shared by every
/// session as `&'static dyn Dialect`.
pub trait Dialect: Send + Sync + std::fmt::Debug {
    /// The vendor's name, for reports.
    fn name(&self) -> &'static str;
    /// A command's exact text, ready to paste at the router's prompt.
    fn command(&self, c: &Cmd) -> String;
    /// The tables read every poll cycle, in the order they are read (ISAKMP SAs, exchanges,
    /// IPsec SAs); a policy's counters are added per policy.
    fn poll_set(&self) -> [String; 3] {
        [
            self.command(&Cmd::ShowIkeSas),
            self.command(&Cmd::ShowExchanges),
            self.command(&Cmd::ShowIpsecSas),
        ]
    }
    /// The first half of the reset: the modules taken down (on both ends before either comes
    /// back up).
    fn reset_down(&self) -> Vec<String>;
    /// The second half: the modules brought up again.
    fn reset_up(&self) -> Vec<String>;
    /// The reset that clears stuck SAs, in the order it must be sent.
    fn reset_sequence(&self) -> Vec<String> {
        let mut v = self.reset_down();
        v.extend(self.reset_up());
        v
    }
    /// The commands the screen's command line completes.
    fn completions(&self) -> &'static [&'static str];
    /// The one command that collects everything for a support case, if the vendor has one.
    fn support_dump(&self) -> Option<String>;
    /// What the support dump runs, one command at a time, for software without it; per-SA and
    /// per-policy commands expanded from what was read.
    fn support_dump_fallback(&self, ipsec_sa_ids: &[u32], policies: &[String]) -> Vec<String>;
    /// True when the first lines of a reply say the router did not take the command.
    fn is_error_reply(&self, first_lines: &[&str]) -> bool;
    /// True when a line typed at a prompt ends the session.
    fn is_logoff(&self, typed: &str) -> bool;
    /// The same command however it was typed (abbreviations, case): for matching a reply to
    /// the command that asked for it.
    fn canonical(&self, typed: &str) -> String;
    /// The SHA-256 fingerprint of the pre-shared key a key display's reply shows, `None` when
    /// it shows none. The value is hashed where it is found and never kept.
    fn key_fingerprint(&self, lines: &[&str]) -> Option<[u8; 32]>;
    /// True when a command changes nothing on the router (the live room sends only these on
    /// its own).
    fn is_read_only(&self, typed: &str) -> bool;
}
