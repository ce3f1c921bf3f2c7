//! The side-by-side configuration check of two ends: the policies that face each other
//! (ISAKMP and IPsec), the settings that must be equal at both ends (mode, proposals, PFS,
//! NAT-T ...) and those that must mirror (peer addresses, IDs, local and remote ranges,
//! heartbeats), the firewall's door for IKE at each end and the local address. Mismatches
//! first.

use super::addr;
use super::firewall::{door, IKE_PORT, NATT_PORT};
use super::End;
use crate::model::{Config, IkePolicy, IpsecPolicy};
use serde::Serialize;

/// What a row checks; the tunnel's facts are drawn from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// A configuration was not read, or an end has no policy facing the other.
    Policy,
    IkePeer,
    Mode,
    Encalg,
    Hashalg,
    DhGroup,
    KeyId,
    PresharedKey,
    Ids,
    Heartbeat,
    SendDeletes,
    SendNotify,
    Natt,
    Expiry,
    IpsecPeer,
    Selectors,
    Protocol,
    IpsecEncalg,
    IpsecHashalg,
    Pfs,
    RespondBadSpi,
    FirewallIke,
    FirewallNatt,
    LocalAddress,
}

/// One line of the side-by-side check: each end's value and whether they fit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckRow {
    pub check: Check,
    pub field: String,
    /// The first end's value (`None`: not set or not known).
    pub a: Option<String>,
    pub b: Option<String>,
    #[serde(rename = "match")]
    pub matches: bool,
    /// 1 (ISAKMP), 2 (IPsec) or none (router-wide).
    pub phase: Option<u8>,
    pub note: String,
    /// Where each value came from (policy and line), for evidence.
    pub a_source: Option<String>,
    pub b_source: Option<String>,
}

/// One end as the check sees it: its facing policies and addresses.
struct Side<'s> {
    name: &'s str,
    config: &'s Config,
    addrs: Vec<String>,
    wan: Option<String>,
    ike: Option<&'s IkePolicy>,
    ipsec: Option<&'s IpsecPolicy>,
}

fn side<'s>(me: &'s End, other: &'s End) -> Side<'s> {
    let other_addrs = addr::known(other.snapshot, me.snapshot);
    let config = &me.snapshot.config;
    Side {
        name: me.name,
        config,
        addrs: addr::known(me.snapshot, other.snapshot),
        wan: addr::wan(me.snapshot, other.snapshot),
        ike: addr::facing_ike(config, &other_addrs),
        ipsec: addr::facing_ipsec(config, &other_addrs),
    }
}

fn ike_source(p: &IkePolicy) -> String {
    format!("ISAKMP policy \"{}\" (line {})", p.name, p.line)
}

fn ipsec_source(p: &IpsecPolicy) -> String {
    format!("IPsec policy \"{}\" (line {})", p.name, p.line)
}

fn text_eq(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => x.trim().eq_ignore_ascii_case(y.trim()),
        (None, None) => true,
        _ => false,
    }
}

fn yes_no(v: Option<bool>) -> Option<String> {
    v.map(|b| if b { "true" } else { "false" }.to_string())
}

struct Rows<'s> {
    a: &'s Side<'s>,
    b: &'s Side<'s>,
    out: Vec<CheckRow>,
}

impl Rows<'_> {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        check: Check,
        field: impl Into<String>,
        phase: Option<u8>,
        a: Option<String>,
        b: Option<String>,
        matches: bool,
        note: impl Into<String>,
        sources: (Option<String>, Option<String>),
    ) {
        self.out.push(CheckRow {
            check,
            field: field.into(),
            a,
            b,
            matches,
            phase,
            note: note.into(),
            a_source: sources.0,
            b_source: sources.1,
        });
    }

    /// A setting both ends must give the same value (`None` on both: both use the default).
    fn equal(
        &mut self,
        check: Check,
        field: &str,
        phase: u8,
        a: Option<String>,
        b: Option<String>,
    ) {
        let matches = text_eq(a.as_deref(), b.as_deref());
        let note = match (&a, &b) {
            (Some(_), None) => format!("{} does not set it (its default applies)", self.b.name),
            (None, Some(_)) => format!("{} does not set it (its default applies)", self.a.name),
            _ if matches => String::new(),
            _ => "the two ends must agree".to_string(),
        };
        let sources = self.sources(phase);
        self.push(check, field, Some(phase), a, b, matches, note, sources);
    }

    fn sources(&self, phase: u8) -> (Option<String>, Option<String>) {
        let src = |s: &Side| {
            if phase == 1 {
                s.ike.map(ike_source)
            } else {
                s.ipsec.map(ipsec_source)
            }
        };
        (src(self.a), src(self.b))
    }
}

