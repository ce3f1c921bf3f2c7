//! The readable report of `tunnelscope analyze`: tables as the router showed them, the debug
//! stream by phase with its failures, and the doctor's findings with their advice.

use super::Analysis;
use crate::doctor::Severity;
use crate::model::{Limits, Phase};
use std::fmt::Write;

/// `hard/soft/used`, `-` where unset, as the router prints it.
pub fn limits(l: &Limits) -> String {
    format!("{}/{}/{}", opt(&l.hard), opt(&l.soft), opt(&l.used))
}

/// A value, or `-` when there is none.
pub fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref()
        .map(|v| v.to_string())
        .unwrap_or_else(|| "-".into())
}

/// The cells of an ISAKMP SA row (the report and the screen show the same columns).
pub fn ike_sa_cells(x: &crate::model::IkeSa) -> Vec<String> {
    vec![
        x.sa_id.to_string(),
        x.peer.clone(),
        opt(&x.encryption),
        opt(&x.hash),
        limits(&x.bytes),
        limits(&x.seconds),
        if x.established {
            "established".into()
        } else {
            "NOT established".into()
        },
    ]
}

/// The cells of an IPsec SA row.
pub fn ipsec_sa_cells(x: &crate::model::IpsecSa) -> Vec<String> {
    vec![
        x.sa_id.to_string(),
        x.policy.clone(),
        opt(&x.bundle),
        x.state.clone(),
        x.protocol.clone(),
        opt(&x.out_spi),
        opt(&x.in_spi),
    ]
}

/// Lay out rows in columns as wide as their widest cell.
fn table(out: &mut String, header: &[&str], rows: &[Vec<String>]) {
    let mut w: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if i < w.len() {
                w[i] = w[i].max(c.chars().count());
            }
        }
    }
    let line = |cells: Vec<String>| {
        let mut s = String::from("  ");
        for (i, c) in cells.iter().enumerate() {
            let pad = w.get(i).copied().unwrap_or(0);
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                let _ = write!(s, "{c:<pad$}  ");
            }
        }
        s.trim_end().to_string()
    };
    let _ = writeln!(
        out,
        "{}",
        line(header.iter().map(|h| h.to_string()).collect())
    );
    for r in rows {
        let _ = writeln!(out, "{}", line(r.clone()));
    }
}

fn heading(out: &mut String, title: &str) {
    let _ = writeln!(out, "\n{title}");
}

