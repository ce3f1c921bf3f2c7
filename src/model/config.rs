//! The router's IKE, IPsec and firewall configuration, as far as the checks need it.

use serde::Serialize;

/// A phase 1 policy (`create isakmp policy=...`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IkePolicy {
    pub name: String,
    /// An address, `any` or `dynamic`.
    pub peer: Option<String>,
    pub key: Option<String>,
    /// `main` or `aggressive`; `None` means the default (main).
    pub mode: Option<String>,
    pub encalg: Option<String>,
    pub hashalg: Option<String>,
    pub group: Option<String>,
    pub natt: Option<bool>,
    pub heart: Option<String>,
    pub sendnotify: Option<bool>,
    pub senddeletes: Option<bool>,
    pub localid: Option<String>,
    pub remoteid: Option<String>,
    pub expiry_seconds: Option<u64>,
    pub expiry_bytes: Option<u64>,
    /// Every parameter as written (full keyword spelling where known), for display.
    pub params: Vec<(String, String)>,
    /// 1-based line of the `create` command in its source.
    pub line: usize,
}

impl IkePolicy {
    pub fn is_aggressive(&self) -> bool {
        self.mode
            .as_deref()
            .is_some_and(|m| m.to_ascii_lowercase().starts_with("ag"))
    }

    /// Main mode is the default when no mode is given.
    pub fn is_main(&self) -> bool {
        !self.is_aggressive()
    }

    /// Accepts proposals from any address (`peer=any` or `peer=dynamic`).
    pub fn peer_is_wildcard(&self) -> bool {
        self.peer.as_deref().is_some_and(|p| {
            let p = p.to_ascii_lowercase();
            p.starts_with("an") || p.starts_with("dy")
        })
    }
}

/// An IPsec policy (`create ipsec policy=...`), in the interface's order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IpsecPolicy {
    pub name: String,
    pub interface: Option<String>,
    /// `ipsec`, `permit` or `deny`.
    pub action: Option<String>,
    pub peer: Option<String>,
    pub isakmp_policy: Option<String>,
    pub laddress: Option<String>,
    pub lmask: Option<String>,
    pub raddress: Option<String>,
    pub rmask: Option<String>,
    pub respondbadspi: Option<bool>,
    /// `POSition=` when given.
    pub position: Option<u32>,
    /// The bundle specification the policy proposes (`BUNDlespecification=id`).
    pub bundle: Option<String>,
    /// The bundle's string as written (`"1"`, `"1 and 2"`), when its bundle was read.
    pub bundle_string: Option<String>,
    /// The SA specifications the bundle's string names, in its order (protocol and
    /// algorithms of phase 2), resolved when the configuration was read.
    pub sa_specs: Vec<IpsecSaSpec>,
    /// Perfect forward secrecy asked for (`USEPFSKey=`).
    pub pfs: Option<bool>,
    /// The Diffie-Hellman group of the PFS exchange (`GROup=` of the IPsec policy).
    pub pfs_group: Option<String>,
    pub params: Vec<(String, String)>,
    pub line: usize,
}

/// An IPsec SA specification (`create ipsec saspecification=id protocol=esp encalg=...`): one
/// protocol of a phase 2 proposal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IpsecSaSpec {
    pub id: u32,
    /// `esp`, `ah` or `ipcomp`.
    pub protocol: Option<String>,
    pub encalg: Option<String>,
    pub hashalg: Option<String>,
    pub params: Vec<(String, String)>,
    pub line: usize,
}

impl IpsecPolicy {
    fn action_is(&self, prefix: &str) -> bool {
        self.action
            .as_deref()
            .is_some_and(|a| a.to_ascii_lowercase().starts_with(prefix))
    }
    pub fn is_permit(&self) -> bool {
        self.action_is("pe")
    }
    pub fn is_ipsec(&self) -> bool {
        self.action_is("ip")
    }
}

/// A firewall policy and what is attached to it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FirewallPolicy {
    pub name: String,
    pub interfaces: Vec<FirewallInterface>,
    pub rules: Vec<FirewallRule>,
    pub line: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FirewallInterface {
    pub interface: String,
    /// `public` or `private`.
    pub kind: String,
    pub line: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FirewallRule {
    pub id: Option<u32>,
    pub interface: Option<String>,
    pub action: Option<String>,
    pub protocol: Option<String>,
    pub port: Option<String>,
    pub ip: Option<String>,
    pub remoteip: Option<String>,
    pub gblport: Option<String>,
    pub encapsulation: Option<String>,
    pub params: Vec<(String, String)>,
    pub line: usize,
}

/// Everything `show config dynamic` told us, plus module state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Config {
    pub ike_policies: Vec<IkePolicy>,
    /// In the router's order of evaluation (per interface: creation order, moved by `position`).
    pub ipsec_policies: Vec<IpsecPolicy>,
    pub firewall_policies: Vec<FirewallPolicy>,
    /// `enable firewall` seen.
    pub firewall_enabled: bool,
    pub isakmp_enabled: Option<bool>,
    pub ipsec_enabled: Option<bool>,
    /// The address given by `set ip local`, when the configuration sets one.
    pub ip_local: Option<String>,
    /// Lines of the configuration that were read, for evidence.
    pub lines_read: usize,
}

impl Config {
    pub fn is_empty(&self) -> bool {
        self.lines_read == 0
    }
    /// Names of the encrypting IPsec policies (`action=ipsec`), in order.
    pub fn encrypting_policies(&self) -> Vec<String> {
        self.ipsec_policies
            .iter()
            .filter(|p| p.is_ipsec())
            .map(|p| p.name.clone())
            .collect()
    }

    pub fn ike_policy(&self, name: &str) -> Option<&IkePolicy> {
        self.ike_policies
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
    }
}