/// The side-by-side check, mismatches first. `keys_same` is the outcome of a pre-shared key
/// comparison, when one was made (the values never reach this room).
pub fn check(a: &End, b: &End, keys_same: Option<bool>) -> Vec<CheckRow> {
    let (sa, sb) = (side(a, b), side(b, a));
    let mut rows = Rows {
        a: &sa,
        b: &sb,
        out: Vec::new(),
    };
    let unread: Vec<&str> = [&sa, &sb]
        .iter()
        .filter(|s| s.config.is_empty())
        .map(|s| s.name)
        .collect();
    if !unread.is_empty() {
        let state = |s: &Side| {
            Some(
                if s.config.is_empty() {
                    "not read"
                } else {
                    "read"
                }
                .into(),
            )
        };
        rows.push(
            Check::Policy,
            "configuration",
            None,
            state(&sa),
            state(&sb),
            false,
            format!(
                "the configuration of {} was not read: nothing to compare",
                unread.join(" and ")
            ),
            (None, None),
        );
        return rows.out;
    }
    phase1(&mut rows, keys_same);
    phase2(&mut rows);
    router_wide(&mut rows);
    let mut out = rows.out;
    // Stable: mismatches first, each group in the order of the check.
    out.sort_by_key(|r| r.matches);
    out
}

/// `peer (X) / address (Y)` rows in both directions.
fn peer_rows(rows: &mut Rows, check: Check, phase: u8, word: &str) {
    for flip in [false, true] {
        let (me, other) = if flip {
            (rows.b, rows.a)
        } else {
            (rows.a, rows.b)
        };
        let (peer, source) = if phase == 1 {
            (me.ike.and_then(|p| p.peer.clone()), me.ike.map(ike_source))
        } else {
            (
                me.ipsec.and_then(|p| p.peer.clone()),
                me.ipsec.map(ipsec_source),
            )
        };
        let target = other.wan.clone();
        let (matches, note) = match (&peer, &target) {
            (Some(p), _) if addr::is_wildcard(p) => (
                true,
                format!(
                    "{} accepts any peer ({p}); it cannot start the tunnel",
                    me.name
                ),
            ),
            (Some(p), Some(t)) if p.trim() == t.trim() => (true, String::new()),
            (Some(p), None) if addr::contains(&other.addrs, p) => (true, String::new()),
            (Some(p), Some(t)) => (
                false,
                format!(
                    "{} names {p} as its peer, but {}'s address is {t}",
                    me.name, other.name
                ),
            ),
            (Some(p), None) => (
                false,
                format!(
                    "{} names {p} as its peer; {}'s address is not known",
                    me.name, other.name
                ),
            ),
            (None, _) => (false, format!("{} has no {word} peer address", me.name)),
        };
        // The first end's side first, so the row reads left to right as the columns do.
        let field = if flip {
            format!("address ({}) / {word} peer ({})", other.name, me.name)
        } else {
            format!("{word} peer ({}) / address ({})", me.name, other.name)
        };
        let (a, b, sources) = if flip {
            (target, peer, (None, source))
        } else {
            (peer, target, (source, None))
        };
        rows.push(check, field, Some(phase), a, b, matches, note, sources);
    }
}

