//! Collecting the vendor's support dump (`show debug ipsec`): a small state machine fed by the
//! session's command blocks (the one reader's output, no second cleaner). When the router does
//! not know the command (software older than 2.9.1), the dialect's list of commands runs one by
//! one instead, and their blocks are collected the same way.

use crate::console::transcript::Block;
use crate::model::Dialect;

/// Lines kept of one dump, and bytes of each line: a router flooding the line during the read
/// must not grow memory (at most ~50 MB).
const MAX_LINES: usize = 100_000;
const MAX_LINE: usize = 512;

/// What a block did to the collection.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// Not the dump's, or more to come.
    Continue,
    /// The router does not know the command: run these instead (the last one ends it).
    Fallback(Vec<String>),
    /// Done: the dump's text.
    Done(String),
}

/// One dump in progress.
#[derive(Debug)]
pub struct Collector {
    /// The canonical command whose block ends the dump.
    last: String,
    /// True while waiting for the single command (not the fallback list).
    single: bool,
    lines: Vec<String>,
}

impl Collector {
    /// Start collecting the dialect's support dump (the command is sent by the caller).
    pub fn start(dialect: &dyn Dialect) -> Option<(Collector, String)> {
        let cmd = dialect.support_dump()?;
        Some((
            Collector {
                last: dialect.canonical(&cmd),
                single: true,
                lines: Vec::new(),
            },
            cmd,
        ))
    }

    /// A command block arrived. `sa_ids` and `policies` expand the fallback list.
    pub fn on_block(
        &mut self,
        b: &Block,
        dialect: &dyn Dialect,
        sa_ids: &[u32],
        policies: &[String],
    ) -> Step {
        let canonical = &b.command.canonical;
        let ends = *canonical == self.last
            || (self.single
                && b.command.display == crate::alliedware::commands::Display::DebugIpsec);
        if !self.single && !ends {
            // The fallback's commands before the last: each block is part of the dump.
            self.keep(b);
            return Step::Continue;
        }
        if !ends {
            return Step::Continue;
        }
        if self.single {
            let first: Vec<&str> = b.lines.iter().take(6).map(|l| l.text.as_str()).collect();
            if dialect.is_error_reply(&first) {
                let list = dialect.support_dump_fallback(sa_ids, policies);
                self.last = list
                    .last()
                    .map(|c| dialect.canonical(c))
                    .unwrap_or_default();
                self.single = false;
                return Step::Fallback(list);
            }
        }
        self.keep(b);
        let mut text = std::mem::take(&mut self.lines).join("\n");
        text.push('\n');
        Step::Done(text)
    }

    fn keep(&mut self, b: &Block) {
        if !self.single {
            self.push(b.command.typed.clone());
        }
        for l in &b.lines {
            self.push(l.text.clone());
        }
    }

    fn push(&mut self, mut t: String) {
        if self.lines.len() >= MAX_LINES {
            return;
        }
        if t.len() > MAX_LINE {
            let mut end = MAX_LINE;
            while !t.is_char_boundary(end) {
                end -= 1;
            }
            t.truncate(end);
        }
        self.lines.push(t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alliedware::commands::recognise;
    use crate::alliedware::dialect::dialect;
    use crate::model::SourceLine;

    fn block(cmd: &str, lines: &[&str]) -> Block {
        Block {
            prompt: None,
            command: recognise(cmd),
            lines: lines
                .iter()
                .enumerate()
                .map(|(i, l)| SourceLine {
                    number: i + 2,
                    text: l.to_string(),
                })
                .collect(),
            start_line: 1,
            dropped: 0,
            bytes: 0,
            truncated: false,
        }
    }

    #[test]
    fn the_dump_is_the_commands_block() {
        let d = dialect();
        let (mut c, cmd) = Collector::start(d).expect("AlliedWare has one");
        assert_eq!(cmd, "show debug ipsec");
        assert_eq!(
            c.on_block(&block("show isakmp sa", &["x"]), d, &[], &[]),
            Step::Continue
        );
        match c.on_block(&block("show debug ipsec", &["System", "a"]), d, &[], &[]) {
            Step::Done(t) => assert_eq!(t, "System\na\n"),
            s => panic!("{s:?}"),
        }
    }

    #[test]
    fn an_unknown_command_falls_back_to_the_list_and_collects_each_block() {
        let d = dialect();
        let (mut c, _) = Collector::start(d).expect("dump");
        let step = c.on_block(
            &block("show debug ipsec", &["Error (3035): Unknown command"]),
            d,
            &[7],
            &["vpn".into()],
        );
        let Step::Fallback(list) = step else {
            panic!("{step:?}")
        };
        assert!(list.contains(&"show ipsec sa=7".to_string()), "{list:?}");
        assert_eq!(
            c.on_block(&block("show system", &["Router"]), d, &[], &[]),
            Step::Continue
        );
        match c.on_block(&block("show ffile check", &["ok"]), d, &[], &[]) {
            Step::Done(t) => assert_eq!(t, "show system\nRouter\nshow ffile check\nok\n"),
            s => panic!("{s:?}"),
        }
    }
}
