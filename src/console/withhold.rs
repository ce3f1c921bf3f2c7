//! The password the session holds, withheld from what the router sends back (a router that
//! echoes it at login, or as an unknown command) before any byte is shown, parsed or
//! recorded: it belongs to the reading of the line, before captures and screens.

/// The marker that stands where the router printed the password the tool holds.
pub const PASSWORD_WITHHELD: &str = "[withheld: password]";

/// Shorter passwords are not searched for in output: they would match ordinary text.
pub const MIN_WITHHELD_PASSWORD: usize = 4;

/// Removes every occurrence of the password the session holds from the router's output (a
/// router that echoes it at login, or echoes it back as an unknown command), before the
/// bytes are shown, parsed or recorded. A password cut by the end of a read is still found:
/// a chunk's tail that could be the start of the password is held back (at most its length
/// less one byte) until the next read, or until `flush` when the line goes quiet.
#[derive(Default)]
pub struct PasswordWithholder {
    password: Vec<u8>,
    held: Vec<u8>,
}

impl std::fmt::Debug for PasswordWithholder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the password itself, not even in a debug print.
        f.debug_struct("PasswordWithholder")
            .field("held", &self.held.len())
            .finish()
    }
}

impl PasswordWithholder {
    /// `None`, or a password shorter than `MIN_WITHHELD_PASSWORD`: nothing is withheld.
    pub fn new(password: Option<&str>) -> Self {
        let password = password
            .filter(|p| p.len() >= MIN_WITHHELD_PASSWORD)
            .map(|p| p.as_bytes().to_vec())
            .unwrap_or_default();
        PasswordWithholder {
            password,
            held: Vec::new(),
        }
    }

    /// Bytes held back at the end of the last read.
    pub fn holding(&self) -> bool {
        !self.held.is_empty()
    }

    /// The bytes of a read, the password withheld; a possible start of it is kept back.
    pub fn filter(&mut self, data: &[u8]) -> Vec<u8> {
        if self.password.is_empty() {
            return data.to_vec();
        }
        let mut all = std::mem::take(&mut self.held);
        all.extend_from_slice(data);
        let mut out = Vec::with_capacity(all.len());
        let pw = &self.password;
        let mut i = 0;
        while i < all.len() {
            if all[i..].starts_with(pw) {
                out.extend_from_slice(PASSWORD_WITHHELD.as_bytes());
                i += pw.len();
                continue;
            }
            // A tail that is a proper prefix of the password: wait for the rest.
            let rest = &all[i..];
            if rest.len() < pw.len() && pw.starts_with(rest) {
                self.held = rest.to_vec();
                break;
            }
            out.push(all[i]);
            i += 1;
        }
        out
    }

    /// What was held back, as it was (the line went quiet: it was not the password).
    pub fn flush(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.held)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_withheld_however_the_reads_cut_it() {
        let input = b"Password: S3cretPW99\r\n% Unknown command \"S3cretPW99\"\r\nS3cr> ";
        for size in 1..input.len() {
            let mut w = PasswordWithholder::new(Some("S3cretPW99"));
            let mut out = Vec::new();
            for piece in input.chunks(size) {
                out.extend(w.filter(piece));
            }
            out.extend(w.flush());
            let t = String::from_utf8(out).unwrap();
            assert_eq!(
                t,
                "Password: [withheld: password]\r\n% Unknown command \"[withheld: password]\"\r\nS3cr> ",
                "pieces of {size}"
            );
        }
        // Only a possible start of it is held back.
        let mut w = PasswordWithholder::new(Some("S3cretPW99"));
        assert_eq!(w.filter(b"Manager Peer1> S3c"), b"Manager Peer1> ");
        assert!(w.holding());
        assert_eq!(w.filter(b"x"), b"S3cx");
        assert!(!w.holding());
        let mut none = PasswordWithholder::new(None);
        assert_eq!(none.filter(b"S3cretPW99"), b"S3cretPW99");
        let mut short = PasswordWithholder::new(Some("abc"));
        assert_eq!(short.filter(b"abc"), b"abc");
    }
}