fn phase1(rows: &mut Rows, keys_same: Option<bool>) {
    let (a, b) = (rows.a, rows.b);
    if a.ike.is_none() || b.ike.is_none() {
        let name = |s: &Side| s.ike.map(|p| p.name.clone());
        let missing: Vec<&str> = [a, b]
            .iter()
            .filter(|s| s.ike.is_none())
            .map(|s| s.name)
            .collect();
        rows.push(
            Check::Policy,
            "isakmp policy",
            Some(1),
            name(a),
            name(b),
            false,
            format!("{} has no ISAKMP policy", missing.join(" and ")),
            rows.sources(1),
        );
        if a.ike.is_none() && b.ike.is_none() {
            return;
        }
    }
    let get = |s: &Side, f: fn(&IkePolicy) -> Option<String>| s.ike.and_then(f);
    peer_rows(rows, Check::IkePeer, 1, "isakmp");

    let mode = |s: &Side| {
        s.ike.map(|p| match &p.mode {
            Some(m) => m.clone(),
            None => "main (default)".to_string(),
        })
    };
    let agg = |s: &Side| s.ike.map(|p| p.is_aggressive());
    let same_mode = agg(a) == agg(b);
    rows.push(
        Check::Mode,
        "mode",
        Some(1),
        mode(a),
        mode(b),
        same_mode,
        if same_mode {
            String::new()
        } else {
            let word = |s: &Side| {
                if agg(s) == Some(true) {
                    "aggressive"
                } else {
                    "main"
                }
            };
            format!(
                "{} uses {} mode, {} {} mode",
                a.name,
                word(a),
                b.name,
                word(b)
            )
        },
        rows.sources(1),
    );
    rows.equal(
        Check::Encalg,
        "encalg",
        1,
        get(a, |p| p.encalg.clone()),
        get(b, |p| p.encalg.clone()),
    );
    rows.equal(
        Check::Hashalg,
        "hashalg",
        1,
        get(a, |p| p.hashalg.clone()),
        get(b, |p| p.hashalg.clone()),
    );
    rows.equal(
        Check::DhGroup,
        "DH group",
        1,
        get(a, |p| p.group.clone()),
        get(b, |p| p.group.clone()),
    );

    let (ka, kb) = (get(a, |p| p.key.clone()), get(b, |p| p.key.clone()));
    let both_keys = ka.is_some() && kb.is_some();
    let note = if both_keys {
        "key ids are local to each router; the values are compared only by a key comparison"
            .to_string()
    } else {
        let missing: Vec<&str> = [(a, &ka), (b, &kb)]
            .iter()
            .filter(|(_, k)| k.is_none())
            .map(|(s, _)| s.name)
            .collect();
        format!("{} names no pre-shared key", missing.join(" and "))
    };
    rows.push(
        Check::KeyId,
        "key id",
        Some(1),
        ka,
        kb,
        both_keys,
        note,
        rows.sources(1),
    );
    if let Some(same) = keys_same {
        let v = Some(if same { "same" } else { "differ" }.to_string());
        let note = if same {
            ""
        } else {
            "pre-shared keys must have the same value on each peer"
        };
        rows.push(
            Check::PresharedKey,
            "pre-shared key",
            Some(1),
            v.clone(),
            v,
            same,
            note,
            rows.sources(1),
        );
    }

    id_rows(rows);
    heartbeat_row(rows);
    rows.equal(
        Check::SendDeletes,
        "senddeletes",
        1,
        get(a, |p| yes_no(p.senddeletes)),
        get(b, |p| yes_no(p.senddeletes)),
    );
    rows.equal(
        Check::SendNotify,
        "sendnotify",
        1,
        get(a, |p| yes_no(p.sendnotify)),
        get(b, |p| yes_no(p.sendnotify)),
    );
    rows.equal(
        Check::Natt,
        "natt",
        1,
        get(a, |p| yes_no(p.natt)),
        get(b, |p| yes_no(p.natt)),
    );
    let secs = |p: &IkePolicy| p.expiry_seconds.map(|s| s.to_string());
    rows.equal(
        Check::Expiry,
        "expiry seconds",
        1,
        get(a, secs),
        get(b, secs),
    );
    let bytes = |p: &IkePolicy| p.expiry_bytes.map(|s| s.to_string());
    if get(a, bytes).is_some() || get(b, bytes).is_some() {
        rows.equal(
            Check::Expiry,
            "expiry bytes",
            1,
            get(a, bytes),
            get(b, bytes),
        );
    }
}