/// The whole report.
pub fn render(a: &Analysis) -> String {
    let mut out = String::new();
    let s = &a.state.snapshot;
    let d = &a.state.debug;
    let _ = writeln!(
        out,
        "tunnelscope analyze: {} ({} bytes, {} lines){}",
        a.files.join(", "),
        a.bytes,
        a.lines,
        s.system_name
            .as_ref()
            .map(|n| format!(", router {n}"))
            .unwrap_or_default()
    );

    heading(&mut out, "ISAKMP SAs (phase 1)");
    if !s.seen.ike_sas {
        out.push_str("  not in this capture (show isakmp sa)\n");
    } else if s.ike_sas.is_empty() {
        out.push_str("  none\n");
    } else {
        let rows: Vec<Vec<String>> = s.ike_sas.iter().map(ike_sa_cells).collect();
        table(
            &mut out,
            &[
                "SA Id",
                "Peer",
                "EncA.",
                "HashA.",
                "Bytes h/s/u",
                "Seconds h/s/u",
                "",
            ],
            &rows,
        );
    }

    heading(&mut out, "ISAKMP exchanges");
    if !s.seen.exchanges {
        out.push_str("  not in this capture (show isakmp exchange)\n");
    } else if s.exchanges.is_empty() {
        out.push_str("  none (nothing negotiating)\n");
    } else {
        let rows: Vec<Vec<String>> = s
            .exchanges
            .iter()
            .map(|x| {
                vec![
                    x.id.to_string(),
                    x.phase.clone(),
                    x.state.clone(),
                    x.peer.clone(),
                    x.kind.clone(),
                    if x.is_waiting_for_peer() {
                        "waiting for the peer".into()
                    } else {
                        String::new()
                    },
                ]
            })
            .collect();
        table(
            &mut out,
            &["Id", "Phase", "State", "Peer", "Type", ""],
            &rows,
        );
    }

    heading(&mut out, "IPsec SAs (phase 2)");
    if !s.seen.ipsec_sas {
        out.push_str("  not in this capture (show ipsec sa)\n");
    } else if s.ipsec_sas.is_empty() {
        out.push_str("  none\n");
    } else {
        let rows: Vec<Vec<String>> = s.ipsec_sas.iter().map(ipsec_sa_cells).collect();
        table(
            &mut out,
            &[
                "SA Id", "Policy", "Bundle", "State", "Protocol", "OutSPI", "InSPI",
            ],
            &rows,
        );
    }

    if !s.counters.is_empty() {
        heading(&mut out, "Counters");
        let mut last_cmd = "";
        let mut last_section = "";
        for c in &s.counters {
            if c.command != last_cmd {
                let _ = writeln!(out, "  {}", c.command);
                last_cmd = &c.command;
                last_section = "";
            }
            if c.section != last_section && !c.section.is_empty() {
                let _ = writeln!(out, "    {}", c.section);
                last_section = &c.section;
            }
            let _ = writeln!(out, "      {:<32} {}", c.name, c.value);
        }
    }

    if s.seen.interfaces {
        heading(&mut out, "IP interfaces");
        for i in &s.interfaces {
            let _ = writeln!(
                out,
                "  {:<10} address {:<16} mask {}",
                i.name,
                i.address.as_deref().unwrap_or("Not set"),
                i.mask.as_deref().unwrap_or("Not set")
            );
        }
    }

    let c = &s.config;
    if !c.is_empty() {
        heading(&mut out, "Configuration");
        for p in &c.ike_policies {
            let _ = writeln!(
                out,
                "  ISAKMP policy {:<14} peer {} mode {} encalg {} hashalg {} natt {} heart {} sendnotify {} senddeletes {}",
                p.name,
                opt(&p.peer),
                p.mode.as_deref().unwrap_or("main (default)"),
                opt(&p.encalg),
                opt(&p.hashalg),
                opt(&p.natt),
                opt(&p.heart),
                opt(&p.sendnotify),
                opt(&p.senddeletes),
            );
        }
        for p in &c.ipsec_policies {
            let _ = writeln!(
                out,
                "  IPsec policy  {:<14} interface {} action {} peer {} local {}/{} remote {}/{}",
                format!("\"{}\"", p.name),
                opt(&p.interface),
                opt(&p.action),
                opt(&p.peer),
                opt(&p.laddress),
                opt(&p.lmask),
                opt(&p.raddress),
                opt(&p.rmask),
            );
        }
        for f in &c.firewall_policies {
            let ifs: Vec<String> = f
                .interfaces
                .iter()
                .map(|i| format!("{} ({})", i.interface, i.kind))
                .collect();
            let _ = writeln!(
                out,
                "  Firewall policy {}: interfaces {}; {} rules",
                f.name,
                ifs.join(", "),
                f.rules.len()
            );
        }
    }

    if !s.log.is_empty() {
        heading(&mut out, &format!("Log ({} entries)", s.log.len()));
        for e in s.log.iter().rev().take(10).rev() {
            let _ = writeln!(out, "  {}  {}  {}", e.time, e.module, e.message);
        }
    }

    heading(&mut out, "Debug stream");
    if d.lines == 0 {
        out.push_str("  no debug or log lines outside command output\n");
    } else {
        let _ = writeln!(
            out,
            "  {} lines: phase 1 {}, phase 1.5 {}, phase 2 {}, info {}, other {}; {} failures",
            d.lines,
            d.count(Phase::One),
            d.count(Phase::OneAndHalf),
            d.count(Phase::Two),
            d.count(Phase::Info),
            d.count(Phase::None),
            d.failures
        );
        let show = 20;
        for e in d.failure_events.iter().take(show) {
            // With several files read together, line numbers repeat: name the file.
            let place = match &e.file {
                Some(f) => format!("{f}:{}", e.line),
                None => format!("line {:>6}", e.line),
            };
            let _ = writeln!(out, "  {place}  [{}] {}", e.phase, truncate(&e.text, 100));
        }
        if d.failures > show {
            let _ = writeln!(out, "  ... and {} more failures", d.failures - show);
        }
    }

    let errors = a
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = a
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
    heading(
        &mut out,
        &format!(
            "Findings: {errors} error(s), {warnings} warning(s), {} note(s)",
            a.findings.len() - errors - warnings
        ),
    );
    if a.findings.is_empty() {
        out.push_str("  nothing wrong seen in what was read\n");
    }
    for f in &a.findings {
        let _ = writeln!(
            out,
            "  {:<7} {}: {}",
            f.severity.as_str().to_uppercase(),
            f.code,
            f.summary
        );
        let _ = writeln!(out, "          {}", f.advice);
        for e in &f.evidence {
            let _ = writeln!(out, "          - {e}");
        }
    }

    if !s.raw.is_empty() {
        heading(&mut out, "Kept as text (not understood)");
        for r in &s.raw {
            let _ = writeln!(
                out,
                "  {} (line {}): {}",
                if r.command.is_empty() {
                    "output"
                } else {
                    &r.command
                },
                r.line,
                r.warning
            );
            // The text itself, so nothing not understood is out of sight (a few lines each;
            // the JSON holds them all).
            for l in r
                .lines
                .iter()
                .filter(|l| !l.trim().is_empty())
                .take(RAW_SHOWN)
            {
                let _ = writeln!(out, "    | {}", truncate(l.trim_end(), 160));
            }
            let more = r
                .lines
                .iter()
                .filter(|l| !l.trim().is_empty())
                .count()
                .saturating_sub(RAW_SHOWN);
            if more > 0 {
                let _ = writeln!(out, "    | ... {more} more (in --json)");
            }
        }
    }
    out
}

/// Lines of each block kept as text that the report shows.
const RAW_SHOWN: usize = 5;

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(3)).collect();
        t.push_str("...");
        t
    }
}
