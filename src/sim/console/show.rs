//! The console's `show` commands: which display each command asks for, and `show debug
//! ipsec`, which runs the How To Note's whole list one display after the other.

use super::{lock, Console, Level};
use crate::alliedware::commands::{abbrev, Display, Word};
use crate::sim::network::Network;
use crate::sim::render::{self, dump};
use crate::sim::scenario::POLICY;

/// The error for what only the security officer may see.
const SECOFF_ONLY: &str = "Error (3045077): This command requires security officer privilege.";

impl Console {
    pub(super) fn show(
        &mut self,
        display: &Display,
        canonical: &str,
        words: &[Word],
    ) -> Vec<String> {
        let net = lock(&self.net);
        let p = self.peer;
        let peer = &net.peers[p];
        let value_of = |k: &str, min: usize| {
            words
                .iter()
                .find(|w| abbrev(&w.key, k, min))
                .and_then(|w| w.value.clone())
        };
        let key = |i: usize| words.get(i).map(|w| w.key.as_str()).unwrap_or("");
        match display {
            Display::IsakmpSa => render::isakmp_sa(&net, p),
            Display::IsakmpSaDetail => {
                let id = value_of("sa", 2).and_then(|v| v.parse().ok());
                render::isakmp_sa_detail(&net, p, id)
            }
            Display::IsakmpExchange => render::isakmp_exchange(peer),
            Display::IsakmpExchangeDetail => dump::isakmp_exchange_detail(peer, p),
            Display::IpsecSa => render::ipsec_sa(peer),
            Display::IpsecSaDetail => {
                let id = value_of("sa", 2).and_then(|v| v.parse().ok());
                render::ipsec_sa_detail(&net, p, id)
            }
            Display::Counters => {
                if canonical.contains("isakmp") {
                    render::isakmp_counters(peer)
                } else if abbrev(key(1), "enco", 2) {
                    let ch = value_of("channel", 2).and_then(|v| v.parse().ok());
                    dump::enco_counters(peer, ch)
                } else if let Some(name) = value_of("policy", 2) {
                    if name.eq_ignore_ascii_case(POLICY) {
                        render::policy_counters(peer, &name)
                    } else if name.eq_ignore_ascii_case("internet") {
                        dump::permit_counters(peer, &name)
                    } else {
                        vec![format!("Error (3081030): Policy {name} does not exist.")]
                    }
                } else if key(2).eq_ignore_ascii_case("sa") {
                    dump::ipsec_sa_counters(peer)
                } else {
                    render::ipsec_counters(peer)
                }
            }
            Display::IpInterface => render::ip_interface(net.scenario, p),
            Display::Config => render::config(net.scenario, p, value_of("dynamic", 2).as_deref()),
            Display::Log => render::log(peer, value_of("module", 3).as_deref()),
            Display::DebugIpsec => debug_ipsec(&net, p, &self.files),
            Display::Other => {
                let secoff = self.level == Level::SecOff;
                other(&net, p, &self.files, words, secoff)
            }
        }
    }
}