/// `localid (X) / remoteid (Y)` in both directions: what one end says it is must be what the
/// other expects.
fn id_rows(rows: &mut Rows) {
    for flip in [false, true] {
        let (me, other) = if flip {
            (rows.b, rows.a)
        } else {
            (rows.a, rows.b)
        };
        let local = me.ike.and_then(|p| p.localid.clone());
        let remote = other.ike.and_then(|p| p.remoteid.clone());
        let (matches, note) = match (&local, &remote) {
            (_, None) => (true, format!("{} does not check the ID", other.name)),
            (_, Some(r)) if addr::is_wildcard(r) => {
                (true, format!("{} accepts any ID", other.name))
            }
            (Some(l), Some(r)) if l.trim().eq_ignore_ascii_case(r.trim()) => (true, String::new()),
            (None, Some(r)) if addr::contains(&me.addrs, r) => {
                (true, format!("{} sends its address as its ID", me.name))
            }
            (Some(l), Some(r)) => (
                false,
                format!("{} says it is {l}; {} expects {r}", me.name, other.name),
            ),
            (None, Some(r)) => (
                false,
                format!(
                    "{} sets no localid (it sends its address); {} expects {r}",
                    me.name, other.name
                ),
            ),
        };
        let field = if flip {
            format!("remoteid ({}) / localid ({})", other.name, me.name)
        } else {
            format!("localid ({}) / remoteid ({})", me.name, other.name)
        };
        let (sm, so) = (me.ike.map(ike_source), other.ike.map(ike_source));
        let (a, b, sources) = if flip {
            (remote, local, (so, sm))
        } else {
            (local, remote, (sm, so))
        };
        rows.push(Check::Ids, field, Some(1), a, b, matches, note, sources);
    }
}

/// Heartbeats must mirror: what one end sends the other must expect, and the reverse.
fn heartbeat_row(rows: &mut Rows) {
    let (a, b) = (rows.a, rows.b);
    let heart = |s: &Side| s.ike.and_then(|p| p.heart.clone());
    let (ha, hb) = (heart(a), heart(b));
    // Not set: no heartbeats.
    let v = |h: &Option<String>| h.as_deref().unwrap_or("none").trim().to_ascii_lowercase();
    let sends = |h: &str| h.starts_with('b') || h.starts_with('s');
    let expects = |h: &str| h.starts_with('b') || h.starts_with('r');
    let (va, vb) = (v(&ha), v(&hb));
    let matches = sends(&va) == expects(&vb) && sends(&vb) == expects(&va);
    let note = if matches {
        String::new()
    } else if expects(&va) && !sends(&vb) {
        format!(
            "{} expects heartbeats that {} does not send: {} removes the SAs, {} keeps them",
            a.name, b.name, a.name, b.name
        )
    } else if expects(&vb) && !sends(&va) {
        format!(
            "{} expects heartbeats that {} does not send: {} removes the SAs, {} keeps them",
            b.name, a.name, b.name, a.name
        )
    } else {
        "heartbeats sent by one end are not expected by the other".to_string()
    };
    let show = |h: Option<String>| Some(h.unwrap_or_else(|| "none (not set)".into()));
    let sources = rows.sources(1);
    rows.push(
        Check::Heartbeat,
        "heart",
        Some(1),
        show(ha),
        show(hb),
        matches,
        note,
        sources,
    );
}

fn pfs_text(p: &IpsecPolicy) -> String {
    match (p.pfs, &p.pfs_group) {
        (Some(true), Some(g)) => format!("on, group {g}"),
        (Some(true), None) => "on".into(),
        _ => "off".into(),
    }
}

