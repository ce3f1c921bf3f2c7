//! `show config dynamic[=...]`: configuration command lines into ISAKMP, IPsec and firewall
//! policies. Keywords may be abbreviated and in any case; long commands continue on
//! indented lines.

use crate::alliedware::commands::{abbrev, looks_like_command, split_words, Word};
use crate::model::{
    Config, FirewallInterface, FirewallPolicy, FirewallRule, IkePolicy, IpsecPolicy, IpsecSaSpec,
    SourceLine,
};

/// Which parts of the configuration a display covered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sections {
    pub isakmp: bool,
    pub ipsec: bool,
    pub firewall: bool,
    pub ip: bool,
}

impl Sections {
    pub const ALL: Sections = Sections {
        isakmp: true,
        ipsec: true,
        firewall: true,
        ip: true,
    };

    /// The sections `show config dynamic[=x]` prints.
    pub fn for_command(canonical: &str) -> Sections {
        let Some((_, which)) = canonical.split_once("dynamic=") else {
            return Sections::ALL;
        };
        let w = which.split_whitespace().next().unwrap_or("");
        let is = |full: &str, min: usize| abbrev(w, full, min);
        Sections {
            isakmp: is("isakmp", 2),
            ipsec: is("ipsec", 3),
            firewall: is("firewall", 2),
            ip: w.eq_ignore_ascii_case("ip"),
        }
    }
}

/// Keyword spellings: (full name, shortest accepted abbreviation).
const ISAKMP_KEYS: &[(&str, usize)] = &[
    ("policy", 3),
    ("peer", 4),
    ("key", 3),
    ("mode", 2),
    ("encalg", 4),
    ("hashalg", 4),
    ("group", 2),
    ("natt", 2),
    ("heartbeatmode", 5),
    ("sendnotify", 5),
    ("senddeletes", 5),
    ("localid", 3),
    ("remoteid", 3),
    ("expiryseconds", 7),
    ("expirybytes", 7),
    ("expirykbytes", 7),
    ("phase2xchglimit", 3),
    ("xauth", 2),
    ("authtype", 2),
];

const IPSEC_KEYS: &[(&str, usize)] = &[
    ("policy", 3),
    ("interface", 3),
    ("action", 2),
    ("peeraddress", 4),
    ("isakmppolicy", 3),
    ("keymanagement", 3),
    ("bundlespecification", 4),
    ("laddress", 3),
    ("lmask", 3),
    ("lname", 3),
    ("lport", 2),
    ("raddress", 3),
    ("rmask", 3),
    ("rname", 3),
    ("rport", 2),
    ("transportprotocol", 3),
    ("position", 3),
    ("respondbadspi", 4),
    ("udpheartbeat", 4),
    ("udptunnel", 4),
    ("usepfskey", 4),
    ("group", 2),
];

/// `create ipsec saspecification=...` and `create ipsec bundlespecification=...`.
const SPEC_KEYS: &[(&str, usize)] = &[
    ("saspecification", 2),
    ("bundlespecification", 4),
    ("keymanagement", 3),
    ("protocol", 4),
    ("encalg", 3),
    ("hashalg", 4),
    ("compalg", 4),
    ("mode", 3),
    ("string", 3),
    ("expirybytes", 7),
    ("expiryseconds", 7),
];

const FIREWALL_KEYS: &[(&str, usize)] = &[
    ("policy", 3),
    ("rule", 2),
    ("action", 2),
    ("interface", 3),
    ("protocol", 3),
    ("port", 2),
    ("ip", 2),
    ("remoteip", 3),
    ("gblport", 4),
    ("gblip", 4),
    ("gblremote", 4),
    ("encapsulation", 3),
    ("type", 2),
    ("list", 2),
    ("nat", 3),
    ("gblinterface", 4),
];