/// The displays the parsers do not know, by their words.
fn other(
    net: &Network,
    p: usize,
    files: &[(String, Vec<String>)],
    words: &[Word],
    secoff: bool,
) -> Vec<String> {
    let key = |i: usize| words.get(i).map(|w| w.key.as_str()).unwrap_or("");
    let value = |i: usize| words.get(i).and_then(|w| w.value.clone());
    let has = |k: &str, min: usize| words.iter().skip(1).any(|w| abbrev(&w.key, k, min));
    let s = net.scenario;
    let peer = &net.peers[p];
    let (k1, k2) = (key(1), key(2));
    if abbrev(k1, "file", 2) {
        let name = value(1).unwrap_or_default();
        if name.is_empty() {
            return dump::files(p, files);
        }
        return match files.iter().find(|(n, _)| n.eq_ignore_ascii_case(&name)) {
            Some((_, lines)) => lines.clone(),
            None => vec![format!("Error (3034019): File {name} does not exist.")],
        };
    }
    if abbrev(k1, "system", 2) {
        return dump::system(net, p);
    }
    if abbrev(k1, "install", 3) {
        return dump::install();
    }
    if abbrev(k1, "feature", 3) {
        return dump::feature();
    }
    if abbrev(k1, "release", 3) {
        return dump::release();
    }
    if abbrev(k1, "buffer", 3) {
        return dump::buffer_scan();
    }
    if abbrev(k1, "cpu", 2) {
        return dump::cpu();
    }
    if abbrev(k1, "exception", 3) {
        return dump::exception();
    }
    if abbrev(k1, "ffile", 2) {
        return dump::ffile_check();
    }
    if abbrev(k1, "ipsec", 3) && abbrev(k2, "policy", 2) {
        if has("sabundle", 3) {
            return dump::sabundle(peer);
        }
        return dump::ipsec_policies(s, p);
    }
    if abbrev(k1, "isakmp", 3) && abbrev(k2, "policy", 2) {
        return dump::isakmp_policies(s, p);
    }
    if abbrev(k1, "firewall", 2) && abbrev(k2, "policy", 2) {
        return dump::firewall_policy(s, p, value(2).as_deref());
    }
    if abbrev(k1, "enco", 2) {
        if abbrev(k2, "key", 2) {
            return match value(2) {
                // Key values are for the security officer only.
                Some(_) if !secoff => vec![SECOFF_ONLY.to_string()],
                Some(k) => dump::enco_key(s, p, k.trim()),
                None => dump::enco_keys(s, p),
            };
        }
        if abbrev(k2, "channel", 2) {
            let ch = value(2).and_then(|v| v.parse().ok());
            return dump::enco_channel(peer, ch);
        }
        if k2.is_empty() {
            return dump::enco(peer);
        }
    }
    vec![format!(
        "Error (3035003): Unknown command \"{}\".",
        words
            .iter()
            .map(|w| w.key.clone())
            .collect::<Vec<_>>()
            .join(" ")
    )]
}

/// `show debug ipsec`: the How To Note's list, in its order, one display after the other
/// (`show ipsec sa=*` for every SA, the counters of every `action=ipsec` policy, every ENCO
/// channel in use).
fn debug_ipsec(net: &Network, p: usize, files: &[(String, Vec<String>)]) -> Vec<String> {
    let peer = &net.peers[p];
    let mut all = Vec::new();
    all.extend(dump::system(net, p));
    all.extend(dump::files(p, files));
    all.extend(dump::install());
    all.extend(dump::feature());
    all.extend(dump::release());
    all.extend(render::config(net.scenario, p, None));
    all.extend(dump::buffer_scan());
    all.extend(dump::cpu());
    all.extend(render::log(peer, None));
    all.extend(dump::exception());
    all.extend(dump::sabundle(peer));
    if peer.ipsec_sas.is_empty() {
        all.extend(render::ipsec_sa(peer));
    } else {
        all.extend(render::ipsec_sa_detail(net, p, None));
    }
    all.extend(dump::ipsec_sa_counters(peer));
    all.extend(render::ipsec_counters(peer));
    all.extend(render::policy_counters(peer, POLICY));
    all.extend(dump::enco(peer));
    all.extend(dump::enco_channel(peer, None));
    for c in dump::channel_ids(peer) {
        all.extend(dump::enco_channel(peer, Some(c)));
        all.extend(dump::enco_counters(peer, Some(c)));
    }
    all.extend(dump::enco_counters(peer, None));
    all.extend(render::isakmp_sa(net, p));
    all.extend(render::isakmp_exchange(peer));
    all.extend(dump::isakmp_exchange_detail(peer, p));
    if !peer.ike_sas.is_empty() {
        all.extend(render::isakmp_sa_detail(net, p, None));
    }
    all.extend(render::isakmp_counters(peer));
    all.extend(dump::ffile_check());
    all
}