/// The bundle's protocols, encryption and hash algorithms, one text each (specifications
/// joined with `+`); `None` when the bundle was not read.
fn bundle(p: &IpsecPolicy) -> Option<[String; 3]> {
    if p.sa_specs.is_empty() {
        return None;
    }
    let join = |f: fn(&crate::model::IpsecSaSpec) -> Option<&String>| {
        p.sa_specs
            .iter()
            .map(|s| {
                f(s).map(|v| v.to_ascii_lowercase())
                    .unwrap_or_else(|| "-".into())
            })
            .collect::<Vec<_>>()
            .join("+")
    };
    Some([
        join(|s| s.protocol.as_ref()),
        join(|s| s.encalg.as_ref()),
        join(|s| s.hashalg.as_ref()),
    ])
}

fn phase2(rows: &mut Rows) {
    let (a, b) = (rows.a, rows.b);
    if a.ipsec.is_none() || b.ipsec.is_none() {
        let missing: Vec<&str> = [a, b]
            .iter()
            .filter(|s| s.ipsec.is_none())
            .map(|s| s.name)
            .collect();
        let name = |s: &Side| s.ipsec.map(|p| p.name.clone());
        rows.push(
            Check::Policy,
            "ipsec policy",
            Some(2),
            name(a),
            name(b),
            false,
            format!(
                "{} has no encrypting IPsec policy (action=ipsec)",
                missing.join(" and ")
            ),
            rows.sources(2),
        );
        if a.ipsec.is_none() && b.ipsec.is_none() {
            return;
        }
    }
    peer_rows(rows, Check::IpsecPeer, 2, "ipsec");
    selector_rows(rows);

    let (ba, bb) = (a.ipsec.and_then(bundle), b.ipsec.and_then(bundle));
    if ba.is_some() || bb.is_some() {
        let fields = [
            (Check::Protocol, "bundle protocol"),
            (Check::IpsecEncalg, "bundle encalg"),
            (Check::IpsecHashalg, "bundle hashalg"),
        ];
        for (i, (check, field)) in fields.into_iter().enumerate() {
            let (x, y) = (
                ba.as_ref().map(|v| v[i].clone()),
                bb.as_ref().map(|v| v[i].clone()),
            );
            let matches = text_eq(x.as_deref(), y.as_deref());
            let note = match (&x, &y) {
                (Some(_), None) => format!("{}'s bundle was not read", b.name),
                (None, Some(_)) => format!("{}'s bundle was not read", a.name),
                _ if matches => String::new(),
                _ => "the phase 2 proposals must agree".into(),
            };
            let sources = rows.sources(2);
            rows.push(check, field, Some(2), x, y, matches, note, sources);
        }
    }

    let (pa, pb) = (a.ipsec.map(pfs_text), b.ipsec.map(pfs_text));
    let matches = pa == pb;
    let on = |s: &Side| s.ipsec.is_some_and(|p| p.pfs == Some(true));
    let note = match (on(a), on(b)) {
        _ if matches => String::new(),
        (true, false) => format!("PFS at {} only: quick mode is refused", a.name),
        (false, true) => format!("PFS at {} only: quick mode is refused", b.name),
        _ => "the PFS groups differ: quick mode is refused".into(),
    };
    let sources = rows.sources(2);
    rows.push(Check::Pfs, "pfs", Some(2), pa, pb, matches, note, sources);

    let rbs = |s: &Side| {
        s.ipsec
            .map(|p| yes_no(Some(p.respondbadspi.unwrap_or(false))).unwrap_or_default())
    };
    let (ra, rb) = (rbs(a), rbs(b));
    let matches = ra == rb;
    let sources = rows.sources(2);
    rows.push(
        Check::RespondBadSpi,
        "respondbadspi",
        Some(2),
        ra,
        rb,
        matches,
        if matches {
            ""
        } else {
            "only one end renegotiates when it sees an unknown SPI"
        },
        sources,
    );
}