fn canonical_key(key: &str, table: &[(&str, usize)]) -> String {
    // An exact name wins over an abbreviation of a longer one (`ip` before `ipsec`).
    if let Some((full, _)) = table.iter().find(|(f, _)| f.eq_ignore_ascii_case(key)) {
        return (*full).to_string();
    }
    if let Some((full, _)) = table.iter().find(|(full, min)| abbrev(key, full, *min)) {
        return (*full).to_string();
    }
    // The minimum abbreviations above are partly guesses, and the router prints shorter forms
    // in its own configuration (`pe=any`, `hea=both`): a prefix that fits one keyword only is
    // that keyword.
    let mut prefixed = table.iter().filter(|(full, _)| abbrev(key, full, 2));
    match (prefixed.next(), prefixed.next()) {
        (Some((full, _)), None) => (*full).to_string(),
        _ => key.to_ascii_lowercase(),
    }
}

fn params(words: &[Word], table: &[(&str, usize)]) -> Vec<(String, String)> {
    words
        .iter()
        .filter_map(|w| {
            w.value
                .as_ref()
                .map(|v| (canonical_key(&w.key, table), v.clone()))
        })
        .collect()
}

fn boolean(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "enabled" | "t" | "y" => Some(true),
        "false" | "no" | "off" | "disabled" | "f" | "n" => Some(false),
        _ => None,
    }
}

fn set_ike(p: &mut IkePolicy, key: &str, v: &str) {
    let s = || Some(v.to_string());
    match key {
        "peer" => p.peer = s(),
        "key" => p.key = s(),
        "mode" => p.mode = s(),
        "encalg" => p.encalg = s(),
        "hashalg" => p.hashalg = s(),
        "group" => p.group = s(),
        "natt" => p.natt = boolean(v),
        "heartbeatmode" => p.heart = s(),
        "sendnotify" => p.sendnotify = boolean(v),
        "senddeletes" => p.senddeletes = boolean(v),
        "localid" => p.localid = s(),
        "remoteid" => p.remoteid = s(),
        "expiryseconds" => p.expiry_seconds = v.parse().ok(),
        "expirybytes" | "expirykbytes" => p.expiry_bytes = v.parse().ok(),
        _ => {}
    }
    p.params.retain(|(k, _)| k != key);
    p.params.push((key.to_string(), v.to_string()));
}

fn set_ipsec(p: &mut IpsecPolicy, key: &str, v: &str) {
    let s = || Some(v.to_string());
    match key {
        "interface" => p.interface = s(),
        "action" => p.action = s(),
        "peeraddress" => p.peer = s(),
        "isakmppolicy" => p.isakmp_policy = s(),
        "laddress" => p.laddress = s(),
        "lmask" => p.lmask = s(),
        "raddress" => p.raddress = s(),
        "rmask" => p.rmask = s(),
        "respondbadspi" => p.respondbadspi = boolean(v),
        "position" => p.position = v.parse().ok(),
        "bundlespecification" => p.bundle = s(),
        "usepfskey" => p.pfs = boolean(v),
        "group" => p.pfs_group = s(),
        _ => {}
    }
    p.params.retain(|(k, _)| k != key);
    p.params.push((key.to_string(), v.to_string()));
}

fn set_spec(p: &mut IpsecSaSpec, key: &str, v: &str) {
    let s = || Some(v.to_string());
    match key {
        "protocol" => p.protocol = s(),
        "encalg" => p.encalg = s(),
        "hashalg" => p.hashalg = s(),
        _ => {}
    }
    p.params.retain(|(k, _)| k != key);
    p.params.push((key.to_string(), v.to_string()));
}

/// A bundle specification: its id and the string naming its SA specifications.
#[derive(Debug, Clone)]
struct Bundle {
    id: u32,
    string: Option<String>,
}

/// The SA specification ids a bundle string names, in order (`"1"`, `"1 and 2"`, `"1,2"`).
fn spec_ids(string: &str) -> Vec<u32> {
    string
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|t| t.parse().ok())
        .collect()
}

