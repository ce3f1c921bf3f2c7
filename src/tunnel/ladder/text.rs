//! The ladder as plain text for a ticket: the two routers as columns with each end's time of
//! every message, arrows between them, and the line that says where and why it stopped.

use super::{Arrow, Ladder, Outcome, Seen};

/// Width of a time column ("10:15:02.100").
const TIME: usize = 12;

fn cell(seen: &Option<Seen>, debug: bool) -> String {
    let s = match seen {
        _ if !debug => String::new(),
        Some(Seen { time: Some(t), .. }) => format!("{t:.3}"),
        Some(Seen {
            time: None,
            line: Some(_),
        }) => "seen".to_string(),
        Some(Seen { time: None, .. }) => "(implied)".to_string(),
        None => "-".to_string(),
    };
    format!("{s:^TIME$}")
}

fn label(a: &Arrow) -> String {
    let mut l = a.message.clone();
    if !a.payloads.is_empty() {
        l.push_str("  ");
        l.push_str(&a.payloads.join(" "));
    }
    if a.retransmission > 0 {
        // Informational messages are each new (their own message ID): sent again, not
        // retransmitted.
        let word = if a.message == "INFO" || a.message == "?" {
            "again"
        } else {
            "retransmission"
        };
        l.push_str(&format!("  ({word} {})", a.retransmission));
    }
    if a.implied {
        l.push_str("  (implied)");
    }
    l
}

fn arrow(a: &Arrow, width: usize) -> String {
    let body = label(a);
    let dash = if a.implied { '.' } else { '-' };
    let fill = width.saturating_sub(body.chars().count() + 7);
    let run: String = std::iter::repeat_n(dash, fill).collect();
    let lead: String = std::iter::repeat_n(dash, 4).collect();
    if a.from == 0 {
        format!("{lead} {body} {run}>")
    } else {
        format!("<{} {body} {run}{dash}", &lead[1..])
    }
}

impl Ladder {
    /// A plain-text ladder, two columns for the routers and arrows between.
    pub fn text(&self) -> String {
        let width = self
            .arrows
            .iter()
            .map(|a| label(a).chars().count() + 10)
            .max()
            .unwrap_or(0)
            .max(36);
        let head = |e: usize| {
            let s = &self.ends[e];
            let mut h = s.name.clone();
            if let Some(addr) = s.address.as_ref().filter(|a| **a != s.name) {
                h.push_str(&format!(" ({addr})"));
            }
            if !s.debug {
                h.push_str(" [no debug]");
            }
            h
        };
        let mut out = String::new();
        let left = head(0);
        let pad = (1 + TIME + 2 + width + 2).saturating_sub(left.chars().count());
        out.push_str(&format!("{left}{}{}\n", " ".repeat(pad), head(1)));
        let ids: Vec<String> = self
            .ends
            .iter()
            .filter_map(|s| {
                let mut w = s
                    .exchange_id
                    .map(|id| format!("{} exchange {id}", s.name))?;
                if let Some(st) = &s.state {
                    w.push_str(&format!(" ({st})"));
                }
                Some(w)
            })
            .collect();
        out.push_str(&format!(" {}", self.kind.phrase()));
        if !ids.is_empty() {
            out.push_str(&format!(": {}", ids.join(", ")));
        }
        out.push('\n');
        for a in &self.arrows {
            let line = format!(
                " {}  {}  {}",
                cell(&a.seen[0], self.ends[0].debug),
                arrow(a, width),
                cell(&a.seen[1], self.ends[1].debug)
            );
            out.push_str(line.trim_end());
            out.push('\n');
        }
        if self.arrows.is_empty() {
            out.push_str(" (no message of this exchange in the debug)\n");
        }
        match (&self.outcome, &self.stop) {
            (Outcome::Completed, _) => {
                let done = self.completed.clone().unwrap_or_default();
                out.push_str(&format!(" completed: {}: {}\n", done.end, done.line.trim()));
            }
            (o, Some(s)) => {
                let word = if *o == Outcome::Stopped {
                    "stopped"
                } else {
                    "waiting"
                };
                let mut within = self.kind.phrase().to_string();
                if let Some(m) = &s.after {
                    within.push_str(&format!(", after {m}"));
                }
                out.push_str(&format!(" {word}: {}: {} ({within})\n", s.end, s.reason));
                let at = s.time.map(|t| format!(" {t:.3}")).unwrap_or_default();
                out.push_str(&format!("   {}{at}: {}\n", s.end, s.line.trim()));
            }
            (Outcome::InProgress, None) | (_, None) => out.push_str(" in progress\n"),
        }
        out
    }
}