/// One end's local range must be the other's remote range, both ways.
type Selector<'s> = (Option<&'s str>, Option<&'s str>);

fn local<'s>(s: &Side<'s>) -> Option<Selector<'s>> {
    s.ipsec.map(|p| (p.laddress.as_deref(), p.lmask.as_deref()))
}

fn remote<'s>(s: &Side<'s>) -> Option<Selector<'s>> {
    s.ipsec.map(|p| (p.raddress.as_deref(), p.rmask.as_deref()))
}

fn selector_rows(rows: &mut Rows) {
    let (a, b) = (rows.a, rows.b);
    let text =
        |v: Option<(Option<&str>, Option<&str>)>| v.and_then(|(x, m)| addr::selector_text(x, m));
    // Both ends naming the same range as local: one has lad and rad the wrong way round.
    let swapped = match (local(a), local(b)) {
        (Some(x), Some(y)) => x.0.is_some() && addr::same_selector(x, y),
        _ => false,
    };
    for flip in [false, true] {
        let (me, other) = if flip { (b, a) } else { (a, b) };
        let (l, r) = (local(me), remote(other));
        let matches = match (l, r) {
            (Some(x), Some(y)) => addr::same_selector(x, y),
            _ => false,
        };
        let note = if matches {
            String::new()
        } else if swapped {
            "both ends name the same local range: local and remote are swapped at one end".into()
        } else {
            format!(
                "{}'s local range must be {}'s remote range",
                me.name, other.name
            )
        };
        let field = if flip {
            format!("remote ({}) / local ({})", other.name, me.name)
        } else {
            format!("local ({}) / remote ({})", me.name, other.name)
        };
        let (sm, so) = (me.ipsec.map(ipsec_source), other.ipsec.map(ipsec_source));
        let (x, y, sources) = if flip {
            (text(r), text(l), (so, sm))
        } else {
            (text(l), text(r), (sm, so))
        };
        rows.push(
            Check::Selectors,
            field,
            Some(2),
            x,
            y,
            matches,
            note,
            sources,
        );
    }
}

fn router_wide(rows: &mut Rows) {
    let (a, b) = (rows.a, rows.b);
    let natt = [a, b]
        .iter()
        .any(|s| s.ike.is_some_and(|p| p.natt == Some(true)));
    let mut ports = vec![(Check::FirewallIke, IKE_PORT)];
    if natt {
        ports.push((Check::FirewallNatt, NATT_PORT));
    }
    for (check, port) in ports {
        let (oa, ta, sa) = door(a.config, port);
        let (ob, tb, sb) = door(b.config, port);
        let blocked: Vec<&str> = [(a, oa), (b, ob)]
            .iter()
            .filter(|(_, ok)| !ok)
            .map(|(s, _)| s.name)
            .collect();
        let note = if blocked.is_empty() {
            String::new()
        } else {
            format!(
                "{}'s firewall does not let UDP {port} in",
                blocked.join(" and ")
            )
        };
        rows.push(
            check,
            format!("firewall lets UDP {port} in"),
            None,
            Some(ta),
            Some(tb),
            blocked.is_empty(),
            note,
            (sa, sb),
        );
    }
    let local = |s: &Side| s.config.ip_local.clone().filter(|v| addr::is_set(v));
    let (la, lb) = (local(a), local(b));
    let set: Vec<&str> = [(a, &la), (b, &lb)]
        .iter()
        .filter(|(_, v)| v.is_some())
        .map(|(s, _)| s.name)
        .collect();
    let note = if set.is_empty() {
        String::new()
    } else {
        format!(
            "the local address should be \"Not set\"; a set one ({}) can invalidate ISAKMP negotiation",
            set.join(" and ")
        )
    };
    let show = |v: Option<String>| Some(v.unwrap_or_else(|| "not set".into()));
    rows.push(
        Check::LocalAddress,
        "set ip local",
        None,
        show(la),
        show(lb),
        set.is_empty(),
        note,
        (None, None),
    );
}