/// `create|set|destroy ipsec saspecification=N ...` or `... bundlespecification=N ...`; false
/// when the line is neither.
fn spec_line(
    words: &[Word],
    destroy: bool,
    line: usize,
    specs: &mut Vec<IpsecSaSpec>,
    bundles: &mut Vec<Bundle>,
) -> bool {
    let ps = params(words, SPEC_KEYS);
    let Some((kind, id)) = ps.first().cloned() else {
        return false;
    };
    let Ok(id) = id.trim().parse::<u32>() else {
        return false;
    };
    match kind.as_str() {
        "saspecification" => {
            let i = match specs.iter().position(|s| s.id == id) {
                Some(i) => i,
                None => {
                    specs.push(IpsecSaSpec {
                        id,
                        line,
                        ..Default::default()
                    });
                    specs.len() - 1
                }
            };
            if destroy {
                specs.remove(i);
                return true;
            }
            for (k, v) in ps.iter().skip(1) {
                set_spec(&mut specs[i], k, v);
            }
            true
        }
        "bundlespecification" => {
            bundles.retain(|b| b.id != id || !destroy);
            if destroy {
                return true;
            }
            let string = ps
                .iter()
                .find(|(k, _)| k == "string")
                .map(|(_, v)| v.clone());
            match bundles.iter_mut().find(|b| b.id == id) {
                Some(b) => b.string = string.or(b.string.take()),
                None => bundles.push(Bundle { id, string }),
            }
            true
        }
        _ => false,
    }
}

fn set_rule(r: &mut FirewallRule, key: &str, v: &str) {
    let s = || Some(v.to_string());
    match key {
        "rule" => r.id = v.parse().ok(),
        "interface" => r.interface = s(),
        "action" => r.action = s(),
        "protocol" => r.protocol = s(),
        "port" => r.port = s(),
        "ip" => r.ip = s(),
        "remoteip" => r.remoteip = s(),
        "gblport" => r.gblport = s(),
        "encapsulation" => r.encapsulation = s(),
        _ => {}
    }
    r.params.retain(|(k, _)| k != key);
    r.params.push((key.to_string(), v.to_string()));
}

/// Join continuation lines (indented lines after a command) to their command.
pub fn join_lines(lines: &[SourceLine]) -> Vec<SourceLine> {
    let mut out: Vec<SourceLine> = Vec::new();
    for l in lines {
        let t = l.text.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let indented = l.text.starts_with(' ') || l.text.starts_with('\t');
        match out.last_mut() {
            Some(prev) if indented || !looks_like_command(t) => {
                prev.text.push(' ');
                prev.text.push_str(t);
            }
            _ => out.push(SourceLine::new(l.number, t)),
        }
    }
    out
}

pub fn fits(line: &str) -> bool {
    let t = line.trim();
    t.is_empty()
        || t.starts_with('#')
        || line.starts_with(' ')
        || looks_like_command(t)
        || is_parameters(t)
}

/// Only `keyword=value` words: the rest of a long command whose indentation was lost (the
/// How To Note prints `natt=true` on a line of its own).
fn is_parameters(t: &str) -> bool {
    let words = split_words(t);
    !words.is_empty()
        && words.iter().all(|w| {
            w.value.is_some()
                && !w.key.is_empty()
                && w.key
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        })
}

/// A line that can only be configuration (to find a configuration without its command).
pub fn is_config_start(line: &str) -> bool {
    let w = split_words(line);
    if w.len() < 2 || w[0].value.is_some() {
        return false;
    }
    let verb = &w[0].key;
    let module = &w[1].key;
    let verb_ok = ["create", "set", "add", "enable"]
        .iter()
        .any(|v| abbrev(verb, v, 2));
    let module_ok =
        abbrev(module, "isakmp", 3) || abbrev(module, "ipsec", 3) || abbrev(module, "firewall", 3);
    // A config line names a policy or a module; debug text would not.
    verb_ok && module_ok && (w.len() == 2 || w.iter().skip(2).any(|x| x.value.is_some()))
}

