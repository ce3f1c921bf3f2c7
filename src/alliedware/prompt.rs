//! AlliedWare prompt, login, password and pager text: how to recognise each on a line.

use regex::Regex;
use std::sync::OnceLock;

/// The privilege a prompt shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Privilege {
    User,
    Manager,
    SecurityOfficer,
    /// A prompt matched by the user's own pattern (`set port prompt=`): level unknown.
    Unknown,
}

impl Privilege {
    pub fn as_str(self) -> &'static str {
        match self {
            Privilege::User => "user",
            Privilege::Manager => "manager",
            Privilege::SecurityOfficer => "security officer",
            Privilege::Unknown => "unknown",
        }
    }
}

/// A prompt found at the start of a line, and what follows it (the command as typed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptMatch {
    pub privilege: Privilege,
    pub system_name: Option<String>,
    /// The prompt itself, e.g. `SecOff Peer1>`.
    pub prompt: String,
    /// Text after the prompt (the echoed command), trimmed.
    pub rest: String,
    /// A prompt that names its privilege (or the user's pattern): cannot be a debug line.
    /// A bare `Name>` is weak: it only counts when a command or nothing follows it.
    pub strong: bool,
}

/// The text the pager prints; the bare form is matched too.
pub const PAGER_MARK: &str = "--More--";

/// Recognises prompts, with an optional user pattern tried first.
#[derive(Debug, Clone, Default)]
pub struct PromptMatcher {
    custom: Option<Regex>,
}

fn builtin() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        // `Manager >`, `Manager Peer1>`, `SecOff Peer1> cmd`, `>`, `Peer1> cmd`.
        // The echoed command follows after a space (or nothing at all).
        Regex::new(
            r"^(?:(?P<level>Manager|SecOff)(?:\s+(?P<name>[^\s>]{1,64}))?\s*|(?P<uname>[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}))?>(?:\s+(?P<rest>.*))?$",
        )
        .expect("built-in prompt pattern is valid")
    })
}

impl PromptMatcher {
    /// `pattern` is a regular expression for the start of a prompt line, e.g. `^Branch-\d+# `.
    /// Text after the match is taken as the command.
    pub fn new(pattern: Option<&str>) -> Result<Self, regex::Error> {
        let custom = match pattern {
            Some(p) => Some(Regex::new(p)?),
            None => None,
        };
        Ok(PromptMatcher { custom })
    }

    pub fn match_line(&self, line: &str) -> Option<PromptMatch> {
        if let Some(re) = &self.custom {
            if let Some(m) = re.find(line) {
                if m.start() == 0 {
                    return Some(PromptMatch {
                        privilege: Privilege::Unknown,
                        system_name: None,
                        prompt: m.as_str().trim_end().to_string(),
                        rest: line[m.end()..].trim().to_string(),
                        strong: true,
                    });
                }
            }
        }
        // Cheap filter first (this runs on every line of a debug flood): before the `>` a
        // prompt has only a level word and a system name.
        let gt = line
            .bytes()
            .take(81)
            .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b' ' | b'_' | b'.' | b'-')))?;
        if line.as_bytes()[gt] != b'>' {
            return None;
        }
        let caps = builtin().captures(line)?;
        let rest = caps
            .name("rest")
            .map(|m| m.as_str().trim().to_string())
            .unwrap_or_default();
        let prompt_end = caps.name("rest").map(|m| m.start()).unwrap_or(line.len());
        let prompt = line[..prompt_end].trim_end().to_string();
        if let Some(level) = caps.name("level") {
            let privilege = if level.as_str() == "SecOff" {
                Privilege::SecurityOfficer
            } else {
                Privilege::Manager
            };
            return Some(PromptMatch {
                privilege,
                system_name: caps.name("name").map(|m| m.as_str().to_string()),
                prompt,
                rest,
                strong: true,
            });
        }
        Some(PromptMatch {
            privilege: Privilege::User,
            system_name: caps.name("uname").map(|m| m.as_str().to_string()),
            prompt,
            rest,
            strong: false,
        })
    }
}

fn login_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?i)^(?P<pre>.*\b)?login:\s*(?P<user>\S*)\s*$").expect("valid login pattern")
    })
}

/// A login prompt (`Peer1 login:`), and the user name typed after it if it was echoed.
pub fn match_login(line: &str) -> Option<String> {
    // Cheap test first, without allocating: this runs on every line of a capture.
    let b = line.as_bytes();
    let has = b
        .iter()
        .enumerate()
        .any(|(i, &c)| c == b':' && i >= 5 && b[i - 5..i].eq_ignore_ascii_case(b"login"));
    if !has {
        return None;
    }
    let caps = login_re().captures(line)?;
    Some(
        caps.name("user")
            .map(|m| m.as_str().to_string())
            .unwrap_or_default(),
    )
}

/// A line that starts with a login prompt (`Peer1 login:`, `login:`), whatever was typed after
/// it: a command typed at a login prompt is echoed there and taken as the user name, so the
/// `Password:` that follows belongs to a login, not to the security officer's
/// re-authentication.
pub fn starts_with_login(line: &str) -> bool {
    let t = line.trim_start();
    let head = t.get(..t.len().min(80)).unwrap_or(t);
    let Some(at) = head.to_ascii_lowercase().find("login:") else {
        return false;
    };
    // Before it: nothing, or one word (the system name) and a space.
    let before = head[..at].trim_end();
    before.is_empty() || (before.len() < at && !before.contains(char::is_whitespace))
}