/// The comment that heads each section of `show config dynamic` (`# IPSEC configuration`):
/// a configuration found without its command starts there, not at its first ISAKMP line.
pub fn is_section_comment(line: &str) -> bool {
    let t = line.trim();
    t.strip_prefix('#').is_some_and(|rest| {
        let rest = rest.trim().to_ascii_lowercase();
        rest.ends_with(" configuration") && rest.len() < 40
    })
}

/// Parse configuration lines into a `Config` (the sections present in them).
pub fn parse(lines: &[SourceLine]) -> (Config, Vec<SourceLine>) {
    let mut cfg = Config::default();
    let mut unknown = Vec::new();
    // IPsec policy order per interface, as names; rebuilt into the list at the end.
    let mut order: Vec<(String, Vec<String>)> = Vec::new();
    let mut ipsec: Vec<IpsecPolicy> = Vec::new();
    let mut specs: Vec<IpsecSaSpec> = Vec::new();
    let mut bundles: Vec<Bundle> = Vec::new();
    for l in join_lines(lines) {
        cfg.lines_read += 1;
        let words = split_words(&l.text);
        if words.len() < 2 {
            unknown.push(l);
            continue;
        }
        let verb = words[0].key.to_ascii_lowercase();
        let module = words[1].key.to_ascii_lowercase();
        let is_verb = |v: &str, m: usize| abbrev(&verb, v, m);
        let is_mod = |v: &str, m: usize| abbrev(&module, v, m);
        let named = |table| -> Option<String> {
            words
                .iter()
                .find(|w| canonical_key(&w.key, table) == "policy")
                .and_then(|w| w.value.clone())
        };
        if is_mod("isakmp", 3) {
            if is_verb("enable", 2) && words.len() == 2 {
                cfg.isakmp_enabled = Some(true);
            } else if is_verb("disable", 3) && words.len() == 2 {
                cfg.isakmp_enabled = Some(false);
            } else if let Some(name) = named(ISAKMP_KEYS) {
                let ps = params(&words[2..], ISAKMP_KEYS);
                let idx = cfg
                    .ike_policies
                    .iter()
                    .position(|p| p.name.eq_ignore_ascii_case(&name));
                let idx = match (idx, is_verb("create", 2)) {
                    (Some(i), _) => i,
                    (None, _) => {
                        cfg.ike_policies.push(IkePolicy {
                            name: name.clone(),
                            line: l.number,
                            ..Default::default()
                        });
                        cfg.ike_policies.len() - 1
                    }
                };
                if is_verb("destroy", 3) {
                    cfg.ike_policies.remove(idx);
                    continue;
                }
                for (k, v) in ps.iter().filter(|(k, _)| k != "policy") {
                    set_ike(&mut cfg.ike_policies[idx], k, v);
                }
            } else {
                unknown.push(l);
            }
        } else if is_mod("ipsec", 3) {
            if is_verb("enable", 2) && words.len() == 2 {
                cfg.ipsec_enabled = Some(true);
            } else if is_verb("disable", 3) && words.len() == 2 {
                cfg.ipsec_enabled = Some(false);
            } else if words[1].value.is_none() && is_mod("ipsec", 3) && words.len() > 2 {
                let Some(name) = named(IPSEC_KEYS) else {
                    // `create ipsec sas=1 ...`, `create ipsec bundle=1 ...`: the proposal of
                    // phase 2. Anything else of the module is not needed.
                    spec_line(
                        &words[2..],
                        is_verb("destroy", 3),
                        l.number,
                        &mut specs,
                        &mut bundles,
                    );
                    continue;
                };
                let ps = params(&words[2..], IPSEC_KEYS);
                let idx = match ipsec
                    .iter()
                    .position(|p| p.name.eq_ignore_ascii_case(&name))
                {
                    Some(i) => i,
                    None => {
                        ipsec.push(IpsecPolicy {
                            name: name.clone(),
                            line: l.number,
                            ..Default::default()
                        });
                        ipsec.len() - 1
                    }
                };
                if is_verb("destroy", 3) {
                    ipsec.remove(idx);
                    for (_, names) in order.iter_mut() {
                        names.retain(|n| !n.eq_ignore_ascii_case(&name));
                    }
                    continue;
                }
                for (k, v) in ps.iter().filter(|(k, _)| k != "policy") {
                    set_ipsec(&mut ipsec[idx], k, v);
                }
                let pos = ps
                    .iter()
                    .find(|(k, _)| k == "position")
                    .and_then(|(_, v)| v.parse::<usize>().ok());
                let iface = ipsec[idx]
                    .interface
                    .clone()
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                // Place (or move) the policy in its interface's list.
                for (_, names) in order.iter_mut() {
                    if is_verb("create", 2) || pos.is_some() {
                        names.retain(|n| !n.eq_ignore_ascii_case(&name));
                    }
                }
                let list = match order.iter().position(|(i, _)| *i == iface) {
                    Some(i) => &mut order[i].1,
                    None => {
                        order.push((iface, Vec::new()));
                        let last = order.len() - 1;
                        &mut order[last].1
                    }
                };
                if !list.iter().any(|n| n.eq_ignore_ascii_case(&name)) {
                    match pos {
                        Some(p) if p >= 1 => {
                            let at = (p - 1).min(list.len());
                            list.insert(at, name.clone());
                        }
                        _ => list.push(name.clone()),
                    }
                }
            } else {
                unknown.push(l);
            }
        } else if is_mod("firewall", 3) {
            if is_verb("enable", 2) && words.len() == 2 {
                cfg.firewall_enabled = true;
                continue;
            }
            if is_verb("disable", 3) && words.len() == 2 {
                cfg.firewall_enabled = false;
                continue;
            }
            let Some(name) = named(FIREWALL_KEYS) else {
                unknown.push(l);
                continue;
            };
            let ps = params(&words[2..], FIREWALL_KEYS);
            let idx = match cfg
                .firewall_policies
                .iter()
                .position(|p| p.name.eq_ignore_ascii_case(&name))
            {
                Some(i) => i,
                None => {
                    cfg.firewall_policies.push(FirewallPolicy {
                        name: name.clone(),
                        line: l.number,
                        ..Default::default()
                    });
                    cfg.firewall_policies.len() - 1
                }
            };
            let fw = &mut cfg.firewall_policies[idx];
            let get = |k: &str| ps.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone());
            if let Some(rule) = get("rule") {
                let id = rule.parse::<u32>().ok();
                let existing = fw.rules.iter().position(|r| r.id.is_some() && r.id == id);
                if is_verb("delete", 3) {
                    if let Some(i) = existing {
                        fw.rules.remove(i);
                    }
                    continue;
                }
                let i = match existing {
                    Some(i) => i,
                    None => {
                        fw.rules.push(FirewallRule {
                            line: l.number,
                            ..Default::default()
                        });
                        fw.rules.len() - 1
                    }
                };
                for (k, v) in ps.iter().filter(|(k, _)| k != "policy") {
                    set_rule(&mut fw.rules[i], k, v);
                }
                // The first matching rule wins; keep them in rule-number order.
                fw.rules.sort_by_key(|r| r.id.unwrap_or(u32::MAX));
            } else if get("nat").is_some() {
                // `add firewall policy=x nat=enhanced int=vlan1 gblint=eth0` relates two
                // interfaces already attached; it attaches nothing.
            } else if let Some(iface) = get("interface") {
                if is_verb("delete", 3) {
                    fw.interfaces
                        .retain(|i| !i.interface.eq_ignore_ascii_case(&iface));
                } else {
                    fw.interfaces.push(FirewallInterface {
                        interface: iface,
                        kind: get("type").unwrap_or_default().to_ascii_lowercase(),
                        line: l.number,
                    });
                }
            }
        } else if is_verb("set", 2)
            && module == "ip"
            && words.len() >= 3
            && abbrev(&words[2].key, "local", 3)
        {
            // `set ip local ip=A.B.C.D` (or `set ip local=A.B.C.D`).
            let addr = words[2].value.clone().or_else(|| {
                words
                    .iter()
                    .skip(3)
                    .find(|w| w.key.eq_ignore_ascii_case("ip"))
                    .and_then(|w| w.value.clone())
            });
            cfg.ip_local = addr;
        } else {
            unknown.push(l);
        }
    }
    // The IPsec policies in evaluation order: interface by interface, each in its list's order.
    for (_, names) in &order {
        for n in names {
            if let Some(i) = ipsec.iter().position(|p| p.name.eq_ignore_ascii_case(n)) {
                cfg.ipsec_policies.push(ipsec.remove(i));
            }
        }
    }
    cfg.ipsec_policies.append(&mut ipsec);
    // Each policy's bundle, resolved into the SA specifications it names.
    for p in &mut cfg.ipsec_policies {
        let Some(id) = p
            .bundle
            .as_deref()
            .and_then(|b| b.trim().parse::<u32>().ok())
        else {
            continue;
        };
        let Some(bundle) = bundles.iter().find(|b| b.id == id) else {
            continue;
        };
        p.bundle_string = bundle.string.clone();
        p.sa_specs = spec_ids(bundle.string.as_deref().unwrap_or(""))
            .into_iter()
            .filter_map(|n| specs.iter().find(|s| s.id == n).cloned())
            .collect();
    }
    (cfg, unknown)
}

/// Merge a new reading of some sections into the configuration held so far.
pub fn merge(into: &mut Config, new: Config, sections: Sections) {
    if sections.isakmp {
        into.ike_policies = new.ike_policies;
        into.isakmp_enabled = new.isakmp_enabled.or(into.isakmp_enabled);
    }
    if sections.ipsec {
        into.ipsec_policies = new.ipsec_policies;
        into.ipsec_enabled = new.ipsec_enabled.or(into.ipsec_enabled);
    }
    if sections.firewall {
        into.firewall_policies = new.firewall_policies;
        into.firewall_enabled = new.firewall_enabled;
    }
    if sections.ip {
        into.ip_local = new.ip_local;
    }
    into.lines_read += new.lines_read;
}

/// The sections that a configuration read without its command actually contains.
pub fn sections_present(cfg: &Config) -> Sections {
    Sections {
        isakmp: !cfg.ike_policies.is_empty() || cfg.isakmp_enabled.is_some(),
        ipsec: !cfg.ipsec_policies.is_empty() || cfg.ipsec_enabled.is_some(),
        firewall: !cfg.firewall_policies.is_empty() || cfg.firewall_enabled,
        ip: cfg.ip_local.is_some(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(text: &str) -> Vec<SourceLine> {
        text.lines()
            .enumerate()
            .map(|(i, t)| SourceLine::new(i + 1, t))
            .collect()
    }

    #[test]
    fn how_to_note_policies() {
        let (cfg, unknown) = parse(&src(
            "create isakmp pol=isakmp peer=any key=1 mode=main natt=true\n  encalg=3desouter\n\n\
             set isakmp pol=isakmp localid=example1 remoteid=ARRouter\n\
             set isakmp pol=isakmp sendn=true sendd=true\n\
             set isakmp pol=isakmp heart=both\n\
             create isakmp policy=isakmp2 peer=any key=2 mode=main natt=true\n  encalg=3desouter\n\
             SET ISAKMP POLICY=isakmp2 HEART=none\n\
             ena isakmp\n",
        ));
        assert!(unknown.is_empty(), "{unknown:?}");
        assert_eq!(cfg.ike_policies.len(), 2);
        let p = &cfg.ike_policies[0];
        assert_eq!(p.name, "isakmp");
        assert_eq!(p.peer.as_deref(), Some("any"));
        assert_eq!(p.encalg.as_deref(), Some("3desouter"));
        assert_eq!(p.sendnotify, Some(true));
        assert_eq!(p.senddeletes, Some(true));
        assert_eq!(p.heart.as_deref(), Some("both"));
        assert_eq!(p.remoteid.as_deref(), Some("ARRouter"));
        assert_eq!(p.natt, Some(true));
        assert_eq!(p.line, 1);
        assert_eq!(cfg.ike_policies[1].heart.as_deref(), Some("none"));
        assert_eq!(cfg.isakmp_enabled, Some(true));
    }

    #[test]
    fn ipsec_order_and_position() {
        let (cfg, _) = parse(&src(
            "create ipsec pol=internet int=eth0 ac=permit\n\
             create ipsec pol=\"wiz_Peer1 to Peer2\" int=eth0 ac=ipsec key=isakmp bund=1 peer=200.200.200.1 isa=isakmp\n\
             set ipsec pol=\"wiz_Peer1 to Peer2\" lad=192.168.1.0 lma=255.255.255.0 rad=192.168.2.0 rma=255.255.255.0 resp=true\n\
             create ipsec pol=dmz int=eth1 ac=ipsec pos=1\n\
             set ipsec pol=\"wiz_Peer1 to Peer2\" pos=1\n",
        ));
        let names: Vec<&str> = cfg.ipsec_policies.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, vec!["wiz_Peer1 to Peer2", "internet", "dmz"]);
        let p = &cfg.ipsec_policies[0];
        assert_eq!(p.peer.as_deref(), Some("200.200.200.1"));
        assert_eq!(p.isakmp_policy.as_deref(), Some("isakmp"));
        assert_eq!(p.lmask.as_deref(), Some("255.255.255.0"));
        assert_eq!(p.respondbadspi, Some(true));
        assert!(cfg.ipsec_policies[1].is_permit());
    }

    #[test]
    fn firewall_and_local() {
        let (cfg, unknown) = parse(&src(
            "enable firewall\ncreate firewall policy=main\n\
             add firewall policy=main int=vlan1 type=private\n\
             add firewall policy=main int=eth0 type=public\n\
             add firewall poli=main rule=2 ac=allow int=eth0 prot=udp po=4500 ip=200.200.200.2 gblp=4500\n\
             add firewall policy=main rule=1 action=allow interface=eth0 protocol=udp port=500\n\
             add firewall policy=main rule=3 ac=nonat int=eth0 prot=all encap=ipsec\n\
             set ip local ip=10.1.1.1\n",
        ));
        assert!(unknown.is_empty(), "{unknown:?}");
        assert!(cfg.firewall_enabled);
        let fw = &cfg.firewall_policies[0];
        assert_eq!(fw.interfaces.len(), 2);
        assert_eq!(fw.interfaces[1].kind, "public");
        assert_eq!(fw.rules[0].id, Some(1));
        assert_eq!(fw.rules[0].port.as_deref(), Some("500"));
        assert_eq!(fw.rules[1].gblport.as_deref(), Some("4500"));
        assert_eq!(fw.rules[2].encapsulation.as_deref(), Some("ipsec"));
        assert_eq!(cfg.ip_local.as_deref(), Some("10.1.1.1"));
    }

    /// The simulator's `show config dynamic=ipsec` (src/sim/scenario.rs), Peer2 of
    /// phase2-mismatch: the bundle resolves to its SA specification, PFS is read.
    #[test]
    fn bundle_sa_specification_and_pfs() {
        let (cfg, unknown) = parse(&src(
            "create ipsec sas=1 key=isakmp protocol=esp encalg=3desouter hashalg=sha\n\
             create ipsec bundle=1 key=isakmp string=\"1\"\n\
             create ipsec policy=\"wiz_Peer1 to Peer2\" interface=eth0 action=ipsec key=isakmp bundle=1 peeraddress=200.200.200.2 isakmppolicy=\"wiz_Peer1 to Peer2\" usepfskey=true group=2\n\
             set ipsec policy=\"wiz_Peer1 to Peer2\" lad=192.168.2.0 lma=255.255.255.0 rad=192.168.1.0 rma=255.255.255.0 respondbadspi=false\n\
             create ipsec policy=internet interface=eth0 action=permit\n\
             enable ipsec\n",
        ));
        assert!(unknown.is_empty(), "{unknown:?}");
        let p = &cfg.ipsec_policies[0];
        assert_eq!(p.bundle.as_deref(), Some("1"));
        assert_eq!(p.bundle_string.as_deref(), Some("1"));
        assert_eq!(p.pfs, Some(true));
        assert_eq!(p.pfs_group.as_deref(), Some("2"));
        assert_eq!(p.sa_specs.len(), 1);
        let spec = &p.sa_specs[0];
        assert_eq!(spec.id, 1);
        assert_eq!(spec.protocol.as_deref(), Some("esp"));
        assert_eq!(spec.encalg.as_deref(), Some("3desouter"));
        assert_eq!(spec.hashalg.as_deref(), Some("sha"));
        assert_eq!(spec.line, 1);
        assert_eq!(cfg.ipsec_policies[1].pfs, None);
        assert!(cfg.ipsec_policies[1].sa_specs.is_empty());
    }

    /// The reference's spelling (capitals, full keywords), a bundle of two specifications,
    /// PFS set afterwards, a specification changed and one destroyed.
    #[test]
    fn bundle_in_reference_spelling() {
        // (configuration, (spec id, protocol, encalg) of the bundle, PFS group)
        type Spec<'a> = (u32, &'a str, Option<&'a str>);
        let cases: &[(&str, Vec<Spec>, Option<&str>)] = &[
            (
                "CREATE IPSEC SASPECIFICATION=1 KEYMANAGEMENT=ISAKMP PROTOCOL=AH HASHALG=MD5\n\
                 CREate IPSec SAspecification=2 KEYmanagement=ISAkmp PROTocol=ESP ENCalg=DES HASHalg=SHA\n\
                 CREATE IPSEC BUNDLESPECIFICATION=5 KEYMANAGEMENT=ISAKMP STRING=\"1 and 2\"\n\
                 CREATE IPSEC POLICY=vpn INTERFACE=eth0 ACTION=IPSEC BUNDLESPECIFICATION=5 PEERADDRESS=1.1.1.1\n\
                 SET IPSEC POLICY=vpn USEPFSKEY=TRUE GROUP=1\n\
                 set ipsec sas=2 encalg=3desouter\n",
                vec![(1, "AH", None), (2, "ESP", Some("3desouter"))],
                Some("1"),
            ),
            (
                "create ipsec sas=1 key=isakmp protocol=esp encalg=des hashalg=sha\n\
                 create ipsec sas=2 key=isakmp protocol=ah hashalg=sha\n\
                 create ipsec bund=1 key=isakmp str=\"1,2\"\n\
                 destroy ipsec sas=2\n\
                 create ipsec pol=vpn int=eth0 ac=ipsec bund=1\n",
                vec![(1, "esp", Some("des"))],
                None,
            ),
        ];
        for (text, want, group) in cases {
            let (cfg, unknown) = parse(&src(text));
            assert!(unknown.is_empty(), "{unknown:?}");
            let p = &cfg.ipsec_policies[0];
            let got: Vec<(u32, &str, Option<&str>)> = p
                .sa_specs
                .iter()
                .map(|s| {
                    (
                        s.id,
                        s.protocol.as_deref().unwrap_or(""),
                        s.encalg.as_deref(),
                    )
                })
                .collect();
            assert_eq!(&got, want, "{text}");
            assert_eq!(p.pfs_group.as_deref(), *group, "{text}");
            assert_eq!(p.pfs, group.map(|_| true), "{text}");
        }
    }

    #[test]
    fn sections_from_command() {
        let s = Sections::for_command("show config dynamic=isakmp");
        assert!(s.isakmp && !s.ipsec && !s.firewall);
        assert_eq!(Sections::for_command("show config dynamic"), Sections::ALL);
    }
}