/// A password prompt: a line ending in `Password:` (any case); the router does not echo.
pub fn is_password_prompt(line: &str) -> bool {
    // Compared as bytes: slicing the str could cut a multi-byte character and panic.
    let t = line.trim_end().as_bytes();
    t.len() >= 9 && t[t.len() - 9..].eq_ignore_ascii_case(b"password:")
}

/// A bare `Password:` prompt, alone on its line (spaces around it allowed): the only one
/// the security officer's re-authentication prints, and the only one answered with the
/// stored password outside a login.
pub fn is_bare_password_prompt(line: &str) -> bool {
    line.trim() == "Password:"
}

/// Where the pager prompt starts in `line`, and where it ends (exclusive), if it is complete.
/// The long form ends at its closing bracket; the bare form at the mark itself.
pub fn find_pager(line: &str) -> Option<(usize, usize)> {
    let start = line.find(PAGER_MARK)?;
    let after = start + PAGER_MARK.len();
    let tail = &line[after..];
    let trimmed = tail.trim_start();
    if trimmed.starts_with('(') {
        let close = trimmed.find(')')?;
        let end = after + (tail.len() - trimmed.len()) + close + 1;
        return Some((start, end));
    }
    Some((start, after))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_of_every_level() {
        let m = PromptMatcher::default();
        let p = m.match_line("SecOff Peer1> show isakmp sa").unwrap();
        assert_eq!(p.privilege, Privilege::SecurityOfficer);
        assert_eq!(p.system_name.as_deref(), Some("Peer1"));
        assert_eq!(p.rest, "show isakmp sa");
        assert_eq!(p.prompt, "SecOff Peer1>");
        let p = m.match_line("Manager >").unwrap();
        assert_eq!(p.privilege, Privilege::Manager);
        assert_eq!(p.system_name, None);
        assert_eq!(p.rest, "");
        let p = m.match_line("Manager > sh isa sa").unwrap();
        assert_eq!(p.rest, "sh isa sa");
        let p = m.match_line(">").unwrap();
        assert_eq!(p.privilege, Privilege::User);
        assert!(!p.strong);
        let p = m.match_line("Peer2> show ipsec sa").unwrap();
        assert_eq!(p.system_name.as_deref(), Some("Peer2"));
    }

    #[test]
    fn debug_lines_are_not_prompts() {
        let m = PromptMatcher::default();
        assert!(m
            .match_line("INFO: initiate new phase 1 negotiation: 1.1.1.1[500]<=>2.2.2.2[500]")
            .is_none());
        assert!(m.match_line("ISAKMP->send: MM message 1").is_none());
        assert!(m.match_line("a -> b").is_none());
    }

    #[test]
    fn custom_prompt_pattern() {
        let m = PromptMatcher::new(Some(r"^Branch-\d+# ")).unwrap();
        let p = m.match_line("Branch-7# show ipsec sa").unwrap();
        assert_eq!(p.rest, "show ipsec sa");
        assert_eq!(p.privilege, Privilege::Unknown);
        assert!(PromptMatcher::new(Some("(")).is_err());
    }

    #[test]
    fn login_password_pager() {
        assert_eq!(
            match_login("Peer1 login: manager").as_deref(),
            Some("manager")
        );
        assert_eq!(match_login("login:").as_deref(), Some(""));
        assert!(match_login("the login: of a b c").is_none());
        assert!(is_password_prompt("Password:"));
        assert!(is_password_prompt("password: "));
        assert!(!is_password_prompt("Password: is set"));
        assert!(!is_password_prompt("ééééé"));
        assert!(is_password_prompt("Mot de passe é Password:"));
        assert!(is_bare_password_prompt("Password: "));
        for not_bare in [
            "Old password:",
            "ISAKMP: peer says Password:",
            "PASSWORD:",
            "Please enter password:",
            "Manager Peer1> Password:",
        ] {
            assert!(!is_bare_password_prompt(not_bare), "{not_bare}");
        }
        let full = "--More-- (<space> = next page, <CR> = one line, C = continuous, Q = quit)";
        assert_eq!(find_pager(full), Some((0, full.len())));
        assert_eq!(find_pager("--More--"), Some((0, 8)));
        assert_eq!(find_pager("--More-- (<space> = next"), None);
    }

    #[test]
    fn lines_that_start_with_a_login_prompt() {
        assert!(starts_with_login("Peer1 login: show isakmp sa"));
        assert!(starts_with_login("login: secoff"));
        assert!(starts_with_login("Peer1 login:"));
        assert!(starts_with_login("  Peer1 LOGIN: x"));
        assert!(!starts_with_login("a failed login: of a b c"));
        assert!(!starts_with_login("Peer1login: x"));
        assert!(!starts_with_login("SecOff Peer1> show user"));
        assert!(starts_with_login("ééé login: x é"));
        assert!(!starts_with_login(""));
    }
}
